//! [`RegistryClient`]: resolve a reference to its image (manifest, config,
//! layers) and read blobs, with authentication, caches and counters.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use http::header::{self, HeaderValue};
use hyper::body::Incoming;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;
use tokio::time::Instant;

use super::auth::{self, AuthHeader, Challenge};
use super::error::Error;
use super::http::{
    Counters, Limits, Outgoing, RequestCounter, RequestKind, RequestStats, Transport, is_loopback,
};
use super::layer::{self, LayerFiles, PathFilter};
use super::manifest::{self, Descriptor, ImageConfig, Parsed, Platform, RawManifest};
use crate::docker::reference::ImageRef;
use crate::docker::{CredentialStore, Credentials};

/// Docker Hub's API host (the name `docker.io` is not one).
const DOCKER_HUB_API: &str = "registry-1.docker.io";
/// Bodies of error answers kept for the message.
const MAX_ERROR_BODY: u64 = 64 * 1024;
const MAX_TOKEN_BODY: u64 = 1024 * 1024;
/// A token without `expires_in` lives 60 s (the spec's default).
const DEFAULT_TOKEN_LIFE: Duration = Duration::from_secs(60);

/// How the client behaves. `Default`: linux/amd64, anonymous, [`Limits::default`].
#[derive(Clone)]
pub struct ClientOptions {
    pub limits: Limits,
    /// What a manifest list resolves to.
    pub platform: Platform,
    /// Where credentials come from; `None` is anonymous only.
    pub credentials: Option<Arc<CredentialStore>>,
    /// Hosts (`host[:port]`) reached over plain http besides loopback.
    pub insecure_registries: Vec<String>,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            limits: Limits::default(),
            platform: Platform::linux_amd64(),
            credentials: None,
            insecure_registries: Vec::new(),
        }
    }
}

impl ClientOptions {
    /// Credentials as the Docker CLI of this process would find them.
    pub fn from_process() -> ClientOptions {
        ClientOptions {
            credentials: Some(Arc::new(CredentialStore::from_process())),
            ..ClientOptions::default()
        }
    }
}

/// One layer of a resolved image, base first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LayerDesc {
    pub digest: String,
    /// Compressed size as the manifest says.
    pub size: u64,
    pub media_type: String,
    /// Foreign / non-distributable layers live elsewhere (`urls`).
    pub foreign: bool,
}

/// What a reference names: the manifest actually used (after a list was
/// resolved to the platform), its parsed config and its layers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ResolvedImage {
    /// `host[:port]` as written in the reference (`docker.io` for Hub).
    pub registry: String,
    /// The repository path on the registry (`library/alpine` on Hub).
    pub repository: String,
    /// The digest of the image manifest (per platform).
    pub manifest_digest: String,
    pub manifest_media_type: String,
    /// The digest of the manifest list / index the tag pointed to, if any.
    pub index_digest: Option<String>,
    pub config_digest: String,
    pub config: ImageConfig,
    pub layers: Vec<LayerDesc>,
}

/// Where to send requests for one repository.
#[derive(Debug, Clone)]
struct Repo {
    /// For messages and credentials.
    registry: String,
    credential_key: String,
    /// `http://127.0.0.1:5000` or `https://ghcr.io`.
    base: String,
    path: String,
}

impl Repo {
    fn url(&self, tail: &str) -> String {
        format!("{}/v2/{}/{tail}", self.base, self.path)
    }
    fn auth_key(&self) -> String {
        format!("{}|{}", self.base, self.path)
    }
}

struct CachedAuth {
    header: AuthHeader,
    expires: Option<Instant>,
}

type Cells<V> = Mutex<HashMap<String, Arc<OnceCell<V>>>>;

struct Shared {
    transport: Transport,
    platform: Platform,
    store: Option<Arc<CredentialStore>>,
    insecure: Vec<String>,
    /// Looked up once per registry; errors are kept too (said once per student).
    credentials: tokio::sync::Mutex<HashMap<String, Result<Option<Credentials>, Error>>>,
    auth: Mutex<HashMap<String, CachedAuth>>,
    blobs: Cells<Bytes>,
    cached_bytes: AtomicU64,
    layers: Cells<Arc<LayerFiles>>,
    counter: Arc<RequestCounter>,
}

