#include "core/utf8.h"

#include "core/redact.h"

namespace sp {

namespace {

// Length of the well-formed sequence starting at s[i], or 0.
size_t sequence_length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const size_t n = s.size();
  const unsigned c = b(i);
  if (c < 0x80) return 1;
  auto cont = [&](size_t k) { return k < n && (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    const unsigned c1 = b(i + 1);
    if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
    if (c == 0xED && c1 >= 0xA0) return 0; // U+D800..U+DFFF (surrogates)
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    const unsigned c1 = b(i + 1);
    if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
    if (c == 0xF4 && c1 >= 0x90) return 0; // above U+10FFFF
    return 4;
  }
  return 0; // 0x80..0xC1 (continuation or overlong lead), 0xF5..0xFF
}

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7F;
}

} // namespace

bool valid_utf8(std::string_view s, size_t *bad_at) {
  for (size_t i = 0; i < s.size();) {
    size_t len = sequence_length(s, i);
    if (len == 0) {
      if (bad_at) *bad_at = i;
      return false;
    }
    i += len;
  }
  return true;
}

bool has_control_char(std::string_view s, size_t *at) {
  for (size_t i = 0; i < s.size(); ++i)
    if (is_control(static_cast<unsigned char>(s[i]))) {
      if (at) *at = i;
      return true;
    }
  return false;
}

std::string clean_text(std::string_view s) {
  const std::string r = redact_credentials(s);
  return valid_utf8(r) && !has_control_char(r) ? r : percent_escape(r);
}

std::string percent_escape(std::string_view s) {
  static const char *hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  auto escape = [&](unsigned char c) {
    out += '%';
    out += hex[c >> 4];
    out += hex[c & 15];
  };
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = sequence_length(s, i);
    if (len == 0 || c == '%' || is_control(c)) {
      escape(c);
      ++i;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

} // namespace sp
