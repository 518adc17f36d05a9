//! Reading a lesson pack: the one built into the binary, or a folder given
//! with `--lessons DIR`. Both become the same [`PackFiles`] (logical path ->
//! bytes), so validating and loading are one code path whatever the source.
//!
//! Logical paths are relative to the pack folder, with `/`, lexically
//! normalised; the assets folder may sit outside it (`assets: ../assets`), so
//! a logical path may start with `../`.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Component, Path, PathBuf};

use include_dir::{Dir, include_dir};

use super::model::{Lesson, PackManifest, Step};
use super::validate::{self, Problem};

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
        read_tree(&mut pack, dir, dir, "", 0, &mut budget)?;
        let assets = pack.assets_prefix(&assets_field(&pack));
        if assets.starts_with("../") {
            let on_disk = dir.join(&assets);
            if on_disk.is_dir() {
                pack.dirs.insert(assets.clone());
                read_tree(&mut pack, dir, &on_disk, &assets, 0, &mut budget)?;
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
        }
    }

    fn insert(&mut self, key: String, contents: Cow<'static, [u8]>) {
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
/// is validated (a broken pack.yaml still gets its assets read).
fn assets_field(pack: &PackFiles) -> String {
    pack.get(MANIFEST)
        .and_then(|bytes| serde_yaml::from_slice::<serde_yaml::Value>(bytes).ok())
        .and_then(|value| value.get("assets")?.as_str().map(str::to_string))
        .unwrap_or_else(|| "assets".into())
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
    root: &Path,
    dir: &Path,
    prefix: &str,
    depth: usize,
    budget: &mut Budget,
) -> Result<(), PackError> {
    let read_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PackError::Read { path, source }
    };
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
        // Follows symlinks: a teacher may link a shared assets folder in.
        let metadata = std::fs::metadata(&path).map_err(read_error(&path))?;
        let key = normalize(&format!("{prefix}/{name}"));
        if metadata.is_dir() {
            pack.dirs.insert(key.clone());
            read_tree(pack, root, &path, &key, depth + 1, budget)?;
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

/// A loaded, valid lesson pack.
#[derive(Debug, Clone)]
pub struct Pack {
    pub manifest: PackManifest,
    /// In teaching order (pack.yaml's `lessons`).
    pub lessons: Vec<Lesson>,
    /// "the embedded lesson pack" or "the lesson pack in DIR", for messages.
    pub source: String,
    pub files: PackFiles,
    /// Problems that do not stop the pack from loading (e.g. an unlisted file).
    pub warnings: Vec<Problem>,
}

/// A file of the assets, with its path relative to the folder asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssetFile<'a> {
    pub path: &'a str,
    pub contents: &'a [u8],
}

impl Pack {
    /// `--lessons DIR` when given, else the embedded pack.
    pub fn load(dir: Option<&Path>) -> Result<Pack, PackError> {
        match dir {
            Some(dir) => Pack::from_files(PackFiles::from_dir(dir)?),
            None => Pack::embedded(),
        }
    }

    pub fn embedded() -> Result<Pack, PackError> {
        Pack::from_files(PackFiles::embedded())
    }

    /// Validates, then loads; a pack with any error is refused with all of them.
    pub fn from_files(files: PackFiles) -> Result<Pack, PackError> {
        let checked = validate::check(&files);
        if !checked.report.is_valid() {
            return Err(PackError::Invalid {
                source_description: files.describe(),
                problems: checked.report.problems,
            });
        }
        match (checked.manifest, checked.lessons) {
            (Some(manifest), Some(lessons)) => Ok(Pack {
                manifest,
                lessons,
                source: files.describe(),
                files,
                warnings: checked.report.problems,
            }),
            // check() only reports a pack valid when both were read.
            _ => Err(PackError::Invalid {
                source_description: files.describe(),
                problems: checked.report.problems,
            }),
        }
    }

    pub fn lesson(&self, id: &str) -> Option<&Lesson> {
        self.lessons.iter().find(|lesson| lesson.id == id)
    }

    /// A step by `lesson-id/step-id`.
    pub fn step(&self, reference: &str) -> Option<(&Lesson, &Step)> {
        let (lesson_id, step_id) = reference.split_once('/')?;
        let lesson = self.lesson(lesson_id)?;
        let step = lesson.steps.iter().find(|step| step.id == step_id)?;
        Some((lesson, step))
    }

    /// A step reference as written in `needs` or `teaches`: `lesson-id/step-id`,
    /// or a bare `step-id` meaning a step of `from_lesson`.
    pub fn resolve_step(&self, from_lesson: &str, reference: &str) -> Option<(&Lesson, &Step)> {
        if reference.contains('/') {
            self.step(reference)
        } else {
            self.step(&format!("{from_lesson}/{reference}"))
        }
    }

    pub fn step_count(&self) -> usize {
        self.lessons.iter().map(|lesson| lesson.steps.len()).sum()
    }

    fn assets_key(&self, path: &str) -> String {
        normalize(&format!("{}/{path}", self.manifest.assets))
    }

    /// One asset file, by its path under the assets folder (`nginx-alpine/Dockerfile`).
    pub fn read_asset(&self, path: &str) -> Option<&[u8]> {
        if !stays_inside(path) {
            return None;
        }
        self.files.get(&self.assets_key(path))
    }

    pub fn is_asset_dir(&self, path: &str) -> bool {
        (path.is_empty() || stays_inside(path)) && self.files.is_dir(&self.assets_key(path))
    }

    /// Every file under an assets folder (recursively), paths relative to it,
    /// sorted; what `copy_assets` copies. Empty when the folder does not exist.
    pub fn asset_files(&self, folder: &str) -> Vec<AssetFile<'_>> {
        if !(folder.is_empty() || stays_inside(folder)) {
            return Vec::new();
        }
        self.files
            .files_under(&self.assets_key(folder))
            .into_iter()
            .map(|(path, contents)| AssetFile { path, contents })
            .collect()
    }
}

