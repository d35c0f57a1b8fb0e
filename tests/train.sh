#!/usr/bin/env bash
# smartplayer-train end to end: train from a behaviour log and from a trace
# file, the metrics JSON on stdout, the stored model version, the model file,
# the videos' transitions kept in the model (--transitions), the one-line
# --summary, and the error exits.
set -euo pipefail
BIN="${SP_BINARY_DIR:?}/tools"
TRAIN="$BIN/smartplayer-train"
for t in smartplayer-train smartplayer-sim smartplayer-cli; do
  [ -x "$BIN/$t" ] || { echo "missing $BIN/$t"; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$BIN/smartplayer-sim" --viewers 60 --sessions 4 --seed 5 --out "$work/t.jsonl" --quiet
"$BIN/smartplayer-cli" --db "$work/log.db" import-traces "$work/t.jsonl" >/dev/null

"$TRAIN" --db "$work/log.db" --save-to-db --out "$work/m1.json" >"$work/a.json" 2>"$work/a.err"
grep -q "%" "$work/a.err"   # progress on stderr
"$TRAIN" --db "$work/log.db" --save-to-db --quiet >"$work/b.json" 2>"$work/b.err"
[ ! -s "$work/b.err" ] || { echo "--quiet printed:"; cat "$work/b.err"; exit 1; }
"$TRAIN" --traces "$work/t.jsonl" --l2 1000 --quiet --out "$work/m2.json" >"$work/c.json"

python3 - "$work" <<'PY'
import json, math, sys
w = sys.argv[1]
a, b, c = (json.load(open(f"{w}/{n}.json")) for n in "abc")
sessions = sum(1 for line in open(f"{w}/t.jsonl") if line.strip())
for d in (a, b, c):
    assert d["kind"] == "hazard-logreg", d["kind"]
    for k in ("log_loss", "base_log_loss", "brier", "train_seconds"):
        assert isinstance(d[k], (int, float)) and math.isfinite(d[k]), (k, d[k])
    assert 0 < d["log_loss"] < d["base_log_loss"], (d["log_loss"], d["base_log_loss"])
    assert d["sessions_seen"] == sessions, (d["sessions_seen"], sessions)
    assert d["events_seen"] > d["sessions_seen"] and d["examples"] > 0
    assert len(d["calibration"]) == 10 and sum(x["count"] for x in d["calibration"]) > 0
assert a["saved_version"] >= 1 and b["saved_version"] == a["saved_version"] + 1, (a.get("saved_version"), b.get("saved_version"))
assert "saved_version" not in c
m1, m2 = json.load(open(f"{w}/m1.json")), json.load(open(f"{w}/m2.json"))
assert m1["format"] == "smartplayer-hazard-logreg/4" and m1["kind"] == "hazard-logreg"
assert m1["l2"] == 300 and m2["l2"] == 1000
for d in (a, b, c):  # 240 sessions: the latest 24 held out
    assert d["holdout_sessions"] == sessions // 10 and d["scored_on"] == "held-out", d
    assert "held-out log loss" in d["model"], d["model"]
assert len(m1["horizons_ms"]) == 14 and len(m1["states"]) == 3
print("train json ok")
PY

# --transitions: the side file's positions are kept in the model (its JSON,
# and the one stored in the log); --summary prints one line instead of JSON.
"$BIN/smartplayer-sim" --viewers 20 --sessions 2 --seed 5 --videos 12 --out "$work/s.jsonl" \
  --transitions "$work/tr.jsonl" --quiet
"$BIN/smartplayer-cli" --db "$work/s.db" import-traces "$work/s.jsonl" >/dev/null 2>&1
line=$("$TRAIN" --db "$work/s.db" --save-to-db --transitions "$work/tr.jsonl" --summary --quiet --out "$work/m3.json")
echo "summary: $line"
[ "$(printf '%s\n' "$line" | wc -l)" = 1 ]
sessions=$(grep -c . "$work/s.jsonl")
printf '%s\n' "$line" | grep -qE "^hazard-logreg model v1 on $sessions sessions, [0-9]+ events, transitions of 12 videos: held-out log loss 0\.[0-9]{3} vs 0\.[0-9]{3} for the base rate \([0-9-]+ % lower\)$"
# Fewer than 10 sessions: none can be held out, and the figures are in-sample;
# the summary, the JSON and the model's description say so, never "held-out".
head -n 3 "$work/s.jsonl" >"$work/three.jsonl"
line=$("$TRAIN" --traces "$work/three.jsonl" --summary --quiet)
echo "summary: $line"
printf '%s\n' "$line" | grep -qE "^hazard-logreg model on 3 sessions, [0-9]+ events: in-sample log loss 0\.[0-9]{3} vs 0\.[0-9]{3} for the base rate \([0-9-]+ % lower; too few sessions to hold any out, 10 needed, so no estimate for sessions it has not seen\)$"
"$TRAIN" --traces "$work/three.jsonl" --quiet >"$work/three.json"
python3 - "$work/three.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["holdout_sessions"] == 0 and d["scored_on"] == "in-sample", d
assert "in-sample log loss" in d["model"] and "held-out" not in d["model"], d["model"]
PY
sqlite3 "$work/s.db" "SELECT blob FROM models WHERE version = 1" >"$work/stored.json"
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
want = {}
for line in open(f"{w}/tr.jsonl"):
    d = json.loads(line)
    want[d["video"]] = d["transitions_ms"]
for f in ("m3.json", "stored.json"):
    got = json.load(open(f"{w}/{f}"))["transitions"]
    assert got == want, (f, got, want)
print("transitions kept in the model:", len(want), "videos")
PY
# Retraining without --transitions keeps the latest stored model's
# transitions (the log does not hold them), and the summary says so.
line=$("$TRAIN" --db "$work/s.db" --save-to-db --summary --quiet)
echo "summary: $line"
printf '%s\n' "$line" | grep -qE "^hazard-logreg model v2 on $sessions sessions, [0-9]+ events, transitions of 12 videos \(carried over from model v1\): held-out log loss"
"$TRAIN" --db "$work/s.db" --quiet >"$work/carried.json"
sqlite3 "$work/s.db" "SELECT blob FROM models WHERE version = 2" >"$work/stored2.json"
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
a, b = (json.load(open(f"{w}/{f}"))["transitions"] for f in ("stored.json", "stored2.json"))
assert a == b and len(a) == 12, (len(a), len(b))
c = json.load(open(f"{w}/carried.json"))["transitions"]
assert c == {"videos": 12, "from": "model v2"}, c
PY
printf '{"video":"vid0000","transitions_ms":[5,"x"]}\n' >"$work/badtr.jsonl"

expect() {  # expect STATUS MESSAGE -- command...
  local want=$1 msg=$2; shift 3
  set +e; "$@" >"$work/out" 2>"$work/err"; local got=$?; set -e
  [ "$got" = "$want" ] || { echo "expected exit $want, got $got: $*"; cat "$work/err"; exit 1; }
  grep -q -- "$msg" "$work/err" || { echo "expected '$msg' in stderr of: $*"; cat "$work/err"; exit 1; }
}
expect 1 "no behaviour log" -- "$TRAIN" --db "$work/missing.db"
echo "not a database" >"$work/bad.db"
expect 1 "cannot open" -- "$TRAIN" --db "$work/bad.db"
: >"$work/empty.jsonl"
# A behaviour log with a video in its catalogue and no session.
ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=64x48:rate=10:duration=1 -c:v libx264 "$work/one.mp4"
"$BIN/smartplayer-cli" --db "$work/empty.db" add --genre lecture "$work/one.mp4" >/dev/null
expect 1 "no sessions" -- "$TRAIN" --db "$work/empty.db" --save-to-db
expect 1 "no sessions" -- "$TRAIN" --traces "$work/empty.jsonl"
expect 1 "cannot read traces: .*missing.jsonl" -- "$TRAIN" --traces "$work/missing.jsonl"
expect 2 "give --db" -- "$TRAIN"
expect 2 "needs --db" -- "$TRAIN" --traces "$work/t.jsonl" --save-to-db
expect 2 "--l2" -- "$TRAIN" --db "$work/log.db" --l2 -1
expect 2 "unknown option" -- "$TRAIN" --db "$work/log.db" --frobnicate
expect 1 "--transitions: .*line 1" -- "$TRAIN" --db "$work/log.db" --transitions "$work/badtr.jsonl"
expect 1 "--transitions: cannot open" -- "$TRAIN" --db "$work/log.db" --transitions "$work/missing.jsonl"
expect 2 "needs a value" -- "$TRAIN" --db "$work/log.db" --transitions
expect 2 "--l2" -- "$TRAIN" --db "$work/log.db" --l2 0x10

# An output over an input is refused before anything is written: the
# behaviour log (or the traces) stays as it was.
cp "$work/log.db" "$work/victim.db"
expect 2 "--out '.*victim.db' is the same file as --db" -- "$TRAIN" --db "$work/victim.db" --out "$work/victim.db" --save-to-db
cmp -s "$work/log.db" "$work/victim.db" || { echo "the behaviour log was modified"; exit 1; }
ln -sf "$work/t.jsonl" "$work/link.jsonl"
expect 2 "it would be overwritten" -- "$TRAIN" --traces "$work/t.jsonl" --out "$work/link.jsonl"
# A folder that does not exist is found before the training, and an
# existing model file is replaced only by a whole new one.
expect 1 "cannot open for writing" -- "$TRAIN" --traces "$work/t.jsonl" --out "$work/no/such/dir/m.json"
# The same rule in the simulator and the evaluator.
expect 2 "both would write it" -- "$BIN/smartplayer-sim" --viewers 3 --sessions 2 --out "$work/s.jsonl" --truth "$work/s.jsonl"
expect 2 "bad value for --start-wall-ms" -- "$BIN/smartplayer-sim" --viewers 3 --out "$work/s.jsonl" --start-wall-ms 99999999999999999
cp "$work/t.jsonl" "$work/t.orig"
expect 2 "--json '.*t.jsonl' is the same file as --traces" -- "$BIN/smartplayer-eval" --traces "$work/t.jsonl" --json "$work/t.jsonl"
expect 2 "--actions .* is the same file as --traces" -- "$BIN/smartplayer-eval" --traces "$work/t.jsonl" --json "$work/e.json" --actions "$work/t.jsonl"
cmp -s "$work/t.jsonl" "$work/t.orig" || { echo "the traces were modified"; exit 1; }
echo "train.sh ok"
