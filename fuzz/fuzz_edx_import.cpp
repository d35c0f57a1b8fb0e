// libFuzzer target: the Open edX tracking-log importer (src/trace/edx_import.h)
// on arbitrary bytes, read as one log and as two logs cut at a line boundary,
// in both malformed-line modes.
// Invariants checked: importing never throws or crashes; every reported line
// is a 1-based line number within its source and names that source; the line
// counts add up; every session is well formed (seq 1..n, times never going
// back, positions not negative and within the session's duration) and writes
// out and reads back through the trace reader to an equal session; and (Skip)
// two logs, in their order, give exactly the sessions of the one they were
// cut from.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include "session_check.h"
#include "trace/edx_import.h"
#include "trace/trace.h"

namespace {

size_t count_lines(std::string_view text) {
  size_t n = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  return n + (!text.empty() && text.back() != '\n');
}

void check(const sp::TraceReadResult &r, const sp::EdxImportStats &st) {
  if (st.lines < st.video_events + st.ignored + st.malformed) std::abort();
  if (st.malformed != r.errors.size()) std::abort();
  for (const auto &s : r.sessions) {
    if (s.events.empty()) std::abort();
    fuzz::check_session(s);
  }
}

void check_errors(const sp::TraceReadResult &r, std::string_view a, std::string_view b) {
  for (const auto &e : r.errors) {
    if (e.message.empty() || e.line == 0) std::abort();
    if (e.source == "a") {
      if (e.line > count_lines(a)) std::abort();
    } else if (e.source == "b") {
      if (e.line > count_lines(b)) std::abort();
    } else {
      std::abort();
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  sp::EdxOptions opt;
  opt.keep_empty_sessions = size % 2 == 1;

  // One log.
  std::istringstream whole_in{std::string(text)};
  sp::EdxImportStats whole_st;
  const sp::TraceReadResult whole = sp::import_edx(whole_in, opt, sp::OnMalformed::Skip, &whole_st);
  check(whole, whole_st);
  if (whole_st.lines != count_lines(text)) std::abort();

  // The same lines as two logs, cut after a newline: in their order they give
  // exactly the sessions of the one log; the later part first, sessions that
  // obey the same invariants (events at the same millisecond on both sides of
  // the cut may then come in the other order).
  size_t cut = size == 0 ? 0 : static_cast<size_t>(data[0]) * size / 256;
  size_t nl = text.find('\n', cut);
  cut = nl == std::string_view::npos ? size : nl + 1;
  const std::string_view a = text.substr(0, cut), b = text.substr(cut);
  struct Run {
    bool a_first;
    sp::OnMalformed mode;
  };
  for (Run run : {Run{true, sp::OnMalformed::Skip}, Run{false, sp::OnMalformed::Skip},
                  Run{false, sp::OnMalformed::Refuse}}) {
    sp::EdxImporter imp(opt, run.mode);
    std::istringstream in_a{std::string(a)}, in_b{std::string(b)};
    imp.add(run.a_first ? in_a : in_b, run.a_first ? "a" : "b");
    if (!imp.refused()) imp.add(run.a_first ? in_b : in_a, run.a_first ? "b" : "a");
    sp::EdxImportStats st;
    const sp::TraceReadResult two = imp.finish(&st);
    check(two, st);
    check_errors(two, a, b);
    if (run.mode == sp::OnMalformed::Refuse) {
      if (two.ok != two.errors.empty() || two.errors.size() > 1) std::abort();
      continue;
    }
    if (!two.ok || st.lines != whole_st.lines || st.malformed != whole_st.malformed ||
        st.video_events != whole_st.video_events)
      std::abort();
    if (!run.a_first) continue;
    if (two.sessions.size() != whole.sessions.size()) std::abort();
    for (size_t i = 0; i < two.sessions.size(); ++i) {
      const auto &x = two.sessions[i], &y = whole.sessions[i];
      if (x.session_id != y.session_id || x.viewer != y.viewer || x.video != y.video ||
          x.duration_ms != y.duration_ms || x.end_wall_ms != y.end_wall_ms || x.events != y.events)
        std::abort();
    }
  }
  return 0;
}
