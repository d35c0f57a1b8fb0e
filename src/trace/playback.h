// Where the media is during a recorded session: the position, paused or
// playing, and the rate that the interactions so far imply, extrapolated to
// any wall time. Trace replay and the predictor's features both walk
// sessions with it, so they agree on where the viewer was.
#pragma once
#include <cstdint>

#include "core/interaction.h"
#include "trace/trace.h"

namespace sp {

struct PlaybackState {
  int64_t pos_ms = 0;     // media position at base_wall
  int64_t base_wall = 0;
  bool paused = true;     // after open, until play
  double rate = 1.0;
  int64_t duration_ms = 0;  // 0: unknown (no clamping at the end)

  // Media position at `wall` (clamped to [0, duration]).
  int64_t position_at(int64_t wall) const;
  // Applies an interaction recorded at `wall` (open/pause/stop/end pause,
  // play plays, seek jumps to its target, rate changes the speed).
  void apply(const Interaction &e, int64_t wall);
};

// Where replay and the predictor start a session's timeline: its `open`
// event when it begins with one, else the session's recorded start.
int64_t session_start_ms(const TraceSession &s);

} // namespace sp
