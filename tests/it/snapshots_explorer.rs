//! The layer explorer on the lesson images, drawn at 80×24 and 100×32 in
//! both languages: the whole image, a layer named by its Dockerfile line, a
//! file as its layer stores it (text with search, and a binary), and the
//! optimised and naive builds side by side. The images are built in memory
//! in the shape `docker build` gives the lesson's two Dockerfiles (same base
//! layer, the workspace's real `rootfs/` files); the file view reads them
//! back through the same reader the worker uses.
//!
//! Also here: the Russian screens are scanned for English words, and the
//! plural forms of layers and files are checked for 1, 2, 5, 11, 21, 22, 25.

use std::path::Path;
use std::sync::Arc;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};

use layerlab::i18n::Lang;
use layerlab::layers::content::{FileContent, SHOWN_BYTES, read_stored};
use layerlab::layers::names::NameHints;
use layerlab::layers::{Analysis, analyze_archive};
use layerlab::tui::app::{Effect, Screen};
use layerlab::tui::event::Event;
use layerlab::tui::worker::{WorkerEvent, WorkerRequest};

use crate::layers_support::*;
use crate::snapshots::{Harness, every_screen, finish, lab_ready, outcome, quiz_at};

const SMALL: (u16, u16) = (80, 24);
const MEDIUM: (u16, u16) = (100, 32);
const IMAGE: &str = "layerlab/nginx-alpine:latest";
const NAIVE: &str = "layerlab/nginx-alpine-naive:latest";
const BASE: &str = "alpine:3.22";

