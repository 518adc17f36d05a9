//! The real TUI in a terminal: `layerlab lab IMAGE` in a detached tmux
//! session (its own tmux server, fixed size), a command typed into the lab's
//! command line, its change seen on screen, Esc, and no container left.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Cleanup, busybox_image, docker_or_skip, missing, unique_name};
use layerlab::docker::Docker;
use layerlab::docker::lab::LAB_LABEL;

/// A tmux server of our own (`-L SOCKET`), killed on drop, also on panic:
/// nothing of anyone else's tmux is touched.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "lab"]).stdout).into_owned()
    }

    /// Bounded polling of the screen until `want` holds.
    fn wait_for(&self, what: &str, timeout: Duration, want: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            if want(&screen) {
                return screen;
            }
            if Instant::now() >= deadline {
                panic!("{what}: not on screen within {timeout:?}; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn tmux_present() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Lab containers of the process `pid` (session ids start with the pid).
async fn lab_containers_of(docker: &Docker, pid: u32) -> Vec<String> {
    let prefix = format!("{pid}-");
    docker
        .list_managed_containers()
        .await
        .expect("list containers")
        .into_iter()
        .filter(|c| {
            c.labels
                .get(LAB_LABEL)
                .is_some_and(|s| s.starts_with(&prefix))
        })
        .map(|c| c.id)
        .collect()
}

#[tokio::test]
async fn typing_a_command_in_the_lab_shows_its_file_and_esc_removes_the_containers() {
    if !tmux_present() {
        missing("tmux", "install it: apt-get install -y tmux");
        return;
    }
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let data = tempfile::tempdir().expect("tempdir");
    let tmux = Tmux {
        socket: unique_name("layerlab-tmux-lab"),
    };
    let binary = env!("CARGO_BIN_EXE_layerlab");
    let command = format!(
        "exec env LAYERLAB_DATA_DIR={} TERM=xterm-256color {} --lang en lab {}",
        shell_quote(data.path()),
        binary,
        image
    );
    let started = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "lab",
        "-x",
        "160",
        "-y",
        "45",
        &command,
    ]);
    assert!(
        started.status.success(),
        "tmux new-session: {}",
        String::from_utf8_lossy(&started.stderr)
    );
    let pid: u32 = String::from_utf8_lossy(
        &tmux
            .run(&["display", "-p", "-t", "lab", "#{pane_pid}"])
            .stdout,
    )
    .trim()
    .parse()
    .expect("the pane's pid");

    // The containers' names (layerlab-lab-<pid>-…) appear once they run.
    let named = format!("layerlab-lab-{pid}-");
    tmux.wait_for("the lab ready", Duration::from_secs(60), |s| {
        s.contains(&named) && s.contains("empty layer: no changes")
    });
    let started = lab_containers_of(&docker, pid).await;
    let mut cleanup = Cleanup::new();
    for id in &started {
        cleanup.container(id);
    }
    assert_eq!(started.len(), 2);

    tmux.run(&["send-keys", "-t", "lab", "-l", "echo hi > /lab-proof.txt"]);
    tmux.run(&["send-keys", "-t", "lab", "Enter"]);
    // "A /lab-proof.txt" is the change list's line; the command itself
    // (echoed in the output pane's title) reads "> /lab-proof.txt".
    let screen = tmux.wait_for(
        "the new file in the writable layer",
        Duration::from_secs(10),
        |s| s.contains("A /lab-proof.txt"),
    );
    assert!(
        screen.contains("exit 0"),
        "the command's exit code is shown:\n{screen}"
    );
    assert!(
        screen.contains("image unchanged"),
        "the image is re-checked after the change:\n{screen}"
    );

    tmux.run(&["send-keys", "-t", "lab", "Escape"]);
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

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}
