#!/usr/bin/env bash
# Regenerates the figures of docs/benchmarks.md (called by `./run bench`,
# after a Release build in build/). Everything is measured side by side in
# one run, because these machines are shared and noisy: compare the ratios.
#
#   bench/run.sh [all|playback|player|control|predictor|sessions|eval|wakeups|learning]   (default all)
#   LEARN_MODES="structured memoryless" LEARN_WS="2 10 30 120 600" LEARN_VIEWERS=400 LEARN_SEED=7 bench/run.sh learning
#   BASELINE=path/to/an/older/bench_control bench/run.sh control   (side by side)
#
# Results go to bench-results/ (raw outputs) and are printed as tables.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BUILD_DIR:-build}
OUT=bench-results
mkdir -p "$OUT" bench-data
export SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy
WHAT=${1:-all}
SECONDS_PLAY=${SECONDS_PLAY:-60}

note() { printf '\n==> %s\n' "$*"; }
machine() {
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ); ffmpeg $(ffmpeg -version | head -1 | cut -d' ' -f3); mpv $(mpv --version | head -1 | cut -d' ' -f2)"
}

clip1080() {
  local f=bench-data/clip1080.mp4
  if [ ! -s $f ]; then
    note "making the 1080p clip ($((SECONDS_PLAY + 10)) s, 30 fps, x264 + AAC)" >&2
    ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1920x1080:rate=30:duration=$((SECONDS_PLAY + 10))" \
      -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$((SECONDS_PLAY + 10))" \
      -c:v libx264 -preset veryfast -g 60 -pix_fmt yuv420p -c:a aac -shortest $f
  fi
  echo $f
}

# usage: measure NAME CMD... -> one line: name wall user sys maxrss_kb voluntary_cs involuntary_cs
measure() {
  local name=$1; shift
  /usr/bin/time -f "$name %e %U %S %M %w %c" -o "$OUT/time-$name.txt" "$@" >"$OUT/out-$name.txt" 2>"$OUT/err-$name.txt" || true
  cat "$OUT/time-$name.txt"
}

