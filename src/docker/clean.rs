//! `layerlab clean`: remove what layerlab created and nothing else.
//!
//! Ownership comes from layerlab's own records (`owned.jsonl`, see
//! `docker::owned`), never from the `layerlab.managed=true` label alone:
//! that label is in the lesson images' config, so a container the learner
//! starts from a lesson image with the plain docker CLI, or an image they
//! build `FROM` one, carries it too. The label still narrows the listing
//! (and tests scope a clean with an extra label of their own).
//!
//! One run removes everything it can: containers first, then images
//! children-first (newest first, repeated while a pass removes something,
//! since removing a child frees its parent), and says what it kept and why.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::docker::Docker;
use crate::docker::error::DockerError;
use crate::docker::model::{ManagedContainer, ManagedImage, short_id};
use crate::docker::owned::{Owned, OwnedLog, OwnedRecord};
use crate::i18n::Lang;

#[derive(Debug, Clone, Default)]
pub struct CleanOptions<'a> {
    /// Only things carrying every one of these labels as well (tests).
    pub extra: &'a [(&'a str, &'a str)],
    /// Also remove the base images layerlab pulled or loaded.
    pub all: bool,
    /// List what would be removed, remove nothing.
    pub dry_run: bool,
    /// References that are base images (the `--base-image`): kept unless `all`.
    pub base_refs: Vec<String>,
}

/// Why `clean` left something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum KeptReason {
    /// It carries the label (inherited from a lesson image) but layerlab's
    /// records do not list it: the learner made it.
    NotCreatedByLayerlab,
    /// A base image; `--all` removes it.
    BaseImage,
    /// Layerlab's image, but also tagged by the learner: only layerlab's
    /// tags were removed.
    AlsoTagged(Vec<String>),
    /// The daemon refused (in use by a container that is not layerlab's,
    /// has child images, …): its own words.
    Refused(String),
}

impl KeptReason {
    pub fn render(&self, lang: Lang) -> String {
        match (self, lang) {
            (KeptReason::NotCreatedByLayerlab, Lang::En) => "not created by layerlab (its layerlab.managed label comes from a lesson image; you made it with docker)".to_string(),
            (KeptReason::NotCreatedByLayerlab, Lang::Ru) => "создан не layerlab (метку layerlab.managed он унаследовал от образа урока; его сделали вы через docker)".to_string(),
            (KeptReason::BaseImage, Lang::En) => "a base image the lessons build on; `layerlab clean --all` removes it too".to_string(),
            (KeptReason::BaseImage, Lang::Ru) => "базовый образ, на котором строятся уроки; `layerlab clean --all` удалит и его".to_string(),
            (KeptReason::AlsoTagged(tags), Lang::En) => format!("you also tagged it {}; only layerlab's tags were removed", tags.join(", ")),
            (KeptReason::AlsoTagged(tags), Lang::Ru) => format!("вы дали ему и свои теги {}; удалены только теги layerlab", tags.join(", ")),
            (KeptReason::Refused(why), Lang::En) => format!("the daemon refused: {why}"),
            (KeptReason::Refused(why), Lang::Ru) => format!("демон отказал: {why}"),
        }
    }
}

/// What `clean` removed (or, with `dry_run`, would remove) and what it left.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CleanReport {
    pub dry_run: bool,
    /// (short id, name)
    pub containers: Vec<(String, String)>,
    /// (short id, tags)
    pub images: Vec<(String, Vec<String>)>,
    /// layerlab's tags removed from images that stay (someone else's tag on them).
    pub untagged: Vec<String>,
    /// (what, why)
    pub kept: Vec<(String, KeptReason)>,
}

fn describe(image: &ManagedImage) -> String {
    if image.repo_tags.is_empty() {
        short_id(&image.id)
    } else {
        format!("{} {}", short_id(&image.id), image.repo_tags.join(", "))
    }
}

