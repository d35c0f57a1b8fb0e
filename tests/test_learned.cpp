// The learned policy's online learning (policy/hedge.h, policy/sleep_learner.h,
// LearnedPolicy with a learner): the AdaHedge regret bound on adversarial and
// random losses, the robustness bound of the whole learner against the best
// timeout of its ladder on adversarial and memoryless gap sequences, the
// replayed costs of every expert (gap_costs) against the replay itself, and
// the policy falling back to timeouts when its forecast is wrong.
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




// Cost of a fixed timeout on one gap (closed form, as the replay charges it).
double timeout_cost(double tau_s, double gap_s, bool by_action, const CostModel &c) {
  if (tau_s < 0 || gap_s <= tau_s) return c.h * gap_s;
  return c.h * tau_s + (by_action ? c.w + c.m : 0.0);
}

std::vector<Expert> timeouts_only() {
  std::vector<Expert> e;
  for (const Expert &x : default_experts())
    if (x.kind == Expert::Kind::Timeout) e.push_back(x);
  return e;
}

} // namespace

TEST_CASE("AdaHedge: regret within its bound against an adversary and on random losses", "[hedge]") {
  SECTION("adversary: the heaviest expert always loses") {
    for (size_t K : {2u, 5u, 17u}) {
      Hedge h(K);
      std::vector<double> total(K, 0.0);
      for (int t = 0; t < 3000; ++t) {
        auto w = h.weights();
        size_t worst = static_cast<size_t>(std::max_element(w.begin(), w.end()) - w.begin());
        std::vector<double> loss(K, 0.0);
        loss[worst] = 1.0;
        h.update(loss);
        for (size_t i = 0; i < K; ++i)
          total[i] += loss[i];
      }
      const double best = *std::min_element(total.begin(), total.end());
      INFO("K " << K << ": charged " << h.mixture_loss() << ", best " << best << ", bound "
                << h.regret_bound());
      CHECK(h.mixture_loss() - best <= h.regret_bound());
      CHECK(h.mixture_loss() >= best - 1e-9);
    }
  }
  SECTION("random losses of any scale; one expert better on average") {
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const size_t K = 9;
    Hedge h(K);
    std::vector<double> total(K, 0.0);
    for (int t = 0; t < 5000; ++t) {
      std::vector<double> loss(K);
      for (size_t i = 0; i < K; ++i)
        loss[i] = 1000.0 * (u(rng) + (i == 3 ? 0.0 : 0.2)) - 400.0;
      h.update(loss);
      const double lo = *std::min_element(loss.begin(), loss.end());
      for (size_t i = 0; i < K; ++i)
        total[i] += loss[i] - lo;
    }
    const double best = *std::min_element(total.begin(), total.end());
    CHECK(h.mixture_loss() - best <= h.regret_bound());
    // It learned which expert is better.
    CHECK(h.weights()[3] > 0.9);
  }
  SECTION("a prior only weighs where the evidence does not decide") {
    Hedge h(3);
    std::vector<double> prior{0.8, 0.1, 0.1};
    CHECK(h.weights(&prior)[0] == Approx(0.8));
    for (int t = 0; t < 200; ++t)
      h.update({1.0, 0.0, 1.0}, &prior);
    CHECK(h.weights(&prior)[1] > 0.99);
  }
}

