//! `layerlab report`: the homework README in Markdown, as students of the
//! course hand it in.
//!
//! [`gather_figures`] measures the image NOW (daemon, and the registry for the
//! pushed digest); [`render`] is pure: the same [`ReportFacts`] always give
//! the same text. Answers are copied verbatim from progress and never made up:
//! a missing one is reported as missing, with where to write it.

use std::path::{Path, PathBuf};

use crate::docker::Docker;
use crate::docker::model::short_id;
use crate::handin::grader::{self, digest_for};
use crate::i18n::Lang;
use crate::lesson::loader::Pack;
use crate::progress::Progress;
use crate::quiz::bank::QUIZ_LESSON_ID;
use crate::quiz::session::{QuizItem, QuizSession, Total};
use crate::runner::hub_link;
use crate::t;

/// The two theory questions of the homework, by `answer_key`.
pub const ANSWER_KEYS: [&str; 2] = ["image_vs_container", "kernel_in_container"];

/// The Dockerfile as the report shows it, and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct DockerfileText {
    /// `Some(path)`: the learner's workspace copy; `None`: the shipped one.
    pub workspace_path: Option<PathBuf>,
    pub text: String,
}

/// A theory answer: its question, and the learner's words if saved.
#[derive(Debug, Clone, PartialEq)]
pub struct TheoryAnswer {
    pub key: String,
    /// Where the lessons ask it: (lesson title, step title), for the hint.
    pub asked_in: Option<(String, String)>,
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PushedFigures {
    pub reference: String,
    /// The manifest digest the registry serves now, `Err` when it could not
    /// be asked (then the local record, if any, is shown and marked so).
    pub registry_digest: Result<Option<String>, String>,
    /// The digest the daemon recorded when the image was pushed.
    pub local_digest: Option<String>,
    /// The image id the registry serves (equal to the local one when all is well).
    pub registry_image_id: Option<String>,
}

/// The learner's container of the image that publishes its port 80, as it
/// runs when the report is written.
#[derive(Debug, Clone, PartialEq)]
pub struct ServingContainer {
    pub name: String,
    pub host_port: u16,
}

/// The lesson's example name and port, shown when no container serves.
const EXAMPLE_CONTAINER: &str = "web";
const EXAMPLE_PORT: u16 = 8080;

/// Everything in the report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFacts {
    pub image: String,
    pub image_id: String,
    pub size: u64,
    pub layers: usize,
    pub base_image: String,
    pub engine: String,
    /// UTC, `YYYY-MM-DD HH:MM`.
    pub measured_at: String,
    pub pushed: Option<PushedFigures>,
    /// `None`: no container of the image ran when the report was written.
    pub serving: Option<ServingContainer>,
    pub dockerfile: DockerfileText,
    pub answers: Vec<TheoryAnswer>,
    pub quiz: Option<Total>,
}

/// The commands of the homework, as the lessons show them (`docker:` of the
/// steps dockerfile/build, run/run, push/tag, push/push, push/pull-back),
/// filled with the real names. `tests::commands_match_the_lessons` keeps them
/// in step with the pack.
pub fn commands(facts: &ReportFacts) -> Vec<String> {
    let mut commands = vec![
        // As the lesson shows it: the context by its full path, so the
        // command works pasted in any folder.
        format!(
            "docker build --build-arg BASE_IMAGE={} -t {} \"{}/nginx-alpine\"",
            facts.base_image,
            facts.image,
            crate::paths::workspace_dir().display()
        ),
        format!(
            "docker run -d --name {} -p 127.0.0.1:{}:80 {}",
            facts
                .serving
                .as_ref()
                .map_or(EXAMPLE_CONTAINER, |s| s.name.as_str()),
            serving_port(facts),
            facts.image
        ),
    ];
    if let Some(pushed) = &facts.pushed {
        commands.push(format!("docker tag {} {}", facts.image, pushed.reference));
        commands.push(format!("docker push {}", pushed.reference));
    }
    commands
}

fn serving_port(facts: &ReportFacts) -> u16 {
    facts.serving.as_ref().map_or(EXAMPLE_PORT, |s| s.host_port)
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1_000_000.0)
}

fn points(value: f32) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded}")
    }
}

