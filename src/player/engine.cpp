#include "player/engine.h"

#include <algorithm>
#include <cstring>
#include <future>

#include "core/thread_name.h"
#include "decode/audio_filter.h"
#include "decode/ffmpeg_log.h"
#include "render/audio_sink.h"
#include "render/sdl_output.h"
#include "render/video_convert.h"

namespace sp {
namespace {
// ffplay's constants.
constexpr double kSyncThresholdMin = 0.04;
constexpr double kSyncThresholdMax = 0.1;
constexpr double kSyncFramedupThreshold = 0.1;
constexpr double kNoSyncThreshold = 10.0;
constexpr double kMaxFrameDuration = 10.0;
constexpr int64_t kMaxQueueBytes = 15 * 1024 * 1024;
// The demux thread refills the packet queues in bursts: it reads until every
// queue holds kHighSeconds (and more than kMinPackets packets), sleeps, and is
// woken when one falls below kLowSeconds (or kLowPackets): one wake-up per
// second or so instead of one per packet.
constexpr int kMinPackets = 25;
constexpr double kHighSeconds = 2.0;
constexpr int kLowPackets = 12;
constexpr double kLowSeconds = 1.0;
// A picture due within this much is shown now rather than after another wait.
constexpr double kDueSlack = 0.001;
// A demuxer that says "try again" (EAGAIN) gives nothing to wait on: the
// only timed retry in the engine, never taken for local files.
constexpr auto kEagainRetry = std::chrono::milliseconds(10);


double ts_to_s(int64_t ts, AVRational tb) {
  return ts == AV_NOPTS_VALUE ? NAN : static_cast<double>(ts) * av_q2d(tb);
}
} // namespace

Engine::Engine(const EngineOptions &opt, AudioSink *sink, EngineListener *listener)
    : opt_(opt), sink_(sink), listener_(listener) {}

Engine::~Engine() {
  close();
}

bool Engine::on_engine_thread() const {
  // The ids noted at start, not the std::thread objects: close() on another
  // thread may be joining those meanwhile.
  const auto id = std::this_thread::get_id();
  for (const auto &t : thread_ids_)
    if (t == id) return true;
  return false;
}

void Engine::note_thread(const std::thread &th) {
  for (auto &t : thread_ids_)
    if (t == std::thread::id()) {
      t = th.get_id();
      return;
    }
}

int Engine::open(const std::string &url, std::string &err) {
  int r = input_.open(url, opt_.network_timeout_ms, err);
  if (r != SP_OK) return r;
  input_.describe(facts_);
  AVFormatContext *ic = input_.fmt();
  vidx_ = input_.video_stream();
  if (vidx_ < 0) {
    err = "'" + url + "' has no video stream";
    return input_.audio_stream() >= 0 ? SP_ERR_NO_VIDEO : SP_ERR_FORMAT;
  }
  vtb_ = ic->streams[vidx_]->time_base;
  start_time_ = ic->start_time != AV_NOPTS_VALUE ? static_cast<double>(ic->start_time) / AV_TIME_BASE : 0.0;
  duration_ = static_cast<double>(facts_.duration_ms) / 1000.0;
  fps_ = facts_.fps;
  opened_ = true;

  // Each decoder is opened on its own (named) thread, so that FFmpeg's
  // worker threads, which it creates there, carry the decoder's name. The
  // thread reports the outcome before it starts decoding.
  if (opt_.audio && input_.audio_stream() >= 0) {
    std::string aerr;
    int ar =
        start_decoder(adec_th_, "sp-adec", input_.audio_stream(), adec_, aerr, 1, [this] { audio_loop(); });
    if (ar == SP_OK) {
      aidx_ = input_.audio_stream();
      atb_ = ic->streams[aidx_]->time_base;
      audio_on_ = true;
    } else if (listener_) {
      listener_->on_error(SP_ERR_FORMAT, "audio disabled: " + aerr);
    }
  }
  r = start_decoder(vdec_th_, "sp-vdec", vidx_, vdec_, err, 0, [this] { video_loop(); });
  if (r != SP_OK) return r;
  for (unsigned i = 0; i < ic->nb_streams; ++i)
    if (static_cast<int>(i) != vidx_ && static_cast<int>(i) != aidx_) ic->streams[i]->discard = AVDISCARD_ALL;

  videoq_.set_taken_hook([this] { on_packet_taken(); });
  audioq_.set_taken_hook([this] { on_packet_taken(); });
  if (audio_on_) sink_->set_drained_hook([this] { on_progress(); });
  reset_serials(NAN, true);
  sink_->set_paused(true);
  sink_->set_active(audio_on_);
  demux_th_ = std::thread([this] {
    set_thread_name("sp-demux");
    LogScope log_scope(opt_.log);
    demux_loop();
  });
  if (opt_.video != EngineOptions::Video::Sdl)
    present_th_ = std::thread([this] {
      set_thread_name("sp-present");
      LogScope log_scope(opt_.log);
      present_loop();
    });
  note_thread(demux_th_);
  if (present_th_.joinable()) note_thread(present_th_);
  return SP_OK;
}

int Engine::start_decoder(std::thread &th, const char *name, int stream, ff::CodecCtxPtr &ctx,
                          std::string &err, int threads, std::function<void()> loop) {
  std::promise<int> opened;
  auto result = opened.get_future();
  // The thread owns the promise; `err` is written before the result is set
  // and not touched after it.
  th = std::thread([this, &ctx, &err, name, stream, threads, opened = std::move(opened),
                    loop = std::move(loop)]() mutable {
    set_thread_name(name);
    LogScope log_scope(opt_.log);
    int r = open_decoder(input_.fmt(), stream, ctx, err, threads);
    opened.set_value(r);
    if (r == SP_OK) loop();
  });
  note_thread(th);
  return result.get();
}

void Engine::request_stop() {
  abort_.store(true, std::memory_order_release);
  input_.interrupter().request_abort();
  videoq_.abort();
  audioq_.abort();
  pictq_.abort();
  sink_->wake_producer();
  { std::lock_guard lk(seek_mu_); }
  demux_cv_.notify_all();
  { std::lock_guard lk(present_mu_); }
  present_cv_.notify_all(); // (not the host's display: nothing more to show)
}

void Engine::close() {
  if (on_engine_thread()) {
    // A thread cannot join itself: the player never closes an engine from
    // one of its threads (a call from a callback hands the close to
    // sp-events). Should it happen, the threads are told to stop and a
    // later close() from another thread (at the latest ~Engine) joins them.
    request_stop();
    return;
  }
  // Serialised: the player may close an engine that sp_stop retired from a
  // callback on sp-events while sp_open or destroy closes it too; the
  // second caller waits for the first and finds nothing left to do.
  std::lock_guard lk(close_mu_);
  if (closed_) return;
  request_stop();
  for (std::thread *t : {&demux_th_, &vdec_th_, &adec_th_, &present_th_})
    if (t->joinable()) t->join();
  closed_ = true;
  if (opened_) {
    sink_->set_drained_hook(nullptr);
    sink_->set_active(false);
    sink_->set_paused(true);
    sink_->new_serial();
    opened_ = false;
  }
}

// ------------------------------------------------------------------ control
void Engine::reset_serials(double target, bool accurate) {
  // Called by open() before the threads start and by the demux thread.
  int vs = videoq_.flush();
  int as = audioq_.flush();
  int ss = audio_on_ ? sink_->new_serial() : -1;
  {
    std::lock_guard lk(seek_mu_);
    serial_filter_.vserial = vs;
    serial_filter_.aserial = as;
    serial_filter_.sink_serial = ss;
    serial_filter_.target = accurate ? target : NAN;
  }
  // The display drops the pictures of the old serial, which frees the
  // picture queue for the video decoder.
  wake_display();
}

Engine::SerialFilter Engine::serial_filter() const {
  std::lock_guard lk(seek_mu_);
  return serial_filter_;
}

void Engine::set_paused(bool p) {
  if (!p && ended_.load()) return; // at the end: seek first (the player does)
  bool was = paused_.exchange(p, std::memory_order_acq_rel);
  if (was && !p && stepped_.exchange(false)) {
    // Frames were stepped while paused: resume audio at the picture.
    sink_->skip_until(position_.load());
    std::lock_guard lk(ext_mu_);
    ext_clock_.set(position_.load(), rate(), ext_clock_.serial(), now_s());
  } else {
    double now = now_s();
    std::lock_guard lk(ext_mu_);
    double v = ext_clock_.get(now);
    if (!std::isnan(v)) ext_clock_.set(v, p ? 0.0 : rate(), ext_clock_.serial(), now);
  }
  sink_->set_paused(p);
  wake_display();
}

void Engine::seek(double target, bool accurate) {
  if (std::isnan(target) || target < 0) target = 0;
  if (duration_ > 0 && target > duration_) target = duration_;
  {
    std::lock_guard lk(seek_mu_);
    seek_req_ = true;
    seek_target_ = target;
    seek_accurate_ = accurate;
  }
  pending_seek_.store(target, std::memory_order_release);
  ended_.store(false, std::memory_order_release);
  demux_cv_.notify_all();
  wake_display();
}

void Engine::step() {
  if (!paused_.load()) set_paused(true);
  if (ended_.load()) return;
  stepped_.store(true);
  step_req_.store(true, std::memory_order_release);
  wake_display();
}

void Engine::set_rate(double r) {
  double now = now_s();
  {
    std::lock_guard lk(ext_mu_);
    double v = ext_clock_.get(now);
    rate_.store(r, std::memory_order_release);
    if (!std::isnan(v)) ext_clock_.set(v, paused_.load() ? 0.0 : r, ext_clock_.serial(), now);
  }
  wake_display();
}

double Engine::position() const {
  double p = pending_seek_.load(std::memory_order_acquire);
  if (!std::isnan(p)) return p;
  return position_.load(std::memory_order_acquire);
}

double Engine::buffered() const {
  double pos = position();
  if (eof_.load()) return std::max(0.0, duration_ - pos);
  double end = demux_vend_.load();
  if (audio_on_) end = std::min(end, demux_aend_.load());
  return std::max(0.0, end - pos);
}

EngineStats Engine::stats() const {
  EngineStats s;
  s.frames_displayed = frames_displayed_.load();
  s.frames_dropped = frames_dropped_.load();
  s.audio_underruns = sink_ ? sink_->underruns() : 0;
  return s;
}

void Engine::wake_display() {
  if (opt_.video == EngineOptions::Video::Sdl) {
    if (opt_.wake_display) opt_.wake_display();
    return;
  }
  {
    std::lock_guard lk(present_mu_);
    present_wake_ = true;
  }
  present_cv_.notify_one();
}

void Engine::on_progress() {
  // A decoder queued a picture or finished, or the audio drained. Only a
  // display that waits for exactly that is woken (see refresh()).
  progress_.fetch_add(1);
  if (display_waits_.exchange(false)) wake_display();
}

void Engine::on_packet_taken() {
  // Decoder thread, after taking a packet: wake the demux thread when it
  // sleeps on full queues and one has fallen below the low-water mark.
  if (!demux_sleeps_.load() || !refill_needed()) return;
  {
    std::lock_guard lk(seek_mu_);
    demux_wake_ = true;
  }
  demux_cv_.notify_one();
}

// ------------------------------------------------------------------ demux
bool Engine::queues_full() const {
  if (videoq_.bytes() + audioq_.bytes() > kMaxQueueBytes) return true;
  auto enough = [](const PacketQueue &q, AVRational tb) {
    return q.packets() > kMinPackets &&
           (q.duration() == 0 || av_q2d(tb) * static_cast<double>(q.duration()) > kHighSeconds);
  };
  return enough(videoq_, vtb_) && (!audio_on_ || enough(audioq_, atb_));
}

bool Engine::refill_needed() const {
  if (videoq_.bytes() + audioq_.bytes() > kMaxQueueBytes) return false;
  auto low = [](const PacketQueue &q, AVRational tb) {
    return q.packets() < kLowPackets ||
           (q.duration() > 0 && av_q2d(tb) * static_cast<double>(q.duration()) < kLowSeconds);
  };
  return low(videoq_, vtb_) || (audio_on_ && low(audioq_, atb_));
}

void Engine::do_seek() {
  double target;
  bool accurate;
  {
    std::lock_guard lk(seek_mu_);
    target = seek_target_;
    accurate = seek_accurate_;
    seek_req_ = false;
  }
  AVFormatContext *ic = input_.fmt();
  int64_t ts = static_cast<int64_t>((target + start_time_) * AV_TIME_BASE);
  // Keyframe at or before the target.
  int r = avformat_seek_file(ic, -1, INT64_MIN, ts, ts, 0);
  if (r < 0) r = avformat_seek_file(ic, -1, INT64_MIN, ts, INT64_MAX, 0);
  if (r < 0 && listener_)
    listener_->on_error(SP_ERR_IO, "seek to " + std::to_string(static_cast<int64_t>(target * 1000)) +
                                       " ms failed: " + ff::av_error_string(r));
  reset_serials(target, accurate);
  {
    std::lock_guard lk(seek_mu_);
    seek_done_serial_.store(serial_filter_.vserial, std::memory_order_release);
  }
  eof_.store(false);
  demux_vend_.store(target);
  demux_aend_.store(target);
  wake_display();
}

bool Engine::check_eof() {
  // The display's thread, when it has no picture left to show. A stopped
  // engine does not end: its player has moved on.
  if (!eof_.load() || ended_.load() || paused_.load() || abort_.load()) return false;
  {
    std::lock_guard lk(seek_mu_);
    if (seek_req_) return false;
  }
  bool video_done = vfinished_.load() == videoq_.serial() && pictq_.remaining() == 0;
  bool audio_done = !audio_on_ || (afinished_.load() == audioq_.serial() && sink_->empty());
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
  if (listener_) listener_->on_eof(static_cast<int64_t>(std::llround(position_.load() * 1000)));
  return true;
}

void Engine::demux_loop() {
  AVFormatContext *ic = input_.fmt();
  auto pkt = ff::make_packet();
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
      if (r != AVERROR(EAGAIN)) {
        videoq_.put_eof(vidx_);
        if (audio_on_) audioq_.put_eof(aidx_);
        eof_.store(true);
      } else {
        std::unique_lock lk(seek_mu_);
        demux_cv_.wait_for(lk, kEagainRetry, [&] { return seek_req_ || abort_.load(); });
      }
      continue;
    }
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
  auto pkt = ff::make_packet();
  auto frame = ff::make_frame();
  VideoConverter conv;
  auto held = ff::make_frame(); // accurate seek: last frame before the target
  bool have_held = false;
  double held_pts = NAN, held_dur = 0;
  int serial = -1;
  double target = NAN;
  bool first_of_serial = true;
  const double default_dur = fps_ > 0 ? 1.0 / fps_ : 0.04;

