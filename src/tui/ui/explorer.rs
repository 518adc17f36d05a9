//! The layer explorer: the image's layers on the left (size, what each did,
//! the instruction behind it, wasted space), the file tree of the chosen
//! layer or of the whole image on the right, with marks and sizes.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, StatefulWidget, Widget, Wrap};

use crate::layers::report::{human_bytes as human, instruction};
use crate::layers::{EntryKind, Mark, SortBy};
use crate::t;
use crate::tui::app::App;
use crate::tui::screens::explorer::*;

pub fn draw(app: &App, view: &ExplorerScreen, area: Rect, buf: &mut Buffer) {
    let theme = app.theme;
    let lang = app.lang;
    let Some(analysis) = &view.analysis else {
        let text = match &view.error {
            Some(e) => Line::from(Span::styled(format!("✘ {}", e.get(lang)), theme.error())),
            None => Line::from(Span::styled(
                format!(
                    "{} {} {}",
                    crate::tui::ui::SPINNER[app.spinner % crate::tui::ui::SPINNER.len()],
                    t!("читаю слои образа", "reading the layers of").get(lang),
                    view.reference
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
    let report = analysis.report();
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(48), Constraint::Percentage(52)]).areas(area);
    let [layers_area, details_area] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(8)]).areas(left);

    // Layers, with "the whole image" as the first row.
    let mut items = vec![ListItem::new(Line::from(vec![Span::styled(
        t!("  всё: что видит контейнер", "  all: what a container sees").get(lang),
        theme.heading(),
    )]))];
    for layer in analysis.layers() {
        items.push(ListItem::new(Line::from(vec![
            Span::raw(format!(
                "{:>2} {:>9} ",
                layer.index + 1,
                human(layer.size_bytes)
            )),
            Span::styled(
                format!("+{} ~{} -{} ", layer.added, layer.modified, layer.removed),
                theme.dim(),
            ),
            Span::raw(instruction(&layer.created_by)),
        ])));
    }
    let selected = view.layer.map_or(0, |k| k + 1);
    let focused = view.pane == Pane::Layers;
    let title = format!(
        " {} {} — {} ",
        t!("Слои", "Layers").get(lang),
        view.reference,
        report.layers.len()
    );
    StatefulWidget::render(
        List::new(items)
            .block(Block::bordered().title(title).border_style(if focused {
                theme.border_focused()
            } else {
                theme.border()
            }))
            .highlight_style(theme.selected()),
        layers_area,
        buf,
        &mut ListState::default().with_selected(Some(selected)),
    );

    // Details: the totals, the compared image, the selected layer in full.
    let mut lines = vec![Line::from(vec![
        Span::raw(format!(
            "{} {} · ",
            t!("в слоях", "stored").get(lang),
            human(report.total_file_bytes)
        )),
        Span::raw(format!(
            "{} {} ({}) · ",
            t!("видно", "visible").get(lang),
            human(report.visible_file_bytes),
            report.visible_files
        )),
        Span::styled(
            format!(
                "{} {} · {:.1}%",
                t!("потеряно", "wasted").get(lang),
                human(report.wasted_bytes),
                report.efficiency * 100.0
            ),
            if report.wasted_bytes > 0 {
                theme.warn()
            } else {
                theme.ok()
            },
        ),
    ])];
    if let Some(other) = &view.compared {
        let o = other.report();
        lines.push(Line::from(Span::styled(
            format!(
                "{} {}: {} {}, {} {}, {} {}",
                t!("сравнить с", "vs").get(lang),
                o.image.reference,
                o.layers.len(),
                t!("слоёв", "layers").get(lang),
                human(o.total_file_bytes),
                t!("в слоях", "stored").get(lang),
                human(o.wasted_bytes),
                t!("потеряно", "wasted").get(lang)
            ),
            theme.dim(),
        )));
    }
    if let Some(layer) = view.layer.and_then(|k| analysis.layers().get(k)) {
        lines.push(Line::from(Span::styled(layer.digest.clone(), theme.code())));
        let text = instruction(&layer.created_by);
        let shown = if view.full_text || text.chars().count() < 200 {
            text
        } else {
            format!("{}… (i)", text.chars().take(200).collect::<String>())
        };
        lines.push(Line::raw(shown));
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .block(Block::bordered().border_style(theme.border()))
        .render(details_area, buf);

    // The tree.
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
            let (mark, style) = match node.mark {
                Mark::Added => ("+", theme.ok()),
                Mark::Modified => ("~", theme.warn()),
                Mark::Removed => ("-", theme.error()),
                Mark::Unchanged => (" ", ratatui::style::Style::new()),
            };
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
                Span::styled(format!("{:>9} ", human(node.size)), theme.dim()),
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
        Some(k) => format!("{} {}", t!("слой", "layer").get(lang), k + 1),
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
