//! `layerlab run LESSON|all`: the headless front-end of the runner. One line
//! per step, exit 0 only when every action and check passed. Progress is
//! recorded as in the UI: a step is *started* before it runs and *done* only
//! when it passed, so a failed run leaves the lesson where it stopped, and
//! the same command redoes it.
//!
//! Process faults (issue 11): the data dir is locked (a second instance
//! waits, so neither erases the other's progress); Ctrl-C, SIGTERM and
//! SIGHUP stop the step and tidy up the containers this run started; a
//! closed stdout (`layerlab run all | head -1`) ends the output quietly and
//! still tidies up; a daemon that stops answering (or a registry that stops
//! sending progress mid-push) is given up on with a clear message instead
//! of waiting forever. On a terminal a spinner line shows what is running.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::cmd::args::{GlobalArgs, RunArgs};
use crate::docker::Docker;
use crate::i18n::Lang;
use crate::lesson::loader::Pack;
use crate::lesson::{Action, Lesson, Step, StepKind};
use crate::runner::settings::Settings;
use crate::runner::{RunState, Runner, StepOutcome, default_vars, needs_daemon, settings_for};
use crate::sanitize::clean_text;
use crate::t;

/// A ping that takes longer than this counts as no answer (the TUI's
/// status bar uses 1.2 s; a headless run gives up, so it is more patient).
const PING_TIMEOUT: Duration = Duration::from_secs(2);
const PING_EVERY: Duration = Duration::from_secs(1);
/// Unanswered pings in a row before the run gives up on the daemon.
const PINGS_LOST: u32 = 3;
/// A push or pull with no progress from the registry for this long is given up.
const REGISTRY_SILENCE: Duration = Duration::from_secs(60);
/// How long a cancelled step gets to wind down before it is dropped.
const STEP_GRACE: Duration = Duration::from_secs(3);
/// The tidy-up is bounded too: the daemon may be the thing that hangs.
const TIDY_TIMEOUT: Duration = Duration::from_secs(15);

/// Why the run stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stop {
    Signal(&'static str, u8),
    StdoutClosed,
    DaemonLost(String),
    RegistrySilent,
}

/// stdout for the step lines: escapes what came from outside, notices a
/// closed pipe (then prints nothing more, never panics), and draws the
/// spinner line only on a terminal.
struct Out {
    tty: bool,
    closed: bool,
    spinner_shown: bool,
}

impl Out {
    fn new() -> Out {
        Out {
            tty: std::io::stdout().is_terminal(),
            closed: false,
            spinner_shown: false,
        }
    }

    /// Print one line; false once stdout is closed.
    fn line(&mut self, text: &str) -> bool {
        if self.closed {
            return false;
        }
        let mut stdout = std::io::stdout().lock();
        let mut result = Ok(());
        if self.spinner_shown {
            self.spinner_shown = false;
            result = stdout.write_all(b"\r\x1b[K");
        }
        let result = result
            .and_then(|()| writeln!(stdout, "{}", clean_text(text)))
            .and_then(|()| stdout.flush());
        if result.is_err() {
            // EPIPE (Rust ignores SIGPIPE) or any other write error: the
            // reader is gone; stop writing, keep going to the tidy-up.
            self.closed = true;
        }
        !self.closed
    }

    fn spinner(&mut self, frame: usize, text: &str) {
        if !self.tty || self.closed {
            return;
        }
        const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
        let mut shown: String = crate::sanitize::clean(text).chars().take(70).collect();
        if text.chars().count() > 70 {
            shown.push('…');
        }
        let mut stdout = std::io::stdout().lock();
        let result = write!(stdout, "\r{} {shown}\x1b[K", FRAMES[frame % FRAMES.len()])
            .and_then(|()| stdout.flush());
        if result.is_err() {
            self.closed = true;
        } else {
            self.spinner_shown = true;
        }
    }
}

/// The last thing the step reported, and when (for the spinner and the
/// registry watchdog).
#[derive(Default)]
struct Activity {
    last: Option<Instant>,
    text: String,
}

