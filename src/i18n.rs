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

    /// A sentence made in both languages now, chosen at draw time: results
    /// of work done in the background travel as `Text`, so a language
    /// switch re-renders them too. `make` is called once per language.
    pub fn from_fn(make: impl Fn(Lang) -> String) -> Text {
        Text::new(make(Lang::Ru), make(Lang::En))
    }

    /// Words that are the same in both languages (a path, Docker's output).
    pub fn plain(text: impl Into<String>) -> Text {
        let text = text.into();
        Text::new(text.clone(), text)
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

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text::plain(text)
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text::plain(text)
    }
}

impl From<UiText> for Text {
    fn from(text: UiText) -> Text {
        Text::new(text.ru, text.en)
    }
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

/// `tr!(lang, "русский {x}", "English {x}", ...)`: one sentence with its
/// arguments in both languages, formatted in `lang`. Both halves are format
/// strings checked at compile time; a number meets its noun through
/// [`count`] (never glue a sentence from fragments: word order differs).
#[macro_export]
macro_rules! tr {
    ($lang:expr, $ru:literal, $en:literal $(,)?) => {
        match $lang {
            $crate::i18n::Lang::Ru => format!($ru),
            $crate::i18n::Lang::En => format!($en),
        }
    };
    ($lang:expr, $ru:literal, $en:literal, $($args:tt)+) => {
        match $lang {
            $crate::i18n::Lang::Ru => format!($ru, $($args)+),
            $crate::i18n::Lang::En => format!($en, $($args)+),
        }
    };
}

/// A countable noun: Russian has three forms (1 слой, 2–4 слоя, 5+ слоёв,
/// with 11–14 taking the last), English two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Noun {
    pub ru: [&'static str; 3],
    pub en: [&'static str; 2],
}

impl Noun {
    /// The form of the noun that goes with `n`, without the number.
    pub fn form(self, lang: Lang, n: u64) -> &'static str {
        match lang {
            Lang::Ru => self.ru[russian_plural_index(n)],
            Lang::En => self.en[usize::from(n != 1)],
        }
    }
}

/// CLDR's rule for Russian integers: 0 one, 1 few, 2 many.
pub fn russian_plural_index(n: u64) -> usize {
    let (last, last_two) = (n % 10, n % 100);
    if last == 1 && last_two != 11 {
        0
    } else if (2..=4).contains(&last) && !(12..=14).contains(&last_two) {
        1
    } else {
        2
    }
}

/// "5 слоёв", "1 layer": a number with the matching form of its noun.
pub fn count(lang: Lang, n: impl TryInto<u64> + Copy + std::fmt::Display, noun: Noun) -> String {
    let forms = n.try_into().map(|v| noun.form(lang, v));
    match forms {
        Ok(word) => format!("{n} {word}"),
        // Negative counts do not occur; show the many-form rather than panic.
        Err(_) => format!("{n} {}", noun.form(lang, 5)),
    }
}

/// A size in the units `docker images` prints (decimal: 1 MB = 1,000,000
/// bytes), so the learner can compare the two; Russian abbreviations and
/// the decimal comma in Russian. One formatter for every screen, report and
/// command: `14.9 MB` / `14,9 МБ` (one decimal, as Docker's `14.9MB`);
/// under 1000 bytes the exact count.
pub fn size(lang: Lang, bytes: u64) -> String {
    const RU: [&str; 6] = ["Б", "кБ", "МБ", "ГБ", "ТБ", "ПБ"];
    const EN: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let units = match lang {
        Lang::Ru => &RU,
        Lang::En => &EN,
    };
    let mut value = bytes as f64;
    let mut unit = 0;
    // 999 950 bytes is "1.0 MB", never "1000.0 kB".
    while value >= 999.95 && unit + 1 < units.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        return format!("{bytes} {}", units[0]);
    }
    let number = format!("{value:.1}");
    match lang {
        Lang::Ru => format!("{} {}", number.replace('.', ","), units[unit]),
        Lang::En => format!("{number} {}", units[unit]),
    }
}

/// A number with `places` decimals, with the decimal comma in Russian:
/// a quiz score `7.5` / `7,5`.
pub fn decimal(lang: Lang, value: f64, places: usize) -> String {
    let number = format!("{value:.places$}");
    match lang {
        Lang::Ru => number.replace('.', ","),
        Lang::En => number,
    }
}

