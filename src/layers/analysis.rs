//! Putting an image together: the report (what `--json` prints) plus the
//! kept layer data, from which the trees a UI shows are built on demand.

use std::io::Read;

use serde::{Deserialize, Serialize};

use super::archive::{ResolvedImage, read_archive, read_archive_keeping};
use super::error::LayersError;
use super::overlay::Overlay;
use super::scan::{Compression, KeptFile, LayerScan, ScanStore};
use super::tree::FileTree;

/// The JSON `layerlab layers --json` prints. Field names and meanings are a
/// stable contract documented in docs/layers.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub image: ImageInfo,
    pub layers: Vec<LayerSummary>,
    pub total_file_bytes: u64,
    pub visible_file_bytes: u64,
    pub visible_files: u64,
    pub wasted_bytes: u64,
    pub efficiency: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// The reference asked for (daemon) or the archive's file name.
    #[serde(rename = "ref")]
    pub reference: String,
    /// `sha256:` of the config: the image id Docker shows.
    pub id: String,
    pub layer_count: usize,
    /// Tags the archive records for the image (may be empty).
    pub repo_tags: Vec<String>,
    /// `sha256:` of the config, when `id` is something else (the daemon's
    /// id on the containerd image store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerSummary {
    pub index: usize,
    /// The layer's diff_id: `sha256:` of its uncompressed tar.
    pub digest: String,
    pub size_bytes: u64,
    /// The instruction that made the layer, in full (empty if unknown).
    pub created_by: String,
    pub added: u64,
    pub modified: u64,
    pub removed: u64,
    pub entries: u64,
}

/// An analysed image. Cheap to keep around: per-entry metadata only.
#[derive(Debug)]
pub struct Analysis {
    report: Report,
    store: ScanStore,
    scans: Vec<LayerScan>,
    layer_scans: Vec<usize>,
    /// The base image and how many bottom layers are its own (set from the
    /// daemon, which can compare diff_ids with the base's).
    base: Option<(String, usize)>,
    notes: Vec<crate::i18n::Text>,
}

/// Reads a `docker save` tarball in one forward pass and analyses the image
/// in it (the first one, if several were saved). `name` is what `image.ref`
/// says: usually the archive's file name.
pub fn analyze_archive(reader: impl Read, name: &str) -> Result<Analysis, LayersError> {
    analyze_archive_for(reader, name, None, None)
}

/// Like [`analyze_archive`], and reads the file at `keep` (an image path) on
/// the way: [`Analysis::kept_file`].
pub fn analyze_archive_keeping(
    reader: impl Read,
    name: &str,
    keep: &str,
) -> Result<Analysis, LayersError> {
    analyze_archive_for(reader, name, None, Some(keep))
}

/// Like [`analyze_archive`], preferring the saved image tagged `reference`,
/// and reading each layer's entry at `keep` on the way ([`Analysis::kept_file`]).
pub(crate) fn analyze_archive_for(
    reader: impl Read,
    name: &str,
    reference: Option<&str>,
    keep: Option<&str>,
) -> Result<Analysis, LayersError> {
    let raw = read_archive_keeping(reader, name, keep)?;
    let resolved = raw.resolve(reference, false)?;
    Ok(Analysis::build(name, resolved, raw.store, raw.scans))
}

/// `layers --archive FILE --image REF`: the saved image tagged `reference`,
/// an error naming the archive's images when there is none.
pub fn analyze_archive_image(
    reader: impl Read,
    name: &str,
    reference: &str,
) -> Result<Analysis, LayersError> {
    let raw = read_archive(reader, name)?;
    let resolved = raw.resolve(Some(reference), true)?;
    Ok(Analysis::build(name, resolved, raw.store, raw.scans))
}

impl Analysis {
    fn build(
        name: &str,
        resolved: ResolvedImage,
        store: ScanStore,
        scans: Vec<LayerScan>,
    ) -> Analysis {
        let ResolvedImage {
            config,
            id,
            repo_tags,
            layer_scans,
            notes,
            ..
        } = resolved;
        let mut history = config
            .history
            .iter()
            .filter(|h| !h.empty_layer)
            .map(|h| h.created_by.clone().unwrap_or_default());
        let mut overlay = Overlay::new(
            &store.paths,
            layer_scans.iter().map(|&i| &scans[i]).collect(),
        );
        let mut layers = Vec::with_capacity(layer_scans.len());
        for (index, &scan_index) in layer_scans.iter().enumerate() {
            let counts = overlay.apply_next().unwrap_or_default();
            let scan = &scans[scan_index];
            layers.push(LayerSummary {
                index,
                digest: scan.diff_id.clone(),
                size_bytes: scan.size_bytes,
                created_by: history.next().unwrap_or_default(),
                added: counts.added,
                modified: counts.modified,
                removed: counts.removed,
                entries: scan.entry_count,
            });
        }
        let (visible_files, visible_file_bytes) = overlay.visible();
        drop(overlay);
        let total_file_bytes = layers
            .iter()
            .fold(0u64, |acc, l| acc.saturating_add(l.size_bytes));
        let report = Report {
            image: ImageInfo {
                reference: name.to_string(),
                id,
                layer_count: layers.len(),
                repo_tags,
                config_digest: None,
            },
            layers,
            total_file_bytes,
            visible_file_bytes,
            visible_files,
            wasted_bytes: total_file_bytes.saturating_sub(visible_file_bytes),
            efficiency: if total_file_bytes == 0 {
                1.0
            } else {
                visible_file_bytes as f64 / total_file_bytes as f64
            },
        };
        Analysis {
            report,
            store,
            scans,
            layer_scans,
            base: None,
            notes,
        }
    }

