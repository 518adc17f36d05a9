//! `Docker`: the typed async client the rest of layerlab uses. It wraps
//! `bollard::Docker`, always negotiates the API version (bollard speaks 1.53,
//! classroom engines are often 20.10 / 1.41), and converts every bollard type
//! into `model` types and every failure into a `DockerError` here.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::query_parameters as qp;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::docker::credentials::{CredentialStore, Credentials};
use crate::docker::endpoint::{self, Endpoint, Transport};
use crate::docker::error::{BuildStep, DockerError, RegistryError, Subject, error_chain_text};
use crate::docker::model::*;
use crate::docker::owned::{OwnedKind, OwnedLog, OwnedRecord};
use crate::docker::reference::{self, ImageRef};
use crate::docker::{build_context, direct};

// What the watcher asks the daemon (every image and container, not only
// layerlab's), in its own file.
mod state;
#[cfg(test)]
pub(crate) use state::published_ports;
pub use state::{ContainerSummary, ImageCommand, ImageSummary, PublishedPort};

pub use crate::docker::timeouts::{CONNECT_TIMEOUT, REQUEST_TIMEOUT};
/// Default cap on exec output kept per stream.
pub const DEFAULT_EXEC_OUTPUT_CAP: usize = 1024 * 1024;

#[derive(Clone)]
pub struct Docker {
    inner: bollard::Docker,
    endpoint: Endpoint,
    api_version: String,
    /// Where what this client creates is recorded (`None`: not recorded).
    owned: Option<OwnedLog>,
}

impl std::fmt::Debug for Docker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Docker")
            .field("endpoint", &self.endpoint)
            .field("api_version", &self.api_version)
            .finish()
    }
}

/// Options for `exec_with`.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// Bytes kept per stream (stdout, stderr); the rest is drained and dropped.
    pub max_output: usize,
    /// Give up (and return `DockerError::Timeout`) after this long.
    pub timeout: Option<Duration>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            max_output: DEFAULT_EXEC_OUTPUT_CAP,
            timeout: None,
            user: None,
            working_dir: None,
        }
    }
}

fn managed_labels(
    extra: &BTreeMap<String, String>,
    lesson: Option<&str>,
) -> HashMap<String, String> {
    let mut labels: HashMap<String, String> = extra.clone().into_iter().collect();
    labels.insert(MANAGED_LABEL.to_string(), "true".to_string());
    if let Some(lesson) = lesson {
        labels.insert(LESSON_LABEL.to_string(), lesson.to_string());
    }
    labels
}

fn label_instruction(labels: &HashMap<String, String>) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut pairs: Vec<_> = labels.iter().collect();
    pairs.sort();
    let body: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", quote(k), quote(v)))
        .collect();
    format!("LABEL {}", body.join(" "))
}

fn opt_u64(v: Option<i64>) -> Option<u64> {
    v.and_then(|x| u64::try_from(x).ok())
}

/// A layer's line of a build or load stream, with its byte counts when given.
fn layer_progress(
    id: String,
    detail: Option<&bollard::models::ProgressDetail>,
    status: String,
) -> Progress {
    Progress::Layer {
        id,
        current: detail.and_then(|p| opt_u64(p.current)),
        total: detail.and_then(|p| opt_u64(p.total)),
        status,
    }
}

/// Wait for the next stream item unless cancelled first.
async fn next_or_cancel<S: Stream + Unpin>(
    stream: &mut S,
    cancel: &CancellationToken,
) -> Result<Option<S::Item>, DockerError> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(DockerError::Cancelled),
        item = stream.next() => Ok(item),
    }
}

/// The Dockerfile's instructions (with their lines) and the context's
/// files to send, `.dockerignore` applied.
async fn read_build_context(
    context_dir: &Path,
    dockerfile: &str,
) -> Result<(Vec<(u32, String)>, Vec<std::path::PathBuf>), DockerError> {
    let dockerfile_path = context_dir.join(dockerfile);
    let dockerfile_text = match tokio::fs::read_to_string(&dockerfile_path).await {
        Ok(t) => t,
        Err(e) => {
            return Err(DockerError::BuildContext {
                path: dockerfile_path,
                message: e.to_string(),
            });
        }
    };
    let instructions = build_context::dockerfile_instructions(&dockerfile_text);
    let entries = {
        let dir = context_dir.to_path_buf();
        let df = dockerfile.to_string();
        tokio::task::spawn_blocking(move || build_context::context_entries(&dir, &df))
            .await
            .map_err(|e| DockerError::BuildContext {
                path: context_dir.to_path_buf(),
                message: e.to_string(),
            })??
    };
    Ok((instructions, entries))
}

/// What a classic build's stream has said so far: the step it is at, the
/// image id once known, and a log line not yet ended.
struct BuildWatch {
    /// The Dockerfile's (line, instruction), to name a step's line.
    instructions: Vec<(u32, String)>,
    current: Option<BuildStep>,
    image_id: Option<String>,
    /// The id in "Successfully built ID", for a daemon that sends no aux id.
    short_built: Option<String>,
    partial: String,
}

impl BuildWatch {
    fn new(instructions: Vec<(u32, String)>) -> BuildWatch {
        BuildWatch {
            instructions,
            current: None,
            image_id: None,
            short_built: None,
            partial: String::new(),
        }
    }

    /// One message of the stream: log text, a layer's status, or the id.
    fn take(&mut self, info: bollard::models::BuildInfo, progress: &UnboundedSender<Progress>) {
        if let Some(text) = info.stream {
            self.partial.push_str(&text);
            self.complete_lines(progress);
        }
        if let Some(status) = info.status {
            let _ = progress.send(match info.id {
                Some(id) => layer_progress(id, info.progress_detail.as_ref(), status),
                None => Progress::Status(status),
            });
        }
        if let Some(aux) = info.aux
            && let Some(id) = aux.id
        {
            self.image_id = Some(id);
        }
    }

    /// Send each whole line of the log; a "Step N/M" line also moves the
    /// step counter.
    fn complete_lines(&mut self, progress: &UnboundedSender<Progress>) {
        while let Some(nl) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=nl).collect();
            let line = line.trim_end().to_string();
            if line.is_empty() {
                continue;
            }
            if let Some((n, m, instruction)) = build_context::parse_step(&line) {
                let _ = progress.send(Progress::BuildStep {
                    number: n,
                    total: m,
                    instruction: instruction.clone(),
                });
                self.current = Some(BuildStep {
                    line: self
                        .instructions
                        .get(n.saturating_sub(1) as usize)
                        .map(|(line, _)| *line),
                    number: n,
                    total: m,
                    instruction,
                });
            }
            if let Some(id) = line.strip_prefix("Successfully built ") {
                self.short_built = Some(id.trim().to_string());
            }
            let _ = progress.send(Progress::BuildLog(line));
        }
    }

    /// The stream ended: send the last unfinished line; the image id and
    /// the last step, or an error when no image came of it.
    fn finish(
        self,
        progress: &UnboundedSender<Progress>,
    ) -> Result<(String, Option<BuildStep>), DockerError> {
        if !self.partial.trim().is_empty() {
            let _ = progress.send(Progress::BuildLog(self.partial.trim_end().to_string()));
        }
        match self.image_id.or(self.short_built) {
            Some(id) => Ok((id, self.current)),
            // The stream ended without a result: the connection dropped.
            None => Err(DockerError::Build {
                message: "the build ended without producing an image".to_string(),
                step: self.current,
            }),
        }
    }
}

