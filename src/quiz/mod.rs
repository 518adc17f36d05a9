//! The self-check quiz (scoring), the homework grader and the report.

pub mod bank;
pub mod score;
pub mod session;

pub use crate::lesson::question::*;
