//! Every screen drawn into ratatui's `TestBackend` at 80×24 and 160×48 and
//! compared with a reviewed snapshot (`tests/it/snapshots/`), plus cell checks
//! where colour carries meaning, mouse handling, and a sweep of sizes from
//! 20×5 to 200×60 that must never panic.
//!
//! The app is built without a terminal or a daemon: the embedded lesson pack,
//! a progress file in a tempdir, a fixed language and theme, and driven only
//! through `App::update` with the events the terminal and the worker send.

use crate::layers_support;

use crossterm::event::{
    Event as TermEvent, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use layerlab::docker::lab::{Commit, LabChange, LabEvent, LabImage, LabLayer, LabSlot, Sizes};
use layerlab::docker::model::{Change, ChangeKind};
use layerlab::i18n::Lang;
use layerlab::lesson::loader::Pack;
use layerlab::progress::Progress;
use layerlab::quiz::session::SessionState;
use layerlab::tui::app::{App, Screen};
use layerlab::tui::event::Event;
use layerlab::tui::theme::Theme;
use layerlab::tui::worker::{DaemonState, JobKind, ProgressLine, StepOutcome, WorkerEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

const SMALL: (u16, u16) = (80, 24);
const LARGE: (u16, u16) = (160, 48);

/// Lesson indices in the embedded pack, in its order.
const DOCKERFILE: usize = 2;
const PUSH: usize = 6;

pub(crate) struct Harness {
    pub(crate) app: App,
    _dir: tempfile::TempDir,
    /// The size last drawn at: a real terminal reports it with a resize
    /// event before the learner can click on what was drawn.
    drawn: std::cell::Cell<(u16, u16)>,
}

impl Harness {
    pub(crate) fn new(lang: Lang) -> Harness {
        let pack = Pack::embedded().expect("the embedded pack is valid");
        let dir = tempfile::tempdir().expect("a tempdir");
        let opened = Progress::open(&dir.path().join("progress.json")).expect("empty progress");
        let mut app = App::new(
            lang,
            pack.manifest.title.clone(),
            pack.lessons.clone(),
            opened.progress,
            "layerlab/nginx-alpine:latest".to_string(),
        );
        // Not from the environment: the snapshots must not depend on NO_COLOR.
        app.theme = Theme { color: true };
        // `file` steps show the pack's copy: no workspace of this machine's.
        app.workspace = dir.path().join("workspace");
        app.pack = Some(std::sync::Arc::new(pack.clone()));
        // What `prepare` would find, minus the workspace's real path.
        app.vars = [
            ("base_image", "alpine:3.22"),
            ("image", "layerlab/nginx-alpine:latest"),
            ("registry", "127.0.0.1:5000"),
            // A fixed stand-in for the data dir's workspace folder.
            ("workspace", "/home/anna/.local/share/layerlab/workspace"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Harness {
            app,
            _dir: dir,
            drawn: std::cell::Cell::new((80, 24)),
        }
    }

    pub(crate) fn send(&mut self, event: Event) -> &mut Harness {
        self.app.update(event);
        self
    }

    pub(crate) fn key(&mut self, code: KeyCode) -> &mut Harness {
        self.send(Event::Terminal(TermEvent::Key(KeyEvent::new(
            code,
            KeyModifiers::NONE,
        ))))
    }

    pub(crate) fn keys(&mut self, code: KeyCode, times: usize) -> &mut Harness {
        for _ in 0..times {
            self.key(code);
        }
        self
    }

    pub(crate) fn typed(&mut self, text: &str) -> &mut Harness {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
        self
    }

    pub(crate) fn worker(&mut self, event: WorkerEvent) -> &mut Harness {
        self.send(Event::Worker(event))
    }

    pub(crate) fn progress(&mut self, line: ProgressLine) -> &mut Harness {
        self.worker(WorkerEvent::Progress {
            kind: JobKind::Step,
            line,
        })
    }

    pub(crate) fn connected(&mut self) -> &mut Harness {
        self.worker(WorkerEvent::Daemon(DaemonState::Connected {
            endpoint: "unix:///var/run/docker.sock".to_string(),
            version: "20.10.24".to_string(),
            api: "1.41".to_string(),
        }))
    }

    pub(crate) fn click(&mut self, column: u16, row: u16) -> &mut Harness {
        self.mouse(MouseEventKind::Down(MouseButton::Left), column, row)
    }

    pub(crate) fn mouse(&mut self, kind: MouseEventKind, column: u16, row: u16) -> &mut Harness {
        let (width, height) = self.drawn.get();
        self.send(Event::Terminal(TermEvent::Resize(width, height)));
        self.send(Event::Terminal(TermEvent::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })))
    }

    /// Open lesson `index` from the home screen and go to step `step`.
    pub(crate) fn open_lesson(&mut self, index: usize, step: usize) -> &mut Harness {
        self.keys(KeyCode::Down, index)
            .key(KeyCode::Enter)
            .keys(KeyCode::Char('n'), step)
    }

    /// The quiz with a fixed shuffle (a saved session with a known seed is
    /// resumed rather than seeded from the clock).
    pub(crate) fn open_quiz(&mut self) -> &mut Harness {
        let state = SessionState {
            seed: 7,
            round: 0,
            answers: Vec::new(),
        };
        self.app
            .progress
            .save_quiz_session(&state)
            .expect("saving the quiz session");
        self.key(KeyCode::Char('z'))
    }

    pub(crate) fn buffer(&self, (width, height): (u16, u16)) -> Buffer {
        self.drawn.set((width, height));
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
        terminal
            .draw(|frame| frame.render_widget(&self.app, frame.area()))
            .expect("drawing");
        terminal.backend().buffer().clone()
    }

    pub(crate) fn text(&self, size: (u16, u16)) -> String {
        text(&self.buffer(size))
    }
}

/// The buffer as lines of text (wide characters once, trailing spaces kept
/// off so the snapshots stay readable; the borders show the width anyway).
pub(crate) fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..area.width {
            let symbol = buffer[(x, y)].symbol();
            if skip > 0 {
                skip -= 1;
                continue;
            }
            skip = symbol.width().saturating_sub(1);
            line.push_str(symbol);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Snapshot `harness` at both sizes as `<name>@80x24` and `<name>@160x48`.
fn snap(harness: &Harness, name: &str) {
    for size in [SMALL, LARGE] {
        let screen = harness.text(size);
        insta::assert_snapshot!(format!("{name}@{}x{}", size.0, size.1), screen);
    }
}

pub(crate) fn outcome(ok: bool, message: &str, output: &[&str]) -> StepOutcome {
    StepOutcome {
        summary: message.into(),
        output: output.iter().map(|l| (*l).into()).collect(),
        vars: Default::default(),
        error: (!ok).then_some(layerlab::runner::StepError::Failed),
    }
}

pub(crate) fn finish(h: &mut Harness, lesson: &str, step: &str, outcome: StepOutcome) {
    h.worker(WorkerEvent::StepFinished {
        lesson: lesson.to_string(),
        step: step.to_string(),
        outcome,
    });
}

fn screen_name(app: &App) -> &'static str {
    match app.screen {
        Screen::Lessons => "lessons",
        Screen::Lesson(_) => "lesson",
        Screen::Quiz(_) => "quiz",
        Screen::Lab(_) => "lab",
        Screen::Explorer(_) => "explorer",
    }
}

// ---------------------------------------------------------------- lessons

#[test]
fn lessons_screen_in_english_and_russian() {
    let mut h = Harness::new(Lang::En);
    h.connected();
    snap(&h, "lessons_en");
    let mut h = Harness::new(Lang::Ru);
    h.connected().key(KeyCode::Down);
    snap(&h, "lessons_ru");
}

#[test]
fn f2_switches_the_language_of_the_whole_screen() {
    let mut h = Harness::new(Lang::En);
    h.connected();
    let english = h.text(SMALL);
    h.key(KeyCode::F(2));
    let russian = h.text(SMALL);
    assert!(english.contains("Image and container"), "{english}");
    assert!(russian.contains("Образ и контейнер"), "{russian}");
    assert!(russian.contains("справка"), "{russian}");
}

/// Results that arrived before F2 are re-rendered after it: they travel as
/// text in both languages and are put into words when drawn.
#[test]
fn f2_rerenders_results_that_arrived_before_the_switch() {
    use layerlab::i18n::Text;
    let mut h = building();
    let summary = Text::new(
        "образ собран: anna/site:1 (3 слоя)",
        "image built: anna/site:1 (3 layers)",
    );
    let mut done = StepOutcome::passed(summary);
    done.output = vec![Text::new(
        "слой  1: COPY rootfs/ /",
        "layer  1: COPY rootfs/ /",
    )];
    finish(&mut h, "dockerfile", "build", done);
    let english = h.text(SMALL);
    assert!(
        english.contains("image built: anna/site:1 (3 layers)"),
        "{english}"
    );
    assert!(english.contains("layer  1: COPY"), "{english}");
    h.key(KeyCode::F(2));
    let russian = h.text(SMALL);
    assert!(
        russian.contains("образ собран: anna/site:1 (3 слоя)"),
        "{russian}"
    );
    assert!(russian.contains("слой  1: COPY"), "{russian}");
    assert!(!russian.contains("image built"), "{russian}");
    snap(&h, "f2_after_a_result_ru");

    // A failure the worker put into words (the daemon went away) too.
    let mut h = building();
    h.worker(WorkerEvent::Daemon(
        layerlab::tui::worker::DaemonState::Lost {
            endpoint: "unix:///var/run/docker.sock".into(),
            error: "connection refused".into(),
        },
    ));
    h.key(KeyCode::F(2));
    let russian = h.text(SMALL);
    assert!(russian.contains("Docker недоступен"), "{russian}");
    h.key(KeyCode::F(2));
    let english = h.text(SMALL);
    assert!(english.contains("Docker went away"), "{english}");
}

/// A failed step's verdict with its fix on a line of its own (as every
/// Docker error is rendered): the fix starts a line of the output pane, not
/// glued after two spaces in the middle of the verdict.
#[test]
fn a_verdicts_fix_starts_its_own_line() {
    let mut h = building();
    h.key(KeyCode::F(2));
    finish(
        &mut h,
        "dockerfile",
        "build",
        outcome(
            false,
            "образа anna/site:1 нет в локальном Docker Engine\n  что сделать: соберите его",
            &[],
        ),
    );
    let screen = h.text(SMALL);
    assert!(
        screen.lines().any(|l| l
            .trim_start_matches('│')
            .trim_start()
            .starts_with("что сделать: соберите")),
        "{screen}"
    );
    assert!(!screen.contains("Engine  что"), "{screen}");
}

/// Back on an action step the learner already did (typed, seen by the
/// watcher): the line says so and who did it, and Enter moves on instead of
/// redoing the step through the API (which would record it as layerlab's).
#[test]
fn a_done_action_step_says_who_did_it_and_enter_moves_on() {
    let mut h = Harness::new(Lang::Ru);
    h.app
        .progress
        .complete_step_by("dockerfile", "build", layerlab::progress::By::Learner)
        .expect("save");
    h.connected().open_lesson(DOCKERFILE, 9);
    let screen = h.text(SMALL);
    assert!(
        screen.contains("✔ сделано (вами) · Enter — дальше"),
        "{screen}"
    );
    assert!(!screen.contains("Enter — выполнить"), "{screen}");
    h.key(KeyCode::Enter);
    assert!(
        h.app.running.is_none(),
        "Enter started a job on a done step"
    );
    let Screen::Lesson(view) = &h.app.screen else {
        panic!("left the lesson");
    };
    assert_eq!(view.step, 10, "Enter moved on");
    let record = h.app.progress.step_record("dockerfile", "build");
    assert_eq!(record.map(|r| r.by), Some(layerlab::progress::By::Learner));
}

/// A hint about what was wrong goes once the watcher sees the state reached:
/// a 💡 "none starts with the registry" under a ✔ would contradict it.
#[test]
fn a_watched_hint_goes_when_the_step_ticks() {
    use layerlab::watch::session::StepReport;
    let mut h = Harness::new(Lang::En);
    h.connected().open_lesson(DOCKERFILE, 9);
    let watched = |report: StepReport| WorkerEvent::Watched {
        lesson: "dockerfile".into(),
        step: "build".into(),
        report: Box::new(report),
    };
    h.worker(watched(StepReport::Hint(layerlab::watch::HintFound {
        when: layerlab::lesson::watch_model::HintWhen::PageIsTemplate,
        text: "the page is still the template".into(),
        evidence: vec!["YOUR NAME found in index.html".into()],
    })));
    let before = h.text(SMALL);
    assert!(
        before.contains("the page is still the template"),
        "{before}"
    );
    h.worker(watched(StepReport::Satisfied {
        evaluation: layerlab::watch::Evaluation {
            satisfied: true,
            message: "image built: anna/site:1".into(),
            ..Default::default()
        },
        learner: None,
    }));
    let after = h.text(SMALL);
    assert!(after.contains("image built: anna/site:1"), "{after}");
    assert!(!after.contains("the page is still the template"), "{after}");
    assert!(!after.contains("YOUR NAME found"), "{after}");
}

/// The step that asks the learner to edit their page says how (Enter or e
/// opens the file), not "type the command in your terminal": there is none.
#[test]
fn the_edit_step_says_enter_opens_the_file() {
    let pack = Pack::embedded().expect("pack");
    let index = pack.lessons[DOCKERFILE]
        .steps
        .iter()
        .position(|s| s.id == "edit-page")
        .expect("the edit-page step");
    let mut h = Harness::new(Lang::Ru);
    h.connected().open_lesson(DOCKERFILE, index);
    let screen = h.text(SMALL);
    assert!(
        screen.contains("Enter или e — открыть файл в редакторе"),
        "{screen}"
    );
    assert!(!screen.contains("Наберите команду"), "{screen}");
}

/// At 80×24 a long title is cut, never the "(optional)" mark after it.
#[test]
fn optional_steps_keep_their_mark_at_80x24() {
    let pack = Pack::embedded().expect("pack");
    let mut seen = 0;
    for (lesson, l) in pack.lessons.iter().enumerate() {
        if l.id == layerlab::quiz::bank::QUIZ_LESSON_ID {
            continue;
        }
        for (step, s) in l.steps.iter().enumerate() {
            if !s.optional {
                continue;
            }
            let mut h = Harness::new(Lang::Ru);
            h.connected().open_lesson(lesson, step);
            let screen = h.text(SMALL);
            let top = screen.lines().next().unwrap_or_default();
            assert!(top.contains("(необязательный)"), "{}/{}: {top}", l.id, s.id);
            seen += 1;
        }
    }
    assert!(seen >= 5, "only {seen} optional steps");
}

/// Before the registry is known, the tag step's command reads РЕЕСТР: the
/// line says Enter asks for it, not "type the command" (it could not work).
#[test]
fn the_tag_step_says_enter_names_the_registry_first() {
    let pack = Pack::embedded().expect("pack");
    let lesson = pack
        .lessons
        .iter()
        .position(|l| l.id == "push")
        .expect("the push lesson");
    let step = pack.lessons[lesson]
        .steps
        .iter()
        .position(|s| s.id == "tag")
        .expect("the tag step");
    let mut h = Harness::new(Lang::Ru);
    h.app.vars.remove("registry");
    h.connected().open_lesson(lesson, step);
    let screen = h.text(SMALL);
    assert!(screen.contains("РЕЕСТР/nginx-alpine:1.0"), "{screen}");
    assert!(screen.contains("Enter — указать реестр"), "{screen}");
    // Once it is known, the usual line: type the command.
    let mut h = Harness::new(Lang::Ru);
    h.connected().open_lesson(lesson, step);
    let screen = h.text(SMALL);
    assert!(!screen.contains("Enter — указать реестр"), "{screen}");
    assert!(screen.contains("Наберите команду"), "{screen}");
}

// ---------------------------------------------------------------- lesson

#[test]
fn lesson_prose_step() {
    let mut h = Harness::new(Lang::En);
    h.connected().open_lesson(DOCKERFILE, 0);
    snap(&h, "lesson_prose");
}

#[test]
fn lesson_step_in_russian() {
    let mut h = Harness::new(Lang::Ru);
    h.connected().open_lesson(DOCKERFILE, 9);
    snap(&h, "lesson_ru");
}

#[test]
fn lesson_file_step() {
    let mut h = Harness::new(Lang::En);
    h.connected().open_lesson(DOCKERFILE, 2);
    snap(&h, "lesson_file");
}

/// The build step: `d` (do it for me) asks the worker to run it; the log and the
/// builder's "Step N/M" arrive as progress.
fn building() -> Harness {
    let mut h = Harness::new(Lang::En);
    h.connected()
        .open_lesson(DOCKERFILE, 9)
        .key(KeyCode::Char('d'));
    h.progress(ProgressLine::Counter {
        current: 3,
        total: 7,
    });
    for line in [
        "Step 1/7 : ARG BASE_IMAGE=alpine:3.22",
        "Step 2/7 : FROM ${BASE_IMAGE}",
        " ---> 3f57d9401f8d",
        "Step 3/7 : RUN apk add --no-cache nginx && mkdir -p /run/nginx",
        " ---> Running in 6e1f0c3d2a7b",
        "(1/2) Installing pcre (8.45-r3)",
        "(2/2) Installing nginx (1.26.3-r0)",
    ] {
        h.progress(ProgressLine::Log(line.to_string()));
    }
    h
}

#[test]
fn action_step_running_with_log_and_counter() {
    let h = building();
    assert!(h.app.running.is_some(), "d started the step");
    let screen = h.text(SMALL);
    assert!(screen.contains("running 3/7"), "{screen}");
    snap(&h, "action_running");
}

#[test]
fn action_step_after_success_and_failure() {
    let mut h = building();
    finish(
        &mut h,
        "dockerfile",
        "build",
        outcome(
            true,
            "built layerlab/nginx-alpine:latest (3 layers)",
            &["Successfully built 9c2e4a1b7d3f"],
        ),
    );
    assert!(h.app.progress.is_done("dockerfile", "build"));
    snap(&h, "action_succeeded");

    let mut h = building();
    finish(
        &mut h,
        "dockerfile",
        "build",
        outcome(
            false,
            "RUN failed (exit 1): apk could not reach the repository; use the offline base (lesson 1)",
            &[],
        ),
    );
    assert!(!h.app.progress.is_done("dockerfile", "build"));
    snap(&h, "action_failed");
}

/// A watcher's hint ("the page is still the template") goes once the
/// learner reaches the step's state: it would contradict the ✔ below it.
#[test]
fn a_watch_hint_goes_when_the_step_is_reached() {
    use layerlab::lesson::watch_model::HintWhen;
    use layerlab::watch::session::StepReport;
    for lang in [Lang::En, Lang::Ru] {
        let mut h = Harness::new(lang);
        h.connected();
        let index = h
            .app
            .lessons
            .iter()
            .position(|l| l.id == "dockerfile")
            .unwrap();
        let at = h.app.lessons[index]
            .steps
            .iter()
            .position(|s| s.id == "edit-page")
            .unwrap();
        h.open_lesson(index, at);
        let hint = "PAGE-STILL-TEMPLATE-HINT";
        h.worker(WorkerEvent::Watched {
            lesson: "dockerfile".into(),
            step: "edit-page".into(),
            report: Box::new(StepReport::Hint(layerlab::watch::HintFound {
                when: HintWhen::PageIsTemplate,
                text: hint.into(),
                evidence: vec!["index.html".into()],
            })),
        });
        assert!(h.text(SMALL).contains(hint));
        h.worker(WorkerEvent::Watched {
            lesson: "dockerfile".into(),
            step: "edit-page".into(),
            report: Box::new(StepReport::Satisfied {
                evaluation: layerlab::watch::Evaluation {
                    satisfied: true,
                    message: "page is yours".into(),
                    ..Default::default()
                },
                learner: None,
            }),
        });
        let screen = h.text(SMALL);
        assert!(screen.contains("page is yours"), "{screen}");
        assert!(!screen.contains(hint), "{lang:?}: {screen}");
    }
}

/// A result quoting a command in `backticks` (as lessons and checks write
/// them) shows it as code, without the marks, in both languages.
#[test]
fn results_show_code_without_backticks() {
    for lang in [Lang::En, Lang::Ru] {
        let mut h = Harness::new(lang);
        h.connected()
            .open_lesson(DOCKERFILE, 9)
            .key(KeyCode::Char('d'));
        let summary = layerlab::i18n::Text::new(
            "`docker images`: в выводе есть «layerlab/nginx-alpine»",
            "`docker images`: the output has «layerlab/nginx-alpine»",
        );
        finish(
            &mut h,
            "dockerfile",
            "build",
            StepOutcome {
                summary,
                output: Vec::new(),
                vars: Default::default(),
                error: None,
            },
        );
        let buffer = h.buffer(SMALL);
        let screen = text(&buffer);
        assert!(!screen.contains('`'), "{screen}");
        let words = match lang {
            Lang::Ru => "docker images: в выводе есть",
            Lang::En => "docker images: the output has",
        };
        assert!(screen.contains(words), "{screen}");
        let (x, y) = find(&buffer, "docker images:").expect("the result");
        assert_eq!(buffer[(x + 2, y)].fg, Color::Yellow, "drawn as code");
        snap(&h, &format!("result_with_code_{}", lang_name(lang)));
    }
}

#[test]
fn push_step_with_progress_bars() {
    let mut h = Harness::new(Lang::En);
    // The push asks first: y says yes.
    h.connected()
        .open_lesson(PUSH, 6)
        .key(KeyCode::Char('d'))
        .key(KeyCode::Char('y'));
    for (id, current, total, status) in [
        ("a1b2c3d4e5f6a7b8", 3_145_728, 3_145_728, "Pushed"),
        ("b2c3d4e5f6a7b8c9", 1_048_576, 4_194_304, "Pushing"),
        ("c3d4e5f6a7b8c9d0", 0, 0, "Layer already exists"),
    ] {
        h.progress(ProgressLine::Bar {
            id: id.to_string(),
            current,
            total,
            status: status.to_string(),
        });
    }
    h.progress(ProgressLine::Log(
        "The push refers to repository [127.0.0.1:5000/nginx-alpine]".to_string(),
    ));
    snap(&h, "push_running");
}

// ---------------------------------------------------------------- quiz

/// Quiz positions of each kind of question in the embedded pack.
const SINGLE: usize = 0;
const ORDER: usize = 2;
const MULTIPLE: usize = 4;
const FREE_TEXT: usize = 9;

pub(crate) fn quiz_at(index: usize) -> Harness {
    let mut h = Harness::new(Lang::En);
    h.connected().open_quiz().keys(KeyCode::Char('n'), index);
    h
}

#[test]
fn quiz_single_choice_before_and_after_answering() {
    let mut h = quiz_at(SINGLE);
    h.key(KeyCode::Down);
    snap(&h, "quiz_single");
    h.key(KeyCode::Enter);
    snap(&h, "quiz_single_answered");
}

#[test]
fn quiz_multiple_choice() {
    let mut h = quiz_at(MULTIPLE);
    h.key(KeyCode::Char(' '))
        .keys(KeyCode::Down, 2)
        .key(KeyCode::Char(' '));
    snap(&h, "quiz_multiple");
}

#[test]
fn quiz_free_text() {
    let mut h = quiz_at(FREE_TEXT);
    // Typed text goes into the answer, even letters that are keys elsewhere.
    h.typed("one layer, qn");
    snap(&h, "quiz_free_text");
}

#[test]
fn quiz_ordering() {
    let mut h = quiz_at(ORDER);
    h.key(KeyCode::Char(' ')).key(KeyCode::Down);
    snap(&h, "quiz_ordering");
}

/// Answer every question: the first option, the items as arranged, and
/// "x" for free text (an empty free-text answer is not taken).
fn answer_all(h: &mut Harness) {
    let Screen::Quiz(quiz) = &h.app.screen else {
        panic!("z opens the quiz");
    };
    let questions = quiz.session.len();
    for _ in 0..questions {
        if matches!(&h.app.screen, Screen::Quiz(q) if q.wants_text()) {
            h.typed("x");
        }
        h.key(KeyCode::Enter);
        if matches!(&h.app.screen, Screen::Quiz(q) if q.summary) {
            break;
        }
        h.key(KeyCode::Enter);
    }
}

#[test]
fn lesson_answer_in_the_inline_editor() {
    let mut h = Harness::new(Lang::Ru);
    // Lesson 2's last step is the written answer.
    h.connected().open_lesson(1, 7).key(KeyCode::Enter);
    h.typed("Образ — шаблон из слоёв.")
        .key(KeyCode::Enter)
        .typed("Контейнер — образ и записываемый слой.");
    snap(&h, "lesson_answer_inline");
    let draft = h._dir.path().join("answers/image_vs_container.md");
    assert_eq!(
        std::fs::read_to_string(&draft).expect("the draft next to progress"),
        "Образ — шаблон из слоёв.\nКонтейнер — образ и записываемый слой.\n"
    );
    h.send(Event::Terminal(TermEvent::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    ))));
    assert_eq!(
        h.app.progress.answer("image_vs_container"),
        Some("Образ — шаблон из слоёв.\nКонтейнер — образ и записываемый слой.")
    );
    snap(&h, "lesson_answer_saved");
}

