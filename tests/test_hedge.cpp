// The robustness bound of the learned policy's online learning (policy/hedge.h,
// policy/sleep_learner.h), checked where it is used: AdaHedge's regret bound
// after every round against an adaptive adversary, and the whole learned
// policy replayed on memoryless sessions with a forecast that is wrong — its
// learner's accounting equals what the replay charges each fixed timeout, its
// expected cost stays within the proven bound of the best timeout, and what it
// really paid is close to that. Also the decision rule with the session's end
// as a competing event (Forecast::end_cdf).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "policy_fixtures.h"
#include "policy/factory.h"
#include "policy/hedge.h"
#include "policy/policies.h"
#include "policy/replay.h"
#include "policy/sleep_learner.h"

using namespace sp;
using sp_test::ev;
using sp_test::session_with_gaps;
using sp_test::FixedForecaster;

namespace {

const CostModel kCost{1.0, 30.0, 60.0};




} // namespace

TEST_CASE("AdaHedge: within its regret bound after every round, against an adaptive adversary", "[hedge]") {
  // Each round the adversary charges the experts the mixture leans on (a loss
  // of random size), and the others a little: the worst case for a learner
  // that follows its weights. The bound must hold at every prefix, not only at
  // the end.
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (size_t K : {2u, 6u, 23u}) {
    Hedge h(K);
    double worst_slack = 1e300;
    for (int t = 0; t < 4000; ++t) {
      const std::vector<double> w = h.weights();
      std::vector<size_t> order(K);
      for (size_t i = 0; i < K; ++i)
        order[i] = i;
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return w[a] > w[b]; });
      const double scale = 1.0 + 99.0 * u(rng); // ranges of every size: the bound uses the largest
      std::vector<double> loss(K);
      for (size_t r = 0; r < K; ++r) // the heavier half loses; any offset, regret is shift-free
        loss[order[r]] = (r < (K + 1) / 2 ? scale : 0.05 * scale * u(rng)) + 7.0;
      h.update(loss);
      const auto &L = h.cumulative_loss();
      const double best = *std::min_element(L.begin(), L.end());
      const double regret = h.mixture_loss() - best;
      const double bound = h.regret_bound();
      worst_slack = std::min(worst_slack, bound - regret);
      if (regret > bound + 1e-9) {
        INFO("K " << K << ", round " << t << ": regret " << regret << " > bound " << bound);
        REQUIRE(regret <= bound + 1e-9);
      }
    }
    INFO("K " << K << ": smallest slack " << worst_slack << ", final regret "
              << h.mixture_loss() - *std::min_element(h.cumulative_loss().begin(), h.cumulative_loss().end())
              << ", rounds " << h.rounds());
    CHECK(worst_slack >= -1e-9);
    // The adversary does hurt: the regret is positive, so the bound is not met trivially.
    CHECK(h.mixture_loss() > *std::min_element(h.cumulative_loss().begin(), h.cumulative_loss().end()));
  }
}

