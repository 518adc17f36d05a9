//! The two written answers, as a new learner writes them: the real TUI in
//! tmux from an EMPTY data dir (no `answers/` folder), one answer through an
//! external editor that really writes the file, the other in the inline
//! editor; then `layerlab report` has both verbatim. And an editor that
//! fails: its own message is shown, and what it wrote is not lost.

use std::path::Path;
use std::time::Duration;

use crate::common::tmux::{self, Tmux};
use crate::homework::layerlab;
use crate::support;

const IMAGE_ANSWER: &str =
    "Образ — шаблон только для чтения; контейнер — образ плюс свой записываемый слой.";
const HINT: &str = "e in your own editor";

fn progress(data: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(data.join("progress.json")).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_default()
}

fn answer(data: &Path, lesson: &str, key: &str) -> Option<String> {
    progress(data)["lessons"][lesson]["answers"][key]
        .as_str()
        .map(str::to_string)
}

fn script(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).expect("write the editor");
    // Through `sh PATH`: no exec bit needed, and the path is quoted as a
    // shell would (the app splits $EDITOR with shell-words).
    format!("sh '{}'", path.display())
}

fn start(dir: &Path, data: &Path, editor: &str) -> Tmux {
    let tmux = Tmux::layerlab(
        dir,
        data,
        &[("EDITOR", editor), ("VISUAL", "")],
        &["--lang", "en"],
        100,
        32,
    );
    tmux.wait_for(Duration::from_secs(20), |s| s.contains("layerlab —"))
        .unwrap_or_else(|s| panic!("no home screen:\n{s}"));
    tmux
}

/// From home (lesson 1 selected), open lesson `down + 1` at its last step.
fn open_last_step(tmux: &Tmux, down: usize) {
    for _ in 0..down {
        tmux.keys(&["Down"]);
    }
    tmux.keys(&["Enter"]);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("Step 1/"))
        .unwrap_or_else(|s| panic!("the lesson did not open:\n{s}"));
    tmux.keys(&["G"]);
}

#[test]
fn both_answers_written_in_the_tui_from_an_empty_data_dir_reach_the_report() {
    if !tmux::available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    assert!(!data.exists(), "an empty data dir");
    // An editor that really writes the file: it appends the learner's words.
    let editor = script(
        dir.path(),
        "writing editor.sh",
        &format!("printf '%s\\n' '{IMAGE_ANSWER}' >> \"$1\"\n"),
    );
    let tmux = start(dir.path(), &data, &editor);

    // Lesson 2's last step is the answer: `e` runs the editor.
    open_last_step(&tmux, 1);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains(HINT))
        .unwrap_or_else(|s| panic!("not on the answer step:\n{s}"));
    tmux.keys(&["e"]);
    tmux.wait_for(Duration::from_secs(10), |s| s.contains("Answer saved"))
        .unwrap_or_else(|s| panic!("the editor's answer was not saved:\n{s}"));
    assert_eq!(
        answer(&data, "image-container", "image_vs_container").as_deref(),
        Some(IMAGE_ANSWER)
    );
    assert!(data.join("answers/image_vs_container.md").is_file());

    // Lesson 6's answer (one before its last step) in the inline editor.
    tmux.keys(&["q"]);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("layerlab —"))
        .unwrap_or_else(|s| panic!("no home screen:\n{s}"));
    open_last_step(&tmux, 4);
    tmux.keys(&["p"]);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains(HINT))
        .unwrap_or_else(|s| panic!("not on the kernel answer step:\n{s}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("Ctrl-S to save"))
        .unwrap_or_else(|s| panic!("the inline editor did not open:\n{s}"));
    tmux.keys(&["-l", "It can be built: make runs as anywhere."]);
    tmux.keys(&["Enter"]);
    tmux.keys(&[
        "-l",
        "It cannot be booted: containers share the host kernel.",
    ]);
    tmux.keys(&["C-s"]);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("Answer saved"))
        .unwrap_or_else(|s| panic!("the inline answer was not saved:\n{s}"));
    let kernel = "It can be built: make runs as anywhere.\nIt cannot be booted: containers share the host kernel.";
    assert_eq!(
        answer(&data, "kernel", "kernel_in_container").as_deref(),
        Some(kernel)
    );
    tmux.keys(&["q", "q"]);
    let _ = tmux.wait_for(Duration::from_secs(10), |s| !s.contains("layerlab —"));
    drop(tmux);

    // The report has both, verbatim (an image to report on: the stand-in).
    let Some(base) = support::standin_base() else {
        return;
    };
    let (code, stdout, stderr) = layerlab(
        &data,
        &[
            "report",
            "--image",
            &base,
            "--accept-base",
            &base,
            "--out",
            "-",
        ],
    );
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains(IMAGE_ANSWER), "{stdout}");
    assert!(stdout.contains(kernel), "{stdout}");
    assert!(!stdout.contains("No answer saved"), "{stdout}");
}

