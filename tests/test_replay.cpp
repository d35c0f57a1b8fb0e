// Trace replay, the cost accounting and the evaluation splits, on hand-made
// sessions whose figures are computed by hand, plus a property over random traces.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <memory>
#include <set>
#include <sstream>

#include "policy_fixtures.h"
#include "policy/evaluate.h"
#include "policy/factory.h"
#include "policy/policies.h"
#include "policy/replay.h"

using namespace sp;
using sp_test::ev;
using sp_test::FixedForecaster;

namespace {
const CostModel kCost{1.0, 30.0, 60.0};


// Open at t0, then one viewer action (pause/play alternating) at each offset
// in seconds, end at t0 + end_s.
TraceSession session_with_actions(const std::vector<double> &action_s, double end_s, int64_t t0 = 1'000'000,
                                  const std::string &id = "s1", const std::string &viewer = "v1") {
  TraceSession s;
  s.session_id = id;
  s.viewer = viewer;
  s.video = "vid";
  s.genre = "drama";
  s.duration_ms = 3'600'000;
  s.start_wall_ms = t0;
  s.end_wall_ms = t0 + static_cast<int64_t>(std::llround(end_s * 1000));
  s.events.push_back(ev(1, Kind::Open, t0, 0));
  int64_t seq = 2;
  bool playing = false;
  for (double a : action_s) {
    int64_t w = t0 + static_cast<int64_t>(std::llround(a * 1000));
    s.events.push_back(ev(seq++, playing ? Kind::Pause : Kind::Play, w, 0));
    playing = !playing;
  }
  return s;
}


// A plan fixed by the test, to exercise the replay's rules.
class ScriptedPolicy : public Policy {
public:
  explicit ScriptedPolicy(std::vector<Plan> plans) : plans_(std::move(plans)) {}
  std::string name() const override { return "scripted"; }
  Plan plan(const PolicyContext &ctx) override {
    contexts.push_back(ctx);
    contexts.back().session = nullptr;  // only valid during the call
    seen_events.push_back(ctx.session ? ctx.session->events.size() : 0);
    if (i_ < plans_.size()) return plans_[i_++];
    return Plan{-1, -1};
  }
  std::vector<PolicyContext> contexts;
  std::vector<size_t> seen_events;

private:
  std::vector<Plan> plans_;
  size_t i_ = 0;
};
} // namespace

TEST_CASE("always-on costs h per second of the session") {
  TraceSession s = session_with_actions({1, 11, 111, 171}, 300);
  AlwaysOnPolicy p;
  CostModel c{2.0, 30.0, 60.0};
  SessionReplay r = replay_session(s, p, c, true);
  CHECK(r.awake_s == Approx(300));
  CHECK(r.asleep_s == 0);
  CHECK(r.wakes == 0);
  CHECK(r.misses == 0);
  CHECK(r.interactions == 4);
  CHECK(r.cost == Approx(600));
  REQUIRE(r.timeline.size() == 1);
  CHECK(r.timeline[0].start_ms == s.start_wall_ms);
  CHECK(r.timeline[0].end_ms == s.end_wall_ms);
}

TEST_CASE("fixed timeout: awake sum(min(gap, tau)), a wake and a miss per gap > tau") {
  // Gaps (s): open->1: 1, 1->11: 10, 11->111: 100, 111->171: 60, 171->end 300: 129.
  TraceSession s = session_with_actions({1, 11, 111, 171}, 300);
  FixedTimeoutPolicy p(30000);
  SessionReplay r = replay_session(s, p, kCost, true);
  CHECK(r.awake_s == Approx(1 + 10 + 30 + 30 + 30));
  CHECK(r.asleep_s == Approx(300 - 101));
  CHECK(r.wakes == 2);   // the gaps of 100 and 60 s end in an action while asleep
  CHECK(r.misses == 2);
  CHECK(r.proactive_wakes == 0);
  CHECK(r.interactions == 4);
  CHECK(r.cost == Approx(101 + 2 * 30 + 2 * 60));
  REQUIRE(r.action_missed.size() == 4);
  CHECK(r.action_missed == std::vector<bool>{false, false, true, true});
  double sum = 0;
  for (const auto &iv : r.timeline) sum += static_cast<double>(iv.end_ms - iv.start_ms) / 1000.0;
  CHECK(sum == Approx(300));
}

