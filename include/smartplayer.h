/*
 * smartplayer.h — the whole public C API of libsmartplayer.
 *
 * libsmartplayer is a linkable video player (FFmpeg decode, SDL2 or host
 * rendering) that records every viewer interaction to SQLite, learns when the
 * viewer will next act, and lets its control plane sleep in between. The API
 * is modelled on SQLite's (opaque handles, result codes and messages, one
 * header, a stable ABI) and libmpv's client API (string options, commands,
 * properties, event callbacks, a render path for hosts that draw themselves).
 *
 * Read these sections once; each function's comment then says only what is
 * particular to it.
 *
 * RESULTS AND ERRORS
 *   Every function that can fail returns an int: SP_OK (0) or a negative
 *   SP_ERR_* code (enum sp_result). sp_strerror(code) names a code;
 *   sp_player_last_error(p) gives the message of the last failure on that
 *   handle (it names the file, the value or the state that was wrong). No C++
 *   exception ever crosses this boundary; running out of memory is
 *   SP_ERR_NO_MEMORY. A NULL handle or output pointer is
 *   SP_ERR_INVALID_ARGUMENT; a control call with no media open is
 *   SP_ERR_INVALID_STATE. Unless its comment says otherwise, a failed call
 *   changes nothing.
 *
 * VALUES
 *   Times and media positions are int64_t milliseconds. Strings are UTF-8 and
 *   NUL-terminated; strings passed in are copied before the call returns;
 *   strings handed out are owned by the library and valid for as long as the
 *   function that returns them says.
 *
 * THREADS
 *   Each function's comment carries one or more of these tags:
 *     [any thread]     may be called from any thread, also concurrently with
 *                      other calls on the same handle.
 *     [not concurrent] no other call on the same object may run or start
 *                      while it runs (sp_player_destroy, the sp_config_*
 *                      functions on one configuration).
 *     [callback-safe]  may also be called from inside any libsmartplayer
 *                      callback (event, video frame, control sleep/wake),
 *                      of this player or another: it neither waits for a
 *                      library thread nor for sp_open, so it cannot
 *                      deadlock. Of the functions without this tag, two
 *                      have a rule of their own there, since they wait for
 *                      library threads: sp_open may be called from an
 *                      event callback (open the next file at the end of
 *                      this one) and is refused with SP_ERR_INVALID_STATE
 *                      from a video or control callback; sp_player_destroy
 *                      from any callback returns at once and the player is
 *                      destroyed on a thread of its own (sp-destroy) once
 *                      the callback has returned. The rest must not be
 *                      called from a callback.
 *     [creating thread only] only on the thread that called
 *                      sp_player_create (SDL's rule for windows).
 *   Deferred work: a callback-safe call made from a callback does its work
 *   at once and returns as from any other thread (SP_OK when accepted, else
 *   an error and no change): sp_seek is under way when it returns and
 *   SP_EVENT_SEEK_DONE follows; after sp_pause the state is PAUSED. The one
 *   exception is sp_stop, which cannot close the media there (closing joins
 *   the engine's threads, sp-present among them). From a callback sp_stop
 *   does before it returns all that can be seen: picture and sound stop,
 *   the Stop is logged, the session ends, the state is SP_STATE_STOPPED and
 *   SP_EVENT_STATE_CHANGED ("stopped") is queued; at most a picture already
 *   being handed over when it is called still reaches the video callback.
 *   Closing the file and ending the engine's threads is deferred to the
 *   event dispatcher thread (sp-events), which does it after the event
 *   callbacks queued before it. No event reports that release and the host
 *   need not wait for it: sp_open and sp_player_destroy complete it first
 *   if it is still pending. A control call from a control callback that runs inside
 *   sp_open (the plane waking for the new session) finds the state
 *   SP_STATE_OPENING and is refused with SP_ERR_INVALID_STATE.
 *   Thread-local state: exactly one thing is kept per calling thread, the
 *   message of that thread's last failed sp_player_create (returned by
 *   sp_player_last_error(NULL), since there is no handle to hold it). All
 *   other state belongs to a handle.
 *
 *   The library runs its own threads, each named for its role (visible in
 *   top -H, perf and gdb): sp-demux, sp-vdec and sp-adec (decoders),
 *   sp-present (presentation), sp-events (event dispatcher), sp-control
 *   (the control plane) and sp-train (online retraining), and sp-destroy
 *   for a player destroyed from its callback. With audio_output=sdl, SDL's
 *   own audio thread pulls the decoded audio.
 *
 * CALLBACKS AND EVENTS
 *   The host registers plain function pointers with a `void *user` that is
 *   passed back unchanged. Each callback kind runs on one library thread:
 *     sp_event_fn    sp-events, the event dispatcher, one event at a time,
 *                    in the order the events were raised;
 *     sp_video_fn    sp-present, the presentation thread, when a frame is due;
 *     sp_control_fn  sp-control, the control thread, as the plane sleeps/wakes.
 *   None runs on the audio path. A callback should return quickly: a slow
 *   event callback delays later events (never playback or control calls); a
 *   slow video callback delays the next frame; a slow control callback delays
 *   the gate opening, which is the point of it (the host re-acquires its
 *   resources there). Pointers passed to a callback (sp_event, its message,
 *   sp_video_frame and its planes) are valid only during that call.
 *   Setting a callback to NULL stops further calls, but a call already under
 *   way on the library thread may still complete after the setter returns.
 *   sp_player_destroy returns only after the last callback has returned.
 *
 *   There is no event queue to poll: the host is called. A host that wants
 *   events on its own thread copies what it needs in the callback and
 *   signals that thread (a condition variable, a pipe, an atomic flag).
 *
 * THE GATE (what a control call promises)
 *   A control call (sp_play, sp_pause, sp_seek, ...) changes playback before
 *   it returns, then is handed to the control thread with a sequence number,
 *   written to the behaviour log in a batch, and reported with
 *   SP_EVENT_LOGGED. With a db it is first appended to a crash journal beside
 *   the database (one write into the page cache), so a call that returned
 *   SP_OK survives a kill of the process: the next open of that database
 *   writes it. It never waits for SQLite, the predictor or a sleeping
 *   control plane: a call that arrives while the plane sleeps is applied at
 *   once and wakes the plane (a "miss", counted in sp_stats). Only strict=1,
 *   the proof of concept's experiment, refuses calls while asleep.
 *
 * VERSIONS AND THE ABI
 *   SP_VERSION_NUMBER is the version of this header; sp_version_number() is
 *   the version of the library actually loaded. From 1.0.0 on, a program built
 *   against 1.x runs with any later 1.y: functions, enum values and option
 *   keys are only added, never removed or renumbered, and structs grow only as
 *   described next. docs/api.md states the whole promise.
 *
 * STRUCTS THAT GROW
 *   Every struct that crosses this API begins with `size_t struct_size`,
 *   except sp_window, which is frozen (it never grows). New fields are only
 *   ever appended.
 *   - Structs the host passes in or asks the library to fill (sp_media_meta,
 *     sp_media_info, sp_stats): set struct_size = sizeof(the struct) first
 *     (0 is refused with SP_ERR_INVALID_ARGUMENT). The library reads and
 *     writes only whole fields that lie within struct_size, so a program
 *     built against an older, smaller struct keeps working. Filled structs
 *     get struct_size set to the number of bytes the library wrote. A larger
 *     struct_size than the library knows (a newer header, an older library):
 *     in a struct the library reads (sp_media_meta) it is accepted when the
 *     unknown tail is zero-filled (as `= {0}` leaves it) and refused with
 *     SP_ERR_UNSUPPORTED when a field this library cannot honour is set; in
 *     a struct it fills (sp_media_info, sp_stats) the tail is only room for
 *     output: whatever it holds, the library writes the fields it knows,
 *     leaves the rest as it was, and says so through struct_size.
 *   - Structs the library hands to a callback (sp_event, sp_video_frame)
 *     carry the size the library allocated; read a field added after the
 *     version you require only when SP_HAS_FIELD(ptr, type, field) is true.
 */
