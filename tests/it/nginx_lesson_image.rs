//! The homework's shipped nginx files really work: the Dockerfiles in
//! `assets/nginx-alpine*/` are built UNCHANGED (only the `BASE_IMAGE` build
//! argument points at the offline stand-in for alpine:3.22), run with port 80
//! published on 127.0.0.1, and must serve the student's page and log the request.

use crate::support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::{BuildImageOptionsBuilder, CreateContainerOptionsBuilder};
use futures_util::StreamExt;

use crate::common::Cleanup;

const PAGE_MARKER: &str = "Hello from my own nginx image";
const NGINX_WELCOME: &str = "Welcome to nginx!";

fn assets_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(name)
}

// --- checks on the files themselves (no daemon needed) ------------------------

/// Dockerfile instructions as (KEYWORD, rest), comments and blank lines dropped.
fn instructions(dockerfile: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dockerfile)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dockerfile.display()));
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (keyword, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            (keyword.to_ascii_uppercase(), rest.trim().to_string())
        })
        .collect()
}

fn count(instructions: &[(String, String)], keyword: &str) -> usize {
    instructions.iter().filter(|(k, _)| k == keyword).count()
}

/// The learner writes the Dockerfile: the template has no instruction at
/// all (so it cannot build), one TODO line per instruction of the reference,
/// and the reference's instructions sit on the template's empty lines under
/// them, so the lesson's highlighted lines fit both.
#[test]
fn the_template_is_todo_lines_the_solution_fills_them_in_place() {
    let template_file = assets_dir("nginx-alpine").join("Dockerfile");
    assert!(
        instructions(&template_file).is_empty(),
        "the template must leave every instruction to the learner"
    );
    let template = std::fs::read_to_string(&template_file).unwrap();
    let solution =
        std::fs::read_to_string(assets_dir("solutions/nginx-alpine").join("Dockerfile")).unwrap();
    let template: Vec<&str> = template.lines().collect();
    let mut filled = 0;
    for (i, line) in solution.lines().enumerate() {
        let keyword = line.split_whitespace().next().unwrap_or("");
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        filled += 1;
        assert_eq!(template.get(i), Some(&""), "line {} of the template", i + 1);
        let todo = template[..i]
            .iter()
            .rev()
            .find(|l| l.starts_with("# TODO: "))
            .unwrap_or_else(|| panic!("no TODO above line {}", i + 1));
        assert!(
            todo.starts_with(&format!("# TODO: {keyword} ")),
            "line {}: `{line}` under `{todo}`",
            i + 1
        );
    }
    assert_eq!(filled, 6, "ARG, FROM, RUN, COPY, EXPOSE, CMD");
}

#[test]
fn optimised_dockerfile_is_one_run_one_copy_on_a_pinned_alpine() {
    let steps = instructions(&assets_dir("solutions/nginx-alpine").join("Dockerfile"));
    assert_eq!(
        steps.first(),
        Some(&("ARG".to_string(), "BASE_IMAGE=alpine:3.22".to_string()))
    );
    assert!(steps.contains(&("FROM".to_string(), "${BASE_IMAGE}".to_string())));
    let runs: Vec<_> = steps.iter().filter(|(k, _)| k == "RUN").collect();
    assert_eq!(runs.len(), 1, "exactly one RUN: {runs:?}");
    assert_eq!(runs[0].1, "apk add --no-cache nginx");
    assert_eq!(count(&steps, "COPY"), 1, "exactly one COPY: {steps:?}");
    assert!(steps.contains(&("EXPOSE".to_string(), "80".to_string())));
    assert_eq!(
        steps.last(),
        Some(&(
            "CMD".to_string(),
            r#"["nginx", "-g", "daemon off;"]"#.to_string()
        ))
    );
}

#[test]
fn naive_dockerfile_keeps_the_apk_cache_and_copies_the_same_files() {
    let steps = instructions(&assets_dir("nginx-alpine").join("Dockerfile.naive"));
    assert!(count(&steps, "RUN") >= 2, "several RUNs: {steps:?}");
    assert!(
        steps
            .iter()
            .all(|(keyword, rest)| keyword != "RUN" || !rest.contains("--no-cache")),
        "the naive variant must keep the apk cache: {steps:?}"
    );
    let copies: Vec<_> = steps.iter().filter(|(k, _)| k == "COPY").collect();
    assert!(copies.len() >= 2, "separate COPYs: {copies:?}");
    for (_, arguments) in copies {
        let source = arguments.split_whitespace().next().unwrap_or_default();
        let in_optimised_context = assets_dir("nginx-alpine").join(source);
        assert!(
            in_optimised_context.is_file(),
            "naive COPY source {source} must exist in assets/nginx-alpine (its build context)"
        );
    }
}

