// The trace model: viewing sessions and their interactions, as replayed by the
// policies and written/read as JSON Lines (docs/traces.md). The behaviour log
// exports to it, the simulator writes it, importers (Open edX) read into it.
#pragma once
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "core/interaction.h"

namespace sp {

struct TraceSession {
  std::string session_id;   // unique within a trace file
  std::string viewer;       // viewer id
  std::string video;        // video id
  std::string genre;        // "unknown" when not known
  int64_t duration_ms = 0;  // video length
  int64_t start_wall_ms = 0;
  int64_t end_wall_ms = 0;
  std::string end_reason;   // "finished" | "abandoned" | "stopped" | "replaced" | "error" | ""
  std::vector<Interaction> events;  // in seq order; events[0] is usually Kind::Open
};

// A problem with one line of a trace file.
struct TraceError {
  size_t line = 0;          // 1-based line number
  std::string message;
};

enum class OnMalformed { Skip, Refuse };

struct TraceReadResult {
  std::vector<TraceSession> sessions;
  std::vector<TraceError> errors;  // with Skip: every skipped line; with Refuse: the first
  bool ok = true;                  // false when refused (sessions then holds the lines before it)
};

// Read JSON Lines. With OnMalformed::Skip a bad line is reported and skipped;
// with Refuse reading stops at the first bad line and ok=false.
TraceReadResult read_traces(std::istream &in, OnMalformed mode = OnMalformed::Skip);
TraceReadResult read_trace_file(const std::string &path, OnMalformed mode = OnMalformed::Skip);
// Parse one line (no trailing newline). Returns false and sets err on failure.
bool parse_trace_line(const std::string &line, TraceSession &out, std::string &err);

void write_trace(std::ostream &out, const TraceSession &s);  // one line
void write_traces(std::ostream &out, const std::vector<TraceSession> &sessions);
bool write_trace_file(const std::string &path, const std::vector<TraceSession> &sessions, std::string &err);

} // namespace sp
