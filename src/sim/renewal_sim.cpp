// The renewal modes: memoryless, bursty and heavy-tailed sessions.
#include "sim/session_sims.h"

#include <array>

#include "sim/model.h"

namespace sp::sim::detail {
namespace {

using namespace model;

// ---- renewal modes: i.i.d. gaps between actions -----------------------------

// Memoryless, bursty and heavy-tailed sessions (docs/simulator.md, "Modes").
// The video is one of the catalogue's, but its length is not given (0, like a
// live stream), so positions say nothing; every gap between consecutive
// actions (from the open to the first play too) is an independent draw of
// gap_ms(); the session ends after an exponential time with no final event.
class RenewalSim {
public:
  RenewalSim(Rng &rng, const SimOptions &opt, const Viewer &viewer, const Video &video, double start_wall)
      : rng_(rng), opt_(opt), viewer_(viewer), video_(video), wall_(start_wall) {}

  TraceSession run(std::string session_id) {
    TraceSession s = session_head(std::move(session_id), viewer_, video_, genre_name(video_.genre), 0, wall_);
    const double end = wall_ + rng_.exponential(opt_.mean_session_s * kSec);
    emit(Kind::Open);
    while (events_.size() < kMaxEvents) {
      double next = wall_ + gap_ms(rng_, opt_);
      if (next >= end) break;
      if (playing_) pos_ += next - wall_;
      wall_ = next;
      act();
    }
    s.end_wall_ms = std::max(to_ms(end), events_.back().wall_ms);
    s.end_reason = "abandoned";
    s.events = std::move(events_);
    return s;
  }

private:
  void act() {
    if (!playing_) {
      playing_ = true;
      emit(Kind::Play);
      return;
    }
    static constexpr std::array<double, 3> w = {0.3, 0.4, 0.3}; // pause, seek, volume
    switch (rng_.categorical(w.data(), w.size())) {
    case 0:
      playing_ = false;
      emit(Kind::Pause);
      break;
    case 1: {
      double d = rng_.lognormal(20 * kSec, 0.8);
      double to = std::round(rng_.bernoulli(0.5) || pos_ < d + 1000 ? pos_ + d : pos_ - d);
      emit(Kind::Seek, to_ms(pos_), to_ms(to));
      pos_ = to;
      break;
    }
    default: {
      int nv = std::clamp(volume_ + static_cast<int>(std::lround(rng_.normal(0, 18))), 0, 100);
      if (nv == volume_) nv = volume_ >= 50 ? volume_ - 10 : volume_ + 10;
      emit(Kind::Volume, {}, {}, static_cast<double>(volume_), static_cast<double>(nv));
      volume_ = nv;
    }
    }
  }

  void emit(Kind k, std::optional<int64_t> from = {}, std::optional<int64_t> to = {},
            std::optional<double> old_value = {}, std::optional<double> value = {}) {
    push_event(events_, k, std::max<int64_t>(0, to_ms(pos_)), wall_, from, to, old_value, value);
  }

  Rng &rng_;
  const SimOptions &opt_;
  const Viewer &viewer_;
  const Video &video_;
  double wall_;
  double pos_ = 0;
  bool playing_ = false;
  int volume_ = 80;
  std::vector<Interaction> events_;
};

} // namespace

TraceSession simulate_renewal_session(Rng &rng, const SimOptions &opt, const Viewer &viewer,
                                      const Video &video, double start_wall, std::string session_id) {
  RenewalSim sim(rng, opt, viewer, video, start_wall);
  return sim.run(std::move(session_id));
}

} // namespace sp::sim::detail

namespace sp::sim {
using namespace model;

double model::gap_ms(Rng &rng, const SimOptions &opt) {
  const double mean = opt.mean_gap_s * kSec;
  switch (opt.mode) {
  case Mode::Bursty: {
    const double long_mean = (mean - kBurstShareShort * kBurstShortMeanMs) / (1.0 - kBurstShareShort);
    return rng.exponential(rng.bernoulli(kBurstShareShort) ? kBurstShortMeanMs : long_mean);
  }
  case Mode::HeavyTailed:
    return rng.pareto(mean * (kHeavyShape - 1.0) / kHeavyShape, kHeavyShape);
  default:
    return rng.exponential(mean);
  }
}

} // namespace sp::sim