#[test]
fn quiz_final_score() {
    let mut h = quiz_at(0);
    let Screen::Quiz(quiz) = &h.app.screen else {
        panic!("z opens the quiz");
    };
    let questions = quiz.session.len();
    for _ in 0..questions {
        if matches!(&h.app.screen, Screen::Quiz(q) if q.wants_text()) {
            h.typed("x");
        }
        h.key(KeyCode::Enter).key(KeyCode::Enter);
    }
    let Screen::Quiz(quiz) = &h.app.screen else {
        panic!("still in the quiz");
    };
    assert!(quiz.session.is_finished(), "every question answered");
    assert!(quiz.summary, "the last Enter opens the summary");
    snap(&h, "quiz_summary");
}

#[test]
fn quiz_summary_in_russian_names_lessons_by_title() {
    let mut h = Harness::new(Lang::Ru);
    h.connected().open_quiz();
    answer_all(&mut h);
    let screen = h.text(LARGE);
    assert!(screen.contains("Итоги теста"), "{screen}");
    assert!(screen.contains("перечитайте: урок «"), "{screen}");
    assert!(!screen.contains("→ kernel/"), "ids are not shown: {screen}");
    // A Russian score has the decimal comma, in the result and, back on
    // a question, in the footer.
    let small = h.text(SMALL);
    assert!(small.contains("Итог: 5,6 из 23"), "{small}");
    assert!(!small.contains("5.6"), "{small}");
    h.key(KeyCode::Char('p'));
    let question = h.text(SMALL);
    assert!(question.contains("Счёт: 5,6/23"), "{question}");
    h.key(KeyCode::Char('n'));
    snap(&h, "quiz_summary_ru");
}

