#include "control/timetable.h"

#include <algorithm>

namespace sp {

Timetable::Clock::time_point Timetable::after_ms(Clock::time_point now, int64_t ms) {
  const auto room =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point::max() - now).count();
  return ms >= room ? Clock::time_point::max() : now + std::chrono::milliseconds(ms);
}

void Timetable::follow(const Schedule &s, Clock::time_point now) {
  if (s.stays_awake()) {
    sleep_at_.reset();
    return;
  }
  sleep_at_ = after_ms(now, s.awake_ms);
  ask_again_ = s.then == Schedule::Then::AskAgain;
  planned_sleep_ms_ = s.wakes_proactively() ? s.asleep_ms : -1;
}

void Timetable::clear() {
  sleep_at_.reset();
  wake_at_.reset();
}

int64_t Timetable::fall_asleep(Clock::time_point now) {
  sleep_at_.reset();
  if (planned_sleep_ms_ >= 0)
    wake_at_ = after_ms(now, planned_sleep_ms_);
  else
    wake_at_.reset();
  return planned_sleep_ms_;
}

void Timetable::woke(Clock::time_point now) {
  wake_at_.reset();
  next_progress_ = now;
}

std::optional<Timetable::Clock::time_point> Timetable::awake_deadline(bool playing) const {
  std::optional<Clock::time_point> dl = sleep_at_;
  if (playing) dl = dl ? std::min(*dl, next_progress_) : next_progress_;
  return dl;
}

int64_t Timetable::wakes_in_ms(Clock::time_point now) const {
  if (!wake_at_) return -1;
  return std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(*wake_at_ - now).count());
}

} // namespace sp
