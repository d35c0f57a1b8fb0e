/*
 * host_render.c — a host that renders frames and plays audio itself, like
 * libmpv's render API: the library decodes and keeps A/V sync, the host gets
 * RGBA frames through a callback and pulls audio with sp_audio_read.
 *
 *   example_host_render FILE [OUT.ppm] [SECONDS]
 *
 * Renders "to the screen" by keeping the latest frame in its own buffer,
 * writes the frame shown at ~1 s to OUT.ppm (default host_render.ppm), drives
 * the audio clock from its own audio thread, and prints what it rendered.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smartplayer.h"

typedef struct host {
    pthread_mutex_t mu;
    pthread_cond_t done; /* signalled at the end of the file */
    unsigned char *pixels; /* RGBA, tightly packed */
    int width, height;
    int64_t frames, last_pts;
    int snapshot_taken;
    const char *snapshot_path;
    atomic_int ended; /* set on the event thread, read on the main thread */
    atomic_int quit;  /* set on the main thread, read on the audio thread */
    sp_player *player;
    int64_t audio_frames, audio_nonzero;
} host;

static void write_ppm(const char *path, const unsigned char *rgba, int w, int h) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fprintf(f, "P6\n%d %d\n255\n", w, h);
    for (int i = 0; i < w * h; ++i) fwrite(rgba + 4 * i, 1, 3, f);
    fclose(f);
}

static void on_frame(const sp_video_frame *fr, void *user) {
    host *h = (host *)user;
    pthread_mutex_lock(&h->mu);
    if (fr->width != h->width || fr->height != h->height) {
        free(h->pixels);
        h->pixels = (unsigned char *)malloc((size_t)fr->width * (size_t)fr->height * 4);
        h->width = fr->width;
        h->height = fr->height;
    }
    if (h->pixels) {
        for (int y = 0; y < fr->height; ++y)
            memcpy(h->pixels + (size_t)y * (size_t)fr->width * 4, fr->data[0] + (size_t)y * (size_t)fr->linesize[0],
                   (size_t)fr->width * 4);
        if (!h->snapshot_taken && fr->pts_ms >= 1000) {
            write_ppm(h->snapshot_path, h->pixels, h->width, h->height);
            h->snapshot_taken = 1;
        }
    }
    h->frames++;
    h->last_pts = fr->pts_ms;
    pthread_mutex_unlock(&h->mu);
}

static void on_event(const sp_event *ev, void *user) {
    host *h = (host *)user;
    if (ev->type == SP_EVENT_END_OF_FILE) {
        pthread_mutex_lock(&h->mu);
        atomic_store(&h->ended, 1);
        pthread_cond_signal(&h->done);
        pthread_mutex_unlock(&h->mu);
    }
    if (ev->type == SP_EVENT_ERROR) fprintf(stderr, "error: %s\n", ev->message);
}

/* The host's "audio device": 10 ms every 10 ms. */
static void *audio_thread(void *arg) {
    host *h = (host *)arg;
    int16_t buf[480 * 2];
    struct timespec ts = {0, 10 * 1000 * 1000};
    while (!atomic_load(&h->quit)) {
        int n = sp_audio_read(h->player, buf, 480);
        if (n > 0) {
            h->audio_frames += n;
            for (int i = 0; i < 2 * n; ++i)
                if (buf[i] != 0) { h->audio_nonzero++; break; }
        }
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [OUT.ppm] [SECONDS]\n", argv[0]);
        return 2;
    }
    host h;
    memset(&h, 0, sizeof h);
    pthread_mutex_init(&h.mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h.done, &ca);
    pthread_condattr_destroy(&ca);
    h.snapshot_path = argc > 2 ? argv[2] : "host_render.ppm";
    double seconds = argc > 3 ? atof(argv[3]) : 3.0;

    sp_config *cfg = sp_config_create();
    sp_config_set(cfg, "video_output", "callback");
    sp_config_set(cfg, "audio_output", "callback");
    sp_config_set(cfg, "audio_rate", "48000");
    int rc = sp_player_create(cfg, &h.player);
    sp_config_destroy(cfg);
    if (rc != SP_OK) {
        fprintf(stderr, "sp_player_create: %s: %s\n", sp_strerror(rc), sp_player_last_error(NULL));
        return 1;
    }
    sp_set_video_callback(h.player, on_frame, SP_PIXEL_RGBA32, &h);
    sp_set_event_callback(h.player, on_event, &h);
    rc = sp_open(h.player, argv[1], NULL);
    if (rc != SP_OK) {
        fprintf(stderr, "sp_open: %s: %s\n", sp_strerror(rc), sp_player_last_error(h.player));
        sp_player_destroy(h.player);
        return 1;
    }
    pthread_t at;
    pthread_create(&at, NULL, audio_thread, &h);
    sp_play(h.player);
    /* Sleep until the end of the file or the time is up (no polling). */
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)seconds;
    until.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec += 1;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&h.mu);
    while (!atomic_load(&h.ended) && pthread_cond_timedwait(&h.done, &h.mu, &until) == 0) {
    }
    pthread_mutex_unlock(&h.mu);
    atomic_store(&h.quit, 1);
    pthread_join(at, NULL);
    sp_player_destroy(h.player);

    printf("rendered %lld frames (%dx%d), last at %lld ms; audio %lld frames pulled, %lld non-silent blocks; "
           "snapshot %s\n",
           (long long)h.frames, h.width, h.height, (long long)h.last_pts, (long long)h.audio_frames,
           (long long)h.audio_nonzero, h.snapshot_taken ? h.snapshot_path : "(none)");
    free(h.pixels);
    pthread_cond_destroy(&h.done);
    pthread_mutex_destroy(&h.mu);
    return h.frames > 0 && h.snapshot_taken ? 0 : 1;
}
