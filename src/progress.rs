//! The learner's progress, kept in a small JSON file in the data dir
//! (`crate::paths::progress_file()`), rewritten whole and atomically after
//! every change so a crash never leaves half a file.
//!
//! A step is first recorded as *started*, and only later as *done*: a step
//! that was started but never finished (crash, lost daemon, Ctrl-C) is not in
//! `done`, so resuming redoes it instead of skipping it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::lesson::model::Lesson;

/// The variable the build step records the learner's own image in; `check`
/// and `report` grade that image.
pub const BUILT_IMAGE_VAR: &str = "built_image";
/// The variable the push step saves: the reference pushed (by the learner
/// or by "do it for me"), which `check` and the report verify.
pub const PUSHED_VAR: &str = "pushed";

/// Bumped when an older layerlab would misread the file.
pub const PROGRESS_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProgressState {
    pub version: u32,
    /// By lesson id.
    pub lessons: BTreeMap<String, LessonProgress>,
    /// The quiz sitting: its seed and the answers given so far.
    pub quiz: Option<crate::quiz::session::SessionState>,
    /// The image the learner built from the workspace, found by what it is
    /// (not by its name); later steps, `check` and the report use it.
    /// Absent in files written before it existed.
    pub learner_image: Option<LearnerImage>,
    /// The lesson the learner last looked at: the app reopens there.
    pub last_lesson: Option<String>,
}

/// Who carried out a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    /// The learner: typed the commands (seen by the watcher), read the text,
    /// answered, edited the file.
    Learner,
    /// layerlab, through the Engine API ("do it for me", `layerlab run`).
    Layerlab,
}

impl By {
    pub fn label(self, lang: crate::i18n::Lang) -> &'static str {
        match self {
            By::Learner => crate::t!("ученик", "learner").get(lang),
            By::Layerlab => crate::t!("layerlab", "layerlab").get(lang),
        }
    }
}

/// Who completed a step and when (seconds since the Unix epoch, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    pub by: By,
    pub at: u64,
}

/// The learner's own image: its id and the name they chose for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LearnerImage {
    /// `sha256:...`
    pub id: String,
    /// The tag the learner gave it (`customimage/alpng:ng_v1`); `None` when
    /// the image has no name (built with no `-t`).
    #[serde(default)]
    pub tag: Option<String>,
    /// When layerlab found it (Unix seconds).
    #[serde(default)]
    pub at: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LessonProgress {
    /// Steps finished, by id.
    pub done: BTreeSet<String>,
    /// The step being worked on; it stays here, not in `done`, until it
    /// completes, so an interrupted step is redone on resume.
    pub started: Option<String>,
    /// Where the learner is (what to show on resume).
    pub current: Option<String>,
    /// Free-text answers, by `answer_key`.
    pub answers: BTreeMap<String, String>,
    /// Values steps saved with `save_as` (an image id, the pushed reference).
    pub vars: BTreeMap<String, String>,
    /// Who completed each done step, and when, by step id. Files written
    /// before this existed have none: their steps are done, by nobody known.
    pub records: BTreeMap<String, StepRecord>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProgressError {
    #[error("cannot read the progress file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot save the progress file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the progress file {path} was corrupt and could not be moved aside to {aside}: {source}; \
         move or delete it yourself"
    )]
    MoveAside {
        path: PathBuf,
        aside: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the progress file {path} was written by a newer layerlab (format {found}, this one \
         reads {PROGRESS_VERSION}); update layerlab, or use another LAYERLAB_DATA_DIR"
    )]
    TooNew { path: PathBuf, found: u32 },
}

/// The progress file and its contents. Every change is saved at once.
#[derive(Debug, Clone)]
pub struct Progress {
    path: PathBuf,
    state: ProgressState,
}

/// What [`Progress::open`] found.
#[derive(Debug)]
pub struct Opened {
    pub progress: Progress,
    /// Set when the file was unreadable and was moved here; tell the learner.
    pub moved_aside: Option<PathBuf>,
}

impl Opened {
    /// A line for the learner when the old file had to be moved aside.
    pub fn notice(&self) -> Option<crate::i18n::Text> {
        self.moved_aside.as_ref().map(|aside| {
            let (file, aside) = (self.progress.path.display(), aside.display());
            crate::i18n::Text::from_fn(|lang| {
                crate::tr!(
                    lang,
                    "файл прогресса {file} не прочитался; он перенесён в {aside}, прогресс начинается заново",
                    "the progress file {file} could not be read; it was moved to {aside} and progress starts afresh"
                )
            })
        })
    }
}

