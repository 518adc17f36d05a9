//! The live lab against the real daemon, through its session API (no
//! terminal): changes show up with the right mark whoever made them, the
//! image never moves, commit adds exactly one layer, and closing leaves no
//! container behind. Run with `bash scripts/test.sh lab`.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::common::{Cleanup, busybox_image, docker_or_skip};
use layerlab::docker::Docker;
use layerlab::docker::lab::{self, LAB_LABEL, LabChange, LabEvent, LabHandle, LabRequest, Sizes};
use layerlab::docker::model::ChangeKind;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio_util::sync::CancellationToken;

const WAIT: Duration = Duration::from_secs(20);

struct Lab {
    handle: LabHandle,
    events: UnboundedReceiver<LabEvent>,
    image: lab::LabImage,
    slots: Vec<lab::LabSlot>,
    /// The newest list per slot, and every event seen (for failure messages).
    changes: Vec<Vec<LabChange>>,
    sizes: Vec<Option<Sizes>>,
    /// The last `ImageVerified`: (unchanged, id, digests).
    verified: Option<(bool, String, Vec<String>)>,
    seen: Vec<String>,
    /// Removes the containers if the test panics before `close`.
    _cleanup: Cleanup,
}

impl Lab {
    async fn open(docker: &Docker, image: &str) -> Lab {
        let (tx, mut events) = unbounded_channel();
        let handle = lab::open(docker.clone(), image.to_string(), tx);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Some(LabEvent::Ready { image, slots, .. })) => {
                    let mut cleanup = Cleanup::new();
                    for slot in &slots {
                        cleanup.container(&slot.id);
                    }
                    return Lab {
                        _cleanup: cleanup,
                        handle,
                        events,
                        image,
                        changes: vec![Vec::new(); slots.len()],
                        sizes: vec![None; slots.len()],
                        slots,
                        verified: None,
                        seen: Vec::new(),
                    };
                }
                Ok(Some(LabEvent::Error(e))) => panic!("the lab did not start: {e:?}"),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => panic!("the lab did not become ready within 60 s"),
            }
        }
    }

    fn session(&self) -> &str {
        &self.handle.session
    }

    /// Next event, remembering the changes it carries. Panics on a lab error.
    async fn next(&mut self, deadline: tokio::time::Instant) -> Option<LabEvent> {
        let event = tokio::time::timeout_at(deadline, self.events.recv())
            .await
            .ok()??;
        self.seen
            .push(format!("{event:?}").chars().take(300).collect());
        match &event {
            LabEvent::Changes {
                slot,
                changes,
                sizes,
                ..
            } => {
                self.changes[*slot] = changes.clone();
                self.sizes[*slot] = Some(sizes.clone());
            }
            LabEvent::ImageVerified {
                unchanged,
                id,
                digests,
                ..
            } => self.verified = Some((*unchanged, id.clone(), digests.clone())),
            LabEvent::Error(e) => panic!("lab error: {e:?}"),
            _ => {}
        }
        Some(event)
    }

    /// Wait until an event satisfies `want`; returns it.
    async fn until(
        &mut self,
        what: &str,
        mut want: impl FnMut(&Lab, &LabEvent) -> bool,
    ) -> LabEvent {
        let deadline = tokio::time::Instant::now() + WAIT;
        while let Some(event) = self.next(deadline).await {
            if want(self, &event) {
                return event;
            }
        }
        panic!(
            "{what}: not seen within {WAIT:?}; last events:\n{}",
            self.seen[self.seen.len().saturating_sub(8)..].join("\n")
        );
    }

    async fn until_change(&mut self, slot: usize, path: &str, kind: ChangeKind) -> LabChange {
        // The daemon's exec_die event often beats the exec's own result.
        if !self.has(slot, path, kind) {
            let what = format!("{kind:?} {path} in slot {slot}");
            self.until(&what, |lab, e| {
                matches!(e, LabEvent::Changes { slot: s, .. } if *s == slot)
                    && lab.has(slot, path, kind)
            })
            .await;
        }
        self.change(slot, path).expect("just seen")
    }

    fn has(&self, slot: usize, path: &str, kind: ChangeKind) -> bool {
        self.changes[slot]
            .iter()
            .any(|c| c.path == path && c.kind == kind)
    }

    fn change(&self, slot: usize, path: &str) -> Option<LabChange> {
        self.changes[slot].iter().find(|c| c.path == path).cloned()
    }

    async fn exec(&mut self, slot: usize, command: &str) -> i64 {
        self.handle
            .requests
            .send(LabRequest::Exec {
                slot,
                command: command.to_string(),
            })
            .expect("lab alive");
        let command = command.to_string();
        match self
            .until(
                &format!("`{command}` finished"),
                |_, e| matches!(e, LabEvent::ExecDone { command: c, .. } if *c == command),
            )
            .await
        {
            LabEvent::ExecDone { exit_code, .. } => exit_code,
            _ => unreachable!("filtered above"),
        }
    }
}

