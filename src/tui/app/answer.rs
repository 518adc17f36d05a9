//! Written answers: the inline editor's keys and saving, getting the answer
//! file ready for `$EDITOR`, and what comes back from it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Effect, Screen};
use crate::t;
use crate::tui::screens::answer::{AnswerEditor, write_answer_file};
use crate::tui::worker::StepOutcome;

impl App {
    /// `answers/KEY.md` next to the progress file (the data dir in use),
    /// where both editors keep the learner's words.
    pub(super) fn answer_path(&self, key: &str) -> std::path::PathBuf {
        self.progress
            .path()
            .parent()
            .map_or_else(crate::paths::data_dir, std::path::Path::to_path_buf)
            .join("answers")
            .join(format!("{key}.md"))
    }

    /// Open the inline editor on the current answer step.
    pub(super) fn open_answer_editor(&mut self, path: std::path::PathBuf, key: String) {
        let saved = self.progress.answer(&key).map(str::to_string);
        if let Screen::Lesson(view) = &mut self.screen {
            view.prompt = None;
            view.editor = Some(Box::new(AnswerEditor::open(path, key, saved.as_deref())));
        }
    }

    /// Before `$EDITOR` opens the answer file: its folder exists, and a
    /// saved answer is in it to be edited rather than retyped. A problem
    /// here is shown and the editor is not started.
    pub(super) fn prepare_answer_file(
        &mut self,
        path: &std::path::Path,
        key: &str,
    ) -> Result<(), String> {
        let has_draft = std::fs::read_to_string(path).is_ok_and(|t| !t.trim().is_empty());
        let result = if has_draft {
            path.parent().map_or(Ok(()), std::fs::create_dir_all)
        } else {
            let saved = self.progress.answer(key).unwrap_or_default().to_string();
            write_answer_file(path, &saved)
        };
        result.map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Keys while the inline editor is open: Ctrl-S saves, Esc closes it
    /// (the draft stays in the answer file), everything else edits.
    pub(super) fn on_editor_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let lang = self.lang;
        let Screen::Lesson(view) = &mut self.screen else {
            return Vec::new();
        };
        let Some(editor) = view.editor.as_mut() else {
            return Vec::new();
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('s') if ctrl => return self.save_inline_answer(),
            KeyCode::F(2) => return self.save_inline_answer(),
            KeyCode::Esc => {
                let kept = editor.keep_draft();
                view.editor = None;
                if let Err(e) = kept {
                    view.fail_run(e.to_string());
                }
                return Vec::new();
            }
            // Ctrl-C still quits the app; the draft was written on every change.
            KeyCode::Char('c') if ctrl => return vec![Effect::Quit],
            _ => {}
        }
        if editor.area.input(key) {
            editor.error = None;
            if let Err(e) = editor.keep_draft() {
                editor.error = Some(format!(
                    "{}: {e}",
                    t!("черновик не сохранён", "the draft was not kept").get(lang)
                ));
            }
        }
        Vec::new()
    }

    fn save_inline_answer(&mut self) -> Vec<Effect> {
        let lang = self.lang;
        let Screen::Lesson(view) = &mut self.screen else {
            return Vec::new();
        };
        let Some(editor) = view.editor.as_mut() else {
            return Vec::new();
        };
        let text = editor.text();
        if text.trim().is_empty() {
            editor.error = Some(
                t!(
                    "Ответ пуст — напишите его своими словами",
                    "The answer is empty: write it in your own words"
                )
                .get(lang)
                .to_string(),
            );
            return Vec::new();
        }
        let (key, kept) = (editor.key.clone(), editor.keep_draft());
        if let Err(e) = kept {
            editor.error = Some(format!("{}: {e}", editor.path.display()));
            return Vec::new();
        }
        view.editor = None;
        self.answer_saved(&key, &text);
        Vec::new()
    }

    /// The answer goes into progress and the step is done.
    fn answer_saved(&mut self, key: &str, text: &str) {
        let Screen::Lesson(view) = &mut self.screen else {
            return;
        };
        let lesson = &self.lessons[view.lesson];
        let Some(step) = lesson.steps.get(view.step) else {
            return;
        };
        let (lesson_id, step_id) = (lesson.id.clone(), step.id.clone());
        if let Err(e) = self.progress.save_answer(&lesson_id, key, text.trim()) {
            view.fail_run(e.to_string());
            return;
        }
        view.finish_run(StepOutcome::passed(t!("Ответ сохранён", "Answer saved")));
        let saved = self.progress.complete_step(&lesson_id, &step_id);
        self.report(saved);
    }

    /// Back from `$EDITOR` on an answer step. The learner's words are never
    /// blamed for the editor's failure, and never thrown away: whatever is
    /// in the file stays there and opens in the inline editor with Enter.
    pub(super) fn answer_editor_finished(
        &mut self,
        path: &std::path::Path,
        key: &str,
        result: Result<(), String>,
    ) {
        let lang = self.lang;
        let text = std::fs::read_to_string(path);
        let typed = text.as_ref().is_ok_and(|t| !t.trim().is_empty());
        let problem = match (&result, &text) {
            (Err(reason), _) => Some(if typed {
                crate::tr!(
                    lang,
                    "{reason}. Написанное не потеряно: оно в {path}; Enter — открыть его во встроенном редакторе",
                    "{reason}. What you typed is kept in {path}; Enter opens it in the built-in editor",
                    reason = reason,
                    path = path.display()
                )
            } else {
                crate::tr!(
                    lang,
                    "{reason}. Enter — написать ответ во встроенном редакторе",
                    "{reason}. Enter writes the answer in the built-in editor",
                    reason = reason
                )
            }),
            (Ok(()), Err(e)) => Some(crate::tr!(
                lang,
                "редактор не оставил файла {path} ({e}); Enter — встроенный редактор",
                "the editor left no file at {path} ({e}); Enter opens the built-in editor",
                path = path.display(),
                e = e
            )),
            (Ok(()), Ok(_)) if !typed => Some(
                t!(
                    "Ответ пуст — напишите его своими словами",
                    "The answer is empty: write it in your own words"
                )
                .get(lang)
                .to_string(),
            ),
            _ => None,
        };
        if let Some(problem) = problem {
            if let Screen::Lesson(view) = &mut self.screen {
                view.fail_run(problem);
            }
            return;
        }
        let text = text.unwrap_or_default();
        self.answer_saved(key, &text);
    }
}
