//! `layerlab check`: grade the homework on this machine.
//!
//! Two halves, so the rules are testable without a daemon:
//! - [`gather`] asks the daemon (and the registry, for `--pushed`) and
//!   records what it found in [`Facts`], including failures as text;
//! - [`evaluate`] turns facts into one [`Criterion`] per rule, with its
//!   reason in the learner's language. It is pure.
//!
//! The rules are documented in `docs/quiz.md` ("The homework grader").

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::docker::model::{PortRequest, RunSpec, short_id};
use crate::docker::{Docker, DockerError, ImageRef};
use crate::i18n::Lang;
use crate::lesson::loader::Pack;
use crate::t;

/// What nginx's stock welcome page says; the homework must replace it.
pub const NGINX_WELCOME: &str = "Welcome to nginx!";
/// The author line of the shipped page; the learner's page has their name.
pub const TEMPLATE_PLACEHOLDER: &str = "ВАШЕ ИМЯ / YOUR NAME";
/// Either half left on a page is the placeholder still there.
const PLACEHOLDER_HALVES: [&str; 2] = ["ВАШЕ ИМЯ", "YOUR NAME"];
/// Where an image says what it is: the first that exists counts (the
/// os-release spec's order).
pub const OS_RELEASE_PATHS: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];
/// The page the lessons ship, inside the pack's assets.
pub const TEMPLATE_PAGE_ASSET: &str = "nginx-alpine/rootfs/var/www/localhost/htdocs/index.html";
/// `/etc/os-release` `ID` of the real base.
pub const ALPINE_ID: &str = "alpine";
/// `/etc/os-release` `ID` of the offline test double (`scripts/standin-base.sh`).
pub const STANDIN_ID: &str = "layerlab-standin";
/// Used when the pack names no `max_layers`: the lesson's Dockerfile (base + RUN + COPY).
pub const DEFAULT_MAX_LAYERS: u32 = 3;
/// The label on the grader's throwaway container, on top of `layerlab.managed=true`.
pub const CHECK_LABEL: &str = "layerlab.check";
/// Version of the `--json` document; bumped only when a field changes meaning or goes away.
/// 2: `passed` is false while a criterion was not checked (nothing pushed).
pub const JSON_VERSION: u32 = 2;

const INSPECT_TIMEOUT: Duration = Duration::from_secs(30);
const RUN_TIMEOUT: Duration = Duration::from_secs(60);
const PAGE_TIMEOUT: Duration = Duration::from_secs(15);
const READ_FILE_TIMEOUT: Duration = Duration::from_secs(15);
const REMOVE_TIMEOUT: Duration = Duration::from_secs(30);
const PULL_TIMEOUT: Duration = Duration::from_secs(300);
/// A tar holding one small text file; anything bigger is not an os-release.
const OS_RELEASE_CAP: usize = 256 * 1024;
/// Body kept for the page criterion (and for the welcome-page test).
const PAGE_CAP: usize = 64 * 1024;

// --- facts ------------------------------------------------------------------

/// The image under test, as the daemon describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageFacts {
    pub id: String,
    /// Root filesystem layers (diff ids), base first.
    pub layers: Vec<String>,
    pub size: u64,
    pub repo_digests: Vec<String>,
}

/// The fields of `/etc/os-release` the grader uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OsRelease {
    pub id: String,
    pub version_id: Option<String>,
    pub pretty_name: Option<String>,
}

impl OsRelease {
    /// `KEY=value` lines; values may be quoted; comments and junk are skipped.
    pub fn parse(text: &str) -> OsRelease {
        let mut fields = BTreeMap::new();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            if let Some((key, value)) = line.split_once('=') {
                let value = value.trim();
                let unquoted = value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                    .unwrap_or(value);
                fields.insert(key.trim().to_string(), unquoted.to_string());
            }
        }
        OsRelease {
            // The spec's default when ID is absent.
            id: fields
                .remove("ID")
                .unwrap_or_else(|| "linux".to_string())
                .to_lowercase(),
            version_id: fields.remove("VERSION_ID"),
            pretty_name: fields.remove("PRETTY_NAME"),
        }
    }

    /// `PRETTY_NAME (ID=id)`, or `ID=id` without a pretty name.
    pub fn describe(&self) -> String {
        match &self.pretty_name {
            Some(name) => format!("{name} (ID={})", self.id),
            None => format!("ID={}", self.id),
        }
    }

    pub fn base(&self) -> Base {
        match self.id.as_str() {
            ALPINE_ID => Base::Alpine,
            STANDIN_ID => Base::Standin,
            _ => Base::Other,
        }
    }
}

/// What an image's os-release says its base is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    Alpine,
    /// The offline test double: it counts only where the grader is told so.
    Standin,
    Other,
}

/// What a served page is, as far as the homework goes (`check` and
/// `grade` both judge a page by it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageKind {
    /// nginx's stock welcome page.
    NginxWelcome,
    /// Nothing but whitespace.
    Empty,
    /// The shipped page's author line (or half of it) is still there.
    Placeholder,
    /// The lesson's template page, unchanged but for whitespace.
    Template,
    /// The learner's own, with its `<title>` when it has one.
    Own { title: Option<String> },
}

/// `template`: the page the pack ships, when known.
pub fn page_kind(body: &str, template: Option<&str>) -> PageKind {
    if body.contains(NGINX_WELCOME) {
        PageKind::NginxWelcome
    } else if body.trim().is_empty() {
        PageKind::Empty
    } else if PLACEHOLDER_HALVES.iter().any(|half| body.contains(half)) {
        PageKind::Placeholder
    } else if template.is_some_and(|template| same_text(template, body)) {
        PageKind::Template
    } else {
        PageKind::Own {
            title: page_title(body),
        }
    }
}

/// The reason for a page that is nginx's welcome page (`at`: where it was found).
pub fn nginx_welcome_reason(at: &str, lang: Lang) -> String {
    format!(
        "{at}: {} «{NGINX_WELCOME}»",
        t!(
            "это стандартная страница nginx, а не ваша:",
            "this is nginx's default page, not yours:"
        )
        .get(lang)
    )
}

/// The reason for an empty page.
pub fn empty_page_reason(at: &str, lang: Lang) -> String {
    format!("{at}: {}", t!("пустая страница", "an empty page").get(lang))
}

