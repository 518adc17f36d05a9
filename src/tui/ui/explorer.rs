//! The layer explorer: the image's layers on the left (size, what each did,
//! its name, wasted space), the file tree of the chosen layer or of the whole
//! image on the right, with marks and sizes and their legend. Over it, when
//! open: one file as a layer stores it, or two images side by side.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, StatefulWidget, Widget, Wrap};

use crate::i18n::{count, nouns};
use crate::i18n::{percent, size};
use crate::layers::compare::{Comparison, PathDiff};
use crate::layers::content::Stored;
use crate::layers::report::instruction;
use crate::layers::{Analysis, EntryKind, Mark, SortBy};
use crate::tui::app::App;
use crate::tui::screens::explorer::*;
use crate::tui::theme::Theme;
use crate::{t, tr};

pub fn draw(app: &App, view: &ExplorerScreen, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let lang = app.lang;
    let Some(analysis) = &view.analysis else {
        let text = match &view.error {
            Some(e) => Line::from(Span::styled(format!("✘ {}", e.get(lang)), theme.error())),
            None => Line::from(Span::styled(
                format!(
                    "{} {}",
                    crate::tui::ui::SPINNER[app.spinner % crate::tui::ui::SPINNER.len()],
                    tr!(
                        lang,
                        "читаю слои образа {}",
                        "reading the layers of {}",
                        view.reference
                    )
                ),
                theme.warn(),
            )),
        };
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().border_style(theme.border()))
            .render(area, buf);
        return;
    };
    if let Some(file) = &view.file {
        draw_file(app, view, file, area, buf);
        return;
    }
    if view.comparing && view.compare.is_some() {
        draw_comparison(app, view, area, buf);
        return;
    }
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(48), Constraint::Percentage(52)]).areas(area);
    let details_height = if left.height >= 22 { 10 } else { 8 };
    let [layers_area, details_area] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(details_height)]).areas(left);

    draw_layers(app, view, analysis, layers_area, buf);
    draw_details(app, view, analysis, details_area, buf);
    draw_tree(app, view, right, buf);
}

/// The layers, with "the whole image" as the first row.
fn draw_layers(
    app: &App,
    view: &ExplorerScreen,
    analysis: &Analysis,
    layers_area: Rect,
    buf: &mut Buffer,
) {
    let (theme, lang) = (app.theme, app.lang);
    let report = analysis.report();
    let mut items = vec![ListItem::new(Line::from(vec![Span::styled(
        t!("  всё: что видит контейнер", "  all: what a container sees").get(lang),
        theme.heading(),
    )]))];
    // Narrow: the name matters more than the counts (the tree shows them).
    let wide = layers_area.width >= 60;
    for layer in analysis.layers() {
        let name = view
            .names
            .get(layer.index)
            .map(|n| n.label(lang))
            .unwrap_or_else(|| instruction(&layer.created_by));
        items.push(ListItem::new(Line::from(vec![
            Span::raw(format!(
                "{:>2} {:>8} ",
                layer.index + 1,
                size(lang, layer.size_bytes)
            )),
            Span::styled(
                if wide {
                    format!("+{} ~{} -{} ", layer.added, layer.modified, layer.removed)
                } else {
                    String::new()
                },
                theme.dim(),
            ),
            Span::raw(name),
        ])));
    }
    let selected = view.layer.map_or(0, |k| k + 1);
    let focused = view.pane == Pane::Layers;
    // The count first: a long reference is what gets cut at 80 columns.
    let layers = count(lang, report.layers.len(), nouns::LAYER);
    // Cut with "…" to the pane (borders and the spaces around the title),
    // so a cut reference does not look like a whole, shorter one.
    let room = usize::from(layers_area.width).saturating_sub(layers.chars().count() + 7);
    let title = format!(" {layers} · {} ", super::fit::fit(&view.reference, room));
    StatefulWidget::render(
        List::new(items)
            .block(
                Block::bordered()
                    .title(title)
                    .title_bottom(Line::from(Span::styled(
                        t!(
                            " +добавлено ~изменено -удалено ",
                            " +added ~modified -removed "
                        )
                        .get(lang),
                        theme.dim(),
                    )))
                    .border_style(if focused {
                        theme.border_focused()
                    } else {
                        theme.border()
                    }),
            )
            .highlight_style(theme.selected()),
        layers_area,
        buf,
        &mut ListState::default().with_selected(Some(selected)),
    );
}

