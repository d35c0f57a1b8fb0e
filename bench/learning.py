#!/usr/bin/env python3
"""Summary of `bench/run.sh learning` (issue 9): reads the smartplayer-eval
JSON files DIR/<mode>-w<W>.json, prints the ratios as Markdown tables
(learned / bayes, learned / best fixed timeout in hindsight, bayes / best
fixed timeout, each policy / oracle; time and viewer split) with the targets
checked, and writes DIR/learning.dat and a gnuplot script for the plot
(ratio vs w/h, one panel per mode).

    bench/learning.py DIR PNG
"""
import glob
import json
import os
import re
import subprocess
import sys

MODES = ["structured", "memoryless", "memoryless-gap600", "bursty", "heavy-tailed", "drifting"]


def load(d):
    runs = {}
    for f in glob.glob(os.path.join(d, "*-w*.json")):
        m = re.match(r"(.+)-w([0-9.]+)\.json$", os.path.basename(f))
        if not m:
            continue
        with open(f) as fh:
            runs[(m.group(1), float(m.group(2)))] = json.load(fh)
    return runs


def row(j, split):
    p = j["splits"][split]
    bf = j["best_fixed_timeout"][split]
    r = {k: v["cost_ratio_to_oracle"] for k, v in p.items()}
    r["best-fixed"] = bf["cost_ratio_to_oracle"]
    r["best-tau"] = bf["tau_s"]
    r["proactive"] = p.get("learned", {}).get("proactive_wakes", 0)
    r["wakes"] = p.get("learned", {}).get("wakes", 0)
    lj = j.get("learner", {}).get(split, {})
    r["best-expert"] = lj.get("best_expert", "")
    return r


def main():
    d, png = sys.argv[1], sys.argv[2]
    runs = load(d)
    if not runs:
        sys.exit(f"learning.py: no results in {d}")
    modes = [m for m in MODES if any(k[0] == m for k in runs)]
    dat = []
    fails = []
    for mode in modes:
        ws = sorted(w for (m, w) in runs if m == mode)
        j0 = runs[(mode, ws[0])]
        sizes = j0.get("split_sizes", {})
        print(f"\n### {mode} ({j0['sessions']} sessions; time split test "
              f"{sizes.get('time', {}).get('test', '?')}, viewer split test {sizes.get('viewer', {}).get('test', '?')})\n")
        print("| w/h | split | learned / oracle | bayes / oracle | best fixed / oracle (tau) | "
              "**learned / bayes** | **learned / best fixed** | bayes / best fixed | proactive wakes of learned |")
        print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for w in ws:
            j = runs[(mode, w)]
            for split in ("time", "viewer"):
                if split not in j["splits"]:
                    continue
                r = row(j, split)
                lb = r["learned"] / r["bayes"] if "bayes" in r else float("nan")
                lf = r["learned"] / r["best-fixed"]
                bf = r["bayes"] / r["best-fixed"] if "bayes" in r else float("nan")
                print(f"| {w:g} | {split} | {r['learned']:.3f} | {r.get('bayes', float('nan')):.3f} | "
                      f"{r['best-fixed']:.3f} ({r['best-tau']:g} s) | {lb:.3f} | {lf:.3f} | {bf:.3f} | "
                      f"{r['proactive']} of {r['wakes']} |")
                dat.append((mode, split, w, lb, lf, bf))
                # The targets of issue 9.
                if mode.startswith("memoryless"):
                    if lf > 1.05:
                        fails.append(f"{mode} w/h={w:g} {split}: learned / best fixed {lf:.3f} > 1.05")
                else:
                    if lb > 1.10:
                        fails.append(f"{mode} w/h={w:g} {split}: learned / bayes {lb:.3f} > 1.10")
                    if lf > 0.75 and not bf > 0.75:
                        fails.append(f"{mode} w/h={w:g} {split}: learned / best fixed {lf:.3f} > 0.75 "
                                     f"while bayes / best fixed is {bf:.3f}")
    print("\nTargets (learned <= 1.10 x bayes; learned <= 0.75 x best fixed unless bayes is above that; "
          "memoryless: learned <= 1.05 x best fixed):")
    print("all hold" if not fails else "missed:\n" + "\n".join("  " + f for f in fails))

    # Plot: one panel per mode, ratio vs w/h.
    datf = os.path.join(d, "learning.dat")
    with open(datf, "w") as fh:
        for mode in modes:
            for split in ("time", "viewer"):
                fh.write(f"# {mode} {split}: w/h learned/bayes learned/best-fixed bayes/best-fixed\n")
                for (m, s, w, lb, lf, bf) in dat:
                    if m == mode and s == split:
                        fh.write(f"{w:g} {lb:.5f} {lf:.5f} {bf:.5f}\n")
                fh.write("\n\n")
    gp = os.path.join(d, "learning.gp")
    n = len(modes)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    with open(gp, "w") as fh:
        fh.write("set terminal pngcairo size %d,%d font ',10'\n" % (520 * cols, 380 * rows))
        fh.write(f"set output '{png}'\n")
        fh.write(f"set multiplot layout {rows},{cols} title 'Learning that pays (issue 9): cost ratios vs w/h (h=1, m=60)'\n")
        fh.write("set logscale x\nset grid\nset xlabel 'w/h (s)'\nset ylabel 'cost ratio'\nset key top right\n")
        fh.write("set xrange [1.5:800]\nset yrange [0.5:1.4]\n")
        for i, mode in enumerate(modes):
            ti, vi = 2 * i, 2 * i + 1
            fh.write(f"set title '{mode}'\n")
            fh.write("plot 1.10 w l lc rgb '#bbbbbb' dt 2 notitle, 0.75 w l lc rgb '#bbbbbb' dt 3 notitle, "
                     "1.0 w l lc rgb '#888888' notitle, \\\n")
            fh.write(f"  '{datf}' index {ti} u 1:2 w lp lc 1 pt 7 t 'learned/bayes (time)', \\\n")
            fh.write(f"  '{datf}' index {vi} u 1:2 w lp lc 1 pt 6 dt 2 t '(viewer)', \\\n")
            fh.write(f"  '{datf}' index {ti} u 1:3 w lp lc 2 pt 5 t 'learned/best fixed (time)', \\\n")
            fh.write(f"  '{datf}' index {vi} u 1:3 w lp lc 2 pt 4 dt 2 t '(viewer)', \\\n")
            fh.write(f"  '{datf}' index {ti} u 1:4 w lp lc 3 pt 9 t 'bayes/best fixed (time)', \\\n")
            fh.write(f"  '{datf}' index {vi} u 1:4 w lp lc 3 pt 8 dt 2 t '(viewer)'\n")
        fh.write("unset multiplot\n")
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if r.returncode != 0:
        print("gnuplot failed: " + r.stderr, file=sys.stderr)
    else:
        print(f"\nplot: {png}")


if __name__ == "__main__":
    main()
