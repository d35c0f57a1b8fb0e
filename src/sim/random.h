// Deterministic random numbers for the trace simulator. std::mt19937_64 is
// fully specified by the standard; the distributions below are our own (the
// std:: ones are implementation-defined), so a seed gives the same traces on
// every compiler and standard library.
// Thread safety: an Rng is a plain value; use one per thread.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "core/hash.h"

namespace sp::sim {

using sp::splitmix64;  // core/hash.h: derives independent streams

// Seed of stream `stream`, item `index` for a master seed.
inline uint64_t derive_seed(uint64_t seed, uint64_t stream, uint64_t index) {
  return splitmix64(splitmix64(splitmix64(seed) ^ (stream * 0xD1B54A32D192ED03ULL)) ^ index);
}

class Rng {
public:
  explicit Rng(uint64_t seed) : eng_(seed) {}

  uint64_t bits() { return eng_(); }
  // [0, 1)
  double uniform() { return static_cast<double>(eng_() >> 11) * 0x1.0p-53; }
  // (0, 1]
  double uniform_pos() { return 1.0 - uniform(); }
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  // Integer in [a, b] (b >= a).
  int64_t uniform_int(int64_t a, int64_t b) {
    auto span = static_cast<uint64_t>(b - a) + 1;
    return a + static_cast<int64_t>(span == 0 ? eng_() : eng_() % span);
  }
  bool bernoulli(double p) { return uniform() < p; }
  // Standard normal (Box-Muller, one value per call).
  double normal() {
    double u1 = uniform_pos(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double normal(double mu, double sigma) { return mu + sigma * normal(); }
  // Log-normal given its median and the sigma of the log.
  double lognormal(double median, double sigma) { return median * std::exp(sigma * normal()); }
  double exponential(double mean) { return -mean * std::log(uniform_pos()); }
  // Pareto with scale xm and shape alpha (heavy tail: mean infinite for alpha <= 1).
  double pareto(double xm, double alpha) { return xm / std::pow(uniform_pos(), 1.0 / alpha); }
  int poisson(double mean) {
    if (mean <= 0) return 0;
    if (mean > 40) {
      double v = std::round(normal(mean, std::sqrt(mean)));
      return v < 0 ? 0 : static_cast<int>(v);
    }
    double l = std::exp(-mean), p = 1.0;
    int k = 0;
    do {
      ++k;
      p *= uniform();
    } while (p > l);
    return k - 1;
  }
  // Gamma(shape, 1) (Marsaglia-Tsang; boost for shape < 1).
  double gamma(double shape) {
    if (shape < 1.0) return gamma(shape + 1.0) * std::pow(uniform_pos(), 1.0 / shape);
    double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
      double x = normal(), v = 1.0 + c * x;
      if (v <= 0) continue;
      v = v * v * v;
      double u = uniform_pos();
      if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
    }
  }
  // Index drawn with probability proportional to w[i] (w non-negative, not all 0).
  size_t categorical(const double *w, size_t n) {
    double total = 0;
    for (size_t i = 0; i < n; ++i) total += w[i];
    double r = uniform() * total;
    for (size_t i = 0; i < n; ++i) {
      if (r < w[i]) return i;
      r -= w[i];
    }
    for (size_t i = n; i-- > 0;)
      if (w[i] > 0) return i;
    return 0;
  }
  size_t categorical(const std::vector<double> &w) { return categorical(w.data(), w.size()); }

private:
  std::mt19937_64 eng_;
};

} // namespace sp::sim