fn asset(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/nginx-alpine")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// A file whose first bytes say ELF, as binaries do.
fn elf(path: &str, size: usize) -> Op {
    let mut bytes = b"\x7fELF\x02\x01\x01\0".to_vec();
    bytes.resize(size, 0);
    Op::File(path.into(), bytes)
}

fn gzip_file(path: &str, size: usize) -> Op {
    let mut bytes = vec![0x1f, 0x8b, 0x08, 0];
    bytes.resize(size, 7);
    Op::File(path.into(), bytes)
}

fn base_layer() -> Layer {
    Layer::new(
        "/bin/sh -c #(nop) ADD file:0a1b2c3d4e5f60718293a4b5c6d7e8f9 in / ",
        vec![
            elf("bin/busybox", 820_000),
            symlink("bin/sh", "/bin/busybox"),
            file("etc/os-release", "NAME=\"Alpine Linux\"\nID=alpine\n"),
            elf("lib/ld-musl-x86_64.so.1", 600_000),
            dir("tmp"),
            dir("var/cache/apk"),
        ],
    )
}

fn nginx_ops() -> Vec<Op> {
    vec![
        elf("usr/sbin/nginx", 1_300_000),
        file(
            "etc/nginx/nginx.conf",
            "user nginx;\nworker_processes auto;\nhttp {\n    include /etc/nginx/http.d/*.conf;\n}\n",
        ),
        file(
            "etc/nginx/http.d/default.conf",
            "server {\n    listen 80 default_server;\n    return 404;\n}\n",
        ),
        dir("run/nginx"),
        dir("var/lib/nginx/html"),
    ]
}

/// The image the lesson's Dockerfile builds: base, one RUN, one COPY.
fn lesson_image() -> Vec<u8> {
    let layers = vec![
        base_layer(),
        Layer::new("/bin/sh -c apk add --no-cache nginx", nginx_ops()),
        Layer::new(
            "/bin/sh -c #(nop) COPY dir:b6b5c8d2930e4ea9fcb2d1e0f9a8b7c6 in / ",
            vec![
                file(
                    "etc/nginx/http.d/default.conf",
                    &asset("rootfs/etc/nginx/http.d/default.conf"),
                ),
                file(
                    "var/www/localhost/htdocs/index.html",
                    &asset("rootfs/var/www/localhost/htdocs/index.html"),
                ),
            ],
        ),
    ];
    archive(&ArchiveSpec::new(Shape::Legacy, layers))
}

/// The naive build: `apk update` leaves its index in a layer of its own.
fn naive_image() -> Vec<u8> {
    let mut apk = nginx_ops();
    apk.push(gzip_file("var/cache/apk/nginx-1.26.3-r0.apk", 420_000));
    let layers = vec![
        base_layer(),
        Layer::new(
            "/bin/sh -c apk update",
            vec![gzip_file("var/cache/apk/APKINDEX.66df3b0c.tar.gz", 310_000)],
        ),
        Layer::new("/bin/sh -c apk add nginx", apk),
        Layer::new(
            "/bin/sh -c #(nop) COPY file:1b469326945d6c0450ff3f61eaeb8e0 in /etc/nginx/http.d/default.conf ",
            vec![file(
                "etc/nginx/http.d/default.conf",
                &asset("rootfs/etc/nginx/http.d/default.conf"),
            )],
        ),
        Layer::new(
            "/bin/sh -c #(nop) COPY file:59f1cfb5176bcef5a8d3c2e1 in /var/www/localhost/htdocs/index.html ",
            vec![file(
                "var/www/localhost/htdocs/index.html",
                &asset("rootfs/var/www/localhost/htdocs/index.html"),
            )],
        ),
    ];
    archive(&ArchiveSpec::new(Shape::Legacy, layers))
}

/// Analysed as the worker would: the first layer is the base's.
fn analysed(bytes: &[u8], name: &str) -> Arc<Analysis> {
    let mut analysis = analyze_archive(bytes, name).expect("the test archive is valid");
    let base = vec![analysis.layers()[0].digest.clone()];
    analysis.set_base(BASE, &base);
    Arc::new(analysis)
}

/// The lesson's Dockerfiles, from the repository (not the machine's workspace,
/// which would make the snapshots depend on who ran them).
fn hints() -> NameHints {
    NameHints {
        base: None,
        dockerfiles: vec![
            // As the learner has it once written: the reference solution.
            (
                "Dockerfile".into(),
                asset("../solutions/nginx-alpine/Dockerfile"),
            ),
            ("Dockerfile.naive".into(), asset("Dockerfile.naive")),
        ],
    }
}

fn explorer(lang: Lang, compare: bool) -> Harness {
    let mut h = Harness::new(lang);
    h.connected();
    let effects = h
        .app
        .open_explorer(IMAGE.into(), compare.then(|| NAIVE.to_string()));
    assert_eq!(effects.len(), if compare { 2 } else { 1 });
    if let Screen::Explorer(x) = &mut h.app.screen {
        x.hints = hints();
    }
    h.worker(WorkerEvent::Analysis {
        image: IMAGE.into(),
        result: Ok(analysed(&lesson_image(), IMAGE)),
    });
    if compare {
        let effects = h.app.update(Event::Worker(WorkerEvent::Analysis {
            image: NAIVE.into(),
            result: Ok(analysed(&naive_image(), NAIVE)),
        }));
        answer_compare(&mut h, effects);
    }
    h
}

/// Both images read: the app asks the worker to compare them (off the UI
/// thread); the answer is computed here as the worker does.
fn answer_compare(h: &mut Harness, effects: Vec<Effect>) {
    let [Effect::Worker(WorkerRequest::Compare(pair))] = effects.as_slice() else {
        panic!("both images read: one comparison asked of the worker, got {effects:?}");
    };
    let comparison = layerlab::layers::compare::compare(&pair.left, &pair.right);
    h.worker(WorkerEvent::Compared {
        left_ref: pair.left_ref.clone(),
        right_ref: pair.right_ref.clone(),
        comparison: Box::new(comparison),
    });
}

/// Presses `v` (or Enter) and answers the worker's request from `archive`,
/// through the same reader the worker runs.
fn view_file(h: &mut Harness, key: KeyCode, archive: &[u8]) -> FileContent {
    let effects = h.app.update(Event::Terminal(TermEvent::Key(KeyEvent::new(
        key,
        KeyModifiers::NONE,
    ))));
    let Some(Effect::Worker(WorkerRequest::ReadFile {
        member,
        path,
        layer,
        ..
    })) = effects.into_iter().next()
    else {
        panic!("no file read asked for");
    };
    let stored = read_stored(archive, &member, &path, SHOWN_BYTES).expect("the file is there");
    let content = FileContent {
        path: path.clone(),
        layer,
        stored,
    };
    h.worker(WorkerEvent::FileRead {
        path,
        layer,
        result: Ok(content.clone()),
    });
    content
}

/// A `{name}` placeholder left unfilled (file content such as CSS has braces
/// too, but never a bare name between them).
fn has_placeholder(screen: &str) -> bool {
    screen.split('{').skip(1).any(|rest| {
        rest.split_once('}').is_some_and(|(name, _)| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
        })
    })
}

