//! Issue 15's journey at a laptop's 80×24, the real TUI in tmux: the lab
//! shows the learner's own write at once, a deep link opens the Dockerfile
//! lesson on its file, lesson 5's `docker diff` line is reachable in the
//! output pane, and Ctrl-C during a build cancels the build, not the app.

use crate::{common, support};

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::tmux::{BIN, Tmux};
use crate::common::{Cleanup, docker_or_skip, lab_containers_of};

/// The lesson's own nginx image, built from the stand-in base with the
/// docker CLI as a learner would; the tag is unique and cleaned up.
fn build_lesson_image(base: &str, cleanup: &mut Cleanup, dockerfile_dir: &Path) -> String {
    let tag = format!("layerlab-test/{}:1", common::unique_name("journey"));
    cleanup.image(&tag);
    let out = std::process::Command::new("docker")
        .args(["build", "-q", "--build-arg"])
        .arg(format!("BASE_IMAGE={base}"))
        .args(["--label", "layerlab.managed=true", "-t", &tag])
        .arg(dockerfile_dir)
        .output()
        .expect("run docker build");
    assert!(
        out.status.success(),
        "docker build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    tag
}

/// The homework with its Dockerfile written (the template holds TODO lines).
fn assets() -> std::path::PathBuf {
    crate::support::solved_homework()
}

#[tokio::test]
async fn echo_in_the_lab_shows_hello_txt_within_2_s_at_80x24() {
    if !common::tmux::available() {
        return;
    }
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let Some(base) = support::standin_base() else {
        return;
    };
    let mut cleanup = Cleanup::new();
    let image = build_lesson_image(&base, &mut cleanup, &assets());
    let data = tempfile::tempdir().expect("tempdir");
    let tmux = Tmux::layerlab(
        data.path(),
        data.path(),
        &[],
        &["--lang", "ru", "lab", &image],
        80,
        24,
    );
    let pid = tmux.pane_pid();
    // Ready: both containers run, nginx's start-up entries folded into a line.
    let ready = tmux
        .wait_for(Duration::from_secs(60), |s| {
            s.matches("работает").count() >= 2 && s.contains("от nginx")
        })
        .map(|_| tmux.capture())
        .unwrap_or_else(|screen| panic!("the lab not ready within 60 s:\n{screen}"));
    for id in lab_containers_of(&docker, pid).await {
        cleanup.container(&id);
    }
    // The keys that work here are on screen: the status bar and the hints
    // name F1 and Esc (the command line takes `?` and `q` as text).
    let status = common::tmux::last_line(&ready);
    assert!(
        status.contains("F1") && status.contains("Esc"),
        "the lab's status bar names its keys: {status}"
    );
    assert!(
        ready.contains("Esc — выход") || ready.contains("Esc выход"),
        "the hints name Esc:\n{ready}"
    );

    tmux.keys(&["-l", "echo hi > /hello.txt"]);
    tmux.keys(&["Enter"]);
    // "A /hello.txt" is the writable layer's line (the command line and the
    // output's title read "> /hello.txt").
    let took = tmux
        .wait_for(Duration::from_secs(2), |s| s.contains("A /hello.txt"))
        .unwrap_or_else(|screen| panic!("hello.txt not shown within 2 s:\n{screen}"));
    let screen = tmux.capture();
    assert!(
        screen.contains("← новое"),
        "the fresh entry is marked in words, not colour alone:\n{screen}"
    );
    eprintln!("hello.txt on screen {took:?} after Enter");

    // F4 unfolds nginx's entries: the tree grows and scrolls (PgDn).
    tmux.keys(&["F4"]);
    tmux.wait_for(Duration::from_secs(2), |s| s.contains("↓"))
        .unwrap_or_else(|screen| panic!("unfolded entries do not scroll:\n{screen}"));
    tmux.keys(&["PageDown"]);
    tmux.wait_for(Duration::from_secs(2), |s| {
        s.lines().any(|l| l.contains("↑") && !l.contains("↑0 "))
    })
    .unwrap_or_else(|screen| panic!("PgDn did not scroll the tree:\n{screen}"));

    // Ctrl-U erases the typed line.
    tmux.keys(&["-l", "half a command"]);
    tmux.wait_for(Duration::from_secs(2), |s| s.contains("$ half a command"))
        .unwrap_or_else(|screen| panic!("typing not shown:\n{screen}"));
    tmux.keys(&["C-u"]);
    tmux.wait_for(Duration::from_secs(2), |s| !s.contains("half a command"))
        .unwrap_or_else(|screen| panic!("Ctrl-U did not erase the line:\n{screen}"));

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

#[test]
fn open_dockerfile_instructions_shows_the_dockerfile_at_80x24() {
    if !common::tmux::available() {
        return;
    }
    let data = tempfile::tempdir().expect("tempdir");
    let tmux = Tmux::layerlab(
        data.path(),
        data.path(),
        &[],
        &["--lang", "en", "open", "dockerfile/instructions"],
        80,
        24,
    );
    let screen = tmux
        .wait_for(Duration::from_secs(10), |s| {
            s.contains("# TODO: ARG") && s.contains("# TODO: FROM")
        })
        .map(|_| tmux.capture())
        .unwrap_or_else(|screen| panic!("the Dockerfile template is not on screen:\n{screen}"));
    // The learner writes it: the step says so, the template has no FROM yet.
    assert!(screen.contains("Your Dockerfile: the task"), "{screen}");
    assert!(
        screen.contains("You write the Dockerfile yourself"),
        "{screen}"
    );
    assert!(screen.contains("e — open in the editor"), "{screen}");
    // The TODO lines are marked with ▶ in the gutter, not by colour alone.
    assert!(
        screen.lines().any(|l| l.contains("▶ 6 # TODO: ARG")),
        "{screen}"
    );
    // A mistyped id is refused with the close ones, before any screen.
    let out = std::process::Command::new(BIN)
        .env("LAYERLAB_DATA_DIR", data.path())
        .args(["--lang", "en", "open", "dockerfil/instructions"])
        .output()
        .expect("run layerlab open");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean: dockerfile"), "{err}");
}

/// `d` (do it for me) through the open lesson until `step` of `lesson` is done.
fn enter_until_done(tmux: &Tmux, data: &Path, lesson: &str, step: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let text = std::fs::read_to_string(data.join("progress.json")).unwrap_or_default();
        let progress: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let done = progress["lessons"][lesson]["done"]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == step));
        if done {
            return;
        }
        let screen = tmux.capture();
        assert!(
            Instant::now() < deadline,
            "{lesson}/{step} not done in time; screen:\n{screen}"
        );
        assert!(!screen.contains("✘ "), "a step failed:\n{screen}");
        if !screen.contains("running (Esc") {
            // `d` (do it for me): Enter leaves the learner's steps to them.
            tmux.keys(&["d"]);
        }
        std::thread::sleep(Duration::from_millis(400));
    }
}

