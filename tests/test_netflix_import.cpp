// Netflix viewing-history importer (src/trace/netflix_import.h) on CSV files
// and text the tests write themselves: RFC 4180 quoting, BOM, CRLF, columns by
// name, trailers, malformed rows, interleaved profiles, gaps, seeks, autoplay.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support.h"
#include "trace/edx_import.h"
#include "trace/netflix_import.h"
#include "trace/trace.h"

using namespace sp_test;

namespace {

const std::string kHeader =
    "Profile Name,Start Time,Duration,Attributes,Title,Supplemental Video Type,Device Type,Bookmark,"
    "Latest Bookmark,Country";

// UTC "YYYY-MM-DD HH:MM:SS" -> ms (parse_edx_time is tested in test_edx_import.cpp).
int64_t T(const std::string &s) {
  int64_t ms = 0;
  REQUIRE(sp::parse_edx_time(s, ms));
  return ms;
}
constexpr int64_t kMin = 60'000;

std::string join(const std::vector<std::string> &lines, const std::string &eol) {
  std::string out;
  for (const auto &l : lines)
    out += l + eol;
  return out;
}

sp::TraceReadResult import(const std::string &text, const sp::NetflixOptions &opt = {},
                           sp::NetflixImportStats *st = nullptr,
                           sp::OnMalformed mode = sp::OnMalformed::Skip) {
  std::istringstream in(text);
  return sp::import_netflix(in, opt, mode, st);
}

void check_event(const sp::Interaction &e, int64_t seq, sp::Kind kind, int64_t pos, int64_t wall) {
  INFO("event seq " << e.seq << " kind " << sp::kind_name(e.kind));
  CHECK(e.seq == seq);
  CHECK(e.kind == kind);
  CHECK(e.position_ms == pos);
  CHECK(e.wall_ms == wall);
}

const std::string kMovie = "The Good, the Bad and the Ugly";
const std::string kEp1 = "Say \"Hello\", World: Limited Series: Épisode 1";
const std::string kEp2 = "Say \"Hello\", World: Limited Series: Épisode 2";
const std::string kBjorn = "Björn 👀";

// A ViewingActivity.csv as Netflix writes it: newest row first. Two profiles
// interleave; the quoted titles hold commas, doubled quotes and non-ASCII;
// a HOOK and a TRAILER; a row with nothing watched; two malformed rows
// (lines 3 and 9).
std::vector<std::string> sample_lines() {
  return {
      kHeader,
      // 2: Ana comes back the next day: a new session (gap far over 30 min).
      R"csv(Ana,2024-03-02 19:00:00,00:05:00,,"The Good, the Bad and the Ugly",,Living Room TV,01:35:00,01:35:00,US (United States))csv",
      // 3: malformed: February 30th.
      R"csv(Ana,2024-02-30 10:00:00,00:05:00,,"The Good, the Bad and the Ugly",,Living Room TV,00:05:00,Not latest view,US (United States))csv",
      // 4: Ana opens a film and closes it at once: nothing watched.
      R"csv(Ana,2024-03-01 22:00:00,00:00:00,,Amélie,,Living Room TV,00:00:03,00:00:03,US (United States))csv",
      // 5: Björn's next episode autoplays 30 s after the previous one ended, on the same device.
      R"csv("Björn 👀",2024-03-01 20:35:30,00:22:00,"Autoplayed: user action: None; ","Say ""Hello"", World: Limited Series: Épisode 2",,Chrome PC (Cadmium),00:22:00,00:22:00,SE (Sweden))csv",
      // 6: Ana resumes far ahead of where she stopped: a seek.
      R"csv(Ana,2024-03-01 21:05:00,00:10:00,,"The Good, the Bad and the Ugly",,Living Room TV,01:30:00,Not latest view,US (United States))csv",
      // 7: Ana continues 10 minutes after her first stretch, where she left it.
      R"csv(Ana,2024-03-01 20:40:00,00:20:00,,"The Good, the Bad and the Ugly",,Living Room TV,00:50:00,Not latest view,US (United States))csv",
      // 8: Björn's first episode.
      R"csv("Björn 👀",2024-03-01 20:10:00,00:25:00,,"Say ""Hello"", World: Limited Series: Épisode 1",,Chrome PC (Cadmium),00:25:00,00:25:00,SE (Sweden))csv",
      // 9: malformed: a field missing.
      R"csv(Ana,2024-03-01 20:20:00,00:05:00,,Amélie,,Living Room TV,00:05:00,US (United States))csv",
      // 10: a trailer Björn watched before.
      R"csv("Björn 👀",2024-03-01 20:09:00,00:00:45,,"Some Show, Season 2 (Trailer)",TRAILER,Chrome PC (Cadmium),00:00:45,00:00:45,SE (Sweden))csv",
      // 11: Ana's first stretch of the film.
      R"csv(Ana,2024-03-01 20:00:00,00:30:00,,"The Good, the Bad and the Ugly",,Living Room TV,00:30:00,Not latest view,US (United States))csv",
      // 12: an autoplayed preview (hook) on Ana's home screen just before.
      R"csv(Ana,2024-03-01 19:59:00,00:00:30,"Autoplayed: user action: None; ",Some Documentary_hook_primary_16x9,HOOK,Living Room TV,00:00:30,00:00:30,US (United States))csv",
  };
}

// What the sample imports to (checked from a file and from a stream).
void check_sample(const sp::TraceReadResult &r, const sp::NetflixImportStats &st) {
  CHECK(r.ok);
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].line == 3);
  CHECK(r.errors[0].message ==
        "bad \"Start Time\" \"2024-02-30 10:00:00\" (expected YYYY-MM-DD HH:MM:SS, UTC)");
  CHECK(r.errors[1].line == 9);
  CHECK(r.errors[1].message == "expected 10 fields (as in the header), found 9");

  CHECK(st.lines == 12);
  CHECK(st.rows == 11);
  CHECK(st.rows_imported == 6);
  CHECK(st.rows == st.rows_imported + st.malformed + st.supplemental + st.zero_duration +
                       st.rows_within); // each row once
  CHECK(st.malformed == 2);
  CHECK(st.supplemental == 2);
  CHECK(st.supplemental_by_type == std::map<std::string, size_t>{{"HOOK", 1}, {"TRAILER", 1}});
  CHECK(st.zero_duration == 1);
  CHECK(st.autoplayed == 1);
  CHECK(st.finished_by_autoplay == 1);
  CHECK(st.starts_clamped == 0);
  CHECK(st.overlaps == 0);
  CHECK(st.seeks == 1);
  CHECK(st.sessions == 4);
  CHECK(st.events == 17);

  REQUIRE(r.sessions.size() == 4);
  for (size_t i = 0; i < r.sessions.size(); ++i) {
    CHECK(r.sessions[i].session_id == "nfx-00000" + std::to_string(i + 1));
    CHECK(r.sessions[i].genre == "unknown");
  }

  // Ana's evening: three rows of the film, a pause between each, a seek before the third.
  const auto &a = r.sessions[0];
  CHECK(a.viewer == "Ana");
  CHECK(a.video == kMovie);
  CHECK(a.duration_ms == 95 * kMin); // the furthest bookmark of the title (next day's row)
  CHECK(a.start_wall_ms == T("2024-03-01 20:00:00"));
  CHECK(a.end_wall_ms == T("2024-03-01 21:15:00"));
  CHECK(a.end_reason == "stopped");
  REQUIRE(a.events.size() == 8);
  check_event(a.events[0], 1, sp::Kind::Open, 0, T("2024-03-01 20:00:00"));
  check_event(a.events[1], 2, sp::Kind::Play, 0, T("2024-03-01 20:00:00"));
  check_event(a.events[2], 3, sp::Kind::Pause, 30 * kMin, T("2024-03-01 20:30:00"));
  check_event(a.events[3], 4, sp::Kind::Play, 30 * kMin, T("2024-03-01 20:40:00"));
  check_event(a.events[4], 5, sp::Kind::Pause, 50 * kMin, T("2024-03-01 21:00:00"));
  check_event(a.events[5], 6, sp::Kind::Seek, 50 * kMin, T("2024-03-01 21:05:00"));
  CHECK(a.events[5].from_ms == 50 * kMin);
  CHECK(a.events[5].to_ms == 80 * kMin);
  check_event(a.events[6], 7, sp::Kind::Play, 80 * kMin, T("2024-03-01 21:05:00"));
  check_event(a.events[7], 8, sp::Kind::Stop, 90 * kMin, T("2024-03-01 21:15:00"));
  for (const auto &e : a.events)
    if (e.kind != sp::Kind::Seek) CHECK_FALSE(e.from_ms.has_value());

  // Björn's first episode ran out and the next one autoplayed: `end`, not `stop`.
  const auto &b = r.sessions[1];
  CHECK(b.viewer == kBjorn);
  CHECK(b.video == kEp1);
  CHECK(b.duration_ms == 25 * kMin);
  CHECK(b.end_reason == "finished");
  CHECK(b.end_wall_ms == T("2024-03-01 20:35:00"));
  REQUIRE(b.events.size() == 3);
  check_event(b.events[0], 1, sp::Kind::Open, 0, T("2024-03-01 20:10:00"));
  check_event(b.events[1], 2, sp::Kind::Play, 0, T("2024-03-01 20:10:00"));
  check_event(b.events[2], 3, sp::Kind::End, 25 * kMin, T("2024-03-01 20:35:00"));

  // The autoplayed episode starts like any other (open, play) and ends with a stop.
  const auto &c = r.sessions[2];
  CHECK(c.viewer == kBjorn);
  CHECK(c.video == kEp2);
  CHECK(c.end_reason == "stopped");
  REQUIRE(c.events.size() == 3);
  check_event(c.events[0], 1, sp::Kind::Open, 0, T("2024-03-01 20:35:30"));
  check_event(c.events[1], 2, sp::Kind::Play, 0, T("2024-03-01 20:35:30"));
  check_event(c.events[2], 3, sp::Kind::Stop, 22 * kMin, T("2024-03-01 20:57:30"));

  // Ana the next day: a session of its own, starting at bookmark - duration.
  const auto &d = r.sessions[3];
  CHECK(d.viewer == "Ana");
  CHECK(d.video == kMovie);
  CHECK(d.duration_ms == 95 * kMin);
  REQUIRE(d.events.size() == 3);
  check_event(d.events[0], 1, sp::Kind::Open, 90 * kMin, T("2024-03-02 19:00:00"));
  check_event(d.events[1], 2, sp::Kind::Play, 90 * kMin, T("2024-03-02 19:00:00"));
  check_event(d.events[2], 3, sp::Kind::Stop, 95 * kMin, T("2024-03-02 19:05:00"));
}

} // namespace

