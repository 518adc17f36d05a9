//! Bounded fuzzing of the two parsers that read what the learner (or a
//! broken tool) hands us: the lesson loader/validator and the image archive
//! reader. Whatever the input: no panic, no abort, and an error always has a
//! message. A fixed number of cases keeps it CI-sized (a few seconds); for
//! long runs see `scripts/fuzz.sh`. Inputs that once crashed live in
//! `tests/fixtures/fuzz/` and are replayed by `regression_fixtures`.

use std::path::Path;

use crate::layers_support::*;
use layerlab::layers::{LayersError, analyze_archive};
use layerlab::lesson::loader::{Pack, PackFiles, PackOrigin};
use proptest::prelude::*;

/// Cases per property: CI-sized by default; `LAYERLAB_FUZZ_SCALE=N`
/// multiplies them for a long run (`scripts/fuzz.sh`).
fn cases(base: u32) -> u32 {
    let scale = std::env::var("LAYERLAB_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(1)
        .max(1);
    base.saturating_mul(scale)
}

fn config(base: u32) -> ProptestConfig {
    ProptestConfig {
        cases: cases(base),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ------------------------------------------------------------ mutations

/// One edit of a byte string; offsets are taken modulo its length.
#[derive(Debug, Clone)]
enum Mutation {
    Flip {
        at: usize,
        bits: u8,
    },
    Delete {
        at: usize,
        len: usize,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Truncate {
        at: usize,
    },
    /// Copy a slice of the input over another place (YAML: a key or an
    /// indentation level lands where it doesn't belong).
    Splice {
        from: usize,
        to: usize,
        len: usize,
    },
    /// A tar header's size field (a 512-byte block) set to something huge,
    /// in octal or base-256, with the checksum fixed so it is believed.
    HugeSize {
        block: usize,
        base256: bool,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, bits)| Mutation::Flip { at, bits }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (
            any::<usize>(),
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 1..16),
                Just(b": [".to_vec()),
                Just(b"\n- ".to_vec()),
                Just(b"{{".to_vec()),
                Just(b"&a *a ".to_vec()),
                Just(b"\t".to_vec()),
                Just("\u{feff}".as_bytes().to_vec()),
                Just(b"\xff\xfe".to_vec()),
            ]
        )
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), any::<usize>(), 1usize..200)
            .prop_map(|(from, to, len)| Mutation::Splice { from, to, len }),
        (0usize..64, any::<bool>())
            .prop_map(|(block, base256)| Mutation::HugeSize { block, base256 }),
    ]
}

fn apply(mut data: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = data.len().max(1);
        match *m {
            Mutation::Flip { at, bits } => {
                if let Some(b) = data.get_mut(at % len) {
                    *b ^= bits;
                }
            }
            Mutation::Delete { at, len: n } => {
                let start = (at % len).min(data.len());
                let end = (start + n).min(data.len());
                data.drain(start..end);
            }
            Mutation::Insert { at, ref bytes } => {
                let at = (at % len).min(data.len());
                data.splice(at..at, bytes.iter().copied());
            }
            Mutation::Truncate { at } => data.truncate(at % len),
            Mutation::Splice { from, to, len: n } => {
                let from = (from % len).min(data.len());
                let piece: Vec<u8> = data[from..(from + n).min(data.len())].to_vec();
                let to = (to % len).min(data.len());
                let end = (to + piece.len()).min(data.len());
                data.splice(to..end, piece);
            }
            Mutation::HugeSize { block, base256 } => {
                let blocks = data.len() / 512;
                if blocks == 0 {
                    continue;
                }
                let start = (block % blocks) * 512;
                let header = &mut data[start..start + 512];
                if base256 {
                    header[124] = 0x80;
                    header[125..136].fill(0xff);
                } else {
                    header[124..135].copy_from_slice(b"77777777777");
                    header[135] = 0;
                }
                header[148..156].copy_from_slice(b"        ");
                let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
                header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
            }
        }
    }
    data
}

