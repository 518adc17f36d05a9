//! Every key binding in one table. Screens ask `action_for`, and the help
//! overlay is drawn from the same table, so what `?` shows is what works.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::i18n::UiText;
use crate::t;

/// What a key means, independent of which key it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Back,
    Help,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Top,
    Bottom,
    NextPane,
    PrevPane,
    Select,
    Filter,
    NextStep,
    PrevStep,
    Run,
    /// "Do it for me": layerlab does a step the learner would type, and
    /// records it as done by layerlab.
    DoItForMe,
    /// Yes to a step that asks first (privileged, long, public).
    Confirm,
    Cancel,
    Edit,
    ToggleLanguage,
    ResetLesson,
    ResetAll,
    Layers,
    Lab,
    Quiz,
    ChangesOnly,
    SortBySize,
    ExpandAll,
    CollapseAll,
    ToggleFullText,
    StopStart,
    Recreate,
    Commit,
    ToggleStorage,
    ExploreCommit,
    ViewFile,
    Compare,
    NextMatch,
    PrevMatch,
    /// F4 in the lab: nginx's start-up entries one by one, or folded.
    FoldNoise,
    /// Lesson: move the keyboard to the output pane (and back).
    FocusOutput,
    /// Keys a text field handles itself (Ctrl-U, Ctrl-W, Home/End): listed
    /// in the help, never dispatched.
    EditLine,
}

/// Where a binding applies. `Global` works everywhere unless a screen is
/// taking text input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Global,
    Lessons,
    Lesson,
    Explorer,
    Lab,
    Quiz,
}

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub context: Context,
    pub keys: &'static [KeyCode],
    /// What the help overlay prints for the keys, e.g. "↑/k".
    pub label: &'static str,
    pub action: Action,
    pub help: UiText,
}

const fn bind(
    context: Context,
    keys: &'static [KeyCode],
    label: &'static str,
    action: Action,
    help: UiText,
) -> Binding {
    Binding {
        context,
        keys,
        label,
        action,
        help,
    }
}

use Action as A;
use Context as C;
use KeyCode as K;

