// The one plan-to-schedule rule (policy/schedule.h): every Plan value, zero
// included, and the same meaning on the trace-replay path. The live control
// plane's side is in tests/test_control_plane.cpp.
#include <catch2/catch.hpp>

#include <vector>

#include "policy/replay.h"
#include "policy/schedule.h"

using namespace sp;

namespace {

constexpr int64_t kNever = Schedule::kNever;

Schedule sched(int64_t awake, Schedule::Then then, int64_t asleep) {
  Schedule s;
  s.awake_ms = awake;
  s.then = then;
  s.asleep_ms = asleep;
  return s;
}

// Returns its plans in turn (the last one forever) and records every context.
class ScriptedPolicy final : public Policy {
public:
  explicit ScriptedPolicy(std::vector<Plan> plans) : plans_(std::move(plans)) {}
  std::string name() const override { return "scripted"; }
  Plan plan(const PolicyContext &ctx) override {
    contexts.push_back(ctx);
    size_t i = std::min(contexts.size() - 1, plans_.size() - 1);
    return plans_[i];
  }
  std::vector<PolicyContext> contexts;

private:
  std::vector<Plan> plans_;
};

TraceSession session(int64_t t0, int64_t end_s, const std::vector<int64_t> &play_at_s) {
  TraceSession s{.session_id = "s",
                 .viewer = "v",
                 .video = "vid",
                 .genre = "drama",
                 .duration_ms = 3'600'000,
                 .start_wall_ms = t0,
                 .end_wall_ms = t0 + end_s * 1000,
                 .end_reason = {},
                 .events = {}};
  Interaction open;
  open.seq = 1;
  open.kind = Kind::Open;
  open.wall_ms = t0;
  s.events.push_back(open);
  int64_t seq = 2;
  for (int64_t a : play_at_s) {
    Interaction e;
    e.seq = seq++;
    e.kind = Kind::Play;
    e.wall_ms = t0 + a * 1000;
    s.events.push_back(e);
  }
  return s;
}

const CostModel kCost{1.0, 30.0, 60.0};

} // namespace

TEST_CASE("every plan value has one schedule") {
  using Then = Schedule::Then;
  // awake_ms < 0: awake until the next interaction, whatever asleep_ms says.
  CHECK(schedule_of(Plan{-1, -1}).stays_awake());
  CHECK(schedule_of(Plan{-1, 0}).stays_awake());
  CHECK(schedule_of(Plan{-5, 3000}).stays_awake());
  // Sleep until woken on demand, at once or after an awake stretch.
  CHECK(schedule_of(Plan{0, -1}) == sched(0, Then::Sleep, kNever));
  CHECK(schedule_of(Plan{2500, -1}) == sched(2500, Then::Sleep, kNever));
  CHECK_FALSE(schedule_of(Plan{2500, -1}).wakes_proactively());
  // Sleep a while and wake proactively.
  CHECK(schedule_of(Plan{0, 4000}) == sched(0, Then::Sleep, 4000));
  CHECK(schedule_of(Plan{1000, 4000}) == sched(1000, Then::Sleep, 4000));
  CHECK(schedule_of(Plan{1000, 4000}).wakes_proactively());
  // A zero-length sleep is no sleep: ask again when the awake stretch ends...
  CHECK(schedule_of(Plan{1000, 0}) == sched(1000, Then::AskAgain, kNever));
  CHECK_FALSE(schedule_of(Plan{1000, 0}).wakes_proactively());
  // ...and with no awake stretch either, stay awake (no time would pass).
  CHECK(schedule_of(Plan{0, 0}).stays_awake());
}

TEST_CASE("deadlines saturate instead of overflowing") {
  CHECK(add_ms_saturating(1000, 500) == 1500);
  CHECK(add_ms_saturating(1000, kNever) == kNever);
  CHECK(add_ms_saturating(kNever, 5) == kNever);
  CHECK(add_ms_saturating(kNever - 10, 20) == kNever);
  CHECK(add_ms_saturating(kNever - 10, 10) == kNever);
}

TEST_CASE("replay: a zero-length sleep asks again without a wake") {
  const int64_t t0 = 1'000'000;
  TraceSession s = session(t0, 10, {});
  ScriptedPolicy p({Plan{2000, 0}, Plan{2000, 0}, Plan{2000, 0}, Plan{0, -1}});
  SessionReplay r = replay_session(s, p, kCost);
  CHECK(r.wakes == 0);
  CHECK(r.proactive_wakes == 0);
  CHECK(r.awake_s == Approx(6));  // three stretches of 2 s, asked again after each
  CHECK(r.asleep_s == Approx(4)); // then asleep to the end, nothing wakes it
  REQUIRE(p.contexts.size() == 4);
  for (size_t i = 1; i < 4; ++i) {
    CHECK(p.contexts[i].after_proactive_wake);
    CHECK(p.contexts[i].now_wall_ms == t0 + static_cast<int64_t>(i) * 2000);
  }
}

TEST_CASE("replay: a plan of no time at all stays awake until the next interaction") {
  const int64_t t0 = 1'000'000;
  TraceSession s = session(t0, 10, {4});
  ScriptedPolicy p({Plan{0, 0}, Plan{0, -1}});
  SessionReplay r = replay_session(s, p, kCost);
  CHECK(r.wakes == 0);
  CHECK(r.misses == 0);
  CHECK(r.awake_s == Approx(4));  // awake until the play at 4 s
  CHECK(r.asleep_s == Approx(6)); // asleep from it to the end
  REQUIRE(p.contexts.size() == 2);
  CHECK_FALSE(p.contexts[1].after_proactive_wake); // the play is the next decision point
}
