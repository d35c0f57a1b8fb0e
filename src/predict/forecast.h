// What the predictor tells a policy: the distribution of the time to the
// viewer's next action, as a cumulative probability at a ladder of horizons
// (a discrete-time hazard model yields exactly this).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "predict/decision_point.h"

namespace sp {

struct Forecast {
  std::vector<int64_t> horizon_ms; // increasing, > 0 (e.g. 1 s, 2 s, 5 s, ... 30 min)
  std::vector<double> cdf; // cdf[k] = P(next viewer action within horizon_ms[k]); non-decreasing, in [0,1]
  // Optional, same horizons: end_cdf[k] = P(the session ends, with no viewer
  // action before, within horizon_ms[k]) — after which being awake costs
  // nothing. Empty: not known (the decision rule then charges awake time up
  // to the last horizon to every case without an action). cdf + end_cdf <= 1.
  std::vector<double> end_cdf{};
  // P(next action within t ms): piecewise-linear between horizons (0 at t=0),
  // flat after the last horizon.
  double cdf_at(int64_t t_ms) const;
  // The same for end_cdf (0 when it is empty).
  double end_at(int64_t t_ms) const;
};

class StreamForecaster;

// Anything that can forecast from a decision point. The learned policy uses
// this interface, so it can be tested with a hand-made forecaster.
class Forecaster {
public:
  virtual ~Forecaster() = default;
  virtual Forecast forecast(const PolicyContext &ctx) const = 0;
  virtual std::string describe() const = 0; // e.g. "hazard-logreg v3 (log loss 0.41)"
  // A forecaster that also learns from the sessions it is told about as they
  // finish (learning on the stream); null when this one cannot. It refers to
  // this forecaster, which must outlive it.
  virtual std::unique_ptr<StreamForecaster> on_stream() const { return nullptr; }
};

// Forecasts that keep up with the stream of sessions (Forecaster::on_stream).
class StreamForecaster : public Forecaster {
public:
  // A whole session (its events and its end). What it teaches is used only by
  // forecasts at or after its end (PolicyContext::now_wall_ms), so a replay
  // may hand each session over as it starts without seeing its future.
  virtual void add_session(const TraceSession &s) = 0;
};

} // namespace sp
