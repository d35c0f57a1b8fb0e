// Open edX tracking-log importer: video events (play_video, pause_video,
// seek_video, speed_change_video, stop_video, load_video and the mobile
// edx.video.* names) from a tracking log (one JSON object per line) into
// trace sessions. Mapping documented in docs/simulator.md ("Open edX import").
//
// Thread safety: the functions are reentrant (no shared state).
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>

#include "trace/trace.h"

namespace sp {

struct EdxOptions {
  std::string genre = "unknown";            // genre written into every session
  int64_t session_gap_ms = 30LL * 60 * 1000;  // a longer gap between events starts a new session
  bool keep_empty_sessions = false;         // keep sessions with no viewer action (only load_video)
};

// What the importer saw (for reports; errors are in TraceReadResult::errors).
struct EdxImportStats {
  size_t lines = 0;          // lines read (blank lines included)
  size_t video_events = 0;   // lines mapped to an interaction
  size_t ignored = 0;        // well-formed lines that are not video interactions (other event types, blank lines)
  size_t malformed = 0;      // lines reported in errors
  size_t empty_sessions_dropped = 0;
};

// Read a tracking log. Malformed lines (not a JSON object, no string
// "event_type", a video event without a username, time, video id, a readable
// "event" payload, or with a bad number) are reported with their 1-based line
// number: with OnMalformed::Skip they are skipped and reading goes on; with
// Refuse reading stops there, ok=false, and sessions holds what the lines
// before it gave. Sessions come out ordered by start time, then viewer, video.
TraceReadResult import_edx(std::istream &in, const EdxOptions &opt = {}, OnMalformed mode = OnMalformed::Skip,
                           EdxImportStats *stats = nullptr);
// Same for a file; a file that cannot be opened gives ok=false and one error with line 0.
TraceReadResult import_edx_file(const std::string &path, const EdxOptions &opt = {},
                                OnMalformed mode = OnMalformed::Skip, EdxImportStats *stats = nullptr);

// Parse an edX "time" value: "2013-10-04T14:38:32.123456+00:00", also without
// the fraction, with "Z" or no zone (UTC), or a space instead of "T". Returns
// false on anything else. Result: ms since the Unix epoch (fraction truncated to ms).
bool parse_edx_time(const std::string &s, int64_t &ms_out);

} // namespace sp
