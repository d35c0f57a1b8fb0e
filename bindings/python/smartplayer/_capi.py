"""The C API of libsmartplayer as ctypes declarations (include/smartplayer.h).

Everything here mirrors the header one to one: struct layouts, callback
types and the prototype of every public function. The Pythonic layer is in
player.py. A function the header declares is either in PROTOTYPES or in
NOT_BOUND with the reason (tests/test_binding.py checks this against the
header).
"""

import ctypes as C

# ---- versioned structs (each begins with struct_size) ----


class MediaMeta(C.Structure):
    _fields_ = [
        ("struct_size", C.c_size_t),
        ("video_id", C.c_char_p),
        ("title", C.c_char_p),
        ("genre", C.c_char_p),
        ("viewer_id", C.c_char_p),
    ]


class MediaInfo(C.Structure):
    _fields_ = [
        ("struct_size", C.c_size_t),
        ("width", C.c_int),
        ("height", C.c_int),
        ("fps", C.c_double),
        ("has_audio", C.c_int),
        ("audio_sample_rate", C.c_int),
        ("audio_channels", C.c_int),
        ("duration_ms", C.c_int64),
        ("video_codec", C.c_char * 32),
        ("audio_codec", C.c_char * 32),
        ("container", C.c_char * 32),
        ("rotation", C.c_int),
    ]


class Event(C.Structure):
    _fields_ = [
        ("struct_size", C.c_size_t),
        ("type", C.c_int),
        ("code", C.c_int),
        ("value", C.c_int64),
        ("position_ms", C.c_int64),
        ("seq", C.c_int64),
        ("message", C.c_char_p),
    ]


class VideoFrame(C.Structure):
    _fields_ = [
        ("struct_size", C.c_size_t),
        ("width", C.c_int),
        ("height", C.c_int),
        ("format", C.c_int),
        ("data", C.POINTER(C.c_uint8) * 3),
        ("linesize", C.c_int * 3),
        ("pts_ms", C.c_int64),
        ("frame_number", C.c_int64),
        ("color_matrix", C.c_int),
        ("full_range", C.c_int),
    ]


class Stats(C.Structure):
    _fields_ = [
        ("struct_size", C.c_size_t),
        ("awake_s", C.c_double),
        ("asleep_s", C.c_double),
        ("wakes_proactive", C.c_int64),
        ("wakes_on_demand", C.c_int64),
        ("misses", C.c_int64),
        ("wake_latency_p50_ms", C.c_double),
        ("wake_latency_p99_ms", C.c_double),
        ("control_wakeups", C.c_int64),
        ("events_submitted", C.c_int64),
        ("events_logged", C.c_int64),
        ("events_dropped", C.c_int64),
        ("policy", C.c_char * 32),
        ("model_version", C.c_char * 64),
        ("model_log_loss", C.c_double),
        ("frames_displayed", C.c_int64),
        ("frames_dropped", C.c_int64),
    ]


class Window(C.Structure):  # frozen: never grows
    _fields_ = [("start_ms", C.c_int64), ("end_ms", C.c_int64)]


# Struct name in the header -> ctypes class (the layout test walks this).
STRUCTS = {
    "sp_media_meta": MediaMeta,
    "sp_media_info": MediaInfo,
    "sp_event": Event,
    "sp_video_frame": VideoFrame,
    "sp_stats": Stats,
    "sp_window": Window,
}

# ---- callbacks ----
EVENT_FN = C.CFUNCTYPE(None, C.POINTER(Event), C.c_void_p)
VIDEO_FN = C.CFUNCTYPE(None, C.POINTER(VideoFrame), C.c_void_p)
CONTROL_FN = C.CFUNCTYPE(None, C.c_int, C.c_int, C.c_void_p)

# Opaque handles are plain pointers.
_cfg = C.c_void_p
_player = C.c_void_p
_i64p = C.POINTER(C.c_int64)
_intp = C.POINTER(C.c_int)

# name: (restype, argtypes)
PROTOTYPES = {
    "sp_version_number": (C.c_int, []),
    "sp_version_string": (C.c_char_p, []),
    "sp_strerror": (C.c_char_p, [C.c_int]),
    "sp_config_create": (_cfg, []),
    "sp_config_destroy": (None, [_cfg]),
    "sp_config_set": (C.c_int, [_cfg, C.c_char_p, C.c_char_p]),
    "sp_config_last_error": (C.c_char_p, [_cfg]),
    "sp_state_name": (C.c_char_p, [C.c_int]),
    "sp_player_create": (C.c_int, [_cfg, C.POINTER(_player)]),
    "sp_player_destroy": (None, [_player]),
    "sp_player_last_error": (C.c_char_p, [_player]),
    "sp_open": (C.c_int, [_player, C.c_char_p, C.POINTER(MediaMeta)]),
    "sp_get_media_info": (C.c_int, [_player, C.POINTER(MediaInfo)]),
    "sp_play": (C.c_int, [_player]),
    "sp_pause": (C.c_int, [_player]),
    "sp_toggle_pause": (C.c_int, [_player]),
    "sp_seek": (C.c_int, [_player, C.c_int64, C.c_int]),
    "sp_step": (C.c_int, [_player]),
    "sp_set_rate": (C.c_int, [_player, C.c_double]),
    "sp_set_volume": (C.c_int, [_player, C.c_int]),
    "sp_set_mute": (C.c_int, [_player, C.c_int]),
    "sp_stop": (C.c_int, [_player]),
    "sp_skip": (C.c_int, [_player, C.c_int]),
    "sp_get_state": (C.c_int, [_player, _intp]),
    "sp_get_position_ms": (C.c_int, [_player, _i64p]),
    "sp_get_duration_ms": (C.c_int, [_player, _i64p]),
    "sp_get_buffered_ms": (C.c_int, [_player, _i64p]),
    "sp_get_rate": (C.c_int, [_player, C.POINTER(C.c_double)]),
    "sp_get_volume": (C.c_int, [_player, _intp]),
    "sp_get_mute": (C.c_int, [_player, _intp]),
    "sp_get_session_id": (C.c_int, [_player, _i64p]),
    "sp_set_event_callback": (C.c_int, [_player, EVENT_FN, C.c_void_p]),
    "sp_set_video_callback": (C.c_int, [_player, VIDEO_FN, C.c_int, C.c_void_p]),
    "sp_audio_read": (C.c_int, [_player, C.POINTER(C.c_int16), C.c_int]),
    "sp_sdl_pump": (C.c_int, [_player]),
    "sp_sdl_wait": (C.c_int, [_player, C.c_int]),
    "sp_sdl_wakeup": (C.c_int, [_player]),
    "sp_set_control_callback": (C.c_int, [_player, CONTROL_FN, C.c_void_p]),
    "sp_get_control_state": (C.c_int, [_player, _intp, _i64p]),
    "sp_get_stats": (C.c_int, [_player, C.POINTER(Stats)]),
    "sp_get_predicted_windows": (C.c_int, [_player, C.POINTER(Window), C.c_int, _intp]),
}

# Public functions deliberately not bound, with the reason.
NOT_BOUND = {}


def bind(lib):
    """Set restype/argtypes of every prototype on a loaded CDLL."""
    for name, (restype, argtypes) in PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib
