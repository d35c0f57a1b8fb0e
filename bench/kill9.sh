#!/usr/bin/env bash
# The long kill -9 durability run (issue 10's done-when): COUNT random kills of
# a process making bursts of control calls through the C API, half of them
# while another process holds the database's write lock; after each, the
# database is opened again through the library and every call that returned
# SP_OK must be in the log and the killed session closed. It is the same test
# CI runs with 6 kills (tests/test_kill9.cpp), with more rounds.
#
#   bench/kill9.sh [COUNT]        (default 60; SEED=n replays a run)
#
# The summary line goes to stdout and bench-results/kill9.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BUILD_DIR:-build}
COUNT=${1:-60}
mkdir -p bench-results
[ -x "$B/tests/test_kill9" ] || cmake --build "$B" --target test_kill9 >/dev/null
export SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy SP_TEST_DATA="$PWD/$B/tests/data" SP_KILL_ROUNDS="$COUNT"
[ -n "${SEED:-}" ] && export SP_KILL_SEED="$SEED"
{
  echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "command: bench/kill9.sh $COUNT"
  start=$SECONDS
  if "$B/tests/test_kill9" --use-colour no | grep -E '^kill9:|FAILED|passed|failed'; then :; fi
  echo "took $((SECONDS - start)) s"
} | tee bench-results/kill9.txt
grep -q '0 missing' bench-results/kill9.txt && grep -q "All tests passed" bench-results/kill9.txt
