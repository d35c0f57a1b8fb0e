// The evaluation pipeline behind smartplayer-eval: train what the policies
// need on a split's train part only, replay its test part, and report the
// figures (docs/model.md). Reentrant; nothing is shared between calls.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "policy/factory.h"
#include "policy/replay.h"
#include "predict/forecast.h"

namespace sp {

// Trains a forecaster from sessions (the tool passes the hazard model's
// trainer; tests pass fakes). Returns null with `err` on failure.
using ForecasterTrainer =
    std::function<std::shared_ptr<const Forecaster>(const std::vector<const TraceSession *> &train, std::string &err)>;

struct TrainedForSplit {
  std::shared_ptr<const SeedGenreFit> seed_fit;
  std::shared_ptr<const Forecaster> forecaster;
  std::set<std::string> train_ids;  // every session the above saw
  // Not trained: the Bayes reference on simulated traces (bayes policy), if any.
  std::shared_ptr<const Forecaster> reference;
  // The learned policy's warm start: a forecaster trained without the
  // `warm_sessions` (the latest part of the train sessions for a time split,
  // a share of the train viewers for a viewer split), on which the online
  // learner is first run, so that it learns how far to trust the forecast
  // from sessions the forecast did not see.
  std::shared_ptr<const Forecaster> warm_forecaster;
  std::vector<const TraceSession *> warm_sessions;
};

// Trains the seed-genre fit (if `seed`) and the forecaster (if `trainer`) on
// split.train only. With `warm_fraction` > 0 (and a trainer) also the warm
// start's forecaster, on split.train less that share (see TrainedForSplit).
// False with `err` when the trainer fails.
bool train_for_split(const Split &split, bool seed, double seed_lambda, const ForecasterTrainer &trainer,
                     TrainedForSplit &out, std::string &err, double warm_fraction = 0.0);

struct PolicyFigures {
  ReplayTotals totals;
  double cost_ratio_to_oracle = 0;  // totals.cost / oracle's cost on the same sessions (1 when both are 0, +inf when only the oracle's is)
  // learned with online learning: the learner after the test sessions (warm start included).
  bool has_learner = false;
  LearnerSummary learner;
  int64_t warm_sessions = 0;
};

// Replays `sessions` (in order of their start) under each named policy. The
// oracle is always computed (for the ratios) and reported when named. The
// learned policy (with params.learn_online) gets a fresh SleepLearner, warm
// started on trained.warm_sessions when there are any.
// `observe` (optional) sees each test session's replay under each named
// policy (the implicit oracle's too), with the policy's name.
using PolicySessionObserver =
    std::function<void(const std::string &policy, const TraceSession &full, const SessionReplay &replay)>;
bool evaluate_sessions(const std::vector<const TraceSession *> &sessions, const std::vector<std::string> &names,
                       const PolicyParams &params, const TrainedForSplit &trained,
                       std::map<std::string, PolicyFigures> &out, std::string &err,
                       const PolicySessionObserver &observe = {});

} // namespace sp
