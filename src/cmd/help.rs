//! `--help` in the learner's language. clap reads the help text from the
//! derive's doc comments (English); in Russian every about, argument help and
//! heading is replaced from the table below before parsing. The language is
//! known before clap parses: `--lang ru` / `--lang=ru` on the command line,
//! else the locale (LC_ALL, LC_MESSAGES, LANG), as everywhere else.
//!
//! clap's own usage errors ("unexpected argument…") stay in English: clap
//! has no translations and a hand-made copy would drift from its parser.

use std::ffi::OsString;

use clap::{ArgAction, CommandFactory, FromArgMatches};

use super::args::Cli;
use crate::i18n::Lang;

/// Russian about text of each subcommand (by name); "" is the program.
const ABOUT_RU: &[(&str, &str)] = &[
    (
        "",
        "Изучайте образы и контейнеры Docker, выполняя домашнее задание в собственном Docker Engine",
    ),
    (
        "lessons",
        "Список уроков: id, название, число шагов и ваш прогресс.",
    ),
    (
        "validate",
        "Проверить пакет уроков и вывести каждую ошибку как ФАЙЛ:СТРОКА:СТОЛБЕЦ: сообщение; с --prove — ещё и прогнать его на Docker.",
    ),
    (
        "doctor",
        "Проверить подключение к Docker и всё, что нужно урокам.",
    ),
    (
        "clean",
        "Удалить контейнеры и образы, которые создал layerlab (по его записям в папке данных), и ничего больше.",
    ),
    (
        "load",
        "Загрузить образы из архива `docker save` (как `docker load`), например базовый образ в классе без сети.",
    ),
    (
        "layers",
        "Исследовать слои образа, его файлы и потерянное место.",
    ),
    (
        "lab",
        "Живая лаборатория: слои образа только для чтения рядом со слоем контейнера для записи.",
    ),
    (
        "run",
        "Выполнить действия и проверки урока без интерфейса, по строке на шаг.",
    ),
    ("quiz", "Тест для самопроверки."),
    ("check", "Проверить домашнее задание на этом компьютере."),
    (
        "report",
        "Написать README домашнего задания (Markdown) с цифрами, измеренными сейчас.",
    ),
    (
        "verify",
        "Проверить отчёт по его блоку доказательств и по реестру.",
    ),
    (
        "watch",
        "Следить за уроком, пока вы набираете команды docker в другом терминале: строка на каждый пройденный шаг и на каждую подсказку; код 0, когда пройдены все.",
    ),
    (
        "open",
        "Открыть уроки на УРОКЕ или УРОКЕ/ШАГЕ (id как в `layerlab lessons`), например `dockerfile/instructions`.",
    ),
    (
        "grade",
        "Проверить всю группу по реестру: без Docker, ничего не скачивается и не запускается (docs/teachers.md).",
    ),
    (
        "help",
        "Показать эту справку или справку по указанным подкомандам",
    ),
];

