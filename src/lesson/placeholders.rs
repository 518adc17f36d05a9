//! `{name}` placeholders in action and check strings (see the top of
//! `model.rs`). The validator and the runner both use this, so a name the
//! validator accepts is a name the runner fills in.
//!
//! A placeholder is `{` + a name + `}` where the name is letters, digits and
//! `_`, optionally followed by `.` and a second part (`{port.web}`). Anything
//! else in braces stays as written, and so does `${VAR}`, so shell commands and
//! nginx snippets keep their braces.

/// The names the runner always knows; `port.NAME` and saved names come on top.
/// `base_archive` is a `docker save` file the learner names when a `load` step asks.
pub const BUILTIN: &[&str] = &[
    "image",
    "image_repo",
    "base_image",
    "registry",
    "workspace",
    "base_archive",
];

/// The placeholder names in `text`, in order, without braces.
pub fn names(text: &str) -> Vec<&str> {
    spans(text).into_iter().map(|(_, name)| name).collect()
}

/// `text` with each placeholder replaced by `lookup(name)`; the first name
/// `lookup` does not know is the error.
pub fn fill(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut copied_up_to = 0;
    for (start, name) in spans(text) {
        let value = lookup(name).ok_or_else(|| name.to_string())?;
        out.push_str(&text[copied_up_to..start]);
        out.push_str(&value);
        copied_up_to = start + name.len() + 2;
    }
    out.push_str(&text[copied_up_to..]);
    Ok(out)
}

/// (byte offset of `{`, name) for each placeholder.
fn spans(text: &str) -> Vec<(usize, &str)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' && (i == 0 || bytes[i - 1] != b'$') {
            if let Some(len) = text[i + 1..].find('}') {
                let name = &text[i + 1..i + 1 + len];
                if is_name(name) {
                    found.push((i, name));
                    i += len + 2;
                    continue;
                }
            }
        }
        i += 1;
    }
    found
}

fn is_name(name: &str) -> bool {
    let word = |part: &str, first_may_be_digit: bool| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && (first_may_be_digit
                || part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
            && !part.starts_with('-')
    };
    match name.split_once('.') {
        None => word(name, false) && !name.contains('-'),
        Some((head, tail)) => word(head, false) && !head.contains('-') && word(tail, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_names_and_leaves_other_braces_alone() {
        assert_eq!(
            names("{image} ${HOME} {port.web} { not } {} {a b} awk '{print $1}' {saved_id}"),
            vec!["image", "port.web", "saved_id"]
        );
        assert_eq!(
            names("location / { root /usr/share/nginx/html; }"),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn fills_known_names_and_names_the_unknown_one() {
        let lookup = |name: &str| match name {
            "image" => Some("layerlab/nginx-alpine:latest".to_string()),
            "port.web" => Some("49153".to_string()),
            _ => None,
        };
        assert_eq!(
            fill("docker run -p {port.web}:80 {image} ${X}", lookup).unwrap(),
            "docker run -p 49153:80 layerlab/nginx-alpine:latest ${X}"
        );
        assert_eq!(fill("{nope} {image}", lookup).unwrap_err(), "nope");
    }
}