/// `--accept-base REF` and what the daemon has under that name.
#[derive(Debug, Clone, PartialEq)]
pub struct AcceptedBase {
    pub reference: String,
    /// `Ok(None)`: no such image.
    pub layers: Result<Option<Vec<String>>, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PageFacts {
    pub status: u16,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PulledImage {
    pub id: String,
    pub repo_digests: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PushedFacts {
    pub reference: String,
    pub pulled: Result<PulledImage, String>,
}

/// Everything the criteria look at. A probe that failed holds its error text.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub image: String,
    /// `Ok(None)`: the daemon has no such image.
    pub found: Result<Option<ImageFacts>, String>,
    /// `None` when not read (no image).
    pub os_release: Option<Result<OsRelease, String>>,
    pub accept_base: Option<AcceptedBase>,
    /// `None` when not fetched (no image).
    pub page: Option<Result<PageFacts, String>>,
    pub max_layers: u32,
    /// `None`: no `--pushed` and none recorded by the push lesson.
    pub pushed: Option<PushedFacts>,
    /// The page the pack ships (`index.html` of the lesson's template): a
    /// page served unchanged is not the learner's own.
    pub template_page: Option<String>,
}

// --- criteria ---------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CriterionId {
    Image,
    AlpineBase,
    CustomPage,
    LayerCount,
    Pushed,
}

impl CriterionId {
    fn label(self, lang: Lang) -> &'static str {
        match self {
            CriterionId::Image => t!("образ", "image"),
            CriterionId::AlpineBase => t!("база Alpine", "Alpine base"),
            CriterionId::CustomPage => t!("своя страница", "own page"),
            CriterionId::LayerCount => t!("число слоёв", "layer count"),
            CriterionId::Pushed => t!("публикация", "pushed"),
        }
        .get(lang)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    /// Only `pushed`, when there is nothing to check against.
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criterion {
    pub id: CriterionId,
    pub status: Status,
    pub reason: String,
}

impl Criterion {
    fn new(id: CriterionId, ok: bool, reason: String) -> Criterion {
        Criterion {
            id,
            status: if ok { Status::Pass } else { Status::Fail },
            reason,
        }
    }

