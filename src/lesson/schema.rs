//! The shape of `model.rs` as data, so the validator can walk a YAML tree and
//! report every unknown field, wrong type and missing translation with its
//! position (serde stops at the first error). The tests at the bottom
//! deserialize samples built from these tables with serde, so the tables
//! cannot silently drift from the Rust types.

use super::yaml::{Node, NodeValue, Pos, YamlPath};

#[derive(Debug)]
pub enum Shape {
    Str,
    Bool,
    Int {
        max: u64,
    },
    /// `{ru: ..., en: ...}`, both required and non-empty.
    Text,
    List(&'static Shape),
    /// A mapping from any string key to values of one shape (`build_args`).
    StrMap(&'static Shape),
    Struct(&'static [Field]),
    /// An enum written as a plain name (unit variant) or a one-key map
    /// `{name: {fields}}` (struct variant).
    Tagged {
        what: &'static str,
        variants: &'static [Variant],
    },
    /// A plain string from a fixed list (`kind`).
    Names {
        what: &'static str,
        names: &'static [&'static str],
    },
    /// `7` or `"5-9"`.
    LineRange,
}

#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub shape: Shape,
    pub required: bool,
    /// `~` is accepted (an `Option` in the model); a `#[serde(default)]`
    /// field that is not an `Option` refuses it.
    pub nullable: bool,
}

#[derive(Debug)]
pub struct Variant {
    pub name: &'static str,
    /// `None` for a unit variant (`action: doctor`).
    pub fields: Option<&'static [Field]>,
}

const fn req(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        shape,
        required: true,
        nullable: false,
    }
}

/// An `Option` field, or a list, map or struct, which serde_yaml reads `~` into
/// as empty (`from_value`, which the loader uses).
const fn opt(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        shape,
        required: false,
        nullable: true,
    }
}

/// A `#[serde(default)]` field that is not an `Option`.
const fn dflt(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        shape,
        required: false,
        nullable: false,
    }
}

const fn unit(name: &'static str) -> Variant {
    Variant { name, fields: None }
}

const fn with(name: &'static str, fields: &'static [Field]) -> Variant {
    Variant {
        name,
        fields: Some(fields),
    }
}

const U16: Shape = Shape::Int {
    max: u16::MAX as u64,
};
const U32: Shape = Shape::Int {
    max: u32::MAX as u64,
};
const USIZE: Shape = Shape::Int {
    max: u32::MAX as u64,
};

pub const STEP_KINDS: &[&str] = &["prose", "file", "action", "check", "question", "answer"];

pub static PACK_MANIFEST: Shape = Shape::Struct(&[
    req("format_version", U32),
    req("title", Shape::Text),
    req("lessons", Shape::List(&Shape::Str)),
    dflt("assets", Shape::Str),
    opt("defaults", Shape::Struct(PACK_DEFAULTS)),
]);

const PACK_DEFAULTS: &[Field] = &[
    opt("base_image", Shape::Str),
    opt("image", Shape::Str),
    opt("registry", Shape::Str),
    opt("max_layers", U32),
];

pub static LESSON: Shape = Shape::Struct(&[
    req("format_version", U32),
    req("id", Shape::Str),
    req("title", Shape::Text),
    opt("summary", Shape::Text),
    req("steps", Shape::List(&STEP)),
]);

pub static STEP: Shape = Shape::Struct(&[
    req("id", Shape::Str),
    req(
        "kind",
        Shape::Names {
            what: "step kind",
            names: STEP_KINDS,
        },
    ),
    opt("title", Shape::Text),
    opt("text", Shape::Text),
    opt("docker", Shape::Str),
    opt("file", Shape::Struct(FILE_VIEW)),
    opt("action", ACTION),
    opt("check", CHECK),
    opt("question", Shape::Struct(QUESTION)),
    opt("answer_key", Shape::Str),
    opt("needs", Shape::List(&Shape::Str)),
    dflt("confirm", Shape::Bool),
    dflt("optional", Shape::Bool),
    opt("expect", EXPECT),
    opt("hints", Shape::List(&Shape::Struct(HINT))),
]);

/// `expect:` of a watched step (`crate::lesson::watch_model::Expect`).
pub const EXPECT: Shape = Shape::Tagged {
    what: "expected state",
    variants: &[
        with(
            "learner_image",
            &[
                req("page", Shape::Str),
                req("at", Shape::Str),
                dflt("runs", Shape::Str),
            ],
        ),
        with(
            "container_running",
            &[
                req("name", Shape::Str),
                opt("image", Shape::Str),
                opt("port", U16),
            ],
        ),
        with("container_stopped", &[CONTAINER]),
        with("container_absent", &[CONTAINER]),
        with("exec_seen", &[CONTAINER]),
        with("image_present", &[IMAGE]),
        with("image_gone", &[IMAGE]),
        with(
            "tagged_for",
            &[req("registry", Shape::Str), opt("save_as", Shape::Str)],
        ),
        with("pushed_to", &[req("registry", Shape::Str)]),
        with("file_changed", &[req("path", Shape::Str)]),
        unit("layerlab"),
    ],
};

