// JSON Lines reading/writing of trace sessions (format: docs/traces.md).
//
// Thread safety: every function here is reentrant (no shared state).
#include <cmath>
#include <fstream>
#include <istream>
#include <limits>
#include <ostream>
#include <set>
#include <sstream>
#include <string_view>

#include <nlohmann/json.hpp>

#include "trace/trace.h"

namespace sp {
namespace {

using json = nlohmann::json;

// Ranges (all ms). Wall times: 0 .. year ~2096; media positions/durations:
// 0 .. ~115 days.
constexpr int64_t kMaxWallMs = 4'000'000'000'000LL;
constexpr int64_t kMaxMediaMs = 10'000'000'000LL;

struct Bad {
  std::string msg;
};

[[noreturn]] void fail(std::string msg) {
  throw Bad{std::move(msg)};
}

const json &need(const json &obj, const char *key, const std::string &where) {
  auto it = obj.find(key);
  if (it == obj.end()) fail(where + "missing required field \"" + key + "\"");
  return *it;
}

std::string get_string(const json &v, const char *key, const std::string &where) {
  if (!v.is_string()) fail(where + "\"" + key + "\" must be a string");
  return v.get<std::string>();
}

int64_t get_int(const json &v, const char *key, int64_t lo, int64_t hi, const std::string &where) {
  if (!v.is_number_integer()) fail(where + "\"" + key + "\" must be an integer");
  int64_t x;
  if (v.is_number_unsigned()) {
    auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail(where + "\"" + key + "\" out of range");
    x = static_cast<int64_t>(u);
  } else {
    x = v.get<int64_t>();
  }
  if (x < lo || x > hi)
    fail(where + "\"" + key + "\" = " + std::to_string(x) + " out of range [" + std::to_string(lo) + ", " +
         std::to_string(hi) + "]");
  return x;
}

double get_num(const json &v, const char *key, double lo, double hi, const std::string &where) {
  if (!v.is_number()) fail(where + "\"" + key + "\" must be a number");
  double x = v.get<double>();
  if (!std::isfinite(x) || x < lo || x > hi) {
    std::ostringstream os;
    os << where << "\"" << key << "\" = " << x << " out of range [" << lo << ", " << hi << "]";
    fail(os.str());
  }
  return x;
}

bool valid_end_reason(const std::string &r) {
  return r.empty() || r == "finished" || r == "abandoned" || r == "stopped" || r == "replaced" ||
         r == "error";
}

Interaction parse_event(const json &e, size_t index, int64_t prev_seq) {
  std::string where = "event " + std::to_string(index + 1) + ": ";
  if (!e.is_object()) fail(where + "must be a JSON object");
  static const std::set<std::string, std::less<>> known = {"seq",     "kind",  "pos_ms", "wall_ms",
                                                           "from_ms", "to_ms", "old",    "value"};
  for (auto it = e.begin(); it != e.end(); ++it)
    if (!known.count(it.key())) fail(where + "unknown field \"" + it.key() + "\"");

  Interaction in;
  in.seq = get_int(need(e, "seq", where), "seq", 1, std::numeric_limits<int64_t>::max(), where);
  if (in.seq <= prev_seq)
    fail(where + "\"seq\" = " + std::to_string(in.seq) + " not greater than the previous " +
         std::to_string(prev_seq) + " (seq is 1-based and increasing)");
  std::string kname = get_string(need(e, "kind", where), "kind", where);
  auto k = kind_from_name(kname);
  if (!k) fail(where + "unknown kind \"" + kname + "\"");
  in.kind = *k;
  in.position_ms = get_int(need(e, "pos_ms", where), "pos_ms", 0, kMaxMediaMs, where);
  in.wall_ms = get_int(need(e, "wall_ms", where), "wall_ms", 0, kMaxWallMs, where);

  auto opt_int = [&](const char *key) -> std::optional<int64_t> {
    auto it = e.find(key);
    if (it == e.end()) return std::nullopt;
    return get_int(*it, key, 0, kMaxMediaMs, where);
  };
  auto opt_num = [&](const char *key, double lo, double hi) -> std::optional<double> {
    auto it = e.find(key);
    if (it == e.end()) return std::nullopt;
    return get_num(*it, key, lo, hi, where);
  };
  auto forbid = [&](std::initializer_list<const char *> keys) {
    for (const char *key : keys)
      if (e.contains(key)) fail(where + "field \"" + key + "\" is not allowed on a \"" + kname + "\" event");
  };

  switch (in.kind) {
  case Kind::Seek:
    in.from_ms = opt_int("from_ms");
    in.to_ms = opt_int("to_ms");
    if (!in.from_ms) fail(where + "seek needs \"from_ms\"");
    if (!in.to_ms) fail(where + "seek needs \"to_ms\"");
    forbid({"old", "value"});
    break;
  case Kind::Skip: {
    forbid({"from_ms", "to_ms", "old"});
    in.value = opt_num("value", -1, 1);
    if (!in.value) fail(where + "skip needs \"value\" (+1 or -1)");
    if (*in.value != 1.0 && *in.value != -1.0) fail(where + "skip \"value\" must be +1 or -1");
    break;
  }
  case Kind::Volume:
    forbid({"from_ms", "to_ms"});
    in.old_value = opt_num("old", 0, 100);
    in.value = opt_num("value", 0, 100);
    if (!in.value) fail(where + "volume needs \"value\" (0..100)");
    break;
  case Kind::Mute:
    forbid({"from_ms", "to_ms"});
    in.old_value = opt_num("old", 0, 1);
    in.value = opt_num("value", 0, 1);
    if (!in.value) fail(where + "mute needs \"value\" (1 muted, 0 unmuted)");
    if (*in.value != 0.0 && *in.value != 1.0) fail(where + "mute \"value\" must be 0 or 1");
    if (in.old_value && *in.old_value != 0.0 && *in.old_value != 1.0)
      fail(where + "mute \"old\" must be 0 or 1");
    break;
  case Kind::Rate:
    forbid({"from_ms", "to_ms"});
    in.old_value = opt_num("old", 0.0625, 16);
    in.value = opt_num("value", 0.0625, 16);
    if (!in.value) fail(where + "rate needs \"value\"");
    break;
  default:
    forbid({"from_ms", "to_ms", "old", "value"});
    break;
  }
  return in;
}

TraceSession parse_session(const json &j) {
  if (!j.is_object()) fail("a trace line must be a JSON object");
  static const std::set<std::string, std::less<>> known = {"session",     "viewer",      "video",
                                                           "genre",       "duration_ms", "start_wall_ms",
                                                           "end_wall_ms", "end_reason",  "events"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!known.count(it.key())) fail("unknown field \"" + it.key() + "\"");

  const std::string w;
  TraceSession s;
  s.session_id = get_string(need(j, "session", w), "session", w);
  if (s.session_id.empty()) fail("\"session\" must not be empty");
  s.viewer = get_string(need(j, "viewer", w), "viewer", w);
  if (s.viewer.empty()) fail("\"viewer\" must not be empty");
  s.video = get_string(need(j, "video", w), "video", w);
  if (s.video.empty()) fail("\"video\" must not be empty");
  auto g = j.find("genre");
  s.genre = g == j.end() ? "unknown" : get_string(*g, "genre", w);
  if (s.genre.empty()) s.genre = "unknown";
  s.duration_ms = get_int(need(j, "duration_ms", w), "duration_ms", 0, kMaxMediaMs, w);
  s.start_wall_ms = get_int(need(j, "start_wall_ms", w), "start_wall_ms", 0, kMaxWallMs, w);
  auto e = j.find("end_wall_ms");
  s.end_wall_ms = e == j.end() ? 0 : get_int(*e, "end_wall_ms", 0, kMaxWallMs, w);
  if (s.end_wall_ms != 0 && s.end_wall_ms < s.start_wall_ms)
    fail("\"end_wall_ms\" (" + std::to_string(s.end_wall_ms) + ") before \"start_wall_ms\" (" +
         std::to_string(s.start_wall_ms) + ")");
  auto r = j.find("end_reason");
  s.end_reason = r == j.end() ? "" : get_string(*r, "end_reason", w);
  if (!valid_end_reason(s.end_reason))
    fail("unknown \"end_reason\" \"" + s.end_reason +
         "\" (expected finished, abandoned, stopped, replaced, error or \"\")");

  const json &events = need(j, "events", w);
  if (!events.is_array()) fail("\"events\" must be an array");
  s.events.reserve(events.size());
  int64_t prev = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    s.events.push_back(parse_event(events[i], i, prev));
    prev = s.events.back().seq;
  }
  return s;
}

bool is_blank(const std::string &line) {
  for (char c : line)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  return true;
}

json to_json(const TraceSession &s) {
  json j = json::object();
  j["session"] = s.session_id;
  j["viewer"] = s.viewer;
  j["video"] = s.video;
  j["genre"] = s.genre.empty() ? std::string("unknown") : s.genre;
  j["duration_ms"] = s.duration_ms;
  j["start_wall_ms"] = s.start_wall_ms;
  j["end_wall_ms"] = s.end_wall_ms;
  j["end_reason"] = s.end_reason;
  json ev = json::array();
  for (const auto &e : s.events) {
    json o = json::object();
    o["seq"] = e.seq;
    o["kind"] = std::string(kind_name(e.kind));
    o["pos_ms"] = e.position_ms;
    o["wall_ms"] = e.wall_ms;
    if (e.from_ms) o["from_ms"] = *e.from_ms;
    if (e.to_ms) o["to_ms"] = *e.to_ms;
    if (e.old_value) o["old"] = *e.old_value;
    if (e.value) o["value"] = *e.value;
    ev.push_back(std::move(o));
  }
  j["events"] = std::move(ev);
  return j;
}

} // namespace

