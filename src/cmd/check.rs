//! `layerlab check`: grade the homework on this machine.

use std::process::ExitCode;

use crate::cmd::args::{CheckArgs, GlobalArgs};
use crate::docker::client::Docker;
use crate::handin::grader::*;
use crate::lesson::loader::Pack;
use crate::t;

/// `layerlab check`.
pub async fn check(global: &GlobalArgs, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang();
    let pack = Pack::load(global.lessons.as_deref())?;
    let progress = crate::progress::Progress::open_default()?;
    let pushed = args
        .pushed
        .clone()
        .or_else(|| progress.progress.var("pushed").map(str::to_string));
    let request = Request {
        image: args.image.clone().unwrap_or_else(|| default_image(&pack)),
        pushed,
        accept_base: args.accept_base.clone(),
        max_layers: max_layers(&pack),
    };
    let docker = Docker::connect_default()
        .await
        .map_err(|e| anyhow::anyhow!(e.render(lang)))?;
    let mut started = Vec::new();
    let facts = tokio::select! {
        facts = gather(&docker, &request, lang, &mut started) => Some(facts),
        _ = tokio::signal::ctrl_c() => None,
    };
    let cleanup_failures = remove_started(&docker, &started).await;
    for failure in &cleanup_failures {
        tracing::warn!("check: could not remove container {failure}");
    }
    let Some(facts) = facts else {
        anyhow::bail!("interrupted; the grader's container was removed");
    };
    let criteria = evaluate(&facts, lang);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json_report(&facts, &criteria, lang))?
        );
    } else {
        for criterion in &criteria {
            println!("{}", crate::sanitize::clean_text(&criterion.line(lang)));
        }
        let failed = criteria.iter().filter(|c| c.status == Status::Fail).count();
        println!(
            "{}",
            if failed == 0 {
                t!("Задание выполнено.", "The homework passes.")
                    .get(lang)
                    .to_string()
            } else {
                format!(
                    "{} {failed}",
                    t!("Не выполнено критериев:", "Criteria not met:").get(lang)
                )
            }
        );
    }
    for failure in cleanup_failures {
        eprintln!(
            "layerlab: could not remove the grader's container {}",
            crate::sanitize::clean_text(&failure)
        );
    }
    Ok(if all_passed(&criteria) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
