//! The layer explorer as a person uses it: the real TUI in tmux opens an
//! image, moves through its layers, unfolds the tree and filters it by path.

use crate::support;

use std::time::Duration;

use crate::common::tmux::{self, Tmux};

#[test]
fn open_an_image_move_through_layers_and_filter_the_tree() {
    if !tmux::available() {
        return;
    }
    // The stand-in base: a real image on this daemon with a real file tree.
    let Some(image) = support::standin_base() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let tmux = Tmux::layerlab(
        dir.path(),
        &data,
        &[],
        &["--lang", "en", "layers", &image],
        120,
        32,
    );
    let wait = |what: &str, done: &dyn Fn(&str) -> bool| {
        tmux.expect_screen(Duration::from_secs(30), what, done);
    };
    wait("the explorer never showed the image", &|s| {
        s.contains("all: what a container sees") && s.contains("bin/")
    });
    assert!(
        tmux.capture().contains("the whole file system"),
        "starts on the whole image"
    );

    // Down: the first layer, its own changes.
    tmux.keys(&["Down"]);
    wait("layer 1 was not selected", &|s| {
        s.contains("layer 1 · changes only")
    });

    // Into the tree: fold all, unfold all, then filter by a path everyone has.
    tmux.keys(&["Tab", "C"]);
    wait("the tree did not fold", &|s| {
        s.contains("▸ bin/") && !s.contains("busybox")
    });
    tmux.keys(&["E"]);
    wait("the tree did not unfold", &|s| {
        s.contains("busybox") && s.contains("▾ bin/")
    });
    tmux.keys(&["/", "o", "s", "-", "r", "e", "l", "Enter"]);
    let screen = tmux.capture();
    wait("the filter was not applied", &|s| {
        s.contains("/ os-rel") && s.contains("os-release")
    });
    assert!(
        !tmux.capture().contains("bin/"),
        "the filter hides what does not match:\n{screen}"
    );

    // q leaves (the explorer was opened on its own, so the app ends).
    tmux.keys(&["q"]);
    wait("q did not leave", &|s| {
        !s.contains("all: what a container sees")
    });
}

/// At 80×24 in Russian: a file opens as its layer stores it, read back from
/// the daemon, with line numbers; a search finds a line; Esc closes the file
/// and the explorer is still there.
#[test]
fn a_file_opens_as_its_layer_stores_it_at_80x24_in_russian() {
    if !tmux::available() {
        return;
    }
    let Some(image) = support::standin_base() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let tmux = Tmux::layerlab(
        dir.path(),
        &data,
        &[],
        &["--lang", "ru", "--base-image", &image, "layers", &image],
        80,
        24,
    );
    let wait = |what: &str, done: &dyn Fn(&str) -> bool| {
        tmux.expect_screen(Duration::from_secs(30), what, done);
    };
    wait("the explorer never showed the image", &|s| {
        s.contains("вся файловая система") && s.contains("bin/")
    });
    assert!(
        tmux.capture().contains("базовый образ"),
        "the stand-in's own layer is named as the base:\n{}",
        tmux.capture()
    );
    tmux.keys(&["Tab", "/", "o", "s", "-", "r", "e", "l", "Enter", "G", "v"]);
    wait("the file did not open", &|s| {
        s.contains("/etc/os-release") && s.contains("ID=layerlab-standin") && s.contains("│ ")
    });
    tmux.keys(&["/", "I", "D", "_", "L", "Enter"]);
    wait("the search found nothing", &|s| s.contains("1 совпадение"));
    tmux.keys(&["Escape"]);
    wait("Esc did not close the file", &|s| {
        s.contains("вся файловая система") && !s.contains("ID=layerlab-standin")
    });
}
