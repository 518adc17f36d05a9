//! The terminal is always given back: after SIGTERM, Ctrl-C, a panic and a
//! failed `$EDITOR`, the real TUI (in tmux, 80×24) leaves the pane with the
//! alternate screen off, mouse reporting off, the cursor shown and the tty in
//! canonical mode with echo (`stty -a` run in the pane after the exit). With
//! stdout not a terminal it refuses with a message and no escape codes.
//! No Docker needed: DOCKER_HOST points at a socket that does not exist.

use std::path::Path;
use std::time::Duration;

use crate::common::tmux::{self, BIN, Tmux, layerlab_command, shell_quote};

/// What the pane's shell left behind after layerlab ended.
struct Exited {
    code: String,
    stty: String,
    stderr: String,
}

/// Start layerlab in tmux; the shell writes its pid, and after it exits its
/// status, `stty -a` and a marker line, then idles so the pane can be read.
fn start(dir: &Path, extra_env: &[(&str, &str)], stderr_to_file: bool) -> Tmux {
    let mut env = vec![
        ("DOCKER_HOST", "unix:///nonexistent/layerlab-test.sock"),
        ("LAYERLAB_LANG", "en"),
    ];
    env.extend_from_slice(extra_env);
    let app = layerlab_command(
        &dir.join("data"),
        &env,
        &["--lang", "en", "--log-level", "debug"],
    );
    let file = |name: &str| shell_quote(&dir.join(name).to_string_lossy());
    let redirect = if stderr_to_file {
        format!("2>{}", file("stderr"))
    } else {
        String::new()
    };
    let script = format!(
        "sh -c {inner} {redirect}; echo $? > {exit}; stty -a > {stty}; echo AFTER-EXIT; exec sleep 600",
        inner = shell_quote(&format!("echo $$ > {}; exec {app}", file("pid"))),
        exit = file("exit"),
        stty = file("stty"),
    );
    Tmux::start(dir, &script, 80, 24)
}

fn wait_for_tui(tmux: &Tmux) {
    // The status bar shows the daemon's state once the first frames are up.
    tmux.wait_for(Duration::from_secs(10), |s| {
        tmux::last_line(s).contains("Docker")
    })
    .unwrap_or_else(|screen| panic!("the TUI did not come up:\n{screen}"));
    assert_eq!(
        tmux.pane_format("#{alternate_on}"),
        "1",
        "TUI on the alternate screen"
    );
    assert_eq!(
        tmux.pane_format("#{mouse_any_flag}"),
        "1",
        "TUI captures the mouse"
    );
}

fn wait_exit(dir: &Path, tmux: &Tmux) -> Exited {
    let code = tmux::wait_file(&dir.join("exit"), Duration::from_secs(20))
        .unwrap_or_else(|| panic!("layerlab did not exit within 20 s:\n{}", tmux.capture()));
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("AFTER-EXIT"))
        .unwrap_or_else(|screen| panic!("the shell did not go on after layerlab:\n{screen}"));
    Exited {
        code: code.trim().to_string(),
        stty: std::fs::read_to_string(dir.join("stty")).unwrap_or_default(),
        stderr: std::fs::read_to_string(dir.join("stderr")).unwrap_or_default(),
    }
}

/// The pane as a shell user expects it after any exit.
fn assert_terminal_restored(tmux: &Tmux, exited: &Exited) {
    let flags: Vec<&str> = exited.stty.split_whitespace().collect();
    for wanted in ["icanon", "echo", "icrnl", "opost", "isig"] {
        assert!(
            flags.contains(&wanted),
            "stty -a after exit lacks `{wanted}` (raw mode left on):\n{}",
            exited.stty
        );
    }
    assert_eq!(
        tmux.pane_format("#{alternate_on}"),
        "0",
        "alternate screen left on"
    );
    assert_eq!(
        tmux.pane_format("#{mouse_any_flag}"),
        "0",
        "mouse reporting left on"
    );
    assert_eq!(
        tmux.pane_format("#{cursor_flag}"),
        "1",
        "cursor left hidden"
    );
    let screen = tmux.capture();
    assert!(
        !screen.contains("? help"),
        "TUI leftovers on the normal screen:\n{screen}"
    );
}

fn pid(dir: &Path) -> String {
    tmux::wait_file(&dir.join("pid"), Duration::from_secs(10))
        .expect("pid file")
        .trim()
        .to_string()
}

fn kill(signal: &str, pid: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {signal} {pid}");
}

