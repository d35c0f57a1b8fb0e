#include "control/live_policy.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "core/result.h"
#include "core/saturating.h"
#include "log/behaviour_log.h"
#include "policy/factory.h"
#include "policy/policies.h"
#include "predict/hazard.h"

namespace sp {

namespace {

PolicyParams params_for(const CostModel &cost, double timeout_s) {
  PolicyParams p;
  p.cost = cost;
  p.timeout_ms = timeout_s > 0 ? clamp_round(timeout_s * 1000.0, 0, kForeverMs) : -1;
  return p;
}

// The stored hazard model, or null (no log, no model, or unreadable: `err`).
int load_model(BehaviourLog &log, std::shared_ptr<const HazardModel> &model, std::string &version,
               std::string &err) {
  std::optional<ModelRow> row;
  if (int r = log.latest_model(HazardModel::kKind, row, err)) return r;
  if (!row) return kOk;
  std::string perr;
  model = HazardModel::from_json(row->blob, perr);
  if (!model) {
    // Written by another build (feature set changed) or damaged: retrain.
    err = "stored model v" + std::to_string(row->version) + " cannot be used (run smartplayer-train again): " + perr;
    return kErrUnsupported;
  }
  version = std::to_string(row->version);
  return kOk;
}

} // namespace

int make_live_policy(const std::string &name, const CostModel &cost, double timeout_s, BehaviourLog *log,
                     LivePolicy &out, std::string &err) {
  out = LivePolicy{};
  const PolicyParams params = params_for(cost, timeout_s);
  std::string want = name.empty() ? "auto" : name;

  std::shared_ptr<const HazardModel> model;
  std::string version;
  if ((want == "auto" || want == "learned") && log) {
    if (int r = load_model(*log, model, version, err)) return r;
  }
  if (want == "auto") want = model ? "learned" : "fixed-timeout";

  PolicyInputs inputs;
  if (want == "learned") {
    if (!model) {
      err = log ? "learned policy: the behaviour log holds no trained model (run smartplayer-train --save-to-db)"
                : "learned policy: needs a behaviour log with a trained model";
      return kErrNotFound;
    }
    inputs.forecaster = model.get();
    out.model_version = version;
    out.model_log_loss = model->metrics().log_loss;
    out.keepalive = model;
  } else if (want == "seed-genre") {
    if (!log) {
      err = "seed-genre policy: needs a behaviour log with viewing history";
      return kErrInvalidArgument;
    }
    std::vector<TraceSession> sessions;
    if (int r = log->read_traces(sessions, err)) return r;
    auto fit = std::make_shared<const SeedGenreFit>(SeedGenreFit::train(sessions));
    if (fit->genres().empty()) {
      err = "seed-genre policy: the behaviour log holds no viewing history to fit genre windows on";
      return kErrNotFound;
    }
    inputs.seed_fit = fit;
    out.keepalive = fit;
  } else if (want == "oracle") {
    err = "the oracle policy needs the future; it exists only in trace replay (smartplayer-eval)";
    return kErrInvalidArgument;
  }
  std::string perr;
  out.policy = make_policy(want, params, inputs, perr);
  if (!out.policy) {
    err = perr;
    return kErrInvalidArgument;
  }
  out.name = want;
  return kOk;
}

int retrain_if_better(BehaviourLog &log, const CostModel &cost, std::string &new_version, double &new_log_loss,
                      bool &swapped, std::string &err) {
  (void)cost;  // the model is judged by held-out log loss; the policy applies the cost model
  swapped = false;
  new_version.clear();
  new_log_loss = -1;
  std::vector<TraceSession> sessions;
  if (int r = log.read_traces(sessions, err)) return r;
  if (sessions.size() < 10) {
    err = "too few sessions to retrain (" + std::to_string(sessions.size()) + ")";
    return kOk;
  }
  // Hold out the most recent sessions (by start time): the candidate never
  // sees them, and both the candidate and the current model are judged on them.
  std::vector<const TraceSession *> order;
  order.reserve(sessions.size());
  for (const auto &s : sessions) order.push_back(&s);
  std::stable_sort(order.begin(), order.end(),
                   [](const TraceSession *a, const TraceSession *b) { return a->start_wall_ms < b->start_wall_ms; });
  const size_t held = std::max<size_t>(2, order.size() / 5);
  std::vector<const TraceSession *> train(order.begin(), order.end() - static_cast<std::ptrdiff_t>(held));
  std::vector<const TraceSession *> holdout(order.end() - static_cast<std::ptrdiff_t>(held), order.end());

  std::string terr;
  HazardOptions opt;
  opt.refit_on_all = false;  // the held-out part above is this step's judge; one fit is enough
  auto candidate = HazardModel::train(train, opt, nullptr, terr);
  if (!candidate) {
    err = "retraining failed: " + terr;
    return kOk;
  }
  const double cand_loss = candidate->evaluate(holdout);
  std::shared_ptr<const HazardModel> current;
  std::string cur_version;
  std::string lerr;
  if (load_model(log, current, cur_version, lerr) != kOk) current.reset(); // unreadable: any model is better
  if (current) {
    const double cur_loss = current->evaluate(holdout);
    if (!(cand_loss <= cur_loss)) {
      err = "candidate held-out log loss " + std::to_string(cand_loss) + " is worse than model v" + cur_version +
            "'s " + std::to_string(cur_loss) + "; kept the current model";
      return kOk;
    }
  }
  ModelRow row;
  row.kind = HazardModel::kKind;
  row.created_wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  row.blob = candidate->to_json();
  row.metrics = candidate->metrics_json();
  row.sessions_seen = candidate->metrics().sessions_seen;
  row.events_seen = candidate->metrics().events_seen;
  if (int r = log.save_model(row, err)) return r;
  new_version = std::to_string(row.version);
  new_log_loss = cand_loss;
  swapped = true;
  return kOk;
}

} // namespace sp
