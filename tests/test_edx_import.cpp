// Open edX tracking-log importer (src/trace/edx_import.h) on the hand-made
// tests/data/edx_sample.log and on small inline logs.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support.h"
#include "trace/edx_import.h"
#include "trace/trace.h"

using namespace sp_test;

namespace {
std::string sample_path() {
  return source_dir() + "/tests/data/edx_sample.log";
}

const std::string kVidA = "i4x-MITx-6_002x-video-S1V1_Intro";
const std::string kVidC = "c3a1"; // logged as block-v1:MITx+6.002x+2013_Spring+type@video+block@c3a1

void check_event(const sp::Interaction &e, int64_t seq, sp::Kind kind, int64_t pos, int64_t wall) {
  INFO("event seq " << e.seq << " kind " << sp::kind_name(e.kind));
  CHECK(e.seq == seq);
  CHECK(e.kind == kind);
  CHECK(e.position_ms == pos);
  CHECK(e.wall_ms == wall);
}
} // namespace

TEST_CASE("edX times parse to epoch milliseconds") {
  int64_t ms = 0;
  REQUIRE(sp::parse_edx_time("2013-10-04T14:38:32.123456+00:00", ms));
  CHECK(ms == 1380897512123);
  REQUIRE(sp::parse_edx_time("2013-10-04T14:38:30", ms));
  CHECK(ms == 1380897510000);
  REQUIRE(sp::parse_edx_time("2013-10-04 14:38:30.5Z", ms));
  CHECK(ms == 1380897510500);
  REQUIRE(sp::parse_edx_time("2013-10-04T16:38:30+02:00", ms));
  CHECK(ms == 1380897510000);
  REQUIRE(sp::parse_edx_time("2013-10-04T09:38:30-0500", ms));
  CHECK(ms == 1380897510000);
  REQUIRE(sp::parse_edx_time("1970-01-01T00:00:00Z", ms));
  CHECK(ms == 0);
  REQUIRE(sp::parse_edx_time("2024-02-29 12:00:00", ms)); // leap year
  CHECK(ms == 1709208000000);
  REQUIRE(sp::parse_edx_time("2000-02-29T00:00:00Z", ms));
  CHECK(ms == 951782400000);
  for (const char *bad : {"", "yesterday", "2013-10-04", "2013-13-04T00:00:00", "2013-10-04T25:00:00",
                          "2013-10-04T14:38:30.", "2023-02-29T00:00:00", "1900-02-29T00:00:00",
                          "2024-02-30T00:00:00", "2013-10-04T14:38:30+0", "2013-10-04T14:38:30 junk"}) {
    INFO(bad);
    CHECK_FALSE(sp::parse_edx_time(bad, ms));
  }
}

TEST_CASE("the sample log imports to exact sessions (skip mode)") {
  sp::EdxImportStats st;
  sp::EdxOptions opt;
  opt.genre = "lecture";
  auto r = sp::import_edx_file(sample_path(), opt, sp::OnMalformed::Skip, &st);
  CHECK(r.ok);
  // Two malformed lines: a truncated one (7) and a bad time (20).
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].line == 7);
  CHECK(r.errors[0].message == "not valid JSON");
  CHECK(r.errors[1].line == 20);
  CHECK(r.errors[1].message.find("bad \"time\"") != std::string::npos);
  CHECK(r.errors[1].message.find("yesterday") != std::string::npos);
  CHECK(st.lines == 21);
  CHECK(st.video_events == 17);
  CHECK(st.ignored == 2); // hide_transcript and a server page event
  CHECK(st.malformed == 2);
  CHECK(st.empty_sessions_dropped == 1); // bob's load_video of a second video, nothing else

  REQUIRE(r.sessions.size() == 4);
  for (size_t i = 0; i < r.sessions.size(); ++i) {
    CHECK(r.sessions[i].session_id == "edx-00000" + std::to_string(i + 1));
    CHECK(r.sessions[i].genre == "lecture");
  }

  // alice: load, play, pause, play, seek, speed change, stop (logged out of order, sorted by time).
  const auto &a = r.sessions[0];
  CHECK(a.viewer == "alice");
  CHECK(a.video == kVidA);
  CHECK(a.duration_ms == 600000); // furthest position seen for this video
  CHECK(a.start_wall_ms == 1380897510000);
  CHECK(a.end_wall_ms == 1380898188000);
  CHECK(a.end_reason == "finished"); // stop_video: the end of the video reached
  REQUIRE(a.events.size() == 7);
  check_event(a.events[0], 1, sp::Kind::Open, 0, 1380897510000);
  check_event(a.events[1], 2, sp::Kind::Play, 0, 1380897512123);
  check_event(a.events[2], 3, sp::Kind::Pause, 100250, 1380897612500);
  check_event(a.events[3], 4, sp::Kind::Play, 100250, 1380897660000);
  check_event(a.events[4], 5, sp::Kind::Seek, 130250, 1380897690000);
  CHECK(a.events[4].from_ms == 130250);
  CHECK(a.events[4].to_ms == 75500);
  CHECK_FALSE(a.events[4].value.has_value());
  check_event(a.events[5], 6, sp::Kind::Rate, 105500, 1380897720000);
  REQUIRE(a.events[5].old_value.has_value());
  REQUIRE(a.events[5].value.has_value());
  CHECK(*a.events[5].old_value == Approx(1.0));
  CHECK(*a.events[5].value == Approx(1.5));
  CHECK_FALSE(a.events[5].from_ms.has_value());
  check_event(a.events[6], 7, sp::Kind::End, 600000, 1380898188000);

  // bob: one session, then a gap of more than 30 minutes starts another (without a load).
  const auto &b1 = r.sessions[1];
  CHECK(b1.viewer == "bob");
  CHECK(b1.video == kVidA);
  CHECK(b1.duration_ms == 600000);
  CHECK(b1.end_reason == "abandoned");
  REQUIRE(b1.events.size() == 3);
  check_event(b1.events[0], 1, sp::Kind::Open, 0, 1380898800000);
  check_event(b1.events[1], 2, sp::Kind::Play, 0, 1380898805250);
  check_event(b1.events[2], 3, sp::Kind::Pause, 180000, 1380898985250);
  const auto &b2 = r.sessions[2];
  CHECK(b2.viewer == "bob");
  CHECK(b2.start_wall_ms == 1380903000000);
  CHECK(b2.end_reason == "abandoned");
  REQUIRE(b2.events.size() == 2);
  check_event(b2.events[0], 1, sp::Kind::Play, 180000, 1380903000000);
  check_event(b2.events[1], 2, sp::Kind::Pause, 300000, 1380903120000);

  // carol: mobile events with "event" as an object and a "duration" field.
  const auto &c = r.sessions[3];
  CHECK(c.viewer == "carol");
  CHECK(c.video == kVidC);
  CHECK(c.duration_ms == 734200);
  CHECK(c.end_reason == "finished");
  REQUIRE(c.events.size() == 4);
  check_event(c.events[0], 1, sp::Kind::Play, 12000, 1380963600000);
  check_event(c.events[1], 2, sp::Kind::Seek, 30000, 1380963618000);
  CHECK(c.events[1].to_ms == 90000);
  check_event(c.events[2], 3, sp::Kind::Pause, 120500, 1380963648500);
  check_event(c.events[3], 4, sp::Kind::End, 400000, 1380963900000);
}