#[test]
fn quiz_r_retries_the_wrong_ones_on_the_quiz_screen() {
    let mut h = quiz_at(0);
    answer_all(&mut h);
    let wrong = match &h.app.screen {
        Screen::Quiz(q) => q.session.not_fully_right().len(),
        _ => panic!("in the quiz"),
    };
    assert!(wrong > 0, "first options are not all right");
    h.key(KeyCode::Char('r'));
    let Screen::Quiz(quiz) = &h.app.screen else {
        panic!("r stays in the quiz");
    };
    assert!(!quiz.summary);
    assert_eq!(quiz.queue.len(), wrong, "only the wrong ones come back");
    assert!(quiz.result.is_none(), "the first retried question is open");
    snap(&h, "quiz_retry");
}

#[test]
fn quiz_empty_free_text_is_not_an_answer() {
    let mut h = quiz_at(FREE_TEXT);
    h.key(KeyCode::Enter);
    let Screen::Quiz(quiz) = &h.app.screen else {
        panic!("in the quiz");
    };
    assert!(quiz.result.is_none(), "a stray Enter sends nothing");
    assert!(quiz.session.given(quiz.index).is_none());
    h.typed("   ").key(KeyCode::Enter);
    let Screen::Quiz(quiz) = &h.app.screen else {
        panic!("in the quiz");
    };
    assert!(quiz.result.is_none(), "spaces are not an answer either");
}