TEST_CASE("Netflix clock values parse to milliseconds") {
  int64_t ms = -1;
  REQUIRE(sp::parse_netflix_clock("00:45:12", ms));
  CHECK(ms == (45 * 60 + 12) * 1000);
  REQUIRE(sp::parse_netflix_clock("1:02:03", ms));
  CHECK(ms == 3723000);
  REQUIRE(sp::parse_netflix_clock("123:00:00", ms));
  CHECK(ms == 123LL * 3600 * 1000);
  REQUIRE(sp::parse_netflix_clock("00:00:00", ms));
  CHECK(ms == 0);
  for (const char *bad : {"", "::", "-00:01:00", "00:60:00", "00:00:60", "1:2:3", "00:00:00.5", " 00:00:01",
                          "00:00", "1000000:00:00", "0x:00:00", "00:00:01 ", "+1:00:00", "Not latest view"}) {
    INFO(bad);
    CHECK_FALSE(sp::parse_netflix_clock(bad, ms));
  }
}

TEST_CASE("a ViewingActivity.csv with BOM and CRLF imports to exact sessions") {
  TempDir d;
  const std::string path = d.file("ViewingActivity.csv");
  {
    std::ofstream f(path, std::ios::binary);
    f << "\xEF\xBB\xBF" << join(sample_lines(), "\r\n");
  }
  sp::NetflixImportStats st;
  auto r = sp::import_netflix_file(path, {}, sp::OnMalformed::Skip, &st);
  check_sample(r, st);

  // The same text with LF line ends, no BOM and no final line break reads the same.
  std::string lf = join(sample_lines(), "\n");
  lf.pop_back();
  sp::NetflixImportStats st2;
  check_sample(import(lf, {}, &st2), st2);
}

