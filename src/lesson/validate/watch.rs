//! The validator's checks for watched steps (`expect:` and `hints:`), kept
//! apart from the rest so the two can change without stepping on each other.

use std::collections::BTreeSet;

use super::StepChecks;
use crate::lesson::model::StepKind;
use crate::lesson::watch_model::Expect;
use crate::lesson::watching::{Watched, watched};
use crate::lesson::yaml::YamlPath;

impl StepChecks<'_, '_, '_> {
    pub(super) fn watch(&mut self) {
        let step = self.step;
        if step.expect.is_some() && step.kind != StepKind::Action {
            let path = self.path().key("expect");
            self.error_at(
                &path,
                format!(
                    "`expect` belongs to action steps (what the learner's own commands reach); \
                     this is {} step",
                    super::with_article(super::kind_name(step.kind))
                ),
            );
        }
        if let Some(expect) = &step.expect {
            let base = self.path().key("expect");
            self.expect(&base, expect);
        }
        if !step.hints.is_empty() && !matches!(step.kind, StepKind::Action | StepKind::Check) {
            let path = self.path().key("hints");
            self.error_at(
                &path,
                "`hints` belong to action and check steps (the watcher shows them while the \
                 step is open)"
                    .to_string(),
            );
        }
        let mut seen = BTreeSet::new();
        for (index, hint) in step.hints.iter().enumerate() {
            if !seen.insert(hint.when) {
                let path = self.path().key("hints").index(index).key("when");
                self.error_at(
                    &path,
                    "a second hint for the same state in one step: merge their texts".to_string(),
                );
            }
        }
        if !step.hints.is_empty()
            && matches!(watched(step), Watched::NotWatched | Watched::ByLayerlab)
        {
            let path = self.path().key("hints");
            self.error_at(
                &path,
                "this step is not watched (optional, or done by layerlab), so its hints would \
                 never show"
                    .to_string(),
            );
        }
    }

    fn expect(&mut self, base: &YamlPath, expect: &Expect) {
        let variant = |name: &str| base.key(name);
        match expect {
            Expect::LearnerImage { page, at, runs } => {
                let path = variant("learner_image");
                self.workspace_path(&path.key("page"), page, true);
                if !at.starts_with('/') {
                    self.error_at(
                        &path.key("at"),
                        format!("`at` is a path inside the image and starts with `/`, not `{at}`"),
                    );
                }
                if runs.trim().is_empty() {
                    self.error_at(
                        &path.key("runs"),
                        "`runs` names the program the image's command starts (e.g. nginx)"
                            .to_string(),
                    );
                }
            }
            Expect::ContainerRunning { name, port, .. } => {
                let path = variant("container_running");
                self.container(&path.key("name"), name);
                if let Some(port) = port {
                    self.port(&path.key("port"), name, *port);
                }
            }
            Expect::ContainerStopped { container } => {
                self.container(&variant("container_stopped").key("container"), container)
            }
            Expect::ContainerAbsent { container } => {
                self.container(&variant("container_absent").key("container"), container)
            }
            Expect::ExecSeen { container } => {
                self.container(&variant("exec_seen").key("container"), container)
            }
            Expect::FileChanged { path: file } => {
                let path = variant("file_changed").key("path");
                self.workspace_path(&path, file, true);
            }
            Expect::TaggedFor {
                save_as: Some(name),
                ..
            } if placeholders_builtin(name) => {
                self.error_at(
                    &variant("tagged_for").key("save_as"),
                    format!(
                        "save_as `{name}` would replace a value layerlab fills in itself; pick another name"
                    ),
                );
            }
            Expect::TaggedFor { registry, .. } | Expect::PushedTo { registry } => {
                if registry.trim().is_empty() {
                    let name = if matches!(expect, Expect::TaggedFor { .. }) {
                        "tagged_for"
                    } else {
                        "pushed_to"
                    };
                    self.error_at(
                        &variant(name).key("registry"),
                        "`registry` may not be empty (e.g. \"{registry}\")".to_string(),
                    );
                }
            }
            Expect::ImagePresent { .. } | Expect::ImageGone { .. } | Expect::Layerlab => {}
        }
    }
}

fn placeholders_builtin(name: &str) -> bool {
    crate::lesson::placeholders::BUILTIN.contains(&name) || name.starts_with("port.")
}
