// sp_sdl_wait / sp_sdl_wakeup: the built-in window's host thread sleeps
// until sp_sdl_pump has work. Real SDL (dummy video driver, where
// SDL_WaitEventTimeout would poll every millisecond), real decoding. Runs
// under ThreadSanitizer in CI (label "concurrency").
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "smartplayer.h"
#include "support.h"

using namespace sp_test;
using namespace std::chrono_literals;

namespace {

sp_player *make_player(const char *video) {
  sp_config *cfg = sp_config_create();
  REQUIRE(sp_config_set(cfg, "video_output", video) == SP_OK);
  REQUIRE(sp_config_set(cfg, "audio_output", "none") == SP_OK);
  sp_player *p = nullptr;
  REQUIRE(sp_player_create(cfg, &p) == SP_OK);
  sp_config_destroy(cfg);
  return p;
}

} // namespace

TEST_CASE("sp_sdl_wait and sp_sdl_wakeup: arguments, configuration and thread are checked") {
  CHECK(sp_sdl_wait(nullptr, 0) == SP_ERR_INVALID_ARGUMENT);
  CHECK(sp_sdl_wakeup(nullptr) == SP_ERR_INVALID_ARGUMENT);

  sp_player *cb = make_player("callback");
  CHECK(sp_sdl_wait(cb, 0) == SP_ERR_INVALID_STATE);
  CHECK(std::string(sp_player_last_error(cb)).find("video_output=sdl") != std::string::npos);
  CHECK(sp_sdl_wakeup(cb) == SP_ERR_INVALID_STATE);
  sp_player_destroy(cb);

  sp_player *p = make_player("sdl");
  CHECK(sp_sdl_wait(p, -2) == SP_ERR_INVALID_ARGUMENT);
  int other = 0;
  std::thread([&] { other = sp_sdl_wait(p, 0); }).join();
  CHECK(other == SP_ERR_INVALID_STATE);
  CHECK(std::string(sp_player_last_error(p)).find("created the player") != std::string::npos);
  sp_player_destroy(p);
}

TEST_CASE("sp_sdl_wakeup from another thread ends a wait with no deadline") {
  sp_player *p = make_player("sdl");
  CHECK(sp_sdl_pump(p) == 1); // nothing open: nothing is due
  std::atomic<bool> woke{false};
  std::atomic<int> wakeup_result{-100};
  std::thread waker([&] {
    std::this_thread::sleep_for(200ms);
    woke.store(true);
    wakeup_result.store(sp_sdl_wakeup(p)); // (Catch2's checks belong to the main thread)
  });
  int r = sp_sdl_wait(p, 20000);
  CHECK(r == 1);
  CHECK(woke.load()); // returned because of the wake-up, not before it
  waker.join();
  CHECK(wakeup_result.load() == SP_OK);
  // A wake-up given while nobody waits is kept for the next wait.
  CHECK(sp_sdl_pump(p) == 1);
  CHECK(sp_sdl_wakeup(p) == SP_OK);
  CHECK(sp_sdl_wait(p, 20000) == 1);
  // Drained by the pump: now only the timeout ends the wait.
  CHECK(sp_sdl_pump(p) == 1);
  CHECK(sp_sdl_wait(p, 50) == 0);
  sp_player_destroy(p);
}

TEST_CASE("an open player's window: the host wakes for the first picture and keeps pumping to the end") {
  ClipSpec spec;
  spec.seconds = 2;
  std::string clip = make_clip(spec);
  sp_player *p = make_player("sdl");
  struct Ended {
    std::atomic<bool> flag{false};
    sp_player *p;
  } ended{{}, p};
  sp_set_event_callback(
      p,
      [](const sp_event *ev, void *user) {
        auto *e = static_cast<Ended *>(user);
        if (ev->type == SP_EVENT_END_OF_FILE) {
          e->flag.store(true);
          sp_sdl_wakeup(e->p);
        }
      },
      &ended);
  REQUIRE(sp_open(p, clip.c_str(), nullptr) == SP_OK);
  REQUIRE(sp_play(p) == SP_OK);
  int pumps = 0;
  while (!ended.flag.load() && sp_sdl_pump(p) && pumps < 100000) {
    ++pumps;
    REQUIRE(sp_sdl_wait(p, 10000) == 1); // never the 10 s timeout: frames fall due, then the end wakes it
  }
  CHECK(ended.flag.load());
  int64_t pos = 0;
  sp_get_position_ms(p, &pos);
  CHECK(pos >= 1900);
  sp_player_destroy(p);
}

TEST_CASE("paused, the host thread in sp_sdl_wait and the library's threads do not wake") {
  ClipSpec spec;
  spec.seconds = 4;
  std::string clip = make_clip(spec);
  sp_player *p = make_player("sdl");
  REQUIRE(sp_open(p, clip.c_str(), nullptr) == SP_OK);
  REQUIRE(sp_play(p) == SP_OK);
  auto until = std::chrono::steady_clock::now() + 500ms;
  while (std::chrono::steady_clock::now() < until && sp_sdl_pump(p)) sp_sdl_wait(p, 100);
  REQUIRE(sp_pause(p) == SP_OK);
  // Let the pause settle (the display shows where it stopped, the log commits).
  until = std::chrono::steady_clock::now() + 500ms;
  while (std::chrono::steady_clock::now() < until && sp_sdl_pump(p)) sp_sdl_wait(p, 100);
  sp_sdl_pump(p);
  auto before = thread_switches();
  ThreadSwitches host0 = this_thread_switches();
  int r = sp_sdl_wait(p, 3000); // nothing is due: only the timeout ends it
  ThreadSwitches host1 = this_thread_switches();
  auto delta = switches_between(before, thread_switches());
  INFO("threads: " << describe(delta));
  CHECK(r == 0);
  // One block for the whole wait (plus a switch or two around the lock).
  CHECK(host1.voluntary - host0.voluntary <= 3);
  CHECK(total_switches(delta, "sp-") <= 1);
  sp_player_destroy(p);
}
