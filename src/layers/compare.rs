//! Two images side by side: their layers paired bottom up (shared layers have
//! the same diff_id), and the paths a container would see differently in
//! them. Lesson 3 opens its optimised and naive builds this way.

use std::collections::BTreeMap;

use super::analysis::{Analysis, LayerSummary};
use super::scan::EntryKind;
use super::tree::{FileTree, Mark};

/// At most this many differing paths are kept (the rest are counted).
pub const MAX_PATHS: usize = 5000;

#[derive(Debug, Clone)]
pub struct LayerPair {
    pub left: Option<LayerSummary>,
    pub right: Option<LayerSummary>,
}

impl LayerPair {
    /// Both images have this very layer (same content digest).
    pub fn shared(&self) -> bool {
        matches!((&self.left, &self.right), (Some(l), Some(r)) if l.digest == r.digest)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathDiff {
    OnlyLeft,
    OnlyRight,
    /// In both, with another size or kind.
    Differs,
}

#[derive(Debug, Clone)]
pub struct DifferingPath {
    pub path: String,
    pub diff: PathDiff,
    pub left_size: Option<u64>,
    pub right_size: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Comparison {
    pub layers: Vec<LayerPair>,
    /// Sorted by path; at most [`MAX_PATHS`].
    pub paths: Vec<DifferingPath>,
    /// How many differing paths there are in all.
    pub differing: usize,
}

/// Compares what containers of `left` and `right` see, path by path, and
/// pairs their layers by position.
pub fn compare(left: &Analysis, right: &Analysis) -> Comparison {
    let (l, r) = (left.layers(), right.layers());
    let layers = (0..l.len().max(r.len()))
        .map(|i| LayerPair {
            left: l.get(i).cloned(),
            right: r.get(i).cloned(),
        })
        .collect();
    let left_files = visible(&left.image_tree());
    let right_files = visible(&right.image_tree());
    let mut paths = Vec::new();
    let mut differing = 0;
    let mut push = |p: DifferingPath| {
        differing += 1;
        if paths.len() < MAX_PATHS {
            paths.push(p);
        }
    };
    for (path, &(kind, size)) in &left_files {
        match right_files.get(path) {
            None => push(DifferingPath {
                path: path.clone(),
                diff: PathDiff::OnlyLeft,
                left_size: Some(size),
                right_size: None,
            }),
            Some(&(other_kind, other_size)) if other_kind != kind || other_size != size => {
                push(DifferingPath {
                    path: path.clone(),
                    diff: PathDiff::Differs,
                    left_size: Some(size),
                    right_size: Some(other_size),
                })
            }
            Some(_) => {}
        }
    }
    for (path, &(_, size)) in &right_files {
        if !left_files.contains_key(path) {
            push(DifferingPath {
                path: path.clone(),
                diff: PathDiff::OnlyRight,
                left_size: None,
                right_size: Some(size),
            });
        }
    }
    paths.sort_by(|a, b| a.path.cmp(&b.path));
    Comparison {
        layers,
        paths,
        differing,
    }
}

/// Every non-directory a container sees, by path: its kind and size.
/// Directories differ only through what they hold, so they are left out.
fn visible(tree: &FileTree) -> BTreeMap<String, (EntryKind, u64)> {
    let mut out = BTreeMap::new();
    for id in 1..tree.len() as u32 {
        let node = tree.node(id);
        if node.mark == Mark::Removed || node.kind == EntryKind::Dir {
            continue;
        }
        let path = format!("/{}", String::from_utf8_lossy(&tree.path(id)));
        out.insert(path, (node.kind, node.size));
    }
    out
}
