#include "png.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace demo {
namespace {

const std::array<uint32_t, 256> &crc_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  return table;
}

uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n) {
  const auto &t = crc_table();
  for (size_t i = 0; i < n; ++i) crc = t[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
  return crc;
}

void put32(std::vector<uint8_t> &v, uint32_t x) {
  v.push_back(static_cast<uint8_t>(x >> 24));
  v.push_back(static_cast<uint8_t>(x >> 16));
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}

void chunk(std::vector<uint8_t> &out, const char type[4], const std::vector<uint8_t> &data) {
  put32(out, static_cast<uint32_t>(data.size()));
  const size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  uint32_t crc = crc_update(0xFFFFFFFFu, out.data() + start, out.size() - start) ^ 0xFFFFFFFFu;
  put32(out, crc);
}

struct FileCloser {
  void operator()(std::FILE *f) const noexcept { std::fclose(f); }
};

} // namespace

bool write_png_rgbx(const std::string &path, int w, int h, const uint8_t *pixels, int pitch, std::string &error) {
  if (w <= 0 || h <= 0 || !pixels || pitch < w * 4) {
    error = "bad image";
    return false;
  }
  // Raw scanlines: filter byte 0, then RGB.
  const size_t row = static_cast<size_t>(w) * 3 + 1;
  std::vector<uint8_t> raw(row * static_cast<size_t>(h));
  for (int y = 0; y < h; ++y) {
    uint8_t *dst = raw.data() + row * static_cast<size_t>(y);
    const uint8_t *src = pixels + static_cast<ptrdiff_t>(y) * pitch;
    *dst++ = 0;
    for (int x = 0; x < w; ++x, src += 4) {
      *dst++ = src[0];
      *dst++ = src[1];
      *dst++ = src[2];
    }
  }
  // zlib stream of stored deflate blocks.
  std::vector<uint8_t> z{0x78, 0x01};
  z.reserve(raw.size() + raw.size() / 65535 * 5 + 16);
  size_t at = 0;
  do {
    const size_t n = std::min<size_t>(65535, raw.size() - at);
    const bool last = at + n == raw.size();
    z.push_back(last ? 1 : 0);
    z.push_back(static_cast<uint8_t>(n & 0xFF));
    z.push_back(static_cast<uint8_t>(n >> 8));
    z.push_back(static_cast<uint8_t>(~n & 0xFF));
    z.push_back(static_cast<uint8_t>((~n >> 8) & 0xFF));
    z.insert(z.end(), raw.begin() + static_cast<ptrdiff_t>(at), raw.begin() + static_cast<ptrdiff_t>(at + n));
    at += n;
  } while (at < raw.size());
  uint32_t a = 1, b = 0;
  for (uint8_t c : raw) {
    a = (a + c) % 65521u;
    b = (b + a) % 65521u;
  }
  put32(z, (b << 16) | a);

  std::vector<uint8_t> out{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  std::vector<uint8_t> ihdr;
  put32(ihdr, static_cast<uint32_t>(w));
  put32(ihdr, static_cast<uint32_t>(h));
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0}); // 8 bits, RGB, deflate, no filter method, no interlace
  chunk(out, "IHDR", ihdr);
  chunk(out, "IDAT", z);
  chunk(out, "IEND", {});

  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "wb"));
  if (!f) {
    error = std::strerror(errno);
    return false;
  }
  if (std::fwrite(out.data(), 1, out.size(), f.get()) != out.size()) {
    error = std::strerror(errno);
    return false;
  }
  if (std::fclose(f.release()) != 0) {
    error = std::strerror(errno);
    return false;
  }
  return true;
}

} // namespace demo
