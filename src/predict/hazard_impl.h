// What the hazard model holds (HazardModel::Impl): private to
// src/predict/hazard.cpp (training, forecasting) and
// src/predict/hazard_json.cpp (the model's JSON form). Not installed.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

#include "predict/features.h"
#include "predict/hazard.h"
#include "predict/logreg.h"

namespace sp {

namespace hz {

// The JSON form's "format"; bumped whenever features or fields change.
inline constexpr const char *kHazardFormat = "smartplayer-hazard-logreg/4";

// One (state, band) logistic regression.
struct BandModel {
  double intercept = 0;
  std::vector<double> coef;        // raw-feature coefficients (kFeatureCount)
  std::vector<double> mean, scale; // the standardisation the fit used
  int64_t rows = 0;
  double positives = 0;
  int iterations = 0;
  bool converged = true;
};

} // namespace hz

struct HazardModel::Impl {
  std::vector<int64_t> horizons;
  double l2 = 1.0;
  hz::Stats stats;
  std::vector<hz::BandModel> bands; // [state * nb + band]
  std::vector<double> base_rate;    // per band (marginal, training)
  HazardMetrics metrics;

  size_t nb() const { return horizons.size(); }
  int64_t lo(size_t k) const { return k == 0 ? 0 : horizons[k - 1]; }

  hz::Snapshot snapshot(const hz::SessionPoint &p, const TraceSession &s, const hz::OwnBins *own,
                        const hz::ViewerFeatures &vf, const std::vector<int64_t> *action_pos) const {
    hz::Snapshot sn;
    static_cast<hz::SessionPoint &>(sn) = p;
    attach(sn, s);
    sn.own = own;
    sn.action_pos = action_pos;
    sn.viewer = vf;
    return sn;
  }

  // What a snapshot of session s reads besides the session: its video's
  // length and statistics, and its genre's.
  void attach(hz::Snapshot &sn, const TraceSession &s) const {
    sn.duration_ms = s.duration_ms;
    sn.genre = &stats.genre(s.genre);
    sn.video = stats.video(s.video);
    sn.transitions = stats.transitions_of(s.video);
    sn.cut_weights = stats.cut_weights_of(s.video);
    sn.cut_prior = stats.cut_prior;
    sn.cut_tau2 = stats.cut_tau2;
    sn.age = sn.state >= 0 && sn.state < hz::kStates ? &stats.age[static_cast<size_t>(sn.state)] : nullptr;
  }

  double hazard(const hz::BandModel &m, const double *f) const {
    double z = m.intercept;
    if (!m.coef.empty())
      for (int j = 0; j < hz::kFeatureCount; ++j)
        z += m.coef[static_cast<size_t>(j)] * f[j];
    return sigmoid(z);
  }

  // q[k] for every band from a snapshot.
  void hazards(const hz::Snapshot &sn, double *q) const {
    std::array<double, hz::kFeatureCount> f;
    hz::base_features(sn, f.data());
    for (size_t k = 0; k < nb(); ++k) {
      hz::band_features(sn, lo(k), horizons[k], f.data());
      q[k] = hazard(bands[static_cast<size_t>(sn.state) * nb() + k], f.data());
    }
  }

  // Held-out figures over every decision point of `sessions` (no subsampling
  // beyond `max_points`).
  // NaN log loss when `cancel` became true before it finished.
  HazardMetrics score(const std::vector<const TraceSession *> &sessions, int64_t max_points,
                      const std::atomic<bool> *cancel = nullptr) const;
};

} // namespace sp
