//! The `docker:` line a step shows, held to what the step's action does.
//!
//! The line is written by the pack's author to teach the CLI; nothing runs
//! it. So that what the learner reads is what runs, `validate` compares it
//! with the action ([`mismatches`]): a `run` action's line must name the
//! same image, the same bind mounts and `--privileged` exactly when the
//! action is privileged, and no line may claim host access (capabilities,
//! devices, host namespaces) that no action can grant. Before a privileged
//! step runs, the learner is shown the command derived from the action
//! itself ([`run_command`]), not the author's line.

use super::model::Action;

/// Flags of `docker run` that give a container power over the host. The
/// pack format has no way to ask for any of them except `privileged`.
const HOST_ACCESS: &[&str] = &[
    "--privileged",
    "--cap-add",
    "--device",
    "--device-cgroup-rule",
    "--pid",
    "--ipc",
    "--uts",
    "--userns",
    "--cgroupns",
    "--network",
    "--net",
    "--security-opt",
    "--mount",
    "--volumes-from",
];

/// `docker run` options that take a value (so the value is not the image).
const TAKES_VALUE: &[&str] = &[
    "-v",
    "--volume",
    "-p",
    "--publish",
    "--name",
    "-e",
    "--env",
    "--env-file",
    "-w",
    "--workdir",
    "-u",
    "--user",
    "--entrypoint",
    "-l",
    "--label",
    "--restart",
    "-h",
    "--hostname",
    "-m",
    "--memory",
    "--cpus",
    "--add-host",
    "--platform",
    "--log-driver",
    "--log-opt",
    "--mount",
    "--network",
    "--net",
    "--cap-add",
    "--cap-drop",
    "--device",
    "--pid",
    "--ipc",
    "--uts",
    "--userns",
    "--security-opt",
    "--volumes-from",
    "--stop-signal",
    "--tmpfs",
];

/// Words of a shell-like line: whitespace separates, quotes group.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(word);
    }
    out
}

/// A workspace folder as a line may write it: `{workspace}/logs` or `logs`.
fn same_folder(shown: &str, action: &str) -> bool {
    let strip = |s: &str| {
        let s = s.strip_prefix("{workspace}").unwrap_or(s);
        super::files::normalize(s.trim_start_matches('/'))
    };
    strip(shown) == strip(action)
}

/// Whether a step's `docker:` line starts a container.
fn starts_a_container(words: &[String]) -> Option<usize> {
    match words {
        [docker, verb, ..] if docker == "docker" && (verb == "run" || verb == "create") => Some(2),
        [docker, container, verb, ..]
            if docker == "docker"
                && container == "container"
                && (verb == "run" || verb == "create") =>
        {
            Some(3)
        }
        _ => None,
    }
}

/// What the `docker:` line says that the action does not do, one sentence
/// each; empty when they agree.
pub fn mismatches(docker: &str, action: &Action) -> Vec<String> {
    let words = words(docker);
    let mut found = Vec::new();
    let flag_name = |word: &str| word.split('=').next().unwrap_or(word).to_string();
    let Action::Run {
        image,
        volumes,
        privileged,
        ..
    } = action
    else {
        if starts_a_container(&words).is_some() {
            found.push(
                "the `docker:` line starts a container but the action does not: \
                 show the command the action stands for"
                    .to_string(),
            );
        }
        for word in &words {
            let flag = flag_name(word);
            if HOST_ACCESS.contains(&flag.as_str()) && flag != "--network" && flag != "--net" {
                found.push(format!(
                    "the `docker:` line shows `{flag}`, which this action does not do"
                ));
            }
        }
        return found;
    };
    let Some(start) = starts_a_container(&words) else {
        return vec![
            "a `run` action's `docker:` line must be the `docker run` command it stands for"
                .to_string(),
        ];
    };
    let mut shown_volumes: Vec<String> = Vec::new();
    let mut shown_image: Option<&str> = None;
    let mut shown_privileged = false;
    let mut i = start;
    while i < words.len() {
        let word = &words[i];
        if !word.starts_with('-') || word == "-" {
            shown_image = Some(word);
            break;
        }
        let flag = flag_name(word);
        let inline = word
            .contains('=')
            .then(|| word[flag.len() + 1..].to_string());
        // `-vHOST:/x` is `-v HOST:/x`.
        let (flag, inline) = match word.strip_prefix("-v") {
            Some(rest) if !rest.is_empty() && !word.starts_with("--") => {
                ("-v".to_string(), Some(rest.to_string()))
            }
            _ => (flag, inline),
        };
        let value = if TAKES_VALUE.contains(&flag.as_str()) && inline.is_none() {
            i += 1;
            words.get(i).cloned()
        } else {
            inline
        };
        match flag.as_str() {
            "-v" | "--volume" => shown_volumes.push(value.unwrap_or_default()),
            "--privileged" => shown_privileged = value.as_deref() != Some("false"),
            "--network" | "--net"
                if !matches!(value.as_deref(), Some("host") | Some("container")) => {}
            other if HOST_ACCESS.contains(&other) => found.push(format!(
                "the `docker:` line shows `{other}`, which a lesson's `run` action cannot do"
            )),
            _ => {}
        }
        i += 1;
    }
    if shown_image != Some(image.as_str()) {
        found.push(format!(
            "the `docker:` line runs `{}` but the action runs `{image}`",
            shown_image.unwrap_or("no image")
        ));
    }
    if shown_privileged != *privileged {
        found.push(if *privileged {
            "the action is privileged: its `docker:` line must show `--privileged`".to_string()
        } else {
            "the `docker:` line shows `--privileged` but the action is not privileged".to_string()
        });
    }
    let split = |v: &str| {
        v.split_once(':')
            .map(|(host, inside)| {
                let inside = inside.split(':').next().unwrap_or(inside);
                (host.to_string(), inside.to_string())
            })
            .unwrap_or((v.to_string(), String::new()))
    };
    let shown: Vec<(String, String)> = shown_volumes.iter().map(|v| split(v)).collect();
    let acted: Vec<(String, String)> = volumes.iter().map(|v| split(v)).collect();
    for (host, inside) in &shown {
        if !acted
            .iter()
            .any(|(h, i)| i == inside && same_folder(host, h))
        {
            found.push(format!(
                "the `docker:` line mounts `{host}:{inside}`, which the action's `volumes` do not"
            ));
        }
    }
    for (host, inside) in &acted {
        if !shown
            .iter()
            .any(|(h, i)| i == inside && same_folder(h, host))
        {
            found.push(format!(
                "the action mounts `{host}:{inside}` but the `docker:` line does not show it"
            ));
        }
    }
    found
}

