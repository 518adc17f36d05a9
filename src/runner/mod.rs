//! Carrying out lesson steps against the daemon. The same code serves the
//! TUI (through the Docker worker) and the headless `layerlab run`, so what a
//! teacher checks with `run` is what a student gets in the UI.

mod act;
mod check;
pub mod confine;
pub mod explain;
pub mod settings;

pub use explain::{MIRROR_BASE, explain};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::docker::client::Docker;
use crate::docker::error::DockerError;
use crate::docker::model::{ChangeKind, Progress};
use crate::i18n::{Lang, Text};
use crate::lesson::loader::Pack;
use crate::lesson::{Action, Lesson, Step, StepKind};
use crate::runner::settings::Settings;
use crate::{t, tr};
use explain::no_image;

/// How long a page fetch may keep retrying while nginx starts.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Output lines kept for display per step.
const OUTPUT_LINES: usize = 40;

/// Whether doing this step asks anything of the daemon (or of a slow job):
/// prose and file steps are just read.
pub fn needs_daemon(step: &Step) -> bool {
    matches!(step.kind, StepKind::Action | StepKind::Check)
        && !matches!(step.action, Some(Action::Edit { .. }))
}

/// What the runner remembers between steps: placeholder values, and the
/// containers it started (by the lesson's name for them).
#[derive(Debug, Clone, Default)]
pub struct RunState {
    pub vars: BTreeMap<String, String>,
    pub containers: BTreeMap<String, String>,
}

pub struct Runner {
    pub docker: Docker,
    pub pack: std::sync::Arc<Pack>,
    pub state: RunState,
    /// Steps marked `confirm: true` run only when the learner said yes.
    pub confirmed: bool,
    pub workspace: PathBuf,
    /// Credentials the learner typed in the UI, by registry host; memory only.
    pub credentials: BTreeMap<String, crate::docker::credentials::Credentials>,
}

/// How a lesson step ended. Its words travel in both languages and are
/// chosen when drawn, so a language switch re-renders results that came
/// before it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepOutcome {
    /// One line: what was verified, or what failed and what to do.
    pub summary: Text,
    /// What the step produced to show (a page, command output, a table).
    pub output: Vec<Text>,
    /// Values later steps use (`{port.web}`, saved image ids).
    pub vars: BTreeMap<String, String>,
    /// `None` when the step passed.
    pub error: Option<StepError>,
}

impl StepOutcome {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }

    pub fn passed(summary: impl Into<Text>) -> StepOutcome {
        StepOutcome {
            summary: summary.into(),
            output: Vec::new(),
            vars: BTreeMap::new(),
            error: None,
        }
    }

    pub fn failed(summary: impl Into<Text>, error: StepError) -> StepOutcome {
        StepOutcome {
            summary: summary.into(),
            output: Vec::new(),
            vars: BTreeMap::new(),
            error: Some(error),
        }
    }
}

/// Why a step did not pass, as far as the UI acts on it; the words are in
/// the outcome's `summary`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepError {
    /// The registry (host) refused the credentials: the UI offers to type
    /// them and redo the step.
    Refused { registry: String },
    /// The daemon stopped answering while the step ran.
    DaemonLost { endpoint: String },
    /// The learner cancelled it.
    Cancelled,
    /// Anything else; the summary says what and what to do.
    Failed,
}

/// A step's failure on its way out of the runner: the words and the kind.
#[derive(Debug, Clone)]
pub struct Fail {
    pub message: Text,
    pub error: StepError,
}

impl From<Text> for Fail {
    fn from(message: Text) -> Fail {
        Fail {
            message,
            error: StepError::Failed,
        }
    }
}

impl From<crate::i18n::UiText> for Fail {
    fn from(message: crate::i18n::UiText) -> Fail {
        Fail::from(Text::from(message))
    }
}

/// A Docker error as the learner reads it (with its fix), and a refused
/// login as the structure the UI answers with a prompt.
fn docker_fail(e: &DockerError, endpoint: &str) -> Fail {
    let error = match e {
        // No login and a refused login both lead to the password prompt.
        DockerError::Registry(r) if r.wants_login().is_some() => StepError::Refused {
            registry: r.wants_login().unwrap_or_default().to_string(),
        },
        e if e.is_cancelled() => StepError::Cancelled,
        _ => StepError::Failed,
    };
    Fail {
        message: Text::from_fn(|lang| explain(e, endpoint, lang)),
        error,
    }
}