fn fence(out: &mut String, lang_tag: &str, body: &str) {
    // A body holding ``` would close a plain fence early; use a longer one.
    let mut ticks = "```".to_string();
    while body.contains(ticks.as_str()) {
        ticks.push('`');
    }
    out.push_str(&format!("{ticks}{lang_tag}\n{}", body));
    if !body.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!("{ticks}\n\n"));
}

fn question(key: &str, lang: Lang) -> &'static str {
    match key {
        "image_vs_container" => t!(
            "Чем образ отличается от контейнера?",
            "How does an image differ from a container?"
        ),
        "kernel_in_container" => t!(
            "Можно ли собрать ядро Linux внутри контейнера?",
            "Can a Linux kernel be built inside a container?"
        ),
        _ => t!("Вопрос", "Question"),
    }
    .get(lang)
}

/// The Markdown. Pure.
pub fn render(facts: &ReportFacts, lang: Lang) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# {}\n\n",
        t!(
            "Домашнее задание: свой образ nginx на Alpine",
            "Homework: my own nginx image on Alpine"
        )
        .get(lang)
    ));
    out.push_str(&format!(
        "{} {} UTC, Docker Engine {}.\n\n",
        t!(
            "Отчёт составлен layerlab; все цифры измерены",
            "Written by layerlab; every figure was measured on"
        )
        .get(lang),
        facts.measured_at,
        facts.engine
    ));

    out.push_str(&format!(
        "## {}\n\n",
        t!("Что сделано", "What was done").get(lang)
    ));
    let page = format!("http://127.0.0.1:{}/", serving_port(facts));
    let mut ran = format!(
        "{} {page}",
        t!(
            "Запущен контейнер, страница открывается на",
            "Ran a container; the page opens at"
        )
        .get(lang)
    );
    if facts.serving.is_none() {
        ran.push_str("; ");
        ran.push_str(
            t!(
                "когда отчёт составлялся, ни один контейнер этого образа не работал, поэтому здесь порт из примера урока",
                "no container of this image was running when the report was written, so this is the lesson's example port"
            )
            .get(lang),
        );
    }
    ran.push(':');
    let steps = [
        t!(
            "Образ собран на Alpine из Dockerfile ниже:",
            "Built the image on Alpine from the Dockerfile below:"
        )
        .get(lang)
        .to_string(),
        ran,
        t!(
            "Образу дан тег с адресом реестра:",
            "Tagged it with the registry's address:"
        )
        .get(lang)
        .to_string(),
        t!("Образ опубликован:", "Pushed the image:")
            .get(lang)
            .to_string(),
    ];
    for (n, (command, step)) in commands(facts).iter().zip(steps).enumerate() {
        out.push_str(&format!("{}. {}\n\n", n + 1, step));
        out.push_str(&format!("   ```sh\n   {command}\n   ```\n\n"));
    }
    if facts.pushed.is_none() {
        out.push_str(&format!(
            "{}\n\n",
            t!(
                "Образ ещё не опубликован: пройдите урок «Публикация образа в реестре» (`layerlab run push --registry docker.io/USER`) или укажите `--pushed REF`.",
                "The image is not pushed yet: do the lesson \"Pushing the image to a registry\" (`layerlab run push --registry docker.io/USER`) or pass `--pushed REF`."
            )
            .get(lang)
        ));
    }

    out.push_str("## Dockerfile\n\n");
    match &facts.dockerfile.workspace_path {
        Some(path) => out.push_str(&format!(
            "{} `{}`:\n\n",
            t!("Из рабочей папки", "From the workspace").get(lang),
            path.display()
        )),
        None => out.push_str(&format!(
            "{}\n\n",
            t!(
                "Рабочей копии нет; это Dockerfile из уроков:",
                "There is no workspace copy; this is the lessons' Dockerfile:"
            )
            .get(lang)
        )),
    }
    fence(&mut out, "dockerfile", &facts.dockerfile.text);

    out.push_str(&format!("## {}\n\n", t!("Образ", "The image").get(lang)));
    out.push_str(&format!(
        "| | |\n|---|---|\n| {} | `{}` |\n| {} | `{}` |\n| {} | {} MB ({} {}) |\n| {} | {} |\n",
        t!("Имя", "Name").get(lang),
        facts.image,
        t!("ID образа", "Image ID").get(lang),
        facts.image_id,
        t!("Размер", "Size").get(lang),
        megabytes(facts.size),
        facts.size,
        t!("байт", "bytes").get(lang),
        t!("Слоёв", "Layers").get(lang),
        facts.layers,
    ));
    if let Some(pushed) = &facts.pushed {
        out.push_str(&format!(
            "| {} | `{}` |\n",
            t!("В реестре", "Pushed as").get(lang),
            pushed.reference
        ));
        match (&pushed.registry_digest, &pushed.local_digest) {
            (Ok(Some(digest)), _) => out.push_str(&format!(
                "| {} | `{digest}` |\n",
                t!("Дайджест (из реестра)", "Digest (from the registry)").get(lang)
            )),
            (Ok(None), Some(local)) | (Err(_), Some(local)) => out.push_str(&format!(
                "| {} | `{local}` |\n",
                t!(
                    "Дайджест (записан при публикации; реестр сейчас не ответил)",
                    "Digest (recorded at push; the registry did not answer now)"
                )
                .get(lang)
            )),
            _ => out.push_str(&format!("| {} | — |\n", t!("Дайджест", "Digest").get(lang))),
        }
        if let Some(id) = &pushed.registry_image_id
            && *id != facts.image_id
        {
            out.push_str(&format!(
                "\n**{}** {} ≠ {}.\n",
                t!(
                    "В реестре другой образ, не тот, что собран локально:",
                    "The registry holds another image than the local one:"
                )
                .get(lang),
                short_id(id),
                short_id(&facts.image_id)
            ));
        }
        if let Err(e) = &pushed.registry_digest {
            out.push_str(&format!(
                "\n{} {e}\n",
                t!("Реестр не ответил:", "The registry did not answer:").get(lang)
            ));
        }
        out.push('\n');
        out.push_str(&format!(
            "{}\n\n",
            t!("Скачать и запустить образ:", "To pull and run the image:").get(lang)
        ));
        fence(
            &mut out,
            "sh",
            &format!(
                "docker pull {r}\ndocker run -d -p 127.0.0.1:8080:80 {r}",
                r = pushed.reference
            ),
        );
        if let Some(link) = hub_link(&pushed.reference) {
            out.push_str(&format!(
                "{} {link}\n\n",
                t!("Страница репозитория:", "Repository page:").get(lang)
            ));
        }
    } else {
        out.push('\n');
    }

    out.push_str(&format!(
        "## {}\n\n",
        t!("Ответы на вопросы", "Answers to the questions").get(lang)
    ));
    for answer in &facts.answers {
        out.push_str(&format!("### {}\n\n", question(&answer.key, lang)));
        match &answer.text {
            Some(text) if !text.trim().is_empty() => {
                out.push_str(text.trim_end());
                out.push_str("\n\n");
            }
            _ => {
                out.push_str(&format!(
                    "_{}_ ",
                    t!("Ответ не записан.", "No answer saved.").get(lang)
                ));
                match &answer.asked_in {
                    Some((lesson, step)) => out.push_str(&format!(
                        "{} «{lesson}», {} «{step}», {}\n\n",
                        t!(
                            "Запустите `layerlab`, откройте урок",
                            "Run `layerlab`, open the lesson"
                        )
                        .get(lang),
                        t!("шаг", "step").get(lang),
                        t!(
                            "напишите ответ своими словами и снова выполните `layerlab report`.",
                            "write the answer in your own words, and run `layerlab report` again."
                        )
                        .get(lang)
                    )),
                    None => out.push_str(&format!(
                        "{}\n\n",
                        t!(
                            "Напишите ответ в уроке layerlab и снова выполните `layerlab report`.",
                            "Write it in its layerlab lesson and run `layerlab report` again."
                        )
                        .get(lang)
                    )),
                }
            }
        }
    }

    out.push_str(&format!(
        "## {}\n\n",
        t!("Тест для самопроверки", "Self-check quiz").get(lang)
    ));
    match &facts.quiz {
        Some(total) if total.unanswered < total.questions => {
            let percent = if total.questions == 0 {
                0.0
            } else {
                f64::from(total.points) * 100.0 / total.questions as f64
            };
            out.push_str(&format!(
                "{} {} {} {} ({percent:.0}%): {} {}, {} {}, {} {}, {} {}, {} {}.\n",
                t!("Результат:", "Score:").get(lang),
                points(total.points),
                t!("из", "of").get(lang),
                total.questions,
                t!("верно", "right").get(lang),
                total.right,
                t!("частично", "partly right").get(lang),
                total.partial,
                t!("неверно", "wrong").get(lang),
                total.wrong,
                t!("пусто", "empty").get(lang),
                total.empty,
                t!("без ответа", "not answered").get(lang),
                total.unanswered,
            ));
        }
        _ => out.push_str(&format!(
            "{}\n",
            t!(
                "Тест ещё не пройден: запустите `layerlab` и выберите урок «Проверьте себя».",
                "The quiz has not been taken: run `layerlab` and choose the lesson \"Check yourself\"."
            )
            .get(lang)
        )),
    }
    out
}

