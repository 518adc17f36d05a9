//! The home screen: the lessons with the learner's progress.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::tui::keys::Action;

#[derive(Debug, Default, Clone)]
pub struct LessonsScreen {
    pub selected: usize,
}

impl LessonsScreen {
    /// Move the selection; false when `action` means nothing here.
    pub fn handle(&mut self, action: Action, count: usize) -> bool {
        let last = count.saturating_sub(1);
        self.selected = match action {
            Action::Up => self.selected.saturating_sub(1),
            Action::Down => (self.selected + 1).min(last),
            Action::Top | Action::PageUp => 0,
            Action::Bottom | Action::PageDown => last,
            _ => return false,
        };
        true
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
