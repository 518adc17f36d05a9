//! `layerlab validate` and `layerlab lessons` run as a learner or teacher
//! would run them. Each folder of `tests/fixtures/lessons/` (except
//! `valid-example`) is a small broken pack with an `expected.txt` next to it:
//! the exact stdout of `layerlab validate NAME`, run from that folder so the
//! paths read as a teacher would type them.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lessons")
}

fn layerlab(data_dir: &Path) -> Command {
    let mut command = Command::cargo_bin("layerlab").expect("the layerlab binary");
    command
        .env("LAYERLAB_DATA_DIR", data_dir)
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    command
}

fn malformed_fixtures() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .expect("tests/fixtures/lessons")
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "valid-example")
        .collect();
    names.sort();
    names
}

#[test]
fn every_malformed_pack_reports_exactly_its_expected_problems() {
    let data = tempfile::tempdir().unwrap();
    let names = malformed_fixtures();
    assert!(names.len() >= 10, "only {} malformed fixtures", names.len());
    let mut mismatches = Vec::new();
    for name in &names {
        let expected_file = fixtures().join(name).join("expected.txt");
        let expected = std::fs::read_to_string(&expected_file)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_file.display()));
        assert!(!expected.trim().is_empty(), "{name}: expected.txt is empty");
        let output = layerlab(data.path())
            .current_dir(fixtures())
            .args(["validate", name])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.code() != Some(1) {
            mismatches.push(format!(
                "{name}: exit code {:?}, expected 1\n{stdout}{stderr}",
                output.status.code()
            ));
        }
        if stdout != expected {
            mismatches.push(format!(
                "{name}: stdout differs\n--- expected\n{expected}--- actual\n{stdout}"
            ));
        }
        if !stderr.contains("is not valid") {
            mismatches.push(format!("{name}: stderr lacks the summary: {stderr}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn every_problem_line_has_file_line_col() {
    // A guard on the expected files themselves: each line is FILE:LINE:COL: message.
    for name in malformed_fixtures() {
        let expected =
            std::fs::read_to_string(fixtures().join(&name).join("expected.txt")).unwrap();
        for line in expected.lines() {
            let mut parts = line.splitn(4, ':');
            let file = parts.next().unwrap_or("");
            let line_no = parts.next().and_then(|l| l.parse::<usize>().ok());
            let col = parts.next().and_then(|c| c.parse::<usize>().ok());
            let message = parts.next().unwrap_or("");
            assert!(
                file.starts_with(&format!("{name}/"))
                    && line_no.is_some_and(|l| l >= 1)
                    && col.is_some_and(|c| c >= 1)
                    && message.starts_with(' ')
                    && message.len() > 5,
                "{name}: not FILE:LINE:COL: message: {line}"
            );
        }
    }
}

#[test]
fn one_run_reports_problems_in_several_files() {
    let expected = std::fs::read_to_string(fixtures().join("many-problems/expected.txt")).unwrap();
    let files: std::collections::BTreeSet<&str> = expected
        .lines()
        .filter_map(|line| line.split(':').next())
        .collect();
    assert!(files.len() >= 4, "{files:?}");
}

#[test]
fn the_valid_example_validates() {
    let data = tempfile::tempdir().unwrap();
    layerlab(data.path())
        .current_dir(fixtures())
        .args(["validate", "valid-example"])
        .assert()
        .success()
        .stdout("OK: 1 lessons, 16 steps\n")
        .stderr("");
}

#[test]
fn the_readme_example_is_the_valid_example() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/README.md"))
            .unwrap();
    let example = fixtures().join("valid-example");
    let mut compared = Vec::new();
    let marker = "<!-- valid-example/";
    let mut rest = readme.as_str();
    while let Some(start) = rest.find(marker) {
        let after = &rest[start + marker.len()..];
        let name_end = after.find(" -->").expect("marker closes with -->");
        let name = &after[..name_end];
        let fence_start = after.find("```").expect("a code block after the marker");
        let body_start = fence_start + after[fence_start..].find('\n').unwrap() + 1;
        let body_len = after[body_start..].find("\n```").expect("closing fence") + 1;
        let block = &after[body_start..body_start + body_len];
        let file = std::fs::read_to_string(example.join(name))
            .unwrap_or_else(|e| panic!("README shows valid-example/{name}: {e}"));
        assert_eq!(
            block, file,
            "README block for {name} differs from the fixture"
        );
        compared.push(name.to_string());
        rest = &after[body_start + body_len..];
    }
    let mut on_disk = Vec::new();
    collect_files(&example, &example, &mut on_disk);
    compared.sort();
    on_disk.sort();
    assert_eq!(
        compared, on_disk,
        "every file of valid-example is shown in the README"
    );
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_files(root, &path, out);
        } else {
            out.push(
                path.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
}

/// The lesson ids of the repo's `lessons/` as the files say, to compare
/// with what the binary lists (the pack is being written in parallel, so
/// nothing here names a lesson).
fn embedded_lesson_ids() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let manifest: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(dir.join("pack.yaml")).unwrap()).unwrap();
    manifest["lessons"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|file| {
            let lesson: serde_yaml::Value = serde_yaml::from_str(
                &std::fs::read_to_string(dir.join(file.as_str().unwrap())).unwrap(),
            )
            .unwrap();
            lesson["id"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn the_binary_alone_in_an_empty_folder_carries_the_pack() {
    let data = tempfile::tempdir().unwrap();
    let lonely = tempfile::tempdir().unwrap();
    let binary = lonely.path().join("layerlab");
    std::fs::copy(assert_cmd::cargo::cargo_bin("layerlab"), &binary).unwrap();
    let mut validate = Command::new(&binary);
    validate
        .current_dir(lonely.path())
        .env("LAYERLAB_DATA_DIR", data.path())
        .arg("validate");
    let output = validate.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.starts_with("OK: "), "{stdout}");

    let output = Command::new(&binary)
        .current_dir(lonely.path())
        .env("LAYERLAB_DATA_DIR", data.path())
        .args(["--lang", "en", "lessons"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let ids = embedded_lesson_ids();
    assert!(!ids.is_empty());
    for id in &ids {
        assert!(
            stdout
                .lines()
                .any(|line| line.starts_with(&format!("{id} "))),
            "{id} missing from:\n{stdout}"
        );
    }
    assert_eq!(stdout.lines().count(), ids.len() + 1, "{stdout}");
}

#[test]
fn lessons_shows_saved_progress_and_survives_a_corrupt_file() {
    let data = tempfile::tempdir().unwrap();
    let example = fixtures().join("valid-example");
    std::fs::write(
        data.path().join("progress.json"),
        r#"{"version": 1, "lessons": {"first-image": {"done": ["intro", "copy", "dockerfile", "kernel"], "started": "edit-page"}}}"#,
    )
    .unwrap();
    let run = || {
        layerlab(data.path())
            .args(["--lang", "en", "--lessons"])
            .arg(&example)
            .arg("lessons")
            .output()
            .unwrap()
    };
    let output = run();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    // 16 steps, one optional (kernel): counted apart, as on every screen.
    assert!(
        stdout.contains("first-image  Your own nginx image  15 + 1  3/15 done"),
        "{stdout}"
    );

    std::fs::write(data.path().join("progress.json"), "{ not json").unwrap();
    let output = run();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stderr}");
    assert!(stdout.contains("0/15 done"), "{stdout}");
    assert!(stderr.contains("progress.json.corrupt-"), "{stderr}");
    let aside: Vec<_> = std::fs::read_dir(data.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("progress.json.corrupt-")
        })
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(
        std::fs::read_to_string(aside[0].path()).unwrap(),
        "{ not json"
    );
}

#[test]
fn lessons_refuses_a_broken_pack_with_its_problems() {
    let data = tempfile::tempdir().unwrap();
    let output = layerlab(data.path())
        .current_dir(fixtures())
        .args(["--lessons", "duplicate-ids", "lessons"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("duplicate-ids/two.yaml:2:5: duplicate lesson id `same`"),
        "{stderr}"
    );
}

#[test]
fn validate_names_a_folder_that_does_not_exist() {
    let data = tempfile::tempdir().unwrap();
    let output = layerlab(data.path())
        .args(["validate", "/no/such/pack"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/no/such/pack"));
}
