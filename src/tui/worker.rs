//! The one task that owns the Docker connection for the TUI. The app sends it
//! `WorkerRequest`s; it answers with `WorkerEvent`s on the app's event
//! channel. At most one job of each kind runs at a time (gitui's rule), and
//! each can be cancelled.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

pub use crate::tui::messages::*;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::docker::client::Docker;
use crate::docker::model::Progress;
use crate::i18n::Text;
use crate::runner::{RunState, Runner};
use crate::tui::event::{Event, EventSender};

/// How often the worker asks the daemon whether it is still there: a lost
/// daemon shows in the status bar within two of these.
const HEALTH_INTERVAL: Duration = Duration::from_millis(700);
const PING_TIMEOUT: Duration = Duration::from_millis(1200);
const NOT_CONNECTED: crate::i18n::UiText =
    crate::t!("Docker не подключён", "Docker is not connected");

/// What the worker needs to run lesson steps.
pub struct WorkerSetup {
    pub pack: Arc<crate::lesson::loader::Pack>,
    pub lang: crate::i18n::Lang,
    pub vars: std::collections::BTreeMap<String, String>,
    pub workspace: std::path::PathBuf,
}

/// Start the worker; send it requests through the returned sender. The
/// handle finishes after `Shutdown`, once the lab's containers are gone.
pub fn spawn(
    setup: WorkerSetup,
    events: EventSender,
) -> (UnboundedSender<WorkerRequest>, JoinHandle<()>) {
    let (tx, rx) = unbounded_channel();
    (tx, tokio::spawn(worker_loop(setup, rx, events)))
}

type StepJob = JoinHandle<(Runner, String, String, StepOutcome)>;

async fn worker_loop(
    setup: WorkerSetup,
    mut requests: UnboundedReceiver<WorkerRequest>,
    events: EventSender,
) {
    let endpoint = match crate::docker::endpoint::resolve_from_process() {
        Ok(endpoint) => endpoint,
        Err(e) => return answer_without_endpoint(e, requests, events).await,
    };
    let (lab_tx, mut lab_events) = unbounded_channel();
    let (requeue, mut requeued) = unbounded_channel::<WorkerRequest>();
    let comparer = spawn_comparer(events.clone());
    let mut worker = Worker {
        state: RunState {
            vars: setup.vars.clone(),
            ..RunState::default()
        },
        setup,
        events,
        endpoint_text: endpoint.url.clone(),
        endpoint,
        credentials: BTreeMap::new(),
        docker: None,
        last_state: None,
        job: None,
        watching: None,
        consent: None,
        lab: None,
        lab_wanted: None,
        lab_tx,
        waiting: Vec::new(),
        requeue,
        comparer,
    };
    worker.send(WorkerEvent::Daemon(DaemonState::Connecting {
        endpoint: worker.endpoint_text.clone(),
    }));
    // Pings and connects run on their own task: a slow or silent daemon must
    // not hold up requests (a Shutdown on quit, a Cancel).
    let mut probe: Option<JoinHandle<Probe>> = None;
    let mut health = tokio::time::interval(HEALTH_INTERVAL);
    health.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = health.tick(), if probe.is_none() => {
                probe = Some(tokio::spawn(probe_daemon(worker.docker.clone(), worker.endpoint.clone())));
            }
            probed = async { (&mut probe.as_mut().expect("guarded by the branch condition")).await }, if probe.is_some() => {
                probe = None;
                worker.on_probe(probed.unwrap_or_else(|e| Probe::Failed(format!("the health check ended abnormally: {e}"))));
            }
            finished = async { (&mut worker.job.as_mut().expect("guarded by the branch condition").0).await }, if worker.job.is_some() => {
                worker.job = None;
                match finished {
                    Ok(finished) => worker.on_step_finished(finished),
                    Err(e) => tracing::error!("a lesson step's task ended abnormally: {e}"),
                }
            }
            Some(event) = lab_events.recv() => worker.send(WorkerEvent::Lab(event)),
            request = next_request(&mut requeued, &mut requests) => {
                let Some(request) = request else { break };
                if worker.on_request(request).await.is_break() {
                    break;
                }
            }
        }
    }
    if let Some(cancel) = worker.watching {
        cancel.cancel();
    }
    shutdown(worker.lab, worker.job).await;
}

