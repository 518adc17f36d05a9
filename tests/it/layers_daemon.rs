//! `layerlab layers IMAGE --json` against the daemon, compared with the same
//! image saved through the Engine API and read with `--archive`. The engine
//! here has no images and pulls nothing, so the test makes its own: a base
//! loaded from an archive built here, then an image built FROM it with COPY
//! and ENV only (no RUN: the base has no shell). Everything it creates is
//! labelled layerlab.managed=true and removed by id at the end.

use std::collections::HashMap;

use crate::layers_support::*;
use assert_cmd::Command;
use bollard::Docker;
use bollard::query_parameters::{BuildImageOptions, ImportImageOptions, RemoveImageOptions};
use futures_util::StreamExt;

const MANAGED: (&str, &str) = ("layerlab.managed", "true");

fn context_tar(base: &str) -> Vec<u8> {
    let dockerfile = format!(
        "FROM {base}\n\
         COPY app/ /app/\n\
         ENV GREETING=hello\n\
         COPY motd /etc/motd\n\
         LABEL layerlab.managed=true\n"
    );
    let mut w = TarWriter::new(LongNames::Pax);
    w.entry(b"Dockerfile", b'0', dockerfile.as_bytes(), b"", 0o644);
    w.entry(b"app/", b'5', &[], b"", 0o755);
    w.entry(b"app/index.html", b'0', b"<h1>layerlab</h1>\n", b"", 0o644);
    w.entry(b"app/big.bin", b'0', &vec![7u8; 5000], b"", 0o644);
    w.entry(b"motd", b'0', b"rebuilt motd\n", b"", 0o644);
    w.finish()
}

async fn create_images(docker: &Docker, tag: &str) -> Result<(String, String), String> {
    let base_tag = format!("layerlab-test-layers-base:{tag}");
    let mut spec = ArchiveSpec::new(
        Shape::Legacy,
        vec![
            Layer::new(
                "ADD rootfs /",
                vec![
                    dir("etc"),
                    file("etc/motd", "base motd\n"),
                    file_n("usr/lib/libbase.so", 3000),
                ],
            ),
            Layer::new(
                "COPY extra /",
                vec![
                    file_n("opt/extra.dat", 1200),
                    whiteout("usr/lib/libbase.so"),
                ],
            ),
        ],
    );
    spec.repo_tag = Some(base_tag.clone());
    spec.labels = vec![(MANAGED.0.into(), MANAGED.1.into())];
    let mut load = docker.import_image(
        ImportImageOptions {
            quiet: true,
            ..Default::default()
        },
        bollard::body_full(archive(&spec).into()),
        None,
    );
    while let Some(item) = load.next().await {
        let info = item.map_err(|e| format!("loading the base image: {e}"))?;
        if let Some(err) = info.error_detail {
            return Err(format!("loading the base image: {err:?}"));
        }
    }
    let base_id = docker
        .inspect_image(&base_tag)
        .await
        .map_err(|e| format!("inspecting {base_tag}: {e}"))?
        .id
        .ok_or("base image has no id")?;

    let image_tag = format!("layerlab-test-layers:{tag}");
    let options = BuildImageOptions {
        t: Some(image_tag.clone()),
        rm: true,
        forcerm: true,
        labels: Some(HashMap::from([(
            MANAGED.0.to_string(),
            MANAGED.1.to_string(),
        )])),
        dockerfile: "Dockerfile".into(),
        ..Default::default()
    };
    let mut build = docker.build_image(
        options,
        None,
        Some(bollard::body_full(context_tar(&base_tag).into())),
    );
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(120);
    while let Some(item) = tokio::time::timeout_at(deadline, build.next())
        .await
        .map_err(|_| "the build took over 120 s".to_string())?
    {
        let info = item.map_err(|e| format!("building {image_tag}: {e}"))?;
        if let Some(err) = info.error_detail {
            return Err(format!("building {image_tag}: {err:?}"));
        }
    }
    let image_id = docker
        .inspect_image(&image_tag)
        .await
        .map_err(|e| format!("inspecting {image_tag}: {e}"))?
        .id
        .ok_or("built image has no id")?;
    Ok((base_id, image_id))
}

