//! Image references (`[registry/]path[:tag][@digest]`), validated with the
//! grammar of distribution/reference before anything is sent: the daemon's
//! own message ("invalid reference format") does not say what is wrong.

use std::fmt;

/// Docker Hub as a registry host and as the key in `auths`/credential helpers.
pub const DOCKER_HUB_HOST: &str = "docker.io";
pub const DOCKER_HUB_AUTH_KEY: &str = "https://index.docker.io/v1/";
const MAX_NAME_LEN: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// `None` means Docker Hub.
    pub registry: Option<String>,
    /// `library/alpine`, `user/app`, `team/sub/app` (as written: Hub's
    /// implicit `library/` is not added).
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid image reference {reference:?}: {reason}")]
pub struct InvalidReference {
    pub reference: String,
    pub reason: String,
}

impl ImageRef {
    pub fn parse(reference: &str) -> Result<ImageRef, InvalidReference> {
        let fail = |reason: String| InvalidReference {
            reference: reference.to_string(),
            reason,
        };
        if reference.is_empty() {
            return Err(fail("it is empty".into()));
        }
        if let Some(c) = reference.chars().find(|c| c.is_whitespace()) {
            return Err(fail(format!("it contains whitespace ({c:?})")));
        }
        let (rest, digest) = match reference.split_once('@') {
            Some((rest, digest)) => {
                validate_digest(digest).map_err(&fail)?;
                (rest, Some(digest.to_string()))
            }
            None => (reference, None),
        };
        // A tag is after the last ':' that comes after the last '/', so a
        // registry port (localhost:5000/app) is not mistaken for one.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let split = last_slash + i;
                (&rest[..split], Some(&rest[split + 1..]))
            }
            None => (rest, None),
        };
        if let Some(tag) = tag {
            validate_tag(tag).map_err(&fail)?;
        }
        if name.is_empty() {
            return Err(fail("the repository name is empty".into()));
        }
        if name.len() > MAX_NAME_LEN {
            return Err(fail(format!(
                "the repository name is longer than {MAX_NAME_LEN} characters"
            )));
        }
        let (registry, path) = match name.split_once('/') {
            Some((first, rest)) if looks_like_registry(first) => {
                validate_registry(first).map_err(&fail)?;
                (Some(first.to_string()), rest)
            }
            _ => (None, name),
        };
        if path.is_empty() {
            return Err(fail(
                "the repository path after the registry is empty".into(),
            ));
        }
        for component in path.split('/') {
            validate_path_component(component).map_err(&fail)?;
        }
        Ok(ImageRef {
            registry,
            path: path.to_string(),
            tag: tag.map(str::to_string),
            digest,
        })
    }

    /// The registry host to contact (`docker.io` for Hub).
    pub fn registry_host(&self) -> &str {
        match self.registry.as_deref() {
            None | Some("index.docker.io") | Some("registry-1.docker.io") => DOCKER_HUB_HOST,
            Some(host) => host,
        }
    }

    pub fn is_docker_hub(&self) -> bool {
        self.registry_host() == DOCKER_HUB_HOST
    }

    /// The key under which the Docker CLI stores this registry's credentials.
    pub fn credential_key(&self) -> String {
        if self.is_docker_hub() {
            DOCKER_HUB_AUTH_KEY.to_string()
        } else {
            self.registry_host().to_string()
        }
    }

    /// The reference without tag or digest (`registry/path`, as written).
    pub fn repository(&self) -> String {
        match &self.registry {
            Some(r) => format!("{r}/{}", self.path),
            None => self.path.clone(),
        }
    }

    pub fn tag_or_latest(&self) -> &str {
        self.tag.as_deref().unwrap_or("latest")
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repository())?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// True for what the daemon accepts as an image id: full `sha256:<64 hex>`
/// or a hex prefix of it (what `docker images` shows).
pub fn is_image_id(s: &str) -> bool {
    let hex_part = s.strip_prefix("sha256:").unwrap_or(s);
    let max = 64;
    let min = if s.starts_with("sha256:") { 64 } else { 12 };
    (min..=max).contains(&hex_part.len())
        && hex_part
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Accept an image reference or an image id (for inspect/remove).
pub fn validate_ref_or_id(s: &str) -> Result<(), InvalidReference> {
    if is_image_id(s) {
        return Ok(());
    }
    ImageRef::parse(s).map(|_| ())
}

/// Distribution's rule: the first component is a registry when it has a
/// dot or a port, or is `localhost`; otherwise `user/app` would be ambiguous.
fn looks_like_registry(first: &str) -> bool {
    first.contains('.') || first.contains(':') || first == "localhost"
}

fn validate_registry(host_port: &str) -> Result<(), String> {
    let (host, port) = if let Some(rest) = host_port.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return Err(format!("registry {host_port:?} has an unclosed '['"));
        };
        if inside.is_empty() || !inside.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return Err(format!(
                "registry {host_port:?} is not a valid IPv6 address"
            ));
        }
        match after {
            "" => (None, None),
            p if p.starts_with(':') => (None, Some(&p[1..])),
            _ => return Err(format!("registry {host_port:?}: junk after ']'")),
        }
    } else {
        match host_port.split_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(host_port), None),
        }
    };
    if let Some(host) = host {
        if host.is_empty() {
            return Err(format!("registry {host_port:?} has an empty host"));
        }
        for label in host.split('.') {
            let ok = !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-');
            if !ok {
                return Err(format!(
                    "registry host {host:?} is not a valid host name (letters, digits, '-' and '.')"
                ));
            }
        }
    }
    if let Some(port) = port
        && (port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!("registry port {port:?} is not a number"));
    }
    Ok(())
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn validate_path_component(component: &str) -> Result<(), String> {
    if component.is_empty() {
        return Err("the name has an empty component (a '//' or a trailing '/')".into());
    }
    if component.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "repository names must be lowercase ({component:?} has capitals)"
        ));
    }
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return Err(format!(
            "{component:?} must start and end with a lowercase letter or digit"
        ));
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if alnum(b) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &component[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
        if !ok {
            return Err(format!(
                "{component:?} has {sep:?} where only '.', '_', '__' or dashes may separate letters and digits"
            ));
        }
    }
    Ok(())
}