  auto handle = [&](AVFrame *f) -> bool {
    double pts = ts_to_s(f->best_effort_timestamp, vtb_) - start_time_;
    double dur = f->pkt_duration > 0 ? ts_to_s(f->pkt_duration, vtb_) : default_dur;
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
      bool ok = queue_picture(conv, f, pts, dur, serial);
      av_frame_unref(f);
      return ok;
    }
    // Early drop of frames already late (ffplay: decoder-side framedrop).
    if (opt_.framedrop && !first_of_serial && !paused_.load() && !std::isnan(pts) && videoq_.packets() > 0 &&
        !step_req_.load()) {
      double diff = pts - master_clock(now_s());
      if (!std::isnan(diff) && std::fabs(diff) < kNoSyncThreshold && diff < 0 &&
          vid_clock_.serial() == serial) {
        frames_dropped_.fetch_add(1);
        av_frame_unref(f);
        return true;
      }
    }
    first_of_serial = false;
    bool ok = queue_picture(conv, f, pts, dur, serial);
    av_frame_unref(f);
    return ok;
  };

  while (!abort_.load(std::memory_order_acquire)) {
    int pkt_serial = 0;
    if (videoq_.get(pkt.get(), &pkt_serial) < 0) break;
    if (pkt_serial != serial) {
      avcodec_flush_buffers(vdec_.get());
      serial = pkt_serial;
      SerialFilter pl = serial_filter();
      target = pl.vserial == serial ? pl.target : NAN;
      av_frame_unref(held.get());
      have_held = false;
      first_of_serial = true;
    }
    if (pkt_serial != videoq_.serial()) { // stale (a seek happened)
      av_packet_unref(pkt.get());
      continue;
    }
    bool eof_marker = pkt->data == nullptr && pkt->size == 0;
    int s = avcodec_send_packet(vdec_.get(), eof_marker ? nullptr : pkt.get());
    av_packet_unref(pkt.get());
    if (s < 0 && s != AVERROR(EAGAIN) && s != AVERROR_EOF) {
      // Corrupt packet: skip it (the decoder conceals what it can).
    }
    bool ok = true;
    while (ok) {
      int rf = avcodec_receive_frame(vdec_.get(), frame.get());
      if (rf < 0) break;
      ok = handle(frame.get());
    }
    if (!ok) break;
    if (eof_marker) {
      if (have_held) { // the target is at or after the last frame: show the last one
        if (!queue_picture(conv, held.get(), held_pts, held_dur, serial)) break;
        av_frame_unref(held.get());
        have_held = false;
      }
      target = NAN;
      avcodec_flush_buffers(vdec_.get());
      vfinished_.store(serial);
      on_progress();
    }
  }
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
  auto pkt = ff::make_packet();
  auto frame = ff::make_frame();
  AudioState st;
  while (!abort_.load(std::memory_order_acquire)) {
    int pkt_serial = 0;
    if (audioq_.get(pkt.get(), &pkt_serial) < 0) break;
    if (pkt_serial != st.serial) {
      avcodec_flush_buffers(adec_.get());
      st.filter.reset();
      if (st.cur) st.cur->frames = 0; // uncommitted samples of the old serial
      st.cur = nullptr;
      st.serial = pkt_serial;
      SerialFilter pl = serial_filter();
      st.sink_serial = pl.aserial == pkt_serial ? pl.sink_serial : sink_->serial();
      st.target = pl.aserial == pkt_serial ? pl.target : NAN;
      st.anchor = NAN;
      st.out_count = 0;
    }
    if (pkt_serial != audioq_.serial()) {
      av_packet_unref(pkt.get());
      continue;
    }
    bool eof_marker = pkt->data == nullptr && pkt->size == 0;
    avcodec_send_packet(adec_.get(), eof_marker ? nullptr : pkt.get());
    av_packet_unref(pkt.get());
    while (avcodec_receive_frame(adec_.get(), frame.get()) >= 0) {
      audio_process(st, frame.get());
      av_frame_unref(frame.get());
    }
    if (eof_marker) {
      audio_drain_filter(st);
      audio_flush_block(st);
      avcodec_flush_buffers(adec_.get());
      afinished_.store(st.serial);
      on_progress();
    }
  }
}

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
    else if (diff >= thr && delay > kSyncFramedupThreshold)
      delay = delay + diff;
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
  listener_->on_frame(vf);
}

double Engine::refresh(const ShowFn &show) {
  // What the decoders had done when we looked (see the end).
  const uint64_t progress = progress_.load();
  const double now = now_s();
  const bool paused = paused_.load(std::memory_order_acquire);
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
    const bool stepping = paused && step_req_.load(std::memory_order_acquire);
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
    if (stepping) step_req_.store(false, std::memory_order_release);
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
    // Nothing left to show: at the end of the file this may be the end;
    // otherwise sleep until the decoders make progress (a picture, the end
    // of a stream, the audio drained). Announce the wait first, then check
    // that nothing happened since we looked, so no wake-up is lost.
    if (check_eof()) return INFINITY;
    display_waits_.store(true);
    if (progress_.load() != progress) {
      display_waits_.store(false);
      return now;
    }
  }
  return due;
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
      if (std::isinf(due)) present_cv_.wait(lk, woken);
      else present_cv_.wait_until(lk, steady_at(due), woken);
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
