// The trace model: viewing sessions and their interactions, as replayed by the
// policies and written/read as JSON Lines (docs/traces.md). The behaviour log
// exports to it, the simulator writes it, importers (Open edX) read into it.
//
// Thread safety: every function here is reentrant (no shared state).
#pragma once
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "core/interaction.h"

namespace sp {

struct TraceSession {
  std::string session_id;  // unique within a trace file
  std::string viewer;      // viewer id
  std::string video;       // video id
  std::string genre;       // "unknown" when not known
  int64_t duration_ms = 0; // video length
  int64_t start_wall_ms = 0;
  int64_t end_wall_ms = 0;
  std::string end_reason; // "finished" | "abandoned" | "stopped" | "replaced" | "error" | "crashed" | ""
  std::vector<Interaction> events; // in seq order; events[0] is usually Kind::Open
};

// What may be seen of a session before it ends: its meta (ids, genre,
// duration, start), no events, no end. Replay starts a policy's view with it.
inline TraceSession session_opening(const TraceSession &s) {
  return TraceSession{s.session_id, s.viewer, s.video, s.genre, s.duration_ms, s.start_wall_ms, 0, "", {}};
}

// A problem with one line of a trace file.
struct TraceError {
  size_t line = 0; // 1-based line number
  std::string message;
  std::string source = {}; // the file the line is in, when one import reads several (else empty)
};

enum class OnMalformed { Skip, Refuse };

// Limits on one line of a trace file (docs/traces.md, "Limits"). A longer
// line is reported and skipped without being held in memory; deeper JSON is
// refused before it is built (the format itself needs 3 levels).
inline constexpr size_t kMaxTraceLineBytes = size_t{4} << 20; // 4 MiB: ~40,000 events
inline constexpr int kMaxTraceDepth = 8;
// Ranges of the format's times (all ms): wall times 0 .. 4*10^12 (year
// ~2096), media positions and durations 0 .. 10^10 (~115 days). Importers
// refuse what is beyond them, so whatever they write reads back.
inline constexpr int64_t kMaxTraceWallMs = 4'000'000'000'000LL;
inline constexpr int64_t kMaxTraceMediaMs = 10'000'000'000LL;

struct TraceReadResult {
  std::vector<TraceSession> sessions;
  std::vector<TraceError> errors; // with Skip: every skipped line; with Refuse: the first
  bool ok = true;                 // false when refused (sessions then holds the lines before it)
};

// Read JSON Lines. With OnMalformed::Skip a bad line is reported and skipped;
// with Refuse reading stops at the first bad line and ok=false. A line longer
// than max_line_bytes is a bad line: memory use is bounded by that cap (plus
// the sessions kept), however long a line is.
TraceReadResult read_traces(std::istream &in, OnMalformed mode = OnMalformed::Skip,
                            size_t max_line_bytes = kMaxTraceLineBytes);
TraceReadResult read_trace_file(const std::string &path, OnMalformed mode = OnMalformed::Skip,
                                size_t max_line_bytes = kMaxTraceLineBytes);
// Parse one line (no trailing newline). Returns false and sets err on failure;
// never throws, whatever the input (bad JSON, numbers out of range such as
// 1e400, nesting deeper than kMaxTraceDepth).
bool parse_trace_line(const std::string &line, TraceSession &out, std::string &err);

// How every tool reports a read (smartplayer-cli import-traces,
// smartplayer-train --traces, smartplayer-eval --traces), on `err`:
//   PROG: PATH: skipped N malformed line(s): L1 L2 ...
//     <each message, the first max_listed of them>
// or, when the read failed (file not readable, or refused),
//   PROG: cannot read traces: <message>
// Nothing is written for a clean read.
void report_trace_errors(std::ostream &err, const std::string &prog, const std::string &path,
                         const TraceReadResult &r, size_t max_listed = 20);

// One line; returns its length in bytes (without the newline), so a writer
// can tell when a session is too long for the reader (kMaxTraceLineBytes).
size_t write_trace(std::ostream &out, const TraceSession &s);
void write_traces(std::ostream &out, const std::vector<TraceSession> &sessions);
bool write_trace_file(const std::string &path, const std::vector<TraceSession> &sessions, std::string &err);

// An importer's last step: sessions in order of start (then viewer, video;
// ties keep their order) and named "<prefix>-000001", "<prefix>-000002", ...
void order_and_name_sessions(std::vector<TraceSession> &sessions, const char *prefix);

// Why the file at `path` cannot be opened for reading, for a message after
// an open failed: "No such file or directory", "Permission denied", "it is a
// folder", ... (looked up again: call it right after the failure).
std::string open_failure(const std::string &path);
// The same for writing: call it right after the open for writing failed.
std::string write_open_failure(const std::string &path);
// Whether two paths name the same file: the same existing file (hard links
// and symbolic links included), or the same path once resolved when one or
// both do not exist yet. A tool refuses to write its output over one of its
// inputs.
bool same_file(const std::string &a, const std::string &b);

// The files a command-line tool reads and writes, named by their option.
struct ToolFile {
  std::string option; // "--out", "--db", "LOG", ...
  std::string path;   // "" or "-" (standard input or output) is never checked
  bool output = false;
};
// False with err set when an output is the same file as an input ("it would
// be overwritten") or as another output: checked before any work starts.
bool check_tool_files(const std::vector<ToolFile> &files, std::string &err);

// A file written whole or not at all: the text goes to a temporary file
// beside `path` (".NAME.partial-PID"), which commit() renames over `path`.
// Until then `path` keeps what it held; an interrupted run (Ctrl-C, an
// error) leaves it untouched and the destructor removes the temporary file
// (a killed process may leave it behind). Not thread-safe.
class FileReplace {
public:
  FileReplace() = default;
  ~FileReplace();
  FileReplace(const FileReplace &) = delete;
  FileReplace &operator=(const FileReplace &) = delete;
  // False with err ("PATH: cannot open for writing: why") when the temporary
  // file cannot be made (no such folder, no permission).
  bool open(const std::string &path, std::string &err);
  std::ostream &stream() { return out_; }
  // Flushes, checks and renames into place; false with err on any failure
  // (then `path` is as it was).
  bool commit(std::string &err);

private:
  std::string path_, tmp_;
  std::ofstream out_;
  bool committed_ = false;
};

// Runs `read` on the file at `path` (opened as binary): false with err
// "cannot open <path>", or with read's message prefixed by "<path>: ". For
// the side files that are read whole (transitions, the simulator's truth).
bool read_file_with(const std::string &path, std::string &err,
                    const std::function<bool(std::istream &, std::string &)> &read);

} // namespace sp
