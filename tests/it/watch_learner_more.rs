//! The learner at the keyboard, for the lessons `watch_learner.rs` does not
//! type: `environment`, `image-container`, `disposable` and `kernel`, each
//! under `layerlab watch LESSON --timeout N` from a fresh data dir, with
//! only real `docker` commands (the test's own names, tags and ports) typed
//! by a second process. Every watched step must turn ✔ by itself, in order,
//! and the watch must end with exit 0.
//!
//! The second terminal (`walkthrough::second_terminal`) is shared with
//! `watch_learner.rs` and `tmux_typing.rs`.

use crate::common;
use crate::walkthrough::second_terminal::{Watch, build, docker};
use crate::walkthrough::{Learner, standin_base};

/// `docker ARGS` that may fail: whether it did, and what it said.
fn docker_may_fail(args: &[&str]) -> (bool, String) {
    let output = std::process::Command::new("docker")
        .args(args)
        .output()
        .expect("the docker CLI");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}

/// Each step printed ✔, in the lesson's order.
fn ticked_in_order(text: &str, lesson: &str, steps: &[&str]) {
    let mut from = 0;
    for step in steps {
        let needle = format!("✔ {lesson}/{step}:");
        match text[from..].find(&needle) {
            Some(at) => from += at + needle.len(),
            None => panic!("no `{needle}` after the previous step:\n{text}"),
        }
    }
}

/// The steps `layerlab watch` waits for in `lesson` of the shipped pack.
fn watched_steps(lesson: &str) -> Vec<String> {
    let pack = layerlab::lesson::loader::Pack::load(None).expect("the shipped pack");
    let lesson = pack
        .lessons
        .iter()
        .find(|l| l.id == lesson)
        .expect("the lesson");
    layerlab::watch::session::watched_steps(lesson)
        .into_iter()
        .map(|s| s.id.clone())
        .collect()
}

/// Lessons 1 and 2 from a fresh data dir: nothing to type for them is
/// watched (lesson 1's checks are layerlab's, lesson 2 is reading, a lab
/// screen and an answer), so each watch ends at once with exit 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lessons_environment_and_image_container_end_by_themselves() {
    if common::docker_or_skip().await.is_none() {
        return;
    }
    let Some(base) = standin_base() else {
        return;
    };
    let learner = Learner::new("watchenv");
    let watch = Watch::start(
        &learner,
        &[
            "watch",
            "environment",
            "--base-image",
            &base,
            "--timeout",
            "60",
        ],
    );
    let (code, text) = watch.finish().await;
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        watched_steps("environment"),
        ["doctor", "daemon-reachable"],
        "what this test expects to see watched"
    );
    ticked_in_order(&text, "environment", &["doctor", "daemon-reachable"]);
    assert!(
        text.contains("✔ environment/doctor: Docker is ready (done by layerlab)"),
        "{text}"
    );
    assert!(text.contains("Lesson environment is done"), "{text}");
    let progress = layerlab::progress::Progress::open(&learner.data.path().join("progress.json"))
        .expect("progress")
        .progress;
    assert!(progress.is_done("environment", "daemon-reachable"));

    // Lesson 2 has no step to type: its watch says so by being done.
    assert!(watched_steps("image-container").is_empty());
    let watch = Watch::start(&learner, &["watch", "image-container", "--timeout", "60"]);
    let (code, text) = watch.finish().await;
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Lesson image-container is done"), "{text}");
    assert!(!text.contains('✘'), "{text}");
}

