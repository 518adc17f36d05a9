//! What can go wrong talking to the daemon, each case with the fix a learner
//! can act on. `Display` is English with the fix appended (that is what ends
//! up on stderr and in the log); `message(lang)` and `fix(lang)` give the two
//! halves separately in either language for screens that lay them out.

use std::error::Error as StdError;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use crate::docker::endpoint::{Endpoint, EndpointError, EndpointSource};
use crate::docker::reference::InvalidReference;
use crate::i18n::Lang;

/// The OS-level reason a connection failed, read from the io::Error in the
/// source chain (the daemon never got to say anything).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectFailure {
    NoSuchFile,
    PermissionDenied,
    ConnectionRefused,
    TimedOut,
    Other,
}

impl ConnectFailure {
    pub fn from_io_kind(kind: io::ErrorKind) -> ConnectFailure {
        match kind {
            io::ErrorKind::NotFound => ConnectFailure::NoSuchFile,
            io::ErrorKind::PermissionDenied => ConnectFailure::PermissionDenied,
            io::ErrorKind::ConnectionRefused => ConnectFailure::ConnectionRefused,
            io::ErrorKind::TimedOut => ConnectFailure::TimedOut,
            _ => ConnectFailure::Other,
        }
    }
}

/// Where in the Dockerfile a build failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildStep {
    pub number: u32,
    pub total: u32,
    /// As the builder printed it, e.g. `RUN apk add --no-cache nginx`.
    pub instruction: String,
    /// 1-based line in the Dockerfile, when it could be matched.
    pub line: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("the registry {registry} refused the credentials: {message}")]
    Unauthorized { registry: String, message: String },
    #[error("the registry {registry} cannot be reached: {message}")]
    Unreachable { registry: String, message: String },
    #[error(
        "the registry {registry} needs a login for this (or the repository does not exist): {message}"
    )]
    LoginRequired { registry: String, message: String },
    #[error("{reference} was not found in the registry: {message}")]
    NotFound { reference: String, message: String },
    #[error("the registry {registry} failed: {message}")]
    Other { registry: String, message: String },
}

impl RegistryError {
    /// Sort a registry failure, which the daemon only reports as text
    /// (often inside a 200 OK progress stream), into what the learner can
    /// fix: by its structure (error codes, HTTP status, fixed phrases), see
    /// `registry_class`. `sent_credentials`: whether a login went with the
    /// request (a 401 then means "refused", else "log in").
    pub fn classify(
        registry: &str,
        reference: &str,
        message: &str,
        sent_credentials: bool,
    ) -> RegistryError {
        use crate::docker::registry_class::{RegistryClass, classify};
        let registry = registry.to_string();
        let message = message.to_string();
        match classify(&message, sent_credentials) {
            RegistryClass::Down => RegistryError::Unreachable { registry, message },
            RegistryClass::Unreachable => RegistryError::Unreachable { registry, message },
            RegistryClass::LoginRequired => RegistryError::LoginRequired { registry, message },
            RegistryClass::Refused => RegistryError::Unauthorized { registry, message },
            RegistryClass::NotFound => RegistryError::NotFound {
                reference: reference.to_string(),
                message,
            },
            RegistryClass::Other => RegistryError::Other { registry, message },
        }
    }

    /// The registry whose login the learner should be asked for, if this
    /// failure is about one (no login, or a login refused).
    pub fn wants_login(&self) -> Option<&str> {
        match self {
            RegistryError::Unauthorized { registry, .. }
            | RegistryError::LoginRequired { registry, .. } => Some(registry),
            _ => None,
        }
    }

    /// Nothing listens at the registry's address (connection refused).
    pub fn is_down(&self) -> bool {
        matches!(self, RegistryError::Unreachable { message, .. }
            if crate::docker::registry_class::classify(message, false)
                == crate::docker::registry_class::RegistryClass::Down)
    }

