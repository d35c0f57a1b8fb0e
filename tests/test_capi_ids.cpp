// The ids and names a host passes to sp_open are checked at the C API:
// well-formed UTF-8, no control characters, documented length caps, a clear
// SP_ERR_INVALID_ARGUMENT with a message, and the media already open goes on
// untouched (include/smartplayer.h, sp_media_meta).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "log/behaviour_log.h"
#include "player/media_meta.h"
#include "smartplayer.h"
#include "support.h"

using namespace sp_test;

namespace {

sp_player *make_player(const std::string &db) {
  sp_config *cfg = sp_config_create();
  REQUIRE(sp_config_set(cfg, "video_output", "none") == SP_OK);
  REQUIRE(sp_config_set(cfg, "audio_output", "none") == SP_OK);
  REQUIRE(sp_config_set(cfg, "db", db.c_str()) == SP_OK);
  REQUIRE(sp_config_set(cfg, "policy", "always-on") == SP_OK);
  REQUIRE(sp_config_set(cfg, "online_learning", "0") == SP_OK);
  sp_player *p = nullptr;
  REQUIRE(sp_player_create(cfg, &p) == SP_OK);
  sp_config_destroy(cfg);
  return p;
}

sp_media_meta meta_of(const char *video, const char *title, const char *genre, const char *viewer) {
  sp_media_meta m{};
  m.struct_size = sizeof m;
  m.video_id = video;
  m.title = title;
  m.genre = genre;
  m.viewer_id = viewer;
  return m;
}

std::string repeat(const std::string &s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out += s;
  return out;
}

} // namespace

TEST_CASE("bad ids and names are refused at sp_open with a message; the open media goes on") {
  const std::string clip = make_clip();
  TempDir dir;
  const std::string db = dir.file("ids.db");
  sp_player *p = make_player(db);
  sp_media_meta good = meta_of("clip-1", "Clip one", "lecture", "viewer-1");
  REQUIRE(sp_open(p, clip.c_str(), &good) == SP_OK);
  REQUIRE(sp_play(p) == SP_OK);
  int64_t session = 0;
  REQUIRE(sp_get_session_id(p, &session) == SP_OK);
  REQUIRE(session > 0);

  struct Case {
    const char *name;
    std::string video, title, genre, viewer;
    const char *expect; // in the message
  };
  const std::string v = "clip-2", t = "Clip two", g = "news", w = "viewer-2";
  const std::vector<Case> cases = {
      {"lone continuation byte", v, t, g, "bad\x80",
       "sp_media_meta.viewer_id is not valid UTF-8 (at byte 3)"},
      {"overlong '/'", "a\xC0\xAF", t, g, w, "sp_media_meta.video_id is not valid UTF-8 (at byte 1)"},
      {"UTF-16 surrogate", v, t, "g\xED\xA0\x80", w, "sp_media_meta.genre is not valid UTF-8 (at byte 1)"},
      {"above U+10FFFF", v, "\xF4\x90\x80\x80", g, w, "sp_media_meta.title is not valid UTF-8 (at byte 0)"},
      {"truncated sequence", v, t, g, "caf\xC3", "sp_media_meta.viewer_id is not valid UTF-8 (at byte 3)"},
      {"byte 0xFF", "\xFF", t, g, w, "sp_media_meta.video_id is not valid UTF-8 (at byte 0)"},
      {"newline", v, t, g, "two\nlines", "sp_media_meta.viewer_id holds a control character (at byte 3)"},
      {"tab in a title", v, "a\tb", g, w, "sp_media_meta.title holds a control character (at byte 1)"},
      {"DEL", v, t, "x\x7F", w, "sp_media_meta.genre holds a control character (at byte 1)"},
      {"viewer over 256 bytes", v, t, g, repeat("\xC3\xA9", 128) + "x",
       "sp_media_meta.viewer_id is 257 bytes, longer than the limit of 256 bytes"},
      {"genre over 64 bytes", v, t, repeat("g", 65), w, "sp_media_meta.genre is 65 bytes"},
      {"video id over 1024 bytes", repeat("v", 1025), t, g, w, "sp_media_meta.video_id is 1025 bytes"},
      {"title over 1024 bytes", v, repeat("t", 1025), g, w, "sp_media_meta.title is 1025 bytes"},
  };
  for (const auto &c : cases) {
    INFO(c.name);
    sp_media_meta m = meta_of(c.video.c_str(), c.title.c_str(), c.genre.c_str(), c.viewer.c_str());
    CHECK(sp_open(p, clip.c_str(), &m) == SP_ERR_INVALID_ARGUMENT);
    const std::string msg = sp_player_last_error(p);
    INFO(msg);
    CHECK(msg.find(c.expect) != std::string::npos);
    // Refused before anything happened: the same media, session and state.
    int state = -1;
    REQUIRE(sp_get_state(p, &state) == SP_OK);
    CHECK(state == SP_STATE_PLAYING);
    int64_t now = 0;
    REQUIRE(sp_get_session_id(p, &now) == SP_OK);
    CHECK(now == session);
  }
  // At the caps, and every kind of well-formed sequence: accepted.
  const std::string viewer256 = repeat("\xC3\xA9", 127) + "ab"; // 256 bytes
  const std::string genre64 = repeat("\xF0\x9F\x8E\xAC", 16);   // 64 bytes of 4-byte sequences
  const std::string video1024 = repeat("\xE2\x82\xAC", 341) + "x";
  sp_media_meta edge = meta_of(video1024.c_str(), "\xEF\xBF\xBF U+FFFF, \xF4\x8F\xBF\xBF U+10FFFF",
                               genre64.c_str(), viewer256.c_str());
  REQUIRE(sp_open(p, clip.c_str(), &edge) == SP_OK);
  REQUIRE(sp_stop(p) == SP_OK);
  sp_player_destroy(p);

  std::unique_ptr<sp::BehaviourLog> log;
  std::string err;
  sp::LogOptions lo;
  lo.read_only = true;
  REQUIRE(sp::BehaviourLog::open(db, lo, log, err) == SP_OK);
  std::vector<sp::TraceSession> sessions;
  REQUIRE(log->read_traces(sessions, err) == SP_OK);
  REQUIRE(sessions.size() == 2); // the refused opens started nothing
  CHECK(sessions[0].viewer == "viewer-1");
  CHECK(sessions[1].viewer == viewer256);
  CHECK(sessions[1].video == video1024);
  CHECK(sessions[1].genre == genre64);
}

