#!/usr/bin/env bash
# scripts/bench-grade.sh: `layerlab grade` on a class of N students (default
# 200) against a local docker-registry: total wall time, peak memory
# (/usr/bin/time -v) and the requests per student, counted by layerlab
# (--stats) and by the registry's own access log.
#
#   scripts/bench-grade.sh [--students N] [--jobs J] [--profile release|debug] [--distinct]
#
# --distinct: every student's layers above the base are made unique (a file
# with the student's number appended to each, recompressed), as in a real
# class where each `apk add` and COPY layer is the student's own; without it
# the six images are repeated as they are and layer caching does most work.
#
# What it does, and undoes:
#   1. starts its own docker-registry on a free 127.0.0.1 port (access log on);
#   2. builds the six kinds of homework of tests/it/grade.rs with the docker
#      CLI FROM the offline stand-in (LAYERLAB_TEST_BASE_IMAGE, else
#      scripts/standin-base.sh): good, template page, too many layers, a
#      non-Alpine base, nginx in the background, and a tag never pushed;
#   3. pushes each once and copies it under one repository name per student
#      (cross-repository blob mounts + a manifest PUT: the same six images
#      under N names and tags, as a class would have them);
#   4. grades the roster with --json --stats --accept-base and prints figures;
#   5. on exit (also on failure or ^C) stops the registry by its pid, deletes
#      its storage and removes the image tags it made.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
students=200
jobs=8
profile=release
distinct=0
while [ $# -gt 0 ]; do
	case "$1" in
	--students) students="$2"; shift 2 ;;
	--jobs) jobs="$2"; shift 2 ;;
	--profile) profile="$2"; shift 2 ;;
	--distinct) distinct=1; shift ;;
	-h | --help) sed -n '2,20p' "$0"; exit 0 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done

for tool in docker docker-registry curl python3 /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench-grade: $tool is missing (scripts/test.sh installs it)" >&2; exit 1; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/layerlab-bench-grade.XXXXXX")"
registry_pid=""
made_tags=()
finish() {
	if [[ -n "$registry_pid" ]]; then
		kill "$registry_pid" 2>/dev/null || true
		wait "$registry_pid" 2>/dev/null || true
	fi
	local tag
	for tag in "${made_tags[@]}"; do
		docker image rm "$tag" >/dev/null 2>&1 || true
	done
	rm -rf "$work"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf 'bench-grade: %s\n' "$*" >&2; }

if [[ "$profile" == release ]]; then
	cargo build --release --quiet
	layerlab="$PWD/target/release/layerlab"
else
	cargo build --quiet
	layerlab="$PWD/target/debug/layerlab"
fi

base="${LAYERLAB_TEST_BASE_IMAGE:-}"
if [[ -z "$base" ]]; then
	say "building the offline stand-in base (scripts/standin-base.sh)"
	base="$(bash scripts/standin-base.sh | tail -n1)"
fi

# --- the registry (the pattern of scripts/test.sh) ----------------------------
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
mkdir -p "$work/storage"
for attempt in 1 2 3 4 5; do
	port="$(free_port)"
	cat >"$work/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $work/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
EOF
	docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
	registry_pid=$!
	up=false
	for _ in $(seq 1 50); do
		kill -0 "$registry_pid" 2>/dev/null || break
		if [[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$port/v2/")" == 200 ]]; then
			up=true
			break
		fi
		sleep 0.2
	done
	$up && break
	kill "$registry_pid" 2>/dev/null || true
	wait "$registry_pid" 2>/dev/null || true
	registry_pid=""
	say "registry did not come up on port $port (try $attempt/5)"
done
[[ -n "$registry_pid" ]] || { say "could not start a registry"; exit 1; }
registry="127.0.0.1:$port"
say "registry $registry (pid $registry_pid)"

