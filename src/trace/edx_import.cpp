// Open edX tracking-log importer (see edx_import.h).
#include "trace/edx_import.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <istream>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

namespace sp {
namespace {

using nlohmann::json;

// Limits of the trace format (trace.h): positions up to 10^10 ms, rates
// 1/16 .. 16, wall times from 1970 to 2096.
constexpr double kMaxSeconds = static_cast<double>(kMaxTraceMediaMs) / 1000.0;
constexpr double kMinSpeed = 0.0625, kMaxSpeed = 16.0;

std::optional<Kind> video_kind(const std::string &type) {
  if (type == "load_video" || type == "edx.video.loaded") return Kind::Open;
  if (type == "play_video" || type == "edx.video.played") return Kind::Play;
  if (type == "pause_video" || type == "edx.video.paused") return Kind::Pause;
  if (type == "seek_video" || type == "edx.video.position.changed") return Kind::Seek;
  if (type == "speed_change_video") return Kind::Rate;
  // edX emits stop_video when the player reaches the end of the video (or
  // the course's "Video Stop Time") and playback stops by itself: the end
  // of the media, not a viewer pressing stop (the player has no stop control).
  if (type == "stop_video" || type == "edx.video.stopped") return Kind::End;
  return std::nullopt;
}

} // namespace

// One video event as read from a line.
struct EdxImporter::Record {
  size_t line = 0;
  std::string user, video;
  Kind kind = Kind::Play;
  int64_t wall_ms = 0;
  std::optional<int64_t> pos_ms, from_ms, to_ms;
  std::optional<double> old_speed, new_speed;
  std::optional<int64_t> duration_ms;
};

namespace {

using Record = EdxImporter::Record;

// A number or a numeric string; null or absent -> nullopt. Sets err when the
// field is present but unreadable.
std::optional<double> get_number(const json &obj, const char *key, std::string &err) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  double v = 0;
  if (it->is_number()) {
    v = it->get<double>();
  } else if (it->is_string()) {
    // A decimal number, spaces around it allowed ("12.5", " 12 "); not hex.
    const std::string &s = it->get_ref<const std::string &>();
    const char *b = s.data(), *e = s.data() + s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(*b)))
      ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(e[-1])))
      --e;
    auto r = std::from_chars(b, e, v, std::chars_format::general);
    if (b == e || r.ec != std::errc() || r.ptr != e) {
      err = std::string("\"") + key + "\" is not a number: \"" + s + "\"";
      return std::nullopt;
    }
  } else {
    err = std::string("\"") + key + "\" is not a number";
    return std::nullopt;
  }
  if (!std::isfinite(v)) {
    err = std::string("\"") + key + "\" is not finite";
    return std::nullopt;
  }
  return v;
}

// Seconds -> ms; negative positions are an error.
std::optional<int64_t> get_position(const json &obj, const char *key, std::string &err) {
  auto v = get_number(obj, key, err);
  if (!v) return std::nullopt;
  if (*v < 0) {
    err = std::string("\"") + key + "\" is negative";
    return std::nullopt;
  }
  if (*v > kMaxSeconds) {
    err = std::string("\"") + key + "\" is out of range";
    return std::nullopt;
  }
  return static_cast<int64_t>(std::llround(*v * 1000.0));
}

// The video id as the browser player logs it. The player's "id" is the
// block's html_id: for a course-v1 course the bare block id
// ("0b9e39477cf34507a7a48f74be381fdd"), for an old course
// "i4x-ORG-COURSE-video-NAME". The mobile apps send the full usage key
// ("block-v1:ORG+COURSE+RUN+type@video+block@0b9e...", "i4x://ORG/COURSE/video/NAME"),
// which edX's tracking shim turns into that html_id before logging; a log
// taken before that step (or a tool that kept the key) holds the key. Both
// are read as the html_id, so that the same video has one id whichever
// client played it.
std::string video_key(const std::string &id) {
  if (id.rfind("block-v1:", 0) == 0) {
    const size_t at = id.rfind("+block@");
    if (at != std::string::npos && at + 7 < id.size()) return id.substr(at + 7);
    return id;
  }
  if (id.rfind("i4x://", 0) == 0) {
    std::string out = "i4x";
    std::string_view rest = std::string_view(id).substr(6);
    while (!rest.empty()) {
      const size_t slash = rest.find('/');
      out += '-';
      out += rest.substr(0, slash);
      if (slash == std::string_view::npos) break;
      rest.remove_prefix(slash + 1);
    }
    // html_id keeps letters, digits, '_' and '-'; anything else becomes '_'.
    for (char &c : out)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
    return out;
  }
  return id;
}

