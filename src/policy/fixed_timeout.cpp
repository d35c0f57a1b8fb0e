#include <cmath>

#include "core/saturating.h"
#include "policy/policies.h"

namespace sp {

int64_t FixedTimeoutPolicy::default_tau_ms(const CostModel &c) {
  if (c.h <= 0) return -1;  // awake time is free: never sleep
  // w/h may be anything the host configured ("0.000001,100000,60"): beyond
  // kForeverMs the timeout is "for ever", not an overflowing deadline.
  return clamp_round(1000.0 * c.w / c.h, 0, kForeverMs);
}

Plan FixedTimeoutPolicy::plan(const PolicyContext &ctx) {
  // At a proactive wake (never scheduled by this policy) sleep again at once.
  if (ctx.after_proactive_wake) return Plan{0, -1};
  return Plan{tau_ms_, -1};
}

} // namespace sp
