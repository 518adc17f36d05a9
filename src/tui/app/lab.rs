//! The live lab: open it, leave it (the worker removes its containers).

use super::{App, Effect, Screen};
use crate::docker::lab::LabRequest;
use crate::tui::screens::lab::LabScreen;
use crate::tui::worker::WorkerRequest;

impl App {
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
