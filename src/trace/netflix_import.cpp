// Netflix viewing-history importer (see netflix_import.h, docs/traces.md).
#include "trace/netflix_import.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <istream>
#include <iterator>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "trace/edx_import.h" // parse_edx_time: reads "YYYY-MM-DD HH:MM:SS" (and ISO-8601)

namespace sp {
namespace {

// Limits of the trace format (trace.h), so that whatever is imported can be
// written and read back.
constexpr int64_t kMaxWallMs = kMaxTraceWallMs;
constexpr int64_t kMaxMediaMs = kMaxTraceMediaMs;
// A row is one stretch of playback; more than a day of it is not a real row.
constexpr int64_t kMaxRowDurationMs = 24LL * 3600 * 1000;
// A record (row) may not be longer than this; it bounds how far an
// unterminated quote is followed before the row is given up.
constexpr size_t kMaxRecordBytes = 64 * 1024;

// ---- CSV (RFC 4180) -------------------------------------------------------

enum class Rec { Row, Blank, Bad, End };

// Reads records from text in memory. Fields may be quoted ("a, ""b"""), and
// a quoted field may hold line breaks. Records end at LF, CRLF or a lone CR.
// On a malformed record reading resumes at the physical line after the one
// the record started on, so a stray quote costs one row, not the rest of the file.
class CsvReader {
public:
  explicit CsvReader(std::string_view text) : t_(text) {}

  // line: 1-based line the record starts on. err: set for Rec::Bad.
  Rec next(std::vector<std::string> &fields, size_t &line, std::string &err) {
    const size_t n = t_.size();
    if (pos_ >= n) return Rec::End;
    const size_t start = pos_;
    line = line_;
    fields.clear();
    bool plain_single = true; // one unquoted field so far: may be a blank line
    while (true) {
      std::string f;
      if (pos_ < n && t_[pos_] == '"') {
        plain_single = false;
        ++pos_;
        bool closed = false;
        while (pos_ < n && pos_ - start <= kMaxRecordBytes) {
          const char c = t_[pos_];
          if (c == '"') {
            if (pos_ + 1 < n && t_[pos_ + 1] == '"') {
              f += '"';
              pos_ += 2;
              continue;
            }
            ++pos_;
            closed = true;
            break;
          }
          if (c == '\n' || (c == '\r' && (pos_ + 1 >= n || t_[pos_ + 1] != '\n'))) ++line_;
          f += c;
          ++pos_;
        }
        if (!closed) {
          err = pos_ >= n ? "unterminated quoted field (no closing quote before the end of the file)"
                          : "unterminated quoted field (no closing quote within 64 KiB)";
          return bad(start, line);
        }
        if (pos_ < n && t_[pos_] != ',' && t_[pos_] != '\n' && t_[pos_] != '\r') {
          err = "text after a closing quote (a quote inside a quoted field must be doubled: \"\")";
          return bad(start, line);
        }
      } else {
        while (pos_ < n && t_[pos_] != ',' && t_[pos_] != '\n' && t_[pos_] != '\r') {
          if (pos_ - start > kMaxRecordBytes) {
            err = "row longer than 64 KiB";
            return bad(start, line);
          }
          f += t_[pos_++]; // a quote inside an unquoted field is taken literally
        }
      }
      fields.push_back(std::move(f));
      if (pos_ >= n) break;
      const char c = t_[pos_++];
      if (c == ',') {
        plain_single = false;
        continue;
      }
      if (c == '\r' && pos_ < n && t_[pos_] == '\n') ++pos_;
      ++line_;
      break;
    }
    if (plain_single && fields.size() == 1 && fields[0].find_first_not_of(" \t") == std::string::npos)
      return Rec::Blank;
    return Rec::Row;
  }

  // Physical lines in the text: LF, CRLF and a lone CR end one; a last line
  // without a line break counts.
  size_t lines() const {
    size_t n = 0;
    for (size_t i = 0; i < t_.size(); ++i)
      if (t_[i] == '\n' || (t_[i] == '\r' && (i + 1 >= t_.size() || t_[i + 1] != '\n'))) ++n;
    if (!t_.empty() && t_.back() != '\n' && t_.back() != '\r') ++n;
    return n;
  }

private:
  Rec bad(size_t start, size_t line) {
    // Resume after the first line break at or after the record's start.
    size_t p = start;
    while (p < t_.size() && t_[p] != '\n' && t_[p] != '\r')
      ++p;
    if (p < t_.size()) {
      if (t_[p] == '\r' && p + 1 < t_.size() && t_[p + 1] == '\n') ++p;
      ++p;
    }
    pos_ = p;
    line_ = line + 1;
    return Rec::Bad;
  }