    /// One line: `✔ label: reason`.
    pub fn line(&self, lang: Lang) -> String {
        let mark = match self.status {
            Status::Pass => "✔",
            Status::Fail => "✘",
            Status::Skipped => "–",
        };
        format!("{mark} {}: {}", self.id.label(lang), self.reason)
    }
}

/// Every criterion, in a fixed order. Pure: the facts decide.
pub fn evaluate(facts: &Facts, lang: Lang) -> Vec<Criterion> {
    let image = match &facts.found {
        Ok(Some(image)) => image,
        Ok(None) => {
            let reason = format!(
                "{} {}: {}",
                t!("нет образа", "no image").get(lang),
                facts.image,
                t!(
                    "соберите его (урок «Dockerfile») или укажите --image REF",
                    "build it (lesson \"Dockerfile\") or pass --image REF"
                )
                .get(lang)
            );
            return not_checked(facts, reason, lang);
        }
        Err(e) => {
            let reason = format!("{}: {e}", facts.image);
            return not_checked(facts, reason, lang);
        }
    };
    let mut criteria = vec![Criterion::new(
        CriterionId::Image,
        true,
        format!(
            "{} ({} {}, {})",
            facts.image,
            t!("id", "id").get(lang),
            short_id(&image.id),
            crate::i18n::size(lang, image.size)
        ),
    )];
    criteria.push(alpine_base(facts, image, lang));
    criteria.push(custom_page(facts, lang));
    criteria.push(layer_count(facts, image, lang));
    criteria.push(pushed(facts, image, lang));
    criteria
}

/// The image is missing or unreadable: it fails, and so does every rule
/// about it, saying it could not be checked.
fn not_checked(facts: &Facts, reason: String, lang: Lang) -> Vec<Criterion> {
    let skipped = t!("не проверено: нет образа", "not checked: there is no image")
        .get(lang)
        .to_string();
    let mut criteria = vec![Criterion::new(CriterionId::Image, false, reason)];
    for id in [
        CriterionId::AlpineBase,
        CriterionId::CustomPage,
        CriterionId::LayerCount,
    ] {
        criteria.push(Criterion::new(id, false, skipped.clone()));
    }
    criteria.push(match &facts.pushed {
        None => skipped_pushed(lang),
        Some(_) => Criterion::new(CriterionId::Pushed, false, skipped),
    });
    criteria
}

fn alpine_base(facts: &Facts, image: &ImageFacts, lang: Lang) -> Criterion {
    let id = CriterionId::AlpineBase;
    let os = match &facts.os_release {
        Some(Ok(os)) => os,
        Some(Err(e)) => {
            return Criterion::new(
                id,
                false,
                format!(
                    "{}: {e}",
                    t!(
                        "не удалось прочитать /etc/os-release из образа",
                        "cannot read /etc/os-release from the image"
                    )
                    .get(lang)
                ),
            );
        }
        None => {
            return Criterion::new(
                id,
                false,
                t!("/etc/os-release не прочитан", "/etc/os-release not read")
                    .get(lang)
                    .to_string(),
            );
        }
    };
    match os.base() {
        Base::Alpine => {
            return Criterion::new(
                id,
                true,
                format!(
                    "{} {}",
                    t!("/etc/os-release:", "/etc/os-release:").get(lang),
                    os.describe()
                ),
            );
        }
        Base::Other => {
            return Criterion::new(
                id,
                false,
                format!(
                    "{} {}; {}",
                    t!("база образа —", "the image's base is").get(lang),
                    os.describe(),
                    t!(
                        "нужна Alpine: начните Dockerfile с FROM alpine:3.22",
                        "it must be Alpine: start the Dockerfile with FROM alpine:3.22"
                    )
                    .get(lang)
                ),
            );
        }
        Base::Standin => {}
    }
    // The stand-in: only when the grader is told so, and only when the image
    // really was built FROM the image named.
    let Some(base) = &facts.accept_base else {
        return Criterion::new(
            id,
            false,
            format!(
                "{} ({}): {}",
                t!(
                    "база — офлайн-замена Alpine для тестов, а не Alpine",
                    "the base is layerlab's offline stand-in for Alpine (a test double), not Alpine"
                )
                .get(lang),
                os.describe(),
                t!(
                    "она засчитывается только с --accept-base REF, где REF — эта замена",
                    "it counts only with --accept-base REF naming that stand-in"
                )
                .get(lang)
            ),
        );
    };
    let base_layers = match &base.layers {
        Err(e) => {
            return Criterion::new(id, false, format!("--accept-base {}: {e}", base.reference));
        }
        Ok(None) => {
            return Criterion::new(
                id,
                false,
                format!(
                    "--accept-base {}: {}",
                    base.reference,
                    t!("такого образа нет", "no such image").get(lang)
                ),
            );
        }
        Ok(Some(layers)) => layers,
    };
    let built_from = !base_layers.is_empty() && image.layers.starts_with(base_layers);
    if built_from {
        Criterion::new(
            id,
            true,
            format!(
                "{} {} (--accept-base; {}: {})",
                t!("офлайн-замена Alpine", "the offline stand-in for Alpine").get(lang),
                base.reference,
                t!("общие базовые слои", "shared base layers").get(lang),
                base_layers.len()
            ),
        )
    } else {
        Criterion::new(
            id,
            false,
            format!(
                "--accept-base {}: {}",
                base.reference,
                t!(
                    "его слои не лежат в основе образа: образ собран не FROM него",
                    "its layers are not the image's base layers: the image was not built FROM it"
                )
                .get(lang)
            ),
        )
    }
}

fn custom_page(facts: &Facts, lang: Lang) -> Criterion {
    let id = CriterionId::CustomPage;
    let page = match &facts.page {
        Some(Ok(page)) => page,
        Some(Err(e)) => return Criterion::new(id, false, e.clone()),
        None => {
            return Criterion::new(
                id,
                false,
                t!("страница не запрошена", "the page was not fetched")
                    .get(lang)
                    .to_string(),
            );
        }
    };
    let status = format!("HTTP {}", page.status);
    if page.status == 404 {
        return Criterion::new(
            id,
            false,
            format!(
                "{status}: {}",
                t!(
                    "nginx не нашёл страницу (так отвечает стандартная настройка Alpine); скопируйте в образ свою страницу и конфигурацию",
                    "nginx has no page to serve (Alpine's stock config answers so); COPY your page and server config into the image"
                )
                .get(lang)
            ),
        );
    }
    if !(200..300).contains(&page.status) {
        return Criterion::new(
            id,
            false,
            format!(
                "{status}: {}",
                t!("ожидалась страница (2xx)", "expected a page (2xx)").get(lang)
            ),
        );
    }
    match page_kind(&page.body, facts.template_page.as_deref()) {
        PageKind::NginxWelcome => Criterion::new(id, false, nginx_welcome_reason(&status, lang)),
        PageKind::Empty => Criterion::new(id, false, empty_page_reason(&status, lang)),
        PageKind::Placeholder => Criterion::new(
            id,
            false,
            crate::tr!(
                lang,
                "{status}: на странице всё ещё «{TEMPLATE_PLACEHOLDER}» из шаблона: впишите своё имя в nginx-alpine/rootfs/var/www/localhost/htdocs/index.html и пересоберите образ",
                "{status}: the page still says \"{TEMPLATE_PLACEHOLDER}\" from the template: put your name in nginx-alpine/rootfs/var/www/localhost/htdocs/index.html and rebuild the image",
            ),
        ),
        PageKind::Template => Criterion::new(
            id,
            false,
            crate::tr!(
                lang,
                "{status}: это страница-шаблон из урока без изменений: сделайте её своей (имя, текст) и пересоберите образ",
                "{status}: this is the lesson's template page, unchanged: make it yours (your name, your text) and rebuild the image",
            ),
        ),
        PageKind::Own { title } => Criterion::new(
            id,
            true,
            match title {
                Some(title) => format!(
                    "{status}, {} «{title}»",
                    t!("своя страница", "own page").get(lang)
                ),
                None => format!(
                    "{status}, {} {} {}",
                    t!("своя страница", "own page").get(lang),
                    page.body.len(),
                    t!("байт", "bytes").get(lang)
                ),
            },
        ),
    }
}

/// The `<title>`, if the page has one: a reason the learner recognises
/// (`grade` names a student's page by it too). ASCII lowercasing keeps the
/// byte offsets valid for the original text.
pub fn page_title(body: &str) -> Option<String> {
    let lower = body.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let title: String = body
        .get(start..end)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!title.is_empty()).then(|| title.chars().take(80).collect())
}

fn layer_count(facts: &Facts, image: &ImageFacts, lang: Lang) -> Criterion {
    // The line reads "layer count: 3 ≤ 3": the label names the noun, so the
    // reason is only the numbers (it said "слоёв: " again).
    let n = image.layers.len();
    let max = facts.max_layers as usize;
    if n <= max {
        Criterion::new(CriterionId::LayerCount, true, format!("{n} ≤ {max}"))
    } else {
        Criterion::new(
            CriterionId::LayerCount,
            false,
            format!(
                "{n} > {max}: {}",
                t!(
                    "объедините RUN в один и копируйте файлы одним COPY",
                    "merge the RUNs into one and copy the files with one COPY"
                )
                .get(lang)
            ),
        )
    }
}

fn skipped_pushed(lang: Lang) -> Criterion {
    Criterion {
        id: CriterionId::Pushed,
        status: Status::Skipped,
        reason: t!(
            "не проверялась: нет --pushed REF, и урок о публикации ничего не записал",
            "not checked: no --pushed REF, and the push lesson recorded none"
        )
        .get(lang)
        .to_string(),
    }
}

fn pushed(facts: &Facts, image: &ImageFacts, lang: Lang) -> Criterion {
    let id = CriterionId::Pushed;
    let Some(pushed) = &facts.pushed else {
        return skipped_pushed(lang);
    };
    let pulled = match &pushed.pulled {
        Ok(pulled) => pulled,
        Err(e) => {
            return Criterion::new(
                id,
                false,
                format!(
                    "{}: {} {e}",
                    pushed.reference,
                    t!("не скачивается:", "cannot be pulled:").get(lang)
                ),
            );
        }
    };
    let repository = ImageRef::parse(&pushed.reference)
        .map(|r| r.repository())
        .unwrap_or_default();
    let remote_digest = digest_for(&pulled.repo_digests, &repository);
    let local_digest = digest_for(&image.repo_digests, &repository);
    if pulled.id != image.id {
        let mut reason = format!(
            "{}: {} {} ≠ {} {}",
            pushed.reference,
            t!(
                "в реестре другой образ: id",
                "the registry holds another image: id"
            )
            .get(lang),
            short_id(&pulled.id),
            t!("локальный", "local").get(lang),
            short_id(&image.id),
        );
        match (&remote_digest, &local_digest) {
            (Some(remote), Some(local)) if remote != local => reason.push_str(&format!(
                "; {} {remote} ≠ {local}",
                t!("дайджест манифеста", "manifest digest").get(lang)
            )),
            (Some(remote), None) => reason.push_str(&format!(
                "; {} {remote}, {}",
                t!("дайджест в реестре", "registry digest").get(lang),
                t!(
                    "локальный образ туда не отправлялся",
                    "the local image was never pushed there"
                )
                .get(lang)
            )),
            _ => {}
        }
        reason.push_str(&format!(
            "; {} docker tag {} {} && docker push {}",
            t!("опубликуйте заново:", "push it again:").get(lang),
            facts.image,
            pushed.reference,
            pushed.reference
        ));
        return Criterion::new(id, false, reason);
    }
    Criterion::new(
        id,
        true,
        format!(
            "{}: {} {}{}",
            pushed.reference,
            t!("скачивается, тот же образ: id", "pulls, the same image: id").get(lang),
            short_id(&image.id),
            remote_digest
                .map(|d| format!(", {} {d}", t!("дайджест", "digest").get(lang)))
                .unwrap_or_default()
        ),
    )
}

/// `sha256:…` from the `repo@sha256:…` entry of `repository`.
pub fn digest_for(repo_digests: &[String], repository: &str) -> Option<String> {
    repo_digests.iter().find_map(|entry| {
        let (repo, digest) = entry.split_once('@')?;
        let same =
            repo == repository || ImageRef::parse(repo).is_ok_and(|r| r.repository() == repository);
        same.then(|| digest.to_string())
    })
}

/// Equal but for whitespace (line ends, indentation): an editor that only
/// reflowed the page did not make it the learner's.
fn same_text(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// Exit 0 only when every criterion was checked and passed: one that was
/// not checked (nothing pushed) never makes the homework pass.
pub fn all_passed(criteria: &[Criterion]) -> bool {
    criteria.iter().all(|c| c.status == Status::Pass)
}

/// The grader's word on the whole homework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    /// Nothing failed, but something was not checked yet (the push).
    NotDoneYet,
    Failed,
}

impl Verdict {
    pub fn of(criteria: &[Criterion]) -> Verdict {
        if criteria.iter().any(|c| c.status == Status::Fail) {
            Verdict::Failed
        } else if criteria.iter().any(|c| c.status != Status::Pass) {
            Verdict::NotDoneYet
        } else {
            Verdict::Passed
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Verdict::Passed => t!("выполнено", "passed"),
            Verdict::NotDoneYet => t!("ещё не завершено", "not done yet"),
            Verdict::Failed => t!("не выполнено", "failed"),
        }
        .get(lang)
    }
}

/// The one command that would finish a homework that is not done yet:
/// push (to the registry the learner chose, when one is known).
pub fn finishing_command(registry: Option<&str>) -> String {
    match registry {
        Some(registry) => format!("layerlab run push --registry {registry}"),
        None => "layerlab run push --registry docker.io/USER".to_string(),
    }
}

/// Which image to grade: `--image`, else the learner's image as the watcher
/// last found it (whatever name they gave it with `docker build -t`; its id
/// when it has no name), else the one "do it for me" built (recorded by the
/// build step), else — only when the learner has a data dir at all — the
/// pack's default name. `Err` says why there is none.
///
/// The watched image comes first: it is found again after every rebuild, so
/// it is the newest of the two whenever both exist.
pub fn graded_image(
    explicit: Option<&str>,
    progress: Option<&crate::progress::Progress>,
    has_progress: bool,
    default: &str,
    lang: Lang,
) -> Result<String, String> {
    if let Some(image) = explicit {
        return Ok(image.to_string());
    }
    if let Some(found) = progress.and_then(|p| p.learner_image()) {
        return Ok(found.tag.clone().unwrap_or_else(|| found.id.clone()));
    }
    if let Some(built) = progress.and_then(|p| p.var(BUILT_IMAGE_VAR)) {
        return Ok(built.to_string());
    }
    if !has_progress {
        return Err(crate::tr!(
            lang,
            "нет прогресса layerlab ({file}): уроки здесь не проходились, и неясно, чей образ проверять. Пройдите уроки (`layerlab`) или укажите образ: --image REF",
            "no layerlab progress here ({file}): no lesson was done with this data dir, so there is no image of yours to grade. Do the lessons (`layerlab`) or name the image: --image REF",
            file = crate::paths::progress_file().display()
        ));
    }
    Ok(default.to_string())
}

pub use crate::progress::BUILT_IMAGE_VAR;

// --- the JSON for teachers' scripts -------------------------------------------

#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub version: u32,
    pub passed: bool,
    pub image: &'a str,
    pub image_id: Option<&'a str>,
    pub layers: Option<usize>,
    pub max_layers: u32,
    pub size_bytes: Option<u64>,
    pub os_id: Option<&'a str>,
    pub http_status: Option<u16>,
    pub pushed: Option<&'a str>,
    pub pushed_image_id: Option<&'a str>,
    pub lang: &'static str,
    pub criteria: &'a [Criterion],
}

