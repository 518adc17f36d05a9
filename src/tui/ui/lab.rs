//! The live lab: on the left the image, its read-only layers and the proof
//! that it did not change; on the right each container's writable layer,
//! live; at the bottom a command line into the selected container.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::docker::lab::{Commit, Sizes};
use crate::docker::model::short_id as short;
use crate::docker::model::{ChangeKind, ImageStore};
use crate::t;
use crate::tui::app::App;
use crate::tui::screens::lab::*;

/// What the lab's panes need from the app: the look, the language and the
/// spinner frame, not the whole `App` — so each pane states its inputs.
#[derive(Clone, Copy)]
struct View {
    theme: crate::tui::theme::Theme,
    lang: crate::i18n::Lang,
    spinner: &'static str,
}

pub fn draw(app: &App, lab: &LabScreen, area: Rect, buf: &mut Buffer) {
    let view = View {
        theme: app.theme,
        lang: app.lang,
        spinner: crate::tui::ui::SPINNER[app.spinner % crate::tui::ui::SPINNER.len()],
    };
    let LabLayout {
        left,
        slots: columns,
        output,
        input,
    } = layout(area);
    draw_image(view, lab, left, buf);
    for (i, column) in columns.iter().enumerate() {
        draw_slot(view, lab, i, *column, buf);
    }
    draw_output(view, lab, output, buf);
    draw_input(view, lab, input, buf);
}

/// The left pane: the image, read-only and checked to be so after every
/// change — or, with F8, where its layers live on disk.
fn draw_image(view: View, lab: &LabScreen, left: Rect, buf: &mut Buffer) {
    let View { theme, lang, .. } = view;
    let (lines, image_title) = if lab.show_storage {
        (
            storage_lines(view, lab),
            t!(" Где лежат слои (F8) ", " Where the layers live (F8) ")
                .get(lang)
                .to_string(),
        )
    } else {
        // The image's name matters more than the words before it: on a
        // narrow pane they go, the lock (as on each layer) saying read-only.
        let room = left.width.saturating_sub(2) as usize;
        let full = format!(
            " {} {} ",
            t!("Образ (только чтение):", "Image (read-only):").get(lang),
            lab.reference
        );
        let short = format!(" {} {} ", t!("Образ:", "Image:").get(lang), lab.reference);
        let locked = format!(" 🔒 {} ", lab.reference);
        let title = [full, short, locked.clone()]
            .into_iter()
            .find(|t| t.width() <= room)
            .unwrap_or(locked);
        (image_lines(view, lab), title)
    };
    let image_title =
        crate::tui::ui::fit::fit(&image_title, left.width.saturating_sub(2) as usize).into_owned();
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::bordered()
                .title(image_title)
                .border_style(theme.border()),
        )
        .render(left, buf);
}

