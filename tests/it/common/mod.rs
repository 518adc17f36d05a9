//! Helpers shared by the integration tests that need a Docker daemon.
//!
//! Rule: with `CI=true` a missing daemon (or service) FAILS the test with the
//! endpoint, the error and the fix; elsewhere the test is skipped LOUDLY on
//! stderr so a laptop without Docker still runs the rest of the suite.

pub mod engine;
pub mod proxy;
pub mod tmux;

pub mod skip;
pub use skip::missing;

use std::io::Write as _;

use bytes::Bytes;
use layerlab::docker::{Docker, endpoint};

/// The label the tests add on top of `layerlab.managed=true`, so a test-scoped
/// clean never touches what the product (or another developer) made.
pub const TEST_LABEL: &str = "layerlab.test";
pub const BUSYBOX_REF: &str = "layerlab-test/busybox:1";
/// Applets the test image links to busybox.
const APPLETS: &[&str] = &[
    "sh", "sleep", "ls", "cat", "echo", "rm", "mkdir", "touch", "mv", "cp", "printf", "test",
    "true", "false", "wc", "head", "env", "id", "httpd", "ps", "yes", "dd", "seq", "sync",
];

/// Our client connected to the daemon the Docker CLI would use, or `None`
/// (after a loud SKIPPED line) when there is none. Panics in CI.
pub async fn docker_or_skip() -> Option<Docker> {
    skip::uses_docker();
    let endpoint = match endpoint::resolve_from_process() {
        Ok(e) => e,
        Err(e) => {
            missing("no Docker daemon", &e.to_string());
            return None;
        }
    };
    match Docker::connect(&endpoint).await {
        // The tests' own setup is not layerlab's work: nothing goes into the
        // developer's data dir. A test about ownership sets its own log.
        Ok(d) => Some(d.with_owned_log(None)),
        Err(e) => {
            missing(
                "no Docker daemon",
                &format!(
                    "endpoint {endpoint}: {}",
                    e.render(layerlab::i18n::Lang::En)
                ),
            );
            None
        }
    }
}

/// A name no other test (or concurrent run on the same daemon) will pick.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let sequence = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{prefix}-{}-{sequence}-{nanos:08x}", std::process::id())
}

/// Lab containers of the layerlab process `pid` (its lab session ids
/// start with the pid; `Tmux::pane_pid` gives it).
pub async fn lab_containers_of(docker: &Docker, pid: u32) -> Vec<String> {
    let prefix = format!("{pid}-");
    docker
        .list_managed_containers()
        .await
        .expect("list containers")
        .into_iter()
        .filter(|c| {
            c.labels
                .get(layerlab::docker::lab::LAB_LABEL)
                .is_some_and(|s| s.starts_with(&prefix))
        })
        .map(|c| c.id)
        .collect()
}

/// The root filesystem of the test image as a tar: a statically linked
/// busybox from the host plus a few files the tests look at.
fn busybox_rootfs() -> Vec<u8> {
    let busybox = std::fs::read("/bin/busybox").unwrap_or_else(|e| {
        panic!(
            "the Docker tests need a static busybox at /bin/busybox ({e}); install it: apt-get install -y busybox-static"
        )
    });
    let mut builder = tar::Builder::new(Vec::new());
    let dir = |path: &str, mode: u32, b: &mut tar::Builder<Vec<u8>>| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(mode);
        h.set_size(0);
        h.set_mtime(1_700_000_000);
        b.append_data(&mut h, path, std::io::empty())
            .expect("append dir");
    };
    for d in ["bin", "etc", "data", "www", "root", "var"] {
        dir(d, 0o755, &mut builder);
    }
    dir("tmp", 0o1777, &mut builder);
    let file = |path: &str, mode: u32, content: &[u8], b: &mut tar::Builder<Vec<u8>>| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(mode);
        h.set_size(content.len() as u64);
        h.set_mtime(1_700_000_000);
        b.append_data(&mut h, path, content).expect("append file");
    };
    file("bin/busybox", 0o755, &busybox, &mut builder);
    file("etc/motd", 0o644, b"welcome\n", &mut builder);
    file(
        "etc/passwd",
        0o644,
        b"root:x:0:0:root:/root:/bin/sh\n",
        &mut builder,
    );
    file("data/old.txt", 0o644, b"old\n", &mut builder);
    file(
        "www/index.html",
        0o644,
        b"<h1>layerlab test page</h1>\n",
        &mut builder,
    );
    for applet in APPLETS {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_mode(0o777);
        h.set_size(0);
        h.set_mtime(1_700_000_000);
        builder
            .append_link(&mut h, format!("bin/{applet}"), "busybox")
            .expect("append link");
    }
    builder.into_inner().expect("finish tar")
}

