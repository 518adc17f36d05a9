//! The self-check quiz: one question at a time, the explanation after each
//! answer (right or wrong), the score, and a retry of the wrong ones.

use std::collections::{BTreeMap, BTreeSet};

use crate::i18n::Text;

use tui_input::Input;

use crate::quiz::QuestionKind;
use crate::quiz::score::{Answer, Score};
use crate::quiz::session::QuizSession;
use crate::tui::keys::Action;

#[derive(Debug)]
pub struct QuizScreen {
    pub session: QuizSession,
    pub index: usize,
    /// The highlighted option or item (display order).
    pub cursor: usize,
    /// Multiple choice: the ticked options (display order).
    pub picks: BTreeSet<usize>,
    /// Ordering: the items as the learner has arranged them (display indices).
    pub arrangement: Vec<usize>,
    /// Ordering: an item is "held" and moves with the cursor.
    pub holding: bool,
    pub text: Input,
    /// Set once the current question is answered: its score is shown.
    pub result: Option<Score>,
    /// Indices still to go in this round (all, or the wrong ones on retry).
    pub queue: Vec<usize>,
    /// The end of a round: the wrong answers, the right ones, what to reread.
    pub summary: bool,
    pub summary_scroll: u16,
    /// For each `teaches` (`lesson-id/step-id`): the lesson's and the
    /// step's titles, so the learner is sent to a title, not an id.
    pub rereads: BTreeMap<String, (Text, Option<Text>)>,
}

impl QuizScreen {
    pub fn new(session: QuizSession) -> QuizScreen {
        let queue: Vec<usize> = (0..session.len()).collect();
        let mut screen = QuizScreen {
            session,
            index: 0,
            cursor: 0,
            picks: BTreeSet::new(),
            arrangement: Vec::new(),
            holding: false,
            text: Input::default(),
            result: None,
            queue,
            summary: false,
            summary_scroll: 0,
            rereads: BTreeMap::new(),
        };
        let first = screen.session.next_unanswered().unwrap_or(0);
        screen.go(first);
        screen
    }

    fn option_count(&self) -> usize {
        match self.session.item(self.index).map(|i| &i.question.answer) {
            Some(QuestionKind::Single { options, .. })
            | Some(QuestionKind::Multiple { options, .. }) => options.len(),
            Some(QuestionKind::Order { items }) => items.len(),
            _ => 0,
        }
    }

    /// Show question `index`, with its earlier answer when there is one.
    pub fn go(&mut self, index: usize) {
        self.index = index.min(self.session.len().saturating_sub(1));
        self.cursor = 0;
        self.picks.clear();
        self.holding = false;
        self.text = Input::default();
        self.arrangement = (0..self.option_count()).collect();
        self.result = self.session.score(self.index);
    }

    /// Free-text questions take typed characters until answered.
    pub fn wants_text(&self) -> bool {
        self.result.is_none()
            && matches!(
                self.session.item(self.index).map(|i| &i.question.answer),
                Some(QuestionKind::FreeText { .. })
            )
    }

    pub fn finished(&self) -> bool {
        self.session.is_finished()
            && self.result.is_some()
            && self.queue.last() == Some(&self.index)
    }

    /// The lesson and step that teach question `index`, by title.
    pub fn reread(&self, index: usize) -> Option<&(Text, Option<Text>)> {
        let teaches = &self.session.item(index)?.question.teaches;
        self.rereads.get(teaches)
    }

    /// Retry the questions not fully right; with none, the summary stays.
    fn retry(&mut self) {
        if self.session.not_fully_right().is_empty() {
            self.summary = true;
            return;
        }
        self.queue = self.session.retry_wrong();
        self.summary = false;
        self.summary_scroll = 0;
        if let Some(&first) = self.queue.first() {
            self.go(first);
        }
    }

    /// Answer, move or retry; false when `action` means nothing here.
    pub fn handle(&mut self, action: Action) -> bool {
        if self.summary {
            match action {
                Action::Up => self.summary_scroll = self.summary_scroll.saturating_sub(1),
                Action::Down => self.summary_scroll = self.summary_scroll.saturating_add(1),
                Action::PageUp => self.summary_scroll = self.summary_scroll.saturating_sub(10),
                Action::PageDown => self.summary_scroll = self.summary_scroll.saturating_add(10),
                Action::ResetLesson => self.retry(),
                // Back to the questions, to look at them again.
                Action::PrevStep => self.summary = false,
                _ => return false,
            }
            return true;
        }
        let count = self.option_count();
        match action {
            Action::Up if self.holding && self.cursor > 0 => {
                self.arrangement.swap(self.cursor, self.cursor - 1);
                self.cursor -= 1;
            }
            Action::Down if self.holding && self.cursor + 1 < count => {
                self.arrangement.swap(self.cursor, self.cursor + 1);
                self.cursor += 1;
            }
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Down => self.cursor = (self.cursor + 1).min(count.saturating_sub(1)),
            Action::Run => match self.session.item(self.index).map(|i| &i.question.answer) {
                Some(QuestionKind::Multiple { .. }) if self.result.is_none() => {
                    toggle(&mut self.picks, self.cursor)
                }
                Some(QuestionKind::Order { .. }) if self.result.is_none() => {
                    self.holding = !self.holding
                }
                _ => {}
            },
            Action::Select if self.result.is_none() => self.submit(),
            Action::Select | Action::NextStep => self.advance(),
            Action::PrevStep => {
                let pos = self
                    .queue
                    .iter()
                    .position(|&i| i == self.index)
                    .unwrap_or(0);
                self.go(self.queue[pos.saturating_sub(1)]);
            }
            // Before the end too: the wrong ones and those not answered yet.
            Action::ResetLesson => self.retry(),
            _ => return false,
        }
        true
    }

    /// A click on an option (display index): it becomes the highlighted
    /// one, and a multiple-choice option is ticked or unticked.
    pub fn click(&mut self, option: usize) {
        if self.result.is_some() || self.holding || option >= self.option_count() {
            return;
        }
        self.cursor = option;
        if matches!(
            self.session.item(self.index).map(|i| &i.question.answer),
            Some(QuestionKind::Multiple { .. })
        ) {
            toggle(&mut self.picks, option);
        }
    }

    fn submit(&mut self) {
        let Some(item) = self.session.item(self.index) else {
            return;
        };
        let shown = match &item.question.answer {
            QuestionKind::Single { .. } => Answer::Single(self.cursor),
            QuestionKind::Multiple { .. } => Answer::Multiple(self.picks.clone()),
            // A stray Enter on an empty line is not an answer.
            QuestionKind::FreeText { .. } if self.text.value().trim().is_empty() => return,
            QuestionKind::FreeText { .. } => Answer::FreeText(self.text.value().to_string()),
            QuestionKind::Order { .. } => Answer::Order(self.arrangement.clone()),
        };
        self.result = self.session.answer_shown(self.index, shown);
        self.holding = false;
    }

    fn advance(&mut self) {
        let pos = self
            .queue
            .iter()
            .position(|&i| i == self.index)
            .unwrap_or(0);
        if let Some(&next) = self.queue.get(pos + 1) {
            self.go(next);
        } else if self.result.is_some() && self.session.is_finished() {
            self.summary = true;
            self.summary_scroll = 0;
        } else if let Some(next) = self.session.next_unanswered() {
            // The round's end with questions skipped: go to the first one.
            self.go(next);
        }
    }
}

fn toggle(set: &mut BTreeSet<usize>, value: usize) {
    if !set.remove(&value) {
        set.insert(value);
    }
}