/// A fraction as a percentage with one decimal: `87.5%` / `87,5 %`.
pub fn percent(lang: Lang, fraction: f64) -> String {
    let number = format!("{:.1}", fraction * 100.0);
    match lang {
        Lang::Ru => format!("{} %", number.replace('.', ",")),
        Lang::En => format!("{number}%"),
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn decimals_take_a_comma_in_russian() {
        assert_eq!(decimal(Lang::Ru, 7.5, 1), "7,5");
        assert_eq!(decimal(Lang::En, 7.5, 1), "7.5");
        assert_eq!(decimal(Lang::Ru, 0.0, 1), "0,0");
    }

    #[test]
    fn sizes_in_both_languages() {
        assert_eq!(size(Lang::En, 0), "0 B");
        assert_eq!(size(Lang::En, 999), "999 B");
        assert_eq!(size(Lang::Ru, 999), "999 Б");
        assert_eq!(size(Lang::En, 1500), "1.5 kB");
        assert_eq!(size(Lang::En, 14_913_561), "14.9 MB");
        assert_eq!(size(Lang::Ru, 14_913_561), "14,9 МБ");
        assert_eq!(size(Lang::En, 999_999), "1.0 MB");
        assert_eq!(size(Lang::En, 2_000_000_000), "2.0 GB");
        assert_eq!(percent(Lang::Ru, 0.875), "87,5 %");
        assert_eq!(percent(Lang::En, 1.0), "100.0%");
    }
}

/// The nouns that meet numbers on screen and in reports.
pub mod nouns {
    use super::Noun;

    pub const LAYER: Noun = Noun {
        ru: ["слой", "слоя", "слоёв"],
        en: ["layer", "layers"],
    };
    pub const FILE: Noun = Noun {
        ru: ["файл", "файла", "файлов"],
        en: ["file", "files"],
    };
    pub const STEP: Noun = Noun {
        ru: ["шаг", "шага", "шагов"],
        en: ["step", "steps"],
    };
    /// After a number of steps: `+ 2 необязательных`.
    pub const OPTIONAL: Noun = Noun {
        ru: ["необязательный", "необязательных", "необязательных"],
        en: ["optional", "optional"],
    };
    pub const QUESTION: Noun = Noun {
        ru: ["вопрос", "вопроса", "вопросов"],
        en: ["question", "questions"],
    };
    pub const ANSWER: Noun = Noun {
        ru: ["ответ", "ответа", "ответов"],
        en: ["answer", "answers"],
    };
    pub const POINT: Noun = Noun {
        ru: ["балл", "балла", "баллов"],
        en: ["point", "points"],
    };
    pub const CONTAINER: Noun = Noun {
        ru: ["контейнер", "контейнера", "контейнеров"],
        en: ["container", "containers"],
    };
    pub const IMAGE: Noun = Noun {
        ru: ["образ", "образа", "образов"],
        en: ["image", "images"],
    };
    pub const STUDENT: Noun = Noun {
        ru: ["студент", "студента", "студентов"],
        en: ["student", "students"],
    };
    pub const LINE: Noun = Noun {
        ru: ["строка", "строки", "строк"],
        en: ["line", "lines"],
    };
    pub const ENTRY: Noun = Noun {
        ru: ["запись", "записи", "записей"],
        en: ["entry", "entries"],
    };
    pub const SECOND: Noun = Noun {
        ru: ["секунда", "секунды", "секунд"],
        en: ["second", "seconds"],
    };
    pub const REQUEST: Noun = Noun {
        ru: ["запрос", "запроса", "запросов"],
        en: ["request", "requests"],
    };
    pub const CHANGE: Noun = Noun {
        ru: ["изменение", "изменения", "изменений"],
        en: ["change", "changes"],
    };
    pub const MATCH: Noun = Noun {
        ru: ["совпадение", "совпадения", "совпадений"],
        en: ["match", "matches"],
    };
    pub const PATH: Noun = Noun {
        ru: ["путь", "пути", "путей"],
        en: ["path", "paths"],
    };
}

#[cfg(test)]
mod plural_tests {
    use super::*;

    #[test]
    fn russian_forms_follow_cldr() {
        let cases = [
            (0, "0 слоёв"),
            (1, "1 слой"),
            (2, "2 слоя"),
            (4, "4 слоя"),
            (5, "5 слоёв"),
            (11, "11 слоёв"),
            (12, "12 слоёв"),
            (14, "14 слоёв"),
            (21, "21 слой"),
            (22, "22 слоя"),
            (25, "25 слоёв"),
            (101, "101 слой"),
            (111, "111 слоёв"),
            (1002, "1002 слоя"),
        ];
        for (n, want) in cases {
            assert_eq!(count(Lang::Ru, n, nouns::LAYER), want, "n = {n}");
        }
        assert_eq!(count(Lang::Ru, 21, nouns::FILE), "21 файл");
        assert_eq!(count(Lang::Ru, 3, nouns::FILE), "3 файла");
        assert_eq!(count(Lang::Ru, 11, nouns::FILE), "11 файлов");
    }

    #[test]
    fn english_forms() {
        assert_eq!(count(Lang::En, 1, nouns::LAYER), "1 layer");
        assert_eq!(count(Lang::En, 0, nouns::LAYER), "0 layers");
        assert_eq!(count(Lang::En, 21, nouns::FILE), "21 files");
    }

    #[test]
    fn tr_formats_in_the_asked_language_with_arguments() {
        let n = 3;
        let layers = count(Lang::Ru, n, nouns::LAYER);
        assert_eq!(
            crate::tr!(Lang::Ru, "в образе {layers}", "the image has {layers}"),
            "в образе 3 слоя"
        );
        assert_eq!(
            crate::tr!(
                Lang::En,
                "в образе {}",
                "the image has {}",
                count(Lang::En, n, nouns::LAYER)
            ),
            "the image has 3 layers"
        );
    }
}