TEST_CASE("refuse mode stops at the first malformed row") {
  sp::NetflixImportStats st;
  auto r = import(join(sample_lines(), "\n"), {}, &st, sp::OnMalformed::Refuse);
  CHECK_FALSE(r.ok);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 3);
  CHECK(st.rows == 2);
  CHECK(st.malformed == 1);
  REQUIRE(r.sessions.size() == 1); // only row 2: Ana's next-day stretch
  CHECK(r.sessions[0].start_wall_ms == T("2024-03-02 19:00:00"));
  CHECK(r.sessions[0].events.size() == 3);
}

TEST_CASE("imported sessions survive a write/read round trip, ids included") {
  auto r = import(join(sample_lines(), "\n"));
  REQUIRE(r.sessions.size() == 4);
  std::stringstream ss;
  sp::write_traces(ss, r.sessions);
  auto back = sp::read_traces(ss, sp::OnMalformed::Refuse);
  REQUIRE(back.ok);
  REQUIRE(back.errors.empty());
  REQUIRE(back.sessions.size() == r.sessions.size());
  for (size_t i = 0; i < r.sessions.size(); ++i) {
    const auto &a = r.sessions[i], &b = back.sessions[i];
    CHECK(b.session_id == a.session_id);
    CHECK(b.viewer == a.viewer);
    CHECK(b.video == a.video);
    CHECK(b.genre == a.genre);
    CHECK(b.duration_ms == a.duration_ms);
    CHECK(b.start_wall_ms == a.start_wall_ms);
    CHECK(b.end_wall_ms == a.end_wall_ms);
    CHECK(b.end_reason == a.end_reason);
    CHECK(b.events == a.events);
  }
  CHECK(back.sessions[1].viewer == kBjorn);
  CHECK(back.sessions[1].video == kEp1);
}