#[test]
fn quiz_wrong_answer_shows_the_right_one() {
    let mut h = quiz_at(SINGLE);
    h.key(KeyCode::Enter);
    let screen = h.text(LARGE);
    if screen.contains("Wrong") {
        assert!(screen.contains("The right answer: "), "{screen}");
    }
    let mut h = quiz_at(SINGLE);
    h.key(KeyCode::Down).key(KeyCode::Enter);
    let other = h.text(LARGE);
    assert!(
        screen.contains("The right answer: ") || other.contains("The right answer: "),
        "one of two options is wrong and shows the right one"
    );
}

#[test]
fn the_lesson_list_counts_the_quiz() {
    let mut h = quiz_at(0);
    answer_all(&mut h);
    h.key(KeyCode::Char('q'));
    assert!(matches!(h.app.screen, Screen::Lessons));
    let screen = h.text(LARGE);
    assert!(!screen.contains("0/23"), "{screen}");
    assert!(screen.contains("23/23"), "{screen}");
    snap(&h, "lessons_after_quiz");
}

// ---------------------------------------------------------------- lab

fn lab_image() -> LabImage {
    LabImage {
        reference: "layerlab/nginx-alpine:latest".to_string(),
        id: "sha256:9c2e4a1b7d3f5e6a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a".to_string(),
        layers: vec![
            LabLayer {
                digest: "sha256:08000c18d16dadf9553d747a58cf44023423a9ab010aab96cf263d2216b8b350"
                    .to_string(),
                created_by: "/bin/sh -c #(nop) ADD file:4b03b5f551e3fbdf47ec609712007327828f7530cc3455c43bbcdcaf449a75a9 in / ".to_string(),
                size: 7_800_000,
            },
            LabLayer {
                digest: "sha256:1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c"
                    .to_string(),
                created_by: "/bin/sh -c apk add --no-cache nginx && mkdir -p /run/nginx"
                    .to_string(),
                size: 2_100_000,
            },
            LabLayer {
                digest: "sha256:2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d"
                    .to_string(),
                created_by: "/bin/sh -c #(nop) COPY multi:5e3d2c1b in /etc/nginx/http.d/ "
                    .to_string(),
                size: 4_096,
            },
        ],
        size: 9_904_096,
    }
}

fn lab_slot(name: &str) -> LabSlot {
    LabSlot {
        name: name.to_string(),
        id: format!("{name}-0123456789ab"),
        running: true,
        driver: None,
    }
}

pub(crate) fn lab_ready() -> Harness {
    let mut h = Harness::new(Lang::En);
    h.connected().key(KeyCode::Char('b'));
    h.worker(WorkerEvent::Lab(LabEvent::Ready {
        session: "snapshot".to_string(),
        image: lab_image(),
        slots: vec![lab_slot("layerlab-lab-a"), lab_slot("layerlab-lab-b")],
        store: None,
    }));
    for (slot, changes) in [
        (
            0,
            vec![
                ("/hello.txt", ChangeKind::Added),
                ("/etc", ChangeKind::Changed),
                ("/etc/motd", ChangeKind::Deleted),
            ],
        ),
        (1, vec![("/tmp/note", ChangeKind::Added)]),
    ] {
        h.worker(WorkerEvent::Lab(LabEvent::Changes {
            slot,
            changes: changes
                .into_iter()
                .map(|(path, kind)| LabChange {
                    path: path.to_string(),
                    kind,
                    size: (kind == ChangeKind::Added).then_some(3),
                })
                .collect(),
            sizes: Sizes::Unavailable("docker diff gives no sizes".to_string()),
            noticed: std::time::Instant::now(),
        }));
    }
    h.worker(WorkerEvent::Lab(LabEvent::ImageVerified {
        unchanged: true,
        id: lab_image().id,
        digests: lab_image()
            .layers
            .iter()
            .map(|l| l.digest.clone())
            .collect(),
        checked_at: std::time::Instant::now(),
    }));
    h.worker(WorkerEvent::Lab(LabEvent::ExecDone {
        slot: 0,
        command: "echo hi > /hello.txt".to_string(),
        output: String::new(),
        exit_code: 0,
        finished: std::time::Instant::now(),
    }));
    h
}

#[test]
fn lab_before_ready() {
    let mut h = Harness::new(Lang::En);
    h.connected().key(KeyCode::Char('b'));
    assert_eq!(screen_name(&h.app), "lab");
    snap(&h, "lab_starting");
}

#[test]
fn lab_ready_with_changes_in_both_containers() {
    let mut h = lab_ready();
    h.typed("cat /hello.txt");
    snap(&h, "lab_ready");
}

#[test]
fn a_command_in_flight_shows_a_spinner_until_its_exit_code_arrives() {
    let mut h = lab_ready();
    h.typed("sleep 3; echo done");
    h.key(KeyCode::Enter);
    let running = h.text((120, 30));
    assert!(
        running.contains("sleep 3; echo done") && running.contains("running…"),
        "the sent command is shown as running:\n{running}"
    );
    assert!(
        h.app.is_busy(),
        "a running command keeps the spinner ticking"
    );
    snap(&h, "lab_command_running");
    h.worker(WorkerEvent::Lab(LabEvent::ExecDone {
        slot: 0,
        command: "sleep 3; echo done".to_string(),
        output: "done\n".to_string(),
        exit_code: 0,
        finished: std::time::Instant::now(),
    }));
    let done = h.text((120, 30));
    assert!(!done.contains("running…"), "{done}");
    assert!(done.contains("exit 0"), "{done}");
    assert!(!h.app.is_busy(), "nothing left to animate: idle again");
}

#[test]
fn lab_after_a_commit() {
    let mut h = lab_ready();
    let mut committed = lab_image();
    committed.reference = "layerlab/lab-commit:1".to_string();
    committed.id =
        "sha256:5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e".to_string();
    committed.layers.push(LabLayer {
        digest: "sha256:3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e"
            .to_string(),
        created_by: "/bin/sh".to_string(),
        size: 120,
    });
    let extra_layer = committed.layers.last().cloned();
    h.worker(WorkerEvent::Lab(LabEvent::Committed {
        slot: 0,
        commit: Commit {
            image: committed,
            extra_layer,
            paths: Ok(vec![Change {
                path: "/hello.txt".to_string(),
                kind: ChangeKind::Added,
            }]),
        },
    }));
    snap(&h, "lab_committed");
}

// ---------------------------------------------------------------- help

#[test]
fn help_overlay_on_every_screen() {
    type Go = fn(&mut Harness);
    let cases: [(&str, Go); 4] = [
        ("lessons", |_| {}),
        ("lesson", |h| {
            h.open_lesson(DOCKERFILE, 0);
        }),
        ("quiz", |h| {
            h.open_quiz();
        }),
        ("lab", |h| {
            h.key(KeyCode::Char('b'));
        }),
    ];
    for (lang, (name, go)) in [Lang::En, Lang::Ru]
        .into_iter()
        .flat_map(|lang| cases.map(|case| (lang, case)))
    {
        let mut h = Harness::new(lang);
        h.connected();
        go(&mut h);
        assert_eq!(screen_name(&h.app), name);
        // The lab's command line takes `?` as text; F1 is help there too.
        h.key(if name == "lab" {
            KeyCode::F(1)
        } else {
            KeyCode::Char('?')
        });
        assert!(h.app.help_open, "? / F1 opens the help on {name}");
        let suffix = if lang == Lang::Ru { "_ru" } else { "" };
        snap(&h, &format!("help_{name}{suffix}"));
        // Every key's text is whole at 80×24 (wrapped, scrolled, never cut),
        // and no key is listed twice.
        let mut seen = String::new();
        for _ in 0..30 {
            seen.push_str(&h.text(SMALL));
            h.key(KeyCode::Down);
        }
        h.key(KeyCode::Home);
        let popup_rows: Vec<&str> = seen.lines().filter_map(|l| l.split('│').nth(2)).collect();
        assert!(
            !popup_rows.iter().any(|r| r.contains('…')),
            "{name} {lang:?}: a help text was cut: {seen}"
        );
        for label in ["G/End", "Tab"] {
            let first = h.text(SMALL);
            let count = first
                .lines()
                .filter(|l| {
                    l.split('│')
                        .nth(2)
                        .is_some_and(|r| r.trim_start().starts_with(label))
                })
                .count();
            assert!(
                count <= 1,
                "{name} {lang:?}: {label} listed {count} times: {first}"
            );
        }
        h.key(KeyCode::Esc);
        assert!(!h.app.help_open, "Esc closes the help on {name}");
        assert_eq!(screen_name(&h.app), name, "Esc on the help stays on {name}");
    }
}

