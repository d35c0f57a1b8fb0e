#!/usr/bin/env bash
# The installed package works for a program outside this tree, from any
# prefix, even after the prefix is moved (issue 10): `cmake --install` into a
# scratch prefix, then
#   - a C program built with nothing but `pkg-config --cflags --libs smartplayer`;
#   - the prefix moved to a path with a space in it: pkg-config again (its
#     output escapes the space, which `eval` reads back), a CMake project with
#     find_package(smartplayer) linking the shared and the static library,
#     and the installed Python binding imported from there;
# every program runs. The .pc file must not ask for more than the library
# needs (no SDL2_ttf: only the demo uses it).
set -euo pipefail
B=${SP_BINARY_DIR:?} S=${SP_SOURCE_DIR:?}
PY=${SP_PYTHON:-python3}
T=$(mktemp -d)
# In the sanitizer build the library carries the ASan runtime; the consumers are plain.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0"
trap 'rm -rf "$T"' EXIT
unset PKG_CONFIG_PATH SMARTPLAYER_LIBRARY PYTHONPATH LD_LIBRARY_PATH
export SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-dummy} SDL_AUDIODRIVER=${SDL_AUDIODRIVER:-dummy}
want_version=$(sed -n 's/^#define SP_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' "$S/include/smartplayer.h" | paste -sd.)

fail() { echo "install: $*" >&2; exit 1; }
libdir_of() { dirname "$(find "$1" -name 'libsmartplayer.so' | head -1)"; }
pcdir_of() { dirname "$(find "$1" -name smartplayer.pc | head -1)"; }

mkdir -p "$T/app"
cat >"$T/app/main.c" <<'C'
#include <smartplayer.h>
#include <stdio.h>
int main(void) {
  if (sp_version_number() != SP_VERSION_NUMBER) {
    fprintf(stderr, "header %s, library %s\n", SP_VERSION_STRING, sp_version_string());
    return 1;
  }
  sp_player *p = NULL;
  int r = sp_player_create(NULL, &p);
  if (r != SP_OK) { fprintf(stderr, "create: %s: %s\n", sp_strerror(r), sp_player_last_error(NULL)); return 1; }
  /* Seeking before anything is open is a wrong-state call with a clear code. */
  r = sp_seek(p, 1000, 0);
  printf("libsmartplayer %s: seek before open -> %s\n", sp_version_string(), sp_strerror(r));
  sp_player_destroy(p);
  return r == SP_ERR_INVALID_STATE ? 0 : 1;
}
C

# 1. Plain prefix, as a new user would: only pkg-config's flags.
P="$T/prefix"
cmake --install "$B" --prefix "$P" >/dev/null
test -f "$P/include/smartplayer.h"
pc=$(pcdir_of "$P")/smartplayer.pc
test -f "$pc" || fail "no smartplayer.pc under $P"
grep -q '^prefix=${pcfiledir}' "$pc" || fail "smartplayer.pc is not relocatable: $(grep '^prefix=' "$pc")"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(pcdir_of "$P")
[ "$(pkg-config --modversion smartplayer)" = "$want_version" ] || fail "pkg-config version $(pkg-config --modversion smartplayer), header $want_version"
if grep -qi ttf <<<"$(pkg-config --print-requires-private smartplayer)"; then
  fail "Requires.private names SDL2_ttf, which only the demo uses: $(pkg-config --print-requires-private smartplayer | tr '\n' ' ')"
fi
pkg-config --exists --static smartplayer || fail "pkg-config cannot resolve smartplayer's private requirements"
# shellcheck disable=SC2046  # word splitting of the flags is the point
cc "$T/app/main.c" $(pkg-config --cflags --libs smartplayer) -o "$T/consumer-pc"
LD_LIBRARY_PATH="$(libdir_of "$P")" "$T/consumer-pc"

