// The playback engine for one opened media, modelled on ffplay:
//
//   sp-demux        av_read_frame -> video / audio PacketQueue (bounded),
//                   performs seeks (flush + new serial), reads to the end
//   sp-vdec         (not for audio-only media) packets -> frames -> (accurate-seek discard, early drop)
//                   -> libswscale into the output format -> FrameQueue (3)
//   sp-adec         packets -> frames -> AudioFilter (atempo | asetrate +
//                   aresample, S16 stereo at the output rate) -> AudioSink ring
//   sp-present      (video_output callback/none) times frames against the
//                   master clock, hands them to the host, detects the end;
//                   with video_output=sdl the same refresh runs inside
//                   sp_sdl_pump on the creating thread instead.
//   audio consumer  SDL's audio thread or the host's sp_audio_read: drains the
//                   ring without blocking and publishes the audio clock.
//
// Nothing polls. Every thread blocks until it is signalled or until an exact
// deadline its work needs:
//   sp-demux    reads in bursts until the queues hold kHighSeconds, then sleeps
//               until a decoder drains one below kLowSeconds (on_packet_taken),
//               a seek, or close; after the end of the file, until a seek.
//   sp-vdec     a packet (PacketQueue::get), a free picture slot (FrameQueue).
//   sp-adec     a packet, or half of the audio ring free (AudioSink::wait_space).
//   display     the next picture's display time; with no picture to show (or
//               paused, or ended) no deadline at all: woken by a control call
//               (wake_display) or by decoder progress it announced it waits for
//               (display_waits_ / on_progress).
//
// Master clock: the audio clock when audio is played, else (and after the
// audio ends) an external clock that runs at the playback rate. Video frames
// are delayed, repeated (held) or dropped to follow it (ffplay's
// compute_target_delay and late-frame drop).
//
// Thread safety: control methods (set_paused, seek, step, set_rate),
// request_stop() and the getters may be called from any thread, engine
// threads included, and never wait for engine threads. open() must not run
// concurrently with other calls; close() may run on several threads at once
// (it joins once), never on an engine thread.
//
// Sources: engine.cpp (open, close, the controls), engine_demux.cpp,
// engine_decode.cpp (both decoders), engine_display.cpp (clocks, frame timing,
// refresh); engine_tuning.h holds the constants they share.
#pragma once
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "decode/ffmpeg_util.h"
#include "decode/input.h"
#include "core/clock.h"
#include "player/frame_queue.h"
#include "player/packet_queue.h"
#include "smartplayer.h"

namespace sp {

class AudioSink;
class LogRoute;
class SdlVideo;
class VideoConverter;

struct EngineOptions {
  enum class Video { Sdl, Callback, None };
  Video video = Video::None;
  AVPixelFormat picture_format = AV_PIX_FMT_RGBA; // for Video::Callback / Sdl
  bool audio = false;                             // play audio into the sink
  bool tempo = true;                              // rate_mode: tempo (atempo) or resample
  int network_timeout_ms = 10000;
  bool framedrop = true; // drop late frames (ffplay -framedrop)
  // Where FFmpeg's messages from this engine's threads go (decode/ffmpeg_log.h).
  const LogRoute *log = nullptr;
  // Video::Sdl: the display runs on the host's thread (refresh_sdl); this
  // tells it that there is new work (called from any thread; must not block).
  std::function<void()> wake_display;
};

// Notifications from engine threads. on_frame runs on the presenter thread
// (the host's video callback); the others must not block.
class EngineListener {
public:
  virtual ~EngineListener() = default;
  virtual void on_frame(const sp_video_frame &frame) = 0;
  virtual void on_eof(int64_t position_ms) = 0;
  virtual void on_seek_done(int64_t position_ms) = 0;
  virtual void on_error(int code, const std::string &message) = 0;
  // Playing, the input ran dry: playback waits (true) / goes on (false).
  virtual void on_buffering(bool /*waiting*/, int64_t /*position_ms*/) {}
};

struct EngineStats {
  int64_t frames_displayed = 0;
  int64_t frames_dropped = 0; // early (decoder) + late (display)
  int64_t audio_underruns = 0;
};

class Engine {
public:
  Engine(const EngineOptions &opt, AudioSink *sink, EngineListener *listener);
  ~Engine();
  Engine(const Engine &) = delete;
  Engine &operator=(const Engine &) = delete;

