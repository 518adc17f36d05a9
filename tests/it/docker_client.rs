//! The Docker client against the real daemon. The engine has no images and
//! nothing can be pulled, so the tests import their own busybox image.

use crate::common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::common::{Cleanup, TEST_LABEL, busybox_image, docker_or_skip, unique_name};
use assert_cmd::Command;
use futures_util::StreamExt;
use layerlab::docker::{
    BuildSpec, ChangeKind, DockerError, ExecOptions, MANAGED_LABEL, PortRequest, Progress,
    RegistryError, RunSpec, short_id,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

fn sleeper(image: &str, name: &str) -> RunSpec {
    RunSpec {
        image: image.to_string(),
        name: Some(name.to_string()),
        cmd: Some(vec!["sleep".into(), "600".into()]),
        labels: BTreeMap::from([(TEST_LABEL.to_string(), "client".to_string())]),
        ..Default::default()
    }
}

fn layerlab_cmd(data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("layerlab").expect("binary built");
    cmd.env("LAYERLAB_DATA_DIR", data_dir)
        .env("LAYERLAB_REGISTRY", "127.0.0.1:1")
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .timeout(Duration::from_secs(60));
    cmd
}

#[tokio::test]
async fn negotiated_api_is_what_the_engine_speaks() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let info = docker.engine_info().await.expect("info");
    assert!(!info.engine_version.is_empty());
    assert!(!info.storage_driver.is_empty());
    // bollard would speak 1.53; negotiation must lower it to the engine's.
    let as_pair = |v: &str| {
        let (a, b) = v.split_once('.').expect("x.y");
        (
            a.parse::<u32>().expect("major"),
            b.parse::<u32>().expect("minor"),
        )
    };
    let expected = as_pair(&info.server_api_version).min((1, 53));
    assert_eq!(as_pair(docker.api_version()), expected);
    docker.ping().await.expect("ping");
}

#[tokio::test]
async fn missing_image_inspects_as_none_and_bad_refs_are_refused_before_sending() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let missing = docker
        .inspect_image(&format!("{}:nope", unique_name("layerlab-test/absent")))
        .await
        .expect("no error");
    assert!(missing.is_none());
    let err = docker
        .inspect_image("Not/Valid")
        .await
        .expect_err("invalid");
    assert!(matches!(err, DockerError::InvalidReference(_)), "{err:?}");
    assert!(err.to_string().contains("lowercase"), "{err}");
}

#[tokio::test]
async fn busybox_image_is_labelled_and_has_one_layer() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let info = docker
        .inspect_image(&image)
        .await
        .expect("ok")
        .expect("exists");
    assert!(info.is_managed());
    assert_eq!(
        info.labels.get(TEST_LABEL).map(String::as_str),
        Some("busybox")
    );
    assert_eq!(info.layers.len(), 1);
    assert!(info.repo_tags.contains(&image));
    assert!(!info.history.is_empty());
    assert_eq!(info.os, "linux");
}

#[tokio::test]
async fn import_rootfs_makes_a_labelled_one_layer_image() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let mut cleanup = Cleanup::new();
    let tag = format!("{}:1", unique_name("layerlab-test/imported"));
    let id = docker
        .import_rootfs(
            common::busybox_rootfs_stream(),
            &tag,
            &BTreeMap::from([(TEST_LABEL.to_string(), "import".to_string())]),
            &[r#"CMD ["sh"]"#.to_string()],
        )
        .await
        .expect("import");
    cleanup.image(&tag);
    let info = docker
        .inspect_image(&tag)
        .await
        .expect("ok")
        .expect("exists");
    assert_eq!(info.id, id);
    assert_eq!(info.layers.len(), 1);
    assert!(info.is_managed());
    assert_eq!(
        info.labels.get(TEST_LABEL).map(String::as_str),
        Some("import")
    );
    let c = docker
        .run_container(&sleeper(&tag, &unique_name("layerlab-test-imported")))
        .await
        .expect("runs");
    cleanup.container(&c.id);
    let out = docker
        .exec(&c.id, "cat /etc/motd", &CancellationToken::new())
        .await
        .expect("exec");
    assert_eq!(out.stdout, "welcome\n");
}