/// The totals, the compared image, the selected layer in full.
fn draw_details(
    app: &App,
    view: &ExplorerScreen,
    analysis: &Analysis,
    details_area: Rect,
    buf: &mut Buffer,
) {
    let (theme, lang) = (app.theme, app.lang);
    let report = analysis.report();
    let mut lines = vec![
        Line::raw(tr!(
            lang,
            "в слоях {} · видно {} ({})",
            "stored {} · visible {} ({})",
            size(lang, report.total_file_bytes),
            size(lang, report.visible_file_bytes),
            count(lang, report.visible_files, nouns::FILE)
        )),
        Line::from(Span::styled(
            tr!(
                lang,
                "потеряно {} (скрыто верхними слоями) · эффективность {}",
                "wasted {} (hidden by the layers above) · efficiency {}",
                size(lang, report.wasted_bytes),
                percent(lang, report.efficiency)
            ),
            if report.wasted_bytes > 0 {
                theme.warn()
            } else {
                theme.ok()
            },
        )),
    ];
    if let Some(other) = &view.compared {
        let o = other.report();
        lines.push(Line::from(Span::styled(
            tr!(
                lang,
                "d — рядом с {}: {}, {}",
                "d — beside {}: {}, {}",
                o.image.reference,
                count(lang, o.layers.len(), nouns::LAYER),
                size(lang, o.total_file_bytes)
            ),
            theme.dim(),
        )));
    }
    if let Some(layer) = view.layer.and_then(|k| analysis.layers().get(k)) {
        let name = view.names.get(layer.index);
        if let Some(source) = name.and_then(|n| n.source()) {
            lines.push(Line::from(Span::styled(
                tr!(
                    lang,
                    "{source} — строка Dockerfile; Docker записал:",
                    "{source} is the Dockerfile line; Docker recorded:"
                ),
                theme.dim(),
            )));
        }
        let text = instruction(&layer.created_by);
        let text = if text.is_empty() {
            t!(
                "(Docker не записал, чем сделан слой)",
                "(Docker recorded nothing about how it was made)"
            )
            .get(lang)
            .to_string()
        } else {
            text
        };
        let shown = if view.full_text || text.chars().count() < 200 {
            text
        } else {
            format!("{}… (i)", text.chars().take(200).collect::<String>())
        };
        lines.push(Line::raw(printable(&shown)));
        lines.push(Line::from(Span::styled(layer.digest.clone(), theme.code())));
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .block(Block::bordered().border_style(theme.border()))
        .render(details_area, buf);
}

/// The chosen layer's (or the whole image's) file tree, and the filter line.
fn draw_tree(app: &App, view: &ExplorerScreen, right: Rect, buf: &mut Buffer) {
    let (theme, lang) = (app.theme, app.lang);
    let Some(tree) = &view.tree else {
        if let Some(e) = &view.layer_error {
            Paragraph::new(Line::from(Span::styled(
                format!("✘ {}", e.message(lang)),
                theme.error(),
            )))
            .wrap(Wrap { trim: true })
            .block(Block::bordered().border_style(theme.border()))
            .render(right, buf);
        }
        return;
    };
    let [tree_area, filter_area] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(if view.filtering || view.view.filter.is_some() {
            1
        } else {
            0
        }),
    ])
    .areas(right);
    let inner_height = tree_area.height.saturating_sub(2) as usize;
    let offset = view.cursor.saturating_sub(inner_height.saturating_sub(1));
    let lines: Vec<Line> = view
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(inner_height)
        .map(|(i, row)| {
            let node = tree.node(row.node);
            let (mark, style) = mark_style(node.mark, theme);
            let fold = if !row.has_children {
                " "
            } else if row.expanded {
                "▾"
            } else {
                "▸"
            };
            let mut name = tree.display_name(row.node).into_owned();
            if node.kind == EntryKind::Dir {
                name.push('/');
            }
            if let Some(target) = tree.link_target(row.node) {
                name.push_str(" → ");
                name.push_str(&String::from_utf8_lossy(target));
            }
            let line = Line::from(vec![
                Span::styled(format!("{mark} "), style),
                Span::styled(format!("{:>8} ", size(lang, node.size)), theme.dim()),
                Span::raw(format!("{}{fold} ", "  ".repeat(row.depth as usize))),
                Span::styled(name, style),
            ]);
            if i == view.cursor && view.pane == Pane::Tree {
                line.style(theme.selected())
            } else {
                line
            }
        })
        .collect();
    let scope = match view.layer {
        None => t!("вся файловая система", "the whole file system")
            .get(lang)
            .to_string(),
        Some(k) => tr!(lang, "слой {}", "layer {}", k + 1),
    };
    let flags = format!(
        "{}{}",
        if view.view.changes_only {
            t!(" · только изменения", " · changes only").get(lang)
        } else {
            ""
        },
        if view.view.sort == SortBy::SizeDesc {
            t!(" · по размеру", " · by size").get(lang)
        } else {
            ""
        }
    );
    let focused = view.pane == Pane::Tree;
    Paragraph::new(lines)
        .block(
            Block::bordered()
                .title(format!(" {scope}{flags} "))
                .title_bottom(Line::from(Span::styled(
                    t!(" v — содержимое файла ", " v — the file's content ").get(lang),
                    theme.dim(),
                )))
                .border_style(if focused {
                    theme.border_focused()
                } else {
                    theme.border()
                }),
        )
        .render(tree_area, buf);
    if filter_area.height > 0 {
        let cursor = if view.filtering { "▏" } else { "" };
        Line::from(vec![
            Span::styled("/ ", theme.key()),
            Span::raw(view.filter.value().to_string()),
            Span::raw(cursor),
        ])
        .render(filter_area, buf);
    }
}

