//! Turning a [`Report`] into text: the short human table, and the `--ci`
//! rules. Pure functions returning strings; the command prints them.

use crate::i18n::size;
use crate::i18n::{Lang, count, nouns};

use super::analysis::Report;

/// `--ci` rules used when none is given on the command line (docs/layers.md
/// explains the choice).
pub const DEFAULT_MIN_EFFICIENCY: f64 = 0.90;
pub const DEFAULT_MAX_WASTED_BYTES: u64 = 100 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct RuleOutcome {
    pub rule: &'static str,
    pub passed: bool,
    /// One line: `PASS efficiency 0.9412 >= 0.9000`.
    pub line: String,
}

/// Checks the given rules, or the defaults when neither is given.
pub fn check_rules(
    report: &Report,
    max_wasted_bytes: Option<u64>,
    min_efficiency: Option<f64>,
    lang: Lang,
) -> Vec<RuleOutcome> {
    let (max_wasted_bytes, min_efficiency) = match (max_wasted_bytes, min_efficiency) {
        (None, None) => (Some(DEFAULT_MAX_WASTED_BYTES), Some(DEFAULT_MIN_EFFICIENCY)),
        given => given,
    };
    // The verdict leads the line in the chosen language (a pipeline greps
    // the exit code, not the word); with --lang en it stays PASS / FAIL.
    let verdict = |ok: bool| match (ok, lang) {
        (true, Lang::En) => "PASS",
        (false, Lang::En) => "FAIL",
        (true, Lang::Ru) => "ВЫПОЛНЕНО",
        (false, Lang::Ru) => "НАРУШЕНО",
    };
    let mut out = Vec::new();
    if let Some(min) = min_efficiency {
        let passed = report.efficiency >= min;
        let op = if passed { ">=" } else { "<" };
        let what = t(lang, "эффективность", "efficiency");
        out.push(RuleOutcome {
            rule: "min-efficiency",
            passed,
            line: format!(
                "{} {what} {:.4} {op} {min:.4} (--min-efficiency)",
                verdict(passed),
                report.efficiency
            ),
        });
    }
    if let Some(max) = max_wasted_bytes {
        let passed = report.wasted_bytes <= max;
        let op = if passed { "<=" } else { ">" };
        let what = t(lang, "впустую байт", "wasted bytes");
        out.push(RuleOutcome {
            rule: "max-wasted-bytes",
            passed,
            line: format!(
                "{} {what} {} ({}) {op} {max} (--max-wasted-bytes)",
                verdict(passed),
                report.wasted_bytes,
                size(lang, report.wasted_bytes)
            ),
        });
    }
    out
}

fn t(lang: Lang, ru: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Ru => ru,
        Lang::En => en,
    }
}

/// The Dockerfile instruction as written: the classic builder records
/// `/bin/sh -c #(nop) COPY …` and `/bin/sh -c apk …` (a RUN), BuildKit
/// `RUN /bin/sh -c apk … # buildkit`.
pub fn instruction(created_by: &str) -> String {
    let text = created_by.trim().trim_end_matches("# buildkit").trim();
    if let Some(rest) = text.strip_prefix("/bin/sh -c #(nop) ") {
        rest.trim().to_string()
    } else if let Some(rest) = text.strip_prefix("/bin/sh -c ") {
        format!("RUN {}", rest.trim())
    } else {
        text.replace("RUN /bin/sh -c ", "RUN ")
    }
}

/// The instruction on one line, at most `width` characters.
pub fn short_instruction(created_by: &str, width: usize) -> String {
    short_text(&instruction(created_by), width)
}

