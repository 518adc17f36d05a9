//! The live lab's daemon side: two containers from one image, their writable
//! layers watched, and the image re-inspected after every change to prove it
//! did not move. One task owns it all and reports `LabEvent`s; the UI only
//! draws them.
//!
//! Changes are noticed three ways: a command run here finishing (immediate),
//! the daemon's events for these containers (another `docker exec`, a
//! restart: immediate), and, for writes no event announces (nginx appending
//! to its log), a bounded poll while a container runs. `docker diff` is
//! expensive on some drivers (fuse-overlayfs walks the whole image: ~100 ms
//! of the daemon's CPU per call), so where this process can read the
//! container's upper directory the poll is a cheap scan of that directory
//! every `SCAN` and `docker diff` runs only when the scan saw something move
//! (plus a `SAFETY_POLL`). Elsewhere `docker diff` is polled adaptively:
//! `POLL_FAST` for `FAST_FOR` after activity, then `POLL_IDLE`. docs/lab.md
//! has the figures and the trade-off.
//!
//! Every container carries `layerlab.lab=<session id>`: several labs (other
//! processes, other developers on a shared daemon) never see or remove each
//! other's containers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::docker::client::Docker;
use crate::docker::error::DockerError;
use crate::docker::model::{Change, ChangeKind, DockerEvent, GraphDriver, ImageStore, RunSpec};
use crate::i18n::Text;

/// How often the upper directory is scanned for silent writes.
pub const SCAN: Duration = Duration::from_millis(250);
/// Scans stop at this many entries: past it the layer is polled like one
/// that cannot be read (a scan must stay cheap).
const SCAN_LIMIT: usize = 4096;
/// `docker diff` even when the scan saw nothing (a change a scan can't see,
/// e.g. only an xattr).
pub const SAFETY_POLL: Duration = Duration::from_secs(60);
/// Without a readable upper directory: the diff poll right after activity.
pub const POLL_FAST: Duration = Duration::from_millis(300);
/// ... and when nothing happened for `FAST_FOR`. Changes from commands and
/// daemon events still show at once; silent writes wait up to this long.
pub const POLL_IDLE: Duration = Duration::from_millis(2000);
pub const FAST_FOR: Duration = Duration::from_secs(10);
/// How long to wait before re-opening a lost daemon event stream.
const EVENTS_RETRY: Duration = Duration::from_secs(1);
/// A new container counts as staying up after this many checks this far apart.
const STAY_UP_CHECKS: u32 = 4;
const STAY_UP_INTERVAL: Duration = Duration::from_millis(150);
/// How many containers the lab runs side by side.
pub const SLOTS: usize = 2;
/// The label that marks a lab's containers; its value is the session id.
pub const LAB_LABEL: &str = "layerlab.lab";
/// The machine that started a lab's containers. With the pid its session id
/// starts with, it tells a later lab on the same machine whether their owner
/// is gone (`kill -9`, a crash that could not unwind) and they can go too.
pub const LAB_HOST_LABEL: &str = "layerlab.lab.host";
/// Where the lab tags committed images (`:<session>-<n>`).
pub const COMMIT_REPOSITORY: &str = "layerlab/lab-commit";
/// The largest image the lab exports to list a committed layer's paths.
const EXPORT_CAP: usize = 256 << 20;

#[derive(Debug, Clone, PartialEq)]
pub struct LabLayer {
    pub digest: String,
    pub created_by: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LabImage {
    pub reference: String,
    pub id: String,
    pub layers: Vec<LabLayer>,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LabSlot {
    pub name: String,
    pub id: String,
    pub running: bool,
    pub driver: Option<GraphDriver>,
}

/// One entry of a writable layer, as `docker diff` reports it, with the
/// size of a file when the upper directory can be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabChange {
    pub path: String,
    pub kind: ChangeKind,
    /// Bytes of a regular file in the writable layer; `None` for
    /// directories, deletions, or when sizes are unavailable.
    pub size: Option<u64>,
}

/// Where sizes come from. `docker diff` gives none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sizes {
    /// Read from the container's upper directory on this machine.
    UpperDir(PathBuf),
    /// Why not: remote daemon, no permission, no upperdir (containerd store).
    Unavailable(String),
}

