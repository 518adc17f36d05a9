//! Reading a lesson pack: the one built into the binary, or a folder given
//! with `--lessons DIR`. Both become the same [`PackFiles`] (logical path ->
//! bytes), so validating and loading are one code path whatever the source.
//!
//! Logical paths are relative to the pack folder, with `/`, lexically
//! normalised; the assets folder may sit outside it (`assets: ../assets`), so
//! a logical path may start with `../`.

use std::path::Path;

pub use super::files::{PackError, PackFiles, PackOrigin};
use super::files::{normalize, stays_inside};
use super::model::{Lesson, PackManifest, Step};
use super::problem::Problem;
use super::validate;

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

    /// The asset a workspace file was copied from by one of the pack's
    /// `copy_assets` steps (`nginx-alpine/Dockerfile` → its template), to
    /// tell a file the learner has not touched from one they wrote.
    pub fn template_of(&self, workspace_path: &str) -> Option<&[u8]> {
        let path = workspace_path.trim_start_matches("./");
        for lesson in &self.lessons {
            for step in &lesson.steps {
                if let Some(super::Action::CopyAssets { from, to, .. }) = &step.action {
                    let rest = if to.is_empty() {
                        Some(path)
                    } else {
                        path.strip_prefix(&format!("{to}/"))
                    };
                    if let Some(rest) = rest
                        && let Some(bytes) = self.read_asset(&format!("{from}/{rest}"))
                    {
                        return Some(bytes);
                    }
                }
            }
        }
        None
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

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::path::PathBuf;

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
