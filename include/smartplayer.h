/*
 * smartplayer.h — the whole public surface of libsmartplayer.
 *
 * A linkable video player (FFmpeg decode, SDL2 or host rendering) that records
 * every viewer interaction to SQLite, learns when the viewer will next act, and
 * lets its control plane sleep in between. Modelled on SQLite's C API (opaque
 * handles, result codes, one header) and libmpv's client API (commands,
 * properties, event callbacks, a render path for hosts that draw themselves).
 *
 * Conventions
 *  - Every function that can fail returns an int result code: SP_OK (0) or a
 *    negative SP_ERR_* value. sp_strerror() names a code; sp_player_last_error()
 *    gives the message of the last failure on that handle (thread-local per
 *    calling thread is NOT used: the message is per handle, see its doc).
 *  - No C++ exception ever crosses this boundary.
 *  - Times and media positions are int64_t milliseconds.
 *  - Strings are UTF-8, NUL-terminated; strings passed in are copied.
 *  - Structs that grow: every struct that crosses this API begins with
 *    `size_t struct_size`, except sp_window, which is frozen. New fields are
 *    only ever appended. Set struct_size = sizeof(the struct) before passing
 *    one in or asking the library to fill it (0 is refused with
 *    SP_ERR_INVALID_ARGUMENT); the library reads and writes only whole fields
 *    within struct_size, so a program built against an older, smaller struct
 *    keeps working, and a filled struct gets struct_size set to the bytes
 *    written. A larger struct_size (newer header, older library) is accepted
 *    when the unknown tail is zero and refused with SP_ERR_UNSUPPORTED when a
 *    field this library cannot honour is set. Structs handed to a callback
 *    carry the size the library allocated: check SP_HAS_FIELD before reading
 *    a field newer than the oldest library you support.
 *
 * Thread safety (each function's comment restates what applies to it)
 *  - [any thread]    may be called from any thread, concurrently with other
 *                    calls on the same handle.
 *  - [not concurrent] must not run concurrently with any other call on the
 *                    same handle (create/destroy).
 *  - [callback-safe] may also be called from inside a libsmartplayer callback.
 *    Functions not marked callback-safe must not be called from a callback.
 */
#ifndef SMARTPLAYER_H
#define SMARTPLAYER_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define SP_API __declspec(dllexport)
#elif defined(SP_BUILDING_LIBRARY)
#define SP_API __attribute__((visibility("default")))
#else
#define SP_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header. The build reads these three lines (one source
 * of truth for the library, its soname, pkg-config and the CMake package). */
#define SP_VERSION_MAJOR 0
#define SP_VERSION_MINOR 2
#define SP_VERSION_PATCH 0
/* MAJOR * 1000000 + MINOR * 1000 + PATCH, e.g. 1002003 for 1.2.3. */
#define SP_VERSION_NUMBER (SP_VERSION_MAJOR * 1000000 + SP_VERSION_MINOR * 1000 + SP_VERSION_PATCH)
#define SP_STRINGIFY_(x) #x
#define SP_STRINGIFY(x) SP_STRINGIFY_(x)
/* "MAJOR.MINOR.PATCH" of this header. */
#define SP_VERSION_STRING SP_STRINGIFY(SP_VERSION_MAJOR) "." SP_STRINGIFY(SP_VERSION_MINOR) "." SP_STRINGIFY(SP_VERSION_PATCH)

/* ------------------------------------------------------------------------ */
/* Result codes                                                             */
/* ------------------------------------------------------------------------ */
typedef enum sp_result {
    SP_OK = 0,
    SP_ERR_INVALID_ARGUMENT = -1, /* NULL handle/pointer, out-of-range value, unknown key */
    SP_ERR_INVALID_STATE = -2,    /* call not allowed now (e.g. seek before open) */
    SP_ERR_NOT_FOUND = -3,        /* file does not exist / no such item */
    SP_ERR_IO = -4,               /* read error, permission denied */
    SP_ERR_FORMAT = -5,           /* not a media file, truncated, unsupported codec */
    SP_ERR_NO_VIDEO = -6,         /* media has no video stream */
    SP_ERR_NETWORK = -7,          /* URL did not answer / connection failed / timed out */
    SP_ERR_DB = -8,               /* other database error */
    SP_ERR_DB_LOCKED = -9,        /* database busy/locked by another writer (after retries) */
    SP_ERR_DB_CORRUPT = -10,      /* database file is corrupt or not a database */
    SP_ERR_DB_READONLY = -11,     /* database cannot be written */
    SP_ERR_NO_MEMORY = -12,
    SP_ERR_UNSUPPORTED = -13,     /* feature not available in this build/configuration */
    SP_ERR_AUDIO_DEVICE = -14,    /* audio output could not be opened */
    SP_ERR_VIDEO_DEVICE = -15,    /* window/renderer could not be created */
    SP_ERR_INTERNAL = -16         /* a bug: please report */
} sp_result;