// Parse one line. Returns: 1 = video record filled, 0 = ignored, 2 = a video
// event of a viewer who was not logged in, -1 = malformed (err set).
int parse_line(const std::string &line, size_t lineno, Record &rec, std::string &err) {
  bool blank = std::all_of(line.begin(), line.end(), [](unsigned char c) { return std::isspace(c) != 0; });
  if (blank) return 0;
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded()) {
    err = "not valid JSON";
    return -1;
  }
  if (!j.is_object()) {
    err = "not a JSON object";
    return -1;
  }
  auto et = j.find("event_type");
  if (et == j.end() || !et->is_string()) {
    err = "no string \"event_type\"";
    return -1;
  }
  auto kind = video_kind(et->get<std::string>());
  if (!kind) return 0;
  const std::string type = et->get<std::string>();
  rec = Record{};
  rec.line = lineno;
  rec.kind = *kind;

  auto un = j.find("username");
  if (un == j.end() || !un->is_string()) {
    err = type + ": no string \"username\"";
    return -1;
  }
  rec.user = un->get<std::string>();
  // A viewer who was not logged in (a public course's video): edX logs the
  // event with an empty username. Nothing ties it to a viewer; it is
  // counted, not reported line by line (a real log holds thousands).
  if (rec.user.empty()) return 2;
  auto tm = j.find("time");
  if (tm == j.end() || !tm->is_string()) {
    err = type + ": no string \"time\"";
    return -1;
  }
  if (!parse_edx_time(tm->get<std::string>(), rec.wall_ms)) {
    err = type + ": bad \"time\" \"" + tm->get<std::string>() + "\"";
    return -1;
  }
  if (rec.wall_ms < 0) {
    err = type + ": \"time\" before 1970";
    return -1;
  }
  if (rec.wall_ms > kMaxTraceWallMs) {
    err = type + ": \"time\" " + tm->get<std::string>() + " after 2096 (the trace format's limit)";
    return -1;
  }
  auto ev = j.find("event");
  json payload;
  if (ev != j.end() && ev->is_string()) {
    payload = json::parse(ev->get<std::string>(), nullptr, false);
    if (payload.is_discarded() || !payload.is_object()) {
      err = type + ": \"event\" string is not a JSON object";
      return -1;
    }
  } else if (ev != j.end() && ev->is_object()) {
    payload = *ev;
  } else {
    err = type + ": no \"event\" object or JSON string";
    return -1;
  }
  // The mobile apps send "module_id" and "current_time"; edX's tracking shim
  // renames them to "id" and "currentTime" before logging, but exports taken
  // before that step carry the apps' names.
  auto video_id = [&](const char *key) -> const std::string * {
    auto it = payload.find(key);
    if (it == payload.end() || !it->is_string() || it->get_ref<const std::string &>().empty()) return nullptr;
    return &it->get_ref<const std::string &>();
  };
  const std::string *id = video_id("id");
  if (!id) id = video_id("module_id");
  if (!id) {
    err = type + ": no video \"id\" (or \"module_id\") in \"event\"";
    return -1;
  }
  rec.video = video_key(*id);

  std::string e;
  rec.pos_ms = get_position(payload, payload.contains("currentTime") ? "currentTime" : "current_time", e);
  if (auto d = get_position(payload, "duration", e)) rec.duration_ms = d;
  if (rec.kind == Kind::Seek) {
    rec.from_ms = get_position(payload, "old_time", e);
    rec.to_ms = get_position(payload, "new_time", e);
    if (e.empty() && (!rec.from_ms || !rec.to_ms)) e = "seek needs \"old_time\" and \"new_time\"";
    if (e.empty()) rec.pos_ms = rec.from_ms;
  } else if (rec.kind == Kind::Rate) {
    if (auto p = get_position(payload, "current_time", e)) rec.pos_ms = p;
    rec.old_speed = get_number(payload, "old_speed", e);
    rec.new_speed = get_number(payload, "new_speed", e);
    if (e.empty() && !rec.new_speed) e = "speed change needs \"new_speed\"";
    auto bad_speed = [](double v) { return !(v >= kMinSpeed && v <= kMaxSpeed); };
    if (e.empty() && (bad_speed(*rec.new_speed) || (rec.old_speed && bad_speed(*rec.old_speed))))
      e = "speed out of range (1/16 .. 16)";
  }
  if (!e.empty()) {
    err = type + ": " + e;
    return -1;
  }
  return 1;
}