impl Docker {
    /// Resolve the endpoint like the Docker CLI and connect to it.
    pub async fn connect_default() -> Result<Docker, DockerError> {
        let endpoint = endpoint::resolve_from_process()?;
        Docker::connect(&endpoint).await
    }

    /// Connect, negotiate the API version and ping, all within
    /// `CONNECT_TIMEOUT`.
    pub async fn connect(endpoint: &Endpoint) -> Result<Docker, DockerError> {
        let transport = endpoint.transport()?;
        let raw = match &transport {
            Transport::Unix(path) => bollard::Docker::connect_with_unix(
                &path.to_string_lossy(),
                REQUEST_TIMEOUT.as_secs(),
                bollard::API_DEFAULT_VERSION,
            ),
            Transport::Tcp(host_port) => bollard::Docker::connect_with_http(
                &format!("http://{host_port}"),
                REQUEST_TIMEOUT.as_secs(),
                bollard::API_DEFAULT_VERSION,
            ),
        }
        .map_err(|e| DockerError::from_bollard(e, endpoint, Subject::Other))?;
        let handshake = async {
            let negotiated = raw.negotiate_version().await?;
            negotiated.ping().await?;
            Ok::<_, bollard::errors::Error>(negotiated)
        };
        let inner = match tokio::time::timeout(CONNECT_TIMEOUT, handshake).await {
            Err(_) => {
                return Err(DockerError::Timeout {
                    endpoint: Box::new(endpoint.clone()),
                    what: "the version check".to_string(),
                    after: CONNECT_TIMEOUT,
                });
            }
            Ok(Err(e)) => {
                return Err(
                    match DockerError::from_bollard(e, endpoint, Subject::Other) {
                        // The version check got an answer, and it was not the
                        // daemon's (a 404 page, HTML, not JSON).
                        DockerError::Api { status, message } => DockerError::NotDocker {
                            endpoint: Box::new(endpoint.clone()),
                            detail: if status == 0 {
                                message
                            } else {
                                let first: String = message
                                    .lines()
                                    .next()
                                    .unwrap_or("")
                                    .chars()
                                    .take(120)
                                    .collect();
                                format!("HTTP {status} to the version check ({first})")
                            },
                        },
                        other => other,
                    },
                );
            }
            Ok(Ok(inner)) => inner,
        };
        let v = inner.client_version();
        let api_version = format!("{}.{}", v.major_version, v.minor_version);
        tracing::info!(endpoint = %endpoint, api = %api_version, "connected to the Docker daemon");
        Ok(Docker {
            inner,
            endpoint: endpoint.clone(),
            api_version,
            owned: Some(OwnedLog::in_data_dir()),
        })
    }

    /// Record what this client creates in `log` instead of the data dir's
    /// `owned.jsonl` (`None`: record nothing, e.g. a test's own setup).
    pub fn with_owned_log(mut self, log: Option<OwnedLog>) -> Docker {
        self.owned = log;
        self
    }

    pub fn owned_log(&self) -> Option<&OwnedLog> {
        self.owned.as_ref()
    }

