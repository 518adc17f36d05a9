//! Action steps: one function per kind of action. Each returns what the step
//! says and shows, in both languages, or why it failed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::explain::{describe_image, port_taken, pull_hint};
use super::{Done, Fail, OUTPUT_LINES, Runner, confine, container_name, lines_of, page_text};
use crate::docker::error::DockerError;
use crate::docker::model::{PortRequest, Progress, RunSpec, short_id as short};
use crate::i18n::{Lang, Text, count, nouns};
use crate::lesson::{Action, Lesson, Step};
use crate::{t, tr};

/// What an action needs besides its own fields.
pub(super) struct Job<'a> {
    pub lesson: &'a Lesson,
    pub progress: &'a UnboundedSender<Progress>,
    pub cancel: &'a CancellationToken,
}

impl Runner {
    // one piece: the dispatch over every action kind, one line each
    pub(super) async fn act(
        &mut self,
        job: Job<'_>,
        action: &Action,
        step: &Step,
    ) -> Result<Done, Fail> {
        if confine::needs_consent(step) && !self.confirmed {
            return Err(t!(
                "этот шаг требует вашего подтверждения (в TUI — Enter ещё раз, в `run` — --yes)",
                "this step needs your confirmation (Enter again in the UI, --yes for `run`)"
            )
            .into());
        }
        match action {
            Action::Doctor => self.doctor().await,
            Action::CopyAssets {
                from,
                to,
                overwrite,
            } => self.copy(from, to, *overwrite),
            Action::Edit { path } => self.edit(path),
            Action::Build {
                context,
                tag,
                dockerfile,
                build_args,
                no_cache,
                solution,
            } => {
                let build = BuildStep {
                    context,
                    tag,
                    dockerfile,
                    build_args,
                    no_cache: *no_cache,
                    solution: solution.as_deref(),
                };
                self.build(&job, build).await
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
                let run = RunStep {
                    name,
                    image,
                    ports,
                    volumes,
                    cmd,
                    privileged: *privileged,
                    host_port: *host_port,
                };
                self.run(&job, run).await
            }
            Action::Exec {
                container,
                command,
                save_as,
            } => {
                self.exec(&job, container, command, save_as.as_deref())
                    .await
            }
            Action::Http {
                container,
                port,
                path,
                save_as,
            } => self.http(container, *port, path, save_as.as_deref()).await,
            Action::Changes { container } => self.changes(container).await,
            Action::Stop { container } => self.stop(container).await,
            Action::Start { container } => self.start(container).await,
            Action::RemoveContainer { container } => self.remove_container(container).await,
            Action::Commit { container, tag } => self.commit(&job, container, tag).await,
            Action::Tag {
                source,
                target,
                save_as,
            } => self.tag(source, target, save_as.as_deref()).await,
            Action::Push { image } => self.push(&job, image).await,
            Action::Pull { image } => self.pull(&job, image).await,
            Action::RemoveImage { image } => self.remove_image(image).await,
            Action::SaveImageId { image, save_as } => self.save_image_id(image, save_as).await,
            Action::Kernel { container } => self.kernel(&job, container).await,
            Action::Layers { image, compare } => self.layers(image, compare.as_deref()).await,
            Action::Lab { image } => self.lab(image).await,
            Action::Load { path } => self.load(&job, path).await,
            Action::ShowFile { path } => self.show_file(path),
        }
    }

    async fn doctor(&mut self) -> Result<Done, Fail> {
        let base = self.fill("{base_image}")?;
        let report = crate::docker::doctor::doctor_report(&base).await;
        // One line of the checklist per line of output, in both languages.
        let (ru, en) = (report.render(Lang::Ru), report.render(Lang::En));
        let output = ru
            .lines()
            .zip(en.lines())
            .map(|(r, e)| Text::new(r, e))
            .collect();
        if report.daemon_usable {
            Ok(Done::new(t!("Docker готов к работе", "Docker is ready")).with_output(output))
        } else {
            Err(Fail::from(t!(
                "Docker не готов: см. исправления выше",
                "Docker is not ready: see the fixes above"
            )))
        }
    }

    fn copy(&mut self, from: &str, to: &str, overwrite: bool) -> Result<Done, Fail> {
        let to = self.fill(to)?;
        let (target, copied, kept) =
            confine::copy_assets(&self.pack, from, &self.workspace, &to, overwrite)?;
        let shown = target.display().to_string();
        let mut done = Done::new(Text::from_fn(|lang| {
            let copied = count(lang, copied, nouns::FILE);
            let kept = count(lang, kept, nouns::FILE);
            tr!(
                lang,
                "скопировано: {copied}, ваших правок сохранено: {kept} → {shown}",
                "copied: {copied}, your edits kept: {kept} → {shown}"
            )
        }));
        done.vars
            .insert("workspace".into(), self.workspace.display().to_string());
        Ok(done)
    }

