#include "policy/sleep_learner.h"

#include <algorithm>
#include <cstdio>

namespace sp {

std::string Expert::name() const {
  char buf[64];
  if (kind == Kind::Timeout) {
    if (tau_ms < 0) return "always-on";
    std::snprintf(buf, sizeof buf, "timeout %g s", static_cast<double>(tau_ms) / 1000.0);
    return buf;
  }
  if (hazard_scale != 1.0) {
    std::snprintf(buf, sizeof buf, "plan hazard x%g", hazard_scale);
    return buf;
  }
  if (miss_scale != 1.0) {
    std::snprintf(buf, sizeof buf, "plan miss x%g", miss_scale);
    return buf;
  }
  return "plan";
}

std::vector<Expert> default_experts() {
  std::vector<Expert> e;
  auto plan = [&](double hz, double miss) {
    Expert x;
    x.kind = Expert::Kind::Plan;
    x.hazard_scale = hz;
    x.miss_scale = miss;
    e.push_back(x);
  };
  plan(1, 1);
  plan(0.5, 1);
  plan(2, 1);
  plan(1, 0.5);
  plan(1, 2);
  for (int64_t s : {0, 1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200}) {
    Expert x;
    x.tau_ms = s * 1000;
    e.push_back(x);
  }
  Expert on;
  on.tau_ms = -1;
  e.push_back(on);
  return e;
}

SleepLearner::SleepLearner(LearnerOptions opt)
    : opt_(std::move(opt)), global_(std::max<size_t>(opt_.experts.size(), 1)), meta_(2) {
  if (opt_.experts.empty()) opt_.experts = default_experts();
  const size_t K = opt_.experts.size();
  global_ = Hedge(K);
  prior_.assign(K, 1.0 / static_cast<double>(K));
  size_t plans = 0, first_plan = K;
  for (size_t i = 0; i < K; ++i)
    if (opt_.experts[i].kind == Expert::Kind::Plan) {
      ++plans;
      first_plan = std::min(first_plan, i);
    }
  if (opt_.plan_prior >= 0 && plans > 0 && plans < K) {
    const double pp = std::clamp(opt_.plan_prior, 0.01, 0.99);
    for (size_t i = 0; i < K; ++i) {
      if (opt_.experts[i].kind == Expert::Kind::Plan)
        prior_[i] = plans == 1 ? pp : (i == first_plan ? pp / 2 : pp / 2 / static_cast<double>(plans - 1));
      else
        prior_[i] = (1.0 - pp) / static_cast<double>(K - plans);
    }
  }
  const double mv = std::clamp(opt_.meta_viewer_prior, 0.01, 0.99);
  meta_prior_ = {1.0 - mv, mv};
  expert_total_.assign(K, 0.0);
}

std::vector<double> SleepLearner::viewer_prior(const std::vector<double> &pg) const {
  const double a = std::clamp(opt_.viewer_uniform_mix, 0.0, 1.0);
  std::vector<double> p(pg.size());
  for (size_t i = 0; i < pg.size(); ++i)
    p[i] = (1.0 - a) * pg[i] + a / static_cast<double>(pg.size());
  return p;
}

Hedge &SleepLearner::viewer_learner(const std::string &viewer) {
  auto it = viewers_.find(viewer);
  if (it == viewers_.end())
    it = viewers_.emplace(viewer, Hedge(opt_.experts.size(), opt_.viewer_discount)).first;
  return it->second;
}

void SleepLearner::apply(const std::string &viewer, const std::vector<double> &costs) {
  if (costs.size() != opt_.experts.size()) return;
  const std::vector<double> pg = global_.weights(&prior_);
  const std::vector<double> pv_prior = viewer_prior(pg);
  Hedge &vl = viewer_learner(viewer);
  const std::vector<double> pv = vl.weights(&pv_prior);
  const std::vector<double> m = meta_.weights(&meta_prior_);
  double lg = 0, lv = 0;
  for (size_t i = 0; i < costs.size(); ++i) {
    lg += pg[i] * costs[i];
    lv += pv[i] * costs[i];
    expert_total_[i] += costs[i];
  }
  played_ += m[0] * lg + m[1] * lv;
  ++gaps_;
  meta_.update({lg, lv}, &meta_prior_);
  global_.update(costs, &prior_);
  vl.update(costs, &pv_prior);
}

void SleepLearner::apply_due(int64_t now_ms) {
  while (!pending_.empty() && pending_.top().at <= now_ms) {
    Pending p = pending_.top();
    pending_.pop();
    apply(p.viewer, p.costs);
  }
}

std::vector<double> SleepLearner::distribution(const std::string &viewer, int64_t now_ms) {
  std::lock_guard lk(mu_);
  apply_due(now_ms);
  const std::vector<double> pg = global_.weights(&prior_);
  auto it = viewers_.find(viewer);
  if (it == viewers_.end()) return pg; // a viewer's learner starts as G's weights (up to the uniform mix)
  const std::vector<double> pv_prior = viewer_prior(pg);
  const std::vector<double> pv = it->second.weights(&pv_prior);
  const std::vector<double> m = meta_.weights(&meta_prior_);
  std::vector<double> p(pg.size());
  for (size_t i = 0; i < p.size(); ++i)
    p[i] = m[0] * pg[i] + m[1] * pv[i];
  return p;
}

void SleepLearner::record(const std::string &viewer, std::vector<double> costs, int64_t known_at_ms) {
  std::lock_guard lk(mu_);
  pending_.push(Pending{known_at_ms, order_++, viewer, std::move(costs)});
}

void SleepLearner::flush() {
  std::lock_guard lk(mu_);
  while (!pending_.empty()) {
    Pending p = pending_.top();
    pending_.pop();
    apply(p.viewer, p.costs);
  }
}

LearnerSummary SleepLearner::summary() const {
  std::lock_guard lk(mu_);
  LearnerSummary s;
  s.gaps = gaps_;
  s.played_cost = played_;
  s.expert_cost = expert_total_;
  s.best_expert = static_cast<size_t>(std::min_element(expert_total_.begin(), expert_total_.end()) -
                                      expert_total_.begin());
  s.global_regret_bound = global_.regret_bound();
  s.meta_regret_bound = meta_.regret_bound();
  s.global_weights = global_.weights(&prior_);
  s.meta_viewer_weight = meta_.weights(&meta_prior_)[1];
  s.viewers = viewers_.size();
  return s;
}

} // namespace sp
