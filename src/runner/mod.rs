//! Carrying out lesson steps against the daemon. The same code serves the
//! TUI (through the Docker worker) and the headless `layerlab run`, so what a
//! teacher checks with `run` is what a student gets in the UI.

pub mod settings;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::docker::client::Docker;
use crate::docker::error::DockerError;
use crate::docker::model::{ChangeKind, PortRequest, Progress, RunSpec, short_id as short};
use crate::i18n::Lang;
use crate::lesson::loader::Pack;
use crate::lesson::{Action, Check, Lesson, Step, StepKind};
use crate::runner::settings::Settings;
use crate::t;

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
    pub lang: Lang,
    pub state: RunState,
    /// Steps marked `confirm: true` run only when the learner said yes.
    pub confirmed: bool,
    pub workspace: PathBuf,
    /// Credentials the learner typed in the UI, by registry host; memory only.
    pub credentials: BTreeMap<String, crate::docker::credentials::Credentials>,
    /// Set when a registry refused the credentials (its host), for the outcome.
    pub auth_refused: Option<String>,
}

/// How a lesson step ended.
#[derive(Debug, Clone, PartialEq)]
pub struct StepOutcome {
    pub ok: bool,
    /// One line: what was verified, or what failed and what to do.
    pub message: String,
    /// What the step produced to show (a page, command output, a table).
    pub output: Vec<String>,
    /// Values later steps use (`{port.web}`, saved image ids).
    pub vars: BTreeMap<String, String>,
    /// The registry (host) that refused the credentials: the UI offers to
    /// type them and redo the step.
    pub auth_refused: Option<String>,
}

/// Where container names start; `LAYERLAB_CONTAINER_PREFIX` changes it so
/// two runs on one daemon (a teacher checking several packs, parallel tests)
/// cannot take each other's `web`.
pub const CONTAINER_PREFIX_VAR: &str = "LAYERLAB_CONTAINER_PREFIX";

/// The container name a lesson's `name: web` gets on the daemon.
pub fn container_name(name: &str) -> String {
    let prefix = std::env::var(CONTAINER_PREFIX_VAR)
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "layerlab".to_string());
    format!("{prefix}-{name}")
}

impl Runner {
    /// Fill `{var}` placeholders (the same rules the validator checks);
    /// an unknown one is an error naming it.
    pub fn fill(&self, text: &str) -> Result<String, String> {
        let value = |name: &str| {
            self.state.vars.get(name).cloned().or_else(|| {
                // container.NAME: the learner's own container when the
                // watcher found one, else the one `run` starts.
                name.strip_prefix("container.").map(container_name)
            })
        };
        crate::lesson::placeholders::fill(text, value).map_err(|name| {
            format!(
                "{} {{{name}}}",
                t!("нет значения для", "no value for").get(self.lang)
            )
        })
    }

