//! The lessons list: open a lesson or the quiz, reset progress.

use super::{App, Effect};
use crate::i18n::Text;
use crate::t;
use crate::tui::keys::Action;

impl App {
    pub(super) fn on_home(&mut self, action: Action) -> Option<Vec<Effect>> {
        if action != Action::ResetAll && self.reset_all_armed {
            self.reset_all_armed = false;
            self.notice = None;
        }
        if action != Action::ResetLesson && self.reset_lesson_armed {
            self.reset_lesson_armed = false;
            self.notice = None;
        }
        Some(match action {
            Action::Back | Action::Cancel => vec![Effect::Quit],
            Action::Select => {
                let index = self.home.selected.min(self.lessons.len().saturating_sub(1));
                if self.lessons.is_empty() {
                    return Some(Vec::new());
                }
                self.open_lesson_at(index, None)
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
            // Like R R: one key alone erases nothing.
            Action::ResetLesson if self.reset_lesson_armed => {
                self.reset_lesson_armed = false;
                if let Some(lesson) = self.lessons.get(self.home.selected) {
                    let (id, title) = (lesson.id.clone(), lesson.title.clone());
                    let reset = self.progress.reset_lesson(&id);
                    self.notice = Some(Text::from_fn(|lang| {
                        let title = title.get(lang);
                        crate::tr!(
                            lang,
                            "Прогресс урока «{title}» сброшен",
                            "The progress of “{title}” was reset"
                        )
                    }));
                    self.report(reset);
                }
                Vec::new()
            }
            Action::ResetLesson => {
                if let Some(lesson) = self.lessons.get(self.home.selected) {
                    let title = lesson.title.clone();
                    self.reset_lesson_armed = true;
                    self.notice = Some(Text::from_fn(|lang| {
                        let title = title.get(lang);
                        crate::tr!(
                            lang,
                            "Нажмите r ещё раз, чтобы сбросить прогресс урока «{title}»",
                            "Press r again to reset the progress of “{title}”"
                        )
                    }));
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
