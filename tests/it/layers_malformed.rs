//! Broken archives: each gives a typed error naming the archive entry at fault.

use crate::layers_support::*;
use layerlab::i18n::Lang;
use layerlab::layers::{LayersError, analyze_archive};

fn small_layers() -> Vec<Layer> {
    vec![
        Layer::new(
            "ADD base /",
            vec![dir("etc"), file("etc/os-release", "ID=test")],
        ),
        Layer::new("COPY x /x", vec![file_n("x/data.bin", 2000)]),
    ]
}

fn err_of(bytes: &[u8]) -> LayersError {
    match analyze_archive(bytes, "broken.tar") {
        Ok(a) => panic!("expected an error, got {:?}", a.report()),
        Err(e) => e,
    }
}

fn layer_member(m: &Members, n: usize) -> String {
    m.paths()
        .into_iter()
        .filter(|p| p.ends_with("layer.tar"))
        .nth(n)
        .expect("layer member")
}

#[test]
fn truncated_inside_a_layer_names_that_layer() {
    let spec = ArchiveSpec::new(Shape::Legacy, small_layers());
    let m = members(&spec);
    let second = layer_member(&m, 1);
    let bytes = m.tar();
    // cut in the middle of x/data.bin's content: inside the second layer member
    let at = bytes.len() - 1024 - 512 - 1000;
    let e = err_of(&bytes[..at]);
    assert_eq!(e.entry(), Some(second.as_str()), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("truncated"), "{msg}");
    let ru = e.message(Lang::Ru);
    assert!(
        ru.starts_with(&format!("слой {second}: не удаётся прочитать tar")),
        "{ru}"
    );
    assert!(ru.ends_with("(похоже, архив обрезан)"), "{ru}");
}

#[test]
fn truncated_before_the_manifest_says_it_is_missing() {
    let mut spec = ArchiveSpec::new(Shape::Legacy, small_layers());
    spec.metadata_last = true;
    let m = members(&spec);
    let mut keep = Members(m.0.clone());
    keep.remove("manifest.json");
    let e = err_of(&keep.tar());
    assert!(matches!(e, LayersError::MissingManifest { .. }), "{e}");
    assert!(
        e.to_string().contains("no manifest.json or index.json"),
        "{e}"
    );
    // cut right after the config: the last member read is named
    let bytes = m.tar();
    let e = err_of(&bytes[..bytes.len() - 1024 - 1024]);
    assert!(e.to_string().contains("manifest"), "{e}");
}

#[test]
fn missing_config_is_named() {
    let spec = ArchiveSpec::new(Shape::Legacy, small_layers());
    let mut m = members(&spec);
    let config = m
        .paths()
        .into_iter()
        .find(|p| p.ends_with(".json") && p != "manifest.json")
        .unwrap();
    m.remove(&config);
    let e = err_of(&m.tar());
    assert!(matches!(e, LayersError::MissingMember { .. }), "{e}");
    assert_eq!(e.entry(), Some(config.as_str()));
    assert!(e.to_string().contains("listed in manifest.json"), "{e}");
}

#[test]
fn a_listed_layer_that_is_absent_is_named() {
    for shape in [Shape::Legacy, Shape::Oci, Shape::OciNoManifest] {
        let spec = ArchiveSpec::new(shape, small_layers());
        let mut m = members(&spec);
        let gone = match shape {
            Shape::Legacy => layer_member(&m, 0),
            _ => format!("blobs/sha256/{}", &sha256(&spec.layers[1].blob())[7..]),
        };
        m.remove(&gone);
        let e = err_of(&m.tar());
        assert!(
            matches!(e, LayersError::MissingMember { .. }),
            "{shape:?}: {e}"
        );
        assert_eq!(e.entry(), Some(gone.as_str()), "{shape:?}");
        if shape == Shape::Legacy {
            assert_eq!(
                e.message(Lang::Ru),
                format!(
                    "{gone}: на него ссылается manifest.json, но в архиве его нет (архив обрезан или сохранён не полностью?)"
                )
            );
        }
    }
}

#[test]
fn a_layer_whose_content_does_not_match_its_diff_id_is_named() {
    let spec = ArchiveSpec::new(Shape::Legacy, small_layers());
    let mut m = members(&spec);
    let second = layer_member(&m, 1);
    let blob = m.get_mut(&second);
    blob[512 + 10] ^= 0x20; // a content byte of x/data.bin: the tar still parses
    let e = err_of(&m.tar());
    assert!(matches!(e, LayersError::DigestMismatch { .. }), "{e}");
    assert_eq!(e.entry(), Some(second.as_str()));
    assert!(
        e.to_string().contains(&sha256(&spec.layers[1].tar())),
        "{e}"
    );
}

#[test]
fn an_oci_blob_that_does_not_match_its_name_is_named() {
    for layer in [small_layers()[1].clone(), small_layers()[1].clone().gzip()] {
        let spec = ArchiveSpec::new(Shape::Oci, vec![small_layers()[0].clone(), layer.clone()]);
        let mut m = members(&spec);
        let path = format!("blobs/sha256/{}", &sha256(&layer.blob())[7..]);
        let blob = m.get_mut(&path);
        let last = blob.len() - 1;
        blob[last] ^= 1; // tar padding / gzip trailer: still readable, wrong hash
        let e = err_of(&m.tar());
        assert!(
            matches!(
                e,
                LayersError::DigestMismatch { .. } | LayersError::LayerRead { .. }
            ),
            "{e}"
        );
        assert_eq!(e.entry(), Some(path.as_str()), "{e}");
    }
}