pub fn json_report<'a>(facts: &'a Facts, criteria: &'a [Criterion], lang: Lang) -> Report<'a> {
    let image = facts.found.as_ref().ok().and_then(Option::as_ref);
    Report {
        version: JSON_VERSION,
        passed: all_passed(criteria),
        image: &facts.image,
        image_id: image.map(|i| i.id.as_str()),
        layers: image.map(|i| i.layers.len()),
        max_layers: facts.max_layers,
        size_bytes: image.map(|i| i.size),
        os_id: facts
            .os_release
            .as_ref()
            .and_then(|o| o.as_ref().ok())
            .map(|o| o.id.as_str()),
        http_status: facts
            .page
            .as_ref()
            .and_then(|p| p.as_ref().ok())
            .map(|p| p.status),
        pushed: facts.pushed.as_ref().map(|p| p.reference.as_str()),
        pushed_image_id: facts
            .pushed
            .as_ref()
            .and_then(|p| p.pulled.as_ref().ok())
            .map(|p| p.id.as_str()),
        lang: lang.code(),
        criteria,
    }
}

// --- gathering (the daemon) -----------------------------------------------------

/// What to check.
#[derive(Debug, Clone)]
pub struct Request {
    pub image: String,
    pub pushed: Option<String>,
    pub accept_base: Option<String>,
    pub max_layers: u32,
    pub template_page: Option<String>,
}

async fn bounded<T>(
    what: &str,
    after: Duration,
    future: impl std::future::Future<Output = Result<T, DockerError>>,
    lang: Lang,
) -> Result<T, String> {
    match tokio::time::timeout(after, future).await {
        Err(_) => Err(format!(
            "{what}: {} {} s",
            t!("нет ответа за", "no answer within").get(lang),
            after.as_secs()
        )),
        Ok(Err(e)) => Err(e.render(lang)),
        Ok(Ok(value)) => Ok(value),
    }
}

