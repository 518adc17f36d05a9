//! The lesson screen: run a step, answer its prompts, come back from the editor.

use super::{App, Effect, Screen};
use crate::lesson::{Step, StepKind};
use crate::t;
use crate::tui::keys::Action;
use crate::tui::screens::lesson::{LessonScreen, Pane, RunState};
use crate::tui::worker::{JobKind, StepOutcome, WorkerRequest};

impl App {
    pub(super) fn on_lesson(&mut self, action: Action) -> Option<Vec<Effect>> {
        let limits = match &self.screen {
            Screen::Lesson(view) => {
                let body = crate::tui::layout::split_status(self.frame)[0];
                crate::tui::ui::lesson::limits(self, view, body)
            }
            _ => Default::default(),
        };
        let Screen::Lesson(view) = &mut self.screen else {
            return Some(Vec::new());
        };
        let lesson = &self.lessons[view.lesson];
        let Some(step) = lesson.steps.get(view.step) else {
            return Some(Vec::new());
        };
        let editable = edit_target(step);
        let last = view.step + 1 == lesson.steps.len();
        let done = self.progress.is_done(&lesson.id, &step.id);
        let succeeded = matches!(&view.run, RunState::Finished(outcome) if outcome.ok());
        // A value the step needs and nobody gave yet: it is asked for first.
        let asks = |name: &str| {
            !self.vars.contains_key(name)
                && crate::runner::needs_daemon(step)
                && uses_placeholder(step, name)
        };
        let gate = Gate {
            needs_prompt: asks("registry") || asks("base_archive"),
            busy: self.running.is_some(),
            done,
            lang: self.lang,
        };
        let Some(action) = gate.pass(view, step, action) else {
            return Some(Vec::new());
        };
        Some(match action {
            Action::Cancel if self.running.is_some() => {
                vec![Effect::Worker(WorkerRequest::Cancel(JobKind::Step))]
            }
            // Esc in the output or the file gives the keyboard back to the text.
            Action::Back | Action::Cancel if view.focus != Pane::Text => {
                view.focus = Pane::Text;
                Vec::new()
            }
            Action::Back | Action::Cancel => {
                self.home.selected = view.lesson;
                self.screen = Screen::Lessons;
                Vec::new()
            }
            // The last step done: the "lesson done — next" line is shown,
            // and Enter opens the next lesson.
            Action::Run if last && (succeeded || (done && view.run == RunState::Idle)) => {
                let next = view.lesson + 1;
                return Some(self.open_lesson_at(next, None));
            }
            // A step that just succeeded, or an action step done before (by the
            // learner or layerlab): Enter moves on rather than redoing it — a
            // redo would record the learner's own step as layerlab's. `d`
            // still redoes it on purpose.
            Action::Run
                if succeeded
                    || (done
                        && view.run == RunState::Idle
                        && step.kind == StepKind::Action
                        && !step
                            .action
                            .as_ref()
                            .is_some_and(crate::lesson::Action::opens_a_screen)) =>
            {
                view.next(lesson.steps.len());
                self.remember_place();
                Vec::new()
            }
            // A written answer: Enter writes it here, `e` in $VISUAL/$EDITOR.
            Action::Run if step.kind == StepKind::Answer && step.answer_key.is_some() => {
                let key = step.answer_key.clone().unwrap_or_default();
                self.open_answer_editor(self.answer_path(&key), key);
                Vec::new()
            }
            Action::Edit | Action::Run
                if editable.is_some()
                    && (action == Action::Edit || step.kind != StepKind::File) =>
            {
                self.edit_step_file(editable.unwrap_or_default())
            }
            Action::Edit => {
                self.notice = Some(
                    t!(
                        "На этом шаге нечего редактировать",
                        "There is nothing to edit at this step"
                    )
                    .into(),
                );
                Vec::new()
            }
            Action::Run if self.running.is_some() => Vec::new(),
            Action::Run
                if !self.vars.contains_key("base_archive")
                    && crate::runner::needs_daemon(step)
                    && uses_placeholder(step, "base_archive") =>
            {
                view.prompt = Some(crate::tui::screens::lesson::Prompt::archive());
                Vec::new()
            }
            Action::Run
                if !self.vars.contains_key("registry")
                    && crate::runner::needs_daemon(step)
                    && uses_placeholder(step, "registry") =>
            {
                view.prompt = Some(crate::tui::screens::lesson::Prompt::registry());
                Vec::new()
            }
            Action::Run
                if crate::runner::confine::host_access(step)
                    && crate::runner::needs_daemon(step) =>
            {
                self.ask_consent()
            }
            // A question outside the quiz lesson is answered on the quiz screen.
            Action::Run if step.kind == StepKind::Question && step.question.is_some() => {
                self.open_lesson_question()
            }
            Action::Run => self.do_step(),
            other => {
                let has_file = step.kind == StepKind::File && step.file.is_some();
                let before = view.step;
                let handled = view.handle(other, lesson.steps.len(), has_file, limits);
                if view.step != before {
                    self.remember_place();
                }
                return handled.then(Vec::new);
            }
        })
    }