    fn edit(&mut self, path: &str) -> Result<Done, Fail> {
        let file = confine::workspace_path(&self.workspace, &self.fill(path)?)?;
        let shown = file.display().to_string();
        if file.is_file() {
            Ok(Done::new(Text::from_fn(|lang| {
                tr!(lang, "файл на месте: {shown}", "file in place: {shown}")
            })))
        } else {
            Err(Fail::from(Text::from_fn(|lang| {
                tr!(lang, "нет файла {shown}", "no file {shown}")
            })))
        }
    }

    /// "Do it for me" on a build whose Dockerfile the learner has not
    /// written yet: put the pack's reference solution in its place, but only
    /// over the untouched template (or no file at all), never over the
    /// learner's own lines. Returns the file written, to say so.
    fn write_solution(
        &self,
        context: &str,
        dockerfile: &str,
        solution: &str,
    ) -> Result<Option<PathBuf>, Fail> {
        let relative = format!("{}/{dockerfile}", context.trim_end_matches('/'));
        let file = confine::workspace_path(&self.workspace, &relative)?;
        let unwritten = match std::fs::read(&file) {
            Ok(now) => self.pack.template_of(&relative) == Some(now.as_slice()),
            Err(e) => e.kind() == std::io::ErrorKind::NotFound,
        };
        if !unwritten {
            return Ok(None);
        }
        let Some(reference) = self.pack.read_asset(solution) else {
            return Err(Fail::from(Text::from_fn(|lang| {
                tr!(
                    lang,
                    "в наборе уроков нет решения {solution}",
                    "the lesson pack has no solution {solution}"
                )
            })));
        };
        crate::paths::write_atomically(&file, reference).map_err(|e| {
            let shown = file.display().to_string();
            Fail::from(Text::plain(format!("{shown}: {e}")))
        })?;
        Ok(Some(file))
    }

    async fn build(&mut self, job: &Job<'_>, build: BuildStep<'_>) -> Result<Done, Fail> {
        let context = self.fill(build.context)?;
        let wrote = match build.solution {
            Some(solution) => self.write_solution(&context, build.dockerfile, solution)?,
            None => None,
        };
        let context_dir = confine::build_context(&self.workspace, &context, build.dockerfile)?;
        let tag = self.fill(build.tag)?;
        let mut args = BTreeMap::new();
        for (k, v) in build.build_args {
            args.insert(k.clone(), self.fill(v)?);
        }
        if !args.contains_key("BASE_IMAGE") {
            args.insert("BASE_IMAGE".into(), self.fill("{base_image}")?);
        }
        let spec = crate::docker::model::BuildSpec {
            context_dir,
            dockerfile: Some(build.dockerfile.to_string()),
            tag: tag.clone(),
            build_args: args,
            labels: BTreeMap::new(),
            lesson: Some(job.lesson.id.clone()),
            no_cache: build.no_cache,
        };
        let built = match self
            .docker
            .build_image(&spec, job.progress, job.cancel)
            .await
        {
            Ok(built) => built,
            Err(e) => {
                let base = spec.build_args.get("BASE_IMAGE").cloned();
                return Err(self.build_failure(e, base.as_deref()).await);
            }
        };
        let info = self
            .docker
            .inspect_image(&built.id)
            .await
            .map_err(|e| self.fail(e))?;
        let wrote = wrote.map(|file| file.display().to_string());
        let mut done = Done::new(Text::from_fn(|lang| match &wrote {
            Some(file) => tr!(
                lang,
                "образ собран: {tag}; ваш Dockerfile был ещё шаблоном, и layerlab записал в {file} готовое решение — сравните его с заданием",
                "image built: {tag}; your Dockerfile was still the template, so layerlab wrote the reference solution to {file}: compare it with the task"
            ),
            None => tr!(lang, "образ собран: {tag}", "image built: {tag}"),
        }));
        if let Some(info) = info {
            done.output = describe_image(&info);
        }
        // The learner's own image (not the lesson's naive comparison):
        // `check` and `report` grade this one, not a default name.
        if self.fill("{image}").is_ok_and(|image| image == tag) {
            done.vars
                .insert(crate::progress::BUILT_IMAGE_VAR.into(), tag.clone());
            done.vars.insert("built_image_id".into(), built.id.clone());
        }
        Ok(done)
    }