/** Static English name and description of a result code. Never NULL. [any thread][callback-safe] */
SP_API const char *sp_strerror(int code);
/**
 * The version of the library loaded at run time, as SP_VERSION_NUMBER
 * computes it. A host that needs a function or field added in version V
 * checks sp_version_number() >= V (the header it was built with may be newer
 * than the library it runs with). [any thread][callback-safe]
 */
SP_API int sp_version_number(void);
/** The version of the library loaded at run time, "MAJOR.MINOR.PATCH"; a static string. [any thread][callback-safe] */
SP_API const char *sp_version_string(void);

/**
 * True when the struct at `ptr` (of type `type`, handed out by the library)
 * is large enough to hold `field`: use it before reading a field added after
 * the oldest library version the host supports.
 */
#define SP_HAS_FIELD(ptr, type, field) \
    ((ptr)->struct_size >= offsetof(type, field) + sizeof(((const type *)0)->field))

/* ------------------------------------------------------------------------ */
/* Configuration: string key/value options, like mpv's.                    */
/* ------------------------------------------------------------------------ */
typedef struct sp_config sp_config;

/** New configuration holding the defaults. Returns NULL only when out of memory. [any thread] */
SP_API sp_config *sp_config_create(void);
/** Free a configuration (NULL is a no-op). [not concurrent with other uses of cfg] */
SP_API void sp_config_destroy(sp_config *cfg);
/**
 * Set an option. Unknown keys and malformed values give SP_ERR_INVALID_ARGUMENT
 * and leave the configuration unchanged. [not concurrent with other uses of cfg]
 *
 *   key               values (default first)
 *   video_output      "sdl" | "callback" | "none"   built-in window, host callback, or no video output
 *   audio_output      "sdl" | "callback" | "none"   SDL audio device, host pulls with sp_audio_read, or none
 *   window_title      string                        title of the built-in window
 *   window_width      int (0 = video size)          initial window size for video_output=sdl
 *   window_height     int (0 = video size)
 *   audio_rate        int (48000)                   output sample rate (audio_output=callback)
 *   rate_mode         "tempo" | "resample"          tempo: pitch-preserving (libavfilter atempo);
 *                                                   resample: plain (pitch follows speed)
 *   db                path ("" = no logging)        behaviour log (SQLite, created if missing)
 *   db_busy_timeout_ms int (5000)                   how long to retry a locked database
 *   log_batch_ms      int (200)                     max delay before queued events are committed
 *   policy            "auto" | "always-on" | "fixed-timeout" | "seed-genre" | "learned"
 *                                                   control-plane sleep policy ("auto": learned once
 *                                                   a model exists in the db, fixed-timeout before)
 *   cost              "h,w,m"                       cost model (awake second, wake, miss)
 *   timeout_s         double (w/h)                  tau for fixed-timeout
 *   strict            "0" | "1"                     seed experiment: calls ignored while asleep
 *   online_learning   "1" | "0"                     retrain from new sessions on idle time
 *   network_timeout_ms int (10000)                  open() timeout for URLs
 */
SP_API int sp_config_set(sp_config *cfg, const char *key, const char *value);

/* ------------------------------------------------------------------------ */
/* Player                                                                   */
/* ------------------------------------------------------------------------ */
typedef struct sp_player sp_player;

typedef enum sp_state {
    SP_STATE_IDLE = 0,    /* nothing open */
    SP_STATE_OPENING = 1,
    SP_STATE_PAUSED = 2,
    SP_STATE_PLAYING = 3,
    SP_STATE_ENDED = 4,   /* reached end of file (still open; seek or play restarts) */
    SP_STATE_STOPPED = 5, /* stop() was called; open() again to play */
    SP_STATE_ERROR = 6
} sp_state;