/// The part of lesson `dockerfile` that makes the learner's image, typed:
/// the page edited, the image built under the learner's own tag, the naive
/// build. Leaves the image in progress for the later lessons.
async fn typed_dockerfile_lesson(learner: &Learner, base: &str, tag: &str, naive: &str) {
    let watch = Watch::start(learner, &["watch", "dockerfile", "--timeout", "200"]);
    watch.wait_for("✔ dockerfile/copy-assets:").await;
    let workspace = learner.workspace().join("nginx-alpine");
    let page = workspace.join("rootfs/var/www/localhost/htdocs/index.html");
    let template = std::fs::read_to_string(&page).expect("the page");
    // Unique, and as long as the other watching tests' pages (the watcher
    // tells the learners' images apart by their bytes).
    let name = format!("{:-<60}", learner.prefix);
    std::fs::write(&page, template.replace("ВАШЕ ИМЯ / YOUR NAME", &name)).expect("edit the page");
    watch.wait_for("✔ dockerfile/edit-page:").await;
    // The template has only TODO lines: the learner writes the instructions,
    // in their own order of words (the lesson accepts any correct file).
    std::fs::write(
        workspace.join("Dockerfile"),
        "# my nginx\nARG BASE_IMAGE=alpine:3.22\nFROM ${BASE_IMAGE}\nRUN apk add --no-cache nginx\nCOPY rootfs/ /\nEXPOSE 80\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\n",
    )
    .expect("write the Dockerfile");
    build(base, tag, &workspace.join("Dockerfile"), &workspace);
    watch.wait_for("✔ dockerfile/build:").await;
    build(base, naive, &workspace.join("Dockerfile.naive"), &workspace);
    let (code, text) = watch.finish().await;
    assert_eq!(code, Some(0), "{text}");
}

