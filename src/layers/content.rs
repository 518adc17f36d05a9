//! One file's content as stored in one layer: the explorer's "view file".
//!
//! The analysis keeps no file contents (memory stays bounded by the number of
//! entries, not their bytes), so a view reads the archive again: one forward
//! pass that skips every member but the layer's own, and inside it every
//! entry but the asked path, keeping at most `cap` bytes. For an image on the
//! daemon that is one more `docker save` stream (docker/layers.rs).

use std::io::{self, BufReader, Read};

use super::archive::{OuterSource, member_path};
use super::error::{LayersError, ReadAt};
use super::scan::{Sniffed, read_head, sniff};
use crate::i18n::{Lang, Text};

/// How much of a file the explorer shows; the rest is counted, not read.
pub const SHOWN_BYTES: usize = 1024 * 1024;

/// What a layer stores under a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// A regular file: its full size and its first bytes (at most the cap).
    File { size: u64, head: Vec<u8> },
    /// A symbolic link, or a hard link to another path of the image.
    Link { target: String, hard: bool },
    /// A directory, device or FIFO: nothing to show but what it is.
    Other,
}

/// A file as the explorer shows it: where it comes from and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileContent {
    /// The path inside the image, with a leading `/`.
    pub path: String,
    /// The layer (0-based) whose entry was read.
    pub layer: usize,
    pub stored: Stored,
}

impl FileContent {
    /// The text, when the first bytes read as UTF-8 text (a character cut by
    /// the cap does not count against it) and hold no NUL.
    pub fn text(&self) -> Option<&str> {
        let Stored::File { head, .. } = &self.stored else {
            return None;
        };
        if head.contains(&0) {
            return None;
        }
        match std::str::from_utf8(head) {
            Ok(text) => Some(text),
            // Only a character split at the cap's edge is forgiven.
            Err(e) if e.error_len().is_none() && self.truncated() => {
                std::str::from_utf8(&head[..e.valid_up_to()]).ok()
            }
            Err(_) => None,
        }
    }

    /// More bytes are stored than were read.
    pub fn truncated(&self) -> bool {
        matches!(&self.stored, Stored::File { size, head } if (head.len() as u64) < *size)
    }

    /// What a binary file is, from its magic bytes, in `lang`.
    pub fn kind_name(&self, lang: Lang) -> &'static str {
        let Stored::File { head, .. } = &self.stored else {
            return "";
        };
        let (ru, en) = if head.starts_with(b"\x7fELF") {
            ("исполняемый файл ELF", "ELF executable")
        } else if head.starts_with(&[0x1f, 0x8b]) {
            ("архив gzip", "gzip archive")
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            ("архив zstd", "zstd archive")
        } else if head.starts_with(b"\x89PNG") {
            ("изображение PNG", "PNG image")
        } else if head.starts_with(&[0xff, 0xd8, 0xff]) {
            ("изображение JPEG", "JPEG image")
        } else if head.starts_with(b"PK\x03\x04") {
            ("архив zip", "zip archive")
        } else if head.len() > 262 && &head[257..262] == b"ustar" {
            ("архив tar", "tar archive")
        } else if head.is_empty() {
            ("пустой файл", "empty file")
        } else {
            ("двоичные данные", "binary data")
        };
        match lang {
            Lang::Ru => ru,
            Lang::En => en,
        }
    }
}