fn mark_style(mark: Mark, theme: Theme) -> (&'static str, Style) {
    match mark {
        Mark::Added => ("+", theme.ok()),
        Mark::Modified => ("~", theme.warn()),
        Mark::Removed => ("-", theme.error()),
        Mark::Unchanged => (" ", Style::new()),
    }
}

/// Strips what must never reach the terminal from file content: control
/// characters other than tab (shown as spaces).
fn printable(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => ' ',
            c if c.is_control() => '·',
            c => c,
        })
        .collect()
}

fn draw_file(app: &App, view: &ExplorerScreen, file: &FileView, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let lang = app.lang;
    let layer_name = view
        .names
        .get(file.layer)
        .map(|n| n.label(lang))
        .unwrap_or_default();
    let title = tr!(
        lang,
        " {} · слой {}: {} ",
        " {} · layer {}: {} ",
        printable(&file.path),
        file.layer + 1,
        layer_name
    );
    let [body, footer] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let block = Block::bordered()
        .title(title)
        .border_style(theme.border_focused());
    let inner = block.inner(body);
    block.render(body, buf);
    let mut footer_line = vec![Span::styled(
        t!(" Esc — закрыть файл", " Esc — close the file").get(lang),
        theme.dim(),
    )];
    match &file.content {
        None => {
            Line::from(Span::styled(
                format!(
                    "{} {}",
                    crate::tui::ui::SPINNER[app.spinner % crate::tui::ui::SPINNER.len()],
                    t!(
                        "читаю файл из слоя (образ выгружается заново)",
                        "reading the file from the layer (the image is exported again)"
                    )
                    .get(lang)
                ),
                theme.warn(),
            ))
            .render(inner, buf);
        }
        Some(Err(e)) => {
            Paragraph::new(Line::from(Span::styled(
                format!("✘ {}", e.get(lang)),
                theme.error(),
            )))
            .wrap(Wrap { trim: true })
            .render(inner, buf);
        }
        Some(Ok(content)) => draw_content(app, file, content, inner, buf, &mut footer_line),
    }
    if file.searching || !file.search.value().is_empty() {
        let found = if file.matches.is_empty() {
            t!("нет совпадений", "no match").get(lang).to_string()
        } else {
            format!(
                "{} ({}/{}) · n/N",
                count(lang, file.matches.len(), nouns::MATCH),
                file.current + 1,
                file.matches.len()
            )
        };
        let cursor = if file.searching { "▏" } else { "" };
        Line::from(vec![
            Span::styled("/ ", theme.key()),
            Span::raw(printable(file.search.value())),
            Span::raw(cursor),
            Span::styled(format!("  {found}"), theme.dim()),
        ])
        .render(footer, buf);
    } else {
        let is_text = matches!(&file.content, Some(Ok(c)) if c.text().is_some());
        if is_text {
            footer_line.push(Span::styled(
                t!(" · / — поиск", " · / — search").get(lang),
                theme.dim(),
            ));
        }
        Line::from(footer_line).render(footer, buf);
    }
}

