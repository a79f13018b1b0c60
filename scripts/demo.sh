#!/usr/bin/env bash
# The demo: the simulated player sends a whole session to a local emulator; then the emulator's
# timeline shows what arrived.
set -euo pipefail
emulator=$1 player=$2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "== running $player against a local Media Edge emulator (about half a minute of playback) =="
EMULATOR_LOG="$log" "$(dirname "$0")/with-emulator.sh" "$emulator" "$player" @URL@
echo
echo "== what the emulator received (time since start, action, status, details) =="
cat "$log"
