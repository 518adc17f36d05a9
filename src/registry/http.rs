//! The HTTP layer under the registry client: one pooled hyper client
//! (HTTP/1.1; rustls with the ring provider and the system's roots for
//! https), every request bounded in time, retried a bounded number of times
//! with backoff on 429 and 5xx (honouring `Retry-After`) and on connection
//! failures, redirects followed a bounded number of times, bodies capped.
//!
//! Plain http is used for loopback registries (127.0.0.0/8, ::1,
//! localhost) exactly as the Docker daemon treats them as insecure by
//! default, and for hosts the caller lists as insecure.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;
use tokio::time::Instant;

use super::error::Error;

/// Every bound the client keeps. [`Limits::default`] suits a class of 200.
#[derive(Debug, Clone)]
pub struct Limits {
    /// TCP (and TLS) connect.
    pub connect_timeout: Duration,
    /// From sending a request to the response's headers.
    pub response_timeout: Duration,
    /// The longest pause between two pieces of a body.
    pub idle_timeout: Duration,
    /// A whole body, a layer included.
    pub body_timeout: Duration,
    /// Attempts per request (the first included) on 429, 5xx, connection errors.
    pub max_attempts: u32,
    /// First backoff; doubled per attempt up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this is cut to it (the run must end).
    pub max_retry_after: Duration,
    pub max_redirects: u32,
    pub max_manifest_bytes: u64,
    pub max_config_bytes: u64,
    /// Compressed size of one layer read by [`super::RegistryClient::layer_entries`].
    pub max_layer_bytes: u64,
    /// One file kept from a layer; bigger files are recorded without content.
    pub max_file_bytes: u64,
    /// Total content of the in-memory blob cache.
    pub max_cached_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connect_timeout: Duration::from_secs(10),
            response_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(300),
            max_attempts: 4,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
            max_redirects: 5,
            max_manifest_bytes: 4 * 1024 * 1024,
            max_config_bytes: 8 * 1024 * 1024,
            max_layer_bytes: 1024 * 1024 * 1024,
            max_file_bytes: 1024 * 1024,
            max_cached_bytes: 64 * 1024 * 1024,
        }
    }
}

/// What a request was for, counted separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    Manifest,
    Blob,
    Token,
}

/// Counters shared by everything that uses one client (and, scoped, by one
/// student's share of it). Atomic: jobs run concurrently.
#[derive(Debug, Default)]
pub struct RequestCounter {
    requests: AtomicU64,
    manifests: AtomicU64,
    blobs: AtomicU64,
    tokens: AtomicU64,
    retries: AtomicU64,
    bytes: AtomicU64,
}

/// A snapshot of a [`RequestCounter`]. `requests` counts every HTTP request
/// sent, retries and redirects included; `bytes` is body bytes received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RequestStats {
    pub requests: u64,
    pub manifests: u64,
    pub blobs: u64,
    pub tokens: u64,
    pub retries: u64,
    pub bytes: u64,
}

impl RequestCounter {
    pub fn snapshot(&self) -> RequestStats {
        RequestStats {
            requests: self.requests.load(Ordering::Relaxed),
            manifests: self.manifests.load(Ordering::Relaxed),
            blobs: self.blobs.load(Ordering::Relaxed),
            tokens: self.tokens.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
        }
    }

    fn request(&self, kind: RequestKind) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let per_kind = match kind {
            RequestKind::Manifest => &self.manifests,
            RequestKind::Blob => &self.blobs,
            RequestKind::Token => &self.tokens,
        };
        per_kind.fetch_add(1, Ordering::Relaxed);
    }
}

/// The global counter and, optionally, a scoped one (one student).
#[derive(Debug, Clone)]
pub(crate) struct Counters {
    pub global: Arc<RequestCounter>,
    pub scoped: Option<Arc<RequestCounter>>,
}

impl Counters {
    fn each(&self, f: impl Fn(&RequestCounter)) {
        f(&self.global);
        if let Some(scoped) = &self.scoped {
            f(scoped);
        }
    }
    pub fn request(&self, kind: RequestKind) {
        self.each(|c| c.request(kind));
    }
    pub fn retry(&self) {
        self.each(|c| {
            c.retries.fetch_add(1, Ordering::Relaxed);
        });
    }
    pub fn bytes(&self, n: u64) {
        self.each(|c| {
            c.bytes.fetch_add(n, Ordering::Relaxed);
        });
    }
}