/** Name of a state ("idle", "playing", ...). [any thread][callback-safe] */
SP_API const char *sp_state_name(int state);

/**
 * Create a player. cfg may be NULL (defaults); it is copied, so it may be
 * destroyed right after. On failure *out is set to NULL and the code is
 * returned (e.g. SP_ERR_DB_CORRUPT for a corrupt db). [any thread]
 */
SP_API int sp_player_create(const sp_config *cfg, sp_player **out);
/**
 * Stop playback, flush the behaviour log (every accepted event is written),
 * join all threads and free the player. NULL is a no-op.
 * [not concurrent: no other call on this handle may run or start; not from a callback]
 */
SP_API void sp_player_destroy(sp_player *p);
/**
 * Message of the most recent failed call on this handle ("" if none). The
 * pointer stays valid until the next failing call on the same handle; copy it
 * if other threads use the handle. For p == NULL: the message of this
 * thread's most recent failed sp_player_create() (why the database or the
 * policy could not be set up), or a static note when there was none; valid
 * until this thread's next sp_player_create().
 * [any thread][callback-safe]
 */
SP_API const char *sp_player_last_error(const sp_player *p);

/**
 * What the host tells the library about the media and the viewer. Set
 * struct_size = sizeof(sp_media_meta); the other fields may be NULL.
 */
typedef struct sp_media_meta {
    size_t struct_size;
    const char *video_id;  /* stable id for the behaviour log (default: the path) */
    const char *title;     /* default: file name */
    const char *genre;     /* default: "unknown" */
    const char *viewer_id; /* default: "anonymous" */
} sp_media_meta;

/**
 * Open a local file or URL and start a viewing session (paused at 0; call
 * sp_play). Blocks until the media is probed. Closes any media already open
 * (ending its session with reason "replaced"). meta may be NULL.
 * Errors: SP_ERR_NOT_FOUND, SP_ERR_FORMAT, SP_ERR_NO_VIDEO, SP_ERR_NETWORK, SP_ERR_IO.
 * [any thread; not from a callback]
 */
SP_API int sp_open(sp_player *p, const char *url, const sp_media_meta *meta);

/* Control calls: applied to playback at once, then logged by the control
 * thread with a sequence number. They never block on the log, the predictor
 * or the sleeping control plane. All need media open (else SP_ERR_INVALID_STATE).
 * [any thread][callback-safe] */
SP_API int sp_play(sp_player *p);
SP_API int sp_pause(sp_player *p);
SP_API int sp_toggle_pause(sp_player *p);

/**
 * sp_seek flags: one bit each, combined with |. 0 is the default: an
 * absolute target, landing accurately. Naming the default explicitly
 * (SP_SEEK_ABSOLUTE, SP_SEEK_ACCURATE) is allowed; naming both sides of a
 * pair (ABSOLUTE with RELATIVE, ACCURATE with KEYFRAME) or any other bit is
 * SP_ERR_INVALID_ARGUMENT.
 */
typedef enum sp_seek_flags {
    SP_SEEK_ABSOLUTE = 1 << 0, /* target is a media position (default) */
    SP_SEEK_RELATIVE = 1 << 1, /* target is an offset from the current position */
    SP_SEEK_ACCURATE = 1 << 2, /* land on the frame at or before the target (default) */
    SP_SEEK_KEYFRAME = 1 << 3  /* fast: land on the keyframe at or before the target */
} sp_seek_flags;
/** Seek; targets outside [0, duration] are clamped. */
SP_API int sp_seek(sp_player *p, int64_t target_ms, int flags);
/** Pause and show the next frame. */
SP_API int sp_step(sp_player *p);
/** Playback rate in [0.5, 2.0]; else SP_ERR_INVALID_ARGUMENT. */
SP_API int sp_set_rate(sp_player *p, double rate);
/** Volume in [0, 100]; else SP_ERR_INVALID_ARGUMENT. */
SP_API int sp_set_volume(sp_player *p, int volume);
SP_API int sp_set_mute(sp_player *p, int mute);
/** Stop playback and end the session (reason "stopped"); the file is closed. */
SP_API int sp_stop(sp_player *p);
/**
 * Record that the viewer skipped to another item (next/previous in a playlist)
 * before the host opens it: logged as a "skip" event with direction +1/-1.
 */
