//! One layerlab at a time on a data dir. Two instances each rewrite the
//! whole progress file from their own memory, so the one that saves last
//! erased the other's finished steps (issue 11: `run disposable` ∥ `run
//! run` lost 14 steps, 3 times out of 3). The instances that write
//! progress (the UI, `run`, `clean`) hold an advisory lock on
//! `DATA_DIR/layerlab.lock`; a second one says which process holds it and
//! waits for it to finish. The kernel drops the lock when its holder exits,
//! however it exits (`kill -9` too), so a stale lock cannot exist.
//!
//! flock(2) through rustix: `std::fs::File::lock` would do the same but
//! needs Rust 1.89, above the crate's MSRV (1.85).

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::i18n::Lang;

/// Held while this process may write the data dir; dropping it unlocks.
#[derive(Debug)]
pub struct DataDirLock {
    _file: std::fs::File,
    path: PathBuf,
}

impl DataDirLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

pub fn lock_file() -> PathBuf {
    crate::paths::data_dir().join("layerlab.lock")
}

/// Who holds the lock, as the holder wrote it ("pid 1234: layerlab run all").
fn holder(file: &mut std::fs::File) -> String {
    let mut text = String::new();
    let _ = file.rewind();
    let _ = file.take(512).read_to_string(&mut text);
    let text = text.trim();
    if text.is_empty() {
        "another layerlab".to_string()
    } else {
        crate::sanitize::clean(text).into_owned()
    }
}

fn open(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

fn write_holder(file: &mut std::fs::File) {
    let args: Vec<String> = std::env::args()
        .map(|a| crate::sanitize::clean(&a).into_owned())
        .collect();
    let text = format!("pid {}: {}\n", std::process::id(), args.join(" "));
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = file.write_all(text.as_bytes());
    let _ = file.sync_data();
}

/// Take the lock on `path` without waiting: `Err(holder)` when another
/// process has it.
pub fn try_lock(path: &Path) -> std::io::Result<Result<DataDirLock, String>> {
    let mut file = open(path)?;
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {
            write_holder(&mut file);
            Ok(Ok(DataDirLock {
                _file: file,
                path: path.to_path_buf(),
            }))
        }
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(Err(holder(&mut file))),
        Err(e) => Err(e.into()),
    }
}

/// Take the lock on `path`; if another process holds it, say who (once, via
/// `tell`) and wait until it is free. Polling (not a blocking flock) keeps
/// Ctrl-C working and the runtime free.
pub async fn lock_or_wait(
    path: &Path,
    lang: Lang,
    mut tell: impl FnMut(String),
) -> std::io::Result<DataDirLock> {
    let mut told = false;
    loop {
        match try_lock(path)? {
            Ok(lock) => return Ok(lock),
            Err(holder) if !told => {
                told = true;
                let dir = path.parent().unwrap_or(path).display().to_string();
                tell(crate::tr!(
                    lang,
                    "папка данных {dir} занята ({holder}); жду, пока он закончит (Ctrl-C — отменить)",
                    "the data dir {dir} is in use ({holder}); waiting for it to finish (Ctrl-C to stop)"
                ));
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The data dir's lock, waiting for another instance, telling on stderr.
pub async fn lock_data_dir(lang: Lang) -> std::io::Result<DataDirLock> {
    lock_or_wait(&lock_file(), lang, |m| eprintln!("layerlab: {m}")).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_holder_is_told_who_and_waits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("layerlab.lock");
        let first = try_lock(&path).expect("io").expect("free");
        // flock is per open file description: a second open in this same
        // process conflicts like another process would.
        let holder = try_lock(&path).expect("io").expect_err("held");
        assert!(
            holder.contains(&format!("pid {}", std::process::id())),
            "{holder}"
        );
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let waiter = tokio::spawn({
            let path = path.clone();
            async move { lock_or_wait(&path, Lang::En, move |m| tx.send(m).expect("send")).await }
        });
        let told = rx.recv().await.expect("told");
        assert!(told.contains("is in use") && told.contains("pid"), "{told}");
        assert!(!waiter.is_finished(), "waits while held");
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("gets it once free")
            .expect("task")
            .expect("io");
        assert_eq!(second.path(), path);
    }
}
