//! The self-check quiz: one question at a time, the explanation after each
//! answer (right or wrong), the score, and a retry of the wrong ones.

use std::collections::BTreeSet;

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

    /// Answer, move or retry; false when `action` means nothing here.
    pub fn handle(&mut self, action: Action) -> bool {
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
            Action::ResetLesson if self.session.is_finished() => {
                self.queue = self.session.retry_wrong();
                if let Some(&first) = self.queue.first() {
                    self.go(first);
                }
            }
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
        }
    }
}

fn toggle(set: &mut BTreeSet<usize>, value: usize) {
    if !set.remove(&value) {
        set.insert(value);
    }
}
