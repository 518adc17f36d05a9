//! The learner's second terminal, shared by the tests that type lessons:
//! a running `layerlab watch` whose lines are collected, and the `docker`
//! CLI as the learner types it.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};

use super::Learner;

/// How long one expected line may take to show up.
pub const LINE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a step that must *not* tick is given to tick wrongly: well
/// over the watcher's reaction time (p95 under 150 ms for daemon events).
pub const QUIET: Duration = Duration::from_secs(2);

/// A running `layerlab watch`, its stdout collected line by line.
pub struct Watch {
    child: tokio::process::Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Watch {
    pub fn start(learner: &Learner, args: &[&str]) -> Watch {
        let mut command = learner.command(args);
        command.stdout(Stdio::piped());
        let mut child = command.spawn().expect("start layerlab watch");
        let stdout = child.stdout.take().expect("stdout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                sink.lock().unwrap().push(line);
            }
        });
        Watch { child, lines }
    }

    pub fn text(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// Wait (bounded) for a line containing `needle`; its arrival time.
    pub async fn wait_for(&self, needle: &str) -> Instant {
        let start = Instant::now();
        loop {
            if self
                .lines
                .lock()
                .unwrap()
                .iter()
                .any(|l| l.contains(needle))
            {
                return Instant::now();
            }
            assert!(
                start.elapsed() < LINE_TIMEOUT,
                "no line with `{needle}` within {LINE_TIMEOUT:?}; watch printed:\n{}",
                self.text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The learner has not typed the step's command yet: it must not tick.
    pub async fn stays_open(&self, step: &str) {
        tokio::time::sleep(QUIET).await;
        let text = self.text();
        assert!(
            !text.contains(&format!("✔ {step}:")),
            "{step} ticked before the learner did it:\n{text}"
        );
    }

    /// Wait for the process to end; its exit code.
    pub async fn finish(mut self) -> (Option<i32>, String) {
        let status = tokio::time::timeout(LINE_TIMEOUT, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("watch did not end:\n{}", self.text()))
            .expect("wait");
        // Let the reader drain the last lines.
        tokio::time::sleep(Duration::from_millis(200)).await;
        (status.code(), self.text())
    }
}

/// The learner's own terminal: `docker ARGS`, which must succeed.
pub fn docker(args: &[&str]) -> String {
    let output = std::process::Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI");
    assert!(
        output.status.success(),
        "docker {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The learner's build, as they would type it: no layerlab labels (a
/// parallel test's `layerlab clean` must not take its images mid-build);
/// `Cleanup` removes it by name.
pub fn build(base: &str, tag: &str, dockerfile: &std::path::Path, context: &std::path::Path) {
    docker(&[
        "build",
        "-q",
        "--build-arg",
        &format!("BASE_IMAGE={base}"),
        "-f",
        &dockerfile.display().to_string(),
        "-t",
        tag,
        &context.display().to_string(),
    ]);
}

/// A free port on 127.0.0.1 for the learner's `-p`.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}
