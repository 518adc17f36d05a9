//! The application state and the only place it changes (`App::update`).
//! Drawing is a pure function of this state (see `ui/`); slow work is asked
//! of the Docker worker through `Effect`s and comes back as events.
//!
//! What each screen does with an action lives beside this file, one file a
//! screen (`home`, `lesson`, `quiz`, `lab`, `explorer`), and what the worker
//! reports in `worker`.

mod answer;
mod consent;
mod explorer;
mod home;
mod lab;
mod lesson;
mod quiz;
mod worker;

pub use lesson::edit_target;

use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind,
};
use tui_input::backend::crossterm::EventHandler;

use crate::i18n::{Lang, Text};
use crate::lesson::Lesson;
use crate::progress::Progress;
use crate::tui::event::Event;
use crate::tui::keys::{self, Action, Context};
use crate::tui::screens::explorer::ExplorerScreen;
use crate::tui::screens::lab::LabScreen;
use crate::tui::screens::lesson::{LessonScreen, Prompt};
use crate::tui::screens::lessons::LessonsScreen;
use crate::tui::screens::quiz::QuizScreen;
use crate::tui::theme::Theme;
use crate::tui::worker::{DaemonState, JobKind, WorkerRequest};

/// Something `update` wants done outside pure state: the main loop does it.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Worker(WorkerRequest),
    /// Suspend the TUI, run $VISUAL/$EDITOR on the file, resume.
    Edit(std::path::PathBuf),
    Quit,
}

#[derive(Debug)]
pub enum Screen {
    Lessons,
    Lesson(LessonScreen),
    Quiz(QuizScreen),
    Lab(Box<LabScreen>),
    Explorer(Box<ExplorerScreen>),
}

pub struct App {
    pub lang: Lang,
    pub theme: Theme,
    pub pack_title: Text,
    pub lessons: Vec<Lesson>,
    pub progress: Progress,
    pub daemon: DaemonState,
    pub home: LessonsScreen,
    pub screen: Screen,
    pub help_open: bool,
    pub help_scroll: u16,
    /// Animation frame for spinners; advances only on `Tick`.
    pub spinner: usize,
    pub running: Option<JobKind>,
    /// The step the worker watches for the learner's own commands.
    pub watching: Option<(String, String)>,
    /// The learner's image (for the lab and the explorer from the home screen).
    pub image: String,
    /// The pack's placeholder values at start (`{base_image}`, `{registry}`,
    /// …), so commands are shown as they will run.
    pub vars: std::collections::BTreeMap<String, String>,
    /// The pack, for its files: a `file` step shows the pack's copy until
    /// the lesson has put one in the workspace.
    pub pack: Option<std::sync::Arc<crate::lesson::loader::Pack>>,
    /// The learner's workspace folder (`file` steps read from it).
    pub workspace: std::path::PathBuf,
    /// One line for the learner that is not tied to a step (a save failed).
    pub notice: Option<crate::i18n::Text>,
    /// When the app itself was started with a screen other than the lessons
    /// (`layerlab lab`), leaving that screen quits.
    pub single_screen: bool,
    /// The lesson a step opened the explorer or the lab from.
    pub return_to: Vec<Screen>,
    /// The first R of "R R" (reset all progress) was pressed.
    pub reset_all_armed: bool,
    /// The first `r` (reset this lesson) was pressed.
    pub reset_lesson_armed: bool,
    /// A Ctrl-C cancelled a running job; the next one quits.
    pub interrupt_armed: bool,
    /// The terminal's size, as reported at start-up and by every resize:
    /// mouse clicks are mapped through the same pure layout functions the
    /// draw uses, without the draw writing anything back.
    pub frame: ratatui::layout::Rect,
    /// The `question` step (lesson id, step id) the quiz screen was opened
    /// for from a lesson other than the quiz: answering it completes the step.
    pub lesson_question: Option<(String, String)>,
}

