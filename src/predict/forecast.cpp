#include "predict/forecast.h"

#include <algorithm>
#include <cmath>

namespace sp {

namespace {
double interpolate(const std::vector<int64_t> &hz, const std::vector<double> &v, int64_t t) {
  const size_t n = std::min(hz.size(), v.size());
  if (t <= 0 || n == 0) return 0.0;
  auto clamp01 = [](double x) { return std::isfinite(x) ? std::clamp(x, 0.0, 1.0) : 0.0; };
  if (t >= hz[n - 1]) return clamp01(v[n - 1]);
  size_t k = static_cast<size_t>(std::upper_bound(hz.begin(), hz.begin() + static_cast<long>(n), t) - hz.begin());
  const int64_t t0 = k == 0 ? 0 : hz[k - 1];
  const double c0 = k == 0 ? 0.0 : clamp01(v[k - 1]);
  const int64_t t1 = hz[k];
  const double c1 = clamp01(v[k]);
  if (t1 <= t0) return c1;
  return c0 + (c1 - c0) * static_cast<double>(t - t0) / static_cast<double>(t1 - t0);
}
} // namespace

double Forecast::cdf_at(int64_t t) const { return interpolate(horizon_ms, cdf, t); }

double Forecast::end_at(int64_t t) const { return interpolate(horizon_ms, end_cdf, t); }

} // namespace sp
