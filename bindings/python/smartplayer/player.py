"""The Pythonic layer over the C API: Player, its errors, enums and records."""

import ctypes as C
import enum
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


class Result(enum.IntEnum):
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


class State(enum.IntEnum):
    IDLE = 0
    OPENING = 1
    PAUSED = 2
    PLAYING = 3
    ENDED = 4
    STOPPED = 5


class EventType(enum.IntEnum):
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


class LogLevel(enum.IntEnum):
    """Severity of a LOG event (the log_level option names them)."""

    ERROR = 1
    WARNING = 2
    INFO = 3
    VERBOSE = 4
    DEBUG = 5


class Kind(enum.IntEnum):
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


class WakeReason(enum.IntEnum):
    PROACTIVE = 1
    ON_DEMAND = 2


class ControlState(enum.IntEnum):
    AWAKE = 0
    ASLEEP = 1
    WAKING = 2


class SeekFlag(enum.IntFlag):
    """sp_seek flags; 0 (the default) is absolute and accurate."""

    ABSOLUTE = 1 << 0
    RELATIVE = 1 << 1
    ACCURATE = 1 << 2
    KEYFRAME = 1 << 3


class PixelFormat(enum.IntEnum):
    RGBA32 = 1
    YUV420P = 2


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
        name = _strerror(code)
        text = f"{call}: {name}" if call else name
        super().__init__(f"{text}: {message}" if message else text)

    @property
    def name(self):
        """The code's name, e.g. 'SP_ERR_NOT_FOUND'."""
        return _strerror(self.code).split(":", 1)[0]


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


def _text(raw):
    return raw.decode("utf-8", "replace") if raw else ""