fn snap(h: &Harness, name: &str) {
    for size in [SMALL, MEDIUM] {
        let screen = h.text(size);
        assert!(
            !has_placeholder(&screen),
            "{name} {size:?}: a raw placeholder\n{screen}"
        );
        insta::assert_snapshot!(format!("{name}@{}x{}", size.0, size.1), screen);
    }
}

fn lang_name(lang: Lang) -> &'static str {
    lang.code()
}

#[test]
fn the_lesson_image_whole_and_its_copy_layer_named_by_the_dockerfile() {
    for lang in [Lang::En, Lang::Ru] {
        let mut h = explorer(lang, false);
        snap(&h, &format!("lesson_image_whole_{}", lang_name(lang)));
        let screen = h.text(MEDIUM);
        let base = match lang {
            Lang::Ru => "базовый образ alpine:3.22",
            Lang::En => "base image alpine:3.22",
        };
        assert!(screen.contains(base), "{screen}");
        assert!(screen.contains("COPY rootfs/ /"), "{screen}");
        assert!(
            !screen.contains("dir:b6b5"),
            "the hash is not the name: {screen}"
        );
        h.keys(KeyCode::Down, 3);
        snap(&h, &format!("lesson_image_copy_layer_{}", lang_name(lang)));
        let screen = h.text(MEDIUM);
        assert!(screen.contains("Dockerfile:20"), "{screen}");
    }
}

#[test]
fn a_text_file_as_its_layer_stores_it_with_line_numbers_and_search() {
    for lang in [Lang::En, Lang::Ru] {
        let mut h = explorer(lang, false);
        h.keys(KeyCode::Down, 3)
            .key(KeyCode::Tab)
            .key(KeyCode::Char('/'))
            .typed("index.html")
            .key(KeyCode::Enter)
            .key(KeyCode::Char('G'));
        let content = view_file(&mut h, KeyCode::Char('v'), &lesson_image());
        assert_eq!(content.path, "/var/www/localhost/htdocs/index.html");
        assert_eq!(content.layer, 2, "the COPY layer holds it");
        assert_eq!(
            content.text(),
            Some(asset("rootfs/var/www/localhost/htdocs/index.html").as_str()),
            "the bytes are the workspace file's"
        );
        snap(&h, &format!("file_view_index_html_{}", lang_name(lang)));
        let screen = h.text(SMALL);
        assert!(screen.contains(" 1 │ <!DOCTYPE html>"), "{screen}");
        h.key(KeyCode::Char('/')).typed("nginx").key(KeyCode::Enter);
        snap(&h, &format!("file_view_search_{}", lang_name(lang)));
        let screen = h.text(SMALL);
        let found = match lang {
            Lang::Ru => "совпадени",
            Lang::En => "match",
        };
        assert!(screen.contains(found), "{screen}");
        assert!(
            screen.contains("Hello from my own nginx image"),
            "the first match is in view: {screen}"
        );
        h.key(KeyCode::Char('n'));
        assert!(
            h.text(SMALL).contains("(2/"),
            "n goes to the second match: {}",
            h.text(SMALL)
        );
        // Esc closes the file, not the explorer
        h.key(KeyCode::Esc);
        assert!(matches!(&h.app.screen, Screen::Explorer(x) if x.file.is_none()));
    }
}

#[test]
fn a_binary_file_shows_its_type_and_size() {
    for lang in [Lang::En, Lang::Ru] {
        let mut h = explorer(lang, false);
        h.keys(KeyCode::Down, 2)
            .key(KeyCode::Tab)
            .key(KeyCode::Char('/'))
            .typed("sbin")
            .key(KeyCode::Enter)
            .key(KeyCode::Char('G'));
        let content = view_file(&mut h, KeyCode::Enter, &lesson_image());
        assert_eq!(content.path, "/usr/sbin/nginx");
        assert_eq!(content.text(), None);
        snap(&h, &format!("file_view_binary_{}", lang_name(lang)));
        let screen = h.text(SMALL);
        let (kind, size) = match lang {
            Lang::Ru => ("исполняемый файл ELF", "1,3 МБ"),
            Lang::En => ("ELF executable", "1.3 MB"),
        };
        assert!(screen.contains(kind) && screen.contains(size), "{screen}");
    }
}

