//! One sitting of the quiz: the questions in order, the answers given, the
//! total, and "retry the ones I got wrong". The learner-visible state is
//! [`SessionState`], plain serde data that `progress.rs` keeps between runs;
//! shuffles are not stored but re-derived from its seed, so they are the same
//! after a restart.

use serde::{Deserialize, Serialize};

use super::score::{Answer, Score, Shuffle, Verdict, mix_seed, score, stable_hash};
use crate::lesson::question::Question;
use crate::lesson::{Lesson, StepKind};

/// A question together with where it lives.
#[derive(Debug, Clone)]
pub struct QuizItem {
    /// `lesson-id/step-id`, unique across the pack.
    pub id: String,
    pub question: Question,
}

impl QuizItem {
    /// The question steps of `lesson`, in order. Steps of kind `question`
    /// without a `question:` block are skipped (the validator reports them).
    pub fn from_lesson(lesson: &Lesson) -> Vec<QuizItem> {
        lesson
            .steps
            .iter()
            .filter(|step| step.kind == StepKind::Question)
            .filter_map(|step| {
                step.question.as_ref().map(|question| QuizItem {
                    id: format!("{}/{}", lesson.id, step.id),
                    question: question.clone(),
                })
            })
            .collect()
    }

    /// Changes whenever the question's answer part changes (options added or
    /// reordered, the right option moved), so an answer saved against the old
    /// wording is dropped instead of being scored against the new one.
    pub fn fingerprint(&self) -> String {
        let answer_part = serde_json::to_vec(&self.question.answer).unwrap_or_default();
        format!("{:016x}", stable_hash(&answer_part))
    }
}

/// What is kept between runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    /// Drives every shuffle of this session.
    pub seed: u64,
    /// Bumped by each retry so retried questions come back in a new order.
    #[serde(default)]
    pub round: u32,
    /// One per question, in quiz order.
    pub answers: Vec<SavedAnswer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedAnswer {
    /// The question's `lesson-id/step-id`.
    pub id: String,
    /// [`QuizItem::fingerprint`] of the question when it was answered.
    pub fingerprint: String,
    /// In the question's original indices; `None` while unanswered.
    #[serde(default)]
    pub answer: Option<Answer>,
}

/// The sum over the session.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Total {
    /// Sum of the questions' points (each `0..=1`).
    pub points: f32,
    /// Number of questions, i.e. the most `points` can be.
    pub questions: usize,
    pub right: usize,
    pub partial: usize,
    pub wrong: usize,
    pub empty: usize,
    pub unanswered: usize,
}

#[derive(Debug, Clone)]
pub struct QuizSession {
    items: Vec<QuizItem>,
    state: SessionState,
}

impl QuizSession {
    pub fn new(items: Vec<QuizItem>, seed: u64) -> QuizSession {
        let answers = items
            .iter()
            .map(|item| SavedAnswer {
                id: item.id.clone(),
                fingerprint: item.fingerprint(),
                answer: None,
            })
            .collect();
        QuizSession {
            items,
            state: SessionState {
                seed,
                round: 0,
                answers,
            },
        }
    }

    /// Continue a saved session with the questions as they are now: answers
    /// to questions that are gone or have changed are dropped, new questions
    /// start unanswered, and the order is the current one.
    pub fn resume(items: Vec<QuizItem>, saved: SessionState) -> QuizSession {
        let mut session = QuizSession::new(items, saved.seed);
        session.state.round = saved.round;
        for slot in &mut session.state.answers {
            slot.answer = saved
                .answers
                .iter()
                .find(|s| s.id == slot.id && s.fingerprint == slot.fingerprint)
                .and_then(|s| s.answer.clone());
        }
        session
    }

    pub fn state(&self) -> &SessionState {
        &self.state
    }

    pub fn items(&self) -> &[QuizItem] {
        &self.items
    }

