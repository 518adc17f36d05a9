//! Reading files out of a layer blob as it streams in: gzip, zstd or plain
//! tar (told apart by the first bytes, not by the media type, which some
//! registries get wrong), keeping only the paths a [`PathFilter`] asks for,
//! plus every whiteout, so an [`Overlay`] of several layers answers "which
//! file does the container see" without unpacking anything to disk.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufRead, BufReader, Read};

use bytes::Bytes;
use sha2::{Digest, Sha256};

/// More entries than this in one layer is not a homework image.
const MAX_ENTRIES: u64 = 2_000_000;
/// Whiteouts kept per layer (each a path).
const MAX_WHITEOUTS: usize = 200_000;
const MAX_SYMLINK_HOPS: usize = 16;

/// Which paths to keep. Paths are absolute (`/etc/nginx/nginx.conf`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathFilter {
    exact: BTreeSet<String>,
    prefixes: BTreeSet<String>,
    names: BTreeSet<String>,
}

impl PathFilter {
    pub fn new() -> PathFilter {
        PathFilter::default()
    }

    /// This path exactly.
    pub fn path(mut self, path: &str) -> PathFilter {
        self.exact.insert(normalize(path));
        self
    }

    /// Everything under this directory (and the directory itself).
    pub fn under(mut self, dir: &str) -> PathFilter {
        self.prefixes.insert(normalize(dir));
        self
    }

    /// Any file with this base name, wherever it is.
    pub fn named(mut self, name: &str) -> PathFilter {
        self.names.insert(name.to_string());
        self
    }

    pub fn wants(&self, path: &str) -> bool {
        self.exact.contains(path)
            || self
                .prefixes
                .iter()
                .any(|p| path == p || path.starts_with(&format!("{p}/")) || p == "/")
            || self.names.contains(path.rsplit('/').next().unwrap_or(path))
    }

    /// Only exact paths: reading may stop once all of them were seen.
    fn only_exact(&self) -> bool {
        self.prefixes.is_empty() && self.names.is_empty()
    }

    /// A stable text for cache keys.
    pub fn key(&self) -> String {
        let join = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(",");
        format!(
            "e[{}]p[{}]n[{}]",
            join(&self.exact),
            join(&self.prefixes),
            join(&self.names)
        )
    }
}

/// One path of a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// `content` is `None` when the file is larger than the client's
    /// `max_file_bytes` (its size is still known).
    File {
        size: u64,
        content: Option<Bytes>,
    },
    Dir,
    Symlink(String),
    /// A hard link to another path of the same layer (absolute).
    Hardlink(String),
    Other,
}

/// What one layer holds of the wanted paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerFiles {
    pub digest: String,
    pub entries: BTreeMap<String, Entry>,
    /// Paths this layer deletes from the layers below (`.wh.NAME`).
    pub whiteouts: BTreeSet<String>,
    /// Directories whose lower contents this layer hides (`.wh..wh..opq`).
    pub opaque_dirs: BTreeSet<String>,
    /// The whole layer was read (else reading stopped once every exact
    /// path was found).
    pub complete: bool,
}

/// `./etc/x`, `etc/x/`, `/etc//x` -> `/etc/x`.
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// Hashes (and bounds) the compressed bytes as they are read.
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
    limit: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R, limit: u64) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
            limit,
        }
    }

    /// Reads to the end and returns `sha256:<hex>`.
    pub fn finish(mut self) -> io::Result<String> {
        io::copy(&mut self, &mut io::sink())?;
        Ok(format!("sha256:{}", hex::encode(self.hasher.finalize())))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if self.count > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the layer is larger than {} bytes", self.limit),
            ));
        }
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

enum Decoder<R: Read> {
    Plain(BufReader<R>),
    Gzip(Box<flate2::bufread::MultiGzDecoder<BufReader<R>>>),
    Zstd(Box<zstd::stream::read::Decoder<'static, BufReader<R>>>),
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(r) => r.read(buf),
            Decoder::Zstd(r) => r.read(buf),
        }
    }
}

impl<R: Read> Decoder<R> {
    fn sniff(inner: R) -> io::Result<Decoder<R>> {
        let mut reader = BufReader::with_capacity(64 * 1024, inner);
        let head = reader.fill_buf()?;
        Ok(if head.starts_with(&[0x1f, 0x8b]) {
            Decoder::Gzip(Box::new(flate2::bufread::MultiGzDecoder::new(reader)))
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Decoder::Zstd(Box::new(zstd::stream::read::Decoder::with_buffer(reader)?))
        } else {
            Decoder::Plain(reader)
        })
    }