    async fn run(&mut self, job: &Job<'_>, run: RunStep<'_>) -> Result<Done, Fail> {
        let image = self.fill(run.image)?;
        let container = container_name(run.name);
        let volumes: Vec<String> = run
            .volumes
            .iter()
            .map(|v| self.fill(v))
            .collect::<Result<_, _>>()?;
        // Before anything reaches the daemon: bind mounts only from the workspace.
        let binds = confine::binds(&self.workspace, &volumes)?;
        self.remove_stale(run.name).await?;
        let spec = RunSpec {
            image: image.clone(),
            name: Some(container.clone()),
            ports: run
                .ports
                .iter()
                .enumerate()
                .map(|(i, p)| PortRequest {
                    container: *p,
                    host: if i == 0 { run.host_port } else { None },
                })
                .collect(),
            binds,
            cmd: run.cmd.clone(),
            env: BTreeMap::new(),
            privileged: run.privileged,
            labels: self.lesson_labels(job.lesson),
        };
        let info = match self.docker.run_container(&spec).await {
            Ok(info) => info,
            Err(e @ DockerError::PortAllocated { .. }) => {
                // The daemon may leave the created container behind.
                if let Err(cleanup) = self.remove_stale(run.name).await {
                    tracing::warn!("after a taken port: {}", cleanup.message.get(Lang::En));
                }
                let asked = run.host_port;
                return Err(Fail::from(Text::from_fn(|lang| {
                    port_taken(&e, asked, lang)
                })));
            }
            Err(e) => return Err(self.fail(e)),
        };
        self.state
            .containers
            .insert(run.name.to_string(), info.id.clone());
        let id = short(&info.id).to_string();
        let mut done = Done::new(Text::from_fn(|lang| {
            tr!(
                lang,
                "контейнер запущен: {container} ({id})",
                "container running: {container} ({id})"
            )
        }));
        let name = run.name;
        for (inner, host) in &info.ports {
            done.vars
                .insert(format!("port.{name}.{inner}"), host.to_string());
            done.vars
                .entry(format!("port.{name}"))
                .or_insert_with(|| host.to_string());
            done.output
                .push(Text::plain(format!("127.0.0.1:{host} → {inner}/tcp")));
        }
        Ok(done)
    }

    async fn exec(
        &mut self,
        job: &Job<'_>,
        container: &str,
        command: &str,
        save_as: Option<&str>,
    ) -> Result<Done, Fail> {
        let id = self.container(container).await?;
        let command = self.fill(command)?;
        let out = self
            .docker
            .exec(&id, &command, job.cancel)
            .await
            .map_err(|e| self.fail(e))?;
        let code = out.exit_code;
        if code != 0 {
            let stderr = out.stderr.trim().to_string();
            return Err(Fail::from(Text::from_fn(|lang| {
                tr!(
                    lang,
                    "`{command}` завершилась с кодом {code}: {stderr}",
                    "`{command}` exited with {code}: {stderr}"
                )
            })));
        }
        let mut done = Done::new(Text::from_fn(|lang| {
            tr!(lang, "код выхода {code}", "exit {code}")
        }));
        done.output = lines_of(&out.stdout).chain(lines_of(&out.stderr)).collect();
        if let Some(name) = save_as {
            done.vars
                .insert(name.to_string(), out.stdout.trim().to_string());
        }
        Ok(done)
    }

    async fn http(
        &mut self,
        container: &str,
        port: u16,
        path: &str,
        save_as: Option<&str>,
    ) -> Result<Done, Fail> {
        let (status, body) = self.fetch(container, port, path).await?;
        let bytes = body.len();
        let mut done = Done::new(Text::from_fn(|lang| {
            tr!(
                lang,
                "HTTP {status} — {bytes} Б",
                "HTTP {status} — {bytes} B"
            )
        }));
        done.output = page_text(&body).into_iter().map(Text::plain).collect();
        if let Some(name) = save_as {
            done.vars.insert(name.to_string(), body);
        }
        Ok(done)
    }