SP_API int sp_skip(sp_player *p, int direction);

/* Properties. [any thread][callback-safe] */
SP_API int sp_get_state(const sp_player *p, int *state);
SP_API int sp_get_position_ms(const sp_player *p, int64_t *pos_ms);
SP_API int sp_get_duration_ms(const sp_player *p, int64_t *dur_ms);
/** How far ahead of the position data is decoded and queued. */
SP_API int sp_get_buffered_ms(const sp_player *p, int64_t *buffered_ms);
SP_API int sp_get_rate(const sp_player *p, double *rate);
SP_API int sp_get_volume(const sp_player *p, int *volume);
SP_API int sp_get_mute(const sp_player *p, int *mute);

typedef struct sp_media_info {
    size_t struct_size; /* set to sizeof(sp_media_info) before calling */
    int width, height;
    double fps;
    int has_audio;
    int audio_sample_rate, audio_channels;
    int64_t duration_ms;
    char video_codec[32];
    char audio_codec[32];
    char container[32];
} sp_media_info;
/** Fill *info (info->struct_size must be set). [any thread][callback-safe] */
SP_API int sp_get_media_info(const sp_player *p, sp_media_info *info);

/** Behaviour-log session id of the current viewing session (0 if none/no db). */
SP_API int sp_get_session_id(const sp_player *p, int64_t *session_id);

/* ------------------------------------------------------------------------ */
/* Events                                                                   */
/* ------------------------------------------------------------------------ */
typedef enum sp_event_type {
    SP_EVENT_STATE_CHANGED = 1, /* value = new sp_state */
    SP_EVENT_END_OF_FILE = 2,
    SP_EVENT_ERROR = 3,         /* code + message; playback may continue */
    SP_EVENT_SEEK_DONE = 4,     /* position_ms = where playback resumed */
    SP_EVENT_LOGGED = 5,        /* seq = interaction committed to the log; value = sp_kind; message = kind name */
    SP_EVENT_CONTROL_SLEEP = 6, /* control plane went to sleep; value = ms until scheduled wake, -1 none */
    SP_EVENT_CONTROL_WAKE = 7,  /* control plane woke; value = sp_wake_reason */
    SP_EVENT_PROGRESS = 8,      /* periodic position while the control plane is awake */
    SP_EVENT_MODEL_UPDATED = 9  /* a new predictor model was swapped in */
} sp_event_type;

/** Interaction kinds as recorded in the behaviour log (values are stored; never renumbered). */
typedef enum sp_kind {
    SP_KIND_OPEN = 0, SP_KIND_PLAY = 1, SP_KIND_PAUSE = 2, SP_KIND_SEEK = 3, SP_KIND_SKIP = 4,
    SP_KIND_VOLUME = 5, SP_KIND_MUTE = 6, SP_KIND_RATE = 7, SP_KIND_STOP = 8, SP_KIND_STEP = 9,
    SP_KIND_END = 10
} sp_kind;

typedef enum sp_wake_reason {
    SP_WAKE_PROACTIVE = 1, /* scheduled wake before a predicted interaction */
    SP_WAKE_ON_DEMAND = 2, /* a control call arrived while asleep (a miss) */
    SP_WAKE_SHUTDOWN = 3
} sp_wake_reason;

typedef struct sp_event {
    size_t struct_size;  /* bytes valid in this struct (set by the library) */
    int type;            /* sp_event_type */
    int code;            /* result code for SP_EVENT_ERROR, else SP_OK */
    int64_t value;       /* type-specific, see sp_event_type */
    int64_t position_ms; /* media position when the event was raised */
    int64_t seq;         /* interaction sequence number (SP_EVENT_LOGGED), else 0 */
    const char *message; /* valid during the callback only; never NULL */
} sp_event;

/**
 * Callback invoked on a library thread (never the audio thread). It must not
 * call sp_player_destroy or sp_open; it may call [callback-safe] functions.
 */
typedef void (*sp_event_fn)(const sp_event *ev, void *user);
/** Set (or clear with NULL) the event callback. [any thread] */
SP_API int sp_set_event_callback(sp_player *p, sp_event_fn fn, void *user);

