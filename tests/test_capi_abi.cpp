// What include/smartplayer.h promises as an ABI, checked through the public C
// API: the run-time version against the header's, seek flags that are real
// bit flags (0 = absolute + accurate, contradictions refused), versioned
// structs (an older, smaller struct keeps working; a newer, larger one is
// honoured or refused), the values that are stored or frozen, and the one
// piece of thread-local state.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <sqlite3.h>
#include <string>
#include <thread>

#include "smartplayer.h"
#include "support.h"

using namespace sp_test;
using namespace std::chrono_literals;

// ---- values that are stored in databases or frozen by the ABI ----
static_assert(SP_OK == 0 && SP_ERR_INVALID_ARGUMENT == -1 && SP_ERR_INVALID_STATE == -2 &&
              SP_ERR_NOT_FOUND == -3 && SP_ERR_IO == -4 && SP_ERR_FORMAT == -5 && SP_ERR_NO_VIDEO == -6 &&
              SP_ERR_NETWORK == -7 && SP_ERR_DB == -8 && SP_ERR_DB_LOCKED == -9 && SP_ERR_DB_CORRUPT == -10 &&
              SP_ERR_DB_READONLY == -11 && SP_ERR_NO_MEMORY == -12 && SP_ERR_UNSUPPORTED == -13 &&
              SP_ERR_AUDIO_DEVICE == -14 && SP_ERR_VIDEO_DEVICE == -15 && SP_ERR_INTERNAL == -16);
static_assert(SP_KIND_OPEN == 0 && SP_KIND_PLAY == 1 && SP_KIND_PAUSE == 2 && SP_KIND_SEEK == 3 &&
              SP_KIND_SKIP == 4 && SP_KIND_VOLUME == 5 && SP_KIND_MUTE == 6 && SP_KIND_RATE == 7 &&
              SP_KIND_STOP == 8 && SP_KIND_STEP == 9 && SP_KIND_END == 10);
static_assert(SP_STATE_IDLE == 0 && SP_STATE_OPENING == 1 && SP_STATE_PAUSED == 2 && SP_STATE_PLAYING == 3 &&
              SP_STATE_ENDED == 4 && SP_STATE_STOPPED == 5);
static_assert(SP_WAKE_PROACTIVE == 1 && SP_WAKE_ON_DEMAND == 2);
static_assert(SP_CONTROL_AWAKE == 0 && SP_CONTROL_ASLEEP == 1 && SP_CONTROL_WAKING == 2);
// Seek flags: one bit each.
static_assert(SP_SEEK_ABSOLUTE == 1 && SP_SEEK_RELATIVE == 2 && SP_SEEK_ACCURATE == 4 &&
              SP_SEEK_KEYFRAME == 8);
// Every growable struct begins with its size; sp_window is frozen at two positions.
static_assert(offsetof(sp_media_meta, struct_size) == 0 && offsetof(sp_media_info, struct_size) == 0 &&
              offsetof(sp_stats, struct_size) == 0 && offsetof(sp_event, struct_size) == 0 &&
              offsetof(sp_video_frame, struct_size) == 0);
static_assert(sizeof(sp_window) == 2 * sizeof(int64_t));

namespace {

struct Events {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> types;
  std::vector<int64_t> positions;
  size_t event_size = 0, frame_size = 0;
  bool has_message_field = false;