    /// Note that layerlab created `id`. A failure to write is logged, never
    /// fatal: the learner's step worked; `clean` will then keep the thing
    /// and say so rather than remove something unrecorded.
    fn record_owned(&self, kind: OwnedKind, id: &str, reference: Option<&str>) {
        if let Some(log) = &self.owned
            && !id.is_empty()
        {
            let record = OwnedRecord {
                kind,
                id: id.to_string(),
                reference: reference.map(str::to_string),
            };
            if let Err(e) = log.append(&record) {
                tracing::warn!(
                    "cannot record {kind:?} {id} in {}: {e}",
                    log.path().display()
                );
            }
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The negotiated API version, e.g. "1.41".
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    fn err(&self, e: bollard::errors::Error, subject: Subject<'_>) -> DockerError {
        DockerError::from_bollard(e, &self.endpoint, subject)
    }

    pub async fn ping(&self) -> Result<(), DockerError> {
        match tokio::time::timeout(CONNECT_TIMEOUT, self.inner.ping()).await {
            Err(_) => Err(DockerError::Timeout {
                endpoint: Box::new(self.endpoint.clone()),
                what: "ping".to_string(),
                after: CONNECT_TIMEOUT,
            }),
            Ok(r) => r.map(|_| ()).map_err(|e| self.err(e, Subject::Other)),
        }
    }

    pub async fn engine_info(&self) -> Result<EngineInfo, DockerError> {
        let version = self
            .inner
            .version()
            .await
            .map_err(|e| self.err(e, Subject::Other))?;
        let info = self
            .inner
            .info()
            .await
            .map_err(|e| self.err(e, Subject::Other))?;
        let storage_driver = info.driver.clone().unwrap_or_default();
        // Docker 24+ with the containerd image store reports
        // ["driver-type", "io.containerd.snapshotter.v1"] in DriverStatus.
        let snapshotter = info
            .driver_status
            .as_ref()
            .map(|rows| {
                rows.iter().any(|row| {
                    row.len() == 2 && row[0] == "driver-type" && row[1].contains("snapshotter")
                })
            })
            .unwrap_or(false);
        let image_store = if snapshotter {
            ImageStore::ContainerdSnapshotter {
                snapshotter: storage_driver.clone(),
            }
        } else {
            ImageStore::GraphDriver {
                driver: storage_driver.clone(),
            }
        };
        Ok(EngineInfo {
            engine_version: version.version.or(info.server_version).unwrap_or_default(),
            api_version: self.api_version.clone(),
            server_api_version: version.api_version.unwrap_or_default(),
            storage_driver,
            image_store,
            operating_system: info.operating_system.unwrap_or_default(),
            os_type: info.os_type.unwrap_or_default(),
            kernel_version: info
                .kernel_version
                .or(version.kernel_version)
                .unwrap_or_default(),
            architecture: info.architecture.unwrap_or_default(),
        })
    }

    /// The image, or `None` when the engine doesn't have it.
    pub async fn inspect_image(&self, reference: &str) -> Result<Option<ImageInfo>, DockerError> {
        reference::validate_ref_or_id(reference)?;
        let inspect = match self.inner.inspect_image(reference).await {
            Ok(i) => i,
            Err(e) => {
                return match self.err(e, Subject::Image(reference)) {
                    DockerError::ImageNotFound { .. } => Ok(None),
                    other => Err(other),
                };
            }
        };
        let history = match self.inner.image_history(reference).await {
            Ok(h) => h
                .into_iter()
                .map(|h| HistoryEntry {
                    id: h.id,
                    created: h.created,
                    created_by: h.created_by,
                    size: u64::try_from(h.size).unwrap_or(0),
                    comment: h.comment,
                    tags: h.tags,
                })
                .collect(),
            Err(e) => return Err(self.err(e, Subject::Image(reference))),
        };
        Ok(Some(ImageInfo {
            id: inspect.id.unwrap_or_default(),
            repo_tags: inspect.repo_tags.unwrap_or_default(),
            repo_digests: inspect.repo_digests.unwrap_or_default(),
            size: opt_u64(inspect.size).unwrap_or(0),
            layers: inspect.root_fs.and_then(|r| r.layers).unwrap_or_default(),
            history,
            os: inspect.os.unwrap_or_default(),
            architecture: inspect.architecture.unwrap_or_default(),
            labels: inspect
                .config
                .and_then(|c| c.labels)
                .map(|l| l.into_iter().collect())
                .unwrap_or_default(),
            created: inspect.created.unwrap_or_default(),
        }))
    }

    /// `docker build` with the classic builder. The log is streamed as
    /// `Progress::BuildLog` lines and `Progress::BuildStep` counters.
    pub async fn build_image(
        &self,
        spec: &BuildSpec,
        progress: &UnboundedSender<Progress>,
        cancel: &CancellationToken,
    ) -> Result<BuiltImage, DockerError> {
        ImageRef::parse(&spec.tag)?;
        let dockerfile = spec
            .dockerfile
            .clone()
            .unwrap_or_else(|| "Dockerfile".into());
        let context_dir = spec.context_dir.clone();
        let (instructions, entries) = read_build_context(&context_dir, &dockerfile).await?;
        // A read error while streaming the context aborts the request; keep
        // its text so the learner sees "cannot read FILE", not "broken pipe".
        let context_error: Arc<Mutex<Option<String>>> = Arc::default();
        let recorder = context_error.clone();
        let tar = build_context::tar_stream(context_dir.clone(), entries).map(move |item| {
            if let Err(e) = &item
                && let Ok(mut slot) = recorder.lock()
            {
                slot.get_or_insert_with(|| e.to_string());
            }
            item
        });
        let labels = managed_labels(&spec.labels, spec.lesson.as_deref());
        let options = qp::BuildImageOptions {
            dockerfile: dockerfile.clone(),
            t: Some(spec.tag.clone()),
            nocache: spec.no_cache,
            rm: true,
            forcerm: true,
            buildargs: Some(spec.build_args.clone().into_iter().collect()),
            labels: Some(labels),
            ..Default::default()
        };
        let mut stream = self
            .inner
            .build_image(options, None, Some(bollard::body_try_stream(tar)));

        let mut watch = BuildWatch::new(instructions);
        loop {
            let item = match next_or_cancel(&mut stream, cancel).await {
                Ok(Some(item)) => item,
                Ok(None) => break,
                Err(cancelled) => return Err(cancelled),
            };
            match item {
                Ok(info) => watch.take(info, progress),
                Err(e) => {
                    let context_error = context_error.lock().ok().and_then(|s| s.clone());
                    return Err(self.build_stream_error(e, watch, context_error, context_dir));
                }
            }
        }
        let (id, current) = watch.finish(progress)?;
        let full_id = match self.inspect_image(&spec.tag).await? {
            Some(info) => info.id,
            None => id,
        };
        self.record_owned(OwnedKind::Image, &full_id, Some(&spec.tag));
        Ok(BuiltImage {
            id: full_id,
            tag: spec.tag.clone(),
            steps: current.map(|s| s.total).unwrap_or(0),
        })
    }

    /// A build stream's error as the learner should see it: the step it
    /// failed at, the Dockerfile line of a parse error, or the context file
    /// that could not be read (`context_error`) rather than the broken pipe
    /// it caused.
    fn build_stream_error(
        &self,
        e: bollard::errors::Error,
        watch: BuildWatch,
        context_error: Option<String>,
        context_dir: std::path::PathBuf,
    ) -> DockerError {
        match e {
            bollard::errors::Error::DockerStreamError { error } => DockerError::Build {
                message: error.trim().to_string(),
                step: watch.current,
            },
            bollard::errors::Error::DockerResponseServerError {
                status_code,
                message,
            } if status_code != 404 => {
                // Parse errors come back before any step ran.
                let step = build_context::parse_error_line(&message).map(|line| BuildStep {
                    number: 0,
                    total: watch.instructions.len() as u32,
                    instruction: watch
                        .instructions
                        .iter()
                        .find(|(l, _)| *l == line)
                        .map(|(_, t)| t.clone())
                        .unwrap_or_default(),
                    line: Some(line),
                });
                DockerError::Build { message, step }
            }
            e => match context_error {
                Some(text) => DockerError::BuildContext {
                    path: context_dir,
                    message: text,
                },
                None => self.err(e, Subject::Other),
            },
        }
    }

    /// `docker import`: make a one-layer image from a root filesystem tar
    /// (the test suite's busybox image; also how a teacher can ship a base).
    /// Always labelled `layerlab.managed=true`. Returns the image id.
    pub async fn import_rootfs<S>(
        &self,
        rootfs_tar: S,
        reference: &str,
        labels: &BTreeMap<String, String>,
        extra_changes: &[String],
    ) -> Result<String, DockerError>
    where
        S: Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
    {
        let parsed = ImageRef::parse(reference)?;
        let mut changes = vec![label_instruction(&managed_labels(labels, None))];
        changes.extend(extra_changes.iter().cloned());
        let options = qp::CreateImageOptions {
            from_src: Some("-".to_string()),
            repo: Some(parsed.repository()),
            tag: Some(parsed.tag_or_latest().to_string()),
            changes,
            ..Default::default()
        };
        let mut stream = self.inner.create_image(
            Some(options),
            Some(bollard::body_try_stream(rootfs_tar)),
            None,
        );
        let mut last_status = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(s) = info.status {
                        last_status = Some(s);
                    }
                }
                Err(bollard::errors::Error::DockerStreamError { error }) => {
                    return Err(DockerError::Api {
                        status: 0,
                        message: error,
                    });
                }
                Err(e) => return Err(self.err(e, Subject::Other)),
            }
        }
        match self.inspect_image(reference).await? {
            Some(info) => {
                self.record_owned(OwnedKind::Image, &info.id, Some(reference));
                Ok(info.id)
            }
            None => Err(DockerError::Api {
                status: 0,
                message: format!(
                    "import finished ({}) but {reference} does not exist",
                    last_status.unwrap_or_default()
                ),
            }),
        }
    }

    /// Create and start a container, publishing ports on 127.0.0.1 only.
    pub async fn run_container(&self, spec: &RunSpec) -> Result<ContainerInfo, DockerError> {
        reference::validate_ref_or_id(&spec.image)?;
        if let Some(name) = &spec.name {
            validate_container_name(name)?;
        }
        let mut exposed = Vec::new();
        let mut bindings: HashMap<String, Option<Vec<bollard::models::PortBinding>>> =
            HashMap::new();
        for p in &spec.ports {
            let key = format!("{}/tcp", p.container);
            exposed.push(key.clone());
            bindings.insert(
                key,
                Some(vec![bollard::models::PortBinding {
                    host_ip: Some("127.0.0.1".to_string()),
                    // Empty: the daemon picks a free port.
                    host_port: Some(p.host.map(|h| h.to_string()).unwrap_or_default()),
                }]),
            );
        }
        let mut binds = Vec::new();
        for (host, container) in &spec.binds {
            if !host.is_absolute() {
                return Err(DockerError::InvalidInput(format!(
                    "bind mount source {} must be an absolute path",
                    host.display()
                )));
            }
            if !container.starts_with('/') {
                return Err(DockerError::InvalidInput(format!(
                    "bind mount target {container} must be an absolute path"
                )));
            }
            binds.push(format!("{}:{container}", host.display()));
        }
        let body = bollard::models::ContainerCreateBody {
            image: Some(spec.image.clone()),
            cmd: spec.cmd.clone(),
            env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            labels: Some(managed_labels(&spec.labels, None)),
            exposed_ports: Some(exposed),
            host_config: Some(bollard::models::HostConfig {
                port_bindings: Some(bindings),
                binds: Some(binds),
                privileged: Some(spec.privileged),
                ..Default::default()
            }),
            ..Default::default()
        };
        let options = qp::CreateContainerOptions {
            name: spec.name.clone(),
            ..Default::default()
        };
        let created = self
            .inner
            .create_container(Some(options), body)
            .await
            .map_err(|e| self.err(e, Subject::Image(&spec.image)))?;
        self.record_owned(OwnedKind::Container, &created.id, None);
        if let Err(e) = self.inner.start_container(&created.id, None).await {
            let err = self.err(e, Subject::Container(&created.id));
            // Ours and never started: leave nothing behind.
            let _ = self.remove_container(&created.id).await;
            return Err(err);
        }
        let details = self.inspect_container(&created.id).await?;
        let mut ports = details.ports.clone();
        // A freshly started container may not have its ports in the first
        // inspect on a slow daemon; ask again briefly.
        let mut attempts = 0;
        while ports.len() < spec.ports.len() && attempts < 10 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            ports = self.inspect_container(&created.id).await?.ports;
            attempts += 1;
        }
        Ok(ContainerInfo {
            id: created.id,
            name: details.name,
            ports,
        })
    }

    pub async fn inspect_container(&self, id: &str) -> Result<ContainerDetails, DockerError> {
        let c = self
            .inner
            .inspect_container(id, None::<qp::InspectContainerOptions>)
            .await
            .map_err(|e| self.err(e, Subject::Container(id)))?;
        let state = c.state.unwrap_or_default();
        let mut ports = Vec::new();
        if let Some(map) = c.network_settings.and_then(|n| n.ports) {
            for (key, bindings) in map {
                let Some(container_port) =
                    key.split('/').next().and_then(|p| p.parse::<u16>().ok())
                else {
                    continue;
                };
                for b in bindings.unwrap_or_default() {
                    // Only the IPv4 loopback binding: we never publish elsewhere.
                    if b.host_ip.as_deref().is_some_and(|ip| ip.contains(':')) {
                        continue;
                    }
                    if let Some(host) = b.host_port.and_then(|h| h.parse::<u16>().ok()) {
                        ports.push((container_port, host));
                    }
                }
            }
        }
        ports.sort();
        ports.dedup();
        Ok(ContainerDetails {
            id: c.id.unwrap_or_default(),
            name: c
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            image_id: c.image.unwrap_or_default(),
            image: c
                .config
                .as_ref()
                .and_then(|cfg| cfg.image.clone())
                .unwrap_or_default(),
            state: ContainerState {
                status: state.status.map(|s| s.to_string()).unwrap_or_default(),
                running: state.running.unwrap_or(false),
                exit_code: state.exit_code,
                started_at: state.started_at,
                finished_at: state.finished_at,
            },
            graph_driver: c.graph_driver.map(|g| GraphDriver {
                name: g.name,
                data: g.data.into_iter().collect(),
            }),
            labels: c
                .config
                .and_then(|cfg| cfg.labels)
                .map(|l| l.into_iter().collect())
                .unwrap_or_default(),
            ports,
        })
    }

    /// `sh -c COMMAND` in a running container, output capped at 1 MiB per stream.
    pub async fn exec(
        &self,
        container: &str,
        command: &str,
        cancel: &CancellationToken,
    ) -> Result<ExecOutput, DockerError> {
        self.exec_with(container, command, &ExecOptions::default(), cancel)
            .await
    }

    pub async fn exec_with(
        &self,
        container: &str,
        command: &str,
        options: &ExecOptions,
        cancel: &CancellationToken,
    ) -> Result<ExecOutput, DockerError> {
        let config = bollard::models::ExecConfig {
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            cmd: Some(vec!["sh".into(), "-c".into(), command.to_string()]),
            user: options.user.clone(),
            working_dir: options.working_dir.clone(),
            ..Default::default()
        };
        let created = self
            .inner
            .create_exec(container, config)
            .await
            .map_err(|e| self.err(e, Subject::Container(container)))?;
        let started = self
            .inner
            .start_exec(&created.id, None)
            .await
            .map_err(|e| self.err(e, Subject::Container(container)))?;
        let bollard::exec::StartExecResults::Attached { mut output, .. } = started else {
            return Err(DockerError::Api {
                status: 0,
                message: "exec started detached".to_string(),
            });
        };
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let mut truncated = false;
        let cap = options.max_output;
        let mut keep = |buf: &mut Vec<u8>, data: &[u8]| {
            let room = cap.saturating_sub(buf.len());
            if data.len() > room {
                truncated = true;
            }
            buf.extend_from_slice(&data[..data.len().min(room)]);
        };
        let deadline = options.timeout.map(|t| tokio::time::Instant::now() + t);
        loop {
            let next = async {
                match deadline {
                    Some(d) => tokio::time::timeout_at(d, next_or_cancel(&mut output, cancel))
                        .await
                        .map_err(|_| DockerError::Timeout {
                            endpoint: Box::new(self.endpoint.clone()),
                            what: format!("`{command}`"),
                            after: options.timeout.unwrap_or_default(),
                        })?,
                    None => next_or_cancel(&mut output, cancel).await,
                }
            };
            match next.await? {
                None => break,
                Some(Ok(bollard::container::LogOutput::StdOut { message }))
                | Some(Ok(bollard::container::LogOutput::Console { message })) => {
                    keep(&mut stdout, &message)
                }
                Some(Ok(bollard::container::LogOutput::StdErr { message })) => {
                    keep(&mut stderr, &message)
                }
                Some(Ok(bollard::container::LogOutput::StdIn { .. })) => {}
                Some(Err(e)) => return Err(self.err(e, Subject::Container(container))),
            }
        }
        // The stream closes a moment before the daemon records the exit code.
        let mut exit_code = None;
        for _ in 0..50 {
            let inspect = self
                .inner
                .inspect_exec(&created.id)
                .await
                .map_err(|e| self.err(e, Subject::Container(container)))?;
            if inspect.running != Some(true) {
                exit_code = inspect.exit_code;
                if exit_code.is_some() {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(ExecOutput {
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            exit_code: exit_code.unwrap_or(-1),
            truncated,
        })
    }

    /// `docker diff`.
    pub async fn container_changes(&self, id: &str) -> Result<Vec<Change>, DockerError> {
        let changes = self
            .inner
            .container_changes(id)
            .await
            .map_err(|e| self.err(e, Subject::Container(id)))?
            .unwrap_or_default();
        Ok(changes
            .into_iter()
            .map(|c| Change {
                path: c.path,
                kind: match c.kind {
                    bollard::models::ChangeType::_0 => ChangeKind::Changed,
                    bollard::models::ChangeType::_1 => ChangeKind::Added,
                    bollard::models::ChangeType::_2 => ChangeKind::Deleted,
                },
            })
            .collect())
    }

    pub async fn start_container(&self, id: &str) -> Result<(), DockerError> {
        self.inner
            .start_container(id, None::<qp::StartContainerOptions>)
            .await
            .map_err(|e| self.err(e, Subject::Container(id)))
    }

    /// Stop (SIGTERM, then SIGKILL after `grace`). Already stopped is fine.
    pub async fn stop_container(&self, id: &str, grace: Duration) -> Result<(), DockerError> {
        let options = qp::StopContainerOptions {
            t: Some(i32::try_from(grace.as_secs()).unwrap_or(i32::MAX)),
            ..Default::default()
        };
        match self.inner.stop_container(id, Some(options)).await {
            Ok(()) => Ok(()),
            Err(e) => Err(self.err(e, Subject::Container(id))),
        }
    }

    /// Remove (forced: a running container is killed first) with its
    /// anonymous volumes.
    pub async fn remove_container(&self, id: &str) -> Result<(), DockerError> {
        let options = qp::RemoveContainerOptions {
            force: true,
            v: true,
            ..Default::default()
        };
        self.inner
            .remove_container(id, Some(options))
            .await
            .map_err(|e| self.err(e, Subject::Container(id)))
    }

    /// `docker commit`, labelled managed. Returns the new image id.
    pub async fn commit_container(
        &self,
        id: &str,
        reference: Option<&str>,
        labels: &BTreeMap<String, String>,
    ) -> Result<String, DockerError> {
        let (repo, tag) = match reference {
            Some(r) => {
                let parsed = ImageRef::parse(r)?;
                (
                    Some(parsed.repository()),
                    Some(parsed.tag_or_latest().to_string()),
                )
            }
            None => (None, None),
        };
        let options = qp::CommitContainerOptions {
            container: Some(id.to_string()),
            repo,
            tag,
            changes: Some(label_instruction(&managed_labels(labels, None))),
            pause: true,
            ..Default::default()
        };
        let result = self
            .inner
            .commit_container(options, bollard::models::ContainerConfig::default())
            .await
            .map_err(|e| self.err(e, Subject::Container(id)))?;
        self.record_owned(OwnedKind::Image, &result.id, reference);
        Ok(result.id)
    }

    /// `docker tag SOURCE TARGET`.
    pub async fn tag_image(&self, source: &str, target: &str) -> Result<(), DockerError> {
        reference::validate_ref_or_id(source)?;
        let parsed = ImageRef::parse(target)?;
        let options = qp::TagImageOptions {
            repo: Some(parsed.repository()),
            tag: Some(parsed.tag_or_latest().to_string()),
        };
        self.inner
            .tag_image(source, Some(options))
            .await
            .map_err(|e| self.err(e, Subject::Image(source)))?;
        // The tag is ours; the image it points at may not be (a base).
        if self.owned.is_some()
            && let Ok(Some(info)) = self.inspect_image(target).await
        {
            self.record_owned(OwnedKind::Tag, &info.id, Some(target));
        }
        Ok(())
    }

    /// `docker rmi`. Returns what the daemon reports (untagged refs, deleted ids).
    pub async fn remove_image(
        &self,
        reference: &str,
        force: bool,
    ) -> Result<Vec<String>, DockerError> {
        reference::validate_ref_or_id(reference)?;
        let options = qp::RemoveImageOptions {
            force,
            noprune: false,
            ..Default::default()
        };
        let items = self
            .inner
            .remove_image(reference, Some(options), None)
            .await
            .map_err(|e| self.err(e, Subject::Image(reference)))?;
        Ok(items
            .into_iter()
            .flat_map(|i| i.untagged.into_iter().chain(i.deleted))
            .collect())
    }

    /// Containers (running or not) carrying `layerlab.managed=true`.
    pub async fn list_managed_containers(&self) -> Result<Vec<ManagedContainer>, DockerError> {
        self.list_containers_labelled(&[]).await
    }

    /// Managed containers that also carry every `key=value` in `extra`.
    pub async fn list_containers_labelled(
        &self,
        extra: &[(&str, &str)],
    ) -> Result<Vec<ManagedContainer>, DockerError> {
        let options = qp::ListContainersOptions {
            all: true,
            filters: Some(label_filter(extra)),
            ..Default::default()
        };
        let list = self
            .inner
            .list_containers(Some(options))
            .await
            .map_err(|e| self.err(e, Subject::Other))?;
        Ok(list
            .into_iter()
            .map(|c| ManagedContainer {
                id: c.id.unwrap_or_default(),
                name: c
                    .names
                    .and_then(|n| n.into_iter().next())
                    .unwrap_or_default()
                    .trim_start_matches('/')
                    .to_string(),
                image: c.image.unwrap_or_default(),
                image_id: c.image_id.unwrap_or_default(),
                state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                ports: published_tcp(c.ports.unwrap_or_default()),
                labels: c
                    .labels
                    .map(|l| l.into_iter().collect())
                    .unwrap_or_default(),
            })
            .collect())
    }

    /// Images carrying `layerlab.managed=true`, newest first.
    pub async fn list_managed_images(&self) -> Result<Vec<ManagedImage>, DockerError> {
        self.list_images_labelled(&[]).await
    }

    pub async fn list_images_labelled(
        &self,
        extra: &[(&str, &str)],
    ) -> Result<Vec<ManagedImage>, DockerError> {
        let options = qp::ListImagesOptions {
            all: false,
            filters: Some(label_filter(extra)),
            ..Default::default()
        };
        let list = self
            .inner
            .list_images(Some(options))
            .await
            .map_err(|e| self.err(e, Subject::Other))?;
        let mut images: Vec<ManagedImage> = list
            .into_iter()
            .map(|i| ManagedImage {
                id: i.id,
                repo_tags: i
                    .repo_tags
                    .into_iter()
                    .filter(|t| t != "<none>:<none>")
                    .collect(),
                size: u64::try_from(i.size).unwrap_or(0),
                created: i.created,
                labels: i.labels.into_iter().collect(),
            })
            .collect();
        images.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        Ok(images)
    }

    /// The credentials `docker login` stored for this reference's registry
    /// (config `auths`, `credsStore`, `credHelpers`).
    pub async fn stored_credentials(
        &self,
        reference: &str,
    ) -> Result<Option<Credentials>, DockerError> {
        let parsed = ImageRef::parse(reference)?;
        Ok(CredentialStore::from_process()
            .lookup(&parsed.credential_key())
            .await?
            .map(|(c, _)| c))
    }

    async fn auth_for(
        &self,
        parsed: &ImageRef,
        supplied: Option<&Credentials>,
        progress: &UnboundedSender<Progress>,
    ) -> Option<Credentials> {
        if let Some(c) = supplied {
            return Some(c.clone());
        }
        match CredentialStore::from_process()
            .lookup(&parsed.credential_key())
            .await
        {
            Ok(found) => found.map(|(c, _)| c),
            Err(e) => {
                // A broken stored login must not block an anonymous push to a
                // local registry; say so and go on without it.
                tracing::warn!("stored credentials unusable: {e}");
                let _ = progress.send(Progress::Status(e.to_string()));
                None
            }
        }
    }

    /// Run a push or pull request and turn its progress lines into
    /// `Progress`; errors inside the stream become `DockerError::Registry`.
    async fn registry_stream(
        &self,
        parsed: &ImageRef,
        reference: &str,
        target: &str,
        credentials: Option<&Credentials>,
        progress: &UnboundedSender<Progress>,
        cancel: &CancellationToken,
    ) -> Result<Option<String>, DockerError> {
        let auth = direct::registry_auth_header(credentials, &parsed.credential_key());
        let mut digest = None;
        let mut stream_error = None;
        let outcome = direct::post_json_stream(
            &self.endpoint,
            target,
            &[("X-Registry-Auth", &auth)],
            cancel,
            |m| {
                if let Some(error) = m.error_text() {
                    stream_error.get_or_insert(error);
                    return Ok(());
                }
                if let Some(d) = m
                    .aux
                    .as_ref()
                    .and_then(|a| a.get("Digest"))
                    .and_then(|d| d.as_str())
                {
                    digest = Some(d.to_string());
                }
                let status = m.status.unwrap_or_default();
                if status.is_empty() {
                    return Ok(());
                }
                // "v1: digest: sha256:... size: 739" (when aux is absent)
                if digest.is_none()
                    && let Some(i) = status.find("digest: ")
                {
                    digest = status[i + 8..]
                        .split_whitespace()
                        .next()
                        .map(str::to_string);
                }
                let _ = progress.send(match m.id {
                    Some(id) if !id.is_empty() => Progress::Layer {
                        id,
                        current: m.progress_detail.as_ref().and_then(|p| opt_u64(p.current)),
                        total: m.progress_detail.as_ref().and_then(|p| opt_u64(p.total)),
                        status,
                    },
                    _ => Progress::Status(status),
                });
                Ok(())
            },
        )
        .await?;
        if let Err(refusal) = outcome {
            let lower = refusal.message.to_ascii_lowercase();
            return Err(
                if refusal.status == 404 && lower.contains("does not exist locally") {
                    DockerError::ImageNotFound {
                        reference: reference.to_string(),
                    }
                } else if refusal.status == 400 && lower.contains("invalid reference") {
                    DockerError::InvalidReference(crate::docker::reference::InvalidReference {
                        reference: reference.to_string(),
                        reason: refusal.message,
                    })
                } else {
                    RegistryError::classify(
                        parsed.registry_host(),
                        reference,
                        &refusal.message,
                        credentials.is_some(),
                    )
                    .into()
                },
            );
        }
        if let Some(error) = stream_error {
            // 20.10 reports a missing local image inside the 200 OK stream;
            // so does the containerd image store, in its own words.
            if error.contains("does not exist locally") || error.starts_with("tag does not exist: ")
            {
                return Err(DockerError::ImageNotFound {
                    reference: reference.to_string(),
                });
            }
            return Err(RegistryError::classify(
                parsed.registry_host(),
                reference,
                &error,
                credentials.is_some(),
            )
            .into());
        }
        Ok(digest)
    }

    /// `docker push`. `credentials: None` uses what `docker login` stored.
    /// Registry failures (which arrive inside a 200 OK stream) become
    /// `DockerError::Registry`.
    pub async fn push_image(
        &self,
        reference: &str,
        credentials: Option<&Credentials>,
        progress: &UnboundedSender<Progress>,
        cancel: &CancellationToken,
    ) -> Result<PushOutcome, DockerError> {
        let parsed = ImageRef::parse(reference)?;
        let auth = self.auth_for(&parsed, credentials, progress).await;
        let target = format!(
            "/v{}/images/{}/push?tag={}",
            self.api_version,
            parsed.repository(),
            direct::query_value(parsed.tag_or_latest())
        );
        let digest = self
            .registry_stream(&parsed, reference, &target, auth.as_ref(), progress, cancel)
            .await?;
        Ok(PushOutcome {
            reference: reference.to_string(),
            digest,
        })
    }

    /// `docker pull`. `credentials: None` uses what `docker login` stored.
    pub async fn pull_image(
        &self,
        reference: &str,
        credentials: Option<&Credentials>,
        progress: &UnboundedSender<Progress>,
        cancel: &CancellationToken,
    ) -> Result<(), DockerError> {
        let parsed = ImageRef::parse(reference)?;
        let auth = self.auth_for(&parsed, credentials, progress).await;
        let target = match &parsed.digest {
            Some(d) => format!(
                "/v{}/images/create?fromImage={}",
                self.api_version,
                direct::query_value(&format!("{}@{d}", parsed.repository()))
            ),
            None => format!(
                "/v{}/images/create?fromImage={}&tag={}",
                self.api_version,
                direct::query_value(&parsed.repository()),
                direct::query_value(parsed.tag_or_latest())
            ),
        };
        // A base the learner already had is theirs, not ours to record.
        let existed =
            self.owned.is_some() && matches!(self.inspect_image(reference).await, Ok(Some(_)));
        self.registry_stream(&parsed, reference, &target, auth.as_ref(), progress, cancel)
            .await?;
        if self.owned.is_some()
            && !existed
            && let Ok(Some(info)) = self.inspect_image(reference).await
        {
            self.record_owned(OwnedKind::Base, &info.id, Some(reference));
        }
        Ok(())
    }

    /// `docker save` as a byte stream (an uncompressed tar).
    pub fn export_image(&self, reference: &str) -> BoxStream<'static, Result<Bytes, DockerError>> {
        if let Err(e) = reference::validate_ref_or_id(reference) {
            return futures_util::stream::once(async move { Err(DockerError::from(e)) }).boxed();
        }
        let endpoint = self.endpoint.clone();
        let reference_owned = reference.to_string();
        self.inner
            .export_image(reference)
            .map(move |item| {
                item.map_err(|e| {
                    DockerError::from_bollard(e, &endpoint, Subject::Image(&reference_owned))
                })
            })
            .boxed()
    }

    /// `docker load < ARCHIVE`, streamed from the file (never read into
    /// memory). Progress: bytes sent as `Layer { id: file name }`, then the
    /// daemon's own lines. Returns the loaded references (tags, or ids for
    /// untagged images).
    pub async fn load_image(
        &self,
        archive: &Path,
        progress: &UnboundedSender<Progress>,
        cancel: &CancellationToken,
    ) -> Result<Vec<String>, DockerError> {
        let archive_err = |message: String| DockerError::Archive {
            path: archive.to_path_buf(),
            message,
        };
        let file = tokio::fs::File::open(archive)
            .await
            .map_err(|e| archive_err(e.to_string()))?;
        let total = file
            .metadata()
            .await
            .map_err(|e| archive_err(e.to_string()))?
            .len();
        let name = archive
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| archive.display().to_string());
        let sent_tx = progress.clone();
        let mut sent: u64 = 0;
        let mut last_reported: u64 = 0;
        let body_name = name.clone();
        let body =
            tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024).map(move |chunk| {
                if let Ok(bytes) = &chunk {
                    sent += bytes.len() as u64;
                    // Report every ~1% so a big archive does not flood the UI.
                    if sent == total || sent - last_reported >= (total / 100).max(1 << 20) {
                        last_reported = sent;
                        let _ = sent_tx.send(Progress::Layer {
                            id: body_name.clone(),
                            current: Some(sent),
                            total: Some(total),
                            status: "Sending".to_string(),
                        });
                    }
                }
                chunk
            });
        let options = qp::ImportImageOptions {
            quiet: false,
            ..Default::default()
        };
        let mut stream = self.inner.import_image_stream(options, body, None);
        let mut loaded = Vec::new();
        loop {
            let item = match next_or_cancel(&mut stream, cancel).await? {
                None => break,
                Some(item) => item,
            };
            match item {
                Ok(info) => {
                    if let Some(text) = info.stream {
                        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                            if let Some(r) = line
                                .strip_prefix("Loaded image: ")
                                .or_else(|| line.strip_prefix("Loaded image ID: "))
                            {
                                loaded.push(r.trim().to_string());
                            }
                            let _ = progress.send(Progress::Status(line.to_string()));
                        }
                    }
                    if let Some(status) = info.status {
                        let _ = progress.send(layer_progress(
                            info.id.unwrap_or_default(),
                            info.progress_detail.as_ref(),
                            status,
                        ));
                    }
                }
                Err(bollard::errors::Error::DockerStreamError { error }) => {
                    return Err(archive_err(error));
                }
                Err(bollard::errors::Error::DockerResponseServerError { message, .. }) => {
                    return Err(archive_err(message));
                }
                Err(e) => return Err(archive_err(error_chain_text(&e))),
            }
        }
        if loaded.is_empty() {
            return Err(archive_err(
                "the daemon loaded nothing from it (is it a docker save tarball?)".to_string(),
            ));
        }
        if self.owned.is_some() {
            for r in &loaded {
                if let Ok(Some(info)) = self.inspect_image(r).await {
                    self.record_owned(OwnedKind::Base, &info.id, Some(r));
                }
            }
        }
        Ok(loaded)
    }

    /// Daemon events for one container (start, die, exec_start, commit, ...).
    pub fn container_events(
        &self,
        container_id: &str,
    ) -> BoxStream<'static, Result<DockerEvent, DockerError>> {
        self.events(&[("type", "container"), ("container", container_id)])
    }

    /// Daemon events matching all `filters` (name, value) pairs, e.g.
    /// `[("label", "layerlab.managed=true")]`. Runs until dropped.
    pub fn events(
        &self,
        filters: &[(&str, &str)],
    ) -> BoxStream<'static, Result<DockerEvent, DockerError>> {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in filters {
            map.entry(k.to_string()).or_default().push(v.to_string());
        }
        // The request goes out on the first poll, not now; `since` = now
        // keeps what happens in between (the daemon replays from there).
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let options = qp::EventsOptions {
            since: Some(format!("{}.{:09}", now.as_secs(), now.subsec_nanos())),
            filters: Some(map),
            ..Default::default()
        };
        let endpoint = self.endpoint.clone();
        self.inner
            .events(Some(options))
            .map(move |item| {
                item.map(|e| {
                    let actor = e.actor.unwrap_or_default();
                    DockerEvent {
                        kind: e.typ.map(|t| t.to_string()).unwrap_or_default(),
                        action: e.action.unwrap_or_default(),
                        actor_id: actor.id.unwrap_or_default(),
                        attributes: actor
                            .attributes
                            .map(|a| a.into_iter().collect())
                            .unwrap_or_default(),
                        time_nanos: e.time_nano.unwrap_or_default(),
                    }
                })
                .map_err(|e| DockerError::from_bollard(e, &endpoint, Subject::Other))
            })
            .boxed()
    }

    /// `docker cp CONTAINER:PATH -` : a tar stream of the path.
    pub fn download_from_container(
        &self,
        container: &str,
        path: &str,
    ) -> BoxStream<'static, Result<Bytes, DockerError>> {
        let options = qp::DownloadFromContainerOptions {
            path: path.to_string(),
        };
        let endpoint = self.endpoint.clone();
        let container_owned = container.to_string();
        let path_owned = path.to_string();
        self.inner
            .download_from_container(container, Some(options))
            .map(move |item| {
                item.map_err(|e| match e {
                    bollard::errors::Error::DockerResponseServerError {
                        status_code: 404,
                        message,
                    } if !message.to_ascii_lowercase().contains("no such container") => {
                        DockerError::Api {
                            status: 404,
                            message: format!("{container_owned}:{path_owned}: {message}"),
                        }
                    }
                    other => DockerError::from_bollard(
                        other,
                        &endpoint,
                        Subject::Container(&container_owned),
                    ),
                })
            })
            .boxed()
    }

    /// GET http://127.0.0.1:PORT/PATH with bounded retries (see `http::http_get`).
    pub async fn http_get(
        &self,
        host_port: u16,
        path: &str,
        timeout: Duration,
    ) -> Result<HttpResponse, DockerError> {
        crate::docker::direct::http_get(host_port, path, timeout).await
    }
}

