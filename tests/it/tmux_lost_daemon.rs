//! A daemon that goes away mid-session: the real TUI (tmux, 80×24) talks to
//! Docker through a unix-socket proxy this test owns (the real daemon is
//! never touched). Killing the proxy must turn the status bar red within 2 s;
//! a daemon that hangs must too (ping timeout), failing the running step with
//! a clear message; when the proxy is back the app reconnects by itself and
//! the learner's progress is still on disk.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::proxy::{SocketProxy, daemon_socket};
use crate::common::tmux::{self, Tmux};

/// The status bar's text for a lost daemon (English UI).
const LOST: &str = "✘ Docker unreachable";
const CONNECTED: &str = "● Docker";
const LOST_WITHIN: Duration = Duration::from_secs(2);

fn daemon_or_skip() -> bool {
    let socket = daemon_socket();
    match std::os::unix::net::UnixStream::connect(&socket) {
        Ok(_) => true,
        Err(e) => {
            common::missing(
                "no Docker daemon",
                &format!("cannot connect to {}: {e}", socket.display()),
            );
            false
        }
    }
}

fn done_steps(data: &Path, lesson: &str) -> Vec<String> {
    let text = std::fs::read_to_string(data.join("progress.json")).unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    json["lessons"][lesson]["done"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn wait_status(tmux: &Tmux, wanted: &str, timeout: Duration) -> Result<Duration, String> {
    tmux.wait_for(timeout, |screen| tmux::last_line(screen).contains(wanted))
}

#[test]
fn the_tui_survives_a_lost_daemon_and_reconnects_by_itself() {
    if !tmux::available() || !daemon_or_skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut proxy = SocketProxy::start(dir.path());
    let host = proxy.docker_host();
    let tmux = Tmux::layerlab(
        dir.path(),
        &data,
        &[("DOCKER_HOST", &host)],
        &["--lang", "en", "--log-level", "debug"],
        80,
        24,
    );
    wait_status(&tmux, CONNECTED, Duration::from_secs(15))
        .unwrap_or_else(|s| panic!("never connected through the proxy:\n{s}"));

    // Lesson 1, first step (prose): Enter completes it and moves on.
    tmux.keys(&["Enter"]);
    tmux.wait_for(Duration::from_secs(5), |s| {
        s.contains("What we are going to do")
    })
    .unwrap_or_else(|s| panic!("lesson 1 did not open:\n{s}"));
    tmux.keys(&["Enter"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done_steps(&data, "environment").contains(&"welcome".to_string())
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = done_steps(&data, "environment");
    assert!(
        before.contains(&"welcome".to_string()),
        "progress: {before:?}"
    );

    // 1. The daemon vanishes (socket gone, connections cut).
    proxy.stop();
    let killed = Instant::now();
    wait_status(&tmux, LOST, Duration::from_secs(10))
        .unwrap_or_else(|s| panic!("the status bar never showed the lost daemon:\n{s}"));
    let lost = killed.elapsed();
    eprintln!(
        "lost daemon (proxy killed) shown after {} ms",
        lost.as_millis()
    );
    assert!(
        lost <= LOST_WITHIN,
        "the lost daemon showed after {lost:?}, more than {LOST_WITHIN:?}"
    );
    proxy.restart();
    let back = wait_status(&tmux, CONNECTED, Duration::from_secs(10))
        .unwrap_or_else(|s| panic!("no reconnect after the proxy came back:\n{s}"));
    eprintln!(
        "reconnected {} ms after the proxy came back",
        back.as_millis()
    );

    // 2. The daemon hangs while a step runs: the ping times out, the step
    //    fails with a message that says what happened and what to do.
    tmux.keys(&["Enter"]); // engine-client-api (prose) -> the doctor step
    tmux.wait_for(Duration::from_secs(5), |s| {
        s.contains("Checking the environment")
    })
    .unwrap_or_else(|s| panic!("the doctor step did not show:\n{s}"));
    proxy.pause();
    let paused = Instant::now();
    tmux.keys(&["Enter"]);
    wait_status(&tmux, LOST, Duration::from_secs(10))
        .unwrap_or_else(|s| panic!("a hanging daemon was never shown as lost:\n{s}"));
    let hung_after = paused.elapsed();
    eprintln!(
        "lost daemon (proxy hanging) shown after {} ms",
        hung_after.as_millis()
    );
    assert!(
        hung_after <= Duration::from_millis(2500),
        "a hanging daemon showed as lost after {hung_after:?}"
    );
    tmux.wait_for(Duration::from_secs(10), |s| {
        s.contains("Docker went away") && s.contains("redo it")
    })
    .unwrap_or_else(|s| panic!("the running step did not fail clearly:\n{s}"));
    proxy.resume();
    wait_status(&tmux, CONNECTED, Duration::from_secs(10))
        .unwrap_or_else(|s| panic!("no reconnect after the daemon answered again:\n{s}"));

    // The app kept running all along, and the progress is intact.
    let after = done_steps(&data, "environment");
    for step in &before {
        assert!(after.contains(step), "lost {step}: {after:?}");
    }
    assert!(
        !after.contains(&"doctor".to_string()),
        "the interrupted step must not count as done: {after:?}"
    );
    assert!(
        !tmux.capture().contains("panicked"),
        "a panic on screen:\n{}",
        tmux.capture()
    );
    tmux.keys(&["C-c"]);
}
