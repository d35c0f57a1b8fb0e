// The audio output path shared by the SDL audio device and sp_audio_read:
// a lock-free single-producer/single-consumer ring of blocks of interleaved
// stereo S16 samples at the output rate, filled by the audio decoder thread
// and drained by the consumer (SDL's audio callback or the host's call to
// sp_audio_read). The consumer never blocks: concurrent consumers are
// serialised by a try-lock (a loser gets silence), stale blocks (from before
// a seek) are recognised by their serial and dropped, volume and mute are
// applied while copying, and the audio clock is published after each read.
//
// Sleeping: the producer blocks (no timeout) while the ring is full and is
// woken once half of it is free again, so it refills in bursts rather than
// once per block; the consumer wakes it with a futex (std::atomic::notify)
// and takes no lock. Pausing freezes the audio clock at once and tells the
// output (the SDL device is paused and later released, see SdlAudio).
//
// Thread safety: one producer thread; consumers on any thread (serialised by
// the try-lock); the control methods from any thread. Hooks are set while no
// consumer runs (set_drained_hook waits for a running read to finish).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
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

// What the sink tells its output device (SdlAudio): playback paused or resumed.
class AudioOutput {
public:
  virtual ~AudioOutput() = default;
  // Any thread; must not block on the consumer.
  virtual void on_sink_paused(bool paused) = 0;
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
  // Block until at least half of the ring is free, or wake_producer() was
  // called (abort, new serial). No timeout.
  void wait_space();
  // End a wait_space() now (any thread).
  void wake_producer();
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
  // Pausing freezes the audio clock at the position audible now; both ways
  // the output is told (it pauses the device at once).
  void set_paused(bool p);
  bool paused() const { return paused_.load(std::memory_order_acquire); }
  void set_output(AudioOutput *out) { output_.store(out, std::memory_order_release); }
  // False while the output could not be (re)opened: the audio clock then
  // does not lead (nothing consumes the ring).
  void set_output_ok(bool ok) { output_ok_.store(ok, std::memory_order_release); }
  bool output_ok() const { return output_ok_.load(std::memory_order_acquire); }
  // Called on the consumer's thread when a read empties the ring (end of the
  // audio, or an underrun). Must not block. nullptr removes it.
  void set_drained_hook(std::function<void()> hook);
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
  // now_s() of the last read that took media samples (-inf: none yet).
  double last_consumed() const { return last_consumed_.load(std::memory_order_acquire); }

  // Continuity accounting (tests): media frames played, and the times a read
  // did not continue exactly where the previous one ended within a serial
  // (audio lost or played twice). A seek or a frame step starts afresh.
  struct Continuity {
    int64_t frames_played = 0;   // in all
    int64_t discontinuities = 0; // in all
    // The current run (since the serial began or a step): where it started,
    // how many frames it played, and the media position after the last one.
    // Without loss or repetition run_from + run_frames * step == last_pts.
    double run_from = NAN;
    int64_t run_frames = 0;
    double last_pts = NAN;
  };
  Continuity continuity() const;

private:
  std::vector<AudioBlock> ring_;
  std::atomic<size_t> head_{0}; // blocks written (producer)
  std::atomic<size_t> tail_{0}; // blocks consumed (consumer)
  std::atomic_flag consumer_busy_ = ATOMIC_FLAG_INIT;
  void lock_consumer();   // spin (briefly) until no read runs
  void unlock_consumer();
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
  std::atomic<double> last_consumed_{-std::numeric_limits<double>::infinity()};
  SeqClock clock_;
  std::atomic<AudioOutput *> output_{nullptr};
  std::atomic<bool> output_ok_{true};
  std::function<void()> drained_hook_; // guarded by consumer_busy_

  // Producer sleep: the consumer bumps the epoch to wake it.
  std::atomic<uint32_t> space_epoch_{0};
  std::atomic<bool> producer_waits_{false};

  // Continuity (written by the consumer, read by tests).
  std::atomic<int64_t> frames_played_{0}, discontinuities_{0};
  std::atomic<double> played_until_{NAN}, played_from_{NAN};
  std::atomic<int64_t> run_frames_{0};
  int played_serial_ = -1; // consumer only
};

} // namespace sp
