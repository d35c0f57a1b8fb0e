// The sleep policies on hand-made inputs whose answers are computed by hand.
#include <catch2/catch.hpp>

#include <cmath>
#include <set>

#include "policy_fixtures.h"
#include "core/saturating.h"
#include "policy/factory.h"
#include "policy/policies.h"
#include "policy/replay.h"

using namespace sp;
using sp_test::ev;
using sp_test::FixedForecaster;

namespace {


const CostModel kCost{1.0, 30.0, 60.0};

TraceSession meta_session(const std::string &genre, int64_t duration_ms) {
  return TraceSession{.session_id = "s",
                      .viewer = "v",
                      .video = "vid",
                      .genre = genre,
                      .duration_ms = duration_ms,
                      .end_reason = {},
                      .events = {}};
}
} // namespace

TEST_CASE("cost model: defaults, parse and print") {
  CostModel d = CostModel::defaults();
  CHECK(d.h == 1.0);
  CHECK(d.w == 30.0);
  CHECK(d.m == 60.0);
  CostModel c{};
  REQUIRE(CostModel::parse("2,10.5,0", c));
  CHECK(c.h == 2.0);
  CHECK(c.w == 10.5);
  CHECK(c.m == 0.0);
  REQUIRE(CostModel::parse(" 1 , 2 , 3 ", c));
  CHECK(c.m == 3.0);
  REQUIRE(CostModel::parse("+1.5,3e1,.5", c)); // plain decimal: a '+', an exponent, no leading digit
  CHECK(c.h == 1.5);
  CHECK(c.w == 30.0);
  CHECK(c.m == 0.5);
  CostModel keep{7, 8, 9};
  for (const char *bad : {"", "1,2", "1,2,3,4", "a,b,c", "1,-2,3", "1,,3", "1,2,3x", "nan,1,1", "inf,1,1",
                          // hex (strtod's) and other non-decimal forms
                          "0x1,30,60", "1,0x1e,60", "1,30,0x3C", "0x1p3,1,1", "1,-0,1", "1,+-2,3", "1,2,3 4",
                          // h = 0: awake time free, nothing to save by sleeping (every ratio infinite)
                          "0,30,60", "0.0,1,1", "-0,1,1"}) {
    INFO(bad);
    std::string why;
    CHECK_FALSE(CostModel::parse(bad, keep, &why));
    CHECK_FALSE(why.empty());
  }
  CHECK(keep.h == 7);  // untouched on failure
  std::string why;
  CHECK_FALSE(CostModel::parse("0x1,30,60", keep, &why));
  CHECK(why.find("h = \"0x1\" is not a plain decimal number") != std::string::npos);
  CHECK_FALSE(CostModel::parse("0,30,60", keep, &why));
  CHECK(why.find("h must be > 0") != std::string::npos);
  CHECK(CostModel{1, 30, 60}.to_string() == "h=1,w=30,m=60");
}

TEST_CASE("always-on and fixed-timeout plans") {
  PolicyContext ctx;
  AlwaysOnPolicy a;
  CHECK(a.plan(ctx).awake_ms == -1);
  CHECK(a.plan(ctx).asleep_ms == -1);
  CHECK(FixedTimeoutPolicy::default_tau_ms(kCost) == 30000);  // w/h seconds
  // A host's cost model may make w/h huge: "for ever", never an overflow.
  CHECK(FixedTimeoutPolicy::default_tau_ms(CostModel{1e-6, 1e5, 60}) == kForeverMs);
  CHECK(FixedTimeoutPolicy::default_tau_ms(CostModel{1e-300, 1e300, 60}) == kForeverMs);
  CHECK(FixedTimeoutPolicy::default_tau_ms(CostModel{0, 30, 60}) == -1);
  FixedTimeoutPolicy f(12000);
  Plan p = f.plan(ctx);
  CHECK(p.awake_ms == 12000);
  CHECK(p.asleep_ms == -1);
}