/// One request, rebuilt for every attempt.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    pub kind: RequestKind,
}

impl Outgoing {
    pub fn get(url: String, kind: RequestKind) -> Outgoing {
        Outgoing {
            method: Method::GET,
            url,
            headers: Vec::new(),
            body: Bytes::new(),
            kind,
        }
    }
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

pub(crate) struct Transport {
    client: HttpsClient,
    /// Why https cannot work (no system roots), said when https is tried.
    tls_problem: Option<String>,
    pub limits: Limits,
}

impl Transport {
    pub fn new(limits: Limits) -> Transport {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(limits.connect_timeout));
        http.set_nodelay(true);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let (builder, tls_problem) = match hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider.clone())
        {
            Ok(builder) => (builder, None),
            Err(e) => {
                // Loopback registries still work over http; https ones fail
                // with this reason instead of an opaque handshake error.
                let config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map(|b| {
                        b.with_root_certificates(rustls::RootCertStore::empty())
                            .with_no_client_auth()
                    });
                match config {
                    Ok(config) => (
                        hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config),
                        Some(format!("no trusted root certificates on this system: {e}")),
                    ),
                    Err(err) => {
                        // ring supports the default versions; unreachable in practice.
                        let config = rustls::ClientConfig::builder()
                            .with_root_certificates(rustls::RootCertStore::empty())
                            .with_no_client_auth();
                        (
                            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config),
                            Some(format!("TLS setup failed: {err}")),
                        )
                    }
                }
            }
        };
        let connector = builder.https_or_http().enable_http1().wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(32)
            .build(connector);
        Transport {
            client,
            tls_problem,
            limits,
        }
    }

    /// Sends `out`, retrying 429/5xx and connection failures with backoff.
    /// A 429/5xx on the last attempt is returned as the response.
    pub async fn send(
        &self,
        out: &Outgoing,
        registry: &str,
        counters: &Counters,
    ) -> Result<Response<Incoming>, Error> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            counters.request(out.kind);
            let request = build(out).map_err(|detail| Error::Invalid {
                what: out.url.clone(),
                detail,
            })?;
            let outcome =
                tokio::time::timeout(self.limits.response_timeout, self.client.request(request))
                    .await;
            let failure = match outcome {
                Err(_) => format!(
                    "no answer within {} s",
                    self.limits.response_timeout.as_secs()
                ),
                Ok(Err(e)) => self.describe(&e, &out.url),
                Ok(Ok(response)) => {
                    let status = response.status();
                    let retryable =
                        status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                    if !retryable || attempt >= self.limits.max_attempts {
                        return Ok(response);
                    }
                    let wait = retry_after(response.headers())
                        .map(|d| d.min(self.limits.max_retry_after))
                        .unwrap_or_else(|| self.backoff(attempt));
                    tracing::debug!(
                        "registry {registry}: HTTP {status} for {}, retry in {wait:?}",
                        out.url
                    );
                    drop(response);
                    counters.retry();
                    tokio::time::sleep(wait).await;
                    continue;
                }
            };
            if attempt >= self.limits.max_attempts {
                return Err(Error::Unreachable {
                    registry: registry.to_string(),
                    detail: format!("{failure} (after {attempt} attempts)"),
                });
            }
            tracing::debug!("registry {registry}: {failure}, attempt {attempt}");
            counters.retry();
            tokio::time::sleep(self.backoff(attempt)).await;
        }
    }

    /// Like [`Transport::send`], following redirects (blob stores often
    /// redirect to a CDN); `Authorization` is dropped when the host changes.
    pub async fn send_following(
        &self,
        out: &Outgoing,
        registry: &str,
        counters: &Counters,
    ) -> Result<Response<Incoming>, Error> {
        let mut current = out.clone();
        for _ in 0..=self.limits.max_redirects {
            let response = self.send(&current, registry, counters).await?;
            if !response.status().is_redirection() {
                return Ok(response);
            }
            let Some(location) = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
            else {
                return Ok(response);
            };
            let next = join_url(&current.url, location);
            if authority(&next) != authority(&current.url) {
                current.headers.retain(|(n, _)| n != header::AUTHORIZATION);
            }
            current.url = next;
        }
        Err(Error::Invalid {
            what: out.url.clone(),
            detail: format!("more than {} redirects", self.limits.max_redirects),
        })
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(10);
        (self.limits.backoff * factor).min(self.limits.max_backoff)
    }

    fn describe(&self, error: &hyper_util::client::legacy::Error, url: &str) -> String {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        if url.starts_with("https://")
            && let Some(problem) = &self.tls_problem
        {
            text.push_str(&format!(" ({problem})"));
        }
        text
    }

    /// The whole body, at most `cap` bytes, bounded in time.
    pub async fn read_body(
        &self,
        response: Response<Incoming>,
        cap: u64,
        what: &str,
        counters: &Counters,
    ) -> Result<Bytes, Error> {
        if let Some(length) = content_length(&response)
            && length > cap
        {
            return Err(Error::TooLarge {
                what: what.to_string(),
                limit: cap,
            });
        }
        let mut stream = self.body_stream(response.into_body(), what.to_string(), counters);
        let mut out = BytesMut::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| Error::Invalid {
                what: what.to_string(),
                detail: e.to_string(),
            })?;
            if (out.len() + chunk.len()) as u64 > cap {
                return Err(Error::TooLarge {
                    what: what.to_string(),
                    limit: cap,
                });
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.freeze())
    }

    /// The body as a stream of chunks; each chunk within `idle_timeout`,
    /// the whole within `body_timeout`, bytes counted.
    pub fn body_stream(
        &self,
        body: Incoming,
        what: String,
        counters: &Counters,
    ) -> futures_util::stream::BoxStream<'static, std::io::Result<Bytes>> {
        let idle = self.limits.idle_timeout;
        let deadline = Instant::now() + self.limits.body_timeout;
        let counters = counters.clone();
        let data = body.into_data_stream();
        futures_util::stream::unfold((data, false), move |(mut data, finished)| {
            let counters = counters.clone();
            let what = what.clone();
            async move {
                if finished {
                    return None;
                }
                let wait = idle.min(deadline.saturating_duration_since(Instant::now()));
                match tokio::time::timeout(wait, data.next()).await {
                    Err(_) => Some((
                        Err(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            format!("{what}: the body stalled or took too long"),
                        )),
                        (data, true),
                    )),
                    Ok(None) => None,
                    Ok(Some(Err(e))) => Some((Err(std::io::Error::other(e)), (data, true))),
                    Ok(Some(Ok(bytes))) => {
                        counters.bytes(bytes.len() as u64);
                        Some((Ok(bytes), (data, false)))
                    }
                }
            }
        })
        .boxed()
    }
}