TEST_CASE("refuse mode stops at the first malformed line") {
  sp::EdxImportStats st;
  auto r = sp::import_edx_file(sample_path(), {}, sp::OnMalformed::Refuse, &st);
  CHECK_FALSE(r.ok);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 7);
  CHECK(st.lines == 7);
  // Only the lines before it: alice's first five events, not yet stopped.
  REQUIRE(r.sessions.size() == 1);
  CHECK(r.sessions[0].viewer == "alice");
  CHECK(r.sessions[0].genre == "unknown");
  CHECK(r.sessions[0].end_reason == "abandoned");
  REQUIRE(r.sessions[0].events.size() == 5);
  CHECK(r.sessions[0].events.back().kind == sp::Kind::Seek);
  CHECK(r.sessions[0].duration_ms == 130250);
}

TEST_CASE("each kind of malformed video line gets a clear message") {
  struct Case {
    const char *line;
    const char *expect;
  };
  const std::string ok_tail = R"("time":"2013-10-04T14:38:30Z","username":"u")";
  const Case cases[] = {
      {"[1,2,3]", "not a JSON object"},
      {R"({"username":"u"})", "no string \"event_type\""},
      {R"({"event_type":"play_video","time":"2013-10-04T14:38:30Z","event":"{\"id\":\"v\"}"})",
       "no string \"username\""},
      {R"({"event_type":"play_video","username":"u","event":"{\"id\":\"v\"}"})", "no string \"time\""},
      {R"({"event_type":"play_video","username":"u","time":"2013-10-04T14:38:30Z"})", "no \"event\""},
      {R"({"event_type":"play_video","username":"u","time":"2013-10-04T14:38:30Z","event":"{oops"})",
       "\"event\" string is not a JSON object"},
      {R"({"event_type":"play_video","username":"u","time":"2013-10-04T14:38:30Z","event":"{\"currentTime\":1}"})",
       "no video \"id\""},
      {R"({"event_type":"play_video","username":"u","time":"2013-10-04T14:38:30Z","event":"{\"id\":\"v\",\"currentTime\":\"abc\"}"})",
       "\"currentTime\" is not a number"},
      {R"({"event_type":"pause_video","username":"u","time":"2013-10-04T14:38:30Z","event":"{\"id\":\"v\",\"currentTime\":-4}"})",
       "\"currentTime\" is negative"},
      {R"({"event_type":"seek_video","username":"u","time":"2013-10-04T14:38:30Z","event":"{\"id\":\"v\",\"old_time\":4}"})",
       "needs \"old_time\" and \"new_time\""},
      {R"({"event_type":"speed_change_video","username":"u","time":"2013-10-04T14:38:30Z","event":"{\"id\":\"v\",\"old_speed\":\"1.0\"}"})",
       "needs \"new_speed\""},
      {R"({"event_type":"speed_change_video","username":"u","time":"2013-10-04T14:38:30Z","event":"{\"id\":\"v\",\"new_speed\":0}"})",
       "speed out of range"},
      {R"({"event_type":"speed_change_video","username":"u","time":"2013-10-04T14:38:30Z","event":"{\"id\":\"v\",\"new_speed\":\"40\"}"})",
       "speed out of range"},
      {R"({"event_type":"play_video","username":"u","time":"1969-12-31T23:59:59Z","event":"{\"id\":\"v\"}"})",
       "before 1970"},
      {R"({"event_type":"play_video","username":"u","time":"4026-10-04T15:03:05Z","event":"{\"id\":\"v\"}"})",
       "after 2096"},
      {R"({"event_type":"play_video","username":"u","time":"2013-10-04T14:38:30Z","event":"{\"id\":\"v\",\"currentTime\":1e12}"})",
       "\"currentTime\" is out of range"},
      {R"({"event_type":"pause_video","username":"u","time":"2013-10-04T14:38:30Z","event":"{\"id\":\"v\",\"currentTime\":\"0x10\"}"})",
       "\"currentTime\" is not a number"},
      {R"({"event_type":"pause_video","username":"u","time":"2013-10-04T14:38:30Z","event":"{\"id\":\"v\",\"currentTime\":\"inf\"}"})",
       "\"currentTime\" is not finite"},
  };
  for (const auto &c : cases) {
    INFO(c.line);
    std::istringstream in(std::string(R"({"event_type":"play_video",)") + ok_tail +
                          R"(,"event":"{\"id\":\"v\",\"currentTime\":1}"})" + "\n" + c.line + "\n");
    auto r = sp::import_edx(in, {}, sp::OnMalformed::Skip);
    CHECK(r.ok);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == 2);
    CHECK(r.errors[0].message.find(c.expect) != std::string::npos);
    REQUIRE(r.sessions.size() == 1); // the good first line still counts
    CHECK(r.sessions[0].events.size() == 1);
  }
}

