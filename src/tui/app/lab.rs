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
            Action::FoldNoise => {
                lab.unfold_noise = !lab.unfold_noise;
                lab.scroll.iter_mut().for_each(|s| *s = None);
                Vec::new()
            }
            // Home/End and Ctrl-U/W never get here (the line takes them);
            // listed in the table for the help.
            Action::EditLine => Vec::new(),
            Action::PageUp | Action::PageDown => {
                self.scroll_lab(None, action == Action::PageDown);
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
        let mut screen = LabScreen::new(image.clone());
        screen.hints = crate::layers::names::workspace_hints();
        self.go_to(Screen::Lab(Box::new(screen)));
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

impl App {
    /// PgUp/PgDn (a page) and the mouse wheel (`rows`, negative up) in the
    /// selected container's writable-layer pane, as tall as the draw makes it.
    pub(super) fn scroll_lab(&mut self, rows: Option<isize>, down: bool) {
        let body = crate::tui::layout::split_status(self.frame)[0];
        let Screen::Lab(lab) = &mut self.screen else {
            return;
        };
        let pane = crate::tui::screens::lab::layout(body)
            .slots
            .get(lab.selected)
            .map_or(1, |r| usize::from(r.height.saturating_sub(2)).max(1));
        let page = isize::try_from(pane.saturating_sub(1).max(1)).unwrap_or(1);
        let delta = rows.unwrap_or(page);
        lab.scroll_by(if down { delta } else { -delta }, pane);
    }
}

pub(super) fn lab_request(request: LabRequest) -> Effect {
    Effect::Worker(WorkerRequest::Lab(request))
}
