//! Starting the TUI: load the pack and progress, start the worker, hand the
//! terminal to the event loop, and tidy up after it.

use std::process::ExitCode;
use std::sync::Arc;

use crate::i18n::Lang;
use crate::tui::app::{App, Effect, Screen};
use crate::tui::screens::explorer::ExplorerScreen;
use crate::tui::worker::WorkerRequest;

/// What the command line decided, as plain values.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub lang: Lang,
    /// `--lessons DIR`; the embedded pack when `None`.
    pub lessons: Option<std::path::PathBuf>,
    /// `--base-image REF`.
    pub base_image: Option<String>,
}

/// Everything the TUI needs before the first frame; nothing here waits on
/// Docker (the worker connects in the background).
pub(crate) fn prepare(options: &Options) -> anyhow::Result<(App, crate::tui::worker::WorkerSetup)> {
    let lang = options.lang;
    let pack = Arc::new(crate::lesson::loader::Pack::load(
        options.lessons.as_deref(),
    )?);
    let opened = crate::progress::Progress::open_default()?;
    let notice = opened.notice();
    let settings = crate::runner::settings_for(
        lang,
        crate::runner::settings::Settings {
            base_image: options.base_image.clone(),
            ..Default::default()
        },
    )
    .map_err(anyhow::Error::msg)?;
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
    app.pack = Some(pack.clone());
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
    crate::tui::terminal::leave();
    // The lab's containers are removed before the process ends, also on
    // Ctrl-C and SIGTERM (both arrive here as a normal quit).
    let _ = worker.send(WorkerRequest::Shutdown);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(15), worker_task).await;
    result?;
    Ok(ExitCode::SUCCESS)
}

pub async fn run_tui(options: &Options) -> anyhow::Result<ExitCode> {
    crate::tui::terminal::require_terminal()?;
    let (mut app, setup) = prepare(options)?;
    // Where the learner left off: that lesson, at that step.
    let place = app.progress.last_place().and_then(|(lesson, step)| {
        let index = app.lessons.iter().position(|l| l.id == lesson)?;
        let step = step.and_then(|id| app.lessons[index].steps.iter().position(|s| s.id == id));
        Some((index, step))
    });
    if let Some((lesson, step)) = place {
        app.open_lesson_at(lesson, step);
    }
    run_app(app, setup, Vec::new()).await
}

/// `layerlab open LESSON[/STEP]`: the lessons, opened at that step.
pub async fn run_at(
    options: &Options,
    lesson: usize,
    step: Option<usize>,
) -> anyhow::Result<ExitCode> {
    crate::tui::terminal::require_terminal()?;
    let (mut app, setup) = prepare(options)?;
    let first = app.open_lesson_at(lesson, step);
    run_app(app, setup, first).await
}

/// `layerlab layers IMAGE` (or `--archive FILE`) in a terminal: the explorer alone.
pub async fn run_explorer(
    options: &Options,
    archive: Option<std::path::PathBuf>,
    image: Option<String>,
) -> anyhow::Result<ExitCode> {
    crate::tui::terminal::require_terminal()?;
    let (mut app, setup) = prepare(options)?;
    app.single_screen = true;
    let first = match (&archive, &image) {
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

pub async fn run_lab(options: &Options, image: Option<String>) -> anyhow::Result<ExitCode> {
    crate::tui::terminal::require_terminal()?;
    let (mut app, setup) = prepare(options)?;
    let image = image.unwrap_or_else(|| app.image.clone());
    app.single_screen = true;
    let first = app.open_lab(image);
    run_app(app, setup, first).await
}
