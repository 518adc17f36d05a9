use std::io::Write;
use std::process::ExitCode;

use crate::cmd::args::GlobalArgs;
use crate::i18n::Lang;
use crate::lesson::{Lesson, StepKind};

use crate::quiz::bank;

/// `layerlab quiz [--list]`.
pub async fn quiz(global: &GlobalArgs, list: bool) -> anyhow::Result<ExitCode> {
    let lang = global.lang();
    // TODO(loader): use crate::lesson::loader (and honour --lessons).
    let lesson = bank::embedded_quiz()?;
    match print(&lesson, lang, list) {
        // `layerlab quiz --list | head` closes the pipe early; that is not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e.into()),
        Ok(()) => Ok(ExitCode::SUCCESS),
    }
}

fn print(lesson: &Lesson, lang: Lang, list: bool) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if list {
        for line in list_lines(lesson, lang) {
            writeln!(out, "{}", crate::sanitize::clean(&line))?;
        }
    } else {
        let message = match lang {
            Lang::Ru => {
                "Тест открывается в приложении: запустите `layerlab` и выберите урок «Проверьте себя». \
                 Список вопросов для преподавателя: `layerlab quiz --list`."
            }
            Lang::En => {
                "The quiz opens in the app: run `layerlab` and choose the lesson \"Check yourself\". \
                 For teachers, `layerlab quiz --list` prints the questions."
            }
        };
        writeln!(out, "{message}")?;
    }
    out.flush()
}

/// One line per question: kind, step id, the prompt's first line. The kind
/// column is padded to the longest kind name so the ids line up.
pub fn list_lines(lesson: &Lesson, lang: Lang) -> Vec<String> {
    let id_width = lesson
        .steps
        .iter()
        .map(|s| s.id.chars().count())
        .max()
        .unwrap_or(0);
    lesson
        .steps
        .iter()
        .filter(|step| step.kind == StepKind::Question)
        .filter_map(|step| {
            let question = step.question.as_ref()?;
            Some(format!(
                "{:<9} {:<id_width$}  {}",
                question.answer.name(),
                step.id,
                first_line(question.prompt.get(lang)),
            ))
        })
        .collect()
}

/// The first non-blank line, whitespace collapsed: prompts may hold code blocks.
fn first_line(text: &str) -> String {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