#[tokio::test]
async fn exec_changes_commit_stop_start_remove() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let mut cleanup = Cleanup::new();
    let name = unique_name("layerlab-test-life");
    let container = docker
        .run_container(&sleeper(&image, &name))
        .await
        .expect("runs");
    cleanup.container(&container.id);
    assert_eq!(container.name, name);
    let cancel = CancellationToken::new();

    let out = docker
        .exec(
            &container.id,
            "echo new > /data/new.txt && echo changed >> /etc/motd && rm /data/old.txt && echo done && echo warn >&2",
            &cancel,
        )
        .await
        .expect("exec");
    assert_eq!(out.exit_code, 0, "{out:?}");
    assert_eq!(out.stdout, "done\n");
    assert_eq!(out.stderr, "warn\n");
    let failing = docker
        .exec(&container.id, "exit 3", &cancel)
        .await
        .expect("exec");
    assert_eq!(failing.exit_code, 3);

    let changes = docker.container_changes(&container.id).await.expect("diff");
    let kind_of = |path: &str| changes.iter().find(|c| c.path == path).map(|c| c.kind);
    assert_eq!(
        kind_of("/data/new.txt"),
        Some(ChangeKind::Added),
        "{changes:?}"
    );
    assert_eq!(
        kind_of("/etc/motd"),
        Some(ChangeKind::Changed),
        "{changes:?}"
    );
    assert_eq!(
        kind_of("/data/old.txt"),
        Some(ChangeKind::Deleted),
        "{changes:?}"
    );

    let details = docker
        .inspect_container(&container.id)
        .await
        .expect("inspect");
    assert!(details.state.running);
    assert_eq!(
        details.labels.get(MANAGED_LABEL).map(String::as_str),
        Some("true")
    );
    let base = docker
        .inspect_image(&image)
        .await
        .expect("ok")
        .expect("exists");
    assert_eq!(details.image_id, base.id);
    let driver = details.graph_driver.expect("graph driver data");
    assert!(!driver.name.is_empty());
    // The containerd image store names its snapshotter ("overlayfs") but
    // shows no directories (the lab reads the changes through the API there):
    // only the classic store's overlay driver promises them.
    let classic = crate::common::engine::engine_kind(&docker).await
        == crate::common::engine::EngineKind::Classic;
    if classic && driver.name.contains("overlay") {
        assert!(driver.upper_dir().is_some(), "{driver:?}");
        assert!(driver.merged_dir().is_some(), "{driver:?}");
        assert!(!driver.lower_dirs().is_empty(), "{driver:?}");
    }

    // Commit: the image grows by exactly one layer and is labelled.
    let committed_ref = format!("{}:1", unique_name("layerlab-test/committed"));
    let committed_id = docker
        .commit_container(
            &container.id,
            Some(&committed_ref),
            &BTreeMap::from([(TEST_LABEL.to_string(), "commit".to_string())]),
        )
        .await
        .expect("commit");
    cleanup.image(&committed_ref);
    let committed = docker
        .inspect_image(&committed_ref)
        .await
        .expect("ok")
        .expect("exists");
    assert_eq!(committed.id, committed_id);
    assert_eq!(committed.layers.len(), base.layers.len() + 1);
    assert_eq!(committed.layers[..base.layers.len()], base.layers[..]);
    assert!(committed.is_managed());
    assert_eq!(
        committed.labels.get(TEST_LABEL).map(String::as_str),
        Some("commit")
    );

    // Stop and start: the writable layer survives.
    docker
        .stop_container(&container.id, Duration::from_secs(1))
        .await
        .expect("stop");
    let stopped = docker
        .inspect_container(&container.id)
        .await
        .expect("inspect");
    assert!(!stopped.state.running);
    assert_eq!(stopped.state.status, "exited");
    docker.start_container(&container.id).await.expect("start");
    let out = docker
        .exec(
            &container.id,
            "cat /data/new.txt; test -e /data/old.txt || echo gone",
            &cancel,
        )
        .await
        .expect("exec");
    assert_eq!(out.stdout, "new\ngone\n");

    // docker cp: the file comes back as a tar stream.
    let mut tar_bytes = Vec::new();
    let mut stream = docker.download_from_container(&container.id, "/data/new.txt");
    while let Some(chunk) = stream.next().await {
        tar_bytes.extend_from_slice(&chunk.expect("chunk"));
    }
    let mut archive = tar::Archive::new(tar_bytes.as_slice());
    let mut entries = archive.entries().expect("tar");
    let mut entry = entries.next().expect("one entry").expect("entry");
    assert_eq!(entry.path().expect("path").to_string_lossy(), "new.txt");
    let mut content = String::new();
    std::io::Read::read_to_string(&mut entry, &mut content).expect("read");
    assert_eq!(content, "new\n");

    docker
        .remove_container(&container.id)
        .await
        .expect("remove");
    let gone = docker
        .inspect_container(&container.id)
        .await
        .expect_err("gone");
    assert!(
        matches!(gone, DockerError::ContainerNotFound { .. }),
        "{gone:?}"
    );
    let again = docker
        .exec(&container.id, "true", &cancel)
        .await
        .expect_err("gone");
    assert!(
        matches!(again, DockerError::ContainerNotFound { .. }),
        "{again:?}"
    );
}

