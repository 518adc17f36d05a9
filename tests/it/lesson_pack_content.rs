//! The authored lesson pack (`lessons/`) read into the schema types, with the
//! rules a course author must keep: every text in both languages, unique and
//! expected step ids, `docker:` lines that are real CLI commands using only
//! placeholders the runner fills, lessons that clean up after themselves, and
//! steps that fit an 80×24 terminal. The full validator (with FILE:LINE:COL)
//! lives in `src/lesson/validate.rs`; this guards the content itself.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use layerlab::i18n::Text;
use layerlab::lesson::{Action, Check, Lesson, PackManifest, Step, StepKind};
use layerlab::quiz::QuestionKind;

/// The lessons this pack's author writes, in teaching order. Other files the
/// manifest lists (the quiz) are checked too when present on this branch.
const AUTHORED: &[(&str, &str)] = &[
    ("01-environment.yaml", "environment"),
    ("02-image-container.yaml", "image-container"),
    ("03-dockerfile.yaml", "dockerfile"),
    ("04-run.yaml", "run"),
    ("05-disposable.yaml", "disposable"),
    ("06-kernel.yaml", "kernel"),
    ("07-push.yaml", "push"),
];

/// Step ids other parts of the product (quiz `teaches`, grader, report) refer to.
const REQUIRED_STEPS: &[(&str, &[&str])] = &[
    ("environment", &["doctor", "daemon-reachable"]),
    (
        "image-container",
        &["layers", "writable-layer", "many-containers"],
    ),
    ("dockerfile", &["instructions", "build", "small-images"]),
    ("run", &["publish-port", "volume-logs"]),
    (
        "disposable",
        &["stop-start", "remove", "commit", "two-containers"],
    ),
    ("kernel", &["uname", "answer"]),
    ("push", &["tag", "push", "pull-back"]),
];

const REQUIRED_ANSWERS: &[(&str, &str)] = &[
    ("image-container", "image_vs_container"),
    ("kernel", "kernel_in_container"),
];

/// Placeholders the runner always knows: the one list the validator uses too.
const DOCUMENTED_PLACEHOLDERS: &[&str] = layerlab::lesson::placeholders::BUILTIN;

/// Room for a step's text and docker line on an 80×24 terminal, after the
/// frame, the step title and the key bar.
const WRAP_WIDTH: usize = 76;
const MAX_STEP_LINES: usize = 19;

struct LessonFile {
    file: String,
    lesson: Lesson,
}

fn pack_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn manifest() -> PackManifest {
    let path = pack_dir().join("pack.yaml");
    serde_yaml::from_str(&read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every lesson the manifest lists that exists here, in manifest order; the
/// authored ones must exist.
fn lessons() -> Vec<LessonFile> {
    let manifest = manifest();
    let mut out = Vec::new();
    for file in &manifest.lessons {
        let path = pack_dir().join(file);
        if !path.exists() {
            assert!(
                !AUTHORED.iter().any(|(f, _)| f == file),
                "{file} is listed in pack.yaml but missing"
            );
            eprintln!("note: {file} is not on this branch; not checked here");
            continue;
        }
        let lesson: Lesson = serde_yaml::from_str(&read(&path))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.push(LessonFile {
            file: file.clone(),
            lesson,
        });
    }
    out
}

fn authored_lessons() -> Vec<LessonFile> {
    lessons()
        .into_iter()
        .filter(|l| AUTHORED.iter().any(|(f, _)| *f == l.file))
        .collect()
}

fn find_step<'a>(lessons: &'a [LessonFile], lesson_id: &str, step_id: &str) -> Option<&'a Step> {
    lessons
        .iter()
        .find(|l| l.lesson.id == lesson_id)
        .and_then(|l| l.lesson.steps.iter().find(|s| s.id == step_id))
}

/// Every learner-facing text of a step, with a name for error messages.
fn step_texts(step: &Step) -> Vec<(String, &Text)> {
    let mut texts = Vec::new();
    if let Some(t) = &step.title {
        texts.push(("title".to_string(), t));
    }
    if let Some(t) = &step.text {
        texts.push(("text".to_string(), t));
    }
    if let Some(q) = &step.question {
        texts.push(("question.prompt".to_string(), &q.prompt));
        texts.push(("question.explanation".to_string(), &q.explanation));
        let options: &[Text] = match &q.answer {
            QuestionKind::Single { options, .. } | QuestionKind::Multiple { options, .. } => {
                options
            }
            QuestionKind::Order { items } => items,
            QuestionKind::FreeText { .. } => &[],
        };
        for (i, o) in options.iter().enumerate() {
            texts.push((format!("question.option[{i}]"), o));
        }
    }
    texts
}

