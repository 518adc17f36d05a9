//! `layerlab grade ROSTER`: grade a whole class from the registry. For each
//! student of the roster the image is read through the distribution API
//! ([`crate::registry`]): manifest, config and the few top layers it needs.
//! No Docker daemon is used, nothing is pulled, nothing of the student's
//! runs. Base layers recognised by digest are never downloaded; layers
//! students share are downloaded once.
//!
//! The criteria (ids stable, see docs/teachers.md):
//! - `image`: the reference resolves to an image in the registry;
//! - `alpine_base`: the lowest layer is the pinned Alpine (by digest) or its
//!   `/etc/os-release` says Alpine (the offline stand-in only with
//!   `--accept-base`);
//! - `own_page`: what the image's nginx configuration serves for `/` is a
//!   page, not nginx's default one, not the template with its placeholder;
//! - `layer_count`: at most the pack's `max_layers`;
//! - `foreground`: ENTRYPOINT/CMD start nginx with `daemon off;`;
//! - `report` (rows with a report only): checked by a [`ReportCheck`].

pub mod nginx;
pub mod roster;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use serde::Serialize;

use crate::cmd::args::{GlobalArgs, GradeArgs};
use crate::docker::ImageRef;
use crate::handin::grader::{
    Base, OS_RELEASE_PATHS, OsRelease, PageKind, TEMPLATE_PLACEHOLDER, empty_page_reason,
    nginx_welcome_reason, page_kind,
};
use crate::i18n::{Lang, count, nouns};
use crate::lesson::loader::Pack;
use crate::registry::{
    ClientOptions, Entry, LayerFiles, Overlay, PathFilter, Platform, RegistryClient, RequestStats,
    ResolvedImage,
};
use crate::t;

/// The compressed digests of `alpine:3.22` (linux/amd64) base layers as
/// Docker Hub serves them (docker-library/repo-info, `repos/alpine/remote`).
/// A student image whose lowest layer is one of these is Alpine without a
/// byte of it downloaded. Other patch releases fall back to `/etc/os-release`.
pub const PINNED_ALPINE_LAYERS: &[(&str, &str)] = &[
    (
        "sha256:fe07684b16b82247c3539ed86a65ff37a76138ec25d380bd80c869a1a4c73236",
        "alpine:3.22.0",
    ),
    (
        "sha256:53f8f5e03afd86ade91b7aa57a749f5a3d1419c113be5d8c10e7ee61bb5ab887",
        "alpine:3.22.6",
    ),
];
/// Layers read per student at most (a homework image has 2 to 5).
const MAX_READ_LAYERS: usize = 24;

/// Stable criterion ids (the `id` of the JSON, the CSV column names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CriterionId {
    Image,
    AlpineBase,
    OwnPage,
    LayerCount,
    Foreground,
    Report,
}

impl CriterionId {
    pub const ALL: [CriterionId; 6] = [
        CriterionId::Image,
        CriterionId::AlpineBase,
        CriterionId::OwnPage,
        CriterionId::LayerCount,
        CriterionId::Foreground,
        CriterionId::Report,
    ];

    pub fn id(self) -> &'static str {
        match self {
            CriterionId::Image => "image",
            CriterionId::AlpineBase => "alpine_base",
            CriterionId::OwnPage => "own_page",
            CriterionId::LayerCount => "layer_count",
            CriterionId::Foreground => "foreground",
            CriterionId::Report => "report",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            CriterionId::Image => t!("образ", "image"),
            CriterionId::AlpineBase => t!("база Alpine", "Alpine base"),
            CriterionId::OwnPage => t!("своя страница", "own page"),
            CriterionId::LayerCount => t!("число слоёв", "layer count"),
            CriterionId::Foreground => t!("nginx на переднем плане", "nginx in foreground"),
            CriterionId::Report => t!("отчёт", "report"),
        }
        .get(lang)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Criterion {
    pub id: CriterionId,
    pub passed: bool,
    pub reason: String,
}

impl Criterion {
    pub fn new(id: CriterionId, passed: bool, reason: impl Into<String>) -> Criterion {
        Criterion {
            id,
            passed,
            reason: sanitize(&reason.into()),
        }
    }
}

/// One student's result. The JSON output is a list of these.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub student: String,
    pub image: String,
    /// Every criterion passed.
    pub passed: bool,
    pub criteria: Vec<Criterion>,
    /// The manifest digest graded (`null` when the image was not found).
    pub digest: Option<String>,
    /// Requests this student cost (only with `--stats`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<RequestStats>,
    #[serde(skip)]
    pub line: u64,
}

/// The `report` criterion: does the student's report match the image in
/// the registry now? Wired to `layerlab verify` by the front-end that has
/// it; this module only calls it.
pub trait ReportCheck: Send + Sync {
    /// `report` is the path from the roster (relative paths resolved
    /// against the roster's folder); `image` is `None` when the reference
    /// did not resolve.
    fn check<'a>(
        &'a self,
        report: &'a Path,
        reference: &'a ImageRef,
        image: Option<&'a ResolvedImage>,
        client: &'a RegistryClient,
        lang: Lang,
    ) -> BoxFuture<'a, Criterion>;
}

/// The check this build has: none. The criterion is present and FAILS, so
/// a row with a report never passes on an unchecked report.
pub struct ReportNotChecked;

