//! The trust boundary of a lesson pack: which paths a pack may name.
//!
//! A pack is somebody else's YAML (teachers share packs; one may come from
//! the internet), so every path it names is checked twice:
//!
//! - statically, by `validate`, where the text alone decides it
//!   ([`lexical`], [`static_workspace_path`]);
//! - at run time, after the placeholders (saved variables included) are
//!   filled, against the disk with every symlink resolved
//!   ([`resolve_in_workspace`]), so a link planted by a container in a
//!   mounted folder cannot lead a later step out either.
//!
//! Sources (the pack's own files and assets) must stay inside the pack;
//! targets (workspace folders, build contexts, bind mounts, files read or
//! checked) inside the learner's workspace. This module does no I/O except
//! reading metadata and resolving links, so `validate`, the loader and the
//! runner share one rule.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use crate::i18n::Lang;
use crate::tr;

/// Why a path was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Escape {
    /// An absolute path that is not under the workspace.
    Absolute,
    /// A `..` part: packs never need one, and it is how paths climb out.
    ParentDir,
    /// Nothing at all (where a path is needed).
    Empty,
    /// A symlink on the way leads outside (its resolved target).
    LinkOutside(PathBuf),
    /// A symlink on the way points at nothing, so where it leads cannot be known.
    DanglingLink(PathBuf),
    /// A character a file name should never hold (NUL, a control character).
    BadCharacter,
}

/// A refused path, with the place it had to stay in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The path as the pack wrote it (after filling placeholders).
    pub path: String,
    pub root: PathBuf,
    pub why: Escape,
}

