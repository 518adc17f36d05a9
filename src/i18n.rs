//! Languages and translated text. Lesson texts carry both languages in the YAML;
//! the strings of the program itself live in `ui_text!` tables so a missing
//! translation is a compile error, not a blank on screen.

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Ru,
    #[default]
    En,
}

impl Lang {
    /// The language the environment asks for, as gettext reads it:
    /// LC_ALL, then LC_MESSAGES, then LANG; Russian when it starts with `ru`.
    pub fn from_env() -> Lang {
        Self::from_locale_vars(|name| std::env::var(name).ok())
    }

    pub fn from_locale_vars(get: impl Fn(&str) -> Option<String>) -> Lang {
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Some(value) = get(name).filter(|v| !v.is_empty()) {
                return if value.to_ascii_lowercase().starts_with("ru") {
                    Lang::Ru
                } else {
                    Lang::En
                };
            }
        }
        Lang::En
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }
}

/// A learner-facing string in both languages, as written in lesson YAML.
/// Both halves are optional so the validator can report every missing one
/// instead of stopping at the first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub ru: Option<String>,
    pub en: Option<String>,
}

impl Text {
    pub fn new(ru: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            ru: Some(ru.into()),
            en: Some(en.into()),
        }
    }

    /// The text in `lang`, falling back to the other language rather than
    /// showing nothing (a pack that fails validation can still be browsed).
    pub fn get(&self, lang: Lang) -> &str {
        let (first, second) = match lang {
            Lang::Ru => (&self.ru, &self.en),
            Lang::En => (&self.en, &self.ru),
        };
        first.as_deref().or(second.as_deref()).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_precedence_follows_gettext() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            Lang::from_locale_vars(env(&[("LANG", "ru_RU.UTF-8")])),
            Lang::Ru
        );
        assert_eq!(
            Lang::from_locale_vars(env(&[("LC_ALL", "en_US.UTF-8"), ("LANG", "ru_RU.UTF-8")])),
            Lang::En
        );
        assert_eq!(
            Lang::from_locale_vars(env(&[
                ("LC_ALL", ""),
                ("LC_MESSAGES", "ru_RU"),
                ("LANG", "C")
            ])),
            Lang::Ru
        );
        assert_eq!(Lang::from_locale_vars(env(&[])), Lang::En);
    }

    #[test]
    fn text_falls_back_to_the_other_language() {
        let only_en = Text {
            ru: None,
            en: Some("hello".into()),
        };
        assert_eq!(only_en.get(Lang::Ru), "hello");
        assert_eq!(Text::new("привет", "hello").get(Lang::Ru), "привет");
    }
}

/// A string of the program itself, in both languages. `const`, so a table of
/// them is checked at compile time: a missing translation does not build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UiText {
    pub ru: &'static str,
    pub en: &'static str,
}

impl UiText {
    pub const fn new(ru: &'static str, en: &'static str) -> UiText {
        UiText { ru, en }
    }

    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ru => self.ru,
            Lang::En => self.en,
        }
    }
}

/// `t!("русский", "English")` makes a `UiText`.
#[macro_export]
macro_rules! t {
    ($ru:expr, $en:expr $(,)?) => {
        $crate::i18n::UiText::new($ru, $en)
    };
}

/// The Russian plural form for `n`: `one` (1, 21, 101), `few` (2–4, 22–24)
/// or `many` (0, 5–20, 11–14, 25–30, ...): 1 слой, 3 слоя, 5 слоёв, 12 слоёв.
pub fn plural_ru<'a>(n: u64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    let (last, last_two) = (n % 10, n % 100);
    if (11..=14).contains(&last_two) {
        many
    } else if last == 1 {
        one
    } else if (2..=4).contains(&last) {
        few
    } else {
        many
    }
}

/// `n` with its noun in `lang`: `plural(lang, 3, ["слой", "слоя", "слоёв"], ["layer", "layers"])`.
pub fn plural(lang: Lang, n: u64, ru: [&str; 3], en: [&str; 2]) -> String {
    let word = match lang {
        Lang::Ru => plural_ru(n, ru[0], ru[1], ru[2]),
        Lang::En if n == 1 => en[0],
        Lang::En => en[1],
    };
    format!("{n} {word}")
}

#[cfg(test)]
mod plural_tests {
    use super::*;

    #[test]
    fn russian_plurals_follow_the_last_digits() {
        let forms = ["слой", "слоя", "слоёв"];
        let expect = [
            (0, "слоёв"),
            (1, "слой"),
            (2, "слоя"),
            (4, "слоя"),
            (5, "слоёв"),
            (11, "слоёв"),
            (12, "слоёв"),
            (14, "слоёв"),
            (21, "слой"),
            (22, "слоя"),
            (111, "слоёв"),
            (101, "слой"),
        ];
        for (n, word) in expect {
            assert_eq!(plural_ru(n, forms[0], forms[1], forms[2]), word, "{n}");
        }
        assert_eq!(plural(Lang::En, 1, forms, ["layer", "layers"]), "1 layer");
        assert_eq!(plural(Lang::En, 3, forms, ["layer", "layers"]), "3 layers");
        assert_eq!(plural(Lang::Ru, 3, forms, ["layer", "layers"]), "3 слоя");
    }
}