TEST_CASE("defaults taken from a url that is not clean UTF-8 are percent-escaped") {
  sp::MediaMeta out;
  std::string err;
  sp_media_meta none{};
  none.struct_size = sizeof none;
  REQUIRE(sp::resolve_media_meta("/videos/caf\xE9 100%\x01.mp4", none, out, err) == SP_OK);
  CHECK(out.video_id == "/videos/caf%E9 100%25%01.mp4");
  CHECK(out.title == "caf%E9 100%25%01.mp4");
  CHECK(out.genre == "unknown");
  CHECK(out.viewer_id == "anonymous");
  // Clean ones are kept as they are, '%' included.
  REQUIRE(sp::resolve_media_meta("/videos/caf\xC3\xA9 100%.mp4", none, out, err) == SP_OK);
  CHECK(out.video_id == "/videos/caf\xC3\xA9 100%.mp4");
  CHECK(out.title == "caf\xC3\xA9 100%.mp4");
}

TEST_CASE("sp_get_session_id: the current session's id, 0 when there is none") {
  const std::string clip = make_clip();
  TempDir dir;
  sp_player *p = make_player(dir.file("sid.db"));
  auto sid = [&] {
    int64_t s = -1;
    REQUIRE(sp_get_session_id(p, &s) == SP_OK);
    return s;
  };
  CHECK(sid() == 0); // before the first open
  REQUIRE(sp_open(p, clip.c_str(), nullptr) == SP_OK);
  const int64_t first = sid();
  CHECK(first > 0);
  sp_window w[4];
  int n = -1;
  REQUIRE(sp_get_predicted_windows(p, w, 4, &n) == SP_OK);
  CHECK(n == 1); // always-on: one window, to the end
  REQUIRE(sp_stop(p) == SP_OK);
  CHECK(sid() == 0); // it kept the ended session's id
  REQUIRE(sp_get_predicted_windows(p, w, 4, &n) == SP_OK);
  CHECK(n == 0); // at once, not when the control plane has caught up
  REQUIRE(sp_open(p, clip.c_str(), nullptr) == SP_OK);
  CHECK(sid() > first);
  CHECK(sp_open(p, dir.file("missing.mp4").c_str(), nullptr) == SP_ERR_NOT_FOUND);
  CHECK(sid() == 0); // a failed open leaves nothing open, no session
  sp_player_destroy(p);
}
