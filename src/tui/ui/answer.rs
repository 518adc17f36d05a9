//! The inline answer editor, drawn over the step's text.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use crate::t;
use crate::tui::app::App;
use crate::tui::screens::answer::AnswerEditor;

/// Over the lower part of the step's box, so the question stays in view
/// above it (on a small screen it takes the whole box).
pub fn draw(app: &App, editor: &AnswerEditor, step_area: Rect, buf: &mut Buffer) {
    let (theme, lang) = (app.theme, app.lang);
    let height = if step_area.height > 14 {
        (step_area.height * 3 / 5).max(9)
    } else {
        step_area.height
    };
    let area = Rect {
        y: step_area.y + step_area.height - height,
        height,
        ..step_area
    };
    ratatui::widgets::Clear.render(area, buf);
    let block = Block::bordered()
        .title(Span::styled(
            format!(" {} ", t!("Ваш ответ", "Your answer").get(lang)),
            theme.title(),
        ))
        .border_style(theme.border_focused());
    let inner = block.inner(area);
    block.render(area, buf);
    let [text, hint] = Layout::vertical([Constraint::Min(1), Constraint::Length(2)]).areas(inner);
    let mut area_widget = editor.area.clone();
    area_widget.set_cursor_line_style(ratatui::style::Style::default());
    area_widget.set_placeholder_text(
        t!(
            "Напишите ответ своими словами…",
            "Write the answer in your own words…"
        )
        .get(lang),
    );
    Widget::render(&area_widget, text, buf);
    let line = match &editor.error {
        Some(error) => Line::from(Span::styled(format!("✘ {error}"), theme.error())),
        None => Line::from(Span::styled(
            t!(
                "Ctrl-S — сохранить, Esc — закрыть (черновик сохранится)",
                "Ctrl-S to save, Esc to close (the draft is kept)"
            )
            .get(lang),
            theme.dim(),
        )),
    };
    Paragraph::new(line)
        .wrap(Wrap { trim: false })
        .render(hint, buf);
}
