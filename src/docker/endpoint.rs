//! Which Docker Engine to talk to, decided the way the Docker CLI decides it,
//! so `layerlab` and `docker` in the same shell always reach the same daemon.
//!
//! Order: `DOCKER_HOST`, then `DOCKER_CONTEXT`, then `currentContext` in the
//! CLI config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`),
//! then the platform default (rootful socket, else the rootless one).

use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::i18n::Lang;

pub const ROOTFUL_SOCKET: &str = "/var/run/docker.sock";
/// The Docker CLI's name for "no context: use DOCKER_HOST or the default socket".
pub const DEFAULT_CONTEXT: &str = "default";
/// The Docker CLI's default port for plain tcp:// endpoints without one.
const DEFAULT_TCP_PORT: u16 = 2375;

/// The daemon address and why it was chosen (shown by `doctor` and in every
/// connection error, because "which daemon?" is the first question when it fails).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub url: String,
    pub source: EndpointSource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointSource {
    /// The `DOCKER_HOST` environment variable.
    DockerHost,
    /// The `DOCKER_CONTEXT` environment variable named this context.
    ContextEnv { name: String, meta_file: PathBuf },
    /// `currentContext` in the CLI config file named this context.
    CurrentContext {
        name: String,
        config_file: PathBuf,
        meta_file: PathBuf,
    },
    /// The rootful socket (also chosen when no socket exists, so errors name it).
    DefaultSocket,
    /// `$XDG_RUNTIME_DIR/docker.sock`, the rootless daemon's socket.
    RootlessSocket,
}

impl EndpointSource {
    pub fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (EndpointSource::DockerHost, _) => "DOCKER_HOST".to_string(),
            (EndpointSource::ContextEnv { name, .. }, Lang::En) => {
                format!("context {name} from DOCKER_CONTEXT")
            }
            (EndpointSource::ContextEnv { name, .. }, Lang::Ru) => {
                format!("контекст {name} из DOCKER_CONTEXT")
            }
            (
                EndpointSource::CurrentContext {
                    name, config_file, ..
                },
                Lang::En,
            ) => {
                format!("context {name} from {}", tilde(config_file))
            }
            (
                EndpointSource::CurrentContext {
                    name, config_file, ..
                },
                Lang::Ru,
            ) => {
                format!("контекст {name} из {}", tilde(config_file))
            }
            (EndpointSource::DefaultSocket, Lang::En) => "default socket".to_string(),
            (EndpointSource::DefaultSocket, Lang::Ru) => "сокет по умолчанию".to_string(),
            (EndpointSource::RootlessSocket, Lang::En) => {
                "rootless socket in $XDG_RUNTIME_DIR".to_string()
            }
            (EndpointSource::RootlessSocket, Lang::Ru) => {
                "сокет rootless-режима в $XDG_RUNTIME_DIR".to_string()
            }
        }
    }
}

impl fmt::Display for EndpointSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(Lang::En))
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.url, self.source)
    }
}

/// How to reach an endpoint, once its scheme is understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Unix(PathBuf),
    /// `host:port`, spoken to in plain HTTP.
    Tcp(String),
}

impl Endpoint {
    /// The transport for this URL, or why layerlab cannot use it.
    pub fn transport(&self) -> Result<Transport, EndpointError> {
        parse_transport(&self.url).map_err(|reason| EndpointError::Unsupported {
            url: self.url.clone(),
            source_text: self.source.to_string(),
            reason,
        })
    }

    /// The socket path for unix endpoints (what permission fixes talk about).
    pub fn socket_path(&self) -> Option<PathBuf> {
        match parse_transport(&self.url) {
            Ok(Transport::Unix(path)) => Some(path),
            _ => None,
        }
    }
}

