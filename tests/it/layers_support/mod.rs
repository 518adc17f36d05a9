//! Test support for the layer analyser: a hand-rolled tar writer (so tests
//! control every byte of a header: `./` prefixes, trailing slashes, PAX and
//! GNU long names, `..` paths the `tar` crate would refuse to write), image
//! archive builders for both `docker save` shapes, and a deliberately naive
//! reference model of overlay stacking (a BTreeMap of paths) that the
//! analyser's figures are checked against.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use sha2::{Digest, Sha256};

// ---------------------------------------------------------------- layers

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    File(Vec<u8>, Vec<u8>),
    Dir(Vec<u8>),
    Symlink(Vec<u8>, Vec<u8>),
    Hardlink(Vec<u8>, Vec<u8>),
    /// Hide this path (writes `parent/.wh.name`).
    Whiteout(Vec<u8>),
    /// Make this directory opaque (writes `dir/.wh..wh..opq`).
    Opaque(Vec<u8>),
}

pub fn file(path: &str, content: &str) -> Op {
    Op::File(path.into(), content.into())
}
pub fn file_n(path: &str, size: usize) -> Op {
    Op::File(path.into(), vec![b'x'; size])
}
pub fn dir(path: &str) -> Op {
    Op::Dir(path.into())
}
pub fn symlink(path: &str, target: &str) -> Op {
    Op::Symlink(path.into(), target.into())
}
pub fn hardlink(path: &str, target: &str) -> Op {
    Op::Hardlink(path.into(), target.into())
}
pub fn whiteout(path: &str) -> Op {
    Op::Whiteout(path.into())
}
pub fn opaque(path: &str) -> Op {
    Op::Opaque(path.into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongNames {
    Pax,
    Gnu,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compress {
    None,
    Gzip,
    Zstd,
}

#[derive(Debug, Clone)]
pub struct Layer {
    pub ops: Vec<Op>,
    pub created_by: String,
    /// Write paths as `./a/b` (and directories with a trailing slash).
    pub dot_prefix: bool,
    /// Also write a `./` root entry.
    pub root_entry: bool,
    pub long_names: LongNames,
    pub compress: Compress,
}

impl Layer {
    pub fn new(created_by: &str, ops: Vec<Op>) -> Layer {
        Layer {
            ops,
            created_by: created_by.into(),
            dot_prefix: false,
            root_entry: false,
            long_names: LongNames::Pax,
            compress: Compress::None,
        }
    }
    pub fn dot(mut self) -> Self {
        self.dot_prefix = true;
        self.root_entry = true;
        self
    }
    pub fn gnu(mut self) -> Self {
        self.long_names = LongNames::Gnu;
        self
    }
    pub fn gzip(mut self) -> Self {
        self.compress = Compress::Gzip;
        self
    }
    pub fn zstd(mut self) -> Self {
        self.compress = Compress::Zstd;
        self
    }

    /// The uncompressed layer tar.
    pub fn tar(&self) -> Vec<u8> {
        let mut w = TarWriter::new(self.long_names);
        let shown = |p: &[u8], is_dir: bool| {
            let mut out = Vec::new();
            if self.dot_prefix {
                out.extend_from_slice(b"./");
            }
            out.extend_from_slice(p);
            if is_dir && self.dot_prefix {
                out.push(b'/');
            }
            out
        };
        if self.root_entry {
            w.entry(b"./", b'5', &[], b"", 0o755);
        }
        for op in &self.ops {
            match op {
                Op::File(p, c) => w.entry(&shown(p, false), b'0', c, b"", 0o644),
                Op::Dir(p) => w.entry(&shown(p, true), b'5', &[], b"", 0o755),
                Op::Symlink(p, t) => w.entry(&shown(p, false), b'2', &[], t, 0o777),
                Op::Hardlink(p, t) => w.entry(&shown(p, false), b'1', &[], t, 0o644),
                Op::Whiteout(p) => {
                    let (parent, name) = split_last(p);
                    let mut marker = parent.to_vec();
                    if !marker.is_empty() {
                        marker.push(b'/');
                    }
                    marker.extend_from_slice(b".wh.");
                    marker.extend_from_slice(name);
                    w.entry(&shown(&marker, false), b'0', &[], b"", 0o644)
                }
                Op::Opaque(p) => {
                    let mut marker = p.clone();
                    if !marker.is_empty() {
                        marker.push(b'/');
                    }
                    marker.extend_from_slice(b".wh..wh..opq");
                    w.entry(&shown(&marker, false), b'0', &[], b"", 0o644)
                }
            }
        }
        w.finish()
    }

    /// The blob as stored (compressed or not).
    pub fn blob(&self) -> Vec<u8> {
        compress(self.compress, self.tar())
    }
}

pub fn compress(how: Compress, tar: Vec<u8>) -> Vec<u8> {
    match how {
        Compress::None => tar,
        Compress::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&tar).unwrap();
            e.finish().unwrap()
        }
        Compress::Zstd => zstd::encode_all(&tar[..], 1).unwrap(),
    }
}

fn split_last(p: &[u8]) -> (&[u8], &[u8]) {
    match p.iter().rposition(|&b| b == b'/') {
        Some(i) => (&p[..i], &p[i + 1..]),
        None => (&[], p),
    }
}

// ---------------------------------------------------------------- tar writer

/// Writes tar entries byte by byte. Names over 100 bytes get a PAX `x`
/// record or GNU `L`/`K` records, as chosen.
pub struct TarWriter {
    out: Vec<u8>,
    long: LongNames,
}

impl TarWriter {
    pub fn new(long: LongNames) -> Self {
        TarWriter {
            out: Vec::new(),
            long,
        }
    }

    fn header(
        name: &[u8],
        typeflag: u8,
        size: u64,
        link: &[u8],
        mode: u32,
        gnu: bool,
    ) -> [u8; 512] {
        let mut h = [0u8; 512];
        let n = name.len().min(100);
        h[..n].copy_from_slice(&name[..n]);
        write_octal(&mut h[100..108], mode as u64);
        write_octal(&mut h[108..116], 0);
        write_octal(&mut h[116..124], 0);
        write_octal(&mut h[124..136], size);
        write_octal(&mut h[136..148], 1_700_000_000);
        h[156] = typeflag;
        let l = link.len().min(100);
        h[157..157 + l].copy_from_slice(&link[..l]);
        if gnu {
            h[257..265].copy_from_slice(b"ustar  \0");
        } else {
            h[257..263].copy_from_slice(b"ustar\0");
            h[263..265].copy_from_slice(b"00");
        }
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        let s = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(s.as_bytes());
        h
    }

    fn data(&mut self, data: &[u8]) {
        self.out.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.out.extend(std::iter::repeat_n(0u8, pad));
    }

    pub fn entry(&mut self, name: &[u8], typeflag: u8, data: &[u8], link: &[u8], mode: u32) {
        let gnu = self.long == LongNames::Gnu;
        if name.len() > 100 || link.len() > 100 {
            match self.long {
                LongNames::Pax => {
                    let mut records = Vec::new();
                    if name.len() > 100 {
                        records.extend(pax_record(b"path", name));
                    }
                    if link.len() > 100 {
                        records.extend(pax_record(b"linkpath", link));
                    }
                    let h =
                        Self::header(b"PaxHeader", b'x', records.len() as u64, b"", 0o644, false);
                    self.out.extend_from_slice(&h);
                    self.data(&records);
                }
                LongNames::Gnu => {
                    for (value, flag) in [(link, b'K'), (name, b'L')] {
                        if value.len() > 100 {
                            let mut v = value.to_vec();
                            v.push(0);
                            let h = Self::header(
                                b"././@LongLink",
                                flag,
                                v.len() as u64,
                                b"",
                                0o644,
                                true,
                            );
                            self.out.extend_from_slice(&h);
                            self.data(&v);
                        }
                    }
                }
            }
        }
        let h = Self::header(name, typeflag, data.len() as u64, link, mode, gnu);
        self.out.extend_from_slice(&h);
        self.data(data);
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.out.extend(std::iter::repeat_n(0u8, 1024));
        self.out
    }
}

fn write_octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let s = format!("{value:0digits$o}");
    field[..digits].copy_from_slice(s.as_bytes());
    field[digits] = 0;
}