/// The containers carrying this session's label, running or not.
async fn session_containers(docker: &Docker, session: &str) -> Vec<String> {
    docker
        .list_containers_labelled(&[(LAB_LABEL, session)])
        .await
        .expect("list containers")
        .into_iter()
        .map(|c| c.id)
        .collect()
}

async fn layer_digests(docker: &Docker, image: &str) -> (String, Vec<String>) {
    let info = docker
        .inspect_image(image)
        .await
        .expect("inspect")
        .expect("image exists");
    (info.id, info.layers)
}

#[tokio::test]
async fn write_modify_delete_show_with_their_marks_and_the_image_stays() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let before = layer_digests(&docker, &image).await;
    let mut lab = Lab::open(&docker, &image).await;
    assert_eq!(lab.slots.len(), 2);
    assert_eq!(
        (
            lab.image.id.clone(),
            lab.image.layers.iter().map(|l| l.digest.clone()).collect()
        ),
        before
    );

    assert_eq!(lab.exec(0, "echo new > /data/new.txt").await, 0);
    let added = lab
        .until_change(0, "/data/new.txt", ChangeKind::Added)
        .await;
    assert_eq!(lab.exec(0, "echo more >> /etc/motd").await, 0);
    lab.until_change(0, "/etc/motd", ChangeKind::Changed).await;
    assert_eq!(lab.exec(0, "rm /data/old.txt").await, 0);
    lab.until_change(0, "/data/old.txt", ChangeKind::Deleted)
        .await;
    match &lab.sizes[0] {
        Some(Sizes::UpperDir(_)) => {
            assert_eq!(added.size, Some(4), "`new\\n` is 4 bytes");
            let motd = lab.change(0, "/etc/motd").expect("listed");
            assert_eq!(motd.size, Some("welcome\nmore\n".len() as u64));
        }
        other => eprintln!("NOTE: sizes not checked, the upper directory is unreadable: {other:?}"),
    }

    // The image is re-inspected after a change and reported unchanged.
    let (unchanged, id, digests) = lab.verified.clone().expect("re-checked after a change");
    assert!(unchanged);
    assert_eq!((id, digests), before);
    assert_eq!(layer_digests(&docker, &image).await, before);

    // The other container has its own, untouched layer; a write there stays there.
    assert!(!lab.has(1, "/data/new.txt", ChangeKind::Added));
    assert_eq!(lab.exec(1, "touch /only-in-two").await, 0);
    lab.until_change(1, "/only-in-two", ChangeKind::Added).await;
    assert!(lab.change(0, "/only-in-two").is_none());
    assert!(lab.change(1, "/data/new.txt").is_none());

    let session = lab.session().to_string();
    assert_eq!(session_containers(&docker, &session).await.len(), 2);
    lab.handle.close().await;
    assert_eq!(
        session_containers(&docker, &session).await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn writes_from_outside_the_lab_show_up() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let mut lab = Lab::open(&docker, &image).await;
    let id = lab.slots[0].id.clone();

    // Another client's exec: the daemon's exec_die event announces it.
    let out = docker
        .exec(&id, "echo out > /outside.txt", &CancellationToken::new())
        .await
        .expect("exec outside the lab");
    assert_eq!(out.exit_code, 0);
    lab.until_change(0, "/outside.txt", ChangeKind::Added).await;

    // The container's own process, with no event at all: only the poll sees it.
    let out = docker
        .exec(
            &id,
            "(sleep 1; echo bg > /by-itself.txt) >/dev/null 2>&1 &",
            &CancellationToken::new(),
        )
        .await
        .expect("start a background writer");
    assert_eq!(out.exit_code, 0);
    lab.until_change(0, "/by-itself.txt", ChangeKind::Added)
        .await;

    let session = lab.session().to_string();
    lab.handle.close().await;
    assert!(session_containers(&docker, &session).await.is_empty());
}

