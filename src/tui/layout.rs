//! Where things are on screen, as pure functions of the terminal's size: the
//! drawing and the mouse hit-testing share them, so a click lands where the
//! eye sees it.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::i18n::Lang;
use crate::tui::keys::{self, Context};

/// The help popup's widest, in columns (it is narrower on a narrow screen,
/// and its texts wrap rather than being cut).
pub const HELP_WIDTH: u16 = 76;

/// The help's key column: right-aligned labels, then two spaces.
pub const HELP_LABEL: usize = 7;

pub fn split_status(area: Rect) -> [Rect; 2] {
    Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area)
}

/// A rectangle of `width`×`height` centred in `area`, clipped to it.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

fn help_width(area: Rect) -> u16 {
    HELP_WIDTH.min(area.width.saturating_sub(2))
}

/// The help's rows in `area`: each binding's label on its first row, its
/// text wrapped to the room beside it (never cut: ? is where a learner
/// looks for what a key does).
pub fn help_rows(area: Rect, context: Context, lang: Lang) -> Vec<(&'static str, String)> {
    let room = usize::from(help_width(area).saturating_sub(2)).saturating_sub(HELP_LABEL + 2);
    keys::bindings_for(context)
        .flat_map(|b| {
            crate::tui::ui::fit::wrap(b.help.get(lang), room)
                .into_iter()
                .enumerate()
                .map(move |(i, line)| (if i == 0 { b.label } else { "" }, line))
        })
        .collect()
}

pub fn help_popup(area: Rect, context: Context, lang: Lang) -> Rect {
    let lines = u16::try_from(help_rows(area, context, lang).len()).unwrap_or(u16::MAX);
    centered(area, help_width(area), lines.saturating_add(2))
}

/// How far the overlay can scroll in `area` (0 when every key fits).
pub fn max_help_scroll(area: Rect, context: Context, lang: Lang) -> u16 {
    let lines = u16::try_from(help_rows(area, context, lang).len()).unwrap_or(u16::MAX);
    lines.saturating_sub(help_popup(area, context, lang).height.saturating_sub(2))
}
