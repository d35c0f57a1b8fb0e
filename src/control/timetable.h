// The control thread's deadlines on the steady clock: when the awake stretch
// ends (then sleep, or ask the policy again), when a sleep ends with a
// proactive wake, and when the next progress tick is due. It follows the
// schedule of each decision (policy/schedule.h) and arms no timer itself: the
// control thread waits until the earliest deadline it reports, or, with none,
// with no timeout at all.
//
// Thread safety: none of its own; the control plane's mutex guards it.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>

#include "policy/schedule.h"

namespace sp {

class Timetable {
public:
  using Clock = std::chrono::steady_clock;
  static constexpr int kProgressMs = 1000; // progress tick while awake and playing

  // A decision at `now` asked for `s`.
  void follow(const Schedule &s, Clock::time_point now);
  // No session: nothing is due (no sleep, no proactive wake).
  void clear();

  // The awake stretch has ended: fall asleep, or (asks_again()) decide again.
  bool stretch_over(Clock::time_point now) const { return sleep_at_ && now >= *sleep_at_; }
  bool asks_again() const { return ask_again_; }
  // Falling asleep at `now`: arms the proactive wake; returns the planned
  // sleep in ms (-1: until woken on demand).
  int64_t fall_asleep(Clock::time_point now);
  std::optional<Clock::time_point> wake_at() const { return wake_at_; }
  // Woken at `now`: no wake is armed any more; a progress tick is due at once.
  void woke(Clock::time_point now);

  bool progress_due(Clock::time_point now) const { return now >= next_progress_; }
  void progress_sent(Clock::time_point now) { next_progress_ = now + std::chrono::milliseconds(kProgressMs); }
  void progress_now(Clock::time_point now) { next_progress_ = now; }

  // While awake: the earliest deadline (the stretch's end, and the next
  // progress tick while playing); nullopt for none.
  std::optional<Clock::time_point> awake_deadline(bool playing) const;
  // Asleep: ms until the proactive wake (>= 0), or -1 when none is armed.
  int64_t wakes_in_ms(Clock::time_point now) const;

  // now + ms, saturating at time_point::max() (ms >= 0).
  static Clock::time_point after_ms(Clock::time_point now, int64_t ms);

private:
  std::optional<Clock::time_point> sleep_at_, wake_at_;
  bool ask_again_ = false;
  int64_t planned_sleep_ms_ = -1;
  Clock::time_point next_progress_{};
};

} // namespace sp
