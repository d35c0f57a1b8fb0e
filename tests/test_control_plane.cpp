// The gate and the sleep/wake state machine (control/control_plane.h) on its
// own, with a hand-made playback view and a scripted policy, no player: the
// live side of the one plan-to-schedule rule (a zero-length sleep asks again
// with no sleep and no wake, as in replay: tests/test_schedule.cpp), proactive
// and on-demand wakes, strict mode, and the events it hands on.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "control/control_plane.h"
#include "core/result.h"

using namespace sp;
using namespace std::chrono_literals;

namespace {

struct View final : PlaybackView {
  std::atomic<int64_t> pos{0};
  std::atomic<bool> is_paused{false};
  int64_t position_ms() const override { return pos.load(); }
  bool paused() const override { return is_paused.load(); }
  double rate() const override { return 1.0; }
};

// Returns its plans in turn (the last one forever); records what it was asked.
class ScriptedPolicy final : public Policy {
public:
  explicit ScriptedPolicy(std::vector<Plan> plans) : plans_(std::move(plans)) {}
  std::string name() const override { return "scripted"; }
  Plan plan(const PolicyContext &ctx) override {
    std::lock_guard lk(mu_);
    decisions.push_back(ctx.after_proactive_wake);
    Plan p = plans_[std::min(next_, plans_.size() - 1)];
    ++next_;
    cv_.notify_all();
    return p;
  }
  // Plans handed out so far (the seek bar's look-ahead asks too).
  size_t asked() {
    std::lock_guard lk(mu_);
    return next_;
  }
  std::vector<bool> decisions;

private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Plan> plans_;
  size_t next_ = 0;
};

// Records the host signals and the events.
struct Host {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<bool, WakeReason>> signals;
  std::vector<Event> events;
  ControlSignal signal() {
    return [this](bool awake, WakeReason r) {
      std::lock_guard lk(mu);
      signals.emplace_back(awake, r);
      cv.notify_all();
    };
  }
  EventSink sink() {
    return [this](Event e) {
      std::lock_guard lk(mu);
      events.push_back(std::move(e));
      cv.notify_all();
    };
  }
  bool wait_signals(size_t n) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, 10s, [&] { return signals.size() >= n; });
  }
  size_t count(EventType t) {
    std::lock_guard lk(mu);
    size_t n = 0;
    for (const auto &e : events)
      n += e.type == t;
    return n;
  }
};

std::unique_ptr<ControlPlane> make_plane(View &view, Host &host, std::shared_ptr<Policy> policy,
                                         bool strict = false) {
  ControlOptions o;
  o.policy_override = std::move(policy);
  o.strict = strict;
  o.online_learning = false;
  std::unique_ptr<ControlPlane> plane;
  std::string err;
  REQUIRE(ControlPlane::create(o, &view, host.sink(), plane, err) == kOk);
  plane->set_control_signal(host.signal());
  return plane;
}

SessionInfo info() {
  SessionInfo i;
  i.video_id = "vid";
  i.viewer_id = "ann";
  i.duration_ms = 600'000;
  return i;
}

template <class F> bool eventually(F &&f) {
  for (int i = 0; i < 1000; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

} // namespace

TEST_CASE("live: a zero-length sleep asks again with no sleep and no wake") {
  View view;
  Host host;
  // At the start and at each of two asks again: awake 30 ms then a zero-length
  // sleep; then asleep until called.
  auto policy = std::make_shared<ScriptedPolicy>(std::vector<Plan>{
      Plan{30, 0}, Plan{-1, -1}, Plan{30, 0}, Plan{-1, -1}, Plan{30, 0}, Plan{-1, -1}, Plan{0, -1}});
  // (Each decision asks once for the plan and once more for the seek bar's
  // look-ahead at the end of the awake stretch, hence the -1 plans between.)
  auto plane = make_plane(view, host, policy);
  std::string err;
  int64_t sid = -1;
  REQUIRE(plane->begin_session(info(), &sid, err) == kOk);
  CHECK(sid == 0);               // no behaviour log
  REQUIRE(host.wait_signals(1)); // the plane falls asleep once the policy says so
  std::lock_guard lk(host.mu);
  REQUIRE(host.signals.size() == 1);
  CHECK(host.signals[0] == std::make_pair(false, WakeReason::None));
  ControlStats st = plane->stats();
  CHECK(st.wakes_proactive == 0);
  CHECK(st.wakes_on_demand == 0);
  CHECK(plane->status().state == ControlState::Asleep);
  CHECK(plane->status().wakes_in_ms == -1);
  // Asked at the session start, then twice again at the end of each stretch.
  REQUIRE(policy->decisions.size() >= 7);
  CHECK_FALSE(policy->decisions[0]);
  CHECK(policy->decisions[2]); // asked again: a decision point as after a proactive wake
  CHECK(policy->decisions[4]);
}

TEST_CASE("live: a planned sleep wakes proactively, a call wakes on demand") {
  View view;
  Host host;
  auto policy = std::make_shared<ScriptedPolicy>(std::vector<Plan>{Plan{0, 40}, Plan{0, -1}});
  auto plane = make_plane(view, host, policy);
  std::string err;
  REQUIRE(plane->begin_session(info(), nullptr, err) == kOk);
  REQUIRE(host.wait_signals(3)); // asleep, proactive wake, asleep until called
  {
    std::lock_guard lk(host.mu);
    CHECK(host.signals[0] == std::make_pair(false, WakeReason::None));
    CHECK(host.signals[1] == std::make_pair(true, WakeReason::Proactive));
    CHECK(host.signals[2] == std::make_pair(false, WakeReason::None));
  }
  REQUIRE(eventually([&] { return plane->status().state == ControlState::Asleep; }));
  Interaction play;
  play.kind = Kind::Play;
  CHECK(plane->submit(Kind::Play, 1234, play) == 2); // the Open event is seq 1
  REQUIRE(host.wait_signals(4));
  {
    std::lock_guard lk(host.mu);
    CHECK(host.signals[3] == std::make_pair(true, WakeReason::OnDemand));
  }
  REQUIRE(eventually([&] { return plane->stats().wakes_on_demand == 1; }));
  ControlStats st = plane->stats();
  CHECK(st.wakes_proactive == 1);
  CHECK(st.misses == 1);
  CHECK(st.events_submitted == 2);
  CHECK(st.events_logged == 0); // no behaviour log
  CHECK(st.policy == "scripted");
  CHECK(eventually([&] { return host.count(EventType::ControlWake) == 2; }));
  plane->end_session("stopped");
  plane->shutdown();
  CHECK(plane->predicted_windows().empty()); // no session, nothing predicted
}

TEST_CASE("live: strict mode refuses calls while asleep and counts them") {
  View view;
  Host host;
  auto policy = std::make_shared<ScriptedPolicy>(std::vector<Plan>{Plan{0, -1}});
  auto plane = make_plane(view, host, policy, true);
  std::string err;
  REQUIRE(plane->begin_session(info(), nullptr, err) == kOk);
  REQUIRE(host.wait_signals(1));
  REQUIRE(eventually([&] { return plane->status().state == ControlState::Asleep; }));
  CHECK_FALSE(plane->admit());
  CHECK_FALSE(plane->admit());
  CHECK(plane->stats().misses == 2);
  CHECK(plane->stats().wakes_on_demand == 0);
}
