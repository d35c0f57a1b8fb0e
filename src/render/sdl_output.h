// Built-in SDL2 outputs.
//  SdlAudio: an SDL audio device (S16 stereo) whose callback drains an
//            AudioSink; opened at player creation, paused as soon as playback
//            pauses and closed when the pause lasts (SDL's audio thread wakes
//            every period even while paused, so only closing lets it sleep),
//            reopened when playback resumes.
//  SdlVideo: a window + renderer + streaming texture; created, drawn and
//            pumped on the thread that created the player (SDL's rule),
//            which sleeps in its SdlWaiter between pumps.
#pragma once
#include <SDL.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/noncopyable.h"
#include "decode/ffmpeg_util.h"
#include "render/audio_sink.h"
#include "render/sdl_wait.h"

namespace sp {

class SdlAudio final : public AudioOutput {
public:
  // Runs `task` at a later time (now_s() + delay_s) on some other thread and
  // returns an id for cancel(id); the player's dispatcher provides it.
  struct Timers {
    std::function<uint64_t(double delay_s, std::function<void()> task)> schedule;
    std::function<void(uint64_t id)> cancel;
  };

  SdlAudio() = default;
  ~SdlAudio() override;
  SdlAudio(const SdlAudio &) = delete;
  SdlAudio &operator=(const SdlAudio &) = delete;
  // Opens the default device at about `rate` Hz; updates sink's out rate and
  // latency to what the device granted, and becomes the sink's output. The
  // device starts paused; it is released `release_ms` after playback pauses
  // (and at once with 0) and opened again when it resumes.
  // kErrAudioDevice on failure.
  int open(AudioSink *sink, int rate, int release_ms, Timers timers, std::string &err);
  // Detach from the sink and the timers (before they go away).
  void close();
  // AudioOutput: pause the device at once (SDL_PauseAudioDevice), release it
  // when the pause lasts; reopen and start it on resume.
  void on_sink_paused(bool paused) override;
  // Whether the device is open now (tests).
  bool device_open() const;
  // Reports a failure to reopen the device (on the thread that resumed).
  void set_error_handler(std::function<void(const std::string &)> fn) { on_error_ = std::move(fn); }

private:
  static void callback(void *user, Uint8 *stream, int len);
  int open_device(bool fixed_rate, std::string &err); // mu_ held
  void release();                                     // a timer task

  mutable std::mutex mu_;
  SDL_AudioDeviceID dev_ = 0; // guarded by mu_
  bool playing_ = false;      // guarded by mu_
  uint64_t release_timer_ = 0;
  int release_ms_ = 3000;
  Timers timers_;
  bool inited_ = false;
  AudioSink *sink_ = nullptr;
  std::function<void(const std::string &)> on_error_;
};

class SdlVideo : NonCopyable {
public:
  ~SdlVideo();
  // Creates a hidden window and a renderer. kErrVideoDevice on failure.
  int create(const std::string &title, int width, int height, std::string &err);
  // Show the window sized for a video turned `rotation` degrees clockwise
  // (0, 90, 180, 270) for display (unless the host fixed a size).
  void show_for(int video_w, int video_h, int rotation = 0);
  void set_title(const std::string &title);
  // Upload a YUV420P or RGBA picture to the texture.
  bool upload(const AVFrame *pic);
  // Draw the texture, letterboxed, and present.
  void present();
  // Handle pending window events (and the waiter's wake-ups). Returns false
  // once the window was closed.
  bool pump();
  bool open() const { return open_; }
  // How the creating thread sleeps until pump() has work (sp_sdl_wait).
  SdlWaiter &waiter() { return *waiter_; }

private:
  std::unique_ptr<SdlWaiter> waiter_;
  SDL_Window *win_ = nullptr;
  SDL_Renderer *ren_ = nullptr;
  SDL_Texture *tex_ = nullptr;
  int tex_w_ = 0, tex_h_ = 0;
  Uint32 tex_fmt_ = 0;
  int yuv_mode_ = 0; // SDL_YUV_CONVERSION_MODE for the YUV texture: the picture's matrix and range
  int rotation_ = 0; // degrees clockwise, for display
  int fixed_w_ = 0, fixed_h_ = 0;
  bool inited_ = false;
  bool open_ = true;
  bool has_picture_ = false;
};

} // namespace sp
