// The control plane's statistics of a session (sp_get_stats): time awake and
// asleep, wakes by reason, misses, wake latency (call arrival to gate open),
// the control thread's returns from a wait, and interactions accepted.
//
// Thread safety: none of its own; the control plane guards its one
// SessionStats with its mutex.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sp {

// A snapshot (see sp_stats for the meaning of each figure).
struct ControlStats {
  double awake_s = 0, asleep_s = 0;
  int64_t wakes_proactive = 0, wakes_on_demand = 0, misses = 0;
  double wake_latency_p50_ms = 0, wake_latency_p99_ms = 0;
  int64_t control_wakeups = 0;
  int64_t events_submitted = 0, events_logged = 0, events_dropped = 0;
  std::string policy, model_version;
  double model_log_loss = -1;
};

class SessionStats {
public:
  using Clock = std::chrono::steady_clock;

  // A session begins: every per-session figure restarts (events_submitted,
  // which counts over the player's life, does not), awake from `now`.
  void begin_session(Clock::time_point now);
  // The current stretch (awake or asleep) ends at `now`; the next starts.
  void end_stretch(Clock::time_point now, bool was_awake);

  void count_wake(bool proactive) { ++(proactive ? wakes_proactive_ : wakes_on_demand_); }
  void count_miss() { ++misses_; }
  void count_wakeup() { ++wakeups_; }
  void count_submitted() { ++submitted_; }
  void add_wake_latency(Clock::time_point call_arrival, Clock::time_point gate_open);
  // The policy in force and its model ("" and -1 when none).
  void set_policy(const std::string &name, const std::string &model_version, double model_log_loss);

  // The figures now; with a session open the current stretch counts too.
  // Fills everything but the behaviour log's counts.
  void fill(ControlStats &out, Clock::time_point now, bool session_open, bool asleep) const;
  // The latency at quantile q in (0, 1] (nearest rank), 0 with none.
  double latency_percentile(double q) const;

private:
  Clock::time_point stretch_start_ = Clock::now();
  double awake_s_ = 0, asleep_s_ = 0;
  int64_t wakes_proactive_ = 0, wakes_on_demand_ = 0, misses_ = 0, wakeups_ = 0, submitted_ = 0;
  std::vector<double> latencies_ms_;
  std::string policy_, model_version_;
  double model_log_loss_ = -1;
};

} // namespace sp