impl App {
    pub fn new(
        lang: Lang,
        pack_title: Text,
        lessons: Vec<Lesson>,
        progress: Progress,
        image: String,
    ) -> App {
        App {
            lang,
            theme: Theme::from_env(),
            pack_title,
            lessons,
            progress,
            daemon: DaemonState::Connecting {
                endpoint: String::new(),
            },
            home: LessonsScreen::default(),
            screen: Screen::Lessons,
            help_open: false,
            help_scroll: 0,
            spinner: 0,
            running: None,
            watching: None,
            image,
            vars: Default::default(),
            pack: None,
            workspace: crate::paths::workspace_dir(),
            notice: None,
            single_screen: false,
            return_to: Vec::new(),
            reset_all_armed: false,
            reset_lesson_armed: false,
            interrupt_armed: false,
            frame: Default::default(),
            lesson_question: None,
        }
    }

    pub fn context(&self) -> Context {
        match self.screen {
            Screen::Lessons => Context::Lessons,
            Screen::Lesson(_) => Context::Lesson,
            Screen::Quiz(_) => Context::Quiz,
            Screen::Lab(_) => Context::Lab,
            Screen::Explorer(_) => Context::Explorer,
        }
    }

    /// Whether something animates, so the main loop knows to send `Tick`s.
    pub fn is_busy(&self) -> bool {
        self.running.is_some()
            || matches!(self.daemon, DaemonState::Connecting { .. })
            || matches!(&self.screen, Screen::Lab(lab) if (lab.image.is_none() && lab.error.is_none()) || lab.is_running())
            || matches!(&self.screen, Screen::Explorer(x) if x.error.is_none() && (x.analysis.is_none() || (x.compare.is_some() && x.comparison.is_none())))
    }

    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        let mut effects = self.update_inner(event);
        effects.extend(self.sync_watch());
        effects
    }

    fn update_inner(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Terminal(TermEvent::Key(key)) if key.kind != KeyEventKind::Release => {
                self.on_key(key)
            }
            Event::Terminal(TermEvent::Mouse(mouse)) => match mouse.kind {
                // In the lab ↑/↓ recall commands; the wheel scrolls the tree.
                MouseEventKind::ScrollUp | MouseEventKind::ScrollDown
                    if matches!(self.screen, Screen::Lab(_)) =>
                {
                    self.scroll_lab(Some(3), mouse.kind == MouseEventKind::ScrollDown);
                    Vec::new()
                }
                MouseEventKind::ScrollUp => self.on_action(Action::Up),
                MouseEventKind::ScrollDown => self.on_action(Action::Down),
                MouseEventKind::Down(crossterm::event::MouseButton::Left) => {
                    self.on_click(mouse.column, mouse.row)
                }
                _ => Vec::new(),
            },
            Event::Terminal(TermEvent::Resize(width, height)) => {
                self.frame = ratatui::layout::Rect::new(0, 0, width, height);
                Vec::new()
            }
            Event::Terminal(_) => Vec::new(),
            Event::Tick => {
                self.spinner = self.spinner.wrapping_add(1);
                Vec::new()
            }
            Event::Worker(event) => self.on_worker(event),
            Event::Terminate => vec![Effect::Quit],
        }
    }

    /// Screens that take typed text get printable keys first; everything
    /// else goes through the key table.
    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        // Ctrl-C is the one control key a text field never takes; the others
        // (Ctrl-U, Ctrl-W, …) edit the line.
        let ctrl_c =
            key.modifiers.contains(KeyModifiers::CONTROL) && matches!(key.code, KeyCode::Char('c'));
        if !ctrl_c {
            self.interrupt_armed = false;
        }
        if !self.help_open
            && !ctrl_c
            && matches!(&self.screen, Screen::Lesson(view) if view.editor.is_some())
        {
            return self.on_editor_key(key);
        }
        if !self.help_open && !ctrl_c {
            match &mut self.screen {
                // The lab's command line takes every printable key; the
                // table says which other keys mean something there.
                Screen::Lab(lab) => {
                    return match keys::action_for_typing(Context::Lab, &key) {
                        // Home/End and Ctrl-U/W are the line's own.
                        Some(action) if action != keys::Action::EditLine => self.on_action(action),
                        _ => {
                            lab.input.handle_event(&TermEvent::Key(key));
                            Vec::new()
                        }
                    };
                }
                Screen::Explorer(explorer) if explorer.wants_text() => {
                    explorer.text_key(key);
                    return Vec::new();
                }
                Screen::Lesson(view) if view.prompt.is_some() => {
                    if let Some(Prompt::Consent { .. }) = view.prompt {
                        return self.answer_consent(key.code);
                    }
                    if let Some(prompt) = view.prompt.as_mut() {
                        match key.code {
                            KeyCode::Enter => return self.submit_prompt(),
                            KeyCode::Esc => view.prompt = None,
                            KeyCode::Tab | KeyCode::BackTab => prompt.next_field(),
                            _ => {
                                prompt.focused().handle_event(&TermEvent::Key(key));
                            }
                        }
                    }
                    return Vec::new();
                }
                Screen::Quiz(quiz) if quiz.wants_text() => match key.code {
                    KeyCode::Enter | KeyCode::Esc | KeyCode::F(_) => {}
                    _ => {
                        quiz.text.handle_event(&TermEvent::Key(key));
                        return Vec::new();
                    }
                },
                _ => {}
            }
        }
        match keys::action_for(self.context(), &key) {
            Some(action) => self.on_action(action),
            None => Vec::new(),
        }
    }

    fn on_action(&mut self, action: Action) -> Vec<Effect> {
        self.dispatch(action).unwrap_or_default()
    }

    /// What `action` does here; `None` when nothing on this screen handles
    /// it (the test over the key table asserts that never happens for a
    /// bound key).
    fn dispatch(&mut self, action: Action) -> Option<Vec<Effect>> {
        if self.help_open {
            if matches!(
                action,
                Action::Help | Action::Back | Action::Cancel | Action::Quit
            ) {
                self.help_open = false;
            }
            let max = crate::tui::layout::max_help_scroll(self.frame, self.context(), self.lang);
            self.help_scroll = match action {
                Action::Up => self.help_scroll.saturating_sub(1),
                Action::Down => self.help_scroll.saturating_add(1),
                Action::PageUp | Action::Top => 0,
                Action::PageDown | Action::Bottom => max,
                _ => self.help_scroll,
            }
            .min(max);
            return Some(if action == Action::Quit {
                vec![Effect::Quit]
            } else {
                Vec::new()
            });
        }
        match action {
            Action::Help => {
                self.help_open = true;
                self.help_scroll = 0;
                return Some(Vec::new());
            }
            Action::Quit => return Some(self.interrupt()),
            Action::ToggleLanguage => {
                self.lang = match self.lang {
                    Lang::Ru => Lang::En,
                    Lang::En => Lang::Ru,
                };
                return Some(Vec::new());
            }
            _ => {}
        }
        match &mut self.screen {
            Screen::Lessons => self.on_home(action),
            Screen::Lesson(_) => self.on_lesson(action),
            Screen::Quiz(_) if self.lesson_question.is_some() => {
                Some(self.on_lesson_question(action))
            }
            Screen::Quiz(quiz) => match action {
                Action::Back | Action::Cancel => {
                    self.save_quiz();
                    self.screen = Screen::Lessons;
                    Some(Vec::new())
                }
                other => {
                    let handled = quiz.handle(other);
                    // Saved when an answer is given or the wrong ones are
                    // retried, not on every cursor key.
                    if matches!(other, Action::Select | Action::ResetLesson) {
                        self.save_quiz();
                    }
                    handled.then(Vec::new)
                }
            },
            Screen::Lab(_) => self.on_lab(action),
            Screen::Explorer(explorer) => match action {
                Action::Back | Action::Cancel if explorer.close_overlay() => Some(Vec::new()),
                Action::Back | Action::Cancel
                    if self.single_screen && self.return_to.is_empty() =>
                {
                    Some(vec![Effect::Quit])
                }
                Action::Back | Action::Cancel => {
                    self.go_back();
                    Some(Vec::new())
                }
                other => explorer
                    .handle(other)
                    .map(|asked| asked.into_iter().map(Effect::Worker).collect()),
            },
        }
    }

    /// A click selects a lesson (a click on the selected one opens it) or
    /// picks a quiz option.
    fn on_click(&mut self, column: u16, row: u16) -> Vec<Effect> {
        if self.help_open {
            return Vec::new();
        }
        let [body, _] = crate::tui::layout::split_status(self.frame);
        match &self.screen {
            Screen::Lessons => {
                let (count, selected) = (self.lessons.len(), self.home.selected);
                match crate::tui::screens::lessons::lesson_at(body, count, selected, column, row) {
                    Some(index) if index == selected => return self.on_action(Action::Select),
                    Some(index) => self.home.selected = index,
                    None => {}
                }
            }
            Screen::Quiz(quiz) => {
                let option =
                    crate::tui::ui::quiz::option_at(self.lang, self.theme, quiz, body, column, row);
                if let (Some(option), Screen::Quiz(quiz)) = (option, &mut self.screen) {
                    quiz.click(option);
                    self.save_quiz();
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Ctrl-C: a running job is cancelled first (the app stays open and
    /// nothing is left half-built); with nothing running, or a second time,
    /// the app quits.
    fn interrupt(&mut self) -> Vec<Effect> {
        match self.running {
            Some(kind) if !self.interrupt_armed => {
                self.interrupt_armed = true;
                self.notice = Some(
                    crate::t!(
                        "Отменяю… Ctrl-C ещё раз — выйти из layerlab",
                        "Cancelling… Ctrl-C again quits layerlab"
                    )
                    .into(),
                );
                vec![Effect::Worker(WorkerRequest::Cancel(kind))]
            }
            _ => vec![Effect::Quit],
        }
    }

    /// Show `screen`; a lesson or a lab it was opened from is kept to come
    /// back to (lesson → lab → explorer of a commit, and back again).
    pub(super) fn go_to(&mut self, screen: Screen) {
        let previous = std::mem::replace(&mut self.screen, screen);
        if matches!(previous, Screen::Lesson(_) | Screen::Lab(_)) {
            self.return_to.push(previous);
        }
    }

    /// Leave the explorer or the lab: back to what opened it, else home.
    pub(super) fn go_back(&mut self) {
        self.screen = self.return_to.pop().unwrap_or(Screen::Lessons);
    }

    /// `text` with its placeholders filled as far as they are known: saved
    /// values first, then the start-up ones; an unknown one stays as written.
    /// `text` with the placeholders known so far filled in; the others are
    /// shown as what the learner will give (`ФАЙЛ.tar`, `РЕЕСТР`), never as
    /// raw `{name}`.
    pub fn fill_known(&self, text: &str) -> String {
        crate::lesson::placeholders::fill(text, |name| {
            Some(
                self.progress
                    .var(name)
                    .map(str::to_string)
                    .or_else(|| self.vars.get(name).cloned())
                    .or_else(|| (name == "image").then(|| self.image.clone()))
                    .unwrap_or_else(|| unknown_value(self.lang, name)),
            )
        })
        .unwrap_or_else(|_| text.to_string())
    }

    pub(super) fn report<E: std::fmt::Display>(&mut self, result: Result<(), E>) {
        if let Err(e) = result {
            tracing::warn!("{e}");
            self.notice = Some(e.to_string().into());
        }
    }
}

/// What stands for a value not known yet: a word in capitals, as usage
/// lines write it (`layerlab load ФАЙЛ.tar`).
fn unknown_value(lang: Lang, name: &str) -> String {
    let (ru, en) = match name.split('.').next().unwrap_or(name) {
        "base_archive" => ("ФАЙЛ.tar", "FILE.tar"),
        "registry" => ("РЕЕСТР", "REGISTRY"),
        "registry_image" => ("РЕЕСТР/ИМЯ:ТЕГ", "REGISTRY/NAME:TAG"),
        "port" => ("ПОРТ", "PORT"),
        "image" | "image_repo" => ("ОБРАЗ", "IMAGE"),
        "base_image" => ("БАЗОВЫЙ_ОБРАЗ", "BASE_IMAGE"),
        "workspace" => ("РАБОЧАЯ_ПАПКА", "WORKSPACE"),
        _ if name.ends_with("_id") || name.contains("_id_") => ("ID", "ID"),
        _ => ("ЗНАЧЕНИЕ", "VALUE"),
    };
    match lang {
        Lang::Ru => ru.to_string(),
        Lang::En => en.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::lab::LabRequest;
    use crate::tui::worker::{StepOutcome, WorkerEvent};
    use crossterm::event::KeyEventState;

    fn key(code: KeyCode) -> Event {
        Event::Terminal(TermEvent::Key(KeyEvent {
            code,
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }))
    }

    fn type_text(app: &mut App, text: &str) {
        for c in text.chars() {
            assert_eq!(app.update(key(KeyCode::Char(c))), Vec::new());
        }
    }

    /// The push lesson open at its first step that needs `{registry}`.
    fn app_at_push_tag(dir: &std::path::Path) -> App {
        let pack = crate::lesson::loader::Pack::load(None).expect("embedded pack");
        let progress = Progress::open(&dir.join("progress.json"))
            .expect("progress")
            .progress;
        let mut app = App::new(
            Lang::En,
            pack.manifest.title.clone(),
            pack.lessons.clone(),
            progress,
            "layerlab/nginx-alpine:latest".into(),
        );
        let lesson = app
            .lessons
            .iter()
            .position(|l| l.id == "push")
            .expect("push lesson");
        let step = app.lessons[lesson]
            .steps
            .iter()
            .position(|s| s.id == "tag")
            .expect("tag step");
        app.screen = Screen::Lesson(LessonScreen::new(lesson, step));
        app
    }

    /// Every key in the table does something on its screen, so the help
    /// overlay (drawn from the table) and the handling cannot drift apart.
    #[test]
    fn every_bound_key_is_handled_on_its_screen() {
        let dir = tempfile::tempdir().expect("tempdir");
        for binding in keys::BINDINGS {
            let mut app = app_at_push_tag(dir.path());
            match binding.context {
                Context::Global | Context::Lessons => app.screen = Screen::Lessons,
                Context::Lesson => {}
                Context::Quiz => {
                    app.open_quiz();
                    assert!(matches!(app.screen, Screen::Quiz(_)), "the pack has a quiz");
                }
                Context::Lab => app.screen = Screen::Lab(Box::new(LabScreen::new("img".into()))),
                Context::Explorer => {
                    let mut explorer = ExplorerScreen::new("img".into(), None);
                    explorer.pane = crate::tui::screens::explorer::Pane::Tree;
                    app.screen = Screen::Explorer(Box::new(explorer));
                }
            }
            assert_eq!(
                app.context(),
                if binding.context == Context::Global {
                    Context::Lessons
                } else {
                    binding.context
                }
            );
            for code in binding.keys {
                let event = KeyEvent::new(*code, KeyModifiers::NONE);
                let found = if binding.context.takes_text() {
                    keys::action_for_typing(binding.context, &event)
                } else {
                    keys::action_for(binding.context, &event)
                };
                assert_eq!(
                    found,
                    Some(binding.action),
                    "{code:?} in {:?}",
                    binding.context
                );
            }
            assert!(
                app.dispatch(binding.action).is_some(),
                "{:?} ({}) is bound in {:?} but nothing there handles it",
                binding.action,
                binding.label,
                binding.context
            );
        }
    }

    /// In the lab the printable keys are the command line's: `q` is typed,
    /// Esc leaves, and the help lists only keys that work there.
    #[test]
    fn the_lab_types_letters_and_its_help_lists_only_working_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut app = app_at_push_tag(dir.path());
        app.screen = Screen::Lab(Box::new(LabScreen::new("img".into())));
        type_text(&mut app, "qjk?");
        let Screen::Lab(lab) = &app.screen else {
            panic!("still in the lab")
        };
        assert_eq!(lab.input.value(), "qjk?");
        for binding in keys::bindings_for(Context::Lab) {
            assert!(
                binding.keys.iter().any(|k| !matches!(k, KeyCode::Char(_)))
                    || binding.context == Context::Lab,
                "{} is listed in the lab's help but is typed there",
                binding.label
            );
        }
        assert_eq!(app.update(key(KeyCode::F(8))), Vec::new());
        let Screen::Lab(lab) = &app.screen else {
            panic!("still in the lab")
        };
        assert!(
            lab.show_storage,
            "F8 toggles the storage view through the table"
        );
        assert_eq!(
            app.update(key(KeyCode::F(6))),
            vec![Effect::Worker(WorkerRequest::Lab(LabRequest::Recreate {
                slot: 0
            }))]
        );
    }

    #[test]
    fn the_compare_step_opens_both_images_by_their_filled_names() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut app = app_at_push_tag(dir.path());
        app.vars = crate::runner::default_vars(
            &crate::lesson::loader::Pack::load(None).expect("pack"),
            &Default::default(),
        );
        let lesson = app
            .lessons
            .iter()
            .position(|l| l.id == "dockerfile")
            .expect("lesson 3");
        let step = app.lessons[lesson]
            .steps
            .iter()
            .position(|s| s.id == "compare")
            .expect("compare step");
        app.screen = Screen::Lesson(LessonScreen::new(lesson, step));
        let effects = app.update(key(KeyCode::Enter));
        assert_eq!(
            effects,
            vec![
                Effect::Worker(WorkerRequest::Analyze {
                    image: "layerlab/nginx-alpine:latest".into()
                }),
                Effect::Worker(WorkerRequest::Analyze {
                    image: "layerlab/nginx-alpine-naive:latest".into()
                }),
            ]
        );
    }

    #[test]
    fn f9_opens_the_labs_commit_in_the_explorer_and_esc_comes_back() {
        use crate::docker::lab::{Commit, LabEvent, LabImage};
        let dir = tempfile::tempdir().expect("tempdir");
        let mut app = app_at_push_tag(dir.path());
        app.single_screen = true;
        app.screen = Screen::Lab(Box::new(LabScreen::new("me/site:1".into())));
        assert_eq!(
            app.update(key(KeyCode::F(9))),
            Vec::new(),
            "nothing committed yet"
        );
        let image = LabImage {
            reference: "layerlab/lab-commit:7".into(),
            id: "sha256:ab".into(),
            layers: Vec::new(),
            size: 0,
        };
        app.update(Event::Worker(WorkerEvent::Lab(LabEvent::Committed {
            slot: 0,
            commit: Commit {
                image,
                extra_layer: None,
                paths: Ok(Vec::new()),
            },
        })));
        assert_eq!(
            app.update(key(KeyCode::F(9))),
            vec![
                Effect::Worker(WorkerRequest::Analyze {
                    image: "layerlab/lab-commit:7".into()
                }),
                Effect::Worker(WorkerRequest::Analyze {
                    image: "me/site:1".into()
                }),
            ]
        );
        assert!(matches!(app.screen, Screen::Explorer(_)));
        assert_eq!(
            app.update(key(KeyCode::Esc)),
            Vec::new(),
            "Esc leaves the explorer, not the app"
        );
        assert!(matches!(app.screen, Screen::Lab(_)));
    }

    #[test]
    fn reset_all_needs_a_second_r_and_anything_else_disarms_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut app = app_at_push_tag(dir.path());
        app.screen = Screen::Lessons;
        app.progress.complete_step("run", "intro").expect("save");
        app.update(key(KeyCode::Char('R')));
        assert!(app.progress.is_done("run", "intro"), "one R erases nothing");
        app.update(key(KeyCode::Down));
        app.update(key(KeyCode::Char('R')));
        assert!(
            app.progress.is_done("run", "intro"),
            "R, Down, R is not R R"
        );
        app.update(key(KeyCode::Char('R')));
        assert!(!app.progress.is_done("run", "intro"), "R R resets");
        let reopened = Progress::open(&dir.path().join("progress.json"))
            .expect("progress")
            .progress;
        assert!(!reopened.is_done("run", "intro"), "and the file says so");
    }

    fn prompt(app: &App) -> Option<&crate::tui::screens::lesson::Prompt> {
        match &app.screen {
            Screen::Lesson(view) => view.prompt.as_ref(),
            _ => None,
        }
    }

    fn drawn(app: &App) -> String {
        let area = ratatui::layout::Rect::new(0, 0, 120, 40);
        let mut buf = ratatui::buffer::Buffer::empty(area);
        ratatui::widgets::Widget::render(app, area, &mut buf);
        buf.content().iter().map(|c| c.symbol()).collect()
    }

    #[test]
    fn unknown_placeholders_read_as_what_the_learner_will_give() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut app = app_at_push_tag(dir.path());
        app.vars.remove("registry");
        app.vars.remove("base_archive");
        app.lang = Lang::Ru;
        assert_eq!(
            app.fill_known("docker load -i {base_archive} && docker push {registry}/x"),
            "docker load -i ФАЙЛ.tar && docker push РЕЕСТР/x"
        );
        app.lang = Lang::En;
        assert_eq!(
            app.fill_known("curl 127.0.0.1:{port.web} {image_id_before}"),
            "curl 127.0.0.1:PORT ID"
        );
        app.vars.insert("registry".into(), "127.0.0.1:5000".into());
        assert_eq!(app.fill_known("{registry}/x"), "127.0.0.1:5000/x");
    }

    #[test]
    fn a_load_step_asks_for_the_archive_and_checks_it_exists() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut app = app_at_push_tag(dir.path());
        let lesson = app
            .lessons
            .iter()
            .position(|l| l.id == "environment")
            .expect("lesson 1");
        let step = app.lessons[lesson]
            .steps
            .iter()
            .position(|s| s.id == "load-base")
            .expect("load step");
        app.screen = Screen::Lesson(LessonScreen::new(lesson, step));

        assert_eq!(app.update(key(KeyCode::Enter)), Vec::new());
        assert!(matches!(
            prompt(&app),
            Some(crate::tui::screens::lesson::Prompt::Archive { .. })
        ));
        assert!(drawn(&app).contains("docker save file"));

        let missing = dir.path().join("nope.tar");
        type_text(&mut app, &missing.display().to_string());
        assert_eq!(
            app.update(key(KeyCode::Enter)),
            Vec::new(),
            "a missing file runs nothing"
        );
        assert!(drawn(&app).contains("no such file"));
        for _ in 0..missing.display().to_string().chars().count() {
            app.update(key(KeyCode::Backspace));
        }

        let archive = dir.path().join("alpine.tar");
        std::fs::write(&archive, b"not checked here: the daemon reads it").expect("write");
        type_text(&mut app, &archive.display().to_string());
        assert_eq!(
            app.update(key(KeyCode::Enter)),
            vec![
                Effect::Worker(WorkerRequest::SetVar {
                    name: "base_archive".into(),
                    value: archive.display().to_string()
                }),
                Effect::Worker(WorkerRequest::RunStep {
                    lesson: "environment".into(),
                    step: "load-base".into()
                }),
            ]
        );
    }

    #[test]
    fn push_asks_for_the_registry_then_for_refused_credentials() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut app = app_at_push_tag(dir.path());

        // No registry known: "do it for me" opens the prompt instead of running.
        assert_eq!(app.update(key(KeyCode::Char('d'))), Vec::new());
        assert!(matches!(
            prompt(&app),
            Some(crate::tui::screens::lesson::Prompt::Registry { .. })
        ));
        assert!(drawn(&app).contains("Registry (e.g. docker.io/USER"));

        // A malformed address is refused on the spot, and nothing runs.
        type_text(&mut app, "http://x");
        assert_eq!(app.update(key(KeyCode::Enter)), Vec::new());
        assert!(drawn(&app).contains("not a registry address"));
        for _ in 0.."http://x".len() {
            app.update(key(KeyCode::Backspace));
        }

        type_text(&mut app, "127.0.0.1:5000/anna/");
        let effects = app.update(key(KeyCode::Enter));
        assert_eq!(
            effects,
            vec![
                Effect::Worker(WorkerRequest::SetVar {
                    name: "registry".into(),
                    value: "127.0.0.1:5000/anna".into(),
                }),
                Effect::Worker(WorkerRequest::RunStep {
                    lesson: "push".into(),
                    step: "tag".into(),
                }),
            ]
        );
        assert_eq!(
            app.vars.get("registry").map(String::as_str),
            Some("127.0.0.1:5000/anna")
        );
        assert!(prompt(&app).is_none());
        assert_eq!(
            app.progress.all_vars().get("registry").map(String::as_str),
            Some("127.0.0.1:5000/anna"),
            "kept for the next session"
        );

        // The registry refuses: the screen offers a masked prompt.
        app.update(Event::Worker(WorkerEvent::StepFinished {
            lesson: "push".into(),
            step: "tag".into(),
            outcome: StepOutcome::failed(
                "the registry refused the credentials",
                crate::runner::StepError::Refused {
                    registry: "127.0.0.1:5000".into(),
                },
            ),
        }));
        assert!(app.running.is_none());
        assert!(matches!(
            prompt(&app),
            Some(crate::tui::screens::lesson::Prompt::Credentials { .. })
        ));
        type_text(&mut app, "anna");
        app.update(key(KeyCode::Tab));
        type_text(&mut app, "s3cret-pw");
        let screen = drawn(&app);
        assert!(screen.contains("•••••••••"), "the password shows as dots");
        assert!(!screen.contains("s3cret"), "never the password itself");
        assert!(!format!("{:?}", app.screen).contains("s3cret"));

        let effects = app.update(key(KeyCode::Enter));
        assert_eq!(
            effects,
            vec![
                Effect::Worker(WorkerRequest::SetCredentials {
                    registry: "127.0.0.1:5000".into(),
                    credentials: crate::docker::credentials::Credentials::password(
                        "anna",
                        "s3cret-pw"
                    ),
                }),
                Effect::Worker(WorkerRequest::RunStep {
                    lesson: "push".into(),
                    step: "tag".into(),
                }),
            ]
        );
        assert!(
            prompt(&app).is_none(),
            "the typed password is gone from the UI"
        );
        let saved = std::fs::read_to_string(dir.path().join("progress.json")).expect("saved");
        assert!(!saved.contains("s3cret"), "never written to disk");
    }

    #[test]
    fn a_known_registry_runs_at_once_and_esc_closes_the_prompt() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut app = app_at_push_tag(dir.path());
        app.update(key(KeyCode::Char('d')));
        assert!(prompt(&app).is_some());
        // With the prompt closed, the step is watched for the learner's own
        // `docker tag` (the registry stays unknown to the watcher until given).
        assert_eq!(
            app.update(key(KeyCode::Esc)),
            vec![Effect::Worker(WorkerRequest::WatchStep {
                lesson: "push".into(),
                step: "tag".into(),
            })]
        );
        assert!(prompt(&app).is_none());
        assert!(app.running.is_none());

        app.vars.insert("registry".into(), "docker.io/anna".into());
        let effects = app.update(key(KeyCode::Char('d')));
        assert_eq!(
            effects,
            vec![
                Effect::Worker(WorkerRequest::RunStep {
                    lesson: "push".into(),
                    step: "tag".into(),
                }),
                // layerlab does it now: watching it would only race.
                Effect::Worker(WorkerRequest::Cancel(JobKind::Watch)),
            ]
        );
    }

    /// A step marked `confirm` (the push) asks y/N before layerlab runs it:
    /// anything but y says no and runs nothing; y runs it.
    #[test]
    fn a_confirm_step_asks_before_doing_it_for_the_learner() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut app = app_at_push_tag(dir.path());
        app.vars
            .insert("registry".into(), "127.0.0.1:5000/anna".into());
        if let Screen::Lesson(view) = &mut app.screen {
            view.step += 2; // tag, tag-exists, push
        }
        let run = Effect::Worker(WorkerRequest::RunStep {
            lesson: "push".into(),
            step: "push".into(),
        });
        // Enter: the learner's own `docker push`; nothing runs.
        assert!(!app.update(key(KeyCode::Enter)).contains(&run));
        // d: asks first; n says no.
        assert!(!app.update(key(KeyCode::Char('d'))).contains(&run));
        assert!(
            drawn(&app).contains("This step asks first"),
            "{}",
            drawn(&app)
        );
        assert!(!app.update(key(KeyCode::Char('n'))).contains(&run));
        assert!(app.running.is_none());
        assert!(drawn(&app).contains("Not done: you said no."));
        assert!(
            app.progress
                .lesson("push")
                .is_none_or(|l| l.started.is_none())
        );
        // d, y: runs it.
        app.update(key(KeyCode::Char('d')));
        assert!(app.update(key(KeyCode::Char('y'))).contains(&run));
        assert!(app.running.is_some());
    }
}
