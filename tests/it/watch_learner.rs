//! The learner at the keyboard: `layerlab watch LESSON` runs as one
//! process while the test, as a second one, types only real `docker`
//! commands (its own image name, container names and ports) and edits the
//! workspace files. Each step must turn ✔ by itself; each mistake made on
//! the way (for real) must produce its hint; progress must say the
//! learner did it.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common;
use crate::walkthrough::second_terminal::{Watch, build, docker, free_port};
use crate::walkthrough::{Learner, standin_base};

/// The Dockerfile the learner writes in place of the template's TODO lines:
/// their own layout (no comments), the instructions the lesson teaches.
const LEARNERS_DOCKERFILE: &str = "ARG BASE_IMAGE=alpine:3.22\nFROM ${BASE_IMAGE}\nRUN apk add --no-cache nginx\nCOPY rootfs/ /\nEXPOSE 80\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\n";

/// The watched lessons `dockerfile` and `run`, start to end, by docker
/// commands only, with the mistakes of item 3 that can be made here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lessons_dockerfile_and_run_are_completed_by_typing_docker_commands() {
    let Some(docker_client) = common::docker_or_skip().await else {
        return;
    };
    let Some(base) = standin_base() else {
        return;
    };
    let learner = Learner::new("watch");
    let unique = learner.prefix.clone();
    // A name of the learner's own choosing, not layerlab's default.
    let tag = format!("{unique}/alpng:ng_v1");
    let naive = format!("{unique}/alpng-naive:latest");
    let mut cleanup = common::Cleanup::new();
    cleanup.image(&tag);
    cleanup.image(&naive);

    // --- lesson `dockerfile` ---
    let watch = Watch::start(&learner, &["watch", "dockerfile", "--timeout", "200"]);
    watch.wait_for("✔ dockerfile/copy-assets:").await;
    let workspace = learner.workspace().join("nginx-alpine");
    let page = workspace.join("rootfs/var/www/localhost/htdocs/index.html");
    watch
        .wait_for("! dockerfile/edit-page [page_is_template]:")
        .await;
    let template = std::fs::read_to_string(&page).expect("the page");
    assert!(
        !watch.text().contains("✔ dockerfile/edit-page"),
        "the template counted as edited:\n{}",
        watch.text()
    );
    // The learner's own name in the page: unique, so a parallel test's image
    // on the shared daemon never looks like this learner's. Padded to the
    // same length in every watching test: the watcher tells pages apart by
    // their bytes, not their size.
    let name = format!("{unique:-<60}");
    std::fs::write(&page, template.replace("ВАШЕ ИМЯ / YOUR NAME", &name)).expect("edit the page");
    watch.wait_for("✔ dockerfile/edit-page:").await;

    // Mistake: the naive Dockerfile as the learner's own (two RUNs, no --no-cache).
    let naive_file = workspace.join("Dockerfile.naive");
    let dockerfile = workspace.join("Dockerfile");
    build(&base, &tag, &naive_file, &workspace);
    watch.wait_for("✔ dockerfile/build:").await;
    watch.wait_for("✔ dockerfile/image-exists:").await;
    watch
        .wait_for("! dockerfile/layer-count [too_many_layers]:")
        .await;
    watch
        .wait_for("! dockerfile/layer-count [apk_cache_left]:")
        .await;
    let text = watch.text();
    assert!(
        text.contains("RUN apk update"),
        "which RUNs to merge:\n{text}"
    );
    assert!(
        !text.contains("✔ dockerfile/layer-count"),
        "too many layers passed:\n{text}"
    );
    // The fix: the learner writes their Dockerfile (it was the template).
    std::fs::write(&dockerfile, LEARNERS_DOCKERFILE).expect("write the Dockerfile");
    build(&base, &tag, &dockerfile, &workspace);
    watch.wait_for("✔ dockerfile/layer-count:").await;
    build(&base, &naive, &naive_file, &workspace);
    watch.wait_for("✔ dockerfile/build-naive:").await;
    let (code, text) = watch.finish().await;
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("✔ dockerfile/smaller:"), "{text}");
    assert!(text.contains("Lesson dockerfile is done"), "{text}");

    // Progress: the learner did the build, layerlab copied the template,
    // and the learner's image (their own tag) is remembered.
    let progress_file = learner.data.path().join("progress.json");
    let progress = layerlab::progress::Progress::open(&progress_file)
        .expect("progress")
        .progress;
    let by = |step: &str| {
        progress
            .step_record("dockerfile", step)
            .map(|r| r.by)
            .unwrap_or_else(|| panic!("no record for {step}"))
    };
    assert_eq!(by("build"), layerlab::progress::By::Learner);
    assert_eq!(by("edit-page"), layerlab::progress::By::Learner);
    assert_eq!(by("copy-assets"), layerlab::progress::By::Layerlab);
    let image = progress.learner_image().expect("the learner's image");
    assert_eq!(image.tag.as_deref(), Some(tag.as_str()));
    let info = docker_client.inspect_image(&tag).await.unwrap().unwrap();
    assert_eq!(image.id, info.id, "the fixed build is the learner's image");

    // --- lesson `run` ---
    let web = format!("{unique}-mynginx");
    let web_logs = format!("{unique}-mylogs");
    for name in [&web, &web_logs] {
        cleanup.container(name);
    }
    let watch = Watch::start(&learner, &["watch", "run", "--timeout", "200"]);
    // Mistake: no -p.
    docker(&["run", "-d", "--name", &web, &tag]);
    watch.wait_for("! run/publish-port [no_port]:").await;
    docker(&["rm", "-f", &web]);
    // Mistake: an image whose CMD sends nginx to the background.
    let bad = workspace.join("Dockerfile.bad");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&dockerfile)
            .unwrap()
            .replace(r#"CMD ["nginx", "-g", "daemon off;"]"#, r#"CMD ["nginx"]"#),
    )
    .unwrap();
    build(&base, &tag, &bad, &workspace);
    let port = free_port();
    let publish = format!("127.0.0.1:{port}:80");
    docker(&["run", "-d", "--name", &web, "-p", &publish, &tag]);
    watch
        .wait_for("! run/publish-port [container_exited]:")
        .await;
    // The hint names the CMD and shows the log.
    watch.wait_for("without `daemon off;`").await;
    docker(&["rm", "-f", &web]);
    build(&base, &tag, &dockerfile, &workspace);
    docker(&["run", "-d", "--name", &web, "-p", &publish, &tag]);
    watch.wait_for("✔ run/publish-port:").await;
    watch.wait_for("✔ run/page-is-yours:").await;
    let logs = learner.workspace().join("nginx-logs");
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
    watch.wait_for("✔ run/log-has-request:").await;
    docker(&["rm", "-f", &web]);
    watch.wait_for("✔ run/remove-web:").await;
    docker(&["rm", "-f", &web_logs]);
    let (code, text) = watch.finish().await;
    assert_eq!(code, Some(0), "{text}");
    for step in [
        "web-running",
        "fetch-page",
        "not-default-page",
        "volume-logs",
        "web-gone",
        "log-survives",
    ] {
        assert!(text.contains(&format!("✔ run/{step}:")), "{step}:\n{text}");
    }
    assert!(
        text.contains(&web),
        "the learner's own container name is used:\n{text}"
    );
    assert!(text.contains(&port.to_string()), "and its port:\n{text}");
}