// --------------------------------------------------------------- lessons

fn shipped() -> &'static [(String, Vec<u8>)] {
    static FILES: std::sync::OnceLock<Vec<(String, Vec<u8>)>> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        let pack = PackFiles::embedded();
        pack.keys()
            .map(|k| (k.to_string(), pack.get(k).unwrap_or_default().to_vec()))
            .collect()
    })
}

/// The shipped pack with one file replaced.
fn pack_with(replaced: &str, contents: Vec<u8>) -> PackFiles {
    let files = shipped().iter().map(|(k, bytes)| {
        let bytes = if k == replaced {
            contents.clone()
        } else {
            bytes.clone()
        };
        (k.clone(), bytes)
    });
    PackFiles::from_memory(PackOrigin::Embedded, files)
}

fn yaml_files() -> Vec<String> {
    shipped()
        .iter()
        .map(|(k, _)| k)
        .filter(|k| k.ends_with(".yaml") || k.ends_with(".yml"))
        .cloned()
        .collect()
}

/// Validate and load; every problem has a place and a message.
fn check_lesson_input(file: &str, bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let files = pack_with(file, bytes);
    let report = layerlab::lesson::validate::validate(&files);
    for problem in &report.problems {
        prop_assert!(
            !problem.message.trim().is_empty(),
            "empty message: {problem}"
        );
        prop_assert!(problem.pos.line >= 1 && problem.pos.col >= 1, "{problem}");
    }
    // The loader validates first (the same work again): load only what
    // passed, which is where deserialisation can still go wrong.
    if report.is_valid() {
        if let Err(e) = Pack::from_files(files) {
            prop_assert!(!e.to_string().trim().is_empty());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(150))]

    /// Byte-level damage to any shipped lesson file (and pack.yaml).
    #[test]
    fn mutated_shipped_lessons_never_panic(
        pick in any::<usize>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let files = yaml_files();
        let file = &files[pick % files.len()];
        let original = shipped().iter().find(|(k, _)| k == file).map(|(_, b)| b.clone()).unwrap_or_default();
        check_lesson_input(file, apply(original, &mutations))?;
    }
}

// -------------------------------------------------------------- archives

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z]{1,6}",
        1 => Just("..".to_string()),
        1 => Just(".".to_string()),
        1 => Just(String::new()),
        1 => Just(".wh.a".to_string()),
        1 => Just(".wh..wh..opq".to_string()),
        1 => Just("x".repeat(150)),
        1 => "\\PC{1,4}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    (any::<bool>(), proptest::collection::vec(segment(), 1..4)).prop_map(|(absolute, parts)| {
        let joined = parts.join("/");
        if absolute {
            format!("/{joined}")
        } else {
            joined
        }
    })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (path(), "[a-z]{0,20}").prop_map(|(p, c)| file(&p, &c)),
        path().prop_map(|p| dir(&p)),
        (path(), path()).prop_map(|(p, t)| symlink(&p, &t)),
        (path(), path()).prop_map(|(p, t)| hardlink(&p, &t)),
        path().prop_map(|p| whiteout(&p)),
        path().prop_map(|p| opaque(&p)),
    ]
}

fn layer() -> impl Strategy<Value = Layer> {
    (
        proptest::collection::vec(op(), 0..6),
        0u8..3,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(ops, compression, dot, gnu)| {
            let mut l = Layer::new("RUN fuzz", ops);
            if dot {
                l = l.dot();
            }
            if gnu {
                l = l.gnu();
            }
            match compression {
                1 => l.gzip(),
                2 => l.zstd(),
                _ => l,
            }
        })
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        Just(Shape::Legacy),
        Just(Shape::Oci),
        Just(Shape::OciNoManifest)
    ]
}

