//! One lesson: the steps, the current step's text, the docker command it
//! stands for, and what happened when it ran.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Gauge, List, ListItem, ListState, Paragraph, StatefulWidget, Widget, Wrap,
};

use crate::lesson::StepKind;
use crate::t;
use crate::tui::app::App;
use crate::tui::screens::lesson::*;

pub fn draw(app: &App, view: &LessonScreen, area: Rect, buf: &mut Buffer) {
    draw_measured(app, view, area, buf);
}

/// How far the file and the output can scroll on a screen of `area`: the
/// same drawing, into a scratch buffer, so keys clamp to what the learner
/// sees without the draw writing anything back into the state.
pub fn limits(app: &App, view: &LessonScreen, area: Rect) -> Limits {
    let mut scratch = Buffer::empty(area);
    draw_measured(app, view, area, &mut scratch)
}

fn draw_measured(app: &App, view: &LessonScreen, area: Rect, buf: &mut Buffer) -> Limits {
    let mut limits = Limits::default();
    let Some(lesson) = app.lessons.get(view.lesson) else {
        return limits;
    };
    let main = if area.width >= 100 {
        let [side, main] =
            Layout::horizontal([Constraint::Length(32), Constraint::Min(40)]).areas(area);
        draw_step_list(app, view, lesson, side, buf);
        main
    } else {
        area
    };
    let Some(step) = lesson.steps.get(view.step) else {
        return limits;
    };
    let has_output = view.run != RunState::Idle;
    // Tab on the output: it takes the whole screen, every line in reach.
    if view.focus == Pane::Output && has_output {
        limits.output = draw_output(app, view, main, buf, true);
        return limits;
    }
    let file = step.file.as_ref().filter(|_| step.kind == StepKind::File);
    let output_height = match (&view.run, view.bars.is_empty()) {
        (RunState::Idle, _) => 0,
        (_, true) => (main.height / 3).max(5),
        (_, false) => (main.height / 2).max(6),
    };
    let file_height = match file {
        Some(_) => main.height.saturating_sub(output_height) * 11 / 20,
        None => 0,
    };
    let [text_area, file_area, output_area] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(file_height),
        Constraint::Length(output_height),
    ])
    .areas(main);

    draw_step_text(app, view, lesson, step, text_area, buf);
    if let Some(file) = file {
        limits.file = draw_file(app, view, file, file_area, buf);
    }
    if let Some(prompt) = &view.prompt {
        draw_prompt(app, prompt, text_area, buf);
    }
    if let Some(editor) = &view.editor {
        super::answer::draw(app, editor, text_area, buf);
    }
    if output_height > 0 {
        limits.output = draw_output(app, view, output_area, buf, false);
    }
    limits
}

/// The lesson's steps down the side (on a wide screen), done ones ticked.
fn draw_step_list(
    app: &App,
    view: &LessonScreen,
    lesson: &crate::lesson::Lesson,
    side: Rect,
    buf: &mut Buffer,
) {
    let (theme, lang) = (app.theme, app.lang);
    let items: Vec<ListItem> = lesson
        .steps
        .iter()
        .map(|s| {
            let done = app.progress.is_done(&lesson.id, &s.id);
            let mark = if done {
                Span::styled("✔ ", theme.ok())
            } else {
                Span::raw("  ")
            };
            let title = s.title.as_ref().map_or(s.id.as_str(), |t| t.get(lang));
            let room = usize::from(side.width.saturating_sub(4));
            ListItem::new(Line::from(vec![
                mark,
                Span::raw(super::fit::fit(title, room).into_owned()),
            ]))
        })
        .collect();
    let mut state = ListState::default().with_selected(Some(view.step));
    StatefulWidget::render(
        List::new(items)
            .block(
                Block::bordered()
                    .title(
                        super::fit::fit(
                            lesson.title.get(lang),
                            usize::from(side.width.saturating_sub(2)),
                        )
                        .into_owned(),
                    )
                    .border_style(theme.border()),
            )
            .highlight_style(theme.selected()),
        side,
        buf,
        &mut state,
    );
}