TEST_CASE("columns are found by name: any order, extra columns ignored, optional ones may be missing") {
  // No Supplemental Video Type, Attributes or Device Type; an unknown column; names in odd case and spacing.
  const std::string csv = " bookmark ,Title,Extra,START TIME,Duration,Profile Name\n"
                          "00:10:00,Film,x,2024-01-05 10:00:00,00:10:00,P\n"
                          "00:25:00,Film,\"y, z\",2024-01-05 10:12:00,00:15:00,P\n";
  sp::NetflixImportStats st;
  auto r = import(csv, {}, &st);
  CHECK(r.ok);
  CHECK(r.errors.empty());
  CHECK(st.rows_imported == 2);
  REQUIRE(r.sessions.size() == 1);
  const auto &s = r.sessions[0];
  CHECK(s.viewer == "P");
  CHECK(s.video == "Film");
  CHECK(s.duration_ms == 25 * kMin);
  REQUIRE(s.events.size() == 5);
  check_event(s.events[2], 3, sp::Kind::Pause, 10 * kMin, T("2024-01-05 10:10:00"));
  check_event(s.events[3], 4, sp::Kind::Play, 10 * kMin, T("2024-01-05 10:12:00"));
  check_event(s.events[4], 5, sp::Kind::Stop, 25 * kMin, T("2024-01-05 10:27:00"));
}

TEST_CASE("header names annotated in parentheses are found: \"Start Time (UTC)\", \"Duration (H:MM:SS)\"") {
  const std::string text =
      "Profile Name,Start Time (UTC),Duration (H:MM:SS),Attributes,Title,Supplemental Video Type,Device "
      "Type,Bookmark,Latest Bookmark,Country\n"
      "P,2024-01-05 10:00:00,00:10:00,,Film,,TV,00:10:00,00:10:00,US (United States)\n";
  auto r = import(text);
  REQUIRE(r.ok);
  CHECK(r.errors.empty());
  REQUIRE(r.sessions.size() == 1);
  CHECK(r.sessions[0].start_wall_ms == T("2024-01-05 10:00:00"));
  CHECK(r.sessions[0].end_wall_ms == T("2024-01-05 10:10:00"));
}

TEST_CASE("an unusable header is one clear error and nothing is imported") {
  struct Case {
    std::string text;
    const char *expect;
    size_t line;
  };
  const std::string row = "\nP,2024-01-05 10:00:00,00:10:00,,Film,,TV,00:10:00,00:10:00,US\n";
  const Case cases[] = {
      {"Profile Name,Start Time,Attributes,Title,Supplemental Video Type,Device Type,Bookmark,Latest "
       "Bookmark,Country" +
           row,
       "missing required column \"Duration\"", 1},
      {"Name,When,Duration,Attributes,Show,Supplemental Video Type,Device Type,Bookmark,Latest "
       "Bookmark,Country" +
           row,
       "missing required columns \"Profile Name\", \"Start Time\", \"Title\"", 1},
      {"Profile Name,Start Time,Duration,Title,Title,Bookmark" + row, "column \"Title\" appears twice", 1},
      {"", "no header row", 1},
      {"\n  \r\n\n", "no header row", 1},
      {"\n\n\"Profile Name,Start Time" + row, "header: unterminated quoted field", 3},
      {"\xFF\xFEP\0r\0", "UTF-16", 1},
  };
  for (const auto &c : cases) {
    INFO(c.text);
    sp::NetflixImportStats st;
    auto r = import(c.text, {}, &st);
    CHECK_FALSE(r.ok);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == c.line);
    CHECK(r.errors[0].message.find(c.expect) != std::string::npos);
    CHECK(r.sessions.empty());
    CHECK(st.rows == 0);
  }
}

