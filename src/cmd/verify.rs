//! `layerlab verify REPORT.md`: check a report against its evidence block
//! and the registry; print which claims hold. Exit 0 only when all do.

use std::path::Path;
use std::process::ExitCode;

use crate::cmd::args::GlobalArgs;
use crate::handin::{block, verify};
use crate::registry::{ClientOptions, RegistryClient};
use crate::tr;

/// A report is text of a few kilobytes; anything far larger is not one.
const MAX_REPORT_BYTES: u64 = 4 << 20;

/// A report file as text: bounded in size, UTF-8 (shared with `grade`,
/// which verifies the reports in a roster the same way).
pub fn read_report(path: &Path, lang: crate::i18n::Lang) -> anyhow::Result<String> {
    let size = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        .len();
    if size > MAX_REPORT_BYTES {
        anyhow::bail!(
            "{}",
            tr!(
                lang,
                "{p}: {size} байт — это не отчёт layerlab",
                "{p}: {size} bytes is not a layerlab report",
                p = path.display()
            )
        );
    }
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|_| {
        anyhow::anyhow!(
            "{}",
            tr!(
                lang,
                "{p}: не текст UTF-8",
                "{p}: not UTF-8 text",
                p = path.display()
            )
        )
    })
}

/// `layerlab verify`.
pub async fn verify(global: &GlobalArgs, path: &Path) -> anyhow::Result<ExitCode> {
    let lang = global.lang();
    let text = read_report(path, lang)?;
    let (body, evidence) = block::parse(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.render(lang)))?;
    let mut claims = verify::check_body(body, &evidence, lang);
    let client = RegistryClient::new(ClientOptions::from_process());
    claims.extend(verify::check_registry(body, &evidence, &client, lang).await);
    println!(
        "{}",
        tr!(
            lang,
            "Отчёт о {image} (записан {at}, вердикт: {verdict}):",
            "Report on {image} (written {at}, verdict: {verdict}):",
            image = evidence.image.reference,
            at = evidence.written_at,
            verdict = verdict_label(&evidence.verdict, lang)
        )
    );
    for claim in &claims {
        println!("{}", claim.line());
    }
    let held = verify::all_hold(&claims);
    println!(
        "{}",
        if held {
            tr!(
                lang,
                "Всё, что отчёт утверждает и что можно проверить, подтверждено.",
                "Every claim of the report that can be checked holds."
            )
        } else {
            tr!(lang, "Отчёт не подтверждён.", "The report does not verify.")
        }
    );
    Ok(if held {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The block's verdict id in words; an unknown one as written.
fn verdict_label(id: &str, lang: crate::i18n::Lang) -> String {
    use crate::handin::grader::Verdict;
    [Verdict::Passed, Verdict::NotDoneYet, Verdict::Failed]
        .into_iter()
        .find(|v| {
            serde_json::to_value(v)
                .ok()
                .and_then(|j| j.as_str().map(str::to_string))
                .as_deref()
                == Some(id)
        })
        .map_or_else(|| id.to_string(), |v| v.label(lang).to_string())
}