    pub fn fix(&self, lang: Lang) -> String {
        match (self, lang) {
            (RegistryError::Unauthorized { registry, .. }, Lang::En) => format!(
                "check the user name and password (or access token) for {registry}; on Docker Hub the repository must belong to your user"
            ),
            (RegistryError::Unauthorized { registry, .. }, Lang::Ru) => format!(
                "проверьте имя пользователя и пароль (или токен доступа) для {registry}; на Docker Hub репозиторий должен принадлежать вашему пользователю"
            ),
            (RegistryError::LoginRequired { registry, .. }, Lang::En) => format!(
                "log in to {registry}: in the lesson UI layerlab asks for the user name and password (or run docker login {registry}); on Docker Hub the repository must be under your user name"
            ),
            (RegistryError::LoginRequired { registry, .. }, Lang::Ru) => format!(
                "войдите в {registry}: в уроке layerlab спросит имя пользователя и пароль (или выполните docker login {registry}); на Docker Hub репозиторий должен быть под вашим именем пользователя"
            ),
            (e @ RegistryError::Unreachable { registry, .. }, Lang::En) if e.is_down() => format!(
                "nothing answers at {registry}: the registry is not running; start it (e.g. docker run -d -p 127.0.0.1:5000:5000 registry:2) and try again"
            ),
            (e @ RegistryError::Unreachable { registry, .. }, Lang::Ru) if e.is_down() => format!(
                "по адресу {registry} никто не отвечает: реестр не запущен; запустите его (например, docker run -d -p 127.0.0.1:5000:5000 registry:2) и повторите"
            ),
            (RegistryError::Unreachable { registry, .. }, Lang::En) => format!(
                "check the network and the registry address {registry}; a local registry on 127.0.0.1 must be running"
            ),
            (RegistryError::Unreachable { registry, .. }, Lang::Ru) => format!(
                "проверьте сеть и адрес реестра {registry}; локальный реестр на 127.0.0.1 должен быть запущен"
            ),
            (RegistryError::NotFound { reference, .. }, Lang::En) => {
                format!("check the spelling of {reference}, its tag, and that it was pushed")
            }
            (RegistryError::NotFound { reference, .. }, Lang::Ru) => {
                format!("проверьте написание {reference}, тег и то, что образ был отправлен (push)")
            }
            (RegistryError::Other { .. }, Lang::En) => {
                "see the message above; layerlab doctor checks the registry".to_string()
            }
            (RegistryError::Other { .. }, Lang::Ru) => {
                "см. сообщение выше; layerlab doctor проверяет реестр".to_string()
            }
        }
    }

    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (RegistryError::Unauthorized { registry, message }, Lang::Ru) => {
                format!("реестр {registry} отклонил учётные данные: {message}")
            }
            (RegistryError::Unreachable { registry, message }, Lang::Ru) => {
                format!("реестр {registry} недоступен: {message}")
            }
            (RegistryError::LoginRequired { registry, message }, Lang::Ru) => {
                format!("реестр {registry} требует входа (или такого репозитория нет): {message}")
            }
            (RegistryError::NotFound { reference, message }, Lang::Ru) => {
                format!("{reference} не найден в реестре: {message}")
            }
            (RegistryError::Other { registry, message }, Lang::Ru) => {
                format!("ошибка реестра {registry}: {message}")
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error("{}", self.render(Lang::En))]
    Endpoint(#[source] EndpointError),
    #[error("{}", self.render(Lang::En))]
    Connect {
        endpoint: Box<Endpoint>,
        failure: ConnectFailure,
        os_error: String,
    },
    #[error("{}", self.render(Lang::En))]
    Timeout {
        endpoint: Box<Endpoint>,
        what: String,
        after: Duration,
    },
    #[error("{}", self.render(Lang::En))]
    ImageNotFound { reference: String },
    #[error("{}", self.render(Lang::En))]
    ContainerNotFound { container: String },
    #[error("{}", self.render(Lang::En))]
    PortAllocated { port: Option<u16>, message: String },
    #[error("{}", self.render(Lang::En))]
    InvalidReference(#[source] InvalidReference),
    #[error("{}", self.render(Lang::En))]
    Build {
        message: String,
        step: Option<BuildStep>,
    },
    #[error("{}", self.render(Lang::En))]
    BuildContext { path: PathBuf, message: String },
    #[error("{}", self.render(Lang::En))]
    Registry(#[source] RegistryError),
    #[error("{}", self.render(Lang::En))]
    Credentials { registry: String, message: String },
    #[error("{}", self.render(Lang::En))]
    Archive { path: PathBuf, message: String },
    #[error("{}", self.render(Lang::En))]
    Conflict { message: String },
    #[error("{}", self.render(Lang::En))]
    Http { url: String, message: String },
    #[error("{}", self.render(Lang::En))]
    Cancelled,
    /// A request layerlab refused to send (bad name, relative path, ...).
    #[error("{}", self.render(Lang::En))]
    InvalidInput(String),
    /// Any other answer from the daemon, kept verbatim.
    #[error("{}", self.render(Lang::En))]
    Api { status: u16, message: String },
    /// Something answers at the endpoint, but not as a Docker daemon (a web
    /// server, a proxy): the version check got an HTTP error or no JSON.
    #[error("{}", self.render(Lang::En))]
    NotDocker {
        endpoint: Box<Endpoint>,
        detail: String,
    },
    #[error("{}", self.render(Lang::En))]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
}

impl From<EndpointError> for DockerError {
    fn from(e: EndpointError) -> Self {
        DockerError::Endpoint(e)
    }
}

impl From<InvalidReference> for DockerError {
    fn from(e: InvalidReference) -> Self {
        DockerError::InvalidReference(e)
    }
}

impl From<RegistryError> for DockerError {
    fn from(e: RegistryError) -> Self {
        DockerError::Registry(e)
    }
}

/// What a request was about, so a 404 becomes "image X not found" and not
/// "Docker responded with status code 404".
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Image(&'a str),
    Container(&'a str),
    Other,
}

impl DockerError {
    /// The message and its fix on the next line.
    pub fn render(&self, lang: Lang) -> String {
        match self.fix(lang) {
            Some(fix) => {
                let label = match lang {
                    Lang::En => "fix",
                    Lang::Ru => "что сделать",
                };
                format!("{}\n  {label}: {fix}", self.message(lang))
            }
            None => self.message(lang),
        }
    }

    pub fn is_cancelled(&self) -> bool {
        matches!(self, DockerError::Cancelled)
    }

    /// True when the daemon itself could not be used (as opposed to one
    /// request failing): doctor exits non-zero on these.
    pub fn is_connection(&self) -> bool {
        matches!(
            self,
            DockerError::Endpoint(_) | DockerError::Connect { .. } | DockerError::Timeout { .. }
        )
    }

    pub fn message(&self, lang: Lang) -> String {
        use DockerError as E;
        match (self, lang) {
            (E::Endpoint(e), _) => e.to_string(),
            (
                E::Connect {
                    endpoint, os_error, ..
                },
                lang,
            ) => connect_message(endpoint, os_error, lang),
            (
                E::Timeout {
                    endpoint,
                    what,
                    after,
                },
                lang,
            ) => timeout_message(endpoint, what, *after, lang),
            (E::ImageNotFound { reference }, Lang::En) => {
                format!("image {reference} is not in the local Docker Engine")
            }
            (E::ImageNotFound { reference }, Lang::Ru) => {
                format!("образа {reference} нет в локальном Docker Engine")
            }
            (E::ContainerNotFound { container }, Lang::En) => {
                format!("container {container} does not exist")
            }
            (E::ContainerNotFound { container }, Lang::Ru) => {
                format!("контейнера {container} не существует")
            }
            (E::PortAllocated { port, message }, Lang::En) => match port {
                Some(p) => format!("port {p} on 127.0.0.1 is already in use: {message}"),
                None => format!("a requested port is already in use: {message}"),
            },
            (E::PortAllocated { port, message }, Lang::Ru) => match port {
                Some(p) => format!("порт {p} на 127.0.0.1 уже занят: {message}"),
                None => format!("запрошенный порт уже занят: {message}"),
            },
            (E::InvalidReference(e), Lang::En) => e.to_string(),
            (E::InvalidReference(e), Lang::Ru) => {
                format!("неверное имя образа {:?}: {}", e.reference, e.reason)
            }
            (E::Build { message, step }, lang) => build_message(message, step.as_ref(), lang),
            (E::BuildContext { path, message }, Lang::En) => format!(
                "cannot pack the build folder: {}: {message}",
                path.display()
            ),
            (E::BuildContext { path, message }, Lang::Ru) => format!(
                "не удаётся упаковать папку сборки: {}: {message}",
                path.display()
            ),
            (E::Registry(e), lang) => e.message(lang),
            (E::Credentials { registry, message }, Lang::En) => {
                format!("cannot read the credentials for {registry}: {message}")
            }
            (E::Credentials { registry, message }, Lang::Ru) => {
                format!("не удаётся прочитать учётные данные для {registry}: {message}")
            }
            (E::Archive { path, message }, Lang::En) => {
                format!("cannot load {}: {message}", path.display())
            }
            (E::Archive { path, message }, Lang::Ru) => {
                format!("не удаётся загрузить {}: {message}", path.display())
            }
            (E::Conflict { message }, Lang::En) => {
                format!("the Docker daemon refused (conflict): {message}")
            }
            (E::Conflict { message }, Lang::Ru) => {
                format!("Docker daemon отказал (конфликт): {message}")
            }
            (E::Http { url, message }, Lang::En) => format!("GET {url} failed: {message}"),
            (E::Http { url, message }, Lang::Ru) => format!("GET {url} не удался: {message}"),
            (E::InvalidInput(m), _) => m.clone(),
            (E::Cancelled, Lang::En) => "cancelled".to_string(),
            (E::Cancelled, Lang::Ru) => "отменено".to_string(),
            (E::Api { status, message }, Lang::En) => {
                format!("the Docker daemon answered {status}: {message}")
            }
            (E::Api { status, message }, Lang::Ru) => {
                format!("Docker daemon ответил {status}: {message}")
            }
            (E::NotDocker { endpoint, detail }, Lang::En) => format!(
                "{} ({}) answers, but not as a Docker daemon: {detail}",
                endpoint.url,
                endpoint.source.describe(Lang::En)
            ),
            (E::NotDocker { endpoint, detail }, Lang::Ru) => format!(
                "по адресу {} ({}) отвечает не Docker daemon: {detail}",
                endpoint.url,
                endpoint.source.describe(Lang::Ru)
            ),
            (E::Io { what, source }, Lang::En) => format!("{what}: {source}"),
            (E::Io { what, source }, Lang::Ru) => format!("{what}: {source}"),
        }
    }

    pub fn fix(&self, lang: Lang) -> Option<String> {
        use DockerError as E;
        let en = lang == Lang::En;
        let pick = |en_text: String, ru_text: String| Some(if en { en_text } else { ru_text });
        match self {
            E::Endpoint(e) => Some(e.fix(lang)),
            E::Connect {
                endpoint, failure, ..
            } => Some(connect_fix(endpoint, *failure, lang)),
            E::Timeout { endpoint, .. } => Some(connect_fix(endpoint, ConnectFailure::TimedOut, lang)),
            E::ImageNotFound { reference } => pick(
                format!(
                    "build or load it first (layerlab load FILE.tar for an offline copy), or check the name {reference}"
                ),
                format!(
                    "сначала соберите или загрузите его (layerlab load ФАЙЛ.tar для офлайн-копии) или проверьте имя {reference}"
                ),
            ),
            E::ContainerNotFound { .. } => pick(
                "it was removed; start the step again to create a new one".to_string(),
                "он был удалён; запустите шаг заново, чтобы создать новый".to_string(),
            ),
            E::PortAllocated { port, .. } => {
                let p = port.map(|p| p.to_string()).unwrap_or_else(|| "PORT".into());
                pick(
                    format!(
                        "free the port (find the user: ss -ltnp | grep :{p}) or let layerlab pick a free one"
                    ),
                    format!(
                        "освободите порт (кто его занял: ss -ltnp | grep :{p}) или дайте layerlab выбрать свободный"
                    ),
                )
            }
            E::InvalidReference(_) => pick(
                "use lowercase NAME[:TAG], e.g. student/nginx-alpine:v1 or 127.0.0.1:5000/student/nginx:v1".to_string(),
                "используйте ИМЯ[:ТЕГ] строчными буквами, например student/nginx-alpine:v1 или 127.0.0.1:5000/student/nginx:v1".to_string(),
            ),
            E::Build {
                step: Some(step), ..
            } if step
                .instruction
                .get(..5)
                .is_some_and(|head| head.eq_ignore_ascii_case("FROM ")) =>
            {
                let image = step.instruction[5..]
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string();
                pick(
                    format!(
                        "the base image {image} is not in the Docker Engine and cannot be pulled: load it (layerlab load FILE.tar) or pull it where there is network (docker pull {image})"
                    ),
                    format!(
                        "базового образа {image} нет в Docker Engine, и скачать его не удаётся: загрузите его (layerlab load ФАЙЛ.tar) или скачайте там, где есть сеть (docker pull {image})"
                    ),
                )
            }
            E::Build { step, .. } => match step.as_ref().and_then(|s| s.line) {
                Some(line) => pick(
                    format!("fix line {line} of the Dockerfile and build again"),
                    format!("исправьте строку {line} в Dockerfile и соберите снова"),
                ),
                None => pick(
                    "fix the Dockerfile step shown above and build again".to_string(),
                    "исправьте указанный шаг Dockerfile и соберите снова".to_string(),
                ),
            },
            E::BuildContext { .. } => pick(
                "make the file readable or list it in .dockerignore".to_string(),
                "сделайте файл доступным для чтения или добавьте его в .dockerignore".to_string(),
            ),
            E::Registry(e) => Some(e.fix(lang)),
            E::Credentials { .. } => pick(
                "log in again (docker login REGISTRY) or type the credentials when asked".to_string(),
                "войдите снова (docker login РЕЕСТР) или введите учётные данные по запросу".to_string(),
            ),
            E::Archive { .. } => pick(
                "use a tarball made by docker save (not docker export, not compressed twice)".to_string(),
                "используйте архив, созданный docker save (не docker export и не сжатый дважды)".to_string(),
            ),
            E::NotDocker { endpoint, .. } => pick(
                format!(
                    "point {} at the Docker daemon (e.g. unix:///var/run/docker.sock or tcp://127.0.0.1:2375), or unset DOCKER_HOST; layerlab doctor checks it",
                    endpoint.source.describe(Lang::En)
                ),
                format!(
                    "укажите в {} адрес Docker daemon (например, unix:///var/run/docker.sock или tcp://127.0.0.1:2375) или выполните unset DOCKER_HOST; layerlab doctor проверит",
                    endpoint.source.describe(Lang::Ru)
                ),
            ),
            E::Conflict { .. }
            | E::Http { .. }
            | E::Cancelled
            | E::InvalidInput(_)
            | E::Api { .. }
            | E::Io { .. } => {
                None
            }
        }
    }

    /// Convert a bollard error at the boundary. `endpoint` names the daemon
    /// in connection errors; `subject` turns 404s into "X not found".
    pub fn from_bollard(
        err: bollard::errors::Error,
        endpoint: &Endpoint,
        subject: Subject<'_>,
    ) -> DockerError {
        use bollard::errors::Error as B;
        match err {
            B::DockerResponseServerError {
                status_code,
                message,
            } => from_status(status_code, message, subject),
            B::SocketNotFoundError(path) => {
                // bollard only checked exists(); ask the OS for the real
                // reason (a parent folder without permission looks the same).
                let os = std::fs::metadata(&path)
                    .err()
                    .unwrap_or_else(|| io::Error::from_raw_os_error(2));
                DockerError::Connect {
                    endpoint: Box::new(endpoint.clone()),
                    failure: ConnectFailure::from_io_kind(os.kind()),
                    os_error: format!("{path}: {os}"),
                }
            }
            B::RequestTimeoutError => DockerError::Timeout {
                endpoint: Box::new(endpoint.clone()),
                what: "a request".to_string(),
                after: crate::docker::timeouts::REQUEST_TIMEOUT,
            },
            other => match find_io_error(&other) {
                Some(io_err) if is_connect_level(&other) => DockerError::Connect {
                    endpoint: Box::new(endpoint.clone()),
                    failure: ConnectFailure::from_io_kind(io_err.kind()),
                    os_error: io_err.to_string(),
                },
                _ => DockerError::Api {
                    status: 0,
                    message: error_chain_text(&other),
                },
            },
        }
    }
}

fn from_status(status: u16, message: String, subject: Subject<'_>) -> DockerError {
    let lower = message.to_ascii_lowercase();
    if lower.contains("port is already allocated") || lower.contains("address already in use") {
        return DockerError::PortAllocated {
            port: port_in_message(&message),
            message,
        };
    }
    match (status, subject) {
        (404, Subject::Image(reference)) => DockerError::ImageNotFound {
            reference: reference.to_string(),
        },
        (404, Subject::Container(container)) => DockerError::ContainerNotFound {
            container: container.to_string(),
        },
        (404, Subject::Other) if lower.contains("no such image") => DockerError::ImageNotFound {
            reference: message
                .rsplit_once(": ")
                .map(|(_, r)| r.to_string())
                .unwrap_or(message),
        },
        (404, Subject::Other) if lower.contains("no such container") => {
            DockerError::ContainerNotFound {
                container: message
                    .rsplit_once(": ")
                    .map(|(_, r)| r.to_string())
                    .unwrap_or(message),
            }
        }
        (409, _) => DockerError::Conflict { message },
        _ => DockerError::Api { status, message },
    }
}

/// `Bind for 127.0.0.1:8080 failed: port is already allocated` or
/// `listen tcp4 127.0.0.1:8080: bind: address already in use` -> 8080.
pub(crate) fn port_in_message(message: &str) -> Option<u16> {
    for marker in ["127.0.0.1:", "0.0.0.0:", "]:"] {
        if let Some(i) = message.find(marker) {
            let digits: String = message[i + marker.len()..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if let Ok(p) = digits.parse() {
                return Some(p);
            }
        }
    }
    None
}

fn find_io_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a io::Error> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(io_err) = e.downcast_ref::<io::Error>() {
            // An io::Error may wrap the real one (hyper does this).
            if let Some(inner) = io_err.get_ref()
                && let Some(deeper) = find_io_error(inner)
            {
                return Some(deeper);
            }
            return Some(io_err);
        }
        current = e.source();
    }
    None
}

/// Did the failure happen before any HTTP exchange (so the daemon is the
/// problem, not the request)?
fn is_connect_level(err: &bollard::errors::Error) -> bool {
    match err {
        bollard::errors::Error::HyperLegacyError { err } => err.is_connect(),
        bollard::errors::Error::IOError { .. } => true,
        _ => false,
    }
}

pub(crate) fn error_chain_text(err: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut current = err.source();
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

fn connect_message(endpoint: &Endpoint, os_error: &str, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "cannot connect to the Docker daemon at {} ({}): {os_error}",
            endpoint.url,
            endpoint.source.describe(lang)
        ),
        Lang::Ru => format!(
            "не удаётся подключиться к Docker daemon по адресу {} ({}): {os_error}",
            endpoint.url,
            endpoint.source.describe(lang)
        ),
    }
}

fn timeout_message(endpoint: &Endpoint, what: &str, after: Duration, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "the Docker daemon at {} ({}) did not answer {what} within {:.1} s",
            endpoint.url,
            endpoint.source.describe(lang),
            after.as_secs_f64()
        ),
        Lang::Ru => format!(
            "Docker daemon по адресу {} ({}) не ответил на {what} за {:.1} с",
            endpoint.url,
            endpoint.source.describe(lang),
            after.as_secs_f64()
        ),
    }
}