/// A registry reader. Cheap to clone; clones share the connection pool,
/// the caches and the global request counter.
#[derive(Clone)]
pub struct RegistryClient {
    shared: Arc<Shared>,
    counters: Counters,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding a cache lock leaves a usable map.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn verify(what: &str, expected: &str, bytes: &[u8]) -> Result<(), Error> {
    if !expected.starts_with("sha256:") {
        // Other algorithms are legal but unused in practice: not verified.
        return Ok(());
    }
    let actual = sha256_digest(bytes);
    if actual == expected {
        Ok(())
    } else {
        Err(Error::Invalid {
            what: what.to_string(),
            detail: format!("content digest {actual} is not the expected {expected}"),
        })
    }
}

impl RegistryClient {
    pub fn new(options: ClientOptions) -> RegistryClient {
        let counter = Arc::new(RequestCounter::default());
        RegistryClient {
            shared: Arc::new(Shared {
                transport: Transport::new(options.limits),
                platform: options.platform,
                store: options.credentials,
                insecure: options.insecure_registries,
                credentials: tokio::sync::Mutex::new(HashMap::new()),
                auth: Mutex::new(HashMap::new()),
                blobs: Mutex::new(HashMap::new()),
                cached_bytes: AtomicU64::new(0),
                layers: Mutex::new(HashMap::new()),
                counter: counter.clone(),
            }),
            counters: Counters {
                global: counter,
                scoped: None,
            },
        }
    }

    /// A clone whose requests are also counted in a fresh counter (one
    /// student's share). Cache hits cost nothing and count nothing.
    pub fn scoped(&self) -> (RegistryClient, Arc<RequestCounter>) {
        let counter = Arc::new(RequestCounter::default());
        let client = RegistryClient {
            shared: self.shared.clone(),
            counters: Counters {
                global: self.shared.counter.clone(),
                scoped: Some(counter.clone()),
            },
        };
        (client, counter)
    }

    /// Every request this client and its clones sent so far.
    pub fn requests(&self) -> RequestStats {
        self.shared.counter.snapshot()
    }

    pub fn limits(&self) -> &Limits {
        &self.shared.transport.limits
    }

    fn repo(&self, reference: &ImageRef) -> Repo {
        let registry = reference.registry_host().to_string();
        let (api_host, path) = if reference.is_docker_hub() {
            let path = if reference.path.contains('/') {
                reference.path.clone()
            } else {
                format!("library/{}", reference.path)
            };
            (DOCKER_HUB_API.to_string(), path)
        } else {
            (registry.clone(), reference.path.clone())
        };
        let plain = is_loopback(&api_host)
            || self
                .shared
                .insecure
                .iter()
                .any(|h| h.eq_ignore_ascii_case(&api_host));
        let scheme = if plain { "http" } else { "https" };
        Repo {
            credential_key: reference.credential_key(),
            registry,
            base: format!("{scheme}://{api_host}"),
            path,
        }
    }

    async fn credentials(&self, repo: &Repo) -> Result<Option<Credentials>, Error> {
        let Some(store) = &self.shared.store else {
            return Ok(None);
        };
        let mut known = self.shared.credentials.lock().await;
        if let Some(found) = known.get(&repo.credential_key) {
            return found.clone();
        }
        let found = store
            .lookup(&repo.credential_key)
            .await
            .map(|c| c.map(|(credentials, _)| credentials))
            .map_err(|e| Error::Credentials {
                registry: repo.registry.clone(),
                message: e.to_string(),
            });
        known.insert(repo.credential_key.clone(), found.clone());
        found
    }