/// Russian help of each argument, by (subcommand, argument id); global
/// arguments are listed once under "".
const ARGS_RU: &[(&str, &str, &str)] = &[
    (
        "",
        "lessons",
        "Взять пакет уроков из ПАПКИ (с pack.yaml) вместо встроенного.",
    ),
    (
        "",
        "lang",
        "Язык всего, что показывается: ru или en (по умолчанию — из LC_ALL, LC_MESSAGES, LANG; иначе en).",
    ),
    (
        "",
        "base_image",
        "Базовый образ, на котором строятся уроки (FROM; по умолчанию — закреплённый в пакете Alpine).",
    ),
    (
        "",
        "log_level",
        "Подробность журнала в папке данных: error, warn, info (по умолчанию), debug, trace.",
    ),
    (
        "",
        "plain",
        "Простой текст для экранных чтецов и простых терминалов: нумерованные меню в стандартном выводе, ответы вводятся строкой (так же при TERM=dumb).",
    ),
    ("", "help", "Показать справку"),
    ("", "version", "Показать версию"),
    (
        "validate",
        "dir",
        "Папка пакета (по умолчанию — встроенный пакет).",
    ),
    (
        "validate",
        "prove",
        "Самопроверка на Docker: каждый урок один раз без действий (ни один наблюдаемый шаг не должен засчитаться) и один раз по эталонному пути (`run`), который должен засчитать каждый обязательный шаг; во временной папке данных, со своими именами, всё созданное удаляется.",
    ),
    (
        "validate",
        "registry",
        "С --prove: реестр для публикации (ХОСТ:ПОРТ или ХОСТ/ПОЛЬЗОВАТЕЛЬ; к нему добавляется свой путь самопроверки). Без него уроки с публикацией пропускаются.",
    ),
    (
        "validate",
        "yes",
        "С --prove: выполнять и шаги, которые спрашивают подтверждение (привилегированный контейнер, публикация в публичный реестр).",
    ),
    ("load", "archive", "Архив."),
    (
        "layers",
        "image",
        "Образ (имя, имя:тег или id), который читается из Docker.",
    ),
    (
        "layers",
        "archive",
        "Прочитать архив `docker save` вместо образа, без Docker.",
    ),
    (
        "layers",
        "json",
        "Вывести анализ в JSON вместо обозревателя.",
    ),
    (
        "layers",
        "ci",
        "Проверить правила ниже и завершиться с кодом 1, если какое-то нарушено (для конвейеров CI).",
    ),
    (
        "layers",
        "max_wasted_bytes",
        "Правило --ci: потеряно не больше N байт.",
    ),
    (
        "layers",
        "min_efficiency",
        "Правило --ci: эффективность не меньше X (от 0 до 1).",
    ),
    ("lab", "image", "Образ (по умолчанию — образ ваших уроков)."),
    ("run", "lesson", "id урока или `all`."),
    (
        "run",
        "registry",
        "Куда отправлять образ, например docker.io/ПОЛЬЗОВАТЕЛЬ или 127.0.0.1:5000/ПОЛЬЗОВАТЕЛЬ.",
    ),
    (
        "run",
        "yes",
        "Выполнять шаги, которые просят подтверждения, не спрашивая.",
    ),
    (
        "run",
        "image",
        "Имя образа ваших уроков (по умолчанию — `image` в ПАПКА_ДАННЫХ/config.json, иначе layerlab/nginx-alpine:latest).",
    ),
    (
        "quiz",
        "list",
        "Вывести вопросы, по одному на строку с их видом, и завершиться.",
    ),
    (
        "check",
        "image",
        "Образ домашнего задания (по умолчанию — образ ваших уроков).",
    ),
    (
        "check",
        "pushed",
        "Ещё проверить, что эта отправленная ссылка скачивается и совпадает с локальным образом.",
    ),
    ("check", "json", "Вывести результат в JSON."),
    (
        "check",
        "accept_base",
        "Принять этот базовый образ вместо Alpine (офлайн-замену).",
    ),
    (
        "report",
        "out",
        "Куда записать (по умолчанию — README.md в рабочей папке; `-` — в стандартный вывод).",
    ),
    (
        "report",
        "accept_base",
        "Принять этот базовый образ вместо Alpine (офлайн-замену).",
    ),
    (
        "verify",
        "report",
        "Отчёт (Markdown, который написал `layerlab report`).",
    ),
    (
        "report",
        "image",
        "Образ, о котором отчёт (по умолчанию — образ ваших уроков).",
    ),
    (
        "report",
        "pushed",
        "Отправленная ссылка (по умолчанию — записанная уроком про push).",
    ),
    ("open", "target", "УРОК или УРОК/ШАГ."),
    (
        "watch",
        "lesson",
        "Урок, за которым следить (его id, как в `layerlab lessons`).",
    ),
    (
        "watch",
        "timeout",
        "Сдаться через столько секунд: код 1 и список того, что ещё не сделано.",
    ),
    (
        "watch",
        "registry",
        "Куда вы отправляете образ, например docker.io/USER или 127.0.0.1:5000/USER.",
    ),
    (
        "clean",
        "all",
        "Удалить и базовые образы, которые layerlab скачал или загрузил.",
    ),
    (
        "clean",
        "dry_run",
        "Только показать, что было бы удалено и что остаётся.",
    ),
    (
        "layers",
        "pick",
        "Если в архиве --archive несколько образов: тот, что помечен REF (по умолчанию — первый в manifest.json).",
    ),
    (
        "grade",
        "roster",
        "Список группы: CSV с заголовком student,image[,report].",
    ),
    ("grade", "csv", "Вывести CSV вместо таблицы Markdown."),
    (
        "grade",
        "json",
        "Вывести JSON: список строк {student, image, passed, criteria: [{id, passed, reason}], digest}.",
    ),
    ("grade", "jobs", "Сколько студентов проверять одновременно."),
    (
        "grade",
        "platform",
        "Платформа, для которой проверяется многоплатформенный образ (manifest list).",
    ),
    (
        "grade",
        "accept_base",
        "Принять офлайн-замену layerlab (тестовый двойник) как базовый Alpine.",
    ),
    (
        "grade",
        "stats",
        "Вывести время и число запросов в stderr (и для каждой строки в --json).",
    ),
    (
        "help",
        "subcommand",
        "Подкоманда, справку по которой показать",
    ),
];

