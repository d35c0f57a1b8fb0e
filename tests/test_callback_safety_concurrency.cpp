// [callback-safe] holds from every callback (issue 8, item 5): sp_stop,
// sp_seek and sp_pause called from inside the video callback (sp-present),
// the event callback (sp-events) and the control callback (sp-control) take
// effect (state, position, events), and nothing deadlocks, joins its own
// thread or crashes. Real decoding of a clip made here, SDL audio with the
// dummy driver, the public C API only. A hang fails through CTest's timeout.
// Runs under ThreadSanitizer in CI (label "concurrency").
#include <catch2/catch.hpp>

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "smartplayer.h"
#include "support.h"

using namespace sp_test;
using namespace std::chrono_literals;

namespace {

enum class Where { Video, Event, Control };
enum class Action { Stop, Seek, Pause, Open, Destroy };

const char *name_of(Where w) {
  switch (w) {
  case Where::Video:
    return "video callback";
  case Where::Event:
    return "event callback";
  case Where::Control:
    return "control callback";
  }
  return "?";
}
const char *name_of(Action a) {
  switch (a) {
  case Action::Stop:
    return "sp_stop";
  case Action::Seek:
    return "sp_seek";
  case Action::Pause:
    return "sp_pause";
  case Action::Open:
    return "sp_open";
  case Action::Destroy:
    return "sp_player_destroy";
  }
  return "?";
}

constexpr int64_t kSeekTarget = 2000; // a frame boundary at 25 fps
constexpr int64_t kFrameMs = 40;

std::string thread_name() {
  char buf[32] = {};
  pthread_getname_np(pthread_self(), buf, sizeof buf);
  return buf;
}

// The host: makes the call under test once, from inside the chosen callback,
// once playback is under way; records what it saw. Catch2's macros stay on
// the test's thread: the callbacks only record.
struct Host {
  Where where;
  Action action;
  sp_player *p = nullptr;
  std::string media; // what Action::Open opens

  std::mutex mu;
  std::condition_variable cv;
  std::atomic<bool> armed{false};
  bool fired = false;             // the call was made (and returned)
  int result = -100;              // what it returned
  int state_after = -1;           // sp_get_state right after it returned, on the same thread
  int64_t position_after = -1;    // sp_get_position_ms likewise
  std::string thread;             // where the callback ran
  std::atomic<int64_t> frames{0}; // video callbacks begun
  int64_t frames_at_return = -1;  // frames begun when the call returned
  std::vector<int64_t> pts_after; // pictures shown after the call returned
  struct Ev {
    int type;
    int64_t value, position;
  };
  std::vector<Ev> events;
  std::vector<std::pair<int, int>> control; // (awake, reason)

  Host(Where w, Action a) : where(w), action(a) {}

  void act() {
    bool expected = true;
    if (!armed.compare_exchange_strong(expected, false)) return; // once
    int r = SP_ERR_INTERNAL;
    switch (action) {
    case Action::Stop:
      r = sp_stop(p);
      break;
    case Action::Seek:
      r = sp_seek(p, kSeekTarget, 0);
      break;
    case Action::Pause:
      r = sp_pause(p);
      break;
    case Action::Open:
      r = sp_open(p, media.c_str(), nullptr);
      break;
    case Action::Destroy:
      sp_player_destroy(p);
      r = SP_OK;
      break;
    }
    int st = -1;
    int64_t pos = -1;
    if (action != Action::Destroy) { // the handle is the library's now
      sp_get_state(p, &st);
      sp_get_position_ms(p, &pos);
    }
    std::lock_guard lk(mu);
    fired = true;
    result = r;
    state_after = st;
    position_after = pos;
    thread = thread_name();
    frames_at_return = frames.load();
    cv.notify_all();
  }

