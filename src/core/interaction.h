// Interaction kinds and the interaction record shared by the player, the
// behaviour log, traces, the predictor and the control plane.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sp {

// What the viewer (or the host on the viewer's behalf) did. The numeric values
// are stored in the behaviour log; never renumber, only append.
enum class Kind : int {
  Open = 0,   // session start (media loaded)
  Play = 1,
  Pause = 2,
  Seek = 3,   // from_ms -> to_ms
  Skip = 4,   // next/previous item; value = +1 / -1
  Volume = 5, // old_value -> value (0..100)
  Mute = 6,   // value = 1 muted / 0 unmuted
  Rate = 7,   // old_value -> value
  Stop = 8,   // viewer stopped; ends the session
  Step = 9,   // frame step
  End = 10,   // end of file reached (not a viewer action)
};
inline constexpr int kKindCount = 11;

// "open", "play", ... (the trace format and the log use these names).
std::string_view kind_name(Kind k);
std::optional<Kind> kind_from_name(std::string_view name);
// True for kinds that are viewer actions (everything except Open and End):
// these are what the predictor forecasts and what counts as a miss.
bool is_viewer_action(Kind k);

// One interaction as recorded. Positions and times are milliseconds.
struct Interaction {
  int64_t seq = 0;          // per-session sequence number, 1-based, gap-free
  Kind kind = Kind::Play;
  int64_t position_ms = 0;  // media position when the call arrived (seek: from)
  int64_t wall_ms = 0;      // wall-clock time, ms since the Unix epoch
  // Payload (meaning by kind, see Kind); unused fields stay nullopt.
  std::optional<int64_t> from_ms, to_ms;   // seek
  std::optional<double> old_value, value;  // volume, rate, mute, skip
  bool operator==(const Interaction &) const = default;
};

} // namespace sp
