//! The plain mode (`layerlab --plain`, and whenever `TERM=dumb`): the same
//! lessons for a screen reader or a dumb terminal. No alternate screen, no
//! cursor moves, no colour: each screen is printed as numbered lines on
//! standard output, every status is a word, and the learner answers on the
//! line. It drives the same `App` as the TUI, with the same keys (Enter, n,
//! p, q) turned into the same events, so the two never teach differently.

use std::io::Write as _;
use std::process::ExitCode;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::Line;

use crate::t;
use crate::tui::app::{App, Effect, Screen};
use crate::tui::boot::Options;
use crate::tui::event::Event;
use crate::tui::screens::lesson::{Prompt, RunState};
use crate::tui::screens::quiz::QuizScreen;
use crate::tui::worker::{ProgressLine, WorkerEvent, WorkerRequest};

/// `--plain`, or a terminal that says it can do nothing else.
pub fn wanted(flag: bool) -> bool {
    flag || std::env::var("TERM").is_ok_and(|t| t == "dumb")
}

/// Run the lessons in plain mode, optionally opened at `at` (lesson, step).
pub async fn run(
    options: &Options,
    at: Option<(usize, Option<usize>)>,
) -> anyhow::Result<ExitCode> {
    let (mut app, setup) = crate::tui::boot::prepare(options)?;
    // No colour needed: every status carries a word or a mark anyway.
    app.theme = crate::tui::theme::Theme { color: false };
    let (events_tx, mut events) = crate::tui::event::channel();
    let (worker, worker_task) = crate::tui::worker::spawn(setup, events_tx);
    if let Some((lesson, step)) = at {
        app.open_lesson_at(lesson, step);
    }
    let mut lines = spawn_stdin();
    let mut out = std::io::stdout();
    let mut shown: Option<String> = None;
    loop {
        while let Ok(event) = events.try_recv() {
            apply(&mut app, event, &mut out);
        }
        let page = render(&app);
        // Print a screen again only when it changed: a screen reader reads
        // every line it is given.
        if shown.as_deref() != Some(page.as_str()) {
            writeln!(out, "{page}")?;
            shown = Some(page);
        }
        write!(out, "{}", prompt_text(&app))?;
        out.flush()?;
        let Some(line) = lines.recv().await else {
            writeln!(out)?;
            break;
        };
        // Typed on a terminal, the learner's Enter ended the line; piped, it did not.
        if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            writeln!(out)?;
        }
        let effects = answer(&mut app, line.trim_end_matches(['\r', '\n']));
        let mut quit = false;
        for effect in effects {
            match effect {
                Effect::Worker(request) => {
                    let _ = worker.send(request);
                }
                Effect::Edit(path) => {
                    let result = crate::tui::terminal::run_editor(&path);
                    app.editor_finished(&path, result);
                }
                Effect::Quit => quit = true,
            }
        }
        if quit {
            break;
        }
        // A step on the worker: its log, line by line, until it reports.
        while app.running.is_some() {
            let Some(event) = events.recv().await else {
                break;
            };
            apply(&mut app, event, &mut out);
        }
        if matches!(app.screen, Screen::Lab(_) | Screen::Explorer(_)) {
            writeln!(
                out,
                "{}",
                t!(
                    "Этот шаг открывает экран (лаборатория, обозреватель слоёв), которому нужен полноэкранный режим; в простом режиме: layerlab layers ОБРАЗ --json. Возвращаюсь к уроку.",
                    "This step opens a screen (the lab, the layer explorer) that needs the full-screen UI; in plain mode use: layerlab layers IMAGE --json. Back to the lesson."
                )
                .get(app.lang)
            )?;
            let _ = worker.send(WorkerRequest::LabClose);
            app.update(key(KeyCode::Esc));
        }
    }
    let _ = worker.send(WorkerRequest::Shutdown);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(15), worker_task).await;
    Ok(ExitCode::SUCCESS)
}

