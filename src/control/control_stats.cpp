#include "control/control_stats.h"

#include <algorithm>
#include <cmath>

namespace sp {

namespace {
double seconds_between(SessionStats::Clock::time_point a, SessionStats::Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}
} // namespace

void SessionStats::begin_session(Clock::time_point now) {
  awake_s_ = asleep_s_ = 0;
  wakes_proactive_ = wakes_on_demand_ = misses_ = wakeups_ = 0;
  latencies_ms_.clear();
  stretch_start_ = now;
}

void SessionStats::end_stretch(Clock::time_point now, bool was_awake) {
  (was_awake ? awake_s_ : asleep_s_) += seconds_between(stretch_start_, now);
  stretch_start_ = now;
}

void SessionStats::add_wake_latency(Clock::time_point call_arrival, Clock::time_point gate_open) {
  latencies_ms_.push_back(std::chrono::duration<double, std::milli>(gate_open - call_arrival).count());
}

double SessionStats::latency_percentile(double q) const {
  if (latencies_ms_.empty()) return 0;
  std::vector<double> v = latencies_ms_;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  i = std::clamp<size_t>(i, 1, v.size()) - 1;
  return v[i];
}

void SessionStats::fill(ControlStats &out, Clock::time_point now, bool session_open, bool asleep) const {
  out.awake_s = awake_s_;
  out.asleep_s = asleep_s_;
  if (session_open) (asleep ? out.asleep_s : out.awake_s) += seconds_between(stretch_start_, now);
  out.wakes_proactive = wakes_proactive_;
  out.wakes_on_demand = wakes_on_demand_;
  out.misses = misses_;
  out.wake_latency_p50_ms = latency_percentile(0.50);
  out.wake_latency_p99_ms = latency_percentile(0.99);
  out.control_wakeups = wakeups_;
  out.events_submitted = submitted_;
  out.policy = policy_;
  out.model_version = model_version_;
  out.model_log_loss = model_log_loss_;
}

void SessionStats::set_policy(const std::string &name, const std::string &model_version,
                              double model_log_loss) {
  policy_ = name;
  model_version_ = model_version;
  model_log_loss_ = model_log_loss;
}

} // namespace sp
