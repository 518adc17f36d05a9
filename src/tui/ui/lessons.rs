//! The home screen: the lessons with the learner's progress.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, StatefulWidget, Widget, Wrap};

use crate::t;
use crate::tui::app::App;
use crate::tui::keys::Action;

#[derive(Debug, Default, Clone)]
pub struct LessonsScreen {
    pub selected: usize,
}

impl LessonsScreen {
    pub fn handle(&mut self, action: Action, count: usize) {
        let last = count.saturating_sub(1);
        self.selected = match action {
            Action::Up => self.selected.saturating_sub(1),
            Action::Down => (self.selected + 1).min(last),
            Action::Top | Action::PageUp => 0,
            Action::Bottom | Action::PageDown => last,
            _ => self.selected,
        };
    }
}

/// Where the home screen puts its parts; the mouse handler asks the same
/// function, so a click lands on what was drawn there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HomeLayout {
    pub list: Rect,
    pub detail: Rect,
}

pub fn layout(area: Rect, lessons: usize) -> HomeLayout {
    let [list, detail] = if area.width >= 100 {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area)
    } else {
        // The list as tall as the lessons need, the summary gets the rest
        // (a Russian summary wraps to more lines than six).
        let wanted = u16::try_from(lessons).unwrap_or(u16::MAX).saturating_add(2);
        let list_height = wanted.min(area.height.saturating_sub(4)).max(3);
        Layout::vertical([Constraint::Length(list_height), Constraint::Min(0)]).areas(area)
    };
    HomeLayout { list, detail }
}

/// The lesson drawn at (`column`, `row`), when the list shows `count`
/// lessons with `selected` highlighted (the list scrolls just enough to keep
/// the selection in view, as ratatui's `List` does).
pub fn lesson_at(
    area: Rect,
    count: usize,
    selected: usize,
    column: u16,
    row: u16,
) -> Option<usize> {
    let inner = layout(area, count)
        .list
        .inner(ratatui::layout::Margin::new(1, 1));
    if !inner.contains(ratatui::layout::Position::new(column, row)) {
        return None;
    }
    let visible = usize::from(inner.height.max(1));
    let offset = selected.saturating_sub(visible - 1);
    let index = offset + usize::from(row - inner.y);
    (index < count).then_some(index)
}

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
            let number = format!("{:>2}. ", i + 1);
            let count = format!("  {done}/{total}");
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