#[test]
fn sigterm_restores_the_terminal_and_nothing_reaches_stderr() {
    if !tmux::available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let tmux = start(dir.path(), &[], true);
    wait_for_tui(&tmux);
    kill("-TERM", &pid(dir.path()));
    let exited = wait_exit(dir.path(), &tmux);
    assert_eq!(exited.code, "0", "SIGTERM is a clean quit");
    assert_terminal_restored(&tmux, &exited);
    assert_eq!(
        exited.stderr, "",
        "nothing may be written to stderr under the TUI"
    );
    // The log went to its file instead (the lost daemon is logged at warn).
    let log = std::fs::read_to_string(dir.path().join("data/logs/layerlab.log"))
        .expect("log file in the data dir");
    assert!(log.contains("Docker daemon lost"), "log file:\n{log}");
}

#[test]
fn ctrl_c_restores_the_terminal() {
    if !tmux::available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let tmux = start(dir.path(), &[], true);
    wait_for_tui(&tmux);
    tmux.keys(&["C-c"]);
    let exited = wait_exit(dir.path(), &tmux);
    assert_eq!(exited.code, "0");
    assert_terminal_restored(&tmux, &exited);
    assert_eq!(exited.stderr, "");
}

#[test]
fn sigint_from_outside_restores_the_terminal() {
    if !tmux::available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let tmux = start(dir.path(), &[], true);
    wait_for_tui(&tmux);
    kill("-INT", &pid(dir.path()));
    let exited = wait_exit(dir.path(), &tmux);
    assert_eq!(exited.code, "0");
    assert_terminal_restored(&tmux, &exited);
}

#[test]
fn a_panic_restores_the_terminal_and_shows_the_message() {
    if !tmux::available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // The hook panics right after the alternate screen and mouse capture are on.
    let tmux = start(
        dir.path(),
        &[("LAYERLAB_TEST_PANIC", "1"), ("RUST_BACKTRACE", "0")],
        false,
    );
    let exited = wait_exit(dir.path(), &tmux);
    assert_eq!(exited.code, "101", "a panic exits with Rust's panic status");
    assert_terminal_restored(&tmux, &exited);
    let screen = tmux.capture();
    assert!(
        screen.contains("deliberate panic to test terminal restoration"),
        "the panic message must be readable on the normal screen:\n{screen}"
    );
}

#[test]
fn a_failed_editor_is_an_error_in_the_step_and_the_tui_goes_on() {
    if !tmux::available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let tmux = start(dir.path(), &[("EDITOR", "false"), ("VISUAL", "")], true);
    wait_for_tui(&tmux);
    // Lesson 2, its 8th step: the learner's answer, opened in $EDITOR with `e`.
    tmux.keys(&["Down", "Enter"]);
    tmux.wait_for(Duration::from_secs(5), |s| {
        s.contains("Image and container") || s.contains("image")
    })
    .unwrap_or_else(|screen| panic!("lesson 2 did not open:\n{screen}"));
    for _ in 0..7 {
        tmux.keys(&["n"]);
    }
    tmux.wait_for(Duration::from_secs(5), |s| s.contains("Your answer"))
        .unwrap_or_else(|screen| panic!("the answer step did not show:\n{screen}"));
    tmux.keys(&["e"]);
    tmux.wait_for(Duration::from_secs(10), |s| {
        s.contains("the editor false exited with code 1")
    })
    .unwrap_or_else(|screen| {
        // Why it ended, if it did: its stderr and the end of its log.
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        let stderr = read(&dir.path().join("stderr"));
        let log = read(&dir.path().join("data/logs/layerlab.log"));
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        panic!(
            "no editor error in the step:\n{screen}\nstderr: {stderr}\nexit: {}\nlog tail:\n{}",
            read(&dir.path().join("exit")),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    });
    assert_eq!(
        tmux.pane_format("#{alternate_on}"),
        "1",
        "the TUI is back after the editor"
    );
    assert_eq!(
        tmux.pane_format("#{mouse_any_flag}"),
        "1",
        "mouse capture is back too"
    );
    // Still answering keys after the editor.
    tmux.keys(&["C-c"]);
    let exited = wait_exit(dir.path(), &tmux);
    assert_eq!(exited.code, "0");
    assert_terminal_restored(&tmux, &exited);
    assert_eq!(exited.stderr, "");
}

#[test]
fn without_a_terminal_it_explains_and_prints_no_escape_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = std::process::Command::new(BIN)
        .args(["--lang", "en"])
        .env("LAYERLAB_DATA_DIR", dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run layerlab");
    assert!(
        !output.status.success(),
        "must exit non-zero without a terminal"
    );
    let all = [output.stdout.as_slice(), output.stderr.as_slice()].concat();
    let text = String::from_utf8_lossy(&all);
    assert!(
        text.contains("needs a terminal") && text.contains("layerlab run"),
        "the message says why and what to use instead:\n{text}"
    );
    assert!(!text.contains("\x1b["), "escape codes in a pipe: {text:?}");
}
