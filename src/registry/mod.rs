//! Reading images straight from a registry (the OCI distribution API), with
//! no Docker daemon: nothing is pulled, nothing is run. A tier beside
//! `docker/`: it uses only `docker::reference` (parsing) and
//! `docker::credentials` (the Docker CLI's logins), never the TUI or `cmd/`.
//!
//! # API
//!
//! ```no_run
//! # async fn demo() -> Result<(), layerlab::registry::Error> {
//! use layerlab::docker::ImageRef;
//! use layerlab::registry::{ClientOptions, PathFilter, RegistryClient};
//!
//! // Credentials from $DOCKER_CONFIG/config.json and its credential helpers;
//! // `ClientOptions::default()` is anonymous. `platform` picks from lists.
//! let client = RegistryClient::new(ClientOptions::from_process());
//! let reference = ImageRef::parse("127.0.0.1:5000/class/ann:hw").expect("valid");
//!
//! // Manifest (lists resolved to linux/amd64, attestations skipped) + config.
//! let image = client.resolve(&reference).await?;
//! println!("{} {:?}", image.manifest_digest, image.config.command_line());
//!
//! // Files of one layer, streamed and filtered; whiteouts always recorded.
//! let top = image.layers.last().expect("a layer");
//! let filter = PathFilter::new().under("/etc/nginx").path("/etc/os-release");
//! let files = client.layer_entries(&reference, top, &filter).await?;
//!
//! // Several layers as the container sees them (top first).
//! let mut overlay = layerlab::registry::Overlay::new();
//! overlay.push_lower(files);
//! let _page = overlay.resolve("/var/www/localhost/htdocs/index.html");
//!
//! // Any blob by digest, bounded, verified, cached in memory.
//! let _config = client.blob_bytes(&reference, &image.config_digest, 1 << 20).await?;
//! println!("{} requests", client.requests().requests);
//! # Ok(()) }
//! ```
//!
//! - [`RegistryClient::resolve`] → [`ResolvedImage`] `{ registry, repository,
//!   manifest_digest, manifest_media_type, index_digest, config_digest,
//!   config: ImageConfig { os, architecture, cmd, entrypoint, env, labels,
//!   history, diff_ids, .. }, layers: Vec<LayerDesc { digest, size,
//!   media_type, foreign }> }`.
//! - [`RegistryClient::blob_bytes`] (bounded, sha256-verified, cached).
//! - [`RegistryClient::layer_entries`] → [`LayerFiles`] (gzip, zstd or plain
//!   tar, streamed; cached by digest and filter, so a layer many images
//!   share is downloaded once; verified when read to the end).
//! - [`RegistryClient::requests`] / [`RegistryClient::scoped`] → request
//!   counters ([`RequestStats`]): global, and per unit of work.
//! - Errors: [`Error`], each with a stable [`Error::kind`] and
//!   [`Error::render`] in Russian and English; never a credential inside.
//!
//! Manners: every request has a timeout ([`Limits`]); 429 and 5xx are
//! retried a bounded number of times with exponential backoff, honouring
//! `Retry-After` (capped); bodies are capped (manifests 4 MiB, configs
//! 8 MiB, layers 1 GiB compressed, kept files 1 MiB). Authentication
//! follows the `WWW-Authenticate` challenge: Basic, or Bearer tokens from
//! the realm (credentials sent only to https or loopback realms), cached
//! per repository until they expire. Loopback registries (127.0.0.0/8,
//! ::1, localhost) are spoken to over plain http, as the Docker daemon
//! does; everything else over https (rustls, the system's root
//! certificates).

pub mod auth;
pub mod client;
pub mod error;
pub mod http;
pub mod layer;
pub mod manifest;

pub use client::{ClientOptions, LayerDesc, RegistryClient, ResolvedImage};
pub use error::Error;
pub use http::{Limits, RequestCounter, RequestStats};
pub use layer::{Entry, Found, LayerFiles, Overlay, PathFilter};
pub use manifest::{History, ImageConfig, Platform};
