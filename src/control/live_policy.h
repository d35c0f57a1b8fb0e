// Choosing and building the policy the live control thread runs, from the
// configuration and what the behaviour log holds (a stored model, the seed
// history for the genre windows). Online retraining is in control/trainer.h.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "policy/policy.h"
#include "trace/trace.h"

namespace sp {

class BehaviourLog;
class HazardModel;

struct LivePolicy {
  std::unique_ptr<Policy> policy;
  std::string name;          // "always-on", "fixed-timeout", "seed-genre", "learned"
  std::string model_version; // "" when no model is used
  double model_log_loss = -1;
  std::shared_ptr<const void> keepalive; // objects the policy refers to (model, fits)
  // "auto" that fell back to fixed-timeout because the better policy could
  // not be built (a stored model this build cannot use, a log it could not
  // read): why, and the code of that failure. "" when nothing fell back. The
  // control plane reports it as an error event (control_plane.h).
  std::string fallback_reason;
  int fallback_code = 0;
};

// Builds the policy named by `name` ("auto" = learned when `log` holds a
// model, else fixed-timeout). `log` may be null (no database). On error
// returns a code and message; the caller falls back to fixed-timeout.
int make_live_policy(const std::string &name, const CostModel &cost, double timeout_s, BehaviourLog *log,
                     LivePolicy &out, std::string &err);

// The policy a control plane starts with: `override_policy` when given (run
// as is, shared with the caller: tests and benchmarks); else the one named,
// where "auto" (or "") falls back to fixed-timeout when nothing better can be
// built, with the reason in out.fallback_reason. Errors as make_live_policy's
// for any other name.
int make_starting_policy(const std::string &name, std::shared_ptr<Policy> override_policy,
                         const CostModel &cost, double timeout_s, BehaviourLog *log, LivePolicy &out,
                         std::string &err);

// The newest stored hazard model (null when the log holds none) and its
// version; kErrUnsupported when it cannot be used (written by another build or
// damaged), with a retrain hint in err.
int load_stored_model(BehaviourLog &log, std::shared_ptr<const HazardModel> &model, std::string &version,
                      std::string &err);

} // namespace sp
