//! Watching a whole lesson, step after step, as `layerlab watch` does: the
//! open step is the first required one not yet done; when its state is
//! reached it is recorded (by the learner, or by layerlab for the steps only
//! layerlab does) and the next one opens at once.

use std::collections::BTreeSet;
use std::time::Instant;

use super::triggers::{Trigger, Triggers};
use super::{Evaluation, HintFound, Watcher};
use crate::lesson::Lesson;
use crate::lesson::watching::{Watched, watched};
use crate::progress::{By, Progress};

/// What the session reports, one line each.
#[derive(Debug, Clone)]
pub enum Line {
    Done {
        step: String,
        message: String,
        by: By,
    },
    Hint {
        step: String,
        hint: HintFound,
    },
    /// The progress file could not be written.
    Trouble(String),
}

/// The steps `watch` waits for, in order (action and check steps that are
/// not optional).
pub fn watched_steps(lesson: &Lesson) -> Vec<&crate::lesson::Step> {
    lesson
        .steps
        .iter()
        .filter(|s| !matches!(watched(s), Watched::NotWatched))
        .collect()
}

/// Seed the watcher's names from progress: the learner's image and the
/// containers found earlier.
pub fn restore(watcher: &mut Watcher, progress: &Progress) {
    let vars = progress.all_vars();
    for (name, value) in &vars {
        if name.starts_with("container.") || name.starts_with("port.") {
            watcher
                .runner
                .state
                .vars
                .insert(name.clone(), value.clone());
        }
    }
    if let Some(image) = progress.learner_image() {
        let name = image.tag.clone().unwrap_or_else(|| image.id.clone());
        watcher.runner.state.vars.insert("image".into(), name);
        if let Some(tag) = &image.tag {
            watcher
                .runner
                .state
                .vars
                .insert("image_repo".into(), crate::runner::repository_of(tag));
        }
    }
}

/// Record a satisfied step and what it taught the watcher.
pub fn record(
    watcher: &Watcher,
    progress: &mut Progress,
    lesson: &str,
    step: &str,
    evaluation: &Evaluation,
) -> Result<(), crate::progress::ProgressError> {
    progress.complete_step_by(lesson, step, evaluation.by.unwrap_or(By::Learner))?;
    for (name, value) in &evaluation.vars {
        progress.save_var(lesson, name, value)?;
    }
    if let Some(found) = &watcher.learner {
        progress.set_learner_image(&found.id, found.tag.as_deref())?;
    }
    Ok(())
}

/// Watch `lesson` until every watched step is done (`Ok(vec![])`) or the
/// deadline passes (`Ok(missing)`: `(step, what is missing)`). `Err` when
/// the daemon is lost.
pub async fn watch_lesson(
    watcher: &mut Watcher,
    progress: &mut Progress,
    lesson: &Lesson,
    deadline: Option<Instant>,
    mut out: impl FnMut(Line),
) -> Result<Vec<(String, String)>, crate::docker::error::DockerError> {
    let steps = watched_steps(lesson);
    let mut triggers = Triggers::new(
        watcher.runner.docker.clone(),
        watcher.runner.workspace.clone(),
    );
    triggers.start();
    let mut shown: BTreeSet<(String, String)> = BTreeSet::new();
    let mut index = 0;
    watcher.open_step();
    loop {
        while index < steps.len() && progress.is_done(&lesson.id, &steps[index].id) {
            index += 1;
        }
        let Some(step) = steps.get(index) else {
            return Ok(Vec::new());
        };
        let evaluation = watcher.evaluate(lesson, step).await;
        let looked = now_nanos();
        triggers.rescan_baseline();
        for hint in &evaluation.hints {
            if shown.insert((step.id.clone(), hint.key())) {
                out(Line::Hint {
                    step: step.id.clone(),
                    hint: hint.clone(),
                });
            }
        }
        if evaluation.satisfied {
            if let Err(e) = record(watcher, progress, &lesson.id, &step.id, &evaluation) {
                out(Line::Trouble(e.to_string()));
            }
            for (name, value) in &evaluation.vars {
                watcher
                    .runner
                    .state
                    .vars
                    .insert(name.clone(), value.clone());
            }
            out(Line::Done {
                step: step.id.clone(),
                message: evaluation.message.clone(),
                by: evaluation.by.unwrap_or(By::Learner),
            });
            index += 1;
            watcher.open_step();
            continue;
        }
        // Wait for a reason to look again.
        let is_check = matches!(watched(step), Watched::Check(_));
        let files_only = only_files(step);
        loop {
            let next = match deadline {
                Some(deadline) => {
                    match tokio::time::timeout_at(deadline.into(), triggers.next()).await {
                        Ok(next) => next,
                        Err(_) => {
                            let mut missing = vec![(step.id.clone(), evaluation.message.clone())];
                            missing.extend(
                                steps[index + 1..]
                                    .iter()
                                    .filter(|s| !progress.is_done(&lesson.id, &s.id))
                                    .map(|s| (s.id.clone(), String::new())),
                            );
                            return Ok(missing);
                        }
                    }
                }
                None => triggers.next().await,
            }?;
            match next {
                Trigger::Events(events) => {
                    if wakes(watcher, &events, is_check, files_only, looked) {
                        break;
                    }
                }
                Trigger::Files | Trigger::Reconnected => break,
            }
        }
    }
}

