//! The bottom line: the daemon's state, where the learner is (or a notice),
//! and the key that opens the help. When the line is narrow the parts give
//! way in order: the keys shorten, then the lesson title shortens, then goes.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::t;
use crate::tui::app::{App, Screen};
use crate::tui::worker::DaemonState;

/// A title shorter than this says nothing: leave it out.
const MIN_TITLE: usize = 8;

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let lang = app.lang;
    let width = usize::from(area.width);
    let (daemon, daemon_style) = match &app.daemon {
        DaemonState::Connecting { .. } => (
            format!(
                "{} Docker…",
                super::SPINNER[app.spinner % super::SPINNER.len()]
            ),
            theme.warn(),
        ),
        DaemonState::Connected { version, .. } => (format!("● Docker {version}"), theme.ok()),
        DaemonState::Lost { .. } => (
            format!(
                "✘ {}",
                t!("Docker недоступен", "Docker unreachable").get(lang)
            ),
            theme.error(),
        ),
    };
    let daemon = super::fit::fit(&daemon, width).into_owned();
    let help_word = t!("справка", "help").get(lang);
    // On the lesson list `q` leaves the app; everywhere else it goes back.
    let back_word = if matches!(app.screen, Screen::Lessons) {
        t!("выход", "quit").get(lang)
    } else {
        t!("назад", "back").get(lang)
    };
    let used = daemon.chars().count();
    // The lab's command line takes `?` and `q` as text: name its own keys.
    let help = if matches!(app.screen, Screen::Lab(_)) {
        let leave = t!("выход", "leave").get(lang);
        [
            format!("F1 {help_word}  Esc {leave}"),
            format!("F1 {help_word}"),
            "F1".to_string(),
        ]
    } else {
        [
            format!("? {help_word}  q {back_word}"),
            format!("? {help_word}"),
            "?".to_string(),
        ]
    }
    .into_iter()
    .find(|h| used + 1 + h.chars().count() <= width)
    .unwrap_or_default();

    // A notice (a save that failed) matters more than where the learner is.
    let middle: Option<(&str, Style)> = match (&app.notice, &app.screen) {
        (Some(notice), _) => Some((notice.get(lang), theme.warn())),
        (None, Screen::Lesson(view)) => app
            .lessons
            .get(view.lesson)
            .map(|lesson| (lesson.title.get(lang), Style::new())),
        _ => None,
    };
    let separator = " │ ";
    let reserved = used + separator.chars().count() + help.chars().count() + 1;
    let mut spans = vec![Span::styled(daemon, daemon_style)];
    if let Some((text, style)) = middle {
        let room = width.saturating_sub(reserved);
        if room >= MIN_TITLE {
            spans.push(Span::styled(separator, theme.dim()));
            spans.push(Span::styled(
                super::fit::fit(text, room).into_owned(),
                style,
            ));
        }
    }
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let free = width.saturating_sub(used + help.chars().count());
    if !help.is_empty() && free > 0 {
        spans.push(Span::raw(" ".repeat(free)));
        spans.push(Span::styled(help, theme.dim()));
    }
    Line::from(spans).render(area, buf);
}