/// Without an endpoint there is nothing to retry: say the daemon is lost,
/// and still answer each step with the reason, until the app quits.
async fn answer_without_endpoint(
    e: crate::docker::endpoint::EndpointError,
    mut requests: UnboundedReceiver<WorkerRequest>,
    events: EventSender,
) {
    let send = |e: WorkerEvent| {
        let _ = events.send(Event::Worker(e));
    };
    send(WorkerEvent::Daemon(DaemonState::Lost {
        endpoint: String::new(),
        error: e.to_string(),
    }));
    while let Some(request) = requests.recv().await {
        if let WorkerRequest::RunStep { lesson, step } = request {
            send(WorkerEvent::StepFinished {
                lesson,
                step,
                outcome: StepOutcome::failed(
                    Text::from_fn(|lang| format!("{e}\n  → {}", e.fix(lang))),
                    StepError::Failed,
                ),
            });
        }
    }
}

/// The worker's state between events.
struct Worker {
    setup: WorkerSetup,
    events: EventSender,
    endpoint: crate::docker::endpoint::Endpoint,
    endpoint_text: String,
    state: RunState,
    credentials: BTreeMap<String, crate::docker::credentials::Credentials>,
    docker: Option<Docker>,
    last_state: Option<DaemonState>,
    job: Option<(StepJob, CancellationToken)>,
    /// Watching the open step: at most one, cancelled when another starts.
    watching: Option<CancellationToken>,
    /// The step the learner last said `y` to (see `WorkerRequest::Consent`).
    consent: Option<(String, String)>,
    lab: Option<crate::docker::lab::LabHandle>,
    /// A lab asked for while the daemon is away opens once it is back.
    lab_wanted: Option<String>,
    lab_tx: UnboundedSender<crate::docker::lab::LabEvent>,
    /// Requests that need the daemon, sent before the first health check
    /// answered (`layerlab lab` opens the lab at start-up).
    waiting: Vec<WorkerRequest>,
    requeue: UnboundedSender<WorkerRequest>,
    /// The image comparisons' own task (see `spawn_comparer`).
    comparer: tokio::sync::watch::Sender<Option<crate::tui::messages::ComparePair>>,
}

impl Worker {
    fn send(&self, event: WorkerEvent) {
        let _ = self.events.send(Event::Worker(event));
    }

    /// A health check's answer: the status bar hears of a change, a lost
    /// daemon cancels the running step, a new client opens a lab waiting for it.
    fn on_probe(&mut self, outcome: Probe) {
        let error = match outcome {
            Probe::Alive => None,
            Probe::Connected(client, version) => {
                let connected = DaemonState::Connected {
                    endpoint: self.endpoint_text.clone(),
                    version,
                    api: client.api_version().to_string(),
                };
                if let Some(image) = self.lab_wanted.take() {
                    self.lab = Some(crate::docker::lab::open(
                        (*client).clone(),
                        image,
                        self.lab_tx.clone(),
                    ));
                }
                self.docker = Some(*client);
                if self.last_state.as_ref() != Some(&connected) {
                    tracing::info!(endpoint = %self.endpoint_text, "Docker daemon connected");
                    self.send(WorkerEvent::Daemon(connected.clone()));
                    self.last_state = Some(connected);
                }
                None
            }
            Probe::Failed(error) => Some(error),
        };
        if let Some(error) = error {
            self.docker = None;
            if !matches!(self.last_state, Some(DaemonState::Lost { .. })) {
                tracing::warn!(endpoint = %self.endpoint_text, "Docker daemon lost: {error}");
                if let Some((_, cancel)) = &self.job {
                    cancel.cancel();
                }
                let lost = DaemonState::Lost {
                    endpoint: self.endpoint_text.clone(),
                    error,
                };
                self.send(WorkerEvent::Daemon(lost.clone()));
                self.last_state = Some(lost);
            }
        }
        // Requests that came before the first answer go now: with a
        // client, or to fail with the daemon's error.
        for request in std::mem::take(&mut self.waiting) {
            let _ = self.requeue.send(request);
        }
    }

