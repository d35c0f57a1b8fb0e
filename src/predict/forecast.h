// What the predictor tells a policy: the distribution of the time to the
// viewer's next action, as a cumulative probability at a ladder of horizons
// (a discrete-time hazard model yields exactly this).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "predict/decision_point.h"

namespace sp {

struct Forecast {
  std::vector<int64_t> horizon_ms; // increasing, > 0 (e.g. 1 s, 2 s, 5 s, ... 30 min)
  std::vector<double> cdf; // cdf[k] = P(next viewer action within horizon_ms[k]); non-decreasing, in [0,1]
  // P(next action within t ms): piecewise-linear between horizons (0 at t=0),
  // flat after the last horizon.
  double cdf_at(int64_t t_ms) const;
};

// Anything that can forecast from a decision point. The learned policy uses
// this interface, so it can be tested with a hand-made forecaster.
class Forecaster {
public:
  virtual ~Forecaster() = default;
  virtual Forecast forecast(const PolicyContext &ctx) const = 0;
  virtual std::string describe() const = 0; // e.g. "hazard-logreg v3 (log loss 0.41)"
};

} // namespace sp
