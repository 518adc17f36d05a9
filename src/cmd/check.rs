//! `layerlab check`: grade the homework on this machine.

use std::process::ExitCode;

use crate::cmd::args::{CheckArgs, GlobalArgs};
use crate::docker::client::Docker;
use crate::handin::grader::*;
use crate::i18n::Lang;
use crate::lesson::loader::Pack;

/// Everything a grading needs, from the arguments and the learner's progress.
pub struct Graded {
    pub facts: Facts,
    pub criteria: Vec<Criterion>,
    pub verdict: Verdict,
    /// The one command that would finish a homework that is not done yet.
    pub finish: Option<String>,
}

/// The request `check` and `report` grade with.
pub fn request(
    pack: &Pack,
    progress: &crate::progress::Progress,
    image: Option<&str>,
    pushed: Option<String>,
    accept_base: Option<String>,
    lang: crate::i18n::Lang,
) -> anyhow::Result<Request> {
    let has_progress = crate::paths::progress_file().exists();
    let image = graded_image(
        image,
        Some(progress),
        has_progress,
        &default_image(pack),
        lang,
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    Ok(Request {
        image,
        pushed: pushed.or_else(|| {
            progress
                .var(crate::progress::PUSHED_VAR)
                .map(str::to_string)
        }),
        accept_base,
        max_layers: max_layers(pack),
        template_page: pack
            .read_asset(TEMPLATE_PAGE_ASSET)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned()),
    })
}

/// Grade with the daemon; the grader's container is removed even on Ctrl-C.
pub async fn grade(
    docker: &Docker,
    request: &Request,
    progress: &crate::progress::Progress,
    lang: crate::i18n::Lang,
) -> anyhow::Result<Graded> {
    let mut started = Vec::new();
    let facts = tokio::select! {
        facts = gather(docker, request, lang, &mut started) => Some(facts),
        _ = tokio::signal::ctrl_c() => None,
    };
    let cleanup_failures = remove_started(docker, &started).await;
    for failure in &cleanup_failures {
        tracing::warn!("check: could not remove container {failure}");
        eprintln!(
            "layerlab: could not remove the grader's container {}",
            crate::sanitize::clean_text(failure)
        );
    }
    let Some(facts) = facts else {
        anyhow::bail!("interrupted; the grader's container was removed");
    };
    let criteria = evaluate(&facts, lang);
    let verdict = Verdict::of(&criteria);
    let finish =
        (verdict == Verdict::NotDoneYet).then(|| finishing_command(progress.var("registry")));
    Ok(Graded {
        facts,
        criteria,
        verdict,
        finish,
    })
}

/// The closing line: the verdict and, when not done yet, what finishes it.
pub fn verdict_line(graded: &Graded, lang: crate::i18n::Lang) -> String {
    let failed = graded
        .criteria
        .iter()
        .filter(|c| c.status == Status::Fail)
        .count();
    match graded.verdict {
        Verdict::Passed => crate::tr!(lang, "Задание выполнено.", "The homework passes."),
        Verdict::NotDoneYet => crate::tr!(
            lang,
            "Ещё не завершено: образ не опубликован. Осталось одно: {command}",
            "Not done yet: the image is not pushed. One command finishes it: {command}",
            command = graded.finish.as_deref().unwrap_or_default()
        ),
        Verdict::Failed => crate::tr!(
            lang,
            "Не выполнено критериев: {failed}",
            "Criteria not met: {failed}"
        ),
    }
}