    async fn changes(&mut self, container: &str) -> Result<Done, Fail> {
        let id = self.container(container).await?;
        let changes = self
            .docker
            .container_changes(&id)
            .await
            .map_err(|e| self.fail(e))?;
        let n = changes.len();
        let mut done = Done::new(Text::from_fn(|lang| {
            let n = count(lang, n, nouns::CHANGE);
            tr!(
                lang,
                "в слое контейнера {n}",
                "{n} in the container's layer"
            )
        }));
        done.output = changes
            .iter()
            .map(|c| Text::plain(format!("{} {}", c.kind.mark(), c.path)))
            .collect();
        Ok(done)
    }

    async fn stop(&mut self, container: &str) -> Result<Done, Fail> {
        let id = self.container(container).await?;
        self.docker
            .stop_container(&id, Duration::from_secs(5))
            .await
            .map_err(|e| self.fail(e))?;
        Ok(Done::new(t!("контейнер остановлен", "container stopped")))
    }

    async fn start(&mut self, container: &str) -> Result<Done, Fail> {
        let id = self.container(container).await?;
        self.docker
            .start_container(&id)
            .await
            .map_err(|e| self.fail(e))?;
        let details = self
            .docker
            .inspect_container(&id)
            .await
            .map_err(|e| self.fail(e))?;
        let mut done = Done::new(t!("контейнер снова запущен", "container started again"));
        for (inner, host) in &details.ports {
            done.vars
                .insert(format!("port.{container}.{inner}"), host.to_string());
            done.vars
                .insert(format!("port.{container}"), host.to_string());
        }
        Ok(done)
    }

    async fn remove_container(&mut self, container: &str) -> Result<Done, Fail> {
        let id = self.container(container).await?;
        self.docker
            .remove_container(&id)
            .await
            .map_err(|e| self.fail(e))?;
        self.state.containers.remove(container);
        Ok(Done::new(t!(
            "контейнер удалён вместе с его слоем",
            "container removed, with its layer"
        )))
    }

    async fn commit(&mut self, job: &Job<'_>, container: &str, tag: &str) -> Result<Done, Fail> {
        let id = self.container(container).await?;
        let tag = self.fill(tag)?;
        let image = self
            .docker
            .commit_container(&id, Some(&tag), &self.lesson_labels(job.lesson))
            .await
            .map_err(|e| self.fail(e))?;
        let image = short(&image).to_string();
        Ok(Done::new(Text::from_fn(|lang| {
            tr!(
                lang,
                "новый образ: {tag} ({image})",
                "new image: {tag} ({image})"
            )
        })))
    }

    async fn tag(
        &mut self,
        source: &str,
        target: &str,
        save_as: Option<&str>,
    ) -> Result<Done, Fail> {
        let (source, target) = (self.fill(source)?, self.fill(target)?);
        self.docker
            .tag_image(&source, &target)
            .await
            .map_err(|e| self.fail(e))?;
        let mut done = Done::new(format!("{source} → {target}"));
        if let Some(name) = save_as {
            done.vars.insert(name.to_string(), target);
        }
        Ok(done)
    }

    async fn push(&mut self, job: &Job<'_>, image: &str) -> Result<Done, Fail> {
        let image = self.fill(image)?;
        let typed = self.typed_credentials(&image);
        let pushed = self
            .docker
            .push_image(&image, typed.as_ref(), job.progress, job.cancel)
            .await
            .map_err(|e| self.fail(e))?;
        let mut done = Done::new(Text::from_fn(|lang| {
            tr!(lang, "отправлено: {image}", "pushed: {image}")
        }));
        done.vars
            .insert(crate::progress::PUSHED_VAR.into(), image.clone());
        if let Some(digest) = pushed.digest {
            done.output.push(Text::plain(format!("digest: {digest}")));
            done.vars.insert("pushed_digest".into(), digest);
        }
        done.output
            .push(Text::plain(format!("docker pull {image}")));
        if let Some(link) = super::hub_link(&image) {
            done.output.push(Text::plain(link));
        }
        Ok(done)
    }

    async fn pull(&mut self, job: &Job<'_>, image: &str) -> Result<Done, Fail> {
        let image = self.fill(image)?;
        let typed = self.typed_credentials(&image);
        if let Err(e) = self
            .docker
            .pull_image(&image, typed.as_ref(), job.progress, job.cancel)
            .await
        {
            // Whether the engine has it already decides the advice: offline,
            // a base loaded from a file needs no pull.
            let present = matches!(self.docker.inspect_image(&image).await, Ok(Some(_)));
            return Err(pull_failure(self.fail_ref(&e), &e, &image, present));
        }
        Ok(Done::new(Text::from_fn(|lang| {
            tr!(lang, "скачано: {image}", "pulled: {image}")
        })))
    }

