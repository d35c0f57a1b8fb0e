// Playback clocks (as in ffplay; in core/ because both the player and the
// audio sink in render/ read them): a clock is a media position (seconds) that
// advances at `speed` media seconds per wall second from the moment it was
// last set. The audio clock is written by the audio consumer (one writer at a
// time, never blocking: a seqlock over atomics); readers on any thread get a
// consistent snapshot without locks.
#pragma once
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>

namespace sp {

// Wall time in seconds on the monotonic clock.
inline double now_s() {
  using namespace std::chrono;
  return duration_cast<duration<double>>(steady_clock::now().time_since_epoch()).count();
}

// A now_s() time as a steady_clock time point (for wait_until).
inline std::chrono::steady_clock::time_point steady_at(double s) {
  using namespace std::chrono;
  return steady_clock::time_point(duration_cast<steady_clock::duration>(duration<double>(s)));
}

class SeqClock {
public:
  // Set the clock. Only one thread may write at a time (the caller ensures it).
  void set(double pts, double speed, int serial, double now) {
    // Every access is sequentially consistent (no fences: ThreadSanitizer
    // does not model them), so a reader that sees a field's new value also
    // sees the odd sequence number stored before it.
    uint32_t s = seq_.load();
    seq_.store(s + 1);
    pts_.store(pts);
    speed_.store(speed);
    updated_.store(now);
    serial_.store(serial);
    seq_.store(s + 2);
  }

  struct Snapshot {
    double pts = NAN, speed = 0, updated = 0;
    int serial = -1;
  };
  Snapshot snapshot() const {
    Snapshot sn;
    for (;;) {
      uint32_t a = seq_.load();
      if (a & 1u) continue;
      sn.pts = pts_.load();
      sn.speed = speed_.load();
      sn.updated = updated_.load();
      sn.serial = serial_.load();
      if (seq_.load() == a) return sn;
    }
  }
  // Position now; extrapolation is capped at max_extrapolate wall seconds so a
  // clock whose writer stopped (host stopped pulling audio) stalls instead of
  // running away. NAN when never set.
  double get(double now, double max_extrapolate = 1e9) const {
    Snapshot s = snapshot();
    if (std::isnan(s.pts)) return NAN;
    double dt = now - s.updated;
    if (dt < 0) dt = 0;
    if (dt > max_extrapolate) dt = max_extrapolate;
    return s.pts + dt * s.speed;
  }
  int serial() const { return snapshot().serial; }
  void reset() { set(NAN, 0, -1, 0); }

private:
  std::atomic<uint32_t> seq_{0};
  std::atomic<double> pts_{NAN};
  std::atomic<double> speed_{0};
  std::atomic<double> updated_{0};
  std::atomic<int> serial_{-1};
};

} // namespace sp
