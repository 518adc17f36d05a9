//! What the Docker worker reports, applied to the state.

use super::{App, Effect, Screen};
use crate::t;
use crate::tui::messages::{DaemonState, StepError, WorkerEvent};

impl App {
    pub(super) fn on_worker(&mut self, event: WorkerEvent) -> Vec<Effect> {
        match event {
            WorkerEvent::Daemon(state) => {
                if matches!(state, DaemonState::Lost { .. }) && self.running.take().is_some() {
                    if let Screen::Lesson(view) = &mut self.screen {
                        view.fail_run(t!(
                            "Docker недоступен: шаг не завершён, его можно повторить",
                            "Docker went away: the step did not finish; you can redo it"
                        ));
                    }
                }
                self.daemon = state;
            }
            WorkerEvent::Progress { line, .. } => {
                if let Screen::Lesson(view) = &mut self.screen {
                    view.push_progress(line);
                }
            }
            WorkerEvent::StepFinished {
                lesson,
                step,
                outcome,
            } => {
                self.running = None;
                // The job a Ctrl-C cancelled is over: its "again quits" too.
                if std::mem::take(&mut self.interrupt_armed) {
                    self.notice = None;
                }
                if let (Some(StepError::Refused { registry }), Screen::Lesson(view)) =
                    (&outcome.error, &mut self.screen)
                {
                    view.prompt = Some(crate::tui::screens::lesson::Prompt::credentials(
                        registry.clone(),
                    ));
                }
                if outcome.ok() {
                    let saved = self.progress.complete_step(&lesson, &step);
                    self.report(saved);
                    for (name, value) in &outcome.vars {
                        let saved = self.progress.save_var(&lesson, name, value);
                        self.report(saved);
                    }
                }
                if let Screen::Lesson(view) = &mut self.screen {
                    view.finish_run(outcome);
                }
            }
            WorkerEvent::FileRead {
                path,
                layer,
                result,
            } => {
                if let Screen::Explorer(explorer) = &mut self.screen {
                    explorer.file_loaded(&path, layer, result);
                }
            }
            WorkerEvent::Analysis { image, result } => {
                if let Screen::Explorer(explorer) = &mut self.screen {
                    return explorer
                        .loaded(&image, result)
                        .map(Effect::Worker)
                        .into_iter()
                        .collect();
                }
            }
            WorkerEvent::Compared {
                left_ref,
                right_ref,
                comparison,
            } => {
                if let Screen::Explorer(explorer) = &mut self.screen {
                    explorer.compared(&left_ref, &right_ref, comparison);
                }
            }
            WorkerEvent::Watched {
                lesson,
                step,
                report,
            } => return self.on_watched(lesson, step, *report),
            WorkerEvent::Lab(event) => {
                if let Screen::Lab(lab) = &mut self.screen {
                    lab.apply(event);
                }
            }
        }
        Vec::new()
    }
}
