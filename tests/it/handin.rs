//! The hand-in against the real daemon and the harness registry: `check`
//! grades the learner's own image (recorded when they built it) and cannot
//! be passed by Enter; `report` then `verify` holds, and every edit of a
//! figure, the verdict or an answer — or a re-push of other content — makes
//! `verify` fail and say what. Images are built and pushed with the docker
//! CLI under this run's own tags, as a learner would. Needs the daemon, the
//! stand-in and the test registry (`scripts/test.sh`); CI=true fails
//! without them.

use std::path::Path;

use crate::common::{self, Cleanup};
use crate::homework::{build, docker_cli, lab, layerlab, own_assets, push};
use layerlab::progress::Progress;

const IMAGE_ANSWER: &str = "An image is a read-only stack of layers; a container adds its own writable layer and a process.";
const KERNEL_ANSWER: &str = "It can be built, since make runs as anywhere, but not booted: a container runs on the host's kernel.";

fn page(data: &Path) -> std::path::PathBuf {
    data.join("workspace/nginx-alpine/rootfs/var/www/localhost/htdocs/index.html")
}

#[tokio::test]
async fn check_grades_the_learners_own_image_from_template_to_pushed() {
    let Some(lab) = lab().await else { return };
    let mut cleanup = Cleanup::new();
    let data = tempfile::tempdir().expect("tempdir");
    let data = data.path().join("data");

    // No progress, no --image: nothing of the learner's to grade.
    let (code, stdout, stderr) = layerlab(&data, &["check", "--accept-base", &lab.base]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("--image REF"), "{stderr}");
    assert!(!stdout.contains("passes"), "{stdout}");

    // The learner builds through the lesson: the image is recorded.
    let image = format!("layerlab-test/{}:latest", common::unique_name("handin"));
    cleanup.image(&image);
    cleanup.image(&image.replace(":latest", "-naive:latest"));
    let (code, stdout, stderr) = layerlab(
        &data,
        &[
            "run",
            "dockerfile",
            "--yes",
            "--image",
            &image,
            "--base-image",
            &lab.base,
        ],
    );
    assert!(
        stdout.contains("✔ dockerfile/build"),
        "the build step ran (exit {code}):\n{stdout}{stderr}"
    );

    // The untouched template fails "own page", on the recorded image.
    let (code, stdout, _) = layerlab(&data, &["check", "--accept-base", &lab.base]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains(&format!("✔ image: {image}")), "{stdout}");
    let own = stdout
        .lines()
        .find(|l| l.contains("own page:"))
        .unwrap_or_else(|| panic!("no own page line:\n{stdout}"));
    assert!(
        own.starts_with('✘') && own.contains("YOUR NAME"),
        "{stdout}"
    );

    // Edit the page, rebuild with the docker CLI: all but the push pass,
    // and that is "not done yet", exit 1, with the command that finishes it.
    let text = std::fs::read_to_string(page(&data)).expect("the workspace page");
    std::fs::write(
        page(&data),
        text.replace("ВАШЕ ИМЯ / YOUR NAME", "Test Learner"),
    )
    .expect("edit the page");
    let context = data.join("workspace/nginx-alpine");
    docker_cli(&[
        "build",
        "-q",
        "--label",
        &format!("{}=handin", common::TEST_LABEL),
        "--build-arg",
        &format!("BASE_IMAGE={}", lab.base),
        "-t",
        &image,
        context.to_str().expect("utf-8"),
    ]);
    let (code, stdout, _) = layerlab(&data, &["check", "--accept-base", &lab.base]);
    assert_eq!(code, 1, "nothing pushed is not a pass:\n{stdout}");
    assert!(stdout.contains("✔ own page:"), "{stdout}");
    assert!(stdout.contains("– pushed:"), "{stdout}");
    assert!(
        stdout.contains("Not done yet") && stdout.contains("layerlab run push --registry"),
        "{stdout}"
    );
    let (_, json, _) = layerlab(&data, &["check", "--accept-base", &lab.base, "--json"]);
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(value["passed"], false);
    assert_eq!(value["verdict"], "not_done_yet");

    // Push with the docker CLI: now it passes.
    let reference = format!(
        "{}/{}/nginx-alpine:1.0",
        lab.registry,
        common::unique_name("handin")
    );
    cleanup.image(&reference);
    docker_cli(&["tag", &image, &reference]);
    docker_cli(&["push", &reference]);
    let (code, stdout, stderr) = layerlab(
        &data,
        &["check", "--accept-base", &lab.base, "--pushed", &reference],
    );
    // Image and push pass, but the two written answers are half of the
    // homework: not done yet, and check says where to write them.
    assert_eq!(code, 1, "no answers is not a pass:\n{stdout}{stderr}");
    assert!(
        stdout.contains("✘ written answers: 2 of 2 not written"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Not done yet: the image passes"),
        "{stdout}"
    );
    assert!(
        stdout.contains("lesson \"Image and container\""),
        "{stdout}"
    );
    let mut progress = Progress::open(&data.join("progress.json"))
        .expect("progress")
        .progress;
    progress
        .save_answer("image-container", "image_vs_container", IMAGE_ANSWER)
        .expect("save");
    progress
        .save_answer("kernel", "kernel_in_container", KERNEL_ANSWER)
        .expect("save");
    drop(progress);
    let (code, stdout, stderr) = layerlab(
        &data,
        &["check", "--accept-base", &lab.base, "--pushed", &reference],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("✔ written answers: all written (2)"),
        "{stdout}"
    );
    assert!(stdout.contains("The homework passes."), "{stdout}");
    assert!(
        stdout.contains("the offline stand-in for Alpine"),
        "the stand-in is named as one:\n{stdout}"
    );
}

/// A passing homework pushed to the test registry, with both answers saved,
/// and its report written: (data dir, report path, pushed reference).
async fn reported(
    lab: &crate::homework::Lab,
    cleanup: &mut Cleanup,
    name: &str,
) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let own = own_assets("Test Learner");
    let image = build(lab, cleanup, own.path(), "Dockerfile", name).await;
    let (reference, _) = push(lab, cleanup, &image, None).await;
    let data = tempfile::tempdir().expect("tempdir");
    let mut progress = Progress::open(&data.path().join("progress.json"))
        .expect("progress")
        .progress;
    progress
        .save_answer("image-container", "image_vs_container", IMAGE_ANSWER)
        .expect("save");
    progress
        .save_answer("kernel", "kernel_in_container", KERNEL_ANSWER)
        .expect("save");
    let out = data.path().join("REPORT.md");
    let (code, stdout, stderr) = layerlab(
        data.path(),
        &[
            "report",
            "--image",
            &image,
            "--pushed",
            &reference,
            "--accept-base",
            &lab.base,
            "--out",
            out.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    (data, out, reference)
}

fn verify(data: &Path, report: &Path) -> (i32, String) {
    let (code, stdout, stderr) = layerlab(data, &["verify", report.to_str().expect("utf-8")]);
    (code, format!("{stdout}{stderr}"))
}

/// Change the report at the first match of `from` and verify it.
fn tampered(data: &Path, report: &Path, from: &str, to: &str) -> (i32, String) {
    let text = std::fs::read_to_string(report).expect("the report");
    assert!(text.contains(from), "`{from}` not in the report:\n{text}");
    let edited = data.join("EDITED.md");
    std::fs::write(&edited, text.replacen(from, to, 1)).expect("write");
    verify(data, &edited)
}

#[tokio::test]
async fn report_then_verify_holds_and_a_changed_figure_is_named() {
    let Some(lab) = lab().await else { return };
    let mut cleanup = Cleanup::new();
    let (data, report, reference) = reported(&lab, &mut cleanup, "verify-figure").await;
    let text = std::fs::read_to_string(&report).expect("the report");
    assert!(text.contains("**Verdict: passed**"), "{text}");
    assert!(text.contains("| # | Instruction | Size | Added | Changed | Removed |"));
    assert!(text.contains("Author: Test Learner**"), "{text}");
    assert!(
        text.contains("| Dockerfile: building your own nginx › Make the page your own |"),
        "{text}"
    );
    assert!(
        text.contains(&format!("| Reference | `{reference}` |")),
        "{text}"
    );
    assert!(text.contains("a teacher cannot pull the image"), "{text}");
    assert!(
        text.contains("layerlab's offline stand-in for Alpine"),
        "{text}"
    );

    let (code, out) = verify(data.path(), &report);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains('✘') && !out.contains("– "), "{out}");
    assert!(
        out.contains("the page /var/www/localhost/htdocs/index.html"),
        "{out}"
    );
    assert!(
        out.contains("the page quoted in the report is the image's page"),
        "{out}"
    );

    // One digit of the size in bytes.
    let size = text
        .split(" MB (")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .expect("the size in bytes")
        .to_string();
    let last = size.chars().last().expect("a digit");
    let other = if last == '9' {
        '0'
    } else {
        char::from(last as u8 + 1)
    };
    let changed = format!("{}{other}", &size[..size.len() - 1]);
    let (code, out) = tampered(
        data.path(),
        &report,
        &format!(" MB ({size} "),
        &format!(" MB ({changed} "),
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("changed: «The image and its layers»"), "{out}");
}

#[tokio::test]
async fn a_changed_verdict_is_named() {
    let Some(lab) = lab().await else { return };
    let mut cleanup = Cleanup::new();
    let (data, report, _) = reported(&lab, &mut cleanup, "verify-verdict").await;
    let (code, out) = tampered(
        data.path(),
        &report,
        "**Verdict: passed**",
        "**Verdict: passed with distinction**",
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("changed: «The grader's verdict»"), "{out}");
}

#[tokio::test]
async fn a_changed_word_of_an_answer_is_named() {
    let Some(lab) = lab().await else { return };
    let mut cleanup = Cleanup::new();
    let (data, report, _) = reported(&lab, &mut cleanup, "verify-answer").await;
    let (code, out) = tampered(data.path(), &report, "read-only stack", "read-write stack");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "changed: «Answers to the questions › How does an image differ from a container?»"
        ),
        "{out}"
    );
    assert!(
        !out.contains("The image and its layers"),
        "only the answer: {out}"
    );
}

