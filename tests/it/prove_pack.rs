//! `layerlab validate --prove`: the pack's self-test through the binary.
//! The shipped pack must pass it (nothing done ticks no learner's step; the
//! reference path ticks every required one), and a pack whose check holds
//! before the learner does anything must fail it, naming the step.

use crate::common;
use crate::walkthrough::{Learner, standin_base, test_registry};

/// Every required step proven, the push lesson included (against the
/// harness's registry, with --yes for its "asks first" push), and nothing
/// of the self-test's left on the daemon.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_pack_passes_its_self_test() {
    let Some(docker) = common::docker_or_skip().await else {
        return;
    };
    let (Some(base), Some(registry)) = (standin_base(), test_registry()) else {
        return;
    };
    let learner = Learner::new("prove");
    let mut args = vec!["--base-image", &base, "validate", "--prove"];
    // Known gap (docs/watch.md): on the containerd image store the watcher
    // does not see a push yet, so there the push lesson is left out (and
    // the output must say so).
    let classic = common::engine::engine_kind(&docker).await == common::engine::EngineKind::Classic;
    if classic {
        args.extend(["--registry", &registry, "--yes"]);
    }
    let out = learner.run(&args).await;
    assert!(out.ok(), "{out}");
    let text = &out.stdout;
    assert!(text.contains(" 0 failed,"), "{out}");
    for line in [
        // Doing nothing: the template is not an edit, no image is built.
        "✔ [doing nothing] dockerfile/edit-page: stays unticked",
        "✔ [doing nothing] dockerfile/build: stays unticked",
        "✔ [doing nothing] run/publish-port: stays unticked",
        // The reference path: the build writes the solution over the
        // template, and the watcher recognises the image it makes.
        "✔ [reference] dockerfile/build: ticks: your image is built",
        "✔ [reference] run/publish-port: ticks: container",
        "✔ [reference] disposable/commit: ticks: image present",
    ] {
        assert!(text.contains(line), "no `{line}`:\n{out}");
    }
    assert!(
        text.contains("- [reference] kernel/compile: skipped (an optional step)"),
        "{out}"
    );
    if classic {
        assert!(text.contains("✔ [reference] push/push: ticks"), "{out}");
        assert!(text.contains("✔ [reference] push/pushed-matches:"), "{out}");
    } else {
        assert!(
            text.contains(
                "- [reference] push/tag: skipped (pushes to a registry: needs --registry HOST:PORT)"
            ),
            "{out}"
        );
    }
    // Its own names, all gone: no container, no image of the self-test.
    let unique = text
        .split_whitespace()
        .find(|w| w.starts_with("layerlab-prove-"))
        .expect("the self-test names its prefix")
        .trim_end_matches("-…")
        .to_string();
    let containers = docker.list_all_containers().await.expect("containers");
    assert!(
        !containers.iter().any(|c| c.name.contains(&unique)),
        "containers left: {:?}",
        containers
            .iter()
            .map(|c| &c.name)
            .filter(|n| n.contains(&unique))
            .collect::<Vec<_>>()
    );
    let images = docker.list_all_images().await.expect("images");
    let left: Vec<&String> = images
        .iter()
        .flat_map(|i| &i.repo_tags)
        .filter(|t| t.contains(&unique))
        .collect();
    assert!(left.is_empty(), "images left: {left:?}");
}

/// A check that already holds when the learner has done nothing (the page
/// template contains the text it looks for) fails the self-test, by name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_that_ticks_with_nothing_done_fails_the_self_test() {
    if common::docker_or_skip().await.is_none() {
        return;
    }
    let pack = tempfile::tempdir().expect("tempdir");
    let dir = pack.path();
    std::fs::create_dir_all(dir.join("assets/web")).unwrap();
    std::fs::write(dir.join("assets/web/index.html"), "<h1>hello</h1>\n").unwrap();
    std::fs::write(
        dir.join("pack.yaml"),
        "format_version: 1\ntitle: {ru: Проба, en: Probe}\nlessons: [one.yaml]\nassets: assets\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("one.yaml"),
        r#"format_version: 1
id: one
title: {ru: Один, en: One}
steps:
  - id: copy
    kind: action
    action: {copy_assets: {from: web, to: web}}
  - id: edited
    kind: check
    text: {ru: Страница ваша, en: The page is yours}
    check: {file_contains: {path: web/index.html, text: hello}}
"#,
    )
    .unwrap();
    let learner = Learner::new("provebad");
    let out = learner
        .run(&["validate", "--prove", &dir.display().to_string()])
        .await;
    assert_eq!(out.code, Some(1), "{out}");
    assert!(
        out.stdout
            .contains("✘ [doing nothing] one/edited: ticks with nothing done"),
        "{out}"
    );
    assert!(out.stdout.contains("1 failed"), "{out}");
}
