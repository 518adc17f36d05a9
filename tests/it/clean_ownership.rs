//! `layerlab clean` removes only what layerlab created (issue 11, defect 3):
//! a container the learner starts with the plain docker CLI from a lesson
//! image, and an image they build `FROM` one, inherit
//! `layerlab.managed=true` from the image's config and must survive.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::{Cleanup, TEST_LABEL, busybox_image, docker_or_skip, missing, unique_name};
use layerlab::docker::owned::OwnedLog;
use layerlab::docker::{CleanOptions, DockerError, KeptReason, RunSpec, short_id};

/// The docker CLI, as the learner types it (the product never runs it).
fn docker_cli(args: &[&str], stdin: Option<&str>) -> Option<std::process::Output> {
    use std::io::Write;
    let mut cmd = std::process::Command::new("docker");
    cmd.args(args)
        .env("DOCKER_BUILDKIT", "0")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            missing("the docker CLI", &e.to_string());
            return None;
        }
    };
    if let Some(text) = stdin
        && let Some(mut input) = child.stdin.take()
    {
        input.write_all(text.as_bytes()).expect("stdin");
    }
    drop(child.stdin.take());
    Some(child.wait_with_output().expect("docker CLI ran"))
}

fn ok(out: std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn clean_keeps_the_learners_container_volume_and_child_image() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let base = busybox_image(&docker).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    // The product's client, recording what it creates in this test's data dir.
    let product = docker
        .clone()
        .with_owned_log(Some(OwnedLog::new(data_dir.join("owned.jsonl"))));
    let scope = unique_name("clean-own");
    let scoped = [(TEST_LABEL, scope.as_str())];
    let labels = BTreeMap::from([(TEST_LABEL.to_string(), scope.clone())]);
    let mut cleanup = Cleanup::new();

    // What layerlab makes: a container and a lesson image committed from it.
    let ours = product
        .run_container(&RunSpec {
            image: base.clone(),
            name: Some(unique_name("layerlab-test-own")),
            cmd: Some(vec!["sleep".into(), "600".into()]),
            labels: labels.clone(),
            ..Default::default()
        })
        .await
        .expect("runs");
    cleanup.container(&ours.id);
    let lesson_image = format!("{}:1", unique_name("layerlab-test/lesson-img"));
    product
        .commit_container(&ours.id, Some(&lesson_image), &labels)
        .await
        .expect("commit");
    cleanup.image(&lesson_image);

    // What the learner makes with the docker CLI from the lesson image:
    // a container with data in an anonymous volume, and a child image.
    let learners_name = unique_name("learner-container");
    let Some(out) = docker_cli(
        &[
            "run",
            "-d",
            "--name",
            &learners_name,
            "-v",
            "/keep",
            &lesson_image,
            "sh",
            "-c",
            "echo learner-data > /keep/file && sleep 600",
        ],
        None,
    ) else {
        return;
    };
    let learners_id = ok(out, "docker run");
    cleanup.container(&learners_id);
    let read_data = || {
        docker_cli(&["exec", &learners_name, "cat", "/keep/file"], None)
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let mut attempts = 0;
    while read_data() != "learner-data" && attempts < 50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        attempts += 1;
    }
    assert_eq!(read_data(), "learner-data");
    // The label really is inherited: the old label-based clean took it.
    let inherited = docker
        .inspect_container(&learners_id)
        .await
        .expect("inspect");
    assert_eq!(inherited.name, learners_name);
    let child_image = format!("{}:1", unique_name("layerlab-test/learner-child"));
    let dockerfile = format!("FROM {lesson_image}\nRUN echo child > /child.txt\n");
    let out = docker_cli(&["build", "-q", "-t", &child_image, "-"], Some(&dockerfile))
        .expect("docker CLI present");
    ok(out, "docker build");
    cleanup.image(&child_image);
    let child = docker
        .inspect_image(&child_image)
        .await
        .expect("inspect")
        .expect("built");
    assert_eq!(
        child.labels.get("layerlab.managed").map(String::as_str),
        Some("true"),
        "the child inherits the label"
    );

    // --dry-run lists, removes nothing; a base ref is kept.
    let dry = product
        .clean_owned(&CleanOptions {
            extra: &scoped,
            dry_run: true,
            ..Default::default()
        })
        .await
        .expect("dry run");
    assert!(dry.dry_run);
    assert_eq!(
        dry.containers,
        vec![(short_id(&ours.id), ours.name.clone())]
    );
    assert!(
        dry.images
            .iter()
            .any(|(_, tags)| tags == &vec![lesson_image.clone()]),
        "{dry:?}"
    );
    assert!(
        docker.inspect_container(&ours.id).await.is_ok(),
        "dry run removed nothing"
    );
    let as_base = product
        .clean_owned(&CleanOptions {
            extra: &scoped,
            dry_run: true,
            base_refs: vec![lesson_image.clone()],
            ..Default::default()
        })
        .await
        .expect("dry run");
    assert!(
        as_base
            .kept
            .iter()
            .any(|(what, why)| what.contains(&lesson_image) && *why == KeptReason::BaseImage),
        "{as_base:?}"
    );

    let report = product
        .clean_owned(&CleanOptions {
            extra: &scoped,
            ..Default::default()
        })
        .await
        .expect("clean");
    assert_eq!(
        report.containers,
        vec![(short_id(&ours.id), ours.name.clone())]
    );
    assert!(matches!(
        docker.inspect_container(&ours.id).await,
        Err(DockerError::ContainerNotFound { .. })
    ));
    // The learner's container, its volume's data and their child image stay,
    // and the report says why.
    assert!(
        report
            .kept
            .iter()
            .any(|(what, why)| what.contains(&learners_name)
                && *why == KeptReason::NotCreatedByLayerlab),
        "{report:?}"
    );
    assert!(
        report
            .kept
            .iter()
            .any(|(what, why)| what.contains(&child_image)
                && *why == KeptReason::NotCreatedByLayerlab),
        "{report:?}"
    );
    assert_eq!(read_data(), "learner-data");
    assert!(
        docker
            .inspect_image(&child_image)
            .await
            .expect("ok")
            .is_some()
    );

    // The command line says the same, in words.
    let out = assert_cmd::Command::cargo_bin("layerlab")
        .expect("binary")
        .args(["clean", "--dry-run"])
        .env("LAYERLAB_DATA_DIR", &data_dir)
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .timeout(Duration::from_secs(60))
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().any(|l| l.starts_with("kept")
            && l.contains(&learners_name)
            && l.contains("not created by layerlab")),
        "{text}"
    );
    assert!(docker.inspect_container(&learners_id).await.is_ok());
}