/// Ask the daemon. Containers it starts are pushed onto `started` at once,
/// so the caller removes them even when this is cancelled halfway.
pub async fn gather(
    docker: &Docker,
    request: &Request,
    lang: Lang,
    started: &mut Vec<String>,
) -> Facts {
    let mut facts = Facts {
        image: request.image.clone(),
        found: Ok(None),
        os_release: None,
        accept_base: None,
        page: None,
        max_layers: request.max_layers,
        pushed: None,
        template_page: request.template_page.clone(),
    };
    facts.found = bounded(
        "inspect",
        INSPECT_TIMEOUT,
        docker.inspect_image(&request.image),
        lang,
    )
    .await
    .map(|found| {
        found.map(|info| ImageFacts {
            id: info.id,
            layers: info.layers,
            size: info.size,
            repo_digests: info.repo_digests,
        })
    });
    let Ok(Some(image)) = facts.found.clone() else {
        if let Some(reference) = &request.pushed {
            facts.pushed = Some(PushedFacts {
                reference: reference.clone(),
                // Pulling proves nothing without a local image to compare with.
                pulled: Err("not checked: no local image".to_string()),
            });
        }
        return facts;
    };
    if let Some(reference) = &request.accept_base {
        let layers = bounded(
            "inspect",
            INSPECT_TIMEOUT,
            docker.inspect_image(reference),
            lang,
        )
        .await
        .map(|found| found.map(|info| info.layers));
        facts.accept_base = Some(AcceptedBase {
            reference: reference.clone(),
            layers,
        });
    }

    // One throwaway container serves both: its file system for os-release,
    // its published port for the page. By id, so a retag meanwhile can't matter.
    let spec = RunSpec {
        image: image.id.clone(),
        name: Some(unique_container_name()),
        ports: vec![PortRequest::any_free(80)],
        labels: BTreeMap::from([(CHECK_LABEL.to_string(), "true".to_string())]),
        ..Default::default()
    };
    match bounded("docker run", RUN_TIMEOUT, docker.run_container(&spec), lang).await {
        Err(e) => {
            facts.os_release = Some(Err(e.clone()));
            facts.page = Some(Err(e));
        }
        Ok(container) => {
            started.push(container.id.clone());
            facts.os_release = Some(read_os_release(docker, &container.id, lang).await);
            facts.page = Some(fetch_page(docker, &container, lang).await);
        }
    }

    if let Some(reference) = &request.pushed {
        let pulled = pull_and_inspect(docker, reference, lang).await;
        facts.pushed = Some(PushedFacts {
            reference: reference.clone(),
            pulled,
        });
    }
    facts
}

fn unique_container_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("layerlab-check-{}-{nanos:08x}", std::process::id())
}

async fn fetch_page(
    docker: &Docker,
    container: &crate::docker::model::ContainerInfo,
    lang: Lang,
) -> Result<PageFacts, String> {
    let Some(port) = container.host_port(80) else {
        return Err(t!(
            "порт 80 контейнера не опубликован",
            "the container's port 80 was not published"
        )
        .get(lang)
        .to_string());
    };
    let fetched = bounded(
        "GET /",
        PAGE_TIMEOUT + Duration::from_secs(5),
        docker.http_get(port, "/", PAGE_TIMEOUT),
        lang,
    )
    .await;
    match fetched {
        Ok(response) => {
            let mut body = response.body;
            body.truncate(PAGE_CAP);
            Ok(PageFacts {
                status: response.status,
                body: String::from_utf8_lossy(&body).into_owned(),
            })
        }
        Err(e) => {
            // Most often nginx died at start: say so rather than "connection refused".
            let state = docker
                .inspect_container(&container.id)
                .await
                .ok()
                .filter(|d| !d.state.running)
                .map(|d| {
                    format!(
                        "; {} {}",
                        t!(
                            "контейнер завершился, код",
                            "the container exited with code"
                        )
                        .get(lang),
                        d.state.exit_code.unwrap_or(-1)
                    )
                })
                .unwrap_or_default();
            Err(format!(
                "{}: {e}{state}",
                t!("страница не открылась на 127.0.0.1", "no page on 127.0.0.1").get(lang)
            ))
        }
    }
}

/// `/etc/os-release` (else `/usr/lib/os-release`, per the spec), following
/// symlinks inside the image (Alpine's is one) a bounded number of times.
async fn read_os_release(
    docker: &Docker,
    container: &str,
    lang: Lang,
) -> Result<OsRelease, String> {
    let mut path = OS_RELEASE_PATHS[0].to_string();
    let mut tried_fallback = false;
    for _ in 0..6 {
        let archive = match tokio::time::timeout(
            READ_FILE_TIMEOUT,
            collect_capped(docker.download_from_container(container, &path)),
        )
        .await
        {
            Err(_) => {
                return Err(format!(
                    "{path}: {} {} s",
                    t!("нет ответа за", "no answer within").get(lang),
                    READ_FILE_TIMEOUT.as_secs()
                ));
            }
            Ok(Err(DockerError::Api { status: 404, .. })) if !tried_fallback => {
                tried_fallback = true;
                path = OS_RELEASE_PATHS[1].to_string();
                continue;
            }
            Ok(Err(e)) => return Err(e.render(lang)),
            Ok(Ok(bytes)) => bytes,
        };
        match first_tar_entry(&archive).map_err(|e| format!("{path}: {e}"))? {
            TarEntry::File(text) => return Ok(OsRelease::parse(&text)),
            TarEntry::Link(target) => path = resolve_link(&path, &target),
        }
    }
    Err(format!(
        "{path}: {}",
        t!(
            "слишком много символических ссылок",
            "too many symbolic links"
        )
        .get(lang)
    ))
}

async fn collect_capped(
    mut stream: futures_util::stream::BoxStream<'static, Result<bytes::Bytes, DockerError>>,
) -> Result<Vec<u8>, DockerError> {
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk?);
        if out.len() > OS_RELEASE_CAP {
            return Err(DockerError::InvalidInput(format!(
                "more than {OS_RELEASE_CAP} bytes: not an os-release file"
            )));
        }
    }
    Ok(out)
}

#[derive(Debug, PartialEq)]
enum TarEntry {
    File(String),
    Link(String),
}