/// `2025-03-01 14:05` for a Unix time (UTC), without a date crate.
pub fn utc_minutes(unix_seconds: u64) -> String {
    let days = (unix_seconds / 86_400) as i64;
    let seconds_of_day = unix_seconds % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        seconds_of_day / 3600,
        seconds_of_day % 3600 / 60
    )
}

/// The workspace copy of the Dockerfile, else the one shipped in the pack.
pub fn dockerfile(pack: &Pack, workspace: &Path) -> DockerfileText {
    let path = workspace.join("nginx-alpine").join("Dockerfile");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return DockerfileText {
            workspace_path: Some(path),
            text,
        };
    }
    DockerfileText {
        workspace_path: None,
        text: pack
            .read_asset("nginx-alpine/Dockerfile")
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .unwrap_or_default(),
    }
}

/// The saved answers (verbatim) and, for the hint, where each is asked.
pub fn answers(pack: &Pack, progress: &Progress, lang: Lang) -> Vec<TheoryAnswer> {
    ANSWER_KEYS
        .iter()
        .map(|key| {
            let asked_in = pack.lessons.iter().find_map(|lesson| {
                let step = lesson
                    .steps
                    .iter()
                    .find(|s| s.answer_key.as_deref() == Some(*key))?;
                Some((
                    lesson.title.get(lang).to_string(),
                    step.title
                        .as_ref()
                        .map_or(step.id.clone(), |t| t.get(lang).to_string()),
                ))
            });
            TheoryAnswer {
                key: key.to_string(),
                asked_in,
                text: progress.answer(key).map(str::to_string),
            }
        })
        .collect()
}

