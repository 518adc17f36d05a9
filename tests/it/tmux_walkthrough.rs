//! The homework as a person does it: the real TUI in tmux, driven with
//! keystrokes only, through lesson 3 (copy the template, edit the page, build)
//! and lesson 4 (run with a published port, fetch the page, a log volume),
//! until the student's page is on screen; then two quiz answers and the score.
//! The daemon is shared, so the image name and container names are unique to
//! this run and everything it made is removed by name at the end.

use crate::{common, support};

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::tmux::{self, Tmux};

/// A line only the served page has (the lesson texts quote its title, not this).
const PAGE_MARKER: &str = "Author: ВАШЕ ИМЯ";

fn progress(data: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(data.join("progress.json")).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_default()
}

fn done(data: &Path, lesson: &str) -> Vec<String> {
    progress(data)["lessons"][lesson]["done"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Press Enter through the open lesson until every listed step is done:
/// `d` (do it for me) reads a prose step, does an action or a check, and after a success
/// moves on; a screen a step opens (the layer explorer) is left with `q`.
fn work_through(tmux: &Tmux, data: &Path, lesson: &str, steps: &[&str], seen: &mut String) {
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let finished = done(data, lesson);
        if steps.iter().all(|s| finished.iter().any(|d| d == s)) {
            return;
        }
        let screen = tmux.capture();
        seen.push_str(&screen);
        assert!(
            Instant::now() < deadline,
            "lesson {lesson} stalled; done {finished:?}; screen:\n{screen}"
        );
        assert!(
            !screen.contains("✘ "),
            "a step failed in lesson {lesson}:\n{screen}"
        );
        if screen.contains("running (Esc") {
            std::thread::sleep(Duration::from_millis(200));
            continue;
        }
        if screen.contains("┌ Layers ") {
            tmux.keys(&["q"]);
        } else {
            tmux.keys(&["d"]);
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn lessons_3_and_4_by_keystrokes_end_with_the_students_page_on_screen() {
    if !tmux::available() {
        return;
    }
    let Some(base) = support::standin_base() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let image = format!("layerlab-test/walk-{}:latest", common::unique_name("tui"));
    let prefix = common::unique_name("lltui");
    // Images go by tag, without pruning the build cache other tests share.
    let mut cleanup = common::Cleanup::new();
    cleanup.image(&image);
    cleanup.image(&image.replace(":latest", "-naive:latest"));
    std::fs::write(
        data.join("config.json"),
        serde_json::json!({ "image": image }).to_string(),
    )
    .expect("config");
    let tmux = Tmux::layerlab(
        dir.path(),
        &data,
        &[
            ("LAYERLAB_CONTAINER_PREFIX", &prefix),
            // The edit step opens $EDITOR; `true` stands for a learner who saves as is.
            ("EDITOR", "true"),
            ("VISUAL", ""),
        ],
        &["--lang", "en", "--base-image", &base],
        100,
        32,
    );
    tmux.wait_connected(Duration::from_secs(20));

    let mut seen = String::new();
    // Home: lesson 3 is two down.
    tmux.keys(&["Down", "Down", "Enter"]);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("Step 1/"))
        .unwrap_or_else(|s| panic!("lesson 3 did not open:\n{s}"));
    work_through(
        &tmux,
        &data,
        "dockerfile",
        &[
            "copy-assets",
            "edit-page",
            "build",
            "image-exists",
            "layer-count",
        ],
        &mut seen,
    );

    // Back home, lesson 4.
    tmux.keys(&["q"]);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("layerlab —"))
        .unwrap_or_else(|s| panic!("no home screen:\n{s}"));
    tmux.keys(&["Down", "Enter"]);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("Step 1/"))
        .unwrap_or_else(|s| panic!("lesson 4 did not open:\n{s}"));
    let lesson4 = layerlab::lesson::loader::Pack::embedded().expect("pack");
    let run_steps: Vec<&str> = lesson4
        .lesson("run")
        .expect("lesson run")
        .steps
        .iter()
        .filter(|s| !s.optional)
        .map(|s| s.id.as_str())
        .collect();
    work_through(&tmux, &data, "run", &run_steps, &mut seen);
    assert!(
        seen.contains(PAGE_MARKER),
        "the student's page was never on screen"
    );
    // The lesson's text names nginx's default page; its HTML must never show.
    assert!(
        !seen.contains("<title>Welcome to nginx"),
        "nginx's default page was shown"
    );

    // The quiz: answer two questions, see the score move.
    tmux.keys(&["q"]);
    tmux.keys(&["z"]);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("Question 1/"))
        .unwrap_or_else(|s| panic!("the quiz did not open:\n{s}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for(Duration::from_secs(5), |s| {
        s.contains("Right") || s.contains("Wrong") || s.contains("Partly")
    })
    .unwrap_or_else(|s| panic!("no verdict after answering:\n{s}"));
    tmux.keys(&["Enter", "Enter"]);
    let screen = tmux
        .wait_for(Duration::from_secs(5), |s| {
            s.contains("Question 2/")
                && (s.contains("Right") || s.contains("Wrong") || s.contains("Partly"))
        })
        .map(|_| tmux.capture())
        .unwrap_or_else(|s| panic!("the second answer was not scored:\n{s}"));
    assert!(screen.contains("Score:"), "no score line:\n{screen}");
    let answered = progress(&data)["quiz"]["answers"]
        .as_array()
        .map_or(0, |a| a.iter().filter(|x| !x["answer"].is_null()).count());
    assert_eq!(answered, 2, "two answers saved in the progress file");

    tmux.keys(&["q", "q"]);
    let _ = tmux.wait_for(Duration::from_secs(10), |s| !s.contains("layerlab —"));
    drop(tmux);
    // Tidy up what this run made, by its unique names only.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let left = runtime.block_on(async {
        let docker = layerlab::docker::Docker::connect_default()
            .await
            .expect("daemon");
        let mut left = Vec::new();
        for name in ["web", "web-logs"] {
            let name = format!("{prefix}-{name}");
            if docker.inspect_container(&name).await.is_ok() {
                left.push(name.clone());
                let _ = docker.remove_container(&name).await;
            }
        }
        left
    });
    drop(cleanup);
    assert!(left.is_empty(), "lesson 4 left containers behind: {left:?}");
}