TEST_CASE("oracle on a 3-gap session, computed by hand") {
  // Gaps: 5 s (awake: 5), 60 s (sleep+wake: 30), 600 s (30); after the last
  // action 35 s asleep for free. Total 65.
  TraceSession s = session_with_actions({5, 65, 665}, 700);
  CHECK(OraclePolicy::optimal_cost(s, kCost) == Approx(65));
  OraclePolicy o(s, kCost);
  SessionReplay r = replay_session(s, o, kCost);
  CHECK(r.cost == Approx(65));
  CHECK(r.awake_s == Approx(5));
  CHECK(r.wakes == 2);
  CHECK(r.proactive_wakes == 2);
  CHECK(r.misses == 0);
  // The last action at the very end of the session (a stop): the oracle still
  // wakes for it (same 65, nothing after it).
  TraceSession e = session_with_actions({5, 65, 665}, 665);
  CHECK(OraclePolicy::optimal_cost(e, kCost) == Approx(65));
  OraclePolicy oe(e, kCost);
  SessionReplay re = replay_session(e, oe, kCost);
  CHECK(re.interactions == 3);
  CHECK(re.wakes == 2);
  CHECK(re.cost == Approx(65));
  // Expensive wakes and free misses: still never cheaper to miss (a miss is
  // an on-demand wake too); with w = 1000 the oracle stays awake: 700 - 35.
  CostModel c{1.0, 1000.0, 0.0};
  CHECK(OraclePolicy::optimal_cost(s, c) == Approx(665));
  OraclePolicy o2(s, c);
  CHECK(replay_session(s, o2, c).cost == Approx(665));
}

TEST_CASE("replay rules: ties, proactive wakes, non-actions, context") {
  TraceSession s = session_with_actions({10, 40}, 100);
  s.events.push_back(ev(4, Kind::End, s.start_wall_ms + 50000, 3600000));
  SECTION("an action at the instant of a proactive wake is not a miss") {
    ScriptedPolicy p({Plan{0, 10000}, Plan{-1, -1}});
    SessionReplay r = replay_session(s, p, kCost);
    CHECK(r.misses == 0);
    CHECK(r.wakes == 1);
    CHECK(r.proactive_wakes == 1);
    CHECK(r.asleep_s == Approx(10));
    REQUIRE(p.contexts.size() >= 2);
    CHECK(p.contexts[1].after_proactive_wake);
    CHECK(p.contexts[1].now_wall_ms == s.start_wall_ms + 10000);
    CHECK(p.seen_events[1] == 1);  // the action at that instant is not yet seen
  }
  SECTION("an action at the instant of falling asleep is not a miss; inside a sleep it is") {
    ScriptedPolicy p({Plan{10000, -1}, Plan{5000, 100000}, Plan{0, -1}});
    SessionReplay r = replay_session(s, p, kCost, true);
    CHECK(r.interactions == 2);
    CHECK(r.misses == 1);             // the action at 40 s, asleep since 15 s
    CHECK(r.wakes == 1);              // on demand
    CHECK(r.awake_s == Approx(15));   // 0..10, 10..15
    CHECK(r.asleep_s == Approx(85));  // 15..40, 40..100 (the end event does not wake)
    CHECK(r.action_missed == std::vector<bool>{false, true});
    REQUIRE(p.contexts.size() == 3);
    CHECK(p.contexts[2].paused);  // the second action is a pause
  }
  SECTION("position follows play, pause and rate") {
    TraceSession t = session_with_actions({2}, 100);  // open, play at 2 s
    Interaction rate = ev(3, Kind::Rate, t.start_wall_ms + 12000, 10000);
    rate.value = 2.0;
    t.events.push_back(rate);
    ScriptedPolicy p({Plan{-1, -1}, Plan{0, 5000}, Plan{-1, -1}, Plan{0, 4000}, Plan{-1, -1}});
    replay_session(t, p, kCost);
    REQUIRE(p.contexts.size() == 5);
    CHECK(p.contexts[0].paused);                  // opened, not yet playing
    CHECK_FALSE(p.contexts[1].paused);            // play at 2 s
    CHECK(p.contexts[2].position_ms == 5000);     // proactive wake at 7 s: 5 s played
    CHECK(p.contexts[3].rate == 2.0);             // rate at 12 s
    CHECK(p.contexts[4].position_ms == 18000);    // 4 s later at 2x
  }
  SECTION("a policy that never lets time pass cannot hang the replay") {
    ScriptedPolicy p(std::vector<Plan>(10, Plan{0, 0}));
    SessionReplay r = replay_session(s, p, kCost);
    CHECK(r.awake_s + r.asleep_s == Approx(100));
  }
}

