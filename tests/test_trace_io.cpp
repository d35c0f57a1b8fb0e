// JSON Lines trace format: round trip, strict validation with line numbers,
// Skip vs Refuse (docs/traces.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support.h"
#include "trace/trace.h"
#include "trace/transitions.h"

using namespace sp;

namespace {

Interaction ev(int64_t seq, Kind k, int64_t pos, int64_t wall) {
  Interaction e;
  e.seq = seq;
  e.kind = k;
  e.position_ms = pos;
  e.wall_ms = wall;
  return e;
}

TraceSession sample(const std::string &id) {
  TraceSession s;
  s.session_id = id;
  s.viewer = "viewer-\"7\""; // quotes must survive
  s.video = "clip_é";        // UTF-8 must survive
  s.genre = "lecture";
  s.duration_ms = 600000;
  s.start_wall_ms = 1700000000000;
  s.end_wall_ms = 1700000090000;
  s.end_reason = "stopped";
  s.events.push_back(ev(1, Kind::Open, 0, 1700000000000));
  s.events.push_back(ev(2, Kind::Play, 0, 1700000000010));
  auto seek = ev(3, Kind::Seek, 1000, 1700000010000);
  seek.from_ms = 1000;
  seek.to_ms = 45000;
  s.events.push_back(seek);
  auto vol = ev(4, Kind::Volume, 46000, 1700000011000);
  vol.old_value = 100;
  vol.value = 35.5;
  s.events.push_back(vol);
  auto rate = ev(5, Kind::Rate, 47000, 1700000012000);
  rate.old_value = 1.0;
  rate.value = 1.25;
  s.events.push_back(rate);
  auto mute = ev(6, Kind::Mute, 48000, 1700000013000);
  mute.value = 1;
  s.events.push_back(mute);
  auto skip = ev(7, Kind::Skip, 49000, 1700000014000);
  skip.value = -1;
  s.events.push_back(skip);
  s.events.push_back(ev(8, Kind::Pause, 50000, 1700000015000));
  s.events.push_back(ev(9, Kind::Step, 50040, 1700000016000));
  s.events.push_back(ev(10, Kind::Stop, 50040, 1700000090000));
  return s;
}

std::string good_line() {
  std::ostringstream os;
  write_trace(os, sample("s1"));
  std::string l = os.str();
  l.pop_back(); // newline
  return l;
}

// A valid line with one edit applied to its JSON.
std::string edited(const std::function<void(nlohmann::json &)> &f) {
  auto j = nlohmann::json::parse(good_line());
  f(j);
  return j.dump();
}

std::string parse_error(const std::string &line) {
  TraceSession s;
  std::string err;
  bool ok = parse_trace_line(line, s, err);
  CHECK_FALSE(ok);
  CHECK_FALSE(err.empty());
  return err;
}

} // namespace

TEST_CASE("trace sessions round-trip through JSON Lines", "[trace_io]") {
  std::vector<TraceSession> in = {sample("a"), sample("b")};
  in[1].end_reason = "";
  in[1].end_wall_ms = 0;
  in[1].events.resize(1);
  TraceSession empty = sample("c");
  empty.events.clear();
  empty.end_reason = "abandoned";
  in.push_back(empty);

  std::stringstream ss;
  write_traces(ss, in);
  std::string text = ss.str();
  REQUIRE(std::count(text.begin(), text.end(), '\n') == 3);

  auto r = read_traces(ss, OnMalformed::Refuse);
  REQUIRE(r.ok);
  REQUIRE(r.errors.empty());
  REQUIRE(r.sessions.size() == in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    CHECK(r.sessions[i].session_id == in[i].session_id);
    CHECK(r.sessions[i].viewer == in[i].viewer);
    CHECK(r.sessions[i].video == in[i].video);
    CHECK(r.sessions[i].genre == in[i].genre);
    CHECK(r.sessions[i].duration_ms == in[i].duration_ms);
    CHECK(r.sessions[i].start_wall_ms == in[i].start_wall_ms);
    CHECK(r.sessions[i].end_wall_ms == in[i].end_wall_ms);
    CHECK(r.sessions[i].end_reason == in[i].end_reason);
    CHECK(r.sessions[i].events == in[i].events);
  }
}

