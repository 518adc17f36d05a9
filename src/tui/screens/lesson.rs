//! One lesson: the steps, the current step's text, the docker command it
//! stands for, and what happened when it ran.

use crate::tui::keys::Action;
use crate::tui::worker::{ProgressLine, StepOutcome};

/// Keep the log bounded: a build can print thousands of lines.
const LOG_LINES: usize = 500;

#[derive(Debug, Clone, PartialEq)]
pub enum RunState {
    Idle,
    Running,
    Finished(StepOutcome),
    Failed(crate::i18n::Text),
}

/// What the lesson screen must ask before the step can run: where to push,
/// or the credentials a registry refused. The password lives here only until
/// Enter hands it to the Docker worker's memory; it is drawn as dots.
#[derive(Clone)]
pub enum Prompt {
    Registry {
        input: tui_input::Input,
        error: Option<String>,
    },
    /// The path of a `docker save` tarball for a `load` step.
    Archive {
        input: tui_input::Input,
        error: Option<String>,
    },
    Credentials {
        registry: String,
        username: tui_input::Input,
        password: tui_input::Input,
        on_password: bool,
        error: Option<String>,
    },
}

impl std::fmt::Debug for Prompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Prompt::Registry { input, .. } => write!(f, "Prompt::Registry({:?})", input.value()),
            Prompt::Archive { input, .. } => write!(f, "Prompt::Archive({:?})", input.value()),
            Prompt::Credentials { registry, .. } => {
                write!(f, "Prompt::Credentials({registry}, <redacted>)")
            }
        }
    }
}

impl Prompt {
    pub fn registry() -> Prompt {
        Prompt::Registry {
            input: tui_input::Input::default(),
            error: None,
        }
    }

    pub fn archive() -> Prompt {
        Prompt::Archive {
            input: tui_input::Input::default(),
            error: None,
        }
    }

    pub fn credentials(registry: String) -> Prompt {
        Prompt::Credentials {
            registry,
            username: tui_input::Input::default(),
            password: tui_input::Input::default(),
            on_password: false,
            error: None,
        }
    }

    /// The field that takes typed keys.
    pub fn focused(&mut self) -> &mut tui_input::Input {
        match self {
            Prompt::Registry { input, .. } | Prompt::Archive { input, .. } => input,
            Prompt::Credentials {
                username,
                password,
                on_password,
                ..
            } => {
                if *on_password {
                    password
                } else {
                    username
                }
            }
        }
    }

    pub fn next_field(&mut self) {
        if let Prompt::Credentials { on_password, .. } = self {
            *on_password = !*on_password;
        }
    }

    pub fn set_error(&mut self, message: String) {
        match self {
            Prompt::Registry { error, .. }
            | Prompt::Archive { error, .. }
            | Prompt::Credentials { error, .. } => *error = Some(message),
        }
    }
}

#[derive(Debug, Clone)]
pub struct LessonScreen {
    pub lesson: usize,
    pub step: usize,
    pub scroll: u16,
    pub run: RunState,
    pub log: Vec<String>,
    pub bars: Vec<(String, u64, u64, String)>,
    pub counter: Option<(u32, u32)>,
    pub prompt: Option<Prompt>,
    /// Hints the watcher found for this step (lines, already in the
    /// learner's language), and the note that Enter does not do it.
    pub hints: Vec<String>,
    /// The learner asked layerlab to do this step ("do it for me"), so a
    /// prompt it needs first (the registry) ends by running it.
    pub for_me: bool,
    /// A step marked `confirm` waits for y (anything else says no).
    pub confirming: bool,
    /// The learner said yes to it.
    pub confirmed: bool,
}

impl LessonScreen {
    pub fn new(lesson: usize, step: usize) -> LessonScreen {
        LessonScreen {
            lesson,
            step,
            scroll: 0,
            run: RunState::Idle,
            log: Vec::new(),
            bars: Vec::new(),
            counter: None,
            prompt: None,
            hints: Vec::new(),
            for_me: false,
            confirming: false,
            confirmed: false,
        }
    }

    /// Move between steps or scroll; false when `action` means nothing here.
    pub fn handle(&mut self, action: Action, steps: usize) -> bool {
        match action {
            Action::NextStep => self.next(steps),
            Action::PrevStep => self.go(self.step.saturating_sub(1)),
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Down => self.scroll = self.scroll.saturating_add(1),
            Action::PageUp => self.scroll = self.scroll.saturating_sub(10),
            Action::PageDown => self.scroll = self.scroll.saturating_add(10),
            Action::Top => self.go(0),
            Action::Bottom => self.go(steps.saturating_sub(1)),
            _ => return false,
        }
        true
    }

    pub fn next(&mut self, steps: usize) {
        self.go((self.step + 1).min(steps.saturating_sub(1)));
    }

    fn go(&mut self, step: usize) {
        if step != self.step {
            *self = LessonScreen::new(self.lesson, step);
        }
    }

    pub fn start_run(&mut self) {
        self.run = RunState::Running;
        self.log.clear();
        self.bars.clear();
        self.counter = None;
    }

    pub fn push_progress(&mut self, line: ProgressLine) {
        match line {
            ProgressLine::Log(text) => {
                self.log.push(text);
                if self.log.len() > LOG_LINES {
                    self.log.drain(..self.log.len() - LOG_LINES);
                }
            }
            ProgressLine::Counter { current, total } => self.counter = Some((current, total)),
            ProgressLine::Bar {
                id,
                current,
                total,
                status,
            } => match self.bars.iter_mut().find(|b| b.0 == id) {
                Some(bar) => *bar = (id, current, total, status),
                None => self.bars.push((id, current, total, status)),
            },
        }
    }

    pub fn finish_run(&mut self, outcome: StepOutcome) {
        self.run = RunState::Finished(outcome);
    }

    pub fn fail_run(&mut self, message: impl Into<crate::i18n::Text>) {
        self.run = RunState::Failed(message.into());
    }
}
