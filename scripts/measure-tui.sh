#!/usr/bin/env bash
# Measure the TUI with the RELEASE binary, in tmux (80x24):
#  1. time to first frame (LAYERLAB_FIRST_FRAME_FILE: ms from process start to
#     the first drawn frame) with a reachable daemon, an unreachable socket and
#     a slow one (a proxy that waits 2 s before answering each connection);
#  2. idle CPU over 20 s on the lessons screen (utime+stime from
#     /proc/PID/stat) and the frames drawn meanwhile (trace log), with the
#     daemon reachable and unreachable.
# Usage: bash scripts/measure-tui.sh [RUNS]   (RUNS per first-frame case, default 5)
# Needs tmux and python3 (for the slow proxy). Never touches the daemon itself.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
IDLE_SECONDS=${IDLE_SECONDS:-20}
cargo build --release --quiet
BIN=$PWD/target/release/layerlab
WORK=$(mktemp -d)
TMUX_SOCK=$WORK/tmux.sock
PROXY_PID=
cleanup() {
  tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
  [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
DAEMON_SOCK=/var/run/docker.sock
case "${DOCKER_HOST:-}" in unix://*) DAEMON_SOCK=${DOCKER_HOST#unix://} ;; esac

# A unix-socket proxy that waits DELAY seconds before serving each connection.
start_slow_proxy() {
  python3 - "$WORK/slow.sock" "$DAEMON_SOCK" 2 <<'PY' &
import os, socket, sys, threading, time
path, target, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
def pump(a, b):
    try:
        while (data := a.recv(65536)):
            b.sendall(data)
    except OSError:
        pass
    finally:
        try: b.shutdown(socket.SHUT_WR)
        except OSError: pass
def serve(client):
    time.sleep(delay)
    upstream = socket.socket(socket.AF_UNIX); upstream.connect(target)
    threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
    pump(upstream, client)
server = socket.socket(socket.AF_UNIX); server.bind(path); server.listen(64)
while True:
    client, _ = server.accept()
    threading.Thread(target=serve, args=(client,), daemon=True).start()
PY
  PROXY_PID=$!
  for _ in $(seq 50); do [ -S "$WORK/slow.sock" ] && return; sleep 0.1; done
  echo "slow proxy did not start" >&2; exit 1
}

# run_app NAME DOCKER_HOST [extra env...]: start layerlab in a fresh tmux session.
run_app() {
  local name=$1 host=$2; shift 2
  mkdir -p "$WORK/$name"
  tmux -S "$TMUX_SOCK" new-session -d -s "$name" -x 80 -y 24 \
    "sh -c 'echo \$\$ > $WORK/$name/pid; exec env LAYERLAB_DATA_DIR=$WORK/$name/data DOCKER_HOST=$host $* $BIN --lang en --log-level trace'"
}
stop_app() { tmux -S "$TMUX_SOCK" kill-session -t "$1" 2>/dev/null || true; sleep 0.3; }
wait_file() { for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }

first_frame() {
  local label=$1 host=$2 values=()
  for i in $(seq "$RUNS"); do
    local name="ff-$label-$i"
    run_app "$name" "$host" "LAYERLAB_FIRST_FRAME_FILE=$WORK/$name.ms"
    wait_file "$WORK/$name.ms" || { echo "no first frame for $label" >&2; exit 1; }
    values+=("$(cat "$WORK/$name.ms")")
    stop_app "$name"
  done
  printf '%s\n' "${values[@]}" | sort -n | awk -v l="$label" '
    { v[NR]=$1 } END { printf "first frame, %-12s median %6.1f ms  max %6.1f ms  (%d runs)\n", l, v[int((NR+1)/2)], v[NR], NR }'
}

idle_cpu() {
  local label=$1 host=$2 name="idle-$1" log
  run_app "$name" "$host"
  wait_file "$WORK/$name/pid"
  local pid; pid=$(cat "$WORK/$name/pid")
  # Settle: the daemon state is known (● or ✘ in the status bar).
  for _ in $(seq 100); do
    tmux -S "$TMUX_SOCK" capture-pane -p -t "$name" | grep -qE '● Docker|✘ Docker' && break; sleep 0.1
  done
  sleep 1
  log=$WORK/$name/data/logs/layerlab.log
  local t0 f0 t1 f1
  t0=$(awk '{print $14+$15}' "/proc/$pid/stat"); f0=$(grep -c 'frame drawn' "$log" || true)
  sleep "$IDLE_SECONDS"
  t1=$(awk '{print $14+$15}' "/proc/$pid/stat"); f1=$(grep -c 'frame drawn' "$log" || true)
  awk -v l="$label" -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v s="$IDLE_SECONDS" -v f=$((f1 - f0)) \
    'BEGIN { printf "idle %-12s CPU %.2f%% of a core over %d s (%d ticks), frames drawn meanwhile: %d\n", l, 100*d/hz/s, s, d, f }'
  stop_app "$name"
}

echo "layerlab $("$BIN" --version 2>/dev/null | awk '{print $2}') release, $(nproc) cores, runs per case: $RUNS"
first_frame reachable "unix://$DAEMON_SOCK"
first_frame unreachable "unix:///nonexistent.sock"
start_slow_proxy
first_frame slow-2s "unix://$WORK/slow.sock"
idle_cpu reachable "unix://$DAEMON_SOCK"
idle_cpu unreachable "unix:///nonexistent.sock"