/// The saved quiz sitting scored against the pack's questions as they are now.
pub fn quiz_total(pack: &Pack, progress: &Progress) -> Option<Total> {
    let saved = progress.quiz_session()?;
    let lesson = pack.lesson(QUIZ_LESSON_ID)?;
    Some(QuizSession::resume(QuizItem::from_lesson(lesson), saved).total())
}

/// The figures from the daemon and the registry, now.
pub async fn gather_figures(
    docker: &Docker,
    image: &str,
    pushed: Option<&str>,
    lang: Lang,
) -> anyhow::Result<(
    crate::docker::model::ImageInfo,
    Option<PushedFigures>,
    String,
)> {
    let engine = docker
        .engine_info()
        .await
        .map(|info| info.engine_version)
        .unwrap_or_else(|_| "?".to_string());
    let info = docker
        .inspect_image(image)
        .await
        .map_err(|e| anyhow::anyhow!(e.render(lang)))?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{} {image}: {}",
                t!("нет образа", "no image").get(lang),
                t!(
                    "соберите его (урок «Dockerfile») или укажите --image REF",
                    "build it (lesson \"Dockerfile\") or pass --image REF"
                )
                .get(lang)
            )
        })?;
    let pushed = match pushed {
        None => None,
        Some(reference) => {
            let repository = crate::docker::ImageRef::parse(reference)
                .map(|r| r.repository())
                .map_err(|e| anyhow::anyhow!("--pushed {reference}: {e}"))?;
            let pulled = grader::pull_and_inspect(docker, reference, lang).await;
            Some(PushedFigures {
                reference: reference.to_string(),
                local_digest: digest_for(&info.repo_digests, &repository),
                registry_image_id: pulled.as_ref().ok().map(|p| p.id.clone()),
                registry_digest: pulled.map(|p| digest_for(&p.repo_digests, &repository)),
            })
        }
    };
    Ok((info, pushed, engine))
}

