//! The only code in `layers/` that talks to the daemon: `docker save` of one
//! image, streamed straight into the archive reader (nothing touches disk).

use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::i18n::Text;
use crate::layers::LayersError;
use crate::layers::analysis::{Analysis, analyze_archive_for};
use crate::layers::content::{SHOWN_BYTES, Stored, read_stored};

/// Like [`analyze_image`], and marks the layers the image shares with
/// `base` (the lessons' base image) so the explorer can name them.
pub async fn analyze_image_with_base(
    docker: &crate::docker::Docker,
    reference: &str,
    base: Option<&str>,
) -> Result<Analysis, LayersError> {
    let mut analysis = analyze_image(docker, reference).await?;
    if let Some(base) = base.filter(|b| !b.is_empty()) {
        // Only a label: an absent base or a failed inspect leaves layers unnamed.
        if let Ok(Some(info)) = docker.inspect_image(base).await {
            analysis.set_base(base, &info.layers);
        }
    }
    Ok(analysis)
}

/// How long reading one file from an exported image may take in all.
const READ_FILE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// One file of one layer, as stored: exports the image again and reads only
/// that layer's member, keeping at most [`SHOWN_BYTES`] of the file.
pub async fn read_image_file(
    docker: &crate::docker::Docker,
    reference: &str,
    member: &str,
    path: &str,
) -> Result<Stored, LayersError> {
    // Bounded in time like every request: a stalled export ends the stream,
    // and the reader reports a truncated archive instead of waiting on.
    // The daemon's own error, in both languages, over the reader's.
    let daemon_error: Arc<Mutex<Option<Text>>> = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&daemon_error);
    let stream = docker
        .export_image(reference)
        .map(move |chunk| {
            chunk.map_err(|e| {
                if let Ok(mut s) = slot.lock() {
                    s.get_or_insert_with(|| Text::from_fn(|lang| e.render(lang)));
                }
                std::io::Error::other(e.to_string())
            })
        })
        .take_until(Box::pin(tokio::time::sleep(READ_FILE_TIMEOUT)));
    let reader = SyncIoBridge::new(StreamReader::new(stream));
    let (member, path) = (member.to_string(), path.to_string());
    let daemon_message = move || daemon_error.lock().ok().and_then(|s| s.clone());
    tokio::task::spawn_blocking(move || read_stored(reader, &member, &path, SHOWN_BYTES))
        .await
        .map(|read| {
            read.map_err(|e| match daemon_message() {
                Some(message) => LayersError::Daemon {
                    reference: reference.to_string(),
                    message,
                },
                None => e,
            })
        })
        .unwrap_or_else(|join| {
            Err(LayersError::Daemon {
                reference: reference.to_string(),
                message: Text::from_fn(|lang| {
                    crate::tr!(
                        lang,
                        "задача чтения упала: {join}",
                        "the read task failed: {join}"
                    )
                }),
            })
        })
}

/// Exports `reference` from the daemon and analyses it while it streams.
pub async fn analyze_image(
    docker: &crate::docker::Docker,
    reference: &str,
) -> Result<Analysis, LayersError> {
    analyze_image_keeping(docker, reference, None).await
}

/// [`analyze_image`], also reading the file at `keep` (an image path) in the
/// same pass: [`Analysis::kept_file`] (its size and a digest of its bytes).
pub async fn analyze_image_keeping(
    docker: &crate::docker::Docker,
    reference: &str,
    keep: Option<&str>,
) -> Result<Analysis, LayersError> {
    // The reader only sees io::Error; keep the daemon's own error to report
    // it (e.g. "No such image") instead of a bare broken-stream message.
    // Kept in both languages with its fix, as the learner reads it.
    let daemon_error: Arc<Mutex<Option<Text>>> = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&daemon_error);
    let stream = docker.export_image(reference).map(move |chunk| {
        chunk.map_err(|e| {
            if let Ok(mut s) = slot.lock() {
                s.get_or_insert_with(|| Text::from_fn(|lang| e.render(lang)));
            }
            std::io::Error::other(e.to_string())
        })
    });
    let reader = SyncIoBridge::new(StreamReader::new(stream));
    let name = reference.to_string();
    let keep = keep.map(str::to_string);
    let joined = tokio::task::spawn_blocking(move || {
        analyze_archive_for(reader, &name, Some(&name), keep.as_deref())
    })
    .await;
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
            message: Text::from_fn(|lang| {
                crate::tr!(
                    lang,
                    "задача анализа упала: {join}",
                    "the analysis task failed: {join}"
                )
            }),
        }),
    }
}
