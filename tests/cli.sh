#!/usr/bin/env bash
# smartplayer-cli on real clips and a real SQLite file: add/list, refusals that
# leave the database unchanged, usage errors, import-traces/export-traces.
set -euo pipefail
B=${SP_BINARY_DIR:?}
CLI="$B/tools/smartplayer-cli"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"

fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_fail CODE CMD...: the command must exit with CODE; its stderr goes to $T/err.
expect_fail() {
  local want=$1; shift
  local rc=0
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  cat "$T/err"
  [ "$rc" = "$want" ] || fail "expected exit $want, got $rc from: $*"
}

ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=320x240:rate=25:duration=3 \
  -f lavfi -i sine=frequency=440:duration=3 -c:v libx264 -preset veryfast -g 25 -c:a aac -shortest "$T/lecture.mp4"
ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=160x120:rate=25:duration=5 \
  -c:v libx264 -preset veryfast -g 25 "$T/match.mp4"

DB="$T/log.db"

# --help and usage errors.
"$CLI" --help | grep -q "export-traces"
expect_fail 2 "$CLI" --db "$DB" frobnicate
grep -q "unknown command 'frobnicate'" "$T/err"
expect_fail 2 "$CLI" --db "$DB" --bogus list
grep -q "unknown option '--bogus'" "$T/err"
expect_fail 2 "$CLI" --db "$DB" add "$T/lecture.mp4" --genre lecture --colour red
expect_fail 2 "$CLI" --db "$DB" add "$T/lecture.mp4"
grep -q -- "--genre" "$T/err"
expect_fail 2 "$CLI" --db "$DB" add "$T/lecture.mp4" "$T/match.mp4" --genre x --id same
expect_fail 2 "$CLI" --db "$DB"
[ ! -e "$DB" ] || fail "usage errors created the database"

# list on a missing database fails clearly and creates nothing.
expect_fail 1 "$CLI" --db "$DB" list
grep -q "no such file" "$T/err"
[ ! -e "$DB" ] || fail "list created the database"

# Add two clips with genres; list shows them with durations.
"$CLI" --db "$DB" add "$T/lecture.mp4" --genre lecture --title "First lecture"
"$CLI" --db "$DB" add "$T/match.mp4" --genre sport
"$CLI" --db "$DB" list | tee "$T/list.txt"
grep -q "lecture .*0:03.000 .*320x240 .*yes .*First lecture" "$T/list.txt" || fail "lecture not listed"
grep -q "sport .*0:05.000 .*160x120 .*no " "$T/list.txt" || fail "match not listed"
grep -q "^2 video(s)" "$T/list.txt"
"$CLI" --db "$DB" list --json >"$T/list.json"
python3 - "$T/list.json" "$T" <<'EOF'
import json, sys
vids = {v["genre"]: v for v in json.load(open(sys.argv[1]))}
assert set(vids) == {"lecture", "sport"}, vids
assert vids["lecture"]["length_ms"] == 3000 and vids["lecture"]["has_audio"] is True
assert vids["sport"]["length_ms"] == 5000 and vids["sport"]["width"] == 160
assert vids["sport"]["path"] == sys.argv[2] + "/match.mp4", vids["sport"]["path"]
assert vids["sport"]["id"].startswith("match-"), vids["sport"]["id"]
EOF
# The default id is stable: adding the same file again updates, not duplicates.
"$CLI" --db "$DB" add "$T/match.mp4" --genre sport >/dev/null
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM videos')" = 2 ] || fail "re-adding duplicated a video"

# Refusals: a text file, a zero-length file, a missing path, a truncated
# clip; each alone and mixed with a good file. Nothing may be written.
echo "just some text" >"$T/notes.txt"
: >"$T/empty.mp4"
head -c 2000 "$T/lecture.mp4" >"$T/truncated.mp4"
cp "$T/lecture.mp4" "$T/good.mp4"
sqlite3 "$DB" .dump >"$T/before.sql"
for bad in "$T/notes.txt" "$T/empty.mp4" "$T/missing.mp4" "$T/truncated.mp4"; do
  expect_fail 1 "$CLI" --db "$DB" add "$T/good.mp4" "$bad" --genre lecture
  grep -q "$(basename "$bad")" "$T/err" || fail "message does not name $bad"
  grep -q "nothing was written" "$T/err" || fail "message does not say nothing was written"
  sqlite3 "$DB" .dump >"$T/after.sql"
  cmp -s "$T/before.sql" "$T/after.sql" || fail "database changed by a refused add of $bad"
