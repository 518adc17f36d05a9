//! The mistakes the watcher recognises. A lesson's `hints:` say which to
//! look for while a step is open and what to tell the learner; the evidence
//! lines (the layer count, the last log lines) are added here, in both
//! languages.

use super::{Seen, Watcher, under};
use crate::docker::model::short_id;
use crate::i18n::{Lang, Noun, count};
use crate::lesson::Step;
use crate::lesson::watch_model::HintWhen;
use crate::tr;

/// Log lines shown when a container exited.
const LOG_LINES: usize = 5;

const LAYER: Noun = Noun {
    ru: ["слой", "слоя", "слоёв"],
    en: ["layer", "layers"],
};

/// A hint to show: the lesson's text and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HintFound {
    pub when: HintWhen,
    pub text: String,
    pub evidence: Vec<String>,
}

impl HintFound {
    /// Shown once per step for the same finding.
    pub fn key(&self) -> String {
        format!("{:?}|{}", self.when, self.evidence.join("|"))
    }

    /// The name of the state as written in lesson YAML.
    pub fn name(&self) -> &'static str {
        crate::lesson::watch_model::HINT_NAMES[self.when as usize]
    }
}

pub(super) async fn find(watcher: &mut Watcher, step: &Step, seen: &Seen) -> Vec<HintFound> {
    let mut found = Vec::new();
    for hint in &step.hints {
        let lang = watcher.lang();
        let evidence = match hint.when {
            HintWhen::DockerfileIsTemplate => dockerfile_unwritten(watcher, step, lang),
            when => evidence(watcher, when, seen, lang).await,
        };
        if let Some(evidence) = evidence {
            found.push(HintFound {
                when: hint.when,
                text: hint.text.get(lang).trim().to_string(),
                evidence,
            });
        }
    }
    found
}