    /// A GET with the cached authorization; on 401 it authenticates once
    /// (basic or token) and tries again.
    async fn get(
        &self,
        repo: &Repo,
        url: String,
        accept: Option<&'static str>,
        kind: RequestKind,
    ) -> Result<http::Response<Incoming>, Error> {
        let transport = &self.shared.transport;
        let mut out = Outgoing::get(url, kind);
        if let Some(accept) = accept {
            out.headers
                .push((header::ACCEPT, HeaderValue::from_static(accept)));
        }
        let cached = {
            let auth = lock(&self.shared.auth);
            auth.get(&repo.auth_key())
                .filter(|c| c.expires.is_none_or(|e| e > Instant::now()))
                .map(|c| c.header.clone())
        };
        let mut request = out.clone();
        if let Some(header) = &cached {
            request.headers.push(authorization(header)?);
        }
        let response = transport
            .send_following(&request, &repo.registry, &self.counters)
            .await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let challenge = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .and_then(auth::parse_challenge);
        drop(response);
        let Some(challenge) = challenge else {
            return Err(Error::Unauthorized {
                registry: repo.registry.clone(),
                repository: repo.path.clone(),
                had_credentials: false,
                detail: "HTTP 401 without a usable WWW-Authenticate challenge".into(),
            });
        };
        let credentials = self.credentials(repo).await?;
        let (header, life) = self.authenticate(repo, &challenge, &credentials).await?;
        lock(&self.shared.auth).insert(
            repo.auth_key(),
            CachedAuth {
                header: header.clone(),
                expires: life.map(|l| Instant::now() + l),
            },
        );
        let mut request = out;
        request.headers.push(authorization(&header)?);
        let response = transport
            .send_following(&request, &repo.registry, &self.counters)
            .await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            return Err(Error::Unauthorized {
                registry: repo.registry.clone(),
                repository: repo.path.clone(),
                had_credentials: credentials.is_some(),
                detail: self.error_detail(response).await,
            });
        }
        Ok(response)
    }

