//! A YAML tree that remembers where every key and value was written.
//!
//! serde_yaml reports a location only for the error that stops it, and has no
//! spans on values; the validator needs the line and column of any value (a
//! missing translation, a step that `needs` a step that does not exist), so
//! lesson files are also read with yaml-rust2's event parser into this tree.

use std::collections::HashMap;
use std::fmt;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A place in a file, both 1-based, as editors count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, col: 1 };

    fn from_marker(marker: &Marker) -> Pos {
        // yaml-rust2 counts lines from 1 and columns from 0.
        Pos {
            line: marker.line().max(1),
            col: marker.col() + 1,
        }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// `quoted` scalars are always strings; plain ones may be numbers, booleans or null.
    Scalar {
        text: String,
        quoted: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: NodeValue,
    pub pos: Pos,
    /// A YAML tag such as `!build`, which lesson files do not use.
    pub tag: Option<String>,
}

impl Node {
    pub fn as_scalar(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// A plain `~`, `null` or nothing at all: what YAML reads as "no value".
    pub fn is_null(&self) -> bool {
        matches!(&self.value, NodeValue::Scalar { text, quoted: false }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            NodeValue::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            NodeValue::Seq(items) => items,
            _ => &[],
        }
    }

    /// The entry under a string key (the first one when a key is repeated).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries()
            .iter()
            .find(|entry| entry.key.as_scalar() == Some(key))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// Where to point for `path`: the value itself when it exists, else the
    /// closest thing written: the key whose mapping lacks the missing field,
    /// or the list item.
    pub fn locate(&self, path: &YamlPath) -> Pos {
        let mut node = self;
        let mut anchor = self.pos;
        for segment in &path.0 {
            let next = match segment {
                Segment::Key(key) => node.entry(key).map(|entry| (&entry.value, entry.key.pos)),
                Segment::Index(index) => node.items().get(*index).map(|item| (item, item.pos)),
            };
            match next {
                Some((child, child_anchor)) => {
                    node = child;
                    anchor = child_anchor;
                }
                None => return anchor,
            }
        }
        match node.value {
            NodeValue::Scalar { .. } => node.pos,
            _ => anchor,
        }
    }

    /// Like [`Node::locate`] but pointing at the key itself rather than the
    /// value, for problems about the field as a whole (a duplicate id).
    pub fn locate_key(&self, path: &YamlPath) -> Pos {
        let Some((last, parent)) = path.0.split_last() else {
            return self.pos;
        };
        let parent_path = YamlPath(parent.to_vec());
        if let Segment::Key(key) = last
            && let Some(parent_node) = self.at(&parent_path)
            && let Some(entry) = parent_node.entry(key)
        {
            return entry.key.pos;
        }
        self.locate(path)
    }

    pub fn at(&self, path: &YamlPath) -> Option<&Node> {
        let mut node = self;
        for segment in &path.0 {
            node = match segment {
                Segment::Key(key) => node.get(key)?,
                Segment::Index(index) => node.items().get(*index)?,
            };
        }
        Some(node)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A value's address in a document, written as `steps[3].text.ru`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YamlPath(pub Vec<Segment>);

impl YamlPath {
    pub fn root() -> YamlPath {
        YamlPath(Vec::new())
    }

    pub fn key(&self, key: &str) -> YamlPath {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_string()));
        YamlPath(segments)
    }

    pub fn index(&self, index: usize) -> YamlPath {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        YamlPath(segments)
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for YamlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("the top level");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

/// Aliases are expanded by copying; this bounds a "billion laughs" file.
const MAX_NODES: usize = 200_000;

/// Reads one YAML document. `Ok(None)` for an empty file.
pub fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut builder = TreeBuilder::default();
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut builder, true) {
        return Err(SyntaxError {
            pos: Pos::from_marker(e.marker()),
            message: format!("YAML syntax error: {}", e.info()),
        });
    }
    if let Some(error) = builder.error {
        return Err(error);
    }
    if let Some(pos) = builder.second_document {
        return Err(SyntaxError {
            pos,
            message: "a second YAML document (`---`): a lesson file holds exactly one".into(),
        });
    }
    Ok(builder.documents.into_iter().next())
}

enum Open {
    Seq(Node),
    Map {
        node: Node,
        pending_key: Option<Node>,
    },
}

#[derive(Default)]
struct TreeBuilder {
    stack: Vec<(Open, usize)>,
    anchors: HashMap<usize, Node>,
    documents: Vec<Node>,
    second_document: Option<Pos>,
    nodes: usize,
    error: Option<SyntaxError>,
}

impl TreeBuilder {
    fn finish(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.documents.is_empty() {
                    self.documents.push(node);
                } else if self.second_document.is_none() {
                    self.second_document = Some(node.pos);
                }
            }
            Some((Open::Seq(seq), _)) => {
                if let NodeValue::Seq(items) = &mut seq.value {
                    items.push(node);
                }
            }
            Some((
                Open::Map {
                    node: map,
                    pending_key,
                },
                _,
            )) => match pending_key.take() {
                None => {
                    // A block mapping's start marker sits after its first key;
                    // the first key is where a reader sees the mapping begin.
                    if map.entries().is_empty() && node.pos < map.pos {
                        map.pos = node.pos;
                    }
                    *pending_key = Some(node);
                }
                Some(key) => {
                    if let NodeValue::Map(entries) = &mut map.value {
                        entries.push(Entry { key, value: node });
                    }
                }
            },
        }
    }

    fn count(&mut self, added: usize, pos: Pos) -> bool {
        self.nodes += added;
        if self.nodes > MAX_NODES && self.error.is_none() {
            self.error = Some(SyntaxError {
                pos,
                message: format!("the document expands to more than {MAX_NODES} values (aliases?)"),
            });
        }
        self.error.is_none()
    }
}

