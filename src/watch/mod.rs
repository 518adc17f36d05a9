//! Watching the learner work: the learner types the real `docker` commands
//! in their own terminal, and a step turns done by itself when the daemon
//! (or the workspace) reaches the state the step expects. A known mistake
//! found on the way gives a hint, in the learner's language.
//!
//! [`Watcher::evaluate`] looks at one step once; [`triggers::Triggers`]
//! says when to look again (a daemon event, a changed workspace file), so
//! nothing is polled faster than once a second and nothing runs when no step
//! is open. The TUI's worker and `layerlab watch` drive both.
//!
//! Check steps and the harmless steps only layerlab does (copying the
//! template, fetching a page) go through the runner, so a check means the
//! same thing watched as it does in `layerlab run`.

pub mod hints;
pub mod learner;
mod pushes;
pub mod session;
pub mod triggers;

use std::collections::{BTreeMap, BTreeSet};

use tokio_util::sync::CancellationToken;

use crate::docker::client::ContainerSummary;
use crate::docker::error::DockerError;
use crate::docker::model::short_id;
use crate::i18n::Lang;
use crate::lesson::watch_model::{Expect, HintWhen};
use crate::lesson::watching::{Watched, watched};
use crate::lesson::{Action, Check, Lesson, Step};
use crate::progress::{By, PUSHED_VAR};
use crate::runner::Runner;
use crate::tr;

pub use hints::HintFound;

/// How long a container that has just started must stay up to count as
/// running (a daemonising command exits within this).
const SETTLE: std::time::Duration = std::time::Duration::from_millis(600);
pub use learner::{Found, ImageCache, Recipe};

/// What one look at a step found.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub satisfied: bool,
    /// What was seen (✔ line) or what is still missing.
    pub message: String,
    /// Names later steps use: `container.web`, `port.web`, saved values.
    pub vars: BTreeMap<String, String>,
    /// Who did it: the learner, or layerlab for the steps only it does.
    pub by: Option<By>,
    pub hints: Vec<HintFound>,
    /// What the step produced to show (a page, a diff), for the TUI.
    pub output: Vec<String>,
}

/// The watcher's state across looks: the runner (its client, vars and the
/// containers it knows by lesson name), what it learned about images, the
/// execs seen while a step was open.
pub struct Watcher {
    pub runner: Runner,
    pub cache: ImageCache,
    /// The learner's image, once found.
    pub learner: Option<Found>,
    /// Container ids a `docker exec` finished in since the open step was opened.
    execs: BTreeSet<String>,
    /// When the open step was opened (Unix nanoseconds, the daemon's clock
    /// on the same host): an exec event stamped earlier is not the learner's
    /// answer to it.
    opened_at: i64,
    /// Image ids the daemon reported tagged while watching, latest last.
    tagged: Vec<String>,
    /// Pushes seen, and what the registry said (see `pushes.rs`).
    pushes: pushes::Pushes,
    lang: Lang,
    max_layers: Option<u32>,
}

/// Facts gathered while evaluating a step, for its hints.
#[derive(Debug, Default)]
struct Seen {
    /// The container the step is about (running or not).
    container: Option<ContainerSummary>,
    /// The container port the step wants published.
    port: Option<u16>,
    /// The image the step is about (id), for `container_exited`.
    image_id: Option<String>,
}

