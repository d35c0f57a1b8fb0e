"""The Pythonic layer over the C API: Player, its errors, enums and records."""

import ctypes as C
import enum
import numbers
import operator
import os
import sys
import threading
import traceback
import weakref
from dataclasses import dataclass
from typing import Callable, List, NamedTuple, Optional

from . import _capi
from ._library import load_library

# ---------------------------------------------------------------- enums
# Values are the header's. A value a newer library sends that this binding
# does not know is passed on as a plain int.
#
# Since Python 3.11 str() and format() of an IntEnum give the bare number;
# these print their names (print(p.state) -> PLAYING); a numeric format
# spec still formats the number (f"{p.state:d}" -> 3).


class _Named(enum.IntEnum):
    def __str__(self):
        return self.name

    def __format__(self, spec):
        try:
            return format(self.name, spec)  # "", ">8", ...
        except ValueError:
            return int.__format__(int(self), spec)  # "d", "x", "03", ...


class Result(_Named):
    """sp_result: OK (0) or a negative error code."""

    OK = 0
    ERR_INVALID_ARGUMENT = -1
    ERR_INVALID_STATE = -2
    ERR_NOT_FOUND = -3
    ERR_IO = -4
    ERR_FORMAT = -5
    ERR_NO_VIDEO = -6
    ERR_NETWORK = -7
    ERR_DB = -8
    ERR_DB_LOCKED = -9
    ERR_DB_CORRUPT = -10
    ERR_DB_READONLY = -11
    ERR_NO_MEMORY = -12
    ERR_UNSUPPORTED = -13
    ERR_AUDIO_DEVICE = -14
    ERR_VIDEO_DEVICE = -15
    ERR_INTERNAL = -16


class State(_Named):
    """sp_state: the playback state."""

    IDLE = 0
    OPENING = 1
    PAUSED = 2
    PLAYING = 3
    ENDED = 4
    STOPPED = 5


class EventType(_Named):
    """sp_event_type: what an Event reports."""

    STATE_CHANGED = 1
    END_OF_FILE = 2
    ERROR = 3
    SEEK_DONE = 4
    LOGGED = 5
    CONTROL_SLEEP = 6
    CONTROL_WAKE = 7
    PROGRESS = 8
    MODEL_UPDATED = 9
    LOG = 10
    BUFFERING = 11


class LogLevel(_Named):
    """Severity of a LOG event (the log_level option names them)."""

    ERROR = 1
    WARNING = 2
    INFO = 3
    VERBOSE = 4
    DEBUG = 5


class Kind(_Named):
    """sp_kind: the kind of a logged call (a LOGGED event's value)."""

    OPEN = 0
    PLAY = 1
    PAUSE = 2
    SEEK = 3
    SKIP = 4
    VOLUME = 5
    MUTE = 6
    RATE = 7
    STOP = 8
    STEP = 9
    END = 10


class WakeReason(_Named):
    """sp_wake_reason: why the control plane woke."""

    PROACTIVE = 1
    ON_DEMAND = 2


class ControlState(_Named):
    """sp_control_state: the control plane's state."""

    AWAKE = 0
    ASLEEP = 1
    WAKING = 2


class SeekFlag(enum.IntFlag):
    """sp_seek flags; 0 (the default) is absolute and accurate."""

    def __str__(self):
        return self.name or str(int(self))  # "RELATIVE|KEYFRAME"; 0 has no name

    def __format__(self, spec):
        try:
            return format(str(self), spec)
        except ValueError:
            return int.__format__(int(self), spec)

    ABSOLUTE = 1 << 0
    RELATIVE = 1 << 1
    ACCURATE = 1 << 2
    KEYFRAME = 1 << 3


class PixelFormat(_Named):
    """sp_pixel_format: the layout of the frames set_video_callback delivers."""

    RGBA32 = 1
    YUV420P = 2


class ColorMatrix(_Named):
    """sp_color_matrix: how a YUV420P frame's values map to colour."""

    RGB = 0
    BT601 = 1
    BT709 = 2
    BT2020 = 3
    OTHER = 4


def _enum(cls, value):
    try:
        return cls(value)
    except ValueError:
        return value


# ---------------------------------------------------------------- errors


