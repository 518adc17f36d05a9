//! The files of a lesson pack: the one built into the binary, or a folder
//! given with `--lessons DIR`. Both become the same [`PackFiles`] (logical
//! path -> bytes), so validating and loading are one code path whatever the
//! source.
//!
//! Logical paths are relative to the pack folder, with `/`, lexically
//! normalised; the assets folder may sit outside it (`assets: ../assets`), so
//! a logical path may start with `../`.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Component, Path, PathBuf};

use include_dir::{Dir, include_dir};

use super::problem::Problem;
use super::trust::{self, Escape};

static EMBEDDED_LESSONS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/lessons");
static EMBEDDED_ASSETS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/assets");
/// Where the embedded assets sit relative to the embedded pack, as in the repo.
const EMBEDDED_ASSETS_AT: &str = "../assets";

/// A folder pack bigger than this is almost surely a wrong `--lessons` path.
const MAX_FILES: usize = 5_000;
const MAX_BYTES: u64 = 64 * 1024 * 1024;
const MAX_DEPTH: usize = 32;

pub const MANIFEST: &str = "pack.yaml";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackOrigin {
    Embedded,
    /// The folder exactly as the user gave it, so messages show paths they typed.
    Folder(PathBuf),
}

#[derive(Debug, Clone)]
pub struct PackFiles {
    origin: PackOrigin,
    files: BTreeMap<String, Cow<'static, [u8]>>,
    dirs: BTreeSet<String>,
    /// Entries of a folder pack that were not read because they lead out of
    /// the pack (a symlink to `/proc/self/environ`, to `~/.docker`):
    /// logical path and why. `validate` reports each as an error.
    refused: Vec<(String, Escape)>,
}

#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("cannot read the lesson pack at {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} holds more than {MAX_FILES} files or {} MiB: is it really a lesson pack folder?",
        MAX_BYTES / 1024 / 1024
    )]
    TooBig { path: PathBuf },
    #[error("{}", invalid_message(.source_description, .problems))]
    Invalid {
        source_description: String,
        problems: Vec<Problem>,
    },
}

fn invalid_message(source_description: &str, problems: &[Problem]) -> String {
    let errors: Vec<String> = problems
        .iter()
        .filter(|p| p.is_error())
        .map(|p| p.to_string())
        .collect();
    format!(
        "{source_description} has {} problem(s); run `layerlab validate` for the full list:\n{}",
        errors.len(),
        errors.join("\n")
    )
}

impl PackFiles {
    /// The pack compiled into the binary from the repo's `lessons/` and `assets/`.
    pub fn embedded() -> PackFiles {
        let mut pack = PackFiles::empty(PackOrigin::Embedded);
        add_embedded(&mut pack, &EMBEDDED_LESSONS, "");
        add_embedded(&mut pack, &EMBEDDED_ASSETS, EMBEDDED_ASSETS_AT);
        pack
    }

    /// A pack folder: every file under `dir`, plus the assets folder named
    /// in its pack.yaml when that lies outside `dir`.
    pub fn from_dir(dir: &Path) -> Result<PackFiles, PackError> {
        let mut pack = PackFiles::empty(PackOrigin::Folder(dir.to_path_buf()));
        let metadata = std::fs::metadata(dir).map_err(|source| PackError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        if !metadata.is_dir() {
            return Err(PackError::Read {
                path: dir.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotADirectory,
                    "not a folder (give the folder that holds pack.yaml)",
                ),
            });
        }
        let mut budget = Budget::default();
        read_tree(&mut pack, &[dir], dir, "", 0, &mut budget)?;
        let assets = pack.assets_prefix(&assets_field(&pack));
        // Outside the pack folder only `../assets` is read, and only when it
        // really is a folder beside the pack (not a link to the home folder):
        // anything else there may be the learner's own files.
        if assets == trust::OUTSIDE_ASSETS {
            let on_disk = dir.join(&assets);
            match sibling_folder(dir, &on_disk) {
                Ok(true) => {
                    pack.dirs.insert(assets.clone());
                    read_tree(&mut pack, &[&on_disk], &on_disk, &assets, 0, &mut budget)?;
                }
                Ok(false) => {}
                Err(why) => pack.refused.push((assets.clone(), why)),
            }
        }
        Ok(pack)
    }

