#!/usr/bin/env bash
# Installs mediaedge into a temporary prefix and builds tests/install/consumer.c against it from
# a directory outside the repository, four ways: pkg-config shared, pkg-config static, CMake
# shared, CMake static; and once against the repository's own release build. Each binary runs a
# session against the emulator. Then the ABI checks: only mediaedge_* symbols exported, the
# SONAME, the version agreeing with Cargo.toml.
# usage: scripts/test-install.sh EMULATOR VERSION
set -euo pipefail
emulator=$(realpath "$1") version=$2
# What the README's ABI policy says the SONAME must be (build.rs sets it): 0.MINOR before 1.0,
# MAJOR after.
major=${version%%.*} minor=${version#*.}; minor=${minor%%.*}
if [ "$major" = 0 ]; then soname=libmediaedge.so.0.$minor; else soname=libmediaedge.so.$major; fi
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

make -C "$repo" --no-print-directory install PREFIX="$prefix" >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
mkdir "$work/src"
cp "$repo/tests/install/consumer.c" "$repo/tests/install/CMakeLists.txt" "$work/src/"
cd "$work/src"
fail() { echo "test-install: $*" >&2; exit 1; }

# What the prefix holds.
for f in lib/libmediaedge.so.$version lib/$soname lib/libmediaedge.so lib/libmediaedge.a include/mediaedge.h \
         lib/pkgconfig/mediaedge.pc lib/pkgconfig/mediaedge-static.pc lib/cmake/MediaEdge/MediaEdgeConfig.cmake \
         lib/cmake/MediaEdge/MediaEdgeConfigVersion.cmake; do
  [ -e "$prefix/$f" ] || fail "missing $f"
done
[ "$(readlink "$prefix/lib/$soname")" = "libmediaedge.so.$version" ] || fail "$soname does not point at the library"
readelf -d "$prefix/lib/libmediaedge.so.$version" | grep -q "Library soname: \[$soname\]" || fail "SONAME is not $soname"

# ABI hygiene: nothing but mediaedge_* in the dynamic symbol table.
others=$(nm -D --defined-only "$prefix/lib/libmediaedge.so.$version" | awk '{print $3}' | grep -v '^mediaedge_' || true)
[ -z "$others" ] || fail "symbols exported besides mediaedge_*: $others"
exported=$(nm -D --defined-only "$prefix/lib/libmediaedge.so.$version" | wc -l)
# …and exactly the functions the header declares.
declared=$(grep -E '^[a-z].*\bmediaedge_[a-z0-9_]+\(' "$prefix/include/mediaedge.h" | sed -E 's/.*\b(mediaedge_[a-z0-9_]+)\(.*/\1/' | sort)
defined=$(nm -D --defined-only "$prefix/lib/libmediaedge.so.$version" | awk '{print $3}' | sort)
[ "$declared" = "$defined" ] || fail "header and library disagree: $(comm -3 <(echo "$declared") <(echo "$defined") | tr '\n' ' ')"
grep -q "^#define MEDIAEDGE_VERSION_STRING \"$version\"" "$prefix/include/mediaedge.h" || fail "header version is not $version"

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
[ "$(pkg-config --modversion mediaedge)" = "$version" ] || fail "pkg-config version"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -Werror consumer.c -o pc-shared $(pkg-config --cflags --libs mediaedge) -Wl,-rpath,"$prefix/lib"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -Werror consumer.c -o pc-static $(pkg-config --cflags --libs mediaedge-static)
cmake -S . -B cm-shared -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build cm-shared >/dev/null
cmake -S . -B cm-static -DCMAKE_PREFIX_PATH="$prefix" -DMEDIAEDGE_USE_STATIC_LIBS=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build cm-static >/dev/null
# From the build tree, as the README says: `make lib PROFILE=release` makes the SONAME link.
make -C "$repo" --no-print-directory lib PROFILE=release >"$work/lib.log" 2>&1 || { cat "$work/lib.log"; exit 1; }
cc -std=c99 -Wall -Wextra -Werror consumer.c -I"$repo/include" -L"$repo/target/release" -lmediaedge \
  -Wl,-rpath,"$repo/target/release" -o build-tree

for bin in pc-shared pc-static cm-shared/consumer cm-static/consumer build-tree; do
  needs_so=$(readelf -d "$bin" | grep -c "NEEDED.*libmediaedge" || true)
  case $bin in
    *static*) [ "$needs_so" = 0 ] || fail "$bin is linked against the shared library" ;;
    *) [ "$needs_so" = 1 ] || fail "$bin does not use the shared library" ;;
  esac
  printf '%-20s ' "$bin:"
  "$repo/scripts/with-emulator.sh" "$emulator" "./$bin" @URL@ "$version"
done
echo "test-install: 5 consumers ran; $exported symbols exported, all mediaedge_*; SONAME $soname"