/// The image's id, its locked layers, whether it is still the same image,
/// and what the last commit made of a container.
fn image_lines(view: View, lab: &LabScreen) -> Vec<Line<'static>> {
    let View { theme, lang, .. } = view;
    let mut lines = Vec::new();
    let Some(image) = &lab.image else {
        lines.push(Line::from(Span::styled(
            format!(
                "{} {} {}",
                view.spinner,
                t!("запускаю контейнеры из", "starting containers from").get(lang),
                lab.reference
            ),
            theme.warn(),
        )));
        return lines;
    };
    lines.push(Line::from(vec![
        Span::raw("id "),
        Span::styled(short(&image.id).to_string(), theme.code()),
    ]));
    for (i, layer) in image.layers.iter().enumerate() {
        // Named as the explorer names them: the base, the Dockerfile's own
        // line (not `COPY dir:<hash>`), a commit.
        let name = crate::layers::names::layer_name(i, &layer.created_by, &lab.hints).label(lang);
        let what = crate::layers::report::short_instruction(&name, 40);
        lines.push(Line::from(vec![
            Span::styled("🔒 ", theme.dim()),
            Span::raw(format!("{:>2} {} ", i + 1, short(&layer.digest))),
            Span::styled(what, theme.dim()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(match &lab.verified {
        None => Line::from(Span::styled(
            t!("образ: ещё не перепроверялся", "image: not re-checked yet").get(lang),
            theme.dim(),
        )),
        Some((true, _)) => Line::from(Span::styled(
            format!(
                "✔ {} ({}×)",
                t!(
                    "образ не изменился: тот же id и те же слои",
                    "image unchanged: same id, same layers"
                )
                .get(lang),
                lab.verifications
            ),
            theme.ok(),
        )),
        Some((false, id)) => Line::from(Span::styled(
            format!(
                "✘ {} {}",
                t!("образ изменился:", "image changed:").get(lang),
                short(id)
            ),
            theme.error(),
        )),
    });
    if let Some(commit) = &lab.committed {
        commit_lines(view, commit, &mut lines);
    }
    lines
}

/// One container's writable layer: its changes as a tree, scrolled, with
/// its state in the title and what is folded or off-screen in the footer.
fn draw_slot(view: View, lab: &LabScreen, i: usize, column: Rect, buf: &mut Buffer) {
    let View { theme, lang, .. } = view;
    let name = lab.slots.get(i).map(|s| s.name.as_str()).unwrap_or("…");
    let running = lab.slots.get(i).is_some_and(|s| s.running);
    let state = if running {
        t!("работает", "running")
    } else {
        t!("остановлен", "stopped")
    };
    let slot = lab.slot_view(i);
    let visible = usize::from(column.height.saturating_sub(2));
    let offset = slot.offset(visible, lab.scroll.get(i).copied().flatten());
    let mut lines = slot_lines(view, lab, i, &slot);
    let focused = i == lab.selected;
    let title = slot_title(
        focused,
        state.get(lang),
        name,
        t!("слой для записи", "writable layer").get(lang),
        column.width.saturating_sub(2) as usize,
    );
    // Below the tree: what is folded, and how much is above and below.
    let below = slot.rows.len().saturating_sub(offset + visible);
    let mut footer = Vec::new();
    if offset > 0 || below > 0 {
        footer.push(format!("↑{offset} ↓{below}"));
    }
    if slot.folded > 0 {
        let entries = crate::i18n::count(lang, slot.folded, crate::i18n::nouns::ENTRY);
        footer.push(crate::tr!(
            lang,
            "F4: ещё {entries} от nginx",
            "F4: {entries} more from nginx"
        ));
    }
    let mut block = Block::bordered().title(title).border_style(if focused {
        theme.border_focused()
    } else {
        theme.border()
    });
    if !footer.is_empty() {
        let footer = crate::tui::ui::fit::fit(
            &format!(" {} ", footer.join(" · ")),
            column.width.saturating_sub(2) as usize,
        )
        .into_owned();
        block = block.title_bottom(Line::from(Span::styled(footer, theme.dim())).right_aligned());
    }
    let skip = offset.min(lines.len());
    Paragraph::new(lines.split_off(skip))
        .block(block)
        .render(column, buf);
}

/// A writable layer's title in `room` columns. The state matters more than
/// the words around it: it goes first. Containers' names share a long
/// prefix (`layerlab-lab-<session>-`) and differ at the end, so a name too
/// long keeps its end; "writable layer" goes only when even that is too long.
fn slot_title(focused: bool, state: &str, name: &str, what: &str, room: usize) -> String {
    let mark = if focused { "▶" } else { " " };
    let full = format!(" {mark} {state} · {name} — {what} ");
    if full.width() <= room {
        return full;
    }
    let fixed = format!(" {mark} {state} ·  — {what} ").width();
    if room >= fixed + 8 {
        let name = fit_from_left(name, room - fixed);
        return format!(" {mark} {state} · {name} — {what} ");
    }
    let fixed = format!(" {mark} {state} ·  ").width();
    let name = fit_from_left(name, room.saturating_sub(fixed).max(4));
    crate::tui::ui::fit::fit(&format!(" {mark} {state} · {name} "), room).into_owned()
}

/// `text` in `width` columns keeping its end, marked with a leading `…`.
fn fit_from_left(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 1;
    for c in text.chars().rev() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        tail.push(c);
    }
    std::iter::once('…').chain(tail.into_iter().rev()).collect()
}

/// The rows of one writable layer, then why it may look empty, why sizes
/// are missing, or that the container was just recreated.
fn slot_lines(view: View, lab: &LabScreen, i: usize, slot: &SlotView) -> Vec<Line<'static>> {
    let View { theme, lang, .. } = view;
    let mut lines: Vec<Line> = slot
        .rows
        .iter()
        .cloned()
        .zip(slot.fresh.iter().copied())
        .map(|(row, fresh)| {
            let (mark, style) = match row.kind {
                Some(kind) => (
                    kind.mark(),
                    match kind {
                        ChangeKind::Added => theme.ok(),
                        ChangeKind::Changed => theme.warn(),
                        ChangeKind::Deleted => theme.error(),
                    },
                ),
                None => (" ", theme.dim()),
            };
            let mut spans = vec![
                Span::raw("  ".repeat(row.depth)),
                Span::styled(format!("{mark} "), style),
                Span::raw(row.label),
            ];
            if let Some(size) = row.size {
                spans.push(Span::styled(
                    format!("  {}", crate::i18n::size(lang, size)),
                    theme.dim(),
                ));
            }
            if fresh {
                // A word as well as a colour: NO_COLOR and screen readers.
                spans.push(Span::styled(
                    t!("  ← новое", "  ← new").get(lang),
                    theme.selected(),
                ));
            }
            Line::from(spans)
        })
        .collect();
    if lines.is_empty() && slot.folded > 0 {
        lines.push(Line::from(Span::styled(
            t!(
                "только записи nginx (F4 — показать)",
                "only nginx's start-up entries (F4 shows them)"
            )
            .get(lang),
            theme.dim(),
        )));
    } else if lines.is_empty() {
        lines.push(Line::from(Span::styled(
            t!("слой пуст: изменений нет", "empty layer: no changes").get(lang),
            theme.dim(),
        )));
    }
    if let Some(Sizes::Unavailable(why)) = lab.sizes.get(i).and_then(Option::as_ref) {
        lines.push(Line::from(Span::styled(
            format!(
                "{} ({why})",
                t!(
                    "размеры недоступны: docker diff их не даёт",
                    "sizes unavailable: docker diff gives none"
                )
                .get(lang)
            ),
            theme.dim(),
        )));
    }
    if let Some((slot, removed)) = &lab.recreated
        && *slot == i
    {
        lines.push(Line::from(Span::styled(
            format!(
                "{} {} {}",
                t!("контейнер", "container").get(lang),
                short(removed),
                t!(
                    "удалён вместе со своим слоем; это новый, чистый",
                    "removed with its layer; this one is new and clean"
                )
                .get(lang)
            ),
            theme.warn(),
        )));
    }
    lines
}

/// The output pane: an error first, else the command still running, else
/// the last result, else the keys; the tail is shown when it is too long.
fn draw_output(view: View, lab: &LabScreen, output: Rect, buf: &mut Buffer) {
    let View { theme, lang, .. } = view;
    let running = lab.running.get(lab.selected).and_then(|r| r.last());
    let last = lab.output.get(lab.selected).and_then(Option::as_ref);
    let (title, body, style) = match (&lab.error, running, last) {
        (Some(error), _, _) => (
            t!(" Ошибка ", " Error ").get(lang).to_string(),
            error.get(lang).to_string(),
            theme.error(),
        ),
        (None, Some(command), _) => (
            format!(
                " $ {command} {} {} ",
                view.spinner,
                t!("выполняется…", "running…").get(lang)
            ),
            // The previous output stays readable until the new one arrives.
            last.map(|(_, output, _)| output.clone())
                .unwrap_or_default(),
            theme.warn(),
        ),
        (None, None, Some((command, output, code))) => (
            format!(" $ {command} → exit {code} "),
            output.clone(),
            if *code == 0 {
                theme.ok()
            } else {
                theme.error()
            },
        ),
        (None, None, None) => (
            t!(" Вывод ", " Output ").get(lang).to_string(),
            hint(lang, output),
            theme.dim(),
        ),
    };
    let body_lines: Vec<Line> = body.lines().map(|l| Line::raw(l.to_string())).collect();
    let skip = body_lines
        .len()
        .saturating_sub(output.height.saturating_sub(2) as usize);
    Paragraph::new(body_lines[skip..].to_vec())
        .wrap(Wrap { trim: false })
        .block(
            Block::bordered()
                .title(Span::styled(title, style))
                .border_style(theme.border()),
        )
        .render(output, buf);
}

/// The command line, scrolled so the cursor stays visible, titled with the
/// container it runs in.
fn draw_input(view: View, lab: &LabScreen, input: Rect, buf: &mut Buffer) {
    let width = input.width.saturating_sub(4) as usize;
    let scroll = lab.input.visual_scroll(width);
    Paragraph::new(format!("$ {}", lab.input.value()))
        .scroll((0, scroll as u16))
        .block(
            Block::bordered()
                .title(format!(
                    " sh -c … ({}) ",
                    lab.slots
                        .get(lab.selected)
                        .map(|s| s.name.as_str())
                        .unwrap_or("…")
                ))
                .border_style(view.theme.border_focused()),
        )
        .render(input, buf);
}

/// The keys, in full when they fit the output pane, else the two that
/// lead to the rest: F1 lists them all, Esc leaves.
fn hint(lang: crate::i18n::Lang, pane: Rect) -> String {
    let full = t!(
        "Наберите команду, например: echo hi > /hello.txt · Tab — другой контейнер · F5 стоп/старт · F6 удалить и создать заново · F7 commit · F8 каталоги overlay · F4 шум nginx · PgUp/PgDn прокрутка · F1 клавиши · Esc — выход",
        "Type a command, e.g. echo hi > /hello.txt · Tab other container · F5 stop/start · F6 remove and recreate · F7 commit · F8 overlay dirs · F4 nginx noise · PgUp/PgDn scroll · F1 keys · Esc leave"
    )
    .get(lang);
    let inner = pane.width.saturating_sub(2);
    let rows = Paragraph::new(full)
        .wrap(Wrap { trim: false })
        .line_count(inner);
    if rows <= usize::from(pane.height.saturating_sub(2)) {
        full.to_string()
    } else {
        t!(
            "Наберите команду, например: echo hi > /hello.txt\nF1 клавиши · Esc выход",
            "Type a command, e.g. echo hi > /hello.txt\nF1 keys · Esc leave"
        )
        .get(lang)
        .to_string()
    }
}

/// Where the terminal cursor goes while the lab has the keyboard.
pub fn cursor(lab: &LabScreen, area: Rect) -> (u16, u16) {
    let input_y = area.y + area.height.saturating_sub(2);
    let width = area.width.saturating_sub(4) as usize;
    let x = (lab
        .input
        .visual_cursor()
        .saturating_sub(lab.input.visual_scroll(width))) as u16;
    (area.x + 3 + x, input_y)
}

/// What a commit made: the new image, its extra layer and what is in it.
fn commit_lines(view: View, commit: &Commit, lines: &mut Vec<Line<'static>>) {
    let View { theme, lang, .. } = view;
    lines.push(Line::from(Span::styled(
        format!(
            "commit → {} ({})",
            commit.image.reference,
            crate::i18n::count(lang, commit.image.layers.len(), crate::i18n::nouns::LAYER)
        ),
        theme.ok(),
    )));
    match &commit.extra_layer {
        Some(layer) => lines.push(Line::from(vec![
            Span::raw(format!("+ {} ", t!("новый слой", "new layer").get(lang))),
            Span::styled(short(&layer.digest).to_string(), theme.code()),
        ])),
        None => lines.push(Line::from(Span::styled(
            t!(
                "новый образ не на один слой больше исходного",
                "the new image is not exactly one layer taller"
            )
            .get(lang),
            theme.warn(),
        ))),
    }
    match &commit.paths {
        Ok(paths) => {
            for change in paths.iter().take(12) {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {} ", change.kind.mark()), theme.dim()),
                    Span::raw(change.path.clone()),
                ]));
            }
            if paths.len() > 12 {
                lines.push(Line::from(Span::styled(
                    format!("  … +{}", paths.len() - 12),
                    theme.dim(),
                )));
            }
        }
        Err(why) => lines.push(Line::from(Span::styled(
            format!(
                "{}: {why}",
                t!("содержимое слоя не прочитано", "layer contents not read").get(lang)
            ),
            theme.dim(),
        ))),
    }
    lines.push(Line::from(Span::styled(
        t!(
            "F9 — открыть его в обозревателе слоёв",
            "F9 opens it in the layer explorer"
        )
        .get(lang),
        theme.dim(),
    )));
}

