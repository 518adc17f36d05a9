//! `layerlab lessons` and `layerlab validate`.
//!
//! `validate` prints problems to stdout, one `FILE:LINE:COL: message` per line
//! (they are the command's output: pipe them to an editor or grep), then
//! `OK: N lessons, M steps` when the pack is valid. Exit 0 valid, 1 invalid;
//! when invalid, a one-line count goes to stderr. Warnings (`warning:` after
//! the position) do not make a pack invalid.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use unicode_width::UnicodeWidthStr;

use crate::cmd::args::GlobalArgs;
use crate::i18n::Lang;
use crate::lesson::loader::{Pack, PackFiles};
use crate::lesson::validate::{Report, validate as validate_pack};
use crate::progress::Progress;

pub fn list(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let pack = Pack::load(global.lessons.as_deref())?;
    let progress = match Progress::open_default() {
        Ok(opened) => {
            if let Some(notice) = opened.notice() {
                eprintln!(
                    "layerlab: {}",
                    crate::sanitize::clean_text(notice.get(global.lang()))
                );
            }
            Some(opened.progress)
        }
        Err(e) => {
            eprintln!(
                "layerlab: {}; showing the lessons without progress",
                crate::sanitize::clean_text(&e.to_string())
            );
            None
        }
    };
    print!("{}", lesson_table(&pack, progress.as_ref(), global.lang()));
    Ok(ExitCode::SUCCESS)
}

/// The `lessons` table: id, title, steps, progress; columns padded by
/// display width so Cyrillic titles line up too.
pub fn lesson_table(pack: &Pack, progress: Option<&Progress>, lang: Lang) -> String {
    let (id_h, title_h, steps_h, progress_h, done_word) = match lang {
        Lang::Ru => ("ID", "УРОК", "ШАГИ", "ПРОГРЕСС", "готово"),
        Lang::En => ("ID", "TITLE", "STEPS", "PROGRESS", "done"),
    };
    let rows: Vec<[String; 4]> = pack
        .lessons
        .iter()
        .map(|lesson| {
            let done = match progress {
                Some(progress) => {
                    let (done, total) = progress.counts(lesson);
                    // Who did them: the steps "do it for me" did are counted apart.
                    let by_layerlab = lesson
                        .steps
                        .iter()
                        .filter(|s| !s.optional)
                        .filter_map(|s| progress.step_record(&lesson.id, &s.id))
                        .filter(|r| r.by == crate::progress::By::Layerlab)
                        .count();
                    match (by_layerlab, lang) {
                        (0, _) => format!("{done}/{total} {done_word}"),
                        (n, Lang::Ru) => format!("{done}/{total} {done_word} ({n} — layerlab)"),
                        (n, Lang::En) => format!("{done}/{total} {done_word} ({n} by layerlab)"),
                    }
                }
                None => "?".into(),
            };
            // A pack's text may hold ESC/BEL: escaped before the width is
            // measured, so the columns match what the terminal shows.
            [
                crate::sanitize::clean(&lesson.id).into_owned(),
                crate::sanitize::clean(lesson.title.get(lang)).into_owned(),
                // Counted as on every screen: required + optional.
                {
                    let required = lesson.steps.iter().filter(|s| !s.optional).count();
                    match lesson.steps.len() - required {
                        0 => required.to_string(),
                        optional => format!("{required} + {optional}"),
                    }
                },
                done,
            ]
        })
        .collect();
    let header = [id_h, title_h, steps_h, progress_h].map(String::from);
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.width());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let pad = |cell: &str, width: usize| " ".repeat(width.saturating_sub(cell.width()));
        let _ = writeln!(
            out,
            "{}{}  {}{}  {}{}  {}",
            row[0],
            pad(&row[0], widths[0]),
            row[1],
            pad(&row[1], widths[1]),
            pad(&row[2], widths[2]),
            row[2],
            row[3]
        );
    }
    out
}

pub fn validate(dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    let files = match dir {
        Some(dir) => PackFiles::from_dir(dir)?,
        None => PackFiles::embedded(),
    };
    let report = validate_pack(&files);
    print!("{}", report_text(&report));
    if report.is_valid() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "layerlab: {} is not valid: {} error(s)",
            crate::sanitize::clean(&files.describe()),
            report.errors().count()
        );
        Ok(ExitCode::from(1))
    }
}

/// What `validate` prints on stdout.
pub fn report_text(report: &Report) -> String {
    let mut out = String::new();
    for problem in &report.problems {
        // An unknown key or value is quoted from the pack: escaped.
        let _ = writeln!(out, "{}", crate::sanitize::clean(&problem.to_string()));
    }
    if report.is_valid() {
        let warnings = report.warnings().count();
        let _ = write!(
            out,
            "OK: {} lessons, {} steps",
            report.lessons, report.steps
        );
        if warnings > 0 {
            let _ = write!(out, " ({warnings} warning(s))");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::loader::PackOrigin;

    fn pack() -> Pack {
        let manifest =
            "format_version: 1\ntitle: {ru: Курс, en: Course}\nlessons: [a.yaml, b.yaml]\n";
        let a = "format_version: 1\nid: first\ntitle: {ru: Первый урок, en: First}\nsteps:\n  - {id: s1, kind: prose, text: {ru: т, en: t}}\n  - {id: s2, kind: prose, text: {ru: т, en: t}}\n";
        let b = "format_version: 1\nid: second-lesson\ntitle: {ru: Второй, en: Second one}\nsteps:\n  - {id: s1, kind: prose, text: {ru: т, en: t}}\n";
        let files = PackFiles::from_memory(
            PackOrigin::Folder("p".into()),
            [
                ("pack.yaml", manifest.as_bytes().to_vec()),
                ("a.yaml", a.as_bytes().to_vec()),
                ("b.yaml", b.as_bytes().to_vec()),
                ("assets/.keep", Vec::new()),
            ],
        );
        Pack::from_files(files).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_table_shows_progress_and_lines_up_in_both_languages() {
        let dir = tempfile::tempdir().unwrap();
        let mut progress = Progress::open(&dir.path().join("p.json")).unwrap().progress;
        progress
            .complete_step_by("first", "s1", crate::progress::By::Learner)
            .unwrap();
        let pack = pack();
        assert_eq!(
            lesson_table(&pack, Some(&progress), Lang::En),
            "ID             TITLE       STEPS  PROGRESS\n\
             first          First           2  1/2 done\n\
             second-lesson  Second one      1  0/1 done\n"
        );
        // A step "do it for me" did is counted apart.
        progress.complete_step("second-lesson", "s1").unwrap();
        let table = lesson_table(&pack, Some(&progress), Lang::En);
        assert!(table.contains("1/1 done (1 by layerlab)"), "{table}");
        let table = lesson_table(&pack, Some(&progress), Lang::Ru);
        assert!(table.contains("1/1 готово (1 — layerlab)"), "{table}");
        assert_eq!(
            lesson_table(&pack, None, Lang::Ru),
            "ID             УРОК         ШАГИ  ПРОГРЕСС\n\
             first          Первый урок     2  ?\n\
             second-lesson  Второй          1  ?\n"
        );
    }
}
