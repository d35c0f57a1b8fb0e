// The Bayes reference (src/sim/bayes.h): its forecasts match what the
// simulator actually does (calibration over many decision points, in every
// mode), and planning with them beats every other policy on simulated traces.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

#include "core/interaction.h"
#include "policy/factory.h"
#include "policy/policies.h"
#include "policy/replay.h"
#include "sim/bayes.h"
#include "sim/simulator.h"
#include "trace/playback.h"

using sp::Kind;
using sp::TraceSession;
using namespace sp::sim;

namespace {

struct Calib {
  // per horizon: per predicted-probability decile: sum predicted, sum observed, count
  static constexpr std::array<int64_t, 7> kH = {1000, 2000, 5000, 10000, 30000, 120000, 600000};
  std::array<std::array<std::array<double, 3>, 10>, kH.size()> bins{};
  void add(size_t h, double p, bool y) {
    auto b = std::min<size_t>(9, static_cast<size_t>(p * 10));
    bins[h][b][0] += p;
    bins[h][b][1] += y;
    bins[h][b][2] += 1;
  }
};

// Decision points like the replay's: at the open and every viewer action, and
// `delays` later while nothing has happened yet; outcome: the next viewer
// action within each horizon (before the session's end).
Calib calibrate(const std::vector<TraceSession> &sessions, const BayesForecaster &bf,
                const std::vector<int64_t> &delays) {
  Calib c;
  for (const auto &s : sessions) {
    sp::PlaybackState st;
    st.duration_ms = s.duration_ms;
    TraceSession seen = s;
    seen.events.clear();
    for (size_t i = 0; i < s.events.size(); ++i) {
      const auto &e = s.events[i];
      st.apply(e, e.wall_ms);
      seen.events.push_back(e);
      if (e.kind == Kind::End || e.kind == Kind::Stop) break;
      if (i > 0 && !sp::is_viewer_action(e.kind)) continue;
      int64_t next = -1;
      for (size_t j = i + 1; j < s.events.size(); ++j)
        if (sp::is_viewer_action(s.events[j].kind)) {
          next = s.events[j].wall_ms;
          break;
        }
      for (int64_t d : delays) {
        const int64_t now = e.wall_ms + d;
        if (now >= s.end_wall_ms || (next >= 0 && next <= now)) continue;
        // Non-actions (end) between the action and now only update the state:
        // the sim has none before the session's end.
        sp::PolicyContext ctx;
        ctx.session = &seen;
        ctx.now_wall_ms = now;
        ctx.position_ms = st.position_at(now);
        ctx.paused = st.paused;
        ctx.rate = st.rate;
        auto fc = bf.forecast(ctx);
        for (size_t h = 0; h < Calib::kH.size(); ++h) {
          const int64_t horizon = Calib::kH[h];
          // The session's end is part of the forecast (no action after it), not a censoring.
          c.add(h, fc.cdf_at(horizon), next >= 0 && next <= now + horizon);
        }
      }
    }
  }
  return c;
}

void check_calibration(const Calib &c, double tol_bin) {
  for (size_t h = 0; h < Calib::kH.size(); ++h) {
    double sp = 0, so = 0, n = 0;
    for (const auto &b : c.bins[h]) {
      sp += b[0];
      so += b[1];
      n += b[2];
      if (b[2] >= 400) {
        INFO("horizon " << Calib::kH[h] << " ms, bin mean predicted " << b[0] / b[2] << ", observed "
                        << b[1] / b[2] << " (" << b[2] << " points)");
        // Binomial noise: 3 standard errors, plus the tolerance.
        const double p = b[0] / b[2];
        CHECK(std::abs(b[0] / b[2] - b[1] / b[2]) <= tol_bin + 3 * std::sqrt(p * (1 - p) / b[2]));
      }
    }
    REQUIRE(n > 1000);
    INFO("horizon " << Calib::kH[h] << " ms: mean predicted " << sp / n << ", observed " << so / n << " ("
                    << n << ")");
    CHECK(std::abs(sp / n - so / n) <= 0.015 + 3 * std::sqrt(0.25 / n));
  }
}

std::shared_ptr<const Truth> truth_of(const Simulator &sim) {
  return std::make_shared<Truth>(sim.truth());
}

SimOptions options(Mode m, int viewers, uint64_t seed) {
  SimOptions o;
  o.mode = m;
  o.viewers = viewers;
  o.sessions_per_viewer = 4;
  o.seed = seed;
  return o;
}

} // namespace

TEST_CASE("bayes forecasts are calibrated on the structured simulator") {
  Simulator sim(options(Mode::Structured, 160, 31));
  BayesForecaster bf(truth_of(sim));
  auto c = calibrate(sim.generate_all(), bf, {0, 4000, 25000});
  check_calibration(c, 0.03);
}

TEST_CASE("bayes forecasts are calibrated in the renewal and drifting modes") {
  for (Mode m : {Mode::Memoryless, Mode::Bursty, Mode::HeavyTailed, Mode::Drifting}) {
    INFO(mode_name(m));
    Simulator sim(options(m, m == Mode::Drifting ? 120 : 60, 32));
    BayesForecaster bf(truth_of(sim));
    auto c = calibrate(sim.generate_all(), bf, {0, 4000, 25000});
    check_calibration(c, 0.03);
  }
}

TEST_CASE("planning on the bayes forecast beats every fixed timeout and never the oracle") {
  for (Mode m : {Mode::Structured, Mode::Bursty}) {
    INFO(mode_name(m));
    Simulator sim(options(m, 100, 33));
    auto sessions = sim.generate_all();
    std::vector<const TraceSession *> ptrs;
    for (const auto &s : sessions)
      ptrs.push_back(&s);
    auto bf = std::make_shared<BayesForecaster>(truth_of(sim));
    const sp::CostModel cost = sp::CostModel::defaults();
    sp::PolicyParams params;
    params.cost = cost;
    sp::PolicyInputs in;
    in.reference = bf.get();
    std::string err;
    auto bayes = sp::replay_all(
        ptrs, [&](const TraceSession &) { return sp::make_policy("bayes", params, in, err); }, cost);
    REQUIRE(err.empty());
    REQUIRE(bayes.sessions == static_cast<int64_t>(sessions.size()));
    auto oracle = sp::replay_all(
        ptrs,
        [&](const TraceSession &full) {
          sp::PolicyInputs o;
          o.full_session = &full;
          return sp::make_policy("oracle", params, o, err);
        },
        cost);
    CHECK(bayes.cost >= oracle.cost);
    // Structure (scene changes, plans) makes waking ahead pay; a decreasing hazard never does.
    if (m == Mode::Structured)
      CHECK(bayes.proactive_wakes > 0);
    else
      CHECK(bayes.proactive_wakes == 0);
    for (double tau : {0.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 1e6}) {
      auto t = sp::replay_all(
          ptrs,
          [&](const TraceSession &) {
            return std::make_unique<sp::FixedTimeoutPolicy>(static_cast<int64_t>(tau * 1000));
          },
          cost);
      INFO("tau " << tau << " s: " << t.cost << ", bayes " << bayes.cost);
      CHECK(bayes.cost < t.cost);
    }
  }
  // Without the truth there is no bayes policy.
  std::string err;
  CHECK(sp::make_policy("bayes", sp::PolicyParams{}, sp::PolicyInputs{}, err) == nullptr);
  CHECK(err.find("truth") != std::string::npos);
}
