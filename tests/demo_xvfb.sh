#!/usr/bin/env bash
# The SDL demo player in a real X server (Xvfb, SDL's x11 video driver):
# scripted, it pauses and resumes, shows the predicted windows ('w'), takes a
# screenshot of its window (PNG) and quits. The screenshot must not be blank
# (ImageMagick's standard deviation, many distinct colours), must show the
# video, the control bar (the played part of the seek bar and the volume level
# in the accent colour, at the bottom) and the control-plane status panel (top
# right). It is kept next to the build ($SP_BINARY_DIR/demo-screenshot.png).
# xvfb-run and ImageMagick are installed by ./run (deps); missing, this fails.
set -euo pipefail
B=${SP_BINARY_DIR:?}
DEMO="$B/examples/demo/smartplayer-demo"
command -v xvfb-run >/dev/null || { echo "xvfb-run is not installed (apt-get install xvfb xauth)"; exit 1; }
command -v convert >/dev/null || { echo "ImageMagick's convert is not installed (apt-get install imagemagick)"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=640x360:rate=25:duration=10 \
  -f lavfi -i sine=frequency=440:duration=10 -c:v libx264 -preset veryfast -pix_fmt yuv420p -g 25 \
  -c:a aac -shortest "$T/clip.mp4"

cat >"$T/x.script" <<EOF
at 1.0 pause
at 1.3 play
at 1.5 key w
at 2.0 screenshot $T/shot.png
at 2.5 quit
EOF
cd "$T"
# Not headless: the x11 driver, a real window. The library's audio goes to SDL's dummy driver.
# Under AddressSanitizer (./run test's ASan stage) leak checking is off for this run only:
# libX11, libdbus and the dlopen'ed GL driver keep allocations past exit that are not
# ours to free; tests/demo.sh runs the same code with leak checking on (dummy drivers).
env -u SDL_VIDEODRIVER SDL_AUDIODRIVER=dummy ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" xvfb-run -a -s "-screen 0 1280x720x24" \
  "$DEMO" --db "$T/x.db" --viewer tester --policy fixed-timeout \
  --script "$T/x.script" "$T/clip.mp4" | tee "$T/out"
if grep -q "^\[demo\] headless" "$T/out"; then echo "ran headless under Xvfb"; exit 1; fi
grep -q "^\[demo\] screenshot .*shot.png (640x360)" "$T/out"
[ -s "$T/shot.png" ]
[ "$(sqlite3 "$T/x.db" "SELECT group_concat(kind, ' ') FROM (SELECT kind FROM events WHERE kind IN (1, 2) ORDER BY seq)")" = "1 2 1" ]

# Not blank: ImageMagick reads it, and its pixels vary.
identify "$T/shot.png"
sd=$(convert "$T/shot.png" -format '%[fx:standard_deviation]' info:)
colours=$(convert "$T/shot.png" -format '%k' info:)
echo "standard deviation $sd, distinct colours $colours"
awk -v sd="$sd" 'BEGIN { exit !(sd > 0.1) }'
[ "$colours" -gt 1000 ]

# Regions: video, control bar, status panel (pixels dumped as text RGB by convert).
convert "$T/shot.png" -depth 8 rgb:"$T/shot.rgb"
python3 - "$T/shot.rgb" 640 360 <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
w, h = int(sys.argv[2]), int(sys.argv[3])
assert len(data) == w * h * 3
def px(x, y):
    i = (y * w + x) * 3
    return tuple(data[i:i + 3])
video = [px(x, y) for y in range(h // 4, h // 2) for x in range(0, w // 2, 2)]
lit = sum(max(c) > 40 for c in video) / len(video)
print(f"video area lit: {lit:.2f}")
assert lit > 0.5, "no video frame drawn"
def near(c, ref, tol=6):
    return all(abs(a - b) <= tol for a, b in zip(c, ref))
bar = [px(x, y) for y in range(h - 76, h) for x in range(w)]
n_accent = sum(near(c, (61, 165, 244)) for c in bar)
n_bright = sum(min(c) > 200 for c in bar)
print("control bar: accent pixels", n_accent, "white pixels", n_bright)
assert n_accent > 300, "seek bar / volume level not drawn"
assert n_bright > 200, "buttons and time text not drawn"
n_window = sum(near(c, (255, 160, 40), 10) for c in bar)
print("predicted-window (orange) pixels on the bar", n_window)
panel = [px(x, y) for y in range(8, 60) for x in range(w // 2, w - 8)]
n_text = sum(max(c) > 150 for c in panel)
print("status panel bright pixels", n_text)
assert n_text > 50, "control-plane status not drawn"
PY

cp "$T/shot.png" "$B/demo-screenshot.png"
echo "screenshot: $B/demo-screenshot.png"

# A picture recorded turned (a display matrix, as phones write portrait
# video): stored 320x180, left half red, right half blue. Shown as ffplay
# shows it: turned by the negative of the matrix's (counter-clockwise)
# angle; for this file a quarter turn counter-clockwise, so blue on top, red
# below, in a portrait picture letterboxed in the window.
ffmpeg -hide_banner -loglevel error -y -f lavfi \
  -i "color=red:size=160x180:rate=25:duration=4[l];color=blue:size=160x180:rate=25:duration=4[r];[l][r]hstack" \
  -c:v libx264 -pix_fmt yuv420p "$T/lr.mp4"
ffmpeg -hide_banner -loglevel error -y -i "$T/lr.mp4" -c copy -metadata:s:v:0 rotate=90 "$T/turned.mp4"
[ "$(ffprobe -v error -select_streams v:0 -show_entries stream_side_data=rotation -of csv=p=0 "$T/turned.mp4" | head -1)" = 90 ]
printf 'at 1.0 screenshot %s\nat 1.5 quit\n' "$T/turned.png" >"$T/t.script"
env -u SDL_VIDEODRIVER SDL_AUDIODRIVER=dummy ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" xvfb-run -a -s "-screen 0 1280x720x24" \
  "$DEMO" --db "$T/t.db" --policy fixed-timeout --script "$T/t.script" "$T/turned.mp4" | tee "$T/out2"
size=$(sed -n 's/^\[demo\] screenshot .*turned.png (\([0-9]*x[0-9]*\))$/\1/p' "$T/out2")
[ -n "$size" ]
convert "$T/turned.png" -depth 8 rgb:"$T/turned.rgb"
python3 - "$T/turned.rgb" "${size%x*}" "${size#*x}" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
w, h = int(sys.argv[2]), int(sys.argv[3])
assert len(data) == w * h * 3
def px(x, y):
    i = (y * w + x) * 3
    return tuple(data[i:i + 3])
def is_red(c): return c[0] > 150 and c[1] < 80 and c[2] < 80
def is_blue(c): return c[2] > 150 and c[0] < 80 and c[1] < 80
top, bottom = px(w // 2, h // 5), px(w // 2, h * 3 // 5)
print("turned picture: top", top, "lower", bottom)
assert is_blue(top) and is_red(bottom), "the picture is not turned as the file asks"
# Portrait: dark bars left and right of the picture.
assert max(px(4, h // 3)) < 40 and max(px(w - 5, h // 3)) < 40, "the turned picture is not letterboxed as portrait"
PY
echo "demo_xvfb OK"
