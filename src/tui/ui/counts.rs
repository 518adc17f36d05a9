//! Steps counted the same way on every screen: the required ones, and the
//! optional ones apart (`12 + 2 optional`), so the list, the lesson and
//! `layerlab lessons` never disagree.

use crate::i18n::{Lang, count, nouns};

/// `12 шагов + 2 необязательных` / `12 steps + 2 optional`.
pub fn steps(lang: Lang, required: usize, optional: usize) -> String {
    let required = count(lang, required, nouns::STEP);
    if optional == 0 {
        return required;
    }
    format!("{required} + {}", count(lang, optional, nouns::OPTIONAL))
}

/// `3/12 + 2` where room is short: done of the required, plus the optional.
pub fn done_of(_lang: Lang, done: usize, required: usize, optional: usize) -> String {
    if optional == 0 {
        format!("{done}/{required}")
    } else {
        format!("{done}/{required} + {optional}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_steps_are_counted_apart_in_both_languages() {
        assert_eq!(steps(Lang::En, 12, 2), "12 steps + 2 optional");
        assert_eq!(steps(Lang::Ru, 12, 2), "12 шагов + 2 необязательных");
        assert_eq!(steps(Lang::Ru, 21, 1), "21 шаг + 1 необязательный");
        assert_eq!(steps(Lang::Ru, 7, 0), "7 шагов");
        assert_eq!(done_of(Lang::Ru, 3, 13, 6), "3/13 + 6");
    }
}
