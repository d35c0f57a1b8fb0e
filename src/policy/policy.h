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
  // "h,w,m" -> CostModel; false on malformed input.
  static bool parse(const std::string &text, CostModel &out);
  std::string to_string() const;
};

// The plan from a decision point: stay awake for awake_ms, then sleep for
// asleep_ms and wake proactively (asleep_ms < 0: sleep until an interaction
// wakes us on demand; awake_ms < 0: never sleep). At a proactive wake the
// policy is asked again. Any interaction is a new decision point.
struct Plan {
  int64_t awake_ms = -1;
  int64_t asleep_ms = -1;
};

class Policy {
public:
  virtual ~Policy() = default;
  virtual std::string name() const = 0;
  virtual Plan plan(const PolicyContext &ctx) = 0;
};

} // namespace sp
