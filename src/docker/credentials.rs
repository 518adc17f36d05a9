//! Registry credentials: from the Docker CLI config (what `docker login`
//! stored: `auths`, `credsStore`, `credHelpers`) or typed by the learner.
//!
//! Helpers are run through the credential helper protocol
//! (`docker-credential-NAME get`, the server URL on stdin, JSON on stdout),
//! never through the `docker` CLI. Secrets never appear in `Debug`, logs or
//! error messages.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use crate::docker::error::DockerError;
use crate::docker::reference::DOCKER_HUB_AUTH_KEY;

/// A helper that hangs (waiting on a GUI keyring prompt, say) must not hang us.
const HELPER_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    Password {
        username: String,
        password: String,
    },
    /// An OAuth identity token (`docker login` with some helpers).
    IdentityToken(String),
}

impl Credentials {
    pub fn password(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials::Password {
            username: username.into(),
            password: password.into(),
        }
    }

    pub fn username(&self) -> Option<&str> {
        match self {
            Credentials::Password { username, .. } => Some(username),
            Credentials::IdentityToken(_) => None,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Password { username, .. } => f
                .debug_struct("Credentials::Password")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Credentials::IdentityToken(_) => f
                .debug_tuple("Credentials::IdentityToken")
                .field(&"<redacted>")
                .finish(),
        }
    }
}

/// Where a credential came from (shown to the learner: "using your docker
/// login for 127.0.0.1:5000 (credential helper pass)").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialOrigin {
    ConfigAuths,
    Helper(String),
}

/// No Debug: it holds secrets.
#[derive(Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(rename = "credsStore", default)]
    creds_store: Option<String>,
    #[serde(rename = "credHelpers", default)]
    cred_helpers: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(rename = "identitytoken", default)]
    identity_token: Option<String>,
}

#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// Reads credentials the way the Docker CLI does for one registry.
pub struct CredentialStore {
    config_file: PathBuf,
    /// The PATH to find `docker-credential-*` in (injected so tests can put
    /// a fake helper first without touching the process environment).
    search_path: Option<OsString>,
}

impl CredentialStore {
    pub fn new(config_dir: &Path, search_path: Option<OsString>) -> CredentialStore {
        CredentialStore {
            config_file: config_dir.join("config.json"),
            search_path,
        }
    }

    /// The process's own Docker config dir and PATH.
    pub fn from_process() -> CredentialStore {
        let var = |name: &str| std::env::var(name).ok();
        let dir = crate::docker::endpoint::docker_config_dir(&var);
        CredentialStore::new(&dir, std::env::var_os("PATH"))
    }

    /// Credentials for `registry_key` (`https://index.docker.io/v1/` for
    /// Docker Hub, else `host[:port]`), or `None` when nothing is stored.
    /// Order as in the CLI: credHelpers[registry], then credsStore, then auths.
    pub async fn lookup(
        &self,
        registry_key: &str,
    ) -> Result<Option<(Credentials, CredentialOrigin)>, DockerError> {
        let config = self.read_config(registry_key)?;
        let host = hostname_of(registry_key);
        let helper = config
            .cred_helpers
            .iter()
            .find(|(k, _)| hostname_of(k) == host)
            .map(|(_, v)| v.clone())
            .or_else(|| config.creds_store.clone())
            .filter(|h| !h.is_empty());
        if let Some(helper) = helper {
            if let Some(creds) = self.run_helper(&helper, registry_key).await? {
                return Ok(Some((creds, CredentialOrigin::Helper(helper))));
            }
            // The CLI falls back to the file too (old logins made before the
            // helper was configured are still in `auths`).
        }
        let entry = config
            .auths
            .iter()
            .find(|(k, _)| k.as_str() == registry_key)
            .or_else(|| config.auths.iter().find(|(k, _)| hostname_of(k) == host));
        match entry {
            Some((_, entry)) => {
                Ok(decode_entry(entry, registry_key)?.map(|c| (c, CredentialOrigin::ConfigAuths)))
            }
            None => Ok(None),
        }
    }

