//! Text from outside (lesson packs, archives, the daemon, the registry) on
//! its way to a terminal. An ESC or BEL in a lesson title or a file name in
//! a crafted archive would otherwise be obeyed by the terminal: change the
//! window title, clear the screen, paint a fake "ALL OK". Every CLI printer
//! passes such text through [`clean`] (one line) or [`clean_text`] (keeps
//! line breaks and tabs); control characters become visible escapes
//! (`\u{1b}`), so nothing is hidden from the reader either.
//!
//! And secrets: an endpoint like `tcp://user:password@host:2376` is shown
//! with its password replaced ([`redact_userinfo`]); a user name alone
//! (`ssh://me@host`) is no secret and helps the reader.

use std::borrow::Cow;

/// Characters a terminal may act on: C0 controls, DEL, C1 controls (0x9b is
/// CSI on some terminals), and the bidirectional overrides that reorder
/// what the reader sees.
fn is_dangerous(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape_with(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_dangerous(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_dangerous(c) && !keep(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line for a terminal: every control character escaped, line breaks too.
pub fn clean(s: &str) -> Cow<'_, str> {
    escape_with(s, |_| false)
}

/// Several lines for a terminal: `\n` and `\t` kept, every other control
/// character escaped (`\r` too: it can overwrite what was printed).
pub fn clean_text(s: &str) -> Cow<'_, str> {
    escape_with(s, |c| c == '\n' || c == '\t')
}

/// `scheme://user:pass@host…` → `scheme://user:***@host…`, anywhere in
/// `s` (an endpoint inside an error message too). Text without a password
/// in its user info is returned as it is.
pub fn redact_userinfo(s: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut rest = s;
    let mut changed = false;
    while let Some(i) = rest.find("://") {
        let after = i + 3;
        out.push_str(&rest[..after]);
        let tail = &rest[after..];
        // The authority ends at the first '/', '?', '#' or whitespace.
        let end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) if authority[..at].contains(':') => {
                let user = authority[..at].split(':').next().unwrap_or("");
                out.push_str(user);
                out.push_str(":***");
                out.push_str(&authority[at..]);
                changed = true;
            }
            _ => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    if !changed {
        return Cow::Borrowed(s);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_obey() {
        let title = "Lesson\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[32mALL OK\u{9b}1m\u{202e}";
        let shown = clean(title);
        assert!(!shown.chars().any(is_dangerous), "{shown}");
        assert_eq!(
            shown,
            "Lesson\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{1b}[32mALL OK\\u{9b}1m\\u{202e}"
        );
        assert_eq!(clean("a\nb"), "a\\u{a}b");
        assert_eq!(clean_text("a\n\tb\r"), "a\n\tb\\u{d}");
        assert!(matches!(clean("Привет, мир"), Cow::Borrowed(_)));
    }

    #[test]
    fn userinfo_is_redacted_wherever_an_endpoint_appears() {
        assert_eq!(
            redact_userinfo("tcp://user:s3cret@10.0.0.1:2376"),
            "tcp://user:***@10.0.0.1:2376"
        );
        assert_eq!(
            redact_userinfo("cannot reach http://a:b@h:1/v1.41/_ping or tcp://c:d:e@f:2"),
            "cannot reach http://a:***@h:1/v1.41/_ping or tcp://c:***@f:2"
        );
        assert!(matches!(redact_userinfo("ssh://me@host"), Cow::Borrowed(_)));
        assert!(matches!(
            redact_userinfo("unix:///var/run/docker.sock"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            redact_userinfo("see user@example.com"),
            "see user@example.com"
        );
    }
}
