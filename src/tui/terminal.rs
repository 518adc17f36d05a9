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
    // Not `ratatui::restore()`: it reports a failure with `eprintln!`, which
    // panics when the terminal is gone (the window closed, the pty hung up),
    // and that panic ended the process before the lab's containers were
    // removed (issue 11). A terminal that is gone needs no restoring.
    if let Err(e) = ratatui::try_restore() {
        tracing::info!("terminal not restored (gone?): {e}");
    }
}

/// Leave for good: restore, show the cursor, and drop the terminal without
/// its `Drop`, which also `eprintln!`s (and so panics) on a hung-up tty.
pub fn finish(mut terminal: DefaultTerminal) {
    leave();
    if let Err(e) = terminal.show_cursor() {
        tracing::info!("cursor not shown (terminal gone?): {e}");
    }
    std::mem::forget(terminal);
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

/// How much of the editor's stderr is kept for the message (its last lines).
const EDITOR_STDERR_KEEP: usize = 4096;

/// Run the editor on `path`. Its stderr still reaches the terminal as it
/// runs, and its tail is kept: when it fails, the learner is told the
/// editor's own words (`E212: Can't open file for writing`), not a guess.
pub fn run_editor(path: &std::path::Path) -> Result<(), String> {
    run_editor_command(&editor_command(), path)
}

pub fn run_editor_command(command: &str, path: &std::path::Path) -> Result<(), String> {
    // As a shell would split it: `code --wait`, `"/opt/My Editor/ed" -n`.
    let words =
        shell_words::split(command).map_err(|e| format!("$VISUAL/$EDITOR `{command}`: {e}"))?;
    let Some((program, args)) = words.split_first() else {
        return Err(format!("$VISUAL/$EDITOR `{command}`: empty"));
    };
    let mut child = std::process::Command::new(program)
        .args(args)
        .arg(path)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("cannot start the editor `{command}`: {e} (set $VISUAL or $EDITOR)")
        })?;
    let tail = child.stderr.take().map(|mut stderr| {
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            let mut kept: Vec<u8> = Vec::new();
            let mut chunk = [0u8; 1024];
            while let Ok(n) = stderr.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let _ = std::io::stderr().write_all(&chunk[..n]);
                kept.extend_from_slice(&chunk[..n]);
                if kept.len() > EDITOR_STDERR_KEEP {
                    kept.drain(..kept.len() - EDITOR_STDERR_KEEP);
                }
            }
            kept
        })
    });
    let status = child
        .wait()
        .map_err(|e| format!("the editor `{command}`: {e}"))?;
    let said = tail
        .and_then(|t| t.join().ok())
        .map(|bytes| last_words(&String::from_utf8_lossy(&bytes)))
        .unwrap_or_default();
    if status.success() {
        return Ok(());
    }
    let how = match status.code() {
        Some(code) => format!("exited with code {code}"),
        None => "was killed by a signal".to_string(),
    };
    if said.is_empty() {
        Err(format!("the editor `{command}` {how}"))
    } else {
        Err(format!("the editor `{command}` {how}: {said}"))
    }
}

/// The last non-empty lines of what the editor printed (at most three),
/// without escape sequences or other control characters.
pub fn last_words(stderr: &str) -> String {
    let clean: String = strip_escapes(stderr);
    let lines: Vec<&str> = clean
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let start = lines.len().saturating_sub(3);
    let joined = lines[start..].join(" / ");
    joined.chars().take(300).collect()
}

fn strip_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ params final-byte; other escapes: ESC + one char.
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            } else {
                chars.next();
            }
        } else if c == '\n' || !c.is_control() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_editors_own_words_come_back_on_failure() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("a.md");
        let err = run_editor_command(
            "sh -c 'echo \"E212: Cannot open file for writing\" >&2; exit 1' ed",
            &file,
        )
        .expect_err("fails");
        assert!(err.contains("exited with code 1"), "{err}");
        assert!(err.contains("E212: Cannot open file for writing"), "{err}");
        assert!(run_editor_command("true", &file).is_ok());
        let err = run_editor_command("'unclosed", &file).expect_err("bad quoting");
        assert!(err.contains("$VISUAL/$EDITOR"), "{err}");
        let err = run_editor_command("/no/such/editor --wait", &file).expect_err("missing");
        assert!(err.contains("cannot start the editor"), "{err}");
    }

    #[test]
    fn quoted_editor_paths_stay_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let editor = dir.path().join("my editor.sh");
        std::fs::write(&editor, "#!/bin/sh\necho \"$1|$2\" > \"$2\"\n").expect("write");
        let file = dir.path().join("out.md");
        let command = format!("sh '{}' --flag", editor.display());
        run_editor_command(&command, &file).expect("runs");
        let written = std::fs::read_to_string(&file).expect("written");
        assert_eq!(written.trim(), format!("--flag|{}", file.display()));
    }

    #[test]
    fn escapes_are_stripped_from_what_the_editor_said() {
        assert_eq!(
            last_words("\u{1b}[31mfirst\u{1b}[0m\n\nsecond\nthird\nfourth\n"),
            "second / third / fourth"
        );
    }
}
