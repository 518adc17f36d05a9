//! The application state and the only place it changes (`App::update`).
//! Drawing is a pure function of this state (see `ui/`); slow work is asked
//! of the Docker worker through `Effect`s and comes back as events.

use std::process::ExitCode;
use std::sync::Arc;

use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind,
};
use tui_input::backend::crossterm::EventHandler;

use crate::cmd::args::GlobalArgs;
use crate::docker::lab::LabRequest;
use crate::i18n::{Lang, Text};
use crate::lesson::{Lesson, Step, StepKind};
use crate::progress::Progress;
use crate::quiz::session::{QuizItem, QuizSession};
use crate::t;
use crate::tui::event::Event;
use crate::tui::keys::{self, Action, Context};
use crate::tui::ui::explorer::ExplorerScreen;
use crate::tui::ui::lab::LabScreen;
use crate::tui::ui::lesson::LessonScreen;
use crate::tui::ui::lessons::LessonsScreen;
use crate::tui::ui::quiz::QuizScreen;
use crate::tui::ui::theme::Theme;
use crate::tui::worker::{DaemonState, JobKind, StepOutcome, WorkerEvent, WorkerRequest};

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
    Explorer(ExplorerScreen),
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
    /// The learner's image (for the lab and the explorer from the home screen).
    pub image: String,
    /// The pack's placeholder values at start (`{base_image}`, `{registry}`,
    /// …), so commands are shown as they will run.
    pub vars: std::collections::BTreeMap<String, String>,
    /// One line for the learner that is not tied to a step (a save failed).
    pub notice: Option<String>,
    /// When the app itself was started with a screen other than the lessons
    /// (`layerlab lab`), leaving that screen quits.
    pub single_screen: bool,
    /// The lesson a step opened the explorer or the lab from.
    pub return_to: Vec<Screen>,
    /// The first R of "R R" (reset all progress) was pressed.
    pub reset_all_armed: bool,
    /// The last frame's area, recorded by the draw: mouse clicks are mapped
    /// through the same pure layout functions the draw uses.
    pub frame: std::cell::Cell<ratatui::layout::Rect>,
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
            image,
            vars: Default::default(),
            notice: None,
            single_screen: false,
            return_to: Vec::new(),
            reset_all_armed: false,
            frame: Default::default(),
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
            || matches!(&self.screen, Screen::Explorer(x) if x.analysis.is_none() && x.error.is_none())
    }

    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Terminal(TermEvent::Key(key)) if key.kind != KeyEventKind::Release => {
                self.on_key(key)
            }
            Event::Terminal(TermEvent::Mouse(mouse)) => match mouse.kind {
                MouseEventKind::ScrollUp => self.on_action(Action::Up),
                MouseEventKind::ScrollDown => self.on_action(Action::Down),
                MouseEventKind::Down(crossterm::event::MouseButton::Left) => {
                    self.on_click(mouse.column, mouse.row)
                }
                _ => Vec::new(),
            },
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
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if !self.help_open && !ctrl {
            match &mut self.screen {
                Screen::Lab(lab) => match key.code {
                    KeyCode::Enter => {
                        return match lab.take_command() {
                            Some(command) => vec![lab_request(LabRequest::Exec {
                                slot: lab.selected,
                                command,
                            })],
                            None => Vec::new(),
                        };
                    }
                    KeyCode::Tab | KeyCode::BackTab => {
                        lab.selected = (lab.selected + 1) % crate::docker::lab::SLOTS;
                        return Vec::new();
                    }
                    KeyCode::Up => {
                        lab.recall(true);
                        return Vec::new();
                    }
                    KeyCode::Down => {
                        lab.recall(false);
                        return Vec::new();
                    }
                    KeyCode::F(5) => {
                        let slot = lab.selected;
                        let running = lab.slots.get(slot).is_some_and(|s| s.running);
                        return vec![lab_request(if running {
                            LabRequest::Stop { slot }
                        } else {
                            LabRequest::Start { slot }
                        })];
                    }
                    KeyCode::F(6) => {
                        return vec![lab_request(LabRequest::Recreate { slot: lab.selected })];
                    }
                    KeyCode::F(7) => {
                        return vec![lab_request(LabRequest::Commit { slot: lab.selected })];
                    }
                    KeyCode::F(8) => {
                        lab.show_storage = !lab.show_storage;
                        return Vec::new();
                    }
                    KeyCode::F(9) => {
                        // The commit's extra layer, seen like any image's: the lab
                        // stays open underneath and Esc comes back to it.
                        let Some(commit) = &lab.committed else {
                            return Vec::new();
                        };
                        let (image, base) = (commit.image.reference.clone(), lab.reference.clone());
                        return self.open_explorer(image, Some(base));
                    }
                    KeyCode::Esc => return self.leave_lab(),
                    KeyCode::F(1) => {}
                    _ => {
                        lab.input.handle_event(&TermEvent::Key(key));
                        return Vec::new();
                    }
                },
                Screen::Explorer(explorer) if explorer.filtering => {
                    match key.code {
                        KeyCode::Enter => explorer.filtering = false,
                        KeyCode::Esc => {
                            explorer.filtering = false;
                            explorer.filter.reset();
                        }
                        _ => {
                            explorer.filter.handle_event(&TermEvent::Key(key));
                        }
                    }
                    explorer.set_filter();
                    return Vec::new();
                }
                Screen::Lesson(view) if view.prompt.is_some() => {
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
        if self.help_open {
            if matches!(
                action,
                Action::Help | Action::Back | Action::Cancel | Action::Quit
            ) {
                self.help_open = false;
            }
            let max = crate::tui::ui::help::max_scroll(self.frame.get(), self.context());
            self.help_scroll = match action {
                Action::Up => self.help_scroll.saturating_sub(1),
                Action::Down => self.help_scroll.saturating_add(1),
                Action::PageUp | Action::Top => 0,
                Action::PageDown | Action::Bottom => max,
                _ => self.help_scroll,
            }
            .min(max);
            return if action == Action::Quit {
                vec![Effect::Quit]
            } else {
                Vec::new()
            };
        }
        match action {
            Action::Help => {
                self.help_open = true;
                self.help_scroll = 0;
                return Vec::new();
            }
            Action::Quit => return vec![Effect::Quit],
            Action::ToggleLanguage => {
                self.lang = match self.lang {
                    Lang::Ru => Lang::En,
                    Lang::En => Lang::Ru,
                };
                return Vec::new();
            }
            _ => {}
        }
        match &mut self.screen {
            Screen::Lessons => self.on_home(action),
            Screen::Lesson(_) => self.on_lesson(action),
            Screen::Quiz(quiz) => {
                match action {
                    Action::Back | Action::Cancel => {
                        self.save_quiz();
                        self.screen = Screen::Lessons;
                    }
                    other => {
                        quiz.handle(other);
                        self.save_quiz();
                    }
                }
                Vec::new()
            }
            Screen::Lab(_) => match action {
                Action::Back | Action::Cancel => self.leave_lab(),
                _ => Vec::new(),
            },
            Screen::Explorer(explorer) => match action {
                Action::Back | Action::Cancel
                    if self.single_screen && self.return_to.is_empty() =>
                {
                    vec![Effect::Quit]
                }
                Action::Back | Action::Cancel => {
                    self.go_back();
                    Vec::new()
                }
                other => {
                    explorer.handle(other);
                    Vec::new()
                }
            },
        }
    }

    /// A click selects a lesson (a click on the selected one opens it) or
    /// picks a quiz option.
    fn on_click(&mut self, column: u16, row: u16) -> Vec<Effect> {
        if self.help_open {
            return Vec::new();
        }
        let [body, _] = crate::tui::ui::split_status(self.frame.get());
        match &self.screen {
            Screen::Lessons => {
                let (count, selected) = (self.lessons.len(), self.home.selected);
                match crate::tui::ui::lessons::lesson_at(body, count, selected, column, row) {
                    Some(index) if index == selected => return self.on_action(Action::Select),
                    Some(index) => self.home.selected = index,
                    None => {}
                }
            }
            Screen::Quiz(quiz) => {
                let option = crate::tui::ui::quiz::option_at(self, quiz, body, column, row);
                if let (Some(option), Screen::Quiz(quiz)) = (option, &mut self.screen) {
                    quiz.click(option);
                    self.save_quiz();
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn on_home(&mut self, action: Action) -> Vec<Effect> {
        if action != Action::ResetAll && self.reset_all_armed {
            self.reset_all_armed = false;
            self.notice = None;
        }
        match action {
            Action::Back | Action::Cancel => vec![Effect::Quit],
            Action::Select => {
                let index = self.home.selected.min(self.lessons.len().saturating_sub(1));
                let Some(lesson) = self.lessons.get(index) else {
                    return Vec::new();
                };
                if lesson.id == crate::quiz::bank::QUIZ_LESSON_ID {
                    return self.open_quiz();
                }
                let resume = self
                    .progress
                    .resume_step(lesson)
                    .and_then(|id| lesson.steps.iter().position(|s| s.id == id))
                    .unwrap_or(0);
                self.screen = Screen::Lesson(LessonScreen::new(index, resume));
                Vec::new()
            }
            // Everything the learner did, answers included: only on a second R.
            Action::ResetAll if self.reset_all_armed => {
                self.reset_all_armed = false;
                let reset = self.progress.reset_all();
                self.report(reset);
                self.notice = Some(
                    t!("Весь прогресс сброшен", "All progress was reset")
                        .get(self.lang)
                        .to_string(),
                );
                Vec::new()
            }
            Action::ResetAll => {
                self.reset_all_armed = true;
                self.notice = Some(
                    t!(
                        "Нажмите R ещё раз, чтобы стереть весь прогресс и ответы",
                        "Press R again to erase all progress and answers"
                    )
                    .get(self.lang)
                    .to_string(),
                );
                Vec::new()
            }
            Action::ResetLesson => {
                if let Some(id) = self.lessons.get(self.home.selected).map(|l| l.id.clone()) {
                    let reset = self.progress.reset_lesson(&id);
                    self.report(reset);
                }
                Vec::new()
            }
            Action::Quiz => self.open_quiz(),
            Action::Lab => self.open_lab(self.image.clone()),
            Action::Layers => self.open_explorer(self.image.clone(), None),
            other => {
                self.home.handle(other, self.lessons.len());
                Vec::new()
            }
        }
    }

    fn on_lesson(&mut self, action: Action) -> Vec<Effect> {
        let Screen::Lesson(view) = &mut self.screen else {
            return Vec::new();
        };
        let lesson = &self.lessons[view.lesson];
        let Some(step) = lesson.steps.get(view.step) else {
            return Vec::new();
        };
        let editable = edit_target(step);
        match action {
            Action::Cancel if self.running.is_some() => {
                vec![Effect::Worker(WorkerRequest::Cancel(JobKind::Step))]
            }
            Action::Back | Action::Cancel => {
                self.screen = Screen::Lessons;
                Vec::new()
            }
            // A step that just succeeded: Enter moves on rather than redoing it.
            Action::Run if matches!(&view.run, crate::tui::ui::lesson::RunState::Finished(outcome) if outcome.ok) =>
            {
                view.next(lesson.steps.len());
                Vec::new()
            }
            Action::Edit | Action::Run
                if editable.is_some()
                    && (action == Action::Edit || step.kind != StepKind::File) =>
            {
                view.start_run();
                vec![Effect::Edit(editable.unwrap_or_default())]
            }
            Action::Run if self.running.is_some() => Vec::new(),
            Action::Run
                if !self.vars.contains_key("base_archive")
                    && crate::runner::needs_daemon(step)
                    && uses_placeholder(step, "base_archive") =>
            {
                view.prompt = Some(crate::tui::ui::lesson::Prompt::archive());
                Vec::new()
            }
            Action::Run
                if !self.vars.contains_key("registry")
                    && crate::runner::needs_daemon(step)
                    && uses_placeholder(step, "registry") =>
            {
                view.prompt = Some(crate::tui::ui::lesson::Prompt::registry());
                Vec::new()
            }
            Action::Run => {
                // Steps that open a screen count as done once opened.
                let opens = match &step.action {
                    Some(crate::lesson::Action::Lab { image }) => Some((true, image.clone(), None)),
                    Some(crate::lesson::Action::Layers { image, compare }) => {
                        Some((false, image.clone(), compare.clone()))
                    }
                    _ => None,
                };
                if let Some((lab, image, compare)) = opens {
                    let (lesson_id, step_id) = (lesson.id.clone(), step.id.clone());
                    let saved = self.progress.complete_step(&lesson_id, &step_id);
                    self.report(saved);
                    let image = self.fill_known(&image);
                    let compare = compare.map(|c| self.fill_known(&c));
                    return if lab {
                        self.open_lab(image)
                    } else {
                        self.open_explorer(image, compare)
                    };
                }
                if crate::runner::needs_daemon(step) {
                    self.run_current_step()
                } else {
                    let (lesson_id, step_id, steps) =
                        (lesson.id.clone(), step.id.clone(), lesson.steps.len());
                    view.next(steps);
                    let saved = self.progress.complete_step(&lesson_id, &step_id);
                    self.report(saved);
                    Vec::new()
                }
            }
            other => {
                view.handle(other, lesson.steps.len());
                Vec::new()
            }
        }
    }

    fn on_worker(&mut self, event: WorkerEvent) -> Vec<Effect> {
        match event {
            WorkerEvent::Daemon(state) => {
                if matches!(state, DaemonState::Lost { .. }) && self.running.take().is_some() {
                    if let Screen::Lesson(view) = &mut self.screen {
                        view.fail_run(
                            t!(
                                "Docker недоступен: шаг не завершён, его можно повторить",
                                "Docker went away: the step did not finish; you can redo it"
                            )
                            .get(self.lang),
                        );
                    }
                }
                self.daemon = state;
            }
            WorkerEvent::Progress { line, .. } => {
                if let Screen::Lesson(view) = &mut self.screen {
                    view.push_progress(line);
                }
            }
            WorkerEvent::StepFinished {
                lesson,
                step,
                outcome,
            } => {
                self.running = None;
                if let (Some(registry), Screen::Lesson(view)) =
                    (&outcome.auth_refused, &mut self.screen)
                {
                    view.prompt = Some(crate::tui::ui::lesson::Prompt::credentials(
                        registry.clone(),
                    ));
                }
                if outcome.ok {
                    let saved = self.progress.complete_step(&lesson, &step);
                    self.report(saved);
                    for (name, value) in &outcome.vars {
                        let saved = self.progress.save_var(&lesson, name, value);
                        self.report(saved);
                    }
                }
                if let Screen::Lesson(view) = &mut self.screen {
                    view.finish_run(outcome);
                }
            }
            WorkerEvent::Analysis { image, result } => {
                if let Screen::Explorer(explorer) = &mut self.screen {
                    explorer.loaded(&image, result);
                }
            }
            WorkerEvent::Lab(event) => {
                if let Screen::Lab(lab) = &mut self.screen {
                    lab.apply(event);
                }
            }
        }
        Vec::new()
    }

    fn open_quiz(&mut self) -> Vec<Effect> {
        let Some(lesson) = self
            .lessons
            .iter()
            .find(|l| l.id == crate::quiz::bank::QUIZ_LESSON_ID)
        else {
            self.notice = Some(
                t!("В наборе уроков нет теста", "The lesson pack has no quiz")
                    .get(self.lang)
                    .to_string(),
            );
            return Vec::new();
        };
        let items = QuizItem::from_lesson(lesson);
        let session = match self.progress.quiz_session() {
            Some(saved) => QuizSession::resume(items, saved),
            None => QuizSession::new(items, quiz_seed()),
        };
        self.screen = Screen::Quiz(QuizScreen::new(session));
        Vec::new()
    }

    fn save_quiz(&mut self) {
        if let Screen::Quiz(quiz) = &self.screen {
            let saved = self.progress.save_quiz_session(quiz.session.state());
            self.report(saved);
        }
    }

    /// Show `screen`; a lesson or a lab it was opened from is kept to come
    /// back to (lesson → lab → explorer of a commit, and back again).
    fn go_to(&mut self, screen: Screen) {
        let previous = std::mem::replace(&mut self.screen, screen);
        if matches!(previous, Screen::Lesson(_) | Screen::Lab(_)) {
            self.return_to.push(previous);
        }
    }

    /// Leave the explorer or the lab: back to what opened it, else home.
    fn go_back(&mut self) {
        self.screen = self.return_to.pop().unwrap_or(Screen::Lessons);
    }

    fn open_lab(&mut self, image: String) -> Vec<Effect> {
        self.go_to(Screen::Lab(Box::new(LabScreen::new(image.clone()))));
        vec![Effect::Worker(WorkerRequest::LabOpen { image })]
    }

    pub fn open_explorer(&mut self, image: String, compare: Option<String>) -> Vec<Effect> {
        let mut effects = vec![Effect::Worker(WorkerRequest::Analyze {
            image: image.clone(),
        })];
        if let Some(other) = &compare {
            effects.push(Effect::Worker(WorkerRequest::Analyze {
                image: other.clone(),
            }));
        }
        self.go_to(Screen::Explorer(ExplorerScreen::new(image, compare)));
        effects
    }

    fn leave_lab(&mut self) -> Vec<Effect> {
        if self.single_screen && self.return_to.is_empty() {
            return vec![Effect::Quit];
        }
        self.go_back();
        vec![Effect::Worker(WorkerRequest::LabClose)]
    }

    /// `text` with its placeholders filled as far as they are known: saved
    /// values first, then the start-up ones; an unknown one stays as written.
    pub fn fill_known(&self, text: &str) -> String {
        crate::lesson::placeholders::fill(text, |name| {
            Some(
                self.progress
                    .var(name)
                    .map(str::to_string)
                    .or_else(|| self.vars.get(name).cloned())
                    .or_else(|| (name == "image").then(|| self.image.clone()))
                    .unwrap_or_else(|| format!("{{{name}}}")),
            )
        })
        .unwrap_or_else(|_| text.to_string())
    }

    fn report<E: std::fmt::Display>(&mut self, result: Result<(), E>) {
        if let Err(e) = result {
            tracing::warn!("{e}");
            self.notice = Some(e.to_string());
        }
    }

    /// Back from `$EDITOR`: an edit step is done when the editor succeeded;
    /// a free-text answer is read back into the learner's progress.
    pub fn editor_finished(&mut self, path: &std::path::Path, result: Result<(), String>) {
        let Screen::Lesson(view) = &mut self.screen else {
            return;
        };
        let lesson = &self.lessons[view.lesson];
        let Some(step) = lesson.steps.get(view.step) else {
            return;
        };
        let (lesson_id, step_id) = (lesson.id.clone(), step.id.clone());
        if let Err(message) = result {
            view.fail_run(&message);
            return;
        }
        if let Some(key) = &step.answer_key {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            if text.trim().is_empty() {
                view.fail_run(
                    t!(
                        "Ответ пуст — напишите его своими словами",
                        "The answer is empty: write it in your own words"
                    )
                    .get(self.lang),
                );
                return;
            }
            let saved = self.progress.save_answer(&lesson_id, key, text.trim());
            if let Err(e) = saved {
                view.fail_run(&e.to_string());
                return;
            }
        }
        let message = t!("Сохранено", "Saved").get(self.lang).to_string();
        view.finish_run(StepOutcome {
            ok: true,
            message,
            output: Vec::new(),
            vars: Default::default(),
            auth_refused: None,
        });
        let saved = self.progress.complete_step(&lesson_id, &step_id);
        self.report(saved);
    }
}

impl App {
    /// Enter in the lesson screen's prompt: a registry is checked and kept
    /// (it is no secret: saved with the lesson's values); credentials go to
    /// the worker's memory only. Either way the step then runs.
    fn submit_prompt(&mut self) -> Vec<Effect> {
        let lang = self.lang;
        let Screen::Lesson(view) = &mut self.screen else {
            return Vec::new();
        };
        let Some(mut prompt) = view.prompt.take() else {
            return Vec::new();
        };
        let lesson_id = self.lessons[view.lesson].id.clone();
        let first = match &prompt {
            crate::tui::ui::lesson::Prompt::Registry { input, .. } => {
                let value = input.value().trim().trim_end_matches('/').to_string();
                let settings = crate::runner::settings::Settings {
                    registry: Some(value.clone()),
                    ..Default::default()
                };
                let problem = if value.is_empty() {
                    Some(
                        t!("введите адрес реестра", "type the registry's address")
                            .get(lang)
                            .to_string(),
                    )
                } else {
                    settings.validate(lang).err()
                };
                if let Some(problem) = problem {
                    prompt.set_error(problem);
                    view.prompt = Some(prompt);
                    return Vec::new();
                }
                self.vars.insert("registry".into(), value.clone());
                let saved = self.progress.save_var(&lesson_id, "registry", &value);
                self.report(saved);
                WorkerRequest::SetVar {
                    name: "registry".into(),
                    value,
                }
            }
            crate::tui::ui::lesson::Prompt::Archive { input, .. } => {
                let value = input.value().trim().to_string();
                if !std::path::Path::new(&value).is_file() {
                    prompt.set_error(format!(
                        "{value}: {}",
                        t!("нет такого файла", "no such file").get(lang)
                    ));
                    view.prompt = Some(prompt);
                    return Vec::new();
                }
                self.vars.insert("base_archive".into(), value.clone());
                WorkerRequest::SetVar {
                    name: "base_archive".into(),
                    value,
                }
            }
            crate::tui::ui::lesson::Prompt::Credentials {
                registry,
                username,
                password,
                ..
            } => {
                if username.value().trim().is_empty() || password.value().is_empty() {
                    prompt.set_error(
                        t!(
                            "нужны и имя, и пароль",
                            "both the name and the password are needed"
                        )
                        .get(lang)
                        .to_string(),
                    );
                    view.prompt = Some(prompt);
                    return Vec::new();
                }
                WorkerRequest::SetCredentials {
                    registry: registry.clone(),
                    credentials: crate::docker::credentials::Credentials::password(
                        username.value().trim(),
                        password.value(),
                    ),
                }
            }
        };
        let mut effects = vec![Effect::Worker(first)];
        effects.extend(self.run_current_step());
        effects
    }

    /// Run the lesson screen's current step on the worker, marking it started.
    fn run_current_step(&mut self) -> Vec<Effect> {
        let Screen::Lesson(view) = &mut self.screen else {
            return Vec::new();
        };
        let lesson = &self.lessons[view.lesson];
        let Some(step) = lesson.steps.get(view.step) else {
            return Vec::new();
        };
        let (lesson_id, step_id) = (lesson.id.clone(), step.id.clone());
        view.start_run();
        self.running = Some(JobKind::Step);
        let saved = self.progress.start_step(&lesson_id, &step_id);
        self.report(saved);
        vec![Effect::Worker(WorkerRequest::RunStep {
            lesson: lesson_id,
            step: step_id,
        })]
    }
}

/// Whether a step's action or check uses `{name}`.
fn uses_placeholder(step: &Step, name: &str) -> bool {
    let text = serde_json::to_string(&(&step.action, &step.check)).unwrap_or_default();
    crate::lesson::placeholders::names(&text).contains(&name)
}

fn lab_request(request: LabRequest) -> Effect {
    Effect::Worker(WorkerRequest::Lab(request))
}

/// A fresh quiz gets its own shuffle; a resumed one keeps its saved seed.
fn quiz_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
}

/// The file `e` opens for a step: the workspace file of an edit or file step,
/// or the learner's answer file for an answer step.
pub fn edit_target(step: &Step) -> Option<std::path::PathBuf> {
    use crate::lesson::Action as StepAction;
    match (step.kind, &step.action, &step.file, &step.answer_key) {
        (StepKind::Action, Some(StepAction::Edit { path }), _, _) => {
            Some(crate::paths::workspace_dir().join(path))
        }
        (StepKind::File, _, Some(file), _) => Some(crate::paths::workspace_dir().join(&file.path)),
        (StepKind::Answer, _, _, Some(key)) => Some(
            crate::paths::data_dir()
                .join("answers")
                .join(format!("{key}.md")),
        ),
        _ => None,
    }
}

/// Everything the TUI needs before the first frame; nothing here waits on
/// Docker (the worker connects in the background).
fn prepare(global: &GlobalArgs) -> anyhow::Result<(App, crate::tui::worker::WorkerSetup)> {
    let lang = global.lang();
    let pack = Arc::new(crate::lesson::loader::Pack::load(
        global.lessons.as_deref(),
    )?);
    let opened = crate::progress::Progress::open_default()?;
    let notice = opened.notice();
    let settings = crate::runner::settings_for(global, None).map_err(anyhow::Error::msg)?;
    let vars = crate::runner::default_vars(&pack, &settings);
    let image = vars.get("image").cloned().unwrap_or_default();
    let registry = vars.get("registry").cloned();
    let mut app = App::new(
        lang,
        pack.manifest.title.clone(),
        pack.lessons.clone(),
        opened.progress,
        image,
    );
    app.notice = notice;
    let mut vars = vars;
    // Values saved by earlier sessions (ports, image ids, the pushed ref, the
    // registry typed in the UI); the command line and config.json still win
    // for the registry.
    vars.extend(app.progress.all_vars());
    if let Some(registry) = registry {
        vars.insert("registry".into(), registry);
    }
    app.vars = vars.clone();
    let setup = crate::tui::worker::WorkerSetup {
        pack,
        lang,
        vars,
        workspace: crate::paths::workspace_dir(),
    };
    Ok((app, setup))
}

async fn run_app(
    mut app: App,
    setup: crate::tui::worker::WorkerSetup,
    first: Vec<Effect>,
) -> anyhow::Result<ExitCode> {
    crate::tui::terminal::require_terminal()?;
    let (events_tx, events) = crate::tui::event::channel();
    let (worker, worker_task) = crate::tui::worker::spawn(setup, events_tx.clone());
    for effect in first {
        if let Effect::Worker(request) = effect {
            let _ = worker.send(request);
        }
    }
    let mut terminal = crate::tui::terminal::enter()?;
    let result = crate::tui::terminal::run(
        &mut terminal,
        &mut app,
        crate::tui::terminal::Channels {
            events_tx,
            events,
            worker: worker.clone(),
        },
    )
    .await;
    crate::tui::terminal::finish(terminal);
    // The lab's containers are removed before the process ends, also on
    // Ctrl-C, SIGTERM and SIGHUP (all arrive here as a normal quit).
    let _ = worker.send(WorkerRequest::Shutdown);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(15), worker_task).await;
    result?;
    Ok(ExitCode::SUCCESS)
}

pub async fn run_tui(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    crate::tui::terminal::require_terminal()?;
    // One writer of the progress file at a time (issue 11): a second
    // instance says who holds the data dir and waits, before the screen.
    let _lock = crate::data_lock::lock_data_dir(global.lang()).await?;
    let (app, setup) = prepare(global)?;
    run_app(app, setup, Vec::new()).await
}

/// `layerlab layers IMAGE` (or `--archive FILE`) in a terminal: the explorer alone.
pub async fn run_explorer(
    global: &GlobalArgs,
    args: &crate::cmd::args::LayersArgs,
) -> anyhow::Result<ExitCode> {
    crate::tui::terminal::require_terminal()?;
    let (mut app, setup) = prepare(global)?;
    app.single_screen = true;
    let first = match (&args.archive, &args.image) {
        (Some(path), _) => {
            let name = path.display().to_string();
            app.screen = Screen::Explorer(ExplorerScreen::new(name, None));
            vec![Effect::Worker(WorkerRequest::AnalyzeArchive {
                path: path.clone(),
            })]
        }
        (None, image) => {
            app.open_explorer(image.clone().unwrap_or_else(|| app.image.clone()), None)
        }
    };
    run_app(app, setup, first).await
}

pub async fn run_lab(global: &GlobalArgs, image: Option<String>) -> anyhow::Result<ExitCode> {
    crate::tui::terminal::require_terminal()?;
    let (mut app, setup) = prepare(global)?;
    let image = image.unwrap_or_else(|| app.image.clone());
    app.single_screen = true;
    let first = app.open_lab(image);
    run_app(app, setup, first).await
}

#[cfg(test)]
mod tests {
    use super::*;
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

    fn prompt(app: &App) -> Option<&crate::tui::ui::lesson::Prompt> {
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
            Some(crate::tui::ui::lesson::Prompt::Archive { .. })
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

        // No registry known: Enter opens the prompt instead of running.
        assert_eq!(app.update(key(KeyCode::Enter)), Vec::new());
        assert!(matches!(
            prompt(&app),
            Some(crate::tui::ui::lesson::Prompt::Registry { .. })
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
            outcome: StepOutcome {
                ok: false,
                message: "the registry refused the credentials".into(),
                output: Vec::new(),
                vars: Default::default(),
                auth_refused: Some("127.0.0.1:5000".into()),
            },
        }));
        assert!(app.running.is_none());
        assert!(matches!(
            prompt(&app),
            Some(crate::tui::ui::lesson::Prompt::Credentials { .. })
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
        app.update(key(KeyCode::Enter));
        assert!(prompt(&app).is_some());
        assert_eq!(app.update(key(KeyCode::Esc)), Vec::new());
        assert!(prompt(&app).is_none());
        assert!(app.running.is_none());

        app.vars.insert("registry".into(), "docker.io/anna".into());
        let effects = app.update(key(KeyCode::Enter));
        assert_eq!(
            effects,
            vec![Effect::Worker(WorkerRequest::RunStep {
                lesson: "push".into(),
                step: "tag".into(),
            })]
        );
    }
}