/// `[\w][\w.-]{0,127}`
fn validate_tag(tag: &str) -> Result<(), String> {
    if tag.is_empty() {
        return Err("the tag after ':' is empty".into());
    }
    if tag.len() > 128 {
        return Err("the tag is longer than 128 characters".into());
    }
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut chars = tag.chars();
    let first_ok = chars.next().is_some_and(word);
    if !first_ok {
        return Err(format!(
            "tag {tag:?} must start with a letter, digit or '_'"
        ));
    }
    if let Some(bad) = tag.chars().find(|&c| !(word(c) || c == '.' || c == '-')) {
        return Err(format!(
            "tag {tag:?} contains {bad:?} (allowed: letters, digits, '_', '.', '-')"
        ));
    }
    Ok(())
}

fn validate_digest(digest: &str) -> Result<(), String> {
    let Some((algorithm, hex_part)) = digest.split_once(':') else {
        return Err(format!("digest {digest:?} must look like sha256:<hex>"));
    };
    let algo_ok = !algorithm.is_empty()
        && algorithm
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && algorithm
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_+.".contains(c));
    if !algo_ok {
        return Err(format!("digest algorithm {algorithm:?} is not valid"));
    }
    if hex_part.len() < 32 || !hex_part.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "digest {digest:?} must have at least 32 hex digits after ':'"
        ));
    }
    if algorithm == "sha256" && hex_part.len() != 64 {
        return Err(format!(
            "a sha256 digest has 64 hex digits, {digest:?} has {}",
            hex_part.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_references_parse_into_parts() {
        let r = ImageRef::parse("alpine:3.22").expect("valid");
        assert_eq!(r.registry, None);
        assert_eq!(r.path, "alpine");
        assert_eq!(r.tag.as_deref(), Some("3.22"));
        assert!(r.is_docker_hub());
        assert_eq!(r.credential_key(), DOCKER_HUB_AUTH_KEY);

        let r = ImageRef::parse("127.0.0.1:5000/student/nginx-alpine:v1").expect("valid");
        assert_eq!(r.registry.as_deref(), Some("127.0.0.1:5000"));
        assert_eq!(r.path, "student/nginx-alpine");
        assert_eq!(r.tag_or_latest(), "v1");
        assert_eq!(r.credential_key(), "127.0.0.1:5000");
        assert_eq!(r.repository(), "127.0.0.1:5000/student/nginx-alpine");

        let r = ImageRef::parse("localhost:5000/app").expect("valid");
        assert_eq!(r.registry.as_deref(), Some("localhost:5000"));
        assert_eq!(r.tag, None);
        assert_eq!(r.tag_or_latest(), "latest");

        let r = ImageRef::parse("docker.io/user/app:1.0-rc_2").expect("valid");
        assert!(r.is_docker_hub());
        assert_eq!(r.to_string(), "docker.io/user/app:1.0-rc_2");

        let digest = format!("sha256:{}", "a".repeat(64));
        let r = ImageRef::parse(&format!("user/app@{digest}")).expect("valid");
        assert_eq!(r.digest.as_deref(), Some(digest.as_str()));
        assert_eq!(r.path, "user/app");

        // A user name with dots-free first component is a path, not a registry.
        let r = ImageRef::parse("student/app").expect("valid");
        assert_eq!(r.registry, None);
        assert_eq!(r.path, "student/app");

        for ok in [
            "a",
            "a__b",
            "a---b",
            "a.b_c-d",
            "[::1]:5000/app",
            "ghcr.io/o/r/s:t",
        ] {
            ImageRef::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
    }

    #[test]
    fn invalid_references_say_what_is_wrong() {
        let cases = [
            ("", "empty"),
            ("MyImage", "lowercase"),
            ("user/MyApp:1", "lowercase"),
            ("app:", "tag after ':' is empty"),
            ("app:-x", "must start"),
            ("app:v1/2", "not a number"),
            ("app:v@1", "digest"),
            ("my app", "whitespace"),
            ("-app", "must start and end"),
            ("app-", "must start and end"),
            ("a..b", "\"..\""),
            ("a___b", "\"___\""),
            ("user//app", "empty component"),
            ("user/", "empty component"),
            ("myhost.com:abc/app", "not a number"),
            ("bad_host.com/app", "not a valid host name"),
            ("app@sha256:abc", "32 hex"),
        ];
        for (reference, needle) in cases {
            let err = ImageRef::parse(reference).expect_err(reference);
            let text = err.to_string();
            assert!(text.contains(needle), "{reference:?}: {text}");
            assert!(
                text.contains(&format!("{reference:?}")),
                "names input: {text}"
            );
        }
        let long = "a".repeat(256);
        assert!(ImageRef::parse(&long).is_err());
        let long_tag = format!("app:{}", "t".repeat(129));
        assert!(ImageRef::parse(&long_tag).is_err());
    }

    #[test]
    fn image_ids_are_recognised() {
        assert!(is_image_id(&format!(
            "sha256:{}",
            "0123456789abcdef".repeat(4)
        )));
        assert!(is_image_id("0123456789ab"));
        assert!(!is_image_id("0123456789"));
        assert!(!is_image_id("sha256:0123456789ab"));
        assert!(!is_image_id("alpine"));
        assert!(validate_ref_or_id("0123456789ab").is_ok());
        assert!(validate_ref_or_id("Alpine").is_err());
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,80}") {
            let _ = ImageRef::parse(&s);
        }

        #[test]
        fn display_round_trips(
            reg in proptest::option::of("[a-z]{1,8}\\.[a-z]{2,3}(:[0-9]{2,5})?"),
            path in "[a-z0-9]{1,6}(/[a-z0-9]{1,6}){0,2}",
            tag in proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}"),
        ) {
            let text = match (&reg, &tag) {
                (Some(r), Some(t)) => format!("{r}/{path}:{t}"),
                (Some(r), None) => format!("{r}/{path}"),
                (None, Some(t)) => format!("{path}:{t}"),
                (None, None) => path.clone(),
            };
            let parsed = ImageRef::parse(&text).expect("generated refs are valid");
            proptest::prop_assert_eq!(parsed.to_string(), text);
            proptest::prop_assert_eq!(parsed.registry, reg);
            proptest::prop_assert_eq!(parsed.tag, tag);
        }
    }
}
