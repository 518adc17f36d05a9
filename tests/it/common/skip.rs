//! The one rule for tests that need something from outside (a daemon, the
//! stand-in image, a registry, tmux): with `CI=true` its absence is a test
//! FAILURE; elsewhere the test is skipped LOUDLY. Shared by `tests/it/common` and
//! `tests/it/support`, so both say it the same way.

use std::io::Write;

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

fn current_test() -> String {
    std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_string()
}

/// In CI: panic. Elsewhere: a loud SKIPPED line.
pub fn missing(what: &str, why: &str) {
    let test = current_test();
    if in_ci() {
        panic!("{what} is required with CI=true ({test}): {why}");
    }
    // Written to the stderr handle directly: libtest captures eprintln! of
    // passing tests, and a skip must be seen.
    let _ = writeln!(std::io::stderr(), "SKIPPED: {what}: {test}: {why}");
}
