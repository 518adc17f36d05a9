//! The self-check quiz: one question at a time, the explanation after each
//! answer (right or wrong), the score, and a retry of the wrong ones.

use std::collections::BTreeSet;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use crate::i18n::Lang;
use crate::quiz::QuestionKind;
use crate::quiz::score::{Answer, Score, Verdict};
use crate::t;
use crate::tui::screens::quiz::*;
use crate::tui::theme::Theme;

fn verdict_text(score: &Score, lang: Lang) -> String {
    let word = match score.verdict {
        Verdict::Right => t!("Верно", "Right"),
        Verdict::Partial => t!("Частично верно", "Partly right"),
        Verdict::Wrong => t!("Неверно", "Wrong"),
        Verdict::Empty => t!("Нет ответа", "No answer"),
    };
    format!("{} ({:.0}%)", word.get(lang), score.points * 100.0)
}

/// The question's lines, and which of them are the options (or order
/// items), for drawing and for finding what a click hit.
struct QuestionLines {
    lines: Vec<Line<'static>>,
    options: std::ops::Range<usize>,
}

fn question_lines(lang: Lang, theme: Theme, quiz: &QuizScreen) -> Option<QuestionLines> {
    let item = quiz.session.item(quiz.index)?;
    let question = &item.question;
    let shuffle = quiz.session.shuffle(quiz.index);
    // Prompts and options use the lessons' markup (`code`, *emphasis*).
    let mut lines: Vec<Line<'static>> = super::markup::render(question.prompt.get(lang), theme)
        .into_iter()
        .map(|line| line.patch_style(ratatui::style::Modifier::BOLD))
        .collect();
    lines.push(Line::raw(""));
    let answered = quiz.result.is_some();
    let given = quiz.session.given(quiz.index).cloned();
    let shown_given = match (&given, &shuffle) {
        (Some(answer), Some(shuffle)) => Some(shuffle.to_display(answer)),
        _ => None,
    };
    let options_start = lines.len();
    match &question.answer {
        QuestionKind::Single { options, .. } | QuestionKind::Multiple { options, .. }
            if !options.is_empty() =>
        {
            let correct_set: BTreeSet<usize> = match &question.answer {
                QuestionKind::Single { correct, .. } => BTreeSet::from([*correct]),
                QuestionKind::Multiple { correct, .. } => correct.iter().copied().collect(),
                _ => BTreeSet::new(),
            };
            let multiple = matches!(question.answer, QuestionKind::Multiple { .. });
            let order: Vec<usize> = match &shuffle {
                Some(s) => (0..options.len())
                    .map(|d| s.original(d).unwrap_or(d))
                    .collect(),
                None => (0..options.len()).collect(),
            };
            for (display, &original) in order.iter().enumerate() {
                let ticked = if answered {
                    match &shown_given {
                        Some(Answer::Single(d)) => *d == display,
                        Some(Answer::Multiple(ds)) => ds.contains(&display),
                        _ => false,
                    }
                } else {
                    (multiple && quiz.picks.contains(&display))
                        || (!multiple && quiz.cursor == display)
                };
                let box_ = match (multiple, ticked) {
                    (true, true) => "[x]",
                    (true, false) => "[ ]",
                    (false, true) => "(•)",
                    (false, false) => "( )",
                };
                let mut style = if quiz.cursor == display && !answered {
                    theme.selected()
                } else {
                    ratatui::style::Style::new()
                };
                if answered && correct_set.contains(&original) {
                    style = theme.ok();
                } else if answered && ticked {
                    style = theme.error();
                }
                lines.push(option_line(
                    format!("{box_} "),
                    options[original].get(lang),
                    style,
                    theme,
                ));
            }
        }
        QuestionKind::Order { items } => {
            let arrangement: Vec<usize> = match (&shown_given, answered) {
                (Some(Answer::Order(a)), true) => a.clone(),
                _ => quiz.arrangement.clone(),
            };
            for (row, &display) in arrangement.iter().enumerate() {
                let original = shuffle
                    .as_ref()
                    .and_then(|s| s.original(display))
                    .unwrap_or(display);
                let held = quiz.holding && row == quiz.cursor;
                let style = if row == quiz.cursor && !answered {
                    theme.selected()
                } else {
                    ratatui::style::Style::new()
                };
                let marker = if held { "⇅" } else { " " };
                let text = items.get(original).map(|t| t.get(lang)).unwrap_or("");
                lines.push(option_line(
                    format!("{marker}{}. ", row + 1),
                    text,
                    style,
                    theme,
                ));
            }
        }
        _ => {
            let value = match (&given, answered) {
                (Some(Answer::FreeText(text)), true) => text.clone(),
                _ => quiz.text.value().to_string(),
            };
            lines.push(Line::from(vec![
                Span::styled("> ", theme.key()),
                Span::raw(value),
            ]));
        }
    }
    let options = options_start..lines.len();
    lines.push(Line::raw(""));
    if let Some(score) = &quiz.result {
        let style = match score.verdict {
            Verdict::Right => theme.ok(),
            Verdict::Partial => theme.warn(),
            _ => theme.error(),
        };
        lines.push(Line::from(Span::styled(verdict_text(score, lang), style)));
        if !matches!(score.verdict, Verdict::Right) {
            lines.push(Line::from(vec![
                Span::styled(
                    t!("Правильно: ", "The right answer: ").get(lang),
                    theme.ok(),
                ),
                Span::raw(right_answer(question, lang)),
            ]));
        }
        lines.extend(super::markup::render(question.explanation.get(lang), theme));
        lines.push(Line::from(Span::styled(
            format!("→ {}", reread_text(quiz, quiz.index, lang)),
            theme.dim(),
        )));
    } else {
        let hint = match question.answer {
            QuestionKind::Single { .. } => {
                t!("↑↓ выбрать, Enter — ответить", "↑↓ choose, Enter to answer")
            }
            QuestionKind::Multiple { .. } => t!(
                "↑↓, Пробел — отметить, Enter — ответить",
                "↑↓, Space to tick, Enter to answer"
            ),
            QuestionKind::FreeText { .. } => t!(
                "Напишите ответ, Enter — отправить",
                "Type your answer, Enter to send"
            ),
            QuestionKind::Order { .. } => t!(
                "Пробел — взять/положить, ↑↓ — двигать, Enter — ответить",
                "Space to pick up/put down, ↑↓ to move, Enter to answer"
            ),
        };
        lines.push(Line::from(Span::styled(hint.get(lang), theme.dim())));
    }
    Some(QuestionLines { lines, options })
}