# --- the six kinds of homework --------------------------------------------------
own="$work/own"
cp -a assets/nginx-alpine "$own"
# The template's Dockerfile is TODO lines for the learner: the homework is
# built from the reference solution, as a student who wrote it would.
cp assets/solutions/nginx-alpine/Dockerfile "$own/Dockerfile"
template="$work/template"
cp -a assets/nginx-alpine "$template"
cp assets/solutions/nginx-alpine/Dockerfile "$template/Dockerfile"
sed -i 's|ВАШЕ ИМЯ / YOUR NAME|Студент Бенчмарков|' "$own/rootfs/var/www/localhost/htdocs/index.html"
sed 's|CMD \["nginx", "-g", "daemon off;"\]|CMD ["nginx"]|' "$own/Dockerfile" >"$own/Dockerfile.background"
printf 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY rootfs/ /\nCMD ["nginx", "-g", "daemon off;"]\n' >"$own/Dockerfile.other-base"
mkdir -p "$work/other-base"
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n' >"$work/other-base/os-release"
printf 'FROM scratch\nCOPY os-release /etc/os-release\n' >"$work/other-base/Dockerfile"
unique="bench-$$-$RANDOM"
other_base="layerlab-bench/$unique-debianish:1"
labels=(--label layerlab.managed=true --label layerlab.bench=grade)
made_tags+=("$other_base")
docker build -q "${labels[@]}" -t "$other_base" "$work/other-base" >/dev/null

build_push() { # KIND CONTEXT DOCKERFILE BASE
	local ref="$registry/bench/$1:hw"
	made_tags+=("$ref")
	docker build -q "${labels[@]}" --build-arg "BASE_IMAGE=$4" -f "$2/$3" -t "$ref" "$2" >/dev/null
	docker push -q "$ref" >/dev/null
}
say "building and pushing five images with the docker CLI"
build_push good "$own" Dockerfile "$base"
build_push template "$template" Dockerfile "$base"
build_push layers "$own" Dockerfile.naive "$base"
build_push debian "$own" Dockerfile.other-base "$other_base"
build_push background "$own" Dockerfile.background "$base"

