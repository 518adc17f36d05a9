//! The build context: the lesson folder as a tar stream (made on the fly on
//! a blocking thread, so a big folder never sits in memory), minus what
//! `.dockerignore` excludes; and mapping the builder's "Step N/M" back to a
//! Dockerfile line for error messages.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::docker::error::DockerError;

const CHUNK: usize = 64 * 1024;

/// One `.dockerignore` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    pattern: Vec<String>,
    negated: bool,
}

/// A minimal `.dockerignore`: `#` comments, `!` exceptions, `*`, `?`, `**`,
/// `[...]`; the last matching rule wins, and a rule matching a folder
/// covers everything inside it (as in the Docker CLI).
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    rules: Vec<Rule>,
}

impl DockerIgnore {
    pub fn parse(text: &str) -> DockerIgnore {
        let mut rules = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (negated, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let cleaned = clean_pattern(pattern);
            if cleaned.is_empty() {
                continue;
            }
            rules.push(Rule {
                pattern: cleaned.split('/').map(str::to_string).collect(),
                negated,
            });
        }
        DockerIgnore { rules }
    }

    /// Is `relative` (slash-separated, relative to the context) excluded?
    pub fn is_excluded(&self, relative: &str) -> bool {
        let parts: Vec<&str> = relative.split('/').filter(|p| !p.is_empty()).collect();
        let mut excluded = false;
        for rule in &self.rules {
            // A rule matches the path itself or any of its parent folders.
            let matches = (1..=parts.len()).any(|n| match_parts(&rule.pattern, &parts[..n]));
            if matches {
                excluded = !rule.negated;
            }
        }
        excluded
    }

    /// Could anything below this excluded folder be re-included by a `!` rule?
    /// Then the walk must still descend into it.
    fn may_reinclude_below(&self, relative: &str) -> bool {
        self.rules.iter().any(|r| {
            r.negated && {
                let joined = r.pattern.join("/");
                joined.starts_with(&format!("{relative}/")) || joined.starts_with("**")
            }
        })
    }
}

fn clean_pattern(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

fn match_parts(pattern: &[String], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((first, rest)) if first == "**" => {
            (0..=path.len()).any(|skip| match_parts(rest, &path[skip..]))
        }
        Some((first, rest)) => match path.split_first() {
            Some((head, tail)) => glob_component(first, head) && match_parts(rest, tail),
            None => false,
        },
    }
}

/// Go's filepath.Match for one component: `*`, `?`, `[a-z]`, `[^x]`, `\x`.
fn glob_component(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob_from(&p, &n)
}

fn glob_from(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => (0..=n.len()).any(|i| glob_from(&p[1..], &n[i..])),
        Some('?') => !n.is_empty() && glob_from(&p[1..], &n[1..]),
        Some('[') => {
            let Some(c) = n.first() else { return false };
            match class_match(&p[1..], *c) {
                Some((matched, used)) => matched && glob_from(&p[1 + used..], &n[1..]),
                // An unclosed '[' matches itself literally.
                None => *c == '[' && glob_from(&p[1..], &n[1..]),
            }
        }
        Some('\\') if p.len() > 1 => n.first() == Some(&p[1]) && glob_from(&p[2..], &n[1..]),
        Some(c) => n.first() == Some(c) && glob_from(&p[1..], &n[1..]),
    }
}

