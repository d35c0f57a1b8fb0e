#include "render/sdl_output.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "core/result.h"
#include "render/video_convert.h"

namespace sp {

namespace {
// SDL's audio subsystem count and device list are process-wide and not
// thread-safe: players created, paused and destroyed on different threads
// (a player destroyed from its callback goes on sp-destroy, an idle device
// is released on sp-events) take turns here. Taken after an SdlAudio's own
// mu_, never before it; SDL's audio thread (our callback) never takes it.
std::mutex &sdl_audio_mutex() {
  static std::mutex mu;
  return mu;
}
// SDL's YUV conversion mode (SDL_SetYUVConversionMode) is process-wide too.
std::mutex &yuv_mode_mutex() {
  static std::mutex mu;
  return mu;
}
} // namespace

// ---------------------------------------------------------------- audio
SdlAudio::~SdlAudio() {
  close();
  std::lock_guard g(sdl_audio_mutex());
  if (dev_) SDL_CloseAudioDevice(dev_);
  if (inited_) SDL_QuitSubSystem(SDL_INIT_AUDIO);
}

void SdlAudio::close() {
  if (sink_) sink_->set_output(nullptr);
  std::lock_guard lk(mu_);
  if (release_timer_ && timers_.cancel) timers_.cancel(release_timer_);
  release_timer_ = 0;
  timers_ = Timers{};
}

void SdlAudio::callback(void *user, Uint8 *stream, int len) {
  auto *self = static_cast<SdlAudio *>(user);
  self->sink_->read(reinterpret_cast<int16_t *>(stream), len / 4);
}

int SdlAudio::open(AudioSink *sink, int rate, int release_ms, Timers timers, std::string &err) {
  {
    std::lock_guard g(sdl_audio_mutex());
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
      err = std::string("SDL audio init failed: ") + SDL_GetError();
      return kErrAudioDevice;
    }
  }
  inited_ = true;
  sink_ = sink;
  release_ms_ = release_ms;
  timers_ = std::move(timers);
  sink->set_out_rate(rate);
  {
    std::lock_guard lk(mu_);
    int r = open_device(false, err);
    if (r != kOk) return r;
  }
  sink->set_output(this);
  on_sink_paused(sink->paused()); // nothing plays yet: paused, and released if it stays so
  return kOk;
}

int SdlAudio::open_device(bool fixed_rate, std::string &err) {
  SDL_AudioSpec want{}, have{};
  want.freq = sink_->out_rate();
  want.format = AUDIO_S16SYS;
  want.channels = 2;
  want.samples = 2048; // as ffplay at 48 kHz: ~43 ms, 23 periods a second
  want.callback = &SdlAudio::callback;
  want.userdata = this;
  // Reopened: the ring holds samples at the rate granted first, so keep it
  // (SDL converts if the device differs).
  int flags = SDL_AUDIO_ALLOW_SAMPLES_CHANGE | (fixed_rate ? 0 : SDL_AUDIO_ALLOW_FREQUENCY_CHANGE);
  {
    std::lock_guard g(sdl_audio_mutex());
    dev_ = SDL_OpenAudioDevice(nullptr, 0, &want, &have, flags);
    if (!dev_) {
      err = std::string("cannot open an SDL audio device: ") + SDL_GetError();
      return kErrAudioDevice;
    }
  }
  if (!fixed_rate) sink_->set_out_rate(have.freq);
  sink_->set_latency_frames(have.samples);
  return kOk; // opened paused (SDL's default)
}

