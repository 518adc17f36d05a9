//! The TUI watching the learner: lesson 3 in tmux, where the test, as the
//! learner's second terminal, edits the page and runs `docker build` with
//! a name of its own. The steps turn ✔ on screen by themselves, Enter on a
//! learner's step says to type it, and progress records the learner.

use std::path::Path;
use std::time::Duration;

use crate::common::tmux::{self, Tmux};
use crate::{common, support};

fn record(data: &Path, lesson: &str, step: &str) -> Option<String> {
    let text = std::fs::read_to_string(data.join("progress.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["lessons"][lesson]["records"][step]["by"]
        .as_str()
        .map(str::to_string)
}

fn wait_record(data: &Path, lesson: &str, step: &str, tmux: &Tmux) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(by) = record(data, lesson, step) {
            return by;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{lesson}/{step} never recorded; screen:\n{}",
            tmux.capture()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_build_step_ticks_itself_when_the_learner_builds_in_their_own_terminal() {
    if !tmux::available() {
        return;
    }
    let Some(base) = support::standin_base() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let unique = common::unique_name("tuiwatch");
    let tag = format!("{unique}/my-site:v1");
    let mut cleanup = common::Cleanup::new();
    cleanup.image(&tag);
    let tmux = Tmux::layerlab(
        dir.path(),
        &data,
        &[
            ("LAYERLAB_CONTAINER_PREFIX", &unique),
            ("EDITOR", "true"),
            ("VISUAL", ""),
        ],
        &["--lang", "en", "--base-image", &base],
        120,
        40,
    );
    tmux.wait_connected(Duration::from_secs(20));
    tmux.keys(&["Down", "Down", "Enter"]);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("Step 1/"))
        .unwrap_or_else(|s| panic!("lesson 3 did not open:\n{s}"));
    // Copying the template is layerlab's to do: Enter does it.
    tmux.keys(&["n"]);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("Step 2/"))
        .unwrap_or_else(|s| panic!("no step 2:\n{s}"));
    tmux.keys(&["Enter"]);
    assert_eq!(
        wait_record(&data, "dockerfile", "copy-assets", &tmux),
        "layerlab"
    );

    // The page step: the learner edits the file in their own editor.
    for _ in 0..7 {
        tmux.keys(&["n"]);
    }
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("Step 9/"))
        .unwrap_or_else(|s| panic!("no step 9:\n{s}"));
    tmux.wait_for(Duration::from_secs(20), |s| {
        s.contains("still the template")
    })
    .unwrap_or_else(|s| panic!("no template hint:\n{s}"));
    let page = data.join("workspace/nginx-alpine/rootfs/var/www/localhost/htdocs/index.html");
    let text = std::fs::read_to_string(&page).expect("page");
    // As long as the other watching tests' pages (watch_learner.rs); other
    // bytes: the watcher compares the page's content.
    let name = format!("{unique:-<60}");
    std::fs::write(&page, text.replace("ВАШЕ ИМЯ / YOUR NAME", &name)).expect("edit");
    assert_eq!(
        wait_record(&data, "dockerfile", "edit-page", &tmux),
        "learner"
    );

    // The build: Enter does not do it for the learner; their docker build does.
    tmux.keys(&["n"]);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("Step 10/"))
        .unwrap_or_else(|s| panic!("no step 10:\n{s}"));
    tmux.wait_for(Duration::from_secs(5), |s| {
        s.contains("Type it in your terminal")
    })
    .unwrap_or_else(|s| panic!("no typing note:\n{s}"));
    let screen = tmux.capture();
    assert!(screen.contains("docker build"), "{screen}");
    assert!(
        screen.contains(&format!("{}/workspace/nginx-alpine", data.display())),
        "the command names the real workspace:\n{screen}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for(Duration::from_secs(5), |s| {
        s.contains("the step ticks itself")
    })
    .unwrap_or_else(|s| panic!("Enter did not explain:\n{s}"));
    assert_eq!(record(&data, "dockerfile", "build"), None, "Enter built it");
    let workspace = data.join("workspace/nginx-alpine");
    // The learner writes the Dockerfile the template leaves to them.
    std::fs::write(
        workspace.join("Dockerfile"),
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("assets/solutions/nginx-alpine/Dockerfile"),
        )
        .expect("the reference Dockerfile"),
    )
    .expect("write the Dockerfile");
    let output = std::process::Command::new("docker")
        .args([
            "build",
            "-q",
            "--build-arg",
            &format!("BASE_IMAGE={base}"),
            "-t",
            &tag,
            &workspace.display().to_string(),
        ])
        .output()
        .expect("docker build");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(wait_record(&data, "dockerfile", "build", &tmux), "learner");
    tmux.wait_for(Duration::from_secs(10), |s| {
        s.contains("your image is built")
    })
    .unwrap_or_else(|s| panic!("no ✔ on screen:\n{s}"));
    // The next step, a check, ticks by itself on the learner's image.
    tmux.keys(&["n"]);
    assert_eq!(
        wait_record(&data, "dockerfile", "image-exists", &tmux),
        "learner"
    );
    tmux.wait_for(Duration::from_secs(10), |s| s.contains(&tag))
        .unwrap_or_else(|s| panic!("the learner's tag is not shown:\n{s}"));
    let screen = tmux.capture();
    assert!(screen.contains("✔"), "{screen}");
    tmux.keys(&["q", "q"]);
}

