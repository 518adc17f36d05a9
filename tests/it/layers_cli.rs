//! `layerlab layers --archive` as a user runs it: JSON, --ci verdicts and
//! exit codes, the summary table, and a broken archive.

use crate::layers_support::*;
use assert_cmd::Command;
use layerlab::layers::Report;

fn write_archive(spec: &ArchiveSpec) -> tempfile::NamedTempFile {
    let file = tempfile::Builder::new().suffix(".tar").tempfile().unwrap();
    std::fs::write(file.path(), archive(spec)).unwrap();
    file
}

/// Layer 1 rewrites a 6000-byte file and deletes a 4000-byte one: 10000 of
/// 16002 stored bytes are wasted.
fn wasteful() -> ArchiveSpec {
    let mut spec = ArchiveSpec::new(
        Shape::Oci,
        vec![
            Layer::new(
                "ADD rootfs /",
                vec![
                    file_n("big.bin", 6000),
                    file_n("cache/tmp.bin", 4000),
                    file("keep", "k"),
                ],
            ),
            Layer::new(
                "RUN rewrite && rm -rf /cache # buildkit",
                vec![file_n("big.bin", 6001), whiteout("cache")],
            ),
        ],
    );
    spec.metadata_last = true;
    spec
}

fn layerlab() -> Command {
    let mut cmd = Command::cargo_bin("layerlab").unwrap();
    cmd.env(
        "LAYERLAB_DATA_DIR",
        std::env::temp_dir().join("layerlab-cli-test"),
    )
    .env("LANG", "C");
    cmd
}

#[test]
fn json_output_is_the_report() {
    let spec = wasteful();
    let file = write_archive(&spec);
    let out = layerlab()
        .args(["layers", "--archive"])
        .arg(file.path())
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    let m = model(&spec.layers);
    assert_eq!(report.total_file_bytes, m.total_file_bytes);
    assert_eq!(report.total_file_bytes, 16002);
    assert_eq!(report.visible_file_bytes, 6002);
    assert_eq!(report.wasted_bytes, 10000);
    assert_eq!(report.visible_files, 2);
    assert_eq!(
        (
            report.layers[1].added,
            report.layers[1].modified,
            report.layers[1].removed
        ),
        (0, 1, 1)
    );
    assert_eq!(
        report.layers[1].created_by,
        "RUN rewrite && rm -rf /cache # buildkit"
    );
    let name = file
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(report.image.reference, name);
    // field names are a contract
    let raw: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "image",
        "layers",
        "total_file_bytes",
        "visible_file_bytes",
        "visible_files",
        "wasted_bytes",
        "efficiency",
    ] {
        assert!(raw.get(key).is_some(), "missing {key}");
    }
    for key in ["ref", "id", "layer_count"] {
        assert!(raw["image"].get(key).is_some(), "missing image.{key}");
    }
    for key in [
        "index",
        "digest",
        "size_bytes",
        "created_by",
        "added",
        "modified",
        "removed",
        "entries",
    ] {
        assert!(
            raw["layers"][0].get(key).is_some(),
            "missing layers[].{key}"
        );
    }
}