/// A read file: its text with line numbers (search hits marked), or what
/// it is when it is not text. Adds its size to `footer_line`.
fn draw_content(
    app: &App,
    file: &FileView,
    content: &crate::layers::content::FileContent,
    inner: Rect,
    buf: &mut Buffer,
    footer_line: &mut Vec<Span<'static>>,
) {
    let (theme, lang) = (app.theme, app.lang);
    match (&content.stored, content.text()) {
        (Stored::File { size: total, head }, Some(text)) => {
            let lines: Vec<&str> = text.lines().collect();
            let width = lines.len().max(1).to_string().len();
            let needle = file.search.value().to_lowercase();
            let shown: Vec<Line> = lines
                .iter()
                .enumerate()
                .skip(file.scroll)
                .take(inner.height as usize)
                .map(|(i, l)| {
                    let hit = !needle.is_empty() && l.to_lowercase().contains(&needle);
                    let number = Span::styled(format!("{:>width$} │ ", i + 1), theme.dim());
                    let text = if hit {
                        Span::styled(printable(l), theme.selected())
                    } else {
                        Span::raw(printable(l))
                    };
                    Line::from(vec![number, text])
                })
                .collect();
            Paragraph::new(shown).render(inner, buf);
            footer_line.push(Span::styled(
                format!(
                    " · {} · {}",
                    count(lang, lines.len(), nouns::LINE),
                    size(lang, *total)
                ),
                theme.dim(),
            ));
            if content.truncated() {
                footer_line.push(Span::styled(
                    tr!(
                        lang,
                        " · показано не всё: {} из {}",
                        " · shown: {} of {}",
                        size(lang, head.len() as u64),
                        size(lang, *total)
                    ),
                    theme.warn(),
                ));
            }
        }
        (Stored::File { size: total, .. }, None) => {
            let text = tr!(
                lang,
                "Двоичный файл: {}, {}. Его содержимое не текст, и здесь оно не показывается.",
                "A binary file: {}, {}. Its content is not text and is not shown here.",
                content.kind_name(lang),
                size(lang, *total)
            );
            Paragraph::new(text)
                .wrap(Wrap { trim: true })
                .render(inner, buf);
        }
        (Stored::Link { target, hard }, _) => {
            let text = if *hard {
                tr!(
                    lang,
                    "Жёсткая ссылка на /{}: то же содержимое, что у того файла.",
                    "A hard link to /{}: the same content as that file.",
                    printable(target.trim_start_matches('/'))
                )
            } else {
                tr!(
                    lang,
                    "Символическая ссылка на {}.",
                    "A symbolic link to {}.",
                    printable(target)
                )
            };
            Paragraph::new(text)
                .wrap(Wrap { trim: true })
                .render(inner, buf);
        }
        (Stored::Other, _) => {
            Paragraph::new(
                t!(
                    "Не обычный файл (устройство или канал): содержимого нет.",
                    "Not a regular file (a device or a pipe): there is no content."
                )
                .get(lang),
            )
            .wrap(Wrap { trim: true })
            .render(inner, buf);
        }
    }
}

