//! What can go wrong reading an image from a registry, each case with a
//! stable id (for JSON and scripts) and a message in Russian and English.
//! Messages name the registry, the repository and the reference, never a
//! credential.

use crate::i18n::Lang;
use crate::t;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The registry does not have this tag / digest / repository.
    #[error("{what}: not in the registry ({detail})")]
    NotFound { what: String, detail: String },
    /// 401/403: no credentials, wrong credentials, or no access.
    #[error("{registry}: access denied to {repository} ({detail})")]
    Unauthorized {
        registry: String,
        repository: String,
        had_credentials: bool,
        detail: String,
    },
    /// Connection refused, DNS, TLS, timeouts, retries used up.
    #[error("{registry}: unreachable: {detail}")]
    Unreachable { registry: String, detail: String },
    /// The manifest is something else (an artifact, a Helm chart, a v1 schema).
    #[error("{what}: not a container image: {detail}")]
    NotAnImage { what: String, detail: String },
    /// A manifest list / index without the wanted platform.
    #[error("{what}: no image for {wanted} (the list has: {available})")]
    NoPlatform {
        what: String,
        wanted: String,
        available: String,
    },
    /// A body over its bound (manifest, config, layer, file).
    #[error("{what}: larger than the limit of {limit} bytes")]
    TooLarge { what: String, limit: u64 },
    /// Another HTTP status the registry should not have answered.
    #[error("{what}: the registry answered HTTP {status} ({detail})")]
    Http {
        what: String,
        status: u16,
        detail: String,
    },
    /// The Docker config or a credential helper failed.
    #[error("credentials for {registry}: {message}")]
    Credentials { registry: String, message: String },
    /// Malformed JSON, a digest that does not match, a broken layer.
    #[error("{what}: {detail}")]
    Invalid { what: String, detail: String },
}

impl Error {
    /// A stable, language-independent id (`not_found`, `unauthorized`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NotFound { .. } => "not_found",
            Error::Unauthorized { .. } => "unauthorized",
            Error::Unreachable { .. } => "unreachable",
            Error::NotAnImage { .. } => "not_an_image",
            Error::NoPlatform { .. } => "no_platform",
            Error::TooLarge { .. } => "too_large",
            Error::Http { .. } => "http",
            Error::Credentials { .. } => "credentials",
            Error::Invalid { .. } => "invalid",
        }
    }

    /// Worth another attempt (the caller's retry loop decides how often).
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Unreachable { .. })
            || matches!(self, Error::Http { status, .. } if *status == 429 || *status >= 500)
    }

    /// The message for a person, with what to do about it.
    pub fn render(&self, lang: Lang) -> String {
        match self {
            Error::NotFound { what, detail } => format!(
                "{what}: {} ({detail})",
                t!(
                    "такого тега или образа в реестре нет; проверьте ссылку и что образ опубликован (docker push)",
                    "no such tag or image in the registry; check the link and that the image was pushed (docker push)"
                )
                .get(lang)
            ),
            Error::Unauthorized {
                registry,
                repository,
                had_credentials,
                detail,
            } => {
                let fix = if *had_credentials {
                    t!(
                        "учётные данные из конфигурации Docker не подошли: войдите заново (docker login)",
                        "the credentials from the Docker config were refused: log in again (docker login)"
                    )
                } else {
                    t!(
                        "репозиторий закрыт или не существует, а учётных данных нет: docker login",
                        "the repository is private or missing and there are no credentials: docker login"
                    )
                };
                format!(
                    "{registry}/{repository}: {} ({detail}); {}",
                    t!("нет доступа", "access denied").get(lang),
                    fix.get(lang)
                )
            }
            Error::Unreachable { registry, detail } => format!(
                "{registry}: {} ({detail})",
                t!("реестр недоступен", "the registry is unreachable").get(lang)
            ),
            Error::NotAnImage { what, detail } => format!(
                "{what}: {} ({detail})",
                t!("это не образ контейнера", "not a container image").get(lang)
            ),
            Error::NoPlatform {
                what,
                wanted,
                available,
            } => format!(
                "{what}: {} {wanted} ({}: {available}); {}",
                t!("в списке манифестов нет образа для", "the manifest list has no image for").get(lang),
                t!("есть", "it has").get(lang),
                t!("укажите --platform", "pass --platform").get(lang)
            ),
            Error::TooLarge { what, limit } => format!(
                "{what}: {} {limit} {}",
                t!("больше предела в", "larger than the limit of").get(lang),
                t!("байт", "bytes").get(lang)
            ),
            Error::Http {
                what,
                status,
                detail,
            } => format!(
                "{what}: {} HTTP {status} ({detail})",
                t!("реестр ответил", "the registry answered").get(lang)
            ),
            Error::Credentials { registry, message } => format!(
                "{} {registry}: {message}",
                t!("учётные данные для", "credentials for").get(lang)
            ),
            Error::Invalid { what, detail } => format!(
                "{what}: {} ({detail})",
                t!("неверные данные из реестра", "invalid data from the registry").get(lang)
            ),
        }
    }
}
