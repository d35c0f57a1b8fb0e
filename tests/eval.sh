#!/usr/bin/env bash
# smartplayer-eval end to end: a small trace (simulated when smartplayer-sim is
# built, else tests/data/eval_traces.jsonl), the JSON report's keys and values,
# the plots, and the error exits.
set -euo pipefail
BIN="${SP_BINARY_DIR:?}/tools"
EVAL="$BIN/smartplayer-eval"
[ -x "$EVAL" ] || { echo "missing $EVAL"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -x "$BIN/smartplayer-sim" ]; then
  "$BIN/smartplayer-sim" --viewers 50 --sessions 4 --seed 1 --out "$work/traces.jsonl" --quiet
else
  cp "${SP_SOURCE_DIR:?}/tests/data/eval_traces.jsonl" "$work/traces.jsonl"
fi

"$EVAL" --traces "$work/traces.jsonl" --json "$work/out.json" --plots "$work/plots" > "$work/stdout" 2> "$work/stderr"
grep -q "split time" "$work/stdout"
grep -q "split viewer" "$work/stdout"
grep -q "learned" "$work/stdout"

python3 - "$work/out.json" <<'PY'
import json, math, sys
d = json.load(open(sys.argv[1]))
names = ["always-on", "fixed-timeout", "seed-genre", "learned", "oracle"]
fields = ["awake_fraction", "misses_per_100", "wakes_per_hour", "cost", "cost_ratio_to_oracle"]
assert d["cost_model"] == {"h": 1.0, "w": 30.0, "m": 60.0}, d["cost_model"]
assert d["split"] == "both"
assert set(d["splits"]) == {"time", "viewer"}, d["splits"].keys()
assert d["skipped_splits"] == {}, d["skipped_splits"]
assert d["policies"] == d["splits"]["time"], "top-level policies must be the time split"
for split, pol in d["splits"].items():
    assert set(pol) == set(names), (split, pol.keys())
    for n in names:
        f = pol[n]
        for k in fields:
            assert isinstance(f[k], (int, float)) and math.isfinite(f[k]), (split, n, k, f[k])
        assert 0 <= f["awake_fraction"] <= 1, (split, n)
        assert 0 <= f["misses_per_100"] <= 100, (split, n)
        assert f["wakes_per_hour"] >= 0 and f["cost"] > 0, (split, n)
        assert f["cost_ratio_to_oracle"] >= 1 - 1e-9, (split, n, f["cost_ratio_to_oracle"])
        assert f["sessions"] == d["split_sizes"][split]["test"], (split, n)
        c = d["cost_model"]
        assert abs(f["cost"] - (c["h"] * f["awake_s"] + c["w"] * f["wakes"] + c["m"] * f["misses"])) < 1e-6 * f["cost"] + 1e-6
    assert pol["always-on"]["awake_fraction"] == 1 and pol["always-on"]["wakes_per_hour"] == 0
    assert pol["always-on"]["misses_per_100"] == 0
    assert pol["oracle"]["cost_ratio_to_oracle"] == 1 and pol["oracle"]["misses_per_100"] == 0
    assert pol["fixed-timeout"]["proactive_wakes"] == 0
    assert pol["fixed-timeout"]["misses"] == pol["fixed-timeout"]["wakes"]
    # every policy replays the same sessions and interactions
    assert len({pol[n]["interactions"] for n in names}) == 1
    s = d["split_sizes"][split]
    assert s["train"] > 0 and s["test"] > 0
assert d["fixed_timeout_s"] == 30
for split in ("time", "viewer"):
    b = d["best_fixed_timeout"][split]
    assert b["cost_ratio_to_oracle"] >= 1 - 1e-9 and b["tau_s"] > 0
    assert b["cost_ratio_to_oracle"] <= d["splits"][split]["fixed-timeout"]["cost_ratio_to_oracle"] + 1e-9
    assert b["cost_ratio_to_oracle"] == min(r["cost_ratio_to_oracle"] for r in b["sweep"])
p = d["plots"]
assert len(p["tradeoff"]["fixed_timeout"]) >= 5 and len(p["tradeoff"]["learned"]) >= 5
assert len(p["breakeven"]) >= 5 and all(r["fixed-timeout"] >= 1 - 1e-9 for r in p["breakeven"])
print("json ok")
PY

for png in tradeoff breakeven timelines; do
  f="$work/plots/$png.png"
  [ -s "$f" ] || { echo "missing or empty $f"; exit 1; }
  head -c 8 "$f" | od -An -c | grep -q "P   N   G" || { echo "$f is not a PNG"; exit 1; }
  [ -s "$work/plots/$png.gp" ] || { echo "missing $png.gp"; exit 1; }
done
[ -s "$work/plots/tradeoff_fixed.dat" ] && [ -s "$work/plots/breakeven.dat" ] && [ -s "$work/plots/timeline_1.dat" ]