fn parse_transport(url: &str) -> Result<Transport, UnsupportedReason> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(UnsupportedReason::NoScheme);
    };
    match scheme.to_ascii_lowercase().as_str() {
        "unix" => {
            if rest.is_empty() {
                Err(UnsupportedReason::Empty)
            } else {
                Ok(Transport::Unix(PathBuf::from(rest)))
            }
        }
        "tcp" | "http" => {
            let host_port = rest.trim_end_matches('/');
            // User info (redacted when resolved) is not part of the address.
            let host_port = host_port.rsplit_once('@').map_or(host_port, |(_, h)| h);
            if host_port.is_empty() {
                return Err(UnsupportedReason::Empty);
            }
            if host_port.contains('/') {
                // A path prefix (tcp://host:2375/prefix) is legal for the CLI
                // but nobody uses it for a local daemon; refusing is clearer
                // than silently dropping it.
                return Err(UnsupportedReason::PathPrefix);
            }
            if has_port(host_port) {
                Ok(Transport::Tcp(host_port.to_string()))
            } else {
                Ok(Transport::Tcp(format!("{host_port}:{DEFAULT_TCP_PORT}")))
            }
        }
        "https" => Err(UnsupportedReason::Tls),
        "ssh" => Err(UnsupportedReason::Ssh),
        "npipe" => Err(UnsupportedReason::NamedPipe),
        "fd" => Err(UnsupportedReason::Fd),
        other => Err(UnsupportedReason::UnknownScheme(other.to_string())),
    }
}

fn has_port(host_port: &str) -> bool {
    if let Some(rest) = host_port.strip_prefix('[') {
        // [::1]:2375
        return rest
            .split_once(']')
            .is_some_and(|(_, p)| p.starts_with(':'));
    }
    host_port
        .rsplit_once(':')
        .is_some_and(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsupportedReason {
    NoScheme,
    Empty,
    PathPrefix,
    Tls,
    Ssh,
    NamedPipe,
    Fd,
    UnknownScheme(String),
}

impl fmt::Display for UnsupportedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnsupportedReason::NoScheme => {
                f.write_str("no scheme: write unix:///path/to/docker.sock or tcp://host:port")
            }
            UnsupportedReason::Empty => f.write_str("the address after the scheme is empty"),
            UnsupportedReason::PathPrefix => {
                f.write_str("tcp endpoints with a path prefix are not supported")
            }
            UnsupportedReason::Tls => f.write_str(
                "TLS endpoints (https://, DOCKER_TLS_VERIFY) are not supported; use the local unix socket",
            ),
            UnsupportedReason::Ssh => f.write_str(
                "ssh:// endpoints are not supported; run layerlab on the Docker host itself",
            ),
            UnsupportedReason::NamedPipe => {
                f.write_str("npipe:// is a Windows named pipe and does not exist on this system")
            }
            UnsupportedReason::Fd => {
                f.write_str("fd:// is a systemd socket for the daemon itself, not for clients")
            }
            UnsupportedReason::UnknownScheme(s) => write!(f, "unknown scheme {s}://"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("cannot read the Docker CLI config {}: {message}", file.display())]
    MalformedConfig { file: PathBuf, message: String },
    #[error(
        "Docker context {name:?} ({chosen_by}) does not exist: {} is missing",
        meta_file.display()
    )]
    ContextNotFound {
        name: String,
        chosen_by: String,
        meta_file: PathBuf,
    },
    #[error("Docker context {name:?} is broken: {}: {message}", meta_file.display())]
    MalformedContext {
        name: String,
        meta_file: PathBuf,
        message: String,
    },
    #[error("Docker endpoint {url} ({source_text}) cannot be used: {reason}")]
    Unsupported {
        url: String,
        source_text: String,
        reason: UnsupportedReason,
    },
}

impl EndpointError {
    pub fn fix(&self, lang: Lang) -> String {
        match (self, lang) {
            (EndpointError::MalformedConfig { file, .. }, Lang::En) => format!(
                "fix the JSON in {} (or move it away: the Docker CLI recreates it)",
                file.display()
            ),
            (EndpointError::MalformedConfig { file, .. }, Lang::Ru) => format!(
                "исправьте JSON в {} (или переименуйте файл: Docker CLI создаст его заново)",
                file.display()
            ),
            (EndpointError::ContextNotFound { chosen_by, .. }, Lang::En) => format!(
                "choose an existing context: docker context ls, then docker context use NAME (it was chosen by {chosen_by})"
            ),
            (EndpointError::ContextNotFound { chosen_by, .. }, Lang::Ru) => format!(
                "выберите существующий контекст: docker context ls, затем docker context use ИМЯ (сейчас его задаёт {chosen_by})"
            ),
            (EndpointError::MalformedContext { name, .. }, Lang::En) => format!(
                "recreate the context: docker context rm {name}; docker context create {name} --docker host=..."
            ),
            (EndpointError::MalformedContext { name, .. }, Lang::Ru) => format!(
                "пересоздайте контекст: docker context rm {name}; docker context create {name} --docker host=..."
            ),
            (EndpointError::Unsupported { source_text, .. }, Lang::En) => format!(
                "point {source_text} at a local daemon, e.g. unset DOCKER_HOST to use {ROOTFUL_SOCKET}"
            ),
            (EndpointError::Unsupported { source_text, .. }, Lang::Ru) => format!(
                "укажите в {source_text} локальный демон, например unset DOCKER_HOST, чтобы использовать {ROOTFUL_SOCKET}"
            ),
        }
    }
}

