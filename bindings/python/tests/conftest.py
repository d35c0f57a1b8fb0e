"""Shared fixtures: a real clip made with the ffmpeg command, headless SDL.

Run from CTest (python_binding), which sets SMARTPLAYER_LIBRARY to the
build's libsmartplayer.so and PYTHONPATH to bindings/python; by hand:

    SMARTPLAYER_LIBRARY=build/src/libsmartplayer.so PYTHONPATH=bindings/python \
        python3 -m pytest bindings/python/tests
"""

import os
import subprocess
import threading

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import smartplayer  # noqa: E402  (after the SDL drivers are chosen)


def make_clip(path, seconds=3, gop=25, audio=True):
    """A 320x240 25 fps H.264 clip with keyframes exactly every `gop` frames."""
    cmd = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}",
    ]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0"]
    cmd += ["-c:a", "aac", "-shortest"] if audio else ["-an"]
    subprocess.run(cmd + [str(path)], check=True)
    return str(path)


def thread_name():
    """The kernel's name of the calling thread (what top -H and gdb show)."""
    with open(f"/proc/self/task/{threading.get_native_id()}/comm") as f:
        return f.read().strip()


@pytest.fixture(scope="session")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("media") / "clip.mp4")


@pytest.fixture(scope="session")
def short_clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("media") / "short.mp4", seconds=2, audio=False)


class Recorder:
    """Collects what callbacks deliver and lets the test wait for it."""

    def __init__(self):
        self.cv = threading.Condition()
        self.events = []
        self.control = []  # (awake, reason, thread ident)
        self.frames = []
        self.thread_names = {}  # callback kind -> names of the threads that ran it

    def _seen_on(self, kind):
        self.thread_names.setdefault(kind, set()).add(thread_name())

    def on_event(self, ev):
        with self.cv:
            self.events.append((ev, threading.get_ident()))
            self._seen_on("event")
            self.cv.notify_all()

    def on_control(self, awake, reason):
        with self.cv:
            self.control.append((awake, reason, threading.get_ident()))
            self._seen_on("control")
            self.cv.notify_all()

    def on_frame(self, frame):
        with self.cv:
            self.frames.append(frame)
            self._seen_on("frame")
            self.cv.notify_all()

    def wait(self, pred, timeout=30):
        with self.cv:
            assert self.cv.wait_for(pred, timeout), "timed out waiting for the player"

    def of_type(self, t):
        with self.cv:
            return [e for e, _ in self.events if e.type == t]


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def player_factory():
    made = []

    def make(**options):
        options.setdefault("video_output", "none")
        options.setdefault("audio_output", "none")
        p = smartplayer.Player(**options)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()
