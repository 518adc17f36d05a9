//! The analyser against a naive reference model, on archives built here.

use std::collections::BTreeSet;

use crate::layers_support::*;
use layerlab::layers::{
    EntryKind, KeptFile, Mark, Report, TreeView, analyze_archive, analyze_archive_keeping,
};
use proptest::prelude::*;

fn long(prefix: &str, n: usize) -> String {
    let mut s = prefix.to_string();
    while s.len() < n {
        s.push_str("/deep-directory-name");
    }
    s
}

/// A stack exercising every rule at least once.
fn handwritten_layers() -> Vec<Layer> {
    let long_pax = format!("{}/file.txt", long("usr/share/pax", 150));
    let long_gnu = format!("{}/lib.so", long("usr/lib/gnu", 180));
    let long_target = format!("/{}", long("opt/target", 140));
    let mut non_utf8 = b"data/caf".to_vec();
    non_utf8.push(0xe9);
    non_utf8.extend_from_slice(b".txt");
    vec![
        Layer::new(
            "ADD file:0123 in /",
            vec![
                dir("usr"),
                dir("usr/bin"),
                file_n("usr/bin/sh", 100),
                hardlink("usr/bin/ash", "usr/bin/sh"),
                symlink("bin", "usr/bin"),
                dir("etc"),
                file("etc/passwd", "root:x:0:0"),
                file("etc/motd", "hello"),
                file_n(&long_pax, 33),
                Op::File(non_utf8.clone(), b"cafe".to_vec()),
                file_n("var/cache/apk/APKINDEX.1", 300),
                file_n("var/cache/apk/APKINDEX.2", 200),
                file_n("opt/app/a.py", 10),
                file_n("opt/app/lib/b.py", 20),
                file_n("srv/www/index.html", 40),
            ],
        )
        .dot(),
        Layer::new(
            "RUN /bin/sh -c apk add nginx # buildkit",
            vec![
                file("etc/passwd", "root:x:0:0\nnginx:x:101"),
                whiteout("var/cache/apk"),
                Op::Whiteout(non_utf8),
                file_n("opt/app/new.py", 5),
                file_n(&long_gnu, 77),
                symlink("usr/lib/gnu-link", &long_target),
            ],
        )
        .gnu()
        .gzip(),
        Layer::new("RUN /bin/sh -c true # buildkit", vec![]),
        Layer::new(
            "COPY app /opt/app # buildkit",
            vec![
                opaque("opt/app"),
                file_n("opt/app/only.py", 9),
                file_n("var/cache/apk/APKINDEX.1", 7),
                file_n("srv/www", 11),
                file("etc/motd/x", "dir now"),
            ],
        )
        .zstd(),
        Layer::new(
            "RUN /bin/sh -c rm -rf /usr/share/pax && ln /etc/passwd /etc/passwd2",
            vec![
                whiteout(&long("usr/share/pax", 150)),
                hardlink("etc/passwd2", "etc/passwd"),
                file_n("tmp/dup", 3),
                file_n("tmp/dup", 8),
                dir("srv/www"),
                file_n("srv/www/new.html", 4),
            ],
        ),
    ]
}

fn assert_matches_model(report: &Report, spec: &ArchiveSpec) {
    let m = model(&spec.layers);
    assert_eq!(report.image.layer_count, spec.layers.len());
    assert_eq!(report.layers.len(), spec.layers.len());
    for (i, (got, (want, layer))) in report
        .layers
        .iter()
        .zip(m.layers.iter().zip(&spec.layers))
        .enumerate()
    {
        assert_eq!(got.index, i);
        assert_eq!(got.digest, sha256(&layer.tar()), "layer {i} digest");
        assert_eq!(got.created_by, layer.created_by, "layer {i} created_by");
        let got_counts = (
            got.added,
            got.modified,
            got.removed,
            got.entries,
            got.size_bytes,
        );
        let want_counts = (
            want.added,
            want.modified,
            want.removed,
            want.entries,
            want.size_bytes,
        );
        assert_eq!(
            got_counts, want_counts,
            "layer {i}: (added, modified, removed, entries, size_bytes)"
        );
    }
    assert_eq!(report.total_file_bytes, m.total_file_bytes);
    assert_eq!(report.visible_files, m.visible_files);
    assert_eq!(report.visible_file_bytes, m.visible_file_bytes);
    assert_eq!(
        report.wasted_bytes,
        m.total_file_bytes - m.visible_file_bytes
    );
    let eff = if m.total_file_bytes == 0 {
        1.0
    } else {
        m.visible_file_bytes as f64 / m.total_file_bytes as f64
    };
    assert_eq!(report.efficiency, eff);
}

