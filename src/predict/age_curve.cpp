#include "predict/age_curve.h"

#include <algorithm>
#include <cmath>

namespace sp::hz {

namespace {
constexpr int kOneSecondBins = 120, kFiveSecondBins = 96;
constexpr int64_t kFiveFrom = 120000, kTailFrom = 600000;
static_assert(kOneSecondBins + kFiveSecondBins + 1 == AgeCurve::kBins);
} // namespace

int64_t AgeCurve::lower_edge_ms(int b) {
  if (b <= kOneSecondBins) return int64_t{b} * 1000;
  return kFiveFrom + int64_t{b - kOneSecondBins} * 5000;
}

int AgeCurve::bin_of(int64_t age) {
  if (age < 0) return 0;
  if (age < kFiveFrom) return static_cast<int>(age / 1000);
  if (age < kTailFrom) return kOneSecondBins + static_cast<int>((age - kFiveFrom) / 5000);
  return kBins - 1;
}

void AgeCurve::Counts::add(const AgeSpan &s) {
  const int64_t a0 = std::max<int64_t>(0, s.from_ms), a1 = std::max(a0, s.to_ms);
  for (int64_t a = a0; a < a1;) {
    const int b = bin_of(a);
    const int64_t edge = b + 1 < kBins ? std::min(a1, lower_edge_ms(b + 1)) : a1;
    exposure[static_cast<size_t>(b)] += static_cast<double>(edge - a) / 1000.0;
    a = edge;
  }
  if (s.action) actions[static_cast<size_t>(bin_of(a1))] += 1;
}

AgeCurve AgeCurve::fit(const Counts &c) {
  AgeCurve out;
  double na = 0, ne = 0;
  for (int b = 0; b < kBins; ++b) {
    na += c.actions[static_cast<size_t>(b)];
    ne += c.exposure[static_cast<size_t>(b)];
  }
  if (!(na > 0) || !(ne > 0)) return out; // nothing seen: flat
  const double overall = na / ne;
  out.hz_.resize(kBins);
  for (int b = 0; b < kBins; ++b)
    out.hz_[static_cast<size_t>(b)] = (c.actions[static_cast<size_t>(b)] + overall * kPriorSeconds) /
                                      (c.exposure[static_cast<size_t>(b)] + kPriorSeconds);
  out.build_cumulative();
  return out;
}

bool AgeCurve::from_hazards(std::vector<double> hz, AgeCurve &out, std::string &err) {
  if (hz.empty()) {
    out = AgeCurve{};
    return true;
  }
  if (hz.size() != static_cast<size_t>(kBins)) {
    err = "expected " + std::to_string(kBins) + " hazards, got " + std::to_string(hz.size());
    return false;
  }
  for (double x : hz)
    if (!std::isfinite(x) || x < 0) {
      err = "hazards must be finite numbers >= 0";
      return false;
    }
  out.hz_ = std::move(hz);
  out.build_cumulative();
  return true;
}

void AgeCurve::build_cumulative() {
  cum_.assign(kBins, 0.0);
  for (int b = 1; b < kBins; ++b)
    cum_[static_cast<size_t>(b)] = cum_[static_cast<size_t>(b - 1)] +
                                   hz_[static_cast<size_t>(b - 1)] *
                                       static_cast<double>(lower_edge_ms(b) - lower_edge_ms(b - 1)) / 1000.0;
}

double AgeCurve::cumulative(int64_t age) const {
  if (hz_.empty()) return 0;
  age = std::max<int64_t>(0, age);
  const int b = bin_of(age);
  return cum_[static_cast<size_t>(b)] +
         hz_[static_cast<size_t>(b)] * static_cast<double>(age - lower_edge_ms(b)) / 1000.0;
}

double AgeCurve::step_mass(int64_t age, int64_t lo, int64_t t0, int64_t t1) const {
  if (hz_.empty()) return static_cast<double>(std::max<int64_t>(0, t1 - t0)) / 1000.0;
  const double base = cumulative(age + lo);
  return std::exp(-(cumulative(age + t0) - base)) - std::exp(-(cumulative(age + t1) - base));
}

} // namespace sp::hz
