#!/usr/bin/env bash
# The Swift binding (Package.swift, bindings/swift) with a real Swift toolchain: its tests against the emulator
# plain, under AddressSanitizer (with LeakSanitizer) and under ThreadSanitizer (with libmediaedge
# itself built with ThreadSanitizer, so the library's own locks are seen); the quick start; and
# an out-of-tree package that depends on the binding by path and links an installed prefix.
# usage: scripts/test-swift.sh SWIFT EMULATOR LIBDIR VERSION TSAN_HOST
#   LIBDIR: the directory of the repository's libmediaedge.so (target/debug)
set -euo pipefail
swift=$1 emulator=$(realpath "$2") libdir=$(realpath "$3") version=$4 tsan_host=$5
repo=$(cd "$(dirname "$0")/.." && pwd)
package=$repo
build=$repo/build/swift
mkdir -p "$build"
fail() { echo "test-swift: $*" >&2; exit 1; }

# An uninstalled mediaedge.pc for a library directory: SwiftPM reads Cflags and Libs from it.
pc_for() { # NAME LIBDIR
  mkdir -p "$build/$1"
  printf 'Name: mediaedge\nDescription: mediaedge, uninstalled\nVersion: %s\nCflags: -I%s\nLibs: -L%s -lmediaedge\n' \
    "$version" "$repo/include" "$2" >"$build/$1/mediaedge.pc"
  echo "$build/$1"
}
# The tests share one emulator; each test uses a datastream of its own. They run one at a time
# because the lifetime tests count threads and live callbacks (each test makes its own
# concurrency). There are no XCTest tests: --disable-xctest keeps XCTest's runner, and its own
# leaks, out of the LeakSanitizer run.
run_tests() { # SCRATCH PCDIR RPATH [swift test flags...]
  local scratch=$1 pc=$2 rpath=$3; shift 3
  PKG_CONFIG_PATH=$pc "$repo/scripts/with-emulator.sh" "$emulator" env MEDIAEDGE_EMULATOR_URL=@URL@ \
    "$swift" test --package-path "$package" --scratch-path "$build/$scratch" -Xlinker -rpath -Xlinker "$rpath" \
    --no-parallel --disable-xctest "$@"
}
test_binary() { echo "$build/$1/x86_64-unknown-linux-gnu/debug/MediaEdgePackageTests.xctest"; }
# Every object of the MediaEdge module calls into the sanitizer's runtime.
instrumented() { # SCRATCH SYMBOL
  local o
  for o in "$build/$1"/x86_64-unknown-linux-gnu/debug/MediaEdge.build/*.swift.o; do
    grep -q "$2" <<<"$(nm -u "$o")" || fail "$(basename "$o") in $1 is not instrumented ($2)"
  done
}

plain_pc=$(pc_for pkgconfig "$libdir")
echo "== swift test"
run_tests plain "$plain_pc" "$libdir"

echo "== swift test --sanitize=address"
ASAN_OPTIONS=detect_leaks=1 run_tests asan "$plain_pc" "$libdir" --sanitize=address
instrumented asan __asan_

echo "== swift test --sanitize=thread (libmediaedge built with ThreadSanitizer)"
RUSTC_BOOTSTRAP=1 RUSTFLAGS=-Zsanitizer=thread CARGO_TARGET_DIR="$repo/target/tsan" \
  cargo build --quiet --manifest-path "$repo/Cargo.toml" -Zbuild-std --target "$tsan_host" -p mediaedge
tsan_lib=$repo/target/tsan/$tsan_host/debug
ln -sf libmediaedge.so "$tsan_lib/$(readelf -d "$libdir/libmediaedge.so" | sed -n 's/.*soname: \[\(.*\)\]/\1/p')"
grep -q ' U __tsan_func_entry' <<<"$(nm -D "$tsan_lib/libmediaedge.so")" || fail "libmediaedge in $tsan_lib is not instrumented"
TSAN_OPTIONS=halt_on_error=1 run_tests tsan "$(pc_for pkgconfig-tsan "$tsan_lib")" "$tsan_lib" --sanitize=thread
instrumented tsan __tsan_
grep -q "R.*PATH.*$tsan_lib" <<<"$(readelf -d "$(test_binary tsan)")" || fail "the TSan tests do not load the instrumented library"

echo "== the Swift quick start"
PKG_CONFIG_PATH=$plain_pc "$swift" build --package-path "$package" --scratch-path "$build/plain" \
  -Xlinker -rpath -Xlinker "$libdir" --product QuickStart
"$repo/scripts/with-emulator.sh" "$emulator" "$build/plain/x86_64-unknown-linux-gnu/debug/QuickStart" @URL@

echo "== an out-of-tree package using an installed prefix"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make -C "$repo" --no-print-directory install PREFIX="$work/prefix" >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
mkdir -p "$work/consumer"
cp -r "$repo/tests/install/swift-consumer/Sources" "$work/consumer/"
# A path dependency's identity is its folder's name (`mediaedge` for a clone of the repository).
identity=$(basename "$package" | tr '[:upper:]' '[:lower:]')
sed -e "s|@MEDIAEDGE_PATH@|$package|" -e "s|@MEDIAEDGE_IDENTITY@|$identity|" \
  "$repo/tests/install/swift-consumer/Package.swift.in" >"$work/consumer/Package.swift"
PKG_CONFIG_PATH=$work/prefix/lib/pkgconfig "$swift" build --package-path "$work/consumer" \
  -Xlinker -rpath -Xlinker "$work/prefix/lib" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
consumer=$work/consumer/.build/debug/Consumer
grep -q "NEEDED.*libmediaedge.so" <<<"$(readelf -d "$consumer")" || fail "the consumer does not use the shared library"
grep -q "R.*PATH.*$work/prefix/lib" <<<"$(readelf -d "$consumer")" || fail "the consumer is not linked against the prefix"
"$repo/scripts/with-emulator.sh" "$emulator" "$consumer" @URL@ "$version"