/// The one key table. Keys follow dive and lazydocker where they agree:
/// q/Esc back, arrows and hjkl, Tab between panes, Enter to act, / to filter.
pub const BINDINGS: &[Binding] = &[
    bind(
        C::Global,
        &[K::Char('?'), K::F(1)],
        "?",
        A::Help,
        t!("справка по клавишам", "key help"),
    ),
    // Ctrl-C arrives as a key in raw mode; `action_for` maps it (the table
    // holds plain keys), and this row is what the help shows for it.
    bind(
        C::Global,
        &[],
        "Ctrl-C",
        A::Quit,
        t!(
            "отменить идущую работу; ещё раз — выход",
            "cancel the running work; again to quit"
        ),
    ),
    bind(
        C::Global,
        &[K::Char('q')],
        "q",
        A::Back,
        t!("назад / выход", "back / quit"),
    ),
    bind(
        C::Global,
        &[K::Esc],
        "Esc",
        A::Cancel,
        t!("отменить работу или назад", "cancel running work, or back"),
    ),
    bind(
        C::Global,
        &[K::Up, K::Char('k')],
        "↑/k",
        A::Up,
        t!("вверх", "up"),
    ),
    bind(
        C::Global,
        &[K::Down, K::Char('j')],
        "↓/j",
        A::Down,
        t!("вниз", "down"),
    ),
    bind(
        C::Global,
        &[K::PageUp],
        "PgUp",
        A::PageUp,
        t!("страница вверх", "page up"),
    ),
    bind(
        C::Global,
        &[K::PageDown],
        "PgDn",
        A::PageDown,
        t!("страница вниз", "page down"),
    ),
    bind(
        C::Global,
        &[K::Home, K::Char('g')],
        "g/Home",
        A::Top,
        t!("в начало", "to the top"),
    ),
    bind(
        C::Global,
        &[K::End, K::Char('G')],
        "G/End",
        A::Bottom,
        t!("в конец", "to the end"),
    ),
    // Only screens with more than one pane bind Tab, so `?` never lists a
    // key that does nothing where it is shown.
    bind(
        C::Explorer,
        &[K::Tab],
        "Tab",
        A::NextPane,
        t!("следующая панель", "next pane"),
    ),
    bind(
        C::Explorer,
        &[K::BackTab],
        "S-Tab",
        A::PrevPane,
        t!("предыдущая панель", "previous pane"),
    ),
    bind(
        C::Global,
        &[K::F(2)],
        "F2",
        A::ToggleLanguage,
        t!("русский / English", "English / русский"),
    ),
    bind(
        C::Lessons,
        &[K::Enter, K::Right, K::Char('l')],
        "Enter",
        A::Select,
        t!("открыть урок", "open the lesson"),
    ),
    bind(
        C::Lessons,
        &[K::Char('r')],
        "r r",
        A::ResetLesson,
        t!(
            "сбросить прогресс урока (нажать дважды)",
            "reset the lesson's progress (press twice)"
        ),
    ),
    bind(
        C::Lessons,
        &[K::Char('R')],
        "R R",
        A::ResetAll,
        t!(
            "сбросить весь прогресс (нажать дважды)",
            "reset all progress (press twice)"
        ),
    ),
    bind(
        C::Lessons,
        &[K::Char('L')],
        "L",
        A::Layers,
        t!("слои моего образа", "my image's layers"),
    ),
    bind(
        C::Lessons,
        &[K::Char('b')],
        "b",
        A::Lab,
        t!("живая лаборатория", "the live lab"),
    ),
    bind(
        C::Lessons,
        &[K::Char('z')],
        "z",
        A::Quiz,
        t!("тест для самопроверки", "the self-check quiz"),
    ),
    bind(
        C::Lesson,
        &[K::Enter],
        "Enter",
        A::Run,
        t!("выполнить шаг", "do the step"),
    ),
    bind(
        C::Lesson,
        &[K::Char('d')],
        "d",
        A::DoItForMe,
        t!(
            "сделать шаг за меня (отметится: сделал layerlab)",
            "do it for me (recorded as done by layerlab)"
        ),
    ),
    bind(
        C::Lesson,
        &[K::Char('y')],
        "y",
        A::Confirm,
        t!(
            "да — выполнить шаг, который спрашивает подтверждения",
            "yes: go ahead with a step that asks first"
        ),
    ),
    bind(
        C::Lesson,
        &[K::Right, K::Char('l'), K::Char('n')],
        "→/n",
        A::NextStep,
        t!("следующий шаг", "next step"),
    ),
    bind(
        C::Lesson,
        &[K::Left, K::Char('h'), K::Char('p')],
        "←/p",
        A::PrevStep,
        t!("предыдущий шаг", "previous step"),
    ),
    bind(
        C::Lesson,
        &[K::Tab, K::BackTab],
        "Tab",
        A::FocusOutput,
        t!(
            "клавиатуру — тексту, файлу или выводу шага (↑↓ PgUp PgDn листают)",
            "keyboard to the text, the file or the step's output (↑↓ PgUp PgDn scroll)"
        ),
    ),
    bind(
        C::Lesson,
        &[K::End, K::Char('G')],
        "G/End",
        A::Bottom,
        t!(
            "в конец вывода шага (без вывода — последний шаг)",
            "to the end of the step's output (without one, the last step)"
        ),
    ),
    bind(
        C::Lesson,
        &[K::Char('e')],
        "e",
        A::Edit,
        t!(
            "редактировать файл или ответ",
            "edit the file or the answer"
        ),
    ),
    bind(
        C::Explorer,
        &[K::Char('/')],
        "/",
        A::Filter,
        t!(
            "фильтр по пути; в файле — поиск",
            "filter by path; in a file, search"
        ),
    ),
    bind(
        C::Explorer,
        &[K::Enter, K::Char(' ')],
        "Enter",
        A::Select,
        t!(
            "свернуть / развернуть; файл — открыть",
            "fold / unfold; on a file, open it"
        ),
    ),
    bind(
        C::Explorer,
        &[K::Char('v')],
        "v",
        A::ViewFile,
        t!(
            "содержимое файла, как оно хранится в слое",
            "the file's content as the layer stores it"
        ),
    ),
    bind(
        C::Explorer,
        &[K::Char('n')],
        "n",
        A::NextMatch,
        t!("в файле: следующее совпадение", "in a file: next match"),
    ),
    bind(
        C::Explorer,
        &[K::Char('N')],
        "N",
        A::PrevMatch,
        t!(
            "в файле: предыдущее совпадение",
            "in a file: previous match"
        ),
    ),
    bind(
        C::Explorer,
        &[K::Char('d')],
        "d",
        A::Compare,
        t!(
            "два образа рядом / один образ (если их два)",
            "two images side by side / one image (when there are two)"
        ),
    ),
    bind(
        C::Explorer,
        &[K::Left, K::Char('h')],
        "←/h",
        A::Left,
        t!("свернуть", "fold"),
    ),
    bind(
        C::Explorer,
        &[K::Right, K::Char('l')],
        "→/l",
        A::Right,
        t!("развернуть", "unfold"),
    ),
    bind(
        C::Explorer,
        &[K::Char('c')],
        "c",
        A::ChangesOnly,
        t!("только изменения", "changes only"),
    ),
    bind(
        C::Explorer,
        &[K::Char('s')],
        "s",
        A::SortBySize,
        t!("сортировать по размеру", "sort by size"),
    ),
    bind(
        C::Explorer,
        &[K::Char('E')],
        "E",
        A::ExpandAll,
        t!("развернуть всё", "unfold all"),
    ),
    bind(
        C::Explorer,
        &[K::Char('C')],
        "C",
        A::CollapseAll,
        t!("свернуть всё", "fold all"),
    ),
    bind(
        C::Explorer,
        &[K::Char('i')],
        "i",
        A::ToggleFullText,
        t!("полный текст инструкции", "full instruction text"),
    ),
    bind(
        C::Lab,
        &[K::Enter],
        "Enter",
        A::Run,
        t!(
            "выполнить команду в контейнере",
            "run the command in the container"
        ),
    ),
    bind(
        C::Lab,
        &[K::Up],
        "↑",
        A::Up,
        t!("предыдущая команда", "previous command"),
    ),
    bind(
        C::Lab,
        &[K::Down],
        "↓",
        A::Down,
        t!("следующая команда", "next command"),
    ),
    bind(
        C::Lab,
        &[K::PageUp],
        "PgUp",
        A::PageUp,
        t!(
            "прокрутить слой для записи вверх (и колесо мыши)",
            "scroll the writable layer up (the wheel too)"
        ),
    ),
    bind(
        C::Lab,
        &[K::PageDown],
        "PgDn",
        A::PageDown,
        t!(
            "прокрутить слой для записи вниз",
            "scroll the writable layer down"
        ),
    ),
    bind(
        C::Lab,
        &[K::F(4)],
        "F4",
        A::FoldNoise,
        t!(
            "показать / свернуть записи запуска nginx",
            "show / fold nginx's start-up entries"
        ),
    ),
    bind(
        C::Lab,
        &[K::Home],
        "Home",
        A::EditLine,
        t!("в начало строки", "to the start of the line"),
    ),
    bind(
        C::Lab,
        &[K::End],
        "End",
        A::EditLine,
        t!("в конец строки", "to the end of the line"),
    ),
    bind(
        C::Lab,
        &[],
        "^U ^W",
        A::EditLine,
        t!(
            "стереть строку / слово перед курсором",
            "erase the line / the word before the cursor"
        ),
    ),
    bind(
        C::Lab,
        &[K::Tab, K::BackTab],
        "Tab",
        A::NextPane,
        t!("другой контейнер", "the other container"),
    ),
    bind(
        C::Lab,
        &[K::F(5)],
        "F5",
        A::StopStart,
        t!(
            "остановить / запустить (изменения остаются)",
            "stop / start (the changes stay)"
        ),
    ),
    bind(
        C::Lab,
        &[K::F(6)],
        "F6",
        A::Recreate,
        t!(
            "удалить и создать заново (изменения пропадут)",
            "remove and recreate (the changes are lost)"
        ),
    ),
    bind(
        C::Lab,
        &[K::F(7)],
        "F7",
        A::Commit,
        t!(
            "commit: изменения → новый слой нового образа",
            "commit: the changes → a new image's new layer"
        ),
    ),
    bind(
        C::Lab,
        &[K::F(8)],
        "F8",
        A::ToggleStorage,
        t!(
            "каталоги overlay: lower / upper / merged",
            "overlay dirs: lower / upper / merged"
        ),
    ),
    bind(
        C::Lab,
        &[K::F(9)],
        "F9",
        A::ExploreCommit,
        t!(
            "открыть закоммиченный образ в обозревателе слоёв",
            "open the committed image in the layer explorer"
        ),
    ),
    bind(
        C::Quiz,
        &[K::Enter],
        "Enter",
        A::Select,
        t!("выбрать / ответить", "pick / answer"),
    ),
    bind(
        C::Quiz,
        &[K::Char(' ')],
        "Space",
        A::Run,
        t!("отметить вариант", "toggle an option"),
    ),
    bind(
        C::Quiz,
        &[K::Right, K::Char('l'), K::Char('n')],
        "→/n",
        A::NextStep,
        t!("следующий вопрос", "next question"),
    ),
    bind(
        C::Quiz,
        &[K::Left, K::Char('h'), K::Char('p')],
        "←/p",
        A::PrevStep,
        t!("предыдущий вопрос", "previous question"),
    ),
    bind(
        C::Quiz,
        &[K::Char('r')],
        "r",
        A::ResetLesson,
        t!(
            "пересдать неверные (когда все отвечены)",
            "retry the wrong ones (once all are answered)"
        ),
    ),
];