/* Laid out by hand (C style, aligned tables in comments): clang-format would
 * reflow the tables, so it leaves this file alone. */
/* clang-format off */
#ifndef SMARTPLAYER_H
#define SMARTPLAYER_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && defined(SP_BUILDING_LIBRARY)
#define SP_API __declspec(dllexport)
#elif defined(_WIN32)
#define SP_API __declspec(dllimport)
#elif defined(SP_BUILDING_LIBRARY)
#define SP_API __attribute__((visibility("default")))
#else
#define SP_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================== */
/* Versions                                                                 */
/* ======================================================================== */

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

/* ======================================================================== */
/* Result codes                                                             */
/* ======================================================================== */
typedef enum sp_result {
    SP_OK = 0,
    SP_ERR_INVALID_ARGUMENT = -1, /* NULL handle/pointer, out-of-range value, unknown key or flag */
    SP_ERR_INVALID_STATE = -2,    /* call not allowed now (e.g. seek before open) */
    SP_ERR_NOT_FOUND = -3,        /* file does not exist / no such item */
    SP_ERR_IO = -4,               /* read error, permission denied */
    SP_ERR_FORMAT = -5,           /* not a media file, truncated, unsupported codec */
    SP_ERR_NO_VIDEO = -6,         /* media has no video stream, and audio_output=none: nothing to play */
    SP_ERR_NETWORK = -7,          /* URL did not answer / connection failed / timed out */
    SP_ERR_DB = -8,               /* other database error */
    SP_ERR_DB_LOCKED = -9,        /* database busy/locked by another writer (after retries) */
    SP_ERR_DB_CORRUPT = -10,      /* database file is corrupt or not a database */
    SP_ERR_DB_READONLY = -11,     /* database cannot be written */
    SP_ERR_NO_MEMORY = -12,       /* out of memory */
    SP_ERR_UNSUPPORTED = -13,     /* feature not available in this build, configuration or version */
    SP_ERR_AUDIO_DEVICE = -14,    /* audio output could not be opened */
    SP_ERR_VIDEO_DEVICE = -15,    /* window/renderer could not be created */
    SP_ERR_INTERNAL = -16         /* a bug: please report */
} sp_result;

/**
 * Static English name and description of a result code, e.g.
 * "SP_ERR_NOT_FOUND: not found"; "unknown result code" for values this
 * version does not know. Never NULL. [any thread][callback-safe]
 */
SP_API const char *sp_strerror(int code);

/* ======================================================================== */
/* Configuration: string key/value options, like mpv's                      */
/* ======================================================================== */
typedef struct sp_config sp_config;

