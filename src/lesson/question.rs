//! Quiz questions as written in the lesson pack (a `question` step).

use serde::{Deserialize, Serialize};

use crate::i18n::Text;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub prompt: Text,
    /// How it is answered, a one-key map: `answer: {single: {options: [...], correct: 1}}`.
    /// (`singleton_map`: serde_yaml 0.9 would otherwise want a `!single` tag.)
    #[serde(with = "serde_yaml::with::singleton_map")]
    pub answer: QuestionKind,
    /// Shown after answering, right or wrong.
    pub explanation: Text,
    /// The step that teaches this, as `lesson-id/step-id`.
    pub teaches: String,
    /// Topic tags, for teachers' coverage tables.
    #[serde(default)]
    pub topics: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum QuestionKind {
    /// Exactly one option is right.
    Single { options: Vec<Text>, correct: usize },
    /// Any subset is right; partial credit for partly right answers.
    Multiple {
        options: Vec<Text>,
        correct: Vec<usize>,
    },
    /// Free text, accepted when every group of `accept` has one match
    /// (case-insensitive substring, or a regex when it starts with `re:`).
    FreeText { accept: Vec<Vec<String>> },
    /// Put `items` in the right order; `items` are written in the right order
    /// and shuffled for the learner.
    Order { items: Vec<Text> },
}

/// Marks an `accept` alternative as a regular expression.
pub const REGEX_PREFIX: &str = "re:";

/// The regex an `accept` alternative `re:PATTERN` stands for: case-insensitive,
/// with `ё` read as `е` like the answer it is matched against.
pub fn compile_accept_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    let pattern = pattern.replace('ё', "е").replace('Ё', "Е");
    regex::RegexBuilder::new(&pattern)
        .case_insensitive(true)
        // A pack is teacher-written, but a typo should not eat memory.
        .size_limit(1 << 20)
        .build()
}
