#include <cmath>

#include "policy/policies.h"

namespace sp {

int64_t FixedTimeoutPolicy::default_tau_ms(const CostModel &c) {
  if (c.h <= 0) return -1;  // awake time is free: never sleep
  return static_cast<int64_t>(std::llround(1000.0 * c.w / c.h));
}

Plan FixedTimeoutPolicy::plan(const PolicyContext &ctx) {
  // At a proactive wake (never scheduled by this policy) sleep again at once.
  if (ctx.after_proactive_wake) return Plan{0, -1};
  return Plan{tau_ms_, -1};
}

} // namespace sp