def _option_text(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


# Set while a library thread runs one of this binding's callbacks.
_in_callback = threading.local()


class _Keep:
    """What must outlive the C handle: the ctypes callback objects."""

    def __init__(self):
        self.event = None
        self.video = None
        self.control = None


def _destroy(lib, handle, keep):
    # Runs at close(), garbage collection or interpreter exit. The callback
    # objects in `keep` stay referenced until the library has joined its
    # threads (sp_player_destroy returns only after the last callback).
    if handle.value:
        lib.sp_player_destroy(handle)
        handle.value = None
    keep.event = keep.video = keep.control = None


class Player:
    """A libsmartplayer player.

    Options are libsmartplayer's configuration keys (smartplayer.h,
    sp_config_set), given as a dict or keyword arguments; values are
    converted to text (True/False -> "1"/"0")::

        with smartplayer.Player(video_output="none", db="behaviour.db") as p:
            p.open("clip.mp4", viewer_id="alice")
            p.play()

    Callbacks (on_event, on_control, set_video_callback) run on the
    library's own threads: events on "sp-events" (its event dispatcher),
    frames on "sp-present" (its presentation thread), sleep/wake on
    "sp-control" (its control thread); never on the thread that created the
    player. ctypes takes the GIL for them. An
    exception a callback raises is printed to stderr and kept in
    `callback_errors`; it does not reach the library. A callback may call
    the player's controls and properties, but not close() or open().
    """

    def __init__(self, options=None, /, *, library=None, **kwargs):
        self._lib = lib = load_library(library)
        self._handle = C.c_void_p()
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
                text = _option_text(value)
                rc = lib.sp_config_set(cfg, str(key).encode(), text.encode())
                if rc != 0:
                    raise SmartPlayerError(rc, _text(lib.sp_config_last_error(cfg)), "sp_config_set")
            rc = lib.sp_player_create(cfg, C.byref(self._handle))
            if rc != 0:
                # Thread-local in the library: this thread's failed create.
                raise SmartPlayerError(rc, _text(lib.sp_player_last_error(None)), "sp_player_create")
        finally:
            lib.sp_config_destroy(cfg)
        self._finalizer = weakref.finalize(self, _destroy, lib, self._handle, self._keep)

    # ------------------------------------------------------------ lifecycle
    def close(self):
        """Stop playback, flush the behaviour log and free the player (idempotent).

        Must not be called from a callback of this player.
        """
        if getattr(_in_callback, "active", False):
            raise RuntimeError("Player.close() must not be called from a libsmartplayer callback")
        self._finalizer()

    @property
    def closed(self):
        return not self._handle.value

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _h(self):
        if not self._handle.value:
            raise ValueError("the player is closed")
        return self._handle

    def _check(self, rc, call):
        if rc < 0:
            raise SmartPlayerError(rc, self.last_error, call)
        return rc

    @property
    def last_error(self):
        """sp_player_last_error: the message of the last failed call on this player."""
        return _text(self._lib.sp_player_last_error(self._h()))

    # ------------------------------------------------------------ media
    def open(self, url, *, video_id=None, title=None, genre=None, viewer_id=None):
        """Open a file or URL (paused at 0) and begin a logged viewing session."""
        if getattr(_in_callback, "active", False):
            raise RuntimeError("Player.open() must not be called from a libsmartplayer callback")
        meta = _capi.MediaMeta()
        meta.struct_size = C.sizeof(meta)
        for field, value in (("video_id", video_id), ("title", title), ("genre", genre), ("viewer_id", viewer_id)):
            if value is not None:
                setattr(meta, field, str(value).encode())
        self._check(self._lib.sp_open(self._h(), str(url).encode(), C.byref(meta)), "sp_open")

    @property
    def media_info(self) -> MediaInfo:
        info = _capi.MediaInfo()
        info.struct_size = C.sizeof(info)
        self._check(self._lib.sp_get_media_info(self._h(), C.byref(info)), "sp_get_media_info")
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
        self._check(self._lib.sp_play(self._h()), "sp_play")

    def pause(self):
        self._check(self._lib.sp_pause(self._h()), "sp_pause")

    def toggle_pause(self):
        self._check(self._lib.sp_toggle_pause(self._h()), "sp_toggle_pause")

    def seek(self, target_ms, *, relative=False, keyframe=False, flags=None):
        """Seek to a position (or by an offset with relative=True).

        Lands on the frame at or before the target, or on the keyframe at or
        before it with keyframe=True. `flags` (SeekFlag) may be given instead.
        """
        if flags is None:
            flags = (SeekFlag.RELATIVE if relative else 0) | (SeekFlag.KEYFRAME if keyframe else 0)
        self._check(self._lib.sp_seek(self._h(), int(target_ms), int(flags)), "sp_seek")

    def step(self):
        self._check(self._lib.sp_step(self._h()), "sp_step")

    def stop(self):
        self._check(self._lib.sp_stop(self._h()), "sp_stop")

    def skip(self, direction):
        """Log that the viewer skipped to the next (+1) or previous (-1) item."""
        self._check(self._lib.sp_skip(self._h(), int(direction)), "sp_skip")

    # ------------------------------------------------------------ properties
    def _get(self, fn, ctype, call):
        v = ctype()
        self._check(fn(self._h(), C.byref(v)), call)
        return v.value

    @property
    def state(self) -> State:
        return _enum(State, self._get(self._lib.sp_get_state, C.c_int, "sp_get_state"))

    @property
    def position_ms(self) -> int:
        return self._get(self._lib.sp_get_position_ms, C.c_int64, "sp_get_position_ms")

    @property
    def duration_ms(self) -> int:
        return self._get(self._lib.sp_get_duration_ms, C.c_int64, "sp_get_duration_ms")

    @property
    def buffered_ms(self) -> int:
        return self._get(self._lib.sp_get_buffered_ms, C.c_int64, "sp_get_buffered_ms")

    @property
    def rate(self) -> float:
        return self._get(self._lib.sp_get_rate, C.c_double, "sp_get_rate")

    @rate.setter
    def rate(self, value):
        self._check(self._lib.sp_set_rate(self._h(), float(value)), "sp_set_rate")

    @property
    def volume(self) -> int:
        return self._get(self._lib.sp_get_volume, C.c_int, "sp_get_volume")

    @volume.setter
    def volume(self, value):
        self._check(self._lib.sp_set_volume(self._h(), int(value)), "sp_set_volume")

    @property
    def mute(self) -> bool:
        return bool(self._get(self._lib.sp_get_mute, C.c_int, "sp_get_mute"))

    @mute.setter
    def mute(self, value):
        self._check(self._lib.sp_set_mute(self._h(), 1 if value else 0), "sp_set_mute")

    @property
    def session_id(self) -> int:
        """The behaviour log's id of the current session (0 without a db or session)."""
        return self._get(self._lib.sp_get_session_id, C.c_int64, "sp_get_session_id")

    @property
    def control_state(self) -> ControlState:
        return self.control_status()[0]

    def control_status(self):
        """(ControlState, ms until the scheduled wake or None)."""
        state, wakes_in = C.c_int(), C.c_int64()
        self._check(self._lib.sp_get_control_state(self._h(), C.byref(state), C.byref(wakes_in)), "sp_get_control_state")
        return _enum(ControlState, state.value), (wakes_in.value if wakes_in.value >= 0 else None)

    def stats(self) -> Stats:
        st = _capi.Stats()
        st.struct_size = C.sizeof(st)
        self._check(self._lib.sp_get_stats(self._h(), C.byref(st)), "sp_get_stats")
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
        )

    def predicted_windows(self, max_windows=64) -> List[Window]:
        """Upcoming windows in which the control plane plans to be awake."""
        buf = (_capi.Window * max_windows)()
        n = C.c_int()
        self._check(self._lib.sp_get_predicted_windows(self._h(), buf, max_windows, C.byref(n)), "sp_get_predicted_windows")
        return [Window(buf[i].start_ms, buf[i].end_ms) for i in range(n.value)]

    # ------------------------------------------------------------ callbacks
    def _guard(self, fn, *args):
        _in_callback.active = True
        try:
            fn(*args)
        except BaseException as e:  # never let it unwind into C
            self.callback_errors.append(e)
            print("smartplayer: exception in a callback:", file=sys.stderr)
            traceback.print_exception(e, file=sys.stderr)
        finally:
            _in_callback.active = False

    @property
    def on_event(self) -> Optional[Callable[[Event], None]]:
        """Called with an Event on the library's event dispatcher thread (sp-events), in order."""
        return self._on_event

    @on_event.setter
    def on_event(self, fn):
        h = self._h()
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

        cb = _capi.EVENT_FN(trampoline) if fn else _capi.EVENT_FN()
        self._check(self._lib.sp_set_event_callback(h, cb, None), "sp_set_event_callback")
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
        h = self._h()
        me = weakref.ref(self)

        def trampoline(awake, reason, _user):
            p = me()
            if p is not None:
                p._guard(fn, bool(awake), _enum(WakeReason, reason) if awake else None)

        cb = _capi.CONTROL_FN(trampoline) if fn else _capi.CONTROL_FN()
        self._check(self._lib.sp_set_control_callback(h, cb, None), "sp_set_control_callback")
        self._keep.control = (cb, self._keep.control)
        self._on_control = fn

    def set_video_callback(self, fn, pixel_format=PixelFormat.RGBA32):
        """Receive each frame as a VideoFrame (its planes copied) on the
        library's presentation thread (sp-present). Needs video_output="callback"; call
        before open()."""
        h = self._h()
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
            frame = VideoFrame(f.width, f.height, _enum(PixelFormat, f.format), tuple(planes), tuple(sizes), f.pts_ms, f.frame_number)
            p._guard(fn, frame)

        cb = _capi.VIDEO_FN(trampoline) if fn else _capi.VIDEO_FN()
        self._check(self._lib.sp_set_video_callback(h, cb, int(pixel_format), None), "sp_set_video_callback")
        self._keep.video = (cb, self._keep.video)

    # ------------------------------------------------------------ host output
    def audio_read(self, frames) -> bytes:
        """Pull `frames` stereo S16 frames (audio_output="callback"): 4 bytes a frame."""
        buf = (C.c_int16 * (2 * int(frames)))()
        n = self._check(self._lib.sp_audio_read(self._h(), buf, int(frames)), "sp_audio_read")
        return bytes(buf)[: 4 * n]

    def sdl_pump(self) -> bool:
        """For video_output="sdl": pump the built-in window once; False once it was closed."""
        return bool(self._check(self._lib.sp_sdl_pump(self._h()), "sp_sdl_pump"))

    def sdl_wait(self, timeout_ms=-1) -> bool:
        """For video_output="sdl": sleep until sdl_pump() has work (True) or
        timeout_ms passed (False; -1 waits for work). The GIL is released
        while it sleeps. On the thread that made the player::

            while p.sdl_pump():
                p.sdl_wait()
        """
        return bool(self._check(self._lib.sp_sdl_wait(self._h(), int(timeout_ms)), "sp_sdl_wait"))

    def sdl_wakeup(self):
        """Make sdl_wait() return now (from any thread or callback)."""
        self._check(self._lib.sp_sdl_wakeup(self._h()), "sp_sdl_wakeup")


def version() -> str:
    """The loaded library's version, "MAJOR.MINOR.PATCH"."""
    return load_library().sp_version_string().decode()


def version_number() -> int:
    """The loaded library's version as MAJOR*1000000 + MINOR*1000 + PATCH."""
    return load_library().sp_version_number()


def strerror(code) -> str:
    """sp_strerror: the name and description of a result code."""
    return _strerror(code)


def state_name(state) -> str:
    """sp_state_name."""
    return load_library().sp_state_name(int(state)).decode()
