//! Everything that can go wrong reading an image archive. Each variant names
//! the archive member (and, inside a layer, the layer entry) so a learner can
//! see *where* the tarball is broken, not just that it is.
//!
//! `Display` is English (logs and tests match it); `message(lang)`
//! gives the same text in either language for the learner.

use std::io;

use crate::i18n::{Lang, Text, UiText};

#[derive(Debug, thiserror::Error)]
pub enum LayersError {
    /// The outer archive could not be read (truncated, not a tar, I/O error).
    /// `at` says how to read `entry`: the archive's name, the member being
    /// read, or the last one read before the failure.
    #[error("cannot read the archive at {}: {source}{}", read_place(.entry, .at, Lang::En), truncation_hint(.source, Lang::En))]
    Read {
        entry: String,
        at: ReadAt,
        #[source]
        source: io::Error,
    },
    /// A layer tar (or its gzip/zstd stream) is broken.
    #[error("layer {member}: cannot read its tar{}: {source}{}", inner_suffix(.inner_entry, Lang::En), truncation_hint(.source, Lang::En))]
    LayerRead {
        member: String,
        /// The last layer entry read successfully, if any.
        inner_entry: Option<String>,
        #[source]
        source: io::Error,
    },
    /// A layer entry whose path escapes the image root: `..` or absolute.
    #[error(
        "layer {member}: entry {:?} {}; refusing it (nothing is ever extracted, but such a layer is unsafe)",
        unsafe_subject(.entry, .hardlink_to, Lang::En),
        .reason.en
    )]
    UnsafePath {
        member: String,
        entry: String,
        /// Set when it is the target of the hardlink `entry` that escapes.
        hardlink_to: Option<String>,
        /// Completes "entry …": in Russian a verb phrase, or a noun phrase
        /// after a dash ("— абсолютный путь").
        reason: UiText,
    },
    /// Neither `manifest.json` nor `index.json` was in the archive.
    #[error(
        "{archive}: no manifest.json or index.json among its {members} members; \
         is it a `docker save` tarball, and is it complete?{}",
        last_member.as_deref().map(|m| format!(" (last member: {m})")).unwrap_or_default()
    )]
    MissingManifest {
        archive: String,
        members: usize,
        last_member: Option<String>,
    },
    /// A member referenced by the manifest/index/config is absent.
    #[error(
        "{entry} is listed in {referenced_by} but is not in the archive (truncated or incomplete save?)"
    )]
    MissingMember {
        entry: String,
        referenced_by: String,
    },
    /// A referenced member is there but is not what it should be (e.g. a layer
    /// that is not a tar, a config that is not JSON).
    #[error("{entry}: {}", .message.get(Lang::En))]
    Invalid { entry: String, message: Text },
    /// A JSON member that does not parse or lacks required fields.
    #[error("{entry}: invalid JSON: {source}")]
    Json {
        entry: String,
        #[source]
        source: serde_json::Error,
    },
    /// Content does not hash to the digest it is listed under.
    #[error("{entry}: digest mismatch: {} says {expected}, content hashes to {actual}", .what.en)]
    DigestMismatch {
        entry: String,
        what: UiText,
        expected: String,
        actual: String,
    },
    /// The archive has more paths or name bytes than the compact indexes hold
    /// (over 4 billion): refuse rather than wrap around.
    #[error("{entry}: the archive is too large to analyse ({})", .what.en)]
    TooLarge { entry: String, what: UiText },
    /// The daemon refused or failed the export.
    /// `message` is the daemon's error put into words in both languages
    /// (with its fix) by the docker tier.
    #[error("Docker Engine: cannot export image {reference}: {}", .message.get(Lang::En))]
    Daemon { reference: String, message: Text },
    /// Asked for a tree of a layer that does not exist.
    #[error("no layer {index}: the image has {count} layers")]
    NoSuchLayer { index: usize, count: usize },
}

/// How to read `LayersError::Read::entry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAt {
    /// Before the first member: `entry` is the archive's own name.
    Start,
    /// In the header that follows `entry`, the last member read whole.
    After,
    /// Inside the member `entry`.
    Within,
}