fn pax_record(key: &[u8], value: &[u8]) -> Vec<u8> {
    let body_len = key.len() + value.len() + 3; // space, '=', newline
    let mut len = body_len + 1;
    while len != body_len + len.to_string().len() {
        len = body_len + len.to_string().len();
    }
    let mut r = format!("{len} ").into_bytes();
    r.extend_from_slice(key);
    r.push(b'=');
    r.extend_from_slice(value);
    r.push(b'\n');
    r
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

// ---------------------------------------------------------------- archives

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `manifest.json`, `<id>/layer.tar`, `<config>.json`
    Legacy,
    /// `index.json`, `blobs/sha256/…` and `manifest.json` (Engine 25+)
    Oci,
    /// `index.json` and blobs only (a BuildKit `type=oci` export)
    OciNoManifest,
}

pub struct ArchiveSpec {
    pub layers: Vec<Layer>,
    pub shape: Shape,
    /// Write manifest/index/config after the layers (as `docker save` may).
    pub metadata_last: bool,
    pub repo_tag: Option<String>,
    pub labels: Vec<(String, String)>,
}

impl ArchiveSpec {
    pub fn new(shape: Shape, layers: Vec<Layer>) -> Self {
        ArchiveSpec {
            layers,
            shape,
            metadata_last: false,
            repo_tag: Some("layerlab-test:latest".into()),
            labels: Vec::new(),
        }
    }
}