const HINT: &[Field] = &[
    req(
        "when",
        Shape::Names {
            what: "hint state",
            names: crate::lesson::watch_model::HINT_NAMES,
        },
    ),
    req("text", Shape::Text),
];

const FILE_VIEW: &[Field] = &[
    req("path", Shape::Str),
    opt("highlight", Shape::List(&Shape::LineRange)),
    opt("beside", Shape::Str),
];

const CONTAINER: Field = req("container", Shape::Str);
const IMAGE: Field = req("image", Shape::Str);

pub const ACTION: Shape = Shape::Tagged {
    what: "action",
    variants: &[
        unit("doctor"),
        with(
            "copy_assets",
            &[
                req("from", Shape::Str),
                req("to", Shape::Str),
                dflt("overwrite", Shape::Bool),
            ],
        ),
        with("edit", &[req("path", Shape::Str)]),
        with(
            "build",
            &[
                req("context", Shape::Str),
                req("tag", Shape::Str),
                dflt("dockerfile", Shape::Str),
                opt("build_args", Shape::StrMap(&Shape::Str)),
                dflt("no_cache", Shape::Bool),
                opt("solution", Shape::Str),
            ],
        ),
        with(
            "run",
            &[
                req("name", Shape::Str),
                IMAGE,
                opt("ports", Shape::List(&U16)),
                opt("volumes", Shape::List(&Shape::Str)),
                opt("cmd", Shape::List(&Shape::Str)),
                dflt("privileged", Shape::Bool),
                opt("host_port", U16),
            ],
        ),
        with(
            "exec",
            &[
                CONTAINER,
                req("command", Shape::Str),
                opt("save_as", Shape::Str),
            ],
        ),
        with(
            "http",
            &[
                CONTAINER,
                req("port", U16),
                dflt("path", Shape::Str),
                opt("save_as", Shape::Str),
            ],
        ),
        with("changes", &[CONTAINER]),
        with("stop", &[CONTAINER]),
        with("start", &[CONTAINER]),
        with("remove_container", &[CONTAINER]),
        with("commit", &[CONTAINER, req("tag", Shape::Str)]),
        with(
            "tag",
            &[
                req("source", Shape::Str),
                req("target", Shape::Str),
                opt("save_as", Shape::Str),
            ],
        ),
        with("push", &[IMAGE]),
        with("pull", &[IMAGE]),
        with("remove_image", &[IMAGE]),
        with("save_image_id", &[IMAGE, req("save_as", Shape::Str)]),
        with("kernel", &[CONTAINER]),
        with("layers", &[IMAGE, opt("compare", Shape::Str)]),
        with("lab", &[IMAGE]),
        with("load", &[req("path", Shape::Str)]),
        with("show_file", &[req("path", Shape::Str)]),
    ],
};

const PAGE: &[Field] = &[
    CONTAINER,
    req("port", U16),
    dflt("path", Shape::Str),
    req("text", Shape::Str),
];

pub const CHECK: Shape = Shape::Tagged {
    what: "check",
    variants: &[
        unit("daemon_reachable"),
        with("image_exists", &[IMAGE]),
        with("image_absent", &[IMAGE]),
        with("container_running", &[CONTAINER]),
        with("container_stopped", &[CONTAINER]),
        with("container_absent", &[CONTAINER]),
        with("page_contains", PAGE),
        with("page_lacks", PAGE),
        with("layer_count_at_most", &[IMAGE, req("max", U32)]),
        with(
            "layer_count_diff",
            &[IMAGE, req("base", Shape::Str), req("more", U32)],
        ),
        with("image_id_unchanged", &[IMAGE, req("saved", Shape::Str)]),
        with(
            "changes_include",
            &[
                CONTAINER,
                req("path", Shape::Str),
                req("change", Shape::Str),
            ],
        ),
        with("changes_exclude", &[CONTAINER, req("path", Shape::Str)]),
        with(
            "exec_output_contains",
            &[
                CONTAINER,
                req("command", Shape::Str),
                req("text", Shape::Str),
            ],
        ),
        with(
            "file_contains",
            &[req("path", Shape::Str), req("text", Shape::Str)],
        ),
        with("same_kernel", &[CONTAINER]),
        with("pushed_matches", &[IMAGE]),
        with("smaller_than", &[IMAGE, req("other", Shape::Str)]),
    ],
};