fn analyse(spec: &ArchiveSpec) -> layerlab::layers::Analysis {
    let bytes = archive(spec);
    analyze_archive(&bytes[..], "test.tar").unwrap_or_else(|e| panic!("analysis failed: {e}"))
}

#[test]
fn figures_match_the_model_in_every_shape_and_member_order() {
    for shape in [Shape::Legacy, Shape::Oci, Shape::OciNoManifest] {
        for metadata_last in [false, true] {
            let mut spec = ArchiveSpec::new(shape, handwritten_layers());
            spec.metadata_last = metadata_last;
            let members = members(&spec);
            if metadata_last {
                assert_eq!(
                    members
                        .0
                        .last()
                        .map(|(p, _)| p.as_str())
                        .filter(|_| shape != Shape::OciNoManifest),
                    if shape == Shape::OciNoManifest {
                        None
                    } else {
                        Some("manifest.json")
                    }
                );
            }
            let analysis = analyse(&spec);
            let report = analysis.report();
            assert_matches_model(report, &spec);
            assert_eq!(report.image.id, sha256(&config_json(&spec)), "{shape:?}");
            assert_eq!(report.image.reference, "test.tar");
            assert_eq!(
                report.image.repo_tags,
                vec!["layerlab-test:latest".to_string()]
            );
        }
    }
}

#[test]
fn handwritten_stack_has_the_figures_worked_out_by_hand() {
    // Independent of the model: a few figures reasoned out from the rules.
    let spec = ArchiveSpec::new(Shape::Legacy, handwritten_layers());
    let r = analyse(&spec).report().clone();
    // layer 0: sh, ash, bin, passwd, motd, the PAX file, café, 2 APKINDEX,
    // a.py, b.py, index.html; entries: the 15 written plus the root `./`
    // (implied parent directories are not entries)
    assert_eq!(r.layers[0].added, 12);
    assert_eq!(r.layers[0].entries, 16);
    // layer 1: passwd modified; 2 apk files + café removed; new.py, gnu lib, link added
    assert_eq!(
        (r.layers[1].added, r.layers[1].modified, r.layers[1].removed),
        (3, 1, 3)
    );
    // layer 2 is empty
    assert_eq!(
        (
            r.layers[2].added,
            r.layers[2].entries,
            r.layers[2].size_bytes
        ),
        (0, 0, 0)
    );
    // layer 3: opaque opt/app removes a.py, lib/b.py, new.py; srv/www (dir) becomes a
    // file, hiding index.html; etc/motd becomes a directory (the file is removed)
    assert_eq!(
        (r.layers[3].added, r.layers[3].modified, r.layers[3].removed),
        (4, 0, 5)
    );
    // layer 4: pax file removed, passwd2 + tmp/dup + new.html added, srv/www file replaced
    assert_eq!(
        (r.layers[4].added, r.layers[4].modified, r.layers[4].removed),
        (3, 0, 2)
    );
}