/// Members of an archive in write order: (path, bytes). Tests corrupt these.
pub struct Members(pub Vec<(String, Vec<u8>)>);

impl Members {
    pub fn tar(&self) -> Vec<u8> {
        let mut w = TarWriter::new(LongNames::Pax);
        for (path, bytes) in &self.0 {
            w.entry(path.as_bytes(), b'0', bytes, b"", 0o644);
        }
        w.finish()
    }
    pub fn remove(&mut self, path: &str) {
        self.0.retain(|(p, _)| p != path);
    }
    pub fn get_mut(&mut self, path: &str) -> &mut Vec<u8> {
        &mut self.0.iter_mut().find(|(p, _)| p == path).unwrap().1
    }
    pub fn paths(&self) -> Vec<String> {
        self.0.iter().map(|(p, _)| p.clone()).collect()
    }
}

pub fn config_json(spec: &ArchiveSpec) -> Vec<u8> {
    let diff_ids: Vec<String> = spec.layers.iter().map(|l| sha256(&l.tar())).collect();
    let mut history = Vec::new();
    for (i, l) in spec.layers.iter().enumerate() {
        // empty layers interleaved: they must be skipped when pairing
        history
            .push(serde_json::json!({"created_by": format!("ENV STEP={i}"), "empty_layer": true}));
        history.push(serde_json::json!({"created_by": l.created_by}));
    }
    history.push(serde_json::json!({"created_by": "CMD [\"sh\"]", "empty_layer": true}));
    let labels: serde_json::Map<String, serde_json::Value> = spec
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Labels": labels, "Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }))
    .unwrap()
}