/**
 * A new configuration holding the defaults; free it with sp_config_destroy.
 * Returns NULL only when out of memory. [any thread]
 */
SP_API sp_config *sp_config_create(void);
/** Free a configuration; NULL is a no-op. [not concurrent with other uses of cfg] */
SP_API void sp_config_destroy(sp_config *cfg);
/**
 * Set one option from its string form. Unknown keys, malformed or
 * out-of-range values and NULL arguments give SP_ERR_INVALID_ARGUMENT and
 * leave the configuration unchanged. The player copies the configuration
 * at sp_player_create; later changes do not reach an existing player.
 * [not concurrent with other uses of cfg]
 *
 *   key                values (default first)
 *   video_output       "sdl" | "callback" | "none"   built-in window, host callback, or no video output
 *   audio_output       "sdl" | "callback" | "none"   SDL audio device, host pulls with sp_audio_read, or none
 *   window_title       string ("smartplayer")        title of the built-in window
 *   window_width       int (0 = video size)          initial window size for video_output=sdl, [0, 16384]
 *   window_height      int (0 = video size)
 *   audio_rate         int (48000)                   output sample rate for audio_output=callback, [8000, 192000]
 *   rate_mode          "tempo" | "resample"          tempo: pitch-preserving (libavfilter atempo);
 *                                                    resample: plain (pitch follows speed)
 *   db                 path ("" = no logging)        behaviour log (SQLite, created if missing); a file
 *                                                    path: ":memory:" and "file:" URI names are refused
 *   db_busy_timeout_ms int (5000)                    how long to retry a locked database, [0, 3600000]
 *   log_batch_ms       int (200)                     max delay before queued events are committed, [0, 60000]
 *   policy             "auto" | "always-on" | "fixed-timeout" | "seed-genre" | "learned"
 *                                                    control-plane sleep policy ("auto": learned once
 *                                                    a usable model is in the db, fixed-timeout before)
 *   cost               "h,w,m" ("1,30,60")           cost model: awake second, wake, miss (plain decimals; h > 0, w, m >= 0)
 *   timeout_s          double (w/h)                  tau for fixed-timeout, (0, 1e9] seconds
 *   strict             "0" | "1"                     the seed's experiment: calls refused while asleep
 *   online_learning    "1" | "0"                     retrain from new sessions on idle time
 *   network_timeout_ms int (10000)                   open() timeout for URLs, [1, 3600000]
 *   log_level          "quiet" | "error" | "warning" | "info" | "verbose" | "debug"
 *                                                    FFmpeg's messages about this player's media at
 *                                                    this level or more severe, as SP_EVENT_LOG events
 *                                                    (quiet: none; never on stderr, see SP_EVENT_LOG)
 *   audio_release_ms   int (3000)                    audio_output=sdl: the device is paused as soon as
 *                                                    playback pauses (or ends) and closed after this
 *                                                    many ms of pause, so that SDL's audio thread stops
 *                                                    too; reopened on play, in sync. [0, 3600000]
 *   framedrop          "1" | "0"                     1: a video frame already late (the decoder or the
 *                                                    host's callback fell behind) is skipped to keep
 *                                                    A/V sync, as ffplay does; 0: every frame is
 *                                                    shown (or handed to the video callback), late
 *                                                    or not, in order
 *
 * On failure sp_config_last_error(cfg) says why.
 */
SP_API int sp_config_set(sp_config *cfg, const char *key, const char *value);
/**
 * Why the most recent sp_config_set on cfg failed, e.g. "bad value 'loud' for
 * 'log_level': expected quiet, error, warning, info, verbose or debug"; "" when
 * it succeeded or none was made yet; a static note when cfg is NULL. Never
 * NULL; valid until the next sp_config_set or sp_config_destroy on cfg.
 * [not concurrent with other uses of cfg]
 */
SP_API const char *sp_config_last_error(const sp_config *cfg);

/* ======================================================================== */
/* Player lifecycle                                                         */
/* ======================================================================== */
typedef struct sp_player sp_player;

/** Playback state (sp_get_state, SP_EVENT_STATE_CHANGED). */
typedef enum sp_state {
    SP_STATE_IDLE = 0,    /* nothing open (also after a failed sp_open) */
    SP_STATE_OPENING = 1, /* sp_open is probing the media */
    SP_STATE_PAUSED = 2,  /* media open, not playing (sp_open leaves it here) */
    SP_STATE_PLAYING = 3,
    SP_STATE_ENDED = 4,   /* reached the end of the file (still open; seek or play restarts) */
    SP_STATE_STOPPED = 5  /* sp_stop was called; sp_open again to play */
    /* Errors during playback do not change the state: they arrive as
     * SP_EVENT_ERROR and playback goes on where it can. */
} sp_state;

/** Static name of a state ("idle", "playing", ...; "unknown" otherwise). Never NULL. [any thread][callback-safe] */
SP_API const char *sp_state_name(int state);

/**
 * Create a player: its outputs (window, audio device), its behaviour log (if
 * the configuration names a db) and its control thread. cfg may be NULL
 * (defaults); it is copied, so it may be destroyed right after. On success
 * *out is the new handle; on failure *out is NULL, the code is returned (e.g.
 * SP_ERR_DB_CORRUPT for a corrupt db, SP_ERR_UNSUPPORTED for policy=learned
 * with no db or no usable model in it, or policy=seed-genre with no viewing
 * history to fit) and sp_player_last_error(NULL) on the same thread
 * says why. [any thread]
 */
