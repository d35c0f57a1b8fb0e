#!/usr/bin/env bash
# `./run demo` after the build (docs/demo.md, "What ./run demo seeds"):
# makes the demo's data once, then plays the sample with the demo player.
#
#   examples/demo/run-demo.sh BUILD_DIR DATA_DIR [smartplayer-demo options...]
#
# The data (DATA_DIR, remade when missing or made by an older version of
# this script):
# - sample.mp4: 60 s, 640x360, 25 fps, a 440 Hz tone; four differently-looking
#   segments of uneven length (testsrc2, gradients, SMPTE bars, a cellular
#   automaton), so it has scene changes;
# - sample.videos.jsonl: the sample as a catalogue entry for smartplayer-sim
#   --add-videos, with the scene changes FFmpeg's scene detector finds in it;
# - seed-history.jsonl: simulated viewers (the demo's viewer, $USER or
#   "viewer", among them) watching the sample and reacting to its scene
#   changes as the simulator's viewers react to any video's;
# - transitions.jsonl: the sample's scene changes (smartplayer-sim
#   --transitions), kept in the model for its transition features;
# - behaviour.db: that history, the sample in the catalogue, a model trained
#   on it (smartplayer-train --save-to-db).
# Then it says in a few lines what it seeded and trained, and runs
# BUILD_DIR/examples/demo/smartplayer-demo on the sample with the cost model
# below and the remaining options. Needs ffmpeg, ffprobe and sqlite3.
set -euo pipefail
B=${1:?usage: run-demo.sh BUILD_DIR DATA_DIR [demo options...]}
D=${2:?usage: run-demo.sh BUILD_DIR DATA_DIR [demo options...]}
shift 2
# The demo's viewer, passed to the tools as one argument each (no parsing):
# any name works, commas, quotes, spaces, "viewer00012" and all. A name that
# is not UTF-8 (a Latin-1 "jos\xe9") or holds control characters is kept as
# the tools and the library keep it, those bytes and '%' as %XX ("jos%E9"),
# so that what is said and counted below is the name in the log.
VIEWER=${USER:-viewer}
if command -v python3 >/dev/null; then
  VIEWER=$(python3 -c '
import os, sys
s = os.fsencode(sys.argv[1]).decode("utf-8", "surrogateescape")
bad = lambda c: ord(c) < 0x20 or ord(c) == 0x7F or 0xDC80 <= ord(c) <= 0xDCFF
if any(bad(c) for c in s):
    s = "".join("%%%02X" % (ord(c) - 0xDC00 if ord(c) >= 0xDC80 else ord(c)) if bad(c) or c == "%" else c for c in s)
sys.stdout.write(s)' "$VIEWER")
fi
# The sample lasts 60 s. Under the default cost (a wake costs 30 s awake) the
# break-even idle stretch is half of it: there would be no room for a sleep
# and a wake before the next window. The demo states a cheaper wake, 10 s
# awake, and a miss at 30 s (docs/demo.md, "The cost model").
COST=1,10,30
# Bump when what this script makes changes: older data is remade.
DATA_VERSION=5  # 5: model format 4 (band_total_logit)

say() { printf '%s\n' "$*"; }
quiet() { # quiet CMD...: run CMD, show its output only if it fails
  local log; log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then cat "$log" >&2; rm -f "$log"; return 1; fi
  rm -f "$log"
}

make_data() {
  mkdir -p "$D"
  rm -f "$D/sample.mp4" "$D/sample.videos.jsonl" "$D/seed-history.jsonl" "$D/transitions.jsonl" \
    "$D/behaviour.db" "$D/behaviour.db-wal" "$D/behaviour.db-shm" "$D"/behaviour.db-spj-* "$D/version"
  # Cuts at 4, 50 and 54 s: a window to act at the start, a long calm
  # stretch, then two cuts close together near the end.
  quiet ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=640x360:rate=25:duration=4" \
    -f lavfi -i "gradients=size=640x360:rate=25:duration=46:speed=0.01:seed=7" \
    -f lavfi -i "smptebars=size=640x360:rate=25:duration=4" \
    -f lavfi -i "cellauto=size=640x360:rate=25:rule=110:random_fill_ratio=0.5,trim=duration=6" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=60" \
    -filter_complex "[0:v][1:v][2:v][3:v]concat=n=4:v=1:a=0,format=yuv420p[v]" \
    -map "[v]" -map 4:a -c:v libx264 -preset veryfast -g 50 -c:a aac -shortest "$D/sample.mp4"

  # Its scene changes: FFmpeg's scene score (select filter) above 0.3; hits
  # closer than 1 s to the previous one are the same cut.
  local duration_ms cuts
  duration_ms=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$D/sample.mp4" |
    awk '{ printf "%d", $1 * 1000 + 0.5 }')
  cuts=$(ffmpeg -hide_banner -nostats -i "$D/sample.mp4" -an \
      -vf "select='gt(scene,0.3)',metadata=print:file=-" -f null - 2>/dev/null |
    sed -n 's/.*pts_time:\([0-9.]*\).*/\1/p' |
    awk -v d="$duration_ms" '{ ms = int($1 * 1000 + 0.5) }
      ms > 0 && ms < d && (n == 0 || ms - last >= 1000) { printf "%s%d", (n++ ? "," : ""), ms; last = ms }')
  [ -n "$cuts" ] || { echo "run-demo: no scene change found in $D/sample.mp4" >&2; return 1; }
  printf '{"id":"sample","genre":"documentary","duration_ms":%s,"scene_ms":[%s]}\n' \
    "$duration_ms" "$cuts" >"$D/sample.videos.jsonl"

  # The history: only the sample (--videos 0 simulated ones), watched by 200
  # simulated viewers about 3 times each, the first of them the demo's viewer
  # (--viewer-id takes the name as it is; were it "viewer00012", the simulated
  # viewer of that name would be "viewer00012.1").
  quiet "$B/tools/smartplayer-sim" --viewers 200 --sessions 3 --videos 0 --seed 1 \
    --add-videos "$D/sample.videos.jsonl" --viewer-id "$VIEWER" \
    --transitions "$D/transitions.jsonl" --out "$D/seed-history.jsonl"
  quiet "$B/tools/smartplayer-cli" --db "$D/behaviour.db" import-traces "$D/seed-history.jsonl"
  quiet "$B/tools/smartplayer-cli" --db "$D/behaviour.db" add "$D/sample.mp4" --genre documentary \
    --title "Sample" --id sample
  local trained
  trained=$("$B/tools/smartplayer-train" --db "$D/behaviour.db" --save-to-db \
    --transitions "$D/transitions.jsonl" --summary --quiet)

  # What was seeded: sessions, viewer actions (all but open and end), viewers,
  # and how many of those actions (not counting the first play) come within
  # 6 s after a cut, against the share of the sample those 6 s cover.
  q() { sqlite3 "$D/behaviour.db" "$1"; }
  local near="" c
  for c in ${cuts//,/ }; do near+="${near:+ OR }(position_ms >= $c AND position_ms < $c + 6000)"; done
  local sessions actions viewers mine in_win all_win
  sessions=$(q "SELECT count(*) FROM sessions")
  actions=$(q "SELECT count(*) FROM events WHERE kind NOT IN (0, 10)")
  viewers=$(q "SELECT count(DISTINCT viewer) FROM sessions")
  mine=$(q "SELECT count(*) FROM sessions WHERE viewer = '${VIEWER//\'/\'\'}'")
  all_win=$(q "SELECT count(*) FROM events WHERE kind NOT IN (0, 10) AND NOT (kind = 1 AND seq = 2)")
  in_win=$(q "SELECT count(*) FROM events WHERE kind NOT IN (0, 10) AND NOT (kind = 1 AND seq = 2) AND ($near)")
  local n_cuts; n_cuts=$(echo "$cuts" | awk -F, '{ print NF }')
  say "sample: $((duration_ms / 1000)) s, scene changes at $(echo "$cuts" |
    awk -F, '{ for (i = 1; i <= NF; ++i) printf "%s%.1f", (i > 1 ? ", " : ""), $i / 1000 }') s (FFmpeg's scene detection)"
  say "seeded: $sessions sessions of the sample by $viewers simulated viewers ($mine of them by you, '$VIEWER'), $actions actions;"
  say "        $(awk -v a="$in_win" -v b="$all_win" 'BEGIN { printf "%.0f", 100 * a / b }') % of them come in the 6 s after a scene change ($(awk -v n="$n_cuts" -v d="$duration_ms" 'BEGIN { printf "%.0f", 100 * n * 6000 / d }') % of the sample)"
  say "trained: $trained"
  echo "$DATA_VERSION" >"$D/version"
}

if [ "$(cat "$D/version" 2>/dev/null)" != "$DATA_VERSION" ] || [ ! -s "$D/behaviour.db" ]; then
  printf '\n==> seeding %s: a viewing history of the sample, a trained model\n' "$D/behaviour.db"
  make_data
else
  say "using $D (made earlier; remove it to make it again)"
fi
say "cost model: h=1 per second awake, w=10 per wake, m=30 per miss (the default wake, 30, is half the sample)"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${SDL_VIDEODRIVER:-}" ]; then
  say "No display found: playing headless with SDL's dummy video and audio drivers (progress is printed below)."
  export SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy
fi
printf '\n==> starting the demo player\n'
exec "$B/examples/demo/smartplayer-demo" --db "$D/behaviour.db" --viewer "$VIEWER" --genre documentary \
  --set "cost=$COST" "$@" "$D/sample.mp4"