/// Unix time in nanoseconds, as the daemon stamps its events.
pub(super) fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// What watching one step reports (the TUI's worker forwards it).
#[derive(Debug, Clone)]
pub enum StepReport {
    /// A known mistake found while the step is open (each finding once).
    Hint(HintFound),
    /// The state is reached; the learner's image as found then.
    Satisfied {
        evaluation: Evaluation,
        learner: Option<super::Found>,
    },
}

/// Watch one step until its state is reached (`true`) or `cancel` fires
/// (`false`); the daemon lost also ends it (`false`, after a bounded retry).
pub async fn watch_step(
    watcher: &mut Watcher,
    lesson: &Lesson,
    step: &crate::lesson::Step,
    cancel: &tokio_util::sync::CancellationToken,
    mut out: impl FnMut(StepReport),
) -> bool {
    let mut triggers = Triggers::new(
        watcher.runner.docker.clone(),
        watcher.runner.workspace.clone(),
    );
    triggers.start();
    watcher.open_step();
    let mut shown: BTreeSet<String> = BTreeSet::new();
    let is_check = matches!(watched(step), Watched::Check(_));
    let files_only = only_files(step);
    loop {
        let evaluation = tokio::select! {
            evaluation = watcher.evaluate(lesson, step) => evaluation,
            _ = cancel.cancelled() => return false,
        };
        let looked = now_nanos();
        triggers.rescan_baseline();
        for hint in &evaluation.hints {
            if shown.insert(hint.key()) {
                out(StepReport::Hint(hint.clone()));
            }
        }
        if evaluation.satisfied {
            for (name, value) in &evaluation.vars {
                watcher
                    .runner
                    .state
                    .vars
                    .insert(name.clone(), value.clone());
            }
            out(StepReport::Satisfied {
                evaluation,
                learner: watcher.learner.clone(),
            });
            return true;
        }
        loop {
            let next = tokio::select! {
                next = triggers.next() => next,
                _ = cancel.cancelled() => return false,
            };
            match next {
                Ok(Trigger::Events(events)) => {
                    if wakes(watcher, &events, is_check, files_only, looked) {
                        break;
                    }
                }
                Ok(Trigger::Files | Trigger::Reconnected) => break,
                Err(e) => {
                    tracing::warn!("watch: the daemon's events ended: {e}");
                    return false;
                }
            }
        }
    }
}

/// A step about a workspace file alone: the daemon's events cannot reach it.
fn only_files(step: &crate::lesson::Step) -> bool {
    matches!(
        watched(step),
        Watched::Expect(crate::lesson::watch_model::Expect::FileChanged { .. })
    )
}

/// Note a batch of events, and say whether it is a reason to look again.
/// A check's own `docker exec` during the look must not wake the watcher,
/// or a failing check would spin; anything else the learner did does.
fn wakes(
    watcher: &mut Watcher,
    events: &[crate::docker::model::DockerEvent],
    is_check: bool,
    files_only: bool,
    looked: i64,
) -> bool {
    let mut wake = false;
    for event in events {
        watcher.note_event(event);
        let own = is_check && event.action.starts_with("exec_") && event.time_nanos <= looked;
        wake |= !own;
    }
    wake && !files_only
}
