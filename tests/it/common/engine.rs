//! Which Docker Engine a test is talking to. `scripts/test.sh` runs the Docker
//! tests twice: against the machine's engine (20.10 here: graph drivers, the
//! classic builder) and against a current one it starts itself
//! (`scripts/engine-current.sh`: the containerd image store and BuildKit, as a
//! student who installs Docker now gets it). A test that only makes sense on
//! one of them says so with [`require`].

use layerlab::docker::Docker;
use layerlab::docker::model::ImageStore;

use super::skip;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// Images in a graph driver (overlay2, fuse-overlayfs, …): Engine ≤ 28 by default.
    Classic,
    /// The containerd image store (`io.containerd.snapshotter.v1` in
    /// `docker info`'s driver status): the default of fresh Engine 29 installs.
    ContainerdSnapshotter,
}

impl EngineKind {
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Classic => "classic",
            EngineKind::ContainerdSnapshotter => "containerd-snapshotter",
        }
    }
}

/// The kind of the engine `docker` talks to, from the daemon's own info.
pub async fn engine_kind(docker: &Docker) -> EngineKind {
    let info = docker
        .engine_info()
        .await
        .unwrap_or_else(|e| panic!("docker info: {e}"));
    match info.image_store {
        ImageStore::ContainerdSnapshotter { .. } => EngineKind::ContainerdSnapshotter,
        _ => EngineKind::Classic,
    }
}

/// True when the test may go on: the engine is of the `wanted` kind.
/// Otherwise it says loudly that the test belongs to the other pass and
/// returns false. With `CI=true` and no second engine in this run
/// (`LAYERLAB_TEST_ENGINE2_HOST` unset), the test would run nowhere: a failure.
pub async fn require(docker: &Docker, wanted: EngineKind) -> bool {
    let have = engine_kind(docker).await;
    if have == wanted {
        return true;
    }
    let second_engine = std::env::var("LAYERLAB_TEST_ENGINE2_HOST").is_ok_and(|v| !v.is_empty());
    if !second_engine {
        skip::missing(
            &format!("a {} Docker Engine", wanted.name()),
            &format!(
                "this one is {}; scripts/test.sh runs the Docker tests on both engines",
                have.name()
            ),
        );
    } else {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "NOT ON THIS ENGINE: {}: needs the {} engine, this is the {} one; it runs in the other pass",
            skip::test_name(),
            wanted.name(),
            have.name()
        );
    }
    false
}
