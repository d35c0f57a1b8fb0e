// FFmpeg's log goes through the library: nothing on the host's stderr, the
// messages of a player's media as SP_EVENT_LOG events at its log_level
// (quiet by default), each player only its own, and a host's own FFmpeg
// messages left as they were. Also: sp_config_set failures leave a message.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <vector>

extern "C" {
#include <libavutil/log.h>
}

#include "smartplayer.h"
#include "support.h"

using namespace sp_test;
using namespace std::chrono_literals;

namespace {

// Everything written to file descriptor 2 while alive lands in a file.
class CaptureStderr {
public:
  explicit CaptureStderr(std::string path) : path_(std::move(path)) {
    std::fflush(stderr);
    saved_ = dup(2);
    FILE *f = std::fopen(path_.c_str(), "w");
    REQUIRE(f);
    REQUIRE(dup2(fileno(f), 2) == 2);
    std::fclose(f);
  }
  ~CaptureStderr() { restore(); }
  // Stops capturing; returns what was written.
  std::string finish() {
    restore();
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, 2);
    close(saved_);
    saved_ = -1;
  }
  std::string path_;
  int saved_ = -1;
};

struct LogHost {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<int64_t, std::string>> logs; // level, line
  std::vector<int> states;
  static void on_event(const sp_event *ev, void *user) {
    auto *h = static_cast<LogHost *>(user);
    std::lock_guard lk(h->mu);
    if (ev->type == SP_EVENT_LOG) h->logs.emplace_back(ev->value, ev->message);
    if (ev->type == SP_EVENT_STATE_CHANGED) h->states.push_back(static_cast<int>(ev->value));
    h->cv.notify_all();
  }
  template <class P> bool wait(P pred) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, 20s, pred);
  }
  bool has(const std::string &text) {
    std::lock_guard lk(mu);
    for (auto &[lvl, line] : logs)
      if (line.find(text) != std::string::npos) return true;
    return false;
  }
  size_t count() {
    std::lock_guard lk(mu);
    return logs.size();
  }
};

sp_player *make_player(const char *log_level, LogHost &host) {
  sp_config *cfg = sp_config_create();
  REQUIRE(sp_config_set(cfg, "video_output", "none") == SP_OK);
  REQUIRE(sp_config_set(cfg, "audio_output", "none") == SP_OK);
  if (log_level) REQUIRE(sp_config_set(cfg, "log_level", log_level) == SP_OK);
  sp_player *p = nullptr;
  REQUIRE(sp_player_create(cfg, &p) == SP_OK);
  sp_config_destroy(cfg);
  REQUIRE(sp_set_event_callback(p, &LogHost::on_event, &host) == SP_OK);
  return p;
}

