//! The home screen: the lessons with the learner's progress.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, StatefulWidget, Widget, Wrap};

use crate::t;
use crate::tui::app::App;
use crate::tui::screens::lessons::*;

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let lang = app.lang;
    let HomeLayout {
        list: list_area,
        detail: detail_area,
    } = layout(area, app.lessons.len());
    // Borders and the "▶ " highlight column.
    let text_width = usize::from(list_area.width.saturating_sub(4));
    let items: Vec<ListItem> = app
        .lessons
        .iter()
        .enumerate()
        .map(|(i, lesson)| {
            // The same count as `layerlab lessons`: optional steps don't count.
            let (done, total) = app.progress.counts(lesson);
            let optional = lesson.steps.len() - total;
            let number = format!("{:>2}. ", i + 1);
            let count = format!("  {}", super::counts::done_of(lang, done, total, optional));
            let mark = if done == total && total > 0 {
                Span::styled(" ✔", theme.ok())
            } else {
                Span::raw("")
            };
            let room = text_width.saturating_sub(number.len() + count.len() + mark.width());
            ListItem::new(Line::from(vec![
                Span::raw(number),
                Span::raw(super::fit::fit(lesson.title.get(lang), room).into_owned()),
                Span::styled(count, theme.dim()),
                mark,
            ]))
        })
        .collect();
    let title = format!(
        " {} ",
        super::fit::fit(
            &format!("layerlab — {}", app.pack_title.get(lang)),
            usize::from(list_area.width.saturating_sub(4))
        )
    );
    let list = List::new(items)
        .block(
            Block::bordered()
                .title(Span::styled(title, theme.title()))
                .border_style(theme.border_focused()),
        )
        .highlight_style(theme.selected())
        .highlight_symbol("▶ ");
    let mut state = ListState::default().with_selected(Some(app.home.selected));
    StatefulWidget::render(list, list_area, buf, &mut state);

    let detail = match app.lessons.get(app.home.selected) {
        Some(lesson) => {
            let mut lines = vec![Line::from(Span::styled(
                lesson.title.get(lang).to_string(),
                theme.heading(),
            ))];
            let (done, required) = app.progress.counts(lesson);
            let optional = lesson.steps.len() - required;
            lines.push(Line::from(Span::styled(
                crate::tr!(
                    lang,
                    "{}; сделано {done}",
                    "{}; {done} done",
                    super::counts::steps(lang, required, optional)
                ),
                theme.dim(),
            )));
            if let Some(summary) = &lesson.summary {
                lines.extend(super::markup::render(summary.get(lang), theme));
            }
            lines.push(Line::from(Span::styled(
                t!(
                    "Enter — открыть, ? — все клавиши",
                    "Enter to open, ? for all keys"
                )
                .get(lang),
                theme.dim(),
            )));
            lines
        }
        None => vec![Line::from(
            t!("В наборе нет уроков", "The pack has no lessons").get(lang),
        )],
    };
    Paragraph::new(detail)
        .wrap(Wrap { trim: true })
        .block(Block::bordered().border_style(theme.border()))
        .render(detail_area, buf);
}
