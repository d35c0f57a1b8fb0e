// The awake windows the control plane expects ahead, in media positions, for
// drawing on a seek bar: the policy's plan followed forward as if no
// interaction arrived (each planned proactive wake, or zero-length sleep,
// asks the policy again, as the live plane would). Plans are read through
// schedule_of() (policy/schedule.h), so the windows mean what the plane does.
// A pure function of its arguments (it calls the policy, which may keep
// state, like every plan() call). Reentrant.
#pragma once
#include <cstdint>
#include <vector>

#include "policy/policy.h"

namespace sp {

// One window, in media ms.
struct PredictedWindow {
  int64_t start_ms = 0, end_ms = 0;
  bool operator==(const PredictedWindow &) const = default;
};

// The windows from decision point `ctx`, whose plan is `first` (already asked
// of `policy`), for media of `duration_ms`; at most `max_windows`. While
// paused (or at rate 0) the position does not move: one window at most.
std::vector<PredictedWindow> predict_windows(Policy &policy, const PolicyContext &ctx, const Plan &first,
                                             int64_t duration_ms, int max_windows = 8);

} // namespace sp