TEST_CASE("missing currentTime keeps the last position; blank lines and other events are ignored") {
  std::istringstream in(
      R"({"event_type":"play_video","username":"u","time":"2013-10-04T14:00:00Z","event":{"id":"v","currentTime":5}})"
      "\n\n"
      R"({"event_type":"problem_check","username":"u","time":"2013-10-04T14:00:01Z","event":"not json at all"})"
      "\n"
      R"({"event_type":"seek_video","username":"u","time":"2013-10-04T14:00:10Z","event":{"id":"v","old_time":15,"new_time":40}})"
      "\n"
      R"({"event_type":"pause_video","username":"u","time":"2013-10-04T14:00:20Z","event":{"id":"v"}})"
      "\n");
  sp::EdxImportStats st;
  auto r = sp::import_edx(in, {}, sp::OnMalformed::Refuse, &st);
  CHECK(r.ok);
  CHECK(r.errors.empty());
  CHECK(st.ignored == 2);
  REQUIRE(r.sessions.size() == 1);
  const auto &s = r.sessions[0];
  REQUIRE(s.events.size() == 3);
  CHECK(s.events[2].kind == sp::Kind::Pause);
  CHECK(s.events[2].position_ms == 40000); // where the seek left it
  CHECK(s.duration_ms == 40000);
}

