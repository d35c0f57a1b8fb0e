#include "core/interaction.h"

#include <array>

namespace sp {
namespace {
constexpr std::array<std::string_view, kKindCount> kNames = {
    "open", "play", "pause", "seek", "skip", "volume", "mute", "rate", "stop", "step", "end"};
}

std::string_view kind_name(Kind k) {
  auto i = static_cast<int>(k);
  return (i >= 0 && i < kKindCount) ? kNames[static_cast<size_t>(i)] : std::string_view("unknown");
}

std::optional<Kind> kind_from_name(std::string_view name) {
  for (int i = 0; i < kKindCount; ++i)
    if (kNames[static_cast<size_t>(i)] == name) return static_cast<Kind>(i);
  return std::nullopt;
}

bool is_viewer_action(Kind k) { return k != Kind::Open && k != Kind::End; }

} // namespace sp