// one piece: one arm per mistake
async fn evidence(
    watcher: &mut Watcher,
    when: HintWhen,
    seen: &Seen,
    lang: Lang,
) -> Option<Vec<String>> {
    match when {
        HintWhen::TooManyLayers => {
            let max = watcher.max_layers?;
            let recipe = watcher.recipe()?;
            let found = watcher.learner.clone()?;
            let facts = watcher
                .cache
                .facts(&watcher.runner.docker, &found.id, &recipe.at)
                .await;
            let layers = facts.layers.len();
            if !facts.analysed || layers <= max as usize {
                return None;
            }
            let mut lines = vec![tr!(
                lang,
                "в образе {}, а можно не больше {max}",
                "the image has {}, and the limit is {max}",
                count(lang, layers, LAYER)
            )];
            let runs = super::learner::run_instructions(&facts.layers);
            if runs.len() > 1 {
                lines.push(tr!(
                    lang,
                    "объедините эти RUN в один через &&:",
                    "merge these RUNs into one with &&:"
                ));
                lines.extend(runs.into_iter().map(|r| format!("  {r}")));
            }
            Some(lines)
        }
        HintWhen::ApkCacheLeft => {
            let recipe = watcher.recipe()?;
            let found = watcher.learner.clone()?;
            let facts = watcher
                .cache
                .facts(&watcher.runner.docker, &found.id, &recipe.at)
                .await;
            let first = *facts.apk_cache_layers.first()?;
            let made_by = facts.layers.get(first).cloned().unwrap_or_default();
            Some(vec![tr!(
                lang,
                "слой {} хранит /var/cache/apk: {}",
                "layer {} keeps /var/cache/apk: {}",
                first + 1,
                made_by.trim()
            )])
        }
        // Needs the step (its build action): answered in `find`.
        HintWhen::DockerfileIsTemplate => None,
        HintWhen::PageIsTemplate => {
            let recipe = watcher.recipe()?;
            let now = std::fs::read(&recipe.page_file).ok()?;
            let relative = recipe
                .page_file
                .strip_prefix(&watcher.runner.workspace)
                .ok()?
                .to_string_lossy()
                .into_owned();
            let template = super::template_of(&watcher.runner.pack, &relative)?;
            (now == template).then(|| {
                vec![tr!(
                    lang,
                    "{} всё ещё шаблон",
                    "{} is still the template",
                    recipe.page_file.display()
                )]
            })
        }
        HintWhen::ContainerExited => {
            let image = seen
                .image_id
                .clone()
                .or_else(|| watcher.learner.as_ref().map(|f| f.id.clone()))?;
            let list = watcher.runner.docker.list_all_containers().await.ok()?;
            // Stopped or removed on purpose is not a crash.
            let exited = match &seen.container {
                Some(c) if c.state == "exited" && !c.was_stopped() => Some(c.clone()),
                Some(_) => None,
                None => list
                    .iter()
                    .find(|c| c.image_id == image && c.state == "exited" && !c.was_stopped())
                    .cloned(),
            }?;
            let mut lines = vec![tr!(
                lang,
                "контейнер {} завершился",
                "container {} has exited",
                exited.name
            )];
            let logs = watcher
                .runner
                .docker
                .container_log_tail(&exited.id, LOG_LINES)
                .await;
            if !logs.is_empty() {
                lines.push(tr!(
                    lang,
                    "последние строки журнала:",
                    "its last log lines:"
                ));
                lines.extend(
                    logs.iter()
                        .map(|l| format!("  {}", crate::watch::printable(l))),
                );
            }
            if let Ok(Some(command)) = watcher.runner.docker.image_command(&exited.image_id).await {
                let line = command.line();
                if line.contains("nginx") && !line.contains("daemon off") {
                    lines.push(tr!(
                        lang,
                        "CMD образа: `{line}` — без `daemon off;` nginx уходит в фон, и контейнер сразу завершается",
                        "the image's CMD: `{line}`: without `daemon off;` nginx goes to the background and the container ends at once"
                    ));
                }
            }
            Some(lines)
        }
        HintWhen::PortOnAllInterfaces => {
            open_to_the_network(seen.container.as_ref()?, seen.port, lang)
        }
        HintWhen::NoPort => {
            let container = seen.container.as_ref().filter(|c| c.running())?;
            let want = seen.port?;
            if container.ports.iter().any(|p| p.container == want) {
                return None;
            }
            Some(vec![tr!(
                lang,
                "{}: порт {want} не опубликован (нет -p)",
                "{}: port {want} is not published (no -p)",
                container.name
            )])
        }
        HintWhen::NotTaggedForRegistry => {
            let registry = watcher.runner.state.vars.get("registry")?.clone();
            let found = watcher.learner.clone()?;
            // Any name under the registry will do, the one the image was built
            // under too (`docker build -t REGISTRY/…`).
            if found
                .tags
                .iter()
                .any(|t| under(&crate::runner::repository_of(t), &registry))
            {
                return None;
            }
            // The build's own name is not a new one: the hint waits for a tag.
            let first = found.tag.clone();
            let others: Vec<&String> = found
                .tags
                .iter()
                .filter(|t| Some(*t) != first.as_ref())
                .collect();
            if others.is_empty() {
                return None;
            }
            Some(vec![tr!(
                lang,
                "новые имена образа: {} — ни одно не начинается с {registry}/",
                "the image's new names: {}: none starts with {registry}/",
                others
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )])
        }
        HintWhen::PushRefused => {
            let registry = watcher.runner.state.vars.get("registry")?.clone();
            let host = registry.split('/').next().unwrap_or("").to_string();
            let namespace = registry.split('/').nth(1).map(str::to_string);
            let probe = format!("{registry}/probe:latest");
            let stored = watcher
                .runner
                .docker
                .stored_credentials(&probe)
                .await
                .ok()?;
            let no_login = || {
                vec![tr!(
                    lang,
                    "для {host} нет сохранённого входа: выполните `docker login {host}`",
                    "no stored login for {host}: run `docker login {host}`"
                )]
            };
            match stored {
                None if !is_loopback(&host) => Some(no_login()),
                // A registry on this machine may be open to all: it is asked.
                None => watcher.wants_login(&host, &registry).await.then(no_login),
                Some(credentials) => {
                    let user = credentials.username().unwrap_or_default().to_string();
                    let hub = matches!(host.as_str(), "docker.io" | "index.docker.io");
                    match namespace {
                        Some(ns) if hub && !user.is_empty() && !ns.eq_ignore_ascii_case(&user) => {
                            Some(vec![tr!(
                                lang,
                                "вы вошли как {user}, а публикуете в {ns}/: Docker Hub примет только {user}/…",
                                "you are logged in as {user}, but push to {ns}/: Docker Hub accepts only {user}/…"
                            )])
                        }
                        _ => None,
                    }
                }
            }
        }
        HintWhen::RegistryDiffers => {
            let registry = watcher.runner.state.vars.get("registry")?.clone();
            let found = watcher.learner.clone()?;
            if watcher.digests_are_names().await {
                // The containerd store: its digests are only names, so the
                // registry says what it holds (pushes.rs).
                if watcher
                    .in_registry(&found.tags, &found.id, &registry)
                    .await
                    .is_some()
                {
                    return None;
                }
                let images = watcher.runner.docker.list_all_images().await.ok()?;
                let (_, earlier) = watcher
                    .earlier_in_registry(&images, &found.id, &registry)
                    .await?;
                return Some(vec![differs(lang, &earlier, &found.id)]);
            }
            if found
                .repo_digests
                .iter()
                .any(|d| under(d.split('@').next().unwrap_or(""), &registry))
            {
                return None;
            }
            let images = watcher.runner.docker.list_all_images().await.ok()?;
            let pushed = images.iter().find(|i| {
                i.repo_digests
                    .iter()
                    .any(|d| under(d.split('@').next().unwrap_or(""), &registry))
            })?;
            Some(vec![differs(lang, &pushed.id, &found.id)])
        }
    }
}

