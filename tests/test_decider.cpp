// The control thread's decider (control/decider.h): the session as the policy
// sees it, the context it asks with, the schedule and windows it returns.
#include <catch2/catch.hpp>

#include <vector>

#include "control/decider.h"

using namespace sp;

namespace {

class ScriptedPolicy final : public Policy {
public:
  explicit ScriptedPolicy(Plan p) : p_(p) {}
  std::string name() const override { return "scripted"; }
  Plan plan(const PolicyContext &ctx) override {
    asked.push_back(ctx);
    seen_events.push_back(ctx.session ? ctx.session->events.size() : 0);
    return p_;
  }
  std::vector<PolicyContext> asked;
  std::vector<size_t> seen_events;

private:
  Plan p_;
};

struct View final : PlaybackView {
  int64_t pos = 0;
  bool is_paused = false;
  double r = 1.0;
  int64_t position_ms() const override { return pos; }
  bool paused() const override { return is_paused; }
  double rate() const override { return r; }
};

LivePolicy live(std::shared_ptr<ScriptedPolicy> p, const std::string &name = "scripted") {
  LivePolicy l;
  std::string err;
  REQUIRE(make_starting_policy("auto", p, CostModel::defaults(), -1, nullptr, l, err) == 0);
  l.name = name;
  return l;
}

SessionInfo info() {
  SessionInfo i;
  i.video_id = "vid";
  i.viewer_id = "ann";
  i.genre = "";
  i.duration_ms = 60'000;
  return i;
}

} // namespace

TEST_CASE("decider: the session so far, the player's state and the schedule") {
  auto p = std::make_shared<ScriptedPolicy>(Plan{2'000, 3'000});
  Decider d(live(p), nullptr);
  d.begin_session(17, info(), 1'000'000);
  CHECK(d.session_id() == 17);
  CHECK(d.session().session_id == "17");
  CHECK(d.session().genre == "unknown"); // none given
  REQUIRE(d.session().events.size() == 1);
  CHECK(d.session().events[0].kind == Kind::Open);
  Interaction play;
  play.seq = 2;
  play.kind = Kind::Play;
  d.add(play);

  View v;
  v.pos = 4'000;
  Decider::Decision dec = d.decide(&v, 1'005'000, true);
  // The plan, then once at each planned proactive wake ahead (for the seek bar).
  REQUIRE(p->asked.size() == 1 + static_cast<size_t>(Decider::kMaxWindows));
  CHECK(p->asked[0].now_wall_ms == 1'005'000);
  CHECK(p->asked[0].position_ms == 4'000);
  CHECK_FALSE(p->asked[0].paused);
  CHECK(p->asked[0].after_proactive_wake);
  CHECK(p->seen_events[0] == 2);
  CHECK(dec.schedule == schedule_of(Plan{2'000, 3'000}));
  REQUIRE(dec.windows.size() == static_cast<size_t>(Decider::kMaxWindows));
  CHECK(dec.windows[0] == PredictedWindow{4'000, 6'000});
  CHECK(dec.windows[1] == PredictedWindow{9'000, 11'000});

  // Without a view the player counts as paused at 0.
  d.decide(nullptr, 1'006'000, false);
  CHECK(p->asked.back().paused);
  CHECK(p->asked.back().position_ms == 0);

  DecisionRow row = d.decision_row("sleep", "policy", 3'000, 4'000, 1'005'100);
  CHECK(row.session_id == 17);
  CHECK(row.seq == 2);
  CHECK(row.policy == "scripted");
  CHECK(row.action == "sleep");
  CHECK(row.planned_ms == 3'000);
  CHECK(row.position_ms == 4'000);
  CHECK(row.wall_ms == 1'005'100);

  d.end_session(1'010'000, "stopped");
  CHECK(d.session().end_reason == "stopped");
  CHECK(d.session().end_wall_ms == 1'010'000);
  CHECK_FALSE(d.adopt_retrained()); // no trainer: nothing to adopt
}

TEST_CASE("decider: without a policy the plane stays awake and predicts nothing") {
  Decider d(LivePolicy{}, nullptr);
  d.begin_session(1, info(), 0);
  Decider::Decision dec = d.decide(nullptr, 0, false);
  CHECK(dec.schedule.stays_awake());
  CHECK(dec.windows.empty());
}
