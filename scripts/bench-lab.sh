#!/usr/bin/env bash
# scripts/bench-lab.sh: the live lab's two promises, measured on the real daemon.
#   1. change-to-screen latency (p50/p95, >= 50 changes per kind): the ignored
#      test `bench_change_latency` in tests/it/lab.rs, release build;
#   2. idle CPU of the real TUI (`layerlab lab IMAGE` in a private tmux server):
#      utime+stime from /proc/PID/stat over IDLE_SECONDS once the lab has been
#      idle longer than its fast-poll window; dockerd's share over the same
#      window is printed too (the daemon is shared: an upper bound).
# Usage: bash scripts/bench-lab.sh [IMAGE]   (default: the busybox test image)
# Env: LAYERLAB_BENCH_SAMPLES (default 60), IDLE_SECONDS (default 20),
#      PROFILE=debug to skip the release build (slower code: an upper bound).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

image="${1:-layerlab-test/busybox:1}"
idle_seconds="${IDLE_SECONDS:-20}"
command -v tmux >/dev/null || { echo "bench-lab: tmux is needed (apt-get install -y tmux)" >&2; exit 1; }

profile="${PROFILE:-release}"
cargo_profile=(--release)
if [[ "$profile" == debug ]]; then cargo_profile=(); fi
echo "== build ($profile)"
cargo build "${cargo_profile[@]}" --locked --bin layerlab
cargo test "${cargo_profile[@]}" --locked --test it --no-run 2>&1 | tail -n1

echo "== change-to-screen latency"
cargo test "${cargo_profile[@]}" --locked --test it -- --ignored --exact lab::bench_change_latency --nocapture 2>&1 |
	grep -E '^BENCH|SKIPPED|panicked|test result'

echo "== idle CPU of the TUI: layerlab lab $image"
socket="layerlab-bench-$$"
data="$(mktemp -d)"
cleanup() {
	tmux -L "$socket" kill-server 2>/dev/null || true
	rm -rf "$data"
}
trap cleanup EXIT
tmux -L "$socket" new-session -d -s lab -x 160 -y 45 \
	"exec env LAYERLAB_DATA_DIR=$data TERM=xterm-256color target/$profile/layerlab --lang en lab $image"
pid="$(tmux -L "$socket" display -p -t lab '#{pane_pid}')"
for _ in $(seq 1 300); do
	if tmux -L "$socket" capture-pane -p -t lab | grep -q "layerlab-lab-$pid-"; then break; fi
	sleep 0.2
done
tmux -L "$socket" capture-pane -p -t lab | grep -q "layerlab-lab-$pid-" || { echo "the lab did not start:" >&2; tmux -L "$socket" capture-pane -p -t lab >&2; exit 1; }
# Past the fast-poll window (FAST_FOR = 10 s in src/docker/lab.rs).
sleep 12
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz="$(getconf CLK_TCK)"
dockerd="$(pgrep -o -x dockerd || true)"
before="$(ticks "$pid")"
dbefore="$([[ -n "$dockerd" ]] && ticks "$dockerd" || echo 0)"
started="$(date +%s.%N)"
sleep "$idle_seconds"
after="$(ticks "$pid")"
dafter="$([[ -n "$dockerd" ]] && ticks "$dockerd" || echo 0)"
ended="$(date +%s.%N)"
awk -v a="$before" -v b="$after" -v da="$dbefore" -v db="$dafter" -v hz="$hz" -v s="$started" -v e="$ended" 'BEGIN {
	wall = e - s
	printf "BENCH idle CPU of the TUI: %.2f%% of one core (%d ticks of 1/%d s in %.1f s)\n", 100 * (b - a) / hz / wall, b - a, hz, wall
	printf "BENCH dockerd over the same window (shared daemon, upper bound): %.2f%% of one core\n", 100 * (db - da) / hz / wall
}'
tmux -L "$socket" send-keys -t lab Escape
for _ in $(seq 1 150); do
	[[ -e "/proc/$pid" ]] || break
	sleep 0.2
done
left="$(docker ps -a --filter "label=layerlab.lab" --format '{{.ID}} {{.Label "layerlab.lab"}}' | awk -v p="$pid-" 'index($2, p) == 1' | wc -l)"
echo "lab containers left after Esc: $left"
