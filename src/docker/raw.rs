//! Push and pull spoken directly to the daemon over its socket. bollard's
//! push type drops the per-layer `id`, and bollard encodes X-Registry-Auth
//! with the standard base64 alphabet while the daemon decodes the URL-safe
//! one (20.10 then silently pulls anonymously). Both matter to learners:
//! layer-by-layer progress is the lesson, and a refused login must say so.

use base64::Engine as _;
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;

use crate::docker::credentials::Credentials;
use crate::docker::endpoint::{Endpoint, Transport};
use crate::docker::error::{ConnectFailure, DockerError};
use crate::docker::http;

pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// One line of the daemon's JSON progress stream.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct JsonMessage {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(rename = "progressDetail", default)]
    pub progress_detail: Option<ProgressDetail>,
    #[serde(rename = "errorDetail", default)]
    pub error_detail: Option<ErrorDetail>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub aux: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ProgressDetail {
    #[serde(default)]
    pub current: Option<i64>,
    #[serde(default)]
    pub total: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorDetail {
    #[serde(default)]
    pub message: Option<String>,
}

impl JsonMessage {
    pub fn error_text(&self) -> Option<String> {
        self.error_detail
            .as_ref()
            .and_then(|d| d.message.clone())
            .or_else(|| self.error.clone())
            .filter(|m| !m.is_empty())
    }
}

/// The X-Registry-Auth header value: URL-safe base64 of the auth JSON.
pub(crate) fn registry_auth_header(credentials: Option<&Credentials>, server: &str) -> String {
    let json = match credentials {
        Some(Credentials::Password { username, password }) => serde_json::json!({
            "username": username,
            "password": password,
            "serveraddress": server,
        }),
        Some(Credentials::IdentityToken(token)) => serde_json::json!({
            "identitytoken": token,
            "serveraddress": server,
        }),
        None => serde_json::json!({}),
    };
    base64::engine::general_purpose::URL_SAFE.encode(json.to_string())
}

/// Percent-encode a query value.
pub(crate) fn query_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn open(endpoint: &Endpoint) -> Result<Box<dyn Io>, DockerError> {
    let connect_err = |e: std::io::Error| DockerError::Connect {
        endpoint: Box::new(endpoint.clone()),
        failure: ConnectFailure::from_io_kind(e.kind()),
        os_error: e.to_string(),
    };
    let fut = async {
        match endpoint.transport()? {
            Transport::Unix(path) => tokio::net::UnixStream::connect(path)
                .await
                .map(|s| Box::new(s) as Box<dyn Io>)
                .map_err(connect_err),
            Transport::Tcp(host_port) => tokio::net::TcpStream::connect(host_port)
                .await
                .map(|s| Box::new(s) as Box<dyn Io>)
                .map_err(connect_err),
        }
    };
    match tokio::time::timeout(crate::docker::timeouts::CONNECT_TIMEOUT, fut).await {
        Ok(r) => r,
        Err(_) => Err(DockerError::Timeout {
            endpoint: Box::new(endpoint.clone()),
            what: "a connection".to_string(),
            after: crate::docker::timeouts::CONNECT_TIMEOUT,
        }),
    }
}

/// The daemon's answer before any stream: a JSON `{"message": ...}`.
pub(crate) struct DaemonRefusal {
    pub status: u16,
    pub message: String,
}

/// POST `target` and call `on_message` for every JSON line of the reply.
/// Returns `Err(Ok(refusal))` when the daemon answers non-2xx.
pub(crate) async fn post_json_stream(
    endpoint: &Endpoint,
    target: &str,
    headers: &[(&str, &str)],
    cancel: &CancellationToken,
    mut on_message: impl FnMut(JsonMessage) -> Result<(), DockerError>,
) -> Result<Result<(), DaemonRefusal>, DockerError> {
    let stream = open(endpoint).await?;
    let io_err = |e: std::io::Error| DockerError::Io {
        what: format!("talking to the Docker daemon at {}", endpoint.url),
        source: e,
    };
    let exchange = http::send(stream, "POST", target, "docker", headers);
    let (head, mut body) = tokio::select! {
        biased;
        _ = cancel.cancelled() => return Err(DockerError::Cancelled),
        r = tokio::time::timeout(crate::docker::timeouts::REQUEST_TIMEOUT, exchange) => match r {
            Err(_) => return Err(DockerError::Timeout {
                endpoint: Box::new(endpoint.clone()),
                what: target.to_string(),
                after: crate::docker::timeouts::REQUEST_TIMEOUT,
            }),
            Ok(r) => r.map_err(io_err)?,
        },
    };
    if !(200..300).contains(&head.status) {
        let (bytes, _) = body.read_capped(64 * 1024).await.map_err(io_err)?;
        let text = String::from_utf8_lossy(&bytes).to_string();
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| text.trim().to_string());
        return Ok(Err(DaemonRefusal {
            status: head.status,
            message,
        }));
    }
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let chunk = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(DockerError::Cancelled),
            c = body.next_chunk() => c.map_err(io_err)?,
        };
        let Some(chunk) = chunk else { break };
        pending.extend_from_slice(&chunk);
        while let Some(nl) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=nl).collect();
            handle_line(&line, &mut on_message)?;
        }
        if pending.len() > 1024 * 1024 {
            return Err(DockerError::Api {
                status: 0,
                message: "the daemon sent a progress line longer than 1 MiB".to_string(),
            });
        }
    }
    if !pending.is_empty() {
        handle_line(&pending, &mut on_message)?;
    }
    Ok(Ok(()))
}

