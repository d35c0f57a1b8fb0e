"""What the README and the docstrings promise."""

import os
import re
import subprocess
import sys

import smartplayer
from smartplayer import ControlState, EventType, Kind, LogLevel, PixelFormat, Result, SeekFlag, State, WakeReason

README = os.path.join(os.path.dirname(__file__), "..", "README.md")


def test_enums_print_their_names():
    # Python 3.11's IntEnum prints the bare number: print(p.state) said "3".
    for member in (State.PLAYING, EventType.SEEK_DONE, Result.ERR_IO, Kind.SEEK, LogLevel.INFO,
                   WakeReason.ON_DEMAND, ControlState.ASLEEP, PixelFormat.RGBA32):
        assert str(member) == f"{member}" == member.name
        assert f"{member:d}" == str(int(member))  # a numeric spec formats the number
    assert f"{State.IDLE:>6}" == "  IDLE"
    assert str(SeekFlag.RELATIVE | SeekFlag.KEYFRAME) == "RELATIVE|KEYFRAME"
    assert State.PLAYING == 3 and State(3) is State.PLAYING  # still ints


def test_readme_example_prints_what_it_says(tmp_path, clip):
    # The README's first example, on a real clip, in a child interpreter.
    text = open(README).read()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert "lecture.mp4" in code and "behaviour.db" in code
    code = code.replace('"lecture.mp4"', repr(clip)).replace('"behaviour.db"', repr(str(tmp_path / "b.db")))
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # print(p.state, p.position_ms, p.duration_ms, p.media_info): the state's
    # name (the callbacks' lines, printed on other threads, may interleave;
    # they print event messages in lower case).
    states = "|".join(s.name for s in State)
    assert re.search(rf"({states})", out.stdout), out.stdout
    # (Only the end of that line: a callback's line printed meanwhile can
    # split it anywhere before, e.g. "PLAYINGPROGRESS  progress3000\n 3000 ...".)
    assert re.search(r" 3000 MediaInfo\(width=320", out.stdout), out.stdout
    assert re.search(r"\[Window\(start_ms=\d+, end_ms=\d+\)", out.stdout) or "[]" in out.stdout, out.stdout
    # on_control: "asleep None" / "awake ON_DEMAND" (a name, not a number)
    assert not re.search(r"^awake \d", out.stdout, re.M), out.stdout


def test_every_public_member_has_a_docstring():
    undocumented = [name for name, member in vars(smartplayer.Player).items()
                    if not name.startswith("_") and not (member.__doc__ or "").strip()]
    assert undocumented == []
    for name in smartplayer.__all__:
        obj = getattr(smartplayer, name)
        if callable(obj):
            doc = (obj.__doc__ or "").strip()
            assert doc and not doc.startswith(f"{name}("), name  # not dataclass's generated signature


def test_with_on_a_closed_player_raises(clip):
    p = smartplayer.Player(video_output="none", audio_output="none")
    p.close()
    try:
        with p:
            entered = True
    except ValueError as e:
        entered = False
        assert "closed" in str(e)
    assert not entered
