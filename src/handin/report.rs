//! `layerlab report`: the homework README in Markdown, worth handing in.
//!
//! The report says what the grader found, criterion by criterion; the
//! layers (as `docker history` would, with the files each adds, changes and
//! removes); the page as served; the base actually used; where the image
//! was pushed and whether a teacher can reach it; both written answers
//! verbatim; the quiz score; who did which step. It ends with a block of
//! evidence ([`crate::handin::block`]) that `layerlab verify` checks.
//!
//! [`gather`] measures everything now (daemon, registry); [`render`] is
//! pure: the same [`ReportFacts`] always give the same text. Answers are
//! copied verbatim from progress and never made up.

use std::path::{Path, PathBuf};

use crate::docker::Docker;
use crate::handin::block::{self, Evidence, PageClaim};
use crate::handin::grader::{self, Criterion, Status, Verdict};
use crate::i18n::{Lang, count, nouns};
use crate::lesson::StepKind;
use crate::lesson::loader::Pack;
use crate::progress::{Progress, utc_minutes};
use crate::quiz::bank::QUIZ_LESSON_ID;
use crate::quiz::session::{QuizItem, QuizSession, Total};
use crate::runner::hub_link;
use crate::{t, tr};

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

impl TheoryAnswer {
    /// Saved and not blank: what `check` and the report count as written.
    pub fn written(&self) -> bool {
        self.text.as_deref().is_some_and(|t| !t.trim().is_empty())
    }
}

/// The written answers as a line of the verdict: (all written, the line).
/// The two answers are half of the homework, so a report or a `check` whose
/// image passes but whose answers are missing is not done yet.
pub fn answers_line(answers: &[TheoryAnswer], lang: Lang) -> (bool, String) {
    let missing = answers.iter().filter(|a| !a.written()).count();
    let total = answers.len();
    if missing == 0 {
        return (
            true,
            tr!(
                lang,
                "✔ ответы на вопросы: записаны все ({total})",
                "✔ written answers: all written ({total})"
            ),
        );
    }
    let line = match lang {
        Lang::Ru => format!(
            "✘ ответы на вопросы: не записано {} из {total}",
            count(lang, missing, nouns::ANSWER)
        ),
        Lang::En => format!("✘ written answers: {missing} of {total} not written"),
    };
    (false, line)
}

/// The homework's verdict: the image's, except that an image that passes
/// with the answers missing is not done yet.
pub fn overall(verdict: Verdict, answers: &[TheoryAnswer]) -> Verdict {
    match verdict {
        Verdict::Passed if !answers_line(answers, Lang::En).0 => Verdict::NotDoneYet,
        verdict => verdict,
    }
}

/// One row of the layer table, base first.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerRow {
    pub instruction: String,
    pub size: u64,
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    pub diff_id: String,
}

/// The page as the grader's container served it.
#[derive(Debug, Clone, PartialEq)]
pub struct PageFigures {
    pub status: u16,
    /// The line with `Author` / `Автор`, as text.
    pub author: Option<String>,
    /// The first lines of the page's text (tags and styles removed).
    pub excerpt: Vec<String>,
}

/// What the registry holds under the pushed reference, read over its API.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryImage {
    pub manifest_digest: String,
    /// The index (manifest list) the reference named, when it named one.
    pub index_digest: Option<String>,
    pub config_digest: String,
    pub layer_digests: Vec<String>,
    pub diff_ids: Vec<String>,
    pub page: Option<PageClaim>,
}

impl RegistryImage {
    /// Whether a daemon's image id names this image. The classic image
    /// store's id is the config digest; the containerd store's is the
    /// manifest's or the index's digest.
    pub fn is_image(&self, image_id: &str) -> bool {
        image_id == self.config_digest
            || image_id == self.manifest_digest
            || self.index_digest.as_deref() == Some(image_id)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PushedFigures {
    pub reference: String,
    pub registry: Result<RegistryImage, String>,
    /// On this machine or a private network: a teacher cannot pull it.
    pub local: bool,
}

/// The learner's container of the image that publishes its port 80, as it
/// runs when the report is written.
#[derive(Debug, Clone, PartialEq)]
pub struct ServingContainer {
    pub name: String,
    pub host_port: u16,
}

/// A step of the homework and who did it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    pub lesson: String,
    pub step: String,
    pub done: bool,
    /// Who did it and when, as progress recorded it (`None`: not done, or
    /// done before progress recorded who).
    pub record: Option<crate::progress::StepRecord>,
}

/// The lesson's example name and port, shown when no container serves.
const EXAMPLE_CONTAINER: &str = "web";
const EXAMPLE_PORT: u16 = 8080;
/// Lines of the page's text the report quotes.
const EXCERPT_LINES: usize = 6;

/// Everything in the report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFacts {
    pub image: String,
    pub image_id: String,
    pub size: u64,
    pub layers: Vec<LayerRow>,
    /// The image's layers (diff ids, base first), from the daemon.
    pub diff_ids: Vec<String>,
    /// Why the layer table is missing, when it is.
    pub layers_error: Option<String>,
    /// The reference the lessons build FROM.
    pub base_image: String,
    /// `/etc/os-release` of the image, as the grader read it.
    pub base_os: Option<String>,
    /// The base is layerlab's offline stand-in for Alpine.
    pub standin: bool,
    pub engine: String,
    /// UTC, `YYYY-MM-DD HH:MM`.
    pub measured_at: String,
    /// UTC, RFC 3339 to the second.
    pub written_at: String,
    pub criteria: Vec<Criterion>,
    pub verdict: Verdict,
    pub finish: Option<String>,
    pub page: Option<PageFigures>,
    pub pushed: Option<PushedFigures>,
    /// `None`: no container of the image ran when the report was written.
    pub serving: Option<ServingContainer>,
    pub dockerfile: DockerfileText,
    pub answers: Vec<TheoryAnswer>,
    pub quiz: Option<Total>,
    pub steps: Vec<StepRow>,
}