TEST_CASE("each kind of malformed row gets a clear message with its line; the rest is imported") {
  struct Case {
    std::string row;
    const char *expect;
  };
  const Case cases[] = {
      {"P,2024-01-05 11:00:00,00:10:00,,Film,,TV,00:10:00,US",
       "expected 10 fields (as in the header), found 9"},
      {"P,2024-01-05 11:00:00,00:10:00,,Film,,TV,00:10:00,00:10:00,US,extra", "expected 10 fields"},
      {"P,yesterday,00:10:00,,Film,,TV,00:10:00,00:10:00,US", "bad \"Start Time\" \"yesterday\""},
      {"P,2024-01-05 25:00:00,00:10:00,,Film,,TV,00:10:00,00:10:00,US", "bad \"Start Time\""},
      {"P,1969-12-31 23:59:59,00:10:00,,Film,,TV,00:10:00,00:10:00,US",
       "\"Start Time\" \"1969-12-31 23:59:59\" out of range"},
      {"P,2200-01-01 00:00:00,00:10:00,,Film,,TV,00:10:00,00:10:00,US", "out of range"},
      {"P,2024-01-05 11:00:00,-00:10:00,,Film,,TV,00:10:00,00:10:00,US",
       "bad \"Duration\" \"-00:10:00\" (expected HH:MM:SS, not negative)"},
      {"P,2024-01-05 11:00:00,25:00:00,,Film,,TV,26:00:00,00:10:00,US",
       "\"Duration\" \"25:00:00\" is longer than 24 hours"},
      {"P,2024-01-05 11:00:00,10 min,,Film,,TV,00:10:00,00:10:00,US", "bad \"Duration\" \"10 min\""},
      {"P,2024-01-05 11:00:00,00:10:00,,Film,,TV,,00:10:00,US", "bad \"Bookmark\" \"\""},
      {"P,2024-01-05 11:00:00,00:10:00,,Film,,TV,999999:00:00,00:10:00,US",
       "\"Bookmark\" \"999999:00:00\" out of range"},
      {",2024-01-05 11:00:00,00:10:00,,Film,,TV,00:10:00,00:10:00,US", "\"Profile Name\" is empty"},
      {"P,2024-01-05 11:00:00,00:10:00,,\"  \",,TV,00:10:00,00:10:00,US", "\"Title\" is empty"},
      {"P\xC3,2024-01-05 11:00:00,00:10:00,,Film,,TV,00:10:00,00:10:00,US",
       "\"Profile Name\" is not valid UTF-8"},
      {"P,2024-01-05 11:00:00,00:10:00,,Fil\xED\xA0\x80m,,TV,00:10:00,00:10:00,US",
       "\"Title\" is not valid UTF-8"},
      {"P,2024-01-05 11:00:00,00:10:00,,\"Film\" 2,,TV,00:10:00,00:10:00,US", "text after a closing quote"},
  };
  for (const auto &c : cases) {
    INFO(c.row);
    const std::string csv = kHeader + "\nP,2024-01-05 10:00:00,00:10:00,,Film,,TV,00:10:00,00:10:00,US\n" +
                            c.row + "\nP,2024-01-05 10:20:00,00:05:00,,Film,,TV,00:15:00,00:15:00,US\n";
    sp::NetflixImportStats st;
    auto r = import(csv, {}, &st);
    CHECK(r.ok);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == 3);
    CHECK(r.errors[0].message.find(c.expect) != std::string::npos);
    CHECK(st.malformed == 1);
    CHECK(st.rows == 3);
    CHECK(st.rows_imported == 2);
    REQUIRE(r.sessions.size() == 1); // the good rows on both sides of it
    CHECK(r.sessions[0].events.size() == 5);
  }
}

TEST_CASE(
    "a stray or unterminated quote costs its own row only; quoted line breaks keep line numbers right") {
  const std::string csv = kHeader + "\n" +                                                      // 1
                          "P,2024-01-05 10:00:00,00:10:00,,Film,,TV,00:10:00,00:10:00,US\n" +   // 2
                          "P,2024-01-05 10:30:00,00:10:00,,\"Film, no end,,TV,00:20:00,,US\n" + // 3: bad
                          "P,2024-01-05 10:20:00,00:05:00,,Film,,TV,00:15:00,00:15:00,US\n" +   // 4
                          "P,2024-01-06 10:00:00,00:05:00,,\"Two\nLines\",,TV,00:05:00,,US\n" + // 5-6
                          "P,2024-01-07 10:00:00,00:05:00,,Film,,TV,00:05:00\n" +               // 7: bad
                          "P,2024-01-08 10:00:00,00:05:00,,\"Last \"\"one\"\""; // 8: bad, at EOF
  sp::NetflixImportStats st;
  auto r = import(csv, {}, &st);
  CHECK(r.ok);
  REQUIRE(r.errors.size() == 3);
  // The stray quote on line 3 runs on to the next quote (line 5): that row is
  // given up and reading resumes on line 4.
  CHECK(r.errors[0].line == 3);
  CHECK(r.errors[0].message.find("text after a closing quote") != std::string::npos);
  CHECK(r.errors[1].line == 7);
  CHECK(r.errors[1].message.find("found 8") != std::string::npos);
  CHECK(r.errors[2].line == 8);
  CHECK(r.errors[2].message == "unterminated quoted field (no closing quote before the end of the file)");
  CHECK(st.lines == 8);
  CHECK(st.rows == 6);
  CHECK(st.rows_imported == 3);
  REQUIRE(r.sessions.size() == 2);
  CHECK(r.sessions[0].video == "Film");
  CHECK(r.sessions[0].events.size() == 5);
  CHECK(r.sessions[1].video == "Two\nLines");
}

