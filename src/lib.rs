//! layerlab: learn Docker images and containers by doing the homework on your
//! own Docker Engine. See README.md for the tour and docs/architecture.md for
//! the map: five tiers, each importing only from itself and the ones below.

// The plain tier: no I/O to Docker, no terminal.
pub mod data_lock;
pub mod i18n;
pub mod layers;
pub mod lesson;
pub mod logging;
pub mod paths;
pub mod progress;
pub mod quiz;
pub mod sanitize;
// The Docker tier: the only code that talks to a daemon (docker/) or to a
// registry over HTTP without one (registry/).
pub mod docker;
pub mod registry;
// The domain tier: doing a lesson step, grading and reporting the homework.
pub mod handin;
pub mod runner;
pub mod watch;
// The terminal UI: event channel, worker, screens, drawing.
pub mod tui;
// One front-end per command; the only code that sees clap's types.
pub mod cmd;
