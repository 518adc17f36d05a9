//! When to look again: a daemon event (`/events`), or a changed file in the
//! workspace (its files' sizes and modification times, scanned at most once
//! a second). Nothing else wakes the watcher, so an idle watch costs a
//! directory scan a second and nothing while no step is open (the caller
//! simply does not call [`Triggers::next`]).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::docker::Docker;
use crate::docker::error::DockerError;
use crate::docker::model::DockerEvent;

/// The workspace scan's period: "no polling faster than once a second".
pub const SCAN_PERIOD: Duration = Duration::from_secs(1);
/// Reconnects to `/events` in a row before the daemon counts as lost.
pub const MAX_RECONNECTS: u32 = 5;
/// How long after an event more of the same burst are gathered.
const BURST: Duration = Duration::from_millis(25);
/// Events taken into one batch at most.
const MAX_BATCH: usize = 256;
/// Files looked at per scan at most (a runaway workspace must not cost more).
const SCAN_LIMIT: usize = 2_000;

#[derive(Debug)]
pub enum Trigger {
    /// The daemon said something happened (a burst arrives as one batch).
    Events(Vec<DockerEvent>),
    /// A workspace file changed (or appeared, or went).
    Files,
    /// The event stream was re-opened after a break: look again, something
    /// may have happened in between.
    Reconnected,
}

pub struct Triggers {
    docker: Docker,
    workspace: PathBuf,
    events: Option<BoxStream<'static, Result<DockerEvent, DockerError>>>,
    reconnects: u32,
    fingerprint: u64,
    next_scan: Instant,
}

impl Triggers {
    pub fn new(docker: Docker, workspace: PathBuf) -> Triggers {
        let fingerprint = fingerprint(&workspace);
        Triggers {
            docker,
            workspace,
            events: None,
            reconnects: 0,
            fingerprint,
            next_scan: Instant::now() + SCAN_PERIOD,
        }
    }

    /// Open the event stream now (before the first look), so nothing that
    /// happens during that look is missed.
    pub fn start(&mut self) {
        if self.events.is_none() {
            // Only what a learner's commands change: images and containers
            // (networks, volumes and plugins would only wake us for nothing).
            self.events = Some(
                self.docker
                    .events(&[("type", "container"), ("type", "image")]),
            );
        }
    }

    /// The workspace as it is now counts as seen (after a look).
    pub fn rescan_baseline(&mut self) {
        self.fingerprint = fingerprint(&self.workspace);
    }

    /// Wait for the next reason to look again. `Err` when the daemon's event
    /// stream broke [`MAX_RECONNECTS`] times in a row.
    pub async fn next(&mut self) -> Result<Trigger, DockerError> {
        loop {
            self.start();
            let until_scan = self.next_scan.saturating_duration_since(Instant::now());
            let events = self.events.as_mut().expect("started above");
            tokio::select! {
                item = events.next() => match item {
                    Some(Ok(event)) => {
                        self.reconnects = 0;
                        // A build or a `docker run` is a burst of events:
                        // take what follows within a moment as one trigger.
                        let mut batch = vec![event];
                        let until = tokio::time::Instant::now() + BURST;
                        while batch.len() < MAX_BATCH {
                            match tokio::time::timeout_at(until, events.next()).await {
                                Ok(Some(Ok(more))) => batch.push(more),
                                _ => break,
                            }
                        }
                        return Ok(Trigger::Events(batch));
                    }
                    broken => {
                        self.events = None;
                        self.reconnects += 1;
                        if self.reconnects > MAX_RECONNECTS {
                            return Err(e_or_closed(broken.and_then(Result::err)));
                        }
                        let pause = Duration::from_millis(250 * 2u64.pow(self.reconnects));
                        tracing::debug!("watch: event stream broke, retry in {pause:?}");
                        tokio::time::sleep(pause).await;
                        // Only a working stream counts as back.
                        if self.docker.ping().await.is_ok() {
                            self.start();
                            return Ok(Trigger::Reconnected);
                        }
                    }
                },
                _ = tokio::time::sleep(until_scan) => {
                    self.next_scan = Instant::now() + SCAN_PERIOD;
                    let now = fingerprint(&self.workspace);
                    if now != self.fingerprint {
                        self.fingerprint = now;
                        return Ok(Trigger::Files);
                    }
                }
            }
        }
    }
}

fn e_or_closed(error: Option<DockerError>) -> DockerError {
    error.unwrap_or_else(|| DockerError::Api {
        status: 0,
        message: "the daemon closed its event stream".into(),
    })
}

/// A hash of every file's path, size and modification time under `root`.
pub fn fingerprint(root: &Path) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let mut stack = vec![root.to_path_buf()];
    let mut seen = 0usize;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            seen += 1;
            if seen > SCAN_LIMIT {
                return hasher.finish();
            }
            let Ok(meta) = entry.metadata() else { continue };
            entry.path().hash(&mut hasher);
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                meta.len().hash(&mut hasher);
                if let Ok(modified) = meta.modified() {
                    modified.hash(&mut hasher);
                }
            }
        }
    }
    hasher.finish()
}
