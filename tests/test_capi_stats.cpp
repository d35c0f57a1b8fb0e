// What each sp_stats counter counts, as smartplayer.h documents it: on-demand
// wakes are not misses (calls arriving while the plane is already waking
// share one wake; the end of the file wakes it without being a miss), strict
// mode's refused calls are misses that neither wake the plane nor reach the
// log, and the control thread's wake-up counter stands still while it sleeps.
// The fixed-timeout policy with a 50 ms timeout puts the plane to sleep
// without ever scheduling a proactive wake, so every wake here is on demand.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "smartplayer.h"
#include "support.h"

using namespace sp_test;
using namespace std::chrono_literals;

namespace {

// Records sleep/wake signals; can hold the control thread inside a wake (the
// plane is then WAKING: the gate opens only when the callback returns).
struct ControlHost {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<int, int>> signals; // (awake, reason)
  bool hold_wake = false;
  bool in_wake = false;
  int eof = 0;

  static void on_control(int awake, int reason, void *user) {
    auto *h = static_cast<ControlHost *>(user);
    std::unique_lock lk(h->mu);
    h->signals.emplace_back(awake, reason);
    h->cv.notify_all();
    if (awake && h->hold_wake) {
      h->in_wake = true;
      h->cv.notify_all();
      h->cv.wait(lk, [&] { return !h->hold_wake; });
      h->in_wake = false;
    }
  }
  static void on_event(const sp_event *ev, void *user) {
    auto *h = static_cast<ControlHost *>(user);
    std::lock_guard lk(h->mu);
    if (ev->type == SP_EVENT_END_OF_FILE) ++h->eof;
    h->cv.notify_all();
  }
  int count(int awake) {
    int n = 0;
    for (auto &s : signals)
      n += s.first == awake;
    return n;
  }
  template <class Pred> void wait(Pred pred) {
    std::unique_lock lk(mu);
    REQUIRE(cv.wait_for(lk, 30s, pred));
  }
  void wait_sleeps(int n) {
    wait([&] { return count(0) >= n; });
  }
};

sp_player *make_player(ControlHost &host, bool strict) {
  sp_config *cfg = sp_config_create();
  REQUIRE(cfg);
  REQUIRE(sp_config_set(cfg, "video_output", "none") == SP_OK);
  REQUIRE(sp_config_set(cfg, "audio_output", "none") == SP_OK);
  REQUIRE(sp_config_set(cfg, "policy", "fixed-timeout") == SP_OK);
  REQUIRE(sp_config_set(cfg, "timeout_s", "0.05") == SP_OK);
  REQUIRE(sp_config_set(cfg, "strict", strict ? "1" : "0") == SP_OK);
  sp_player *p = nullptr;
  REQUIRE(sp_player_create(cfg, &p) == SP_OK);
  sp_config_destroy(cfg);
  REQUIRE(sp_set_control_callback(p, &ControlHost::on_control, &host) == SP_OK);
  REQUIRE(sp_set_event_callback(p, &ControlHost::on_event, &host) == SP_OK);
  return p;
}

sp_stats stats_of(sp_player *p) {
  sp_stats st{};
  st.struct_size = sizeof st;
  REQUIRE(sp_get_stats(p, &st) == SP_OK);
  return st;
}

std::string clip() {
  ClipSpec spec;
  spec.seconds = 3;
  spec.audio = false;
  return make_clip(spec);
}

} // namespace

TEST_CASE("wakes_on_demand counts wakes, misses count calls; the end of file wakes without a miss") {
  ControlHost host;
  sp_player *p = make_player(host, false);
  REQUIRE(sp_open(p, clip().c_str(), nullptr) == SP_OK);
  host.wait_sleeps(1);

  // Three calls while asleep: the first wakes the plane and is held inside
  // the host's wake callback; the other two arrive while it is waking.
  {
    std::lock_guard lk(host.mu);
    host.hold_wake = true;
  }
  REQUIRE(sp_play(p) == SP_OK);
  host.wait([&] { return host.in_wake; });
  int cstate = -1;
  REQUIRE(sp_get_control_state(p, &cstate, nullptr) == SP_OK);
  CHECK(cstate == SP_CONTROL_WAKING);
  REQUIRE(sp_set_volume(p, 50) == SP_OK); // applied at once, even now
  REQUIRE(sp_set_mute(p, 1) == SP_OK);
  int volume = -1;
  REQUIRE(sp_get_volume(p, &volume) == SP_OK);
  CHECK(volume == 50);
  {
    std::lock_guard lk(host.mu);
    host.hold_wake = false;
  }
  host.cv.notify_all();
  // Back to sleep once all three are handled.
  host.wait_sleeps(2);
  sp_stats st = stats_of(p);
  CHECK(st.wakes_on_demand == 1);
  CHECK(st.misses == 3);
  CHECK(st.wakes_proactive == 0);
  CHECK(st.events_submitted == 4); // open + three calls

  // Playing on to the end of the file while asleep: the end wakes the plane
  // on demand, but it is not a viewer action, so not a miss.
  host.wait([&] { return host.eof == 1 && host.count(1) == 2; });
  host.wait_sleeps(3);
  st = stats_of(p);
  CHECK(st.wakes_on_demand == 2);
  CHECK(st.misses == 3);
  CHECK(st.events_submitted == 5);
  {
    std::lock_guard lk(host.mu);
    REQUIRE(host.signals.size() == 5);
    CHECK(host.signals[1] == std::make_pair(1, static_cast<int>(SP_WAKE_ON_DEMAND)));
    CHECK(host.signals[3] == std::make_pair(1, static_cast<int>(SP_WAKE_ON_DEMAND)));
  }

  // Truly asleep: the control thread does not return from its wait.
  int64_t wakeups = stats_of(p).control_wakeups;
  std::this_thread::sleep_for(300ms);
  CHECK(stats_of(p).control_wakeups == wakeups);
  sp_player_destroy(p);
}

TEST_CASE("strict mode: a refused call is a miss that neither wakes the plane nor is logged") {
  ControlHost host;
  sp_player *p = make_player(host, true);
  REQUIRE(sp_open(p, clip().c_str(), nullptr) == SP_OK);
  host.wait_sleeps(1);

  CHECK(sp_play(p) == SP_ERR_INVALID_STATE);
  CHECK(std::string(sp_player_last_error(p)).find("strict") != std::string::npos);
  CHECK(sp_seek(p, 1000, 0) == SP_ERR_INVALID_STATE);
  int state = -1, cstate = -1;
  REQUIRE(sp_get_state(p, &state) == SP_OK);
  CHECK(state == SP_STATE_PAUSED); // not applied
  REQUIRE(sp_get_control_state(p, &cstate, nullptr) == SP_OK);
  CHECK(cstate == SP_CONTROL_ASLEEP); // not woken
  sp_stats st = stats_of(p);
  CHECK(st.misses == 2);
  CHECK(st.wakes_on_demand == 0);
  CHECK(st.events_submitted == 1); // the open only
  {
    std::lock_guard lk(host.mu);
    CHECK(host.count(1) == 0);
  }
  sp_player_destroy(p);
}
