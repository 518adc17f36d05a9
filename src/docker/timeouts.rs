//! How long a call to the daemon may take. In their own module so that the
//! error and transport code can name them without depending on the client.

use std::time::Duration;

/// The whole connect + version negotiation + ping must give up by then on
/// an unreachable endpoint.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// bollard's per-request limit (waiting for response headers). Generous:
/// loading a big archive or committing a big container can take minutes,
/// and every long call is cancellable anyway.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(600);
