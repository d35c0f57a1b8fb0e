// Small builders the policy, replay and learner tests share: one interaction,
// a session of given gaps, and a forecaster with a fixed answer.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/interaction.h"
#include "predict/forecast.h"
#include "trace/trace.h"

namespace sp_test {

inline sp::Interaction ev(int64_t seq, sp::Kind k, int64_t wall_ms, int64_t pos_ms) {
  sp::Interaction e;
  e.seq = seq;
  e.kind = k;
  e.wall_ms = wall_ms;
  e.position_ms = pos_ms;
  return e;
}

// Open at t0, then a viewer action (play/pause alternating) after each gap;
// the session ends tail_s after the last.
inline sp::TraceSession session_with_gaps(const std::vector<double> &gaps_s, double tail_s, int64_t t0,
                                          const std::string &id, const std::string &viewer) {
  sp::TraceSession s;
  s.session_id = id;
  s.viewer = viewer;
  s.video = "vid";
  s.genre = "drama";
  s.duration_ms = 0;
  s.start_wall_ms = t0;
  s.events.push_back(ev(1, sp::Kind::Open, t0, 0));
  int64_t t = t0, seq = 2;
  bool playing = false;
  for (double g : gaps_s) {
    t += static_cast<int64_t>(std::llround(g * 1000));
    s.events.push_back(ev(seq++, playing ? sp::Kind::Pause : sp::Kind::Play, t, 0));
    playing = !playing;
  }
  s.end_wall_ms = t + static_cast<int64_t>(std::llround(tail_s * 1000));
  return s;
}

// A forecaster with a fixed answer.
class FixedForecaster : public sp::Forecaster {
public:
  explicit FixedForecaster(sp::Forecast f) : f_(std::move(f)) {}
  sp::Forecast forecast(const sp::PolicyContext &) const override { return f_; }
  std::string describe() const override { return "fixed"; }

private:
  sp::Forecast f_;
};

} // namespace sp_test
