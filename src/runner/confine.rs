//! The run-time half of the lesson pack's trust boundary (the rules are in
//! `lesson/trust.rs`): every path a step names is checked after its
//! placeholders are filled, saved variables included, against the disk
//! with symlinks resolved, and BEFORE anything is created, mounted, read
//! or written. A refusal is the step's failure message; nothing happened.
//!
//! Kept apart from `runner/mod.rs` so each action there needs one call.

use std::path::{Path, PathBuf};

use crate::i18n::{Lang, Text};
use crate::lesson::loader::Pack;
use crate::lesson::trust;
use crate::tr;

/// A workspace path (filled) as the real path to use, or the refusal in
/// both languages.
pub fn workspace_path(workspace: &Path, filled: &str) -> Result<PathBuf, Text> {
    trust::resolve_in_workspace(workspace, filled)
        .map_err(|refused| Text::from_fn(|lang| refused.message(lang)))
}

fn io_error(path: &Path, e: &std::io::Error) -> Text {
    Text::plain(format!("{}: {e}", path.display()))
}

/// A workspace file a step reads (`show_file`, `file_contains`): confined,
/// and a link in its place is never followed out.
pub fn read_file(workspace: &Path, filled: &str) -> Result<String, Text> {
    let file = workspace_path(workspace, filled)?;
    std::fs::read_to_string(&file).map_err(|e| io_error(&file, &e))
}

/// The bind mounts of a `run` action (filled `HOST:/inside` strings): every
/// host folder is checked first; only when all are inside the workspace are
/// the missing ones created, and then checked again (a link could have
/// appeared in between). The real paths are what the daemon gets.
pub fn binds(workspace: &Path, volumes: &[String]) -> Result<Vec<(PathBuf, String)>, Text> {
    let mut checked = Vec::new();
    for volume in volumes {
        let Some((host, inside)) = volume.split_once(':') else {
            return Err(Text::from_fn(|lang| {
                tr!(
                    lang,
                    "том `{volume}`: ожидалось ПАПКА:/путь",
                    "volume `{volume}`: expected FOLDER:/path"
                )
            }));
        };
        checked.push((workspace_path(workspace, host)?, host, inside));
    }
    let mut binds = Vec::new();
    for (real, host, inside) in checked {
        std::fs::create_dir_all(&real).map_err(|e| io_error(&real, &e))?;
        // Checked again now that it exists: a link could have appeared.
        let real = workspace_path(workspace, host)?;
        binds.push((real, inside.to_string()));
    }
    Ok(binds)
}

/// A build's context folder (filled), confined like any workspace path;
/// its Dockerfile must be a plain path inside it (the context is sent
/// without following links, see `docker/build_context.rs`).
pub fn build_context(workspace: &Path, context: &str, dockerfile: &str) -> Result<PathBuf, Text> {
    let dir = workspace_path(workspace, context)?;
    trust::lexical(dockerfile).map_err(|why| {
        let refused = trust::Refused {
            path: dockerfile.to_string(),
            root: dir.clone(),
            why,
        };
        Text::from_fn(|lang| refused.message(lang))
    })?;
    Ok(dir)
}

/// The file a `load` step reads: the one the learner named in the UI
/// (`{base_archive}` written alone) may be anywhere; any other path the
/// pack names is a workspace path.
pub fn load_path(workspace: &Path, written: &str, filled: &str) -> Result<PathBuf, Text> {
    if written.trim() == "{base_archive}" {
        Ok(PathBuf::from(filled))
    } else {
        workspace_path(workspace, filled)
    }
}

