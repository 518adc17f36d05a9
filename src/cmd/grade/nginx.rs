//! Just enough of nginx's configuration language to answer "what does this
//! image serve for `/`": the tokenizer (words, quotes, comments, `;`, `{`,
//! `}`), includes (globs too) expanded the way nginx does, the server that
//! takes a request on port 80 and the `root`/`alias`, `index`, `return` and
//! `try_files` that apply to `location /`.
//!
//! It reads files, it never runs nginx: a configuration nginx would reject
//! for another reason (an unknown directive, say) can still look fine here.

/// Where nginx looks for relative paths (`--conf-path` dir of Alpine's build).
pub const CONF_DIR: &str = "/etc/nginx";
/// Alpine's nginx `--prefix`; a relative `root` (the default is `html`) is under it.
pub const PREFIX: &str = "/var/lib/nginx";
pub const MAIN_CONF: &str = "/etc/nginx/nginx.conf";
const MAX_INCLUDE_DEPTH: usize = 10;
const MAX_FILES: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub args: Vec<String>,
    pub block: Option<Vec<Directive>>,
    /// `file:line` where it was written.
    pub at: String,
}

impl Directive {
    fn children(&self) -> &[Directive] {
        self.block.as_deref().unwrap_or(&[])
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String, usize),
    Semicolon(usize),
    Open(usize),
    Close(usize),
}

fn tokenize(text: &str, file: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1usize;
    while let Some(&c) = chars.peek() {
        match c {
            '\n' => {
                line += 1;
                chars.next();
            }
            c if c.is_whitespace() => {
                chars.next();
            }
            '#' => {
                while let Some(&c) = chars.peek() {
                    if c == '\n' {
                        break;
                    }
                    chars.next();
                }
            }
            ';' => {
                tokens.push(Token::Semicolon(line));
                chars.next();
            }
            '{' => {
                tokens.push(Token::Open(line));
                chars.next();
            }
            '}' => {
                tokens.push(Token::Close(line));
                chars.next();
            }
            '"' | '\'' => {
                let quote = c;
                let start = line;
                chars.next();
                let mut word = String::new();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(next) = chars.next() {
                                if next == '\n' {
                                    line += 1;
                                }
                                // nginx keeps the backslash except before the quote.
                                if next != quote && next != '\\' {
                                    word.push('\\');
                                }
                                word.push(next);
                            }
                        }
                        c if c == quote => {
                            closed = true;
                            break;
                        }
                        c => {
                            if c == '\n' {
                                line += 1;
                            }
                            word.push(c);
                        }
                    }
                }
                if !closed {
                    return Err(format!("{file}:{start}: a quote is never closed"));
                }
                tokens.push(Token::Word(word, start));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == ';' || c == '{' || c == '}' {
                        break;
                    }
                    if c == '\\' {
                        chars.next();
                        if let Some(next) = chars.next() {
                            word.push(next);
                        }
                        continue;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(word, line));
            }
        }
    }
    Ok(tokens)
}

/// One file's directives (includes not expanded).
pub fn parse(text: &str, file: &str) -> Result<Vec<Directive>, String> {
    let tokens = tokenize(text, file)?;
    let mut position = 0;
    let directives = parse_block(&tokens, &mut position, file, false)?;
    Ok(directives)
}

fn parse_block(
    tokens: &[Token],
    position: &mut usize,
    file: &str,
    nested: bool,
) -> Result<Vec<Directive>, String> {
    let mut out = Vec::new();
    let mut words: Vec<(String, usize)> = Vec::new();
    while *position < tokens.len() {
        let token = &tokens[*position];
        *position += 1;
        match token {
            Token::Word(word, line) => words.push((word.clone(), *line)),
            Token::Semicolon(line) => {
                let Some(((name, first), args)) = words.split_first().map(|(f, r)| (f.clone(), r))
                else {
                    return Err(format!("{file}:{line}: unexpected \";\""));
                };
                out.push(Directive {
                    name,
                    args: args.iter().map(|(w, _)| w.clone()).collect(),
                    block: None,
                    at: format!("{file}:{first}"),
                });
                words.clear();
            }
            Token::Open(line) => {
                let Some(((name, first), args)) = words.split_first().map(|(f, r)| (f.clone(), r))
                else {
                    return Err(format!("{file}:{line}: unexpected \"{{\""));
                };
                let args = args.iter().map(|(w, _)| w.clone()).collect();
                let block = parse_block(tokens, position, file, true)?;
                out.push(Directive {
                    name,
                    args,
                    block: Some(block),
                    at: format!("{file}:{first}"),
                });
                words.clear();
            }
            Token::Close(line) => {
                if !words.is_empty() {
                    return Err(format!(
                        "{file}:{line}: \"{}\" is not terminated by \";\"",
                        words[0].0
                    ));
                }
                if !nested {
                    return Err(format!("{file}:{line}: unexpected \"}}\""));
                }
                return Ok(out);
            }
        }
    }
    if let Some((word, line)) = words.first() {
        return Err(format!(
            "{file}:{line}: \"{word}\" is not terminated by \";\""
        ));
    }
    if nested {
        return Err(format!("{file}: unexpected end of file, expecting \"}}\""));
    }
    Ok(out)
}