class SmartPlayerError(Exception):
    """A failed call: `code` is the sp_result, `message` sp_player_last_error's text."""

    def __init__(self, code, message="", call=""):
        self.code = _enum(Result, code)
        self.message = message
        self.call = call
        super().__init__(_error_text(code, message, call))

    @property
    def name(self):
        """The code's name, e.g. 'SP_ERR_NOT_FOUND'."""
        return _strerror(self.code).split(":", 1)[0]


def _error_text(code, message, call):
    """'call: SP_ERR_NAME: message', each part once: sp_strerror's generic
    description only when the library gave no message, the call's name not
    again when the message begins with it ("sp_open: ..." or "open: ...")."""
    generic = _strerror(code)  # "SP_ERR_NAME: description"
    name = generic.split(":", 1)[0]
    text = message
    for prefix in (call, call[3:] if call.startswith("sp_") else None):
        if prefix and text.startswith(prefix + ": "):
            text = text[len(prefix) + 2 :]
            break
    if not text:
        text = generic
    elif not (text == generic or text.startswith(name + ":")):
        text = f"{name}: {text}"
    return f"{call}: {text}" if call else text


def _strerror(code):
    return load_library().sp_strerror(int(code)).decode("utf-8", "replace")


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class Event:
    """One sp_event, copied out of the callback (its message included)."""

    type: int  # EventType (a plain int for types this binding does not know)
    code: int  # Result for ERROR events, else OK
    value: int
    position_ms: int
    seq: int
    message: str

    @property
    def state(self):
        """The new State of a STATE_CHANGED event (else None)."""
        return _enum(State, self.value) if self.type == EventType.STATE_CHANGED else None

    @property
    def kind(self):
        """The Kind of a LOGGED event (else None)."""
        return _enum(Kind, self.value) if self.type == EventType.LOGGED else None

    @property
    def log_level(self):
        """The LogLevel of a LOG event (else None)."""
        return _enum(LogLevel, self.value) if self.type == EventType.LOG else None

    @property
    def wake_reason(self):
        """The WakeReason of a CONTROL_WAKE event (else None)."""
        return _enum(WakeReason, self.value) if self.type == EventType.CONTROL_WAKE else None


@dataclass(frozen=True)
class MediaInfo:
    """sp_media_info: what sp_open found in the media."""

    width: int
    height: int
    fps: float
    has_audio: bool
    audio_sample_rate: int
    audio_channels: int
    duration_ms: int
    video_codec: str
    audio_codec: str
    container: str
    rotation: int = 0  # degrees clockwise to turn the picture for display (0, 90, 180, 270)


@dataclass(frozen=True)
class Stats:
    """sp_stats: see smartplayer.h for exactly what each counter counts."""

    awake_s: float
    asleep_s: float
    wakes_proactive: int
    wakes_on_demand: int
    misses: int
    wake_latency_p50_ms: float
    wake_latency_p99_ms: float
    control_wakeups: int
    events_submitted: int
    events_logged: int
    events_dropped: int
    policy: str
    model_version: str
    model_log_loss: float
    frames_displayed: int = 0  # pictures shown (window or video callback) of the media open now or closed last
    frames_dropped: int = 0  # pictures skipped because they were late


class Window(NamedTuple):
    """A predicted awake window, in media positions."""

    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class VideoFrame:
    """A frame, copied out of the callback: `planes` are bytes (RGBA32: one plane)."""

    width: int
    height: int
    format: int  # PixelFormat
    planes: tuple
    linesizes: tuple
    pts_ms: int
    frame_number: int
    color_matrix: int = 0  # ColorMatrix (RGB for RGBA32 frames; 0 from an older library)
    full_range: bool = False  # YUV420P: values use 0..255 rather than 16..235


# ---------------------------------------------------------------- arguments
# ctypes would wrap an int its C type cannot hold (2**40 -> 0 for an int):
# every int argument is checked first. A value out of the C type's range is
# SmartPlayerError(ERR_INVALID_ARGUMENT), as the library reports a value out
# of its own range; a value of the wrong type (a float for a ms count) is
# TypeError.
_RANGES = {
    "int": (-(1 << (8 * C.sizeof(C.c_int) - 1)), (1 << (8 * C.sizeof(C.c_int) - 1)) - 1),
    "int64_t": (-(1 << 63), (1 << 63) - 1),
}


