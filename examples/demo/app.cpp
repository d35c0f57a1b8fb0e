#include "app.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <utility>

#include "png.h"

namespace demo {

namespace {

constexpr std::array<double, 7> kRates{0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0};
constexpr uint64_t kHideAfterMs = 3000;
constexpr int kBarH = 76;        // bottom control panel height
constexpr int kRowH = 26;        // playlist row height
constexpr SDL_Color kWhite{235, 235, 235, 255};
constexpr SDL_Color kGrey{170, 170, 170, 255};
constexpr SDL_Color kAccent{61, 165, 244, 255};   // played part of the seek bar, active buttons
constexpr SDL_Color kAwake{80, 200, 120, 255};
constexpr SDL_Color kAsleep{110, 140, 255, 255};
constexpr SDL_Color kWaking{240, 200, 60, 255};
constexpr SDL_Color kWindow{255, 160, 40, 255};   // predicted awake windows

void set_color(SDL_Renderer *r, SDL_Color c, Uint8 a = 255) { SDL_SetRenderDrawColor(r, c.r, c.g, c.b, a); }

void fill(SDL_Renderer *r, SDL_Rect rc, SDL_Color c, Uint8 a = 255) {
  set_color(r, c, a);
  SDL_RenderFillRect(r, &rc);
}

void triangle(SDL_Renderer *r, SDL_FPoint a, SDL_FPoint b, SDL_FPoint c, SDL_Color col) {
  std::array<SDL_Vertex, 3> v{};
  const SDL_FPoint pts[3] = {a, b, c};
  for (int i = 0; i < 3; ++i) {
    v[static_cast<size_t>(i)].position = pts[i];
    v[static_cast<size_t>(i)].color = col;
  }
  SDL_RenderGeometry(r, nullptr, v.data(), 3, nullptr, 0);
}

void disc(SDL_Renderer *r, int cx, int cy, int radius, SDL_Color c) {
  set_color(r, c);
  for (int dy = -radius; dy <= radius; ++dy) {
    int dx = static_cast<int>(std::sqrt(static_cast<double>(radius * radius - dy * dy)));
    SDL_RenderDrawLine(r, cx - dx, cy + dy, cx + dx, cy + dy);
  }
}

bool inside(const SDL_Rect &rc, int x, int y) { return x >= rc.x && x < rc.x + rc.w && y >= rc.y && y < rc.y + rc.h; }

std::string fmt(const char *f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string rate_text(double r) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%g\u00d7", r);
  return buf;
}

} // namespace

struct App::Layout {
  int w = 0, h = 0;
  SDL_Rect bar{};      // the whole bottom panel
  SDL_Rect seek{};     // the drawn seek track
  SDL_Rect seek_hit{}; // where clicks land on it
  SDL_Rect prev{}, back{}, play{}, fwd{}, next{};
  SDL_Point time_at{};
  SDL_Rect slower{}, faster{}, mute{}, volume{};
  SDL_Point rate_at{};
  SDL_Rect list{};     // playlist panel
};

App::App(Options opt, std::vector<std::string> playlist) : opt_(std::move(opt)), items_(std::move(playlist)) {}

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
    std::fprintf(stderr, "smartplayer-demo: cannot open font %s: %s (install fonts-dejavu-core or pass --font)\n",
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
      std::fprintf(stderr, "smartplayer-demo: option %s=%s: %s\n", k, v.c_str(), sp_strerror(rc));
    return rc == SP_OK;
  };
  bool ok = set("video_output", "callback") && set("audio_output", opt_.no_audio ? "none" : "sdl") &&
            set("db", opt_.db) && (opt_.policy.empty() || set("policy", opt_.policy));
  for (const auto &[k, v] : opt_.config) ok = ok && set(k.c_str(), v);
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
    std::memcpy(fr.back.data() + row * static_cast<size_t>(y), f->data[0] + static_cast<ptrdiff_t>(y) * f->linesize[0], row);
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
  else if (ev->type != SP_EVENT_STATE_CHANGED && ev->type != SP_EVENT_CONTROL_SLEEP && ev->type != SP_EVENT_CONTROL_WAKE)
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
  if (error || headless_) std::fprintf(error ? stderr : stdout, "[demo] %s%s\n", error ? "error: " : "", msg.c_str());
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
    toast("cannot open " + path + ": " + sp_player_last_error(player_.get()) + " (" + sp_strerror(rc) + ")", true);
    return false;
  }
  ++sessions_opened_;
  current_ = selected_ = index;
  ended_last_ = false;
  sp_media_info info{};
  info.struct_size = sizeof info;
  sp_get_media_info(player_.get(), &info);
  std::string wt = "smartplayer demo \u2014 " + title;
  SDL_SetWindowTitle(window_.get(), wt.c_str());
  std::printf("[demo] opened %s (%dx%d, %s, %.1f s, %s) as video '%s', genre %s, viewer %s\n", path.c_str(),
              info.width, info.height, info.video_codec, static_cast<double>(info.duration_ms) / 1000.0,
              info.has_audio ? info.audio_codec : "no audio", id.c_str(), opt_.genre.c_str(), opt_.viewer.c_str());
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

