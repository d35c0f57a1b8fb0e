// The player behind an sp_player handle: owns the outputs (SDL window/audio
// device or the host-callback paths), the engine of the media currently
// open, the control plane (the gate every control call passes through) and
// the event dispatcher thread. The C API in src/capi/ is a thin, exception-
// free layer over this class.
//
// Locks (never held while waiting for an engine thread or the control thread,
// except open_mu_, which only host threads outside callbacks take):
//   open_mu_     serialises open / stop / destroy (lifecycle) on host threads
//   control_mu_  serialises control calls: admit -> apply -> submit
//   engine_mu_   guards the engine pointer and the retired engines
//   cb_mu_       guards the host callbacks
//
// Calls from inside a callback. The host's callbacks run on library threads
// (sp-events, sp-present, sp-control), and every [callback-safe] call may be
// made from them: none waits there for a library thread or for open_mu_. The
// one call with work that must not run there is stop: closing the engine
// joins its threads (sp-present among them). From a callback stop does
// everything the host can see at once (playback stops, the Stop is logged,
// the session ends, the state is STOPPED) and retires the engine: its
// threads are told to stop, and sp-events closes it after the callback
// returns; sp_open and destroy close what is still retired before going on.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control/control_plane.h"
#include "decode/ffmpeg_log.h"
#include "decode/probe.h"
#include "player/config.h"
#include "player/dispatcher.h"
#include "player/engine.h"
#include "render/audio_sink.h"
#include "render/sdl_output.h"
#include "smartplayer.h"

namespace sp {

class Player final : public PlaybackView, public EngineListener {
public:
  // Creates outputs and the control plane. On failure returns the code and
  // a message; `out` stays empty.
  static int create(const PlayerConfig &cfg, std::unique_ptr<Player> &out, std::string &err);
  ~Player() override;
  // Whether the calling thread is inside a libsmartplayer callback (of any
  // player): a destroy from there cannot join the threads (sp_player_destroy
  // hands it to a thread of its own).
  static bool calling_from_callback();
  Player(const Player &) = delete;
  Player &operator=(const Player &) = delete;

  // ---- C API operations (return sp_result codes; failures record last_error) ----
  int open(const char *url, const sp_media_meta *meta);
  int play();
  int pause();
  int toggle_pause();
  int seek(int64_t target_ms, int flags);
  int step();
  int set_rate(double rate);
  int set_volume(int volume);
  int set_mute(int mute);
  int stop();
  int skip(int direction);

  int get_state() const { return state_.load(std::memory_order_acquire); }
  int64_t get_position_ms() const;
  int64_t get_duration_ms() const;
  int64_t get_buffered_ms() const;
  double get_rate() const { return rate_.load(std::memory_order_acquire); }
  int get_volume() const { return volume_.load(std::memory_order_acquire); }
  bool get_mute() const { return muted_.load(std::memory_order_acquire); }
  int get_media_info(sp_media_info &info) const;
  int64_t session_id() const { return session_id_.load(std::memory_order_acquire); }

  int set_event_callback(sp_event_fn fn, void *user);
  int set_video_callback(sp_video_fn fn, int format, void *user);
  int audio_read(int16_t *buf, int frames);
  int sdl_pump();
  int sdl_wait(int timeout_ms);
  int sdl_wakeup();

  int set_control_callback(sp_control_fn fn, void *user);
  int control_state(int *state, int64_t *wakes_in_ms) const;
  int stats(sp_stats &st) const;
  int predicted_windows(sp_window *out, int max, int *count) const;

  const char *last_error() const;
  // Record a failure (code returned unchanged).
  int fail(int code, const std::string &msg) const;

  // ---- PlaybackView (control thread) ----
  int64_t position_ms() const override { return get_position_ms(); }
  bool paused() const override { return get_state() != SP_STATE_PLAYING; }
  double rate() const override { return get_rate(); }

  // ---- EngineListener (engine threads) ----
  void on_frame(const sp_video_frame &frame) override;
  void on_eof(int64_t position_ms) override;
  void on_seek_done(int64_t position_ms) override;
  void on_buffering(bool waiting, int64_t position_ms) override;
  void on_error(int code, const std::string &message) override;