TEST_CASE("stop_video is the end of the video; the pause the player sends with it is not the viewer's") {
  // As edX logs a video watched to its end in a browser: pause_video and
  // stop_video from the player's "ended" handler, sent separately, so logged
  // in either order and within the same millisecond; the mobile app sends
  // stop_video alone. A real pause earlier stays.
  std::istringstream in(
      R"({"event_type":"play_video","username":"u","time":"2020-01-01T10:00:05.000000+00:00","event":"{\"id\":\"v\",\"currentTime\":0,\"code\":\"html5\"}"})"
      "\n"
      R"({"event_type":"pause_video","username":"u","time":"2020-01-01T10:01:00.000000+00:00","event":"{\"id\":\"v\",\"currentTime\":55,\"code\":\"html5\"}"})"
      "\n"
      R"({"event_type":"play_video","username":"u","time":"2020-01-01T10:01:10.000000+00:00","event":"{\"id\":\"v\",\"currentTime\":55,\"code\":\"html5\"}"})"
      "\n"
      R"({"event_type":"stop_video","username":"u","time":"2020-01-01T10:02:15.600123+00:00","event":"{\"id\":\"v\",\"currentTime\":120.5,\"code\":\"html5\"}"})"
      "\n"
      R"({"event_type":"pause_video","username":"u","time":"2020-01-01T10:02:15.600000+00:00","event":"{\"id\":\"v\",\"currentTime\":120.5,\"code\":\"html5\"}"})"
      "\n"
      R"({"event_type":"play_video","username":"w","time":"2020-01-01T11:00:00.000000+00:00","event":"{\"id\":\"v\",\"currentTime\":0,\"code\":\"html5\"}"})"
      "\n"
      R"({"event_type":"pause_video","username":"w","time":"2020-01-01T11:02:00.400000+00:00","event":"{\"id\":\"v\",\"currentTime\":120.1,\"code\":\"html5\"}"})"
      "\n"
      R"({"event_type":"stop_video","username":"w","time":"2020-01-01T11:02:00.500000+00:00","event":"{\"id\":\"v\",\"currentTime\":120.5,\"code\":\"html5\"}"})"
      "\n"
      R"({"event_type":"stop_video","name":"edx.video.stopped","event_source":"mobile","username":"m","time":"2020-01-01T12:00:00+00:00","event":"{\"id\":\"v\",\"currentTime\":120.5,\"code\":\"mobile\"}"})"
      "\n"
      R"({"event_type":"play_video","name":"edx.video.played","event_source":"mobile","username":"m","time":"2020-01-01T11:58:00+00:00","event":"{\"id\":\"v\",\"currentTime\":0,\"code\":\"mobile\"}"})"
      "\n");
  sp::EdxImportStats st;
  auto r = sp::import_edx(in, {}, sp::OnMalformed::Refuse, &st);
  REQUIRE(r.ok);
  CHECK(st.automatic_pauses == 2);
  REQUIRE(r.sessions.size() == 3);
  const auto &u = r.sessions[0];
  CHECK(u.viewer == "u");
  CHECK(u.end_reason == "finished");
  CHECK(u.end_wall_ms == 1577872935600);
  REQUIRE(u.events.size() == 4);
  check_event(u.events[0], 1, sp::Kind::Play, 0, 1577872805000);
  check_event(u.events[1], 2, sp::Kind::Pause, 55000, 1577872860000);
  check_event(u.events[2], 3, sp::Kind::Play, 55000, 1577872870000);
  check_event(u.events[3], 4, sp::Kind::End, 120500, 1577872935600);
  const auto &w = r.sessions[1];
  CHECK(w.viewer == "w");
  CHECK(w.end_reason == "finished");
  REQUIRE(w.events.size() == 2);
  CHECK(w.events[1].kind == sp::Kind::End);
  CHECK(w.events[1].seq == 2);
  const auto &m = r.sessions[2];
  CHECK(m.viewer == "m");
  CHECK(m.end_reason == "finished");
  REQUIRE(m.events.size() == 2);
  check_event(m.events[1], 2, sp::Kind::End, 120500, 1577880000000);
  // Written and read back as any trace.
  std::ostringstream out;
  sp::write_traces(out, r.sessions);
  std::istringstream back(out.str());
  auto rb = sp::read_traces(back, sp::OnMalformed::Refuse);
  CHECK(rb.ok);
  CHECK(rb.sessions.size() == 3);
}

TEST_CASE("a viewer who was not logged in (empty username) is counted, not an error, also with Refuse") {
  std::istringstream in(
      R"({"event_type":"play_video","username":"","time":"2013-10-04T14:00:00Z","event":{"id":"v","currentTime":1}})"
      "\n"
      R"({"event_type":"play_video","username":"u","time":"2013-10-04T14:00:01Z","event":{"id":"v","currentTime":1}})"
      "\n"
      R"({"event_type":"pause_video","username":"","time":"2013-10-04T14:00:09Z","event":{"id":"v","currentTime":9}})"
      "\n");
  sp::EdxImportStats st;
  auto r = sp::import_edx(in, {}, sp::OnMalformed::Refuse, &st);
  CHECK(r.ok);
  CHECK(r.errors.empty());
  CHECK(st.anonymous == 2);
  CHECK(st.malformed == 0);
  CHECK(st.video_events == 1);
  REQUIRE(r.sessions.size() == 1);
  CHECK(r.sessions[0].viewer == "u");
}

TEST_CASE("numeric strings are decimal, spaces around them allowed") {
  std::istringstream in(
      R"({"event_type":"play_video","username":"u","time":"2013-10-04T14:00:00Z","event":{"id":"v","currentTime":" 12.5 "}})"
      "\n"
      R"({"event_type":"pause_video","username":"u","time":"2013-10-04T14:00:05Z","event":{"id":"v","currentTime":"1.75e1"}})"
      "\n");
  auto r = sp::import_edx(in, {}, sp::OnMalformed::Refuse);
  REQUIRE(r.ok);
  REQUIRE(r.sessions.size() == 1);
  REQUIRE(r.sessions[0].events.size() == 2);
  CHECK(r.sessions[0].events[0].position_ms == 12500);
  CHECK(r.sessions[0].events[1].position_ms == 17500);
}

TEST_CASE("mobile events as the apps send them: \"module_id\" and \"current_time\"") {
  // edX's tracking shim renames these before logging; exports taken before
  // that step carry the apps' own names.
  std::istringstream in(
      R"({"event_type":"edx.video.played","username":"m","time":"2014-12-09T03:57:24Z","event_source":"mobile",)"
      R"("event":{"module_id":"block-v1:edX+DemoX+T+type@video+block@0b9e","current_time":114,"code":"mobile"}})"
      "\n"
      R"({"event_type":"edx.video.paused","username":"m","time":"2014-12-09T03:57:30Z","event_source":"mobile",)"
      R"("event":{"module_id":"block-v1:edX+DemoX+T+type@video+block@0b9e","current_time":120,"code":"mobile"}})"
      "\n");
  auto r = sp::import_edx(in, {}, sp::OnMalformed::Refuse);
  REQUIRE(r.ok);
  REQUIRE(r.sessions.size() == 1);
  const auto &s = r.sessions[0];
  CHECK(s.video == "0b9e"); // the usage key's block id, as the browser player logs it
  REQUIRE(s.events.size() == 2);
  check_event(s.events[0], 1, sp::Kind::Play, 114000, 1418097444000);
  check_event(s.events[1], 2, sp::Kind::Pause, 120000, 1418097450000);
}

