//! The learner's explicit yes before a step with host access runs (a
//! privileged container): the full command, derived from the action, is
//! shown; `y` runs it, anything else does not. (A step the pack merely
//! marks `confirm` is confirmed by its Enter, as before.)

use crossterm::event::KeyCode;

use super::{App, Effect, Screen};
use crate::t;
use crate::tui::screens::lesson::Prompt;
use crate::tui::worker::WorkerRequest;

impl App {
    /// Open the y/N prompt for the lesson screen's current step, showing the
    /// command derived from its action with today's values filled in.
    pub(super) fn ask_consent(&mut self) -> Vec<Effect> {
        let Screen::Lesson(view) = &self.screen else {
            return Vec::new();
        };
        let Some(step) = self.lessons[view.lesson].steps.get(view.step) else {
            return Vec::new();
        };
        let command = crate::runner::confine::consent_command(
            step,
            |text| self.fill_known(text),
            &crate::paths::workspace_dir(),
            self.lang,
        );
        if let Screen::Lesson(view) = &mut self.screen {
            view.prompt = Some(Prompt::Consent {
                command,
                input: tui_input::Input::default(),
            });
        }
        Vec::new()
    }

    /// A key while the y/N prompt is open: `y` tells the worker this step
    /// may run with host access and runs it; `n`, Esc or Enter close the
    /// prompt and nothing runs (no is the default).
    pub(super) fn answer_consent(&mut self, key: KeyCode) -> Vec<Effect> {
        let Screen::Lesson(view) = &mut self.screen else {
            return Vec::new();
        };
        match key {
            KeyCode::Char('y' | 'Y' | 'д' | 'Д') => {
                view.prompt = None;
                let lesson = &self.lessons[view.lesson];
                let Some(step) = lesson.steps.get(view.step) else {
                    return Vec::new();
                };
                let consent = WorkerRequest::Consent {
                    lesson: lesson.id.clone(),
                    step: step.id.clone(),
                };
                let mut effects = vec![Effect::Worker(consent)];
                effects.extend(self.run_current_step());
                effects
            }
            KeyCode::Char('n' | 'N' | 'н' | 'Н') | KeyCode::Esc | KeyCode::Enter => {
                // No only refuses: the learner stays on the step, told so on
                // the step itself (its hints go when the learner moves on;
                // the status bar's notice would have stayed).
                view.prompt = None;
                let note = t!(
                    "Шаг не выполнен: вы не подтвердили доступ к хосту",
                    "The step did not run: you did not agree to host access"
                )
                .get(self.lang)
                .to_string();
                if !view.hints.contains(&note) {
                    view.hints.push(note);
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}
