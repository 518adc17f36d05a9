//! The one event channel. Terminal input, signals, the daemon's state and the
//! results of background work all arrive here as `Event`s; only `App::update`
//! acts on them.

use tokio::sync::mpsc;

use crate::tui::messages::WorkerEvent;

#[derive(Debug)]
pub enum Event {
    Terminal(crossterm::event::Event),
    /// Animation frame; sent only while something is running (idle is idle).
    Tick,
    /// From the Docker worker: connection state, job progress, job results.
    Worker(WorkerEvent),
    /// SIGTERM, SIGHUP or SIGINT from outside: leave cleanly.
    Terminate,
}

pub type EventSender = mpsc::UnboundedSender<Event>;
pub type EventReceiver = mpsc::UnboundedReceiver<Event>;

pub fn channel() -> (EventSender, EventReceiver) {
    mpsc::unbounded_channel()
}

/// Forward terminal input into the channel until the receiver goes away.
pub fn spawn_terminal_reader(tx: EventSender) -> tokio::task::JoinHandle<()> {
    use futures_util::StreamExt;
    tokio::spawn(async move {
        let mut events = crossterm::event::EventStream::new();
        while let Some(Ok(event)) = events.next().await {
            if tx.send(Event::Terminal(event)).is_err() {
                break;
            }
        }
    })
}

/// Turn SIGTERM/SIGHUP/SIGINT into `Event::Terminate` so the terminal is
/// restored and the lab's containers removed before exiting.
pub fn spawn_signal_reader(tx: EventSender) -> std::io::Result<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = hup.recv() => {}
            _ = int.recv() => {}
        }
        let _ = tx.send(Event::Terminate);
    }))
}