TEST_CASE("totals: awake fraction, misses per 100, wakes per hour") {
  ReplayTotals t;
  SessionReplay a;
  a.awake_s = 900;
  a.asleep_s = 2700;
  a.wakes = 6;
  a.misses = 1;
  a.interactions = 20;
  a.cost = 5;
  t.add(a);
  t.add(a);
  CHECK(t.sessions == 2);
  CHECK(t.awake_fraction() == Approx(0.25));
  CHECK(t.misses_per_100() == Approx(5));
  CHECK(t.wakes_per_hour() == Approx(6));
  CHECK(t.cost == Approx(10));
}

namespace {
std::vector<TraceSession> random_traces(uint64_t seed, int n_sessions, int n_viewers) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<TraceSession> out;
  for (int i = 0; i < n_sessions; ++i) {
    std::vector<double> acts;
    double t = 0;
    int n = static_cast<int>(u(rng) * 12);
    for (int k = 0; k < n; ++k) {
      t += -std::log(1 - u(rng)) * (u(rng) < 0.5 ? 8.0 : 200.0);
      acts.push_back(std::round(t * 1000) / 1000);
    }
    double end = u(rng) < 0.3 ? t : t + u(rng) * 300;  // often ends at the last action (a stop)
    int64_t t0 = 1'700'000'000'000 + static_cast<int64_t>(u(rng) * 1e9);
    TraceSession s = session_with_actions(acts, end, t0, "r" + std::to_string(i),
                                          "viewer" + std::to_string(static_cast<int>(u(rng) * n_viewers)));
    const char *genres[] = {"drama", "news", "music"};
    s.genre = genres[i % 3];
    s.duration_ms = 60000 + static_cast<int64_t>(u(rng) * 3'000'000);
    for (auto &e : s.events) e.position_ms = std::min<int64_t>(s.duration_ms, e.wall_ms - t0);
    out.push_back(s);
  }
  return out;
}
} // namespace

