//! What layerlab itself created on the Docker Engine, recorded by id in the
//! data dir (`owned.jsonl`). `layerlab clean` removes only what is recorded
//! here: the `layerlab.managed=true` label cannot prove ownership, because
//! an image's labels are inherited by every container started from it and
//! by every image built `FROM` it, so the learner's own `docker run` and
//! `docker build` carry the label too.
//!
//! The file is append-only: one JSON object per line, each written with a
//! single `write` on a file opened with `O_APPEND`, so concurrent writers
//! (two layerlab processes) never interleave inside a line. Only `clean`
//! rewrites it (atomically, `paths::write_atomically`) to drop ids that no
//! longer exist. A torn last line (a crash mid-write) is skipped on reading.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OwnedKind {
    /// A container layerlab created.
    Container,
    /// An image layerlab built, committed or imported (`reference`: the tag it gave).
    Image,
    /// A tag layerlab put on an existing image (`docker tag`).
    Tag,
    /// An image layerlab pulled or loaded: a base the lessons build on;
    /// `clean` keeps it unless `--all`.
    Base,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedRecord {
    pub kind: OwnedKind,
    /// The full id (`sha256:…` for images, 64 hex for containers).
    pub id: String,
    /// The reference layerlab gave it, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// The records file. Cheap to clone; every call opens the file anew, so
/// other processes' appends are seen.
#[derive(Debug, Clone)]
pub struct OwnedLog {
    path: PathBuf,
}

impl OwnedLog {
    pub fn new(path: impl Into<PathBuf>) -> OwnedLog {
        OwnedLog { path: path.into() }
    }

    /// `DATA_DIR/owned.jsonl`.
    pub fn in_data_dir() -> OwnedLog {
        OwnedLog::new(crate::paths::owned_file())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append one record (one `write` of one line).
    pub fn append(&self, record: &OwnedRecord) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        file.write_all(&line)?;
        file.sync_data()
    }

    /// Every readable record; a missing file is an empty list, a line that
    /// does not parse (torn by a crash) is skipped.
    pub fn read(&self) -> std::io::Result<Vec<OwnedRecord>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        Ok(text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect())
    }

    /// Replace the file with `records` (atomically).
    pub fn rewrite(&self, records: &[OwnedRecord]) -> std::io::Result<()> {
        let mut out = Vec::new();
        for r in records {
            out.extend(serde_json::to_vec(r).map_err(std::io::Error::other)?);
            out.push(b'\n');
        }
        crate::paths::write_atomically(&self.path, &out)
    }
}

/// The records folded into what `clean` asks.
#[derive(Debug, Default, Clone)]
pub struct Owned {
    pub containers: BTreeSet<String>,
    /// image id -> the references layerlab gave it (may be empty).
    pub images: BTreeMap<String, BTreeSet<String>>,
    /// Base image ids (pulled or loaded) -> references.
    pub bases: BTreeMap<String, BTreeSet<String>>,
}

impl Owned {
    pub fn from_records(records: &[OwnedRecord]) -> Owned {
        let mut owned = Owned::default();
        for r in records {
            match r.kind {
                OwnedKind::Container => {
                    owned.containers.insert(r.id.clone());
                }
                OwnedKind::Image | OwnedKind::Tag => {
                    let refs = owned.images.entry(r.id.clone()).or_default();
                    refs.extend(r.reference.clone());
                }
                OwnedKind::Base => {
                    let refs = owned.bases.entry(r.id.clone()).or_default();
                    refs.extend(r.reference.clone());
                }
            }
        }
        owned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = OwnedLog::new(dir.path().join("sub/owned.jsonl"));
        assert!(log.read().expect("missing is empty").is_empty());
        let c = OwnedRecord {
            kind: OwnedKind::Container,
            id: "abc".into(),
            reference: None,
        };
        let i = OwnedRecord {
            kind: OwnedKind::Image,
            id: "sha256:def".into(),
            reference: Some("me/img:1".into()),
        };
        log.append(&c).expect("append");
        log.append(&i).expect("append");
        // A crash in the middle of a write leaves half a line.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .expect("open");
        f.write_all(b"{\"kind\":\"ima").expect("torn");
        assert_eq!(log.read().expect("read"), vec![c.clone(), i.clone()]);
        let owned = Owned::from_records(&log.read().expect("read"));
        assert!(owned.containers.contains("abc"));
        assert_eq!(
            owned.images["sha256:def"],
            BTreeSet::from(["me/img:1".to_string()])
        );
        log.rewrite(std::slice::from_ref(&i)).expect("rewrite");
        assert_eq!(log.read().expect("read"), vec![i]);
    }

    #[test]
    fn concurrent_appends_never_interleave() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("owned.jsonl");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let log = OwnedLog::new(path.clone());
                std::thread::spawn(move || {
                    for n in 0..50 {
                        log.append(&OwnedRecord {
                            kind: OwnedKind::Container,
                            id: format!("{t}-{n}-{}", "x".repeat(200)),
                            reference: None,
                        })
                        .expect("append");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        assert_eq!(OwnedLog::new(path).read().expect("read").len(), 400);
    }
}
