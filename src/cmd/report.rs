//! `layerlab report`: the homework README with figures measured now.

use std::path::Path;
use std::process::ExitCode;

use crate::cmd::args::GlobalArgs;
use crate::docker::client::Docker;
use crate::handin::grader;
use crate::handin::report::*;
use crate::lesson::loader::Pack;
use crate::progress::Progress;
use crate::t;

/// `layerlab report`.
pub async fn report(
    global: &GlobalArgs,
    out: Option<&Path>,
    image: Option<String>,
    pushed: Option<String>,
) -> anyhow::Result<ExitCode> {
    let lang = global.lang();
    let pack = Pack::load(global.lessons.as_deref())?;
    let progress = Progress::open_default()?.progress;
    let image = image.unwrap_or_else(|| grader::default_image(&pack));
    let pushed = pushed.or_else(|| progress.var("pushed").map(str::to_string));
    let docker = Docker::connect_default()
        .await
        .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    let (info, pushed, engine) = gather_figures(&docker, &image, pushed.as_deref(), lang).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let serving = serving_container(&docker, &info.id).await;
    let facts = ReportFacts {
        image,
        serving,
        image_id: info.id,
        size: info.size,
        layers: info.layers.len(),
        base_image: global
            .base_image
            .clone()
            .or_else(|| pack.manifest.defaults.base_image.clone())
            .unwrap_or_else(|| crate::docker::DEFAULT_BASE_IMAGE.to_string()),
        engine,
        measured_at: utc_minutes(now),
        pushed,
        dockerfile: dockerfile(&pack, &crate::paths::workspace_dir()),
        answers: answers(&pack, &progress, lang),
        quiz: quiz_total(&pack, &progress),
    };
    let text = render(&facts, lang);
    match out {
        Some(path) => {
            crate::paths::write_atomically(path, text.as_bytes())
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            eprintln!(
                "{} {}",
                t!("Отчёт записан:", "Report written:").get(lang),
                path.display()
            );
        }
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(crate::sanitize::clean_text(&text).as_bytes()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