TEST_CASE("a video has one id whether the browser or the mobile app played it") {
  // The browser logs the block's html_id; the app's usage key (before the
  // tracking shim, or kept by an export) names the same video.
  std::istringstream in(
      R"({"event_type":"play_video","username":"u","time":"2020-01-01T10:00:00Z","event_source":"browser",)"
      R"("event":"{\"id\":\"0b9e39477cf34507a7a48f74be381fdd\",\"currentTime\":0,\"code\":\"html5\"}"})"
      "\n"
      R"({"event_type":"pause_video","username":"u","time":"2020-01-01T10:01:00Z","event_source":"browser",)"
      R"("event":"{\"id\":\"0b9e39477cf34507a7a48f74be381fdd\",\"currentTime\":60,\"code\":\"html5\"}"})"
      "\n"
      R"({"event_type":"edx.video.played","username":"u","time":"2020-01-01T10:05:00Z","event_source":"mobile",)"
      R"("event":{"module_id":"block-v1:edX+DemoX+2020+type@video+block@0b9e39477cf34507a7a48f74be381fdd","current_time":60,"code":"mobile"}})"
      "\n"
      R"({"event_type":"pause_video","username":"u","time":"2020-01-01T10:06:00Z","event_source":"mobile",)"
      R"("event":{"id":"block-v1:edX+DemoX+2020+type@video+block@0b9e39477cf34507a7a48f74be381fdd","currentTime":120,"code":"mobile"}})"
      "\n"
      R"({"event_type":"play_video","username":"o","time":"2014-01-01T10:00:00Z","event_source":"browser",)"
      R"("event":"{\"id\":\"i4x-HarvardX-PH207x-video-Simple_Random_Sample\",\"currentTime\":0}"})"
      "\n"
      R"({"event_type":"pause_video","username":"o","time":"2014-01-01T10:01:00Z","event_source":"mobile",)"
      R"("event":{"module_id":"i4x://HarvardX/PH207x/video/Simple_Random_Sample","current_time":60}})"
      "\n");
  auto r = sp::import_edx(in, {}, sp::OnMalformed::Refuse);
  REQUIRE(r.ok);
  REQUIRE(r.sessions.size() == 2);
  CHECK(r.sessions[0].video == "i4x-HarvardX-PH207x-video-Simple_Random_Sample");
  CHECK(r.sessions[0].events.size() == 2);
  CHECK(r.sessions[1].video == "0b9e39477cf34507a7a48f74be381fdd");
  REQUIRE(r.sessions[1].events.size() == 4);
  check_event(r.sessions[1].events[2], 3, sp::Kind::Play, 60000, 1577872800000 + 300000);
  CHECK(r.sessions[1].duration_ms == 120000);
}

TEST_CASE("a line read twice (a log shipped twice, a file given twice) counts once") {
  const std::string log =
      R"({"event_type":"play_video","username":"u","time":"2013-10-04T14:00:00.123456Z","event":{"id":"v","currentTime":5}})"
      "\n"
      R"({"event_type":"pause_video","username":"u","time":"2013-10-04T14:00:20.654321Z","event":{"id":"v","currentTime":25}})"
      "\n";
  auto once = sp::import_edx_file(sample_path());
  sp::EdxImporter imp;
  for (int i = 0; i < 2; ++i) {
    std::ifstream f(sample_path(), std::ios::binary);
    imp.add(f, "copy" + std::to_string(i));
  }
  std::istringstream a(log), b(log);
  imp.add(a, "a");
  imp.add(b, "b");
  sp::EdxImportStats st;
  auto r = imp.finish(&st);
  CHECK(st.duplicates == 17 + 2);
  REQUIRE(r.sessions.size() == once.sessions.size() + 1);
  std::stringstream x, y;
  sp::write_traces(x, once.sessions);
  std::vector<sp::TraceSession> without_extra;
  for (const auto &s : r.sessions)
    if (s.viewer != "u") without_extra.push_back(s);
  for (size_t i = 0; i < without_extra.size(); ++i)
    without_extra[i].session_id = once.sessions[i].session_id;
  sp::write_traces(y, without_extra);
  CHECK(x.str() == y.str());
  for (const auto &s : r.sessions)
    if (s.viewer == "u") CHECK(s.events.size() == 2);
}