#[test]
fn help_overlay_scrolls_when_the_screen_is_low() {
    let mut h = Harness::new(Lang::En);
    h.connected().key(KeyCode::Char('?'));
    let low = (60, 12);
    let top = h.text(low);
    assert!(top.contains("open the lesson"), "{top}");
    assert!(top.contains('↓'), "a mark says there is more: {top}");
    h.keys(KeyCode::Down, 40);
    let bottom = h.text(low);
    assert!(
        bottom.contains("English / русский"),
        "the last key: {bottom}"
    );
    assert!(
        !bottom.contains("open the lesson"),
        "scrolled past the first key: {bottom}"
    );
    insta::assert_snapshot!("help_low_scrolled@60x12", bottom);
    h.key(KeyCode::Home);
    assert_eq!(h.text(low), top, "Home scrolls back to the top");
}

// ---------------------------------------------------------------- status bar

#[test]
fn status_bar_connecting_connected_lost() {
    let mut h = Harness::new(Lang::En);
    h.open_lesson(DOCKERFILE, 0);
    let mut out = String::new();
    let states = [
        ("connecting", None),
        (
            "connected",
            Some(DaemonState::Connected {
                endpoint: "unix:///var/run/docker.sock".to_string(),
                version: "20.10.24".to_string(),
                api: "1.41".to_string(),
            }),
        ),
        (
            "lost",
            Some(DaemonState::Lost {
                endpoint: "unix:///var/run/docker.sock".to_string(),
                error: "connection refused".to_string(),
            }),
        ),
    ];
    for (name, state) in states {
        if let Some(state) = state {
            h.worker(WorkerEvent::Daemon(state));
        }
        for width in [20, 40, 60, 80, 160] {
            let screen = h.text((width, 6));
            let last = screen.lines().last().unwrap_or_default();
            out.push_str(&format!("{name:>10} {width:>3} |{last}\n"));
        }
    }
    insta::assert_snapshot!("status_bar", out);
}

#[test]
fn a_lost_daemon_fails_the_running_step() {
    let mut h = building();
    h.worker(WorkerEvent::Daemon(DaemonState::Lost {
        endpoint: "unix:///var/run/docker.sock".to_string(),
        error: "connection refused".to_string(),
    }));
    assert!(h.app.running.is_none());
    let screen = h.text(SMALL);
    assert!(screen.contains("✘ Docker went away"), "{screen}");
    assert!(screen.contains("✘ Docker unreachable"), "{screen}");
}

#[test]
fn a_notice_shows_in_the_status_bar() {
    let mut h = Harness::new(Lang::En);
    h.connected();
    h.app.notice = Some("could not save progress: disk full".into());
    let screen = h.text(SMALL);
    let last = screen.lines().last().unwrap_or_default();
    assert!(last.contains("could not save progress"), "{last}");
}

// ---------------------------------------------------------------- colour

/// Where `needle` (no wide characters) starts in the buffer.
fn find(buffer: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let area = buffer.area;
    let chars: Vec<char> = needle.chars().collect();
    for y in 0..area.height {
        for x in 0..area.width {
            let hit = chars.iter().enumerate().all(|(i, c)| {
                let column = x + i as u16;
                column < area.width && buffer[(column, y)].symbol() == c.to_string()
            });
            if hit {
                return Some((x, y));
            }
        }
    }
    None
}

#[test]
fn done_is_green_failure_red_and_selection_reversed() {
    let mut h = building();
    finish(&mut h, "dockerfile", "build", outcome(true, "built", &[]));
    let buffer = h.buffer(LARGE);
    let (x, y) = find(&buffer, "✔ built").expect("the success line");
    assert_eq!(buffer[(x, y)].fg, Color::Green);
    // The step list marks the step done, in green too.
    let (x, y) = find(&buffer, "✔ Building the image").expect("the step list");
    assert_eq!(buffer[(x, y)].fg, Color::Green);

    let mut h = building();
    finish(&mut h, "dockerfile", "build", outcome(false, "failed", &[]));
    let buffer = h.buffer(SMALL);
    let (x, y) = find(&buffer, "✘ failed").expect("the failure line");
    assert_eq!(buffer[(x, y)].fg, Color::Red);

    let mut h = Harness::new(Lang::En);
    h.connected().key(KeyCode::Down);
    let buffer = h.buffer(SMALL);
    let (x, y) = find(&buffer, "2. Image and container").expect("lesson 2");
    assert!(buffer[(x, y)].modifier.contains(Modifier::REVERSED));
    let (x, y) = find(&buffer, "1. Your environment").expect("lesson 1");
    assert!(!buffer[(x, y)].modifier.contains(Modifier::REVERSED));

    let mut h = quiz_at(SINGLE);
    h.key(KeyCode::Down);
    let buffer = h.buffer(SMALL);
    let (x, y) = find(&buffer, "(•) One image and three").expect("the picked option");
    assert!(buffer[(x, y)].modifier.contains(Modifier::REVERSED));
    h.key(KeyCode::Enter);
    let buffer = h.buffer(SMALL);
    let (x, y) = find(&buffer, "(•) One image and three").expect("the answer");
    assert_eq!(buffer[(x, y)].fg, Color::Green, "the right answer is green");
    let (x, y) = find(&buffer, "Right (100%)").expect("the verdict");
    assert_eq!(buffer[(x, y)].fg, Color::Green);

    let mut h = quiz_at(SINGLE);
    h.key(KeyCode::Enter);
    let buffer = h.buffer(SMALL);
    let (x, y) = find(&buffer, "(•) One image and one").expect("the wrong pick");
    assert_eq!(buffer[(x, y)].fg, Color::Red, "a wrong pick is red");
}

#[test]
fn status_bar_colours_follow_the_daemon() {
    let mut h = Harness::new(Lang::En);
    let buffer = h.buffer(SMALL);
    assert_eq!(buffer[(2, 23)].fg, Color::Yellow, "connecting");
    h.connected();
    assert_eq!(h.buffer(SMALL)[(0, 23)].fg, Color::Green, "connected");
    h.worker(WorkerEvent::Daemon(DaemonState::Lost {
        endpoint: "unix:///var/run/docker.sock".to_string(),
        error: "connection refused".to_string(),
    }));
    assert_eq!(h.buffer(SMALL)[(0, 23)].fg, Color::Red, "lost");
}

/// Every screen worth checking, built fresh; `theme` applied before drawing.
pub(crate) fn every_screen() -> Vec<(&'static str, Harness)> {
    let mut screens = Vec::new();
    let mut h = Harness::new(Lang::En);
    h.connected().key(KeyCode::Down);
    screens.push(("lessons", h));
    let mut h = Harness::new(Lang::Ru);
    h.connected();
    screens.push(("lessons ru", h));
    let mut h = building();
    finish(
        &mut h,
        "dockerfile",
        "build",
        outcome(true, "built", &["ok"]),
    );
    screens.push(("lesson done", h));
    let mut h = building();
    finish(
        &mut h,
        "dockerfile",
        "build",
        outcome(false, "RUN failed", &[]),
    );
    screens.push(("lesson failed", h));
    screens.push(("lesson running", building()));
    let mut h = Harness::new(Lang::En);
    h.connected().open_lesson(PUSH, 6).key(KeyCode::Enter);
    h.progress(ProgressLine::Bar {
        id: "a1b2c3d4e5f6a7b8".to_string(),
        current: 5,
        total: 10,
        status: "Pushing".to_string(),
    });
    screens.push(("push", h));
    let mut h = quiz_at(SINGLE);
    h.key(KeyCode::Enter);
    screens.push(("quiz answered", h));
    let mut h = quiz_at(ORDER);
    h.key(KeyCode::Char(' '));
    screens.push(("quiz order", h));
    let mut h = quiz_at(FREE_TEXT);
    h.typed("1");
    screens.push(("quiz text", h));
    let mut h = Harness::new(Lang::En);
    h.connected().key(KeyCode::Char('b'));
    screens.push(("lab starting", h));
    screens.push(("lab", lab_ready()));
    let mut h = Harness::new(Lang::En);
    h.worker(WorkerEvent::Daemon(DaemonState::Lost {
        endpoint: "unix:///var/run/docker.sock".to_string(),
        error: "connection refused".to_string(),
    }))
    .key(KeyCode::Char('?'));
    screens.push(("help, daemon lost", h));
    let mut h = Harness::new(Lang::En);
    h.connected()
        .open_lesson(DOCKERFILE, 0)
        .key(KeyCode::Char('?'));
    screens.push(("lesson help", h));
    screens
}