/// The `docker run` command an already filled `run` action amounts to,
/// bind mounts with their real host folders: what the learner confirms.
pub fn run_command(
    container: &str,
    image: &str,
    ports: &[u16],
    binds: &[(std::path::PathBuf, String)],
    cmd: Option<&[String]>,
    privileged: bool,
) -> String {
    let quote = |s: &str| {
        if !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c))
        {
            s.to_string()
        } else {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
    };
    let mut parts = vec![
        "docker run -d".to_string(),
        format!("--name {}", quote(container)),
    ];
    if privileged {
        parts.push("--privileged".into());
    }
    for port in ports {
        parts.push(format!("-p 127.0.0.1::{port}"));
    }
    for (host, inside) in binds {
        parts.push(format!(
            "-v {}",
            quote(&format!("{}:{inside}", host.display()))
        ));
    }
    parts.push(quote(image));
    for arg in cmd.unwrap_or_default() {
        parts.push(quote(arg));
    }
    super::trust::printable(&parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(image: &str, volumes: &[&str], privileged: bool) -> Action {
        Action::Run {
            name: "web".into(),
            image: image.into(),
            ports: vec![80],
            volumes: volumes.iter().map(|v| v.to_string()).collect(),
            cmd: None,
            privileged,
            host_port: None,
        }
    }

    #[test]
    fn the_embedded_style_lines_agree_with_their_actions() {
        let logs = run("{image}", &["nginx-logs:/var/log/nginx"], false);
        assert_eq!(
            mismatches(
                r#"docker run -d --name web-logs -p 127.0.0.1:8081:80 -v "{workspace}/nginx-logs:/var/log/nginx" {image}"#,
                &logs
            ),
            Vec::<String>::new()
        );
        let privileged = run("{image}", &[], true);
        assert!(mismatches("docker run -d --name k --privileged {image}", &privileged).is_empty());
        assert!(
            mismatches(
                "docker run -d --name k {base_image} sleep 86400",
                &run("{base_image}", &[], false)
            )
            .is_empty()
        );
    }

    #[test]
    fn a_harmless_looking_line_over_a_dangerous_action_is_caught() {
        let evil = run("{image}", &["{workspace}/../../..:/host"], false);
        let found = mismatches(
            "docker run -d -v {workspace}/logs:/var/log/nginx {image}",
            &evil,
        );
        assert_eq!(found.len(), 2, "{found:?}");
        let found = mismatches("docker run -d {image}", &run("{image}", &[], true));
        assert!(found[0].contains("must show `--privileged`"), "{found:?}");
        let found = mismatches(
            "docker run --cap-add SYS_ADMIN -d {image}",
            &run("{image}", &[], false),
        );
        assert!(found[0].contains("--cap-add"), "{found:?}");
        let found = mismatches("docker run -d nginx", &run("{image}", &[], false));
        assert!(found[0].contains("runs `nginx`"), "{found:?}");
    }

    #[test]
    fn other_actions_may_not_show_a_container_start() {
        let exec = Action::Exec {
            container: "web".into(),
            command: "nginx -v".into(),
            save_as: None,
        };
        assert!(mismatches("docker exec web nginx -v", &exec).is_empty());
        assert_eq!(mismatches("docker run -v /:/h alpine", &exec).len(), 1);
    }

    #[test]
    fn the_derived_command_shows_everything() {
        let shown = run_command(
            "layerlab-k",
            "alpine:3.22",
            &[80],
            &[("/home/a/ws/out".into(), "/out".into())],
            Some(&["sh".to_string(), "-c".to_string(), "echo hi".to_string()]),
            true,
        );
        assert_eq!(
            shown,
            "docker run -d --name layerlab-k --privileged -p 127.0.0.1::80 -v /home/a/ws/out:/out alpine:3.22 sh -c 'echo hi'"
        );
    }
}