/// Match `c` against a class body starting after '['; returns (matched,
/// chars consumed including the closing ']').
fn class_match(body: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 0;
    let negate = matches!(body.first(), Some('^') | Some('!'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < body.len() {
        if body[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        let lo = body[i];
        if i + 2 < body.len() && body[i + 1] == '-' && body[i + 2] != ']' {
            let hi = body[i + 2];
            if lo <= c && c <= hi {
                matched = true;
            }
            i += 3;
        } else {
            if lo == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// The files that go into the context, relative paths in a stable order.
pub fn context_entries(dir: &Path, dockerfile: &str) -> Result<Vec<PathBuf>, DockerError> {
    let ignore = match std::fs::read_to_string(dir.join(".dockerignore")) {
        Ok(text) => DockerIgnore::parse(&text),
        Err(e) if e.kind() == io::ErrorKind::NotFound => DockerIgnore::default(),
        Err(e) => {
            return Err(DockerError::BuildContext {
                path: dir.join(".dockerignore"),
                message: e.to_string(),
            });
        }
    };
    let meta = std::fs::metadata(dir).map_err(|e| DockerError::BuildContext {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    if !meta.is_dir() {
        return Err(DockerError::BuildContext {
            path: dir.to_path_buf(),
            message: "not a folder".to_string(),
        });
    }
    let mut out = Vec::new();
    walk(dir, Path::new(""), &ignore, dockerfile, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(
    root: &Path,
    relative: &Path,
    ignore: &DockerIgnore,
    dockerfile: &str,
    out: &mut Vec<PathBuf>,
) -> Result<(), DockerError> {
    let here = root.join(relative);
    let read = std::fs::read_dir(&here).map_err(|e| DockerError::BuildContext {
        path: here.clone(),
        message: e.to_string(),
    })?;
    for entry in read {
        let entry = entry.map_err(|e| DockerError::BuildContext {
            path: here.clone(),
            message: e.to_string(),
        })?;
        let rel = relative.join(entry.file_name());
        let rel_text = rel.to_string_lossy().replace('\\', "/");
        // The CLI always sends the Dockerfile and .dockerignore, even when
        // ignored, because the daemon needs them.
        let always = rel_text == dockerfile || rel_text == ".dockerignore";
        let file_type = entry.file_type().map_err(|e| DockerError::BuildContext {
            path: root.join(&rel),
            message: e.to_string(),
        })?;
        let excluded = !always && ignore.is_excluded(&rel_text);
        if file_type.is_dir() {
            if !excluded {
                out.push(rel.clone());
                walk(root, &rel, ignore, dockerfile, out)?;
            } else if ignore.may_reinclude_below(&rel_text) {
                walk(root, &rel, ignore, dockerfile, out)?;
            }
        } else if !excluded {
            out.push(rel);
        }
    }
    Ok(())
}

/// A `Write` that hands full chunks to the async side.
struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    buf: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the build request ended"))
    }
}

/// Stream `dir` as an uncompressed tar. Errors reading a file end the stream
/// with an io::Error naming the file.
pub fn tar_stream(
    dir: PathBuf,
    entries: Vec<PathBuf>,
) -> impl futures_util::Stream<Item = Result<Bytes, io::Error>> + Send + 'static {
    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(8);
    tokio::task::spawn_blocking(move || {
        let error_tx = tx.clone();
        let mut builder = tar::Builder::new(ChannelWriter {
            tx,
            buf: Vec::with_capacity(CHUNK),
        });
        builder.follow_symlinks(false);
        builder.mode(tar::HeaderMode::Deterministic);
        let result = (|| -> io::Result<()> {
            for rel in &entries {
                let full = dir.join(rel);
                builder
                    .append_path_with_name(&full, rel)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", full.display())))?;
            }
            builder.finish()?;
            builder.get_mut().flush()
        })();
        if let Err(e) = result
            && e.kind() != io::ErrorKind::BrokenPipe
        {
            let _ = error_tx.blocking_send(Err(e));
        }
    });
    tokio_stream_from(rx)
}

fn tokio_stream_from<T: Send + 'static>(
    mut rx: mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// The Dockerfile's instructions in order with their 1-based first line,
/// skipping comments, blank lines, parser directives and continuation lines,
/// i.e. exactly the units the classic builder numbers as steps.
pub fn dockerfile_instructions(text: &str) -> Vec<(u32, String)> {
    let mut escape = '\\';
    let mut out = Vec::new();
    let mut in_directives = true;
    let mut continuing = false;
    let mut current: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let trimmed = raw.trim();
        if in_directives {
            if let Some(d) = trimmed.strip_prefix('#') {
                let d = d.trim();
                if let Some((key, value)) = d.split_once('=') {
                    if key.trim().eq_ignore_ascii_case("escape") {
                        escape = value.trim().chars().next().unwrap_or('\\');
                    }
                    continue;
                }
            }
            in_directives = false;
        }
        if trimmed.starts_with('#') {
            continue;
        }
        if trimmed.is_empty() && !continuing {
            continue;
        }
        let ends_continued = trimmed.ends_with(escape);
        let body = if ends_continued {
            trimmed[..trimmed.len() - escape.len_utf8()].trim_end()
        } else {
            trimmed
        };
        match (&mut current, continuing) {
            (Some((_, text)), true) => {
                if !body.is_empty() {
                    text.push(' ');
                    text.push_str(body);
                }
            }
            _ => current = Some((line_no, body.to_string())),
        }
        continuing = ends_continued;
        if !continuing && let Some(done) = current.take() {
            out.push(done);
        }
    }
    if let Some(done) = current.take() {
        out.push(done);
    }
    out
}

/// Parse "Step 3/7 : RUN apk add nginx" from the classic builder.
pub fn parse_step(line: &str) -> Option<(u32, u32, String)> {
    let rest = line.trim().strip_prefix("Step ")?;
    let (counts, instruction) = rest.split_once(" : ").unwrap_or((rest, ""));
    let (n, m) = counts.trim().split_once('/')?;
    Some((
        n.trim().parse().ok()?,
        m.trim().parse().ok()?,
        instruction.trim().to_string(),
    ))
}

/// "Dockerfile parse error line 3: unknown instruction: FORM" -> 3
pub fn parse_error_line(message: &str) -> Option<u32> {
    let lower = message.to_ascii_lowercase();
    let i = lower.find("line ")?;
    let digits: String = lower[i + 5..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[test]
    fn dockerignore_rules() {
        let ig = DockerIgnore::parse(
            "# comment\n\n*.log\nsecret/\n!secret/keep.txt\n**/*.tmp\n/build\ndocs/*.md\n!docs/README.md\nfile?.txt\n[ab].bin\n",
        );
        assert!(ig.is_excluded("app.log"));
        assert!(
            !ig.is_excluded("sub/app.log"),
            "*.log only matches at the root"
        );
        assert!(ig.is_excluded("secret"));
        assert!(ig.is_excluded("secret/key.pem"));
        assert!(!ig.is_excluded("secret/keep.txt"));
        assert!(ig.is_excluded("a/b/c/x.tmp"));
        assert!(ig.is_excluded("x.tmp"));
        assert!(ig.is_excluded("build/out.o"));
        assert!(ig.is_excluded("docs/guide.md"));
        assert!(!ig.is_excluded("docs/README.md"));
        assert!(ig.is_excluded("file1.txt"));
        assert!(!ig.is_excluded("file10.txt"));
        assert!(ig.is_excluded("a.bin"));
        assert!(!ig.is_excluded("c.bin"));
        assert!(!ig.is_excluded("index.html"));
    }

    #[test]
    fn context_walk_honours_dockerignore_but_keeps_dockerfile() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::write(d.join("Dockerfile"), "FROM scratch\n").expect("w");
        std::fs::write(
            d.join(".dockerignore"),
            "Dockerfile\n*.secret\nnode_modules\n",
        )
        .expect("w");
        std::fs::write(d.join("index.html"), "<h1>hi</h1>").expect("w");
        std::fs::write(d.join("db.secret"), "pw").expect("w");
        std::fs::create_dir_all(d.join("node_modules/x")).expect("w");
        std::fs::write(d.join("node_modules/x/a.js"), "1").expect("w");
        std::fs::create_dir_all(d.join("conf")).expect("w");
        std::fs::write(d.join("conf/nginx.conf"), "x").expect("w");
        let entries = context_entries(d, "Dockerfile").expect("walks");
        let names: Vec<String> = entries.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(
            names,
            vec![
                ".dockerignore",
                "Dockerfile",
                "conf",
                "conf/nginx.conf",
                "index.html"
            ]
        );
    }

    #[tokio::test]
    async fn tar_stream_contains_the_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::write(d.join("Dockerfile"), "FROM scratch\nCOPY big /\n").expect("w");
        // Bigger than one chunk, to cross the channel several times.
        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(d.join("big"), &big).expect("w");
        let entries = context_entries(d, "Dockerfile").expect("walks");
        let chunks: Vec<Bytes> = tar_stream(d.to_path_buf(), entries)
            .map(|c| c.expect("no error"))
            .collect()
            .await;
        assert!(chunks.len() > 2, "streamed in chunks: {}", chunks.len());
        let all: Vec<u8> = chunks.concat();
        let mut archive = tar::Archive::new(all.as_slice());
        let mut found = Vec::new();
        for entry in archive.entries().expect("tar") {
            let mut entry = entry.expect("entry");
            let path = entry.path().expect("path").display().to_string();
            if path == "big" {
                let mut content = Vec::new();
                io::Read::read_to_end(&mut entry, &mut content).expect("read");
                assert_eq!(content, big);
            }
            found.push(path);
        }
        assert_eq!(found, vec!["Dockerfile", "big"]);
    }

    #[tokio::test]
    async fn unreadable_context_file_ends_the_stream_with_its_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        std::fs::write(d.join("Dockerfile"), "FROM scratch\n").expect("w");
        // Listed but gone by the time it is read.
        let entries = vec![PathBuf::from("Dockerfile"), PathBuf::from("vanished.txt")];
        let items: Vec<Result<Bytes, io::Error>> =
            tar_stream(d.to_path_buf(), entries).collect().await;
        let err = items
            .into_iter()
            .find_map(Result::err)
            .expect("an error item");
        assert!(err.to_string().contains("vanished.txt"), "{err}");
    }

    #[test]
    fn missing_context_folder_is_named() {
        let err = context_entries(Path::new("/nonexistent/ctx"), "Dockerfile").expect_err("fails");
        assert!(err.to_string().contains("/nonexistent/ctx"), "{err}");
    }

    #[test]
    fn instructions_map_to_lines() {
        let text = "# syntax=docker/dockerfile:1\n\
                    # a comment\n\
                    ARG BASE=alpine:3.22\n\
                    FROM $BASE\n\
                    \n\
                    RUN apk add --no-cache \\\n\
                    \x20   nginx \\\n\
                    \x20   # comment inside\n\
                    \x20   curl\n\
                    COPY index.html /usr/share/nginx/html/\n\
                    CMD [\"nginx\", \"-g\", \"daemon off;\"]\n";
        let ins = dockerfile_instructions(text);
        let lines: Vec<u32> = ins.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![3, 4, 6, 10, 11]);
        assert!(
            ins[2].1.starts_with("RUN apk add --no-cache nginx"),
            "{}",
            ins[2].1
        );
        assert!(ins[2].1.ends_with("curl"), "{}", ins[2].1);
    }

    #[test]
    fn escape_directive_is_honoured() {
        let text = "# escape=`\nFROM x\nRUN a `\n  b\nRUN c\n";
        let lines: Vec<u32> = dockerfile_instructions(text)
            .iter()
            .map(|(l, _)| *l)
            .collect();
        assert_eq!(lines, vec![2, 3, 5]);
    }

    #[test]
    fn step_lines_parse() {
        assert_eq!(
            parse_step("Step 2/5 : RUN apk add nginx"),
            Some((2, 5, "RUN apk add nginx".into()))
        );
        assert_eq!(parse_step(" ---> Running in abc"), None);
        assert_eq!(parse_step("Step x/5 : RUN"), None);
        assert_eq!(
            parse_error_line("Dockerfile parse error line 3: unknown instruction: FORM"),
            Some(3)
        );
        assert_eq!(parse_error_line("no line info"), None);
    }
}
