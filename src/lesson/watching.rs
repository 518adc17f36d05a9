//! How the watcher treats each step: its written `expect:`, or a state
//! derived from its action, or a check to evaluate, or nothing to watch.

use crate::lesson::model::{Action, Check, Step, StepKind};
use crate::lesson::watch_model::Expect;

/// How the watcher treats a step.
#[derive(Debug, Clone)]
pub enum Watched {
    /// The learner does it; the state to wait for.
    Expect(Expect),
    /// A check step: its claim is evaluated as the daemon changes.
    Check(Check),
    /// Harmless or only layerlab's to do (copy the template, fetch a page,
    /// show a diff): layerlab does it itself, headless and in the TUI.
    ByLayerlab,
    /// Not part of watching: reading, answering, screens, optional steps.
    NotWatched,
}

/// What the watcher does with `step`: its `expect:` when written, else one
/// derived from the action, so every shipped action step is watchable
/// without a line of YAML more than the pack already has.
pub fn watched(step: &Step) -> Watched {
    if step.optional {
        return Watched::NotWatched;
    }
    match step.kind {
        StepKind::Check => {
            return step
                .check
                .clone()
                .map_or(Watched::NotWatched, Watched::Check);
        }
        StepKind::Action => {}
        _ => return Watched::NotWatched,
    }
    if let Some(expect) = &step.expect {
        return match expect {
            Expect::Layerlab => Watched::ByLayerlab,
            other => Watched::Expect(other.clone()),
        };
    }
    let Some(action) = &step.action else {
        return Watched::NotWatched;
    };
    let expect = match action {
        Action::Run {
            name, image, ports, ..
        } => Expect::ContainerRunning {
            name: name.clone(),
            image: Some(image.clone()),
            port: ports.first().copied(),
        },
        Action::Stop { container } => Expect::ContainerStopped {
            container: container.clone(),
        },
        Action::Start { container } => Expect::ContainerRunning {
            name: container.clone(),
            image: None,
            port: None,
        },
        Action::RemoveContainer { container } => Expect::ContainerAbsent {
            container: container.clone(),
        },
        Action::Exec { container, .. } => Expect::ExecSeen {
            container: container.clone(),
        },
        Action::Tag { target: image, .. }
        | Action::Pull { image }
        | Action::Commit { tag: image, .. }
        | Action::Build { tag: image, .. } => Expect::ImagePresent {
            image: image.clone(),
        },
        Action::Push { image } => Expect::ImagePresent {
            image: image.clone(),
        },
        Action::RemoveImage { image } => Expect::ImageGone {
            image: image.clone(),
        },
        Action::Edit { path } => Expect::FileChanged { path: path.clone() },
        Action::Doctor
        | Action::CopyAssets { .. }
        | Action::Http { .. }
        | Action::Changes { .. }
        | Action::SaveImageId { .. }
        | Action::Kernel { .. }
        | Action::ShowFile { .. } => return Watched::ByLayerlab,
        Action::Layers { .. } | Action::Lab { .. } | Action::Load { .. } => {
            return Watched::NotWatched;
        }
    };
    Watched::Expect(expect)
}

/// The lesson container names an expectation refers to (validated against
/// the pack's `run` actions).
pub fn containers(expect: &Expect) -> Vec<&str> {
    match expect {
        Expect::ContainerRunning { name, .. } => vec![name],
        Expect::ContainerStopped { container }
        | Expect::ContainerAbsent { container }
        | Expect::ExecSeen { container } => vec![container],
        _ => Vec::new(),
    }
}