void App::seek_abs(int64_t ms) { check(sp_seek(player_.get(), std::max<int64_t>(0, ms), SP_SEEK_ABSOLUTE), "seek"); }
void App::seek_rel(int64_t ms) { check(sp_seek(player_.get(), ms, SP_SEEK_RELATIVE), "seek"); }

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
// Input

void App::handle_key(SDL_Keycode key) {
  last_input_ms_ = SDL_GetTicks64();
  if (playlist_open_) {
    switch (key) {
    case SDLK_UP:
      if (selected_ > 0) --selected_;
      return;
    case SDLK_DOWN:
      if (selected_ + 1 < items_.size()) ++selected_;
      return;
    case SDLK_RETURN:
    case SDLK_KP_ENTER:
      playlist_open_ = false;
      go_to(selected_);
      return;
    case SDLK_ESCAPE:
      playlist_open_ = false;
      return;
    default:
      break;
    }
  }
  switch (key) {
  case SDLK_SPACE: check(sp_toggle_pause(player_.get()), "pause"); break;
  case SDLK_LEFT:
  case SDLK_j: seek_rel(-10000); break;
  case SDLK_RIGHT:
  case SDLK_l: seek_rel(10000); break;
  case SDLK_UP: change_volume(5); break;
  case SDLK_DOWN: change_volume(-5); break;
  case SDLK_m: toggle_mute(); break;
  case SDLK_f: toggle_fullscreen(); break;
  case SDLK_LEFTBRACKET: change_rate(-1); break;
  case SDLK_RIGHTBRACKET: change_rate(1); break;
  case SDLK_n: next_item(1); break;
  case SDLK_p:
  case SDLK_b: next_item(-1); break;
  case SDLK_TAB:
    playlist_open_ = !playlist_open_;
    selected_ = current_;
    break;
  case SDLK_w:
    show_windows_ = !show_windows_;
    toast(show_windows_ ? "predicted awake windows shown on the seek bar" : "predicted windows hidden", false);
    break;
  case SDLK_i: show_stats_ = !show_stats_; break;
  case SDLK_q:
  case SDLK_ESCAPE: quit_ = true; break;
  default: break;
  }
}

void App::handle_click(int x, int y) {
  const Layout l = layout();
  if (playlist_open_ && inside(l.list, x, y)) {
    int row = (y - l.list.y - 34) / kRowH;
    if (row >= 0) {
      size_t idx = list_scroll_ + static_cast<size_t>(row);
      if (idx < items_.size()) {
        selected_ = idx;
        playlist_open_ = false;
        go_to(idx);
      }
    }
    return;
  }
  if (controls_visible() && inside(l.bar, x, y)) {
    if (inside(l.seek_hit, x, y) && snap_.dur > 0) {
      seek_drag_ = true;
      double f = std::clamp(static_cast<double>(x - l.seek.x) / l.seek.w, 0.0, 1.0);
      drag_pos_ms_ = static_cast<int64_t>(f * static_cast<double>(snap_.dur));
    } else if (inside(l.volume, x, y)) {
      vol_drag_ = true;
      drag_volume_ = std::clamp((x - l.volume.x) * 100 / std::max(1, l.volume.w), 0, 100);
    } else if (inside(l.play, x, y)) {
      check(sp_toggle_pause(player_.get()), "pause");
    } else if (inside(l.back, x, y)) {
      seek_rel(-10000);
    } else if (inside(l.fwd, x, y)) {
      seek_rel(10000);
    } else if (inside(l.prev, x, y)) {
      next_item(-1);
    } else if (inside(l.next, x, y)) {
      next_item(1);
    } else if (inside(l.slower, x, y)) {
      change_rate(-1);
    } else if (inside(l.faster, x, y)) {
      change_rate(1);
    } else if (inside(l.mute, x, y)) {
      toggle_mute();
    }
    return;
  }
  // A click on the picture toggles pause.
  check(sp_toggle_pause(player_.get()), "pause");
}

void App::handle_sdl_event(const SDL_Event &e) {
  switch (e.type) {
  case SDL_QUIT: quit_ = true; break;
  case SDL_KEYDOWN: handle_key(e.key.keysym.sym); break;
  case SDL_MOUSEMOTION: {
    mouse_x_ = e.motion.x;
    mouse_y_ = e.motion.y;
    last_input_ms_ = SDL_GetTicks64();
    const Layout l = layout();
    if (seek_drag_) {
      double f = std::clamp(static_cast<double>(e.motion.x - l.seek.x) / l.seek.w, 0.0, 1.0);
      drag_pos_ms_ = static_cast<int64_t>(f * static_cast<double>(snap_.dur));
    }
    if (vol_drag_) drag_volume_ = std::clamp((e.motion.x - l.volume.x) * 100 / std::max(1, l.volume.w), 0, 100);
    break;
  }
  case SDL_MOUSEBUTTONDOWN:
    if (e.button.button == SDL_BUTTON_LEFT) {
      bool was_hidden = !controls_visible();
      last_input_ms_ = SDL_GetTicks64();
      const Layout l = layout();
      // The first click on hidden controls only shows them.
      if (!(was_hidden && inside(l.bar, e.button.x, e.button.y))) handle_click(e.button.x, e.button.y);
    }
    break;
  case SDL_MOUSEBUTTONUP:
    if (e.button.button == SDL_BUTTON_LEFT) {
      // One logged interaction per gesture: seek / set volume on release.
      if (seek_drag_) seek_abs(drag_pos_ms_);
      if (vol_drag_) check(sp_set_volume(player_.get(), drag_volume_), "volume");
      seek_drag_ = vol_drag_ = false;
    }
    break;
  case SDL_MOUSEWHEEL: {
    last_input_ms_ = SDL_GetTicks64();
    const Layout l = layout();
    if (playlist_open_ && inside(l.list, mouse_x_, mouse_y_)) {
      if (e.wheel.y > 0 && list_scroll_ > 0) --list_scroll_;
      if (e.wheel.y < 0 && list_scroll_ + 1 < items_.size()) ++list_scroll_;
    } else if (e.wheel.y != 0) {
      change_volume(e.wheel.y > 0 ? 5 : -5);
    }
    break;
  }
  default: break;
  }
}