  // ---- for tests and tools (internal) ----
  EngineStats engine_stats() const;
  // Audio clock (media ms) as the sync logic sees it, or INT64_MIN if none.
  int64_t audio_clock_ms() const;
  // What the audio output played (frames, continuity) and whether the SDL
  // audio device is open now (false without audio_output=sdl).
  AudioSink::Continuity audio_continuity() const { return sink_->continuity(); }
  int audio_out_rate() const { return sink_->out_rate(); }
  bool audio_device_open() const { return sdl_audio_ && sdl_audio_->device_open(); }
  const PlayerConfig &config() const { return cfg_; }
  ControlPlane &control() { return *control_; }

private:
  explicit Player(const PlayerConfig &cfg);
  std::shared_ptr<Engine> engine() const;
  void set_state(int s);
  // Hand an event to the dispatcher thread for the host's callback.
  void emit(Event ev);
  // The common path of every control call.
  template <class Apply> int control_call(Kind kind, Apply &&apply);
  bool media_open() const;
  // The gate's refusals, shared by every control call (control_mu_ held):
  // SP_OK, or the failure recorded for `kind`.
  int gate_check(Kind kind);
  // Start a new viewing session for `info` (not under control_mu_: it waits
  // for the control thread, which may be calling the host's control callback,
  // which may make a control call).
  int begin_session(const SessionInfo &info, std::string &err);
  // stop() from a callback: `e` (already detached and listed in retired_) is
  // closed on sp-events.
  void retire(std::shared_ptr<Engine> e);
  // Close every retired engine (host threads: open, destroy).
  void close_retired();
  void end_session(const std::string &reason);

  PlayerConfig cfg_;
  std::thread::id creator_;
  std::unique_ptr<AudioSink> sink_;
  std::unique_ptr<SdlAudio> sdl_audio_;
  std::unique_ptr<SdlVideo> sdl_video_;
  double sdl_due_ = 0; // when the next frame is due (now_s(); +inf: none); creating thread only
  std::unique_ptr<Dispatcher> dispatcher_;
  // FFmpeg's messages about this player's media, as Log events (log_level).
  std::unique_ptr<LogRoute> log_route_;
  std::unique_ptr<ControlPlane> control_;

  std::mutex open_mu_;
  mutable std::mutex control_mu_;
  mutable std::mutex engine_mu_;
  std::shared_ptr<Engine> engine_;
  // Engines stopped from a callback, not yet closed (guarded by engine_mu_).
  std::vector<std::shared_ptr<Engine>> retired_;

  std::atomic<int> state_{SP_STATE_IDLE};
  std::atomic<double> rate_{1.0};
  std::atomic<int> volume_{100};
  std::atomic<bool> muted_{false};
  std::atomic<int64_t> last_position_ms_{0};
  std::atomic<int64_t> session_id_{0};
  std::atomic<bool> session_active_{false};
  SessionInfo session_info_; // guarded by control_mu_
  MediaFacts facts_;         // guarded by engine_mu_
  // The playback counters of the engine closed last (guarded by engine_mu_;
  // reset when an engine is opened): sp_stats after sp_stop or a failed open.
  EngineStats closed_stats_;
  // The engine sp_open is opening (probing) now, and whether sp_stop has
  // cancelled that open (both guarded by engine_mu_).
  std::shared_ptr<Engine> opening_;
  bool open_cancelled_ = false;

  mutable std::mutex cb_mu_;
  sp_event_fn event_fn_ = nullptr;
  void *event_user_ = nullptr;
  sp_video_fn video_fn_ = nullptr;
  void *video_user_ = nullptr;
  int video_format_ = SP_PIXEL_RGBA32;

  // last_error: a ring of message slots so a returned pointer stays valid
  // while later failures write other slots.
  static constexpr int kErrSlots = 16;
  static constexpr size_t kErrLen = 512;
  mutable char err_slots_[kErrSlots][kErrLen] = {};
  mutable std::atomic<int> err_index_{-1};
  mutable std::mutex err_mu_;
};

} // namespace sp
