// smartplayer-play: a minimal command-line player on the public C API, the
// counterpart of `ffplay -autoexit` for side-by-side measurements
// (bench/run.sh) and quick checks.
//
//   smartplayer-play [--seconds S] [--pause-after P] [--first-frame] [--db PATH]
//                    [--policy P] [--video sdl|callback|none] [--audio sdl|none]
//                    [--rate X] [--set KEY=VALUE]... FILE
//
// Plays FILE for S seconds (default: to the end) and prints one JSON line:
// time to first frame (from process start), frames shown, position, stats.
// --first-frame exits as soon as the first frame is shown; --pause-after
// pauses P seconds after play and stays paused (bench/run.sh wakeups).
//
// The main thread sleeps between its jobs: with the built-in window in
// sp_sdl_wait (woken when a frame is due or playback changes), otherwise on a
// condition variable that the callbacks signal. No polling.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "smartplayer.h"

namespace {

using Clock = std::chrono::steady_clock;
const Clock::time_point g_start = Clock::now();

struct State {
  std::atomic<int64_t> frames{0};
  std::atomic<double> first_frame_ms{-1};
  std::atomic<bool> ended{false};
  sp_player *player = nullptr;
  bool sdl_video = false;
  // Wakes the main thread (without the built-in window).
  std::mutex mu;
  std::condition_variable cv;
  void wake() {
    if (sdl_video) {
      sp_sdl_wakeup(player);
      return;
    }
    { std::lock_guard lk(mu); }
    cv.notify_all();
  }
};

double since_start_ms() {
  return std::chrono::duration<double, std::milli>(Clock::now() - g_start).count();
}

void on_frame(const sp_video_frame *, void *user) {
  auto *s = static_cast<State *>(user);
  if (s->frames.fetch_add(1) == 0) {
    s->first_frame_ms.store(since_start_ms());
    s->wake();
  }
}

void on_event(const sp_event *ev, void *user) {
  auto *s = static_cast<State *>(user);
  if (ev->type == SP_EVENT_END_OF_FILE) {
    s->ended.store(true);
    s->wake();
  }
  if (ev->type == SP_EVENT_ERROR) std::fprintf(stderr, "smartplayer-play: %s\n", ev->message);
}

int usage(const char *argv0) {
  std::fprintf(
      stderr,
      "usage: %s [--seconds S] [--pause-after P] [--first-frame] [--db PATH] [--policy P]\n"
      "          [--video sdl|callback|none] [--audio sdl|none] [--rate X] [--set KEY=VALUE]... FILE\n"
      "  --set passes any sp_config key (docs/api.md), e.g. --set online_learning=0\n",
      argv0);
  return 2;
}

// A decimal number >= lo (no hex, inf or nan); false names the option.
bool number_option(const char *opt, const char *v, double lo, double &out) {
  const std::string_view s = v;
  double x = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), x, std::chars_format::general);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(x) || x < lo) {
    std::fprintf(stderr, "smartplayer-play: bad value for %s: '%s' (a number >= %g)\n", opt, v, lo);
    return false;
  }
  out = x;
  return true;
}

} // namespace

