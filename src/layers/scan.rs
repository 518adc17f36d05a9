//! Reading one layer blob as it streams past: sniff its compression from the
//! magic bytes, hash the blob and the uncompressed tar on the way through,
//! and keep only per-entry metadata (path node, kind, size, mode, link
//! target). File contents are read (to hash them) and dropped at once.

use std::io::{self, BufRead, BufReader, Cursor, Read};

use sha2::{Digest, Sha256};
use tar::EntryType;

use super::error::LayersError;
use super::pathtree::{NodeId, PathTree, ROOT};
use crate::i18n::{Text, UiText};
use crate::t;

/// Reads of the inner tar go through a buffer this big so the hashers and
/// decompressors see large chunks rather than 512-byte headers.
const LAYER_BUFFER: usize = 256 * 1024;

/// What a file-system entry in a layer is. Whiteout markers are not entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    Dir,
    File,
    Symlink,
    Hardlink,
    /// Character or block device, FIFO, or a type this program does not know.
    Other,
}

impl EntryKind {
    pub fn is_dir(self) -> bool {
        self == EntryKind::Dir
    }
}

pub const NO_LINK: u32 = u32::MAX;

/// One kept entry: 32 bytes whatever the path length (the path is a node of
/// the shared [`PathTree`]).
#[derive(Debug, Clone, Copy)]
pub struct LayerEntry {
    /// Bytes of content; 0 for everything but regular files (a hardlink adds 0).
    pub size: u64,
    pub node: NodeId,
    /// Index into [`LinkTargets`], or [`NO_LINK`].
    pub link: u32,
    pub mode: u32,
    pub kind: EntryKind,
}

/// Symlink and hardlink targets of all layers, in one arena.
#[derive(Debug, Default)]
pub struct LinkTargets {
    bytes: Vec<u8>,
    spans: Vec<(u32, u32)>,
}

impl LinkTargets {
    pub fn get(&self, id: u32) -> Option<&[u8]> {
        let &(start, len) = self.spans.get(id as usize)?;
        self.bytes
            .get(start as usize..(start as usize + len as usize))
    }

    fn push(&mut self, target: &[u8]) -> Option<u32> {
        let start = u32::try_from(self.bytes.len()).ok()?;
        let len = u32::try_from(target.len()).ok()?;
        start.checked_add(len)?;
        let id = u32::try_from(self.spans.len()).ok()?;
        if id == NO_LINK {
            return None;
        }
        self.bytes.extend_from_slice(target);
        self.spans.push((start, len));
        Some(id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// Everything kept of one layer blob.
#[derive(Debug)]
pub struct LayerScan {
    /// The archive member the layer was read from, to find it again when a
    /// file's content is asked for (see `content.rs`).
    pub member: String,
    pub compression: Compression,
    /// File-system entries in tar order (the root `./` entry is counted in
    /// `entry_count` but has no node to keep).
    pub entries: Vec<LayerEntry>,
    pub entry_count: u64,
    /// Paths hidden by `.wh.NAME` markers.
    pub whiteouts: Vec<NodeId>,
    /// Directories holding a `.wh..wh..opq` marker.
    pub opaque_dirs: Vec<NodeId>,
    pub size_bytes: u64,
    /// `sha256:` of the uncompressed tar.
    pub diff_id: String,
    /// `sha256:` of the blob as stored in the archive.
    pub blob_digest: String,
    /// The entry at [`ScanStore::keep`]'s path, when this layer has one (the
    /// last one in tar order, as when the layer is unpacked).
    pub kept: Option<KeptFile>,
}

/// How much of a kept file is read (and hashed): a web page, not a video.
pub const KEPT_BYTES: usize = 1024 * 1024;

/// One file asked for by path, read as the layer streams past: its size and
/// a digest of its first [`KEPT_BYTES`] (nothing else of it is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptFile {
    pub size: u64,
    /// `sha256:` of the first [`KEPT_BYTES`]; `None` when the entry is not a
    /// regular file (a link or a directory has no content to compare).
    pub head_digest: Option<String>,
}

impl KeptFile {
    /// What [`KeptFile`] a file with these bytes would give.
    pub fn of(bytes: &[u8]) -> KeptFile {
        let head = &bytes[..bytes.len().min(KEPT_BYTES)];
        KeptFile {
            size: bytes.len() as u64,
            head_digest: Some(format!("sha256:{}", hex::encode(Sha256::digest(head)))),
        }
    }
}

/// The first bytes of a member decide what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Json,
    Tar,
    Gzip,
    Zstd,
    Other,
}

pub fn sniff(head: &[u8]) -> Sniffed {
    if head.is_empty() {
        // A zero-byte member is an empty layer as far as the tar reader goes.
        return Sniffed::Tar;
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Sniffed::Gzip;
    }
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
        || (head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18])
    {
        return Sniffed::Zstd;
    }
    if head.len() >= 512 && looks_like_tar_header(&head[..512]) {
        return Sniffed::Tar;
    }
    // An object or an array opener (0x7b, 0x5b) as the first non-blank byte.
    // Written as numbers: a brace in a char literal throws off the brace
    // counting of the structure tools, which then read the whole file as
    // one function.
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(0x7b | 0x5b) => Sniffed::Json,
        _ => Sniffed::Other,
    }
}