const QUESTION: &[Field] = &[
    req("prompt", Shape::Text),
    req("answer", QUESTION_KIND),
    req("explanation", Shape::Text),
    req("teaches", Shape::Str),
    opt("topics", Shape::List(&Shape::Str)),
];

const OPTIONS: Field = req("options", Shape::List(&Shape::Text));

pub const QUESTION_KIND: Shape = Shape::Tagged {
    what: "question kind",
    variants: &[
        with("single", &[OPTIONS, req("correct", USIZE)]),
        with("multiple", &[OPTIONS, req("correct", Shape::List(&USIZE))]),
        with(
            "free_text",
            &[req("accept", Shape::List(&Shape::List(&Shape::Str)))],
        ),
        with("order", &[req("items", Shape::List(&Shape::Text))]),
    ],
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub pos: Pos,
    pub message: String,
}

/// Walks `node` against `shape`, adding one finding per problem. `anchor` is
/// where to point when something inside `node` is missing (the key it hangs
/// from, or the list item).
pub fn walk(node: &Node, shape: &Shape, path: &YamlPath, anchor: Pos, out: &mut Vec<Finding>) {
    let mut push = |pos: Pos, message: String| out.push(Finding { pos, message });
    if let Some(tag) = &node.tag {
        push(
            node.pos,
            format!(
                "YAML tag `{tag}` in {path}: lesson files write variants as one-key maps, \
                 e.g. `action: {{build: {{context: web, tag: \"{{image}}\"}}}}`"
            ),
        );
        return;
    }
    match shape {
        Shape::Str => {
            if let Some(message) = string_problem(node, path) {
                push(node.pos, message);
            }
        }
        Shape::Bool => {
            if scalar_kind(node) != Some(ScalarKind::Bool) {
                push(
                    node.pos,
                    format!("{path} must be true or false, found {}", describe(node)),
                );
            }
        }
        Shape::Int { max } => {
            if read_int(node).is_none_or(|n| n > *max) {
                let range = if *max < u64::from(u32::MAX) {
                    format!(" from 0 to {max}")
                } else {
                    String::new()
                };
                push(
                    node.pos,
                    format!(
                        "{path} must be a whole number{range}, found {}",
                        describe(node)
                    ),
                );
            }
        }
        Shape::Text => walk_text(node, path, anchor, out),
        Shape::List(item_shape) => match &node.value {
            NodeValue::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, item_shape, &path.index(i), item.pos, out);
                }
            }
            _ => push(
                node.pos,
                format!("{path} must be a list, found {}", describe(node)),
            ),
        },
        Shape::StrMap(value_shape) => match &node.value {
            NodeValue::Map(entries) => {
                check_duplicate_keys(node, path, out);
                for entry in entries {
                    let key = entry.key.as_scalar().unwrap_or("?");
                    walk(
                        &entry.value,
                        value_shape,
                        &path.key(key),
                        entry.key.pos,
                        out,
                    );
                }
            }
            _ => out.push(Finding {
                pos: node.pos,
                message: format!("{path} must be a mapping, found {}", describe(node)),
            }),
        },
        Shape::Struct(fields) => walk_struct(node, fields, path, anchor, out),
        Shape::Tagged { what, variants } => walk_tagged(node, what, variants, path, anchor, out),
        Shape::Names { what, names } => match node.as_scalar() {
            Some(name) if !node.is_null() && names.contains(&name) => {}
            Some(name) if !node.is_null() => push(
                node.pos,
                format!(
                    "unknown {what} `{name}`, expected one of {}{}",
                    names.join(", "),
                    did_you_mean(name, names.iter().copied())
                ),
            ),
            _ => push(
                node.pos,
                format!(
                    "{path} must be one of {}, found {}",
                    names.join(", "),
                    describe(node)
                ),
            ),
        },
        Shape::LineRange => {
            let problem = match read_int(node) {
                Some(0) => Some("line numbers start at 1".to_string()),
                Some(_) => None,
                None => match node.as_scalar().filter(|_| !node.is_null()) {
                    Some(span) => line_span_problem(span),
                    None => Some(format!(
                        "{path} must be a line number like 7 or a range like \"5-9\", found {}",
                        describe(node)
                    )),
                },
            };
            if let Some(problem) = problem {
                push(node.pos, problem);
            }
        }
    }
}

/// What is wrong with a `FIRST-LAST` line range, if anything.
fn line_span_problem(span: &str) -> Option<String> {
    let parsed = span
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?)));
    match parsed {
        Some((first, last)) if first >= 1 && first <= last => None,
        Some((first, last)) if first > last => Some(format!(
            "line range `{span}` runs backwards: write `{last}-{first}`"
        )),
        _ => Some(format!(
            "line range `{span}` must be `FIRST-LAST` with line numbers from 1, e.g. \"5-9\""
        )),
    }
}

