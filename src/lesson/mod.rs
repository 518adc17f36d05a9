//! The lesson pack: its schema (`model`), reading it from the binary or a folder
//! (`loader`), checking it (`validate`) and carrying it out (`runner`).

pub mod loader;
pub mod model;
pub mod placeholders;
pub mod question;
pub mod schema;
pub mod validate;
pub mod yaml;

pub use loader::{AssetFile, Pack, PackError, PackFiles, PackOrigin};
pub use model::*;
pub use validate::{Problem, Report, Severity};