void SdlAudio::on_sink_paused(bool paused) {
  std::string err;
  {
    std::lock_guard lk(mu_);
    if (paused) {
      playing_ = false;
      if (!dev_) return;
      SDL_PauseAudioDevice(dev_, 1); // stop feeding it at once
      if (!release_timer_ && timers_.schedule)
        release_timer_ = timers_.schedule(release_ms_ / 1000.0, [this] { release(); });
      return;
    }
    playing_ = true;
    if (release_timer_) {
      if (timers_.cancel) timers_.cancel(release_timer_);
      release_timer_ = 0;
    }
    if (dev_ || open_device(true, err) == kOk) {
      SDL_PauseAudioDevice(dev_, 0);
      sink_->set_output_ok(true);
      return;
    }
  }
  // Without a device the audio clock stands still: let video run on the
  // external clock, and say why there is no sound.
  sink_->set_output_ok(false);
  if (on_error_) on_error_("audio device could not be reopened: " + err);
}

void SdlAudio::release() {
  // The dispatcher thread, release_ms after a pause began (cancelled if
  // playback resumed first). Closing joins SDL's audio thread.
  std::lock_guard lk(mu_);
  release_timer_ = 0;
  if (playing_ || !dev_) return;
  std::lock_guard g(sdl_audio_mutex());
  SDL_CloseAudioDevice(dev_);
  dev_ = 0;
}

bool SdlAudio::device_open() const {
  std::lock_guard lk(mu_);
  return dev_ != 0;
}