# A chosen cost model, policies and split are honoured.
"$EVAL" --traces "$work/traces.jsonl" --json "$work/b.json" --cost 2,10,100 --policies oracle,fixed-timeout \
  --split viewer --quiet > /dev/null
python3 - "$work/b.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["cost_model"] == {"h": 2.0, "w": 10.0, "m": 100.0}, d["cost_model"]
assert d["split"] == "viewer" and set(d["splits"]) == {"viewer"}
assert set(d["policies"]) == {"oracle", "fixed-timeout"}
assert d["fixed_timeout_s"] == 5
print("options ok")
PY

# The Kaplan-Meier baseline forecaster also drives the learned policy.
"$EVAL" --traces "$work/traces.jsonl" --json "$work/c.json" --policies learned,oracle --forecaster empirical \
  --split time --quiet > /dev/null
python3 - "$work/c.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert "Kaplan-Meier" in d["forecaster"]["time"], d["forecaster"]
assert d["policies"]["learned"]["cost_ratio_to_oracle"] >= 1
print("forecaster ok")
PY

# The Bayes reference on simulated traces: smartplayer-sim --truth, smartplayer-eval --truth.
if [ -x "$BIN/smartplayer-sim" ]; then
  "$BIN/smartplayer-sim" --viewers 60 --sessions 4 --seed 2 --out "$work/sim.jsonl" --truth "$work/truth.jsonl" --quiet
  "$EVAL" --traces "$work/sim.jsonl" --truth "$work/truth.jsonl" --json "$work/bayes.json" --split time --quiet \
    --actions "$work/actions.csv" > "$work/bayes.out"
  grep -q "bayes" "$work/bayes.out"
  # --actions: every test action once per named policy, missed or not, as the totals count them;
  # bench/gap_by_cause.py splits the difference between two policies by cause.
  python3 - "$work/bayes.json" "$work/actions.csv" <<'PY'
import csv, json, sys
d = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
assert rows and set(rows[0]) == {"split", "policy", "session", "viewer", "video", "action", "kind", "wall_ms",
                                 "pos_ms", "missed"}, rows[:1]
for name, fig in d["splits"]["time"].items():
    mine = [r for r in rows if r["policy"] == name and r["split"] == "time"]
    assert len(mine) == fig["interactions"], (name, len(mine), fig["interactions"])
    assert sum(int(r["missed"]) for r in mine) == fig["misses"], name
assert {r["policy"] for r in rows} == set(d["splits"]["time"])
assert all(r["kind"] in ("play", "pause", "seek", "rate", "volume", "mute", "stop", "skip", "step") for r in rows)
print("actions ok", len(rows))
PY
  python3 "$SP_SOURCE_DIR/bench/gap_by_cause.py" "$work/actions.csv" --traces "$work/sim.jsonl" --truth "$work/truth.jsonl" \
    --policies learned,bayes > "$work/gap.md"
  python3 - "$work/bayes.json" "$work/gap.md" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["splits"]["time"]
last = open(sys.argv[2]).read().strip().splitlines()[-1].split("|")
assert last[1].strip() == "all", last
assert int(last[3]) == p["learned"]["misses"] and int(last[4]) == p["bayes"]["misses"], last
assert int(last[5]) == p["learned"]["misses"] - p["bayes"]["misses"], last
print("gap by cause ok")
PY
  python3 - "$work/bayes.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["policies"]
assert set(p) == {"always-on", "fixed-timeout", "seed-genre", "learned", "bayes", "oracle"}, p.keys()
b = p["bayes"]
for k in ("awake_fraction", "misses_per_100", "wakes_per_hour", "cost", "cost_ratio_to_oracle", "proactive_wakes"):
    assert k in b, k
assert b["cost_ratio_to_oracle"] >= 1 - 1e-9
# The reference plans with the true process: cheaper than staying awake and than tau = w/h.
assert b["cost"] < p["always-on"]["cost"] and b["cost"] < p["fixed-timeout"]["cost"], (b, p["fixed-timeout"])
assert b["proactive_wakes"] > 0
print("bayes ok", b["cost_ratio_to_oracle"])
PY
  # A truth file of another simulation is refused.
  "$BIN/smartplayer-sim" --viewers 3 --sessions 1 --seed 9 --videos 5 --out "$work/other.jsonl" --truth "$work/other-truth.jsonl" --quiet
  set +e; "$EVAL" --traces "$work/sim.jsonl" --truth "$work/other-truth.jsonl" --json "$work/x.json" --quiet 2> "$work/err"; rc=$?; set -e
  [ "$rc" = 1 ] && grep -q "not the same simulation" "$work/err"
fi

