#include "policy/evaluate.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sp {

namespace {

std::vector<const TraceSession *> by_start(std::vector<const TraceSession *> v) {
  std::stable_sort(v.begin(), v.end(), [](const TraceSession *a, const TraceSession *b) {
    return a->start_wall_ms < b->start_wall_ms;
  });
  return v;
}

// The warm start's part of the train sessions: the latest `f` of them (time
// split) or the sessions of a share `f` of the train viewers (viewer split,
// hashed with another salt than the split itself).
void warm_part(const Split &split, double f, std::vector<const TraceSession *> &fit,
               std::vector<const TraceSession *> &warm) {
  fit.clear();
  warm.clear();
  if (split.name == "viewer") {
    const auto limit = static_cast<uint64_t>(std::clamp(f, 0.0, 1.0) * 1000.0);
    for (const TraceSession *s : split.train)
      ((viewer_hash(s->viewer + "#warm") % 1000) < limit ? warm : fit).push_back(s);
    return;
  }
  std::vector<const TraceSession *> order = by_start(split.train);
  const auto held =
      static_cast<size_t>(std::floor(std::clamp(f, 0.0, 1.0) * static_cast<double>(order.size())));
  fit.assign(order.begin(), order.end() - static_cast<std::ptrdiff_t>(held));
  warm.assign(order.end() - static_cast<std::ptrdiff_t>(held), order.end());
}

} // namespace

bool train_for_split(const Split &split, bool seed, double seed_lambda, const ForecasterTrainer &trainer,
                     TrainedForSplit &out, std::string &err, double warm_fraction) {
  out = TrainedForSplit{};
  for (const TraceSession *s : split.train) out.train_ids.insert(s->session_id);
  if (seed) out.seed_fit = std::make_shared<SeedGenreFit>(SeedGenreFit::train(split.train, seed_lambda));
  if (trainer) {
    out.forecaster = trainer(split.train, err);
    if (!out.forecaster) {
      if (err.empty()) err = "forecaster training failed";
      return false;
    }
    if (warm_fraction > 0) {
      std::vector<const TraceSession *> fit, warm;
      warm_part(split, warm_fraction, fit, warm);
      std::string werr;
      if (!fit.empty() && !warm.empty()) out.warm_forecaster = trainer(fit, werr);
      // Too little to train on without the warm part: no warm start (the learner starts from its prior).
      if (out.warm_forecaster) out.warm_sessions = warm;
    }
  }
  return true;
}

bool evaluate_sessions(const std::vector<const TraceSession *> &sessions, const std::vector<std::string> &names,
                       const PolicyParams &params, const TrainedForSplit &trained,
                       std::map<std::string, PolicyFigures> &out, std::string &err,
                       const PolicySessionObserver &observe) {
  out.clear();
  std::vector<std::string> all = names;
  if (std::find(all.begin(), all.end(), "oracle") == all.end()) all.push_back("oracle");
  std::map<std::string, PolicyFigures> figs;
  const std::vector<const TraceSession *> ordered = by_start(sessions);
  for (const std::string &name : all) {
    PolicyInputs in;
    in.seed_fit = trained.seed_fit;
    in.forecaster = trained.forecaster.get();
    in.reference = trained.reference.get();
    // Online, the learned policy's forecaster also learns on the stream
    // (each viewer from their sessions as they finish, Forecaster::on_stream):
    // each session is handed over as its replay starts, and used only by
    // forecasts after its end.
    std::unique_ptr<StreamForecaster> stream;
    if (name == "learned" && params.learn_online && trained.forecaster) {
      in.learner = std::make_shared<SleepLearner>(params.learner);
      stream = trained.forecaster->on_stream();
      if (trained.warm_forecaster && !trained.warm_sessions.empty()) {
        PolicyInputs w = in;
        std::unique_ptr<StreamForecaster> warm_stream = trained.warm_forecaster->on_stream();
        w.forecaster = warm_stream ? warm_stream.get() : trained.warm_forecaster.get();
        std::string werr;
        replay_all(
            by_start(trained.warm_sessions),
            [&](const TraceSession &full) {
              if (warm_stream) warm_stream->add_session(full);
              return make_policy("learned", params, w, werr);
            },
            params.cost);
        in.learner->flush();
        figs[name].warm_sessions = static_cast<int64_t>(trained.warm_sessions.size());
      }
    }
    std::string perr;
    bool failed = false;
    if (stream) in.forecaster = stream.get();
    PolicyMaker make = [&](const TraceSession &full) -> std::unique_ptr<Policy> {
      if (stream) stream->add_session(full);
      PolicyInputs each = in;
      each.full_session = &full;
      auto p = make_policy(name, params, each, perr);
      if (!p) failed = true;
      return p;
    };
    SessionObserver each_session;
    if (observe) each_session = [&](const TraceSession &full, const SessionReplay &r) { observe(name, full, r); };
    ReplayTotals t = replay_all(ordered, make, params.cost, each_session);
    if (failed) {
      err = perr;
      return false;
    }
    figs[name].totals = t;
    if (in.learner) {
      in.learner->flush();
      figs[name].has_learner = true;
      figs[name].learner = in.learner->summary();
    }
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
