//! The self-check quiz (scoring), the homework grader and the report.

pub mod bank;
pub mod commands;
pub mod grader;
pub mod model;
pub mod report;
pub mod score;
pub mod session;

pub use model::*;