# Errors: bad usage exits 2 with a message, unusable input exits 1.
expect() {  # expect STATUS PATTERN -- command...
  local want=$1 pat=$2; shift 3
  set +e; "$@" > "$work/out" 2> "$work/err"; local got=$?; set -e
  [ "$got" = "$want" ] || { echo "expected exit $want, got $got: $*"; cat "$work/err"; exit 1; }
  grep -q -- "$pat" "$work/err" || { echo "expected '$pat' in stderr of: $*"; cat "$work/err"; exit 1; }
}
expect 2 "are required" -- "$EVAL" --traces "$work/traces.jsonl"
expect 2 "expected \"h,w,m\"" -- "$EVAL" --traces "$work/traces.jsonl" --json "$work/x.json" --cost 1,2
# Plain decimal numbers only (strtod's hex was taken), and h > 0: with free
# awake time the oracle never sleeps and every ratio to it is infinite.
expect 2 'h = "0x1" is not a plain decimal number' -- "$EVAL" --traces "$work/traces.jsonl" --json "$work/x.json" --cost 0x1,30,60
expect 2 "h must be > 0" -- "$EVAL" --traces "$work/traces.jsonl" --json "$work/x.json" --cost 0,30,60
expect 2 "--timeout: expected" -- "$EVAL" --traces "$work/traces.jsonl" --json "$work/x.json" --timeout 0x10
expect 2 "unknown policy" -- "$EVAL" --traces "$work/traces.jsonl" --json "$work/x.json" --policies always-on,napping
expect 2 "expected time, viewer or both" -- "$EVAL" --traces "$work/traces.jsonl" --json "$work/x.json" --split month
expect 2 "--forecaster: expected" -- "$EVAL" --traces "$work/traces.jsonl" --json "$work/x.json" --forecaster crystal-ball
expect 2 "--timeout: expected" -- "$EVAL" --traces "$work/traces.jsonl" --json "$work/x.json" --timeout -3
expect 2 "needs --truth" -- "$EVAL" --traces "$work/traces.jsonl" --json "$work/x.json" --policies bayes,oracle
expect 1 "cannot open" -- "$EVAL" --traces "$work/traces.jsonl" --json "$work/x.json" --truth "$work/no-such-truth.jsonl"
# A truth file that is not JSON at all (an image) is named, with the reason in words.
printf '\211PNG\r\n\032\n' > "$work/image.png"
expect 1 "image.png: line 1: not valid JSON (at byte 1)" -- "$EVAL" --traces "$work/traces.jsonl" --json "$work/x.json" --truth "$work/image.png"
expect 2 "unknown option" -- "$EVAL" --traces "$work/traces.jsonl" --json "$work/x.json" --bogus
expect 2 "needs a value" -- "$EVAL" --traces
expect 1 "cannot read traces: .*does-not-exist.jsonl" -- "$EVAL" --traces "$work/does-not-exist.jsonl" --json "$work/x.json"
printf 'not json\n{"session":1}\n' > "$work/bad.jsonl"
expect 1 "no sessions" -- "$EVAL" --traces "$work/bad.jsonl" --json "$work/x.json"
head -n 1 "$work/traces.jsonl" > "$work/one.jsonl"
expect 1 "split time" -- "$EVAL" --traces "$work/one.jsonl" --json "$work/x.json" --split time
expect 1 "no split could run" -- "$EVAL" --traces "$work/one.jsonl" --json "$work/x.json"
[ ! -e "$work/x.json" ]
# One viewer's log (a Netflix profile): --split both keeps the time split's
# figures, says why the viewer split was skipped, writes the JSON, exits 0.
python3 - "$work/traces.jsonl" "$work/oneviewer.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
v = rows[0]["viewer"]
with open(sys.argv[2], "w") as f:
    for r in rows:
        if r["viewer"] == v:
            f.write(json.dumps(r) + "\n")
PY
"$EVAL" --traces "$work/oneviewer.jsonl" --json "$work/ov.json" --quiet >"$work/ov.out"
grep -q "^split time: train" "$work/ov.out"
grep -q "^split viewer: skipped (no .* sessions (.* 1 viewer: " "$work/ov.out"
python3 - "$work/ov.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d["splits"]) == ["time"], d["splits"].keys()
assert d["policies"] == d["splits"]["time"]
assert list(d["skipped_splits"]) == ["viewer"] and "1 viewer" in d["skipped_splits"]["viewer"], d["skipped_splits"]
PY
expect 1 "split viewer: no .* sessions" -- "$EVAL" --traces "$work/oneviewer.jsonl" --json "$work/x.json" --split viewer
# A folder that does not exist is found before the replay, and nothing is written.
expect 1 "x.json: cannot open for writing: No such file or directory" -- "$EVAL" --traces "$work/traces.jsonl" --json "$work/no/such/dir/x.json" --policies oracle --quiet
expect 1 "actions.csv: cannot open for writing" -- "$EVAL" --traces "$work/traces.jsonl" --json "$work/x.json" --policies oracle \
  --actions "$work/no/such/dir/actions.csv" --quiet
[ ! -e "$work/x.json" ]
echo "eval.sh ok"
