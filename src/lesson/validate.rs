//! Checking a lesson pack. Every problem is reported, not just the first, as
//! `FILE:LINE:COL: message` (warnings as `FILE:LINE:COL: warning: message`).
//!
//! Three passes per file: YAML syntax (yaml-rust2, then serde_yaml so the two
//! readers agree), the shape of every value against `schema.rs` (unknown
//! fields, wrong types, unknown kinds, missing translations), then meaning
//! across the pack on the typed steps (ids, references, assets, placeholders,
//! questions). Positions come from the yaml-rust2 tree; serde_yaml has none
//! for values.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::de::DeserializeOwned;

use super::files::{MANIFEST, PackFiles, PackOrigin, normalize, stays_inside};
use super::model::{
    Action, Check, Lesson, PackManifest, SUPPORTED_FORMAT_VERSIONS, Step, StepKind,
};
use super::placeholders;
use super::schema::{self, Finding, Shape, did_you_mean};
use super::yaml::{self, Node, Pos, YamlPath};
use crate::lesson::question::QuestionKind;

// `expect:` and `hints:` of watched steps, in their own file.
mod watch;

pub use super::problem::{Problem, Severity};

#[derive(Debug, Clone, Default)]
pub struct Report {
    /// In file order (pack.yaml, then lessons as listed), then line and column.
    pub problems: Vec<Problem>,
    /// Lessons listed in pack.yaml that could be read.
    pub lessons: usize,
    pub steps: usize,
}

impl Report {
    pub fn is_valid(&self) -> bool {
        !self.problems.iter().any(Problem::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| !p.is_error())
    }
}

/// Checks a pack and reports every problem.
pub fn validate(files: &PackFiles) -> Report {
    check(files).report
}

/// What validation found, with the typed pack when it could be read whole.
pub(crate) struct Checked {
    pub report: Report,
    pub manifest: Option<PackManifest>,
    pub lessons: Option<Vec<Lesson>>,
}

/// One YAML file of the pack, read as far as it could be.
struct Doc {
    key: String,
    rank: usize,
    root: Option<Node>,
    value: Option<serde_yaml::Value>,
}

struct Collector<'a> {
    files: &'a PackFiles,
    problems: Vec<(usize, usize, Problem)>,
}

impl Collector<'_> {
    fn push(&mut self, doc: &Doc, pos: Pos, severity: Severity, message: String) {
        let order = self.problems.len();
        self.problems.push((
            doc.rank,
            order,
            Problem {
                file: self.files.display_path(&doc.key),
                pos,
                severity,
                message,
            },
        ));
    }

    fn error(&mut self, doc: &Doc, pos: Pos, message: impl Into<String>) {
        self.push(doc, pos, Severity::Error, message.into());
    }

    fn findings(&mut self, doc: &Doc, findings: Vec<Finding>) {
        for finding in findings {
            self.error(doc, finding.pos, finding.message);
        }
    }

    fn finish(mut self) -> Vec<Problem> {
        self.problems
            .sort_by_key(|(rank, order, problem)| (*rank, problem.pos, *order));
        self.problems.into_iter().map(|(_, _, p)| p).collect()
    }
}

fn read_doc(files: &PackFiles, key: &str, rank: usize, out: &mut Collector) -> Doc {
    let mut doc = Doc {
        key: key.to_string(),
        rank,
        root: None,
        value: None,
    };
    let Some(bytes) = files.get(key) else {
        return doc;
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        out.error(&doc, Pos::START, "the file is not UTF-8 text");
        return doc;
    };
    // A byte order mark (Windows editors write one) is not content.
    let text = super::files::strip_bom(text);
    match yaml::parse(text) {
        Err(e) => out.error(&doc, e.pos, e.message),
        Ok(None) => out.error(&doc, Pos::START, "the file is empty"),
        Ok(Some(root)) => {
            doc.root = Some(root);
            match serde_yaml::from_str::<serde_yaml::Value>(text) {
                Ok(value) => doc.value = Some(value),
                Err(e) => {
                    // Duplicate keys are reported by the shape pass, with both places.
                    if !e.to_string().contains("duplicate") {
                        let pos = serde_pos(&e);
                        out.error(
                            &doc,
                            pos,
                            format!("YAML syntax error: {}", serde_message(&e)),
                        );
                        doc.root = None;
                    }
                }
            }
        }
    }
    doc
}

fn serde_pos(error: &serde_yaml::Error) -> Pos {
    error
        .location()
        .map(|l| Pos {
            line: l.line(),
            col: l.column(),
        })
        .unwrap_or(Pos::START)
}

/// serde_yaml's message without its trailing " at line X column Y".
fn serde_message(error: &serde_yaml::Error) -> String {
    let message = error.to_string();
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    }
}

/// The shape pass over a whole file; returns how many problems it found.
fn check_shape(doc: &Doc, shape: &Shape, out: &mut Collector) -> usize {
    let Some(root) = &doc.root else { return 0 };
    let mut findings = Vec::new();
    schema::walk(root, shape, &YamlPath::root(), root.pos, &mut findings);
    let count = findings.len();
    out.findings(doc, findings);
    count
}

/// Reads the typed value. When the shape pass found nothing yet serde
/// refuses the file, serde's word is reported: the tables in `schema.rs`
/// are tested against the model, but this keeps any gap from passing silently.
fn typed<T: DeserializeOwned>(
    doc: &Doc,
    value: Option<serde_yaml::Value>,
    shape_problems: usize,
    out: &mut Collector,
) -> Option<T> {
    let value = value?;
    match serde_yaml::from_value::<T>(value) {
        Ok(typed) => Some(typed),
        Err(e) => {
            if shape_problems == 0 {
                let pos = doc.root.as_ref().map(|r| r.pos).unwrap_or(Pos::START);
                out.error(doc, pos, serde_message(&e));
            }
            None
        }
    }
}

fn check_format_version(doc: &Doc, what: &str, out: &mut Collector) {
    let Some(node) = doc.root.as_ref().and_then(|r| r.get("format_version")) else {
        return;
    };
    if let Some(version) = schema::read_int(node)
        && !SUPPORTED_FORMAT_VERSIONS
            .iter()
            .any(|v| u64::from(*v) == version)
    {
        let supported: Vec<String> = SUPPORTED_FORMAT_VERSIONS
            .iter()
            .map(u32::to_string)
            .collect();
        out.error(
            doc,
            node.pos,
            format!(
                "unsupported {what} format_version {version}: this layerlab reads format {} \
                 (a newer layerlab may read this {what})",
                supported.join(", ")
            ),
        );
    }
}

/// A lesson file with its typed parts, for the checks across the pack.
struct LessonDoc {
    doc: Doc,
    id: Option<String>,
    /// One per step in the file, `None` where the step could not be typed.
    steps: Vec<Option<Step>>,
    /// Step ids as written, even for steps that could not be typed.
    step_ids: Vec<Option<String>>,
}

