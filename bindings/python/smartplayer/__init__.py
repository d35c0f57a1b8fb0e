"""Python binding of libsmartplayer (ctypes, standard library only).

    import smartplayer
    with smartplayer.Player(video_output="none", audio_output="none", db="behaviour.db") as p:
        p.on_event = lambda ev: print(ev.type.name, ev.message)
        p.open("clip.mp4", viewer_id="alice", genre="lecture")
        p.play()

See bindings/python/README.md, and include/smartplayer.h for what each call
does; this package maps it one to one (errors become SmartPlayerError with the
sp_result code and the library's message).
"""

from ._library import BINDING_VERSION, load_library, library_path
from .player import (
    ControlState,
    Event,
    EventType,
    Kind,
    LogLevel,
    MediaInfo,
    PixelFormat,
    ColorMatrix,
    Player,
    Result,
    SeekFlag,
    SmartPlayerError,
    State,
    Stats,
    VideoFrame,
    WakeReason,
    Window,
    state_name,
    strerror,
    version,
    version_number,
)

__version__ = ".".join(map(str, BINDING_VERSION))

__all__ = [
    "BINDING_VERSION",
    "ControlState",
    "Event",
    "EventType",
    "Kind",
    "LogLevel",
    "MediaInfo",
    "PixelFormat",
    "ColorMatrix",
    "Player",
    "Result",
    "SeekFlag",
    "SmartPlayerError",
    "State",
    "Stats",
    "VideoFrame",
    "WakeReason",
    "Window",
    "library_path",
    "load_library",
    "state_name",
    "strerror",
    "version",
    "version_number",
]
