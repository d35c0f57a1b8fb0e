#!/usr/bin/env bash
# smartplayer-import-netflix end to end: a ViewingActivity.csv written here
# (BOM, CRLF, newest first, quoted titles and profiles with commas, quotes and
# non-ASCII, trailers and hooks, autoplayed episodes, seeks, two malformed
# rows), converted, read back by the project's trace reader (smartplayer-cli
# import-traces into a behaviour log, which refuses nothing), replayed with
# smartplayer-eval; then the summary, the per-row errors and the exit codes.
set -euo pipefail
BIN="${SP_BINARY_DIR:?}/tools"
IMPORT="$BIN/smartplayer-import-netflix"
for t in "$IMPORT" "$BIN/smartplayer-cli" "$BIN/smartplayer-eval"; do
  [ -x "$t" ] || { echo "missing $t"; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The generator knows what it made: sessions, seeks, sessions that ran into an
# autoplayed next episode, supplemental and malformed rows.
python3 - "$work/ViewingActivity.csv" "$work/expect.json" <<'PY'
import calendar, json, sys, time
base = calendar.timegm(time.strptime("2024-01-01 18:00:00", "%Y-%m-%d %H:%M:%S"))
def ts(t): return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))
def hms(s): return "%02d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)
def q(f): return '"' + f.replace('"', '""') + '"' if any(c in f for c in ',"\n') else f
profiles = ["Ana", "Björn 👀", 'Kids, "TV" Room']
rows, exp = [], dict(sessions=0, seeks=0, finished=0, supplemental=0, malformed=2, events=0, actions=0)
def row(profile, t, dur, attrs, title, supp, device, bm):
    rows.append((t, ",".join(q(f) for f in [profile, ts(t), hms(dur), attrs, title, supp, device, hms(bm),
                                             "Not latest view", "DE (Germany)"])))
for p, profile in enumerate(profiles):
    for day in range(14):
        t = base + day * 86400 + p * 900           # profiles interleave in time
        device = "Living Room TV" if p != 1 else "Chrome PC (Cadmium)"
        show = 'Dark, "Again": Season 1: Épisode %d' % (day + 1)
        if day % 4 == 0:                          # a trailer and a hook before watching
            row(profile, t - 120, 45, "", "Dark: Season 2 (Trailer)", "TRAILER", device, 45)
            row(profile, t - 60, 30, "Autoplayed: user action: None; ", "Other_hook_primary", "HOOK", device, 30)
            exp["supplemental"] += 2
        nrows, pos = 1 + (day + p) % 3, 0
        for k in range(nrows):
            dur = 300 + 60 * ((day * 7 + k * 3 + p) % 10)
            if k == 2:                            # the third stretch starts 5 min further on: a seek
                pos += 300
                exp["seeks"] += 1
            row(profile, t, dur, "", show, "", device, pos + dur)
            t, pos = t + dur + 300, pos + dur     # 5 minutes between stretches
        exp["sessions"] += 1
        exp["events"] += 2 * nrows + 1 + (1 if k == 2 else 0)  # open+play ... pause/play ... stop|end
        exp["actions"] += 2 * nrows - 1 + (1 if k == 2 else 0)   # play, then pause (seek) play per row
        if day % 2 == 0:                          # the next episode autoplays 20 s after the end
            t = t - 300 + 20
            dur = 600
            row(profile, t, dur, "Autoplayed: user action: None; ", show + " (next)", "", device, dur)
            exp["sessions"] += 1
            exp["finished"] += 1
            exp["events"] += 3
            exp["actions"] += 2                   # its play and stop; the session before ends with `end`
        else:
            exp["actions"] += 1                   # the session's stop
rows.sort(key=lambda r: -r[0])                    # Netflix writes newest first
lines = [r[1] for r in rows]
lines.insert(5, "Ana,2024-13-01 10:00:00,00:05:00,,Film,,TV,00:05:00,Not latest view,DE (Germany)")
lines.insert(9, "Ana,2024-01-01 10:00:00,00:05:00,,Film,,TV")
exp["bad_lines"] = [5 + 2, 9 + 2]                 # header on line 1; insert index 0 is line 2
exp["rows"] = len(lines)
header = "Profile Name,Start Time,Duration,Attributes,Title,Supplemental Video Type,Device Type,Bookmark,Latest Bookmark,Country"
with open(sys.argv[1], "w", encoding="utf-8", newline="") as f:
    f.write("\ufeff" + "\r\n".join([header] + lines) + "\r\n")
