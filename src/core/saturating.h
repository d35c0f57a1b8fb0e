// Saturating arithmetic for values a host hands in through the C API: a
// relative seek of INT64_MAX lands at the end instead of wrapping round to
// a negative position, and a timeout of 1e300 s becomes "for ever" instead
// of an undefined conversion.
//
// Thread safety: pure functions.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

namespace sp {

// a + b, clamped to the int64_t range instead of overflowing.
inline int64_t saturating_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  return r;
}

// The integer nearest to x, clamped to [lo, hi] (NaN gives lo). Converting a
// double outside int64_t's range with a cast is undefined; this is not.
inline int64_t clamp_round(double x, int64_t lo, int64_t hi) {
  if (!(x > static_cast<double>(lo))) return lo;
  if (!(x < static_cast<double>(hi))) return hi;
  return std::llround(x);
}

// The longest time any plan, timeout or deadline is taken to mean: ~31.7
// years, "for ever" for a player, and far enough from int64_t's limits that
// steady_clock::now() + milliseconds(kForeverMs) cannot overflow (ns).
inline constexpr int64_t kForeverMs = 1'000'000'000'000;

} // namespace sp
