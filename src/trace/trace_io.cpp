// JSON Lines reading/writing of trace sessions (format: docs/traces.md).
//
// Thread safety: every function here is reentrant (no shared state).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <istream>
#include <limits>
#include <ostream>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <tuple>

#include <nlohmann/json.hpp>

#include "trace/trace.h"

namespace sp {
namespace {

using json = nlohmann::json;

constexpr int64_t kMaxWallMs = kMaxTraceWallMs;
constexpr int64_t kMaxMediaMs = kMaxTraceMediaMs;

struct Bad {
  std::string msg;
};

[[noreturn]] void fail(std::string msg) {
  throw Bad{std::move(msg)};
}

// nlohmann's own DOM builder behind a filter: nesting deeper than
// kMaxTraceDepth is refused before it is built, and the first error (bad
// syntax, or a number out of range such as 1e400, which json::parse throws
// as out_of_range rather than parse_error) is kept as a message instead of
// thrown.
class BoundedDomParser {
public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  explicit BoundedDomParser(json &root) : dom_(root, false) {}
  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(number_float_t v, const string_t &text) { return dom_.number_float(v, text); }
  bool string(string_t &v) { return dom_.string(v); }
  bool binary(binary_t &v) { return dom_.binary(v); }
  bool start_object(std::size_t n) { return deeper() && dom_.start_object(n); }
  bool key(string_t &k) { return dom_.key(k); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return deeper() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t byte, const std::string &token, const json::exception &ex) {
    if (ex.id == 406) { // out_of_range: number overflow
      std::string shown = token.size() > 40 ? token.substr(0, 40) + "..." : token;
      error_ = "number out of range (at byte " + std::to_string(byte) + "): " + shown;
    } else {
      error_ = "not valid JSON (at byte " + std::to_string(byte) + ")";
    }
    return false;
  }
  const std::string &error() const { return error_; }

private:
  bool deeper() {
    if (++depth_ <= kMaxTraceDepth) return true;
    error_ = "JSON nested deeper than " + std::to_string(kMaxTraceDepth) + " levels";
    return false;
  }
  nlohmann::detail::json_sax_dom_parser<json> dom_;
  int depth_ = 0;
  std::string error_;
};

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
  if (v.is_number_float()) {
    // An integer beyond 64 bits reaches here as a float: it is out of range.
    double d = v.get<double>();
    if (d == std::trunc(d) && std::fabs(d) >= 9.2e18) fail(where + "\"" + key + "\" out of range");
  }
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
         r == "error" || r == "crashed";
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
         "\" (expected finished, abandoned, stopped, replaced, error, crashed or \"\")");

