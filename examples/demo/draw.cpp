// The demo's drawing: the video, the on-screen controls, the control-plane
// overlay (state, predicted windows), the playlist and the screenshot.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "app.h"
#include "png.h"
#include "ui.h"

namespace demo {

namespace {

constexpr uint64_t kHideAfterMs = 3000;
constexpr SDL_Color kWhite{235, 235, 235, 255};
constexpr SDL_Color kGrey{170, 170, 170, 255};
constexpr SDL_Color kAccent{61, 165, 244, 255}; // played part of the seek bar, active buttons
constexpr SDL_Color kAwake{80, 200, 120, 255};
constexpr SDL_Color kAsleep{110, 140, 255, 255};
constexpr SDL_Color kWaking{240, 200, 60, 255};
constexpr SDL_Color kWindow{255, 160, 40, 255}; // predicted awake windows

void set_color(SDL_Renderer *r, SDL_Color c, Uint8 a = 255) {
  SDL_SetRenderDrawColor(r, c.r, c.g, c.b, a);
}

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

std::string fmt(const char *f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

} // namespace

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
  if (snap_.state == SP_STATE_PAUSED || snap_.state == SP_STATE_ENDED || snap_.state == SP_STATE_IDLE)
    return true;
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
    video_tex_.reset(
        SDL_CreateTexture(renderer_.get(), SDL_PIXELFORMAT_RGBA32, SDL_TEXTUREACCESS_STREAMING, w, h));
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
  // Turned as the file asks (a phone's portrait video): letterboxed as
  // shown, then SDL turns the picture about its centre.
  const bool quarter = rotation_ % 180 == 90;
  const double shown_w = quarter ? tex_h_ : tex_w_, shown_h = quarter ? tex_w_ : tex_h_;
  double s = std::min(w / shown_w, h / shown_h);
  int dw = static_cast<int>(tex_w_ * s), dh = static_cast<int>(tex_h_ * s);
  SDL_Rect dst{(w - dw) / 2, (h - dh) / 2, dw, dh};
  if (rotation_ == 0)
    SDL_RenderCopy(renderer_.get(), video_tex_.get(), nullptr, &dst);
  else
    SDL_RenderCopyEx(renderer_.get(), video_tex_.get(), nullptr, &dst, rotation_, nullptr, SDL_FLIP_NONE);
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
    text_->draw(format_time(static_cast<int64_t>(f * static_cast<double>(dur))), mouse_x_, l.seek.y - 24,
                kWhite, true, 1);
  }

  // Buttons.
  auto hover = [&](const SDL_Rect &rc) {
    if (inside(rc, mouse_x_, mouse_y_)) fill(r, rc, {255, 255, 255, 255}, 40);
  };
  for (const SDL_Rect *rc : {&l.prev, &l.back, &l.play, &l.fwd, &l.next, &l.slower, &l.faster, &l.mute})
    hover(*rc);
  auto cx = [](const SDL_Rect &rc) { return static_cast<float>(rc.x) + static_cast<float>(rc.w) / 2.0f; };
  auto cy = [](const SDL_Rect &rc) { return static_cast<float>(rc.y) + static_cast<float>(rc.h) / 2.0f; };
  // play / pause
  if (snap_.state == SP_STATE_PLAYING) {
    fill(r, {static_cast<int>(cx(l.play)) - 8, static_cast<int>(cy(l.play)) - 9, 6, 18}, kWhite);
    fill(r, {static_cast<int>(cx(l.play)) + 2, static_cast<int>(cy(l.play)) - 9, 6, 18}, kWhite);
  } else {
    triangle(r, {cx(l.play) - 7, cy(l.play) - 10}, {cx(l.play) - 7, cy(l.play) + 10},
             {cx(l.play) + 10, cy(l.play)}, kWhite);
  }
  // previous / next: triangle and bar
  triangle(r, {cx(l.prev) + 6, cy(l.prev) - 8}, {cx(l.prev) + 6, cy(l.prev) + 8},
           {cx(l.prev) - 5, cy(l.prev)}, kWhite);
  fill(r, {static_cast<int>(cx(l.prev)) - 8, static_cast<int>(cy(l.prev)) - 8, 3, 16}, kWhite);
  triangle(r, {cx(l.next) - 6, cy(l.next) - 8}, {cx(l.next) - 6, cy(l.next) + 8},
           {cx(l.next) + 5, cy(l.next)}, kWhite);
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
  text_->draw(rate_text(snap_.rate), l.rate_at.x, l.rate_at.y,
              std::abs(snap_.rate - 1.0) > 1e-6 ? kAccent : kWhite, false, 1);
  // mute: a speaker, crossed out when muted
  {
    float x = cx(l.mute), y = cy(l.mute);
    fill(r, {static_cast<int>(x) - 9, static_cast<int>(y) - 4, 5, 8}, kWhite);
    triangle(r, {x - 5, y - 4}, {x + 2, y - 10}, {x + 2, y + 10}, kWhite);
    triangle(r, {x - 5, y - 4}, {x + 2, y + 10}, {x - 5, y + 4}, kWhite);
    if (snap_.mute) {
      SDL_SetRenderDrawColor(r, 230, 70, 70, 255);
      for (int d = 0; d < 2; ++d) {
        SDL_RenderDrawLine(r, static_cast<int>(x) + 5, static_cast<int>(y) - 5 + d, static_cast<int>(x) + 13,
                           static_cast<int>(y) + 3 + d);
        SDL_RenderDrawLine(r, static_cast<int>(x) + 5, static_cast<int>(y) + 3 + d, static_cast<int>(x) + 13,
                           static_cast<int>(y) - 5 + d);
      }
    } else {
      set_color(r, kWhite);
      SDL_RenderDrawLine(r, static_cast<int>(x) + 6, static_cast<int>(y) - 4, static_cast<int>(x) + 6,
                         static_cast<int>(y) + 4);
      SDL_RenderDrawLine(r, static_cast<int>(x) + 10, static_cast<int>(y) - 7, static_cast<int>(x) + 10,
                         static_cast<int>(y) + 7);
    }
  }
  // volume slider
  int vol = vol_drag_ ? drag_volume_ : snap_.volume;
  SDL_Rect track{l.volume.x, l.volume.y + l.volume.h / 2 - 2, l.volume.w, 4};
  fill(r, track, {90, 90, 90, 255});
  fill(r, {track.x, track.y, track.w * vol / 100, track.h},
       snap_.mute ? SDL_Color{130, 130, 130, 255} : kAccent);
  disc(r, track.x + track.w * vol / 100, track.y + 2, 6, kWhite);
  text_->draw(std::to_string(vol), l.volume.x + l.volume.w / 2, l.volume.y + l.volume.h + 1, kGrey, true, 1);