void App::drain_library_events() {
  std::vector<PendingEvent> evs;
  {
    std::lock_guard lk(ev_mu_);
    evs.swap(ev_queue_);
  }
  for (const auto &ev : evs) {
    switch (ev.type) {
    case SP_EVENT_ERROR: toast(ev.message.empty() ? sp_strerror(ev.code) : ev.message, true); break;
    case SP_EVENT_END_OF_FILE: {
      // Ignore a stale end of the previous item (the viewer switched meanwhile).
      int st = SP_STATE_IDLE;
      if (sp_get_state(player_.get(), &st) != SP_OK || st != SP_STATE_ENDED) break;
      if (current_ + 1 < items_.size()) {
        if (headless_) std::printf("[demo] end of %s, next item\n", file_name_of(items_[current_]).c_str());
        open_item(current_ + 1);
      } else {
        ended_last_ = true;
        std::printf("[demo] end of %s (last item)\n", file_name_of(items_[current_]).c_str());
        std::fflush(stdout);
      }
      break;
    }
    case SP_EVENT_MODEL_UPDATED: toast("predictor model updated " + ev.message, false); break;
    case SP_EVENT_CONTROL_SLEEP:
      if (headless_) {
        if (ev.value >= 0)
          std::printf("[demo] control plane asleep at %.1f s, wake planned in %.1f s\n",
                      static_cast<double>(ev.position_ms) / 1000.0, static_cast<double>(ev.value) / 1000.0);
        else
          std::printf("[demo] control plane asleep at %.1f s until the viewer acts\n",
                      static_cast<double>(ev.position_ms) / 1000.0);
        std::fflush(stdout);
      }
      break;
    case SP_EVENT_CONTROL_WAKE:
      if (headless_) {
        std::printf("[demo] control plane awake at %.1f s (%s)\n", static_cast<double>(ev.position_ms) / 1000.0,
                    ev.value == SP_WAKE_PROACTIVE ? "proactive"
                    : ev.value == SP_WAKE_ON_DEMAND ? "on demand"
                                                    : "shutdown");
        std::fflush(stdout);
      }
      break;
    default: break;
    }
  }
}

bool App::run_command(const ScriptCommand &c) {
  sp_player *p = player_.get();
  if (headless_) std::printf("[demo] script %.1f s: %s%s%s\n", c.at_s, c.cmd.c_str(), c.arg.empty() ? "" : " ", c.arg.c_str());
  int rc = SP_OK;
  if (c.cmd == "pause") rc = sp_pause(p);
  else if (c.cmd == "play") rc = sp_play(p);
  else if (c.cmd == "toggle") rc = sp_toggle_pause(p);
  else if (c.cmd == "step") rc = sp_step(p);
  else if (c.cmd == "seek") {
    double s = std::stod(c.arg[0] == '+' ? c.arg.substr(1) : c.arg);
    bool rel = c.arg[0] == '+' || c.arg[0] == '-';
    rc = sp_seek(p, static_cast<int64_t>(std::llround(s * 1000.0)), rel ? SP_SEEK_RELATIVE : SP_SEEK_ABSOLUTE);
  } else if (c.cmd == "rate") rc = sp_set_rate(p, std::stod(c.arg));
  else if (c.cmd == "volume") rc = sp_set_volume(p, static_cast<int>(std::lround(std::stod(c.arg))));
  else if (c.cmd == "mute") {
    int m = 0;
    sp_get_mute(p, &m);
    rc = sp_set_mute(p, c.arg.empty() ? !m : c.arg == "1");
  } else if (c.cmd == "unmute") rc = sp_set_mute(p, 0);
  else if (c.cmd == "next") next_item(1);
  else if (c.cmd == "prev") next_item(-1);
  else if (c.cmd == "quit") quit_ = true;
  else if (c.cmd == "key") {
    SDL_Keycode k = SDL_GetKeyFromName(c.arg.c_str());
    if (k == SDLK_UNKNOWN) {
      std::fprintf(stderr, "[demo] script: unknown key '%s'\n", c.arg.c_str());
      return false;
    }
    handle_key(k);
  } else if (c.cmd == "click") {
    click_at(c.arg);
  } else if (c.cmd == "screenshot") {
    return save_screenshot(c.arg);
  }
  if (rc != SP_OK) {
    std::fprintf(stderr, "[demo] script: %s %s failed: %s (%s)\n", c.cmd.c_str(), c.arg.c_str(),
                 sp_player_last_error(p), sp_strerror(rc));
    return false;
  }
  return true;
}

