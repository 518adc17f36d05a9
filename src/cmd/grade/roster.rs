//! The class roster: CSV with a header naming the columns `student`,
//! `image` and optionally `report` (any order, any case). A line that is
//! wrong is reported as `ROSTER:LINE: what is wrong` and left out; every
//! other line is still graded. Only a roster with no usable header cannot
//! be read at all.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::docker::ImageRef;
use crate::i18n::Lang;
use crate::t;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based line in the roster file.
    pub line: u64,
    pub student: String,
    /// As written (validated).
    pub image: String,
    pub reference: ImageRef,
    /// The report file, when the roster has the column and the cell is not empty.
    pub report: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roster {
    pub entries: Vec<Entry>,
    pub problems: Vec<Problem>,
    pub has_report_column: bool,
}

/// The roster, or why it cannot be read at all (no usable header).
pub fn parse(bytes: &[u8], lang: Lang) -> Result<Roster, String> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let header = loop {
        match records.next() {
            None => {
                return Err(t!(
                    "пустой список: нужна строка заголовка student,image[,report]",
                    "the roster is empty: it needs the header line student,image[,report]"
                )
                .get(lang)
                .to_string());
            }
            Some(Err(e)) => {
                return Err(format!(
                    "{}: {e}",
                    t!(
                        "строка заголовка не читается",
                        "the header line cannot be read"
                    )
                    .get(lang)
                ));
            }
            Some(Ok(record)) if record.iter().all(|f| f.is_empty()) => continue,
            Some(Ok(record)) => break record,
        }
    };
    let line_of = |position: Option<&csv::Position>| {
        // csv's own line numbers skip comment lines; count the newlines instead.
        position.map_or(0, |p| {
            let mut at = usize::try_from(p.byte())
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            // A record's position is where parsing resumed: before the
            // comment and blank lines that precede it.
            loop {
                let rest = &bytes[at..];
                if rest.first() == Some(&b'#') {
                    at += rest
                        .iter()
                        .position(|b| *b == b'\n')
                        .map_or(rest.len(), |i| i + 1);
                } else if rest.first() == Some(&b'\n') {
                    at += 1;
                } else if rest.starts_with(b"\r\n") {
                    at += 2;
                } else {
                    break;
                }
            }
            bytes[..at].iter().filter(|b| **b == b'\n').count() as u64 + 1
        })
    };
    let header_line = line_of(header.position());
    let mut columns: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, field) in header.iter().enumerate() {
        let name = String::from_utf8_lossy(field).to_ascii_lowercase();
        let known = match name.as_str() {
            "student" => "student",
            "image" => "image",
            "report" => "report",
            _ => {
                return Err(format!(
                    "{header_line}: {} {:?}; {}",
                    t!("неизвестный столбец", "unknown column").get(lang),
                    crate::cmd::grade::sanitize(&name),
                    t!(
                        "заголовок должен быть student,image[,report]",
                        "the header must be student,image[,report]"
                    )
                    .get(lang)
                ));
            }
        };
        if columns.insert(known, index).is_some() {
            return Err(format!(
                "{header_line}: {} {known}",
                t!("дважды столбец", "the column appears twice:").get(lang)
            ));
        }
    }
    let (Some(&student_at), Some(&image_at)) = (columns.get("student"), columns.get("image"))
    else {
        return Err(format!(
            "{header_line}: {}",
            t!(
                "в заголовке нет столбцов student и image (нужно student,image[,report])",
                "the header lacks the columns student and image (it must be student,image[,report])"
            )
            .get(lang)
        ));
    };
    let report_at = columns.get("report").copied();
    let width = header.len();
    let mut roster = Roster {
        has_report_column: report_at.is_some(),
        ..Roster::default()
    };
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = line_of(e.position());
                roster.problems.push(Problem {
                    line,
                    message: format!(
                        "{}: {e}",
                        t!("строка не разбирается как CSV", "not valid CSV").get(lang)
                    ),
                });
                continue;
            }
        };
        let line = line_of(record.position());
        if record.iter().all(|f| f.is_empty()) {
            continue;
        }
        let mut problem = |message: String| {
            roster.problems.push(Problem { line, message });
        };
        if record.len() != width {
            problem(format!(
                "{} {width}, {} {}",
                t!("ожидалось полей:", "expected fields:").get(lang),
                t!("а их", "found").get(lang),
                record.len()
            ));
            continue;
        }
        let field = |index: usize| std::str::from_utf8(&record[index]).map(str::to_string);
        let (Ok(student), Ok(image)) = (field(student_at), field(image_at)) else {
            problem(
                t!("текст не в UTF-8", "the text is not UTF-8")
                    .get(lang)
                    .to_string(),
            );
            continue;
        };
        let report = match report_at.map(field) {
            Some(Err(_)) => {
                problem(
                    t!("текст не в UTF-8", "the text is not UTF-8")
                        .get(lang)
                        .to_string(),
                );
                continue;
            }
            Some(Ok(r)) if !r.is_empty() => Some(PathBuf::from(r)),
            _ => None,
        };
        if student.is_empty() {
            problem(
                t!("пустое имя студента", "the student name is empty")
                    .get(lang)
                    .to_string(),
            );
            continue;
        }
        if image.is_empty() {
            problem(format!(
                "{} {}",
                crate::cmd::grade::sanitize(&student),
                t!("без ссылки на образ", "has no image link").get(lang)
            ));
            continue;
        }
        let reference = match ImageRef::parse(&image) {
            Ok(r) => r,
            Err(e) => {
                problem(crate::cmd::grade::sanitize(&e.to_string()));
                continue;
            }
        };
        if let Some(first) = seen.get(&student) {
            problem(format!(
                "{} {} {first}",
                crate::cmd::grade::sanitize(&student),
                t!("уже есть в строке", "is already on line").get(lang)
            ));
            continue;
        }
        seen.insert(student.clone(), line);
        roster.entries.push(Entry {
            line,
            student,
            image,
            reference,
            report,
        });
    }
    Ok(roster)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_roster_with_reports_and_quotes() {
        let text = "\u{feff}Student,Image,Report\n\
                    # a comment line\n\
                    \"Иванова, Анна\",127.0.0.1:5000/class/anna:hw,reports/anna.md\n\
                    \n\
                    bob , ghcr.io/bob/nginx-alpine:1.0 ,\n";
        let roster = parse(text.as_bytes(), Lang::En).expect("readable");
        assert!(roster.problems.is_empty(), "{:?}", roster.problems);
        assert!(roster.has_report_column);
        assert_eq!(roster.entries.len(), 2);
        assert_eq!(roster.entries[0].student, "Иванова, Анна");
        assert_eq!(roster.entries[0].line, 3);
        assert_eq!(
            roster.entries[0].report.as_deref(),
            Some(std::path::Path::new("reports/anna.md"))
        );
        assert_eq!(roster.entries[1].image, "ghcr.io/bob/nginx-alpine:1.0");
        assert_eq!(roster.entries[1].report, None);
        assert_eq!(roster.entries[1].line, 5);
    }

    #[test]
    fn malformed_lines_are_reported_and_the_rest_kept() {
        let text = "image,student\n\
                    r.example/a:1,ann\n\
                    r.example/b:1\n\
                    Not A Ref,carl\n\
                    r.example/d:1,\n\
                    ,dora\n\
                    r.example/e:1,ann\n\
                    r.example/f:1,fred,extra\n\
                    \"r.example/g:1,gus\n";
        let roster = parse(text.as_bytes(), Lang::En).expect("readable");
        let students: Vec<&str> = roster.entries.iter().map(|e| e.student.as_str()).collect();
        assert_eq!(students, ["ann"]);
        let problems: Vec<(u64, &str)> = roster
            .problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        let expect = [
            (3, "expected fields: 2, found 1"),
            (4, "whitespace"),
            (5, "the student name is empty"),
            (6, "dora has no image link"),
            (7, "ann is already on line 2"),
            (8, "expected fields: 2, found 3"),
        ];
        for (line, needle) in expect {
            assert!(
                problems
                    .iter()
                    .any(|(l, m)| *l == line && m.contains(needle)),
                "line {line} `{needle}` in {problems:?}"
            );
        }
        // The unclosed quote swallows the rest of the file: one problem, no panic.
        assert!(problems.iter().any(|(l, _)| *l == 9), "{problems:?}");
        assert!(!roster.has_report_column);
    }

    #[test]
    fn unusable_headers_make_the_roster_unreadable() {
        for (text, needle) in [
            ("", "empty"),
            ("\n\n", "empty"),
            ("name,link\nann,x\n", "unknown column"),
            ("student\nann\n", "lacks the columns"),
            ("student,image,student\n", "twice"),
        ] {
            let err = parse(text.as_bytes(), Lang::En).expect_err(text);
            assert!(err.contains(needle), "{text:?}: {err}");
        }
        let ru = parse(b"", Lang::Ru).expect_err("empty");
        assert!(ru.contains("пустой"), "{ru}");
    }

    #[test]
    fn control_characters_in_names_are_not_echoed() {
        let text = "student,image\n\"\u{1b}[31mevil\",\n";
        let roster = parse(text.as_bytes(), Lang::En).expect("readable");
        assert_eq!(roster.problems.len(), 1);
        assert!(!roster.problems[0].message.contains('\u{1b}'));
    }
}
