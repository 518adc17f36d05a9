//! The live lab: open it, leave it (the worker removes its containers).

use super::{App, Effect, Screen};
use crate::docker::lab::LabRequest;
use crate::tui::keys::Action;
use crate::tui::screens::lab::LabScreen;
use crate::tui::worker::WorkerRequest;

impl App {
    /// What an action does in the lab (its keys come through the one table,
    /// the printable ones are typed into the command line).
    pub(super) fn on_lab(&mut self, action: Action) -> Option<Vec<Effect>> {
        if matches!(action, Action::Back | Action::Cancel) {
            return Some(self.leave_lab());
        }
        let Screen::Lab(lab) = &mut self.screen else {
            return None;
        };
        let slot = lab.selected;
        Some(match action {
            Action::Run => match lab.take_command() {
                Some(command) => vec![lab_request(LabRequest::Exec { slot, command })],
                None => Vec::new(),
            },
            Action::NextPane => {
                lab.selected = (slot + 1) % crate::docker::lab::SLOTS;
                Vec::new()
            }
            Action::Up | Action::Down => {
                lab.recall(action == Action::Up);
                Vec::new()
            }
            Action::StopStart => {
                let running = lab.slots.get(slot).is_some_and(|s| s.running);
                vec![lab_request(if running {
                    LabRequest::Stop { slot }
                } else {
                    LabRequest::Start { slot }
                })]
            }
            Action::Recreate => vec![lab_request(LabRequest::Recreate { slot })],
            Action::Commit => vec![lab_request(LabRequest::Commit { slot })],
            Action::ToggleStorage => {
                lab.show_storage = !lab.show_storage;
                Vec::new()
            }
            Action::ExploreCommit => {
                // The commit's extra layer, seen like any image's: the lab
                // stays open underneath and Esc comes back to it.
                let Some(commit) = &lab.committed else {
                    return Some(Vec::new());
                };
                let (image, base) = (commit.image.reference.clone(), lab.reference.clone());
                self.open_explorer(image, Some(base))
            }
            _ => return None,
        })
    }

    pub(crate) fn open_lab(&mut self, image: String) -> Vec<Effect> {
        self.go_to(Screen::Lab(Box::new(LabScreen::new(image.clone()))));
        vec![Effect::Worker(WorkerRequest::LabOpen { image })]
    }

    pub(super) fn leave_lab(&mut self) -> Vec<Effect> {
        if self.single_screen && self.return_to.is_empty() {
            return vec![Effect::Quit];
        }
        self.go_back();
        vec![Effect::Worker(WorkerRequest::LabClose)]
    }
}

pub(super) fn lab_request(request: LabRequest) -> Effect {
    Effect::Worker(WorkerRequest::Lab(request))
}