#[tokio::test]
async fn binds_env_and_relative_paths() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let mut cleanup = Cleanup::new();
    let host_dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(host_dir.path().join("page.html"), "from the host\n").expect("write");
    let spec = RunSpec {
        binds: vec![(host_dir.path().to_path_buf(), "/site".to_string())],
        env: BTreeMap::from([("GREETING".to_string(), "privet mir".to_string())]),
        ..sleeper(&image, &unique_name("layerlab-test-bind"))
    };
    let c = docker.run_container(&spec).await.expect("runs");
    cleanup.container(&c.id);
    let out = docker
        .exec(
            &c.id,
            "cat /site/page.html; echo \"$GREETING\"",
            &CancellationToken::new(),
        )
        .await
        .expect("exec");
    assert_eq!(out.stdout, "from the host\nprivet mir\n");

    let relative = RunSpec {
        binds: vec![("site".into(), "/site".to_string())],
        ..sleeper(&image, &unique_name("layerlab-test-relative"))
    };
    let err = docker.run_container(&relative).await.expect_err("refused");
    assert!(matches!(err, DockerError::InvalidInput(_)), "{err:?}");
    assert!(err.to_string().contains("absolute"), "{err}");
}

#[tokio::test]
async fn exec_output_is_capped_and_exec_is_cancellable() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let mut cleanup = Cleanup::new();
    let c = docker
        .run_container(&sleeper(&image, &unique_name("layerlab-test-exec")))
        .await
        .expect("runs");
    cleanup.container(&c.id);
    let cancel = CancellationToken::new();
    let options = ExecOptions {
        max_output: 1000,
        ..Default::default()
    };
    let out = docker
        .exec_with(&c.id, "yes | head -c 50000", &options, &cancel)
        .await
        .expect("exec");
    assert_eq!(out.stdout.len(), 1000);
    assert!(out.truncated);
    assert_eq!(out.exit_code, 0);

    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let err = docker
        .exec(&c.id, "sleep 30", &cancel)
        .await
        .expect_err("cancelled");
    assert!(err.is_cancelled(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));

    let timeout = ExecOptions {
        timeout: Some(Duration::from_millis(300)),
        ..Default::default()
    };
    let err = docker
        .exec_with(&c.id, "sleep 30", &timeout, &CancellationToken::new())
        .await
        .expect_err("times out");
    assert!(matches!(err, DockerError::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn ports_publish_on_loopback_and_a_taken_port_is_a_clear_error() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let mut cleanup = Cleanup::new();
    let web = RunSpec {
        image: image.clone(),
        name: Some(unique_name("layerlab-test-web")),
        cmd: Some(vec![
            "httpd".into(),
            "-f".into(),
            "-p".into(),
            "8080".into(),
            "-h".into(),
            "/www".into(),
        ]),
        ports: vec![PortRequest::any_free(8080)],
        ..Default::default()
    };
    let c = docker.run_container(&web).await.expect("runs");
    cleanup.container(&c.id);
    let host_port = c.host_port(8080).expect("published");
    assert!(host_port > 0);
    let page = docker
        .http_get(host_port, "/index.html", Duration::from_secs(15))
        .await
        .expect("served");
    assert_eq!(page.status, 200);
    assert_eq!(page.body_text(), "<h1>layerlab test page</h1>\n");
    let missing = docker
        .http_get(host_port, "/nope.html", Duration::from_secs(5))
        .await
        .expect("answered");
    assert_eq!(missing.status, 404);

    // The same host port again: refused, with the port named, and nothing left behind.
    let clash_name = unique_name("layerlab-test-clash");
    let clash = RunSpec {
        name: Some(clash_name.clone()),
        ports: vec![PortRequest {
            container: 8080,
            host: Some(host_port),
        }],
        ..web.clone()
    };
    let err = docker.run_container(&clash).await.expect_err("port taken");
    assert!(
        matches!(err, DockerError::PortAllocated { port: Some(p), .. } if p == host_port),
        "{err:?}"
    );
    assert!(err.to_string().contains(&host_port.to_string()));
    let leftovers = docker.list_managed_containers().await.expect("list");
    assert!(
        !leftovers.iter().any(|c| c.name == clash_name),
        "the failed container was removed"
    );
}

#[tokio::test]
async fn events_report_what_happens_to_a_container() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let mut cleanup = Cleanup::new();
    let c = docker
        .run_container(&sleeper(&image, &unique_name("layerlab-test-events")))
        .await
        .expect("runs");
    cleanup.container(&c.id);
    let mut events = docker.container_events(&c.id);
    // Give the subscription a moment to be registered by the daemon.
    tokio::time::sleep(Duration::from_millis(200)).await;
    docker
        .stop_container(&c.id, Duration::from_secs(1))
        .await
        .expect("stop");
    let mut actions = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !actions.iter().any(|a: &String| a == "die") {
        match tokio::time::timeout_at(deadline, events.next()).await {
            Ok(Some(Ok(event))) => {
                assert_eq!(event.actor_id, c.id);
                assert_eq!(event.kind, "container");
                actions.push(event.action);
            }
            Ok(Some(Err(e))) => panic!("event stream failed: {e}"),
            Ok(None) => panic!("event stream ended"),
            Err(_) => panic!("no die event within 10 s, saw {actions:?}"),
        }
    }
}

