//! The terminal's life: enter, draw on events only, suspend for the editor,
//! and always leave it as it was — on quit, Ctrl-C, SIGTERM and panic.

use std::io::IsTerminal;
use std::time::Duration;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc::UnboundedSender;

use crate::tui::app::{App, Effect};
use crate::tui::event::{self, Event, EventReceiver, EventSender};
use crate::tui::worker::WorkerRequest;

/// Frame interval while something animates (a spinner, a progress bar).
const TICK: Duration = Duration::from_millis(100);

static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Remember when the process started, for the first-frame measurement
/// (`LAYERLAB_FIRST_FRAME_FILE`). `main` calls it first thing.
pub fn mark_start() {
    let _ = STARTED.set(std::time::Instant::now());
}

/// Hooks for the resilience tests and `scripts/measure-tui.sh` only; both
/// are read once, cost nothing when unset and are not part of the product:
/// - `LAYERLAB_TEST_PANIC=1`: panic right after the alternate screen is
///   entered, to prove the panic hook gives the terminal back.
/// - `LAYERLAB_FIRST_FRAME_FILE=PATH`: write the milliseconds from process
///   start to the first frame (e.g. `12.345`) to PATH.
mod test_hooks {
    pub fn panic_if_asked() {
        if std::env::var_os("LAYERLAB_TEST_PANIC").is_some_and(|v| v == "1") {
            panic!("LAYERLAB_TEST_PANIC=1: deliberate panic to test terminal restoration");
        }
    }

    pub fn first_frame_drawn() {
        let Some(path) = std::env::var_os("LAYERLAB_FIRST_FRAME_FILE") else {
            return;
        };
        let Some(started) = super::STARTED.get() else {
            return;
        };
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        if let Err(e) = std::fs::write(&path, format!("{ms:.3}\n")) {
            tracing::warn!("cannot write LAYERLAB_FIRST_FRAME_FILE: {e}");
        }
    }
}

/// Refuse to draw on something that is not a terminal: escape codes in a pipe
/// or a log are garbage to whoever reads it.
pub fn require_terminal() -> anyhow::Result<()> {
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        return Ok(());
    }
    anyhow::bail!(
        "the lesson UI needs a terminal, and stdout or stdin is not one.\n\
         Without a terminal use: layerlab lessons | layerlab run LESSON | layerlab layers IMAGE --json | layerlab check"
    )
}

/// Enter the alternate screen with mouse capture, and make sure a panic
/// leaves the terminal usable before the message is printed.
pub fn enter() -> std::io::Result<DefaultTerminal> {
    let terminal = ratatui::try_init()?;
    // ratatui's hook restores raw mode and the screen; mouse capture is ours to undo.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(std::io::stdout(), DisableMouseCapture);
        previous(info);
    }));
    execute!(std::io::stdout(), EnableMouseCapture)?;
    Ok(terminal)
}

pub fn leave() {
    let _ = execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
}

/// Everything the loop needs besides the app: where events come from and
/// where worker requests go.
pub struct Channels {
    pub events_tx: EventSender,
    pub events: EventReceiver,
    pub worker: UnboundedSender<WorkerRequest>,
}

/// Draw, wait for an event, update, repeat. Nothing is drawn without an
/// event; ticks come only while the app says it is busy.
pub async fn run(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    mut channels: Channels,
) -> anyhow::Result<()> {
    let mut reader = event::spawn_terminal_reader(channels.events_tx.clone());
    let _signals = event::spawn_signal_reader(channels.events_tx.clone())?;
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    test_hooks::panic_if_asked();
    let size = terminal.size()?;
    app.frame = ratatui::layout::Rect::new(0, 0, size.width, size.height);
    terminal.draw(|frame| frame.render_widget(&*app, frame.area()))?;
    test_hooks::first_frame_drawn();
    // Counted so "no redraw without an event" can be checked in the trace log.
    let mut frames: u64 = 1;
    loop {
        let event = if app.is_busy() {
            tokio::select! {
                event = channels.events.recv() => event,
                _ = ticker.tick() => Some(Event::Tick),
            }
        } else {
            channels.events.recv().await
        };
        let Some(event) = event else { break };
        let cause = event_name(&event);
        for effect in app.update(event) {
            match effect {
                Effect::Quit => return Ok(()),
                Effect::Worker(request) => {
                    let _ = channels.worker.send(request);
                }
                Effect::Edit(path) => {
                    // The editor owns the terminal meanwhile: stop reading keys
                    // so none are stolen from it, then take the screen back.
                    reader.abort();
                    leave();
                    let result = run_editor(&path);
                    *terminal = enter()?;
                    // Not `terminal.clear()`: it asks the terminal for the
                    // cursor position, and the answer can be read by the
                    // event stream being torn down, so under load the query
                    // timed out after 2 s and layerlab quit ("The cursor
                    // position could not be read"). The fresh terminal's
                    // buffers are empty: the next draw paints everything.
                    execute!(
                        std::io::stdout(),
                        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
                    )?;
                    reader = event::spawn_terminal_reader(channels.events_tx.clone());
                    app.editor_finished(&path, result);
                }
            }
        }
        terminal.draw(|frame| frame.render_widget(&*app, frame.area()))?;
        frames += 1;
        tracing::trace!(frames, cause, "frame drawn");
    }
    Ok(())
}

fn event_name(event: &Event) -> &'static str {
    match event {
        Event::Terminal(_) => "terminal",
        Event::Tick => "tick",
        Event::Worker(_) => "worker",
        Event::Terminate => "terminate",
    }
}

/// `$VISUAL`, then `$EDITOR`, then `vi`, as most Unix tools choose.
pub fn editor_command() -> String {
    std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".to_string())
}

pub fn run_editor(path: &std::path::Path) -> Result<(), String> {
    let command = editor_command();
    let mut parts = command.split_whitespace();
    let program = parts.next().unwrap_or("vi");
    match std::process::Command::new(program)
        .args(parts)
        .arg(path)
        .status()
    {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("{command} exited with {status}")),
        Err(e) => Err(format!(
            "cannot start the editor `{command}`: {e} (set $VISUAL or $EDITOR)"
        )),
    }
}
