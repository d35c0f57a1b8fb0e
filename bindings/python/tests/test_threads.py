"""close() while other threads and callbacks use the player.

Each case runs in a child interpreter: before the fix a close() racing
another call crashed the process (sp_player_destroy ran under the other
call's feet), which would take pytest down with it.
"""

import os
import subprocess
import sys
import textwrap

PRELUDE = """
import sys, threading, time
import smartplayer
clip = sys.argv[1]
"""


def run(script, clip, timeout=120):
    env = dict(os.environ)
    env.setdefault("SDL_VIDEODRIVER", "dummy")
    env.setdefault("SDL_AUDIODRIVER", "dummy")
    proc = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(script), clip],
                          env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_close_while_another_thread_reads(clip):
    # The audit's repro: segfaulted 3 of 3 runs.
    out = run("""
        for round in range(5):
            p = smartplayer.Player(video_output="none", audio_output="none")
            p.open(clip)
            p.play()
            seen = []
            def reader():
                n = 0
                try:
                    while True:
                        p.stats()
                        p.position_ms
                        n += 1
                except ValueError as e:
                    seen.append((n, str(e)))
            t = threading.Thread(target=reader)
            t.start()
            time.sleep(0.01)
            p.close()
            t.join()
            assert p.closed
            # The reader ran, then was refused with the documented ValueError.
            assert seen and seen[0][0] > 0 and "closed" in seen[0][1], seen
        print("ok")
    """, clip)
    assert out.strip() == "ok"


def test_callbacks_keep_working_while_close_waits(clip):
    # A video callback is in flight (sleeping) when another thread's stop()
    # starts waiting for it (sp_stop joins sp-present) and then close()
    # starts waiting for that stop(). The callback's own calls must neither
    # wait for close() (a deadlock) nor be refused: the handle is still valid.
    out = run("""
        p = smartplayer.Player(video_output="callback", audio_output="none")
        in_cb = threading.Event()
        reads = []
        def on_frame(frame):
            if not in_cb.is_set():
                in_cb.set()
                time.sleep(0.3)
                reads.append((p.position_ms, p.state))
        p.set_video_callback(on_frame)
        events_seen = []
        p.on_event = lambda ev: events_seen.append(p.state)  # also runs during sp_player_destroy
        p.open(clip)
        p.play()
        assert in_cb.wait(10)
        stopper = threading.Thread(target=p.stop)
        stopper.start()
        time.sleep(0.05)
        t0 = time.monotonic()
        p.close()
        took = time.monotonic() - t0
        stopper.join()
        assert reads and isinstance(reads[0][0], int), reads
        assert events_seen and not p.callback_errors, p.callback_errors
        print("ok", round(took, 1))
    """, clip, timeout=60)
    assert out.startswith("ok")


def test_close_from_another_thread_wakes_a_blocked_sdl_wait(clip):
    # sdl_wait(-1) on the creating thread holds its call until there is work;
    # close() on another thread wakes it instead of waiting for ever, and the
    # waiting thread's next call is refused.
    out = run("""
        p = smartplayer.Player(video_output="sdl", audio_output="none")
        p.open(clip)
        for _ in range(100):  # until nothing is left to do for 300 ms
            p.sdl_pump()
            if not p.sdl_wait(300):
                break
        closer = threading.Thread(target=lambda: (time.sleep(0.2), p.close()))
        closer.start()
        p.sdl_wait(-1)  # returns only when close() wakes it
        closer.join()
        try:
            p.sdl_pump()
        except ValueError:
            print("ok")
    """, clip, timeout=60)
    assert out.strip() == "ok"