/// The commands of the homework, as the lessons show them (`docker:` of the
/// steps dockerfile/build, run/run, push/tag, push/push), filled with the
/// real names. `tests::commands_match_the_lessons` keeps them in step.
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

/// A table cell: one line, no `|`.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

pub fn question(key: &str, lang: Lang) -> &'static str {
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

/// Section titles; `verify` names changed sections by them.
pub mod titles {
    use crate::t;
    pub const VERDICT: crate::i18n::UiText = t!("Вердикт проверки", "The grader's verdict");
    pub const DONE: crate::i18n::UiText = t!("Что сделано", "What was done");
    pub const IMAGE: crate::i18n::UiText = t!("Образ и его слои", "The image and its layers");
    pub const PAGE: crate::i18n::UiText = t!("Страница", "The page");
    pub const PUSHED: crate::i18n::UiText = t!("Публикация", "Pushed");
    pub const ANSWERS: crate::i18n::UiText = t!("Ответы на вопросы", "Answers to the questions");
    pub const QUIZ: crate::i18n::UiText = t!("Тест для самопроверки", "Self-check quiz");
}

/// Where the image's base came from, in words.
fn base_words(facts: &ReportFacts, lang: Lang) -> String {
    let os = facts.base_os.as_deref().unwrap_or("?");
    if facts.standin {
        tr!(
            lang,
            "офлайн-замена Alpine для тестов ({base}, {os}), не настоящая Alpine",
            "layerlab's offline stand-in for Alpine ({base}, {os}), not real Alpine",
            base = facts.base_image
        )
    } else {
        format!("{} ({os})", facts.base_image)
    }
}

/// The Markdown body (without the evidence block). Pure.
pub fn render_body(facts: &ReportFacts, lang: Lang) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# {}\n\n",
        t!(
            "Домашнее задание: свой образ nginx на Alpine",
            "Homework: my own nginx image on Alpine"
        )
        .get(lang)
    ));
    out.push_str(&tr!(
        lang,
        "Отчёт составлен layerlab; все цифры измерены {at} UTC, Docker Engine {engine}. Проверить его: `layerlab verify README.md`.\n\n",
        "Written by layerlab; every figure was measured on {at} UTC, Docker Engine {engine}. To check it: `layerlab verify README.md`.\n\n",
        at = facts.measured_at,
        engine = facts.engine
    ));
    section_verdict(&mut out, facts, lang);
    section_what_was_done(&mut out, facts, lang);
    section_image_and_layers(&mut out, facts, lang);
    section_page(&mut out, facts, lang);
    section_pushed(&mut out, facts, lang);
    section_dockerfile(&mut out, facts, lang);
    section_answers(&mut out, facts, lang);
    section_quiz(&mut out, facts, lang);
    out
}

fn section_verdict(out: &mut String, facts: &ReportFacts, lang: Lang) {
    out.push_str(&format!("## {}\n\n", titles::VERDICT.get(lang)));
    let (answered, answers) = answers_line(&facts.answers, lang);
    let verdict = overall(facts.verdict, &facts.answers);
    out.push_str(&format!(
        "**{}: {}**\n\n",
        t!("Итог", "Verdict").get(lang),
        verdict.label(lang)
    ));
    for criterion in &facts.criteria {
        out.push_str(&format!("- {}\n", cell(&criterion.line(lang))));
    }
    let answers = if answered {
        answers
    } else {
        format!(
            "{answers} ({} «{}» {})",
            t!("см.", "see").get(lang),
            titles::ANSWERS.get(lang),
            t!("ниже", "below").get(lang)
        )
    };
    out.push_str(&format!("- {}\n", cell(&answers)));
    out.push('\n');
    if let Some(command) = &facts.finish {
        out.push_str(&tr!(
            lang,
            "Осталось опубликовать образ: `{command}`\n\n",
            "What is left is to push the image: `{command}`\n\n"
        ));
    }
}

