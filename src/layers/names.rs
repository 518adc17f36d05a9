//! A name for each layer that a learner recognises. Docker's own record of a
//! layer is the builder's `created_by`: `COPY dir:b6b5c8d2930e4ea9fcb2… in /`
//! for the learner's `COPY rootfs/ /`, nothing at all for an imported base,
//! the container's command (`nginx -g daemon off;`) for a `docker commit`.
//! This turns those into the base image's name, the workspace Dockerfile's
//! own line, or "commit".

use crate::i18n::Lang;

use super::report::instruction;

/// Where a layer comes from, as the explorer labels it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerName {
    /// One of the base image's layers (`name` when known).
    Base { image: Option<String> },
    /// A Dockerfile line of the workspace (`file:line`), as written there.
    Dockerfile {
        file: String,
        line: usize,
        text: String,
    },
    /// Made by `docker commit`; `command` is what the container ran.
    Commit { command: String },
    /// The builder's instruction, already readable.
    Instruction(String),
}

/// What is known besides the image itself.
#[derive(Debug, Clone, Default)]
pub struct NameHints {
    /// The base image and how many bottom layers it shares with this image
    /// (compared by diff_id on the daemon); `None` when not known.
    pub base: Option<(String, usize)>,
    /// The workspace's Dockerfiles: (file name, text).
    pub dockerfiles: Vec<(String, String)>,
}

impl LayerName {
    /// The label on one line, in `lang`.
    pub fn label(&self, lang: Lang) -> String {
        match self {
            LayerName::Base { image: Some(image) } => {
                crate::tr!(lang, "базовый образ {image}", "base image {image}")
            }
            LayerName::Base { image: None } => {
                crate::tr!(lang, "базовый образ", "base image")
            }
            LayerName::Dockerfile { text, .. } => text.clone(),
            LayerName::Commit { command } if command.is_empty() => {
                crate::tr!(lang, "docker commit", "docker commit")
            }
            LayerName::Commit { command } => crate::tr!(
                lang,
                "docker commit (контейнер выполнял: {command})",
                "docker commit (the container ran: {command})"
            ),
            LayerName::Instruction(text) => text.clone(),
        }
    }

    /// Where the label comes from, when it is not Docker's own record.
    pub fn source(&self) -> Option<String> {
        match self {
            LayerName::Dockerfile { file, line, .. } => Some(format!("{file}:{line}")),
            _ => None,
        }
    }
}

/// The Dockerfiles whose lines name the layers, as the lessons place them.
const DOCKERFILES: [&str; 2] = ["Dockerfile", "Dockerfile.naive"];
/// A Dockerfile is a few lines; anything bigger is not one worth matching.
const MAX_DOCKERFILE: u64 = 64 * 1024;

/// The workspace's Dockerfiles (`nginx-alpine/` as lesson 3 copies it), or
/// the pack's own when the workspace has none yet: their `COPY` lines name
/// the layers Docker records as `COPY dir:<hash>`.
pub fn workspace_hints() -> NameHints {
    let folder = crate::paths::workspace_dir().join("nginx-alpine");
    let embedded = crate::lesson::files::PackFiles::embedded();
    let dockerfiles = DOCKERFILES
        .iter()
        .filter_map(|name| {
            let path = folder.join(name);
            let from_workspace = std::fs::metadata(&path)
                .ok()
                .filter(|m| m.is_file() && m.len() <= MAX_DOCKERFILE)
                .and_then(|_| std::fs::read_to_string(&path).ok());
            // The pack's: the reference solution first (the template's
            // Dockerfile is TODO lines the learner fills in), then the asset.
            let text = from_workspace.or_else(|| {
                [
                    format!("../assets/solutions/nginx-alpine/{name}"),
                    format!("../assets/nginx-alpine/{name}"),
                ]
                .iter()
                .find_map(|key| embedded.get(key))
                .map(|b| String::from_utf8_lossy(b).into_owned())
            })?;
            Some((name.to_string(), text))
        })
        .collect();
    NameHints {
        base: None,
        dockerfiles,
    }
}

/// Every layer of `analysis` named, with the base it records.
pub fn names_of(analysis: &super::Analysis, hints: &NameHints) -> Vec<LayerName> {
    let mut hints = hints.clone();
    if let Some((base, n)) = analysis.base() {
        hints.base = Some((base.to_string(), n));
    }
    analysis
        .layers()
        .iter()
        .map(|l| layer_name(l.index, &l.created_by, &hints))
        .collect()
}

/// The name of layer `index` made by `created_by`.
pub fn layer_name(index: usize, created_by: &str, hints: &NameHints) -> LayerName {
    if let Some((image, count)) = &hints.base
        && index < *count
    {
        return LayerName::Base {
            image: Some(image.clone()),
        };
    }
    let text = one_line(&instruction(created_by));
    if text.is_empty() {
        // `docker import` and hand-made archives record nothing: at the
        // bottom that is a base.
        return if index == 0 {
            LayerName::Base { image: None }
        } else {
            LayerName::Instruction(String::new())
        };
    }
    let keyword = text.split_whitespace().next().unwrap_or("");
    if let Some(found) = dockerfile_line(&text, hints) {
        return found;
    }
    if index == 0 && hints.base.is_none() && (keyword == "ADD" || keyword == "COPY") {
        // Official base images start with `ADD file:<hash> in /`.
        if text.contains(" file:") && text.ends_with(" in /") {
            return LayerName::Base { image: None };
        }
    }
    if is_build_record(created_by) {
        LayerName::Instruction(text)
    } else {
        LayerName::Commit { command: text }
    }
}