#[tokio::test]
async fn commit_adds_one_layer_holding_exactly_the_changes() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let before = layer_digests(&docker, &image).await;
    let mut lab = Lab::open(&docker, &image).await;
    let mut cleanup = Cleanup::new();
    assert_eq!(
        lab.exec(0, "mkdir -p /srv && echo page > /srv/index.html && echo x >> /etc/motd && rm /data/old.txt").await,
        0
    );
    lab.until_change(0, "/data/old.txt", ChangeKind::Deleted)
        .await;
    lab.until_change(0, "/srv/index.html", ChangeKind::Added)
        .await;
    let changes = lab.changes[0].clone();

    lab.handle
        .requests
        .send(LabRequest::Commit { slot: 0 })
        .expect("lab alive");
    let LabEvent::Committed { commit, .. } = lab
        .until("commit", |_, e| matches!(e, LabEvent::Committed { .. }))
        .await
    else {
        unreachable!()
    };
    cleanup.image(&commit.image.reference);
    assert!(commit.image.reference.starts_with(lab::COMMIT_REPOSITORY));
    assert_eq!(commit.image.layers.len(), before.1.len() + 1);
    let (new_id, new_layers) = layer_digests(&docker, &commit.image.reference).await;
    assert_eq!(new_id, commit.image.id);
    assert_eq!(
        new_layers[..before.1.len()],
        before.1[..],
        "the base layers are shared"
    );
    let extra = commit.extra_layer.expect("one extra layer");
    assert_eq!(Some(&extra.digest), new_layers.last());

    // The extra layer, read back from `docker save`, holds the changes: an
    // added or changed file is in it, a deleted one is a whiteout.
    let in_layer: BTreeSet<(String, bool)> = commit
        .paths
        .expect("extra layer listed")
        .into_iter()
        .map(|c| (c.path, c.kind == ChangeKind::Deleted))
        .collect();
    let in_diff: BTreeSet<(String, bool)> = changes
        .iter()
        .map(|c| (c.path.clone(), c.kind == ChangeKind::Deleted))
        .collect();
    assert_eq!(in_layer, in_diff);
    assert_eq!(layer_digests(&docker, &image).await, before);

    let session = lab.session().to_string();
    lab.handle.close().await;
    assert!(session_containers(&docker, &session).await.is_empty());
}

#[tokio::test]
async fn stop_and_start_keep_the_changes_and_recreate_loses_them() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let mut lab = Lab::open(&docker, &image).await;
    assert_eq!(lab.exec(0, "echo kept > /kept.txt").await, 0);
    lab.until_change(0, "/kept.txt", ChangeKind::Added).await;
    let first = lab.slots[0].id.clone();

    let send = |lab: &Lab, r: LabRequest| lab.handle.requests.send(r).expect("lab alive");
    send(&lab, LabRequest::Stop { slot: 0 });
    lab.until(
        "stopped",
        |_, e| matches!(e, LabEvent::Slot { slot: 0, info } if !info.running),
    )
    .await;
    send(&lab, LabRequest::Start { slot: 0 });
    lab.until(
        "started",
        |_, e| matches!(e, LabEvent::Slot { slot: 0, info } if info.running),
    )
    .await;
    assert_eq!(lab.exec(0, "cat /kept.txt").await, 0);
    assert!(
        docker
            .container_changes(&first)
            .await
            .expect("diff")
            .iter()
            .any(|c| c.path == "/kept.txt")
    );

    send(&lab, LabRequest::Recreate { slot: 0 });
    let LabEvent::Recreated { removed, .. } = lab
        .until("recreated", |_, e| {
            matches!(e, LabEvent::Recreated { slot: 0, .. })
        })
        .await
    else {
        unreachable!()
    };
    assert_eq!(removed, first);
    let LabEvent::Slot { info, .. } = lab
        .until("new container", |_, e| {
            matches!(e, LabEvent::Slot { slot: 0, .. })
        })
        .await
    else {
        unreachable!()
    };
    assert_ne!(info.id, first);
    assert!(matches!(
        docker.inspect_container(&first).await,
        Err(layerlab::docker::DockerError::ContainerNotFound { .. })
    ));
    assert_ne!(
        lab.exec(0, "cat /kept.txt").await,
        0,
        "the new container starts clean"
    );

    let session = lab.session().to_string();
    lab.handle.close().await;
    assert!(session_containers(&docker, &session).await.is_empty());
}

