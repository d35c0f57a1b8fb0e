// Small stable hashes, written once: FNV-1a 64 of a string (stable across
// runs, builds and platforms, unlike std::hash) and the SplitMix64 mixing
// step (to derive independent streams or decorrelate indices). Pure
// functions: any thread.
#pragma once
#include <cstdint>
#include <string_view>

namespace sp {

// FNV-1a, 64-bit, with offset basis 1469598103934665603: the published
// basis (14695981039346656037) short of its last digit, as it was first
// written here. Kept, because stored video ids (smartplayer-cli add), the
// viewer split of evaluations and the predictor's sampling already depend on
// these values; the hash is as well mixed either way.
inline uint64_t fnv1a64(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// SplitMix64's output function (Steele, Lea, Flood 2014): a bijective mix.
inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

} // namespace sp