/// What resolution may look at. Injected so every precedence rule is tested
/// with fixture folders instead of the machine's real environment.
pub struct EndpointEnv<'a> {
    pub var: &'a dyn Fn(&str) -> Option<String>,
    /// The Docker CLI config folder (`$DOCKER_CONFIG` or `~/.docker`).
    pub config_dir: &'a Path,
    /// Does this path exist? (sockets are probed, never opened, here)
    pub exists: &'a dyn Fn(&Path) -> bool,
}

/// `$DOCKER_CONFIG`, else `~/.docker`, as the CLI computes it.
pub fn docker_config_dir(var: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(dir) = var("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = var("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(crate::paths::home_dir);
    home.join(".docker")
}

/// Resolve with the real process environment and filesystem.
pub fn resolve_from_process() -> Result<Endpoint, EndpointError> {
    let var = |name: &str| std::env::var(name).ok();
    let config_dir = docker_config_dir(&var);
    let exists = |p: &Path| p.exists();
    resolve(&EndpointEnv {
        var: &var,
        config_dir: &config_dir,
        exists: &exists,
    })
}

/// The Docker CLI's endpoint resolution.
pub fn resolve(env: &EndpointEnv<'_>) -> Result<Endpoint, EndpointError> {
    let var = |name: &str| (env.var)(name).filter(|v| !v.is_empty());

    // The CLI lets DOCKER_HOST win over DOCKER_CONTEXT (it switches to the
    // default context, whose endpoint is DOCKER_HOST).
    if let Some(host) = var("DOCKER_HOST") {
        // `tcp://user:password@host`: the daemon speaks no HTTP auth, so the
        // user info is useless to us and a secret everywhere the endpoint
        // is shown or logged; it never enters the Endpoint.
        return Ok(Endpoint {
            url: crate::sanitize::redact_userinfo(&host).into_owned(),
            source: EndpointSource::DockerHost,
        });
    }

    if let Some(name) = var("DOCKER_CONTEXT") {
        if name != DEFAULT_CONTEXT {
            let meta_file = context_meta_file(env.config_dir, &name);
            let url = read_context_host(&name, &meta_file, "DOCKER_CONTEXT")?;
            return Ok(Endpoint {
                url,
                source: EndpointSource::ContextEnv { name, meta_file },
            });
        }
        return Ok(default_endpoint(env));
    }

    let config_file = env.config_dir.join("config.json");
    if let Some(name) = current_context(&config_file)?
        && name != DEFAULT_CONTEXT
    {
        let meta_file = context_meta_file(env.config_dir, &name);
        let chosen_by = format!("currentContext in {}", config_file.display());
        let url = read_context_host(&name, &meta_file, &chosen_by)?;
        return Ok(Endpoint {
            url,
            source: EndpointSource::CurrentContext {
                name,
                config_file,
                meta_file,
            },
        });
    }

    Ok(default_endpoint(env))
}

fn default_endpoint(env: &EndpointEnv<'_>) -> Endpoint {
    let rootful = Path::new(ROOTFUL_SOCKET);
    if (env.exists)(rootful) {
        return Endpoint {
            url: format!("unix://{ROOTFUL_SOCKET}"),
            source: EndpointSource::DefaultSocket,
        };
    }
    if let Some(runtime_dir) = (env.var)("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        let rootless = Path::new(&runtime_dir).join("docker.sock");
        if (env.exists)(&rootless) {
            return Endpoint {
                url: format!("unix://{}", rootless.display()),
                source: EndpointSource::RootlessSocket,
            };
        }
    }
    Endpoint {
        url: format!("unix://{ROOTFUL_SOCKET}"),
        source: EndpointSource::DefaultSocket,
    }
}

/// The CLI stores each context under the SHA-256 of its name, so names may
/// hold characters a folder name couldn't.
pub fn context_meta_file(config_dir: &Path, name: &str) -> PathBuf {
    let digest = hex::encode(Sha256::digest(name.as_bytes()));
    config_dir
        .join("contexts")
        .join("meta")
        .join(digest)
        .join("meta.json")
}

/// `currentContext` from config.json. A missing file means "no context";
/// an unreadable or malformed one is an error naming the file.
fn current_context(config_file: &Path) -> Result<Option<String>, EndpointError> {
    let text = match std::fs::read_to_string(config_file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(EndpointError::MalformedConfig {
                file: config_file.to_path_buf(),
                message: e.to_string(),
            });
        }
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| EndpointError::MalformedConfig {
            file: config_file.to_path_buf(),
            message: e.to_string(),
        })?;
    match value.get("currentContext") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) if s.is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(EndpointError::MalformedConfig {
            file: config_file.to_path_buf(),
            message: format!("currentContext must be a string, found {other}"),
        }),
    }
}

