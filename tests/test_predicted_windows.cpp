// The seek bar's predicted windows (control/predicted_windows.h): a pure
// function of the policy, the decision point and the media's duration,
// with every plan read through schedule_of().
#include <catch2/catch.hpp>

#include <vector>

#include "control/predicted_windows.h"

using namespace sp;

namespace {

// Returns its plans in turn (the last one forever) and records every context.
class ScriptedPolicy final : public Policy {
public:
  explicit ScriptedPolicy(std::vector<Plan> plans) : plans_(std::move(plans)) {}
  std::string name() const override { return "scripted"; }
  Plan plan(const PolicyContext &ctx) override {
    asked.push_back(ctx);
    return plans_[std::min(asked.size() - 1, plans_.size() - 1)];
  }
  std::vector<PolicyContext> asked;

private:
  std::vector<Plan> plans_;
};

PolicyContext at(int64_t pos_ms, bool paused = false, double rate = 1.0) {
  PolicyContext c;
  c.now_wall_ms = 1'000'000;
  c.position_ms = pos_ms;
  c.paused = paused;
  c.rate = rate;
  return c;
}

using W = std::vector<PredictedWindow>;
constexpr int64_t kDur = 100'000;

} // namespace

TEST_CASE("windows: awake for good, a timeout, a paused player") {
  ScriptedPolicy p({Plan{-1, -1}});
  CHECK(predict_windows(p, at(10'000), Plan{-1, -1}, kDur) == W{{10'000, kDur}});
  CHECK(p.asked.empty()); // the first plan is given, not asked again
  CHECK(predict_windows(p, at(10'000), Plan{5'000, -1}, kDur) == W{{10'000, 15'000}});
  CHECK(predict_windows(p, at(10'000, false, 2.0), Plan{5'000, -1}, kDur) == W{{10'000, 20'000}});
  CHECK(predict_windows(p, at(10'000, true), Plan{5'000, 3'000}, kDur) == W{{10'000, 10'000}});
  CHECK(predict_windows(p, at(98'000), Plan{5'000, -1}, kDur) == W{{98'000, kDur}}); // capped at the end
}

TEST_CASE("windows: proactive wakes ask the policy again from the planned position") {
  ScriptedPolicy p({Plan{1'000, -1}});
  W w = predict_windows(p, at(0), Plan{2'000, 3'000}, kDur);
  CHECK(w == W{{0, 2'000}, {5'000, 6'000}});
  REQUIRE(p.asked.size() == 1);
  CHECK(p.asked[0].position_ms == 5'000);
  CHECK(p.asked[0].now_wall_ms == 1'000'000 + 5'000);
  CHECK(p.asked[0].after_proactive_wake);
}

TEST_CASE("windows: at most max_windows, none past the end") {
  ScriptedPolicy p({Plan{1'000, 1'000}});
  CHECK(predict_windows(p, at(0), Plan{1'000, 1'000}, kDur, 3) ==
        W{{0, 1'000}, {2'000, 3'000}, {4'000, 5'000}});
  ScriptedPolicy q({Plan{1'000, 50'000}});
  CHECK(predict_windows(q, at(0), Plan{1'000, 50'000}, kDur) == W{{0, 1'000}, {51'000, 52'000}});
}

TEST_CASE("windows: a zero-length sleep keeps the window open; no time at all is awake to the end") {
  ScriptedPolicy p({Plan{3'000, -1}});
  // Awake 2 s, ask again (no sleep), then awake 3 s more: one window.
  CHECK(predict_windows(p, at(1'000), Plan{2'000, 0}, kDur) == W{{1'000, 6'000}});
  REQUIRE(p.asked.size() == 1);
  CHECK(p.asked[0].position_ms == 3'000);
  CHECK(p.asked[0].after_proactive_wake);
  ScriptedPolicy q({Plan{0, 0}});
  CHECK(predict_windows(q, at(1'000), Plan{0, 0}, kDur) == W{{1'000, kDur}});
  // A policy that keeps asking again in tiny steps cannot keep it busy.
  ScriptedPolicy r({Plan{1, 0}});
  W w = predict_windows(r, at(0), Plan{1, 0}, kDur);
  REQUIRE(w.size() == 1);
  CHECK(w[0].start_ms == 0);
  CHECK(r.asked.size() < 100);
}