/// A `docker save` archive holding the busybox rootfs as one layer. The
/// config is fixed (no timestamps of now), so the image id is the same on
/// every load: test processes loading it concurrently agree on one image
/// instead of moving the tag under each other.
fn busybox_archive() -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let layer = busybox_rootfs();
    let diff_id = hex::encode(Sha256::digest(&layer));
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let config = serde_json::json!({
        "architecture": arch,
        "os": "linux",
        "created": "2023-11-14T22:13:20Z",
        "config": {
            "Env": ["PATH=/bin"],
            "Cmd": ["sh"],
            "Labels": {"layerlab.managed": "true", TEST_LABEL: "busybox"},
        },
        "history": [{"created": "2023-11-14T22:13:20Z", "created_by": "layerlab test busybox"}],
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{diff_id}")]},
    })
    .to_string();
    let config_id = hex::encode(Sha256::digest(config.as_bytes()));
    let manifest = serde_json::json!([{
        "Config": format!("{config_id}.json"),
        "RepoTags": [BUSYBOX_REF],
        "Layers": [format!("{diff_id}/layer.tar")],
    }])
    .to_string();
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |path: String, content: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_size(content.len() as u64);
        h.set_mtime(1_700_000_000);
        builder.append_data(&mut h, path, content).expect("append");
    };
    add(format!("{diff_id}/layer.tar"), &layer);
    add(format!("{config_id}.json"), config.as_bytes());
    add("manifest.json".to_string(), manifest.as_bytes());
    builder.into_inner().expect("finish tar")
}

static LOAD_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `layerlab-test/busybox:1`, loaded once per test binary (and again if
/// something removed it meanwhile). Labelled managed + `layerlab.test=busybox`.
pub async fn busybox_image(docker: &Docker) -> String {
    let _guard = LOAD_LOCK.lock().await;
    if let Ok(Some(_)) = docker.inspect_image(BUSYBOX_REF).await {
        return BUSYBOX_REF.to_string();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("busybox.tar");
    std::fs::write(&archive, busybox_archive()).expect("write archive");
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let loaded = docker
        .load_image(&archive, &tx, &tokio_util::sync::CancellationToken::new())
        .await;
    match loaded {
        Ok(loaded) => assert!(loaded.iter().any(|r| r == BUSYBOX_REF), "{loaded:?}"),
        // The lock above is per process. Two test processes loading at once
        // agree on one image id on the classic store; the containerd image
        // store refuses the second ("already exists"): the image is there.
        Err(e) => {
            if !matches!(docker.inspect_image(BUSYBOX_REF).await, Ok(Some(_))) {
                panic!("loading the busybox test image: {e}");
            }
        }
    }
    BUSYBOX_REF.to_string()
}

/// The busybox root filesystem alone (for `import_rootfs`, docker import).
pub fn busybox_rootfs_stream()
-> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::iter(vec![Ok(Bytes::from(busybox_rootfs()))])
}

/// Removes, on drop (also when the test panics), the containers by id and the
/// images by the unique tag the test gave them. An identical build shares its
/// id with other tests' images, so a tag is removed, never an id with force.
/// Parents are not pruned: they are the build cache a parallel build may be
/// standing on ("unknown parent image ID"). `scripts/test.sh` removes the
/// dangling ones this run left once every test is done.
#[derive(Default)]
pub struct Cleanup {
    containers: Vec<String>,
    images: Vec<String>,
}

impl Cleanup {
    pub fn new() -> Cleanup {
        Cleanup::default()
    }
    pub fn container(&mut self, id: &str) {
        self.containers.push(id.to_string());
    }
    pub fn image(&mut self, reference: &str) {
        self.images.push(reference.to_string());
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if self.containers.is_empty() && self.images.is_empty() {
            return;
        }
        let containers = std::mem::take(&mut self.containers);
        let images = std::mem::take(&mut self.images);
        // Drop runs inside the test's runtime, where blocking on a future is
        // not allowed: a thread with its own runtime does the removal.
        let worker = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                eprintln!("cleanup: cannot start a runtime");
                return;
            };
            runtime.block_on(async move {
                // Raw bollard: our client's image removal prunes parents, as
                // `docker rmi` does, and that is what must not happen here.
                let docker = match bollard::Docker::connect_with_local_defaults() {
                    Ok(docker) => docker.negotiate_version().await,
                    Err(e) => Err(e),
                };
                let docker = match docker {
                    Ok(docker) => docker,
                    Err(e) => {
                        eprintln!("cleanup: cannot reach Docker: {e}");
                        return;
                    }
                };
                let gone = |result: Result<(), bollard::errors::Error>, what: &str| match result {
                    Ok(())
                    | Err(bollard::errors::Error::DockerResponseServerError {
                        status_code: 404,
                        ..
                    }) => {}
                    Err(e) => eprintln!("cleanup: {what}: {e}"),
                };
                let remove_container = bollard::query_parameters::RemoveContainerOptions {
                    force: true,
                    v: true,
                    ..Default::default()
                };
                for id in containers {
                    let result = docker
                        .remove_container(&id, Some(remove_container.clone()))
                        .await;
                    gone(result, &format!("container {id}"));
                }
                let keep_parents = bollard::query_parameters::RemoveImageOptions {
                    noprune: true,
                    ..Default::default()
                };
                for image in images.iter().rev() {
                    let result = docker
                        .remove_image(image, Some(keep_parents.clone()), None)
                        .await
                        .map(drop);
                    gone(result, &format!("image {image}"));
                }
            });
        });
        if worker.join().is_err() {
            eprintln!("cleanup: the removal thread panicked");
        }
        let _ = std::io::stderr().flush();
    }
}