/// What a commit produced: the new image and what its extra layer holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    pub image: LabImage,
    /// The layer the commit added on top of the lab's image.
    pub extra_layer: Option<LabLayer>,
    /// Paths in that layer read from the exported image, whiteouts shown as
    /// deletions; `Err` says why they could not be listed.
    pub paths: Result<Vec<Change>, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LabRequest {
    Exec {
        slot: usize,
        command: String,
    },
    Stop {
        slot: usize,
    },
    Start {
        slot: usize,
    },
    /// Remove the container (its changes go with it) and start a fresh one.
    Recreate {
        slot: usize,
    },
    Commit {
        slot: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum LabEvent {
    Ready {
        session: String,
        image: LabImage,
        slots: Vec<LabSlot>,
        /// How the engine stores layers (graph driver or containerd snapshotter).
        store: Option<ImageStore>,
    },
    Changes {
        slot: usize,
        changes: Vec<LabChange>,
        sizes: Sizes,
        noticed: Instant,
    },
    /// The image inspected again after a change: same id and layer digests?
    ImageVerified {
        unchanged: bool,
        id: String,
        digests: Vec<String>,
        checked_at: Instant,
    },
    ExecDone {
        slot: usize,
        command: String,
        output: String,
        exit_code: i64,
        /// When the exec ended (the benchmark measures from here).
        finished: Instant,
    },
    Slot {
        slot: usize,
        info: LabSlot,
    },
    /// A container was removed with its writable layer and a fresh one started.
    Recreated {
        slot: usize,
        removed: String,
    },
    Committed {
        slot: usize,
        commit: Commit,
    },
    /// What went wrong, in both languages with its fix (chosen when drawn).
    Error(Text),
}

impl LabEvent {
    /// A Docker error as the lab reports it: typed words in both languages
    /// with the fix, put into one language when drawn (F2 re-renders it).
    pub fn error(e: &DockerError) -> LabEvent {
        LabEvent::Error(Text::from_fn(|lang| e.render(lang)))
    }
}

/// A running lab. `close` removes its containers and waits until they are
/// gone, which the app does before exiting.
pub struct LabHandle {
    pub requests: UnboundedSender<LabRequest>,
    /// The value of this lab's `layerlab.lab` label.
    pub session: String,
    task: Option<JoinHandle<()>>,
    cancel: CancellationToken,
}

impl LabHandle {
    pub async fn close(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for LabHandle {
    /// Dropped without `close` (a panic, an early return): the task still
    /// removes the containers as long as the runtime runs.
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// A session id unique on a shared daemon: this process and the moment.
pub fn new_session_id() -> String {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let sequence = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    format!(
        "{}-{sequence}-{:x}",
        std::process::id(),
        nanos & 0xffff_ffff
    )
}

pub fn open(docker: Docker, reference: String, events: UnboundedSender<LabEvent>) -> LabHandle {
    let (tx, rx) = unbounded_channel();
    let cancel = CancellationToken::new();
    let session = new_session_id();
    let task = tokio::spawn(run_session(
        docker,
        reference,
        session.clone(),
        rx,
        events,
        cancel.clone(),
    ));
    LabHandle {
        requests: tx,
        session,
        task: Some(task),
        cancel,
    }
}

async fn describe_image(docker: &Docker, reference: &str) -> Result<LabImage, DockerError> {
    let info =
        docker
            .inspect_image(reference)
            .await?
            .ok_or_else(|| DockerError::ImageNotFound {
                reference: reference.to_string(),
            })?;
    let layers = info
        .layers
        .iter()
        .zip(info.layer_makers())
        .map(|(digest, maker)| LabLayer {
            digest: digest.clone(),
            created_by: maker.map(|h| h.created_by.clone()).unwrap_or_default(),
            size: maker.map_or(0, |h| h.size),
        })
        .collect();
    Ok(LabImage {
        reference: reference.to_string(),
        id: info.id,
        layers,
        size: info.size,
    })
}

/// Same id and the same layer digests in the same order.
pub fn same_image(before: &LabImage, now: &LabImage) -> bool {
    before.id == now.id
        && now
            .layers
            .iter()
            .map(|l| &l.digest)
            .eq(before.layers.iter().map(|l| &l.digest))
}

fn lab_labels(session: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([(LAB_LABEL.to_string(), session.to_string())]);
    if let Some(host) = this_host() {
        labels.insert(LAB_HOST_LABEL.to_string(), host);
    }
    labels
}

/// This machine's name, where the kernel tells it (Linux). Elsewhere there is
/// no cheap way to know a pid is dead, and orphans wait for `layerlab clean`.
pub fn this_host() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// The pid a session id starts with (see [`new_session_id`]).
fn session_pid(session: &str) -> Option<u32> {
    session.split('-').next()?.parse().ok()
}

/// Whether `pid` is a live process here. A zombie counts as gone: a
/// `kill -9`ed lab stays one until its parent reaps it, and it will never
/// close its containers.
fn process_alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // "pid (comm) S ...": the name may hold spaces and parentheses.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    !matches!(state, Some('Z' | 'X'))
}

/// Remove the containers of labs whose process is gone from this machine.
/// Only containers carrying this machine's name are looked at, and a pid
/// that is alive (even reused by another program) keeps its containers:
/// when in doubt, nothing is removed. Each removal is logged.
async fn remove_orphans(docker: &Docker) -> Result<(), DockerError> {
    let Some(host) = this_host() else {
        return Ok(());
    };
    let mine = std::process::id();
    for container in docker
        .list_containers_labelled(&[(LAB_HOST_LABEL, &host)])
        .await?
    {
        let Some(pid) = container.labels.get(LAB_LABEL).and_then(|s| session_pid(s)) else {
            continue;
        };
        if pid == mine || process_alive(pid) {
            continue;
        }
        // Another lab may be removing the same orphan right now: gone
        // (404) or going (409) both mean it is taken care of.
        match docker.remove_container(&container.id).await {
            Ok(()) | Err(DockerError::ContainerNotFound { .. } | DockerError::Conflict { .. }) => {
                tracing::info!(
                    "removed {} ({}): its lab's process {pid} is gone",
                    container.name,
                    container.id
                );
            }
            Err(e) => tracing::warn!("could not remove {}: {e}", container.id),
        }
    }
    Ok(())
}

async fn start_slot(
    docker: &Docker,
    image: &LabImage,
    session: &str,
    index: usize,
) -> Result<LabSlot, DockerError> {
    let name = format!("layerlab-lab-{session}-{}", index + 1);
    let mut spec = RunSpec {
        image: image.id.clone(),
        name: Some(name.clone()),
        ports: Vec::new(),
        binds: Vec::new(),
        cmd: None,
        env: BTreeMap::new(),
        privileged: false,
        labels: lab_labels(session),
    };
    let mut info = docker.run_container(&spec).await?;
    let mut details = docker.inspect_container(&info.id).await?;
    // `sh` without a terminal exits a moment after it starts: watch briefly.
    for _ in 0..STAY_UP_CHECKS {
        if !details.state.running {
            break;
        }
        tokio::time::sleep(STAY_UP_INTERVAL).await;
        details = docker.inspect_container(&info.id).await?;
    }
    if !details.state.running {
        // The image's own command exited (it is not a server): keep the
        // container alive with a shell loop so there is something to exec in.
        docker.remove_container(&info.id).await?;
        spec.cmd = Some(vec![
            "sh".into(),
            "-c".into(),
            "trap 'exit 0' TERM INT; while :; do sleep 1; done".into(),
        ]);
        info = docker.run_container(&spec).await?;
        details = docker.inspect_container(&info.id).await?;
    }
    Ok(LabSlot {
        name,
        id: info.id,
        running: details.state.running,
        driver: details.graph_driver,
    })
}

/// The upper directory's sizes for `changes`, when this process can read it.
fn with_sizes(changes: Vec<Change>, slot: &LabSlot, local: bool) -> (Vec<LabChange>, Sizes) {
    let upper = slot
        .driver
        .as_ref()
        .and_then(GraphDriver::upper_dir)
        .map(PathBuf::from);
    let sizes = match upper {
        _ if !local => Sizes::Unavailable("the daemon runs on another machine".into()),
        None => Sizes::Unavailable("the storage driver exposes no upper directory".into()),
        Some(upper) => match std::fs::read_dir(&upper) {
            Ok(_) => Sizes::UpperDir(upper),
            Err(e) => Sizes::Unavailable(format!("{}: {e}", upper.display())),
        },
    };
    let changes = changes
        .into_iter()
        .map(|c| {
            let size = match (&sizes, c.kind) {
                (Sizes::UpperDir(upper), ChangeKind::Added | ChangeKind::Changed) => {
                    file_size(upper, &c.path)
                }
                _ => None,
            };
            LabChange {
                path: c.path,
                kind: c.kind,
                size,
            }
        })
        .collect();
    (changes, sizes)
}

fn file_size(upper: &Path, path: &str) -> Option<u64> {
    let meta = std::fs::symlink_metadata(upper.join(path.trim_start_matches('/'))).ok()?;
    meta.is_file().then_some(meta.len())
}

/// A fingerprint of everything in an upper directory (names, sizes, times,
/// inodes), or `None` past `SCAN_LIMIT` entries or when it can't be read.
fn scan_upper(upper: &Path) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    use std::os::unix::fs::MetadataExt;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    let mut pending = vec![upper.to_path_buf()];
    let mut seen = 0usize;
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).ok()? {
            let entry = entry.ok()?;
            seen += 1;
            if seen > SCAN_LIMIT {
                return None;
            }
            let meta = entry.metadata().ok()?;
            entry.file_name().hash(&mut hasher);
            (
                meta.ino(),
                meta.size(),
                meta.mtime(),
                meta.mtime_nsec(),
                meta.ctime(),
                meta.ctime_nsec(),
                meta.mode(),
            )
                .hash(&mut hasher);
            if meta.is_dir() {
                pending.push(entry.path());
            }
        }
    }
    Some(hasher.finish())
}

type ExecResult = (
    usize,
    String,
    Result<crate::docker::model::ExecOutput, DockerError>,
);

/// The session's state between loop turns.
struct Session {
    docker: Docker,
    reference: String,
    session: String,
    image: LabImage,
    slots: Vec<LabSlot>,
    last: Vec<Option<Vec<LabChange>>>,
    /// Per slot: the last upper-directory fingerprint and `docker diff` time.
    fingerprints: Vec<Option<u64>>,
    last_diff: Vec<tokio::time::Instant>,
    local: bool,
    commits: u32,
    events: UnboundedSender<LabEvent>,
    execs: UnboundedSender<ExecResult>,
    cancel: CancellationToken,
}

impl Session {
    fn send(&self, event: LabEvent) {
        let _ = self.events.send(event);
    }

    /// The slot's upper directory, when this process can read it.
    fn readable_upper(&self, i: usize) -> Option<PathBuf> {
        if !self.local {
            return None;
        }
        let upper = self.slots.get(i)?.driver.as_ref()?.upper_dir()?;
        Some(PathBuf::from(upper))
    }

    /// The running slots whose layer may have changed without an event:
    /// scanned when readable, else due for the adaptive diff poll.
    fn due_for_refresh(&mut self, active: bool) -> Vec<usize> {
        let now = tokio::time::Instant::now();
        let mut due = Vec::new();
        for i in 0..self.slots.len() {
            if !self.slots[i].running {
                continue;
            }
            let since_diff = now.duration_since(self.last_diff[i]);
            let scanned = self.readable_upper(i).and_then(|u| scan_upper(&u));
            let refresh = match scanned {
                Some(fingerprint) => {
                    let moved = self.fingerprints[i] != Some(fingerprint);
                    self.fingerprints[i] = Some(fingerprint);
                    moved || since_diff >= SAFETY_POLL
                }
                None => {
                    self.fingerprints[i] = None;
                    since_diff >= if active { POLL_FAST } else { POLL_IDLE }
                }
            };
            if refresh {
                due.push(i);
            }
        }
        due
    }

    fn daemon_events(&self) -> BoxStream<'static, Result<DockerEvent, DockerError>> {
        let label = format!("{LAB_LABEL}={}", self.session);
        self.docker
            .events(&[("type", "container"), ("label", label.as_str())])
    }

    /// Re-read the changes of `slots`; true when any list changed.
    async fn refresh(&mut self, mut which: Vec<usize>) -> bool {
        which.sort_unstable();
        which.dedup();
        let mut changed = false;
        for i in which {
            if i >= self.slots.len() {
                continue;
            }
            self.last_diff[i] = tokio::time::Instant::now();
            // Scanned before the diff: a write after it moves the fingerprint.
            self.fingerprints[i] = self.readable_upper(i).and_then(|u| scan_upper(&u));
            let Some(slot) = self.slots.get(i) else {
                continue;
            };
            match self.docker.container_changes(&slot.id).await {
                Ok(mut changes) => {
                    changes.sort_by(|a, b| a.path.cmp(&b.path));
                    let (changes, sizes) = with_sizes(changes, slot, self.local);
                    if self.last[i].as_ref() != Some(&changes) {
                        self.last[i] = Some(changes.clone());
                        self.send(LabEvent::Changes {
                            slot: i,
                            changes,
                            sizes,
                            noticed: Instant::now(),
                        });
                        changed = true;
                    }
                }
                Err(DockerError::ContainerNotFound { .. }) => {}
                Err(e) => self.send(LabEvent::error(&e)),
            }
        }
        changed
    }

    /// After a change the image is inspected again by its reference: the
    /// learner sees its id and every layer digest stay put.
    async fn verify_image(&self) {
        match describe_image(&self.docker, &self.reference).await {
            Ok(now) => self.send(LabEvent::ImageVerified {
                unchanged: same_image(&self.image, &now),
                digests: now.layers.iter().map(|l| l.digest.clone()).collect(),
                id: now.id,
                checked_at: Instant::now(),
            }),
            Err(e) => self.send(LabEvent::error(&e)),
        }
    }

    /// Do one request; returns the slot whose changes should be re-read.
    async fn handle(&mut self, request: LabRequest) -> Result<Option<usize>, DockerError> {
        match request {
            LabRequest::Exec { slot, command } => {
                let Some(s) = self.slots.get(slot) else {
                    return Ok(None);
                };
                // On its own task: a long command (`sleep 30`) must not stop
                // the lab from noticing other changes or closing.
                let (docker, id, done, cancel) = (
                    self.docker.clone(),
                    s.id.clone(),
                    self.execs.clone(),
                    self.cancel.clone(),
                );
                tokio::spawn(async move {
                    let result = docker.exec(&id, &command, &cancel).await;
                    let _ = done.send((slot, command, result));
                });
                Ok(None)
            }
            LabRequest::Stop { slot } => {
                let Some(s) = self.slots.get_mut(slot) else {
                    return Ok(None);
                };
                self.docker
                    .stop_container(&s.id, Duration::from_secs(2))
                    .await?;
                s.running = false;
                let info = s.clone();
                self.send(LabEvent::Slot { slot, info });
                Ok(Some(slot))
            }
            LabRequest::Start { slot } => {
                let Some(s) = self.slots.get_mut(slot) else {
                    return Ok(None);
                };
                self.docker.start_container(&s.id).await?;
                s.running = true;
                let info = s.clone();
                self.send(LabEvent::Slot { slot, info });
                Ok(Some(slot))
            }
            LabRequest::Recreate { slot } => {
                let Some(s) = self.slots.get(slot) else {
                    return Ok(None);
                };
                let removed = s.id.clone();
                self.docker.remove_container(&removed).await?;
                let fresh = start_slot(&self.docker, &self.image, &self.session, slot).await?;
                self.slots[slot] = fresh.clone();
                self.last[slot] = None;
                self.send(LabEvent::Recreated { slot, removed });
                self.send(LabEvent::Slot { slot, info: fresh });
                Ok(Some(slot))
            }
            LabRequest::Commit { slot } => {
                let Some(s) = self.slots.get(slot) else {
                    return Ok(None);
                };
                self.commits += 1;
                let tag = format!("{COMMIT_REPOSITORY}:{}-{}", self.session, self.commits);
                self.docker
                    .commit_container(&s.id, Some(&tag), &lab_labels(&self.session))
                    .await?;
                let image = describe_image(&self.docker, &tag).await?;
                let extra_layer = (image.layers.len() == self.image.layers.len() + 1)
                    .then(|| image.layers.last().cloned())
                    .flatten();
                let paths = match &extra_layer {
                    Some(layer) => top_layer_paths(&self.docker, &image.id, &layer.digest).await,
                    None => Err(format!(
                        "the new image has {} layers, the lab's image {}",
                        image.layers.len(),
                        self.image.layers.len()
                    )),
                };
                self.send(LabEvent::Committed {
                    slot,
                    commit: Commit {
                        image,
                        extra_layer,
                        paths,
                    },
                });
                Ok(None)
            }
        }
    }
}