/// The comparison runs on the worker: until its answer the screen says it
/// is comparing (in the learner's language), and an answer for another
/// pair of images is left.
#[test]
fn the_comparison_waits_for_the_worker_and_says_so() {
    for lang in [Lang::En, Lang::Ru] {
        let mut h = Harness::new(lang);
        h.connected();
        let _ = h.app.open_explorer(IMAGE.into(), Some(NAIVE.to_string()));
        h.worker(WorkerEvent::Analysis {
            image: IMAGE.into(),
            result: Ok(analysed(&lesson_image(), IMAGE)),
        });
        let effects = h.app.update(Event::Worker(WorkerEvent::Analysis {
            image: NAIVE.into(),
            result: Ok(analysed(&naive_image(), NAIVE)),
        }));
        let waiting = h.text(SMALL);
        let word = match lang {
            Lang::Ru => "сравниваю",
            Lang::En => "comparing",
        };
        assert!(waiting.contains(word), "{waiting}");
        assert!(
            h.app.is_busy(),
            "the spinner turns while the worker compares"
        );
        snap(&h, &format!("compare_waiting_{}", lang_name(lang)));
        // A late answer for other images changes nothing.
        let Some(Effect::Worker(WorkerRequest::Compare(pair))) = effects.first() else {
            panic!("{effects:?}");
        };
        h.worker(WorkerEvent::Compared {
            left_ref: "other:1".into(),
            right_ref: NAIVE.into(),
            comparison: Box::new(layerlab::layers::compare::compare(&pair.left, &pair.right)),
        });
        assert!(h.text(SMALL).contains(word));
        answer_compare(&mut h, effects);
        let done = h.text(SMALL);
        assert!(!done.contains(word), "{done}");
        assert!(!h.app.is_busy());
    }
}

#[test]
fn the_optimised_and_the_naive_build_side_by_side() {
    for lang in [Lang::En, Lang::Ru] {
        let mut h = explorer(lang, true);
        snap(&h, &format!("compare_lesson_images_{}", lang_name(lang)));
        let screen = h.text(MEDIUM);
        assert!(
            screen.contains("/var/cache/apk/APKINDEX.66df3b0c.tar.gz"),
            "the apk index is only in the naive build: {screen}"
        );
        let layers = match lang {
            Lang::Ru => ["3 слоя", "5 слоёв"],
            Lang::En => ["3 layers", "5 layers"],
        };
        assert!(layers.iter().all(|l| screen.contains(l)), "{screen}");
        // the shared base is marked as the same layer, the rest as different
        let first = screen
            .lines()
            .find(|l| l.trim_start().starts_with("1 ") || l.contains("│ 1 "))
            .unwrap_or_default()
            .to_string();
        assert!(
            first.contains(" = "),
            "layer 1 is shared: {first}\n{screen}"
        );
        // d: back to one image, browsable
        h.key(KeyCode::Char('d'));
        let one = h.text(MEDIUM);
        assert!(!one.contains("APKINDEX"), "{one}");
    }
}

// ------------------------------------------------------------- plurals

fn image_of(n: usize) -> Arc<Analysis> {
    let layers = (0..n)
        .map(|i| {
            Layer::new(
                &format!("/bin/sh -c touch /f{i}"),
                vec![file(&format!("f{i}"), "x")],
            )
        })
        .collect();
    let bytes = archive(&ArchiveSpec::new(Shape::Legacy, layers));
    Arc::new(analyze_archive(&bytes[..], "img").expect("valid"))
}

