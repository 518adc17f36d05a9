//! Check steps: one function per kind of check. A check passes with a
//! sentence saying what it saw, or fails with one saying what is missing.

use tokio_util::sync::CancellationToken;

use super::act::pull_failure;
use super::explain::no_image;
use super::{Done, Fail, Runner, container_name, host_kernel, page_text, parse_change};
use crate::docker::error::DockerError;
use crate::docker::model::short_id as short;
use crate::i18n::{Text, count, nouns};
use crate::lesson::Check;
use crate::{t, tr};

/// Pass with `yes`, or fail with `no`.
fn verdict(ok: bool, yes: Text, no: Text) -> Result<Done, Fail> {
    if ok {
        Ok(Done::new(yes))
    } else {
        Err(Fail::from(no))
    }
}

impl Runner {
    // one piece: the dispatch over every check kind, one line each
    pub(super) async fn check(
        &mut self,
        check: &Check,
        cancel: &CancellationToken,
    ) -> Result<Done, Fail> {
        match check {
            Check::DaemonReachable => {
                self.docker.ping().await.map_err(|e| self.fail(e))?;
                Ok(Done::new(t!("Docker отвечает", "Docker answers")))
            }
            Check::ImageExists { image } => self.image_present(image, true).await,
            Check::ImageAbsent { image } => self.image_present(image, false).await,
            Check::ContainerRunning { container } => self.container_state(container, true).await,
            Check::ContainerStopped { container } => self.container_state(container, false).await,
            Check::ContainerAbsent { container } => self.container_absent(container).await,
            Check::PageContains {
                container,
                port,
                path,
                text,
            } => self.page(container, *port, path, text, true).await,
            Check::PageLacks {
                container,
                port,
                path,
                text,
            } => self.page(container, *port, path, text, false).await,
            Check::LayerCountAtMost { image, max } => self.layer_count_at_most(image, *max).await,
            Check::LayerCountDiff { image, base, more } => {
                self.layer_count_diff(image, base, *more).await
            }
            Check::ImageIdUnchanged { image, saved } => self.image_id_unchanged(image, saved).await,
            Check::ChangesInclude {
                container,
                path,
                change,
            } => self.changes_include(container, path, change).await,
            Check::ChangesExclude { container, path } => {
                self.changes_exclude(container, path).await
            }
            Check::ExecOutputContains {
                container,
                command,
                text,
            } => self.exec_output(container, command, text, cancel).await,
            Check::FileContains { path, text } => self.file_contains(path, text),
            Check::SameKernel { container } => self.same_kernel(container, cancel).await,
            Check::PushedMatches { image } => self.pushed_matches(image, cancel).await,
            Check::SmallerThan { image, other } => self.smaller_than(image, other).await,
        }
    }

    async fn image_present(&mut self, image: &str, want: bool) -> Result<Done, Fail> {
        let image = self.fill(image)?;
        let info = self
            .docker
            .inspect_image(&image)
            .await
            .map_err(|e| self.fail(e))?;
        let present =
            Text::from_fn(|lang| tr!(lang, "образ есть: {image}", "image present: {image}"));
        if want {
            verdict(
                info.is_some(),
                present,
                Text::from_fn(|lang| no_image(&image, lang)),
            )
        } else {
            verdict(
                info.is_none(),
                Text::from_fn(|lang| tr!(lang, "образа нет: {image}", "image absent: {image}")),
                Text::from_fn(|lang| {
                    tr!(
                        lang,
                        "образ всё ещё есть: {image}",
                        "image still present: {image}"
                    )
                }),
            )
        }
    }

    async fn container_state(&mut self, container: &str, want_running: bool) -> Result<Done, Fail> {
        let id = self.container(container).await?;
        let details = self
            .docker
            .inspect_container(&id)
            .await
            .map_err(|e| self.fail(e))?;
        let state = details.state.clone();
        let shown = |lang| super::explain::container_state(&state, lang);
        verdict(
            details.state.running == want_running,
            Text::from_fn(|lang| format!("{container}: {}", shown(lang))),
            Text::from_fn(|lang| {
                let now = shown(lang);
                if want_running {
                    tr!(
                        lang,
                        "{container}: {now}, а должен работать",
                        "{container}: {now}, but it should be running"
                    )
                } else {
                    tr!(
                        lang,
                        "{container}: {now}, а должен быть остановлен",
                        "{container}: {now}, but it should be stopped"
                    )
                }
            }),
        )
    }

