// Sleep/wake policies and the one cost model they are judged by. The same
// Policy objects drive trace replay (smartplayer-eval) and the live control
// thread, so what is measured offline is what runs.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "predict/decision_point.h"
#include "trace/trace.h"

namespace sp {

// Cost of running the control plane: h per second awake, w per wake, m per
// interaction that arrives while asleep (a miss). Defaults and their reasoning:
// docs/model.md; the defaults live only in cost_model.cpp.
struct CostModel {
  double h;
  double w;
  double m;
  static CostModel defaults();
  // "h,w,m" -> CostModel: three plain decimal numbers (an optional '+', an
  // exponent and spaces around allowed; no hex, inf or nan), h > 0 (an awake
  // second is the unit: with h = 0 nothing can beat staying awake), w, m >= 0.
  // False on anything else, with the reason in *why (when given); `out` is
  // then untouched.
  static bool parse(const std::string &text, CostModel &out, std::string *why = nullptr);
  std::string to_string() const;
};

// The plan from a decision point, in wall milliseconds from it. Every value
// has one meaning, for trace replay and the live control plane alike (both
// read a Plan only through schedule_of(), policy/schedule.h):
// - awake_ms < 0: stay awake until the next interaction (asleep_ms ignored).
// - awake_ms >= 0: stay awake awake_ms (0: fall asleep at once), then:
//   - asleep_ms < 0: sleep until an interaction wakes the plane on demand;
//   - asleep_ms > 0: sleep asleep_ms, then wake proactively; the policy is
//     asked again at that wake (after_proactive_wake = true);
//   - asleep_ms == 0: a zero-length sleep is no sleep: stay awake and ask the
//     policy again at awake_ms (after_proactive_wake = true, no wake is paid);
//     with awake_ms == 0 too no time would pass, so stay awake until the next
//     interaction (as awake_ms < 0). A plane never sleeps 0 ms to pay a wake.
// Any interaction is a new decision point.
struct Plan {
  int64_t awake_ms = -1;
  int64_t asleep_ms = -1;
};

class Policy {
public:
  virtual ~Policy() = default;
  virtual std::string name() const = 0;
  virtual Plan plan(const PolicyContext &ctx) = 0;
  // The session in ctx ended at ctx.now_wall_ms (replay: at the end of its
  // span; live: when the host ends it). A policy that learns from its gaps
  // finishes the last one here; the default does nothing.
  virtual void session_ended(const PolicyContext &ctx) { (void)ctx; }
};

} // namespace sp