fn walk_text(node: &Node, path: &YamlPath, anchor: Pos, out: &mut Vec<Finding>) {
    if !matches!(node.value, NodeValue::Map(_)) {
        out.push(Finding {
            pos: node.pos,
            message: format!(
                "{path} must be a mapping with the text in both languages (ru: ..., en: ...), found {}",
                describe(node)
            ),
        });
        return;
    }
    check_duplicate_keys(node, path, out);
    for entry in node.entries() {
        let key = entry.key.as_scalar().unwrap_or("?");
        if key != "ru" && key != "en" {
            out.push(Finding {
                pos: entry.key.pos,
                message: format!(
                    "unknown language `{key}` in {path}, expected ru and en{}",
                    did_you_mean(key, ["ru", "en"])
                ),
            });
        }
    }
    for (code, language) in [("ru", "Russian"), ("en", "English")] {
        match node.entry(code) {
            None => out.push(Finding {
                pos: anchor,
                message: format!("missing {language} text ({code}) in {path}"),
            }),
            Some(entry) if entry.value.is_null() => out.push(Finding {
                pos: entry.key.pos,
                message: format!("missing {language} text ({code}) in {path}"),
            }),
            Some(entry) => match string_problem(&entry.value, &path.key(code)) {
                Some(message) => out.push(Finding {
                    pos: entry.value.pos,
                    message,
                }),
                None if entry.value.as_scalar().is_some_and(|t| t.trim().is_empty()) => {
                    out.push(Finding {
                        pos: entry.value.pos,
                        message: format!("empty {language} text ({code}) in {path}"),
                    })
                }
                None => {}
            },
        }
    }
}

fn walk_struct(
    node: &Node,
    fields: &[Field],
    path: &YamlPath,
    anchor: Pos,
    out: &mut Vec<Finding>,
) {
    let where_ = if path.is_root() {
        String::from("at the top level")
    } else {
        format!("in {path}")
    };
    if !matches!(node.value, NodeValue::Map(_)) {
        // An empty block (`question:` with nothing under it) is the common case.
        out.push(Finding {
            pos: node.pos,
            message: format!(
                "{} must be a mapping with fields {}, found {}",
                if path.is_root() {
                    "the file".to_string()
                } else {
                    path.to_string()
                },
                field_list(fields),
                describe(node)
            ),
        });
        return;
    }
    check_duplicate_keys(node, path, out);
    for entry in node.entries() {
        let Some(key) = entry.key.as_scalar() else {
            out.push(Finding {
                pos: entry.key.pos,
                message: format!("a key {where_} must be a plain name"),
            });
            continue;
        };
        match fields.iter().find(|field| field.name == key) {
            Some(field) => {
                if !(field.nullable && entry.value.is_null()) {
                    walk(
                        &entry.value,
                        &field.shape,
                        &path.key(key),
                        entry.key.pos,
                        out,
                    );
                }
            }
            None => out.push(Finding {
                pos: entry.key.pos,
                message: format!(
                    "unknown field `{key}` {where_}, expected {}{}{}",
                    if fields.len() > 1 { "one of " } else { "" },
                    field_list(fields),
                    did_you_mean(key, fields.iter().map(|f| f.name))
                ),
            }),
        }
    }
    for field in fields.iter().filter(|field| field.required) {
        if node.entry(field.name).is_none() {
            out.push(Finding {
                pos: anchor,
                message: format!("missing required field `{}` {where_}", field.name),
            });
        }
    }
}

