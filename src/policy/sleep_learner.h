// Online learning of the sleep decision (docs/model.md, "Learned"): a set of
// experts — plans on the forecast (the decision rule of plan_for, with the
// forecast's hazard rescaled and the miss weight varied) and a ladder of fixed
// timeouts — weighed by AdaHedge (policy/hedge.h) by what each would have
// cost on every gap between a viewer's actions so far:
//   * a global learner G over every gap of every viewer;
//   * a learner per viewer V_v, whose prior is G's weights (mixed with a
//     little uniform) and which forgets (its habits may drift);
//   * a meta learner M over {G, V} on every gap, so that per-viewer learning
//     is used only where it pays.
// The learned policy plays, for each gap, one expert drawn from
// m_G * p_G + m_V * p_V. Its expected cost is at most the best expert's
// (hence the best fixed timeout's on the ladder) plus G's and M's regret
// bounds (regret_bound()), whatever the viewers do; tests check it on
// adversarial and memoryless sequences.
//
// A gap's costs become known at its end; they are applied to the learners
// only once the clock of a decision has passed that time (record() queues
// them), so replaying sessions in start order never uses what happened later
// in another viewer's session.
//
// Thread safety: every member function locks an internal mutex; a learner
// may be shared by the policies of several sessions (replay) or sessions over
// time (the live control plane).
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "policy/hedge.h"

namespace sp {

struct Expert {
  enum class Kind { Plan, Timeout };
  Kind kind = Kind::Timeout;
  int64_t tau_ms = 0; // Timeout: awake this long after an action, then asleep until the next; < 0: always on
  double hazard_scale = 1.0; // Plan: the forecast's hazard times this (cdf 1 - (1 - F)^scale)
  double miss_scale = 1.0;   // Plan: miss weight in planning (LearnedParams::miss_scale)
  std::string name() const;  // "plan", "plan hazard x2", "plan miss x0.5", "timeout 30 s", "always-on"
};

// 5 plans (hazard x1, x0.5, x2; miss x0.5, x2) and 17 timeouts (0, 1, 2, 5,
// 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200 s, always on).
std::vector<Expert> default_experts();

struct LearnerOptions {
  std::vector<Expert> experts = default_experts();
  // Prior weight of the plan experts together (half of it on the plain plan),
  // the rest spread evenly over the timeouts. < 0: uniform over all experts.
  double plan_prior = 0.5;
  double viewer_discount = 0.98;   // per gap, for the per-viewer learners
  double viewer_uniform_mix = 0.1; // per-viewer prior = (1 - this) * G's weights + this * uniform
  double meta_viewer_prior = 0.3;  // M's prior weight on the per-viewer learners
};

struct LearnerSummary {
  int64_t gaps = 0;                // gaps learned from
  double played_cost = 0;          // expected cost of the played mixture over those gaps
  std::vector<double> expert_cost; // each expert's cost over the same gaps (undiscounted)
  size_t best_expert = 0;
  double global_regret_bound = 0, meta_regret_bound = 0;
  std::vector<double> global_weights; // G's weights now
  double meta_viewer_weight = 0;      // M's weight on the per-viewer learners now
  size_t viewers = 0;
};

class SleepLearner {
public:
  explicit SleepLearner(LearnerOptions opt = {});
  const std::vector<Expert> &experts() const { return opt_.experts; }
  const LearnerOptions &options() const { return opt_; }

  // The distribution over experts to play for `viewer` at `now_ms` (updates
  // known by then are applied first).
  std::vector<double> distribution(const std::string &viewer, int64_t now_ms);
  // A finished gap of `viewer`: each expert's cost on it, known at `known_at_ms`.
  void record(const std::string &viewer, std::vector<double> costs, int64_t known_at_ms);
  // Applies every queued update now (after a warm start on earlier sessions).
  void flush();
  LearnerSummary summary() const;

private:
  struct Pending {
    int64_t at;
    uint64_t order;
    std::string viewer;
    std::vector<double> costs;
    bool operator>(const Pending &o) const { return at != o.at ? at > o.at : order > o.order; }
  };
  void apply_due(int64_t now_ms);
  void apply(const std::string &viewer, const std::vector<double> &costs);
  std::vector<double> viewer_prior(const std::vector<double> &pg) const;
  Hedge &viewer_learner(const std::string &viewer);

  LearnerOptions opt_;
  std::vector<double> prior_;
  std::vector<double> meta_prior_;
  mutable std::mutex mu_;
  Hedge global_, meta_;
  std::unordered_map<std::string, Hedge> viewers_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> pending_;
  uint64_t order_ = 0;
  int64_t gaps_ = 0;
  double played_ = 0;
  std::vector<double> expert_total_;
};

} // namespace sp