  // Open the media and start the threads, paused at the start. The first
  // picture is decoded and presented (shown even though paused).
  int open(const std::string &url, std::string &err);
  // Ask every thread to stop (never blocks; safe from an engine thread).
  void request_stop();
  // request_stop() and join the threads, once (later calls return at once;
  // concurrent calls wait for the first). Not from an engine thread (there
  // it only requests the stop).
  void close();
  // True when called on one of this engine's threads.
  bool on_engine_thread() const;

  // ---- control (any thread, never waits for engine threads) ----
  void set_paused(bool paused);
  bool paused() const { return paused_.load(std::memory_order_acquire); }
  // Seek to target seconds (clamped to [0, duration]); accurate = land on the
  // frame at or before the target, else on the keyframe at or before it.
  void seek(double target_s, bool accurate);
  // Pause (if playing) and show the next frame.
  void step();
  void set_rate(double rate);
  double rate() const { return rate_.load(std::memory_order_acquire); }

  // ---- getters (any thread) ----
  double position() const; // seconds: displayed frame or pending seek target
  double duration() const { return duration_; }
  double buffered() const; // seconds decoded/queued ahead of the position
  bool ended() const { return ended_.load(std::memory_order_acquire); }
  EngineStats stats() const;
  const MediaFacts &facts() const { return facts_; }

  // video_output=sdl: one display refresh on the calling thread, drawing
  // into `out`. Returns when to refresh again (now_s() time; +inf: not until
  // wake_display is called).
  double refresh_sdl(SdlVideo &out);

private:
  struct SerialFilter { // which packets (serials) and frames (before an accurate-seek target) decoders keep
    int vserial = -1, aserial = -1, sink_serial = -1;
    double target = NAN; // accurate-seek target (NAN: none)
    double landing = NAN; // any seek's target, to check where it landed (NAN: not a seek)
    double back = 0;      // seconds before the target the demuxer was asked to seek to
  };

  // Start `th` named `name`: it opens the decoder of `stream` into `ctx` and,
  // if that worked, runs `loop`. Returns the open's result (message in err).
  int start_decoder(std::thread &th, const char *name, int stream, ff::CodecCtxPtr &ctx, std::string &err,
                    int threads, std::function<void()> loop);
  void demux_loop();
  void video_loop();
  void audio_loop();
  // Both decoder threads' packet loop (engine_decode.cpp): serials, stale
  // packets, end of stream; the stream's own work is in the three callbacks.
  template <class OnSerial, class OnFrame, class OnEnd>
  void run_decoder(PacketQueue &q, AVCodecContext *dec, OnSerial &on_serial, OnFrame &on_frame, OnEnd &on_end);
  void present_loop();
  void do_seek();
  void reset_serials(double target, bool accurate, double back = 0);
  // The video decoder's first picture of `serial` came after the seek's
  // target: seek again further back (see do_seek). False when a newer seek
  // has come, or no earlier point is left to try.
  bool seek_further_back(int serial);
  bool queues_full() const;   // the high-water mark: stop reading
  bool refill_needed() const; // the low-water mark: read again
  void on_packet_taken();     // decoder threads, after every packet
  void on_progress();         // a picture queued, a decoder finished, the audio drained
  bool check_eof();           // display thread; true when it just ended
  // Buffering (display thread): playing steadily, no picture to show and no
  // packet left to decode, before the end: the clocks stop until a second is
  // read ahead (the demuxer wakes the display), or a pause, seek or the end.
  bool starved() const;
  void start_buffering(double now);
  void end_buffering(double now);
  bool buffering_over() const;
  // The audio output has taken nothing for kAudioStallS since it was last
  // expected to (or it could not be opened): the sound cannot end by itself.
  bool audio_stalled(double now) const;
  // Every picture of the current serial decoded and shown (always, for audio-only media).
  bool video_finished() const {
    return vidx_ < 0 || (vfinished_.load() == videoq_.serial() && pictq_.remaining() == 0);
  }
  SerialFilter serial_filter() const;

