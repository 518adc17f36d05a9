//! layerlab: learn Docker images and containers by doing the homework on your
//! own Docker Engine. See README.md for the tour; the layout is
//! `lesson/` (the pack), `docker/` (the only code that talks to the daemon),
//! `layers/` (image archives), `registry/` (images read from a registry
//! over HTTP, no daemon), `quiz/`, `ui/` (drawing only) and `app.rs`
//! (the one place state changes).

pub mod app;
pub mod cli;
pub mod cmd;
pub mod docker;
pub mod event;
pub mod i18n;
pub mod keys;
pub mod layers;
pub mod lesson;
pub mod logging;
pub mod paths;
pub mod progress;
pub mod quiz;
pub mod registry;
pub mod tui;
pub mod ui;