bool parse_trace_line(const std::string &line, TraceSession &out, std::string &err) {
  json j;
  try {
    j = json::parse(line);
  } catch (const json::parse_error &e) {
    // e.byte is the 1-based byte where parsing failed.
    err = "not valid JSON (at byte " + std::to_string(e.byte) + ")";
    return false;
  }
  try {
    out = parse_session(j);
    return true;
  } catch (const Bad &b) {
    err = b.msg;
    return false;
  } catch (const std::exception &e) {
    err = std::string("invalid trace line: ") + e.what();
    return false;
  }
}

TraceReadResult read_traces(std::istream &in, OnMalformed mode) {
  TraceReadResult r;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (is_blank(line)) continue;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    TraceSession s;
    std::string err;
    if (parse_trace_line(line, s, err)) {
      r.sessions.push_back(std::move(s));
      continue;
    }
    r.errors.push_back({n, "line " + std::to_string(n) + ": " + err});
    if (mode == OnMalformed::Refuse) {
      r.ok = false;
      return r;
    }
  }
  if (in.bad()) {
    r.errors.push_back({n + 1, "line " + std::to_string(n + 1) + ": read error"});
    r.ok = false;
  }
  return r;
}

TraceReadResult read_trace_file(const std::string &path, OnMalformed mode) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    TraceReadResult r;
    r.ok = false;
    r.errors.push_back({0, path + ": cannot open for reading"});
    return r;
  }
  auto r = read_traces(f, mode);
  for (auto &e : r.errors)
    e.message = path + ": " + e.message;
  return r;
}

void write_trace(std::ostream &out, const TraceSession &s) {
  // Invalid UTF-8 in strings is replaced rather than throwing.
  out << to_json(s).dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
}

void write_traces(std::ostream &out, const std::vector<TraceSession> &sessions) {
  for (const auto &s : sessions)
    write_trace(out, s);
}

bool write_trace_file(const std::string &path, const std::vector<TraceSession> &sessions, std::string &err) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) {
    err = path + ": cannot open for writing";
    return false;
  }
  write_traces(f, sessions);
  f.flush();
  if (!f) {
    err = path + ": write failed";
    return false;
  }
  return true;
}

} // namespace sp
