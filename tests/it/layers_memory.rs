//! Peak memory of `layerlab layers --archive` stays under 256 MiB for the
//! hostile archives of issue 11 (defect 5), generated here on the fly:
//! sixty 64 MiB JSON members in a gzip-wrapped archive (5.9 GB before), and
//! a gzip layer of 12,000 entries with 200 KiB names (2.4 GB before).
//! Measured with `/usr/bin/time -f %M` (peak RSS of the binary, in KiB).

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

const LIMIT_KIB: u64 = 256 * 1024;

/// `len` bytes of one JSON document, made as they are read.
struct JsonFiller {
    len: u64,
    pos: u64,
}

impl Read for JsonFiller {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.len - self.pos;
        let n = (buf.len() as u64).min(left) as usize;
        // Bulk fill (a byte loop is slow in a debug build), then the frame.
        buf[..n].fill(b'x');
        for (at, byte) in [
            (0, b'{'),
            (1, b'"'),
            (2, b'a'),
            (3, b'"'),
            (4, b':'),
            (5, b'"'),
            (self.len - 2, b'"'),
            (self.len - 1, b'}'),
        ] {
            if (self.pos..self.pos + n as u64).contains(&at) {
                buf[(at - self.pos) as usize] = byte;
            }
        }
        self.pos += n as u64;
        Ok(n)
    }
}

fn header(size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mode(0o644);
    h.set_size(size);
    h.set_mtime(1_700_000_000);
    h
}

/// Peak RSS (KiB), exit success and output of `layerlab layers --json --archive FILE`.
fn measure(archive: &Path) -> Option<(u64, bool, String)> {
    if !Path::new("/usr/bin/time").exists() {
        crate::common::missing("/usr/bin/time", "install it: apt-get install -y time");
        return None;
    }
    let out = assert_cmd::Command::new("/usr/bin/time")
        .args(["-f", "peak-rss-kib %M"])
        .arg(env!("CARGO_BIN_EXE_layerlab"))
        .args(["layers", "--json", "--lang", "en", "--archive"])
        .arg(archive)
        .timeout(Duration::from_secs(240))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let rss = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("peak-rss-kib "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in: {stderr}"));
    // The figure for docs/layers.md.
    eprintln!("{}: peak RSS {rss} KiB", archive.display());
    Some((rss, out.status.success(), stderr))
}

#[test]
fn sixty_64_mib_json_members_stay_under_256_mib() {
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("json-bomb.tar.gz");
    {
        let file = std::fs::File::create(&archive).expect("create");
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut builder = tar::Builder::new(gz);
        for i in 0..60 {
            let len = 64 * 1024 * 1024;
            let mut h = header(len);
            builder
                .append_data(&mut h, format!("blob{i}.json"), JsonFiller { len, pos: 0 })
                .expect("append");
        }
        builder
            .into_inner()
            .expect("tar")
            .finish()
            .expect("gzip")
            .flush()
            .expect("flush");
    }
    let Some((rss, ok, stderr)) = measure(&archive) else {
        return;
    };
    assert!(!ok, "no image in it, so it fails: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(rss < LIMIT_KIB, "peak RSS {rss} KiB: {stderr}");
}

#[test]
fn json_members_under_the_member_cap_hit_the_total_cap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("json-many.tar");
    {
        let file = std::fs::File::create(&archive).expect("create");
        let mut builder = tar::Builder::new(file);
        // 40 × 15 MiB: each under the per-member cap, 600 MiB together.
        for i in 0..40 {
            let len = 15 * 1024 * 1024;
            let mut h = header(len);
            builder
                .append_data(&mut h, format!("blob{i}.json"), JsonFiller { len, pos: 0 })
                .expect("append");
        }
        builder.into_inner().expect("tar").flush().expect("flush");
    }
    let Some((rss, ok, stderr)) = measure(&archive) else {
        return;
    };
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("over 64 MiB in total"), "{stderr}");
    assert!(rss < LIMIT_KIB, "peak RSS {rss} KiB: {stderr}");
}

#[test]
fn twelve_thousand_200_kib_names_stay_under_256_mib() {
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("names.tar");
    // The layer: gzip of a tar whose entries have 200 KiB names (GNU long names).
    let mut layer = Vec::new();
    {
        let gz = flate2::write::GzEncoder::new(&mut layer, flate2::Compression::fast());
        let mut builder = tar::Builder::new(gz);
        let long = "a".repeat(200 * 1024);
        for i in 0..12_000 {
            let mut h = header(0);
            builder
                .append_data(&mut h, format!("d{i}/{long}"), std::io::empty())
                .expect("append");
        }
        builder.into_inner().expect("tar").finish().expect("gzip");
    }
    {
        let file = std::fs::File::create(&archive).expect("create");
        let mut builder = tar::Builder::new(file);
        let mut h = header(layer.len() as u64);
        builder
            .append_data(&mut h, "layer/layer.tar", &layer[..])
            .expect("append");
        let manifest = br#"[{"Config":"c.json","RepoTags":["x:1"],"Layers":["layer/layer.tar"]}]"#;
        let mut h = header(manifest.len() as u64);
        builder
            .append_data(&mut h, "manifest.json", &manifest[..])
            .expect("append");
        builder.into_inner().expect("tar").flush().expect("flush");
    }
    let Some((rss, ok, stderr)) = measure(&archive) else {
        return;
    };
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("longer than Linux allows"), "{stderr}");
    assert!(rss < LIMIT_KIB, "peak RSS {rss} KiB: {stderr}");
}