    async fn remove_image(&mut self, image: &str) -> Result<Done, Fail> {
        let image = self.fill(image)?;
        let removed = self
            .docker
            .remove_image(&image, false)
            .await
            .map_err(|e| self.fail(e))?;
        Ok(Done::new(Text::from_fn(|lang| {
            tr!(lang, "удалено: {image}", "removed: {image}")
        }))
        .with_output(removed.into_iter().map(Text::plain).collect()))
    }

    async fn save_image_id(&mut self, image: &str, save_as: &str) -> Result<Done, Fail> {
        let image = self.fill(image)?;
        let info = self.image(&image).await?;
        let mut done = Done::new(format!("{image}: {}", short(&info.id)));
        done.vars.insert(save_as.to_string(), info.id);
        Ok(done)
    }

    async fn kernel(&mut self, job: &Job<'_>, container: &str) -> Result<Done, Fail> {
        let id = self.container(container).await?;
        let host = super::host_kernel();
        let inside = self
            .docker
            .exec(&id, "uname -r", job.cancel)
            .await
            .map_err(|e| self.fail(e))?;
        let inside = inside.stdout.trim().to_string();
        Ok(
            Done::new(t!("ядро одно и то же", "one and the same kernel")).with_output(vec![
                Text::from_fn(|lang| tr!(lang, "хост:       {host}", "host:       {host}")),
                Text::from_fn(|lang| tr!(lang, "контейнер:  {inside}", "container:  {inside}")),
            ]),
        )
    }

    async fn layers(&mut self, image: &str, compare: Option<&str>) -> Result<Done, Fail> {
        let mut done = Done::new(t!("слои образа", "the image's layers"));
        for image in std::iter::once(image).chain(compare) {
            let image = self.fill(image)?;
            let info = self.image(&image).await?;
            let (size, layers) = (info.size, info.layers.len());
            done.output.push(Text::from_fn(|lang| {
                let size = crate::i18n::size(lang, size);
                let layers = count(lang, layers, nouns::LAYER);
                format!("{image}: {size}, {layers}")
            }));
        }
        Ok(done)
    }

    async fn lab(&mut self, image: &str) -> Result<Done, Fail> {
        let image = self.fill(image)?;
        self.image(&image).await?;
        Ok(Done::new(Text::from_fn(|lang| {
            tr!(
                lang,
                "лаборатория открывается в TUI для {image}",
                "the lab opens in the UI for {image}"
            )
        })))
    }

    async fn load(&mut self, job: &Job<'_>, path: &str) -> Result<Done, Fail> {
        let path = confine::load_path(&self.workspace, path, &self.fill(path)?)?;
        let loaded = self
            .docker
            .load_image(&path, job.progress, job.cancel)
            .await
            .map_err(|e| self.fail(e))?;
        let shown = path.display().to_string();
        Ok(Done::new(Text::from_fn(|lang| {
            tr!(lang, "загружено из {shown}", "loaded from {shown}")
        }))
        .with_output(loaded.into_iter().map(Text::plain).collect()))
    }

    fn show_file(&mut self, path: &str) -> Result<Done, Fail> {
        let filled = self.fill(path)?;
        let file = confine::workspace_path(&self.workspace, &filled)?;
        let text = confine::read_file(&self.workspace, &filled)?;
        let lines: Vec<Text> = lines_of(&text).collect();
        let skip = lines.len().saturating_sub(OUTPUT_LINES);
        Ok(Done::new(file.display().to_string()).with_output(lines[skip..].to_vec()))
    }
}

/// A build step's fields, borrowed from the lesson.
struct BuildStep<'a> {
    context: &'a str,
    tag: &'a str,
    dockerfile: &'a str,
    build_args: &'a BTreeMap<String, String>,
    no_cache: bool,
    solution: Option<&'a str>,
}

/// A run step's fields, borrowed from the lesson.
struct RunStep<'a> {
    name: &'a str,
    image: &'a str,
    ports: &'a [u16],
    volumes: &'a [String],
    cmd: &'a Option<Vec<String>>,
    privileged: bool,
    host_port: Option<u16>,
}

/// A failed pull keeps its kind (a refused login stays a refusal) and
/// gains advice that holds offline when the image comes from Docker Hub
/// (`present`: the engine has it already).
pub(super) fn pull_failure(fail: Fail, e: &DockerError, image: &str, present: bool) -> Fail {
    Fail {
        message: Text::from_fn(|lang| pull_hint(e, image, present, lang)),
        error: fail.error,
    }
}
