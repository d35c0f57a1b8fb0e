// The learned policy's decision rule: expected-cost minimisation over the
// forecast of the time to the next action (docs/model.md).
#include <algorithm>
#include <cmath>
#include <vector>

#include "policy/policies.h"
#include "policy/replay.h"
#include "trace/playback.h"

namespace sp {

namespace {
std::vector<int64_t> grid_for(const Forecast &f) {
  std::vector<int64_t> g{0};
  int64_t last = 0;
  for (int64_t h : f.horizon_ms) last = std::max(last, h);
  if (last <= 0) return g;
  // Decision times: every 1 s to 2 min, 5 s to 10 min, 30 s beyond, plus the forecast's own horizons.
  for (int64_t t = 1000; t <= last; t += (t < 120000 ? 1000 : t < 600000 ? 5000 : 30000)) g.push_back(t);
  for (int64_t h : f.horizon_ms)
    if (h > 0) g.push_back(h);
  std::sort(g.begin(), g.end());
  g.erase(std::unique(g.begin(), g.end()), g.end());
  return g;
}
} // namespace

Plan LearnedPolicy::plan_for(const Forecast &fc, const CostModel &cost, const LearnedParams &p, double *expected_cost) {
  const std::vector<int64_t> g = grid_for(fc);
  const size_t K = g.size() - 1;  // intervals [g[k], g[k+1]]
  if (K == 0) {
    if (expected_cost) *expected_cost = 0;
    return Plan{0, -1};  // no forecast horizon: nothing expected
  }
  const double h = cost.h, w = cost.w, miss = cost.w + std::max(0.0, p.miss_scale) * cost.m;
  // F: the next action by g[k]; E: the session's end, with no action before, by g[k] (0 when not given).
  std::vector<double> F(K + 1), E(K + 1, 0.0);
  for (size_t k = 0; k <= K; ++k) F[k] = fc.cdf_at(g[k]);
  for (size_t k = 1; k <= K; ++k) F[k] = std::max(F[k], F[k - 1]);
  if (!fc.end_cdf.empty())
    for (size_t k = 0; k <= K; ++k)
      E[k] = std::min(std::max(fc.end_at(g[k]), k ? E[k - 1] : 0.0), std::max(0.0, 1.0 - F[k]));
  // Unconditional DP (expected costs weighted by P(no action before g[k]) are
  // avoided by working with conditional hazards q_k; the end, a competing
  // event after which nothing costs, with e_k).
  std::vector<double> Vaw(K + 1, 0.0), Vas(K + 1, 0.0);
  std::vector<char> aw_stay(K + 1, 0), as_wake(K + 1, 0);  // decisions at g[k]
  for (size_t k = K; k-- > 0;) {
    double S = 1.0 - F[k] - E[k];
    // Once F has reached 1 the forecast says the action has surely come by
    // t_k: nothing more is expected, exactly as after the last horizon (sleep
    // until the viewer acts), so q = 0; q = 1 would keep the plane awake to
    // the end of the window for an action that the forecast says cannot come.
    // Where only the survival underflows (F < 1, e.g. a constant hazard far
    // out), the interval is taken to hold the action (q = 1), as always.
    double q = S > 1e-12 ? std::clamp((F[k + 1] - F[k]) / S, 0.0, 1.0) : (F[k] >= 1.0 ? 0.0 : 1.0);
    double e = S > 1e-12 ? std::clamp((E[k + 1] - E[k]) / S, 0.0, 1.0 - q) : 0.0;
    double d = static_cast<double>(g[k + 1] - g[k]) / 1000.0;
    // Awake through the interval: the action or the end (if either comes) is uniform in it.
    double AW = h * d * (1.0 - (q + e) * 0.5) + (1.0 - q - e) * Vaw[k + 1];
    double SL = q * miss + (1.0 - q - e) * Vas[k + 1];
    aw_stay[k] = AW <= SL;
    Vaw[k] = std::min(AW, SL);
    as_wake[k] = (w + AW) < SL;
    Vas[k] = std::min(SL, w + AW);
  }
  if (expected_cost) *expected_cost = Vaw[0];
  // Follow the optimal decisions from "awake at 0".
  size_t k = 0;
  while (k < K && aw_stay[k]) ++k;
  if (k == K) return Plan{g[K], -1};  // awake through the forecast window; no action expected after it
  int64_t awake_ms = g[k];
  size_t j = k;
  while (j < K && !as_wake[j]) ++j;
  if (j == K) return Plan{awake_ms, -1};
  int64_t wake = std::max(awake_ms + 1, g[j] - std::max<int64_t>(0, p.wake_lead_ms));
  return Plan{awake_ms, wake - awake_ms};
}

Forecast LearnedPolicy::rescale(const Forecast &fc, double scale) {
  if (scale == 1.0) return fc;
  Forecast out = fc;
  for (double &c : out.cdf)
    c = 1.0 - std::pow(std::clamp(1.0 - c, 0.0, 1.0), scale);
  return out;
}

Plan LearnedPolicy::expert_plan(const Expert &e, const Forecast &fc, const CostModel &cost,
                                int64_t elapsed_ms) {
  if (e.kind == Expert::Kind::Timeout) {
    if (e.tau_ms < 0) return Plan{-1, -1};
    return Plan{std::max<int64_t>(0, e.tau_ms - std::max<int64_t>(0, elapsed_ms)), -1};
  }
  LearnedParams lp;
  lp.miss_scale = e.miss_scale;
  return plan_for(rescale(fc, e.hazard_scale), cost, lp);
}

namespace {

// The session as the policy saw it at wall time t inside a gap: the events of
// the gap's start, then the non-actions that happened by t; the playback
// state those imply (the replay's rules).
struct GapView {
  const TraceSession &seen;
  size_t prefix_len;
  int64_t span_start;
  TraceSession partial;
  GapView(const TraceSession &s, size_t prefix)
      : seen(s), prefix_len(std::min(prefix, s.events.size())), span_start(session_start_ms(s)),
        partial(session_opening(s)) {}
  PolicyContext at(int64_t t, bool proactive) {
    partial.events.assign(seen.events.begin(), seen.events.begin() + static_cast<std::ptrdiff_t>(prefix_len));
    for (size_t i = prefix_len; i < seen.events.size(); ++i) {
      const Interaction &e = seen.events[i];
      if (is_viewer_action(e.kind) || e.wall_ms > t) break;
      partial.events.push_back(e);
    }
    PlaybackState st;
    st.duration_ms = seen.duration_ms;
    st.base_wall = span_start;
    int64_t clock = span_start;
    for (const Interaction &e : partial.events) {
      clock = std::max(clock, e.wall_ms);
      st.apply(e, clock);
    }
    return context_at(partial, st, t, proactive);
  }
};

uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

int64_t viewer_actions(const TraceSession &s) {
  int64_t n = 0;
  for (const Interaction &e : s.events)
    n += is_viewer_action(e.kind) ? 1 : 0;
  return n;
}

} // namespace

std::vector<double> LearnedPolicy::gap_costs(const std::vector<Expert> &experts, const Forecaster &f,
                                             const CostModel &cost, const TraceSession &seen,
                                             size_t prefix_len, int64_t start_ms, int64_t end_ms,
                                             bool by_action) {
  std::vector<double> out(experts.size(), 0.0);
  const double g = static_cast<double>(std::max<int64_t>(0, end_ms - start_ms)) / 1000.0;
  const double miss = cost.w + cost.m;
  GapView view(seen, prefix_len);
  std::vector<std::pair<int64_t, Forecast>> cache; // forecasts by decision time, shared by the plan experts
  auto forecast_at = [&](int64_t t) -> const Forecast & {
    for (const auto &c : cache)
      if (c.first == t) return c.second;
    cache.emplace_back(t, f.forecast(view.at(t, t != start_ms)));
    return cache.back().second;
  };
  for (size_t i = 0; i < experts.size(); ++i) {
    const Expert &e = experts[i];
    if (e.kind == Expert::Kind::Timeout) {
      // Awake min(g, tau), then (if the gap outlasts tau) asleep until the action: a miss and a wake.
      if (e.tau_ms < 0 || end_ms - start_ms <= e.tau_ms)
        out[i] = cost.h * g;
      else
        out[i] = cost.h * static_cast<double>(e.tau_ms) / 1000.0 + (by_action ? miss : 0.0);
      continue;
    }
    // A plan expert: follow its decisions through the gap (the replay's rules).
    double c = 0;
    int64_t t = start_ms;
    for (int step = 0; step < 10000; ++step) {
      const Plan p = expert_plan(e, forecast_at(t), cost, t - start_ms);
      // The replay's reading of a plan (docs/model.md, "Replay"): awake < 0 stays
      // awake; a zero sleep is no sleep (ask again after the awake stretch, or
      // stay awake when that is zero too).
      const bool stays = p.awake_ms < 0 || (p.awake_ms == 0 && p.asleep_ms == 0);
      if (stays || end_ms - t <= p.awake_ms) {
        c += cost.h * static_cast<double>(end_ms - t) / 1000.0;
        t = end_ms;
        break;
      }
      c += cost.h * static_cast<double>(p.awake_ms) / 1000.0;
      t += p.awake_ms;
      if (p.asleep_ms == 0) continue;
      if (p.asleep_ms < 0) {
        c += by_action ? miss : 0.0;
        t = end_ms;
        break;
      }
      const int64_t wake = p.asleep_ms > end_ms - t ? end_ms + 1 : t + p.asleep_ms; // (no overflow)
      if (end_ms < wake || (end_ms == wake && !by_action)) {
        c += by_action ? miss : 0.0; // the action arrives while asleep (or the session ends asleep)
        t = end_ms;
        break;
      }
      c += cost.w; // proactive wake; an action at that very instant finds the plane awake
      t = wake;
      if (t == end_ms) break;
    }
    if (t < end_ms) c += cost.h * static_cast<double>(end_ms - t) / 1000.0; // a runaway plan: the rest awake
    out[i] = c;
  }
  return out;
}

void LearnedPolicy::finish_gap(const TraceSession &seen, int64_t end_ms, bool by_action) {
  if (!learner_ || chosen_ < 0) return;
  std::vector<double> costs = gap_costs(learner_->experts(), f_, cost_, seen, gap_prefix_, gap_start_ms_,
                                        std::max(end_ms, gap_start_ms_), by_action);
  learner_->record(seen.viewer, std::move(costs), std::max(end_ms, gap_start_ms_));
  chosen_ = -1;
}

Plan LearnedPolicy::plan(const PolicyContext &ctx) {
  if (!learner_ || !ctx.session) return plan_for(f_.forecast(ctx), cost_, p_);
  const TraceSession &s = *ctx.session;
  const int64_t n = viewer_actions(s);
  if (s.session_id != session_) {
    session_ = s.session_id;
    gap_index_ = -1;
    chosen_ = -1;
  }
  if (n != gap_index_) {
    if (gap_index_ >= 0 && n > gap_index_ && chosen_ >= 0) {
      // The gap ended at the first action after its start.
      int64_t end = ctx.now_wall_ms, seen_actions = 0;
      for (const Interaction &e : s.events)
        if (is_viewer_action(e.kind) && ++seen_actions == gap_index_ + 1) {
          end = e.wall_ms;
          break;
        }
      finish_gap(s, end, true);
    }
    gap_index_ = n;
    gap_start_ms_ = ctx.now_wall_ms;
    gap_prefix_ = s.events.size();
    const std::vector<double> p = learner_->distribution(s.viewer, ctx.now_wall_ms);
    // One draw per gap, reproducible: a hash of the session id and the gap's index.
    const double u =
        static_cast<double>(mix64(viewer_hash(s.session_id) ^ mix64(static_cast<uint64_t>(n))) >> 11) *
        0x1.0p-53;
    double acc = 0;
    chosen_ = static_cast<int>(p.size()) - 1;
    for (size_t i = 0; i < p.size(); ++i) {
      acc += p[i];
      if (u < acc) {
        chosen_ = static_cast<int>(i);
        break;
      }
    }
  }
  const Expert &e = learner_->experts()[static_cast<size_t>(chosen_)];
  static const Forecast kNone{};
  if (e.kind == Expert::Kind::Timeout) return expert_plan(e, kNone, cost_, ctx.now_wall_ms - gap_start_ms_);
  return expert_plan(e, f_.forecast(ctx), cost_, ctx.now_wall_ms - gap_start_ms_);
}

void LearnedPolicy::session_ended(const PolicyContext &ctx) {
  if (!learner_ || !ctx.session || ctx.session->session_id != session_ || gap_index_ < 0) return;
  if (viewer_actions(*ctx.session) == gap_index_) finish_gap(*ctx.session, ctx.now_wall_ms, false);
  session_.clear();
  gap_index_ = -1;
  chosen_ = -1;
}

} // namespace sp