json.dump(exp, open(sys.argv[2], "w"))
PY

"$IMPORT" "$work/ViewingActivity.csv" --out "$work/traces.jsonl" > "$work/stdout" 2> "$work/stderr"
cat "$work/stdout"
python3 - "$work/expect.json" "$work/stdout" "$work/stderr" "$work/traces.jsonl" <<'PY'
import json, re, sys
exp = json.load(open(sys.argv[1]))
out, err = open(sys.argv[2]).read(), open(sys.argv[3], encoding="utf-8").read()
m = re.match(r"rows (\d+), imported (\d+), sessions (\d+), events (\d+), seeks (\d+); skipped: malformed (\d+), "
             r"supplemental (\d+) \(HOOK (\d+), TRAILER (\d+)\), zero duration 0, within another row 0\n", out)
assert m, out
rows, imported, sessions, events, seeks, malformed, supp, hook, trailer = map(int, m.groups())
assert rows == exp["rows"], (rows, exp)
assert rows == imported + malformed + supp, out
assert (sessions, events, seeks) == (exp["sessions"], exp["events"], exp["seeks"]), (out, exp)
assert (malformed, supp, hook, trailer) == (2, exp["supplemental"], exp["supplemental"] // 2, exp["supplemental"] // 2)
assert "sessions ended by the next title's autoplay %d," % exp["finished"] in out, out
bad = [l for l in err.splitlines() if ": skipped: " in l]
assert len(bad) == 2, err
assert bad[0].endswith(":%d: skipped: bad \"Start Time\" \"2024-13-01 10:00:00\" (expected YYYY-MM-DD HH:MM:SS, UTC)"
                       % exp["bad_lines"][0]), bad[0]
assert bad[1].endswith(":%d: skipped: expected 10 fields (as in the header), found 7" % exp["bad_lines"][1]), bad[1]
# The output as JSON: ids kept exactly, every session well formed.
sess = [json.loads(l) for l in open(sys.argv[4], encoding="utf-8")]
assert len(sess) == exp["sessions"]
assert {s["viewer"] for s in sess} == {"Ana", "Björn 👀", 'Kids, "TV" Room'}
assert any(s["video"] == 'Dark, "Again": Season 1: Épisode 3' for s in sess)
assert sum(s["end_reason"] == "finished" for s in sess) == exp["finished"]
actions = sum(e["kind"] not in ("open", "end") for s in sess for e in s["events"])
assert actions == exp["actions"], (actions, exp["actions"])
for s in sess:
    ev = s["events"]
    assert ev[0]["kind"] == "open" and ev[1]["kind"] == "play" and ev[-1]["kind"] in ("stop", "end")
    assert all(a["wall_ms"] <= b["wall_ms"] for a, b in zip(ev, ev[1:]))
    assert all(0 <= e["pos_ms"] <= s["duration_ms"] for e in ev)
    assert s["genre"] == "unknown" and s["start_wall_ms"] == ev[0]["wall_ms"] and s["end_wall_ms"] == ev[-1]["wall_ms"]
print("import ok")
PY

# The project's reader takes every line (import-traces reports any line it skips).
"$BIN/smartplayer-cli" --db "$work/log.db" import-traces "$work/traces.jsonl" > /dev/null 2> "$work/cli.err"
n=$(wc -l < "$work/traces.jsonl")
grep -q "imported $n session(s)" "$work/cli.err" || { echo "import-traces did not take all $n:"; cat "$work/cli.err"; exit 1; }
! grep -q "skipped" "$work/cli.err" || { echo "import-traces skipped lines:"; cat "$work/cli.err"; exit 1; }
"$BIN/smartplayer-cli" --db "$work/log.db" export-traces --out "$work/back.jsonl" > /dev/null 2>&1
python3 - "$work/traces.jsonl" "$work/back.jsonl" <<'PY'
import json, sys
def key(s): return (s["viewer"], s["video"], s["start_wall_ms"], s["end_reason"],
                    tuple((e["kind"], e["pos_ms"], e["wall_ms"], e.get("to_ms")) for e in s["events"]))
a = sorted(key(json.loads(l)) for l in open(sys.argv[1], encoding="utf-8"))
b = sorted(key(json.loads(l)) for l in open(sys.argv[2], encoding="utf-8"))
assert a == b, "the behaviour log gave back other sessions"
print("log round trip ok")
PY

# Replay: the imported traces drive smartplayer-eval like any other trace.
"$BIN/smartplayer-eval" --traces "$work/traces.jsonl" --json "$work/eval.json" --split time --quiet > "$work/eval.out"
grep -q "split time" "$work/eval.out"
python3 - "$work/eval.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
pol = d["splits"]["time"]
names = ["always-on", "fixed-timeout", "seed-genre", "learned", "oracle"]
assert set(pol) == set(names), pol.keys()
n = {pol[k]["interactions"] for k in names}
assert len(n) == 1 and n.pop() > 0, pol
assert all(pol[k]["sessions"] == d["split_sizes"]["time"]["test"] > 0 for k in names)
assert pol["always-on"]["awake_fraction"] == 1 and pol["always-on"]["misses_per_100"] == 0
assert pol["oracle"]["cost_ratio_to_oracle"] == 1
assert pol["fixed-timeout"]["cost_ratio_to_oracle"] >= 1 and pol["fixed-timeout"]["awake_fraction"] < 1
print("eval ok")
PY

# Standard input, and the options.
"$IMPORT" - --out "$work/stdin.jsonl" --gap-minutes 2 --seek-tolerance 0 --autoplay-window off --genre drama \
  < "$work/ViewingActivity.csv" > "$work/stdout2" 2> /dev/null
python3 - "$work/stdin.jsonl" "$work/traces.jsonl" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
b = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert len(a) > len(b), (len(a), len(b))      # a 2-minute gap splits at every 5-minute pause
assert all(s["genre"] == "drama" and s["end_reason"] == "stopped" for s in a)
print("options ok")
PY

# Errors: usage exits 2; nothing importable, an unreadable file or header, --refuse exit 1 and write nothing.
expect() {  # expect STATUS PATTERN -- command...
  local want=$1 pat=$2; shift 3
  set +e; "$@" > "$work/out" 2> "$work/err"; local got=$?; set -e
  [ "$got" = "$want" ] || { echo "expected exit $want, got $got: $*"; cat "$work/err"; exit 1; }
  grep -q -- "$pat" "$work/err" || { echo "expected '$pat' in stderr of: $*"; cat "$work/err"; exit 1; }
}
expect 2 "are required" -- "$IMPORT" "$work/ViewingActivity.csv"
expect 2 "bad value for --gap-minutes" -- "$IMPORT" "$work/ViewingActivity.csv" --out "$work/x.jsonl" --gap-minutes 0
expect 2 "bad value for --seek-tolerance" -- "$IMPORT" "$work/ViewingActivity.csv" --out "$work/x.jsonl" --seek-tolerance -1
expect 2 "unknown option" -- "$IMPORT" "$work/ViewingActivity.csv" --out "$work/x.jsonl" --bogus
expect 2 "needs a value" -- "$IMPORT" "$work/ViewingActivity.csv" --out
expect 1 "cannot open .*nope.csv.*: No such file or directory" -- "$IMPORT" "$work/nope.csv" --out "$work/x.jsonl"
expect 1 "cannot open .*: it is a folder" -- "$IMPORT" "$work" --out "$work/x.jsonl"
cp "$work/ViewingActivity.csv" "$work/same.csv"
expect 1 "is the CSV; it would be overwritten" -- "$IMPORT" "$work/same.csv" --out "$work/same.csv"
cmp -s "$work/same.csv" "$work/ViewingActivity.csv"
printf 'Profile Name,Start Time,Title,Bookmark\nA,2024-01-01 10:00:00,Film,00:10:00\n' > "$work/old.csv"
expect 1 "missing required column \"Duration\"" -- "$IMPORT" "$work/old.csv" --out "$work/x.jsonl"
head -n 1 "$work/ViewingActivity.csv" > "$work/trailers.csv"
printf 'A,2024-01-01 10:00:00,00:01:00,,Film (Trailer),TRAILER,TV,00:01:00,,DE\r\n' >> "$work/trailers.csv"
expect 1 "nothing to import" -- "$IMPORT" "$work/trailers.csv" --out "$work/x.jsonl"
grep -q "supplemental 1 (TRAILER 1)" "$work/out"
expect 1 "refused: bad \"Start Time\"" -- "$IMPORT" "$work/ViewingActivity.csv" --refuse --out "$work/x.jsonl"
[ ! -e "$work/x.jsonl" ]
expect 1 "cannot write\|cannot open for writing" -- "$IMPORT" "$work/ViewingActivity.csv" --out "$work/no/such/dir/x.jsonl"
echo "import_netflix.sh ok"
