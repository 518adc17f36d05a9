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

/// The name of the running test: nextest runs each test in its own process as
/// `it --exact NAME`, and a multi-threaded runtime's worker thread is not
/// named after the test, so the command line is asked first.
pub fn test_name() -> String {
    if let Ok(name) = std::env::var("NEXTEST_TEST_NAME")
        && !name.is_empty()
    {
        return name;
    }
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--exact")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(current_test)
}

/// Marks the running test as a Docker test: `scripts/test.sh` sets
/// `LAYERLAB_TEST_DOCKER_TESTS` to a file, collects the names written there in
/// its first pass (the default engine) and runs exactly those tests again
/// against the second engine. Every helper that hands a test the daemon, the
/// stand-in or a registry calls this, so a new Docker test joins the second
/// pass without being listed anywhere.
pub fn uses_docker() {
    let Some(path) = std::env::var_os("LAYERLAB_TEST_DOCKER_TESTS") else {
        return;
    };
    // One short O_APPEND write per call: concurrent test processes do not
    // interleave inside a line. Duplicates are removed by the script.
    let line = format!("{}\n", test_name());
    if let Err(e) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(line.as_bytes()))
    {
        let _ = writeln!(
            std::io::stderr(),
            "WARNING: cannot record the Docker test in {}: {e}",
            std::path::Path::new(&path).display()
        );
    }
}