    /// A pack from memory, for tests and tools.
    pub fn from_memory<I, K>(origin: PackOrigin, files: I) -> PackFiles
    where
        I: IntoIterator<Item = (K, Vec<u8>)>,
        K: AsRef<str>,
    {
        let mut pack = PackFiles::empty(origin);
        for (key, contents) in files {
            pack.insert(normalize(key.as_ref()), Cow::Owned(contents));
        }
        pack
    }

    fn empty(origin: PackOrigin) -> PackFiles {
        let mut dirs = BTreeSet::new();
        dirs.insert(String::new());
        PackFiles {
            origin,
            files: BTreeMap::new(),
            dirs,
            refused: Vec::new(),
        }
    }

    pub(crate) fn insert(&mut self, key: String, contents: Cow<'static, [u8]>) {
        let mut parent = key.as_str();
        while let Some((dir, _)) = parent.rsplit_once('/') {
            self.dirs.insert(dir.to_string());
            parent = dir;
        }
        self.files.insert(key, contents);
    }

    pub fn origin(&self) -> &PackOrigin {
        &self.origin
    }

    /// "the embedded lesson pack" or "the lesson pack in DIR".
    pub fn describe(&self) -> String {
        match &self.origin {
            PackOrigin::Embedded => "the embedded lesson pack".into(),
            PackOrigin::Folder(dir) => format!("the lesson pack in {}", dir.display()),
        }
    }

    /// A logical path as the user would type it: under the folder they gave,
    /// or `lessons/...` for the embedded pack (where it lives in the repo).
    pub fn display_path(&self, key: &str) -> String {
        match &self.origin {
            PackOrigin::Embedded => normalize(&format!("lessons/{key}")),
            PackOrigin::Folder(dir) => dir.join(key).display().to_string(),
        }
    }

    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.files.get(&normalize(key)).map(|c| c.as_ref())
    }

    pub fn is_file(&self, key: &str) -> bool {
        self.files.contains_key(&normalize(key))
    }

    pub fn is_dir(&self, key: &str) -> bool {
        self.dirs.contains(&normalize(key))
    }

    /// What a folder pack holds but layerlab refused to read (links out of the pack).
    pub fn refused(&self) -> &[(String, Escape)] {
        &self.refused
    }

    /// Every logical file path, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Files under folder `dir` (recursively), as (path relative to `dir`, bytes).
    pub fn files_under(&self, dir: &str) -> Vec<(&str, &[u8])> {
        let dir = normalize(dir);
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        self.files
            .range(prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&prefix))
            .map(|(key, contents)| (&key[prefix.len()..], contents.as_ref()))
            .collect()
    }

    /// The logical folder of the assets, from pack.yaml's `assets` value.
    pub fn assets_prefix(&self, assets: &str) -> String {
        normalize(assets)
    }
}

/// pack.yaml's `assets`, read leniently: the loader needs it before the pack
/// is validated (a broken pack.yaml still gets its assets read). Read with
/// the validator's own depth-limited reader: serde_yaml takes quadratic time
/// on deep nesting (200,000 `a: [` took minutes) before any limit applies.
fn assets_field(pack: &PackFiles) -> String {
    pack.get(MANIFEST)
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .and_then(|text| super::yaml::parse(strip_bom(text)).ok().flatten())
        .and_then(|root| {
            root.get("assets")
                .filter(|node| !node.is_null())
                .and_then(|node| node.as_scalar().map(str::to_string))
        })
        .unwrap_or_else(|| "assets".into())
}

