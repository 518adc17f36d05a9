//! The layer explorer: the image's layers on the left (size, what each did,
//! a name the learner recognises, wasted space), the file tree of the chosen
//! layer or of the whole image on the right, with marks and sizes. A file
//! opens as the layer stores it (text with line numbers and search, or what
//! a binary is); a second image opens beside the first, layer by layer.

use std::collections::HashSet;
use std::sync::Arc;

use tui_input::Input;

use crate::layers::compare::Comparison;
use crate::layers::content::FileContent;
use crate::layers::names::{LayerName, NameHints};
use crate::layers::{
    Analysis, EntryKind, FileTree, LayersError, SortBy, TreeNodeId, TreeRow, TreeView,
};
use crate::tui::keys::Action;
use crate::tui::messages::{ImageSource, WorkerRequest};

/// Lines kept above a search match when it is scrolled into view.
const MATCH_CONTEXT: usize = 2;

/// One file of one layer, open over the whole explorer.
#[derive(Debug)]
pub struct FileView {
    pub path: String,
    pub layer: usize,
    /// `None` while the worker reads it.
    pub content: Option<Result<FileContent, crate::i18n::Text>>,
    /// The first line shown.
    pub scroll: usize,
    /// Typing a search (after `/`).
    pub searching: bool,
    pub search: Input,
    /// Lines (0-based) holding the search text.
    pub matches: Vec<usize>,
    pub current: usize,
}