#[tokio::test]
async fn two_labs_on_one_daemon_keep_to_their_own_containers() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let mut first = Lab::open(&docker, &image).await;
    let mut second = Lab::open(&docker, &image).await;
    assert_ne!(first.session(), second.session());
    // A write from outside into the second lab's container: the first lab
    // sees the daemon event only if it filtered too loosely.
    docker
        .exec(
            &second.slots[0].id,
            "touch /second-only",
            &CancellationToken::new(),
        )
        .await
        .expect("exec");
    second
        .until_change(0, "/second-only", ChangeKind::Added)
        .await;
    assert_eq!(first.exec(0, "touch /first-only").await, 0);
    first
        .until_change(0, "/first-only", ChangeKind::Added)
        .await;
    assert!(
        first
            .changes
            .iter()
            .flatten()
            .all(|c| c.path != "/second-only")
    );

    let (one, two) = (first.session().to_string(), second.session().to_string());
    first.handle.close().await;
    assert!(session_containers(&docker, &one).await.is_empty());
    assert_eq!(
        session_containers(&docker, &two).await.len(),
        2,
        "the other lab's containers stay"
    );
    second.handle.close().await;
    assert!(session_containers(&docker, &two).await.is_empty());
}

/// A container as a lab of `session` on `host` starts it.
async fn left_behind(docker: &Docker, image: &str, host: &str, session: String) -> String {
    let spec = layerlab::docker::model::RunSpec {
        image: image.to_string(),
        name: None,
        ports: Vec::new(),
        binds: Vec::new(),
        cmd: Some(vec![
            "sh".into(),
            "-c".into(),
            "while :; do sleep 1; done".into(),
        ]),
        env: Default::default(),
        privileged: false,
        labels: [
            (LAB_LABEL.to_string(), session),
            (lab::LAB_HOST_LABEL.to_string(), host.to_string()),
        ]
        .into(),
    };
    docker.run_container(&spec).await.expect("run").id
}

/// A lab killed with -9 cannot remove its containers. The next lab on the
/// same machine does, and leaves alone those whose process is alive.
#[tokio::test]
async fn a_new_lab_removes_what_a_killed_lab_left_and_nothing_else() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let Some(host) = lab::this_host() else {
        eprintln!("SKIPPED: no /proc/sys/kernel/hostname, orphans are never removed here");
        return;
    };
    let image = busybox_image(&docker).await;
    // A pid that was ours a moment ago and is gone now.
    let mut child = std::process::Command::new("true")
        .spawn()
        .expect("spawn true");
    let dead = child.id();
    child.wait().expect("wait for true");
    let mut cleanup = Cleanup::new();
    let orphan = left_behind(&docker, &image, &host, format!("{dead}-0-dead")).await;
    // pid 1 is always alive: its containers are somebody's running lab.
    let alive = left_behind(&docker, &image, &host, "1-0-alive".to_string()).await;
    cleanup.container(&orphan);
    cleanup.container(&alive);

    let lab = Lab::open(&docker, &image).await;
    let exists = |id: String| {
        let docker = docker.clone();
        async move { docker.inspect_container(&id).await.is_ok() }
    };
    // Other labs of this run may be removing it at the same moment: bounded
    // wait for it to be gone, whoever removes it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while exists(orphan.clone()).await {
        assert!(
            Instant::now() < deadline,
            "the killed lab's container is still there 10 s after a new lab started"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        exists(alive.clone()).await,
        "a live process's container stays"
    );
    lab.handle.close().await;
    docker.remove_container(&alive).await.expect("remove ours");
}

