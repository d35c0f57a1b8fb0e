#include "control/predicted_windows.h"

#include <algorithm>

#include "policy/schedule.h"

namespace sp {

namespace {
// Media position after `wall_ms` at `rate`, capped at `limit` (no overflow).
int64_t advance(int64_t pos, int64_t wall_ms, double rate, int64_t limit) {
  const double to = static_cast<double>(pos) + static_cast<double>(wall_ms) * rate;
  if (to >= static_cast<double>(limit)) return std::max(limit, pos);
  return pos + static_cast<int64_t>(static_cast<double>(wall_ms) * rate);
}
} // namespace

std::vector<PredictedWindow> predict_windows(Policy &policy, const PolicyContext &ctx, const Plan &first,
                                             int64_t duration_ms, int max_windows) {
  // A policy that keeps asking again in tiny steps must not keep us here.
  constexpr int kMaxAsks = 64;
  std::vector<PredictedWindow> win;
  PolicyContext c = ctx;
  Plan p = first;
  int64_t pos = c.position_ms;
  int64_t start = pos; // the open window's start
  const double rate = c.paused ? 0.0 : c.rate;
  for (int asks = 0; static_cast<int>(win.size()) < max_windows; ++asks) {
    const Schedule s = schedule_of(p);
    if (s.stays_awake()) {
      win.push_back({start, duration_ms});
      break;
    }
    const int64_t end = advance(pos, s.awake_ms, rate, duration_ms);
    const bool ask_again = s.then == Schedule::Then::AskAgain;
    if (!ask_again || rate <= 0 || end >= duration_ms || asks + 1 >= kMaxAsks) {
      win.push_back({start, std::min(end, duration_ms)});
      if (!s.wakes_proactively() || rate <= 0) break;
    }
    if (rate <= 0 || end >= duration_ms || asks + 1 >= kMaxAsks) break;
    if (ask_again) {
      // The window stays open: the plane is awake when asked again.
      pos = end;
      c.now_wall_ms += s.awake_ms;
    } else {
      pos = advance(end, s.asleep_ms, rate, duration_ms);
      if (pos >= duration_ms) break;
      start = pos;
      c.now_wall_ms += s.awake_ms + s.asleep_ms;
    }
    c.position_ms = pos;
    c.after_proactive_wake = true;
    p = policy.plan(c);
  }
  return win;
}

} // namespace sp
