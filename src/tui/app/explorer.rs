//! The layer explorer: open it on an image (and one to compare).

use super::{App, Effect, Screen};
use crate::layers::names::NameHints;
use crate::tui::screens::explorer::ExplorerScreen;
use crate::tui::worker::WorkerRequest;

/// The Dockerfiles whose lines name the layers, as the lessons place them.
const DOCKERFILES: [&str; 2] = ["Dockerfile", "Dockerfile.naive"];
/// A Dockerfile is a few lines; anything bigger is not one worth matching.
const MAX_DOCKERFILE: u64 = 64 * 1024;

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
        let mut screen = ExplorerScreen::new(image, compare);
        screen.hints = name_hints();
        self.go_to(Screen::Explorer(Box::new(screen)));
        effects
    }
}

/// The workspace's Dockerfiles (`nginx-alpine/` as lesson 3 copies it), or
/// the pack's own when the workspace has none yet: their `COPY` lines name
/// the layers Docker records as `COPY dir:<hash>`.
pub fn name_hints() -> NameHints {
    let folder = crate::paths::workspace_dir().join("nginx-alpine");
    let embedded = crate::lesson::files::PackFiles::embedded();
    let dockerfiles = DOCKERFILES
        .iter()
        .filter_map(|name| {
            let path = folder.join(name);
            let from_workspace = std::fs::metadata(&path)
                .ok()
                .filter(|m| m.is_file() && m.len() <= MAX_DOCKERFILE)
                .and_then(|_| std::fs::read_to_string(&path).ok());
            let text = from_workspace.or_else(|| {
                embedded
                    .get(&format!("../assets/nginx-alpine/{name}"))
                    .map(|b| String::from_utf8_lossy(b).into_owned())
            })?;
            Some((name.to_string(), text))
        })
        .collect();
    NameHints {
        base: None,
        dockerfiles,
    }
}
