//! Sorting a registry failure by its structure, not by substrings.
//!
//! The daemon passes the registry's error as text (inside a 200 OK progress
//! stream, or as a refusal). That text has structure we can read:
//!
//! * the registry's error codes (distribution's `errcode`), which the daemon
//!   prints lower-cased with `_` as a space, as a whole `: `-separated
//!   segment: `unauthorized: authentication required`, `denied: requested
//!   access…`, `name unknown: …`, `manifest unknown: …`,
//!   `insufficient_scope: authorization failed`; or as JSON
//!   `{"code":"UNAUTHORIZED"}` when a body is quoted;
//! * an HTTP status with its reason phrase (`401 Unauthorized`) or after
//!   `status code` — never bare digits, which also occur inside sha256
//!   digests (`…sha256:4015…`);
//! * the daemon's own fixed sentences (`push access denied, repository
//!   does not exist or may require authorization`, `no basic auth
//!   credentials`), matched as whole phrases;
//! * transport failures from Go's net package (`connect: connection
//!   refused`, `no such host`, `i/o timeout`).
//!
//! Transport is decided first (a refused connection has no registry
//! answer at all, whatever digits its URL holds), then authentication
//! (Docker Hub answers "denied" for a repository that does not exist, so a
//! login is the useful offer), then "not found".

use std::sync::LazyLock;

use regex::Regex;

/// What the registry's answer means for the learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryClass {
    /// Nothing answered: connection refused (registry not running).
    Down,
    /// Something in between failed: DNS, timeout, TLS, an HTTP answer to HTTPS.
    Unreachable,
    /// No credentials were sent (or the registry wants a login).
    LoginRequired,
    /// Credentials were sent and refused.
    Refused,
    NotFound,
    Other,
}

/// Error codes of the distribution spec, as the daemon prints them.
const AUTH_CODES: &[&str] = &["unauthorized", "insufficient_scope", "insufficient scope"];
const DENIED_CODES: &[&str] = &["denied"];
const NOT_FOUND_CODES: &[&str] = &["name unknown", "manifest unknown", "blob unknown"];

const LOGIN_PHRASES: &[&str] = &[
    "no basic auth credentials",
    "push access denied",
    "pull access denied",
    "may require authorization",
    "may require 'docker login'",
    "authentication required",
];
const REFUSED_PHRASES: &[&str] = &[
    "incorrect username or password",
    "invalid username/password",
];
const DOWN_PHRASES: &[&str] = &["connect: connection refused", "connection refused"];
const UNREACHABLE_PHRASES: &[&str] = &[
    "no such host",
    "i/o timeout",
    "no route to host",
    "network is unreachable",
    "server gave http response to https client",
    "connection reset by peer",
    "tls: ",
    "x509: ",
    "context deadline exceeded",
    "timeout awaiting response headers",
];

static STATUS: LazyLock<Regex> = LazyLock::new(|| {
    // "401 Unauthorized", "status code 401", "status: 404", "HTTP status 403".
    Regex::new(
        r"(?i)(?:\b(\d{3}) (unauthorized|forbidden|not found|too many requests)\b)|(?:status(?: code)?:? (\d{3})\b)",
    )
    .expect("valid regex")
});

static JSON_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""code"\s*:\s*"([A-Z_]+)""#).expect("valid regex"));