  std::string_view t_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

// ---- small helpers --------------------------------------------------------

std::string_view trim(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t'))
    ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
    --b;
  return s.substr(a, b - a);
}

std::string lower_ascii(std::string_view s) {
  std::string o(s);
  for (char &c : o)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return o;
}

// Well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0u) != 0x80u) return false;
      cp = (cp << 6) | (d & 0x3Fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

// A field's text for an error message: quoted, cut at 60 bytes (on a
// character boundary), with a non-UTF-8 field shown as such.
std::string shown(std::string_view s) {
  if (!valid_utf8(s)) return "(not UTF-8)";
  // Appended piece by piece: GCC 12 at -O3 takes "\"" + std::string(...)
  // for an overlapping memcpy (-Wrestrict, a false positive).
  std::string out = "\"";
  if (s.size() <= 60) {
    out += s;
  } else {
    size_t cut = 60;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0u) == 0x80u)
      --cut;
    out += s.substr(0, cut);
    out += "...";
  }
  out += '"';
  return out;
}

// ---- columns --------------------------------------------------------------

enum Col {
  C_PROFILE,
  C_START,
  C_DURATION,
  C_TITLE,
  C_BOOKMARK,
  C_SUPPLEMENTAL,
  C_ATTRIBUTES,
  C_DEVICE,
  C_COUNT
};
constexpr std::array<const char *, C_COUNT> kColNames = {
    "Profile Name", "Start Time", "Duration", "Title", "Bookmark", "Supplemental Video Type",
    "Attributes",   "Device Type"};
constexpr int kRequiredCols = C_SUPPLEMENTAL; // columns before this one are required

struct Header {
  std::array<std::optional<size_t>, C_COUNT> at;
  size_t fields = 0;
};

// A header name as compared: trimmed, lower case, without a trailing
// annotation in parentheses ("Start Time (UTC)", "Duration (H:MM:SS)", as
// some exports and spreadsheet re-saves label the columns).
std::string column_key(std::string_view name) {
  name = trim(name);
  if (!name.empty() && name.back() == ')') {
    const size_t open = name.rfind('(');
    if (open != std::string_view::npos && open > 0) name = trim(name.substr(0, open));
  }
  return lower_ascii(name);
}

bool read_header(const std::vector<std::string> &fields, Header &h, std::string &err) {
  h = Header{};
  h.fields = fields.size();
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string name = column_key(fields[i]);
    for (int c = 0; c < C_COUNT; ++c) {
      if (name != lower_ascii(kColNames[c])) continue;
      if (h.at[c]) {
        err = std::string("header: column \"") + kColNames[c] + "\" appears twice";
        return false;
      }
      h.at[c] = i;
    }
  }
  std::string missing;
  for (int c = 0; c < kRequiredCols; ++c)
    if (!h.at[c]) missing += std::string(missing.empty() ? "" : ", ") + "\"" + kColNames[c] + "\"";
  if (!missing.empty()) {
    err = "header: missing required column" +
          std::string(missing.find(',') == std::string::npos ? " " : "s ") + missing +
          " (a ViewingActivity.csv header has Profile Name, Start Time, Duration, Attributes, Title, "
          "Supplemental Video Type, Device Type, Bookmark, Latest Bookmark, Country)";
    return false;
  }
  return true;
}

// ---- rows -----------------------------------------------------------------

struct Row {
  size_t line = 0;
  std::string profile, title, device;
  int64_t start_ms = 0, duration_ms = 0, bookmark_ms = 0;
  bool autoplayed = false;
  bool autoplay_no_action = false; // "Autoplayed: user action: None"
};

enum class RowKind { Programme, Supplemental, Bad };

void read_attributes(std::string_view attrs, Row &r) {
  const std::string a = lower_ascii(attrs);
  r.autoplayed = a.find("autoplayed") != std::string::npos;
  const std::string key = "user action:";
  auto k = a.find(key);
  if (!r.autoplayed || k == std::string::npos) return;
  std::string_view rest = std::string_view(a).substr(k + key.size());
  rest = trim(rest.substr(0, rest.find(';')));
  r.autoplay_no_action = rest == "none";
}

RowKind read_row(const std::vector<std::string> &f, const Header &h, Row &r, std::string &supp_type,
                 std::string &err) {
  if (f.size() != h.fields) {
    err = "expected " + std::to_string(h.fields) + " fields (as in the header), found " +
          std::to_string(f.size());
    return RowKind::Bad;
  }
  auto field = [&](Col c) -> std::string_view {
    return h.at[c] ? std::string_view(f[*h.at[c]]) : std::string_view();
  };
  if (h.at[C_SUPPLEMENTAL]) {
    std::string_view t = trim(field(C_SUPPLEMENTAL));
    if (!t.empty()) {
      supp_type = valid_utf8(t) ? std::string(t) : std::string("(not UTF-8)");
      return RowKind::Supplemental;
    }
  }
  r.profile = std::string(field(C_PROFILE));
  r.title = std::string(field(C_TITLE));
  for (auto [c, v] : {std::pair{C_PROFILE, &r.profile}, std::pair{C_TITLE, &r.title}}) {
    if (trim(*v).empty()) {
      err = std::string("\"") + kColNames[c] + "\" is empty";
      return RowKind::Bad;
    }
    if (!valid_utf8(*v)) {
      err = std::string("\"") + kColNames[c] + "\" is not valid UTF-8";
      return RowKind::Bad;
    }
  }
  const std::string start(trim(field(C_START)));
  if (!parse_edx_time(start, r.start_ms)) {
    err = "bad \"Start Time\" " + shown(start) + " (expected YYYY-MM-DD HH:MM:SS, UTC)";
    return RowKind::Bad;
  }
  if (r.start_ms < 0 || r.start_ms > kMaxWallMs - kMaxRowDurationMs) {
    err = "\"Start Time\" " + shown(start) + " out of range (1970 .. 2096)";
    return RowKind::Bad;
  }
  const std::string_view dur = trim(field(C_DURATION));
  if (!parse_netflix_clock(dur, r.duration_ms)) {
    err = "bad \"Duration\" " + shown(dur) + " (expected HH:MM:SS, not negative)";
    return RowKind::Bad;
  }
  if (r.duration_ms > kMaxRowDurationMs) {
    err = "\"Duration\" " + shown(dur) + " is longer than 24 hours";
    return RowKind::Bad;
  }
  const std::string_view bm = trim(field(C_BOOKMARK));
  if (!parse_netflix_clock(bm, r.bookmark_ms)) {
    err = "bad \"Bookmark\" " + shown(bm) + " (expected HH:MM:SS)";
    return RowKind::Bad;
  }
  if (r.bookmark_ms > kMaxMediaMs) {
    err = "\"Bookmark\" " + shown(bm) + " out of range (more than 10^10 ms)";
    return RowKind::Bad;
  }
  if (h.at[C_DEVICE]) r.device = std::string(trim(field(C_DEVICE)));
  if (h.at[C_ATTRIBUTES]) read_attributes(field(C_ATTRIBUTES), r);
  return RowKind::Programme;
}

// ---- sessions -------------------------------------------------------------

class SessionBuilder {
public:
  SessionBuilder(const NetflixOptions &opt, const std::map<std::string, int64_t> &video_len,
                 NetflixImportStats &st, std::vector<TraceSession> &out)
      : opt_(opt), video_len_(video_len), st_(st), out_(out) {}

