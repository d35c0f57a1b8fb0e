/*
 * smartplayer-control-server — a small control/telemetry server for the
 * loopback example. It stands for the costly resource a host attaches to the
 * control plane: a network connection with heartbeats.
 *
 *   smartplayer-control-server --port-file FILE [--port N]
 *
 * Listens on 127.0.0.1 (port 0 = any free port, written to --port-file), serves
 * one line-based client at a time:
 *   HELLO <name>                 start of a connection
 *   EVENT <seq> <kind> <pos_ms>  an interaction the host reports
 *   HB                           heartbeat (sent once a second while connected)
 *   BYE                          the host is going to sleep and closes
 *   REPORT                       reply with a JSON summary line
 *   SHUTDOWN                     reply with the summary and exit
 * The summary counts connections, connection-seconds held, heartbeats and
 * events, so the host's cost under each policy can be compared.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct totals {
  long connections, heartbeats, events, max_seq;
  double connected_s;
};

static void summary(const struct totals *t, char *buf, size_t n) {
  snprintf(buf, n,
           "{\"connections\":%ld,\"connected_s\":%.3f,\"heartbeats\":%ld,\"events\":%ld,\"max_seq\":%ld}\n",
           t->connections, t->connected_s, t->heartbeats, t->events, t->max_seq);
}

int main(int argc, char **argv) {
  int port = 0;
  const char *port_file = NULL;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--port-file") && i + 1 < argc) port_file = argv[++i];
    else {
      fprintf(stderr, "usage: %s [--port N] [--port-file FILE]\n", argv[0]);
      return 2;
    }
  }
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  if (ls < 0) { perror("socket"); return 1; }
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons((unsigned short)port);
  if (bind(ls, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(ls, 4) < 0) {
    perror("bind/listen");
    return 1;
  }
  socklen_t alen = sizeof addr;
  getsockname(ls, (struct sockaddr *)&addr, &alen);
  if (port_file) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%d\n", ntohs(addr.sin_port)) < 0 || fclose(f) != 0 || rename(tmp, port_file) != 0) {
      perror("port file");
      return 1;
    }
  }
  fprintf(stderr, "control server listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));

  struct totals t = {0, 0, 0, 0, 0.0};
  for (;;) {
    int c = accept(ls, NULL, NULL);
    if (c < 0) {
      if (errno == EINTR) continue;
      perror("accept");
      return 1;
    }
    FILE *in = fdopen(c, "r");
    if (!in) { close(c); continue; }
    double since = -1;
    char line[512];
    int shutdown_requested = 0;
    while (fgets(line, sizeof line, in)) {
      long seq = 0, pos = 0;
      char kind[32];
      if (!strncmp(line, "HELLO", 5)) {
        t.connections++;
        since = now_s();
      } else if (!strncmp(line, "HB", 2)) {
        t.heartbeats++;
      } else if (sscanf(line, "EVENT %ld %31s %ld", &seq, kind, &pos) == 3) {
        t.events++;
        if (seq > t.max_seq) t.max_seq = seq;
      } else if (!strncmp(line, "BYE", 3)) {
        break;
      } else if (!strncmp(line, "REPORT", 6) || !strncmp(line, "SHUTDOWN", 8)) {
        struct totals cur = t;
        if (since >= 0) cur.connected_s += now_s() - since;
        char buf[256];
        summary(&cur, buf, sizeof buf);
        if (write(c, buf, strlen(buf)) < 0) break;
        if (line[0] == 'S') { shutdown_requested = 1; break; }
      }
    }
    if (since >= 0 && !shutdown_requested) t.connected_s += now_s() - since;
    fclose(in);
    if (shutdown_requested) break;
  }
  close(ls);
  return 0;
}
