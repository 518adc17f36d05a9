//! The layer explorer: the image's layers on the left (size, what each did,
//! the instruction behind it, wasted space), the file tree of the chosen
//! layer or of the whole image on the right, with marks and sizes.

use std::collections::HashSet;
use std::sync::Arc;

use tui_input::Input;

use crate::layers::{Analysis, FileTree, LayersError, SortBy, TreeNodeId, TreeRow, TreeView};
use crate::tui::keys::Action;

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
}

impl ExplorerScreen {
    pub fn new(reference: String, compare: Option<String>) -> ExplorerScreen {
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
        }
    }

    pub fn loaded(&mut self, reference: &str, result: Result<Arc<Analysis>, crate::i18n::Text>) {
        match result {
            Ok(analysis) if reference == self.reference => {
                self.analysis = Some(analysis);
                self.select_layer(None);
            }
            Ok(analysis) => self.compared = Some(analysis),
            Err(e) => self.error = Some(e),
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

    /// Move, fold, filter; false when `action` means nothing in this pane.
    pub fn handle(&mut self, action: Action) -> bool {
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
            _ => return false,
        }
        true
    }
}
