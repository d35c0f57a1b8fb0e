// Wall times in the behaviour log never go back (issue 10, defect 11, the
// player's side), even when the system clock is stepped backwards while a
// session is under way or between two sessions: this test binary replaces
// clock_gettime(CLOCK_REALTIME) (what std::chrono::system_clock reads) with
// one it can step, and plays through the C API.
#include <catch2/catch.hpp>

#include <dlfcn.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "smartplayer.h"
#include "support.h"

namespace {
std::atomic<long long> g_realtime_shift_s{0};
} // namespace

// Interposes the C library's clock_gettime for this process: CLOCK_REALTIME
// is shifted by g_realtime_shift_s, every other clock is untouched.
extern "C" int clock_gettime(clockid_t id, struct timespec *ts) {
  using Fn = int (*)(clockid_t, struct timespec *);
  static const Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "clock_gettime"));
  const int r = real(id, ts);
  if (r == 0 && id == CLOCK_REALTIME) ts->tv_sec += static_cast<time_t>(g_realtime_shift_s.load());
  return r;
}

namespace {

// Rows of three integer columns.
using Row = std::array<int64_t, 3>;
std::vector<Row> query(const std::string &db, const std::string &sql) {
  sqlite3 *h = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt *st = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
  std::vector<Row> out;
  while (sqlite3_step(st) == SQLITE_ROW)
    out.push_back(Row{sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2)});
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

} // namespace

TEST_CASE(
    "the system clock stepped back an hour mid-session and between sessions: logged times never go back") {
  sp_test::ClipSpec spec;
  spec.seconds = 10;
  spec.audio = false;
  const std::string clip = sp_test::make_clip(spec);
  sp_test::TempDir dir;
  const std::string db = dir.file("times.db");
  sp_config *cfg = sp_config_create();
  sp_config_set(cfg, "video_output", "none");
  sp_config_set(cfg, "audio_output", "none");
  sp_config_set(cfg, "db", db.c_str());
  sp_config_set(cfg, "policy", "always-on");
  sp_config_set(cfg, "online_learning", "0");
  sp_player *p = nullptr;
  REQUIRE(sp_player_create(cfg, &p) == SP_OK);
  sp_config_destroy(cfg);

  struct timespec before {};
  REQUIRE(clock_gettime(CLOCK_REALTIME, &before) == 0);
  g_realtime_shift_s = -3600;
  struct timespec after {};
  REQUIRE(clock_gettime(CLOCK_REALTIME, &after) == 0);
  REQUIRE(after.tv_sec < before.tv_sec - 3500); // the interposer is in force
  g_realtime_shift_s = 0;

  for (int session = 0; session < 2; ++session) {
    REQUIRE(sp_open(p, clip.c_str(), nullptr) == SP_OK);
    REQUIRE(sp_play(p) == SP_OK);
    for (int i = 0; i < 10; ++i)
      REQUIRE(sp_set_volume(p, 10 * i) == SP_OK);
    g_realtime_shift_s -= 3600; // NTP, or a user, sets the clock back an hour
    for (int i = 0; i < 10; ++i)
      REQUIRE(sp_set_volume(p, 5 + 10 * i) == SP_OK);
    REQUIRE(sp_pause(p) == SP_OK);
    REQUIRE(sp_stop(p) == SP_OK);
    g_realtime_shift_s -= 3600; // and again before the next session starts
  }
  sp_player_destroy(p);
  g_realtime_shift_s = 0;

  // Every stamp of the log in the order it was made: session start, its
  // events by seq, its end; then the next session.
  auto sessions = query(db, "SELECT id, start_wall_ms, end_wall_ms FROM sessions ORDER BY id");
  REQUIRE(sessions.size() == 2);
  int64_t last = 0;
  size_t events = 0;
  for (const auto &[id, start, end] : sessions) {
    CHECK(start >= last);
    last = start;
    auto evs = query(db, "SELECT session, seq, wall_ms FROM events WHERE session=" + std::to_string(id) +
                             " ORDER BY seq");
    CHECK(evs.size() == 1 + 1 + 20 + 1 + 1); // open, play, 20 volumes, pause, stop
    for (const auto &[session, seq, wall] : evs) {
      INFO("session " << session << " seq " << seq);
      CHECK(wall >= last);
      last = std::max(last, wall);
    }
    events += evs.size();
    CHECK(end >= last);
    last = std::max(last, end);
  }
  CHECK(events == 48);
  // Decisions are stamped by the same clock.
  auto decisions = query(db, "SELECT session, id, wall_ms FROM decisions ORDER BY id");
  for (size_t i = 1; i < decisions.size(); ++i)
    CHECK(decisions[i][2] >= decisions[i - 1][2]);
}
