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
};

// Trains the seed-genre fit (if `seed`) and the forecaster (if `trainer`) on
// split.train only. False with `err` when the trainer fails.
bool train_for_split(const Split &split, bool seed, double seed_lambda, const ForecasterTrainer &trainer,
                     TrainedForSplit &out, std::string &err);

struct PolicyFigures {
  ReplayTotals totals;
  double cost_ratio_to_oracle = 0;  // totals.cost / oracle's cost on the same sessions (1 when both are 0, +inf when only the oracle's is)
};

// Replays `sessions` under each named policy. The oracle is always computed
// (for the ratios) and reported when named.
bool evaluate_sessions(const std::vector<const TraceSession *> &sessions, const std::vector<std::string> &names,
                       const PolicyParams &params, const TrainedForSplit &trained,
                       std::map<std::string, PolicyFigures> &out, std::string &err);

} // namespace sp