TEST_CASE("a load_video starts a new session; empty sessions can be kept") {
  std::string log =
      R"({"event_type":"load_video","username":"u","time":"2013-10-04T14:00:00Z","event":"{\"id\":\"v\"}"})"
      "\n"
      R"({"event_type":"play_video","username":"u","time":"2013-10-04T14:00:01Z","event":"{\"id\":\"v\",\"currentTime\":0}"})"
      "\n"
      R"({"event_type":"load_video","username":"u","time":"2013-10-04T14:00:30Z","event":"{\"id\":\"v\"}"})"
      "\n"
      R"({"event_type":"load_video","username":"u","time":"2013-10-04T14:00:31Z","event":"{\"id\":\"v\"}"})"
      "\n"
      R"({"event_type":"play_video","username":"u","time":"2013-10-04T14:00:35Z","event":"{\"id\":\"v\",\"currentTime\":3}"})"
      "\n";
  {
    std::istringstream in(log);
    auto r = sp::import_edx(in);
    REQUIRE(r.sessions.size() == 2);
    CHECK(r.sessions[0].events.size() == 2);
    CHECK(r.sessions[1].start_wall_ms == 1380895231000);
    CHECK(r.sessions[1].events[0].kind == sp::Kind::Open);
  }
  {
    std::istringstream in(log);
    sp::EdxOptions opt;
    opt.keep_empty_sessions = true;
    auto r = sp::import_edx(in, opt);
    REQUIRE(r.sessions.size() == 3);
    CHECK(r.sessions[1].events.size() == 1);
    CHECK(r.sessions[1].end_reason == "abandoned");
  }
}

TEST_CASE("a missing file is an error with line 0") {
  auto r = sp::import_edx_file("/nonexistent/edx.log");
  CHECK_FALSE(r.ok);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 0);
  CHECK(r.errors[0].message.find("cannot open") != std::string::npos);
  CHECK(r.sessions.empty());
}

TEST_CASE("imported sessions survive a write/read round trip") {
  auto r = sp::import_edx_file(sample_path());
  std::stringstream ss;
  sp::write_traces(ss, r.sessions);
  auto back = sp::read_traces(ss, sp::OnMalformed::Refuse);
  REQUIRE(back.ok);
  REQUIRE(back.sessions.size() == r.sessions.size());
  for (size_t i = 0; i < r.sessions.size(); ++i) {
    CHECK(back.sessions[i].session_id == r.sessions[i].session_id);
    CHECK(back.sessions[i].end_reason == r.sessions[i].end_reason);
    CHECK(back.sessions[i].duration_ms == r.sessions[i].duration_ms);
    CHECK(back.sessions[i].events == r.sessions[i].events);
  }
}

TEST_CASE("smartplayer-import-edx converts the sample log and reports skipped lines") {
  namespace fs = std::filesystem;
  const std::string tool = binary_dir() + "/tools/smartplayer-import-edx";
  REQUIRE(fs::exists(tool));
  TempDir d;
  int st = -1;
  std::string out = run_capture(tool + " " + sample_path() + " --out " + d.file("t.jsonl") +
                                    " --genre lecture 2>" + d.file("err.txt"),
                                &st);
  CHECK(st == 0);
  CHECK(out.find("sessions 4") != std::string::npos);
  CHECK(out.find("skipped (malformed) 2") != std::string::npos);
  std::ifstream ef(d.file("err.txt"));
  std::string err((std::istreambuf_iterator<char>(ef)), {});
  CHECK(err.find(":7: skipped: not valid JSON") != std::string::npos);
  CHECK(err.find(":20: skipped:") != std::string::npos);
  auto r = sp::read_trace_file(d.file("t.jsonl"), sp::OnMalformed::Refuse);
  REQUIRE(r.ok);
  REQUIRE(r.sessions.size() == 4);
  CHECK(r.sessions[0].genre == "lecture");
  CHECK(r.sessions[0].events.size() == 7);

  // --refuse: exit 1 at line 7, nothing written.
  st = -1;
  run_capture(
      tool + " " + sample_path() + " --refuse --out " + d.file("r.jsonl") + " 2>" + d.file("err2.txt"), &st);
  CHECK(st == 1);
  std::ifstream ef2(d.file("err2.txt"));
  std::string err2((std::istreambuf_iterator<char>(ef2)), {});
  CHECK(err2.find(":7: refused: not valid JSON") != std::string::npos);
  CHECK_FALSE(fs::exists(d.file("r.jsonl")));
  // Usage and missing input.
  CHECK(run(tool + " 2>/dev/null") == 2);
  CHECK(run(tool + " " + sample_path() + " 2>/dev/null") == 2);
  CHECK(run(tool + " /nonexistent/edx.log --out " + d.file("m.jsonl") + " 2>/dev/null") == 1);
}

TEST_CASE("smartplayer-import-edx tells an unwritable --out before reading the logs") {
  namespace fs = std::filesystem;
  const std::string tool = binary_dir() + "/tools/smartplayer-import-edx";
  REQUIRE(fs::exists(tool));
  TempDir d;
  // No such folder, and a folder: refused at once (no count line: nothing was read).
  for (const std::string &out : {d.file("no/such/dir/t.jsonl"), d.path().string()}) {
    INFO(out);
    int st = -1;
    std::string o =
        run_capture(tool + " " + sample_path() + " --out " + out + " 2>" + d.file("err.txt"), &st);
    CHECK(st == 1);
    CHECK(o.empty());
    std::ifstream ef(d.file("err.txt"));
    std::string err((std::istreambuf_iterator<char>(ef)), {});
    CHECK(err.find("cannot open for writing") != std::string::npos);
    CHECK(err.find("skipped") == std::string::npos);
  }
  // Nothing to import: nothing written, no temporary file left beside it.
  {
    std::ofstream f(d.file("other.log"));
    f << R"({"event_type":"problem_check","username":"u","time":"2013-10-04T14:00:01Z","event":"x"})"
      << "\n";
  }
  CHECK(run(tool + " " + d.file("other.log") + " --out " + d.file("t.jsonl") + " >/dev/null 2>&1") == 1);
  size_t files = 0;
  for ([[maybe_unused]] const auto &e : fs::directory_iterator(d.path()))
    ++files;
  CHECK(files == 2); // other.log and err.txt
  CHECK_FALSE(fs::exists(d.file("t.jsonl")));
}