TEST_CASE("trace files: write then read; missing file is reported", "[trace_io]") {
  sp_test::TempDir dir;
  std::string path = dir.file("t.jsonl");
  std::string err;
  REQUIRE(write_trace_file(path, {sample("x"), sample("y")}, err));
  auto r = read_trace_file(path, OnMalformed::Refuse);
  REQUIRE(r.ok);
  REQUIRE(r.sessions.size() == 2);
  CHECK(r.sessions[1].events == sample("y").events);

  auto missing = read_trace_file(dir.file("nope.jsonl"));
  CHECK_FALSE(missing.ok);
  REQUIRE(missing.errors.size() == 1);
  CHECK(missing.errors[0].line == 0);
  CHECK(missing.errors[0].message.find("nope.jsonl") != std::string::npos);

  CHECK_FALSE(write_trace_file(dir.file("no/such/dir/t.jsonl"), {sample("x")}, err));
  CHECK(err.find("no/such/dir") != std::string::npos);
}

TEST_CASE("missing genre defaults to unknown; blank lines and CRLF are accepted", "[trace_io]") {
  std::string no_genre = edited([](auto &j) { j.erase("genre"); });
  std::string no_end = edited([](auto &j) {
    j.erase("end_wall_ms");
    j.erase("end_reason");
  });
  std::stringstream ss("\n" + no_genre + "\r\n   \n\t\n" + no_end + "\n\n");
  auto r = read_traces(ss, OnMalformed::Refuse);
  REQUIRE(r.ok);
  REQUIRE(r.sessions.size() == 2);
  CHECK(r.sessions[0].genre == "unknown");
  CHECK(r.sessions[1].end_wall_ms == 0);
  CHECK(r.sessions[1].end_reason.empty());
}

