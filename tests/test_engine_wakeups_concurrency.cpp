// The whole player sleeps (issue 8): real decoding of clips made here, real
// SDL audio (dummy driver), counts from the kernel (/proc/self/task/*/status).
//  - every thread the library starts is named sp-<role>;
//  - paused, and after the end of the file, the library's threads wake at
//    most once in 5 s together, and SDL's audio device (its thread) is gone;
//  - playing, the presenter wakes about once per picture, the demux thread
//    reads in bursts, the audio decoder refills in bursts;
//  - after a 10 s pause (long enough for the device to be released) playback
//    resumes in sync and not one audio sample is lost or played twice.
// Counts of wake-ups, never timings. Runs under ThreadSanitizer in CI (label
// "concurrency").
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>
#include <vector>

#include "player/player.h"
#include "support.h"

using namespace sp_test;
using namespace std::chrono_literals;

namespace {

struct Host {
  std::mutex mu;
  struct Shown {
    int64_t pts_ms;
    int64_t audio_clock_ms; // the audio clock (the master) when it was shown
  };
  std::vector<Shown> shown;
  std::atomic<int64_t> frames{0};
  std::atomic<bool> ended{false};
  sp::Player *player = nullptr;

  static void on_frame(const sp_video_frame *f, void *user) {
    auto *h = static_cast<Host *>(user);
    int64_t clock = h->player->audio_clock_ms();
    h->frames.fetch_add(1);
    std::lock_guard lk(h->mu);
    h->shown.push_back({f->pts_ms, clock});
  }
  static void on_event(const sp_event *ev, void *user) {
    auto *h = static_cast<Host *>(user);
    if (ev->type == SP_EVENT_END_OF_FILE) h->ended.store(true);
  }
};

std::unique_ptr<sp::Player> make_player(const std::string &db, Host &host, int release_ms = 300) {
  sp::PlayerConfig cfg;
  cfg.video_output = sp::PlayerConfig::Output::Callback;
  cfg.audio_output = sp::PlayerConfig::Output::Sdl; // SDL's dummy driver in tests
  cfg.audio_release_ms = release_ms;
  cfg.db = db;
  cfg.policy = "always-on"; // no scheduled wake of the control plane in the way
  cfg.online_learning = false;
  std::unique_ptr<sp::Player> p;
  std::string err;
  REQUIRE(sp::Player::create(cfg, p, err) == SP_OK);
  host.player = p.get();
  REQUIRE(p->set_video_callback(&Host::on_frame, SP_PIXEL_YUV420P, &host) == SP_OK);
  REQUIRE(p->set_event_callback(&Host::on_event, &host) == SP_OK);
  return p;
}

template <class Pred> bool eventually(Pred pred, std::chrono::milliseconds timeout = 20s) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

bool sdl_audio_thread_running() {
  for (const auto &t : thread_switches())
    if (t.name.rfind("SDLAudio", 0) == 0) return true;
  return false;
}

// The library's threads over 5 s of the test thread sleeping.
std::vector<ThreadSwitches> five_quiet_seconds() {
  auto before = thread_switches();
  std::this_thread::sleep_for(5s);
  return switches_between(before, thread_switches());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

TEST_CASE("every library thread is named sp-<role>; paused, they do not wake and the audio device is released") {
  ClipSpec spec;
  spec.seconds = 6;
  std::string clip = make_clip(spec);
  TempDir dir;
  Host host;
  auto player = make_player(dir.file("log.db"), host);
  REQUIRE(player->open(clip.c_str(), nullptr) == SP_OK);
  REQUIRE(player->play() == SP_OK);
  REQUIRE(eventually([&] { return host.frames.load() >= 15; }));

  // Playing: demux, both decoders (and FFmpeg's workers, which inherit the
  // video decoder's name), presenter, control, events. The only other
  // threads are this test's and SDL's audio device thread.
  const ThreadSwitches self = this_thread_switches();
  std::vector<std::string> names;
  bool sanitizer_thread_seen = false;
  for (const auto &t : thread_switches()) {
    if (t.tid == self.tid) continue;
    if (kThreadSanitizer && t.name == self.name && !sanitizer_thread_seen) {
      sanitizer_thread_seen = true; // ThreadSanitizer's background thread
      continue;
    }
    names.push_back(t.name);
    INFO("thread " << t.tid << " is named '" << t.name << "'");
    CHECK((t.name.rfind("sp-", 0) == 0 || t.name.rfind("SDLAudio", 0) == 0));
    CHECK(t.name.size() <= 15);
  }
  for (const char *role : {"sp-demux", "sp-vdec", "sp-adec", "sp-present", "sp-control", "sp-events"})
    CHECK(std::count(names.begin(), names.end(), role) >= 1);

  REQUIRE(player->pause() == SP_OK);
  // The device is paused at once and released 300 ms later (SDL's audio
  // thread ends with it); give the log its batch commit as well.
  REQUIRE(eventually([&] { return !player->audio_device_open(); }));
  std::this_thread::sleep_for(400ms);
  CHECK_FALSE(sdl_audio_thread_running());
  auto delta = five_quiet_seconds();
  INFO("paused, 5 s: " << describe(delta));
  CHECK(total_switches(delta, "sp-") <= 1); // goal: 0
  CHECK_FALSE(sdl_audio_thread_running());

  // And it plays on: the device comes back.
  int64_t shown = host.frames.load();
  REQUIRE(player->play() == SP_OK);
  CHECK(player->audio_device_open());
  REQUIRE(eventually([&] { return host.frames.load() >= shown + 10; }));
}

TEST_CASE("ended, the library's threads do not wake either") {
  ClipSpec spec;
  spec.seconds = 2;
  std::string clip = make_clip(spec);
  TempDir dir;
  Host host;
  auto player = make_player(dir.file("log.db"), host);
  REQUIRE(player->open(clip.c_str(), nullptr) == SP_OK);
  REQUIRE(player->play() == SP_OK);
  REQUIRE(eventually([&] { return host.ended.load(); }));
  CHECK(player->get_state() == SP_STATE_ENDED);
  REQUIRE(eventually([&] { return !player->audio_device_open(); }));
  std::this_thread::sleep_for(400ms);
  auto delta = five_quiet_seconds();
  INFO("ended, 5 s: " << describe(delta));
  CHECK(total_switches(delta, "sp-") <= 1);
  CHECK_FALSE(sdl_audio_thread_running());
}

TEST_CASE("playing: the presenter wakes about once per picture, demux and audio decoder in bursts") {
  ClipSpec spec;
  spec.seconds = 6;
  std::string clip = make_clip(spec);
  TempDir dir;
  Host host;
  auto player = make_player(dir.file("log.db"), host);
  REQUIRE(player->open(clip.c_str(), nullptr) == SP_OK);
  REQUIRE(player->play() == SP_OK);
  REQUIRE(eventually([&] { return host.frames.load() >= 10; }));
  auto before = thread_switches();
  int64_t shown0 = player->engine_stats().frames_displayed;
  int64_t played0 = player->audio_continuity().frames_played;
  std::this_thread::sleep_for(3s);
  auto delta = switches_between(before, thread_switches());
  int64_t shown = player->engine_stats().frames_displayed - shown0;
  int64_t periods = (player->audio_continuity().frames_played - played0) / 1024; // 1024-frame periods
  INFO("3 s playing, " << shown << " pictures, ~" << periods << " audio periods: " << describe(delta));
  REQUIRE(shown >= 50); // 25 fps
  // Voluntary switches: each is one sleep ended (being preempted on a busy
  // machine is not a wake-up).
  long present = 0, demux = 0, adec = 0;
  for (const auto &t : delta) {
    if (t.name == "sp-present") present += t.voluntary;
    if (t.name == "sp-demux") demux += t.voluntary;
    if (t.name == "sp-adec") adec += t.voluntary;
  }
  if (kThreadSanitizer) return; // its slow locks add blocking that is not waiting for work
  CHECK(present <= shown * 3 / 2);
  // ~75 video and ~140 audio packets went through the queues; the demux
  // thread woke for a few bursts, not per packet.
  CHECK(demux <= shown / 5);
  // The audio decoder refills half the ring at a time, not once per period.
  CHECK(adec <= std::max<int64_t>(periods / 2, 1));
}

TEST_CASE("a 10 s pause releases the audio device; playing again keeps A/V sync and loses or repeats no audio") {
  ClipSpec spec;
  spec.seconds = 8;
  std::string clip = make_clip(spec);
  TempDir dir;
  Host host;
  auto player = make_player(dir.file("log.db"), host, 3000); // the default release delay
  REQUIRE(player->open(clip.c_str(), nullptr) == SP_OK);
  REQUIRE(player->play() == SP_OK);
  REQUIRE(eventually([&] { return host.frames.load() >= 40; }));
  REQUIRE(player->pause() == SP_OK);
  size_t before_pause;
  {
    std::lock_guard lk(host.mu);
    before_pause = host.shown.size();
  }
  auto at_pause = player->audio_continuity();
  std::this_thread::sleep_for(10s);
  CHECK_FALSE(player->audio_device_open());
  CHECK_FALSE(sdl_audio_thread_running());
  auto after_pause = player->audio_continuity();
  CHECK(after_pause.frames_played == at_pause.frames_played); // nothing played while paused
  REQUIRE(player->play() == SP_OK);
  CHECK(player->audio_device_open());
  REQUIRE(eventually([&] { return host.frames.load() >= static_cast<int64_t>(before_pause) + 50; }));
  REQUIRE(player->pause() == SP_OK);

  // Every sample once: one run from the start, its frame count matching the
  // media time it covers, no read that did not continue the previous one.
  auto c = player->audio_continuity();
  const double step = 1.0 / player->audio_out_rate();
  INFO("played " << c.run_frames << " frames from " << c.run_from << " s to " << c.last_pts << " s");
  CHECK(c.discontinuities == 0);
  CHECK(c.run_frames == c.frames_played);
  CHECK(std::fabs(c.run_from + static_cast<double>(c.run_frames) * step - c.last_pts) < step);
  CHECK(c.last_pts > at_pause.last_pts + 1.5); // it went on from where it paused

  // A/V sync: when a picture is shown, the audio clock (the master) is at its
  // timestamp, give or take ffplay's sync threshold (40 ms at 25 fps): as
  // much so after the pause as before it.
  std::vector<double> before, after;
  {
    std::lock_guard lk(host.mu);
    for (size_t i = 0; i < host.shown.size(); ++i) {
      const auto &s = host.shown[i];
      if (s.audio_clock_ms == INT64_MIN || s.pts_ms < 500) continue;
      double err = std::fabs(static_cast<double>(s.audio_clock_ms - s.pts_ms));
      if (i < before_pause) before.push_back(err);
      else if (i >= before_pause + 2) after.push_back(err); // the first picture waits for the device
    }
  }
  REQUIRE(before.size() >= 20);
  REQUIRE(after.size() >= 30);
  std::sort(before.begin(), before.end());
  std::sort(after.begin(), after.end());
  const double p95_before = before[before.size() * 95 / 100];
  const double p95_after = after[after.size() * 95 / 100];
  INFO("|audio clock - picture| median " << median(before) << " ms before the pause, " << median(after)
                                         << " ms after; 95th percentile " << p95_before << " ms before, "
                                         << p95_after << " ms after");
  CHECK(median(before) <= 40);
  CHECK(median(after) <= 40);
  // The tail: 80 ms, or no worse than before the pause when the machine was
  // as slow then (a picture shown late because the present thread was not
  // scheduled is the machine's, not the pause's; this test runs alone in
  // CTest, see tests/CMakeLists.txt, but CI machines are shared).
  CHECK(p95_after <= std::max(80.0, p95_before + 40));
}