    async fn container_absent(&mut self, container: &str) -> Result<Done, Fail> {
        match self
            .docker
            .inspect_container(&container_name(container))
            .await
        {
            Err(DockerError::ContainerNotFound { .. }) => Ok(Done::new(Text::from_fn(|lang| {
                tr!(
                    lang,
                    "{container}: контейнера больше нет",
                    "{container}: the container is gone"
                )
            }))),
            Ok(_) => Err(Fail::from(Text::from_fn(|lang| {
                tr!(
                    lang,
                    "{container}: контейнер ещё существует",
                    "{container}: the container still exists"
                )
            }))),
            Err(e) => Err(self.fail(e)),
        }
    }

    async fn page(
        &mut self,
        container: &str,
        port: u16,
        path: &str,
        text: &str,
        want: bool,
    ) -> Result<Done, Fail> {
        let text = self.fill(text)?;
        let (status, body) = self.fetch(container, port, path).await?;
        let has = body.contains(&text);
        let words = move |has: bool| {
            Text::from_fn(|lang| {
                if has {
                    tr!(
                        lang,
                        "HTTP {status}: на странице есть «{text}»",
                        "HTTP {status}: the page has «{text}»"
                    )
                } else {
                    tr!(
                        lang,
                        "HTTP {status}: на странице нет «{text}»",
                        "HTTP {status}: the page lacks «{text}»"
                    )
                }
            })
        };
        if has == want {
            let shown = page_text(&body).into_iter().map(Text::plain).collect();
            Ok(Done::new(words(has)).with_output(shown))
        } else {
            Err(Fail::from(words(has)))
        }
    }

    async fn layer_count_at_most(&mut self, image: &str, max: u32) -> Result<Done, Fail> {
        let image = self.fill(image)?;
        let info = self.image(&image).await?;
        let n = info.layers.len() as u32;
        verdict(
            n <= max,
            Text::from_fn(|lang| format!("{image}: {} ≤ {max}", count(lang, n, nouns::LAYER))),
            Text::from_fn(|lang| format!("{image}: {} > {max}", count(lang, n, nouns::LAYER))),
        )
    }

    async fn layer_count_diff(&mut self, image: &str, base: &str, more: u32) -> Result<Done, Fail> {
        let (image, base) = (self.fill(image)?, self.fill(base)?);
        let a = self.image(&image).await?;
        let b = self.image(&base).await?;
        let diff = a.layers.len() as i64 - b.layers.len() as i64;
        let shared = b.layers.iter().zip(&a.layers).all(|(x, y)| x == y);
        let (na, nb) = (a.layers.len(), b.layers.len());
        verdict(
            diff == i64::from(more) && shared,
            Text::plain(format!("{image}: {na} = {nb} + {more}")),
            Text::from_fn(|lang| {
                let (na, nb) = (count(lang, na, nouns::LAYER), count(lang, nb, nouns::LAYER));
                format!("{image}: {na}, {base}: {nb}")
            }),
        )
    }

    async fn image_id_unchanged(&mut self, image: &str, saved: &str) -> Result<Done, Fail> {
        let image = self.fill(image)?;
        let before = self.state.vars.get(saved).cloned().ok_or_else(|| {
            Fail::from(Text::from_fn(|lang| {
                tr!(lang, "нет сохранённого id {saved}", "no saved id {saved}")
            }))
        })?;
        let info = self.image(&image).await?;
        let (now, was) = (short(&info.id).to_string(), short(&before).to_string());
        verdict(
            info.id == before,
            Text::from_fn(|lang| {
                tr!(
                    lang,
                    "{image}: id {now} не изменился",
                    "{image}: id {now} unchanged"
                )
            }),
            Text::plain(format!("{image}: id {was} → {now}")),
        )
    }

    async fn changes_include(
        &mut self,
        container: &str,
        path: &str,
        change: &str,
    ) -> Result<Done, Fail> {
        let id = self.container(container).await?;
        let path = self.fill(path)?;
        let changes = self
            .docker
            .container_changes(&id)
            .await
            .map_err(|e| self.fail(e))?;
        let found = changes.iter().find(|c| c.path == path);
        let want = parse_change(change);
        let mark = found.map_or("?", |c| c.kind.mark());
        verdict(
            found.is_some_and(|c| Some(c.kind) == want),
            Text::plain(format!("{mark} {path}")),
            Text::from_fn(|lang| {
                tr!(
                    lang,
                    "{path}: в слое контейнера нет изменения вида «{change}»",
                    "{path}: no change of kind «{change}» in the container's layer"
                )
            }),
        )
    }

