//! The inline answer editor: a multi-line text area over the lesson's text,
//! so a written answer needs no external editor. Every change is written to
//! the answer file at once (the same file `$EDITOR` opens), so quitting,
//! a crash or a failed editor loses nothing the learner typed.

use std::path::{Path, PathBuf};

use ratatui_textarea::TextArea;

#[derive(Debug, Clone)]
pub struct AnswerEditor {
    pub area: TextArea<'static>,
    /// `DATA/answers/KEY.md`.
    pub path: PathBuf,
    pub key: String,
    /// Why the last save was refused (an empty answer), shown under the text.
    pub error: Option<String>,
}

impl AnswerEditor {
    /// Opens with what the learner already has: the draft in the answer file
    /// first (what a failed editor left), else the saved answer.
    pub fn open(path: PathBuf, key: String, saved: Option<&str>) -> AnswerEditor {
        let draft = std::fs::read_to_string(&path)
            .ok()
            .filter(|t| !t.trim().is_empty());
        let text = draft
            .or_else(|| saved.map(str::to_string))
            .unwrap_or_default();
        let lines: Vec<String> = if text.is_empty() {
            vec![String::new()]
        } else {
            text.trim_end_matches('\n')
                .lines()
                .map(strip_control)
                .collect()
        };
        let mut area = TextArea::new(lines);
        area.move_cursor(ratatui_textarea::CursorMove::Bottom);
        area.move_cursor(ratatui_textarea::CursorMove::End);
        AnswerEditor {
            area,
            path,
            key,
            error: None,
        }
    }

    /// The text as it will be saved.
    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    /// Keep the draft in the answer file, on every change. A plain write,
    /// not the atomic fsync'd one: a sync per keystroke made typing lag on
    /// a busy disk, and once `write` returns the text survives the app
    /// quitting or crashing (only a power cut could lose the last keys).
    /// Errors are returned for the screen to show; the text stays in memory.
    pub fn keep_draft(&self) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut contents = self.text();
        if !contents.is_empty() && !contents.ends_with('\n') {
            contents.push('\n');
        }
        std::fs::write(&self.path, contents)
    }
}

/// The answer file with its folder created (a fresh data dir has none).
pub fn write_answer_file(path: &Path, text: &str) -> std::io::Result<()> {
    let mut contents = text.to_string();
    if !contents.is_empty() && !contents.ends_with('\n') {
        contents.push('\n');
    }
    crate::paths::write_atomically(path, contents.as_bytes())
}

/// Tabs become spaces and other control characters go: pasted text or a
/// draft file must not put escape sequences on the terminal.
pub fn strip_control(line: &str) -> String {
    line.chars()
        .filter_map(|c| match c {
            '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_with_the_draft_then_the_saved_answer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("answers").join("k.md");
        let editor = AnswerEditor::open(path.clone(), "k".into(), Some("saved\ntext"));
        assert_eq!(editor.text(), "saved\ntext");
        editor.keep_draft().expect("the folder is created");
        write_answer_file(&path, "draft \u{1b}[31mred").expect("write");
        let editor = AnswerEditor::open(path, "k".into(), Some("saved"));
        assert_eq!(editor.text(), "draft [31mred");
    }
}