/// The action for `key` in `context`; screen bindings win over global ones.
pub fn action_for(context: Context, key: &KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        // Ctrl-C is "quit" everywhere; raw mode turns it into a key, not a signal.
        return matches!(key.code, KeyCode::Char('c')).then_some(Action::Quit);
    }
    let matches = |b: &&Binding| b.keys.contains(&key.code);
    BINDINGS
        .iter()
        .filter(|b| b.context == context)
        .find(matches)
        .or_else(|| {
            BINDINGS
                .iter()
                .filter(|b| b.context == Context::Global)
                .find(matches)
        })
        .map(|b| b.action)
}

/// The action for `key` on a screen that is taking typed text (the lab's
/// command line): its own bindings, and the global ones that are not a
/// printable character — `q` and `j` are letters of a command there.
pub fn action_for_typing(context: Context, key: &KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return action_for(context, key);
    }
    // The screen's own bindings first (the lab's Home is the line's, not
    // "to the top"), then the global ones that are not a character.
    let own = BINDINGS
        .iter()
        .filter(|b| b.context == context)
        .find(|b| b.keys.contains(&key.code));
    own.or_else(|| {
        BINDINGS
            .iter()
            .filter(|b| b.context == Context::Global && works_while_typing(b))
            .find(|b| b.keys.iter().any(|k| *k == key.code && !is_character(k)))
    })
    .map(|b| b.action)
}