void App::click_at(const std::string &target) {
  // Through SDL's event queue, exactly like a real pointer: move there, press, release.
  const Layout l = layout();
  std::istringstream in(target);
  std::string a, b;
  in >> a >> b;
  auto centre = [](const SDL_Rect &rc) { return SDL_Point{rc.x + rc.w / 2, rc.y + rc.h / 2}; };
  auto along = [&](const SDL_Rect &rc) {
    double f = std::clamp(std::strtod(b.c_str(), nullptr), 0.0, 1.0);
    return SDL_Point{rc.x + std::min(rc.w - 1, static_cast<int>(f * rc.w)), rc.y + rc.h / 2};
  };
  SDL_Point pt{};
  if (a == "play") pt = centre(l.play);
  else if (a == "back") pt = centre(l.back);
  else if (a == "fwd") pt = centre(l.fwd);
  else if (a == "prev") pt = centre(l.prev);
  else if (a == "next") pt = centre(l.next);
  else if (a == "slower") pt = centre(l.slower);
  else if (a == "faster") pt = centre(l.faster);
  else if (a == "mute") pt = centre(l.mute);
  else if (a == "video") pt = {l.w / 2, (l.h - kBarH) / 2};
  else if (a == "seek") pt = along(l.seek);
  else if (a == "volume") pt = along(l.volume);
  else pt = {static_cast<int>(std::strtod(a.c_str(), nullptr)), static_cast<int>(std::strtod(b.c_str(), nullptr))};
  const Uint32 win = SDL_GetWindowID(window_.get());
  SDL_Event e{};
  e.motion.type = SDL_MOUSEMOTION;
  e.motion.windowID = win;
  e.motion.x = pt.x;
  e.motion.y = pt.y;
  SDL_PushEvent(&e);
  for (Uint32 type : {static_cast<Uint32>(SDL_MOUSEBUTTONDOWN), static_cast<Uint32>(SDL_MOUSEBUTTONUP)}) {
    SDL_Event b_ev{};
    b_ev.button.type = type;
    b_ev.button.windowID = win;
    b_ev.button.button = SDL_BUTTON_LEFT;
    b_ev.button.state = type == SDL_MOUSEBUTTONDOWN ? SDL_PRESSED : SDL_RELEASED;
    b_ev.button.clicks = 1;
    b_ev.button.x = pt.x;
    b_ev.button.y = pt.y;
    SDL_PushEvent(&b_ev);
  }
}

void App::run_script(double t_s) {
  while (script_next_ < opt_.script.size() && opt_.script[script_next_].at_s <= t_s && !quit_) {
    if (!run_command(opt_.script[script_next_])) ++script_failures_;
    ++script_next_;
  }
}

// ---------------------------------------------------------------------------
// Drawing

App::Layout App::layout() const {
  Layout l;
  SDL_GetRendererOutputSize(renderer_.get(), &l.w, &l.h);
  l.bar = {0, l.h - kBarH, l.w, kBarH};
  l.seek = {14, l.h - kBarH + 16, l.w - 28, 6};
  l.seek_hit = {6, l.seek.y - 10, l.w - 12, 26};
  int y = l.h - 44, x = 12;
  l.prev = {x, y, 34, 34};
  x += 38;
  l.back = {x, y, 44, 34};
  x += 48;
  l.play = {x, y, 40, 34};
  x += 44;
  l.fwd = {x, y, 44, 34};
  x += 48;
  l.next = {x, y, 34, 34};
  x += 46;
  l.time_at = {x, y + 8};
  int rx = l.w - 12;
  l.volume = {rx - 110, y + 8, 110, 18};
  rx -= 110 + 8;
  l.mute = {rx - 34, y, 34, 34};
  rx -= 34 + 14;
  l.faster = {rx - 28, y + 3, 28, 28};
  rx -= 28;
  l.rate_at = {rx - 30, y + 8};
  rx -= 60;
  l.slower = {rx - 28, y + 3, 28, 28};
  l.list = {0, 0, std::min(380, l.w / 2), l.h - kBarH};
  return l;
}

uint64_t App::next_change_ms() const {
  const uint64_t now = SDL_GetTicks64();
  uint64_t due = EventWaiter::kNever;
  if (!toast_text_.empty() && now <= toast_until_ms_) due = std::min(due, toast_until_ms_ + 1);
  // Playing, the controls hide kHideAfterMs after the last input (see controls_visible).
  if (snap_.state == SP_STATE_PLAYING && now - last_input_ms_ < kHideAfterMs)
    due = std::min(due, last_input_ms_ + kHideAfterMs);
  return due;
}

bool App::controls_visible() const {
  if (snap_.state == SP_STATE_PAUSED || snap_.state == SP_STATE_ENDED || snap_.state == SP_STATE_IDLE) return true;
  // With 'w' the viewer asked to watch the seek bar's predicted windows: keep it up.
  if (seek_drag_ || vol_drag_ || playlist_open_ || show_windows_) return true;
  return SDL_GetTicks64() - last_input_ms_ < kHideAfterMs;
}