/// `port_on_all_interfaces`: the running container publishes `port` (any
/// port when `None`) on every interface; the line says which binding.
fn open_to_the_network(
    container: &crate::docker::client::ContainerSummary,
    port: Option<u16>,
    lang: Lang,
) -> Option<Vec<String>> {
    if !container.running() {
        return None;
    }
    let open = container
        .ports
        .iter()
        .find(|p| port.is_none_or(|want| p.container == want) && p.on_all_interfaces())?;
    Some(vec![tr!(
        lang,
        "{}: порт {} открыт на всех интерфейсах ({}:{})",
        "{}: port {} is open on every interface ({}:{})",
        container.name,
        open.container,
        if open.host_ip.is_empty() {
            "0.0.0.0"
        } else {
            &open.host_ip
        },
        open.host
    )])
}

fn differs(lang: Lang, pushed: &str, now: &str) -> String {
    tr!(
        lang,
        "в реестре {} (ваш прежний образ), а локально ваш образ теперь {}: пересобран после публикации — поставьте тег и опубликуйте снова",
        "the registry has {} (your earlier image), while your image is now {}: rebuilt after the push; tag and push it again",
        short_id(pushed),
        short_id(now)
    )
}

/// The build step's Dockerfile, when the learner has not written it yet:
/// still the template as copied, or without a `FROM` line (nothing builds).
fn dockerfile_unwritten(watcher: &Watcher, step: &Step, lang: Lang) -> Option<Vec<String>> {
    let Some(crate::lesson::Action::Build {
        context,
        dockerfile,
        ..
    }) = &step.action
    else {
        return None;
    };
    let context = watcher.runner.fill(context).ok()?;
    let relative = format!("{}/{dockerfile}", context.trim_end_matches('/'));
    let file = watcher.runner.workspace.join(&relative);
    // Before the template is copied there is nothing to say about it yet.
    let now = std::fs::read(&file).ok()?;
    let shown = file.display().to_string();
    if watcher.runner.pack.template_of(&relative) == Some(now.as_slice()) {
        return Some(vec![tr!(
            lang,
            "{shown} всё ещё шаблон: под строками TODO нет инструкций",
            "{shown} is still the template: no instructions under the TODO lines"
        )]);
    }
    let has_from = String::from_utf8_lossy(&now).lines().any(|line| {
        let word = line.split_whitespace().next().unwrap_or("");
        word.eq_ignore_ascii_case("FROM")
    });
    (!has_from).then(|| {
        vec![tr!(
            lang,
            "в {shown} ещё нет инструкции FROM",
            "{shown} has no FROM instruction yet"
        )]
    })
}

