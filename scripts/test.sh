#!/usr/bin/env bash
# scripts/test.sh: THE one command that tests layerlab, locally and in CI
# (.ci/run execs it). On a fresh Debian machine of the project's kind it:
#   1. installs what is missing (one apt-get update, then docker-registry,
#      apache2-utils for htpasswd, curl, tmux, time, busybox-static);
#   2. checks the Docker daemon (CI=true: unreachable is a failure; otherwise
#      Docker tests skip loudly);
#   3. builds the offline stand-in for alpine:3.22 (scripts/standin-base.sh);
#   4. starts a second, current Docker Engine (scripts/engine-current.sh:
#      Debian unstable's docker.io with the containerd image store and
#      BuildKit, own socket, data and bridge) and loads the stand-in into it;
#   5. starts two throwaway registries on free 127.0.0.1 ports, one of them with
#      htpasswd basic auth and a generated test-only account;
#   6. runs the whole suite (cargo nextest, else cargo test) against the
#      machine's engine, then the Docker tests again against the second engine
#      (the tests that asked for a daemon, the stand-in or a registry in the
#      first pass), then clippy and rustfmt;
#   7. on each engine, removes the build cache the run left (untagged labelled
#      images), then reports containers/images labelled layerlab.managed=true
#      that the suite left behind (a failure: tests clean up after themselves);
#   8. stops the second engine (removing its bridge and data) and the
#      registries (deleting their storage), also on failure or ^C.
# The stand-in image stays: it is the cache that makes the next run fast.
# Arguments, if any, go to the test runner (e.g. a nextest filter: `nginx`).
# LAYERLAB_TEST_ENGINES=default skips the second engine; =current runs the
# suite against the second engine only.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
readonly started_at=$SECONDS
ci=false
if [[ "${CI:-}" == "true" || "${CI:-}" == "1" ]]; then ci=true; fi

section() { printf '\n==== %s ====\n' "$*"; }
note() { printf '  %s\n' "$*"; }
fatal() {
	printf '\nFAILED: %s\n' "$*" >&2
	exit 1
}
elapsed() { printf '%ss' "$((SECONDS - $1))"; }