/// Lessons `disposable` and `kernel`, after the learner's image was made by
/// typing: every required step by docker commands, with the learner's own
/// container names; a `docker exec` layerlab runs for a check must not tick
/// a step that asks the learner for one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lessons_disposable_and_kernel_are_completed_by_typing_docker_commands() {
    let Some(docker_client) = common::docker_or_skip().await else {
        return;
    };
    let Some(base) = standin_base() else {
        return;
    };
    let learner = Learner::new("watchmore");
    let unique = learner.prefix.clone();
    let tag = format!("{unique}/alpng:ng_v1");
    let naive = format!("{unique}/alpng-naive:latest");
    // What the lesson's `docker commit` line names: `{image_repo}-note:latest`.
    let note = format!("{unique}/alpng-note:latest");
    let names = [
        "box",
        "box-a",
        "box-b",
        "box-commit",
        "kernel",
        "kernel-priv",
    ]
    .map(|name| format!("{unique}-my{name}"));
    let [box_, box_a, box_b, box_commit, kernel_lab, kernel_priv] = &names;
    let mut cleanup = common::Cleanup::new();
    for image in [&tag, &naive, &note] {
        cleanup.image(image);
    }
    for name in &names {
        cleanup.container(name);
    }
    typed_dockerfile_lesson(&learner, &base, &tag, &naive).await;

    // --- lesson `disposable` ---
    let watch = Watch::start(&learner, &["watch", "disposable", "--timeout", "300"]);
    watch.wait_for("✔ disposable/save-image-id:").await;
    docker(&["run", "-d", "--name", box_, &tag]);
    watch.wait_for("✔ disposable/start-box:").await;
    docker(&[
        "exec",
        box_,
        "sh",
        "-c",
        r#"echo "written inside the container" > /tmp/note.txt"#,
    ]);
    watch.wait_for("✔ disposable/note-in-diff:").await;
    docker(&["stop", box_]);
    watch.wait_for("✔ disposable/box-stopped:").await;
    docker(&["start", box_]);
    watch.wait_for("✔ disposable/note-survives-restart:").await;
    // The line the lesson shows, as typed: `{image_repo}-note:latest`.
    docker(&["commit", box_, &note]);
    watch.wait_for("✔ disposable/commit-adds-layer:").await;
    docker(&["run", "-d", "--name", box_commit, &note]);
    watch.wait_for("✔ disposable/note-in-commit:").await;
    watch.wait_for("✔ disposable/immutable:").await;
    docker(&["rm", "-f", box_]);
    watch.wait_for("✔ disposable/box-gone:").await;
    docker(&["run", "-d", "--name", box_, &tag]);
    watch.wait_for("✔ disposable/note-gone:").await;
    docker(&["run", "-d", "--name", box_a, &tag]);
    watch.wait_for("✔ disposable/two-containers:").await;
    docker(&["run", "-d", "--name", box_b, &tag]);
    watch.wait_for("✔ disposable/start-box-b:").await;
    docker(&[
        "exec",
        box_a,
        "sh",
        "-c",
        r#"echo "box-a was here" > /tmp/only-in-a.txt"#,
    ]);
    watch.wait_for("✔ disposable/b-lacks-file:").await;
    for name in [box_, box_a, box_b, box_commit] {
        docker(&["rm", "-f", name]);
    }
    docker(&["rmi", &note]);
    let (code, text) = watch.finish().await;
    assert_eq!(code, Some(0), "{text}");
    let steps = watched_steps("disposable");
    ticked_in_order(
        &text,
        "disposable",
        &steps.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(text.contains("Lesson disposable is done"), "{text}");
    // The learner's own names were followed: the diff step looked at theirs.
    assert!(text.contains(box_.as_str()), "{text}");

    // --- lesson `kernel` ---
    let watch = Watch::start(&learner, &["watch", "kernel", "--timeout", "300"]);
    watch.wait_for("Watching lesson kernel").await;
    docker(&["run", "-d", "--name", kernel_lab, &tag]);
    watch.wait_for("✔ kernel/start-kernel-lab:").await;
    watch.wait_for("✔ kernel/same-kernel:").await;
    // layerlab's own `uname -r` in the container is not the learner's exec.
    watch.stays_open("kernel/no-boot").await;
    // The lesson's line, verbatim: `ls` fails on purpose, `|| true` keeps
    // the exit code 0 for the shell.
    let said = docker(&[
        "exec",
        kernel_lab,
        "sh",
        "-c",
        r#"ls -d /boot "/lib/modules/$(uname -r)" 2>&1 || true"#,
    ]);
    assert!(said.contains("No such file or directory"), "{said}");
    watch.wait_for("✔ kernel/no-boot-check:").await;
    // Nor is the check's own `test -d /boot`.
    watch.stays_open("kernel/host-modules").await;
    docker(&[
        "exec",
        kernel_lab,
        "sh",
        "-c",
        "head -n 5 /proc/modules || echo no /proc/modules",
    ]);
    watch.wait_for("✔ kernel/host-modules:").await;
    // The optional privileged container, typed by the learner (a watched
    // lesson never starts one: confirming it means typing it). Optional
    // steps are not waited for; the watch must not be disturbed by a second
    // container of the learner's image. A daemon that itself runs in a
    // container may refuse the privileges ("unable to apply caps"): then
    // the failed container is removed, as the learner would.
    let (ran, said) = docker_may_fail(&["run", "-d", "--name", kernel_priv, "--privileged", &tag]);
    if ran {
        let caps = docker(&[
            "exec",
            kernel_priv,
            "sh",
            "-c",
            "cat /proc/sys/kernel/modules_disabled; grep CapEff /proc/self/status",
        ]);
        assert!(caps.contains("CapEff"), "{caps}");
    } else {
        assert!(said.contains("unable to apply caps"), "{said}");
        eprintln!("this daemon refuses --privileged: {said}");
    }
    docker(&["rm", "-f", kernel_priv]);
    watch.stays_open("kernel/remove-kernel-lab").await;
    docker(&["rm", "-f", kernel_lab]);
    let (code, text) = watch.finish().await;
    assert_eq!(code, Some(0), "{text}");
    let steps = watched_steps("kernel");
    ticked_in_order(
        &text,
        "kernel",
        &steps.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert!(text.contains("Lesson kernel is done"), "{text}");
    assert!(text.contains(kernel_lab.as_str()), "{text}");

    // Progress: the learner did the container steps.
    let progress = layerlab::progress::Progress::open(&learner.data.path().join("progress.json"))
        .expect("progress")
        .progress;
    for (lesson, step) in [
        ("disposable", "start-box"),
        ("disposable", "commit"),
        ("kernel", "no-boot"),
        ("kernel", "remove-kernel-lab"),
    ] {
        let record = progress
            .step_record(lesson, step)
            .unwrap_or_else(|| panic!("no record for {lesson}/{step}"));
        assert_eq!(
            record.by,
            layerlab::progress::By::Learner,
            "{lesson}/{step}"
        );
    }
    let leftovers = docker_client
        .list_all_containers()
        .await
        .expect("containers")
        .into_iter()
        .filter(|c| c.name.starts_with(&unique))
        .map(|c| c.name)
        .collect::<Vec<_>>();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
