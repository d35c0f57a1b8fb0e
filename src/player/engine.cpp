// The engine: open and close (its four threads), and the controls the
// player calls (pause, seek, step, rate) with the state they share.
#include "player/engine.h"
#include "player/engine_tuning.h"

#include <algorithm>
#include <future>

#include "core/thread_name.h"
#include "core/utf8.h"
#include "decode/ffmpeg_log.h"
#include "render/audio_sink.h"

namespace sp {

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
  // Audio-only media (music, podcasts, an mp3 whose cover art is only an
  // attached picture) plays as mpv and ffplay play it: the sound is the
  // clock, no pictures. With audio_output=none there is nothing to play.
  if (vidx_ < 0 && input_.audio_stream() < 0) {
    err = "'" + clean_text(url) + "' has no video or audio stream";
    return SP_ERR_FORMAT;
  }
  if (vidx_ < 0 && !opt_.audio) {
    err = "'" + clean_text(url) + "' has no video stream, and audio_output is none: nothing to play";
    return SP_ERR_NO_VIDEO;
  }
  if (vidx_ >= 0 && (facts_.width <= 0 || facts_.height <= 0)) {
    err = "'" + clean_text(url) + "': the video stream's picture size could not be read (a damaged header)";
    return SP_ERR_FORMAT;
  }
  // Probing decoded nothing (no pixel format) from a source that cannot
  // seek: an MP4 whose index is at its end, read from a server that does not
  // take range requests, has its samples behind it (ffplay and mpv fail it).
  if (vidx_ >= 0 && ic->streams[vidx_]->codecpar->format < 0 && ic->pb &&
      !(ic->pb->seekable & AVIO_SEEKABLE_NORMAL)) {
    err = "'" + clean_text(url) +
          "': nothing could be decoded: the stream cannot seek back to its samples (an MP4 with its index at "
          "the end, served without range requests?)";
    return SP_ERR_FORMAT;
  }
  if (vidx_ >= 0) vtb_ = ic->streams[vidx_]->time_base;
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
    } else if (vidx_ < 0) {
      err = "'" + clean_text(url) + "': " + aerr;
      return ar;
    } else if (listener_) {
      listener_->on_error(SP_ERR_FORMAT, "audio disabled: " + aerr);
    }
  }
  if (vidx_ >= 0) {
    r = start_decoder(vdec_th_, "sp-vdec", vidx_, vdec_, err, 0, [this] { video_loop(); });
    if (r != SP_OK) return r;
  }
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
void Engine::reset_serials(double target, bool accurate, double back) {
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
    serial_filter_.landing = target;
    serial_filter_.back = back;
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
  if (!p) {
    step_req_.store(0, std::memory_order_release); // playing: steps not yet shown are moot
    audio_expected_since_.store(now_s(), std::memory_order_release);
  }
  if (was && !p && stepped_.exchange(false)) {
    // Frames were stepped while paused: resume audio at the picture.
    sink_->skip_until(position_.load());
    std::lock_guard lk(ext_mu_);
    ext_clock_.set(position_.load(), rate(), ext_clock_.serial(), now_s());
  } else {
    double now = now_s();
    std::lock_guard lk(ext_mu_);
    double v = ext_clock_.get(now);
    if (!std::isnan(v)) ext_clock_.set(v, p || buffering_.load() ? 0.0 : rate(), ext_clock_.serial(), now);
  }
  sink_->set_paused(p || buffering_.load()); // (buffering: the display resumes it)
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
    seek_back_ = 0;
  }
  pending_seek_.store(target, std::memory_order_release);
  ended_.store(false, std::memory_order_release);
  demux_cv_.notify_all();
  wake_display();
}

void Engine::step() {
  if (!paused_.load()) set_paused(true);
  if (ended_.load() || vidx_ < 0) {                // (audio only: no frame to show, it pauses)
    step_req_.store(0, std::memory_order_release); // nothing after the last frame
    return;
  }
  stepped_.store(true);
  // Counted: three quick steps show three frames (as mpv's queued frame steps).
  if (step_req_.load(std::memory_order_acquire) < engine_tuning::kMaxPendingSteps)
    step_req_.fetch_add(1, std::memory_order_acq_rel);
  wake_display();
}

void Engine::set_rate(double r) {
  double now = now_s();
  {
    std::lock_guard lk(ext_mu_);
    double v = ext_clock_.get(now);
    rate_.store(r, std::memory_order_release);
    if (!std::isnan(v))
      ext_clock_.set(v, paused_.load() || buffering_.load() ? 0.0 : r, ext_clock_.serial(), now);
  }
  wake_display();
}

double Engine::position() const {
  double p = pending_seek_.load(std::memory_order_acquire);
  if (!std::isnan(p)) return p;
  const double shown = position_.load(std::memory_order_acquire);
  // The video has ended before the audio (a shorter video stream): the
  // position follows the sound, as mpv's time-pos does, not the last picture.
  if (audio_on_ && video_finished()) {
    const double a = audio_position(now_s());
    if (!std::isnan(a) && a > shown) return std::min(a, duration_ > 0 ? duration_ : a);
  }
  return shown;
}

double Engine::buffered() const {
  // A seek on its way: nothing read for its target yet.
  if (!std::isnan(pending_seek_.load(std::memory_order_acquire))) return 0.0;
  double pos = position();
  // At the end of the input: up to the last packet read (a stream that
  // broke off ends before its duration).
  if (eof_.load()) return std::max(0.0, std::max(demux_vend_.load(), demux_aend_.load()) - pos);
  double end = vidx_ >= 0 ? demux_vend_.load() : demux_aend_.load();
  if (audio_on_ && vidx_ >= 0) end = std::min(end, demux_aend_.load());
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

} // namespace sp