    /// A step's task ended: keep what it learnt, and report it (as the
    /// daemon's loss when that is what cut it short).
    fn on_step_finished(
        &mut self,
        (runner, lesson, step, mut outcome): (Runner, String, String, StepOutcome),
    ) {
        if let (false, Some(DaemonState::Lost { endpoint, error })) =
            (outcome.ok(), &self.last_state)
        {
            outcome.summary = lost_message(endpoint, error);
            outcome.error = Some(StepError::DaemonLost {
                endpoint: endpoint.clone(),
            });
        }
        self.state = runner.state;
        self.state.vars.extend(outcome.vars.clone());
        self.send(WorkerEvent::StepFinished {
            lesson,
            step,
            outcome,
        });
    }

    /// One request from the app; `Break` ends the worker.
    async fn on_request(&mut self, request: WorkerRequest) -> ControlFlow<()> {
        if self.last_state.is_none() && needs_client(&request) {
            self.waiting.push(request);
            return ControlFlow::Continue(());
        }
        match request {
            WorkerRequest::Shutdown => return ControlFlow::Break(()),
            WorkerRequest::Analyze { image } => self.analyze(image),
            WorkerRequest::AnalyzeArchive { path } => analyze_archive(path, self.events.clone()),
            WorkerRequest::Compare(pair) => {
                let _ = self.comparer.send(Some(pair));
            }
            WorkerRequest::ReadFile {
                source,
                member,
                path,
                layer,
            } => {
                tokio::spawn(read_file(
                    self.docker.clone(),
                    self.events.clone(),
                    source,
                    member,
                    path,
                    layer,
                ));
            }
            WorkerRequest::LabOpen { image } => {
                if let Some(old) = self.lab.take() {
                    old.close().await;
                }
                match self.docker.clone() {
                    Some(client) => {
                        self.lab =
                            Some(crate::docker::lab::open(client, image, self.lab_tx.clone()))
                    }
                    None => self.lab_wanted = Some(image),
                }
            }
            WorkerRequest::Lab(request) => {
                if let Some(lab) = &self.lab {
                    let _ = lab.requests.send(request);
                }
            }
            WorkerRequest::LabClose => {
                self.lab_wanted = None;
                if let Some(old) = self.lab.take() {
                    old.close().await;
                }
            }
            WorkerRequest::Cancel(JobKind::Step) => {
                if let Some((_, cancel)) = &self.job {
                    cancel.cancel();
                }
            }
            WorkerRequest::Cancel(JobKind::Watch) => {
                if let Some(cancel) = self.watching.take() {
                    cancel.cancel();
                }
            }
            WorkerRequest::WatchStep { lesson, step } => self.watch_step(lesson, step),
            WorkerRequest::SetVar { name, value } => {
                self.state.vars.insert(name, value);
            }
            WorkerRequest::Consent { lesson, step } => self.consent = Some((lesson, step)),
            WorkerRequest::SetCredentials {
                registry,
                credentials,
            } => {
                self.credentials.insert(registry, credentials);
            }
            WorkerRequest::RunStep { lesson, step } => self.run_step(lesson, step),
        }
        ControlFlow::Continue(())
    }

    /// Analyse a daemon's image on a task of its own; answers with `Analysis`.
    fn analyze(&self, image: String) {
        let Some(client) = self.docker.clone() else {
            self.send(WorkerEvent::Analysis {
                image,
                result: Err(NOT_CONNECTED.into()),
            });
            return;
        };
        let events = self.events.clone();
        let base = self.setup.vars.get("base_image").cloned();
        tokio::spawn(async move {
            let result =
                crate::docker::layers::analyze_image_with_base(&client, &image, base.as_deref())
                    .await
                    .map(Arc::new)
                    .map_err(|e| Text::from_fn(|lang| e.message(lang)));
            let _ = events.send(Event::Worker(WorkerEvent::Analysis { image, result }));
        });
    }

    /// A runner for a step, with the state and credentials so far.
    fn runner(&self, client: Docker, confirmed: bool) -> Runner {
        Runner {
            docker: client,
            pack: self.setup.pack.clone(),
            state: self.state.clone(),
            confirmed,
            workspace: self.setup.workspace.clone(),
            credentials: self.credentials.clone(),
        }
    }

