"""The Python binding plays real media headless, drives every control, and
the behaviour log it leaves is read back with Python's own sqlite3."""

import sqlite3
import threading
import time

import pytest

import smartplayer
from conftest import Recorder
from smartplayer import ControlState, EventType, Kind, PixelFormat, Result, SeekFlag, SmartPlayerError, State, WakeReason, Window


def test_play_drive_every_control_and_read_the_log(tmp_path, clip, recorder, player_factory):
    db = tmp_path / "behaviour.db"
    p = player_factory(db=str(db), log_batch_ms=0, policy="always-on")
    p.on_event = recorder.on_event
    p.open(clip, video_id="py-clip", title="Py clip", genre="lecture", viewer_id="py-viewer")
    assert p.state == State.PAUSED
    info = p.media_info
    assert (info.width, info.height, info.has_audio, info.video_codec) == (320, 240, True, "h264")
    assert info.duration_ms == p.duration_ms == 3000
    assert p.session_id > 0

    p.play()
    assert p.state == State.PLAYING
    p.pause()
    assert p.state == State.PAUSED
    # Accurate by default: the frame at or before 1500 ms (25 fps: 1480).
    p.seek(1500)
    recorder.wait(lambda: len([e for e, _ in recorder.events if e.type == EventType.SEEK_DONE]) == 1)
    assert p.position_ms == 1480
    # Relative keyframe seek: 1480 - 500 = 980 -> the keyframe at 0.
    p.seek(-500, relative=True, keyframe=True)
    recorder.wait(lambda: len([e for e, _ in recorder.events if e.type == EventType.SEEK_DONE]) == 2)
    assert p.position_ms == 0
    p.rate = 1.5
    p.volume = 40
    p.mute = True
    assert (p.rate, p.volume, p.mute) == (1.5, 40, True)
    with pytest.raises(SmartPlayerError) as bad:
        p.rate = 3
    assert bad.value.code == Result.ERR_INVALID_ARGUMENT
    assert "0.5" in bad.value.message and p.rate == 1.5
    p.step()
    assert p.state == State.PAUSED
    p.skip(1)
    p.toggle_pause()
    assert p.state == State.PLAYING
    recorder.wait(lambda: recorder.of_type(EventType.END_OF_FILE))
    assert p.state == State.ENDED

    expected = [Kind.OPEN, Kind.PLAY, Kind.PAUSE, Kind.SEEK, Kind.SEEK, Kind.RATE, Kind.VOLUME, Kind.MUTE,
                Kind.STEP, Kind.SKIP, Kind.PLAY, Kind.END]
    recorder.wait(lambda: len(recorder.of_type(EventType.LOGGED)) == len(expected))
    logged = recorder.of_type(EventType.LOGGED)
    assert [e.kind for e in logged] == expected
    assert [e.message for e in logged][:3] == ["open", "play", "pause"]
    st = p.stats()
    assert (st.events_submitted, st.events_logged, st.events_dropped) == (12, 12, 0)
    assert st.policy == "always-on"
    states = [e.state for e in recorder.of_type(EventType.STATE_CHANGED)]
    assert states[-1] == State.ENDED and State.PLAYING in states
    session = p.session_id
    # Every event came from one library thread, not this one: sp-events.
    threads = {t for _, t in recorder.events}
    assert len(threads) == 1 and threading.get_ident() not in threads
    assert recorder.thread_names["event"] == {"sp-events"}
    p.close()

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = con.execute(
            "SELECT seq, kind, from_ms, to_ms, old_value, value FROM events WHERE session = ? ORDER BY seq",
            (session,)).fetchall()
        assert [Kind(r[1]) for r in rows] == expected
        assert [r[0] for r in rows] == [e.seq for e in logged]
        seeks = [r for r in rows if r[1] == Kind.SEEK]
        assert seeks[0][3] == 1500 and (seeks[1][2], seeks[1][3]) == (1480, 980)
        by_kind = {Kind(r[1]): r for r in rows}
        assert by_kind[Kind.RATE][4:] == (1.0, 1.5)
        assert by_kind[Kind.VOLUME][4:] == (100.0, 40.0)
        assert by_kind[Kind.MUTE][4:] == (0.0, 1.0)
        assert by_kind[Kind.SKIP][5] == 1.0
        viewer, video, reason = con.execute(
            "SELECT viewer, video, end_reason FROM sessions WHERE id = ?", (session,)).fetchone()
        assert (viewer, video, reason) == ("py-viewer", "py-clip", "finished")
        assert con.execute("SELECT title, genre FROM videos WHERE id = 'py-clip'").fetchone() == ("Py clip", "lecture")