/// The files nginx would read: the image's layers, seen through an overlay.
pub trait ConfigFiles {
    /// The text of a file, `None` when it does not exist.
    fn read(&self, path: &str) -> Option<Result<String, String>>;
    /// Names in a directory (for `include dir/*.conf`).
    fn list(&self, dir: &str) -> Vec<String>;
}

/// `nginx.conf` with every `include` replaced by the directives it names.
pub fn load(files: &dyn ConfigFiles) -> Result<Vec<Directive>, String> {
    let mut budget = MAX_FILES;
    load_file(files, MAIN_CONF, 0, &mut budget)
}

fn load_file(
    files: &dyn ConfigFiles,
    path: &str,
    depth: usize,
    budget: &mut usize,
) -> Result<Vec<Directive>, String> {
    if *budget == 0 {
        return Err(format!("more than {MAX_FILES} configuration files"));
    }
    *budget -= 1;
    let text = match files.read(path) {
        None => return Err(format!("{path}: no such file in the image")),
        Some(Err(e)) => return Err(format!("{path}: {e}")),
        Some(Ok(text)) => text,
    };
    let parsed = parse(&text, path)?;
    expand(files, parsed, depth, budget)
}

fn expand(
    files: &dyn ConfigFiles,
    directives: Vec<Directive>,
    depth: usize,
    budget: &mut usize,
) -> Result<Vec<Directive>, String> {
    let mut out = Vec::new();
    for mut directive in directives {
        if directive.name == "include" && directive.block.is_none() {
            if depth >= MAX_INCLUDE_DEPTH {
                return Err(format!(
                    "{}: includes nested deeper than {MAX_INCLUDE_DEPTH}",
                    directive.at
                ));
            }
            let Some(pattern) = directive.args.first() else {
                return Err(format!("{}: include without a file", directive.at));
            };
            let pattern = absolute(pattern, CONF_DIR);
            for path in expand_glob(files, &pattern, &directive.at)? {
                out.extend(load_file(files, &path, depth + 1, budget)?);
            }
            continue;
        }
        if let Some(block) = directive.block.take() {
            directive.block = Some(expand(files, block, depth, budget)?);
        }
        out.push(directive);
    }
    Ok(out)
}

fn absolute(path: &str, dir: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{dir}/{path}")
    }
}

fn expand_glob(files: &dyn ConfigFiles, pattern: &str, at: &str) -> Result<Vec<String>, String> {
    let (dir, name) = pattern.rsplit_once('/').unwrap_or(("", pattern));
    let dir = if dir.is_empty() { "/" } else { dir };
    if dir.contains(['*', '?', '[']) {
        return Err(format!(
            "{at}: include {pattern}: wildcards in directory names are not supported here"
        ));
    }
    if !name.contains(['*', '?', '[']) {
        // A plain include of a missing file stops nginx at start.
        return Ok(vec![pattern.to_string()]);
    }
    // nginx includes matches in sorted order; none is not an error.
    let mut names: Vec<String> = files
        .list(dir)
        .into_iter()
        .filter(|n| glob_match(name, n))
        .collect();
    names.sort();
    Ok(names
        .into_iter()
        .map(|n| format!("{}/{n}", dir.trim_end_matches('/')))
        .collect())
}

/// `*` and `?` (and a literal rest); `[...]` classes are treated literally.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
}