impl Refused {
    /// The learner-facing sentence: what was refused, where it had to stay, why.
    pub fn message(&self, lang: Lang) -> String {
        let (path, root) = (printable(&self.path), self.root.display());
        let why = match &self.why {
            Escape::Absolute => tr!(
                lang,
                "абсолютный путь вне {root}",
                "an absolute path outside {root}"
            ),
            Escape::ParentDir => tr!(
                lang,
                "путь с `..` может выйти за пределы {root}",
                "a path with `..` can climb out of {root}"
            ),
            Escape::Empty => tr!(lang, "пустой путь", "an empty path"),
            Escape::LinkOutside(target) => tr!(
                lang,
                "символическая ссылка ведёт наружу, в {}",
                "a symbolic link leads outside, to {}",
                target.display()
            ),
            Escape::DanglingLink(link) => tr!(
                lang,
                "символическая ссылка {} никуда не ведёт",
                "the symbolic link {} points nowhere",
                link.display()
            ),
            Escape::BadCharacter => tr!(
                lang,
                "в пути есть управляющий символ",
                "the path holds a control character"
            ),
        };
        tr!(
            lang,
            "шаг отклонён: путь «{path}» должен оставаться внутри {root} ({why}); ничего не сделано",
            "step refused: the path `{path}` must stay inside {root} ({why}); nothing was done"
        )
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

/// `text` with control characters shown as `\u{..}`, so a crafted path
/// cannot drive the terminal it is printed on.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The lexical rule for a relative path a pack names: not absolute, no
/// `..` part anywhere, no control characters. (`a/../b` is refused too:
/// a pack never needs it, and it hides where a path goes.)
pub fn lexical(path: &str) -> Result<(), Escape> {
    if path.chars().any(char::is_control) {
        return Err(Escape::BadCharacter);
    }
    if path.starts_with('/') || path.starts_with('\\') {
        return Err(Escape::Absolute);
    }
    if path.split(['/', '\\']).any(|part| part == "..") {
        return Err(Escape::ParentDir);
    }
    if path.split('/').all(|part| part.is_empty() || part == ".") {
        return Err(Escape::Empty);
    }
    Ok(())
}

/// What `validate` can say about a workspace path before anything is
/// filled in. `{workspace}` at the very start stands for the workspace
/// folder; any other placeholder is checked at run time, but a `..` or an
/// absolute start is refused whatever the placeholders will hold.
pub fn static_workspace_path(written: &str) -> Result<(), Escape> {
    match written.strip_prefix("{workspace}") {
        // The workspace itself.
        Some("") => Ok(()),
        Some(rest) if rest.starts_with('/') => match rest.trim_start_matches('/') {
            "" => Ok(()),
            rest => lexical(rest),
        },
        _ => lexical(written),
    }
}

/// The real path of `filled` (a pack's workspace path with its placeholders
/// filled) inside `workspace`, every symlink on the way resolved. An
/// absolute path is accepted only under the workspace (`{workspace}/logs`).
/// Parts that do not exist yet are appended as written (they hold no `..`),
/// so a folder a step is about to create can be checked too.
pub fn resolve_in_workspace(workspace: &Path, filled: &str) -> Result<PathBuf, Refused> {
    let refused = |why| Refused {
        path: filled.to_string(),
        root: workspace.to_path_buf(),
        why,
    };
    let relative = relative_to(workspace, filled).ok_or_else(|| refused(Escape::Absolute))?;
    if relative.is_empty() {
        // The workspace itself (a bind mount of all of it, `{workspace}`).
        return resolve_under(workspace, "").map_err(refused);
    }
    lexical(&relative).map_err(refused)?;
    resolve_under(workspace, &relative).map_err(refused)
}

/// `filled` made relative to `root`: as is when relative, the part under
/// `root` (as written or as resolved) when absolute, `None` when absolute
/// elsewhere.
fn relative_to(root: &Path, filled: &str) -> Option<String> {
    let path = Path::new(filled);
    if !path.is_absolute() {
        return Some(filled.to_string());
    }
    let under = |base: &Path| {
        path.strip_prefix(base)
            .ok()
            .map(|rest| rest.to_string_lossy().into_owned())
    };
    under(root).or_else(|| std::fs::canonicalize(root).ok().and_then(|c| under(&c)))
}

/// `root/relative` with every existing part resolved; an error when a link
/// leads outside `root` or nowhere. `relative` has passed [`lexical`] (or
/// is empty for the root itself).
pub fn resolve_under(root: &Path, relative: &str) -> Result<PathBuf, Escape> {
    let real_root = match std::fs::canonicalize(root) {
        Ok(real) => real,
        // No workspace yet: nothing in it can be a link.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(root.join(relative));
        }
        Err(_) => return Err(Escape::DanglingLink(root.to_path_buf())),
    };
    let mut current = real_root.clone();
    let parts: Vec<Component> = Path::new(relative).components().collect();
    for (i, part) in parts.iter().enumerate() {
        match part {
            Component::Normal(name) => {
                let next = current.join(name);
                match std::fs::symlink_metadata(&next) {
                    Ok(meta) if meta.file_type().is_symlink() => {
                        let target = std::fs::canonicalize(&next)
                            .map_err(|_| Escape::DanglingLink(next.clone()))?;
                        if !target.starts_with(&real_root) {
                            return Err(Escape::LinkOutside(target));
                        }
                        current = target;
                    }
                    Ok(_) => current = next,
                    Err(_) => {
                        // Not there yet: the rest is appended as written.
                        for rest in &parts[i..] {
                            if let Component::Normal(name) = rest {
                                current.push(name);
                            }
                        }
                        return Ok(current);
                    }
                }
            }
            Component::CurDir => {}
            Component::ParentDir => return Err(Escape::ParentDir),
            Component::RootDir | Component::Prefix(_) => return Err(Escape::Absolute),
        }
    }
    Ok(current)
}

/// Where a symlink met while reading a pack folder leads, when that is
/// inside `root` (the pack folder, or its assets folder); `Err` with the
/// reason otherwise. Used by the loader so a pack never reads, and
/// `copy_assets` never copies, anything from outside the pack.
pub fn link_inside(link: &Path, roots: &[&Path]) -> Result<PathBuf, Escape> {
    let target =
        std::fs::canonicalize(link).map_err(|_| Escape::DanglingLink(link.to_path_buf()))?;
    let inside = roots.iter().any(|root| {
        std::fs::canonicalize(root)
            .map(|real| target.starts_with(real))
            .unwrap_or(false)
    });
    if inside {
        Ok(target)
    } else {
        Err(Escape::LinkOutside(target))
    }
}

/// The outside-the-pack assets folder a pack may name: only `../assets`,
/// the repository's own layout (`lessons/` next to `assets/`). Anything
/// else outside the pack folder could be the learner's own files (a pack
/// unpacked in the home folder naming `../Documents`).
pub const OUTSIDE_ASSETS: &str = "../assets";

/// Whether pack.yaml's `assets` value names an allowed folder: inside the
/// pack folder, or exactly [`OUTSIDE_ASSETS`].
pub fn assets_allowed(normalized: &str) -> bool {
    normalized == OUTSIDE_ASSETS || lexical(normalized).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_refuses_climbing_and_absolute_paths() {
        assert_eq!(lexical("web/index.html"), Ok(()));
        assert_eq!(lexical("./web"), Ok(()));
        assert_eq!(lexical("../x"), Err(Escape::ParentDir));
        assert_eq!(lexical("a/../b"), Err(Escape::ParentDir));
        assert_eq!(lexical("/etc"), Err(Escape::Absolute));
        assert_eq!(lexical(""), Err(Escape::Empty));
        assert_eq!(lexical("."), Err(Escape::Empty));
        assert_eq!(lexical("a\u{1b}b"), Err(Escape::BadCharacter));
    }

    #[test]
    fn the_static_check_knows_the_workspace_placeholder() {
        assert_eq!(static_workspace_path("{workspace}/logs"), Ok(()));
        assert_eq!(static_workspace_path("{workspace}"), Ok(()));
        assert_eq!(
            static_workspace_path("{workspace}/../../.."),
            Err(Escape::ParentDir)
        );
        assert_eq!(
            static_workspace_path("{root}/x"),
            Ok(()),
            "run time decides"
        );
        assert_eq!(static_workspace_path("{root}/../x"), Err(Escape::ParentDir));
        assert_eq!(static_workspace_path("/{root}"), Err(Escape::Absolute));
        assert_eq!(static_workspace_path(""), Err(Escape::Empty));
        assert_eq!(static_workspace_path("{workspace}/"), Ok(()));
    }

    #[test]
    fn run_time_paths_stay_in_the_workspace_through_links() {
        let top = tempfile::tempdir().unwrap();
        let ws = top.path().join("ws");
        std::fs::create_dir_all(ws.join("logs")).unwrap();
        std::fs::create_dir_all(top.path().join("secret")).unwrap();
        std::os::unix::fs::symlink(top.path().join("secret"), ws.join("out")).unwrap();
        std::os::unix::fs::symlink(ws.join("logs"), ws.join("in")).unwrap();
        std::os::unix::fs::symlink(top.path().join("nothing"), ws.join("dangling")).unwrap();
        let real_ws = std::fs::canonicalize(&ws).unwrap();

        assert_eq!(
            resolve_in_workspace(&ws, "logs/new/file").unwrap(),
            real_ws.join("logs/new/file")
        );
        assert_eq!(
            resolve_in_workspace(&ws, &format!("{}/logs", ws.display())).unwrap(),
            real_ws.join("logs")
        );
        assert_eq!(
            resolve_in_workspace(&ws, "in/a").unwrap(),
            real_ws.join("logs/a")
        );
        let out = resolve_in_workspace(&ws, "out/x").unwrap_err();
        assert!(matches!(out.why, Escape::LinkOutside(_)), "{out:?}");
        assert!(out.message(Lang::En).contains("must stay inside"));
        assert!(out.message(Lang::Ru).contains("должен оставаться внутри"));
        let dangling = resolve_in_workspace(&ws, "dangling").unwrap_err();
        assert!(matches!(dangling.why, Escape::DanglingLink(_)));
        assert_eq!(
            resolve_in_workspace(&ws, &format!("{}/..", ws.display()))
                .unwrap_err()
                .why,
            Escape::ParentDir
        );
        assert_eq!(
            resolve_in_workspace(&ws, "/etc").unwrap_err().why,
            Escape::Absolute
        );
        assert_eq!(
            resolve_in_workspace(&ws, "logs/../../x").unwrap_err().why,
            Escape::ParentDir
        );
    }

    #[test]
    fn assets_may_sit_inside_or_be_the_sibling_assets_folder() {
        assert!(assets_allowed("assets"));
        assert!(assets_allowed("stuff/assets"));
        assert!(assets_allowed("../assets"));
        assert!(!assets_allowed("../Documents"));
        assert!(!assets_allowed("../../.."));
        assert!(!assets_allowed(".."));
    }
}
