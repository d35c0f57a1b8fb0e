#!/usr/bin/env python3
"""Wake-ups of a playing and of a paused player, ours vs ffplay vs mpv (issue 8).

    bench/wakeups.py --clip CLIP --play build/tools/smartplayer-play --keys ffplay_keys.so
                     [--window 10] [--json OUT.json]

Each player runs alone, once playing and once paused, on the same clip with
SDL's dummy drivers (SDL_VIDEODRIVER/SDL_AUDIODRIVER=dummy in the
environment). Over one window of --window seconds the script reads, for every
thread of the process, the kernel's voluntary + involuntary context switches
(/proc/PID/task/TID/status; each return from a blocking wait is one switch)
at the start and at the end of the window, and the process's CPU time
(utime + stime of /proc/PID/stat, which keeps the time of threads that ended).
A thread that starts within the window counts from zero; one that ends within
it is left out of the sums (reported as `ended`).

  ours    smartplayer-play --video sdl --audio sdl (built-in SDL window and
          audio); paused with --pause-after.
  ffplay  ffplay (SDL window and audio); paused by a 'p' key press pushed
          into its SDL event queue (ffplay_keys.so, preloaded: the dummy
          video driver has no keyboard).
  mpv     --vo=null --ao=null, and --vo=null --ao=sdl; paused through its
          JSON IPC socket (set_property pause).

Playing: the window starts 3 s after launch. Paused: the pause comes 2 s after
launch and the window starts 5 s later (ours releases its audio device 3 s
into a pause, audio_release_ms' default).
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

PAUSE_AT = 2.0
PLAY_WINDOW_AT = 3.0
PAUSED_WINDOW_AT = PAUSE_AT + 5.0
TICKS = os.sysconf("SC_CLK_TCK")


def tasks(pid):
    """{tid: (comm, switches)} for every thread of pid."""
    out = {}
    base = f"/proc/{pid}/task"
    for tid in os.listdir(base):
        try:
            with open(f"{base}/{tid}/comm") as f:
                comm = f.read().strip()
            vol = invol = 0
            with open(f"{base}/{tid}/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches"):
                        vol = int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        invol = int(line.split()[1])
            out[int(tid)] = (comm, vol + invol)
        except (FileNotFoundError, ProcessLookupError):
            pass  # the thread ended while we looked
    return out


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state): utime is field 14, stime field 15
    return (int(fields[11]) + int(fields[12])) / TICKS


def mpv_pause(sock_path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    s.sendall(b'{"command": ["set_property", "pause", true]}\n')
    s.recv(4096)
    s.close()


def run_one(name, cmd, env_extra, paused, window, pause_fn=None):
    env = dict(os.environ)
    env.update(env_extra)
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    try:
        if paused and pause_fn:
            time.sleep(max(0.0, t0 + PAUSE_AT - time.monotonic()))
            pause_fn()
        start_at = t0 + (PAUSED_WINDOW_AT if paused else PLAY_WINDOW_AT)
        time.sleep(max(0.0, start_at - time.monotonic()))
        if p.poll() is not None:
            raise RuntimeError(f"{name} exited early: {p.stderr.read()[-500:]}")
        a, ca, ta = tasks(p.pid), cpu_seconds(p.pid), time.monotonic()
        time.sleep(window)
        b, cb, tb = tasks(p.pid), cpu_seconds(p.pid), time.monotonic()
        if p.poll() is not None:
            raise RuntimeError(f"{name} exited within the window: {p.stderr.read()[-500:]}")
    finally:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    secs = tb - ta
    threads = {}  # name -> [count, switches]
    for tid, (comm, sw) in b.items():
        d = sw - a[tid][1] if tid in a else sw
        t = threads.setdefault(comm, [0, 0])
        t[0] += 1
        t[1] += d
    ended = sum(1 for tid in a if tid not in b)
    total = sum(t[1] for t in threads.values())
    lib = sum(t[1] for n, t in threads.items() if n.startswith("sp-"))
    return {
        "player": name,
        "mode": "paused" if paused else "playing",
        "seconds": round(secs, 3),
        "wakeups_per_s": total / secs,
        "library_wakeups_per_s": lib / secs,
        "cpu_s": cb - ca,
        "ended_threads": ended,
        "threads": {n: {"count": t[0], "per_s": t[1] / secs} for n, t in sorted(threads.items())},
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clip", required=True)
    ap.add_argument("--play", required=True, help="smartplayer-play")
    ap.add_argument("--keys", required=True, help="ffplay_keys.so (LD_PRELOAD)")
    ap.add_argument("--window", type=float, default=10.0)
    ap.add_argument("--json")
    args = ap.parse_args()
    clip = args.clip
    tmp = tempfile.mkdtemp()
    sock = os.path.join(tmp, "mpv.sock")

    def mpv_cmd(ao):
        return ["mpv", "--no-config", "--really-quiet", "--vo=null", f"--ao={ao}", f"--input-ipc-server={sock}", clip]

    players = [
        ("ours", lambda paused: ([args.play, "--video", "sdl", "--audio", "sdl"]
                                 + (["--pause-after", str(PAUSE_AT)] if paused else []) + [clip], {}, None)),
        ("ffplay", lambda paused: (["ffplay", "-hide_banner", "-loglevel", "error", clip],
                                   {"LD_PRELOAD": args.keys, "SP_KEY_AFTER_S": str(PAUSE_AT)} if paused else {},
                                   None)),
        ("mpv (null out)", lambda paused: (mpv_cmd("null"), {}, lambda: mpv_pause(sock))),
        ("mpv (SDL audio)", lambda paused: (mpv_cmd("sdl"), {}, lambda: mpv_pause(sock))),
    ]
    results = []
    for paused in (False, True):
        for name, make in players:
            cmd, env, pause_fn = make(paused)
            r = run_one(name, cmd, env, paused, args.window, pause_fn)
            results.append(r)
            print(f"{r['mode']:8s} {name:16s} {r['wakeups_per_s']:8.1f} wake-ups/s  "
                  f"library sp-* {r['library_wakeups_per_s']:6.1f}/s  cpu {r['cpu_s']:.2f} s", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)

    by = {(r["player"], r["mode"]): r for r in results}
    names = [n for n, _ in players]
    print()
    print(f"Whole process, {args.window:.0f} s window: context switches per second (CPU seconds in the window)")
    print()
    print("| | " + " | ".join(names) + " |")
    print("| --- |" + " ---: |" * len(names))
    for mode in ("playing", "paused"):
        cells = [f"{by[(n, mode)]['wakeups_per_s']:.1f}/s ({by[(n, mode)]['cpu_s']:.2f} s)" for n in names]
        print(f"| {mode} | " + " | ".join(cells) + " |")
    print()
    for mode in ("playing", "paused"):
        ff, us = by[("ffplay", mode)], by[("ours", mode)]
        print(f"{mode}: ours / ffplay wake-ups {us['wakeups_per_s'] / max(ff['wakeups_per_s'], 1e-9):.3f}, "
              f"CPU {us['cpu_s'] / max(ff['cpu_s'], 1e-9):.3f}; ours' library threads (sp-*) "
              f"{us['library_wakeups_per_s']:.2f}/s")
    print()
    print("Per thread (name x count: switches per second)")
    print()
    for mode in ("playing", "paused"):
        print(f"| {mode} | threads |")
        print("| --- | --- |")
        for n in names:
            r = by[(n, mode)]
            parts = [f"{t}{' x' + str(v['count']) if v['count'] > 1 else ''}: {v['per_s']:.1f}"
                     for t, v in sorted(r["threads"].items(), key=lambda kv: -kv[1]["per_s"])]
            extra = f" ({r['ended_threads']} ended in the window)" if r["ended_threads"] else ""
            print(f"| {n} | " + ", ".join(parts) + extra + " |")
        print()


if __name__ == "__main__":
    sys.exit(main())