fn write_context(dir: &std::path::Path, dockerfile: &str) {
    std::fs::write(dir.join("Dockerfile"), dockerfile).expect("write");
    std::fs::write(dir.join("index.html"), "<h1>built</h1>\n").expect("write");
    std::fs::write(dir.join("secret.txt"), "do not send").expect("write");
    std::fs::write(dir.join(".dockerignore"), "secret.txt\n").expect("write");
}

#[tokio::test]
async fn build_streams_steps_labels_the_image_and_honours_dockerignore() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let mut cleanup = Cleanup::new();
    let ctx = tempfile::tempdir().expect("tempdir");
    write_context(
        ctx.path(),
        &format!(
            "FROM {image}\n# a comment\nRUN echo built > /built.txt\nCOPY . /ctx/\nCMD [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/ctx\"]\n"
        ),
    );
    let tag = format!("{}:1", unique_name("layerlab-test/built"));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let spec = BuildSpec {
        context_dir: ctx.path().to_path_buf(),
        tag: tag.clone(),
        lesson: Some("02-build".into()),
        labels: BTreeMap::from([(TEST_LABEL.to_string(), "build".to_string())]),
        ..Default::default()
    };
    let built = docker
        .build_image(&spec, &tx, &CancellationToken::new())
        .await
        .unwrap_or_else(|e| panic!("build: {e}"));
    cleanup.image(&tag);
    drop(tx);
    let mut steps = Vec::new();
    let mut log = Vec::new();
    while let Some(p) = rx.recv().await {
        match p {
            Progress::BuildStep { number, total, .. } => steps.push((number, total)),
            Progress::BuildLog(line) => log.push(line),
            _ => {}
        }
    }
    // FROM, RUN, COPY, CMD and the LABEL the builder appends for our labels.
    let total = steps.first().map(|s| s.1).expect("steps reported");
    assert!(total >= 4, "{steps:?}");
    assert_eq!(
        steps.iter().map(|s| s.0).collect::<Vec<_>>(),
        (1..=total).collect::<Vec<_>>()
    );
    assert!(log.iter().any(|l| l.starts_with("Step 2/")), "{log:?}");
    assert_eq!(built.tag, tag);
    let info = docker
        .inspect_image(&tag)
        .await
        .expect("ok")
        .expect("exists");
    assert_eq!(info.id, built.id);
    assert!(info.is_managed());
    assert_eq!(
        info.labels.get("layerlab.lesson").map(String::as_str),
        Some("02-build")
    );

    let c = docker
        .run_container(&sleeper(&tag, &unique_name("layerlab-test-built")))
        .await
        .expect("runs");
    cleanup.container(&c.id);
    let out = docker
        .exec(
            &c.id,
            "cat /built.txt /ctx/index.html; test -e /ctx/secret.txt && echo LEAKED; ls /ctx",
            &CancellationToken::new(),
        )
        .await
        .expect("exec");
    assert!(out.stdout.starts_with("built\n<h1>built</h1>\n"), "{out:?}");
    assert!(!out.stdout.contains("LEAKED"), "{out:?}");
    assert!(
        out.stdout.contains("Dockerfile"),
        "the Dockerfile is always sent: {out:?}"
    );
}

