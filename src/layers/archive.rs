//! The one forward pass over a `docker save` tarball, in either shape:
//! legacy (`manifest.json`, `<id>/layer.tar`, `<config>.json`) or the OCI
//! layout Engine 25+ writes (`index.json`, `blobs/sha256/…`, usually plus
//! `manifest.json`). Members may come in any order, so each layer is scanned
//! as it streams past under its member path, small JSON members are kept
//! whole, and the image is put together once the stream has ended.

use std::collections::HashMap;
use std::io::{self, Read};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::error::{LayersError, ReadAt};
use super::scan::{HashingReader, LayerScan, ScanStore, Sniffed, read_head, sniff};
use crate::i18n::{Lang, Text, UiText};
use crate::t;

/// JSON members over this size are not image metadata; they are skipped
/// (and reported if something refers to them). Real configs and manifests
/// are kilobytes; a config with a long history a few MiB.
const MAX_JSON_BYTES: u64 = 16 * 1024 * 1024;
/// All JSON kept from one archive together: the memory bound of the pass
/// (sixty 64 MiB JSON members once took 5.9 GB).
const MAX_JSON_TOTAL: u64 = 64 * 1024 * 1024;
/// Reads of the outer archive go through a buffer this big.
const ARCHIVE_BUFFER: usize = 1024 * 1024;

#[derive(Debug)]
enum Member {
    Json(Vec<u8>),
    Layer(usize),
    /// Something else (`VERSION`, `oci-layout`, an attestation blob…), with
    /// what it is instead, for when something refers to it.
    Other(UiText),
}

/// Everything the pass kept, before it is put together.
#[derive(Debug)]
pub struct RawArchive {
    pub store: ScanStore,
    pub scans: Vec<LayerScan>,
    members: HashMap<String, Member>,
    /// Symlinks and hardlinks between members (legacy saves link a repeated
    /// `layer.tar` to its first copy).
    aliases: HashMap<String, String>,
}

/// An image as the archive describes it: config and layers in order.
#[derive(Debug)]
pub struct ResolvedImage {
    pub config: ImageConfig,
    /// `sha256:` of the config bytes: the image id.
    pub id: String,
    pub repo_tags: Vec<String>,
    /// For each layer, bottom first: index into `RawArchive::scans`.
    pub layer_scans: Vec<usize>,
    /// What the learner should know but that did not stop the analysis
    /// (several images in the archive, a config not named by its digest).
    pub notes: Vec<Text>,
}

#[derive(Debug, Deserialize)]
pub struct ImageConfig {
    pub rootfs: RootFs,
    #[serde(default)]
    pub history: Vec<History>,
}

