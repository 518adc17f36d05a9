//! The current engine behaves like the students' engines, and layerlab copes
//! with what it makes. These run in the second pass of `scripts/test.sh`,
//! against the engine `scripts/engine-current.sh` starts (Docker 28.x with the
//! containerd image store): images built by the real `docker build` (BuildKit,
//! with a provenance attestation), pushed by the real `docker push` (an image
//! index holding an attestation manifest), and written by the real
//! `docker save` (the OCI layout). On the classic engine they say so and stop.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common::engine::{self, EngineKind};
use crate::common::{self, Cleanup};
use crate::homework::{layerlab, own_assets};
use crate::support;

/// `docker ARGS` as a learner types it (the CLI of this machine; DOCKER_HOST
/// and DOCKER_CONFIG from the environment, so the second engine and its buildx
/// plugin in that pass). Bounded: a stuck CLI fails the test, not the run.
fn docker(args: &[&str]) -> (bool, String, String) {
    let mut child = Command::new("docker")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("docker {args:?}: {e}"));
    let deadline = std::time::Instant::now() + Duration::from_secs(240);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("docker {args:?}: no result within 240 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn docker_ok(args: &[&str]) -> String {
    let (ok, stdout, stderr) = docker(args);
    assert!(ok, "docker {args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

/// The layer diff_ids the engine itself reports for `image`.
fn engine_layers(image: &str) -> Vec<String> {
    let json = docker_ok(&[
        "image",
        "inspect",
        "--format",
        "{{json .RootFS.Layers}}",
        image,
    ]);
    serde_json::from_str(json.trim()).expect("RootFS.Layers is JSON")
}

fn report_layers(report: &serde_json::Value) -> Vec<String> {
    report["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["digest"].as_str().expect("digest").to_string())
        .collect()
}

#[tokio::test]
async fn the_engine_uses_the_containerd_image_store_and_buildkit() {
    let Some(docker) = common::docker_or_skip().await else {
        return;
    };
    if !engine::require(&docker, EngineKind::ContainerdSnapshotter).await {
        return;
    }
    // What `docker info` says, as a learner would see it.
    let status = docker_ok(&["info", "--format", "{{json .DriverStatus}}"]);
    assert!(
        status.contains("io.containerd.snapshotter"),
        "DriverStatus: {status}"
    );
    let version = docker_ok(&["version", "--format", "{{.Server.Version}}"]);
    let major: u32 = version
        .trim()
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or_else(|| panic!("server version {version:?}"));
    assert!(major >= 25, "a current engine, got {version}");
    // `docker build` is BuildKit: the buildx plugin answers.
    let buildx = docker_ok(&["buildx", "version"]);
    assert!(buildx.contains("buildx"), "{buildx}");
    // And layerlab's doctor names the store the student has.
    let data = tempfile::tempdir().expect("tempdir");
    let (code, stdout, stderr) = layerlab(data.path(), &["doctor"]);
    assert!(
        stdout.contains("containerd image store"),
        "doctor ({code}):\n{stdout}\n{stderr}"
    );
}

/// The homework built by `docker build` (BuildKit, provenance attestation),
/// pushed by `docker push`, then read by layerlab from the daemon, graded
/// against the registry, and read again from the engine's own `docker save`.
#[tokio::test]
async fn a_buildkit_image_with_attestations_is_explored_graded_and_read_from_docker_save() {
    let Some(docker) = common::docker_or_skip().await else {
        return;
    };
    if !engine::require(&docker, EngineKind::ContainerdSnapshotter).await {
        return;
    }
    let (Some(base), Some(registry)) = (support::standin_base(), support::test_registry()) else {
        return;
    };
    let mut cleanup = Cleanup::new();
    let name = common::unique_name("engine-current");
    let tag = format!("layerlab-test/{name}:latest");
    let pushed = format!("{registry}/{name}/nginx-alpine:1.0");
    cleanup.image(&tag);
    cleanup.image(&pushed);

    // `docker build` as the homework says, with a provenance attestation
    // (BuildKit's default on Docker Desktop; asked for here explicitly).
    // The learner's page, not the template (the grader fails the template).
    let own = own_assets("Test Learner");
    let context = own.path().to_path_buf();
    docker_ok(&[
        "build",
        "--provenance=true",
        "--build-arg",
        &format!("BASE_IMAGE={base}"),
        "--label",
        "layerlab.managed=true",
        "--label",
        &format!("{}=engine-current", common::TEST_LABEL),
        "-t",
        &tag,
        "-t",
        &pushed,
        context.to_str().expect("utf-8 path"),
    ]);
    let history = docker_ok(&["history", "--no-trunc", "--format", "{{.Comment}}", &tag]);
    assert!(
        history.contains("buildkit"),
        "BuildKit marks its layers: {history}"
    );
    docker_ok(&["push", "-q", &pushed]);

    // In the registry: an OCI image index with the image and an attestation
    // manifest (`vnd.docker.reference.type: attestation-manifest`).
    let (status, response) = support::http_get(
        &registry,
        &format!("/v2/{name}/nginx-alpine/manifests/1.0"),
        &[(
            "Accept",
            "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json",
        )],
    )
    .await
    .expect("the registry answers");
    assert_eq!(status, 200, "{response}");
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body)
        .expect("a body");
    let index: serde_json::Value = serde_json::from_str(body).expect("JSON");
    assert_eq!(
        index["mediaType"], "application/vnd.oci.image.index.v1+json",
        "{body}"
    );
    let manifests = index["manifests"].as_array().expect("manifests");
    let attestations = manifests
        .iter()
        .filter(|m| m["annotations"]["vnd.docker.reference.type"] == "attestation-manifest")
        .count();
    let images = manifests
        .iter()
        .filter(|m| m["platform"]["os"] == "linux" && m["platform"]["architecture"] != "unknown")
        .count();
    assert_eq!((images, attestations), (1, 1), "{body}");

    // layerlab layers IMAGE reads it from the daemon: the engine's layers,
    // three of them (base, apk add, COPY).
    let want_layers = engine_layers(&tag);
    assert_eq!(want_layers.len(), 3, "{want_layers:?}");
    let data = tempfile::tempdir().expect("tempdir");
    let (code, stdout, stderr) = layerlab(data.path(), &["layers", &tag, "--json"]);
    assert_eq!(code, 0, "layers {tag}:\n{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(report_layers(&report), want_layers, "{stdout}");
    assert_eq!(report["image"]["layer_count"], 3);

    // The grader, against the pushed index.
    let (code, stdout, stderr) = layerlab(
        data.path(),
        &[
            "check",
            "--image",
            &tag,
            "--pushed",
            &pushed,
            "--accept-base",
            &base,
        ],
    );
    assert_eq!(code, 0, "check:\n{stdout}\n{stderr}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with('✔') && l.contains("layer count: 3 ≤ 3")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with('✔') && l.contains("the same image")),
        "{stdout}"
    );

    // `docker save` by the engine itself: the OCI layout (oci-layout,
    // index.json, blobs/sha256), with the attestation inside.
    let saved = data.path().join("saved.tar");
    docker_ok(&["save", "-o", saved.to_str().expect("utf-8"), &tag]);
    let names = archive_names(&saved);
    assert!(
        names.iter().any(|n| n == "oci-layout") && names.iter().any(|n| n == "index.json"),
        "not the OCI layout: {names:?}"
    );
    assert!(
        names.iter().any(|n| n.starts_with("blobs/sha256/")),
        "{names:?}"
    );
    let (code, stdout, stderr) = layerlab(
        data.path(),
        &[
            "layers",
            "--archive",
            saved.to_str().expect("utf-8"),
            "--json",
        ],
    );
    assert_eq!(code, 0, "layers --archive:\n{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(report_layers(&report), want_layers, "{stdout}");
    assert_eq!(report["image"]["layer_count"], 3);
    drop(cleanup);
}

fn archive_names(path: &Path) -> Vec<String> {
    let file = std::fs::File::open(path).expect("open the saved archive");
    let mut archive = tar::Archive::new(file);
    archive
        .entries()
        .expect("a tar")
        .map(|e| {
            e.expect("an entry")
                .path()
                .expect("a path")
                .to_string_lossy()
                .trim_start_matches("./")
                .to_string()
        })
        .collect()
}