    fn read_config(&self, registry_key: &str) -> Result<ConfigFile, DockerError> {
        let text = match std::fs::read_to_string(&self.config_file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
            Err(e) => {
                return Err(DockerError::Credentials {
                    registry: registry_key.to_string(),
                    message: format!("{}: {e}", self.config_file.display()),
                });
            }
        };
        if text.trim().is_empty() {
            return Ok(ConfigFile::default());
        }
        serde_json::from_str(&text).map_err(|e| DockerError::Credentials {
            registry: registry_key.to_string(),
            // serde_json's message names the position, never the content.
            message: format!("{}: {e}", self.config_file.display()),
        })
    }

    fn find_helper(&self, name: &str) -> Option<PathBuf> {
        let program = format!("docker-credential-{name}");
        let path = self.search_path.as_ref()?;
        std::env::split_paths(path)
            .map(|dir| dir.join(&program))
            .find(|candidate| candidate.is_file())
    }

    async fn run_helper(
        &self,
        helper: &str,
        registry_key: &str,
    ) -> Result<Option<Credentials>, DockerError> {
        let fail = |message: String| DockerError::Credentials {
            registry: registry_key.to_string(),
            message,
        };
        if helper.contains('/') || helper.contains('\\') {
            return Err(fail(format!(
                "credential helper name {helper:?} is not a plain name"
            )));
        }
        let Some(program) = self.find_helper(helper) else {
            return Err(fail(format!(
                "the credential helper docker-credential-{helper} (configured in {}) is not on PATH",
                self.config_file.display()
            )));
        };
        let mut child = tokio::process::Command::new(&program)
            .arg("get")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| fail(format!("cannot run {}: {e}", program.display())))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(registry_key.as_bytes())
                .await
                .map_err(|e| fail(format!("cannot talk to {}: {e}", program.display())))?;
            // Dropping stdin closes it: the helper reads until EOF.
        }
        let output = tokio::time::timeout(HELPER_TIMEOUT, child.wait_with_output())
            .await
            .map_err(|_| {
                fail(format!(
                    "{} did not answer within {} s",
                    program.display(),
                    HELPER_TIMEOUT.as_secs()
                ))
            })?
            .map_err(|e| fail(format!("{}: {e}", program.display())))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            // The protocol's "not found" answer is this exact text on stdout.
            if stdout.contains("credentials not found") {
                return Ok(None);
            }
            let stderr = String::from_utf8_lossy(&output.stderr);
            let said = if stdout.trim().is_empty() {
                stderr.trim().to_string()
            } else {
                stdout.trim().to_string()
            };
            return Err(fail(format!(
                "docker-credential-{helper} failed ({}): {}",
                output.status,
                first_line(&said)
            )));
        }
        let answer: HelperAnswer = serde_json::from_str(stdout.trim()).map_err(|e| {
            fail(format!(
                "docker-credential-{helper} answered something that is not JSON credentials: {e}"
            ))
        })?;
        if answer.username.is_empty() && answer.secret.is_empty() {
            return Ok(None);
        }
        // The protocol marks identity tokens with this user name.
        if answer.username == "<token>" {
            return Ok(Some(Credentials::IdentityToken(answer.secret)));
        }
        Ok(Some(Credentials::password(answer.username, answer.secret)))
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn decode_entry(entry: &AuthEntry, registry_key: &str) -> Result<Option<Credentials>, DockerError> {
    if let Some(token) = entry.identity_token.as_ref().filter(|t| !t.is_empty()) {
        return Ok(Some(Credentials::IdentityToken(token.clone())));
    }
    if let Some(auth) = entry.auth.as_ref().filter(|a| !a.is_empty()) {
        let fail = |what: &str| DockerError::Credentials {
            registry: registry_key.to_string(),
            message: format!("the stored login ({what}); run docker login again"),
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| fail("auth is not base64"))?;
        let text = String::from_utf8(bytes).map_err(|_| fail("auth is not UTF-8"))?;
        let (user, password) = text
            .split_once(':')
            .ok_or_else(|| fail("auth is not user:password"))?;
        return Ok(Some(Credentials::password(user, password)));
    }
    match (&entry.username, &entry.password) {
        (Some(u), Some(p)) if !u.is_empty() => Ok(Some(Credentials::password(u, p))),
        _ => Ok(None),
    }
}