    pub fn report(&self) -> &Report {
        &self.report
    }

    pub fn image(&self) -> &ImageInfo {
        &self.report.image
    }

    pub fn layers(&self) -> &[LayerSummary] {
        &self.report.layers
    }

    /// The base image and the number of bottom layers it provides, if known.
    pub fn base(&self) -> Option<(&str, usize)> {
        self.base.as_ref().map(|(name, n)| (name.as_str(), *n))
    }

    /// Records that the bottom layers are `base`'s: those of `base_diff_ids`
    /// that this image starts with. Nothing in common, nothing recorded.
    pub fn set_base(&mut self, base: &str, base_diff_ids: &[String]) {
        let shared = self
            .report
            .layers
            .iter()
            .zip(base_diff_ids)
            .take_while(|(l, d)| &l.digest == *d)
            .count();
        self.base = (shared > 0).then(|| (base.to_string(), shared));
    }

    /// What did not stop the analysis but the reader should know.
    pub fn notes(&self) -> &[crate::i18n::Text] {
        &self.notes
    }

    /// The daemon's image id, where it differs from the config digest (the
    /// containerd store: the id `docker images` shows is the manifest's or
    /// index's digest). The config digest stays as a detail.
    pub(crate) fn set_daemon_id(&mut self, id: &str) {
        if !id.is_empty() && id != self.report.image.id {
            let config = std::mem::replace(&mut self.report.image.id, id.to_string());
            self.report.image.config_digest = Some(config);
        }
    }

    pub(crate) fn set_reference(&mut self, reference: &str) {
        self.report.image.reference = reference.to_string();
    }

    /// The archive member holding layer `index` (for [`super::content`]).
    pub fn layer_member(&self, index: usize) -> Option<&str> {
        Some(&self.scans[*self.layer_scans.get(index)?].member)
    }

    /// How layer `index` was stored in the archive.
    pub fn layer_compression(&self, index: usize) -> Option<Compression> {
        Some(self.scans[*self.layer_scans.get(index)?].compression)
    }

    /// The file system as seen after layer `index`, marked with what that
    /// layer changed (use [`super::TreeView::changes_only`] to see only the
    /// layer's own changes). Replays layers 0..=index: O(entries below it).
    pub fn layer_tree(&self, index: usize) -> Result<FileTree, LayersError> {
        if index >= self.layer_scans.len() {
            return Err(LayersError::NoSuchLayer {
                index,
                count: self.layer_scans.len(),
            });
        }
        let mut overlay = Overlay::new(
            &self.store.paths,
            self.layer_scans[..=index]
                .iter()
                .map(|&i| &self.scans[i])
                .collect(),
        );
        while overlay.apply_next().is_some() {}
        Ok(FileTree::build(
            &overlay,
            &self.store.paths,
            &self.store.links,
        ))
    }

    /// `layer_tree(0)`, `layer_tree(1)`, … in one replay: each layer is
    /// applied once, so walking all layers costs one pass, not one per layer.
    pub fn layer_trees(&self) -> impl Iterator<Item = FileTree> + '_ {
        let mut overlay = Overlay::new(
            &self.store.paths,
            self.layer_scans.iter().map(|&i| &self.scans[i]).collect(),
        );
        std::iter::from_fn(move || {
            overlay.apply_next()?;
            Some(FileTree::build(
                &overlay,
                &self.store.paths,
                &self.store.links,
            ))
        })
    }

    /// The file at the path the analysis was asked to keep, as a container
    /// of the image sees it: the entry of the layer that provides it. `None`
    /// when no layer has one, or a later layer removed it.
    pub fn kept_file(&self) -> Option<&KeptFile> {
        let keep = self.store.keep.as_ref()?;
        let tree = self.image_tree();
        let node = tree.node(tree.find(&keep.join(&b'/'))?);
        if node.mark == super::tree::Mark::Removed {
            return None;
        }
        let layer = usize::try_from(node.layer?).ok()?;
        self.scans[*self.layer_scans.get(layer)?].kept.as_ref()
    }

    /// What a container of this image sees: the tree after the last layer
    /// (marks are the last layer's changes). An image with no layers gives
    /// an empty tree.
    pub fn image_tree(&self) -> FileTree {
        let layers = self.layer_scans.iter().map(|&i| &self.scans[i]).collect();
        let mut overlay = Overlay::new(&self.store.paths, layers);
        while overlay.apply_next().is_some() {}
        FileTree::build(&overlay, &self.store.paths, &self.store.links)
    }
}
