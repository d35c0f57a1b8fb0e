// The demux thread (sp-demux): reads packets into the queues in bursts and
// sleeps while they are full; seeks and end of file.
#include "player/engine.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "player/engine_tuning.h"
#include "render/audio_sink.h"

namespace sp {
using namespace engine_tuning;

// ------------------------------------------------------------------ demux
bool Engine::queues_full() const {
  if (videoq_.bytes() + audioq_.bytes() > kMaxQueueBytes) return true;
  auto enough = [](const PacketQueue &q, AVRational tb) {
    return q.packets() > kMinPackets &&
           (q.duration() == 0 || av_q2d(tb) * static_cast<double>(q.duration()) > kHighSeconds);
  };
  return (vidx_ < 0 || enough(videoq_, vtb_)) && (!audio_on_ || enough(audioq_, atb_));
}

bool Engine::refill_needed() const {
  if (videoq_.bytes() + audioq_.bytes() > kMaxQueueBytes) return false;
  auto low = [](const PacketQueue &q, AVRational tb) {
    return q.packets() < kLowPackets ||
           (q.duration() > 0 && av_q2d(tb) * static_cast<double>(q.duration()) < kLowSeconds);
  };
  return (vidx_ >= 0 && low(videoq_, vtb_)) || (audio_on_ && low(audioq_, atb_));
}

void Engine::do_seek() {
  double target, back;
  bool accurate;
  {
    std::lock_guard lk(seek_mu_);
    target = seek_target_;
    accurate = seek_accurate_;
    back = seek_back_;
    seek_req_ = false;
  }
  AVFormatContext *ic = input_.fmt();
  // Keyframe at or before the target. Formats without a keyframe index
  // (MPEG-TS, MPEG-PS) land on a timestamp at or before it that need not be
  // a keyframe, so decoding starts at the next keyframe, which can be after
  // the target: the video decoder then asks for a retry from further back
  // (seek_further_back), the same target kept.
  int64_t ts = static_cast<int64_t>((std::max(0.0, target - back) + start_time_) * AV_TIME_BASE);
  int r = -1;
  // A stream read from a source that cannot seek (an HTTP server that does
  // not take range requests, a pipe) cannot go back, and what its demuxer
  // makes of a seek (reading on, guessing) lands anywhere or ends the
  // stream: it is refused, as for a live stream. HLS and DASH read their
  // segments themselves and seek by segment.
  const char *fmt_name = ic->iformat && ic->iformat->name ? ic->iformat->name : "";
  const bool segmented = std::strcmp(fmt_name, "hls") == 0 || std::strcmp(fmt_name, "dash") == 0;
  const bool seekable = !ic->pb || segmented || (ic->pb->seekable & AVIO_SEEKABLE_NORMAL) != 0;
  if (!seekable) {
    if (listener_)
      listener_->on_error(SP_ERR_UNSUPPORTED,
                          "seek to " + std::to_string(static_cast<int64_t>(target * 1000)) +
                              " ms refused: this stream cannot seek (a server without range requests, or a "
                              "pipe); playback goes on where it was");
  } else {
    // A retry that reaches the start: the file's first byte, where seeking
    // by time to the start time can land past the first keyframe.
    if (back > 0 && target - back <= 0 && !(ic->iformat->flags & AVFMT_NO_BYTE_SEEK))
      r = avformat_seek_file(ic, -1, 0, 0, 0, AVSEEK_FLAG_BYTE);
    if (r < 0) r = avformat_seek_file(ic, -1, INT64_MIN, ts, ts, 0);
    if (r < 0) r = avformat_seek_file(ic, -1, INT64_MIN, ts, INT64_MAX, 0);
    if (r < 0 && listener_)
      listener_->on_error(SP_ERR_IO, "seek to " + std::to_string(static_cast<int64_t>(target * 1000)) +
                                         " ms failed: " + ff::av_error_string(r) +
                                         (back > 0 ? std::string() : "; playback goes on where it was"));
  }
  if (r < 0 && back == 0) {
    // Nothing moved (a stream without timestamps or index, as raw H.264):
    // keep what is buffered, and the seek is over where playback is. The
    // failed search may have read ahead (FFmpeg's generic index reads the
    // file to find a time): reading goes on from just after the last packet
    // queued.
    if (seekable && read_end_pos_ >= 0 && !(ic->iformat->flags & AVFMT_NO_BYTE_SEEK))
      avformat_seek_file(ic, -1, INT64_MIN, read_end_pos_, INT64_MAX, AVSEEK_FLAG_BYTE);
    pending_seek_.store(NAN, std::memory_order_release);
    if (listener_) listener_->on_seek_done(std::llround(position() * 1000));
    wake_display();
    return;
  }
  reset_serials(target, accurate, back);
  audio_expected_since_.store(now_s(), std::memory_order_release);
  read_end_pos_ = -1;
  eof_.store(false);
  demux_vend_.store(target);
  demux_aend_.store(target);
  if (vidx_ < 0) {
    // Audio only: no picture to wait for. The position is the target until
    // the sound of the new serial plays past it (position()).
    position_.store(target, std::memory_order_release);
    pending_seek_.store(NAN, std::memory_order_release);
    if (listener_) listener_->on_seek_done(std::llround(target * 1000));
  } else {
    std::lock_guard lk(seek_mu_);
    seek_done_serial_.store(serial_filter_.vserial, std::memory_order_release);
  }
  wake_display();
}

bool Engine::seek_further_back(int serial) {
  std::lock_guard lk(seek_mu_);
  if (seek_req_ || serial_filter_.vserial != serial) return false; // a newer seek is on its way
  const double back = serial_filter_.back;
  const double target = serial_filter_.landing;
  // Tried from the start already, or far enough: keep what came.
  if (std::isnan(target) || target - back <= 0 || back >= kSeekBackMaxS) return false;
  seek_req_ = true;
  seek_target_ = target;
  seek_accurate_ = !std::isnan(serial_filter_.target);
  seek_back_ = back > 0 ? back * 2 : kSeekBackFirstS;
  demux_cv_.notify_all();
  return true;
}

bool Engine::check_eof() {
  // The display's thread, when it has no picture left to show. A stopped
  // engine does not end: its player has moved on.
  if (!eof_.load() || ended_.load() || paused_.load() || abort_.load()) return false;
  {
    std::lock_guard lk(seek_mu_);
    if (seek_req_) return false;
  }
  bool video_done = video_finished();
  // The sound ends when the ring has drained, or, once the picture has
  // ended, when the output has stopped taking it (the end cannot come then).
  bool audio_done = !audio_on_ || (afinished_.load() == audioq_.serial() && sink_->empty()) ||
                    (vidx_ >= 0 && video_done && audio_stalled(now_s()));
  if (!video_done || !audio_done) return false;
  ended_.store(true, std::memory_order_release);
  paused_.store(true, std::memory_order_release);
  sink_->set_paused(true);
  {
    double now = now_s();
    std::lock_guard lk(ext_mu_);
    double v = ext_clock_.get(now);
    if (!std::isnan(v)) ext_clock_.set(v, 0.0, ext_clock_.serial(), now);
  }
  // A video shorter than its audio ends where the sound does.
  const double a = audio_on_ ? audio_position(now_s()) : NAN;
  if (!std::isnan(a) && a > position_.load()) position_.store(std::min(a, duration_ > 0 ? duration_ : a));
  if (listener_) listener_->on_eof(static_cast<int64_t>(std::llround(position_.load() * 1000)));
  return true;
}

bool Engine::audio_stalled(double now) const {
  if (!sink_->output_ok()) return true;
  const double since =
      std::max(sink_->last_consumed(), audio_expected_since_.load(std::memory_order_acquire));
  return now - since > kAudioStallS;
}

void Engine::demux_loop() {
  AVFormatContext *ic = input_.fmt();
  auto pkt = ff::make_packet();
  // The furthest any packet of any stream reaches, over the whole open: a
  // local file whose data ends well before its own duration was cut short
  // (copied while it was written, a download that stopped). FFmpeg only logs
  // "partial file" and reports the end of the file.
  double furthest = 0.0;
  bool short_reported = false;
  // (A network stream too: a VOD's duration is its container's; a live one
  // has none. There, ending early means the connection was lost for good.)
  const bool duration_reliable =
      duration_ > 0 && ic->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE;
  while (!abort_.load(std::memory_order_acquire)) {
    bool seek_now;
    {
      std::lock_guard lk(seek_mu_);
      seek_now = seek_req_;
    }
    if (seek_now) {
      do_seek();
      continue;
    }
    if (eof_.load() || queues_full()) {
      // Sleep until a seek, the end, or (before the end of the file) the
      // decoders have drained a queue below its low-water mark.
      std::unique_lock lk(seek_mu_);
      demux_sleeps_.store(true); // then look again: see on_packet_taken()
      if (!seek_req_ && (eof_.load() || !refill_needed()))
        demux_cv_.wait(lk, [&] { return seek_req_ || demux_wake_ || abort_.load(); });
      demux_sleeps_.store(false);
      demux_wake_ = false;
      continue;
    }
    int r = av_read_frame(ic, pkt.get());
    if (r < 0) {
      if (abort_.load()) break;
      bool real_eof = r == AVERROR_EOF || avio_feof(ic->pb);
      if (!real_eof && r != AVERROR(EAGAIN) && listener_)
        listener_->on_error(input_.is_network() ? SP_ERR_NETWORK : SP_ERR_IO,
                            "read error: " + ff::av_error_string(r) + " (treated as end of file)");
      if (r != AVERROR(EAGAIN) && duration_reliable && !short_reported &&
          furthest < duration_ - (kShortFileSlackS + kShortFileSlackFraction * duration_) && listener_) {
        short_reported = true;
        char msg[160];
        if (input_.is_network())
          std::snprintf(msg, sizeof msg,
                        "the stream ends at %.1f s of its %.1f s: the connection was lost (or the file is "
                        "truncated); playback ends there",
                        furthest, duration_);
        else
          std::snprintf(
              msg, sizeof msg,
              "the file ends at %.1f s of its %.1f s: it is truncated or damaged; playback ends there",
              furthest, duration_);
        listener_->on_error(input_.is_network() ? SP_ERR_NETWORK : SP_ERR_FORMAT, msg);
      }
      if (r != AVERROR(EAGAIN)) {
        if (vidx_ >= 0) videoq_.put_eof(vidx_);
        if (audio_on_) audioq_.put_eof(aidx_);
        eof_.store(true);
        if (buffering_.load(std::memory_order_acquire)) wake_display(); // what came plays out
      } else {
        std::unique_lock lk(seek_mu_);
        demux_cv_.wait_for(lk, kEagainRetry, [&] { return seek_req_ || abort_.load(); });
      }
      continue;
    }
    if (pkt->stream_index >= 0 && static_cast<unsigned>(pkt->stream_index) < ic->nb_streams) {
      const AVRational tb = ic->streams[pkt->stream_index]->time_base;
      const int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
      const double end = ts_to_s(ts, tb) - start_time_ + ts_to_s(pkt->duration, tb);
      if (!std::isnan(end)) furthest = std::max(furthest, end);
    }
    if (pkt->pos >= 0) read_end_pos_ = pkt->pos + pkt->size;
    if (pkt->stream_index == vidx_) {
      double end = ts_to_s(pkt->pts, vtb_) - start_time_ + ts_to_s(pkt->duration, vtb_);
      if (!std::isnan(end)) demux_vend_.store(end);
      videoq_.put(pkt.get());
    } else if (audio_on_ && pkt->stream_index == aidx_) {
      double end = ts_to_s(pkt->pts, atb_) - start_time_ + ts_to_s(pkt->duration, atb_);
      if (!std::isnan(end)) demux_aend_.store(end);
      audioq_.put(pkt.get());
    } else {
      av_packet_unref(pkt.get());
    }
    // Buffering: the display waits for exactly this (no polling).
    if (buffering_.load(std::memory_order_acquire) && buffering_over()) wake_display();
  }
}

} // namespace sp
