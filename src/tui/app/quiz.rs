//! The quiz screen: open or resume the session, keep it saved.

use super::{App, Effect, Screen};
use crate::quiz::session::{QuizItem, QuizSession};
use crate::t;
use crate::tui::keys::Action;
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

    /// A `question` step of a lesson other than the quiz: its question on
    /// the quiz screen, answered there like any quiz question; the lesson
    /// is kept underneath and Esc (or Enter after answering) comes back.
    pub(super) fn open_lesson_question(&mut self) -> Vec<Effect> {
        let Screen::Lesson(view) = &self.screen else {
            return Vec::new();
        };
        let lesson = &self.lessons[view.lesson];
        let Some(step) = lesson.steps.get(view.step) else {
            return Vec::new();
        };
        let Some(question) = step.question.clone() else {
            return Vec::new();
        };
        let item = QuizItem {
            id: format!("{}/{}", lesson.id, step.id),
            question,
        };
        self.lesson_question = Some((lesson.id.clone(), step.id.clone()));
        self.go_to(Screen::Quiz(QuizScreen::new(QuizSession::new(
            vec![item],
            quiz_seed(),
        ))));
        Vec::new()
    }

    /// Keys on the quiz screen opened for one lesson question: answered and
    /// left, the step is done and the lesson moves on; left unanswered, the
    /// step stays as it was. The quiz's own saved session is not touched.
    pub(super) fn on_lesson_question(&mut self, action: Action) -> Vec<Effect> {
        let Screen::Quiz(quiz) = &mut self.screen else {
            return Vec::new();
        };
        let answered = quiz.result.is_some();
        let leave = match action {
            Action::Back | Action::Cancel => true,
            Action::Select | Action::NextStep => answered,
            other => {
                quiz.handle(other);
                false
            }
        };
        if !leave {
            if action == Action::Select {
                quiz.handle(action);
            }
            return Vec::new();
        }
        let Some((lesson, step)) = self.lesson_question.take() else {
            return Vec::new();
        };
        self.go_back();
        if answered {
            let saved = self.progress.complete_step(&lesson, &step);
            self.report(saved);
            if let Screen::Lesson(view) = &mut self.screen {
                let steps = self.lessons[view.lesson].steps.len();
                view.next(steps);
            }
        }
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
