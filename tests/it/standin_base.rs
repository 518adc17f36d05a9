//! The stand-in base image is an honest test double: it names itself in
//! /etc/os-release, its apk refuses anything but nginx with a message that says
//! what it is, and `apk add` without --no-cache leaves a cache behind (what the
//! naive Dockerfile lesson relies on).

use crate::support;

use std::time::Duration;

use bollard::container::LogOutput;
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::StreamExt;

use crate::common::Cleanup;

const SCRIPT: &str = r#"
grep '^ID=' /etc/os-release
apk add curl; echo "curl-rc=$?"
apk add nginx >/dev/null; echo "nginx-rc=$?"
ls /var/cache/apk
id nginx
test -x /usr/sbin/nginx && echo nginx-binary-present
exit 0
"#;

#[tokio::test]
async fn standin_names_itself_and_its_apk_installs_only_nginx() {
    let Some(docker) = support::docker_or_skip().await else {
        return;
    };
    let Some(base) = support::standin_base() else {
        return;
    };
    let mut cleanup = Cleanup::new();
    let body = ContainerCreateBody {
        image: Some(base.clone()),
        cmd: Some(vec!["sh".into(), "-c".into(), SCRIPT.into()]),
        labels: Some(support::managed_labels()),
        network_disabled: Some(true),
        ..Default::default()
    };
    let created = docker
        .create_container(None, body)
        .await
        .unwrap_or_else(|error| panic!("create a container from {base}: {error}"));
    cleanup.container(&created.id);
    docker
        .start_container(&created.id, None)
        .await
        .expect("start the container");
    let waited = tokio::time::timeout(Duration::from_secs(60), async {
        docker
            .wait_container(&created.id, None)
            .collect::<Vec<_>>()
            .await
    })
    .await
    .expect("the script finishes within 60 s");
    assert!(
        waited.iter().all(Result::is_ok),
        "the script exits 0: {waited:?}"
    );

    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .build();
    let mut output = String::new();
    let mut logs = docker.logs(&created.id, Some(options));
    while let Some(Ok(chunk)) = logs.next().await {
        if let LogOutput::StdOut { message } | LogOutput::StdErr { message } = chunk {
            output.push_str(&String::from_utf8_lossy(&message));
        }
    }

    assert!(output.contains("ID=layerlab-standin"), "{output}");
    assert!(output.contains("curl-rc=99"), "{output}");
    assert!(
        output.contains("TEST DOUBLE") && output.contains("'curl' is not available"),
        "the refusal must say it is a test double and what was refused:\n{output}"
    );
    assert!(output.contains("nginx-rc=0"), "{output}");
    assert!(
        output.contains("APKINDEX") && output.contains(".apk"),
        "without --no-cache the index and package stay in /var/cache/apk:\n{output}"
    );
    assert!(output.contains("uid=100(nginx) gid=101(nginx)"), "{output}");
    assert!(output.contains("nginx-binary-present"), "{output}");
}
