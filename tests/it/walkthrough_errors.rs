//! Each thing that commonly goes wrong on the way through the homework gets
//! a clear message, and the lesson stays resumable: the progress file keeps
//! the failed step as *started*, not done, and the same `layerlab run LESSON`
//! passes once the cause is fixed.
//!
//! The registry and port cases use a small pack written here (busybox, no
//! build), so they are quick; the Dockerfile cases use the shipped lesson.

use crate::{common, walkthrough};

use std::path::Path;
use std::time::Duration;

use crate::common::proxy::SocketProxy;
use crate::walkthrough::Learner;

/// A pack of small lessons around what can fail. `{base_image}` is the
/// busybox test image; the port test gives the fixed `host_port`.
fn write_pack(dir: &Path, host_port: Option<u16>) {
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "pack.yaml",
        "format_version: 1\ntitle: {ru: Сбои, en: Failures}\nlessons: [port.yaml, slow.yaml, push.yaml]\nassets: assets\n",
    );
    write(
        "assets/slow/Dockerfile",
        // A token of this run in the slow step: the classic builder's cache
        // (shared with every other run on the daemon) would otherwise skip
        // the 8 s and the daemon could not be lost "mid-build".
        &format!(
            "ARG BASE_IMAGE\nFROM ${{BASE_IMAGE}}\nRUN echo {} >/dev/null && sleep 8\nRUN echo built > /built.txt\n",
            common::unique_name("nocache")
        ),
    );
    let title = |id: &str| {
        format!(
            "format_version: 1\nid: {id}\ntitle: {{ru: {id}, en: {id}}}\nsummary: {{ru: {id}, en: {id}}}\nsteps:\n"
        )
    };
    write(
        "port.yaml",
        &format!(
            "{}  - id: serve\n    kind: action\n    action:\n      run:\n        name: fixed\n        image: \"{{base_image}}\"\n        cmd: [sleep, \"60\"]\n        ports: [80]\n{}  - id: serving\n    kind: check\n    check:\n      container_running: {{container: fixed}}\n  - id: remove\n    kind: action\n    action:\n      remove_container: {{container: fixed}}\n",
            title("port"),
            host_port.map_or(String::new(), |p| format!("        host_port: {p}\n"))
        ),
    );
    write(
        "slow.yaml",
        &format!(
            "{}  - id: copy\n    kind: action\n    action:\n      copy_assets: {{from: slow, to: slow}}\n  - id: build\n    kind: action\n    action:\n      build: {{context: slow, tag: \"{{image}}\"}}\n  - id: built\n    kind: check\n    check:\n      image_exists: {{image: \"{{image}}\"}}\n",
            title("slow")
        ),
    );
    write(
        "push.yaml",
        &format!(
            "{}  - id: tag\n    kind: action\n    action:\n      tag: {{source: \"{{base_image}}\", target: \"{{registry}}/walk:1.0\"}}\n  - id: push\n    kind: action\n    confirm: true\n    action:\n      push: {{image: \"{{registry}}/walk:1.0\"}}\n  - id: untag\n    kind: action\n    action:\n      remove_image: {{image: \"{{registry}}/walk:1.0\"}}\n  - id: pull-back\n    kind: action\n    action:\n      pull: {{image: \"{{registry}}/walk:1.0\"}}\n  - id: back\n    kind: check\n    check:\n      image_exists: {{image: \"{{registry}}/walk:1.0\"}}\n",
            title("push")
        ),
    );
}

struct Setup {
    docker: layerlab::docker::Docker,
    pack: tempfile::TempDir,
    busybox: String,
}

async fn setup(host_port: Option<u16>) -> Option<Setup> {
    let docker = common::docker_or_skip().await?;
    let busybox = common::busybox_image(&docker).await;
    let pack = tempfile::tempdir().expect("tempdir");
    write_pack(pack.path(), host_port);
    Some(Setup {
        docker,
        pack,
        busybox,
    })
}

impl Setup {
    fn pack_dir(&self) -> String {
        self.pack.path().display().to_string()
    }
}

/// The failure as the learner saw it, kept in the test log for reviewers.
fn show(failure: &str) {
    eprintln!("learner sees:\n{failure}");
}