fn is_character(key: &KeyCode) -> bool {
    matches!(key, KeyCode::Char(_))
}

/// Whether a global binding still has a key that works while typing.
fn works_while_typing(binding: &Binding) -> bool {
    binding.keys.iter().any(|k| !is_character(k))
}

/// Whether a global binding keeps a key of its own on a typing screen: not
/// a character, and not taken by the screen's own bindings (the lab's ↑ is
/// "previous command", not "up").
fn works_while_typing_in(context: Context, binding: &Binding) -> bool {
    binding.keys.iter().any(|k| {
        !is_character(k)
            && !BINDINGS
                .iter()
                .any(|own| own.context == context && own.keys.contains(k))
    })
}

impl Context {
    /// Screens whose printable keys are typed text.
    pub fn takes_text(self) -> bool {
        self == Context::Lab
    }
}

/// The bindings the help overlay lists for a screen: its own, then the
/// global ones that work there.
pub fn bindings_for(context: Context) -> impl Iterator<Item = &'static Binding> {
    BINDINGS
        .iter()
        .filter(move |b| b.context == context)
        .chain(BINDINGS.iter().filter(move |b| {
            b.context == Context::Global
                && context != Context::Global
                && !shadowed_in(context, b)
                && (!context.takes_text() || works_while_typing_in(context, b))
        }))
}

/// Every key of the global `binding` does something else on this screen
/// (the lesson's G/End goes to the end of the output): listing it too
/// would show one key twice with two meanings.
fn shadowed_in(context: Context, binding: &Binding) -> bool {
    !binding.keys.is_empty()
        && binding.keys.iter().all(|k| {
            BINDINGS
                .iter()
                .any(|own| own.context == context && own.keys.contains(k))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn screen_bindings_shadow_global_ones() {
        assert_eq!(
            action_for(Context::Explorer, &key(K::Right)),
            Some(A::Right)
        );
        assert_eq!(
            action_for(Context::Lesson, &key(K::Right)),
            Some(A::NextStep)
        );
        assert_eq!(
            action_for(Context::Lesson, &key(K::Char('?'))),
            Some(A::Help)
        );
    }

    #[test]
    fn ctrl_c_quits_everywhere() {
        let ctrl_c = KeyEvent::new(K::Char('c'), KeyModifiers::CONTROL);
        for context in [
            C::Global,
            C::Lessons,
            C::Lesson,
            C::Explorer,
            C::Lab,
            C::Quiz,
        ] {
            assert_eq!(action_for(context, &ctrl_c), Some(A::Quit));
        }
    }

    /// The help lists each key once: a global row whose keys the screen
    /// binds itself is left out, and no listed global row has a key the
    /// screen took over (its label would name a key that does something else).
    #[test]
    fn the_help_lists_no_key_twice() {
        for context in [C::Lessons, C::Lesson, C::Explorer, C::Lab, C::Quiz] {
            let listed: Vec<&Binding> = bindings_for(context).collect();
            for (i, a) in listed.iter().enumerate() {
                for b in &listed[i + 1..] {
                    assert!(
                        a.label != b.label,
                        "{:?}: {} listed twice",
                        context,
                        a.label
                    );
                    for k in a.keys {
                        assert!(!b.keys.contains(k), "{context:?}: {k:?} listed twice");
                    }
                }
            }
        }
        assert!(
            !bindings_for(C::Lesson).any(|b| b.context == C::Global && b.action == A::Bottom),
            "the lesson's own G/End replaces the global one"
        );
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                if a.context == b.context {
                    for k in a.keys {
                        assert!(!b.keys.contains(k), "{k:?} bound twice in {:?}", a.context);
                    }
                }
            }
        }
    }
}
