//! Numbers as the learner reads them. One size formatter for the whole
//! program, so one image never shows up as "~8 МБ", "14.9 MB" and
//! "14.2 MiB" on three screens.
//!
//! The unit family is decimal (1 MB = 1 000 000 bytes), the one `docker
//! images` and `docker history` print: the learner compares our figures with
//! Docker's own output, and they must agree. Russian writes the units in
//! Cyrillic (Б, кБ, МБ, ГБ) and the decimal comma, as Russian typography does.

use crate::i18n::Lang;

const RU: [&str; 6] = ["Б", "кБ", "МБ", "ГБ", "ТБ", "ПБ"];
const EN: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];

/// `14_913_561` → "14.9 MB" / "14,9 МБ"; under 1000 bytes the exact count.
pub fn size(lang: Lang, bytes: u64) -> String {
    let units = match lang {
        Lang::Ru => &RU,
        Lang::En => &EN,
    };
    let mut value = bytes as f64;
    let mut unit = 0;
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

/// Megabytes with one decimal and no unit ("14.9"), for tables whose header
/// names the unit once. Same family as [`size`].
pub fn megabytes(lang: Lang, bytes: u64) -> String {
    let number = format!("{:.1}", bytes as f64 / 1_000_000.0);
    match lang {
        Lang::Ru => number.replace('.', ","),
        Lang::En => number,
    }
}

/// A percentage with one decimal: "87.5%" / "87,5 %".
pub fn percent(lang: Lang, fraction: f64) -> String {
    let number = format!("{:.1}", fraction * 100.0);
    match lang {
        Lang::Ru => format!("{} %", number.replace('.', ",")),
        Lang::En => format!("{number}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_both_languages() {
        assert_eq!(size(Lang::En, 0), "0 B");
        assert_eq!(size(Lang::En, 999), "999 B");
        assert_eq!(size(Lang::Ru, 999), "999 Б");
        assert_eq!(size(Lang::En, 1500), "1.5 kB");
        assert_eq!(size(Lang::En, 14_913_561), "14.9 MB");
        assert_eq!(size(Lang::Ru, 14_913_561), "14,9 МБ");
        assert_eq!(size(Lang::Ru, 8_300_000), "8,3 МБ");
        // never "1000.0 kB": rounding up moves to the next unit
        assert_eq!(size(Lang::En, 999_999), "1.0 MB");
        assert_eq!(size(Lang::En, 2_000_000_000), "2.0 GB");
        assert_eq!(megabytes(Lang::Ru, 14_913_561), "14,9");
        assert_eq!(percent(Lang::Ru, 0.875), "87,5 %");
        assert_eq!(percent(Lang::En, 1.0), "100.0%");
    }
}

/// Docker's container state (`running`, `exited`, …) as a learner reads it.
/// English keeps Docker's own word in brackets where it differs, so it
/// matches `docker ps -a`; Russian says it in Russian only.
pub fn container_state(lang: Lang, status: &str) -> String {
    let (ru, en) = match status {
        "running" => ("работает", "running"),
        "exited" => ("остановлен", "stopped"),
        "created" => ("создан, но не запущен", "created, not started"),
        "paused" => ("приостановлен", "paused"),
        "restarting" => ("перезапускается", "restarting"),
        "removing" => ("удаляется", "being removed"),
        "dead" => ("неисправен", "dead"),
        other => return other.to_string(),
    };
    match lang {
        Lang::Ru => ru.to_string(),
        Lang::En if en == status => en.to_string(),
        Lang::En => format!("{en} ({status})"),
    }
}

#[cfg(test)]
mod state_tests {
    use super::*;

    #[test]
    fn states_read_as_words() {
        assert_eq!(container_state(Lang::Ru, "exited"), "остановлен");
        assert_eq!(container_state(Lang::En, "running"), "running");
        assert_eq!(container_state(Lang::En, "exited"), "stopped (exited)");
    }
}