#[test]
fn layers_and_files_take_the_right_plural_form() {
    let ru = [
        (1, "1 слой", "1 файл)"),
        (2, "2 слоя", "2 файла)"),
        (5, "5 слоёв", "5 файлов)"),
        (11, "11 слоёв", "11 файлов)"),
        (21, "21 слой", "21 файл)"),
        (22, "22 слоя", "22 файла)"),
        (25, "25 слоёв", "25 файлов)"),
    ];
    for (n, layers, files) in ru {
        for (lang, layers, files) in [
            (Lang::Ru, layers.to_string(), files.to_string()),
            (
                Lang::En,
                format!("{n} layer{}", if n == 1 { "" } else { "s" }),
                format!("{n} file{})", if n == 1 { "" } else { "s" }),
            ),
        ] {
            let mut h = Harness::new(lang);
            h.app.open_explorer("img".into(), None);
            h.worker(WorkerEvent::Analysis {
                image: "img".into(),
                result: Ok(image_of(n)),
            });
            let screen = h.text((120, 40));
            assert!(
                screen.contains(&format!(" {layers} · img ")),
                "{n} {lang:?}: {layers}\n{screen}"
            );
            assert!(screen.contains(&files), "{n} {lang:?}: {files}\n{screen}");
        }
    }
}

// ------------------------------------------------------- Russian screens

/// Words the program itself must never leave in English on a Russian
/// screen (states, verdicts, the explorer's figures).
/// (Singular `image`, `file`, `layer`, `step` are left out: Docker's own
/// words in `docker image ls`, "No such file", "Layer already exists" and a
/// build log's "Step 1/7" are quoted by the lessons on purpose.)
const ENGLISH: &[&str] = &[
    "running",
    "exited",
    "created",
    "stopped",
    "fix",
    "error",
    "failed",
    "done",
    "layers",
    "files",
    "wasted",
    "stored",
    "visible",
    "steps",
    "help",
    "back",
    "quit",
    "loading",
    "reading",
    "changes",
    "only",
    "size",
    "efficiency",
    "added",
    "modified",
    "removed",
    "match",
    "matches",
    "search",
    "close",
    "base",
    "lines",
];

/// Every line of the homework's files (`assets/nginx-alpine/`), trimmed.
fn homework_lines() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                out.extend(text.lines().map(|l| l.trim().to_string()));
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/nginx-alpine"),
        &mut out,
    );
    out
}

/// The phrases the lesson pack quotes: Docker's words, said in its words.
fn quoted_in_lessons() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let mut spans = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("lessons/") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).unwrap_or_default();
        // `code` and *emphasis* (Docker Desktop's "Engine running"); only
        // phrases of several words, so a one-word span such as `run` never
        // hides the same word said by the program.
        for mark in ['`', '*'] {
            spans.extend(
                text.split(mark)
                    .skip(1)
                    .step_by(2)
                    .filter(|s| !s.contains('\n') && s.trim().contains(' '))
                    .map(|s| s.trim().to_string()),
            );
        }
    }
    // longest first, so a span is removed whole before a part of it
    spans.sort_by_key(|s| std::cmp::Reverse(s.len()));
    spans.dedup();
    spans
}

/// The words of a line a scan looks at: commands (`$ …`), `code`, paths,
/// references and file names are Docker's or the learner's, not ours.
/// `line` without the part of a quoted phrase that wrapped from `prev`
/// ("… статуса Engine" / "running; в WSL 2 …").
fn unwrap_quoted(prev: &str, line: &str, quoted: &[String]) -> String {
    let prev = prev.trim_end().trim_end_matches('│').trim_end();
    let head = line.trim_start().trim_start_matches('│').trim_start();
    for span in quoted {
        let words: Vec<&str> = span.split(' ').collect();
        for k in 1..words.len() {
            let (before, after) = (words[..k].join(" "), words[k..].join(" "));
            if prev.ends_with(&before) && head.starts_with(&after) {
                return line.replacen(&after, " ", 1);
            }
        }
    }
    line.to_string()
}

