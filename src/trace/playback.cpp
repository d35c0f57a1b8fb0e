#include "trace/playback.h"

#include <algorithm>

namespace sp {

int64_t PlaybackState::position_at(int64_t wall) const {
  double p = static_cast<double>(pos_ms);
  if (!paused && wall > base_wall) p += static_cast<double>(wall - base_wall) * rate;
  if (duration_ms > 0) p = std::min(p, static_cast<double>(duration_ms));
  return static_cast<int64_t>(std::max(0.0, p));
}

void PlaybackState::apply(const Interaction &e, int64_t wall) {
  pos_ms = e.position_ms;
  base_wall = wall;
  switch (e.kind) {
  case Kind::Open: paused = true; break;
  case Kind::Play: paused = false; break;
  case Kind::Pause: case Kind::Stop: case Kind::End: paused = true; break;
  case Kind::Seek: if (e.to_ms) pos_ms = *e.to_ms; break;
  case Kind::Rate: if (e.value && *e.value > 0) rate = *e.value; break;
  default: break;
  }
  if (duration_ms > 0) pos_ms = std::clamp<int64_t>(pos_ms, 0, duration_ms);
}

int64_t session_start_ms(const TraceSession &s) {
  return (!s.events.empty() && s.events[0].kind == Kind::Open) ? s.events[0].wall_ms : s.start_wall_ms;
}

} // namespace sp