#[test]
fn page_and_server_config_are_the_students() {
    let root = assets_dir("nginx-alpine").join("rootfs");
    let page = std::fs::read_to_string(root.join("var/www/localhost/htdocs/index.html"))
        .expect("index.html is shipped");
    assert!(page.contains(PAGE_MARKER));
    assert!(!page.contains(NGINX_WELCOME));
    let config = std::fs::read_to_string(root.join("etc/nginx/http.d/default.conf"))
        .expect("default.conf is shipped");
    assert!(config.contains("root /var/www/localhost/htdocs;"));
    assert!(config.contains("access_log /var/log/nginx/access.log"));
}

// --- building and running on the daemon ---------------------------------------

/// The build context: the optimised folder as it is, plus (for the naive
/// variant) its Dockerfile under another name, so both use the same files.
fn build_context(extra_dockerfile: Option<(&str, &Path)>) -> Vec<u8> {
    fn add_dir(builder: &mut tar::Builder<Vec<u8>>, base: &Path, dir: &Path) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.strip_prefix(base).expect("inside the context");
            if path.is_dir() {
                builder
                    .append_dir(name, &path)
                    .expect("append a directory to the context");
                add_dir(builder, base, &path);
            } else {
                builder
                    .append_path_with_name(&path, name)
                    .expect("append a file to the context");
            }
        }
    }
    // The homework as finished: the reference Dockerfile in the template's place.
    let context = crate::support::solved_homework();
    let mut builder = tar::Builder::new(Vec::new());
    add_dir(&mut builder, &context, &context);
    if let Some((name, path)) = extra_dockerfile {
        builder
            .append_path_with_name(path, name)
            .expect("append the extra Dockerfile");
    }
    builder.into_inner().expect("finish the context archive")
}

/// Builds with the classic builder (what Engine 20.10 uses through the API)
/// and returns the unique tag; the tag is registered for cleanup first.
async fn build(
    docker: &Docker,
    cleanup: &mut Cleanup,
    context: Vec<u8>,
    dockerfile: &str,
    base: &str,
    tag_prefix: &str,
) -> String {
    let tag = format!("{}:test", support::unique_name(tag_prefix));
    cleanup.image(&tag);
    let build_args = HashMap::from([("BASE_IMAGE", base)]);
    let options = BuildImageOptionsBuilder::default()
        .dockerfile(dockerfile)
        .t(&tag)
        .rm(true)
        .forcerm(true)
        .buildargs(&build_args)
        .labels(&support::managed_labels())
        .build();
    let mut stream = docker.build_image(options, None, Some(bollard::body_full(context.into())));
    let mut log = String::new();
    let finished = tokio::time::timeout(Duration::from_secs(300), async {
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(line) = info.stream {
                        log.push_str(&line);
                    }
                    if let Some(detail) = info.error_detail {
                        return Err(detail.message.unwrap_or_default());
                    }
                }
                Err(error) => return Err(error.to_string()),
            }
        }
        Ok(())
    })
    .await;
    match finished {
        Ok(Ok(())) => tag,
        Ok(Err(error)) => panic!("building {dockerfile} on {base} failed: {error}\n{log}"),
        Err(_) => panic!("building {dockerfile} on {base} took over 300 s\n{log}"),
    }
}

/// Starts the image with port 80 on an ephemeral 127.0.0.1 port chosen by the
/// daemon (no race with other tests); returns the container id and that port.
async fn run_published(docker: &Docker, cleanup: &mut Cleanup, image: &str) -> (String, u16) {
    let port_bindings = HashMap::from([(
        "80/tcp".to_string(),
        Some(vec![PortBinding {
            host_ip: Some("127.0.0.1".to_string()),
            host_port: Some(String::new()),
        }]),
    )]);
    let body = ContainerCreateBody {
        image: Some(image.to_string()),
        labels: Some(support::managed_labels()),
        exposed_ports: Some(vec!["80/tcp".to_string()]),
        host_config: Some(HostConfig {
            port_bindings: Some(port_bindings),
            ..Default::default()
        }),
        ..Default::default()
    };
    let name = support::unique_name("layerlab-test-nginx");
    let options = CreateContainerOptionsBuilder::default().name(&name).build();
    let created = docker
        .create_container(Some(options), body)
        .await
        .expect("create the nginx container");
    cleanup.container(&created.id);
    docker
        .start_container(&created.id, None)
        .await
        .expect("start the nginx container");
    let inspected = docker
        .inspect_container(&created.id, None)
        .await
        .expect("inspect the nginx container");
    let port = inspected
        .network_settings
        .and_then(|settings| settings.ports)
        .and_then(|ports| ports.get("80/tcp").cloned().flatten())
        .and_then(|bindings| bindings.into_iter().find_map(|binding| binding.host_port))
        .and_then(|port| port.parse::<u16>().ok())
        .expect("port 80 is published on 127.0.0.1");
    (created.id, port)
}