async fn run_session(
    docker: Docker,
    reference: String,
    session: String,
    requests: UnboundedReceiver<LabRequest>,
    events: UnboundedSender<LabEvent>,
    cancel: CancellationToken,
) {
    // Not fatal: a lab that cannot tidy up after an earlier one still works.
    if let Err(e) = remove_orphans(&docker).await {
        tracing::warn!("could not remove containers of earlier labs: {e}");
    }
    let image = match describe_image(&docker, &reference).await {
        Ok(image) => image,
        Err(e) => {
            let _ = events.send(LabEvent::error(&e));
            return;
        }
    };
    let (exec_tx, exec_rx) = unbounded_channel();
    let mut lab = Session {
        local: docker.endpoint().url.starts_with("unix://"),
        docker,
        reference,
        session,
        image,
        slots: Vec::new(),
        last: vec![None; SLOTS],
        fingerprints: vec![None; SLOTS],
        last_diff: vec![tokio::time::Instant::now(); SLOTS],
        commits: 0,
        events,
        execs: exec_tx,
        cancel: cancel.clone(),
    };
    let mut started = true;
    for index in 0..SLOTS {
        if cancel.is_cancelled() {
            started = false;
            break;
        }
        match start_slot(&lab.docker, &lab.image, &lab.session, index).await {
            Ok(slot) => lab.slots.push(slot),
            Err(e) => {
                lab.send(LabEvent::error(&e));
                started = false;
                break;
            }
        }
    }
    if started {
        watch(&mut lab, requests, exec_rx).await;
    }
    remove_all(&lab.docker, &lab.slots, &lab.session).await;
}

