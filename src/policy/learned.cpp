// The learned policy's decision rule: expected-cost minimisation over the
// forecast of the time to the next action (docs/model.md).
#include <algorithm>
#include <cmath>
#include <vector>

#include "policy/policies.h"

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
  std::vector<double> F(K + 1);
  for (size_t k = 0; k <= K; ++k) F[k] = fc.cdf_at(g[k]);
  for (size_t k = 1; k <= K; ++k) F[k] = std::max(F[k], F[k - 1]);
  // Unconditional DP (expected costs weighted by P(no action before g[k]) are
  // avoided by working with conditional hazards q_k).
  std::vector<double> Vaw(K + 1, 0.0), Vas(K + 1, 0.0);
  std::vector<char> aw_stay(K + 1, 0), as_wake(K + 1, 0);  // decisions at g[k]
  for (size_t k = K; k-- > 0;) {
    double S = 1.0 - F[k];
    double q = S > 1e-12 ? std::clamp((F[k + 1] - F[k]) / S, 0.0, 1.0) : 1.0;
    double d = static_cast<double>(g[k + 1] - g[k]) / 1000.0;
    // Awake through the interval: the action (if it comes) is uniform in it.
    double AW = h * d * (1.0 - q * 0.5) + (1.0 - q) * Vaw[k + 1];
    double SL = q * miss + (1.0 - q) * Vas[k + 1];
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

Plan LearnedPolicy::plan(const PolicyContext &ctx) {
  Forecast fc = f_.forecast(ctx);
  return plan_for(fc, cost_, p_);
}

} // namespace sp