namespace {
std::vector<std::string> sample_lines() {
  std::ifstream f(sample_path());
  std::vector<std::string> lines;
  for (std::string l; std::getline(f, l);)
    lines.push_back(l);
  return lines;
}
std::string join(const std::vector<std::string> &lines, size_t from, size_t to) {
  std::string s;
  for (size_t i = from; i < to; ++i)
    s += lines[i] + "\n";
  return s;
}
} // namespace

TEST_CASE("several logs read as one, in any order: a session may span two files") {
  const auto lines = sample_lines();
  REQUIRE(lines.size() == 21);
  sp::EdxImportStats whole_st;
  auto whole = sp::import_edx_file(sample_path(), {}, sp::OnMalformed::Skip, &whole_st);
  REQUIRE(whole.ok);

  // Cut inside alice's first session (line 4 of its events), later part first.
  std::istringstream first(join(lines, 0, 4)), second(join(lines, 4, lines.size()));
  sp::EdxImporter imp;
  CHECK(imp.add(second, "day2.log"));
  CHECK(imp.add(first, "day1.log"));
  sp::EdxImportStats st;
  auto r = imp.finish(&st);
  REQUIRE(r.ok);
  CHECK(st.lines == whole_st.lines);
  CHECK(st.video_events == whole_st.video_events);
  CHECK(st.malformed == whole_st.malformed);
  REQUIRE(r.sessions.size() == whole.sessions.size());
  for (size_t i = 0; i < r.sessions.size(); ++i) {
    CHECK(r.sessions[i].session_id == whole.sessions[i].session_id);
    CHECK(r.sessions[i].viewer == whole.sessions[i].viewer);
    CHECK(r.sessions[i].events.size() == whole.sessions[i].events.size());
    CHECK(r.sessions[i].end_wall_ms == whole.sessions[i].end_wall_ms);
  }
  // Errors name their file and count lines within it: sample lines 7 and 20
  // are lines 3 and 16 of the second part.
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].source == "day2.log");
  CHECK(r.errors[0].line == 3);
  CHECK(r.errors[1].source == "day2.log");
  CHECK(r.errors[1].line == 16);
  // finish() starts the importer afresh.
  auto again = imp.finish();
  CHECK(again.ok);
  CHECK(again.sessions.empty());
  CHECK(again.errors.empty());
}

TEST_CASE("a log that cannot be read to its end keeps what was read") {
  const auto lines = sample_lines();
  SECTION("skip: reported on the line after the last, the import goes on") {
    std::istringstream a(join(lines, 0, 6)), b(join(lines, 7, 19));
    sp::EdxImporter imp;
    CHECK(imp.add(a, "a.log.gz"));
    imp.source_failed("stopped reading: unexpected end of file");
    CHECK_FALSE(imp.refused());
    CHECK(imp.add(b, "b.log"));
    auto r = imp.finish();
    CHECK(r.ok);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].source == "a.log.gz");
    CHECK(r.errors[0].line == 7);
    CHECK(r.errors[0].message.find("unexpected end of file") != std::string::npos);
    CHECK_FALSE(r.sessions.empty());
  }
  SECTION("refuse: the import is refused, later logs are not read") {
    std::istringstream a(join(lines, 0, 6)), b(join(lines, 7, 19));
    sp::EdxImporter imp({}, sp::OnMalformed::Refuse);
    CHECK(imp.add(a, "a.log.gz"));
    imp.source_failed("stopped reading: unexpected end of file");
    CHECK(imp.refused());
    CHECK_FALSE(imp.add(b, "b.log"));
    sp::EdxImportStats st;
    auto r = imp.finish(&st);
    CHECK_FALSE(r.ok);
    CHECK(st.lines == 6);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == 7);
  }
}