TEST_CASE("a long gap splits a session; the gap is an option") {
  // Three stretches of one film: 20 min apart, then 40 min apart.
  const std::string csv = kHeader + "\n" +
                          "P,2024-01-05 11:20:00,00:10:00,,Film,,TV,00:30:00,,US\n"
                          "P,2024-01-05 10:30:00,00:10:00,,Film,,TV,00:20:00,,US\n"
                          "P,2024-01-05 10:00:00,00:10:00,,Film,,TV,00:10:00,,US\n";
  {
    auto r = import(csv); // default 30 min: the 40 min gap splits
    REQUIRE(r.sessions.size() == 2);
    CHECK(r.sessions[0].events.size() == 5);
    CHECK(r.sessions[0].end_wall_ms == T("2024-01-05 10:40:00"));
    CHECK(r.sessions[1].start_wall_ms == T("2024-01-05 11:20:00"));
    check_event(r.sessions[1].events[0], 1, sp::Kind::Open, 20 * kMin, T("2024-01-05 11:20:00"));
  }
  {
    sp::NetflixOptions opt;
    opt.session_gap_ms = 45 * kMin;
    auto r = import(csv, opt);
    REQUIRE(r.sessions.size() == 1);
    CHECK(r.sessions[0].events.size() == 7);
  }
  {
    sp::NetflixOptions opt;
    opt.session_gap_ms = 15 * kMin;
    auto r = import(csv, opt);
    CHECK(r.sessions.size() == 3);
  }
}

TEST_CASE("another title in between ends a session even within the gap") {
  const std::string csv = kHeader + "\n" +
                          "P,2024-01-05 10:25:00,00:05:00,,Film,,TV,00:15:00,,US\n"
                          "P,2024-01-05 10:12:00,00:05:00,,Other,,TV,00:05:00,,US\n"
                          "P,2024-01-05 10:00:00,00:10:00,,Film,,TV,00:10:00,,US\n";
  auto r = import(csv);
  REQUIRE(r.sessions.size() == 3);
  CHECK(r.sessions[0].video == "Film");
  CHECK(r.sessions[1].video == "Other");
  CHECK(r.sessions[2].video == "Film");
  CHECK(r.sessions[2].events.size() == 3);
  CHECK(r.sessions[0].end_reason == "stopped"); // Other was not autoplayed
}

TEST_CASE("the seek tolerance decides between continuing and seeking") {
  // The second stretch starts 8 s after where the first one ended.
  const std::string csv = kHeader + "\n" +
                          "P,2024-01-05 10:15:00,00:05:00,,Film,,TV,00:15:08,,US\n"
                          "P,2024-01-05 10:00:00,00:10:00,,Film,,TV,00:10:00,,US\n";
  {
    sp::NetflixImportStats st;
    auto r = import(csv, {}, &st); // default 10 s: rounding, no seek
    REQUIRE(r.sessions.size() == 1);
    CHECK(st.seeks == 0);
    REQUIRE(r.sessions[0].events.size() == 5);
    check_event(r.sessions[0].events[3], 4, sp::Kind::Play, 10 * kMin, T("2024-01-05 10:15:00"));
  }
  {
    sp::NetflixOptions opt;
    opt.seek_tolerance_ms = 5000;
    sp::NetflixImportStats st;
    auto r = import(csv, opt, &st);
    REQUIRE(r.sessions.size() == 1);
    CHECK(st.seeks == 1);
    const auto &ev = r.sessions[0].events;
    REQUIRE(ev.size() == 6);
    check_event(ev[3], 4, sp::Kind::Seek, 10 * kMin, T("2024-01-05 10:15:00"));
    CHECK(ev[3].to_ms == 10 * kMin + 8000);
    check_event(ev[4], 5, sp::Kind::Play, 10 * kMin + 8000, T("2024-01-05 10:15:00"));
  }
}

