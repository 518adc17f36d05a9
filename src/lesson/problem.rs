//! One problem found in a lesson pack, shown as `FILE:LINE:COL: message`.

use std::fmt;

use super::yaml::Pos;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    /// Shown, but the pack is still valid (e.g. a lesson file not listed).
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The path as the user would type it (see `PackFiles::display_path`).
    pub file: String,
    pub pos: Pos,
    pub severity: Severity,
    pub message: String,
}

impl Problem {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let warning = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        write!(
            f,
            "{}:{}:{}: {warning}{}",
            self.file, self.pos.line, self.pos.col, self.message
        )
    }
}