#[derive(Debug, Deserialize)]
pub struct RootFs {
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct History {
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub empty_layer: bool,
}

#[derive(Debug, Deserialize)]
struct ManifestEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Descriptor {
    digest: String,
    #[serde(default)]
    annotations: HashMap<String, String>,
}

/// An OCI index or image manifest (whichever fields are present).
#[derive(Debug, Deserialize)]
struct OciDocument {
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
}

/// Normalises an outer member path: `./blobs//x` → `blobs/x`.
pub(super) fn member_path(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    s.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// Resolves `target` of a link at `member` (relative to its directory).
fn resolve_link(member: &str, target: &str, hard: bool) -> String {
    let mut parts: Vec<&str> = if hard || target.starts_with('/') {
        Vec::new()
    } else {
        member.split('/').collect()
    };
    if !hard && !target.starts_with('/') {
        parts.pop();
    }
    for comp in target.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

/// One forward pass: reads every member once, never seeks, never writes.
pub fn read_archive<R: Read>(reader: R, name: &str) -> Result<RawArchive, LayersError> {
    read_archive_keeping(reader, name, None)
}

/// [`read_archive`], and each layer's entry at `keep` (an image path) is
/// read as it passes (its size and digest: [`super::scan::KeptFile`]).
pub fn read_archive_keeping<R: Read>(
    reader: R,
    name: &str,
    keep: Option<&str>,
) -> Result<RawArchive, LayersError> {
    let mut raw = RawArchive {
        store: ScanStore {
            keep: keep.map(|path| {
                path.split('/')
                    .filter(|c| !c.is_empty() && *c != ".")
                    .map(|c| c.as_bytes().to_vec())
                    .collect()
            }),
            ..ScanStore::default()
        },
        scans: Vec::new(),
        members: HashMap::new(),
        aliases: HashMap::new(),
    };
    let mut last_member: Option<String> = None;
    let mut count = 0usize;
    let mut json_kept: u64 = 0;
    let between = |last: &Option<String>, source: io::Error| match last {
        Some(m) => LayersError::Read {
            entry: m.clone(),
            at: ReadAt::After,
            source,
        },
        None => LayersError::Read {
            entry: name.to_string(),
            at: ReadAt::Start,
            source,
        },
    };
    let source = OuterSource::new(io::BufReader::with_capacity(ARCHIVE_BUFFER, reader))
        .map_err(|source| between(&None, source))?;
    let mut outer = tar::Archive::new(source);
    let entries = outer.entries().map_err(|source| between(&None, source))?;
    for member in entries {
        let mut member = member.map_err(|source| between(&last_member, source))?;
        count += 1;
        let raw_path = member.path_bytes();
        if raw_path.len() > super::scan::MAX_PATH_BYTES {
            return Err(LayersError::Invalid {
                entry: String::from_utf8_lossy(&raw_path[..64]).into_owned() + "…",
                message: Text::new(
                    "имя члена архива длиннее 4096 байт, больше, чем допускает Linux",
                    "the member's name is over 4096 bytes, longer than Linux allows",
                ),
            });
        }
        let path = member_path(&raw_path);
        drop(raw_path);
        let entry_type = member.header().entry_type();
        last_member = Some(path.clone());
        if entry_type.is_symlink() || entry_type.is_hard_link() {
            if let Some(target) = member.link_name_bytes() {
                let target = String::from_utf8_lossy(&target).into_owned();
                let resolved = resolve_link(&path, &target, entry_type.is_hard_link());
                raw.aliases.insert(path, resolved);
            }
            continue;
        }
        if !entry_type.is_file() {
            continue;
        }
        let is_blob = path.starts_with("blobs/sha256/");
        let read_err = |source: io::Error| LayersError::Read {
            entry: path.clone(),
            at: ReadAt::Within,
            source,
        };
        let head = read_head(&mut member, 512).map_err(read_err)?;
        let kind = sniff(&head);
        match kind {
            Sniffed::Tar | Sniffed::Gzip | Sniffed::Zstd => {
                let scan = raw.store.scan_layer(&path, kind, head, &mut member)?;
                if is_blob {
                    verify_blob_name(&path, &scan.blob_digest)?;
                }
                raw.members
                    .insert(path.clone(), Member::Layer(raw.scans.len()));
                raw.scans.push(scan);
            }
            Sniffed::Json if member.size() <= MAX_JSON_BYTES => {
                json_kept += member.size();
                if json_kept > MAX_JSON_TOTAL {
                    return Err(LayersError::TooLarge {
                        entry: path,
                        what: t!(
                            "JSON-метаданных в архиве больше 64 МиБ",
                            "JSON metadata in the archive over 64 MiB in total"
                        ),
                    });
                }
                let mut bytes = head;
                member.read_to_end(&mut bytes).map_err(read_err)?;
                if is_blob {
                    verify_blob_name(&path, &sha256_digest(&bytes))?;
                }
                raw.members.insert(path, Member::Json(bytes));
            }
            Sniffed::Json | Sniffed::Other => {
                let why = if kind == Sniffed::Json {
                    t!(
                        "это JSON больше 16 МиБ — слишком большой для метаданных образа",
                        "is JSON over 16 MiB, too big to be image metadata"
                    )
                } else {
                    t!(
                        "это не JSON, не tar и не поток gzip или zstd",
                        "is not JSON, a tar, gzip or zstd stream"
                    )
                };
                if is_blob {
                    let mut hashing =
                        HashingReader::new(io::Cursor::new(head).chain(&mut member), true);
                    io::copy(&mut hashing, &mut io::sink()).map_err(read_err)?;
                    verify_blob_name(&path, &hashing.finish().0)?;
                }
                raw.members.insert(path, Member::Other(why));
            }
        }
    }
    if !raw.members.contains_key("manifest.json") && !raw.members.contains_key("index.json") {
        return Err(LayersError::MissingManifest {
            archive: name.to_string(),
            members: count,
            last_member,
        });
    }
    Ok(raw)
}

/// The archive itself may be compressed (`docker save img | gzip > img.tar.gz`):
/// sniffed from its first bytes like the layers.
pub(super) enum OuterSource<R: Read> {
    Plain(io::BufReader<R>),
    Gzip(Box<flate2::bufread::MultiGzDecoder<io::BufReader<R>>>),
    Zstd(Box<zstd::stream::read::Decoder<'static, io::BufReader<R>>>),
}

impl<R: Read> OuterSource<R> {
    pub(super) fn new(mut reader: io::BufReader<R>) -> io::Result<Self> {
        use std::io::BufRead;
        let kind = sniff_compression(reader.fill_buf()?);
        Ok(match kind {
            Sniffed::Gzip => {
                OuterSource::Gzip(Box::new(flate2::bufread::MultiGzDecoder::new(reader)))
            }
            Sniffed::Zstd => {
                OuterSource::Zstd(Box::new(zstd::stream::read::Decoder::with_buffer(reader)?))
            }
            _ => OuterSource::Plain(reader),
        })
    }
}

fn sniff_compression(head: &[u8]) -> Sniffed {
    match sniff(head) {
        k @ (Sniffed::Gzip | Sniffed::Zstd) => k,
        _ => Sniffed::Other,
    }
}

impl<R: Read> Read for OuterSource<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            OuterSource::Plain(r) => r.read(buf),
            OuterSource::Gzip(r) => r.read(buf),
            OuterSource::Zstd(r) => r.read(buf),
        }
    }
}

const IMAGES: crate::i18n::Noun = crate::i18n::Noun {
    ru: ["образ", "образа", "образов"],
    en: ["image", "images"],
};

/// `name` and `name:latest` are one tag.
fn normal_tag(tag: &str) -> String {
    let last = tag.rsplit('/').next().unwrap_or(tag);
    if last.contains(':') || tag.contains('@') {
        tag.to_string()
    } else {
        format!("{tag}:latest")
    }
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn verify_blob_name(path: &str, actual: &str) -> Result<(), LayersError> {
    let expected = format!(
        "sha256:{}",
        path.strip_prefix("blobs/sha256/").unwrap_or(path)
    );
    if expected != actual {
        return Err(LayersError::DigestMismatch {
            entry: path.to_string(),
            what: t!("имя блоба", "its blob name"),
            expected,
            actual: actual.to_string(),
        });
    }
    Ok(())
}

fn blob_path(digest: &str, referenced_by: &str) -> Result<String, LayersError> {
    match digest.split_once(':') {
        Some(("sha256", hex)) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(format!("blobs/sha256/{hex}"))
        }
        _ => Err(LayersError::Invalid {
            entry: referenced_by.to_string(),
            message: Text::new(
                format!(
                    "неподдерживаемый или неверный дайджест {digest:?} (читается только sha256)"
                ),
                format!("unsupported or malformed digest {digest:?} (only sha256 is read)"),
            ),
        }),
    }
}

/// What names a member: the archive format itself (for `manifest.json`, the
/// entry point) or another member. A path reads the same in both languages;
/// the format needs a word in each.
#[derive(Debug, Clone, Copy)]
enum NamedBy<'a> {
    Archive,
    Member(&'a str),
}

impl<'a> NamedBy<'a> {
    fn get(self, lang: Lang) -> &'a str {
        match self {
            NamedBy::Archive => t!("архив", "the archive").get(lang),
            NamedBy::Member(path) => path,
        }
    }

