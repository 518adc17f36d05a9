//! Everything that can go wrong reading an image archive. Each variant names
//! the archive member (and, inside a layer, the layer entry) so a learner can
//! see *where* the tarball is broken, not just that it is.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum LayersError {
    /// The outer archive could not be read (truncated, not a tar, I/O error).
    /// `entry` is the member being read, or the last one read before the failure.
    #[error("cannot read the archive at {entry}: {source}{}", truncation_hint(.source))]
    Read {
        entry: String,
        #[source]
        source: io::Error,
    },
    /// A layer tar (or its gzip/zstd stream) is broken.
    #[error("layer {member}: cannot read its tar{}: {source}{}", inner_suffix(.inner_entry), truncation_hint(.source))]
    LayerRead {
        member: String,
        /// The last layer entry read successfully, if any.
        inner_entry: Option<String>,
        #[source]
        source: io::Error,
    },
    /// A layer entry whose path escapes the image root: `..` or absolute.
    #[error(
        "layer {member}: entry {entry:?} {reason}; refusing it (nothing is ever extracted, but such a layer is unsafe)"
    )]
    UnsafePath {
        member: String,
        entry: String,
        reason: &'static str,
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
    #[error("{entry}: {message}")]
    Invalid { entry: String, message: String },
    /// A JSON member that does not parse or lacks required fields.
    #[error("{entry}: invalid JSON: {source}")]
    Json {
        entry: String,
        #[source]
        source: serde_json::Error,
    },
    /// Content does not hash to the digest it is listed under.
    #[error("{entry}: digest mismatch: {what} says {expected}, content hashes to {actual}")]
    DigestMismatch {
        entry: String,
        what: &'static str,
        expected: String,
        actual: String,
    },
    /// The archive has more paths or name bytes than the compact indexes hold
    /// (over 4 billion): refuse rather than wrap around.
    #[error("{entry}: the archive is too large to analyse ({what})")]
    TooLarge { entry: String, what: &'static str },
    /// The daemon refused or failed the export.
    #[error("Docker Engine: cannot export image {reference}: {message}")]
    Daemon { reference: String, message: String },
    /// Asked for a tree of a layer that does not exist.
    #[error("no layer {index}: the image has {count} layers")]
    NoSuchLayer { index: usize, count: usize },
}

impl LayersError {
    /// The archive member (outer tar path) this error is about, if any.
    pub fn entry(&self) -> Option<&str> {
        match self {
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
}

fn inner_suffix(inner: &Option<String>) -> String {
    inner
        .as_deref()
        .map(|e| format!(" after entry {e:?}"))
        .unwrap_or_default()
}

fn truncation_hint(source: &io::Error) -> &'static str {
    // the tar crate reports a short member as a plain error "unexpected EOF ..."
    if source.kind() == io::ErrorKind::UnexpectedEof || source.to_string().contains("EOF") {
        " (the archive looks truncated)"
    } else {
        ""
    }
}