impl LessonDoc {
    fn root(&self) -> Option<&Node> {
        self.doc.root.as_ref()
    }

    fn pos(&self, path: &YamlPath) -> Pos {
        self.root().map(|r| r.locate(path)).unwrap_or(Pos::START)
    }

    fn key_pos(&self, path: &YamlPath) -> Pos {
        self.root()
            .map(|r| r.locate_key(path))
            .unwrap_or(Pos::START)
    }
}

fn step_path(index: usize) -> YamlPath {
    YamlPath::root().key("steps").index(index)
}

pub(crate) fn check(files: &PackFiles) -> Checked {
    let mut out = Collector {
        files,
        problems: Vec::new(),
    };
    let manifest_doc = read_doc(files, MANIFEST, 0, &mut out);
    if !files.is_file(MANIFEST) {
        let what = match files.origin() {
            PackOrigin::Embedded => "the embedded pack".to_string(),
            PackOrigin::Folder(dir) => dir.display().to_string(),
        };
        out.error(
            &manifest_doc,
            Pos::START,
            format!(
                "no pack.yaml in {what}: a lesson pack is a folder with pack.yaml \
                 (format_version, title, lessons) and the lesson files it lists"
            ),
        );
        return Checked {
            report: Report {
                problems: out.finish(),
                ..Report::default()
            },
            manifest: None,
            lessons: None,
        };
    }
    let shape_problems = check_shape(&manifest_doc, &schema::PACK_MANIFEST, &mut out);
    check_format_version(&manifest_doc, "pack", &mut out);
    let manifest: Option<PackManifest> = typed(
        &manifest_doc,
        manifest_doc.value.clone(),
        shape_problems,
        &mut out,
    );

    // The list is read from the tree so lessons are checked even when another
    // part of pack.yaml is wrong.
    let listed = listed_lessons(&manifest_doc, files, &mut out);
    let assets = assets_folder(&manifest_doc, files, &mut out);

    let mut lessons: Vec<LessonDoc> = Vec::new();
    let mut all_typed = manifest.is_some();
    for (rank, key) in listed.iter().enumerate() {
        let doc = read_doc(files, key, rank + 1, &mut out);
        let shape_problems = check_shape(&doc, &schema::LESSON, &mut out);
        check_format_version(&doc, "lesson", &mut out);
        let lesson_doc = type_lesson(doc, shape_problems, &mut out);
        all_typed &= lesson_doc.steps.iter().all(Option::is_some) && lesson_doc.id.is_some();
        lessons.push(lesson_doc);
    }
    warn_unlisted(files, &listed, &assets, listed.len() + 1, &mut out);
    report_refused(files, listed.len() + 1, &mut out);

    let context = PackContext::new(&lessons, files, &assets);
    for lesson in &lessons {
        check_lesson(lesson, &lessons, &context, &mut out);
    }
    check_answer_keys(&lessons, &mut out);

    let step_count = lessons.iter().map(|l| l.step_ids.len()).sum();
    let lesson_count = lessons.iter().filter(|l| l.doc.root.is_some()).count();
    let typed_lessons = if all_typed {
        lessons
            .iter()
            .map(|l| {
                l.doc
                    .value
                    .clone()
                    .and_then(|v| serde_yaml::from_value::<Lesson>(v).ok())
            })
            .collect::<Option<Vec<Lesson>>>()
    } else {
        None
    };
    let report = Report {
        problems: out.finish(),
        lessons: lesson_count,
        steps: step_count,
    };
    Checked {
        lessons: typed_lessons,
        manifest,
        report,
    }
}

/// The lesson files pack.yaml lists, as logical keys, each existing once.
fn listed_lessons(doc: &Doc, files: &PackFiles, out: &mut Collector) -> Vec<String> {
    let Some(list) = doc.root.as_ref().and_then(|r| r.get("lessons")) else {
        return Vec::new();
    };
    if list.items().is_empty() && list.as_scalar().is_none() {
        out.error(
            doc,
            list.pos,
            "pack.yaml lists no lessons: `lessons` needs at least one lesson file",
        );
    }
    let mut seen: HashMap<String, Pos> = HashMap::new();
    let mut listed = Vec::new();
    for item in list.items() {
        let Some(name) = item.as_scalar().filter(|_| !item.is_null()) else {
            continue; // the shape pass said what is wrong
        };
        if !stays_inside(name) {
            out.error(
                doc,
                item.pos,
                format!("lesson file `{name}` must be a path inside the pack folder (relative, without `..`)"),
            );
            continue;
        }
        let key = normalize(name);
        if let Some(first) = seen.get(&key) {
            out.error(
                doc,
                item.pos,
                format!("lesson file `{name}` is listed twice (first at {first})"),
            );
            continue;
        }
        seen.insert(key.clone(), item.pos);
        if !files.is_file(&key) {
            // Compared without the extension, which would make any two names look alike.
            let stem = |path: &str| {
                path.trim_end_matches(".yaml")
                    .trim_end_matches(".yml")
                    .to_string()
            };
            let nearby: Vec<(String, &str)> = files
                .keys()
                .filter(|k| is_yaml(k) && *k != MANIFEST)
                .map(|k| (stem(k), k))
                .collect();
            let suggestion = did_you_mean(&stem(name), nearby.iter().map(|(s, _)| s.as_str()));
            let suggestion = nearby
                .iter()
                .find(|(s, _)| suggestion.contains(&format!("`{s}`")))
                .map(|(_, full)| format!(" (did you mean `{full}`?)"))
                .unwrap_or_default();
            out.error(
                doc,
                item.pos,
                format!(
                    "lesson file `{name}` is listed but there is no {}{suggestion}",
                    files.display_path(&key),
                ),
            );
            continue;
        }
        listed.push(key);
    }
    listed
}

fn is_yaml(key: &str) -> bool {
    key.ends_with(".yaml") || key.ends_with(".yml")
}

/// The logical assets folder. Reports it when it points outside the pack
/// (anything but a folder inside it or the sibling `../assets`), or when a
/// folder written in pack.yaml is missing; an unwritten `assets` is
/// optional (a pack of prose and checks has none). An empty-looking key
/// that matches nothing is returned when the value is refused.
fn assets_folder(doc: &Doc, files: &PackFiles, out: &mut Collector) -> String {
    let node = doc
        .root
        .as_ref()
        .and_then(|r| r.get("assets"))
        .filter(|n| !n.is_null());
    let written = node.and_then(Node::as_scalar).unwrap_or("assets");
    let pos = node
        .map(|n| n.pos)
        .or(doc.root.as_ref().map(|r| r.pos))
        .unwrap_or(Pos::START);
    let key = files.assets_prefix(written);
    if !super::trust::assets_allowed(&key) || written.starts_with('/') {
        out.error(
            doc,
            pos,
            format!(
                "assets `{}` must be a folder inside the pack folder (e.g. `assets`) or `{}` beside it: \
                 a pack reads nothing else of the learner's machine",
                super::trust::printable(written),
                super::trust::OUTSIDE_ASSETS
            ),
        );
        return String::from("\0none");
    }
    if node.is_some() && !files.is_dir(&key) {
        out.error(
            doc,
            pos,
            format!(
                "assets folder `{written}` not found: there is no folder {}",
                files.display_path(&key)
            ),
        );
    }
    key
}

