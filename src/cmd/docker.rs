//! `layerlab doctor`, `clean` and `load`: plain terminal commands (no TUI),
//! so printing here is fine. Errors are printed in the chosen language with
//! their fix, and the exit code says whether it worked.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::cmd::args::{CleanArgs, GlobalArgs};
use crate::docker::doctor;
use crate::docker::error::DockerError;
use crate::docker::model::Progress;
use crate::docker::{CleanOptions, DEFAULT_BASE_IMAGE, Docker, KeptReason};
use crate::i18n::Lang;

fn base_image(global: &GlobalArgs) -> String {
    global
        .base_image
        .clone()
        .unwrap_or_else(|| DEFAULT_BASE_IMAGE.to_string())
}

fn fail(e: &DockerError, lang: Lang) -> ExitCode {
    tracing::error!("{e}");
    eprintln!("layerlab: {}", crate::sanitize::clean_text(&e.render(lang)));
    ExitCode::FAILURE
}

pub async fn doctor(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang();
    let report = doctor::doctor_report(&base_image(global)).await;
    print!("{}", crate::sanitize::clean_text(&report.render(lang)));
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

pub async fn clean(global: &GlobalArgs, args: &CleanArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang();
    let docker = match Docker::connect_default().await {
        Ok(d) => d,
        Err(e) => return Ok(fail(&e, lang)),
    };
    let options = CleanOptions {
        all: args.all,
        dry_run: args.dry_run,
        base_refs: vec![base_image(global)],
        ..Default::default()
    };
    let report = match docker.clean_owned(&options).await {
        Ok(r) => r,
        Err(e) => return Ok(fail(&e, lang)),
    };
    let clean = crate::sanitize::clean;
    let (container_word, image_word, untag_word) = match (lang, report.dry_run) {
        (Lang::En, false) => ("removed container", "removed image", "removed tag"),
        (Lang::En, true) => (
            "would remove container",
            "would remove image",
            "would remove tag",
        ),
        (Lang::Ru, false) => ("удалён контейнер", "удалён образ", "удалён тег"),
        (Lang::Ru, true) => (
            "будет удалён контейнер",
            "будет удалён образ",
            "будет удалён тег",
        ),
    };
    for (id, name) in &report.containers {
        println!("{container_word} {id} {}", clean(name));
        tracing::info!("clean: {container_word} {id} {name}");
    }
    for (id, tags) in &report.images {
        let tags = if tags.is_empty() {
            "<none>".to_string()
        } else {
            tags.join(", ")
        };
        println!("{image_word} {id} {}", clean(&tags));
        tracing::info!("clean: {image_word} {id} {tags}");
    }
    for tag in &report.untagged {
        println!("{untag_word} {}", clean(tag));
    }
    let kept_word = match lang {
        Lang::En => "kept",
        Lang::Ru => "оставлен",
    };
    for (what, why) in &report.kept {
        println!("{kept_word} {}: {}", clean(what), clean(&why.render(lang)));
    }
    if report.containers.is_empty()
        && report.images.is_empty()
        && report.untagged.is_empty()
        && report.kept.is_empty()
    {
        println!(
            "{}",
            crate::tr!(
                lang,
                "удалять нечего: layerlab ничего не создал (или всё уже удалено)",
                "nothing to remove: layerlab created nothing (or it is all gone already)"
            )
        );
    }
    // Kept because the daemon refused is a failure; kept because it is the
    // learner's or a base is what clean is for.
    let refused = report
        .kept
        .iter()
        .any(|(_, why)| matches!(why, KeptReason::Refused(_)));
    Ok(if refused {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
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
                            "{}: {percent}% ({} / {})",
                            crate::sanitize::clean(&id),
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
                    eprintln!(
                        "{}: {}",
                        crate::sanitize::clean(&id),
                        crate::sanitize::clean(&status)
                    );
                }
                Progress::Status(text) => eprintln!("{}", crate::sanitize::clean(&text)),
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
                println!("  {}", crate::sanitize::clean(&r));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(fail(&e, lang)),
    }
}