/// One option on one line: its box or number, then its text with markup.
/// The line's style (selection, right, wrong) is the base the markup sits on.
fn option_line(
    prefix: String,
    text: &str,
    style: ratatui::style::Style,
    theme: Theme,
) -> Line<'static> {
    let mut spans = vec![Span::raw(prefix)];
    for line in super::markup::render(text, theme) {
        spans.extend(line.spans);
    }
    Line::from(spans).style(style)
}

/// The question box and the score line under it.
fn layout(area: Rect) -> [Rect; 2] {
    Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area)
}

/// Rows each line takes once wrapped to `width`, as the drawn paragraph wraps them.
fn wrapped_rows(line: &Line<'static>, width: u16) -> u16 {
    let rows = Paragraph::new(line.clone())
        .wrap(Wrap { trim: false })
        .line_count(width);
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// A question taller than the box scrolls: once answered to its end (the
/// verdict and the explanation), before that just enough to keep the
/// highlighted option and the hint under it in view.
fn scroll(
    quiz: &QuizScreen,
    lines: &[Line<'static>],
    options: &std::ops::Range<usize>,
    inner: Rect,
) -> u16 {
    let rows: Vec<u16> = lines.iter().map(|l| wrapped_rows(l, inner.width)).collect();
    let total: u16 = rows.iter().fold(0u16, |sum, r| sum.saturating_add(*r));
    if total <= inner.height {
        return 0;
    }
    let most = total - inner.height;
    if quiz.result.is_some() {
        return most;
    }
    let focus = (options.start + quiz.cursor).min(lines.len().saturating_sub(1));
    // The highlighted option's last row, plus the blank and the hint.
    let focus_bottom = rows[..=focus]
        .iter()
        .fold(0u16, |sum, r| sum.saturating_add(*r))
        .saturating_add(2);
    focus_bottom.saturating_sub(inner.height).min(most)
}

/// The option (display index) drawn at (`column`, `row`) of the quiz body `area`.
pub fn option_at(
    lang: Lang,
    theme: Theme,
    quiz: &QuizScreen,
    area: Rect,
    column: u16,
    row: u16,
) -> Option<usize> {
    let QuestionLines { lines, options } = question_lines(lang, theme, quiz)?;
    let [body, _] = layout(area);
    let inner = body.inner(ratatui::layout::Margin::new(1, 1));
    if !inner.contains(ratatui::layout::Position::new(column, row)) {
        return None;
    }
    let mut top = inner.y;
    let scrolled = scroll(quiz, &lines, &options, inner);
    let row = row.saturating_add(scrolled);
    for (index, line) in lines.iter().enumerate().take(options.end) {
        let bottom = top.saturating_add(wrapped_rows(line, inner.width));
        if (top..bottom).contains(&row) {
            return options.contains(&index).then(|| index - options.start);
        }
        top = bottom;
    }
    None
}

/// The right answer in words: the right option(s), the accepted words, or
/// the items in order.
pub fn right_answer(question: &crate::quiz::Question, lang: Lang) -> String {
    let plain = |text: &str| text.replace('`', "");
    match &question.answer {
        QuestionKind::Single { options, correct } => options
            .get(*correct)
            .map(|o| plain(o.get(lang)))
            .unwrap_or_default(),
        QuestionKind::Multiple { options, correct } => correct
            .iter()
            .filter_map(|&i| options.get(i))
            .map(|o| plain(o.get(lang)))
            .collect::<Vec<_>>()
            .join("; "),
        QuestionKind::FreeText { accept } => accept
            .iter()
            .filter_map(|group| {
                group
                    .iter()
                    .find(|a| !a.starts_with("re:"))
                    .or_else(|| group.first())
                    .map(|a| a.trim_start_matches("re:").to_string())
            })
            .collect::<Vec<_>>()
            .join(" + "),
        QuestionKind::Order { items } => items
            .iter()
            .map(|i| plain(i.get(lang)))
            .collect::<Vec<_>>()
            .join(" → "),
    }
}

/// `перечитайте: урок «…», шаг «…»`, by title.
fn reread_text(quiz: &QuizScreen, index: usize, lang: Lang) -> String {
    match quiz.reread(index) {
        Some((lesson, Some(step))) => crate::tr!(
            lang,
            "перечитайте: урок «{l}», шаг «{s}»",
            "reread: the lesson «{l}», step «{s}»",
            l = lesson.get(lang),
            s = step.get(lang)
        ),
        Some((lesson, None)) => crate::tr!(
            lang,
            "перечитайте урок «{l}»",
            "reread the lesson «{l}»",
            l = lesson.get(lang)
        ),
        None => quiz
            .session
            .item(index)
            .map(|i| i.question.teaches.clone())
            .unwrap_or_default(),
    }
}

/// The end of a round: the score, then each answer not fully right with
/// the right one and where to reread it.
fn draw_summary(lang: Lang, theme: Theme, quiz: &QuizScreen, area: Rect, buf: &mut Buffer) {
    let total = quiz.session.total();
    let mut lines = vec![
        Line::from(Span::styled(
            crate::tr!(
                lang,
                "Итог: {points} из {n} · верно {right} · частично {partial} · неверно {wrong}",
                "Result: {points} of {n} · right {right} · partly {partial} · wrong {wrong}",
                points = crate::i18n::decimal(lang, f64::from(total.points), 1),
                n = total.questions,
                right = total.right,
                partial = total.partial,
                wrong = total.wrong + total.empty
            ),
            theme.title(),
        )),
        Line::raw(""),
    ];
    let wrong = quiz.session.not_fully_right();
    if wrong.is_empty() {
        lines.push(Line::from(Span::styled(
            t!(
                "Все ответы верны. Отлично!",
                "Every answer is right. Well done!"
            )
            .get(lang),
            theme.ok(),
        )));
    } else {
        lines.push(Line::raw(crate::tr!(
            lang,
            "Неверно или не полностью верно — {n}:",
            "Not fully right: {n}",
            n = crate::i18n::count(lang, wrong.len(), crate::i18n::nouns::QUESTION)
        )));
        for index in wrong {
            let Some(item) = quiz.session.item(index) else {
                continue;
            };
            lines.push(Line::raw(""));
            let prompt: String = item
                .question
                .prompt
                .get(lang)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .replace('`', "");
            let verdict = quiz
                .session
                .score(index)
                .map(|s| verdict_text(&s, lang))
                .unwrap_or_default();
            lines.push(Line::from(vec![
                Span::styled(format!("{}. ", index + 1), theme.dim()),
                Span::styled(prompt, theme.title()),
            ]));
            lines.push(Line::from(vec![
                Span::raw("   "),
                Span::styled(verdict, theme.error()),
            ]));
            lines.push(Line::from(vec![
                Span::raw("   "),
                Span::styled(t!("Правильно: ", "Right: ").get(lang), theme.ok()),
                Span::raw(right_answer(&item.question, lang)),
            ]));
            lines.push(Line::from(Span::styled(
                format!("   → {}", reread_text(quiz, index, lang)),
                theme.dim(),
            )));
        }
    }
    let [body, footer] = layout(area);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((quiz.summary_scroll, 0))
        .block(
            Block::bordered()
                .title(Span::styled(
                    format!(" {} ", t!("Итоги теста", "Quiz summary").get(lang)),
                    theme.title(),
                ))
                .border_style(theme.border_focused()),
        )
        .render(body, buf);
    Line::from(Span::styled(
        t!(
            " r — пересдать неверные · ←/p — к вопросам · q — к урокам",
            " r to retry the wrong ones · ←/p back to the questions · q to the lessons"
        )
        .get(lang),
        theme.dim(),
    ))
    .render(footer, buf);
}

pub fn draw(lang: Lang, theme: Theme, quiz: &QuizScreen, area: Rect, buf: &mut Buffer) {
    if quiz.summary {
        return draw_summary(lang, theme, quiz, area, buf);
    }
    let total = quiz.session.total();
    let Some(QuestionLines { lines, options }) = question_lines(lang, theme, quiz) else {
        Paragraph::new(t!("В наборе нет вопросов", "The pack has no questions").get(lang))
            .render(area, buf);
        return;
    };
    let [body, footer] = layout(area);
    let scrolled = scroll(
        quiz,
        &lines,
        &options,
        body.inner(ratatui::layout::Margin::new(1, 1)),
    );
    let position = quiz
        .queue
        .iter()
        .position(|&i| i == quiz.index)
        .unwrap_or(0)
        + 1;
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((scrolled, 0))
        .block(
            Block::bordered()
                .title(Span::styled(
                    format!(
                        " {} {position}/{} ",
                        t!("Вопрос", "Question").get(lang),
                        quiz.queue.len()
                    ),
                    theme.title(),
                ))
                .border_style(theme.border_focused()),
        )
        .render(body, buf);
    let mut score_line = format!(
        " {}: {}/{} · ✔ {} · ½ {} · ✘ {} ",
        t!("Счёт", "Score").get(lang),
        crate::i18n::decimal(lang, f64::from(total.points), 1),
        total.questions,
        total.right,
        total.partial,
        total.wrong + total.empty
    );
    if quiz.session.is_finished() {
        score_line
            .push_str(t!("· r — пересдать неверные", "· r to retry the wrong ones").get(lang));
    }
    Line::from(Span::styled(score_line, theme.dim())).render(footer, buf);
}
