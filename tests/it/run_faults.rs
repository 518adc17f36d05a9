//! Process faults of the headless `layerlab run` (issue 11, defects 6, 7,
//! 10, 13): two instances on one data dir lose no step; SIGTERM tidies up
//! the run's containers; a closed stdout ends quietly and tidies up; a
//! daemon that stops answering is given up on with a clear message.
//! Each test generates its own small pack (busybox, no base image needed).

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::common::proxy::SocketProxy;
use crate::common::{busybox_image, docker_or_skip};
use crate::walkthrough::{Learner, wait_bounded};

/// A pack with `lessons` (id, steps YAML) in `dir/pack`.
fn write_pack(dir: &Path, lessons: &[(&str, String)]) -> PathBuf {
    let pack = dir.join("pack");
    std::fs::create_dir_all(pack.join("assets")).expect("mkdir");
    let mut manifest = String::from("format_version: 1\ntitle: {ru: Тест, en: Test}\nlessons:\n");
    for (id, steps) in lessons {
        manifest.push_str(&format!("  - {id}.yaml\n"));
        let lesson = format!(
            "format_version: 1\nid: {id}\ntitle: {{ru: Урок {id}, en: Lesson {id}}}\nsummary: {{ru: Тест., en: Test.}}\nsteps:\n{steps}"
        );
        std::fs::write(pack.join(format!("{id}.yaml")), lesson).expect("write lesson");
    }
    manifest.push_str("assets: assets\n");
    std::fs::write(pack.join("pack.yaml"), manifest).expect("write pack");
    pack
}

fn check_steps(prefix: &str, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "  - id: {prefix}-{i}\n    kind: check\n    text: {{ru: Проверка., en: A check.}}\n    check: daemon_reachable\n"
            )
        })
        .collect()
}