  // rows: one profile's rows in time order.
  void profile(const std::vector<const Row *> &rows) {
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row &r = *rows[i];
      const bool cont = open_ && r.title == cur_.video && r.start_ms - last_end_wall_ <= opt_.session_gap_ms;
      if (cont && r.start_ms < last_end_wall_ && r.start_ms + r.duration_ms <= last_end_wall_) {
        // Played wholly while the session's earlier rows played (the same
        // row twice, a second device on the profile): nothing of it can be
        // placed on the session's one time line.
        ++st_.rows_within;
        continue;
      }
      if (!cont) {
        if (open_) close(&r);
        begin(r);
      } else {
        next_row(r);
      }
      ++st_.rows_imported;
      if (r.autoplayed) ++st_.autoplayed;
    }
    if (open_) close(nullptr);
  }

private:
  int64_t start_pos(const Row &r) {
    if (r.duration_ms > r.bookmark_ms) {
      ++st_.starts_clamped;
      return 0;
    }
    return r.bookmark_ms - r.duration_ms;
  }

  void add(Kind k, int64_t wall, int64_t pos) {
    Interaction e;
    e.seq = static_cast<int64_t>(cur_.events.size()) + 1;
    e.kind = k;
    e.wall_ms = wall;
    e.position_ms = pos;
    cur_.events.push_back(e);
  }

