//! The quiz screen: open or resume the session, keep it saved.

use super::{App, Effect, Screen};
use crate::quiz::session::{QuizItem, QuizSession};
use crate::t;
use crate::tui::screens::quiz::QuizScreen;

impl App {
    pub(super) fn open_quiz(&mut self) -> Vec<Effect> {
        let Some(lesson) = self
            .lessons
            .iter()
            .find(|l| l.id == crate::quiz::bank::QUIZ_LESSON_ID)
        else {
            self.notice =
                Some(t!("В наборе уроков нет теста", "The lesson pack has no quiz").into());
            return Vec::new();
        };
        let items = QuizItem::from_lesson(lesson);
        let session = match self.progress.quiz_session() {
            Some(saved) => QuizSession::resume(items, saved),
            None => QuizSession::new(items, quiz_seed()),
        };
        self.screen = Screen::Quiz(QuizScreen::new(session));
        Vec::new()
    }

    pub(super) fn save_quiz(&mut self) {
        if let Screen::Quiz(quiz) = &self.screen {
            let saved = self.progress.save_quiz_session(quiz.session.state());
            self.report(saved);
        }
    }
}

/// A fresh quiz gets its own shuffle; a resumed one keeps its saved seed.
fn quiz_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
}