TEST_CASE("each kind of malformed line is refused with a clear message", "[trace_io]") {
  using J = nlohmann::json;
  struct Case {
    const char *name;
    std::string line;
    const char *expect; // substring of the message
  };
  std::vector<Case> cases = {
      {"not json", "{\"session\": ", "not valid JSON"},
      {"not an object", "[1,2,3]", "must be a JSON object"},
      {"missing session", edited([](J &j) { j.erase("session"); }), "\"session\""},
      {"missing viewer", edited([](J &j) { j.erase("viewer"); }), "\"viewer\""},
      {"missing video", edited([](J &j) { j.erase("video"); }), "\"video\""},
      {"missing events", edited([](J &j) { j.erase("events"); }), "\"events\""},
      {"missing duration", edited([](J &j) { j.erase("duration_ms"); }), "\"duration_ms\""},
      {"missing start", edited([](J &j) { j.erase("start_wall_ms"); }), "\"start_wall_ms\""},
      {"empty session id", edited([](J &j) { j["session"] = ""; }), "must not be empty"},
      {"session not a string", edited([](J &j) { j["session"] = 12; }), "must be a string"},
      {"unknown field", edited([](J &j) { j["sesion"] = "x"; }), "unknown field \"sesion\""},
      {"events not array", edited([](J &j) { j["events"] = 3; }), "must be an array"},
      {"negative duration", edited([](J &j) { j["duration_ms"] = -5; }), "out of range"},
      {"fractional duration", edited([](J &j) { j["duration_ms"] = 1.5; }), "must be an integer"},
      {"huge wall", edited([](J &j) { j["start_wall_ms"] = 18446744073709551615ULL; }), "out of range"},
      {"end before start", edited([](J &j) { j["end_wall_ms"] = 5; }), "before"},
      {"bad end reason", edited([](J &j) { j["end_reason"] = "bored"; }), "end_reason"},
      {"unknown kind", edited([](J &j) { j["events"][1]["kind"] = "dance"; }), "unknown kind \"dance\""},
      {"kind as number", edited([](J &j) { j["events"][1]["kind"] = 1; }), "must be a string"},
      {"seq zero", edited([](J &j) { j["events"][0]["seq"] = 0; }), "out of range"},
      {"seq not increasing", edited([](J &j) { j["events"][2]["seq"] = 2; }), "not greater than"},
      {"missing seq", edited([](J &j) { j["events"][2].erase("seq"); }), "\"seq\""},
      {"missing pos", edited([](J &j) { j["events"][2].erase("pos_ms"); }), "\"pos_ms\""},
      {"missing wall", edited([](J &j) { j["events"][2].erase("wall_ms"); }), "\"wall_ms\""},
      {"negative pos", edited([](J &j) { j["events"][1]["pos_ms"] = -1; }), "out of range"},
      {"seek without to", edited([](J &j) { j["events"][2].erase("to_ms"); }), "seek needs \"to_ms\""},
      {"seek without from", edited([](J &j) { j["events"][2].erase("from_ms"); }), "seek needs \"from_ms\""},
      {"volume too loud", edited([](J &j) { j["events"][3]["value"] = 150; }), "out of range"},
      {"volume without value", edited([](J &j) { j["events"][3].erase("value"); }), "volume needs"},
      {"rate zero", edited([](J &j) { j["events"][4]["value"] = 0; }), "out of range"},
      {"mute half", edited([](J &j) { j["events"][5]["value"] = 0.5; }), "must be 0 or 1"},
      {"skip by two", edited([](J &j) { j["events"][6]["value"] = 2; }), "out of range"},
      {"payload on play", edited([](J &j) { j["events"][1]["value"] = 1; }), "not allowed on a \"play\""},
      {"value not number", edited([](J &j) { j["events"][3]["value"] = "loud"; }), "must be a number"},
      {"unknown event field", edited([](J &j) { j["events"][1]["speed"] = 1; }), "unknown field \"speed\""},
      {"event not object", edited([](J &j) { j["events"][1] = 7; }), "event 2"},
  };
  for (const auto &c : cases) {
    INFO(c.name << ": " << c.line);
    std::string err = parse_error(c.line);
    INFO("message: " << err);
    CHECK(err.find(c.expect) != std::string::npos);

    // In a file, the message carries the line number (line 3 here: a good
    // line, a blank line, the bad one, another good one).
    std::stringstream ss(good_line() + "\n\n" + c.line + "\n" + good_line() + "\n");
    auto refused = read_traces(ss, OnMalformed::Refuse);
    CHECK_FALSE(refused.ok);
    CHECK(refused.sessions.size() == 1);
    REQUIRE(refused.errors.size() == 1);
    CHECK(refused.errors[0].line == 3);
    CHECK(refused.errors[0].message.rfind("line 3: ", 0) == 0);
    CHECK(refused.errors[0].message.find(c.expect) != std::string::npos);
  }
}

TEST_CASE("Skip reports every bad line and keeps the good ones; Refuse stops at the first", "[trace_io]") {
  std::string bad_kind = edited([](nlohmann::json &j) { j["events"][1]["kind"] = "dance"; });
  std::string text = good_line() + "\n" + // 1
                     "garbage\n" +        // 2
                     good_line() + "\n" + // 3
                     "\n" +               // 4 (blank)
                     bad_kind + "\n" +    // 5
                     good_line();         // 6 (no final newline)
  {
    std::stringstream ss(text);
    auto r = read_traces(ss, OnMalformed::Skip);
    CHECK(r.ok);
    CHECK(r.sessions.size() == 3);
    REQUIRE(r.errors.size() == 2);
    CHECK(r.errors[0].line == 2);
    CHECK(r.errors[1].line == 5);
    CHECK(r.errors[1].message.find("dance") != std::string::npos);
  }
  {
    std::stringstream ss(text);
    auto r = read_traces(ss, OnMalformed::Refuse);
    CHECK_FALSE(r.ok);
    CHECK(r.sessions.size() == 1);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == 2);
  }
  {
    // Default mode is Skip.
    std::stringstream ss(text);
    CHECK(read_traces(ss).sessions.size() == 3);
  }
}