void App::poll_player() {
  sp_player *p = player_.get();
  Snapshot s;
  sp_get_state(p, &s.state);
  sp_get_position_ms(p, &s.pos);
  sp_get_duration_ms(p, &s.dur);
  sp_get_buffered_ms(p, &s.buffered);
  sp_get_rate(p, &s.rate);
  sp_get_volume(p, &s.volume);
  sp_get_mute(p, &s.mute);
  sp_get_control_state(p, &s.control, &s.wakes_in);
  s.stats.struct_size = sizeof(sp_stats);
  sp_get_stats(p, &s.stats);
  sp_get_session_id(p, &s.session);
  std::array<sp_window, 32> w{};
  int n = 0;
  if (sp_get_predicted_windows(p, w.data(), static_cast<int>(w.size()), &n) == SP_OK && n > 0)
    s.windows.assign(w.begin(), w.begin() + std::min<int>(n, static_cast<int>(w.size())));
  snap_ = std::move(s);
}

void App::upload_frame() {
  int w = 0, h = 0;
  {
    std::lock_guard lk(frame_.mu);
    if (!frame_.fresh) return;
    front_.swap(frame_.back);
    w = frame_.w;
    h = frame_.h;
    frame_.fresh = false;
  }
  if (!video_tex_ || w != tex_w_ || h != tex_h_) {
    video_tex_.reset(SDL_CreateTexture(renderer_.get(), SDL_PIXELFORMAT_RGBA32, SDL_TEXTUREACCESS_STREAMING, w, h));
    tex_w_ = w;
    tex_h_ = h;
    if (!video_tex_) {
      toast(std::string("cannot create the video texture: ") + SDL_GetError(), true);
      return;
    }
  }
  SDL_UpdateTexture(video_tex_.get(), nullptr, front_.data(), w * 4);
}

void App::draw_video(int w, int h) {
  if (!video_tex_ || tex_w_ <= 0 || tex_h_ <= 0) return;
  double s = std::min(static_cast<double>(w) / tex_w_, static_cast<double>(h) / tex_h_);
  int dw = static_cast<int>(tex_w_ * s), dh = static_cast<int>(tex_h_ * s);
  SDL_Rect dst{(w - dw) / 2, (h - dh) / 2, dw, dh};
  SDL_RenderCopy(renderer_.get(), video_tex_.get(), nullptr, &dst);
}