/// F8: how the selected container's filesystem is put together.
fn storage_lines(view: View, lab: &LabScreen) -> Vec<Line<'static>> {
    let View { theme, lang, .. } = view;
    let mut lines = Vec::new();
    let slot = lab.slots.get(lab.selected);
    if let Some(ImageStore::ContainerdSnapshotter { snapshotter }) = &lab.store {
        lines.push(Line::raw(format!(
            "{} {snapshotter}",
            t!(
                "Хранилище образов containerd, snapshotter:",
                "containerd image store, snapshotter:"
            )
            .get(lang)
        )));
        lines.push(Line::from(Span::styled(
            t!(
                "Слои — это снимки (snapshots) containerd; inspect не показывает LowerDir/UpperDir. Слой для записи — активный снимок контейнера.",
                "Layers are containerd snapshots; inspect shows no LowerDir/UpperDir. The writable layer is the container's active snapshot."
            )
            .get(lang),
            theme.dim(),
        )));
        return lines;
    }
    let Some(driver) = slot.and_then(|s| s.driver.as_ref()) else {
        lines.push(Line::raw(
            t!("драйвер хранения неизвестен", "storage driver unknown").get(lang),
        ));
        return lines;
    };
    lines.push(Line::from(vec![
        Span::raw(t!("драйвер: ", "driver: ").get(lang)),
        Span::styled(driver.name.clone(), theme.code()),
        Span::raw(format!(
            " · {}",
            slot.map(|s| s.name.as_str()).unwrap_or("")
        )),
    ]));
    let Some(upper) = driver.upper_dir() else {
        for (key, value) in &driver.data {
            lines.push(Line::raw(format!("{key}: {value}")));
        }
        return lines;
    };
    let dir = |label: UiLabel, path: &str, style| {
        vec![
            Line::from(Span::styled(label.get(lang).to_string(), theme.heading())),
            Line::from(Span::styled(format!("  {path}"), style)),
        ]
    };
    lines.extend(dir(
        t!(
            "merged — то, что видит контейнер",
            "merged — what the container sees"
        ),
        driver.merged_dir().unwrap_or("?"),
        theme.code(),
    ));
    lines.push(Line::from(Span::styled("      ▲ overlay", theme.dim())));
    lines.extend(dir(
        t!(
            "upper — слой для записи (rw)",
            "upper — the writable layer (rw)"
        ),
        upper,
        theme.ok(),
    ));
    let lowers = driver.lower_dirs();
    lines.push(Line::from(Span::styled(
        format!(
            "{} ({})",
            t!(
                "lower — только чтение, сверху вниз",
                "lower — read-only, top first"
            )
            .get(lang),
            lowers.len()
        ),
        theme.heading(),
    )));
    for lower in lowers {
        let note = if lower.ends_with("-init/diff") {
            t!(
                "  (init: hostname, resolv.conf)",
                "  (init: hostname, resolv.conf)"
            )
            .get(lang)
        } else {
            ""
        };
        lines.push(Line::from(vec![
            Span::styled(format!("  🔒 {lower}"), theme.dim()),
            Span::raw(note),
        ]));
    }
    lines
}