    /// `e` (or Enter on a step whose work is a file): the file, or the
    /// answer's draft, opens in $VISUAL/$EDITOR.
    fn edit_step_file(&mut self, editable: std::path::PathBuf) -> Vec<Effect> {
        let Screen::Lesson(view) = &self.screen else {
            return Vec::new();
        };
        let Some(step) = self.lessons[view.lesson].steps.get(view.step) else {
            return Vec::new();
        };
        let mut path = editable;
        let prepared = match step.answer_key.clone() {
            Some(key) => {
                path = self.answer_path(&key);
                self.prepare_answer_file(&path, &key)
            }
            None => path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .map_err(|e| format!("{}: {e}", path.display())),
        };
        let Screen::Lesson(view) = &mut self.screen else {
            return Vec::new();
        };
        if let Err(problem) = prepared {
            view.fail_run(problem);
            return Vec::new();
        }
        view.start_run();
        vec![Effect::Edit(path)]
    }

    /// Enter on a step nothing else claimed: a step that opens the lab or
    /// the explorer opens it (and counts as done once opened); one that needs
    /// the daemon runs; the rest (read, looked at) are done and move on.
    fn do_step(&mut self) -> Vec<Effect> {
        let Screen::Lesson(view) = &mut self.screen else {
            return Vec::new();
        };
        let lesson = &self.lessons[view.lesson];
        let Some(step) = lesson.steps.get(view.step) else {
            return Vec::new();
        };
        let opens = match &step.action {
            Some(crate::lesson::Action::Lab { image }) => Some((true, image.clone(), None)),
            Some(crate::lesson::Action::Layers { image, compare }) => {
                Some((false, image.clone(), compare.clone()))
            }
            _ => None,
        };
        let (lesson_id, step_id, steps) = (lesson.id.clone(), step.id.clone(), lesson.steps.len());
        if let Some((lab, image, compare)) = opens {
            let saved =
                self.progress
                    .complete_step_by(&lesson_id, &step_id, crate::progress::By::Learner);
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
            return self.run_current_step();
        }
        view.next(steps);
        // Read, answered or looked at: the learner's own doing.
        let saved =
            self.progress
                .complete_step_by(&lesson_id, &step_id, crate::progress::By::Learner);
        self.report(saved);
        self.remember_place();
        Vec::new()
    }

    /// Open lesson `index` at `step` (else where its progress resumes), or
    /// the quiz when that is the lesson; past the last lesson, the list.
    pub(crate) fn open_lesson_at(&mut self, index: usize, step: Option<usize>) -> Vec<Effect> {
        let Some(lesson) = self.lessons.get(index) else {
            self.screen = Screen::Lessons;
            return Vec::new();
        };
        self.home.selected = index;
        if lesson.id == crate::quiz::bank::QUIZ_LESSON_ID {
            return self.open_quiz();
        }
        let step = step.unwrap_or_else(|| {
            self.progress
                .resume_step(lesson)
                .and_then(|id| lesson.steps.iter().position(|s| s.id == id))
                .unwrap_or(0)
        });
        self.screen = Screen::Lesson(LessonScreen::new(index, step));
        self.remember_place();
        Vec::new()
    }

    /// Keep the lesson and step on screen, so the next start opens there.
    pub(super) fn remember_place(&mut self) {
        let Screen::Lesson(view) = &self.screen else {
            return;
        };
        let Some(lesson) = self.lessons.get(view.lesson) else {
            return;
        };
        let Some(step) = lesson.steps.get(view.step) else {
            return;
        };
        let (lesson_id, step_id) = (lesson.id.clone(), step.id.clone());
        if self.progress.last_place() != Some((lesson_id.as_str(), Some(step_id.as_str()))) {
            let saved = self.progress.set_current(&lesson_id, &step_id);
            self.report(saved);
        }
    }

