#include "core/redact.h"

namespace sp {

std::string redact_credentials(std::string_view s) {
  std::string out;
  size_t copied = 0;
  for (size_t at = s.find("://"); at != std::string_view::npos; at = s.find("://", at + 3)) {
    // The authority runs to the first '/', '?', '#' or space; userinfo is
    // what comes before its last '@' (RFC 3986 3.2).
    const size_t begin = at + 3;
    size_t end = begin;
    while (end < s.size() && s[end] != '/' && s[end] != '?' && s[end] != '#' && s[end] != ' ' &&
           s[end] != '\'' && s[end] != '"' && s[end] != '\n')
      ++end;
    const std::string_view authority = s.substr(begin, end - begin);
    const size_t atsign = authority.rfind('@');
    if (atsign == std::string_view::npos) continue;
    const std::string_view userinfo = authority.substr(0, atsign);
    const size_t colon = userinfo.find(':');
    out.append(s.substr(copied, begin - copied));
    if (colon != std::string_view::npos) {
      out.append(userinfo.substr(0, colon));
      out.append(":***");
    } else {
      out.append("***");
    }
    copied = begin + atsign; // from the '@' on
  }
  if (copied == 0) return std::string(s);
  out.append(s.substr(copied));
  return out;
}

} // namespace sp