/// `name:tag` with `:latest` made explicit, so `me/img` and `me/img:latest` match.
fn normal_ref(r: &str) -> String {
    match crate::docker::reference::ImageRef::parse(r) {
        Ok(p) => format!("{}:{}", p.repository(), p.tag_or_latest()),
        Err(_) => r.to_string(),
    }
}

impl Docker {
    /// Remove the containers and images layerlab's records list (and that
    /// carry `layerlab.managed=true` and every `extra` label), keeping base
    /// images unless `all`. Nothing else is touched. Running it twice
    /// removes nothing the second time.
    pub async fn clean_owned(
        &self,
        options: &CleanOptions<'_>,
    ) -> Result<CleanReport, DockerError> {
        let log = self
            .owned_log()
            .cloned()
            .unwrap_or_else(OwnedLog::in_data_dir);
        let records = log.read().map_err(|e| {
            DockerError::InvalidInput(format!(
                "cannot read layerlab's records {}: {e}",
                log.path().display()
            ))
        })?;
        let owned = Owned::from_records(&records);
        let mut report = CleanReport {
            dry_run: options.dry_run,
            ..Default::default()
        };
        // Ids whose records can go: removed, or gone already.
        let mut gone: BTreeSet<String> = BTreeSet::new();

        let containers = self.list_containers_labelled(options.extra).await?;
        let listed_containers: BTreeSet<String> = containers.iter().map(|c| c.id.clone()).collect();
        self.remove_owned_containers(containers, &owned, options.dry_run, &mut report, &mut gone)
            .await;

        let images = self.list_images_labelled(options.extra).await?;
        let listed_images: BTreeSet<String> = images.iter().map(|i| i.id.clone()).collect();
        let pending = self
            .pending_images(images, &owned, options, &mut report)
            .await;
        if options.dry_run {
            for (image, _) in pending {
                report
                    .images
                    .push((short_id(&image.id), image.repo_tags.clone()));
            }
            return Ok(report);
        }
        self.remove_children_first(pending, &mut report, &mut gone)
            .await;

        // Unscoped, a record of a thing no longer listed is gone too
        // (removed by hand).
        let unscoped = options.extra.is_empty();
        forget_gone(&log, records, |id| {
            gone.contains(id)
                || (unscoped && !listed_containers.contains(id) && !listed_images.contains(id))
        });
        Ok(report)
    }

    /// The listed containers layerlab's records own are removed (or, dry,
    /// listed); the others are kept with the reason.
    async fn remove_owned_containers(
        &self,
        containers: Vec<ManagedContainer>,
        owned: &Owned,
        dry_run: bool,
        report: &mut CleanReport,
        gone: &mut BTreeSet<String>,
    ) {
        for c in containers {
            let what = format!("{} {}", short_id(&c.id), c.name);
            if !owned.containers.contains(&c.id) {
                report.kept.push((what, KeptReason::NotCreatedByLayerlab));
                continue;
            }
            if dry_run {
                report.containers.push((short_id(&c.id), c.name));
                continue;
            }
            match self.remove_container(&c.id).await {
                Ok(()) | Err(DockerError::ContainerNotFound { .. }) => {
                    gone.insert(c.id.clone());
                    report.containers.push((short_id(&c.id), c.name));
                }
                Err(e) => report
                    .kept
                    .push((what, KeptReason::Refused(e.message(Lang::En)))),
            }
        }
    }