impl ReportCheck for ReportNotChecked {
    fn check<'a>(
        &'a self,
        _report: &'a Path,
        _reference: &'a ImageRef,
        _image: Option<&'a ResolvedImage>,
        _client: &'a RegistryClient,
        lang: Lang,
    ) -> BoxFuture<'a, Criterion> {
        Box::pin(async move {
            Criterion::new(
                CriterionId::Report,
                false,
                t!(
                    "отчёт: эта сборка layerlab его не проверяет",
                    "report: not checked by this build"
                )
                .get(lang),
            )
        })
    }
}

/// The check `layerlab verify` makes, on a student's report: its body still
/// hashes as written, every claim it makes of the registry holds there now,
/// and the image it was written for is the one graded (same digest).
pub struct ReportVerified;

impl ReportCheck for ReportVerified {
    fn check<'a>(
        &'a self,
        report: &'a Path,
        _reference: &'a ImageRef,
        image: Option<&'a ResolvedImage>,
        client: &'a RegistryClient,
        lang: Lang,
    ) -> BoxFuture<'a, Criterion> {
        Box::pin(async move {
            let fail = |reason: String| Criterion::new(CriterionId::Report, false, reason);
            let text = match crate::cmd::verify::read_report(report, lang) {
                Ok(text) => text,
                Err(e) => return fail(format!("{e:#}")),
            };
            let (body, evidence) = match crate::handin::block::parse(&text) {
                Ok(parsed) => parsed,
                Err(e) => return fail(format!("{}: {}", report.display(), e.render(lang))),
            };
            let mut claims = crate::handin::verify::check_body(body, &evidence, lang);
            claims
                .extend(crate::handin::verify::check_registry(body, &evidence, client, lang).await);
            if let Some(claim) = claims
                .iter()
                .find(|c| c.outcome != crate::handin::verify::Outcome::Holds)
            {
                return fail(crate::tr!(
                    lang,
                    "отчёт: {c}",
                    "report: {c}",
                    c = claim.line()
                ));
            }
            // The report may be true of another image than the roster's.
            let reported = evidence.pushed.as_ref().map(|p| p.manifest_digest.as_str());
            match (reported, image) {
                (Some(reported), Some(image)) if reported == image.manifest_digest => {
                    Criterion::new(
                        CriterionId::Report,
                        true,
                        crate::tr!(
                            lang,
                            "отчёт подтверждён реестром (дайджест {d})",
                            "the report verifies against the registry (digest {d})",
                            d = short_digest(reported)
                        ),
                    )
                }
                (Some(reported), _) => fail(crate::tr!(
                    lang,
                    "отчёт написан о другом образе (дайджест {d}), не о том, что в списке",
                    "the report is about another image (digest {d}) than the roster's",
                    d = short_digest(reported)
                )),
                (None, _) => fail(
                    t!(
                        "отчёт: в нём нет опубликованного образа",
                        "report: it names no pushed image"
                    )
                    .get(lang)
                    .to_string(),
                ),
            }
        })
    }
}

/// Control characters (ANSI escapes, carriage returns, ...) from student
/// input or registry answers never reach a terminal or a table.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

// --- facts and the pure criteria ---------------------------------------------

/// What the lowest layer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseFacts {
    /// Recognised by digest (the label names the release); never downloaded.
    Pinned(&'static str),
    OsRelease(OsRelease),
    NoOsRelease,
    Unreadable(String),
}

/// What nginx serves for `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageFacts {
    Page {
        path: String,
        /// `None`: larger than the client's file limit.
        content: Option<Vec<u8>>,
        size: u64,
    },
    Returns {
        code: u16,
        text: Option<String>,
        at: String,
    },
    NoIndex {
        candidates: Vec<String>,
        server: String,
    },
    Config(String),
}

pub fn alpine_criterion(base: &BaseFacts, accept_base: bool, lang: Lang) -> Criterion {
    let id = CriterionId::AlpineBase;
    match base {
        BaseFacts::Pinned(label) => Criterion::new(
            id,
            true,
            format!(
                "{} {label} {}",
                t!("нижний слой —", "the lowest layer is").get(lang),
                t!("(по дайджесту)", "(by digest)").get(lang)
            ),
        ),
        BaseFacts::Unreadable(e) => Criterion::new(
            id,
            false,
            format!(
                "{}: {e}",
                t!("нижний слой не прочитан", "the lowest layer could not be read").get(lang)
            ),
        ),
        BaseFacts::NoOsRelease => Criterion::new(
            id,
            false,
            t!(
                "в нижнем слое нет /etc/os-release: это не Alpine; начните Dockerfile с FROM alpine:3.22",
                "the lowest layer has no /etc/os-release: not Alpine; start the Dockerfile with FROM alpine:3.22"
            )
            .get(lang),
        ),
        BaseFacts::OsRelease(os) => {
            let described = os.describe();
            match os.base() {
                Base::Alpine => Criterion::new(
                    id,
                    true,
                    format!(
                        "{} {described}",
                        t!(
                            "/etc/os-release нижнего слоя:",
                            "/etc/os-release of the lowest layer:"
                        )
                        .get(lang)
                    ),
                ),
                Base::Standin if accept_base => Criterion::new(
                    id,
                    true,
                    t!(
                        "офлайн-замена Alpine (тестовый двойник), принята по --accept-base",
                        "layerlab's offline stand-in for Alpine (a test double), accepted by --accept-base"
                    )
                    .get(lang),
                ),
                Base::Standin => Criterion::new(
                    id,
                    false,
                    format!(
                        "{} ({described}); {}",
                        t!(
                            "база — офлайн-замена Alpine для тестов, а не Alpine",
                            "the base is layerlab's offline stand-in for Alpine (a test double), not Alpine"
                        )
                        .get(lang),
                        t!(
                            "она засчитывается только с --accept-base",
                            "it counts only with --accept-base"
                        )
                        .get(lang)
                    ),
                ),
                Base::Other => Criterion::new(
                    id,
                    false,
                    format!(
                        "{} {described}; {}",
                        t!("база образа —", "the image's base is").get(lang),
                        t!(
                            "нужна Alpine: FROM alpine:3.22",
                            "it must be Alpine: FROM alpine:3.22"
                        )
                        .get(lang)
                    ),
                ),
            }
        }
    }
}