pub fn members(spec: &ArchiveSpec) -> Members {
    let config = config_json(spec);
    let config_hex = sha256(&config)[7..].to_string();
    let mut layer_members = Vec::new();
    let mut meta = Vec::new();
    let tags = spec.repo_tag.iter().cloned().collect::<Vec<_>>();
    match spec.shape {
        Shape::Legacy => {
            let mut paths = Vec::new();
            for (i, l) in spec.layers.iter().enumerate() {
                let id = sha256(format!("{i}{}", sha256(&l.tar())).as_bytes())[7..].to_string();
                let path = format!("{id}/layer.tar");
                layer_members.push((format!("{id}/VERSION"), b"1.0".to_vec()));
                layer_members.push((path.clone(), l.blob()));
                paths.push(path);
            }
            meta.push((format!("{config_hex}.json"), config));
            let manifest = serde_json::json!([{"Config": format!("{config_hex}.json"), "RepoTags": tags, "Layers": paths}]);
            meta.push((
                "manifest.json".into(),
                serde_json::to_vec(&manifest).unwrap(),
            ));
        }
        Shape::Oci | Shape::OciNoManifest => {
            let mut descs = Vec::new();
            let mut paths = Vec::new();
            for l in &spec.layers {
                let blob = l.blob();
                let digest = sha256(&blob);
                let path = format!("blobs/sha256/{}", &digest[7..]);
                let media = match l.compress {
                    Compress::None => "application/vnd.oci.image.layer.v1.tar",
                    Compress::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
                    Compress::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
                };
                descs.push(
                    serde_json::json!({"mediaType": media, "digest": digest, "size": blob.len()}),
                );
                if !layer_members.iter().any(|(p, _)| *p == path) {
                    layer_members.push((path.clone(), blob));
                }
                paths.push(path);
            }
            let manifest = serde_json::to_vec(&serde_json::json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{config_hex}"), "size": config.len()},
                "layers": descs,
            }))
            .unwrap();
            let manifest_digest = sha256(&manifest);
            meta.push((format!("blobs/sha256/{config_hex}"), config));
            meta.push((
                format!("blobs/sha256/{}", &manifest_digest[7..]),
                manifest.clone(),
            ));
            let index = serde_json::json!({
                "schemaVersion": 2,
                "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest, "size": manifest.len(),
                    "annotations": {"io.containerd.image.name": tags.first().cloned().unwrap_or_default()}}],
            });
            meta.push(("index.json".into(), serde_json::to_vec(&index).unwrap()));
            meta.push((
                "oci-layout".into(),
                br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
            ));
            if spec.shape == Shape::Oci {
                let m = serde_json::json!([{"Config": format!("blobs/sha256/{config_hex}"), "RepoTags": tags, "Layers": paths}]);
                meta.push(("manifest.json".into(), serde_json::to_vec(&m).unwrap()));
            }
        }
    }
    let mut all = Vec::new();
    if spec.metadata_last {
        all.extend(layer_members);
        all.extend(meta);
    } else {
        all.extend(meta);
        all.extend(layer_members);
    }
    Members(all)
}

pub fn archive(spec: &ArchiveSpec) -> Vec<u8> {
    members(spec).tar()
}

// ---------------------------------------------------------------- reference model

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Dir,
    NonDir,
}

/// What a naive model says about one layer and about the image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelLayer {
    pub added: u64,
    pub modified: u64,
    pub removed: u64,
    pub entries: u64,
    pub size_bytes: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub layers: Vec<ModelLayer>,
    /// Every path (dirs too) after each layer: path -> (kind, size).
    pub fs_after: Vec<BTreeMap<Vec<u8>, (Kind, u64)>>,
    /// Paths layer k names in an entry (not whiteouts).
    pub named: Vec<BTreeSet<Vec<u8>>>,
    pub total_file_bytes: u64,
    pub visible_file_bytes: u64,
    pub visible_files: u64,
}

pub fn norm(p: &[u8]) -> Vec<u8> {
    let parts: Vec<&[u8]> = p
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .collect();
    parts.join(&b'/')
}

fn under(p: &[u8], dir: &[u8]) -> bool {
    if dir.is_empty() {
        return !p.is_empty(); // everything is beneath the root
    }
    p.len() > dir.len() && p.starts_with(dir) && p[dir.len()] == b'/'
}

