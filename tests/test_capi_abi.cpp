// What include/smartplayer.h promises as an ABI, checked through the public C
// API: the run-time version against the header's, seek flags that are real
// bit flags (0 = absolute + accurate, contradictions refused).
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "smartplayer.h"
#include "support.h"

using namespace sp_test;
using namespace std::chrono_literals;

// Seek flags: one bit each.
static_assert(SP_SEEK_ABSOLUTE == 1 && SP_SEEK_RELATIVE == 2 && SP_SEEK_ACCURATE == 4 && SP_SEEK_KEYFRAME == 8);

namespace {

struct Events {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> types;
  std::vector<int64_t> positions;

  static void on_event(const sp_event *ev, void *user) {
    auto *e = static_cast<Events *>(user);
    std::lock_guard lk(e->mu);
    e->types.push_back(ev->type);
    e->positions.push_back(ev->position_ms);
    e->cv.notify_all();
  }
  static void on_frame(const sp_video_frame *, void *) {}
  size_t count(int type) {
    size_t n = 0;
    for (int t : types) n += t == type;
    return n;
  }
  // Wait for the n-th event of `type`; return its position.
  int64_t wait_nth(int type, size_t n) {
    std::unique_lock lk(mu);
    REQUIRE(cv.wait_for(lk, 20s, [&] { return count(type) >= n; }));
    size_t seen = 0;
    for (size_t i = 0; i < types.size(); ++i)
      if (types[i] == type && ++seen == n) return positions[i];
    return -1;
  }
};

struct Player {
  sp_player *p = nullptr;
  Events ev;
  explicit Player(const std::string &db = "") {
    sp_config *cfg = sp_config_create();
    REQUIRE(cfg);
    REQUIRE(sp_config_set(cfg, "video_output", "callback") == SP_OK);
    REQUIRE(sp_config_set(cfg, "audio_output", "none") == SP_OK);
    if (!db.empty()) REQUIRE(sp_config_set(cfg, "db", db.c_str()) == SP_OK);
    REQUIRE(sp_player_create(cfg, &p) == SP_OK);
    sp_config_destroy(cfg);
    REQUIRE(sp_set_event_callback(p, &Events::on_event, &ev) == SP_OK);
    REQUIRE(sp_set_video_callback(p, &Events::on_frame, SP_PIXEL_RGBA32, &ev) == SP_OK);
  }
  ~Player() { sp_player_destroy(p); }
  Player(const Player &) = delete;
  Player &operator=(const Player &) = delete;
};

std::string clip() {
  ClipSpec spec;
  spec.seconds = 3;
  spec.gop = 25; // keyframes at 0, 1000, 2000 ms
  spec.audio = false;
  return make_clip(spec);
}

} // namespace

TEST_CASE("the run-time version is the header's version, in every form") {
  CHECK(sp_version_number() == SP_VERSION_NUMBER);
  CHECK(SP_VERSION_NUMBER == SP_VERSION_MAJOR * 1000000 + SP_VERSION_MINOR * 1000 + SP_VERSION_PATCH);
  const std::string dotted = std::to_string(SP_VERSION_MAJOR) + "." + std::to_string(SP_VERSION_MINOR) + "." +
                             std::to_string(SP_VERSION_PATCH);
  CHECK(std::string(SP_VERSION_STRING) == dotted);
  CHECK(std::string(sp_version_string()) == dotted);
  // The build takes its version (soname, pkg-config, CMake package) from the header.
  const char *project = std::getenv("SP_PROJECT_VERSION");
  REQUIRE(project);
  CHECK(std::string(project) == dotted);
}

TEST_CASE("seek flags: 0 is absolute and accurate, each flag its own bit, contradictions refused") {
  Player pl;
  REQUIRE(sp_open(pl.p, clip().c_str(), nullptr) == SP_OK);
  int64_t pos = -1;
  size_t done = 0;
  auto seek_to = [&](int64_t target, int flags) {
    REQUIRE(sp_seek(pl.p, target, flags) == SP_OK);
    int64_t landed = pl.ev.wait_nth(SP_EVENT_SEEK_DONE, ++done);
    REQUIRE(sp_get_position_ms(pl.p, &pos) == SP_OK);
    CHECK(pos == landed);
    return landed;
  };
  // 0: absolute target, landing on the frame at or before it (25 fps: 40 ms frames).
  CHECK(seek_to(1250, 0) == 1240);
  CHECK(seek_to(1250, SP_SEEK_ABSOLUTE) == 1240);
  CHECK(seek_to(1250, SP_SEEK_ACCURATE) == 1240);
  CHECK(seek_to(1250, SP_SEEK_ABSOLUTE | SP_SEEK_ACCURATE) == 1240);
  // Keyframe: the keyframe at or before the target.
  CHECK(seek_to(2600, SP_SEEK_KEYFRAME) == 2000);
  CHECK(seek_to(1500, SP_SEEK_ABSOLUTE | SP_SEEK_KEYFRAME) == 1000);
  // Relative: from where it is (1000), accurate unless told otherwise.
  CHECK(seek_to(250, SP_SEEK_RELATIVE) == 1240);
  CHECK(seek_to(-250, SP_SEEK_RELATIVE | SP_SEEK_ACCURATE) == 960);
  CHECK(seek_to(1100, SP_SEEK_RELATIVE | SP_SEEK_KEYFRAME) == 2000);

  sp_stats before{};
  before.struct_size = sizeof before;
  REQUIRE(sp_get_stats(pl.p, &before) == SP_OK);
  struct Bad {
    int flags;
    const char *needle;
  };
  for (Bad bad : {Bad{SP_SEEK_ABSOLUTE | SP_SEEK_RELATIVE, "SP_SEEK_RELATIVE"},
                  Bad{SP_SEEK_ACCURATE | SP_SEEK_KEYFRAME, "SP_SEEK_KEYFRAME"},
                  Bad{SP_SEEK_RELATIVE | SP_SEEK_ABSOLUTE | SP_SEEK_KEYFRAME, "SP_SEEK_ABSOLUTE"},
                  Bad{16, "unknown flag"}, Bad{-1, "unknown flag"}}) {
    INFO("flags " << bad.flags);
    CHECK(sp_seek(pl.p, 500, bad.flags) == SP_ERR_INVALID_ARGUMENT);
    CHECK(std::string(sp_player_last_error(pl.p)).find(bad.needle) != std::string::npos);
  }
  // Refused seeks change nothing and are not submitted to the log.
  REQUIRE(sp_get_position_ms(pl.p, &pos) == SP_OK);
  CHECK(pos == 2000);
  sp_stats after{};
  after.struct_size = sizeof after;
  REQUIRE(sp_get_stats(pl.p, &after) == SP_OK);
  CHECK(after.events_submitted == before.events_submitted);
}