SP_API int sp_player_create(const sp_config *cfg, sp_player **out);
/**
 * Stop playback, end the session (reason "abandoned", or "finished" at the
 * end of the file), write every accepted event to the behaviour log, join all
 * library threads and free the player. A database still locked after
 * db_busy_timeout_ms (at least 1 s) keeps the events out: they stay in the
 * crash journal and the next open of that database writes them
 * (SP_EVENT_ERROR says so). NULL is a no-op. No callback runs after it
 * returns. From inside a callback (of any player) it cannot wait for the
 * thread running that callback: it returns at once, the handle must not be
 * used again, and all of the above happens on a library thread (sp-destroy)
 * once the callback has returned; later callbacks of the player may still
 * run meanwhile. A host that exits the process right after must then allow
 * for that (as for any thread it did not join).
 * [not concurrent: no other call on this handle may run or start]
 */
SP_API void sp_player_destroy(sp_player *p);
/**
 * The message of the most recent failed call on this handle ("" if none).
 * The pointer stays valid until 16 more calls on the handle have failed, and
 * at most until sp_player_destroy; copy it if other threads use the handle.
 *
 * With p == NULL: the message of this calling thread's most recent failed
 * sp_player_create (thread-local: each thread sees its own), or a static note
 * that the handle is NULL when that thread has had none; valid until the same
 * thread's next sp_player_create. [any thread][callback-safe]
 */
SP_API const char *sp_player_last_error(const sp_player *p);

/* ======================================================================== */
/* Media                                                                    */
/* ======================================================================== */

/**
 * What the host tells the library about the media and the viewer, for the
 * behaviour log. Set struct_size = sizeof(sp_media_meta); every other field
 * may be NULL or "" (the default applies). Versioned: see STRUCTS THAT GROW.
 *
 * They are stored and exported as they are, so each must be well-formed
 * UTF-8 without control characters (U+0000..U+001F, U+007F) and at most the
 * bytes (not characters) below; sp_open refuses anything else with
 * SP_ERR_INVALID_ARGUMENT and a message naming the field and the byte, and
 * leaves the media already open as it was. Defaults taken from a url that
 * is not clean UTF-8 are stored with '%', control characters and invalid
 * bytes written as %XX.
 */
typedef struct sp_media_meta {
    size_t struct_size;
    const char *video_id;  /* stable id for the behaviour log, <= 1024 bytes (default: the url) */
    const char *title;     /* <= 1024 bytes (default: the file name) */
    const char *genre;     /* <= 64 bytes (default: "unknown") */
    const char *viewer_id; /* <= 256 bytes (default: "anonymous") */
} sp_media_meta;

/**
 * Open a local file or URL and begin a viewing session: the state goes
 * OPENING, then PAUSED at position 0 (call sp_play). Blocks until the media
 * is probed and the session is in the log, not for the first picture: that
 * is decoded meanwhile and shown while paused as soon as it is ready (handed
 * to the video callback, or drawn by sp_sdl_pump), usually just after
 * sp_open returns.
 * Audio-only media (music, podcasts; an mp3 whose cover art is an attached
 * picture) plays as in mpv and ffplay: the sound is the clock, no video
 * frames come, sp_media_info's width and height are 0 and sp_step only
 * pauses. With audio_output=none such media is refused (SP_ERR_NO_VIDEO).
 * Closes any media already open first (its session ends with reason
 * "replaced", or "finished" if it had ended). meta may be NULL.
 * Errors: SP_ERR_INVALID_ARGUMENT (url NULL or empty, bad meta), SP_ERR_NOT_FOUND,
 * SP_ERR_FORMAT, SP_ERR_NO_VIDEO, SP_ERR_NETWORK, SP_ERR_IO, SP_ERR_DB* (the
 * session could not be logged). Arguments are checked first: a NULL or
 * empty url or a meta refused (its struct_size, a field too long or not
 * clean UTF-8, an unknown tail: SP_ERR_INVALID_ARGUMENT / SP_ERR_UNSUPPORTED)
 * leaves the media already open as it was. Any later failure leaves nothing
 * open (media open before was closed first) and the state IDLE.
 * A named pipe (FIFO) blocks it until a writer opens the pipe, as in ffplay.
 * From an event callback it may be called (open the next file on
 * SP_EVENT_END_OF_FILE); from a video or control callback it would wait for
 * the thread running it and is refused with SP_ERR_INVALID_STATE.
 * [any thread; from an event callback, not from a video or control callback]
 */
SP_API int sp_open(sp_player *p, const char *url, const sp_media_meta *meta);