#[tokio::test]
async fn a_failing_build_names_the_step_and_the_dockerfile_line() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let ctx = tempfile::tempdir().expect("tempdir");
    // The step before the failure is committed as a cache image; the marker
    // lets this test find and remove exactly that one afterwards.
    let marker = unique_name("fine");
    write_context(
        ctx.path(),
        &format!(
            "FROM {image}\n\nRUN echo {marker}\n# next one fails\nRUN echo failing && exit 7\nCOPY index.html /\n"
        ),
    );
    let tag = format!("{}:1", unique_name("layerlab-test/broken"));
    let (tx, _rx) = mpsc::unbounded_channel();
    let spec = BuildSpec {
        context_dir: ctx.path().to_path_buf(),
        tag: tag.clone(),
        ..Default::default()
    };
    let err = docker
        .build_image(&spec, &tx, &CancellationToken::new())
        .await
        .expect_err("fails");
    match &err {
        DockerError::Build {
            message,
            step: Some(step),
        } => {
            assert_eq!(step.number, 3);
            assert_eq!(step.line, Some(5));
            assert!(step.instruction.contains("exit 7"), "{step:?}");
            assert!(message.contains("non-zero code: 7"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("Dockerfile line 5"), "{err}");
    assert!(docker.inspect_image(&tag).await.expect("ok").is_none());
    let mut cache_images = 0;
    for candidate in docker
        .list_images_labelled(&[(TEST_LABEL, "busybox")])
        .await
        .expect("list")
        .into_iter()
        .filter(|i| i.repo_tags.is_empty())
    {
        let Ok(Some(info)) = docker.inspect_image(&candidate.id).await else {
            continue;
        };
        if info
            .history
            .first()
            .is_some_and(|h| h.created_by.contains(&marker))
        {
            docker
                .remove_image(&candidate.id, false)
                .await
                .expect("remove cache image");
            cache_images += 1;
        }
    }
    assert_eq!(
        cache_images, 1,
        "the successful step before the failure was cached"
    );

    // A parse error comes back before any step, with its line.
    std::fs::write(
        ctx.path().join("Dockerfile"),
        format!("FROM {image}\nFORM x\n"),
    )
    .expect("w");
    let err = docker
        .build_image(&spec, &tx, &CancellationToken::new())
        .await
        .expect_err("parse error");
    match &err {
        DockerError::Build { step, message } => {
            assert_eq!(step.as_ref().and_then(|s| s.line), Some(2), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }

    // A base image that is not here and whose registry does not answer.
    std::fs::write(
        ctx.path().join("Dockerfile"),
        "FROM 127.0.0.1:1/layerlab-test/absent:1\nRUN true\n",
    )
    .expect("w");
    let err = docker
        .build_image(&spec, &tx, &CancellationToken::new())
        .await
        .expect_err("no base image");
    match &err {
        DockerError::Build {
            step: Some(step), ..
        } => {
            assert_eq!((step.number, step.line), (1, Some(1)));
        }
        other => panic!("unexpected {other:?}"),
    }
    let fix = err.fix(layerlab::i18n::Lang::En).expect("fix");
    assert!(
        fix.contains("base image 127.0.0.1:1/layerlab-test/absent:1"),
        "{fix}"
    );

    let bad_tag = BuildSpec {
        tag: "Bad Tag".into(),
        ..spec
    };
    let err = docker
        .build_image(&bad_tag, &tx, &CancellationToken::new())
        .await
        .expect_err("bad tag");
    assert!(matches!(err, DockerError::InvalidReference(_)), "{err:?}");
}

#[tokio::test]
async fn clean_removes_only_managed_things_and_is_idempotent() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    // A label of our own scopes this clean to this test: the daemon is shared
    // with other tests (and developers) whose managed things must survive.
    let scope = unique_name("clean");
    let scoped = [(TEST_LABEL, scope.as_str())];
    let scope_labels = BTreeMap::from([(TEST_LABEL.to_string(), scope.clone())]);
    let mut cleanup = Cleanup::new();

    let managed = docker
        .run_container(&RunSpec {
            labels: scope_labels.clone(),
            ..sleeper(&image, &unique_name("layerlab-test-managed"))
        })
        .await
        .expect("runs");
    cleanup.container(&managed.id);

    // Same scope label but NOT managed: created with bollard directly since
    // our client always labels.
    let raw = bollard::Docker::connect_with_local_defaults()
        .expect("socket")
        .negotiate_version()
        .await
        .expect("version");
    let unmanaged_name = unique_name("layerlab-test-unmanaged");
    let unmanaged = raw
        .create_container(
            Some(bollard::query_parameters::CreateContainerOptions {
                name: Some(unmanaged_name.clone()),
                ..Default::default()
            }),
            bollard::models::ContainerCreateBody {
                image: Some(image.clone()),
                cmd: Some(vec!["sleep".into(), "600".into()]),
                labels: Some(std::collections::HashMap::from([
                    (TEST_LABEL.to_string(), scope.clone()),
                    (MANAGED_LABEL.to_string(), "false".to_string()),
                ])),
                ..Default::default()
            },
        )
        .await
        .expect("create");
    cleanup.container(&unmanaged.id);

    let managed_image = format!("{}:1", unique_name("layerlab-test/clean-managed"));
    docker
        .commit_container(&managed.id, Some(&managed_image), &scope_labels)
        .await
        .expect("commit");
    cleanup.image(&managed_image);
    // An image of the same scope explicitly not managed.
    let unmanaged_image = format!("{}:1", unique_name("layerlab-test/clean-unmanaged"));
    raw.commit_container(
        bollard::query_parameters::CommitContainerOptions {
            container: Some(managed.id.clone()),
            repo: Some(unmanaged_image.trim_end_matches(":1").to_string()),
            tag: Some("1".into()),
            changes: Some(format!("LABEL {TEST_LABEL}={scope} {MANAGED_LABEL}=false")),
            pause: true,
            ..Default::default()
        },
        bollard::models::ContainerConfig::default(),
    )
    .await
    .expect("commit unmanaged");
    cleanup.image(&unmanaged_image);

    let report = docker.clean_managed(&scoped).await.expect("clean");
    assert_eq!(
        report.containers,
        vec![(short_id(&managed.id), managed.name.clone())]
    );
    assert_eq!(report.images.len(), 1, "{report:?}");
    assert_eq!(report.images[0].1, vec![managed_image.clone()]);
    assert!(report.kept.is_empty(), "{report:?}");

    assert!(matches!(
        docker.inspect_container(&managed.id).await,
        Err(DockerError::ContainerNotFound { .. })
    ));
    assert!(
        docker
            .inspect_image(&managed_image)
            .await
            .expect("ok")
            .is_none()
    );
    // Untouched: the unmanaged container and image, and the shared base.
    let survivor = docker
        .inspect_container(&unmanaged.id)
        .await
        .expect("survives");
    assert_eq!(survivor.name, unmanaged_name);
    assert!(
        docker
            .inspect_image(&unmanaged_image)
            .await
            .expect("ok")
            .is_some()
    );
    assert!(docker.inspect_image(&image).await.expect("ok").is_some());

    let second = docker.clean_managed(&scoped).await.expect("clean again");
    assert!(second.containers.is_empty() && second.images.is_empty() && second.kept.is_empty());

    docker
        .remove_container(&unmanaged.id)
        .await
        .expect("remove ours");
    docker
        .remove_image(&unmanaged_image, false)
        .await
        .expect("remove ours");
}

#[tokio::test]
async fn save_then_load_round_trips_through_the_cli() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let mut cleanup = Cleanup::new();
    let c = docker
        .run_container(&sleeper(&image, &unique_name("layerlab-test-save")))
        .await
        .expect("runs");
    cleanup.container(&c.id);
    docker
        .exec(&c.id, "echo saved > /saved.txt", &CancellationToken::new())
        .await
        .expect("exec");
    let tag = format!("{}:1", unique_name("layerlab-test/saved"));
    let id = docker
        .commit_container(&c.id, Some(&tag), &BTreeMap::new())
        .await
        .expect("commit");
    cleanup.image(&tag);

    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("saved.tar");
    let mut bytes = Vec::new();
    let mut stream = docker.export_image(&tag);
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.expect("chunk"));
    }
    std::fs::write(&archive, &bytes).expect("write archive");
    // It is a docker save tarball: manifest.json names our tag.
    let mut found_manifest = false;
    for entry in tar::Archive::new(bytes.as_slice()).entries().expect("tar") {
        let mut entry = entry.expect("entry");
        if entry.path().expect("path").to_string_lossy() == "manifest.json" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).expect("read");
            assert!(text.contains(&tag), "{text}");
            found_manifest = true;
        }
    }
    assert!(found_manifest);

    docker
        .remove_container(&c.id)
        .await
        .expect("remove container");
    docker
        .remove_image(&tag, false)
        .await
        .expect("remove image");
    assert!(docker.inspect_image(&tag).await.expect("ok").is_none());

    let data = tempfile::tempdir().expect("data dir");
    let output = layerlab_cmd(data.path())
        .arg("load")
        .arg(&archive)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(stdout.contains(&tag), "{stdout}");
    assert!(stderr.contains("saved.tar: 100%"), "{stderr}");
    let loaded = docker
        .inspect_image(&tag)
        .await
        .expect("ok")
        .expect("loaded");
    assert_eq!(loaded.id, id);

    // A file that is not an archive: refused, naming the file.
    let junk = dir.path().join("junk.tar");
    std::fs::write(&junk, b"this is not a tarball").expect("write");
    let (tx, _rx) = mpsc::unbounded_channel();
    let err = docker
        .load_image(&junk, &tx, &CancellationToken::new())
        .await
        .expect_err("junk");
    assert!(matches!(err, DockerError::Archive { .. }), "{err:?}");
    assert!(err.to_string().contains("junk.tar"), "{err}");
}