/// `text` on one line, at most `width` characters.
fn short_text(text: &str, width: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= width {
        one_line
    } else {
        let mut s: String = one_line.chars().take(width.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// The table printed when neither `--json` nor `--ci` is given.
pub fn summary_table(report: &Report, lang: Lang) -> String {
    let names: Vec<String> = report
        .layers
        .iter()
        .map(|l| short_instruction(&l.created_by, 60))
        .collect();
    named_table(report, &names, lang)
}

/// The table with each layer's name (`names[i]` for layer i, see
/// `layers::names`) in the last column.
pub fn named_table(report: &Report, names: &[String], lang: Lang) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let short_id = report.image.id.trim_start_matches("sha256:");
    let _ = writeln!(
        out,
        "{} {}  id {}  {}",
        t(lang, "Образ", "Image"),
        report.image.reference,
        &short_id[..short_id.len().min(12)],
        count(lang, report.image.layer_count, nouns::LAYER)
    );
    let headers = match lang {
        Lang::Ru => [
            "#",
            "ДАЙДЖЕСТ",
            "РАЗМЕР",
            "ДОБАВЛ",
            "ИЗМЕН",
            "УДАЛЕН",
            "ЗАПИСЕЙ",
            "КОМАНДА",
        ],
        Lang::En => [
            "#",
            "DIGEST",
            "SIZE",
            "ADDED",
            "MODIFIED",
            "REMOVED",
            "ENTRIES",
            "CREATED BY",
        ],
    };
    let _ = writeln!(
        out,
        "{:>3}  {:<12}  {:>10}  {:>8}  {:>8}  {:>8}  {:>8}  {}",
        headers[0],
        headers[1],
        headers[2],
        headers[3],
        headers[4],
        headers[5],
        headers[6],
        headers[7]
    );
    for l in &report.layers {
        let digest = l.digest.trim_start_matches("sha256:");
        let _ = writeln!(
            out,
            "{:>3}  {:<12}  {:>10}  {:>8}  {:>8}  {:>8}  {:>8}  {}",
            l.index,
            &digest[..digest.len().min(12)],
            size(lang, l.size_bytes),
            l.added,
            l.modified,
            l.removed,
            l.entries,
            names
                .get(l.index)
                .map(|n| short_text(n, 60))
                .unwrap_or_else(|| short_instruction(&l.created_by, 60))
        );
    }
    let _ = writeln!(
        out,
        "{}: {}  {}: {} ({})  {}: {}  {}: {:.2} %",
        t(lang, "Всего в слоях", "Stored in layers"),
        size(lang, report.total_file_bytes),
        t(lang, "видно в контейнере", "visible in a container"),
        size(lang, report.visible_file_bytes),
        count(lang, report.visible_files, nouns::FILE),
        t(lang, "впустую", "wasted"),
        size(lang, report.wasted_bytes),
        t(lang, "эффективность", "efficiency"),
        report.efficiency * 100.0
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::{ImageInfo, LayerSummary};

    fn report(efficiency: f64, wasted: u64) -> Report {
        Report {
            image: ImageInfo {
                reference: "img".into(),
                id: "sha256:0123456789abcdef".into(),
                layer_count: 1,
                repo_tags: vec![],
                config_digest: None,
            },
            layers: vec![LayerSummary {
                index: 0,
                digest: "sha256:feedfacecafebeef00".into(),
                size_bytes: 2048,
                created_by: "/bin/sh -c #(nop)  ENV   A=1\nB=2".into(),
                added: 3,
                modified: 1,
                removed: 2,
                entries: 7,
            }],
            total_file_bytes: 2048,
            visible_file_bytes: 2048 - wasted,
            visible_files: 3,
            wasted_bytes: wasted,
            efficiency,
        }
    }

    #[test]
    fn rules_pass_and_fail_at_their_thresholds() {
        let r = report(0.5, 1024);
        let out = check_rules(&r, Some(1024), Some(0.5), Lang::En);
        assert!(out.iter().all(|o| o.passed), "{out:?}");
        let out = check_rules(&r, Some(1023), Some(0.51), Lang::En);
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|o| !o.passed));
        assert!(out[0].line.starts_with("FAIL efficiency 0.5000 < 0.5100"));
        // only the rule asked for is checked
        let out = check_rules(&r, Some(1023), None, Lang::En);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rule, "max-wasted-bytes");
        // in Russian the verdict is Russian too
        let out = check_rules(&r, Some(1023), Some(0.51), Lang::Ru);
        assert!(
            out[0]
                .line
                .starts_with("НАРУШЕНО эффективность 0.5000 < 0.5100"),
            "{out:?}"
        );
        let out = check_rules(&r, Some(1024), None, Lang::Ru);
        assert!(
            out[0].line.starts_with("ВЫПОЛНЕНО впустую байт 1024"),
            "{out:?}"
        );
        assert!(!out[0].line.contains("PASS"), "{out:?}");
        // defaults when none is given
        let out = check_rules(&report(0.89, 0), None, None, Lang::En);
        assert_eq!(out.len(), 2);
        assert!(!out[0].passed && out[1].passed);
    }

    #[test]
    fn table_shows_each_layer_and_totals() {
        let table = summary_table(&report(0.75, 512), Lang::En);
        assert!(table.contains("feedfacecafe "), "{table}");
        assert!(table.contains("ENV A=1 B=2"), "{table}");
        assert!(table.contains("efficiency: 75.00 %"), "{table}");
        assert!(summary_table(&report(0.75, 512), Lang::Ru).contains("эффективность: 75.00 %"));
        assert!(table.contains("Stored in layers: 2.0 kB"), "{table}");
        assert!(table.contains("(3 files)"), "{table}");
        let ru = summary_table(&report(0.75, 512), Lang::Ru);
        assert!(ru.contains("1 слой") && ru.contains("(3 файла)"), "{ru}");
        assert_eq!(short_instruction("abcdef", 4), "abc…");
    }
}
