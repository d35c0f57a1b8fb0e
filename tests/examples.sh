#!/usr/bin/env bash
# The C examples, compiled against the public header and the shared library,
# run on a clip made here: basic_play logs a session to a real SQLite file;
# host_render renders frames itself and writes a snapshot that is not blank.
set -euo pipefail
B=${SP_BINARY_DIR:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=320x240:rate=25:duration=4 \
  -f lavfi -i sine=frequency=440:duration=4 -c:v libx264 -preset veryfast -g 25 -c:a aac -shortest "$T/clip.mp4"

export SDL_VIDEODRIVER=${SDL_VIDEODRIVER:-dummy} SDL_AUDIODRIVER=${SDL_AUDIODRIVER:-dummy}
"$B/examples/example_basic_play" "$T/clip.mp4" "$T/log.db" 4 | tee "$T/basic.out"
grep -q "opened .*320x240" "$T/basic.out"
grep -q "state -> playing" "$T/basic.out"
# The session and its interactions are in the database, in order, once each:
# open(0) play(1) pause(2) play(1) seek(3) rate(7), then the stop/end.
kinds=$(sqlite3 "$T/log.db" "SELECT group_concat(kind, ' ') FROM (SELECT kind FROM events ORDER BY session, seq)")
echo "logged kinds: $kinds"
case "$kinds" in
  "0 1 2 1 3 7"*) ;;
  *) echo "unexpected event kinds: $kinds"; exit 1 ;;
esac
dups=$(sqlite3 "$T/log.db" "SELECT count(*) FROM (SELECT session, seq FROM events GROUP BY session, seq HAVING count(*) > 1)")
[ "$dups" = 0 ]
seek_to=$(sqlite3 "$T/log.db" "SELECT to_ms - from_ms FROM events WHERE kind = 3")
[ "$seek_to" -ge 900 ] && [ "$seek_to" -le 1000 ]
rate=$(sqlite3 "$T/log.db" "SELECT value FROM events WHERE kind = 7")
[ "$rate" = "1.5" ]
sqlite3 "$T/log.db" "SELECT count(*) FROM sessions WHERE end_reason != ''" | grep -qx 1

"$B/examples/example_host_render" "$T/clip.mp4" "$T/snap.ppm" 3 | tee "$T/host.out"
grep -q "rendered [1-9][0-9]* frames (320x240)" "$T/host.out"
python3 - "$T/snap.ppm" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
parts = data.split(b'\n', 3)
assert parts[0] == b'P6' and parts[1] == b'320 240', parts[:3]
px = parts[3]
colours = {px[i:i + 3] for i in range(0, len(px), 3 * 7)}
print("distinct colours in snapshot:", len(colours))
assert len(colours) > 20, "snapshot looks blank"
PY
echo "examples OK"