/// The confirmations the lessons promise are real: the long optional kernel
/// build's container asks y/N; n (any key but y) runs nothing, y runs it.
#[test]
fn a_step_that_asks_first_runs_only_after_y() {
    if !tmux::available() {
        return;
    }
    let Some(base) = support::standin_base() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let prefix = common::unique_name("tuiconfirm");
    let container = format!("{prefix}-kernel-build");
    let mut cleanup = common::Cleanup::new();
    cleanup.container(&container);
    let tmux = Tmux::layerlab(
        dir.path(),
        &data,
        &[("LAYERLAB_CONTAINER_PREFIX", &prefix)],
        &["--lang", "en", "--base-image", &base],
        120,
        40,
    );
    tmux.wait_connected(Duration::from_secs(20));
    // Home: lesson 6 (kernel) is five down; its step 15 starts the build container.
    tmux.keys(&["Down", "Down", "Down", "Down", "Down", "Enter"]);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("Step 1/"))
        .unwrap_or_else(|s| panic!("lesson 6 did not open:\n{s}"));
    for _ in 0..14 {
        tmux.keys(&["n"]);
    }
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("Step 15/"))
        .unwrap_or_else(|s| panic!("no step 15:\n{s}"));
    let exists = || {
        std::process::Command::new("docker")
            .args(["container", "inspect", &container])
            .output()
            .expect("docker")
            .status
            .success()
    };
    tmux.keys(&["d"]);
    tmux.wait_for(Duration::from_secs(5), |s| {
        s.contains("This step asks first")
    })
    .unwrap_or_else(|s| panic!("no question:\n{s}"));
    tmux.keys(&["n"]);
    tmux.wait_for(Duration::from_secs(5), |s| {
        s.contains("Not done: you said no.")
    })
    .unwrap_or_else(|s| panic!("no refusal:\n{s}"));
    std::thread::sleep(Duration::from_millis(500));
    assert!(!exists(), "n ran the step anyway");
    assert!(
        tmux.capture().contains("Step 15/"),
        "n moved on instead of saying no"
    );
    tmux.keys(&["d"]);
    tmux.wait_for(Duration::from_secs(5), |s| {
        s.contains("This step asks first")
    })
    .unwrap_or_else(|s| panic!("no question the second time:\n{s}"));
    tmux.keys(&["y"]);
    tmux.wait_for(Duration::from_secs(60), |s| {
        s.contains("✔ container running")
    })
    .unwrap_or_else(|s| panic!("y did not run it:\n{s}"));
    assert!(exists(), "y ran nothing");
    tmux.keys(&["q", "q"]);
}
