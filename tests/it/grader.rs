//! `layerlab check` against the daemon: the homework built from the shipped
//! files on the offline stand-in passes, and each way of getting it wrong
//! fails with its own ✘ line. Needs the daemon, the stand-in and the test
//! registry (`scripts/test.sh`); CI=true fails without them.

use crate::common;

use crate::common::Cleanup;
use crate::homework::{assets, build, copy_dir, lab, layerlab, own_assets, push};

/// The ✘/✔ line of one criterion (by its English label).
fn line<'a>(stdout: &'a str, label: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| {
            l.get(l.find(' ').map_or(0, |i| i + 1)..)
                .is_some_and(|rest| rest.starts_with(&format!("{label}:")))
        })
        .unwrap_or_else(|| panic!("no `{label}` line in:\n{stdout}"))
}

fn assert_line(stdout: &str, label: &str, mark: &str, contains: &str) {
    let found = line(stdout, label);
    assert!(
        found.starts_with(mark) && found.contains(contains),
        "expected `{mark} {label}: …{contains}…`, got `{found}`\nall:\n{stdout}"
    );
}

#[tokio::test]
async fn the_homework_passes_and_the_standin_needs_accept_base() {
    let Some(lab) = lab().await else { return };
    let mut cleanup = Cleanup::new();
    let own = own_assets("Test Learner");
    let image = build(&lab, &mut cleanup, own.path(), "Dockerfile", "grader-good").await;
    let (pushed, _) = push(&lab, &mut cleanup, &image, None).await;
    let data = tempfile::tempdir().expect("tempdir");

    let args = [
        "check",
        "--image",
        &image,
        "--pushed",
        &pushed,
        "--accept-base",
        &lab.base,
    ];
    let (code, stdout, stderr) = layerlab(data.path(), &args);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let criteria: Vec<&str> = stdout.lines().filter(|l| !l.ends_with('.')).collect();
    assert_eq!(criteria.len(), 5, "{stdout}");
    assert!(criteria.iter().all(|l| l.starts_with('✔')), "{stdout}");
    assert_line(&stdout, "own page", "✔", "Hello from my own nginx image");
    assert_line(&stdout, "layer count", "✔", "layer count: 3 ≤ 3");
    assert_line(&stdout, "pushed", "✔", "the same image");

    // The same, for scripts.
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let (code, stdout, _) = layerlab(data.path(), &json_args);
    assert_eq!(code, 0, "{stdout}");
    let value: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(value["passed"], true);
    assert_eq!(value["os_id"], "layerlab-standin");
    assert_eq!(value["layers"], 3);
    let info = lab
        .docker
        .inspect_image(&image)
        .await
        .expect("inspect")
        .expect("the image");
    assert_eq!(value["image_id"], info.id.as_str());
    assert_eq!(value["pushed_image_id"], info.id.as_str());

    // Without --accept-base the stand-in is not Alpine.
    let (code, stdout, _) = layerlab(data.path(), &["check", "--image", &image]);
    assert_eq!(code, 1, "{stdout}");
    assert_line(&stdout, "Alpine base", "✘", "--accept-base");
    assert_line(&stdout, "own page", "✔", "");
    assert_line(&stdout, "pushed", "–", "not checked");

    // --accept-base naming something that is not its base does not help.
    let (code, stdout, _) = layerlab(
        data.path(),
        &[
            "check",
            "--image",
            &image,
            "--accept-base",
            common::BUSYBOX_REF,
        ],
    );
    assert_eq!(code, 1, "{stdout}");
    let line = line(&stdout, "Alpine base");
    assert!(
        line.starts_with('✘')
            && (line.contains("not built FROM it") || line.contains("no such image")),
        "{stdout}"
    );
}

#[tokio::test]
async fn a_missing_image_fails() {
    let Some(lab) = lab().await else { return };
    let data = tempfile::tempdir().expect("tempdir");
    let missing = format!("layerlab-test/{}:1", common::unique_name("no-such"));
    let (code, stdout, _) = layerlab(
        data.path(),
        &["check", "--image", &missing, "--accept-base", &lab.base],
    );
    assert_eq!(code, 1, "{stdout}");
    assert_line(&stdout, "image", "✘", &format!("no image {missing}"));
    assert_line(&stdout, "own page", "✘", "not checked");
}

