//! `layerlab watch LESSON [--timeout SECONDS]`: the learner types the docker
//! commands in another terminal; one line per step as its state is reached
//! (`✔ lesson/step: …`), one per hint (`! lesson/step [state]: …`); exit 0
//! when every watched step is done, 1 at the timeout with what is missing.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::cmd::args::{GlobalArgs, WatchArgs};
use crate::docker::client::Docker;
use crate::lesson::loader::Pack;
use crate::progress::By;
use crate::runner::settings::Settings;
use crate::runner::{RunState, Runner, default_vars, settings_for};
use crate::tr;
use crate::watch::Watcher;
use crate::watch::session::{Line, restore, watch_lesson};

pub async fn watch(global: &GlobalArgs, args: &WatchArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang();
    let settings = settings_for(
        lang,
        Settings {
            base_image: global.base_image.clone(),
            registry: args.registry.clone(),
            image: None,
        },
    )
    .map_err(anyhow::Error::msg)?;
    let pack = std::sync::Arc::new(Pack::load(global.lessons.as_deref())?);
    let Some(lesson) = pack.lessons.iter().find(|l| l.id == args.lesson).cloned() else {
        anyhow::bail!(
            "no lesson `{}`; the pack has: {}",
            crate::watch::printable(&args.lesson),
            pack.lessons
                .iter()
                .map(|l| l.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
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
        // Watched, the learner does the steps that need a yes themselves.
        confirmed: false,
        workspace: crate::paths::workspace_dir(),
        credentials: BTreeMap::new(),
    };
    runner.state.vars = default_vars(&pack, &settings);
    runner.state.vars.extend(progress.all_vars());
    if let Some(registry) = &settings.registry {
        runner.state.vars.insert(
            "registry".into(),
            registry.trim_end_matches('/').to_string(),
        );
    }
    let mut watcher = Watcher::new(runner, lang);
    restore(&mut watcher, &progress);
    let deadline = args
        .timeout
        .map(|seconds| Instant::now() + Duration::from_secs(seconds));
    println!(
        "{}",
        tr!(
            lang,
            "Наблюдаю за уроком {}: выполняйте команды docker в другом терминале (Ctrl-C — выход)",
            "Watching lesson {}: type the docker commands in another terminal (Ctrl-C to stop)",
            lesson.id
        )
    );
    let id = lesson.id.clone();
    let print = |line: Line| {
        match line {
            Line::Done { step, message, by } => {
                let by_note = match by {
                    By::Learner => String::new(),
                    By::Layerlab => tr!(lang, " (сделал layerlab)", " (done by layerlab)"),
                };
                println!(
                    "✔ {id}/{step}: {}{by_note}",
                    crate::watch::printable(&message)
                );
            }
            Line::Hint { step, hint } => {
                let mut text = hint.text.replace('\n', " ");
                if !hint.evidence.is_empty() {
                    text.push_str(" — ");
                    text.push_str(
                        &hint
                            .evidence
                            .iter()
                            .map(|e| e.trim().to_string())
                            .collect::<Vec<_>>()
                            .join("; "),
                    );
                }
                println!(
                    "! {id}/{step} [{}]: {}",
                    hint.name(),
                    crate::watch::printable(&text)
                );
            }
            Line::Trouble(message) => println!("✘ {}", crate::watch::printable(&message)),
        }
        use std::io::Write;
        let _ = std::io::stdout().flush();
    };
    let missing = watch_lesson(&mut watcher, &mut progress, &lesson, deadline, print)
        .await
        .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    if missing.is_empty() {
        println!("{}", tr!(lang, "Урок {id} выполнен", "Lesson {id} is done"));
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}",
        tr!(
            lang,
            "Время вышло; ещё не сделано:",
            "Time is up; still missing:"
        )
    );
    for (step, message) in missing {
        if message.is_empty() {
            println!("✘ {id}/{step}");
        } else {
            println!("✘ {id}/{step}: {}", crate::watch::printable(&message));
        }
    }
    Ok(ExitCode::from(1))
}