# Time to first decoded frame, from process start: ffplay prints showinfo's
# line for frame 0 as it decodes it; smartplayer-play reports the first frame
# handed to the host. Median of 5 runs each, interleaved.
ttff() {
  local clip=$1
  python3 - "$clip" "$B/tools/smartplayer-play" <<'PY'
import json, statistics, subprocess, sys, time
clip, play = sys.argv[1], sys.argv[2]
def ffplay_once():
    t0 = time.monotonic()
    p = subprocess.Popen(["ffplay", "-hide_banner", "-autoexit", "-an", "-vf", "showinfo", "-t", "1", clip],
                         stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    first = None
    for line in p.stderr:
        if "Parsed_showinfo" in line and " n:" in line and first is None:
            first = (time.monotonic() - t0) * 1000
            p.kill()
            break
    p.wait()
    return first
def ours_once():
    out = subprocess.run([play, "--video", "callback", "--audio", "none", "--first-frame", clip],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)["first_frame_ms"]
f, o = [], []
for _ in range(5):
    f.append(ffplay_once()); o.append(ours_once())
fm, om = statistics.median(f), statistics.median(o)
print(f"time to first frame (median of 5, ms): smartplayer {om:.1f}  ffplay {fm:.1f}  ratio {om/fm:.2f}")
PY
}

playback() {
  local clip; clip=$(clip1080)
  note "1080p playback, side by side ($SECONDS_PLAY s each): wall user sys maxrss_kb voluntary_cs involuntary_cs"
  ttff "$clip" | tee "$OUT/ttff.txt"
  {
    machine
    measure smartplayer "$B/tools/smartplayer-play" --seconds "$SECONDS_PLAY" --video sdl --audio sdl --policy always-on "$clip"
    measure ffplay ffplay -hide_banner -loglevel error -autoexit -t "$SECONDS_PLAY" "$clip"
    measure mpv mpv --no-config --really-quiet --vo=null --ao=null --length="$SECONDS_PLAY" "$clip"
  } | tee "$OUT/playback.txt"
}

player() {
  local clip; clip=$(clip1080)
  note "seek latency (vs bare libav) and control-call-to-logged latency"
  SP_BENCH_CLIP=$clip "$B/bench/bench_player" --benchmark_out="$OUT/bench_player.json" --benchmark_out_format=json | tee "$OUT/bench_player.txt"
}

# Control-call latency (p50/p99/max), free db and db locked by another
# process, and destroy with retraining under way. With BASELINE= (a
# bench_control built from an older commit), the two binaries run in turn,
# three times each, in one run.
control() {
  note "control-call latency on the calling thread (us): free db, and db locked by another process;"
  note "sp_stop -> destroyed with online retraining under way (ms), on 1,457 simulated sessions"
  local traces=bench-data/sim1457.jsonl train=bench-data/train1457.db
  [ -s $traces ] || "$B/tools/smartplayer-sim" --viewers 300 --sessions 5 --seed 1 --out $traces
  if [ ! -s $train ]; then
    "$B/tools/smartplayer-cli" --db $train import-traces $traces
    "$B/tools/smartplayer-train" --db $train --save-to-db >/dev/null
  fi
  export SP_BENCH_TRAIN_DB=$PWD/$train
  machine | tee "$OUT/control.txt"
  local runs=("$B/bench/bench_control")
  [ -n "${BASELINE:-}" ] && runs=("$BASELINE" "$B/bench/bench_control")
  for round in 1 2 3; do
    for bin in "${runs[@]}"; do
      echo "-- $bin (round $round)" | tee -a "$OUT/control.txt"
      "$bin" --benchmark_format=console 2>/dev/null | grep -E 'BM_(ControlCall|DestroyWhileTraining)' | tee -a "$OUT/control.txt"
    done
  done
}

predictor() {
  note "predictor: training time and predictions per second"
  if [ -x "$B/bench/bench_predictor" ]; then "$B/bench/bench_predictor" | tee "$OUT/bench_predictor.txt"; fi
}

sessions() {
  note "simulated viewers driving real players (issue 4), plus ffplay and mpv on the same clip"
  local clip=bench-data/clip_small.mp4 traces=bench-data/sim.jsonl seed=bench-data/seed.db
  [ -s $clip ] || ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=320x180:rate=25:duration=5400 \
    -c:v libx264 -preset ultrafast -g 250 $clip
  [ -s $traces ] || "$B/tools/smartplayer-sim" --viewers 2000 --sessions 5 --seed 7 --out $traces
  if [ ! -s $seed ]; then
    "$B/tools/smartplayer-cli" --db $seed import-traces $traces
    "$B/tools/smartplayer-train" --db $seed --save-to-db
  fi
  "$B/bench/bench_sessions" --traces $traces --clip $clip --seed-db $seed --viewers "${VIEWERS:-20}" \
    --seconds "${SESSION_SECONDS:-180}" --policies always-on,fixed-timeout,learned --json "$OUT/sessions.json" | tee "$OUT/sessions.txt"
  note "one player each on the same clip for $SECONDS_PLAY s: wall user sys maxrss_kb voluntary_cs involuntary_cs"
  {
    measure sp-always-on "$B/tools/smartplayer-play" --seconds "$SECONDS_PLAY" --video sdl --audio sdl --policy always-on --db "$OUT/p1.db" --set online_learning=0 $clip
    measure sp-learned "$B/tools/smartplayer-play" --seconds "$SECONDS_PLAY" --video sdl --audio sdl --policy learned --db $seed --set online_learning=0 $clip
    measure ffplay-small ffplay -hide_banner -loglevel error -autoexit -t "$SECONDS_PLAY" $clip
    measure mpv-small mpv --no-config --really-quiet --vo=null --ao=null --length="$SECONDS_PLAY" $clip
  } | tee "$OUT/wakeups.txt"
}

# Issue 8: wake-ups per second (per thread and whole process) and CPU seconds
# of a playing and a paused player, ours vs ffplay vs mpv, on one 720p30
# H.264 + AAC clip with SDL's dummy drivers (bench/wakeups.py says how).
wakeups() {
  local clip=bench-data/clip720.mp4 keys=bench-data/ffplay_keys.so
  if [ ! -s $clip ]; then
    note "making the 720p clip (30 s, 30 fps, x264 + AAC)" >&2
    ffmpeg -hide_banner -loglevel error -y -f lavfi -i "testsrc2=size=1280x720:rate=30:duration=30" \
      -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=30" \
      -c:v libx264 -preset veryfast -g 60 -pix_fmt yuv420p -c:a aac -shortest $clip
  fi
  # ffplay has no remote control and the dummy video driver no keyboard: a
  # preloaded wrapper presses 'p' for it (bench/ffplay_keys.c).
  cc -shared -fPIC -O2 $(sdl2-config --cflags) -o $keys bench/ffplay_keys.c -ldl
  note "wake-ups, playing and paused: ours (smartplayer-play, SDL window + audio), ffplay, mpv; ${WINDOW:-10} s windows"
  {
    machine
    echo "command: bench/run.sh wakeups (SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy)"
    python3 bench/wakeups.py --clip $clip --play "$B/tools/smartplayer-play" --keys $keys \
      --window "${WINDOW:-10}" --json "$OUT/wakeups.json"
  } | tee "$OUT/wakeups-issue8.txt"
}

eval_policies() {
  note "policy replay on simulated traces (issue 3)"
  local traces=bench-data/sim.jsonl
  [ -s $traces ] || "$B/tools/smartplayer-sim" --viewers 2000 --sessions 5 --seed 7 --out $traces
  "$B/tools/smartplayer-eval" --traces $traces --split both --json "$OUT/eval.json" --plots docs/img | tee "$OUT/eval.txt"
}

# Issue 9: learned against the Bayes reference, the best fixed timeout in
# hindsight and the oracle, per simulator mode and across w/h (h = 1, m = 60
# fixed; w/h = 30 is the default cost), time and viewer split. One
# smartplayer-eval run per (mode, w), niced; a table and
# docs/img/learning.png from bench/learning.py.
learning() {
  local modes=${LEARN_MODES:-structured memoryless memoryless-gap600 bursty heavy-tailed drifting}
  local ws=${LEARN_WS:-2 10 30 120 600} viewers=${LEARN_VIEWERS:-400} seed=${LEARN_SEED:-7}
  local dir=$OUT/learning
  mkdir -p "$dir"
  note "learning that pays (issue 9): modes [$modes], w/h [$ws], $viewers viewers x 5 sessions, seed $seed"
  machine | tee "$dir/machine.txt"
  local n=0 total=0 mode w
  for mode in $modes; do for w in $ws; do total=$((total + 1)); done; done
  for mode in $modes; do
    local base=bench-data/learn-$mode-v$viewers-s$seed extra=()
    # memoryless-gap600: memoryless with a mean gap of 10 min (sessions of 2 h), where sleeping pays.
    case $mode in memoryless-gap600) extra=(--mode memoryless --mean-gap-s 600 --mean-session-s 7200) ;; *) extra=(--mode "$mode") ;; esac
    if [ ! -s $base.jsonl ]; then
      "$B/tools/smartplayer-sim" --viewers "$viewers" --sessions 5 --seed "$seed" "${extra[@]}" --quiet \
        --out $base.jsonl --truth $base.truth --transitions $base.transitions
    fi
    for w in $ws; do
      n=$((n + 1))
      echo "[learning $n/$total] $mode, cost 1,$w,60 ($(date -u +%H:%M:%S))" >&2
      nice "$B/tools/smartplayer-eval" --traces $base.jsonl --truth $base.truth --transitions $base.transitions \
        --policies fixed-timeout,learned,bayes,oracle --split both --cost "1,$w,60" --quiet \
        --json "$dir/$mode-w$w.json" >"$dir/$mode-w$w.txt"
    done
  done
  python3 bench/learning.py "$dir" docs/img/learning.png | tee "$dir/summary.md"
}

case "$WHAT" in
  all) playback; player; control; predictor; sessions; eval_policies; wakeups; learning ;;
  playback) playback ;;
  player) player ;;
  control) control ;;
  predictor) predictor ;;
  sessions) sessions ;;
  eval) eval_policies ;;
  wakeups) wakeups ;;
  learning) learning ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
