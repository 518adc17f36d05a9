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
    let Some(lesson) = app.lessons.get(view.lesson) else {
        return;
    };
    let theme = app.theme;
    let lang = app.lang;
    let main = if area.width >= 100 {
        let [side, main] =
            Layout::horizontal([Constraint::Length(32), Constraint::Min(40)]).areas(area);
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
        main
    } else {
        area
    };
    let Some(step) = lesson.steps.get(view.step) else {
        return;
    };
    let running = view.run == RunState::Running;
    let output_height = match (&view.run, view.bars.is_empty()) {
        (RunState::Idle, _) => 0,
        (_, true) => (main.height / 3).max(4),
        (_, false) => (main.height / 2).max(6),
    };
    let [text_area, output_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(output_height)]).areas(main);

    let mut lines = Vec::new();
    if let Some(text) = &step.text {
        lines.extend(super::markup::render(text.get(lang), theme));
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
    let hint = match step.kind {
        _ if running => t!("Esc — отменить", "Esc to cancel"),
        _ if succeeded => t!("Enter — дальше", "Enter to go on"),
        StepKind::Prose | StepKind::File => t!("Enter — дальше", "Enter to go on"),
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
        StepKind::Action => t!("Enter — выполнить", "Enter to do it"),
        StepKind::Check => t!("Enter — проверить", "Enter to check"),
        StepKind::Question => t!("Enter — ответить", "Enter to answer"),
        StepKind::Answer => t!("e — написать ответ", "e to write your answer"),
    };
    lines.push(Line::from(Span::styled(hint.get(lang), theme.dim())));
    // Below 100 columns the step list is hidden: the counter says where we are.
    let counter = format!(
        " {} {}/{} ",
        t!("Шаг", "Step").get(lang),
        view.step + 1,
        lesson.steps.len()
    );
    let title_room = usize::from(text_area.width).saturating_sub(counter.chars().count() + 5);
    let title = step.title.as_ref().map_or("", |t| t.get(lang));
    let title = super::fit::fit(title, title_room);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((view.scroll, 0))
        .block(
            Block::bordered()
                .title(Span::styled(format!(" {title} "), theme.title()))
                .title_top(Line::from(counter).right_aligned())
                .border_style(theme.border_focused()),
        )
        .render(text_area, buf);

    if let Some(prompt) = &view.prompt {
        draw_prompt(app, prompt, text_area, buf);
    }
    if output_height == 0 {
        return;
    }
    let (status, style) = match &view.run {
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
    };
    let block = Block::bordered().border_style(theme.border());
    let inner = block.inner(output_area);
    block.render(output_area, buf);
    // A failure's message says what to do: it wraps rather than being cut.
    let status = Paragraph::new(Line::from(Span::styled(status, style))).wrap(Wrap { trim: true });
    let status_rows = u16::try_from(status.line_count(inner.width))
        .unwrap_or(u16::MAX)
        .min(inner.height);
    let [status_area, inner] =
        Layout::vertical([Constraint::Length(status_rows), Constraint::Min(0)]).areas(inner);
    status.render(status_area, buf);
    let bar_rows = (view.bars.len() as u16).min(inner.height / 2);
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
    // A finished step's own output (a page, a table) reads from the top; the
    // log under it, like a running job's, shows its end, where errors are.
    let rows = log_area.height as usize;
    let output: &[crate::i18n::Text] = match &view.run {
        RunState::Finished(outcome) if !running => &outcome.output,
        _ => &[],
    };
    let head = output.len().min(rows);
    let tail = (rows - head).min(view.log.len());
    let body: Vec<String> = output[..head]
        .iter()
        .map(|line| line.get(lang).to_string())
        .chain(view.log[view.log.len() - tail..].iter().cloned())
        .collect();
    Paragraph::new(
        body.iter()
            .map(|l| Line::raw(l.clone()))
            .collect::<Vec<_>>(),
    )
    .render(log_area, buf);
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
        None => lines.push(Line::from(Span::styled(
            t!(
                "Enter — готово, Tab — следующее поле, Esc — отмена",
                "Enter to confirm, Tab for the next field, Esc to cancel"
            )
            .get(lang),
            theme.dim(),
        ))),
    }
    let height = (lines.len() as u16 + 2).min(area.height);
    let box_area = Rect {
        y: area.y + area.height.saturating_sub(height),
        height,
        ..area
    };
    ratatui::widgets::Clear.render(box_area, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
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
        lines.push(Line::from(Span::styled(hint.clone(), theme.warn())));
    }
    lines
}