def test_sleep_and_wake_reach_python_on_the_control_thread(clip, recorder, player_factory):
    # Fixed timeout of 50 ms: asleep soon after the open, woken only on demand.
    p = player_factory(policy="fixed-timeout", timeout_s=0.05)
    p.on_control = recorder.on_control
    p.on_event = recorder.on_event
    p.open(clip)
    recorder.wait(lambda: len(recorder.control) >= 1)
    assert recorder.control[0][:2] == (False, None)
    state, wakes_in = p.control_status()
    assert state == ControlState.ASLEEP and wakes_in is None  # no scheduled wake
    p.play()  # applied at once, and it wakes the plane
    assert p.state == State.PLAYING
    recorder.wait(lambda: len(recorder.control) >= 3)  # woke, then slept again
    assert recorder.control[1][:2] == (True, WakeReason.ON_DEMAND)
    assert recorder.control[2][:2] == (False, None)
    st = p.stats()
    assert (st.wakes_on_demand, st.misses, st.wakes_proactive) == (1, 1, 0)
    assert st.policy == "fixed-timeout"
    # The signals also arrive as events, with the wake's reason.
    wakes = recorder.of_type(EventType.CONTROL_WAKE)
    assert wakes and wakes[0].wake_reason == WakeReason.ON_DEMAND
    assert recorder.of_type(EventType.CONTROL_SLEEP)
    # One control thread, not this one, not the event thread.
    control_threads = {t for _, _, t in recorder.control}
    event_threads = {t for _, t in recorder.events}
    assert len(control_threads) == 1
    assert threading.get_ident() not in control_threads
    assert control_threads.isdisjoint(event_threads)
    assert recorder.thread_names["control"] == {"sp-control"}


def test_errors_carry_the_code_and_the_library_message(tmp_path, clip, player_factory):
    p = player_factory()
    with pytest.raises(SmartPlayerError) as e:
        p.play()
    assert e.value.code == Result.ERR_INVALID_STATE and e.value.name == "SP_ERR_INVALID_STATE"
    missing = tmp_path / "missing.mp4"
    with pytest.raises(SmartPlayerError) as e:
        p.open(missing)
    assert e.value.code == Result.ERR_NOT_FOUND
    assert str(missing) in e.value.message and "sp_open" in str(e.value)
    assert p.last_error == e.value.message
    p.open(clip)
    with pytest.raises(SmartPlayerError) as e:
        p.seek(0, flags=SeekFlag.ACCURATE | SeekFlag.KEYFRAME)
    assert e.value.code == Result.ERR_INVALID_ARGUMENT and "contradict" in e.value.message
    with pytest.raises(SmartPlayerError) as e:
        p.skip(2)
    assert e.value.code == Result.ERR_INVALID_ARGUMENT
    # Options are checked as the player is made, with the library's reason.
    with pytest.raises(SmartPlayerError) as e:
        smartplayer.Player(video_output="bogus")
    assert e.value.code == Result.ERR_INVALID_ARGUMENT and e.value.call == "sp_config_set"
    assert "'bogus'" in e.value.message and "video_output" in e.value.message
    with pytest.raises(SmartPlayerError) as e:
        smartplayer.Player(no_such_key=1)
    assert "no_such_key" in e.value.message
    # A failed create says why (the library keeps that message per thread).
    with pytest.raises(SmartPlayerError) as e:
        smartplayer.Player(db=str(tmp_path), video_output="none", audio_output="none")
    assert e.value.call == "sp_player_create" and str(tmp_path) in e.value.message


def test_frames_reach_python_as_copies(clip, recorder, player_factory):
    p = player_factory(video_output="callback")
    p.set_video_callback(recorder.on_frame)
    p.open(clip)
    recorder.wait(lambda: recorder.frames)
    f = recorder.frames[0]
    assert recorder.thread_names["frame"] == {"sp-present"}
    assert (f.width, f.height, f.format, f.pts_ms, f.frame_number) == (320, 240, PixelFormat.RGBA32, 0, 0)
    assert len(f.planes) == 1 and len(f.planes[0]) == f.linesizes[0] * 240 and f.linesizes[0] >= 320 * 4
    assert (f.color_matrix, f.full_range) == (smartplayer.ColorMatrix.RGB, True)

    q = player_factory(video_output="callback")
    yuv = Recorder()
    q.set_video_callback(yuv.on_frame, PixelFormat.YUV420P)
    q.open(clip)
    q.play()
    yuv.wait(lambda: len(yuv.frames) >= 3)
    frames = yuv.frames
    assert frames[0].format == PixelFormat.YUV420P
    y, u, v = frames[0].planes
    assert len(y) == frames[0].linesizes[0] * 240 and len(u) == frames[0].linesizes[1] * 120
    assert [fr.frame_number for fr in frames[:3]] == [0, 1, 2]
    # An untagged SD clip: BT.601, limited range (what to convert it with).
    assert (frames[0].color_matrix, frames[0].full_range) == (smartplayer.ColorMatrix.BT601, False)
    assert str(frames[0].color_matrix) == "BT601"


