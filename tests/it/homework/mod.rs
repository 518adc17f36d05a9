//! Shared by `tests/it/grader.rs` and `tests/it/report.rs`: build homework images on
//! the offline stand-in with unique tags, push them to the test registry, and
//! run the `layerlab` binary with its own data dir.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use layerlab::docker::Docker;
use layerlab::docker::model::BuildSpec;
use tokio_util::sync::CancellationToken;

use crate::common::{self, Cleanup};
use crate::support;

pub struct Lab {
    pub docker: Docker,
    /// The stand-in for alpine:3.22.
    pub base: String,
    /// `127.0.0.1:PORT` of the plain test registry.
    pub registry: String,
}

/// Everything these tests need, or `None` after a loud SKIPPED (a panic with CI=true).
pub async fn lab() -> Option<Lab> {
    let docker = common::docker_or_skip().await?;
    let base = support::standin_base()?;
    let registry = support::test_registry()?;
    Some(Lab {
        docker,
        base,
        registry,
    })
}

/// The homework with its Dockerfile written (the reference solution): the
/// shipped template holds only TODO lines.
pub fn assets() -> PathBuf {
    support::solved_homework()
}

/// Build `dockerfile` in `context` FROM the stand-in under a unique tag
/// (registered for cleanup before the build starts). Returns the tag.
pub async fn build(
    lab: &Lab,
    cleanup: &mut Cleanup,
    context: &Path,
    dockerfile: &str,
    name: &str,
) -> String {
    let tag = format!("layerlab-test/{}:latest", common::unique_name(name));
    cleanup.image(&tag);
    let spec = BuildSpec {
        context_dir: context.to_path_buf(),
        dockerfile: Some(dockerfile.to_string()),
        tag: tag.clone(),
        build_args: BTreeMap::from([("BASE_IMAGE".to_string(), lab.base.clone())]),
        // One label for all: the builds share one image id and its cached
        // parents. A label per build would give each its own final image,
        // and removing one would prune parents a parallel build is using.
        labels: BTreeMap::from([(common::TEST_LABEL.to_string(), "grader".to_string())]),
        ..Default::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let built = tokio::time::timeout(
        Duration::from_secs(240),
        lab.docker
            .build_image(&spec, &tx, &CancellationToken::new()),
    )
    .await
    .unwrap_or_else(|_| panic!("building {tag}: no result within 240 s"))
    .unwrap_or_else(|e| panic!("building {tag}: {e}"));
    drop(tx);
    let _ = drain.await;
    assert!(!built.id.is_empty());
    tag
}

/// Tag `image` as `REGISTRY/<unique>/nginx-alpine:1.0` and push it. Returns
/// (the reference, the digest the registry reported).
pub async fn push(
    lab: &Lab,
    cleanup: &mut Cleanup,
    image: &str,
    reference: Option<&str>,
) -> (String, Option<String>) {
    let reference = reference.map(str::to_string).unwrap_or_else(|| {
        format!(
            "{}/{}/nginx-alpine:1.0",
            lab.registry,
            common::unique_name("grader")
        )
    });
    lab.docker
        .tag_image(image, &reference)
        .await
        .unwrap_or_else(|e| panic!("tag {image} {reference}: {e}"));
    cleanup.image(&reference);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let pushed = tokio::time::timeout(
        Duration::from_secs(120),
        lab.docker
            .push_image(&reference, None, &tx, &CancellationToken::new()),
    )
    .await
    .unwrap_or_else(|_| panic!("pushing {reference}: no result within 120 s"))
    .unwrap_or_else(|e| panic!("pushing {reference}: {e}"));
    drop(tx);
    let _ = drain.await;
    (reference, pushed.digest)
}

/// `layerlab --lang en ARGS` with `data_dir` as its data dir: (exit code, stdout, stderr).
pub fn layerlab(data_dir: &Path, args: &[&str]) -> (i32, String, String) {
    layerlab_in(data_dir, "en", args)
}

pub fn layerlab_in(data_dir: &Path, lang: &str, args: &[&str]) -> (i32, String, String) {
    layerlab_with(data_dir, lang, &[], args)
}

/// `layerlab_in` with extra environment variables.
pub fn layerlab_with(
    data_dir: &Path,
    lang: &str,
    env: &[(&str, &str)],
    args: &[&str],
) -> (i32, String, String) {
    let output = assert_cmd::Command::cargo_bin("layerlab")
        .expect("the layerlab binary")
        .arg("--lang")
        .arg(lang)
        .args(args)
        .envs(env.iter().copied())
        .env("LAYERLAB_DATA_DIR", data_dir)
        .timeout(Duration::from_secs(400))
        .output()
        .expect("layerlab runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The shipped homework files with the page made the learner's own: the
/// template's `ВАШЕ ИМЯ / YOUR NAME` replaced by `author`.
pub fn own_assets(author: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&assets(), dir.path());
    let page = dir
        .path()
        .join("rootfs/var/www/localhost/htdocs/index.html");
    let text = std::fs::read_to_string(&page).expect("the page");
    assert!(
        text.contains("ВАШЕ ИМЯ / YOUR NAME"),
        "the template changed"
    );
    std::fs::write(&page, text.replace("ВАШЕ ИМЯ / YOUR NAME", author)).expect("write");
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The docker CLI, as a learner types it (tests only: the product never
/// shells out). Panics with its output when it fails.
pub fn docker_cli(args: &[&str]) -> String {
    let output = std::process::Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI runs");
    assert!(
        output.status.success(),
        "docker {args:?}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
