// Netflix viewing-history importer: the ViewingActivity.csv of Netflix's
// "download your personal information" (one row per stretch of playback)
// into trace sessions. Mapping and assumptions: docs/traces.md ("Netflix
// viewing history").
//
// Thread safety: the functions are reentrant (no shared state).
#pragma once
#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>

#include "trace/trace.h"

namespace sp {

struct NetflixOptions {
  std::string genre = "unknown"; // genre written into every session (the file has none)
  // Rows of one profile and title continue a session when the next one starts
  // at most this long after the previous one ended (and no other title of that
  // profile played in between); a longer gap starts a new session.
  int64_t session_gap_ms = 30LL * 60 * 1000;
  // A row that starts further than this from where the session's previous row
  // ended (its bookmark) is reached by a seek. Bookmarks and durations are
  // whole seconds, so a few seconds of difference is rounding.
  int64_t seek_tolerance_ms = 10'000;
  // A session is taken to have run to its end (`end`, "finished") rather than
  // been stopped when the profile's next row is another title that Netflix
  // autoplayed with no user action, on the same device, starting at most this
  // long after the session's last row ended (the post-play countdown).
  int64_t autoplay_window_ms = 60'000;
};

// What the importer saw (for the summary; errors are in TraceReadResult::errors).
struct NetflixImportStats {
  size_t lines = 0;         // physical lines read
  size_t rows = 0;          // data rows (records after the header; blank lines not counted)
  size_t rows_imported = 0; // programme rows that became part of a session
  size_t malformed = 0;     // rows reported in errors
  size_t supplemental = 0;  // skipped: trailers, hooks, recaps, ... (by type below)
  std::map<std::string, size_t> supplemental_by_type;
  size_t zero_duration = 0;        // skipped: a programme row with Duration 00:00:00 (nothing watched)
  size_t autoplayed = 0;           // imported rows whose Attributes say Netflix autoplayed them
  size_t finished_by_autoplay = 0; // sessions ended with `end` because the next title autoplayed
  size_t starts_clamped = 0;       // Duration > Bookmark: the row's start position clamped to 0
  size_t overlaps = 0;             // rows that began before the session's previous row ended (moved later)
  size_t rows_within = 0; // skipped: rows of a session that began and ended while its earlier rows played
  size_t seeks = 0;       // seek events made
  size_t sessions = 0;
  size_t events = 0;
};

// Read a ViewingActivity.csv (RFC 4180: quoted fields with commas, quotes and
// line breaks; CRLF or LF; an optional UTF-8 byte-order mark). The first
// non-blank row is the header; columns are found by name (trimmed, case does
// not matter; order free; unknown columns ignored). Required: Profile Name,
// Start Time, Duration, Title, Bookmark; used when present: Supplemental
// Video Type, Attributes, Device Type.
//
// A missing or unusable header gives ok=false and one error (nothing can be
// imported). A malformed row (wrong field count, unterminated quote, bad
// time, negative or overlong duration, empty or non-UTF-8 profile or title,
// ...) is reported with the 1-based line where it starts: with
// OnMalformed::Skip it is skipped and reading goes on; with Refuse reading
// stops there, ok=false, and sessions holds what the rows before it gave.
// Sessions come out ordered by start time, then viewer, video; ids nfx-000001...
TraceReadResult import_netflix(std::istream &in, const NetflixOptions &opt = {},
                               OnMalformed mode = OnMalformed::Skip, NetflixImportStats *stats = nullptr);
// The same from text in memory (what the stream version reads; the fuzz target's entry).
TraceReadResult import_netflix_text(std::string_view text, const NetflixOptions &opt = {},
                                    OnMalformed mode = OnMalformed::Skip,
                                    NetflixImportStats *stats = nullptr);
// Same for a file; a file that cannot be opened or read gives ok=false and one error with line 0.
TraceReadResult import_netflix_file(const std::string &path, const NetflixOptions &opt = {},
                                    OnMalformed mode = OnMalformed::Skip,
                                    NetflixImportStats *stats = nullptr);

// Parse a Netflix clock value "H:MM:SS" (hours one or more digits, up to
// 999999; minutes and seconds two digits, 0..59) into ms. False on anything
// else (a sign, a fraction, spaces inside).
bool parse_netflix_clock(std::string_view s, int64_t &ms_out);

} // namespace sp