/// The `: `-separated segments of a Go error chain, trimmed, lower-cased.
fn segments(message: &str) -> Vec<String> {
    message
        .split(['\n', ','])
        .flat_map(|line| line.split(": "))
        .map(|s| s.trim().trim_end_matches(':').to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

fn http_statuses(message: &str) -> Vec<u16> {
    STATUS
        .captures_iter(message)
        .filter_map(|c| c.get(1).or(c.get(3)))
        .filter_map(|m| m.as_str().parse().ok())
        .collect()
}

pub fn classify(message: &str, sent_credentials: bool) -> RegistryClass {
    let lower = message.to_ascii_lowercase();
    let phrase = |list: &[&str]| list.iter().any(|p| lower.contains(p));
    let segs = segments(message);
    let code = |list: &[&str]| segs.iter().any(|s| list.contains(&s.as_str()));
    let json_codes: Vec<String> = JSON_CODE
        .captures_iter(message)
        .map(|c| c[1].to_ascii_lowercase().replace('_', " "))
        .collect();
    let json = |list: &[&str]| {
        json_codes
            .iter()
            .any(|c| list.iter().any(|l| l.replace('_', " ") == *c))
    };
    let statuses = http_statuses(message);
    let status = |s: u16| statuses.contains(&s);

    if phrase(DOWN_PHRASES) {
        return RegistryClass::Down;
    }
    if phrase(UNREACHABLE_PHRASES) || segs.last().is_some_and(|s| s == "eof") {
        return RegistryClass::Unreachable;
    }
    if phrase(REFUSED_PHRASES) {
        return RegistryClass::Refused;
    }
    let auth = code(AUTH_CODES)
        || code(DENIED_CODES)
        || json(AUTH_CODES)
        || json(DENIED_CODES)
        || phrase(LOGIN_PHRASES)
        || status(401)
        || status(403);
    if auth {
        return if sent_credentials && !phrase(&["no basic auth credentials"]) {
            RegistryClass::Refused
        } else {
            RegistryClass::LoginRequired
        };
    }
    if code(NOT_FOUND_CODES)
        || json(NOT_FOUND_CODES)
        || status(404)
        || segs.last().is_some_and(|s| s == "not found")
        || phrase(&["repository name not known to registry"])
    {
        return RegistryClass::NotFound;
    }
    RegistryClass::Other
}

#[cfg(test)]
mod tests {
    use super::RegistryClass::*;
    use super::*;

    /// Texts as Docker Engine 20.10 (API 1.41) and 28 (containerd store)
    /// print them, with whether credentials were sent.
    #[test]
    fn real_daemon_messages() {
        let cases: &[(&str, bool, RegistryClass)] = &[
            // 20.10, push to a basic-auth registry with no stored login
            ("no basic auth credentials", false, LoginRequired),
            // 20.10 and 28, Docker Hub / a token registry, no login
            (
                "push access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed",
                false,
                LoginRequired,
            ),
            (
                "denied: requested access to the resource is denied",
                false,
                LoginRequired,
            ),
            // wrong password
            ("unauthorized: authentication required", true, Refused),
            (
                "unauthorized: incorrect username or password",
                true,
                Refused,
            ),
            // 28 (containerd pusher), a digest full of digits, a real 401
            (
                "failed to authorize: failed to fetch anonymous token: unexpected status from GET request to http://127.0.0.1:5001/token: 401 Unauthorized",
                false,
                LoginRequired,
            ),
            (
                "unexpected status from HEAD request to http://127.0.0.1:5001/v2/a/blobs/sha256:4015401f0a4014010401401a401b401c401d401e401f4014014014014014: 401 Unauthorized",
                false,
                LoginRequired,
            ),
            // the registry is down: digits "401" inside the digest must not matter
            (
                "Get \"http://127.0.0.1:5999/v2/\": dial tcp 127.0.0.1:5999: connect: connection refused",
                false,
                Down,
            ),
            (
                "failed to do request: Head \"http://127.0.0.1:5999/v2/a/blobs/sha256:401401401401401401401401401401401401401401401401401401401401abcd\": dial tcp 127.0.0.1:5999: connect: connection refused",
                true,
                Down,
            ),
            (
                "Get \"https://127.0.0.1:5000/v2/\": http: server gave HTTP response to HTTPS client",
                false,
                Unreachable,
            ),
            (
                "Get \"https://registry.invalid/v2/\": dial tcp: lookup registry.invalid: no such host",
                false,
                Unreachable,
            ),
            (
                "Put \"http://127.0.0.1:5000/v2/a/blobs/uploads/x\": EOF",
                false,
                Unreachable,
            ),
            // not found
            (
                "manifest for 127.0.0.1:5000/a:1 not found: manifest unknown: manifest unknown",
                false,
                NotFound,
            ),
            // 28 (containerd store) pulling a tag that is not there
            ("127.0.0.1:5000/nosuch:1: not found", false, NotFound),
            (
                "name unknown: repository name not known to registry",
                false,
                NotFound,
            ),
            (
                r#"unexpected status code 404 Not Found: {"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#,
                false,
                NotFound,
            ),
            (
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
                false,
                LoginRequired,
            ),
            // an image named like a status is not a status
            ("blob upload invalid: sha256:401 not a digest", false, Other),
            ("something odd", false, Other),
        ];
        for (message, sent, want) in cases {
            assert_eq!(classify(message, *sent), *want, "{message}");
        }
    }
}