    /// The image, or the learner-facing "no image X" when it is absent.
    async fn image(&self, reference: &str) -> Result<crate::docker::model::ImageInfo, String> {
        self.docker
            .inspect_image(reference)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| no_image(reference, self.lang))
    }

    fn lesson_labels(&self, lesson: &Lesson) -> BTreeMap<String, String> {
        BTreeMap::from([(
            crate::docker::model::LESSON_LABEL.to_string(),
            lesson.id.clone(),
        )])
    }

    /// The container id for the lesson's name: the one we started, else a
    /// managed container with the derived name (after a restart).
    async fn container(&mut self, name: &str) -> Result<String, String> {
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
        let details = self
            .docker
            .inspect_container(&actual)
            .await
            .map_err(|e| e.to_string())?;
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
                self.act(lesson, action, step, progress, cancel).await
            }
            (StepKind::Check, _, Some(check)) => self.check(check, cancel).await,
            _ => Ok(Done::text(self.lang, t!("прочитано", "read"))),
        };
        let auth_refused = self.auth_refused.take();
        match result {
            Ok(done) => StepOutcome {
                ok: true,
                message: done.message,
                output: done.output,
                vars: done.vars,
                auth_refused: None,
            },
            Err(message) => StepOutcome {
                ok: false,
                message,
                output: Vec::new(),
                vars: BTreeMap::new(),
                auth_refused,
            },
        }
    }

    async fn act(
        &mut self,
        lesson: &Lesson,
        action: &Action,
        step: &Step,
        progress: &UnboundedSender<Progress>,
        cancel: &CancellationToken,
    ) -> Result<Done, String> {
        let lang = self.lang;
        let endpoint = self.docker.endpoint().url.clone();
        let err = |e: DockerError| explain(&e, &endpoint, lang);
        if step.confirm && !self.confirmed {
            return Err(t!(
                "этот шаг требует вашего подтверждения (в TUI — Enter ещё раз, в `run` — --yes)",
                "this step needs your confirmation (Enter again in the UI, --yes for `run`)"
            )
            .get(lang)
            .to_string());
        }
        match action {
            Action::Doctor => {
                let base = self.fill("{base_image}")?;
                let report = crate::docker::doctor::doctor_report(lang, &base).await;
                let output = report.render(lang).lines().map(str::to_string).collect();
                if report.daemon_usable {
                    Ok(
                        Done::text(lang, t!("Docker готов к работе", "Docker is ready"))
                            .with_output(output),
                    )
                } else {
                    Err(t!(
                        "Docker не готов: см. исправления выше",
                        "Docker is not ready: see the fixes above"
                    )
                    .get(lang)
                    .to_string())
                }
            }
            Action::CopyAssets {
                from,
                to,
                overwrite,
            } => {
                let target = self.workspace.join(to);
                let (copied, kept) = copy_assets(&self.pack, from, &target, *overwrite)?;
                let mut done = Done::new(format!(
                    "{} {copied}, {} {kept} → {}",
                    t!("скопировано файлов:", "files copied:").get(lang),
                    t!("ваших правок сохранено:", "your edits kept:").get(lang),
                    target.display()
                ));
                done.vars
                    .insert("workspace".into(), self.workspace.display().to_string());
                Ok(done)
            }
            Action::Edit { path } => {
                let file = self.workspace.join(self.fill(path)?);
                if file.is_file() {
                    Ok(Done::new(format!(
                        "{} {}",
                        t!("файл на месте:", "file in place:").get(lang),
                        file.display()
                    )))
                } else {
                    Err(format!(
                        "{} {}",
                        t!("нет файла", "no file").get(lang),
                        file.display()
                    ))
                }
            }
            Action::Build {
                context,
                tag,
                dockerfile,
                build_args,
                no_cache,
            } => {
                let tag = self.fill(tag)?;
                let mut args = BTreeMap::new();
                for (k, v) in build_args {
                    args.insert(k.clone(), self.fill(v)?);
                }
                args.entry("BASE_IMAGE".into())
                    .or_insert(self.fill("{base_image}")?);
                let spec = crate::docker::model::BuildSpec {
                    context_dir: self.workspace.join(self.fill(context)?),
                    dockerfile: Some(dockerfile.clone()),
                    tag: tag.clone(),
                    build_args: args,
                    labels: BTreeMap::new(),
                    lesson: Some(lesson.id.clone()),
                    no_cache: *no_cache,
                };
                let built = match self.docker.build_image(&spec, progress, cancel).await {
                    Ok(built) => built,
                    Err(e) => {
                        let base = spec.build_args.get("BASE_IMAGE").cloned();
                        return Err(self.build_failure(e, base.as_deref()).await);
                    }
                };
                let info = self.docker.inspect_image(&built.id).await.map_err(err)?;
                let mut done = Done::new(format!(
                    "{} {tag}",
                    t!("образ собран:", "image built:").get(lang)
                ));
                if let Some(info) = info {
                    done.output = describe_image(&info, lang);
                }
                Ok(done)
            }
            Action::Run {
                name,
                image,
                ports,
                volumes,
                cmd,
                privileged,
                host_port,
            } => {
                let image = self.fill(image)?;
                let container = container_name(name);
                self.remove_stale(name).await?;
                let mut binds = Vec::new();
                for volume in volumes {
                    let volume = self.fill(volume)?;
                    let Some((host, inside)) = volume.split_once(':') else {
                        return Err(format!("volume `{volume}`: expected FOLDER:/path"));
                    };
                    let host = self.workspace.join(host);
                    std::fs::create_dir_all(&host)
                        .map_err(|e| format!("{}: {e}", host.display()))?;
                    binds.push((host, inside.to_string()));
                }
                let spec = RunSpec {
                    image: image.clone(),
                    name: Some(container.clone()),
                    ports: ports
                        .iter()
                        .enumerate()
                        .map(|(i, p)| PortRequest {
                            container: *p,
                            host: if i == 0 { *host_port } else { None },
                        })
                        .collect(),
                    binds,
                    cmd: cmd.clone(),
                    env: BTreeMap::new(),
                    privileged: *privileged,
                    labels: self.lesson_labels(lesson),
                };
                let info = match self.docker.run_container(&spec).await {
                    Ok(info) => info,
                    Err(e @ DockerError::PortAllocated { .. }) => {
                        // The daemon may leave the created container behind.
                        if let Err(cleanup) = self.remove_stale(name).await {
                            tracing::warn!("after a taken port: {cleanup}");
                        }
                        return Err(port_taken(&e, *host_port, lang));
                    }
                    Err(e) => return Err(err(e)),
                };
                self.state.containers.insert(name.clone(), info.id.clone());
                let mut done = Done::new(format!(
                    "{} {container} ({})",
                    t!("контейнер запущен:", "container running:").get(lang),
                    short(&info.id)
                ));
                for (inner, host) in &info.ports {
                    done.vars
                        .insert(format!("port.{name}.{inner}"), host.to_string());
                    done.vars
                        .entry(format!("port.{name}"))
                        .or_insert_with(|| host.to_string());
                    done.output.push(format!("127.0.0.1:{host} → {inner}/tcp"));
                }
                Ok(done)
            }
            Action::Exec {
                container,
                command,
                save_as,
            } => {
                let id = self.container(container).await?;
                let command = self.fill(command)?;
                let out = self.docker.exec(&id, &command, cancel).await.map_err(err)?;
                let mut done = Done::new(format!("exit {}", out.exit_code));
                done.output = lines_of(&out.stdout).chain(lines_of(&out.stderr)).collect();
                if out.exit_code != 0 {
                    return Err(format!(
                        "`{command}` {} {}: {}",
                        t!("завершилась с кодом", "exited with").get(lang),
                        out.exit_code,
                        out.stderr.trim()
                    ));
                }
                if let Some(name) = save_as {
                    done.vars
                        .insert(name.clone(), out.stdout.trim().to_string());
                }
                Ok(done)
            }
            Action::Http {
                container,
                port,
                path,
                save_as,
            } => {
                let page = self.fetch(container, *port, path).await?;
                let mut done = Done::new(format!(
                    "HTTP {} — {} {}",
                    page.0,
                    page.1.len(),
                    t!("байт", "bytes").get(lang)
                ));
                done.output = page_text(&page.1);
                if let Some(name) = save_as {
                    done.vars.insert(name.clone(), page.1);
                }
                Ok(done)
            }
            Action::Changes { container } => {
                let id = self.container(container).await?;
                let changes = self.docker.container_changes(&id).await.map_err(err)?;
                let mut done = Done::new(format!(
                    "{} {}",
                    changes.len(),
                    t!(
                        "изменений в слое контейнера",
                        "changes in the container's layer"
                    )
                    .get(lang)
                ));
                done.output = changes
                    .iter()
                    .map(|c| format!("{} {}", c.kind.mark(), c.path))
                    .collect();
                Ok(done)
            }
            Action::Stop { container } => {
                let id = self.container(container).await?;
                self.docker
                    .stop_container(&id, Duration::from_secs(5))
                    .await
                    .map_err(err)?;
                Ok(Done::text(
                    lang,
                    t!("контейнер остановлен", "container stopped"),
                ))
            }
            Action::Start { container } => {
                let id = self.container(container).await?;
                self.docker.start_container(&id).await.map_err(err)?;
                let details = self.docker.inspect_container(&id).await.map_err(err)?;
                let mut done = Done::text(
                    lang,
                    t!("контейнер снова запущен", "container started again"),
                );
                for (inner, host) in &details.ports {
                    done.vars
                        .insert(format!("port.{container}.{inner}"), host.to_string());
                    done.vars
                        .insert(format!("port.{container}"), host.to_string());
                }
                Ok(done)
            }
            Action::RemoveContainer { container } => {
                let id = self.container(container).await?;
                self.docker.remove_container(&id).await.map_err(err)?;
                self.state.containers.remove(container);
                Ok(Done::text(
                    lang,
                    t!(
                        "контейнер удалён вместе с его слоем",
                        "container removed, with its layer"
                    ),
                ))
            }
            Action::Commit { container, tag } => {
                let id = self.container(container).await?;
                let tag = self.fill(tag)?;
                let image = self
                    .docker
                    .commit_container(&id, Some(&tag), &self.lesson_labels(lesson))
                    .await
                    .map_err(err)?;
                Ok(Done::new(format!(
                    "{} {tag} ({})",
                    t!("новый образ:", "new image:").get(lang),
                    short(&image)
                )))
            }
            Action::Tag { source, target } => {
                let (source, target) = (self.fill(source)?, self.fill(target)?);
                self.docker.tag_image(&source, &target).await.map_err(err)?;
                Ok(Done::new(format!("{source} → {target}")))
            }
            Action::Push { image } => {
                let image = self.fill(image)?;
                let typed = self.typed_credentials(&image);
                let pushed = match self
                    .docker
                    .push_image(&image, typed.as_ref(), progress, cancel)
                    .await
                {
                    Ok(pushed) => pushed,
                    Err(e) => {
                        self.note_refusal(&e);
                        return Err(err(e));
                    }
                };
                let mut done = Done::new(format!(
                    "{} {image}",
                    t!("отправлено:", "pushed:").get(lang)
                ));
                done.vars.insert("pushed".into(), image.clone());
                if let Some(digest) = pushed.digest {
                    done.output.push(format!("digest: {digest}"));
                    done.vars.insert("pushed_digest".into(), digest);
                }
                done.output.push(format!("docker pull {image}"));
                if let Some(link) = hub_link(&image) {
                    done.output.push(link);
                }
                Ok(done)
            }
            Action::Pull { image } => {
                let image = self.fill(image)?;
                let typed = self.typed_credentials(&image);
                if let Err(e) = self
                    .docker
                    .pull_image(&image, typed.as_ref(), progress, cancel)
                    .await
                {
                    self.note_refusal(&e);
                    return Err(pull_hint(e, &image, lang));
                }
                Ok(Done::new(format!(
                    "{} {image}",
                    t!("скачано:", "pulled:").get(lang)
                )))
            }
            Action::RemoveImage { image } => {
                let image = self.fill(image)?;
                let removed = self.docker.remove_image(&image, false).await.map_err(err)?;
                Ok(
                    Done::new(format!("{} {image}", t!("удалено:", "removed:").get(lang)))
                        .with_output(removed),
                )
            }
            Action::SaveImageId { image, save_as } => {
                let image = self.fill(image)?;
                let info = self.image(&image).await?;
                let mut done = Done::new(format!("{image}: {}", short(&info.id)));
                done.vars.insert(save_as.clone(), info.id);
                Ok(done)
            }
            Action::Kernel { container } => {
                let id = self.container(container).await?;
                let host = host_kernel();
                let inside = self
                    .docker
                    .exec(&id, "uname -r", cancel)
                    .await
                    .map_err(err)?;
                Ok(
                    Done::text(lang, t!("ядро одно и то же", "one and the same kernel"))
                        .with_output(vec![
                            format!("{} {host}", t!("хост:      ", "host:      ").get(lang)),
                            format!(
                                "{} {}",
                                t!("контейнер: ", "container: ").get(lang),
                                inside.stdout.trim()
                            ),
                        ]),
                )
            }
            Action::Layers { image, compare } => {
                let mut done = Done::text(lang, t!("слои образа", "the image's layers"));
                for image in std::iter::once(image).chain(compare.iter()) {
                    let image = self.fill(image)?;
                    let info = self.image(&image).await?;
                    done.output.push(format!(
                        "{image}: {} MB, {} {}",
                        mb(info.size),
                        info.layers.len(),
                        t!("слоёв", "layers").get(lang)
                    ));
                }
                Ok(done)
            }
            Action::Lab { image } => {
                let image = self.fill(image)?;
                self.image(&image).await?;
                Ok(Done::new(format!(
                    "{} {image}",
                    t!(
                        "лаборатория открывается в TUI для",
                        "the lab opens in the UI for"
                    )
                    .get(lang)
                )))
            }
            Action::Load { path } => {
                let path = PathBuf::from(self.fill(path)?);
                let loaded = self
                    .docker
                    .load_image(&path, progress, cancel)
                    .await
                    .map_err(err)?;
                Ok(Done::new(format!(
                    "{} {}",
                    t!("загружено из", "loaded from").get(lang),
                    path.display()
                ))
                .with_output(loaded))
            }
            Action::ShowFile { path } => {
                let file = self.workspace.join(self.fill(path)?);
                let text = std::fs::read_to_string(&file)
                    .map_err(|e| format!("{}: {e}", file.display()))?;
                let lines: Vec<String> = lines_of(&text).collect();
                let skip = lines.len().saturating_sub(OUTPUT_LINES);
                Ok(Done::new(file.display().to_string()).with_output(lines[skip..].to_vec()))
            }
        }
    }

    /// What the learner typed for this image's registry, if anything;
    /// otherwise the docker layer uses `docker login`'s stored credentials.
    fn typed_credentials(&self, image: &str) -> Option<crate::docker::credentials::Credentials> {
        let host = crate::docker::reference::ImageRef::parse(image).ok()?;
        self.credentials.get(host.registry_host()).cloned()
    }

    fn note_refusal(&mut self, e: &DockerError) {
        if let DockerError::Registry(crate::docker::error::RegistryError::Unauthorized {
            registry,
            ..
        }) = e
        {
            self.auth_refused = Some(registry.clone());
        }
    }

    /// A failed build, said so the learner can act: a lost daemon names its
    /// endpoint, a base image that could not be pulled gets the mirror and
    /// `layerlab load` advice.
    async fn build_failure(&self, e: DockerError, base: Option<&str>) -> String {
        let lang = self.lang;
        let endpoint = self.docker.endpoint().url.clone();
        if !e.is_connection() && !e.is_cancelled() {
            // A connection that dropped mid-stream looks like a cut-off build;
            // only a ping tells the two apart.
            let ping = tokio::time::timeout(Duration::from_secs(3), self.docker.ping()).await;
            if !matches!(ping, Ok(Ok(()))) {
                let why = match ping {
                    Ok(Err(ping_error)) => ping_error.render(lang),
                    _ => t!("нет ответа за 3 с", "no answer within 3 s")
                        .get(lang)
                        .to_string(),
                };
                return format!(
                    "{} {endpoint} {}: {}\n  {}: {why}\n  {}",
                    t!(
                        "связь с Docker daemon",
                        "lost the connection to the Docker daemon at"
                    )
                    .get(lang),
                    t!("потеряна во время сборки", "during the build").get(lang),
                    match &e {
                        DockerError::Api { status: 0, message } => message.clone(),
                        other => other.message(lang),
                    },
                    t!("проверка связи", "ping").get(lang),
                    t!(
                        "Запустите Docker снова и повторите шаг: ваши файлы на месте, прогресс сохранён.",
                        "Get Docker running again and redo the step: your files are in place and your progress is kept."
                    )
                    .get(lang),
                );
            }
        }
        let base_missing = match &e {
            DockerError::Build {
                step: Some(step),
                message,
            } => {
                step.instruction
                    .get(..5)
                    .is_some_and(|head| head.eq_ignore_ascii_case("FROM "))
                    || base.is_some_and(|b| message.contains(b))
            }
            DockerError::Build {
                step: None,
                message,
            } => base.is_some_and(|b| message.contains(b)),
            _ => false,
        };
        if !base_missing {
            return explain(&e, &endpoint, lang);
        }
        // The Dockerfile says `FROM ${BASE_IMAGE}`; the learner needs the
        // name it stood for, and the two ways round a registry out of reach.
        let base = base.unwrap_or("alpine:3.22");
        format!(
            "{}\n  {}: {} {base} {} {MIRROR_BASE}, {} {}",
            e.message(lang).replace("${BASE_IMAGE}", base),
            t!("что сделать", "fix").get(lang),
            t!("базового образа", "the base image").get(lang),
            t!(
                "нет в Docker Engine, и скачать его не удалось. Возьмите зеркало: layerlab --base-image",
                "is not in the Docker Engine and could not be pulled. Use a mirror: layerlab --base-image"
            )
            .get(lang),
            t!(
                "или загрузите образ из файла: `layerlab load ФАЙЛ.tar`",
                "or load the image from a file: `layerlab load FILE.tar`"
            )
            .get(lang),
            t!(
                "(постоянно: base_image в config.json в папке данных)",
                "(for good: base_image in config.json in the data folder)"
            )
            .get(lang),
        )
    }

    /// A managed container left with the same name (a crash, an earlier
    /// attempt) is ours to replace; anything unlabelled is not touched.
    async fn remove_stale(&mut self, name: &str) -> Result<(), String> {
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
                    .map_err(|e| e.to_string())
            }
            Ok(_) => Err(format!(
                "{} `{}` {}",
                t!("контейнер", "a container named").get(self.lang),
                container_name(name),
                t!(
                    "уже есть и создан не layerlab: переименуйте или удалите его сами",
                    "exists and was not made by layerlab: rename or remove it yourself"
                )
                .get(self.lang)
            )),
            Err(DockerError::ContainerNotFound { .. }) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }

    async fn fetch(
        &mut self,
        container: &str,
        port: u16,
        path: &str,
    ) -> Result<(u16, String), String> {
        let id = self.container(container).await?;
        let details = self
            .docker
            .inspect_container(&id)
            .await
            .map_err(|e| e.to_string())?;
        let host_port = details
            .ports
            .iter()
            .find(|(inner, _)| *inner == port)
            .map(|(_, host)| *host)
            .ok_or_else(|| {
                format!(
                    "{container}: {} {port}",
                    t!("не опубликован порт", "no published port").get(self.lang)
                )
            })?;
        let response = self
            .docker
            .http_get(host_port, &self.fill(path)?, HTTP_TIMEOUT)
            .await
            .map_err(|e| e.to_string())?;
        Ok((
            response.status,
            String::from_utf8_lossy(&response.body).into_owned(),
        ))
    }

    async fn check(&mut self, check: &Check, cancel: &CancellationToken) -> Result<Done, String> {
        let lang = self.lang;
        let endpoint = self.docker.endpoint().url.clone();
        let err = |e: DockerError| explain(&e, &endpoint, lang);
        let verdict =
            |ok: bool, yes: String, no: String| if ok { Ok(Done::new(yes)) } else { Err(no) };
        match check {
            Check::DaemonReachable => {
                self.docker.ping().await.map_err(err)?;
                Ok(Done::text(lang, t!("Docker отвечает", "Docker answers")))
            }
            Check::ImageExists { image } => {
                let image = self.fill(image)?;
                let info = self.docker.inspect_image(&image).await.map_err(err)?;
                verdict(
                    info.is_some(),
                    format!("{} {image}", t!("образ есть:", "image present:").get(lang)),
                    no_image(&image, lang),
                )
            }
            Check::ImageAbsent { image } => {
                let image = self.fill(image)?;
                let info = self.docker.inspect_image(&image).await.map_err(err)?;
                verdict(
                    info.is_none(),
                    format!("{} {image}", t!("образа нет:", "image absent:").get(lang)),
                    format!(
                        "{} {image}",
                        t!("образ всё ещё есть:", "image still present:").get(lang)
                    ),
                )
            }
            Check::ContainerRunning { container } | Check::ContainerStopped { container } => {
                let want_running = matches!(check, Check::ContainerRunning { .. });
                let id = self.container(container).await?;
                let details = self.docker.inspect_container(&id).await.map_err(err)?;
                verdict(
                    details.state.running == want_running,
                    format!("{container}: {}", details.state.status),
                    format!(
                        "{container}: {} ({})",
                        details.state.status,
                        if want_running {
                            t!("ожидался running", "expected running")
                        } else {
                            t!("ожидалась остановка", "expected stopped")
                        }
                        .get(lang)
                    ),
                )
            }
            Check::ContainerAbsent { container } => match self
                .docker
                .inspect_container(&container_name(container))
                .await
            {
                Err(DockerError::ContainerNotFound { .. }) => Ok(Done::new(format!(
                    "{container}: {}",
                    t!("контейнера больше нет", "the container is gone").get(lang)
                ))),
                Ok(_) => Err(format!(
                    "{container}: {}",
                    t!("контейнер ещё существует", "the container still exists").get(lang)
                )),
                Err(e) => Err(e.to_string()),
            },
            Check::PageContains {
                container,
                port,
                path,
                text,
            }
            | Check::PageLacks {
                container,
                port,
                path,
                text,
            } => {
                let want = matches!(check, Check::PageContains { .. });
                let text = self.fill(text)?;
                let (status, body) = self.fetch(container, *port, path).await?;
                let has = body.contains(&text);
                let shown = page_text(&body);
                if has == want {
                    let message = if want {
                        t!("на странице есть", "the page has")
                    } else {
                        t!("на странице нет", "the page lacks")
                    };
                    Ok(
                        Done::new(format!("HTTP {status}: {} «{text}»", message.get(lang)))
                            .with_output(shown),
                    )
                } else {
                    let message = if want {
                        t!("на странице нет", "the page lacks")
                    } else {
                        t!("на странице есть", "the page has")
                    };
                    Err(format!("HTTP {status}: {} «{text}»", message.get(lang)))
                }
            }
            Check::LayerCountAtMost { image, max } => {
                let image = self.fill(image)?;
                let info = self.image(&image).await?;
                let n = info.layers.len() as u32;
                verdict(
                    n <= *max,
                    format!("{image}: {n} {} ≤ {max}", t!("слоёв", "layers").get(lang)),
                    format!("{image}: {n} {} > {max}", t!("слоёв", "layers").get(lang)),
                )
            }
            Check::LayerCountDiff { image, base, more } => {
                let (image, base) = (self.fill(image)?, self.fill(base)?);
                let a = self.image(&image).await?;
                let b = self.image(&base).await?;
                let diff = a.layers.len() as i64 - b.layers.len() as i64;
                let shared = b.layers.iter().zip(&a.layers).all(|(x, y)| x == y);
                verdict(
                    diff == *more as i64 && shared,
                    format!("{image}: {} = {} + {more}", a.layers.len(), b.layers.len()),
                    format!(
                        "{image}: {} {}, {base}: {}",
                        a.layers.len(),
                        t!("слоёв", "layers").get(lang),
                        b.layers.len()
                    ),
                )
            }
            Check::ImageIdUnchanged { image, saved } => {
                let image = self.fill(image)?;
                let before = self.state.vars.get(saved).cloned().ok_or_else(|| {
                    format!(
                        "{} {saved}",
                        t!("нет сохранённого id", "no saved id").get(lang)
                    )
                })?;
                let info = self.image(&image).await?;
                verdict(
                    info.id == before,
                    format!(
                        "{image}: id {} {}",
                        short(&info.id),
                        t!("не изменился", "unchanged").get(lang)
                    ),
                    format!("{image}: id {} → {}", short(&before), short(&info.id)),
                )
            }
            Check::ChangesInclude {
                container,
                path,
                change,
            } => {
                let id = self.container(container).await?;
                let path = self.fill(path)?;
                let changes = self.docker.container_changes(&id).await.map_err(err)?;
                let found = changes.iter().find(|c| c.path == path);
                let want = parse_change(change);
                verdict(
                    found.is_some_and(|c| Some(c.kind) == want),
                    format!("{} {path}", found.map_or("?", |c| c.kind.mark())),
                    format!(
                        "{path}: {} {change}",
                        t!(
                            "в слое контейнера нет изменения",
                            "no change in the container's layer of kind"
                        )
                        .get(lang)
                    ),
                )
            }
            Check::ChangesExclude { container, path } => {
                let id = self.container(container).await?;
                let path = self.fill(path)?;
                let changes = self.docker.container_changes(&id).await.map_err(err)?;
                verdict(
                    !changes.iter().any(|c| c.path == path),
                    format!(
                        "{container}: {path} {}",
                        t!("не тронут", "untouched").get(lang)
                    ),
                    format!("{container}: {path} {}", t!("изменён", "changed").get(lang)),
                )
            }
            Check::ExecOutputContains {
                container,
                command,
                text,
            } => {
                let id = self.container(container).await?;
                let (command, text) = (self.fill(command)?, self.fill(text)?);
                let out = self.docker.exec(&id, &command, cancel).await.map_err(err)?;
                let all = format!("{}{}", out.stdout, out.stderr);
                verdict(
                    all.contains(&text),
                    format!("«{text}»"),
                    format!(
                        "`{command}`: {} «{text}»",
                        t!("в выводе нет", "output lacks").get(lang)
                    ),
                )
            }
            Check::FileContains { path, text } => {
                let file = self.workspace.join(self.fill(path)?);
                let text = self.fill(text)?;
                let body = std::fs::read_to_string(&file).unwrap_or_default();
                verdict(
                    body.contains(&text),
                    format!("{}: «{text}»", file.display()),
                    format!(
                        "{}: {} «{text}»",
                        file.display(),
                        t!("нет", "lacks").get(lang)
                    ),
                )
            }
            Check::SameKernel { container } => {
                let id = self.container(container).await?;
                let inside = self
                    .docker
                    .exec(&id, "uname -r", cancel)
                    .await
                    .map_err(err)?;
                let host = host_kernel();
                verdict(
                    inside.stdout.trim() == host,
                    format!("{host} = {}", inside.stdout.trim()),
                    format!("{host} ≠ {}", inside.stdout.trim()),
                )
            }
            Check::PushedMatches { image } => {
                let image = self.fill(image)?;
                let local = self.image(&image).await?;
                let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
                let typed = self.typed_credentials(&image);
                if let Err(e) = self
                    .docker
                    .pull_image(&image, typed.as_ref(), &tx, cancel)
                    .await
                {
                    self.note_refusal(&e);
                    return Err(pull_hint(e, &image, lang));
                }
                let pulled = self.image(&image).await?;
                verdict(
                    pulled.id == local.id,
                    format!(
                        "{image}: {} {}",
                        t!(
                            "из реестра пришёл тот же образ",
                            "the registry serves the same image"
                        )
                        .get(lang),
                        short(&local.id)
                    ),
                    format!(
                        "{image}: {} {} ≠ {}",
                        t!("в реестре другой образ", "the registry has another image").get(lang),
                        short(&pulled.id),
                        short(&local.id)
                    ),
                )
            }
            Check::SmallerThan { image, other } => {
                let (image, other) = (self.fill(image)?, self.fill(other)?);
                let a = self.image(&image).await?;
                let b = self.image(&other).await?;
                verdict(
                    a.size < b.size,
                    format!("{image} {} MB < {other} {} MB", mb(a.size), mb(b.size)),
                    format!("{image} {} MB ≥ {other} {} MB", mb(a.size), mb(b.size)),
                )
            }
        }
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
    message: String,
    output: Vec<String>,
    vars: BTreeMap<String, String>,
}

