//! What the walkthrough tests share: running the `layerlab` binary with its
//! own data dir, container prefix and image names, bounded in time, and
//! reading the progress file it leaves.

pub mod second_terminal;

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use layerlab::docker::Docker;

/// A `layerlab run` must finish within this, or the test fails (never hangs).
pub const RUN_TIMEOUT: Duration = Duration::from_secs(240);

/// One learner: a data dir, a container prefix and names nobody else uses.
pub struct Learner {
    pub data: tempfile::TempDir,
    /// `LAYERLAB_CONTAINER_PREFIX`, so our `web` is not another run's `web`.
    pub prefix: String,
    /// `--image`, unique per test.
    pub image: String,
    pub env: Vec<(String, String)>,
}

impl Learner {
    pub fn new(tag: &str) -> Learner {
        let unique = super::common::unique_name(tag);
        Learner {
            data: tempfile::tempdir().expect("tempdir"),
            prefix: format!("ll-{unique}"),
            image: format!("layerlab-test/{unique}:latest"),
            env: Vec::new(),
        }
    }

    pub fn workspace(&self) -> PathBuf {
        self.data.path().join("workspace")
    }

    /// The repository part of `image` (what `{image_repo}` becomes).
    pub fn image_repo(&self) -> String {
        layerlab::runner::repository_of(&self.image)
    }

    pub fn with_env(mut self, key: &str, value: &str) -> Learner {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// `layerlab ARGS` with this learner's environment, in English, bounded
    /// by RUN_TIMEOUT (killed and failed after it).
    pub async fn run(&self, args: &[&str]) -> Outcome {
        let mut command = self.command(args);
        let child = command.spawn().expect("start layerlab");
        wait_bounded(child).await
    }

    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_layerlab"));
        command
            .args(args)
            .args(["--lang", "en"])
            .env("LAYERLAB_DATA_DIR", self.data.path())
            .env("LAYERLAB_CONTAINER_PREFIX", &self.prefix)
            .env_remove("LANG")
            .env_remove("LC_ALL")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    /// The progress file's entry for a lesson: (done steps, started step).
    pub fn progress(&self, lesson: &str) -> (Vec<String>, Option<String>) {
        let path = self.data.path().join("progress.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let json: serde_json::Value = serde_json::from_str(&text).expect("progress is JSON");
        let entry = &json["lessons"][lesson];
        let done = entry["done"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let started = entry["started"].as_str().map(str::to_string);
        (done, started)
    }

    /// Managed containers whose name starts with this learner's prefix.
    pub async fn leftover_containers(&self, docker: &Docker) -> Vec<String> {
        docker
            .list_managed_containers()
            .await
            .expect("list containers")
            .into_iter()
            .filter(|c| c.name.starts_with(&format!("{}-", self.prefix)))
            .map(|c| format!("{} ({})", c.name, c.id))
            .collect()
    }

    /// Remove what a failed test left behind (ours only: by prefix).
    pub async fn remove_leftovers(&self, docker: &Docker) {
        if let Ok(list) = docker.list_managed_containers().await {
            for c in list {
                if c.name.starts_with(&format!("{}-", self.prefix)) {
                    let _ = docker.remove_container(&c.id).await;
                }
            }
        }
    }
}

pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
    /// The ✘ line of a step and the indented lines after it.
    pub fn failure_of(&self, step: &str) -> String {
        let mut out = String::new();
        let mut inside = false;
        for line in self.stdout.lines() {
            if line.starts_with("✘ ") && line.contains(&format!("/{step}:")) {
                inside = true;
            } else if inside && !line.starts_with("  ") {
                break;
            }
            if inside {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub async fn wait_bounded(child: tokio::process::Child) -> Outcome {
    match tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(output)) => outcome(output),
        Ok(Err(e)) => panic!("waiting for layerlab: {e}"),
        Err(_) => panic!("layerlab did not finish within {RUN_TIMEOUT:?}"),
    }
}

fn outcome(output: Output) -> Outcome {
    Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The stand-in for alpine:3.22 (`scripts/test.sh` builds it), or a loud skip.
pub fn standin_base() -> Option<String> {
    env_or_skip("LAYERLAB_TEST_BASE_IMAGE", "no stand-in base image")
}

pub fn test_registry() -> Option<String> {
    env_or_skip("LAYERLAB_TEST_REGISTRY", "no test registry")
}

pub fn env_or_skip(name: &str, what: &str) -> Option<String> {
    // Only Docker tests ask for the stand-in or a registry.
    super::common::skip::uses_docker();
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Some(value),
        _ => {
            super::common::missing(
                what,
                &format!("{name} is not set; run the suite through scripts/test.sh"),
            );
            None
        }
    }
}

/// A closed port on 127.0.0.1: bound by us, then released.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}
