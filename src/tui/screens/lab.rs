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
    pub error: Option<crate::i18n::Text>,
    /// When the last change was seen, for the latency benchmark's log.
    pub last_change: Option<Instant>,
    /// Per container: the paths the last change report added or changed
    /// (the learner's own write): highlighted and scrolled into view.
    pub fresh: Vec<Vec<String>>,
    /// Per container: the first tree row shown, once PgUp/PgDn or the wheel
    /// moved it; `None` follows the fresh entries.
    pub scroll: Vec<Option<usize>>,
    /// F4: show nginx's start-up entries one by one instead of one line.
    pub unfold_noise: bool,
    /// What names the image's layers as the explorer names them (the
    /// workspace's Dockerfile lines), read when the lab opens.
    pub hints: crate::layers::names::NameHints,
}

impl LabScreen {
    pub fn new(reference: String) -> LabScreen {
        LabScreen {
            reference,
            changes: vec![Vec::new(); SLOTS],
            sizes: vec![None; SLOTS],
            output: vec![None; SLOTS],
            running: vec![Vec::new(); SLOTS],
            fresh: vec![Vec::new(); SLOTS],
            scroll: vec![None; SLOTS],
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
                // The first report is what the container did on its own
                // (nginx starting); later ones are what the learner did.
                let seen_before = self.sizes.get(slot).is_some_and(Option::is_some);
                if let Some(list) = self.changes.get_mut(slot) {
                    let fresh: Vec<String> = changes
                        .iter()
                        .filter(|c| !list.iter().any(|o| o.path == c.path && o.kind == c.kind))
                        .map(|c| c.path.clone())
                        .collect();
                    if seen_before && !fresh.is_empty() {
                        if let Some(f) = self.fresh.get_mut(slot) {
                            *f = fresh;
                        }
                        if let Some(s) = self.scroll.get_mut(slot) {
                            *s = None;
                        }
                    }
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

/// Where nginx writes as it starts (pid, temp dirs, logs): true, but not
/// what the learner came to see, so folded into one line until F4.
const NOISE: &[&str] = &[
    "/run/nginx",
    "/run/nginx.pid",
    "/var/lib/nginx",
    "/var/log/nginx",
    "/var/cache/nginx",
    "/var/tmp/nginx",
];

fn is_noise(change: &LabChange) -> bool {
    let path = change.path.trim_end_matches('/');
    NOISE.iter().any(|n| {
        path == *n
            || path.starts_with(&format!("{n}/"))
            // A parent listed only because something under it changed.
            || (change.kind == ChangeKind::Changed && n.starts_with(&format!("{path}/")))
    })
}

/// One container's writable layer as drawn: its tree rows, which of them
/// are fresh, and how many start-up entries are folded away.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlotView {
    pub rows: Vec<TreeRow>,
    pub fresh: Vec<bool>,
    pub folded: usize,
}

impl SlotView {
    /// The first row shown in `visible` rows: where the learner scrolled,
    /// else the fresh entries in view (the last one at the bottom at most),
    /// else the top.
    pub fn offset(&self, visible: usize, scroll: Option<usize>) -> usize {
        let max = self.rows.len().saturating_sub(visible.max(1));
        if let Some(at) = scroll {
            return at.min(max);
        }
        let first = self.fresh.iter().position(|f| *f);
        let last = self.fresh.iter().rposition(|f| *f);
        match (first, last) {
            (Some(first), Some(last)) => (last + 1).saturating_sub(visible).min(first).min(max),
            _ => 0,
        }
    }
}

impl LabScreen {
    /// What the writable-layer pane of `slot` shows.
    pub fn slot_view(&self, slot: usize) -> SlotView {
        let changes = self.changes.get(slot).map(Vec::as_slice).unwrap_or(&[]);
        let fresh = self.fresh.get(slot).map(Vec::as_slice).unwrap_or(&[]);
        let (shown, folded): (Vec<LabChange>, Vec<LabChange>) = changes
            .iter()
            .cloned()
            .partition(|c| self.unfold_noise || !is_noise(c) || fresh.contains(&c.path));
        let rows = tree_rows(&shown);
        let fresh = rows
            .iter()
            .map(|r| r.kind.is_some() && fresh.contains(&r.path))
            .collect();
        SlotView {
            rows,
            fresh,
            folded: folded.len(),
        }
    }

    /// PgUp/PgDn (`page` rows) or the wheel (`step` rows) in the selected
    /// container's pane, `visible` rows high.
    pub fn scroll_by(&mut self, delta: isize, visible: usize) {
        let slot = self.selected;
        let view = self.slot_view(slot);
        let now = view.offset(visible, self.scroll.get(slot).copied().flatten());
        let max = view.rows.len().saturating_sub(visible.max(1));
        let next = now.saturating_add_signed(delta).min(max);
        if let Some(s) = self.scroll.get_mut(slot) {
            *s = Some(next);
        }
    }
}

/// Where the lab puts its parts; PgUp/PgDn ask it how tall a pane is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabLayout {
    pub left: ratatui::layout::Rect,
    pub slots: Vec<ratatui::layout::Rect>,
    pub output: ratatui::layout::Rect,
    pub input: ratatui::layout::Rect,
}

pub fn layout(area: ratatui::layout::Rect) -> LabLayout {
    use ratatui::layout::{Constraint, Layout};
    let [top, output, input] = Layout::vertical([
        Constraint::Min(6),
        Constraint::Length(5),
        Constraint::Length(3),
    ])
    .areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(top);
    let slots = Layout::vertical(vec![Constraint::Ratio(1, SLOTS as u32); SLOTS])
        .split(right)
        .to_vec();
    LabLayout {
        left,
        slots,
        output,
        input,
    }
}

/// One row of a writable layer drawn as a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeRow {
    /// The full path, `/var/log/nginx`.
    pub path: String,
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
                path: format!("/{}", parents[..=depth].join("/")),
                depth,
                label: tree_label(depth, parent),
                kind: None,
                size: None,
            });
            open.push(parent.to_string());
        }
        rows.push(TreeRow {
            path: format!("/{}", parts.join("/")),
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