TEST_CASE("learned policy on memoryless sessions, wrong forecast: within the proven bound of the best timeout",
          "[learner]") {
  // Gaps are exponential (mean 45 s > w/h = 30 s: staying awake is best, a
  // long timeout does it); the forecast claims no action for an hour, so every
  // plan sleeps at once and pays a miss per gap (twice the best timeout).
  FixedForecaster wrong(Forecast{{3'600'000}, {0.02}});
  std::mt19937_64 rng(17);
  std::exponential_distribution<double> gap(1.0 / 45.0);
  std::vector<TraceSession> sessions;
  for (int i = 0; i < 80; ++i) {
    std::vector<double> g;
    for (int k = 0; k < 15; ++k)
      g.push_back(gap(rng));
    sessions.push_back(session_with_gaps(g, gap(rng), 1'000'000 + i * 3'000'000LL, "s" + std::to_string(i),
                                         "v" + std::to_string(i % 16)));
  }
  std::vector<const TraceSession *> ptrs;
  for (const auto &s : sessions)
    ptrs.push_back(&s);

  LearnerOptions opt;
  opt.plan_prior = -1; // uniform over the experts: the prior the bound is proven for
  PolicyParams params;
  params.cost = kCost;
  PolicyInputs in;
  in.forecaster = &wrong;
  in.learner = std::make_shared<SleepLearner>(opt);
  std::string err;
  const ReplayTotals learned = replay_all(
      ptrs, [&](const TraceSession &) { return make_policy("learned", params, in, err); }, kCost);
  REQUIRE(err.empty());
  in.learner->flush();
  const LearnerSummary s = in.learner->summary();
  const std::vector<Expert> &ex = in.learner->experts();
  CHECK(s.gaps == 80 * 16); // 15 gaps ending in an action, and the last one ending with the session

  // The learner's cost of every timeout expert is what the replay charges that fixed timeout.
  double best_timeout = 1e300;
  for (size_t k = 0; k < ex.size(); ++k) {
    if (ex[k].kind != Expert::Kind::Timeout) continue;
    const int64_t tau = ex[k].tau_ms;
    const double replayed =
        tau < 0 ? replay_all(ptrs, [](const TraceSession &) { return std::make_unique<AlwaysOnPolicy>(); }, kCost).cost
                : replay_all(ptrs, [&](const TraceSession &) { return std::make_unique<FixedTimeoutPolicy>(tau); },
                             kCost)
                      .cost;
    INFO(ex[k].name());
    CHECK(s.expert_cost[k] == Approx(replayed).epsilon(1e-9));
    best_timeout = std::min(best_timeout, replayed);
  }
  double best_plan = 1e300;
  for (size_t k = 0; k < ex.size(); ++k)
    if (ex[k].kind == Expert::Kind::Plan) best_plan = std::min(best_plan, s.expert_cost[k]);

  INFO("expected cost played " << s.played_cost << ", paid " << learned.cost << ", best timeout " << best_timeout
                               << ", best plan " << best_plan << ", bounds " << s.global_regret_bound << " + "
                               << s.meta_regret_bound);
  // The forecast really is wrong: the plans cost far more than the best timeout.
  CHECK(best_plan > 1.5 * best_timeout);
  // The proven bound: expected cost <= best expert + G's regret bound + M's.
  CHECK(s.played_cost <= best_timeout + s.global_regret_bound + s.meta_regret_bound);
  // The bound is not vacuous here (it is well below the plans' excess cost).
  CHECK(s.global_regret_bound + s.meta_regret_bound < best_plan - best_timeout);
  // What the policy paid (one expert drawn per gap) is its expected cost up to the draws' noise.
  CHECK(learned.cost == Approx(s.played_cost).epsilon(0.05));
  // Memoryless: close to the best timeout (issue 9's 5 % on long runs; 1280 gaps from a uniform prior here).
  CHECK(learned.cost <= 1.10 * best_timeout);
}

TEST_CASE("decision rule: the session's end is a competing event after which being awake is free", "[learned]") {
  // Exponential gaps (mean 60 s) against an exponential end of the session
  // (mean 1200 s), on a 25 h horizon: with a constant hazard the best plan is
  // to stay awake (mean gap > w/h), at expected cost h E[min(gap, end)].
  const double mg = 60'000, me = 1'200'000;
  Forecast fc;
  for (int64_t t = 1000; t <= 25 * 3'600'000LL; t += (t < 600'000 ? 1000 : 60'000))
    fc.horizon_ms.push_back(t);
  const double r = 1.0 / mg + 1.0 / me;
  for (int64_t t : fc.horizon_ms) {
    const double alive = 1.0 - std::exp(-r * static_cast<double>(t));
    fc.cdf.push_back(alive * (1.0 / mg) / r);
    fc.end_cdf.push_back(alive * (1.0 / me) / r);
  }
  double expected = 0;
  const Plan with_end = LearnedPolicy::plan_for(fc, kCost, {}, &expected);
  CHECK(with_end.asleep_ms == -1);
  CHECK(with_end.awake_ms >= 24 * 3'600'000LL); // awake through the forecast
  CHECK(expected == Approx(kCost.h / r / 1000.0).epsilon(0.01)); // 57.1 s

  // Without the end the rule charges every case without an action awake time
  // up to the last horizon (25 h), so it soon sleeps and takes the misses.
  Forecast no_end = fc;
  no_end.end_cdf.clear();
  const Plan p = LearnedPolicy::plan_for(no_end, kCost, {});
  CHECK(p.awake_ms < 3'600'000);
}
