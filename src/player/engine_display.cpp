// Clocks and display: the master clock, ffplay's frame timing
// (compute_target_delay) and the refresh that shows each picture when due.
#include "player/engine.h"

#include <algorithm>

#include "player/engine_tuning.h"
#include "render/audio_sink.h"
#include "render/sdl_output.h"
#include "render/video_convert.h"

namespace sp {
using namespace engine_tuning;

// ------------------------------------------------------------------ clocks
bool Engine::audio_clock_valid(double now, double *value) const {
  if (!audio_on_ || !sink_->active() || !sink_->output_ok()) return false;
  if (afinished_.load() == audioq_.serial() && sink_->empty()) return false; // audio ended
  SeqClock::Snapshot s = sink_->clock().snapshot();
  if (s.serial != sink_->serial() || std::isnan(s.pts)) return false;
  double dt = std::clamp(now - s.updated, 0.0, 0.25);
  *value = s.pts + dt * s.speed;
  return true;
}

double Engine::audio_position(double now) const {
  double v;
  if (audio_clock_valid(now, &v)) return v;
  // Ended (or paused): where the sound stopped, for this serial.
  if (!audio_on_ || !sink_->active()) return NAN;
  SeqClock::Snapshot s = sink_->clock().snapshot();
  return s.serial == sink_->serial() ? s.pts : NAN;
}

double Engine::master_clock(double now) const {
  double v;
  if (audio_clock_valid(now, &v)) return v;
  return ext_clock_.get(now);
}

void Engine::set_ext_clock(double pts, double now) {
  std::lock_guard lk(ext_mu_);
  ext_clock_.set(pts, paused_.load() ? 0.0 : rate(), ext_clock_.serial() + 1, now);
}

double Engine::vp_duration(const Picture &vp, const Picture &next) const {
  if (vp.serial == next.serial) {
    double d = next.pts - vp.pts;
    if (std::isnan(d) || d <= 0 || d > kMaxFrameDuration) return vp.duration;
    return d;
  }
  return 0.0;
}

double Engine::compute_target_delay(double delay, double now) const {
  double v;
  double master = audio_clock_valid(now, &v) ? v : NAN;
  if (std::isnan(master)) master = ext_clock_.get(now);
  double diff = (vid_clock_.get(now) - master) / rate();
  double thr = std::max(kSyncThresholdMin, std::min(kSyncThresholdMax, delay));
  if (!std::isnan(diff) && std::fabs(diff) < kNoSyncThreshold) {
    if (diff <= -thr)
      delay = std::max(0.0, delay + diff);
    else if (diff >= thr && (delay > kSyncFramedupThreshold || diff > kSyncHoldThreshold))
      delay = delay + diff; // hold the picture until the master clock reaches the next one
    else if (diff >= thr)
      delay = 2 * delay;
  }
  return delay;
}

// ------------------------------------------------------------------ display
void Engine::deliver(Picture &pic) {
  if (opt_.video != EngineOptions::Video::Callback || !listener_ || !pic.frame || !pic.frame->data[0]) return;
  if (abort_.load(std::memory_order_acquire)) return; // stopped (from a callback: not joined yet)
  sp_video_frame vf{};
  vf.struct_size = sizeof vf;
  const AVFrame *f = pic.frame.get();
  vf.width = f->width;
  vf.height = f->height;
  vf.format = f->format == AV_PIX_FMT_RGBA ? SP_PIXEL_RGBA32 : SP_PIXEL_YUV420P;
  int planes = vf.format == SP_PIXEL_RGBA32 ? 1 : 3;
  for (int i = 0; i < planes; ++i) {
    vf.data[i] = f->data[i];
    vf.linesize[i] = f->linesize[i];
  }
  vf.pts_ms = std::llround(pic.pts * 1000);
  vf.frame_number = pic.frame_number;
  if (vf.format == SP_PIXEL_RGBA32) {
    vf.color_matrix = SP_COLOR_RGB;
    vf.full_range = 1;
  } else {
    switch (picture_colorspace(f)) {
    case AVCOL_SPC_BT709:
      vf.color_matrix = SP_COLOR_BT709;
      break;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M:
      vf.color_matrix = SP_COLOR_BT601;
      break;
    case AVCOL_SPC_BT2020_NCL:
      vf.color_matrix = SP_COLOR_BT2020;
      break;
    default:
      vf.color_matrix = SP_COLOR_OTHER;
    }
    vf.full_range = picture_full_range(f) ? 1 : 0;
  }
  listener_->on_frame(vf);
}

double Engine::refresh(const ShowFn &show) {
  // What the decoders had done when we looked (see the end).
  const uint64_t progress = progress_.load();
  const double now = now_s();
  if (buffering_.load(std::memory_order_acquire) && buffering_over()) end_buffering(now);
  // Buffering stops the picture as a pause does (the position stands).
  const bool paused = paused_.load(std::memory_order_acquire) || buffering_.load(std::memory_order_acquire);
  const double r = rate();
  double due = INFINITY;     // when to look again (no deadline: until woken)
  bool need_picture = false; // nothing to show: wait for the video decoder
  if (paused && !was_paused_ && last_shown_serial_ >= 0) {
    // Paused: the video clock stands at the picture shown.
    vid_clock_.set(position_.load(), 0.0, last_shown_serial_, now);
  } else if (!paused && was_paused_) {
    // Resumed: count the next picture's delay from now, the clock runs again.
    frame_timer_ = now;
    if (last_shown_serial_ >= 0) vid_clock_.set(position_.load(), r, last_shown_serial_, now);
  }
  was_paused_ = paused;
  {
    // Keep the external clock following the audio clock while audio plays.
    double a;
    if (audio_clock_valid(now, &a)) {
      std::lock_guard lk(ext_mu_);
      ext_clock_.set(a, paused ? 0.0 : r, ext_clock_.serial(), now);
    }
  }
  for (;;) {
    if (pictq_.remaining() == 0) {
      need_picture = true;
      break;
    }
    Picture *vp = pictq_.peek();
    if (vp->serial != videoq_.serial()) {
      pictq_.next();
      continue;
    }
    const bool discontinuity = vp->serial != last_shown_serial_;
    const bool stepping = paused && step_req_.load(std::memory_order_acquire) > 0;
    if (paused && !discontinuity && !stepping) break;
    if (discontinuity) {
      frame_timer_ = now;
    } else if (!stepping) {
      Picture *lastvp = pictq_.peek_last();
      double last_duration = vp_duration(*lastvp, *vp) / r;
      double delay = compute_target_delay(last_duration, now);
      if (now + kDueSlack < frame_timer_ + delay) {
        due = frame_timer_ + delay; // sleep until it is due
        break;
      }
      frame_timer_ += delay;
      if (delay > 0 && now - frame_timer_ > kSyncThresholdMax) frame_timer_ = now;
      // Late-frame drop: the next frame is already due too.
      if (opt_.framedrop && pictq_.remaining() > 1) {
        Picture *nextvp = pictq_.peek_next();
        double d = vp_duration(*vp, *nextvp) / r;
        if (now > frame_timer_ + d) {
          frames_dropped_.fetch_add(1);
          pictq_.next();
          continue;
        }
      }
    }
    // Show vp.
    vid_clock_.set(vp->pts, paused ? 0.0 : r, vp->serial, now);
    position_.store(vp->pts, std::memory_order_release);
    if (discontinuity) {
      double a;
      if (!audio_clock_valid(now, &a)) set_ext_clock(vp->pts, now);
    }
    last_shown_serial_ = vp->serial;
    if (stepping && !discontinuity) {
      // One step shown (a seek's first picture is not a step: a step asked
      // after a seek shows the frame after the target). Never below 0: a
      // play may have cleared the count meanwhile.
      int n = step_req_.load(std::memory_order_acquire);
      while (n > 0 && !step_req_.compare_exchange_weak(n, n - 1, std::memory_order_acq_rel)) {
      }
    }
    pictq_.next();
    force_refresh_ = true;
    frames_displayed_.fetch_add(1);
    due = now; // look again at once: when is the next one due?
    break;
  }
  if (force_refresh_ && pictq_.shown()) {
    Picture *p = pictq_.peek_last();
    show(*p);
    int sds = seek_done_serial_.load(std::memory_order_acquire);
    if (sds >= 0 && p->serial == sds) {
      seek_done_serial_.store(-1, std::memory_order_release);
      pending_seek_.store(NAN, std::memory_order_release);
      if (listener_) listener_->on_seek_done(std::llround(p->pts * 1000));
    }
  }
  force_refresh_ = false;
  if (need_picture) {
    // A seek whose serial has ended without a picture (the stream ended or
    // broke first): it is done where playback is. SEEK_DONE always comes.
    const int sds = seek_done_serial_.load(std::memory_order_acquire);
    if (sds >= 0 && sds == videoq_.serial() && vfinished_.load() == sds) {
      seek_done_serial_.store(-1, std::memory_order_release);
      pending_seek_.store(NAN, std::memory_order_release);
      if (listener_) listener_->on_seek_done(std::llround(position() * 1000));
    }
    // Playing steadily and the input ran dry: wait for data rather than
    // stutter on (the demuxer wakes the display when enough has come).
    if (!paused && starved()) {
      start_buffering(now);
      return INFINITY;
    }
    // Nothing left to show: at the end of the file this may be the end;
    // otherwise sleep until the decoders make progress (a picture, the end
    // of a stream, the audio drained). Announce the wait first, then check
    // that nothing happened since we looked, so no wake-up is lost.
    // The last picture is shown for its whole duration before the end (a
    // 1-frame clip lasts its frame; a clip without audio ends at its
    // duration, not when its last picture appears): an exact deadline.
    if (!paused && eof_.load() && vfinished_.load() == videoq_.serial() && pictq_.shown() &&
        (!audio_on_ || (afinished_.load() == audioq_.serial() && sink_->empty()))) {
      const Picture *last = pictq_.peek_last();
      const double end_at = frame_timer_ + std::max(0.0, last->duration) / r;
      if (!std::isnan(end_at) && now + kDueSlack < end_at) return end_at;
    }
    if (check_eof()) return INFINITY;
    if (!paused && eof_.load() && audio_on_ && vidx_ >= 0 && video_finished() && !ended_.load()) {
      // The picture has ended, the sound not yet. An output that takes it
      // ends it (the drained hook wakes us); one that has stopped taking it
      // is noticed here, once, just after the sound would have ended if it
      // had been played: the exact deadline the end needs, no polling.
      double apos = audio_position(now);
      if (std::isnan(apos)) apos = position_.load();
      const double left = std::max(0.0, demux_aend_.load() - apos) / r;
      const double since = std::max(sink_->last_consumed(), audio_expected_since_.load());
      const double at = std::max(since, now + left) + kAudioStallS;
      if (!std::isnan(at)) due = std::min(due, at);
    }
    display_waits_.store(true);
    if (progress_.load() != progress) {
      display_waits_.store(false);
      return now;
    }
  }
  return due;
}

// ------------------------------------------------------------------ buffering
bool Engine::starved() const {
  // Video only: audio-only media has no picture queue to run dry (its ring
  // drains after every seek, too).
  if (vidx_ < 0 || eof_.load() || !std::isnan(pending_seek_.load(std::memory_order_acquire))) return false;
  const int serial = videoq_.serial();
  return last_shown_serial_ == serial && pictq_.remaining() == 0 && videoq_.packets() == 0 &&
         vfinished_.load() != serial;
}

bool Engine::buffering_over() const {
  return paused_.load(std::memory_order_acquire) || eof_.load() || abort_.load() ||
         !std::isnan(pending_seek_.load(std::memory_order_acquire)) || buffered() >= kBufferingResumeS ||
         queues_full();
}

void Engine::start_buffering(double now) {
  buffering_.store(true, std::memory_order_release);
  sink_->set_paused(true);
  {
    std::lock_guard lk(ext_mu_);
    const double v = ext_clock_.get(now);
    if (!std::isnan(v)) ext_clock_.set(v, 0.0, ext_clock_.serial(), now);
  }
  if (listener_) listener_->on_buffering(true, std::llround(position() * 1000));
}

void Engine::end_buffering(double now) {
  buffering_.store(false, std::memory_order_release);
  const bool p = paused_.load(std::memory_order_acquire);
  sink_->set_paused(p);
  {
    std::lock_guard lk(ext_mu_);
    const double v = ext_clock_.get(now);
    if (!std::isnan(v)) ext_clock_.set(v, p ? 0.0 : rate(), ext_clock_.serial(), now);
  }
  if (listener_) listener_->on_buffering(false, std::llround(position() * 1000));
}

void Engine::present_loop() {
  ShowFn show = [this](Picture &p) { deliver(p); };
  while (!abort_.load(std::memory_order_acquire)) {
    const double due = refresh(show);
    std::unique_lock lk(present_mu_);
    auto woken = [&] { return present_wake_ || abort_.load(); };
    if (!woken() && due > now_s()) {
      // Until the next picture is due, or without a deadline until woken
      // (paused, ended, waiting for the decoder): no periodic wake-ups.
      if (std::isinf(due))
        present_cv_.wait(lk, woken);
      else
        present_cv_.wait_until(lk, steady_at(due), woken);
    }
    present_wake_ = false;
  }
}

double Engine::refresh_sdl(SdlVideo &out) {
  if (abort_.load()) return INFINITY;
  ShowFn show = [&out](Picture &p) {
    if (!p.uploaded && p.frame) p.uploaded = out.upload(p.frame.get());
    out.present();
  };
  return refresh(show);
}

} // namespace sp
