//! `layerlab validate --prove [DIR]`: the pack's self-test against a Docker
//! daemon, as exercise tools test their exercises. Each lesson, in order,
//! twice:
//!
//! 1. **doing nothing**: every watched step is evaluated once, as `layerlab
//!    watch` would on opening it, and none may tick (layerlab's own steps,
//!    copying the template, are done as the watcher does them). A state that
//!    holds before anyone acts by its nature (an absence, the daemon
//!    answering, a shared image already present) is said, not failed;
//! 2. **the reference path**: every required step done as "do it for me"
//!    does it (`layerlab run`; an `edit` gets a stand-in edit), and then the
//!    step's watched state must be reached, so the watcher recognises what the
//!    reference produces.
//!
//! Lessons build on the ones before, so lesson N's "nothing" comes after the
//! reference path of lessons 1..N-1. Everything happens in a throwaway data
//! folder and workspace, under names of the self-test's own (image tags,
//! container names, a registry path); what it created is removed at the end
//! (containers by id; images by id when only its own names point at them,
//! else its own names are untagged). Steps that need a registry or a yes are
//! skipped with the reason unless `--registry` / `--yes`.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;

use tokio_util::sync::CancellationToken;

use crate::cmd::args::{GlobalArgs, ValidateArgs};
use crate::docker::Docker;
use crate::i18n::Lang;
use crate::lesson::loader::Pack;
use crate::lesson::watch_model::Expect;
use crate::lesson::watching::{Watched, watched};
use crate::lesson::{Action, Check, Lesson, Step};
use crate::runner::settings::Settings;
use crate::runner::{RunState, Runner, container_name, default_vars};
use crate::sanitize::clean_text;
use crate::tr;
use crate::watch::Watcher;

/// How the steps came out.
#[derive(Debug, Default)]
struct Tally {
    proven: usize,
    failed: Vec<String>,
    skipped: usize,
}

struct Prover {
    watcher: Watcher,
    lang: Lang,
    /// Part of every name the self-test makes.
    unique: String,
    registry: bool,
    yes: bool,
    tally: Tally,
    /// Image names the reference path made (build, commit, tag, pull).
    images: BTreeSet<String>,
}

pub async fn prove(global: &GlobalArgs, args: &ValidateArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang();
    let dir = args.dir.as_deref().or(global.lessons.as_deref());
    // An invalid pack is reported as `validate` reports it, and not run.
    let code = crate::cmd::lessons::validate(dir)?;
    if code != ExitCode::SUCCESS {
        return Ok(code);
    }
    let pack = std::sync::Arc::new(Pack::load(dir)?);
    let data = tempfile::Builder::new()
        .prefix("layerlab-prove-")
        .tempdir()?;
    let workspace = data.path().join("workspace");
    std::fs::create_dir_all(&workspace)?;
    let unique = format!(
        "layerlab-prove-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() % 100_000)
            .unwrap_or(0)
    );
    crate::runner::use_container_prefix(&unique);
    let settings = Settings {
        base_image: global.base_image.clone(),
        registry: None,
        image: Some(format!("{unique}/nginx-alpine:latest")),
    };
    let docker = Docker::connect_default()
        .await
        .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    let mut runner = Runner {
        docker,
        pack: pack.clone(),
        state: RunState::default(),
        confirmed: args.yes,
        workspace: workspace.clone(),
        credentials: BTreeMap::new(),
    };
    runner.state.vars = default_vars(&pack, &settings);
    runner.state.vars.remove("registry");
    if let Some(registry) = &args.registry {
        // A path of its own: nothing another learner pushed is overwritten.
        let registry = format!("{}/{unique}", registry.trim_end_matches('/'));
        runner.state.vars.insert("registry".into(), registry);
    }
    runner
        .state
        .vars
        .insert("workspace".into(), workspace.display().to_string());
    let mut prover = Prover {
        watcher: Watcher::new(runner, lang),
        lang,
        unique,
        registry: args.registry.is_some(),
        yes: args.yes,
        tally: Tally::default(),
        images: BTreeSet::new(),
    };
    say(&tr!(
        lang,
        "Самопроверка пакета: рабочая папка {}, имена {}-…",
        "Pack self-test: workspace {}, names {}-…",
        workspace.display(),
        prover.unique
    ));
    for lesson in &pack.lessons {
        if crate::watch::session::watched_steps(lesson).is_empty() {
            say(&format!(
                "# {}: {}",
                lesson.id,
                tr!(lang, "наблюдать нечего", "nothing to watch")
            ));
            continue;
        }
        say(&format!("# {} ({})", lesson.id, lesson.title.get(lang)));
        prover.nothing(lesson).await;
        prover.reference(lesson).await;
    }
    prover.tidy().await;
    drop(data);
    let tally = &prover.tally;
    say(&tr!(
        lang,
        "{} проверено, {} не прошло, {} пропущено",
        "{} proven, {} failed, {} skipped",
        tally.proven,
        tally.failed.len(),
        tally.skipped
    ));
    if tally.failed.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    say(&tr!(lang, "Не прошли:", "Failed:"));
    for step in &tally.failed {
        say(&format!("✘ {step}"));
    }
    Ok(ExitCode::FAILURE)
}

fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", clean_text(line));
    let _ = out.flush();
}

impl Prover {
    fn pass_nothing(&self) -> String {
        tr!(self.lang, "без действий", "doing nothing")
    }

    fn pass_reference(&self) -> String {
        tr!(self.lang, "по решению", "reference")
    }

    /// Why the self-test does not do this step, if it does not.
    fn skip_reason(&self, step: &Step) -> Option<String> {
        let lang = self.lang;
        if step.optional {
            return Some(tr!(lang, "необязательный шаг", "an optional step"));
        }
        if (step.confirm || crate::runner::confine::needs_consent(step)) && !self.yes {
            return Some(tr!(
                lang,
                "спрашивает подтверждение: нужен --yes",
                "asks first: needs --yes"
            ));
        }
        let fields = format!("{:?} {:?} {:?}", step.action, step.check, step.expect);
        if fields.contains("{registry}") && !self.registry {
            return Some(tr!(
                lang,
                "публикует в реестр: нужен --registry ХОСТ:ПОРТ",
                "pushes to a registry: needs --registry HOST:PORT"
            ));
        }
        if fields.contains("{base_archive}") {
            return Some(tr!(
                lang,
                "спрашивает у ученика файл",
                "asks the learner for a file"
            ));
        }
        None
    }

    fn skip(&mut self, pass: &str, lesson: &Lesson, step: &Step, why: &str) {
        self.tally.skipped += 1;
        say(&format!(
            "- [{pass}] {}/{}: {} ({why})",
            lesson.id,
            step.id,
            tr!(self.lang, "пропущен", "skipped")
        ));
    }

    fn fail(&mut self, pass: &str, lesson: &Lesson, step: &Step, what: String) {
        say(&format!("✘ [{pass}] {}/{}: {what}", lesson.id, step.id));
        self.tally
            .failed
            .push(format!("[{pass}] {}/{}: {what}", lesson.id, step.id));
    }

    fn pass(&mut self, pass: &str, lesson: &Lesson, step: &Step, what: String) {
        self.tally.proven += 1;
        say(&format!("✔ [{pass}] {}/{}: {what}", lesson.id, step.id));
    }

    /// A state that holds before the learner acts, by its nature: said, not
    /// failed. `None` when ticking with nothing done is a fault of the pack.
    fn holds_anyway(&self, step: &Step) -> Option<String> {
        let lang = self.lang;
        let absence = tr!(
            lang,
            "это отсутствие: верно и до начала; наблюдается только после шагов перед ним",
            "an absence: true before anything is done; watched only once the steps before it are"
        );
        match watched(step) {
            Watched::Check(Check::DaemonReachable) => Some(tr!(
                lang,
                "требует только работающего демона",
                "needs only a running daemon"
            )),
            Watched::Check(
                Check::ImageAbsent { .. }
                | Check::ContainerAbsent { .. }
                | Check::PageLacks { .. }
                | Check::ChangesExclude { .. },
            )
            | Watched::Expect(Expect::ContainerAbsent { .. } | Expect::ImageGone { .. }) => {
                Some(absence)
            }
            Watched::Expect(Expect::ImagePresent { image })
            | Watched::Check(Check::ImageExists { image }) => {
                let name = self.watcher.runner.fill(&image).ok()?;
                (!name.contains(&self.unique)).then(|| {
                    tr!(
                        lang,
                        "общий образ {name}, он уже был в Docker",
                        "a shared image, {name}, already in Docker"
                    )
                })
            }
            _ => None,
        }
    }