  static void on_frame(const sp_video_frame *f, void *user) {
    auto *h = static_cast<Host *>(user);
    {
      std::lock_guard lk(h->mu);
      h->frames.fetch_add(1);
      if (h->fired) h->pts_after.push_back(f->pts_ms);
      h->cv.notify_all();
    }
    if (h->where == Where::Video && f->pts_ms >= 400) h->act();
  }
  static void on_event(const sp_event *ev, void *user) {
    auto *h = static_cast<Host *>(user);
    {
      std::lock_guard lk(h->mu);
      h->events.push_back({ev->type, ev->value, ev->position_ms});
      h->cv.notify_all();
    }
    // Once a second while playing (always-on keeps the plane awake).
    if (h->where == Where::Event && ev->type == SP_EVENT_PROGRESS && ev->value >= 400) h->act();
  }
  static void on_control(int awake, int reason, void *user) {
    auto *h = static_cast<Host *>(user);
    {
      std::lock_guard lk(h->mu);
      h->control.emplace_back(awake, reason);
      h->cv.notify_all();
    }
    // The plane falls asleep timeout_s after the sp_play that woke it.
    if (h->where == Where::Control && awake == 0 && h->armed.load()) {
      int st = -1;
      sp_get_state(h->p, &st);
      if (st == SP_STATE_PLAYING) h->act();
    }
  }

  template <class Pred> bool wait(Pred pred, std::chrono::seconds timeout = 30s) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, timeout, pred);
  }
  bool saw_event(int type, int64_t value) {
    for (const auto &e : events)
      if (e.type == type && e.value == value) return true;
    return false;
  }
  const Ev *find_event(int type) {
    for (const auto &e : events)
      if (e.type == type) return &e;
    return nullptr;
  }
};

sp_player *make_player(Host &host) {
  sp_config *cfg = sp_config_create();
  REQUIRE(cfg);
  REQUIRE(sp_config_set(cfg, "video_output", "callback") == SP_OK);
  REQUIRE(sp_config_set(cfg, "audio_output", "sdl") == SP_OK); // SDL's dummy driver
  if (host.where == Where::Control) {
    REQUIRE(sp_config_set(cfg, "policy", "fixed-timeout") == SP_OK);
    REQUIRE(sp_config_set(cfg, "timeout_s", "0.3") == SP_OK);
  } else {
    REQUIRE(sp_config_set(cfg, "policy", "always-on") == SP_OK);
  }
  sp_player *p = nullptr;
  REQUIRE(sp_player_create(cfg, &p) == SP_OK);
  sp_config_destroy(cfg);
  host.p = p;
  REQUIRE(sp_set_video_callback(p, &Host::on_frame, SP_PIXEL_YUV420P, &host) == SP_OK);
  REQUIRE(sp_set_event_callback(p, &Host::on_event, &host) == SP_OK);
  REQUIRE(sp_set_control_callback(p, &Host::on_control, &host) == SP_OK);
  return p;
}

constexpr int64_t kClipMs = 8000; // long enough to be playing still when the checks run

std::string clip() {
  ClipSpec spec;
  spec.seconds = static_cast<int>(kClipMs / 1000);
  return make_clip(spec);
}

// Every library thread of this process (sp-destroy included).
int library_threads() {
  int n = 0;
  for (const auto &t : thread_switches())
    n += t.name.rfind("sp-", 0) == 0;
  return n;
}

// Threads of an engine (sp-demux is one per open media).
int engine_threads() {
  int n = 0;
  for (const auto &t : thread_switches())
    n += t.name == "sp-demux" || t.name == "sp-present" || t.name == "sp-vdec" || t.name == "sp-adec";
  return n;
}

int64_t frames_after(Host &h) {
  std::lock_guard lk(h.mu);
  return h.frames.load() - h.frames_at_return;
}