/// What nginx does with `GET /` on port 80.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Serves {
    /// The index files to try, in order, as absolute paths.
    Files {
        candidates: Vec<String>,
        /// `file:line` of the server block.
        server: String,
    },
    /// `return CODE [text]` in `location /` (or the server).
    Returns {
        code: u16,
        text: Option<String>,
        at: String,
    },
}

/// `daemon off;` at the top level of the configuration.
pub fn daemon_off(config: &[Directive]) -> Option<bool> {
    config
        .iter()
        .rev()
        .find(|d| d.name == "daemon")
        .and_then(|d| d.args.first())
        .map(|v| v == "off")
}

fn listens(server: &Directive) -> Vec<(u16, bool)> {
    let listens: Vec<(u16, bool)> = server
        .children()
        .iter()
        .filter(|d| d.name == "listen")
        .filter_map(|d| {
            let address = d.args.first()?;
            // `80`, `*:80`, `0.0.0.0:80`, `[::]:80`, `127.0.0.1` (port 80).
            let port = match address.rsplit_once(':') {
                Some((host, port)) if !host.ends_with('[') && !port.contains(']') => {
                    port.parse().ok()?
                }
                _ if address.chars().all(|c| c.is_ascii_digit()) => address.parse().ok()?,
                _ => 80,
            };
            let default = d
                .args
                .iter()
                .any(|a| a == "default_server" || a == "default");
            Some((port, default))
        })
        .collect();
    if listens.is_empty() {
        // Without `listen` a server takes *:80 (nginx runs as root in a container).
        vec![(80, false)]
    } else {
        listens
    }
}

/// The server for port 80: its `default_server`, else the first one on 80,
/// else the first server at all.
fn pick_server(servers: &[&Directive]) -> Option<usize> {
    let on = |i: &usize, port: u16, default: bool| {
        listens(servers[*i])
            .iter()
            .any(|(p, d)| *p == port && (!default || *d))
    };
    let indices: Vec<usize> = (0..servers.len()).collect();
    indices
        .iter()
        .find(|i| on(i, 80, true))
        .or_else(|| indices.iter().find(|i| on(i, 80, false)))
        .or_else(|| indices.first())
        .copied()
}

fn last_arg<'a>(directives: &'a [Directive], name: &str) -> Option<&'a Directive> {
    directives.iter().rev().find(|d| d.name == name)
}