/// Where container names start; `LAYERLAB_CONTAINER_PREFIX` changes it so
/// two runs on one daemon (a teacher checking several packs, parallel tests)
/// cannot take each other's `web`.
pub const CONTAINER_PREFIX_VAR: &str = "LAYERLAB_CONTAINER_PREFIX";

/// A prefix set by the program itself (the self-test's own names), taking
/// the place of the environment's; set once, before any container starts.
static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Name this process's containers `PREFIX-NAME` (`layerlab validate
/// --prove` uses one of its own so it never meets a learner's `layerlab-web`).
pub fn use_container_prefix(prefix: &str) {
    let _ = PREFIX.set(prefix.to_string());
}

/// The container name a lesson's `name: web` gets on the daemon.
pub fn container_name(name: &str) -> String {
    if let Some(prefix) = PREFIX.get() {
        return format!("{prefix}-{name}");
    }
    let prefix = std::env::var(CONTAINER_PREFIX_VAR)
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "layerlab".to_string());
    format!("{prefix}-{name}")
}

impl Runner {
    /// Fill `{var}` placeholders (the same rules the validator checks);
    /// an unknown one is an error naming it.
    pub fn fill(&self, text: &str) -> Result<String, Fail> {
        let value = |name: &str| {
            self.state.vars.get(name).cloned().or_else(|| {
                // container.NAME: the learner's own container when the
                // watcher found one, else the one `run` starts.
                name.strip_prefix("container.").map(container_name)
            })
        };
        crate::lesson::placeholders::fill(text, value).map_err(|name| {
            Fail::from(Text::from_fn(|lang| {
                tr!(
                    lang,
                    "нет значения для {{{name}}}",
                    "no value for {{{name}}}"
                )
            }))
        })
    }

    /// The image, or the learner-facing "no image X" when it is absent.
    async fn image(&self, reference: &str) -> Result<crate::docker::model::ImageInfo, Fail> {
        self.docker
            .inspect_image(reference)
            .await
            .map_err(|e| self.fail(e))?
            .ok_or_else(|| Fail::from(Text::from_fn(|lang| no_image(reference, lang))))
    }

    /// A Docker error from this runner's daemon, as the learner reads it.
    fn fail(&self, e: DockerError) -> Fail {
        self.fail_ref(&e)
    }

    fn fail_ref(&self, e: &DockerError) -> Fail {
        docker_fail(e, &self.docker.endpoint().url)
    }

    fn lesson_labels(&self, lesson: &Lesson) -> BTreeMap<String, String> {
        BTreeMap::from([(
            crate::docker::model::LESSON_LABEL.to_string(),
            lesson.id.clone(),
        )])
    }

    /// The container id for the lesson's name: the one we started, else a
    /// managed container with the derived name (after a restart).
    async fn container(&mut self, name: &str) -> Result<String, Fail> {
        if let Some(id) = self.state.containers.get(name) {
            return Ok(id.clone());
        }
        // The learner's own container for this lesson name, found by the watcher.
        let actual = self
            .state
            .vars
            .get(&format!("container.{name}"))
            .cloned()
            .unwrap_or_else(|| container_name(name));
        let details = match self.docker.inspect_container(&actual).await {
            Ok(details) => details,
            // Docker's own advice ("start the step again") is wrong here: a
            // check or a later step needs a container an earlier step starts.
            Err(DockerError::ContainerNotFound { .. }) => {
                return Err(Fail::from(Text::from_fn(|lang| {
                    crate::tr!(
                        lang,
                        "контейнера {name} нет: его запускает один из предыдущих шагов урока — выполните тот шаг снова",
                        "there is no container {name}: an earlier step of the lesson starts it; do that step again"
                    )
                })));
            }
            Err(e) => return Err(self.fail(e)),
        };
        self.state
            .containers
            .insert(name.to_string(), details.id.clone());
        Ok(details.id)
    }

    /// Do one step. Never panics and never returns early without an outcome:
    /// a failure is an outcome with `ok: false` and the reason.
    pub async fn run_step(
        &mut self,
        lesson: &Lesson,
        step: &Step,
        progress: &UnboundedSender<Progress>,
        cancel: &CancellationToken,
    ) -> StepOutcome {
        let result = match (step.kind, &step.action, &step.check) {
            (StepKind::Action, Some(action), _) => {
                let job = act::Job {
                    lesson,
                    progress,
                    cancel,
                };
                self.act(job, action, step).await
            }
            (StepKind::Check, _, Some(check)) => self.check(check, cancel).await,
            _ => Ok(Done::new(t!("прочитано", "read"))),
        };
        match result {
            Ok(done) => StepOutcome {
                summary: done.message,
                output: done.output,
                vars: done.vars,
                error: None,
            },
            Err(fail) => StepOutcome::failed(fail.message, fail.error),
        }
    }