fn looks_like_tar_header(block: &[u8]) -> bool {
    if block.iter().all(|&b| b == 0) {
        return true; // an empty tar: just the end-of-archive blocks
    }
    if &block[257..262] == b"ustar" {
        return true;
    }
    // v7 tar has no magic: trust a correct header checksum
    let stored = block[148..156]
        .iter()
        .skip_while(|b| **b == b' ')
        .take_while(|b| (b'0'..=b'7').contains(*b))
        .fold(0u32, |acc, b| acc * 8 + u32::from(b - b'0'));
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                u32::from(b' ')
            } else {
                u32::from(b)
            }
        })
        .sum();
    stored == sum
}

/// A reader that hashes what passes through it.
pub struct HashingReader<R> {
    inner: R,
    hasher: Option<Sha256>,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R, enabled: bool) -> Self {
        HashingReader {
            inner,
            hasher: enabled.then(Sha256::new),
        }
    }

    /// `sha256:<hex>` of everything read so far (empty when hashing was off).
    pub fn finish(self) -> (String, R) {
        let digest = self
            .hasher
            .map(|h| format!("sha256:{}", hex::encode(h.finalize())))
            .unwrap_or_default();
        (digest, self.inner)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// Reads up to `limit` bytes (fewer only at EOF).
pub fn read_head<R: Read>(reader: &mut R, limit: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(limit);
    reader.take(limit as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Shared state every layer scan adds to.
#[derive(Debug, Default)]
pub struct ScanStore {
    pub paths: PathTree,
    pub links: LinkTargets,
    /// The components of one path whose content each layer reads as it
    /// passes (see [`KeptFile`]): one pass serves the analysis and the file.
    pub keep: Option<Vec<Vec<u8>>>,
}

impl ScanStore {
    /// Scans one layer blob. `head` are its first bytes, already read from
    /// `rest` (which continues after them); `kind` is what `sniff(head)` said.
    /// Returns the scan with both digests; `rest` is read to its end.
    pub fn scan_layer<R: Read>(
        &mut self,
        member: &str,
        kind: Sniffed,
        head: Vec<u8>,
        rest: R,
    ) -> Result<LayerScan, LayersError> {
        let stream = HashingReader::new(Cursor::new(head).chain(rest), true);
        let mut scan = LayerScan {
            member: member.to_string(),
            compression: Compression::None,
            entries: Vec::new(),
            entry_count: 0,
            whiteouts: Vec::new(),
            opaque_dirs: Vec::new(),
            size_bytes: 0,
            diff_id: String::new(),
            blob_digest: String::new(),
            kept: None,
        };
        let layer_err = |source: io::Error| LayersError::LayerRead {
            member: member.to_string(),
            inner_entry: None,
            source,
        };
        match kind {
            Sniffed::Tar => {
                let stream = self.scan_tar(member, stream, &mut scan)?;
                let (digest, _) = stream.finish();
                scan.diff_id = digest.clone();
                scan.blob_digest = digest;
            }
            Sniffed::Gzip => {
                scan.compression = Compression::Gzip;
                let decoder = HashingReader::new(
                    flate2::bufread::MultiGzDecoder::new(BufReader::with_capacity(
                        LAYER_BUFFER,
                        stream,
                    )),
                    true,
                );
                let decoder = self.scan_tar(member, decoder, &mut scan)?;
                let (diff_id, decoder) = decoder.finish();
                let mut compressed = decoder.into_inner();
                io::copy(&mut compressed, &mut io::sink()).map_err(layer_err)?;
                scan.diff_id = diff_id;
                scan.blob_digest = compressed.into_inner().finish().0;
            }
            Sniffed::Zstd => {
                scan.compression = Compression::Zstd;
                let decoder = zstd::stream::read::Decoder::with_buffer(BufReader::with_capacity(
                    LAYER_BUFFER,
                    stream,
                ))
                .map_err(layer_err)?;
                let decoder =
                    self.scan_tar(member, HashingReader::new(decoder, true), &mut scan)?;
                let (diff_id, decoder) = decoder.finish();
                let mut compressed = decoder.finish();
                io::copy(&mut compressed, &mut io::sink()).map_err(layer_err)?;
                scan.diff_id = diff_id;
                scan.blob_digest = compressed.into_inner().finish().0;
            }
            Sniffed::Json | Sniffed::Other => {
                return Err(LayersError::Invalid {
                    entry: member.to_string(),
                    message: Text::new(
                        "это не tar и не поток gzip или zstd",
                        "is not a tar, gzip or zstd stream",
                    ),
                });
            }
        }
        Ok(scan)
    }

    /// Walks the tar in `reader`, then reads whatever follows the end-of-archive
    /// blocks so that a hash over `reader` covers the whole stream.
    fn scan_tar<R: Read>(
        &mut self,
        member: &str,
        reader: R,
        scan: &mut LayerScan,
    ) -> Result<R, LayersError> {
        let mut archive = tar::Archive::new(BufReader::with_capacity(LAYER_BUFFER, reader));
        let mut last_entry: Option<Vec<u8>> = None;
        let read_err = |last: &Option<Vec<u8>>, source: io::Error| LayersError::LayerRead {
            member: member.to_string(),
            inner_entry: last
                .as_ref()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
            source,
        };
        let mut parent_cache = ParentCache::default();
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        {
            let entries = archive.entries().map_err(|e| read_err(&None, e))?;
            for entry in entries {
                let mut entry = entry.map_err(|e| read_err(&last_entry, e))?;
                let entry_type = entry.header().entry_type();
                if matches!(entry_type, EntryType::XGlobalHeader) {
                    continue;
                }
                let path = entry.path_bytes();
                let kept = self
                    .keep
                    .as_ref()
                    .is_some_and(|wanted| same_path(&path, wanted));
                self.record_entry(
                    member,
                    &entry,
                    &path,
                    entry_type,
                    scan,
                    &mut parent_cache,
                    &mut ranges,
                )?;
                match last_entry.as_mut() {
                    Some(buf) => {
                        buf.clear();
                        buf.extend_from_slice(&path);
                    }
                    None => last_entry = Some(path.to_vec()),
                }
                drop(path);
                if kept {
                    scan.kept = Some(if entry_type.is_file() {
                        let head = read_head(&mut entry, KEPT_BYTES)
                            .map_err(|e| read_err(&last_entry, e))?;
                        KeptFile {
                            size: entry.size(),
                            head_digest: Some(format!(
                                "sha256:{}",
                                hex::encode(Sha256::digest(&head))
                            )),
                        }
                    } else {
                        KeptFile {
                            size: 0,
                            head_digest: None,
                        }
                    });
                }
            }
        }
        let mut rest = archive.into_inner();
        drain(&mut rest).map_err(|e| read_err(&last_entry, e))?;
        Ok(rest.into_inner())
    }

    #[allow(clippy::too_many_arguments)]
    fn record_entry<R: Read>(
        &mut self,
        member: &str,
        entry: &tar::Entry<'_, R>,
        path: &[u8],
        entry_type: EntryType,
        scan: &mut LayerScan,
        parent_cache: &mut ParentCache,
        ranges: &mut Vec<(usize, usize)>,
    ) -> Result<(), LayersError> {
        let unsafe_path = |reason: UiText| LayersError::UnsafePath {
            member: member.to_string(),
            entry: String::from_utf8_lossy(path).into_owned(),
            hardlink_to: None,
            reason,
        };
        component_ranges(path, ranges).map_err(unsafe_path)?;
        let Some(&(last_start, last_end)) = ranges.last() else {
            // `./` itself: the root directory, always there
            scan.entry_count += 1;
            return Ok(());
        };
        let name = &path[last_start..last_end];
        let parent = parent_cache.parent(&mut self.paths, path, last_start, ranges, member)?;
        if let Some(hidden) = name.strip_prefix(b".wh.") {
            if hidden == b".wh..opq" {
                scan.opaque_dirs.push(parent);
            } else if hidden.starts_with(b".wh.") || hidden.is_empty() {
                // other `.wh..wh.` names are aufs bookkeeping, not files
            } else if hidden == b".." || hidden == b"." {
                return Err(unsafe_path(t!(
                    "— whiteout для `.` или `..`",
                    "is a whiteout of `.` or `..`"
                )));
            } else {
                let node = self.child(parent, hidden, member)?;
                scan.whiteouts.push(node);
            }
            return Ok(());
        }
        scan.entry_count += 1;
        let node = self.child(parent, name, member)?;
        let kind = match entry_type {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => EntryKind::File,
            EntryType::Directory => EntryKind::Dir,
            EntryType::Symlink => EntryKind::Symlink,
            EntryType::Link => EntryKind::Hardlink,
            _ => EntryKind::Other,
        };
        let size = if kind == EntryKind::File {
            entry.size()
        } else {
            0
        };
        let link = match kind {
            EntryKind::Symlink | EntryKind::Hardlink => {
                let target = entry.link_name_bytes().unwrap_or_default();
                if target.len() > MAX_PATH_BYTES {
                    return Err(unsafe_path(t!(
                        "— цель ссылки длиннее 4096 байт, больше, чем допускает Linux",
                        "links to a target over 4096 bytes, longer than Linux allows"
                    )));
                }
                if kind == EntryKind::Hardlink {
                    // a hardlink names a path inside the image: same rules as entries
                    let mut scratch = Vec::new();
                    component_ranges(&target, &mut scratch).map_err(|reason| {
                        LayersError::UnsafePath {
                            member: member.to_string(),
                            entry: String::from_utf8_lossy(path).into_owned(),
                            hardlink_to: Some(String::from_utf8_lossy(&target).into_owned()),
                            reason,
                        }
                    })?;
                }
                self.links.push(&target).ok_or(LayersError::TooLarge {
                    entry: member.to_string(),
                    what: t!(
                        "цели ссылок в сумме больше 4 ГиБ",
                        "link targets over 4 GiB"
                    ),
                })?
            }
            _ => NO_LINK,
        };
        scan.size_bytes = scan.size_bytes.saturating_add(size);
        scan.entries.push(LayerEntry {
            size,
            node,
            link,
            mode: entry.header().mode().unwrap_or(0),
            kind,
        });
        Ok(())
    }

    fn child(&mut self, parent: NodeId, name: &[u8], member: &str) -> Result<NodeId, LayersError> {
        self.paths
            .child(parent, name)
            .map_err(|_| LayersError::TooLarge {
                entry: member.to_string(),
                what: t!("больше 4 миллиардов путей", "over 4 billion paths"),
            })
    }
}

/// `path` (as a tar names it: `./a/b`, `a//b/`) has exactly the components `wanted`.
fn same_path(path: &[u8], wanted: &[Vec<u8>]) -> bool {
    let mut parts = path
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".");
    wanted.iter().all(|w| parts.next() == Some(w.as_slice())) && parts.next().is_none()
}

fn drain<R: BufRead>(reader: &mut R) -> io::Result<()> {
    loop {
        let n = reader.fill_buf()?.len();
        if n == 0 {
            return Ok(());
        }
        reader.consume(n);
    }
}

/// Byte ranges of the path's real components; refuses absolute paths and `..`.
/// Linux's PATH_MAX: no file in an image can have a longer path, so a
/// longer name is an attack on the analyser's memory (12,000 entries with
/// 200 KiB names took 2.4 GB), refused before it is stored.
pub const MAX_PATH_BYTES: usize = 4096;
/// Linux's NAME_MAX, for one path component.
pub const MAX_NAME_BYTES: usize = 255;

fn component_ranges(path: &[u8], out: &mut Vec<(usize, usize)>) -> Result<(), UiText> {
    out.clear();
    if path.len() > MAX_PATH_BYTES {
        return Err(t!(
            "— путь длиннее 4096 байт, больше, чем допускает Linux",
            "is a path over 4096 bytes, longer than Linux allows"
        ));
    }
    // `/` alone is the root directory itself (kaniko writes it); `./x` and
    // `/x`-less names are the usual forms.
    if path.iter().all(|&b| b == b'/') && !path.is_empty() {
        return Ok(());
    }
    if path.first() == Some(&b'/') {
        return Err(t!("— абсолютный путь", "is an absolute path"));
    }
    let mut start = 0;
    for i in 0..=path.len() {
        if i == path.len() || path[i] == b'/' {
            let comp = &path[start..i];
            if comp == b".." {
                return Err(t!("содержит компонент `..`", "has a `..` component"));
            }
            if comp.len() > MAX_NAME_BYTES {
                return Err(t!(
                    "— имя длиннее 255 байт, больше, чем допускает Linux",
                    "has a name over 255 bytes, longer than Linux allows"
                ));
            }
            if !comp.is_empty() && comp != b"." {
                out.push((start, i));
            }
            start = i + 1;
        }
    }
    Ok(())
}

/// Entries of one directory come together in a tar, so the parent of the
/// previous entry is usually the parent of this one: remember it by its raw
/// prefix bytes and skip re-walking the path.
#[derive(Default)]
struct ParentCache {
    prefix: Vec<u8>,
    node: NodeId,
}

impl ParentCache {
    fn parent(
        &mut self,
        paths: &mut PathTree,
        path: &[u8],
        last_start: usize,
        ranges: &[(usize, usize)],
        member: &str,
    ) -> Result<NodeId, LayersError> {
        let prefix = &path[..last_start];
        if !self.prefix.is_empty() && self.prefix == prefix {
            return Ok(self.node);
        }
        let mut node = ROOT;
        for &(s, e) in &ranges[..ranges.len() - 1] {
            node = paths
                .child(node, &path[s..e])
                .map_err(|_| LayersError::TooLarge {
                    entry: member.to_string(),
                    what: t!("больше 4 миллиардов путей", "over 4 billion paths"),
                })?;
        }
        self.prefix.clear();
        self.prefix.extend_from_slice(prefix);
        self.node = node;
        Ok(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content_not_name() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Sniffed::Gzip);
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Sniffed::Zstd);
        assert_eq!(sniff(b"  {\"a\":1}"), Sniffed::Json);
        assert_eq!(sniff(&[0u8; 1024]), Sniffed::Tar);
        assert_eq!(sniff(b"hello"), Sniffed::Other);
        let mut header = tar::Header::new_old();
        header.set_path("a").unwrap();
        header.set_size(0);
        header.set_cksum();
        assert_eq!(sniff(header.as_bytes()), Sniffed::Tar);
    }

    #[test]
    fn component_ranges_normalise_and_refuse() {
        let mut r = Vec::new();
        component_ranges(b"./a//b/./c/", &mut r).unwrap();
        let p = b"./a//b/./c/";
        let parts: Vec<&[u8]> = r.iter().map(|&(s, e)| &p[s..e]).collect();
        assert_eq!(parts, vec![&b"a"[..], b"b", b"c"]);
        assert!(component_ranges(b"a/../b", &mut r).is_err());
        assert!(component_ranges(b"/a", &mut r).is_err());
    }
}
