//! The learner at the keyboard, in the TUI: layerlab runs in an 80x24 tmux
//! pane in Russian, from a fresh data dir, while the test, as the learner's
//! second terminal, types the real docker CLI with names and ports of its
//! own. Each step the learner does must turn ✔ on screen by itself; where
//! the screen shows a command naming what exists, the test runs that very
//! line (`sh -c`), so it must work verbatim. Lessons `run` (4) and `push`
//! (7); lesson 3 is typed in `tmux_watch.rs`.

use std::path::Path;
use std::time::Duration;

use crate::common::tmux::{self, Tmux};
use crate::walkthrough::second_terminal::{docker, free_port};
use crate::{common, support};

/// How long a step may take to tick once its state is reached.
const TICK: Duration = Duration::from_secs(60);

/// A learner: a fresh data dir, names of their own, and lesson 3's end
/// state (the workspace, their Dockerfile, their page, their image).
struct Prepared {
    dir: tempfile::TempDir,
    unique: String,
    /// The learner's own image name (not layerlab's default).
    tag: String,
    cleanup: common::Cleanup,
}

impl Prepared {
    fn data(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// `layerlab run dockerfile` ("do it for me": the workspace and the
    /// reference Dockerfile written over the TODO template), then the page
    /// made the learner's own and the image rebuilt with the docker CLI, as
    /// the end of lesson 3 leaves them.
    fn new(name: &str, base: &str) -> Prepared {
        let dir = tempfile::tempdir().expect("tempdir");
        let unique = common::unique_name(name);
        let tag = format!("{unique}/alpng:ng_v1");
        let mut cleanup = common::Cleanup::new();
        cleanup.image(&tag);
        cleanup.image(&format!("{unique}/alpng-naive:latest"));
        let prepared = Prepared {
            dir,
            unique,
            tag,
            cleanup,
        };
        let data = prepared.data();
        std::fs::create_dir_all(&data).expect("data dir");
        std::fs::write(
            data.join("config.json"),
            serde_json::json!({ "image": prepared.tag }).to_string(),
        )
        .expect("config");
        let output = std::process::Command::new(tmux::BIN)
            .args(["run", "dockerfile", "--base-image", base, "--image"])
            .arg(&prepared.tag)
            .args(["--lang", "en"])
            .env("LAYERLAB_DATA_DIR", &data)
            .env("LAYERLAB_CONTAINER_PREFIX", &prepared.unique)
            .output()
            .expect("layerlab run dockerfile");
        assert!(
            output.status.success(),
            "layerlab run dockerfile: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let workspace = data.join("workspace/nginx-alpine");
        let page = workspace.join("rootfs/var/www/localhost/htdocs/index.html");
        let text = std::fs::read_to_string(&page).expect("the page");
        // As long as the other watching tests' pages (watch_learner.rs);
        // other bytes: the watcher tells the learners' images apart by them.
        let author = format!("{:-<60}", prepared.unique);
        std::fs::write(&page, text.replace("ВАШЕ ИМЯ / YOUR NAME", &author)).expect("edit");
        docker(&[
            "build",
            "-q",
            "--build-arg",
            &format!("BASE_IMAGE={base}"),
            "-t",
            &prepared.tag,
            &workspace.display().to_string(),
        ]);
        prepared
    }

    /// layerlab in an 80x24 pane, in Russian, connected.
    fn tui(&self, base: &str) -> Tmux {
        let tmux = Tmux::layerlab(
            self.dir.path(),
            &self.data(),
            &[
                ("LAYERLAB_CONTAINER_PREFIX", &self.unique),
                ("EDITOR", "true"),
                ("VISUAL", ""),
            ],
            &["--lang", "ru", "--base-image", base],
            80,
            24,
        );
        tmux.wait_connected(Duration::from_secs(20));
        tmux
    }
}

/// Who the progress file says did `lesson/step` (`learner`, `layerlab`).
fn recorded_by(data: &Path, lesson: &str, step: &str) -> Option<String> {
    let text = std::fs::read_to_string(data.join("progress.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["lessons"][lesson]["records"][step]["by"]
        .as_str()
        .map(str::to_string)
}

/// A line of the screen without the box's borders.
fn inner(line: &str) -> &str {
    line.trim_start_matches(['│', '┌', '└'])
        .trim_end_matches('│')
        .trim()
}

/// Each text from a line where `starts` holds to the end of its box (or
/// an empty line), the screen's wrapped lines joined with a space (the pane
/// wraps at spaces).
fn blocks(screen: &str, starts: impl Fn(&str) -> bool) -> Vec<String> {
    let lines: Vec<&str> = screen.lines().collect();
    (0..lines.len())
        .filter(|&i| starts(inner(lines[i])))
        .map(|i| {
            let rest = lines[i + 1..]
                .iter()
                .take_while(|l| !l.starts_with('└') && !inner(l).is_empty())
                .map(|l| inner(l));
            std::iter::once(inner(lines[i]))
                .chain(rest)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn block(screen: &str, starts: impl Fn(&str) -> bool) -> Option<String> {
    blocks(screen, starts).into_iter().next()
}

/// The screen's `Команда: $ …`, the command as the learner would copy it.
fn shown_command(screen: &str) -> String {
    let text = block(screen, |l| l.starts_with("Команда: $ "))
        .unwrap_or_else(|| panic!("no command on screen:\n{screen}"));
    text.trim_start_matches("Команда: $ ").to_string()
}

/// Run the command shown on screen, exactly as shown, as the learner would
/// paste it into their shell.
fn paste(command: &str) {
    let output = std::process::Command::new("sh")
        .args(["-c", command])
        .output()
        .expect("sh");
    assert!(
        output.status.success(),
        "the command shown did not work verbatim: {command}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Driving the lesson screen, step by step, in Russian.
struct Lesson<'a> {
    tmux: &'a Tmux,
    total: usize,
}

impl Lesson<'_> {
    /// Wait until step `n` is on screen.
    fn at(&self, n: usize) -> String {
        let mark = format!("Шаг {n}/{}", self.total);
        self.tmux
            .wait_for(Duration::from_secs(10), |s| s.contains(&mark))
            .unwrap_or_else(|s| panic!("no step {n}:\n{s}"));
        self.tmux.capture()
    }

    /// Step `n` is prose: Enter reads it (done) and goes on.
    fn read(&self, n: usize) {
        self.at(n);
        self.tmux.keys(&["Enter"]);
        self.at(n + 1);
    }

    /// Step `n` is the learner's: the screen says to type it in their own
    /// terminal, and Enter does not do it for them.
    fn expect_typing(&self, n: usize) -> String {
        let screen = self.at(n);
        assert!(
            screen.contains("Наберите команду в своём терминале"),
            "step {n} is not left to the learner:\n{screen}"
        );
        self.tmux.keys(&["Enter"]);
        self.tmux
            .wait_for(Duration::from_secs(5), |s| s.contains("шаг отметится сам"))
            .unwrap_or_else(|s| panic!("Enter at step {n} did not explain:\n{s}"));
        screen
    }

    /// Step `n` turns ✔ by itself with a result line containing `line`;
    /// returns the screen then. Nothing is pressed.
    fn ticks(&self, n: usize, line: &str) -> String {
        let mark = format!("Шаг {n}/{}", self.total);
        self.tmux
            .wait_for(TICK, |s| {
                s.contains(&mark)
                    // A result line, not the title's `✔ 4/17` counter.
                    && blocks(s, |l| l.starts_with('✔')).iter().any(|r| r.contains(line))
                    && (s.contains("Enter — дальше") || s.contains("✔ Урок пройден"))
            })
            .unwrap_or_else(|s| panic!("step {n} never showed ✔ … {line}:\n{s}"));
        self.tmux.capture()
    }

    /// Step `n` ticks by itself (a check, or the learner's state reached),
    /// then Enter goes on to the next.
    fn ticks_then_next(&self, n: usize, line: &str) -> String {
        let screen = self.ticks(n, line);
        if n < self.total {
            self.tmux.keys(&["Enter"]);
            self.at(n + 1);
        }
        screen
    }

    /// Step `n` is layerlab's own (fetching a page, showing a file): Enter
    /// does it, its result shows ✔, Enter goes on.
    fn enter_does(&self, n: usize, line: &str) {
        let screen = self.at(n);
        assert!(screen.contains("Enter — выполнить"), "{screen}");
        self.tmux.keys(&["Enter"]);
        self.ticks_then_next(n, line);
    }
}

/// Lesson `run` in the TUI, by the learner's own `docker run` (their name,
/// a free port of their choosing on 127.0.0.1, the log volume) and the
/// `docker rm -f` lines the screen shows, pasted as shown.
#[test]
fn lesson_run_is_completed_in_the_tui_by_typing_docker_commands() {
    if !tmux::available() {
        return;
    }
    let Some(base) = support::standin_base() else {
        return;
    };
    let mut prepared = Prepared::new("tt4", &base);
    let data = prepared.data();
    let web = format!("{}-site", prepared.unique);
    let web_logs = format!("{}-logs", prepared.unique);
    prepared.cleanup.container(&web);
    prepared.cleanup.container(&web_logs);
    let tag = prepared.tag.clone();
    let tmux = prepared.tui(&base);
    // Home: lesson 4 is three down.
    tmux.keys(&["Down", "Down", "Down", "Enter"]);
    let lesson = Lesson {
        tmux: &tmux,
        total: 17,
    };
    lesson.read(1);
    lesson.read(2);

    // 3 publish-port: the learner's own name and port.
    let screen = lesson.expect_typing(3);
    assert_eq!(
        shown_command(&screen),
        format!("docker run -d --name web -p 127.0.0.1:8080:80 {tag}"),
        "the command names the learner's image:\n{screen}"
    );
    assert_eq!(
        recorded_by(&data, "run", "publish-port"),
        None,
        "Enter ran it"
    );
    let port = free_port();
    docker(&[
        "run",
        "-d",
        "--name",
        &web,
        "-p",
        &format!("127.0.0.1:{port}:80"),
        &tag,
    ]);
    lesson.ticks_then_next(
        3,
        &format!("контейнер {web} работает: 127.0.0.1:{port} → 80"),
    );
    assert_eq!(
        recorded_by(&data, "run", "publish-port").as_deref(),
        Some("learner")
    );
    lesson.ticks_then_next(4, "работает");
    lesson.enter_does(5, "HTTP 200");
    lesson.ticks_then_next(6, "Hello from my own nginx image");
    lesson.ticks_then_next(7, "");
    lesson.read(8);

    // 9 volume-logs: another name and port of the learner's, the log folder.
    let screen = lesson.expect_typing(9);
    let logs = data.join("workspace/nginx-logs");
    assert_eq!(
        shown_command(&screen),
        format!(
            "docker run -d --name web-logs -p 127.0.0.1:8081:80 -v \"{}:/var/log/nginx\" {tag}",
            logs.display()
        ),
        "the command names the real workspace:\n{screen}"
    );
    let port2 = free_port();
    docker(&[
        "run",
        "-d",
        "--name",
        &web_logs,
        "-p",
        &format!("127.0.0.1:{port2}:80"),
        "-v",
        &format!("{}:/var/log/nginx", logs.display()),
        &tag,
    ]);
    lesson.ticks_then_next(
        9,
        &format!("контейнер {web_logs} работает: 127.0.0.1:{port2} → 80"),
    );
    lesson.enter_does(10, "HTTP 200");
    lesson.enter_does(11, "");
    lesson.ticks_then_next(12, "GET /");

    // 13, 14: the screen names the learner's containers; pasted as shown.
    for (n, name, step) in [(13, &web, "remove-web"), (14, &web_logs, "remove-web-logs")] {
        let screen = lesson.expect_typing(n);
        let command = shown_command(&screen);
        assert_eq!(command, format!("docker rm -f {name}"), "{screen}");
        paste(&command);
        lesson.ticks_then_next(n, &format!("контейнера {name} больше нет"));
        assert_eq!(recorded_by(&data, "run", step).as_deref(), Some("learner"));
    }
    lesson.ticks_then_next(15, "контейнера больше нет");
    lesson.ticks_then_next(16, "контейнера больше нет");
    let screen = lesson.ticks(17, "access.log: есть «GET /»");
    assert!(
        screen.contains("✔ Урок пройден"),
        "the lesson is not done:\n{screen}"
    );
    tmux.keys(&["q", "q"]);
}

/// Lesson `push` in the TUI against the harness's registry: the learner
/// gives the registry when asked, tags a repository name of their own under
/// it (`mysite:v2`, not the lesson's `nginx-alpine:1.0`), and the later
/// steps show that name; the push, rmi, pull and rm lines are pasted as
/// shown; the pulled image runs under the learner's name and port.
#[test]
fn lesson_push_is_completed_in_the_tui_by_typing_docker_commands() {
    if !tmux::available() {
        return;
    }
    let (Some(base), Some(registry)) =
        (support::standin_base(), crate::walkthrough::test_registry())
    else {
        return;
    };
    let mut prepared = Prepared::new("tt7", &base);
    let data = prepared.data();
    let registry = format!("{registry}/{}", prepared.unique);
    let pushed = format!("{registry}/mysite:v2");
    let web = format!("{}-pulled", prepared.unique);
    prepared.cleanup.image(&pushed);
    prepared.cleanup.container(&web);
    let tag = prepared.tag.clone();
    let tmux = prepared.tui(&base);
    // Home: lesson 7 is six down.
    tmux.keys(&["Down", "Down", "Down", "Down", "Down", "Down", "Enter"]);
    let lesson = Lesson {
        tmux: &tmux,
        total: 17,
    };
    for n in 1..=4 {
        lesson.read(n);
    }

    // 5 tag: the registry is not known yet: Enter asks for it.
    let screen = lesson.at(5);
    assert_eq!(
        shown_command(&screen),
        format!("docker tag {tag} РЕЕСТР/nginx-alpine:1.0"),
        "{screen}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("Реестр (например"))
        .unwrap_or_else(|s| panic!("no registry prompt:\n{s}"));
    tmux.keys(&[&registry, "Enter"]);
    tmux.wait_for(Duration::from_secs(5), |s| {
        block(s, |l| l.starts_with("Команда: $ "))
            .is_some_and(|c| c.ends_with(&format!(" {registry}/nginx-alpine:1.0")))
            && s.contains("шаг отметится сам")
    })
    .unwrap_or_else(|s| {
        panic!("the registry is not filled in, or the step not left to the learner:\n{s}")
    });
    assert_eq!(
        recorded_by(&data, "push", "tag"),
        None,
        "the prompt tagged it"
    );
    docker(&["tag", &tag, &pushed]);
    lesson.ticks_then_next(5, &format!("ваш образ назван для реестра: {pushed}"));
    assert_eq!(
        recorded_by(&data, "push", "tag").as_deref(),
        Some("learner")
    );
    lesson.ticks_then_next(6, &pushed);

    // 7 push: the command names the learner's own repository.
    let screen = lesson.expect_typing(7);
    let command = shown_command(&screen);
    assert_eq!(command, format!("docker push {pushed}"), "{screen}");
    paste(&command);
    lesson.ticks_then_next(7, "образ опубликован");
    assert_eq!(
        recorded_by(&data, "push", "push").as_deref(),
        Some("learner")
    );

    // 8 rmi, 10 pull: pasted as shown.
    let screen = lesson.expect_typing(8);
    let command = shown_command(&screen);
    assert_eq!(command, format!("docker rmi {pushed}"), "{screen}");
    paste(&command);
    lesson.ticks_then_next(8, &format!("образа {pushed} нет"));
    lesson.ticks_then_next(9, &pushed);
    let screen = lesson.expect_typing(10);
    let command = shown_command(&screen);
    assert_eq!(command, format!("docker pull {pushed}"), "{screen}");
    paste(&command);
    lesson.ticks_then_next(10, &pushed);
    lesson.ticks_then_next(11, &pushed);

    // 12 run-pulled: the learner's own name and port.
    let screen = lesson.expect_typing(12);
    assert!(
        screen.contains("docker run -d --name web-pulled"),
        "{screen}"
    );
    assert!(screen.contains(&pushed), "{screen}");
    let port = free_port();
    docker(&[
        "run",
        "-d",
        "--name",
        &web,
        "-p",
        &format!("127.0.0.1:{port}:80"),
        &pushed,
    ]);
    lesson.ticks_then_next(
        12,
        &format!("контейнер {web} работает: 127.0.0.1:{port} → 80"),
    );
    lesson.ticks_then_next(13, "Hello from my own nginx image");
    lesson.ticks_then_next(14, "образ опубликован");

    // 15 remove-pulled: the screen names the learner's container.
    let screen = lesson.expect_typing(15);
    let command = shown_command(&screen);
    assert_eq!(command, format!("docker rm -f {web}"), "{screen}");
    paste(&command);
    lesson.ticks_then_next(15, &format!("контейнера {web} больше нет"));
    lesson.read(16);
    lesson.at(17);
    tmux.keys(&["Enter"]);
    let screen = tmux
        .wait_for(TICK, |s| s.contains("✔ Урок пройден"))
        .map(|_| tmux.capture())
        .unwrap_or_else(|s| panic!("the lesson is not done:\n{s}"));
    assert!(screen.contains("Шаг 17/17 · ✔ 17/17"), "{screen}");
    for step in [
        "tag",
        "push",
        "untag",
        "pull-back",
        "run-pulled",
        "remove-pulled",
    ] {
        assert_eq!(
            recorded_by(&data, "push", step).as_deref(),
            Some("learner"),
            "{step}"
        );
    }
    tmux.keys(&["q", "q"]);
}