  // Title of the current item, top-left.
  if (!playlist_open_ && !items_.empty()) {
    std::string title = file_name_of(items_[current_]);
    if (items_.size() > 1)
      title += "  (" + std::to_string(current_ + 1) + "/" + std::to_string(items_.size()) + ")";
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
  default:
    line = "awake";
    break;
  }
  std::vector<std::string> lines;
  const sp_stats &s = snap_.stats;
  if (show_stats_) {
    double total = s.awake_s + s.asleep_s;
    lines.push_back(total > 0 ? fmt("awake %.0f %% of this session", 100.0 * s.awake_s / total) +
                                    fmt(" (%.1f s", s.awake_s) + fmt(" of %.1f s)", total)
                              : std::string("awake \u2014 % of this session"));
    lines.push_back("wakes " + std::to_string(s.wakes_proactive) + " proactive \u00b7 " +
                    std::to_string(s.wakes_on_demand) + " on demand");
    // Wake latency is measured on on-demand wakes (call arrival to gate open).
    lines.push_back("misses " + std::to_string(s.misses) + " \u00b7 wake latency " +
                    (s.wakes_on_demand > 0 ? fmt("p50 %.2f ms", s.wake_latency_p50_ms) +
                                                 fmt(", p99 %.2f ms", s.wake_latency_p99_ms)
                                           : std::string("\u2014 (no on-demand wake yet)")));
    lines.push_back(std::string("policy ") + (s.policy[0] ? s.policy : "\u2014") + " \u00b7 model " +
                    (s.model_version[0] ? s.model_version : "none"));
    if (opt_.db.empty())
      lines.push_back("not logging (no --db)");
    else
      lines.push_back(
          "events logged " + std::to_string(s.events_logged) + "/" + std::to_string(s.events_submitted) +
          (snap_.session > 0 ? " \u00b7 session " + std::to_string(snap_.session) : std::string()));
  }
  int width = text_->measure(line).x + 34;
  for (const auto &ln : lines)
    width = std::max(width, text_->measure(ln, true).x + 20);
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
    SDL_Rect row{l.list.x + 4, l.list.y + 34 + static_cast<int>(i - list_scroll_) * kRowH, l.list.w - 8,
                 kRowH - 2};
    if (i == selected_)
      fill(r, row, kAccent, 90);
    else if (inside(row, mouse_x_, mouse_y_))
      fill(r, row, {255, 255, 255, 255}, 30);
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
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const bool bmp = ext == ".bmp";
  // BMP through SDL (ARGB8888 surface); anything else is written as PNG from RGBA32 bytes.
  SurfacePtr s(
      SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, bmp ? SDL_PIXELFORMAT_ARGB8888 : SDL_PIXELFORMAT_RGBA32));
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

} // namespace demo
