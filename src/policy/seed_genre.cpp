// The proof of concept's genre windows, reproduced exactly (docs/model.md).
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "policy/policies.h"

namespace sp {

namespace {
int percent_of(int64_t pos_ms, int64_t duration_ms) {
  if (duration_ms <= 0) return 0;
  int64_t p = (std::max<int64_t>(0, pos_ms) * 100) / duration_ms;  // whole percent, floor
  return static_cast<int>(std::clamp<int64_t>(p, 0, 100));
}
} // namespace

std::set<int> GenreWindows::awake_set() const {
  std::set<int> s;
  for (int p = 0; p <= 100; ++p)
    if (awake[static_cast<size_t>(p)]) s.insert(p);
  return s;
}

GenreWindows SeedGenreFit::fit_histogram(const std::array<double, 101> &counts, double lambda) {
  GenreWindows g;
  g.counts = counts;
  constexpr int n = 101, deg = 5;
  // Ridge: centre the five power features and y, penalise only their
  // coefficients (lambda), recover the intercept from the means.
  Eigen::MatrixXd X(n, deg);
  Eigen::VectorXd y(n);
  for (int i = 0; i < n; ++i) {
    double x = i / 100.0, xp = 1.0;
    for (int k = 0; k < deg; ++k) {
      xp *= x;
      X(i, k) = xp;
    }
    y(i) = counts[static_cast<size_t>(i)];
  }
  Eigen::RowVectorXd xm = X.colwise().mean();
  double ym = y.mean();
  Eigen::MatrixXd Xc = X.rowwise() - xm;
  Eigen::VectorXd yc = y.array() - ym;
  Eigen::MatrixXd A = Xc.transpose() * Xc + std::max(0.0, lambda) * Eigen::MatrixXd::Identity(deg, deg);
  Eigen::VectorXd beta = A.ldlt().solve(Xc.transpose() * yc);
  if (!beta.allFinite()) beta = A.colPivHouseholderQr().solve(Xc.transpose() * yc);
  double intercept = ym - xm.dot(beta);
  g.coef[0] = intercept;
  for (int k = 0; k < deg; ++k) g.coef[static_cast<size_t>(k + 1)] = beta(k);
  Eigen::VectorXd fit = X * beta;
  double mean_res = 0;
  std::array<double, 101> res{};
  for (int i = 0; i < n; ++i) {
    g.fit[static_cast<size_t>(i)] = fit(i) + intercept;
    res[static_cast<size_t>(i)] = counts[static_cast<size_t>(i)] - g.fit[static_cast<size_t>(i)];
    mean_res += res[static_cast<size_t>(i)];
  }
  mean_res /= n;
  g.mean_residual = mean_res;
  // Residuals that equal the mean up to rounding count as "at least the mean".
  const double eps = 1e-9 * (1.0 + std::abs(mean_res) + y.cwiseAbs().maxCoeff());
  for (int i = 0; i < n; ++i) {
    if (res[static_cast<size_t>(i)] >= mean_res - eps) {
      g.awake[static_cast<size_t>(i)] = true;
      if (i + 1 <= 100) g.awake[static_cast<size_t>(i + 1)] = true;
    }
  }
  g.awake[0] = true;    // first percent
  g.awake[99] = true;   // last percent [99 %, 100 %)
  g.awake[100] = true;  // and the end itself
  return g;
}

SeedGenreFit SeedGenreFit::train(const std::vector<TraceSession> &sessions, double lambda) {
  std::vector<const TraceSession *> ptrs;
  ptrs.reserve(sessions.size());
  for (const auto &s : sessions) ptrs.push_back(&s);
  return train(ptrs, lambda);
}

SeedGenreFit SeedGenreFit::train(const std::vector<const TraceSession *> &sessions, double lambda) {
  SeedGenreFit f;
  f.lambda_ = lambda;
  std::map<std::string, std::array<double, 101>> hist;
  std::map<std::string, int64_t> n;
  auto &all = hist[kAllGenres];
  for (const TraceSession *s : sessions) {
    f.trained_on_.insert(s->session_id);
    if (s->duration_ms <= 0) continue;
    auto &h = hist[s->genre];
    for (const Interaction &e : s->events) {
      if (!is_viewer_action(e.kind)) continue;
      int p = percent_of(e.position_ms, s->duration_ms);
      h[static_cast<size_t>(p)] += 1;
      all[static_cast<size_t>(p)] += 1;
      ++n[s->genre];
      ++n[kAllGenres];
    }
  }
  for (auto &[genre, h] : hist) {
    if (n[genre] == 0) continue;
    GenreWindows g = fit_histogram(h, lambda);
    g.interactions = n[genre];
    f.genres_.emplace(genre, g);
  }
  return f;
}

const GenreWindows *SeedGenreFit::windows(const std::string &genre) const {
  auto it = genres_.find(genre);
  if (it != genres_.end()) return &it->second;
  it = genres_.find(kAllGenres);
  return it != genres_.end() ? &it->second : nullptr;
}

Plan SeedGenrePolicy::plan(const PolicyContext &ctx) {
  if (!fit_ || !ctx.session || ctx.session->duration_ms <= 0) return Plan{-1, -1};
  const GenreWindows *g = fit_->windows(ctx.session->genre);
  if (!g) return Plan{-1, -1};
  const int64_t dur = ctx.session->duration_ms;
  const int cur = percent_of(ctx.position_ms, dur);
  const bool awake_now = g->awake[static_cast<size_t>(cur)];
  if (ctx.paused) return awake_now ? Plan{-1, -1} : Plan{0, -1};
  const double rate = ctx.rate > 0 ? ctx.rate : 1.0;
  auto wall_until = [&](int pct) -> int64_t {  // wall ms until the position reaches pct %
    double target = static_cast<double>(pct) * static_cast<double>(dur) / 100.0;
    double d = (target - static_cast<double>(ctx.position_ms)) / rate;
    return std::max<int64_t>(0, static_cast<int64_t>(std::ceil(d)));
  };
  // A proactive wake lands at the next awake percentage's wall deadline; the
  // playback clock may be a few ms short of it. Within 250 ms of that
  // percentage count it as reached, or the rule would nap for a few ms and
  // wake again, over and over.
  int cur_eff = cur;
  bool awake_eff = awake_now;
  if (!awake_now && cur < 100 && g->awake[static_cast<size_t>(cur + 1)] && wall_until(cur + 1) <= 250) {
    cur_eff = cur + 1;
    awake_eff = true;
  }
  int q = cur_eff;  // first non-awake percentage at or after cur
  while (q <= 100 && g->awake[static_cast<size_t>(q)]) ++q;
  if (q > 100) return Plan{-1, -1};  // awake to the end
  int64_t awake_ms = awake_eff ? wall_until(q) : 0;
  int r = q + 1;  // next awake percentage after q
  while (r <= 100 && !g->awake[static_cast<size_t>(r)]) ++r;
  if (r > 100) return Plan{awake_ms, -1};
  int64_t sleep_from = awake_eff ? wall_until(q) : 0;
  // Nothing to sleep through (the next awake percentage is due when this run
  // ends): a zero-length sleep, which means ask again then (policy.h).
  int64_t asleep_ms = std::max<int64_t>(0, wall_until(r) - sleep_from);
  return Plan{awake_ms, asleep_ms};
}

} // namespace sp
