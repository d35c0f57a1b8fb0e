// The Bayes reference forecaster: the exact distribution of the time to a
// simulated viewer's next action, computed from the simulator's own
// generative process (src/sim/model.h) with the true parameters of the viewer
// and the video (a Truth, from smartplayer-sim --truth), given only what an
// online policy sees at the decision point (the session's events so far, the
// position, paused, rate). Latent draws the simulator made at the session's
// start (planned intro skip, rate or volume change, abandonment budget,
// credits plan) and the structure bumps that already fired are not known: they
// are integrated out under their posterior given the events so far. Planning
// with this forecast (the learned policy's decision rule) is the `bayes`
// policy of smartplayer-eval: the best any online policy can do on simulated
// traces, up to the approximations listed in docs/model.md ("Bayes reference").
//
// Thread safety: immutable after construction; forecast() may be called from
// any number of threads at once.
#pragma once
#include <memory>
#include <string>

#include "predict/forecast.h"
#include "sim/simulator.h"

namespace sp::sim {

class BayesForecaster final : public Forecaster {
public:
  explicit BayesForecaster(std::shared_ptr<const Truth> truth);
  Forecast forecast(const PolicyContext &ctx) const override;
  std::string describe() const override;
  // The horizon ladder of every forecast (fine: 0.25 s steps at first, up to 25 h).
  const std::vector<int64_t> &horizons_ms() const { return horizons_; }

private:
  std::shared_ptr<const Truth> truth_;
  std::vector<int64_t> horizons_;
};

} // namespace sp::sim