impl FileView {
    fn lines(&self) -> Vec<&str> {
        match &self.content {
            Some(Ok(content)) => content
                .text()
                .map(|t| t.lines().collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Finds the search text (ASCII case-insensitive) and jumps to the first
    /// match at or after the top line.
    pub fn run_search(&mut self) {
        let needle = self.search.value().to_lowercase();
        self.matches = if needle.is_empty() {
            Vec::new()
        } else {
            self.lines()
                .iter()
                .enumerate()
                .filter(|(_, l)| l.to_lowercase().contains(&needle))
                .map(|(i, _)| i)
                .collect()
        };
        self.current = self
            .matches
            .iter()
            .position(|&m| m >= self.scroll)
            .unwrap_or(0);
        if let Some(&line) = self.matches.get(self.current) {
            self.scroll = line.saturating_sub(MATCH_CONTEXT);
        }
    }

    fn step_match(&mut self, forward: bool) {
        if self.matches.is_empty() {
            return;
        }
        let n = self.matches.len();
        self.current = if forward {
            (self.current + 1) % n
        } else {
            (self.current + n - 1) % n
        };
        self.scroll = self.matches[self.current].saturating_sub(MATCH_CONTEXT);
    }

    fn handle(&mut self, action: Action) {
        let last = self.lines().len().saturating_sub(1);
        match action {
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Down => self.scroll = (self.scroll + 1).min(last),
            Action::PageUp => self.scroll = self.scroll.saturating_sub(15),
            Action::PageDown => self.scroll = (self.scroll + 15).min(last),
            Action::Top => self.scroll = 0,
            Action::Bottom => self.scroll = last,
            Action::Filter => self.searching = true,
            Action::NextMatch => self.step_match(true),
            Action::PrevMatch => self.step_match(false),
            _ => {}
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Layers,
    Tree,
}

#[derive(Debug)]
pub struct ExplorerScreen {
    pub reference: String,
    pub compare: Option<String>,
    pub analysis: Option<Arc<Analysis>>,
    pub compared: Option<Arc<Analysis>>,
    /// The analysis failed: the worker's text, already in the session's language.
    pub error: Option<crate::i18n::Text>,
    /// The chosen layer's tree could not be built. Kept typed and rendered
    /// when drawn, so it follows a language switch like the rest of the screen.
    pub layer_error: Option<LayersError>,
    /// `None`: the whole image as a container sees it; `Some(k)`: layer k.
    pub layer: Option<usize>,
    pub pane: Pane,
    pub tree: Option<FileTree>,
    pub rows: Vec<TreeRow>,
    pub cursor: usize,
    pub expanded: HashSet<TreeNodeId>,
    pub view: TreeView,
    /// Typing a filter (after `/`).
    pub filtering: bool,
    pub filter: Input,
    pub full_text: bool,
    /// Where the image is read from again for a file's content.
    pub source: ImageSource,
    /// What names the layers: the base image, the workspace's Dockerfiles.
    pub hints: NameHints,
    pub names: Vec<LayerName>,
    pub compared_names: Vec<LayerName>,
    /// Boxed: the screen enum stays small while no file is open.
    pub file: Option<Box<FileView>>,
    /// The two images side by side (when there is a second one).
    pub comparing: bool,
    pub comparison: Option<Box<Comparison>>,
    /// First differing path shown in the comparison.
    pub compare_scroll: usize,
}

impl ExplorerScreen {
    pub fn new(reference: String, compare: Option<String>) -> ExplorerScreen {
        let source = ImageSource::Daemon(reference.clone());
        let comparing = compare.is_some();
        ExplorerScreen {
            reference,
            compare,
            analysis: None,
            compared: None,
            error: None,
            layer_error: None,
            layer: None,
            pane: Pane::Layers,
            tree: None,
            rows: Vec::new(),
            cursor: 0,
            expanded: HashSet::new(),
            view: TreeView::default(),
            filtering: false,
            filter: Input::default(),
            full_text: false,
            source,
            hints: NameHints::default(),
            names: Vec::new(),
            compared_names: Vec::new(),
            file: None,
            comparing,
            comparison: None,
            compare_scroll: 0,
        }
    }

    /// The explorer is taking typed text (a path filter, a search).
    pub fn wants_text(&self) -> bool {
        self.filtering || self.file.as_ref().is_some_and(|f| f.searching)
    }

    /// A key while [`Self::wants_text`]: Enter keeps the text, Esc drops it.
    pub fn text_key(&mut self, key: crossterm::event::KeyEvent) {
        use crossterm::event::{Event as TermEvent, KeyCode};
        use tui_input::backend::crossterm::EventHandler;
        if let Some(file) = self.file.as_mut().filter(|f| f.searching) {
            match key.code {
                KeyCode::Enter => file.searching = false,
                KeyCode::Esc => {
                    file.searching = false;
                    file.search.reset();
                }
                _ => {
                    file.search.handle_event(&TermEvent::Key(key));
                }
            }
            file.run_search();
            return;
        }
        match key.code {
            KeyCode::Enter => self.filtering = false,
            KeyCode::Esc => {
                self.filtering = false;
                self.filter.reset();
            }
            _ => {
                self.filter.handle_event(&TermEvent::Key(key));
            }
        }
        self.set_filter();
    }

    /// Esc or q over an open file closes the file, not the explorer.
    pub fn close_overlay(&mut self) -> bool {
        self.file.take().is_some()
    }

    pub fn file_loaded(
        &mut self,
        path: &str,
        layer: usize,
        result: Result<FileContent, crate::i18n::Text>,
    ) {
        if let Some(file) = self
            .file
            .as_mut()
            .filter(|f| f.path == path && f.layer == layer)
        {
            file.content = Some(result);
            file.run_search();
        }
    }

    fn names_for(&self, analysis: &Analysis) -> Vec<LayerName> {
        crate::layers::names::names_of(analysis, &self.hints)
    }

    /// Both images are read: the worker compares them (a big pair takes a
    /// while; the screen says "comparing…" meanwhile).
    fn compare_if_ready(&mut self) -> Option<WorkerRequest> {
        let (Some(a), Some(b), Some(other)) = (&self.analysis, &self.compared, &self.compare)
        else {
            return None;
        };
        self.comparison = None;
        Some(WorkerRequest::Compare(crate::tui::messages::ComparePair {
            left_ref: self.reference.clone(),
            right_ref: other.clone(),
            left: Arc::clone(a),
            right: Arc::clone(b),
        }))
    }

    /// The worker's comparison, if it is of the images this screen shows.
    pub fn compared(&mut self, left_ref: &str, right_ref: &str, comparison: Box<Comparison>) {
        if left_ref == self.reference && self.compare.as_deref() == Some(right_ref) {
            self.comparison = Some(comparison);
        }
    }

    /// The file under the cursor, to be read from its providing layer.
    fn open_file(&mut self) -> Option<WorkerRequest> {
        let analysis = self.analysis.as_ref()?;
        let tree = self.tree.as_ref()?;
        let row = self.rows.get(self.cursor)?;
        let node = tree.node(row.node);
        if node.kind == EntryKind::Dir {
            return None;
        }
        let layer = node.layer? as usize;
        let member = analysis.layer_member(layer)?.to_string();
        let path = format!("/{}", String::from_utf8_lossy(&tree.path(row.node)));
        self.file = Some(Box::new(FileView {
            path: path.clone(),
            layer,
            content: None,
            scroll: 0,
            searching: false,
            search: Input::default(),
            matches: Vec::new(),
            current: 0,
        }));
        Some(WorkerRequest::ReadFile {
            source: self.source.clone(),
            member,
            path,
            layer,
        })
    }

    /// An analysis arrived; when both images are read, the comparison to
    /// ask the worker for.
    pub fn loaded(
        &mut self,
        reference: &str,
        result: Result<Arc<Analysis>, crate::i18n::Text>,
    ) -> Option<WorkerRequest> {
        match result {
            Ok(analysis) if reference == self.reference => {
                self.names = self.names_for(&analysis);
                self.analysis = Some(analysis);
                self.select_layer(None);
                self.compare_if_ready()
            }
            Ok(analysis) => {
                self.compared_names = self.names_for(&analysis);
                self.compared = Some(analysis);
                self.compare_if_ready()
            }
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    fn select_layer(&mut self, layer: Option<usize>) {
        let Some(analysis) = &self.analysis else {
            return;
        };
        self.layer = layer;
        self.expanded.clear();
        self.cursor = 0;
        self.layer_error = None;
        self.tree = match layer {
            None => Some(analysis.image_tree()),
            Some(k) => match analysis.layer_tree(k) {
                Ok(tree) => Some(tree),
                Err(e) => {
                    self.layer_error = Some(e);
                    None
                }
            },
        };
        // A layer's own changes are what it is about: start there, unfolded
        // down to each change.
        self.view.changes_only = layer.is_some();
        if let (Some(_), Some(tree)) = (layer, &self.tree) {
            self.expanded = (0..tree.len() as TreeNodeId)
                .filter(|&id| tree.node(id).changed_below)
                .collect();
        }
        self.refresh_rows();
    }

    fn refresh_rows(&mut self) {
        self.rows = match &self.tree {
            Some(tree) => tree.rows(&self.view, |id| self.expanded.contains(&id)),
            None => Vec::new(),
        };
        self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
    }

    pub fn set_filter(&mut self) {
        let text = self.filter.value().trim().to_string();
        self.view.filter = (!text.is_empty()).then_some(text);
        self.refresh_rows();
    }

    /// Move, fold, filter, open a file, switch the comparison; `None` when
    /// `action` means nothing here, else what to ask the worker (a file view
    /// asks for the file's bytes).
    pub fn handle(&mut self, action: Action) -> Option<Vec<WorkerRequest>> {
        if let Some(file) = &mut self.file {
            file.handle(action);
            return Some(Vec::new());
        }
        if action == Action::Compare {
            if self.compare.is_some() {
                self.comparing = !self.comparing;
            }
            return Some(Vec::new());
        }
        if self.comparing && self.compare.is_some() {
            let last = self
                .comparison
                .as_ref()
                .map_or(0, |c| c.paths.len().saturating_sub(1));
            match action {
                Action::Up => self.compare_scroll = self.compare_scroll.saturating_sub(1),
                Action::Down => self.compare_scroll = (self.compare_scroll + 1).min(last),
                Action::PageUp => self.compare_scroll = self.compare_scroll.saturating_sub(10),
                Action::PageDown => self.compare_scroll = (self.compare_scroll + 10).min(last),
                Action::Top => self.compare_scroll = 0,
                Action::Bottom => self.compare_scroll = last,
                _ => {}
            }
            return Some(Vec::new());
        }
        if action == Action::ViewFile {
            let asked = match self.pane {
                Pane::Tree => self.open_file(),
                Pane::Layers => None,
            };
            return Some(asked.into_iter().collect());
        }
        if matches!(action, Action::NextMatch | Action::PrevMatch) {
            // Only a file view has matches; outside one the keys do nothing.
            return Some(Vec::new());
        }
        let layers = self.analysis.as_ref().map_or(0, |a| a.layers().len());
        match (self.pane, action) {
            (_, Action::NextPane | Action::PrevPane) => {
                self.pane = if self.pane == Pane::Layers {
                    Pane::Tree
                } else {
                    Pane::Layers
                };
            }
            (Pane::Layers, Action::Up) => {
                let next = match self.layer {
                    None | Some(0) => None,
                    Some(k) => Some(k - 1),
                };
                self.select_layer(next);
            }
            (Pane::Layers, Action::Down) => {
                let next = match self.layer {
                    None if layers > 0 => Some(0),
                    Some(k) if k + 1 < layers => Some(k + 1),
                    other => other,
                };
                self.select_layer(next);
            }
            (Pane::Layers, Action::Select | Action::Right) => self.pane = Pane::Tree,
            (Pane::Tree, Action::Up) => self.cursor = self.cursor.saturating_sub(1),
            (Pane::Tree, Action::Down) => {
                self.cursor = (self.cursor + 1).min(self.rows.len().saturating_sub(1))
            }
            (Pane::Tree, Action::PageUp) => self.cursor = self.cursor.saturating_sub(15),
            (Pane::Tree, Action::PageDown) => {
                self.cursor = (self.cursor + 15).min(self.rows.len().saturating_sub(1))
            }
            (Pane::Tree, Action::Top) => self.cursor = 0,
            (Pane::Tree, Action::Bottom) => self.cursor = self.rows.len().saturating_sub(1),
            (Pane::Tree, Action::Select | Action::Right | Action::Left) => {
                if let Some(row) = self.rows.get(self.cursor).copied() {
                    if action == Action::Select && !row.has_children {
                        let is_dir = self
                            .tree
                            .as_ref()
                            .is_some_and(|t| t.node(row.node).kind == EntryKind::Dir);
                        if !is_dir {
                            // Enter on a file shows it, as in a file manager.
                            return Some(self.open_file().into_iter().collect());
                        }
                    }
                    let open = match action {
                        Action::Right => true,
                        Action::Left => false,
                        _ => !self.expanded.contains(&row.node),
                    };
                    if row.has_children && open {
                        self.expanded.insert(row.node);
                    } else if row.has_children && self.expanded.contains(&row.node) {
                        self.expanded.remove(&row.node);
                    } else if action == Action::Left {
                        // Fold the parent, as file managers do.
                        if let Some(parent) =
                            self.tree.as_ref().and_then(|t| t.node(row.node).parent)
                        {
                            self.expanded.remove(&parent);
                            if let Some(pos) = self.rows.iter().position(|r| r.node == parent) {
                                self.cursor = pos;
                            }
                        }
                    }
                    self.refresh_rows();
                }
            }
            (_, Action::ChangesOnly) => {
                self.view.changes_only = !self.view.changes_only;
                self.refresh_rows();
            }
            (_, Action::SortBySize) => {
                self.view.sort = if self.view.sort == SortBy::Name {
                    SortBy::SizeDesc
                } else {
                    SortBy::Name
                };
                self.refresh_rows();
            }
            (_, Action::ExpandAll) => {
                if let Some(tree) = &self.tree {
                    self.expanded = (0..tree.len() as TreeNodeId).collect();
                }
                self.refresh_rows();
            }
            (_, Action::CollapseAll) => {
                self.expanded.clear();
                self.refresh_rows();
            }
            (_, Action::ToggleFullText) => self.full_text = !self.full_text,
            (_, Action::Filter) => self.filtering = true,
            _ => return None,
        }
        Some(Vec::new())
    }
}