// ---------------------------------------------------------------- video
SdlVideo::~SdlVideo() {
  waiter_.reset();
  if (tex_) SDL_DestroyTexture(tex_);
  if (ren_) SDL_DestroyRenderer(ren_);
  if (win_) SDL_DestroyWindow(win_);
  if (inited_) SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

int SdlVideo::create(const std::string &title, int width, int height, std::string &err) {
  if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
    err = std::string("SDL video init failed: ") + SDL_GetError();
    return kErrVideoDevice;
  }
  inited_ = true;
  waiter_ = std::make_unique<SdlWaiter>();
  fixed_w_ = width;
  fixed_h_ = height;
  win_ = SDL_CreateWindow(title.c_str(), SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
                          width > 0 ? width : 640, height > 0 ? height : 360,
                          SDL_WINDOW_HIDDEN | SDL_WINDOW_RESIZABLE);
  if (!win_) {
    err = std::string("cannot create a window: ") + SDL_GetError();
    return kErrVideoDevice;
  }
  ren_ = SDL_CreateRenderer(win_, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
  if (!ren_) ren_ = SDL_CreateRenderer(win_, -1, SDL_RENDERER_SOFTWARE);
  if (!ren_) {
    err = std::string("cannot create a renderer: ") + SDL_GetError();
    return kErrVideoDevice;
  }
  return kOk;
}

void SdlVideo::show_for(int video_w, int video_h, int rotation) {
  if (!win_) return;
  rotation_ = rotation;
  if (rotation_ == 90 || rotation_ == 270) std::swap(video_w, video_h);
  if (fixed_w_ <= 0 || fixed_h_ <= 0) {
    int w = fixed_w_ > 0 ? fixed_w_ : video_w;
    int h = fixed_h_ > 0 ? fixed_h_ : video_h;
    if (w > 0 && h > 0) SDL_SetWindowSize(win_, w, h);
  }
  SDL_ShowWindow(win_);
  has_picture_ = false;
  open_ = true;
}

void SdlVideo::set_title(const std::string &title) {
  if (win_) SDL_SetWindowTitle(win_, title.c_str());
}

bool SdlVideo::upload(const AVFrame *pic) {
  if (!ren_ || !pic || !pic->data[0]) return false;
  Uint32 fmt = pic->format == AV_PIX_FMT_RGBA ? SDL_PIXELFORMAT_ABGR8888 : SDL_PIXELFORMAT_IYUV;
  if (!tex_ || tex_w_ != pic->width || tex_h_ != pic->height || tex_fmt_ != fmt) {
    if (tex_) SDL_DestroyTexture(tex_);
    tex_ = SDL_CreateTexture(ren_, fmt, SDL_TEXTUREACCESS_STREAMING, pic->width, pic->height);
    if (!tex_) return false;
    tex_w_ = pic->width;
    tex_h_ = pic->height;
    tex_fmt_ = fmt;
  }
  if (fmt == SDL_PIXELFORMAT_IYUV) {
    // As ffplay: SDL converts YUV with the picture's matrix and range.
    if (picture_full_range(pic))
      yuv_mode_ = SDL_YUV_CONVERSION_JPEG;
    else
      yuv_mode_ =
          picture_colorspace(pic) == AVCOL_SPC_BT709 ? SDL_YUV_CONVERSION_BT709 : SDL_YUV_CONVERSION_BT601;
  }
  int r;
  if (fmt == SDL_PIXELFORMAT_IYUV)
    r = SDL_UpdateYUVTexture(tex_, nullptr, pic->data[0], pic->linesize[0], pic->data[1], pic->linesize[1],
                             pic->data[2], pic->linesize[2]);
  else
    r = SDL_UpdateTexture(tex_, nullptr, pic->data[0], pic->linesize[0]);
  has_picture_ = r == 0;
  return has_picture_;
}

void SdlVideo::present() {
  if (!ren_) return;
  SDL_SetRenderDrawColor(ren_, 0, 0, 0, 255);
  SDL_RenderClear(ren_);
  if (tex_ && has_picture_) {
    int ww = 0, wh = 0;
    SDL_GetRendererOutputSize(ren_, &ww, &wh);
    SDL_Rect dst{0, 0, ww, wh};
    if (tex_w_ > 0 && tex_h_ > 0 && ww > 0 && wh > 0) {
      // Letterboxed as shown (turned a quarter: width and height swap);
      // dst is the picture before SDL turns it about its centre.
      const bool quarter = rotation_ == 90 || rotation_ == 270;
      const double shown_w = quarter ? tex_h_ : tex_w_, shown_h = quarter ? tex_w_ : tex_h_;
      double s = std::min(ww / shown_w, wh / shown_h);
      dst.w = std::max(1, static_cast<int>(tex_w_ * s));
      dst.h = std::max(1, static_cast<int>(tex_h_ * s));
      dst.x = (ww - dst.w) / 2;
      dst.y = (wh - dst.h) / 2;
    }
    // SDL's YUV conversion mode is process-wide and read when the queued
    // copy runs: set, flushed and put back under one lock, so players on
    // other threads do not see each other's.
    std::unique_lock<std::mutex> yuv_lock;
    if (tex_fmt_ == SDL_PIXELFORMAT_IYUV) {
      yuv_lock = std::unique_lock<std::mutex>(yuv_mode_mutex());
      SDL_SetYUVConversionMode(static_cast<SDL_YUV_CONVERSION_MODE>(yuv_mode_));
    }
    if (rotation_ == 0)
      SDL_RenderCopy(ren_, tex_, nullptr, &dst);
    else
      SDL_RenderCopyEx(ren_, tex_, nullptr, &dst, rotation_, nullptr, SDL_FLIP_NONE);
    if (yuv_lock) {
      SDL_RenderFlush(ren_);
      SDL_SetYUVConversionMode(SDL_YUV_CONVERSION_AUTOMATIC);
    }
  }
  SDL_RenderPresent(ren_);
}

bool SdlVideo::pump() {
  SDL_Event ev;
  bool redraw = false;
  waiter_->drained(); // wake-ups from here on make the next wait return
  while (SDL_PollEvent(&ev)) {
    if (waiter_->is_wakeup_event(ev)) waiter_->consumed_wakeup_event();
    if (ev.type == SDL_QUIT) open_ = false;
    if (ev.type == SDL_WINDOWEVENT && win_ && ev.window.windowID == SDL_GetWindowID(win_)) {
      if (ev.window.event == SDL_WINDOWEVENT_CLOSE) open_ = false;
      if (ev.window.event == SDL_WINDOWEVENT_EXPOSED || ev.window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
        redraw = true;
    }
  }
  if (redraw && open_) present();
  return open_;
}

} // namespace sp
