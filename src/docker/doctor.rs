//! The environment checklist shown by `layerlab doctor` and by the first
//! lesson in the TUI: which daemon, which engine, where images are stored,
//! whether the base image and a registry are there. Data only; printing is
//! the caller's business.

use std::net::ToSocketAddrs;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::docker::client::Docker;
use crate::docker::endpoint::{self, Endpoint, EndpointError};
use crate::docker::error::DockerError;
use crate::docker::model::{ImageStore, short_id};
use crate::i18n::{Lang, Text};

pub const DOCKER_HUB_REGISTRY: &str = "registry-1.docker.io:443";
const REGISTRY_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    Ok,
    /// Works, but a later lesson will need something.
    Warn,
    Fail,
}

impl Status {
    pub fn symbol(self) -> &'static str {
        match self {
            Status::Ok => "✔",
            Status::Warn => "!",
            Status::Fail => "✘",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoctorLine {
    pub ok: Status,
    pub label: Text,
    pub detail: Text,
    pub fix: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoctorReport {
    pub lines: Vec<DoctorLine>,
    /// False when the daemon cannot be used at all (doctor exits non-zero).
    pub daemon_usable: bool,
}

impl DoctorReport {
    /// The checklist as text: one line per check, each fix indented below.
    pub fn render(&self, lang: Lang) -> String {
        let fix_label = crate::t!("что сделать", "fix").get(lang);
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(&format!(
                "{} {}: {}\n",
                line.ok.symbol(),
                line.label.get(lang),
                line.detail.get(lang)
            ));
            if let Some(fix) = &line.fix {
                out.push_str(&format!("    → {fix_label}: {}\n", fix.get(lang)));
            }
        }
        out
    }
}

#[derive(Debug, Clone)]
pub struct DoctorOptions {
    /// The image the lessons build FROM.
    pub base_image: String,
    /// `host:port` to test reachability of; default Docker Hub, or
    /// `LAYERLAB_REGISTRY` when set.
    pub registry: String,
}

impl DoctorOptions {
    pub fn new(base_image: &str) -> DoctorOptions {
        let registry = std::env::var("LAYERLAB_REGISTRY")
            .ok()
            .map(|r| registry_host_port(&r))
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| DOCKER_HUB_REGISTRY.to_string());
        DoctorOptions {
            base_image: base_image.to_string(),
            registry,
        }
    }
}

/// `https://reg.example:5000/v2/` -> `reg.example:5000`; no port -> :443.
fn registry_host_port(value: &str) -> String {
    let v = value.trim();
    let (https, rest) = match v.strip_prefix("https://") {
        Some(r) => (true, r),
        None => match v.strip_prefix("http://") {
            Some(r) => (false, r),
            None => (true, v),
        },
    };
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty()
        || host
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        host.to_string()
    } else {
        format!("{host}:{}", if https { 443 } else { 80 })
    }
}

/// Run every check against the endpoint the Docker CLI would use. The
/// report's words are in both languages; `render` picks one.
pub async fn doctor_report(base_image: &str) -> DoctorReport {
    let options = DoctorOptions::new(base_image);
    doctor_report_for(endpoint::resolve_from_process(), &options).await
}

/// Run the checks for a given endpoint resolution (tests inject one).
pub async fn doctor_report_for(
    resolved: Result<Endpoint, EndpointError>,
    options: &DoctorOptions,
) -> DoctorReport {
    // The registry check does not need the daemon: run it alongside.
    let registry_check = tokio::spawn(check_registry(options.registry.clone()));
    let mut lines = Vec::new();
    let endpoint_label = Text::new("Адрес Docker", "Docker endpoint");
    let engine_label = Text::new("Docker Engine", "Docker Engine");

    let daemon = match resolved {
        Err(e) => {
            lines.push(DoctorLine {
                ok: Status::Fail,
                label: endpoint_label,
                detail: Text::plain(e.to_string()),
                fix: Some(Text::from_fn(|lang| e.fix(lang))),
            });
            None
        }
        Ok(endpoint) => {
            lines.push(DoctorLine {
                ok: Status::Ok,
                label: endpoint_label,
                detail: Text::from_fn(|lang| {
                    format!("{} ({})", endpoint.url, endpoint.source.describe(lang))
                }),
                fix: None,
            });
            match Docker::connect(&endpoint).await {
                Ok(docker) => Some(docker),
                Err(e) => {
                    lines.push(failure_line(engine_label.clone(), &e));
                    None
                }
            }
        }
    };

    let daemon_usable = if let Some(docker) = &daemon {
        engine_lines(docker, options, &mut lines).await
    } else {
        false
    };

    match registry_check.await {
        Ok(line) => lines.push(line),
        Err(e) => lines.push(DoctorLine {
            ok: Status::Warn,
            label: Text::new("Реестр", "Registry"),
            detail: Text::plain(e.to_string()),
            fix: None,
        }),
    }
    DoctorReport {
        lines,
        daemon_usable,
    }
}

