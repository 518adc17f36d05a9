//! No control character from any input reaches the terminal through the
//! command line (issue 11, defect 11): a lesson title, an unknown key in
//! `validate`, a name in a crafted archive. They are shown escaped
//! (`\u{1b}`), so the reader still sees that something odd was there.

use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/lessons/valid-example"
);

fn layerlab(data_dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("layerlab").expect("binary built");
    cmd.env("LAYERLAB_DATA_DIR", data_dir)
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .timeout(Duration::from_secs(60));
    cmd
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn assert_no_controls(output: &std::process::Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let raw = text
        .chars()
        .find(|c| c.is_control() && *c != '\n' && *c != '\t');
    assert!(raw.is_none(), "raw {raw:?} reached the terminal: {text:?}");
    text
}

#[test]
fn a_hostile_lesson_title_and_key_are_shown_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pack = dir.path().join("pack");
    copy_dir(Path::new(FIXTURE), &pack);
    let lesson = pack.join("first-image.yaml");
    let text = std::fs::read_to_string(&lesson).expect("read");
    // YAML's double-quoted escapes: \e is ESC, \a is BEL.
    let hostile = text.replacen(
        "en: Your own nginx image",
        "en: \"Own\\e]0;pwned\\a\\e[2J\\e[32mALL OK\\e[0m\"",
        1,
    );
    assert_ne!(hostile, text, "the fixture's title moved");
    std::fs::write(&lesson, &hostile).expect("write");

    let out = layerlab(dir.path())
        .args(["lessons", "--lessons"])
        .arg(&pack)
        .output()
        .expect("runs");
    let shown = assert_no_controls(&out);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("Own\\u{1b}]0;pwned\\u{7}"), "{shown}");

    // An unknown key quoted by `validate`.
    std::fs::write(&lesson, format!("\"bad\\e[2Jkey\": 1\n{hostile}")).expect("write");
    let out = layerlab(dir.path())
        .arg("validate")
        .arg(&pack)
        .output()
        .expect("runs");
    let shown = assert_no_controls(&out);
    assert!(!out.status.success(), "{shown}");
    assert!(shown.contains("bad\\u{1b}[2Jkey"), "{shown}");
}

#[test]
fn a_crafted_archive_name_in_an_error_is_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("evil.tar");
    let manifest = serde_json::json!([{
        "Config": "\u{1b}]0;pwned\u{7}\u{1b}[2J.json",
        "RepoTags": ["evil:1"],
        "Layers": [],
    }])
    .to_string();
    let mut builder = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mode(0o644);
    h.set_size(manifest.len() as u64);
    builder
        .append_data(&mut h, "manifest.json", manifest.as_bytes())
        .expect("append");
    std::fs::write(&archive, builder.into_inner().expect("tar")).expect("write");
    let out = layerlab(dir.path())
        .args(["layers", "--json", "--archive"])
        .arg(&archive)
        .output()
        .expect("runs");
    let shown = assert_no_controls(&out);
    assert!(!out.status.success(), "{shown}");
    assert!(
        shown.contains("\\u{1b}"),
        "the name is shown, escaped: {shown}"
    );
}

/// Issue 11, defect 13: a password in `DOCKER_HOST=tcp://user:pw@…` was
/// printed three times and logged.
#[test]
fn a_password_in_docker_host_is_in_no_output_and_no_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = layerlab(dir.path())
        .env("DOCKER_HOST", "tcp://anna:s3cret-pw@127.0.0.1:1")
        .args(["--log-level", "trace", "doctor"])
        .output()
        .expect("runs");
    let shown = assert_no_controls(&out);
    assert!(!out.status.success(), "nothing listens on port 1: {shown}");
    assert!(shown.contains("tcp://anna:***@127.0.0.1:1"), "{shown}");
    assert!(!shown.contains("s3cret"), "{shown}");
    let mut logged = String::new();
    for entry in std::fs::read_dir(dir.path().join("logs")).expect("a log dir") {
        logged.push_str(&std::fs::read_to_string(entry.expect("entry").path()).unwrap_or_default());
    }
    assert!(!logged.is_empty(), "something was logged");
    assert!(!logged.contains("s3cret"), "{logged}");
}