/// `https://registry.example.com/v1/` -> `registry.example.com`, as the CLI
/// normalises `auths` keys; Hub's aliases all become `index.docker.io`.
pub fn hostname_of(key: &str) -> String {
    let without_scheme = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = without_scheme.split('/').next().unwrap_or("");
    match host {
        "docker.io" | "registry-1.docker.io" | "index.docker.io" => "index.docker.io".to_string(),
        other => other.to_string(),
    }
}

/// The key for Docker Hub in config files and helpers.
pub fn docker_hub_key() -> &'static str {
    DOCKER_HUB_AUTH_KEY
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn write_config(dir: &Path, json: &str) {
        std::fs::write(dir.join("config.json"), json).expect("write config");
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    /// A fake helper that answers for one server and records what it was asked.
    fn fake_helper(bin: &Path, name: &str, server: &str, user: &str, secret: &str) {
        let script = format!(
            "#!/bin/sh\n\
             [ \"$1\" = get ] || exit 3\n\
             read -r server\n\
             echo \"$server\" >> \"$(dirname \"$0\")/asked.log\"\n\
             if [ \"$server\" = '{server}' ]; then\n\
               printf '{{\"ServerURL\":\"%s\",\"Username\":\"{user}\",\"Secret\":\"{secret}\"}}\\n' \"$server\"\n\
             else\n\
               echo 'credentials not found in native keychain'\n\
               exit 1\n\
             fi\n"
        );
        let path = bin.join(format!("docker-credential-{name}"));
        std::fs::write(&path, script).expect("write helper");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    #[tokio::test]
    async fn auths_entry_is_decoded() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_config(
            dir.path(),
            &format!(
                r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{}"}},"127.0.0.1:5000":{{"auth":"{}"}}}}}}"#,
                b64("student:s3cret:with:colons"),
                b64("local:pw")
            ),
        );
        let store = CredentialStore::new(dir.path(), None);
        let (hub, origin) = store
            .lookup(DOCKER_HUB_AUTH_KEY)
            .await
            .expect("ok")
            .expect("found");
        assert_eq!(hub, Credentials::password("student", "s3cret:with:colons"));
        assert_eq!(origin, CredentialOrigin::ConfigAuths);
        let (local, _) = store
            .lookup("127.0.0.1:5000")
            .await
            .expect("ok")
            .expect("found");
        assert_eq!(local.username(), Some("local"));
        assert!(store.lookup("ghcr.io").await.expect("ok").is_none());
    }

    #[tokio::test]
    async fn auths_keys_with_scheme_match_the_host() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_config(
            dir.path(),
            &format!(
                r#"{{"auths":{{"https://registry.example.com/v2/":{{"auth":"{}"}}}}}}"#,
                b64("u:p")
            ),
        );
        let store = CredentialStore::new(dir.path(), None);
        let (c, _) = store
            .lookup("registry.example.com")
            .await
            .expect("ok")
            .expect("found");
        assert_eq!(c, Credentials::password("u", "p"));
    }

    #[tokio::test]
    async fn cred_helper_for_the_registry_is_used_with_the_protocol() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = tempfile::tempdir().expect("bin");
        fake_helper(
            bin.path(),
            "fake",
            "127.0.0.1:5000",
            "helperuser",
            "helperpw",
        );
        write_config(
            dir.path(),
            r#"{"auths":{"127.0.0.1:5000":{}},"credHelpers":{"127.0.0.1:5000":"fake"}}"#,
        );
        let store = CredentialStore::new(dir.path(), Some(bin.path().as_os_str().to_owned()));
        let (c, origin) = store
            .lookup("127.0.0.1:5000")
            .await
            .expect("ok")
            .expect("found");
        assert_eq!(c, Credentials::password("helperuser", "helperpw"));
        assert_eq!(origin, CredentialOrigin::Helper("fake".into()));
        let asked = std::fs::read_to_string(bin.path().join("asked.log")).expect("helper ran");
        assert_eq!(asked.trim(), "127.0.0.1:5000");
    }

    #[tokio::test]
    async fn creds_store_is_asked_for_hub_with_the_index_url() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = tempfile::tempdir().expect("bin");
        fake_helper(
            bin.path(),
            "store",
            DOCKER_HUB_AUTH_KEY,
            "<token>",
            "tok123",
        );
        write_config(dir.path(), r#"{"credsStore":"store"}"#);
        let store = CredentialStore::new(dir.path(), Some(bin.path().as_os_str().to_owned()));
        let (c, _) = store
            .lookup(DOCKER_HUB_AUTH_KEY)
            .await
            .expect("ok")
            .expect("found");
        assert_eq!(c, Credentials::IdentityToken("tok123".into()));
        // Not found in the helper and nothing in auths: no credentials.
        assert!(store.lookup("other.example").await.expect("ok").is_none());
    }

    #[tokio::test]
    async fn helper_not_found_falls_back_to_auths() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = tempfile::tempdir().expect("bin");
        fake_helper(bin.path(), "store", "elsewhere", "x", "y");
        write_config(
            dir.path(),
            &format!(
                r#"{{"credsStore":"store","auths":{{"127.0.0.1:5000":{{"auth":"{}"}}}}}}"#,
                b64("old:login")
            ),
        );
        let store = CredentialStore::new(dir.path(), Some(bin.path().as_os_str().to_owned()));
        let (c, origin) = store
            .lookup("127.0.0.1:5000")
            .await
            .expect("ok")
            .expect("found");
        assert_eq!(c, Credentials::password("old", "login"));
        assert_eq!(origin, CredentialOrigin::ConfigAuths);
    }

    #[tokio::test]
    async fn missing_helper_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = tempfile::tempdir().expect("bin");
        write_config(dir.path(), r#"{"credsStore":"nonexistent"}"#);
        let store = CredentialStore::new(dir.path(), Some(bin.path().as_os_str().to_owned()));
        let err = store.lookup("127.0.0.1:5000").await.expect_err("fails");
        let text = err.to_string();
        assert!(text.contains("docker-credential-nonexistent"), "{text}");
        assert!(text.contains("PATH"), "{text}");
    }

    #[tokio::test]
    async fn malformed_config_names_the_file_and_not_the_secret() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_config(dir.path(), r#"{"auths":{"x":{"auth":"c2VjcmV0LXZhbHVl"}"#);
        let store = CredentialStore::new(dir.path(), None);
        let err = store.lookup("x").await.expect_err("fails");
        let text = err.to_string();
        assert!(text.contains("config.json"), "{text}");
        assert!(!text.contains("c2VjcmV0"), "{text}");
    }

    #[tokio::test]
    async fn broken_auth_field_is_reported_without_its_value() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_config(
            dir.path(),
            r#"{"auths":{"r.example":{"auth":"!!notbase64!!"}}}"#,
        );
        let store = CredentialStore::new(dir.path(), None);
        let text = store
            .lookup("r.example")
            .await
            .expect_err("fails")
            .to_string();
        assert!(text.contains("not base64"), "{text}");
        assert!(!text.contains("!!notbase64!!"), "{text}");
    }

    #[test]
    fn debug_never_prints_secrets() {
        let c = Credentials::password("student", "hunter2");
        let text = format!("{c:?}");
        assert!(text.contains("student"));
        assert!(!text.contains("hunter2"), "{text}");
        let t = Credentials::IdentityToken("tok-abc".into());
        assert!(!format!("{t:?}").contains("tok-abc"));
    }

    #[test]
    fn hostnames_normalise() {
        assert_eq!(
            hostname_of("https://index.docker.io/v1/"),
            "index.docker.io"
        );
        assert_eq!(hostname_of("docker.io"), "index.docker.io");
        assert_eq!(hostname_of("http://127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(hostname_of("ghcr.io"), "ghcr.io");
    }
}
