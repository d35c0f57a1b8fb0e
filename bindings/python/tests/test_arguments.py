"""Arguments are checked before they reach ctypes, which would otherwise
wrap an int its C type cannot hold (2**40 -> 0) or truncate a float."""

import pytest

import smartplayer
from smartplayer import Result, SmartPlayerError


def invalid(excinfo, call):
    assert excinfo.value.code == Result.ERR_INVALID_ARGUMENT and excinfo.value.call == call
    return excinfo.value.message


def test_ints_out_of_their_c_range_are_refused_not_wrapped(clip, player_factory):
    p = player_factory()
    p.open(clip)
    p.volume = 40
    with pytest.raises(SmartPlayerError) as e:
        p.volume = 2**40  # an int: ctypes made it 0
    assert "out of the range of a C int" in invalid(e, "sp_set_volume")
    assert p.volume == 40
    p.seek(2000)
    for target in (2**64 + 1000, 2**63, -(2**63) - 1):  # int64_t: 2**64+1000 seeked to 1000
        with pytest.raises(SmartPlayerError) as e:
            p.seek(target)
        assert "int64_t" in invalid(e, "sp_seek")
    assert p.position_ms == 2000
    with pytest.raises(SmartPlayerError) as e:
        p.seek(0, flags=2**32)
    invalid(e, "sp_seek")
    with pytest.raises(SmartPlayerError) as e:
        p.skip(2**32 + 1)  # was logged as a skip of +1
    invalid(e, "sp_skip")
    with pytest.raises(SmartPlayerError) as e:
        p.rate = 10**400  # too large for a double
    invalid(e, "sp_set_rate")
    with pytest.raises(SmartPlayerError) as e:
        smartplayer.state_name(2**32 + 3)
    invalid(e, "sp_state_name")
    # The edges of the range still reach the library, which judges them.
    with pytest.raises(SmartPlayerError) as e:
        p.volume = 2**31 - 1
    assert "volume" in invalid(e, "sp_set_volume")
    p.seek(2**63 - 1)  # clamped to the duration by the library


def test_non_ints_where_ints_are_expected_raise_type_error(clip, player_factory):
    p = player_factory(audio_output="callback")
    p.open(clip)
    p.seek(1000)
    for bad in (1500.7, "1500", None):
        with pytest.raises(TypeError, match="target_ms must be an int"):
            p.seek(bad)
    assert p.position_ms == 1000
    with pytest.raises(TypeError):
        p.volume = 40.9
    with pytest.raises(TypeError):
        p.skip(1.0)
    with pytest.raises(TypeError):
        p.audio_read(480.5)
    with pytest.raises(TypeError):
        p.rate = "1.5"
    p.rate = 2  # an int is a number
    assert p.rate == 2.0


def test_none_options_keep_their_default(tmp_path, monkeypatch, clip):
    monkeypatch.chdir(tmp_path)
    # db=None made an SQLite file named "None" in the working directory.
    with smartplayer.Player(db=None, policy=None, video_output="none", audio_output="none") as p:
        p.open(clip)
        assert p.session_id == 0  # no behaviour log: db is at its default ("")
        assert p.stats().policy == "fixed-timeout"  # "auto" without a model
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(TypeError, match="option 'db'"):
        smartplayer.Player(db=object(), video_output="none", audio_output="none")
    with pytest.raises(TypeError, match="option names"):
        smartplayer.Player({1: "x"})
    # Paths are paths.
    with smartplayer.Player(db=tmp_path / "log.db", video_output="none", audio_output="none"):
        pass
    assert (tmp_path / "log.db").exists()


def test_open_none_and_non_callable_callbacks_raise_type_error(clip, player_factory):
    p = player_factory(video_output="callback")
    with pytest.raises(TypeError, match="url"):
        p.open(None)  # was "'None': no such file"
    with pytest.raises(TypeError):
        p.open(42)
    assert p.state == smartplayer.State.IDLE
    seen = []
    p.on_event = seen.append
    for attr in ("on_event", "on_control"):
        with pytest.raises(TypeError, match="callable"):
            setattr(p, attr, 5)
    with pytest.raises(TypeError, match="callable"):
        p.set_video_callback("not a function")
    assert p.on_event == seen.append and p.on_control is None  # unchanged
    p.open(clip)  # a str path still works, and the kept callback still runs
    p.play()
    p.close()
    assert seen


def test_negative_counts_are_the_bindings_error_not_ctypes(clip, player_factory):
    # Were ctypes' ValueError "Array length must be >= 0, not -2".
    p = player_factory(audio_output="callback")
    p.open(clip)
    with pytest.raises(SmartPlayerError) as e:
        p.predicted_windows(-1)
    assert invalid(e, "sp_get_predicted_windows") == "max_windows must be >= 0, not -1"
    with pytest.raises(SmartPlayerError) as e:
        p.audio_read(-1)
    assert invalid(e, "sp_audio_read") == "frames must be >= 0, not -1"
    assert p.audio_read(0) == b"" and p.predicted_windows(0) == []