TEST_CASE("factory builds every policy by name and reports what is missing") {
  PolicyParams params;
  params.cost = kCost;
  PolicyInputs in;
  std::string err;
  CHECK(make_policy("always-on", params, in, err)->name() == "always-on");
  auto ft = make_policy("fixed-timeout", params, in, err);
  REQUIRE(ft);
  CHECK(dynamic_cast<FixedTimeoutPolicy &>(*ft).tau_ms() == 30000);
  params.timeout_ms = 5000;
  CHECK(dynamic_cast<FixedTimeoutPolicy &>(*make_policy("fixed-timeout", params, in, err)).tau_ms() == 5000);

  CHECK_FALSE(make_policy("seed-genre", params, in, err));
  CHECK(err.find("seed-genre") != std::string::npos);
  CHECK_FALSE(make_policy("learned", params, in, err));
  CHECK(err.find("forecaster") != std::string::npos);
  CHECK_FALSE(make_policy("oracle", params, in, err));
  CHECK(err.find("full session") != std::string::npos);
  CHECK_FALSE(make_policy("bayes", params, in, err));
  CHECK(err.find("truth") != std::string::npos);
  CHECK_FALSE(make_policy("sometimes", params, in, err));
  CHECK(err.find("unknown policy") != std::string::npos);

  TraceSession s = meta_session("drama", 1000);
  FixedForecaster ff(Forecast{{1000}, {0.5}});
  in.seed_fit = std::make_shared<SeedGenreFit>(SeedGenreFit::train(std::vector<TraceSession>{}));
  in.forecaster = &ff;
  in.full_session = &s;
  in.reference = &ff;
  for (const auto &n : policy_names()) {
    auto p = make_policy(n, params, in, err);
    REQUIRE(p);
    CHECK(p->name() == n);
  }
}

TEST_CASE("seed-genre: a flat histogram is fitted exactly, so every percentage is awake") {
  std::array<double, 101> h{};
  h.fill(4.0);
  GenreWindows g = SeedGenreFit::fit_histogram(h);
  for (int p = 0; p <= 100; ++p) CHECK(std::abs(g.fit[static_cast<size_t>(p)] - 4.0) < 1e-9);
  CHECK(g.awake_set().size() == 101);
}

TEST_CASE("seed-genre: all interactions at 50 % -> awake at 0, 50, 51, 99, 100 (heavy ridge)") {
  std::array<double, 101> h{};
  h[50] = 101.0;
  // With a very large lambda the fit is the mean (1 per bin): residual 100 at
  // 50 %, -1 elsewhere; the mean residual is 0, so only 50 (and 51) pass.
  GenreWindows g = SeedGenreFit::fit_histogram(h, 1e12);
  CHECK(std::abs(g.mean_residual) < 1e-6);
  CHECK(g.awake_set() == std::set<int>{0, 50, 51, 99, 100});
}

TEST_CASE("seed-genre: default ridge keeps the rule's invariants") {
  std::array<double, 101> h{};
  h[50] = 101.0;
  GenreWindows g = SeedGenreFit::fit_histogram(h);  // lambda 1
  // The intercept is not penalised, so residuals sum to zero.
  CHECK(std::abs(g.mean_residual) < 1e-6);
  for (int p : {0, 50, 51, 99, 100}) CHECK(g.awake[static_cast<size_t>(p)]);
  for (int p = 0; p <= 100; ++p) {
    double r = g.counts[static_cast<size_t>(p)] - g.fit[static_cast<size_t>(p)];
    bool expect = r >= g.mean_residual - 1e-9 || (p > 0 && g.counts[static_cast<size_t>(p - 1)] - g.fit[static_cast<size_t>(p - 1)] >= g.mean_residual - 1e-9) ||
                  p == 0 || p == 99 || p == 100;
    INFO(p);
    CHECK(g.awake[static_cast<size_t>(p)] == expect);
  }
  // The fit is the degree-5 polynomial of its coefficients.
  double x = 0.37, v = 0, xp = 1;
  for (double c : g.coef) { v += c * xp; xp *= x; }
  CHECK(std::abs(v - g.fit[37]) < 1e-9);
}