    /// A named member that is absent. Only a member can name one: the
    /// archive's entry point is known to be there before anything is resolved.
    fn missing(self, entry: &str) -> LayersError {
        LayersError::MissingMember {
            entry: entry.to_string(),
            referenced_by: self.get(Lang::En).to_string(),
        }
    }
}

impl RawArchive {
    fn lookup(&self, path: &str) -> Option<&Member> {
        let mut cur = member_path(path.as_bytes());
        for _ in 0..16 {
            if let Some(m) = self.members.get(&cur) {
                return Some(m);
            }
            cur = self.aliases.get(&cur)?.clone();
        }
        None
    }

    fn json(&self, path: &str, by: NamedBy) -> Result<&[u8], LayersError> {
        let (ru, en) = (by.get(Lang::Ru), by.get(Lang::En));
        match self.lookup(path) {
            Some(Member::Json(bytes)) => Ok(bytes),
            Some(Member::Layer(_)) => Err(LayersError::Invalid {
                entry: path.to_string(),
                message: Text::new(
                    format!("{ru} ссылается на него как на JSON-метаданные, но это tar"),
                    format!("{en} names it as JSON metadata, but it is a tar"),
                ),
            }),
            Some(Member::Other(why)) => Err(LayersError::Invalid {
                entry: path.to_string(),
                message: Text::new(
                    format!(
                        "{ru} ссылается на него как на JSON-метаданные, но {}",
                        why.ru
                    ),
                    format!("{en} names it as JSON metadata, but it {}", why.en),
                ),
            }),
            None => Err(by.missing(path)),
        }
    }

