// The predictor: a discrete-time hazard model of the time to the viewer's next
// action, fitted as one L2-regularised logistic regression per horizon band
// (src/predict/logreg.h) on standardised features of the viewer, the video,
// the genre and the session so far (docs/model.md). Implements Forecaster, so
// the learned policy plans on its forecasts.
//
// Thread safety: a trained or loaded HazardModel is immutable; forecast(),
// describe(), to_json() and evaluate() may be called from any number of
// threads at once. train() and from_json() are reentrant.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "predict/forecast.h"
#include "trace/trace.h"
#include "trace/transitions.h"

namespace sp {

namespace hz {
struct ViewerStats;
}

struct HazardOptions {
  // Horizon ladder (ms, increasing). Empty: the default ladder
  // (1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1800 s).
  std::vector<int64_t> horizons_ms;
  // Ridge penalty on standardised coefficients (not the intercept), added to
  // the summed log loss. 300: the best held-out log loss on simulated logs of
  // 230, 1200 and 9800 sessions (it matters for small logs, hardly for big ones).
  double l2 = 300.0;
  int max_iterations = 30;       // Newton/IRLS iterations per band
  double holdout_fraction = 0.1; // latest sessions held out for the metrics (from kMinHoldoutSessions on)
  int64_t max_examples = 400000; // decision points sampled at most (deterministic subsample)
  int64_t max_rows_per_band = 40000;  // at-risk rows per (state, band) regression at most (deterministic subsample)
  bool refit_on_all = true;      // after scoring the held-out sessions, refit on every session
  // When set and true, train() stops at its next check (between Newton steps,
  // between band fits, every few thousand decision points) and returns null
  // with err "cancelled": a player being destroyed never waits for a fit.
  const std::atomic<bool> *cancel = nullptr;
  // Visual transitions per video (scene changes), kept in the model for the
  // transition features; null or a video not listed: not known.
  std::shared_ptr<const VideoTransitions> transitions;
};

struct CalibrationBin {
  double predicted = 0;  // mean predicted probability in the bin
  double observed = 0;   // observed frequency
  int64_t count = 0;
};

// Scored on the held-out sessions when some were held out (holdout_sessions
// > 0); with fewer than HazardModel::kMinHoldoutSessions sessions none can be,
// and the figures are in-sample (scored on the sessions the model was fitted
// on): no estimate of how it predicts sessions it has not seen.
struct HazardMetrics {
  double log_loss = -1;           // mean log loss over every (example, horizon) pair
  double base_log_loss = -1;      // the same for the marginal-rate baseline (no features)
  double brier = -1;
  std::vector<CalibrationBin> calibration; // 10 bins
  int64_t sessions_seen = 0, events_seen = 0, examples = 0;
  double train_seconds = 0;
  int64_t holdout_sessions = 0; // 0: nothing held out, the figures above are in-sample
  bool in_sample() const { return holdout_sessions <= 0; }
};

using TrainProgress = std::function<void(const std::string &message, double fraction)>;

class HazardModel final : public Forecaster {
public:
  static constexpr const char *kKind = "hazard-logreg";
  // Fewer sessions than this: none are held out, and the metrics are in-sample.
  static constexpr int kMinHoldoutSessions = 10;

  // Fits from sessions (any order; only viewer actions are targets). Returns
  // null with `err` when there is nothing to learn from.
  static std::shared_ptr<const HazardModel> train(const std::vector<const TraceSession *> &sessions,
                                                  const HazardOptions &opt, const TrainProgress &progress,
                                                  std::string &err);

  Forecast forecast(const PolicyContext &ctx) const override;
  // "hazard-logreg (N features x B bands x S states, held-out log loss X vs base Y)";
  // "in-sample log loss ..., nothing held out" when too few sessions to hold any out.
  std::string describe() const override;
  // Learning on the stream (stream_hazard.cpp): each viewer's statistics
  // grow with every session of theirs that has finished, as training would
  // count it, so a viewer unseen at training is known after one session and
  // a known one keeps up; the fit itself stays as trained. Thread safety:
  // the returned forecaster locks an internal mutex (add_session and
  // forecast may be called from any threads).
  std::unique_ptr<StreamForecaster> on_stream() const override;
  // forecast() with `extra` (the viewer's sessions since training; null:
  // none) added to the viewer's training statistics weighted by
  // `train_weight` (older sessions may weigh less).
  Forecast forecast(const PolicyContext &ctx, const hz::ViewerStats *extra, double train_weight = 1.0) const;
  // What one finished session adds to its viewer's statistics.
  hz::ViewerStats viewer_stats_of(const TraceSession &s) const;
  // The viewer's statistics from training (empty for a viewer it never saw).
  hz::ViewerStats trained_viewer_stats(const std::string &viewer) const;
  // The probability that `next` comes from new habits (hz::habit_change).
  double habit_change(const hz::ViewerStats &before, const hz::ViewerStats &next) const;

  // Mean log loss of this model on `sessions` (every decision point, every
  // horizon). NaN when `cancel` became true before it finished.
  double evaluate(const std::vector<const TraceSession *> &sessions,
                  const std::atomic<bool> *cancel = nullptr) const;

  const HazardMetrics &metrics() const;
  // The videos' visual transitions the model keeps (HazardOptions::transitions
  // at training, or its JSON); null when it was given none. Retraining passes
  // them on (control/trainer.h), so a retrained model does not lose them.
  std::shared_ptr<const VideoTransitions> transitions() const;
  // Versioned JSON: format version, horizons, feature names, scaling,
  // coefficients, the viewer/video/genre statistics, metrics.
  std::string to_json() const;
  std::string metrics_json() const;
  static std::shared_ptr<const HazardModel> from_json(const std::string &text, std::string &err);

  struct Impl;
  explicit HazardModel(std::unique_ptr<Impl> impl);
  ~HazardModel() override;

private:
  std::unique_ptr<Impl> impl_;
};

} // namespace sp
