//! The lesson pack's trust boundary (issue 11, items 1, 2, 8, 9 and 13's
//! pack messages), driven as a teacher and a learner would: `layerlab
//! validate` and `layerlab run` on packs written here, symlinks made at run
//! time in a tempdir (git keeps them badly in fixtures), and the TUI's
//! `App` for the y/N before host access and for question steps outside
//! the quiz lesson. The static cases with `FILE:LINE:COL` are fixtures
//! (`escaping-paths`, `escaping-assets`, `bad-regex`) checked by
//! `lesson_fixtures.rs`.

use crate::common;
use crate::walkthrough::Learner;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use layerlab::i18n::Lang;
use layerlab::lesson::loader::Pack;
use layerlab::progress::Progress;
use layerlab::tui::app::{App, Effect, Screen};
use layerlab::tui::event::Event;
use layerlab::tui::screens::lesson::{LessonScreen, Prompt};
use layerlab::tui::worker::WorkerRequest;

fn valid_example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lessons/valid-example")
}

fn layerlab(data: &Path) -> Command {
    let mut command = Command::cargo_bin("layerlab").expect("the layerlab binary");
    command
        .env("LAYERLAB_DATA_DIR", data)
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES");
    command
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir` (links not followed), for "the secret is nowhere".
fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            all_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn validate(data: &Path, pack: &Path) -> (Option<i32>, String, String) {
    let output = layerlab(data).arg("validate").arg(pack).output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn links_out_of_a_pack_are_refused_and_nothing_is_copied() {
    let top = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let outside = top.path().join("outside");
    std::fs::create_dir_all(outside.join("dotdocker")).unwrap();
    std::fs::write(outside.join("secret.txt"), "TOKEN=s3cr3t-value\n").unwrap();
    std::fs::write(
        outside.join("dotdocker/config.json"),
        r#"{"auths":{"x":{"auth":"s3cr3t-value"}}}"#,
    )
    .unwrap();
    let pack = top.path().join("pack");
    copy_tree(&valid_example(), &pack);
    let web = pack.join("assets/web");
    std::os::unix::fs::symlink(outside.join("secret.txt"), web.join("secret.txt")).unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", web.join("environ")).unwrap();
    std::os::unix::fs::symlink(outside.join("dotdocker"), web.join("docker")).unwrap();
    // A link that stays inside the pack is fine.
    std::os::unix::fs::symlink("index.html", web.join("home.html")).unwrap();

    let (code, stdout, stderr) = validate(data.path(), &pack);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let at = |name: &str| {
        format!(
            "{}:1:1: a symbolic link out of the pack",
            web.join(name).display()
        )
    };
    for name in ["secret.txt", "environ", "docker"] {
        assert!(stdout.contains(&at(name)), "{name} not refused:\n{stdout}");
    }
    assert!(
        !stdout.contains("home.html"),
        "an inside link is fine:\n{stdout}"
    );
    assert_eq!(stdout.lines().count(), 3, "{stdout}");

    // The learner runs the lesson anyway: the pack does not load, so the
    // copy step never happens and no secret reaches the workspace.
    let run = layerlab(data.path())
        .arg("--lessons")
        .arg(&pack)
        .args(["run", "first-image"])
        .env("DOCKER_HOST", "unix:///nonexistent/layerlab-trust.sock")
        .output()
        .unwrap();
    assert!(!run.status.success());
    let mut files = Vec::new();
    all_files(data.path(), &mut files);
    for file in files {
        let text = std::fs::read(&file).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&text).contains("s3cr3t"),
            "{} holds the secret",
            file.display()
        );
    }

    // Without the links out, the same pack is valid.
    for name in ["secret.txt", "environ", "docker"] {
        std::fs::remove_file(web.join(name)).unwrap();
    }
    let (code, stdout, _) = validate(data.path(), &pack);
    assert_eq!(code, Some(0), "{stdout}");
}

#[test]
fn assets_beside_the_pack_must_really_be_beside_it() {
    let top = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let course = top.path().join("course");
    let pack = course.join("pack");
    copy_tree(&valid_example(), &pack);
    let manifest = std::fs::read_to_string(pack.join("pack.yaml")).unwrap();
    std::fs::write(
        pack.join("pack.yaml"),
        manifest.replace("assets: assets", "assets: ../assets"),
    )
    .unwrap();
    // `../assets` as a real folder beside the pack: the repository's layout.
    std::fs::rename(pack.join("assets"), course.join("assets")).unwrap();
    let (code, stdout, _) = validate(data.path(), &pack);
    assert_eq!(code, Some(0), "{stdout}");

    // `../assets` as a link to a folder somewhere else (the learner's home).
    let home = top.path().join("home");
    std::fs::rename(course.join("assets"), &home).unwrap();
    std::os::unix::fs::symlink(&home, course.join("assets")).unwrap();
    let (code, stdout, _) = validate(data.path(), &pack);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("a symbolic link out of the pack"),
        "{stdout}"
    );
}

#[test]
fn a_byte_order_mark_is_not_a_second_document() {
    let top = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let pack = top.path().join("pack");
    copy_tree(&valid_example(), &pack);
    for file in ["pack.yaml", "first-image.yaml"] {
        let text = std::fs::read(pack.join(file)).unwrap();
        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend(text);
        std::fs::write(pack.join(file), with_bom).unwrap();
    }
    let (code, stdout, stderr) = validate(data.path(), &pack);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(stdout, "OK: 1 lessons, 16 steps\n");
}

#[test]
fn the_assets_folder_is_optional_unless_named() {
    let top = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let pack = top.path().join("pack");
    std::fs::create_dir_all(&pack).unwrap();
    std::fs::write(
        pack.join("pack.yaml"),
        "format_version: 1\ntitle: {ru: Т, en: T}\nlessons: [one.yaml]\n",
    )
    .unwrap();
    std::fs::write(
        pack.join("one.yaml"),
        "format_version: 1\nid: one\ntitle: {ru: Один, en: One}\nsteps:\n  - id: up\n    kind: check\n    check: daemon_reachable\n",
    )
    .unwrap();
    let (code, stdout, stderr) = validate(data.path(), &pack);
    assert_eq!(code, Some(0), "{stdout}{stderr}");

    // Named but missing is still a mistake worth a line.
    std::fs::write(
        pack.join("pack.yaml"),
        "format_version: 1\ntitle: {ru: Т, en: T}\nlessons: [one.yaml]\nassets: files\n",
    )
    .unwrap();
    let (code, stdout, _) = validate(data.path(), &pack);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("pack.yaml:4:9: assets folder `files` not found"),
        "{stdout}"
    );
}

#[test]
fn deep_nesting_in_pack_yaml_stops_at_the_depth_limit_at_once() {
    let data = tempfile::tempdir().unwrap();
    for opening in ["a: [", "{a: ", "["] {
        let top = tempfile::tempdir().unwrap();
        let pack = top.path().join("pack");
        copy_tree(&valid_example(), &pack);
        std::fs::write(pack.join("pack.yaml"), opening.repeat(200_000)).unwrap();
        let started = Instant::now();
        let (code, stdout, _) = validate(data.path(), &pack);
        let took = started.elapsed();
        assert_eq!(code, Some(1), "{opening}: {stdout}");
        // The error comes from the parser's depth limit, not from a timeout.
        assert!(
            stdout.contains(&format!("{}:1:", pack.join("pack.yaml").display()))
                && stdout.contains("recursion limit exceeded"),
            "{opening}: {stdout}"
        );
        // Before the fix `a: [` × 200,000 took minutes (quadratic); a debug
        // build on a busy 2-core machine does it in well under a second.
        assert!(took < Duration::from_secs(10), "{opening}: {took:?}");
    }
}

// ---- at run time: paths that escape only once a value is filled in ----

/// A lesson whose run step mounts a folder named by a value saved from an
/// exec's output (`{root}`), then one that climbs out through `{up}`, and
/// reads through a link planted in the workspace.
fn write_runtime_pack(dir: &Path, outside: &Path) {
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "pack.yaml",
        "format_version: 1\ntitle: {ru: Доверие, en: Trust}\nlessons: [mount.yaml, climb.yaml, read.yaml, copy.yaml]\nassets: assets\n",
    );
    write("assets/web/index.html", "<h1>hi</h1>\n");
    let head =
        |id: &str| format!("format_version: 1\nid: {id}\ntitle: {{ru: {id}, en: {id}}}\nsteps:\n");
    let saver = |value: &str, name: &str| {
        format!(
            "  - id: box\n    kind: action\n    action:\n      run: {{name: box, image: \"{{base_image}}\", cmd: [sleep, \"60\"]}}\n  - id: say\n    kind: action\n    action:\n      exec: {{container: box, command: \"echo {value}\", save_as: {name}}}\n"
        )
    };
    // The mount: `{root}` is the outside folder, absolute.
    write(
        "mount.yaml",
        &format!(
            "{}{}  - id: evil\n    kind: action\n    action:\n      run:\n        name: evil\n        image: \"{{base_image}}\"\n        volumes: [\"{{root}}:/host\"]\n        cmd: [sh, -c, \"touch /host/pwned; sleep 60\"]\n",
            head("mount"),
            saver(&outside.display().to_string(), "root")
        ),
    );
    // The climb: `{workspace}/{up}/escaped` with up = `..`.
    write(
        "climb.yaml",
        &format!(
            "{}{}  - id: evil\n    kind: action\n    action:\n      run:\n        name: evil\n        image: \"{{base_image}}\"\n        volumes: [\"{{workspace}}/{{up}}/escaped:/host\"]\n",
            head("climb"),
            saver("..", "up")
        ),
    );
    // Reading through a link in the workspace.
    write(
        "read.yaml",
        &format!(
            "{}  - id: show\n    kind: action\n    action:\n      show_file: {{path: logs/access.log}}\n",
            head("read")
        ),
    );
    // Copying into a workspace folder that is a link out.
    write(
        "copy.yaml",
        &format!(
            "{}  - id: copy\n    kind: action\n    action:\n      copy_assets: {{from: web, to: site}}\n",
            head("copy")
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_refuses_paths_that_escape_once_filled_and_touches_nothing_outside() {
    let Some(docker) = common::docker_or_skip().await else {
        return;
    };
    let busybox = common::busybox_image(&docker).await;
    let top = tempfile::tempdir().unwrap();
    let outside = top.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "TOKEN=s3cr3t-value\n").unwrap();
    let pack = top.path().join("pack");
    write_runtime_pack(&pack, &outside);

    // The pack is valid: nothing in its text escapes.
    let data = tempfile::tempdir().unwrap();
    let (code, stdout, _) = validate(data.path(), &pack);
    assert_eq!(code, Some(0), "{stdout}");

    let learner = Learner::new("trust");
    let workspace = learner.workspace();
    std::fs::create_dir_all(workspace.join("logs")).unwrap();
    std::os::unix::fs::symlink(
        outside.join("secret.txt"),
        workspace.join("logs/access.log"),
    )
    .unwrap();
    std::os::unix::fs::symlink(&outside, workspace.join("site")).unwrap();
    let pack_arg = pack.display().to_string();
    let run = |lesson: &'static str| {
        let args = [
            "--lessons",
            pack_arg.as_str(),
            "run",
            lesson,
            "--base-image",
            busybox.as_str(),
        ]
        .map(str::to_string);
        let learner = &learner;
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            learner.run(&args).await
        }
    };
    let before = std::fs::read_dir(&outside).unwrap().count();

    for lesson in ["mount", "climb"] {
        let outcome = run(lesson).await;
        let leftovers = learner.leftover_containers(&docker).await;
        learner.remove_leftovers(&docker).await;
        assert!(!outcome.ok(), "{lesson}: {outcome}");
        assert!(
            outcome.stdout.contains(&format!("✔ {lesson}/say")),
            "{lesson}: the value was saved first: {outcome}"
        );
        let failure = outcome.failure_of("evil");
        assert!(
            failure.contains("step refused") && failure.contains("must stay inside"),
            "{lesson}: {outcome}"
        );
        assert!(leftovers.is_empty(), "{lesson}: {leftovers:?}");
    }
    // Nothing was mounted: the container that would have touched the
    // outside folder never ran, and the climb created no folder.
    assert!(!outside.join("pwned").exists());
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), before);
    assert!(!learner.data.path().join("escaped").exists());
    assert!(!workspace.join("escaped").exists());
    // No container named `evil` exists, running or not.
    let evil = format!("{}-evil", learner.prefix);
    assert!(
        docker.inspect_container(&evil).await.is_err(),
        "{evil} was created"
    );

    let read = run("read").await;
    assert!(!read.ok(), "{read}");
    assert!(
        read.failure_of("show")
            .contains("symbolic link leads outside"),
        "{read}"
    );
    assert!(
        !read.all().contains("s3cr3t"),
        "the secret was read: {read}"
    );

    let copy = run("copy").await;
    assert!(!copy.ok(), "{copy}");
    assert!(copy.failure_of("copy").contains("step refused"), "{copy}");
    assert!(
        !outside.join("index.html").exists(),
        "written through the link"
    );
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), before);
}

// ---- the TUI: y/N before host access, questions outside the quiz ----

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Event::Terminal(TermEvent::Key(KeyEvent::new(
        code,
        KeyModifiers::NONE,
    ))))
}

fn drawn(app: &App) -> String {
    let area = ratatui::layout::Rect::new(0, 0, 120, 40);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    ratatui::widgets::Widget::render(app, area, &mut buf);
    let mut out = String::new();
    for y in 0..area.height {
        for x in 0..area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn app_at(pack: &Pack, dir: &Path, lesson_id: &str, step_id: &str) -> App {
    let progress = Progress::open(&dir.join("progress.json")).unwrap().progress;
    let mut app = App::new(
        Lang::En,
        pack.manifest.title.clone(),
        pack.lessons.clone(),
        progress,
        "layerlab/nginx-alpine:latest".into(),
    );
    app.vars = [
        ("base_image", "alpine:3.22"),
        ("image", "layerlab/nginx-alpine:latest"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let lesson = pack.lessons.iter().position(|l| l.id == lesson_id).unwrap();
    let step = pack.lessons[lesson]
        .steps
        .iter()
        .position(|s| s.id == step_id)
        .unwrap();
    app.screen = Screen::Lesson(LessonScreen::new(lesson, step));
    app
}

fn consent_prompt(app: &App) -> Option<String> {
    match &app.screen {
        Screen::Lesson(view) => match &view.prompt {
            Some(Prompt::Consent { command, .. }) => Some(command.clone()),
            _ => None,
        },
        _ => None,
    }
}

#[test]
fn a_privileged_step_runs_only_after_an_explicit_y_with_the_command_shown() {
    let dir = tempfile::tempdir().unwrap();
    let pack = Pack::embedded().unwrap();
    let mut app = app_at(&pack, dir.path(), "kernel", "privileged-demo");

    assert_eq!(
        key(&mut app, KeyCode::Enter),
        Vec::new(),
        "Enter alone runs nothing"
    );
    let command = consent_prompt(&app).expect("the y/N prompt");
    assert!(
        command.starts_with("docker run -d --name ") && command.contains(" --privileged "),
        "{command}"
    );
    assert!(
        command.ends_with(" layerlab/nginx-alpine:latest"),
        "{command}"
    );
    let screen = drawn(&app);
    assert!(screen.contains("--privileged"), "{screen}");
    assert!(screen.contains("y for yes"), "{screen}");

    // Enter, n and Esc are all no.
    for no in [KeyCode::Enter, KeyCode::Char('n')] {
        assert_eq!(key(&mut app, no), Vec::new());
        assert!(consent_prompt(&app).is_none());
        assert!(app.running.is_none());
        key(&mut app, KeyCode::Enter);
        assert!(consent_prompt(&app).is_some());
    }
    assert_eq!(key(&mut app, KeyCode::Esc), Vec::new());
    assert!(app.running.is_none());

    key(&mut app, KeyCode::Enter);
    assert_eq!(
        key(&mut app, KeyCode::Char('y')),
        vec![
            Effect::Worker(WorkerRequest::Consent {
                lesson: "kernel".into(),
                step: "privileged-demo".into(),
            }),
            Effect::Worker(WorkerRequest::RunStep {
                lesson: "kernel".into(),
                step: "privileged-demo".into(),
            }),
        ]
    );
}

/// `n` at the y/N only refuses: the learner stays on the step, the step
/// says it did not run, and that note goes once the learner moves on.
#[test]
fn no_to_host_access_refuses_stays_and_the_note_goes_with_the_step() {
    let dir = tempfile::tempdir().unwrap();
    let pack = Pack::embedded().unwrap();
    for (lang, no, refused) in [
        (Lang::En, 'n', "did not agree to host access"),
        (Lang::Ru, 'н', "не подтвердили доступ к хосту"),
    ] {
        let mut app = app_at(&pack, dir.path(), "kernel", "privileged-demo");
        app.lang = lang;
        let at = |app: &App| match &app.screen {
            Screen::Lesson(view) => view.step,
            _ => usize::MAX,
        };
        let step = at(&app);
        key(&mut app, KeyCode::Enter);
        assert!(consent_prompt(&app).is_some());
        assert_eq!(key(&mut app, KeyCode::Char(no)), Vec::new());
        assert!(consent_prompt(&app).is_none());
        assert_eq!(at(&app), step, "{lang:?}: no does not move on");
        let screen = drawn(&app);
        assert!(screen.contains(refused), "{lang:?}: {screen}");
        key(&mut app, KeyCode::Right);
        assert_eq!(at(&app), step + 1);
        let next = drawn(&app);
        assert!(!next.contains(refused), "{lang:?}: the note went: {next}");
        assert!(
            app.notice.is_none(),
            "{lang:?}: nothing sticks in the status bar"
        );
    }
}

#[test]
fn an_ordinary_step_runs_without_asking() {
    let dir = tempfile::tempdir().unwrap();
    let pack = Pack::embedded().unwrap();
    let mut app = app_at(&pack, dir.path(), "kernel", "start-kernel-lab");
    // `d`: layerlab does it (Enter leaves it to the learner's own terminal).
    assert_eq!(
        key(&mut app, KeyCode::Char('d')),
        vec![Effect::Worker(WorkerRequest::RunStep {
            lesson: "kernel".into(),
            step: "start-kernel-lab".into(),
        })]
    );
    assert!(consent_prompt(&app).is_none());
}

#[test]
fn a_question_step_outside_the_quiz_shows_its_question_and_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    // The README's complete example: its lesson is `first-image`, not `quiz`.
    let pack = Pack::load(Some(&valid_example())).unwrap();
    let mut app = app_at(&pack, dir.path(), "first-image", "layers-question");

    let screen = drawn(&app);
    assert!(
        screen.contains("How many layers does a COPY instruction add?"),
        "the body shows the question:\n{screen}"
    );

    // Enter opens the question; leaving without an answer does not complete it.
    assert_eq!(key(&mut app, KeyCode::Enter), Vec::new());
    assert!(matches!(app.screen, Screen::Quiz(_)));
    assert!(!app.progress.is_done("first-image", "layers-question"));
    let quiz = drawn(&app);
    assert!(quiz.contains("One per file"), "{quiz}");
    key(&mut app, KeyCode::Esc);
    assert!(matches!(app.screen, Screen::Lesson(_)));
    assert!(
        !app.progress.is_done("first-image", "layers-question"),
        "Enter and Esc without an answer must not tick it"
    );

    // Answered: the verdict and explanation show, and going on completes it.
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    let answered = drawn(&app);
    assert!(
        answered.contains("Right") || answered.contains("Wrong"),
        "{answered}"
    );
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.screen, Screen::Lesson(_)));
    assert!(app.progress.is_done("first-image", "layers-question"));
    let Screen::Lesson(view) = &app.screen else {
        unreachable!()
    };
    assert_eq!(
        pack.lessons[view.lesson].steps[view.step].id, "kernel-question",
        "the lesson moves on"
    );
    // The quiz lesson's own saved session is untouched.
    assert!(app.progress.quiz_session().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headless_run_needs_yes_for_a_privileged_step_and_prints_it_in_full_first() {
    let Some(docker) = common::docker_or_skip().await else {
        return;
    };
    let busybox = common::busybox_image(&docker).await;
    let top = tempfile::tempdir().unwrap();
    let pack = top.path().join("pack");
    std::fs::create_dir_all(&pack).unwrap();
    std::fs::write(
        pack.join("pack.yaml"),
        "format_version: 1\ntitle: {ru: П, en: P}\nlessons: [priv.yaml]\n",
    )
    .unwrap();
    std::fs::write(
        pack.join("priv.yaml"),
        "format_version: 1\nid: priv\ntitle: {ru: П, en: P}\nsteps:\n  - id: look\n    kind: action\n    confirm: true\n    docker: docker run -d --name look --privileged -v \"{workspace}/out:/out\" {base_image} true\n    action:\n      run:\n        name: look\n        image: \"{base_image}\"\n        privileged: true\n        volumes: [\"out:/out\"]\n        cmd: [\"true\"]\n",
    )
    .unwrap();
    let learner = Learner::new("priv");
    let pack_arg = pack.display().to_string();
    let base = [
        "--lessons",
        pack_arg.as_str(),
        "run",
        "priv",
        "--base-image",
        busybox.as_str(),
    ];

    let without = learner.run(&base).await;
    let leftovers = learner.leftover_containers(&docker).await;
    learner.remove_leftovers(&docker).await;
    assert!(
        without.stdout.contains("- look: skipped"),
        "without --yes it is skipped: {without}"
    );
    assert!(!without.stdout.contains("--privileged"), "{without}");
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(!learner.workspace().join("out").exists(), "nothing made");

    let mut with_yes = base.to_vec();
    with_yes.push("--yes");
    let with = learner.run(&with_yes).await;
    learner.remove_leftovers(&docker).await;
    // A daemon in a container may refuse privileges ("unable to apply caps"):
    // the step is then tried and fails, which is fine here; what matters is
    // that it was tried only with --yes, after its full command was shown.
    let real_out = std::fs::canonicalize(learner.workspace().join("out")).unwrap();
    let shown = format!(
        "! priv/look: --yes: docker run -d --name {}-look --privileged -v {}:/out {busybox} true",
        learner.prefix,
        real_out.display()
    );
    let shown_at = with.stdout.find(&shown);
    let ran_at = with
        .stdout
        .find("✔ priv/look")
        .or_else(|| with.stdout.find("✘ priv/look"));
    assert!(
        shown_at.is_some() && ran_at.is_some() && shown_at < ran_at,
        "the full command comes before the step runs:\n{shown}\n{with}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runner_itself_refuses_host_access_without_a_yes() {
    // What the TUI's worker relies on when no `y` came for the step.
    let Some(docker) = common::docker_or_skip().await else {
        return;
    };
    let pack = std::sync::Arc::new(Pack::embedded().unwrap());
    let (lesson, step) = pack.step("kernel/privileged-demo").unwrap();
    let (lesson, step) = (lesson.clone(), step.clone());
    let workspace = tempfile::tempdir().unwrap();
    let mut runner = layerlab::runner::Runner {
        docker: docker.clone(),
        pack: pack.clone(),
        state: Default::default(),
        confirmed: false,
        workspace: workspace.path().to_path_buf(),
        credentials: Default::default(),
    };
    runner.state.vars = [("image", "layerlab-test/none:1")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let cancel = tokio_util::sync::CancellationToken::new();
    let outcome = runner.run_step(&lesson, &step, &tx, &cancel).await;
    assert!(!outcome.ok(), "{outcome:?}");
    assert!(
        outcome
            .summary
            .get(Lang::En)
            .contains("needs your confirmation"),
        "{outcome:?}"
    );
    assert!(runner.state.containers.is_empty());
}