    fn parse<'a, T: Deserialize<'a>>(&'a self, path: &str, by: NamedBy) -> Result<T, LayersError> {
        let bytes = self.json(path, by)?;
        serde_json::from_slice(bytes).map_err(|source| LayersError::Json {
            entry: path.to_string(),
            source,
        })
    }

    fn layer(&self, path: &str, by: NamedBy) -> Result<usize, LayersError> {
        let (ru, en) = (by.get(Lang::Ru), by.get(Lang::En));
        match self.lookup(path) {
            Some(Member::Layer(i)) => Ok(*i),
            Some(Member::Json(_)) => Err(LayersError::Invalid {
                entry: path.to_string(),
                message: Text::new(
                    format!("{ru} перечисляет его среди слоёв, но это JSON"),
                    format!("{en} lists it as a layer, but it is JSON"),
                ),
            }),
            Some(Member::Other(why)) => Err(LayersError::Invalid {
                entry: path.to_string(),
                message: Text::new(
                    format!("{ru} перечисляет его среди слоёв, но {}", why.ru),
                    format!("{en} lists it as a layer, but it {}", why.en),
                ),
            }),
            None => Err(by.missing(path)),
        }
    }

    /// Picks the image (the one tagged `reference` if several are saved,
    /// else the first) and puts it together. `strict`: the learner asked for
    /// `reference` (`--image`), so its absence is an error, not the first.
    pub fn resolve(
        &self,
        reference: Option<&str>,
        strict: bool,
    ) -> Result<ResolvedImage, LayersError> {
        let mut notes = Vec::new();
        let (config_member, repo_tags, layer_members, listed_by) = if self
            .members
            .contains_key("manifest.json")
        {
            let entries: Vec<ManifestEntry> = self.parse("manifest.json", NamedBy::Archive)?;
            let tags_of = |e: &ManifestEntry| e.repo_tags.clone().unwrap_or_default();
            let found = reference.and_then(|r| {
                let wanted = normal_tag(r);
                entries
                    .iter()
                    .find(|e| tags_of(e).iter().any(|t| normal_tag(t) == wanted))
            });
            if strict && found.is_none() {
                let all: Vec<String> = entries.iter().flat_map(tags_of).collect();
                let all = if all.is_empty() {
                    "—".to_string()
                } else {
                    all.join(", ")
                };
                let r = reference.unwrap_or_default();
                return Err(LayersError::Invalid {
                    entry: "manifest.json".into(),
                    message: Text::new(
                        format!("в архиве нет образа {r}; в нём есть: {all}"),
                        format!("the archive holds no image {r}; it holds: {all}"),
                    ),
                });
            }
            if found.is_none() && entries.len() > 1 {
                let n = entries.len();
                let first = entries.first().map(tags_of).unwrap_or_default();
                let first = if first.is_empty() {
                    entries
                        .first()
                        .map(|e| e.config.clone())
                        .unwrap_or_default()
                } else {
                    first.join(", ")
                };
                notes.push(Text::new(
                        format!(
                            "в архиве {}; анализируется первый в manifest.json ({first}); другой выбирается через --image REF",
                            crate::i18n::count(Lang::Ru, n, IMAGES)
                        ),
                        format!(
                            "the archive holds {}; analysing the first in manifest.json ({first}); pick another with --image REF",
                            crate::i18n::count(Lang::En, n, IMAGES)
                        ),
                    ));
            }
            let chosen = found
                .or(entries.first())
                .ok_or_else(|| LayersError::Invalid {
                    entry: "manifest.json".into(),
                    message: Text::new("не содержит ни одного образа", "lists no image"),
                })?;
            (
                chosen.config.clone(),
                chosen.repo_tags.clone().unwrap_or_default(),
                chosen.layers.clone(),
                "manifest.json".to_string(),
            )
        } else {
            self.resolve_oci_index(reference)?
        };
        let by = NamedBy::Member(&listed_by);
        let config_bytes = self.json(&config_member, by)?;
        let id = sha256_digest(config_bytes);
        let config: ImageConfig = self.parse(&config_member, by)?;
        // Legacy saves name the config after its digest (the image id). Some
        // tools do not (go-containerregistry's test archives), and `docker
        // load` takes those: say so, and analyse it anyway.
        if let Some(hex) = config_member.strip_suffix(".json")
            && hex.len() == 64
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
            && id != format!("sha256:{hex}")
        {
            notes.push(Text::new(
                format!(
                    "{config_member}: имя файла конфигурации не совпадает с её дайджестом ({id}); образ проанализирован, id образа — дайджест"
                ),
                format!(
                    "{config_member}: the config's file name is not its digest ({id}); analysed anyway, with the digest as the image id"
                ),
            ));
        }
        let mut layer_scans = Vec::with_capacity(layer_members.len());
        for member in &layer_members {
            layer_scans.push(self.layer(member, by)?);
        }
        if config.rootfs.diff_ids.len() != layer_scans.len() {
            return Err(LayersError::Invalid {
                entry: config_member,
                message: Text::new(
                    format!(
                        "в rootfs.diff_ids слоёв: {}, а в {listed_by}: {}",
                        config.rootfs.diff_ids.len(),
                        layer_scans.len()
                    ),
                    format!(
                        "rootfs.diff_ids has {} layers but {listed_by} lists {}",
                        config.rootfs.diff_ids.len(),
                        layer_scans.len()
                    ),
                ),
            });
        }
        for (i, (&scan, expected)) in layer_scans.iter().zip(&config.rootfs.diff_ids).enumerate() {
            let actual = &self.scans[scan].diff_id;
            if actual != expected {
                return Err(LayersError::DigestMismatch {
                    entry: layer_members[i].clone(),
                    what: if i == 0 {
                        t!(
                            "rootfs.diff_ids[0] в конфигурации",
                            "config rootfs.diff_ids[0]"
                        )
                    } else {
                        t!(
                            "rootfs.diff_ids в конфигурации (слой на этой позиции)",
                            "config rootfs.diff_ids (layer listed at this position)"
                        )
                    },
                    expected: expected.clone(),
                    actual: actual.clone(),
                });
            }
        }
        Ok(ResolvedImage {
            config,
            id,
            repo_tags,
            layer_scans,
            notes,
        })
    }