    /// Watch the open step (instead of the one watched before).
    fn watch_step(&mut self, lesson: String, step: String) {
        if let Some(cancel) = self.watching.take() {
            cancel.cancel();
        }
        let Some(client) = self.docker.clone() else {
            return;
        };
        let runner = self.runner(client, false);
        let cancel = CancellationToken::new();
        spawn_watch(
            runner,
            self.setup.lang,
            lesson,
            step,
            self.events.clone(),
            cancel.clone(),
        );
        self.watching = Some(cancel);
    }

    fn run_step(&mut self, lesson: String, step: String) {
        // At most one step job at a time; the UI doesn't ask for a second.
        if self.job.is_some() {
            return;
        }
        let Some(client) = self.docker.clone() else {
            self.send(WorkerEvent::StepFinished {
                lesson,
                step,
                outcome: StepOutcome::failed(NOT_CONNECTED, StepError::Failed),
            });
            return;
        };
        let host_access = self
            .setup
            .pack
            .step(&format!("{lesson}/{step}"))
            .is_none_or(|(_, s)| crate::runner::confine::host_access(s));
        // Host access only for the step the learner said `y` to, once;
        // another `confirm` step was confirmed by its Enter.
        let confirmed = self.consent.take() == Some((lesson.clone(), step.clone())) || !host_access;
        let runner = self.runner(client, confirmed);
        let cancel = CancellationToken::new();
        self.job = Some((
            spawn_step(runner, lesson, step, self.events.clone(), cancel.clone()),
            cancel,
        ));
    }
}

/// Analyse an image archive on a blocking task; answers with `Analysis`.
fn analyze_archive(path: std::path::PathBuf, events: EventSender) {
    tokio::task::spawn_blocking(move || {
        let image = path.display().to_string();
        let result = std::fs::File::open(&path)
            .map_err(|e| Text::plain(format!("{image}: {e}")))
            .and_then(|file| {
                crate::layers::analyze_archive(std::io::BufReader::new(file), &image)
                    .map_err(|e| Text::from_fn(|lang| e.message(lang)))
            })
            .map(Arc::new);
        let _ = events.send(Event::Worker(WorkerEvent::Analysis { image, result }));
    });
}

/// Watch one step on its own task; it ends when the state is reached or
/// `cancel` fires (the learner moved on, the app quits).
fn spawn_watch(
    runner: Runner,
    lang: crate::i18n::Lang,
    lesson_id: String,
    step_id: String,
    events: EventSender,
    cancel: CancellationToken,
) {
    tokio::spawn(async move {
        let pack = runner.pack.clone();
        let Some((lesson, step)) = pack.step(&format!("{lesson_id}/{step_id}")) else {
            return;
        };
        let mut watcher = crate::watch::Watcher::new(runner, lang);
        crate::watch::session::watch_step(&mut watcher, lesson, step, &cancel, |report| {
            let _ = events.send(Event::Worker(WorkerEvent::Watched {
                lesson: lesson_id.clone(),
                step: step_id.clone(),
                report: Box::new(report),
            }));
        })
        .await;
    });
}

/// What the worker leaves behind must be only what the learner keeps:
/// the lab's containers go, a running step is cancelled.
async fn shutdown(
    lab: Option<crate::docker::lab::LabHandle>,
    job: Option<(StepJob, CancellationToken)>,
) {
    if let Some((handle, cancel)) = job {
        cancel.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(5), handle).await;
    }
    if let Some(lab) = lab {
        lab.close().await;
    }
}

/// The comparisons' own task: off the UI thread (two big images take a
/// while), one at a time, and only the newest waiting request is kept.
fn spawn_comparer(
    events: EventSender,
) -> tokio::sync::watch::Sender<Option<crate::tui::messages::ComparePair>> {
    spawn_latest(events, |pair: crate::tui::messages::ComparePair| {
        WorkerEvent::Compared {
            comparison: Box::new(crate::layers::compare::compare(&pair.left, &pair.right)),
            left_ref: pair.left_ref,
            right_ref: pair.right_ref,
        }
    })
}

