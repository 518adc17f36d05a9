//! `layerlab quiz --list`: the teacher's view of the question bank.

use assert_cmd::Command;

const KINDS: &[&str] = &["single", "multiple", "free_text", "order"];

fn quiz_list(lang: &str) -> Vec<String> {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let output = Command::cargo_bin("layerlab")
        .expect("the layerlab binary")
        .args(["quiz", "--list", "--lang", lang])
        .env("LAYERLAB_DATA_DIR", data_dir.path())
        .output()
        .expect("layerlab runs");
    assert!(
        output.status.success(),
        "exit {:?}, stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn list_prints_one_line_per_question_with_its_kind() {
    let lines = quiz_list("en");
    assert!(lines.len() >= 15, "only {} lines: {lines:#?}", lines.len());
    let mut ids = std::collections::BTreeSet::new();
    for line in &lines {
        let mut fields = line.split_whitespace();
        let kind = fields.next().unwrap_or("");
        let id = fields.next().unwrap_or("");
        let prompt: Vec<&str> = fields.collect();
        assert!(KINDS.contains(&kind), "unknown kind in {line:?}");
        assert!(id.starts_with("q-"), "no question id in {line:?}");
        assert!(ids.insert(id.to_owned()), "{id} listed twice");
        assert!(!prompt.is_empty(), "no prompt in {line:?}");
    }
}

#[test]
fn list_follows_the_language() {
    let ru = quiz_list("ru");
    let en = quiz_list("en");
    assert_eq!(ru.len(), en.len());
    let cyrillic = |s: &str| s.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
    assert!(
        ru.iter().all(|l| cyrillic(l)),
        "a Russian prompt is missing"
    );
    assert!(
        !en.iter().any(|l| cyrillic(l)),
        "Russian in the English list"
    );
}

#[test]
fn without_list_it_points_to_the_app() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    Command::cargo_bin("layerlab")
        .expect("the layerlab binary")
        .args(["quiz", "--lang", "en"])
        .env("LAYERLAB_DATA_DIR", data_dir.path())
        .assert()
        .success()
        .stdout(predicates::str::contains("layerlab quiz --list"));
}