/** Facts about the media open (sp_get_media_info). Versioned: see STRUCTS THAT GROW. */
typedef struct sp_media_info {
    size_t struct_size;
    int width, height; /* video size in pixels (0 for audio-only media) */
    double fps;        /* nominal frame rate (0 if unknown) */
    int has_audio;     /* 1 if the media has an audio stream that is played */
    int audio_sample_rate, audio_channels;
    int64_t duration_ms;
    char video_codec[32]; /* FFmpeg codec names, e.g. "h264", "aac" ("" if none) */
    char audio_codec[32];
    char container[32];   /* FFmpeg demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" (may be truncated) */
    /* Degrees the picture is to be turned clockwise for display
       (its display matrix, as phones record portrait video): 0, 90, 180 or
       270. width and height are as stored, before turning. video_output=sdl
       shows it turned; video callback frames come as stored, for the host to
       turn. A library older than this field leaves it out (struct_size says
       so: SP_HAS_FIELD(&info, sp_media_info, rotation)). */
    int rotation;
} sp_media_info;
/**
 * Fill *info (set info->struct_size first) for the media open.
 * SP_ERR_INVALID_STATE with nothing open. [any thread][callback-safe]
 */
SP_API int sp_get_media_info(const sp_player *p, sp_media_info *info);

/* ======================================================================== */
/* Control calls                                                            */
/* ======================================================================== */
/*
 * Each is applied to playback before it returns, then logged by the control
 * thread with a sequence number (see THE GATE). Each needs media open (state
 * PAUSED, PLAYING or ENDED), else SP_ERR_INVALID_STATE; with strict=1 each is
 * refused with SP_ERR_INVALID_STATE while the control plane is asleep.
 */

/** Start or resume playback; at the end of the file it restarts from 0. [any thread][callback-safe] */
SP_API int sp_play(sp_player *p);
/** Pause (the picture stays). [any thread][callback-safe] */
SP_API int sp_pause(sp_player *p);
/** sp_pause when playing, else sp_play (logged as whichever it was). [any thread][callback-safe] */
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
/**
 * Seek to target_ms (a position, or an offset with SP_SEEK_RELATIVE);
 * targets outside [0, duration] are clamped. Playing or paused is kept; after
 * the end the state becomes PAUSED at the target. SP_EVENT_SEEK_DONE follows
 * when the frame at the target is shown, and always comes: a stream that
 * cannot seek (live, a pipe, an HTTP server without range requests) gives
 * an SP_EVENT_ERROR (SP_ERR_UNSUPPORTED or SP_ERR_IO) and then SEEK_DONE at
 * the position where playback goes on; a seek after which the stream ends
 * without a picture gives SEEK_DONE where it ended. [any thread][callback-safe]
 */
SP_API int sp_seek(sp_player *p, int64_t target_ms, int flags);
/** Pause (if playing) and show the next frame (audio-only media: only pause). [any thread][callback-safe] */
SP_API int sp_step(sp_player *p);
/** Playback rate in [0.5, 2.0] (1 = normal); else SP_ERR_INVALID_ARGUMENT. [any thread][callback-safe] */
SP_API int sp_set_rate(sp_player *p, double rate);
/** Volume in [0, 100] (100 = unchanged level); else SP_ERR_INVALID_ARGUMENT. [any thread][callback-safe] */
SP_API int sp_set_volume(sp_player *p, int volume);
/** Mute (non-zero) or unmute (0); the volume is kept. [any thread][callback-safe] */
SP_API int sp_set_mute(sp_player *p, int mute);
/**
 * Stop playback, close the file and end the session (reason "stopped"); the
 * state becomes STOPPED and the position stays readable. From a host thread
 * it returns once the file is closed and the engine's threads are joined;
 * from a callback it returns at once with all of that in effect but the
 * closing, which sp-events finishes (see THREADS, Deferred work).
 * While another thread's sp_open is still probing the media (a slow or
 * silent server), sp_stop cancels it rather than wait for
 * network_timeout_ms: that sp_open returns SP_ERR_INVALID_STATE
 * ("cancelled by sp_stop"), nothing is open, the state is IDLE, and sp_stop
 * returns SP_OK.
 * [any thread][callback-safe]
 */
SP_API int sp_stop(sp_player *p);
/**
 * Record that the viewer skipped to another item (+1 next, -1 previous in a
 * playlist) before the host opens it: logged as a "skip" event; playback is
 * unchanged. Other directions are SP_ERR_INVALID_ARGUMENT. [any thread][callback-safe]
 */
SP_API int sp_skip(sp_player *p, int direction);

/* ======================================================================== */
/* Properties                                                               */
/* ======================================================================== */
/* Each writes its value through the pointer and returns SP_OK, or
 * SP_ERR_INVALID_ARGUMENT for a NULL handle or pointer. */

/** Playback state (sp_state). [any thread][callback-safe] */
SP_API int sp_get_state(const sp_player *p, int *state);
/** Media position of the picture shown (during a seek: the target; once a video shorter than its audio has
 * ended: the sound's); after sp_stop, where it stopped. [any thread][callback-safe] */
SP_API int sp_get_position_ms(const sp_player *p, int64_t *pos_ms);
/** Duration of the media open (0 with nothing open or when unknown). [any thread][callback-safe] */
SP_API int sp_get_duration_ms(const sp_player *p, int64_t *dur_ms);
/** How far ahead of the position media is decoded and queued (0 with nothing open). [any thread][callback-safe] */
SP_API int sp_get_buffered_ms(const sp_player *p, int64_t *buffered_ms);
/** Playback rate (kept across sp_open). [any thread][callback-safe] */
SP_API int sp_get_rate(const sp_player *p, double *rate);
/** Volume in [0, 100] (kept across sp_open). [any thread][callback-safe] */
SP_API int sp_get_volume(const sp_player *p, int *volume);
/** 1 when muted, else 0. [any thread][callback-safe] */
SP_API int sp_get_mute(const sp_player *p, int *mute);
/** Behaviour-log id of the current viewing session: from sp_open until sp_stop, the next sp_open or
 *  destroy (0 without a db, before the first open, after sp_stop and after a failed open). [any thread][callback-safe] */
