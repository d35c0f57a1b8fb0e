// libFuzzer target: the Netflix viewing-history importer (src/trace/netflix_import.h)
// on arbitrary bytes, in both malformed-row modes.
// Invariants checked: importing never throws or crashes; every reported row
// has a 1-based line number within the input; only an unusable header (or
// Refuse) makes ok false; the row counts add up; every session is well formed
// (open first, stop or end last, seq 1..n, times never going back, positions
// within the video length) and writes out and reads back through the trace
// reader to an equal session.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "session_check.h"
#include "trace/netflix_import.h"
#include "trace/trace.h"

namespace {

void check(const sp::TraceReadResult &r, const sp::NetflixImportStats &st, size_t lines, bool refuse) {
  for (const auto &e : r.errors)
    if (e.line == 0 || e.line > lines + 1 || e.message.empty()) std::abort();
  if (!r.ok && !refuse && (r.errors.size() != 1 || !r.sessions.empty())) std::abort();
  if (st.rows != st.rows_imported + st.malformed + st.supplemental + st.zero_duration + st.rows_within)
    std::abort();
  if (st.sessions != r.sessions.size()) std::abort();
  size_t events = 0;
  for (const auto &s : r.sessions) {
    events += s.events.size();
    if (s.events.size() < 3 || s.events.front().kind != sp::Kind::Open) std::abort();
    if (s.events.back().kind != sp::Kind::Stop && s.events.back().kind != sp::Kind::End) std::abort();
    fuzz::check_session(s);
  }
  if (st.events != events) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  size_t lines = 1;
  for (char c : text)
    lines += c == '\n' || c == '\r';

  sp::NetflixOptions opt;
  opt.seek_tolerance_ms = size % 2 ? 0 : 10'000; // exercise seeks both ways
  sp::NetflixImportStats st;
  check(sp::import_netflix_text(text, opt, sp::OnMalformed::Skip, &st), st, lines, false);
  sp::NetflixImportStats st2;
  check(sp::import_netflix_text(text, opt, sp::OnMalformed::Refuse, &st2), st2, lines, true);
  return 0;
}