/// Start a `box` container (sleeping), then a step that takes a while.
fn box_steps(image: &str, then: &str) -> String {
    format!(
        "  - id: start-box\n    kind: action\n    text: {{ru: Контейнер., en: A container.}}\n    action:\n      run: {{name: box, image: \"{image}\", cmd: [sleep, \"600\"]}}\n  - id: busy\n    kind: action\n    text: {{ru: Работа., en: Work.}}\n    action:\n      exec: {{container: box, command: \"{then}\"}}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_on_one_data_dir_lose_no_step() {
    let Some(_docker) = docker_or_skip().await else {
        return;
    };
    let learner = Learner::new("lock");
    let steps = 60;
    let pack = write_pack(
        learner.data.path(),
        &[
            ("alpha", check_steps("a", steps)),
            ("beta", check_steps("b", steps)),
        ],
    );
    let pack_arg = pack.display().to_string();
    let first = learner
        .command(&["run", "alpha", "--lessons", &pack_arg])
        .spawn()
        .expect("start");
    let second = learner
        .command(&["run", "beta", "--lessons", &pack_arg])
        .spawn()
        .expect("start");
    let (first, second) = tokio::join!(wait_bounded(first), wait_bounded(second));
    assert!(first.ok(), "{first}");
    assert!(second.ok(), "{second}");
    // Whichever came second waited for the first and said so.
    let waited = format!("{}{}", first.stderr, second.stderr);
    let (alpha, _) = learner.progress("alpha");
    let (beta, _) = learner.progress("beta");
    assert_eq!(alpha.len(), steps, "alpha lost steps; {waited}");
    assert_eq!(beta.len(), steps, "beta lost steps; {waited}");
}

/// Read stdout lines until one contains `needle` (bounded); returns them.
async fn read_until(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    needle: &str,
) -> String {
    let mut seen = String::new();
    let found = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = lines.next_line().await {
            seen.push_str(&line);
            seen.push('\n');
            if line.contains(needle) {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(found, "no line with {needle:?}; got:\n{seen}");
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_run_and_removes_its_containers() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let learner = Learner::new("sigterm");
    let pack = write_pack(
        learner.data.path(),
        &[("work", box_steps(&image, "sleep 120"))],
    );
    let mut child = learner
        .command(&["run", "work", "--lessons", &pack.display().to_string()])
        .spawn()
        .expect("start");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    read_until(&mut lines, "✔ work/start-box").await;
    assert_eq!(learner.leftover_containers(&docker).await.len(), 1);
    // Into the next step (`sleep 120` in the box).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pid = child.id().expect("pid").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let mut rest = String::new();
    let status = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = lines.next_line().await {
            rest.push_str(&line);
            rest.push('\n');
        }
        child.wait().await
    })
    .await
    .expect("exits in time")
    .expect("wait");
    let leftovers = learner.leftover_containers(&docker).await;
    learner.remove_leftovers(&docker).await;
    assert!(leftovers.is_empty(), "left running: {leftovers:?}\n{rest}");
    assert_eq!(status.code(), Some(143), "{rest}");
    assert!(rest.contains("stopped (SIGTERM)"), "{rest}");
    // The interrupted step stays started: a rerun redoes it.
    let (done, started) = learner.progress("work");
    assert_eq!(done, vec!["start-box".to_string()]);
    assert_eq!(started.as_deref(), Some("busy"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_ends_quietly_and_tidies_up() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let learner = Learner::new("pipe");
    let pack = write_pack(learner.data.path(), &[("work", box_steps(&image, "true"))]);
    let mut child = learner
        .command(&["run", "work", "--lessons", &pack.display().to_string()])
        .spawn()
        .expect("start");
    // `| head -1`: read the first line, then close the pipe.
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next_line().await.expect("read").expect("a line");
    assert!(first.starts_with("# "), "{first}");
    drop(lines);
    let outcome = wait_bounded(child).await;
    let leftovers = learner.leftover_containers(&docker).await;
    learner.remove_leftovers(&docker).await;
    assert!(!outcome.stderr.contains("panicked"), "{outcome}");
    assert!(outcome.stderr.trim().is_empty(), "quiet: {outcome}");
    assert_eq!(outcome.code, Some(141), "{outcome}");
    assert!(leftovers.is_empty(), "left running: {leftovers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_that_stops_answering_is_given_up_with_a_message() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let proxy = SocketProxy::start(dir.path());
    let learner = Learner::new("hang").with_env("DOCKER_HOST", &proxy.docker_host());
    let pack = write_pack(learner.data.path(), &[("work", box_steps(&image, "true"))]);
    let started = std::time::Instant::now();
    let mut child = learner
        .command(&["run", "work", "--lessons", &pack.display().to_string()])
        .spawn()
        .expect("start");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    read_until(&mut lines, "✔ work/start-box").await;
    // The daemon hangs: every byte held, on open connections too.
    proxy.pause();
    let mut rest = String::new();
    let status = tokio::time::timeout(Duration::from_secs(90), async {
        while let Ok(Some(line)) = lines.next_line().await {
            rest.push_str(&line);
            rest.push('\n');
        }
        child.wait().await
    })
    .await;
    proxy.resume();
    learner.remove_leftovers(&docker).await;
    let status = status
        .expect("gives up instead of waiting forever")
        .expect("wait");
    assert!(!status.success(), "{rest}");
    assert!(rest.contains("stopped answering"), "{rest}");
    assert!(
        rest.contains("layerlab run work"),
        "says how to redo: {rest}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

/// Issue 11, defect 13: `FROM nosuch/image:404` in the learner's Dockerfile
/// was blamed on `--base-image`; the message names the FROM image and line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_from_image_is_named_not_the_base_image() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let base = busybox_image(&docker).await;
    let learner = Learner::new("from404");
    let steps = "  - id: copy\n    kind: action\n    text: {ru: Файлы., en: Files.}\n    action:\n      copy_assets: {from: web, to: web}\n  - id: build\n    kind: action\n    text: {ru: Сборка., en: Build.}\n    action:\n      build: {context: web, tag: \"{image}\"}\n";
    let pack = write_pack(learner.data.path(), &[("from", steps.to_string())]);
    std::fs::create_dir_all(pack.join("assets/web")).expect("mkdir");
    std::fs::write(
        pack.join("assets/web/Dockerfile"),
        "# a comment\nFROM nosuch/image:404\nRUN true\n",
    )
    .expect("write");
    let run = learner
        .run(&[
            "run",
            "from",
            "--lessons",
            &pack.display().to_string(),
            "--base-image",
            &base,
            "--image",
            &learner.image,
        ])
        .await;
    let failure = run.failure_of("build");
    assert!(!run.ok(), "{run}");
    assert!(
        failure.contains("nosuch/image:404") && failure.contains("line 2: FROM"),
        "{run}"
    );
    assert!(!failure.contains("--base-image"), "{run}");
}