/* ------------------------------------------------------------------------ */
/* Host rendering (video_output=callback / audio_output=callback)           */
/* ------------------------------------------------------------------------ */
typedef enum sp_pixel_format { SP_PIXEL_RGBA32 = 1, SP_PIXEL_YUV420P = 2 } sp_pixel_format;

typedef struct sp_video_frame {
    size_t struct_size;      /* bytes valid in this struct (set by the library) */
    int width, height;
    int format;              /* sp_pixel_format */
    const uint8_t *data[3];  /* planes (RGBA32 uses data[0]) */
    int linesize[3];
    int64_t pts_ms;          /* media position of this frame */
    int64_t frame_number;    /* index of the frame in the stream (0-based), -1 if unknown */
} sp_video_frame;

/**
 * Called on the video thread when a frame is due for display (A/V synced).
 * The frame is valid only during the call. [callback: may call callback-safe functions]
 */
typedef void (*sp_video_fn)(const sp_video_frame *frame, void *user);
/** Install the frame callback; format is SP_PIXEL_RGBA32 or SP_PIXEL_YUV420P. Call before sp_open. [any thread] */
SP_API int sp_set_video_callback(sp_player *p, sp_video_fn fn, int format, void *user);

/**
 * Host-driven audio (audio_output=callback): fill `buf` with up to `frames`
 * interleaved stereo S16 frames at the configured audio_rate. Returns the
 * number of frames written (silence is written when paused or starved, so the
 * return value is `frames` while media is open) or a negative code. Never
 * blocks: call it from the host's audio callback. The audio clock follows it.
 * [any thread][callback-safe]
 */
SP_API int sp_audio_read(sp_player *p, int16_t *buf, int frames);

/**
 * For video_output=sdl: run one iteration of the built-in window's event
 * pump and present the due frame; returns 1 while the window is open, 0 when
 * the user closed it. SDL requires this on the thread that created the player.
 * [creating thread only]
 */
SP_API int sp_sdl_pump(sp_player *p);

/* ------------------------------------------------------------------------ */
/* Control plane: sleep/wake signals and statistics                        */
/* ------------------------------------------------------------------------ */
typedef enum sp_control_state {
    SP_CONTROL_AWAKE = 0,
    SP_CONTROL_ASLEEP = 1,
    SP_CONTROL_WAKING = 2
} sp_control_state;

/**
 * Called on the control thread when the control plane goes to sleep
 * (awake == 0) or wakes (awake == 1, reason = sp_wake_reason). A host
 * releases its costly control resources (network connection, heartbeat) on
 * sleep and re-acquires them on wake. The wake is complete (gate open) when
 * this callback returns. [callback: may call callback-safe functions]
 */
typedef void (*sp_control_fn)(int awake, int reason, void *user);
SP_API int sp_set_control_callback(sp_player *p, sp_control_fn fn, void *user);

/** Control plane state and ms until the next scheduled wake (-1 if none or awake). [any thread][callback-safe] */
SP_API int sp_get_control_state(const sp_player *p, int *state, int64_t *wakes_in_ms);

typedef struct sp_stats {
    size_t struct_size;            /* set to sizeof(sp_stats) before calling */
    double awake_s, asleep_s;      /* this session */
    int64_t wakes_proactive;
    int64_t wakes_on_demand;       /* = interactions that arrived while asleep (misses) */
    int64_t misses;
    double wake_latency_p50_ms, wake_latency_p99_ms; /* call arrival to gate open */
    int64_t control_wakeups;       /* times the control thread returned from a wait */
    int64_t events_submitted, events_logged, events_dropped; /* dropped is always 0 unless the db failed */
    char policy[32];
    char model_version[64];        /* "" when no model */
    double model_log_loss;         /* held-out log loss of the model in use, or -1 */
} sp_stats;
/** Fill *st (st->struct_size must be set). [any thread][callback-safe] */
SP_API int sp_get_stats(const sp_player *p, sp_stats *st);

/** A predicted awake window of the current session, in media positions. */
typedef struct sp_window {
    int64_t start_ms, end_ms;
} sp_window;
/**
 * Up to `max` upcoming windows in which the control plane plans to be awake
 * (for drawing on a seek bar). *count receives the number written.
 * [any thread][callback-safe]
 */
SP_API int sp_get_predicted_windows(const sp_player *p, sp_window *out, int max, int *count);

#ifdef __cplusplus
}
#endif
#endif /* SMARTPLAYER_H */