  const json &events = need(j, "events", w);
  if (!events.is_array()) fail("\"events\" must be an array");
  s.events.reserve(events.size());
  int64_t prev = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    s.events.push_back(parse_event(events[i], i, prev));
    prev = s.events.back().seq;
  }
  // Times never go back (equal times are fine): replay and the oracle both
  // walk a session's events in order on one timeline.
  int64_t prev_wall = s.start_wall_ms;
  for (size_t i = 0; i < s.events.size(); ++i) {
    const int64_t wall = s.events[i].wall_ms;
    if (wall < prev_wall)
      fail("event " + std::to_string(i + 1) + ": \"wall_ms\" = " + std::to_string(wall) + " is before " +
           (i == 0 ? std::string("\"start_wall_ms\"") : "event " + std::to_string(i) + "'s") + " " +
           std::to_string(prev_wall) + " (times must not go back)");
    prev_wall = wall;
  }
  if (s.end_wall_ms != 0 && s.end_wall_ms < prev_wall)
    fail("\"end_wall_ms\" (" + std::to_string(s.end_wall_ms) + ") before the last event's \"wall_ms\" (" +
         std::to_string(prev_wall) + ")");
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
  try {
    json j;
    BoundedDomParser sax(j);
    if (!json::sax_parse(line, &sax)) {
      err = sax.error().empty() ? std::string("not valid JSON") : sax.error();
      return false;
    }
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

namespace {

enum class LineRead { Line, TooLong, End };

// Reads the next line (without its '\n') into `line`, keeping at most `cap`
// bytes: the rest of a longer line is read in fixed chunks and dropped, so
// memory stays bounded whatever the line's length. `length` gets the line's
// full length in bytes.
LineRead read_bounded_line(std::istream &in, std::string &line, size_t cap, uint64_t &length) {
  line.clear();
  length = 0;
  bool too_long = false, any = false;
  std::array<char, 64 * 1024> buf;
  while (true) {
    in.getline(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<size_t>(in.gcount());
    bool complete = true;
    size_t stored = got;
    if (in.bad()) {
      complete = true; // read_traces reports the read error
    } else if (in.eof()) {
      if (got == 0 && !any) return LineRead::End;
    } else if (in.fail()) { // the chunk filled up: the line goes on
      in.clear(in.rdstate() & ~std::ios::failbit);
      complete = false;
    } else {
      stored = got - 1; // the '\n' was extracted, not stored
    }
    any = true;
    length += stored;
    if (!too_long && length > cap) {
      too_long = true;
      std::string().swap(line); // give the memory back now
    }
    if (!too_long) line.append(buf.data(), stored);
    if (complete) return too_long ? LineRead::TooLong : LineRead::Line;
  }
}

std::string limit_text(size_t cap) {
  std::string t = std::to_string(cap) + " bytes";
  if (cap >= (1u << 20) && cap % (1u << 20) == 0) t += " (" + std::to_string(cap >> 20) + " MiB)";
  return t;
}

} // namespace

TraceReadResult read_traces(std::istream &in, OnMalformed mode, size_t max_line_bytes) {
  TraceReadResult r;
  std::string line;
  size_t n = 0;
  uint64_t length = 0;
  while (true) {
    LineRead got = read_bounded_line(in, line, max_line_bytes, length);
    if (got == LineRead::End) break;
    ++n;
    if (got == LineRead::TooLong) {
      r.errors.push_back({n, "line " + std::to_string(n) + ": " + std::to_string(length) +
                                 " bytes, longer than the limit of " + limit_text(max_line_bytes) +
                                 " per line"});
      if (mode == OnMalformed::Refuse) {
        r.ok = false;
        return r;
      }
      continue;
    }
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

std::string open_failure(const std::string &path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::generic_category().message(errno);
  if (S_ISDIR(st.st_mode)) return "it is a folder";
  if (::access(path.c_str(), R_OK) != 0) return std::generic_category().message(errno);
  return "it cannot be read";
}

std::string write_open_failure(const std::string &path) {
  const int e = errno; // as the failed open left it
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return "it is a folder";
  return e != 0 ? std::generic_category().message(e) : "it cannot be written";
}

bool same_file(const std::string &a, const std::string &b) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::equivalent(a, b, ec) && !ec) return true;
  std::error_code ea, eb;
  const fs::path ca = fs::weakly_canonical(a, ea), cb = fs::weakly_canonical(b, eb);
  return !ea && !eb && ca == cb;
}

bool check_tool_files(const std::vector<ToolFile> &files, std::string &err) {
  auto used = [](const ToolFile &f) { return !f.path.empty() && f.path != "-"; };
  for (size_t i = 0; i < files.size(); ++i) {
    const ToolFile &o = files[i];
    if (!o.output || !used(o)) continue;
    for (size_t j = 0; j < files.size(); ++j) {
      const ToolFile &f = files[j];
      if (j == i || !used(f) || (f.output && j < i)) continue;
      if (!same_file(o.path, f.path)) continue;
      err = o.option + " '" + o.path + "' is the same file as " + f.option + " '" + f.path + "'" +
            (f.output ? ": both would write it" : ": it would be overwritten");
      return false;
    }
  }
  return true;
}

FileReplace::~FileReplace() {
  if (!tmp_.empty() && !committed_) {
    out_.close();
    std::error_code ec;
    std::filesystem::remove(tmp_, ec);
  }
}

bool FileReplace::open(const std::string &path, std::string &err) {
  namespace fs = std::filesystem;
  path_ = path;
  const fs::path p(path);
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    err = path + ": cannot open for writing: it is a folder";
    return false;
  }
  tmp_ =
      (p.parent_path() / ("." + p.filename().string() + ".partial-" + std::to_string(::getpid()))).string();
  errno = 0;
  out_.open(tmp_, std::ios::binary | std::ios::trunc);
  if (!out_) {
    err = path + ": cannot open for writing: " + write_open_failure(tmp_);
    tmp_.clear();
    return false;
  }
  return true;
}

bool FileReplace::commit(std::string &err) {
  if (tmp_.empty()) {
    err = path_ + ": not open";
    return false;
  }
  out_.flush();
  const bool wrote = static_cast<bool>(out_);
  out_.close();
  if (!wrote || !out_) {
    err = path_ + ": write failed";
    return false;
  }
  // Keep the permissions of the file being replaced.
  std::error_code ec;
  const auto perms = std::filesystem::status(path_, ec).permissions();
  if (!ec && perms != std::filesystem::perms::unknown) std::filesystem::permissions(tmp_, perms, ec);
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    err = path_ + ": cannot replace it: " + std::generic_category().message(errno);
    return false;
  }
  committed_ = true;
  return true;
}