SP_API int sp_get_session_id(const sp_player *p, int64_t *session_id);

/* ======================================================================== */
/* Events                                                                   */
/* ======================================================================== */
typedef enum sp_event_type {
    SP_EVENT_STATE_CHANGED = 1, /* value = the new sp_state; message = its name */
    SP_EVENT_END_OF_FILE = 2,   /* position_ms = where playback ended */
    SP_EVENT_ERROR = 3,         /* code + message; value = events affected (log errors) or 0;
                                   playback goes on where it can (a file cut short:
                                   SP_ERR_FORMAT at its end, then SP_EVENT_END_OF_FILE) */
    SP_EVENT_SEEK_DONE = 4,     /* position_ms = where playback resumed */
    SP_EVENT_LOGGED = 5,        /* an interaction was committed to the log: seq = its number,
                                   value = its sp_kind, message = the kind's name */
    SP_EVENT_CONTROL_SLEEP = 6, /* control plane went to sleep; value = ms until the scheduled wake, -1 none */
    SP_EVENT_CONTROL_WAKE = 7,  /* control plane woke; value = sp_wake_reason */
    SP_EVENT_PROGRESS = 8,      /* once a second while the control plane is awake and playing; value = position_ms */
    SP_EVENT_MODEL_UPDATED = 9, /* online retraining swapped in a new model; message names its version */
    SP_EVENT_LOG = 10,          /* a line of FFmpeg's log about this player's media, at or above the
                                   log_level option (none by default): value = its sp_log_level,
                                   message = the line without a newline, the FFmpeg component first
                                   ("[mov,mp4,m4a,3gp,3g2,mj2] moov atom not found"); position_ms = 0 */
    SP_EVENT_BUFFERING = 11     /* value = 1: playing, the input ran dry (a network slower than the
                                   media): the picture and the sound wait, the position stands, the
                                   state stays PLAYING; value = 0: a second is read ahead (or the end,
                                   a pause, a seek came), playback goes on. mpv's paused-for-cache.
                                   (A library older than this never sends it.) */
} sp_event_type;

/**
 * Severity of an SP_EVENT_LOG line; the log_level option names them.
 *
 * FFmpeg's log is one per process (av_log_set_callback). The first player
 * created installs the library's callback, which stays installed: a message
 * goes to the player whose media it is about (whichever thread wrote it),
 * and is dropped unless that player's log_level asks for it, so the
 * library writes nothing to stderr. Messages that belong to no player (a
 * host's own use of FFmpeg) go to FFmpeg's default handler (stderr), at the
 * level the host had set with av_log_set_level before the first player. A
 * host that calls av_log_set_callback itself afterwards receives every
 * message, the players' included, and SP_EVENT_LOG stops.
 */
typedef enum sp_log_level {
    SP_LOG_ERROR = 1,   /* also FFmpeg's fatal and panic */
    SP_LOG_WARNING = 2,
    SP_LOG_INFO = 3,
    SP_LOG_VERBOSE = 4,
    SP_LOG_DEBUG = 5    /* also FFmpeg's trace */
} sp_log_level;

/** Interaction kinds as stored in the behaviour log (values are stored: never renumbered). */
typedef enum sp_kind {
    SP_KIND_OPEN = 0,
    SP_KIND_PLAY = 1,
    SP_KIND_PAUSE = 2,
    SP_KIND_SEEK = 3,
    SP_KIND_SKIP = 4,
    SP_KIND_VOLUME = 5,
    SP_KIND_MUTE = 6,
    SP_KIND_RATE = 7,
    SP_KIND_STOP = 8,
    SP_KIND_STEP = 9,
    SP_KIND_END = 10 /* end of file reached (not a viewer action) */
} sp_kind;

/** Why the control plane woke (SP_EVENT_CONTROL_WAKE's value, sp_control_fn's reason). */
typedef enum sp_wake_reason {
    SP_WAKE_PROACTIVE = 1, /* scheduled: before a predicted interaction, or a session began */
    SP_WAKE_ON_DEMAND = 2  /* an event arrived while it slept: a control call (a miss) or the end of the file */
} sp_wake_reason;

/** One event, handed to sp_event_fn. Versioned: see STRUCTS THAT GROW. */
typedef struct sp_event {
    size_t struct_size;  /* bytes valid in this struct (set by the library) */
    int type;            /* sp_event_type */
    int code;            /* result code for SP_EVENT_ERROR, else SP_OK */
    int64_t value;       /* type-specific, see sp_event_type */
    int64_t position_ms; /* media position when the event was raised */
    int64_t seq;         /* interaction sequence number (SP_EVENT_LOGGED), else 0 */
    const char *message; /* never NULL; valid during the callback only */
} sp_event;

/**
 * Event callback: runs on the library's event dispatcher thread, one event at
 * a time in the order raised. `ev` is valid only during the call.
 */
typedef void (*sp_event_fn)(const sp_event *ev, void *user);
/**
 * Set (fn) or clear (NULL) the event callback; events raised while none is
 * set are not kept. [any thread][callback-safe]
 */