#[test]
fn trees_show_marks_sizes_and_whole_image() {
    let spec = ArchiveSpec::new(Shape::Oci, handwritten_layers());
    let analysis = analyse(&spec);
    let m = model(&spec.layers);
    for k in 0..spec.layers.len() {
        let tree = analysis.layer_tree(k).unwrap();
        assert_eq!(tree.layer(), k);
        let empty = Default::default();
        let before = if k == 0 { &empty } else { &m.fs_after[k - 1] };
        let after = &m.fs_after[k];
        // every path there after layer k is in the tree with the right kind and mark
        for (path, (kind, size)) in after {
            let id = tree
                .find(path)
                .unwrap_or_else(|| panic!("layer {k}: {} missing", String::from_utf8_lossy(path)));
            let node = tree.node(id);
            assert_eq!(node.kind.is_dir(), *kind == Kind::Dir, "{path:?}");
            if *kind == Kind::NonDir {
                assert_eq!(node.size, *size, "{path:?}");
            }
            let want = match before.get(path) {
                None => Mark::Added,
                Some((was, _)) if was != kind => Mark::Modified,
                Some(_) if m.named[k].contains(path) => Mark::Modified,
                Some(_) => Mark::Unchanged,
            };
            if *kind == Kind::NonDir || want != Mark::Unchanged {
                assert_eq!(
                    node.mark,
                    want,
                    "layer {k} {}",
                    String::from_utf8_lossy(path)
                );
            }
        }
        // everything that disappeared is there, marked Removed
        for path in before.keys().filter(|p| !after.contains_key(*p)) {
            let id = tree.find(path).expect("removed path shown");
            assert_eq!(tree.node(id).mark, Mark::Removed, "{path:?}");
        }
        // nothing else is in the tree
        let mut count = 0;
        let all_paths: BTreeSet<&Vec<u8>> = after.keys().chain(before.keys()).collect();
        for row in tree.rows(&TreeView::default(), |_| true) {
            count += 1;
            assert!(
                all_paths.contains(&tree.path(row.node)),
                "{:?}",
                tree.path(row.node)
            );
        }
        assert_eq!(count, all_paths.len(), "layer {k}");
    }
    // one replay gives the same trees as one replay per layer
    let all: Vec<_> = analysis.layer_trees().collect();
    assert_eq!(all.len(), spec.layers.len());
    for (k, t) in all.iter().enumerate() {
        let single = analysis.layer_tree(k).unwrap();
        let rows = |t: &layerlab::layers::FileTree| {
            t.rows(&TreeView::default(), |_| true)
                .iter()
                .map(|r| (t.path(r.node), t.node(r.node).mark, t.node(r.node).size))
                .collect::<Vec<_>>()
        };
        assert_eq!(rows(t), rows(&single), "layer {k}");
    }
    assert!(analysis.layer_tree(spec.layers.len()).is_err());
    // the whole image: visible bytes add up at the root, links keep targets
    let image = analysis.image_tree();
    let root = image.node(layerlab::layers::FileTree::ROOT);
    assert_eq!(root.size, analysis.report().visible_file_bytes);
    assert_eq!(root.files, analysis.report().visible_files);
    let passwd2 = image.find(b"etc/passwd2").unwrap();
    assert_eq!(image.node(passwd2).kind, EntryKind::Hardlink);
    assert_eq!(image.link_target(passwd2), Some(&b"etc/passwd"[..]));
    assert_eq!(image.node(passwd2).layer, Some(4));
    let gnu_link = image.find(b"usr/lib/gnu-link").unwrap();
    assert_eq!(
        image.link_target(gnu_link).map(|t| t.len()),
        Some(long("opt/target", 140).len() + 1)
    );
}