fn describe_progress(p: &crate::docker::model::Progress) -> String {
    use crate::docker::model::Progress as P;
    match p {
        P::BuildLog(line) => line.clone(),
        P::BuildStep {
            number,
            total,
            instruction,
        } => format!("{number}/{total} {instruction}"),
        P::Layer {
            id,
            current: Some(c),
            total: Some(t),
            status,
        } if *t > 0 => format!("{id}: {status} {}%", c * 100 / t),
        P::Layer { id, status, .. } => format!("{id}: {status}"),
        P::Status(s) => s.clone(),
    }
}

/// Signals that stop the run: Ctrl-C, SIGTERM, and SIGHUP (the terminal
/// closed). Each is turned into a `Stop` and the token is cancelled.
fn watch_signals(stop: Arc<Mutex<Option<Stop>>>, cancel: CancellationToken) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        let which = tokio::select! {
            _ = int.recv() => Stop::Signal("SIGINT", 130),
            _ = term.recv() => Stop::Signal("SIGTERM", 143),
            _ = hup.recv() => Stop::Signal("SIGHUP", 129),
        };
        if let Ok(mut slot) = stop.lock() {
            slot.get_or_insert(which);
        }
        cancel.cancel();
    });
    Ok(())
}

/// Ping the daemon while a step runs; return why to give up, if ever.
async fn watchdog(
    docker: Docker,
    is_registry_step: bool,
    activity: Arc<Mutex<Activity>>,
    out: Arc<Mutex<Out>>,
    label: String,
) -> Stop {
    let started = Instant::now();
    let mut unanswered = 0;
    let mut frame = 0usize;
    loop {
        tokio::time::sleep(PING_EVERY).await;
        frame += 1;
        let (text, last) = match activity.lock() {
            Ok(a) => (a.text.clone(), a.last),
            Err(_) => (String::new(), None),
        };
        if let Ok(mut out) = out.lock() {
            let secs = started.elapsed().as_secs();
            let line = if text.is_empty() {
                format!("{label} ({secs} s)")
            } else {
                format!("{label} ({secs} s): {text}")
            };
            out.spinner(frame, &line);
        }
        match tokio::time::timeout(PING_TIMEOUT, docker.ping()).await {
            Ok(Ok(())) => unanswered = 0,
            Ok(Err(e)) => {
                unanswered += 1;
                if unanswered >= PINGS_LOST {
                    return Stop::DaemonLost(e.to_string());
                }
            }
            Err(_) => {
                unanswered += 1;
                if unanswered >= PINGS_LOST {
                    return Stop::DaemonLost(format!(
                        "no answer to {PINGS_LOST} pings of {} s each",
                        PING_TIMEOUT.as_secs()
                    ));
                }
            }
        }
        if is_registry_step {
            let since = last.unwrap_or(started).elapsed();
            if since >= REGISTRY_SILENCE {
                return Stop::RegistrySilent;
            }
        }
    }
}

fn stop_message(stop: &Stop, endpoint: &str, lesson: &str, lang: Lang) -> String {
    match stop {
        Stop::Signal(name, _) => crate::tr!(
            lang,
            "остановлено ({name}): шаг не завершён; повторите: layerlab run {lesson}",
            "stopped ({name}): the step did not finish; run it again: layerlab run {lesson}"
        ),
        Stop::StdoutClosed => String::new(),
        Stop::DaemonLost(why) => crate::tr!(
            lang,
            "Docker Engine ({endpoint}) перестал отвечать ({why}); шаг не завершён. Проверьте демон (layerlab doctor) и повторите: layerlab run {lesson}",
            "Docker Engine ({endpoint}) stopped answering ({why}); the step did not finish. Check the daemon (layerlab doctor), then run again: layerlab run {lesson}"
        ),
        Stop::RegistrySilent => {
            let secs = REGISTRY_SILENCE.as_secs();
            crate::tr!(
                lang,
                "реестр перестал отвечать: {secs} с без движения; шаг не завершён. Проверьте реестр и сеть и повторите: layerlab run {lesson}",
                "the registry stopped answering: no progress for {secs} s; the step did not finish. Check the registry and the network, then run again: layerlab run {lesson}"
            )
        }
    }
}