#[tokio::test]
async fn lesson_5s_docker_diff_line_is_reachable_by_scrolling_at_80x24() {
    if !common::tmux::available() {
        return;
    }
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let Some(base) = support::standin_base() else {
        return;
    };
    let mut cleanup = Cleanup::new();
    let image = build_lesson_image(&base, &mut cleanup, &assets());
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    std::fs::write(
        data.join("config.json"),
        serde_json::json!({ "image": image }).to_string(),
    )
    .expect("config");
    let prefix = common::unique_name("lljourney");
    let tmux = Tmux::layerlab(
        dir.path(),
        &data,
        &[("LAYERLAB_CONTAINER_PREFIX", &prefix)],
        &[
            "--lang",
            "en",
            "--base-image",
            &base,
            "open",
            "disposable/save-image-id",
        ],
        80,
        24,
    );
    tmux.wait_connected(Duration::from_secs(20));
    let result = std::panic::catch_unwind(|| {
        enter_until_done(
            &tmux,
            &data,
            "disposable",
            "show-changes",
            Duration::from_secs(120),
        );
        // Tab gives the output the screen; PgDn through it, then G.
        tmux.keys(&["Tab"]);
        let mut seen = tmux.capture();
        for _ in 0..20 {
            if seen.contains("A /tmp/note.txt") {
                break;
            }
            tmux.keys(&["PageDown"]);
            std::thread::sleep(Duration::from_millis(150));
            seen = tmux.capture();
        }
        assert!(
            seen.contains("A /tmp/note.txt"),
            "docker diff's line never reached:\n{seen}"
        );
        tmux.keys(&["G"]);
        std::thread::sleep(Duration::from_millis(200));
        let end = tmux.capture();
        assert!(
            end.contains("The step's output"),
            "G keeps the full output open:\n{end}"
        );
    });
    tmux.keys(&["Escape", "q", "q"]);
    drop(tmux);
    let box_name = format!("{prefix}-box");
    let _ = docker.remove_container(&box_name).await;
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[tokio::test]
async fn ctrl_c_during_a_build_cancels_it_and_the_app_stays_open() {
    if !common::tmux::available() {
        return;
    }
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let Some(base) = support::standin_base() else {
        return;
    };
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    // The learner's workspace, with a slow step the learner added: the build
    // is still running when Ctrl-C comes.
    let workspace = data.join("workspace/nginx-alpine");
    std::fs::create_dir_all(&workspace).expect("workspace");
    let copy = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", assets().display()))
        .arg(&workspace)
        .status()
        .expect("cp");
    assert!(copy.success());
    let dockerfile = workspace.join("Dockerfile");
    let text = std::fs::read_to_string(&dockerfile).expect("Dockerfile");
    let slow = format!(
        "{}RUN sleep 120 # {}\n",
        text,
        common::unique_name("nocache")
    );
    std::fs::write(&dockerfile, slow).expect("write Dockerfile");
    let image = format!("layerlab-test/{}:1", common::unique_name("journey-cc"));
    cleanup.image(&image);
    std::fs::write(
        data.join("config.json"),
        serde_json::json!({ "image": image }).to_string(),
    )
    .expect("config");
    let tmux = Tmux::layerlab(
        dir.path(),
        &data,
        &[],
        &[
            "--lang",
            "en",
            "--base-image",
            &base,
            "open",
            "dockerfile/build",
        ],
        80,
        24,
    );
    let pid = tmux.pane_pid();
    tmux.wait_connected(Duration::from_secs(20));
    // `d`: layerlab builds it (Enter leaves the build to the learner's terminal).
    tmux.keys(&["d"]);
    tmux.wait_for(Duration::from_secs(60), |s| s.contains("sleep 120"))
        .unwrap_or_else(|s| panic!("the build never reached the slow step:\n{s}"));
    tmux.keys(&["C-c"]);
    let screen = tmux
        .wait_for(Duration::from_secs(30), |s| {
            s.to_lowercase().contains("✘ cancelled")
        })
        .map(|_| tmux.capture())
        .unwrap_or_else(|s| panic!("Ctrl-C did not cancel the build:\n{s}"));
    assert!(
        screen.contains("Building the image"),
        "the lesson is still on screen:\n{screen}"
    );
    assert!(
        Path::new(&format!("/proc/{pid}")).exists(),
        "the app is still running"
    );
    assert!(
        docker
            .inspect_image(&image)
            .await
            .expect("inspect")
            .is_none(),
        "a cancelled build leaves no image"
    );
    // Nothing running now: Ctrl-C quits.
    tmux.keys(&["C-c"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while Path::new(&format!("/proc/{pid}")).exists() {
        assert!(Instant::now() < deadline, "a second Ctrl-C did not quit");
        std::thread::sleep(Duration::from_millis(100));
    }
}
