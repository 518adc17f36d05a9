//! The terminal UI tier: the one event channel, the Docker worker, the
//! screens' state and key handling (`app`), and the drawing (`ui`).
//! Nothing below this tier imports from it.

pub mod app;
pub mod boot;
pub mod event;
pub mod keys;
pub mod layout;
pub mod messages;
pub mod plain;
pub mod screens;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod worker;