done
grep -q "no such file" <("$CLI" --db "$DB" add "$T/missing.mp4" --genre x 2>&1 || true)
grep -q "empty" <("$CLI" --db "$DB" add "$T/empty.mp4" --genre x 2>&1 || true)
# A refused add on a fresh path does not create the database either.
expect_fail 1 "$CLI" --db "$T/fresh.db" add "$T/notes.txt" --genre x
[ ! -e "$T/fresh.db" ] || fail "refused add created a database"

# smartplayer-play: plays headless; a refused option or configuration key says why.
PLAY="$B/tools/smartplayer-play"
SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy "$PLAY" --video none --audio none --seconds 0.5 "$T/lecture.mp4" >"$T/out" 2>"$T/err" \
  || { cat "$T/err"; fail "smartplayer-play did not play"; }
expect_fail 2 "$PLAY" --set bogus=1 "$T/lecture.mp4"
grep -q "unknown configuration key 'bogus'" "$T/err" || fail "smartplayer-play --set: no reason given"
expect_fail 2 "$PLAY" --seconds soon "$T/lecture.mp4"
grep -q -- "--seconds" "$T/err" || fail "smartplayer-play: the refused option is not named"

# $SMARTPLAYER_DB is the default database.
SMARTPLAYER_DB="$DB" "$CLI" list | grep -q "^2 video(s)"

# import-traces: two good sessions and a malformed line (skipped, reported by line number).
cat >"$T/trace.jsonl" <<'EOF'
{"session":"s1","viewer":"alice","video":"imported-1","genre":"news","duration_ms":90000,"start_wall_ms":1700000000000,"end_wall_ms":1700000060000,"end_reason":"stopped","events":[{"seq":1,"kind":"open","pos_ms":0,"wall_ms":1700000000000},{"seq":2,"kind":"play","pos_ms":0,"wall_ms":1700000000005},{"seq":3,"kind":"seek","pos_ms":1000,"wall_ms":1700000001000,"from_ms":1000,"to_ms":30000},{"seq":4,"kind":"volume","pos_ms":31000,"wall_ms":1700000002000,"old":100,"value":50.5},{"seq":5,"kind":"stop","pos_ms":40000,"wall_ms":1700000060000}]}

{"session":"s2","viewer":"bob","video":"imported-1","genre":"news","duration_ms":90000,"start_wall_ms":1700000100000,"events":[{"seq":1,"kind":"dance","pos_ms":0,"wall_ms":1700000100000}]}
{"session":"s3","viewer":"bob","video":"imported-2","duration_ms":1000,"start_wall_ms":1700000200000,"end_wall_ms":1700000201000,"end_reason":"finished","events":[{"seq":1,"kind":"open","pos_ms":0,"wall_ms":1700000200000},{"seq":2,"kind":"end","pos_ms":1000,"wall_ms":1700000201000}]}
EOF
"$CLI" --db "$DB" import-traces "$T/trace.jsonl" 2>"$T/err"
cat "$T/err"
grep -q "skipped 1 malformed line(s): 3" "$T/err" || fail "skipped line not reported"
grep -q 'unknown kind "dance"' "$T/err"
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM sessions')" = 2 ] || fail "expected 2 imported sessions"
expect_fail 1 "$CLI" --db "$DB" import-traces "$T/no-such-trace.jsonl"
grep -q "no-such-trace.jsonl" "$T/err"
expect_fail 2 "$CLI" --db "$DB" import-traces
# A file with no session (empty, or nothing but malformed lines) imports nothing: exit 1,
# and no database is created.
: >"$T/empty.jsonl"
expect_fail 1 "$CLI" --db "$T/none.db" import-traces "$T/empty.jsonl"
grep -q "holds no session; nothing was imported" "$T/err" || fail "empty trace file not reported"
echo '{"session":"x"}' >"$T/bad-only.jsonl"
expect_fail 1 "$CLI" --db "$T/none.db" import-traces "$T/bad-only.jsonl"
grep -q "skipped 1 malformed line(s): 1" "$T/err" || fail "malformed line not reported"
[ ! -e "$T/none.db" ] || fail "an import of nothing created a database"