// At the end of a video the browser player emits pause_video together with
// stop_video (the end): the viewer did not pause. A pause within a second and
// a second of position of an end, before or after it (the two are sent
// separately and logged in either order), is that automatic pause and is
// dropped; seq is renumbered.
void drop_automatic_pauses(std::vector<Interaction> &ev, EdxImportStats &st) {
  constexpr int64_t kNearMs = 1000;
  auto near_end = [&](size_t i, size_t j) {
    return j < ev.size() && ev[j].kind == Kind::End && std::llabs(ev[j].wall_ms - ev[i].wall_ms) <= kNearMs &&
           std::llabs(ev[j].position_ms - ev[i].position_ms) <= kNearMs;
  };
  std::vector<Interaction> kept;
  kept.reserve(ev.size());
  for (size_t i = 0; i < ev.size(); ++i) {
    if (ev[i].kind == Kind::Pause && ((i > 0 && near_end(i, i - 1)) || near_end(i, i + 1))) {
      ++st.automatic_pauses;
      continue;
    }
    kept.push_back(ev[i]);
    kept.back().seq = static_cast<int64_t>(kept.size());
  }
  ev = std::move(kept);
}

std::vector<TraceSession> build_sessions(std::vector<Record> &recs, const EdxOptions &opt,
                                         EdxImportStats &st) {
  // Longest duration and furthest position per video.
  std::map<std::string, int64_t> video_len;
  for (const auto &r : recs) {
    int64_t &m = video_len[r.video];
    for (const auto &p : {r.pos_ms, r.from_ms, r.to_ms, r.duration_ms})
      if (p) m = std::max(m, *p);
  }
  // Group by (user, video) keeping line order, then order by time (stable).
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> groups;
  for (size_t i = 0; i < recs.size(); ++i)
    groups[{recs[i].user, recs[i].video}].push_back(i);

  std::vector<TraceSession> out;
  for (auto &[key, idx] : groups) {
    std::stable_sort(idx.begin(), idx.end(),
                     [&](size_t a, size_t b) { return recs[a].wall_ms < recs[b].wall_ms; });
    TraceSession cur;
    int64_t last_pos = 0, last_wall = 0;
    auto flush = [&] {
      if (cur.events.empty()) return;
      drop_automatic_pauses(cur.events, st);
      bool action = std::any_of(cur.events.begin(), cur.events.end(),
                                [](const Interaction &e) { return is_viewer_action(e.kind); });
      if (!action && !opt.keep_empty_sessions) {
        ++st.empty_sessions_dropped;
      } else {
        cur.end_wall_ms = cur.events.back().wall_ms;
        cur.end_reason = cur.events.back().kind == Kind::End ? "finished" : "abandoned";
        out.push_back(std::move(cur));
      }
      cur = TraceSession{};
    };
    for (size_t i : idx) {
      const Record &r = recs[i];
      bool split =
          !cur.events.empty() && (r.kind == Kind::Open || r.wall_ms - last_wall > opt.session_gap_ms);
      if (split) flush();
      if (cur.events.empty()) {
        cur.viewer = key.first;
        cur.video = key.second;
        cur.genre = opt.genre;
        cur.duration_ms = video_len[key.second];
        cur.start_wall_ms = r.wall_ms;
        last_pos = 0;
      }
      Interaction e;
      e.seq = static_cast<int64_t>(cur.events.size()) + 1;
      e.kind = r.kind;
      e.wall_ms = r.wall_ms;
      e.position_ms = r.pos_ms ? *r.pos_ms : last_pos; // no currentTime: where the last event left it
      if (r.kind == Kind::Seek) {
        e.from_ms = r.from_ms;
        e.to_ms = r.to_ms;
        last_pos = *r.to_ms;
      } else {
        last_pos = e.position_ms;
      }
      if (r.kind == Kind::Rate) {
        e.old_value = r.old_speed;
        e.value = r.new_speed;
      }
      last_wall = r.wall_ms;
      cur.events.push_back(e);
    }
    flush();
  }
  order_and_name_sessions(out, "edx");
  return out;
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

} // namespace