fn own_words(line: &str, quoted: &[String]) -> Vec<String> {
    // a build log's own lines (`Step 1/7 : …`, ` ---> Running in …`)
    if line.contains("--->") || line.contains("Step ") && line.contains(" : ") {
        return Vec::new();
    }
    // A file shown with line numbers (a `file` step, the explorer's file
    // view) is the learner's file, not the program's words: a pane's segment
    // that is (the start of) a line of the homework's files is left out.
    let files = homework_lines();
    let line: String = line
        .split('│')
        .filter(|segment| {
            let text = segment
                .trim_start()
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim();
            text.chars().count() < 8 || !files.iter().any(|l| l.starts_with(text))
        })
        .collect::<Vec<_>>()
        .join("│");
    let mut line = line.split("$ ").next().unwrap_or("").to_string();
    for span in quoted {
        if line.contains(span.as_str()) {
            line = line.replace(span.as_str(), " ");
        }
    }
    let mut out = Vec::new();
    let mut in_code = false;
    for (i, part) in line.split('`').enumerate() {
        in_code = i % 2 == 1;
        if in_code {
            continue;
        }
        for token in part.split(|c: char| c.is_whitespace() || "│┌┐└┘─()[]«»,;!?\"'".contains(c))
        {
            if token.is_empty()
                || token
                    .chars()
                    .any(|c| "/.:_-=<>{}@#*+~".contains(c) || c.is_ascii_digit())
            {
                continue;
            }
            out.push(token.to_lowercase());
        }
    }
    let _ = in_code;
    out
}

fn russian_screens() -> Vec<(String, Harness)> {
    let mut screens: Vec<(String, Harness)> = Vec::new();
    // every screen the other snapshots draw, switched to Russian (their step
    // outcomes are English test strings: replaced below by Russian ones)
    for (name, mut h) in every_screen() {
        if name.starts_with("lesson done") || name.starts_with("lesson failed") {
            continue;
        }
        h.app.lang = Lang::Ru;
        screens.push((name.to_string(), h));
    }
    for (ok, message) in [(true, "образ собран"), (false, "сборка не удалась")]
    {
        let mut h = Harness::new(Lang::Ru);
        h.connected().open_lesson(2, 9).key(KeyCode::Enter);
        finish(&mut h, "dockerfile", "build", outcome(ok, message, &[]));
        screens.push((format!("build {ok}"), h));
    }
    // every step of every lesson
    let lessons = Harness::new(Lang::Ru).app.lessons.len();
    for lesson in 0..lessons {
        let steps = Harness::new(Lang::Ru).app.lessons[lesson].steps.len();
        for step in 0..steps {
            let mut h = Harness::new(Lang::Ru);
            h.connected().open_lesson(lesson, step);
            screens.push((format!("lesson {lesson} step {step}"), h));
        }
    }
    for index in [0, 2, 9] {
        let mut h = quiz_at(index);
        h.app.lang = Lang::Ru;
        screens.push((format!("quiz {index}"), h));
    }
    let mut h = lab_ready();
    h.app.lang = Lang::Ru;
    screens.push(("lab".into(), h));
    screens.push(("explorer".into(), explorer(Lang::Ru, false)));
    screens.push(("compare".into(), explorer(Lang::Ru, true)));
    let mut h = explorer(Lang::Ru, false);
    h.keys(KeyCode::Down, 3)
        .key(KeyCode::Tab)
        .key(KeyCode::Char('/'))
        .typed("index.html")
        .key(KeyCode::Enter)
        .key(KeyCode::Char('G'));
    view_file(&mut h, KeyCode::Char('v'), &lesson_image());
    screens.push(("file".into(), h));
    let mut h = explorer(Lang::Ru, false);
    h.key(KeyCode::Char('?'));
    screens.push(("explorer help".into(), h));
    screens
}