fn draw_comparison(app: &App, view: &ExplorerScreen, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let lang = app.lang;
    let (Some(a), other) = (&view.analysis, &view.compared) else {
        return;
    };
    let Some(b) = other else {
        Paragraph::new(Line::from(Span::styled(
            format!(
                "{} {}",
                crate::tui::ui::SPINNER[app.spinner % crate::tui::ui::SPINNER.len()],
                tr!(
                    lang,
                    "читаю слои второго образа {}",
                    "reading the layers of the second image {}",
                    view.compare.as_deref().unwrap_or("")
                )
            ),
            theme.warn(),
        )))
        .wrap(Wrap { trim: true })
        .block(Block::bordered().border_style(theme.border()))
        .render(area, buf);
        return;
    };
    let Some(comparison) = &view.comparison else {
        // The worker is comparing them (a big pair takes a while).
        Paragraph::new(Line::from(Span::styled(
            format!(
                "{} {}",
                crate::tui::ui::SPINNER[app.spinner % crate::tui::ui::SPINNER.len()],
                tr!(
                    lang,
                    "сравниваю {} и {}…",
                    "comparing {} and {}…",
                    a.report().image.reference,
                    view.compare.as_deref().unwrap_or("")
                )
            ),
            theme.warn(),
        )))
        .wrap(Wrap { trim: true })
        .block(Block::bordered().border_style(theme.border()))
        .render(area, buf);
        return;
    };
    let rows = comparison.layers.len() as u16 + 4;
    let [top, bottom] =
        Layout::vertical([Constraint::Max(rows.max(6)), Constraint::Min(4)]).areas(area);
    let summary = |r: &crate::layers::Report| {
        tr!(
            lang,
            "{}: {}, {} в слоях, потеряно {}",
            "{}: {}, {} stored, {} wasted",
            r.image.reference,
            count(lang, r.layers.len(), nouns::LAYER),
            size(lang, r.total_file_bytes),
            size(lang, r.wasted_bytes)
        )
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled("A ", theme.heading()),
            Span::raw(summary(a.report())),
        ]),
        Line::from(vec![
            Span::styled("B ", theme.heading()),
            Span::raw(summary(b.report())),
        ]),
    ];
    let half = (top.width.saturating_sub(8) / 2) as usize;
    let cell = |layer: Option<&crate::layers::LayerSummary>,
                names: &[crate::layers::names::LayerName]| {
        let text = match layer {
            Some(l) => {
                let name = names
                    .get(l.index)
                    .map(|n| n.label(lang))
                    .unwrap_or_else(|| instruction(&l.created_by));
                format!("{:>8} {name}", size(lang, l.size_bytes))
            }
            None => String::new(),
        };
        fit(&text, half)
    };
    for (i, pair) in comparison.layers.iter().enumerate() {
        let mark = if pair.shared() { "=" } else { "≠" };
        lines.push(Line::from(vec![
            Span::styled(format!("{:>2} ", i + 1), theme.dim()),
            Span::raw(cell(pair.left.as_ref(), &view.names)),
            Span::styled(
                format!(" {mark} "),
                if pair.shared() {
                    theme.ok()
                } else {
                    theme.warn()
                },
            ),
            Span::raw(cell(pair.right.as_ref(), &view.compared_names)),
        ]));
    }
    Paragraph::new(lines)
        .block(
            Block::bordered()
                .title(
                    t!(
                        " Два образа, слой за слоем ",
                        " Two images, layer by layer "
                    )
                    .get(lang),
                )
                .title_bottom(Line::from(Span::styled(
                    t!(
                        " = тот же слой (один дайджест)  ≠ разные · d — один образ ",
                        " = the same layer (one digest)  ≠ different · d — one image "
                    )
                    .get(lang),
                    theme.dim(),
                )))
                .border_style(theme.border()),
        )
        .render(top, buf);
    draw_paths(app, view, comparison, bottom, buf);
}

fn draw_paths(
    app: &App,
    view: &ExplorerScreen,
    comparison: &Comparison,
    area: Rect,
    buf: &mut Buffer,
) {
    let theme = app.theme;
    let lang = app.lang;
    let height = area.height.saturating_sub(2) as usize;
    let lines: Vec<Line> = comparison
        .paths
        .iter()
        .skip(view.compare_scroll)
        .take(height)
        .map(|p| {
            let (mark, style, what) = match p.diff {
                PathDiff::OnlyLeft => (
                    "A",
                    theme.ok(),
                    t!("только в A", "only in A").get(lang).to_string(),
                ),
                PathDiff::OnlyRight => (
                    "B",
                    theme.warn(),
                    t!("только в B", "only in B").get(lang).to_string(),
                ),
                PathDiff::Differs => (
                    "≠",
                    theme.error(),
                    format!(
                        "{} → {}",
                        size(lang, p.left_size.unwrap_or(0)),
                        size(lang, p.right_size.unwrap_or(0))
                    ),
                ),
            };
            let bytes = match p.diff {
                PathDiff::OnlyLeft => size(lang, p.left_size.unwrap_or(0)),
                PathDiff::OnlyRight => size(lang, p.right_size.unwrap_or(0)),
                PathDiff::Differs => String::new(),
            };
            Line::from(vec![
                Span::styled(format!("{mark} "), style),
                Span::styled(format!("{bytes:>8} "), theme.dim()),
                Span::raw(printable(&p.path)),
                Span::styled(format!("  {what}"), theme.dim()),
            ])
        })
        .collect();
    let title = tr!(
        lang,
        " Пути, которые различаются: {} (A — первый образ, B — второй) ",
        " Paths that differ: {} (A is the first image, B the second) ",
        comparison.differing
    );
    let body: Vec<Line> = if lines.is_empty() {
        vec![Line::raw(
            t!(
                "Контейнеры обоих образов видят одни и те же файлы.",
                "Containers of both images see the same files."
            )
            .get(lang),
        )]
    } else {
        lines
    };
    Paragraph::new(body)
        .block(
            Block::bordered()
                .title(title)
                .border_style(theme.border_focused()),
        )
        .render(area, buf);
}

/// `text` cut or padded to exactly `width` characters.
fn fit(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        format!("{text}{}", " ".repeat(width - n))
    } else {
        let mut s: String = text.chars().take(width.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}
