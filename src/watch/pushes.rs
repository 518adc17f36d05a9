//! Seeing a learner's `docker push`, on both image stores.
//!
//! - The classic store adds a repository digest (`repo@sha256:…`) to an
//!   image only when it is pushed or pulled: that is the evidence there.
//! - The containerd store (Engine 24+, the default from 29) makes up a
//!   repository digest for every name an image has (`name@<image id>`), so a
//!   `docker tag` alone looks pushed: its digests prove nothing. There the
//!   daemon's `push` event says it (its actor is the pushed `repo:tag`; the
//!   `name` attribute lacks the tag), and for a push made before watching
//!   began, the registry itself is asked what it holds under the learner's
//!   names (its manifest digest is the containerd store's image id).
//!
//! The registry is asked only while a push step is being looked at, which
//! happens on daemon events; its answers are kept until the next push event,
//! so repeated looks cost no request.

use std::collections::HashMap;

use super::{Watcher, under};
use crate::docker::client::ImageSummary;
use crate::docker::model::{ImageStore, short_id};
use crate::docker::reference::ImageRef;
use crate::registry::{ClientOptions, RegistryClient};
use crate::tr;

/// The most names asked of the registry in one look.
const ASKED: usize = 4;

/// What the watcher keeps about pushes.
#[derive(Default)]
pub(super) struct Pushes {
    /// `repo:tag` the daemon reported pushed while watching.
    pub(super) names: std::collections::BTreeSet<String>,
    /// Whether the daemon keeps images in the containerd store (asked once).
    containerd: Option<bool>,
    client: Option<RegistryClient>,
    /// The registry's digests (manifest, index, config) for a name; `None`
    /// when it has nothing under that name. Forgotten on a push event.
    answers: HashMap<String, Option<Vec<String>>>,
    /// Whether a registry on this machine refuses anyone not logged in, by
    /// host (asked once: a registry's auth does not come and go).
    wants_login: HashMap<String, bool>,
}

impl Pushes {
    /// A daemon event of type `image`, action `push`.
    pub(super) fn pushed(&mut self, actor_id: &str, name_attribute: Option<&str>) {
        // Both engines: actor `127.0.0.1:5000/me/app:1.0`, attribute
        // `name` = `127.0.0.1:5000/me/app` (no tag, so it names `:latest`).
        let name = if actor_id.is_empty() || actor_id.starts_with("sha256:") {
            name_attribute.unwrap_or(actor_id)
        } else {
            actor_id
        };
        self.names.insert(name.to_string());
        self.answers.clear();
    }
}

impl Watcher {
    /// Whether the daemon's repository digests are made up from names (the
    /// containerd store) rather than recorded by a push or pull.
    pub(super) async fn digests_are_names(&mut self) -> bool {
        if let Some(known) = self.pushes.containerd {
            return known;
        }
        let Ok(info) = self.runner.docker.engine_info().await else {
            // Unknown: trust no digest; events and the registry still work.
            return true;
        };
        let containerd = matches!(info.image_store, ImageStore::ContainerdSnapshotter { .. });
        self.pushes.containerd = Some(containerd);
        containerd
    }

    /// The registry's digests for `name` (cached until the next push).
    async fn registry_digests(&mut self, name: &str) -> Option<Vec<String>> {
        if let Some(known) = self.pushes.answers.get(name) {
            return known.clone();
        }
        let reference = ImageRef::parse(name).ok()?;
        let client = self
            .pushes
            .client
            .get_or_insert_with(|| RegistryClient::new(ClientOptions::from_process()));
        let answer = match client.resolve(&reference).await {
            Ok(resolved) => Some(
                std::iter::once(resolved.manifest_digest)
                    .chain(resolved.index_digest)
                    .chain(std::iter::once(resolved.config_digest))
                    .collect(),
            ),
            Err(e) => {
                tracing::debug!("watch: the registry has no {name}: {e}");
                None
            }
        };
        self.pushes.answers.insert(name.to_string(), answer.clone());
        answer
    }

