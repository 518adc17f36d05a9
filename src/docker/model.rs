//! Our own types for what the daemon tells us. bollard's types stop at the
//! client boundary so the rest of layerlab does not depend on the Engine API
//! version bollard happens to generate.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

/// The label on everything layerlab creates; `clean` removes only these.
pub const MANAGED_LABEL: &str = "layerlab.managed";
/// The lesson that created an image or container.
pub const LESSON_LABEL: &str = "layerlab.lesson";

/// Progress of a long operation, sent while it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Progress {
    /// One line of `docker build` output (without the trailing newline).
    BuildLog(String),
    /// The classic builder started step `number` of `total`.
    BuildStep {
        number: u32,
        total: u32,
        instruction: String,
    },
    /// Per-layer progress of a pull, push or load (`current`/`total` in bytes
    /// when the daemon says; `status` is its word: Pushing, Downloading, ...).
    Layer {
        id: String,
        current: Option<u64>,
        total: Option<u64>,
        status: String,
    },
    /// Anything else worth showing.
    Status(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ImageStore {
    /// The containerd image store (Docker 24+ with the snapshotter feature).
    ContainerdSnapshotter { snapshotter: String },
    /// The classic graph driver store (overlay2, fuse-overlayfs, ...).
    GraphDriver { driver: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EngineInfo {
    pub engine_version: String,
    /// The API version this client speaks after negotiation.
    pub api_version: String,
    /// The newest API the daemon supports.
    pub server_api_version: String,
    pub storage_driver: String,
    pub image_store: ImageStore,
    /// e.g. "Debian GNU/Linux 12 (bookworm)" or "Docker Desktop".
    pub operating_system: String,
    /// "linux" or "windows".
    pub os_type: String,
    pub kernel_version: String,
    pub architecture: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub id: String,
    pub created: i64,
    pub created_by: String,
    pub size: u64,
    pub comment: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageInfo {
    pub id: String,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    pub size: u64,
    /// The rootfs diff_ids, bottom layer first.
    pub layers: Vec<String>,
    /// Newest first, as `docker history` shows it.
    pub history: Vec<HistoryEntry>,
    pub os: String,
    pub architecture: String,
    pub labels: BTreeMap<String, String>,
    /// RFC 3339, as the daemon reports it.
    pub created: String,
}

impl ImageInfo {
    pub fn is_managed(&self) -> bool {
        self.labels.get(MANAGED_LABEL).map(String::as_str) == Some("true")
    }
}

/// What to build. `context_dir` is tarred on the fly (honouring `.dockerignore`).
#[derive(Debug, Clone, Default)]
pub struct BuildSpec {
    pub context_dir: PathBuf,
    /// Relative to the context; default `Dockerfile`.
    pub dockerfile: Option<String>,
    pub tag: String,
    pub build_args: BTreeMap<String, String>,
    /// Extra labels; `layerlab.managed=true` is always added.
    pub labels: BTreeMap<String, String>,
    /// Sets `layerlab.lesson=<id>`.
    pub lesson: Option<String>,
    pub no_cache: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuiltImage {
    pub id: String,
    pub tag: String,
    /// Number of Dockerfile steps the builder ran.
    pub steps: u32,
}

/// A container port to publish on 127.0.0.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRequest {
    pub container: u16,
    /// `None`: let the daemon pick a free host port.
    pub host: Option<u16>,
}

impl PortRequest {
    pub fn any_free(container: u16) -> PortRequest {
        PortRequest {
            container,
            host: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct RunSpec {
    pub image: String,
    pub name: Option<String>,
    pub ports: Vec<PortRequest>,
    /// host path -> container path
    pub binds: Vec<(PathBuf, String)>,
    /// `None` keeps the image's CMD.
    pub cmd: Option<Vec<String>>,
    pub env: BTreeMap<String, String>,
    /// The caller must have asked the learner first.
    pub privileged: bool,
    /// Extra labels; `layerlab.managed=true` is always added.
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerInfo {
    pub id: String,
    pub name: String,
    /// (container port, host port on 127.0.0.1)
    pub ports: Vec<(u16, u16)>,
}

impl ContainerInfo {
    pub fn host_port(&self, container_port: u16) -> Option<u16> {
        self.ports
            .iter()
            .find(|(c, _)| *c == container_port)
            .map(|(_, h)| *h)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecOutput {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i64,
    /// Output beyond the cap was dropped.
    pub truncated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ChangeKind {
    Added,
    Changed,
    Deleted,
}

impl ChangeKind {
    /// The letter `docker diff` prints: A, C or D.
    pub fn mark(self) -> &'static str {
        match self {
            ChangeKind::Added => "A",
            ChangeKind::Changed => "C",
            ChangeKind::Deleted => "D",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GraphDriver {
    pub name: String,
    pub data: BTreeMap<String, String>,
}

impl GraphDriver {
    /// overlay2 / fuse-overlayfs: the image layers, `:`-separated, topmost first.
    pub fn lower_dirs(&self) -> Vec<String> {
        self.data
            .get("LowerDir")
            .map(|s| s.split(':').map(str::to_string).collect())
            .unwrap_or_default()
    }
    /// The container's writable layer.
    pub fn upper_dir(&self) -> Option<&str> {
        self.data.get("UpperDir").map(String::as_str)
    }
    pub fn merged_dir(&self) -> Option<&str> {
        self.data.get("MergedDir").map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerState {
    /// created, running, paused, restarting, removing, exited, dead
    pub status: String,
    pub running: bool,
    pub exit_code: Option<i64>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerDetails {
    pub id: String,
    pub name: String,
    /// The image id (sha256:...).
    pub image_id: String,
    /// The image as the container was created from it (ref or id).
    pub image: String,
    pub state: ContainerState,
    pub graph_driver: Option<GraphDriver>,
    pub labels: BTreeMap<String, String>,
    /// (container port, host port)
    pub ports: Vec<(u16, u16)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagedContainer {
    pub id: String,
    pub name: String,
    pub image: String,
    /// The image id (sha256:...), whatever `image` names.
    pub image_id: String,
    pub state: String,
    /// (container port, host port) of its published TCP ports.
    pub ports: Vec<(u16, u16)>,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagedImage {
    pub id: String,
    pub repo_tags: Vec<String>,
    pub size: u64,
    pub created: i64,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushOutcome {
    pub reference: String,
    /// `sha256:...` of the pushed manifest, when the daemon reported it.
    pub digest: Option<String>,
}

/// A daemon event (container start, die, exec_start, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DockerEvent {
    /// container, image, network, ...
    pub kind: String,
    /// start, die, exec_start: sh -c ..., commit, ...
    pub action: String,
    pub actor_id: String,
    pub attributes: BTreeMap<String, String>,
    pub time_nanos: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names lowercased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was longer than the cap and was cut.
    pub truncated: bool,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What `clean` removed (and what it had to leave).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CleanReport {
    /// (short id, name)
    pub containers: Vec<(String, String)>,
    /// (short id, tags)
    pub images: Vec<(String, Vec<String>)>,
    /// (what, why) for things that could not be removed.
    pub kept: Vec<(String, String)>,
}

impl ImageInfo {
    /// The history entry that made each layer, oldest first. History is newest
    /// first and also lists steps that made no layer (`#(nop)` metadata); when
    /// the two can't be paired one to one, every entry is `None`.
    pub fn layer_makers(&self) -> Vec<Option<&HistoryEntry>> {
        let makers: Vec<&HistoryEntry> = self
            .history
            .iter()
            .rev()
            .filter(|h| makes_a_layer(h))
            .collect();
        if makers.len() == self.layers.len() {
            makers.into_iter().map(Some).collect()
        } else {
            vec![None; self.layers.len()]
        }
    }
}

/// Whether a history entry added a layer (metadata steps are `#(nop)` and empty).
pub fn makes_a_layer(entry: &HistoryEntry) -> bool {
    entry.size > 0 || !entry.created_by.contains("#(nop)")
}

pub fn short_id(id: &str) -> String {
    id.trim_start_matches("sha256:").chars().take(12).collect()
}
