#include "render/audio_sink.h"

#include <algorithm>
#include <cstring>
#include <thread>

namespace sp {

AudioSink::AudioSink(int out_rate, int blocks) : ring_(static_cast<size_t>(blocks)), out_rate_(out_rate) {}

AudioBlock *AudioSink::write_slot() {
  size_t h = head_.load(std::memory_order_relaxed);
  size_t t = tail_.load(std::memory_order_acquire);
  if (h - t >= ring_.size()) return nullptr;
  return &ring_[h % ring_.size()];
}

void AudioSink::commit() { head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

void AudioSink::wait_space() {
  // Sequentially consistent on both sides (the consumer stores tail_, then
  // reads producer_waits_; we store producer_waits_, then read tail_), so
  // either we see the space or the consumer sees us waiting and wakes us.
  const uint32_t epoch = space_epoch_.load();
  producer_waits_.store(true);
  const size_t used = head_.load(std::memory_order_relaxed) - tail_.load();
  if ((ring_.size() - used) * 2 >= ring_.size()) {
    producer_waits_.store(false);
    return;
  }
  space_epoch_.wait(epoch);
  producer_waits_.store(false);
}

void AudioSink::wake_producer() {
  space_epoch_.fetch_add(1);
  space_epoch_.notify_all();
}

int AudioSink::queued_frames() const {
  size_t t = tail_.load(std::memory_order_acquire);
  size_t h = head_.load(std::memory_order_acquire);
  return static_cast<int>((h - t) * AudioBlock::kFrames);
}

bool AudioSink::empty() const {
  return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_acquire);
}

int AudioSink::new_serial() {
  int s = serial_.fetch_add(1, std::memory_order_acq_rel) + 1;
  wake_producer(); // it drops what it holds of the old serial
  return s;
}

void AudioSink::lock_consumer() {
  // A read never blocks and takes microseconds: spinning is the right wait.
  while (consumer_busy_.test_and_set(std::memory_order_acquire)) std::this_thread::yield();
}

void AudioSink::unlock_consumer() { consumer_busy_.clear(std::memory_order_release); }

void AudioSink::set_drained_hook(std::function<void()> hook) {
  lock_consumer();
  drained_hook_ = std::move(hook);
  unlock_consumer();
}

void AudioSink::set_paused(bool p) {
  paused_.store(p, std::memory_order_release);
  if (p) {
    // The device stops calling us: stop the clock where the sound is now
    // (at most where the samples handed over end), not where it would run
    // to if extrapolated.
    lock_consumer();
    SeqClock::Snapshot s = clock_.snapshot();
    if (!std::isnan(s.pts) && s.speed != 0) {
      double now = now_s();
      double v = s.pts + std::max(0.0, now - s.updated) * s.speed;
      if (!std::isnan(last_pts_)) v = std::min(v, last_pts_);
      clock_.set(v, 0.0, s.serial, now);
    }
    unlock_consumer();
  }
  if (AudioOutput *o = output_.load(std::memory_order_acquire)) o->on_sink_paused(p);
}

AudioSink::Continuity AudioSink::continuity() const {
  Continuity c;
  c.frames_played = frames_played_.load();
  c.discontinuities = discontinuities_.load();
  c.last_pts = played_until_.load();
  c.run_from = played_from_.load();
  c.run_frames = run_frames_.load();
  return c;
}

int AudioSink::read(int16_t *out, int frames) {
  if (frames <= 0) return 0;
  std::memset(out, 0, static_cast<size_t>(frames) * 2 * sizeof(int16_t));
  if (consumer_busy_.test_and_set(std::memory_order_acquire)) return 0; // another consumer: silence
  const double now = now_s();
  const int serial = serial_.load(std::memory_order_acquire);
  const bool active = active_.load(std::memory_order_acquire);
  const bool paused = paused_.load(std::memory_order_acquire);
  const size_t n = ring_.size();
  bool released = false;

  auto release_block = [&] {
    tail_.store(tail_.load(std::memory_order_relaxed) + 1); // seq_cst: see wait_space()
    offset_ = 0;
    released = true;
  };
  auto front = [&]() -> AudioBlock * {
    size_t t = tail_.load(std::memory_order_relaxed);
    if (head_.load(std::memory_order_acquire) == t) return nullptr;
    return &ring_[t % n];
  };

  // Drop blocks from an older serial (before a seek) even while paused, so
  // the producer is never stuck behind stale data.
  while (AudioBlock *b = front()) {
    if (b->serial == serial) break;
    release_block();
  }
  if (last_serial_ != serial) {
    last_pts_ = NAN;
    last_serial_ = serial;
  }
  if (played_serial_ != serial) {
    played_serial_ = serial;
    played_until_.store(NAN);
  }
  // Drop samples before a step target.
  double skip = skip_until_.load(std::memory_order_acquire);
  if (skip >= 0) {
    while (AudioBlock *b = front()) {
      double end = b->pts + b->frames * b->step;
      if (end <= skip) {
        release_block();
        continue;
      }
      int want = static_cast<int>((skip - b->pts) / b->step);
      if (want > offset_) offset_ = std::min(want, b->frames - 1);
      skip_until_.store(-1.0, std::memory_order_release);
      played_until_.store(NAN); // a deliberate jump, not a loss
      break;
    }
  }

  int written = 0;
  double first_pts = NAN;
  double speed = 0;
  if (active && !paused) {
    const bool muted = muted_.load(std::memory_order_relaxed);
    const int vol = muted ? 0 : volume_.load(std::memory_order_relaxed);
    // Perceptual-ish curve: gain = (v/100)^2, as 16.16 fixed point.
    const int64_t gain = (int64_t{vol} * vol * 65536) / 10000;
    while (written < frames) {
      AudioBlock *b = front();
      if (!b) break;
      const double at = b->pts + offset_ * b->step;
      if (std::isnan(first_pts)) {
        first_pts = at;
        speed = b->step * out_rate_.load(std::memory_order_relaxed);
      }
      double until = played_until_.load(std::memory_order_relaxed);
      if (std::isnan(until)) { // a new run
        played_from_.store(at, std::memory_order_relaxed);
        run_frames_.store(0, std::memory_order_relaxed);
      } else if (std::fabs(at - until) > 0.5 * b->step) {
        discontinuities_.fetch_add(1, std::memory_order_relaxed);
      }
      int take = std::min(frames - written, b->frames - offset_);
      const int16_t *src = b->samples + offset_ * 2;
      int16_t *dst = out + written * 2;
      if (gain == 65536) {
        std::memcpy(dst, src, static_cast<size_t>(take) * 2 * sizeof(int16_t));
      } else if (gain != 0) {
        for (int i = 0; i < take * 2; ++i) dst[i] = static_cast<int16_t>((src[i] * gain) >> 16);
      }
      written += take;
      offset_ += take;
      last_pts_ = b->pts + offset_ * b->step;
      played_until_.store(last_pts_, std::memory_order_relaxed);
      frames_played_.fetch_add(take, std::memory_order_relaxed);
      run_frames_.fetch_add(take, std::memory_order_relaxed);
      if (offset_ >= b->frames) release_block();
    }
    if (written < frames) underruns_.fetch_add(1, std::memory_order_relaxed);
    if (written > 0) last_consumed_.store(now, std::memory_order_release);
  }

  // Publish the audio clock: the media position audible now.
  SeqClock::Snapshot cur = clock_.snapshot();
  if (!std::isnan(first_pts)) {
    double lat = latency_frames_.load(std::memory_order_relaxed) * (speed / std::max(1, out_rate()));
    // Advances only while real samples are being played.
    clock_.set(first_pts - lat, written == frames ? speed : 0.0, serial, now);
  } else if (cur.serial != serial || std::isnan(cur.pts)) {
    // Nothing played in this serial yet (opened or sought while paused).
    if (!std::isnan(last_pts_)) clock_.set(last_pts_, 0.0, serial, now);
    else if (AudioBlock *b = front()) clock_.set(b->pts + offset_ * b->step, 0.0, serial, now);
  } else if (cur.speed != 0) {
    // Starved (or paused) while running: the clock stops where the sound did.
    double v = cur.pts + std::max(0.0, now - cur.updated) * cur.speed;
    if (!std::isnan(last_pts_)) v = std::min(v, last_pts_);
    clock_.set(v, 0.0, serial, now);
  }

  // Wake the producer once half of the ring is free (it refills in a burst).
  if (released && producer_waits_.load()) {
    size_t used = head_.load() - tail_.load(std::memory_order_relaxed);
    if ((n - used) * 2 >= n) {
      producer_waits_.store(false);
      space_epoch_.fetch_add(1);
      space_epoch_.notify_one();
    }
  }
  if (released && empty() && drained_hook_) drained_hook_();
  consumer_busy_.clear(std::memory_order_release);
  return written;
}

} // namespace sp