fn is_loopback(host: &str) -> bool {
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(name, "127.0.0.1" | "localhost" | "[::1]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::client::{ContainerSummary, published_ports};

    /// `Ports` of `/containers/json` as Docker Engine returns it for a
    /// container started with `-p 8080:80` (no address: every interface, one
    /// entry for IPv4 and one for IPv6), or with `-p 127.0.0.1:8080:80`.
    fn ports_from_the_api(json: &str) -> Vec<crate::docker::client::PublishedPort> {
        published_ports(serde_json::from_str(json).expect("the API's port list"))
    }

    const ALL_INTERFACES: &str = r#"[
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"}
    ]"#;
    const LOOPBACK: &str =
        r#"[{"IP": "127.0.0.1", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"}]"#;

    fn container(state: &str, json: &str) -> ContainerSummary {
        ContainerSummary {
            id: "c0ffee".into(),
            name: "mynginx".into(),
            image_id: "sha256:1".into(),
            state: state.into(),
            status: "Up 2 seconds".into(),
            ports: ports_from_the_api(json),
            labels: Default::default(),
        }
    }

    #[test]
    fn a_port_published_without_an_address_is_open_to_the_network() {
        let ports = ports_from_the_api(ALL_INTERFACES);
        assert_eq!(ports.len(), 2, "{ports:?}");
        assert!(ports.iter().all(|p| p.container == 80 && p.host == 8080));
        assert!(ports.iter().all(|p| p.on_all_interfaces()), "{ports:?}");
        let loopback = ports_from_the_api(LOOPBACK);
        assert_eq!(loopback.len(), 1);
        assert!(!loopback[0].on_all_interfaces());
        // An exposed port nobody published has no host port: not listed.
        let exposed = ports_from_the_api(r#"[{"PrivatePort": 80, "Type": "tcp"}]"#);
        assert!(exposed.is_empty(), "{exposed:?}");
    }

    #[test]
    fn the_hint_names_the_container_and_the_binding_in_both_languages() {
        let open = container("running", ALL_INTERFACES);
        assert_eq!(
            open_to_the_network(&open, Some(80), Lang::Ru),
            Some(vec![
                "mynginx: порт 80 открыт на всех интерфейсах (0.0.0.0:8080)".to_string()
            ])
        );
        assert_eq!(
            open_to_the_network(&open, None, Lang::En),
            Some(vec![
                "mynginx: port 80 is open on every interface (0.0.0.0:8080)".to_string()
            ])
        );
        // Not said: on 127.0.0.1 only, another port, or not running.
        let safe = container("running", LOOPBACK);
        assert_eq!(open_to_the_network(&safe, Some(80), Lang::En), None);
        assert_eq!(open_to_the_network(&open, Some(443), Lang::En), None);
        let exited = container("exited", ALL_INTERFACES);
        assert_eq!(open_to_the_network(&exited, Some(80), Lang::Ru), None);
    }

    /// The lesson's own words for it, in both languages: the step that
    /// starts the container says where to publish instead.
    #[test]
    fn the_shipped_run_lesson_says_to_publish_on_loopback() {
        let pack = crate::lesson::loader::Pack::embedded().expect("the shipped pack");
        let (_, step) = pack.step("run/publish-port").expect("run/publish-port");
        let hint = step
            .hints
            .iter()
            .find(|h| h.when == HintWhen::PortOnAllInterfaces)
            .expect("a port_on_all_interfaces hint");
        assert!(hint.text.get(Lang::Ru).contains("для всей сети"));
        assert!(
            hint.text
                .get(Lang::En)
                .contains("open to the whole network")
        );
        for lang in [Lang::Ru, Lang::En] {
            assert!(
                hint.text.get(lang).contains("-p 127.0.0.1:8080:80"),
                "{}",
                hint.text.get(lang)
            );
        }
    }
}
