// libFuzzer target: reading JSON Lines traces (docs/traces.md) from arbitrary
// bytes, in both malformed-line modes, and round-tripping what was accepted.
// Invariants checked: reading never throws or crashes; Skip mode reports every
// rejected line with a 1-based line number within the input; a session that
// was accepted writes out and reads back to an equal session.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "trace/trace.h"

namespace {

bool same(const sp::TraceSession &a, const sp::TraceSession &b) {
  return a.session_id == b.session_id && a.viewer == b.viewer && a.video == b.video && a.genre == b.genre &&
         a.duration_ms == b.duration_ms && a.start_wall_ms == b.start_wall_ms && a.end_wall_ms == b.end_wall_ms &&
         a.end_reason == b.end_reason && a.events.size() == b.events.size();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string text(reinterpret_cast<const char *>(data), size);
  size_t lines = 1;
  for (char c : text) lines += c == '\n';

  std::istringstream in_skip(text);
  sp::TraceReadResult skip = sp::read_traces(in_skip, sp::OnMalformed::Skip);
  if (!skip.ok) std::abort();  // Skip mode never refuses
  for (const auto &e : skip.errors)
    if (e.line == 0 || e.line > lines || e.message.empty()) std::abort();

  std::istringstream in_refuse(text);
  sp::TraceReadResult refuse = sp::read_traces(in_refuse, sp::OnMalformed::Refuse);
  if (!refuse.ok && refuse.errors.size() != 1) std::abort();
  if (refuse.sessions.size() > skip.sessions.size()) std::abort();

  for (const auto &s : skip.sessions) {
    std::ostringstream out;
    sp::write_trace(out, s);
    std::string line = out.str();
    while (!line.empty() && line.back() == '\n') line.pop_back();
    sp::TraceSession back;
    std::string err;
    if (!sp::parse_trace_line(line, back, err) || !same(s, back)) std::abort();
  }
  return 0;
}
