//! Finding the learner's image by what it is, not by its name, and the
//! facts about it the hints need. Every fact is cached by image id: an
//! image never changes, so each new image is exported and read once, its
//! layers analysed and the page file hashed in the same pass.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use crate::docker::Docker;
use crate::docker::client::{ImageCommand, ImageSummary};
use crate::docker::error::DockerError;
use crate::layers::{KEPT_BYTES, KeptFile};

/// The most images looked at per pass (newest first): a learner's machine
/// may hold hundreds; the one just built is among the newest.
const CANDIDATES: usize = 40;

/// What the watcher knows about one image.
#[derive(Debug, Clone, Default)]
pub struct ImageFacts {
    pub command: ImageCommand,
    /// The file at the expected page path (its size and a digest of its
    /// bytes), when the image has one.
    pub page: Option<KeptFile>,
    /// The layers (bottom first) and the instruction that made each.
    pub layers: Vec<String>,
    /// Indices of layers that left files under `/var/cache/apk`.
    pub apk_cache_layers: Vec<usize>,
    /// Whether the layer analysis could be made (it needs `docker save`).
    pub analysed: bool,
}

/// The learner's image as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub id: String,
    /// The first of its names (what the learner typed after `-t`).
    pub tag: Option<String>,
    pub tags: Vec<String>,
    pub repo_digests: Vec<String>,
}

/// How to recognise the learner's image (from `expect: learner_image`):
/// built after the page's last edit, runs `runs`, holds the page's bytes
/// at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipe {
    /// The workspace file, absolute.
    pub page_file: std::path::PathBuf,
    /// Where the image holds it.
    pub at: String,
    /// A word of the image's command (`nginx`).
    pub runs: String,
}

#[derive(Debug, Default)]
pub struct ImageCache {
    commands: HashMap<String, ImageCommand>,
    facts: HashMap<(String, String), ImageFacts>,
}

impl ImageCache {
    async fn command(&mut self, docker: &Docker, id: &str) -> Result<ImageCommand, DockerError> {
        if let Some(found) = self.commands.get(id) {
            return Ok(found.clone());
        }
        let command = docker.image_command(id).await?.unwrap_or_default();
        self.commands.insert(id.to_string(), command.clone());
        Ok(command)
    }

    /// The image's layers, page and apk cache, read from `docker save` once.
    pub async fn facts(&mut self, docker: &Docker, id: &str, at: &str) -> ImageFacts {
        let key = (id.to_string(), at.to_string());
        if let Some(found) = self.facts.get(&key) {
            return found.clone();
        }
        let command = self.command(docker, id).await.unwrap_or_default();
        let mut facts = ImageFacts {
            command,
            ..Default::default()
        };
        match crate::docker::layers::analyze_image_keeping(docker, id, Some(at)).await {
            Ok(analysis) => {
                facts.analysed = true;
                facts.layers = analysis
                    .layers()
                    .iter()
                    .map(|l| l.created_by.clone())
                    .collect();
                facts.page = analysis.kept_file().cloned();
                for (index, layer) in analysis.layer_trees().enumerate() {
                    let Some(node) = layer.find(b"var/cache/apk") else {
                        continue;
                    };
                    let node = layer.node(node);
                    if node.changed_below && node.files > 0 {
                        facts.apk_cache_layers.push(index);
                    }
                }
            }
            Err(e) => tracing::warn!("watch: cannot analyse {id}: {e}"),
        }
        self.facts.insert(key, facts.clone());
        facts
    }

