#!/usr/bin/env bash
# Runs COMMAND with a fresh emulator on a free loopback port; "@URL@" in its arguments becomes
# the emulator's base URL. The emulator's timeline goes to $EMULATOR_LOG (default: discarded).
# usage: scripts/with-emulator.sh EMULATOR_BINARY COMMAND [ARGS...]
set -euo pipefail
emulator=$1; shift
dir=$(mktemp -d)
log=${EMULATOR_LOG:-/dev/null}
"$emulator" --port-file "$dir/port" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 200); do
  [ -s "$dir/port" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "emulator exited early" >&2; exit 1; }
  sleep 0.05
done
[ -s "$dir/port" ] || { echo "emulator did not start" >&2; exit 1; }
url="http://127.0.0.1:$(cat "$dir/port")"
args=()
for a in "$@"; do args+=("${a//@URL@/$url}"); done
"${args[@]}"