/// What nginx serves for `/` according to `config` (includes expanded).
pub fn serves_root(config: &[Directive]) -> Result<Serves, String> {
    let Some(http) = config.iter().find(|d| d.name == "http") else {
        return Err("no http { } block: nginx serves no web pages".into());
    };
    let servers: Vec<&Directive> = http
        .children()
        .iter()
        .filter(|d| d.name == "server")
        .collect();
    let Some(index) = pick_server(&servers) else {
        return Err("no server { } block in http { }".into());
    };
    let server = servers[index];
    let locations: Vec<&Directive> = server
        .children()
        .iter()
        .filter(|d| d.name == "location")
        .collect();
    // `location = /` beats `location /`; regex locations are not evaluated.
    let location = locations
        .iter()
        .find(|l| l.args.len() == 2 && l.args[0] == "=" && l.args[1] == "/")
        .or_else(|| {
            locations
                .iter()
                .find(|l| l.args.len() == 1 && l.args[0] == "/")
        })
        .or_else(|| {
            locations
                .iter()
                .find(|l| l.args.len() == 2 && l.args[0] == "^~" && l.args[1] == "/")
        })
        .copied();
    let scopes: Vec<&[Directive]> = [
        location.map(|l| l.children()),
        Some(server.children()),
        Some(http.children()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let find = |name: &str| scopes.iter().find_map(|s| last_arg(s, name));

    // `return` ends the request before any file is looked at (it is not
    // inherited from http {}, only server and location have it).
    for scope in scopes.iter().take(if location.is_some() { 2 } else { 1 }) {
        if let Some(r) = last_arg(scope, "return") {
            let code = r.args.first().and_then(|c| c.parse().ok());
            return Ok(match code {
                Some(code) => Serves::Returns {
                    code,
                    text: r.args.get(1).cloned(),
                    at: r.at.clone(),
                },
                // `return URL` is a 302 redirect.
                None => Serves::Returns {
                    code: 302,
                    text: r.args.first().cloned(),
                    at: r.at.clone(),
                },
            });
        }
    }

    let alias = location.and_then(|l| last_arg(l.children(), "alias"));
    let base = match (alias, find("root")) {
        (Some(alias), _) => alias.args.first().cloned().unwrap_or_default(),
        (None, Some(root)) => root.args.first().cloned().unwrap_or_default(),
        (None, None) => "html".to_string(),
    };
    if base.contains('$') {
        return Err(format!(
            "the root {base:?} uses nginx variables; this grader cannot follow them"
        ));
    }
    let base = absolute(&base, PREFIX);
    let base = base.trim_end_matches('/');
    let mut names: Vec<String> = match find("index") {
        Some(index) => index.args.clone(),
        None => vec!["index.html".into()],
    };
    if let Some(try_files) = find("try_files") {
        // `$uri/` sends `/` to the index; otherwise the last argument
        // (`=404`, or a fallback URI) is what `/` gets.
        let uses_index = try_files.args.iter().any(|a| a.ends_with('/'));
        if !uses_index && let Some(last) = try_files.args.last() {
            if let Some(code) = last.strip_prefix('=') {
                return Ok(Serves::Returns {
                    code: code.parse().unwrap_or(404),
                    text: None,
                    at: try_files.at.clone(),
                });
            }
            if last.starts_with('/') && !last.contains('$') {
                names = vec![last.trim_start_matches('/').to_string()];
            }
        }
    }
    let candidates = names
        .iter()
        .filter(|n| !n.contains('$'))
        .map(|n| {
            if n.starts_with('/') {
                // An absolute index is a URI under the root.
                format!("{base}{n}")
            } else {
                format!("{base}/{n}")
            }
        })
        .collect();
    Ok(Serves::Files {
        candidates,
        server: server.at.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Files(BTreeMap<&'static str, &'static str>);

    impl ConfigFiles for Files {
        fn read(&self, path: &str) -> Option<Result<String, String>> {
            self.0.get(path).map(|t| Ok(t.to_string()))
        }
        fn list(&self, dir: &str) -> Vec<String> {
            self.0
                .keys()
                .filter_map(|p| p.strip_prefix(&format!("{dir}/")))
                .filter(|rest| !rest.contains('/'))
                .map(str::to_string)
                .collect()
        }
    }

    const ALPINE_MAIN: &str = "user nginx;\nworker_processes auto;\n# a comment; with { braces }\ninclude /etc/nginx/modules/*.conf;\nevents { worker_connections 1024; }\nhttp {\n\tinclude /etc/nginx/mime.types;\n\tlog_format main '$remote_addr - \"$request\"';\n\tinclude /etc/nginx/http.d/*.conf;\n}\n";
    const STOCK_DEFAULT: &str =
        "server {\n listen 80 default_server;\n location / {\n  return 404;\n }\n}\n";
    const TEMPLATE: &str =
        include_str!("../../../assets/nginx-alpine/rootfs/etc/nginx/http.d/default.conf");

    fn files(extra: &[(&'static str, &'static str)]) -> Files {
        let mut map = BTreeMap::from([
            (MAIN_CONF, ALPINE_MAIN),
            ("/etc/nginx/mime.types", "types { text/html html; }"),
        ]);
        map.extend(extra.iter().copied());
        Files(map)
    }

    #[test]
    fn the_stock_alpine_config_returns_404() {
        let config =
            load(&files(&[("/etc/nginx/http.d/default.conf", STOCK_DEFAULT)])).expect("loads");
        assert_eq!(
            serves_root(&config).expect("a server"),
            Serves::Returns {
                code: 404,
                text: None,
                at: "/etc/nginx/http.d/default.conf:4".into()
            }
        );
    }

    #[test]
    fn the_workspace_template_serves_its_htdocs_index() {
        let config = load(&files(&[("/etc/nginx/http.d/default.conf", TEMPLATE)])).expect("loads");
        match serves_root(&config).expect("a server") {
            Serves::Files { candidates, server } => {
                assert_eq!(candidates, ["/var/www/localhost/htdocs/index.html"]);
                assert!(
                    server.starts_with("/etc/nginx/http.d/default.conf:"),
                    "{server}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(daemon_off(&config), None);
    }

    #[test]
    fn default_server_wins_and_location_root_beats_server_root() {
        let config = load(&files(&[
            (
                "/etc/nginx/http.d/a.conf",
                "server { listen 8080; root /a; }",
            ),
            (
                "/etc/nginx/http.d/b.conf",
                "server { listen 80; root /b; }",
            ),
            (
                "/etc/nginx/http.d/c.conf",
                "server { listen [::]:80 default_server; listen 80 default_server; root /c; index start.htm index.html;\n location / { root /c/site/; } }",
            ),
            ("/etc/nginx/http.d/.hidden.conf", "this is { not loaded"),
            ("/etc/nginx/http.d/notes.txt", "not a conf"),
        ]))
        .expect("loads");
        assert_eq!(
            serves_root(&config).expect("server"),
            Serves::Files {
                candidates: vec!["/c/site/start.htm".into(), "/c/site/index.html".into()],
                server: "/etc/nginx/http.d/c.conf:1".into()
            }
        );
    }

    #[test]
    fn relative_roots_aliases_and_try_files() {
        let serves = |server: &'static str| {
            let leaked: &'static str = Box::leak(server.to_string().into_boxed_str());
            let config = load(&files(&[("/etc/nginx/http.d/x.conf", leaked)])).expect("loads");
            serves_root(&config)
        };
        assert_eq!(
            serves("server { }").expect("ok"),
            Serves::Files {
                candidates: vec!["/var/lib/nginx/html/index.html".into()],
                server: "/etc/nginx/http.d/x.conf:1".into()
            },
            "the compiled-in default root"
        );
        assert!(matches!(
            serves("server { location / { alias /srv/page/; } }").expect("ok"),
            Serves::Files { candidates, .. } if candidates == ["/srv/page/index.html"]
        ));
        assert!(matches!(
            serves("server { root /w; location / { try_files $uri /main.html; } }").expect("ok"),
            Serves::Files { candidates, .. } if candidates == ["/w/main.html"]
        ));
        assert!(matches!(
            serves("server { root /w; location / { try_files $uri =403; } }").expect("ok"),
            Serves::Returns { code: 403, .. }
        ));
        assert!(matches!(
            serves("server { return 200 'hello'; }").expect("ok"),
            Serves::Returns { code: 200, text: Some(t), .. } if t == "hello"
        ));
        assert!(serves("server { root $document_root; }").is_err());
    }

    #[test]
    fn daemon_off_is_found_at_the_top_level() {
        let config = parse("daemon off;\nevents {}\n", "/x").expect("parses");
        assert_eq!(daemon_off(&config), Some(true));
        let config = parse("daemon on;", "/x").expect("parses");
        assert_eq!(daemon_off(&config), Some(false));
    }

    #[test]
    fn broken_configs_say_where() {
        for (text, needle) in [
            ("http {", "unexpected end of file"),
            ("}", "unexpected \"}\""),
            ("user nginx", "not terminated"),
            ("log_format 'open", "never closed"),
            (";", "unexpected \";\""),
        ] {
            let err = parse(text, "/etc/nginx/nginx.conf").expect_err(text);
            assert!(err.contains(needle), "{text:?}: {err}");
            assert!(err.starts_with("/etc/nginx/nginx.conf:"), "{err}");
        }
        let missing = files(&[]);
        let mut map = missing.0;
        map.insert(MAIN_CONF, "include /etc/nginx/site.conf;");
        let err = load(&Files(map)).expect_err("missing include");
        assert!(err.contains("/etc/nginx/site.conf: no such file"), "{err}");
        let looping = Files(BTreeMap::from([(MAIN_CONF, "include nginx.conf;")]));
        let err = load(&looping).expect_err("loop");
        assert!(err.contains("deeper than"), "{err}");
    }

    #[test]
    fn globs_match_like_nginx() {
        assert!(glob_match("*.conf", "default.conf"));
        assert!(!glob_match("*.conf", "default.conf.bak"));
        assert!(!glob_match("*.conf", ".hidden.conf"));
        assert!(glob_match("site-?.conf", "site-a.conf"));
        assert!(glob_match("exact", "exact"));
    }

    proptest::proptest! {
        #[test]
        fn the_parser_never_panics(text in "\\PC{0,200}") {
            let _ = parse(&text, "/f");
        }
    }
}
