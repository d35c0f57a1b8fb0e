// The one copy of each small hash (core/hash.h), pinned to the values that
// stored ids and evaluation splits already depend on.
#include <catch2/catch.hpp>

#include <set>

#include "core/hash.h"

using namespace sp;

TEST_CASE("fnv1a64 keeps the values ids and splits depend on") {
  CHECK(fnv1a64("") == 1469598103934665603ULL); // the offset basis as first written (see hash.h)
  // One step by hand: (basis ^ 'a') * prime, mod 2^64.
  CHECK(fnv1a64("a") == (1469598103934665603ULL ^ 'a') * 1099511628211ULL);
  CHECK(fnv1a64("viewer1") == fnv1a64(std::string("viewer1")));
  CHECK(fnv1a64("viewer1") != fnv1a64("viewer2"));
}

TEST_CASE("splitmix64 is the published mix") {
  // Reference outputs of SplitMix64 seeded with 0 (successive states 1x, 2x, 3x the golden gamma).
  CHECK(splitmix64(0) == 0xE220A8397B1DCDAFULL);
  CHECK(splitmix64(0x9E3779B97F4A7C15ULL) == 0x6E789E6AA1B965F4ULL);
  CHECK(splitmix64(0x3C6EF372FE94F82AULL) == 0x06C45D188009454FULL);
  std::set<uint64_t> seen;
  for (uint64_t i = 0; i < 1000; ++i)
    seen.insert(splitmix64(i));
  CHECK(seen.size() == 1000); // a bijection: no collisions
}