#[test]
fn no_color_means_no_colour_at_all() {
    for (name, mut h) in every_screen() {
        h.app.theme = Theme { color: false };
        for size in [SMALL, LARGE] {
            let buffer = h.buffer(size);
            for cell in buffer.content() {
                assert_eq!(cell.fg, Color::Reset, "{name} {size:?}: {cell:?}");
                assert_eq!(cell.bg, Color::Reset, "{name} {size:?}: {cell:?}");
            }
        }
        // The meaning survives in modifiers: something is still marked.
        let buffer = h.buffer(SMALL);
        assert!(
            buffer.content().iter().any(|c| !c.modifier.is_empty()),
            "{name}: without colour, bold/reverse/dim still carry meaning"
        );
    }
}

#[test]
fn only_base_ansi_colours_and_no_background_but_the_selection() {
    for (name, h) in every_screen() {
        for size in [SMALL, LARGE] {
            for cell in h.buffer(size).content() {
                assert!(
                    !matches!(cell.fg, Color::Rgb(..) | Color::Indexed(_)),
                    "{name}: {cell:?} is outside the 16 colours"
                );
                // Gauges fill with the foreground; a background would be
                // unreadable on one of light or dark terminals.
                assert!(
                    matches!(cell.bg, Color::Reset | Color::Green),
                    "{name}: {cell:?} sets a background"
                );
            }
        }
    }
}

// ---------------------------------------------------------------- sizes

#[test]
fn every_screen_draws_at_every_size_without_panicking() {
    let mut sizes = Vec::new();
    for width in (20..=200).step_by(9) {
        for height in (5..=60).step_by(5) {
            sizes.push((width, height));
        }
    }
    sizes.extend([(20, 5), (80, 24), (200, 60), (1, 1), (300, 3)]);
    for (name, h) in every_screen() {
        for &size in &sizes {
            let screen = h.text(size);
            assert_eq!(
                screen.lines().count(),
                usize::from(size.1),
                "{name} {size:?}"
            );
        }
    }
}

#[test]
fn resizing_keeps_the_state_and_redraws_to_fit() {
    let mut h = Harness::new(Lang::En);
    h.connected().key(KeyCode::Down);
    let wide = h.text(LARGE);
    h.send(Event::Terminal(TermEvent::Resize(30, 12)));
    let narrow = h.text((30, 12));
    assert!(wide.contains("▶  2. Image and container"), "{wide}");
    assert!(narrow.contains("▶  2. Image and…"), "{narrow}");
    assert_eq!(h.app.home.selected, 1);
}

#[test]
fn every_quiz_explanation_is_visible_at_80x24() {
    let mut h = quiz_at(0);
    let Screen::Quiz(quiz) = &h.app.screen else {
        panic!("the quiz");
    };
    for index in 0..quiz.session.len() {
        if matches!(&h.app.screen, Screen::Quiz(q) if q.wants_text()) {
            h.typed("x");
        }
        h.key(KeyCode::Enter);
        let screen = h.text(SMALL);
        assert!(
            screen.contains("→ reread"),
            "question {} cuts its explanation at 80×24:\n{screen}",
            index + 1
        );
        h.key(KeyCode::Enter);
    }
}

// ---------------------------------------------------------------- mouse

#[test]
fn click_selects_a_lesson_and_a_second_click_opens_it() {
    for size in [SMALL, LARGE] {
        let mut h = Harness::new(Lang::En);
        h.connected();
        let buffer = h.buffer(size);
        let (x, y) = find(&buffer, "3. Dockerfile").expect("lesson 3 on screen");
        h.click(x, y);
        assert_eq!(h.app.home.selected, 2, "{size:?}");
        assert_eq!(screen_name(&h.app), "lessons");
        h.text(size);
        h.click(x + 5, y);
        assert_eq!(screen_name(&h.app), "lesson", "{size:?}");
        let Screen::Lesson(view) = &h.app.screen else {
            unreachable!()
        };
        assert_eq!(view.lesson, 2);
    }
}

#[test]
fn clicks_outside_the_list_and_on_empty_rows_do_nothing() {
    let mut h = Harness::new(Lang::En);
    h.connected();
    let buffer = h.buffer(SMALL);
    let (_, y) = find(&buffer, "8. Check yourself").expect("the last lesson");
    h.click(0, y); // the border
    h.click(10, y + 1); // below the last lesson: the list's border
    h.click(10, 20); // the summary
    h.click(10, 23); // the status bar
    assert_eq!(h.app.home.selected, 0);
    assert_eq!(screen_name(&h.app), "lessons");
}

#[test]
fn click_maps_through_a_scrolled_list() {
    let size = (60, 10);
    let mut h = Harness::new(Lang::En);
    h.connected().keys(KeyCode::Down, 6);
    let buffer = h.buffer(size);
    let (x, y) = find(&buffer, "6. Can a kernel").expect("lesson 6 scrolled into view");
    h.click(x, y);
    assert_eq!(h.app.home.selected, 5);
}

#[test]
fn wheel_scrolls_the_selection() {
    let mut h = Harness::new(Lang::En);
    h.connected();
    h.text(SMALL);
    h.mouse(MouseEventKind::ScrollDown, 10, 5)
        .mouse(MouseEventKind::ScrollDown, 10, 5);
    assert_eq!(h.app.home.selected, 2);
    h.mouse(MouseEventKind::ScrollUp, 10, 5);
    assert_eq!(h.app.home.selected, 1);
}

#[test]
fn click_picks_a_quiz_option() {
    for size in [SMALL, LARGE, (40, 20)] {
        let mut h = quiz_at(SINGLE);
        let buffer = h.buffer(size);
        let (x, y) = find(&buffer, "( ) Three images and three").expect("option 3");
        h.click(x + 4, y);
        let Screen::Quiz(quiz) = &h.app.screen else {
            panic!("the quiz")
        };
        assert_eq!(quiz.cursor, 2, "{size:?}");
        let screen = h.text(size);
        assert!(screen.contains("(•) Three images and three"), "{screen}");
        // A click on the prompt picks nothing.
        h.click(2, 1);
        let Screen::Quiz(quiz) = &h.app.screen else {
            panic!("the quiz")
        };
        assert_eq!(quiz.cursor, 2);
    }

    let mut h = quiz_at(MULTIPLE);
    let buffer = h.buffer(SMALL);
    let (x, y) = find(&buffer, "[ ] The file's bytes").expect("an option");
    h.click(x, y);
    assert!(h.text(SMALL).contains("[x] The file's bytes"));
    h.click(x, y);
    assert!(
        h.text(SMALL).contains("[ ] The file's bytes"),
        "a second click unticks"
    );
}

// ---------------------------------------------------------------- keys

#[test]
fn keys_are_consistent_across_screens() {
    use layerlab::tui::keys::{Action, Context, action_for, bindings_for};
    let key = |c: KeyCode| KeyEvent::new(c, KeyModifiers::NONE);
    for context in [
        Context::Lessons,
        Context::Lesson,
        Context::Quiz,
        Context::Explorer,
    ] {
        assert_eq!(
            action_for(context, &key(KeyCode::Char('q'))),
            Some(Action::Back)
        );
        assert_eq!(
            action_for(context, &key(KeyCode::Esc)),
            Some(Action::Cancel)
        );
        for (arrow, letter) in [
            (KeyCode::Up, 'k'),
            (KeyCode::Down, 'j'),
            (KeyCode::Left, 'h'),
            (KeyCode::Right, 'l'),
        ] {
            assert_eq!(
                action_for(context, &key(arrow)),
                action_for(context, &key(KeyCode::Char(letter))),
                "{arrow:?} and {letter} differ in {context:?}"
            );
        }
        assert!(
            action_for(context, &key(KeyCode::Enter)).is_some(),
            "{context:?}"
        );
        // Tab means "next pane", and only where there are panes to switch
        // (the lesson's text, file and output).
        let tab = action_for(context, &key(KeyCode::Tab));
        assert_eq!(
            tab.is_some(),
            matches!(context, Context::Explorer | Context::Lesson),
            "{context:?}"
        );
        // What `?` lists is what works: each listed key maps back to its action.
        for binding in bindings_for(context) {
            for code in binding.keys {
                assert_eq!(
                    action_for(context, &key(*code)),
                    Some(binding.action),
                    "{code:?} in {context:?} is listed for {:?}",
                    binding.action
                );
            }
        }
    }
    assert_eq!(
        action_for(Context::Explorer, &key(KeyCode::Char('/'))),
        Some(Action::Filter)
    );
}

// ---------------------------------------------------------------- explorer

/// A three-layer image: a base, a layer that rewrites and deletes, and a
/// small one, so every mark and the wasted-space line appear.
fn explorer_analysis() -> std::sync::Arc<layerlab::layers::Analysis> {
    use layers_support::*;
    let layers = vec![
        Layer::new(
            "ADD file:base in /",
            vec![
                dir("etc"),
                file("etc/os-release", "ID=alpine"),
                file_n("bin/busybox", 900_000),
                dir("var/cache/apk"),
            ],
        ),
        Layer::new(
            "RUN /bin/sh -c apk add nginx",
            vec![
                file_n("usr/sbin/nginx", 1_200_000),
                file_n("var/cache/apk/index.tar.gz", 300_000),
                file("etc/os-release", "ID=alpine\n"),
            ],
        ),
        Layer::new(
            "RUN /bin/sh -c rm -rf /var/cache/apk/*",
            vec![whiteout("var/cache/apk/index.tar.gz")],
        ),
    ];
    let bytes = archive(&ArchiveSpec::new(Shape::Legacy, layers));
    std::sync::Arc::new(
        layerlab::layers::analyze_archive(&bytes[..], "test.tar")
            .expect("the test archive is valid"),
    )
}