void App::draw_controls(const Layout &l) {
  SDL_Renderer *r = renderer_.get();
  fill(r, l.bar, {0, 0, 0, 255}, 175);
  const int64_t dur = snap_.dur;
  const int64_t pos = seek_drag_ ? drag_pos_ms_ : snap_.pos;
  auto x_of = [&](int64_t ms) {
    if (dur <= 0) return l.seek.x;
    double f = std::clamp(static_cast<double>(ms) / static_cast<double>(dur), 0.0, 1.0);
    return l.seek.x + static_cast<int>(f * l.seek.w);
  };
  // Seek track: background, buffered ahead, predicted windows, played, knob.
  fill(r, l.seek, {90, 90, 90, 255});
  if (snap_.buffered > 0) {
    int x0 = x_of(snap_.pos), x1 = x_of(snap_.pos + snap_.buffered);
    fill(r, {x0, l.seek.y, std::max(1, x1 - x0), l.seek.h}, {165, 165, 165, 255});
  }
  if (show_windows_) {
    for (const auto &win : snap_.windows) {
      int x0 = x_of(win.start_ms), x1 = x_of(win.end_ms);
      fill(r, {x0, l.seek.y - 8, std::max(2, x1 - x0), 5}, kWindow);
      fill(r, {x0, l.seek.y, std::max(2, x1 - x0), l.seek.h}, kWindow, 110);
    }
    std::string label = "predicted awake windows: " + std::to_string(snap_.windows.size());
    SDL_Point sz = text_->measure(label, true);
    fill(r, {l.w - 20 - sz.x, l.bar.y - sz.y - 6, sz.x + 12, sz.y + 6}, {0, 0, 0, 255}, 175);
    text_->draw(label, l.w - 14, l.bar.y - sz.y - 3, kWindow, true, 2);
  }
  fill(r, {l.seek.x, l.seek.y, x_of(pos) - l.seek.x, l.seek.h}, kAccent);
  disc(r, x_of(pos), l.seek.y + l.seek.h / 2, seek_drag_ ? 8 : 6, kWhite);
  if (inside(l.seek_hit, mouse_x_, mouse_y_) && dur > 0 && !seek_drag_) {
    double f = std::clamp(static_cast<double>(mouse_x_ - l.seek.x) / l.seek.w, 0.0, 1.0);
    text_->draw(format_time(static_cast<int64_t>(f * static_cast<double>(dur))), mouse_x_, l.seek.y - 24, kWhite, true, 1);
  }

  // Buttons.
  auto hover = [&](const SDL_Rect &rc) {
    if (inside(rc, mouse_x_, mouse_y_)) fill(r, rc, {255, 255, 255, 255}, 40);
  };
  for (const SDL_Rect *rc : {&l.prev, &l.back, &l.play, &l.fwd, &l.next, &l.slower, &l.faster, &l.mute}) hover(*rc);
  auto cx = [](const SDL_Rect &rc) { return static_cast<float>(rc.x) + static_cast<float>(rc.w) / 2.0f; };
  auto cy = [](const SDL_Rect &rc) { return static_cast<float>(rc.y) + static_cast<float>(rc.h) / 2.0f; };
  // play / pause
  if (snap_.state == SP_STATE_PLAYING) {
    fill(r, {static_cast<int>(cx(l.play)) - 8, static_cast<int>(cy(l.play)) - 9, 6, 18}, kWhite);
    fill(r, {static_cast<int>(cx(l.play)) + 2, static_cast<int>(cy(l.play)) - 9, 6, 18}, kWhite);
  } else {
    triangle(r, {cx(l.play) - 7, cy(l.play) - 10}, {cx(l.play) - 7, cy(l.play) + 10}, {cx(l.play) + 10, cy(l.play)}, kWhite);
  }
  // previous / next: triangle and bar
  triangle(r, {cx(l.prev) + 6, cy(l.prev) - 8}, {cx(l.prev) + 6, cy(l.prev) + 8}, {cx(l.prev) - 5, cy(l.prev)}, kWhite);
  fill(r, {static_cast<int>(cx(l.prev)) - 8, static_cast<int>(cy(l.prev)) - 8, 3, 16}, kWhite);
  triangle(r, {cx(l.next) - 6, cy(l.next) - 8}, {cx(l.next) - 6, cy(l.next) + 8}, {cx(l.next) + 5, cy(l.next)}, kWhite);
  fill(r, {static_cast<int>(cx(l.next)) + 5, static_cast<int>(cy(l.next)) - 8, 3, 16}, kWhite);
  // -10 s / +10 s
  text_->draw("\u00ab10", static_cast<int>(cx(l.back)), l.back.y + 7, kWhite, false, 1);
  text_->draw("10\u00bb", static_cast<int>(cx(l.fwd)), l.fwd.y + 7, kWhite, false, 1);
  // time
  std::string t = format_time(pos) + " / " + format_time(dur);
  text_->draw(t, l.time_at.x, l.time_at.y, kWhite);
  // speed
  text_->draw("\u2212", static_cast<int>(cx(l.slower)), l.slower.y + 4, kWhite, false, 1);
  text_->draw("+", static_cast<int>(cx(l.faster)), l.faster.y + 4, kWhite, false, 1);
  text_->draw(rate_text(snap_.rate), l.rate_at.x, l.rate_at.y, std::abs(snap_.rate - 1.0) > 1e-6 ? kAccent : kWhite,
              false, 1);
  // mute: a speaker, crossed out when muted
  {
    float x = cx(l.mute), y = cy(l.mute);
    fill(r, {static_cast<int>(x) - 9, static_cast<int>(y) - 4, 5, 8}, kWhite);
    triangle(r, {x - 5, y - 4}, {x + 2, y - 10}, {x + 2, y + 10}, kWhite);
    triangle(r, {x - 5, y - 4}, {x + 2, y + 10}, {x - 5, y + 4}, kWhite);
    if (snap_.mute) {
      SDL_SetRenderDrawColor(r, 230, 70, 70, 255);
      for (int d = 0; d < 2; ++d) {
        SDL_RenderDrawLine(r, static_cast<int>(x) + 5, static_cast<int>(y) - 5 + d, static_cast<int>(x) + 13, static_cast<int>(y) + 3 + d);
        SDL_RenderDrawLine(r, static_cast<int>(x) + 5, static_cast<int>(y) + 3 + d, static_cast<int>(x) + 13, static_cast<int>(y) - 5 + d);
      }
    } else {
      set_color(r, kWhite);
      SDL_RenderDrawLine(r, static_cast<int>(x) + 6, static_cast<int>(y) - 4, static_cast<int>(x) + 6, static_cast<int>(y) + 4);
      SDL_RenderDrawLine(r, static_cast<int>(x) + 10, static_cast<int>(y) - 7, static_cast<int>(x) + 10, static_cast<int>(y) + 7);
    }
  }
  // volume slider
  int vol = vol_drag_ ? drag_volume_ : snap_.volume;
  SDL_Rect track{l.volume.x, l.volume.y + l.volume.h / 2 - 2, l.volume.w, 4};
  fill(r, track, {90, 90, 90, 255});
  fill(r, {track.x, track.y, track.w * vol / 100, track.h}, snap_.mute ? SDL_Color{130, 130, 130, 255} : kAccent);
  disc(r, track.x + track.w * vol / 100, track.y + 2, 6, kWhite);
  text_->draw(std::to_string(vol), l.volume.x + l.volume.w / 2, l.volume.y + l.volume.h + 1, kGrey, true, 1);

  // Title of the current item, top-left.
  if (!playlist_open_ && !items_.empty()) {
    std::string title = file_name_of(items_[current_]);
    if (items_.size() > 1) title += "  (" + std::to_string(current_ + 1) + "/" + std::to_string(items_.size()) + ")";
    SDL_Point sz = text_->measure(title);
    fill(r, {8, 8, sz.x + 16, sz.y + 8}, {0, 0, 0, 255}, 150);
    text_->draw(title, 16, 12, kWhite);
  }
}