pub fn page_criterion(page: &PageFacts, lang: Lang) -> Criterion {
    let id = CriterionId::OwnPage;
    match page {
        PageFacts::Config(e) => Criterion::new(
            id,
            false,
            format!(
                "{}: {e}",
                t!("конфигурация nginx", "the nginx configuration").get(lang)
            ),
        ),
        PageFacts::Returns { code: 404, at, .. } => Criterion::new(
            id,
            false,
            format!(
                "{} ({at}); {}",
                t!(
                    "nginx отвечает на / кодом 404: это стандартная настройка пакета",
                    "nginx answers / with 404: the nginx package's stock configuration"
                )
                .get(lang),
                t!(
                    "скопируйте в образ свою конфигурацию сервера и страницу",
                    "COPY your own server config and page into the image"
                )
                .get(lang)
            ),
        ),
        PageFacts::Returns {
            code: 200,
            text: Some(text),
            at,
        } if !text.trim().is_empty() => {
            check_body(text.as_bytes(), &format!("return 200 ({at})"), lang)
        }
        PageFacts::Returns { code, at, .. } => Criterion::new(
            id,
            false,
            format!(
                "{} {code} ({at})",
                t!("nginx отвечает на / кодом", "nginx answers / with").get(lang)
            ),
        ),
        PageFacts::NoIndex { candidates, server } => Criterion::new(
            id,
            false,
            format!(
                "{} {} ({} {server}); {}",
                t!(
                    "в образе нет индексной страницы",
                    "the image has no index page"
                )
                .get(lang),
                candidates.join(", "),
                t!("сервер", "server").get(lang),
                t!("nginx ответит 403 или 404", "nginx would answer 403 or 404").get(lang)
            ),
        ),
        PageFacts::Page {
            path,
            content: None,
            size,
        } => Criterion::new(
            id,
            false,
            format!(
                "{path}: {size} {}",
                t!(
                    "байт, слишком большая страница, не прочитана",
                    "bytes, too large a page, not read"
                )
                .get(lang)
            ),
        ),
        PageFacts::Page {
            path,
            content: Some(content),
            ..
        } => check_body(content, path, lang),
    }
}

fn check_body(content: &[u8], path: &str, lang: Lang) -> Criterion {
    let id = CriterionId::OwnPage;
    let body = String::from_utf8_lossy(content);
    // The roster names no pack page to compare with: the placeholder is
    // what tells the template apart.
    match page_kind(&body, None) {
        PageKind::NginxWelcome => Criterion::new(id, false, nginx_welcome_reason(path, lang)),
        PageKind::Empty => Criterion::new(id, false, empty_page_reason(path, lang)),
        PageKind::Placeholder | PageKind::Template => Criterion::new(
            id,
            false,
            format!(
                "{path}: {} «{TEMPLATE_PLACEHOLDER}»",
                t!(
                    "это страница-шаблон: впишите своё имя вместо",
                    "this is the template page: put your name in place of"
                )
                .get(lang)
            ),
        ),
        PageKind::Own { title } => {
            let what = match title {
                Some(title) => format!("«{title}»"),
                None => format!("{} {}", content.len(), t!("байт", "bytes").get(lang)),
            };
            Criterion::new(
                id,
                true,
                format!(
                    "{path}: {} {what}",
                    t!("своя страница", "own page").get(lang)
                ),
            )
        }
    }
}

