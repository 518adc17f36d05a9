//! layerlab: learn Docker images and containers by doing the homework on your
//! own Docker Engine. See README.md for the tour; the layout is
//! `lesson/` (the pack), `docker/` (the only code that talks to the daemon),
//! `layers/` (image archives), `quiz/`, `ui/` (drawing only) and `app.rs`
//! (the one place state changes).

// The plain tier: no I/O to Docker, no terminal.
pub mod i18n;
pub mod layers;
pub mod lesson;
pub mod logging;
pub mod paths;
pub mod progress;
pub mod quiz;
// The Docker tier: the only code that talks to a daemon.
pub mod docker;
// The domain tier: doing a lesson step, grading and reporting the homework.
pub mod handin;
pub mod runner;
pub mod watch;
// The terminal UI: event channel, worker, screens, drawing.
pub mod tui;
// One front-end per command; the only code that sees clap's types.
pub mod cmd;