/// `text` without a leading UTF-8 byte order mark, which editors on Windows
/// write and YAML readers take for content.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Whether `assets` (the pack's `../assets`) is a real folder beside the
/// pack folder: `Ok(false)` when it does not exist, an error when it (or a
/// link on the way) leads elsewhere or holds the pack itself.
fn sibling_folder(pack_dir: &Path, assets: &Path) -> Result<bool, Escape> {
    if std::fs::symlink_metadata(assets).is_err() {
        return Ok(false);
    }
    let real = std::fs::canonicalize(assets).map_err(|_| Escape::DanglingLink(assets.into()))?;
    let real_pack =
        std::fs::canonicalize(pack_dir).map_err(|_| Escape::DanglingLink(pack_dir.into()))?;
    let beside = real_pack
        .parent()
        .is_some_and(|parent| real.parent() == Some(parent));
    if !beside || real_pack.starts_with(&real) {
        return Err(Escape::LinkOutside(real));
    }
    Ok(real.is_dir())
}

fn add_embedded(pack: &mut PackFiles, dir: &'static Dir<'static>, prefix: &str) {
    for file in dir.files() {
        let key = normalize(&format!("{prefix}/{}", file.path().to_string_lossy()));
        pack.insert(key, Cow::Borrowed(file.contents()));
    }
    for sub in dir.dirs() {
        pack.dirs.insert(normalize(&format!(
            "{prefix}/{}",
            sub.path().to_string_lossy()
        )));
        add_embedded(pack, sub, prefix);
    }
    pack.dirs.insert(normalize(prefix));
}

#[derive(Default)]
struct Budget {
    files: usize,
    bytes: u64,
}

fn read_tree(
    pack: &mut PackFiles,
    roots: &[&Path],
    dir: &Path,
    prefix: &str,
    depth: usize,
    budget: &mut Budget,
) -> Result<(), PackError> {
    let read_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PackError::Read { path, source }
    };
    let root = roots[0];
    if depth > MAX_DEPTH {
        return Err(PackError::TooBig {
            path: root.to_path_buf(),
        });
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(read_error(dir))?
        .collect::<Result<_, _>>()
        .map_err(read_error(dir))?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == ".git" {
            continue;
        }
        let path = entry.path();
        let key = normalize(&format!("{prefix}/{name}"));
        // A link is followed only when it stays inside the pack: a link to
        // `/proc/self/environ` or `~/.docker/config.json` would otherwise be
        // read, copied into the workspace and built into an image.
        let link = std::fs::symlink_metadata(&path)
            .map_err(read_error(&path))?
            .file_type()
            .is_symlink();
        if link && let Err(why) = trust::link_inside(&path, roots) {
            pack.refused.push((key, why));
            continue;
        }
        let metadata = std::fs::metadata(&path).map_err(read_error(&path))?;
        if metadata.is_dir() {
            pack.dirs.insert(key.clone());
            read_tree(pack, roots, &path, &key, depth + 1, budget)?;
        } else if metadata.is_file() {
            budget.files += 1;
            budget.bytes += metadata.len();
            if budget.files > MAX_FILES || budget.bytes > MAX_BYTES {
                return Err(PackError::TooBig {
                    path: root.to_path_buf(),
                });
            }
            let contents = std::fs::read(&path).map_err(read_error(&path))?;
            pack.insert(key, Cow::Owned(contents));
        }
    }
    Ok(())
}

/// Lexical normalisation of a `/`-separated relative path: drops `.` and
/// empty parts, folds `dir/..`; leading `..` stay.
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ => parts.push(".."),
            },
            part => parts.push(part),
        }
    }
    parts.join("/")
}

/// True for a relative path that never climbs out of where it starts: what
/// a workspace path or an asset path must be.
pub fn stays_inside(path: &str) -> bool {
    let path = Path::new(path);
    !path.as_os_str().is_empty()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

impl fmt::Display for PackOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PackOrigin::Embedded => f.write_str("embedded"),
            PackOrigin::Folder(dir) => write!(f, "{}", dir.display()),
        }
    }
}