/// A failed build, with the step (and Dockerfile line) it failed at when known.
fn build_message(message: &str, step: Option<&BuildStep>, lang: Lang) -> String {
    let head = match lang {
        Lang::En => "the build failed",
        Lang::Ru => "сборка не удалась",
    };
    match step {
        Some(step) => {
            let at = match (lang, step.line) {
                (Lang::En, Some(line)) => format!(
                    "at step {}/{} (Dockerfile line {line}: {})",
                    step.number, step.total, step.instruction
                ),
                (Lang::Ru, Some(line)) => format!(
                    "на шаге {}/{} (строка {line} Dockerfile: {})",
                    step.number, step.total, step.instruction
                ),
                (Lang::En, None) => format!(
                    "at step {}/{} ({})",
                    step.number, step.total, step.instruction
                ),
                (Lang::Ru, None) => format!(
                    "на шаге {}/{} ({})",
                    step.number, step.total, step.instruction
                ),
            };
            format!("{head} {at}: {message}")
        }
        None => format!("{head}: {message}"),
    }
}

fn connect_fix(endpoint: &Endpoint, failure: ConnectFailure, lang: Lang) -> String {
    let en = lang == Lang::En;
    let check_source = || match &endpoint.source {
        EndpointSource::DockerHost => {
            if en {
                format!(
                    "check DOCKER_HOST (now {}); unset it to use the default socket",
                    endpoint.url
                )
            } else {
                format!(
                    "проверьте DOCKER_HOST (сейчас {}); выполните unset DOCKER_HOST, чтобы использовать сокет по умолчанию",
                    endpoint.url
                )
            }
        }
        EndpointSource::ContextEnv { name, .. } | EndpointSource::CurrentContext { name, .. } => {
            if en {
                format!(
                    "check the Docker context {name}: docker context inspect {name}, or docker context use default"
                )
            } else {
                format!(
                    "проверьте контекст Docker {name}: docker context inspect {name} или docker context use default"
                )
            }
        }
        EndpointSource::DefaultSocket | EndpointSource::RootlessSocket => String::new(),
    };
    let start_daemon = if en {
        "start the Docker daemon: sudo systemctl start docker"
    } else {
        "запустите Docker daemon: sudo systemctl start docker"
    };
    let join = |a: &str, b: String| {
        if b.is_empty() {
            a.to_string()
        } else if en {
            format!("{a}, or {b}")
        } else {
            format!("{a} или {b}")
        }
    };
    match failure {
        ConnectFailure::NoSuchFile => {
            if matches!(endpoint.source, EndpointSource::DockerHost) {
                check_source()
            } else {
                let install = if en {
                    "start the Docker daemon: sudo systemctl start docker (not installed? https://docs.docker.com/engine/install/)"
                } else {
                    "запустите Docker daemon: sudo systemctl start docker (не установлен? https://docs.docker.com/engine/install/)"
                };
                join(install, check_source())
            }
        }
        ConnectFailure::PermissionDenied => {
            let socket = endpoint
                .socket_path()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| endpoint.url.clone());
            if en {
                format!(
                    "add yourself to the docker group: sudo usermod -aG docker $USER, then log in again (the socket {socket} belongs to that group)"
                )
            } else {
                format!(
                    "добавьте себя в группу docker: sudo usermod -aG docker $USER, затем войдите в систему заново (сокет {socket} принадлежит этой группе)"
                )
            }
        }
        ConnectFailure::ConnectionRefused => match endpoint.socket_path() {
            Some(_) => join(start_daemon, check_source()),
            None => {
                let b = check_source();
                if b.is_empty() {
                    start_daemon.to_string()
                } else {
                    b
                }
            }
        },
        ConnectFailure::TimedOut => {
            let status = if en {
                "the daemon does not answer: look at sudo systemctl status docker and journalctl -u docker"
            } else {
                "демон не отвечает: посмотрите sudo systemctl status docker и journalctl -u docker"
            };
            join(status, check_source())
        }
        ConnectFailure::Other => join(start_daemon, check_source()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(url: &str, source: EndpointSource) -> Endpoint {
        Endpoint {
            url: url.to_string(),
            source,
        }
    }

    #[test]
    fn missing_socket_names_path_os_error_and_fix() {
        let err = DockerError::from_bollard(
            bollard::errors::Error::SocketNotFoundError("/nonexistent.sock".into()),
            &ep("unix:///nonexistent.sock", EndpointSource::DockerHost),
            Subject::Other,
        );
        let text = err.to_string();
        assert!(text.contains("unix:///nonexistent.sock"), "{text}");
        assert!(
            text.contains("No such file or directory") || text.contains("not found"),
            "{text}"
        );
        assert!(text.contains("DOCKER_HOST"), "{text}");
        assert!(err.is_connection());
        let ru = err.render(Lang::Ru);
        assert!(
            ru.contains("не удаётся подключиться") && ru.contains("DOCKER_HOST"),
            "{ru}"
        );
    }

    #[test]
    fn default_socket_missing_suggests_starting_docker() {
        let err = DockerError::Connect {
            endpoint: Box::new(ep(
                "unix:///var/run/docker.sock",
                EndpointSource::DefaultSocket,
            )),
            failure: ConnectFailure::NoSuchFile,
            os_error: "No such file or directory (os error 2)".into(),
        };
        let fix = err.fix(Lang::En).expect("has fix");
        assert!(fix.contains("sudo systemctl start docker"), "{fix}");
        assert!(!fix.contains("DOCKER_HOST"), "{fix}");
    }

    #[test]
    fn permission_denied_suggests_the_docker_group() {
        let err = DockerError::Connect {
            endpoint: Box::new(ep(
                "unix:///var/run/docker.sock",
                EndpointSource::DefaultSocket,
            )),
            failure: ConnectFailure::from_io_kind(io::ErrorKind::PermissionDenied),
            os_error: "Permission denied (os error 13)".into(),
        };
        let text = err.to_string();
        assert!(text.contains("sudo usermod -aG docker $USER"), "{text}");
        assert!(text.contains("/var/run/docker.sock"), "{text}");
        assert!(err.render(Lang::Ru).contains("группу docker"));
    }

    #[test]
    fn refused_tcp_points_at_docker_host() {
        let err = DockerError::Connect {
            endpoint: Box::new(ep("tcp://127.0.0.1:1", EndpointSource::DockerHost)),
            failure: ConnectFailure::ConnectionRefused,
            os_error: "Connection refused (os error 111)".into(),
        };
        let fix = err.fix(Lang::En).expect("fix");
        assert!(fix.contains("check DOCKER_HOST"), "{fix}");
    }

    #[test]
    fn context_failures_point_at_the_context() {
        let err = DockerError::Connect {
            endpoint: Box::new(ep(
                "unix:///x.sock",
                EndpointSource::CurrentContext {
                    name: "colima".into(),
                    config_file: "/h/.docker/config.json".into(),
                    meta_file: "/m".into(),
                },
            )),
            failure: ConnectFailure::ConnectionRefused,
            os_error: "Connection refused".into(),
        };
        assert!(err.to_string().contains("docker context inspect colima"));
    }

    #[test]
    fn io_kind_is_read_from_the_source_chain() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] io::Error);
        let wrapped = Outer(io::Error::other(io::Error::from(
            io::ErrorKind::PermissionDenied,
        )));
        let found = find_io_error(&wrapped).expect("finds it");
        assert_eq!(found.kind(), io::ErrorKind::PermissionDenied);
    }

    #[test]
    fn status_codes_become_typed_errors() {
        let e = ep("unix:///s", EndpointSource::DefaultSocket);
        let not_found = |subject| {
            DockerError::from_bollard(
                bollard::errors::Error::DockerResponseServerError {
                    status_code: 404,
                    message: "No such image: nope:1".into(),
                },
                &e,
                subject,
            )
        };
        assert!(matches!(
            not_found(Subject::Image("nope:1")),
            DockerError::ImageNotFound { ref reference } if reference == "nope:1"
        ));
        assert!(matches!(
            not_found(Subject::Container("c1")),
            DockerError::ContainerNotFound { ref container } if container == "c1"
        ));
        assert!(matches!(
            not_found(Subject::Other),
            DockerError::ImageNotFound { ref reference } if reference == "nope:1"
        ));
        let port = DockerError::from_bollard(
            bollard::errors::Error::DockerResponseServerError {
                status_code: 500,
                message: "driver failed programming external connectivity on endpoint web: Bind for 127.0.0.1:8080 failed: port is already allocated".into(),
            },
            &e,
            Subject::Container("web"),
        );
        assert!(
            matches!(
                port,
                DockerError::PortAllocated {
                    port: Some(8080),
                    ..
                }
            ),
            "{port:?}"
        );
        assert!(port.to_string().contains("8080"));
        let conflict = from_status(409, "image is being used".into(), Subject::Image("x"));
        assert!(matches!(conflict, DockerError::Conflict { .. }));
    }

    #[test]
    fn port_is_read_from_both_daemon_phrasings() {
        assert_eq!(
            port_in_message("listen tcp4 127.0.0.1:18080: bind: address already in use"),
            Some(18080)
        );
        assert_eq!(port_in_message("Bind for 0.0.0.0:80 failed"), Some(80));
        assert_eq!(port_in_message("something else"), None);
    }

    #[test]
    fn registry_messages_are_classified() {
        let c = |m: &str| RegistryError::classify("127.0.0.1:5000", "127.0.0.1:5000/a:1", m, true);
        let anonymous =
            |m: &str| RegistryError::classify("127.0.0.1:5000", "127.0.0.1:5000/a:1", m, false);
        assert!(matches!(
            c("unauthorized: authentication required"),
            RegistryError::Unauthorized { .. }
        ));
        assert!(matches!(
            c("denied: requested access to the resource is denied"),
            RegistryError::Unauthorized { .. }
        ));
        // Issue 11: this was "not found, check the spelling"; it needs a login.
        let push_denied = anonymous(
            "push access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed",
        );
        assert_eq!(
            push_denied.wants_login(),
            Some("127.0.0.1:5000"),
            "{push_denied:?}"
        );
        assert!(
            DockerError::from(push_denied)
                .render(Lang::En)
                .contains("log in to 127.0.0.1:5000")
        );
        // Issue 11: "401" inside a digest made a registry that is down "refused the credentials".
        let down = c(
            "failed to do request: Head \"http://127.0.0.1:5000/v2/a/blobs/sha256:4014014014014014014014014014014014014014014014014014014014014014\": dial tcp 127.0.0.1:5000: connect: connection refused",
        );
        assert!(down.is_down() && down.wants_login().is_none(), "{down:?}");
        assert!(
            DockerError::from(down)
                .render(Lang::En)
                .contains("the registry is not running")
        );
        assert!(matches!(
            c(
                "Get \"http://127.0.0.1:5000/v2/\": dial tcp 127.0.0.1:5000: connect: connection refused"
            ),
            RegistryError::Unreachable { .. }
        ));
        assert!(matches!(
            c("manifest for 127.0.0.1:5000/a:1 not found: manifest unknown: manifest unknown"),
            RegistryError::NotFound { .. }
        ));
        assert!(matches!(
            anonymous(
                "pull access denied for a, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"
            ),
            RegistryError::LoginRequired { .. }
        ));
        assert!(matches!(c("something odd"), RegistryError::Other { .. }));
        let err = DockerError::from(c("unauthorized: x"));
        assert!(err.to_string().contains("refused the credentials"));
        assert!(err.render(Lang::Ru).contains("отклонил"));
    }

    #[test]
    fn a_failing_from_step_points_at_the_base_image() {
        let err = DockerError::Build {
            message: "Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: no such host".into(),
            step: Some(BuildStep {
                number: 1,
                total: 3,
                instruction: "FROM alpine:3.22".into(),
                line: Some(1),
            }),
        };
        let fix = err.fix(Lang::En).expect("fix");
        assert!(fix.contains("base image alpine:3.22"), "{fix}");
        assert!(fix.contains("layerlab load"), "{fix}");
        assert!(
            err.fix(Lang::Ru)
                .expect("fix")
                .contains("базового образа alpine:3.22")
        );
    }

    #[test]
    fn build_errors_carry_the_step_and_line() {
        let err = DockerError::Build {
            message: "The command '/bin/sh -c apk add nginxx' returned a non-zero code: 1".into(),
            step: Some(BuildStep {
                number: 2,
                total: 4,
                instruction: "RUN apk add nginxx".into(),
                line: Some(3),
            }),
        };
        let text = err.to_string();
        assert!(text.contains("step 2/4"), "{text}");
        assert!(
            text.contains("Dockerfile line 3: RUN apk add nginxx"),
            "{text}"
        );
        assert!(text.contains("fix line 3"), "{text}");
        assert!(err.render(Lang::Ru).contains("строка 3"));
    }
}