fn first_tar_entry(archive: &[u8]) -> Result<TarEntry, String> {
    let mut tar = tar::Archive::new(archive);
    let mut entries = tar.entries().map_err(|e| e.to_string())?;
    let mut entry = entries
        .next()
        .ok_or_else(|| "empty archive".to_string())?
        .map_err(|e| e.to_string())?;
    let kind = entry.header().entry_type();
    if kind.is_symlink() || kind.is_hard_link() {
        let target = entry
            .link_name()
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "a link without a target".to_string())?;
        return Ok(TarEntry::Link(target.to_string_lossy().into_owned()));
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut entry, &mut text).map_err(|e| e.to_string())?;
    Ok(TarEntry::File(text))
}

/// A link target as an absolute path inside the image.
fn resolve_link(from: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        let dir = from.rsplit_once('/').map_or("", |(dir, _)| dir);
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

/// `docker pull REF`, then what the daemon has under REF (bounded).
pub async fn pull_and_inspect(
    docker: &Docker,
    reference: &str,
    lang: Lang,
) -> Result<PulledImage, String> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // Nobody shows pull progress here; drain it so it does not pile up.
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let cancel = CancellationToken::new();
    let pulled = bounded(
        "docker pull",
        PULL_TIMEOUT,
        docker.pull_image(reference, None, &tx, &cancel),
        lang,
    )
    .await;
    cancel.cancel();
    drop(tx);
    let _ = drain.await;
    pulled?;
    let info = bounded(
        "inspect",
        INSPECT_TIMEOUT,
        docker.inspect_image(reference),
        lang,
    )
    .await?
    .ok_or_else(|| {
        format!(
            "{reference}: {}",
            t!("после pull образа нет", "no image after the pull").get(lang)
        )
    })?;
    Ok(PulledImage {
        id: info.id,
        repo_digests: info.repo_digests,
    })
}

pub async fn remove_started(docker: &Docker, started: &[String]) -> Vec<String> {
    let mut failures = Vec::new();
    for id in started {
        match tokio::time::timeout(REMOVE_TIMEOUT, docker.remove_container(id)).await {
            Ok(Ok(())) | Ok(Err(DockerError::ContainerNotFound { .. })) => {}
            Ok(Err(e)) => failures.push(format!("{}: {e}", short_id(id))),
            Err(_) => failures.push(format!("{}: timeout", short_id(id))),
        }
    }
    failures
}

/// The pack's `max_layers`, else [`DEFAULT_MAX_LAYERS`].
pub fn max_layers(pack: &Pack) -> u32 {
    pack.manifest
        .defaults
        .max_layers
        .unwrap_or(DEFAULT_MAX_LAYERS)
}

