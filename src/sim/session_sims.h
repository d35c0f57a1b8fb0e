// One simulated session, from a viewer, a video and a start time: the
// structured process (session_sim.cpp: scenes, intro, credits, pauses, drift's
// habits) and the renewal modes' i.i.d. gaps (renewal_sim.cpp). Internal to
// src/sim/; the simulator (simulator.cpp) decides who watches what and when.
//
// Thread safety: none needed; each call uses only its arguments (one Rng per
// call, not shared).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/random.h"
#include "sim/simulator.h"

namespace sp::sim::detail {

inline int64_t to_ms(double v) {
  return static_cast<int64_t>(std::llround(v));
}

// A simulated session before its events: who watched what, from when.
inline TraceSession session_head(std::string session_id, const Viewer &viewer, const Video &video,
                                 std::string_view genre, int64_t duration_ms, double start_wall) {
  return TraceSession{std::move(session_id),
                      viewer.id,
                      video.id,
                      std::string(genre),
                      duration_ms,
                      to_ms(start_wall),
                      0,
                      "",
                      {}};
}

// Both simulators' events: numbered in order, never before the one before.
inline void push_event(std::vector<Interaction> &events, Kind k, int64_t position_ms, double wall,
                       std::optional<int64_t> from, std::optional<int64_t> to,
                       std::optional<double> old_value, std::optional<double> value) {
  Interaction e;
  e.seq = static_cast<int64_t>(events.size()) + 1;
  e.kind = k;
  e.position_ms = position_ms;
  e.wall_ms = to_ms(wall);
  if (!events.empty()) e.wall_ms = std::max(e.wall_ms, events.back().wall_ms);
  e.from_ms = from;
  e.to_ms = to;
  e.old_value = old_value;
  e.value = value;
  events.push_back(e);
}

// A structured (or drifting) session of `viewer` watching `video` from
// start_wall (ms): the in-session process of docs/simulator.md.
TraceSession simulate_session(Rng &rng, const Viewer &viewer, const Video &video, double start_wall,
                              std::string session_id);

// A memoryless, bursty or heavy-tailed session (opt.mode): i.i.d. gaps.
TraceSession simulate_renewal_session(Rng &rng, const SimOptions &opt, const Viewer &viewer,
                                      const Video &video, double start_wall, std::string session_id);

} // namespace sp::sim::detail
