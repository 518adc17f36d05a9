//! Drive the real TUI in tmux: a private tmux server (its own socket in a
//! temp dir, so only what the test started is ever killed), a fixed-size
//! pane, screen captures and keys.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: PathBuf,
}

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_layerlab");

/// Quote for `sh`: everything inside single quotes.
pub fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `env A=1 B=2 PROGRAM ARGS`, quoted for `sh`.
pub fn env_command(env: &[(&str, &str)], program: &str, args: &[&str]) -> String {
    let mut parts = vec!["env".to_string()];
    parts.extend(env.iter().map(|(k, v)| shell_quote(&format!("{k}={v}"))));
    parts.push(shell_quote(program));
    parts.extend(args.iter().map(|a| shell_quote(a)));
    parts.join(" ")
}

/// `env LAYERLAB_DATA_DIR=DATA TERM=xterm-256color ENV… layerlab ARGS`,
/// quoted for `sh`: layerlab as a learner starts it in a colour terminal,
/// with a data dir of the test's own.
pub fn layerlab_command(data: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let data = data.to_string_lossy();
    let mut all = vec![
        ("LAYERLAB_DATA_DIR", data.as_ref()),
        ("TERM", "xterm-256color"),
    ];
    all.extend_from_slice(env);
    env_command(&all, BIN, args)
}

/// tmux is a test tool: without it the test skips loudly (fails in CI).
pub fn available() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        super::missing("tmux", "install it: apt-get install -y tmux");
    }
    ok
}

impl Tmux {
    /// Start `sh -c SCRIPT` in a new WIDTH×HEIGHT session.
    pub fn start(dir: &Path, script: &str, width: u16, height: u16) -> Tmux {
        let tmux = Tmux {
            socket: dir.join("tmux.sock"),
        };
        let out = tmux.run(&[
            "new-session",
            "-d",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "sh",
            "-c",
            script,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    /// Start layerlab (`layerlab_command`) in a new WIDTH×HEIGHT session
    /// whose socket is in `dir`. The shell execs it, so the pane's pid is
    /// layerlab's.
    pub fn layerlab(
        dir: &Path,
        data: &Path,
        env: &[(&str, &str)],
        args: &[&str],
        width: u16,
        height: u16,
    ) -> Tmux {
        let script = format!("exec {}", layerlab_command(data, env, args));
        Tmux::start(dir, &script, width, height)
    }

    /// The pid of the pane's process.
    pub fn pane_pid(&self) -> u32 {
        self.pane_format("#{pane_pid}")
            .parse()
            .expect("the pane's pid")
    }

    /// Wait until the status bar says Docker is connected; panics with the
    /// screen after `timeout`.
    pub fn wait_connected(&self, timeout: Duration) {
        self.wait_for(timeout, |s| last_line(s).contains("● Docker"))
            .unwrap_or_else(|s| panic!("never connected:\n{s}"));
    }

    /// Wait until `done` holds; panics naming `what`, with the screen.
    pub fn expect_screen(
        &self,
        timeout: Duration,
        what: &str,
        done: impl Fn(&str) -> bool,
    ) -> Duration {
        self.wait_for(timeout, done)
            .unwrap_or_else(|screen| panic!("{what}:\n{screen}"))
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    pub fn capture(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p"]).stdout).into_owned()
    }

    /// A tmux format for the pane, e.g. `#{alternate_on}`.
    pub fn pane_format(&self, format: &str) -> String {
        String::from_utf8_lossy(&self.run(&["display-message", "-p", format]).stdout)
            .trim()
            .to_string()
    }

    /// Close the session: its pty hangs up (SIGHUP to what runs in it), as
    /// when the learner closes the terminal window.
    pub fn kill_session(&self) {
        let out = self.run(&["kill-server"]);
        assert!(out.status.success(), "tmux kill-server");
    }

    /// Keys in tmux's names: "Enter", "C-c", "n", ...
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        let out = self.run(&args);
        assert!(out.status.success(), "tmux send-keys {keys:?}");
    }

    /// Poll the screen until `done` holds; the time it took, or the last
    /// screen on timeout.
    pub fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&str) -> bool,
    ) -> Result<Duration, String> {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if done(&screen) {
                return Ok(start.elapsed());
            }
            if start.elapsed() > timeout {
                return Err(screen);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The last line of the screen that has text: the status bar.
pub fn last_line(screen: &str) -> String {
    screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .to_string()
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Our private server only (its own socket).
        let _ = self.run(&["kill-server"]);
    }
}

/// Wait for a file to exist and be non-empty (written by the pane's shell).
pub fn wait_file(path: &Path, timeout: Duration) -> Option<String> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(text) = std::fs::read_to_string(path) {
            if !text.is_empty() {
                return Some(text);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}