    /// The lesson that follows the one on screen, if any: for the
    /// "lesson done — next" line.
    pub fn next_lesson_title(&self) -> Option<&crate::i18n::Text> {
        let Screen::Lesson(view) = &self.screen else {
            return None;
        };
        self.lessons.get(view.lesson + 1).map(|l| &l.title)
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
        if let Some(key) = step.answer_key.clone() {
            self.answer_editor_finished(path, &key, result);
            return;
        }
        if let Err(message) = result {
            view.fail_run(message);
            return;
        }
        view.finish_run(StepOutcome::passed(t!("Сохранено", "Saved")));
        let saved =
            self.progress
                .complete_step_by(&lesson_id, &step_id, crate::progress::By::Learner);
        self.report(saved);
    }
}

impl App {
    /// Enter in the lesson screen's prompt: a registry is checked and kept
    /// (it is no secret: saved with the lesson's values); credentials go to
    /// the worker's memory only. Either way the step then runs.
    pub(super) fn submit_prompt(&mut self) -> Vec<Effect> {
        let lang = self.lang;
        let Screen::Lesson(view) = &mut self.screen else {
            return Vec::new();
        };
        let Some(mut prompt) = view.prompt.take() else {
            return Vec::new();
        };
        let lesson_id = self.lessons[view.lesson].id.clone();
        let first = match &prompt {
            // Answered by `answer_consent` (y/N), never by Enter.
            crate::tui::screens::lesson::Prompt::Consent { .. } => {
                view.prompt = Some(prompt);
                return Vec::new();
            }
            crate::tui::screens::lesson::Prompt::Registry { input, .. } => {
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
            crate::tui::screens::lesson::Prompt::Archive { input, .. } => {
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
            crate::tui::screens::lesson::Prompt::Credentials {
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
        let learners = match &self.screen {
            Screen::Lesson(view) => {
                !view.for_me
                    && self.lessons[view.lesson]
                        .steps
                        .get(view.step)
                        .is_some_and(learner_does)
            }
            _ => false,
        };
        if learners {
            // The learner types this step: watch again, now with the value.
            self.watching = None;
        } else {
            effects.extend(self.run_current_step());
        }
        effects
    }

    /// Run the lesson screen's current step on the worker, marking it started.
    pub(super) fn run_current_step(&mut self) -> Vec<Effect> {
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

/// The file `e` opens for a step: the workspace file of an edit or file step,
/// or the learner's answer file for an answer step.
pub fn edit_target(step: &Step) -> Option<std::path::PathBuf> {
    use crate::lesson::Action as StepAction;
    match (step.kind, &step.action, &step.file, &step.answer_key) {
        // Only a path inside the workspace is opened (links resolved).
        (StepKind::Action, Some(StepAction::Edit { path }), _, _) => {
            crate::lesson::trust::resolve_in_workspace(&crate::paths::workspace_dir(), path).ok()
        }
        (StepKind::File, _, Some(file), _) => {
            crate::lesson::trust::resolve_in_workspace(&crate::paths::workspace_dir(), &file.path)
                .ok()
        }
        (StepKind::Answer, _, _, Some(key)) => Some(
            crate::paths::data_dir()
                .join("answers")
                .join(format!("{key}.md")),
        ),
        _ => None,
    }
}

/// A step the learner does in their own terminal (the watcher waits for
/// its state); Enter does not do it for them, `d` does.
pub fn learner_does(step: &Step) -> bool {
    matches!(
        crate::lesson::watching::watched(step),
        crate::lesson::watching::Watched::Expect(_)
    )
}

impl App {
    /// Keep the worker watching exactly the open step, when it is one the
    /// learner does (or a check) and not done yet; nothing otherwise.
    pub(super) fn sync_watch(&mut self) -> Vec<Effect> {
        let wanted = match &self.screen {
            Screen::Lesson(view) if self.running.is_none() && view.prompt.is_none() => self
                .lessons
                .get(view.lesson)
                .and_then(|lesson| Some((lesson, lesson.steps.get(view.step)?)))
                .filter(|(lesson, step)| {
                    !self.progress.is_done(&lesson.id, &step.id)
                        && matches!(
                            crate::lesson::watching::watched(step),
                            crate::lesson::watching::Watched::Expect(_)
                                | crate::lesson::watching::Watched::Check(_)
                        )
                })
                .map(|(lesson, step)| (lesson.id.clone(), step.id.clone())),
            _ => None,
        };
        if wanted == self.watching {
            return Vec::new();
        }
        self.watching = wanted.clone();
        vec![Effect::Worker(match wanted {
            Some((lesson, step)) => WorkerRequest::WatchStep { lesson, step },
            None => WorkerRequest::Cancel(JobKind::Watch),
        })]
    }

    /// The watcher's report: a hint for the open step, or its state reached
    /// (recorded as the learner's doing, with what it learned).
    pub(super) fn on_watched(
        &mut self,
        lesson: String,
        step: String,
        report: crate::watch::session::StepReport,
    ) -> Vec<Effect> {
        use crate::watch::session::StepReport;
        let here = match &self.screen {
            Screen::Lesson(view) => {
                self.lessons
                    .get(view.lesson)
                    .and_then(|l| Some((l.id.as_str(), l.steps.get(view.step)?.id.as_str())))
                    == Some((lesson.as_str(), step.as_str()))
            }
            _ => false,
        };
        match report {
            StepReport::Hint(hint) => {
                if let (true, Screen::Lesson(view)) = (here, &mut self.screen) {
                    view.hints
                        .push(format!("💡 {}", crate::watch::printable(&hint.text)));
                    view.hints.extend(
                        hint.evidence
                            .iter()
                            .map(|line| format!("   {}", crate::watch::printable(line))),
                    );
                }
                Vec::new()
            }
            StepReport::Satisfied {
                evaluation,
                learner,
            } => {
                self.watching = None;
                let by = evaluation.by.unwrap_or(crate::progress::By::Learner);
                let saved = self.progress.complete_step_by(&lesson, &step, by);
                self.report(saved);
                let mut effects = Vec::new();
                for (name, value) in &evaluation.vars {
                    let saved = self.progress.save_var(&lesson, name, value);
                    self.report(saved);
                    self.vars.insert(name.clone(), value.clone());
                    effects.push(Effect::Worker(WorkerRequest::SetVar {
                        name: name.clone(),
                        value: value.clone(),
                    }));
                }
                if let Some(found) = learner {
                    let saved = self
                        .progress
                        .set_learner_image(&found.id, found.tag.as_deref());
                    self.report(saved);
                    if let Some(tag) = &found.tag {
                        self.image = tag.clone();
                        self.vars.insert("image".into(), tag.clone());
                        effects.push(Effect::Worker(WorkerRequest::SetVar {
                            name: "image".into(),
                            value: tag.clone(),
                        }));
                    }
                }
                if let (true, Screen::Lesson(view)) = (here, &mut self.screen) {
                    // The hints were about what was still wrong; the state is
                    // reached now, so they would only contradict the ✔.
                    view.hints.clear();
                    let mut outcome = StepOutcome::passed(crate::i18n::Text::plain(
                        crate::watch::printable(&evaluation.message),
                    ));
                    outcome.output = evaluation
                        .output
                        .iter()
                        .map(|l| crate::i18n::Text::plain(crate::watch::printable(l)))
                        .collect();
                    view.finish_run(outcome);
                }
                effects
            }
        }
    }
}

/// What stands between a key and doing a step: "do it for me" is the old
/// Enter; Enter on a step the learner types only says so; a step marked
/// `confirm` asks y/N first. `None`: the key was answered here.
struct Gate {
    needs_prompt: bool,
    busy: bool,
    done: bool,
    lang: crate::i18n::Lang,
}

impl Gate {
    fn pass(
        &self,
        view: &mut crate::tui::screens::lesson::LessonScreen,
        step: &Step,
        action: Action,
    ) -> Option<Action> {
        let succeeded = matches!(&view.run, crate::tui::screens::lesson::RunState::Finished(outcome) if outcome.ok());
        // A step that asks first: y goes ahead, any other key says no.
        let action = if view.confirming {
            view.confirming = false;
            if action != Action::Confirm {
                let note = t!("Не выполнено: вы ответили «нет».", "Not done: you said no.");
                view.hints.push(note.get(self.lang).to_string());
                return None;
            }
            view.confirmed = true;
            Action::DoItForMe
        } else if action == Action::Confirm {
            return None;
        } else {
            action
        };
        let action = match action {
            Action::DoItForMe => {
                view.for_me = true;
                Action::Run
            }
            Action::Run
                if learner_does(step)
                    && !succeeded
                    && !self.needs_prompt
                    && !self.busy
                    && !self.done =>
            {
                let note = t!(
                    "Выполните команду в своём терминале: шаг отметится сам. d — сделать за меня.",
                    "Type the command in your terminal: the step ticks itself. d: do it for me."
                )
                .get(self.lang)
                .to_string();
                if !view.hints.contains(&note) {
                    view.hints.push(note);
                }
                return None;
            }
            other => other,
        };
        // Host access (a privileged container) has its own y/N with the
        // full command (`consent.rs`); the other `confirm` steps ask here.
        if action == Action::Run
            && step.confirm
            && !crate::runner::confine::host_access(step)
            && !view.confirmed
            && !succeeded
            && !self.busy
            && crate::runner::needs_daemon(step)
        {
            view.confirming = true;
            return None;
        }
        Some(action)
    }
}