impl LayersError {
    /// The archive member (outer tar path) this error is about, if any.
    /// For a failure between members, the last member read.
    pub fn entry(&self) -> Option<&str> {
        match self {
            LayersError::Read {
                at: ReadAt::Start, ..
            } => None,
            LayersError::Read { entry, .. }
            | LayersError::MissingMember { entry, .. }
            | LayersError::Invalid { entry, .. }
            | LayersError::Json { entry, .. }
            | LayersError::DigestMismatch { entry, .. }
            | LayersError::TooLarge { entry, .. } => Some(entry),
            LayersError::LayerRead { member, .. } | LayersError::UnsafePath { member, .. } => {
                Some(member)
            }
            LayersError::MissingManifest { .. }
            | LayersError::Daemon { .. }
            | LayersError::NoSuchLayer { .. } => None,
        }
    }

    /// The error as a learner reads it in `lang`. Paths, digests, JSON keys
    /// and the underlying I/O or JSON error stay verbatim: they are what the
    /// learner searches for or compares against `docker` output.
    pub fn message(&self, lang: Lang) -> String {
        use LayersError as E;
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (E::Read { entry, at, source }, Lang::Ru) => format!(
                "не удаётся прочитать архив {}: {source}{}",
                read_place(entry, at, lang),
                truncation_hint(source, lang)
            ),
            (
                E::LayerRead {
                    member,
                    inner_entry,
                    source,
                },
                Lang::Ru,
            ) => format!(
                "слой {member}: не удаётся прочитать tar{}: {source}{}",
                inner_suffix(inner_entry, lang),
                truncation_hint(source, lang)
            ),
            (
                E::UnsafePath {
                    member,
                    entry,
                    hardlink_to,
                    reason,
                },
                Lang::Ru,
            ) => format!(
                "слой {member}: запись {:?} {}; отклонена (файлы никогда не распаковываются, но такой слой небезопасен)",
                unsafe_subject(entry, hardlink_to, lang),
                reason.get(lang)
            ),
            (
                E::MissingManifest {
                    archive,
                    members,
                    last_member,
                },
                Lang::Ru,
            ) => format!(
                "{archive}: в архиве нет ни manifest.json, ни index.json (элементов: {members}{}); \
                 точно ли это архив `docker save` и сохранён ли он полностью?",
                last_member
                    .as_deref()
                    .map(|m| format!(", последний: {m}"))
                    .unwrap_or_default()
            ),
            (
                E::MissingMember {
                    entry,
                    referenced_by,
                },
                Lang::Ru,
            ) => format!(
                "{entry}: на него ссылается {referenced_by}, но в архиве его нет (архив обрезан или сохранён не полностью?)"
            ),
            (E::Invalid { entry, message }, Lang::Ru) => {
                format!("{entry}: {}", message.get(lang))
            }
            (E::Json { entry, source }, Lang::Ru) => {
                format!("{entry}: некорректный JSON: {source}")
            }
            (
                E::DigestMismatch {
                    entry,
                    what,
                    expected,
                    actual,
                },
                Lang::Ru,
            ) => format!(
                "{entry}: дайджест не совпадает: {} — {expected}, а хеш содержимого — {actual}",
                what.get(lang)
            ),
            (E::TooLarge { entry, what }, Lang::Ru) => format!(
                "{entry}: архив слишком велик для анализа ({})",
                what.get(lang)
            ),
            (E::Daemon { reference, message }, Lang::Ru) => {
                format!(
                    "Docker Engine: не удаётся экспортировать образ {reference}: {}",
                    message.get(lang)
                )
            }
            (E::NoSuchLayer { index, count }, Lang::Ru) => {
                format!("слоя {index} нет (слоёв в образе: {count})")
            }
        }
    }
}

fn read_place(entry: &str, at: &ReadAt, lang: Lang) -> String {
    match (at, lang) {
        (ReadAt::Start, Lang::En) => format!("{entry} (first member)"),
        (ReadAt::After, Lang::En) => format!("the member after {entry}"),
        (ReadAt::Within, Lang::En) => entry.to_string(),
        (ReadAt::Start, Lang::Ru) => format!("{entry} на первом элементе"),
        (ReadAt::After, Lang::Ru) => format!("на элементе, следующем за {entry}"),
        (ReadAt::Within, Lang::Ru) => format!("на элементе {entry}"),
    }
}