impl Progress {
    /// The learner's progress from `crate::paths::progress_file()`.
    pub fn open_default() -> Result<Opened, ProgressError> {
        Progress::open(&crate::paths::progress_file())
    }

    /// Reads `path`; a missing file is empty progress. A file that cannot be
    /// parsed is moved to `<name>.corrupt-<unix seconds>` (never deleted) and
    /// progress starts empty; `moved_aside` says where it went.
    pub fn open(path: &Path) -> Result<Opened, ProgressError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Opened {
                    progress: Progress::empty(path),
                    moved_aside: None,
                });
            }
            Err(source) => {
                return Err(ProgressError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        match serde_json::from_slice::<ProgressState>(&bytes) {
            Ok(state) if state.version > PROGRESS_VERSION => Err(ProgressError::TooNew {
                path: path.to_path_buf(),
                found: state.version,
            }),
            Ok(mut state) => {
                state.version = PROGRESS_VERSION;
                Ok(Opened {
                    progress: Progress {
                        path: path.to_path_buf(),
                        state,
                    },
                    moved_aside: None,
                })
            }
            Err(parse_error) => {
                let aside = aside_path(path);
                std::fs::rename(path, &aside).map_err(|source| ProgressError::MoveAside {
                    path: path.to_path_buf(),
                    aside: aside.clone(),
                    source,
                })?;
                tracing::warn!(
                    "progress file {} unreadable ({parse_error}); moved to {}",
                    path.display(),
                    aside.display()
                );
                Ok(Opened {
                    progress: Progress::empty(path),
                    moved_aside: Some(aside),
                })
            }
        }
    }

    fn empty(path: &Path) -> Progress {
        Progress {
            path: path.to_path_buf(),
            state: ProgressState {
                version: PROGRESS_VERSION,
                lessons: BTreeMap::new(),
                quiz: None,
                learner_image: None,
                last_lesson: None,
            },
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn state(&self) -> &ProgressState {
        &self.state
    }

    pub fn lesson(&self, lesson_id: &str) -> Option<&LessonProgress> {
        self.state.lessons.get(lesson_id)
    }

    fn save(&self) -> Result<(), ProgressError> {
        let json = serde_json::to_vec_pretty(&self.state).map_err(|e| ProgressError::Write {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        crate::paths::write_atomically(&self.path, &json).map_err(|source| ProgressError::Write {
            path: self.path.clone(),
            source,
        })
    }

    fn change(
        &mut self,
        lesson_id: &str,
        edit: impl FnOnce(&mut LessonProgress),
    ) -> Result<(), ProgressError> {
        edit(self.state.lessons.entry(lesson_id.to_string()).or_default());
        self.save()
    }

    /// Call before running a step: it counts as unfinished until
    /// [`Progress::complete_step`].
    pub fn start_step(&mut self, lesson_id: &str, step_id: &str) -> Result<(), ProgressError> {
        self.change(lesson_id, |lesson| {
            lesson.started = Some(step_id.to_string());
            lesson.current = Some(step_id.to_string());
        })
    }

    /// The step is done, by layerlab through the Engine API (the "do it for
    /// me" path and `layerlab run`). See [`Progress::complete_step_by`].
    pub fn complete_step(&mut self, lesson_id: &str, step_id: &str) -> Result<(), ProgressError> {
        self.complete_step_by(lesson_id, step_id, By::Layerlab)
    }

    /// The step is done by `by`, now. A step done again keeps the latest record.
    pub fn complete_step_by(
        &mut self,
        lesson_id: &str,
        step_id: &str,
        by: By,
    ) -> Result<(), ProgressError> {
        let at = unix_now();
        self.change(lesson_id, |lesson| {
            lesson.done.insert(step_id.to_string());
            lesson
                .records
                .insert(step_id.to_string(), StepRecord { by, at });
            if lesson.started.as_deref() == Some(step_id) {
                lesson.started = None;
            }
        })
    }

    /// Who did a done step and when; `None` when it is not done, or was done
    /// before layerlab kept records.
    pub fn step_record(&self, lesson_id: &str, step_id: &str) -> Option<StepRecord> {
        let lesson = self.lesson(lesson_id)?;
        if !lesson.done.contains(step_id) {
            return None;
        }
        lesson.records.get(step_id).copied()
    }

    /// The learner's image, once found.
    pub fn learner_image(&self) -> Option<&LearnerImage> {
        self.state.learner_image.as_ref()
    }

    /// Remember the learner's image (a later build replaces it).
    pub fn set_learner_image(&mut self, id: &str, tag: Option<&str>) -> Result<(), ProgressError> {
        let same = self
            .state
            .learner_image
            .as_ref()
            .is_some_and(|image| image.id == id && image.tag.as_deref() == tag);
        if same {
            return Ok(());
        }
        self.state.learner_image = Some(LearnerImage {
            id: id.to_string(),
            tag: tag.map(str::to_string),
            at: unix_now(),
        });
        self.save()
    }

    /// Where the learner is looking, without starting anything.
    pub fn set_current(&mut self, lesson_id: &str, step_id: &str) -> Result<(), ProgressError> {
        self.state.last_lesson = Some(lesson_id.to_string());
        self.change(lesson_id, |lesson| {
            lesson.current = Some(step_id.to_string())
        })
    }

    pub fn save_answer(
        &mut self,
        lesson_id: &str,
        answer_key: &str,
        text: &str,
    ) -> Result<(), ProgressError> {
        self.change(lesson_id, |lesson| {
            lesson
                .answers
                .insert(answer_key.to_string(), text.to_string());
        })
    }

    pub fn save_quiz_session(
        &mut self,
        session: &crate::quiz::session::SessionState,
    ) -> Result<(), ProgressError> {
        self.state.quiz = Some(session.clone());
        self.save()
    }

    pub fn quiz_session(&self) -> Option<crate::quiz::session::SessionState> {
        self.state.quiz.clone()
    }

    pub fn save_var(
        &mut self,
        lesson_id: &str,
        name: &str,
        value: &str,
    ) -> Result<(), ProgressError> {
        self.change(lesson_id, |lesson| {
            lesson.vars.insert(name.to_string(), value.to_string());
        })
    }

    /// Several variables at once: what a step found (the image built, the
    /// reference pushed), kept by `layerlab run` as the TUI keeps them.
    pub fn save_vars(
        &mut self,
        lesson_id: &str,
        vars: &BTreeMap<String, String>,
    ) -> Result<(), ProgressError> {
        if vars.is_empty() {
            return Ok(());
        }
        self.change(lesson_id, |lesson| {
            lesson
                .vars
                .extend(vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        })
    }

    /// A saved variable from any lesson (the latest lesson id wins on a clash,
    /// which the validator's unique `save_as` names make rare).
    pub fn var(&self, name: &str) -> Option<&str> {
        self.state
            .lessons
            .values()
            .rev()
            .find_map(|lesson| lesson.vars.get(name))
            .map(String::as_str)
    }

    /// Every saved variable, later lessons winning on a clash (as in `var`).
    pub fn all_vars(&self) -> BTreeMap<String, String> {
        let mut all = BTreeMap::new();
        for lesson in self.state.lessons.values() {
            all.extend(lesson.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        all
    }

    /// A free-text answer from any lesson, by `answer_key`.
    pub fn answer(&self, answer_key: &str) -> Option<&str> {
        self.state
            .lessons
            .values()
            .find_map(|lesson| lesson.answers.get(answer_key))
            .map(String::as_str)
    }

    /// Where the learner last was: a lesson and the step shown there.
    pub fn last_place(&self) -> Option<(&str, Option<&str>)> {
        let lesson = self.state.last_lesson.as_deref()?;
        Some((
            lesson,
            self.lesson(lesson).and_then(|l| l.current.as_deref()),
        ))
    }

    pub fn is_done(&self, lesson_id: &str, step_id: &str) -> bool {
        self.lesson(lesson_id)
            .is_some_and(|lesson| lesson.done.contains(step_id))
    }

    /// The step that was started and never finished, if any: the UI says so
    /// on resume, and it is redone.
    pub fn interrupted(&self, lesson_id: &str) -> Option<&str> {
        let lesson = self.lesson(lesson_id)?;
        lesson
            .started
            .as_deref()
            .filter(|step| !lesson.done.contains(*step))
    }

    /// Where to carry on: the first step, in lesson order, not done (optional
    /// steps are skipped); `None` when the lesson is complete. An interrupted
    /// step is not done, so it comes back here.
    pub fn resume_step<'l>(&self, lesson: &'l Lesson) -> Option<&'l str> {
        lesson
            .steps
            .iter()
            .filter(|step| !step.optional)
            .find(|step| !self.is_done(&lesson.id, &step.id))
            .map(|step| step.id.as_str())
    }

    /// (done, total) over the lesson's required steps, counting only ids that
    /// still exist in the lesson (a pack may change between runs).
    pub fn counts(&self, lesson: &Lesson) -> (usize, usize) {
        let required = lesson.steps.iter().filter(|step| !step.optional);
        let total = required.clone().count();
        let done = required
            .filter(|step| self.is_done(&lesson.id, &step.id) || self.quiz_answered(lesson, step))
            .count();
        (done, total)
    }

    /// A question step counts as done once the saved quiz has its answer
    /// (the quiz screen keeps answers in the session, not as done steps).
    fn quiz_answered(&self, lesson: &Lesson, step: &crate::lesson::Step) -> bool {
        if step.kind != crate::lesson::StepKind::Question {
            return false;
        }
        let id = format!("{}/{}", lesson.id, step.id);
        self.state.quiz.as_ref().is_some_and(|quiz| {
            quiz.answers
                .iter()
                .any(|a| a.id == id && a.answer.is_some())
        })
    }

    pub fn reset_lesson(&mut self, lesson_id: &str) -> Result<(), ProgressError> {
        self.state.lessons.remove(lesson_id);
        self.save()
    }

    pub fn reset_all(&mut self) -> Result<(), ProgressError> {
        self.state.lessons.clear();
        self.state.last_lesson = None;
        self.save()
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `2026-11-30 10:05 UTC` for a record's `at`: the report and `lessons` show
/// it; no time-zone database needed, so no extra crate.
pub fn format_utc(at: u64) -> String {
    format!("{} UTC", utc_minutes(at))
}

/// `2025-03-01 14:05` for a Unix time (UTC), without a date crate (the
/// report's dates; `format_utc` adds the zone).
pub fn utc_minutes(unix_seconds: u64) -> String {
    let days = (unix_seconds / 86_400) as i64;
    let seconds_of_day = unix_seconds % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        seconds_of_day / 3600,
        seconds_of_day % 3600 / 60
    )
}

fn aside_path(path: &Path) -> PathBuf {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "progress.json".into());
    let base = path.with_file_name(format!("{name}.corrupt-{seconds}"));
    // Two corrupt files in one second must not overwrite each other.
    let mut candidate = base.clone();
    let mut n = 1;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{}.{n}", base.display()));
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Text;
    use crate::lesson::model::{Step, StepKind};

    fn lesson(id: &str, steps: &[(&str, bool)]) -> Lesson {
        Lesson {
            format_version: 1,
            id: id.into(),
            title: Text::new("т", "t"),
            summary: None,
            steps: steps
                .iter()
                .map(|(step_id, optional)| Step {
                    id: step_id.to_string(),
                    kind: StepKind::Prose,
                    title: None,
                    text: Some(Text::new("т", "t")),
                    docker: None,
                    file: None,
                    action: None,
                    check: None,
                    question: None,
                    answer_key: None,
                    needs: Vec::new(),
                    confirm: false,
                    optional: *optional,
                    expect: None,
                    hints: Vec::new(),
                })
                .collect(),
        }
    }

    fn open(path: &Path) -> Progress {
        let opened = Progress::open(path).unwrap();
        assert_eq!(opened.moved_aside, None);
        opened.progress
    }

    #[test]
    fn progress_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        let mut progress = open(&path);
        progress.start_step("build", "write").unwrap();
        progress.complete_step("build", "write").unwrap();
        progress
            .save_answer("theory", "image_vs_container", "An image is...")
            .unwrap();
        progress
            .save_var("push", "pushed", "127.0.0.1:5000/me/nginx:1")
            .unwrap();
        let quiz = crate::quiz::session::SessionState {
            seed: 7,
            round: 1,
            answers: Vec::new(),
        };
        progress.save_quiz_session(&quiz).unwrap();

        let again = open(&path);
        assert_eq!(again.state(), progress.state());
        assert!(again.is_done("build", "write"));
        assert_eq!(again.answer("image_vs_container"), Some("An image is..."));
        assert_eq!(again.var("pushed"), Some("127.0.0.1:5000/me/nginx:1"));
        assert_eq!(again.quiz_session(), Some(quiz));
    }

    #[test]
    fn a_started_step_is_redone_not_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        let lesson = lesson("build", &[("a", false), ("b", false), ("c", false)]);
        let mut progress = open(&path);
        progress.start_step("build", "a").unwrap();
        progress.complete_step("build", "a").unwrap();
        progress.start_step("build", "b").unwrap();
        // the process dies here
        let resumed = open(&path);
        assert_eq!(resumed.interrupted("build"), Some("b"));
        assert_eq!(resumed.resume_step(&lesson), Some("b"));
        assert_eq!(resumed.counts(&lesson), (1, 3));
        assert_eq!(
            resumed.lesson("build").unwrap().current.as_deref(),
            Some("b")
        );
    }

    #[test]
    fn counts_skip_optional_and_vanished_steps() {
        let dir = tempfile::tempdir().unwrap();
        let mut progress = open(&dir.path().join("p.json"));
        let lesson = lesson("l", &[("a", false), ("kernel", true), ("b", false)]);
        progress.complete_step("l", "a").unwrap();
        progress.complete_step("l", "kernel").unwrap();
        progress.complete_step("l", "gone").unwrap();
        assert_eq!(progress.counts(&lesson), (1, 2));
        assert_eq!(progress.resume_step(&lesson), Some("b"));
        progress.complete_step("l", "b").unwrap();
        assert_eq!(progress.resume_step(&lesson), None);
        assert_eq!(progress.interrupted("l"), None);
    }

    #[test]
    fn reset_one_lesson_or_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        let mut progress = open(&path);
        progress.complete_step("one", "a").unwrap();
        progress.complete_step("two", "a").unwrap();
        progress.reset_lesson("one").unwrap();
        let reopened = open(&path);
        assert!(!reopened.is_done("one", "a"));
        assert!(reopened.is_done("two", "a"));
        progress.reset_all().unwrap();
        assert!(open(&path).state().lessons.is_empty());
    }

    #[test]
    fn a_corrupt_file_is_moved_aside_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        std::fs::write(&path, b"{\"lessons\": {\"a\": {\"done\": [").unwrap();
        let opened = Progress::open(&path).unwrap();
        let aside = opened.moved_aside.clone().expect("moved aside");
        assert!(
            aside
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("progress.json.corrupt-"),
            "{aside:?}"
        );
        assert_eq!(
            std::fs::read(&aside).unwrap(),
            b"{\"lessons\": {\"a\": {\"done\": [".to_vec()
        );
        assert!(
            opened
                .notice()
                .unwrap()
                .get(crate::i18n::Lang::En)
                .contains("moved to")
        );
        assert!(opened.progress.state().lessons.is_empty());
        assert!(!path.exists(), "nothing written until the first change");

        // A second corrupt file in the same second gets its own name.
        std::fs::write(&path, b"not json").unwrap();
        let second = Progress::open(&path).unwrap().moved_aside.unwrap();
        assert_ne!(second, aside);
        assert!(aside.exists() && second.exists());
    }

    #[test]
    fn records_say_who_did_a_step_and_when() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        let mut progress = open(&path);
        let before = unix_now();
        progress
            .complete_step_by("dockerfile", "build", By::Learner)
            .unwrap();
        progress.complete_step("dockerfile", "explore").unwrap();
        progress
            .set_learner_image("sha256:abc", Some("customimage/alpng:ng_v1"))
            .unwrap();
        let again = open(&path);
        let build = again.step_record("dockerfile", "build").unwrap();
        assert_eq!(build.by, By::Learner);
        assert!(build.at >= before && build.at <= unix_now());
        assert_eq!(
            again.step_record("dockerfile", "explore").unwrap().by,
            By::Layerlab
        );
        assert_eq!(again.step_record("dockerfile", "missing"), None);
        let image = again.learner_image().unwrap();
        assert_eq!(image.id, "sha256:abc");
        assert_eq!(image.tag.as_deref(), Some("customimage/alpng:ng_v1"));
    }

    #[test]
    fn a_file_from_before_records_still_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        // Exactly what layerlab wrote before step records existed.
        std::fs::write(
            &path,
            br#"{"version": 1, "lessons": {"dockerfile": {"done": ["build"], "started": null,
                "current": "build", "answers": {}, "vars": {"image_id_before": "sha256:1"}}},
                "quiz": null}"#,
        )
        .unwrap();
        let mut progress = open(&path);
        assert!(progress.is_done("dockerfile", "build"));
        assert_eq!(progress.step_record("dockerfile", "build"), None);
        assert_eq!(progress.learner_image(), None);
        assert_eq!(progress.var("image_id_before"), Some("sha256:1"));
        progress
            .complete_step_by("dockerfile", "build", By::Learner)
            .unwrap();
        assert_eq!(
            open(&path).step_record("dockerfile", "build").map(|r| r.by),
            Some(By::Learner)
        );
    }

    #[test]
    fn utc_dates_format() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_796_036_700), "2026-11-30 11:05 UTC");
        assert_eq!(utc_minutes(0), "1970-01-01 00:00");
        assert_eq!(utc_minutes(951_782_400 + 3_661), "2000-02-29 01:01");
    }

    #[test]
    fn a_file_from_a_newer_layerlab_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        std::fs::write(&path, b"{\"version\": 99, \"lessons\": {}}").unwrap();
        let error = Progress::open(&path).unwrap_err();
        assert!(
            matches!(error, ProgressError::TooNew { found: 99, .. }),
            "{error}"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"{\"version\": 99, \"lessons\": {}}"
        );
    }
}
