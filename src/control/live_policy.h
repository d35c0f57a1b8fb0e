// Choosing and building the policy the live control thread runs, from the
// configuration and what the behaviour log holds (a stored model, the seed
// history for the genre windows). Also the online retraining step.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "policy/policy.h"
#include "trace/trace.h"

namespace sp {

class BehaviourLog;

struct LivePolicy {
  std::unique_ptr<Policy> policy;
  std::string name;           // "always-on", "fixed-timeout", "seed-genre", "learned"
  std::string model_version;  // "" when no model is used
  double model_log_loss = -1;
  std::shared_ptr<const void> keepalive;  // objects the policy refers to (model, fits)
};

// Builds the policy named by `name` ("auto" = learned when `log` holds a
// model, else fixed-timeout). `log` may be null (no database). On error
// returns a code and message; the caller falls back to fixed-timeout.
int make_live_policy(const std::string &name, const CostModel &cost, double timeout_s, BehaviourLog *log,
                     LivePolicy &out, std::string &err);

// Online learning: retrain from every session in `log`, compare with the
// current model on the most recent held-out sessions, and store the new
// model only if it does at least as well. Returns SP_OK with `swapped` set.
int retrain_if_better(BehaviourLog &log, const CostModel &cost, std::string &new_version, double &new_log_loss,
                      bool &swapped, std::string &err);

} // namespace sp