/// The step's text, its command, what the watcher saw, and what Enter does
/// here, in a block titled with the step and the counter.
fn draw_step_text(
    app: &App,
    view: &LessonScreen,
    lesson: &crate::lesson::Lesson,
    step: &crate::lesson::Step,
    text_area: Rect,
    buf: &mut Buffer,
) {
    let (theme, lang) = (app.theme, app.lang);
    let running = view.run == RunState::Running;
    let has_output = view.run != RunState::Idle;
    let mut lines = Vec::new();
    if let Some(text) = &step.text {
        lines.extend(super::markup::render(text.get(lang), theme));
    }
    // A question step has no `text`: its question is the body.
    if let Some(question) = &step.question {
        lines.extend(super::markup::render(question.prompt.get(lang), theme));
    }
    if let Some(docker) = &step.docker {
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled(t!("Команда: ", "Command: ").get(lang), theme.dim()),
            Span::styled(format!("$ {}", app.fill_known(docker)), theme.command()),
        ]));
    }
    lines.extend(watch_lines(app, view));
    lines.push(Line::raw(""));
    let succeeded = matches!(&view.run, RunState::Finished(outcome) if outcome.ok());
    let done = app.progress.is_done(&lesson.id, &step.id);
    let last = view.step + 1 == lesson.steps.len();
    if last && !running && (succeeded || done) {
        lines.push(lesson_done_line(app, lesson));
    } else {
        let done_by = app.progress.step_record(&lesson.id, &step.id).map(|r| r.by);
        // The command still reads РЕЕСТР: Enter asks for it first, and the
        // line says so (typing the command as shown could not work yet).
        let needs_registry = !done
            && !running
            && !app.vars.contains_key("registry")
            && step
                .docker
                .as_deref()
                .is_some_and(|d| d.contains("{registry}"));
        let hint = if needs_registry {
            t!(
                "Enter — указать реестр (он появится в команде), затем наберите команду в своём терминале",
                "Enter to name the registry (the command then shows it), then type the command in your terminal"
            )
        } else {
            enter_hint(step, running, succeeded, done, done_by)
        };
        lines.push(Line::from(Span::styled(hint.get(lang), theme.dim())));
    }
    if has_output && !running {
        lines.push(Line::from(Span::styled(
            t!(
                "Tab — весь вывод шага, G — его конец",
                "Tab for the step's whole output, G for its end"
            )
            .get(lang),
            theme.dim(),
        )));
    }
    let title = step.title.as_ref().map_or("", |t| t.get(lang));
    let counter = step_counter(app, lesson, view.step);
    let optional = if step.optional {
        t!(" (необязательный)", " (optional)").get(lang)
    } else {
        ""
    };
    // The title gives way, not the "(optional)" mark: cut, the mark went first.
    let title_room = usize::from(text_area.width)
        .saturating_sub(counter.chars().count() + 7 + optional.chars().count());
    let title = format!("{}{optional}", super::fit::fit(title, title_room));
    let focused = view.focus == Pane::Text;
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((view.scroll, 0))
        .block(
            Block::bordered()
                .title(Span::styled(
                    format!(" {}{title} ", if focused { "▶ " } else { "" }),
                    theme.title(),
                ))
                .title_top(Line::from(counter).right_aligned())
                .border_style(if focused {
                    theme.border_focused()
                } else {
                    theme.border()
                }),
        )
        .render(text_area, buf);
}