TEST_CASE("written lines use the documented field names", "[trace_io]") {
  auto j = nlohmann::json::parse(good_line());
  for (const char *k : {"session", "viewer", "video", "genre", "duration_ms", "start_wall_ms", "end_wall_ms",
                        "end_reason", "events"})
    CHECK(j.contains(k));
  CHECK(j["events"][0] ==
        nlohmann::json::parse(R"({"seq":1,"kind":"open","pos_ms":0,"wall_ms":1700000000000})"));
  CHECK(j["events"][2]["from_ms"] == 1000);
  CHECK(j["events"][2]["to_ms"] == 45000);
  CHECK(j["events"][3]["old"] == 100.0);
  CHECK(j["events"][3]["value"] == 35.5);
}

TEST_CASE("every kind round-trips with every optional field the writer can emit", "[trace_io]") {
  // For each kind, each combination of the payload fields that the player,
  // the simulator or an importer set for it (docs/traces.md, "Kinds").
  struct Payload {
    std::optional<int64_t> from, to;
    std::optional<double> old, value;
  };
  const std::vector<std::pair<Kind, std::vector<Payload>>> table = {
      {Kind::Open, {{}}},
      {Kind::Play, {{}}},
      {Kind::Pause, {{}}},
      {Kind::Seek, {{1000, 45000, {}, {}}, {45000, 0, {}, {}}}},
      {Kind::Skip, {{{}, {}, {}, 1.0}, {{}, {}, {}, -1.0}}},
      {Kind::Volume, {{{}, {}, {}, 35.5}, {{}, {}, 100.0, 0.0}}},
      {Kind::Mute, {{{}, {}, {}, 1.0}, {{}, {}, 0.0, 1.0}, {{}, {}, 1.0, 0.0}}},
      {Kind::Rate, {{{}, {}, {}, 1.25}, {{}, {}, 1.0, 0.5}, {{}, {}, 2.0, 16.0}}},
      {Kind::Stop, {{}}},
      {Kind::Step, {{}}},
      {Kind::End, {{}}},
  };
  REQUIRE(table.size() == static_cast<size_t>(kKindCount));
  TraceSession s = sample("all");
  s.events.clear();
  int64_t seq = 0;
  for (const auto &[kind, payloads] : table)
    for (const auto &p : payloads) {
      ++seq;
      Interaction e = ev(seq, kind, 1000 * seq, 1700000000000 + 1000 * seq);
      e.from_ms = p.from;
      e.to_ms = p.to;
      e.old_value = p.old;
      e.value = p.value;
      s.events.push_back(e);
    }
  s.end_wall_ms = 1700000000000 + 1000 * (seq + 1);

  std::stringstream ss;
  write_trace(ss, s);
  INFO(ss.str());
  auto r = read_traces(ss, OnMalformed::Refuse);
  INFO((r.errors.empty() ? std::string() : r.errors[0].message));
  REQUIRE(r.ok);
  REQUIRE(r.sessions.size() == 1);
  CHECK(r.sessions[0].events == s.events);

  // Each event alone, so one refused field names its own kind.
  for (const auto &e : s.events) {
    TraceSession one = s;
    one.events = {e};
    one.events[0].seq = 1;
    std::ostringstream os;
    write_trace(os, one);
    std::string line = os.str();
    line.pop_back();
    TraceSession back;
    std::string err;
    INFO(line);
    CHECK(parse_trace_line(line, back, err));
    CHECK(err.empty());
    CHECK(back.events == one.events);
  }
}