/// The TUI's path: the worker owns the lab; `Shutdown` (what Ctrl-C, SIGTERM
/// and quitting send) removes its containers before the worker ends.
#[tokio::test]
async fn worker_shutdown_removes_the_lab_containers() {
    use layerlab::tui::event::Event;
    use layerlab::tui::worker::{WorkerEvent, WorkerRequest, WorkerSetup};
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let image = busybox_image(&docker).await;
    let data = tempfile::tempdir().expect("tempdir");
    let pack = layerlab::lesson::loader::Pack::load(None).expect("embedded pack");
    let setup = WorkerSetup {
        pack: std::sync::Arc::new(pack),
        lang: layerlab::i18n::Lang::En,
        vars: Default::default(),
        workspace: data.path().to_path_buf(),
    };
    let (events_tx, mut events) = layerlab::tui::event::channel();
    let (worker, task) = layerlab::tui::worker::spawn(setup, events_tx);
    // Sent before the worker has connected, as `layerlab lab IMAGE` does.
    worker
        .send(WorkerRequest::LabOpen { image })
        .expect("worker alive");
    let deadline = Instant::now() + Duration::from_secs(60);
    let session = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Some(Event::Worker(WorkerEvent::Lab(LabEvent::Ready { session, .. })))) => {
                break session;
            }
            Ok(Some(Event::Worker(WorkerEvent::Lab(LabEvent::Error(e))))) => panic!("lab: {e:?}"),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => panic!("the worker's lab did not start within 60 s"),
        }
    };
    assert_eq!(session_containers(&docker, &session).await.len(), 2);
    worker.send(WorkerRequest::Shutdown).expect("worker alive");
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the worker ends after Shutdown")
        .expect("worker task");
    assert!(session_containers(&docker, &session).await.is_empty());
}

