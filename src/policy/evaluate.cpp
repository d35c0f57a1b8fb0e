#include "policy/evaluate.h"

#include <algorithm>
#include <limits>

namespace sp {

bool train_for_split(const Split &split, bool seed, double seed_lambda, const ForecasterTrainer &trainer,
                     TrainedForSplit &out, std::string &err) {
  out = TrainedForSplit{};
  for (const TraceSession *s : split.train) out.train_ids.insert(s->session_id);
  if (seed) out.seed_fit = std::make_shared<SeedGenreFit>(SeedGenreFit::train(split.train, seed_lambda));
  if (trainer) {
    out.forecaster = trainer(split.train, err);
    if (!out.forecaster) {
      if (err.empty()) err = "forecaster training failed";
      return false;
    }
  }
  return true;
}

bool evaluate_sessions(const std::vector<const TraceSession *> &sessions, const std::vector<std::string> &names,
                       const PolicyParams &params, const TrainedForSplit &trained,
                       std::map<std::string, PolicyFigures> &out, std::string &err) {
  out.clear();
  std::vector<std::string> all = names;
  if (std::find(all.begin(), all.end(), "oracle") == all.end()) all.push_back("oracle");
  std::map<std::string, PolicyFigures> figs;
  for (const std::string &name : all) {
    PolicyInputs in;
    in.seed_fit = trained.seed_fit;
    in.forecaster = trained.forecaster.get();
    in.reference = trained.reference.get();
    std::string perr;
    bool failed = false;
    PolicyMaker make = [&](const TraceSession &full) -> std::unique_ptr<Policy> {
      PolicyInputs each = in;
      each.full_session = &full;
      auto p = make_policy(name, params, each, perr);
      if (!p) failed = true;
      return p;
    };
    ReplayTotals t = replay_all(sessions, make, params.cost);
    if (failed) {
      err = perr;
      return false;
    }
    figs[name].totals = t;
  }
  double oracle = figs["oracle"].totals.cost;
  for (auto &[name, f] : figs) {
    if (oracle > 0) f.cost_ratio_to_oracle = f.totals.cost / oracle;
    else f.cost_ratio_to_oracle = f.totals.cost > 0 ? std::numeric_limits<double>::infinity() : 1.0;
  }
  for (const std::string &name : names) out[name] = figs[name];
  return true;
}

} // namespace sp
