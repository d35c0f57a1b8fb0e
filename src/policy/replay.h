// Trace replay: run a Policy over a recorded session's wall-clock timeline and
// charge it with the cost model; evaluation splits without leakage.
//
// Replay rules (docs/model.md):
// - the session starts awake at its open event (events[0] when it is an
//   `open`, else start_wall_ms) and ends at end_wall_ms (the last event's time
//   when end_wall_ms is 0); events outside that span are ignored;
// - decision points: the start, every viewer action (is_viewer_action), every
//   proactive wake; other events (`end`, a later `open`) only update the state;
// - an action at the instant of a proactive wake finds the plane awake; an
//   action at the instant it falls asleep too; an action strictly inside a
//   sleep is a miss and an on-demand wake (counted in `wakes`);
// - events are handled in their order; one recorded earlier than an event
//   before it (a wall clock that stepped back; the trace reader refuses
//   such traces, a behaviour log may hold them) is handled at that earlier
//   event's time: the replay clock never goes back, and the oracle's closed
//   form (OraclePolicy::optimal_cost) uses the same times;
// - cost = h * awake_s + w * wakes + m * misses.
// All functions are reentrant; a Policy object must not be shared by threads.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "policy/policy.h"
#include "trace/trace.h"

namespace sp {

struct ReplayInterval {
  int64_t start_ms = 0;  // wall ms
  int64_t end_ms = 0;
  bool awake = true;
};

struct SessionReplay {
  std::string session_id;
  double awake_s = 0, asleep_s = 0;
  int64_t wakes = 0;            // proactive + on demand
  int64_t proactive_wakes = 0;
  int64_t misses = 0;
  int64_t interactions = 0;     // viewer actions inside the session's span
  int64_t decisions = 0;
  double cost = 0;
  std::vector<ReplayInterval> timeline;   // when asked for
  std::vector<int64_t> action_wall_ms;    // when asked for
  std::vector<bool> action_missed;        // parallel to action_wall_ms
};

struct ReplayTotals {
  int64_t sessions = 0;
  double awake_s = 0, asleep_s = 0;
  int64_t wakes = 0, proactive_wakes = 0, misses = 0, interactions = 0;
  double cost = 0;
  void add(const SessionReplay &r);
  double awake_fraction() const;
  double misses_per_100() const;   // per 100 interactions
  double wakes_per_hour() const;   // per hour of session time
};

// The span replay uses: [start, end] in wall ms.
void session_span(const TraceSession &s, int64_t &start_ms, int64_t &end_ms);

// Replay one session. `keep_timeline` also fills the intervals and actions.
SessionReplay replay_session(const TraceSession &s, Policy &policy, const CostModel &cost,
                             bool keep_timeline = false);

// Makes the policy for one session (the oracle needs the full session; others ignore it).
using PolicyMaker = std::function<std::unique_ptr<Policy>(const TraceSession &full)>;

// Sees each session's replay (with its timeline and actions) as it is done.
using SessionObserver = std::function<void(const TraceSession &full, const SessionReplay &replay)>;

ReplayTotals replay_all(const std::vector<const TraceSession *> &sessions, const PolicyMaker &make,
                        const CostModel &cost, const SessionObserver &observe = {});

// ---- Splits -----------------------------------------------------------------
struct Split {
  std::string name;                       // "time" | "viewer"
  std::vector<const TraceSession *> train, test;
};

// Train on sessions starting before the 70 % quantile of start times, test on
// the rest (so every test session starts at or after every train session).
Split split_by_time(const std::vector<TraceSession> &sessions, double train_fraction = 0.7);
// Hash-split viewers (FNV-1a 64 of the viewer id): ~80 % train, the rest test;
// no viewer is in both.
Split split_by_viewer(const std::vector<TraceSession> &sessions, double train_fraction = 0.8);
uint64_t viewer_hash(const std::string &viewer);

} // namespace sp