/// The lesson image from the pack's defaults.
pub fn default_image(pack: &Pack) -> String {
    pack.manifest
        .defaults
        .image
        .clone()
        .unwrap_or_else(|| "layerlab/nginx-alpine:latest".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "sha256:base";

    fn image(layers: &[&str]) -> ImageFacts {
        ImageFacts {
            id: "sha256:aaaaaaaaaaaaaaaaaaaa".into(),
            layers: layers.iter().map(|l| l.to_string()).collect(),
            size: 14_900_000,
            repo_digests: Vec::new(),
        }
    }

    fn os(id: &str) -> OsRelease {
        OsRelease {
            id: id.into(),
            version_id: None,
            pretty_name: None,
        }
    }

    /// A homework that passes everything, on real Alpine.
    fn good() -> Facts {
        Facts {
            image: "layerlab/nginx-alpine:latest".into(),
            found: Ok(Some(image(&[BASE, "sha256:run", "sha256:copy"]))),
            os_release: Some(Ok(os("alpine"))),
            accept_base: None,
            page: Some(Ok(PageFacts {
                status: 200,
                body: "<html><title>Anna's page</title></html>".into(),
            })),
            max_layers: 3,
            pushed: None,
            template_page: Some(TEMPLATE.into()),
        }
    }

    const TEMPLATE: &str = "<p>Author: <b>ВАШЕ ИМЯ / YOUR NAME</b></p>\n<p>Hello</p>\n";

    fn get(criteria: &[Criterion], id: CriterionId) -> &Criterion {
        criteria
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("{id:?} missing from {criteria:?}"))
    }

    fn status(facts: &Facts, id: CriterionId) -> (Status, String) {
        let criteria = evaluate(facts, Lang::En);
        let c = get(&criteria, id);
        (c.status, c.reason.clone())
    }

    #[test]
    fn a_good_homework_passes_with_the_push_skipped() {
        let criteria = evaluate(&good(), Lang::En);
        let ids: Vec<_> = criteria.iter().map(|c| (c.id, c.status)).collect();
        assert_eq!(
            ids,
            vec![
                (CriterionId::Image, Status::Pass),
                (CriterionId::AlpineBase, Status::Pass),
                (CriterionId::CustomPage, Status::Pass),
                (CriterionId::LayerCount, Status::Pass),
                (CriterionId::Pushed, Status::Skipped),
            ]
        );
        assert!(!all_passed(&criteria), "an unchecked push never passes");
        assert_eq!(Verdict::of(&criteria), Verdict::NotDoneYet);
        assert!(
            get(&criteria, CriterionId::CustomPage)
                .reason
                .contains("Anna's page")
        );
        assert_eq!(
            get(&criteria, CriterionId::Image).line(Lang::En),
            "✔ image: layerlab/nginx-alpine:latest (id aaaaaaaaaaaa, 14.9 MB)"
        );
    }

    #[test]
    fn a_missing_image_fails_everything_it_would_have_checked() {
        let mut facts = good();
        facts.found = Ok(None);
        let criteria = evaluate(&facts, Lang::En);
        assert!(!all_passed(&criteria));
        let image = get(&criteria, CriterionId::Image);
        assert_eq!(image.status, Status::Fail);
        assert!(
            image
                .reason
                .contains("no image layerlab/nginx-alpine:latest")
        );
        for id in [
            CriterionId::AlpineBase,
            CriterionId::CustomPage,
            CriterionId::LayerCount,
        ] {
            let c = get(&criteria, id);
            assert_eq!(c.status, Status::Fail);
            assert!(c.reason.contains("not checked"), "{c:?}");
        }
        let russian = evaluate(&facts, Lang::Ru);
        let line = get(&russian, CriterionId::Image).line(Lang::Ru);
        assert!(line.starts_with("✘ образ: нет образа"), "{line}");
    }

    #[test]
    fn the_base_must_be_alpine() {
        let mut facts = good();
        facts.os_release = Some(Ok(OsRelease::parse(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n",
        )));
        let (s, reason) = status(&facts, CriterionId::AlpineBase);
        assert_eq!(s, Status::Fail);
        assert!(
            reason.contains("Debian GNU/Linux 12 (bookworm) (ID=debian)"),
            "{reason}"
        );
        assert!(reason.contains("FROM alpine:3.22"), "{reason}");

        facts.os_release = Some(Err("no such file".into()));
        let (s, reason) = status(&facts, CriterionId::AlpineBase);
        assert_eq!(s, Status::Fail);
        assert!(reason.contains("cannot read /etc/os-release"), "{reason}");
    }

    #[test]
    fn the_standin_counts_only_when_named_and_really_the_base() {
        let mut facts = good();
        facts.os_release = Some(Ok(os(STANDIN_ID)));
        let (s, reason) = status(&facts, CriterionId::AlpineBase);
        assert_eq!(s, Status::Fail);
        assert!(reason.contains("--accept-base"), "{reason}");

        facts.accept_base = Some(AcceptedBase {
            reference: "layerlab/standin-alpine:latest".into(),
            layers: Ok(Some(vec![BASE.into()])),
        });
        assert_eq!(status(&facts, CriterionId::AlpineBase).0, Status::Pass);

        facts.accept_base = Some(AcceptedBase {
            reference: "other:1".into(),
            layers: Ok(Some(vec!["sha256:elsewhere".into()])),
        });
        let (s, reason) = status(&facts, CriterionId::AlpineBase);
        assert_eq!(s, Status::Fail);
        assert!(reason.contains("not built FROM it"), "{reason}");

        facts.accept_base = Some(AcceptedBase {
            reference: "gone:1".into(),
            layers: Ok(None),
        });
        let (s, reason) = status(&facts, CriterionId::AlpineBase);
        assert_eq!(s, Status::Fail);
        assert!(reason.contains("gone:1: no such image"), "{reason}");
    }

    #[test]
    fn accept_base_does_not_turn_another_distribution_into_alpine() {
        let mut facts = good();
        facts.os_release = Some(Ok(os("debian")));
        facts.accept_base = Some(AcceptedBase {
            reference: "debian:12".into(),
            layers: Ok(Some(vec![BASE.into()])),
        });
        assert_eq!(status(&facts, CriterionId::AlpineBase).0, Status::Fail);
    }

    #[test]
    fn the_page_must_be_the_learners() {
        let page = |status: u16, body: &str| {
            let mut facts = good();
            facts.page = Some(Ok(PageFacts {
                status,
                body: body.into(),
            }));
            self::status(&facts, CriterionId::CustomPage)
        };
        let (s, reason) = page(200, "<h1>Welcome to nginx!</h1>");
        assert_eq!(s, Status::Fail);
        assert!(reason.contains("nginx's default page"), "{reason}");
        let (s, reason) = page(404, "<center>nginx</center>");
        assert_eq!(s, Status::Fail);
        assert!(reason.starts_with("HTTP 404"), "{reason}");
        let (s, reason) = page(200, "  \n");
        assert_eq!(s, Status::Fail);
        assert!(reason.contains("empty"), "{reason}");
        assert_eq!(page(500, "oops").0, Status::Fail);
        let (s, reason) = page(200, "hello");
        assert_eq!(s, Status::Pass);
        assert!(reason.contains("5 bytes"), "{reason}");

        let mut facts = good();
        facts.page = Some(Err("no page on 127.0.0.1: refused".into()));
        assert_eq!(
            status(&facts, CriterionId::CustomPage),
            (Status::Fail, "no page on 127.0.0.1: refused".to_string())
        );
    }

    #[test]
    fn the_template_page_is_not_the_learners() {
        let page = |body: &str| {
            let mut facts = good();
            facts.page = Some(Ok(PageFacts {
                status: 200,
                body: body.into(),
            }));
            status(&facts, CriterionId::CustomPage)
        };
        let (s, reason) = page("<title>Hi</title><p>Author: ВАШЕ ИМЯ / YOUR NAME</p>");
        assert_eq!(s, Status::Fail);
        assert!(reason.contains("put your name in"), "{reason}");
        // Half the placeholder left is the placeholder still there (as `grade` says too).
        let (s, reason) = page("<p>Author: Анна / YOUR NAME</p>");
        assert_eq!(s, Status::Fail);
        assert!(reason.contains("put your name in"), "{reason}");
        // The template with its placeholder replaced by spaces only is still
        // the template once whitespace is ignored.
        let template = TEMPLATE
            .replace("ВАШЕ ИМЯ / YOUR NAME", "")
            .replace('\n', "\r\n  ");
        let mut facts = good();
        facts.template_page = Some(TEMPLATE.replace("ВАШЕ ИМЯ / YOUR NAME", ""));
        facts.page = Some(Ok(PageFacts {
            status: 200,
            body: template,
        }));
        let (s, reason) = status(&facts, CriterionId::CustomPage);
        assert_eq!(s, Status::Fail);
        assert!(reason.contains("template page, unchanged"), "{reason}");
        let (s, _) = page("<p>Author: <b>Анна</b></p>\n<p>Hello</p>\n");
        assert_eq!(s, Status::Pass);
        let russian = {
            let mut facts = good();
            facts.page = Some(Ok(PageFacts {
                status: 200,
                body: TEMPLATE.into(),
            }));
            evaluate(&facts, Lang::Ru)
        };
        assert!(
            get(&russian, CriterionId::CustomPage)
                .reason
                .contains("впишите своё имя")
        );
    }

    #[test]
    fn the_verdict_and_the_graded_image() {
        let mut facts = good();
        facts.pushed = Some(PushedFacts {
            reference: "r/x:1".into(),
            pulled: Ok(PulledImage {
                id: "sha256:aaaaaaaaaaaaaaaaaaaa".into(),
                repo_digests: Vec::new(),
            }),
        });
        assert_eq!(Verdict::of(&evaluate(&facts, Lang::En)), Verdict::Passed);
        facts.found = Ok(None);
        assert_eq!(Verdict::of(&evaluate(&facts, Lang::En)), Verdict::Failed);
        assert_eq!(
            finishing_command(Some("127.0.0.1:5000/anna")),
            "layerlab run push --registry 127.0.0.1:5000/anna"
        );
        let none = graded_image(None, None, false, "d:1", Lang::En).expect_err("no data dir");
        assert!(none.contains("--image REF"), "{none}");
        assert_eq!(
            graded_image(Some("mine:1"), None, false, "d:1", Lang::En),
            Ok("mine:1".into())
        );
        assert_eq!(
            graded_image(None, None, true, "d:1", Lang::En),
            Ok("d:1".into())
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let mut progress = crate::progress::Progress::open(&dir.path().join("p.json"))
            .expect("progress")
            .progress;
        progress
            .save_var("dockerfile", BUILT_IMAGE_VAR, "anna/site:2")
            .expect("save");
        assert_eq!(
            graded_image(None, Some(&progress), true, "d:1", Lang::En),
            Ok("anna/site:2".into())
        );
        // The image the learner built themselves, under their own name, as
        // the watcher found it: it wins over the default and "do it for me".
        progress
            .set_learner_image("sha256:beef", Some("customimage/alpng:ng_v1"))
            .expect("save");
        assert_eq!(
            graded_image(None, Some(&progress), true, "d:1", Lang::En),
            Ok("customimage/alpng:ng_v1".into())
        );
        progress
            .set_learner_image("sha256:beef", None)
            .expect("save");
        assert_eq!(
            graded_image(None, Some(&progress), true, "d:1", Lang::En),
            Ok("sha256:beef".into())
        );
    }

    #[test]
    fn layers_at_most_the_lessons_limit() {
        let mut facts = good();
        assert_eq!(
            status(&facts, CriterionId::LayerCount),
            (Status::Pass, "3 ≤ 3".to_string())
        );
        // The line names the noun once, in either language.
        let ru = get(&evaluate(&facts, Lang::Ru), CriterionId::LayerCount).line(Lang::Ru);
        assert!(ru.ends_with("число слоёв: 3 ≤ 3"), "{ru}");
        let en = get(&evaluate(&facts, Lang::En), CriterionId::LayerCount).line(Lang::En);
        assert!(en.ends_with("layer count: 3 ≤ 3"), "{en}");
        facts.found = Ok(Some(image(&[BASE, "a", "b", "c", "d"])));
        let (s, reason) = status(&facts, CriterionId::LayerCount);
        assert_eq!(s, Status::Fail);
        assert!(reason.starts_with("5 > 3: merge"), "{reason}");
        facts.max_layers = 5;
        assert_eq!(status(&facts, CriterionId::LayerCount).0, Status::Pass);
    }

    #[test]
    fn pushed_must_pull_the_same_image() {
        let reference = "127.0.0.1:5000/anna/nginx-alpine:1.0";
        let mut facts = good();
        let local_id = "sha256:aaaaaaaaaaaaaaaaaaaa".to_string();
        facts.pushed = Some(PushedFacts {
            reference: reference.into(),
            pulled: Ok(PulledImage {
                id: local_id.clone(),
                repo_digests: vec!["127.0.0.1:5000/anna/nginx-alpine@sha256:feed".into()],
            }),
        });
        let (s, reason) = status(&facts, CriterionId::Pushed);
        assert_eq!(s, Status::Pass);
        assert!(reason.contains("digest sha256:feed"), "{reason}");

        let mut pushed_before = image(&[BASE, "sha256:run", "sha256:copy"]);
        pushed_before.repo_digests = vec!["127.0.0.1:5000/anna/nginx-alpine@sha256:old".into()];
        facts.found = Ok(Some(pushed_before));
        facts.pushed = Some(PushedFacts {
            reference: reference.into(),
            pulled: Ok(PulledImage {
                id: "sha256:bbbbbbbbbbbbbbbbbbbb".into(),
                repo_digests: vec!["127.0.0.1:5000/anna/nginx-alpine@sha256:feed".into()],
            }),
        });
        let (s, reason) = status(&facts, CriterionId::Pushed);
        assert_eq!(s, Status::Fail);
        assert!(
            reason.contains("id bbbbbbbbbbbb ≠ local aaaaaaaaaaaa"),
            "{reason}"
        );
        assert!(reason.contains("sha256:feed ≠ sha256:old"), "{reason}");

        facts.pushed = Some(PushedFacts {
            reference: reference.into(),
            pulled: Err("manifest unknown".into()),
        });
        let (s, reason) = status(&facts, CriterionId::Pushed);
        assert_eq!(s, Status::Fail);
        assert!(
            reason.contains("cannot be pulled: manifest unknown"),
            "{reason}"
        );
    }

    #[test]
    fn os_release_parsing() {
        let os = OsRelease::parse(
            "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.22.1\nPRETTY_NAME=\"Alpine Linux v3.22\"\n# c\njunk\n",
        );
        assert_eq!(os.id, "alpine");
        assert_eq!(os.version_id.as_deref(), Some("3.22.1"));
        assert_eq!(os.pretty_name.as_deref(), Some("Alpine Linux v3.22"));
        assert_eq!(OsRelease::parse("").id, "linux");
        assert_eq!(OsRelease::parse("ID='Alpine'").id, "alpine");
    }

    #[test]
    fn links_resolve_inside_the_image() {
        assert_eq!(
            resolve_link("/etc/os-release", "../usr/lib/os-release"),
            "/usr/lib/os-release"
        );
        assert_eq!(
            resolve_link("/etc/os-release", "/usr/lib/os-release"),
            "/usr/lib/os-release"
        );
        assert_eq!(resolve_link("/etc/os-release", "../../../x"), "/x");
    }

    #[test]
    fn tar_entries_are_files_or_links() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        builder
            .append_link(&mut header, "os-release", "../usr/lib/os-release")
            .expect("link");
        let archive = builder.into_inner().expect("tar");
        assert_eq!(
            first_tar_entry(&archive),
            Ok(TarEntry::Link("../usr/lib/os-release".into()))
        );
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(10);
        builder
            .append_data(&mut header, "os-release", &b"ID=alpine\n"[..])
            .expect("file");
        let archive = builder.into_inner().expect("tar");
        assert_eq!(
            first_tar_entry(&archive),
            Ok(TarEntry::File("ID=alpine\n".into()))
        );
        assert!(first_tar_entry(&[]).is_err());
    }

    #[test]
    fn json_fields_are_stable() {
        let facts = good();
        let criteria = evaluate(&facts, Lang::En);
        let value = serde_json::to_value(json_report(&facts, &criteria, Lang::En)).expect("json");
        assert_eq!(value["version"], 2);
        assert_eq!(value["passed"], false, "the push was not checked");
        assert_eq!(value["layers"], 3);
        assert_eq!(value["os_id"], "alpine");
        assert_eq!(value["http_status"], 200);
        assert_eq!(value["criteria"][1]["id"], "alpine_base");
        assert_eq!(value["criteria"][1]["status"], "pass");
        assert_eq!(value["criteria"][4]["status"], "skipped");
        let mut keys: Vec<_> = value.as_object().expect("object").keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "criteria",
                "http_status",
                "image",
                "image_id",
                "lang",
                "layers",
                "max_layers",
                "os_id",
                "passed",
                "pushed",
                "pushed_image_id",
                "size_bytes",
                "version"
            ]
        );
    }
}