  // video decoder helpers
  bool queue_picture(VideoConverter &conv, AVFrame *f, double pts, double dur, int serial);
  // audio decoder helpers
  struct AudioState;
  bool audio_emit(AudioState &st, AVFrame *filt);
  bool audio_process(AudioState &st, AVFrame *f);
  bool audio_drain_filter(AudioState &st);
  bool audio_flush_block(AudioState &st);

  // display
  using ShowFn = std::function<void(Picture &)>;
  // One display step: show the picture that is due. Returns when to look
  // again (now_s() time; +inf: when woken).
  double refresh(const ShowFn &show);
  double master_clock(double now) const;
  bool audio_clock_valid(double now, double *value) const;
  // The audio's media position now, also once it has ended or paused (NAN:
  // no audio, or none played since the last seek).
  double audio_position(double now) const;
  double vp_duration(const Picture &vp, const Picture &next) const;
  double compute_target_delay(double delay, double now) const;
  void set_ext_clock(double pts, double now);
  // There is new work for the display (presenter thread or the host's).
  void wake_display();
  void deliver(Picture &pic);

  EngineOptions opt_;
  AudioSink *sink_;
  EngineListener *listener_;
  MediaFacts facts_;
  MediaInput input_;
  ff::CodecCtxPtr vdec_, adec_;
  int vidx_ = -1, aidx_ = -1;
  AVRational vtb_{1, 1}, atb_{1, 1};
  double start_time_ = 0, duration_ = 0, fps_ = 0;
  bool audio_on_ = false;

  PacketQueue videoq_, audioq_;
  FrameQueue pictq_{3};

  std::thread demux_th_, vdec_th_, adec_th_, present_th_;
  // Their ids, noted as each starts (open() only; read by on_engine_thread()).
  std::thread::id thread_ids_[4];
  void note_thread(const std::thread &th);
  std::atomic<bool> abort_{false};
  std::mutex close_mu_; // serialises close()
  bool closed_ = false; // guarded by close_mu_: the threads are joined
  bool opened_ = false;

  // control state
  std::atomic<bool> paused_{true};
  std::atomic<double> rate_{1.0};
  std::atomic<int> step_req_{0}; // frames still to step, paused (sp_step calls not yet shown)
  std::atomic<bool> stepped_{false};
  std::atomic<bool> ended_{false};
  std::atomic<bool> buffering_{false}; // set and cleared by the display; read anywhere
  std::atomic<bool> eof_{false};
  std::atomic<double> position_{0.0};
  std::atomic<double> pending_seek_{NAN};
  std::atomic<int> seek_done_serial_{-1};
  std::atomic<int> vfinished_{-1}, afinished_{-1};
  std::atomic<double> demux_vend_{0.0}, demux_aend_{0.0};
  // now_s() when the audio output was last expected to start taking samples
  // (play, a seek): the start of the stall check (audio_stalled).
  std::atomic<double> audio_expected_since_{0.0};

  mutable std::mutex seek_mu_; // seek request + plan
  bool seek_req_ = false;
  double seek_target_ = 0;
  bool seek_accurate_ = true;
  double seek_back_ = 0;      // seconds before seek_target_ to ask the demuxer for (a retry)
  int64_t read_end_pos_ = -1; // sp-demux only: byte just after the last packet read (-1: unknown)
  SerialFilter serial_filter_;
  std::condition_variable demux_cv_;

  // clocks
  mutable std::mutex ext_mu_;
  SeqClock ext_clock_;
  SeqClock vid_clock_;

  // display state (refresh thread only)
  double frame_timer_ = 0;
  int last_shown_serial_ = -1;
  bool force_refresh_ = false;
  bool was_paused_ = true;

  // Sleeping without polling (see the top of this file).
  std::mutex present_mu_;
  std::condition_variable present_cv_;
  bool present_wake_ = false;              // guarded by present_mu_
  std::atomic<uint64_t> progress_{0};       // decoder progress the display may wait for
  std::atomic<bool> display_waits_{false};  // the display sleeps until progress_ moves
  std::atomic<bool> demux_sleeps_{false};   // the demux thread sleeps on full queues
  bool demux_wake_ = false;                 // guarded by seek_mu_

  std::atomic<int64_t> frames_displayed_{0}, frames_dropped_{0};
};

} // namespace sp