pub fn layer_criterion(layers: usize, max: u32, lang: Lang) -> Criterion {
    let n = count(lang, layers as u64, nouns::LAYER);
    if layers as u64 <= u64::from(max) {
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

/// `sha256:4f46da4d770e…`: enough to tell images apart in a table.
fn short_digest(digest: &str) -> String {
    match digest.split_once(':') {
        Some((algorithm, hex)) if hex.len() > 12 => format!("{algorithm}:{}…", &hex[..12]),
        _ => digest.to_string(),
    }
}

fn base_name(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

fn says_daemon_off(text: &str) -> bool {
    let squeezed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    squeezed.contains("daemon off;") || squeezed.contains("daemon off")
}

/// `argv` is ENTRYPOINT + CMD; `config_daemon_off` is the top-level
/// `daemon` of nginx.conf (`None` when absent or unread).
pub fn foreground_criterion(
    argv: &[String],
    config_daemon_off: Option<bool>,
    lang: Lang,
) -> Criterion {
    let id = CriterionId::Foreground;
    let shown = format!("{argv:?}");
    if argv.is_empty() {
        return Criterion::new(
            id,
            false,
            t!(
                "нет ни CMD, ни ENTRYPOINT: контейнер не запускает nginx; CMD [\"nginx\", \"-g\", \"daemon off;\"]",
                "no CMD or ENTRYPOINT: the container does not start nginx; CMD [\"nginx\", \"-g\", \"daemon off;\"]"
            )
            .get(lang),
        );
    }
    let shell = matches!(base_name(&argv[0]), "sh" | "ash" | "bash" | "dash")
        && argv.get(1).is_some_and(|a| a == "-c");
    let (starts_nginx, off_in_args, background) = if shell {
        let script = argv[2..].join(" ");
        let nginx_at = script
            .split(|c: char| c.is_whitespace() || c == ';' || c == '&')
            .any(|w| base_name(w) == "nginx");
        let after = script.find("nginx").map_or("", |i| &script[i..]);
        let background = after.trim_end().ends_with('&') && !after.trim_end().ends_with("&&");
        (nginx_at, says_daemon_off(after), background)
    } else {
        match argv.iter().position(|a| base_name(a) == "nginx") {
            Some(at) => {
                let rest = &argv[at + 1..];
                let off = rest
                    .windows(2)
                    .any(|w| w[0] == "-g" && says_daemon_off(&w[1]));
                (true, off, false)
            }
            None => (false, false, false),
        }
    };
    if !starts_nginx {
        return Criterion::new(
            id,
            false,
            format!(
                "{} {shown}, {}",
                t!("контейнер запускает", "the container starts").get(lang),
                t!(
                    "а не nginx; CMD [\"nginx\", \"-g\", \"daemon off;\"]",
                    "not nginx; CMD [\"nginx\", \"-g\", \"daemon off;\"]"
                )
                .get(lang)
            ),
        );
    }
    if background {
        return Criterion::new(
            id,
            false,
            format!(
                "{shown}: {}",
                t!(
                    "nginx запускается в фоне (&), контейнер сразу завершится",
                    "nginx is started in the background (&); the container exits at once"
                )
                .get(lang)
            ),
        );
    }
    if off_in_args || config_daemon_off == Some(true) {
        let how = if off_in_args {
            "-g 'daemon off;'"
        } else {
            "daemon off; (nginx.conf)"
        };
        return Criterion::new(id, true, format!("{shown}: {how}"));
    }
    Criterion::new(
        id,
        false,
        format!(
            "{shown}: {}",
            t!(
                "без daemon off; nginx уходит в фон, и контейнер сразу завершается; CMD [\"nginx\", \"-g\", \"daemon off;\"]",
                "without daemon off; nginx goes to the background and the container exits at once; CMD [\"nginx\", \"-g\", \"daemon off;\"]"
            )
            .get(lang)
        ),
    )
}

// --- gathering from the registry -------------------------------------------------

struct OverlayFiles<'a>(&'a Overlay);

impl nginx::ConfigFiles for OverlayFiles<'_> {
    fn read(&self, path: &str) -> Option<Result<String, String>> {
        let found = self.0.resolve(path)?;
        Some(match found.entry {
            Entry::File {
                content: Some(bytes),
                ..
            } => Ok(String::from_utf8_lossy(bytes).into_owned()),
            Entry::File { size, .. } => Err(format!("{size} bytes, too large to read")),
            _ => Err("not a regular file".into()),
        })
    }
    fn list(&self, dir: &str) -> Vec<String> {
        self.0.list_dir(dir)
    }
}

fn read_filter() -> PathFilter {
    PathFilter::new()
        .under(nginx::CONF_DIR)
        .named("index.html")
        .named("index.htm")
        .path(OS_RELEASE_PATHS[0])
        .path(OS_RELEASE_PATHS[1])
}

fn os_release_of(layer: &Arc<LayerFiles>) -> BaseFacts {
    let mut only = Overlay::new();
    only.push_lower(layer.clone());
    for path in OS_RELEASE_PATHS {
        if let Some(found) = only.resolve(path)
            && let Entry::File {
                content: Some(bytes),
                ..
            } = found.entry
        {
            return BaseFacts::OsRelease(OsRelease::parse(&String::from_utf8_lossy(bytes)));
        }
    }
    BaseFacts::NoOsRelease
}

struct Context {
    client: RegistryClient,
    accept_base: bool,
    max_layers: u32,
    lang: Lang,
    stats: bool,
    roster_dir: PathBuf,
    report: Arc<dyn ReportCheck>,
}

async fn grade_one(ctx: &Context, entry: &roster::Entry) -> Row {
    let lang = ctx.lang;
    let (client, counter) = ctx.client.scoped();
    let reference = &entry.reference;
    let mut criteria = Vec::new();
    let resolved = client.resolve(reference).await;
    let image = match &resolved {
        Ok(image) => Some(image),
        Err(error) => {
            criteria.push(Criterion::new(
                CriterionId::Image,
                false,
                error.render(lang),
            ));
            let skipped = t!("не проверено: нет образа", "not checked: no image").get(lang);
            for id in [
                CriterionId::AlpineBase,
                CriterionId::OwnPage,
                CriterionId::LayerCount,
                CriterionId::Foreground,
            ] {
                criteria.push(Criterion::new(id, false, skipped));
            }
            None
        }
    };
    if let Some(image) = image {
        criteria.extend(grade_image(ctx, &client, reference, image).await);
    }
    if let Some(report) = &entry.report {
        let path = if report.is_absolute() {
            report.clone()
        } else {
            ctx.roster_dir.join(report)
        };
        criteria.push(
            ctx.report
                .check(&path, reference, image, &client, lang)
                .await,
        );
    }
    Row {
        student: sanitize(&entry.student),
        image: sanitize(&entry.image),
        passed: criteria.iter().all(|c| c.passed),
        criteria,
        digest: image.map(|i| i.manifest_digest.clone()),
        requests: ctx.stats.then(|| counter.snapshot()),
        line: entry.line,
    }
}

async fn grade_image(
    ctx: &Context,
    client: &RegistryClient,
    reference: &ImageRef,
    image: &ResolvedImage,
) -> Vec<Criterion> {
    let lang = ctx.lang;
    let platform = format!(
        "{}/{}{}",
        image.config.os,
        image.config.architecture,
        image
            .config
            .variant
            .as_ref()
            .map(|v| format!("/{v}"))
            .unwrap_or_default()
    );
    let mut criteria = vec![Criterion::new(
        CriterionId::Image,
        true,
        format!(
            "{} ({platform}, {})",
            short_digest(&image.manifest_digest),
            count(lang, image.layers.len() as u64, nouns::LAYER)
        ),
    )];
    let layers = &image.layers;
    let pinned = layers.first().and_then(|lowest| {
        PINNED_ALPINE_LAYERS
            .iter()
            .find(|(digest, _)| *digest == lowest.digest)
            .map(|(_, label)| *label)
    });
    // Top down to the base; a base recognised by digest is never fetched.
    let lowest_to_read = usize::from(pinned.is_some());
    let lowest_to_read = lowest_to_read.max(layers.len().saturating_sub(MAX_READ_LAYERS));
    let filter = read_filter();
    let mut overlay = Overlay::new();
    let mut lowest_files = None;
    let mut read_error = None;
    for index in (lowest_to_read..layers.len()).rev() {
        match client
            .layer_entries(reference, &layers[index], &filter)
            .await
        {
            Ok(files) => {
                if index == 0 {
                    lowest_files = Some(files.clone());
                }
                overlay.push_lower(files);
            }
            Err(e) => {
                read_error = Some(e.render(lang));
                break;
            }
        }
    }
    let base = match (pinned, &lowest_files, &read_error) {
        (Some(label), _, _) => BaseFacts::Pinned(label),
        (None, Some(files), _) => os_release_of(files),
        (None, None, Some(e)) => BaseFacts::Unreadable(e.clone()),
        (None, None, None) if layers.is_empty() => BaseFacts::Unreadable(
            t!("в образе нет слоёв", "the image has no layers")
                .get(lang)
                .into(),
        ),
        (None, None, None) => BaseFacts::Unreadable(format!(
            "{} {MAX_READ_LAYERS}",
            t!("слоёв больше, чем читается:", "more layers than are read:").get(lang)
        )),
    };
    criteria.push(alpine_criterion(&base, ctx.accept_base, lang));

    let (page, daemon_off) = match &read_error {
        Some(e) => (PageFacts::Config(e.clone()), None),
        None => page_facts(client, reference, image, &overlay, lowest_to_read, lang).await,
    };
    criteria.push(page_criterion(&page, lang));
    criteria.push(layer_criterion(layers.len(), ctx.max_layers, lang));
    criteria.push(foreground_criterion(
        &image.config.command_line(),
        daemon_off,
        lang,
    ));
    criteria
}

/// The page `/` gets, and the config's `daemon` setting.
async fn page_facts(
    client: &RegistryClient,
    reference: &ImageRef,
    image: &ResolvedImage,
    overlay: &Overlay,
    lowest_read: usize,
    lang: Lang,
) -> (PageFacts, Option<bool>) {
    if overlay.resolve(nginx::MAIN_CONF).is_none() {
        return (
            PageFacts::Config(format!(
                "{} {}",
                nginx::MAIN_CONF,
                t!(
                    "нет в образе: nginx не установлен? (RUN apk add --no-cache nginx)",
                    "is not in the image: is nginx installed? (RUN apk add --no-cache nginx)"
                )
                .get(lang)
            )),
            None,
        );
    }
    let config = match nginx::load(&OverlayFiles(overlay)) {
        Ok(config) => config,
        Err(e) => return (PageFacts::Config(e), None),
    };
    let daemon_off = nginx::daemon_off(&config);
    let serves = match nginx::serves_root(&config) {
        Ok(serves) => serves,
        Err(e) => return (PageFacts::Config(e), daemon_off),
    };
    let (candidates, server) = match serves {
        nginx::Serves::Returns { code, text, at } => {
            return (PageFacts::Returns { code, text, at }, daemon_off);
        }
        nginx::Serves::Files { candidates, server } => (candidates, server),
    };
    let page_of = |overlay: &Overlay| {
        candidates.iter().find_map(|candidate| {
            let found = overlay.resolve(candidate)?;
            match found.entry {
                Entry::File { size, content } => Some(PageFacts::Page {
                    path: found.path.clone(),
                    content: content.as_ref().map(|b| b.to_vec()),
                    size: *size,
                }),
                _ => None,
            }
        })
    };
    if let Some(page) = page_of(overlay) {
        return (page, daemon_off);
    }
    // An index name the first pass did not collect (`index main.html;`):
    // read again for exactly those paths, top down, stopping at the first
    // layer that has one.
    let unusual = candidates.iter().any(|c| {
        let name = c.rsplit('/').next().unwrap_or("");
        name != "index.html" && name != "index.htm"
    });
    if unusual {
        let mut filter = PathFilter::new();
        for candidate in &candidates {
            filter = filter.path(candidate);
        }
        let mut exact = Overlay::new();
        for index in (lowest_read..image.layers.len()).rev() {
            match client
                .layer_entries(reference, &image.layers[index], &filter)
                .await
            {
                Ok(files) => exact.push_lower(files),
                Err(e) => return (PageFacts::Config(e.render(lang)), daemon_off),
            }
            if let Some(page) = page_of(&exact) {
                return (page, daemon_off);
            }
        }
    }
    (PageFacts::NoIndex { candidates, server }, daemon_off)
}

// --- output ------------------------------------------------------------------------

fn columns(rows: &[Row], report_column: bool) -> Vec<CriterionId> {
    CriterionId::ALL
        .into_iter()
        .filter(|id| {
            *id != CriterionId::Report
                || report_column
                || rows
                    .iter()
                    .any(|r| r.criteria.iter().any(|c| c.id == CriterionId::Report))
        })
        .collect()
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn cell(text: &str) -> String {
    sanitize(text).replace('|', "\\|")
}

/// The class table (Markdown).
pub fn markdown(rows: &[Row], report_column: bool, lang: Lang) -> String {
    let columns = columns(rows, report_column);
    let mut out = String::new();
    let mut header = vec![
        t!("Студент", "Student").get(lang).to_string(),
        t!("Ссылка", "Reference").get(lang).to_string(),
    ];
    header.extend(columns.iter().map(|c| capitalized(c.label(lang))));
    header.push(t!("Итог", "Result").get(lang).to_string());
    out.push_str(&format!("| {} |\n", header.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
    for row in rows {
        let mut cells = vec![
            cell(&row.student),
            format!("`{}`", cell(&row.image).replace('`', "'")),
        ];
        for id in &columns {
            cells.push(match row.criteria.iter().find(|c| c.id == *id) {
                Some(c) => format!("{} {}", if c.passed { "✔" } else { "✘" }, cell(&c.reason)),
                None => "–".to_string(),
            });
        }
        cells.push(if row.passed { "✔" } else { "✘" }.to_string());
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out.push('\n');
    out.push_str(&summary(rows, &columns, lang));
    out.push('\n');
    out
}

/// `Passed: 2 of 7 students. image 6/7, Alpine base 4/7, ...`
pub fn summary(rows: &[Row], columns: &[CriterionId], lang: Lang) -> String {
    let total = rows.len();
    let passed = rows.iter().filter(|r| r.passed).count();
    let students = count(lang, total as u64, nouns::STUDENT);
    let mut parts = Vec::new();
    for id in columns {
        let with = rows
            .iter()
            .filter(|r| r.criteria.iter().any(|c| c.id == *id))
            .count();
        let ok = rows
            .iter()
            .filter(|r| r.criteria.iter().any(|c| c.id == *id && c.passed))
            .count();
        parts.push(format!("{} {ok}/{with}", id.label(lang)));
    }
    format!(
        "{} {students}, {} {passed}. {}: {}.",
        t!("Проверено:", "Graded:").get(lang),
        t!("сдали всё:", "passed everything:").get(lang),
        t!("По критериям", "By criterion").get(lang),
        parts.join(", ")
    )
}

pub fn csv_text(rows: &[Row], report_column: bool) -> Result<String, csv::Error> {
    let columns = columns(rows, report_column);
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["student".to_string(), "image".into(), "passed".into()];
    for id in &columns {
        header.push(format!("{}_passed", id.id()));
        header.push(format!("{}_reason", id.id()));
    }
    writer.write_record(&header)?;
    for row in rows {
        let mut record = vec![
            row.student.clone(),
            row.image.clone(),
            row.passed.to_string(),
        ];
        for id in &columns {
            match row.criteria.iter().find(|c| c.id == *id) {
                Some(c) => {
                    record.push(c.passed.to_string());
                    record.push(c.reason.clone());
                }
                None => {
                    record.push(String::new());
                    record.push(String::new());
                }
            }
        }
        writer.write_record(&record)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `\r[#####     ] 12/200` on a terminal's stderr; nothing elsewhere.
struct ProgressBar {
    total: usize,
    done: usize,
    shown: bool,
}

impl ProgressBar {
    fn new(total: usize) -> ProgressBar {
        ProgressBar {
            total,
            done: 0,
            shown: std::io::stderr().is_terminal() && total > 0,
        }
    }
    fn step(&mut self) {
        self.done += 1;
        if !self.shown {
            return;
        }
        let width = 30;
        let filled = width * self.done / self.total.max(1);
        let mut err = std::io::stderr();
        let _ = write!(
            err,
            "\r[{}{}] {}/{}",
            "#".repeat(filled),
            " ".repeat(width - filled),
            self.done,
            self.total
        );
        let _ = err.flush();
    }
    fn finish(&self) {
        if self.shown {
            let mut err = std::io::stderr();
            let _ = write!(err, "\r{}\r", " ".repeat(50));
            let _ = err.flush();
        }
    }
}

/// `layerlab grade` with the report check of this build (none).
pub async fn grade(global: &GlobalArgs, args: &GradeArgs) -> anyhow::Result<ExitCode> {
    grade_with(global, args, Arc::new(ReportVerified)).await
}

/// `layerlab grade`, the `report` criterion checked by `report`.
/// Exit 0 when the grading ran (students may fail), 2 when the roster
/// cannot be read.
pub async fn grade_with(
    global: &GlobalArgs,
    args: &GradeArgs,
    report: Arc<dyn ReportCheck>,
) -> anyhow::Result<ExitCode> {
    let lang = global.lang();
    let started = Instant::now();
    let shown_path = sanitize(&args.roster.display().to_string());
    let bytes = match std::fs::read(&args.roster) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!(
                "layerlab: {shown_path}: {} ({e})",
                t!("список класса не читается", "cannot read the roster").get(lang)
            );
            return Ok(ExitCode::from(2));
        }
    };
    let roster = match roster::parse(&bytes, lang) {
        Ok(roster) => roster,
        Err(e) => {
            eprintln!("{shown_path}:{e}");
            return Ok(ExitCode::from(2));
        }
    };
    for problem in &roster.problems {
        eprintln!(
            "{shown_path}:{}: {}",
            problem.line,
            sanitize(&problem.message)
        );
    }
    let platform = Platform::parse(&args.platform)
        .map_err(|e| anyhow::anyhow!("--platform {}", sanitize(&e)))?;
    let pack = Pack::load(global.lessons.as_deref())?;
    let max_layers = crate::handin::grader::max_layers(&pack);
    let client = RegistryClient::new(ClientOptions {
        platform,
        ..ClientOptions::from_process()
    });
    let roster_dir = args
        .roster
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let ctx = Context {
        client: client.clone(),
        accept_base: args.accept_base,
        max_layers,
        lang,
        stats: args.stats,
        roster_dir,
        report,
    };
    let mut progress = ProgressBar::new(roster.entries.len());
    let jobs = usize::from(args.jobs.max(1));
    let mut rows: Vec<Row> = {
        let ctx = &ctx;
        let mut stream = futures_util::stream::iter(roster.entries.iter())
            .map(|entry| grade_one(ctx, entry))
            .buffer_unordered(jobs);
        let mut rows = Vec::with_capacity(roster.entries.len());
        loop {
            tokio::select! {
                next = stream.next() => match next {
                    Some(row) => {
                        progress.step();
                        rows.push(row);
                    }
                    None => break,
                },
                _ = tokio::signal::ctrl_c() => {
                    progress.finish();
                    anyhow::bail!("interrupted");
                }
            }
        }
        rows
    };
    progress.finish();
    rows.sort_by_key(|r| r.line);
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
    } else if args.csv {
        write!(out, "{}", csv_text(&rows, roster.has_report_column)?)?;
    } else {
        write!(out, "{}", markdown(&rows, roster.has_report_column, lang))?;
    }
    out.flush()?;
    if args.stats {
        let stats = client.requests();
        let n = rows.len().max(1) as u64;
        let most = rows
            .iter()
            .filter_map(|r| r.requests.map(|s| s.requests))
            .max()
            .unwrap_or(0);
        eprintln!(
            "layerlab grade --stats: {:.2} {}; {} {} ({} {}, {} {}, {} {}, {} {}); {:.1} {}, {} {most}; {:.1} MB {}",
            started.elapsed().as_secs_f64(),
            t!("с", "s").get(lang),
            t!("запросов", "requests").get(lang),
            stats.requests,
            t!("манифесты", "manifests").get(lang),
            stats.manifests,
            t!("блобы", "blobs").get(lang),
            stats.blobs,
            t!("токены", "tokens").get(lang),
            stats.tokens,
            t!("повторы", "retries").get(lang),
            stats.retries,
            stats.requests as f64 / n as f64,
            t!("на студента", "per student").get(lang),
            t!("наибольшее", "max").get(lang),
            stats.bytes as f64 / 1_000_000.0,
            t!("получено", "received").get(lang),
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handin::grader::STANDIN_ID;

    fn argv(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn foreground_accepts_daemon_off_and_refuses_the_rest() {
        let lang = Lang::En;
        let pass = |a: &[&str], conf| foreground_criterion(&argv(a), conf, lang).passed;
        assert!(pass(&["nginx", "-g", "daemon off;"], None));
        assert!(pass(
            &["/usr/sbin/nginx", "-g", "daemon  off; pid /tmp/x;"],
            None
        ));
        assert!(pass(&["nginx"], Some(true)), "daemon off; in nginx.conf");
        assert!(pass(&["/entry.sh", "nginx", "-g", "daemon off;"], None));
        assert!(pass(
            &["/bin/sh", "-c", "exec nginx -g 'daemon off;'"],
            None
        ));
        let reason = |a: &[&str], conf| foreground_criterion(&argv(a), conf, lang);
        let c = reason(&["nginx"], None);
        assert!(!c.passed && c.reason.contains("background"), "{c:?}");
        assert!(!pass(&["nginx"], Some(false)));
        assert!(!pass(&["nginx", "-g", "daemon on;"], None));
        let c = reason(&["/bin/sh"], None);
        assert!(!c.passed && c.reason.contains("not nginx"), "{c:?}");
        let c = reason(&["sh", "-c", "nginx -g 'daemon off;' &"], None);
        assert!(!c.passed && c.reason.contains("(&)"), "{c:?}");
        assert!(!pass(&[], None));
        let ru = foreground_criterion(&argv(&["nginx"]), None, Lang::Ru);
        assert!(ru.reason.contains("в фон"), "{ru:?}");
    }

    #[test]
    fn pages_are_told_apart() {
        let page = |text: &str| PageFacts::Page {
            path: "/w/index.html".into(),
            content: Some(text.as_bytes().to_vec()),
            size: text.len() as u64,
        };
        let template =
            include_str!("../../assets/nginx-alpine/rootfs/var/www/localhost/htdocs/index.html");
        let c = page_criterion(&page(template), Lang::En);
        assert!(!c.passed && c.reason.contains("template"), "{c:?}");
        let own = template.replace(TEMPLATE_PLACEHOLDER, "Анна Иванова");
        let c = page_criterion(&page(&own), Lang::En);
        assert!(c.passed, "{c:?}");
        assert!(c.reason.contains("Hello from my own nginx image"), "{c:?}");
        let c = page_criterion(&page("<h1>Welcome to nginx!</h1>"), Lang::En);
        assert!(!c.passed && c.reason.contains("default page"), "{c:?}");
        assert!(!page_criterion(&page("  \n"), Lang::En).passed);
        let stock = PageFacts::Returns {
            code: 404,
            text: None,
            at: "/etc/nginx/http.d/default.conf:9".into(),
        };
        let c = page_criterion(&stock, Lang::Ru);
        assert!(!c.passed && c.reason.contains("404"), "{c:?}");
        let returned = PageFacts::Returns {
            code: 200,
            text: Some("Hi from Ann".into()),
            at: "x:1".into(),
        };
        assert!(page_criterion(&returned, Lang::En).passed);
        let none = PageFacts::NoIndex {
            candidates: vec!["/w/index.html".into()],
            server: "x:1".into(),
        };
        assert!(!page_criterion(&none, Lang::En).passed);
    }

    #[test]
    fn bases_and_layer_counts() {
        let os = |id: &str| {
            BaseFacts::OsRelease(OsRelease {
                id: id.into(),
                ..OsRelease::default()
            })
        };
        assert!(alpine_criterion(&BaseFacts::Pinned("alpine:3.22.0"), false, Lang::En).passed);
        assert!(alpine_criterion(&os("alpine"), false, Lang::En).passed);
        assert!(!alpine_criterion(&os(STANDIN_ID), false, Lang::En).passed);
        assert!(alpine_criterion(&os(STANDIN_ID), true, Lang::En).passed);
        let c = alpine_criterion(&os("debian"), true, Lang::En);
        assert!(!c.passed && c.reason.contains("ID=debian"), "{c:?}");
        assert!(!alpine_criterion(&BaseFacts::NoOsRelease, true, Lang::En).passed);
        assert_eq!(layer_criterion(3, 3, Lang::Ru).reason, "3 слоя ≤ 3");
        let c = layer_criterion(5, 3, Lang::Ru);
        assert!(!c.passed && c.reason.starts_with("5 слоёв > 3"), "{c:?}");
        assert_eq!(layer_criterion(1, 3, Lang::En).reason, "1 layer ≤ 3");
    }

    #[test]
    fn tables_escape_and_summarise() {
        let row = |student: &str, passed: bool| Row {
            student: student.into(),
            image: "r.example/a|b:1".into(),
            passed,
            criteria: vec![
                Criterion::new(CriterionId::Image, true, "ok"),
                Criterion::new(CriterionId::OwnPage, passed, "a | b\u{1b}[31m"),
            ],
            digest: None,
            requests: None,
            line: 2,
        };
        let rows = vec![row("ann", true), row("bob", false)];
        let table = markdown(&rows, false, Lang::En);
        assert!(!table.contains('\u{1b}'), "{table}");
        assert!(table.contains("a \\| b"), "{table}");
        assert!(
            table.contains("Graded: 2 students, passed everything: 1."),
            "{table}"
        );
        assert!(table.contains("own page 1/2"), "{table}");
        assert!(!table.contains("| Report"), "no report column: {table}");
        assert!(
            table.starts_with("| Student | Reference | Image | Alpine base | Own page |"),
            "{table}"
        );
        let ru = summary(&rows[..1], &[CriterionId::Image], Lang::Ru);
        assert!(ru.starts_with("Проверено: 1 студент,"), "{ru}");
        let csv = csv_text(&rows, true).expect("csv");
        let first = csv.lines().next().expect("header");
        assert!(
            first.starts_with("student,image,passed,image_passed,image_reason"),
            "{first}"
        );
        assert!(first.ends_with("report_passed,report_reason"), "{first}");
    }

    #[test]
    fn sanitize_removes_control_characters() {
        assert_eq!(
            sanitize("a\u{1b}[2Jb\r\nc\u{7}"),
            "a\u{FFFD}[2Jb  c\u{FFFD}"
        );
    }

    #[tokio::test]
    async fn an_unchecked_report_fails_its_criterion() {
        let client = RegistryClient::new(ClientOptions::default());
        let reference = ImageRef::parse("r.example/a:1").expect("valid");
        let c = ReportNotChecked
            .check(Path::new("r.md"), &reference, None, &client, Lang::En)
            .await;
        assert_eq!(c.id, CriterionId::Report);
        assert!(!c.passed);
        assert_eq!(c.reason, "report: not checked by this build");
    }
}