    async fn changes_exclude(&mut self, container: &str, path: &str) -> Result<Done, Fail> {
        let id = self.container(container).await?;
        let path = self.fill(path)?;
        let changes = self
            .docker
            .container_changes(&id)
            .await
            .map_err(|e| self.fail(e))?;
        verdict(
            !changes.iter().any(|c| c.path == path),
            Text::from_fn(|lang| {
                tr!(
                    lang,
                    "{container}: {path} не тронут",
                    "{container}: {path} untouched"
                )
            }),
            Text::from_fn(|lang| {
                tr!(
                    lang,
                    "{container}: {path} изменён",
                    "{container}: {path} changed"
                )
            }),
        )
    }

    async fn exec_output(
        &mut self,
        container: &str,
        command: &str,
        text: &str,
        cancel: &CancellationToken,
    ) -> Result<Done, Fail> {
        let id = self.container(container).await?;
        let (command, text) = (self.fill(command)?, self.fill(text)?);
        let out = self
            .docker
            .exec(&id, &command, cancel)
            .await
            .map_err(|e| self.fail(e))?;
        let all = format!("{}{}", out.stdout, out.stderr);
        verdict(
            all.contains(&text),
            Text::from_fn(|lang| {
                tr!(
                    lang,
                    "`{command}`: в выводе есть «{text}»",
                    "`{command}`: the output has «{text}»"
                )
            }),
            Text::from_fn(|lang| {
                tr!(
                    lang,
                    "`{command}`: в выводе нет «{text}»",
                    "`{command}`: the output lacks «{text}»"
                )
            }),
        )
    }

    fn file_contains(&mut self, path: &str, text: &str) -> Result<Done, Fail> {
        let file = super::confine::workspace_path(&self.workspace, &self.fill(path)?)?;
        let text = self.fill(text)?;
        let body = std::fs::read_to_string(&file).unwrap_or_default();
        let shown = file.display().to_string();
        verdict(
            body.contains(&text),
            Text::from_fn(|lang| tr!(lang, "{shown}: есть «{text}»", "{shown}: has «{text}»")),
            Text::from_fn(|lang| tr!(lang, "{shown}: нет «{text}»", "{shown}: lacks «{text}»")),
        )
    }

    async fn same_kernel(
        &mut self,
        container: &str,
        cancel: &CancellationToken,
    ) -> Result<Done, Fail> {
        let id = self.container(container).await?;
        let inside = self
            .docker
            .exec(&id, "uname -r", cancel)
            .await
            .map_err(|e| self.fail(e))?;
        let host = host_kernel();
        let inside = inside.stdout.trim().to_string();
        verdict(
            inside == host,
            Text::plain(format!("{host} = {inside}")),
            Text::plain(format!("{host} ≠ {inside}")),
        )
    }

    async fn pushed_matches(
        &mut self,
        image: &str,
        cancel: &CancellationToken,
    ) -> Result<Done, Fail> {
        let image = self.fill(image)?;
        let local = self.image(&image).await?;
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let typed = self.typed_credentials(&image);
        if let Err(e) = self
            .docker
            .pull_image(&image, typed.as_ref(), &tx, cancel)
            .await
        {
            return Err(pull_failure(self.fail_ref(&e), &e, &image, false));
        }
        let pulled = self.image(&image).await?;
        let (local_id, pulled_id) = (short(&local.id).to_string(), short(&pulled.id).to_string());
        verdict(
            pulled.id == local.id,
            Text::from_fn(|lang| {
                tr!(
                    lang,
                    "{image}: из реестра пришёл тот же образ {local_id}",
                    "{image}: the registry serves the same image {local_id}"
                )
            }),
            Text::from_fn(|lang| {
                tr!(
                    lang,
                    "{image}: в реестре другой образ {pulled_id} ≠ {local_id}",
                    "{image}: the registry has another image {pulled_id} ≠ {local_id}"
                )
            }),
        )
    }

    async fn smaller_than(&mut self, image: &str, other: &str) -> Result<Done, Fail> {
        let (image, other) = (self.fill(image)?, self.fill(other)?);
        let a = self.image(&image).await?;
        let b = self.image(&other).await?;
        let sizes = |lang| {
            (
                crate::i18n::size(lang, a.size),
                crate::i18n::size(lang, b.size),
            )
        };
        verdict(
            a.size < b.size,
            Text::from_fn(|lang| {
                let (sa, sb) = sizes(lang);
                format!("{image} {sa} < {other} {sb}")
            }),
            Text::from_fn(|lang| {
                let (sa, sb) = sizes(lang);
                format!("{image} {sa} ≥ {other} {sb}")
            }),
        )
    }
}