#[tokio::test]
async fn nginx_default_pages_fail() {
    let Some(lab) = lab().await else { return };
    let mut cleanup = Cleanup::new();
    let data = tempfile::tempdir().expect("tempdir");

    // apk add nginx and nothing of one's own: Alpine's stock config answers 404.
    let bare = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        bare.path().join("Dockerfile"),
        "ARG BASE_IMAGE=alpine:3.22\nFROM ${BASE_IMAGE}\nRUN apk add --no-cache nginx\n\
         EXPOSE 80\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\n",
    )
    .expect("write");
    let image = build(&lab, &mut cleanup, bare.path(), "Dockerfile", "grader-bare").await;
    let (code, stdout, _) = layerlab(
        data.path(),
        &["check", "--image", &image, "--accept-base", &lab.base],
    );
    assert_eq!(code, 1, "{stdout}");
    assert_line(&stdout, "own page", "✘", "HTTP 404");
    assert_line(&stdout, "Alpine base", "✔", "");
    assert_line(&stdout, "layer count", "✔", "");

    // The shipped files, but the page is nginx's welcome page.
    let welcome = tempfile::tempdir().expect("tempdir");
    copy_dir(&assets(), welcome.path());
    std::fs::write(
        welcome
            .path()
            .join("rootfs/var/www/localhost/htdocs/index.html"),
        "<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head>\
         <body><h1>Welcome to nginx!</h1></body></html>\n",
    )
    .expect("write");
    let image = build(
        &lab,
        &mut cleanup,
        welcome.path(),
        "Dockerfile",
        "grader-welcome",
    )
    .await;
    let (code, stdout, _) = layerlab(
        data.path(),
        &["check", "--image", &image, "--accept-base", &lab.base],
    );
    assert_eq!(code, 1, "{stdout}");
    assert_line(&stdout, "own page", "✘", "nginx's default page");
    assert_line(&stdout, "layer count", "✔", "");
}

#[tokio::test]
async fn too_many_layers_fail() {
    let Some(lab) = lab().await else { return };
    let mut cleanup = Cleanup::new();
    let data = tempfile::tempdir().expect("tempdir");
    let own = own_assets("Test Learner");
    let image = build(
        &lab,
        &mut cleanup,
        own.path(),
        "Dockerfile.naive",
        "grader-naive",
    )
    .await;
    let layers = lab
        .docker
        .inspect_image(&image)
        .await
        .expect("inspect")
        .expect("the image")
        .layers
        .len();
    assert!(layers > 3, "the naive Dockerfile gives {layers} layers");
    let (code, stdout, _) = layerlab(
        data.path(),
        &["check", "--image", &image, "--accept-base", &lab.base],
    );
    assert_eq!(code, 1, "{stdout}");
    assert_line(
        &stdout,
        "layer count",
        "✘",
        &format!("layer count: {layers} > 3"),
    );
    assert_line(&stdout, "own page", "✔", "");
}

#[tokio::test]
async fn a_pushed_image_that_differs_fails() {
    let Some(lab) = lab().await else { return };
    let mut cleanup = Cleanup::new();
    let data = tempfile::tempdir().expect("tempdir");
    let a = build(&lab, &mut cleanup, &assets(), "Dockerfile", "grader-a").await;
    // B: another image that passes everything else (its page differs).
    let other = tempfile::tempdir().expect("tempdir");
    copy_dir(&assets(), other.path());
    std::fs::write(
        other
            .path()
            .join("rootfs/var/www/localhost/htdocs/index.html"),
        format!(
            "<html><title>B</title><body>{}</body></html>\n",
            common::unique_name("b")
        ),
    )
    .expect("write");
    let b = build(&lab, &mut cleanup, other.path(), "Dockerfile", "grader-b").await;
    let (reference, _) = push(&lab, &mut cleanup, &a, None).await;

    let (code, stdout, _) = layerlab(
        data.path(),
        &[
            "check",
            "--image",
            &b,
            "--pushed",
            &reference,
            "--accept-base",
            &lab.base,
        ],
    );
    assert_eq!(code, 1, "{stdout}");
    assert_line(&stdout, "pushed", "✘", "the registry holds another image");
    assert_line(&stdout, "own page", "✔", "");
    let b_id = lab
        .docker
        .inspect_image(&b)
        .await
        .expect("inspect")
        .expect("B")
        .id;
    assert!(
        line(&stdout, "pushed").contains(&b_id.trim_start_matches("sha256:")[..12]),
        "{stdout}"
    );
}
