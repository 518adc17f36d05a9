#!/usr/bin/env bash
# bench-watch.sh: how fast `layerlab watch` ticks a step after the learner
# acts, and what watching costs while nothing happens.
#
#   bash scripts/bench-watch.sh [SAMPLES]      (default 30; needs a daemon
#                                               and LAYERLAB_TEST_BASE_IMAGE or
#                                               layerlab/standin-alpine:latest)
#
# Two latencies, SAMPLES each, from the moment the learner's action is done
# to the moment the `✔ lesson/step` line is printed:
#   event: `docker tag` (a daemon event) ticks dockerfile/build-naive;
#   file:  a write to the page ticks dockerfile/edit-page (the workspace is
#          scanned once a second, so this one is bounded by the scan period).
# Then idle CPU: one watch left on an open step for 30 s, its user+system
# time from /proc divided by the wall time.
# It uses the docker CLI as a learner would (the product never does).
set -euo pipefail
cd "$(dirname "$0")/.."
samples="${1:-30}"
base="${LAYERLAB_TEST_BASE_IMAGE:-layerlab/standin-alpine:latest}"
# A debug build (what the suite builds anyway): the figures are an upper bound.
cargo build --locked -q
bin="$PWD/target/debug/layerlab"
exec python3 - "$bin" "$base" "$samples" <<'PY'
import json, os, subprocess, sys, tempfile, threading, time, shutil

binary, base, samples = sys.argv[1], sys.argv[2], int(sys.argv[3])
unique = f"benchwatch-{os.getpid()}"
tag = f"{unique}/site:1"
naive = f"{unique}/site-naive:latest"
made = []

def docker(*args):
    subprocess.run(["docker", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

class Watch:
    def __init__(self, data, lesson):
        env = dict(os.environ, LAYERLAB_DATA_DIR=data, LANG="C")
        self.proc = subprocess.Popen([binary, "--lang", "en", "--base-image", base, "watch", lesson],
                                     stdout=subprocess.PIPE, text=True, env=env)
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self.read, daemon=True).start()
    def read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self.cond.notify_all()
    def wait(self, needle, timeout=60):
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for at, line in self.lines:
                    if needle in line:
                        return at
                left = end - time.monotonic()
                if left <= 0:
                    raise SystemExit(f"no line with {needle!r}: {self.lines}")
                self.cond.wait(left)
    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)

def fresh():
    return tempfile.mkdtemp(prefix="bench-watch-")

def p95(values):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]

def report(name, values):
    ms = [v * 1000 for v in values]
    print(f"{name}: n={len(ms)} median={sorted(ms)[len(ms)//2]:.0f} ms p95={p95(ms):.0f} ms max={max(ms):.0f} ms")
    return p95(ms)

# One learner image for every sample: the lesson's template with a name in it.
data = fresh()
w = Watch(data, "dockerfile")
w.wait("[page_is_template]")
workspace = os.path.join(data, "workspace", "nginx-alpine")
page = os.path.join(workspace, "rootfs/var/www/localhost/htdocs/index.html")
text = open(page, encoding="utf-8").read().replace("ВАШЕ ИМЯ / YOUR NAME", "Bench Learner")
open(page, "w", encoding="utf-8").write(text)
w.wait("✔ dockerfile/edit-page")
# The template's Dockerfile is TODO lines: write the instructions, as the
# learner does, from the reference solution.
shutil.copy("assets/solutions/nginx-alpine/Dockerfile", os.path.join(workspace, "Dockerfile"))
docker("build", "-q", "--label", "layerlab.managed=true", "--build-arg", f"BASE_IMAGE={base}", "-t", tag, workspace)
made.append(tag)
w.wait("✔ dockerfile/layer-count")
w.wait("✔ dockerfile/copy-naive")
w.stop()
progress = os.path.join(data, "progress.json")

event_samples = []
def reopen(step):
    state = json.load(open(progress))
    lesson = state["lessons"]["dockerfile"]
    lesson["done"] = [s for s in lesson["done"] if s != step]
    lesson.get("records", {}).pop(step, None)
    json.dump(state, open(progress, "w"))

for i in range(samples):
    subprocess.run(["docker", "rmi", naive], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    reopen("build-naive")
    w = Watch(data, "dockerfile")
    w.wait("Watching lesson")
    time.sleep(1.5)  # the first look is done; the watch waits on build-naive
    start = time.monotonic()
    docker("tag", tag, naive)
    made.append(naive)
    end = w.wait("✔ dockerfile/build-naive")
    event_samples.append(end - start)
    w.stop()

file_samples = []
for i in range(samples):
    d = fresh()
    w = Watch(d, "dockerfile")
    w.wait("[page_is_template]")
    time.sleep(0.3 + (i % 10) / 10)  # spread the write over the scan period
    p = os.path.join(d, "workspace/nginx-alpine/rootfs/var/www/localhost/htdocs/index.html")
    t = open(p, encoding="utf-8").read().replace("ВАШЕ ИМЯ / YOUR NAME", f"Sample {i}")
    start = time.monotonic()
    open(p, "w", encoding="utf-8").write(t)
    end = w.wait("✔ dockerfile/edit-page")
    file_samples.append(end - start)
    w.stop()
    shutil.rmtree(d, ignore_errors=True)

# Idle: a watch on an open step, nothing happening.
d = fresh()
w = Watch(d, "dockerfile")
w.wait("[page_is_template]")
time.sleep(1)
def cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
c0, t0 = cpu(w.proc.pid), time.monotonic()
time.sleep(30)
c1, t1 = cpu(w.proc.pid), time.monotonic()
w.stop()
shutil.rmtree(d, ignore_errors=True)

print(f"layerlab watch, {samples} samples each ({time.strftime('%Y-%m-%d')}):")
pe = report("daemon event → ✔ (docker tag)", event_samples)
pf = report("file write  → ✔ (page edited)", file_samples)
idle = (c1 - c0) / (t1 - t0) * 100
print(f"idle CPU while watching an open step: {idle:.2f} % of one core over {t1 - t0:.0f} s")
for image in set(made):
    subprocess.run(["docker", "rmi", image], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
shutil.rmtree(data, ignore_errors=True)
ok = pe < 1000 and idle < 1.0
print("OK" if ok else "over budget")
sys.exit(0 if ok else 1)
PY
