//! `layerlab run LESSON|all`: the lesson steps without the UI, one line each.

use std::collections::BTreeMap;
use std::process::ExitCode;

use tokio_util::sync::CancellationToken;

use crate::cmd::args::{GlobalArgs, RunArgs};
use crate::docker::client::Docker;
use crate::lesson::loader::Pack;
use crate::lesson::{Lesson, StepKind};
use crate::runner::settings::Settings;
use crate::runner::{RunState, Runner, default_vars, needs_daemon, settings_for};
use crate::t;

/// `layerlab run LESSON|all`: one line per step, exit 0 only when every
/// action and check passed. Progress is recorded as in the UI: a step is
/// *started* before it runs and *done* only when it passed, so a failed run
/// leaves the lesson where it stopped, and the same command redoes it.
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
    let pack = std::sync::Arc::new(Pack::load(global.lessons.as_deref())?);
    let lessons: Vec<&Lesson> = if args.lesson == "all" {
        pack.lessons.iter().collect()
    } else {
        match pack.lessons.iter().find(|l| l.id == args.lesson) {
            Some(l) => vec![l],
            None => anyhow::bail!(
                "no lesson `{}`; the pack has: {}",
                args.lesson,
                pack.lessons
                    .iter()
                    .map(|l| l.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    };
    let opened = crate::progress::Progress::open_default()?;
    if let Some(notice) = opened.notice() {
        println!("! {}", notice.get(lang));
    }
    let mut progress = opened.progress;
    let docker = Docker::connect_default()
        .await
        .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
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
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // The headless runner shows no progress bars; drain them so nothing piles up.
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let cancel = CancellationToken::new();
    let mut failed = 0;
    let mut passed = 0;
    let save = |result: Result<(), crate::progress::ProgressError>, failed: &mut u32| {
        if let Err(e) = result {
            println!("✘ {e}");
            *failed += 1;
        }
    };
    for lesson in lessons {
        println!("# {} ({})", lesson.title.get(lang), lesson.id);
        if !lesson.steps.iter().any(needs_daemon) {
            println!(
                "- {}: {}",
                lesson.id,
                t!(
                    "здесь нечего выполнять (вопросы — в `layerlab quiz`, тексты — в TUI)",
                    "nothing to run here (questions: `layerlab quiz`; texts: the UI)"
                )
                .get(lang)
            );
            continue;
        }
        // The first failed step is where the lesson stands; it stays
        // *started* so a resume redoes it.
        let mut stopped_at: Option<&str> = None;
        for step in &lesson.steps {
            let consent = crate::runner::confine::needs_consent(step);
            if step.optional || (consent && !args.yes) {
                println!(
                    "- {}: {}",
                    step.id,
                    t!(
                        "пропущен (необязательный или требует --yes)",
                        "skipped (optional, or needs --yes)"
                    )
                    .get(lang)
                );
                continue;
            }
            if !needs_daemon(step) {
                continue;
            }
            if consent {
                // `--yes` said yes to host access; what it runs is shown in full first.
                let command = crate::runner::confine::consent_command(
                    step,
                    |text| runner.fill(text).unwrap_or_else(|_| text.to_string()),
                    &runner.workspace,
                    lang,
                );
                println!("! {}/{}: --yes: {command}", lesson.id, step.id);
            }
            if stopped_at.is_none() {
                save(progress.start_step(&lesson.id, &step.id), &mut failed);
            }
            let outcome = runner.run_step(lesson, step, &tx, &cancel).await;
            runner.state.vars.extend(outcome.vars.clone());
            if outcome.ok() {
                passed += 1;
                println!("✔ {}/{}: {}", lesson.id, step.id, outcome.summary.get(lang));
                if stopped_at.is_none() {
                    save(progress.complete_step(&lesson.id, &step.id), &mut failed);
                }
                continue;
            }
            failed += 1;
            println!("✘ {}/{}: {}", lesson.id, step.id, outcome.summary.get(lang));
            stopped_at.get_or_insert(&step.id);
            // The steps after a failed action build on it; a failed check
            // says something on its own, and the next checks may too.
            if step.kind == StepKind::Action {
                println!(
                    "  {} `layerlab run {}`",
                    t!(
                        "урок остановлен на этом шаге; исправьте причину и повторите:",
                        "the lesson stops at this step; fix the cause and run again:"
                    )
                    .get(lang),
                    lesson.id
                );
                break;
            }
        }
    }
    for failure in runner.remove_started_containers().await {
        println!("✘ cleanup: {failure}");
        failed += 1;
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