// A clip cut short: FFmpeg says "moov atom not found" (an error) opening it.
std::string truncated_clip(const TempDir &dir) {
  std::ifstream in(make_clip(), std::ios::binary);
  std::string bytes(4000, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::string path = dir.file("cut.mp4");
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// Waits until the player's dispatcher has delivered everything posted
// before this call (a failed open posts state changes after them).
void flush_events(sp_player *p, LogHost &host, const TempDir &dir) {
  size_t before;
  {
    std::lock_guard lk(host.mu);
    before = host.states.size();
  }
  CHECK(sp_open(p, dir.file("no-such-file.mp4").c_str(), nullptr) == SP_ERR_NOT_FOUND);
  REQUIRE(host.wait([&] { return host.states.size() >= before + 2; })); // opening, idle
}

} // namespace

TEST_CASE("FFmpeg's messages about a refused file reach neither the host's stderr nor a quiet player") {
  TempDir dir;
  const std::string cut = truncated_clip(dir);
  const std::string text = dir.file("notes.mp4");
  std::ofstream(text) << "just some text, not a video\n";
  LogHost host;
  CaptureStderr cap(dir.file("stderr.txt"));
  sp_player *p = make_player(nullptr, host); // log_level: quiet by default
  CHECK(sp_open(p, cut.c_str(), nullptr) == SP_ERR_FORMAT);
  CHECK(sp_open(p, text.c_str(), nullptr) == SP_ERR_FORMAT);
  flush_events(p, host, dir);
  sp_player_destroy(p);
  const std::string err = cap.finish();
  INFO("stderr: " << err);
  CHECK(err.find("moov atom not found") == std::string::npos);
  CHECK(err.empty());
  CHECK(host.count() == 0);
}

TEST_CASE("log_level delivers FFmpeg's messages as SP_EVENT_LOG, each player only its own") {
  TempDir dir;
  const std::string cut = truncated_clip(dir);
  LogHost a_host, b_host;
  CaptureStderr cap(dir.file("stderr.txt"));
  sp_player *a = make_player("error", a_host);
  sp_player *b = make_player("debug", b_host);

  CHECK(sp_open(a, cut.c_str(), nullptr) == SP_ERR_FORMAT);
  REQUIRE(a_host.wait([&] {
    for (auto &[lvl, line] : a_host.logs)
      if (line.find("moov atom not found") != std::string::npos) return true;
    return false;
  }));
  {
    std::lock_guard lk(a_host.mu);
    for (auto &[lvl, line] : a_host.logs) {
      INFO(line);
      CHECK(lvl == SP_LOG_ERROR); // log_level=error: errors only
      CHECK(line.find('\n') == std::string::npos);
      CHECK(line.rfind("[", 0) == 0); // "[mov,mp4,...] ..."
    }
  }
  // B (debug) opens a good clip: its own debug messages, none of A's.
  REQUIRE(sp_open(b, make_clip().c_str(), nullptr) == SP_OK);
  REQUIRE(b_host.wait([&] { return !b_host.logs.empty(); }));
  flush_events(b, b_host, dir);
  CHECK_FALSE(b_host.has("moov atom"));
  {
    std::lock_guard lk(b_host.mu);
    bool debug = false;
    for (auto &[lvl, line] : b_host.logs)
      debug = debug || lvl == SP_LOG_DEBUG;
    CHECK(debug);
  }
  // A heard nothing of B's opening (no error in it, and no debug at all).
  flush_events(a, a_host, dir);
  {
    std::lock_guard lk(a_host.mu);
    for (auto &[lvl, line] : a_host.logs)
      CHECK(lvl == SP_LOG_ERROR);
  }
  sp_player_destroy(a);
  sp_player_destroy(b);
  const std::string err = cap.finish();
  INFO("stderr: " << err);
  CHECK(err.empty());
}

TEST_CASE("a host's own FFmpeg messages still go where FFmpeg sends them") {
  TempDir dir;
  LogHost host;
  sp_player *p = make_player("debug", host);
  {
    CaptureStderr cap(dir.file("stderr.txt"));
    av_log(nullptr, AV_LOG_ERROR, "the host's own message\n");
    av_log(nullptr, AV_LOG_DEBUG, "the host's own debug line\n"); // below the host's level (info)
    const std::string err = cap.finish();
    CHECK(err.find("the host's own message") != std::string::npos);
    CHECK(err.find("debug line") == std::string::npos);
  }
  flush_events(p, host, dir);
  CHECK_FALSE(host.has("the host's own"));
  sp_player_destroy(p);
}

TEST_CASE("sp_config_set failures leave a message to read") {
  sp_config *cfg = sp_config_create();
  REQUIRE(cfg);
  CHECK(std::string(sp_config_last_error(cfg)).empty());
  CHECK(sp_config_set(cfg, "colour", "red") == SP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(sp_config_last_error(cfg)) == "unknown configuration key 'colour'");
  CHECK(sp_config_set(cfg, "log_level", "loud") == SP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(sp_config_last_error(cfg)) ==
        "bad value 'loud' for 'log_level': expected quiet, error, warning, info, verbose or debug");
  CHECK(sp_config_set(cfg, "audio_rate", "7") == SP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(sp_config_last_error(cfg)).find("[8000, 192000]") != std::string::npos);
  CHECK(sp_config_set(cfg, nullptr, "x") == SP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(sp_config_last_error(cfg)).find("key is NULL") != std::string::npos);
  CHECK(sp_config_set(cfg, "policy", nullptr) == SP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(sp_config_last_error(cfg)).find("value is NULL") != std::string::npos);
  // A call that succeeds clears it.
  CHECK(sp_config_set(cfg, "log_level", "warning") == SP_OK);
  CHECK(std::string(sp_config_last_error(cfg)).empty());
  sp_config_destroy(cfg);
  CHECK(std::string(sp_config_last_error(nullptr)).find("NULL") != std::string::npos);
  CHECK(sp_config_set(nullptr, "policy", "auto") == SP_ERR_INVALID_ARGUMENT);
}