/// The Dockerfile left as the template (TODO lines, no FROM): the hint says
/// it is not written yet, `docker build` of it fails, and the build step
/// does not tick.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritten_dockerfile_gets_its_hint_and_never_ticks_the_build() {
    if common::docker_or_skip().await.is_none() {
        return;
    }
    let Some(base) = standin_base() else {
        return;
    };
    let learner = Learner::new("watchtodo");
    let tag = format!("{}/alpng:todo", learner.prefix);
    let mut cleanup = common::Cleanup::new();
    cleanup.image(&tag);
    let watch = Watch::start(&learner, &["watch", "dockerfile", "--timeout", "20"]);
    watch.wait_for("✔ dockerfile/copy-assets:").await;
    let workspace = learner.workspace().join("nginx-alpine");
    let page = workspace.join("rootfs/var/www/localhost/htdocs/index.html");
    let template = std::fs::read_to_string(&page).expect("the page");
    std::fs::write(
        &page,
        template.replace("ВАШЕ ИМЯ / YOUR NAME", &learner.prefix),
    )
    .expect("edit the page");
    watch.wait_for("✔ dockerfile/edit-page:").await;
    watch
        .wait_for("! dockerfile/build [dockerfile_is_template]:")
        .await;
    assert!(
        watch.text().contains("is still the template"),
        "{}",
        watch.text()
    );
    // The learner builds the untouched template: the engine refuses it.
    let output = std::process::Command::new("docker")
        .args(["build", "-q", "--build-arg"])
        .arg(format!("BASE_IMAGE={base}"))
        .args(["-t", &tag])
        .arg(&workspace)
        .output()
        .expect("the docker CLI");
    assert!(
        !output.status.success(),
        "the template built: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let (code, text) = watch.finish().await;
    assert_eq!(code, Some(1), "{text}");
    assert!(!text.contains("✔ dockerfile/build"), "{text}");
    assert!(text.contains("✘ dockerfile/build"), "{text}");
}