/// p50 and p95 of `samples` in milliseconds (nearest rank).
fn percentiles(samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let rank =
        |p: f64| samples[((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len()) - 1];
    (rank(0.50), rank(0.95))
}

fn report(what: &str, samples: &mut [f64]) {
    let (p50, p95) = percentiles(samples);
    let max = samples.last().copied().unwrap_or_default();
    println!(
        "BENCH {what}: n={} p50={p50:.1}ms p95={p95:.1}ms max={max:.1}ms",
        samples.len()
    );
}

/// Change-to-screen latency: from the end of the exec that made a change
/// to the `LabEvent::Changes` carrying its path arriving on the UI's channel.
/// `bash scripts/bench-lab.sh` runs it (release build); docs/lab.md has figures.
#[tokio::test]
#[ignore = "benchmark: bash scripts/bench-lab.sh"]
async fn bench_change_latency() {
    let Some(docker) = docker_or_skip().await else {
        return;
    };
    let samples: usize = std::env::var("LAYERLAB_BENCH_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let image = busybox_image(&docker).await;
    let mut lab = Lab::open(&docker, &image).await;
    assert_eq!(lab.exec(0, "mkdir /bench").await, 0);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;

    // 1. A command typed into the lab: exec end (ExecDone.finished) → Changes.
    let mut typed = Vec::new();
    let mut round_trip = Vec::new();
    for i in 0..samples {
        let sent = Instant::now();
        let path = format!("/bench/lab-{i}");
        let command = format!("echo {i} > {path}");
        lab.handle
            .requests
            .send(LabRequest::Exec {
                slot: 0,
                command: command.clone(),
            })
            .expect("lab alive");
        let (mut finished, mut noticed) = (None, None);
        let deadline = tokio::time::Instant::now() + WAIT;
        while finished.is_none() || noticed.is_none() {
            match lab
                .next(deadline)
                .await
                .expect("exec and change within 20 s")
            {
                LabEvent::ExecDone {
                    command: c,
                    finished: f,
                    ..
                } if c == command => finished = Some(f),
                LabEvent::Changes {
                    slot: 0,
                    changes,
                    noticed: n,
                    ..
                } if noticed.is_none() && changes.iter().any(|c| c.path == path) => {
                    noticed = Some(n)
                }
                _ => {}
            }
        }
        let (finished, noticed) = (finished.expect("set"), noticed.expect("set"));
        // The daemon's exec_die event often triggers the diff before the
        // exec's exit code is read: then the change was on screen first (0).
        typed.push(ms(noticed.saturating_duration_since(finished)));
        round_trip.push(ms(noticed.saturating_duration_since(sent)));
        tokio::time::sleep(Duration::from_millis(37 * (i as u64 % 7))).await;
    }
    report("lab exec (exec end -> Changes)", &mut typed);
    report(
        "lab exec (Enter -> Changes, includes running the command)",
        &mut round_trip,
    );

    // 2. Another client's exec: our own call's return → Changes.
    let id = lab.slots[0].id.clone();
    let mut outside = Vec::new();
    for i in 0..samples {
        let path = format!("/bench/out-{i}");
        let out = docker
            .exec(
                &id,
                &format!("echo {i} > {path}"),
                &CancellationToken::new(),
            )
            .await
            .expect("exec");
        let ended = Instant::now();
        assert_eq!(out.exit_code, 0);
        let noticed = if lab.change(0, &path).is_some() {
            ended
        } else {
            let deadline = tokio::time::Instant::now() + WAIT;
            loop {
                match lab.next(deadline).await.expect("change within 20 s") {
                    LabEvent::Changes {
                        slot: 0,
                        changes,
                        noticed,
                        ..
                    } if changes.iter().any(|c| c.path == path) => {
                        break noticed;
                    }
                    _ => {}
                }
            }
        };
        outside.push(ms(noticed.saturating_duration_since(ended)));
        tokio::time::sleep(Duration::from_millis(37 * (i as u64 % 7))).await;
    }
    report("outside exec (exec end -> Changes)", &mut outside);

    // 3. The container's own process, no event: write time (the file's
    // mtime in the upper directory) → Changes. Needs a readable upperdir.
    let Some(Sizes::UpperDir(upper)) = lab.sizes[0].clone() else {
        println!("BENCH own process: skipped, the upper directory is not readable here");
        lab.handle.close().await;
        return;
    };
    let own = |count: usize, pause: &str, prefix: &str| {
        format!(
            "(i=0; while [ $i -lt {count} ]; do i=$((i+1)); sleep {pause}; echo $i > /bench/{prefix}-$i; done) >/dev/null 2>&1 &"
        )
    };
    for (label, count, pause, prefix) in [
        ("own process, writing every 0.7 s", samples, "0.7", "busy"),
        (
            "own process, first write after 11 s idle",
            samples.min(6),
            "11",
            "idle",
        ),
    ] {
        assert_eq!(lab.exec(0, &own(count, pause, prefix)).await, 0);
        let mut seen = std::collections::BTreeSet::new();
        let mut latencies = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15 * count as u64 + 30);
        while seen.len() < count {
            let event = lab
                .next(deadline)
                .await
                .expect("the writer's files within its time");
            let LabEvent::Changes {
                slot: 0, changes, ..
            } = event
            else {
                continue;
            };
            let now = std::time::SystemTime::now();
            for change in changes
                .iter()
                .filter(|c| c.path.starts_with(&format!("/bench/{prefix}-")))
            {
                if seen.insert(change.path.clone()) {
                    let written =
                        std::fs::metadata(upper.join(change.path.trim_start_matches('/')))
                            .and_then(|m| m.modified())
                            .expect("mtime in the upper directory");
                    latencies.push(ms(now.duration_since(written).unwrap_or_default()));
                }
            }
        }
        report(label, &mut latencies);
    }
    lab.handle.close().await;
}
