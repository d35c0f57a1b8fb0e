#include "predict/forecast.h"

#include <algorithm>
#include <cmath>

namespace sp {

double Forecast::cdf_at(int64_t t) const {
  const size_t n = std::min(horizon_ms.size(), cdf.size());
  if (t <= 0 || n == 0) return 0.0;
  auto clamp01 = [](double v) { return std::isfinite(v) ? std::clamp(v, 0.0, 1.0) : 0.0; };
  if (t >= horizon_ms[n - 1]) return clamp01(cdf[n - 1]);
  size_t k = static_cast<size_t>(std::upper_bound(horizon_ms.begin(), horizon_ms.begin() + static_cast<long>(n), t) -
                                 horizon_ms.begin());
  const int64_t t0 = k == 0 ? 0 : horizon_ms[k - 1];
  const double c0 = k == 0 ? 0.0 : clamp01(cdf[k - 1]);
  const int64_t t1 = horizon_ms[k];
  const double c1 = clamp01(cdf[k]);
  if (t1 <= t0) return c1;
  return c0 + (c1 - c0) * static_cast<double>(t - t0) / static_cast<double>(t1 - t0);
}

} // namespace sp