    pub fn item(&self, index: usize) -> Option<&QuizItem> {
        self.items.get(index)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How question `index` is shown this round.
    pub fn shuffle(&self, index: usize) -> Option<Shuffle> {
        let item = self.items.get(index)?;
        let salt = stable_hash(item.id.as_bytes()) ^ u64::from(self.state.round);
        Some(Shuffle::for_question(
            &item.question.answer,
            mix_seed(self.state.seed, salt),
        ))
    }

    /// Record an answer in original indices and score it. `None` when there
    /// is no question `index`.
    pub fn answer(&mut self, index: usize, answer: Answer) -> Option<Score> {
        let result = score(&self.items.get(index)?.question, &answer);
        self.state.answers.get_mut(index)?.answer = Some(answer);
        Some(result)
    }

    /// Record an answer made on screen (positions as shown by
    /// [`QuizSession::shuffle`]) and score it.
    pub fn answer_shown(&mut self, index: usize, shown: Answer) -> Option<Score> {
        let answer = self.shuffle(index)?.to_original(&shown);
        self.answer(index, answer)
    }

    /// The answer given to question `index`, in original indices.
    pub fn given(&self, index: usize) -> Option<&Answer> {
        self.state.answers.get(index)?.answer.as_ref()
    }

    /// The score of question `index`; `None` while unanswered.
    pub fn score(&self, index: usize) -> Option<Score> {
        let answer = self.given(index)?;
        Some(score(&self.items.get(index)?.question, answer))
    }

    pub fn total(&self) -> Total {
        let mut total = Total {
            points: 0.0,
            questions: self.items.len(),
            right: 0,
            partial: 0,
            wrong: 0,
            empty: 0,
            unanswered: 0,
        };
        for index in 0..self.items.len() {
            match self.score(index) {
                None => total.unanswered += 1,
                Some(s) => {
                    total.points += s.points;
                    match s.verdict {
                        Verdict::Right => total.right += 1,
                        Verdict::Partial => total.partial += 1,
                        Verdict::Wrong => total.wrong += 1,
                        Verdict::Empty => total.empty += 1,
                    }
                }
            }
        }
        total
    }

    /// The first question still without an answer.
    pub fn next_unanswered(&self) -> Option<usize> {
        (0..self.items.len()).find(|&i| self.given(i).is_none())
    }

    pub fn is_finished(&self) -> bool {
        self.next_unanswered().is_none()
    }

    /// Questions not fully right (wrong, partial, empty or unanswered), in
    /// quiz order.
    pub fn not_fully_right(&self) -> Vec<usize> {
        (0..self.items.len())
            .filter(|&i| !self.score(i).is_some_and(|s| s.is_right()))
            .collect()
    }

    /// Start a retry of the questions not fully right: their answers are
    /// cleared, right answers are kept, and the next round reshuffles. Returns
    /// the questions to go through again.
    pub fn retry_wrong(&mut self) -> Vec<usize> {
        let again = self.not_fully_right();
        for &i in &again {
            if let Some(slot) = self.state.answers.get_mut(i) {
                slot.answer = None;
            }
        }
        self.state.round = self.state.round.wrapping_add(1);
        again
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Text;
    use crate::quiz::QuestionKind;
    use std::collections::BTreeSet;

    fn t(s: &str) -> Text {
        Text::new(s, s)
    }

    fn item(id: &str, answer: QuestionKind) -> QuizItem {
        QuizItem {
            id: format!("quiz/{id}"),
            question: Question {
                prompt: t("?"),
                answer,
                explanation: t("!"),
                teaches: "image-container/layers".into(),
                topics: vec![],
            },
        }
    }

    fn items() -> Vec<QuizItem> {
        vec![
            item(
                "q-single",
                QuestionKind::Single {
                    options: vec![t("a"), t("b"), t("c"), t("d")],
                    correct: 2,
                },
            ),
            item(
                "q-multiple",
                QuestionKind::Multiple {
                    options: vec![t("a"), t("b"), t("c"), t("d")],
                    correct: vec![0, 3],
                },
            ),
            item(
                "q-free",
                QuestionKind::FreeText {
                    accept: vec![vec!["ядр".into(), "kernel".into()]],
                },
            ),
            item(
                "q-order",
                QuestionKind::Order {
                    items: vec![t("1"), t("2"), t("3"), t("4")],
                },
            ),
        ]
    }

    #[test]
    fn scores_add_up_and_retry_takes_only_the_not_right_ones() {
        let mut session = QuizSession::new(items(), 11);
        assert_eq!(session.next_unanswered(), Some(0));
        assert!(
            session
                .answer(0, Answer::Single(2))
                .is_some_and(|s| s.is_right())
        );
        let partial = session
            .answer(1, Answer::Multiple(BTreeSet::from([0])))
            .expect("question 1 exists");
        assert_eq!(partial.verdict, Verdict::Partial);
        assert!(
            session
                .answer(2, Answer::FreeText("Ядро хоста".into()))
                .is_some_and(|s| s.is_right())
        );
        assert_eq!(session.next_unanswered(), Some(3));
        let total = session.total();
        assert_eq!(total.questions, 4);
        assert_eq!((total.right, total.partial, total.unanswered), (2, 1, 1));
        assert!((total.points - 2.5).abs() < 1e-6, "{total:?}");

        session.answer(3, Answer::Order(vec![3, 2, 1, 0]));
        assert!(session.is_finished());
        assert_eq!(session.total().wrong, 1);

        assert_eq!(session.not_fully_right(), vec![1, 3]);
        assert_eq!(session.retry_wrong(), vec![1, 3]);
        assert_eq!(session.given(1), None);
        assert_eq!(session.given(0), Some(&Answer::Single(2)));
        assert_eq!(session.next_unanswered(), Some(1));
        assert_eq!(session.state().round, 1);
    }

    #[test]
    fn unknown_question_index_is_none_not_a_panic() {
        let mut session = QuizSession::new(items(), 1);
        assert!(session.answer(9, Answer::Single(0)).is_none());
        assert!(session.answer_shown(9, Answer::Single(0)).is_none());
        assert!(session.shuffle(9).is_none());
        assert!(session.score(9).is_none());
    }

    #[test]
    fn answers_made_on_screen_are_scored_in_original_indices() {
        let mut session = QuizSession::new(items(), 12345);
        let shuffle = session.shuffle(0).expect("question 0");
        let shown = shuffle.display(2).expect("option 2 is shown");
        let s = session
            .answer_shown(0, Answer::Single(shown))
            .expect("scored");
        assert!(s.is_right());
        assert_eq!(session.given(0), Some(&Answer::Single(2)));

        let shuffle = session.shuffle(3).expect("question 3");
        let right_on_screen: Vec<usize> = (0..4).filter_map(|o| shuffle.display(o)).collect();
        let s = session
            .answer_shown(3, Answer::Order(right_on_screen))
            .expect("scored");
        assert!(s.is_right(), "{s:?}");
    }

    #[test]
    fn shuffles_are_stable_per_seed_and_change_with_retry() {
        let a = QuizSession::new(items(), 7);
        let b = QuizSession::new(items(), 7);
        for i in 0..a.len() {
            assert_eq!(a.shuffle(i), b.shuffle(i));
        }
        let mut retried = QuizSession::new(items(), 7);
        retried.retry_wrong();
        let changed = (0..a.len()).any(|i| a.shuffle(i) != retried.shuffle(i));
        assert!(changed, "a retry should show options in a new order");
    }

    #[test]
    fn state_survives_json_and_resume() {
        let mut session = QuizSession::new(items(), 99);
        session.answer(0, Answer::Single(1));
        session.answer(2, Answer::FreeText("kernel".into()));
        session.retry_wrong();
        session.answer(0, Answer::Single(2));
        let json = serde_json::to_string(session.state()).expect("serialises");
        let saved: SessionState = serde_json::from_str(&json).expect("parses");
        assert_eq!(&saved, session.state());

        let resumed = QuizSession::resume(items(), saved);
        assert_eq!(resumed.state(), session.state());
        assert_eq!(resumed.total(), session.total());
        for i in 0..resumed.len() {
            assert_eq!(resumed.shuffle(i), session.shuffle(i));
        }
    }

    #[test]
    fn resume_drops_answers_to_changed_or_removed_questions() {
        let mut session = QuizSession::new(items(), 5);
        session.answer(0, Answer::Single(2));
        session.answer(1, Answer::Multiple(BTreeSet::from([0, 3])));
        session.answer(2, Answer::FreeText("ядро".into()));
        let saved = session.state().clone();

        let mut changed = items();
        // the right option of q-single moved: the old answer means nothing now
        changed[0].question.answer = QuestionKind::Single {
            options: vec![t("a"), t("b"), t("c"), t("d")],
            correct: 1,
        };
        // q-free removed, a new question added at the front
        changed.remove(2);
        changed.insert(
            0,
            item(
                "q-new",
                QuestionKind::Single {
                    options: vec![t("x"), t("y")],
                    correct: 0,
                },
            ),
        );
        let resumed = QuizSession::resume(changed, saved);
        assert_eq!(resumed.len(), 4);
        assert_eq!(resumed.given(0), None, "new question");
        assert_eq!(resumed.given(1), None, "changed question");
        assert_eq!(
            resumed.given(2),
            Some(&Answer::Multiple(BTreeSet::from([0, 3])))
        );
        assert_eq!(resumed.given(3), None);
    }

    #[test]
    fn from_lesson_takes_question_steps_with_qualified_ids() {
        let yaml = r#"
format_version: 1
id: quiz
title: {ru: Тест, en: Quiz}
steps:
  - id: intro
    kind: prose
    text: {ru: Привет, en: Hello}
  - id: q-one
    kind: question
    question:
      prompt: {ru: Вопрос, en: Question}
      answer: {single: {options: [{ru: да, en: yes}, {ru: нет, en: no}], correct: 0}}
      explanation: {ru: Так, en: So}
      teaches: kernel/uname
"#;
        let lesson: Lesson = serde_yaml::from_str(yaml).expect("valid lesson");
        let items = QuizItem::from_lesson(&lesson);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].id, "quiz/q-one");
    }
}
