//! The only code that talks to the Docker Engine. Everything here converts
//! bollard's types into our own (`model`) at the boundary.
//!
//! Entry points: [`Docker::connect_default`] (endpoint resolved like the
//! Docker CLI), then the methods on [`Docker`]. Errors are [`DockerError`],
//! each with a fix in Russian and English.

pub mod build_context;
pub mod client;
pub mod credentials;
pub mod doctor;
pub mod endpoint;
pub mod error;

pub mod direct;
pub mod lab;
pub mod layers;
pub mod model;
pub mod reference;
pub mod timeouts;

pub use client::{Docker, ExecOptions};
pub use credentials::{CredentialStore, Credentials};
pub use endpoint::{Endpoint, EndpointSource};
pub use error::{DockerError, RegistryError};
pub use model::*;
pub use reference::ImageRef;

/// The image the lessons build FROM unless `--base-image` says otherwise.
pub const DEFAULT_BASE_IMAGE: &str = "alpine:3.22";
