// Base64 of little-endian IEEE-754 floats (core/packed_floats.h).
#include "core/packed_floats.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace sp {

namespace {
constexpr const char *kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
} // namespace

std::string pack_floats(const std::vector<double> &v, FloatWidth width) {
  const bool wide = width == FloatWidth::F64;
  std::string bytes;
  bytes.reserve(v.size() * (wide ? 8 : 4));
  for (double x : v) {
    if (wide) {
      uint64_t u;
      std::memcpy(&u, &x, 8);
      for (int b = 0; b < 8; ++b)
        bytes.push_back(static_cast<char>((u >> (8 * b)) & 0xff));
    } else {
      float f = static_cast<float>(x);
      uint32_t u;
      std::memcpy(&u, &f, 4);
      for (int b = 0; b < 4; ++b)
        bytes.push_back(static_cast<char>((u >> (8 * b)) & 0xff));
    }
  }
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
    out.push_back(kB64[(n >> 18) & 63]);
    out.push_back(kB64[(n >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kB64[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < bytes.size() ? kB64[n & 63] : '=');
  }
  return out;
}
bool unpack_floats(const std::string &s, FloatWidth width, std::vector<double> &out) {
  const bool wide = width == FloatWidth::F64;
  static const std::array<int, 256> dec = [] {
    std::array<int, 256> d{};
    d.fill(-1);
    for (int i = 0; i < 64; ++i)
      d[static_cast<unsigned char>(kB64[i])] = i;
    return d;
  }();
  if (s.size() % 4) return false;
  std::string bytes;
  bytes.reserve(s.size() / 4 * 3);
  for (size_t i = 0; i < s.size(); i += 4) {
    int c[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      unsigned char ch = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      if (ch == '=' && i + 4 == s.size() && k >= 2) {
        c[k] = 0;
        ++pad;
      } else {
        if (pad || dec[ch] < 0) return false;
        c[k] = dec[ch];
      }
    }
    uint32_t n = (static_cast<uint32_t>(c[0]) << 18) | (static_cast<uint32_t>(c[1]) << 12) |
                 (static_cast<uint32_t>(c[2]) << 6) | static_cast<uint32_t>(c[3]);
    bytes.push_back(static_cast<char>((n >> 16) & 0xff));
    if (pad < 2) bytes.push_back(static_cast<char>((n >> 8) & 0xff));
    if (pad < 1) bytes.push_back(static_cast<char>(n & 0xff));
  }
  const size_t w = wide ? 8 : 4;
  if (bytes.size() % w) return false;
  out.clear();
  out.reserve(bytes.size() / w);
  for (size_t i = 0; i < bytes.size(); i += w) {
    uint64_t u = 0;
    for (size_t b = 0; b < w; ++b)
      u |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i + b])) << (8 * b);
    double x;
    if (wide) {
      std::memcpy(&x, &u, 8);
    } else {
      uint32_t u32 = static_cast<uint32_t>(u);
      float f;
      std::memcpy(&f, &u32, 4);
      x = f;
    }
    if (!std::isfinite(x)) return false;
    out.push_back(x);
  }
  return true;
}

} // namespace sp