#[test]
fn russian_screens_have_no_english_words_of_the_program_and_no_placeholders() {
    let mut found = Vec::new();
    let quoted = quoted_in_lessons();
    for (name, h) in russian_screens() {
        for size in [SMALL, MEDIUM] {
            let screen = h.text(size);
            if has_placeholder(&screen) {
                found.push(format!("{name} {size:?}: raw placeholder"));
            }
            let mut prev = "";
            for line in screen.lines() {
                let unwrapped = unwrap_quoted(prev, line, &quoted);
                prev = line;
                for word in own_words(&unwrapped, &quoted) {
                    if ENGLISH.contains(&word.as_str()) {
                        found.push(format!("{name} {size:?}: {word:?} in {line:?}"));
                    }
                }
            }
        }
    }
    found.dedup();
    assert!(
        found.is_empty(),
        "{} English words:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn the_scan_would_catch_an_english_state() {
    // The scan itself can fail: a line as the old code drew it is caught.
    let quoted = quoted_in_lessons();
    let words = own_words("│ web: running · потеряно 495 B │", &quoted);
    assert!(words.contains(&"running".to_string()), "{words:?}");
    assert!(own_words("$ docker ps --filter status=running", &quoted).is_empty());
    assert!(
        own_words(
            "│ 15 #       install nginx with apk, leaving no package cache behind │",
            &quoted
        )
        .is_empty()
    );
    assert!(own_words("│ 2 layers │", &quoted).contains(&"layers".to_string()));
    let wrapped = unwrap_quoted("│ статуса Engine│", "│running; в WSL│", &quoted);
    assert!(own_words(&wrapped, &quoted).iter().all(|w| w != "running"));
    let alone = unwrap_quoted("│ контейнер│", "│running; в WSL│", &quoted);
    assert!(own_words(&alone, &quoted).contains(&"running".to_string()));
    assert!(has_placeholder("docker load -i {base_archive}"));
    assert!(!has_placeholder("html { color-scheme: light dark; }"));
}

// ------------------------------------------------- the content reader

#[test]
fn a_file_is_read_back_from_its_layer_in_every_shape_and_compression() {
    use layerlab::layers::content::Stored;
    for shape in [Shape::Legacy, Shape::Oci, Shape::OciNoManifest] {
        for (how, layer) in [
            ("tar", Layer::new("RUN x", vec![])),
            ("gzip", Layer::new("RUN x", vec![]).gzip()),
            ("zstd", Layer::new("RUN x", vec![]).zstd()),
        ] {
            let mut layer = layer;
            layer.ops = vec![
                file("etc/motd", "hello\n"),
                file_n("big.bin", 3 * 1024 * 1024),
                symlink("etc/link", "motd"),
                hardlink("etc/hard", "etc/motd"),
                dir("srv"),
            ];
            let base = Layer::new("ADD file:x in /", vec![file("etc/motd", "old\n")]);
            let bytes = archive(&ArchiveSpec::new(shape, vec![base, layer]));
            let analysis = analyze_archive(&bytes[..], "t").expect("valid");
            let member = analysis.layer_member(1).expect("member").to_string();
            let read = |path: &str| read_stored(&bytes[..], &member, path, SHOWN_BYTES);
            let at = format!("{shape:?} {how}");
            assert_eq!(
                read("/etc/motd").expect(&at),
                Stored::File {
                    size: 6,
                    head: b"hello\n".to_vec()
                },
                "{at}: the upper layer's bytes, not the base's"
            );
            match read("big.bin").expect(&at) {
                Stored::File { size, head } => {
                    assert_eq!(size, 3 * 1024 * 1024, "{at}");
                    assert_eq!(head.len(), SHOWN_BYTES, "{at}: capped");
                }
                other => panic!("{at}: {other:?}"),
            }
            assert_eq!(
                read("./etc/link").expect(&at),
                Stored::Link {
                    target: "motd".into(),
                    hard: false
                }
            );
            assert!(matches!(
                read("etc/hard").expect(&at),
                Stored::Link { hard: true, .. }
            ));
            assert_eq!(read("/srv/").expect(&at), Stored::Other);
            let missing = read("/nope").expect_err("absent");
            assert!(
                missing.message(Lang::Ru).contains("нет такого пути"),
                "{at}"
            );
            assert!(
                read_stored(&bytes[..], "no/such/member", "/etc/motd", SHOWN_BYTES).is_err(),
                "{at}: an unknown member"
            );
        }
    }
}

// ------------------------------------------------ every screen, both sizes

/// Every screen the snapshot suite builds, in both languages, at the two
/// sizes the issue names: a laptop's 80×24 and a roomier 100×32. (The
/// screens' own snapshots in `snapshots.rs` are at 80×24 and 160×48.)
#[test]
fn every_screen_in_both_languages_at_80x24_and_100x32() {
    for lang in [Lang::En, Lang::Ru] {
        for (name, mut h) in every_screen() {
            h.app.lang = lang;
            let name: String = name
                .chars()
                .map(|c| if c.is_alphanumeric() { c } else { '_' })
                .collect();
            snap(&h, &format!("screen_{name}_{}", lang_name(lang)));
        }
    }
}