namespace {

// Replace the first `from` in `line` with `to` (text edits: a JSON library
// cannot even hold 1e400).
std::string with(std::string line, const std::string &from, const std::string &to) {
  auto at = line.find(from);
  REQUIRE(at != std::string::npos);
  line.replace(at, from.size(), to);
  return line;
}

std::string repeat(const std::string &s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i)
    out += s;
  return out;
}

// A stream of one line of `bytes` bytes (a pattern repeated), a newline, then
// `tail`, made on the fly: the long line never exists in memory.
class GeneratedLine : public std::streambuf {
public:
  GeneratedLine(uint64_t bytes, const std::string &pattern, std::string tail)
      : left_(bytes), tail_("\n" + std::move(tail)) {
    while (chunk_.size() < 64 * 1024)
      chunk_ += pattern;
  }

protected:
  int_type underflow() override {
    if (left_ > 0) {
      size_t k = static_cast<size_t>(std::min<uint64_t>(left_, chunk_.size()));
      left_ -= k;
      setg(chunk_.data(), chunk_.data(), chunk_.data() + k);
      return traits_type::to_int_type(chunk_[0]);
    }
    if (!tail_given_) {
      tail_given_ = true;
      setg(tail_.data(), tail_.data(), tail_.data() + tail_.size());
      return traits_type::to_int_type(tail_[0]);
    }
    return traits_type::eof();
  }

private:
  uint64_t left_;
  std::string chunk_, tail_;
  bool tail_given_ = false;
};

// Peak resident memory of this process (kB), from the kernel.
int64_t peak_rss_kb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6));
  return -1;
}

// Reset the peak to the current RSS (Linux >= 4.0); false when not possible.
bool reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

} // namespace

TEST_CASE("numbers out of range and deep nesting are per-line errors, never exceptions", "[trace_io]") {
  const std::string g = good_line();
  struct Case {
    const char *name;
    std::string line;
    const char *expect;
  };
  const std::vector<Case> cases = {
      {"1e400 duration", with(g, "\"duration_ms\":600000", "\"duration_ms\":1e400"), "number out of range"},
      {"-1e400 value", with(g, "\"value\":35.5", "\"value\":-1e400"), "number out of range"},
      {"1E+400 wall time", with(g, "\"wall_ms\":1700000000010", "\"wall_ms\":1E+400"), "number out of range"},
      {"1e400 in an unknown field", with(g, "{", "{\"x\":1e400,"), "number out of range"},
      {"integer beyond 64 bits",
       with(g, "\"duration_ms\":600000", "\"duration_ms\":123456789012345678901234567890"),
       "\"duration_ms\" out of range"},
      {"negative integer beyond 64 bits",
       with(g, "\"pos_ms\":0", "\"pos_ms\":-123456789012345678901234567890"), "\"pos_ms\" out of range"},
      {"deep array", repeat("[", 100000) + repeat("]", 100000), "nested deeper than 8 levels"},
      {"deep object", repeat("{\"a\":", 100000) + "1" + repeat("}", 100000), "nested deeper than 8 levels"},
      {"deep in a field", with(g, "\"genre\":\"lecture\"", "\"genre\":" + repeat("[", 9) + repeat("]", 9)),
       "nested deeper than 8 levels"},
      {"deep and unterminated", repeat("[", 1000000), "nested deeper than 8 levels"},
  };
  for (const auto &c : cases) {
    INFO(c.name);
    std::string err = parse_error(c.line);
    INFO("message: " << err);
    CHECK(err.find(c.expect) != std::string::npos);
    // In a file: the good lines around it are kept, the bad one named.
    std::stringstream ss(g + "\n" + c.line + "\n" + g + "\n");
    auto r = read_traces(ss, OnMalformed::Skip);
    CHECK(r.ok);
    CHECK(r.sessions.size() == 2);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == 2);
    CHECK(r.errors[0].message.find(c.expect) != std::string::npos);
  }
  // Nesting up to the cap is only a format error (the format needs 3 levels).
  std::string eight = with(g, "\"genre\":\"lecture\"", "\"genre\":" + repeat("[", 6) + repeat("]", 6));
  CHECK(parse_error(eight).find("\"genre\" must be a string") != std::string::npos);
  // A tiny number is not out of range: it is a number (here, a rate too small).
  CHECK(parse_error(with(g, "\"value\":1.25", "\"value\":1e-400")).find("\"value\" = 0 out of range") !=
        std::string::npos);
}

