// A decision point: what a forecaster and a policy see when the control plane
// (or trace replay) asks what to do next. It lives with the predictor, the
// lower of the two layers (policy -> predict), so predict/ never includes
// policy/. A plain value; not shared between threads.
#pragma once
#include <cstdint>

#include "trace/playback.h"
#include "trace/trace.h"

namespace sp {

// What a policy (and its forecaster) can see at a decision point: the session so far (meta and
// the interactions up to and including the latest), and the player's state.
struct PolicyContext {
  const TraceSession *session = nullptr; // events: only those up to now
  int64_t now_wall_ms = 0;               // the decision time
  int64_t position_ms = 0;               // media position now
  bool paused = false;
  double rate = 1.0;
  bool after_proactive_wake = false; // decision point is a proactive wake, not an interaction
};

// The decision point at `now_wall_ms` of a replayed session: `session` so far,
// with the player as `state` left it (replay and the learned policy's
// look-back build it this one way).
inline PolicyContext context_at(const TraceSession &session, const PlaybackState &state, int64_t now_wall_ms,
                                bool after_proactive_wake = false) {
  PolicyContext ctx;
  ctx.session = &session;
  ctx.now_wall_ms = now_wall_ms;
  ctx.position_ms = state.position_at(now_wall_ms);
  ctx.paused = state.paused;
  ctx.rate = state.rate;
  ctx.after_proactive_wake = after_proactive_wake;
  return ctx;
}

} // namespace sp