TEST_CASE("property: no policy beats the oracle, on any session") {
  auto traces = random_traces(42, 300, 40);
  auto fit = std::make_shared<SeedGenreFit>(SeedGenreFit::train(traces));
  // Forecasters: exponential time to the next action with a few means.
  std::vector<std::unique_ptr<FixedForecaster>> fcs;
  for (double mean_s : {5.0, 60.0, 600.0}) {
    Forecast f;
    for (int64_t t = 1000; t <= 1800000; t = t < 60000 ? t + 1000 : t + 30000) {
      f.horizon_ms.push_back(t);
      f.cdf.push_back(1 - std::exp(-static_cast<double>(t) / (mean_s * 1000)));
    }
    fcs.push_back(std::make_unique<FixedForecaster>(f));
  }
  for (CostModel c : {kCost, CostModel{1, 5, 200}, CostModel{0.5, 100, 0}}) {
    for (const auto &s : traces) {
      double opt = OraclePolicy::optimal_cost(s, c);
      OraclePolicy o(s, c);
      CHECK(replay_session(s, o, c).cost == Approx(opt).margin(1e-6));
      std::vector<std::unique_ptr<Policy>> ps;
      ps.push_back(std::make_unique<AlwaysOnPolicy>());
      for (int64_t tau : {0, 5000, 30000, 300000}) ps.push_back(std::make_unique<FixedTimeoutPolicy>(tau));
      ps.push_back(std::make_unique<SeedGenrePolicy>(fit));
      for (const auto &f : fcs) ps.push_back(std::make_unique<LearnedPolicy>(*f, c));
      for (auto &p : ps) {
        SessionReplay r = replay_session(s, *p, c);
        INFO(p->name() << " on " << s.session_id);
        CHECK(r.cost >= opt - 1e-6);
        CHECK(r.awake_s + r.asleep_s == Approx(static_cast<double>(s.end_wall_ms - s.start_wall_ms) / 1000.0));
        CHECK(r.misses <= r.wakes);
        CHECK(r.interactions == static_cast<int64_t>(s.events.size()) - 1);
      }
    }
  }
}

TEST_CASE("splits: by time has no time overlap, by viewer no viewer overlap") {
  auto traces = random_traces(7, 500, 60);
  Split ts = split_by_time(traces);
  REQUIRE(!ts.train.empty());
  REQUIRE(!ts.test.empty());
  CHECK(ts.train.size() + ts.test.size() == traces.size());
  int64_t max_train = 0, min_test = INT64_MAX;
  for (auto *s : ts.train) max_train = std::max(max_train, s->start_wall_ms);
  for (auto *s : ts.test) min_test = std::min(min_test, s->start_wall_ms);
  CHECK(max_train < min_test);
  CHECK(static_cast<double>(ts.train.size()) / static_cast<double>(traces.size()) == Approx(0.7).margin(0.01));

  Split vs = split_by_viewer(traces);
  REQUIRE(!vs.train.empty());
  REQUIRE(!vs.test.empty());
  CHECK(vs.train.size() + vs.test.size() == traces.size());
  std::set<std::string> train_viewers, test_viewers;
  for (auto *s : vs.train) train_viewers.insert(s->viewer);
  for (auto *s : vs.test) test_viewers.insert(s->viewer);
  for (const auto &v : test_viewers) CHECK(train_viewers.count(v) == 0);
  // Deterministic: the same viewer always lands on the same side.
  CHECK(viewer_hash("viewer1") == viewer_hash("viewer1"));
  CHECK(split_by_viewer(traces).test.size() == vs.test.size());
}

TEST_CASE("no leakage: models and fits see only the train part") {
  auto traces = random_traces(11, 400, 50);
  for (const Split &sp : {split_by_time(traces), split_by_viewer(traces)}) {
    std::set<std::string> seen_by_trainer;
    ForecasterTrainer trainer = [&](const std::vector<const TraceSession *> &train,
                                    std::string &) -> std::shared_ptr<const Forecaster> {
      for (auto *s : train) seen_by_trainer.insert(s->session_id);
      return std::make_shared<FixedForecaster>(Forecast{{1000, 60000}, {0.1, 0.5}});
    };
    TrainedForSplit tr;
    std::string err;
    REQUIRE(train_for_split(sp, true, SeedGenreFit::kDefaultLambda, trainer, tr, err));
    std::set<std::string> test_ids;
    for (auto *s : sp.test) test_ids.insert(s->session_id);
    REQUIRE(!test_ids.empty());
    for (const auto &id : test_ids) {
      CHECK(seen_by_trainer.count(id) == 0);
      CHECK(tr.seed_fit->trained_on().count(id) == 0);
      CHECK(tr.train_ids.count(id) == 0);
    }
    CHECK(seen_by_trainer.size() == sp.train.size());
    tr.reference = std::make_shared<FixedForecaster>(Forecast{{1000, 60000}, {0.2, 0.6}});
    std::map<std::string, PolicyFigures> figs;
    REQUIRE(evaluate_sessions(sp.test, policy_names(), PolicyParams{kCost, -1, {}, true, {}}, tr, figs, err));
    REQUIRE(figs.size() == policy_names().size());
    CHECK(figs["oracle"].cost_ratio_to_oracle == Approx(1));
    for (auto &[name, f] : figs) {
      INFO(name);
      CHECK(f.cost_ratio_to_oracle >= 1 - 1e-9);
      CHECK(f.totals.sessions == static_cast<int64_t>(sp.test.size()));
    }
  }
}