TEST_CASE("rewatching a stretch seeks back; watch time over the bookmark clamps the start at 0") {
  const std::string csv = kHeader + "\n" +
                          // watched 12 min but ended at 00:05:00: started (at least) at 0
                          "P,2024-01-05 10:30:00,00:12:00,,Film,,TV,00:05:00,,US\n"
                          "P,2024-01-05 10:00:00,00:20:00,,Film,,TV,00:20:00,,US\n";
  sp::NetflixImportStats st;
  auto r = import(csv, {}, &st);
  CHECK(st.starts_clamped == 1);
  CHECK(st.seeks == 1);
  REQUIRE(r.sessions.size() == 1);
  const auto &ev = r.sessions[0].events;
  REQUIRE(ev.size() == 6);
  check_event(ev[3], 4, sp::Kind::Seek, 20 * kMin, T("2024-01-05 10:30:00"));
  CHECK(ev[3].from_ms == 20 * kMin);
  CHECK(ev[3].to_ms == 0);
  check_event(ev[4], 5, sp::Kind::Play, 0, T("2024-01-05 10:30:00"));
  check_event(ev[5], 6, sp::Kind::Stop, 5 * kMin, T("2024-01-05 10:42:00"));
  CHECK(r.sessions[0].duration_ms == 20 * kMin);
}

TEST_CASE("a row that begins before the previous one ended is moved to its end, keeping its own end") {
  const std::string csv = kHeader + "\n" +
                          "P,2024-01-05 10:08:00,00:05:00,,Film,,TV,00:15:00,,US\n"
                          "P,2024-01-05 10:00:00,00:10:00,,Film,,TV,00:10:00,,US\n";
  sp::NetflixImportStats st;
  auto r = import(csv, {}, &st);
  CHECK(st.overlaps == 1);
  REQUIRE(r.sessions.size() == 1);
  const auto &ev = r.sessions[0].events;
  REQUIRE(ev.size() == 5);
  check_event(ev[2], 3, sp::Kind::Pause, 10 * kMin, T("2024-01-05 10:10:00"));
  check_event(ev[3], 4, sp::Kind::Play, 10 * kMin, T("2024-01-05 10:10:00"));
  check_event(ev[4], 5, sp::Kind::Stop, 15 * kMin, T("2024-01-05 10:13:00"));
  for (size_t i = 1; i < ev.size(); ++i)
    CHECK(ev[i].wall_ms >= ev[i - 1].wall_ms);
}

TEST_CASE("a row played wholly within the session's earlier rows, or the same row twice, is skipped") {
  // A phone row inside the TV's: 11:05-11:10 while the TV played 11:00-11:30.
  const std::string csv = kHeader + "\n" +
                          "P,2024-01-05 11:05:00,00:05:00,,Film,,Phone,00:10:00,,US\n"
                          "P,2024-01-05 11:00:00,00:30:00,,Film,,TV,00:30:00,,US\n"
                          // the same row twice, later that day
                          "P,2024-01-05 15:00:00,00:10:00,,Film,,TV,00:40:00,,US\n"
                          "P,2024-01-05 15:00:00,00:10:00,,Film,,TV,00:40:00,,US\n";
  sp::NetflixImportStats st;
  auto r = import(csv, {}, &st);
  CHECK(r.errors.empty());
  CHECK(st.rows_within == 2);
  CHECK(st.rows_imported == 2);
  CHECK(st.rows == st.rows_imported + st.rows_within); // each row counted once
  CHECK(st.overlaps == 0);
  CHECK(st.seeks == 0);
  REQUIRE(r.sessions.size() == 2);
  const auto &a = r.sessions[0].events;
  REQUIRE(a.size() == 3);
  check_event(a[0], 1, sp::Kind::Open, 0, T("2024-01-05 11:00:00"));
  check_event(a[1], 2, sp::Kind::Play, 0, T("2024-01-05 11:00:00"));
  check_event(a[2], 3, sp::Kind::Stop, 30 * kMin, T("2024-01-05 11:30:00"));
  const auto &b = r.sessions[1].events;
  REQUIRE(b.size() == 3);
  check_event(b[2], 3, sp::Kind::Stop, 40 * kMin, T("2024-01-05 15:10:00"));
}