TEST_CASE("the learner's expected cost is within its proven bound of the best timeout", "[learner]") {
  LearnerOptions opt;
  opt.experts = timeouts_only();
  opt.plan_prior = -1; // uniform: the bound's prior
  const auto &ex = opt.experts;
  auto run = [&](const char *what, auto next_gap) {
    SleepLearner L(opt);
    std::vector<double> total(ex.size(), 0.0);
    int64_t t = 0;
    for (int i = 0; i < 4000; ++i) {
      std::string viewer = "v";
      viewer += std::to_string(i % 40);
      auto p = L.distribution(viewer, t);
      const double g = next_gap(p);
      std::vector<double> c(ex.size());
      for (size_t k = 0; k < ex.size(); ++k) {
        c[k] = timeout_cost(ex[k].tau_ms < 0 ? -1.0 : static_cast<double>(ex[k].tau_ms) / 1000.0, g, true,
                            kCost);
        total[k] += c[k];
      }
      t += static_cast<int64_t>(g * 1000);
      L.record(viewer, c, t);
    }
    L.flush();
    const LearnerSummary s = L.summary();
    const double best = *std::min_element(total.begin(), total.end());
    INFO(what << ": played " << s.played_cost << ", best timeout " << best << " (" << ex[s.best_expert].name()
              << "), bounds " << s.global_regret_bound << " + " << s.meta_regret_bound);
    CHECK(s.gaps == 4000);
    CHECK(s.played_cost <= best + s.global_regret_bound + s.meta_regret_bound);
    return std::pair<double, double>{s.played_cost, best};
  };
  SECTION("adversarial gaps: each just outlasts the timeout the learner leans on most") {
    run("adversary", [&](const std::vector<double> &p) {
      double mean_tau = 0;
      for (size_t k = 0; k < ex.size(); ++k)
        mean_tau += p[k] * (ex[k].tau_ms < 0 ? 1200.0 : static_cast<double>(ex[k].tau_ms) / 1000.0);
      return mean_tau + 0.5;
    });
  }
  SECTION("memoryless gaps: nothing to learn but the rate; close to the best timeout") {
    std::mt19937_64 rng(11);
    std::exponential_distribution<double> gap(1.0 / 60.0);
    auto [played, best] = run("memoryless", [&](const std::vector<double> &) { return gap(rng); });
    CHECK(played <= 1.05 * best);
  }
}

TEST_CASE("gap_costs replays each expert exactly as the trace replay charges it", "[learner]") {
  // A forecast that makes the plan sleep and wake ahead of a likely action.
  FixedForecaster f(Forecast{{20000, 40000, 60000, 600000}, {0.0, 0.05, 0.9, 0.95}});
  std::vector<TraceSession> sessions;
  std::mt19937_64 rng(3);
  std::exponential_distribution<double> gap(1.0 / 45.0);
  for (int i = 0; i < 40; ++i) {
    std::vector<double> g;
    for (int k = 0; k < 8; ++k)
      g.push_back(gap(rng));
    std::string id = "s";
    id += std::to_string(i);
    sessions.push_back(session_with_gaps(g, gap(rng), 1'000'000 + i * 10'000'000LL, id, "v"));
  }
  std::vector<Expert> ex = default_experts();
  for (size_t k = 0; k < ex.size(); ++k) {
    INFO(ex[k].name());
    double replayed = 0, summed = 0;
    for (const auto &s : sessions) {
      // The replayed policy: this expert, always.
      class One : public Policy {
      public:
        One(const Expert &e, const Forecaster &f) : e_(e), f_(f) {}
        std::string name() const override { return "one"; }
        Plan plan(const PolicyContext &ctx) override {
          if (!ctx.after_proactive_wake) start_ = ctx.now_wall_ms;
          return LearnedPolicy::expert_plan(e_, f_.forecast(ctx), kCost, ctx.now_wall_ms - start_);
        }

      private:
        const Expert &e_;
        const Forecaster &f_;
        int64_t start_ = 0;
      } one(ex[k], f);
      replayed += replay_session(s, one, kCost).cost;
      // The same gaps through gap_costs.
      size_t prefix = 1;
      int64_t start = s.events[0].wall_ms;
      for (size_t i = 1; i <= s.events.size(); ++i) {
        const bool action = i < s.events.size();
        const int64_t end = action ? s.events[i].wall_ms : s.end_wall_ms;
        TraceSession seen = s;
        seen.events.resize(action ? i + 1 : s.events.size());
        summed += LearnedPolicy::gap_costs({ex[k]}, f, kCost, seen, prefix, start, end, action)[0];
        prefix = i + 1;
        start = end;
      }
    }
    CHECK(summed == Approx(replayed).epsilon(1e-9));
  }
}

