// Built-in SDL2 outputs.
//  SdlAudio: an SDL audio device (S16 stereo) whose callback drains an
//            AudioSink; opened at player creation, runs until destroyed.
//  SdlVideo: a window + renderer + streaming texture; created, drawn and
//            pumped on the thread that created the player (SDL's rule),
//            which sleeps in its SdlWaiter between pumps.
#pragma once
#include <SDL.h>

#include <memory>
#include <string>

#include "decode/ffmpeg_util.h"
#include "render/sdl_wait.h"

namespace sp {

class AudioSink;

class SdlAudio {
public:
  SdlAudio() = default;
  ~SdlAudio();
  SdlAudio(const SdlAudio &) = delete;
  SdlAudio &operator=(const SdlAudio &) = delete;
  // Opens the default device at about `rate` Hz; updates sink's out rate and
  // latency to what the device granted. SP_ERR_AUDIO_DEVICE on failure.
  int open(AudioSink *sink, int rate, std::string &err);

private:
  static void callback(void *user, Uint8 *stream, int len);
  SDL_AudioDeviceID dev_ = 0;
  bool inited_ = false;
  AudioSink *sink_ = nullptr;
};

class SdlVideo {
public:
  SdlVideo() = default;
  ~SdlVideo();
  SdlVideo(const SdlVideo &) = delete;
  SdlVideo &operator=(const SdlVideo &) = delete;
  // Creates a hidden window and a renderer. SP_ERR_VIDEO_DEVICE on failure.
  int create(const std::string &title, int width, int height, std::string &err);
  // Show the window sized for a video (unless the host fixed a size).
  void show_for(int video_w, int video_h);
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
  int fixed_w_ = 0, fixed_h_ = 0;
  bool inited_ = false;
  bool open_ = true;
  bool has_picture_ = false;
};

} // namespace sp
