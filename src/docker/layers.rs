//! The only code in `layers/` that talks to the daemon: `docker save` of one
//! image, streamed straight into the archive reader (nothing touches disk).

use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::layers::LayersError;
use crate::layers::analysis::{Analysis, analyze_archive_for};

/// Exports `reference` from the daemon and analyses it while it streams.
pub async fn analyze_image(
    docker: &crate::docker::Docker,
    reference: &str,
) -> Result<Analysis, LayersError> {
    // The reader only sees io::Error; keep the daemon's own error to report
    // it (e.g. "No such image") instead of a bare broken-stream message.
    let daemon_error: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&daemon_error);
    let stream = docker.export_image(reference).map(move |chunk| {
        chunk.map_err(|e| {
            let message = e.to_string();
            if let Ok(mut s) = slot.lock() {
                s.get_or_insert(message.clone());
            }
            std::io::Error::other(message)
        })
    });
    let reader = SyncIoBridge::new(StreamReader::new(stream));
    let name = reference.to_string();
    let joined =
        tokio::task::spawn_blocking(move || analyze_archive_for(reader, &name, Some(&name))).await;
    let daemon_message = || daemon_error.lock().ok().and_then(|s| s.clone());
    match joined {
        Ok(Ok(mut analysis)) => {
            analysis.set_reference(reference);
            // One image id everywhere: the daemon's (what `docker images`
            // and the lab show), the config digest kept as a detail.
            if let Ok(Some(info)) = docker.inspect_image(reference).await {
                analysis.set_daemon_id(&info.id);
            }
            Ok(analysis)
        }
        Ok(Err(e)) => Err(match daemon_message() {
            Some(message) => LayersError::Daemon {
                reference: reference.to_string(),
                message,
            },
            None => e,
        }),
        Err(join) => Err(LayersError::Daemon {
            reference: reference.to_string(),
            message: format!("the analysis task failed: {join}"),
        }),
    }
}
