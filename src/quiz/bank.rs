//! The question bank: the quiz lesson (`lessons/90-quiz.yaml`) and what it
//! must cover. The coverage table for teachers is in `docs/quiz.md`.

use anyhow::Context;

use crate::lesson::Lesson;

/// The quiz lesson's id.
pub const QUIZ_LESSON_ID: &str = "quiz";

/// The topics the quiz must cover, as used in questions' `topics:`.
pub const TOPICS: &[&str] = &[
    "image-vs-container",
    "layers-cow",
    "commit",
    "container-removal",
    "ports",
    "volumes",
    "image-size",
    "tags-registries",
    "kernel",
];

/// The lesson steps quiz questions may point to with `teaches:`.
pub const TEACHING_STEPS: &[&str] = &[
    "image-container/layers",
    "image-container/writable-layer",
    "image-container/many-containers",
    "dockerfile/instructions",
    "dockerfile/build",
    "dockerfile/small-images",
    "run/publish-port",
    "run/volume-logs",
    "disposable/stop-start",
    "disposable/remove",
    "disposable/commit",
    "disposable/two-containers",
    "kernel/uname",
    "kernel/answer",
    "push/tag",
    "push/push",
    "push/pull-back",
];

const QUIZ_FILE: &str = "lessons/90-quiz.yaml";
const QUIZ_YAML: &str = include_str!("../../lessons/90-quiz.yaml");

/// The quiz lesson built into the binary.
// TODO(loader): use crate::lesson::loader (it honours --lessons and reports
// errors with FILE:LINE:COL for the whole pack).
pub fn embedded_quiz() -> anyhow::Result<Lesson> {
    parse_quiz(QUIZ_YAML).with_context(|| format!("the built-in quiz ({QUIZ_FILE})"))
}

