/*
 * basic_play.c — the smallest complete use of libsmartplayer from C.
 *
 *   example_basic_play FILE [DB] [SECONDS]
 *
 * Plays FILE in the built-in SDL window (SDL_VIDEODRIVER=dummy works headless),
 * records the session to the behaviour log DB (default: basic_play.db), pauses,
 * seeks and changes the rate once to show the control calls, prints every event,
 * and stops after SECONDS (default 5) or at the end of the file.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smartplayer.h"

/* Set on the library's event thread, read on the main thread: a C11 atomic
 * (volatile would not make the hand-over between threads defined). */
static atomic_int g_ended;

static void on_event(const sp_event *ev, void *user) {
    sp_player *p = (sp_player *)user;
    switch (ev->type) {
    case SP_EVENT_STATE_CHANGED:
        printf("[event] state -> %s\n", sp_state_name((int)ev->value));
        break;
    case SP_EVENT_END_OF_FILE:
        printf("[event] end of file at %lld ms\n", (long long)ev->position_ms);
        atomic_store(&g_ended, 1);
        sp_sdl_wakeup(p); /* the main thread may be asleep in sp_sdl_wait */
        break;
    case SP_EVENT_LOGGED:
        printf("[event] logged #%lld %s at %lld ms\n", (long long)ev->seq, ev->message, (long long)ev->position_ms);
        break;
    case SP_EVENT_ERROR:
        printf("[event] error %s: %s\n", sp_strerror(ev->code), ev->message);
        break;
    case SP_EVENT_CONTROL_SLEEP:
        printf("[event] control plane asleep (wakes in %lld ms)\n", (long long)ev->value);
        break;
    case SP_EVENT_CONTROL_WAKE:
        printf("[event] control plane awake (%s)\n", ev->value == SP_WAKE_PROACTIVE ? "proactive" : "on demand");
        break;
    default:
        break;
    }
    fflush(stdout);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int check(sp_player *p, int rc, const char *what) {
    if (rc != SP_OK) fprintf(stderr, "%s failed: %s (%s)\n", what, sp_strerror(rc), sp_player_last_error(p));
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [DB] [SECONDS]\n", argv[0]);
        return 2;
    }
    const char *db = argc > 2 ? argv[2] : "basic_play.db";
    double seconds = argc > 3 ? atof(argv[3]) : 5.0;

    sp_config *cfg = sp_config_create();
    if (!cfg) return 1;
    sp_config_set(cfg, "video_output", "sdl");
    sp_config_set(cfg, "audio_output", "sdl");
    sp_config_set(cfg, "db", db);
    sp_config_set(cfg, "window_title", "basic_play");

    sp_player *p = NULL;
    int rc = sp_player_create(cfg, &p);
    sp_config_destroy(cfg);
    if (rc != SP_OK) {
        fprintf(stderr, "sp_player_create: %s: %s\n", sp_strerror(rc), sp_player_last_error(NULL));
        return 1;
    }
    sp_set_event_callback(p, on_event, p);

    sp_media_meta meta = {.struct_size = sizeof meta}; /* every versioned struct starts with its size */
    meta.genre = "example";
    meta.viewer_id = "basic_play";
    if (check(p, sp_open(p, argv[1], &meta), "sp_open") != SP_OK) {
        sp_player_destroy(p);
        return 1;
    }
    sp_media_info info = {.struct_size = sizeof info};
    if (sp_get_media_info(p, &info) == SP_OK)
        printf("opened %s: %dx%d %.2f fps, %lld ms, %s%s%s\n", argv[1], info.width, info.height, info.fps,
               (long long)info.duration_ms, info.video_codec, info.has_audio ? " + " : "",
               info.has_audio ? info.audio_codec : "");
    check(p, sp_play(p), "sp_play");

    /* The host thread sleeps in sp_sdl_wait between its jobs: it wakes when a
     * frame is due, when playback changes, when the end-of-file callback calls
     * sp_sdl_wakeup, or at the time of its own next scripted call. */
    double t0 = now_s();
    const double at[4] = {1.0, 1.5, 2.0, 2.5}; /* pause, play, seek +1 s, rate 1.5 */
    int next_call = 0;
    for (;;) {
        if (!sp_sdl_pump(p)) break; /* window closed */
        double t = now_s() - t0;
        if (atomic_load(&g_ended) || t >= seconds) break;
        for (; next_call < 4 && t >= at[next_call]; ++next_call) {
            switch (next_call) {
            case 0: check(p, sp_pause(p), "sp_pause"); break;
            case 1: check(p, sp_play(p), "sp_play"); break;
            case 2: check(p, sp_seek(p, 1000, SP_SEEK_RELATIVE), "sp_seek"); break;
            default: check(p, sp_set_rate(p, 1.5), "sp_set_rate"); break;
            }
        }
        double until = next_call < 4 && at[next_call] < seconds ? at[next_call] : seconds;
        sp_sdl_wait(p, (int)((until - t) * 1000.0) + 1);
    }
    int64_t pos = 0, sid = 0;
    sp_get_position_ms(p, &pos);
    sp_get_session_id(p, &sid);
    sp_stats st = {.struct_size = sizeof st};
    sp_get_stats(p, &st);
    printf("stopped at %lld ms; session %lld; events submitted %lld; policy %s\n", (long long)pos, (long long)sid,
           (long long)st.events_submitted, st.policy);
    sp_player_destroy(p); /* flushes the behaviour log */
    return 0;
}
