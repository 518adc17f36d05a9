//! Where layerlab keeps the learner's things: XDG data dir (progress, workspace,
//! answers, logs). Nothing is ever written next to the binary or into the pack.

use std::path::PathBuf;

/// `$LAYERLAB_DATA_DIR`, else `$XDG_DATA_HOME/layerlab`, else `~/.local/share/layerlab`.
/// The first exists so tests and teachers can keep several learners apart.
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("LAYERLAB_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("layerlab");
    }
    home_dir().join(".local/share/layerlab")
}

pub fn home_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// The learner's copy of the lesson files; lessons build from here.
pub fn workspace_dir() -> PathBuf {
    data_dir().join("workspace")
}

pub fn progress_file() -> PathBuf {
    data_dir().join("progress.json")
}

/// What layerlab created on the Docker Engine (`docker::owned`), so `clean`
/// removes only that.
pub fn owned_file() -> PathBuf {
    data_dir().join("owned.jsonl")
}

pub fn log_dir() -> PathBuf {
    data_dir().join("logs")
}

/// Write `contents` to `path` so a reader never sees half a file: a temporary
/// sibling, fsync, then rename over the old one.
pub fn write_atomically(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