fn failure_line(label: Text, e: &DockerError) -> DoctorLine {
    DoctorLine {
        ok: Status::Fail,
        label,
        detail: Text::from_fn(|lang| e.message(lang)),
        fix: fix_of(e),
    }
}

/// A Docker error's fix, when it has one, in both languages.
fn fix_of(e: &DockerError) -> Option<Text> {
    e.fix(Lang::En)
        .map(|_| Text::from_fn(|lang| e.fix(lang).unwrap_or_default()))
}

/// Engine, storage, system and base image lines. Returns whether the daemon
/// is usable.
async fn engine_lines(
    docker: &Docker,
    options: &DoctorOptions,
    lines: &mut Vec<DoctorLine>,
) -> bool {
    let info = match docker.engine_info().await {
        Ok(info) => info,
        Err(e) => {
            lines.push(failure_line(
                Text::new("Docker Engine", "Docker Engine"),
                &e,
            ));
            return false;
        }
    };
    let api_note = if info.server_api_version == info.api_version {
        Text::new("согласована", "negotiated")
    } else {
        Text::new(
            format!("согласована; движок умеет до {}", info.server_api_version),
            format!(
                "negotiated; the engine supports up to {}",
                info.server_api_version
            ),
        )
    };
    lines.push(DoctorLine {
        ok: Status::Ok,
        label: Text::new("Docker Engine", "Docker Engine"),
        detail: Text::from_fn(|lang| {
            format!(
                "{}, API {} ({})",
                info.engine_version,
                info.api_version,
                api_note.get(lang)
            )
        }),
        fix: None,
    });

    let store = match &info.image_store {
        ImageStore::ContainerdSnapshotter { snapshotter } => Text::new(
            format!("хранилище образов containerd (snapshotter {snapshotter})"),
            format!("containerd image store (snapshotter {snapshotter})"),
        ),
        ImageStore::GraphDriver { driver } => Text::new(
            format!("драйвер хранения {driver} (классическое хранилище graphdriver)"),
            format!("storage driver {driver} (classic graphdriver image store)"),
        ),
    };
    lines.push(DoctorLine {
        ok: Status::Ok,
        label: Text::new("Хранение слоёв", "Layer storage"),
        detail: store,
        fix: None,
    });

    let windows = info.os_type.eq_ignore_ascii_case("windows");
    lines.push(DoctorLine {
        ok: if windows { Status::Fail } else { Status::Ok },
        label: Text::new("Система", "System"),
        detail: Text::from_fn(|lang| {
            format!(
                "{}, {} {}, {}/{}",
                info.operating_system,
                crate::t!("ядро", "kernel").get(lang),
                info.kernel_version,
                info.os_type,
                info.architecture
            )
        }),
        fix: windows.then(|| {
            Text::new(
                "уроки используют Linux-контейнеры: переключите Docker Desktop на Linux containers",
                "the lessons use Linux containers: switch Docker Desktop to Linux containers",
            )
        }),
    });
    if windows {
        return false;
    }

    let base_label = Text::new(
        format!("Базовый образ {}", options.base_image),
        format!("Base image {}", options.base_image),
    );
    match docker.inspect_image(&options.base_image).await {
        Ok(Some(image)) => lines.push(DoctorLine {
            ok: Status::Ok,
            label: base_label,
            detail: Text::from_fn(|lang| {
                let (id, size) = (short_id(&image.id), crate::i18n::size(lang, image.size));
                crate::tr!(lang, "есть ({id}, {size})", "present ({id}, {size})")
            }),
            fix: None,
        }),
        Ok(None) => lines.push(DoctorLine {
            ok: Status::Warn,
            label: base_label,
            detail: Text::new("нет в Docker Engine", "not in the Docker Engine"),
            fix: Some(Text::new(format!(
                    "скачайте его: docker pull {0}; без сети загрузите архив от преподавателя: layerlab load ФАЙЛ.tar (или выберите другой: --base-image)",
                    options.base_image
                ), format!(
                    "pull it: docker pull {0}; offline, load the teacher's tarball: layerlab load FILE.tar (or pick another with --base-image)",
                    options.base_image
                ))),
        }),
        Err(e) => lines.push(DoctorLine {
            ok: Status::Warn,
            label: base_label,
            detail: Text::from_fn(|lang| e.message(lang)),
            fix: fix_of(&e),
        }),
    }
    true
}