    /// Whether the registry of `repository` (on this machine: a registry
    /// elsewhere is not asked) refuses a client with no login. Asked once
    /// per host, anonymously, for a name nobody pushes: `unauthorized`
    /// means only a login gets in.
    pub(super) async fn wants_login(&mut self, host: &str, repository: &str) -> bool {
        if let Some(known) = self.pushes.wants_login.get(host) {
            return *known;
        }
        let Ok(reference) = ImageRef::parse(&format!("{repository}/layerlab-probe:latest")) else {
            return false;
        };
        let client = RegistryClient::new(ClientOptions::default());
        let wants = matches!(
            client.resolve(&reference).await,
            Err(crate::registry::Error::Unauthorized { .. })
        );
        self.pushes.wants_login.insert(host.to_string(), wants);
        wants
    }

    /// A name of the image with id `id` under `prefix` that the registry
    /// holds as this very image.
    pub(super) async fn in_registry(
        &mut self,
        tags: &[String],
        id: &str,
        prefix: &str,
    ) -> Option<String> {
        let names: Vec<String> = tags
            .iter()
            .filter(|t| under(&crate::runner::repository_of(t), prefix))
            .take(ASKED)
            .cloned()
            .collect();
        for name in names {
            if let Some(digests) = self.registry_digests(&name).await
                && digests.iter().any(|d| d == id)
            {
                return Some(name);
            }
        }
        None
    }

    /// The containerd store's `registry_differs`: a local image (not the
    /// learner's current one) whose name under `registry` the registry
    /// holds as that image, so the registry has an earlier build.
    pub(super) async fn earlier_in_registry(
        &mut self,
        images: &[ImageSummary],
        learner_id: &str,
        registry: &str,
    ) -> Option<(String, String)> {
        let mut asked = 0;
        for image in images.iter().filter(|i| i.id != learner_id) {
            for tag in &image.repo_tags {
                if !under(&crate::runner::repository_of(tag), registry) {
                    continue;
                }
                if asked == ASKED {
                    return None;
                }
                asked += 1;
                if let Some(digests) = self.registry_digests(tag).await
                    && digests.iter().any(|d| d == &image.id)
                {
                    return Some((tag.clone(), image.id.clone()));
                }
            }
        }
        None
    }

    /// The learner's image (or, before it is found, any image) was pushed
    /// under `prefix`: the words for the ✔ line and the reference pushed (the
    /// learner's name for it in the registry when it still has one, else the
    /// digest), or `None`.
    pub(super) async fn push_seen(
        &mut self,
        prefix: &str,
        images: &[ImageSummary],
    ) -> Option<(String, String)> {
        let lang = self.lang();
        let learner_id = self.learner.as_ref().map(|f| f.id.clone());
        if !self.digests_are_names().await {
            let found = images
                .iter()
                .filter(|image| learner_id.as_ref().is_none_or(|id| &image.id == id))
                .find_map(|image| {
                    let digest = image
                        .repo_digests
                        .iter()
                        .find(|d| under(d.split('@').next().unwrap_or(""), prefix))?;
                    let name = image
                        .repo_tags
                        .iter()
                        .find(|t| under(&crate::runner::repository_of(t), prefix))
                        .unwrap_or(digest);
                    Some((digest.clone(), name.clone()))
                });
            if let Some((digest, name)) = found {
                return Some((
                    tr!(
                        lang,
                        "образ опубликован: {digest}",
                        "the image is pushed: {digest}"
                    ),
                    name,
                ));
            }
        }
        // A push the daemon reported, of a name that is the learner's image now.
        for name in self.pushes.names.clone() {
            if !under(&crate::runner::repository_of(&name), prefix) {
                continue;
            }
            if let Ok(Some(info)) = self.runner.docker.inspect_image(&name).await
                && learner_id.as_ref().is_none_or(|id| &info.id == id)
            {
                return Some((
                    tr!(
                        lang,
                        "образ опубликован: {name}",
                        "the image is pushed: {name}"
                    ),
                    name,
                ));
            }
        }
        if self.digests_are_names().await
            && let Some(found) = self.learner.clone()
            && let Some(name) = self.in_registry(&found.tags, &found.id, prefix).await
        {
            return Some((
                tr!(
                    lang,
                    "образ опубликован: {name} (реестр хранит {})",
                    "the image is pushed: {name} (the registry holds {})",
                    short_id(&found.id)
                ),
                name,
            ));
        }
        None
    }
}