  void begin(const Row &r) {
    cur_ = TraceSession{};
    cur_.viewer = r.profile;
    cur_.video = r.title;
    cur_.genre = opt_.genre.empty() ? "unknown" : opt_.genre;
    auto it = video_len_.find(r.title);
    cur_.duration_ms = it == video_len_.end() ? 0 : it->second;
    cur_.start_wall_ms = r.start_ms;
    const int64_t p = start_pos(r);
    add(Kind::Open, r.start_ms, p);
    add(Kind::Play, r.start_ms, p);
    last_end_wall_ = r.start_ms + r.duration_ms;
    last_end_pos_ = r.bookmark_ms;
    device_ = r.device;
    open_ = true;
  }

  void next_row(const Row &r) {
    add(Kind::Pause, last_end_wall_, last_end_pos_);
    int64_t wall = r.start_ms;
    if (wall < last_end_wall_) { // began before the previous row ended: start it there, keep its own end
      ++st_.overlaps;
      wall = last_end_wall_;
    }
    const int64_t p = start_pos(r);
    int64_t play_pos = last_end_pos_;
    const int64_t jump = p > last_end_pos_ ? p - last_end_pos_ : last_end_pos_ - p;
    if (jump > opt_.seek_tolerance_ms) {
      add(Kind::Seek, wall, last_end_pos_);
      cur_.events.back().from_ms = last_end_pos_;
      cur_.events.back().to_ms = p;
      ++st_.seeks;
      play_pos = p;
    }
    add(Kind::Play, wall, play_pos);
    last_end_wall_ = std::max(wall, r.start_ms + r.duration_ms);
    last_end_pos_ = r.bookmark_ms;
    device_ = r.device;
  }

  // next: the profile's next row (another title, or the same after a long gap), if any.
  void close(const Row *next) {
    const bool autoplay_end = next && opt_.autoplay_window_ms >= 0 && next->title != cur_.video &&
                              next->autoplay_no_action && next->device == device_ &&
                              next->start_ms - last_end_wall_ <= opt_.autoplay_window_ms;
    if (autoplay_end) {
      add(Kind::End, last_end_wall_, last_end_pos_);
      cur_.end_reason = "finished";
      ++st_.finished_by_autoplay;
    } else {
      add(Kind::Stop, last_end_wall_, last_end_pos_);
      cur_.end_reason = "stopped";
    }
    cur_.end_wall_ms = last_end_wall_;
    out_.push_back(std::move(cur_));
    cur_ = TraceSession{};
    open_ = false;
  }

  const NetflixOptions &opt_;
  const std::map<std::string, int64_t> &video_len_;
  NetflixImportStats &st_;
  std::vector<TraceSession> &out_;
  TraceSession cur_;
  bool open_ = false;
  int64_t last_end_wall_ = 0, last_end_pos_ = 0;
  std::string device_;
};

std::vector<TraceSession> build_sessions(const std::vector<Row> &rows, const NetflixOptions &opt,
                                         NetflixImportStats &st) {
  // The video's length is not in the file: the furthest bookmark seen for
  // the title is a lower bound (positions never exceed it).
  std::map<std::string, int64_t> video_len;
  for (const Row &r : rows) {
    int64_t &m = video_len[r.title];
    m = std::max(m, r.bookmark_ms);
  }
  std::map<std::string, std::vector<const Row *>> by_profile;
  for (const Row &r : rows)
    if (r.duration_ms > 0) by_profile[r.profile].push_back(&r);

  std::vector<TraceSession> out;
  SessionBuilder b(opt, video_len, st, out);
  for (auto &[profile, list] : by_profile) {
    // Rows come newest first; order by start (equal starts keep file order).
    std::stable_sort(list.begin(), list.end(),
                     [](const Row *a, const Row *c) { return a->start_ms < c->start_ms; });
    b.profile(list);
  }
  order_and_name_sessions(out, "nfx");
  for (const TraceSession &s : out)
    st.events += s.events.size();
  st.sessions = out.size();
  return out;
}

} // namespace

