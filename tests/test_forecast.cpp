// Forecast::cdf_at (predict/forecast.h), the one interpolation of a forecast
// that the learned policy and evaluation both use.
#include <catch2/catch.hpp>

#include <cmath>

#include "predict/forecast.h"

using namespace sp;

TEST_CASE("cdf_at: 0 at and before now, linear between horizons, flat after the last") {
  Forecast f{{1000, 3000}, {0.2, 0.6}};
  CHECK(f.cdf_at(-5) == 0.0);
  CHECK(f.cdf_at(0) == 0.0);
  CHECK(f.cdf_at(500) == Approx(0.1));
  CHECK(f.cdf_at(1000) == Approx(0.2));
  CHECK(f.cdf_at(2000) == Approx(0.4));
  CHECK(f.cdf_at(3000) == Approx(0.6));
  CHECK(f.cdf_at(1'000'000) == Approx(0.6));
}

TEST_CASE("cdf_at: values out of [0, 1] are clamped, non-finite ones count as 0, ragged input is cut") {
  CHECK(Forecast{{1000}, {1.7}}.cdf_at(1000) == 1.0);
  CHECK(Forecast{{1000}, {-0.3}}.cdf_at(1000) == 0.0);
  CHECK(Forecast{{1000}, {NAN}}.cdf_at(1000) == 0.0);
  CHECK(Forecast{{}, {}}.cdf_at(1000) == 0.0);
  CHECK(Forecast{{1000, 2000, 3000}, {0.5}}.cdf_at(2500) ==
        Approx(0.5)); // only the first horizon has a value
  CHECK(Forecast{{1000, 1000}, {0.2, 0.4}}.cdf_at(1000) ==
        Approx(0.4)); // a repeated horizon takes the later value
}