fn assert_resumable(learner: &Learner, lesson: &str, step: &str) {
    let (done, started) = learner.progress(lesson);
    assert_eq!(started.as_deref(), Some(step), "{lesson}: started step");
    assert!(
        !done.iter().any(|d| d == step),
        "{lesson}/{step} must not be done: {done:?}"
    );
}

fn assert_finished(learner: &Learner, lesson: &str, step: &str) {
    let (done, started) = learner.progress(lesson);
    assert_eq!(started, None, "{lesson}: nothing stays started");
    assert!(done.iter().any(|d| d == step), "{lesson}/{step}: {done:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_host_port_is_named_with_the_fix_and_a_rerun_passes() {
    // Hold a port as "another program" would.
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = holder.local_addr().expect("addr").port();
    let Some(s) = setup(Some(port)).await else {
        return;
    };
    let learner = Learner::new("port");
    let args = [
        "--lessons",
        &s.pack_dir(),
        "run",
        "port",
        "--base-image",
        &s.busybox,
    ];
    let first = learner.run(&args).await;
    let leftovers = learner.leftover_containers(&s.docker).await;
    learner.remove_leftovers(&s.docker).await;
    assert!(!first.ok(), "{first}");
    let failure = first.failure_of("serve");
    show(&failure);
    assert!(
        failure.contains(&format!("port 127.0.0.1:{port} is already taken")),
        "{first}"
    );
    assert!(
        failure.contains(&format!("ss -ltnp 'sport = :{port}'")),
        "{first}"
    );
    assert!(
        failure.contains("host_port"),
        "the other way out is named: {first}"
    );
    assert!(
        leftovers.is_empty(),
        "the half-created container is removed: {leftovers:?}"
    );
    assert!(first.stdout.contains("layerlab run port"), "{first}");
    assert_resumable(&learner, "port", "serve");

    drop(holder);
    let second = learner.run(&args).await;
    learner.remove_leftovers(&s.docker).await;
    assert!(second.ok(), "{second}");
    assert!(
        second
            .stdout
            .contains(&format!("127.0.0.1:{port} → 80/tcp"))
            || second.stdout.contains("✔ port/serve"),
        "{second}"
    );
    assert_finished(&learner, "port", "remove");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_image_name_is_refused_before_anything_reaches_the_daemon() {
    let learner = Learner::new("badname")
        // No daemon at all here: the message must be about the name.
        .with_env("DOCKER_HOST", "unix:///nonexistent/layerlab-walk.sock");
    let run = learner
        .run(&["run", "dockerfile", "--image", "Bad Name"])
        .await;
    assert!(!run.ok(), "{run}");
    assert!(run.stderr.contains("--image"), "{run}");
    assert!(run.stderr.contains("\"Bad Name\""), "{run}");
    assert!(
        !run.all().contains("nonexistent"),
        "no daemon was asked:\n{run}"
    );
    let registry = learner
        .run(&["run", "push", "--registry", "http://127.0.0.1:5000"])
        .await;
    assert!(
        !registry.ok() && registry.stderr.contains("--registry"),
        "{registry}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_dockerfile_line_is_shown_and_the_fixed_workspace_builds() {
    let Some(docker) = common::docker_or_skip().await else {
        return;
    };
    let Some(base) = walkthrough::standin_base() else {
        return;
    };
    let learner = Learner::new("broken");
    let mut cleanup = common::Cleanup::new();
    cleanup.image(&learner.image);
    cleanup.image(&format!("{}-naive:latest", learner.image_repo()));
    // The learner's copy of the homework, with one line broken.
    // The learner has written the Dockerfile (the reference solution).
    let assets = crate::support::solved_homework();
    let workspace = learner.workspace().join("nginx-alpine");
    copy_dir(&assets, &workspace);
    let dockerfile = workspace.join("Dockerfile");
    let original = std::fs::read_to_string(&dockerfile).expect("Dockerfile");
    let (index, _) = original
        .lines()
        .enumerate()
        .find(|(_, l)| l.starts_with("RUN "))
        .expect("a RUN line");
    let broken_line = "RUN no-such-command --really";
    let broken: Vec<&str> = original
        .lines()
        .enumerate()
        .map(|(i, l)| if i == index { broken_line } else { l })
        .collect();
    std::fs::write(&dockerfile, broken.join("\n") + "\n").expect("write");
    let args = [
        "run",
        "dockerfile",
        "--base-image",
        &base,
        "--image",
        &learner.image,
    ];

    let first = learner.run(&args).await;
    assert!(!first.ok(), "{first}");
    let failure = first.failure_of("build");
    show(&failure);
    assert!(
        failure.contains(&format!("Dockerfile line {}: {broken_line}", index + 1)),
        "the line number and text:\n{first}"
    );
    assert!(
        failure.contains(&format!("fix line {}", index + 1)),
        "{first}"
    );
    assert_resumable(&learner, "dockerfile", "build");
    // copy_assets ran again and kept the learner's (broken) file.
    assert!(
        std::fs::read_to_string(&dockerfile)
            .expect("Dockerfile")
            .contains(broken_line),
        "the workspace copy is kept"
    );

    std::fs::write(&dockerfile, &original).expect("restore");
    let second = learner.run(&args).await;
    learner.remove_leftovers(&docker).await;
    assert!(second.ok(), "{second}");
    assert!(second.stdout.contains("✔ dockerfile/build: "), "{second}");
    assert_finished(&learner, "dockerfile", "build");
    drop(cleanup);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_base_image_that_cannot_be_pulled_suggests_a_mirror_or_load() {
    let Some(docker) = common::docker_or_skip().await else {
        return;
    };
    let learner = Learner::new("nobase");
    let mut cleanup = common::Cleanup::new();
    cleanup.image(&learner.image);
    // Nothing by this name exists locally, and no registry is reachable.
    let missing = format!("{}:1", common::unique_name("layerlab-test/no-such-base"));
    let started = std::time::Instant::now();
    let run = learner
        .run(&[
            "run",
            "dockerfile",
            "--base-image",
            &missing,
            "--image",
            &learner.image,
        ])
        .await;
    let took = started.elapsed();
    learner.remove_leftovers(&docker).await;
    assert!(!run.ok(), "{run}");
    let failure = run.failure_of("build");
    show(&failure);
    assert!(failure.contains(&missing), "names the base:\n{run}");
    assert!(
        failure.contains("mirror.gcr.io/library/alpine:3.22"),
        "{run}"
    );
    assert!(failure.contains("layerlab load"), "{run}");
    assert_resumable(&learner, "dockerfile", "build");
    eprintln!("missing base reported after {took:?}");
    drop(cleanup);
}

/// Credentials for the auth registry written as `docker login` would, in
/// DOCKER_CONFIG/config.json (`auths` with base64 user:password).
fn write_docker_config(dir: &Path, registry: &str, user: &str, password: &str) {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let config = serde_json::json!({ "auths": { registry: { "auth": auth } } });
    std::fs::write(dir.join("config.json"), config.to_string()).expect("config.json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_say_docker_login_and_good_ones_pass() {
    let Some(s) = setup(None).await else { return };
    let Some(registry) =
        walkthrough::env_or_skip("LAYERLAB_TEST_AUTH_REGISTRY", "no auth registry")
    else {
        return;
    };
    let (Some(user), Some(password)) = (
        walkthrough::env_or_skip("LAYERLAB_TEST_AUTH_USER", "no auth registry"),
        walkthrough::env_or_skip("LAYERLAB_TEST_AUTH_PASSWORD", "no auth registry"),
    ) else {
        return;
    };
    let docker_config = tempfile::tempdir().expect("tempdir");
    write_docker_config(docker_config.path(), &registry, &user, "wrong-password");
    let learner = Learner::new("creds")
        .with_env("DOCKER_CONFIG", &docker_config.path().display().to_string());
    let target = format!("{registry}/{}", learner.prefix);
    let mut cleanup = common::Cleanup::new();
    cleanup.image(&format!("{target}/walk:1.0"));
    let args = [
        "--lessons",
        &s.pack_dir(),
        "run",
        "push",
        "--yes",
        "--base-image",
        &s.busybox,
        "--registry",
        &target,
    ];
    let first = learner.run(&args).await;
    assert!(!first.ok(), "{first}");
    let failure = first.failure_of("push");
    show(&failure);
    assert!(
        failure.contains("the registry refused the credentials"),
        "{first}"
    );
    assert!(
        failure.contains(&format!("docker login {registry}")),
        "{first}"
    );
    assert!(
        !first.all().contains(&password),
        "no password in the output"
    );
    assert_resumable(&learner, "push", "push");

    write_docker_config(docker_config.path(), &registry, &user, &password);
    let second = learner.run(&args).await;
    assert!(second.ok(), "{second}");
    assert!(
        !second.all().contains(&password),
        "no password in the output"
    );
    assert_finished(&learner, "push", "back");
    drop(cleanup);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_that_is_down_is_named_and_a_rerun_against_a_live_one_passes() {
    let Some(s) = setup(None).await else { return };
    let Some(live) = walkthrough::test_registry() else {
        return;
    };
    let learner = Learner::new("regdown");
    let down = format!("127.0.0.1:{}", walkthrough::closed_port());
    let mut cleanup = common::Cleanup::new();
    cleanup.image(&format!("{down}/{}/walk:1.0", learner.prefix));
    let live_target = format!("{live}/{}", learner.prefix);
    cleanup.image(&format!("{live_target}/walk:1.0"));
    let args = |registry: &str| {
        vec![
            "--lessons".to_string(),
            s.pack_dir(),
            "run".into(),
            "push".into(),
            "--yes".into(),
            "--base-image".into(),
            s.busybox.clone(),
            "--registry".into(),
            registry.to_string(),
        ]
    };
    let down_args = args(&format!("{down}/{}", learner.prefix));
    let started = std::time::Instant::now();
    let first = learner
        .run(&down_args.iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    let took = started.elapsed();
    assert!(!first.ok(), "{first}");
    let failure = first.failure_of("push");
    show(&failure);
    assert!(
        failure.contains(&format!("registry unreachable: {down}")),
        "{first}"
    );
    assert!(took < Duration::from_secs(60), "bounded: {took:?}");
    assert_resumable(&learner, "push", "push");
    eprintln!("unreachable registry reported after {took:?}");

    let live_args = args(&live_target);
    let second = learner
        .run(&live_args.iter().map(String::as_str).collect::<Vec<_>>())
        .await;
    assert!(second.ok(), "{second}");
    assert_finished(&learner, "push", "back");
    drop(cleanup);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_daemon_mid_build_names_the_endpoint_and_a_rerun_completes() {
    let Some(s) = setup(None).await else { return };
    let sockets = tempfile::tempdir().expect("tempdir");
    let mut proxy = SocketProxy::start(sockets.path());
    let learner = Learner::new("lost").with_env("DOCKER_HOST", &proxy.docker_host());
    let mut cleanup = common::Cleanup::new();
    cleanup.image(&learner.image);
    let args = [
        "--lessons",
        &s.pack_dir(),
        "run",
        "slow",
        "--base-image",
        &s.busybox,
        "--image",
        &learner.image,
    ];
    let child = learner.command(&args).spawn().expect("start layerlab");
    let build_seen =
        tokio::task::block_in_place(|| proxy.wait_for_request("/build?", Duration::from_secs(60)));
    assert!(
        build_seen,
        "the build request went through the proxy: {:?}",
        proxy.requests()
    );
    // The Dockerfile sleeps 8 s: the daemon "dies" in the middle of it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    tokio::task::block_in_place(|| proxy.stop());
    let first = walkthrough::wait_bounded(child).await;
    assert!(!first.ok(), "{first}");
    let failure = first.failure_of("build");
    show(&failure);
    assert!(
        failure.contains("lost the connection to the Docker daemon at")
            && failure.contains(&proxy.docker_host()),
        "names the endpoint:\n{first}"
    );
    assert!(failure.contains("redo the step"), "{first}");
    assert_resumable(&learner, "slow", "build");

    tokio::task::block_in_place(|| proxy.restart());
    let second = learner.run(&args).await;
    assert!(second.ok(), "{second}");
    assert_finished(&learner, "slow", "built");
    assert!(
        s.docker
            .inspect_image(&learner.image)
            .await
            .expect("inspect")
            .is_some(),
        "the image was built"
    );
    drop(cleanup);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read assets") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