/// Parse, and on success walk everything a UI would show.
fn check_archive(bytes: &[u8]) -> Result<(), TestCaseError> {
    match analyze_archive(bytes, "fuzz.tar") {
        Ok(analysis) => {
            let _ = analysis.report();
            let _ = analysis.image_tree().len();
            for index in 0..analysis.layers().len() {
                if let Err(e) = analysis.layer_tree(index) {
                    prop_assert!(!e.to_string().trim().is_empty());
                }
            }
        }
        Err(e) => {
            let message: String = e.to_string();
            prop_assert!(!message.trim().is_empty(), "empty error: {e:?}");
            let ru = e.message(layerlab::i18n::Lang::Ru);
            prop_assert!(!ru.trim().is_empty(), "empty Russian error: {e:?}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(200))]

    /// Generated images with hostile entry names, then damaged anywhere.
    #[test]
    fn mutated_archives_never_panic(
        layers in proptest::collection::vec(layer(), 1..4),
        shape in shape(),
        mutations in proptest::collection::vec(mutation(), 0..4),
    ) {
        let archive = members(&ArchiveSpec::new(shape, layers)).tar();
        check_archive(&apply(archive, &mutations))?;
    }

    /// The outer tar intact, one member (a layer blob, the config, the
    /// manifest or index) damaged: reaches deeper than outer damage.
    #[test]
    fn archives_with_one_damaged_member_never_panic(
        layers in proptest::collection::vec(layer(), 1..3),
        shape in shape(),
        pick in any::<usize>(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let mut archive = members(&ArchiveSpec::new(shape, layers));
        let index = pick % archive.0.len();
        let damaged = apply(std::mem::take(&mut archive.0[index].1), &mutations);
        archive.0[index].1 = damaged;
        check_archive(&archive.tar())?;
    }

    /// Not an archive at all: random bytes, and compressed-looking garbage.
    #[test]
    fn garbage_never_panics(
        magic in prop_oneof![
            Just(Vec::new()),
            Just(vec![0x1f, 0x8b, 0x08, 0x00]),
            Just(vec![0x28, 0xb5, 0x2f, 0xfd]),
            Just(b"ustar".to_vec()),
        ],
        body in proptest::collection::vec(any::<u8>(), 0..3000),
    ) {
        check_archive(&[magic, body].concat())?;
    }
}

/// gzip and zstd layers whose compressed stream is cut or corrupted, inside
/// an otherwise valid archive.
#[test]
fn broken_compressed_layers_are_errors_naming_the_layer() {
    for compression in [Compress::Gzip, Compress::Zstd] {
        let mut l = Layer::new("RUN x", vec![file("etc/a", &"a".repeat(5000))]);
        l.compress = compression;
        let mut archive = members(&ArchiveSpec::new(Shape::Legacy, vec![l]));
        let index = archive
            .0
            .iter()
            .position(|(p, _)| p.ends_with("layer.tar"))
            .expect("a layer member");
        let blob = &mut archive.0[index].1;
        let keep = blob.len() / 2;
        blob.truncate(keep);
        let err: LayersError = analyze_archive(&archive.tar()[..], "cut.tar")
            .err()
            .unwrap_or_else(|| panic!("a cut {compression:?} layer must be an error"));
        let text = err.to_string();
        assert!(text.contains("layer.tar"), "{compression:?}: {text}");
    }
}

// ----------------------------------------------------------- regressions

/// Every input that once crashed stays fixed. `*.tar` go to the archive
/// reader, `*.yaml` replace the named lesson file (`NAME.yaml` replaces the
/// shipped file of that name).
#[test]
fn regression_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/fixtures/fuzz") {
        let path = entry.expect("dir entry").path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let bytes = std::fs::read(&path).expect("read fixture");
        if name.ends_with(".tar") {
            check_archive(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            replayed += 1;
        } else if let Some(lesson) = name.strip_suffix(".yaml") {
            let target = yaml_files()
                .into_iter()
                .find(|f| lesson.starts_with(f.trim_end_matches(".yaml")))
                .unwrap_or_else(|| panic!("{name}: no shipped lesson file it replaces"));
            check_lesson_input(&target, bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no fixtures replayed from {}", dir.display());
}
