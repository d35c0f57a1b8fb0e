#include "trace/transitions.h"

#include <algorithm>
#include <istream>
#include <ostream>

#include <nlohmann/json.hpp>

#include "trace/trace.h"

namespace sp {

bool read_transitions(std::istream &in, VideoTransitions &out, std::string &err) {
  out.clear();
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto fail = [&](const std::string &why) {
      err = "line " + std::to_string(n) + ": " + why;
      return false;
    };
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return fail("not a JSON object");
    if (!j.contains("video") || !j["video"].is_string() || j["video"].get<std::string>().empty())
      return fail("missing \"video\" (a non-empty string)");
    if (!j.contains("transitions_ms") || !j["transitions_ms"].is_array())
      return fail("missing \"transitions_ms\" (an array of positions in ms)");
    std::vector<int64_t> pos;
    for (const auto &x : j["transitions_ms"]) {
      if (!x.is_number_integer()) return fail("transitions_ms: not an integer");
      const int64_t v = x.get<int64_t>();
      if (v < 0 || v > 10'000'000'000LL)
        return fail("transitions_ms: " + std::to_string(v) + " out of range");
      pos.push_back(v);
    }
    std::sort(pos.begin(), pos.end());
    pos.erase(std::unique(pos.begin(), pos.end()), pos.end());
    const std::string id = j["video"].get<std::string>();
    if (out.count(id)) return fail("video \"" + id + "\" listed twice");
    out.emplace(id, std::move(pos));
  }
  return true;
}

bool read_transitions_file(const std::string &path, VideoTransitions &out, std::string &err) {
  return read_file_with(path, err, [&](std::istream &in, std::string &e) { return read_transitions(in, out, e); });
}

void write_transitions(std::ostream &out, const VideoTransitions &t) {
  for (const auto &[id, pos] : t)
    out << nlohmann::json{{"video", id}, {"transitions_ms", pos}}.dump() << '\n';
}

} // namespace sp