/// Run one step, watched: a signal, a lost daemon or a silent registry ends
/// it (the token is cancelled, the step gets `STEP_GRACE`, then dropped).
async fn run_watched(
    runner: &mut Runner,
    lesson: &Lesson,
    step: &Step,
    tx: &tokio::sync::mpsc::UnboundedSender<crate::docker::model::Progress>,
    cancel: &CancellationToken,
    watch: (Arc<Mutex<Activity>>, Arc<Mutex<Out>>),
    stop: &Arc<Mutex<Option<Stop>>>,
) -> Option<StepOutcome> {
    let (activity, out) = watch;
    if let Ok(mut a) = activity.lock() {
        *a = Activity::default();
    }
    let registry_step = matches!(step.action, Some(Action::Push { .. } | Action::Pull { .. }));
    let dog = watchdog(
        runner.docker.clone(),
        registry_step,
        activity,
        out,
        format!("{}/{}", lesson.id, step.id),
    );
    let step_future = runner.run_step(lesson, step, tx, cancel);
    tokio::pin!(step_future);
    tokio::select! {
        outcome = &mut step_future => return Some(outcome),
        reason = dog => {
            if let Ok(mut slot) = stop.lock() {
                slot.get_or_insert(reason);
            }
            cancel.cancel();
        }
        _ = cancel.cancelled() => {}
    }
    // Let the step see the cancellation and return; a hung request is dropped.
    tokio::time::timeout(STEP_GRACE, step_future).await.ok()
}

