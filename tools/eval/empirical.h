// A baseline forecaster for smartplayer-eval: Kaplan-Meier estimates of the
// time between viewer actions per (genre, player state) from the training sessions,
// conditioned on the time already elapsed since the last action. Used when
// asked (--forecaster empirical) and as a reference for the hazard model.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "predict/forecast.h"
#include "trace/trace.h"

namespace sp_eval {

class EmpiricalForecaster final : public sp::Forecaster {
public:
  static std::shared_ptr<const EmpiricalForecaster> train(const std::vector<const sp::TraceSession *> &sessions);
  sp::Forecast forecast(const sp::PolicyContext &ctx) const override;
  // The same with time stretched by `scale` (a viewer whose gaps are twice as long: 2).
  sp::Forecast forecast_scaled(const sp::PolicyContext &ctx, double scale) const;
  std::string describe() const override;

private:
  struct Curve {
    std::vector<double> t_s;       // distinct event times, increasing
    std::vector<double> survival;  // S(t) just after t_s[i]
    int64_t n = 0;
    double S(double t) const;
  };
  static Curve km(std::vector<std::pair<double, bool>> &obs);
  const Curve &curve(const std::string &genre, char state) const;

public:
  // 'o' opened (no action yet), 'p' paused, 'r' playing, 'e' after the media ended.
  static char state_of(const sp::PolicyContext &ctx);

private:
  std::map<std::string, Curve> curves_;  // "genre|p" / "*|p"
  int64_t gaps_ = 0;
};

// The forecast horizons used by the eval tool's forecasters (ms).
const std::vector<int64_t> &eval_horizons();

} // namespace sp_eval
