//! `layerlab grade` against the harness's real registries: a class of
//! student images built and pushed with the real docker CLI (as students
//! would) FROM the offline stand-in, graded from the registry alone, with
//! the Docker daemon unreachable for the grader. Needs the daemon (for the
//! students' side), the stand-in and the registries (`scripts/test.sh`);
//! CI=true fails without them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::common::{self, Cleanup};
use crate::homework::{assets, layerlab_with};
use crate::support;

const PLACEHOLDER: &str = "ВАШЕ ИМЯ / YOUR NAME";

/// The docker CLI, bounded; panics with its stderr when it fails.
fn docker(args: &[&str], config: Option<&Path>, stdin: Option<&str>) -> String {
    let mut command = assert_cmd::Command::new("docker");
    command.args(args).timeout(Duration::from_secs(300));
    if let Some(config) = config {
        command.env("DOCKER_CONFIG", config);
    }
    if let Some(stdin) = stdin {
        command.write_stdin(stdin.as_bytes().to_vec());
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("docker {args:?}: {e}"));
    assert!(
        output.status.success(),
        "docker {:?} failed: {}",
        args.first(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The workspace template with the student's name in place of the placeholder.
fn own_context(dir: &Path) -> PathBuf {
    let context = dir.join("own");
    copy_dir(&assets(), &context);
    let page = context.join("rootfs/var/www/localhost/htdocs/index.html");
    let text = std::fs::read_to_string(&page).expect("page");
    assert!(
        text.contains(PLACEHOLDER),
        "the template has its placeholder"
    );
    std::fs::write(&page, text.replace(PLACEHOLDER, "Анна Иванова")).expect("write page");
    // The same image, but CMD ["nginx"]: nginx forks into the background.
    let dockerfile = std::fs::read_to_string(context.join("Dockerfile")).expect("Dockerfile");
    let background = dockerfile.replace(
        "CMD [\"nginx\", \"-g\", \"daemon off;\"]",
        "CMD [\"nginx\"]",
    );
    assert_ne!(
        background, dockerfile,
        "the Dockerfile has the foreground CMD"
    );
    std::fs::write(context.join("Dockerfile.background"), background).expect("write");
    // A student page on a base that is not Alpine (no nginx at all).
    std::fs::write(
        context.join("Dockerfile.other-base"),
        "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY rootfs/ /\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\n",
    )
    .expect("write");
    context
}

/// A one-layer base whose os-release says Debian (FROM scratch).
fn other_base(dir: &Path, cleanup: &mut Cleanup) -> String {
    let context = dir.join("other-base");
    std::fs::create_dir_all(&context).expect("mkdir");
    std::fs::write(
        context.join("os-release"),
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
    )
    .expect("write");
    std::fs::write(
        context.join("Dockerfile"),
        "FROM scratch\nCOPY os-release /etc/os-release\n",
    )
    .expect("write");
    let tag = format!("layerlab-test/{}:1", common::unique_name("grade-debianish"));
    cleanup.image(&tag);
    build(&context, "Dockerfile", &tag, None);
    tag
}

fn build(context: &Path, dockerfile: &str, tag: &str, base: Option<&str>) {
    let dockerfile = context.join(dockerfile);
    let mut args = vec![
        "build".to_string(),
        "-q".into(),
        "--label".into(),
        "layerlab.managed=true".into(),
        "--label".into(),
        format!("{}=grade", common::TEST_LABEL),
        "-f".into(),
        dockerfile.display().to_string(),
        "-t".into(),
        tag.to_string(),
    ];
    if let Some(base) = base {
        args.push("--build-arg".into());
        args.push(format!("BASE_IMAGE={base}"));
    }
    args.push(context.display().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // One more try: a parallel test's cleanup can remove a cached parent
    // mid-build ("unknown parent image ID"), which is not what is tested here.
    let first = std::panic::catch_unwind(|| docker(&args, None, None));
    if let Err(failure) = first {
        let text = failure
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        eprintln!("docker build failed once, trying again: {text}");
        docker(&args, None, None);
    }
}

/// Builds, tags REGISTRY/<unique>/<name>:hw and pushes with the docker CLI.
fn student(
    registry: &str,
    cleanup: &mut Cleanup,
    context: &Path,
    dockerfile: &str,
    base: &str,
    name: &str,
    config: Option<&Path>,
) -> String {
    let reference = format!("{registry}/{}/{name}:hw", common::unique_name("class"));
    cleanup.image(&reference);
    build(context, dockerfile, &reference, Some(base));
    docker(&["push", &reference], config, None);
    reference
}

fn row<'a>(rows: &'a Value, student: &str) -> &'a Value {
    rows.as_array()
        .expect("a list of rows")
        .iter()
        .find(|r| r["student"] == student)
        .unwrap_or_else(|| panic!("no row for {student} in {rows:#}"))
}

/// Asserts one criterion's verdict and that its reason says `contains`.
fn assert_criterion(rows: &Value, student: &str, id: &str, passed: bool, contains: &str) {
    let row = row(rows, student);
    let criterion = row["criteria"]
        .as_array()
        .expect("criteria")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("{student}: no criterion {id} in {row:#}"));
    let reason = criterion["reason"].as_str().expect("a reason");
    assert_eq!(
        criterion["passed"], passed,
        "{student}/{id} should be {passed}: {reason}"
    );
    assert!(
        reason.contains(contains),
        "{student}/{id}: `{contains}` not in `{reason}`"
    );
}

/// A DOCKER_HOST that surely has no daemon behind it.
fn dead_docker_host(dir: &Path) -> String {
    let socket = dir.join("no-daemon.sock");
    assert!(!socket.exists());
    format!("unix://{}", socket.display())
}

#[tokio::test]
async fn grade_grades_a_class_from_the_registry_with_no_docker_daemon() {
    let Some(_docker) = common::docker_or_skip().await else {
        return;
    };
    let (Some(base), Some(registry)) = (support::standin_base(), support::test_registry()) else {
        return;
    };
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let own = own_context(dir.path());
    let debianish = other_base(dir.path(), &mut cleanup);
    let template = assets();
    let class = [
        ("good", own.as_path(), "Dockerfile", base.as_str()),
        ("template", template.as_path(), "Dockerfile", base.as_str()),
        ("layers", own.as_path(), "Dockerfile.naive", base.as_str()),
        (
            "debian",
            own.as_path(),
            "Dockerfile.other-base",
            debianish.as_str(),
        ),
        (
            "background",
            own.as_path(),
            "Dockerfile.background",
            base.as_str(),
        ),
    ];
    let mut lines = vec!["student,image".to_string()];
    for (name, context, dockerfile, from) in class {
        let reference = student(
            &registry,
            &mut cleanup,
            context,
            dockerfile,
            from,
            name,
            None,
        );
        lines.push(format!("{name},{reference}"));
    }
    // Listed, never pushed.
    let ghost = format!("{registry}/{}/ghost:hw", common::unique_name("class"));
    lines.push(format!("ghost,{ghost}"));
    // Malformed lines: reported, the rest still graded.
    lines.push("carl,Not A Reference".into());
    lines.push(format!(",{registry}/x/nobody:1"));
    lines.push("dora,r.example/d:1,surplus".into());
    let roster = dir.path().join("roster.csv");
    std::fs::write(&roster, lines.join("\n") + "\n").expect("roster");
    let roster = roster.display().to_string();

    // The grader has no daemon: DOCKER_HOST points at nothing.
    let dead = dead_docker_host(dir.path());
    let empty_config = tempfile::tempdir().expect("config dir");
    let config = empty_config.path().display().to_string();
    let env = [
        ("DOCKER_HOST", dead.as_str()),
        ("DOCKER_CONFIG", config.as_str()),
    ];
    let data = tempfile::tempdir().expect("data");
    let (code, stdout, stderr) = layerlab_with(
        data.path(),
        "en",
        &env,
        &["grade", &roster, "--json", "--accept-base", "--stats"],
    );
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let rows: Value = serde_json::from_str(&stdout).expect("JSON rows");
    assert_eq!(rows.as_array().map(Vec::len), Some(6), "{rows:#}");

    // The roster's bad lines, by line number, and nothing else.
    for (line, needle) in [
        (8, "whitespace"),
        (9, "the student name is empty"),
        (10, "expected fields: 2, found 3"),
    ] {
        let prefix = format!("{roster}:{line}: ");
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&prefix) && l.contains(needle)),
            "`{prefix}…{needle}` in stderr:\n{stderr}"
        );
    }

    assert_eq!(row(&rows, "good")["passed"], true, "{rows:#}");
    assert_criterion(&rows, "good", "alpine_base", true, "--accept-base");
    assert_criterion(
        &rows,
        "good",
        "own_page",
        true,
        "Hello from my own nginx image",
    );
    assert_criterion(&rows, "good", "layer_count", true, "3 layers ≤ 3");
    assert_criterion(&rows, "good", "foreground", true, "daemon off;");
    assert!(
        row(&rows, "good")["digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:")),
        "{rows:#}"
    );

    assert_eq!(row(&rows, "template")["passed"], false);
    assert_criterion(&rows, "template", "own_page", false, PLACEHOLDER);
    assert_criterion(&rows, "template", "layer_count", true, "3 layers");
    assert_criterion(&rows, "template", "foreground", true, "");

    assert_criterion(&rows, "layers", "layer_count", false, "5 layers > 3");
    assert_criterion(&rows, "layers", "own_page", true, "own page");
    assert_criterion(&rows, "layers", "alpine_base", true, "");

    assert_criterion(&rows, "debian", "alpine_base", false, "ID=debian");
    assert_criterion(&rows, "debian", "layer_count", true, "2 layers");
    assert_criterion(&rows, "debian", "own_page", false, "/etc/nginx/nginx.conf");

    assert_criterion(&rows, "background", "foreground", false, "background");
    assert_criterion(&rows, "background", "own_page", true, "own page");
    assert_criterion(&rows, "background", "alpine_base", true, "");

    assert_eq!(row(&rows, "ghost")["passed"], false);
    assert_criterion(&rows, "ghost", "image", false, "MANIFEST_UNKNOWN");
    assert_criterion(&rows, "ghost", "own_page", false, "not checked");
    assert!(row(&rows, "ghost")["digest"].is_null());

    // No report column, no report criterion.
    for r in rows.as_array().expect("rows") {
        assert!(
            r["criteria"].as_array().is_some_and(|c| c.len() == 5),
            "{r:#}"
        );
    }
    // Reading is cheap: a student costs a handful of requests, and the
    // shared base layer is fetched once for the class.
    let good = &row(&rows, "good")["requests"];
    assert!(
        good["requests"]
            .as_u64()
            .is_some_and(|n| (2..=8).contains(&n)),
        "{good}"
    );
    assert_eq!(row(&rows, "ghost")["requests"]["blobs"], 0);
    assert!(stderr.contains("requests"), "{stderr}");

    // Without --accept-base the stand-in is not Alpine; the table is in
    // Russian with its plurals, the summary counts.
    let (code, stdout, _) = layerlab_with(data.path(), "ru", &env, &["grade", &roster]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.starts_with("| Студент | Ссылка |"), "{stdout}");
    assert!(
        stdout.contains("она засчитывается только с --accept-base"),
        "{stdout}"
    );
    assert!(stdout.contains("3 слоя ≤ 3"), "{stdout}");
    assert!(stdout.contains("5 слоёв > 3"), "{stdout}");
    assert!(
        stdout.contains("Проверено: 6 студентов, сдали всё: 0."),
        "{stdout}"
    );

    // CSV for spreadsheets.
    let (code, stdout, _) = layerlab_with(
        data.path(),
        "en",
        &env,
        &["grade", &roster, "--csv", "--accept-base", "--jobs", "2"],
    );
    assert_eq!(code, 0);
    let mut csv_lines = stdout.lines();
    assert!(
        csv_lines
            .next()
            .is_some_and(|h| h.starts_with("student,image,passed,image_passed,")),
        "{stdout}"
    );
    assert!(
        csv_lines.any(|l| l.starts_with("good,") && l.contains(",true,")),
        "{stdout}"
    );
}

