//! Image archives: reading `docker save` output (both shapes), per-layer file
//! trees, and the efficiency figures. Plain code: no terminal; the daemon is
//! touched only by [`daemon::analyze_image`], which streams an export into the
//! same reader. docs/layers.md defines every figure.
//!
//! For a UI: [`Analysis::layers`] lists the layers; [`Analysis::layer_tree`]
//! and [`Analysis::image_tree`] give a [`FileTree`] (marks, sizes) whose
//! [`FileTree::rows`] flattens it for a list with fold/unfold, a path filter,
//! "changes only" and sorting by size.

pub mod analysis;
mod archive;
pub mod compare;
pub mod content;
pub mod error;
pub mod names;
mod overlay;
mod pathtree;
pub mod report;
mod scan;
mod tree;

pub use analysis::{
    Analysis, ImageInfo, LayerSummary, Report, analyze_archive, analyze_archive_keeping,
};
pub use error::LayersError;
pub use scan::{Compression, EntryKind, KEPT_BYTES, KeptFile};
pub use tree::{FileTree, Mark, SortBy, TreeNode, TreeNodeId, TreeRow, TreeView};