    /// Pass 1: the lesson opened and nothing done; no watched step may tick.
    async fn nothing(&mut self, lesson: &Lesson) {
        let pass = self.pass_nothing();
        for step in crate::watch::session::watched_steps(lesson) {
            if let Some(why) = self.skip_reason(step) {
                self.skip(&pass, lesson, step, &why);
                continue;
            }
            self.watcher.open_step();
            let evaluation = self.watcher.evaluate(lesson, step).await;
            let message = evaluation.message.trim().to_string();
            if matches!(watched(step), Watched::ByLayerlab) {
                // layerlab's own step, done as the watcher does it.
                say(&format!(
                    "· [{pass}] {}/{}: {} {message}",
                    lesson.id,
                    step.id,
                    tr!(self.lang, "делает layerlab:", "done by layerlab:")
                ));
                continue;
            }
            if !evaluation.satisfied {
                let what = tr!(
                    self.lang,
                    "не засчитан ({message})",
                    "stays unticked ({message})"
                );
                self.pass(&pass, lesson, step, what);
            } else if let Some(why) = self.holds_anyway(step) {
                self.tally.proven += 1;
                say(&format!(
                    "~ [{pass}] {}/{}: {} ({why})",
                    lesson.id,
                    step.id,
                    tr!(
                        self.lang,
                        "засчитан и без действий",
                        "ticks with nothing done"
                    )
                ));
            } else {
                let what = tr!(
                    self.lang,
                    "засчитан, хотя ничего не сделано: {message}",
                    "ticks with nothing done: {message}"
                );
                self.fail(&pass, lesson, step, what);
            }
        }
    }

    /// Pass 2: each required step done as "do it for me" does it; then its
    /// watched state must be reached. A failed action ends the lesson.
    async fn reference(&mut self, lesson: &Lesson) {
        let pass = self.pass_reference();
        let mut after: Option<String> = None;
        for step in &lesson.steps {
            let how = watched(step);
            let doable = matches!(
                step.kind,
                crate::lesson::StepKind::Action | crate::lesson::StepKind::Check
            );
            // Reading, answering and the screens have nothing to prove.
            if !doable || (matches!(how, Watched::NotWatched) && !step.optional) {
                continue;
            }
            if let Some(why) = after.clone().or_else(|| self.skip_reason(step)) {
                self.skip(&pass, lesson, step, &why);
                // What follows a skipped required step builds on it.
                if !step.optional && after.is_none() {
                    after = Some(tr!(
                        self.lang,
                        "идёт после пропущенного шага {}",
                        "follows the skipped step {}",
                        step.id
                    ));
                }
                continue;
            }
            let done = match &step.action {
                Some(Action::Edit { path }) => self.stand_in_edit(path),
                _ => self.run(lesson, step).await,
            };
            let summary = match done {
                Ok(summary) => summary,
                Err(why) => {
                    self.fail(&pass, lesson, step, why);
                    say(&tr!(
                        self.lang,
                        "  урок остановлен: дальнейшие шаги опираются на этот",
                        "  the lesson stops here: the steps after it build on this one"
                    ));
                    return;
                }
            };
            match how {
                Watched::Expect(Expect::ExecSeen { .. }) => {
                    // Seen only in the daemon's event stream while the step is
                    // open; the action's own success stands for it.
                    let what = tr!(
                        self.lang,
                        "{summary} (exec виден только в потоке событий)",
                        "{summary} (an exec is seen in the event stream only)"
                    );
                    self.pass(&pass, lesson, step, what);
                }
                Watched::Expect(_) => {
                    self.watcher.open_step();
                    let evaluation = self.watcher.evaluate(lesson, step).await;
                    let message = evaluation.message.trim().to_string();
                    if evaluation.satisfied {
                        let what = tr!(self.lang, "засчитан: {message}", "ticks: {message}");
                        self.pass(&pass, lesson, step, what);
                    } else {
                        let what = tr!(
                            self.lang,
                            "решение выполнено ({summary}), но наблюдатель его не видит: {message}",
                            "the reference ran ({summary}), but the watcher does not see it: {message}"
                        );
                        self.fail(&pass, lesson, step, what);
                    }
                }
                _ => self.pass(&pass, lesson, step, summary),
            }
        }
    }