/// A listed container's published TCP ports as (container, host), the IPv4
/// binding only, as `inspect_container` gives them.
fn published_tcp(ports: Vec<bollard::models::PortSummary>) -> Vec<(u16, u16)> {
    let mut published: Vec<(u16, u16)> = ports
        .into_iter()
        .filter(|p| p.typ == Some(bollard::models::PortSummaryTypeEnum::TCP))
        .filter(|p| !p.ip.as_deref().is_some_and(|ip| ip.contains(':')))
        .filter_map(|p| Some((p.private_port, p.public_port?)))
        .collect();
    published.sort();
    published.dedup();
    published
}

fn label_filter(extra: &[(&str, &str)]) -> HashMap<String, Vec<String>> {
    let mut labels = vec![format!("{MANAGED_LABEL}=true")];
    labels.extend(extra.iter().map(|(k, v)| format!("{k}={v}")));
    HashMap::from([("label".to_string(), labels)])
}

/// The daemon's rule: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub fn validate_container_name(name: &str) -> Result<(), DockerError> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = name.len() >= 2
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(DockerError::InvalidInput(format!(
            "container name {name:?} must be at least 2 characters: letters, digits, '_', '.', '-', starting with a letter or digit"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_always_include_managed_and_lesson() {
        let extra = BTreeMap::from([("course".to_string(), "devops".to_string())]);
        let labels = managed_labels(&extra, Some("02-build"));
        assert_eq!(labels.get(MANAGED_LABEL).map(String::as_str), Some("true"));
        assert_eq!(
            labels.get(LESSON_LABEL).map(String::as_str),
            Some("02-build")
        );
        assert_eq!(labels.get("course").map(String::as_str), Some("devops"));
        // The caller cannot switch the managed label off.
        let sneaky = BTreeMap::from([(MANAGED_LABEL.to_string(), "false".to_string())]);
        assert_eq!(
            managed_labels(&sneaky, None)
                .get(MANAGED_LABEL)
                .map(String::as_str),
            Some("true")
        );
    }

    #[test]
    fn label_instruction_quotes_values() {
        let labels = HashMap::from([
            ("layerlab.managed".to_string(), "true".to_string()),
            ("note".to_string(), "say \"hi\"".to_string()),
        ]);
        assert_eq!(
            label_instruction(&labels),
            r#"LABEL "layerlab.managed"="true" "note"="say \"hi\"""#
        );
    }

    #[test]
    fn label_filter_always_requires_managed() {
        let f = label_filter(&[("layerlab.test", "x")]);
        assert_eq!(
            f.get("label"),
            Some(&vec![
                "layerlab.managed=true".to_string(),
                "layerlab.test=x".to_string()
            ])
        );
    }

    #[test]
    fn container_names() {
        assert!(validate_container_name("layerlab-web_1.x").is_ok());
        assert!(validate_container_name("a").is_err());
        assert!(validate_container_name("-web").is_err());
        assert!(validate_container_name("my web").is_err());
    }

    #[tokio::test]
    async fn connecting_to_a_missing_socket_fails_fast_and_names_it() {
        let endpoint = Endpoint {
            url: "unix:///nonexistent/layerlab-test.sock".into(),
            source: crate::docker::endpoint::EndpointSource::DockerHost,
        };
        let started = std::time::Instant::now();
        let err = Docker::connect(&endpoint)
            .await
            .expect_err("no daemon there");
        assert!(started.elapsed() < CONNECT_TIMEOUT);
        let text = err.to_string();
        assert!(text.contains("/nonexistent/layerlab-test.sock"), "{text}");
        assert!(text.contains("No such file or directory"), "{text}");
        assert!(text.contains("DOCKER_HOST"), "{text}");
    }

    #[tokio::test]
    async fn a_socket_nobody_listens_on_is_connection_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dead.sock");
        // Bind then drop: the socket file stays, nobody accepts.
        drop(std::os::unix::net::UnixListener::bind(&path).expect("bind"));
        let endpoint = Endpoint {
            url: format!("unix://{}", path.display()),
            source: crate::docker::endpoint::EndpointSource::DefaultSocket,
        };
        let err = Docker::connect(&endpoint).await.expect_err("refused");
        match &err {
            DockerError::Connect { failure, .. } => {
                assert_eq!(
                    *failure,
                    crate::docker::error::ConnectFailure::ConnectionRefused
                )
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains("sudo systemctl start docker"));
    }

    #[tokio::test]
    async fn a_web_server_is_not_a_docker_daemon_and_the_fix_says_so() {
        // Issue 11: this was "the Docker daemon answered 404:" with no fix.
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 22\r\nConnection: close\r\n\r\n<h1>404 Not Found</h1>")
                    .await;
            }
        });
        let endpoint = Endpoint {
            url: format!("tcp://127.0.0.1:{port}"),
            source: crate::docker::endpoint::EndpointSource::DockerHost,
        };
        let err = Docker::connect(&endpoint).await.expect_err("not docker");
        server.abort();
        assert!(matches!(err, DockerError::NotDocker { .. }), "{err:?}");
        let text = err.render(crate::i18n::Lang::En);
        assert!(text.contains("not as a Docker daemon"), "{text}");
        assert!(
            text.contains("point DOCKER_HOST at the Docker daemon"),
            "{text}"
        );
        assert!(
            err.render(crate::i18n::Lang::Ru)
                .contains("отвечает не Docker daemon")
        );
    }

    #[tokio::test]
    async fn a_silent_endpoint_times_out_within_the_connect_budget() {
        // Accepts connections but never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let holder = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                held.push(s);
            }
        });
        let endpoint = Endpoint {
            url: format!("tcp://127.0.0.1:{port}"),
            source: crate::docker::endpoint::EndpointSource::DockerHost,
        };
        let started = std::time::Instant::now();
        let err = Docker::connect(&endpoint).await.expect_err("times out");
        let took = started.elapsed();
        holder.abort();
        assert!(matches!(err, DockerError::Timeout { .. }), "{err:?}");
        assert!(
            took < CONNECT_TIMEOUT + Duration::from_millis(500),
            "{took:?}"
        );
        assert!(err.to_string().contains("check DOCKER_HOST"));
    }
}
