#include "policy/schedule.h"

namespace sp {

Schedule schedule_of(const Plan &plan) {
  Schedule s;
  if (plan.awake_ms < 0) return s; // awake until the next interaction
  if (plan.asleep_ms == 0) {
    // A zero-length sleep is no sleep: ask again when the awake stretch ends;
    // with no awake stretch either no time would pass, so stay awake.
    if (plan.awake_ms == 0) return s;
    s.awake_ms = plan.awake_ms;
    s.then = Schedule::Then::AskAgain;
    return s;
  }
  s.awake_ms = plan.awake_ms;
  s.then = Schedule::Then::Sleep;
  s.asleep_ms = plan.asleep_ms < 0 ? Schedule::kNever : plan.asleep_ms;
  return s;
}

int64_t add_ms_saturating(int64_t t, int64_t d) {
  if (t == Schedule::kNever || d == Schedule::kNever || d > Schedule::kNever - t) return Schedule::kNever;
  return t + d;
}

} // namespace sp