void App::draw_status(const Layout &l) {
  SDL_Renderer *r = renderer_.get();
  std::string line;
  SDL_Color dot = kAwake;
  switch (snap_.control) {
  case SP_CONTROL_ASLEEP:
    dot = kAsleep;
    if (snap_.wakes_in >= 0)
      line = "asleep \u2014 wakes in " + std::to_string((snap_.wakes_in + 999) / 1000) + " s";
    else
      line = "asleep \u2014 until you act";
    break;
  case SP_CONTROL_WAKING:
    dot = kWaking;
    line = "waking";
    break;
  default: line = "awake"; break;
  }
  std::vector<std::string> lines;
  const sp_stats &s = snap_.stats;
  if (show_stats_) {
    double total = s.awake_s + s.asleep_s;
    lines.push_back(total > 0 ? fmt("awake %.0f %% of this session", 100.0 * s.awake_s / total) + fmt(" (%.1f s", s.awake_s) +
                                    fmt(" of %.1f s)", total)
                              : std::string("awake \u2014 % of this session"));
    lines.push_back("wakes " + std::to_string(s.wakes_proactive) + " proactive \u00b7 " +
                    std::to_string(s.wakes_on_demand) + " on demand");
    // Wake latency is measured on on-demand wakes (call arrival to gate open).
    lines.push_back("misses " + std::to_string(s.misses) + " \u00b7 wake latency " +
                    (s.wakes_on_demand > 0 ? fmt("p50 %.2f ms", s.wake_latency_p50_ms) + fmt(", p99 %.2f ms", s.wake_latency_p99_ms)
                                           : std::string("\u2014 (no on-demand wake yet)")));
    lines.push_back(std::string("policy ") + (s.policy[0] ? s.policy : "\u2014") + " \u00b7 model " +
                    (s.model_version[0] ? s.model_version : "none"));
    if (opt_.db.empty())
      lines.push_back("not logging (no --db)");
    else
      lines.push_back("events logged " + std::to_string(s.events_logged) + "/" + std::to_string(s.events_submitted) +
                      (snap_.session > 0 ? " \u00b7 session " + std::to_string(snap_.session) : std::string()));
  }
  int width = text_->measure(line).x + 34;
  for (const auto &ln : lines) width = std::max(width, text_->measure(ln, true).x + 20);
  int height = 30 + static_cast<int>(lines.size()) * 17 + (lines.empty() ? 0 : 6);
  SDL_Rect panel{l.w - width - 8, 8, width, height};
  fill(r, panel, {0, 0, 0, 255}, 165);
  disc(r, panel.x + 14, panel.y + 15, 5, dot);
  text_->draw(line, panel.x + 26, panel.y + 6, dot);
  int y = panel.y + 30;
  for (const auto &ln : lines) {
    text_->draw(ln, panel.x + 10, y, kGrey, true);
    y += 17;
  }
}

void App::draw_playlist(const Layout &l) {
  SDL_Renderer *r = renderer_.get();
  fill(r, l.list, {15, 15, 20, 255}, 225);
  text_->draw("Playlist \u2014 " + std::to_string(items_.size()) + " item" + (items_.size() == 1 ? "" : "s") +
                  "  (Enter plays, Tab closes)",
              l.list.x + 10, l.list.y + 8, kGrey, true);
  size_t rows = static_cast<size_t>(std::max(1, (l.list.h - 40) / kRowH));
  if (selected_ < list_scroll_) list_scroll_ = selected_;
  if (selected_ >= list_scroll_ + rows) list_scroll_ = selected_ - rows + 1;
  for (size_t i = list_scroll_; i < items_.size() && i < list_scroll_ + rows; ++i) {
    SDL_Rect row{l.list.x + 4, l.list.y + 34 + static_cast<int>(i - list_scroll_) * kRowH, l.list.w - 8, kRowH - 2};
    if (i == selected_) fill(r, row, kAccent, 90);
    else if (inside(row, mouse_x_, mouse_y_)) fill(r, row, {255, 255, 255, 255}, 30);
    std::string name = (i == current_ ? "\u25b6 " : "   ") + file_name_of(items_[i]);
    text_->draw(name, row.x + 6, row.y + 4, i == current_ ? kAccent : kWhite);
  }
}

void App::draw_toast(const Layout &l) {
  if (toast_text_.empty() || SDL_GetTicks64() > toast_until_ms_) return;
  SDL_Point sz = text_->measure(toast_text_);
  int w = std::min(sz.x + 24, l.w - 20);
  SDL_Rect box{(l.w - w) / 2, l.h - kBarH - sz.y - 38, w, sz.y + 12};
  fill(renderer_.get(), box, toast_error_ ? SDL_Color{170, 40, 40, 255} : SDL_Color{0, 0, 0, 255}, 215);
  text_->draw(toast_text_, box.x + 12, box.y + 6, kWhite);
}

void App::draw() {
  SDL_Renderer *r = renderer_.get();
  upload_frame();
  SDL_SetRenderDrawColor(r, 0, 0, 0, 255);
  SDL_RenderClear(r);
  const Layout l = layout();
  draw_video(l.w, l.h);
  bool visible = controls_visible();
  if (visible) draw_controls(l);
  if (playlist_open_) draw_playlist(l);
  draw_status(l);
  draw_toast(l);
  if (visible != cursor_shown_) {
    SDL_ShowCursor(visible ? SDL_ENABLE : SDL_DISABLE);
    cursor_shown_ = visible;
  }
  text_->end_frame();
  ++frames_drawn_;
}