SP_API int sp_set_event_callback(sp_player *p, sp_event_fn fn, void *user);

/* ======================================================================== */
/* Host rendering (video_output=callback / audio_output=callback)           */
/* ======================================================================== */
typedef enum sp_pixel_format {
    SP_PIXEL_RGBA32 = 1, /* one plane, 4 bytes per pixel: R, G, B, A */
    SP_PIXEL_YUV420P = 2 /* three planes Y, U, V; U and V at half width and height */
} sp_pixel_format;

/** How a YUV420P frame's values map to colour (sp_video_frame.color_matrix). */
typedef enum sp_color_matrix {
    SP_COLOR_RGB = 0,    /* the frame is RGBA32: nothing to convert */
    SP_COLOR_BT601 = 1,  /* ITU-R BT.601 (SD video; also BT.470BG, SMPTE 170M) */
    SP_COLOR_BT709 = 2,  /* ITU-R BT.709 (HD video) */
    SP_COLOR_BT2020 = 3, /* ITU-R BT.2020 non-constant luminance (UHD) */
    SP_COLOR_OTHER = 4   /* another matrix (FCC, SMPTE 240M, YCgCo, ...): BT.601 is the nearest guess */
} sp_color_matrix;

/** A decoded picture, handed to sp_video_fn. Versioned: see STRUCTS THAT GROW. */
typedef struct sp_video_frame {
    size_t struct_size;     /* bytes valid in this struct (set by the library) */
    int width, height;
    int format;             /* sp_pixel_format */
    const uint8_t *data[3]; /* planes (RGBA32 uses data[0]) */
    int linesize[3];        /* bytes per row of each plane */
    int64_t pts_ms;         /* media position of this frame */
    int64_t frame_number;   /* pts_ms x the stream's frame rate, rounded: for constant-rate
                               video the frame's index (0-based) counted from the start of
                               the file's timeline; -1 if the rate is unknown */
    /* How to turn YUV420P into RGB, as the library itself does for RGBA32
       and its window (an untagged picture is BT.709 when HD, >= 1280 wide
       or > 576 high, else BT.601). A library older than these fields
       leaves them out: SP_HAS_FIELD(frame, sp_video_frame, color_matrix). */
    int color_matrix;       /* sp_color_matrix */
    int full_range;         /* YUV420P: 1 = values use 0..255 ("JPEG"), 0 = 16..235 (video) */
} sp_video_frame;

/**
 * Frame callback: runs on the presentation thread when a frame is due for
 * display (A/V synced). `frame` and its planes are valid only during the call.
 */
typedef void (*sp_video_fn)(const sp_video_frame *frame, void *user);
/**
 * Install (fn) or clear (NULL) the frame callback; format is SP_PIXEL_RGBA32
 * or SP_PIXEL_YUV420P (else SP_ERR_INVALID_ARGUMENT; ignored when clearing). Needs
 * video_output=callback (else SP_ERR_INVALID_STATE). The format applies from
 * the next sp_open: call it before. [any thread]
 */
SP_API int sp_set_video_callback(sp_player *p, sp_video_fn fn, int format, void *user);

/**
 * Host-driven audio (audio_output=callback, else SP_ERR_INVALID_STATE): fill
 * `buf` with `frames` interleaved stereo S16 frames at the configured
 * audio_rate and return `frames`; silence is written while paused, starved or
 * with nothing open. NULL buf or frames < 0 is SP_ERR_INVALID_ARGUMENT. Never
 * blocks: call it from the host's audio callback. The audio clock follows
 * what the host pulls: each call sets it to the samples it hands out, and
 * between calls it is extrapolated (as ffplay's is), so a host that stops
 * pulling does not stop the picture, which goes on without sound; pause the
 * player to stop it. [any thread][callback-safe]
 */
SP_API int sp_audio_read(sp_player *p, int16_t *buf, int frames);

/**
 * For video_output=sdl: run one iteration of the built-in window's event
 * pump and present the frame that is due. Returns 1 while the window is open,
 * 0 once the user has closed it, or SP_ERR_INVALID_STATE without a built-in
 * window or on another thread than the creating one.
 * [creating thread only]
 */
SP_API int sp_sdl_pump(sp_player *p);
/**
 * For video_output=sdl: sleep until sp_sdl_pump has work (the next frame is
 * due; a window or input event arrived; playback changed: play, pause, seek,
 * step, rate, a new picture; or sp_sdl_wakeup was called) or until timeout_ms
 * has passed (-1: no timeout, 0: only look). There are no periodic wake-ups:
 * while paused it sleeps until something happens. Events stay queued for
 * sp_sdl_pump. Returns 1 when there is work (call sp_sdl_pump), 0 on timeout,
 * SP_ERR_INVALID_STATE without video_output=sdl or off the creating thread,
 * SP_ERR_INVALID_ARGUMENT for timeout_ms < -1. A host loop:
 *
 *     while (!done && sp_sdl_pump(p)) sp_sdl_wait(p, -1);
 *
 * [creating thread only]
 */
SP_API int sp_sdl_wait(sp_player *p, int timeout_ms);
/**
 * Make sp_sdl_wait return now (or at once when it is next called): for other
 * threads and callbacks that have work for the window's thread, e.g. an event
 * callback that saw SP_EVENT_END_OF_FILE. Never blocks. Returns SP_OK, or
 * SP_ERR_INVALID_STATE without video_output=sdl. [any thread][callback-safe]
 */