/// Links in a folder pack that lead out of it were not read: each is an error
/// at the link, so the teacher knows to copy the file in instead.
fn report_refused(files: &PackFiles, rank: usize, out: &mut Collector) {
    for (key, why) in files.refused() {
        let doc = Doc {
            key: key.clone(),
            rank,
            root: None,
            value: None,
        };
        let reason = match why {
            super::trust::Escape::LinkOutside(target) => {
                format!("a symbolic link out of the pack (to {})", target.display())
            }
            super::trust::Escape::DanglingLink(_) => {
                "a symbolic link that points nowhere".to_string()
            }
            _ => "a path out of the pack".to_string(),
        };
        out.error(
            &doc,
            Pos::START,
            format!(
                "{reason}: layerlab does not read it, so `copy_assets` cannot copy it; \
                 put the file itself into the pack"
            ),
        );
    }
}

fn warn_unlisted(
    files: &PackFiles,
    listed: &[String],
    assets: &str,
    rank: usize,
    out: &mut Collector,
) {
    let assets_prefix = format!("{assets}/");
    for key in files.keys() {
        let unlisted = is_yaml(key)
            && key != MANIFEST
            && !key.starts_with("../")
            && !(assets.is_empty() || key.starts_with(&assets_prefix))
            && !listed.iter().any(|l| l == key);
        if unlisted {
            let doc = Doc {
                key: key.to_string(),
                rank,
                root: None,
                value: None,
            };
            out.push(
                &doc,
                Pos::START,
                Severity::Warning,
                format!(
                    "`{key}` is not listed in pack.yaml `lessons`, so layerlab ignores it \
                     (list it to use it, or move it out of the pack)"
                ),
            );
        }
    }
}

fn type_lesson(doc: Doc, shape_problems: usize, out: &mut Collector) -> LessonDoc {
    let mut lesson = LessonDoc {
        id: None,
        steps: Vec::new(),
        step_ids: Vec::new(),
        doc,
    };
    let Some(root) = lesson.doc.root.clone() else {
        return lesson;
    };
    lesson.id = root.get("id").and_then(Node::as_scalar).map(str::to_string);
    let step_values: Vec<serde_yaml::Value> = lesson
        .doc
        .value
        .as_ref()
        .and_then(|v| v.get("steps"))
        .and_then(serde_yaml::Value::as_sequence)
        .cloned()
        .unwrap_or_default();
    let step_nodes = root.get("steps").map(Node::items).unwrap_or(&[]);
    if let Some(steps) = root.get("steps")
        && matches!(steps.value, yaml::NodeValue::Seq(_))
        && step_nodes.is_empty()
    {
        out.error(&lesson.doc, steps.pos, "a lesson needs at least one step");
    }
    for (i, node) in step_nodes.iter().enumerate() {
        lesson.step_ids.push(
            node.get("id")
                .filter(|n| !n.is_null())
                .and_then(Node::as_scalar)
                .map(str::to_string),
        );
        let value = step_values.get(i).cloned();
        // Each step is typed on its own so one broken step does not hide the
        // meaning checks of the others.
        let step_shape = {
            let mut findings = Vec::new();
            schema::walk(node, &schema::STEP, &step_path(i), node.pos, &mut findings);
            findings.len()
        };
        let step: Option<Step> = match value {
            Some(value) => match serde_yaml::from_value::<Step>(value) {
                Ok(step) => Some(step),
                Err(e) => {
                    if step_shape == 0 {
                        out.error(&lesson.doc, node.pos, serde_message(&e));
                    }
                    None
                }
            },
            None => None,
        };
        lesson.steps.push(step);
    }
    if shape_problems == 0 && lesson.steps.iter().all(Option::is_some) {
        let whole: Option<Lesson> =
            typed(&lesson.doc, lesson.doc.value.clone(), shape_problems, out);
        if whole.is_none() {
            lesson.id = None;
        }
    }
    lesson
}

/// What every lesson may refer to: step ids, saved names, containers, assets.
struct PackContext<'a> {
    files: &'a PackFiles,
    assets: &'a str,
    /// lesson id -> step ids in order.
    steps_by_lesson: HashMap<&'a str, Vec<&'a str>>,
    lesson_ids: Vec<&'a str>,
    /// False when a listed lesson could not be read far enough to know its id.
    every_lesson_read: bool,
    saved_names: BTreeSet<&'a str>,
    /// container name -> published ports.
    containers: BTreeMap<&'a str, Vec<u16>>,
    /// (workspace folder, assets folder) of every copy_assets.
    copies: Vec<(String, String)>,
}