fn read_context_host(
    name: &str,
    meta_file: &Path,
    chosen_by: &str,
) -> Result<String, EndpointError> {
    let text = match std::fs::read_to_string(meta_file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(EndpointError::ContextNotFound {
                name: name.to_string(),
                chosen_by: chosen_by.to_string(),
                meta_file: meta_file.to_path_buf(),
            });
        }
        Err(e) => {
            return Err(EndpointError::MalformedContext {
                name: name.to_string(),
                meta_file: meta_file.to_path_buf(),
                message: e.to_string(),
            });
        }
    };
    let malformed = |message: String| EndpointError::MalformedContext {
        name: name.to_string(),
        meta_file: meta_file.to_path_buf(),
        message,
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| malformed(e.to_string()))?;
    match value.pointer("/Endpoints/docker/Host") {
        Some(serde_json::Value::String(host)) if !host.is_empty() => {
            Ok(crate::sanitize::redact_userinfo(host).into_owned())
        }
        _ => Err(malformed("no Endpoints.docker.Host in it".to_string())),
    }
}

/// `/home/me/.docker/config.json` -> `~/.docker/config.json` for display.
fn tilde(path: &Path) -> String {
    let home = crate::paths::home_dir();
    if home != Path::new("/")
        && let Ok(rest) = path.strip_prefix(&home)
    {
        return format!("~/{}", rest.display());
    }
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Fixture {
        dir: tempfile::TempDir,
        vars: HashMap<String, String>,
        existing: Vec<PathBuf>,
    }

    impl Fixture {
        fn new() -> Fixture {
            Fixture {
                dir: tempfile::tempdir().expect("tempdir"),
                vars: HashMap::new(),
                existing: Vec::new(),
            }
        }
        fn var(mut self, k: &str, v: &str) -> Self {
            self.vars.insert(k.to_string(), v.to_string());
            self
        }
        fn socket(mut self, p: &str) -> Self {
            self.existing.push(PathBuf::from(p));
            self
        }
        fn config(self, json: &str) -> Self {
            std::fs::write(self.dir.path().join("config.json"), json).expect("write config");
            self
        }
        fn context(self, name: &str, host: &str) -> Self {
            let meta = context_meta_file(self.dir.path(), name);
            std::fs::create_dir_all(meta.parent().expect("parent")).expect("mkdir");
            let json = serde_json::json!({
                "Name": name,
                "Metadata": {},
                "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": false}}
            });
            std::fs::write(meta, json.to_string()).expect("write meta");
            self
        }
        fn resolve(&self) -> Result<Endpoint, EndpointError> {
            let var = |k: &str| self.vars.get(k).cloned();
            let exists = |p: &Path| self.existing.iter().any(|e| e == p);
            resolve(&EndpointEnv {
                var: &var,
                config_dir: self.dir.path(),
                exists: &exists,
            })
        }
    }

    #[test]
    fn docker_host_wins_over_everything() {
        let f = Fixture::new()
            .var("DOCKER_HOST", "tcp://127.0.0.1:2375")
            .var("DOCKER_CONTEXT", "remote")
            .context("remote", "unix:///ctx.sock")
            .config(r#"{"currentContext":"remote"}"#)
            .socket(ROOTFUL_SOCKET);
        let e = f.resolve().expect("resolves");
        assert_eq!(e.url, "tcp://127.0.0.1:2375");
        assert_eq!(e.source, EndpointSource::DockerHost);
        assert_eq!(e.source.to_string(), "DOCKER_HOST");
    }

    #[test]
    fn empty_docker_host_is_ignored_like_the_cli_does() {
        let f = Fixture::new().var("DOCKER_HOST", "").socket(ROOTFUL_SOCKET);
        assert_eq!(
            f.resolve().expect("ok").source,
            EndpointSource::DefaultSocket
        );
    }

    #[test]
    fn docker_context_env_beats_config_file() {
        let f = Fixture::new()
            .var("DOCKER_CONTEXT", "envctx")
            .context("envctx", "unix:///env.sock")
            .context("filectx", "unix:///file.sock")
            .config(r#"{"currentContext":"filectx"}"#);
        let e = f.resolve().expect("resolves");
        assert_eq!(e.url, "unix:///env.sock");
        assert!(
            matches!(e.source, EndpointSource::ContextEnv { ref name, .. } if name == "envctx")
        );
    }

    #[test]
    fn docker_context_default_means_the_default_socket() {
        let f = Fixture::new()
            .var("DOCKER_CONTEXT", "default")
            .config(r#"{"currentContext":"filectx"}"#)
            .context("filectx", "unix:///file.sock")
            .socket(ROOTFUL_SOCKET);
        let e = f.resolve().expect("resolves");
        assert_eq!(e.url, "unix:///var/run/docker.sock");
        assert_eq!(e.source, EndpointSource::DefaultSocket);
    }

    #[test]
    fn current_context_from_config_file() {
        let f = Fixture::new()
            .config(r#"{"auths":{},"currentContext":"colima"}"#)
            .context("colima", "unix:///home/me/.colima/docker.sock");
        let e = f.resolve().expect("resolves");
        assert_eq!(e.url, "unix:///home/me/.colima/docker.sock");
        let text = e.source.to_string();
        assert!(text.starts_with("context colima from "), "{text}");
        assert!(text.ends_with("config.json"), "{text}");
    }

    #[test]
    fn current_context_default_in_config_means_default() {
        let f = Fixture::new()
            .config(r#"{"currentContext":"default"}"#)
            .socket(ROOTFUL_SOCKET);
        assert_eq!(
            f.resolve().expect("ok").source,
            EndpointSource::DefaultSocket
        );
    }

    #[test]
    fn context_meta_path_is_sha256_of_the_name() {
        // sha256("default") as the Docker CLI computes it.
        let p = context_meta_file(Path::new("/cfg"), "default");
        assert_eq!(
            p,
            Path::new(
                "/cfg/contexts/meta/37a8eec1ce19687d132fe29051dca629d164e2c4958ba141d5f4133a33f0688f/meta.json"
            )
        );
    }

    #[test]
    fn missing_meta_json_is_a_clear_error() {
        let f = Fixture::new().config(r#"{"currentContext":"ghost"}"#);
        let err = f.resolve().expect_err("must fail");
        match &err {
            EndpointError::ContextNotFound {
                name, meta_file, ..
            } => {
                assert_eq!(name, "ghost");
                assert!(meta_file.ends_with("meta.json"));
            }
            other => panic!("unexpected {other:?}"),
        }
        let text = err.to_string();
        assert!(
            text.contains("\"ghost\"") && text.contains("meta.json"),
            "{text}"
        );
        assert!(err.fix(Lang::En).contains("docker context use"));
        assert!(err.fix(Lang::Ru).contains("docker context use"));
    }

    #[test]
    fn missing_meta_json_via_env_names_the_variable() {
        let f = Fixture::new().var("DOCKER_CONTEXT", "ghost");
        let err = f.resolve().expect_err("must fail");
        assert!(err.to_string().contains("DOCKER_CONTEXT"), "{err}");
    }

    #[test]
    fn malformed_config_names_the_file() {
        let f = Fixture::new().config("{\"currentContext\": ");
        let err = f.resolve().expect_err("must fail");
        let text = err.to_string();
        assert!(matches!(err, EndpointError::MalformedConfig { .. }));
        assert!(text.contains("config.json"), "{text}");
        assert!(text.contains("EOF"), "serde's reason is kept: {text}");
    }

    #[test]
    fn malformed_meta_json_is_reported() {
        let f = Fixture::new().config(r#"{"currentContext":"bad"}"#);
        let meta = context_meta_file(f.dir.path(), "bad");
        std::fs::create_dir_all(meta.parent().expect("parent")).expect("mkdir");
        std::fs::write(&meta, r#"{"Endpoints":{}}"#).expect("write");
        let err = f.resolve().expect_err("must fail");
        assert!(
            matches!(err, EndpointError::MalformedContext { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("Endpoints.docker.Host"));
    }

    #[test]
    fn missing_config_file_falls_back_to_the_socket() {
        let f = Fixture::new().socket(ROOTFUL_SOCKET);
        assert_eq!(f.resolve().expect("ok").url, "unix:///var/run/docker.sock");
    }

    #[test]
    fn rootless_socket_when_rootful_is_absent() {
        let f = Fixture::new()
            .var("XDG_RUNTIME_DIR", "/run/user/1000")
            .socket("/run/user/1000/docker.sock");
        let e = f.resolve().expect("ok");
        assert_eq!(e.url, "unix:///run/user/1000/docker.sock");
        assert_eq!(e.source, EndpointSource::RootlessSocket);
    }

    #[test]
    fn rootful_socket_is_preferred_over_rootless() {
        let f = Fixture::new()
            .var("XDG_RUNTIME_DIR", "/run/user/1000")
            .socket("/run/user/1000/docker.sock")
            .socket(ROOTFUL_SOCKET);
        assert_eq!(
            f.resolve().expect("ok").source,
            EndpointSource::DefaultSocket
        );
    }

    #[test]
    fn no_socket_at_all_still_names_the_rootful_path() {
        let f = Fixture::new().var("XDG_RUNTIME_DIR", "/run/user/1000");
        let e = f.resolve().expect("ok");
        assert_eq!(e.url, "unix:///var/run/docker.sock");
        assert_eq!(e.source, EndpointSource::DefaultSocket);
    }

    #[test]
    fn config_dir_honours_docker_config() {
        let vars = |k: &str| match k {
            "DOCKER_CONFIG" => Some("/etc/dcfg".to_string()),
            "HOME" => Some("/home/me".to_string()),
            _ => None,
        };
        assert_eq!(docker_config_dir(&vars), PathBuf::from("/etc/dcfg"));
        let home_only = |k: &str| (k == "HOME").then(|| "/home/me".to_string());
        assert_eq!(
            docker_config_dir(&home_only),
            PathBuf::from("/home/me/.docker")
        );
    }

    fn endpoint(url: &str) -> Endpoint {
        Endpoint {
            url: url.to_string(),
            source: EndpointSource::DockerHost,
        }
    }

    #[test]
    fn transports() {
        assert_eq!(
            endpoint("unix:///var/run/docker.sock").transport(),
            Ok(Transport::Unix(PathBuf::from("/var/run/docker.sock")))
        );
        assert_eq!(
            endpoint("tcp://127.0.0.1:2375").transport(),
            Ok(Transport::Tcp("127.0.0.1:2375".into()))
        );
        assert_eq!(
            endpoint("tcp://docker.local").transport(),
            Ok(Transport::Tcp("docker.local:2375".into()))
        );
        assert_eq!(
            endpoint("tcp://[::1]:2376").transport(),
            Ok(Transport::Tcp("[::1]:2376".into()))
        );
        assert_eq!(
            endpoint("tcp://[::1]").transport(),
            Ok(Transport::Tcp("[::1]:2375".into()))
        );
    }

    #[test]
    fn a_password_in_docker_host_never_enters_the_endpoint() {
        let env_var = |name: &str| {
            (name == "DOCKER_HOST").then(|| "tcp://user:s3cret@127.0.0.1:2375".to_string())
        };
        let e = resolve(&EndpointEnv {
            var: &env_var,
            config_dir: Path::new("/nonexistent"),
            exists: &|_| false,
        })
        .expect("resolves");
        assert!(!format!("{e} {e:?}").contains("s3cret"), "{e:?}");
        assert_eq!(e.url, "tcp://user:***@127.0.0.1:2375");
        assert_eq!(e.transport(), Ok(Transport::Tcp("127.0.0.1:2375".into())));
    }

    #[test]
    fn unsupported_schemes_say_why() {
        for (url, needle) in [
            ("ssh://me@host", "ssh://"),
            ("npipe:////./pipe/docker_engine", "Windows"),
            ("fd://", "systemd"),
            ("/var/run/docker.sock", "no scheme"),
            ("https://host:2376", "TLS"),
            ("gopher://x", "gopher"),
        ] {
            let err = endpoint(url).transport().expect_err(url);
            let text = err.to_string();
            assert!(text.contains(url), "{text}");
            assert!(text.contains(needle), "{url}: {text}");
            assert!(text.contains("DOCKER_HOST"), "names the source: {text}");
        }
    }
}