#[test]
fn parent_and_absolute_paths_are_refused_with_the_entry_named() {
    for (bad, reason) in [
        (&b"../../etc/shadow"[..], "`..`"),
        (b"app/../../x", "`..`"),
        (b"/etc/passwd", "absolute"),
    ] {
        let mut w = TarWriter::new(LongNames::Pax);
        w.entry(b"app/", b'5', &[], b"", 0o755);
        w.entry(bad, b'0', b"evil", b"", 0o644);
        let evil = w.finish();
        let mut spec = ArchiveSpec::new(Shape::Legacy, small_layers());
        spec.layers.truncate(1);
        let mut m = members(&spec);
        let member = layer_member(&m, 0);
        *m.get_mut(&member) = evil;
        let e = err_of(&m.tar());
        match &e {
            LayersError::UnsafePath {
                member: got, entry, ..
            } => {
                assert_eq!(got, &member);
                assert_eq!(entry.as_bytes(), bad);
            }
            other => panic!("expected UnsafePath, got {other}"),
        }
        assert!(e.to_string().contains(reason), "{e}");
    }
    // a hardlink pointing out of the image is refused too
    let mut spec = ArchiveSpec::new(Shape::Legacy, small_layers());
    spec.layers = vec![Layer::new("x", vec![hardlink("etc/h", "../../etc/shadow")])];
    let e = err_of(&archive(&spec));
    assert!(matches!(e, LayersError::UnsafePath { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("etc/h (hardlink to ../../etc/shadow)"),
        "{e}"
    );
    let ru = e.message(Lang::Ru);
    assert!(
        ru.contains(
            "запись \"etc/h (жёсткая ссылка на ../../etc/shadow)\" содержит компонент `..`; отклонена"
        ),
        "{ru}"
    );
}

#[test]
fn config_that_is_not_valid_json_or_lacks_rootfs_is_named() {
    let spec = ArchiveSpec::new(Shape::Legacy, small_layers());
    let mut m = members(&spec);
    let config = m
        .paths()
        .into_iter()
        .find(|p| p.ends_with(".json") && p != "manifest.json")
        .unwrap();
    *m.get_mut(&config) = br#"{"architecture": "amd64"}"#.to_vec();
    let e = err_of(&m.tar());
    assert!(matches!(e, LayersError::Json { .. }), "{e}");
    assert_eq!(e.entry(), Some(config.as_str()));
    assert!(e.to_string().contains("rootfs"), "{e}");
}

#[test]
fn a_layer_that_is_not_a_tar_is_named() {
    let spec = ArchiveSpec::new(Shape::Legacy, small_layers());
    let mut m = members(&spec);
    let first = layer_member(&m, 0);
    *m.get_mut(&first) = b"BZh91AY&SY not a tar at all".to_vec();
    let e = err_of(&m.tar());
    assert!(matches!(e, LayersError::Invalid { .. }), "{e}");
    assert_eq!(e.entry(), Some(first.as_str()));
    assert!(e.to_string().contains("lists it as a layer"), "{e}");
    assert_eq!(
        e.message(Lang::Ru),
        format!(
            "{first}: manifest.json перечисляет его среди слоёв, но это не JSON, не tar и не поток gzip или zstd"
        )
    );
    assert_eq!(e.message(Lang::En), e.to_string());
}

#[test]
fn diff_id_count_mismatch_is_named() {
    let spec = ArchiveSpec::new(Shape::Legacy, small_layers());
    let mut m = members(&spec);
    let manifest = m.get_mut("manifest.json");
    let mut v: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    v[0]["Layers"].as_array_mut().unwrap().pop();
    *manifest = serde_json::to_vec(&v).unwrap();
    let e = err_of(&m.tar());
    assert!(
        e.to_string()
            .contains("rootfs.diff_ids has 2 layers but manifest.json lists 1"),
        "{e}"
    );
    let ru = e.message(Lang::Ru);
    assert!(
        ru.ends_with(": в rootfs.diff_ids слоёв: 2, а в manifest.json: 1"),
        "{ru}"
    );
}

#[test]
fn not_a_tar_at_all() {
    let e = err_of(b"this is not an archive, just some text that is long enough to fail");
    assert!(
        matches!(
            e,
            LayersError::Read { .. } | LayersError::MissingManifest { .. }
        ),
        "{e}"
    );
}

#[test]
fn a_legacy_config_not_matching_its_file_name_is_analysed_with_a_note() {
    // `docker load` takes such archives (go-containerregistry writes them):
    // issue 11 turned the refusal into a warning.
    let spec = ArchiveSpec::new(Shape::Legacy, small_layers());
    let mut m = members(&spec);
    let config = m
        .paths()
        .into_iter()
        .find(|p| p.ends_with(".json") && p != "manifest.json")
        .unwrap();
    m.get_mut(&config).push(b' '); // still valid JSON, different bytes
    let analysis = analyze_archive(&m.tar()[..], "renamed.tar").expect("analysed");
    let notes: Vec<&str> = analysis.notes().iter().map(|n| n.get(Lang::En)).collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with(&config) && n.contains("is not its digest")),
        "{notes:?}"
    );
    assert!(
        analysis.notes()[0]
            .get(Lang::Ru)
            .contains("не совпадает с её дайджестом"),
        "{notes:?}"
    );
}
