#!/usr/bin/env python3
"""A small HTTP server for the network tests (tests/test_network.cpp): serves
ROOT on 127.0.0.1 at a free port (written to PORT_FILE) and behaves like the
servers real hosts meet, chosen by the path's first segment:

  /r/FILE            range requests (206, Accept-Ranges): seekable
  /plain/FILE        no range support, as python's http.server: not seekable
  /die/N/FILE        range requests, but the connection drops after N bytes
                     of every response (a flaky link: a reconnect resumes)
  /dead/N/FILE       like die, and every later request fails with 503
  /slow/BPS/FILE     range requests, sent at BPS bytes a second
  /status/CODE       answers CODE (401, 403, 404, 500, ...)

usage: http_media_server.py PORT_FILE ROOT
"""
import os
import re
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = sys.argv[2]
dead_after_drop = set()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def answer(self, code):
        body = b"status %d\n" % code
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = self.path.split("?")[0].lstrip("/").split("/")
        mode = parts[0]
        if mode == "status":
            return self.answer(int(parts[1]))
        drop = None
        rate = None
        if mode == "slow":
            rate = int(parts[1])
            name = "/".join(parts[2:])
        elif mode in ("die", "dead"):
            drop = int(parts[1])
            name = "/".join(parts[2:])
            if mode == "dead" and name in dead_after_drop:
                return self.answer(503)
        else:
            name = "/".join(parts[1:])
        path = os.path.join(ROOT, name)
        if mode not in ("r", "plain", "die", "dead", "slow") or not os.path.isfile(path):
            return self.answer(404)
        data = open(path, "rb").read()
        start, end, status = 0, len(data) - 1, 200
        rng = self.headers.get("Range")
        if mode != "plain" and rng:
            m = re.match(r"bytes=(\d*)-(\d*)", rng)
            if m and m.group(1):
                start = int(m.group(1))
                if m.group(2):
                    end = min(int(m.group(2)), len(data) - 1)
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", "bytes */%d" % len(data))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 206
        body = data[start : end + 1]
        self.send_response(status)
        self.send_header("Content-Type", "video/mp4")
        if mode != "plain":
            self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, len(data)))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            if drop is not None and len(body) > drop:
                self.wfile.write(body[:drop])
                self.wfile.flush()
                if mode == "dead":
                    dead_after_drop.add(name)
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            if rate is None:
                self.wfile.write(body)
                return
            t = time.monotonic()
            for i in range(0, len(body), 4096):
                self.wfile.write(body[i : i + 4096])
                t += 4096 / rate
                time.sleep(max(0.0, t - time.monotonic()))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


ThreadingHTTPServer.daemon_threads = True
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
