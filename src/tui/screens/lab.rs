//! The live lab: on the left the image, its read-only layers and the proof
//! that it did not change; on the right each container's writable layer,
//! live; at the bottom a command line into the selected container.

use std::time::Instant;

use tui_input::Input;

use crate::docker::lab::{Commit, LabChange, LabEvent, LabImage, LabSlot, SLOTS, Sizes};
use crate::docker::model::{ChangeKind, ImageStore};

/// Commands kept for ↑/↓ recall.
const HISTORY: usize = 50;

#[derive(Debug, Default)]
pub struct LabScreen {
    pub reference: String,
    pub session: String,
    pub image: Option<LabImage>,
    pub slots: Vec<LabSlot>,
    pub store: Option<ImageStore>,
    pub changes: Vec<Vec<LabChange>>,
    pub sizes: Vec<Option<Sizes>>,
    /// F8: the selected container's overlay directories instead of the image.
    pub show_storage: bool,
    pub selected: usize,
    pub input: Input,
    pub history: Vec<String>,
    pub history_pos: Option<usize>,
    /// The last command's output, per container.
    pub output: Vec<Option<(String, String, i64)>>,
    /// Commands sent and not finished yet, per container, oldest first: the
    /// newest is shown with a spinner so a slow `exec` never looks like a
    /// lost keystroke, and `sleep 30` then `ls` still shows `sleep` running
    /// after `ls` is done.
    pub running: Vec<Vec<String>>,
    /// Result of the last re-inspection of the image after a change.
    pub verified: Option<(bool, String)>,
    pub verifications: u32,
    pub committed: Option<Commit>,
    /// A container removed with its changes (F6): which slot, old id.
    pub recreated: Option<(usize, String)>,
    pub error: Option<String>,
    /// When the last change was seen, for the latency benchmark's log.
    pub last_change: Option<Instant>,
}

impl LabScreen {
    pub fn new(reference: String) -> LabScreen {
        LabScreen {
            reference,
            changes: vec![Vec::new(); SLOTS],
            sizes: vec![None; SLOTS],
            output: vec![None; SLOTS],
            running: vec![Vec::new(); SLOTS],
            ..LabScreen::default()
        }
    }

    pub fn apply(&mut self, event: LabEvent) {
        match event {
            LabEvent::Ready {
                session,
                image,
                slots,
                store,
            } => {
                self.session = session;
                self.image = Some(image);
                self.slots = slots;
                self.store = store;
            }
            LabEvent::Changes {
                slot,
                changes,
                sizes,
                noticed,
            } => {
                if let Some(list) = self.changes.get_mut(slot) {
                    *list = changes;
                }
                if let Some(s) = self.sizes.get_mut(slot) {
                    *s = Some(sizes);
                }
                self.last_change = Some(noticed);
            }
            LabEvent::ImageVerified { unchanged, id, .. } => {
                self.verified = Some((unchanged, id));
                self.verifications += 1;
            }
            LabEvent::ExecDone {
                slot,
                command,
                output,
                exit_code,
                ..
            } => {
                self.error = None;
                if let Some(r) = self.running.get_mut(slot)
                    && let Some(at) = r.iter().position(|c| *c == command)
                {
                    r.remove(at);
                }
                if let Some(o) = self.output.get_mut(slot) {
                    *o = Some((command, output, exit_code));
                }
            }
            LabEvent::Slot { slot, info } => {
                if let Some(s) = self.slots.get_mut(slot) {
                    *s = info;
                }
            }
            LabEvent::Recreated { slot, removed } => {
                if let Some(list) = self.changes.get_mut(slot) {
                    list.clear();
                }
                if let Some(r) = self.running.get_mut(slot) {
                    r.clear();
                }
                self.recreated = Some((slot, removed));
            }
            LabEvent::Committed { commit, .. } => self.committed = Some(commit),
            LabEvent::Error(message) => {
                // The error may be the running command's: nothing is left
                // spinning for a command that will never report.
                self.running.iter_mut().for_each(Vec::clear);
                self.error = Some(message);
            }
        }
    }

    /// Whether a command is still running in some container.
    pub fn is_running(&self) -> bool {
        self.running.iter().any(|r| !r.is_empty())
    }

    /// Take the typed command, remembering it for ↑ recall.
    pub fn take_command(&mut self) -> Option<String> {
        let command = self.input.value_and_reset();
        let command = command.trim().to_string();
        self.history_pos = None;
        if command.is_empty() {
            return None;
        }
        if self.history.last() != Some(&command) {
            self.history.push(command.clone());
            if self.history.len() > HISTORY {
                self.history.remove(0);
            }
        }
        if let Some(r) = self.running.get_mut(self.selected) {
            r.push(command.clone());
        }
        Some(command)
    }

    pub fn recall(&mut self, older: bool) {
        if self.history.is_empty() {
            return;
        }
        let last = self.history.len() - 1;
        let pos = match (self.history_pos, older) {
            (None, true) => last,
            (None, false) => return,
            (Some(p), true) => p.saturating_sub(1),
            (Some(p), false) if p >= last => {
                self.history_pos = None;
                self.input.reset();
                return;
            }
            (Some(p), false) => p + 1,
        };
        self.history_pos = Some(pos);
        self.input = Input::new(self.history[pos].clone());
    }
}

/// One row of a writable layer drawn as a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeRow {
    pub depth: usize,
    /// `/name` at the top level, `name` below it.
    pub label: String,
    /// `None` for a parent `docker diff` did not list itself.
    pub kind: Option<ChangeKind>,
    pub size: Option<u64>,
}

/// The changes as a tree: each entry under its parent directory, parents
/// that `docker diff` left out filled in so nothing floats.
pub fn tree_rows(changes: &[LabChange]) -> Vec<TreeRow> {
    let mut sorted: Vec<&LabChange> = changes.iter().collect();
    // Sorting by components, not by the raw string: "/a/b" before "/a-b".
    sorted.sort_by(|a, b| {
        a.path
            .split('/')
            .filter(|p| !p.is_empty())
            .cmp(b.path.split('/').filter(|p| !p.is_empty()))
    });
    let mut rows = Vec::new();
    let mut open: Vec<String> = Vec::new();
    for change in sorted {
        let parts: Vec<&str> = change.path.split('/').filter(|p| !p.is_empty()).collect();
        let Some((name, parents)) = parts.split_last() else {
            continue;
        };
        let shared = open
            .iter()
            .zip(parents.iter())
            .take_while(|(a, b)| a.as_str() == **b)
            .count();
        open.truncate(shared);
        for (depth, parent) in parents.iter().enumerate().skip(shared) {
            rows.push(TreeRow {
                depth,
                label: tree_label(depth, parent),
                kind: None,
                size: None,
            });
            open.push(parent.to_string());
        }
        rows.push(TreeRow {
            depth: parents.len(),
            label: tree_label(parents.len(), name),
            kind: Some(change.kind),
            size: change.size,
        });
        open.push(name.to_string());
    }
    rows
}

fn tree_label(depth: usize, name: &str) -> String {
    if depth == 0 {
        format!("/{name}")
    } else {
        name.to_string()
    }
}
