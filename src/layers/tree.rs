//! The file tree a UI shows: the file system as seen after layer k, with each
//! path marked by what layer k did to it (Added/Modified/Removed/Unchanged)
//! and sizes summed up the tree. Nodes are in breadth-first order and the
//! children of a node are a contiguous id range sorted by name, so the whole
//! tree is a few flat vectors. [`FileTree::rows`] flattens it for a list
//! widget with fold/unfold, a path filter, "changes only" and size sorting.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use serde::Serialize;

use super::overlay::{IMPLICIT_DIR, Overlay, Provider};
use super::pathtree::{NodeId, PathTree, ROOT};
use super::scan::{EntryKind, LinkTargets, NO_LINK};

pub type TreeNodeId = u32;

/// What layer k did to a path. For directories this is about the directory
/// itself; see [`TreeNode::changed_below`] for changes inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mark {
    /// Not there before layer k, there after.
    Added,
    /// There before and after, and layer k has an entry for it (or changed
    /// it between directory and non-directory).
    Modified,
    /// There before layer k, gone after (whiteout, opaque directory, or
    /// replaced by a non-directory above it). Shown with its old kind and size.
    Removed,
    Unchanged,
}

#[derive(Debug, Clone)]
pub struct TreeNode {
    name: (u32, u32),
    link: (u32, u32),
    pub parent: Option<TreeNodeId>,
    first_child: TreeNodeId,
    child_count: u32,
    pub kind: EntryKind,
    /// A non-directory: its own size (0 for links and devices). A directory:
    /// the sum over the non-directories beneath it that share its presence
    /// (present files under a present directory; everything under a removed one).
    pub size: u64,
    /// Non-directories counted in `size` (1 for a non-directory itself).
    pub files: u64,
    pub mode: u32,
    pub mark: Mark,
    /// Some descendant's mark is not `Unchanged`.
    pub changed_below: bool,
    /// The layer whose entry provides this path (for `Removed`: provided it
    /// until layer k). `None` for the root and for directories no entry names.
    pub layer: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct FileTree {
    nodes: Vec<TreeNode>,
    names: Vec<u8>,
    links: Vec<u8>,
    layer: usize,
}

/// How [`FileTree::rows`] lays the tree out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeView {
    /// Keep paths containing this (ASCII case-insensitive), with their
    /// ancestors; matching directories are shown expanded.
    pub filter: Option<String>,
    /// Keep only paths whose mark is not `Unchanged`, with their ancestors.
    pub changes_only: bool,
    pub sort: SortBy,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortBy {
    #[default]
    Name,
    /// Largest first; ties by name.
    SizeDesc,
}

/// One line of the flattened tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeRow {
    pub node: TreeNodeId,
    /// 0 for entries directly under the root.
    pub depth: u16,
    /// Children that the view keeps (so a fold marker makes sense).
    pub has_children: bool,
    pub expanded: bool,
}

impl FileTree {
    pub const ROOT: TreeNodeId = 0;

    /// The layer whose changes the marks describe.
    pub fn layer(&self) -> usize {
        self.layer
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    pub fn node(&self, id: TreeNodeId) -> &TreeNode {
        &self.nodes[id as usize]
    }

    pub fn name(&self, id: TreeNodeId) -> &[u8] {
        let (s, l) = self.nodes[id as usize].name;
        &self.names[s as usize..(s + l) as usize]
    }

    /// The name for display (invalid UTF-8 shown with replacement characters).
    pub fn display_name(&self, id: TreeNodeId) -> Cow<'_, str> {
        String::from_utf8_lossy(self.name(id))
    }

    /// Symlink or hardlink target as stored in the layer.
    pub fn link_target(&self, id: TreeNodeId) -> Option<&[u8]> {
        let n = &self.nodes[id as usize];
        matches!(n.kind, EntryKind::Symlink | EntryKind::Hardlink)
            .then(|| &self.links[n.link.0 as usize..(n.link.0 + n.link.1) as usize])
    }

    /// Children sorted by name.
    pub fn children(&self, id: TreeNodeId) -> Range<TreeNodeId> {
        let n = &self.nodes[id as usize];
        n.first_child..n.first_child + n.child_count
    }

