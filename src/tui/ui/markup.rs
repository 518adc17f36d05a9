//! The lessons' light markup: `# heading`, `*emphasis*`, `` `code` `` and
//! fenced code blocks. Anything else is plain text; nothing here can fail.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use crate::tui::theme::Theme;

pub fn render(source: &str, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut in_code = false;
    for raw in source.lines() {
        if raw.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            lines.push(Line::from(Span::styled(format!("  {raw}"), theme.code())));
        } else if let Some(heading) = raw.strip_prefix('#') {
            let text = heading.trim_start_matches('#').trim();
            lines.push(Line::from(Span::styled(text.to_string(), theme.heading())));
        } else {
            lines.push(Line::from(inline(raw, theme)));
        }
    }
    lines
}

/// `*emphasis*` and `` `code` `` inside one line. An unclosed marker is
/// kept as a literal character.
fn inline(text: &str, theme: Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let next = rest.find(['*', '`']);
        let Some(start) = next else {
            spans.push(Span::raw(rest.to_string()));
            break;
        };
        let marker = rest.as_bytes()[start] as char;
        let after = &rest[start + 1..];
        match after.find(marker) {
            Some(end) if end > 0 => {
                if start > 0 {
                    spans.push(Span::raw(rest[..start].to_string()));
                }
                let inner = after[..end].to_string();
                spans.push(if marker == '`' {
                    Span::styled(inner, theme.code())
                } else {
                    Span::styled(
                        inner,
                        ratatui::style::Style::new().add_modifier(Modifier::ITALIC),
                    )
                });
                rest = &after[end + 1..];
            }
            _ => {
                spans.push(Span::raw(rest[..=start].to_string()));
                rest = after;
            }
        }
    }
    spans
}

/// A result or a hint (a step's outcome, what the watcher saw): its
/// `` `code` `` in the code style without the backticks, the rest in
/// `style`. Only backticks: a result may hold a glob's `*`.
pub fn result(text: &str, theme: Theme, style: ratatui::style::Style) -> Vec<Line<'static>> {
    text.lines()
        .map(|line| {
            let mut spans = Vec::new();
            let mut rest = line;
            while let Some(start) = rest.find('`') {
                let after = &rest[start + 1..];
                let Some(end) = after.find('`').filter(|end| *end > 0) else {
                    break;
                };
                if start > 0 {
                    spans.push(Span::styled(rest[..start].to_string(), style));
                }
                spans.push(Span::styled(after[..end].to_string(), theme.code()));
                rest = &after[end + 1..];
            }
            if !rest.is_empty() {
                spans.push(Span::styled(rest.to_string(), style));
            }
            Line::from(spans)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn results_lose_their_backticks_and_keep_stars() {
        let theme = Theme { color: true };
        let style = theme.ok();
        let lines = result(
            "`docker ps`: the output has «web» in /var/*\n  fix: run `x`",
            theme,
            style,
        );
        assert_eq!(
            plain(&lines),
            vec!["docker ps: the output has «web» in /var/*", "  fix: run x"]
        );
        assert_eq!(lines[0].spans[0].style, theme.code());
        assert_eq!(lines[0].spans[1].style, style);
        // An unclosed backtick stays as written.
        assert_eq!(plain(&result("a ` b", theme, style)), vec!["a ` b"]);
    }

    #[test]
    fn headings_code_blocks_and_inline_marks() {
        let theme = Theme { color: true };
        let lines = render(
            "# Title\nUse `docker ps` *now*\n```\nRUN x\n```\nbare * star",
            theme,
        );
        assert_eq!(
            plain(&lines),
            vec!["Title", "Use docker ps now", "  RUN x", "bare * star"]
        );
        assert_eq!(lines[1].spans[1].style, theme.code());
        assert!(
            lines[1].spans[3]
                .style
                .add_modifier
                .contains(Modifier::ITALIC)
        );
    }
}