    /// What the learner typed for this image's registry, if anything;
    /// otherwise the docker layer uses `docker login`'s stored credentials.
    fn typed_credentials(&self, image: &str) -> Option<crate::docker::credentials::Credentials> {
        let host = crate::docker::reference::ImageRef::parse(image).ok()?;
        self.credentials.get(host.registry_host()).cloned()
    }

    /// A managed container left with the same name (a crash, an earlier
    /// attempt) is ours to replace; anything unlabelled is not touched.
    async fn remove_stale(&mut self, name: &str) -> Result<(), Fail> {
        self.state.containers.remove(name);
        match self.docker.inspect_container(&container_name(name)).await {
            Ok(details)
                if details
                    .labels
                    .get(crate::docker::model::MANAGED_LABEL)
                    .is_some_and(|v| v == "true") =>
            {
                self.docker
                    .remove_container(&details.id)
                    .await
                    .map_err(|e| self.fail(e))
            }
            Ok(_) => {
                let taken = container_name(name);
                Err(Fail::from(Text::from_fn(|lang| {
                    tr!(
                        lang,
                        "контейнер `{taken}` уже есть и создан не layerlab: переименуйте или удалите его сами",
                        "a container named `{taken}` exists and was not made by layerlab: rename or remove it yourself"
                    )
                })))
            }
            Err(DockerError::ContainerNotFound { .. }) => Ok(()),
            Err(e) => Err(self.fail(e)),
        }
    }

    async fn fetch(
        &mut self,
        container: &str,
        port: u16,
        path: &str,
    ) -> Result<(u16, String), Fail> {
        let id = self.container(container).await?;
        let details = self
            .docker
            .inspect_container(&id)
            .await
            .map_err(|e| self.fail(e))?;
        let host_port = details
            .ports
            .iter()
            .find(|(inner, _)| *inner == port)
            .map(|(_, host)| *host)
            .ok_or_else(|| {
                Fail::from(Text::from_fn(|lang| {
                    tr!(
                        lang,
                        "{container}: порт {port} не опубликован",
                        "{container}: port {port} is not published"
                    )
                }))
            })?;
        let response = self
            .docker
            .http_get(host_port, &self.fill(path)?, HTTP_TIMEOUT)
            .await
            .map_err(|e| self.fail(e))?;
        Ok((
            response.status,
            String::from_utf8_lossy(&response.body).into_owned(),
        ))
    }

    /// Remove the containers this runner started (the headless run's tidy-up).
    pub async fn remove_started_containers(&mut self) -> Vec<String> {
        let mut failures = Vec::new();
        for (name, id) in std::mem::take(&mut self.state.containers) {
            if let Err(e) = self.docker.remove_container(&id).await
                && !matches!(e, DockerError::ContainerNotFound { .. })
            {
                failures.push(format!("{name}: {e}"));
            }
        }
        failures
    }
}

/// What a successful step says and shows.
struct Done {
    message: Text,
    output: Vec<Text>,
    vars: BTreeMap<String, String>,
}

impl Done {
    fn new(message: impl Into<Text>) -> Done {
        Done {
            message: message.into(),
            output: Vec::new(),
            vars: BTreeMap::new(),
        }
    }
    fn with_output(mut self, output: Vec<Text>) -> Done {
        self.output = output;
        self
    }
}

/// What a browser would show of a page, roughly: the text between the tags,
/// one line per block, blank lines and the `<head>` dropped. The learner sees
/// their own words, not 40 lines of markup.
pub fn page_text(html: &str) -> Vec<String> {
    let body = match html.find("<body") {
        Some(start) => &html[start..],
        None => html,
    };
    let mut text = String::with_capacity(body.len());
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .take(OUTPUT_LINES)
        .collect()
}

/// Output of a program: shown as it is, in either language.
fn lines_of(text: &str) -> impl Iterator<Item = Text> + '_ {
    text.lines().take(OUTPUT_LINES).map(Text::plain)
}

fn parse_change(word: &str) -> Option<ChangeKind> {
    match word {
        "added" | "A" => Some(ChangeKind::Added),
        "changed" | "modified" | "C" => Some(ChangeKind::Changed),
        "deleted" | "removed" | "D" => Some(ChangeKind::Deleted),
        _ => None,
    }
}