# 2. Move the prefix somewhere else, with a space in the path.
M="$T/moved prefix"
mv "$P" "$M"
PKG_CONFIG_PATH=$(pcdir_of "$M")
flags=$(pkg-config --cflags --libs smartplayer)
case "$flags" in *"$T/moved\\ prefix"*) ;; *) fail "pkg-config does not point into the moved prefix: $flags" ;; esac
# pkgconf writes the space as '\ ': a shell (eval, a make recipe) reads it back.
eval "cc \"\$T/app/main.c\" $flags -o \"\$T/consumer-moved\""
LD_LIBRARY_PATH="$(libdir_of "$M")" "$T/consumer-moved"

cat >"$T/app/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(consumer C CXX)
find_package(smartplayer REQUIRED)
add_executable(consumer main.c)
target_link_libraries(consumer PRIVATE smartplayer::smartplayer)
add_executable(consumer_static main.c)
target_link_libraries(consumer_static PRIVATE smartplayer::smartplayer_static)
CM
# A sanitizer build's static library holds instrumented code: the program
# that links it must link the sanitizer runtimes too.
sanitize=()
# (ldd's output read whole first: with pipefail, grep -q quitting early can
# kill ldd with SIGPIPE and fail the test at random.)
deps=$(ldd "$(libdir_of "$M")/libsmartplayer.so")
if grep -q libasan <<<"$deps"; then
  sanitize=(-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined)
fi
cmake -S "$T/app" -B "$T/app/build" -DCMAKE_PREFIX_PATH="$M" "${sanitize[@]}" >/dev/null
cmake --build "$T/app/build" >/dev/null
grep -q "$M" "$T/app/build/CMakeCache.txt" || fail "find_package did not find the moved prefix"
LD_LIBRARY_PATH="$(libdir_of "$M")" "$T/app/build/consumer"
"$T/app/build/consumer_static"
# A C-only project (no C++ enabled) links both too.
mkdir -p "$T/app_c"
cp "$T/app/main.c" "$T/app_c/"
sed 's/^project(consumer C CXX)$/project(consumer C)/' "$T/app/CMakeLists.txt" >"$T/app_c/CMakeLists.txt"
grep -q '^project(consumer C)$' "$T/app_c/CMakeLists.txt" || fail "the C-only consumer is not C-only"
cmake -S "$T/app_c" -B "$T/app_c/build" -DCMAKE_PREFIX_PATH="$M" "${sanitize[@]}" >/dev/null
cmake --build "$T/app_c/build" >/dev/null || fail "a C-only project cannot link smartplayer::smartplayer(_static)"
LD_LIBRARY_PATH="$(libdir_of "$M")" "$T/app_c/build/consumer"
"$T/app_c/build/consumer_static"

# The installed demo finds the library through its own location too.
if [ -x "$M/bin/smartplayer-demo" ]; then
  "$M/bin/smartplayer-demo" --help >"$T/demo-help" 2>&1 || { cat "$T/demo-help"; fail "the installed smartplayer-demo does not start from the moved prefix"; }
fi

# 3. The installed Python binding, found through its own location (no
# SMARTPLAYER_LIBRARY, no LD_LIBRARY_PATH).
site=$(find "$M" -type d -name smartplayer -path '*-packages/*' | head -1)
[ -n "$site" ] || fail "the Python binding was not installed under $M"
# A sanitizer build's library needs its runtime loaded first into the
# (uninstrumented) interpreter, as bindings/python/CMakeLists.txt does.
asan=$(ldd "$(libdir_of "$M")/libsmartplayer.so" | awk '/libasan/ {print $3}')
out=$(cd "$T" && env ${asan:+LD_PRELOAD="$asan" PYTHONMALLOC=malloc} PYTHONPATH="$(dirname "$site")" "$PY" -c '
import smartplayer
p = smartplayer.Player(video_output="none", audio_output="none")
try:
    p.play()
except smartplayer.SmartPlayerError as e:
    assert e.code == smartplayer.Result.ERR_INVALID_STATE, e
p.close()
print(smartplayer.version(), smartplayer.library_path())
')
case "$out" in "$want_version $M/"*) ;; *) fail "the installed binding loaded the wrong library: $out" ;; esac
echo "install: pkg-config (plain and moved), find_package (shared, static; C++ and C-only projects) and the Python binding all work from a moved prefix: $out"