/// TCP connect to the registry within 2 s. Name resolution runs on its own
/// thread: a stuck resolver must not keep the process (or the runtime's
/// blocking pool) alive after the answer is given up on.
async fn check_registry(host_port: String) -> DoctorLine {
    let label = Text::new("Реестр", "Registry");
    let started = Instant::now();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let target = host_port.clone();
    let spawned = std::thread::Builder::new()
        .name("layerlab-dns".into())
        .spawn(move || {
            let _ = tx.send(target.to_socket_addrs().map(|a| a.collect::<Vec<_>>()));
        });
    let outcome: Result<Duration, Text> = async {
        spawned.map_err(|e| Text::plain(e.to_string()))?;
        let addrs = tokio::time::timeout(REGISTRY_TIMEOUT, rx)
            .await
            .map_err(|_| Text::new("имя не разрешилось за 2 с", "name lookup took over 2 s"))?
            .map_err(|e| Text::plain(e.to_string()))?
            .map_err(|e| os_error(&e))?;
        let left = REGISTRY_TIMEOUT.saturating_sub(started.elapsed());
        let first = addrs
            .first()
            .copied()
            .ok_or_else(|| Text::new("нет адресов", "no addresses"))?;
        tokio::time::timeout(left, tokio::net::TcpStream::connect(first))
            .await
            .map_err(|_| Text::new("нет ответа за 2 с", "no answer within 2 s"))?
            .map_err(|e| os_error(&e))?;
        Ok(started.elapsed())
    }
    .await;
    match outcome {
        Ok(took) => DoctorLine {
            ok: Status::Ok,
            label,
            detail: Text::new(
                format!("{host_port} доступен ({} мс)", took.as_millis()),
                format!("{host_port} reachable ({} ms)", took.as_millis()),
            ),
            fix: None,
        },
        Err(why) => DoctorLine {
            ok: Status::Warn,
            label,
            detail: Text::new(
                format!("{host_port} недоступен: {}", why.get(Lang::Ru)),
                format!("{host_port} not reachable: {}", why.get(Lang::En)),
            ),
            fix: Some(Text::new(
                "урок про push требует реестр: проверьте сеть/прокси; если закрыт только Docker Hub — публикуйте в другой (ghcr.io/USER, cr.yandex/ID) или в локальный: docker run -d -p 127.0.0.1:5000:5000 mirror.gcr.io/library/registry:2 и LAYERLAB_REGISTRY=127.0.0.1:5000",
                "the push lesson needs a registry: check the network/proxy; if only Docker Hub is blocked, push to another one (ghcr.io/USER, cr.yandex/ID) or a local one: docker run -d -p 127.0.0.1:5000:5000 mirror.gcr.io/library/registry:2 and LAYERLAB_REGISTRY=127.0.0.1:5000",
            )),
        },
    }
}

