//! One interned tree of every path seen in any layer. A path is a node id
//! (`u32`); a node stores its parent, its name as a span of one shared byte
//! arena, and an intrusive child list. The index from (parent, name) to node
//! is a `HashTable<u32>` hashed over the arena, so a path component costs
//! ~20 bytes of node + its name bytes + ~5 bytes of index, whatever its depth:
//! memory grows with the number of distinct paths, never with file contents.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

pub type NodeId = u32;

pub const ROOT: NodeId = 0;
pub const NO_NODE: NodeId = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct PathNode {
    parent: NodeId,
    name_start: u32,
    name_len: u32,
    first_child: NodeId,
    next_sibling: NodeId,
}

#[derive(Debug)]
pub struct PathTree {
    nodes: Vec<PathNode>,
    names: Vec<u8>,
    index: HashTable<NodeId>,
    hasher: DefaultHashBuilder,
}

/// The index ran out of 32-bit ids or arena offsets.
#[derive(Debug, Clone, Copy)]
pub struct Full;

impl Default for PathTree {
    fn default() -> Self {
        Self::new()
    }
}

impl PathTree {
    pub fn new() -> PathTree {
        PathTree {
            nodes: vec![PathNode {
                parent: NO_NODE,
                name_start: 0,
                name_len: 0,
                first_child: NO_NODE,
                next_sibling: NO_NODE,
            }],
            names: Vec::new(),
            index: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn name(&self, id: NodeId) -> &[u8] {
        let n = &self.nodes[id as usize];
        &self.names[n.name_start as usize..(n.name_start + n.name_len) as usize]
    }

    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        let p = self.nodes[id as usize].parent;
        (p != NO_NODE).then_some(p)
    }

    pub fn children(&self, id: NodeId) -> Children<'_> {
        Children {
            tree: self,
            next: self.nodes[id as usize].first_child,
        }
    }

    #[cfg(test)]
    /// The path of `id` from the root, components joined by `/`, no leading slash.
    pub fn path(&self, id: NodeId) -> Vec<u8> {
        let mut parts = Vec::new();
        let mut cur = id;
        while cur != ROOT && cur != NO_NODE {
            parts.push(cur);
            cur = self.nodes[cur as usize].parent;
        }
        let mut out = Vec::new();
        for (i, part) in parts.iter().rev().enumerate() {
            if i > 0 {
                out.push(b'/');
            }
            out.extend_from_slice(self.name(*part));
        }
        out
    }

    fn hash(&self, parent: NodeId, name: &[u8]) -> u64 {
        self.hasher.hash_one((parent, name))
    }

    /// The child `name` of `parent`, created if new.
    pub fn child(&mut self, parent: NodeId, name: &[u8]) -> Result<NodeId, Full> {
        let hash = self.hash(parent, name);
        let nodes = &self.nodes;
        let names = &self.names;
        let found = self.index.find(hash, |&id| {
            let n = &nodes[id as usize];
            n.parent == parent
                && &names[n.name_start as usize..(n.name_start + n.name_len) as usize] == name
        });
        if let Some(&id) = found {
            return Ok(id);
        }
        let id = NodeId::try_from(self.nodes.len()).map_err(|_| Full)?;
        if id == NO_NODE {
            return Err(Full);
        }
        let name_start = u32::try_from(self.names.len()).map_err(|_| Full)?;
        let name_len = u32::try_from(name.len()).map_err(|_| Full)?;
        name_start.checked_add(name_len).ok_or(Full)?;
        self.names.extend_from_slice(name);
        let first_sibling = self.nodes[parent as usize].first_child;
        self.nodes.push(PathNode {
            parent,
            name_start,
            name_len,
            first_child: NO_NODE,
            next_sibling: first_sibling,
        });
        self.nodes[parent as usize].first_child = id;
        let (nodes, hasher) = (&self.nodes, &self.hasher);
        let names = &self.names;
        self.index.insert_unique(hash, id, |&other| {
            let n = &nodes[other as usize];
            hasher.hash_one((
                n.parent,
                &names[n.name_start as usize..(n.name_start + n.name_len) as usize],
            ))
        });
        Ok(id)
    }

    #[cfg(test)]
    /// Looks a normalised path up without creating anything.
    pub fn find(&self, path: &[u8]) -> Option<NodeId> {
        let mut cur = ROOT;
        for comp in components(path) {
            let hash = self.hash(cur, comp);
            let nodes = &self.nodes;
            let names = &self.names;
            cur = *self.index.find(hash, |&id| {
                let n = &nodes[id as usize];
                n.parent == cur
                    && &names[n.name_start as usize..(n.name_start + n.name_len) as usize] == comp
            })?;
        }
        Some(cur)
    }
}

/// Non-empty components other than `.`.
pub fn components(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
}

pub struct Children<'a> {
    tree: &'a PathTree,
    next: NodeId,
}

impl Iterator for Children<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        if self.next == NO_NODE {
            return None;
        }
        let id = self.next;
        self.next = self.tree.nodes[id as usize].next_sibling;
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_each_path_once_and_rebuilds_it() {
        let mut t = PathTree::new();
        let usr = t.child(ROOT, b"usr").unwrap();
        let bin = t.child(usr, b"bin").unwrap();
        assert_eq!(t.child(ROOT, b"usr").unwrap(), usr);
        assert_eq!(t.child(usr, b"bin").unwrap(), bin);
        let other_bin = t.child(ROOT, b"bin").unwrap();
        assert_ne!(other_bin, bin);
        assert_eq!(t.path(bin), b"usr/bin");
        assert_eq!(t.find(b"./usr//bin/"), Some(bin));
        assert_eq!(t.find(b"usr/lib"), None);
        let mut kids: Vec<_> = t.children(ROOT).map(|c| t.name(c).to_vec()).collect();
        kids.sort();
        assert_eq!(kids, vec![b"bin".to_vec(), b"usr".to_vec()]);
    }
}