# --- N students: the same images under N repository names ----------------------
say "copying them under $students names (blob mounts + manifest PUTs)"
python3 - "$registry" "$students" "$work/roster.csv" "$distinct" <<'PY'
import gzip, hashlib, io, json, sys, tarfile, urllib.request, zlib
registry, students, roster, distinct = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
kinds = ["good", "template", "layers", "debian", "background", "ghost"]
accept = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"
def call(method, path, body=None, headers=None):
    req = urllib.request.Request(f"http://{registry}{path}", data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.headers.get("Content-Type"), r.read()
manifests = {}
for kind in kinds[:-1]:
    _, ctype, body = call("GET", f"/v2/bench/{kind}/manifests/hw", headers={"Accept": accept})
    manifests[kind] = (ctype, body)
def upload(name, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    req = urllib.request.Request(f"http://{registry}/v2/{name}/blobs/uploads/", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        location = r.headers["Location"]
    if location.startswith("/"):
        location = f"http://{registry}{location}"
    sep = "&" if "?" in location else "?"
    req = urllib.request.Request(f"{location}{sep}digest={digest}", data=data, method="PUT",
                                 headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 201, r.status
    return digest
blob_cache = {}
def blob(kind, digest):
    if digest not in blob_cache:
        blob_cache.clear()
        blob_cache[digest] = call("GET", f"/v2/bench/{kind}/blobs/{digest}")[2]
    return blob_cache[digest]
def make_distinct(kind, name, m, i):
    # Every layer above the base gets a file of its own: new digests, new
    # diff_ids, a new config; the base layer stays shared (mounted).
    m = json.loads(json.dumps(m))
    config = json.loads(blob(kind, m["config"]["digest"]))
    for index, layer in enumerate(m["layers"]):
        if index == 0:
            continue
        raw = gzip.decompress(blob(kind, layer["digest"]))
        archive = io.BytesIO()
        with tarfile.open(fileobj=io.BytesIO(raw)) as source, tarfile.open(fileobj=archive, mode="w") as target:
            for member in source.getmembers():
                target.addfile(member, source.extractfile(member) if member.isfile() else None)
            mark = f"student {i}\n".encode()
            info = tarfile.TarInfo(f"etc/layerlab-bench/s{i:03d}-{index}")
            info.size = len(mark)
            target.addfile(info, io.BytesIO(mark))
        raw = archive.getvalue()
        config["rootfs"]["diff_ids"][index] = "sha256:" + hashlib.sha256(raw).hexdigest()
        compressed = gzip.compress(raw, compresslevel=1)
        layer["digest"] = upload(name, compressed)
        layer["size"] = len(compressed)
        layer["fresh"] = True
    data = json.dumps(config).encode()
    m["config"]["digest"] = upload(name, data)
    m["config"]["size"] = len(data)
    m["config"]["fresh"] = True
    return m
with open(roster, "w") as out:
    out.write("student,image\n")
    for i in range(1, students + 1):
        kind = kinds[(i - 1) % len(kinds)]
        name = f"class/s{i:03d}-{kind}"
        if kind != "ghost":
            ctype, body = manifests[kind]
            m = json.loads(body)
            if distinct:
                m = make_distinct(kind, name, m, i)
                body = json.dumps(m).encode()
            for d in [m["config"]] + m["layers"]:
                if d.get("fresh"):
                    continue
                status, _, _ = call("POST", f"/v2/{name}/blobs/uploads/?mount={d['digest']}&from=bench/{kind}", body=b"")
                assert status == 201, (name, d, status)
            for d in [m["config"]] + m["layers"]:
                d.pop("fresh", None)
            body = json.dumps(m).encode() if distinct else body
            status, _, _ = call("PUT", f"/v2/{name}/manifests/hw", body=body, headers={"Content-Type": ctype})
            assert status == 201, (name, status)
        out.write(f"s{i:03d},{registry}/{name}:hw\n")
PY
log_before="$(wc -l <"$work/registry.log")"

# --- grade ------------------------------------------------------------------------
say "grading $students students with --jobs $jobs ($profile build, distinct=$distinct)"
set +e
DOCKER_HOST="unix://$work/no-daemon.sock" /usr/bin/time -v "$layerlab" --lang en grade "$work/roster.csv" \
	--json --stats --accept-base --jobs "$jobs" >"$work/rows.json" 2>"$work/time.log"
rc=$?
set -e
if ((rc != 0)); then
	say "layerlab grade failed (exit $rc):"
	cat "$work/time.log" >&2
	exit 1
fi
wall="$(grep 'Elapsed (wall clock)' "$work/time.log" | awk '{print $NF}')"
rss_kib="$(grep 'Maximum resident set size' "$work/time.log" | awk '{print $NF}')"
stats_line="$(grep 'layerlab grade --stats' "$work/time.log" || true)"
tail -n +"$((log_before + 1))" "$work/registry.log" | grep -E '"(GET|HEAD) /v2/' >"$work/access.log" || true

python3 - "$work/rows.json" "$work/access.log" "$students" "$wall" "$rss_kib" "$stats_line" <<'PY'
import json, re, statistics, sys
rows = json.load(open(sys.argv[1]))
access = open(sys.argv[2]).read().splitlines()
students, wall, rss_kib, stats_line = int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6]
per = [r["requests"]["requests"] for r in rows]
kinds = {}
for r in rows:
    kind = r["image"].rsplit("-", 1)[1].split(":")[0]
    kinds.setdefault(kind, []).append(r)
blob_gets = [l for l in access if "/blobs/sha256:" in l and '"GET ' in l]
digests = [re.search(r"/blobs/(sha256:[0-9a-f]{64})", l).group(1) for l in blob_gets]
passed = {c: sum(1 for r in rows for x in r["criteria"] if x["id"] == c and x["passed"]) for c in ["image", "alpine_base", "own_page", "layer_count", "foreground"]}
print(f"students graded:        {len(rows)} (expected {students})")
print(f"wall time:              {wall}")
print(f"peak memory (max RSS):  {rss_kib / 1024:.1f} MiB")
print(f"requests (layerlab):    {stats_line.split(': ', 1)[-1]}")
print(f"requests per student:   mean {statistics.mean(per):.2f}, median {statistics.median(per)}, max {max(per)}")
for kind, rs in sorted(kinds.items()):
    reqs = [r["requests"]["requests"] for r in rs]
    print(f"  {kind:<11} {len(rs):>4} students, requests mean {statistics.mean(reqs):.2f}, passed all: {sum(r['passed'] for r in rs)}")
print(f"registry access log:    {len(access)} GET/HEAD /v2/ requests, {len(blob_gets)} blob GETs, {len(set(digests))} distinct blobs, most fetched blob {max([digests.count(d) for d in set(digests)] or [0])}x")
print(f"criteria passed:        {passed}")
PY
say "done; stopping the registry and removing what this run made"