fn build(out: &Outgoing) -> Result<Request<Full<Bytes>>, String> {
    let mut builder = Request::builder()
        .method(out.method.clone())
        .uri(&out.url)
        .header(
            header::USER_AGENT,
            concat!("layerlab/", env!("CARGO_PKG_VERSION")),
        );
    for (name, value) in &out.headers {
        builder = builder.header(name, value);
    }
    builder
        .body(Full::new(out.body.clone()))
        .map_err(|e| format!("cannot build the request: {e}"))
}

pub(crate) fn content_length(response: &Response<Incoming>) -> Option<u64> {
    response
        .headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// `Retry-After: <seconds>` or `Retry-After: <HTTP date>`.
pub(crate) fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// `scheme://authority` of an absolute URL.
fn authority(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

/// A `Location` against the URL it answered.
pub(crate) fn join_url(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_string()
    } else if location.starts_with('/') {
        format!("{}{location}", authority(base))
    } else {
        let dir = base.rsplit_once('/').map_or(base, |(d, _)| d);
        format!("{dir}/{location}")
    }
}

/// True for hosts the Docker daemon reaches over plain http by default.
pub fn is_loopback(host_port: &str) -> bool {
    let host = if let Some(rest) = host_port.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = http::HeaderMap::new();
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO), "a past date");
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn urls_join_and_loopback_is_recognised() {
        assert_eq!(
            join_url("https://r.example/v2/a/blobs/x", "/other/y"),
            "https://r.example/other/y"
        );
        assert_eq!(
            join_url("https://r.example/v2/a/blobs/x", "https://cdn.example/z"),
            "https://cdn.example/z"
        );
        assert_eq!(
            authority("http://127.0.0.1:5000/v2/"),
            "http://127.0.0.1:5000"
        );
        assert!(is_loopback("127.0.0.1:5000"));
        assert!(is_loopback("127.3.4.5"));
        assert!(is_loopback("localhost:5000"));
        assert!(is_loopback("[::1]:5000"));
        assert!(!is_loopback("registry.example.com"));
        assert!(!is_loopback("10.0.0.1:5000"));
    }
}
