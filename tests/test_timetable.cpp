// The control thread's timetable (control/timetable.h): which deadline each
// schedule arms, and that nothing is due without one.
#include <catch2/catch.hpp>

#include "control/timetable.h"

using namespace sp;
using namespace std::chrono_literals;

namespace {
Schedule sched(const Plan &p) {
  return schedule_of(p);
}
} // namespace

TEST_CASE("timetable: sleep after the awake stretch, wake after the planned sleep") {
  Timetable t;
  const auto t0 = Timetable::Clock::now();
  t.follow(sched(Plan{2'000, 5'000}), t0);
  CHECK_FALSE(t.stretch_over(t0 + 1'999ms));
  CHECK(t.stretch_over(t0 + 2'000ms));
  CHECK_FALSE(t.asks_again());
  CHECK(t.awake_deadline(false) == t0 + 2'000ms);
  CHECK(t.fall_asleep(t0 + 2'000ms) == 5'000);
  CHECK_FALSE(t.stretch_over(t0 + 10s)); // asleep: no stretch is armed
  REQUIRE(t.wake_at());
  CHECK(*t.wake_at() == t0 + 7'000ms);
  CHECK(t.wakes_in_ms(t0 + 3'000ms) == 4'000);
  CHECK(t.wakes_in_ms(t0 + 9'000ms) == 0);
  t.woke(t0 + 7'000ms);
  CHECK_FALSE(t.wake_at());
  CHECK(t.wakes_in_ms(t0) == -1);
}

TEST_CASE("timetable: until woken on demand there is no deadline at all") {
  Timetable t;
  const auto t0 = Timetable::Clock::now();
  t.follow(sched(Plan{0, -1}), t0);
  CHECK(t.stretch_over(t0));
  CHECK(t.fall_asleep(t0) == -1);
  CHECK_FALSE(t.wake_at());
  CHECK_FALSE(t.awake_deadline(false));
  t.follow(sched(Plan{-1, -1}), t0); // stays awake: nothing to fall asleep for
  CHECK_FALSE(t.stretch_over(t0 + 24h));
  CHECK_FALSE(t.awake_deadline(false));
}

TEST_CASE("timetable: a zero-length sleep asks again; clear disarms everything") {
  Timetable t;
  const auto t0 = Timetable::Clock::now();
  t.follow(sched(Plan{1'500, 0}), t0);
  CHECK(t.asks_again());
  CHECK(t.stretch_over(t0 + 1'500ms));
  t.follow(sched(Plan{1'000, 4'000}), t0);
  t.fall_asleep(t0 + 1s);
  t.clear();
  CHECK_FALSE(t.wake_at());
  CHECK_FALSE(t.stretch_over(t0 + 24h));
}

TEST_CASE("timetable: progress ticks while playing, and far deadlines saturate") {
  Timetable t;
  const auto t0 = Timetable::Clock::now();
  t.progress_now(t0);
  CHECK(t.progress_due(t0));
  t.progress_sent(t0);
  CHECK_FALSE(t.progress_due(t0 + 999ms));
  CHECK(t.progress_due(t0 + 1'000ms));
  CHECK(t.awake_deadline(true) == t0 + 1'000ms);
  CHECK_FALSE(t.awake_deadline(false));
  t.follow(sched(Plan{500, -1}), t0);
  CHECK(t.awake_deadline(true) == t0 + 500ms);
  CHECK(Timetable::after_ms(t0, Schedule::kNever) == Timetable::Clock::time_point::max());
  t.follow(sched(Plan{Schedule::kNever - 1, 10}), t0);
  CHECK_FALSE(t.stretch_over(t0 + 24h * 365));
}