#[tokio::test]
async fn grade_reads_a_private_registry_with_the_docker_login_only() {
    let Some(_docker) = common::docker_or_skip().await else {
        return;
    };
    let (Some(base), Some(registry)) = (support::standin_base(), support::auth_registry()) else {
        return;
    };
    let mut cleanup = Cleanup::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let own = own_context(dir.path());
    // `docker login` as the student (and teacher) would, into a config of its own.
    let login = tempfile::tempdir().expect("docker config");
    docker(
        &[
            "login",
            &registry.address,
            "--username",
            &registry.user,
            "--password-stdin",
        ],
        Some(login.path()),
        Some(&registry.password),
    );
    let reference = student(
        &registry.address,
        &mut cleanup,
        &own,
        "Dockerfile",
        &base,
        "private",
        Some(login.path()),
    );
    let roster = dir.path().join("roster.csv");
    std::fs::write(&roster, format!("student,image\nann,{reference}\n")).expect("roster");
    let roster = roster.display().to_string();
    let dead = dead_docker_host(dir.path());
    let data = tempfile::tempdir().expect("data");

    let with_login = login.path().display().to_string();
    let (code, stdout, stderr) = layerlab_with(
        data.path(),
        "en",
        &[
            ("DOCKER_HOST", dead.as_str()),
            ("DOCKER_CONFIG", with_login.as_str()),
        ],
        &["grade", &roster, "--json", "--accept-base"],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let rows: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(row(&rows, "ann")["passed"], true, "{rows:#}");
    assert_criterion(
        &rows,
        "ann",
        "own_page",
        true,
        "Hello from my own nginx image",
    );

    let anonymous = tempfile::tempdir().expect("empty config");
    let anonymous_config = anonymous.path().display().to_string();
    let (code, stdout, stderr) = layerlab_with(
        data.path(),
        "en",
        &[
            ("DOCKER_HOST", dead.as_str()),
            ("DOCKER_CONFIG", anonymous_config.as_str()),
        ],
        &["grade", &roster, "--json", "--accept-base"],
    );
    assert_eq!(code, 0, "a student's failure is not the run's: {stderr}");
    let rows: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_criterion(&rows, "ann", "image", false, "access denied");
    assert_criterion(&rows, "ann", "image", false, "docker login");
    for text in [&stdout, &stderr] {
        assert!(!text.contains(&registry.password), "the password leaked");
    }
}

#[test]
fn grade_exits_2_when_the_roster_cannot_be_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = tempfile::tempdir().expect("data");
    let dead = dead_docker_host(dir.path());
    let env = [("DOCKER_HOST", dead.as_str())];
    let missing = dir.path().join("nope.csv").display().to_string();
    let (code, _, stderr) = layerlab_with(data.path(), "en", &env, &["grade", &missing]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot read the roster"), "{stderr}");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "name,link\nann,x\n").expect("write");
    let bad = bad.display().to_string();
    let (code, stdout, stderr) = layerlab_with(data.path(), "ru", &env, &["grade", &bad]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.starts_with(&format!("{bad}:1: неизвестный столбец")),
        "{stderr}"
    );
    // A platform that is not OS/ARCH[/VARIANT] is a usage error, before any work.
    let (code, _, stderr) = layerlab_with(
        data.path(),
        "en",
        &env,
        &["grade", &bad, "--platform", "linux/am d64"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--platform"), "{stderr}");
    // A roster with only a header grades nobody, and says so.
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "student,image\n").expect("write");
    let empty = empty.display().to_string();
    let (code, stdout, _) = layerlab_with(data.path(), "en", &env, &["grade", &empty]);
    assert_eq!(code, 0);
    assert!(stdout.contains("Graded: 0 students"), "{stdout}");
}

#[test]
fn grade_reports_an_unreachable_registry_in_the_students_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = tempfile::tempdir().expect("data");
    let dead = dead_docker_host(dir.path());
    // A loopback port nobody listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let roster = dir.path().join("roster.csv");
    std::fs::write(
        &roster,
        format!("student,image\nann,127.0.0.1:{port}/class/ann:hw\n"),
    )
    .expect("roster");
    let roster = roster.display().to_string();
    let started = std::time::Instant::now();
    let (code, stdout, stderr) = layerlab_with(
        data.path(),
        "en",
        &[("DOCKER_HOST", dead.as_str())],
        &["grade", &roster, "--json"],
    );
    assert_eq!(code, 0, "{stderr}");
    let rows: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_criterion(&rows, "ann", "image", false, "unreachable");
    assert_criterion(&rows, "ann", "image", false, "after 4 attempts");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "retries are bounded: {:?}",
        started.elapsed()
    );
}
