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
            t!("реестр недоступен:", "registry unreachable:").get(lang),
            t!("что сделать", "fix").get(lang),
            // Starting a registry is advice only for one on this machine.
            if is_local_registry(registry) {
                t!(
                    "проверьте адрес и сеть; локальный реестр на 127.0.0.1 должен быть запущен (docker run -d -p 127.0.0.1:5000:5000 registry:2); затем повторите шаг",
                    "check the address and the network; a local registry on 127.0.0.1 must be running (docker run -d -p 127.0.0.1:5000:5000 registry:2); then redo the step"
                )
            } else {
                t!(
                    "проверьте адрес, сеть и прокси; затем повторите шаг",
                    "check the address, the network and the proxy; then redo the step"
                )
            }
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

fn is_local_registry(registry: &str) -> bool {
    let host = registry.rsplit_once(':').map_or(registry, |(h, _)| h);
    matches!(host, "127.0.0.1" | "localhost" | "[::1]" | "::1")
}

/// A failed pull of a Docker Hub image (the lessons' base) gets advice that
/// holds where the learner is. With no network at all no registry answers,
/// a mirror neither: if the image is already in the engine (`present`: loaded
/// from a file, or pulled before), the build takes it from there and the
/// pull can be skipped; if not, it comes as a file (`layerlab load`). The
/// mirror is advice for when only Docker Hub is closed. Other images (the
/// learner's own registry) get the error's own fix.
pub(super) fn pull_hint(e: &DockerError, image: &str, present: bool, lang: Lang) -> String {
    use crate::docker::error::RegistryError;
    let from_hub =
        crate::docker::reference::ImageRef::parse(image).is_ok_and(|r| r.is_docker_hub());
    if !from_hub {
        return explain(e, "", lang);
    }
    let offline = matches!(e, DockerError::Registry(RegistryError::Unreachable { .. }));
    let what = match e {
        DockerError::Registry(RegistryError::Unreachable { registry, message }) => format!(
            "{} {registry}: {message}",
            t!("реестр недоступен:", "registry unreachable:").get(lang)
        ),
        e => explain(e, "", lang),
    };
    let fix = t!("что сделать", "fix").get(lang);
    let mirror = tr!(
        lang,
        "если сеть есть, а закрыт только Docker Hub, возьмите зеркало: layerlab --base-image {MIRROR_BASE}",
        "if there is a network and only Docker Hub is closed, use a mirror: layerlab --base-image {MIRROR_BASE}"
    );
    if offline && present {
        return format!(
            "{what}\n  {fix}: {}",
            tr!(
                lang,
                "без сети образ не скачать, но {image} уже есть в вашем Docker Engine: сборка возьмёт его оттуда, этот шаг можно пропустить (→)",
                "with no network no image can be pulled, but {image} is already in your Docker Engine: the build takes it from there, so skip this step (→)"
            )
        );
    }
    let by_file = tr!(
        lang,
        "принесите образ файлом: на машине с сетью docker pull {image} и docker save -o base.tar {image}, здесь — layerlab load ФАЙЛ.tar (следующий шаг урока)",
        "bring the image as a file: on a machine with a network docker pull {image} and docker save -o base.tar {image}, here layerlab load FILE.tar (the lesson's next step)"
    );
    if offline {
        format!(
            "{what}\n  {fix}: {} {by_file}; {mirror}",
            t!(
                "без сети образ не скачать:",
                "with no network no image can be pulled:"
            )
            .get(lang)
        )
    } else {
        format!("{what}\n  {fix}: {mirror}; {by_file}")
    }
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

#[cfg(test)]
mod pull_tests {
    use super::*;
    use crate::docker::error::RegistryError;

    fn offline(registry: &str) -> DockerError {
        DockerError::Registry(RegistryError::Unreachable {
            registry: registry.to_string(),
            message: "dial tcp: lookup registry-1.docker.io: no such host".to_string(),
        })
    }

    /// Offline, the base already in the engine: the pull is not needed,
    /// and nothing suggests a registry or a mirror (neither answers).
    #[test]
    fn offline_with_the_base_present_says_to_skip() {
        let e = offline("docker.io");
        let ru = pull_hint(&e, "alpine:3.22", true, Lang::Ru);
        assert!(
            ru.contains("alpine:3.22 уже есть в вашем Docker Engine"),
            "{ru}"
        );
        assert!(ru.contains("можно пропустить"), "{ru}");
        for wrong in ["registry:2", "зеркало", "FILE"] {
            assert!(!ru.contains(wrong), "{wrong}: {ru}");
        }
        let en = pull_hint(&e, "alpine:3.22", true, Lang::En);
        assert!(en.contains("already in your Docker Engine"), "{en}");
    }

    /// Offline, no base: it comes as a file (in Russian words), the mirror
    /// only for when the network is there; no local-registry advice.
    #[test]
    fn offline_without_the_base_says_to_bring_a_file() {
        let ru = pull_hint(&offline("docker.io"), "alpine:3.22", false, Lang::Ru);
        assert!(ru.contains("без сети образ не скачать"), "{ru}");
        assert!(ru.contains("layerlab load ФАЙЛ.tar"), "{ru}");
        assert!(ru.contains("docker save -o base.tar alpine:3.22"), "{ru}");
        assert!(ru.contains("если сеть есть"), "{ru}");
        assert!(!ru.contains("registry:2") && !ru.contains("FILE"), "{ru}");
    }

    /// A local registry that is down keeps its own advice: start it.
    #[test]
    fn a_local_registry_down_is_told_to_start() {
        let e = offline("127.0.0.1:5000");
        let en = pull_hint(&e, "127.0.0.1:5000/anna/web:1", false, Lang::En);
        assert!(en.contains("registry:2"), "{en}");
        let hub = explain(&offline("docker.io"), "", Lang::En);
        assert!(!hub.contains("registry:2"), "{hub}");
    }
}
