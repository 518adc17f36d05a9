//! `layerlab report` against the daemon: the figures in the Markdown are the
//! ones the daemon and the registry give (measured here independently through
//! our client), and the saved answers appear verbatim. Needs the daemon, the
//! stand-in and the test registry (`scripts/test.sh`); CI=true fails without them.

use crate::common;

use crate::common::Cleanup;
use crate::homework::{assets, build, lab, layerlab, layerlab_in, layerlab_with, push};
use layerlab::progress::Progress;
use layerlab::quiz::score::Answer;
use layerlab::quiz::session::{QuizItem, QuizSession};

const IMAGE_ANSWER: &str = "Образ — шаблон только для чтения: слои и конфигурация.\n\nКонтейнер = образ + свой записываемый слой + процесс.";
const KERNEL_ANSWER: &str =
    "Собрать можно (make работает как обычно), а загрузить нельзя: контейнер живёт на ядре хоста.";

#[tokio::test]
async fn the_report_has_the_measured_figures_and_the_saved_answers() {
    let Some(lab) = lab().await else { return };
    let mut cleanup = Cleanup::new();
    let image = build(&lab, &mut cleanup, &assets(), "Dockerfile", "report").await;
    let (pushed, pushed_digest) = push(&lab, &mut cleanup, &image, None).await;

    let data = tempfile::tempdir().expect("tempdir");
    let mut progress = Progress::open(&data.path().join("progress.json"))
        .expect("progress")
        .progress;
    progress
        .save_answer("image-container", "image_vs_container", IMAGE_ANSWER)
        .expect("save");
    progress
        .save_answer("kernel", "kernel_in_container", KERNEL_ANSWER)
        .expect("save");
    // Two questions answered right, one wrong.
    let pack = layerlab::lesson::loader::Pack::embedded().expect("pack");
    let quiz = pack.lesson("quiz").expect("the quiz lesson");
    let mut session = QuizSession::new(QuizItem::from_lesson(quiz), 7);
    let mut right = 0;
    let mut wrong = 0;
    for index in 0..session.len() {
        let item = session.item(index).expect("item").clone();
        if let layerlab::quiz::QuestionKind::Single { options, correct } = &item.question.answer {
            if right < 2 {
                session.answer(index, Answer::Single(*correct));
                right += 1;
            } else if wrong < 1 {
                session.answer(index, Answer::Single((*correct + 1) % options.len()));
                wrong += 1;
            }
        }
    }
    assert_eq!((right, wrong), (2, 1));
    progress
        .save_quiz_session(session.state())
        .expect("save quiz");

    // The learner's container, named as lesson 4 names it (under a prefix of
    // this test's own, as the walkthrough tests do) and on a free port: the
    // report must give this name and port, not the lesson's example, nor a
    // parallel test's container of the same image.
    let prefix = common::unique_name("ll-report");
    let serving = lab
        .docker
        .run_container(&layerlab::docker::model::RunSpec {
            image: image.clone(),
            name: Some(format!("{prefix}-web")),
            ports: vec![layerlab::docker::model::PortRequest::any_free(80)],
            binds: Vec::new(),
            cmd: None,
            env: Default::default(),
            privileged: false,
            labels: Default::default(),
        })
        .await
        .expect("run the image");
    cleanup.container(&serving.id);
    let port = serving.host_port(80).expect("port 80 published");

    let out = data.path().join("README.md");
    let (code, stdout, stderr) = layerlab_with(
        data.path(),
        "en",
        &[("LAYERLAB_CONTAINER_PREFIX", &prefix)],
        &[
            "report",
            "--image",
            &image,
            "--pushed",
            &pushed,
            "--out",
            out.to_str().expect("utf-8 path"),
        ],
    );
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let report = std::fs::read_to_string(&out).expect("the report");

    // Measured independently, now.
    let info = lab
        .docker
        .inspect_image(&image)
        .await
        .expect("inspect")
        .expect("the image");
    assert!(
        report.contains(&format!("({} bytes)", info.size)),
        "size {}:\n{report}",
        info.size
    );
    assert!(
        report.contains(&format!("| Layers | {} |", info.layers.len())),
        "{report}"
    );
    assert!(report.contains(&format!("`{}`", info.id)), "{report}");
    let repository = pushed.rsplit_once(':').expect("a tag").0;
    let digest = info
        .repo_digests
        .iter()
        .find_map(|d| d.strip_prefix(&format!("{repository}@")))
        .expect("a repo digest after the push");
    if let Some(reported) = &pushed_digest {
        assert_eq!(reported, digest);
    }
    assert!(
        report.contains(&format!("| Digest (from the registry) | `{digest}` |")),
        "{digest}:\n{report}"
    );
    assert!(
        report.contains(&format!("docker pull {repository}@{digest}")),
        "the share line pins the pushed digest:\n{report}"
    );
    assert!(
        report.contains("a teacher cannot pull the image"),
        "127.0.0.1 is local:\n{report}"
    );
    assert!(
        report.contains(&format!("docker push {pushed}")),
        "{report}"
    );
    assert!(
        !report.contains("hub.docker.com"),
        "not Docker Hub:\n{report}"
    );
    assert!(report.contains(IMAGE_ANSWER), "{report}");
    assert!(report.contains(KERNEL_ANSWER), "{report}");
    assert!(!report.contains("No answer saved"), "{report}");
    assert!(
        report.contains(&format!("Score: 2 of {} ", session.len())),
        "{report}"
    );
    assert!(report.contains("RUN apk add --no-cache nginx"), "{report}");
    assert!(
        report.contains(&format!(
            "docker run -d --name {} -p 127.0.0.1:{port}:80 {image}",
            serving.name
        )),
        "the running container's name and port:\n{report}"
    );
    assert!(
        report.contains(&format!("http://127.0.0.1:{port}/")),
        "{report}"
    );
}

#[tokio::test]
async fn without_answers_the_report_says_they_are_missing() {
    let Some(lab) = lab().await else { return };
    let mut cleanup = Cleanup::new();
    let image = build(&lab, &mut cleanup, &assets(), "Dockerfile", "report-empty").await;
    let data = tempfile::tempdir().expect("tempdir");
    let (code, stdout, stderr) =
        layerlab(data.path(), &["report", "--image", &image, "--out", "-"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.matches("_No answer saved._").count(), 2, "{stdout}");
    assert!(stdout.contains("The quiz has not been taken"), "{stdout}");
    assert!(stdout.contains("The image is not pushed yet"), "{stdout}");

    let (code, stdout, _) = layerlab_in(
        data.path(),
        "ru",
        &["report", "--image", &image, "--out", "-"],
    );
    assert_eq!(code, 0);
    assert_eq!(stdout.matches("_Ответ не записан._").count(), 2, "{stdout}");

    let missing = format!("layerlab-test/{}:1", common::unique_name("no-such"));
    let (code, _, stderr) = layerlab(data.path(), &["report", "--image", &missing]);
    assert_eq!(code, 1);
    assert!(stderr.contains(&format!("no image {missing}")), "{stderr}");
}
