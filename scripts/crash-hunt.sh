#!/usr/bin/env bash
# Crash hunt for native faults in long fits (the reliability issue's "segmentation fault near measurement-model step
# 300"): the same count-screen fit, several at once, round after round, with core dumps on. Every fit's exit status
# is recorded; a fit killed by a signal leaves its core, and gdb's backtrace of every thread is written beside it.
#   bash scripts/crash-hunt.sh [rounds=2] [concurrent=3] [lcd steps=500] [out=runs/crash-hunt]
# Prints one line per fit and a summary; exits 1 if any fit died of a signal.
set -u
ROUNDS=${1:-2} CONC=${2:-3} STEPS=${3:-500} OUT=${4:-runs/crash-hunt}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLI="node $ROOT/bin/lcd-webgpu.mjs"
mkdir -p "$OUT"
ulimit -c unlimited 2>/dev/null || echo "crash-hunt: core dumps not allowed here (ulimit -c); statuses only"
if [ ! -f "$OUT/screen/screen.h5ad" ]; then
  $CLI simulate --counts --genes 60 --perturbed 16 --doubles 10 --cells 300 --out "$OUT/screen" --force >/dev/null 2>&1 ||
    { echo "crash-hunt: simulate failed"; exit 2; }
fi
crashes=0 total=0
for r in $(seq 1 "$ROUNDS"); do
  pids=()
  for k in $(seq 1 "$CONC"); do
    dir="$OUT/r$r-k$k"
    rm -rf "$dir" && mkdir -p "$dir"
    ( cd "$dir" && exec $CLI fit --data ../screen/screen.h5ad --out run --qc none --split seen2 --steps "$STEPS" \
        --hidden 128 --measurement zip >log.txt 2>&1 ) &
    pids+=("$!:$dir")
  done
  for entry in "${pids[@]}"; do
    pid=${entry%%:*} dir=${entry#*:}
    wait "$pid"; status=$?
    total=$((total + 1))
    if [ "$status" -gt 128 ]; then
      crashes=$((crashes + 1))
      echo "$dir: killed by signal $((status - 128))"
      for core in "$dir"/core*; do
        [ -f "$core" ] && gdb -batch -ex "thread apply all bt" "$(command -v node)" "$core" >"$core.bt.txt" 2>&1 &&
          echo "  backtrace: $core.bt.txt"
      done
    else
      echo "$dir: exit $status"
    fi
  done
done
echo "crash-hunt: $crashes of $total fits died of a signal ($ROUNDS rounds × $CONC at once, LCD $STEPS steps, the measurement model's full 3000)"
[ "$crashes" -eq 0 ]
