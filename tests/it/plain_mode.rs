//! `layerlab --plain`: lesson 1 completed through standard input alone, as
//! a screen-reader user would, with no escape sequence on standard output.

use crate::{common, support};

use std::io::Write as _;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_layerlab");

#[tokio::test]
async fn plain_mode_completes_lesson_1_through_stdin() {
    if common::docker_or_skip().await.is_none() {
        return;
    }
    let Some(base) = support::standin_base() else {
        return;
    };
    let data = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(BIN)
        .env("LAYERLAB_DATA_DIR", data.path())
        .env("TERM", "dumb")
        .args(["--lang", "en", "--base-image", &base])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start layerlab");
    // Lesson 1, then Enter: a prose step is read and left; an action or a
    // check runs on the first Enter and is left on the second.
    let mut input = String::from("1\n");
    let pack = layerlab::lesson::loader::Pack::embedded().expect("pack");
    let lesson = pack.lesson("environment").expect("lesson 1");
    for step in lesson.steps.iter().filter(|s| !s.optional) {
        input.push('\n');
        if layerlab::runner::needs_daemon(step) {
            input.push('\n');
        }
    }
    input.push_str("q\nq\n");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("type");
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("layerlab ran");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "exit {:?}; stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !stdout.contains('\u{1b}'),
        "no escape sequence in plain mode:\n{stdout}"
    );
    assert!(
        stdout.contains("1. Your environment"),
        "a numbered menu:\n{stdout}"
    );
    assert!(stdout.contains("OK: Docker is ready"), "{stdout}");
    assert!(
        stdout.contains("Lesson done. Next: “Image and container”"),
        "{stdout}"
    );
    let progress: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.path().join("progress.json")).expect("progress saved"),
    )
    .expect("progress JSON");
    let done = progress["lessons"]["environment"]["done"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for step in lesson.steps.iter().filter(|s| !s.optional) {
        assert!(
            done.iter().any(|d| d == step.id.as_str()),
            "{} not done; progress: {progress}",
            step.id
        );
    }
}

#[test]
fn plain_mode_answers_a_quiz_question_on_the_line() {
    let data = tempfile::tempdir().expect("tempdir");
    let pack = layerlab::lesson::loader::Pack::embedded().expect("pack");
    let quiz = pack
        .lessons
        .iter()
        .position(|l| l.id == layerlab::quiz::bank::QUIZ_LESSON_ID)
        .expect("the quiz lesson");
    let mut child = Command::new(BIN)
        .env("LAYERLAB_DATA_DIR", data.path())
        .env("DOCKER_HOST", "unix:///nonexistent/layerlab-test.sock")
        .args(["--lang", "ru", "--plain"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start layerlab");
    // Something not understood first, then option 1.
    let input = format!("{}\nнепонятно\n1\nq\nq\n", quiz + 1);
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("type");
    let out = child.wait_with_output().expect("layerlab ran");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("Вопрос 1/"), "{stdout}");
    assert!(stdout.contains("Ответ не понят"), "{stdout}");
    assert!(
        ["Верно (", "Неверно (", "Частично верно ("]
            .iter()
            .any(|w| stdout.contains(w)),
        "the verdict is a word: {stdout}"
    );
    assert!(
        stdout.contains("Счёт: 1,0 из") || stdout.contains("Счёт: 0,0 из"),
        "{stdout}"
    );
    assert!(!stdout.contains('\u{1b}'), "no escape sequence: {stdout}");
    let saved = std::fs::read_to_string(data.path().join("progress.json")).expect("saved");
    assert!(
        saved.contains("\"answers\""),
        "the answer is saved: {saved}"
    );
}
