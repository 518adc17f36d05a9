//! Archives `docker load` takes are analysed too (issue 11, defect 12): the
//! root entry `/` (kaniko) and `./`-prefixed names, a config whose file name
//! is not its digest (with a warning), and multi-image archives (how many,
//! the first by default and said so, another picked with `--image REF`).
//! The archives are made here, small.

use std::time::Duration;

use sha2::{Digest, Sha256};

fn entry(builder: &mut tar::Builder<Vec<u8>>, name: &[u8], kind: tar::EntryType, data: &[u8]) {
    let mut h = tar::Header::new_gnu();
    // Written into the header as is: tar's own path setter refuses `/`.
    let gnu = h.as_gnu_mut().expect("gnu header");
    gnu.name[..name.len()].copy_from_slice(name);
    h.set_entry_type(kind);
    h.set_mode(if kind == tar::EntryType::Directory {
        0o755
    } else {
        0o644
    });
    h.set_size(data.len() as u64);
    h.set_mtime(1_700_000_000);
    h.set_cksum();
    builder.append(&h, data).expect("append");
}

/// A layer tar with the given (name, is_dir, content) entries.
fn layer(entries: &[(&[u8], bool, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, dir, data) in entries {
        let kind = if *dir {
            tar::EntryType::Directory
        } else {
            tar::EntryType::Regular
        };
        entry(&mut b, name, kind, data);
    }
    b.into_inner().expect("tar")
}

struct Image {
    tag: &'static str,
    layer: Vec<u8>,
    /// Name the config file this instead of `<digest>.json`.
    config_name: Option<String>,
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A legacy `docker save` archive of `images`, in manifest.json order.
fn archive(images: &[Image]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut manifest = Vec::new();
    for (i, image) in images.iter().enumerate() {
        let diff = hex(&image.layer);
        let config = serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "config": {"Labels": {"n": i.to_string()}},
            "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{diff}")]},
            "history": [{"created_by": format!("image {i}")}],
        })
        .to_string();
        let config_name = image
            .config_name
            .clone()
            .unwrap_or_else(|| format!("{}.json", hex(config.as_bytes())));
        entry(
            &mut b,
            format!("./{diff}/layer.tar").as_bytes(),
            tar::EntryType::Regular,
            &image.layer,
        );
        entry(
            &mut b,
            config_name.as_bytes(),
            tar::EntryType::Regular,
            config.as_bytes(),
        );
        manifest.push(serde_json::json!({
            "Config": config_name,
            "RepoTags": [image.tag],
            "Layers": [format!("{diff}/layer.tar")],
        }));
    }
    let manifest = serde_json::to_vec(&manifest).expect("json");
    entry(
        &mut b,
        b"./manifest.json",
        tar::EntryType::Regular,
        &manifest,
    );
    b.into_inner().expect("tar")
}

/// `layerlab layers --json --archive FILE [ARGS]`: (success, report, stderr).
fn layers(bytes: &[u8], args: &[&str]) -> (bool, serde_json::Value, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.tar");
    std::fs::write(&path, bytes).expect("write");
    let out = assert_cmd::Command::cargo_bin("layerlab")
        .expect("binary")
        .args(["--lang", "en", "layers", "--json", "--archive"])
        .arg(&path)
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("runs");
    let report = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.success(),
        report,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_kaniko_root_entry_and_dot_slash_names_are_accepted() {
    let kaniko = layer(&[
        (b"/", true, b""),
        (b"./etc/", true, b""),
        (b"./etc/motd", false, b"hello\n"),
    ]);
    let (ok, report, stderr) = layers(
        &archive(&[Image {
            tag: "kaniko:1",
            layer: kaniko,
            config_name: None,
        }]),
        &[],
    );
    assert!(ok, "{stderr}");
    assert_eq!(report["image"]["layer_count"], 1, "{report}");
    assert_eq!(report["visible_files"], 1, "{report}");
}

#[test]
fn a_config_not_named_by_its_digest_is_analysed_with_a_warning() {
    let (ok, report, stderr) = layers(
        &archive(&[Image {
            tag: "renamed:1",
            layer: layer(&[(b"a.txt", false, b"a")]),
            config_name: Some(format!("{}.json", "0".repeat(64))),
        }]),
        &[],
    );
    assert!(ok, "{stderr}");
    assert!(stderr.contains("is not its digest"), "{stderr}");
    assert_eq!(report["image"]["repo_tags"][0], "renamed:1");
}

#[test]
fn a_multi_image_archive_says_how_many_and_picks_with_image() {
    let bytes = archive(&[
        Image {
            tag: "first:1",
            layer: layer(&[(b"one.txt", false, b"1")]),
            config_name: None,
        },
        Image {
            tag: "second:2",
            layer: layer(&[(b"two.txt", false, b"22"), (b"more.txt", false, b"3")]),
            config_name: None,
        },
    ]);
    let (ok, report, stderr) = layers(&bytes, &[]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("holds 2 images"), "{stderr}");
    assert!(
        stderr.contains("first:1") && stderr.contains("--image"),
        "{stderr}"
    );
    assert_eq!(report["image"]["repo_tags"][0], "first:1");

    let (ok, report, stderr) = layers(&bytes, &["--image", "second:2"]);
    assert!(ok, "{stderr}");
    assert_eq!(report["image"]["repo_tags"][0], "second:2");
    assert_eq!(report["visible_files"], 2, "{report}");
    assert!(!stderr.contains("holds 2 images"), "{stderr}");

    let (ok, _, stderr) = layers(&bytes, &["--image", "nosuch:1"]);
    assert!(!ok);
    assert!(
        stderr.contains("no image nosuch:1") && stderr.contains("second:2"),
        "{stderr}"
    );
}
