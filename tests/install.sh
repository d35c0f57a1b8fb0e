#!/usr/bin/env bash
# The installed package works for a program outside this tree: `cmake
# --install` into a scratch prefix, then a C consumer is built twice, once with
# find_package(smartplayer) and once with pkg-config, and both run.
set -euo pipefail
B=${SP_BINARY_DIR:?} S=${SP_SOURCE_DIR:?}
T=$(mktemp -d)
# In the sanitizer build the library carries the ASan runtime; the consumers are plain.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0"
trap 'rm -rf "$T"' EXIT
cmake --install "$B" --prefix "$T/prefix" >/dev/null
test -f "$T/prefix/include/smartplayer.h"
test -f "$T/prefix/lib/pkgconfig/smartplayer.pc" || test -n "$(ls "$T"/prefix/lib/*/pkgconfig/smartplayer.pc 2>/dev/null)"

mkdir -p "$T/app"
cat >"$T/app/main.c" <<'C'
#include <smartplayer.h>
#include <stdio.h>
int main(void) {
  sp_player *p = NULL;
  int r = sp_player_create(NULL, &p);
  if (r != SP_OK) { fprintf(stderr, "create: %s\n", sp_strerror(r)); return 1; }
  /* Seeking before anything is open is a wrong-state call with a clear code. */
  r = sp_seek(p, 1000, SP_SEEK_ABSOLUTE);
  printf("seek before open -> %s\n", sp_strerror(r));
  sp_player_destroy(p);
  return r == SP_ERR_INVALID_STATE ? 0 : 1;
}
C
cat >"$T/app/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(consumer C CXX)
find_package(smartplayer REQUIRED)
add_executable(consumer main.c)
target_link_libraries(consumer PRIVATE smartplayer::smartplayer)
CM
cmake -S "$T/app" -B "$T/app/build" -DCMAKE_PREFIX_PATH="$T/prefix" >/dev/null
cmake --build "$T/app/build" >/dev/null
LD_LIBRARY_PATH="$(dirname "$(find "$T/prefix" -name 'libsmartplayer.so' | head -1)")" "$T/app/build/consumer"

pcdir=$(dirname "$(find "$T/prefix" -name smartplayer.pc | head -1)")
flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --define-variable=prefix="$T/prefix" --cflags --libs smartplayer)
cc "$T/app/main.c" $flags -o "$T/consumer-pc"
LD_LIBRARY_PATH="$(dirname "$(find "$T/prefix" -name 'libsmartplayer.so' | head -1)")" "$T/consumer-pc"
echo "install: find_package and pkg-config consumers built and ran"
