// Wall time for stamping what the player logs (interactions, decisions,
// session starts and ends): milliseconds since the Unix epoch that never go
// back. The system clock can step backwards (NTP, a user changing the time),
// and a log whose times go back inside a session breaks replay and the
// oracle's lower bound (issue 10, defect 11). So the system clock is read
// only when the clock is anchored (at construction and at every session
// start); between anchors time advances on the monotonic clock. An anchor
// follows the system clock forward, never backward: if the system clock is
// now behind the last stamp, the stamps go on from the last stamp.
//
// The player and the control plane stamp everything through wall_now_ms(),
// one clock for the whole process, anchored at every session start
// (anchor_wall_clock()): stamps never go back, across sessions and players.
//
// Thread safety: now_ms() from any thread, concurrently with anchor(); both
// are lock-free (one atomic offset, which only ever grows).
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>

namespace sp {

class WallClock {
public:
  using Source = int64_t (*)(); // milliseconds
  static int64_t system_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
  static int64_t steady_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  }

  // `system` and `steady` are replaceable for tests.
  explicit WallClock(Source system = &system_ms, Source steady = &steady_ms)
      : system_(system), steady_(steady) {
    offset_.store(system_() - steady_());
  }

  // Re-read the system clock: later stamps count on from it, unless it is
  // behind the stamps already given (then they go on from those).
  void anchor() {
    int64_t steady = steady_();
    int64_t want = system_() - steady;
    int64_t cur = offset_.load();
    while (want > cur && !offset_.compare_exchange_weak(cur, want)) {
    }
  }

  // Milliseconds since the Unix epoch; never less than a value returned before.
  int64_t now_ms() const { return steady_() + offset_.load(); }

private:
  Source system_, steady_;
  std::atomic<int64_t> offset_{0}; // wall - steady; only grows
};

// The process's stamping clock.
WallClock &wall_clock();
// Milliseconds since the Unix epoch for a log entry; never less than an earlier stamp.
inline int64_t wall_now_ms() { return wall_clock().now_ms(); }
// At a session start: follow the system clock forward if it moved ahead.
inline void anchor_wall_clock() { wall_clock().anchor(); }

} // namespace sp
