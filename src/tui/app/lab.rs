//! The live lab: open it, leave it (the worker removes its containers).

use super::{App, Effect, Screen};
use crate::docker::lab::LabRequest;
use crate::tui::keys::Action;
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

impl App {
    /// What reaches the lab through the key table (the typed keys went to
    /// its command line first) and the mouse wheel.
    pub(super) fn on_lab(&mut self, action: Action) -> Vec<Effect> {
        let body = crate::tui::layout::split_status(self.frame.get())[0];
        let Screen::Lab(lab) = &mut self.screen else {
            return Vec::new();
        };
        let pane = crate::tui::screens::lab::layout(body)
            .slots
            .get(lab.selected)
            .map_or(1, |r| usize::from(r.height.saturating_sub(2)).max(1));
        let page = isize::try_from(pane.saturating_sub(1).max(1)).unwrap_or(1);
        match action {
            Action::Back | Action::Cancel => return self.leave_lab(),
            Action::PageUp => lab.scroll_by(-page, pane),
            Action::PageDown => lab.scroll_by(page, pane),
            // Only the wheel gets here: ↑/↓ typed recall commands.
            Action::Up => lab.scroll_by(-3, pane),
            Action::Down => lab.scroll_by(3, pane),
            Action::FoldNoise => {
                lab.unfold_noise = !lab.unfold_noise;
                lab.scroll.iter_mut().for_each(|s| *s = None);
            }
            _ => {}
        }
        Vec::new()
    }
}

pub(super) fn lab_request(request: LabRequest) -> Effect {
    Effect::Worker(WorkerRequest::Lab(request))
}
