//! The lesson pack as written in YAML. This file is the schema: every field a
//! teacher can write is here, documented for humans in `lessons/README.md`.
//!
//! Strings in actions and checks may use `{var}` placeholders, filled in by the
//! runner from the learner's settings and from earlier steps:
//! `{image}` the learner's image (`layerlab/nginx-alpine:latest` by default),
//! `{base_image}` the base (`alpine:3.22` or `--base-image`), `{registry}` the
//! push target (`docker.io/USER` or `--registry`), `{workspace}` the workspace
//! folder, `{base_archive}` a `docker save` file the learner names in the UI,
//! `{port.NAME}` the host port given to container NAME, and any name an
//! earlier step stored with `save_as`.

use serde::{Deserialize, Serialize};

use crate::i18n::Text;

/// The pack formats this build reads. Bump when a change would make an older
/// layerlab misread a newer pack.
pub const SUPPORTED_FORMAT_VERSIONS: &[u32] = &[1];

/// `pack.yaml`: the pack's front page and the order of its lessons.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackManifest {
    pub format_version: u32,
    pub title: Text,
    /// Lesson files, relative to the pack folder, in teaching order.
    pub lessons: Vec<String>,
    /// The assets folder, relative to the pack folder.
    #[serde(default = "default_assets")]
    pub assets: String,
    /// Defaults the learner can override on the command line or in settings.
    #[serde(default)]
    pub defaults: PackDefaults,
}

fn default_assets() -> String {
    "assets".into()
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackDefaults {
    pub base_image: Option<String>,
    pub image: Option<String>,
    pub registry: Option<String>,
    /// The most layers the homework image may have (used by the grader).
    pub max_layers: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    pub format_version: u32,
    pub id: String,
    pub title: Text,
    #[serde(default)]
    pub summary: Option<Text>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Text with light markup: `# heading`, `*emphasis*`, `` `code` ``, fenced code blocks.
    Prose,
    /// A file from the learner's workspace, with some lines highlighted.
    File,
    /// Something done against the daemon (or the workspace), shown with its docker command.
    Action,
    /// A claim verified against the daemon.
    Check,
    /// A quiz question.
    Question,
    /// A free-text answer the learner writes in their own words (goes into the report).
    Answer,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    pub kind: StepKind,
    #[serde(default)]
    pub title: Option<Text>,
    /// The explanation shown with the step (prose for `prose`).
    #[serde(default)]
    pub text: Option<Text>,
    /// The equivalent `docker` CLI command, shown so the learner learns the CLI.
    #[serde(default)]
    pub docker: Option<String>,
    /// kind: file
    #[serde(default)]
    pub file: Option<FileView>,
    /// kind: action. serde_yaml 0.9 reads enums from YAML tags (`!build`) by
    /// default; `singleton_map` makes it read the one-key map the docs promise.
    #[serde(default, with = "serde_yaml::with::singleton_map")]
    pub action: Option<Action>,
    /// kind: check
    #[serde(default, with = "serde_yaml::with::singleton_map")]
    pub check: Option<Check>,
    /// kind: question
    #[serde(default)]
    pub question: Option<crate::lesson::question::Question>,
    /// kind: answer — the key the answer is saved under (e.g. `image_vs_container`).
    #[serde(default)]
    pub answer_key: Option<String>,
    /// Steps that must be done first, by id (`lesson-id/step-id` across lessons).
    #[serde(default)]
    pub needs: Vec<String>,
    /// Ask before running (privileged or slow work); the headless runner skips it
    /// unless `--yes`.
    #[serde(default)]
    pub confirm: bool,
    /// Not part of the default flow (e.g. compiling a kernel); skipped by `run all`.
    #[serde(default)]
    pub optional: bool,
    /// kind: action — the state the learner's own commands reach, watched
    /// by layerlab (`crate::lesson::watch_model`). Without it the state is
    /// derived from the action (see `lessons/README.md`, "Watched steps").
    #[serde(default, with = "serde_yaml::with::singleton_map")]
    pub expect: Option<crate::lesson::watch_model::Expect>,
    /// Hints shown when the watcher finds a known mistake while this step is open.
    #[serde(default)]
    pub hints: Vec<crate::lesson::watch_model::Hint>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileView {
    /// Path inside the workspace (after `copy_assets`).
    pub path: String,
    /// Lines to highlight: `3`, `5-7`.
    #[serde(default)]
    pub highlight: Vec<LineRange>,
    /// Another workspace file shown beside this one, for a step whose text
    /// compares them (the naive Dockerfile beside the learner's).
    #[serde(default)]
    pub beside: Option<String>,
}

/// `7` or `5-9` in YAML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LineRange {
    One(u32),
    Span(String),
}

/// What an action step does. Written in YAML as a one-key map:
/// `action: {build: {context: nginx-alpine, tag: "{image}"}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Run the doctor checklist.
    Doctor,
    /// Copy a folder of the pack's assets into the workspace (never overwrites
    /// files the learner already changed unless `overwrite`).
    CopyAssets {
        from: String,
        to: String,
        #[serde(default)]
        overwrite: bool,
    },
    /// Let the learner edit a workspace file ($VISUAL/$EDITOR or in-app).
    Edit {
        path: String,
    },
    /// Build an image from a workspace folder.
    Build {
        context: String,
        tag: String,
        #[serde(default = "default_dockerfile")]
        dockerfile: String,
        /// Build arguments; `BASE_IMAGE` is always passed as `{base_image}`.
        #[serde(default)]
        build_args: std::collections::BTreeMap<String, String>,
        #[serde(default)]
        no_cache: bool,
        /// The reference Dockerfile (the solution), a file under the pack's
        /// assets. "Do it for me" writes it into the workspace in place of
        /// `dockerfile` while that is still the template as copied (never
        /// over the learner's edits), so the build has something to build.
        #[serde(default)]
        solution: Option<String>,
    },
    /// Start a container. Ports are published on 127.0.0.1 on a free host port.
    Run {
        name: String,
        image: String,
        #[serde(default)]
        ports: Vec<u16>,
        /// `workspace-subfolder:/container/path`
        #[serde(default)]
        volumes: Vec<String>,
        #[serde(default)]
        cmd: Option<Vec<String>>,
        #[serde(default)]
        privileged: bool,
        /// Publish the first of `ports` on this fixed 127.0.0.1 port instead
        /// of a free one (when the lesson wants a memorable address).
        #[serde(default)]
        host_port: Option<u16>,
    },
    /// Run `sh -c COMMAND` in a container.
    Exec {
        container: String,
        command: String,
        #[serde(default)]
        save_as: Option<String>,
    },
    /// GET a published port of a container and show the page.
    Http {
        container: String,
        port: u16,
        #[serde(default = "default_path")]
        path: String,
        #[serde(default)]
        save_as: Option<String>,
    },
    /// Show the container's changes (docker diff).
    Changes {
        container: String,
    },
    Stop {
        container: String,
    },
    Start {
        container: String,
    },
    RemoveContainer {
        container: String,
    },
    Commit {
        container: String,
        tag: String,
    },
    Tag {
        source: String,
        target: String,
        /// Remember `target` under this name (`{NAME}` in later steps), as
        /// `expect: tagged_for` remembers the name the learner chose.
        #[serde(default)]
        save_as: Option<String>,
    },
    Push {
        image: String,
    },
    Pull {
        image: String,
    },
    RemoveImage {
        image: String,
    },
    /// Remember an image's id (for a later `image_id_unchanged`).
    SaveImageId {
        image: String,
        save_as: String,
    },
    /// Show the host's and a container's kernel (`uname -r`).
    Kernel {
        container: String,
    },
    /// Open the layer explorer on an image.
    Layers {
        image: String,
        #[serde(default)]
        compare: Option<String>,
    },
    /// Open the live lab on an image.
    Lab {
        image: String,
    },
    /// Load images from a `docker save` tarball on this machine (`docker
    /// load -i`): the offline classroom's way to get the base image. With
    /// `{base_archive}` in the path the UI asks for the file.
    Load {
        path: String,
    },
    /// Read a file of a mounted workspace folder (e.g. nginx's access log).
    ShowFile {
        path: String,
    },
}