TEST_CASE("seed-genre: trained per genre from sessions, pooled fit for unseen genres") {
  std::vector<TraceSession> train;
  for (int i = 0; i < 10; ++i) {
    std::string id = "d";
    id += std::to_string(i);
    TraceSession s = meta_session("drama", 200000);
    s.session_id = std::move(id);
    s.events = {ev(1, Kind::Open, 0, 0), ev(2, Kind::Pause, 1000, 100000) /* 50 % */, ev(3, Kind::End, 2000, 200000)};
    train.push_back(s);
  }
  SeedGenreFit fit = SeedGenreFit::train(train, 1e12);
  REQUIRE(fit.windows("drama"));
  CHECK(fit.windows("drama")->interactions == 10);  // open and end are not viewer actions
  CHECK(fit.windows("drama")->awake_set() == std::set<int>{0, 50, 51, 99, 100});
  REQUIRE(fit.windows("never-seen"));
  CHECK(fit.windows("never-seen") == &fit.genres().at(SeedGenreFit::kAllGenres));
  CHECK(fit.trained_on().size() == 10);
  CHECK(SeedGenreFit::train(std::vector<TraceSession>{}).windows("drama") == nullptr);
}

TEST_CASE("seed-genre plan: sleeps outside the windows and wakes at the next one") {
  std::vector<TraceSession> train;
  TraceSession t = meta_session("drama", 100000);
  t.events = {ev(1, Kind::Pause, 0, 50000)};
  train.push_back(t);
  auto fit = std::make_shared<SeedGenreFit>(SeedGenreFit::train(train, 1e12));
  REQUIRE(fit->windows("drama")->awake_set() == std::set<int>{0, 50, 51, 99, 100});
  SeedGenrePolicy pol(fit);
  TraceSession s = meta_session("drama", 100000);  // 1 % = 1 s of media
  PolicyContext ctx;
  ctx.session = &s;
  ctx.position_ms = 10000;  // 10 %: asleep, wake at 50 %
  ctx.rate = 1.0;
  Plan p = pol.plan(ctx);
  CHECK(p.awake_ms == 0);
  CHECK(p.asleep_ms == 40000);
  ctx.rate = 2.0;  // twice as fast: half the wall time
  p = pol.plan(ctx);
  CHECK(p.awake_ms == 0);
  CHECK(p.asleep_ms == 20000);
  ctx.rate = 1.0;
  ctx.position_ms = 50500;  // inside 50 %: awake to 52 %, asleep to 99 %
  p = pol.plan(ctx);
  CHECK(p.awake_ms == 1500);
  CHECK(p.asleep_ms == 47000);
  ctx.position_ms = 99500;  // 99 % .. 100 %: awake to the end
  p = pol.plan(ctx);
  CHECK(p.awake_ms == -1);
  ctx.paused = true;
  ctx.position_ms = 10000;
  p = pol.plan(ctx);
  CHECK(p.awake_ms == 0);
  CHECK(p.asleep_ms == -1);  // paused outside a window: until the viewer acts
  ctx.position_ms = 50200;
  CHECK(pol.plan(ctx).awake_ms == -1);  // paused inside a window: awake
  TraceSession unknown_len = meta_session("drama", 0);
  ctx.session = &unknown_len;
  CHECK(pol.plan(ctx).awake_ms == -1);
}