type UiLabel = crate::i18n::UiText;

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use tui_input::Input;

    use super::*;
    use crate::docker::lab::{LabChange, LabEvent};

    fn change(path: &str, kind: ChangeKind) -> LabChange {
        LabChange {
            path: path.into(),
            kind,
            size: None,
        }
    }

    #[test]
    fn changes_become_a_tree_with_missing_parents_filled_in() {
        let rows = tree_rows(&[
            change("/var/log/nginx/access.log", ChangeKind::Changed),
            change("/etc/motd", ChangeKind::Changed),
            change("/etc", ChangeKind::Changed),
            change("/lab-proof.txt", ChangeKind::Added),
            change("/etc-old", ChangeKind::Deleted),
        ]);
        let shown: Vec<(usize, &str, Option<ChangeKind>)> = rows
            .iter()
            .map(|r| (r.depth, r.label.as_str(), r.kind))
            .collect();
        assert_eq!(
            shown,
            vec![
                (0, "/etc", Some(ChangeKind::Changed)),
                (1, "motd", Some(ChangeKind::Changed)),
                (0, "/etc-old", Some(ChangeKind::Deleted)),
                (0, "/lab-proof.txt", Some(ChangeKind::Added)),
                (0, "/var", None),
                (1, "log", None),
                (2, "nginx", None),
                (3, "access.log", Some(ChangeKind::Changed)),
            ]
        );
    }

    #[test]
    fn a_quick_command_finishing_first_leaves_the_slow_one_running() {
        let mut lab = LabScreen::new("img".into());
        let done = |command: &str| LabEvent::ExecDone {
            slot: 0,
            command: command.into(),
            output: String::new(),
            exit_code: 0,
            finished: Instant::now(),
        };
        for command in ["sleep 30", "ls"] {
            lab.input = Input::new(command.into());
            assert_eq!(lab.take_command().as_deref(), Some(command));
        }
        assert_eq!(lab.running[0], ["sleep 30", "ls"]);
        lab.apply(done("ls"));
        assert!(lab.is_running(), "sleep 30 is still running");
        assert_eq!(lab.running[0], ["sleep 30"]);
        lab.apply(done("sleep 30"));
        assert!(!lab.is_running());
    }
}

#[cfg(test)]
mod title_tests {
    use super::*;

    #[test]
    fn a_slot_title_keeps_its_state_and_the_names_end() {
        let name = "layerlab-lab-12345-0-89abcdef-1";
        let wide = slot_title(true, "работает", name, "слой для записи", 80);
        assert_eq!(wide, format!(" ▶ работает · {name} — слой для записи "));
        let narrow = slot_title(true, "работает", name, "слой для записи", 42);
        assert!(narrow.width() <= 42, "{narrow}");
        assert!(
            narrow.contains("работает") && narrow.contains("слой для записи"),
            "{narrow}"
        );
        assert!(
            narrow.contains("…") && narrow.ends_with("ef-1 — слой для записи "),
            "{narrow}"
        );
        let tiny = slot_title(false, "stopped", name, "writable layer", 20);
        assert!(tiny.width() <= 20 && tiny.contains("stopped"), "{tiny}");
    }
}