/// Reads `path` (with or without a leading `/`) from the layer stored as
/// `member` in the `docker save` stream `reader`, keeping at most `cap`
/// bytes of it. One forward pass; nothing is written anywhere.
pub fn read_stored(
    reader: impl Read,
    member: &str,
    path: &str,
    cap: usize,
) -> Result<Stored, LayersError> {
    let wanted = components(path.as_bytes());
    let source = OuterSource::new(BufReader::with_capacity(256 * 1024, reader)).map_err(|e| {
        LayersError::Read {
            entry: member.to_string(),
            at: ReadAt::Start,
            source: e,
        }
    })?;
    let mut outer = tar::Archive::new(source);
    let entries = outer.entries().map_err(|source| LayersError::Read {
        entry: member.to_string(),
        at: ReadAt::Start,
        source,
    })?;
    for entry in entries {
        let mut entry = entry.map_err(|source| LayersError::Read {
            entry: member.to_string(),
            at: ReadAt::Within,
            source,
        })?;
        if member_path(&entry.path_bytes()) != member || !entry.header().entry_type().is_file() {
            continue;
        }
        let layer_err = |source: io::Error| LayersError::LayerRead {
            member: member.to_string(),
            inner_entry: None,
            source,
        };
        let head = read_head(&mut entry, 512).map_err(layer_err)?;
        let kind = sniff(&head);
        let stream = io::Cursor::new(head).chain(entry);
        return match kind {
            Sniffed::Tar => find_in_layer(stream, member, &wanted, cap),
            Sniffed::Gzip => find_in_layer(
                flate2::read::MultiGzDecoder::new(stream),
                member,
                &wanted,
                cap,
            ),
            Sniffed::Zstd => find_in_layer(
                zstd::stream::read::Decoder::new(stream).map_err(layer_err)?,
                member,
                &wanted,
                cap,
            ),
            Sniffed::Json | Sniffed::Other => Err(LayersError::Invalid {
                entry: member.to_string(),
                message: Text::new(
                    "это не tar и не поток gzip или zstd",
                    "is not a tar, gzip or zstd stream",
                ),
            }),
        };
    }
    Err(LayersError::MissingMember {
        entry: member.to_string(),
        referenced_by: "manifest.json".to_string(),
    })
}

fn find_in_layer(
    reader: impl Read,
    member: &str,
    wanted: &[Vec<u8>],
    cap: usize,
) -> Result<Stored, LayersError> {
    let mut archive = tar::Archive::new(reader);
    let read_err = |source: io::Error| LayersError::LayerRead {
        member: member.to_string(),
        inner_entry: None,
        source,
    };
    // The last entry for the path wins, as when the layer is unpacked.
    let mut found = None;
    for entry in archive.entries().map_err(read_err)? {
        let mut entry = entry.map_err(read_err)?;
        if components(&entry.path_bytes()) != wanted {
            continue;
        }
        let entry_type = entry.header().entry_type();
        found = Some(if entry_type.is_file() {
            let size = entry.size();
            let head = read_head(&mut entry, cap).map_err(read_err)?;
            Stored::File { size, head }
        } else if entry_type.is_symlink() || entry_type.is_hard_link() {
            let target = entry.link_name_bytes().unwrap_or_default();
            Stored::Link {
                target: String::from_utf8_lossy(&target).into_owned(),
                hard: entry_type.is_hard_link(),
            }
        } else {
            Stored::Other
        });
    }
    found.ok_or_else(|| LayersError::Invalid {
        entry: format!("/{}", display(wanted)),
        message: Text::new(
            format!("в слое {member} нет такого пути"),
            format!("layer {member} has no such path"),
        ),
    })
}

/// The real components of a path: `./a//b/` and `/a/b` are both `[a, b]`.
fn components(path: &[u8]) -> Vec<Vec<u8>> {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .map(<[u8]>::to_vec)
        .collect()
}

fn display(components: &[Vec<u8>]) -> String {
    components
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(head: &[u8], size: u64) -> FileContent {
        FileContent {
            path: "/x".into(),
            layer: 0,
            stored: Stored::File {
                size,
                head: head.to_vec(),
            },
        }
    }

    #[test]
    fn text_binary_and_a_character_cut_by_the_cap() {
        assert_eq!(file(b"hello\n", 6).text(), Some("hello\n"));
        assert_eq!(file(b"a\0b", 3).text(), None);
        assert_eq!(
            file(b"\x7fELF\x02", 5000).kind_name(Lang::En),
            "ELF executable"
        );
        // "я" is two bytes; the cap kept only the first
        let cut = [b'o', b'k', 0xd1];
        assert_eq!(file(&cut, 10).text(), Some("ok"));
        assert_eq!(file(&cut, 3).text(), None, "not cut: really invalid");
        assert!(file(b"ab", 3).truncated());
        assert!(!file(b"abc", 3).truncated());
    }

    #[test]
    fn components_ignore_dots_and_slashes() {
        assert_eq!(components(b"./etc//nginx/"), components(b"/etc/nginx"));
    }
}
