//! `layerlab report`: the homework README with figures measured now, and
//! the evidence block `layerlab verify` checks.

use std::process::ExitCode;

use crate::cmd::args::{GlobalArgs, ReportArgs};
use crate::docker::client::Docker;
use crate::handin::grader::STANDIN_ID;
use crate::handin::report::*;
use crate::lesson::loader::Pack;
use crate::progress::Progress;
use crate::progress::utc_minutes;
use crate::t;

/// `layerlab report`.
pub async fn report(global: &GlobalArgs, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang();
    let pack = Pack::load(global.lessons.as_deref())?;
    let progress = Progress::open_default()?.progress;
    let request = crate::cmd::check::request(
        &pack,
        &progress,
        args.image.as_deref(),
        args.pushed.clone(),
        args.accept_base.clone(),
        lang,
    )?;
    let docker = Docker::connect_default()
        .await
        .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    let engine = docker
        .engine_info()
        .await
        .map(|info| info.engine_version)
        .unwrap_or_else(|_| "?".to_string());
    let graded = crate::cmd::check::grade(&docker, &request, &progress, lang).await?;
    let Ok(Some(image)) = graded.facts.found.clone() else {
        // Nothing to report on: the grader's reason says why and what to do.
        for criterion in &graded.criteria {
            eprintln!("{}", criterion.line(lang));
        }
        anyhow::bail!(
            "{}",
            t!(
                "отчёт не составлен: нет образа",
                "no report written: there is no image"
            )
            .get(lang)
        );
    };
    let (layers, layers_error) = match layer_rows(&docker, &image.id).await {
        Ok(rows) => (rows, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    let pushed = match &request.pushed {
        None => None,
        Some(reference) => {
            let client = crate::registry::RegistryClient::new(
                crate::registry::ClientOptions::from_process(),
            );
            Some(PushedFigures {
                reference: reference.clone(),
                registry: registry_image(&client, reference, lang).await,
                local: is_local_registry(&registry_host(reference)),
            })
        }
    };
    let os = graded
        .facts
        .os_release
        .as_ref()
        .and_then(|o| o.as_ref().ok())
        .cloned();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let facts = ReportFacts {
        image: request.image.clone(),
        image_id: image.id.clone(),
        size: image.size,
        layers,
        diff_ids: image.layers.clone(),
        layers_error,
        // The base the image was really built FROM: the one named on the
        // command line, the accepted stand-in, what the lessons used.
        base_image: global
            .base_image
            .clone()
            .or_else(|| args.accept_base.clone())
            .or_else(|| progress.var("base_image").map(str::to_string))
            .or_else(|| pack.manifest.defaults.base_image.clone())
            .unwrap_or_else(|| crate::docker::DEFAULT_BASE_IMAGE.to_string()),
        base_os: os.as_ref().map(|o| match &o.pretty_name {
            Some(name) => format!("{name}, ID={}", o.id),
            None => format!("ID={}", o.id),
        }),
        standin: os.as_ref().is_some_and(|o| o.id == STANDIN_ID),
        engine,
        measured_at: utc_minutes(now),
        written_at: rfc3339(now),
        criteria: graded.criteria.clone(),
        verdict: graded.verdict,
        finish: graded.finish.clone(),
        page: graded
            .facts
            .page
            .as_ref()
            .and_then(|p| p.as_ref().ok())
            .map(|p| page_figures(p.status, &p.body)),
        pushed,
        serving: serving_container(&docker, &image.id).await,
        dockerfile: dockerfile(&pack, &crate::paths::workspace_dir()),
        answers: answers(&pack, &progress, lang),
        quiz: quiz_total(&pack, &progress),
        steps: step_rows(&pack, &progress, lang),
    };
    let text = render(&facts, lang);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| crate::paths::workspace_dir().join("README.md"));
    if out.as_os_str() == "-" {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        match stdout.write_all(crate::sanitize::clean_text(&text).as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other?,
        }
    } else {
        crate::paths::write_atomically(&out, text.as_bytes())
            .map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
        eprintln!(
            "{} {} ({}: {})",
            t!("Отчёт записан:", "Report written:").get(lang),
            out.display(),
            t!("вердикт", "verdict").get(lang),
            crate::handin::report::overall(graded.verdict, &facts.answers).label(lang)
        );
    }
    Ok(ExitCode::SUCCESS)
}
