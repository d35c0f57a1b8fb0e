#!/usr/bin/env bash
# The layers go one way (docs/architecture.md): every #include "dir/..." in
# src/ names a folder at the same layer or below the including file's. The
# public header (smartplayer.h) belongs to the C API; below it only the player
# uses it, to convert its own types into the C API's (player/c_types.h).
# Also checks itself: a made-up upward include in a scratch copy must fail.
set -euo pipefail
SRC=${1:-${SP_SOURCE_DIR:?}/src}

# Bottom first. A folder may include its own layer and anything lower.
declare -A RANK=(
  [core]=0 [trace]=1 [log]=2 [predict]=3 [policy]=4 [sim]=4
  [control]=5 [decode]=6 [render]=7 [player]=8 [capi]=9)
PUBLIC_FROM=8 # smartplayer.h: player and capi only

check() {
  local root=$1 bad=0 file dir inc target
  while IFS= read -r file; do
    dir=${file#"$root"/}; dir=${dir%%/*}
    [ -n "${RANK[$dir]+x}" ] || { echo "layers: $file: folder '$dir' has no layer (add it to tests/layers.sh and docs/architecture.md)"; bad=1; continue; }
    while IFS= read -r inc; do
      if [ "$inc" = "smartplayer.h" ]; then
        if [ "${RANK[$dir]}" -lt "$PUBLIC_FROM" ]; then
          echo "layers: $file includes the public header (only player and capi may)"; bad=1
        fi
        continue
      fi
      target=${inc%%/*}
      [ "$target" != "$inc" ] || continue # same-folder or system-style name
      [ -n "${RANK[$target]+x}" ] || continue
      if [ "${RANK[$target]}" -gt "${RANK[$dir]}" ]; then
        echo "layers: $file ($dir) includes $inc ($target is above it)"; bad=1
      fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]\([^">]*\)[">].*/\1/p' "$file")
  done < <(find "$root" -type f \( -name '*.h' -o -name '*.cpp' -o -name '*.c' \) | sort)
  return $bad
}

# The check can fail: an upward include planted in a copy is caught.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/src/core" "$T/src/player"
printf '#include "player/player.h"\n' >"$T/src/core/up.h"
printf '#include "core/up.h"\n' >"$T/src/player/down.h"
if check "$T/src" >"$T/out"; then
  echo "layers: the self-check passed an upward include"; exit 1
fi
grep -q 'src/core/up.h (core) includes player/player.h' "$T/out" || { cat "$T/out"; exit 1; }
[ "$(wc -l <"$T/out")" = 1 ] || { echo "layers: the self-check flagged a downward include:"; cat "$T/out"; exit 1; }

check "$SRC"
echo "layers: every include in $SRC runs down or across"
