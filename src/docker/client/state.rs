//! Read-only queries over everything the daemon holds, not only what
//! layerlab made: the watcher looks for the learner's own images and
//! containers, whatever they named them.

use std::time::Duration;

use bollard::query_parameters as qp;
use futures_util::StreamExt;

use super::Docker;
use crate::docker::error::{DockerError, Subject};

/// How long a log tail may take before the watcher goes on without it.
const LOG_TAIL_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSummary {
    pub id: String,
    pub repo_tags: Vec<String>,
    /// `repo@sha256:...`, one per registry repository it was pushed to or pulled from.
    pub repo_digests: Vec<String>,
    /// Unix seconds.
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPort {
    pub container: u16,
    /// `0.0.0.0`, `127.0.0.1`, `::`...; empty when the daemon did not say.
    pub host_ip: String,
    pub host: u16,
}

impl PublishedPort {
    /// Reachable from other machines (every interface).
    pub fn on_all_interfaces(&self) -> bool {
        matches!(self.host_ip.as_str(), "" | "0.0.0.0" | "::")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSummary {
    pub id: String,
    pub name: String,
    pub image_id: String,
    /// created, running, exited, ...
    pub state: String,
    /// The daemon's one-line status: `Up 2 minutes`, `Exited (1) 3 seconds ago`.
    pub status: String,
    /// Published TCP ports, every binding (IPv4 and IPv6).
    pub ports: Vec<PublishedPort>,
    pub labels: std::collections::BTreeMap<String, String>,
}

impl ContainerSummary {
    pub fn running(&self) -> bool {
        self.state == "running"
    }

    /// Ended by a signal from outside (`docker stop`, `docker rm -f`: 137,
    /// 143), not by itself.
    pub fn was_stopped(&self) -> bool {
        self.status.contains("(137)") || self.status.contains("(143)")
    }
}

/// The published TCP ports of a container, from the daemon's port list
/// (`/containers/json`'s `Ports`: one entry per binding, IPv4 and IPv6;
/// exposed but unpublished ports have no public port and are left out).
pub(crate) fn published_ports(list: Vec<bollard::models::PortSummary>) -> Vec<PublishedPort> {
    let mut ports: Vec<PublishedPort> = list
        .into_iter()
        .filter(|p| p.typ == Some(bollard::models::PortSummaryTypeEnum::TCP))
        .filter_map(|p| {
            Some(PublishedPort {
                container: p.private_port,
                host_ip: p.ip.unwrap_or_default(),
                host: p.public_port?,
            })
        })
        .collect();
    ports.sort_by(|a, b| (a.container, &a.host_ip).cmp(&(b.container, &b.host_ip)));
    ports.dedup();
    ports
}

/// What an image runs when started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageCommand {
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
}

impl ImageCommand {
    /// The whole command line, entrypoint first.
    pub fn line(&self) -> String {
        self.entrypoint
            .iter()
            .chain(self.cmd.iter())
            .cloned()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Docker {
    /// Every tagged or untagged top-level image, newest first.
    pub async fn list_all_images(&self) -> Result<Vec<ImageSummary>, DockerError> {
        let list = self
            .inner
            .list_images(Some(qp::ListImagesOptions {
                all: false,
                ..Default::default()
            }))
            .await
            .map_err(|e| self.err(e, Subject::Other))?;
        let mut images: Vec<ImageSummary> = list
            .into_iter()
            .map(|i| ImageSummary {
                id: i.id,
                repo_tags: i
                    .repo_tags
                    .into_iter()
                    .filter(|t| t != "<none>:<none>")
                    .collect(),
                repo_digests: i
                    .repo_digests
                    .into_iter()
                    .filter(|d| !d.starts_with("<none>@"))
                    .collect(),
                created: i.created,
            })
            .collect();
        images.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        Ok(images)
    }

    /// Every container, running or not.
    pub async fn list_all_containers(&self) -> Result<Vec<ContainerSummary>, DockerError> {
        let list = self
            .inner
            .list_containers(Some(qp::ListContainersOptions {
                all: true,
                ..Default::default()
            }))
            .await
            .map_err(|e| self.err(e, Subject::Other))?;
        Ok(list
            .into_iter()
            .map(|c| {
                let ports = published_ports(c.ports.unwrap_or_default());
                ContainerSummary {
                    id: c.id.unwrap_or_default(),
                    name: c
                        .names
                        .and_then(|n| n.into_iter().next())
                        .unwrap_or_default()
                        .trim_start_matches('/')
                        .to_string(),
                    image_id: c.image_id.unwrap_or_default(),
                    state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                    status: c.status.unwrap_or_default(),
                    ports,
                    labels: c
                        .labels
                        .map(|l| l.into_iter().collect())
                        .unwrap_or_default(),
                }
            })
            .collect())
    }

    /// The image's entrypoint and command; `None` when there is no such image.
    pub async fn image_command(
        &self,
        reference: &str,
    ) -> Result<Option<ImageCommand>, DockerError> {
        crate::docker::reference::validate_ref_or_id(reference)?;
        match self.inner.inspect_image(reference).await {
            Ok(inspect) => {
                let config = inspect.config.unwrap_or_default();
                Ok(Some(ImageCommand {
                    entrypoint: config.entrypoint.unwrap_or_default(),
                    cmd: config.cmd.unwrap_or_default(),
                }))
            }
            Err(e) => match self.err(e, Subject::Image(reference)) {
                DockerError::ImageNotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    /// The last `lines` lines the container wrote (stdout and stderr), for a
    /// hint about why it stopped. Bounded in time; an error is no lines.
    pub async fn container_log_tail(&self, id: &str, lines: usize) -> Vec<String> {
        let options = qp::LogsOptions {
            stdout: true,
            stderr: true,
            tail: lines.to_string(),
            ..Default::default()
        };
        let mut stream = self.inner.logs(id, Some(options));
        let mut text = String::new();
        let collect = async {
            while let Some(Ok(chunk)) = stream.next().await {
                text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
                if text.len() > 64 * 1024 {
                    break;
                }
            }
        };
        if tokio::time::timeout(LOG_TAIL_TIMEOUT, collect)
            .await
            .is_err()
        {
            tracing::debug!("log tail of {id} timed out");
        }
        let all: Vec<String> = text.lines().map(str::to_string).collect();
        all[all.len().saturating_sub(lines)..].to_vec()
    }
}