/// Builders record `/bin/sh -c …` (classic: RUN, and `#(nop)` for the rest)
/// or the instruction with `# buildkit`; anything else in a layer's history
/// is the command of a committed container.
fn is_build_record(created_by: &str) -> bool {
    let t = created_by.trim();
    t.starts_with("/bin/sh -c")
        || t.starts_with("|")
        || t.ends_with("# buildkit")
        || t.split_whitespace().next().is_some_and(|k| {
            matches!(
                k,
                "RUN" | "COPY" | "ADD" | "WORKDIR" | "ENV" | "USER" | "LABEL" | "ARG"
            )
        })
}

/// The Dockerfile line behind `COPY dir:<hash> in /dest` or
/// `ADD file:<hash> in /dest`: the workspace line with the same keyword and
/// destination. Other instructions are already as written.
fn dockerfile_line(text: &str, hints: &NameHints) -> Option<LayerName> {
    let mut words = text.split_whitespace();
    let keyword = words.next()?;
    if keyword != "COPY" && keyword != "ADD" {
        return None;
    }
    let source = words.next()?;
    if !(source.starts_with("dir:") || source.starts_with("file:") || source.starts_with("multi:"))
    {
        return None;
    }
    let dest = text.rsplit_once(" in ")?.1.trim();
    for (file, body) in &hints.dockerfiles {
        for (number, line) in body.lines().enumerate() {
            let line = line.trim();
            let mut words = line.split_whitespace();
            if !words
                .next()
                .is_some_and(|k| k.eq_ignore_ascii_case(keyword))
            {
                continue;
            }
            let args: Vec<&str> = words.filter(|w| !w.starts_with("--")).collect();
            if args.len() >= 2 && same_dest(args[args.len() - 1], dest) {
                return Some(LayerName::Dockerfile {
                    file: file.clone(),
                    line: number + 1,
                    text: one_line(line),
                });
            }
        }
    }
    None
}

fn same_dest(written: &str, recorded: &str) -> bool {
    let norm = |s: &str| {
        let t = s.trim_end_matches('/');
        if t.is_empty() {
            "/".to_string()
        } else {
            t.to_string()
        }
    };
    norm(written) == norm(recorded)
}

/// One line of text with no control characters: an image's history and a
/// Dockerfile are input, and nothing from input may steer the terminal.
fn one_line(text: &str) -> String {
    text.split_whitespace()
        .map(|w| w.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCKERFILE: &str =
        "FROM ${BASE_IMAGE}\nRUN apk add --no-cache nginx\nCOPY rootfs/ /\nCMD [\"nginx\"]\n";
    const NAIVE: &str = "FROM x\nRUN apk update\nCOPY rootfs/etc/nginx/http.d/default.conf /etc/nginx/http.d/default.conf\n";

    fn hints(base: Option<usize>) -> NameHints {
        NameHints {
            base: base.map(|n| ("alpine:3.22".to_string(), n)),
            dockerfiles: vec![
                ("Dockerfile".into(), DOCKERFILE.into()),
                ("Dockerfile.naive".into(), NAIVE.into()),
            ],
        }
    }

    #[test]
    fn the_base_the_dockerfile_line_and_a_commit() {
        let h = hints(Some(1));
        assert_eq!(
            layer_name(0, "/bin/sh -c #(nop) ADD file:abc in / ", &h).label(Lang::Ru),
            "базовый образ alpine:3.22"
        );
        let copy = layer_name(2, "/bin/sh -c #(nop) COPY dir:b6b5c8d2930e in / ", &h);
        assert_eq!(copy.label(Lang::En), "COPY rootfs/ /");
        assert_eq!(copy.source().as_deref(), Some("Dockerfile:3"));
        let naive = layer_name(
            3,
            "/bin/sh -c #(nop) COPY file:77aa in /etc/nginx/http.d/default.conf ",
            &h,
        );
        assert_eq!(naive.source().as_deref(), Some("Dockerfile.naive:3"));
        assert_eq!(
            layer_name(1, "/bin/sh -c apk add --no-cache nginx", &h).label(Lang::En),
            "RUN apk add --no-cache nginx"
        );
        assert_eq!(
            layer_name(4, "nginx -g daemon off;", &h).label(Lang::En),
            "docker commit (the container ran: nginx -g daemon off;)"
        );
        // BuildKit's record is the instruction itself
        assert_eq!(
            layer_name(2, "COPY rootfs/ / # buildkit", &h).label(Lang::En),
            "COPY rootfs/ /"
        );
    }

    #[test]
    fn the_packs_dockerfiles_name_layers_when_the_workspace_has_none() {
        let hints = workspace_hints();
        assert_eq!(
            hints.dockerfiles.len(),
            2,
            "Dockerfile and Dockerfile.naive"
        );
        assert!(hints.dockerfiles[0].1.contains("COPY rootfs/ /"));
    }

    #[test]
    fn control_characters_never_reach_a_label() {
        let name = layer_name(
            1,
            "/bin/sh -c echo \u{1b}[2Jboom\u{7}",
            &NameHints::default(),
        );
        let label = name.label(Lang::En);
        assert!(!label.chars().any(char::is_control), "{label:?}");
        assert_eq!(label, "RUN echo [2Jboom");
    }

    #[test]
    fn without_hints_an_imported_or_official_base_is_still_a_base() {
        let none = NameHints::default();
        assert_eq!(layer_name(0, "", &none), LayerName::Base { image: None });
        assert_eq!(
            layer_name(0, "/bin/sh -c #(nop) ADD file:abc in / ", &none),
            LayerName::Base { image: None }
        );
        // an unmatched COPY keeps Docker's record
        assert_eq!(
            layer_name(3, "/bin/sh -c #(nop) COPY dir:ff in /srv ", &none).label(Lang::En),
            "COPY dir:ff in /srv"
        );
    }
}
