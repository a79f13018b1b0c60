#!/usr/bin/env bash
# The C tests and examples built with AddressSanitizer + UndefinedBehaviorSanitizer, run against
# the emulator. First proves the instrumentation is there: every binary must reference the
# sanitizer runtimes, and a canary with a heap overflow and an out-of-range shift must be caught.
# usage: scripts/sanitizers.sh EMULATOR BUILD_DIR BINARY...   (BINARY built with the flags)
set -euo pipefail
emulator=$1 build=$2; shift 2
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

for bin in "$build/sanitizer_canary" "$@"; do
  syms=$(nm -u "$bin")
  grep -q '__asan_report_' <<<"$syms" || { echo "$bin: no AddressSanitizer instrumentation" >&2; exit 1; }
  grep -q '__ubsan_handle_' <<<"$syms" || { echo "$bin: no UBSan instrumentation" >&2; exit 1; }
done
echo "instrumented: sanitizer_canary $(for b in "$@"; do printf '%s ' "$(basename "$b")"; done)"

expect_caught() {
  local what=$1 pattern=$2 out
  if out=$("$build/sanitizer_canary" "$what" 2>&1); then
    echo "sanitizer canary '$what' was not caught:" >&2; echo "$out" >&2; exit 1
  fi
  grep -q "$pattern" <<<"$out" || { echo "canary '$what' failed without the expected report:" >&2; echo "$out" >&2; exit 1; }
  echo "canary '$what' caught: $(grep -m1 -o "$pattern.*" <<<"$out" | cut -c1-80)"
}
expect_caught heap 'heap-buffer-overflow'
expect_caught shift 'runtime error: shift exponent'

# The examples run half a minute each in real time: in parallel, each with its own emulator.
pids=()
for bin in "$@"; do
  ( "$(dirname "$0")/with-emulator.sh" "$emulator" "$bin" @URL@ >"$bin.out" 2>&1 \
      && echo "sanitized: $(basename "$bin") ok" \
      || { echo "sanitized: $(basename "$bin") FAILED" >&2; tail -40 "$bin.out" >&2; exit 1; } ) &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
