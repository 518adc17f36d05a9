//! The `?` overlay, drawn from the key table in `keys.rs`. It fits the
//! screen; when the screen is too low for every key it scrolls (↑/↓).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::t;
use crate::tui::app::App;
use crate::tui::keys::{self};

/// The key column: right-aligned labels, then two spaces.
const LABEL: usize = 7;

use crate::tui::layout::{help_popup as popup, max_help_scroll as max_scroll};

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let context = app.context();
    let popup = popup(area, context);
    let text_room = usize::from(popup.width.saturating_sub(2)).saturating_sub(LABEL + 2);
    let lines: Vec<Line> = keys::bindings_for(context)
        .map(|b| {
            Line::from(vec![
                Span::styled(format!("{:>LABEL$}  ", b.label), theme.key()),
                Span::raw(super::fit::fit(b.help.get(app.lang), text_room).into_owned()),
            ])
        })
        .collect();
    let scroll = app.help_scroll.min(max_scroll(area, context));
    let more_below = scroll < max_scroll(area, context);
    let mut block = Block::bordered()
        .title(super::fit::fit(
            t!(" Клавиши (? — закрыть) ", " Keys (? to close) ").get(app.lang),
            usize::from(popup.width.saturating_sub(2)),
        ))
        .border_style(theme.border_focused());
    if scroll > 0 || more_below {
        let arrows = match (scroll > 0, more_below) {
            (true, true) => " ↑↓ ",
            (true, false) => " ↑ ",
            _ => " ↓ ",
        };
        block = block.title_bottom(Line::from(Span::styled(arrows, theme.key())).right_aligned());
    }
    Clear.render(popup, buf);
    Paragraph::new(lines)
        .scroll((scroll, 0))
        .block(block)
        .render(popup, buf);
}