fn walk_tagged(
    node: &Node,
    what: &str,
    variants: &[Variant],
    path: &YamlPath,
    anchor: Pos,
    out: &mut Vec<Finding>,
) {
    let names = || {
        variants
            .iter()
            .map(|variant| variant.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let unknown = |name: &str| {
        format!(
            "unknown {what} `{name}`, expected one of {}{}",
            names(),
            did_you_mean(name, variants.iter().map(|v| v.name))
        )
    };
    match &node.value {
        NodeValue::Scalar { text, .. } if !node.is_null() => {
            match variants.iter().find(|variant| variant.name == text) {
                None => out.push(Finding {
                    pos: node.pos,
                    message: unknown(text),
                }),
                Some(Variant {
                    fields: Some(fields),
                    ..
                }) => out.push(Finding {
                    pos: node.pos,
                    message: format!(
                        "{what} `{text}` needs its fields ({}): write `{text}: {{...}}` under {path}",
                        field_list(fields)
                    ),
                }),
                Some(Variant { fields: None, .. }) => {}
            }
        }
        NodeValue::Map(entries) if entries.len() == 1 => {
            let entry = &entries[0];
            let Some(name) = entry.key.as_scalar() else {
                out.push(Finding {
                    pos: entry.key.pos,
                    message: format!("{path} must name the {what} with a plain word"),
                });
                return;
            };
            match variants.iter().find(|variant| variant.name == name) {
                None => out.push(Finding {
                    pos: entry.key.pos,
                    message: unknown(name),
                }),
                Some(Variant { fields: None, .. }) => out.push(Finding {
                    pos: entry.key.pos,
                    message: format!(
                        "{what} `{name}` takes no fields: write `{}: {name}`",
                        path_leaf(path)
                    ),
                }),
                Some(Variant {
                    fields: Some(fields),
                    ..
                }) => walk_struct(&entry.value, fields, &path.key(name), entry.key.pos, out),
            }
        }
        NodeValue::Map(entries) if !entries.is_empty() => {
            let keys: Vec<&str> = entries
                .iter()
                .filter_map(|entry| entry.key.as_scalar())
                .collect();
            out.push(Finding {
                pos: node.pos,
                message: format!(
                    "{path} must name exactly one {what}, found {} keys ({})",
                    entries.len(),
                    keys.join(", ")
                ),
            });
        }
        _ => out.push(Finding {
            pos: if node.is_null() { anchor } else { node.pos },
            message: format!(
                "{path} must name one {what} (one of {}), found {}",
                names(),
                describe(node)
            ),
        }),
    }
}

fn path_leaf(path: &YamlPath) -> String {
    match path.0.last() {
        Some(super::yaml::Segment::Key(key)) => key.clone(),
        _ => path.to_string(),
    }
}

fn check_duplicate_keys(node: &Node, path: &YamlPath, out: &mut Vec<Finding>) {
    let entries = node.entries();
    for (i, entry) in entries.iter().enumerate() {
        let Some(key) = entry.key.as_scalar() else {
            continue;
        };
        if let Some(first) = entries[..i]
            .iter()
            .find(|earlier| earlier.key.as_scalar() == Some(key))
        {
            let where_ = if path.is_root() {
                String::new()
            } else {
                format!(" in {path}")
            };
            out.push(Finding {
                pos: entry.key.pos,
                message: format!(
                    "duplicate key `{key}`{where_} (first written at line {})",
                    first.key.pos.line
                ),
            });
        }
    }
}

fn field_list(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|field| field.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    Null,
    Bool,
    Number,
    Str,
}

/// What a scalar is once YAML has read it: `80` is a number, `"80"` and
/// `eighty` are strings, `true` a boolean, `~` null. Asked of serde_yaml
/// itself so the answer is the one the loader gets. `None` for lists and maps.
pub fn scalar_kind(node: &Node) -> Option<ScalarKind> {
    match &node.value {
        NodeValue::Scalar { quoted: true, .. } => Some(ScalarKind::Str),
        NodeValue::Scalar { text, .. } => {
            Some(match serde_yaml::from_str::<serde_yaml::Value>(text) {
                Ok(serde_yaml::Value::Null) => ScalarKind::Null,
                Ok(serde_yaml::Value::Bool(_)) => ScalarKind::Bool,
                Ok(serde_yaml::Value::Number(_)) => ScalarKind::Number,
                _ if node.is_null() => ScalarKind::Null,
                _ => ScalarKind::Str,
            })
        }
        _ => None,
    }
}

/// Why `node` is not a string, if it is not. A plain `1.10` or `true` is
/// read as a number or a boolean, so it must be quoted to stay text.
fn string_problem(node: &Node, path: &YamlPath) -> Option<String> {
    match scalar_kind(node) {
        Some(ScalarKind::Str) => None,
        Some(ScalarKind::Bool | ScalarKind::Number) => {
            let text = node.as_scalar().unwrap_or_default();
            Some(format!(
                "{path} must be a string, found `{text}`, which YAML reads as a {}: \
                 write it in quotes (\"{text}\")",
                if scalar_kind(node) == Some(ScalarKind::Bool) {
                    "boolean"
                } else {
                    "number"
                }
            ))
        }
        Some(ScalarKind::Null) | None => {
            Some(format!("{path} must be a string, found {}", describe(node)))
        }
    }
}

/// A whole number as YAML's core schema reads a plain scalar (`80`, `0x50`).
pub fn read_int(node: &Node) -> Option<u64> {
    match &node.value {
        NodeValue::Scalar {
            text,
            quoted: false,
        } => match serde_yaml::from_str::<serde_yaml::Value>(text) {
            Ok(serde_yaml::Value::Number(number)) => number.as_u64(),
            _ => None,
        },
        _ => None,
    }
}

/// How a wrong value looks, for "found ..." in messages.
pub fn describe(node: &Node) -> String {
    if node.is_null() {
        return "nothing".into();
    }
    match &node.value {
        NodeValue::Scalar { text, quoted } => {
            let shown: String = text.chars().take(40).collect();
            let ellipsis = if text.chars().count() > 40 { "..." } else { "" };
            if *quoted || scalar_kind(node) == Some(ScalarKind::Str) {
                format!("the string `{shown}{ellipsis}`")
            } else {
                format!("`{shown}`")
            }
        }
        NodeValue::Seq(_) => "a list".into(),
        NodeValue::Map(_) => "a mapping".into(),
    }
}

/// ` (did you mean `x`?)` when a known name is a typo away from `given`.
pub fn did_you_mean<'a>(given: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    let best = known
        .into_iter()
        .map(|name| (edit_distance(given, name), name))
        .min_by_key(|(distance, _)| *distance);
    match best {
        Some((distance, name))
            if distance > 0
                && distance < given.chars().count()
                && distance <= (given.chars().count() / 3).max(1) =>
        {
            format!(" (did you mean `{name}`?)")
        }
        _ => String::new(),
    }
}

/// Optimal string alignment distance: edits, with a swap of two neighbours
/// counting as one (the commonest typo: `actoin`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::model::{Lesson, PackManifest, Step};
    use crate::lesson::yaml;

    fn findings(text: &str, shape: &Shape) -> Vec<String> {
        let root = yaml::parse(text).unwrap().unwrap();
        let mut out = Vec::new();
        walk(&root, shape, &YamlPath::root(), root.pos, &mut out);
        out.into_iter()
            .map(|f| format!("{}: {}", f.pos, f.message))
            .collect()
    }

    #[test]
    fn every_problem_in_a_step_is_reported_with_its_position() {
        let text = "id: a\nkind: actoin\ntitel: {ru: x, en: y}\ntext: {ru: x}\nconfirm: yes\n";
        assert_eq!(
            findings(text, &STEP),
            vec![
                "2:7: unknown step kind `actoin`, expected one of prose, file, action, check, question, answer (did you mean `action`?)",
                "3:1: unknown field `titel` at the top level, expected one of id, kind, title, text, docker, file, action, check, question, answer_key, needs, confirm, optional, expect, hints (did you mean `title`?)",
                "4:1: missing English text (en) in text",
                "5:10: confirm must be true or false, found the string `yes`",
            ]
        );
    }

    static FOUR_ACTIONS: Shape = Shape::Struct(&[
        req("a", ACTION),
        req("b", ACTION),
        req("c", ACTION),
        req("d", ACTION),
    ]);
    static TWO_PORTS: Shape = Shape::Struct(&[opt("p", U16), opt("q", U16)]);

    #[test]
    fn tagged_variants_explain_the_expected_form() {
        let found = findings(
            "a: {buld: {context: x, tag: y}}\nb: build\nc: {doctor: ~}\nd: {stop: {container: w, extra: 2}}\n",
            &FOUR_ACTIONS,
        );
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(
            found[0].starts_with("1:5: unknown action `buld`"),
            "{}",
            found[0]
        );
        assert!(
            found[0].ends_with("(did you mean `build`?)"),
            "{}",
            found[0]
        );
        assert!(
            found[1].starts_with("2:4: action `build` needs its fields (context, tag"),
            "{}",
            found[1]
        );
        assert_eq!(
            found[2],
            "3:5: action `doctor` takes no fields: write `c: doctor`"
        );
        assert!(
            found[3].starts_with("4:26: unknown field `extra` in d.stop"),
            "{}",
            found[3]
        );
    }

    #[test]
    fn numbers_are_range_checked_and_strings_are_not_numbers() {
        let found = findings("p: 70000\nq: '80'\n", &TWO_PORTS);
        assert_eq!(
            found,
            vec![
                "1:4: p must be a whole number from 0 to 65535, found `70000`",
                "2:4: q must be a whole number from 0 to 65535, found the string `80`",
            ]
        );
    }

    #[test]
    fn numbers_and_booleans_are_not_strings_until_quoted() {
        let found = findings(
            "id: 1.10\nkind: prose\ntext: {ru: да, en: true}\ndocker: \"1.10\"\n",
            &STEP,
        );
        assert_eq!(
            found,
            vec![
                "1:5: id must be a string, found `1.10`, which YAML reads as a number: write it in quotes (\"1.10\")",
                "3:20: text.en must be a string, found `true`, which YAML reads as a boolean: write it in quotes (\"true\")",
            ]
        );
    }

    #[test]
    fn suggestions_only_for_near_misses() {
        assert_eq!(
            did_you_mean("actoin", ["action", "check"]),
            " (did you mean `action`?)"
        );
        assert_eq!(did_you_mean("banana", ["action", "check"]), "");
    }

    // ---- the tables against serde: these fail when model.rs changes ----

    fn sample(shape: &Shape) -> serde_yaml::Value {
        use serde_yaml::Value;
        match shape {
            Shape::Str => Value::String("x".into()),
            Shape::Bool => Value::Bool(true),
            Shape::Int { .. } => Value::Number(1.into()),
            Shape::Text => serde_yaml::from_str("{ru: x, en: y}").unwrap(),
            Shape::List(item) => Value::Sequence(vec![sample(item)]),
            Shape::StrMap(value) => {
                let mut map = serde_yaml::Mapping::new();
                map.insert("K".into(), sample(value));
                Value::Mapping(map)
            }
            Shape::Struct(fields) => struct_sample(fields, |_| true),
            Shape::Tagged { variants, .. } => variant_sample(&variants[0], |_| true),
            Shape::Names { names, .. } => Value::String(names[0].into()),
            Shape::LineRange => Value::String("2-3".into()),
        }
    }

    fn struct_sample(fields: &[Field], keep: impl Fn(&Field) -> bool) -> serde_yaml::Value {
        let mut map = serde_yaml::Mapping::new();
        for field in fields.iter().filter(|field| keep(field)) {
            map.insert(field.name.into(), sample(&field.shape));
        }
        serde_yaml::Value::Mapping(map)
    }

    fn variant_sample(variant: &Variant, keep: impl Fn(&Field) -> bool) -> serde_yaml::Value {
        match variant.fields {
            None => serde_yaml::Value::String(variant.name.into()),
            Some(fields) => {
                let mut map = serde_yaml::Mapping::new();
                map.insert(variant.name.into(), struct_sample(fields, keep));
                serde_yaml::Value::Mapping(map)
            }
        }
    }

    fn with_field_null(mut value: serde_yaml::Value, name: &str) -> serde_yaml::Value {
        if let serde_yaml::Value::Mapping(map) = &mut value {
            map.insert(name.into(), serde_yaml::Value::Null);
        }
        value
    }

    fn fields_of(shape: &Shape) -> &'static [Field] {
        match shape {
            Shape::Struct(fields) => fields,
            _ => panic!("not a struct shape"),
        }
    }

    /// Every variant, with all its fields, with only the required ones, and
    /// with each required one left out, read by serde as part of a step.
    fn check_variants<T: serde::de::DeserializeOwned>(
        shape: &Shape,
        wrap: impl Fn(serde_yaml::Value) -> serde_yaml::Value,
    ) {
        let Shape::Tagged { variants, .. } = shape else {
            panic!("not a tagged shape")
        };
        for variant in *variants {
            let full = wrap(variant_sample(variant, |_| true));
            serde_yaml::from_value::<T>(full.clone())
                .unwrap_or_else(|e| panic!("{}: {e}\n{full:?}", variant.name));
            for field in variant.fields.unwrap_or(&[]).iter().filter(|f| !f.required) {
                let mut sample = variant_sample(variant, |_| true);
                if let serde_yaml::Value::Mapping(map) = &mut sample
                    && let Some(inner) = map.get_mut(variant.name)
                {
                    *inner = with_field_null(inner.clone(), field.name);
                }
                assert_eq!(
                    serde_yaml::from_value::<T>(wrap(sample)).is_ok(),
                    field.nullable,
                    "{}.{}: ~ accepted by serde must match `nullable` in the table",
                    variant.name,
                    field.name
                );
            }
            let minimal = wrap(variant_sample(variant, |field| field.required));
            serde_yaml::from_value::<T>(minimal)
                .unwrap_or_else(|e| panic!("{} minimal: {e}", variant.name));
            for required in variant.fields.unwrap_or(&[]).iter().filter(|f| f.required) {
                let without = wrap(variant_sample(variant, |field| field.name != required.name));
                assert!(
                    serde_yaml::from_value::<T>(without).is_err(),
                    "{}.{} is required in the table but not in model.rs",
                    variant.name,
                    required.name
                );
            }
        }
        let unknown = wrap(serde_yaml::from_str("{no_such_variant: {}}").unwrap());
        let message = match serde_yaml::from_value::<T>(unknown) {
            Ok(_) => panic!("an unknown variant was accepted"),
            Err(e) => e.to_string(),
        };
        for variant in *variants {
            assert!(
                message.contains(&format!("`{}`", variant.name)),
                "{} missing from serde's list: {message}",
                variant.name
            );
        }
        let names: Vec<&str> = variants.iter().map(|v| v.name).collect();
        assert_eq!(backticked_after_expected(&message), names, "{message}");
    }

    fn step_with(kind: &str, key: &str, value: serde_yaml::Value) -> serde_yaml::Value {
        let mut map = serde_yaml::Mapping::new();
        map.insert("id".into(), "s".into());
        map.insert("kind".into(), kind.into());
        map.insert(key.into(), value);
        serde_yaml::Value::Mapping(map)
    }

    #[test]
    fn action_table_matches_the_model() {
        check_variants::<Step>(&ACTION, |v| step_with("action", "action", v));
    }

    #[test]
    fn check_table_matches_the_model() {
        check_variants::<Step>(&CHECK, |v| step_with("check", "check", v));
    }

    #[test]
    fn expect_table_matches_the_model() {
        check_variants::<Step>(&EXPECT, |v| step_with("action", "expect", v));
    }

    #[test]
    fn hint_table_matches_the_model() {
        check_struct::<crate::lesson::watch_model::Hint>(&Shape::Struct(HINT));
        for name in crate::lesson::watch_model::HINT_NAMES {
            serde_yaml::from_str::<crate::lesson::watch_model::HintWhen>(name)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let message = serde_yaml::from_str::<crate::lesson::watch_model::HintWhen>("nope")
            .unwrap_err()
            .to_string();
        assert_eq!(
            backticked_after_expected(&message),
            crate::lesson::watch_model::HINT_NAMES,
            "{message}"
        );
    }

    #[test]
    fn question_kind_table_matches_the_model() {
        check_variants::<crate::lesson::question::Question>(&QUESTION_KIND, |answer| {
            let mut question = struct_sample(QUESTION, |_| true);
            if let serde_yaml::Value::Mapping(map) = &mut question {
                map.insert("answer".into(), answer);
            }
            question
        });
    }

    /// serde lists a struct's fields in its unknown-field error; the table
    /// must list the same ones in the same order, with the same required set.
    fn check_struct<T: serde::de::DeserializeOwned>(shape: &Shape) {
        let fields = fields_of(shape);
        serde_yaml::from_value::<T>(struct_sample(fields, |_| true)).expect("full sample");
        serde_yaml::from_value::<T>(struct_sample(fields, |f| f.required)).expect("minimal");
        for required in fields.iter().filter(|f| f.required) {
            assert!(
                serde_yaml::from_value::<T>(struct_sample(fields, |f| f.name != required.name))
                    .is_err(),
                "{} is required in the table but optional in model.rs",
                required.name
            );
        }
        for field in fields.iter().filter(|f| !f.required) {
            let with_null = with_field_null(struct_sample(fields, |_| true), field.name);
            assert_eq!(
                serde_yaml::from_value::<T>(with_null).is_ok(),
                field.nullable,
                "{}: ~ accepted by serde must match `nullable` in the table",
                field.name
            );
        }
        let mut with_unknown = struct_sample(fields, |_| true);
        if let serde_yaml::Value::Mapping(map) = &mut with_unknown {
            map.insert("no_such_field".into(), 1.into());
        }
        let message = match serde_yaml::from_value::<T>(with_unknown) {
            Ok(_) => panic!("an unknown field was accepted"),
            Err(e) => e.to_string(),
        };
        let expected: Vec<&str> = fields.iter().map(|f| f.name).collect();
        assert_eq!(
            backticked_after_expected(&message),
            expected,
            "serde says: {message}"
        );
    }

    #[test]
    fn struct_tables_match_the_model() {
        check_struct::<PackManifest>(&PACK_MANIFEST);
        check_struct::<crate::lesson::model::PackDefaults>(&Shape::Struct(PACK_DEFAULTS));
        check_struct::<Lesson>(&LESSON);
        check_struct::<Step>(&STEP);
        check_struct::<crate::lesson::model::FileView>(&Shape::Struct(FILE_VIEW));
        check_struct::<crate::lesson::question::Question>(&Shape::Struct(QUESTION));
    }

    /// The names serde lists in "..., expected one of `a`, `b`" (or "`a` or `b`").
    fn backticked_after_expected(message: &str) -> Vec<&str> {
        let Some((_, tail)) = message.split_once("expected") else {
            return Vec::new();
        };
        tail.split('`').skip(1).step_by(2).collect()
    }

    #[test]
    fn step_kinds_match_the_model() {
        for kind in STEP_KINDS {
            serde_yaml::from_str::<crate::lesson::model::StepKind>(kind)
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
        }
        let message = serde_yaml::from_str::<crate::lesson::model::StepKind>("nope")
            .unwrap_err()
            .to_string();
        assert_eq!(backticked_after_expected(&message), STEP_KINDS, "{message}");
    }
}
