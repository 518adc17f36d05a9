//! Helpers shared by the integration tests that need a Docker daemon or the
//! services `scripts/test.sh` starts (stand-in base image, local registries).
//!
//! Rule for every helper here: with `CI=true` a missing daemon or service is a
//! test FAILURE (panic with the fix); elsewhere the test is skipped LOUDLY on
//! stderr, so a laptop without Docker still runs the rest of the suite.

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;

pub const MANAGED_LABEL: &str = "layerlab.managed";

/// Labels every container and image a test creates must carry, so a cleanup
/// can never touch anything that is not ours.
pub fn managed_labels() -> HashMap<String, String> {
    HashMap::from([(MANAGED_LABEL.to_string(), "true".to_string())])
}

// The skip rule lives in `common/skip.rs`, one rule for both modules.
use crate::common::skip;

/// `skip::missing` with the fix spelled out.
fn missing(what: &str, why: &str, fix: &str) {
    skip::missing(what, &format!("{why} (fix: {fix})"));
}

/// A connection to the local daemon with the API version negotiated (the engine
/// here speaks 1.41, bollard defaults to 1.53), or `None` when no daemon answers.
pub async fn docker_or_skip() -> Option<Docker> {
    skip::uses_docker();
    const FIX: &str =
        "start the Docker daemon, or check DOCKER_HOST and the permissions on /var/run/docker.sock";
    let docker = match Docker::connect_with_local_defaults() {
        Ok(docker) => docker,
        Err(error) => {
            missing("no Docker daemon", &error.to_string(), FIX);
            return None;
        }
    };
    match tokio::time::timeout(Duration::from_secs(15), docker.negotiate_version()).await {
        Ok(Ok(docker)) => Some(docker),
        Ok(Err(error)) => {
            missing("no Docker daemon", &error.to_string(), FIX);
            None
        }
        Err(_) => {
            missing("no Docker daemon", "no answer to /version within 15 s", FIX);
            None
        }
    }
}

fn env_or_skip(name: &str, what: &str) -> Option<String> {
    // Only Docker tests ask for the stand-in or a registry.
    skip::uses_docker();
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Some(value),
        _ => {
            missing(
                what,
                &format!("{name} is not set"),
                "run the suite through scripts/test.sh, which provides it",
            );
            None
        }
    }
}

/// The local base image that stands in for alpine:3.22 (built by
/// `scripts/standin-base.sh`; no registry is reachable to pull the real one).
pub fn standin_base() -> Option<String> {
    env_or_skip("LAYERLAB_TEST_BASE_IMAGE", "no stand-in base image")
}

/// `127.0.0.1:PORT` of a throwaway registry without authentication.
pub fn test_registry() -> Option<String> {
    env_or_skip("LAYERLAB_TEST_REGISTRY", "no test registry")
}

/// A throwaway registry that requires basic auth, and its test-only account.
pub struct AuthRegistry {
    pub address: String,
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for AuthRegistry {
    // The password never reaches a log, even a test's.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthRegistry")
            .field("address", &self.address)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

pub fn auth_registry() -> Option<AuthRegistry> {
    Some(AuthRegistry {
        address: env_or_skip("LAYERLAB_TEST_AUTH_REGISTRY", "no auth test registry")?,
        user: env_or_skip("LAYERLAB_TEST_AUTH_USER", "no auth test registry")?,
        password: env_or_skip("LAYERLAB_TEST_AUTH_PASSWORD", "no auth test registry")?,
    })
}

/// One plain HTTP/1.0 GET to `address` (always a 127.0.0.1 port here), bounded
/// by 5 s: (status, whole response with headers).
pub async fn http_get(
    address: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> std::io::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(address).await?;
        let mut request =
            format!("GET {path} HTTP/1.0\r\nHost: {address}\r\nUser-Agent: layerlab-test\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&response).into_owned())
    };
    let response = tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer in 5 s"))??;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not an HTTP response: {response:?}"),
            )
        })?;
    Ok((status, response))
}

/// A name no other test (or concurrent run on the same daemon) will pick.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let sequence = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default();
    format!("{prefix}-{}-{sequence}-{nanos:08x}", std::process::id())
}

/// The homework as a learner who finished lesson 3 has it: the assets'
/// `nginx-alpine/` (whose Dockerfile ships as TODO lines) with the reference
/// solution `assets/solutions/nginx-alpine/Dockerfile` in its place. Made
/// once per content under the target's test folder (a finished copy is
/// renamed into place, so parallel test processes never see half of one).
pub fn solved_homework() -> std::path::PathBuf {
    use std::hash::{Hash, Hasher};
    use std::path::Path;
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let template = assets.join("nginx-alpine");
    let solution = std::fs::read(assets.join("solutions/nginx-alpine/Dockerfile"))
        .expect("the reference Dockerfile");
    fn files(dir: &Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("read the assets")
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                files(&path, out);
            } else {
                out.push((path.clone(), std::fs::read(&path).expect("read an asset")));
            }
        }
    }
    let mut all = Vec::new();
    files(&template, &mut all);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    solution.hash(&mut hasher);
    for (path, bytes) in &all {
        path.strip_prefix(&template).unwrap().hash(&mut hasher);
        bytes.hash(&mut hasher);
    }
    let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let done = root.join(format!("homework-solved-{:016x}", hasher.finish()));
    if done.join("Dockerfile").is_file() {
        return done;
    }
    let building = tempfile::tempdir_in(root).expect("a temporary folder");
    for (path, bytes) in &all {
        let target = building.path().join(path.strip_prefix(&template).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, bytes).unwrap();
    }
    std::fs::write(building.path().join("Dockerfile"), &solution).unwrap();
    let building = building.keep();
    // Another process may have won the race: its copy is the same.
    if std::fs::rename(&building, &done).is_err() {
        let _ = std::fs::remove_dir_all(&building);
    }
    done
}