TraceReadResult read_trace_file(const std::string &path, OnMalformed mode, size_t max_line_bytes) {
  std::error_code ec;
  std::ifstream f(path, std::ios::binary);
  if (!f || std::filesystem::is_directory(path, ec)) {
    TraceReadResult r;
    r.ok = false;
    r.errors.push_back({0, path + ": cannot open for reading: " + open_failure(path)});
    return r;
  }
  auto r = read_traces(f, mode, max_line_bytes);
  for (auto &e : r.errors)
    e.message = path + ": " + e.message;
  return r;
}

void order_and_name_sessions(std::vector<TraceSession> &sessions, const char *prefix) {
  std::stable_sort(sessions.begin(), sessions.end(), [](const TraceSession &a, const TraceSession &b) {
    return std::tie(a.start_wall_ms, a.viewer, a.video) < std::tie(b.start_wall_ms, b.viewer, b.video);
  });
  for (size_t i = 0; i < sessions.size(); ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s-%06zu", prefix, i + 1);
    sessions[i].session_id = buf;
  }
}

bool read_file_with(const std::string &path, std::string &err,
                    const std::function<bool(std::istream &, std::string &)> &read) {
  std::error_code ec;
  std::ifstream f(path, std::ios::binary);
  if (!f || std::filesystem::is_directory(path, ec)) {
    err = "cannot open " + path + ": " + open_failure(path);
    return false;
  }
  if (!read(f, err)) {
    err = path + ": " + err;
    return false;
  }
  return true;
}

void report_trace_errors(std::ostream &err, const std::string &prog, const std::string &path,
                         const TraceReadResult &r, size_t max_listed) {
  if (r.errors.empty()) return;
  if (!r.ok) { // refused, or the file could not be read at all
    err << prog << ": cannot read traces: " << r.errors.front().message << "\n";
    return;
  }
  err << prog << ": " << path << ": skipped " << r.errors.size() << " malformed line(s):";
  for (const auto &e : r.errors)
    err << ' ' << e.line;
  err << "\n";
  size_t shown = std::min(max_listed, r.errors.size());
  for (size_t i = 0; i < shown; ++i)
    err << "  " << r.errors[i].message << "\n";
  if (shown < r.errors.size()) err << "  ... and " << (r.errors.size() - shown) << " more\n";
}

size_t write_trace(std::ostream &out, const TraceSession &s) {
  // Invalid UTF-8 in strings is replaced rather than throwing.
  const std::string line = to_json(s).dump(-1, ' ', false, json::error_handler_t::replace);
  out << line << '\n';
  return line.size();
}

void write_traces(std::ostream &out, const std::vector<TraceSession> &sessions) {
  for (const auto &s : sessions)
    write_trace(out, s);
}

bool write_trace_file(const std::string &path, const std::vector<TraceSession> &sessions, std::string &err) {
  FileReplace f;
  if (!f.open(path, err)) return false;
  write_traces(f.stream(), sessions);
  return f.commit(err);
}

} // namespace sp