    /// The newest image that is the learner's by `recipe`, leaving out the
    /// images in `not_these` (ids of the names the lessons give other
    /// images: the naive build, a commit).
    ///
    /// `preferred` (most likely first) are looked at before the rest: the
    /// images the learner just tagged (a build with `-t` tags its result,
    /// even when every step came from the cache and the image is old), then
    /// the one they named before.
    pub async fn find(
        &mut self,
        docker: &Docker,
        recipe: &Recipe,
        not_these: &BTreeSet<String>,
        preferred: &[String],
    ) -> Result<Option<(Found, ImageFacts)>, DockerError> {
        let images = docker.list_all_images().await?;
        let Some((page, edited)) = page_file(&recipe.page_file) else {
            return Ok(None);
        };
        for id in preferred {
            let Some(image) = images.iter().find(|i| &i.id == id) else {
                continue;
            };
            if not_these.contains(&image.id) || image.repo_tags.is_empty() {
                continue;
            }
            let command = self.command(docker, &image.id).await?;
            if !command.line().contains(&recipe.runs) {
                continue;
            }
            let facts = self.facts(docker, &image.id, &recipe.at).await;
            if facts.page.as_ref() == Some(&page) {
                return Ok(Some((found(image), facts)));
            }
        }
        for image in images.iter().take(CANDIDATES) {
            // Built from the workspace as it is now: not before the page's
            // last edit (a second of slack for clocks that round). Newest
            // first, so nothing older can match either.
            if image.created + 1 < edited {
                break;
            }
            // Untagged images are a classic build's steps on their way (the
            // learner names their image with -t); the tagged one is final.
            if not_these.contains(&image.id) || image.repo_tags.is_empty() {
                continue;
            }
            let command = self.command(docker, &image.id).await?;
            if !command.line().contains(&recipe.runs) {
                continue;
            }
            let facts = self.facts(docker, &image.id, &recipe.at).await;
            if facts.page.as_ref() == Some(&page) {
                return Ok(Some((found(image), facts)));
            }
        }
        Ok(None)
    }
}

fn found(image: &ImageSummary) -> Found {
    Found {
        id: image.id.clone(),
        tag: image.repo_tags.first().cloned(),
        tags: image.repo_tags.clone(),
        repo_digests: image.repo_digests.clone(),
    }
}

/// The workspace page as an image would keep it (its size and a digest of
/// its first bytes, like [`KeptFile`]), and its last modification (Unix
/// seconds). Reads at most [`KEPT_BYTES`] of it.
fn page_file(path: &Path) -> Option<(KeptFile, i64)> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    let mut head = Vec::new();
    file.take(KEPT_BYTES as u64).read_to_end(&mut head).ok()?;
    let mut page = KeptFile::of(&head);
    page.size = meta.len();
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some((page, i64::try_from(modified).unwrap_or(i64::MAX)))
}

/// The instructions that made layers and could be merged (the RUNs), as
/// the learner wrote them (`RUN apk add nginx`).
pub fn run_instructions(layers: &[String]) -> Vec<String> {
    layers
        .iter()
        .filter(|created_by| !created_by.contains("#(nop)"))
        .filter_map(|created_by| {
            let text = created_by.trim();
            let body = text
                .strip_prefix("RUN ")
                .or_else(|| text.strip_prefix("/bin/sh -c "))
                .or_else(|| {
                    text.strip_prefix("|")
                        .and_then(|rest| rest.split_once("/bin/sh -c "))
                        .map(|(_, b)| b)
                })?;
            // BuildKit writes `RUN /bin/sh -c CMD # buildkit`: the learner wrote `RUN CMD`.
            let body = body.trim_end_matches(" # buildkit").trim();
            let body = body.strip_prefix("/bin/sh -c ").unwrap_or(body);
            Some(format!("RUN {body}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_instructions_come_from_both_builders() {
        let layers = vec![
            "/bin/sh -c #(nop) ADD file:abc in / ".to_string(),
            "/bin/sh -c apk add nginx".to_string(),
            "RUN /bin/sh -c mkdir -p /run/nginx # buildkit".to_string(),
            "|1 BASE_IMAGE=alpine /bin/sh -c rm -rf /var/cache/apk/*".to_string(),
            "COPY rootfs/ / # buildkit".to_string(),
        ];
        assert_eq!(
            run_instructions(&layers),
            vec![
                "RUN apk add nginx",
                "RUN mkdir -p /run/nginx",
                "RUN rm -rf /var/cache/apk/*"
            ]
        );
    }
}