TEST_CASE("a line over the length limit is an error; the lines after it are read", "[trace_io]") {
  const std::string g = good_line();
  const size_t cap = 4096;
  REQUIRE(g.size() < cap);
  const std::string at_cap = g + std::string(cap - g.size(), ' '); // trailing blanks are valid JSON
  const std::string over = g + std::string(cap - g.size() + 1, ' ');
  std::string text = g + "\n" + over + "\n" + at_cap + "\n\n" + std::string(3 * cap, 'x'); // no final newline
  {
    std::stringstream ss(text);
    auto r = read_traces(ss, OnMalformed::Skip, cap);
    CHECK(r.ok);
    CHECK(r.sessions.size() == 2);
    REQUIRE(r.errors.size() == 2);
    CHECK(r.errors[0].line == 2);
    CHECK(r.errors[0].message == "line 2: 4097 bytes, longer than the limit of 4096 bytes per line");
    CHECK(r.errors[1].line == 5);
    CHECK(r.errors[1].message.find("12288 bytes, longer than the limit") != std::string::npos);
  }
  {
    std::stringstream ss(text);
    auto r = read_traces(ss, OnMalformed::Refuse, cap);
    CHECK_FALSE(r.ok);
    CHECK(r.sessions.size() == 1);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == 2);
  }
  // Lines around the reader's 64 KiB chunk size are whole lines.
  for (size_t len : {size_t{65535}, size_t{65536}, size_t{65537}, size_t{131072}, size_t{200001}}) {
    INFO("length " << len);
    std::string padded = g + std::string(len - g.size(), ' ');
    std::stringstream ss(padded + "\n" + padded + "\r\n" + padded);
    auto r = read_traces(ss, OnMalformed::Refuse);
    CHECK(r.ok);
    CHECK(r.sessions.size() == 3);
  }
  CHECK(kMaxTraceLineBytes == 4u << 20);
  CHECK(kMaxTraceDepth == 8);
}

TEST_CASE("memory stays bounded however long one line is", "[trace_io]") {
  // 128 MiB of plausible events on one line, then a good line; the stream
  // makes the bytes on the fly, so only the reader can hold them.
  const uint64_t bytes = uint64_t{128} << 20;
  GeneratedLine buf(bytes, R"({"seq":1,"kind":"play","pos_ms":0,"wall_ms":1700000000000},)", good_line());
  std::istream in(&buf);
  if (!reset_peak_rss())
    WARN("cannot reset VmHWM (/proc/self/clear_refs): the delta counts earlier peaks too");
  const int64_t before = peak_rss_kb();
  REQUIRE(before > 0);
  auto r = read_traces(in, OnMalformed::Skip);
  const int64_t grown_kb = peak_rss_kb() - before;
  INFO("peak RSS grew by " << grown_kb << " kB reading a " << (bytes >> 20) << " MiB line");
  CHECK(r.ok);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 1);
  CHECK(r.errors[0].message ==
        "line 1: 134217728 bytes, longer than the limit of 4194304 bytes (4 MiB) per line");
  CHECK(r.sessions.size() == 1);
  // The cap (4 MiB) and the 64 KiB chunk, with room for the allocator: far
  // below the line's 128 MiB (before the cap it took well over 10x the line).
  CHECK(grown_kb < 24 * 1024);
}