TEST_CASE("evaluation reports a trainer failure and a policy that cannot be built") {
  auto traces = random_traces(3, 50, 10);
  Split sp = split_by_time(traces);
  TrainedForSplit tr;
  std::string err;
  ForecasterTrainer bad = [](const std::vector<const TraceSession *> &, std::string &e) -> std::shared_ptr<const Forecaster> {
    e = "too few sessions";
    return nullptr;
  };
  CHECK_FALSE(train_for_split(sp, true, 1.0, bad, tr, err));
  CHECK(err == "too few sessions");
  TrainedForSplit none;
  std::map<std::string, PolicyFigures> figs;
  CHECK_FALSE(evaluate_sessions(sp.test, {"learned"}, PolicyParams{}, none, figs, err));
  CHECK(err.find("forecaster") != std::string::npos);
}

namespace {
// Sessions with every kind of event, valid payloads, and times that are often
// equal and sometimes go back (a wall clock that stepped back), including
// before the session's start and behind a later `end` or `open`.
std::vector<TraceSession> unordered_traces(uint64_t seed, int n_sessions) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<TraceSession> out;
  for (int i = 0; i < n_sessions; ++i) {
    TraceSession s;
    s.session_id = "u" + std::to_string(i);
    s.viewer = "viewer" + std::to_string(i % 7);
    s.video = "vid" + std::to_string(i % 5);
    s.genre = i % 2 ? "news" : "drama";
    s.duration_ms = 600000;
    const int64_t t0 = 1'700'000'000'000 + static_cast<int64_t>(u(rng) * 1e9);
    s.start_wall_ms = t0;
    s.events.push_back(ev(1, Kind::Open, t0, 0));
    int64_t wall = t0;
    const int n = static_cast<int>(u(rng) * 14);
    for (int k = 0; k < n; ++k) {
      double r = u(rng);
      if (r < 0.3) {
        // simultaneous with the previous event
      } else if (r < 0.5) {
        wall -= static_cast<int64_t>(u(rng) * 90000);  // back, maybe before the start
      } else {
        wall += static_cast<int64_t>(-std::log(1 - u(rng)) * (u(rng) < 0.5 ? 8000.0 : 200000.0));
      }
      Kind kind = static_cast<Kind>(static_cast<int>(u(rng) * kKindCount));
      Interaction e = ev(static_cast<int64_t>(s.events.size()) + 1, kind, wall, std::clamp<int64_t>(wall - t0, 0, 600000));
      switch (kind) {
      case Kind::Seek:
        e.from_ms = e.position_ms;
        e.to_ms = static_cast<int64_t>(u(rng) * 600000);
        break;
      case Kind::Skip: e.value = u(rng) < 0.5 ? 1.0 : -1.0; break;
      case Kind::Volume:
        e.old_value = 100;
        e.value = std::round(u(rng) * 100);
        break;
      case Kind::Mute:
        e.old_value = 0;
        e.value = 1;
        break;
      case Kind::Rate:
        e.old_value = 1.0;
        e.value = u(rng) < 0.5 ? 0.5 : 2.0;
        break;
      default: break;
      }
      s.events.push_back(e);
    }
    int64_t last = t0;
    for (const auto &e : s.events) last = std::max(last, e.wall_ms);
    double r = u(rng);
    s.end_wall_ms = r < 0.2 ? 0 : r < 0.5 ? last : last + static_cast<int64_t>(u(rng) * 300000);
    out.push_back(s);
  }
  return out;
}

