//! The learner's standing choices, so they need not be typed on every run:
//! `DATA_DIR/config.json` with `base_image`, `registry` and `image`. The
//! command line wins over the file, the file over the pack's defaults.
//!
//! JSON rather than TOML: serde_json is already a dependency, and the file
//! has three keys.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::docker::reference::ImageRef;
use crate::i18n::Lang;
use crate::t;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The base the lessons build FROM (a mirror, or an image loaded from a file).
    pub base_image: Option<String>,
    /// Where the push lesson pushes, e.g. `docker.io/USER` or `127.0.0.1:5000/USER`.
    pub registry: Option<String>,
    /// The learner's image name.
    pub image: Option<String>,
}

pub fn config_file() -> PathBuf {
    crate::paths::data_dir().join("config.json")
}

impl Settings {
    /// The file at `path`; a missing file is no settings. A file that cannot
    /// be read or parsed is an error naming FILE:LINE:COL, never ignored:
    /// a silently dropped registry would push somewhere else.
    pub fn load(path: &Path) -> Result<Settings, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        const EXPECTED: &str =
            "expected {\"base_image\": \"REF\", \"registry\": \"HOST/USER\", \"image\": \"REF\"}";
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        // serde reads a struct from an array too (`[]` gave every default,
        // silently): the file must be an object.
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            format!(
                "{}:{}:{}: {e} ({EXPECTED})",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if !value.is_object() {
            let at = text.len() - text.trim_start().len();
            let line = text[..at].matches('\n').count() + 1;
            let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
            let found = match value {
                serde_json::Value::Array(_) => "an array",
                serde_json::Value::String(_) => "a string",
                serde_json::Value::Number(_) => "a number",
                serde_json::Value::Bool(_) => "true/false",
                _ => "null",
            };
            return Err(format!(
                "{}:{line}:{column}: the settings must be a JSON object, found {found} ({EXPECTED})",
                path.display()
            ));
        }
        serde_json::from_str(text).map_err(|e| {
            format!(
                "{}:{}:{}: {e} ({EXPECTED})",
                path.display(),
                e.line(),
                e.column()
            )
        })
    }

    /// Like [`Settings::validate`] for the values read from the file at
    /// `path`: a bad one is blamed on the file and its key, not on a
    /// command-line flag the learner never typed.
    pub fn validate_file(&self, path: &Path, lang: Lang) -> Result<(), String> {
        let shown = path.display();
        for (key, value) in [("base_image", &self.base_image), ("image", &self.image)] {
            if let Some(value) = value {
                check_reference(&format!("{shown}: \"{key}\""), value, lang)?;
            }
        }
        if let Some(registry) = &self.registry {
            let only = Settings {
                registry: Some(registry.clone()),
                ..Settings::default()
            };
            only.validate(lang).map_err(|e| {
                format!(
                    "{shown}: \"registry\": {}",
                    e.trim_start_matches("--registry ")
                )
            })?;
        }
        Ok(())
    }

    /// `self` with each value the command line gave replacing the file's.
    pub fn overridden_by(self, command_line: Settings) -> Settings {
        Settings {
            base_image: command_line.base_image.or(self.base_image),
            registry: command_line.registry.or(self.registry),
            image: command_line.image.or(self.image),
        }
    }

    /// Every value is checked before anything is sent to the daemon, so a
    /// typo is reported as such and not as a daemon error half-way through.
    pub fn validate(&self, lang: Lang) -> Result<(), String> {
        for (what, value) in [("--base-image", &self.base_image), ("--image", &self.image)] {
            if let Some(value) = value {
                check_reference(what, value, lang)?;
            }
        }
        if let Some(registry) = &self.registry {
            // The push lesson appends a repository and a tag to it.
            let example = format!("{}/nginx-alpine:1.0", registry.trim_end_matches('/'));
            check_reference("--registry", &example, lang).map_err(|_| {
                format!(
                    "--registry {registry:?}: {} docker.io/USER, 127.0.0.1:5000/USER",
                    t!(
                        "это не адрес реестра; примеры:",
                        "is not a registry address; for example"
                    )
                    .get(lang)
                )
            })?;
        }
        Ok(())
    }
}

fn check_reference(what: &str, value: &str, lang: Lang) -> Result<(), String> {
    ImageRef::parse(value).map(|_| ()).map_err(|e| {
        let error = crate::docker::error::DockerError::InvalidReference(e);
        format!("{what}: {}", error.render(lang))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_wins_over_the_file() {
        let file = Settings {
            base_image: Some("mirror.gcr.io/library/alpine:3.22".into()),
            registry: Some("127.0.0.1:5000/anna".into()),
            image: None,
        };
        let merged = file.overridden_by(Settings {
            registry: Some("docker.io/anna".into()),
            ..Settings::default()
        });
        assert_eq!(
            merged.base_image.as_deref(),
            Some("mirror.gcr.io/library/alpine:3.22")
        );
        assert_eq!(merged.registry.as_deref(), Some("docker.io/anna"));
        assert_eq!(merged.image, None);
    }

    #[test]
    fn a_broken_file_is_reported_with_its_position() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.json");
        std::fs::write(&path, "{\n  \"registry\": 5\n}").expect("write");
        let error = Settings::load(&path).expect_err("a number is no registry");
        assert!(error.contains("config.json:2:"), "{error}");
        std::fs::write(&path, "{\"regsitry\": \"x\"}").expect("write");
        let error = Settings::load(&path).expect_err("a misspelt key");
        assert!(error.contains("regsitry"), "{error}");
        assert_eq!(
            Settings::load(&dir.path().join("absent.json")),
            Ok(Settings::default())
        );
    }

    #[test]
    fn a_file_that_is_not_an_object_or_names_a_bad_image_is_blamed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.json");
        // Issue 11: `[]` was accepted silently.
        std::fs::write(&path, "\n  []\n").expect("write");
        let error = Settings::load(&path).expect_err("an array is no settings");
        assert!(
            error.contains("config.json:2:3: the settings must be a JSON object, found an array"),
            "{error}"
        );
        // Issue 11: a bad image here was blamed on `--image`.
        std::fs::write(&path, "{\"image\": \"Bad Name\"}").expect("write");
        let file = Settings::load(&path).expect("parses");
        let error = file.validate_file(&path, Lang::En).expect_err("bad name");
        assert!(
            error.starts_with(&format!("{}: \"image\":", path.display()))
                && !error.contains("--image"),
            "{error}"
        );
    }

    #[test]
    fn bad_names_are_caught_before_the_daemon_sees_them() {
        let bad = Settings {
            image: Some("Bad Name".into()),
            ..Settings::default()
        };
        let error = bad.validate(Lang::En).expect_err("spaces and capitals");
        assert!(
            error.starts_with("--image:") && error.contains("Bad Name"),
            "{error}"
        );
        let bad_registry = Settings {
            registry: Some("http://127.0.0.1:5000".into()),
            ..Settings::default()
        };
        assert!(bad_registry.validate(Lang::Ru).is_err());
        let good = Settings {
            base_image: Some("mirror.gcr.io/library/alpine:3.22".into()),
            registry: Some("127.0.0.1:5000/anna/".into()),
            image: Some("anna/site:1.0".into()),
        };
        assert_eq!(good.validate(Lang::En), Ok(()));
    }
}
