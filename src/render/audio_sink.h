// The audio output path shared by the SDL audio device and sp_audio_read:
// a lock-free single-producer/single-consumer ring of blocks of interleaved
// stereo S16 samples at the output rate, filled by the audio decoder thread
// and drained by the consumer (SDL's audio callback or the host's call to
// sp_audio_read). The consumer never blocks: concurrent consumers are
// serialised by a try-lock (a loser gets silence), stale blocks (from before
// a seek) are recognised by their serial and dropped, volume and mute are
// applied while copying, and the audio clock is published after each read.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core/clock.h"

namespace sp {

struct AudioBlock {
  static constexpr int kFrames = 512; // stereo frames per block
  int16_t samples[kFrames * 2];
  int frames = 0;
  double pts = 0;   // media position of the first sample (seconds)
  double step = 0;  // media seconds per output frame (= rate / out_rate)
  int serial = 0;
};

class AudioSink {
public:
  explicit AudioSink(int out_rate, int blocks = 24);
  AudioSink(const AudioSink &) = delete;
  AudioSink &operator=(const AudioSink &) = delete;

  int out_rate() const { return out_rate_.load(std::memory_order_relaxed); }
  void set_out_rate(int r) { out_rate_.store(r, std::memory_order_relaxed); }
  // Frames of output latency after a read (SDL: the device buffer).
  void set_latency_frames(int n) { latency_frames_.store(n, std::memory_order_relaxed); }

  // ---- producer (audio decoder thread) ----
  // A block to fill, or nullptr if the ring is full.
  AudioBlock *write_slot();
  void commit();
  // Wait up to timeout_ms for free space (consumer notifies best-effort).
  void wait_space(int timeout_ms);
  // Frames queued in the ring for `serial` (approximate, any thread).
  int queued_frames() const;
  bool empty() const;

  // ---- control (any thread) ----
  // Start a new serial: every block with another serial is dropped by the
  // consumer. Returns the new serial.
  int new_serial();
  int serial() const { return serial_.load(std::memory_order_acquire); }
  void set_active(bool a) { active_.store(a, std::memory_order_release); }
  bool active() const { return active_.load(std::memory_order_acquire); }
  void set_paused(bool p) { paused_.store(p, std::memory_order_release); }
  void set_volume(int v) { volume_.store(v, std::memory_order_relaxed); }
  void set_muted(bool m) { muted_.store(m, std::memory_order_relaxed); }
  // Drop samples before `pts` (used after frame steps so audio resumes at the picture).
  void skip_until(double pts) { skip_until_.store(pts, std::memory_order_release); }

  // ---- consumer (audio callback / sp_audio_read; never blocks) ----
  // Fills `frames` stereo frames (silence where there is no data). Returns
  // the number of frames that came from media (the rest is silence).
  int read(int16_t *out, int frames);

  const SeqClock &clock() const { return clock_; }
  int64_t underruns() const { return underruns_.load(std::memory_order_relaxed); }

private:
  std::vector<AudioBlock> ring_;
  std::atomic<size_t> head_{0}; // blocks written (producer)
  std::atomic<size_t> tail_{0}; // blocks consumed (consumer)
  std::atomic_flag consumer_busy_ = ATOMIC_FLAG_INIT;
  int offset_ = 0;              // consumer: frames consumed of the block at tail_
  double last_pts_ = NAN;       // consumer: media position of the next sample
  int last_serial_ = -1;

  std::atomic<int> out_rate_;
  std::atomic<int> latency_frames_{0};
  std::atomic<int> serial_{0};
  std::atomic<bool> active_{false};
  std::atomic<bool> paused_{true};
  std::atomic<int> volume_{100};
  std::atomic<bool> muted_{false};
  std::atomic<double> skip_until_{-1.0};
  std::atomic<int64_t> underruns_{0};
  SeqClock clock_;

  std::mutex space_mu_;
  std::condition_variable space_cv_;
};

} // namespace sp