/// A task doing `work` on a blocking thread for each job sent, one at a
/// time: a watch channel holds one value, so jobs sent while one runs
/// replace each other and only the newest is done next. It ends with the
/// sender (the worker).
fn spawn_latest<T, W>(events: EventSender, work: W) -> tokio::sync::watch::Sender<Option<T>>
where
    T: Clone + Send + Sync + 'static,
    W: Fn(T) -> WorkerEvent + Send + Sync + 'static,
{
    let (tx, mut rx) = tokio::sync::watch::channel(None);
    let work = Arc::new(work);
    tokio::spawn(async move {
        while rx.changed().await.is_ok() {
            let Some(job) = rx.borrow_and_update().clone() else {
                continue;
            };
            let work = Arc::clone(&work);
            match tokio::task::spawn_blocking(move || work(job)).await {
                Ok(event) => {
                    let _ = events.send(Event::Worker(event));
                }
                Err(e) => tracing::error!("a background job's task ended abnormally: {e}"),
            }
        }
    });
    tx
}

/// One piece of a step's progress as the lesson screen shows it. A build's
/// `Step N/M : …` line already arrives as a log line of its own; its counter
/// only moves the step counter (a second log line for it printed it twice).
fn progress_line(progress: Progress) -> ProgressLine {
    match progress {
        Progress::BuildLog(text) | Progress::Status(text) => ProgressLine::Log(text),
        Progress::BuildStep { number, total, .. } => ProgressLine::Counter {
            current: number,
            total,
        },
        Progress::Layer {
            id,
            current,
            total,
            status,
        } => ProgressLine::Bar {
            id,
            current: current.unwrap_or(0),
            total: total.unwrap_or(0),
            status,
        },
    }
}

fn spawn_step(
    mut runner: Runner,
    lesson_id: String,
    step_id: String,
    events: EventSender,
    cancel: CancellationToken,
) -> StepJob {
    tokio::spawn(async move {
        let (tx, mut rx) = unbounded_channel::<Progress>();
        let forward_events = events.clone();
        let forward = tokio::spawn(async move {
            while let Some(progress) = rx.recv().await {
                let line = progress_line(progress);
                let _ = forward_events.send(Event::Worker(WorkerEvent::Progress {
                    kind: JobKind::Step,
                    line,
                }));
            }
        });
        let pack = runner.pack.clone();
        let outcome = match pack.step(&format!("{lesson_id}/{step_id}")) {
            Some((lesson, step)) => {
                tokio::select! {
                    outcome = runner.run_step(lesson, step, &tx, &cancel) => outcome,
                    _ = cancel.cancelled() => StepOutcome::failed(crate::t!("Отменено", "Cancelled"), StepError::Cancelled),
                }
            }
            None => {
                let id = format!("{lesson_id}/{step_id}");
                StepOutcome::failed(
                    Text::from_fn(|lang| {
                        crate::tr!(
                            lang,
                            "в наборе уроков нет шага {id}",
                            "no step {id} in the lesson pack"
                        )
                    }),
                    StepError::Failed,
                )
            }
        };
        drop(tx);
        let _ = forward.await;
        (runner, lesson_id, step_id, outcome)
    })
}

/// Requests put back after the first health check come before new ones.
async fn next_request(
    requeued: &mut UnboundedReceiver<WorkerRequest>,
    requests: &mut UnboundedReceiver<WorkerRequest>,
) -> Option<WorkerRequest> {
    if let Ok(request) = requeued.try_recv() {
        return Some(request);
    }
    requests.recv().await
}

/// One file of one layer, read again from the image (or its archive) for the
/// explorer's file view; answers with `FileRead`.
async fn read_file(
    client: Option<Docker>,
    events: EventSender,
    source: ImageSource,
    member: String,
    path: String,
    layer: usize,
) {
    let stored: Result<_, Text> = match source {
        ImageSource::Daemon(image) => match client {
            Some(client) => crate::docker::layers::read_image_file(&client, &image, &member, &path)
                .await
                .map_err(|e| Text::from_fn(|lang| e.message(lang))),
            None => Err(NOT_CONNECTED.into()),
        },
        ImageSource::Archive(file) => {
            let (member, path) = (member.clone(), path.clone());
            tokio::task::spawn_blocking(move || {
                let name = file.display().to_string();
                std::fs::File::open(&file)
                    .map_err(|e| Text::plain(format!("{name}: {e}")))
                    .and_then(|f| {
                        crate::layers::content::read_stored(
                            f,
                            &member,
                            &path,
                            crate::layers::content::SHOWN_BYTES,
                        )
                        .map_err(|e| Text::from_fn(|lang| e.message(lang)))
                    })
            })
            .await
            .unwrap_or_else(|e| Err(Text::plain(e.to_string())))
        }
    };
    let result = stored.map(|stored| crate::layers::content::FileContent {
        path: path.clone(),
        layer,
        stored,
    });
    let _ = events.send(Event::Worker(WorkerEvent::FileRead {
        path,
        layer,
        result,
    }));
}