TEST_CASE("seed-genre plan: a proactive wake a few ms before its window does not nap and wake again") {
  std::vector<TraceSession> train;
  TraceSession t = meta_session("drama", 100000);
  t.events = {ev(1, Kind::Pause, 0, 50000)};
  train.push_back(t);
  auto fit = std::make_shared<SeedGenreFit>(SeedGenreFit::train(train, 1e12));  // awake {0, 50, 51, 99, 100}
  SeedGenrePolicy pol(fit);
  TraceSession s = meta_session("drama", 100000);
  PolicyContext ctx;
  ctx.session = &s;
  ctx.rate = 1.0;
  ctx.after_proactive_wake = true;
  ctx.position_ms = 49990;  // the clock 10 ms short of the 50 % window
  Plan p = pol.plan(ctx);
  CHECK(p.awake_ms == 2010);    // awake through 50 % and 51 %
  CHECK(p.asleep_ms == 47000);  // then asleep to 99 %
  ctx.position_ms = 49000;      // a whole second short: still asleep until the window
  p = pol.plan(ctx);
  CHECK(p.awake_ms == 0);
  CHECK(p.asleep_ms == 1000);
}

TEST_CASE("learned: an action certainly at 60 s -> sleep now, wake just before 60 s") {
  FixedForecaster f(Forecast{{1000, 59000, 60000, 600000}, {0.0, 0.0, 1.0, 1.0}});
  LearnedPolicy pol(f, kCost);
  PolicyContext ctx;
  Plan p = pol.plan(ctx);
  CHECK(p.awake_ms == 0);
  CHECK(p.asleep_ms >= 55000);
  CHECK(p.asleep_ms <= 59000);
  double ec = 0;
  LearnedPolicy::plan_for(f.forecast(ctx), kCost, {}, &ec);
  CHECK(ec == Approx(30.5));  // one wake + on average half a second awake before the action
}

TEST_CASE("learned: an action any moment now -> stay awake") {
  FixedForecaster f(Forecast{{1000, 2000, 5000, 600000}, {0.95, 0.99, 1.0, 1.0}});
  LearnedPolicy pol(f, kCost);
  PolicyContext ctx;
  Plan p = pol.plan(ctx);
  // Awake until the action has surely come (5 s, where the cdf reaches 1);
  // the forecast puts no mass after that, so nothing is expected: sleep until
  // the viewer acts, as after the last horizon (not awake to 600 s).
  CHECK(p.awake_ms == 5000);
  CHECK(p.asleep_ms == -1);
  // Its expected cost is the expected time awake, h * integral of (1 - F)
  // over [0, 5 s] with F piecewise linear: 0.525 + 0.03 + 0.015 seconds.
  double ec = 0;
  LearnedPolicy::plan_for(f.forecast(ctx), kCost, {}, &ec);
  CHECK(ec == Approx(0.57));
}

TEST_CASE("learned: a cdf that reaches 1 early ends the awake stretch there, wherever the window ends") {
  // Certainly an action within 30 s (uniform over it), then 10 minutes of a
  // window in which the forecast expects nothing.
  for (int64_t end : {60000, 600000, 1800000}) {
    INFO("window to " << end << " ms");
    FixedForecaster f(Forecast{{30000, end}, {1.0, 1.0}});
    Plan p = LearnedPolicy::plan_for(f.forecast(PolicyContext{}), kCost, {});
    CHECK(p.awake_ms == 30000);
    CHECK(p.asleep_ms == -1);
  }
}

TEST_CASE("learned: nothing expected -> sleep until the viewer acts") {
  FixedForecaster f(Forecast{{1000, 600000}, {0.0, 0.0}});
  LearnedPolicy pol(f, kCost);
  PolicyContext ctx;
  Plan p = pol.plan(ctx);
  CHECK(p.awake_ms == 0);
  CHECK(p.asleep_ms == -1);
  Plan empty = LearnedPolicy::plan_for(Forecast{}, kCost, {});
  CHECK(empty.awake_ms == 0);
  CHECK(empty.asleep_ms == -1);
}