bool parse_netflix_clock(std::string_view s, int64_t &ms_out) {
  const size_t c1 = s.find(':');
  if (c1 == std::string_view::npos || c1 == 0 || c1 > 6 || s.size() != c1 + 6 || s[c1 + 3] != ':')
    return false;
  auto digits = [&](size_t from, size_t n, int64_t &v) {
    v = 0;
    for (size_t k = from; k < from + n; ++k) {
      if (s[k] < '0' || s[k] > '9') return false;
      v = v * 10 + (s[k] - '0');
    }
    return true;
  };
  int64_t h, m, sec;
  if (!digits(0, c1, h) || !digits(c1 + 1, 2, m) || !digits(c1 + 4, 2, sec) || m > 59 || sec > 59)
    return false;
  ms_out = ((h * 60 + m) * 60 + sec) * 1000;
  return true;
}

TraceReadResult import_netflix_text(std::string_view text, const NetflixOptions &opt, OnMalformed mode,
                                    NetflixImportStats *stats) {
  TraceReadResult res;
  NetflixImportStats st;
  auto fatal = [&](size_t line, std::string msg) {
    res.ok = false;
    res.errors.push_back({line, std::move(msg)});
  };
  if (text.size() >= 2 &&
      ((text[0] == '\xFF' && text[1] == '\xFE') || (text[0] == '\xFE' && text[1] == '\xFF'))) {
    fatal(1, "the file is UTF-16 (it starts with a UTF-16 byte-order mark); convert it to UTF-8 first");
    if (stats) *stats = st;
    return res;
  }
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);

  CsvReader csv(text);
  std::vector<std::string> fields;
  std::string err;
  size_t line = 0;
  Header header;
  bool have_header = false;
  std::vector<Row> rows;
  while (true) {
    err.clear();
    const Rec rec = csv.next(fields, line, err);
    if (rec == Rec::End) break;
    if (rec == Rec::Blank) continue;
    if (!have_header) {
      if (rec == Rec::Bad) {
        fatal(line, "header: " + err);
        break;
      }
      if (!read_header(fields, header, err)) {
        fatal(line, err);
        break;
      }
      have_header = true;
      continue;
    }
    ++st.rows;
    Row r;
    r.line = line;
    std::string supp;
    if (rec == Rec::Row) {
      const RowKind k = read_row(fields, header, r, supp, err);
      if (k == RowKind::Supplemental) {
        ++st.supplemental;
        ++st.supplemental_by_type[supp];
        continue;
      }
      if (k == RowKind::Programme) {
        if (r.duration_ms == 0) ++st.zero_duration;
        rows.push_back(std::move(r));
        continue;
      }
    }
    ++st.malformed;
    res.errors.push_back({line, err});
    if (mode == OnMalformed::Refuse) {
      res.ok = false;
      break;
    }
  }
  if (!have_header && res.errors.empty()) fatal(1, "no header row (the file is empty or blank)");
  st.lines = csv.lines();
  if (have_header) res.sessions = build_sessions(rows, opt, st);
  if (stats) *stats = st;
  return res;
}

TraceReadResult import_netflix(std::istream &in, const NetflixOptions &opt, OnMalformed mode,
                               NetflixImportStats *stats) {
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) {
    TraceReadResult res;
    res.ok = false;
    res.errors.push_back({0, "read error"});
    if (stats) *stats = NetflixImportStats{};
    return res;
  }
  return import_netflix_text(text, opt, mode, stats);
}

TraceReadResult import_netflix_file(const std::string &path, const NetflixOptions &opt, OnMalformed mode,
                                    NetflixImportStats *stats) {
  std::error_code ec;
  std::ifstream f(path, std::ios::binary);
  if (!f || std::filesystem::is_directory(path, ec)) {
    TraceReadResult res;
    res.ok = false;
    res.errors.push_back({0, "cannot open '" + path + "': " + open_failure(path)});
    if (stats) *stats = NetflixImportStats{};
    return res;
  }
  auto res = import_netflix(f, opt, mode, stats);
  if (!res.ok && !res.errors.empty() && res.errors[0].line == 0)
    res.errors[0].message = "cannot read '" + path + "'";
  return res;
}

} // namespace sp
