// core/packed_floats.h: the base64/IEEE-754 codec of the hazard model's
// stored tables. Expected strings are Python's
// base64.b64encode(struct.pack('<f...' / '<d...', ...)).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "core/packed_floats.h"

using namespace sp;

TEST_CASE("pack_floats writes base64 of little-endian IEEE floats") {
  CHECK(pack_floats({}, FloatWidth::F32).empty());
  CHECK(pack_floats({1.0}, FloatWidth::F32) == "AACAPw==");
  CHECK(pack_floats({1.0, -2.5}, FloatWidth::F32) == "AACAPwAAIMA=");
  CHECK(pack_floats({1.0, -2.5, 0.1}, FloatWidth::F32) == "AACAPwAAIMDNzMw9"); // no padding
  CHECK(pack_floats({1.0}, FloatWidth::F64) == "AAAAAAAA8D8=");
}

TEST_CASE("unpack_floats inverts pack_floats") {
  const std::vector<double> v{0.0, -0.0, 1.0, -2.5, 0.1, 1e-30, 123456.789, -7e300};
  std::vector<double> out;
  REQUIRE(unpack_floats(pack_floats(v, FloatWidth::F64), FloatWidth::F64, out));
  CHECK(out == v); // float64 is exact
  CHECK(std::signbit(out[1]));

  const std::vector<double> small(v.begin(), v.end() - 1); // -7e300 is out of float range
  REQUIRE(unpack_floats(pack_floats(small, FloatWidth::F32), FloatWidth::F32, out));
  REQUIRE(out.size() == small.size());
  for (size_t i = 0; i < small.size(); ++i)
    CHECK(out[i] == static_cast<double>(static_cast<float>(small[i])));

  for (size_t n = 0; n <= 4; ++n) { // every padding length, both widths
    std::vector<double> w(n, 0.5), got;
    REQUIRE(unpack_floats(pack_floats(w, FloatWidth::F32), FloatWidth::F32, got));
    CHECK(got == w);
    REQUIRE(unpack_floats(pack_floats(w, FloatWidth::F64), FloatWidth::F64, got));
    CHECK(got == w);
  }
}

TEST_CASE("unpack_floats refuses what is not a whole list of finite floats") {
  std::vector<double> out;
  CHECK_FALSE(unpack_floats("AACAPw=", FloatWidth::F32, out));      // not a multiple of 4 characters
  CHECK_FALSE(unpack_floats("AACA*w==", FloatWidth::F32, out));     // not a base64 character
  CHECK_FALSE(unpack_floats("AA==AACAPw==", FloatWidth::F32, out)); // padding before the end
  CHECK_FALSE(unpack_floats("AACAPw==", FloatWidth::F64, out));     // 4 bytes are no float64
  CHECK_FALSE(unpack_floats("AAAAAAA=", FloatWidth::F32, out));     // 5 bytes
  CHECK(unpack_floats("AACAPwAAIMA=", FloatWidth::F64, out));       // the same 8 bytes read as one float64
  CHECK(out.size() == 1);
  CHECK_FALSE(unpack_floats("AADAfw==", FloatWidth::F32, out));     // NaN
  CHECK_FALSE(unpack_floats("AAAAAAAA8H8=", FloatWidth::F64, out)); // infinity
  CHECK(unpack_floats("", FloatWidth::F32, out));
  CHECK(out.empty());
}
