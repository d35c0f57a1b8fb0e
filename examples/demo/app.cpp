// The demo player's set-up, library callbacks, playback commands, headless
// output and main loop; input.cpp handles keys, clicks and the script,
// draw.cpp draws.
#include "app.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "ui.h"

namespace demo {

namespace {
constexpr std::array<double, 7> kRates{0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0};
} // namespace

App::App(Options opt, std::vector<std::string> playlist)
    : opt_(std::move(opt)), items_(std::move(playlist)) {}

App::~App() {
  // Stop the library's threads before anything they call back into goes away.
  player_.reset();
}

int App::init() {
  const char *drv = SDL_GetCurrentVideoDriver();
  headless_ = opt_.headless || (drv && std::strcmp(drv, "dummy") == 0);
  SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");

  window_.reset(SDL_CreateWindow("smartplayer demo", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, 960, 540,
                                 SDL_WINDOW_RESIZABLE | SDL_WINDOW_HIDDEN));
  if (!window_) {
    std::fprintf(stderr, "smartplayer-demo: cannot create a window: %s\n", SDL_GetError());
    return 1;
  }
  SDL_SetWindowMinimumSize(window_.get(), 640, 360);
  renderer_.reset(SDL_CreateRenderer(window_.get(), -1, SDL_RENDERER_ACCELERATED));
  if (!renderer_) renderer_.reset(SDL_CreateRenderer(window_.get(), -1, SDL_RENDERER_SOFTWARE));
  if (!renderer_) {
    std::fprintf(stderr, "smartplayer-demo: cannot create a renderer: %s\n", SDL_GetError());
    return 1;
  }
  SDL_SetRenderDrawBlendMode(renderer_.get(), SDL_BLENDMODE_BLEND);

  std::string font = opt_.font.empty() ? SP_DEMO_FONT : opt_.font;
  font_.reset(TTF_OpenFont(font.c_str(), 15));
  font_small_.reset(TTF_OpenFont(font.c_str(), 12));
  if (!font_ || !font_small_) {
    std::fprintf(stderr,
                 "smartplayer-demo: cannot open font %s: %s (install fonts-dejavu-core or pass --font)\n",
                 font.c_str(), TTF_GetError());
    return 1;
  }
  text_ = std::make_unique<TextCache>(renderer_.get(), font_.get(), font_small_.get());

  ConfigPtr cfg(sp_config_create());
  if (!cfg) {
    std::fprintf(stderr, "smartplayer-demo: out of memory\n");
    return 1;
  }
  auto set = [&](const char *k, const std::string &v) {
    int rc = sp_config_set(cfg.get(), k, v.c_str());
    if (rc != SP_OK)
      std::fprintf(stderr, "smartplayer-demo: option %s=%s: %s\n", k, v.c_str(),
                   *sp_config_last_error(cfg.get()) ? sp_config_last_error(cfg.get()) : sp_strerror(rc));
    return rc == SP_OK;
  };
  bool ok = set("video_output", "callback") && set("audio_output", opt_.no_audio ? "none" : "sdl") &&
            set("db", opt_.db) && (opt_.policy.empty() || set("policy", opt_.policy));
  for (const auto &[k, v] : opt_.config)
    ok = ok && set(k.c_str(), v);
  if (!ok) return 2;
  waiter_ = std::make_unique<EventWaiter>();
  sp_player *p = nullptr;
  int rc = sp_player_create(cfg.get(), &p);
  if (rc == SP_ERR_AUDIO_DEVICE && !opt_.no_audio) {
    // No sound card (a server, a container): play on without sound.
    std::fprintf(stderr, "smartplayer-demo: no audio device (%s); playing without sound\n", sp_strerror(rc));
    if (set("audio_output", "none")) rc = sp_player_create(cfg.get(), &p);
  }
  if (rc != SP_OK) {
    std::fprintf(stderr, "smartplayer-demo: cannot create the player (db %s): %s: %s\n", opt_.db.c_str(),
                 sp_strerror(rc), sp_player_last_error(nullptr));
    return 1;
  }
  player_.reset(p);
  sp_set_event_callback(p, &App::on_event, this);
  rc = sp_set_video_callback(p, &App::on_frame, SP_PIXEL_RGBA32, this);
  if (rc != SP_OK) {
    std::fprintf(stderr, "smartplayer-demo: sp_set_video_callback: %s\n", sp_player_last_error(p));
    return 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------
// Library callbacks (library threads): copy and return.

void App::on_frame(const sp_video_frame *f, void *user) {
  auto *self = static_cast<App *>(user);
  if (!f || f->format != SP_PIXEL_RGBA32 || f->width <= 0 || f->height <= 0 || !f->data[0]) return;
  std::lock_guard lk(self->frame_.mu);
  auto &fr = self->frame_;
  const size_t row = static_cast<size_t>(f->width) * 4;
  fr.back.resize(row * static_cast<size_t>(f->height));
  for (int y = 0; y < f->height; ++y)
    std::memcpy(fr.back.data() + row * static_cast<size_t>(y),
                f->data[0] + static_cast<ptrdiff_t>(y) * f->linesize[0], row);
  fr.w = f->width;
  fr.h = f->height;
  fr.fresh = true;
  ++fr.received;
  self->waiter_->wakeup();
}

void App::on_event(const sp_event *ev, void *user) {
  auto *self = static_cast<App *>(user);
  if (!ev) return;
  PendingEvent pe;
  pe.type = ev->type;
  pe.code = ev->code;
  pe.value = ev->value;
  pe.position_ms = ev->position_ms;
  if (ev->type == SP_EVENT_ERROR || ev->type == SP_EVENT_END_OF_FILE || ev->type == SP_EVENT_MODEL_UPDATED)
    pe.message = ev->message ? ev->message : "";
  else if (ev->type != SP_EVENT_STATE_CHANGED && ev->type != SP_EVENT_CONTROL_SLEEP &&
           ev->type != SP_EVENT_CONTROL_WAKE)
    return; // progress, logged, seek-done: the main loop polls what it shows
  {
    std::lock_guard lk(self->ev_mu_);
    self->ev_queue_.push_back(std::move(pe));
  }
  self->waiter_->wakeup();
}

// ---------------------------------------------------------------------------
// Playback

void App::toast(const std::string &msg, bool error) {
  toast_text_ = msg;
  toast_error_ = error;
  toast_until_ms_ = SDL_GetTicks64() + (error ? 5000 : 2500);
  if (error || headless_)
    std::fprintf(error ? stderr : stdout, "[demo] %s%s\n", error ? "error: " : "", msg.c_str());
  std::fflush(stdout);
}

void App::check(int rc, const char *what) {
  if (rc == SP_OK) return;
  toast(std::string(what) + ": " + sp_player_last_error(player_.get()) + " (" + sp_strerror(rc) + ")", true);
}

bool App::open_item(size_t index) {
  if (index >= items_.size()) return false;
  const std::string &path = items_[index];
  const std::string title = file_name_of(path), id = stem_of(path);
  sp_media_meta meta{.struct_size = sizeof(sp_media_meta),
                     .video_id = id.c_str(),
                     .title = title.c_str(),
                     .genre = opt_.genre.c_str(),
                     .viewer_id = opt_.viewer.c_str()};
  {
    std::lock_guard lk(frame_.mu);
    frame_.fresh = false;
  }
  video_tex_.reset();
  tex_w_ = tex_h_ = 0;
  if (sessions_opened_ > 0) print_summary();
  int rc = sp_open(player_.get(), path.c_str(), &meta);
  if (rc != SP_OK) {
    toast("cannot open " + path + ": " + sp_player_last_error(player_.get()) + " (" + sp_strerror(rc) + ")",
          true);
    return false;
  }
  ++sessions_opened_;
  current_ = selected_ = index;
  ended_last_ = false;
  sp_media_info info{};
  info.struct_size = sizeof info;
  sp_get_media_info(player_.get(), &info);
  rotation_ = SP_HAS_FIELD(&info, sp_media_info, rotation) ? info.rotation : 0;
  std::string wt = "smartplayer demo \u2014 " + title;
  SDL_SetWindowTitle(window_.get(), wt.c_str());
  std::printf("[demo] opened %s (%dx%d, %s, %.1f s, %s) as video '%s', genre %s, viewer %s\n", path.c_str(),
              info.width, info.height, info.video_codec, static_cast<double>(info.duration_ms) / 1000.0,
              info.has_audio ? info.audio_codec : "no audio", id.c_str(), opt_.genre.c_str(),
              opt_.viewer.c_str());
  std::fflush(stdout);
  check(sp_play(player_.get()), "play");
  last_input_ms_ = SDL_GetTicks64();
  return true;
}

void App::go_to(size_t index) {
  if (index >= items_.size()) return;
  if (index == current_) {
    check(sp_seek(player_.get(), 0, SP_SEEK_ABSOLUTE), "seek");
    check(sp_play(player_.get()), "play");
    return;
  }
  check(sp_skip(player_.get(), index > current_ ? 1 : -1), "skip");
  open_item(index);
}

void App::next_item(int direction) {
  if (direction > 0 && current_ + 1 >= items_.size()) {
    toast("last item of the playlist", false);
    return;
  }
  if (direction < 0 && current_ == 0) {
    toast("first item of the playlist", false);
    return;
  }
  go_to(direction > 0 ? current_ + 1 : current_ - 1);
}

void App::seek_abs(int64_t ms) {
  check(sp_seek(player_.get(), std::max<int64_t>(0, ms), SP_SEEK_ABSOLUTE), "seek");
}
void App::seek_rel(int64_t ms) {
  check(sp_seek(player_.get(), ms, SP_SEEK_RELATIVE), "seek");
}

void App::change_rate(int steps) {
  double r = 1.0;
  sp_get_rate(player_.get(), &r);
  // The next step above (or below) the current rate, which may lie between steps.
  double target = steps > 0 ? kRates.back() : kRates.front();
  if (steps > 0) {
    for (double c : kRates)
      if (c > r + 1e-6) {
        target = c;
        break;
      }
  } else {
    for (double c : kRates)
      if (c < r - 1e-6) target = c;
  }
  if (std::abs(target - r) < 1e-6) {
    toast("speed " + rate_text(r) + (steps > 0 ? " (maximum)" : " (minimum)"), false);
    return;
  }
  check(sp_set_rate(player_.get(), target), "speed");
  toast("speed " + rate_text(target), false);
}

void App::change_volume(int delta) {
  int v = 100;
  sp_get_volume(player_.get(), &v);
  check(sp_set_volume(player_.get(), std::clamp(v + delta, 0, 100)), "volume");
}

void App::toggle_mute() {
  int m = 0;
  sp_get_mute(player_.get(), &m);
  check(sp_set_mute(player_.get(), !m), "mute");
}

void App::toggle_fullscreen() {
  fullscreen_ = !fullscreen_;
  SDL_SetWindowFullscreen(window_.get(), fullscreen_ ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
}

// ---------------------------------------------------------------------------
// Headless output

void App::print_progress() {
  const char *ctl = "awake";
  std::string asleep;
  if (snap_.control == SP_CONTROL_ASLEEP) {
    asleep = snap_.wakes_in >= 0 ? "asleep(wakes in " + std::to_string((snap_.wakes_in + 999) / 1000) + " s)"
                                 : std::string("asleep(until you act)");
    ctl = asleep.c_str();
  } else if (snap_.control == SP_CONTROL_WAKING) {
    ctl = "waking";
  }
  const sp_stats &s = snap_.stats;
  std::printf("[demo] %.1f/%.1f s %s %s | rate %g vol %d%s | wakes %lld proactive %lld on demand, misses "
              "%lld | policy %s\n",
              static_cast<double>(snap_.pos) / 1000.0, static_cast<double>(snap_.dur) / 1000.0,
              sp_state_name(snap_.state), ctl, snap_.rate, snap_.volume, snap_.mute ? " muted" : "",
              static_cast<long long>(s.wakes_proactive), static_cast<long long>(s.wakes_on_demand),
              static_cast<long long>(s.misses), s.policy[0] ? s.policy : "-");
  std::fflush(stdout);
}

void App::print_summary() {
  poll_player();
  const sp_stats &s = snap_.stats;
  double total = s.awake_s + s.asleep_s;
  std::printf("[demo] summary: session %lld of %s\n", static_cast<long long>(snap_.session),
              items_.empty() ? "-" : file_name_of(items_[current_]).c_str());
  std::printf("[demo]   control plane awake %.1f s, asleep %.1f s (awake %.0f %%)\n", s.awake_s, s.asleep_s,
              total > 0 ? 100.0 * s.awake_s / total : 100.0);
  std::printf(
      "[demo]   wakes %lld proactive, %lld on demand; misses %lld; wake latency p50 %.2f ms, p99 %.2f ms\n",
      static_cast<long long>(s.wakes_proactive), static_cast<long long>(s.wakes_on_demand),
      static_cast<long long>(s.misses), s.wake_latency_p50_ms, s.wake_latency_p99_ms);
  // The same in plain words: did the plane sleep through most of the session,
  // and how often did it wake on its own, ahead of a window it predicted.
  const double asleep_pct = total > 0 ? 100.0 * s.asleep_s / total : 0.0;
  const long long pro = s.wakes_proactive;
  const std::string woke = pro == 0 ? std::string("it never woke proactively")
                                    : "it woke " + std::to_string(pro) + (pro == 1 ? " time" : " times") +
                                          " proactively, ahead of a predicted window";
  const long long dem = s.wakes_on_demand;
  const std::string on_demand = dem == 0 ? std::string()
                                         : "; it woke on demand " + std::to_string(dem) +
                                               (dem == 1 ? " time" : " times") +
                                               ", when you acted or the file ended";
  std::printf("[demo]   => the control plane %s (asleep %.0f %%); %s%s\n",
              asleep_pct > 50.0 ? "slept through most of the session"
                                : "was awake at least half of the session",
              asleep_pct, woke.c_str(), on_demand.c_str());
  std::printf("[demo]   events submitted %lld, logged %lld, dropped %lld; control wakeups %lld\n",
              static_cast<long long>(s.events_submitted), static_cast<long long>(s.events_logged),
              static_cast<long long>(s.events_dropped), static_cast<long long>(s.control_wakeups));
  std::printf("[demo]   policy %s, model %s\n", s.policy[0] ? s.policy : "-",
              s.model_version[0] ? s.model_version : "none");
  int64_t received = 0;
  {
    std::lock_guard lk(frame_.mu);
    received = frame_.received;
  }
  std::printf(
      "[demo]   video frames received %lld, screens drawn %lld; pictures shown %lld, dropped late %lld\n",
      static_cast<long long>(received), static_cast<long long>(frames_drawn_),
      static_cast<long long>(s.frames_displayed), static_cast<long long>(s.frames_dropped));
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------
// Main loop

int App::run() {
  size_t first = 0;
  while (first < items_.size() && !open_item(first))
    ++first;
  if (first >= items_.size()) {
    std::fprintf(stderr, "smartplayer-demo: none of the %zu item(s) could be opened\n", items_.size());
    return 1;
  }
  // Size the window to the video (within 640x360 .. 1280x720), then show it.
  sp_media_info info{};
  info.struct_size = sizeof info;
  if (sp_get_media_info(player_.get(), &info) == SP_OK && info.width > 0 && info.height > 0) {
    // As shown: a picture turned a quarter swaps its width and height.
    const bool quarter = SP_HAS_FIELD(&info, sp_media_info, rotation) && info.rotation % 180 == 90;
    const double vw = quarter ? info.height : info.width, vh = quarter ? info.width : info.height;
    double s = std::min(1280.0 / vw, 720.0 / vh);
    s = std::min(s, 1.0);
    s = std::max({s, 640.0 / vw, 360.0 / vh});
    // A portrait picture: at most 720 high, letterboxed in a window wide
    // enough for the controls.
    SDL_SetWindowSize(window_.get(), std::min(1280, static_cast<int>(vw * s)),
                      std::min(720, static_cast<int>(vh * s)));
    SDL_SetWindowPosition(window_.get(), SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED);
  }
  SDL_ShowWindow(window_.get());
  // Several items: start with the list open to choose from (the first one plays meanwhile).
  playlist_open_ = items_.size() > 1;
  if (headless_)
    std::printf("[demo] headless: progress every second (SDL video driver %s)\n",
                SDL_GetCurrentVideoDriver());

  play_start_ms_ = SDL_GetTicks64();
  last_input_ms_ = play_start_ms_;
  last_progress_ms_ = play_start_ms_;
  // The loop sleeps until something happens: an SDL event (input, the
  // window), a wake-up from the library's callbacks (a new picture, an
  // event), or the next deadline its own work needs: a scripted command,
  // --quit-after, a headless progress line while playing, a redraw that was
  // held back to keep at most one draw per frame_interval, and a change on
  // screen that no event announces (a toast ending, the controls hiding).
  // Paused or idle with nothing scheduled, it does not wake at all.
  const uint64_t frame_interval = headless_ ? 200 : 15;
  auto at_s = [&](double s) {
    return play_start_ms_ + static_cast<uint64_t>(std::llround(std::max(0.0, s) * 1000.0));
  };
  bool dirty = true; // something may have changed since the last draw
  while (!quit_) {
    uint64_t due = next_change_ms();
    if (script_next_ < opt_.script.size()) due = std::min(due, at_s(opt_.script[script_next_].at_s));
    if (opt_.quit_after_s) due = std::min(due, at_s(*opt_.quit_after_s));
    if (headless_ && snap_.state == SP_STATE_PLAYING) due = std::min(due, last_progress_ms_ + 1000);
    if (dirty) due = std::min(due, last_draw_ms_ + frame_interval);
    SDL_Event e;
    if (waiter_->wait(e, due)) {
      if (!waiter_->is_wakeup(e)) handle_sdl_event(e);
      while (SDL_PollEvent(&e))
        if (!waiter_->is_wakeup(e)) handle_sdl_event(e);
    }
    dirty = true;
    drain_library_events();
    uint64_t now = SDL_GetTicks64();
    double t = static_cast<double>(now - play_start_ms_) / 1000.0;
    run_script(t);
    poll_player();
    if (opt_.quit_after_s && t >= *opt_.quit_after_s) quit_ = true;
    // Headless, nobody can press q: leave once the last item ended and the script is done.
    if (headless_ && ended_last_ && !opt_.quit_after_s && script_next_ >= opt_.script.size()) quit_ = true;
    if (quit_) break;
    if (headless_ && now - last_progress_ms_ >= 1000) {
      last_progress_ms_ += 1000 * ((now - last_progress_ms_) / 1000);
      print_progress();
    }
    if (now - last_draw_ms_ >= frame_interval) {
      draw();
      SDL_RenderPresent(renderer_.get());
      last_draw_ms_ = now;
      dirty = false;
    }
  }
  if (headless_) print_progress();
  if (!opt_.screenshot_at_exit.empty() && !save_screenshot(opt_.screenshot_at_exit)) ++script_failures_;
  print_summary();
  if (script_failures_ > 0) {
    std::fprintf(stderr,
                 "smartplayer-demo: %d scripted command(s) or the exit screenshot failed (see above)\n",
                 script_failures_);
    return 3;
  }
  return 0;
}

} // namespace demo