/// The host's kernel release, as `uname -r` prints it.
pub fn host_kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The Docker Hub page of a pushed repository, when it went to Docker Hub.
pub fn hub_link(image: &str) -> Option<String> {
    let without_tag = image
        .rsplit_once(':')
        .filter(|(_, t)| !t.contains('/'))
        .map_or(image, |(r, _)| r);
    let path = without_tag
        .strip_prefix("docker.io/")
        .or_else(|| without_tag.strip_prefix("index.docker.io/"));
    let path = match path {
        Some(p) => p,
        None if !without_tag
            .split('/')
            .next()
            .is_some_and(|h| h.contains('.') || h.contains(':')) =>
        {
            without_tag
        }
        None => return None,
    };
    match path.split_once('/') {
        Some(("library", name)) => Some(format!("https://hub.docker.com/_/{name}")),
        Some(_) => Some(format!("https://hub.docker.com/r/{path}")),
        None => Some(format!("https://hub.docker.com/_/{path}")),
    }
}

/// The placeholder values a run starts with: the pack's defaults, overridden
/// by the settings (config file, then command line).
pub fn default_vars(pack: &Pack, settings: &Settings) -> BTreeMap<String, String> {
    let defaults = &pack.manifest.defaults;
    let mut vars = BTreeMap::new();
    let base = settings
        .base_image
        .clone()
        .or_else(|| defaults.base_image.clone())
        .unwrap_or_else(|| crate::docker::DEFAULT_BASE_IMAGE.to_string());
    vars.insert("base_image".into(), base);
    let image = settings
        .image
        .clone()
        .or_else(|| defaults.image.clone())
        .unwrap_or_else(|| "layerlab/nginx-alpine:latest".into());
    vars.insert("image_repo".into(), repository_of(&image));
    vars.insert("image".into(), image);
    if let Some(registry) = settings
        .registry
        .clone()
        .or_else(|| defaults.registry.clone())
    {
        vars.insert(
            "registry".into(),
            registry.trim_end_matches('/').to_string(),
        );
    }
    vars.insert(
        "workspace".into(),
        crate::paths::workspace_dir().display().to_string(),
    );
    vars
}

/// `anna/site:1.0` -> `anna/site`, so lessons can name sibling images
/// (`{image_repo}-naive:latest`) that follow the learner's chosen name.
pub fn repository_of(image: &str) -> String {
    let without_digest = image.split_once('@').map_or(image, |(r, _)| r);
    match without_digest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo.to_string(),
        _ => without_digest.to_string(),
    }
}

/// The settings in force: `config.json` in the data folder, overridden by
/// whatever the command line gave (`overrides`), checked before anything
/// reaches the daemon.
pub fn settings_for(lang: Lang, overrides: Settings) -> Result<Settings, String> {
    let path = crate::runner::settings::config_file();
    let file = Settings::load(&path)?;
    // A bad value in the file is blamed on the file and its key.
    file.validate_file(&path, lang)?;
    let settings = file.overridden_by(overrides);
    settings.validate(lang)?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_links() {
        assert_eq!(
            hub_link("docker.io/anna/nginx-alpine:1.0").as_deref(),
            Some("https://hub.docker.com/r/anna/nginx-alpine")
        );
        assert_eq!(
            hub_link("anna/site").as_deref(),
            Some("https://hub.docker.com/r/anna/site")
        );
        assert_eq!(hub_link("127.0.0.1:5000/anna/site:1.0"), None);
        assert_eq!(hub_link("ghcr.io/anna/site"), None);
    }

    #[test]
    fn repositories_of_image_names() {
        assert_eq!(
            repository_of("layerlab/nginx-alpine:latest"),
            "layerlab/nginx-alpine"
        );
        assert_eq!(
            repository_of("127.0.0.1:5000/anna/site"),
            "127.0.0.1:5000/anna/site"
        );
        assert_eq!(
            repository_of("127.0.0.1:5000/anna/site:1.0"),
            "127.0.0.1:5000/anna/site"
        );
        assert_eq!(repository_of("anna/site@sha256:abc"), "anna/site");
    }

    #[test]
    fn change_words() {
        assert_eq!(parse_change("added"), Some(ChangeKind::Added));
        assert_eq!(parse_change("modified"), Some(ChangeKind::Changed));
        assert_eq!(parse_change("gone"), None);
    }
}

#[cfg(test)]
mod page_text_tests {
    use super::page_text;

    #[test]
    fn shows_the_words_not_the_markup() {
        let html = "<html><head><title>T</title><style>p{}</style></head>\n<body>\n<h1>Hi from\n my image</h1>\n\n<p>Author: <b>Anna</b></p>\n</body></html>";
        assert_eq!(page_text(html), vec!["Hi from", "my image", "Author: Anna"]);
    }
}