    fn into_inner(self) -> R {
        match self {
            Decoder::Plain(r) => r.into_inner(),
            Decoder::Gzip(r) => r.into_inner().into_inner(),
            Decoder::Zstd(r) => r.finish().into_inner(),
        }
    }
}

/// Reads a layer (compressed or not) and keeps what `filter` wants.
/// Returns the files and the reader, positioned wherever reading stopped.
pub fn scan<R: Read>(
    reader: R,
    filter: &PathFilter,
    max_file_bytes: u64,
) -> Result<(LayerFiles, R), String> {
    let decoder = Decoder::sniff(reader).map_err(|e| format!("reading the layer: {e}"))?;
    let mut archive = tar::Archive::new(decoder);
    let mut files = LayerFiles::default();
    let mut seen = 0u64;
    let mut exact_left: BTreeSet<String> = if filter.only_exact() {
        filter.exact.clone()
    } else {
        BTreeSet::new()
    };
    let stop_early = filter.only_exact();
    let mut complete = true;
    {
        let entries = archive
            .entries()
            .map_err(|e| format!("not a tar layer: {e}"))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| format!("a broken tar entry: {e}"))?;
            seen += 1;
            if seen > MAX_ENTRIES {
                return Err(format!("more than {MAX_ENTRIES} entries in one layer"));
            }
            let raw_path = entry
                .path()
                .map_err(|e| format!("a tar entry with a bad path: {e}"))?
                .to_string_lossy()
                .into_owned();
            let path = normalize(&raw_path);
            let name = path.rsplit('/').next().unwrap_or("");
            if let Some(hidden) = name.strip_prefix(".wh.") {
                let dir = parent(&path);
                if hidden == ".wh..opq" {
                    files.opaque_dirs.insert(dir.to_string());
                } else if files.whiteouts.len() < MAX_WHITEOUTS {
                    let target = if dir == "/" {
                        format!("/{hidden}")
                    } else {
                        format!("{dir}/{hidden}")
                    };
                    files.whiteouts.insert(target);
                }
                continue;
            }
            if !filter.wants(&path) {
                continue;
            }
            let kind = entry.header().entry_type();
            let value = if kind.is_dir() {
                Entry::Dir
            } else if kind.is_symlink() {
                let target = entry
                    .link_name()
                    .ok()
                    .flatten()
                    .map(|t| t.to_string_lossy().into_owned())
                    .unwrap_or_default();
                Entry::Symlink(target)
            } else if kind.is_hard_link() {
                let target = entry
                    .link_name()
                    .ok()
                    .flatten()
                    .map(|t| normalize(&t.to_string_lossy()))
                    .unwrap_or_default();
                Entry::Hardlink(target)
            } else if kind.is_file() || kind == tar::EntryType::Continuous {
                let size = entry.size();
                let content = if size <= max_file_bytes {
                    let mut buf = Vec::with_capacity(size as usize);
                    entry
                        .read_to_end(&mut buf)
                        .map_err(|e| format!("{path}: {e}"))?;
                    Some(Bytes::from(buf))
                } else {
                    None
                };
                Entry::File { size, content }
            } else {
                Entry::Other
            };
            exact_left.remove(&path);
            files.entries.insert(path, value);
            if stop_early && exact_left.is_empty() {
                complete = false;
                break;
            }
        }
    }
    files.complete = complete;
    Ok((files, archive.into_inner().into_inner()))
}

/// Several layers seen as the container sees them: the topmost entry of a
/// path wins, whiteouts and opaque directories hide what is below them.
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    /// Top first.
    layers: Vec<std::sync::Arc<LayerFiles>>,
}

/// Where a path was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<'a> {
    /// The path after following symbolic links.
    pub path: String,
    pub entry: &'a Entry,
    /// Index in the overlay, 0 = top.
    pub layer: usize,
    pub digest: &'a str,
}

impl Overlay {
    pub fn new() -> Overlay {
        Overlay::default()
    }

    /// Adds the next layer BELOW those already added.
    pub fn push_lower(&mut self, layer: std::sync::Arc<LayerFiles>) {
        self.layers.push(layer);
    }

