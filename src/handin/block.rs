//! The machine-readable block at the end of a report: what the report
//! claims, in a form `layerlab verify` can check, and hashes of the body.
//!
//! The body is everything before [`MARKER`]. It is hashed whole, and per
//! section (`## ` headings, and `### ` subsections inside them), so a
//! changed report names the part that changed. Hashes only catch an edit
//! that leaves the block alone; the claims about the image are checked
//! against the registry, which the learner cannot rewrite after the fact
//! without the report's digests no longer matching.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The line that starts the block; the body is what comes before it.
pub const MARKER: &str = "<!-- layerlab-evidence: the lines below are checked by `layerlab verify`; editing the report above them makes it fail -->";
/// The fence tag of the JSON inside the block.
pub const FENCE_TAG: &str = "json layerlab-evidence";
pub const EVIDENCE_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub version: u32,
    pub tool: String,
    pub lang: String,
    /// When the report was written, UTC, RFC 3339 to the second.
    pub written_at: String,
    pub image: ImageClaim,
    pub pushed: Option<PushedClaim>,
    pub verdict: String,
    pub criteria: Vec<CriterionClaim>,
    pub quiz: Option<QuizClaim>,
    /// sha256 of each saved answer, by key (the text is in the body).
    pub answers: Vec<(String, Option<String>)>,
    pub sections: Vec<SectionHash>,
    pub body_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageClaim {
    pub reference: String,
    /// The image id: the sha256 of its config (what a registry stores as
    /// the manifest's config digest).
    pub id: String,
    pub size: u64,
    /// Diff ids, base first.
    pub layers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushedClaim {
    pub reference: String,
    pub manifest_digest: String,
    pub config_digest: String,
    /// Compressed layer digests as the registry lists them, base first.
    pub layer_digests: Vec<String>,
    /// The page as nginx serves it: its path, the layer that holds it
    /// (compressed digest) and the sha256 of its bytes.
    pub page: Option<PageClaim>,
    /// The registry is on this machine or a private network.
    pub local: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageClaim {
    pub path: String,
    pub layer: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionClaim {
    pub id: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizClaim {
    pub points: f32,
    pub questions: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionHash {
    /// `## Title`, or `## Title › ### Sub` for a subsection; `(top)` for
    /// what comes before the first heading.
    pub title: String,
    pub sha256: String,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The body's sections in order, with their hashes. A section's text runs
/// from its heading to the next heading of the same or a higher level; a
/// `##` section's hash covers its subsections too.
pub fn sections(body: &str) -> Vec<SectionHash> {
    let mut out = Vec::new();
    let mut h2: Option<(String, String)> = Some(("(top)".into(), String::new()));
    let mut h3: Option<(String, String)> = None;
    let mut in_fence: Option<String> = None;
    let flush3 = |h3: &mut Option<(String, String)>, parent: &str, out: &mut Vec<SectionHash>| {
        if let Some((title, text)) = h3.take() {
            out.push(SectionHash {
                title: format!("{parent} › {title}"),
                sha256: sha256_hex(text.as_bytes()),
            });
        }
    };
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_end();
        // Headings inside code (a Dockerfile's comments) are not headings.
        let fence = trimmed.trim_start();
        if fence.starts_with("```") {
            let ticks: String = fence.chars().take_while(|c| *c == '`').collect();
            match &in_fence {
                Some(open) if fence.trim() == open.as_str() => in_fence = None,
                None => in_fence = Some(ticks),
                _ => {}
            }
        }
        if in_fence.is_none() && !fence.starts_with("```") {
            if let Some(title) = trimmed.strip_prefix("## ") {
                let parent = h2.as_ref().map(|(t, _)| t.clone()).unwrap_or_default();
                flush3(&mut h3, &parent, &mut out);
                if let Some((t, text)) = h2.take() {
                    out.push(SectionHash {
                        title: t,
                        sha256: sha256_hex(text.as_bytes()),
                    });
                }
                h2 = Some((title.trim().to_string(), String::new()));
            } else if let Some(title) = trimmed.strip_prefix("### ") {
                let parent = h2.as_ref().map(|(t, _)| t.clone()).unwrap_or_default();
                flush3(&mut h3, &parent, &mut out);
                h3 = Some((title.trim().to_string(), String::new()));
            }
        }
        if let Some((_, text)) = h2.as_mut() {
            text.push_str(line);
        }
        if let Some((_, text)) = h3.as_mut() {
            text.push_str(line);
        }
    }
    let parent = h2.as_ref().map(|(t, _)| t.clone()).unwrap_or_default();
    flush3(&mut h3, &parent, &mut out);
    if let Some((t, text)) = h2.take() {
        out.push(SectionHash {
            title: t,
            sha256: sha256_hex(text.as_bytes()),
        });
    }
    out
}

/// The block to append to `body` (which must end with a newline).
pub fn render_block(evidence: &Evidence) -> String {
    let json = serde_json::to_string_pretty(evidence).unwrap_or_else(|_| "{}".into());
    format!("{MARKER}\n\n```{FENCE_TAG}\n{json}\n```\n")
}

/// Fill in the hashes of `body` and return the whole report.
pub fn seal(body: &str, mut evidence: Evidence) -> String {
    evidence.sections = sections(body);
    evidence.body_sha256 = sha256_hex(body.as_bytes());
    format!("{body}{}", render_block(&evidence))
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BlockError {
    #[error(
        "no layerlab evidence block in the report (it ends with a ```json layerlab-evidence block after a `<!-- layerlab-evidence` line)"
    )]
    Missing,
    #[error("the evidence block is not valid: {0}")]
    Invalid(String),
    #[error("the evidence block is version {0}; this layerlab reads version {EVIDENCE_VERSION}")]
    Version(u32),
}

impl BlockError {
    pub fn render(&self, lang: crate::i18n::Lang) -> String {
        match self {
            BlockError::Missing => crate::tr!(
                lang,
                "в отчёте нет блока доказательств layerlab (отчёт `layerlab report` заканчивается блоком ```json layerlab-evidence после строки `<!-- layerlab-evidence`)",
                "no layerlab evidence block in the report (a `layerlab report` ends with a ```json layerlab-evidence block after a `<!-- layerlab-evidence` line)"
            ),
            BlockError::Invalid(e) => crate::tr!(
                lang,
                "блок доказательств повреждён: {e}",
                "the evidence block is not valid: {e}"
            ),
            BlockError::Version(v) => crate::tr!(
                lang,
                "блок доказательств версии {v}; этот layerlab читает версию {EVIDENCE_VERSION}",
                "the evidence block is version {v}; this layerlab reads version {EVIDENCE_VERSION}"
            ),
        }
    }
}

/// Split a report into its body and its evidence.
pub fn parse(report: &str) -> Result<(&str, Evidence), BlockError> {
    let at = report.rfind(MARKER).ok_or(BlockError::Missing)?;
    let (body, rest) = report.split_at(at);
    let open = format!("```{FENCE_TAG}\n");
    let start = rest.find(&open).ok_or(BlockError::Missing)? + open.len();
    let end = rest[start..]
        .find("\n```")
        .map(|e| start + e)
        .ok_or_else(|| BlockError::Invalid("the block's fence is not closed".into()))?;
    let value: serde_json::Value =
        serde_json::from_str(&rest[start..end]).map_err(|e| BlockError::Invalid(e.to_string()))?;
    let version = value["version"].as_u64().unwrap_or(0) as u32;
    if version != EVIDENCE_VERSION {
        return Err(BlockError::Version(version));
    }
    let evidence: Evidence =
        serde_json::from_value(value).map_err(|e| BlockError::Invalid(e.to_string()))?;
    Ok((body, evidence))
}

/// What differs between the recorded section hashes and the body's:
/// titles of changed, added or removed sections. A changed subsection is
/// named rather than its whole section.
pub fn changed_sections(recorded: &[SectionHash], body: &str) -> Vec<String> {
    let now = sections(body);
    let mut changed = Vec::new();
    for old in recorded {
        match now.iter().find(|s| s.title == old.title) {
            Some(new) if new.sha256 == old.sha256 => {}
            Some(_) => changed.push(old.title.clone()),
            None => changed.push(format!("{} (removed or renamed)", old.title)),
        }
    }
    for new in &now {
        if !recorded.iter().any(|s| s.title == new.title) {
            changed.push(format!("{} (added)", new.title));
        }
    }
    // A section whose only change is inside a named subsection: name the
    // subsection alone.
    let subsections: Vec<String> = changed
        .iter()
        .filter_map(|t| t.split_once(" › ").map(|(p, _)| p.to_string()))
        .collect();
    changed.retain(|t| t.contains(" › ") || !subsections.contains(t));
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "# Title\n\nintro\n\n## Verdict\n\npassed\n\n## Answers\n\n### Q1\n\nanswer one\n\n### Q2\n\nanswer two\n\n## Dockerfile\n\n```dockerfile\n## not a heading\nFROM x\n```\n";

    fn evidence() -> Evidence {
        Evidence {
            version: EVIDENCE_VERSION,
            tool: "layerlab test".into(),
            lang: "en".into(),
            written_at: "2026-01-01T00:00:00Z".into(),
            image: ImageClaim {
                reference: "a/b:1".into(),
                id: "sha256:1".into(),
                size: 1,
                layers: vec!["sha256:l".into()],
            },
            pushed: None,
            verdict: "passed".into(),
            criteria: Vec::new(),
            quiz: None,
            answers: Vec::new(),
            sections: Vec::new(),
            body_sha256: String::new(),
        }
    }

    #[test]
    fn a_sealed_report_parses_back_and_names_what_changed() {
        let report = seal(BODY, evidence());
        let (body, parsed) = parse(&report).expect("parses");
        assert_eq!(body, BODY);
        assert_eq!(parsed.body_sha256, sha256_hex(BODY.as_bytes()));
        let titles: Vec<_> = parsed.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "(top)",
                "Verdict",
                "Answers › Q1",
                "Answers › Q2",
                "Answers",
                "Dockerfile"
            ]
        );
        assert!(changed_sections(&parsed.sections, BODY).is_empty());
        let edited = BODY.replace("answer two", "answer 2");
        assert_eq!(
            changed_sections(&parsed.sections, &edited),
            ["Answers › Q2"]
        );
        let edited = BODY.replace("passed", "passes");
        assert_eq!(changed_sections(&parsed.sections, &edited), ["Verdict"]);
    }

    #[test]
    fn a_report_without_a_block_or_with_a_broken_one_is_refused() {
        assert_eq!(parse("# just text\n").err(), Some(BlockError::Missing));
        let broken = format!("body\n{MARKER}\n\n```{FENCE_TAG}\n{{not json\n```\n");
        assert!(matches!(parse(&broken), Err(BlockError::Invalid(_))));
    }
}