/// What Enter does on this step, said under its text. It must match what
/// `app/lesson.rs` does with Enter: a step that opens the lab or the
/// explorer opens it again (also once it is done), not "do it".
fn enter_hint(
    step: &crate::lesson::Step,
    running: bool,
    succeeded: bool,
    done: bool,
    done_by: Option<crate::progress::By>,
) -> crate::i18n::UiText {
    let opens = match &step.action {
        Some(crate::lesson::Action::Lab { .. }) => Some(t!(
            "Enter — открыть живую лабораторию",
            "Enter to open the live lab"
        )),
        Some(crate::lesson::Action::Layers { .. }) => Some(t!(
            "Enter — открыть обозреватель слоёв",
            "Enter to open the layer explorer"
        )),
        _ => None,
    };
    if running {
        return t!("Esc — отменить", "Esc to cancel");
    }
    if let (StepKind::Action, Some(opens)) = (step.kind, opens) {
        return opens;
    }
    match step.kind {
        _ if succeeded => t!("Enter — дальше", "Enter to go on"),
        StepKind::File => t!(
            "Enter — дальше · e — открыть в редакторе · Tab — к файлу",
            "Enter to go on · e — open in the editor · Tab to the file"
        ),
        StepKind::Prose => t!("Enter — дальше", "Enter to go on"),
        // A file to change: Enter (or e) opens it; nothing to type.
        StepKind::Action
            if !done && matches!(step.action, Some(crate::lesson::Action::Edit { .. })) =>
        {
            t!(
                "Enter или e — открыть файл в редакторе; шаг отметится сам, когда файл изменится",
                "Enter or e opens the file in the editor; the step ticks itself once the file changes"
            )
        }
        StepKind::Action
            if !done
                && matches!(
                    crate::lesson::watching::watched(step),
                    crate::lesson::watching::Watched::Expect(_)
                ) =>
        {
            t!(
                "Наберите команду в своём терминале — шаг отметится сам · d — сделать за меня (отметится: сделал layerlab)",
                "Type it in your terminal: the step ticks itself · d: do it for me (recorded as done by layerlab)"
            )
        }
        // Back on a step already done (watched or "do it for me"): Enter
        // goes on, and the line says who did it, as the progress records.
        StepKind::Action
            if done
                && !step
                    .action
                    .as_ref()
                    .is_some_and(crate::lesson::Action::opens_a_screen) =>
        {
            match done_by {
                Some(crate::progress::By::Layerlab) => t!(
                    "✔ сделано (сделал layerlab) · Enter — дальше",
                    "✔ done (by layerlab) · Enter to go on"
                ),
                _ => t!(
                    "✔ сделано (вами) · Enter — дальше",
                    "✔ done (by you) · Enter to go on"
                ),
            }
        }
        StepKind::Action => t!("Enter — выполнить", "Enter to do it"),
        StepKind::Check => t!("Enter — проверить", "Enter to check"),
        StepKind::Question => t!("Enter — ответить", "Enter to answer"),
        StepKind::Answer => t!(
            "Enter — написать ответ здесь, e — в своём редакторе ($VISUAL/$EDITOR)",
            "Enter to write your answer here, e in your own editor ($VISUAL/$EDITOR)"
        ),
    }
}

/// The step counter in the text's title: where this step is among all of
/// them, and how many are done out of the required ones, optional ones
/// counted apart, as in the lessons list and `layerlab lessons`.
pub fn step_counter(app: &App, lesson: &crate::lesson::Lesson, step: usize) -> String {
    let (done, required) = app.progress.counts(lesson);
    let optional = lesson.steps.len() - required;
    format!(
        " {} {}/{} · ✔ {} ",
        t!("Шаг", "Step").get(app.lang),
        step + 1,
        lesson.steps.len(),
        super::counts::done_of(app.lang, done, required, optional)
    )
}

/// On the last step, once it is done: the lesson is over (or what is left),
/// and what Enter opens next.
fn lesson_done_line(app: &App, lesson: &crate::lesson::Lesson) -> Line<'static> {
    let (theme, lang) = (app.theme, app.lang);
    let (done, required) = app.progress.counts(lesson);
    let next = app.next_lesson_title().map(|t| t.get(lang).to_string());
    let head = if done >= required {
        t!("✔ Урок пройден", "✔ Lesson done").get(lang).to_string()
    } else {
        let left = crate::i18n::count(lang, required - done, crate::i18n::nouns::STEP);
        crate::tr!(
            lang,
            "Последний шаг пройден; не сделано ещё: {left}",
            "The last step is done; still to do: {left}"
        )
    };
    let tail = match next {
        Some(title) => crate::tr!(
            lang,
            " — дальше: «{title}» (Enter)",
            " — next: “{title}” (Enter)"
        ),
        None => t!(" — это был последний урок", " — that was the last lesson")
            .get(lang)
            .to_string(),
    };
    Line::from(Span::styled(format!("{head}{tail}"), theme.ok()))
}