    /// The learner's edit, stood in for: a line added to the file (the
    /// workspace is the self-test's own).
    fn stand_in_edit(&mut self, path: &str) -> Result<String, String> {
        let lang = self.lang;
        let runner = &self.watcher.runner;
        let filled = runner
            .fill(path)
            .map_err(|fail| fail.message.get(lang).to_string())?;
        let file = crate::runner::confine::workspace_path(&runner.workspace, &filled)
            .map_err(|text| text.get(lang).to_string())?;
        let mut bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        bytes.push(b'\n');
        crate::paths::write_atomically(&file, &bytes)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        Ok(tr!(
            lang,
            "правка за ученика: в {} добавлена строка",
            "a stand-in for the learner's edit: a line added to {}",
            file.display()
        ))
    }

    /// Do the step as `layerlab run` does; its summary, or why it failed.
    async fn run(&mut self, lesson: &Lesson, step: &Step) -> Result<String, String> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
        let cancel = CancellationToken::new();
        let outcome = self
            .watcher
            .runner
            .run_step(lesson, step, &tx, &cancel)
            .await;
        drop(tx);
        let _ = drain.await;
        let summary = outcome.summary.get(self.lang).trim().to_string();
        if !outcome.ok() {
            return Err(summary);
        }
        let runner = &mut self.watcher.runner;
        runner.state.vars.extend(outcome.vars.clone());
        match &step.action {
            // The container it started is the lesson's, for the watcher too.
            Some(Action::Run { name, .. }) => {
                runner
                    .state
                    .vars
                    .insert(format!("container.{name}"), container_name(name));
            }
            Some(
                Action::Build { tag, .. }
                | Action::Commit { tag, .. }
                | Action::Tag { target: tag, .. }
                | Action::Pull { image: tag },
            ) => {
                if let Ok(name) = runner.fill(tag)
                    && name.contains(&self.unique)
                {
                    self.images.insert(name);
                }
            }
            _ => {}
        }
        Ok(summary)
    }

    /// Remove what the self-test made: its containers by id, its images by id
    /// when only its own names point at them (else its names are untagged).
    async fn tidy(&mut self) {
        let lang = self.lang;
        for failure in self.watcher.runner.remove_started_containers().await {
            say(&format!("✘ cleanup: {failure}"));
        }
        let docker = self.watcher.runner.docker.clone();
        let mut removed = 0;
        for name in std::mem::take(&mut self.images) {
            let Ok(Some(info)) = docker.inspect_image(&name).await else {
                continue;
            };
            let only_ours = info.repo_tags.iter().all(|t| t.contains(&self.unique));
            let result = if only_ours {
                docker.remove_image(&info.id, true).await
            } else {
                docker.remove_image(&name, false).await
            };
            match result {
                Ok(_) => removed += 1,
                // Another of its own names already took it along.
                Err(crate::docker::error::DockerError::ImageNotFound { .. }) => {}
                Err(e) => say(&format!("✘ cleanup: {name}: {}", e.render(lang))),
            }
        }
        say(&tr!(
            lang,
            "убрано: созданные контейнеры и образы ({removed})",
            "tidied up: the containers and images it made ({removed})"
        ));
    }
}
