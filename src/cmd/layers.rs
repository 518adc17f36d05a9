use std::fs::File;
use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use crate::cmd::args::{GlobalArgs, LayersArgs};
use crate::t;

use crate::layers::report::{check_rules, named_table};
use crate::layers::{Analysis, analyze_archive};

pub async fn layers(global: &GlobalArgs, args: &LayersArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang();
    if let Some(min) = args.min_efficiency
        && !(0.0..=1.0).contains(&min)
    {
        anyhow::bail!(
            "{} {min}",
            t!(
                "--min-efficiency должен быть от 0 до 1, а задан",
                "--min-efficiency must be between 0 and 1, got"
            )
            .get(lang)
        );
    }
    // Analysis errors are rendered here, in the learner's language: handed to
    // anyhow as they are, they would print their English `Display`.
    let analysis = match (&args.archive, &args.image) {
        (Some(path), _) => {
            let file = File::open(path).with_context(|| {
                format!(
                    "{} {}",
                    t!("не удаётся открыть архив", "cannot open the archive").get(lang),
                    path.display()
                )
            })?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string());
            let path_shown = path.display().to_string();
            let pick = args.pick.clone();
            tokio::task::spawn_blocking(move || match pick {
                Some(reference) => {
                    crate::layers::analysis::analyze_archive_image(file, &name, &reference)
                }
                None => analyze_archive(file, &name),
            })
            .await
            .context(
                t!(
                    "задача анализа завершилась сбоем",
                    "the analysis task failed"
                )
                .get(lang),
            )?
            .map_err(|e| {
                anyhow::anyhow!(
                    "{} {path_shown}: {}",
                    t!("не удаётся проанализировать", "cannot analyse").get(lang),
                    e.message(lang)
                )
            })?
        }
        (None, Some(image)) => {
            let docker = connect_for_layers(lang).await?;
            crate::docker::layers::analyze_image_with_base(
                &docker,
                image,
                global.base_image.as_deref(),
            )
            .await
            .map_err(|e| anyhow::anyhow!(e.message(lang)))?
        }
        (None, None) => anyhow::bail!(
            "{}",
            t!(
                "укажите образ или --archive ФАЙЛ",
                "give an image or --archive FILE"
            )
            .get(lang)
        ),
    };
    // On stderr: stdout stays the report (pure JSON with --json).
    for note in analysis.notes() {
        eprintln!("layerlab: {}", crate::sanitize::clean(note.get(lang)));
    }
    print_outcome(&analysis, global, args)
}

fn print_outcome(
    analysis: &Analysis,
    global: &GlobalArgs,
    args: &LayersArgs,
) -> anyhow::Result<ExitCode> {
    let report = analysis.report();
    let mut stdout = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, report)?;
        writeln!(stdout)?;
    }
    if !args.ci {
        if !args.json {
            // Piped (no terminal): the table, each layer named as the
            // explorer names it.
            let lang = global.lang();
            let names: Vec<String> =
                crate::layers::names::names_of(analysis, &crate::layers::names::workspace_hints())
                    .iter()
                    .map(|n| n.label(lang))
                    .collect();
            write!(
                stdout,
                "{}",
                crate::sanitize::clean_text(&named_table(report, &names, lang))
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let outcomes = check_rules(
        report,
        args.max_wasted_bytes,
        args.min_efficiency,
        global.lang(),
    );
    // with --json, stdout stays pure JSON for `jq`; the verdicts go to stderr
    let mut sink: Box<dyn Write> = if args.json {
        Box::new(std::io::stderr().lock())
    } else {
        Box::new(stdout)
    };
    for o in &outcomes {
        writeln!(sink, "{}", crate::sanitize::clean(&o.line))?;
    }
    Ok(if outcomes.iter().all(|o| o.passed) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The daemon, found the way the Docker CLI finds it; the error names the
/// endpoint and the fix, and points at `--archive` which needs no daemon.
async fn connect_for_layers(lang: crate::i18n::Lang) -> anyhow::Result<crate::docker::Docker> {
    crate::docker::Docker::connect_default().await.map_err(|e| {
        anyhow::anyhow!(
            "{}\n{}",
            e.render(lang),
            t!(
                "Без демона: проанализируйте архив `docker save` с помощью --archive ФАЙЛ",
                "Without a daemon: analyse a `docker save` tarball with --archive FILE"
            )
            .get(lang)
        )
    })
}