TEST_CASE("smartplayer-import-edx reads rotated and gzip-compressed logs as one") {
  namespace fs = std::filesystem;
  const std::string tool = binary_dir() + "/tools/smartplayer-import-edx";
  REQUIRE(fs::exists(tool));
  const auto lines = sample_lines();
  TempDir d;
  auto write = [](const std::string &path, const std::string &text) {
    std::ofstream(path, std::ios::binary) << text;
  };
  auto slurp = [](const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), {});
  };
  // The whole sample in one file, and the same lines as a rotated pair:
  // tracking.log (the newer lines) and tracking.log-1.gz (the older ones).
  REQUIRE(run(tool + " " + sample_path() + " --out " + d.file("whole.jsonl") + " 2>/dev/null") == 0);
  write(d.file("tracking.log"), join(lines, 4, lines.size()));
  write(d.file("tracking.log-1"), join(lines, 0, 4));
  REQUIRE(run("gzip " + d.file("tracking.log-1")) == 0);
  int st = -1;
  std::string out = run_capture(tool + " " + d.file("tracking.log") + " " + d.file("tracking.log-1.gz") +
                                    " --out " + d.file("pair.jsonl") + " 2>" + d.file("err.txt"),
                                &st);
  CHECK(st == 0);
  CHECK(out.find("files 2, lines 21") != std::string::npos);
  CHECK(slurp(d.file("pair.jsonl")) == slurp(d.file("whole.jsonl")));
  // Errors name the file and the line within it (sample lines 7 and 20).
  const std::string err = slurp(d.file("err.txt"));
  CHECK(err.find("tracking.log:3: skipped: not valid JSON") != std::string::npos);
  CHECK(err.find("tracking.log:16: skipped:") != std::string::npos);

  // From standard input too, compressed.
  st = -1;
  run_capture("cat " + d.file("tracking.log-1.gz") + " | " + tool + " - " + d.file("tracking.log") +
                  " --out " + d.file("stdin.jsonl") + " 2>/dev/null",
              &st);
  CHECK(st == 0);
  CHECK(slurp(d.file("stdin.jsonl")) == slurp(d.file("whole.jsonl")));

  // A truncated compressed log (copied while it was written): what it gave
  // is kept and the cut is reported; --refuse refuses the import.
  write(d.file("all"), join(lines, 0, lines.size()));
  REQUIRE(run("gzip " + d.file("all")) == 0);
  const std::string gz = slurp(d.file("all.gz"));
  REQUIRE(gz.size() > 400);
  write(d.file("cut.gz"), gz.substr(0, gz.size() / 2));
  st = -1;
  out = run_capture(
      tool + " " + d.file("cut.gz") + " --out " + d.file("cut.jsonl") + " 2>" + d.file("err2.txt"), &st);
  CHECK(st == 0);
  CHECK(slurp(d.file("err2.txt")).find("cut.gz:") != std::string::npos);
  CHECK(slurp(d.file("err2.txt")).find("unexpected end of file") != std::string::npos);
  auto cut = sp::read_trace_file(d.file("cut.jsonl"), sp::OnMalformed::Refuse);
  REQUIRE(cut.ok);
  CHECK_FALSE(cut.sessions.empty());
  CHECK(run(tool + " " + d.file("cut.gz") + " --refuse --out " + d.file("cut2.jsonl") + " 2>/dev/null") == 1);
  CHECK_FALSE(fs::exists(d.file("cut2.jsonl")));

  // A log that cannot be opened stops the import before anything is written.
  CHECK(run(tool + " " + d.file("tracking.log") + " " + d.file("missing.log.gz") + " --out " +
            d.file("m.jsonl") + " 2>/dev/null") == 1);
  CHECK_FALSE(fs::exists(d.file("m.jsonl")));
  CHECK(run(tool + " " + d.file("tracking.log") + " " + d.path().string() + " --out " + d.file("m.jsonl") +
            " 2>/dev/null") == 1);
  CHECK_FALSE(fs::exists(d.file("m.jsonl")));

  // Bytes after the compressed data that are not gzip (gzip itself only
  // warns: "trailing garbage ignored") are reported, never dropped silently.
  write(d.file("tail.gz"), gz + "{\"event_type\":\"play_video\"}\n");
  st = -1;
  run_capture(tool + " " + d.file("tail.gz") + " --out " + d.file("tail.jsonl") + " 2>" + d.file("err3.txt"),
              &st);
  CHECK(st == 0);
  CHECK(slurp(d.file("tail.jsonl")) == slurp(d.file("whole.jsonl")));
  CHECK(slurp(d.file("err3.txt"))
            .find("tail.gz:22: skipped: stopped reading: data after the end of the compressed "
                  "data is not gzip") != std::string::npos);
  // Several gzip members one after another are one log.
  write(d.file("members.gz"), slurp(d.file("tracking.log-1.gz")));
  REQUIRE(run("gzip -c " + d.file("tracking.log") + " >> " + d.file("members.gz")) == 0);
  CHECK(run(tool + " " + d.file("members.gz") + " --out " + d.file("members.jsonl") + " 2>/dev/null") == 0);
  CHECK(slurp(d.file("members.jsonl")) == slurp(d.file("whole.jsonl")));

  // --out naming a LOG would overwrite it: refused, the log untouched.
  const std::string before = slurp(d.file("tracking.log"));
  CHECK(run(tool + " " + d.file("tracking.log") + " --out " + d.file("tracking.log") + " 2>/dev/null") == 1);
  CHECK(slurp(d.file("tracking.log")) == before);

  // Nothing to import (the wrong file, a log with no video event): exit 1, nothing written.
  write(d.file("other.log"),
        R"({"event_type":"problem_check","username":"u","time":"2013-10-04T14:00:01Z","event":{}})"
        "\n");
  st = -1;
  run_capture(tool + " " + d.file("other.log") + " --out " + d.file("o.jsonl") + " 2>" + d.file("err4.txt"),
              &st);
  CHECK(st == 1);
  CHECK(slurp(d.file("err4.txt")).find("nothing to import (no video event in the logs)") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(d.file("o.jsonl")));
}