#[test]
fn explorer_whole_image_a_layer_and_a_filter() {
    let mut h = Harness::new(Lang::En);
    h.connected();
    let effects = h
        .app
        .open_explorer("layerlab/nginx-alpine:latest".into(), None);
    assert_eq!(effects.len(), 1, "one analysis is asked of the worker");
    snap(&h, "explorer_loading");
    h.worker(WorkerEvent::Analysis {
        image: "layerlab/nginx-alpine:latest".into(),
        result: Ok(explorer_analysis()),
    });
    snap(&h, "explorer_whole_image");
    h.key(KeyCode::Down).key(KeyCode::Down).key(KeyCode::Down);
    snap(&h, "explorer_layer_3_changes_only");
    h.key(KeyCode::Up).key(KeyCode::Tab).key(KeyCode::Char('E'));
    snap(&h, "explorer_layer_2_unfolded");
    h.key(KeyCode::Char('c'))
        .key(KeyCode::Char('/'))
        .typed("nginx")
        .key(KeyCode::Enter);
    snap(&h, "explorer_layer_2_filtered");
}

// ---------------------------------------------------------------- journey (issue 15)

const MID: (u16, u16) = (100, 32);

/// Snapshot at a laptop's 80×24 and at 100×32, as `<name>@WxH`.
fn snap_mid(harness: &Harness, name: &str) {
    for size in [SMALL, MID] {
        let screen = harness.text(size);
        insta::assert_snapshot!(format!("{name}@{}x{}", size.0, size.1), screen);
    }
}

fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "ru",
        Lang::En => "en",
    }
}

/// The lab with nginx's start-up entries, then the learner's own write.
fn lab_with_nginx_noise(lang: Lang) -> Harness {
    let mut h = Harness::new(lang);
    // PgUp/PgDn page by the pane's height, from the terminal's size.
    h.send(Event::Terminal(TermEvent::Resize(SMALL.0, SMALL.1)));
    h.connected().key(KeyCode::Char('b'));
    h.worker(WorkerEvent::Lab(LabEvent::Ready {
        session: "snapshot".to_string(),
        image: lab_image(),
        // Names as the lab makes them: layerlab-lab-<pid>-<n>-<time>-<slot>.
        slots: vec![
            lab_slot("layerlab-lab-4242-0-89abcdef-1"),
            lab_slot("layerlab-lab-4242-0-89abcdef-2"),
        ],
        store: None,
    }));
    let noise = [
        ("/run", ChangeKind::Changed),
        ("/run/nginx", ChangeKind::Changed),
        ("/run/nginx/nginx.pid", ChangeKind::Added),
        ("/var", ChangeKind::Changed),
        ("/var/lib", ChangeKind::Changed),
        ("/var/lib/nginx", ChangeKind::Changed),
        ("/var/lib/nginx/tmp", ChangeKind::Changed),
        ("/var/lib/nginx/tmp/client_body", ChangeKind::Added),
        ("/var/lib/nginx/tmp/proxy", ChangeKind::Added),
        ("/var/lib/nginx/tmp/fastcgi", ChangeKind::Added),
        ("/var/log", ChangeKind::Changed),
        ("/var/log/nginx", ChangeKind::Changed),
        ("/var/log/nginx/access.log", ChangeKind::Added),
        ("/var/log/nginx/error.log", ChangeKind::Added),
    ];
    let report = |extra: &[(&str, ChangeKind)]| {
        noise
            .iter()
            .chain(extra)
            .map(|(path, kind)| LabChange {
                path: path.to_string(),
                kind: *kind,
                size: None,
            })
            .collect::<Vec<_>>()
    };
    for slot in 0..2 {
        h.worker(WorkerEvent::Lab(LabEvent::Changes {
            slot,
            changes: report(&[]),
            sizes: Sizes::Unavailable("docker diff gives no sizes".to_string()),
            noticed: std::time::Instant::now(),
        }));
    }
    h.worker(WorkerEvent::Lab(LabEvent::Changes {
        slot: 0,
        changes: report(&[("/hello.txt", ChangeKind::Added)]),
        sizes: Sizes::Unavailable("docker diff gives no sizes".to_string()),
        noticed: std::time::Instant::now(),
    }));
    h
}

#[test]
fn journey_lab_shows_the_learners_write_and_folds_nginx() {
    for lang in [Lang::En, Lang::Ru] {
        let mut h = lab_with_nginx_noise(lang);
        for size in [SMALL, MID] {
            let screen = h.text(size);
            assert!(screen.contains("A /hello.txt"), "{screen}");
            assert!(
                screen.contains("← new") || screen.contains("← новое"),
                "{screen}"
            );
            assert!(!screen.contains("nginx.pid"), "folded: {screen}");
            assert!(screen.contains("F1") && screen.contains("Esc"), "{screen}");
            // The titles name the image whole, each container's state, the
            // end of its name (where the two differ) and "writable layer".
            let top = screen.lines().next().unwrap_or_default();
            assert!(top.contains("layerlab/nginx-alpine:latest"), "{top}");
            assert!(
                top.contains("ef-1 — writable layer ") || top.contains("ef-1 — слой для записи "),
                "{top}"
            );
            assert!(
                screen.contains("ef-2 — writable layer ")
                    || screen.contains("ef-2 — слой для записи "),
                "{screen}"
            );
        }
        snap_mid(&h, &format!("journey_lab_{}", lang_name(lang)));
        // F4 unfolds; the tree then scrolls with PgDn.
        h.key(KeyCode::F(4));
        let unfolded = h.text(SMALL);
        assert!(unfolded.contains("A /hello.txt"), "{unfolded}");
        assert!(unfolded.contains("↓"), "more below: {unfolded}");
        h.key(KeyCode::PageDown);
        let paged = h.text(SMALL);
        assert_ne!(unfolded, paged, "PgDn scrolls the tree");
        snap_mid(&h, &format!("journey_lab_unfolded_{}", lang_name(lang)));
    }
}

/// The lab names the image's layers as the explorer does: the base, and
/// the workspace Dockerfile's own line instead of `COPY dir:<hash>`.
#[test]
fn the_lab_names_layers_as_the_explorer_does() {
    for lang in [Lang::En, Lang::Ru] {
        let mut h = lab_with_nginx_noise(lang);
        if let Screen::Lab(lab) = &mut h.app.screen {
            lab.hints.dockerfiles = vec![(
                "Dockerfile".to_string(),
                "FROM alpine\nRUN apk add --no-cache nginx && mkdir -p /run/nginx\nCOPY rootfs/etc/nginx/http.d/ /etc/nginx/http.d/\n".to_string(),
            )];
        }
        let screen = h.text(MID);
        let base = match lang {
            Lang::Ru => "базовый образ",
            Lang::En => "base image",
        };
        assert!(screen.contains(base), "{lang:?}: {screen}");
        assert!(
            screen.contains("rootfs/etc/nginx/http.d/"),
            "{lang:?}: {screen}"
        );
        assert!(
            !screen.contains("file:4b03") && !screen.contains("multi:5e3d"),
            "{screen}"
        );
    }
}

/// A lab error is Docker's typed error put into the learner's language at
/// draw time, with its fix: not Docker's English, and F2 re-renders it.
#[test]
fn lab_errors_are_in_the_learners_language_with_the_fix() {
    let error = layerlab::docker::error::DockerError::ImageNotFound {
        reference: "layerlab/nginx-alpine:latest".to_string(),
    };
    for lang in [Lang::En, Lang::Ru] {
        let mut h = lab_with_nginx_noise(lang);
        h.worker(WorkerEvent::Lab(LabEvent::error(&error)));
        let screen = h.text(SMALL);
        let (message, fix, other) = match lang {
            Lang::Ru => ("нет в локальном", "что сделать", "is not in the local"),
            Lang::En => ("is not in the local", "fix:", "нет в локальном"),
        };
        assert!(screen.contains(message), "{screen}");
        assert!(screen.contains(fix), "{screen}");
        assert!(!screen.contains(other), "{screen}");
        snap_mid(&h, &format!("lab_error_{}", lang_name(lang)));
        h.key(KeyCode::F(2));
        let switched = h.text(SMALL);
        assert!(
            switched.contains(other),
            "F2 re-renders the error: {switched}"
        );
    }
}