/// The lessons `LESSON|all` names, or which ids there are.
fn chosen_lessons<'p>(pack: &'p Pack, wanted: &str) -> anyhow::Result<Vec<&'p Lesson>> {
    if wanted == "all" {
        return Ok(pack.lessons.iter().collect());
    }
    match pack.lessons.iter().find(|l| l.id == wanted) {
        Some(l) => Ok(vec![l]),
        None => anyhow::bail!(
            "no lesson `{wanted}`; the pack has: {}",
            pack.lessons
                .iter()
                .map(|l| l.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// One headless run: what every step needs, and the counts so far.
struct Session<'a> {
    runner: Runner,
    progress: crate::progress::Progress,
    args: &'a RunArgs,
    lang: Lang,
    out: Arc<Mutex<Out>>,
    activity: Arc<Mutex<Activity>>,
    tx: tokio::sync::mpsc::UnboundedSender<crate::docker::model::Progress>,
    cancel: CancellationToken,
    stop: Arc<Mutex<Option<Stop>>>,
    passed: usize,
    failed: usize,
    /// The lesson the run was in when it stopped early.
    stopped_lesson: String,
}

impl Session<'_> {
    fn say(&self, text: &str) -> bool {
        self.out.lock().map(|mut o| o.line(text)).unwrap_or(false)
    }

    /// Run one lesson's steps; false when the whole run must stop (a
    /// signal, a lost daemon, a closed stdout).
    async fn lesson(&mut self, lesson: &Lesson) -> bool {
        let lang = self.lang;
        if !self.say(&format!("# {} ({})", lesson.title.get(lang), lesson.id)) {
            return false;
        }
        if !lesson.steps.iter().any(needs_daemon) {
            self.say(&format!(
                "- {}: {}",
                lesson.id,
                t!(
                    "здесь нечего выполнять (вопросы — в `layerlab quiz`, тексты — в TUI)",
                    "nothing to run here (questions: `layerlab quiz`; texts: the UI)"
                )
                .get(lang)
            ));
            return true;
        }
        // The first failed step is where the lesson stands; it stays
        // *started* so a resume redoes it.
        let mut stopped_at: Option<String> = None;
        for step in &lesson.steps {
            if self.cancel.is_cancelled() {
                self.stopped_lesson = lesson.id.clone();
                return false;
            }
            match self.step(lesson, step, &mut stopped_at).await {
                StepEnd::Next => {}
                StepEnd::LessonStops => break,
                StepEnd::RunStops => {
                    self.stopped_lesson = lesson.id.clone();
                    return false;
                }
            }
        }
        true
    }

    async fn step(
        &mut self,
        lesson: &Lesson,
        step: &Step,
        stopped_at: &mut Option<String>,
    ) -> StepEnd {
        let lang = self.lang;
        let consent = crate::runner::confine::needs_consent(step);
        if step.optional || (consent && !self.args.yes) {
            self.say(&format!(
                "- {}: {}",
                step.id,
                t!(
                    "пропущен (необязательный или требует --yes)",
                    "skipped (optional, or needs --yes)"
                )
                .get(lang)
            ));
            return StepEnd::Next;
        }
        if !needs_daemon(step) {
            return StepEnd::Next;
        }
        if consent {
            // `--yes` said yes to host access; what it runs is shown in full first.
            let command = crate::runner::confine::consent_command(
                step,
                |text| self.runner.fill(text).unwrap_or_else(|_| text.to_string()),
                &self.runner.workspace,
                lang,
            );
            self.say(&format!("! {}/{}: --yes: {command}", lesson.id, step.id));
        }
        if stopped_at.is_none()
            && let Err(e) = self.progress.start_step(&lesson.id, &step.id)
        {
            self.say(&format!("✘ {e}"));
            self.failed += 1;
        }
        let outcome = run_watched(
            &mut self.runner,
            lesson,
            step,
            &self.tx,
            &self.cancel,
            (self.activity.clone(), self.out.clone()),
            &self.stop,
        )
        .await;
        let Some(outcome) = outcome.filter(|_| !self.cancel.is_cancelled()) else {
            // Stopped: the step stays *started* (redone on resume).
            return StepEnd::RunStops;
        };
        self.runner.state.vars.extend(outcome.vars.clone());
        if outcome.ok() {
            return self.passed_step(lesson, step, &outcome, stopped_at.is_none());
        }
        self.failed += 1;
        let open = self.say(&format!(
            "✘ {}/{}: {}",
            lesson.id,
            step.id,
            outcome.summary.get(lang)
        ));
        stopped_at.get_or_insert_with(|| step.id.clone());
        if !open {
            return StepEnd::RunStops;
        }
        // The steps after a failed action build on it; a failed check
        // says something on its own, and the next checks may too.
        if step.kind == StepKind::Action {
            self.say(&format!(
                "  {} `layerlab run {}`",
                t!(
                    "урок остановлен на этом шаге; исправьте причину и повторите:",
                    "the lesson stops at this step; fix the cause and run again:"
                )
                .get(lang),
                lesson.id
            ));
            return StepEnd::LessonStops;
        }
        StepEnd::Next
    }

    fn passed_step(
        &mut self,
        lesson: &Lesson,
        step: &Step,
        outcome: &StepOutcome,
        record: bool,
    ) -> StepEnd {
        self.passed += 1;
        let open = self.say(&format!(
            "✔ {}/{}: {}",
            lesson.id,
            step.id,
            outcome.summary.get(self.lang)
        ));
        if record && let Err(e) = self.progress.complete_step(&lesson.id, &step.id) {
            self.say(&format!("✘ {e}"));
            self.failed += 1;
        }
        // What later steps, `check` and the report use (the built image).
        if let Err(e) = self.progress.save_vars(&lesson.id, &outcome.vars) {
            self.say(&format!("✘ {e}"));
            self.failed += 1;
        }
        if open {
            StepEnd::Next
        } else {
            StepEnd::RunStops
        }
    }

    /// Remove the containers this run started, bounded: the daemon may be
    /// what stopped answering.
    async fn tidy(&mut self, reason: Option<&Stop>) {
        let lang = self.lang;
        let names: Vec<String> = self.runner.state.containers.keys().cloned().collect();
        // A daemon that stopped answering gets a short try only.
        let tidy_timeout = if matches!(reason, Some(Stop::DaemonLost(_))) {
            Duration::from_secs(5)
        } else {
            TIDY_TIMEOUT
        };
        let tidy =
            tokio::time::timeout(tidy_timeout, self.runner.remove_started_containers()).await;
        let failures = match tidy {
            Ok(failures) => failures,
            Err(_) => vec![crate::tr!(
                lang,
                "{} — Docker не ответил за {} с; удалите их позже: layerlab clean",
                "{} — Docker did not answer within {} s; remove them later: layerlab clean",
                names.join(", "),
                tidy_timeout.as_secs()
            )],
        };
        for failure in failures {
            tracing::warn!("cleanup: {failure}");
            if !self.say(&format!("✘ cleanup: {failure}")) && reason != Some(&Stop::StdoutClosed)
            {
                eprintln!("layerlab: cleanup: {}", clean_text(&failure));
            }
            self.failed += 1;
        }
    }
}

/// What a step means for the rest of the run.
enum StepEnd {
    Next,
    /// A failed action: the rest of this lesson builds on it.
    LessonStops,
    /// A signal, a lost daemon or a closed stdout.
    RunStops,
}

pub async fn run_headless(global: &GlobalArgs, args: &RunArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang();
    // Names are checked before anything reaches the daemon.
    let settings = settings_for(
        lang,
        Settings {
            base_image: global.base_image.clone(),
            registry: args.registry.clone(),
            image: args.image.clone(),
        },
    )
    .map_err(anyhow::Error::msg)?;
    let pack = Arc::new(Pack::load(global.lessons.as_deref())?);
    let lessons = chosen_lessons(&pack, &args.lesson)?;
    let stop: Arc<Mutex<Option<Stop>>> = Arc::default();
    let cancel = CancellationToken::new();
    watch_signals(stop.clone(), cancel.clone())?;
    // Before the progress file is read: a second instance waits here.
    let lock = tokio::select! {
        lock = crate::data_lock::lock_data_dir(lang) => lock?,
        _ = cancel.cancelled() => return Ok(ExitCode::from(130)),
    };
    tracing::info!("data dir lock {}", lock.path().display());
    let out = Arc::new(Mutex::new(Out::new()));
    let opened = crate::progress::Progress::open_default()?;
    if let Some(notice) = opened.notice()
        && let Ok(mut o) = out.lock()
    {
        o.line(&format!("! {}", notice.get(lang)));
    }
    let docker = Docker::connect_default()
        .await
        .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    let endpoint = docker.endpoint().url.clone();
    let mut runner = Runner {
        docker,
        pack: pack.clone(),
        state: RunState::default(),
        confirmed: args.yes,
        workspace: crate::paths::workspace_dir(),
        credentials: BTreeMap::new(),
    };
    runner.state.vars = default_vars(&pack, &settings);
    runner
        .state
        .vars
        .insert("workspace".into(), runner.workspace.display().to_string());
    let activity: Arc<Mutex<Activity>> = Arc::default();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    {
        let activity = activity.clone();
        tokio::spawn(async move {
            while let Some(p) = rx.recv().await {
                if let Ok(mut a) = activity.lock() {
                    a.last = Some(Instant::now());
                    a.text = describe_progress(&p);
                }
            }
        });
    }
    let mut session = Session {
        runner,
        progress: opened.progress,
        args,
        lang,
        out: out.clone(),
        activity,
        tx,
        cancel,
        stop: stop.clone(),
        passed: 0,
        failed: 0,
        stopped_lesson: String::new(),
    };
    for lesson in lessons {
        if !session.lesson(lesson).await {
            break;
        }
    }
    let closed = out.lock().map(|o| o.closed).unwrap_or(true);
    let reason = stop
        .lock()
        .ok()
        .and_then(|s| s.clone())
        .or(closed.then_some(Stop::StdoutClosed));
    if let Some(reason) = &reason {
        let text = stop_message(reason, &endpoint, &session.stopped_lesson, lang);
        tracing::warn!("run stopped: {reason:?}");
        if !text.is_empty() && !session.say(&format!("✘ {text}")) {
            eprintln!("layerlab: {}", clean_text(&text));
        }
    }
    session.tidy(reason.as_ref()).await;
    session.say(&format!(
        "{} passed, {} failed",
        session.passed, session.failed
    ));
    drop(lock);
    Ok(match reason {
        Some(Stop::Signal(_, code)) => ExitCode::from(code),
        // As a shell reports a process ended by SIGPIPE; nothing printed.
        Some(Stop::StdoutClosed) => ExitCode::from(141),
        Some(_) => ExitCode::FAILURE,
        None if session.failed == 0 => ExitCode::SUCCESS,
        None => ExitCode::FAILURE,
    })
}