TEST_CASE("a session ends with `end` only when the next title autoplayed with no user action, on the same "
          "device, soon") {
  auto last_kind = [](const std::string &next_row, const sp::NetflixOptions &opt = {}) {
    const std::string csv =
        kHeader + "\n" + next_row + "\n" + "P,2024-01-05 10:00:00,00:20:00,,Ep 1,,TV,00:20:00,,US\n";
    auto r = import(csv, opt);
    REQUIRE(r.errors.empty());
    REQUIRE(r.sessions.size() == 2);
    REQUIRE(r.sessions[0].video == "Ep 1");
    return std::pair{r.sessions[0].events.back().kind, r.sessions[0].end_reason};
  };
  const std::string none = "\"Autoplayed: user action: None; \"";
  CHECK(last_kind("P,2024-01-05 10:20:20,00:20:00," + none + ",Ep 2,,TV,00:20:00,,US") ==
        std::pair{sp::Kind::End, std::string("finished")});
  // Another device, too late, the viewer acted, unspecified, not autoplayed, window off: stop.
  CHECK(last_kind("P,2024-01-05 10:20:20,00:20:00," + none + ",Ep 2,,Phone,00:20:00,,US").first ==
        sp::Kind::Stop);
  CHECK(last_kind("P,2024-01-05 10:25:00,00:20:00," + none + ",Ep 2,,TV,00:20:00,,US").first ==
        sp::Kind::Stop);
  CHECK(
      last_kind(
          "P,2024-01-05 10:20:20,00:20:00,Autoplayed: user action: User_Interaction; ,Ep 2,,TV,00:20:00,,US")
          .first == sp::Kind::Stop);
  CHECK(
      last_kind("P,2024-01-05 10:20:20,00:20:00,Autoplayed: user action: Unspecified; ,Ep 2,,TV,00:20:00,,US")
          .first == sp::Kind::Stop);
  CHECK(last_kind("P,2024-01-05 10:20:20,00:20:00,,Ep 2,,TV,00:20:00,,US").first == sp::Kind::Stop);
  sp::NetflixOptions off;
  off.autoplay_window_ms = -1;
  CHECK(last_kind("P,2024-01-05 10:20:20,00:20:00," + none + ",Ep 2,,TV,00:20:00,,US", off).first ==
        sp::Kind::Stop);
  sp::NetflixOptions wide;
  wide.autoplay_window_ms = 10 * kMin;
  CHECK(last_kind("P,2024-01-05 10:25:00,00:20:00," + none + ",Ep 2,,TV,00:20:00,,US", wide).first ==
        sp::Kind::End);
}

TEST_CASE("smartplayer-import-netflix tells an unwritable --out before reading the CSV") {
  namespace fs = std::filesystem;
  const std::string tool = binary_dir() + "/tools/smartplayer-import-netflix";
  REQUIRE(fs::exists(tool));
  TempDir d;
  const std::string csv = d.file("ViewingActivity.csv");
  {
    std::ofstream f(csv, std::ios::binary);
    f << join(sample_lines(), "\n");
  }
  for (const std::string &out : {d.file("no/such/dir/t.jsonl"), d.path().string()}) {
    INFO(out);
    int st = -1;
    std::string o = run_capture(tool + " " + csv + " --out " + out + " 2>" + d.file("err.txt"), &st);
    CHECK(st == 1);
    CHECK(o.empty()); // no summary: the CSV was not read
    std::ifstream ef(d.file("err.txt"));
    std::string err((std::istreambuf_iterator<char>(ef)), {});
    CHECK(err.find("cannot open for writing") != std::string::npos);
    CHECK(err.find("skipped") == std::string::npos);
  }
  // Nothing to import (only a trailer): nothing written, no temporary file left.
  {
    std::ofstream f(d.file("trailers.csv"), std::ios::binary);
    f << kHeader << "\nP,2024-01-05 10:00:00,00:01:00,,Film (Trailer),TRAILER,TV,00:01:00,,US\n";
  }
  CHECK(run(tool + " " + d.file("trailers.csv") + " --out " + d.file("t.jsonl") + " >/dev/null 2>&1") == 1);
  size_t files = 0;
  for ([[maybe_unused]] const auto &e : fs::directory_iterator(d.path()))
    ++files;
  CHECK(files == 3); // the two CSVs and err.txt
  CHECK_FALSE(fs::exists(d.file("t.jsonl")));
}

TEST_CASE("only trailers, or a missing file, import nothing") {
  {
    sp::NetflixImportStats st;
    auto r = import(kHeader + "\nP,2024-01-05 10:00:00,00:01:00,,Film (Trailer),TRAILER,TV,00:01:00,,US\n"
                              "P,2024-01-05 10:02:00,00:00:00,,Film,,TV,00:00:00,,US\n",
                    {}, &st);
    CHECK(r.ok);
    CHECK(r.errors.empty());
    CHECK(r.sessions.empty());
    CHECK(st.supplemental == 1);
    CHECK(st.zero_duration == 1);
  }
  auto r = sp::import_netflix_file("/nonexistent/ViewingActivity.csv");
  CHECK_FALSE(r.ok);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 0);
  CHECK(r.errors[0].message.find("cannot open") != std::string::npos);
  TempDir d;
  auto rd = sp::import_netflix_file(d.path().string());
  CHECK_FALSE(rd.ok);
  REQUIRE(rd.errors.size() == 1);
  CHECK(rd.errors[0].line == 0);
}