/// Standard input, a line at a time, read on a thread of its own.
fn spawn_stdin() -> tokio::sync::mpsc::UnboundedReceiver<String> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn key(code: KeyCode) -> Event {
    Event::Terminal(TermEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// A worker event into the app; a running step's log lines are printed as
/// they come (a screen reader hears the build go on).
fn apply(app: &mut App, event: Event, out: &mut std::io::Stdout) {
    if let Event::Worker(WorkerEvent::Progress {
        line: ProgressLine::Log(text),
        ..
    }) = &event
    {
        let _ = writeln!(out, "  {}", clean(text));
    }
    app.update(event);
}

/// What a typed line means on the current screen, as the keys the TUI
/// would get; numbers pick from the numbered menu.
fn answer(app: &mut App, line: &str) -> Vec<Effect> {
    let typed = line.trim();
    if let Screen::Lesson(view) = &app.screen
        && view.prompt.is_some()
    {
        let mut effects = Vec::new();
        if typed.is_empty() || typed == "q" {
            return app.update(key(KeyCode::Esc));
        }
        // The y/N before host access takes one answer, not a line of keys.
        if matches!(&view.prompt, Some(Prompt::Consent { .. })) {
            let first = typed.chars().next().unwrap_or('n');
            return app.update(key(KeyCode::Char(first)));
        }
        for c in typed.chars() {
            effects.extend(app.update(key(KeyCode::Char(c))));
        }
        // The credentials prompt has two fields: a line each.
        let needs_second = matches!(
            &app.screen,
            Screen::Lesson(v) if matches!(&v.prompt, Some(Prompt::Credentials { on_password: false, .. }))
        );
        if needs_second {
            effects.extend(app.update(key(KeyCode::Tab)));
            return effects;
        }
        effects.extend(app.update(key(KeyCode::Enter)));
        return effects;
    }
    if matches!(app.screen, Screen::Quiz(_)) {
        let was_answered = matches!(&app.screen, Screen::Quiz(q) if q.result.is_some());
        let effects = answer_quiz(app, line);
        // An answer that was not understood: say so, rather than ask again in silence.
        app.notice = match &app.screen {
            Screen::Quiz(q) if !was_answered && q.result.is_none() && line.trim() != "q" => Some(
                t!(
                    "Ответ не понят: нужны номера вариантов из списка (или текст для вопроса со свободным ответом)",
                    "Answer not understood: type option numbers from the list (or text for a free-text question)"
                )
                .into(),
            ),
            _ => None,
        };
        return effects;
    }
    match (&app.screen, typed) {
        (_, "q") => app.update(key(KeyCode::Char('q'))),
        (_, "?") => Vec::new(),
        (_, "lang") => app.update(key(KeyCode::F(2))),
        (Screen::Lessons, n) if n.parse::<usize>().is_ok() => {
            let n: usize = n.parse().unwrap_or(0);
            if n >= 1 && n <= app.lessons.len() {
                app.home.selected = n - 1;
                app.update(key(KeyCode::Enter))
            } else {
                Vec::new()
            }
        }
        (Screen::Lesson(_), "") => app.update(key(KeyCode::Enter)),
        (Screen::Lesson(_), "n") => app.update(key(KeyCode::Char('n'))),
        (Screen::Lesson(_), "p") => app.update(key(KeyCode::Char('p'))),
        (Screen::Lesson(_), "e") => app.update(key(KeyCode::Char('e'))),
        (Screen::Lesson(view), n) if n.parse::<usize>().is_ok() => {
            let (lesson, from) = (view.lesson, view.step);
            let to = n.parse::<usize>().unwrap_or(0);
            let steps = app.lessons.get(lesson).map_or(0, |l| l.steps.len());
            if to >= 1 && to <= steps {
                let code = if to - 1 > from {
                    KeyCode::Char('n')
                } else {
                    KeyCode::Char('p')
                };
                for _ in 0..(to - 1).abs_diff(from) {
                    app.update(key(code));
                }
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// The question at the end of the page.
fn prompt_text(app: &App) -> String {
    let lang = app.lang;
    match &app.screen {
        Screen::Lesson(view) if view.prompt.is_some() => "> ".to_string(),
        Screen::Lessons => t!(
            "Номер урока и Enter, q — выход, lang — English: ",
            "Lesson number and Enter, q to quit, lang for русский: "
        )
        .get(lang)
        .to_string(),
        Screen::Quiz(quiz) => quiz_prompt(quiz).get(lang).to_string(),
        Screen::Lesson(_) => t!(
            "Enter — выполнить или дальше, n — следующий шаг, p — предыдущий, номер — к шагу, e — редактор, q — к урокам: ",
            "Enter to do it or go on, n next step, p previous, a number to go to that step, e editor, q back to the lessons: "
        )
        .get(lang)
        .to_string(),
        _ => "> ".to_string(),
    }
}

/// The screen as plain lines.
pub fn render(app: &App) -> String {
    let lang = app.lang;
    let mut out = Vec::new();
    if let Some(notice) = &app.notice {
        out.push(clean(notice.get(lang)));
    }
    match &app.screen {
        Screen::Lessons => {
            out.push(format!("layerlab — {}", app.pack_title.get(lang)));
            for (i, lesson) in app.lessons.iter().enumerate() {
                let (done, required) = app.progress.counts(lesson);
                let optional = lesson.steps.len() - required;
                let state = if required > 0 && done >= required {
                    t!("пройден", "done")
                } else if done > 0 {
                    t!("начат", "started")
                } else {
                    t!("не начат", "not started")
                };
                out.push(format!(
                    "{}. {} — {}; {}: {done}; {}",
                    i + 1,
                    lesson.title.get(lang),
                    crate::tui::ui::counts::steps(lang, required, optional),
                    t!("сделано", "done").get(lang),
                    state.get(lang)
                ));
            }
        }
        Screen::Lesson(view) => render_lesson(app, view, &mut out),
        Screen::Quiz(quiz) => render_quiz(app, quiz, &mut out),
        _ => {}
    }
    out.join("\n")
}

/// One lesson step as plain lines, in the order the TUI shows it: where we
/// are, what the step says, what its run did, what it asks, how far along.
fn render_lesson(
    app: &App,
    view: &crate::tui::screens::lesson::LessonScreen,
    out: &mut Vec<String>,
) {
    let lang = app.lang;
    let Some(lesson) = app.lessons.get(view.lesson) else {
        return;
    };
    let Some(step) = lesson.steps.get(view.step) else {
        return;
    };
    out.push(String::new());
    out.push(step_heading(app, view, lesson, step));
    step_body(app, step, out);
    run_lines(lang, &view.run, out);
    if let Some(prompt) = &view.prompt {
        prompt_lines(lang, prompt, out);
    }
    progress_lines(app, view, lesson, out);
}

/// "Lesson 2: title. Step 3/5: title (optional) — done": the whole place
/// on one line, so a screen reader says it before anything else.
fn step_heading(
    app: &App,
    view: &crate::tui::screens::lesson::LessonScreen,
    lesson: &crate::lesson::Lesson,
    step: &crate::lesson::Step,
) -> String {
    let lang = app.lang;
    let done = app.progress.is_done(&lesson.id, &step.id);
    format!(
        "{} {}: {}. {}{}/{}: {}{} — {}",
        t!("Урок", "Lesson").get(lang),
        view.lesson + 1,
        lesson.title.get(lang),
        t!("Шаг ", "Step ").get(lang),
        view.step + 1,
        lesson.steps.len(),
        step.title.as_ref().map_or("", |t| t.get(lang)),
        if step.optional {
            t!(" (необязательный)", " (optional)").get(lang)
        } else {
            ""
        },
        if done {
            t!("сделан", "done")
        } else {
            t!("не сделан", "not done")
        }
        .get(lang)
    )
}

/// What the step says: its text, the file it is about (numbered, from the
/// workspace or else the pack) and the docker command it stands for.
fn step_body(app: &App, step: &crate::lesson::Step, out: &mut Vec<String>) {
    let lang = app.lang;
    if let Some(text) = &step.text {
        for line in crate::tui::ui::markup::render(text.get(lang), app.theme) {
            out.push(flatten(&line));
        }
    }
    if let Some(file) = step.file.as_ref() {
        let path = app.workspace.join(&file.path);
        let text = std::fs::read_to_string(&path).ok().or_else(|| {
            app.pack
                .as_ref()
                .and_then(|p| p.read_asset(&file.path))
                .map(|b| String::from_utf8_lossy(b).into_owned())
        });
        out.push(format!("{} {}:", t!("Файл", "File").get(lang), file.path));
        for (i, line) in text.unwrap_or_default().lines().enumerate() {
            out.push(format!("{:>3}  {}", i + 1, clean(line)));
        }
    }
    if let Some(docker) = &step.docker {
        out.push(format!(
            "{}$ {}",
            t!("Команда: ", "Command: ").get(lang),
            app.fill_known(docker)
        ));
    }
}

/// What the last run of the step did: nothing yet, or a word and its output.
fn run_lines(lang: crate::i18n::Lang, run: &RunState, out: &mut Vec<String>) {
    match run {
        RunState::Idle | RunState::Running => {}
        RunState::Finished(outcome) => {
            out.push(format!(
                "{}: {}",
                if outcome.ok() {
                    t!("Готово", "OK")
                } else {
                    t!("Ошибка", "FAILED")
                }
                .get(lang),
                result(outcome.summary.get(lang))
            ));
            out.extend(
                outcome
                    .output
                    .iter()
                    .map(|l| format!("  {}", result(l.get(lang)))),
            );
        }
        RunState::Failed(message) => {
            out.push(format!(
                "{}: {}",
                t!("Ошибка", "FAILED").get(lang),
                result(message.get(lang))
            ));
        }
    }
}

/// What the step asks before it can run, and why the last answer was refused.
fn prompt_lines(lang: crate::i18n::Lang, prompt: &Prompt, out: &mut Vec<String>) {
    if let Prompt::Consent { command, .. } = prompt {
        out.push(format!("$ {}", clean(command)));
    }
    out.push(
        match prompt {
            Prompt::Registry { .. } => t!(
                "Реестр (например, docker.io/USER или 127.0.0.1:5000/USER), пустая строка — отмена:",
                "Registry (e.g. docker.io/USER or 127.0.0.1:5000/USER), an empty line cancels:"
            ),
            Prompt::Archive { .. } => t!(
                "Путь к файлу docker save с базовым образом, пустая строка — отмена:",
                "The path of the docker save file with the base image, an empty line cancels:"
            ),
            Prompt::Credentials { on_password: false, .. } => t!(
                "Реестр отклонил учётные данные. Имя пользователя:",
                "The registry refused the credentials. Username:"
            ),
            Prompt::Credentials { .. } => t!(
                "Пароль (виден при вводе в простом режиме; хранится только в памяти):",
                "Password (visible as you type in plain mode; kept in memory only):"
            ),
            Prompt::Consent { .. } => t!(
                "Этот шаг получает доступ к хосту. Выполнить команду выше? y — да, остальное — нет:",
                "This step gets access to the host. Run the command above? y for yes, anything else is no:"
            ),
        }
        .get(lang)
        .to_string(),
    );
    let error = match prompt {
        Prompt::Registry { error, .. }
        | Prompt::Archive { error, .. }
        | Prompt::Credentials { error, .. } => error,
        Prompt::Consent { .. } => &None,
    };
    if let Some(error) = error {
        out.push(format!(
            "{}: {}",
            t!("Ошибка", "Error").get(lang),
            clean(error)
        ));
    }
}

/// How much of the lesson is done and, once it is, where to go next.
fn progress_lines(
    app: &App,
    view: &crate::tui::screens::lesson::LessonScreen,
    lesson: &crate::lesson::Lesson,
    out: &mut Vec<String>,
) {
    let lang = app.lang;
    let (done, required) = app.progress.counts(lesson);
    let optional = lesson.steps.len() - required;
    out.push(format!(
        "{}: {}",
        t!("Прогресс урока", "Lesson progress").get(lang),
        crate::tui::ui::counts::done_of(lang, done, required, optional)
    ));
    if required > 0 && done >= required {
        let next = app
            .lessons
            .get(view.lesson + 1)
            .map(|l| l.title.get(lang).to_string());
        out.push(match next {
            Some(title) => crate::tr!(
                lang,
                "Урок пройден. Дальше: «{title}» — q, затем {n}",
                "Lesson done. Next: “{title}” — q, then {n}",
                n = view.lesson + 2
            ),
            None => t!(
                "Урок пройден. Это был последний урок.",
                "Lesson done. That was the last lesson."
            )
            .get(lang)
            .to_string(),
        });
    }
}

fn flatten(line: &Line) -> String {
    clean(
        &line
            .spans
            .iter()
            .map(|s| s.content.as_ref())
            .collect::<String>(),
    )
}

/// No control characters from the daemon or a file reach the terminal.
/// A result as words: the TUI draws `code` in its own style, a screen
/// reader would read the backticks aloud.
fn result(text: &str) -> String {
    clean(text).replace('`', "")
}

fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
        .collect()
}

/// What the quiz asks for on the line, by the kind of question.
fn quiz_prompt(quiz: &QuizScreen) -> crate::i18n::UiText {
    use crate::quiz::QuestionKind as K;
    let kind = quiz.session.item(quiz.index).map(|i| &i.question.answer);
    match kind {
        _ if quiz.result.is_some() => t!(
            "Enter — следующий вопрос, p — предыдущий, r — пересдать неверные (в конце), q — выход: ",
            "Enter for the next question, p previous, r to retry the wrong ones (at the end), q to leave: "
        ),
        Some(K::Single { .. }) => t!("Номер ответа: ", "The number of your answer: "),
        Some(K::Multiple { .. }) => t!(
            "Номера верных ответов через пробел: ",
            "The numbers of the right answers, separated by spaces: "
        ),
        Some(K::Order { .. }) => t!(
            "Номера в правильном порядке через пробел, например 2 1 3: ",
            "The numbers in the right order, separated by spaces, e.g. 2 1 3: "
        ),
        _ => t!("Ваш ответ: ", "Your answer: "),
    }
}

/// A typed answer into the quiz screen's own state, then Enter, as the TUI
/// does it (so the answer is scored and saved the same way).
fn answer_quiz(app: &mut App, line: &str) -> Vec<Effect> {
    use crate::quiz::QuestionKind as K;
    let typed = line.trim();
    let Screen::Quiz(quiz) = &mut app.screen else {
        return Vec::new();
    };
    if quiz.result.is_some() || typed == "q" {
        return match typed {
            "q" => app.update(key(KeyCode::Char('q'))),
            "p" => app.update(key(KeyCode::Char('p'))),
            "r" => app.update(key(KeyCode::Char('r'))),
            _ => app.update(key(KeyCode::Enter)),
        };
    }
    let count = match quiz.session.item(quiz.index).map(|i| &i.question.answer) {
        Some(K::Single { options, .. }) | Some(K::Multiple { options, .. }) => options.len(),
        Some(K::Order { items }) => items.len(),
        _ => 0,
    };
    let numbers: Option<Vec<usize>> = typed
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .ok()
                .filter(|n| (1..=count).contains(n))
                .map(|n| n - 1)
        })
        .collect();
    match quiz.session.item(quiz.index).map(|i| &i.question.answer) {
        Some(K::FreeText { .. }) => {
            for c in typed.chars() {
                app.update(key(KeyCode::Char(c)));
            }
            app.update(key(KeyCode::Enter))
        }
        Some(K::Single { .. }) => match numbers.as_deref() {
            Some([one]) => {
                quiz.cursor = *one;
                app.update(key(KeyCode::Enter))
            }
            _ => Vec::new(),
        },
        Some(K::Multiple { .. }) => match numbers {
            Some(picks) if !picks.is_empty() => {
                quiz.picks = picks.into_iter().collect();
                app.update(key(KeyCode::Enter))
            }
            _ => Vec::new(),
        },
        Some(K::Order { .. }) => match numbers {
            // A whole order: every item once.
            Some(order)
                if order.len() == count
                    && order
                        .iter()
                        .collect::<std::collections::BTreeSet<_>>()
                        .len()
                        == count =>
            {
                quiz.arrangement = order;
                app.update(key(KeyCode::Enter))
            }
            _ => Vec::new(),
        },
        None => Vec::new(),
    }
}

fn render_quiz(app: &App, quiz: &QuizScreen, out: &mut Vec<String>) {
    use crate::quiz::QuestionKind as K;
    let lang = app.lang;
    let Some(item) = quiz.session.item(quiz.index) else {
        return;
    };
    let question = &item.question;
    let position = quiz
        .queue
        .iter()
        .position(|&i| i == quiz.index)
        .map_or(quiz.index + 1, |p| p + 1);
    out.push(String::new());
    out.push(format!(
        "{} {position}/{}",
        t!("Вопрос", "Question").get(lang),
        quiz.queue.len()
    ));
    for line in crate::tui::ui::markup::render(question.prompt.get(lang), app.theme) {
        out.push(flatten(&line));
    }
    let shuffle = quiz.session.shuffle(quiz.index);
    let original = |display: usize| {
        shuffle
            .as_ref()
            .and_then(|s| s.original(display))
            .unwrap_or(display)
    };
    match &question.answer {
        K::Single { options, .. } | K::Multiple { options, .. } => {
            for display in 0..options.len() {
                let text = options.get(original(display)).map_or("", |t| t.get(lang));
                out.push(format!("{}. {}", display + 1, clean(text)));
            }
        }
        K::Order { items } => {
            for display in 0..items.len() {
                let text = items.get(original(display)).map_or("", |t| t.get(lang));
                out.push(format!("{}. {}", display + 1, clean(text)));
            }
        }
        K::FreeText { .. } => {}
    }
    if let Some(score) = &quiz.result {
        let word = match score.verdict {
            crate::quiz::score::Verdict::Right => t!("Верно", "Right"),
            crate::quiz::score::Verdict::Partial => t!("Частично верно", "Partly right"),
            crate::quiz::score::Verdict::Wrong => t!("Неверно", "Wrong"),
            crate::quiz::score::Verdict::Empty => t!("Нет ответа", "No answer"),
        };
        out.push(format!("{} ({:.0}%)", word.get(lang), score.points * 100.0));
        for line in crate::tui::ui::markup::render(question.explanation.get(lang), app.theme) {
            out.push(flatten(&line));
        }
    }
    let total = quiz.session.total();
    out.push(crate::tr!(
        lang,
        "Счёт: {} из {}; верно {}, частично {}, неверно {}",
        "Score: {} of {}; right {}, partly {}, wrong {}",
        crate::i18n::decimal(lang, f64::from(total.points), 1),
        total.questions,
        total.right,
        total.partial,
        total.wrong + total.empty
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_lose_their_code_marks_and_control_characters() {
        assert_eq!(
            result("войдите (`docker login`)\u{1b}[2J"),
            "войдите (docker login) [2J"
        );
    }
}
