// The reason behind an exception from nlohmann::json, in words for a
// message: "not valid JSON (at byte 5)" rather than "[json.exception.
// parse_error.101] parse error at line 1, column 5: syntax error while
// parsing value - invalid literal; last read: '<binary bytes>'", which also
// copies the file's bytes (maybe binary) into the message.
//
// Thread safety: a pure function.
#pragma once
#include <exception>
#include <string>

#include <nlohmann/json.hpp>

namespace sp {

inline std::string json_error_text(const std::exception &e) {
  if (const auto *pe = dynamic_cast<const nlohmann::json::parse_error *>(&e))
    return "not valid JSON (at byte " + std::to_string(pe->byte) + ")";
  std::string what = e.what();
  if (dynamic_cast<const nlohmann::json::exception *>(&e) && what.rfind("[json.exception.", 0) == 0) {
    const auto close = what.find("] ");
    if (close != std::string::npos) return what.substr(close + 2);
  }
  return what;
}

} // namespace sp