fn section_what_was_done(out: &mut String, facts: &ReportFacts, lang: Lang) {
    out.push_str(&format!("## {}\n\n", titles::DONE.get(lang)));
    let page = format!("http://127.0.0.1:{}/", serving_port(facts));
    let mut ran = tr!(
        lang,
        "Запущен контейнер, страница открывается на {page}",
        "Ran a container; the page opens at {page}"
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
        tr!(
            lang,
            "Образ собран из Dockerfile ниже; база: {base}:",
            "Built the image from the Dockerfile below; the base: {base}:",
            base = base_words(facts, lang)
        ),
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
    if !facts.steps.is_empty() {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n|---|---|---|---|\n",
            t!("Шаг", "Step").get(lang),
            t!("Сделан", "Done").get(lang),
            t!("Кто", "By").get(lang),
            t!("Когда (UTC)", "When (UTC)").get(lang)
        ));
        for row in &facts.steps {
            let (by, when) = match row.record {
                Some(record) => (
                    step_by(record.by).get(lang),
                    crate::progress::format_utc(record.at),
                ),
                None => ("—", "—".to_string()),
            };
            out.push_str(&format!(
                "| {} › {} | {} | {} | {} |\n",
                cell(&row.lesson),
                cell(&row.step),
                if row.done { "✔" } else { "—" },
                by,
                when
            ));
        }
        out.push('\n');
    }
}

fn section_image_and_layers(out: &mut String, facts: &ReportFacts, lang: Lang) {
    out.push_str(&format!("## {}\n\n", titles::IMAGE.get(lang)));
    out.push_str(&format!(
        "| | |\n|---|---|\n| {} | `{}` |\n| {} | `{}` |\n| {} | {} ({}) |\n| {} | {} |\n| {} | {} |\n\n",
        t!("Имя", "Name").get(lang),
        facts.image,
        t!("ID образа", "Image ID").get(lang),
        facts.image_id,
        t!("Размер", "Size").get(lang),
        crate::i18n::size(lang, facts.size),
        count(lang, facts.size, BYTE),
        t!("Слоёв", "Layers").get(lang),
        facts.diff_ids.len(),
        t!("База", "Base").get(lang),
        cell(&base_words(facts, lang)),
    ));
    if let Some(error) = &facts.layers_error {
        out.push_str(&tr!(
            lang,
            "Таблицу слоёв составить не удалось: {error}\n\n",
            "The layer table could not be made: {error}\n\n"
        ));
    } else {
        out.push_str(&tr!(
            lang,
            "В образе {layers}, снизу вверх (как `docker history`, но в порядке сборки):\n\n",
            "The image has {layers}, from the base up (like `docker history`, in build order):\n\n",
            layers = count(lang, facts.layers.len(), nouns::LAYER)
        ));
        out.push_str(&format!(
            "| # | {} | {} | {} | {} | {} |\n|---|---|---|---|---|---|\n",
            t!("Инструкция", "Instruction").get(lang),
            t!("Размер", "Size").get(lang),
            t!("Добавлено", "Added").get(lang),
            t!("Изменено", "Changed").get(lang),
            t!("Удалено", "Removed").get(lang),
        ));
        for (n, layer) in facts.layers.iter().enumerate() {
            let mut instruction: String = cell(&layer.instruction).chars().take(90).collect();
            if instruction.is_empty() {
                instruction = "—".into();
            }
            out.push_str(&format!(
                "| {} | `{}` | {} | {} | {} | {} |\n",
                n + 1,
                instruction.replace('`', "'"),
                crate::i18n::size(lang, layer.size),
                count(lang, layer.added, nouns::FILE),
                count(lang, layer.changed, nouns::FILE),
                count(lang, layer.removed, nouns::FILE),
            ));
        }
        out.push('\n');
    }
}

fn section_page(out: &mut String, facts: &ReportFacts, lang: Lang) {
    out.push_str(&format!("## {}\n\n", titles::PAGE.get(lang)));
    match &facts.page {
        Some(page) => {
            out.push_str(&tr!(
                lang,
                "Так страницу отдал контейнер проверки (HTTP {status}):\n\n",
                "The page as the grader's container served it (HTTP {status}):\n\n",
                status = page.status
            ));
            match &page.author {
                Some(author) => out.push_str(&format!("**{}**\n\n", cell(author))),
                None => out.push_str(&format!(
                    "_{}_\n\n",
                    t!(
                        "Строки автора на странице нет.",
                        "The page has no author line."
                    )
                    .get(lang)
                )),
            }
            for line in &page.excerpt {
                out.push_str(&format!("> {}\n", cell(line)));
            }
            out.push('\n');
        }
        None => out.push_str(&format!(
            "_{}_\n\n",
            t!(
                "Страницу получить не удалось.",
                "The page could not be fetched."
            )
            .get(lang)
        )),
    }
}