impl<'a> PackContext<'a> {
    fn new(lessons: &'a [LessonDoc], files: &'a PackFiles, assets: &'a str) -> PackContext<'a> {
        let mut context = PackContext {
            files,
            assets,
            steps_by_lesson: HashMap::new(),
            lesson_ids: Vec::new(),
            every_lesson_read: lessons.iter().all(|lesson| lesson.id.is_some()),
            saved_names: BTreeSet::new(),
            containers: BTreeMap::new(),
            copies: Vec::new(),
        };
        for lesson in lessons {
            if let Some(id) = &lesson.id {
                if !context.lesson_ids.contains(&id.as_str()) {
                    context.lesson_ids.push(id);
                }
                context.steps_by_lesson.entry(id).or_insert_with(|| {
                    lesson
                        .step_ids
                        .iter()
                        .flatten()
                        .map(String::as_str)
                        .collect()
                });
            }
            for step in lesson.steps.iter().flatten() {
                match &step.action {
                    Some(Action::Exec {
                        save_as: Some(name),
                        ..
                    })
                    | Some(Action::Http {
                        save_as: Some(name),
                        ..
                    })
                    | Some(Action::SaveImageId { save_as: name, .. })
                    | Some(Action::Tag {
                        save_as: Some(name),
                        ..
                    }) => {
                        context.saved_names.insert(name);
                    }
                    Some(Action::Run { name, ports, .. }) => {
                        context.containers.entry(name).or_default().extend(ports);
                    }
                    Some(Action::CopyAssets { from, to, .. }) => {
                        context.copies.push((normalize(to), normalize(from)));
                    }
                    _ => {}
                }
                if let Some(crate::lesson::watch_model::Expect::TaggedFor {
                    save_as: Some(name),
                    ..
                }) = &step.expect
                {
                    context.saved_names.insert(name);
                }
            }
        }
        context
    }

    fn asset_key(&self, path: &str) -> String {
        normalize(&format!("{}/{path}", self.assets))
    }

    fn assets_display(&self, path: &str) -> String {
        self.files.display_path(&self.asset_key(path))
    }

    /// Resolves `needs`/`teaches`: `lesson/step` or a bare step of `lesson`.
    fn resolve(&self, lesson: &str, reference: &str) -> Result<(), String> {
        let (lesson_id, step_id) = reference.split_once('/').unwrap_or((lesson, reference));
        let Some(steps) = self.steps_by_lesson.get(lesson_id) else {
            if !self.every_lesson_read {
                // The lesson may be in a file that could not be read; that
                // file's own error is the one to fix first.
                return Ok(());
            }
            let known = &self.lesson_ids;
            let suggestion = did_you_mean(lesson_id, known.iter().copied());
            return Err(if suggestion.is_empty() {
                format!(
                    "no lesson with id `{lesson_id}` (lessons: {})",
                    known.join(", ")
                )
            } else {
                format!("no lesson with id `{lesson_id}`{suggestion}")
            });
        };
        if steps.contains(&step_id) {
            Ok(())
        } else {
            Err(format!(
                "lesson `{lesson_id}` has no step `{step_id}`{}",
                did_you_mean(step_id, steps.iter().copied())
            ))
        }
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

const ID_RULE: &str = "lowercase letters, digits, `-` and `_` (it is used in \
    `lesson-id/step-id` references and in the progress file)";

fn check_lesson(lesson: &LessonDoc, all: &[LessonDoc], context: &PackContext, out: &mut Collector) {
    let doc = &lesson.doc;
    if let Some(id) = &lesson.id {
        let id_path = YamlPath::root().key("id");
        if !valid_id(id) {
            out.error(
                doc,
                lesson.pos(&id_path),
                format!("lesson id `{id}` must be {ID_RULE}"),
            );
        }
        let first_owner = all
            .iter()
            .find(|other| other.id.as_deref() == Some(id.as_str()));
        if let Some(owner) = first_owner
            && !std::ptr::eq(owner, lesson)
        {
            out.error(
                doc,
                lesson.pos(&id_path),
                format!(
                    "duplicate lesson id `{id}`: {} already uses it",
                    context.files.display_path(&owner.doc.key)
                ),
            );
        }
    }
    let lesson_id = lesson.id.as_deref().unwrap_or("");

    let mut first_seen: HashMap<&str, Pos> = HashMap::new();
    for (index, id) in lesson.step_ids.iter().enumerate() {
        let Some(id) = id else { continue };
        let path = step_path(index).key("id");
        let pos = lesson.pos(&path);
        if !valid_id(id) {
            out.error(doc, pos, format!("step id `{id}` must be {ID_RULE}"));
        }
        if let Some(first) = first_seen.get(id.as_str()) {
            out.error(
                doc,
                pos,
                format!(
                    "duplicate step id `{id}` in lesson `{lesson_id}` (first used at line {})",
                    first.line
                ),
            );
        } else {
            first_seen.insert(id, pos);
        }
    }

    for (index, step) in lesson.steps.iter().enumerate() {
        if let Some(step) = step {
            StepChecks {
                lesson,
                lesson_id,
                index,
                step,
                context,
                out: &mut *out,
            }
            .run();
        }
    }
}

struct StepChecks<'a, 'o, 'c> {
    lesson: &'a LessonDoc,
    lesson_id: &'a str,
    index: usize,
    step: &'a Step,
    context: &'a PackContext<'a>,
    out: &'o mut Collector<'c>,
}

impl StepChecks<'_, '_, '_> {
    fn path(&self) -> YamlPath {
        step_path(self.index)
    }

    fn error_at(&mut self, path: &YamlPath, message: String) {
        let pos = self.lesson.pos(path);
        self.out.error(&self.lesson.doc, pos, message);
    }

    fn run(mut self) {
        self.kind_matches_payload();
        self.needs();
        if let Some(file) = &self.step.file {
            let path = self.path().key("file").key("path");
            self.workspace_path(&path, &file.path, true);
            if let Some(beside) = &file.beside {
                let path = self.path().key("file").key("beside");
                self.workspace_path(&path, beside, true);
            }
        }
        if let Some(action) = &self.step.action {
            self.action(action);
            if let Some(docker) = &self.step.docker {
                let path = self.path().key("docker");
                for mismatch in super::shown::mismatches(docker, action) {
                    self.error_at(&path, mismatch);
                }
            }
        }
        if let Some(check) = &self.step.check {
            self.check(check);
        }
        if let Some(question) = &self.step.question {
            self.question(question);
        }
        if let Some(key) = &self.step.answer_key
            && !valid_id(key)
        {
            let path = self.path().key("answer_key");
            self.error_at(&path, format!("answer_key `{key}` must be {ID_RULE}"));
        }
        self.placeholders();
        self.watch();
    }

    fn kind_matches_payload(&mut self) {
        let step = self.step;
        let kind = step.kind;
        let this_kind = with_article(kind_name(kind));
        let present: [(&str, bool, StepKind); 5] = [
            ("file", step.file.is_some(), StepKind::File),
            ("action", step.action.is_some(), StepKind::Action),
            ("check", step.check.is_some(), StepKind::Check),
            ("question", step.question.is_some(), StepKind::Question),
            ("answer_key", step.answer_key.is_some(), StepKind::Answer),
        ];
        for (field, is_there, owner) in present {
            if is_there && owner != kind {
                let owner_name = kind_name(owner);
                let path = self.path().key(field);
                let pos = self.lesson.key_pos(&path);
                self.out.error(
                    &self.lesson.doc,
                    pos,
                    format!(
                        "{this_kind} step cannot have `{field}:` (only {} step has one; \
                         a step does one thing, so split it into two steps)",
                        with_article(owner_name)
                    ),
                );
            }
        }
        let needed: &[(&str, bool, &str)] = match kind {
            StepKind::Prose => &[("text", step.text.is_some(), "the prose to show")],
            StepKind::File => &[(
                "file",
                step.file.is_some(),
                "which workspace file to show, e.g. `file: {path: web/Dockerfile}`",
            )],
            StepKind::Action => &[(
                "action",
                step.action.is_some(),
                "what to do, e.g. `action: {build: {context: web, tag: \"{image}\"}}`",
            )],
            StepKind::Check => &[(
                "check",
                step.check.is_some(),
                "what to verify, e.g. `check: {image_exists: {image: \"{image}\"}}`",
            )],
            StepKind::Question => &[(
                "question",
                step.question.is_some(),
                "the quiz question: prompt, answer, explanation, teaches",
            )],
            StepKind::Answer => &[
                (
                    "answer_key",
                    step.answer_key.is_some(),
                    "the name the learner's answer is saved under",
                ),
                (
                    "text",
                    step.text.is_some(),
                    "the question the learner answers in their own words",
                ),
            ],
        };
        for (field, is_there, what) in needed {
            if !is_there {
                let path = self.path();
                self.error_at(&path, format!("{this_kind} step needs `{field}:` ({what})"));
            }
        }
    }

    fn needs(&mut self) {
        let own_id = self.step.id.as_str();
        let later: Vec<&str> = self.lesson.step_ids[self.index + 1..]
            .iter()
            .flatten()
            .map(String::as_str)
            .collect();
        for (i, reference) in self.step.needs.iter().enumerate() {
            let path = self.path().key("needs").index(i);
            let same_lesson = reference
                .split_once('/')
                .is_none_or(|(lesson, _)| lesson == self.lesson_id);
            let step_id = reference.rsplit('/').next().unwrap_or(reference);
            if same_lesson && step_id == own_id {
                self.error_at(&path, format!("step `{own_id}` needs itself"));
            } else if let Err(problem) = self.context.resolve(self.lesson_id, reference) {
                self.error_at(&path, format!("needs `{reference}`: {problem}"));
            } else if same_lesson && later.contains(&step_id) {
                self.error_at(
                    &path,
                    format!(
                        "needs `{reference}`, which comes later in this lesson (steps run in order)"
                    ),
                );
            }
        }
    }

    /// A path in the learner's workspace: relative, inside, and when a
    /// `copy_assets` puts it there, present in the assets.
    fn workspace_path(&mut self, path: &YamlPath, value: &str, is_file: bool) {
        if !self.confined(path, value) || !placeholders::names(value).is_empty() {
            return;
        }
        let value = normalize(value);
        for (to, from) in &self.context.copies {
            let rest = if value == *to {
                ""
            } else if let Some(rest) = value.strip_prefix(&format!("{to}/")) {
                rest
            } else if to.is_empty() {
                value.as_str()
            } else {
                continue;
            };
            let asset = normalize(&format!("{from}/{rest}"));
            let key = self.context.asset_key(&asset);
            let found = if is_file {
                self.context.files.is_file(&key)
            } else {
                self.context.files.is_dir(&key)
            };
            if !found {
                let kind = if is_file { "file" } else { "folder" };
                self.error_at(
                    path,
                    format!(
                        "`{value}` comes from the assets (copy_assets copies `{from}` to `{to}`), \
                         but there is no {kind} {}",
                        self.context.assets_display(&asset)
                    ),
                );
            }
            return;
        }
    }

    /// The trust boundary, as far as the text shows it: a workspace path is
    /// relative (or starts with `{workspace}/`) and has no `..`, whatever
    /// its placeholders will hold; the rest is checked at run time.
    fn confined(&mut self, path: &YamlPath, value: &str) -> bool {
        if super::trust::static_workspace_path(value).is_ok() {
            return true;
        }
        self.error_at(
            path,
            format!(
                "`{}` must stay inside the workspace: a relative path without `..`",
                super::trust::printable(value)
            ),
        );
        false
    }

    fn container(&mut self, path: &YamlPath, name: &str) {
        if !placeholders::names(name).is_empty() || self.context.containers.contains_key(name) {
            return;
        }
        let known: Vec<&str> = self.context.containers.keys().copied().collect();
        self.error_at(
            path,
            format!(
                "no `run` action in this pack starts a container named `{name}`{}",
                suggestion_or_list(name, &known)
            ),
        );
    }

    fn port(&mut self, path: &YamlPath, container: &str, port: u16) {
        if let Some(ports) = self.context.containers.get(container)
            && !ports.contains(&port)
        {
            let list: Vec<String> = ports.iter().map(u16::to_string).collect();
            self.error_at(
                path,
                format!(
                    "container `{container}` publishes port(s) {}, not {port} (add it to the run action's `ports`)",
                    if list.is_empty() { "none".to_string() } else { list.join(", ") }
                ),
            );
        }
    }

    /// A saved name may not replace a value layerlab fills in itself: a
    /// `save_as: workspace` would move every `{workspace}/…` path.
    fn saved_name(&mut self, path: &YamlPath, name: &str) {
        if placeholders::BUILTIN.contains(&name) || name.starts_with("port.") {
            self.error_at(
                path,
                format!(
                    "save_as `{name}` would replace a value layerlab fills in itself; pick another name"
                ),
            );
        }
    }

    fn action(&mut self, action: &Action) {
        let base = self.path().key("action");
        let at = |variant: &str, field: &str| base.key(variant).key(field);
        match action {
            Action::Exec {
                save_as: Some(name),
                ..
            } => self.saved_name(&at("exec", "save_as"), name),
            Action::Http {
                save_as: Some(name),
                ..
            } => self.saved_name(&at("http", "save_as"), name),
            Action::SaveImageId { save_as, .. } => {
                self.saved_name(&at("save_image_id", "save_as"), save_as)
            }
            Action::Tag {
                save_as: Some(name),
                ..
            } => self.saved_name(&at("tag", "save_as"), name),
            _ => {}
        }
        match action {
            Action::CopyAssets { from, to, .. } => self.copy_assets_fields(from, to),
            Action::Edit { path } => self.workspace_path(&at("edit", "path"), path, true),
            // The file the learner names in the UI (`{base_archive}`) may be
            // anywhere; a path the pack names is a workspace path.
            Action::Load { path } => {
                if path != "{base_archive}" {
                    self.confined(&at("load", "path"), path);
                }
            }
            Action::ShowFile { path } => {
                self.confined(&at("show_file", "path"), path);
            }
            Action::Build {
                context,
                dockerfile,
                solution,
                ..
            } => self.build_fields(context, dockerfile, solution.as_deref()),
            Action::Run {
                ports,
                volumes,
                privileged,
                host_port,
                ..
            } => self.run_fields(ports, volumes, *privileged, *host_port),
            Action::Exec { container, .. } => self.container(&at("exec", "container"), container),
            Action::Http {
                container, port, ..
            } => {
                self.container(&at("http", "container"), container);
                self.port(&at("http", "port"), container, *port);
            }
            Action::Changes { container } => self.container(&at("changes", "container"), container),
            Action::Stop { container } => self.container(&at("stop", "container"), container),
            Action::Start { container } => self.container(&at("start", "container"), container),
            Action::RemoveContainer { container } => {
                self.container(&at("remove_container", "container"), container)
            }
            Action::Commit { container, .. } => {
                self.container(&at("commit", "container"), container)
            }
            Action::Kernel { container } => self.container(&at("kernel", "container"), container),
            Action::Doctor
            | Action::Tag { .. }
            | Action::Push { .. }
            | Action::Pull { .. }
            | Action::RemoveImage { .. }
            | Action::SaveImageId { .. }
            | Action::Layers { .. }
            | Action::Lab { .. } => {}
        }
    }

    fn copy_assets_fields(&mut self, from: &str, to: &str) {
        let base = self.path().key("action");
        let at = |variant: &str, field: &str| base.key(variant).key(field);
        let from_path = at("copy_assets", "from");
        if super::trust::lexical(from).is_err() {
            self.error_at(
                &from_path,
                format!("copy_assets `from: {from}` must be a folder inside the assets (relative, without `..`)"),
            );
        } else {
            let key = self.context.asset_key(from);
            if !self.context.files.is_dir(&key) && !self.context.files.is_file(&key) {
                let top: Vec<String> = self
                    .context
                    .files
                    .files_under(self.context.assets)
                    .iter()
                    .filter_map(|(path, _)| path.split('/').next().map(str::to_string))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                self.error_at(
                    &from_path,
                    format!(
                        "copy_assets `from: {from}`: there is no {}{}",
                        self.context.assets_display(from),
                        did_you_mean(from, top.iter().map(String::as_str))
                    ),
                );
            }
        }
        let to_path = at("copy_assets", "to");
        if super::trust::static_workspace_path(to).is_err() {
            self.error_at(
                &to_path,
                format!("copy_assets `to: {to}` must stay inside the workspace: a relative path without `..`"),
            );
        }
    }

    fn build_fields(&mut self, context: &str, dockerfile: &str, solution: Option<&str>) {
        let base = self.path().key("action");
        let at = |variant: &str, field: &str| base.key(variant).key(field);
        self.workspace_path(&at("build", "context"), context, false);
        if stays_inside(dockerfile) {
            let joined = format!("{context}/{dockerfile}");
            let dockerfile_path = if self
                .lesson
                .root()
                .and_then(|r| r.at(&at("build", "dockerfile")))
                .is_some()
            {
                at("build", "dockerfile")
            } else {
                at("build", "context")
            };
            if stays_inside(context) {
                self.workspace_path(&dockerfile_path, &joined, true);
            }
        } else {
            self.error_at(
                &at("build", "dockerfile"),
                format!("dockerfile `{dockerfile}` must be a path inside the build context"),
            );
        }
        if let Some(solution) = solution {
            self.solution(&at("build", "solution"), solution);
        }
    }

    /// The reference Dockerfile: a file under the pack's assets.
    fn solution(&mut self, path: &YamlPath, solution: &str) {
        if super::trust::lexical(solution).is_err() {
            self.error_at(
                path,
                format!("build `solution: {solution}` must be a file inside the assets (relative, without `..`)"),
            );
            return;
        }
        let key = self.context.asset_key(solution);
        if !self.context.files.is_file(&key) {
            self.error_at(
                path,
                format!(
                    "build `solution: {solution}`: there is no file {}",
                    self.context.assets_display(solution)
                ),
            );
        }
    }

    fn run_fields(
        &mut self,
        ports: &[u16],
        volumes: &[String],
        privileged: bool,
        host_port: Option<u16>,
    ) {
        let base = self.path().key("action");
        let at = |variant: &str, field: &str| base.key(variant).key(field);
        if let Some(host_port) = host_port {
            if ports.is_empty() {
                self.error_at(
                    &at("run", "host_port"),
                    "host_port needs a container port in `ports` to publish".into(),
                );
            }
            if host_port < 1024 {
                self.error_at(
                    &at("run", "host_port"),
                    format!("host port {host_port} is privileged (below 1024): pick 1024 or above"),
                );
            }
        }
        if privileged && !self.step.confirm {
            self.error_at(
                &at("run", "privileged"),
                "a privileged container needs `confirm: true` on the step: nothing privileged \
                 runs without the learner's explicit yes"
                    .into(),
            );
        }
        for (i, port) in ports.iter().enumerate() {
            if *port == 0 {
                self.error_at(&at("run", "ports").index(i), "port 0 is not a port".into());
            }
        }
        for (i, volume) in volumes.iter().enumerate() {
            let path = at("run", "volumes").index(i);
            match volume.split_once(':') {
                Some((host, inside)) if inside.starts_with('/') => {
                    if super::trust::static_workspace_path(host).is_err() {
                        self.error_at(
                            &path,
                            format!("volume `{volume}`: `{host}` must be a workspace folder (relative, without `..`)"),
                        );
                    }
                }
                _ => self.error_at(
                    &path,
                    format!("volume `{volume}` must be `workspace-folder:/path/in/container`"),
                ),
            }
        }
    }

    fn check(&mut self, check: &Check) {
        let base = self.path().key("check");
        let at = |variant: &str, field: &str| base.key(variant).key(field);
        match check {
            Check::ContainerRunning { container } => {
                self.container(&at("container_running", "container"), container)
            }
            Check::ContainerStopped { container } => {
                self.container(&at("container_stopped", "container"), container)
            }
            Check::ContainerAbsent { container } => {
                self.container(&at("container_absent", "container"), container)
            }
            Check::PageContains {
                container, port, ..
            } => {
                self.container(&at("page_contains", "container"), container);
                self.port(&at("page_contains", "port"), container, *port);
            }
            Check::PageLacks {
                container, port, ..
            } => {
                self.container(&at("page_lacks", "container"), container);
                self.port(&at("page_lacks", "port"), container, *port);
            }
            Check::ImageIdUnchanged { saved, .. } => {
                if !self.context.saved_names.contains(saved.as_str()) {
                    let known: Vec<&str> = self.context.saved_names.iter().copied().collect();
                    self.error_at(
                        &at("image_id_unchanged", "saved"),
                        format!(
                            "no step saves `{saved}` (with save_image_id's `save_as`){}",
                            did_you_mean(saved, known.iter().copied())
                        ),
                    );
                }
            }
            Check::ChangesInclude {
                container, change, ..
            } => {
                self.container(&at("changes_include", "container"), container);
                if !matches!(change.as_str(), "added" | "changed" | "deleted") {
                    self.error_at(
                        &at("changes_include", "change"),
                        format!(
                            "unknown change `{change}`, expected one of added, changed, deleted{}",
                            did_you_mean(change, ["added", "changed", "deleted"])
                        ),
                    );
                }
            }
            Check::ChangesExclude { container, .. } => {
                self.container(&at("changes_exclude", "container"), container)
            }
            Check::ExecOutputContains { container, .. } => {
                self.container(&at("exec_output_contains", "container"), container)
            }
            Check::SameKernel { container } => {
                self.container(&at("same_kernel", "container"), container)
            }
            Check::FileContains { path, .. } => {
                self.confined(&at("file_contains", "path"), path);
            }
            Check::DaemonReachable
            | Check::ImageExists { .. }
            | Check::ImageAbsent { .. }
            | Check::LayerCountAtMost { .. }
            | Check::LayerCountDiff { .. }
            | Check::PushedMatches { .. }
            | Check::SmallerThan { .. } => {}
        }
    }

    fn question(&mut self, question: &crate::lesson::question::Question) {
        let base = self.path().key("question");
        if let Err(problem) = self.context.resolve(self.lesson_id, &question.teaches) {
            self.error_at(
                &base.key("teaches"),
                format!("teaches `{}`: {problem}", question.teaches),
            );
        }
        let answer = base.key("answer");
        match &question.answer {
            QuestionKind::Single { options, correct } => {
                let at = answer.key("single");
                self.enough_options(&at.key("options"), options.len(), "single-choice");
                if *correct >= options.len() && !options.is_empty() {
                    self.error_at(
                        &at.key("correct"),
                        format!(
                            "correct is {correct} but there are {} options, counted from 0 (0 to {})",
                            options.len(),
                            options.len() - 1
                        ),
                    );
                }
            }
            QuestionKind::Multiple { options, correct } => {
                let at = answer.key("multiple");
                self.enough_options(&at.key("options"), options.len(), "multiple-choice");
                if correct.is_empty() {
                    self.error_at(
                        &at.key("correct"),
                        "a multiple-choice question needs at least one correct option (a list of indexes, counted from 0)".into(),
                    );
                }
                let mut seen = BTreeSet::new();
                for (i, index) in correct.iter().enumerate() {
                    let path = at.key("correct").index(i);
                    if *index >= options.len() && !options.is_empty() {
                        self.error_at(
                            &path,
                            format!(
                                "correct option {index} does not exist: there are {} options, counted from 0 (0 to {})",
                                options.len(),
                                options.len() - 1
                            ),
                        );
                    } else if !seen.insert(*index) {
                        self.error_at(&path, format!("correct option {index} is listed twice"));
                    }
                }
            }
            QuestionKind::FreeText { accept } => {
                let at = answer.key("free_text").key("accept");
                if accept.is_empty() {
                    self.error_at(
                        &at,
                        "a free-text question needs at least one group of accepted words in `accept`".into(),
                    );
                }
                for (i, group) in accept.iter().enumerate() {
                    if group.is_empty() {
                        self.error_at(
                            &at.index(i),
                            "an empty group in `accept` would match nothing: give at least one word".into(),
                        );
                    }
                    for (j, word) in group.iter().enumerate() {
                        let regex = word.strip_prefix(crate::lesson::question::REGEX_PREFIX);
                        let pattern = regex.unwrap_or(word);
                        if pattern.trim().is_empty() {
                            self.error_at(
                                &at.index(i).index(j),
                                "an empty accepted word would match every answer".into(),
                            );
                        } else if let Some(pattern) = regex
                            && let Err(e) = crate::lesson::question::compile_accept_regex(pattern)
                        {
                            // Every answer would be marked wrong, silently.
                            let why = e.to_string();
                            let why = why.lines().last().unwrap_or("").trim();
                            self.error_at(
                                &at.index(i).index(j),
                                format!(
                                    "`{}` is not a regular expression that compiles: {why}",
                                    super::trust::printable(word)
                                ),
                            );
                        }
                    }
                }
            }
            QuestionKind::Order { items } => {
                if items.len() < 2 {
                    self.error_at(
                        &answer.key("order").key("items"),
                        format!(
                            "an order question needs at least two items, found {}",
                            items.len()
                        ),
                    );
                }
            }
        }
    }

    fn enough_options(&mut self, path: &YamlPath, count: usize, what: &str) {
        if count < 2 {
            self.error_at(
                path,
                format!("a {what} question needs at least two options, found {count}"),
            );
        }
    }

    /// Every `{name}` in the step's docker line, file path, action and check.
    fn placeholders(&mut self) {
        let Some(step_node) = self.lesson.root().and_then(|r| r.at(&self.path())) else {
            return;
        };
        let mut strings: Vec<(YamlPath, &str)> = Vec::new();
        for field in ["docker", "file", "action", "check", "expect"] {
            if let Some(node) = step_node.get(field) {
                collect_strings(node, &self.path().key(field), &mut strings);
            }
        }
        let known: Vec<String> = placeholders::BUILTIN
            .iter()
            .map(|s| s.to_string())
            .chain(self.context.saved_names.iter().map(|s| s.to_string()))
            .chain(self.context.containers.keys().map(|c| format!("port.{c}")))
            .chain(
                self.context
                    .containers
                    .keys()
                    .map(|c| format!("container.{c}")),
            )
            .collect();
        for (path, text) in strings {
            for name in placeholders::names(text) {
                let message = if let Some(container) = name.strip_prefix("port.") {
                    if self.context.containers.contains_key(container) {
                        continue;
                    }
                    let names: Vec<&str> = self.context.containers.keys().copied().collect();
                    format!(
                        "placeholder `{{{name}}}`: no `run` action starts a container named `{container}`{}",
                        suggestion_or_list(container, &names)
                    )
                } else {
                    if known.iter().any(|k| k == name) {
                        continue;
                    }
                    format!(
                        "unknown placeholder `{{{name}}}`, expected one of image, base_image, registry, \
                         workspace, port.NAME (a container started by `run`) or a name saved with `save_as`{}",
                        did_you_mean(name, known.iter().map(String::as_str))
                    )
                };
                self.error_at(&path, message);
            }
        }
    }
}

/// " (did you mean `x`?)" for a near miss, else " (containers: a, b)".
fn suggestion_or_list(name: &str, known: &[&str]) -> String {
    let suggestion = did_you_mean(name, known.iter().copied());
    if !suggestion.is_empty() {
        suggestion
    } else if known.is_empty() {
        " (there are none)".into()
    } else {
        format!(" (containers: {})", known.join(", "))
    }
}

fn collect_strings<'n>(node: &'n Node, path: &YamlPath, out: &mut Vec<(YamlPath, &'n str)>) {
    match &node.value {
        yaml::NodeValue::Scalar { text, .. } => out.push((path.clone(), text)),
        yaml::NodeValue::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_strings(item, &path.index(i), out);
            }
        }
        yaml::NodeValue::Map(entries) => {
            for entry in entries {
                let key = entry.key.as_scalar().unwrap_or("?");
                collect_strings(&entry.value, &path.key(key), out);
            }
        }
    }
}