    pub fn len(&self) -> usize {
        self.layers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The entry at exactly `path` (no link following), or `None` when no
    /// layer has it or a higher layer deleted it.
    pub fn lookup(&self, path: &str) -> Option<(usize, &Entry)> {
        let path = normalize(path);
        for (index, layer) in self.layers.iter().enumerate() {
            if let Some(entry) = layer.entries.get(&path) {
                return Some((index, entry));
            }
            if hides(layer, &path) {
                return None;
            }
        }
        None
    }

    /// `path` with symbolic links (of the path and of its directories, as
    /// far as the layers recorded them) and hard links followed.
    pub fn resolve(&self, path: &str) -> Option<Found<'_>> {
        let mut path = normalize(path);
        for _ in 0..MAX_SYMLINK_HOPS {
            // A directory on the way may itself be a link.
            if let Some(rewritten) = self.rewrite_linked_dir(&path) {
                path = rewritten;
                continue;
            }
            let (layer, entry) = self.lookup(&path)?;
            match entry {
                Entry::Symlink(target) => {
                    path = if target.starts_with('/') {
                        normalize(target)
                    } else {
                        normalize(&format!("{}/{target}", parent(&path)))
                    };
                }
                Entry::Hardlink(target) => {
                    let entry = self.layers[layer].entries.get(target)?;
                    return Some(Found {
                        path: target.clone(),
                        entry,
                        layer,
                        digest: &self.layers[layer].digest,
                    });
                }
                entry => {
                    return Some(Found {
                        path,
                        entry,
                        layer,
                        digest: &self.layers[layer].digest,
                    });
                }
            }
        }
        None
    }

    fn rewrite_linked_dir(&self, path: &str) -> Option<String> {
        let mut prefix = String::new();
        let components: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
        for (i, component) in components.iter().enumerate() {
            if i + 1 == components.len() {
                break;
            }
            prefix.push('/');
            prefix.push_str(component);
            if let Some((_, Entry::Symlink(target))) = self.lookup(&prefix) {
                let base = if target.starts_with('/') {
                    target.clone()
                } else {
                    format!("{}/{target}", parent(&prefix))
                };
                let rest = components[i + 1..].join("/");
                return Some(normalize(&format!("{base}/{rest}")));
            }
        }
        None
    }

    /// Names of the visible entries directly in `dir`, sorted.
    pub fn list_dir(&self, dir: &str) -> Vec<String> {
        let dir = normalize(dir);
        let mut names = BTreeSet::new();
        for layer in &self.layers {
            for path in layer.entries.keys() {
                if path != &dir && parent(path) == dir {
                    names.insert(path.clone());
                }
            }
        }
        names
            .into_iter()
            .filter(|p| self.lookup(p).is_some())
            .map(|p| p.rsplit('/').next().unwrap_or("").to_string())
            .collect()
    }
}