fn section_pushed(out: &mut String, facts: &ReportFacts, lang: Lang) {
    out.push_str(&format!("## {}\n\n", titles::PUSHED.get(lang)));
    match &facts.pushed {
        None => out.push_str(&format!(
            "{}\n\n",
            t!(
                "Образ ещё не опубликован: пройдите урок «Публикация образа в реестре» (`layerlab run push --registry docker.io/USER`) или укажите `--pushed REF`.",
                "The image is not pushed yet: do the lesson \"Pushing the image to a registry\" (`layerlab run push --registry docker.io/USER`) or pass `--pushed REF`."
            )
            .get(lang)
        )),
        Some(pushed) => {
            out.push_str(&format!(
                "| | |\n|---|---|\n| {} | `{}` |\n",
                t!("Ссылка", "Reference").get(lang),
                pushed.reference
            ));
            match &pushed.registry {
                Ok(image) => {
                    out.push_str(&format!(
                        "| {} | `{}` |\n\n",
                        t!("Дайджест (из реестра)", "Digest (from the registry)").get(lang),
                        image.manifest_digest
                    ));
                    if !image.is_image(&facts.image_id) {
                        out.push_str(&tr!(
                            lang,
                            "**В реестре другой образ, не тот, что собран локально:** конфигурация {remote} ≠ ID образа {local}.\n\n",
                            "**The registry holds another image than the local one:** config {remote} ≠ image ID {local}.\n\n",
                            remote = image.config_digest,
                            local = facts.image_id
                        ));
                    }
                }
                Err(e) => out.push_str(&tr!(
                    lang,
                    "\n{}\n\n",
                    "\n{}\n\n",
                    tr!(
                        lang,
                        "Реестр не ответил: {e}",
                        "The registry did not answer: {e}"
                    )
                )),
            }
            if pushed.local {
                out.push_str(&tr!(
                    lang,
                    "> **Внимание:** реестр `{registry}` находится на этой машине или в частной сети: преподаватель не сможет скачать образ по этой ссылке. Для сдачи опубликуйте его в доступном реестре, например `layerlab run push --registry docker.io/USER`.\n\n",
                    "> **Note:** the registry `{registry}` is on this machine or a private network: a teacher cannot pull the image from it. To hand it in, push it to a reachable registry, e.g. `layerlab run push --registry docker.io/USER`.\n\n",
                    registry = registry_host(&pushed.reference)
                ));
            }
            out.push_str(&format!(
                "{}\n\n",
                t!("Скачать и запустить образ:", "To pull and run the image:").get(lang)
            ));
            let pinned = match &pushed.registry {
                Ok(image) => format!(
                    "{}@{}",
                    pushed
                        .reference
                        .rsplit_once(':')
                        .filter(|(_, tag)| !tag.contains('/'))
                        .map_or(pushed.reference.as_str(), |(repo, _)| repo),
                    image.manifest_digest
                ),
                Err(_) => pushed.reference.clone(),
            };
            fence(
                out,
                "sh",
                &format!(
                    "docker pull {pinned}\ndocker run -d -p 127.0.0.1:8080:80 {pinned}"
                ),
            );
            if let Some(link) = hub_link(&pushed.reference) {
                out.push_str(&format!(
                    "{} {link}\n\n",
                    t!("Страница репозитория:", "Repository page:").get(lang)
                ));
            }
        }
    }
}

fn section_dockerfile(out: &mut String, facts: &ReportFacts, lang: Lang) {
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
    fence(out, "dockerfile", &facts.dockerfile.text);
}