#[test]
fn ci_rules_pass_fail_and_exit_codes() {
    let file = write_archive(&wasteful());
    // efficiency is 6002/16002 = 0.375
    let out = layerlab()
        .args([
            "layers",
            "--ci",
            "--min-efficiency",
            "0.3",
            "--max-wasted-bytes",
            "10000",
            "--archive",
        ])
        .arg(file.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("PASS efficiency 0.3751 >= 0.3000"),
        "{stdout}"
    );
    assert!(stdout.contains("PASS wasted bytes 10000"), "{stdout}");

    let out = layerlab()
        .args(["layers", "--ci", "--max-wasted-bytes", "9999", "--archive"])
        .arg(file.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(
        stdout.lines().count(),
        1,
        "only the rule given is checked: {stdout}"
    );
    assert!(stdout.starts_with("FAIL wasted bytes 10000"), "{stdout}");

    // default rules: efficiency >= 0.90 fails here, wasted <= 100 MiB passes
    let out = layerlab()
        .args(["layers", "--ci", "--archive"])
        .arg(file.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL efficiency 0.3751 < 0.9000"),
        "{stdout}"
    );
    assert!(stdout.contains("PASS wasted bytes 10000"), "{stdout}");

    // --lang ru: the verdicts are Russian words (the exit code is the same)
    let out = layerlab()
        .args(["--lang", "ru", "layers", "--ci", "--archive"])
        .arg(file.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("НАРУШЕНО эффективность 0.3751 < 0.9000"),
        "{stdout}"
    );
    assert!(stdout.contains("ВЫПОЛНЕНО впустую байт 10000"), "{stdout}");
    assert!(
        !stdout.contains("PASS") && !stdout.contains("FAIL"),
        "{stdout}"
    );

    // --json with --ci: JSON alone on stdout, verdicts on stderr
    let out = layerlab()
        .args([
            "layers",
            "--json",
            "--ci",
            "--min-efficiency",
            "0.5",
            "--archive",
        ])
        .arg(file.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let _: Report = serde_json::from_slice(&out.stdout).expect("stdout is only JSON");
    assert!(String::from_utf8_lossy(&out.stderr).contains("FAIL efficiency"));
}

#[test]
fn summary_table_without_flags() {
    let file = write_archive(&wasteful());
    let out = layerlab()
        .args(["layers", "--archive"])
        .arg(file.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2 + 2 + 1, "{stdout}");
    assert!(lines[1].contains("CREATED BY"));
    assert!(
        lines[3].contains("RUN rewrite && rm -rf /cache"),
        "{stdout}"
    );
    assert!(lines[4].contains("efficiency: 37.51 %"), "{stdout}");
}

/// `layerlab layers --json --archive F` (plus `extra`) on an archive whose
/// second layer blob is missing: (the missing member, the archive, the output).
fn run_without_a_layer_blob(
    extra: &[&str],
) -> (String, tempfile::NamedTempFile, std::process::Output) {
    let spec = wasteful();
    let mut m = members(&spec);
    let blob = format!("blobs/sha256/{}", &sha256(&spec.layers[1].blob())[7..]);
    m.remove(&blob);
    let file = tempfile::Builder::new().suffix(".tar").tempfile().unwrap();
    std::fs::write(file.path(), m.tar()).unwrap();
    let out = layerlab()
        .arg("layers")
        .args(extra)
        .args(["--json", "--archive"])
        .arg(file.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    (blob, file, out)
}

#[test]
fn broken_archive_exits_1_naming_the_entry() {
    let (blob, _file, out) = run_without_a_layer_blob(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&blob), "{stderr}");
    assert!(stderr.contains("not in the archive"), "{stderr}");
}

#[test]
fn broken_archive_in_russian_names_the_entry() {
    let (blob, file, out) = run_without_a_layer_blob(&["--lang", "ru"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "не удаётся проанализировать {}: {blob}: на него ссылается ",
            file.path().display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(", но в архиве его нет (архив обрезан или сохранён не полностью?)"),
        "{stderr}"
    );
    assert!(!stderr.contains("not in the archive"), "{stderr}");
}

#[test]
fn without_a_daemon_it_names_the_endpoint_and_points_to_archive_in_russian() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("no-daemon.sock");
    let out = layerlab()
        .args(["layers", "--lang", "ru", "some/image:1"])
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .env_remove("DOCKER_CONTEXT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&socket.display().to_string()), "{stderr}");
    assert!(
        stderr.contains("Без демона: проанализируйте архив `docker save` с помощью --archive ФАЙЛ"),
        "{stderr}"
    );
    assert!(!stderr.contains("Without a daemon"), "{stderr}");
}
