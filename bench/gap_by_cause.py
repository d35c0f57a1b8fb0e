#!/usr/bin/env python3
"""Where one policy misses actions that another catches, by cause.

    smartplayer-eval ... --policies learned,bayes,oracle --actions A.csv
    bench/gap_by_cause.py A.csv --traces T.jsonl [--truth T.truth] [--transitions T.transitions]
                          [--policies learned,bayes] [--split time]

Each viewer action of the test sessions falls in one class: a resume (the
action after a pause), a reaction to a structure point of the video (with the
simulator's truth: a scene change that the transitions file has, or one it
missed; the end of the intro; the credits), or the background (everything
else while playing). Without --truth only resumes and playing actions are told
apart. Prints, per class, the actions and how many each policy missed, and the
first policy's extra misses over the second's.
"""
import argparse
import bisect
import csv
import json
import sys
from collections import defaultdict

# The simulator's reaction window around a structure point (src/sim/model.h:
# the bump peaks 1.5 s after the change, sd 3 s): -3 s .. +7.5 s.
WINDOW_LO_MS, WINDOW_HI_MS = -3000, 7500
DETECTED_WITHIN_MS = 1000  # a detected cut this close to a scene change is that change


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("actions")
    ap.add_argument("--traces", required=True)
    ap.add_argument("--truth")
    ap.add_argument("--transitions")
    ap.add_argument("--policies", default="learned,bayes")
    ap.add_argument("--split", default="time")
    a = ap.parse_args()
    first, second = a.policies.split(",")

    # The action before each one: a resume follows a pause.
    prev_kind = {}
    for s in load_jsonl(a.traces):
        acts = [e for e in s["events"] if e["kind"] not in ("open", "end")]
        for k, e in enumerate(acts):
            prev_kind[(s["session"], k)] = acts[k - 1]["kind"] if k else None

    videos = {}
    if a.truth:
        for rec in load_jsonl(a.truth):
            if "video" in rec:
                v = rec["video"]
                videos[v["id"]] = v
    detected = {}
    if a.transitions:
        for rec in load_jsonl(a.transitions):
            detected[rec["video"]] = sorted(rec["transitions_ms"])

    def near(xs, p):
        i = bisect.bisect_left(xs, p - DETECTED_WITHIN_MS)
        return i < len(xs) and xs[i] <= p + DETECTED_WITHIN_MS

    def cause(row):
        prev = prev_kind.get((row["session"], int(row["action"])), "?")
        if prev is None:
            return "the session's first action"
        if prev == "pause":
            return "resume (after a pause)"
        v = videos.get(row["video"])
        if not v:
            return "while playing"
        pos = int(row["pos_ms"])
        for c in v.get("scene_ms", []):
            if WINDOW_LO_MS <= pos - c <= WINDOW_HI_MS:
                seen = near(detected.get(row["video"], []), c)
                return "scene change, detected" if seen else "scene change, not detected"
        intro = v.get("intro_end_ms", 0)
        if intro and WINDOW_LO_MS <= pos - intro <= WINDOW_HI_MS + 6000:
            return "intro (skip or its end)"
        credits = v.get("credits_start_ms", 0)
        if credits and credits < v.get("duration_ms", 0) and abs(pos - credits) <= 15000:
            return "credits"
        return "background (playing)"

    missed = defaultdict(lambda: {first: 0, second: 0})
    count = defaultdict(int)
    with open(a.actions, encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == a.split and r["policy"] in (first, second)]
    if not rows:
        sys.exit("gap_by_cause: no rows of split %s for %s and %s in %s" % (a.split, first, second, a.actions))
    for r in rows:
        c = cause(r)
        if r["policy"] == first:
            count[c] += 1
        missed[c][r["policy"]] += int(r["missed"])

    total_extra = sum(m[first] - m[second] for m in missed.values())
    print("| cause | actions | missed by %s | missed by %s | extra misses of %s | share of the extra |" % (first, second, first))
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for c in sorted(count, key=lambda c: -(missed[c][first] - missed[c][second])):
        extra = missed[c][first] - missed[c][second]
        share = "%.0f %%" % (100.0 * extra / total_extra) if total_extra else "-"
        print("| %s | %d | %d | %d | %+d | %s |" % (c, count[c], missed[c][first], missed[c][second], extra, share))
    print("| all | %d | %d | %d | %+d | |" % (sum(count.values()), sum(m[first] for m in missed.values()),
                                           sum(m[second] for m in missed.values()), total_extra))


if __name__ == "__main__":
    main()