void run_case(Where where, Action action) {
  INFO(name_of(action) << " from the " << name_of(where));
  // A player destroyed from its callback gives no signal when it is gone
  // (the test sees its threads leave /proc, which orders nothing): its
  // host is kept for the rest of the process, as a real host would keep
  // what its callbacks use.
  static std::list<Host> kept;
  std::optional<Host> local;
  Host &host = action == Action::Destroy ? kept.emplace_back(where, action) : local.emplace(where, action);
  host.media = clip();
  sp_player *p = make_player(host);
  REQUIRE(sp_open(p, clip().c_str(), nullptr) == SP_OK);
  host.armed.store(true);
  const int play = sp_play(p);
  INFO(sp_player_last_error(p));
  REQUIRE(play == SP_OK);
  REQUIRE(host.wait([&] { return host.fired; }));

  const char *expected_thread = where == Where::Video   ? "sp-present"
                                : where == Where::Event ? "sp-events"
                                                        : "sp-control";
  {
    std::lock_guard lk(host.mu);
    CHECK(host.thread == expected_thread);
    // sp_open waits for the engine's and the control plane's threads: from
    // their callbacks it is refused, from the event thread's it opens.
    if (action == Action::Open && where != Where::Event) {
      CHECK(host.result == SP_ERR_INVALID_STATE);
    } else {
      CHECK(host.result == SP_OK);
    }
  }
  // A call already under way elsewhere when it returned may still hand over
  // one picture; from the video callback itself, none.
  const int64_t max_frames_after = where == Where::Video ? 0 : 1;

  switch (action) {
  case Action::Stop: {
    {
      std::lock_guard lk(host.mu);
      CHECK(host.state_after == SP_STATE_STOPPED); // in effect when it returned
      // Where it stopped (the control callback may come before the first
      // picture after play under a slow sanitizer: 0 is possible there).
      if (where == Where::Video) CHECK(host.position_after >= 400);
      CHECK(host.position_after >= 0);
      CHECK(host.position_after <= kClipMs);
    }
    REQUIRE(host.wait([&] { return host.saw_event(SP_EVENT_STATE_CHANGED, SP_STATE_STOPPED); }));
    int st = -1;
    REQUIRE(sp_get_state(p, &st) == SP_OK);
    CHECK(st == SP_STATE_STOPPED);
    // Stopped is stopped: control calls are refused, and the engine's
    // threads, closed on sp-events after the callback returned, are gone.
    CHECK(sp_play(p) == SP_ERR_INVALID_STATE);
    auto until = std::chrono::steady_clock::now() + 30s;
    while (engine_threads() > 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(10ms);
    CHECK(engine_threads() == 0);
    CHECK(frames_after(host) <= max_frames_after);
    int64_t pos = -1;
    REQUIRE(sp_get_position_ms(p, &pos) == SP_OK);
    {
      std::lock_guard lk(host.mu);
      CHECK(pos == host.position_after); // where it stopped
    }
    // The player is whole: the same media opens and plays again.
    REQUIRE(sp_open(p, clip().c_str(), nullptr) == SP_OK);
    const int64_t before = host.frames.load();
    REQUIRE(sp_play(p) == SP_OK);
    REQUIRE(host.wait([&] { return host.frames.load() >= before + 5; }));
    break;
  }
  case Action::Seek: {
    int64_t landed = -1;
    REQUIRE(host.wait([&] {
      const Host::Ev *done = host.find_event(SP_EVENT_SEEK_DONE);
      if (done) landed = done->position;
      return done != nullptr;
    }));
    {
      std::lock_guard lk(host.mu);
      // The target while the seek is under way (then the picture shown).
      CHECK(host.position_after >= kSeekTarget - kFrameMs);
      CHECK(host.position_after < kSeekTarget + 1000);
    }
    CHECK(landed <= kSeekTarget); // accurate: the frame at or before the target
    CHECK(landed >= kSeekTarget - kFrameMs);
    // Playback goes on from there: the pictures that follow are at the target.
    REQUIRE(host.wait([&] { return host.pts_after.size() >= 10; }));
    {
      std::lock_guard lk(host.mu);
      // The first few may be ones in flight before the seek took hold.
      const int64_t last = host.pts_after.back();
      CHECK(last >= kSeekTarget - kFrameMs);
      CHECK(last < kSeekTarget + 2000);
    }
    int st = -1;
    REQUIRE(sp_get_state(p, &st) == SP_OK);
    CHECK(st == SP_STATE_PLAYING);
    break;
  }
  case Action::Pause: {
    {
      std::lock_guard lk(host.mu);
      CHECK(host.state_after == SP_STATE_PAUSED);
    }
    REQUIRE(host.wait([&] { return host.saw_event(SP_EVENT_STATE_CHANGED, SP_STATE_PAUSED); }));
    // Paused: the picture stays (nothing new is shown while the test waits).
    int64_t pos1 = -1, pos2 = -1;
    REQUIRE(sp_get_position_ms(p, &pos1) == SP_OK);
    std::this_thread::sleep_for(300ms);
    REQUIRE(sp_get_position_ms(p, &pos2) == SP_OK);
    CHECK(pos1 == pos2);
    CHECK(frames_after(host) <= max_frames_after);
    int st = -1;
    REQUIRE(sp_get_state(p, &st) == SP_OK);
    CHECK(st == SP_STATE_PAUSED);
    // And it plays on.
    const int64_t before = host.frames.load();
    REQUIRE(sp_play(p) == SP_OK);
    REQUIRE(host.wait([&] { return host.frames.load() >= before + 5; }));
    break;
  }
  case Action::Open: {
    if (where == Where::Event) {
      // The new media is open, paused at its start, and plays.
      std::lock_guard lk(host.mu);
      CHECK(host.state_after == SP_STATE_PAUSED);
      CHECK(host.position_after == 0);
    } else {
      // Refused, and nothing changed: still playing.
      std::lock_guard lk(host.mu);
      CHECK(host.state_after == SP_STATE_PLAYING);
    }
    const int64_t before = host.frames.load();
    REQUIRE(sp_play(p) == SP_OK);
    REQUIRE(host.wait([&] { return host.frames.load() >= before + 5; }));
    break;
  }
  case Action::Destroy: {
    // It returned at once; the player goes on a thread of its own once the
    // callback has returned, and with it every library thread.
    auto until = std::chrono::steady_clock::now() + 30s;
    while (library_threads() > 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(10ms);
    CHECK(library_threads() == 0);
    return;
  }
  }
  sp_player_destroy(p); // joins every thread: a deadlock would hang here
}

} // namespace

TEST_CASE("sp_open from the event callback opens; from the video and control callbacks it is refused") {
  for (Where w : {Where::Event, Where::Video, Where::Control})
    run_case(w, Action::Open);
}

TEST_CASE("sp_player_destroy from any callback returns at once and destroys the player after it") {
  for (Where w : {Where::Event, Where::Video, Where::Control})
    run_case(w, Action::Destroy);
}

TEST_CASE("sp_stop, sp_seek and sp_pause from the video callback (sp-present)") {
  for (Action a : {Action::Stop, Action::Seek, Action::Pause})
    run_case(Where::Video, a);
}

TEST_CASE("sp_stop, sp_seek and sp_pause from the event callback (sp-events)") {
  for (Action a : {Action::Stop, Action::Seek, Action::Pause})
    run_case(Where::Event, a);
}

TEST_CASE("sp_stop, sp_seek and sp_pause from the control callback (sp-control)") {
  for (Action a : {Action::Stop, Action::Seek, Action::Pause})
    run_case(Where::Control, a);
}

TEST_CASE("sp_stop from the event callback at the end of the file, then a new open") {
  struct EofHost {
    sp_player *p = nullptr;
    std::mutex mu;
    std::condition_variable cv;
    int stop_result = -100;
    int stops = 0;
    static void on_event(const sp_event *ev, void *user) {
      auto *h = static_cast<EofHost *>(user);
      if (ev->type == SP_EVENT_END_OF_FILE) {
        int r = sp_stop(h->p);
        std::lock_guard lk(h->mu);
        h->stop_result = r;
        h->cv.notify_all();
      } else if (ev->type == SP_EVENT_STATE_CHANGED && ev->value == SP_STATE_STOPPED) {
        std::lock_guard lk(h->mu);
        ++h->stops;
        h->cv.notify_all();
      }
    }
  } host;
  sp_config *cfg = sp_config_create();
  REQUIRE(sp_config_set(cfg, "video_output", "none") == SP_OK);
  REQUIRE(sp_config_set(cfg, "audio_output", "sdl") == SP_OK);
  sp_player *p = nullptr;
  REQUIRE(sp_player_create(cfg, &p) == SP_OK);
  sp_config_destroy(cfg);
  host.p = p;
  REQUIRE(sp_set_event_callback(p, &EofHost::on_event, &host) == SP_OK);
  ClipSpec spec;
  spec.seconds = 1;
  const std::string short_clip = make_clip(spec);
  for (int round = 1; round <= 2; ++round) {
    INFO("round " << round);
    REQUIRE(sp_open(p, short_clip.c_str(), nullptr) == SP_OK);
    {
      std::lock_guard lk(host.mu);
      host.stop_result = -100;
    }
    REQUIRE(sp_play(p) == SP_OK);
    std::unique_lock lk(host.mu);
    REQUIRE(host.cv.wait_for(lk, 30s, [&] { return host.stop_result != -100 && host.stops == round; }));
    CHECK(host.stop_result == SP_OK);
    int st = -1;
    REQUIRE(sp_get_state(p, &st) == SP_OK);
    CHECK(st == SP_STATE_STOPPED);
  }
  sp_player_destroy(p);
}

TEST_CASE(
    "a control callback that runs inside sp_open may make control calls; they are refused, nothing waits") {
  // The plane sleeps after the first open; the second sp_open begins a new
  // session, which wakes it: the host's wake callback then runs while sp_open
  // waits for the session to be logged.
  struct OpenHost {
    sp_player *p = nullptr;
    std::mutex mu;
    std::condition_variable cv;
    int sleeps = 0;
    std::vector<int> results; // calls made from wake callbacks while OPENING
    static void on_control(int awake, int, void *user) {
      auto *h = static_cast<OpenHost *>(user);
      int st = -1;
      sp_get_state(h->p, &st);
      std::vector<int> r;
      if (awake && st == SP_STATE_OPENING) {
        r.push_back(sp_pause(h->p));
        r.push_back(sp_seek(h->p, 500, 0));
        r.push_back(sp_stop(h->p));
      }
      std::lock_guard lk(h->mu);
      if (!awake) ++h->sleeps;
      h->results.insert(h->results.end(), r.begin(), r.end());
      h->cv.notify_all();
    }
  } host;
  sp_config *cfg = sp_config_create();
  REQUIRE(sp_config_set(cfg, "video_output", "none") == SP_OK);
  REQUIRE(sp_config_set(cfg, "audio_output", "none") == SP_OK);
  REQUIRE(sp_config_set(cfg, "policy", "fixed-timeout") == SP_OK);
  REQUIRE(sp_config_set(cfg, "timeout_s", "0.05") == SP_OK);
  sp_player *p = nullptr;
  REQUIRE(sp_player_create(cfg, &p) == SP_OK);
  sp_config_destroy(cfg);
  host.p = p;
  REQUIRE(sp_set_control_callback(p, &OpenHost::on_control, &host) == SP_OK);
  const std::string c = clip();
  REQUIRE(sp_open(p, c.c_str(), nullptr) == SP_OK);
  {
    std::unique_lock lk(host.mu);
    REQUIRE(host.cv.wait_for(lk, 30s, [&] { return host.sleeps >= 1; }));
  }
  REQUIRE(sp_open(p, c.c_str(), nullptr) == SP_OK); // deadlocked before: sp_open held the control lock
  {
    std::lock_guard lk(host.mu);
    REQUIRE(host.results.size() == 3);
    for (int r : host.results)
      CHECK(r == SP_ERR_INVALID_STATE); // nothing is open yet
  }
  int st = -1;
  REQUIRE(sp_get_state(p, &st) == SP_OK);
  CHECK(st == SP_STATE_PAUSED);
  REQUIRE(sp_play(p) == SP_OK);
  sp_player_destroy(p);
}