fn layers_json(args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("layerlab")
        .unwrap()
        .env(
            "LAYERLAB_DATA_DIR",
            std::env::temp_dir().join("layerlab-daemon-test"),
        )
        .arg("layers")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "layerlab layers {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn compare(docker: &Docker, image_id: &str, tag: &str) -> Result<(), String> {
    let image_tag = format!("layerlab-test-layers:{tag}");
    let from_daemon = layers_json(&[&image_tag]);

    let mut saved = Vec::new();
    let mut export = docker.export_image(&image_tag);
    while let Some(chunk) = export.next().await {
        saved.extend_from_slice(&chunk.map_err(|e| format!("exporting: {e}"))?);
    }
    let file = tempfile::Builder::new()
        .suffix(".tar")
        .tempfile()
        .map_err(|e| e.to_string())?;
    std::fs::write(file.path(), &saved).map_err(|e| e.to_string())?;
    let from_file = layers_json(&["--archive", &file.path().to_string_lossy()]);

    assert_eq!(from_daemon["image"]["ref"], image_tag.as_str());
    let containerd_store = docker
        .info()
        .await
        .map_err(|e| format!("docker info: {e}"))?
        .driver_status
        .is_some_and(|rows| rows.iter().flatten().any(|v| v.contains("snapshotter")));
    if containerd_store {
        // KNOWN DEFECT on the containerd image store (issue 11, item 12):
        // `layers IMAGE` shows the config digest where `docker images` and
        // the lab show the image id (the digest of the image index). Pinned
        // so that the fix turns this red: then delete this branch and let
        // the assert_eq below hold on both engines.
        assert_ne!(
            from_daemon["image"]["id"], image_id,
            "issue 11 item 12 is fixed: remove the known-defect branch in layers_daemon::compare"
        );
        eprintln!(
            "KNOWN DEFECT (issue 11 item 12): layers shows {} for image id {image_id}",
            from_daemon["image"]["id"]
        );
    } else {
        assert_eq!(from_daemon["image"]["id"], image_id);
    }
    let strip = |mut v: serde_json::Value| {
        v["image"].as_object_mut().unwrap().remove("ref");
        v
    };
    let (a, b) = (strip(from_daemon.clone()), strip(from_file));
    assert_eq!(a, b, "daemon and saved-file analyses differ");

    // and the figures are the ones this image must have: base (2 layers),
    // COPY app/ (2 files + dir), COPY motd (modifies /etc/motd)
    let layers = a["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 4, "{a:#}");
    assert_eq!(layers[1]["removed"], 1);
    assert_eq!(layers[2]["added"], 2);
    assert_eq!(layers[3]["modified"], 1);
    assert!(
        layers[2]["created_by"].as_str().unwrap().contains("COPY"),
        "{a:#}"
    );
    let visible = 1200 + 18 + 5000 + 13;
    assert_eq!(a["visible_file_bytes"], visible);
    assert_eq!(a["total_file_bytes"], 10 + 3000 + 1200 + 18 + 5000 + 13);
    Ok(())
}

#[tokio::test]
async fn daemon_export_and_saved_archive_agree() {
    let Some(docker) = docker_or_skip("daemon_export_and_saved_archive_agree").await else {
        return;
    };
    let tag = format!("t{}", std::process::id());
    let created = create_images(&docker, &tag).await;
    let outcome = match &created {
        Ok((_, image_id)) => compare(&docker, image_id, &tag).await,
        Err(e) => Err(e.clone()),
    };
    // clean up what this test made, by id, whatever happened
    let ids: Vec<String> = match &created {
        Ok((base, image)) => vec![image.clone(), base.clone()],
        Err(_) => Vec::new(),
    };
    for id in ids {
        let _ = docker
            .remove_image(
                &id,
                Some(RemoveImageOptions {
                    force: true,
                    ..Default::default()
                }),
                None,
            )
            .await;
    }
    if created.is_err() {
        // a failed load/build may still have tagged something: remove by the tag we gave
        for t in [
            format!("layerlab-test-layers:{tag}"),
            format!("layerlab-test-layers-base:{tag}"),
        ] {
            if let Ok(img) = docker.inspect_image(&t).await
                && let Some(id) = img.id
            {
                let labelled = img
                    .config
                    .and_then(|c| c.labels)
                    .is_some_and(|l| l.get(MANAGED.0).map(String::as_str) == Some(MANAGED.1));
                if labelled {
                    let _ = docker
                        .remove_image(
                            &id,
                            Some(RemoveImageOptions {
                                force: true,
                                ..Default::default()
                            }),
                            None,
                        )
                        .await;
                }
            }
        }
    }
    outcome.unwrap();
}
