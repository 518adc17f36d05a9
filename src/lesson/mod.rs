//! The lesson pack: its schema (`model`), reading it from the binary or a folder
//! (`loader`), checking it (`validate`) and carrying it out (`runner`).

pub mod files;
pub mod loader;
pub mod model;
pub mod placeholders;
pub mod problem;
pub mod question;
pub mod schema;
pub mod shown;
pub mod trust;
pub mod validate;
pub mod watch_model;
pub mod watching;
pub mod yaml;

pub use files::{PackError, PackFiles, PackOrigin};
pub use loader::{AssetFile, Pack};
pub use model::*;
pub use validate::{Problem, Report, Severity};