    async fn authenticate(
        &self,
        repo: &Repo,
        challenge: &Challenge,
        credentials: &Option<Credentials>,
    ) -> Result<(AuthHeader, Option<Duration>), Error> {
        let refused = |detail: String| Error::Unauthorized {
            registry: repo.registry.clone(),
            repository: repo.path.clone(),
            had_credentials: credentials.is_some(),
            detail,
        };
        let (realm, service, scope) = match challenge {
            Challenge::Basic => {
                return match credentials.as_ref().and_then(auth::basic_header) {
                    Some(header) => Ok((header, None)),
                    None => Err(refused(
                        "the registry asks for a user name and password".into(),
                    )),
                };
            }
            Challenge::Bearer {
                realm,
                service,
                scope,
            } => (realm, service, scope),
        };
        let scope = scope
            .clone()
            .unwrap_or_else(|| format!("repository:{}:pull", repo.path));
        let query = auth::token_query(service.as_deref(), &scope);
        // Credentials go only to an https realm or a loopback one.
        let realm_host = realm
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
            .unwrap_or("");
        let safe_realm = realm.starts_with("https://")
            || (realm.starts_with("http://") && is_loopback(realm_host));
        if !realm.starts_with("https://") && !realm.starts_with("http://") {
            return Err(refused(format!(
                "token realm {realm:?} is not an http(s) URL"
            )));
        }
        let usable = credentials.as_ref().filter(|_| safe_realm);
        let mut out = match usable {
            Some(Credentials::IdentityToken(token)) => {
                let mut out = Outgoing::get(realm.clone(), RequestKind::Token);
                out.method = http::Method::POST;
                out.body = Bytes::from(format!(
                    "grant_type=refresh_token&client_id=layerlab&refresh_token={}&{query}",
                    auth::encode(token)
                ));
                out.headers.push((
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                ));
                out
            }
            other => {
                let separator = if realm.contains('?') { '&' } else { '?' };
                let mut out =
                    Outgoing::get(format!("{realm}{separator}{query}"), RequestKind::Token);
                if let Some(header) = other.and_then(auth::basic_header) {
                    out.headers.push(authorization(&header)?);
                }
                out
            }
        };
        out.headers
            .push((header::ACCEPT, HeaderValue::from_static("application/json")));
        let response = self
            .shared
            .transport
            .send_following(&out, &repo.registry, &self.counters)
            .await?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(refused(format!(
                "the token service refused: {}",
                self.error_detail(response).await
            )));
        }
        if !status.is_success() {
            return Err(Error::Http {
                what: format!("token for {}", repo.path),
                status: status.as_u16(),
                detail: self.error_detail(response).await,
            });
        }
        let body = self
            .shared
            .transport
            .read_body(response, MAX_TOKEN_BODY, "token", &self.counters)
            .await?;
        let answer: auth::TokenAnswer =
            serde_json::from_slice(&body).map_err(|e| Error::Invalid {
                what: "token".into(),
                detail: format!("the token answer is not JSON: {e}"),
            })?;
        let life = answer
            .expires_in
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_TOKEN_LIFE)
            .saturating_sub(Duration::from_secs(5));
        let token = answer.token().ok_or_else(|| Error::Invalid {
            what: "token".into(),
            detail: "the token answer has no token".into(),
        })?;
        Ok((AuthHeader(format!("Bearer {token}")), Some(life)))
    }

    /// `CODE: message` from a registry error body, else the status text.
    async fn error_detail(&self, response: http::Response<Incoming>) -> String {
        let status = response.status();
        let body = self
            .shared
            .transport
            .read_body(response, MAX_ERROR_BODY, "error", &self.counters)
            .await
            .unwrap_or_default();
        #[derive(serde::Deserialize)]
        struct Errors {
            errors: Vec<One>,
        }
        #[derive(serde::Deserialize)]
        struct One {
            #[serde(default)]
            code: String,
            #[serde(default)]
            message: String,
        }
        if let Ok(errors) = serde_json::from_slice::<Errors>(&body)
            && !errors.errors.is_empty()
        {
            return errors
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.code, e.message))
                .collect::<Vec<_>>()
                .join("; ");
        }
        format!(
            "HTTP {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )
    }

    /// Turns a non-200 answer into the matching error.
    async fn fail(&self, repo: &Repo, what: &str, response: http::Response<Incoming>) -> Error {
        let status = response.status();
        let detail = self.error_detail(response).await;
        match status {
            StatusCode::NOT_FOUND => Error::NotFound {
                what: what.to_string(),
                detail,
            },
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Unauthorized {
                registry: repo.registry.clone(),
                repository: repo.path.clone(),
                had_credentials: self.credentials(repo).await.ok().flatten().is_some(),
                detail,
            },
            _ => Error::Http {
                what: what.to_string(),
                status: status.as_u16(),
                detail,
            },
        }
    }

    async fn manifest_bytes(
        &self,
        repo: &Repo,
        reference: &str,
        what: &str,
    ) -> Result<(Bytes, Option<String>), Error> {
        let url = repo.url(&format!("manifests/{reference}"));
        let response = self
            .get(
                repo,
                url,
                Some(manifest::ACCEPT_MANIFESTS),
                RequestKind::Manifest,
            )
            .await?;
        if response.status() != StatusCode::OK {
            return Err(self.fail(repo, what, response).await);
        }
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = self
            .shared
            .transport
            .read_body(
                response,
                self.shared.transport.limits.max_manifest_bytes,
                what,
                &self.counters,
            )
            .await?;
        Ok((body, content_type))
    }

    /// The image `reference` names, for this client's platform: manifest
    /// (a list/index is resolved, attestations skipped), config, layers.
    /// Reads the manifest(s) and the config blob, never a layer.
    pub async fn resolve(&self, reference: &ImageRef) -> Result<ResolvedImage, Error> {
        let repo = self.repo(reference);
        let what = reference.to_string();
        let wanted = reference
            .digest
            .clone()
            .unwrap_or_else(|| reference.tag_or_latest().to_string());
        let (bytes, content_type) = self.manifest_bytes(&repo, &wanted, &what).await?;
        if let Some(digest) = &reference.digest {
            verify(&what, digest, &bytes)?;
        }
        let top_digest = sha256_digest(&bytes);
        let parse = |bytes: &[u8], content_type: Option<&str>| {
            let raw: RawManifest =
                serde_json::from_slice(bytes).map_err(|e| Error::NotAnImage {
                    what: what.clone(),
                    detail: format!("the manifest is not JSON: {e}"),
                })?;
            let media_type = raw
                .media_type
                .clone()
                .or_else(|| {
                    content_type.map(|c| c.split(';').next().unwrap_or("").trim().to_string())
                })
                .unwrap_or_default();
            raw.classify(content_type)
                .map(|parsed| (parsed, media_type))
                .map_err(|detail| Error::NotAnImage {
                    what: what.clone(),
                    detail,
                })
        };
        let (parsed, media_type) = parse(&bytes, content_type.as_deref())?;
        let (index_digest, manifest_digest, config, layers, media_type) = match parsed {
            Parsed::Image { config, layers } => (None, top_digest, config, layers, media_type),
            Parsed::Index(entries) => {
                let entry = manifest::select_platform(&entries, &self.shared.platform).map_err(
                    |available| Error::NoPlatform {
                        what: what.clone(),
                        wanted: self.shared.platform.to_string(),
                        available,
                    },
                )?;
                let (bytes, content_type) = self
                    .manifest_bytes(&repo, &entry.digest, &format!("{what}@{}", entry.digest))
                    .await?;
                verify(&what, &entry.digest, &bytes)?;
                match parse(&bytes, content_type.as_deref())? {
                    (Parsed::Image { config, layers }, media_type) => (
                        Some(top_digest),
                        entry.digest.clone(),
                        config,
                        layers,
                        media_type,
                    ),
                    (Parsed::Index(_), _) => {
                        return Err(Error::NotAnImage {
                            what,
                            detail: "a manifest list inside a manifest list".into(),
                        });
                    }
                }
            }
        };
        let config_bytes = self
            .blob_in(
                &repo,
                &config.digest,
                self.shared.transport.limits.max_config_bytes,
                &format!("{what} config"),
            )
            .await?;
        let parsed_config = ImageConfig::parse(&config_bytes).map_err(|detail| Error::Invalid {
            what: format!("{what} config"),
            detail,
        })?;
        Ok(ResolvedImage {
            registry: repo.registry.clone(),
            repository: repo.path.clone(),
            manifest_digest,
            manifest_media_type: media_type,
            index_digest,
            config_digest: config.digest,
            config: parsed_config,
            layers: layers.iter().map(layer_desc).collect(),
        })
    }

    /// A blob of `reference`'s repository, at most `max` bytes, digest
    /// verified, cached in memory by digest (shared by all clones) while
    /// the cache is under its bound.
    pub async fn blob_bytes(
        &self,
        reference: &ImageRef,
        digest: &str,
        max: u64,
    ) -> Result<Bytes, Error> {
        let repo = self.repo(reference);
        self.blob_in(&repo, digest, max, &format!("{reference} blob {digest}"))
            .await
    }

    async fn blob_in(
        &self,
        repo: &Repo,
        digest: &str,
        max: u64,
        what: &str,
    ) -> Result<Bytes, Error> {
        let cell = lock(&self.shared.blobs)
            .entry(digest.to_string())
            .or_default()
            .clone();
        let bytes = cell
            .get_or_try_init(|| async {
                let url = repo.url(&format!("blobs/{digest}"));
                let response = self.get(repo, url, None, RequestKind::Blob).await?;
                if response.status() != StatusCode::OK {
                    return Err(self.fail(repo, what, response).await);
                }
                let bytes = self
                    .shared
                    .transport
                    .read_body(response, max, what, &self.counters)
                    .await?;
                verify(what, digest, &bytes)?;
                Ok(bytes)
            })
            .await?
            .clone();
        let total = self
            .shared
            .cached_bytes
            .fetch_add(bytes.len() as u64, Ordering::Relaxed)
            + bytes.len() as u64;
        if total > self.shared.transport.limits.max_cached_bytes {
            // Over the bound: this one is not kept.
            lock(&self.shared.blobs).remove(digest);
            self.shared
                .cached_bytes
                .fetch_sub(bytes.len() as u64, Ordering::Relaxed);
        }
        Ok(bytes)
    }

    /// The entries of one layer that `filter` wants (plus its whiteouts),
    /// streamed: the layer is decompressed on the fly and never stored.
    /// Results are cached by (digest, filter), so a layer many students
    /// share is downloaded once. The digest is verified when the layer was
    /// read to the end.
    pub async fn layer_entries(
        &self,
        reference: &ImageRef,
        layer: &LayerDesc,
        filter: &PathFilter,
    ) -> Result<Arc<LayerFiles>, Error> {
        let repo = self.repo(reference);
        let key = format!("{}|{}", layer.digest, filter.key());
        let cell = lock(&self.shared.layers).entry(key).or_default().clone();
        cell.get_or_try_init(|| self.read_layer(&repo, reference, layer, filter))
            .await
            .cloned()
    }

    async fn read_layer(
        &self,
        repo: &Repo,
        reference: &ImageRef,
        layer: &LayerDesc,
        filter: &PathFilter,
    ) -> Result<Arc<LayerFiles>, Error> {
        let limits = &self.shared.transport.limits;
        let what = format!("{reference} layer {}", layer.digest);
        if layer.size > limits.max_layer_bytes {
            return Err(Error::TooLarge {
                what,
                limit: limits.max_layer_bytes,
            });
        }
        let url = repo.url(&format!("blobs/{}", layer.digest));
        let response = self.get(repo, url, None, RequestKind::Blob).await?;
        if response.status() != StatusCode::OK {
            return Err(self.fail(repo, &what, response).await);
        }
        let stream =
            self.shared
                .transport
                .body_stream(response.into_body(), what.clone(), &self.counters);
        let reader = tokio_util::io::StreamReader::new(stream);
        let bridge = tokio_util::io::SyncIoBridge::new(reader);
        let filter = filter.clone();
        let max_file = limits.max_file_bytes;
        let max_layer = limits.max_layer_bytes;
        let expected = layer.digest.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let hashing = layer::HashingReader::new(bridge, max_layer);
            let (mut files, rest) = layer::scan(hashing, &filter, max_file)?;
            if files.complete && expected.starts_with("sha256:") {
                let actual = rest
                    .finish()
                    .map_err(|e| format!("reading the layer: {e}"))?;
                if actual != expected {
                    return Err(format!(
                        "content digest {actual} is not the expected {expected}"
                    ));
                }
            }
            files.digest = expected;
            Ok(files)
        })
        .await
        .map_err(|e| Error::Invalid {
            what: what.clone(),
            detail: format!("the reader task failed: {e}"),
        })?;
        outcome
            .map(Arc::new)
            .map_err(|detail| Error::Invalid { what, detail })
    }
}

