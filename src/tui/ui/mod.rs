//! Drawing. Every function here is a pure function of the state it is given:
//! no I/O, no Docker, no mutation. One file per screen.

pub mod explorer;
pub mod fit;
pub mod help;
pub mod lab;
pub mod lesson;
pub mod lessons;
pub mod markup;
pub mod quiz;
pub mod status;
pub mod theme;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::Widget;

use crate::tui::app::{App, Screen};

pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        self.frame.set(area);
        let [body, status] = split_status(area);
        match &self.screen {
            Screen::Lessons => lessons::draw(self, body, buf),
            Screen::Lesson(view) => lesson::draw(self, view, body, buf),
            Screen::Quiz(view) => quiz::draw(self, view, body, buf),
            Screen::Lab(view) => lab::draw(self, view, body, buf),
            Screen::Explorer(view) => explorer::draw(self, view, body, buf),
        }
        status::draw(self, status, buf);
        if self.help_open {
            help::draw(self, area, buf);
        }
    }
}

/// The screen's body and the status line under it.
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
