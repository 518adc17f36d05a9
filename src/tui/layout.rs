//! Where things are on screen, as pure functions of the terminal's size: the
//! drawing and the mouse hit-testing share them, so a click lands where the
//! eye sees it.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::tui::keys::{self, Context};

/// The help popup's width, in columns.
pub const HELP_WIDTH: u16 = 56;

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

pub fn help_popup(area: Rect, context: Context) -> Rect {
    let lines = u16::try_from(keys::bindings_for(context).count()).unwrap_or(u16::MAX);
    centered(area, HELP_WIDTH, lines.saturating_add(2))
}

/// How far the overlay can scroll in `area` (0 when every key fits).
pub fn max_help_scroll(area: Rect, context: Context) -> u16 {
    let lines = u16::try_from(keys::bindings_for(context).count()).unwrap_or(u16::MAX);
    lines.saturating_sub(help_popup(area, context).height.saturating_sub(2))
}
