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
    /// A step with host access (a privileged container): the full command
    /// it runs, and an explicit `y` before it does; anything else is no.
    Consent {
        command: String,
        /// Never shown: the prompt takes no text, but `focused` needs a field.
        input: tui_input::Input,
    },
}

impl std::fmt::Debug for Prompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Prompt::Registry { input, .. } => write!(f, "Prompt::Registry({:?})", input.value()),
            Prompt::Archive { input, .. } => write!(f, "Prompt::Archive({:?})", input.value()),
            Prompt::Consent { command, .. } => write!(f, "Prompt::Consent({command:?})"),
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
            Prompt::Registry { input, .. }
            | Prompt::Archive { input, .. }
            | Prompt::Consent { input, .. } => input,
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
            Prompt::Consent { .. } => {}
        }
    }
}

/// The lesson screen's parts that scroll; Tab moves the keyboard between
/// the ones present, and the focused one has the bright border and a `▶`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Text,
    /// A `file` step's file (and the one beside it).
    File,
    /// What the step printed: it then fills the screen.
    Output,
}

/// How far a pane scrolled; `END` means "the last page", whatever its size.
pub const END: u16 = u16::MAX;

/// Rows the file and the output have and show on the current screen
/// (`ui::lesson::limits` measures them the way they are drawn), so a key
/// clamps a pane's scroll to what is there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub file: (u16, u16),
    pub output: (u16, u16),
}

#[derive(Debug, Clone)]
pub struct LessonScreen {
    pub lesson: usize,
    pub step: usize,
    pub scroll: u16,
    pub focus: Pane,
    /// `None`: the file view starts at the first highlighted line.
    pub file_scroll: Option<u16>,
    /// `None`: a finished step's output from its top, a running one's end.
    pub output_scroll: Option<u16>,
    pub run: RunState,
    pub log: Vec<String>,
    pub bars: Vec<(String, u64, u64, String)>,
    pub counter: Option<(u32, u32)>,
    pub prompt: Option<Prompt>,
    /// The inline answer editor, open over the step's text.
    pub editor: Option<Box<super::answer::AnswerEditor>>,
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
            focus: Pane::Text,
            file_scroll: None,
            output_scroll: None,
            run: RunState::Idle,
            log: Vec::new(),
            bars: Vec::new(),
            counter: None,
            prompt: None,
            editor: None,
            hints: Vec::new(),
            for_me: false,
            confirming: false,
            confirmed: false,
        }
    }

    /// Move between steps, panes, or scroll; false when `action` means
    /// nothing here. `has_file`: the step shows a file (it can take the focus).
    pub fn handle(&mut self, action: Action, steps: usize, has_file: bool, limits: Limits) -> bool {
        let has_output = self.run != RunState::Idle;
        match (action, self.focus) {
            (Action::NextStep, _) => self.next(steps),
            (Action::PrevStep, _) => self.go(self.step.saturating_sub(1)),
            (Action::FocusOutput, _) => {
                let order = [Pane::Text, Pane::File, Pane::Output];
                let at = order.iter().position(|p| *p == self.focus).unwrap_or(0);
                self.focus = (1..=order.len())
                    .map(|i| order[(at + i) % order.len()])
                    .find(|p| match p {
                        Pane::Text => true,
                        Pane::File => has_file,
                        Pane::Output => has_output,
                    })
                    .unwrap_or(Pane::Text);
            }
            // G/End: the end of what the step printed, the output taking
            // the screen; without output, the last step.
            (Action::Bottom, _) if has_output => {
                self.focus = Pane::Output;
                self.output_scroll = Some(END);
            }
            (Action::Top, Pane::Output) => self.output_scroll = Some(0),
            (Action::Top, Pane::File) => self.file_scroll = Some(0),
            (Action::Top, _) => self.go(0),
            (Action::Bottom, Pane::File) => self.file_scroll = Some(END),
            (Action::Bottom, _) => self.go(steps.saturating_sub(1)),
            (Action::Up | Action::Down | Action::PageUp | Action::PageDown, pane) => {
                let delta: i32 = match action {
                    Action::Up => -1,
                    Action::Down => 1,
                    Action::PageUp => -10,
                    _ => 10,
                };
                match pane {
                    Pane::Text => {
                        self.scroll = self.scroll.saturating_add_signed(delta as i16);
                    }
                    Pane::File => {
                        Self::scroll_pane(&mut self.file_scroll, limits.file, delta);
                    }
                    Pane::Output => {
                        Self::scroll_pane(&mut self.output_scroll, limits.output, delta);
                    }
                }
            }
            _ => return false,
        }
        true
    }

    fn scroll_pane(scroll: &mut Option<u16>, (total, shown): (u16, u16), delta: i32) {
        let max = total.saturating_sub(shown);
        let now = scroll.map_or(0, |s| s.min(max));
        let page = if delta.abs() > 1 {
            i32::from(shown.max(2) - 1) * delta.signum()
        } else {
            delta
        };
        let next = (i32::from(now) + page).clamp(0, i32::from(max));
        *scroll = Some(u16::try_from(next).unwrap_or(0));
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
        self.output_scroll = None;
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