impl Action {
    /// The lab or the explorer: Enter opens it again however often the
    /// step was done, where other done actions just move on.
    pub fn opens_a_screen(&self) -> bool {
        matches!(self, Action::Lab { .. } | Action::Layers { .. })
    }
}

fn default_dockerfile() -> String {
    "Dockerfile".into()
}

fn default_path() -> String {
    "/".into()
}

/// A claim about the daemon's state. One-key map like actions:
/// `check: {page_contains: {container: web, port: 80, text: "My page"}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    DaemonReachable,
    ImageExists {
        image: String,
    },
    ImageAbsent {
        image: String,
    },
    ContainerRunning {
        container: String,
    },
    ContainerStopped {
        container: String,
    },
    ContainerAbsent {
        container: String,
    },
    PageContains {
        container: String,
        port: u16,
        #[serde(default = "default_path")]
        path: String,
        text: String,
    },
    PageLacks {
        container: String,
        port: u16,
        #[serde(default = "default_path")]
        path: String,
        text: String,
    },
    LayerCountAtMost {
        image: String,
        max: u32,
    },
    /// `a` has exactly `more` layers more than `b` (commit adds one).
    LayerCountDiff {
        image: String,
        base: String,
        more: u32,
    },
    ImageIdUnchanged {
        image: String,
        saved: String,
    },
    ChangesInclude {
        container: String,
        path: String,
        /// `added`, `changed` or `deleted`.
        change: String,
    },
    ChangesExclude {
        container: String,
        path: String,
    },
    ExecOutputContains {
        container: String,
        command: String,
        text: String,
    },
    FileContains {
        path: String,
        text: String,
    },
    SameKernel {
        container: String,
    },
    /// The image is pullable from its registry and its digest matches the local one.
    PushedMatches {
        image: String,
    },
    /// Image `a` is smaller than image `b`.
    SmallerThan {
        image: String,
        other: String,
    },
}
