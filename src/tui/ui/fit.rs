//! Text that must stay on one line (list items, titles, the status bar) is
//! shortened at a word boundary with an ellipsis, never cut mid-word, so a
//! narrow terminal still reads as sentences.

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

const ELLIPSIS: char = '…';

/// `text` in at most `width` columns: whole if it fits, else up to the last
/// word that fits followed by `…`. A single word longer than the line is cut
/// (there is no better place), still marked with `…`.
pub fn fit(text: &str, width: usize) -> Cow<'_, str> {
    if text.width() <= width {
        return Cow::Borrowed(text);
    }
    if width == 0 {
        return Cow::Borrowed("");
    }
    let room = width - 1;
    let mut used = 0;
    let mut end = 0;
    let mut last_break = None;
    for (at, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            // A break right where the line ends counts: the word before fits.
            if c.is_whitespace() {
                last_break = Some(at);
            }
            break;
        }
        if c.is_whitespace() {
            last_break = Some(at);
        }
        used += w;
        end = at + c.len_utf8();
    }
    let cut = match last_break {
        Some(at) if !text[..at].trim().is_empty() => {
            text[..at].trim_end_matches(|c: char| c.is_whitespace() || ",;:—–-(".contains(c))
        }
        _ => &text[..end],
    };
    Cow::Owned(format!("{cut}{ELLIPSIS}"))
}

/// `text` broken into lines of at most `width` columns at spaces; a word
/// longer than a line is cut with `…` (as `fit` does). Always one line at
/// least, so a row keeps its place.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let word = fit(word, width);
        if line.is_empty() {
            line.push_str(&word);
        } else if line.width() + 1 + word.width() <= width {
            line.push(' ');
            line.push_str(&word);
        } else {
            lines.push(std::mem::take(&mut line));
            line.push_str(&word);
        }
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_keeps_every_word() {
        let text = "keyboard to the text, the file or the step's output (↑↓ PgUp PgDn scroll)";
        let lines = wrap(text, 30);
        assert!(lines.len() > 1, "{lines:?}");
        assert!(lines.iter().all(|l| l.width() <= 30), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        assert_eq!(wrap("", 10), vec![String::new()]);
        assert_eq!(wrap("sha256:0123456789abcdef x", 8), vec!["sha256:…", "x"]);
    }

    #[test]
    fn whole_when_it_fits() {
        assert_eq!(fit("Image and container", 19), "Image and container");
        assert_eq!(fit("", 0), "");
    }

    #[test]
    fn shortened_at_a_word_boundary() {
        assert_eq!(
            fit("The homework template in your workspace", 28),
            "The homework template in…"
        );
        assert_eq!(
            fit("Dockerfile: building your own nginx", 16),
            "Dockerfile…"
        );
        // The word before the line's end fits exactly.
        assert_eq!(fit("one two three", 8), "one two…");
    }

    #[test]
    fn wide_and_cyrillic_text_counts_columns() {
        let fitted = fit("Образ и контейнер: в чём разница", 20);
        assert_eq!(fitted, "Образ и контейнер…");
        assert!(fitted.width() <= 20);
        let wide = fit("🔒🔒🔒 слой", 4);
        assert!(wide.width() <= 4, "{wide}");
    }

    #[test]
    fn one_long_word_is_cut_with_a_mark() {
        assert_eq!(fit("sha256:0123456789abcdef", 8), "sha256:…");
        assert_eq!(fit("abc", 1), "…");
    }

    #[test]
    fn never_wider_than_asked() {
        let text = "Can a kernel be built inside a container? Yes, and no.";
        for width in 0..text.len() + 2 {
            assert!(fit(text, width).width() <= width, "width {width}");
        }
    }
}