fn assert_bilingual(where_: &str, text: &Text, problems: &mut Vec<String>) {
    for (lang, value) in [("ru", &text.ru), ("en", &text.en)] {
        match value {
            Some(v) if !v.trim().is_empty() => {}
            _ => problems.push(format!("{where_}: no {lang} text")),
        }
    }
}

#[test]
fn manifest_lists_the_lessons_in_teaching_order_with_the_homework_defaults() {
    let m = manifest();
    assert_eq!(m.format_version, 1);
    assert_eq!(m.assets, "../assets");
    assert_eq!(m.defaults.base_image.as_deref(), Some("alpine:3.22"));
    assert_eq!(
        m.defaults.image.as_deref(),
        Some("layerlab/nginx-alpine:latest")
    );
    // Alpine base (1) + RUN apk add (1) + COPY (1); EXPOSE and CMD add no layer.
    assert_eq!(m.defaults.max_layers, Some(3));
    let listed: Vec<&str> = m
        .lessons
        .iter()
        .map(String::as_str)
        .filter(|f| AUTHORED.iter().any(|(a, _)| a == f))
        .collect();
    let expected: Vec<&str> = AUTHORED.iter().map(|(f, _)| *f).collect();
    assert_eq!(listed, expected, "authored lessons missing or out of order");
    let unique: HashSet<&String> = m.lessons.iter().collect();
    assert_eq!(unique.len(), m.lessons.len(), "a lesson is listed twice");
}

#[test]
fn lesson_files_carry_their_ids_and_format_version() {
    let lessons = lessons();
    for (file, id) in AUTHORED {
        let l = lessons
            .iter()
            .find(|l| l.file == *file)
            .unwrap_or_else(|| panic!("{file} not loaded"));
        assert_eq!(l.lesson.id, *id, "{file}");
    }
    for l in &lessons {
        assert_eq!(l.lesson.format_version, 1, "{}", l.file);
        assert!(!l.lesson.steps.is_empty(), "{} has no steps", l.file);
    }
    let ids: HashSet<&str> = lessons.iter().map(|l| l.lesson.id.as_str()).collect();
    assert_eq!(ids.len(), lessons.len(), "two lessons share an id");
}