/// Whether `layer` deletes `path` from the layers below it.
fn hides(layer: &LayerFiles, path: &str) -> bool {
    let mut current = path;
    loop {
        if layer.whiteouts.contains(current) {
            return true;
        }
        if current != path && layer.opaque_dirs.contains(current) {
            return true;
        }
        if current == "/" {
            return false;
        }
        current = parent(current);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn tar_of(entries: &[(&str, Option<&str>)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, content) in entries {
            let mut header = tar::Header::new_gnu();
            match content {
                Some(text) => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_size(text.len() as u64);
                    header.set_mode(0o644);
                    builder
                        .append_data(&mut header, path, text.as_bytes())
                        .expect("append");
                }
                None => {
                    header.set_entry_type(tar::EntryType::Directory);
                    header.set_size(0);
                    header.set_mode(0o755);
                    builder
                        .append_data(&mut header, path, io::empty())
                        .expect("append");
                }
            }
        }
        builder.into_inner().expect("tar")
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut encoder, bytes).expect("gzip");
        encoder.finish().expect("gzip")
    }

    #[test]
    fn gzip_zstd_and_plain_layers_are_read_with_the_same_result() {
        let tar = tar_of(&[
            ("etc/", None),
            ("etc/nginx/nginx.conf", Some("events {}")),
            ("etc/motd", Some("hi")),
            ("var/www/.wh.old.html", Some("")),
            ("var/lib/.wh..wh..opq", Some("")),
        ]);
        let filter = PathFilter::new().under("/etc/nginx");
        let compressed = [
            tar.clone(),
            gzip(&tar),
            zstd::encode_all(&tar[..], 1).expect("zstd"),
        ];
        for bytes in compressed {
            let (files, _) = scan(&bytes[..], &filter, 1024).expect("scan");
            assert_eq!(files.entries.len(), 1, "{:?}", files.entries);
            assert_eq!(
                files.entries["/etc/nginx/nginx.conf"],
                Entry::File {
                    size: 9,
                    content: Some(Bytes::from_static(b"events {}"))
                }
            );
            assert!(files.whiteouts.contains("/var/www/old.html"));
            assert!(files.opaque_dirs.contains("/var/lib"));
            assert!(files.complete);
        }
        assert!(scan(&b"garbage that is not a tar at all"[..], &filter, 10).is_err());
    }

    #[test]
    fn reading_stops_once_exact_paths_are_found_and_big_files_are_not_kept() {
        let tar = tar_of(&[
            ("etc/os-release", Some("ID=alpine")),
            ("big", Some("0123456789")),
        ]);
        let (files, _) =
            scan(&tar[..], &PathFilter::new().path("/etc/os-release"), 4).expect("scan");
        assert!(!files.complete);
        assert_eq!(
            files.entries["/etc/os-release"],
            Entry::File {
                size: 9,
                content: None
            }
        );
    }

    #[test]
    fn hashing_reader_digests_and_bounds() {
        let data = b"hello";
        let reader = HashingReader::new(&data[..], 100);
        assert_eq!(
            reader.finish().expect("hash"),
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        let reader = HashingReader::new(&data[..], 3);
        assert!(reader.finish().is_err());
    }

    fn layer(entries: &[(&str, Entry)], whiteouts: &[&str], opaque: &[&str]) -> Arc<LayerFiles> {
        Arc::new(LayerFiles {
            digest: "sha256:x".into(),
            entries: entries
                .iter()
                .map(|(p, e)| (p.to_string(), e.clone()))
                .collect(),
            whiteouts: whiteouts.iter().map(|s| s.to_string()).collect(),
            opaque_dirs: opaque.iter().map(|s| s.to_string()).collect(),
            complete: true,
        })
    }

    fn file(text: &str) -> Entry {
        Entry::File {
            size: text.len() as u64,
            content: Some(Bytes::copy_from_slice(text.as_bytes())),
        }
    }

    #[test]
    fn overlay_applies_whiteouts_opaque_dirs_and_links() {
        let mut overlay = Overlay::new();
        overlay.push_lower(layer(
            &[("/www/index.html", file("top"))],
            &["/etc/nginx/http.d/default.conf", "/gone"],
            &["/opq"],
        ));
        overlay.push_lower(layer(
            &[
                ("/www/index.html", file("lower")),
                ("/etc/nginx/http.d/default.conf", file("stock")),
                ("/etc/nginx/http.d/site.conf", file("site")),
                ("/gone/a", file("a")),
                ("/opq/b", file("b")),
                (
                    "/etc/os-release",
                    Entry::Symlink("../usr/lib/os-release".into()),
                ),
                ("/usr/lib/os-release", file("ID=alpine")),
                ("/srv", Entry::Symlink("/www".into())),
            ],
            &[],
            &[],
        ));
        assert_eq!(overlay.lookup("/www/index.html").map(|(l, _)| l), Some(0));
        assert!(overlay.lookup("/etc/nginx/http.d/default.conf").is_none());
        assert!(overlay.lookup("/gone/a").is_none(), "deleted directory");
        assert!(overlay.lookup("/opq/b").is_none(), "opaque directory");
        assert_eq!(overlay.list_dir("/etc/nginx/http.d"), ["site.conf"]);
        let found = overlay.resolve("/etc/os-release").expect("link followed");
        assert_eq!(found.path, "/usr/lib/os-release");
        assert_eq!(found.entry, &file("ID=alpine"));
        let via_dir = overlay.resolve("/srv/index.html").expect("dir link");
        assert_eq!(via_dir.entry, &file("top"));
        let mut looped = Overlay::new();
        looped.push_lower(layer(
            &[
                ("/a", Entry::Symlink("/b".into())),
                ("/b", Entry::Symlink("/a".into())),
            ],
            &[],
            &[],
        ));
        assert!(looped.resolve("/a").is_none(), "link loops end");
    }
}