#[tokio::test]
async fn doctor_with_a_daemon_reports_engine_and_base_image() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let info = docker.engine_info().await.expect("info");
    let data = tempfile::tempdir().expect("data dir");
    let output = layerlab_cmd(data.path())
        .args(["--base-image", &image, "doctor"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "✔ Docker Engine: {}, API {}",
            info.engine_version,
            docker.api_version()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("✔ Base image {image}: present")),
        "{stdout}"
    );
    assert!(stdout.contains(&info.storage_driver), "{stdout}");
    // LAYERLAB_REGISTRY points at a closed port: a warning, not a failure.
    assert!(
        stdout.contains("! Registry: 127.0.0.1:1 not reachable"),
        "{stdout}"
    );

    let output = layerlab_cmd(data.path())
        .args([
            "--lang",
            "ru",
            "--base-image",
            "layerlab-test/absent:0",
            "doctor",
        ])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("! Базовый образ layerlab-test/absent:0: нет в Docker Engine"),
        "{stdout}"
    );
    assert!(stdout.contains("layerlab load"), "{stdout}");
}

#[tokio::test]
async fn pull_from_an_unreachable_registry_is_a_registry_error() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let (tx, _rx) = mpsc::unbounded_channel();
    let started = Instant::now();
    let err = docker
        .pull_image(
            "127.0.0.1:1/layerlab/nothing:1",
            None,
            &tx,
            &CancellationToken::new(),
        )
        .await
        .expect_err("nothing listens there");
    assert!(
        matches!(
            err,
            DockerError::Registry(RegistryError::Unreachable { .. })
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
}

#[tokio::test]
async fn push_of_a_missing_local_image_says_so() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let (tx, _rx) = mpsc::unbounded_channel();
    let reference = format!("127.0.0.1:1/{}:1", unique_name("layerlab-test/never-built"));
    let err = docker
        .push_image(&reference, None, &tx, &CancellationToken::new())
        .await
        .expect_err("no such image");
    assert!(matches!(err, DockerError::ImageNotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn push_and_pull_through_a_local_registry() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let registry = match std::env::var("LAYERLAB_TEST_REGISTRY") {
        Ok(r) if !r.trim().is_empty() => r,
        _ => {
            common::missing(
                "no test registry",
                "LAYERLAB_TEST_REGISTRY (host:port of a docker-registry on 127.0.0.1) is not set",
            );
            return;
        }
    };
    let image = busybox_image(&docker).await;
    let mut cleanup = Cleanup::new();
    let c = docker
        .run_container(&sleeper(&image, &unique_name("layerlab-test-push")))
        .await
        .expect("runs");
    cleanup.container(&c.id);
    docker
        .exec(
            &c.id,
            "echo pushed > /pushed.txt",
            &CancellationToken::new(),
        )
        .await
        .expect("exec");
    let local = format!("{}:1", unique_name("layerlab-test/push-src"));
    let id = docker
        .commit_container(&c.id, Some(&local), &BTreeMap::new())
        .await
        .expect("commit");
    cleanup.image(&local);
    let remote = format!("{registry}/{}:v1", unique_name("layerlab-test/pushed"));
    docker.tag_image(&local, &remote).await.expect("tag");
    cleanup.image(&remote);

    let (tx, mut rx) = mpsc::unbounded_channel();
    let pushed = docker
        .push_image(&remote, None, &tx, &CancellationToken::new())
        .await
        .unwrap_or_else(|e| panic!("push: {e}"));
    drop(tx);
    let digest = pushed.digest.expect("digest reported");
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    let mut layer_ids = std::collections::BTreeSet::new();
    while let Some(p) = rx.recv().await {
        if let Progress::Layer { id, .. } = p {
            layer_ids.insert(id);
        }
    }
    // Two layers (busybox + the commit), each reported by id.
    assert_eq!(layer_ids.len(), 2, "{layer_ids:?}");

    docker.remove_image(&remote, false).await.expect("untag");
    assert!(docker.inspect_image(&remote).await.expect("ok").is_none());
    let (tx, _rx) = mpsc::unbounded_channel();
    docker
        .pull_image(&remote, None, &tx, &CancellationToken::new())
        .await
        .unwrap_or_else(|e| panic!("pull: {e}"));
    let pulled = docker
        .inspect_image(&remote)
        .await
        .expect("ok")
        .expect("pulled");
    assert_eq!(pulled.id, id);
    assert!(
        pulled.repo_digests.iter().any(|d| d.ends_with(&digest)),
        "{pulled:?}"
    );

    // A tag that was never pushed: not found, in the registry's words.
    let absent = format!("{registry}/{}:v1", unique_name("layerlab-test/absent"));
    let (tx, _rx) = mpsc::unbounded_channel();
    let err = docker
        .pull_image(&absent, None, &tx, &CancellationToken::new())
        .await
        .expect_err("absent");
    assert!(
        matches!(err, DockerError::Registry(RegistryError::NotFound { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn push_with_wrong_credentials_is_unauthorized() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let (Ok(registry), Ok(user), Ok(password)) = (
        std::env::var("LAYERLAB_TEST_AUTH_REGISTRY"),
        std::env::var("LAYERLAB_TEST_AUTH_USER"),
        std::env::var("LAYERLAB_TEST_AUTH_PASSWORD"),
    ) else {
        common::missing(
            "no auth test registry",
            "LAYERLAB_TEST_AUTH_REGISTRY/_USER/_PASSWORD are not set",
        );
        return;
    };
    let image = busybox_image(&docker).await;
    let mut cleanup = Cleanup::new();
    let remote = format!("{registry}/{}:v1", unique_name("layerlab-test/auth"));
    docker.tag_image(&image, &remote).await.expect("tag");
    cleanup.image(&remote);
    let (tx, _rx) = mpsc::unbounded_channel();
    let wrong = layerlab::docker::Credentials::password(&user, format!("{password}-wrong"));
    let err = docker
        .push_image(&remote, Some(&wrong), &tx, &CancellationToken::new())
        .await
        .expect_err("refused");
    assert!(
        matches!(
            err,
            DockerError::Registry(RegistryError::Unauthorized { .. })
        ),
        "{err:?}"
    );
    assert!(
        !err.to_string().contains(&password),
        "no secret in the message"
    );
    let right = layerlab::docker::Credentials::password(&user, &password);
    docker
        .push_image(&remote, Some(&right), &tx, &CancellationToken::new())
        .await
        .unwrap_or_else(|e| panic!("push with the right password: {e}"));
}

// ---- the CLI without a daemon: no Docker needed ----

fn assert_names_missing_socket(output: &std::process::Output, took: Duration) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!output.status.success(), "{text}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(text.contains("unix:///nonexistent.sock"), "{text}");
    assert!(text.contains("No such file or directory"), "{text}");
    assert!(text.contains("check DOCKER_HOST"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
}

#[test]
fn doctor_on_a_missing_socket_fails_fast_with_the_fix() {
    let data = tempfile::tempdir().expect("data dir");
    let started = Instant::now();
    let output = layerlab_cmd(data.path())
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .arg("doctor")
        .output()
        .expect("runs");
    assert_names_missing_socket(&output, started.elapsed());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("✔ Docker endpoint: unix:///nonexistent.sock (DOCKER_HOST)"),
        "{stdout}"
    );
    assert!(stdout.contains("✘ Docker Engine"), "{stdout}");
}

#[test]
fn clean_and_load_on_a_missing_socket_fail_with_the_fix() {
    let data = tempfile::tempdir().expect("data dir");
    let started = Instant::now();
    let output = layerlab_cmd(data.path())
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .arg("clean")
        .output()
        .expect("runs");
    assert_names_missing_socket(&output, started.elapsed());

    let archive = data.path().join("some.tar");
    std::fs::write(&archive, b"x").expect("write");
    let started = Instant::now();
    let output = layerlab_cmd(data.path())
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .arg("load")
        .arg(&archive)
        .output()
        .expect("runs");
    assert_names_missing_socket(&output, started.elapsed());
}

#[test]
fn load_of_a_missing_file_names_it_in_the_chosen_language() {
    let data = tempfile::tempdir().expect("data dir");
    let output = layerlab_cmd(data.path())
        .args(["--lang", "ru", "load", "/nonexistent/base.tar"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("не удаётся загрузить /nonexistent/base.tar"),
        "{stderr}"
    );
    assert!(stderr.contains("docker save"), "{stderr}");
}

#[test]
fn an_unsupported_scheme_is_explained() {
    let data = tempfile::tempdir().expect("data dir");
    let output = layerlab_cmd(data.path())
        .env("DOCKER_HOST", "ssh://me@build-host")
        .arg("doctor")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success());
    assert!(stdout.contains("ssh://me@build-host"), "{stdout}");
    assert!(
        stdout.contains("ssh:// endpoints are not supported"),
        "{stdout}"
    );
}
