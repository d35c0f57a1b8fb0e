// UTF-8 checks for the strings a host hands in that the library stores and
// exports (ids, titles, genres): they must come back byte for byte after an
// export/import round trip, and JSON carries only well-formed UTF-8.
//
// Thread safety: pure functions.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace sp {

// True when s is well-formed UTF-8 (RFC 3629: no overlong forms, no UTF-16
// surrogates, nothing above U+10FFFF, no truncated sequence). Otherwise
// *bad_at (when given) is the offset of the first byte that is not.
bool valid_utf8(std::string_view s, size_t *bad_at = nullptr);

// True when s holds a C0 control character (U+0000..U+001F) or DEL.
bool has_control_char(std::string_view s, size_t *at = nullptr);

// s made into well-formed UTF-8 without control characters, keeping
// distinct inputs distinct: '%', every control character and every byte
// that is not part of well-formed UTF-8 become %XX (upper-case hex). A
// string that needs none of that comes back unchanged only when it holds no
// '%' either; callers apply it only to strings that fail the checks above.
std::string percent_escape(std::string_view s);

// s as it is when it is well-formed UTF-8 without control characters, else
// percent_escape(s): a host's path or URL made safe to put in a message (a
// newline in a file name must not split a log line). A URL's credentials
// are hidden first (core/redact.h).
std::string clean_text(std::string_view s);

} // namespace sp
