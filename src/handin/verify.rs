//! `layerlab verify REPORT.md`: does the report still say what layerlab
//! wrote, and does the registry still hold what it claims?
//!
//! Two kinds of claims:
//! - the body: its hash against the block's, and when they differ, which
//!   sections changed (the block keeps a hash per section and subsection);
//! - the image: read over the registry's HTTP API with the reader's Docker
//!   credentials — the manifest digest, the config (whose digest is the
//!   image id), the layers' diff ids, and the layer that holds the page,
//!   whose file must hash as recorded and contain the excerpt the report
//!   quotes. Nothing is pulled into a daemon and nothing is run.
//!
//! What it cannot prove is in docs/handin.md: who typed the answers, or
//! that a learner who rewrote both the body and the block's hashes did not
//! forge the non-registry parts.

use crate::docker::ImageRef;
use crate::handin::block::{self, Evidence};
use crate::handin::report;
use crate::i18n::Lang;
use crate::registry::RegistryClient;
use crate::tr;

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Holds,
    Fails(String),
    /// Could not be checked (nothing pushed, the registry unreachable).
    Unchecked(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    pub what: String,
    pub outcome: Outcome,
}

impl Claim {
    fn new(what: String, outcome: Outcome) -> Claim {
        Claim { what, outcome }
    }

    pub fn line(&self) -> String {
        match &self.outcome {
            Outcome::Holds => format!("✔ {}", self.what),
            Outcome::Fails(why) => format!("✘ {}: {why}", self.what),
            Outcome::Unchecked(why) => format!("– {}: {why}", self.what),
        }
    }
}

/// Every claim held and the image was checked against a registry.
pub fn all_hold(claims: &[Claim]) -> bool {
    claims.iter().all(|c| c.outcome == Outcome::Holds)
}

