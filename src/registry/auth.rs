//! Registry authentication: the `WWW-Authenticate` challenge of a 401, and
//! the token flow of the distribution spec (Bearer realm/service/scope,
//! basic credentials or a refresh token sent to the realm). Tokens and
//! passwords are kept in memory only and never formatted into messages.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde::Deserialize;

use crate::docker::Credentials;

/// A parsed `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// `Basic realm="x"` or `Bearer realm="https://...",service="...",scope="..."`.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header
        .split_once(char::is_whitespace)
        .unwrap_or((header, ""));
    let params = parse_params(rest);
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if scheme.eq_ignore_ascii_case("bearer") {
        let realm = params.get("realm")?.clone();
        return Some(Challenge::Bearer {
            realm,
            service: params.get("service").cloned(),
            scope: params.get("scope").cloned(),
        });
    }
    None
}

/// `key=value` or `key="quoted, value"` pairs separated by commas.
fn parse_params(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                value.push(n);
                            }
                        }
                        '"' => break,
                        c => value.push(c),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ',' {
                        break;
                    }
                    value.push(c);
                    chars.next();
                }
            }
        }
        out.insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    out
}

/// The `Authorization` value to send. No Debug of the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthHeader(pub String);

impl fmt::Debug for AuthHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = self.0.split(' ').next().unwrap_or("");
        write!(f, "AuthHeader({scheme} <redacted>)")
    }
}

pub fn basic_header(credentials: &Credentials) -> Option<AuthHeader> {
    match credentials {
        Credentials::Password { username, password } => {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
            Some(AuthHeader(format!("Basic {encoded}")))
        }
        Credentials::IdentityToken(_) => None,
    }
}

/// The token endpoint's answer (`token` or the OAuth2 `access_token`).
#[derive(Deserialize)]
pub struct TokenAnswer {
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

impl TokenAnswer {
    pub fn token(self) -> Option<String> {
        self.token
            .filter(|t| !t.is_empty())
            .or(self.access_token.filter(|t| !t.is_empty()))
    }
}

/// The query (or form) for the token request.
pub fn token_query(service: Option<&str>, scope: &str) -> String {
    let mut query = String::new();
    if let Some(service) = service {
        query.push_str("service=");
        query.push_str(&encode(service));
        query.push('&');
    }
    query.push_str("scope=");
    query.push_str(&encode(scope));
    query
}

/// Percent-encoding of everything outside RFC 3986's unreserved set.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/alpine:pull".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="layerlab-test""#),
            Some(Challenge::Basic)
        );
        // A comma inside quotes belongs to the value.
        assert_eq!(
            parse_challenge(r#"bearer realm="https://a/t",scope="repository:x:pull,push""#),
            Some(Challenge::Bearer {
                realm: "https://a/t".into(),
                service: None,
                scope: Some("repository:x:pull,push".into()),
            })
        );
        assert_eq!(parse_challenge("Bearer service=x"), None, "no realm");
        assert_eq!(parse_challenge("Negotiate"), None);
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let header = basic_header(&Credentials::password("u", "hunter2")).expect("basic");
        assert!(!format!("{header:?}").contains("aHVudGVy"));
        assert!(format!("{header:?}").contains("Basic"));
        assert!(basic_header(&Credentials::IdentityToken("t".into())).is_none());
    }

    #[test]
    fn query_is_encoded() {
        assert_eq!(
            token_query(Some("registry.docker.io"), "repository:a/b:pull"),
            "service=registry.docker.io&scope=repository%3Aa%2Fb%3Apull"
        );
    }
}
