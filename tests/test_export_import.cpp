// What the player logs survives export and import: sessions recorded through
// the C API (every kind of control call) are written as a trace file, read
// back, imported into a fresh database and read again, unchanged.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "log/behaviour_log.h"
#include "smartplayer.h"
#include "support.h"
#include "trace/trace.h"

using namespace sp_test;

namespace {

sp_config *config_for(const std::string &db) {
  sp_config *cfg = sp_config_create();
  REQUIRE(sp_config_set(cfg, "video_output", "none") == SP_OK);
  REQUIRE(sp_config_set(cfg, "audio_output", "none") == SP_OK);
  REQUIRE(sp_config_set(cfg, "db", db.c_str()) == SP_OK);
  REQUIRE(sp_config_set(cfg, "policy", "always-on") == SP_OK);
  REQUIRE(sp_config_set(cfg, "online_learning", "0") == SP_OK);
  return cfg;
}

std::vector<sp::TraceSession> sessions_in(const std::string &db) {
  std::unique_ptr<sp::BehaviourLog> log;
  std::string err;
  sp::LogOptions lo;
  lo.read_only = true;
  REQUIRE(sp::BehaviourLog::open(db, lo, log, err) == SP_OK);
  std::vector<sp::TraceSession> out;
  REQUIRE(log->read_traces(out, err) == SP_OK);
  return out;
}

// Export db_a's sessions to a file, read it strictly, import into db_b, and
// check that db_b holds the same sessions (ids aside: they are row ids).
void check_round_trip(const std::string &db_a, const std::string &file, const std::string &db_b) {
  std::vector<sp::TraceSession> a = sessions_in(db_a);
  REQUIRE_FALSE(a.empty());
  std::string err;
  REQUIRE(sp::write_trace_file(file, a, err));
  sp::TraceReadResult r = sp::read_trace_file(file, sp::OnMalformed::Refuse);
  INFO((r.errors.empty() ? std::string() : r.errors[0].message));
  REQUIRE(r.ok);
  REQUIRE(r.errors.empty());
  REQUIRE(r.sessions.size() == a.size());
  {
    std::unique_ptr<sp::BehaviourLog> log;
    REQUIRE(sp::BehaviourLog::open(db_b, sp::LogOptions{}, log, err) == SP_OK);
    REQUIRE(log->import_traces(r.sessions, err) == SP_OK);
  }
  std::vector<sp::TraceSession> b = sessions_in(db_b);
  REQUIRE(b.size() == a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(b[i].viewer == a[i].viewer);
    CHECK(b[i].video == a[i].video);
    CHECK(b[i].genre == a[i].genre);
    CHECK(b[i].duration_ms == a[i].duration_ms);
    CHECK(b[i].start_wall_ms == a[i].start_wall_ms);
    CHECK(b[i].end_wall_ms == a[i].end_wall_ms);
    CHECK(b[i].end_reason == a[i].end_reason);
    CHECK(b[i].events == a[i].events);
  }
}

} // namespace

TEST_CASE("a session with every kind of control call survives export and import") {
  std::string clip = make_clip();
  TempDir dir;
  std::string db = dir.file("a.db");
  sp_config *cfg = config_for(db);
  sp_player *p = nullptr;
  REQUIRE(sp_player_create(cfg, &p) == SP_OK);
  sp_config_destroy(cfg);
  sp_media_meta meta{.struct_size = sizeof(sp_media_meta),
                     .video_id = "clip-1",
                     .title = "Clip one",
                     .genre = "lecture",
                     .viewer_id = "viewer-1"};
  REQUIRE(sp_open(p, clip.c_str(), &meta) == SP_OK);
  REQUIRE(sp_play(p) == SP_OK);
  REQUIRE(sp_pause(p) == SP_OK);
  REQUIRE(sp_seek(p, 1500, SP_SEEK_ABSOLUTE) == SP_OK);
  REQUIRE(sp_seek(p, -500, SP_SEEK_RELATIVE | SP_SEEK_KEYFRAME) == SP_OK);
  REQUIRE(sp_step(p) == SP_OK);
  REQUIRE(sp_set_rate(p, 1.5) == SP_OK);
  REQUIRE(sp_set_volume(p, 40) == SP_OK);
  REQUIRE(sp_set_mute(p, 1) == SP_OK);
  REQUIRE(sp_set_mute(p, 0) == SP_OK);
  REQUIRE(sp_toggle_pause(p) == SP_OK);
  REQUIRE(sp_skip(p, 1) == SP_OK);
  REQUIRE(sp_skip(p, -1) == SP_OK);
  REQUIRE(sp_stop(p) == SP_OK);
  sp_player_destroy(p);

  std::vector<sp::TraceSession> logged = sessions_in(db);
  REQUIRE(logged.size() == 1);
  std::vector<sp::Kind> kinds;
  for (const auto &e : logged[0].events)
    kinds.push_back(e.kind);
  using K = sp::Kind;
  CHECK(kinds == std::vector<K>{K::Open, K::Play, K::Pause, K::Seek, K::Seek, K::Step, K::Rate, K::Volume,
                                K::Mute, K::Mute, K::Play, K::Skip, K::Skip, K::Stop});
  check_round_trip(db, dir.file("export.jsonl"), dir.file("b.db"));
}

