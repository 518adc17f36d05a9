//! The requests that do not go through bollard, on the same hyper stack it
//! compiles in: push and pull as the daemon streams them (bollard's push
//! type drops each layer's `id`, and it encodes X-Registry-Auth with the
//! standard base64 alphabet where the daemon decodes the URL-safe one), and
//! the page a learner's container serves on 127.0.0.1. Every read is
//! bounded in size and time.

use std::time::Duration;

use base64::Engine as _;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::{Bytes, Incoming};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::docker::credentials::Credentials;
use crate::docker::endpoint::{Endpoint, Transport};
use crate::docker::error::{ConnectFailure, DockerError};
use crate::docker::model::HttpResponse;
use crate::docker::timeouts::{CONNECT_TIMEOUT, REQUEST_TIMEOUT};

/// Bodies above this are cut (a lesson page is a few KiB).
pub const MAX_BODY: usize = 1024 * 1024;
/// A daemon's progress line longer than this is not a progress line.
const MAX_LINE: usize = 1024 * 1024;
/// Bounded retries while a freshly started server comes up.
const MAX_ATTEMPTS: u32 = 40;
const RETRY_PAUSE: Duration = Duration::from_millis(250);
/// What a query value or a path may keep unescaped.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/')
    .remove(b':')
    .remove(b'@');
const PATH: &AsciiSet = &QUERY
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b'?')
    .remove(b'%');

/// One line of the daemon's JSON progress stream.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct JsonMessage {
    pub id: Option<String>,
    pub status: Option<String>,
    #[serde(rename = "progressDetail")]
    pub progress_detail: Option<ProgressDetail>,
    #[serde(rename = "errorDetail")]
    pub error_detail: Option<ErrorDetail>,
    pub error: Option<String>,
    pub aux: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ProgressDetail {
    pub current: Option<i64>,
    pub total: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ErrorDetail {
    pub message: Option<String>,
}

impl JsonMessage {
    pub fn error_text(&self) -> Option<String> {
        let detail = self.error_detail.as_ref().and_then(|d| d.message.clone());
        detail
            .or_else(|| self.error.clone())
            .filter(|m| !m.is_empty())
    }
}

/// The X-Registry-Auth header value: URL-safe base64 of the auth JSON.
pub(crate) fn registry_auth_header(credentials: Option<&Credentials>, server: &str) -> String {
    let json = match credentials {
        Some(Credentials::Password { username, password }) => {
            serde_json::json!({ "username": username, "password": password, "serveraddress": server })
        }
        Some(Credentials::IdentityToken(token)) => {
            serde_json::json!({ "identitytoken": token, "serveraddress": server })
        }
        None => serde_json::json!({}),
    };
    base64::engine::general_purpose::URL_SAFE.encode(json.to_string())
}

pub(crate) fn query_value(v: &str) -> String {
    utf8_percent_encode(v, QUERY).to_string()
}

/// The daemon's answer before any stream: its `{"message": ...}`.
pub(crate) struct DaemonRefusal {
    pub status: u16,
    pub message: String,
}

/// POST `target` to the daemon and call `on_message` for every JSON line of
/// the reply; `Ok(Err(refusal))` when the daemon answers non-2xx.
pub(crate) async fn post_json_stream(
    endpoint: &Endpoint,
    target: &str,
    headers: &[(&str, &str)],
    cancel: &CancellationToken,
    mut on_message: impl FnMut(JsonMessage) -> Result<(), DockerError>,
) -> Result<Result<(), DaemonRefusal>, DockerError> {
    let mut request = hyper::Request::post(target).header("Host", "docker");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Empty::<Bytes>::new())
        .map_err(|e| api(e.to_string()))?;
    let response = tokio::select! {
        biased;
        _ = cancel.cancelled() => return Err(DockerError::Cancelled),
        r = tokio::time::timeout(REQUEST_TIMEOUT, send(endpoint, request)) => r.map_err(|_| {
            DockerError::Timeout { endpoint: Box::new(endpoint.clone()), what: target.to_string(), after: REQUEST_TIMEOUT }
        })??,
    };
    let status = response.status().as_u16();
    let mut body = response.into_body();
    if !(200..300).contains(&status) {
        let bytes = Limited::new(body, 64 * 1024)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).trim().to_string();
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("message")?.as_str().map(str::to_string))
            .unwrap_or(text);
        return Ok(Err(DaemonRefusal { status, message }));
    }
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let frame = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(DockerError::Cancelled),
            f = body.frame() => f,
        };
        let Some(frame) = frame else { break };
        let frame = frame.map_err(|e| api(format!("the daemon's stream broke off: {e}")))?;
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        pending.extend_from_slice(&chunk);
        while let Some(nl) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=nl).collect();
            handle_line(&line, &mut on_message)?;
        }
        if pending.len() > MAX_LINE {
            return Err(api(
                "the daemon sent a progress line longer than 1 MiB".into()
            ));
        }
    }
    handle_line(&pending, &mut on_message)?;
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
    // A line that is not JSON is not ours to judge: shown as status.
    let message = serde_json::from_str(text).unwrap_or_else(|_| JsonMessage {
        status: Some(text.to_string()),
        ..Default::default()
    });
    on_message(message)
}