/// Nothing done: `--timeout` ends the watch with exit 1 and lists what is
/// still missing; the template step layerlab does itself still counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_lists_what_is_missing() {
    if common::docker_or_skip().await.is_none() {
        return;
    }
    let learner = Learner::new("watchto");
    let started = Instant::now();
    let watch = Watch::start(&learner, &["watch", "dockerfile", "--timeout", "3"]);
    let (code, text) = watch.finish().await;
    assert_eq!(code, Some(1), "{text}");
    assert!(started.elapsed() < Duration::from_secs(30), "{text}");
    assert!(text.contains("✔ dockerfile/copy-assets:"), "{text}");
    assert!(text.contains("Time is up; still missing:"), "{text}");
    assert!(text.contains("✘ dockerfile/edit-page"), "{text}");
    assert!(text.contains("✘ dockerfile/build"), "{text}");
    assert!(!text.contains("✔ dockerfile/build"), "{text}");
}

/// Lesson `push` watched, against the harness's local registry: the
/// learner tags and pushes with the docker CLI. Mistakes made for real: a
/// new name without the registry (`not_tagged_for_registry`), and an
/// earlier build still in the registry while the image was rebuilt
/// (`registry_differs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lesson_push_is_completed_by_typing_docker_commands() {
    let Some(_daemon) = common::docker_or_skip().await else {
        return;
    };
    let (Some(base), Some(registry)) = (standin_base(), crate::walkthrough::test_registry()) else {
        return;
    };
    let learner = Learner::new("watchpush");
    let unique = learner.prefix.clone();
    let registry = format!("{registry}/{unique}");
    let tag = format!("{unique}/alpng:ng_v1");
    let old = format!("{registry}/old:1");
    // A name of the learner's own under the registry, not the lesson's
    // `nginx-alpine:1.0`: any name there counts, and the later steps use it.
    let pushed = format!("{registry}/mysite:v2");
    let plain = format!("{unique}-nginx-alpine:1.0");
    let web = format!("{unique}-pulled");
    let mut cleanup = common::Cleanup::new();
    // `layerlab run dockerfile` below also builds the naive image.
    let naive = format!("{unique}/alpng-naive:latest");
    for image in [&tag, &old, &pushed, &plain, &naive] {
        cleanup.image(image);
    }
    cleanup.container(&web);
    // The workspace and a first build, as lesson 3 left them; the learner's
    // image name in the settings, as `layerlab` would remember it.
    std::fs::write(
        learner.data.path().join("config.json"),
        serde_json::json!({ "image": tag }).to_string(),
    )
    .unwrap();
    let prepared = learner
        .run(&["run", "dockerfile", "--base-image", &base, "--image", &tag])
        .await;
    assert!(prepared.ok(), "{prepared}");
    // "Do it for me" found the Dockerfile still the template and wrote the
    // reference solution in its place, saying so.
    assert!(
        prepared.stdout.contains(
            "your Dockerfile was still the template, so layerlab wrote the reference solution"
        ),
        "{prepared}"
    );
    let workspace = learner.workspace().join("nginx-alpine");
    let page = workspace.join("rootfs/var/www/localhost/htdocs/index.html");
    // An earlier version is in the registry; then the page changes and the
    // image is rebuilt.
    docker(&["tag", &tag, &old]);
    docker(&["push", &old]);
    let text = std::fs::read_to_string(&page).unwrap();
    // As long as the other watching tests' pages; other bytes.
    let name = format!("{unique:-<60}");
    std::fs::write(&page, text.replace("ВАШЕ ИМЯ / YOUR NAME", &name)).unwrap();
    build(&base, &tag, &workspace.join("Dockerfile"), &workspace);

    let watch = Watch::start(
        &learner,
        &["watch", "push", "--registry", &registry, "--timeout", "200"],
    );
    watch.wait_for("Watching lesson push").await;
    docker(&["tag", &tag, &plain]);
    watch
        .wait_for("! push/tag [not_tagged_for_registry]:")
        .await;
    docker(&["tag", &tag, &pushed]);
    watch.wait_for("✔ push/tag-exists:").await;
    watch.wait_for("! push/push [registry_differs]:").await;
    docker(&["push", &pushed]);
    watch.wait_for("✔ push/push:").await;
    docker(&["rmi", &pushed]);
    watch.wait_for("✔ push/tag-gone:").await;
    docker(&["pull", &pushed]);
    watch.wait_for("✔ push/pulled:").await;
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
    watch.wait_for("✔ push/pulled-page:").await;
    watch.wait_for("✔ push/pushed-matches:").await;
    docker(&["rm", "-f", &web]);
    let (code, text) = watch.finish().await;
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("✔ push/remove-pulled:"), "{text}");
    assert!(text.contains("Lesson push is done"), "{text}");

    // What the learner pushed by hand is what `check` verifies: the watcher
    // recorded the pushed name as "do it for me" would have, so the teacher's
    // criterion is checked against the registry, not skipped.
    // The two written answers are the other half of the homework.
    let mut progress =
        layerlab::progress::Progress::open(&learner.data.path().join("progress.json"))
            .expect("progress")
            .progress;
    for (lesson, key) in [
        ("image-container", "image_vs_container"),
        ("kernel", "kernel_in_container"),
    ] {
        progress
            .save_answer(
                lesson,
                key,
                "В своих словах: образ — шаблон, контейнер — процесс.",
            )
            .expect("save");
    }
    drop(progress);
    let checked = learner.run(&["check", "--accept-base", &base]).await;
    assert!(checked.ok(), "{checked}");
    assert!(
        checked.stdout.contains(&format!("✔ pushed: {pushed}")),
        "{checked}"
    );
}