bool times_go_back(const TraceSession &s) {
  int64_t prev = s.start_wall_ms;
  for (const auto &e : s.events) {
    if (e.wall_ms < prev) return true;
    prev = e.wall_ms;
  }
  return s.end_wall_ms != 0 && s.end_wall_ms < prev;
}

// Every policy replayed on s under c costs at least the oracle's closed form,
// and the oracle replayed costs exactly that.
void check_oracle_is_a_lower_bound(const TraceSession &s, const CostModel &c,
                                   const std::shared_ptr<SeedGenreFit> &fit,
                                   const std::vector<std::unique_ptr<FixedForecaster>> &fcs) {
  const double opt = OraclePolicy::optimal_cost(s, c);
  OraclePolicy o(s, c);
  INFO("session " << s.session_id << ", cost model " << c.to_string());
  CHECK(replay_session(s, o, c).cost == Approx(opt).margin(1e-6));
  std::vector<std::unique_ptr<Policy>> ps;
  ps.push_back(std::make_unique<AlwaysOnPolicy>());
  for (int64_t tau : {0, 1000, 5000, 30000, 300000}) ps.push_back(std::make_unique<FixedTimeoutPolicy>(tau));
  ps.push_back(std::make_unique<SeedGenrePolicy>(fit));
  for (const auto &f : fcs) ps.push_back(std::make_unique<LearnedPolicy>(*f, c));
  for (auto &p : ps) {
    SessionReplay r = replay_session(s, *p, c);
    INFO(p->name());
    CHECK(r.cost >= opt - 1e-6);
    CHECK(r.misses <= r.wakes);
  }
}
} // namespace

TEST_CASE("property: no policy beats the oracle, with every kind and simultaneous or out-of-order times") {
  const auto traces = unordered_traces(7, 3000);
  size_t back = 0;
  for (const auto &s : traces) back += times_go_back(s) ? 1 : 0;
  REQUIRE(back > traces.size() / 4);       // plenty of each
  REQUIRE(back < traces.size() * 3 / 4);
  auto fit = std::make_shared<SeedGenreFit>(SeedGenreFit::train(traces));
  std::vector<std::unique_ptr<FixedForecaster>> fcs;
  for (double mean_s : {2.0, 20.0, 200.0}) {
    Forecast f;
    for (int64_t t = 1000; t <= 1800000; t = t < 60000 ? t + 1000 : t + 30000) {
      f.horizon_ms.push_back(t);
      f.cdf.push_back(1 - std::exp(-static_cast<double>(t) / (mean_s * 1000)));
    }
    fcs.push_back(std::make_unique<FixedForecaster>(f));
  }
  const std::vector<CostModel> costs = {kCost, CostModel{1, 5, 200}, CostModel{0.5, 100, 0}, CostModel{1, 0, 10}};

  SECTION("sessions as a behaviour log may hold them (no reader in between)") {
    for (const CostModel &c : costs)
      for (const auto &s : traces) check_oracle_is_a_lower_bound(s, c, fit, fcs);
  }
  SECTION("sessions through the trace reader: times that go back are refused, line by line") {
    std::stringstream ss;
    write_traces(ss, traces);
    TraceReadResult r = read_traces(ss, OnMalformed::Skip);
    CHECK(r.ok);
    REQUIRE(r.errors.size() == back);
    REQUIRE(r.sessions.size() == traces.size() - back);
    size_t k = 0;
    for (size_t i = 0; i < traces.size(); ++i) {
      if (!times_go_back(traces[i])) continue;
      INFO(r.errors[k].message);
      CHECK(r.errors[k].line == i + 1);
      const std::string &m = r.errors[k].message;
      CHECK((m.find("(times must not go back)") != std::string::npos ||
             m.find("before the last event's \"wall_ms\"") != std::string::npos));
      ++k;
    }
    for (const CostModel &c : costs)
      for (const auto &s : r.sessions) check_oracle_is_a_lower_bound(s, c, fit, fcs);
  }
}