fn handle_line(
    line: &[u8],
    on_message: &mut impl FnMut(JsonMessage) -> Result<(), DockerError>,
) -> Result<(), DockerError> {
    let text = String::from_utf8_lossy(line);
    let text = text.trim();
    if text.is_empty() {
        return Ok(());
    }
    match serde_json::from_str::<JsonMessage>(text) {
        Ok(m) => on_message(m),
        // Not ours to judge: show it as status rather than fail the push.
        Err(_) => on_message(JsonMessage {
            status: Some(text.to_string()),
            ..Default::default()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_header_is_url_safe_base64_json() {
        // A password whose JSON encoding yields '+' and '/' in standard base64.
        let creds = Credentials::password("student", "??>>??~~");
        let header = registry_auth_header(Some(&creds), "127.0.0.1:5000");
        assert!(!header.contains('+') && !header.contains('/'), "{header}");
        let decoded = base64::engine::general_purpose::URL_SAFE
            .decode(&header)
            .expect("url-safe base64");
        let v: serde_json::Value = serde_json::from_slice(&decoded).expect("json");
        assert_eq!(v["username"], "student");
        assert_eq!(v["password"], "??>>??~~");
        assert_eq!(v["serveraddress"], "127.0.0.1:5000");
        let anonymous = registry_auth_header(None, "x");
        assert_eq!(anonymous, "e30=");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(query_value("127.0.0.1:5000/a/b"), "127.0.0.1:5000/a/b");
        assert_eq!(query_value("a b&c"), "a%20b%26c");
    }

    #[test]
    fn json_lines_parse_with_ids_and_errors() {
        let mut seen = Vec::new();
        let mut collect = |m: JsonMessage| {
            seen.push(m);
            Ok(())
        };
        handle_line(
            br#"{"status":"Pushing","progressDetail":{"current":512,"total":1024},"id":"a1b2c3d4e5f6"}"#,
            &mut collect,
        )
        .expect("ok");
        handle_line(
            br#"{"errorDetail":{"message":"unauthorized: authentication required"},"error":"unauthorized: authentication required"}"#,
            &mut collect,
        )
        .expect("ok");
        handle_line(b"not json", &mut collect).expect("ok");
        assert_eq!(seen[0].id.as_deref(), Some("a1b2c3d4e5f6"));
        assert_eq!(
            seen[0].progress_detail.as_ref().and_then(|p| p.total),
            Some(1024)
        );
        assert_eq!(
            seen[1].error_text().as_deref(),
            Some("unauthorized: authentication required")
        );
        assert_eq!(seen[2].status.as_deref(), Some("not json"));
    }
}
