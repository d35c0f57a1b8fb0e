#!/usr/bin/env bash
# What `./run demo` seeds for its viewer (examples/demo/run-demo.sh), whatever
# $USER holds: a name with commas, quotes, spaces and non-ASCII letters, the
# name of one of the simulated viewers ("viewer00012"), one that is not UTF-8,
# empty, unset. Each time the set-up must succeed and name the viewer; the
# history must have 200 distinct simulated viewers, the demo's viewer one of
# them, under its name as it is (bytes that are not UTF-8 as %XX), with
# sessions of its own; and the demo player's session (a short headless one)
# is logged under that same name. The data folders have a space in their
# paths, as a home folder may.
set -euo pipefail
B=${SP_BINARY_DIR:?}
RUN_DEMO="${SP_SOURCE_DIR:?}/examples/demo/run-demo.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy

n=0
# seed_as WANT CMD...: run the demo's set-up and a half-second play with CMD
# (which sets USER), then check what it seeded for the viewer WANT.
seed_as() {
  local want=$1; shift
  echo "--- as '$want'"
  n=$((n + 1))
  local d="$T/data dir $n" out="$T/run$n.out"  # a space in the path, as in any home folder
  "$@" "$RUN_DEMO" "$B" "$d" --quit-after 0.5 >"$out" 2>&1 || { cat "$out"; echo "run-demo failed"; return 1; }
  local line; line=$(grep '^seeded: ' "$out") || { cat "$out"; echo "no 'seeded:' line"; return 1; }
  echo "$line"
  [[ $line == "seeded: "*" sessions of the sample by 200 simulated viewers ("[1-9]*" of them by you, '$want'), "* ]] ||
    { echo "the 'seeded:' line does not name '$want' with sessions of its own"; return 1; }
  local q=(sqlite3 "$d/behaviour.db") w=${want//\'/\'\'}
  [ "$("${q[@]}" "SELECT count(DISTINCT viewer) FROM sessions")" = 200 ]
  # The seeded sessions (all but the player's, the last) of the viewer, under its name as it is.
  local mine; mine=$("${q[@]}" "SELECT count(*) FROM sessions WHERE viewer = '$w' AND id < (SELECT max(id) FROM sessions)")
  echo "seeded sessions of '$want': $mine"
  [ "$mine" -ge 1 ]
  [ "$("${q[@]}" "SELECT viewer FROM sessions WHERE id = (SELECT max(id) FROM sessions)")" = "$want" ]
  grep -q "^\[demo\] summary" "$out"
}

odd="O'Brien, \"Zoë\" Ünal,viewer00001"
seed_as "$odd" env USER="$odd"
seed_as viewer00012 env USER=viewer00012
# The simulated viewer that had that name is there under another one.
[ "$(sqlite3 "$T/data dir 2/behaviour.db" "SELECT count(*) FROM sessions WHERE viewer = 'viewer00012.1'")" -ge 1 ]
# A name in a legacy encoding (Latin-1 "José") is not UTF-8: the tools, the
# demo and the library all keep it as "Jos%E9" (a '%' then as %25).
seed_as 'Jos%E9 100%25' env USER=$'Jos\xe9 100%'
seed_as viewer env USER=
seed_as viewer env -u USER
echo "demo seeding OK"