bool parse_edx_time(const std::string &s, int64_t &ms_out) {
  size_t i = 0;
  auto digits = [&](size_t n, int &v) {
    if (i + n > s.size()) return false;
    v = 0;
    for (size_t k = 0; k < n; ++k) {
      char c = s[i + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    i += n;
    return true;
  };
  auto lit = [&](char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  int y, mo, d, h, mi, se;
  if (!digits(4, y) || !lit('-') || !digits(2, mo) || !lit('-') || !digits(2, d)) return false;
  if (!lit('T') && !lit(' ')) return false;
  if (!digits(2, h) || !lit(':') || !digits(2, mi) || !lit(':') || !digits(2, se)) return false;
  int ms = 0;
  if (lit('.')) {
    size_t start = i, n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (n < 3) ms = ms * 10 + (s[i] - '0');
      ++n;
      ++i;
    }
    if (i == start) return false;
    for (; n < 3; ++n)
      ms *= 10;
  }
  int offset_min = 0;
  if (lit('Z')) {
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i] == '-' ? -1 : 1;
    ++i;
    int oh, om;
    if (!digits(2, oh)) return false;
    lit(':');
    if (!digits(2, om)) return false;
    if (oh > 23 || om > 59) return false;
    offset_min = sign * (oh * 60 + om);
  }
  if (i != s.size()) return false;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || h > 23 || mi > 59 || se > 60) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return false;
  int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - static_cast<int64_t>(offset_min) * 60;
  ms_out = secs * 1000 + ms;
  return true;
}

EdxImporter::EdxImporter(EdxOptions opt, OnMalformed mode) : opt_(std::move(opt)), mode_(mode) {}
EdxImporter::~EdxImporter() = default;
EdxImporter::EdxImporter(EdxImporter &&) noexcept = default;
EdxImporter &EdxImporter::operator=(EdxImporter &&) noexcept = default;

bool EdxImporter::add(std::istream &in, const std::string &source) {
  std::string line;
  size_t lineno = 0;
  while (ok_ && std::getline(in, line)) {
    ++lineno;
    ++st_.lines;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    Record rec;
    std::string err;
    int r = parse_line(line, lineno, rec, err);
    if (r == 1 && !seen_.insert(std::hash<std::string_view>{}(line)).second) {
      // The same event twice (a log shipped twice, a file given twice, an
      // overlapping copy of a rotated log): edX's "time" has microseconds,
      // so two real events never make the same line.
      ++st_.duplicates;
    } else if (r == 2) {
      ++st_.anonymous;
    } else if (r > 0) {
      ++st_.video_events;
      recs_.push_back(std::move(rec));
    } else if (r == 0) {
      ++st_.ignored;
    } else {
      ++st_.malformed;
      errors_.push_back(TraceError{lineno, std::move(err), source});
      if (mode_ == OnMalformed::Refuse) ok_ = false;
    }
  }
  last_source_ = source;
  last_lines_ = lineno;
  return ok_;
}

void EdxImporter::source_failed(const std::string &message) {
  ++st_.malformed;
  errors_.push_back(TraceError{last_lines_ + 1, message, last_source_});
  if (mode_ == OnMalformed::Refuse) ok_ = false;
}

TraceReadResult EdxImporter::finish(EdxImportStats *stats) {
  TraceReadResult res;
  res.ok = ok_;
  res.errors = std::move(errors_);
  res.sessions = build_sessions(recs_, opt_, st_);
  if (stats) *stats = st_;
  recs_.clear();
  errors_.clear();
  seen_.clear();
  st_ = EdxImportStats{};
  ok_ = true;
  return res;
}

TraceReadResult import_edx(std::istream &in, const EdxOptions &opt, OnMalformed mode, EdxImportStats *stats) {
  EdxImporter imp(opt, mode);
  imp.add(in);
  return imp.finish(stats);
}

TraceReadResult import_edx_file(const std::string &path, const EdxOptions &opt, OnMalformed mode,
                                EdxImportStats *stats) {
  std::error_code ec;
  std::ifstream f(path, std::ios::binary);
  if (!f || std::filesystem::is_directory(path, ec)) {
    TraceReadResult res;
    res.ok = false;
    res.errors.push_back({0, "cannot open '" + path + "': " + open_failure(path)});
    if (stats) *stats = EdxImportStats{};
    return res;
  }
  return import_edx(f, opt, mode, stats);
}

} // namespace sp
