//! Failures put into words, with what to do about them: Docker's errors,
//! a taken port, a pull out of reach, a lost build. Each takes the language
//! to say it in; the runner calls them once per language.

use std::time::Duration;

use super::{Fail, Runner};
use crate::docker::error::DockerError;
use crate::docker::model::{ContainerState, ImageInfo, short_id as short};
use crate::i18n::{Lang, Text, count, nouns};
use crate::{t, tr};

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
pub(super) fn port_taken(e: &DockerError, asked: Option<u16>, lang: Lang) -> String {
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
pub(super) fn pull_hint(e: &DockerError, image: &str, lang: Lang) -> String {
    let from_hub =
        crate::docker::reference::ImageRef::parse(image).is_ok_and(|r| r.is_docker_hub());
    let text = explain(e, "", lang);
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

pub(super) fn no_image(image: &str, lang: Lang) -> String {
    tr!(lang, "нет образа {image}", "no image {image}")
}

/// A container's state as a word the learner reads, not Docker's token.
pub fn container_state(state: &ContainerState, lang: Lang) -> String {
    let code = state.exit_code.unwrap_or_default();
    match state.status.as_str() {
        "running" => t!("работает", "running").get(lang).to_string(),
        "created" => t!("создан, но не запущен", "created, not started")
            .get(lang)
            .to_string(),
        "paused" => t!("приостановлен", "paused").get(lang).to_string(),
        "restarting" => t!("перезапускается", "restarting").get(lang).to_string(),
        "removing" => t!("удаляется", "being removed").get(lang).to_string(),
        "exited" => tr!(
            lang,
            "остановлен (код выхода {code})",
            "stopped (exit code {code})"
        ),
        "dead" => t!("не удалось остановить (dead)", "dead: could not be stopped")
            .get(lang)
            .to_string(),
        other => other.to_string(),
    }
}

/// An image's size, layers and id, then one line per instruction of its
/// history (metadata-only instructions made no layer and are indented).
pub(super) fn describe_image(info: &ImageInfo) -> Vec<Text> {
    let (size, layers, id) = (info.size, info.layers.len(), short(&info.id).to_string());
    let mut out = vec![Text::from_fn(|lang| {
        let size = crate::i18n::size(lang, size);
        let layers = count(lang, layers, nouns::LAYER);
        tr!(
            lang,
            "размер {size}, {layers}, id {id}",
            "size {size}, {layers}, id {id}"
        )
    })];
    // History is newest first; metadata steps (ENV, CMD…) made no layer.
    let mut layer = 0;
    for entry in info.history.iter().rev() {
        let instruction = crate::layers::report::short_instruction(&entry.created_by, 60);
        if crate::docker::model::makes_a_layer(entry) {
            if layer < info.layers.len() {
                let (n, size) = (layer + 1, entry.size);
                out.push(Text::from_fn(|lang| {
                    let size = crate::i18n::size(lang, size);
                    tr!(
                        lang,
                        "  слой {n:>2}: {instruction} ({size})",
                        "  layer {n:>2}: {instruction} ({size})"
                    )
                }));
            }
            layer += 1;
        } else {
            out.push(Text::plain(format!("          {instruction}")));
        }
    }
    out
}

impl Runner {
    /// A failed build, said so the learner can act: a lost daemon names its
    /// endpoint, a base image that could not be pulled gets the mirror and
    /// `layerlab load` advice.
    /// A failed build, said so the learner can act: a lost daemon names its
    /// endpoint; a base image that could not be pulled gets the mirror and
    /// `layerlab load` advice — only when the failing `FROM` is the base the
    /// lesson gave, not an image the learner named themselves.
    pub(super) async fn build_failure(&self, e: DockerError, base: Option<&str>) -> Fail {
        let endpoint = self.docker.endpoint().url.clone();
        if !e.is_connection() && !e.is_cancelled() {
            // A connection that dropped mid-stream looks like a cut-off build;
            // only a ping tells the two apart.
            let ping = tokio::time::timeout(Duration::from_secs(3), self.docker.ping()).await;
            if !matches!(ping, Ok(Ok(()))) {
                let ping_error = match ping {
                    Ok(Err(ping_error)) => Some(ping_error),
                    _ => None,
                };
                return Fail::from(Text::from_fn(|lang| {
                    lost_during_build(&e, ping_error.as_ref(), &endpoint, lang)
                }));
            }
        }
        let base_missing = match (&e, base) {
            (
                DockerError::Build {
                    step: Some(step),
                    message,
                },
                Some(base),
            ) => {
                let from = step
                    .instruction
                    .get(..5)
                    .is_some_and(|head| head.eq_ignore_ascii_case("FROM "));
                from && (step.instruction.contains("BASE_IMAGE")
                    || step.instruction.contains(base)
                    || message.contains(base))
            }
            (
                DockerError::Build {
                    step: None,
                    message,
                },
                Some(base),
            ) => message.contains(base),
            _ => false,
        };
        if !base_missing {
            return super::docker_fail(&e, &endpoint);
        }
        // The Dockerfile says `FROM ${BASE_IMAGE}`; the learner needs the
        // name it stood for, and the two ways round a registry out of reach.
        let base = base.unwrap_or("alpine:3.22");
        Fail::from(Text::from_fn(|lang| {
            let what = e.message(lang).replace("${BASE_IMAGE}", base);
            tr!(
                lang,
                "{what}\n  что сделать: базового образа {base} нет в Docker Engine, и скачать его не удалось. Возьмите зеркало: layerlab --base-image {MIRROR_BASE}, или загрузите образ из файла: `layerlab load ФАЙЛ.tar` (постоянно: base_image в config.json в папке данных)",
                "{what}\n  fix: the base image {base} is not in the Docker Engine and could not be pulled. Use a mirror: layerlab --base-image {MIRROR_BASE}, or load the image from a file: `layerlab load FILE.tar` (for good: base_image in config.json in the data folder)"
            )
        }))
    }
}

/// The daemon went away in the middle of a build.
fn lost_during_build(
    e: &DockerError,
    ping_error: Option<&DockerError>,
    endpoint: &str,
    lang: Lang,
) -> String {
    let why = match ping_error {
        Some(ping_error) => ping_error.render(lang),
        None => t!("нет ответа за 3 с", "no answer within 3 s")
            .get(lang)
            .to_string(),
    };
    let what = match e {
        DockerError::Api { status: 0, message } => message.clone(),
        other => other.message(lang),
    };
    tr!(
        lang,
        "связь с Docker daemon {endpoint} потеряна во время сборки: {what}\n  проверка связи: {why}\n  Запустите Docker снова и повторите шаг: ваши файлы на месте, прогресс сохранён.",
        "lost the connection to the Docker daemon at {endpoint} during the build: {what}\n  ping: {why}\n  Get Docker running again and redo the step: your files are in place and your progress is kept."
    )
}
