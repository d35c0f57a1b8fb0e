// A position-aware baseline forecaster for smartplayer-eval (--forecaster
// positional): while playing, the hazard of a viewer action per wall second
// at each 5 s bin of each video's media position (actions / exposure from the
// training sessions, shrunk towards the genre's hazard at that percentage),
// scaled by the viewer's own activity (shrunk towards 1), plus the burst
// hazard just after an action; while paused, the Kaplan-Meier distribution of
// pause lengths per genre.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "empirical.h"
#include "predict/forecast.h"
#include "trace/trace.h"

namespace sp_eval {

class PositionalForecaster final : public sp::Forecaster {
public:
  static std::shared_ptr<const PositionalForecaster> train(const std::vector<const sp::TraceSession *> &sessions);
  sp::Forecast forecast(const sp::PolicyContext &ctx) const override;
  std::string describe() const override;

  static constexpr int64_t kBinMs = 5000;

private:
  struct Hist {
    std::vector<double> actions, exposure_s;  // per bin
  };
  double hazard(const std::string &video, const std::string &genre, int64_t duration_ms, int64_t pos_ms) const;
  std::map<std::string, Hist> video_;   // 5 s bins
  std::map<std::string, Hist> genre_;   // percent bins
  std::map<std::string, double> viewer_mult_;
  std::map<std::string, double> viewer_pause_scale_;
  std::vector<double> burst_;           // extra hazard per second at elapsed seconds 0..kBurstS-1
  double global_rate_ = 0;
  std::shared_ptr<const EmpiricalForecaster> paused_;
  int64_t sessions_ = 0;
};

} // namespace sp_eval