    /// `a/b/c`, no leading slash; empty for the root.
    pub fn path(&self, id: TreeNodeId) -> Vec<u8> {
        let mut chain = Vec::new();
        let mut cur = Some(id);
        while let Some(c) = cur {
            if c == Self::ROOT {
                break;
            }
            chain.push(c);
            cur = self.nodes[c as usize].parent;
        }
        let mut out = Vec::new();
        for (i, c) in chain.iter().rev().enumerate() {
            if i > 0 {
                out.push(b'/');
            }
            out.extend_from_slice(self.name(*c));
        }
        out
    }

    /// The node at `path` (`./a/b/` and `a/b` are the same).
    pub fn find(&self, path: &[u8]) -> Option<TreeNodeId> {
        let mut cur = Self::ROOT;
        for comp in super::pathtree::components(path) {
            let kids = self.children(cur);
            let (s, e) = (kids.start as usize, kids.end as usize);
            let idx = self.nodes[s..e]
                .binary_search_by(|n| {
                    self.names[n.name.0 as usize..(n.name.0 + n.name.1) as usize].cmp(comp)
                })
                .ok()?;
            cur = (s + idx) as TreeNodeId;
        }
        Some(cur)
    }

    /// Depth-first rows for a list widget. A directory's children are listed
    /// when `is_expanded(dir)` says so, or when a filter is set.
    pub fn rows(&self, view: &TreeView, is_expanded: impl Fn(TreeNodeId) -> bool) -> Vec<TreeRow> {
        let keep = self.kept(view);
        let filtering = view.filter.as_deref().is_some_and(|f| !f.is_empty());
        let mut rows = Vec::new();
        let mut stack: Vec<(TreeNodeId, u16)> = Vec::new();
        let push_children = |stack: &mut Vec<(TreeNodeId, u16)>, id: TreeNodeId, depth: u16| {
            let mut kids: Vec<TreeNodeId> =
                self.children(id).filter(|c| keep[*c as usize]).collect();
            if view.sort == SortBy::SizeDesc {
                kids.sort_by(|a, b| {
                    self.nodes[*b as usize]
                        .size
                        .cmp(&self.nodes[*a as usize].size)
                        .then_with(|| self.name(*a).cmp(self.name(*b)))
                });
            }
            stack.extend(kids.into_iter().rev().map(|c| (c, depth)));
        };
        push_children(&mut stack, Self::ROOT, 0);
        while let Some((id, depth)) = stack.pop() {
            let has_children = self.children(id).any(|c| keep[c as usize]);
            let expanded = has_children && (filtering || is_expanded(id));
            rows.push(TreeRow {
                node: id,
                depth,
                has_children,
                expanded,
            });
            if expanded {
                push_children(&mut stack, id, depth.saturating_add(1));
            }
        }
        rows
    }

    /// Which nodes the view keeps: matches and their ancestors.
    fn kept(&self, view: &TreeView) -> Vec<bool> {
        let n = self.nodes.len();
        let mut keep = vec![true; n];
        if view.changes_only {
            for (i, node) in self.nodes.iter().enumerate() {
                keep[i] = node.mark != Mark::Unchanged || node.changed_below;
            }
        }
        if let Some(needle) = view.filter.as_deref().filter(|f| !f.is_empty()) {
            let needle = needle.as_bytes().to_ascii_lowercase();
            let mut matched = vec![false; n];
            let mut path: Vec<u8> = Vec::new();
            let mut stack: Vec<(TreeNodeId, usize)> =
                self.children(Self::ROOT).map(|c| (c, 0)).collect();
            while let Some((id, base)) = stack.pop() {
                path.truncate(base);
                if base > 0 {
                    path.push(b'/');
                }
                path.extend(self.name(id).iter().map(u8::to_ascii_lowercase));
                matched[id as usize] = path.windows(needle.len()).any(|w| w == needle);
                let len = path.len();
                stack.extend(self.children(id).map(|c| (c, len)));
            }
            // ancestors of a match stay; ids grow with depth, so one reverse pass
            for id in (1..n).rev() {
                if matched[id]
                    && let Some(p) = self.nodes[id].parent
                {
                    matched[p as usize] = true;
                }
            }
            for i in 0..n {
                keep[i] &= matched[i];
            }
        }
        keep[Self::ROOT as usize] = true;
        keep
    }

