// What a Plan asks of the control plane, decided in one place: trace replay
// (policy/replay.cpp) and the live control plane (control/control_plane.cpp)
// both turn a policy's Plan into a Schedule here, so a plan means the same
// offline and live (the meaning of every Plan field is in policy/policy.h).
// Pure functions: any thread.
#pragma once
#include <cstdint>
#include <limits>

#include "policy/policy.h"

namespace sp {

struct Schedule {
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
  // What happens when the awake stretch ends.
  enum class Then {
    Sleep,    // fall asleep for asleep_ms
    AskAgain, // do not sleep: a new decision point (after_proactive_wake), no wake paid
  };
  int64_t awake_ms = kNever; // stay awake this long after the decision; kNever: until the next interaction
  Then then = Then::Sleep;
  int64_t asleep_ms = kNever; // Then::Sleep: then wake proactively; kNever: sleep until woken on demand

  bool stays_awake() const { return awake_ms == kNever; }
  bool wakes_proactively() const { return then == Then::Sleep && asleep_ms != kNever; }
  bool operator==(const Schedule &) const = default;
};

// The schedule a plan asks for (see Plan in policy.h).
Schedule schedule_of(const Plan &plan);

// t + d, saturating at Schedule::kNever (d >= 0; kNever stays kNever).
int64_t add_ms_saturating(int64_t t, int64_t d);

} // namespace sp
