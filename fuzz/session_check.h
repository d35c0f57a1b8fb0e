// Shared by the importer fuzz targets: what every imported session must be.
// Aborts (a libFuzzer crash) when it is not.
#pragma once
#include <cstdlib>
#include <sstream>
#include <string>

#include "trace/trace.h"

namespace fuzz {

// seq 1..n, times never going back, positions within 0 .. the session's
// duration; and it writes out and reads back through the trace reader to an
// equal session.
inline void check_session(const sp::TraceSession &s) {
  for (size_t i = 0; i < s.events.size(); ++i) {
    const auto &e = s.events[i];
    if (e.seq != static_cast<int64_t>(i) + 1 || e.position_ms < 0 || e.position_ms > s.duration_ms)
      std::abort();
    if (i > 0 && e.wall_ms < s.events[i - 1].wall_ms) std::abort();
  }
  std::ostringstream out;
  sp::write_trace(out, s);
  std::string line = out.str();
  while (!line.empty() && line.back() == '\n')
    line.pop_back();
  sp::TraceSession back;
  std::string err;
  if (!sp::parse_trace_line(line, back, err)) std::abort();
  if (back.session_id != s.session_id || back.viewer != s.viewer || back.video != s.video ||
      back.duration_ms != s.duration_ms || back.start_wall_ms != s.start_wall_ms ||
      back.end_wall_ms != s.end_wall_ms || back.end_reason != s.end_reason || back.events != s.events)
    std::abort();
}

} // namespace fuzz