/// A `file` step's file from the learner's workspace, with line numbers and
/// the step's lines marked; the file named by `beside` next to it.
fn draw_file(
    app: &App,
    view: &LessonScreen,
    file: &crate::lesson::model::FileView,
    area: Rect,
    buf: &mut Buffer,
) -> (u16, u16) {
    let (theme, lang) = (app.theme, app.lang);
    let focused = view.focus == Pane::File;
    let highlight = highlighted_lines(&file.highlight);
    let mut panes = vec![(file.path.clone(), highlight.clone())];
    if let Some(beside) = &file.beside {
        panes.push((beside.clone(), Vec::new()));
    }
    let areas = if panes.len() == 2 && area.width >= 100 {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .split(area)
            .to_vec()
    } else {
        Layout::vertical(vec![Constraint::Ratio(1, panes.len() as u32); panes.len()])
            .split(area)
            .to_vec()
    };
    let mut total_rows = 0u16;
    let mut shown_rows = u16::MAX;
    for ((path, marks), pane) in panes.iter().zip(areas) {
        let (text, note) = file_text(app, path);
        let visible = pane.height.saturating_sub(2);
        let count = u16::try_from(text.lines().count()).unwrap_or(u16::MAX);
        total_rows = total_rows.max(count);
        shown_rows = shown_rows.min(visible);
        let auto = highlight.first().map_or(0, |first| {
            u16::try_from(first.saturating_sub(3)).unwrap_or(0)
        });
        let max = count.saturating_sub(visible);
        let offset = view.file_scroll.unwrap_or(auto).min(max);
        let width = count.to_string().len().max(2);
        let lines: Vec<Line> = text
            .lines()
            .enumerate()
            .skip(usize::from(offset))
            .take(usize::from(visible))
            .map(|(i, line)| {
                let number = i + 1;
                let marked = marks.contains(&number);
                // A mark as well as a colour: NO_COLOR and screen readers.
                let gutter = format!("{}{number:>width$} ", if marked { "▶" } else { " " });
                let clean: String = line
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                Line::from(vec![
                    Span::styled(gutter, if marked { theme.ok() } else { theme.dim() }),
                    Span::styled(
                        clean,
                        if marked {
                            theme.code()
                        } else {
                            ratatui::style::Style::new()
                        },
                    ),
                ])
            })
            .collect();
        let mut title = format!(" {}{path}", if focused { "▶ " } else { "" });
        if let Some(note) = note {
            title.push_str(&format!(" ({note})"));
        }
        title.push(' ');
        let room = usize::from(pane.width.saturating_sub(2));
        let below = count.saturating_sub(offset + visible);
        let position = if offset > 0 || below > 0 {
            format!(" ↑{offset} ↓{below} ")
        } else {
            String::new()
        };
        let mut block = Block::bordered()
            .title(Span::styled(
                super::fit::fit(&title, room).into_owned(),
                theme.title(),
            ))
            .border_style(if focused {
                theme.border_focused()
            } else {
                theme.border()
            });
        let footer = format!(
            "{position} {} ",
            t!("e — открыть в редакторе", "e — open in the editor").get(lang)
        );
        block = block.title_bottom(
            Line::from(Span::styled(
                super::fit::fit(&footer, room).into_owned(),
                theme.dim(),
            ))
            .right_aligned(),
        );
        Paragraph::new(lines).block(block).render(pane, buf);
    }
    (total_rows, shown_rows.min(total_rows))
}