    /// The listed images that can go whole, each with the references to
    /// remove (in the listing's order, newest first: a child is newer than
    /// its parent). The rest are kept with the reason; an image the learner
    /// also tagged loses only layerlab's tags, here (unless dry).
    async fn pending_images(
        &self,
        images: Vec<ManagedImage>,
        owned: &Owned,
        options: &CleanOptions<'_>,
        report: &mut CleanReport,
    ) -> Vec<(ManagedImage, Vec<String>)> {
        let base_refs: BTreeSet<String> = options.base_refs.iter().map(|r| normal_ref(r)).collect();
        let mut pending: Vec<(ManagedImage, Vec<String>)> = Vec::new();
        for image in images {
            let ours_as_base = owned.bases.contains_key(&image.id);
            let Some(our_refs) = owned.images.get(&image.id).or(owned.bases.get(&image.id)) else {
                report
                    .kept
                    .push((describe(&image), KeptReason::NotCreatedByLayerlab));
                continue;
            };
            let is_base = ours_as_base
                || image
                    .repo_tags
                    .iter()
                    .any(|t| base_refs.contains(&normal_ref(t)));
            if is_base && !options.all {
                report.kept.push((describe(&image), KeptReason::BaseImage));
                continue;
            }
            let our_refs: BTreeSet<String> = our_refs.iter().map(|r| normal_ref(r)).collect();
            let (ours, theirs): (Vec<String>, Vec<String>) = image
                .repo_tags
                .iter()
                .cloned()
                .partition(|t| our_refs.contains(&normal_ref(t)));
            if !theirs.is_empty() {
                // The learner's tag keeps the image; drop only ours.
                self.untag_ours(&image, &ours, options.dry_run, report)
                    .await;
                report
                    .kept
                    .push((describe(&image), KeptReason::AlsoTagged(theirs)));
                continue;
            }
            let targets = if ours.is_empty() {
                vec![image.id.clone()]
            } else {
                ours
            };
            pending.push((image, targets));
        }
        pending
    }

    /// Layerlab's own tags off an image that stays.
    async fn untag_ours(
        &self,
        image: &ManagedImage,
        ours: &[String],
        dry_run: bool,
        report: &mut CleanReport,
    ) {
        for tag in ours {
            if dry_run {
                report.untagged.push(tag.clone());
                continue;
            }
            match self.remove_image(tag, false).await {
                Ok(_) | Err(DockerError::ImageNotFound { .. }) => report.untagged.push(tag.clone()),
                Err(e) => report.kept.push((
                    format!("{} {tag}", short_id(&image.id)),
                    KeptReason::Refused(e.message(Lang::En)),
                )),
            }
        }
    }

    /// Remove the pending images, repeating while a pass makes progress:
    /// each pass can free parents. What still fails is kept with the
    /// daemon's last words.
    async fn remove_children_first(
        &self,
        pending: Vec<(ManagedImage, Vec<String>)>,
        report: &mut CleanReport,
        gone: &mut BTreeSet<String>,
    ) {
        let mut last_error: Vec<String> = vec![String::new(); pending.len()];
        let mut left: Vec<usize> = (0..pending.len()).collect();
        for _pass in 0..=pending.len() {
            let before = left.len();
            let mut still = Vec::new();
            for i in left {
                let (image, targets) = &pending[i];
                match self.remove_targets(targets).await {
                    None => {
                        gone.insert(image.id.clone());
                        report
                            .images
                            .push((short_id(&image.id), image.repo_tags.clone()));
                    }
                    Some(why) => {
                        last_error[i] = why;
                        still.push(i);
                    }
                }
            }
            left = still;
            if left.is_empty() || left.len() == before {
                break;
            }
        }
        for i in left {
            report.kept.push((
                describe(&pending[i].0),
                KeptReason::Refused(std::mem::take(&mut last_error[i])),
            ));
        }
    }

    /// Remove each reference in turn; the daemon's words for the first it
    /// refuses (one already gone counts as removed).
    async fn remove_targets(&self, targets: &[String]) -> Option<String> {
        for target in targets {
            match self.remove_image(target, false).await {
                Ok(_) | Err(DockerError::ImageNotFound { .. }) => {}
                Err(e) => return Some(e.message(Lang::En)),
            }
        }
        None
    }
}

/// Drop the records `is_gone` names. Re-read first, so a record another
/// process appended meanwhile is kept.
fn forget_gone(log: &OwnedLog, records: Vec<OwnedRecord>, is_gone: impl Fn(&str) -> bool) {
    let current = log.read().unwrap_or(records);
    let keep: Vec<_> = current.into_iter().filter(|r| !is_gone(&r.id)).collect();
    if let Err(e) = log.rewrite(&keep) {
        tracing::warn!("cannot rewrite {}: {e}", log.path().display());
    }
}
