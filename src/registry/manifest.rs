//! Manifests, manifest lists (indexes) and image configs as the
//! distribution spec and Docker's v2 schema 2 define them: only the fields
//! the readers use, unknown fields ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// The `Accept` header of a manifest request: every type we can read.
pub const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
/// BuildKit's provenance / SBOM entries in an index carry this annotation.
pub const REFERENCE_TYPE_ANNOTATION: &str = "vnd.docker.reference.type";
pub const ATTESTATION: &str = "attestation-manifest";

/// A content descriptor (layer, config, or an index entry).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub platform: Option<Platform>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub urls: Vec<String>,
}

impl Descriptor {
    pub fn is_attestation(&self) -> bool {
        self.annotations
            .get(REFERENCE_TYPE_ANNOTATION)
            .is_some_and(|v| v == ATTESTATION)
    }
}

/// `os/architecture[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Platform {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl Platform {
    pub fn linux_amd64() -> Platform {
        Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        }
    }

    /// `linux/arm64/v8`, `linux/amd64`, or `arm64` (linux assumed).
    pub fn parse(text: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = text.split('/').collect();
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        let (os, architecture, variant) = match parts.as_slice() {
            [arch] => ("linux", *arch, None),
            [os, arch] => (*os, *arch, None),
            [os, arch, variant] => (*os, *arch, Some(*variant)),
            _ => return Err(format!("{text:?} is not OS/ARCH[/VARIANT]")),
        };
        if !valid(os) || !valid(architecture) || !variant.is_none_or(valid) {
            return Err(format!("{text:?} is not OS/ARCH[/VARIANT]"));
        }
        Ok(Platform {
            os: os.to_ascii_lowercase(),
            architecture: architecture.to_ascii_lowercase(),
            variant: variant.map(str::to_ascii_lowercase),
        })
    }

    /// Whether an index entry's platform is this one. A variant is compared
    /// only when both name one (`linux/arm64` matches `linux/arm64/v8`).
    pub fn matches(&self, other: &Platform) -> bool {
        self.os == other.os
            && self.architecture == other.architecture
            && match (&self.variant, &other.variant) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// An image manifest or an index, told apart by `mediaType` (or, when a
/// registry leaves it out, by which of `manifests` / `layers` is present).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawManifest {
    #[serde(default)]
    pub schema_version: Option<u32>,
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub config: Option<Descriptor>,
    #[serde(default)]
    pub layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    pub manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    pub artifact_type: Option<String>,
}

pub enum Parsed {
    Index(Vec<Descriptor>),
    Image {
        config: Descriptor,
        layers: Vec<Descriptor>,
    },
}

impl RawManifest {
    /// `content_type` is the response's Content-Type (a fallback for `mediaType`).
    pub fn classify(self, content_type: Option<&str>) -> Result<Parsed, String> {
        let media_type = self
            .media_type
            .clone()
            .or_else(|| content_type.map(|c| c.split(';').next().unwrap_or("").trim().to_string()))
            .unwrap_or_default();
        if self.schema_version == Some(1)
            || media_type.starts_with("application/vnd.docker.distribution.manifest.v1")
        {
            return Err("Docker image manifest schema 1 (obsolete; push the image again with a current Docker)".into());
        }
        match media_type.as_str() {
            OCI_INDEX | DOCKER_LIST => {
                return Ok(Parsed::Index(self.manifests.unwrap_or_default()));
            }
            OCI_MANIFEST | DOCKER_MANIFEST => {}
            _ if self.manifests.is_some() => {
                return Ok(Parsed::Index(self.manifests.unwrap_or_default()));
            }
            _ if self.layers.is_some() && self.config.is_some() => {}
            other => return Err(format!("unknown manifest type {other:?}")),
        }
        let config = self
            .config
            .ok_or_else(|| "the manifest has no config".to_string())?;
        if let Some(artifact) = &self.artifact_type {
            return Err(format!("an OCI artifact of type {artifact:?}"));
        }
        if config.media_type != OCI_CONFIG && config.media_type != DOCKER_CONFIG {
            return Err(format!(
                "its config has type {:?} (an artifact, not an image)",
                config.media_type
            ));
        }
        Ok(Parsed::Image {
            config,
            layers: self.layers.unwrap_or_default(),
        })
    }
}

/// Picks the entry for `wanted`, skipping attestations and unknown/unknown.
pub fn select_platform<'a>(
    entries: &'a [Descriptor],
    wanted: &Platform,
) -> Result<&'a Descriptor, String> {
    let candidates = || {
        entries
            .iter()
            .filter(|d| !d.is_attestation())
            .filter(|d| d.platform.as_ref().is_some_and(|p| p.os != "unknown"))
    };
    candidates()
        .find(|d| d.platform.as_ref().is_some_and(|p| wanted.matches(p)))
        .ok_or_else(|| {
            let available: Vec<String> = candidates()
                .filter_map(|d| d.platform.as_ref().map(|p| p.to_string()))
                .collect();
            if available.is_empty() {
                "none".to_string()
            } else {
                available.join(", ")
            }
        })
}

/// The image config: what the image runs and how its layers add up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImageConfig {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    pub cmd: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub env: Vec<String>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub exposed_ports: Vec<String>,
    pub history: Vec<History>,
    /// Uncompressed layer digests, base first.
    pub diff_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub empty_layer: bool,
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default)]
    config: Option<RawRunConfig>,
    #[serde(default)]
    history: Vec<History>,
    #[serde(default)]
    rootfs: Option<RawRootfs>,
}

