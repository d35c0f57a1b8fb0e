// Building a policy by name (smartplayer-eval, the live control thread).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "policy/policies.h"
#include "policy/policy.h"

namespace sp {

struct PolicyParams {
  CostModel cost = CostModel::defaults();
  int64_t timeout_ms = -1;          // fixed-timeout tau; < 0: w/h
  LearnedParams learned;            // learned: miss_scale, wake_lead_ms
  // learned in evaluate_sessions: learn online which experts to follow
  // (SleepLearner); false: the decision rule on the forecast alone.
  bool learn_online = true;
  LearnerOptions learner;
};

// What some policies need: seed-genre a fit, learned a forecaster (both must
// outlive the policy), the oracle the full session (must outlive it too),
// bayes the reference forecaster on the true generative process.
struct PolicyInputs {
  std::shared_ptr<const SeedGenreFit> seed_fit;
  const Forecaster *forecaster = nullptr;
  const TraceSession *full_session = nullptr;
  const Forecaster *reference = nullptr; // bayes: the simulator's true process (replay only)
  // learned: the online learner its gaps train and draw from (shared by the
  // policies of every session); null: the decision rule on the forecast alone.
  std::shared_ptr<SleepLearner> learner;
};

// Every policy's name, the one list: always-on, fixed-timeout, seed-genre,
// learned, bayes, oracle.
const std::vector<std::string> &policy_names();
// Whether a live player can run it: bayes and the oracle need what only
// replay knows (the simulator's truth, the future).
bool runs_live(const std::string &name);
// The policies a player's "policy" option accepts: "auto" and those that run live.
const std::vector<std::string> &live_policy_choices();
// "a, b, c" (with `last` before the final name, e.g. " or "), for messages.
std::string list_names(const std::vector<std::string> &names, const char *last = ", ");

// Returns the policy, or null with `err` set (unknown name, missing input).
std::unique_ptr<Policy> make_policy(const std::string &name, const PolicyParams &params, const PolicyInputs &inputs,
                                    std::string &err);

} // namespace sp