fn visible(fs: &BTreeMap<Vec<u8>, (Kind, u64)>) -> BTreeSet<Vec<u8>> {
    fs.iter()
        .filter(|(_, (k, _))| *k == Kind::NonDir)
        .map(|(p, _)| p.clone())
        .collect()
}

/// Stacks the layers with a BTreeMap, re-scanning the whole map for every
/// change: slow and obviously matching the written rules.
pub fn model(layers: &[Layer]) -> Model {
    let mut fs: BTreeMap<Vec<u8>, (Kind, u64)> = BTreeMap::new();
    let mut m = Model::default();
    for layer in layers {
        let before = fs.clone();
        let mut ml = ModelLayer {
            entries: layer
                .ops
                .iter()
                .filter(|o| !matches!(o, Op::Whiteout(_) | Op::Opaque(_)))
                .count() as u64
                + u64::from(layer.root_entry),
            ..Default::default()
        };
        // 1. opaque directories hide what lower layers had beneath them
        for op in &layer.ops {
            if let Op::Opaque(d) = op {
                let d = norm(d);
                if d.is_empty() || before.get(&d).map(|v| v.0) == Some(Kind::Dir) {
                    fs.retain(|p, _| !under(p, &d));
                }
            }
        }
        // 2. whiteouts hide the path and everything beneath
        for op in &layer.ops {
            if let Op::Whiteout(w) = op {
                let w = norm(w);
                fs.retain(|p, _| *p != w && !under(p, &w));
            }
        }
        // 3. entries in order
        let mut named = BTreeSet::new();
        for op in &layer.ops {
            let (p, kind, size) = match op {
                Op::File(p, c) => (norm(p), Kind::NonDir, c.len() as u64),
                Op::Dir(p) => (norm(p), Kind::Dir, 0),
                Op::Symlink(p, _) | Op::Hardlink(p, _) => (norm(p), Kind::NonDir, 0),
                Op::Whiteout(_) | Op::Opaque(_) => continue,
            };
            ml.size_bytes += size;
            named.insert(p.clone());
            let comps: Vec<&[u8]> = p.split(|&b| b == b'/').collect();
            for i in 1..comps.len() {
                let anc = comps[..i].join(&b'/');
                if fs.get(&anc).map(|v| v.0) != Some(Kind::Dir) {
                    fs.insert(anc, (Kind::Dir, 0));
                }
            }
            if kind == Kind::NonDir {
                fs.retain(|q, _| !under(q, &p));
            }
            fs.insert(p, (kind, size));
        }
        let (vb, va) = (visible(&before), visible(&fs));
        ml.added = va.difference(&vb).count() as u64;
        ml.removed = vb.difference(&va).count() as u64;
        ml.modified = va.intersection(&vb).filter(|p| named.contains(*p)).count() as u64;
        m.total_file_bytes += ml.size_bytes;
        m.layers.push(ml);
        m.fs_after.push(fs.clone());
        m.named.push(named);
    }
    let last = visible(&fs);
    m.visible_files = last.len() as u64;
    m.visible_file_bytes = last.iter().map(|p| fs[p].1).sum();
    m
}

// ---------------------------------------------------------------- docker

/// True when a daemon answers. With CI=true a missing daemon is a failure
/// (the one rule of `common::skip`).
pub async fn docker_or_skip(test: &str) -> Option<bollard::Docker> {
    crate::common::skip::uses_docker();
    let attempt = async {
        let docker = bollard::Docker::connect_with_local_defaults().map_err(|e| e.to_string())?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| e.to_string())?;
        docker.ping().await.map_err(|e| e.to_string())?;
        Ok::<_, String>(docker)
    };
    let why = match tokio::time::timeout(std::time::Duration::from_secs(10), attempt).await {
        Ok(Ok(d)) => return Some(d),
        Ok(Err(e)) => e,
        Err(_) => "no answer in 10 s".to_string(),
    };
    crate::common::skip::missing("a Docker daemon", &format!("{test}: {why}"));
    None
}