fn authorization(header: &AuthHeader) -> Result<(http::HeaderName, HeaderValue), Error> {
    let mut value = HeaderValue::from_str(&header.0).map_err(|_| Error::Invalid {
        what: "authorization".into(),
        detail: "the credentials contain characters that cannot be sent in a header".into(),
    })?;
    value.set_sensitive(true);
    Ok((header::AUTHORIZATION, value))
}

fn layer_desc(d: &Descriptor) -> LayerDesc {
    LayerDesc {
        digest: d.digest.clone(),
        size: d.size,
        media_type: d.media_type.clone(),
        foreign: !d.urls.is_empty() || d.media_type.contains("foreign"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// What the fake server saw of one request.
    #[derive(Debug, Clone)]
    pub struct Seen {
        pub method: String,
        pub path: String,
        pub authorization: Option<String>,
    }

    pub type Reply = (u16, Vec<(String, String)>, Vec<u8>);

    /// A tiny HTTP/1.1 server on 127.0.0.1 answering with `handler`, one
    /// request per connection, for at most `max` connections (bounded).
    pub async fn fake_server(
        max: usize,
        handler: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static,
    ) -> (String, Arc<Mutex<Vec<Seen>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let counter = Arc::new(AtomicUsize::new(0));
        tokio::spawn(async move {
            for _ in 0..max {
                let Ok(Ok((mut socket, _))) =
                    tokio::time::timeout(Duration::from_secs(20), listener.accept()).await
                else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let mut lines = text.lines();
                let mut first = lines.next().unwrap_or("").split(' ');
                let method = first.next().unwrap_or("").to_string();
                let path = first.next().unwrap_or("").to_string();
                let authorization = lines
                    .filter_map(|l| l.split_once(':'))
                    .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                    .map(|(_, v)| v.trim().to_string());
                let request = Seen {
                    method,
                    path,
                    authorization,
                };
                let index = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let (status, headers, body) = handler(index, &request);
                lock(&log).push(request);
                let mut response = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    response.push_str(&format!("{k}: {v}\r\n"));
                }
                response.push_str("\r\n");
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.write_all(&body).await;
                let _ = socket.shutdown().await;
            }
        });
        (address, seen)
    }

    fn fast_limits() -> Limits {
        Limits {
            backoff: Duration::from_millis(10),
            max_attempts: 3,
            ..Limits::default()
        }
    }

    #[tokio::test]
    async fn retries_429_after_the_time_retry_after_says_then_succeeds() {
        let (address, seen) = fake_server(4, |i, _| {
            if i == 0 {
                (
                    429,
                    vec![("Retry-After".into(), "1".into())],
                    b"slow down".to_vec(),
                )
            } else {
                (200, vec![], b"ok".to_vec())
            }
        })
        .await;
        let transport = Transport::new(fast_limits());
        let counters = Counters {
            global: Arc::new(RequestCounter::default()),
            scoped: None,
        };
        let started = std::time::Instant::now();
        let out = Outgoing::get(format!("http://{address}/v2/"), RequestKind::Manifest);
        let response = transport
            .send(&out, &address, &counters)
            .await
            .expect("answer");
        assert_eq!(response.status(), 200);
        let body = transport
            .read_body(response, 100, "test", &counters)
            .await
            .expect("body");
        assert_eq!(&body[..], b"ok");
        assert!(
            started.elapsed() >= Duration::from_millis(950),
            "waited {:?}, Retry-After said 1 s",
            started.elapsed()
        );
        let stats = counters.global.snapshot();
        assert_eq!((stats.requests, stats.retries), (2, 1));
        assert_eq!(lock(&seen).len(), 2);
    }

    #[tokio::test]
    async fn server_errors_are_retried_a_bounded_number_of_times() {
        let (address, seen) = fake_server(10, |_, _| (503, vec![], b"down".to_vec())).await;
        let transport = Transport::new(fast_limits());
        let counters = Counters {
            global: Arc::new(RequestCounter::default()),
            scoped: None,
        };
        let out = Outgoing::get(format!("http://{address}/v2/"), RequestKind::Blob);
        let response = transport
            .send(&out, &address, &counters)
            .await
            .expect("answer");
        assert_eq!(response.status(), 503, "the last answer is returned");
        assert_eq!(lock(&seen).len(), 3, "max_attempts = 3");
        // A refused connection: retried, then Unreachable.
        let dead = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let dead_address = dead.local_addr().expect("addr").to_string();
        drop(dead);
        let out = Outgoing::get(format!("http://{dead_address}/v2/"), RequestKind::Blob);
        let error = transport
            .send(&out, &dead_address, &counters)
            .await
            .expect_err("nobody listens");
        assert_eq!(error.kind(), "unreachable", "{error}");
        assert!(error.to_string().contains("after 3 attempts"), "{error}");
    }

    #[tokio::test]
    async fn bearer_challenge_gets_a_token_with_the_login_and_caches_it() {
        let config = br#"{"os":"linux","architecture":"amd64","config":{"Cmd":["nginx","-g","daemon off;"]},"rootfs":{"type":"layers","diff_ids":["sha256:d"]}}"#.to_vec();
        let config_digest = sha256_digest(&config);
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"{}","digest":"{config_digest}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:{}","size":7}}]}}"#,
            manifest::OCI_MANIFEST,
            manifest::OCI_CONFIG,
            config.len(),
            "a".repeat(64)
        );
        let realm_port = Arc::new(Mutex::new(String::new()));
        let port = realm_port.clone();
        let (address, seen) = fake_server(8, move |_, request| {
            let bearer = request.authorization.as_deref() == Some("Bearer tok-1");
            if request.path.starts_with("/token") {
                // base64("teacher:pw")
                if request.authorization.as_deref() == Some("Basic dGVhY2hlcjpwdw==")
                    && request
                        .path
                        .contains("scope=repository%3Aclass%2Fann%3Apull")
                {
                    (
                        200,
                        vec![],
                        br#"{"token":"tok-1","expires_in":300}"#.to_vec(),
                    )
                } else {
                    (401, vec![], b"{}".to_vec())
                }
            } else if !bearer {
                let realm = format!("http://{}/token", lock(&port));
                (
                    401,
                    vec![(
                        "WWW-Authenticate".into(),
                        format!(r#"Bearer realm="{realm}",service="fake""#),
                    )],
                    br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#
                        .to_vec(),
                )
            } else if request.path.contains("/manifests/") {
                (
                    200,
                    vec![("Content-Type".into(), manifest::OCI_MANIFEST.into())],
                    manifest.clone().into_bytes(),
                )
            } else {
                (200, vec![], config.clone())
            }
        })
        .await;
        *lock(&realm_port) = address.clone();
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("config.json"),
            format!(r#"{{"auths":{{"{address}":{{"auth":"dGVhY2hlcjpwdw=="}}}}}}"#),
        )
        .expect("config");
        let client = RegistryClient::new(ClientOptions {
            limits: fast_limits(),
            credentials: Some(Arc::new(CredentialStore::new(dir.path(), None))),
            ..ClientOptions::default()
        });
        let reference = ImageRef::parse(&format!("{address}/class/ann:hw")).expect("valid");
        let image = client.resolve(&reference).await.expect("resolved");
        assert_eq!(image.config.cmd.as_deref().map(|c| c.len()), Some(3));
        assert_eq!(image.layers.len(), 1);
        assert_eq!(image.config_digest, config_digest);
        let paths: Vec<String> = lock(&seen).iter().map(|s| s.path.clone()).collect();
        // 401, token, manifest, config with the cached token: no second token.
        assert_eq!(paths.len(), 4, "{paths:?}");
        assert!(paths[1].starts_with("/token"), "{paths:?}");
        assert_eq!(client.requests().tokens, 1);
        assert!(
            lock(&seen).iter().all(|s| s.method == "GET"),
            "a pull only reads"
        );
        // A second resolve reuses the token and the cached config blob.
        let before = client.requests().requests;
        client.resolve(&reference).await.expect("again");
        assert_eq!(client.requests().requests - before, 1, "only the manifest");
    }

    #[tokio::test]
    async fn missing_credentials_and_missing_tags_are_told_apart() {
        let (address, _) = fake_server(4, |_, request| {
            if request.path.contains("/private/") {
                (
                    401,
                    vec![("WWW-Authenticate".into(), r#"Basic realm="x""#.into())],
                    vec![],
                )
            } else {
                (
                    404,
                    vec![],
                    br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#
                        .to_vec(),
                )
            }
        })
        .await;
        let client = RegistryClient::new(ClientOptions {
            limits: fast_limits(),
            ..ClientOptions::default()
        });
        let private = ImageRef::parse(&format!("{address}/private/app:1")).expect("valid");
        let error = client.resolve(&private).await.expect_err("no login");
        assert_eq!(error.kind(), "unauthorized", "{error}");
        assert!(error.render(crate::i18n::Lang::En).contains("docker login"));
        let missing = ImageRef::parse(&format!("{address}/class/nobody:1")).expect("valid");
        let error = client.resolve(&missing).await.expect_err("no tag");
        assert_eq!(error.kind(), "not_found", "{error}");
        assert!(error.to_string().contains("MANIFEST_UNKNOWN"), "{error}");
    }

    #[tokio::test]
    async fn an_artifact_is_not_an_image_and_lists_resolve_to_the_platform() {
        let chart = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","config":{{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"sha256:{}","size":2}},"layers":[]}}"#,
            manifest::OCI_MANIFEST,
            "c".repeat(64)
        );
        let arm = format!(
            r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","digest":"sha256:{}","size":9,"platform":{{"os":"linux","architecture":"arm64"}}}},{{"mediaType":"{}","digest":"sha256:{}","size":9,"platform":{{"os":"unknown","architecture":"unknown"}},"annotations":{{"vnd.docker.reference.type":"attestation-manifest"}}}}]}}"#,
            manifest::OCI_INDEX,
            manifest::OCI_MANIFEST,
            "a".repeat(64),
            manifest::OCI_MANIFEST,
            "b".repeat(64)
        );
        let (address, _) = fake_server(4, move |_, request| {
            let body = if request.path.contains("/chart/") {
                chart.clone()
            } else {
                arm.clone()
            };
            (200, vec![], body.into_bytes())
        })
        .await;
        let client = RegistryClient::new(ClientOptions {
            limits: fast_limits(),
            ..ClientOptions::default()
        });
        let chart = ImageRef::parse(&format!("{address}/class/chart:1")).expect("valid");
        let error = client.resolve(&chart).await.expect_err("a chart");
        assert_eq!(error.kind(), "not_an_image", "{error}");
        assert!(error.to_string().contains("helm"), "{error}");
        let only_arm = ImageRef::parse(&format!("{address}/class/armonly:1")).expect("valid");
        let error = client.resolve(&only_arm).await.expect_err("no amd64");
        assert_eq!(error.kind(), "no_platform", "{error}");
        let text = error.to_string();
        assert!(
            text.contains("linux/amd64") && text.contains("linux/arm64"),
            "{text}"
        );
        assert!(
            !text.contains("unknown"),
            "attestations are not platforms: {text}"
        );
    }
}
