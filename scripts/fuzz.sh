#!/usr/bin/env bash
# A long fuzzing run of the lesson validator/loader and the image archive
# reader: the same properties as tests/it/fuzz_inputs.rs (which CI runs with a
# few hundred cases), SCALE times as many cases, in release mode.
# Usage: bash scripts/fuzz.sh [SCALE]   (default 100; about 1 min per 10 on 2 cores)
# A failure prints proptest's minimal input: save it under tests/fixtures/fuzz/
# (NAME.tar for archives, LESSONFILE-what.yaml for lessons) and fix the crash.
set -euo pipefail
cd "$(dirname "$0")/.."
export LAYERLAB_FUZZ_SCALE=${1:-100}
if cargo nextest --version >/dev/null 2>&1; then
  exec cargo nextest run --release --no-fail-fast --test it fuzz_inputs::
fi
exec cargo test --release --test it fuzz_inputs::
