//! The real TUI in a terminal: `layerlab lab IMAGE` in a detached tmux
//! session (its own tmux server, fixed size), a command typed into the lab's
//! command line, its change seen on screen, a commit opened in the layer
//! explorer and back, Esc, and no container left.

use crate::common;

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::tmux::Tmux;
use crate::common::{Cleanup, busybox_image, docker_or_skip, lab_containers_of};
use layerlab::docker::Docker;

/// `layerlab lab` on the busybox test image at 160×45, until both lab
/// containers run; with layerlab's pid, and a `Cleanup` that removes the
/// containers whatever the test does.
async fn open_lab(docker: &Docker, data: &Path) -> (Tmux, u32, Cleanup) {
    let image = busybox_image(docker).await;
    let tmux = Tmux::layerlab(data, data, &[], &["--lang", "en", "lab", &image], 160, 45);
    let pid = tmux.pane_pid();
    // The containers' names (layerlab-lab-<pid>-…) appear once they run.
    let named = format!("layerlab-lab-{pid}-");
    tmux.wait_for(Duration::from_secs(60), |s| {
        s.contains(&named) && s.contains("empty layer: no changes")
    })
    .unwrap_or_else(|screen| panic!("the lab not ready within 60 s; the screen:\n{screen}"));
    let started = lab_containers_of(docker, pid).await;
    let mut cleanup = Cleanup::new();
    for id in &started {
        cleanup.container(id);
    }
    assert_eq!(started.len(), 2);
    (tmux, pid, cleanup)
}

#[tokio::test]
async fn typing_a_command_in_the_lab_shows_its_file_and_esc_removes_the_containers() {
    if !common::tmux::available() {
        return;
    }
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let data = tempfile::tempdir().expect("tempdir");
    let (tmux, pid, mut cleanup) = open_lab(&docker, data.path()).await;

    tmux.keys(&["-l", "echo hi > /lab-proof.txt"]);
    tmux.keys(&["Enter"]);
    // Three facts arrive as separate events, in no fixed order: the change
    // (the upper-directory scan can see the file before `exec` reports), the
    // command's exit code, and the image re-checked after the change.
    // "A /lab-proof.txt" is the change list's line; the command itself
    // (echoed in the output pane's title) reads "> /lab-proof.txt".
    let facts = [
        ("the new file in the writable layer", "A /lab-proof.txt"),
        ("the command's exit code", "exit 0"),
        ("the image re-checked after the change", "image unchanged"),
    ];
    if let Err(screen) = tmux.wait_for(Duration::from_secs(15), |s| {
        facts.iter().all(|(_, text)| s.contains(text))
    }) {
        let missing: Vec<&str> = facts
            .iter()
            .filter(|(_, text)| !screen.contains(text))
            .map(|(what, _)| *what)
            .collect();
        panic!("not on screen within 15 s: {missing:?}; the screen:\n{screen}");
    }

    // F7 commits the container; F9 opens the commit in the layer explorer,
    // whose top layer holds exactly the file; Esc comes back to the lab.
    tmux.keys(&["F7"]);
    tmux.wait_for(Duration::from_secs(30), |s| {
        s.contains("commit → layerlab/lab-commit:") && s.contains("F9 opens it")
    })
    .unwrap_or_else(|screen| panic!("no commit within 30 s; the screen:\n{screen}"));
    let committed = tmux.capture();
    let commit_tag = committed
        .split("commit → ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the commit's tag on screen")
        .to_string();
    cleanup.image(&commit_tag);
    tmux.keys(&["F9"]);
    // F9 opens the commit against the lab's image: the two images side by
    // side, the commit's own file the path that differs.
    // (The lab itself shows the tag and the file too: wait for the
    // comparison's own heading.)
    tmux.wait_for(Duration::from_secs(30), |s| {
        s.contains("Two images, layer by layer")
            && s.contains(&commit_tag)
            && s.contains("lab-proof.txt")
    })
    .unwrap_or_else(|screen| {
        panic!("the commit not in the explorer within 30 s; the screen:\n{screen}")
    });
    let explorer = tmux.capture();
    assert!(
        !explorer.contains("sh -c …"),
        "the explorer replaces the lab on screen:\n{explorer}"
    );
    tmux.keys(&["Escape"]);
    tmux.wait_for(Duration::from_secs(10), |s| {
        s.contains("sh -c …") && s.contains(&format!("layerlab-lab-{pid}-"))
    })
    .unwrap_or_else(|screen| panic!("Esc did not come back to the lab; the screen:\n{screen}"));

    tmux.keys(&["Escape"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = lab_containers_of(&docker, pid).await;
        let alive = Path::new(&format!("/proc/{pid}")).exists();
        if left.is_empty() && !alive {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "30 s after Esc: process alive: {alive}, containers left: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Issue 11, defect 7: closing the terminal during `layerlab lab` (the pty
/// hangs up, SIGHUP) killed layerlab before its cleanup and both lab
/// containers kept running.
#[tokio::test]
async fn closing_the_terminal_during_the_lab_removes_both_containers() {
    if !common::tmux::available() {
        return;
    }
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let data = tempfile::tempdir().expect("tempdir");
    let (tmux, pid, _cleanup) = open_lab(&docker, data.path()).await;

    tmux.kill_session();
    // The process tidies up and exits (bounded).
    let proc_dir = std::path::PathBuf::from(format!("/proc/{pid}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while proc_dir.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let left = lab_containers_of(&docker, pid).await;
    assert!(
        left.is_empty(),
        "lab containers left after the hang-up: {left:?}"
    );
    assert!(
        !proc_dir.exists(),
        "layerlab still running 30 s after the hang-up"
    );
}
