//! What a watched step expects and which mistakes it has hints for, as
//! written in lesson YAML (`expect:` and `hints:` on a step). The watcher
//! (the `watch` module) evaluates them against the daemon and the workspace;
//! the validator (`watch_validate`) checks them with positions.

use serde::{Deserialize, Serialize};

use crate::i18n::Text;

/// The state an action step reaches when the learner does it themselves.
/// One-key map like actions: `expect: {container_running: {name: web}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Expect {
    /// The learner's image, found by what it is, not by its name: its
    /// filesystem holds the workspace file `page` at `at` (same size), and
    /// its command runs `runs`. Remembered as the learner's image (`{image}`).
    LearnerImage {
        page: String,
        at: String,
        #[serde(default = "default_runs")]
        runs: String,
    },
    /// A running container of `image` (default: the learner's image), any
    /// name; with `port`, that container port is published (on 127.0.0.1;
    /// 0.0.0.0 passes with a hint). Known afterwards as the lesson's `name`
    /// (`{container.NAME}`, `{port.NAME}`).
    ContainerRunning {
        name: String,
        #[serde(default)]
        image: Option<String>,
        #[serde(default)]
        port: Option<u16>,
    },
    /// The lesson's container exists and is not running.
    ContainerStopped { container: String },
    /// The lesson's container is gone.
    ContainerAbsent { container: String },
    /// A command was run in the lesson's container (`docker exec`) while the
    /// step was open.
    ExecSeen { container: String },
    /// An image of this name exists.
    ImagePresent { image: String },
    /// No image of this name exists.
    ImageGone { image: String },
    /// The learner's image has a name under `registry` (any repository and
    /// tag); with `save_as`, that name is remembered for the later steps.
    TaggedFor {
        registry: String,
        #[serde(default)]
        save_as: Option<String>,
    },
    /// The learner's image was pushed under `registry`: the daemon records a
    /// repository digest there.
    PushedTo { registry: String },
    /// The workspace file differs from the asset it was copied from.
    FileChanged { path: String },
    /// Nothing to watch: only layerlab can do this (copying the template).
    Layerlab,
}

fn default_runs() -> String {
    "nginx".into()
}

/// A hint the watcher shows when it finds `when` while the step is open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hint {
    pub when: HintWhen,
    pub text: Text,
}

/// The mistakes the watcher recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HintWhen {
    /// The learner's image has more layers than the pack's `max_layers`.
    TooManyLayers,
    /// The build step's Dockerfile in the workspace is still the template as
    /// shipped (the TODO lines), or has no `FROM` yet: nothing to build.
    DockerfileIsTemplate,
    /// A layer of the learner's image keeps files under `/var/cache/apk`.
    ApkCacheLeft,
    /// The workspace page is still the template as shipped.
    PageIsTemplate,
    /// A container of the learner's image has exited.
    ContainerExited,
    /// The learner's container publishes its port on every interface.
    PortOnAllInterfaces,
    /// The learner's container runs but publishes no port.
    NoPort,
    /// The learner's image has a new name, but not under the registry.
    NotTaggedForRegistry,
    /// A push cannot go through: no login stored for the registry, or a
    /// Docker Hub namespace that is not the logged-in user's.
    PushRefused,
    /// The registry holds another image than the local one (rebuilt after the push).
    RegistryDiffers,
}

pub const HINT_NAMES: &[&str] = &[
    "too_many_layers",
    "dockerfile_is_template",
    "apk_cache_left",
    "page_is_template",
    "container_exited",
    "port_on_all_interfaces",
    "no_port",
    "not_tagged_for_registry",
    "push_refused",
    "registry_differs",
];
