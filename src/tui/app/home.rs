//! The lessons list: open a lesson or the quiz, reset progress.

use super::{App, Effect, Screen};
use crate::t;
use crate::tui::keys::Action;
use crate::tui::screens::lesson::LessonScreen;

impl App {
    pub(super) fn on_home(&mut self, action: Action) -> Option<Vec<Effect>> {
        if action != Action::ResetAll && self.reset_all_armed {
            self.reset_all_armed = false;
            self.notice = None;
        }
        Some(match action {
            Action::Back | Action::Cancel => vec![Effect::Quit],
            Action::Select => {
                let index = self.home.selected.min(self.lessons.len().saturating_sub(1));
                let Some(lesson) = self.lessons.get(index) else {
                    return Some(Vec::new());
                };
                if lesson.id == crate::quiz::bank::QUIZ_LESSON_ID {
                    return Some(self.open_quiz());
                }
                let resume = self
                    .progress
                    .resume_step(lesson)
                    .and_then(|id| lesson.steps.iter().position(|s| s.id == id))
                    .unwrap_or(0);
                self.screen = Screen::Lesson(LessonScreen::new(index, resume));
                Vec::new()
            }
            // Everything the learner did, answers included: only on a second R.
            Action::ResetAll if self.reset_all_armed => {
                self.reset_all_armed = false;
                let reset = self.progress.reset_all();
                self.report(reset);
                self.notice = Some(t!("Весь прогресс сброшен", "All progress was reset").into());
                Vec::new()
            }
            Action::ResetAll => {
                self.reset_all_armed = true;
                self.notice = Some(
                    t!(
                        "Нажмите R ещё раз, чтобы стереть весь прогресс и ответы",
                        "Press R again to erase all progress and answers"
                    )
                    .into(),
                );
                Vec::new()
            }
            Action::ResetLesson => {
                if let Some(id) = self.lessons.get(self.home.selected).map(|l| l.id.clone()) {
                    let reset = self.progress.reset_lesson(&id);
                    self.report(reset);
                }
                Vec::new()
            }
            Action::Quiz => self.open_quiz(),
            Action::Lab => self.open_lab(self.image.clone()),
            Action::Layers => self.open_explorer(self.image.clone(), None),
            other => return self.home.handle(other, self.lessons.len()).then(Vec::new),
        })
    }
}