#[test]
fn rows_fold_filter_sort_and_show_only_changes() {
    let spec = ArchiveSpec::new(Shape::Legacy, handwritten_layers());
    let analysis = analyse(&spec);
    let tree = analysis.layer_tree(1).unwrap();
    // folded: only top-level entries
    let top = tree.rows(&TreeView::default(), |_| false);
    let names: Vec<String> = top
        .iter()
        .map(|r| tree.display_name(r.node).into_owned())
        .collect();
    assert_eq!(names, ["bin", "data", "etc", "opt", "srv", "usr", "var"]);
    assert!(top.iter().all(|r| r.depth == 0));
    // changes only, everything unfolded: exactly the changed paths and their parents
    let changed = tree.rows(
        &TreeView {
            changes_only: true,
            ..Default::default()
        },
        |_| true,
    );
    let paths: Vec<String> = changed
        .iter()
        .map(|r| String::from_utf8_lossy(&tree.path(r.node)).into_owned())
        .collect();
    assert!(paths.contains(&"etc/passwd".to_string()), "{paths:?}");
    assert!(
        paths.contains(&"var/cache/apk/APKINDEX.1".to_string()),
        "{paths:?}"
    );
    assert!(!paths.contains(&"etc/motd".to_string()), "{paths:?}");
    assert!(!paths.contains(&"srv".to_string()), "{paths:?}");
    // filter keeps matches and their ancestors, expanded
    let filtered = tree.rows(
        &TreeView {
            filter: Some("APKINDEX.2".into()),
            ..Default::default()
        },
        |_| false,
    );
    let paths: Vec<String> = filtered
        .iter()
        .map(|r| String::from_utf8_lossy(&tree.path(r.node)).into_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "var",
            "var/cache",
            "var/cache/apk",
            "var/cache/apk/APKINDEX.2"
        ]
    );
    assert_eq!(
        filtered.iter().map(|r| r.depth).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    // size sort: biggest first among siblings
    let by_size = tree.rows(
        &TreeView {
            sort: layerlab::layers::SortBy::SizeDesc,
            ..Default::default()
        },
        |_| false,
    );
    let sizes: Vec<u64> = by_size.iter().map(|r| tree.node(r.node).size).collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    assert!(sizes[0] > 0);
}

#[test]
fn a_compressed_archive_is_read_too() {
    // `docker save img | gzip > img.tar.gz`, or zstd
    let spec = ArchiveSpec::new(Shape::Oci, handwritten_layers());
    let plain = archive(&spec);
    for how in [Compress::Gzip, Compress::Zstd] {
        let packed = compress(how, plain.clone());
        assert_ne!(packed[..4], plain[..4]);
        let a =
            analyze_archive(&packed[..], "img.tar.gz").unwrap_or_else(|e| panic!("{how:?}: {e}"));
        assert_matches_model(a.report(), &spec);
    }
}

#[test]
fn a_repeated_layer_blob_is_read_once_and_used_twice() {
    let same = Layer::new("COPY x /", vec![file("x", "1")]);
    let spec = ArchiveSpec::new(
        Shape::Oci,
        vec![
            same.clone(),
            Layer::new("RUN rm", vec![whiteout("x")]),
            same,
        ],
    );
    let m = members(&spec);
    assert_eq!(
        m.paths().iter().filter(|p| p.starts_with("blobs/")).count(),
        2 + 2,
        "two layer blobs, config, manifest"
    );
    assert_matches_model(analyse(&spec).report(), &spec);
}

/// The watcher recognises a learner's image by its page's bytes, read in the
/// analysis's one pass: the topmost layer's copy counts, pages of the same
/// length but other bytes differ, and a removed page is no page.
#[test]
fn the_kept_file_is_the_one_a_container_sees() {
    let page = "var/www/localhost/htdocs/index.html";
    let stack = |top: Vec<Op>| {
        vec![
            Layer::new("ADD base /", vec![file("etc/os-release", "x")]),
            Layer::new("COPY rootfs/ /", vec![file(page, "Anna's page")]),
            Layer::new("RUN edit", top),
        ]
    };
    for shape in [Shape::Legacy, Shape::Oci] {
        let kept = |top: Vec<Op>, gzip: bool| {
            let mut layers = stack(top);
            if gzip {
                layers = layers.into_iter().map(Layer::gzip).collect();
            }
            let bytes = archive(&ArchiveSpec::new(shape, layers));
            analyze_archive_keeping(&bytes[..], "t.tar", &format!("/{page}"))
                .unwrap_or_else(|e| panic!("{shape:?}: {e}"))
                .kept_file()
                .cloned()
        };
        for gzip in [false, true] {
            assert_eq!(
                kept(vec![file("tmp/x", "1")], gzip),
                Some(KeptFile::of(b"Anna's page")),
                "{shape:?}: a lower layer's page, untouched above"
            );
            let same_length = kept(vec![file(page, "Boris' page")], gzip);
            assert_eq!(same_length, Some(KeptFile::of(b"Boris' page")), "{shape:?}");
            assert_ne!(same_length, Some(KeptFile::of(b"Anna's page")), "{shape:?}");
            assert_eq!(kept(vec![whiteout(page)], gzip), None, "{shape:?}: removed");
        }
    }
    // Without asking, nothing is kept.
    let bytes = archive(&ArchiveSpec::new(Shape::Oci, stack(vec![])));
    assert_eq!(
        analyze_archive(&bytes[..], "t.tar").unwrap().kept_file(),
        None
    );
    // Only the first bytes are hashed: a page over the cap is told apart by its size.
    let big = vec![b'a'; layerlab::layers::KEPT_BYTES + 10];
    let mut bigger = big.clone();
    bigger.push(b'a');
    assert_ne!(KeptFile::of(&big), KeptFile::of(&bigger));
}