  static void on_event(const sp_event *ev, void *user) {
    auto *e = static_cast<Events *>(user);
    std::lock_guard lk(e->mu);
    e->types.push_back(ev->type);
    e->positions.push_back(ev->position_ms);
    e->event_size = ev->struct_size;
    e->has_message_field = SP_HAS_FIELD(ev, sp_event, message);
    e->cv.notify_all();
  }
  static void on_frame(const sp_video_frame *f, void *user) {
    auto *e = static_cast<Events *>(user);
    std::lock_guard lk(e->mu);
    e->frame_size = f->struct_size;
    e->cv.notify_all();
  }
  size_t count(int type) {
    size_t n = 0;
    for (int t : types)
      n += t == type;
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

std::string query_text(const std::string &db, const std::string &sql) {
  sqlite3 *h = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  std::unique_ptr<sqlite3, int (*)(sqlite3 *)> own(h, sqlite3_close);
  sqlite3_stmt *st = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(st) == SQLITE_ROW) out = reinterpret_cast<const char *>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return out;
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

TEST_CASE("sp_stats: an older, smaller struct gets the fields it has and nothing past them") {
  Player pl;
  REQUIRE(sp_open(pl.p, clip().c_str(), nullptr) == SP_OK);
  REQUIRE(sp_play(pl.p) == SP_OK);
  REQUIRE(sp_pause(pl.p) == SP_OK);

  // What a 1.0-era program might have had: the struct up to wakes_on_demand.
  struct StatsOld {
    size_t struct_size;
    double awake_s, asleep_s;
    int64_t wakes_proactive, wakes_on_demand;
  };
  static_assert(sizeof(StatsOld) == offsetof(sp_stats, misses));
  // On the heap at its exact size, so AddressSanitizer sees any write past it.
  auto old = std::make_unique<StatsOld>();
  std::memset(old.get(), 0x5a, sizeof *old);
  old->struct_size = sizeof(StatsOld);
  REQUIRE(sp_get_stats(pl.p, reinterpret_cast<sp_stats *>(old.get())) == SP_OK);
  CHECK(old->struct_size == sizeof(StatsOld));
  CHECK(old->awake_s >= 0);
  CHECK(old->awake_s < 1e6);
  CHECK(old->asleep_s >= 0);
  CHECK(old->wakes_proactive == 0);
  CHECK(old->wakes_on_demand == 0);

  // Full size: everything, and struct_size says how much was written.
  sp_stats full{};
  full.struct_size = sizeof full;
  REQUIRE(sp_get_stats(pl.p, &full) == SP_OK);
  CHECK(full.struct_size == sizeof(sp_stats));
  CHECK(full.events_submitted == 3); // open, play, pause
  CHECK(std::string(full.policy).size() > 0);

  // A newer, larger struct (newer header, this library): filled up to what
  // this library knows; the rest is left as it was.
  std::vector<unsigned char> big(sizeof(sp_stats) + 24, 0xa5);
  size_t big_size = big.size();
  std::memcpy(big.data(), &big_size, sizeof big_size);
  REQUIRE(sp_get_stats(pl.p, reinterpret_cast<sp_stats *>(big.data())) == SP_OK);
  size_t written = 0;
  std::memcpy(&written, big.data(), sizeof written);
  CHECK(written == sizeof(sp_stats));
  for (size_t i = sizeof(sp_stats); i < big.size(); ++i)
    CHECK(big[i] == 0xa5);

  // Not set at all: refused with a message that says what to do.
  sp_stats unset{};
  CHECK(sp_get_stats(pl.p, &unset) == SP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(sp_player_last_error(pl.p)).find("sizeof(sp_stats)") != std::string::npos);
}

TEST_CASE("sp_media_info: an older, smaller struct gets only its fields") {
  Player pl;
  REQUIRE(sp_open(pl.p, clip().c_str(), nullptr) == SP_OK);
  struct InfoOld {
    size_t struct_size;
    int width, height;
  };
  static_assert(sizeof(InfoOld) == offsetof(sp_media_info, fps));
  auto old = std::make_unique<InfoOld>();
  old->struct_size = sizeof(InfoOld);
  REQUIRE(sp_get_media_info(pl.p, reinterpret_cast<sp_media_info *>(old.get())) == SP_OK);
  CHECK(old->width == 320);
  CHECK(old->height == 240);
  CHECK(old->struct_size == sizeof(InfoOld));

  sp_media_info info{};
  CHECK(sp_get_media_info(pl.p, &info) == SP_ERR_INVALID_ARGUMENT); // struct_size not set
  info.struct_size = sizeof info;
  REQUIRE(sp_get_media_info(pl.p, &info) == SP_OK);
  CHECK(info.duration_ms == 3000);
  CHECK(std::string(info.video_codec) == "h264");
  CHECK(SP_HAS_FIELD(&info, sp_media_info, rotation));
  CHECK(info.rotation == 0);

  // A struct from before `rotation`: the field is neither written nor claimed.
  struct InfoBeforeRotation {
    sp_media_info info;
  };
  auto before = std::make_unique<InfoBeforeRotation>();
  before->info.struct_size = offsetof(sp_media_info, rotation);
  before->info.rotation = 12345;
  REQUIRE(sp_get_media_info(pl.p, &before->info) == SP_OK);
  CHECK(before->info.struct_size == offsetof(sp_media_info, rotation));
  CHECK_FALSE(SP_HAS_FIELD(&before->info, sp_media_info, rotation));
  CHECK(before->info.rotation == 12345);
  CHECK(std::string(before->info.container).find("mp4") != std::string::npos);
}

TEST_CASE("sp_media_info: a picture recorded turned (a phone's portrait video) says how to turn it") {
  TempDir dir;
  std::set<int> seen;
  for (int tag : {90, 180, 270}) {
    INFO("rotate=" << tag);
    const std::string turned = dir.file("turned" + std::to_string(tag) + ".mp4");
    // A display matrix in the file (FFmpeg 5.1's muxer writes one from "rotate").
    REQUIRE(run("ffmpeg -hide_banner -loglevel error -y -i '" + clip() +
                "' -c copy -metadata:s:v:0 rotate=" + std::to_string(tag) + " '" + turned + "'") == 0);
    // The matrix's angle as FFmpeg reads it (counter-clockwise); turning it
    // back for display is what ffplay does: clockwise by its negative.
    int status = -1;
    const std::string probed = run_capture("ffprobe -v error -select_streams v:0 -show_entries "
                                           "stream_side_data=rotation -of csv=p=0 '" +
                                               turned + "'",
                                           &status);
    REQUIRE(status == 0);
    const int ccw = std::stoi(probed);
    const int expected = ((-ccw % 360) + 360) % 360;
    INFO("ffprobe: rotation " << ccw);
    Player pl;
    REQUIRE(sp_open(pl.p, turned.c_str(), nullptr) == SP_OK);
    sp_media_info info{};
    info.struct_size = sizeof info;
    REQUIRE(sp_get_media_info(pl.p, &info) == SP_OK);
    CHECK(info.rotation == expected);
    seen.insert(info.rotation);
    CHECK(info.width == 320); // as stored, before turning
    CHECK(info.height == 240);
  }
  CHECK(seen == std::set<int>{90, 180, 270});
}

TEST_CASE("sp_media_meta: fields past struct_size are not read; unknown set fields are refused") {
  TempDir dir;
  const std::string db = dir.file("abi.db");
  Player pl(db);
  const std::string path = clip();

  // An older, smaller struct: only video_id and title. The genre and viewer
  // slots past its size hold pointers that must not be read.
  sp_media_meta m{};
  m.struct_size = offsetof(sp_media_meta, genre);
  m.video_id = "abi-clip";
  m.title = "ABI clip";
  m.genre = "must-not-be-read";
  m.viewer_id = "must-not-be-read";
  REQUIRE(sp_open(pl.p, path.c_str(), &m) == SP_OK);
  REQUIRE(sp_stop(pl.p) == SP_OK);

  // Zeroed but never sized: refused (docs/api.md), whatever else is set.
  sp_media_meta unsized{};
  unsized.video_id = "abi-clip";
  CHECK(sp_open(pl.p, path.c_str(), &unsized) == SP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(sp_player_last_error(pl.p)).find("sizeof(sp_media_meta)") != std::string::npos);

  // A newer, larger struct whose unknown tail is zero: accepted.
  struct MetaNew {
    sp_media_meta base;
    const char *future_field;
  };
  MetaNew n{};
  n.base.struct_size = sizeof n;
  n.base.video_id = "abi-clip-2";
  n.base.genre = "lecture";
  n.base.viewer_id = "zoe";
  REQUIRE(sp_open(pl.p, path.c_str(), &n.base) == SP_OK);
  REQUIRE(sp_stop(pl.p) == SP_OK);
  // ... and one that sets a field this library does not know: refused.
  n.future_field = "x";
  CHECK(sp_open(pl.p, path.c_str(), &n.base) == SP_ERR_UNSUPPORTED);
  CHECK(std::string(sp_player_last_error(pl.p)).find("does not know") != std::string::npos);
  // struct_size not set: refused, nothing opened.
  sp_media_meta unset{};
  unset.video_id = "never";
  CHECK(sp_open(pl.p, path.c_str(), &unset) == SP_ERR_INVALID_ARGUMENT);
  CHECK(std::string(sp_player_last_error(pl.p)).find("sizeof(sp_media_meta)") != std::string::npos);
  int state = -1;
  REQUIRE(sp_get_state(pl.p, &state) == SP_OK);
  CHECK(state == SP_STATE_STOPPED);
  sp_player_destroy(pl.p);
  pl.p = nullptr;

  CHECK(query_text(db, "SELECT title FROM videos WHERE id = 'abi-clip'") == "ABI clip");
  CHECK(query_text(db, "SELECT genre FROM videos WHERE id = 'abi-clip'") == "unknown");
  CHECK(query_text(db, "SELECT viewer FROM sessions WHERE video = 'abi-clip'") == "anonymous");
  CHECK(query_text(db, "SELECT genre FROM videos WHERE id = 'abi-clip-2'") == "lecture");
  CHECK(query_text(db, "SELECT viewer FROM sessions WHERE video = 'abi-clip-2'") == "zoe");
  CHECK(query_text(db, "SELECT count(*) FROM sessions") == "2");
}

TEST_CASE("structs handed to callbacks carry their size") {
  Player pl;
  REQUIRE(sp_open(pl.p, clip().c_str(), nullptr) == SP_OK);
  REQUIRE(sp_play(pl.p) == SP_OK);
  pl.ev.wait_nth(SP_EVENT_STATE_CHANGED, 1);
  std::unique_lock lk(pl.ev.mu);
  REQUIRE(pl.ev.cv.wait_for(lk, 20s, [&] { return pl.ev.frame_size != 0; }));
  CHECK(pl.ev.event_size == sizeof(sp_event));
  CHECK(pl.ev.has_message_field);
  CHECK(pl.ev.frame_size == sizeof(sp_video_frame));
}

TEST_CASE("sp_player_last_error(NULL) is per thread: one thread's failed create is not another's") {
  TempDir dir;
  // A directory where the database file should be: creating the player fails.
  const std::string db = dir.path().string();
  // (Catch2's assertions are for the main thread: the threads only record.)
  std::string mine;
  int rc = SP_OK;
  sp_player *p = nullptr;
  std::thread failing([&] {
    sp_config *cfg = sp_config_create();
    sp_config_set(cfg, "db", db.c_str());
    sp_config_set(cfg, "video_output", "none");
    sp_config_set(cfg, "audio_output", "none");
    rc = sp_player_create(cfg, &p);
    sp_config_destroy(cfg);
    mine = sp_player_last_error(nullptr);
  });
  failing.join();
  CHECK(rc != SP_OK);
  CHECK(p == nullptr);
  CHECK(mine.find(db) != std::string::npos);
  std::string other;
  std::thread clean([&] { other = sp_player_last_error(nullptr); });
  clean.join();
  CHECK(other.find(db) == std::string::npos);
  CHECK(other == "the sp_player handle is NULL");
}
