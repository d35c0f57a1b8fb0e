#include "render/audio_sink.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace sp {

AudioSink::AudioSink(int out_rate, int blocks) : ring_(static_cast<size_t>(blocks)), out_rate_(out_rate) {}

AudioBlock *AudioSink::write_slot() {
  size_t h = head_.load(std::memory_order_relaxed);
  size_t t = tail_.load(std::memory_order_acquire);
  if (h - t >= ring_.size()) return nullptr;
  return &ring_[h % ring_.size()];
}

void AudioSink::commit() { head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

void AudioSink::wait_space(int timeout_ms) {
  std::unique_lock lk(space_mu_);
  space_cv_.wait_for(lk, std::chrono::milliseconds(timeout_ms), [&] {
    return head_.load(std::memory_order_relaxed) - tail_.load(std::memory_order_acquire) < ring_.size();
  });
}

int AudioSink::queued_frames() const {
  size_t t = tail_.load(std::memory_order_acquire);
  size_t h = head_.load(std::memory_order_acquire);
  return static_cast<int>((h - t) * AudioBlock::kFrames);
}

bool AudioSink::empty() const {
  return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_acquire);
}

int AudioSink::new_serial() { return serial_.fetch_add(1, std::memory_order_acq_rel) + 1; }

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
    tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
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
      if (std::isnan(first_pts)) {
        first_pts = b->pts + offset_ * b->step;
        speed = b->step * out_rate_.load(std::memory_order_relaxed);
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
      if (offset_ >= b->frames) release_block();
    }
    if (written < frames) underruns_.fetch_add(1, std::memory_order_relaxed);
  }

  // Publish the audio clock: the media position audible now.
  if (!std::isnan(first_pts)) {
    double lat = latency_frames_.load(std::memory_order_relaxed) * (speed / std::max(1, out_rate()));
    // Advances only while real samples are being played.
    clock_.set(first_pts - lat, written == frames ? speed : 0.0, serial, now);
  } else if (!std::isnan(last_pts_)) {
    clock_.set(last_pts_, 0.0, serial, now); // paused or starved: the clock stands still
  } else if (AudioBlock *b = front()) {
    clock_.set(b->pts + offset_ * b->step, 0.0, serial, now);
  }
  consumer_busy_.clear(std::memory_order_release);
  if (released) space_cv_.notify_one();
  return written;
}

} // namespace sp