def test_host_pulls_audio(clip, player_factory):
    p = player_factory(audio_output="callback", audio_rate=48000)
    p.open(clip)
    p.play()
    blocks = []
    for _ in range(300):  # the host's audio device: a 10 ms block every 10 ms
        blocks.append(p.audio_read(480))
        if any(blocks[-1]):
            break  # the 440 Hz sine came through
        time.sleep(0.01)
    assert all(len(b) == 480 * 4 for b in blocks)
    assert any(blocks[-1])


def test_predicted_windows_and_context_manager(clip):
    with smartplayer.Player(video_output="none", audio_output="none", policy="always-on") as p:
        assert p.predicted_windows() == []  # no session yet
        p.open(clip)
        assert p.predicted_windows() == [Window(0, 3000)]  # always on: awake to the end
    assert p.closed
    with pytest.raises(ValueError):
        p.play()
    p.close()  # idempotent


def test_a_raising_callback_is_contained(clip, player_factory):
    p = player_factory()
    seen = []

    def bad(ev):
        seen.append(ev)
        raise KeyError("from the host")

    p.on_event = bad
    p.open(clip)
    p.play()
    p.stop()
    assert p.state == State.STOPPED
    p.close()  # flushes the dispatcher: every callback has returned
    assert seen and len(p.callback_errors) == len(seen)
    assert all(isinstance(e, KeyError) for e in p.callback_errors)


def test_close_from_a_callback_is_refused(clip, player_factory):
    p = player_factory()
    p.on_event = lambda ev: p.close()
    p.open(clip)
    p.on_event = None
    p.close()
    assert p.callback_errors and all(isinstance(e, RuntimeError) for e in p.callback_errors)


def test_built_in_window_waits_instead_of_polling(clip, player_factory):
    # SDL's dummy video driver: a real window pipeline with nothing on screen.
    p = player_factory(video_output="sdl")
    p.open(clip)
    assert p.sdl_pump()
    # Paused, once the first frame and window events are handled, there is
    # nothing to do: a look finds no work.
    for _ in range(100):
        if not p.sdl_wait(0):
            break
        p.sdl_pump()
    assert p.sdl_wait(0) is False
    # Wake-up from another thread ends an unbounded wait (the GIL is released
    # while the library sleeps, so the other thread can run).
    t = threading.Thread(target=p.sdl_wakeup)
    t.start()
    assert p.sdl_wait(-1) is True
    t.join()
    with pytest.raises(SmartPlayerError) as e:
        p.sdl_wait(-2)
    assert e.value.code == Result.ERR_INVALID_ARGUMENT
    # Off the creating thread it is refused.
    errors = []

    def elsewhere():
        try:
            p.sdl_wait(0)
        except SmartPlayerError as err:
            errors.append(err.code)

    t = threading.Thread(target=elsewhere)
    t.start()
    t.join()
    assert errors == [Result.ERR_INVALID_STATE]
    q = player_factory()  # no built-in window
    with pytest.raises(SmartPlayerError) as e:
        q.sdl_wakeup()
    assert e.value.code == Result.ERR_INVALID_STATE


def test_ffmpeg_log_lines_arrive_as_events(tmp_path, clip, recorder, player_factory):
    # A truncated file: FFmpeg's complaint is an event at the level asked
    # for, not a line on stderr.
    bad = tmp_path / "truncated.mp4"
    bad.write_bytes(open(clip, "rb").read()[:2048])
    p = player_factory(log_level="error")
    p.on_event = recorder.on_event
    with pytest.raises(SmartPlayerError) as e:
        p.open(bad)
    assert e.value.code == Result.ERR_FORMAT
    recorder.wait(lambda: recorder.of_type(EventType.LOG))
    lines = recorder.of_type(EventType.LOG)
    assert all(ev.log_level == smartplayer.LogLevel.ERROR for ev in lines)
    assert any("moov atom not found" in ev.message for ev in lines)


def test_error_text_says_each_part_once(player_factory):
    p = player_factory()
    with pytest.raises(SmartPlayerError) as e:
        p.open("")
    # Was: "sp_open: SP_ERR_INVALID_ARGUMENT: invalid argument (NULL, out of
    # range or unknown key): sp_open: url is NULL or empty".
    assert str(e.value) == "sp_open: SP_ERR_INVALID_ARGUMENT: url is NULL or empty"
    assert e.value.message == "sp_open: url is NULL or empty"  # the library's text, as it was
    assert (e.value.call, e.value.name, e.value.code) == ("sp_open", "SP_ERR_INVALID_ARGUMENT", Result.ERR_INVALID_ARGUMENT)
    with pytest.raises(SmartPlayerError) as e:
        p.play()  # the library says "play: no media is open ...": "play" is not said twice
    assert str(e.value) == "sp_play: SP_ERR_INVALID_STATE: " + e.value.message.split(": ", 1)[1]
    # Without a message the generic description is all there is to say.
    assert str(SmartPlayerError(Result.ERR_IO, "", "sp_x")) == "sp_x: " + smartplayer.strerror(Result.ERR_IO)
    assert str(SmartPlayerError(Result.ERR_IO)) == smartplayer.strerror(Result.ERR_IO)