/// `docker ARGS` with the Docker CLI config in `config` (the learner's own
/// `~/.docker`: what `docker login` writes and layerlab reads); its output
/// and whether it succeeded. A password goes on stdin, never the command line.
fn docker_with_config(
    config: &std::path::Path,
    args: &[&str],
    stdin: Option<&str>,
) -> (bool, String) {
    use std::io::Write;
    let mut child = std::process::Command::new("docker")
        .args(args)
        .env("DOCKER_CONFIG", config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the docker CLI");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    let output = child.wait_with_output().expect("docker");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// `push_refused`, made for real: the learner pushes to a registry that
/// wants a login (the harness's htpasswd one) without `docker login`; the
/// registry refuses, the hint says to log in, and after `docker login` the
/// same push goes through and the step ticks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_without_a_login_is_refused_and_the_hint_says_log_in() {
    let Some(_daemon) = common::docker_or_skip().await else {
        return;
    };
    let (Some(base), Some(auth)) = (standin_base(), crate::support::auth_registry()) else {
        return;
    };
    // The learner's own, empty Docker CLI config: no login stored.
    let config = tempfile::tempdir().expect("tempdir");
    let learner =
        Learner::new("watchlogin").with_env("DOCKER_CONFIG", &config.path().display().to_string());
    let unique = learner.prefix.clone();
    let registry = format!("{}/{unique}", auth.address);
    let tag = format!("{unique}/alpng:ng_v1");
    let pushed = format!("{registry}/nginx-alpine:1.0");
    let naive = format!("{unique}/alpng-naive:latest");
    let mut cleanup = common::Cleanup::new();
    for image in [&tag, &pushed, &naive] {
        cleanup.image(image);
    }
    std::fs::write(
        learner.data.path().join("config.json"),
        serde_json::json!({ "image": tag }).to_string(),
    )
    .unwrap();
    let prepared = learner
        .run(&["run", "dockerfile", "--base-image", &base, "--image", &tag])
        .await;
    assert!(prepared.ok(), "{prepared}");
    docker(&["tag", &tag, &pushed]);

    let watch = Watch::start(
        &learner,
        &["watch", "push", "--registry", &registry, "--timeout", "200"],
    );
    watch.wait_for("Watching lesson push").await;
    watch.wait_for("✔ push/tag-exists:").await;
    let (ok, said) = docker_with_config(config.path(), &["push", &pushed], None);
    assert!(!ok, "the registry took a push without a login: {said}");
    watch.wait_for("! push/push [push_refused]:").await;
    assert!(
        watch
            .text()
            .contains(&format!("no stored login for {}", auth.address)),
        "{}",
        watch.text()
    );
    assert!(!watch.text().contains("✔ push/push:"), "{}", watch.text());
    let (ok, said) = docker_with_config(
        config.path(),
        &["login", "-u", &auth.user, "--password-stdin", &auth.address],
        Some(&auth.password),
    );
    assert!(ok, "docker login: {said}");
    let (ok, said) = docker_with_config(config.path(), &["push", &pushed], None);
    assert!(ok, "the push after docker login: {said}");
    watch.wait_for("✔ push/push:").await;
}