#[derive(Deserialize, Default)]
struct RawRunConfig {
    #[serde(rename = "Cmd", default)]
    cmd: Option<Vec<String>>,
    #[serde(rename = "Entrypoint", default)]
    entrypoint: Option<Vec<String>>,
    #[serde(rename = "Env", default)]
    env: Option<Vec<String>>,
    #[serde(rename = "WorkingDir", default)]
    working_dir: Option<String>,
    #[serde(rename = "User", default)]
    user: Option<String>,
    #[serde(rename = "Labels", default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "ExposedPorts", default)]
    exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct RawRootfs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

impl ImageConfig {
    pub fn parse(bytes: &[u8]) -> Result<ImageConfig, String> {
        let raw: RawConfig =
            serde_json::from_slice(bytes).map_err(|e| format!("the image config: {e}"))?;
        let run = raw.config.unwrap_or_default();
        Ok(ImageConfig {
            os: raw.os,
            architecture: raw.architecture,
            variant: raw.variant,
            cmd: run.cmd,
            entrypoint: run.entrypoint,
            env: run.env.unwrap_or_default(),
            working_dir: run.working_dir.filter(|w| !w.is_empty()),
            user: run.user.filter(|u| !u.is_empty()),
            labels: run.labels.unwrap_or_default(),
            exposed_ports: run
                .exposed_ports
                .map(|p| p.into_keys().collect())
                .unwrap_or_default(),
            history: raw.history,
            diff_ids: raw.rootfs.map(|r| r.diff_ids).unwrap_or_default(),
        })
    }

    /// ENTRYPOINT followed by CMD: the process a container starts.
    pub fn command_line(&self) -> Vec<String> {
        let mut argv = self.entrypoint.clone().unwrap_or_default();
        argv.extend(self.cmd.clone().unwrap_or_default());
        argv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(digest: &str, os: &str, arch: &str, attestation: bool) -> Descriptor {
        let mut annotations = BTreeMap::new();
        if attestation {
            annotations.insert(REFERENCE_TYPE_ANNOTATION.into(), ATTESTATION.into());
        }
        Descriptor {
            media_type: OCI_MANIFEST.into(),
            digest: digest.into(),
            size: 1,
            platform: Some(Platform {
                os: os.into(),
                architecture: arch.into(),
                variant: None,
            }),
            annotations,
            urls: vec![],
        }
    }

    #[test]
    fn index_selection_skips_attestations_and_names_what_exists() {
        let entries = vec![
            entry("sha256:att", "unknown", "unknown", true),
            entry("sha256:arm", "linux", "arm64", false),
            entry("sha256:amd", "linux", "amd64", false),
        ];
        let picked = select_platform(&entries, &Platform::linux_amd64()).expect("amd64");
        assert_eq!(picked.digest, "sha256:amd");
        let arm = Platform::parse("linux/arm64/v8").expect("valid");
        assert_eq!(
            select_platform(&entries, &arm).expect("arm").digest,
            "sha256:arm"
        );
        let missing = select_platform(&entries, &Platform::parse("s390x").expect("valid"))
            .expect_err("absent");
        assert_eq!(missing, "linux/arm64, linux/amd64");
        // An attestation that claims a real platform is still skipped.
        let sneaky = vec![entry("sha256:att", "linux", "amd64", true)];
        assert!(select_platform(&sneaky, &Platform::linux_amd64()).is_err());
    }

    #[test]
    fn platforms_parse_strictly() {
        assert_eq!(
            Platform::parse("linux/amd64").expect("ok"),
            Platform::linux_amd64()
        );
        assert_eq!(Platform::parse("amd64").expect("ok").os, "linux");
        for bad in ["", "linux/", "a/b/c/d", "linux/am d64"] {
            assert!(Platform::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn manifests_are_classified() {
        let image: RawManifest = serde_json::from_str(&format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","config":{{"mediaType":"{DOCKER_CONFIG}","digest":"sha256:c","size":2}},"layers":[{{"mediaType":"x","digest":"sha256:l","size":3}}]}}"#
        ))
        .expect("json");
        assert!(
            matches!(image.classify(None), Ok(Parsed::Image { layers, .. }) if layers.len() == 1)
        );
        let artifact: RawManifest = serde_json::from_str(&format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"sha256:c","size":2}},"layers":[]}}"#
        ))
        .expect("json");
        let err = artifact.classify(None).err().expect("not an image");
        assert!(err.contains("helm"), "{err}");
        let v1: RawManifest =
            serde_json::from_str(r#"{"schemaVersion":1,"fsLayers":[]}"#).expect("json");
        assert!(v1.classify(None).err().expect("old").contains("schema 1"));
        let index: RawManifest =
            serde_json::from_str(r#"{"schemaVersion":2,"manifests":[]}"#).expect("json");
        assert!(matches!(
            index.classify(Some(OCI_INDEX)),
            Ok(Parsed::Index(_))
        ));
    }

    #[test]
    fn config_fields_are_read() {
        let config = ImageConfig::parse(
            br#"{"os":"linux","architecture":"amd64","config":{"Entrypoint":["/e"],"Cmd":["nginx","-g","daemon off;"],"Labels":{"a":"b"},"ExposedPorts":{"80/tcp":{}}},"history":[{"created_by":"RUN x"},{"created_by":"CMD","empty_layer":true}],"rootfs":{"type":"layers","diff_ids":["sha256:1"]}}"#,
        )
        .expect("valid");
        assert_eq!(config.command_line(), ["/e", "nginx", "-g", "daemon off;"]);
        assert_eq!(config.labels["a"], "b");
        assert_eq!(config.exposed_ports, ["80/tcp"]);
        assert_eq!(config.diff_ids, ["sha256:1"]);
        assert!(config.history[1].empty_layer);
        assert!(ImageConfig::parse(b"[1]").is_err());
    }
}
