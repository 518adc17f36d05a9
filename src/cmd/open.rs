//! `layerlab open LESSON[/STEP]`: a teacher's deep link ("open lesson 3,
//! step 5") into the lessons. An unknown id is refused with the ids that
//! are close to it, never a guess.

use std::process::ExitCode;

use crate::cmd::args::GlobalArgs;
use crate::i18n::Lang;
use crate::lesson::Lesson;

/// The lesson index and, when given, the step index `target` names.
pub fn resolve(
    lessons: &[Lesson],
    target: &str,
    lang: Lang,
) -> Result<(usize, Option<usize>), String> {
    let target = target.trim();
    let (lesson_id, step_id) = match target.split_once('/') {
        Some((lesson, step)) => (lesson.trim(), Some(step.trim())),
        None => (target, None),
    };
    let Some(index) = lessons.iter().position(|l| l.id == lesson_id) else {
        let ids: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
        return Err(unknown(lang, UnknownKind::Lesson, lesson_id, &ids));
    };
    let lesson = &lessons[index];
    let Some(step_id) = step_id.filter(|s| !s.is_empty()) else {
        return Ok((index, None));
    };
    match lesson.steps.iter().position(|s| s.id == step_id) {
        Some(step) => Ok((index, Some(step))),
        None => {
            let ids: Vec<&str> = lesson.steps.iter().map(|s| s.id.as_str()).collect();
            Err(unknown(lang, UnknownKind::Step(&lesson.id), step_id, &ids))
        }
    }
}

enum UnknownKind<'a> {
    Lesson,
    Step(&'a str),
}

/// "no lesson `dockerfil`; did you mean: dockerfile?" with the close ids,
/// or all of them when none is close.
fn unknown(lang: Lang, kind: UnknownKind, given: &str, ids: &[&str]) -> String {
    let given: String = given.chars().filter(|c| !c.is_control()).take(80).collect();
    let close = close_matches(&given, ids);
    let what = match kind {
        UnknownKind::Lesson => crate::tr!(lang, "нет урока «{given}»", "no lesson `{given}`"),
        UnknownKind::Step(lesson) => crate::tr!(
            lang,
            "в уроке «{lesson}» нет шага «{given}»",
            "lesson `{lesson}` has no step `{given}`"
        ),
    };
    if close.is_empty() {
        let all = ids.join(", ");
        crate::tr!(lang, "{what}; есть: {all}", "{what}; there are: {all}")
    } else {
        let close = close.join(", ");
        crate::tr!(
            lang,
            "{what}; может быть, вы имели в виду: {close}",
            "{what}; did you mean: {close}"
        )
    }
}

/// The ids within a small edit distance of `given`, or that contain it,
/// closest first.
fn close_matches<'a>(given: &str, ids: &[&'a str]) -> Vec<&'a str> {
    let given = given.to_lowercase();
    let mut scored: Vec<(f64, &str)> = ids
        .iter()
        .map(|id| {
            let score = strsim::normalized_damerau_levenshtein(&given, id);
            let contains = !given.is_empty() && (id.contains(&given) || given.contains(*id));
            (if contains { score.max(0.7) } else { score }, *id)
        })
        .filter(|(score, _)| *score >= 0.5)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(5).map(|(_, id)| id).collect()
}

pub async fn open(global: &GlobalArgs, target: &str) -> anyhow::Result<ExitCode> {
    let lang = global.lang();
    let pack = crate::lesson::loader::Pack::load(global.lessons.as_deref())?;
    let (lesson, step) = resolve(&pack.lessons, target, lang).map_err(anyhow::Error::msg)?;
    let options = crate::cmd::tui::options(global);
    if crate::tui::plain::wanted(global.plain) {
        return crate::tui::plain::run(&options, Some((lesson, step))).await;
    }
    crate::tui::boot::run_at(&options, lesson, step).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lessons() -> Vec<Lesson> {
        crate::lesson::loader::Pack::embedded()
            .expect("embedded pack")
            .lessons
    }

    #[test]
    fn ids_resolve_to_the_lesson_and_step() {
        let lessons = lessons();
        let (lesson, step) =
            resolve(&lessons, "dockerfile/instructions", Lang::En).expect("known ids");
        assert_eq!(lessons[lesson].id, "dockerfile");
        assert_eq!(
            lessons[lesson].steps[step.expect("a step")].id,
            "instructions"
        );
        assert_eq!(resolve(&lessons, "push", Lang::En).map(|r| r.1), Ok(None));
    }

    #[test]
    fn unknown_ids_list_the_close_ones() {
        let lessons = lessons();
        let err = resolve(&lessons, "dockerfil/instructions", Lang::En).unwrap_err();
        assert!(err.contains("no lesson `dockerfil`"), "{err}");
        assert!(err.contains("did you mean: dockerfile"), "{err}");
        let err = resolve(&lessons, "dockerfile/instruction", Lang::Ru).unwrap_err();
        assert!(err.contains("нет шага «instruction»"), "{err}");
        assert!(err.contains("instructions"), "{err}");
        let err = resolve(&lessons, "zzzzzzzzzzzz", Lang::En).unwrap_err();
        assert!(err.contains("there are: environment"), "{err}");
    }
}