/// An OS error in the learner's language, the system's own words kept in
/// brackets (they are what a search finds).
fn os_error(e: &std::io::Error) -> Text {
    use std::io::ErrorKind;
    let system = e.to_string();
    let (ru, en) = match e.kind() {
        ErrorKind::ConnectionRefused => ("соединение отклонено", "connection refused"),
        ErrorKind::TimedOut => ("время ожидания истекло", "timed out"),
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
            ("сеть или узел недоступны", "network or host unreachable")
        }
        _ if system.contains("lookup") => ("имя не найдено (DNS)", "name not found (DNS)"),
        _ => return Text::plain(system),
    };
    Text::new(format!("{ru} ({system})"), format!("{en} ({system})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_are_said_in_both_languages_with_the_systems_words() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let text = os_error(&refused);
        assert!(
            text.get(Lang::Ru).starts_with("соединение отклонено ("),
            "{}",
            text.get(Lang::Ru)
        );
        assert!(text.get(Lang::En).starts_with("connection refused ("));
        let dns = std::io::Error::other(
            "failed to lookup address information: Name or service not known",
        );
        assert!(
            os_error(&dns)
                .get(Lang::Ru)
                .starts_with("имя не найдено (DNS) (failed to lookup")
        );
        let odd = std::io::Error::other("something else");
        assert_eq!(os_error(&odd).get(Lang::Ru), "something else");
    }
    use crate::docker::endpoint::EndpointSource;

    fn options(registry: String) -> DoctorOptions {
        DoctorOptions {
            base_image: "alpine:3.22".into(),
            registry,
        }
    }

    #[tokio::test]
    async fn missing_socket_fails_with_fix_in_both_languages() {
        let endpoint = Endpoint {
            url: "unix:///nonexistent/doctor.sock".into(),
            source: EndpointSource::DockerHost,
        };
        // A closed local port stands in for the registry.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        // One run of the checks, read in both languages.
        let report =
            doctor_report_for(Ok(endpoint.clone()), &options(format!("127.0.0.1:{port}"))).await;
        assert!(!report.daemon_usable);
        let engine = &report.lines[1];
        assert_eq!(engine.ok, Status::Fail);
        for lang in [Lang::En, Lang::Ru] {
            let detail = engine.detail.get(lang);
            assert!(detail.contains("/nonexistent/doctor.sock"), "{detail}");
            assert!(
                engine
                    .fix
                    .as_ref()
                    .is_some_and(|f| f.get(lang).contains("DOCKER_HOST"))
            );
            let registry = report.lines.last().expect("registry line");
            assert_eq!(registry.ok, Status::Warn);
            let text = report.render(lang);
            assert!(text.contains("✘"), "{text}");
            match lang {
                Lang::Ru => assert!(
                    text.contains("что сделать") && text.contains("недоступен"),
                    "{text}"
                ),
                Lang::En => assert!(
                    text.contains("fix:") && text.contains("not reachable"),
                    "{text}"
                ),
            }
        }
    }

    #[tokio::test]
    async fn endpoint_errors_are_reported_not_raised() {
        let err = EndpointError::MalformedConfig {
            file: "/home/me/.docker/config.json".into(),
            message: "EOF while parsing".into(),
        };
        let report = doctor_report_for(Err(err), &options("127.0.0.1:9".into())).await;
        assert!(!report.daemon_usable);
        assert_eq!(report.lines[0].ok, Status::Fail);
        assert!(report.lines[0].detail.get(Lang::En).contains("config.json"));
        assert!(report.lines[0].fix.is_some());
    }

    #[tokio::test]
    async fn reachable_registry_is_ok() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let line = check_registry(format!("127.0.0.1:{port}")).await;
        assert_eq!(line.ok, Status::Ok, "{line:?}");
        assert!(line.detail.get(Lang::En).contains("reachable"));
        assert!(line.detail.get(Lang::Ru).contains("доступен"));
    }

    #[test]
    fn registry_values_normalise() {
        assert_eq!(registry_host_port("127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(
            registry_host_port("https://reg.example/v2/"),
            "reg.example:443"
        );
        assert_eq!(registry_host_port("http://reg.example"), "reg.example:80");
        assert_eq!(registry_host_port("reg.example"), "reg.example:443");
    }
}