fn needs_client(request: &WorkerRequest) -> bool {
    matches!(
        request,
        WorkerRequest::RunStep { .. }
            | WorkerRequest::LabOpen { .. }
            | WorkerRequest::Analyze { .. }
    )
}

/// What a health check found.
enum Probe {
    /// The existing connection answered its ping.
    Alive,
    /// A new connection, with the engine's version for the status bar.
    Connected(Box<Docker>, String),
    Failed(String),
}

async fn probe_daemon(
    client: Option<Docker>,
    endpoint: crate::docker::endpoint::Endpoint,
) -> Probe {
    match client {
        Some(client) => match tokio::time::timeout(PING_TIMEOUT, client.ping()).await {
            Ok(Ok(())) => Probe::Alive,
            Ok(Err(e)) => Probe::Failed(e.to_string()),
            Err(_) => Probe::Failed(format!("no answer within {} ms", PING_TIMEOUT.as_millis())),
        },
        None => match Docker::connect(&endpoint).await {
            Ok(client) => {
                let version = tokio::time::timeout(PING_TIMEOUT, client.engine_info())
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .map(|info| info.engine_version)
                    .unwrap_or_default();
                Probe::Connected(Box::new(client), version)
            }
            Err(e) => Probe::Failed(e.to_string()),
        },
    }
}

/// A step cut short because the daemon went away: say so, and that it can be
/// redone, rather than a bare "cancelled" or a socket error.
fn lost_message(endpoint: &str, error: &str) -> Text {
    Text::from_fn(|lang| {
        crate::tr!(
            lang,
            "Docker недоступен: шаг не завершён, повторите его, когда в строке состояния снова будет ● Docker ({endpoint}: {error})",
            "Docker went away: the step did not finish; redo it once the status bar shows ● Docker again ({endpoint}: {error})"
        )
    })
}

#[cfg(test)]
mod progress_tests {
    use super::*;

    /// The client sends a build's step as a counter and as its log line:
    /// the screen gets the line once.
    #[test]
    fn a_build_step_line_is_shown_once() {
        let sent = vec![
            Progress::BuildStep {
                number: 1,
                total: 7,
                instruction: "ARG BASE_IMAGE=alpine:3.22".to_string(),
            },
            Progress::BuildLog("Step 1/7 : ARG BASE_IMAGE=alpine:3.22".to_string()),
        ];
        let shown: Vec<ProgressLine> = sent.into_iter().map(progress_line).collect();
        let logs = shown
            .iter()
            .filter(|l| matches!(l, ProgressLine::Log(t) if t.contains("Step 1/7")))
            .count();
        assert_eq!(logs, 1, "{shown:?}");
        assert!(shown.iter().any(|l| matches!(
            l,
            ProgressLine::Counter {
                current: 1,
                total: 7
            }
        )));
    }
}

#[cfg(test)]
mod latest_tests {
    use super::*;

    /// Jobs sent while one runs replace each other: the running one and the
    /// newest are done, the ones between are not.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn only_the_newest_waiting_job_is_done() {
        let (events, mut received) = crate::tui::event::channel();
        let jobs = spawn_latest(events, |n: u32| {
            std::thread::sleep(Duration::from_millis(150));
            WorkerEvent::Progress {
                kind: JobKind::Step,
                line: ProgressLine::Log(n.to_string()),
            }
        });
        jobs.send(Some(1)).expect("the task is running");
        tokio::time::sleep(Duration::from_millis(50)).await;
        for n in 2..=4 {
            jobs.send(Some(n)).expect("the task is running");
        }
        let mut done = Vec::new();
        while done.len() < 2 {
            let event = tokio::time::timeout(Duration::from_secs(5), received.recv())
                .await
                .expect("an answer within 5 s");
            if let Some(Event::Worker(WorkerEvent::Progress {
                line: ProgressLine::Log(n),
                ..
            })) = event
            {
                done.push(n);
            }
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(received.try_recv().is_err(), "no third job was done");
        assert_eq!(done, ["1", "4"]);
    }
}