as_root() {
	if [[ $EUID -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo -n "$@"
	else
		fatal "need root (or sudo) to run: $*"
	fi
}

work="$(mktemp -d "${TMPDIR:-/tmp}/layerlab-test.XXXXXX")" || fatal "cannot create a temporary folder"
registry_pids=()
engine2_run=""
stop_started_things() {
	local pid
	# The second engine first: its run folder is inside $work.
	if [[ -n "$engine2_run" ]]; then
		as_root bash scripts/engine-current.sh stop "$engine2_run" ||
			printf 'WARNING: stopping the second engine failed; see %s\n' "$engine2_run" >&2
	fi
	for pid in "${registry_pids[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$work"
}
trap stop_started_things EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. tools -----------------------------------------------------------------
section "1/8 Tools"
step_started=$SECONDS
declare -A package_for=(
	[docker-registry]=docker-registry
	[htpasswd]=apache2-utils
	[curl]=curl
	[tmux]=tmux
	[/usr/bin/time]=time
)
missing_packages=()
for tool in "${!package_for[@]}"; do
	command -v "$tool" >/dev/null || missing_packages+=("${package_for[$tool]}")
done
# The Docker tests put the host's /bin/busybox into their tiny test image, so
# it must be the statically linked one (Debian's `busybox` is dynamic).
if ! { [[ -x /bin/busybox ]] && LC_ALL=C ldd /bin/busybox 2>&1 | grep -q 'not a dynamic executable'; }; then
	missing_packages+=(busybox-static)
fi
if ((${#missing_packages[@]})); then
	note "installing: ${missing_packages[*]}"
	export DEBIAN_FRONTEND=noninteractive
	as_root apt-get update -qq || fatal "apt-get update failed"
	as_root apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >"$work/apt.log" 2>&1 ||
		fatal "apt-get install ${missing_packages[*]} failed:
$(tail -n 20 "$work/apt.log")"
else
	note "all system tools present"
fi
command -v cargo >/dev/null || fatal "cargo not found: install the Rust toolchain (rustup) first"
cargo clippy --version >/dev/null 2>&1 || fatal "cargo clippy not found: rustup component add clippy"
cargo fmt --version >/dev/null 2>&1 || fatal "cargo fmt not found: rustup component add rustfmt"
use_nextest=false
if cargo nextest --version >/dev/null 2>&1; then use_nextest=true; fi
note "$(cargo --version); nextest: $use_nextest ($(elapsed "$step_started"))"

# --- 2. Docker daemon -----------------------------------------------------------
section "2/8 Docker daemon"
docker_ok=false
if ! command -v docker >/dev/null; then
	why="the docker CLI is not installed (the test tooling uses it; the product does not)"
elif ! server="$(timeout 20 docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>&1)"; then
	why="the daemon does not answer: $(tr -s '\n' ' ' <<<"$server")"
else
	docker_ok=true
	note "Docker Engine $server at ${DOCKER_HOST:-unix:///var/run/docker.sock}"
fi
if ! $docker_ok; then
	if $ci; then
		fatal "CI=true and no Docker daemon: $why"
	fi
	note "WARNING: no Docker daemon ($why)"
	note "WARNING: the Docker tests will be SKIPPED (loudly); CI=true makes this a failure"
fi

# --- 3. stand-in base image -----------------------------------------------------
section "3/8 Stand-in base image (TEST DOUBLE for alpine:3.22)"
if $docker_ok; then
	step_started=$SECONDS
	standin_output="$(bash scripts/standin-base.sh)" || fatal "scripts/standin-base.sh failed (see above)"
	standin_ref="$(tail -n1 <<<"$standin_output")"
	export LAYERLAB_TEST_BASE_IMAGE="$standin_ref"
	note "LAYERLAB_TEST_BASE_IMAGE=$standin_ref ($(elapsed "$step_started"))"
else
	note "skipped: no Docker daemon"
fi

# --- 4. second engine -------------------------------------------------------------
section "4/8 Second engine (current Docker Engine, containerd image store, BuildKit)"
engines="${LAYERLAB_TEST_ENGINES:-both}"
case "$engines" in
both | default | current) ;;
*) fatal "LAYERLAB_TEST_ENGINES must be both, default or current, not '$engines'" ;;
esac
engine2_ok=false
if ! $docker_ok; then
	note "skipped: no Docker daemon (the stand-in is loaded from it)"
elif [[ "$engines" == default ]]; then
	note "skipped: LAYERLAB_TEST_ENGINES=default"
else
	step_started=$SECONDS
	engine2_run="$work/engine2"
	if engine2_version="$(as_root bash scripts/engine-current.sh start "$engine2_run" "$LAYERLAB_TEST_BASE_IMAGE")" &&
		# shellcheck source=/dev/null
		source "$engine2_run/env"; then
		engine2_ok=true
		export LAYERLAB_TEST_ENGINE2_HOST="$LAYERLAB_ENGINE2_HOST"
		export LAYERLAB_TEST_ENGINE2_DOCKER_CONFIG="$LAYERLAB_ENGINE2_DOCKER_CONFIG"
		note "$engine2_version at $LAYERLAB_TEST_ENGINE2_HOST ($(elapsed "$step_started"))"
		note "LAYERLAB_TEST_ENGINE2_HOST=$LAYERLAB_TEST_ENGINE2_HOST"
		note "LAYERLAB_TEST_ENGINE2_DOCKER_CONFIG=$LAYERLAB_TEST_ENGINE2_DOCKER_CONFIG (cli-plugins/docker-buildx)"
	elif $ci; then
		fatal "CI=true and the second engine did not start (scripts/engine-current.sh, above): CI tests both engines"
	else
		engine2_run=""
		note "WARNING: the second engine did not start (see above); ONLY the default engine is tested"
		note "WARNING: (a failure with CI=true; LAYERLAB_TEST_ENGINES=default says you mean it)"
	fi
fi
if [[ "$engines" == current ]] && ! $engine2_ok; then
	fatal "LAYERLAB_TEST_ENGINES=current, but there is no second engine"
fi
on_engine2() { DOCKER_HOST="$LAYERLAB_TEST_ENGINE2_HOST" DOCKER_CONFIG="$LAYERLAB_TEST_ENGINE2_DOCKER_CONFIG" "$@"; }

# --- 5. registries ---------------------------------------------------------------
section "5/8 Local registries"

# Ports from below Linux's ephemeral range (32768+), where Docker picks the
# host ports it publishes, so a test container cannot take ours later.
free_port() {
	local port _
	for _ in $(seq 1 100); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			printf '%s\n' "$port"
			return 0
		fi
	done
	return 1
}

random_hex() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# start_registry NAME WITH_AUTH -> sets started_port; bounded: 5 ports x 10 s.
start_registry() {
	local name="$1" with_auth="$2" dir="$work/$1" attempt port pid code _
	mkdir -p "$dir/storage"
	for attempt in 1 2 3 4 5; do
		port="$(free_port)" || return 1
		{
			printf 'version: 0.1\n'
			printf 'log:\n  level: info\n  accesslog:\n    disabled: true\n'
			printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$dir/storage"
			printf 'http:\n  addr: 127.0.0.1:%s\n  secret: %s\n' "$port" "$(random_hex)"
			if [[ "$with_auth" == 1 ]]; then
				printf 'auth:\n  htpasswd:\n    realm: layerlab-test\n    path: %s\n' "$dir/htpasswd"
			fi
		} >"$dir/config.yml"
		docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
		pid=$!
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$port/v2/")"
			# Only ours counts: alive, says it listens on this port, and answers.
			if [[ "$code" == 200 || ("$with_auth" == 1 && "$code" == 401) ]] &&
				grep -q "listening on 127.0.0.1:$port" "$dir/registry.log" && kill -0 "$pid" 2>/dev/null; then
				registry_pids+=("$pid")
				started_port="$port"
				return 0
			fi
			sleep 0.2
		done
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		note "registry $name did not come up on port $port (try $attempt/5): $(tail -n2 "$dir/registry.log" | tr '\n' ' ')"
	done
	return 1
}

if $docker_ok; then
	step_started=$SECONDS
	start_registry plain 0 || fatal "could not start the plain test registry"
	export LAYERLAB_TEST_REGISTRY="127.0.0.1:$started_port"

	# Test-only throwaway account: the password is generated per run, handed to
	# htpasswd on stdin (never on a command line) and never printed.
	LAYERLAB_TEST_AUTH_USER="layerlab-test"
	LAYERLAB_TEST_AUTH_PASSWORD="$(random_hex)"
	mkdir -p "$work/auth"
	printf '%s' "$LAYERLAB_TEST_AUTH_PASSWORD" |
		htpasswd -iBn "$LAYERLAB_TEST_AUTH_USER" >"$work/auth/htpasswd" 2>"$work/auth/htpasswd.err" ||
		fatal "htpasswd failed: $(cat "$work/auth/htpasswd.err")"
	start_registry auth 1 || fatal "could not start the auth test registry"
	export LAYERLAB_TEST_AUTH_REGISTRY="127.0.0.1:$started_port"
	export LAYERLAB_TEST_AUTH_USER LAYERLAB_TEST_AUTH_PASSWORD
	note "LAYERLAB_TEST_REGISTRY=$LAYERLAB_TEST_REGISTRY"
	note "LAYERLAB_TEST_AUTH_REGISTRY=$LAYERLAB_TEST_AUTH_REGISTRY (basic auth)"
	note "LAYERLAB_TEST_AUTH_USER=$LAYERLAB_TEST_AUTH_USER, LAYERLAB_TEST_AUTH_PASSWORD=<set, not shown>"
	note "started in $(elapsed "$step_started"); storage in $work (deleted at exit)"
else
	note "skipped: no Docker daemon"
fi

# with_engine default|current CMD...: CMD against that engine (its socket and,
# for the second one, the DOCKER_CONFIG holding the buildx plugin).
with_engine() {
	local engine="$1"
	shift
	if [[ "$engine" == current ]]; then on_engine2 "$@"; else "$@"; fi
}
labelled() { # containers|images -> sorted ids carrying layerlab.managed=true
	case "$1" in
	containers) docker ps -aq --no-trunc --filter label=layerlab.managed=true ;;
	# The busybox test image (tests/it/common, busybox_image) is a fixture
	# the tests share and keep, like the stand-in: not a leftover.
	images) comm -23 <(docker images -aq --no-trunc --filter label=layerlab.managed=true | sort -u) \
		<(docker images -aq --no-trunc --filter label=layerlab.test=busybox | sort -u) ;;
	esac 2>/dev/null | sort -u
}
# The engines whose leftovers are checked, and the first pass's engine.
checked_engines=()
first_engine=default
if [[ "$engines" == current ]]; then first_engine=current; fi
if $docker_ok && [[ "$engines" != current ]]; then checked_engines+=(default); fi
if $engine2_ok; then checked_engines+=(current); fi
for engine in "${checked_engines[@]}"; do
	with_engine "$engine" labelled containers >"$work/$engine.containers.before"
	with_engine "$engine" labelled images >"$work/$engine.images.before"
done

# --- 6. tests -----------------------------------------------------------------------
section "6/8 Tests"
step_started=$SECONDS
tests_summary=""
tests2_summary=""
tests2_time=""
second_pass=false
if $engine2_ok && [[ "$engines" == both ]]; then second_pass=true; fi
if $use_nextest; then
	if [[ -f src/lib.rs ]]; then
		note "doc tests (nextest does not run them): cargo test --locked --doc"
		cargo test --locked --doc 2>&1 | tee "$work/doctests.log"
		doctests_rc=${PIPESTATUS[0]}
	else
		doctests_rc=0
		: >"$work/doctests.log"
	fi
	nextest_args=(--locked --no-fail-fast)
	# nextest hides what passing tests print; without a daemon the Docker
	# tests pass by skipping, and their SKIPPED lines must stay visible.
	if ! $docker_ok; then nextest_args+=(--success-output final); fi
	# Every Docker test writes its name here (tests/it/common/skip.rs,
	# uses_docker): the second pass runs exactly those.
	: >"$work/docker-tests"
	note "pass 1, $first_engine engine: cargo nextest run ${nextest_args[*]} $*"
	LAYERLAB_TEST_DOCKER_TESTS="$work/docker-tests" with_engine "$first_engine" \
		cargo nextest run "${nextest_args[@]}" "$@" 2>&1 | tee "$work/tests.log"
	tests_rc=${PIPESTATUS[0]}
	tests_summary="$(grep -E '^ *Summary \[' "$work/tests.log" | tail -n1 | sed 's/^ *//')"
	tests_time="$(elapsed "$step_started")"
	doc_passed="$(awk '/^test result:/ { p += $4 } END { print p + 0 }' "$work/doctests.log" 2>/dev/null || echo 0)"
	doc_failed="$(awk '/^test result:/ { f += $6 } END { print f + 0 }' "$work/doctests.log" 2>/dev/null || echo 0)"
	if ((doctests_rc != 0)); then tests_rc=$doctests_rc; fi
	if $second_pass; then
		step2_started=$SECONDS
		sort -u "$work/docker-tests" | grep -E '^[A-Za-z0-9_:]+$' >"$work/docker-tests.sorted"
		if [[ -s "$work/docker-tests.sorted" ]]; then
			filter="$(sed 's/.*/test(=&)/' "$work/docker-tests.sorted" | paste -sd'|' | sed 's/|/ | /g')"
			note "pass 2, current engine ($LAYERLAB_TEST_ENGINE2_HOST): the $(wc -l <"$work/docker-tests.sorted") Docker tests of pass 1"
			on_engine2 cargo nextest run --locked --no-fail-fast -E "$filter" 2>&1 | tee "$work/tests2.log"
			tests2_rc=${PIPESTATUS[0]}
			tests2_summary="$(grep -E '^ *Summary \[' "$work/tests2.log" | tail -n1 | sed 's/^ *//')"
			if ((tests2_rc != 0)); then tests_rc=$tests2_rc; fi
		else
			note "pass 2 skipped: no Docker test ran in pass 1"
		fi
		tests2_time="$(elapsed "$step2_started")"
	fi
else
	note "cargo test --locked --no-fail-fast"
	with_engine "$first_engine" cargo test --locked --no-fail-fast "$@" 2>&1 | tee "$work/tests.log"
	tests_rc=${PIPESTATUS[0]}
	tests_summary="$(awk '/^test result:/ { p += $4; f += $6 } END { printf "cargo test: %d passed, %d failed", p, f }' "$work/tests.log")"
	tests_time="$(elapsed "$step_started")"
	if $second_pass; then
		note "WARNING: the second engine's pass needs cargo-nextest (it selects the Docker tests by name)"
		if $ci; then tests_rc=1; fi
	fi
fi

# --- 7. lints -----------------------------------------------------------------------
section "7/8 Lints"
step_started=$SECONDS
note "cargo clippy --all-targets --locked -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings
clippy_rc=$?
note "cargo fmt --check"
cargo fmt --check
fmt_rc=$?
lints_time="$(elapsed "$step_started")"

# --- 8. leftovers -------------------------------------------------------------------
section "8/8 Leftovers"
leak_rc=0
# leftovers ENGINE: the build-cache cleanup and the leak check on one engine.
leftovers() {
	local engine="$1" id pruned=0 leaked_containers leaked_images shared=true
	# The second engine is this run's alone: whatever is left there is ours.
	if [[ "$engine" == current ]]; then shared=false; fi
	# The tests' cleanups remove tags without pruning parents: the parents
	# are build cache a parallel build may be standing on. With every test
	# done, the untagged labelled images that appeared during this run go,
	# newest first, each removal pruning the parents nothing else uses.
	# Images in use or with children are refused by the daemon and stay.
	with_engine "$engine" docker images -aq --no-trunc --filter label=layerlab.managed=true --filter dangling=true 2>/dev/null |
		sort -u >"$work/$engine.dangling.after"
	for id in $(comm -13 "$work/$engine.images.before" "$work/$engine.dangling.after" |
		with_engine "$engine" xargs -r docker image inspect --format '{{.Created}} {{.Id}}' 2>/dev/null | sort -r | cut -d' ' -f2); do
		if with_engine "$engine" docker image rm "$id" >/dev/null 2>&1; then pruned=$((pruned + 1)); fi
	done
	note "$engine engine: build cache of this run removed: $pruned untagged image(s) and their unused parents"
	with_engine "$engine" labelled containers >"$work/$engine.containers.after"
	with_engine "$engine" labelled images >"$work/$engine.images.after"
	leaked_containers="$(comm -13 "$work/$engine.containers.before" "$work/$engine.containers.after")"
	leaked_images="$(comm -13 "$work/$engine.images.before" "$work/$engine.images.after")"
	if [[ -z "$leaked_containers" && -z "$leaked_images" ]]; then
		note "$engine engine: no leftovers"
		return 0
	fi
	note "$engine engine: tests left labelled things behind (each test must remove what it creates):"
	for id in $leaked_containers; do
		note "  container ${id:0:12} $(with_engine "$engine" docker inspect --format '{{.Name}} {{.Config.Image}} {{.State.Status}}' "$id" 2>/dev/null)"
	done
	for id in $leaked_images; do
		note "  image ${id#sha256:} $(with_engine "$engine" docker image inspect --format '{{join .RepoTags " "}}' "$id" 2>/dev/null)"
	done
	# Another developer's run may share the default daemon and be mid-test:
	# only in CI (which has the machine to itself), or on the second engine
	# (this run's own), are these surely leaks, so only there are they
	# removed and counted as a failure.
	if $ci || ! $shared; then
		leak_rc=1
		for id in $leaked_containers; do with_engine "$engine" docker rm -f -v "$id" >/dev/null 2>&1; done
		for id in $leaked_images; do with_engine "$engine" docker image rm "$id" >/dev/null 2>&1; done
		note "removed them; this is a FAILURE"
	else
		note "WARNING (a failure with CI=true); not removed, as another run may share this daemon:"
		note "remove them by id with docker rm -f ID / docker image rm ID"
	fi
}
if ((${#checked_engines[@]})); then
	for engine in "${checked_engines[@]}"; do leftovers "$engine"; done
else
	note "skipped: no Docker daemon"
fi

# --- summary ------------------------------------------------------------------------
result() { if (($1 == 0)); then printf 'ok'; else printf 'FAILED'; fi; }
section "Summary"
if [[ -n "$tests2_summary" ]]; then
	note "tests:     $(result "$tests_rc") (pass 1, $first_engine engine: $tests_time) ${tests_summary}"
	note "           (pass 2, current engine ${engine2_version:-}: $tests2_time) ${tests2_summary}"
else
	note "tests:     $(result "$tests_rc") ($first_engine engine: $tests_time) ${tests_summary}"
fi
note "clippy:    $(result "$clippy_rc")"
note "rustfmt:   $(result "$fmt_rc") (lints $lints_time)"
note "leftovers: $(result "$leak_rc")"
if ! $docker_ok; then note "Docker:    NOT AVAILABLE, Docker tests were skipped"; fi
if $docker_ok && ! $engine2_ok && [[ "$engines" != default ]]; then
	note "engines:   WARNING: only the default engine was tested (the second one did not start)"
fi
note "total:     $(elapsed "$started_at")"
# The plain closing line CI reads, restated from the runners' own summaries
# (both passes: a Docker test that ran on both engines counts twice).
count() { # SUMMARY WORD -> the number before WORD, or 0
	if [[ "$1" =~ ([0-9]+)\ $2 ]]; then printf '%s' "${BASH_REMATCH[1]}"; else printf 0; fi
}
if [[ "$tests_summary" =~ [0-9]+\ passed ]]; then
	passed=$(($(count "$tests_summary" passed) + $(count "$tests2_summary" passed) + ${doc_passed:-0}))
	failed=$(($(count "$tests_summary" failed) + $(count "$tests2_summary" failed) + ${doc_failed:-0}))
	printf 'tests: %s passed, %s failed\n' "$passed" "$failed"
fi
if ((tests_rc != 0 || clippy_rc != 0 || fmt_rc != 0 || leak_rc != 0)); then
	exit 1
fi
