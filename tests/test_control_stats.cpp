// The control plane's session statistics (control/control_stats.h).
#include <catch2/catch.hpp>

#include "control/control_stats.h"

using namespace sp;
using namespace std::chrono_literals;

TEST_CASE("stats: awake and asleep stretches, the open one counted while a session is open") {
  SessionStats s;
  const auto t0 = SessionStats::Clock::now();
  s.begin_session(t0);
  s.end_stretch(t0 + 2s, true);  // awake 2 s
  s.end_stretch(t0 + 7s, false); // asleep 5 s
  ControlStats out;
  s.fill(out, t0 + 8s, true, false); // awake again for 1 s so far
  CHECK(out.awake_s == Approx(3));
  CHECK(out.asleep_s == Approx(5));
  s.fill(out, t0 + 8s, false, false); // no session: only closed stretches
  CHECK(out.awake_s == Approx(2));
}

TEST_CASE("stats: counters restart with a session; submitted counts on") {
  SessionStats s;
  const auto t0 = SessionStats::Clock::now();
  s.begin_session(t0);
  s.count_submitted();
  s.count_wake(true);
  s.count_wake(false);
  s.count_wake(false);
  s.count_miss();
  s.count_wakeup();
  s.set_policy("learned", "7", 0.41);
  ControlStats out;
  s.fill(out, t0, true, false);
  CHECK(out.wakes_proactive == 1);
  CHECK(out.wakes_on_demand == 2);
  CHECK(out.misses == 1);
  CHECK(out.control_wakeups == 1);
  CHECK(out.events_submitted == 1);
  CHECK(out.policy == "learned");
  CHECK(out.model_version == "7");
  CHECK(out.model_log_loss == 0.41);
  s.begin_session(t0 + 1s);
  s.fill(out, t0 + 1s, true, false);
  CHECK(out.wakes_proactive == 0);
  CHECK(out.wakes_on_demand == 0);
  CHECK(out.misses == 0);
  CHECK(out.control_wakeups == 0);
  CHECK(out.events_submitted == 1);
  CHECK(out.policy == "learned");
}

TEST_CASE("stats: wake latency percentiles by nearest rank") {
  SessionStats s;
  const auto t0 = SessionStats::Clock::now();
  s.begin_session(t0);
  CHECK(s.latency_percentile(0.5) == 0);
  for (int ms = 1; ms <= 100; ++ms)
    s.add_wake_latency(t0, t0 + std::chrono::milliseconds(ms));
  CHECK(s.latency_percentile(0.50) == Approx(50));
  CHECK(s.latency_percentile(0.99) == Approx(99));
  CHECK(s.latency_percentile(1.0) == Approx(100));
  ControlStats out;
  s.fill(out, t0, true, false);
  CHECK(out.wake_latency_p50_ms == Approx(50));
  CHECK(out.wake_latency_p99_ms == Approx(99));
}