/// The numbers of the lines `3` and `5-7` name.
fn highlighted_lines(ranges: &[crate::lesson::model::LineRange]) -> Vec<usize> {
    use crate::lesson::model::LineRange;
    let mut lines = Vec::new();
    for range in ranges {
        match range {
            LineRange::One(n) => lines.push(*n as usize),
            LineRange::Span(text) => {
                let mut ends = text.split('-').map(|n| n.trim().parse::<usize>());
                if let (Some(Ok(from)), Some(Ok(to))) = (ends.next(), ends.next()) {
                    lines.extend(from..=to.min(from + 10_000));
                }
            }
        }
    }
    lines.sort_unstable();
    lines
}

/// The file as the learner has it; before the lesson copied it into the
/// workspace, the pack's copy, said so in the title. Read at each draw so an
/// edit made in `$EDITOR` shows on return; files are small, and capped.
fn file_text(app: &App, path: &str) -> (String, Option<String>) {
    const CAP: u64 = 256 * 1024;
    let lang = app.lang;
    let on_disk = app.workspace.join(path);
    if let Ok(file) = std::fs::File::open(&on_disk) {
        let mut bytes = Vec::new();
        if std::io::Read::read_to_end(&mut std::io::Read::take(file, CAP), &mut bytes).is_ok() {
            return (String::from_utf8_lossy(&bytes).into_owned(), None);
        }
    }
    match app.pack.as_ref().and_then(|pack| pack.read_asset(path)) {
        Some(bytes) => (
            String::from_utf8_lossy(bytes).into_owned(),
            Some(
                t!(
                    "из набора уроков: в вашей папке его ещё нет",
                    "from the lesson pack: not in your folder yet"
                )
                .get(lang)
                .to_string(),
            ),
        ),
        None => (
            String::new(),
            Some(crate::tr!(
                lang,
                "нет файла {}",
                "no file {}",
                on_disk.display()
            )),
        ),
    }
}

/// The output's first line: running (with the counter), or the result.
fn run_status(app: &App, view: &LessonScreen) -> (String, ratatui::style::Style) {
    let (theme, lang) = (app.theme, app.lang);
    match &view.run {
        RunState::Running => {
            let spin = super::SPINNER[app.spinner % super::SPINNER.len()];
            let counter = view
                .counter
                .map(|(c, t)| format!(" {c}/{t}"))
                .unwrap_or_default();
            (
                format!(
                    "{spin} {}{counter} (Esc — {})",
                    t!("выполняется", "running").get(lang),
                    t!("отмена", "cancel").get(lang)
                ),
                theme.warn(),
            )
        }
        RunState::Finished(outcome) if outcome.ok() => {
            (format!("✔ {}", outcome.summary.get(lang)), theme.ok())
        }
        RunState::Finished(outcome) => (format!("✘ {}", outcome.summary.get(lang)), theme.error()),
        RunState::Failed(message) => (format!("✘ {}", message.get(lang)), theme.error()),
        RunState::Idle => (String::new(), theme.dim()),
    }
}