// ---------------------------------------------------------------- random stacks

fn arb_path() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(vec!["a", "b", "c", "d"]), 1..4)
        .prop_map(|v| v.join("/"))
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (arb_path(), 0usize..40).prop_map(|(p, n)| file_n(&p, n)),
        2 => arb_path().prop_map(|p| dir(&p)),
        1 => (arb_path(), arb_path()).prop_map(|(p, t)| symlink(&p, &t)),
        1 => (arb_path(), arb_path()).prop_map(|(p, t)| hardlink(&p, &t)),
        2 => arb_path().prop_map(|p| whiteout(&p)),
        1 => prop_oneof![4 => arb_path(), 1 => Just(String::new())].prop_map(|p| opaque(&p)),
    ]
}

fn arb_layer() -> impl Strategy<Value = Layer> {
    (
        prop::collection::vec(arb_op(), 0..12),
        any::<bool>(),
        0u8..3,
    )
        .prop_map(|(ops, dot, c)| {
            let mut l = Layer::new("RUN x", ops);
            if dot {
                l = l.dot();
            }
            match c {
                1 => l.gzip(),
                2 => l.zstd(),
                _ => l,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_stacks_match_the_model(layers in prop::collection::vec(arb_layer(), 1..6), oci in any::<bool>(), last in any::<bool>()) {
        let mut spec = ArchiveSpec::new(if oci { Shape::Oci } else { Shape::Legacy }, layers);
        spec.metadata_last = last;
        let analysis = analyse(&spec);
        assert_matches_model(analysis.report(), &spec);
        // the whole-image tree holds exactly the model's final file system
        let m = model(&spec.layers);
        let tree = analysis.image_tree();
        let rows = tree.rows(&TreeView::default(), |_| true);
        let present: BTreeSet<Vec<u8>> = rows
            .iter()
            .filter(|r| tree.node(r.node).mark != Mark::Removed)
            .map(|r| tree.path(r.node))
            .collect();
        let want: BTreeSet<Vec<u8>> = m.fs_after.last().unwrap().keys().cloned().collect();
        prop_assert_eq!(present, want);
    }

    #[test]
    fn corrupted_archives_give_errors_not_panics(cut in 0usize..4000, flip in 0usize..4000, byte in any::<u8>()) {
        let spec = ArchiveSpec::new(Shape::Oci, handwritten_layers());
        let mut bytes = archive(&spec);
        let flip = flip * bytes.len() / 4000;
        bytes[flip] ^= byte.max(1);
        bytes.truncate(bytes.len() - cut * bytes.len() / 4000 / 8);
        // any outcome but a panic is fine; an Ok must still be self-consistent
        if let Ok(a) = analyze_archive(&bytes[..], "x.tar") {
            let r = a.report();
            prop_assert_eq!(r.total_file_bytes, r.layers.iter().map(|l| l.size_bytes).sum::<u64>());
        }
    }
}