/// After the lab or the explorer, the step's hint says what Enter does
/// there: open it again, not "do it".
#[test]
fn steps_that_open_the_lab_or_the_explorer_say_so_after_returning() {
    for lang in [Lang::En, Lang::Ru] {
        let (lab, explorer, wrong) = match lang {
            Lang::En => (
                "Enter to open the live lab",
                "Enter to open the layer explorer",
                "Enter to do it",
            ),
            Lang::Ru => (
                "Enter — открыть живую лабораторию",
                "Enter — открыть обозреватель слоёв",
                "Enter — выполнить",
            ),
        };
        for (lesson, step, hint, screen) in [
            ("image-container", "lab", lab, "lab"),
            ("dockerfile", "compare", explorer, "explorer"),
        ] {
            let mut h = Harness::new(lang);
            h.send(Event::Terminal(TermEvent::Resize(SMALL.0, SMALL.1)));
            h.connected();
            let index = h.app.lessons.iter().position(|l| l.id == lesson).unwrap();
            let at = h.app.lessons[index]
                .steps
                .iter()
                .position(|s| s.id == step)
                .unwrap();
            h.open_lesson(index, at);
            let before = h.text(SMALL);
            assert!(before.contains(hint), "{lang:?} {lesson}/{step}: {before}");
            h.key(KeyCode::Enter);
            assert_eq!(screen_name(&h.app), screen);
            h.key(KeyCode::Esc);
            assert_eq!(screen_name(&h.app), "lesson");
            let after = h.text(SMALL);
            assert!(after.contains(hint), "{lang:?} {lesson}/{step}: {after}");
            assert!(!after.contains(wrong), "{lang:?} {lesson}/{step}: {after}");
            snap(
                &h,
                &format!("returned_to_{screen}_step_{}", lang_name(lang)),
            );
        }
    }
}

#[test]
fn journey_lab_input_edits_with_ctrl_keys_and_home() {
    let mut h = lab_with_nginx_noise(Lang::En);
    h.typed("echo one two");
    h.send(Event::Terminal(TermEvent::Key(KeyEvent::new(
        KeyCode::Char('w'),
        KeyModifiers::CONTROL,
    ))));
    assert!(
        h.text(SMALL).contains("$ echo one "),
        "Ctrl-W erased a word"
    );
    h.key(KeyCode::Home).typed("X");
    assert!(
        h.text(SMALL).contains("$ Xecho one"),
        "Home went to the start"
    );
    h.send(Event::Terminal(TermEvent::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    ))));
    assert!(!h.text(SMALL).contains("Xecho"), "Ctrl-U erased the line");
}

#[test]
fn journey_file_steps_show_the_file_and_the_naive_one_beside() {
    for lang in [Lang::En, Lang::Ru] {
        let mut h = Harness::new(lang);
        h.connected().open_lesson(DOCKERFILE, 2);
        let screen = h.text(SMALL);
        // The template the learner fills in: TODO lines, no instruction yet.
        assert!(screen.contains("# TODO: ARG"), "{screen}");
        assert!(screen.contains("# TODO: FROM"), "{screen}");
        assert!(!screen.contains("RUN apk add --no-cache nginx"), "{screen}");
        snap_mid(&h, &format!("journey_file_{}", lang_name(lang)));
        let naive = h
            .app
            .lessons
            .get(DOCKERFILE)
            .and_then(|l| l.steps.iter().position(|s| s.id == "naive-dockerfile"))
            .expect("the naive step");
        let mut h = Harness::new(lang);
        h.connected().open_lesson(DOCKERFILE, naive);
        let screen = h.text(MID);
        assert!(screen.contains("Dockerfile.naive"), "{screen}");
        assert!(screen.contains("nginx-alpine/Dockerfile "), "{screen}");
        snap_mid(&h, &format!("journey_naive_{}", lang_name(lang)));
    }
}

#[test]
fn journey_output_pane_scrolls_to_every_line() {
    let diff: Vec<String> = std::iter::once("C /run".to_string())
        .chain((0..30).map(|i| format!("A /var/lib/nginx/tmp/entry-{i}")))
        .chain(["C /tmp".to_string(), "A /tmp/note.txt".to_string()])
        .collect();
    let lines: Vec<&str> = diff.iter().map(String::as_str).collect();
    for lang in [Lang::En, Lang::Ru] {
        let mut h = Harness::new(lang);
        // Scrolling stops at the end of what a 80×24 screen shows.
        h.send(Event::Terminal(TermEvent::Resize(SMALL.0, SMALL.1)));
        // `d`: layerlab builds it ("do it for me").
        h.connected()
            .open_lesson(DOCKERFILE, 9)
            .key(KeyCode::Char('d'));
        finish(
            &mut h,
            "dockerfile",
            "build",
            outcome(true, "docker diff: 33 changes", &lines),
        );
        let small = h.text(SMALL);
        assert!(!small.contains("A /tmp/note.txt"), "not all fits: {small}");
        assert!(
            small.contains("Tab"),
            "the key to the rest is named: {small}"
        );
        snap_mid(&h, &format!("journey_output_{}", lang_name(lang)));
        // Tab: the output takes the screen; PgDn reaches the last line.
        h.key(KeyCode::Tab);
        let mut reached = false;
        for _ in 0..10 {
            if h.text(SMALL).contains("A /tmp/note.txt") {
                reached = true;
                break;
            }
            h.key(KeyCode::PageDown);
        }
        assert!(reached, "PgDn reaches docker diff's last line");
        // G from the lesson's text goes to the end of the output too.
        h.key(KeyCode::Esc).key(KeyCode::Char('G'));
        let end = h.text(SMALL);
        assert!(end.contains("A /tmp/note.txt"), "{end}");
        snap_mid(&h, &format!("journey_output_end_{}", lang_name(lang)));
    }
}

#[test]
fn journey_counters_agree_and_the_last_step_leads_on() {
    for lang in [Lang::En, Lang::Ru] {
        let mut h = Harness::new(lang);
        h.connected();
        let home = h.text(SMALL);
        assert!(home.contains("0/12 + 2"), "lesson 1 in the list: {home}");
        let detail = h.text(MID);
        assert!(
            detail.contains("12 steps + 2 optional")
                || detail.contains("12 шагов + 2 необязательных"),
            "{detail}"
        );
        snap_mid(&h, &format!("journey_lessons_{}", lang_name(lang)));
        // Lesson 2's last step, done: the line names the next lesson and
        // Enter opens it.
        let lesson = &h.app.lessons[1];
        let (id, steps) = (lesson.id.clone(), lesson.steps.clone());
        for step in &steps {
            h.app.progress.complete_step(&id, &step.id).expect("save");
        }
        h.open_lesson(1, steps.len() - 1);
        let screen = h.text(SMALL);
        assert!(
            screen.contains("Lesson done — next: “Dockerfile")
                || screen.contains("Урок пройден — дальше: «Dockerfile"),
            "{screen}"
        );
        snap_mid(&h, &format!("journey_lesson_done_{}", lang_name(lang)));
        h.key(KeyCode::Enter);
        match &h.app.screen {
            Screen::Lesson(view) => assert_eq!(view.lesson, 2, "Enter opened lesson 3"),
            _ => panic!("Enter on the done line opens the next lesson"),
        }
        assert_eq!(
            h.app.progress.last_place().map(|(l, _)| l.to_string()),
            Some("dockerfile".to_string()),
            "the place is kept for the next start"
        );
    }
}

#[test]
fn journey_r_asks_twice_before_resetting_a_lesson() {
    let mut h = Harness::new(Lang::Ru);
    h.connected();
    h.app
        .progress
        .complete_step("environment", "welcome")
        .expect("save");
    h.key(KeyCode::Char('r'));
    assert!(
        h.app.progress.is_done("environment", "welcome"),
        "one r erases nothing"
    );
    let asked = h.text(SMALL);
    assert!(asked.contains("Нажмите r ещё раз"), "{asked}");
    h.key(KeyCode::Down)
        .key(KeyCode::Up)
        .key(KeyCode::Char('r'));
    assert!(
        h.app.progress.is_done("environment", "welcome"),
        "r, ↓, ↑, r is not r r"
    );
    h.key(KeyCode::Char('r'));
    assert!(
        !h.app.progress.is_done("environment", "welcome"),
        "r r resets"
    );
}

#[test]
fn journey_ctrl_c_cancels_a_running_step_then_quits() {
    let mut h = building();
    let ctrl_c = || {
        Event::Terminal(TermEvent::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        )))
    };
    let effects = h.app.update(ctrl_c());
    assert_eq!(
        effects,
        vec![layerlab::tui::app::Effect::Worker(
            layerlab::tui::worker::WorkerRequest::Cancel(JobKind::Step)
        )],
        "the first Ctrl-C cancels the build"
    );
    assert!(h.text(SMALL).contains("Ctrl-C again quits"));
    assert_eq!(
        h.app.update(ctrl_c()),
        vec![layerlab::tui::app::Effect::Quit],
        "a second Ctrl-C quits"
    );
}

#[test]
fn journey_statuses_carry_a_word_or_mark_without_colour() {
    // NO_COLOR's theme: every status still reads on a monochrome screen.
    let mut h = lab_with_nginx_noise(Lang::Ru);
    h.app.theme = Theme { color: false };
    let lab = h.text(SMALL);
    assert!(lab.contains("работает") && lab.contains("← новое"), "{lab}");
    let mut h = building();
    h.app.theme = Theme { color: false };
    finish(&mut h, "dockerfile", "build", outcome(false, "boom", &[]));
    assert!(h.text(SMALL).contains("✘ boom"));
    let mut h = Harness::new(Lang::En);
    h.app.theme = Theme { color: false };
    h.connected();
    assert!(h.text(SMALL).contains("● Docker 20.10.24"));
}