impl Watcher {
    pub fn new(runner: Runner, lang: Lang) -> Watcher {
        let max_layers = runner.pack.manifest.defaults.max_layers;
        Watcher {
            runner,
            cache: ImageCache::default(),
            learner: None,
            execs: BTreeSet::new(),
            opened_at: 0,
            tagged: Vec::new(),
            pushes: pushes::Pushes::default(),
            lang,
            max_layers,
        }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// A step was opened: what happened before does not count for it.
    pub fn open_step(&mut self) {
        self.execs.clear();
        self.opened_at = session::now_nanos();
    }

    /// A daemon event: remember finished execs (for `exec_seen`).
    pub fn note_event(&mut self, event: &crate::docker::model::DockerEvent) {
        // Events arrive after the fact: the exec layerlab itself ran for the
        // step just done (a check's `test -d /boot`, `uname -r`) is reported
        // once the next step is open, and must not tick it. An event without
        // a time (0) is taken as new.
        let before = event.time_nanos > 0 && event.time_nanos <= self.opened_at;
        // Only a finished command counts (`exec_die`, Engine 20.10 and 28
        // alike): on `exec_create` the learner's command has not run yet, and
        // the check after the step (is the file there?) would look too early
        // and then wait for an event that never comes.
        if event.kind == "container" && event.action.starts_with("exec_die") && !before {
            self.execs.insert(event.actor_id.clone());
        }
        if event.kind == "image" && event.action == "push" {
            self.pushes.pushed(
                &event.actor_id,
                event.attributes.get("name").map(String::as_str),
            );
        }
        if event.kind == "image" && event.action == "tag" && !event.actor_id.is_empty() {
            self.tagged.retain(|id| id != &event.actor_id);
            self.tagged.push(event.actor_id.clone());
            // A short memory is enough: only the latest few matter.
            if self.tagged.len() > 16 {
                self.tagged.remove(0);
            }
        }
    }

    /// How to recognise the learner's image: the pack's `learner_image`
    /// expectation, with the workspace page made absolute.
    pub fn recipe(&self) -> Option<Recipe> {
        self.runner.pack.lessons.iter().find_map(|lesson| {
            lesson.steps.iter().find_map(|step| match &step.expect {
                Some(Expect::LearnerImage { page, at, runs }) => Some(Recipe {
                    page_file: self.runner.workspace.join(page),
                    at: at.clone(),
                    runs: runs.clone(),
                }),
                _ => None,
            })
        })
    }

    /// Images the lessons name for something else (the naive build, a
    /// commit): never the learner's image.
    async fn other_images(&self) -> BTreeSet<String> {
        let mut ids = BTreeSet::new();
        for lesson in &self.runner.pack.lessons {
            for step in &lesson.steps {
                let tag = match &step.action {
                    Some(Action::Build { tag, .. }) | Some(Action::Commit { tag, .. }) => tag,
                    _ => continue,
                };
                if tag.contains("{image}") {
                    continue;
                }
                let Ok(name) = self.runner.fill(tag) else {
                    continue;
                };
                if let Ok(Some(info)) = self.runner.docker.inspect_image(&name).await {
                    ids.insert(info.id);
                }
            }
        }
        ids
    }

    /// Look for the learner's image again (a rebuild replaces it) and point
    /// `{image}` at it. Returns it when found.
    pub async fn refresh_learner(&mut self) -> Option<Found> {
        let recipe = self.recipe()?;
        let others = self.other_images().await;
        let mut preferred: Vec<String> = self.tagged.iter().rev().map(full_id).collect();
        if let Some(name) = self.runner.state.vars.get("image")
            && let Ok(Some(info)) = self.runner.docker.inspect_image(name).await
        {
            preferred.push(info.id);
        }
        match self
            .cache
            .find(&self.runner.docker, &recipe, &others, &preferred)
            .await
        {
            Ok(Some((mut found, _))) => {
                // The name the learner gave it before, when it still has it:
                // the order of an image's tags is the store's, not the learner's.
                if let Some(known) = self.runner.state.vars.get("image")
                    && found.tags.contains(known)
                {
                    found.tag = Some(known.clone());
                }
                let name = found.tag.clone().unwrap_or_else(|| found.id.clone());
                self.runner.state.vars.insert("image".into(), name.clone());
                if let Some(tag) = &found.tag {
                    self.runner
                        .state
                        .vars
                        .insert("image_repo".into(), crate::runner::repository_of(tag));
                }
                self.learner = Some(found.clone());
                Some(found)
            }
            Ok(None) => self.learner.clone(),
            Err(e) => {
                tracing::debug!("watch: no image list: {e}");
                self.learner.clone()
            }
        }
    }

    /// Look at `step` once: is its state reached, and what mistakes show.
    pub async fn evaluate(&mut self, lesson: &Lesson, step: &Step) -> Evaluation {
        self.refresh_learner().await;
        let mut seen = Seen::default();
        let mut evaluation = match watched(step) {
            Watched::NotWatched => Evaluation {
                satisfied: true,
                by: Some(By::Learner),
                ..Default::default()
            },
            Watched::ByLayerlab => self.by_layerlab(lesson, step).await,
            Watched::Check(check) => self.check(lesson, step, &check, &mut seen).await,
            Watched::Expect(expect) => self.expect(&expect, &mut seen).await,
        };
        evaluation.hints = hints::find(self, step, &seen).await;
        evaluation
    }

    async fn by_layerlab(&mut self, lesson: &Lesson, step: &Step) -> Evaluation {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let outcome = self.runner.run_step(lesson, step, &tx, &cancel).await;
        drop(tx);
        while rx.try_recv().is_ok() {}
        Evaluation {
            satisfied: outcome.ok(),
            message: outcome.summary.get(self.lang).to_string(),
            vars: outcome.vars.clone(),
            by: Some(By::Layerlab),
            hints: Vec::new(),
            output: outcome
                .output
                .iter()
                .map(|line| line.get(self.lang).to_string())
                .collect(),
        }
    }

    async fn check(
        &mut self,
        lesson: &Lesson,
        step: &Step,
        check: &Check,
        seen: &mut Seen,
    ) -> Evaluation {
        if let Check::PushedMatches { image } = check {
            // Watched, the digests the daemon keeps decide: pulling on every
            // event would make events of its own.
            return self.pushed(image, seen).await;
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let outcome = self.runner.run_step(lesson, step, &tx, &cancel).await;
        drop(tx);
        while rx.try_recv().is_ok() {}
        Evaluation {
            satisfied: outcome.ok(),
            message: outcome.summary.get(self.lang).to_string(),
            vars: outcome.vars.clone(),
            by: Some(By::Learner),
            hints: Vec::new(),
            output: outcome
                .output
                .iter()
                .map(|line| line.get(self.lang).to_string())
                .collect(),
        }
    }

    fn fill(&self, text: &str) -> Result<String, String> {
        self.runner
            .fill(text)
            .map_err(|fail| fail.message.get(self.lang).to_string())
    }

    fn waiting(message: String) -> Evaluation {
        Evaluation {
            message,
            ..Default::default()
        }
    }

    fn done(&self, message: String) -> Evaluation {
        Evaluation {
            satisfied: true,
            message,
            by: Some(By::Learner),
            ..Default::default()
        }
    }

    /// The actual container the lesson calls `name`: the learner's, once
    /// found, else the name as shown.
    fn bound_name(&self, name: &str) -> String {
        self.runner
            .state
            .vars
            .get(&format!("container.{name}"))
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }

    /// Container ids bound to lesson names other than `name`.
    fn bound_elsewhere(&self, name: &str) -> BTreeSet<String> {
        let mut ids = BTreeSet::new();
        for (key, value) in &self.runner.state.vars {
            if let Some(other) = key.strip_prefix("container.")
                && other != name
            {
                ids.insert(value.clone());
            }
        }
        for (other, id) in &self.runner.state.containers {
            if other != name {
                ids.insert(id.clone());
            }
        }
        ids
    }

    async fn containers(&self) -> Result<Vec<ContainerSummary>, DockerError> {
        self.runner.docker.list_all_containers().await
    }

    async fn expect(&mut self, expect: &Expect, seen: &mut Seen) -> Evaluation {
        let lang = self.lang();
        match self.expect_inner(expect, seen).await {
            Ok(evaluation) => evaluation,
            Err(message) => Self::waiting(tr!(lang, "не видно: {message}", "not seen: {message}")),
        }
    }

    // one piece: one arm per expected state, each a few lines
    async fn expect_inner(
        &mut self,
        expect: &Expect,
        seen: &mut Seen,
    ) -> Result<Evaluation, String> {
        let lang = self.lang();
        let err = |e: DockerError| e.render(lang);
        match expect {
            Expect::LearnerImage { .. } => Ok(match &self.learner {
                Some(found) => {
                    let name = found.tag.clone().unwrap_or_else(|| short_id(&found.id));
                    seen.image_id = Some(found.id.clone());
                    self.done(tr!(
                        lang,
                        "ваш образ собран: {name} ({})",
                        "your image is built: {name} ({})",
                        short_id(&found.id)
                    ))
                }
                None => Self::waiting(tr!(
                    lang,
                    "ещё нет образа, собранного из рабочей папки",
                    "no image built from the workspace yet"
                )),
            }),
            Expect::ContainerRunning { name, image, port } => {
                self.container_running(name, image.as_deref(), *port, seen)
                    .await
            }
            Expect::ContainerStopped { container } => {
                let actual = self.bound_name(container);
                let list = self.containers().await.map_err(err)?;
                let found = list.iter().find(|c| c.name == actual || c.id == actual);
                seen.container = found.cloned();
                Ok(match found {
                    Some(c) if !c.running() => self.done(tr!(
                        lang,
                        "контейнер {actual} остановлен",
                        "container {actual} is stopped"
                    )),
                    Some(_) => Self::waiting(tr!(
                        lang,
                        "контейнер {actual} ещё работает",
                        "container {actual} still runs"
                    )),
                    None => Self::waiting(tr!(
                        lang,
                        "нет контейнера {actual}",
                        "no container {actual}"
                    )),
                })
            }
            Expect::ContainerAbsent { container } => {
                let actual = self.bound_name(container);
                let list = self.containers().await.map_err(err)?;
                let bound_id = self.runner.state.containers.get(container).cloned();
                let present = list.iter().any(|c| {
                    c.name == actual || c.id == actual || Some(&c.id) == bound_id.as_ref()
                });
                Ok(if present {
                    Self::waiting(tr!(
                        lang,
                        "контейнер {actual} ещё есть",
                        "container {actual} still exists"
                    ))
                } else {
                    self.runner.state.containers.remove(container);
                    self.done(tr!(
                        lang,
                        "контейнера {actual} больше нет",
                        "container {actual} is gone"
                    ))
                })
            }
            Expect::ExecSeen { container } => {
                let actual = self.bound_name(container);
                let list = self.containers().await.map_err(err)?;
                let id = list
                    .iter()
                    .find(|c| c.name == actual || c.id == actual)
                    .map(|c| c.id.clone());
                Ok(match id {
                    Some(id) if self.execs.contains(&id) => self.done(tr!(
                        lang,
                        "команда выполнена в {actual}",
                        "a command ran in {actual}"
                    )),
                    _ => Self::waiting(tr!(
                        lang,
                        "ждём `docker exec {actual} …`",
                        "waiting for `docker exec {actual} …`"
                    )),
                })
            }
            Expect::ImagePresent { image } => {
                let image = self.fill(image)?;
                let info = self
                    .runner
                    .docker
                    .inspect_image(&image)
                    .await
                    .map_err(err)?;
                Ok(match info {
                    Some(info) => self.done(tr!(
                        lang,
                        "образ есть: {image} ({})",
                        "image present: {image} ({})",
                        short_id(&info.id)
                    )),
                    None => Self::waiting(tr!(lang, "нет образа {image}", "no image {image}")),
                })
            }
            Expect::ImageGone { image } => {
                let image = self.fill(image)?;
                let info = self
                    .runner
                    .docker
                    .inspect_image(&image)
                    .await
                    .map_err(err)?;
                Ok(match info {
                    None => self.done(tr!(lang, "образа {image} нет", "image {image} is gone")),
                    Some(_) => Self::waiting(tr!(
                        lang,
                        "образ {image} ещё есть",
                        "image {image} is still there"
                    )),
                })
            }
            Expect::TaggedFor { registry, save_as } => {
                let registry = self.fill(registry)?;
                let prefix = crate::runner::repository_of(&registry);
                let tagged = self.learner.as_ref().and_then(|found| {
                    found
                        .tags
                        .iter()
                        .find(|t| under(&crate::runner::repository_of(t), &prefix))
                        .cloned()
                });
                Ok(match tagged {
                    Some(tag) => {
                        let mut done = self.done(tr!(
                            lang,
                            "ваш образ назван для реестра: {tag}",
                            "your image has a name for the registry: {tag}"
                        ));
                        // The name the learner chose: the later steps' commands
                        // (push, rmi, pull, run) use it.
                        if let Some(name) = save_as {
                            done.vars.insert(name.clone(), tag);
                        }
                        done
                    }
                    None => Self::waiting(tr!(
                        lang,
                        "у вашего образа нет имени в {prefix}",
                        "your image has no name under {prefix}"
                    )),
                })
            }
            Expect::PushedTo { registry } => Ok(self.pushed(registry, seen).await),
            Expect::FileChanged { path } => {
                let path = self.fill(path)?;
                let file = self.runner.workspace.join(&path);
                let Ok(now) = std::fs::read(&file) else {
                    return Ok(Self::waiting(tr!(
                        lang,
                        "нет файла {}",
                        "no file {}",
                        file.display()
                    )));
                };
                Ok(match template_of(&self.runner.pack, &path) {
                    Some(template) if template == now => Self::waiting(tr!(
                        lang,
                        "файл {path} ещё не изменён",
                        "the file {path} is not changed yet"
                    )),
                    _ => self.done(tr!(
                        lang,
                        "файл {path} изменён",
                        "the file {path} is changed"
                    )),
                })
            }
            Expect::Layerlab => Ok(self.done(String::new())),
        }
    }

    async fn container_running(
        &mut self,
        name: &str,
        image: Option<&str>,
        port: Option<u16>,
        seen: &mut Seen,
    ) -> Result<Evaluation, String> {
        let lang = self.lang();
        let err = |e: DockerError| e.render(lang);
        let image_id = match image {
            Some(image) => {
                let image = self.fill(image)?;
                match self
                    .runner
                    .docker
                    .inspect_image(&image)
                    .await
                    .map_err(err)?
                {
                    Some(info) => Some(info.id),
                    None => {
                        return Ok(Self::waiting(tr!(
                            lang,
                            "нет образа {image}",
                            "no image {image}"
                        )));
                    }
                }
            }
            None => None,
        };
        seen.image_id = image_id.clone();
        seen.port = port;
        let list = self.containers().await.map_err(err)?;
        let elsewhere = self.bound_elsewhere(name);
        let shown = self.bound_name(name);
        let mut candidates: Vec<&ContainerSummary> = list
            .iter()
            .filter(|c| !elsewhere.contains(&c.id) && !elsewhere.contains(&c.name))
            .filter(|c| match &image_id {
                Some(id) => &c.image_id == id,
                None => c.name == shown || self.runner.state.containers.get(name) == Some(&c.id),
            })
            .collect();
        // The name the text uses first, then running ones, then the newest
        // (the list comes newest first).
        candidates.sort_by_key(|c| (c.name != shown, !c.running()));
        let Some(best) = candidates.first() else {
            return Ok(Self::waiting(tr!(
                lang,
                "нет контейнера из этого образа",
                "no container of this image"
            )));
        };
        let mut best = (*best).clone();
        if best.running() && best.status.contains("Less than a second") {
            // Just started: a container whose command goes to the background
            // (nginx without `daemon off;`) is up for a moment and then
            // gone; look once more before calling it running.
            tokio::time::sleep(SETTLE).await;
            let again = self.containers().await.map_err(err)?;
            match again.into_iter().find(|c| c.id == best.id) {
                Some(now) => best = now,
                None => {
                    return Ok(Self::waiting(tr!(
                        lang,
                        "контейнер {} исчез",
                        "container {} is gone",
                        best.name
                    )));
                }
            }
        }
        let best = &best;
        seen.container = Some(best.clone());
        if !best.running() {
            return Ok(Self::waiting(tr!(
                lang,
                "контейнер {} не работает ({})",
                "container {} is not running ({})",
                best.name,
                best.state
            )));
        }
        let mut evaluation = self.done(String::new());
        if let Some(port) = port {
            let Some(published) = best.ports.iter().find(|p| p.container == port) else {
                return Ok(Self::waiting(tr!(
                    lang,
                    "контейнер {} работает, но порт {port} не опубликован",
                    "container {} runs, but port {port} is not published",
                    best.name
                )));
            };
            evaluation
                .vars
                .insert(format!("port.{name}"), published.host.to_string());
            evaluation
                .vars
                .insert(format!("port.{name}.{port}"), published.host.to_string());
            evaluation.message = tr!(
                lang,
                "контейнер {} работает: {}:{} → {port}",
                "container {} runs: {}:{} → {port}",
                best.name,
                if published.host_ip.is_empty() {
                    "0.0.0.0"
                } else {
                    &published.host_ip
                },
                published.host
            );
        } else {
            evaluation.message = tr!(
                lang,
                "контейнер {} работает",
                "container {} runs",
                best.name
            );
        }
        evaluation
            .vars
            .insert(format!("container.{name}"), best.name.clone());
        self.runner
            .state
            .containers
            .insert(name.to_string(), best.id.clone());
        self.runner.state.vars.extend(evaluation.vars.clone());
        Ok(evaluation)
    }

    /// The learner's image (or the one named) was pushed under `target`
    /// (how that is seen on each image store: `pushes.rs`).
    async fn pushed(&mut self, target: &str, seen: &mut Seen) -> Evaluation {
        let lang = self.lang();
        let target = match self.fill(target) {
            Ok(t) => t,
            Err(e) => return Self::waiting(e),
        };
        let prefix = crate::runner::repository_of(&target);
        let images = match self.runner.docker.list_all_images().await {
            Ok(images) => images,
            Err(e) => return Self::waiting(e.render(lang)),
        };
        seen.image_id = self.learner.as_ref().map(|f| f.id.clone());
        match self.push_seen(&prefix, &images).await {
            Some((message, pushed_as)) => {
                let mut done = self.done(message);
                // What `check` and the report verify against the registry,
                // as the push step of "do it for me" records it.
                done.vars.insert(PUSHED_VAR.into(), pushed_as);
                done
            }
            None => Self::waiting(tr!(
                lang,
                "ваш образ ещё не опубликован в {prefix}",
                "your image is not pushed to {prefix} yet"
            )),
        }
    }
}

/// Event actors name images by full id, with or without `sha256:`.
fn full_id(id: &String) -> String {
    if id.starts_with("sha256:") {
        id.clone()
    } else {
        format!("sha256:{id}")
    }
}

/// `repo` is `prefix` or lies under it (`127.0.0.1:5000/me/x` under `127.0.0.1:5000`).
fn under(repo: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    !prefix.is_empty() && (repo == prefix || repo.starts_with(&format!("{prefix}/")))
}

/// The asset a workspace file was copied from, by the pack's `copy_assets`.
pub fn template_of(pack: &crate::lesson::loader::Pack, workspace_path: &str) -> Option<Vec<u8>> {
    pack.template_of(workspace_path).map(<[u8]>::to_vec)
}

/// The hint kinds a step can show, for the docs and tests.
pub fn hint_kinds(step: &Step) -> Vec<HintWhen> {
    step.hints.iter().map(|h| h.when).collect()
}

/// Text from the daemon (log lines, names) made safe for a terminal:
/// control characters become `?`, so a container cannot drive the screen.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_prefixes() {
        assert!(under("127.0.0.1:5000/me/nginx", "127.0.0.1:5000"));
        assert!(under("127.0.0.1:5000/me/nginx", "127.0.0.1:5000/me/nginx"));
        assert!(!under("127.0.0.1:50001/me", "127.0.0.1:5000"));
        assert!(!under("anything", ""));
    }
}