/// `layerlab check`.
pub async fn check(global: &GlobalArgs, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let lang = global.lang();
    let pack = Pack::load(global.lessons.as_deref())?;
    let progress = crate::progress::Progress::open_default()?.progress;
    let request = request(
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
    let graded = grade(&docker, &request, &progress, lang).await?;
    // The answers are the learner's: with no progress here (`check --image`
    // on an image alone, as scripts do) there are none to ask for.
    let has_progress = crate::paths::progress_file().exists();
    let theory = if has_progress {
        crate::handin::report::answers(&pack, &progress, lang)
    } else {
        Vec::new()
    };
    let (answered, answers) = crate::handin::report::answers_line(&theory, lang);
    let missing_where: Vec<(String, String)> = theory
        .iter()
        .filter(|a| !a.written())
        .filter_map(|a| a.asked_in.clone())
        .collect();
    if args.json {
        let mut value = serde_json::to_value(json_report(&graded.facts, &graded.criteria, lang))?;
        value["verdict"] = serde_json::to_value(graded.verdict)?;
        value["finish"] = serde_json::to_value(&graded.finish)?;
        value["steps"] = serde_json::to_value(step_records(&pack, &progress))?;
        value["answers_written"] = serde_json::Value::Bool(answered);
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        for criterion in &graded.criteria {
            println!("{}", crate::sanitize::clean_text(&criterion.line(lang)));
        }
        if has_progress {
            println!("{}", crate::sanitize::clean_text(&answers));
        }
        for (lesson, step) in missing_where {
            println!(
                "  {}",
                crate::sanitize::clean_text(&crate::tr!(
                    lang,
                    "ответ пишут в layerlab: урок «{lesson}», шаг «{step}»",
                    "write it in layerlab: lesson \"{lesson}\", step \"{step}\""
                ))
            );
        }
        for line in who_did_it(&pack, &progress, lang) {
            println!("{}", crate::sanitize::clean_text(&line));
        }
        let last = match (graded.verdict, answered) {
            (Verdict::Passed, false) => crate::tr!(
                lang,
                "Ещё не завершено: образ готов, но не записаны ответы на вопросы.",
                "Not done yet: the image passes, but the written answers are missing."
            ),
            (Verdict::NotDoneYet, false) => format!(
                "{} {}",
                verdict_line(&graded, lang),
                crate::tr!(
                    lang,
                    "И не записаны ответы на вопросы.",
                    "And the written answers are missing."
                )
            ),
            _ => verdict_line(&graded, lang),
        };
        println!("{last}");
    }
    // The two written answers are half of the homework: without them the
    // homework does not pass, however good the image.
    Ok(if graded.verdict == Verdict::Passed && answered {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Every done step progress knows the doer of: `(lesson, step, record)`.
fn step_records(pack: &Pack, progress: &crate::progress::Progress) -> Vec<serde_json::Value> {
    pack.lessons
        .iter()
        .flat_map(|lesson| {
            lesson.steps.iter().filter_map(move |step| {
                let record = progress.step_record(&lesson.id, &step.id)?;
                Some(serde_json::json!({
                    "lesson": lesson.id,
                    "step": step.id,
                    "by": record.by,
                    "at": crate::progress::format_utc(record.at),
                }))
            })
        })
        .collect()
}

/// Who did the lessons' steps: how many the learner did, and each one
/// layerlab did for them ("do it for me"), with when (UTC).
pub fn who_did_it(pack: &Pack, progress: &crate::progress::Progress, lang: Lang) -> Vec<String> {
    use crate::progress::By;
    let mut by_learner = 0;
    let mut for_them = Vec::new();
    for lesson in &pack.lessons {
        for step in lesson.steps.iter().filter(|s| !s.optional) {
            match progress.step_record(&lesson.id, &step.id) {
                Some(record) if record.by == By::Learner => by_learner += 1,
                Some(record) => for_them.push(format!(
                    "  {}/{} ({})",
                    lesson.id,
                    step.id,
                    crate::progress::format_utc(record.at)
                )),
                None => {}
            }
        }
    }
    if by_learner == 0 && for_them.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![crate::tr!(
        lang,
        "Шаги уроков: сделано вами — {by_learner}, сделано layerlab по вашей просьбе — {}",
        "Lesson steps: done by you: {by_learner}, done by layerlab when you asked: {}",
        for_them.len()
    )];
    lines.extend(for_them);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::{By, Progress};

    #[test]
    fn check_says_who_did_the_steps_and_when_in_both_languages() {
        let pack = Pack::load(None).unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().unwrap();
        let mut progress = Progress::open(&dir.path().join("p.json")).unwrap().progress;
        assert!(who_did_it(&pack, &progress, Lang::En).is_empty());
        progress
            .complete_step_by("dockerfile", "build", By::Learner)
            .unwrap();
        progress
            .complete_step_by("push", "push", By::Layerlab)
            .unwrap();
        let at = progress.step_record("push", "push").unwrap().at;
        let en = who_did_it(&pack, &progress, Lang::En);
        assert_eq!(
            en,
            vec![
                "Lesson steps: done by you: 1, done by layerlab when you asked: 1".to_string(),
                format!("  push/push ({})", crate::progress::format_utc(at)),
            ]
        );
        let ru = who_did_it(&pack, &progress, Lang::Ru);
        assert_eq!(
            ru[0],
            "Шаги уроков: сделано вами — 1, сделано layerlab по вашей просьбе — 1"
        );
        let json = step_records(&pack, &progress);
        assert_eq!(json.len(), 2, "{json:?}");
        assert!(
            json.iter()
                .any(|v| v["step"] == "push" && v["by"] == "layerlab")
        );
        assert!(
            json.iter()
                .any(|v| v["step"] == "build" && v["by"] == "learner")
        );
    }
}