impl fmt::Display for PackOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PackOrigin::Embedded => f.write_str("embedded"),
            PackOrigin::Folder(dir) => write!(f, "{}", dir.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACK: &str =
        "format_version: 1\ntitle: {ru: Т, en: T}\nlessons: [one.yaml]\nassets: ../assets\n";
    const LESSON: &str = "format_version: 1\nid: one\ntitle: {ru: Один, en: One}\nsteps:\n  - id: copy\n    kind: action\n    action: {copy_assets: {from: web, to: web}}\n  - id: look\n    kind: file\n    file: {path: web/index.html}\n";

    fn memory_pack() -> PackFiles {
        PackFiles::from_memory(
            PackOrigin::Folder(PathBuf::from("course/pack")),
            [
                ("pack.yaml", PACK.as_bytes().to_vec()),
                ("one.yaml", LESSON.as_bytes().to_vec()),
                ("../assets/web/index.html", b"<h1>hi</h1>".to_vec()),
                ("../assets/web/conf/nginx.conf", b"server {}".to_vec()),
            ],
        )
    }

    #[test]
    fn normalize_folds_dots() {
        assert_eq!(normalize("./a//b/../c"), "a/c");
        assert_eq!(normalize("../assets/./x"), "../assets/x");
        assert_eq!(normalize("a/../../b"), "../b");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn stays_inside_refuses_escapes() {
        assert!(stays_inside("web/index.html"));
        assert!(!stays_inside("../etc"));
        assert!(!stays_inside("/etc/passwd"));
        assert!(!stays_inside("a/../../b"));
        assert!(!stays_inside(""));
    }

    #[test]
    fn a_pack_from_memory_loads_and_finds_steps_and_assets() {
        let pack = Pack::from_files(memory_pack()).expect("valid");
        assert_eq!(pack.lessons.len(), 1);
        assert_eq!(
            pack.step("one/look").map(|(_, s)| s.id.as_str()),
            Some("look")
        );
        assert!(pack.step("one/nope").is_none());
        assert!(pack.step("nope").is_none());
        assert_eq!(
            pack.resolve_step("one", "copy").map(|(l, _)| l.id.as_str()),
            Some("one")
        );
        assert_eq!(pack.read_asset("web/index.html"), Some(&b"<h1>hi</h1>"[..]));
        assert_eq!(pack.read_asset("../pack/pack.yaml"), None);
        let listed: Vec<&str> = pack.asset_files("web").iter().map(|f| f.path).collect();
        assert_eq!(listed, vec!["conf/nginx.conf", "index.html"]);
        assert!(pack.is_asset_dir("web/conf"));
        assert!(!pack.is_asset_dir("web/index.html"));
        assert_eq!(pack.files.display_path("one.yaml"), "course/pack/one.yaml");
    }

    #[test]
    fn an_invalid_pack_is_refused_with_its_problems() {
        let mut files = memory_pack();
        files.insert(
            "one.yaml".into(),
            Cow::Borrowed(b"format_version: 1\nid: one\n"),
        );
        let error = Pack::from_files(files).unwrap_err();
        let PackError::Invalid { problems, .. } = &error else {
            panic!("{error}")
        };
        assert!(
            problems.iter().any(|p| p.message.contains("`title`")),
            "{problems:?}"
        );
        assert!(
            error.to_string().contains("course/pack/one.yaml:1:1"),
            "{error}"
        );
    }

    #[test]
    fn the_embedded_pack_is_valid_and_lists_under_lessons() {
        let files = PackFiles::embedded();
        assert!(files.is_file("pack.yaml"));
        assert_eq!(files.display_path("pack.yaml"), "lessons/pack.yaml");
        assert_eq!(files.display_path("../assets/x"), "assets/x");
        let pack = Pack::embedded().unwrap_or_else(|e| panic!("{e}"));
        assert!(!pack.lessons.is_empty());
    }

    #[test]
    fn a_folder_pack_reads_its_outside_assets() {
        let root = tempfile::tempdir().unwrap();
        let pack_dir = root.path().join("pack");
        std::fs::create_dir_all(pack_dir.join("notes")).unwrap();
        std::fs::create_dir_all(root.path().join("assets/web/conf")).unwrap();
        std::fs::write(pack_dir.join("pack.yaml"), PACK).unwrap();
        std::fs::write(pack_dir.join("one.yaml"), LESSON).unwrap();
        std::fs::write(pack_dir.join("notes/todo.txt"), "x").unwrap();
        std::fs::write(root.path().join("assets/web/index.html"), "<h1>hi</h1>").unwrap();
        let files = PackFiles::from_dir(&pack_dir).unwrap();
        assert!(files.is_file("notes/todo.txt"));
        assert!(files.is_dir("../assets/web/conf"));
        let pack = Pack::from_files(files).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pack.read_asset("web/index.html"), Some(&b"<h1>hi</h1>"[..]));
    }

    #[test]
    fn a_missing_folder_says_which() {
        let error = PackFiles::from_dir(Path::new("/no/such/pack")).unwrap_err();
        assert!(error.to_string().contains("/no/such/pack"), "{error}");
    }
}