int main(int argc, char **argv) {
  double seconds = -1, rate = 1.0, pause_after = -1;
  bool first_frame_only = false;
  std::string db, policy = "auto", video = "sdl", audio = "sdl";
  const char *file = nullptr;
  std::vector<std::pair<std::string, std::string>> extra;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char * { return i + 1 < argc ? argv[++i] : nullptr; };
    const char *v = nullptr;
    if (a == "--seconds" && (v = next())) {
      if (!number_option("--seconds", v, 0, seconds)) return 2;
    } else if (a == "--pause-after" && (v = next())) {
      if (!number_option("--pause-after", v, 0, pause_after)) return 2;
    } else if (a == "--first-frame")
      first_frame_only = true;
    else if (a == "--db" && (v = next()))
      db = v;
    else if (a == "--policy" && (v = next()))
      policy = v;
    else if (a == "--video" && (v = next()))
      video = v;
    else if (a == "--audio" && (v = next()))
      audio = v;
    else if (a == "--rate" && (v = next())) {
      if (!number_option("--rate", v, 0, rate)) return 2;
    } else if (a == "--set" && (v = next())) {
      std::string kv = v;
      size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) return usage(argv[0]);
      extra.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else if (a == "--help" || a == "-h")
      return usage(argv[0]), 0;
    else if (a[0] != '-' && !file)
      file = argv[i];
    else
      return usage(argv[0]);
  }
  if (!file) return usage(argv[0]);

  sp_config *cfg = sp_config_create();
  bool sdl_video = video == "sdl";
  for (const auto &[key, opt, val] :
       {std::tuple{"video_output", "--video", video.c_str()},
        std::tuple{"audio_output", "--audio", audio.c_str()}, std::tuple{"db", "--db", db.c_str()},
        std::tuple{"policy", "--policy", policy.c_str()}}) {
    if (sp_config_set(cfg, key, val) != SP_OK) {
      std::fprintf(stderr, "smartplayer-play: %s: %s\n", opt, sp_config_last_error(cfg));
      sp_config_destroy(cfg);
      return 2;
    }
  }
  for (const auto &[k, val] : extra) {
    if (sp_config_set(cfg, k.c_str(), val.c_str()) != SP_OK) {
      // The library's reason ("unknown configuration key 'bogus'"), not just the code's name.
      std::fprintf(stderr, "smartplayer-play: --set %s=%s: %s\n", k.c_str(), val.c_str(),
                   sp_config_last_error(cfg));
      sp_config_destroy(cfg);
      return 2;
    }
  }
  sp_player *p = nullptr;
  int rc = sp_player_create(cfg, &p);
  sp_config_destroy(cfg);
  if (rc != SP_OK) {
    std::fprintf(stderr, "smartplayer-play: %s: %s\n", sp_strerror(rc), sp_player_last_error(nullptr));
    return 1;
  }
  State st;
  st.player = p;
  st.sdl_video = sdl_video;
  sp_set_event_callback(p, on_event, &st);
  if (video == "callback") sp_set_video_callback(p, on_frame, SP_PIXEL_YUV420P, &st);
  rc = sp_open(p, file, nullptr);
  if (rc != SP_OK) {
    std::fprintf(stderr, "smartplayer-play: %s: %s\n", sp_strerror(rc), sp_player_last_error(p));
    sp_player_destroy(p);
    return 1;
  }
  if (rate != 1.0 && sp_set_rate(p, rate) != SP_OK) {
    std::fprintf(stderr, "smartplayer-play: --rate %g: %s\n", rate, sp_player_last_error(p));
    sp_player_destroy(p);
    return 2;
  }
  sp_play(p);
  const auto t_play = Clock::now();
  auto at = [&](double s) {
    return t_play + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  const auto end_at = seconds >= 0 ? at(seconds) : Clock::time_point::max();
  auto pause_at = pause_after >= 0 ? at(pause_after) : Clock::time_point::max();
  for (;;) {
    // The window draws the frames; first_frame_ms is measured with
    // --video callback (the host sees the exact first frame there).
    if (sdl_video && !sp_sdl_pump(p)) break;
    if (first_frame_only && st.first_frame_ms.load() >= 0) break;
    if (st.ended.load()) break;
    auto now = Clock::now();
    if (now >= end_at) break;
    if (now >= pause_at) {
      sp_pause(p);
      pause_at = Clock::time_point::max();
    }
    // Sleep until a callback wakes us or our next deadline.
    auto next = std::min(end_at, pause_at);
    if (sdl_video) {
      int ms = -1;
      if (next != Clock::time_point::max())
        ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(next - Clock::now()).count());
      sp_sdl_wait(p, std::max(ms, ms < 0 ? -1 : 0));
    } else {
      std::unique_lock lk(st.mu);
      auto woken = [&] { return st.ended.load() || (first_frame_only && st.first_frame_ms.load() >= 0); };
      if (next == Clock::time_point::max())
        st.cv.wait(lk, woken);
      else
        st.cv.wait_until(lk, next, woken);
    }
  }
  int64_t pos = 0;
  sp_get_position_ms(p, &pos);
  sp_stats stats{};
  stats.struct_size = sizeof stats;
  sp_get_stats(p, &stats);
  sp_player_destroy(p);
  std::printf(
      "{\"file\":\"%s\",\"first_frame_ms\":%.1f,\"frames\":%lld,\"position_ms\":%lld,\"policy\":\"%s\","
      "\"control_wakeups\":%lld,\"awake_s\":%.3f,\"asleep_s\":%.3f,\"events_logged\":%lld}\n",
      file, st.first_frame_ms.load(),
      // (the window draws its pictures itself: the library counts them)
      static_cast<long long>(sdl_video ? stats.frames_displayed : st.frames.load()),
      static_cast<long long>(pos), stats.policy, static_cast<long long>(stats.control_wakeups), stats.awake_s,
      stats.asleep_s, static_cast<long long>(stats.events_logged));
  return 0;
}
