#include "policy/factory.h"

namespace sp {

const std::vector<std::string> &policy_names() {
  static const std::vector<std::string> names{"always-on", "fixed-timeout", "seed-genre",
                                              "learned",   "bayes",         "oracle"};
  return names;
}

bool runs_live(const std::string &name) {
  return name != "bayes" && name != "oracle";
}

const std::vector<std::string> &live_policy_choices() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v{"auto"};
    for (const auto &n : policy_names())
      if (runs_live(n)) v.push_back(n);
    return v;
  }();
  return names;
}

std::string list_names(const std::vector<std::string> &names, const char *last) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? last : ", ";
    out += names[i];
  }
  return out;
}

std::unique_ptr<Policy> make_policy(const std::string &name, const PolicyParams &params, const PolicyInputs &inputs,
                                    std::string &err) {
  if (name == "always-on") return std::make_unique<AlwaysOnPolicy>();
  if (name == "fixed-timeout") {
    int64_t tau = params.timeout_ms >= 0 ? params.timeout_ms : FixedTimeoutPolicy::default_tau_ms(params.cost);
    if (tau < 0) return std::make_unique<AlwaysOnPolicy>();  // h = 0: awake time is free
    return std::make_unique<FixedTimeoutPolicy>(tau);
  }
  if (name == "seed-genre") {
    if (!inputs.seed_fit) {
      err = "seed-genre: no genre-window fit (train it from sessions first)";
      return nullptr;
    }
    return std::make_unique<SeedGenrePolicy>(inputs.seed_fit);
  }
  if (name == "learned") {
    if (!inputs.forecaster) {
      err = "learned: no forecaster (train or load a model first)";
      return nullptr;
    }
    return std::make_unique<LearnedPolicy>(*inputs.forecaster, params.cost, params.learned, inputs.learner);
  }
  if (name == "bayes") {
    if (!inputs.reference) {
      err = "bayes: needs the simulator's truth file (smartplayer-sim --truth, smartplayer-eval --truth; "
            "replay only)";
      return nullptr;
    }
    return std::make_unique<ForecastPlanPolicy>("bayes", *inputs.reference, params.cost);
  }
  if (name == "oracle") {
    if (!inputs.full_session) {
      err = "oracle: needs the full session (replay only)";
      return nullptr;
    }
    return std::make_unique<OraclePolicy>(*inputs.full_session, params.cost);
  }
  err = "unknown policy \"" + name + "\" (" + list_names(policy_names()) + ")";
  return nullptr;
}

} // namespace sp