fn inner_suffix(inner: &Option<String>, lang: Lang) -> String {
    inner
        .as_deref()
        .map(|e| match lang {
            Lang::En => format!(" after entry {e:?}"),
            Lang::Ru => format!(" после записи {e:?}"),
        })
        .unwrap_or_default()
}

/// The refused entry as one quoted string: for a hardlink the target is what
/// escapes, so it is shown next to the entry.
fn unsafe_subject(entry: &str, hardlink_to: &Option<String>, lang: Lang) -> String {
    match (hardlink_to, lang) {
        (None, _) => entry.to_string(),
        (Some(target), Lang::En) => format!("{entry} (hardlink to {target})"),
        (Some(target), Lang::Ru) => format!("{entry} (жёсткая ссылка на {target})"),
    }
}

fn truncation_hint(source: &io::Error, lang: Lang) -> &'static str {
    // the tar crate reports a short member as a plain error "unexpected EOF ..."
    if source.kind() == io::ErrorKind::UnexpectedEof || source.to_string().contains("EOF") {
        crate::t!(" (похоже, архив обрезан)", " (the archive looks truncated)").get(lang)
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAYER: &str = "0a1b2c/layer.tar";
    const BLOB: &str =
        "blobs/sha256/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn eof() -> io::Error {
        io::Error::new(io::ErrorKind::UnexpectedEof, "unexpected EOF in archive")
    }

    fn json_error() -> serde_json::Error {
        serde_json::from_str::<serde_json::Value>("{\"rootfs\":").unwrap_err()
    }

    /// One error per variant, and per optional part of a variant's text.
    fn samples() -> Vec<LayersError> {
        vec![
            LayersError::Read {
                entry: "broken.tar".into(),
                at: ReadAt::Start,
                source: io::Error::other("not a tar"),
            },
            LayersError::Read {
                entry: "manifest.json".into(),
                at: ReadAt::After,
                source: eof(),
            },
            LayersError::Read {
                entry: LAYER.into(),
                at: ReadAt::Within,
                source: eof(),
            },
            LayersError::LayerRead {
                member: LAYER.into(),
                inner_entry: Some("etc/os-release".into()),
                source: eof(),
            },
            LayersError::LayerRead {
                member: LAYER.into(),
                inner_entry: None,
                source: io::Error::other("corrupt deflate stream"),
            },
            LayersError::UnsafePath {
                member: LAYER.into(),
                entry: "/etc/passwd".into(),
                hardlink_to: None,
                reason: crate::t!("— абсолютный путь", "is an absolute path"),
            },
            LayersError::UnsafePath {
                member: LAYER.into(),
                entry: "etc/h".into(),
                hardlink_to: Some("../../etc/shadow".into()),
                reason: crate::t!("содержит компонент `..`", "has a `..` component"),
            },
            LayersError::MissingManifest {
                archive: "broken.tar".into(),
                members: 7,
                last_member: Some(LAYER.into()),
            },
            LayersError::MissingManifest {
                archive: "empty.tar".into(),
                members: 0,
                last_member: None,
            },
            LayersError::MissingMember {
                entry: BLOB.into(),
                referenced_by: "index.json".into(),
            },
            LayersError::Invalid {
                entry: LAYER.into(),
                message: Text::new(
                    "manifest.json перечисляет его среди слоёв, но это не JSON, не tar и не поток gzip или zstd",
                    "manifest.json lists it as a layer, but it is not JSON, a tar, gzip or zstd stream",
                ),
            },
            LayersError::Json {
                entry: "config.json".into(),
                source: json_error(),
            },
            LayersError::DigestMismatch {
                entry: BLOB.into(),
                what: crate::t!("имя блоба", "its blob name"),
                expected: "sha256:9f86d0".into(),
                actual: "sha256:e3b0c4".into(),
            },
            LayersError::TooLarge {
                entry: LAYER.into(),
                what: crate::t!("больше 4 миллиардов путей", "over 4 billion paths"),
            },
            LayersError::Daemon {
                reference: "web:1.0".into(),
                message: Text::plain("No such image: web:1.0"),
            },
            LayersError::NoSuchLayer { index: 5, count: 3 },
        ]
    }

    /// Fails to build when a variant is added: add it to `samples` too.
    fn variant(e: &LayersError) -> usize {
        match e {
            LayersError::Read { .. } => 0,
            LayersError::LayerRead { .. } => 1,
            LayersError::UnsafePath { .. } => 2,
            LayersError::MissingManifest { .. } => 3,
            LayersError::MissingMember { .. } => 4,
            LayersError::Invalid { .. } => 5,
            LayersError::Json { .. } => 6,
            LayersError::DigestMismatch { .. } => 7,
            LayersError::TooLarge { .. } => 8,
            LayersError::Daemon { .. } => 9,
            LayersError::NoSuchLayer { .. } => 10,
        }
    }

    #[test]
    fn english_message_is_the_display_for_every_variant() {
        let samples = samples();
        let mut seen: Vec<usize> = samples.iter().map(variant).collect();
        seen.dedup();
        assert_eq!(
            seen,
            (0..=10).collect::<Vec<_>>(),
            "a variant has no sample"
        );
        for e in &samples {
            assert_eq!(e.message(Lang::En), e.to_string());
            assert_ne!(e.message(Lang::Ru), e.to_string(), "{e}");
        }
    }

    /// The daemon's own error travels in both languages: a Russian screen
    /// shows its Russian words, not Docker's English.
    #[test]
    fn a_daemon_error_is_in_the_learners_language() {
        let e = LayersError::Daemon {
            reference: "web:1.0".into(),
            message: Text::new("образа web:1.0 нет", "no such image web:1.0"),
        };
        assert!(
            e.message(Lang::Ru).ends_with("образа web:1.0 нет"),
            "{}",
            e.message(Lang::Ru)
        );
        assert!(e.message(Lang::En).ends_with("no such image web:1.0"));
    }

    #[test]
    fn display_keeps_the_english_text_byte_for_byte() {
        let s = samples();
        let expect = [
            "cannot read the archive at broken.tar (first member): not a tar",
            "cannot read the archive at the member after manifest.json: unexpected EOF in archive (the archive looks truncated)",
            "cannot read the archive at 0a1b2c/layer.tar: unexpected EOF in archive (the archive looks truncated)",
            "layer 0a1b2c/layer.tar: cannot read its tar after entry \"etc/os-release\": unexpected EOF in archive (the archive looks truncated)",
            "layer 0a1b2c/layer.tar: cannot read its tar: corrupt deflate stream",
            "layer 0a1b2c/layer.tar: entry \"/etc/passwd\" is an absolute path; refusing it (nothing is ever extracted, but such a layer is unsafe)",
            "layer 0a1b2c/layer.tar: entry \"etc/h (hardlink to ../../etc/shadow)\" has a `..` component; refusing it (nothing is ever extracted, but such a layer is unsafe)",
            "broken.tar: no manifest.json or index.json among its 7 members; is it a `docker save` tarball, and is it complete? (last member: 0a1b2c/layer.tar)",
            "empty.tar: no manifest.json or index.json among its 0 members; is it a `docker save` tarball, and is it complete?",
        ];
        for (e, want) in s.iter().zip(expect) {
            assert_eq!(e.to_string(), want);
        }
        assert_eq!(
            s[10].to_string(),
            "0a1b2c/layer.tar: manifest.json lists it as a layer, but it is not JSON, a tar, gzip or zstd stream"
        );
        assert_eq!(
            s[12].to_string(),
            format!(
                "{BLOB}: digest mismatch: its blob name says sha256:9f86d0, content hashes to sha256:e3b0c4"
            )
        );
        assert_eq!(
            s[13].to_string(),
            "0a1b2c/layer.tar: the archive is too large to analyse (over 4 billion paths)"
        );
    }

    /// Asserts `ru` holds every verbatim part and, once they and the code
    /// names Russian text keeps in Latin are taken out, no Latin letter is left:
    /// no English framing slipped through.
    fn assert_russian(ru: &str, verbatim: &[&str]) {
        let mut rest = ru.to_string();
        for part in verbatim {
            assert!(rest.contains(part), "{part:?} missing from: {ru}");
            rest = rest.replace(part, " ");
        }
        for code in [
            "manifest.json",
            "index.json",
            "docker save",
            "rootfs.diff_ids",
            "Docker Engine",
            "JSON",
            "tar",
            "gzip",
            "zstd",
            "whiteout",
        ] {
            rest = rest.replace(code, " ");
        }
        assert!(
            !rest.chars().any(|c| c.is_ascii_alphabetic()),
            "English left in: {ru}\n(after removing verbatim parts: {rest})"
        );
    }

    #[test]
    fn russian_messages_are_russian_around_the_verbatim_parts() {
        let s = samples();
        let ru = |i: usize| s[i].message(Lang::Ru);

        // a truncated archive, between members and inside a layer
        assert_eq!(
            ru(1),
            "не удаётся прочитать архив на элементе, следующем за manifest.json: \
             unexpected EOF in archive (похоже, архив обрезан)"
        );
        assert_russian(&ru(2), &[LAYER, "unexpected EOF in archive"]);
        assert!(ru(2).contains("похоже, архив обрезан"), "{}", ru(2));
        let layer_read = ru(3);
        assert!(
            layer_read.starts_with(
                "слой 0a1b2c/layer.tar: не удаётся прочитать tar после записи \"etc/os-release\""
            ),
            "{layer_read}"
        );
        assert_russian(
            &layer_read,
            &[LAYER, "etc/os-release", "unexpected EOF in archive"],
        );
        assert!(!layer_read.contains("cannot read"), "{layer_read}");

        // no manifest
        let manifest = ru(7);
        assert!(
            manifest.contains("в архиве нет ни manifest.json, ни index.json"),
            "{manifest}"
        );
        assert!(
            manifest.contains("последний: 0a1b2c/layer.tar"),
            "{manifest}"
        );
        assert_russian(&manifest, &["broken.tar", LAYER]);
        assert_russian(&ru(8), &["empty.tar"]);

        // unsafe paths, the entry itself or a hardlink's target
        assert_eq!(
            ru(5),
            "слой 0a1b2c/layer.tar: запись \"/etc/passwd\" — абсолютный путь; отклонена \
             (файлы никогда не распаковываются, но такой слой небезопасен)"
        );
        let hardlink = ru(6);
        assert!(
            hardlink.contains(
                "запись \"etc/h (жёсткая ссылка на ../../etc/shadow)\" содержит компонент `..`"
            ),
            "{hardlink}"
        );
        assert_russian(&hardlink, &[LAYER, "etc/h", "../../etc/shadow", "`..`"]);
        assert!(!hardlink.contains("refusing"), "{hardlink}");

        // a listed member that is absent
        let missing = ru(9);
        assert!(
            missing.contains("на него ссылается index.json, но в архиве его нет"),
            "{missing}"
        );
        assert_russian(&missing, &[BLOB]);
        assert!(!missing.contains("is listed in"), "{missing}");

        // an invalid member: the whole message, built where it is found
        let invalid = ru(10);
        assert!(
            invalid.starts_with("0a1b2c/layer.tar: manifest.json перечисляет его среди слоёв"),
            "{invalid}"
        );
        assert_russian(&invalid, &[LAYER]);

        // digests stay as they are
        let digest = ru(12);
        assert!(
            digest.contains("дайджест не совпадает: имя блоба — sha256:9f86d0, а хеш содержимого — sha256:e3b0c4"),
            "{digest}"
        );
        assert_russian(&digest, &[BLOB, "sha256:9f86d0", "sha256:e3b0c4"]);

        // the rest: JSON and daemon errors verbatim, framing in Russian
        assert_russian(&ru(0), &["broken.tar", "not a tar"]);
        assert_russian(&ru(4), &[LAYER, "corrupt deflate stream"]);
        assert_russian(&ru(11), &["config.json", &json_error().to_string()]);
        assert_russian(&ru(13), &[LAYER]);
        assert_russian(&ru(14), &["No such image: web:1.0", "web:1.0"]);
        assert_russian(&ru(15), &[]);
    }
}
