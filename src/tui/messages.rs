//! What the app and the Docker worker say to each other. In a file of their
//! own so the event channel can carry them without depending on the worker.

use std::sync::Arc;

pub use crate::runner::{StepError, StepOutcome};

/// The daemon as the status bar shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaemonState {
    Connecting {
        endpoint: String,
    },
    Connected {
        endpoint: String,
        version: String,
        api: String,
    },
    Lost {
        endpoint: String,
        error: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobKind {
    /// A lesson step. Layer analyses and the lab report through their own
    /// events and end with their screens.
    Step,
    /// Watching the open step for the learner's own commands.
    Watch,
}

/// One line of a running job's output: a build log line, a pull/push bar.
#[derive(Debug, Clone, PartialEq)]
pub enum ProgressLine {
    Log(String),
    /// Build "Step N/M".
    Counter {
        current: u32,
        total: u32,
    },
    /// A layer's transfer: id, done and total bytes (total 0 when unknown), status.
    Bar {
        id: String,
        current: u64,
        total: u64,
        status: String,
    },
}

#[derive(Debug)]
pub enum WorkerEvent {
    Daemon(DaemonState),
    Progress {
        kind: JobKind,
        line: ProgressLine,
    },
    StepFinished {
        lesson: String,
        step: String,
        outcome: StepOutcome,
    },
    Lab(crate::docker::lab::LabEvent),
    /// A file's content as one layer stores it (the explorer's file view).
    FileRead {
        path: String,
        layer: usize,
        result: Result<crate::layers::content::FileContent, crate::i18n::Text>,
    },
    /// What watching the open step found: a hint, or its state reached.
    Watched {
        lesson: String,
        step: String,
        report: Box<crate::watch::session::StepReport>,
    },
    /// Two images compared (`WorkerRequest::Compare`), by the names asked.
    Compared {
        left_ref: String,
        right_ref: String,
        comparison: Box<crate::layers::compare::Comparison>,
    },
    /// A layer analysis finished; `image` is what was asked for.
    Analysis {
        image: String,
        result: Result<Arc<crate::layers::Analysis>, crate::i18n::Text>,
    },
}

/// Where the explorer's image is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    Daemon(String),
    Archive(std::path::PathBuf),
}

#[derive(Debug, Clone, PartialEq)]
pub enum WorkerRequest {
    /// Do one lesson step (action or check) and report a `StepFinished`.
    RunStep {
        lesson: String,
        step: String,
    },
    Cancel(JobKind),
    /// Watch this step for the learner's own commands (ending any other
    /// watch) and report `Watched` events until its state is reached.
    WatchStep {
        lesson: String,
        step: String,
    },
    /// The learner said `y` to this step's host access (privileged and the
    /// like): the next `RunStep` of exactly this step may do it.
    Consent {
        lesson: String,
        step: String,
    },
    /// A placeholder value the learner gave in the UI (`{registry}`).
    SetVar {
        name: String,
        value: String,
    },
    /// Credentials typed for a registry (host, as in `127.0.0.1:5000`): kept
    /// in this process's memory for the session, never logged nor written.
    SetCredentials {
        registry: String,
        credentials: crate::docker::credentials::Credentials,
    },
    /// Start the live lab on an image (closing any open one).
    LabOpen {
        image: String,
    },
    Lab(crate::docker::lab::LabRequest),
    /// Remove the lab's containers.
    LabClose,
    /// Analyse an image's layers (from the daemon) or a `docker save` file.
    Analyze {
        image: String,
    },
    AnalyzeArchive {
        path: std::path::PathBuf,
    },
    /// Read one file of one layer again from the image (or archive): the
    /// analysis keeps no contents. `member` is the layer's archive member.
    ReadFile {
        source: ImageSource,
        member: String,
        path: String,
        layer: usize,
    },
    /// Compare two analysed images (the explorer's side by side). One
    /// comparison runs at a time; a newer request replaces a waiting one.
    Compare(ComparePair),
    /// Close everything this worker started, then stop.
    Shutdown,
}

/// Two analyses to compare, with the names the explorer asked for them by
/// (the answer carries them back, so a late one for another pair is left).
#[derive(Clone)]
pub struct ComparePair {
    pub left_ref: String,
    pub right_ref: String,
    pub left: Arc<crate::layers::Analysis>,
    pub right: Arc<crate::layers::Analysis>,
}

/// The same pair: the very same analyses (they are never edited).
impl PartialEq for ComparePair {
    fn eq(&self, other: &ComparePair) -> bool {
        self.left_ref == other.left_ref
            && self.right_ref == other.right_ref
            && Arc::ptr_eq(&self.left, &other.left)
            && Arc::ptr_eq(&self.right, &other.right)
    }
}

impl std::fmt::Debug for ComparePair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ComparePair({} / {})", self.left_ref, self.right_ref)
    }
}