#[test]
fn every_text_has_russian_and_english() {
    let mut problems = Vec::new();
    assert_bilingual("pack.yaml: title", &manifest().title, &mut problems);
    let mut counted = 0;
    for l in &lessons() {
        assert_bilingual(
            &format!("{}: title", l.file),
            &l.lesson.title,
            &mut problems,
        );
        if let Some(summary) = &l.lesson.summary {
            assert_bilingual(&format!("{}: summary", l.file), summary, &mut problems);
        }
        for step in &l.lesson.steps {
            for (field, text) in step_texts(step) {
                counted += 1;
                assert_bilingual(
                    &format!("{}: step {}: {field}", l.file, step.id),
                    text,
                    &mut problems,
                );
            }
        }
    }
    assert!(counted > 0, "no step texts found at all");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn authored_steps_have_a_title_and_prose_has_text() {
    let mut problems = Vec::new();
    for l in &authored_lessons() {
        for step in &l.lesson.steps {
            if step.title.is_none() {
                problems.push(format!("{}: step {} has no title", l.file, step.id));
            }
            let needs_text = matches!(
                step.kind,
                StepKind::Prose | StepKind::File | StepKind::Action | StepKind::Answer
            );
            if needs_text && step.text.is_none() {
                problems.push(format!("{}: step {} has no text", l.file, step.id));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn step_ids_are_unique_per_lesson_and_kebab_case() {
    for l in &lessons() {
        let mut seen = HashSet::new();
        for step in &l.lesson.steps {
            assert!(
                seen.insert(step.id.as_str()),
                "{}: step id {} used twice",
                l.file,
                step.id
            );
            let well_formed = !step.id.is_empty()
                && step
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            assert!(well_formed, "{}: step id {:?}", l.file, step.id);
        }
    }
}

#[test]
fn the_step_ids_others_refer_to_exist() {
    let lessons = lessons();
    for (lesson_id, step_ids) in REQUIRED_STEPS {
        for step_id in *step_ids {
            assert!(
                find_step(&lessons, lesson_id, step_id).is_some(),
                "missing step {lesson_id}/{step_id}"
            );
        }
    }
    for (lesson_id, key) in REQUIRED_ANSWERS {
        let lesson = lessons
            .iter()
            .find(|l| l.lesson.id == *lesson_id)
            .unwrap_or_else(|| panic!("no lesson {lesson_id}"));
        let found = lesson
            .lesson
            .steps
            .iter()
            .any(|s| s.kind == StepKind::Answer && s.answer_key.as_deref() == Some(*key));
        assert!(
            found,
            "{lesson_id} has no answer step with answer_key {key}"
        );
    }
}

#[test]
fn steps_carry_exactly_the_payload_of_their_kind() {
    let mut problems = Vec::new();
    for l in &lessons() {
        for s in &l.lesson.steps {
            let has = [
                (StepKind::File, s.file.is_some()),
                (StepKind::Action, s.action.is_some()),
                (StepKind::Check, s.check.is_some()),
                (StepKind::Question, s.question.is_some()),
                (StepKind::Answer, s.answer_key.is_some()),
            ];
            for (kind, present) in has {
                if (s.kind == kind) != present {
                    problems.push(format!(
                        "{}: step {} is {:?} but {kind:?} payload present={present}",
                        l.file, s.id, s.kind
                    ));
                }
            }
            if s.kind == StepKind::Prose && s.docker.is_some() {
                problems.push(format!("{}: prose step {} has docker:", l.file, s.id));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn needs_point_at_existing_steps_and_never_at_optional_ones_from_the_default_flow() {
    let lessons = lessons();
    let mut problems = Vec::new();
    for l in &lessons {
        for s in &l.lesson.steps {
            for need in &s.needs {
                let (lesson_id, step_id) = need
                    .split_once('/')
                    .unwrap_or((l.lesson.id.as_str(), need.as_str()));
                match find_step(&lessons, lesson_id, step_id) {
                    None => problems.push(format!("{}: {} needs unknown {need}", l.file, s.id)),
                    Some(needed) if needed.optional && !s.optional => problems.push(format!(
                        "{}: default-flow step {} needs optional {need}",
                        l.file, s.id
                    )),
                    Some(_) => {}
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Actions the runner does without a docker CLI equivalent; the text shows
/// the shell equivalent (`cp`, `curl`, `cat`, an editor) instead.
fn has_docker_equivalent(action: &Action) -> bool {
    !matches!(
        action,
        Action::CopyAssets { .. }
            | Action::Edit { .. }
            | Action::Http { .. }
            | Action::ShowFile { .. }
            | Action::Lab { .. }
    )
}

fn saved_name(action: &Action) -> Option<&str> {
    match action {
        Action::Exec { save_as, .. } | Action::Http { save_as, .. } => save_as.as_deref(),
        Action::SaveImageId { save_as, .. } => Some(save_as),
        Action::Tag { save_as, .. } => save_as.as_deref(),
        _ => None,
    }
}

/// `{name}` placeholders in a string; an unclosed `{` is reported as `{`.
fn placeholders(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                out.push(after[..end].to_string());
                rest = &after[end + 1..];
            }
            None => {
                out.push("{".to_string());
                break;
            }
        }
    }
    out
}

/// All strings inside a serializable value (an action or a check).
fn strings_in(value: &serde_yaml::Value, out: &mut Vec<String>) {
    match value {
        serde_yaml::Value::String(s) => out.push(s.clone()),
        serde_yaml::Value::Sequence(items) => items.iter().for_each(|v| strings_in(v, out)),
        serde_yaml::Value::Mapping(map) => map.values().for_each(|v| strings_in(v, out)),
        serde_yaml::Value::Tagged(tagged) => strings_in(&tagged.value, out),
        _ => {}
    }
}

fn action_and_check_strings(step: &Step) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(a) = &step.action {
        let v = serde_yaml::to_value(a).expect("an action serializes");
        strings_in(&v, &mut out);
    }
    if let Some(c) = &step.check {
        let v = serde_yaml::to_value(c).expect("a check serializes");
        strings_in(&v, &mut out);
    }
    out
}

#[test]
fn docker_lines_are_cli_commands_using_only_known_placeholders() {
    let mut problems = Vec::new();
    // Pack order: a variable saved in lesson N may be used from then on.
    let mut saved: HashSet<String> = HashSet::new();
    let mut published: HashSet<String> = HashSet::new();
    // Containers a `run` started earlier: `{container.NAME}` names what exists
    // (the learner's own container once the watcher found it).
    let mut started: HashSet<String> = HashSet::new();
    for l in &lessons() {
        for s in &l.lesson.steps {
            let at = format!("{}: step {}", l.file, s.id);
            if let Some(action) = &s.action
                && has_docker_equivalent(action)
                && s.docker.is_none()
            {
                problems.push(format!("{at}: action without a docker: line"));
            }
            let mut uses: Vec<(String, String)> = action_and_check_strings(s)
                .into_iter()
                .map(|v| ("action/check".to_string(), v))
                .collect();
            if let Some(cmd) = &s.docker {
                if !cmd.starts_with("docker ") {
                    problems.push(format!("{at}: docker: {cmd:?} is not a docker command"));
                }
                if cmd.contains('\n') {
                    problems.push(format!("{at}: docker: spans several lines"));
                }
                uses.push(("docker".to_string(), cmd.clone()));
            }
            for (field, value) in uses {
                for name in placeholders(&value) {
                    let known = DOCUMENTED_PLACEHOLDERS.contains(&name.as_str())
                        || saved.contains(&name)
                        || name
                            .strip_prefix("port.")
                            .is_some_and(|c| published.contains(c))
                        || name
                            .strip_prefix("container.")
                            .is_some_and(|c| started.contains(c));
                    if !known {
                        problems.push(format!("{at}: {field} uses unknown {{{name}}}"));
                    }
                }
            }
            if let Some(Check::ImageIdUnchanged { saved: name, .. }) = &s.check
                && !saved.contains(name)
            {
                problems.push(format!("{at}: compares with {name}, never saved before"));
            }
            if let Some(action) = &s.action {
                if let Some(name) = saved_name(action) {
                    saved.insert(name.to_string());
                }
                if let Action::Run { name, ports, .. } = action {
                    started.insert(name.clone());
                    if !ports.is_empty() {
                        published.insert(name.clone());
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What a step's `docker:` line must contain to be the same operation as its
/// action (copy-paste slips between similar steps are the usual mistake).
fn expected_docker_parts(action: &Action) -> Vec<String> {
    match action {
        Action::Doctor => vec!["docker version".into()],
        Action::Build { context, tag, .. } => vec![
            "docker build ".into(),
            "--build-arg BASE_IMAGE={base_image}".into(),
            format!("-t {tag} "),
            // Pasted in any folder, the command must still find the context.
            format!(" \"{{workspace}}/{context}\""),
        ],
        Action::Run {
            name,
            image,
            ports,
            volumes,
            cmd,
            privileged,
            ..
        } => {
            let mut parts = vec![
                "docker run -d ".into(),
                format!("--name {name} "),
                format!(" {image}"),
            ];
            for port in ports {
                parts.push("-p 127.0.0.1:".into());
                parts.push(format!(":{port} "));
            }
            for volume in volumes {
                parts.push(format!("-v \"{{workspace}}/{volume}\""));
            }
            if *privileged {
                parts.push("--privileged ".into());
            }
            if let Some(cmd) = cmd {
                parts.push(format!("{image} {}", cmd.join(" ")));
            }
            parts
        }
        // A container started earlier is named by `{container.NAME}`: the
        // learner's own name for it once the watcher found it.
        Action::Exec { container, .. } => vec![format!("docker exec {{container.{container}}} ")],
        Action::Changes { container } => vec![format!("docker diff {{container.{container}}}")],
        Action::Stop { container } => vec![format!("docker stop {{container.{container}}}")],
        Action::Start { container } => vec![format!("docker start {{container.{container}}}")],
        Action::RemoveContainer { container } => {
            vec![format!("docker rm -f {{container.{container}}}")]
        }
        Action::Commit { container, tag } => {
            vec![format!("docker commit {{container.{container}}} {tag}")]
        }
        Action::Tag { source, target, .. } => vec![format!("docker tag {source} {target}")],
        Action::Push { image } => vec![format!("docker push {image}")],
        Action::Pull { image } => vec![format!("docker pull {image}")],
        Action::RemoveImage { image } => vec![format!("docker rmi {image}")],
        Action::Load { path } => vec![format!("docker load -i {path}")],
        Action::SaveImageId { image, .. } => vec!["docker images ".into(), format!(" {image}")],
        Action::Kernel { container } => {
            vec![format!("docker exec {{container.{container}}} uname -r")]
        }
        Action::Layers { image, compare } => match compare {
            None => vec![format!("docker history {image}")],
            Some(_) => vec!["docker image ls ".into()],
        },
        Action::CopyAssets { .. }
        | Action::Edit { .. }
        | Action::Http { .. }
        | Action::ShowFile { .. }
        | Action::Lab { .. } => vec![],
    }
}

#[test]
fn docker_lines_do_what_their_actions_do() {
    let mut problems = Vec::new();
    let mut compared = 0;
    for l in &lessons() {
        for s in &l.lesson.steps {
            let (Some(action), Some(cmd)) = (&s.action, &s.docker) else {
                continue;
            };
            let line = format!("{cmd} ");
            for part in expected_docker_parts(action) {
                compared += 1;
                if !line.contains(&part) {
                    problems.push(format!("{}: {}: {cmd:?} lacks {part:?}", l.file, s.id));
                }
            }
        }
    }
    assert!(compared > 0);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn texts_do_not_depend_on_placeholder_substitution() {
    // The schema fills placeholders in actions, checks and docker lines only;
    // a `{image}` in prose would reach the learner verbatim.
    let mut problems = Vec::new();
    for l in &authored_lessons() {
        for s in &l.lesson.steps {
            for (field, text) in step_texts(s) {
                for value in [&text.ru, &text.en].into_iter().flatten() {
                    for name in placeholders(value) {
                        let runner_name = DOCUMENTED_PLACEHOLDERS.contains(&name.as_str())
                            || name.starts_with("port.");
                        if runner_name {
                            problems.push(format!("{}: {}: {field}: {{{name}}}", l.file, s.id));
                        }
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn container_of_check(check: &Check) -> Option<&str> {
    match check {
        Check::ContainerRunning { container }
        | Check::ContainerStopped { container }
        | Check::PageContains { container, .. }
        | Check::PageLacks { container, .. }
        | Check::ChangesInclude { container, .. }
        | Check::ChangesExclude { container, .. }
        | Check::ExecOutputContains { container, .. }
        | Check::SameKernel { container } => Some(container),
        _ => None,
    }
}

fn container_of_action(action: &Action) -> Option<&str> {
    match action {
        Action::Exec { container, .. }
        | Action::Http { container, .. }
        | Action::Changes { container }
        | Action::Stop { container }
        | Action::Start { container }
        | Action::Commit { container, .. }
        | Action::Kernel { container } => Some(container),
        _ => None,
    }
}

#[test]
fn lessons_start_the_containers_they_use_and_remove_them_at_the_end() {
    let mut problems = Vec::new();
    for l in &authored_lessons() {
        let mut alive: BTreeSet<String> = BTreeSet::new();
        for s in &l.lesson.steps {
            let at = format!("{}: step {}", l.file, s.id);
            let used = s
                .action
                .as_ref()
                .and_then(container_of_action)
                .or(s.check.as_ref().and_then(container_of_check));
            if let Some(c) = used
                && !alive.contains(c)
            {
                problems.push(format!("{at}: uses container {c} not started before"));
            }
            let (started, removed) = match &s.action {
                Some(Action::Run { name, .. }) => (Some(name), None),
                Some(Action::RemoveContainer { container }) => (None, Some(container)),
                _ => (None, None),
            };
            if let Some(name) = started
                && !alive.insert(name.clone())
            {
                problems.push(format!("{at}: starts {name} twice"));
            }
            if let Some(container) = removed
                && !alive.remove(container)
            {
                problems.push(format!("{at}: removes {container} not running"));
            }
        }
        if !alive.is_empty() {
            problems.push(format!("{}: leaves containers behind: {alive:?}", l.file));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn privileged_and_slow_work_is_opt_in() {
    let lessons = authored_lessons();
    let mut privileged = 0;
    for l in &lessons {
        for s in &l.lesson.steps {
            if let Some(Action::Run {
                privileged: true, ..
            }) = &s.action
            {
                privileged += 1;
                assert!(
                    s.optional && s.confirm,
                    "{}: privileged run {} must be optional and confirmed",
                    l.file,
                    s.id
                );
            }
        }
    }
    assert!(
        privileged > 0,
        "the kernel lesson's privileged demo is gone"
    );
    let kernel = lessons
        .iter()
        .find(|l| l.lesson.id == "kernel")
        .expect("kernel lesson");
    let compile: Vec<&Step> = kernel
        .lesson
        .steps
        .iter()
        .filter(
            |s| matches!(&s.action, Some(Action::Exec { command, .. }) if command.contains("make")),
        )
        .collect();
    assert!(!compile.is_empty(), "no kernel compile step");
    for s in compile {
        assert!(s.optional && s.confirm, "{} must be opt-in", s.id);
    }
}

#[test]
fn the_homework_checks_agree_with_the_manifest() {
    let m = manifest();
    let lessons = lessons();
    let build = find_step(&lessons, "dockerfile", "build").expect("dockerfile/build");
    match &build.action {
        Some(Action::Build { context, tag, .. }) => {
            assert_eq!(context, "nginx-alpine");
            assert_eq!(tag, "{image}");
        }
        other => panic!("dockerfile/build is {other:?}"),
    }
    assert_eq!(
        build.docker.as_deref(),
        Some(
            "docker build --build-arg BASE_IMAGE={base_image} -t {image} \"{workspace}/nginx-alpine\""
        )
    );
    let max = lessons
        .iter()
        .flat_map(|l| &l.lesson.steps)
        .find_map(|s| match &s.check {
            Some(Check::LayerCountAtMost { image, max }) if image == "{image}" => Some(*max),
            _ => None,
        })
        .expect("a layer_count_at_most check on {image}");
    assert_eq!(Some(max), m.defaults.max_layers);
}

/// Lines of a text that continue the paragraph of the line before them: the
/// authored texts keep one paragraph (or list item) per line, so they read
/// the same whether the screen wraps lines itself or joins them like Markdown.
fn hard_wrapped_lines(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_fence = false;
    let mut previous_is_paragraph = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_fence = !in_fence;
            previous_is_paragraph = false;
            continue;
        }
        let starts_block =
            line.trim().is_empty() || line.starts_with("# ") || line.starts_with("- ");
        if !in_fence && !starts_block && previous_is_paragraph {
            found.push(line.to_string());
        }
        previous_is_paragraph = !in_fence && !line.trim().is_empty() && !line.starts_with("# ");
    }
    found
}

#[test]
fn hard_wrap_detection_spots_continued_paragraphs() {
    assert!(hard_wrapped_lines("one paragraph\n\nanother").is_empty());
    assert!(hard_wrapped_lines("# head\ntext\n- item\n- item").is_empty());
    assert!(hard_wrapped_lines("```\ncode\ncode\n```").is_empty());
    assert_eq!(hard_wrapped_lines("broken\nparagraph"), vec!["paragraph"]);
}

#[test]
fn paragraphs_are_single_lines() {
    let mut problems = Vec::new();
    for l in &authored_lessons() {
        for s in &l.lesson.steps {
            for (field, text) in step_texts(s) {
                for value in [&text.ru, &text.en].into_iter().flatten() {
                    for line in hard_wrapped_lines(value) {
                        problems.push(format!("{}: {}: {field}: {line:?}", l.file, s.id));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Greedy word wrap, counting characters (the texts use no wide characters).
fn wrapped_lines(text: &str, width: usize) -> usize {
    text.trim_end()
        .lines()
        .map(|line| {
            let mut rows = 1;
            let mut used = 0;
            for word in line.split(' ') {
                let len = word.chars().count();
                let needed = if used == 0 { len } else { used + 1 + len };
                if needed > width && used > 0 {
                    rows += 1 + (len.saturating_sub(1)) / width;
                    used = len % width;
                } else {
                    used = needed;
                }
            }
            rows
        })
        .sum()
}

#[test]
fn word_wrap_counts_rows() {
    assert_eq!(wrapped_lines("a b", 3), 1);
    assert_eq!(wrapped_lines("aa bb", 3), 2);
    assert_eq!(wrapped_lines("a\n\nb", 10), 3);
}

#[test]
fn every_step_fits_an_80_by_24_terminal() {
    let mut problems = Vec::new();
    for l in &authored_lessons() {
        for s in &l.lesson.steps {
            for (lang, pick) in [("ru", 0), ("en", 1)] {
                let text = s.text.as_ref().and_then(|t| {
                    if pick == 0 {
                        t.ru.as_deref()
                    } else {
                        t.en.as_deref()
                    }
                });
                let mut rows = text.map_or(0, |t| wrapped_lines(t, WRAP_WIDTH));
                if let Some(cmd) = &s.docker {
                    rows += 1 + wrapped_lines(cmd, WRAP_WIDTH);
                }
                if rows > MAX_STEP_LINES {
                    problems.push(format!("{}: {} ({lang}): {rows} rows", l.file, s.id));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn documented_one_key_map_syntax_parses_for_actions_checks_and_questions() {
    // The schema documents `action: {build: {...}}`; serde_yaml 0.9 needs the
    // singleton-map adapters on Step for that, including the quiz's nested enum.
    let yaml = r#"
id: probe
kind: question
question:
  prompt: {ru: "Что?", en: "What?"}
  answer: {single: {options: [{ru: "а", en: "a"}, {ru: "б", en: "b"}], correct: 1}}
  explanation: {ru: "Потому что.", en: "Because."}
  teaches: image-container/layers
"#;
    let step: Step = serde_yaml::from_str(yaml).expect("question step parses");
    let q = step.question.expect("question present");
    assert!(matches!(q.answer, QuestionKind::Single { correct: 1, .. }));
    let action: Step =
        serde_yaml::from_str("{id: a, kind: action, action: {build: {context: c, tag: t}}}")
            .expect("action step parses");
    assert!(
        matches!(action.action, Some(Action::Build { ref dockerfile, .. }) if dockerfile == "Dockerfile")
    );
    let unit: Step = serde_yaml::from_str("{id: c, kind: check, check: daemon_reachable}")
        .expect("unit check parses");
    assert!(matches!(unit.check, Some(Check::DaemonReachable)));
    let typo = serde_yaml::from_str::<Step>(
        "{id: a, kind: action, action: {build: {context: c, tagg: t}}}",
    );
    assert!(
        typo.is_err(),
        "unknown fields inside an action are rejected"
    );
}

#[test]
fn pack_texts_found_by_walking_the_raw_yaml_are_bilingual() {
    // A second, schema-independent look: any map whose keys are only ru/en
    // is a Text, wherever a later schema change puts it.
    fn walk(v: &serde_yaml::Value, path: &str, problems: &mut Vec<String>, found: &mut usize) {
        match v {
            serde_yaml::Value::Mapping(map) => {
                let keys: Vec<&str> = map.keys().filter_map(|k| k.as_str()).collect();
                let is_text = !keys.is_empty() && keys.iter().all(|k| *k == "ru" || *k == "en");
                if is_text {
                    *found += 1;
                    for lang in ["ru", "en"] {
                        let ok = map
                            .get(lang)
                            .and_then(|s| s.as_str())
                            .is_some_and(|s| !s.trim().is_empty());
                        if !ok {
                            problems.push(format!("{path}: no {lang}"));
                        }
                    }
                    return;
                }
                for (k, child) in map {
                    let key = k.as_str().unwrap_or("?");
                    walk(child, &format!("{path}.{key}"), problems, found);
                }
            }
            serde_yaml::Value::Sequence(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{path}[{i}]"), problems, found);
                }
            }
            _ => {}
        }
    }
    let mut problems = Vec::new();
    let mut files: Vec<String> = vec!["pack.yaml".into()];
    files.extend(lessons().into_iter().map(|l| l.file));
    let mut per_file: HashMap<String, usize> = HashMap::new();
    for file in &files {
        let raw: serde_yaml::Value = serde_yaml::from_str(&read(&pack_dir().join(file)))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut found = 0;
        walk(&raw, file, &mut problems, &mut found);
        per_file.insert(file.clone(), found);
    }
    for (file, found) in &per_file {
        assert!(*found > 0, "{file}: no texts found");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
