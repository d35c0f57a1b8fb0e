// The decoder threads: video frames into the picture queue (sp-vdec), audio
// through the filter into the sink's blocks (sp-adec).
#include "player/engine.h"

#include <algorithm>
#include <cstring>

#include "decode/audio_filter.h"
#include "player/engine_tuning.h"
#include "render/audio_sink.h"
#include "render/video_convert.h"

namespace sp {
using namespace engine_tuning;

// ------------------------------------------------------------------ both decoders
// ffplay's decoder_decode_frame, once for both decoder threads: takes the
// packets of queue q, flushes the decoder when their serial changes (a seek or
// a flush) and calls on_serial(serial), drops packets of a serial the queue
// has left behind, hands every decoded frame to on_frame (which returns false
// to stop the thread; the frame is unreferenced after it) and, at the
// end-of-stream marker, drains and flushes the decoder and calls on_end
// (false stops the thread). Returns at abort or when the queue is aborted.
template <class OnSerial, class OnFrame, class OnEnd>
void Engine::run_decoder(PacketQueue &q, AVCodecContext *dec, OnSerial &on_serial, OnFrame &on_frame,
                         OnEnd &on_end) {
  auto pkt = ff::make_packet();
  auto frame = ff::make_frame();
  int serial = -1;
  while (!abort_.load(std::memory_order_acquire)) {
    int pkt_serial = 0;
    if (q.get(pkt.get(), &pkt_serial) < 0) break;
    if (pkt_serial != serial) {
      avcodec_flush_buffers(dec);
      serial = pkt_serial;
      on_serial(serial);
    }
    if (pkt_serial != q.serial()) { // stale (a seek happened)
      av_packet_unref(pkt.get());
      continue;
    }
    const bool eof_marker = pkt->data == nullptr && pkt->size == 0;
    // A corrupt packet is skipped (the decoder conceals what it can); the
    // decoder's output is drained before each send, so it never says EAGAIN.
    avcodec_send_packet(dec, eof_marker ? nullptr : pkt.get());
    av_packet_unref(pkt.get());
    bool ok = true;
    while (ok && avcodec_receive_frame(dec, frame.get()) >= 0) {
      ok = on_frame(frame.get());
      av_frame_unref(frame.get());
    }
    if (!ok) break;
    if (eof_marker) {
      avcodec_flush_buffers(dec);
      if (!on_end()) break;
    }
  }
}

// ------------------------------------------------------------------ video decoder
bool Engine::queue_picture(VideoConverter &conv, AVFrame *f, double pts, double dur, int serial) {
  Picture *p = pictq_.peek_writable();
  if (!p) return false;
  if (!p->frame) p->frame = ff::make_frame();
  std::string err;
  if (opt_.video != EngineOptions::Video::None && p->frame) {
    if (conv.convert(f, opt_.picture_format, p->frame.get(), err) != SP_OK) {
      if (listener_) listener_->on_error(SP_ERR_FORMAT, err);
      return true; // skip this picture
    }
  }
  p->pts = pts;
  p->duration = dur;
  p->serial = serial;
  p->uploaded = false;
  p->frame_number = fps_ > 0 && !std::isnan(pts) ? std::llround(pts * fps_) : -1;
  pictq_.push();
  on_progress();
  return true;
}

void Engine::video_loop() {
  VideoConverter conv;
  auto held = ff::make_frame(); // accurate seek: last frame before the target
  bool have_held = false;
  double held_pts = NAN, held_dur = 0;
  int serial = -1;
  double target = NAN;
  double landing = NAN;    // the seek's target, until its first picture
  double next_pts = 0;     // where a frame without a timestamp goes: just after the one before
  int retried_serial = -1; // a serial given up for a retry from further back
  bool first_of_serial = true;
  const double default_dur = fps_ > 0 ? 1.0 / fps_ : 0.04;

  auto on_frame = [&](AVFrame *f) -> bool {
    double pts = ts_to_s(f->best_effort_timestamp, vtb_) - start_time_;
    double dur = f->pkt_duration > 0 ? ts_to_s(f->pkt_duration, vtb_) : default_dur;
    // A stream without timestamps (raw H.264 or HEVC, some cameras' dumps):
    // each frame follows the one before by its duration, as ffplay and mpv
    // play them.
    if (std::isnan(pts)) pts = next_pts;
    next_pts = pts + dur;
    if (serial == retried_serial) return true; // flushed by the retry's seek
    if (!std::isnan(landing) && !std::isnan(pts)) {
      const double tgt = landing;
      landing = NAN;
      // The first picture after a seek is later than its target: decoding
      // began at a keyframe after it (see do_seek). Try from further back.
      if (pts > tgt + kSeekLandingSlackS && seek_further_back(serial)) {
        retried_serial = serial;
        return true;
      }
    }
    if (!std::isnan(target) && !std::isnan(pts)) {
      if (pts + dur <= target + 1e-4) { // wholly before the target: keep as candidate
        av_frame_unref(held.get());
        av_frame_move_ref(held.get(), f);
        have_held = true;
        held_pts = pts;
        held_dur = dur;
        return true;
      }
      const double tgt = target;
      target = NAN;
      if (have_held && pts > tgt + 1e-4) {
        // The target fell before this frame: the held one is at or before it.
        if (!queue_picture(conv, held.get(), held_pts, held_dur, serial)) return false;
      }
      av_frame_unref(held.get());
      have_held = false;
      first_of_serial = false;
      return queue_picture(conv, f, pts, dur, serial);
    }
    // Early drop of frames already late (ffplay: decoder-side framedrop).
    if (opt_.framedrop && !first_of_serial && !paused_.load() && !std::isnan(pts) && videoq_.packets() > 0 &&
        step_req_.load() == 0) {
      double diff = pts - master_clock(now_s());
      if (!std::isnan(diff) && std::fabs(diff) < kNoSyncThreshold && diff < 0 &&
          vid_clock_.serial() == serial) {
        frames_dropped_.fetch_add(1);
        return true;
      }
    }
    first_of_serial = false;
    return queue_picture(conv, f, pts, dur, serial);
  };

  auto on_serial = [&](int s) {
    serial = s;
    SerialFilter pl = serial_filter();
    target = pl.vserial == serial ? pl.target : NAN;
    landing = pl.vserial == serial ? pl.landing : NAN;
    next_pts = std::isnan(landing) ? 0.0 : landing;
    av_frame_unref(held.get());
    have_held = false;
    first_of_serial = true;
  };
  auto on_end = [&] {
    if (serial == retried_serial) return true; // flushed by the retry's seek
    if (!std::isnan(landing)) {
      // The seek gave no picture at all: it landed after the last keyframe.
      landing = NAN;
      if (seek_further_back(serial)) {
        retried_serial = serial;
        return true;
      }
    }
    if (have_held) { // the target is at or after the last frame: show the last one
      if (!queue_picture(conv, held.get(), held_pts, held_dur, serial)) return false;
      av_frame_unref(held.get());
      have_held = false;
    }
    target = NAN;
    vfinished_.store(serial);
    on_progress();
    return true;
  };
  run_decoder(videoq_, vdec_.get(), on_serial, on_frame, on_end);
}

// ------------------------------------------------------------------ audio decoder
struct Engine::AudioState {
  AudioFilter filter;
  ff::FramePtr filt = ff::make_frame();
  int serial = -1;
  int sink_serial = -1;
  double target = NAN;   // accurate seek: drop samples before this
  double anchor = NAN;   // media position of the filter's first output sample
  int64_t out_count = 0; // samples out of the filter since anchor
  AudioBlock *cur = nullptr;
};

bool Engine::audio_flush_block(AudioState &st) {
  if (st.cur && st.cur->frames > 0) sink_->commit();
  st.cur = nullptr;
  return true;
}

bool Engine::audio_emit(AudioState &st, AVFrame *filt) {
  const int out_rate = sink_->out_rate();
  const double step = st.filter.effective_rate() / out_rate;
  const int n = filt->nb_samples;
  double pts0 = st.anchor + static_cast<double>(st.out_count) * step;
  st.out_count += n;
  const int16_t *src = reinterpret_cast<const int16_t *>(filt->data[0]);
  int skip = 0;
  if (!std::isnan(st.target)) {
    if (pts0 + n * step <= st.target) return true;
    if (pts0 < st.target) skip = std::min(n, static_cast<int>((st.target - pts0) / step));
    st.target = NAN;
  }
  int i = skip;
  while (i < n) {
    if (abort_.load() || audioq_.serial() != st.serial) return true; // stale: drop
    if (st.cur && std::fabs(st.cur->step - step) > 1e-12) audio_flush_block(st);
    if (!st.cur) {
      AudioBlock *b = sink_->write_slot();
      if (!b) {
        sink_->wait_space();
        continue;
      }
      b->frames = 0;
      b->pts = pts0 + i * step;
      b->step = step;
      b->serial = st.sink_serial;
      st.cur = b;
    }
    int take = std::min(n - i, AudioBlock::kFrames - st.cur->frames);
    std::memcpy(st.cur->samples + st.cur->frames * 2, src + i * 2,
                static_cast<size_t>(take) * 2 * sizeof(int16_t));
    st.cur->frames += take;
    i += take;
    if (st.cur->frames == AudioBlock::kFrames) {
      sink_->commit();
      st.cur = nullptr;
    }
  }
  return true;
}

bool Engine::audio_drain_filter(AudioState &st) {
  if (!st.filter.configured()) return true;
  st.filter.push(nullptr);
  while (st.filter.pull(st.filt.get()) >= 0) {
    audio_emit(st, st.filt.get());
    av_frame_unref(st.filt.get());
  }
  st.filter.reset();
  return true;
}

bool Engine::audio_process(AudioState &st, AVFrame *f) {
  double pts = ts_to_s(f->best_effort_timestamp, atb_) - start_time_;
  double r = rate();
  int out_rate = sink_->out_rate();
  if (!st.filter.matches(f, r, opt_.tempo, out_rate)) {
    double next =
        st.filter.configured() ? st.anchor + st.out_count * (st.filter.effective_rate() / out_rate) : NAN;
    audio_drain_filter(st);
    std::string err;
    if (st.filter.configure(f, r, opt_.tempo, out_rate, err) != SP_OK) {
      if (listener_) listener_->on_error(SP_ERR_INTERNAL, err);
      return true;
    }
    // Continue the timeline where the previous graph stopped (rate change),
    // or start at this frame after a flush.
    st.anchor = !std::isnan(pts) ? pts : next;
    if (std::isnan(st.anchor)) st.anchor = 0;
    st.out_count = 0;
  }
  if (st.filter.push(f) < 0) return true;
  while (st.filter.pull(st.filt.get()) >= 0) {
    audio_emit(st, st.filt.get());
    av_frame_unref(st.filt.get());
  }
  return true;
}

void Engine::audio_loop() {
  AudioState st;
  auto on_serial = [&](int serial) {
    st.filter.reset();
    if (st.cur) st.cur->frames = 0; // uncommitted samples of the old serial
    st.cur = nullptr;
    st.serial = serial;
    SerialFilter pl = serial_filter();
    st.sink_serial = pl.aserial == serial ? pl.sink_serial : sink_->serial();
    st.target = pl.aserial == serial ? pl.target : NAN;
    st.anchor = NAN;
    st.out_count = 0;
  };
  auto on_frame = [&](AVFrame *f) { return audio_process(st, f); };
  auto on_end = [&] {
    audio_drain_filter(st);
    audio_flush_block(st);
    afinished_.store(st.serial);
    on_progress();
    return true;
  };
  run_decoder(audioq_, adec_.get(), on_serial, on_frame, on_end);
}

} // namespace sp
