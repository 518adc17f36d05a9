//! The `?` overlay, drawn from the key table in `keys.rs`. It fits the
//! screen; when the screen is too low for every key it scrolls (↑/↓).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::t;
use crate::tui::app::App;

use crate::tui::layout::{HELP_LABEL as LABEL, help_popup as popup, help_rows, max_help_scroll};

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let context = app.context();
    let popup = popup(area, context, app.lang);
    let lines: Vec<Line> = help_rows(area, context, app.lang)
        .into_iter()
        .map(|(label, text)| {
            Line::from(vec![
                Span::styled(format!("{label:>LABEL$}  "), theme.key()),
                Span::raw(text),
            ])
        })
        .collect();
    let max_scroll = |area, context| max_help_scroll(area, context, app.lang);
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
