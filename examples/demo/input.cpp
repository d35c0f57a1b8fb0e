// The demo's input: keys, clicks on the on-screen controls, the library's
// events and the scripted commands of --script.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "app.h"
#include "ui.h"

namespace demo {

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
  case SDLK_SPACE:
    check(sp_toggle_pause(player_.get()), "pause");
    break;
  case SDLK_LEFT:
  case SDLK_j:
    seek_rel(-10000);
    break;
  case SDLK_RIGHT:
  case SDLK_l:
    seek_rel(10000);
    break;
  case SDLK_UP:
    change_volume(5);
    break;
  case SDLK_DOWN:
    change_volume(-5);
    break;
  case SDLK_m:
    toggle_mute();
    break;
  case SDLK_f:
    toggle_fullscreen();
    break;
  case SDLK_LEFTBRACKET:
    change_rate(-1);
    break;
  case SDLK_RIGHTBRACKET:
    change_rate(1);
    break;
  case SDLK_n:
    next_item(1);
    break;
  case SDLK_p:
  case SDLK_b:
    next_item(-1);
    break;
  case SDLK_TAB:
    playlist_open_ = !playlist_open_;
    selected_ = current_;
    break;
  case SDLK_w:
    show_windows_ = !show_windows_;
    toast(show_windows_ ? "predicted awake windows shown on the seek bar" : "predicted windows hidden",
          false);
    break;
  case SDLK_i:
    show_stats_ = !show_stats_;
    break;
  case SDLK_q:
  case SDLK_ESCAPE:
    quit_ = true;
    break;
  default:
    break;
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
  case SDL_QUIT:
    quit_ = true;
    break;
  case SDL_KEYDOWN:
    handle_key(e.key.keysym.sym);
    break;
  case SDL_MOUSEMOTION: {
    mouse_x_ = e.motion.x;
    mouse_y_ = e.motion.y;
    last_input_ms_ = SDL_GetTicks64();
    const Layout l = layout();
    if (seek_drag_) {
      double f = std::clamp(static_cast<double>(e.motion.x - l.seek.x) / l.seek.w, 0.0, 1.0);
      drag_pos_ms_ = static_cast<int64_t>(f * static_cast<double>(snap_.dur));
    }
    if (vol_drag_)
      drag_volume_ = std::clamp((e.motion.x - l.volume.x) * 100 / std::max(1, l.volume.w), 0, 100);
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
  default:
    break;
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
    case SP_EVENT_ERROR:
      toast(ev.message.empty() ? sp_strerror(ev.code) : ev.message, true);
      break;
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
    case SP_EVENT_MODEL_UPDATED:
      toast("predictor model updated " + ev.message, false);
      break;
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
        std::printf("[demo] control plane awake at %.1f s (%s)\n",
                    static_cast<double>(ev.position_ms) / 1000.0,
                    ev.value == SP_WAKE_PROACTIVE   ? "proactive"
                    : ev.value == SP_WAKE_ON_DEMAND ? "on demand"
                                                    : "shutdown");
        std::fflush(stdout);
      }
      break;
    default:
      break;
    }
  }
}

bool App::run_command(const ScriptCommand &c) {
  sp_player *p = player_.get();
  if (headless_)
    std::printf("[demo] script %.1f s: %s%s%s\n", c.at_s, c.cmd.c_str(), c.arg.empty() ? "" : " ",
                c.arg.c_str());
  int rc = SP_OK;
  if (c.cmd == "pause")
    rc = sp_pause(p);
  else if (c.cmd == "play")
    rc = sp_play(p);
  else if (c.cmd == "toggle")
    rc = sp_toggle_pause(p);
  else if (c.cmd == "step")
    rc = sp_step(p);
  else if (c.cmd == "seek") {
    double s = std::stod(c.arg[0] == '+' ? c.arg.substr(1) : c.arg);
    bool rel = c.arg[0] == '+' || c.arg[0] == '-';
    rc =
        sp_seek(p, static_cast<int64_t>(std::llround(s * 1000.0)), rel ? SP_SEEK_RELATIVE : SP_SEEK_ABSOLUTE);
  } else if (c.cmd == "rate")
    rc = sp_set_rate(p, std::stod(c.arg));
  else if (c.cmd == "volume")
    rc = sp_set_volume(p, static_cast<int>(std::lround(std::stod(c.arg))));
  else if (c.cmd == "mute") {
    int m = 0;
    sp_get_mute(p, &m);
    rc = sp_set_mute(p, c.arg.empty() ? !m : c.arg == "1");
  } else if (c.cmd == "unmute")
    rc = sp_set_mute(p, 0);
  else if (c.cmd == "next")
    next_item(1);
  else if (c.cmd == "prev")
    next_item(-1);
  else if (c.cmd == "quit")
    quit_ = true;
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
  if (a == "play")
    pt = centre(l.play);
  else if (a == "back")
    pt = centre(l.back);
  else if (a == "fwd")
    pt = centre(l.fwd);
  else if (a == "prev")
    pt = centre(l.prev);
  else if (a == "next")
    pt = centre(l.next);
  else if (a == "slower")
    pt = centre(l.slower);
  else if (a == "faster")
    pt = centre(l.faster);
  else if (a == "mute")
    pt = centre(l.mute);
  else if (a == "video")
    pt = {l.w / 2, (l.h - kBarH) / 2};
  else if (a == "seek")
    pt = along(l.seek);
  else if (a == "volume")
    pt = along(l.volume);
  else
    pt = {static_cast<int>(std::strtod(a.c_str(), nullptr)),
          static_cast<int>(std::strtod(b.c_str(), nullptr))};
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

} // namespace demo