# export-traces: valid JSON Lines with the imported sessions (stdout and --out).
"$CLI" --db "$DB" export-traces >"$T/export.jsonl"
"$CLI" --db "$DB" export-traces --out "$T/export2.jsonl"
cmp -s "$T/export.jsonl" "$T/export2.jsonl" || fail "stdout and --out exports differ"
python3 - "$T/export.jsonl" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 2, lines
s = [json.loads(l) for l in lines]
assert [x["viewer"] for x in s] == ["alice", "bob"]
assert s[0]["genre"] == "news" and s[0]["duration_ms"] == 90000 and s[0]["end_reason"] == "stopped"
assert [e["kind"] for e in s[0]["events"]] == ["open", "play", "seek", "volume", "stop"]
assert s[0]["events"][2]["to_ms"] == 30000 and s[0]["events"][3]["value"] == 50.5
assert s[1]["genre"] == "unknown" and s[1]["events"][-1]["kind"] == "end"
EOF
# The export reads back into the library's own reader and re-imports cleanly.
"$CLI" --db "$T/second.db" import-traces "$T/export.jsonl" 2>"$T/err"
! grep -q "skipped" "$T/err" || fail "own export had malformed lines"
"$CLI" --db "$T/second.db" export-traces | python3 -c 'import json,sys; n=sum(1 for l in sys.stdin if json.loads(l)); assert n == 2, n'

# A corrupt database is reported as such, and left alone.
head -c 4096 /dev/urandom >"$T/corrupt.db"
cp "$T/corrupt.db" "$T/corrupt.orig"
expect_fail 1 "$CLI" --db "$T/corrupt.db" list
grep -qi "corrupt or not a database" "$T/err"
expect_fail 1 "$CLI" --db "$T/corrupt.db" add "$T/good.mp4" --genre x
cmp -s "$T/corrupt.db" "$T/corrupt.orig" || fail "corrupt database was modified"

# A 0-byte file is "empty" to the reading commands; an SQLite database whose
# version claims the schema but holds no tables is "not a behaviour log"
# (both were "prepare: no such table: ..." at some point), for the trainer too.
: >"$T/zero.db"
for cmd in list export-traces; do
  expect_fail 1 "$CLI" --db "$T/zero.db" $cmd
  grep -q "zero.db: is empty" "$T/err" || fail "$cmd on a 0-byte file: not 'is empty'"
done
sqlite3 "$T/bare.db" "PRAGMA user_version = 2"
for cmd in list export-traces; do
  expect_fail 1 "$CLI" --db "$T/bare.db" $cmd
  grep -q "bare.db: is an empty SQLite database but not a behaviour log (user_version 2 and no 'videos' table)" "$T/err" ||
    fail "$cmd on a bare SQLite database: not 'not a behaviour log'"
done
expect_fail 1 "$B/tools/smartplayer-train" --db "$T/bare.db" --quiet
grep -q "not a behaviour log" "$T/err" || fail "smartplayer-train on a bare SQLite database"
! grep -q "no such table" "$T/err" || fail "a raw SQL error"

# Exporting over the behaviour log itself is refused, and the log is intact.
cp "$T/second.db" "$T/victim.db"
expect_fail 2 "$CLI" --db "$T/victim.db" export-traces --out "$T/victim.db"
grep -q "is the same file as --db" "$T/err"
"$CLI" --db "$T/victim.db" list >/dev/null || fail "the behaviour log was destroyed by export-traces --out"
# A failed export leaves an existing file as it was (written whole or not at all).
echo "old content" >"$T/keep.jsonl"
"$CLI" --db "$T/second.db" export-traces --out "$T/keep.jsonl"
[ "$(wc -l <"$T/keep.jsonl")" = 2 ] || fail "export did not replace the old file"
ls -a "$T" | grep -q "partial" && fail "export left a temporary file behind"

echo "cli.sh: all checks passed"