/// Copy an assets folder into the workspace folder `to` (filled). A file
/// the learner already changed is kept unless `overwrite`: their page must
/// survive a re-run. Every file goes through the workspace check, and a
/// link where a file should be is refused rather than written through.
/// Returns (target folder, files written, files kept).
pub fn copy_assets(
    pack: &Pack,
    from: &str,
    workspace: &Path,
    to: &str,
    overwrite: bool,
) -> Result<(PathBuf, usize, usize), Text> {
    let target = workspace_path(workspace, to)?;
    let files = pack.asset_files(from);
    if files.is_empty() {
        return Err(Text::from_fn(|lang| {
            tr!(
                lang,
                "в наборе нет папки ресурсов `{from}`",
                "no assets folder `{from}` in the pack"
            )
        }));
    }
    // Check every destination before writing the first one.
    let mut planned = Vec::new();
    for file in &files {
        let relative = Path::new(to).join(file.path);
        let path = workspace_path(workspace, &relative.display().to_string())?;
        planned.push((path, file.contents));
    }
    let (mut copied, mut kept) = (0, 0);
    for (path, contents) in planned {
        if !overwrite && path.exists() {
            kept += 1;
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io_error(dir, &e))?;
        }
        std::fs::write(&path, contents).map_err(|e| io_error(&path, &e))?;
        copied += 1;
    }
    Ok((target, copied, kept))
}

/// Whether a step gives a container power over the host (the format can
/// ask for that only with `privileged`; it has no field for capabilities,
/// devices or host namespaces): the TUI asks an explicit y/N showing the
/// full command, and the worker lets it run only after that `y`.
pub fn host_access(step: &crate::lesson::Step) -> bool {
    matches!(
        step.action,
        Some(crate::lesson::Action::Run {
            privileged: true,
            ..
        })
    )
}

/// Whether a step runs only with the learner's say-so: host access, or
/// any step the pack marks `confirm` (slow or far-reaching work, like a
/// push). Headless `layerlab run` needs `--yes` for these.
pub fn needs_consent(step: &crate::lesson::Step) -> bool {
    step.confirm || host_access(step)
}

/// What the learner agrees to before a step with host access runs: the
/// `docker run` the action amounts to, derived from the action with its
/// values filled and its bind mounts resolved (never the pack's own
/// `docker:` line, which nothing runs); for other steps that ask, the
/// filled `docker:` line or the action's name.
pub fn consent_command(
    step: &crate::lesson::Step,
    fill: impl Fn(&str) -> String,
    workspace: &Path,
    lang: Lang,
) -> String {
    match &step.action {
        Some(crate::lesson::Action::Run {
            name,
            image,
            ports,
            volumes,
            cmd,
            privileged,
            ..
        }) => {
            let mut binds = Vec::new();
            for volume in volumes {
                let volume = fill(volume);
                let (host, inside) = volume.split_once(':').unwrap_or((&volume, ""));
                match workspace_path(workspace, host) {
                    Ok(real) => binds.push((real, inside.to_string())),
                    Err(refused) => return refused.get(lang).to_string(),
                }
            }
            crate::lesson::shown::run_command(
                &super::container_name(name),
                &fill(image),
                ports,
                &binds,
                cmd.as_deref(),
                *privileged,
            )
        }
        _ => match &step.docker {
            Some(docker) => trust::printable(&fill(docker)),
            None => step.id.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_are_checked_all_before_any_folder_is_made() {
        let top = tempfile::tempdir().unwrap();
        let ws = top.path().join("ws");
        std::fs::create_dir_all(&ws).unwrap();
        let volumes = vec![
            "made:/a".to_string(),
            format!("{}/../escape:/b", ws.display()),
        ];
        let error = binds(&ws, &volumes).unwrap_err();
        let error = error.get(Lang::En);
        assert!(error.contains("must stay inside"), "{error}");
        assert!(!ws.join("made").exists(), "nothing was created");
        assert!(!top.path().join("escape").exists());

        let ok = binds(&ws, &["logs:/var/log/nginx".to_string()]).unwrap();
        assert_eq!(ok[0].0, std::fs::canonicalize(ws.join("logs")).unwrap());
    }

    #[test]
    fn a_planted_link_is_not_read_through() {
        let top = tempfile::tempdir().unwrap();
        let ws = top.path().join("ws");
        std::fs::create_dir_all(ws.join("logs")).unwrap();
        std::fs::write(top.path().join("secret"), "token").unwrap();
        std::os::unix::fs::symlink(top.path().join("secret"), ws.join("logs/access.log")).unwrap();
        let error = read_file(&ws, "logs/access.log").unwrap_err();
        assert!(
            error.get(Lang::Ru).contains("символическая ссылка"),
            "{error:?}"
        );
        assert!(error.get(Lang::En).contains("symbolic link"), "{error:?}");
        assert!(!error.get(Lang::En).contains("token"));
    }
}
