//! The whole homework, headless, against the real daemon: `layerlab run all`
//! with the offline stand-in base and a throwaway local registry passes every
//! shipped lesson, push / removal of the local tag / pull back / run
//! included, and leaves no container behind.

use crate::{common, walkthrough};

use crate::walkthrough::Learner;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_all_passes_every_shipped_lesson_and_leaves_no_container() {
    let Some(docker) = common::docker_or_skip().await else {
        return;
    };
    let (Some(base), Some(registry)) = (walkthrough::standin_base(), walkthrough::test_registry())
    else {
        return;
    };
    let learner = Learner::new("runall");
    // A namespace of our own in the shared registry, so a parallel run
    // pushing `nginx-alpine:1.0` cannot overwrite ours.
    let registry = format!("{registry}/{}", learner.prefix);
    let pushed = format!("{registry}/nginx-alpine:1.0");
    let mut cleanup = common::Cleanup::new();
    for tag in [
        learner.image.clone(),
        format!("{}-naive:latest", learner.image_repo()),
        format!("{}-note:latest", learner.image_repo()),
        pushed.clone(),
    ] {
        cleanup.image(&tag);
    }

    let run = learner
        .run(&[
            "run",
            "all",
            "--yes",
            "--base-image",
            &base,
            "--image",
            &learner.image,
            "--registry",
            &registry,
        ])
        .await;
    let leftovers = learner.leftover_containers(&docker).await;
    learner.remove_leftovers(&docker).await;

    assert!(run.ok(), "layerlab run all failed:\n{run}");
    assert!(
        !run.stdout.contains("✘"),
        "a step failed although the exit code was 0:\n{run}"
    );
    assert!(run.stdout.contains(" 0 failed"), "{run}");

    // Every step that does something, of every shipped lesson, printed a ✔
    // line, except the opt-in ones (optional), which must say they were skipped.
    let pack = layerlab::lesson::Pack::load(None).expect("the embedded pack");
    let mut checked = 0;
    for lesson in &pack.lessons {
        for step in &lesson.steps {
            if !layerlab::runner::needs_daemon(step) {
                continue;
            }
            if step.optional {
                assert!(
                    run.stdout.contains(&format!("- {}: skipped", step.id)),
                    "optional {}/{} not reported as skipped:\n{run}",
                    lesson.id,
                    step.id
                );
                continue;
            }
            let line = format!("✔ {}/{}: ", lesson.id, step.id);
            assert!(run.stdout.contains(&line), "no `{line}` line:\n{run}");
            checked += 1;
        }
    }
    let passed: usize = run
        .stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_suffix(" passed, 0 failed")?.parse().ok())
        .unwrap_or_else(|| panic!("no `N passed, 0 failed` line:\n{run}"));
    assert_eq!(passed, checked, "the summary counts every ✔ line:\n{run}");
    // The push lesson's round trip ran for real (none of it skipped by --yes).
    for step in [
        "push",
        "untag",
        "tag-gone",
        "pull-back",
        "run-pulled",
        "pulled-page",
        "pushed-matches",
    ] {
        assert!(
            run.stdout.contains(&format!("✔ push/{step}: ")),
            "push/{step}:\n{run}"
        );
    }
    assert!(
        run.stdout.contains("- quiz: nothing to run here"),
        "the quiz lesson is passed over, saying so:\n{run}"
    );

    // Nothing the run started is left: no container named with our prefix,
    // and none labelled with one of these lessons' ids and our prefix.
    assert!(
        leftovers.is_empty(),
        "containers left behind: {leftovers:?}"
    );
    for lesson in &pack.lessons {
        let labelled = docker
            .list_containers_labelled(&[("layerlab.lesson", lesson.id.as_str())])
            .await
            .expect("list");
        let ours: Vec<_> = labelled
            .iter()
            .filter(|c| c.name.starts_with(&learner.prefix))
            .collect();
        assert!(ours.is_empty(), "{}: {ours:?}", lesson.id);
    }

    // The progress file says every lesson with daemon steps is done.
    let runs_something = |l: &&layerlab::lesson::Lesson| {
        l.steps
            .iter()
            .any(|s| !s.optional && layerlab::runner::needs_daemon(s))
    };
    for lesson in pack.lessons.iter().filter(runs_something) {
        let (done, started) = learner.progress(&lesson.id);
        assert_eq!(started, None, "{}: a step stayed started", lesson.id);
        assert!(!done.is_empty(), "{}: nothing recorded as done", lesson.id);
    }
    // The pushed image really is in the registry under our namespace.
    assert!(
        docker
            .inspect_image(&pushed)
            .await
            .expect("inspect")
            .is_some(),
        "{pushed} was pulled back"
    );
    drop(cleanup);
}
