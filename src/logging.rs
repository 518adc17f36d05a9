//! Logs go to a file in the data dir, never to the terminal: under the TUI a
//! stray line on stderr would garble the screen.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Start logging to `DATA_DIR/logs/layerlab.log`. Returns the guard that
/// flushes on drop; `None` when the log folder can't be made (logging is then
/// off, which must never stop the learner).
pub fn init(level: &str) -> Option<WorkerGuard> {
    let dir = crate::paths::log_dir();
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::never(&dir, "layerlab.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_new(format!("layerlab={level}"))
        .unwrap_or_else(|_| EnvFilter::new("layerlab=info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