#[tokio::test]
async fn a_re_push_of_other_content_is_a_different_image() {
    let Some(lab) = lab().await else { return };
    let mut cleanup = Cleanup::new();
    let (data, report, reference) = reported(&lab, &mut cleanup, "verify-repush").await;
    let other = own_assets(&common::unique_name("Someone Else"));
    let image = build(
        &lab,
        &mut cleanup,
        other.path(),
        "Dockerfile",
        "verify-other",
    )
    .await;
    push(&lab, &mut cleanup, &image, Some(&reference)).await;
    let (code, out) = verify(data.path(), &report);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the registry now holds a different image under this reference"),
        "{out}"
    );
    assert!(
        out.contains("✔ the report's text is as layerlab report wrote it"),
        "the text itself was not edited:\n{out}"
    );
}

#[tokio::test]
async fn verify_reads_a_private_registry_with_the_docker_config_credentials() {
    let Some(lab) = lab().await else { return };
    let Some(auth) = crate::support::auth_registry() else {
        return;
    };
    let mut cleanup = Cleanup::new();
    let own = own_assets("Test Learner");
    let image = build(&lab, &mut cleanup, own.path(), "Dockerfile", "verify-auth").await;
    // A Docker config of this test's own: `docker login` writes it, and
    // layerlab reads the same file through DOCKER_CONFIG.
    let config = tempfile::tempdir().expect("tempdir");
    let config_dir = config.path().to_str().expect("utf-8");
    let login = std::process::Command::new("docker")
        .args([
            "--config",
            config_dir,
            "login",
            &auth.address,
            "-u",
            &auth.user,
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(auth.password.as_bytes())?;
            }
            child.wait()
        })
        .expect("docker login runs");
    assert!(login.success(), "docker login to the test registry");
    let reference = format!(
        "{}/{}/nginx-alpine:1.0",
        auth.address,
        common::unique_name("private")
    );
    cleanup.image(&reference);
    docker_cli(&["tag", &image, &reference]);
    docker_cli(&["--config", config_dir, "push", &reference]);

    let data = tempfile::tempdir().expect("tempdir");
    let out = data.path().join("REPORT.md");
    let with_config = [("DOCKER_CONFIG", config_dir)];
    let (code, stdout, stderr) = crate::homework::layerlab_with(
        data.path(),
        "en",
        &with_config,
        &[
            "report",
            "--image",
            &image,
            "--pushed",
            &reference,
            "--accept-base",
            &lab.base,
            "--out",
            out.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report = out.to_str().expect("utf-8");
    let (code, stdout, stderr) =
        crate::homework::layerlab_with(data.path(), "en", &with_config, &["verify", report]);
    assert_eq!(
        code, 0,
        "with the login, every claim holds:\n{stdout}{stderr}"
    );
    assert!(
        stdout.contains("✔ the registry holds the same image"),
        "{stdout}"
    );

    // Without it the registry refuses: the claims are unchecked, not "held".
    let empty = tempfile::tempdir().expect("tempdir");
    let (code, stdout, stderr) = crate::homework::layerlab_with(
        data.path(),
        "en",
        &[("DOCKER_CONFIG", empty.path().to_str().expect("utf-8"))],
        &["verify", report],
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("– the registry holds the same image"),
        "{stdout}"
    );
    assert!(!stdout.contains(&auth.password), "no credential is printed");
}

/// `grade`'s report column runs `verify` on each student's report: a true
/// report passes, an edited one fails naming what changed (issue 14's
/// "report matches" criterion).
#[tokio::test]
async fn grade_verifies_the_reports_in_a_roster() {
    let Some(lab) = lab().await else { return };
    let mut cleanup = Cleanup::new();
    let (data, report, reference) = reported(&lab, &mut cleanup, "grade-report").await;
    let text = std::fs::read_to_string(&report).expect("the report");
    let edited = data.path().join("EDITED.md");
    std::fs::write(
        &edited,
        text.replacen("read-only stack", "read-write stack", 1),
    )
    .expect("write");
    let roster = data.path().join("roster.csv");
    std::fs::write(
        &roster,
        format!(
            "student,image,report\nanna,{reference},{}\nboris,{reference},{}\n",
            report.display(),
            edited.display()
        ),
    )
    .expect("roster");
    let (code, stdout, stderr) = layerlab(
        data.path(),
        &[
            "grade",
            roster.to_str().expect("utf-8"),
            "--json",
            "--accept-base",
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let rows: serde_json::Value = serde_json::from_str(&stdout).expect("JSON rows");
    let report_of = |student: &str| {
        rows.as_array()
            .expect("a list")
            .iter()
            .find(|r| r["student"] == student)
            .and_then(|r| {
                r["criteria"]
                    .as_array()?
                    .iter()
                    .find(|c| c["id"] == "report")
                    .cloned()
            })
            .unwrap_or_else(|| panic!("{student}'s report criterion in {stdout}"))
    };
    let anna = report_of("anna");
    assert_eq!(anna["passed"], true, "{anna}");
    assert!(
        anna["reason"]
            .as_str()
            .is_some_and(|r| r.contains("verifies against the registry")),
        "{anna}"
    );
    let boris = report_of("boris");
    assert_eq!(boris["passed"], false, "{boris}");
    assert!(
        boris["reason"]
            .as_str()
            .is_some_and(|r| r.contains("changed")),
        "{boris}"
    );
}