TEST_CASE("non-ASCII ids and names survive export and import; so does a url that is not UTF-8") {
  TempDir dir;
  // A file name that is not UTF-8 (bytes 0xFF 0xFE): its default ids are
  // percent-escaped when logged, so they export as they are stored.
  const std::string odd = dir.file("clip-\xFF\xFE.mp4");
  std::filesystem::copy_file(make_clip(), odd);
  const std::string db = dir.file("a.db");
  sp_config *cfg = config_for(db);
  sp_player *p = nullptr;
  REQUIRE(sp_player_create(cfg, &p) == SP_OK);
  sp_config_destroy(cfg);
  sp_media_meta meta{};
  meta.struct_size = sizeof meta;
  meta.video_id = "\xD0\xB2\xD0\xB8\xD0\xB4\xD0\xB5\xD0\xBE-1 \xF0\x9F\x8E\xAC"; // "видео-1 🎬"
  meta.title = "\xE3\x82\xBF\xE3\x82\xA4\xE3\x83\x88\xE3\x83\xAB";               // "タイトル"
  meta.genre = "m\xC3\xBAsica";                                                  // "música"
  meta.viewer_id = "zo\xC3\xAB-\xF0\x9F\x98\x80";                                // "zoë-😀"
  REQUIRE(sp_open(p, make_clip().c_str(), &meta) == SP_OK);
  REQUIRE(sp_play(p) == SP_OK);
  REQUIRE(sp_stop(p) == SP_OK);
  REQUIRE(sp_open(p, odd.c_str(), nullptr) == SP_OK);
  REQUIRE(sp_stop(p) == SP_OK);
  sp_player_destroy(p);

  std::vector<sp::TraceSession> logged = sessions_in(db);
  REQUIRE(logged.size() == 2);
  CHECK(logged[0].viewer == meta.viewer_id);
  CHECK(logged[0].video == meta.video_id);
  CHECK(logged[0].genre == meta.genre);
  CHECK(logged[1].video == dir.file("clip-%FF%FE.mp4"));
  check_round_trip(db, dir.file("export.jsonl"), dir.file("b.db"));
}

TEST_CASE("a session its process was killed in is closed as crashed and survives export and import") {
  // The next open of the database ends a killed player's session as
  // "crashed" (docs/reliability.md); the trace format must carry that end,
  // or export then import loses the whole session.
  std::string clip = make_clip();
  TempDir dir;
  std::string db = dir.file("a.db");
  // fork() copies only the calling thread: no library thread may be running
  // here (the players of the test cases before this one are destroyed).
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    sp_config *cfg = config_for(db);
    sp_player *p = nullptr;
    if (sp_player_create(cfg, &p) != SP_OK) _exit(10);
    sp_media_meta meta{.struct_size = sizeof(sp_media_meta),
                       .video_id = "clip-1",
                       .title = "Clip one",
                       .genre = "lecture",
                       .viewer_id = "viewer-killed"};
    if (sp_open(p, clip.c_str(), &meta) != SP_OK || sp_play(p) != SP_OK || sp_set_volume(p, 30) != SP_OK ||
        sp_pause(p) != SP_OK)
      _exit(11);
    raise(SIGKILL); // accepted calls are in the crash journal; the session is open
    _exit(12);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);
  // The next open, through the library, recovers the journal.
  sp_config *cfg = config_for(db);
  sp_player *p = nullptr;
  REQUIRE(sp_player_create(cfg, &p) == SP_OK);
  sp_config_destroy(cfg);
  sp_player_destroy(p);

  std::vector<sp::TraceSession> logged = sessions_in(db);
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].viewer == "viewer-killed");
  CHECK(logged[0].end_reason == "crashed");
  std::vector<sp::Kind> kinds;
  for (const auto &e : logged[0].events)
    kinds.push_back(e.kind);
  using K = sp::Kind;
  CHECK(kinds == std::vector<K>{K::Open, K::Play, K::Volume, K::Pause});
  check_round_trip(db, dir.file("export.jsonl"), dir.file("b.db"));
}