async fn watch(
    lab: &mut Session,
    mut requests: UnboundedReceiver<LabRequest>,
    mut execs: UnboundedReceiver<ExecResult>,
) {
    let store = lab.docker.engine_info().await.ok().map(|i| i.image_store);
    lab.send(LabEvent::Ready {
        session: lab.session.clone(),
        image: lab.image.clone(),
        slots: lab.slots.clone(),
        store,
    });
    let mut daemon_events = Some(lab.daemon_events());
    let mut events_retry = tokio::time::Instant::now();
    let mut last_activity = tokio::time::Instant::now();
    // The first look shows what the image's own command already wrote.
    let mut refresh: Vec<usize> = (0..lab.slots.len()).collect();
    let mut ticker = tokio::time::interval(SCAN);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        if !refresh.is_empty() && lab.refresh(std::mem::take(&mut refresh)).await {
            last_activity = tokio::time::Instant::now();
            lab.verify_image().await;
        }
        if daemon_events.is_none() && tokio::time::Instant::now() >= events_retry {
            daemon_events = Some(lab.daemon_events());
        }
        // A stopped container's layer can't change: no ticks without a running one.
        let any_running = lab.slots.iter().any(|s| s.running);
        tokio::select! {
            _ = lab.cancel.cancelled() => break,
            _ = ticker.tick(), if any_running || daemon_events.is_none() => {
                let active = last_activity.elapsed() < FAST_FOR;
                refresh.extend(lab.due_for_refresh(active));
            }
            event = async {
                match daemon_events.as_mut() {
                    Some(stream) => stream.next().await,
                    None => std::future::pending().await,
                }
            } => match event {
                Some(Ok(event)) => {
                    // The label filter is this session's; the id check also
                    // drops events of containers this session already replaced.
                    if let Some(i) = lab.slots.iter().position(|s| s.id == event.actor_id) {
                        let before = lab.slots[i].running;
                        match event.action.as_str() {
                            "die" | "stop" | "kill" => lab.slots[i].running = false,
                            "start" | "restart" | "unpause" => lab.slots[i].running = true,
                            _ => {}
                        }
                        if before != lab.slots[i].running {
                            lab.send(LabEvent::Slot { slot: i, info: lab.slots[i].clone() });
                        }
                        last_activity = tokio::time::Instant::now();
                        refresh.push(i);
                    }
                }
                Some(Err(e)) => {
                    tracing::warn!("lab {}: the daemon's event stream failed: {e}", lab.session);
                    daemon_events = None;
                    events_retry = tokio::time::Instant::now() + EVENTS_RETRY;
                }
                None => {
                    daemon_events = None;
                    events_retry = tokio::time::Instant::now() + EVENTS_RETRY;
                }
            },
            Some((slot, command, result)) = execs.recv() => {
                let finished = Instant::now();
                last_activity = tokio::time::Instant::now();
                match result {
                    Ok(out) => {
                        lab.send(LabEvent::ExecDone {
                            slot,
                            command,
                            output: format!("{}{}", out.stdout, out.stderr),
                            exit_code: out.exit_code,
                            finished,
                        });
                    }
                    Err(e) => lab.send(LabEvent::error(&e)),
                }
                refresh.push(slot);
            }
            request = requests.recv() => {
                let Some(request) = request else { break };
                last_activity = tokio::time::Instant::now();
                match lab.handle(request).await {
                    Ok(Some(i)) => refresh.push(i),
                    Ok(None) => {}
                    Err(e) => lab.send(LabEvent::error(&e)),
                }
            }
        }
    }
}

