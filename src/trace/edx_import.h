// Open edX tracking-log importer: video events (play_video, pause_video,
// seek_video, speed_change_video, stop_video = end of the video, load_video
// and the mobile edx.video.* names) from a tracking log (one JSON object per line) into
// trace sessions. Mapping documented in docs/simulator.md ("Open edX import").
//
// Thread safety: the functions are reentrant (no shared state).
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>
#include <unordered_set>
#include <vector>

#include "trace/trace.h"

namespace sp {

struct EdxOptions {
  std::string genre = "unknown";             // genre written into every session
  int64_t session_gap_ms = 30LL * 60 * 1000; // a longer gap between events starts a new session
  bool keep_empty_sessions = false;          // keep sessions with no viewer action (only load_video)
};

// What the importer saw (for reports; errors are in TraceReadResult::errors).
struct EdxImportStats {
  size_t lines = 0;        // lines read (blank lines included)
  size_t video_events = 0; // lines mapped to an interaction
  size_t ignored = 0;   // well-formed lines that are not video interactions (other event types, blank lines)
  size_t malformed = 0; // lines reported in errors
  size_t empty_sessions_dropped = 0;
  size_t duplicates = 0; // video event lines skipped as exact copies of an earlier line
  size_t anonymous = 0;  // video events with an empty username (not logged in): skipped, not errors
  size_t automatic_pauses = 0; // pause_video sent with a stop_video at the end of the video: dropped
};

// Read a tracking log. Malformed lines (not a JSON object, no string
// "event_type", a video event without a username, time, video id, a readable
// "event" payload, or with a bad number) are reported with their 1-based line
// number: with OnMalformed::Skip they are skipped and reading goes on; with
// Refuse reading stops there, ok=false, and sessions holds what the lines
// before it gave. A video event with an empty username (a viewer who was not
// logged in) is not an error: it is counted (EdxImportStats::anonymous) and
// skipped. Sessions come out ordered by start time, then viewer, video.
TraceReadResult import_edx(std::istream &in, const EdxOptions &opt = {}, OnMalformed mode = OnMalformed::Skip,
                           EdxImportStats *stats = nullptr);
// Same for a file; a file that cannot be opened gives ok=false and one error with line 0.
TraceReadResult import_edx_file(const std::string &path, const EdxOptions &opt = {},
                                OnMalformed mode = OnMalformed::Skip, EdxImportStats *stats = nullptr);

// Several logs read as one, in any order: an Open edX server rotates its
// tracking log (tracking.log, tracking.log-20231015-...), a research data
// package holds one file a day, and a viewing session may span two of them.
// Sessions are built from all the events once finish() is called; errors
// carry the source they were found in. Not thread-safe: one thread feeds it.
class EdxImporter {
public:
  explicit EdxImporter(EdxOptions opt = {}, OnMalformed mode = OnMalformed::Skip);
  ~EdxImporter();
  EdxImporter(EdxImporter &&) noexcept;
  EdxImporter &operator=(EdxImporter &&) noexcept;
  // Reads every line of `in`; `source` names it in errors. Returns false once
  // the import is refused (Refuse and a malformed line): add nothing more.
  bool add(std::istream &in, const std::string &source = {});
  // The source just added could not be read to its end (a truncated or
  // corrupt compressed file, an I/O error): reported as an error on the line
  // after its last; with Refuse the import is refused. What was read stays.
  void source_failed(const std::string &message);
  bool refused() const { return !ok_; }
  // The sessions of everything added, the errors, and what was seen.
  TraceReadResult finish(EdxImportStats *stats = nullptr);

  struct Record; // one video event of a log (edx_import.cpp)

private:
  EdxOptions opt_;
  OnMalformed mode_;
  bool ok_ = true;
  EdxImportStats st_;
  std::vector<Record> recs_;
  std::unordered_set<size_t> seen_; // hashes of the video event lines read
  std::vector<TraceError> errors_;
  std::string last_source_; // of the last add()
  size_t last_lines_ = 0;
};

// Parse an edX "time" value: "2013-10-04T14:38:32.123456+00:00", also without
// the fraction, with "Z" or no zone (UTC), or a space instead of "T". Returns
// false on anything else. Result: ms since the Unix epoch (fraction truncated to ms).
bool parse_edx_time(const std::string &s, int64_t &ms_out);

} // namespace sp
