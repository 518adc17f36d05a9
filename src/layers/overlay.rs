//! Stacking layers the way overlayfs does, one layer at a time, over the
//! shared path tree. Per path node we keep which layer entry currently
//! provides it; the invariant "a present node's parent is a present
//! directory" lets hiding a subtree walk only what is actually visible.
//!
//! Rules (docs/layers.md has them in full): within layer k, its `.wh..wh..opq`
//! markers and then its `.wh.NAME` markers hide paths of layers below k only;
//! then its entries apply in tar order. A non-directory replaces whatever
//! was at its path and hides everything beneath; a directory over a directory
//! merges; an entry's missing or non-directory ancestors become directories.

use super::pathtree::{NO_NODE, NodeId, PathTree, ROOT};
use super::scan::{EntryKind, LayerEntry, LayerScan};

/// Which layer entry provides a path right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provider {
    pub layer: u32,
    /// Index into that layer's entries, or [`IMPLICIT_DIR`].
    pub entry: u32,
}

pub const ABSENT: Provider = Provider {
    layer: u32::MAX,
    entry: u32::MAX,
};
/// A directory no entry names: the parent of something a layer added.
pub const IMPLICIT_DIR: u32 = u32::MAX - 1;

impl Provider {
    pub fn is_present(self) -> bool {
        self.layer != u32::MAX
    }
}

/// Per-layer counts as docs/layers.md defines them (non-directories only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerCounts {
    pub added: u64,
    pub modified: u64,
    pub removed: u64,
}

pub struct Overlay<'a> {
    paths: &'a PathTree,
    /// Scans in image order (bottom layer first); a scan may repeat.
    layers: Vec<&'a LayerScan>,
    state: Vec<Provider>,
    /// `k + 1` when layer k changed the node (so 0 = never).
    stamp: Vec<u32>,
    /// Nodes the current layer changed, with what they were before it.
    touched: Vec<(NodeId, Provider)>,
    current: u32,
    applied: usize,
}

impl<'a> Overlay<'a> {
    pub fn new(paths: &'a PathTree, layers: Vec<&'a LayerScan>) -> Self {
        let mut state = vec![ABSENT; paths.len()];
        state[ROOT as usize] = Provider {
            layer: 0,
            entry: IMPLICIT_DIR,
        };
        Overlay {
            paths,
            layers,
            stamp: vec![0; paths.len()],
            state,
            touched: Vec::new(),
            current: 0,
            applied: 0,
        }
    }

    /// Layers applied so far.
    pub fn applied(&self) -> usize {
        self.applied
    }

    pub fn provider(&self, node: NodeId) -> Provider {
        self.state[node as usize]
    }

    pub fn entry(&self, p: Provider) -> Option<&'a LayerEntry> {
        if !p.is_present() || p.entry == IMPLICIT_DIR {
            return None;
        }
        self.layers[p.layer as usize].entries.get(p.entry as usize)
    }

    pub fn kind(&self, p: Provider) -> EntryKind {
        self.entry(p).map_or(EntryKind::Dir, |e| e.kind)
    }

    fn is_present_dir(&self, node: NodeId) -> bool {
        let p = self.state[node as usize];
        p.is_present() && self.kind(p).is_dir()
    }

    /// The nodes the last applied layer changed, each with its state before.
    pub fn touched(&self) -> &[(NodeId, Provider)] {
        &self.touched
    }

    fn set(&mut self, node: NodeId, to: Provider) {
        let i = node as usize;
        if self.stamp[i] != self.current + 1 {
            self.stamp[i] = self.current + 1;
            self.touched.push((node, self.state[i]));
        }
        self.state[i] = to;
    }

    /// Hides everything beneath `node` (not `node` itself).
    fn hide_below(&mut self, node: NodeId) {
        let paths = self.paths;
        let mut stack = vec![node];
        while let Some(dir) = stack.pop() {
            for c in paths.children(dir) {
                let p = self.state[c as usize];
                if p.is_present() {
                    if self.kind(p).is_dir() {
                        stack.push(c);
                    }
                    self.set(c, ABSENT);
                }
            }
        }
    }

    /// Makes every ancestor of `node` a present directory.
    fn ensure_parents(&mut self, node: NodeId) {
        let mut cur = self.paths.parent(node).unwrap_or(ROOT);
        while cur != ROOT && cur != NO_NODE {
            if self.is_present_dir(cur) {
                break; // by the invariant, its ancestors are present directories too
            }
            // absent, or a non-directory (which has nothing beneath it)
            self.set(
                cur,
                Provider {
                    layer: self.current,
                    entry: IMPLICIT_DIR,
                },
            );
            cur = self.paths.parent(cur).unwrap_or(ROOT);
        }
    }

    /// Applies the next layer and returns its counts.
    pub fn apply_next(&mut self) -> Option<LayerCounts> {
        let k = self.applied;
        let scan = *self.layers.get(k)?;
        self.current = k as u32;
        self.touched.clear();
        for &dir in &scan.opaque_dirs {
            if self.is_present_dir(dir) {
                self.hide_below(dir);
            }
        }
        for &hidden in &scan.whiteouts {
            let p = self.state[hidden as usize];
            if p.is_present() {
                if self.kind(p).is_dir() {
                    self.hide_below(hidden);
                }
                self.set(hidden, ABSENT);
            }
        }
        for (i, e) in scan.entries.iter().enumerate() {
            self.ensure_parents(e.node);
            if !e.kind.is_dir() && self.is_present_dir(e.node) {
                self.hide_below(e.node);
            }
            self.set(
                e.node,
                Provider {
                    layer: self.current,
                    entry: i as u32,
                },
            );
        }
        self.applied = k + 1;
        let mut counts = LayerCounts::default();
        for &(node, before) in &self.touched {
            let was = before.is_present() && !self.kind(before).is_dir();
            let now_p = self.state[node as usize];
            let is = now_p.is_present() && !self.kind(now_p).is_dir();
            match (was, is) {
                (true, false) => counts.removed += 1,
                (false, true) => counts.added += 1,
                (true, true) if now_p.layer == self.current && now_p.entry != IMPLICIT_DIR => {
                    counts.modified += 1
                }
                _ => {}
            }
        }
        Some(counts)
    }

    /// Non-directory paths visible now and the sum of their sizes.
    pub fn visible(&self) -> (u64, u64) {
        let mut files = 0u64;
        let mut bytes = 0u64;
        for &p in &self.state {
            if let Some(e) = self.entry(p)
                && !e.kind.is_dir()
            {
                files += 1;
                bytes = bytes.saturating_add(e.size);
            }
        }
        (files, bytes)
    }
}
