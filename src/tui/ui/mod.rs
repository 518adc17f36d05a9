//! Drawing. Every function here is a pure function of the state it is given:
//! no I/O, no Docker, no mutation. One file per screen.

pub mod counts;
pub mod explorer;
pub mod fit;
pub mod help;
pub mod lab;
pub mod lesson;
pub mod lessons;
pub mod markup;
pub mod quiz;
pub mod status;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use crate::tui::app::{App, Screen};

pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let [body, status] = split_status(area);
        match &self.screen {
            Screen::Lessons => lessons::draw(self, body, buf),
            Screen::Lesson(view) => lesson::draw(self, view, body, buf),
            Screen::Quiz(view) => quiz::draw(self.lang, self.theme, view, body, buf),
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
pub use crate::tui::layout::{centered, split_status};
