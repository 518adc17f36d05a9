//! The layer explorer: open it on an image (and one to compare).

use super::{App, Effect, Screen};
use crate::tui::screens::explorer::ExplorerScreen;
use crate::tui::worker::WorkerRequest;

impl App {
    pub fn open_explorer(&mut self, image: String, compare: Option<String>) -> Vec<Effect> {
        let mut effects = vec![Effect::Worker(WorkerRequest::Analyze {
            image: image.clone(),
        })];
        if let Some(other) = &compare {
            effects.push(Effect::Worker(WorkerRequest::Analyze {
                image: other.clone(),
            }));
        }
        self.go_to(Screen::Explorer(ExplorerScreen::new(image, compare)));
        effects
    }
}