fn parse_quiz(yaml: &str) -> anyhow::Result<Lesson> {
    serde_yaml::from_str(yaml).map_err(|e| match e.location() {
        Some(at) => anyhow::anyhow!("{QUIZ_FILE}:{}:{}: {e}", at.line(), at.column()),
        None => anyhow::anyhow!("{QUIZ_FILE}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::i18n::Text;
    use crate::lesson::StepKind;
    use crate::quiz::QuestionKind;
    use crate::quiz::score::{Answer, Verdict, question_problems, score};

    fn quiz() -> Lesson {
        match embedded_quiz() {
            Ok(lesson) => lesson,
            Err(e) => panic!("{e:#}"),
        }
    }

    fn assert_both_languages(what: &str, text: &Text) {
        for (lang, value) in [("ru", &text.ru), ("en", &text.en)] {
            let ok = value.as_deref().is_some_and(|v| !v.trim().is_empty());
            assert!(ok, "{what}: `{lang}` is missing or empty");
        }
        // A `ru` copied from `en` would pass the check above. Without any
        // Cyrillic, `ru` may only be a label or a command, the same in both
        // languages: one word (`A`) or all code (`` `docker pull x` ``).
        let ru = text.ru.as_deref().unwrap_or("");
        let en = text.en.as_deref().unwrap_or("");
        let has_cyrillic = ru.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
        let untranslatable = ru == en
            && (!ru.contains(char::is_whitespace)
                || (ru.starts_with('`') && ru.ends_with('`') && ru.matches('`').count() == 2));
        assert!(
            has_cyrillic || untranslatable,
            "{what}: the `ru` text has no Russian in it: {ru:?}"
        );
        let en_has_cyrillic = en.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
        assert!(!en_has_cyrillic, "{what}: Russian in the `en` text: {en:?}");
    }

    #[test]
    fn quiz_lesson_is_well_formed() {
        let lesson = quiz();
        assert_eq!(lesson.format_version, 1);
        assert_eq!(lesson.id, QUIZ_LESSON_ID);
        assert_both_languages("title", &lesson.title);
        if let Some(summary) = &lesson.summary {
            assert_both_languages("summary", summary);
        }
        let mut ids = BTreeSet::new();
        for step in &lesson.steps {
            assert!(
                ids.insert(step.id.as_str()),
                "step id {} used twice",
                step.id
            );
            assert_eq!(
                step.kind,
                StepKind::Question,
                "{}: the quiz holds only questions",
                step.id
            );
            assert!(
                step.id.starts_with("q-"),
                "{}: question ids start with `q-`",
                step.id
            );
        }
    }

    #[test]
    fn every_question_is_complete_and_self_consistent() {
        let lesson = quiz();
        let questions: Vec<_> = lesson
            .steps
            .iter()
            .filter(|s| s.kind == StepKind::Question)
            .collect();
        assert!(questions.len() >= 15, "only {} questions", questions.len());
        let mut kinds = BTreeSet::new();
        for step in questions {
            let id = &step.id;
            let Some(q) = &step.question else {
                panic!("{id}: kind question without a `question:` block")
            };
            assert_both_languages(&format!("{id}: prompt"), &q.prompt);
            assert_both_languages(&format!("{id}: explanation"), &q.explanation);
            match &q.answer {
                QuestionKind::Single { options, .. } | QuestionKind::Multiple { options, .. } => {
                    for (i, option) in options.iter().enumerate() {
                        assert_both_languages(&format!("{id}: option {i}"), option);
                    }
                }
                QuestionKind::Order { items } => {
                    for (i, item) in items.iter().enumerate() {
                        assert_both_languages(&format!("{id}: item {i}"), item);
                    }
                }
                QuestionKind::FreeText { .. } => {}
            }
            let problems = question_problems(q);
            assert!(problems.is_empty(), "{id}: {problems:?}");
            assert!(
                TEACHING_STEPS.contains(&q.teaches.as_str()),
                "{id}: teaches `{}`, not one of the lesson steps {TEACHING_STEPS:?}",
                q.teaches
            );
            assert!(!q.topics.is_empty(), "{id}: no topics");
            for topic in &q.topics {
                assert!(
                    TOPICS.contains(&topic.as_str()),
                    "{id}: unknown topic `{topic}` (known: {TOPICS:?})"
                );
            }
            kinds.insert(q.answer.name());
        }
        assert_eq!(
            kinds,
            BTreeSet::from(["single", "multiple", "free_text", "order"]),
            "the quiz should use every kind of question"
        );
    }

    #[test]
    fn every_topic_is_covered() {
        let lesson = quiz();
        let mut coverage: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for step in &lesson.steps {
            for topic in step.question.iter().flat_map(|q| &q.topics) {
                coverage.entry(topic.as_str()).or_default().push(&step.id);
            }
        }
        let missing: Vec<_> = TOPICS
            .iter()
            .filter(|t| !coverage.contains_key(*t))
            .collect();
        assert!(missing.is_empty(), "topics without a question: {missing:?}");
    }

    /// What learners really type, per free-text question: answers that must
    /// get full marks and answers that must not. A new free-text question
    /// needs a line here, so its `accept` is tried before learners meet it.
    fn free_text_samples() -> BTreeMap<&'static str, (Vec<&'static str>, Vec<&'static str>)> {
        BTreeMap::from([
            (
                "q-commit-layer-count",
                (
                    vec!["6", "Шесть", "six", "6 слоёв", "5 + 1 = 6", "six layers"],
                    vec!["5", "7", "16", "пять", "столько же"],
                ),
            ),
            (
                "q-publish-write",
                (
                    vec![
                        "-p 127.0.0.1:9000:80",
                        "-p 9000:80",
                        "docker run -d -p 127.0.0.1:9000:80 my/web:1.0",
                        "--publish 127.0.0.1:9000:80/tcp",
                        "-p9000:80",
                    ],
                    vec![
                        "-p 80:9000",
                        "-p 127.0.0.1:80:9000",
                        "-p 9000",
                        "-p 9000:8080",
                        "-p 19000:80",
                    ],
                ),
            ),
            (
                "q-kernel-uname",
                (
                    vec!["6.1.0-18-amd64", "6.1.0-18", "Тот же: 6.1.0-18-amd64"],
                    vec!["3.22", "alpine", "6.8.0-18", "16.1.0-18"],
                ),
            ),
        ])
    }

    #[test]
    fn free_text_questions_accept_what_learners_write() {
        let lesson = quiz();
        let samples = free_text_samples();
        for step in &lesson.steps {
            let Some(q) = &step.question else { continue };
            if !matches!(q.answer, QuestionKind::FreeText { .. }) {
                continue;
            }
            let Some((right, wrong)) = samples.get(step.id.as_str()) else {
                panic!("{}: add sample answers to free_text_samples()", step.id)
            };
            for answer in right {
                let s = score(q, &Answer::FreeText(answer.to_string()));
                assert_eq!(
                    s.verdict,
                    Verdict::Right,
                    "{}: {answer:?} -> {s:?}",
                    step.id
                );
            }
            for answer in wrong {
                let s = score(q, &Answer::FreeText(answer.to_string()));
                assert_ne!(
                    s.verdict,
                    Verdict::Right,
                    "{}: {answer:?} accepted",
                    step.id
                );
            }
        }
    }

    #[test]
    fn the_right_answer_scores_right_and_a_wrong_one_does_not() {
        for step in &quiz().steps {
            let Some(q) = &step.question else { continue };
            let (right, wrong) = match &q.answer {
                QuestionKind::Single { options, correct } => (
                    Answer::Single(*correct),
                    Answer::Single((*correct + 1) % options.len()),
                ),
                QuestionKind::Multiple { options, correct } => (
                    Answer::Multiple(correct.iter().copied().collect()),
                    Answer::Multiple(
                        (0..options.len())
                            .filter(|i| !correct.contains(i))
                            .collect(),
                    ),
                ),
                QuestionKind::Order { items } => (
                    Answer::Order((0..items.len()).collect()),
                    Answer::Order((0..items.len()).rev().collect()),
                ),
                QuestionKind::FreeText { .. } => continue,
            };
            assert!(score(q, &right).is_right(), "{}", step.id);
            assert_eq!(score(q, &wrong).verdict, Verdict::Wrong, "{}", step.id);
        }
    }

    #[test]
    fn a_broken_quiz_file_says_where() {
        let err = match parse_quiz(
            "format_version: 1\nid: quiz\ntitle: {ru: a, en: b}\nsteps:\n  - id: x\n    kind: nonsense\n",
        ) {
            Ok(_) => panic!("an unknown step kind must not parse"),
            Err(e) => e.to_string(),
        };
        assert!(err.starts_with("lessons/90-quiz.yaml:6:"), "{err}");
    }

    /// `| `key` | `q-a`, `q-b` |` rows of a Markdown file, by key.
    fn table_rows(markdown: &str) -> BTreeMap<String, BTreeSet<String>> {
        let backticked = |cell: &str| {
            let cell = cell.trim();
            cell.strip_prefix('`')
                .and_then(|c| c.strip_suffix('`'))
                .map(str::to_owned)
        };
        markdown
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line
                    .trim()
                    .strip_prefix('|')?
                    .strip_suffix('|')?
                    .split('|')
                    .collect();
                let [key, ids] = cells.as_slice() else {
                    return None;
                };
                let key = backticked(key)?;
                let ids: Option<BTreeSet<String>> = ids.split(',').map(backticked).collect();
                Some((key, ids?))
            })
            .collect()
    }

    #[test]
    fn docs_coverage_tables_match_the_bank() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/quiz.md");
        let docs = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let documented = table_rows(&docs);
        let mut actual: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for step in &quiz().steps {
            let Some(q) = &step.question else { continue };
            for key in q.topics.iter().chain([&q.teaches]) {
                actual
                    .entry(key.clone())
                    .or_default()
                    .insert(step.id.clone());
            }
        }
        for key in TOPICS.iter().chain(TEACHING_STEPS) {
            assert_eq!(
                documented.get(*key),
                actual.get(*key),
                "docs/quiz.md: the row for `{key}` does not list the questions the bank has"
            );
        }
    }

    #[test]
    fn every_teaching_step_is_asked_about() {
        let lesson = quiz();
        let taught: BTreeSet<&str> = lesson
            .steps
            .iter()
            .filter_map(|s| s.question.as_ref())
            .map(|q| q.teaches.as_str())
            .collect();
        let untested: Vec<_> = TEACHING_STEPS
            .iter()
            .filter(|s| !taught.contains(*s))
            .collect();
        assert!(untested.is_empty(), "no question about {untested:?}");
    }
}