    /// Builds the tree from an overlay that has just applied layer `k`.
    pub(crate) fn build(overlay: &Overlay<'_>, paths: &PathTree, links: &LinkTargets) -> FileTree {
        let layer = overlay.applied().saturating_sub(1);
        let before: HashMap<NodeId, Provider> = overlay.touched().iter().copied().collect();
        let included = |n: NodeId| {
            overlay.provider(n).is_present() || before.get(&n).is_some_and(|p| p.is_present())
        };
        let mut tree = FileTree {
            nodes: Vec::new(),
            names: Vec::new(),
            links: Vec::new(),
            layer,
        };
        let mut trie_ids: Vec<NodeId> = vec![ROOT];
        tree.nodes.push(TreeNode {
            name: (0, 0),
            link: (0, 0),
            parent: None,
            first_child: 1,
            child_count: 0,
            kind: EntryKind::Dir,
            size: 0,
            files: 0,
            mode: 0,
            mark: Mark::Unchanged,
            changed_below: false,
            layer: None,
        });
        let mut i = 0;
        let mut kids: Vec<NodeId> = Vec::new();
        while i < trie_ids.len() {
            kids.clear();
            kids.extend(paths.children(trie_ids[i]).filter(|&c| included(c)));
            kids.sort_unstable_by(|a, b| paths.name(*a).cmp(paths.name(*b)));
            tree.nodes[i].first_child = tree.nodes.len() as TreeNodeId;
            tree.nodes[i].child_count = kids.len() as u32;
            for &kid in &kids {
                let now = overlay.provider(kid);
                let was = before.get(&kid).copied();
                let shown = if now.is_present() {
                    now
                } else {
                    was.unwrap_or(now)
                };
                let mark = match (was, now.is_present()) {
                    (None, _) => Mark::Unchanged,
                    (Some(_), false) => Mark::Removed,
                    (Some(w), true) if !w.is_present() => Mark::Added,
                    (Some(w), true) => {
                        let kind_changed = overlay.kind(w).is_dir() != overlay.kind(now).is_dir();
                        let own_entry = now.layer as usize == layer && now.entry != IMPLICIT_DIR;
                        if kind_changed || own_entry {
                            Mark::Modified
                        } else {
                            Mark::Unchanged
                        }
                    }
                };
                let entry = overlay.entry(shown);
                let name_start = tree.names.len() as u32;
                let name = paths.name(kid);
                tree.names.extend_from_slice(name);
                let mut link = (0, 0);
                if let Some(e) = entry
                    && e.link != NO_LINK
                    && let Some(target) = links.get(e.link)
                {
                    link = (tree.links.len() as u32, target.len() as u32);
                    tree.links.extend_from_slice(target);
                }
                let kind = entry.map_or(EntryKind::Dir, |e| e.kind);
                tree.nodes.push(TreeNode {
                    name: (name_start, name.len() as u32),
                    link,
                    parent: Some(i as TreeNodeId),
                    first_child: 0,
                    child_count: 0,
                    kind,
                    size: entry.map_or(0, |e| e.size),
                    files: u64::from(!kind.is_dir()),
                    mode: entry.map_or(0, |e| e.mode),
                    mark,
                    changed_below: false,
                    layer: entry.map(|_| shown.layer),
                });
                trie_ids.push(kid);
            }
            i += 1;
        }
        for id in (1..tree.nodes.len()).rev() {
            let (size, files, mark, changed) = {
                let n = &tree.nodes[id];
                (
                    n.size,
                    n.files,
                    n.mark,
                    n.mark != Mark::Unchanged || n.changed_below,
                )
            };
            let Some(p) = tree.nodes[id].parent else {
                continue;
            };
            let parent = &mut tree.nodes[p as usize];
            if mark != Mark::Removed || parent.mark == Mark::Removed {
                parent.size = parent.size.saturating_add(size);
                parent.files += files;
            }
            parent.changed_below |= changed;
        }
        tree
    }
}
