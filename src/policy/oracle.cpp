#include <algorithm>

#include "policy/policies.h"
#include "policy/replay.h"

namespace sp {

namespace {
// Cheapest way through a gap of g ms that ends in an action.
enum class GapChoice { Awake, SleepWake, SleepMiss };
GapChoice choose(double g_s, const CostModel &c, double *best) {
  double awake = c.h * g_s, wake = c.w, miss = c.w + c.m;
  GapChoice ch = GapChoice::Awake;
  double b = awake;
  if (wake < b) { b = wake; ch = GapChoice::SleepWake; }
  if (miss < b) { b = miss; ch = GapChoice::SleepMiss; }
  if (best) *best = b;
  return ch;
}
} // namespace

Plan OraclePolicy::plan(const PolicyContext &ctx) {
  int64_t start = 0, end = 0;
  session_span(full_, start, end);
  size_t seen = ctx.session ? ctx.session->events.size() : 0;
  for (size_t i = seen; i < full_.events.size(); ++i) {
    const Interaction &e = full_.events[i];
    if (e.wall_ms > end) break;
    if (!is_viewer_action(e.kind)) continue;
    int64_t gap = std::max<int64_t>(0, e.wall_ms - ctx.now_wall_ms);
    switch (choose(static_cast<double>(gap) / 1000.0, cost_, nullptr)) {
    case GapChoice::Awake: return Plan{-1, -1};
    case GapChoice::SleepWake: return Plan{0, gap};
    case GapChoice::SleepMiss: return Plan{0, -1};
    }
  }
  return Plan{0, -1};  // no further action: sleep (free)
}

double OraclePolicy::optimal_cost(const TraceSession &s, const CostModel &cost) {
  int64_t start = 0, end = 0;
  session_span(s, start, end);
  double total = 0;
  int64_t prev = start;
  for (const Interaction &e : s.events) {
    if (e.wall_ms > end) break;
    if (!is_viewer_action(e.kind)) continue;
    int64_t t = std::max(e.wall_ms, prev);
    double b = 0;
    choose(static_cast<double>(t - prev) / 1000.0, cost, &b);
    total += b;
    prev = t;
  }
  return total;
}

} // namespace sp
