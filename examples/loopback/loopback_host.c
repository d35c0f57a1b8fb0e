/*
 * example_loopback_host — a player host that attaches a costly control
 * resource (a TCP connection to smartplayer-control-server, with a heartbeat
 * every second) to the control plane's sleep/wake signal: connect on wake,
 * disconnect on sleep. Every interaction is reported over the connection; one
 * made while the control plane sleeps wakes it on demand, and is queued until
 * the connection is back, so none is lost.
 *
 *   example_loopback_host --port N [--db PATH] [--policy P] [--viewer V]
 *                         [--genre G] [--cost H,W,M] [--script "T CMD [ARG]; ..."] FILE
 *
 * --cost is the cost model the policy plans with (sp_config "cost"): what a
 * second of holding this connection, a reconnect and a late interaction are
 * worth to this host. A loopback reconnect is cheap, so the default here is
 * "1,3,6" (a reconnect costs as much as 3 s of holding), not the library's
 * default, which prices a wake like a TLS handshake over a mobile radio.
 *
 * Script commands at T seconds after play: pause, play, seek MS, rate X,
 * volume N, mute 0|1, stop. The run ends with the script's last command or
 * at end of file. Prints one JSON line: the host's own figures and the
 * server's summary (connection-seconds held, heartbeats, events received).
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "smartplayer.h"

#define MAX_PENDING 4096

struct host {
  int port;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int fd;                 /* -1 while disconnected */
  int quit;
  double connected_since;
  double connected_s;
  long connects;
  long pending_seq[MAX_PENDING];
  int pending_kind[MAX_PENDING];
  int64_t pending_pos[MAX_PENDING];
  int npending;
  long sent_events;
  int eof;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_loopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((unsigned short)port);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int send_line(int fd, const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
    if (w <= 0) return -1;
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Caller holds h->mu and h->fd >= 0. */
static void flush_pending(struct host *h) {
  char line[128];
  for (int i = 0; i < h->npending; ++i) {
    snprintf(line, sizeof line, "EVENT %ld %d %lld\n", h->pending_seq[i], h->pending_kind[i],
             (long long)h->pending_pos[i]);
    if (send_line(h->fd, line) == 0) h->sent_events++;
  }
  h->npending = 0;
}

/* Control thread: the host's resource follows the control plane. */
static void on_control(int awake, int reason, void *user) {
  struct host *h = user;
  pthread_mutex_lock(&h->mu);
  if (awake && h->fd < 0) {
    h->fd = connect_loopback(h->port);
    if (h->fd >= 0) {
      send_line(h->fd, "HELLO loopback-host\n");
      h->connects++;
      h->connected_since = now_s();
      flush_pending(h);
    } else {
      fprintf(stderr, "loopback host: cannot connect to 127.0.0.1:%d\n", h->port);
    }
  } else if (!awake && h->fd >= 0) {
    send_line(h->fd, "BYE\n");
    close(h->fd);
    h->fd = -1;
    h->connected_s += now_s() - h->connected_since;
  }
  (void)reason;
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
}

static void on_event(const sp_event *ev, void *user) {
  struct host *h = user;
  pthread_mutex_lock(&h->mu);
  if (ev->type == SP_EVENT_LOGGED && h->npending < MAX_PENDING) {
    h->pending_seq[h->npending] = (long)ev->seq;
    h->pending_kind[h->npending] = (int)ev->value;
    h->pending_pos[h->npending] = ev->position_ms;
    h->npending++;
    if (h->fd >= 0) flush_pending(h);
  } else if (ev->type == SP_EVENT_END_OF_FILE) {
    h->eof = 1;
    pthread_cond_broadcast(&h->cv);
  } else if (ev->type == SP_EVENT_ERROR) {
    fprintf(stderr, "loopback host: player error: %s\n", ev->message);
  }
  pthread_mutex_unlock(&h->mu);
}

/* Heartbeat once a second while connected; no wake-ups at all while not. */
static void *heartbeat(void *arg) {
  struct host *h = arg;
  pthread_mutex_lock(&h->mu);
  while (!h->quit) {
    if (h->fd < 0) {
      pthread_cond_wait(&h->cv, &h->mu);
      continue;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 1;
    pthread_cond_timedwait(&h->cv, &h->mu, &ts);
    if (h->fd >= 0 && !h->quit) send_line(h->fd, "HB\n");
  }
  pthread_mutex_unlock(&h->mu);
  return NULL;
}

static void sleep_until(double t) {
  double d = t - now_s();
  if (d <= 0) return;
  struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
  nanosleep(&ts, NULL);
}

static int run_command(sp_player *p, const char *cmd, const char *arg) {
  if (!strcmp(cmd, "pause")) return sp_pause(p);
  if (!strcmp(cmd, "play")) return sp_play(p);
  if (!strcmp(cmd, "seek")) return sp_seek(p, atoll(arg), SP_SEEK_ABSOLUTE);
  if (!strcmp(cmd, "rate")) return sp_set_rate(p, atof(arg));
  if (!strcmp(cmd, "volume")) return sp_set_volume(p, atoi(arg));
  if (!strcmp(cmd, "mute")) return sp_set_mute(p, atoi(arg));
  if (!strcmp(cmd, "stop")) return sp_stop(p);
  fprintf(stderr, "loopback host: unknown script command '%s'\n", cmd);
  return SP_ERR_INVALID_ARGUMENT;
}

static void count_frames(const sp_video_frame *f, void *user) {
  (void)f;
  (*(long *)user)++;
}

int main(int argc, char **argv) {
  const char *db = "", *policy = "auto", *viewer = "loopback-viewer", *genre = "unknown", *script = "", *cost = "1,3,6";
  const char *file = NULL;
  struct host h;
  memset(&h, 0, sizeof h);
  h.fd = -1;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--port") && i + 1 < argc) h.port = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--db") && i + 1 < argc) db = argv[++i];
    else if (!strcmp(argv[i], "--policy") && i + 1 < argc) policy = argv[++i];
    else if (!strcmp(argv[i], "--viewer") && i + 1 < argc) viewer = argv[++i];
    else if (!strcmp(argv[i], "--genre") && i + 1 < argc) genre = argv[++i];
    else if (!strcmp(argv[i], "--script") && i + 1 < argc) script = argv[++i];
    else if (!strcmp(argv[i], "--cost") && i + 1 < argc) cost = argv[++i];
    else if (argv[i][0] != '-' && !file) file = argv[i];
    else {
      fprintf(stderr, "usage: %s --port N [--db PATH] [--policy P] [--viewer V] [--genre G] [--cost H,W,M] [--script S] FILE\n",
              argv[0]);
      return 2;
    }
  }
  if (!file || h.port <= 0) {
    fprintf(stderr, "loopback host: need --port and a media FILE\n");
    return 2;
  }
  pthread_mutex_init(&h.mu, NULL);
  pthread_cond_init(&h.cv, NULL);

  sp_config *cfg = sp_config_create();
  int rc = SP_OK;
  if (!cfg) return 1;
  if ((rc = sp_config_set(cfg, "video_output", "callback")) != SP_OK ||
      (rc = sp_config_set(cfg, "audio_output", "none")) != SP_OK || (rc = sp_config_set(cfg, "db", db)) != SP_OK ||
      (rc = sp_config_set(cfg, "policy", policy)) != SP_OK || (rc = sp_config_set(cfg, "cost", cost)) != SP_OK) {
    fprintf(stderr, "loopback host: config: %s\n", sp_strerror(rc));
    sp_config_destroy(cfg);
    return 1;
  }
  sp_player *p = NULL;
  rc = sp_player_create(cfg, &p);
  sp_config_destroy(cfg);
  if (rc != SP_OK) {
    fprintf(stderr, "loopback host: create: %s: %s\n", sp_strerror(rc), sp_player_last_error(NULL));
    return 1;
  }
  long frames = 0;
  sp_set_event_callback(p, on_event, &h);
  sp_set_control_callback(p, on_control, &h);
  {
    /* The plane starts awake and only reports changes: acquire the
       connection now if it is awake already. */
    int state = SP_CONTROL_ASLEEP;
    int64_t wakes_in = -1;
    if (sp_get_control_state(p, &state, &wakes_in) == SP_OK && state == SP_CONTROL_AWAKE)
      on_control(1, SP_WAKE_PROACTIVE, &h);
  }
  sp_set_video_callback(p, count_frames, SP_PIXEL_YUV420P, &frames);
  pthread_t hb;
  pthread_create(&hb, NULL, heartbeat, &h);

  sp_media_meta meta = {.struct_size = sizeof meta, .genre = genre, .viewer_id = viewer};
  rc = sp_open(p, file, &meta);
  if (rc != SP_OK) {
    fprintf(stderr, "loopback host: open %s: %s (%s)\n", file, sp_strerror(rc), sp_player_last_error(p));
    sp_player_destroy(p);
    return 1;
  }
  double t0 = now_s();
  sp_play(p);
  long commands = 0, failed = 0;

  /* Run the script: "T CMD [ARG]; ..." */
  char *copy = strdup(script), *save = NULL;
  for (char *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
    double at = 0;
    char cmd[32] = "", arg[64] = "";
    if (sscanf(tok, " %lf %31s %63s", &at, cmd, arg) < 2) continue;
    sleep_until(t0 + at);
    commands++;
    if (run_command(p, cmd, arg) != SP_OK) {
      failed++;
      fprintf(stderr, "loopback host: %s %s failed: %s\n", cmd, arg, sp_player_last_error(p));
    }
    if (!strcmp(cmd, "stop")) break;
  }
  free(copy);
  if (!*script) { /* no script: play to the end */
    pthread_mutex_lock(&h.mu);
    while (!h.eof) pthread_cond_wait(&h.cv, &h.mu);
    pthread_mutex_unlock(&h.mu);
  }
  double played_s = now_s() - t0;
  /* Connection-seconds held while the session played. The connection stays
     up (if it is up) until the player is destroyed so the last events reach
     the server, but teardown (flushing, a retraining step finishing) is not
     playback and is reported apart. */
  pthread_mutex_lock(&h.mu);
  double held_playing_s = h.connected_s + (h.fd >= 0 ? now_s() - h.connected_since : 0.0);
  pthread_mutex_unlock(&h.mu);
  sp_stats st = {.struct_size = sizeof st};
  sp_get_stats(p, &st);
  sp_player_destroy(p); /* flushes the log; final control callbacks run before it returns */

  pthread_mutex_lock(&h.mu);
  if (h.fd >= 0) { /* still connected at the end: close like a sleep would */
    send_line(h.fd, "BYE\n");
    close(h.fd);
    h.fd = -1;
    h.connected_s += now_s() - h.connected_since;
  }
  h.quit = 1;
  pthread_cond_broadcast(&h.cv);
  long undelivered = h.npending;
  pthread_mutex_unlock(&h.mu);
  pthread_join(hb, NULL);

  /* Ask the server for its side of the story. */
  char reply[512] = "{}";
  int fd = connect_loopback(h.port);
  if (fd >= 0) {
    send_line(fd, "REPORT\n");
    ssize_t n = recv(fd, reply, sizeof reply - 1, 0);
    reply[n > 0 ? n : 0] = 0;
    char *nl = strchr(reply, '\n');
    if (nl) *nl = 0;
    close(fd);
  }
  printf("{\"policy\":\"%s\",\"played_s\":%.3f,\"frames\":%ld,\"commands\":%ld,\"commands_failed\":%ld,"
         "\"host_connects\":%ld,\"host_connected_s\":%.3f,\"host_connected_total_s\":%.3f,\"events_sent\":%ld,\"events_undelivered\":%ld,"
         "\"wakes_proactive\":%lld,\"wakes_on_demand\":%lld,\"awake_s\":%.3f,\"asleep_s\":%.3f,"
         "\"wake_latency_p50_ms\":%.3f,\"wake_latency_p99_ms\":%.3f,\"control_wakeups\":%lld,"
         "\"events_logged\":%lld,\"events_dropped\":%lld,\"policy_in_use\":\"%s\",\"server\":%s}\n",
         policy, played_s, frames, commands, failed, h.connects, held_playing_s, h.connected_s, h.sent_events, undelivered,
         (long long)st.wakes_proactive, (long long)st.wakes_on_demand, st.awake_s, st.asleep_s,
         st.wake_latency_p50_ms, st.wake_latency_p99_ms, (long long)st.control_wakeups,
         (long long)st.events_logged, (long long)st.events_dropped, st.policy, reply);
  return failed ? 1 : 0;
}