/// "an `action`", "a `check`".
fn with_article(kind: &str) -> String {
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} `{kind}`")
}

fn kind_name(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Prose => "prose",
        StepKind::File => "file",
        StepKind::Action => "action",
        StepKind::Check => "check",
        StepKind::Question => "question",
        StepKind::Answer => "answer",
    }
}

/// Answers are saved under their key, so two answer steps must not share one.
fn check_answer_keys(lessons: &[LessonDoc], out: &mut Collector) {
    let mut seen: HashMap<&str, (String, Pos)> = HashMap::new();
    for lesson in lessons {
        for (index, step) in lesson.steps.iter().enumerate() {
            let Some(key) = step.as_ref().and_then(|s| s.answer_key.as_deref()) else {
                continue;
            };
            let pos = lesson.pos(&step_path(index).key("answer_key"));
            match seen.get(key) {
                Some((file, first)) => out.error(
                    &lesson.doc,
                    pos,
                    format!(
                        "duplicate answer_key `{key}`: {file}:{} already saves an answer under it",
                        first.line
                    ),
                ),
                None => {
                    seen.insert(key, (out.files.display_path(&lesson.doc.key), pos));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MANIFEST_YAML: &str =
        "format_version: 1\ntitle: {ru: Курс, en: Course}\nlessons: [l.yaml]\n";

    fn pack_with(lesson: &str, extra: &[(&str, &str)]) -> PackFiles {
        let mut files = vec![
            ("pack.yaml".to_string(), MANIFEST_YAML.as_bytes().to_vec()),
            ("l.yaml".to_string(), lesson.as_bytes().to_vec()),
            ("assets/web/Dockerfile".to_string(), b"FROM x\n".to_vec()),
            ("assets/web/index.html".to_string(), b"<h1>".to_vec()),
        ];
        for (key, contents) in extra {
            files.push((key.to_string(), contents.as_bytes().to_vec()));
        }
        PackFiles::from_memory(PackOrigin::Folder("p".into()), files)
    }

    fn problems(lesson: &str) -> Vec<String> {
        validate(&pack_with(lesson, &[]))
            .problems
            .iter()
            .map(Problem::to_string)
            .collect()
    }

    fn lesson(steps: &str) -> String {
        format!("format_version: 1\nid: l\ntitle: {{ru: У, en: L}}\nsteps:\n{steps}")
    }

    #[test]
    fn a_clean_lesson_has_no_problems_and_is_counted() {
        let text = lesson(
            "  - {id: copy, kind: action, action: {copy_assets: {from: web, to: site}}}\n  - {id: show, kind: file, file: {path: site/index.html}}\n",
        );
        let report = validate(&pack_with(&text, &[]));
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!((report.lessons, report.steps), (1, 2));
        assert!(report.is_valid());
    }

    #[test]
    fn placeholders_know_builtins_saved_names_and_ports() {
        let ok = lesson(
            "  - {id: run, kind: action, action: {run: {name: web, image: \"{image}\", ports: [80]}}}\n\
             \x20 - {id: id, kind: action, action: {save_image_id: {image: \"{image}\", save_as: first}}}\n\
             \x20 - {id: x, kind: action, docker: \"curl 127.0.0.1:{port.web} {first} ${HOME} {registry}/{base_image} {workspace}\", action: {exec: {container: web, command: \"echo ${HOME} {first}\"}}}\n",
        );
        assert_eq!(problems(&ok), Vec::<String>::new());
        let bad =
            lesson("  - {id: run, kind: action, action: {run: {name: web, image: \"{imag}\"}}}\n");
        let found = problems(&bad);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("p/l.yaml:5:"), "{found:?}");
        assert!(
            found[0].contains("unknown placeholder `{imag}`"),
            "{found:?}"
        );
        assert!(found[0].ends_with("(did you mean `image`?)"), "{found:?}");
    }

    #[test]
    fn workspace_files_from_assets_must_exist_but_learner_files_need_not() {
        let text = lesson(
            "  - {id: copy, kind: action, action: {copy_assets: {from: web, to: web}}}\n\
             \x20 - {id: a, kind: file, file: {path: web/missing.conf}}\n\
             \x20 - {id: b, kind: file, file: {path: notes/mine.txt}}\n\
             \x20 - {id: c, kind: action, action: {build: {context: web, tag: t}}}\n",
        );
        let found = problems(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("there is no file p/assets/web/missing.conf"),
            "{found:?}"
        );
    }

    #[test]
    fn one_broken_step_does_not_hide_the_others() {
        let text = lesson(
            "  - {id: a, kind: prose, text: {ru: т, en: t}, colour: red}\n\
             \x20 - {id: b, kind: prose, text: {ru: т, en: t}, needs: [nope]}\n\
             \x20 - {id: b, kind: prose, text: {ru: т}}\n",
        );
        let found = problems(&text);
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(found[0].contains("unknown field `colour`"));
        assert!(found[1].contains("needs `nope`"));
        assert!(found[2].contains("duplicate step id `b`"));
        assert!(found[3].contains("missing English text (en) in steps[2].text"));
    }

    #[test]
    fn warnings_leave_a_pack_valid() {
        let text = lesson("  - {id: a, kind: prose, text: {ru: т, en: t}}\n");
        let report = validate(&pack_with(
            &text,
            &[("draft.yaml", "x: 1\n"), ("assets/c.yaml", "")],
        ));
        let warnings: Vec<String> = report.warnings().map(Problem::to_string).collect();
        assert_eq!(
            warnings,
            vec![
                "p/draft.yaml:1:1: warning: `draft.yaml` is not listed in pack.yaml `lessons`, \
                 so layerlab ignores it (list it to use it, or move it out of the pack)"
            ]
        );
        assert!(report.is_valid());
    }

    #[test]
    fn the_embedded_pack_names_its_files_under_lessons() {
        let files = PackFiles::from_memory(
            PackOrigin::Embedded,
            [("pack.yaml", b"format_version: 9\n".to_vec())],
        );
        let first = validate(&files).problems[0].to_string();
        assert!(first.starts_with("lessons/pack.yaml:1:"), "{first}");
    }

    #[test]
    fn serde_has_the_last_word_when_the_shape_pass_saw_nothing() {
        let files = pack_with("", &[]);
        let doc = Doc {
            key: "x.yaml".into(),
            rank: 0,
            root: yaml::parse("a: 1\n").unwrap(),
            value: serde_yaml::from_str("a: 1\n").ok(),
        };
        let mut out = Collector {
            files: &files,
            problems: Vec::new(),
        };
        let read: Option<PackManifest> = typed(&doc, doc.value.clone(), 0, &mut out);
        assert!(read.is_none());
        let found: Vec<String> = out.finish().iter().map(Problem::to_string).collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("p/x.yaml:1:1: unknown field `a`"),
            "{found:?}"
        );

        // When the shape pass already explained the file, serde stays quiet.
        let mut out = Collector {
            files: &files,
            problems: Vec::new(),
        };
        let read: Option<PackManifest> = typed(&doc, doc.value.clone(), 1, &mut out);
        assert!(read.is_none());
        assert!(out.finish().is_empty());
    }

    fn valid_example_lesson() -> &'static str {
        include_str!("../../tests/fixtures/lessons/valid-example/first-image.yaml")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever a lesson file holds, validation reports and never panics.
        #[test]
        fn never_panics_on_arbitrary_text(text in "\\PC{0,300}") {
            let _ = validate(&pack_with(&text, &[]));
        }

        /// Cutting lines out of a valid lesson yields problems with real
        /// positions, never a panic.
        #[test]
        fn damaged_lessons_point_inside_the_file(cut in 0usize..200, len in 1usize..6) {
            let lines: Vec<&str> = valid_example_lesson().lines().collect();
            let start = cut % lines.len();
            let end = (start + len).min(lines.len());
            let damaged = [&lines[..start], &lines[end..]].concat().join("\n");
            let report = validate(&pack_with(&damaged, &[]));
            let line_count = damaged.lines().count().max(1) + 1;
            for problem in &report.problems {
                prop_assert!(problem.pos.line >= 1 && problem.pos.line <= line_count, "{}", problem);
                prop_assert!(problem.pos.col >= 1, "{}", problem);
            }
        }
    }
}