/// Send one request to the daemon over its socket or TCP address.
async fn send(
    endpoint: &Endpoint,
    mut request: hyper::Request<Empty<Bytes>>,
) -> Result<hyper::Response<Incoming>, DockerError> {
    let target = request.uri().to_string();
    let connect_err = |e: hyper_util::client::legacy::Error| {
        let io = io_cause(&e);
        DockerError::Connect {
            endpoint: Box::new(endpoint.clone()),
            failure: ConnectFailure::from_io_kind(
                io.map_or(std::io::ErrorKind::Other, |e| e.kind()),
            ),
            os_error: io.map_or_else(|| e.to_string(), |e| e.to_string()),
        }
    };
    let exchange = async {
        match endpoint.transport()? {
            Transport::Unix(path) => {
                *request.uri_mut() = hyperlocal::Uri::new(path, &target).into();
                let client = Client::builder(TokioExecutor::new()).build(hyperlocal::UnixConnector);
                client.request(request).await.map_err(connect_err)
            }
            Transport::Tcp(host_port) => {
                *request.uri_mut() = format!("http://{host_port}{target}")
                    .parse()
                    .map_err(|e| api(format!("{e}")))?;
                let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
                connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
                Client::builder(TokioExecutor::new())
                    .build(connector)
                    .request(request)
                    .await
                    .map_err(connect_err)
            }
        }
    };
    exchange.await
}

/// GET `http://127.0.0.1:PORT/PATH`. Retries (at most 40 times, never past
/// `timeout` in total) while nothing answers yet: connection refused or
/// reset, or closed without a response (docker-proxy accepts before the
/// server in the container is up). Any HTTP answer, even 404 or 500, is
/// returned as is; the body is capped at 1 MiB.
pub async fn http_get(
    port: u16,
    path: &str,
    timeout: Duration,
) -> Result<HttpResponse, DockerError> {
    let url = page_url(port, path);
    let deadline = Instant::now() + timeout;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let mut last_error = String::from("no attempt made");
    for attempt in 0..MAX_ATTEMPTS {
        if attempt > 0 {
            if Instant::now() + RETRY_PAUSE >= deadline {
                break;
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        }
        let uri: hyper::Uri = url.parse().map_err(|e| DockerError::Http {
            url: url.clone(),
            message: format!("{e}"),
        })?;
        let once = async {
            let response = client.get(uri).await?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let (body, truncated) = read_capped(response.into_body(), MAX_BODY).await;
            Ok::<_, hyper_util::client::legacy::Error>(HttpResponse {
                status,
                headers,
                body,
                truncated,
            })
        };
        match tokio::time::timeout_at(deadline, once).await {
            Err(_) => {
                last_error = format!("no answer within {:.1} s", timeout.as_secs_f64());
                break;
            }
            Ok(Ok(response)) => return Ok(response),
            Ok(Err(e)) => {
                // Nothing answering yet is worth another try; anything else is final.
                let retryable = e.is_connect()
                    || closed_early(&e)
                    || io_cause(&e).is_some_and(|io| {
                        matches!(
                            io.kind(),
                            std::io::ErrorKind::ConnectionReset
                                | std::io::ErrorKind::UnexpectedEof
                                | std::io::ErrorKind::BrokenPipe
                        )
                    });
                last_error = io_cause(&e).map_or_else(|| e.to_string(), |io| io.to_string());
                if !retryable {
                    break;
                }
            }
        }
    }
    Err(DockerError::Http {
        url,
        message: last_error,
    })
}

/// The address of a page on a port published on 127.0.0.1, the path escaped.
fn page_url(port: u16, path: &str) -> String {
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    format!(
        "http://127.0.0.1:{port}{}",
        utf8_percent_encode(&path, PATH)
    )
}

/// The body up to `cap` bytes, and whether there was more.
async fn read_capped(mut body: Incoming, cap: usize) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            let room = cap - out.len();
            out.extend_from_slice(&data[..data.len().min(room)]);
            if data.len() > room {
                return (out, true);
            }
        }
    }
    (out, false)
}

/// The server closed the connection before answering (docker-proxy while
/// the server in the container is not up yet).
fn closed_early(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = e.source();
    while let Some(c) = cause {
        if let Some(h) = c.downcast_ref::<hyper::Error>() {
            return h.is_incomplete_message() || h.is_closed() || h.is_canceled();
        }
        cause = c.source();
    }
    false
}

/// The operating system's error under hyper's, when there is one.
fn io_cause<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut cause = e.source();
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        cause = c.source();
    }
    None
}

fn api(message: String) -> DockerError {
    DockerError::Api { status: 0, message }
}

#[cfg(test)]
#[path = "direct_tests.rs"]
mod tests;