/// The claims about the text itself.
pub fn check_body(body: &str, evidence: &Evidence, lang: Lang) -> Vec<Claim> {
    let mut claims = Vec::new();
    let hash = block::sha256_hex(body.as_bytes());
    let what = tr!(
        lang,
        "текст отчёта не менялся после layerlab report",
        "the report's text is as layerlab report wrote it"
    );
    if hash == evidence.body_sha256 {
        claims.push(Claim::new(what, Outcome::Holds));
    } else {
        let changed = block::changed_sections(&evidence.sections, body);
        let named = if changed.is_empty() {
            tr!(
                lang,
                "хеш не совпадает (изменены пробелы или порядок разделов)",
                "the hash differs (whitespace or the order of sections changed)"
            )
        } else {
            let list = changed
                .iter()
                .map(|t| format!("«{t}»"))
                .collect::<Vec<_>>()
                .join(", ");
            tr!(lang, "изменено: {list}", "changed: {list}")
        };
        claims.push(Claim::new(what, Outcome::Fails(named)));
    }
    // The figures the block vouches for must be the ones the body shows.
    let mut figures = vec![evidence.image.id.clone()];
    if let Some(pushed) = &evidence.pushed {
        figures.push(pushed.manifest_digest.clone());
    }
    let missing: Vec<_> = figures
        .iter()
        .filter(|f| !body.contains(f.as_str()))
        .collect();
    let what = tr!(
        lang,
        "ID образа и дайджест в тексте те же, что в блоке",
        "the image ID and digest in the text are the block's"
    );
    claims.push(Claim::new(
        what,
        if missing.is_empty() {
            Outcome::Holds
        } else {
            Outcome::Fails(tr!(
                lang,
                "в тексте нет {m}",
                "the text lacks {m}",
                m = missing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        },
    ));
    claims
}

/// The claims about the image, against the registry.
// Each claim builds on the one before (a moved tag sends the rest to the
// report's own digest; the page is read from those layers): one piece.
pub async fn check_registry(
    body: &str,
    evidence: &Evidence,
    client: &RegistryClient,
    lang: Lang,
) -> Vec<Claim> {
    let mut claims = Vec::new();
    let Some(pushed) = &evidence.pushed else {
        claims.push(Claim::new(
            tr!(lang, "образ в реестре", "the image in a registry"),
            Outcome::Unchecked(tr!(
                lang,
                "в отчёте нет опубликованного образа: проверять в реестре нечего",
                "the report names no pushed image: there is nothing to check in a registry"
            )),
        ));
        return claims;
    };
    let reference = match ImageRef::parse(&pushed.reference) {
        Ok(r) => r,
        Err(e) => {
            claims.push(Claim::new(
                pushed.reference.clone(),
                Outcome::Fails(e.to_string()),
            ));
            return claims;
        }
    };
    let what = tr!(
        lang,
        "в реестре под {r} тот же образ (дайджест {d})",
        "the registry holds the same image under {r} (digest {d})",
        r = pushed.reference,
        d = pushed.manifest_digest
    );
    let now = match client.resolve(&reference).await {
        Ok(now) => now,
        Err(e) => {
            claims.push(Claim::new(what, Outcome::Unchecked(e.render(lang))));
            return claims;
        }
    };
    let resolved = if now.manifest_digest == pushed.manifest_digest {
        claims.push(Claim::new(what, Outcome::Holds));
        now
    } else {
        claims.push(Claim::new(
            what,
            Outcome::Fails(tr!(
                lang,
                "реестр теперь хранит под этой ссылкой другой образ: дайджест {now}",
                "the registry now holds a different image under this reference: digest {now}",
                now = now.manifest_digest
            )),
        ));
        // The report's own image may still be there by digest.
        let by_digest = ImageRef {
            tag: None,
            digest: Some(pushed.manifest_digest.clone()),
            ..reference.clone()
        };
        match client.resolve(&by_digest).await {
            Ok(old) => old,
            Err(e) => {
                claims.push(Claim::new(
                    tr!(
                        lang,
                        "образ отчёта есть в реестре по дайджесту",
                        "the report's image is in the registry by digest"
                    ),
                    Outcome::Fails(e.render(lang)),
                ));
                return claims;
            }
        }
    };
    let what = tr!(
        lang,
        "конфигурация образа — {c}, и это образ из отчёта",
        "the image's config is {c}, and it is the report's image",
        c = pushed.config_digest
    );
    claims.push(Claim::new(
        what,
        // The classic image store's id is the config digest; the containerd
        // store's is the manifest's (or the index's) digest.
        if resolved.config_digest == pushed.config_digest
            && [
                Some(&resolved.config_digest),
                Some(&resolved.manifest_digest),
                resolved.index_digest.as_ref(),
                Some(&pushed.manifest_digest),
            ]
            .contains(&Some(&evidence.image.id))
        {
            Outcome::Holds
        } else {
            Outcome::Fails(tr!(
                lang,
                "в реестре {c}",
                "the registry has {c}",
                c = resolved.config_digest
            ))
        },
    ));
    let layers = crate::i18n::count(lang, evidence.image.layers.len(), crate::i18n::nouns::LAYER);
    let what = tr!(
        lang,
        "{layers} из таблицы — слои образа в реестре",
        "the table's {layers} are the registry image's layers"
    );
    let registry_layers: Vec<String> = resolved.layers.iter().map(|l| l.digest.clone()).collect();
    claims.push(Claim::new(
        what,
        if resolved.config.diff_ids == evidence.image.layers
            && registry_layers == pushed.layer_digests
        {
            Outcome::Holds
        } else {
            Outcome::Fails(tr!(
                lang,
                "в реестре {n}: {ids}",
                "the registry has {n}: {ids}",
                n = crate::i18n::count(
                    lang,
                    resolved.config.diff_ids.len(),
                    crate::i18n::nouns::LAYER
                ),
                ids = resolved.config.diff_ids.join(", ")
            ))
        },
    ));
    let Some(page) = &pushed.page else {
        claims.push(Claim::new(
            tr!(lang, "страница в образе", "the page in the image"),
            Outcome::Unchecked(tr!(
                lang,
                "отчёт не записал страницу",
                "the report recorded no page"
            )),
        ));
        return claims;
    };
    let what = tr!(
        lang,
        "страница {p} в слое {l} та же (sha256 {h})",
        "the page {p} in layer {l} is the same (sha256 {h})",
        p = page.path,
        l = short(&page.layer),
        h = short(&page.sha256)
    );
    match report::page_file(client, &reference, &resolved, lang).await {
        Err(e) => claims.push(Claim::new(what, Outcome::Unchecked(e))),
        Ok(None) => claims.push(Claim::new(
            what,
            Outcome::Fails(tr!(
                lang,
                "в слоях образа этого файла нет",
                "no layer of the image has that file"
            )),
        )),
        Ok(Some((found, bytes))) => {
            if found.sha256 == page.sha256 && found.layer == page.layer {
                claims.push(Claim::new(what, Outcome::Holds));
            } else {
                claims.push(Claim::new(
                    what,
                    Outcome::Fails(tr!(
                        lang,
                        "в реестре слой {l}, sha256 {h}",
                        "the registry has layer {l}, sha256 {h}",
                        l = short(&found.layer),
                        h = short(&found.sha256)
                    )),
                ));
            }
            claims.push(excerpt_claim(body, &bytes, lang));
        }
    }
    claims
}

/// The lines the report quotes from the page are in the page the
/// registry's image holds.
fn excerpt_claim(body: &str, page: &[u8], lang: Lang) -> Claim {
    let text = report::page_text(&String::from_utf8_lossy(page));
    let quoted: Vec<&str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("> "))
        .filter(|l| !l.starts_with("**"))
        .collect();
    let what = tr!(
        lang,
        "цитата страницы в отчёте взята из страницы образа",
        "the page quoted in the report is the image's page"
    );
    let strays: Vec<&&str> = quoted
        .iter()
        .filter(|q| !text.iter().any(|t| report::unescape_cell(q) == *t))
        .collect();
    if quoted.is_empty() {
        Claim::new(
            what,
            Outcome::Unchecked(tr!(
                lang,
                "в отчёте нет цитаты",
                "the report quotes nothing"
            )),
        )
    } else if strays.is_empty() {
        Claim::new(what, Outcome::Holds)
    } else {
        Claim::new(
            what,
            Outcome::Fails(tr!(
                lang,
                "в странице образа нет строки «{s}»",
                "the image's page has no line «{s}»",
                s = strays[0]
            )),
        )
    }
}

fn short(digest: &str) -> String {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    hex.chars().take(12).collect()
}