/// The running container of `image_id` that publishes port 80, if any: the
/// one lesson 4 started (`web`, as the runner names it) first, then by name,
/// so the choice is the same every time.
pub async fn serving_container(docker: &Docker, image_id: &str) -> Option<ServingContainer> {
    let mut serving: Vec<ServingContainer> = docker
        .list_containers_labelled(&[])
        .await
        .ok()?
        .into_iter()
        .filter(|c| c.state == "running" && c.image_id == image_id)
        .filter_map(|c| {
            let (_, host_port) = c.ports.iter().find(|(inside, _)| *inside == 80)?;
            Some(ServingContainer {
                name: c.name,
                host_port: *host_port,
            })
        })
        .collect();
    let lessons = crate::runner::container_name(EXAMPLE_CONTAINER);
    serving.sort_by(|a, b| (a.name != lessons, &a.name).cmp(&(b.name != lessons, &b.name)));
    serving.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::placeholders;

    fn facts() -> ReportFacts {
        ReportFacts {
            image: "layerlab/nginx-alpine:latest".into(),
            image_id: "sha256:1234567890abcdef".into(),
            size: 14_913_561,
            layers: 3,
            base_image: "alpine:3.22".into(),
            engine: "20.10.24".into(),
            measured_at: "2025-03-01 14:05".into(),
            serving: None,
            pushed: Some(PushedFigures {
                reference: "docker.io/anna/nginx-alpine:1.0".into(),
                registry_digest: Ok(Some("sha256:feed".into())),
                local_digest: Some("sha256:feed".into()),
                registry_image_id: Some("sha256:1234567890abcdef".into()),
            }),
            dockerfile: DockerfileText {
                workspace_path: None,
                text: "FROM alpine:3.22\nRUN apk add --no-cache nginx\n".into(),
            },
            answers: vec![
                TheoryAnswer {
                    key: "image_vs_container".into(),
                    asked_in: Some(("Image and container".into(), "Your answer".into())),
                    text: Some(
                        "An image is a *template*;\n\ncontainer = image + writable layer.".into(),
                    ),
                },
                TheoryAnswer {
                    key: "kernel_in_container".into(),
                    asked_in: Some(("The kernel".into(), "Your answer: the kernel".into())),
                    text: None,
                },
            ],
            quiz: Some(Total {
                points: 17.5,
                questions: 23,
                right: 16,
                partial: 3,
                wrong: 1,
                empty: 0,
                unanswered: 3,
            }),
        }
    }

    #[test]
    fn commands_match_the_lessons() {
        let pack = Pack::embedded().expect("embedded pack");
        let facts = facts();
        let vars = |name: &str| match name {
            "image" => Some(facts.image.clone()),
            "base_image" => Some(facts.base_image.clone()),
            "registry" => Some("docker.io/anna".to_string()),
            "workspace" => Some(crate::paths::workspace_dir().display().to_string()),
            _ => None,
        };
        let lesson_commands: Vec<String> = pack
            .lessons
            .iter()
            .flat_map(|l| &l.steps)
            .filter_map(|s| s.docker.as_deref())
            .filter_map(|d| placeholders::fill(d, vars).ok())
            .collect();
        let ours = commands(&facts);
        assert_eq!(ours.len(), 4);
        for command in ours {
            assert!(
                lesson_commands.contains(&command),
                "`{command}` is not a command of the lessons: {lesson_commands:#?}"
            );
        }
    }

    #[test]
    fn the_running_container_gives_the_command_and_the_page_its_real_name_and_port() {
        let mut facts = facts();
        facts.serving = Some(ServingContainer {
            name: "web-anna".into(),
            host_port: 34567,
        });
        assert_eq!(
            commands(&facts)[1],
            "docker run -d --name web-anna -p 127.0.0.1:34567:80 layerlab/nginx-alpine:latest"
        );
        let text = render(&facts, Lang::En);
        assert!(
            text.contains("the page opens at http://127.0.0.1:34567/:"),
            "{text}"
        );
        assert!(!text.contains("example port"), "{text}");
    }

    #[test]
    fn without_a_running_container_the_example_port_is_marked_as_such() {
        let text = render(&facts(), Lang::Ru);
        assert!(text.contains("http://127.0.0.1:8080/"), "{text}");
        assert!(text.contains("порт из примера урока"), "{text}");
        let text = render(&facts(), Lang::En);
        assert!(text.contains("the lesson's example port"), "{text}");
    }

    #[test]
    fn the_report_holds_the_figures_and_the_answers_verbatim() {
        let text = render(&facts(), Lang::En);
        assert!(
            text.contains("| Size | 14.9 MB (14913561 bytes) |"),
            "{text}"
        );
        assert!(text.contains("| Layers | 3 |"));
        assert!(text.contains("`sha256:1234567890abcdef`"));
        assert!(text.contains("| Digest (from the registry) | `sha256:feed` |"));
        assert!(text.contains("docker pull docker.io/anna/nginx-alpine:1.0"));
        assert!(text.contains("https://hub.docker.com/r/anna/nginx-alpine"));
        assert!(text.contains("docker push docker.io/anna/nginx-alpine:1.0"));
        assert!(
            text.contains("An image is a *template*;\n\ncontainer = image + writable layer.\n")
        );
        assert!(text.contains("FROM alpine:3.22\nRUN apk add --no-cache nginx\n```"));
        assert!(text.contains("Score: 17.5 of 23 (76%): right 16, partly right 3, wrong 1"));
        // The missing answer is said to be missing, with where to write it; nothing invented.
        let kernel = text
            .split("### Can a Linux kernel be built inside a container?")
            .nth(1)
            .expect("the kernel question");
        assert!(kernel.trim_start().starts_with("_No answer saved._ Run `layerlab`, open the lesson «The kernel», step «Your answer: the kernel»"), "{kernel}");
    }

    #[test]
    fn other_registries_get_no_hub_link_and_a_stale_digest_is_marked() {
        let mut facts = facts();
        facts.pushed = Some(PushedFigures {
            reference: "127.0.0.1:5000/anna/site:1.0".into(),
            registry_digest: Err("connection refused".into()),
            local_digest: Some("sha256:old".into()),
            registry_image_id: None,
        });
        let text = render(&facts, Lang::En);
        assert!(!text.contains("hub.docker.com"));
        assert!(text.contains("docker pull 127.0.0.1:5000/anna/site:1.0"));
        assert!(text.contains("recorded at push; the registry did not answer now) | `sha256:old`"));
        assert!(text.contains("The registry did not answer: connection refused"));
    }

    #[test]
    fn a_different_image_in_the_registry_is_reported() {
        let mut facts = facts();
        if let Some(p) = facts.pushed.as_mut() {
            p.registry_image_id = Some("sha256:ffffffffffff0000".into());
        }
        let text = render(&facts, Lang::Ru);
        assert!(text.contains("В реестре другой образ"), "{text}");
        assert!(text.contains("ffffffffffff ≠ 1234567890ab"), "{text}");
    }

    #[test]
    fn nothing_pushed_and_no_quiz_are_said_so() {
        let mut facts = facts();
        facts.pushed = None;
        facts.quiz = None;
        let text = render(&facts, Lang::Ru);
        assert!(text.contains("Образ ещё не опубликован"));
        assert!(!text.contains("docker push"));
        assert!(text.contains("Тест ещё не пройден"));
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(utc_minutes(0), "1970-01-01 00:00");
        assert_eq!(utc_minutes(951_782_400 + 3_661), "2000-02-29 01:01");
        assert_eq!(utc_minutes(1_740_837_900), "2025-03-01 14:05");
    }

    #[test]
    fn a_dockerfile_with_backticks_keeps_its_fence() {
        let mut out = String::new();
        fence(&mut out, "", "RUN echo ```\n");
        assert!(
            out.starts_with("````\n") && out.ends_with("````\n\n"),
            "{out}"
        );
    }
}
