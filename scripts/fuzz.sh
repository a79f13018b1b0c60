#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 10: the smoke run of `make test`),
# starting from its seeds and the regression inputs of earlier findings (fuzz/seeds/TARGET,
# fuzz/regressions/TARGET, all replayed first), with its dictionary of tokens if it has one
# (fuzz/dicts/TARGET.dict). New corpus entries go to build/fuzz/TARGET, crashes to
# fuzz/artifacts/TARGET. Fails on any crash, leak, timeout or oversized allocation.
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-10}; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config xdm_events edge_responses tracker_calls journal)
# cargo-fuzz passes -Z flags (sanitizer, coverage); RUSTC_BOOTSTRAP lets stable rustc take them.
export RUSTC_BOOTSTRAP=1
cargo fuzz build
for t in "${targets[@]}"; do
  mkdir -p "../build/fuzz/$t" "seeds/$t" "regressions/$t"
  echo "== fuzz $t for ${seconds}s (replaying $(find "seeds/$t" "regressions/$t" -type f | wc -l) seeds and regressions)"
  log="../build/fuzz/$t.log"
  # -timeout: one input taking 20 s is a hang. -malloc_limit_mb: one allocation over 64 MiB is
  # an unbounded allocation. -rss_limit_mb: the whole process over 2 GiB.
  dict=()
  [ -f "dicts/$t.dict" ] && dict=(-dict="dicts/$t.dict")
  status=0
  cargo fuzz run "$t" "../build/fuzz/$t" "seeds/$t" "regressions/$t" -- "${dict[@]}" \
    -max_total_time="$seconds" -timeout=20 -malloc_limit_mb=64 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 \
    || status=$?
  grep -E '^(Done|stat::peak_rss_mb)|INFO: seed corpus' "$log" || true
  if [ "$status" -ne 0 ]; then
    grep -E -A20 'panicked|ERROR|SUMMARY' "$log" | head -60 >&2 || tail -40 "$log" >&2
    echo "fuzz target $t failed (exit $status); the input is in fuzz/artifacts/$t, the log in fuzz/$log" >&2
    exit 1
  fi
done