TEST_CASE("learned with a learner: a wrong forecast is soon outvoted by the timeouts", "[learner]") {
  // The forecast says nothing will happen for an hour; viewers act every ~10 s
  // (so staying awake is right and sleeping costs a miss per gap).
  FixedForecaster wrong(Forecast{{3'600'000}, {0.01}});
  std::vector<TraceSession> sessions;
  std::mt19937_64 rng(8);
  std::exponential_distribution<double> gap(1.0 / 10.0);
  for (int i = 0; i < 150; ++i) {
    std::vector<double> g;
    for (int k = 0; k < 12; ++k)
      g.push_back(gap(rng));
    std::string id = "s", viewer = "v";
    id += std::to_string(i);
    viewer += std::to_string(i % 10);
    sessions.push_back(session_with_gaps(g, 5, 1'000'000 + i * 10'000'000LL, id, viewer));
  }
  std::vector<const TraceSession *> ptrs;
  for (const auto &s : sessions)
    ptrs.push_back(&s);
  PolicyParams params;
  params.cost = kCost;
  PolicyInputs plain, learning;
  plain.forecaster = learning.forecaster = &wrong;
  learning.learner = std::make_shared<SleepLearner>();
  std::string err;
  auto cost_of = [&](const PolicyInputs &in, const std::string &name) {
    return replay_all(
               ptrs, [&](const TraceSession &) { return make_policy(name, params, in, err); }, kCost)
        .cost;
  };
  const double dp = cost_of(plain, "learned");
  const double learned = cost_of(learning, "learned");
  double best = 1e300;
  for (double tau : {0.0, 5.0, 10.0, 30.0, 60.0, 120.0, 1200.0}) {
    params.timeout_ms = static_cast<int64_t>(tau * 1000);
    best = std::min(best, cost_of(plain, "fixed-timeout"));
  }
  INFO("plain plan " << dp << ", with the learner " << learned << ", best timeout " << best);
  CHECK(learned < 0.5 * dp);
  CHECK(learned < 1.15 * best); // 1800 gaps, starting from a prior that trusts the forecast half
  learning.learner->flush();    // the last gap is known at the end of the last session
  const LearnerSummary s = learning.learner->summary();
  CHECK(s.gaps == 150 * 13); // 12 gaps ending in an action and the last one ending with the session
  CHECK(default_experts()[s.best_expert].kind == Expert::Kind::Timeout);
}

TEST_CASE("learned with a learner: speculative calls inside a gap change nothing", "[learner]") {
  FixedForecaster f(Forecast{{20000, 40000, 60000}, {0.0, 0.05, 0.9}});
  auto learner = std::make_shared<SleepLearner>();
  LearnedPolicy p(f, kCost, {}, learner);
  TraceSession s = session_with_gaps({1.0}, 100, 1'000'000, "s1", "v1");
  TraceSession seen = s;
  seen.events.resize(2); // open, play
  PolicyContext ctx;
  ctx.session = &seen;
  ctx.now_wall_ms = s.events[1].wall_ms;
  const Plan first = p.plan(ctx);
  const int chosen = p.chosen_expert();
  REQUIRE(chosen >= 0);
  for (int i = 1; i < 5; ++i) { // the live plane previewing its windows
    PolicyContext c = ctx;
    c.now_wall_ms += i * 7000;
    c.after_proactive_wake = true;
    p.plan(c);
    CHECK(p.chosen_expert() == chosen);
  }
  const Plan again = p.plan(ctx);
  CHECK(again.awake_ms == first.awake_ms);
  CHECK(again.asleep_ms == first.asleep_ms);
  CHECK(learner->summary().gaps == 0);
  PolicyContext end = ctx;
  end.now_wall_ms = s.end_wall_ms;
  p.session_ended(end);
  learner->flush();
  CHECK(learner->summary().gaps == 1);
}