SP_API int sp_sdl_wakeup(sp_player *p);

/* ======================================================================== */
/* Control plane: sleep/wake signals and statistics                         */
/* ======================================================================== */
typedef enum sp_control_state {
    SP_CONTROL_AWAKE = 0,  /* serving the gate: host resources held, progress ticks */
    SP_CONTROL_ASLEEP = 1, /* blocked until the scheduled wake or the next call */
    SP_CONTROL_WAKING = 2  /* waking (a call arrived while asleep, or the scheduled wake came): the host's
                              wake callback runs; the gate opens once it returns */
} sp_control_state;

/**
 * Control sleep/wake callback: runs on the control thread as the control
 * plane goes to sleep (awake == 0, reason == 0) or wakes (awake == 1, reason
 * = sp_wake_reason). A host releases its costly control resources (network
 * connection, heartbeat) on sleep and re-acquires them on wake; the wake is
 * complete (gate open) when this callback returns.
 */
typedef void (*sp_control_fn)(int awake, int reason, void *user);
/** Set (fn) or clear (NULL) the sleep/wake callback. [any thread][callback-safe] */
SP_API int sp_set_control_callback(sp_player *p, sp_control_fn fn, void *user);

/**
 * The control plane's state (sp_control_state) and, when it is asleep with a
 * wake scheduled, the ms until that wake (-1 otherwise). wakes_in_ms may be
 * NULL. [any thread][callback-safe]
 */
SP_API int sp_get_control_state(const sp_player *p, int *state, int64_t *wakes_in_ms);

/**
 * Control-plane statistics of the current (or last) session, and the
 * playback counters of its media; the counters
 * restart when a session begins, except events_submitted, events_logged and
 * events_dropped, which count over the player's life (a session's last
 * events may be committed after the next session began). Versioned: see
 * STRUCTS THAT GROW.
 */
typedef struct sp_stats {
    size_t struct_size;       /* set to sizeof(sp_stats) before calling */
    double awake_s, asleep_s; /* time the control plane spent awake / asleep in this session */
    /* Proactive wakes: scheduled wakes ahead of a predicted interaction (the
     * wake as a session begins is not counted). */
    int64_t wakes_proactive;
    /* On-demand wakes: times an event arriving while the plane slept woke it.
     * Calls arriving while it is already waking share that one wake, and the
     * end of the file wakes it too; so this is neither the number of misses
     * nor bounded by it. Never counted with strict=1 for refused calls. */
    int64_t wakes_on_demand;
    /* Misses: viewer actions (control calls; not the open or the end of file)
     * that arrived while the plane was asleep or waking. By default each is
     * applied and logged and only its gate opening was late; with strict=1 a
     * miss is a call refused with SP_ERR_INVALID_STATE and not logged. */
    int64_t misses;
    double wake_latency_p50_ms, wake_latency_p99_ms; /* on-demand wakes: call arrival to gate open */
    int64_t control_wakeups; /* times the control thread returned from a wait (does not grow while it sleeps) */
    int64_t events_submitted; /* interactions accepted (open, control calls, end of file) */
    int64_t events_logged;    /* of those, committed to the behaviour log (0 without a db) */
    int64_t events_dropped;   /* not written and never will be (the session already held the seq, or
                                 the db refused them at destroy and the crash journal did not hold
                                 them); each reported with SP_EVENT_ERROR. Events left in the
                                 journal for the next open are not counted. */
    char policy[32];          /* the policy in force, e.g. "fixed-timeout" */
    char model_version[64];   /* the predictor model in use; "" when none */
    double model_log_loss;    /* that model's log loss on held-out sessions (in-sample when it was trained
                                 on too few to hold any out: smartplayer-train says which), or -1 */
    /* Playback of the media open now (or closed last), counted from its
       sp_open (libVLC's displayed and lost pictures, mpv's frame-drop-count).
       A library older than these fields leaves them out (struct_size says
       so: SP_HAS_FIELD(&st, sp_stats, frames_dropped)). */
    int64_t frames_displayed; /* pictures shown: drawn by video_output=sdl or handed to the video callback */
    int64_t frames_dropped;   /* pictures skipped because they were late (framedrop=1), in the decoder or at display */
} sp_stats;
/** Fill *st (set st->struct_size first). [any thread][callback-safe] */
SP_API int sp_get_stats(const sp_player *p, sp_stats *st);

/**
 * A predicted awake window of the current session, in media positions.
 * Frozen: this struct never grows (arrays of it are passed in).
 */
typedef struct sp_window {
    int64_t start_ms, end_ms;
} sp_window;
/**
 * Write up to `max` upcoming windows in which the control plane plans to be
 * awake (for drawing on a seek bar) to out[] and their number to *count
 * (0 with no session; always-on: one window, to the end). out may be NULL when max is 0;
 * max < 0 is SP_ERR_INVALID_ARGUMENT. [any thread][callback-safe]
 */
SP_API int sp_get_predicted_windows(const sp_player *p, sp_window *out, int max, int *count);

#ifdef __cplusplus
}
#endif
#endif /* SMARTPLAYER_H */
/* clang-format on */