TEST_CASE("transitions side file: read, sorted, errors by line, round trip") {
  std::stringstream in(
      "{\"video\":\"a\",\"transitions_ms\":[5000,1000,1000]}\n\n{\"video\":\"b\",\"transitions_ms\":[]}\n");
  sp::VideoTransitions t;
  std::string err;
  REQUIRE(sp::read_transitions(in, t, err));
  CHECK(t.size() == 2);
  CHECK(t["a"] == std::vector<int64_t>{1000, 5000});
  CHECK(t["b"].empty());
  std::stringstream out;
  sp::write_transitions(out, t);
  sp::VideoTransitions back;
  REQUIRE(sp::read_transitions(out, back, err));
  CHECK(back == t);
  for (const char *bad :
       {"not json", "{\"video\":\"\",\"transitions_ms\":[]}", "{\"video\":\"a\"}",
        "{\"video\":\"a\",\"transitions_ms\":[1.5]}", "{\"video\":\"a\",\"transitions_ms\":[-1]}"}) {
    std::stringstream b(std::string("{\"video\":\"x\",\"transitions_ms\":[1]}\n") + bad + "\n");
    INFO(bad);
    CHECK_FALSE(sp::read_transitions(b, t, err));
    CHECK(err.rfind("line 2: ", 0) == 0);
  }
  std::stringstream twice(
      "{\"video\":\"a\",\"transitions_ms\":[1]}\n{\"video\":\"a\",\"transitions_ms\":[2]}\n");
  CHECK_FALSE(sp::read_transitions(twice, t, err));
  CHECK(err.find("listed twice") != std::string::npos);
  CHECK_FALSE(sp::read_transitions_file("/nonexistent/t.jsonl", t, err));
  CHECK(err.find("cannot open") != std::string::npos);
}

TEST_CASE(
    "FileReplace: a file is replaced whole or not at all; check_tool_files refuses an output over an input") {
  sp_test::TempDir dir;
  const std::string path = dir.file("out.jsonl");
  { std::ofstream(path) << "old\n"; }
  auto slurp = [&] {
    std::ifstream f(path);
    return std::string((std::istreambuf_iterator<char>(f)), {});
  };
  {
    sp::FileReplace f;
    std::string err;
    REQUIRE(f.open(path, err));
    f.stream() << "half of the new";
    CHECK(slurp() == "old\n"); // not committed: the old file stands, and the temporary goes
  }
  CHECK(slurp() == "old\n");
  for (const auto &e : std::filesystem::directory_iterator(dir.path()))
    CHECK(e.path().filename().string().find("partial") == std::string::npos);
  {
    sp::FileReplace f;
    std::string err;
    REQUIRE(f.open(path, err));
    f.stream() << "new\n";
    REQUIRE(f.commit(err));
  }
  CHECK(slurp() == "new\n");
  {
    sp::FileReplace f;
    std::string err;
    CHECK_FALSE(f.open(dir.file("no/such/dir/x.jsonl"), err));
    CHECK(err.find("cannot open for writing") != std::string::npos);
    CHECK_FALSE(f.open(dir.path().string(), err));
    CHECK(err.find("folder") != std::string::npos);
  }

  std::string err;
  std::filesystem::create_hard_link(path, dir.file("hard.jsonl"));
  CHECK_FALSE(sp::check_tool_files({{"--db", path, false}, {"--out", dir.file("hard.jsonl"), true}}, err));
  CHECK(err.find("it would be overwritten") != std::string::npos);
  // Neither exists yet (and the folder "a" does not): the paths still resolve to one name.
  CHECK_FALSE(sp::check_tool_files(
      {{"--out", dir.file("a/../new.json"), true}, {"--truth", dir.file("new.json"), true}}, err));
  CHECK_FALSE(sp::check_tool_files(
      {{"--out", dir.file("new.json"), true}, {"--truth", dir.file("./new.json"), true}}, err));
  CHECK(err.find("both would write it") != std::string::npos);
  CHECK(sp::check_tool_files({{"--traces", path, false},
                              {"--out", dir.file("other.json"), true},
                              {"--json", "-", true},
                              {"--actions", "", true}},
                             err));
}