fn section_answers(out: &mut String, facts: &ReportFacts, lang: Lang) {
    out.push_str(&format!("## {}\n\n", titles::ANSWERS.get(lang)));
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
                    Some((lesson, step)) => out.push_str(&tr!(
                        lang,
                        "Запустите `layerlab`, откройте урок «{lesson}», шаг «{step}», напишите ответ своими словами и снова выполните `layerlab report`.\n\n",
                        "Run `layerlab`, open the lesson «{lesson}», step «{step}», write the answer in your own words, and run `layerlab report` again.\n\n"
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
}

fn section_quiz(out: &mut String, facts: &ReportFacts, lang: Lang) {
    out.push_str(&format!("## {}\n\n", titles::QUIZ.get(lang)));
    match &facts.quiz {
        Some(total) if total.unanswered < total.questions => {
            let percent = if total.questions == 0 {
                0.0
            } else {
                f64::from(total.points) * 100.0 / total.questions as f64
            };
            out.push_str(&tr!(
                lang,
                "Результат: {points} из {questions} ({percent:.0}%): верно {right}, частично {partial}, неверно {wrong}, пусто {empty}, без ответа {unanswered}.\n\n",
                "Score: {points} of {questions} ({percent:.0}%): right {right}, partly right {partial}, wrong {wrong}, empty {empty}, not answered {unanswered}.\n\n",
                points = points(total.points),
                questions = total.questions,
                right = total.right,
                partial = total.partial,
                wrong = total.wrong,
                empty = total.empty,
                unanswered = total.unanswered
            ));
        }
        _ => out.push_str(&format!(
            "{}\n\n",
            t!(
                "Тест ещё не пройден: запустите `layerlab` и выберите урок «Проверьте себя».",
                "The quiz has not been taken: run `layerlab` and choose the lesson \"Check yourself\"."
            )
            .get(lang)
        )),
    }
}

const BYTE: crate::i18n::Noun = crate::i18n::Noun {
    ru: ["байт", "байта", "байт"],
    en: ["byte", "bytes"],
};

/// The evidence block's claims for these facts (hashes are filled by `seal`).
pub fn evidence(facts: &ReportFacts, lang: Lang) -> Evidence {
    Evidence {
        version: block::EVIDENCE_VERSION,
        tool: format!("layerlab {}", env!("CARGO_PKG_VERSION")),
        lang: lang.code().to_string(),
        written_at: facts.written_at.clone(),
        image: block::ImageClaim {
            reference: facts.image.clone(),
            id: facts.image_id.clone(),
            size: facts.size,
            layers: facts.diff_ids.clone(),
        },
        pushed: facts.pushed.as_ref().and_then(|p| {
            let image = p.registry.as_ref().ok()?;
            Some(block::PushedClaim {
                reference: p.reference.clone(),
                manifest_digest: image.manifest_digest.clone(),
                config_digest: image.config_digest.clone(),
                layer_digests: image.layer_digests.clone(),
                page: image.page.clone(),
                local: p.local,
            })
        }),
        verdict: serde_json::to_value(facts.verdict)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        criteria: facts
            .criteria
            .iter()
            .map(|c| block::CriterionClaim {
                id: serde_json::to_value(c.id)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                status: match c.status {
                    Status::Pass => "pass",
                    Status::Fail => "fail",
                    Status::Skipped => "skipped",
                }
                .to_string(),
            })
            .collect(),
        quiz: facts.quiz.as_ref().map(|q| block::QuizClaim {
            points: q.points,
            questions: q.questions,
        }),
        answers: facts
            .answers
            .iter()
            .map(|a| {
                (
                    a.key.clone(),
                    a.text
                        .as_ref()
                        .map(|t| block::sha256_hex(t.trim_end().as_bytes())),
                )
            })
            .collect(),
        sections: Vec::new(),
        body_sha256: String::new(),
    }
}

/// The whole report: body and evidence block.
pub fn render(facts: &ReportFacts, lang: Lang) -> String {
    block::seal(&render_body(facts, lang), evidence(facts, lang))
}

/// The host part of a reference (`docker.io` when it names none).
pub fn registry_host(reference: &str) -> String {
    crate::docker::ImageRef::parse(reference)
        .map(|r| r.registry_host().to_string())
        .unwrap_or_else(|_| reference.split('/').next().unwrap_or_default().to_string())
}

/// A registry only this machine or its private network can reach: a
/// loopback or private address, `localhost`, or a name with no dot.
pub fn is_local_registry(host: &str) -> bool {
    let name = host
        .strip_prefix('[')
        .and_then(|h| h.split_once(']').map(|(h, _)| h))
        .unwrap_or_else(|| {
            host.rsplit_once(':').map_or(host, |(h, port)| {
                if port.chars().all(|c| c.is_ascii_digit()) {
                    h
                } else {
                    host
                }
            })
        });
    if let Ok(ip) = name.parse::<std::net::IpAddr>() {
        return match ip {
            std::net::IpAddr::V4(v4) => {
                v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4.is_unspecified()
            }
            std::net::IpAddr::V6(v6) => {
                v6.is_loopback()
                    || v6.is_unspecified()
                    || (v6.segments()[0] & 0xfe00) == 0xfc00
                    || (v6.segments()[0] & 0xffc0) == 0xfe80
            }
        };
    }
    let lower = name.to_ascii_lowercase();
    lower == "localhost"
        || lower.ends_with(".localhost")
        || lower.ends_with(".local")
        || lower.ends_with(".internal")
        || !lower.contains('.')
}

/// The page's text: tags, styles and scripts removed, one line per line
/// of text, blank lines dropped.
pub fn page_text(html: &str) -> Vec<String> {
    let mut text = String::new();
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < bytes.len() {
        if bytes[i] == b'<' {
            for skip in ["<style", "<script"] {
                if lower[i..].starts_with(skip) {
                    let close = format!("</{}", &skip[1..]);
                    if let Some(end) = lower[i..].find(&close) {
                        i += end;
                    }
                }
            }
            match html[i..].find('>') {
                Some(end) => {
                    // Block elements end a line.
                    let tag = &lower[i..i + end];
                    if [
                        "<p", "</p", "<br", "<li", "</li", "<h", "</h", "<div", "</div", "<footer",
                        "</footer",
                    ]
                    .iter()
                    .any(|t| tag.starts_with(t))
                    {
                        text.push('\n');
                    }
                    i += end + 1;
                }
                None => break,
            }
            continue;
        }
        let next = html[i..].find('<').map_or(html.len(), |n| i + n);
        text.push_str(&html[i..next]);
        i = next;
    }
    let decoded = text
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded
        .lines()
        .map(|l| {
            l.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .filter(|c| !c.is_control())
                .collect::<String>()
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// The author line and the first lines of the page.
pub fn page_figures(status: u16, body: &str) -> PageFigures {
    let lines = page_text(body);
    let author = lines
        .iter()
        .find(|l| l.contains("Author") || l.contains("Автор"))
        .cloned();
    PageFigures {
        status,
        author,
        excerpt: lines.into_iter().take(EXCERPT_LINES).collect(),
    }
}

/// The homework's steps a learner does or asks for (not prose, not quiz),
/// with who did them.
pub fn step_rows(pack: &Pack, progress: &Progress, lang: Lang) -> Vec<StepRow> {
    pack.lessons
        .iter()
        .filter(|l| l.id != QUIZ_LESSON_ID)
        .flat_map(|lesson| {
            lesson
                .steps
                .iter()
                // The deliverables: the page and the answers the learner
                // writes, and the build, the run of the page, the tag and
                // the push layerlab does for them.
                .filter(|s| {
                    use crate::lesson::Action as A;
                    !s.optional
                        && (s.kind == StepKind::Answer
                            || matches!(
                                &s.action,
                                Some(A::Edit { .. } | A::Build { .. } | A::Tag { .. } | A::Push { .. })
                            )
                            || matches!(&s.action, Some(A::Run { name, .. }) if name == EXAMPLE_CONTAINER))
                })
                .map(|s| StepRow {
                    lesson: lesson.title.get(lang).to_string(),
                    step: s
                        .title
                        .as_ref()
                        .map_or(s.id.clone(), |t| t.get(lang).to_string()),
                    done: progress.is_done(&lesson.id, &s.id),
                    record: progress.step_record(&lesson.id, &s.id),
                })
        })
        .collect()
}

/// Who did a step, in the report's words: the learner typed it (watched)
/// or layerlab did it through the API ("do it for me").
pub fn step_by(by: crate::progress::By) -> crate::i18n::UiText {
    match by {
        crate::progress::By::Learner => t!("ученик сам", "the learner"),
        crate::progress::By::Layerlab => t!(
            "layerlab по просьбе ученика",
            "layerlab, when the learner asked"
        ),
    }
}

/// `2026-11-30T10:05:00Z`.
pub fn rfc3339(unix_seconds: u64) -> String {
    let minutes = utc_minutes(unix_seconds);
    format!(
        "{}T{}:{:02}Z",
        &minutes[..10],
        &minutes[11..],
        unix_seconds % 60
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
        // The template holds only TODO lines; the lessons' own Dockerfile
        // is the reference solution.
        text: pack
            .read_asset("solutions/nginx-alpine/Dockerfile")
            .or_else(|| pack.read_asset("nginx-alpine/Dockerfile"))
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

/// Where nginx serves the page from inside the image (Alpine's nginx root).
pub fn page_path() -> String {
    format!(
        "/{}",
        grader::TEMPLATE_PAGE_ASSET
            .strip_prefix("nginx-alpine/rootfs/")
            .unwrap_or(grader::TEMPLATE_PAGE_ASSET)
    )
}

/// What the registry holds under `reference`, read over the registry API
/// (nothing pulled into a daemon): manifest, config, and the layer that
/// holds the page, with the page's hash.
pub async fn registry_image(
    client: &crate::registry::RegistryClient,
    reference: &str,
    lang: Lang,
) -> Result<RegistryImage, String> {
    let parsed =
        crate::docker::ImageRef::parse(reference).map_err(|e| format!("{reference}: {e}"))?;
    let resolved = client.resolve(&parsed).await.map_err(|e| e.render(lang))?;
    let page = page_in_registry(client, &parsed, &resolved, lang).await?;
    Ok(RegistryImage {
        manifest_digest: resolved.manifest_digest.clone(),
        index_digest: resolved.index_digest.clone(),
        config_digest: resolved.config_digest.clone(),
        layer_digests: resolved.layers.iter().map(|l| l.digest.clone()).collect(),
        diff_ids: resolved.config.diff_ids.clone(),
        page,
    })
}

/// The page file as the image's layers hold it: read from the top layer
/// down until a layer has it.
pub async fn page_in_registry(
    client: &crate::registry::RegistryClient,
    reference: &crate::docker::ImageRef,
    resolved: &crate::registry::ResolvedImage,
    lang: Lang,
) -> Result<Option<PageClaim>, String> {
    Ok(page_file(client, reference, resolved, lang)
        .await?
        .map(|(claim, _)| claim))
}

/// The page's claim and bytes, `None` when no layer has it.
pub async fn page_file(
    client: &crate::registry::RegistryClient,
    reference: &crate::docker::ImageRef,
    resolved: &crate::registry::ResolvedImage,
    lang: Lang,
) -> Result<Option<(PageClaim, Vec<u8>)>, String> {
    let path = page_path();
    let filter = crate::registry::PathFilter::new().path(&path);
    let mut overlay = crate::registry::Overlay::new();
    for layer in resolved.layers.iter().rev() {
        let files = client
            .layer_entries(reference, layer, &filter)
            .await
            .map_err(|e| e.render(lang))?;
        overlay.push_lower(files);
        if let Some(found) = overlay.resolve(&path) {
            if let crate::registry::Entry::File {
                content: Some(bytes),
                ..
            } = found.entry
            {
                return Ok(Some((
                    PageClaim {
                        path: found.path.clone(),
                        layer: found.digest.to_string(),
                        sha256: block::sha256_hex(bytes),
                    },
                    bytes.to_vec(),
                )));
            }
            return Ok(None);
        }
    }
    Ok(None)
}

/// The layer table from the daemon's export of the image.
pub async fn layer_rows(docker: &Docker, image_id: &str) -> Result<Vec<LayerRow>, String> {
    let analysis = crate::docker::layers::analyze_image(docker, image_id)
        .await
        .map_err(|e| e.to_string())?;
    Ok(analysis
        .layers()
        .iter()
        .map(|l| LayerRow {
            instruction: crate::layers::report::instruction(&l.created_by),
            size: l.size_bytes,
            added: l.added,
            changed: l.modified,
            removed: l.removed,
            diff_id: l.digest.clone(),
        })
        .collect())
}

/// A table or quote cell back to its text (`\|` was `|`).
pub fn unescape_cell(text: &str) -> String {
    text.replace("\\|", "|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handin::grader::CriterionId;
    use crate::lesson::placeholders;

    pub(crate) fn facts() -> ReportFacts {
        ReportFacts {
            image: "layerlab/nginx-alpine:latest".into(),
            image_id: "sha256:1234567890abcdef".into(),
            size: 14_913_561,
            layers: vec![
                LayerRow {
                    instruction: "ADD file:abc in /".into(),
                    size: 8_000_000,
                    added: 480,
                    changed: 0,
                    removed: 0,
                    diff_id: "sha256:base".into(),
                },
                LayerRow {
                    instruction: "RUN apk add --no-cache nginx".into(),
                    size: 6_000_000,
                    added: 21,
                    changed: 2,
                    removed: 1,
                    diff_id: "sha256:run".into(),
                },
                LayerRow {
                    instruction: "COPY rootfs/ /".into(),
                    size: 2_000,
                    added: 1,
                    changed: 1,
                    removed: 0,
                    diff_id: "sha256:copy".into(),
                },
            ],
            diff_ids: vec![
                "sha256:base".into(),
                "sha256:run".into(),
                "sha256:copy".into(),
            ],
            layers_error: None,
            base_image: "alpine:3.22".into(),
            base_os: Some("Alpine Linux v3.22, ID=alpine".into()),
            standin: false,
            engine: "20.10.24".into(),
            measured_at: "2025-03-01 14:05".into(),
            written_at: "2025-03-01T14:05:09Z".into(),
            criteria: vec![Criterion {
                id: CriterionId::Image,
                status: Status::Pass,
                reason: "ok".into(),
            }],
            verdict: Verdict::Passed,
            finish: None,
            page: Some(page_figures(
                200,
                "<html><style>p{}</style><h1>Hi</h1><p>Author: <b>Anna</b></p></html>",
            )),
            serving: None,
            pushed: Some(PushedFigures {
                reference: "docker.io/anna/nginx-alpine:1.0".into(),
                registry: Ok(RegistryImage {
                    manifest_digest: "sha256:feed".into(),
                    index_digest: None,
                    config_digest: "sha256:1234567890abcdef".into(),
                    layer_digests: vec!["sha256:gz1".into()],
                    diff_ids: vec!["sha256:base".into()],
                    page: None,
                }),
                local: false,
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
            steps: vec![StepRow {
                lesson: "Dockerfile".into(),
                step: "Edit the page".into(),
                done: true,
                record: Some(crate::progress::StepRecord {
                    by: crate::progress::By::Learner,
                    at: 1_764_497_100,
                }),
            }],
        }
    }

    #[test]
    fn the_step_table_says_who_and_when_in_both_languages() {
        let mut facts = facts();
        facts.steps.push(StepRow {
            lesson: "Push".into(),
            step: "Pushing".into(),
            done: true,
            record: Some(crate::progress::StepRecord {
                by: crate::progress::By::Layerlab,
                at: 1_764_500_000,
            }),
        });
        facts.steps.push(StepRow {
            lesson: "Push".into(),
            step: "Tag".into(),
            done: false,
            record: None,
        });
        let en = render_body(&facts, Lang::En);
        assert!(en.contains("| Step | Done | By | When (UTC) |"), "{en}");
        let learner = crate::progress::format_utc(1_764_497_100);
        let asked = crate::progress::format_utc(1_764_500_000);
        assert!(
            en.contains(&format!(
                "| Dockerfile › Edit the page | ✔ | the learner | {learner} |"
            )),
            "{en}"
        );
        assert!(
            en.contains(&format!(
                "| Push › Pushing | ✔ | layerlab, when the learner asked | {asked} |"
            )),
            "{en}"
        );
        assert!(en.contains("| Push › Tag | — | — | — |"), "{en}");
        let ru = render_body(&facts, Lang::Ru);
        assert!(ru.contains("| Шаг | Сделан | Кто | Когда (UTC) |"), "{ru}");
        assert!(
            ru.contains(&format!(
                "| Push › Pushing | ✔ | layerlab по просьбе ученика | {asked} |"
            )),
            "{ru}"
        );
        assert!(ru.contains(&format!("| ученик сам | {learner} |")), "{ru}");
    }

    #[test]
    fn commands_match_the_lessons() {
        let pack = Pack::embedded().expect("embedded pack");
        let facts = facts();
        let vars = |name: &str| match name {
            "image" => Some(facts.image.clone()),
            "base_image" => Some(facts.base_image.clone()),
            "registry" => Some("docker.io/anna".to_string()),
            "registry_image" => Some("docker.io/anna/nginx-alpine:1.0".to_string()),
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
    fn the_report_holds_verdict_layers_page_and_answers() {
        // One of the two answers is missing: the image passes, the homework
        // is not done yet, and the verdict says what is missing.
        let text = render(&facts(), Lang::En);
        assert!(text.contains("**Verdict: not done yet**"), "{text}");
        assert!(
            text.contains(
                "- ✘ written answers: 1 of 2 not written (see «Answers to the questions» below)"
            ),
            "{text}"
        );
        let mut answered = facts();
        answered.answers[1].text = Some("No: a container has no kernel of its own.".into());
        let done = render(&answered, Lang::En);
        assert!(done.contains("**Verdict: passed**"), "{done}");
        assert!(
            done.contains("- ✔ written answers: all written (2)"),
            "{done}"
        );
        let ru = render(&facts(), Lang::Ru);
        assert!(
            ru.contains("✘ ответы на вопросы: не записано 1 ответ из 2"),
            "{ru}"
        );
        assert!(
            text.contains("The image has 3 layers, from the base up"),
            "{text}"
        );
        assert!(
            text.contains(
                "| 2 | `RUN apk add --no-cache nginx` | 6.0 MB | 21 files | 2 files | 1 file |"
            ),
            "{text}"
        );
        assert!(text.contains("**Author: Anna**"), "{text}");
        assert!(text.contains("> Hi\n"), "{text}");
        assert!(!text.contains("p{}"), "styles are not text: {text}");
        assert!(text.contains("docker pull docker.io/anna/nginx-alpine@sha256:feed"));
        assert!(
            text.contains("An image is a *template*;\n\ncontainer = image + writable layer.\n")
        );
        assert!(text.contains("Score: 17.5 of 23 (76%)"));
        assert!(text.contains(block::MARKER));
        let (body, evidence) = block::parse(&text).expect("the block parses");
        assert_eq!(evidence.body_sha256, block::sha256_hex(body.as_bytes()));
        assert_eq!(evidence.image.layers.len(), 3);
    }

    #[test]
    fn russian_plurals_and_the_standin_named_as_such() {
        let mut facts = facts();
        facts.standin = true;
        facts.base_image = "layerlab/standin-alpine:latest".into();
        let text = render(&facts, Lang::Ru);
        assert!(text.contains("В образе 3 слоя,"), "{text}");
        facts.diff_ids.truncate(1);
        facts.layers.truncate(1);
        let one = render(&facts, Lang::Ru);
        assert!(one.contains("В образе 1 слой,"), "{one}");
        assert!(text.contains("| 21 файл | 2 файла | 1 файл |"), "{text}");
        assert!(
            one.contains("| 480 файлов | 0 файлов | 0 файлов |"),
            "{one}"
        );
        assert!(text.contains("офлайн-замена Alpine для тестов"), "{text}");
        assert!(text.contains("14913561 байт"), "{text}");
    }

    #[test]
    fn a_local_registry_is_flagged() {
        for host in [
            "127.0.0.1:5000",
            "localhost:5000",
            "10.1.2.3",
            "192.168.0.5:443",
            "172.20.0.1",
            "[::1]:5000",
            "registry",
        ] {
            assert!(is_local_registry(host), "{host}");
        }
        for host in [
            "docker.io",
            "ghcr.io",
            "8.8.8.8:5000",
            "registry.example.com",
        ] {
            assert!(!is_local_registry(host), "{host}");
        }
        let mut facts = facts();
        if let Some(p) = facts.pushed.as_mut() {
            p.reference = "127.0.0.1:5000/anna/site:1.0".into();
            p.local = true;
        }
        let text = render(&facts, Lang::En);
        assert!(text.contains("a teacher cannot pull the image"), "{text}");
        assert!(!text.contains("hub.docker.com"));
        assert!(
            text.contains("docker pull 127.0.0.1:5000/anna/site@sha256:feed"),
            "{text}"
        );
    }

    #[test]
    fn not_done_yet_says_the_finishing_command() {
        let mut facts = facts();
        facts.pushed = None;
        facts.verdict = Verdict::NotDoneYet;
        facts.finish = Some("layerlab run push --registry docker.io/USER".into());
        facts.quiz = None;
        let text = render(&facts, Lang::Ru);
        assert!(text.contains("**Итог: ещё не завершено**"), "{text}");
        assert!(text.contains("`layerlab run push --registry docker.io/USER`"));
        assert!(text.contains("Тест ещё не пройден"));
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(rfc3339(1_740_837_909), "2025-03-01T14:05:09Z");
    }
}
