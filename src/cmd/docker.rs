//! `layerlab doctor`, `clean` and `load`: plain terminal commands (no TUI),
//! so printing here is fine. Errors are printed in the chosen language with
//! their fix, and the exit code says whether it worked.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::cmd::args::GlobalArgs;
use crate::docker::doctor;
use crate::docker::error::DockerError;
use crate::docker::model::Progress;
use crate::docker::{DEFAULT_BASE_IMAGE, Docker};
use crate::i18n::Lang;

fn base_image(global: &GlobalArgs) -> String {
    global
        .base_image
        .clone()
        .unwrap_or_else(|| DEFAULT_BASE_IMAGE.to_string())
}

fn fail(e: &DockerError, lang: Lang) -> ExitCode {
    tracing::error!("{e}");
    eprintln!("layerlab: {}", e.render(lang));
    ExitCode::FAILURE
}

pub async fn doctor(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang();
    let report = doctor::doctor_report(&base_image(global)).await;
    print!("{}", report.render(lang));
    let _ = std::io::stdout().flush();
    for line in &report.lines {
        tracing::info!(status = ?line.ok, label = %line.label.get(lang), detail = %line.detail.get(lang), "doctor");
    }
    Ok(if report.daemon_usable {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub async fn clean(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang();
    let docker = match Docker::connect_default().await {
        Ok(d) => d,
        Err(e) => return Ok(fail(&e, lang)),
    };
    let report = match docker.clean_managed(&[]).await {
        Ok(r) => r,
        Err(e) => return Ok(fail(&e, lang)),
    };
    let (container_word, image_word, nothing, kept_word) = match lang {
        Lang::En => (
            "removed container",
            "removed image",
            "nothing to remove: no containers or images labelled layerlab.managed=true",
            "kept",
        ),
        Lang::Ru => (
            "удалён контейнер",
            "удалён образ",
            "удалять нечего: нет контейнеров и образов с меткой layerlab.managed=true",
            "оставлен",
        ),
    };
    for (id, name) in &report.containers {
        println!("{container_word} {id} {name}");
        tracing::info!("clean: removed container {id} {name}");
    }
    for (id, tags) in &report.images {
        let tags = if tags.is_empty() {
            "<none>".to_string()
        } else {
            tags.join(", ")
        };
        println!("{image_word} {id} {tags}");
        tracing::info!("clean: removed image {id} {tags}");
    }
    for (what, why) in &report.kept {
        eprintln!("{kept_word} {what}: {why}");
    }
    if report.containers.is_empty() && report.images.is_empty() && report.kept.is_empty() {
        println!("{nothing}");
    }
    Ok(if report.kept.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub async fn load(global: &GlobalArgs, archive: &Path) -> anyhow::Result<ExitCode> {
    let lang = global.lang();
    // Check the file before the daemon: the learner's typo is the likelier fault.
    if let Err(e) = std::fs::metadata(archive) {
        return Ok(fail(
            &DockerError::Archive {
                path: archive.to_path_buf(),
                message: e.to_string(),
            },
            lang,
        ));
    }
    let docker = match Docker::connect_default().await {
        Ok(d) => d,
        Err(e) => return Ok(fail(&e, lang)),
    };
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    let (tx, mut rx) = mpsc::unbounded_channel::<Progress>();
    let printer = tokio::spawn(async move {
        let mut last_percent = None;
        while let Some(p) = rx.recv().await {
            match p {
                Progress::Layer {
                    id,
                    current: Some(current),
                    total: Some(total),
                    status,
                } if status == "Sending" && total > 0 => {
                    let percent = current * 100 / total;
                    // Every 10 %: enough to see it move, not a flood in a log.
                    if last_percent.is_none_or(|last| percent >= last + 10 || percent == 100)
                        && last_percent != Some(percent)
                    {
                        last_percent = Some(percent);
                        eprintln!(
                            "{id}: {percent}% ({} / {})",
                            crate::i18n::size(lang, current),
                            crate::i18n::size(lang, total)
                        );
                    }
                }
                Progress::Layer {
                    id,
                    status,
                    current: None,
                    ..
                } if !id.is_empty() => {
                    eprintln!("{id}: {status}");
                }
                Progress::Status(text) => eprintln!("{text}"),
                _ => {}
            }
        }
    });
    let result = docker.load_image(archive, &tx, &cancel).await;
    drop(tx);
    let _ = printer.await;
    ctrl_c.abort();
    match result {
        Ok(refs) => {
            let head = match lang {
                Lang::En => "loaded:",
                Lang::Ru => "загружено:",
            };
            println!("{head}");
            for r in refs {
                tracing::info!("load: {r}");
                println!("  {r}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(fail(&e, lang)),
    }
}
