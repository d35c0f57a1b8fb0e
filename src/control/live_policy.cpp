#include "control/live_policy.h"

#include <algorithm>
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

// Runs a policy owned elsewhere (an override shared with the caller).
class ForwardingPolicy final : public Policy {
public:
  explicit ForwardingPolicy(Policy *p) : p_(p) {}
  std::string name() const override { return p_->name(); }
  Plan plan(const PolicyContext &ctx) override { return p_->plan(ctx); }

private:
  Policy *p_;
};

} // namespace

int make_starting_policy(const std::string &name, std::shared_ptr<Policy> override_policy,
                         const CostModel &cost, double timeout_s, BehaviourLog *log, LivePolicy &out,
                         std::string &err) {
  if (override_policy) {
    out = LivePolicy{};
    out.name = override_policy->name();
    out.policy = std::make_unique<ForwardingPolicy>(override_policy.get());
    out.keepalive = std::move(override_policy);
    return kOk;
  }
  int r = make_live_policy(name, cost, timeout_s, log, out, err);
  if (r == kOk || !(name.empty() || name == "auto")) return r;
  // Say why, rather than run the fallback without a word (docs/model.md).
  const std::string why = err;
  err.clear();
  std::string ferr;
  if (int fr = make_live_policy("fixed-timeout", cost, timeout_s, nullptr, out, ferr)) {
    err = ferr;
    return fr;
  }
  out.fallback_reason = "policy auto: " + why + "; falling back to fixed-timeout";
  out.fallback_code = r;
  return kOk;
}

int load_stored_model(BehaviourLog &log, std::shared_ptr<const HazardModel> &model, std::string &version,
                      std::string &err) {
  std::optional<ModelRow> row;
  if (int r = log.latest_model(HazardModel::kKind, row, err)) return r;
  if (!row) return kOk;
  std::string perr;
  model = HazardModel::from_json(row->blob, perr);
  if (!model) {
    // Written by another build (feature set changed) or damaged: retrain.
    err = "stored model v" + std::to_string(row->version) +
          " cannot be used (run smartplayer-train again): " + perr;
    return kErrUnsupported;
  }
  version = std::to_string(row->version);
  return kOk;
}

int make_live_policy(const std::string &name, const CostModel &cost, double timeout_s, BehaviourLog *log,
                     LivePolicy &out, std::string &err) {
  out = LivePolicy{};
  const PolicyParams params = params_for(cost, timeout_s);
  std::string want = name.empty() ? "auto" : name;

  std::shared_ptr<const HazardModel> model;
  std::string version;
  if ((want == "auto" || want == "learned") && log) {
    if (int r = load_stored_model(*log, model, version, err)) return r;
  }
  if (want == "auto") want = model ? "learned" : "fixed-timeout";

  PolicyInputs inputs;
  if (want == "learned") {
    if (!model) {
      err = log ? "learned policy: the behaviour log holds no trained model (run smartplayer-train "
                  "--save-to-db)"
                : "learned policy: needs a behaviour log with a trained model";
      return kErrUnsupported; // the header's promise: no usable model
    }
    inputs.forecaster = model.get();
    out.model_version = version;
    out.model_log_loss = model->metrics().log_loss;
    out.keepalive = model;
  } else if (want == "seed-genre") {
    if (!log) {
      err = "seed-genre policy: needs a behaviour log with viewing history";
      return kErrUnsupported;
    }
    std::vector<TraceSession> sessions;
    if (int r = log->read_traces(sessions, err)) return r;
    auto fit = std::make_shared<const SeedGenreFit>(SeedGenreFit::train(sessions));
    if (fit->genres().empty()) {
      err = "seed-genre policy: the behaviour log holds no viewing history to fit genre windows on";
      return kErrUnsupported;
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

} // namespace sp