fn node_count(node: &Node) -> usize {
    1 + match &node.value {
        NodeValue::Scalar { .. } => 0,
        NodeValue::Seq(items) => items.iter().map(node_count).sum(),
        NodeValue::Map(entries) => entries
            .iter()
            .map(|entry| node_count(&entry.key) + node_count(&entry.value))
            .sum(),
    }
}

fn tag_name(tag: Option<yaml_rust2::parser::Tag>) -> Option<String> {
    tag.map(|tag| format!("{}{}", tag.handle, tag.suffix))
}

impl MarkedEventReceiver for TreeBuilder {
    fn on_event(&mut self, event: Event, marker: Marker) {
        if self.error.is_some() {
            return;
        }
        let pos = Pos::from_marker(&marker);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                if !self.count(1, pos) {
                    return;
                }
                let quoted = !matches!(style, TScalarStyle::Plain);
                let node = Node {
                    value: NodeValue::Scalar { text, quoted },
                    pos,
                    tag: tag_name(tag),
                };
                self.finish(node, anchor);
            }
            Event::SequenceStart(anchor, tag) => {
                let node = Node {
                    value: NodeValue::Seq(Vec::new()),
                    pos,
                    tag: tag_name(tag),
                };
                self.stack.push((Open::Seq(node), anchor));
            }
            Event::MappingStart(anchor, tag) => {
                let node = Node {
                    value: NodeValue::Map(Vec::new()),
                    pos,
                    tag: tag_name(tag),
                };
                self.stack.push((
                    Open::Map {
                        node,
                        pending_key: None,
                    },
                    anchor,
                ));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((open, anchor)) = self.stack.pop() {
                    let node = match open {
                        Open::Seq(node) | Open::Map { node, .. } => node,
                    };
                    if self.count(1, node.pos) {
                        self.finish(node, anchor);
                    }
                }
            }
            Event::Alias(anchor) => match self.anchors.get(&anchor).cloned() {
                Some(mut node) => {
                    if self.count(node_count(&node), pos) {
                        node.pos = pos;
                        self.finish(node, 0);
                    }
                }
                None => {
                    self.error = Some(SyntaxError {
                        pos,
                        message: "an alias (`*name`) to an anchor that is not defined".into(),
                    })
                }
            },
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Node {
        parse(text).expect("valid yaml").expect("a document")
    }

    #[test]
    fn positions_are_one_based_and_point_at_values() {
        let root = tree("id: x\nsteps:\n  - id: a\n    text: {ru: 'y'}\n");
        let steps = YamlPath::root().key("steps");
        assert_eq!(
            root.locate(&YamlPath::root().key("id")),
            Pos { line: 1, col: 5 }
        );
        assert_eq!(root.locate(&steps.index(0)), Pos { line: 3, col: 5 });
        assert_eq!(
            root.locate(&steps.index(0).key("text").key("ru")),
            Pos { line: 4, col: 16 }
        );
        // A missing key points at the key of the mapping that lacks it.
        assert_eq!(
            root.locate(&steps.index(0).key("text").key("en")),
            Pos { line: 4, col: 5 }
        );
        assert_eq!(
            root.locate_key(&steps.index(0).key("id")),
            Pos { line: 3, col: 5 }
        );
    }

    #[test]
    fn paths_print_like_the_messages_say() {
        let path = YamlPath::root().key("steps").index(3).key("text").key("ru");
        assert_eq!(path.to_string(), "steps[3].text.ru");
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let error = parse("a: [1\nb: 2").unwrap_err();
        assert_eq!(error.pos.line, 2);
        assert!(error.message.starts_with("YAML syntax error"), "{error:?}");
    }

    #[test]
    fn aliases_are_expanded_and_bounded() {
        let root = tree("a: &x {k: v}\nb: *x\n");
        assert_eq!(
            root.get("b")
                .and_then(|b| b.get("k"))
                .and_then(Node::as_scalar),
            Some("v")
        );
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let prev = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        assert!(parse(&bomb).unwrap_err().message.contains("more than"));
    }

    #[test]
    fn a_second_document_is_refused_and_an_empty_file_is_none() {
        assert!(parse("a: 1\n---\nb: 2\n").is_err());
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("# only a comment\n").unwrap(), None);
    }
}
