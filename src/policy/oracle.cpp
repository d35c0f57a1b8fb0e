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
  // Replay's clock: an event recorded earlier than one before it is handled
  // when the replay gets to it (replay.h), so plan on those times.
  int64_t clock = ctx.now_wall_ms;
  for (size_t i = seen; i < full_.events.size(); ++i) {
    const Interaction &e = full_.events[i];
    clock = std::max(clock, e.wall_ms);
    if (clock > end) break;
    if (!is_viewer_action(e.kind)) continue;
    int64_t gap = clock - ctx.now_wall_ms;
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
  int64_t prev = start;   // the last action's time
  int64_t clock = start;  // replay's clock (replay.h): never goes back
  for (const Interaction &e : s.events) {
    clock = std::max(clock, e.wall_ms);
    if (clock > end) break;
    if (!is_viewer_action(e.kind)) continue;
    double b = 0;
    choose(static_cast<double>(clock - prev) / 1000.0, cost, &b);
    total += b;
    prev = clock;
  }
  return total;
}

} // namespace sp