def _int_arg(value, what, call, ctype="int"):
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an int, not {type(value).__name__}") from None
    lo, hi = _RANGES[ctype]
    if not lo <= v <= hi:
        raise SmartPlayerError(Result.ERR_INVALID_ARGUMENT, f"{what} {v} is out of the range of a C {ctype} [{lo}, {hi}]", call)
    return v


def _count_arg(value, what, call):
    """A count that sizes a buffer here: an int >= 0 (the library refuses a
    negative one too, but the buffer is made first)."""
    v = _int_arg(value, what, call)
    if v < 0:
        raise SmartPlayerError(Result.ERR_INVALID_ARGUMENT, f"{what} must be >= 0, not {v}", call)
    return v


def _float_arg(value, what, call):
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a number, not {type(value).__name__}")
    try:
        return float(value)
    except OverflowError:
        raise SmartPlayerError(Result.ERR_INVALID_ARGUMENT, f"{what} {value} is out of the range of a C double", call) from None


def _text(raw):
    return raw.decode("utf-8", "replace") if raw else ""


def _option_text(key, value):
    """An option's value as the text sp_config_set takes (None is handled by the caller)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (str, bytes, os.PathLike)):
        return os.fsdecode(value)
    if isinstance(value, numbers.Real):
        return str(value)
    raise TypeError(f"option {key!r} must be a str, a number, a bool or a path, not {type(value).__name__}")


def _path_bytes(value, what):
    """A file name or URL (str, bytes or os.PathLike) as the bytes C takes."""
    if not isinstance(value, (str, bytes, os.PathLike)):
        raise TypeError(f"{what} must be a str, bytes or os.PathLike, not {type(value).__name__}")
    return os.fsencode(value)


def _callable_or_none(fn, what):
    if fn is not None and not callable(fn):
        raise TypeError(f"{what} must be callable or None, not {type(fn).__name__}")


# Per thread: the players whose callback that thread is running now (a
# library thread runs one callback at a time; a list in case one nests).
_in_callback = threading.local()


def _callback_lives():
    lives = getattr(_in_callback, "lives", None)
    if lives is None:
        lives = _in_callback.lives = []
    return lives


def _in_any_callback():
    return bool(getattr(_in_callback, "lives", None))


class _Keep:
    """What must outlive the C handle: the ctypes callback objects."""

    def __init__(self):
        self.event = None
        self.video = None
        self.control = None


class _Life:
    """The C handle and the calls in flight on it.

    sp_player_destroy must not run while another call on the handle does
    (smartplayer.h: [not concurrent]). Every call holds a use (`uses`, under
    `lock`); closing sets `closing` first, so no new use starts, waits for
    the uses in flight to end, then destroys. A callback of this player may
    still call in while it closes: the library runs callbacks during
    sp_player_destroy and lets them use the handle, and a call in flight may
    be waiting for that callback to return (sp_stop joins sp-present, sp_open
    waits for the control plane), so such calls neither wait nor count.
    """

    def __init__(self):
        self.handle = C.c_void_p()
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)  # notified when uses reach 0 and when destroyed
        self.uses = 0
        self.closing = False
        self.sdl_waits = 0  # sp_sdl_wait calls in flight (close wakes them up)


def _destroy(lib, life, keep):
    # Runs at close(), garbage collection or interpreter exit, once. The
    # callback objects in `keep` stay referenced until the library has joined
    # its threads (sp_player_destroy returns only after the last callback).
    with life.lock:
        life.closing = True
        while life.uses:
            if life.sdl_waits and life.handle.value:
                # A blocked sdl_wait(-1) would hold its use for ever.
                lib.sp_sdl_wakeup(life.handle)  # [any thread], never blocks
            life.idle.wait(0.05)
    if life.handle.value:
        lib.sp_player_destroy(life.handle)
    with life.lock:
        life.handle.value = None
        life.idle.notify_all()
    keep.event = keep.video = keep.control = None


class Player:
    """A libsmartplayer player.

    Options are libsmartplayer's configuration keys (smartplayer.h,
    sp_config_set), given as a dict or keyword arguments; values are
    converted to text (True/False -> "1"/"0"); None leaves the key at its
    default::

        with smartplayer.Player(video_output="none", db="behaviour.db") as p:
            p.open("clip.mp4", viewer_id="alice")
            p.play()

    Callbacks (on_event, on_control, set_video_callback) run on the
    library's own threads: events on "sp-events" (its event dispatcher),
    frames on "sp-present" (its presentation thread), sleep/wake on
    "sp-control" (its control thread); never on the thread that created the
    player. These are the operating system's thread names (top -H, gdb);
    threading.current_thread().name shows "Dummy-N" there, since Python did
    not start them. ctypes takes the GIL for them. An
    exception a callback raises is printed to stderr and kept in
    `callback_errors`; it does not reach the library. A callback may call
    the player's controls and properties, but not close() or open().
    """

    def __init__(self, options=None, /, *, library=None, **kwargs):
        self._lib = lib = load_library(library)
        self._life = life = _Life()
        self._keep = _Keep()
        self._on_event = None
        self._on_control = None
        self.callback_errors: List[BaseException] = []
        opts = dict(options or {})
        opts.update(kwargs)
        cfg = lib.sp_config_create()
        if not cfg:
            raise MemoryError("sp_config_create")
        try:
            for key, value in opts.items():
                if not isinstance(key, str):
                    raise TypeError(f"option names are str, not {type(key).__name__}")
                if value is None:
                    continue  # None: the key keeps its default
                text = _option_text(key, value)
                rc = lib.sp_config_set(cfg, key.encode(), os.fsencode(text))
                if rc != 0:
                    raise SmartPlayerError(rc, _text(lib.sp_config_last_error(cfg)), "sp_config_set")
            rc = lib.sp_player_create(cfg, C.byref(life.handle))
            if rc != 0:
                # Thread-local in the library: this thread's failed create.
                raise SmartPlayerError(rc, _text(lib.sp_player_last_error(None)), "sp_player_create")
        finally:
            lib.sp_config_destroy(cfg)
        self._finalizer = weakref.finalize(self, _destroy, lib, life, self._keep)

    # ------------------------------------------------------------ lifecycle
    def close(self):
        """Stop playback, flush the behaviour log and free the player (idempotent).

        Safe while other threads use the player: it refuses new calls
        (they raise ValueError), waits for the calls in flight to return,
        then frees the player. Must not be called from a callback.
        """
        if _in_any_callback():
            raise RuntimeError("Player.close() must not be called from a libsmartplayer callback")
        self._finalizer()
        life = self._life
        with life.lock:  # another thread's close() may still be freeing it
            while life.handle.value:
                life.idle.wait()

    @property
    def closed(self):
        """True once close() has begun."""
        return self._life.closing

    def __enter__(self):
        """Use the player in a with block (closed at its end); a closed player raises ValueError."""
        if self._life.closing:
            raise ValueError("the player is closed")
        return self

    def __exit__(self, *exc):
        """Close the player."""
        self.close()
        return False

    def _enter(self):
        """Take a use of the handle (see _Life); False: a callback of this
        player during close(), which takes none."""
        life = self._life
        with life.lock:
            if not life.closing:
                life.uses += 1
                return True
            if life.handle.value and life in getattr(_in_callback, "lives", ()):
                return False  # the handle stays valid until sp_player_destroy returns
        raise ValueError("the player is closed")

    def _leave(self):
        life = self._life
        with life.lock:
            life.uses -= 1
            if life.closing and not life.uses:
                life.idle.notify_all()

    def _call(self, call, fn, *args):
        """fn(handle, *args) holding a use; a negative sp_result raises
        SmartPlayerError with the message read under the same use."""
        counted = self._enter()
        try:
            handle = self._life.handle
            rc = fn(handle, *args)
            if rc < 0:
                raise SmartPlayerError(rc, _text(self._lib.sp_player_last_error(handle)), call)
            return rc
        finally:
            if counted:
                self._leave()

    @property
    def last_error(self):
        """sp_player_last_error: the message of the last failed call on this player."""
        counted = self._enter()
        try:
            return _text(self._lib.sp_player_last_error(self._life.handle))
        finally:
            if counted:
                self._leave()

    # ------------------------------------------------------------ media
    def open(self, url, *, video_id=None, title=None, genre=None, viewer_id=None):
        """Open a file or URL (paused at 0) and begin a logged viewing session."""
        if _in_any_callback():
            raise RuntimeError("Player.open() must not be called from a libsmartplayer callback")
        url = _path_bytes(url, "url")
        meta = _capi.MediaMeta()
        meta.struct_size = C.sizeof(meta)
        for field, value in (("video_id", video_id), ("title", title), ("genre", genre), ("viewer_id", viewer_id)):
            if value is not None:
                setattr(meta, field, str(value).encode())
        self._call("sp_open", self._lib.sp_open, url, C.byref(meta))

    @property
    def media_info(self) -> MediaInfo:
        """What the open media holds (a MediaInfo); ERR_INVALID_STATE with nothing open."""
        info = _capi.MediaInfo()
        info.struct_size = C.sizeof(info)
        self._call("sp_get_media_info", self._lib.sp_get_media_info, C.byref(info))
        return MediaInfo(
            info.width,
            info.height,
            info.fps,
            bool(info.has_audio),
            info.audio_sample_rate,
            info.audio_channels,
            info.duration_ms,
            _text(info.video_codec),
            _text(info.audio_codec),
            _text(info.container),
            # An older library leaves the field out (struct_size says so).
            info.rotation if info.struct_size >= _capi.MediaInfo.rotation.offset + C.sizeof(C.c_int) else 0,
        )

    # ------------------------------------------------------------ controls
    def play(self):
        """Start or resume playback (at the end of the file: from 0)."""
        self._call("sp_play", self._lib.sp_play)

    def pause(self):
        """Pause; the picture stays."""
        self._call("sp_pause", self._lib.sp_pause)

    def toggle_pause(self):
        """Pause when playing, else play."""
        self._call("sp_toggle_pause", self._lib.sp_toggle_pause)

    def seek(self, target_ms, *, relative=False, keyframe=False, flags=None):
        """Seek to a position (or by an offset with relative=True).

        Lands on the frame at or before the target, or on the keyframe at or
        before it with keyframe=True. `flags` (SeekFlag) may be given instead.
        """
        if flags is None:
            flags = (SeekFlag.RELATIVE if relative else 0) | (SeekFlag.KEYFRAME if keyframe else 0)
        target = _int_arg(target_ms, "target_ms", "sp_seek", "int64_t")
        flags = _int_arg(flags, "flags", "sp_seek")
        self._call("sp_seek", self._lib.sp_seek, target, flags)

    def step(self):
        """Pause (if playing) and show the next frame."""
        self._call("sp_step", self._lib.sp_step)

    def stop(self):
        """Stop playback and end the viewing session (the media is closed)."""
        self._call("sp_stop", self._lib.sp_stop)

    def skip(self, direction):
        """Log that the viewer skipped to the next (+1) or previous (-1) item."""
        self._call("sp_skip", self._lib.sp_skip, _int_arg(direction, "direction", "sp_skip"))

    # ------------------------------------------------------------ properties
    def _get(self, fn, ctype, call):
        v = ctype()
        self._call(call, fn, C.byref(v))
        return v.value

    @property
    def state(self) -> State:
        """The playback State."""
        return _enum(State, self._get(self._lib.sp_get_state, C.c_int, "sp_get_state"))

    @property
    def position_ms(self) -> int:
        """Media position of the picture shown, in ms (during a seek: the target)."""
        return self._get(self._lib.sp_get_position_ms, C.c_int64, "sp_get_position_ms")

    @property
    def duration_ms(self) -> int:
        """Duration of the open media in ms (0 with nothing open or when unknown)."""
        return self._get(self._lib.sp_get_duration_ms, C.c_int64, "sp_get_duration_ms")

    @property
    def buffered_ms(self) -> int:
        """How far ahead of the position media is decoded and queued, in ms."""
        return self._get(self._lib.sp_get_buffered_ms, C.c_int64, "sp_get_buffered_ms")

    @property
    def rate(self) -> float:
        """Playback rate in [0.5, 2.0] (1 = normal); kept across open()."""
        return self._get(self._lib.sp_get_rate, C.c_double, "sp_get_rate")

    @rate.setter
    def rate(self, value):
        self._call("sp_set_rate", self._lib.sp_set_rate, _float_arg(value, "rate", "sp_set_rate"))

    @property
    def volume(self) -> int:
        """Volume in [0, 100] (100 = unchanged level); kept across open()."""
        return self._get(self._lib.sp_get_volume, C.c_int, "sp_get_volume")

    @volume.setter
    def volume(self, value):
        self._call("sp_set_volume", self._lib.sp_set_volume, _int_arg(value, "volume", "sp_set_volume"))

    @property
    def mute(self) -> bool:
        """True when muted (the volume is kept)."""
        return bool(self._get(self._lib.sp_get_mute, C.c_int, "sp_get_mute"))

    @mute.setter
    def mute(self, value):
        self._call("sp_set_mute", self._lib.sp_set_mute, 1 if value else 0)

    @property
    def session_id(self) -> int:
        """The behaviour log's id of the current session (0 without a db or session)."""
        return self._get(self._lib.sp_get_session_id, C.c_int64, "sp_get_session_id")

    @property
    def control_state(self) -> ControlState:
        """The control plane's ControlState (see control_status())."""
        return self.control_status()[0]

    def control_status(self):
        """(ControlState, ms until the scheduled wake or None)."""
        state, wakes_in = C.c_int(), C.c_int64()
        self._call("sp_get_control_state", self._lib.sp_get_control_state, C.byref(state), C.byref(wakes_in))
        return _enum(ControlState, state.value), (wakes_in.value if wakes_in.value >= 0 else None)

    def stats(self) -> Stats:
        """Control-plane statistics of the current (or last) session, and its media's playback counters (a Stats)."""
        st = _capi.Stats()
        st.struct_size = C.sizeof(st)
        self._call("sp_get_stats", self._lib.sp_get_stats, C.byref(st))
        return Stats(
            st.awake_s,
            st.asleep_s,
            st.wakes_proactive,
            st.wakes_on_demand,
            st.misses,
            st.wake_latency_p50_ms,
            st.wake_latency_p99_ms,
            st.control_wakeups,
            st.events_submitted,
            st.events_logged,
            st.events_dropped,
            _text(st.policy),
            _text(st.model_version),
            st.model_log_loss,
            st.frames_displayed,
            st.frames_dropped,
        )

    def predicted_windows(self, max_windows=64) -> List[Window]:
        """Upcoming windows in which the control plane plans to be awake."""
        max_windows = _count_arg(max_windows, "max_windows", "sp_get_predicted_windows")
        buf = (_capi.Window * max_windows)()
        n = C.c_int()
        self._call("sp_get_predicted_windows", self._lib.sp_get_predicted_windows, buf, max_windows, C.byref(n))
        return [Window(buf[i].start_ms, buf[i].end_ms) for i in range(n.value)]

    # ------------------------------------------------------------ callbacks
    def _guard(self, fn, *args):
        lives = _callback_lives()
        lives.append(self._life)
        try:
            fn(*args)
        except BaseException as e:  # never let it unwind into C
            self.callback_errors.append(e)
            print("smartplayer: exception in a callback:", file=sys.stderr)
            traceback.print_exception(e, file=sys.stderr)
        finally:
            lives.pop()

    @property
    def on_event(self) -> Optional[Callable[[Event], None]]:
        """Called with an Event on the library's event dispatcher thread (sp-events), in order."""
        return self._on_event

    @on_event.setter
    def on_event(self, fn):
        _callable_or_none(fn, "on_event")
        me = weakref.ref(self)

        def trampoline(ev_p, _user):
            p = me()
            if p is None:
                return
            ev = ev_p.contents
            event = Event(
                _enum(EventType, ev.type),
                _enum(Result, ev.code),
                ev.value,
                ev.position_ms,
                ev.seq,
                _text(ev.message),
            )
            p._guard(fn, event)

        cb = _capi.EVENT_FN(trampoline) if fn is not None else _capi.EVENT_FN()
        self._call("sp_set_event_callback", self._lib.sp_set_event_callback, cb, None)
        # The old callback object may still be running on the dispatcher
        # thread; it is kept until the player is destroyed.
        self._keep.event = (cb, self._keep.event)
        self._on_event = fn

    @property
    def on_control(self) -> Optional[Callable[[bool, Optional[WakeReason]], None]]:
        """Called as on_control(awake, reason) on the library's control thread
        (sp-control) when the control plane sleeps (awake False, reason None) or wakes
        (awake True, reason a WakeReason); the wake completes when it returns."""
        return self._on_control

    @on_control.setter
    def on_control(self, fn):
        _callable_or_none(fn, "on_control")
        me = weakref.ref(self)

        def trampoline(awake, reason, _user):
            p = me()
            if p is not None:
                p._guard(fn, bool(awake), _enum(WakeReason, reason) if awake else None)

        cb = _capi.CONTROL_FN(trampoline) if fn is not None else _capi.CONTROL_FN()
        self._call("sp_set_control_callback", self._lib.sp_set_control_callback, cb, None)
        self._keep.control = (cb, self._keep.control)
        self._on_control = fn

    def set_video_callback(self, fn, pixel_format=PixelFormat.RGBA32):
        """Receive each frame as a VideoFrame (its planes copied) on the
        library's presentation thread (sp-present). Needs video_output="callback"; call
        before open()."""
        _callable_or_none(fn, "the video callback")
        me = weakref.ref(self)

        def trampoline(frame_p, _user):
            p = me()
            if p is None:
                return
            f = frame_p.contents
            nplanes = 1 if f.format == PixelFormat.RGBA32 else 3
            planes, sizes = [], []
            for i in range(nplanes):
                rows = f.height if i == 0 else (f.height + 1) // 2
                planes.append(C.string_at(f.data[i], f.linesize[i] * rows))
                sizes.append(f.linesize[i])
            has_color = f.struct_size >= _capi.VideoFrame.full_range.offset + C.sizeof(C.c_int)
            frame = VideoFrame(f.width, f.height, _enum(PixelFormat, f.format), tuple(planes), tuple(sizes), f.pts_ms,
                               f.frame_number, _enum(ColorMatrix, f.color_matrix) if has_color else ColorMatrix.RGB,
                               bool(f.full_range) if has_color else f.format == PixelFormat.RGBA32)
            p._guard(fn, frame)

        cb = _capi.VIDEO_FN(trampoline) if fn is not None else _capi.VIDEO_FN()
        fmt = _int_arg(pixel_format, "pixel_format", "sp_set_video_callback")
        self._call("sp_set_video_callback", self._lib.sp_set_video_callback, cb, fmt, None)
        self._keep.video = (cb, self._keep.video)

    # ------------------------------------------------------------ host output
    def audio_read(self, frames) -> bytes:
        """Pull `frames` stereo S16 frames (audio_output="callback"): 4 bytes a frame."""
        frames = _count_arg(frames, "frames", "sp_audio_read")
        buf = (C.c_int16 * (2 * frames))()
        n = self._call("sp_audio_read", self._lib.sp_audio_read, buf, frames)
        return bytes(buf)[: 4 * n]

    def sdl_pump(self) -> bool:
        """For video_output="sdl": pump the built-in window once; False once it was closed."""
        return bool(self._call("sp_sdl_pump", self._lib.sp_sdl_pump))

    def sdl_wait(self, timeout_ms=-1) -> bool:
        """For video_output="sdl": sleep until sdl_pump() has work (True) or
        timeout_ms passed (False; -1 waits for work). The GIL is released
        while it sleeps. On the thread that made the player::

            while p.sdl_pump():
                p.sdl_wait()
        """
        timeout_ms = _int_arg(timeout_ms, "timeout_ms", "sp_sdl_wait")
        return bool(self._call("sp_sdl_wait", self._sdl_wait, timeout_ms))

    def _sdl_wait(self, handle, timeout_ms):
        life = self._life
        with life.lock:
            life.sdl_waits += 1  # so that close() can wake it up
        try:
            return self._lib.sp_sdl_wait(handle, timeout_ms)
        finally:
            with life.lock:
                life.sdl_waits -= 1

    def sdl_wakeup(self):
        """Make sdl_wait() return now (from any thread or callback)."""
        self._call("sp_sdl_wakeup", self._lib.sp_sdl_wakeup)


def version() -> str:
    """The loaded library's version, "MAJOR.MINOR.PATCH"."""
    return load_library().sp_version_string().decode()


def version_number() -> int:
    """The loaded library's version as MAJOR*1000000 + MINOR*1000 + PATCH."""
    return load_library().sp_version_number()


def strerror(code) -> str:
    """sp_strerror: the name and description of a result code."""
    return _strerror(_int_arg(code, "code", "sp_strerror"))


def state_name(state) -> str:
    """sp_state_name."""
    return load_library().sp_state_name(_int_arg(state, "state", "sp_state_name")).decode()