TEST_CASE("learned: a larger miss weight never plans a riskier sleep") {
  // Exponential time to the next action, mean 120 s.
  Forecast fc;
  for (int64_t t = 5000; t <= 1800000; t += 5000) {
    fc.horizon_ms.push_back(t);
    fc.cdf.push_back(1.0 - std::exp(-static_cast<double>(t) / 120000.0));
  }
  auto miss_prob = [&](const Plan &p) {
    if (p.awake_ms < 0) return 0.0;
    double a = 1.0 - std::exp(-static_cast<double>(p.awake_ms) / 120000.0);
    double b = p.asleep_ms < 0 ? 1.0 : 1.0 - std::exp(-static_cast<double>(p.awake_ms + p.asleep_ms) / 120000.0);
    return b - a;
  };
  double prev = 2.0;
  for (double s : {0.01, 0.3, 1.0, 3.0, 30.0}) {
    LearnedParams lp;
    lp.miss_scale = s;
    Plan p = LearnedPolicy::plan_for(fc, kCost, lp);
    double mp = miss_prob(p);
    INFO("miss_scale " << s << " plan " << p.awake_ms << "," << p.asleep_ms);
    CHECK(mp <= prev + 1e-9);
    prev = mp;
  }
  CHECK(prev < 0.5);
}

TEST_CASE("oracle plan: awake through short gaps, sleep-and-wake through long ones") {
  TraceSession s = meta_session("drama", 1000000);
  s.events = {ev(1, Kind::Open, 0, 0), ev(2, Kind::Play, 10000, 0), ev(3, Kind::Pause, 110000, 100000)};
  s.end_wall_ms = 200000;
  OraclePolicy o(s, kCost);
  TraceSession seen = s;
  seen.events.resize(1);
  PolicyContext ctx;
  ctx.session = &seen;
  ctx.now_wall_ms = 0;
  Plan p = o.plan(ctx);  // gap 10 s: 10 <= 30
  CHECK(p.awake_ms == -1);
  seen.events.resize(2);
  ctx.now_wall_ms = 10000;
  p = o.plan(ctx);  // gap 100 s: wake exactly at the action
  CHECK(p.awake_ms == 0);
  CHECK(p.asleep_ms == 100000);
  seen.events.resize(3);
  ctx.now_wall_ms = 110000;
  p = o.plan(ctx);  // nothing left
  CHECK(p.awake_ms == 0);
  CHECK(p.asleep_ms == -1);
}

TEST_CASE("seed-genre replayed: proactive wake at the window, miss outside it") {
  std::vector<TraceSession> train;
  TraceSession t = meta_session("drama", 100000);
  t.events = {ev(1, Kind::Pause, 0, 50000)};
  train.push_back(t);
  auto fit = std::make_shared<SeedGenreFit>(SeedGenreFit::train(train, 1e12));  // awake {0, 50, 51, 99, 100}
  TraceSession s = meta_session("drama", 100000);
  s.start_wall_ms = 0;
  s.end_wall_ms = 80000;
  s.events = {ev(1, Kind::Open, 0, 0), ev(2, Kind::Play, 1000, 0), ev(3, Kind::Pause, 71000, 70000)};
  SeedGenrePolicy pol(fit);
  SessionReplay r = replay_session(s, pol, kCost, true);
  // awake 0..2 s (opened at 0 %, playing through 1 %), asleep to 51 s (50 %),
  // awake to 53 s (52 %), asleep; the pause at 71 s is a miss (on-demand wake),
  // then paused at 70 %: asleep to the end at 80 s.
  CHECK(r.awake_s == Approx(4));
  CHECK(r.asleep_s == Approx(76));
  CHECK(r.proactive_wakes == 1);
  CHECK(r.wakes == 2);
  CHECK(r.misses == 1);
  CHECK(r.cost == Approx(4 + 2 * 30 + 60));
  REQUIRE(r.timeline.size() == 4);
  CHECK(r.timeline[1].start_ms == 2000);
  CHECK(r.timeline[1].end_ms == 51000);
  CHECK_FALSE(r.timeline[1].awake);
}