    /// index.json → (nested indexes) → image manifest → config and layers.
    fn resolve_oci_index(
        &self,
        reference: Option<&str>,
    ) -> Result<(String, Vec<String>, Vec<String>, String), LayersError> {
        let mut doc_path = "index.json".to_string();
        let mut tags = Vec::new();
        for _ in 0..8 {
            let doc: OciDocument = self.parse(&doc_path, NamedBy::Member("index.json"))?;
            if let Some(manifests) = doc.manifests {
                let chosen = reference
                    .and_then(|r| {
                        manifests
                            .iter()
                            .find(|d| d.annotations.values().any(|v| v == r))
                    })
                    .or(manifests.first())
                    .ok_or_else(|| LayersError::Invalid {
                        entry: doc_path.clone(),
                        message: Text::new("не содержит ни одного манифеста", "lists no manifest"),
                    })?;
                if let Some(name) = chosen.annotations.get("io.containerd.image.name") {
                    tags = vec![name.clone()];
                }
                doc_path = blob_path(&chosen.digest, &doc_path)?;
                continue;
            }
            let (Some(config), Some(layers)) = (doc.config, doc.layers) else {
                return Err(LayersError::Invalid {
                    entry: doc_path,
                    message: Text::new(
                        "не является ни индексом OCI, ни манифестом образа",
                        "is neither an OCI index nor an image manifest",
                    ),
                });
            };
            let config_path = blob_path(&config.digest, &doc_path)?;
            let layer_paths = layers
                .iter()
                .map(|l| blob_path(&l.digest, &doc_path))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok((config_path, tags, layer_paths, doc_path));
        }
        Err(LayersError::Invalid {
            entry: doc_path,
            message: Text::new(
                "в index.json индексы вложены глубже 8 уровней",
                "index.json nests indexes more than 8 deep",
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths_and_links_resolve() {
        assert_eq!(member_path(b"./blobs//sha256/ab"), "blobs/sha256/ab");
        assert_eq!(
            resolve_link("b/layer.tar", "../a/layer.tar", false),
            "a/layer.tar"
        );
        assert_eq!(
            resolve_link("b/layer.tar", "a/layer.tar", true),
            "a/layer.tar"
        );
    }
}