impl Done {
    fn new(message: impl Into<String>) -> Done {
        Done {
            message: message.into(),
            output: Vec::new(),
            vars: BTreeMap::new(),
        }
    }
    fn text(lang: Lang, message: crate::i18n::UiText) -> Done {
        Done::new(message.get(lang))
    }
    fn with_output(mut self, output: Vec<String>) -> Done {
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

fn lines_of(text: &str) -> impl Iterator<Item = String> + '_ {
    text.lines().take(OUTPUT_LINES).map(str::to_string)
}

fn mb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1_000_000.0)
}

fn parse_change(word: &str) -> Option<ChangeKind> {
    match word {
        "added" | "A" => Some(ChangeKind::Added),
        "changed" | "modified" | "C" => Some(ChangeKind::Changed),
        "deleted" | "removed" | "D" => Some(ChangeKind::Deleted),
        _ => None,
    }
}

fn no_image(image: &str, lang: Lang) -> String {
    format!("{} {image}", t!("нет образа", "no image").get(lang))
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

/// The mirror suggested when Docker Hub is out of reach.
pub const MIRROR_BASE: &str = "mirror.gcr.io/library/alpine:3.22";

/// A Docker error as the learner reads it, in their language, with the fix.
/// Registry refusals name the registry and the `docker login` to run;
/// an unreachable registry names its address.
pub fn explain(e: &DockerError, endpoint: &str, lang: Lang) -> String {
    use crate::docker::error::RegistryError;
    match e {
        DockerError::Registry(RegistryError::Unauthorized { registry, message }) => format!(
            "{} ({registry}): {message}\n  {}: docker login {registry} {}",
            t!(
                "реестр отклонил учётные данные",
                "the registry refused the credentials"
            )
            .get(lang),
            t!("что сделать", "fix").get(lang),
            t!(
                "(для Docker Hub — с токеном доступа вместо пароля), затем повторите шаг",
                "(for Docker Hub, with an access token instead of the password), then redo the step"
            )
            .get(lang),
        ),
        DockerError::Registry(RegistryError::Unreachable { registry, message }) => format!(
            "{} {registry}: {message}\n  {}: {}",
            t!("реестр недоступен (registry unreachable):", "registry unreachable:").get(lang),
            t!("что сделать", "fix").get(lang),
            t!(
                "проверьте адрес и сеть; локальный реестр на 127.0.0.1 должен быть запущен (docker run -d -p 127.0.0.1:5000:5000 registry:2); затем повторите шаг",
                "check the address and the network; a local registry on 127.0.0.1 must be running (docker run -d -p 127.0.0.1:5000:5000 registry:2); then redo the step"
            )
            .get(lang),
        ),
        e if e.is_connection() => e.render(lang),
        e => {
            let text = e.render(lang);
            // Every daemon error names the daemon, so "connection reset"
            // is never a riddle about which connection.
            if matches!(e, DockerError::Api { status: 0, .. }) {
                format!("{text} (Docker: {endpoint})")
            } else {
                text
            }
        }
    }
}

/// A fixed host port the daemon could not bind: which port, who may hold
/// it, and how to let layerlab pick another.
fn port_taken(e: &DockerError, asked: Option<u16>, lang: Lang) -> String {
    let port = match e {
        DockerError::PortAllocated { port, .. } => port.or(asked),
        _ => asked,
    };
    let port_text = port.map_or_else(|| "?".to_string(), |p| p.to_string());
    format!(
        "{} 127.0.0.1:{port_text} {}\n  {}: {} `ss -ltnp 'sport = :{port_text}'` {} `docker ps --filter publish={port_text}`), {}",
        t!("порт", "port").get(lang),
        t!(
            "уже занят другой программой или контейнером",
            "is already taken by another program or container"
        )
        .get(lang),
        t!("что сделать", "fix").get(lang),
        t!("найдите, кто его держит:", "find who holds it:").get(lang),
        t!("(или", "(or").get(lang),
        t!(
            "остановите его и повторите шаг; либо уберите host_port из урока, и layerlab выберет свободный порт",
            "stop it and redo the step; or drop host_port from the lesson and layerlab picks a free port"
        )
        .get(lang),
    )
}

/// A pull that failed gets the mirror advice: Docker Hub is unreachable
/// from many classrooms (blocked from Russia since 2024).
fn pull_hint(e: DockerError, image: &str, lang: Lang) -> String {
    let from_hub =
        crate::docker::reference::ImageRef::parse(image).is_ok_and(|r| r.is_docker_hub());
    let text = explain(&e, "", lang);
    if !from_hub {
        return text;
    }
    format!(
        "{text}\n  {} {MIRROR_BASE} (--base-image), {} `layerlab load FILE` ({image})",
        t!(
            "Если реестр недоступен, возьмите зеркало, например",
            "If the registry is unreachable, use a mirror such as"
        )
        .get(lang),
        t!(
            "или загрузите образ из файла:",
            "or load the image from a file:"
        )
        .get(lang),
    )
}

fn describe_image(info: &crate::docker::model::ImageInfo, lang: Lang) -> Vec<String> {
    let mut out = vec![format!(
        "{} {} MB, {} {}, id {}",
        t!("размер", "size").get(lang),
        mb(info.size),
        info.layers.len(),
        t!("слоёв", "layers").get(lang),
        short(&info.id)
    )];
    // History is newest first; metadata steps (ENV, CMD…) made no layer.
    let mut layer = 0;
    for entry in info.history.iter().rev() {
        let instruction = crate::layers::report::short_instruction(&entry.created_by, 60);
        if crate::docker::model::makes_a_layer(entry) {
            if layer < info.layers.len() {
                out.push(format!(
                    "  {} {:>2}: {instruction} ({} MB)",
                    t!("слой", "layer").get(lang),
                    layer + 1,
                    mb(entry.size)
                ));
            }
            layer += 1;
        } else {
            out.push(format!("          {instruction}"));
        }
    }
    out
}

/// Copy an assets folder into the workspace. A file the learner already
/// changed is kept unless `overwrite`: their page must survive a re-run.
/// Returns (files written, files kept).
pub fn copy_assets(
    pack: &Pack,
    from: &str,
    target: &Path,
    overwrite: bool,
) -> Result<(usize, usize), String> {
    let files = pack.asset_files(from);
    if files.is_empty() {
        return Err(format!("no assets folder `{from}` in the pack"));
    }
    let (mut copied, mut kept) = (0, 0);
    for file in files {
        let path = target.join(file.path);
        if !overwrite && path.exists() {
            kept += 1;
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, file.contents).map_err(|e| format!("{}: {e}", path.display()))?;
        copied += 1;
    }
    Ok((copied, kept))
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
    let file = Settings::load(&crate::runner::settings::config_file())?;
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