/// What the step printed: the verdict first (it wraps, never cut), then the
/// output and the log, wrapped and scrollable. In the lesson's own pane a
/// finished step's output reads from its top and a running job's log shows
/// its end; `full` is the pane Tab opens over the whole screen.
/// Returns how many rows the output has and how many it shows.
fn draw_output(
    app: &App,
    view: &LessonScreen,
    area: Rect,
    buf: &mut Buffer,
    full: bool,
) -> (u16, u16) {
    let (theme, lang) = (app.theme, app.lang);
    let running = view.run == RunState::Running;
    let (status, style) = run_status(app, view);
    let mut block = Block::bordered().border_style(if full {
        theme.border_focused()
    } else {
        theme.border()
    });
    if full {
        block = block
            .title(Span::styled(
                t!(" ▶ Вывод шага ", " ▶ The step's output ").get(lang),
                theme.title(),
            ))
            .title_bottom(
                Line::from(Span::styled(
                    t!(
                        " ↑↓ PgUp PgDn g G · Esc/Tab — назад ",
                        " ↑↓ PgUp PgDn g G · Esc/Tab back "
                    )
                    .get(lang),
                    theme.dim(),
                ))
                .right_aligned(),
            );
    }
    let inner = block.inner(area);
    block.render(area, buf);
    // A result may quote a command in `backticks`: drawn as code, no marks.
    let status =
        Paragraph::new(super::markup::result(&status, theme, style)).wrap(Wrap { trim: true });
    let status_rows = u16::try_from(status.line_count(inner.width))
        .unwrap_or(u16::MAX)
        .min(inner.height);
    let [status_area, inner] =
        Layout::vertical([Constraint::Length(status_rows), Constraint::Min(0)]).areas(inner);
    status.render(status_area, buf);
    let bar_rows = if full {
        0
    } else {
        (view.bars.len() as u16).min(inner.height / 2)
    };
    let [bars_area, log_area] =
        Layout::vertical([Constraint::Length(bar_rows), Constraint::Min(0)]).areas(inner);
    for (row, (id, current, total, status)) in view.bars.iter().take(bar_rows as usize).enumerate()
    {
        let ratio = if *total > 0 {
            (*current as f64 / *total as f64).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let line = Rect {
            y: bars_area.y + row as u16,
            height: 1,
            ..bars_area
        };
        Gauge::default()
            .ratio(ratio)
            .label(format!("{} {status}", &id[..id.len().min(12)]))
            .gauge_style(theme.ok())
            .render(line, buf);
    }
    let output: &[crate::i18n::Text] = match &view.run {
        RunState::Finished(outcome) => &outcome.output,
        _ => &[],
    };
    let body: Vec<Line> = output
        .iter()
        .map(|line| line.get(lang).to_string())
        .chain(view.log.iter().cloned())
        .map(|l| {
            Line::raw(
                l.chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect::<String>(),
            )
        })
        .collect();
    let paragraph = Paragraph::new(body).wrap(Wrap { trim: false });
    let total = u16::try_from(paragraph.line_count(log_area.width)).unwrap_or(u16::MAX);
    let max = total.saturating_sub(log_area.height);
    // A running job's log and a failure's output show their end, where
    // the cause is; a success's output (a page, a table) reads from the top.
    let failed = matches!(&view.run, RunState::Finished(o) if !o.ok())
        || matches!(view.run, RunState::Failed(_));
    let scroll = match view.output_scroll {
        Some(at) if full => at.min(max),
        _ if running || failed => max,
        _ => 0,
    };
    let rows = (total, log_area.height);
    // What does not fit the small pane: said, with the key that shows it,
    // below when the pane shows the top, above when it shows the end.
    let below = total.saturating_sub(scroll + log_area.height);
    if full || log_area.height < 2 || (below == 0 && scroll == 0) {
        paragraph.scroll((scroll, 0)).render(log_area, buf);
        return rows;
    }
    let (text, log, note, scroll) = if below > 0 {
        let [log, note] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(log_area);
        let lines = crate::i18n::count(lang, below + 1, crate::i18n::nouns::LINE);
        let text = crate::tr!(
            lang,
            "… ещё {lines} — Tab: весь вывод, G: конец",
            "… {lines} more — Tab: the whole output, G: its end"
        );
        (text, log, note, scroll)
    } else {
        let [note, log] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(log_area);
        let lines = crate::i18n::count(lang, scroll + 1, crate::i18n::nouns::LINE);
        let text = crate::tr!(
            lang,
            "… выше ещё {lines} — Tab: весь вывод",
            "… {lines} more above — Tab: the whole output"
        );
        (text, log, note, scroll + 1)
    };
    paragraph.scroll((scroll, 0)).render(log, buf);
    Paragraph::new(Line::from(Span::styled(text, theme.dim()))).render(note, buf);
    rows
}

/// The prompt sits at the bottom of the step's text, over it.
fn draw_prompt(app: &App, prompt: &Prompt, area: Rect, buf: &mut Buffer) {
    let (theme, lang) = (app.theme, app.lang);
    let mut lines = Vec::new();
    let field = |label: String, value: String, focused: bool| {
        let cursor = if focused { "█" } else { "" };
        Line::from(vec![
            Span::styled(label, theme.dim()),
            Span::styled(format!("{value}{cursor}"), theme.command()),
        ])
    };
    let error = match prompt {
        Prompt::Registry { input, error } => {
            lines.push(Line::raw(
                t!(
                    "Реестр (например, docker.io/USER или 127.0.0.1:5000/USER)",
                    "Registry (e.g. docker.io/USER or 127.0.0.1:5000/USER)"
                )
                .get(lang),
            ));
            lines.push(field("> ".into(), input.value().to_string(), true));
            error
        }
        Prompt::Archive { input, error } => {
            lines.push(Line::raw(
                t!(
                    "Файл docker save с базовым образом (например, /media/usb/alpine.tar)",
                    "The docker save file with the base image (e.g. /media/usb/alpine.tar)"
                )
                .get(lang),
            ));
            lines.push(field("> ".into(), input.value().to_string(), true));
            error
        }
        Prompt::Consent { command, .. } => {
            lines.push(Line::from(Span::styled(
                t!(
                    "Этот шаг даёт контейнеру доступ к хосту. Будет выполнено:",
                    "This step gives a container access to the host. It runs:"
                )
                .get(lang),
                theme.warn(),
            )));
            lines.push(Line::from(Span::styled(
                format!("$ {command}"),
                theme.command(),
            )));
            lines.push(Line::from(Span::styled(
                t!(
                    "Выполнить? y — да, n или Esc — нет",
                    "Run it? y for yes, n or Esc for no"
                )
                .get(lang),
                theme.dim(),
            )));
            &None
        }
        Prompt::Credentials {
            registry,
            username,
            password,
            on_password,
            error,
        } => {
            lines.push(Line::raw(format!(
                "{} {registry}. {}",
                t!(
                    "Реестр отклонил учётные данные:",
                    "The registry refused the credentials:"
                )
                .get(lang),
                t!(
                    "Введите их (хранятся только в памяти до выхода)",
                    "Type them (kept in memory only, until you quit)"
                )
                .get(lang)
            )));
            lines.push(field(
                t!("Пользователь: ", "Username: ").get(lang).into(),
                username.value().to_string(),
                !on_password,
            ));
            let dots = "•".repeat(password.value().chars().count());
            lines.push(field(
                t!("Пароль:       ", "Password: ").get(lang).into(),
                dots,
                *on_password,
            ));
            error
        }
    };
    match error {
        Some(error) => lines.push(Line::from(Span::styled(
            format!("✘ {error}"),
            theme.error(),
        ))),
        None if matches!(prompt, Prompt::Consent { .. }) => {}
        None => lines.push(Line::from(Span::styled(
            t!(
                "Enter — готово, Tab — следующее поле, Esc — отмена",
                "Enter to confirm, Tab for the next field, Esc to cancel"
            )
            .get(lang),
            theme.dim(),
        ))),
    }
    // A long command wraps: the box is as tall as the wrapped text.
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let rows = paragraph.line_count(area.width.saturating_sub(2));
    let height = (u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2)).min(area.height);
    let box_area = Rect {
        y: area.y + area.height.saturating_sub(height),
        height,
        ..area
    };
    ratatui::widgets::Clear.render(box_area, buf);
    paragraph
        .block(Block::bordered().border_style(theme.border_focused()))
        .render(box_area, buf);
}

/// The y/N question of a step that asks first, and what the watcher found
/// for the open step (hints, the note on typing it).
fn watch_lines(app: &App, view: &LessonScreen) -> Vec<Line<'static>> {
    let theme = app.theme;
    let mut lines = Vec::new();
    if view.confirming {
        lines.push(Line::from(Span::styled(
            t!(
                "Этот шаг спрашивает подтверждения (привилегии, долгая работа или публикация наружу). Выполнить? y — да, любая другая клавиша — нет",
                "This step asks first (privileges, a long job, or publishing outside). Go ahead? y: yes, any other key: no"
            )
            .get(app.lang),
            theme.warn(),
        )));
    }
    for hint in &view.hints {
        lines.extend(super::markup::result(hint, theme, theme.warn()));
    }
    lines
}