/// The help layout with Russian headings ("Usage:" and the section titles
/// come from clap otherwise).
const TEMPLATE_RU: &str =
    "{before-help}{about-with-newline}\nИспользование: {usage}\n\n{all-args}{after-help}";

/// The language asked for on the command line (`--lang X`, `--lang=X`),
/// else the locale's. An unknown value is left for clap to reject.
pub fn lang_from_args(args: &[OsString]) -> Lang {
    let mut it = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(arg) = it.next() {
        if arg == "--" {
            break;
        }
        let value = if arg == "--lang" {
            it.next().map(|v| v.into_owned())
        } else {
            arg.strip_prefix("--lang=").map(str::to_string)
        };
        match value.as_deref() {
            Some("ru") => return Lang::Ru,
            Some("en") => return Lang::En,
            _ => {}
        }
    }
    Lang::from_env()
}

/// The whole command tree with its help in `lang`.
pub fn command(lang: Lang) -> clap::Command {
    let cmd = Cli::command();
    match lang {
        Lang::En => cmd,
        Lang::Ru => {
            let mut cmd = cmd;
            // Built first, so the generated --help, --version and `help`
            // subcommand exist and can be translated like the rest.
            cmd.build();
            localize(cmd, "")
        }
    }
}

/// Placeholders in usage lines and option values, in Russian.
const VALUE_NAMES_RU: &[(&str, &str)] = &[
    ("IMAGE", "ОБРАЗ"),
    ("REF", "ССЫЛКА"),
    ("FILE", "ФАЙЛ"),
    ("DIR", "ПАПКА"),
    ("LEVEL", "УРОВЕНЬ"),
    ("LANG", "ЯЗЫК"),
    ("LESSON", "УРОК"),
    ("ARCHIVE", "АРХИВ"),
    ("SUBCOMMAND", "ПОДКОМАНДА"),
    ("TARGET", "УРОК[/ШАГ]"),
    ("ROSTER", "СПИСОК"),
];

fn value_name_ru(name: &str) -> Option<&'static str> {
    VALUE_NAMES_RU
        .iter()
        .find(|(en, _)| en.eq_ignore_ascii_case(name))
        .map(|(_, ru)| *ru)
}