/// Remove this session's containers: the ones it knows, and any other
/// carrying its label (one started while a request failed halfway).
async fn remove_all(docker: &Docker, slots: &[LabSlot], session: &str) {
    let mut ids: Vec<String> = slots.iter().map(|s| s.id.clone()).collect();
    match docker
        .list_containers_labelled(&[(LAB_LABEL, session)])
        .await
    {
        Ok(found) => ids.extend(found.into_iter().map(|c| c.id)),
        Err(e) => tracing::warn!("listing lab {session}'s containers: {e}"),
    }
    ids.sort();
    ids.dedup();
    for id in ids {
        if let Err(e) = docker.remove_container(&id).await
            && !matches!(e, DockerError::ContainerNotFound { .. })
        {
            tracing::warn!("removing lab container {id}: {e}");
        }
    }
}

/// The paths in an image's top layer, read from `docker save`: what a
/// commit put there. Whiteouts (`.wh.NAME`) are deletions.
async fn top_layer_paths(
    docker: &Docker,
    image_id: &str,
    diff_id: &str,
) -> Result<Vec<Change>, String> {
    let mut archive = Vec::new();
    let mut stream = docker.export_image(image_id);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        if archive.len() + chunk.len() > EXPORT_CAP {
            return Err(format!(
                "the image is larger than {} MiB; not exported",
                EXPORT_CAP >> 20
            ));
        }
        archive.extend_from_slice(&chunk);
    }
    layer_paths_in_archive(&archive, diff_id)
}