#[test]
fn a_failing_editor_shows_its_reason_and_loses_nothing() {
    if !tmux::available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let editor = script(
        dir.path(),
        "failing-editor.sh",
        "printf 'Half an answer' >> \"$1\"\necho \"E212: Can't open file for writing\" >&2\nexit 1\n",
    );
    let tmux = start(dir.path(), &data, &editor);
    open_last_step(&tmux, 1);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains(HINT))
        .unwrap_or_else(|s| panic!("not on the answer step:\n{s}"));
    tmux.keys(&["e"]);
    let screen = tmux
        .wait_for(Duration::from_secs(10), |s| s.contains("E212"))
        .map(|_| tmux.capture())
        .unwrap_or_else(|s| panic!("the editor's reason is not shown:\n{s}"));
    // Wrapped at the box's width: the words, not the line breaks.
    let flat = screen
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(flat.contains("exited with code 1: E212"), "{screen}");
    assert!(
        !screen.contains("write it in your own words"),
        "the learner is not blamed:\n{screen}"
    );
    assert!(screen.contains("What you typed is kept"), "{screen}");
    assert_eq!(answer(&data, "image-container", "image_vs_container"), None);

    // Enter: the inline editor opens with what the failed editor wrote.
    tmux.keys(&["Enter"]);
    tmux.wait_for(Duration::from_secs(5), |s| {
        s.contains("Ctrl-S to save") && s.contains("Half an answer")
    })
    .unwrap_or_else(|s| panic!("the draft is not in the inline editor:\n{s}"));
    tmux.keys(&["-l", ", finished here."]);
    tmux.keys(&["C-s"]);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("Answer saved"))
        .unwrap_or_else(|s| panic!("not saved:\n{s}"));
    assert_eq!(
        answer(&data, "image-container", "image_vs_container").as_deref(),
        Some("Half an answer, finished here.")
    );
    tmux.keys(&["q", "q"]);
}

#[test]
fn an_empty_inline_answer_is_refused_and_esc_keeps_the_draft() {
    if !tmux::available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let tmux = start(dir.path(), &data, "false");
    open_last_step(&tmux, 1);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains(HINT))
        .unwrap_or_else(|s| panic!("not on the answer step:\n{s}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("Ctrl-S to save"))
        .unwrap_or_else(|s| panic!("no inline editor:\n{s}"));
    tmux.keys(&["C-s"]);
    tmux.wait_for(Duration::from_secs(5), |s| {
        s.contains("The answer is empty")
    })
    .unwrap_or_else(|s| panic!("an empty answer was not refused:\n{s}"));
    tmux.keys(&["-l", "draft words"]);
    // The refusal may take the hint's line: wait for the words themselves
    // before Esc, or the check below can run before they were typed.
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("draft words"))
        .unwrap_or_else(|s| panic!("the typed words are not in the editor:\n{s}"));
    tmux.keys(&["Escape"]);
    tmux.wait_for(Duration::from_secs(5), |s| !s.contains("Ctrl-S to save"))
        .unwrap_or_else(|s| panic!("Esc did not close the editor:\n{s}"));
    assert_eq!(
        std::fs::read_to_string(data.join("answers/image_vs_container.md"))
            .expect("the draft file")
            .trim(),
        "draft words"
    );
    assert_eq!(answer(&data, "image-container", "image_vs_container"), None);
    tmux.keys(&["Enter"]);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("draft words"))
        .unwrap_or_else(|s| panic!("the draft did not come back:\n{s}"));
    tmux.keys(&["Escape", "q", "q"]);
}