fn localize(mut cmd: clap::Command, name: &str) -> clap::Command {
    if let Some((_, about)) = ABOUT_RU.iter().find(|(n, _)| *n == name) {
        cmd = cmd.about(*about).long_about(None);
    }
    cmd = cmd
        .help_template(TEMPLATE_RU)
        .subcommand_help_heading("Команды")
        .subcommand_value_name("КОМАНДА");
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    for id in ids {
        let help = ARGS_RU
            .iter()
            .find(|(sub, arg, _)| *sub == name && *arg == id)
            .or_else(|| {
                ARGS_RU
                    .iter()
                    .find(|(sub, arg, _)| sub.is_empty() && *arg == id)
            })
            .map(|(_, _, help)| *help);
        cmd = cmd.mut_arg(id.as_str(), |arg| {
            let heading = if arg.is_positional() {
                "Аргументы"
            } else {
                "Параметры"
            };
            let mut arg = arg
                .help_heading(heading)
                .hide_possible_values(true)
                .hide_default_value(true);
            // clap keeps `&'static str` names only: unknown ones stay as written.
            let names: Option<Vec<&'static str>> = match arg.get_value_names() {
                Some(names) => names.iter().map(|n| value_name_ru(n)).collect(),
                None if arg.is_positional() => {
                    value_name_ru(arg.get_id().as_str()).map(|n| vec![n])
                }
                None => None,
            };
            if let Some(names) = names {
                arg = arg.value_names(names);
            }
            let arg = match help {
                Some(help) => arg.help(help).long_help(None),
                None => arg,
            };
            // The generated flags' action stays; only their words change.
            if matches!(arg.get_action(), ArgAction::Help | ArgAction::HelpShort) {
                arg.help("Показать справку")
            } else {
                arg
            }
        });
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for sub in names {
        cmd = cmd.mut_subcommand(sub.as_str(), |s| localize(s, &sub));
    }
    // clap writes "[OPTIONS]" into every usage line; say it in Russian.
    let usage = cmd.render_usage().to_string();
    let usage = usage
        .strip_prefix("Usage: ")
        .unwrap_or(&usage)
        .replace("[OPTIONS]", "[ПАРАМЕТРЫ]")
        .replace("[COMMAND]", "[КОМАНДА]");
    cmd.override_usage(usage)
}

/// Parses the process's arguments with help in the chosen language.
pub fn parse() -> Cli {
    let args: Vec<OsString> = std::env::args_os().collect();
    let lang = lang_from_args(&args);
    let matches = command(lang).get_matches_from(args);
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn help(lang: Lang, args: &[&str]) -> String {
        let mut argv = vec!["layerlab"];
        argv.extend_from_slice(args);
        argv.push("--help");
        match command(lang).try_get_matches_from(argv) {
            Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => e.to_string(),
            other => panic!("no help: {other:?}"),
        }
    }

    #[test]
    fn the_language_comes_from_the_command_line_first() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(lang_from_args(&args(&["l", "--lang", "ru", "x"])), Lang::Ru);
        assert_eq!(lang_from_args(&args(&["l", "x", "--lang=en"])), Lang::En);
        assert_eq!(lang_from_args(&args(&["l", "--lang=ru"])), Lang::Ru);
    }

    #[test]
    fn russian_help_has_every_text_translated() {
        let mut missing = Vec::new();
        let mut cmd = command(Lang::Ru);
        cmd.build();
        fn walk(cmd: &clap::Command, missing: &mut Vec<String>) {
            let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
            if !about
                .chars()
                .any(|c| ('а'..='я').contains(&c.to_ascii_lowercase()))
            {
                missing.push(format!("{}: about {about:?}", cmd.get_name()));
            }
            for arg in cmd.get_arguments() {
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                if !help.chars().any(|c| ('а'..='я').contains(&c)) {
                    missing.push(format!("{} {}: {help:?}", cmd.get_name(), arg.get_id()));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, missing);
            }
        }
        walk(&cmd, &mut missing);
        assert!(missing.is_empty(), "not in Russian: {missing:#?}");
    }

    #[test]
    fn help_reads_in_russian_and_english() {
        let ru = help(Lang::Ru, &[]);
        assert!(ru.contains("Использование: layerlab"), "{ru}");
        assert!(ru.contains("Команды:") && ru.contains("Параметры:"), "{ru}");
        assert!(!ru.contains("Usage") && !ru.contains("Options"), "{ru}");
        let layers = help(Lang::Ru, &["layers"]);
        assert!(layers.contains("Аргументы:"), "{layers}");
        assert!(layers.contains("Вывести анализ в JSON"), "{layers}");
        let en = help(Lang::En, &["layers"]);
        assert!(
            en.contains("Usage:") && en.contains("Print the analysis as JSON"),
            "{en}"
        );
        // the parse is the same whatever the language
        let m = command(Lang::Ru)
            .try_get_matches_from(["layerlab", "--lang", "ru", "layers", "img", "--json"])
            .expect("parses");
        let cli = Cli::from_arg_matches(&m).expect("a Cli");
        assert!(matches!(cli.command, Some(super::super::args::Command::Layers(ref a)) if a.json));
    }
}