/// In a `docker save` archive, the paths of the layer whose uncompressed
/// sha256 is `diff_id` (the manifest lists layers bottom first, in the same
/// order as the config's diff ids; the top one is the last).
pub fn layer_paths_in_archive(archive: &[u8], diff_id: &str) -> Result<Vec<Change>, String> {
    let entries = tar_entries(archive)?;
    let manifest = entries
        .iter()
        .find(|(name, _)| name == "manifest.json")
        .ok_or("the archive has no manifest.json")?;
    let manifest: serde_json::Value =
        serde_json::from_slice(&manifest.1).map_err(|e| format!("manifest.json: {e}"))?;
    let layers: Vec<&str> = manifest
        .get(0)
        .and_then(|m| m.get("Layers"))
        .and_then(|l| l.as_array())
        .map(|l| l.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let wanted = diff_id.trim_start_matches("sha256:");
    // Docker 20.10 names layer files <v1 id>/layer.tar; newer engines
    // blobs/sha256/<digest>. Match by content hash, not by name. The
    // containerd image store keeps layers compressed (a commit there gives a
    // gzip blob), and the diff id is the hash of the uncompressed tar.
    use sha2::Digest;
    let mut layer = None;
    for data in layers
        .iter()
        .rev()
        .filter_map(|name| entries.iter().find(|(n, _)| n == name))
        .map(|(_, data)| data)
    {
        let tar = uncompressed(data)?;
        if hex::encode(sha2::Sha256::digest(&tar)) == wanted {
            layer = Some(tar);
            break;
        }
    }
    let layer = layer.ok_or_else(|| format!("no layer with diff id {diff_id} in the archive"))?;
    let mut changes = Vec::new();
    for (name, _) in tar_entries(&layer)? {
        let name = name.trim_end_matches('/');
        if name.is_empty() || name == "." {
            continue;
        }
        let (dir, file) = match name.rsplit_once('/') {
            Some((dir, file)) => (format!("/{dir}"), file),
            None => (String::new(), name),
        };
        let change = match file.strip_prefix(".wh.") {
            // An opaque directory marker: the directory itself is listed too.
            Some(".wh..opq") => continue,
            Some(deleted) => Change {
                path: format!("{dir}/{deleted}"),
                kind: ChangeKind::Deleted,
            },
            None => Change {
                path: format!("/{name}"),
                kind: ChangeKind::Added,
            },
        };
        changes.push(change);
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(changes)
}

/// A layer blob as the plain tar its diff id is the hash of: gzip and zstd
/// blobs (the containerd image store's) are decompressed, at most
/// `EXPORT_CAP` bytes of output so a small bomb cannot fill the memory.
fn uncompressed(data: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, String> {
    use std::io::Read;
    let decoder: Box<dyn Read + '_> = match data {
        [0x1f, 0x8b, ..] => Box::new(flate2::read::MultiGzDecoder::new(data)),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => {
            Box::new(zstd::stream::read::Decoder::new(data).map_err(|e| e.to_string())?)
        }
        _ => return Ok(std::borrow::Cow::Borrowed(data)),
    };
    let mut out = Vec::new();
    decoder
        .take(EXPORT_CAP as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("decompressing a layer: {e}"))?;
    if out.len() > EXPORT_CAP {
        return Err(format!(
            "a layer is larger than {} MiB uncompressed; not read",
            EXPORT_CAP >> 20
        ));
    }
    Ok(std::borrow::Cow::Owned(out))
}

fn tar_entries(data: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    use std::io::Read;
    let mut archive = tar::Archive::new(data);
    let mut out = Vec::new();
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let name = entry
            .path()
            .map_err(|e| e.to_string())?
            .to_string_lossy()
            .trim_start_matches("./")
            .to_string();
        let mut content = Vec::new();
        if entry.header().entry_type().is_file() {
            entry
                .read_to_end(&mut content)
                .map_err(|e| format!("{name}: {e}"))?;
        }
        out.push((name, content));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut h = tar::Header::new_gnu();
            if name.ends_with('/') {
                h.set_entry_type(tar::EntryType::Directory);
            }
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            builder.append_data(&mut h, name, *data).expect("append");
        }
        builder.into_inner().expect("finish")
    }

    #[test]
    fn a_committed_layer_lists_files_and_whiteouts() {
        let layer = tar_of(&[
            ("data/", b""),
            ("data/.wh.old.txt", b""),
            ("data/new.txt", b"x\n"),
            ("etc/", b""),
            ("etc/motd", b"changed\n"),
        ]);
        use sha2::Digest;
        let diff_id = format!("sha256:{}", hex::encode(sha2::Sha256::digest(&layer)));
        let manifest =
            br#"[{"Config":"c.json","RepoTags":null,"Layers":["base/layer.tar","top/layer.tar"]}]"#;
        let archive = tar_of(&[
            ("base/layer.tar", &tar_of(&[("bin/", b"")])),
            ("top/layer.tar", &layer),
            ("manifest.json", manifest),
        ]);
        let paths = layer_paths_in_archive(&archive, &diff_id).expect("parsed");
        let shown: Vec<(String, ChangeKind)> =
            paths.into_iter().map(|c| (c.path, c.kind)).collect();
        assert_eq!(
            shown,
            vec![
                ("/data".to_string(), ChangeKind::Added),
                ("/data/new.txt".to_string(), ChangeKind::Added),
                ("/data/old.txt".to_string(), ChangeKind::Deleted),
                ("/etc".to_string(), ChangeKind::Added),
                ("/etc/motd".to_string(), ChangeKind::Added),
            ]
        );
        assert!(layer_paths_in_archive(&archive, "sha256:00").is_err());
    }

    /// The containerd image store saves a committed layer as a gzip blob
    /// under blobs/sha256/: found by the hash of its uncompressed tar.
    #[test]
    fn a_compressed_committed_layer_is_found_by_its_diff_id() {
        use std::io::Write as _;
        let layer = tar_of(&[("etc/", b""), ("etc/motd", b"changed\n")]);
        use sha2::Digest;
        let diff_id = format!("sha256:{}", hex::encode(sha2::Sha256::digest(&layer)));
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(&layer).expect("gzip");
        let gzip = gzip.finish().expect("gzip");
        let zstd = zstd::stream::encode_all(&layer[..], 1).expect("zstd");
        for blob in [gzip, zstd] {
            let manifest = br#"[{"Config":"blobs/sha256/c","RepoTags":null,"Layers":["blobs/sha256/a","blobs/sha256/b"]}]"#;
            let archive = tar_of(&[
                ("blobs/sha256/a", &tar_of(&[("bin/", b"")])),
                ("blobs/sha256/b", &blob),
                ("manifest.json", manifest),
            ]);
            let paths = layer_paths_in_archive(&archive, &diff_id).expect("parsed");
            let shown: Vec<&str> = paths.iter().map(|c| c.path.as_str()).collect();
            assert_eq!(shown, ["/etc", "/etc/motd"]);
        }
    }

    #[test]
    fn image_comparison_looks_at_every_digest() {
        let layer = |d: &str| LabLayer {
            digest: d.into(),
            created_by: String::new(),
            size: 0,
        };
        let image = LabImage {
            reference: "x".into(),
            id: "sha256:1".into(),
            layers: vec![layer("a"), layer("b")],
            size: 0,
        };
        assert!(same_image(&image, &image.clone()));
        let mut moved = image.clone();
        moved.layers[1] = layer("c");
        assert!(!same_image(&image, &moved));
        let mut extra = image.clone();
        extra.layers.push(layer("d"));
        assert!(!same_image(&image, &extra));
        let mut other_id = image.clone();
        other_id.id = "sha256:2".into();
        assert!(!same_image(&image, &other_id));
    }

    #[test]
    fn sessions_get_distinct_ids() {
        assert_ne!(new_session_id(), new_session_id());
    }

    #[test]
    fn a_zombie_is_not_alive() {
        assert!(process_alive(std::process::id()));
        // A child that exited and is not yet waited for is a zombie.
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let pid = child.id();
        let deadline = Instant::now() + Duration::from_secs(5);
        while process_alive(pid) {
            assert!(
                Instant::now() < deadline,
                "the exited child still looks alive"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "still a zombie: its /proc entry stays until it is waited for"
        );
        child.wait().expect("reap");
        assert!(!process_alive(pid));
    }

    #[test]
    fn a_session_id_names_its_process() {
        assert_eq!(session_pid(&new_session_id()), Some(std::process::id()));
        assert_eq!(session_pid("4242-0-beef"), Some(4242));
        assert_eq!(session_pid("snapshot"), None);
        assert_eq!(session_pid(""), None);
    }
}