bool App::save_screenshot(const std::string &path) {
  poll_player();
  draw();
  int w = 0, h = 0;
  SDL_GetRendererOutputSize(renderer_.get(), &w, &h);
  std::string ext = path.size() >= 4 ? path.substr(path.size() - 4) : std::string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const bool bmp = ext == ".bmp";
  // BMP through SDL (ARGB8888 surface); anything else is written as PNG from RGBA32 bytes.
  SurfacePtr s(SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, bmp ? SDL_PIXELFORMAT_ARGB8888 : SDL_PIXELFORMAT_RGBA32));
  std::string err;
  bool ok = s && SDL_RenderReadPixels(renderer_.get(), nullptr, s->format->format, s->pixels, s->pitch) == 0;
  if (!ok) err = SDL_GetError();
  if (ok && bmp) {
    ok = SDL_SaveBMP(s.get(), path.c_str()) == 0;
    if (!ok) err = SDL_GetError();
  } else if (ok) {
    ok = write_png_rgbx(path, w, h, static_cast<const uint8_t *>(s->pixels), s->pitch, err);
  }
  SDL_RenderPresent(renderer_.get());
  last_draw_ms_ = SDL_GetTicks64();
  if (!ok) {
    std::fprintf(stderr, "[demo] screenshot %s failed: %s\n", path.c_str(), err.c_str());
    return false;
  }
  std::printf("[demo] screenshot %s (%dx%d)\n", path.c_str(), w, h);
  std::fflush(stdout);
  return true;
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
  std::printf("[demo] %.1f/%.1f s %s %s | rate %g vol %d%s | wakes %lld proactive %lld on demand, misses %lld | policy %s\n",
              static_cast<double>(snap_.pos) / 1000.0, static_cast<double>(snap_.dur) / 1000.0, sp_state_name(snap_.state),
              ctl, snap_.rate, snap_.volume, snap_.mute ? " muted" : "", static_cast<long long>(s.wakes_proactive),
              static_cast<long long>(s.wakes_on_demand), static_cast<long long>(s.misses), s.policy[0] ? s.policy : "-");
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
  std::printf("[demo]   wakes %lld proactive, %lld on demand; misses %lld; wake latency p50 %.2f ms, p99 %.2f ms\n",
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
  const std::string on_demand =
      dem == 0 ? std::string() : "; it woke on demand " + std::to_string(dem) + (dem == 1 ? " time" : " times") +
                                     ", when you acted or the file ended";
  std::printf("[demo]   => the control plane %s (asleep %.0f %%); %s%s\n",
              asleep_pct > 50.0 ? "slept through most of the session" : "was awake at least half of the session",
              asleep_pct, woke.c_str(), on_demand.c_str());
  std::printf("[demo]   events submitted %lld, logged %lld, dropped %lld; control wakeups %lld\n",
              static_cast<long long>(s.events_submitted), static_cast<long long>(s.events_logged),
              static_cast<long long>(s.events_dropped), static_cast<long long>(s.control_wakeups));
  std::printf("[demo]   policy %s, model %s\n", s.policy[0] ? s.policy : "-", s.model_version[0] ? s.model_version : "none");
  int64_t received = 0;
  {
    std::lock_guard lk(frame_.mu);
    received = frame_.received;
  }
  std::printf("[demo]   video frames received %lld, screens drawn %lld\n", static_cast<long long>(received),
              static_cast<long long>(frames_drawn_));
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------
// Main loop

int App::run() {
  size_t first = 0;
  while (first < items_.size() && !open_item(first)) ++first;
  if (first >= items_.size()) {
    std::fprintf(stderr, "smartplayer-demo: none of the %zu item(s) could be opened\n", items_.size());
    return 1;
  }
  // Size the window to the video (within 640x360 .. 1280x720), then show it.
  sp_media_info info{};
  info.struct_size = sizeof info;
  if (sp_get_media_info(player_.get(), &info) == SP_OK && info.width > 0 && info.height > 0) {
    double s = std::min(1280.0 / info.width, 720.0 / info.height);
    s = std::min(s, 1.0);
    s = std::max({s, 640.0 / info.width, 360.0 / info.height});
    SDL_SetWindowSize(window_.get(), static_cast<int>(info.width * s), static_cast<int>(info.height * s));
    SDL_SetWindowPosition(window_.get(), SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED);
  }
  SDL_ShowWindow(window_.get());
  // Several items: start with the list open to choose from (the first one plays meanwhile).
  playlist_open_ = items_.size() > 1;
  if (headless_) std::printf("[demo] headless: progress every second (SDL video driver %s)\n", SDL_GetCurrentVideoDriver());

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
  auto at_s = [&](double s) { return play_start_ms_ + static_cast<uint64_t>(std::llround(std::max(0.0, s) * 1000.0)); };
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
    std::fprintf(stderr, "smartplayer-demo: %d scripted command(s) or the exit screenshot failed (see above)\n", script_failures_);
    return 3;
  }
  return 0;
}

} // namespace demo
