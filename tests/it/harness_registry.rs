//! The registries `scripts/test.sh` starts are what the push tests rely on:
//! the daemon pushes to them over plain HTTP on 127.0.0.1 (Docker treats
//! 127.0.0.0/8 as insecure by default), and the auth one really demands the
//! test account.

use crate::support;

use base64::Engine;
use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::query_parameters::{PushImageOptionsBuilder, TagImageOptionsBuilder};
use futures_util::StreamExt;
use std::time::Duration;

use crate::common::Cleanup;

/// Tags the stand-in base as REGISTRY/layerlab-test/harness:UNIQUE (removed by
/// `cleanup`) and returns (repository, tag).
async fn tag_for(
    docker: &Docker,
    cleanup: &mut Cleanup,
    base: &str,
    registry: &str,
) -> (String, String) {
    let repository = format!("{registry}/layerlab-test/harness");
    let tag = support::unique_name("push");
    cleanup.image(&format!("{repository}:{tag}"));
    let options = TagImageOptionsBuilder::default()
        .repo(&repository)
        .tag(&tag)
        .build();
    docker
        .tag_image(base, Some(options))
        .await
        .unwrap_or_else(|error| panic!("tag {base} as {repository}:{tag}: {error}"));
    (repository, tag)
}

/// Pushes and returns the daemon's error text, if any (bounded: 120 s).
async fn push(
    docker: &Docker,
    repository: &str,
    tag: &str,
    credentials: Option<DockerCredentials>,
) -> Result<(), String> {
    let options = PushImageOptionsBuilder::default().tag(tag).build();
    let mut stream = docker.push_image(repository, Some(options), credentials);
    let outcome = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
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
    outcome.unwrap_or_else(|_| Err("push took over 120 s".to_string()))
}

fn tags_path(tag_repository: &str) -> String {
    let name = tag_repository
        .split_once('/')
        .map(|(_, name)| name)
        .unwrap_or(tag_repository);
    format!("/v2/{name}/tags/list")
}

#[tokio::test]
async fn daemon_pushes_to_the_plain_test_registry_over_http() {
    let Some(docker) = support::docker_or_skip().await else {
        return;
    };
    let (Some(base), Some(registry)) = (support::standin_base(), support::test_registry()) else {
        return;
    };
    let mut cleanup = Cleanup::new();
    let (repository, tag) = tag_for(&docker, &mut cleanup, &base, &registry).await;

    push(&docker, &repository, &tag, None)
        .await
        .unwrap_or_else(|error| panic!("push to {registry} failed: {error}"));

    let (status, response) = support::http_get(&registry, &tags_path(&repository), &[])
        .await
        .expect("the registry answers");
    assert_eq!(status, 200, "{response}");
    assert!(
        response.contains(&format!("\"{tag}\"")),
        "pushed tag {tag} must be listed:\n{response}"
    );
}

#[tokio::test]
async fn auth_test_registry_refuses_anonymous_pushes_and_accepts_the_test_account() {
    let Some(docker) = support::docker_or_skip().await else {
        return;
    };
    let (Some(base), Some(registry)) = (support::standin_base(), support::auth_registry()) else {
        return;
    };
    let mut cleanup = Cleanup::new();
    let (repository, tag) = tag_for(&docker, &mut cleanup, &base, &registry.address).await;

    let anonymous = push(&docker, &repository, &tag, None).await;
    let refusal = anonymous.expect_err("an anonymous push must be refused");
    assert!(
        refusal.contains("no basic auth credentials") || refusal.contains("unauthorized"),
        "unexpected refusal: {refusal}"
    );

    let credentials = DockerCredentials {
        username: Some(registry.user.clone()),
        password: Some(registry.password.clone()),
        serveraddress: Some(registry.address.clone()),
        ..Default::default()
    };
    push(&docker, &repository, &tag, Some(credentials))
        .await
        .unwrap_or_else(|error| panic!("push with the test account failed: {error}"));

    let path = tags_path(&repository);
    let (status, _) = support::http_get(&registry.address, &path, &[])
        .await
        .expect("the registry answers");
    assert_eq!(status, 401, "reading without credentials must be refused");
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", registry.user, registry.password));
    let authorization = format!("Basic {basic}");
    let (status, response) = support::http_get(
        &registry.address,
        &path,
        &[("Authorization", &authorization)],
    )
    .await
    .expect("the registry answers");
    assert_eq!(status, 200, "{response}");
    assert!(response.contains(&format!("\"{tag}\"")), "{response}");
}