/// nginx needs a moment after the container starts: up to 50 tries, 200 ms apart.
async fn get_page_when_ready(port: u16) -> (u16, String) {
    let mut last_error = String::new();
    for _ in 0..50 {
        match support::http_get(&format!("127.0.0.1:{port}"), "/", &[]).await {
            Ok(answer) => return answer,
            Err(error) => last_error = error.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("nginx on 127.0.0.1:{port} never answered within ~10 s: {last_error}");
}

async fn exec_output(docker: &Docker, container: &str, command: &[&str]) -> String {
    let exec = docker
        .create_exec(
            container,
            CreateExecOptions {
                cmd: Some(command.to_vec()),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await
        .expect("create exec");
    let mut text = String::new();
    if let StartExecResults::Attached { mut output, .. } =
        docker.start_exec(&exec.id, None).await.expect("start exec")
    {
        let collect = async {
            while let Some(Ok(chunk)) = output.next().await {
                match chunk {
                    LogOutput::StdOut { message } | LogOutput::StdErr { message } => {
                        text.push_str(&String::from_utf8_lossy(&message));
                    }
                    _ => {}
                }
            }
        };
        if tokio::time::timeout(Duration::from_secs(20), collect)
            .await
            .is_err()
        {
            panic!("`{}` did not finish within 20 s", command.join(" "));
        }
    }
    text
}

/// The student's page is served, not nginx's welcome page nor Alpine's 404,
/// and the request shows up in the access log the config names.
async fn assert_serves_students_page(docker: &Docker, cleanup: &mut Cleanup, image: &str) {
    let (container, port) = run_published(docker, cleanup, image).await;
    let (status, response) = get_page_when_ready(port).await;
    assert_eq!(status, 200, "GET / must succeed:\n{response}");
    assert!(
        response.contains(PAGE_MARKER),
        "the student's page must be served:\n{response}"
    );
    assert!(
        !response.contains(NGINX_WELCOME),
        "nginx's default page was served instead:\n{response}"
    );

    let mut access_log = String::new();
    for _ in 0..20 {
        access_log = exec_output(docker, &container, &["cat", "/var/log/nginx/access.log"]).await;
        if access_log.contains("\"GET / HTTP/1.0\" 200") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        access_log.contains("\"GET / HTTP/1.0\" 200") && access_log.contains("layerlab-test"),
        "the request must be logged in /var/log/nginx/access.log, got:\n{access_log}"
    );
}

async fn size_and_layers(docker: &Docker, image: &str) -> (i64, usize) {
    let inspected = docker
        .inspect_image(image)
        .await
        .unwrap_or_else(|error| panic!("inspect {image}: {error}"));
    let size = inspected.size.expect("the engine reports the image size");
    let layers = inspected
        .root_fs
        .and_then(|root_fs| root_fs.layers)
        .map(|layers| layers.len())
        .expect("the engine reports the image layers");
    (size, layers)
}

#[tokio::test]
async fn optimised_image_serves_the_students_page_on_the_standin() {
    let Some(docker) = support::docker_or_skip().await else {
        return;
    };
    let Some(base) = support::standin_base() else {
        return;
    };
    let mut cleanup = Cleanup::new();
    let image = build(
        &docker,
        &mut cleanup,
        build_context(None),
        "Dockerfile",
        &base,
        "layerlab-test/nginx-lesson",
    )
    .await;
    assert_serves_students_page(&docker, &mut cleanup, &image).await;
}

#[tokio::test]
async fn naive_image_serves_the_same_page_but_is_bigger_with_more_layers() {
    let Some(docker) = support::docker_or_skip().await else {
        return;
    };
    let Some(base) = support::standin_base() else {
        return;
    };
    let mut cleanup = Cleanup::new();
    let naive_dockerfile = assets_dir("nginx-alpine").join("Dockerfile.naive");
    let naive = build(
        &docker,
        &mut cleanup,
        build_context(Some(("Dockerfile.naive", &naive_dockerfile))),
        "Dockerfile.naive",
        &base,
        "layerlab-test/nginx-lesson-naive",
    )
    .await;
    assert_serves_students_page(&docker, &mut cleanup, &naive).await;

    let optimised = build(
        &docker,
        &mut cleanup,
        build_context(None),
        "Dockerfile",
        &base,
        "layerlab-test/nginx-lesson",
    )
    .await;
    let (naive_size, naive_layers) = size_and_layers(&docker, &naive).await;
    let (optimised_size, optimised_layers) = size_and_layers(&docker, &optimised).await;
    assert!(
        naive_size > optimised_size,
        "naive {naive_size} B must be bigger than optimised {optimised_size} B"
    );
    assert!(
        naive_layers > optimised_layers,
        "naive {naive_layers} layers must be more than optimised {optimised_layers}"
    );
}

/// The explorer on the two real lesson builds: the base layer carries the
/// base image's name, the COPY layer is the Dockerfile's own line, a file is
/// read back from its layer exactly as the workspace has it, and the naive
/// build differs from the optimised one by what `apk update` left behind.
#[tokio::test]
async fn explorer_names_reads_and_compares_the_lesson_builds() {
    use layerlab::layers::compare::{PathDiff, compare};
    use layerlab::layers::content::Stored;
    use layerlab::layers::names::{LayerName, NameHints, layer_name};

    let Some(docker) = support::docker_or_skip().await else {
        return;
    };
    let Some(ours) = crate::common::docker_or_skip().await else {
        return;
    };
    let Some(base) = support::standin_base() else {
        return;
    };
    let mut cleanup = Cleanup::new();
    let naive_dockerfile = assets_dir("nginx-alpine").join("Dockerfile.naive");
    let naive = build(
        &docker,
        &mut cleanup,
        build_context(Some(("Dockerfile.naive", &naive_dockerfile))),
        "Dockerfile.naive",
        &base,
        "layerlab-test/explorer-naive",
    )
    .await;
    let optimised = build(
        &docker,
        &mut cleanup,
        build_context(None),
        "Dockerfile",
        &base,
        "layerlab-test/explorer",
    )
    .await;
    let analyse = |image: String| {
        let (ours, base) = (&ours, base.clone());
        async move {
            layerlab::docker::layers::analyze_image_with_base(ours, &image, Some(&base))
                .await
                .unwrap_or_else(|e| panic!("{image}: {e}"))
        }
    };
    let a = analyse(optimised.clone()).await;
    let b = analyse(naive.clone()).await;

    // names
    let (named_base, shared) = a.base().expect("the base's layers are recognised");
    assert_eq!(named_base, base);
    assert!(shared >= 1);
    let hints = NameHints {
        base: a.base().map(|(n, k)| (n.to_string(), k)),
        dockerfiles: vec![(
            "Dockerfile".into(),
            std::fs::read_to_string(assets_dir("solutions/nginx-alpine").join("Dockerfile"))
                .expect("read"),
        )],
    };
    let names: Vec<LayerName> = a
        .layers()
        .iter()
        .map(|l| layer_name(l.index, &l.created_by, &hints))
        .collect();
    assert!(
        matches!(&names[0], LayerName::Base { image: Some(i) } if *i == base),
        "{names:?}"
    );
    let copy = names.last().expect("layers");
    assert_eq!(
        copy.label(layerlab::i18n::Lang::En),
        "COPY rootfs/ /",
        "{names:?}"
    );

    // a file as its layer stores it
    let top = a.layers().len() - 1;
    let member = a.layer_member(top).expect("the COPY layer's member");
    let stored = layerlab::docker::layers::read_image_file(
        &ours,
        &optimised,
        member,
        "/var/www/localhost/htdocs/index.html",
    )
    .await
    .expect("index.html is in the COPY layer");
    let want = std::fs::read(
        assets_dir("nginx-alpine").join("rootfs/var/www/localhost/htdocs/index.html"),
    )
    .expect("read the page");
    match stored {
        Stored::File { size, head } => {
            assert_eq!(size, want.len() as u64);
            assert_eq!(head, want, "the layer holds the workspace's page");
        }
        other => panic!("not a file: {other:?}"),
    }
    let missing =
        layerlab::docker::layers::read_image_file(&ours, &optimised, member, "/no/such/file").await;
    assert!(
        missing.is_err(),
        "an absent path is an error, not an empty file"
    );

    // the two builds side by side
    let c = compare(&a, &b);
    assert!(c.layers[0].shared(), "both start from the same base layer");
    assert!(
        c.paths
            .iter()
            .any(|p| p.diff == PathDiff::OnlyRight && p.path.starts_with("/var/cache/apk/")),
        "apk update's index is only in the naive build: {:?}",
        c.paths
    );
    assert!(
        !c.paths
            .iter()
            .any(|p| p.path == "/var/www/localhost/htdocs/index.html"),
        "the page is the same in both"
    );
}
