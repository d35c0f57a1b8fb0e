// The demo's screen layout, shared by its drawing (draw.cpp) and its input
// (input.cpp, which hit-tests clicks against the same rectangles).
//
// Threads: main (SDL) thread only, like the rest of App.
#pragma once
#include <cstdio>
#include <string>

#include "app.h"

namespace demo {

constexpr int kBarH = 76; // bottom control panel height
constexpr int kRowH = 26; // playlist row height

struct App::Layout {
  int w = 0, h = 0;
  SDL_Rect bar{};      // the whole bottom panel
  SDL_Rect seek{};     // the drawn seek track
  SDL_Rect seek_hit{}; // where clicks land on it
  SDL_Rect prev{}, back{}, play{}, fwd{}, next{};
  SDL_Point time_at{};
  SDL_Rect slower{}, faster{}, mute{}, volume{};
  SDL_Point rate_at{};
  SDL_Rect list{}; // playlist panel
};

inline bool inside(const SDL_Rect &rc, int x, int y) {
  return x >= rc.x && x < rc.x + rc.w && y >= rc.y && y < rc.y + rc.h;
}

// "1.25×"
inline std::string rate_text(double r) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%g\u00d7", r);
  return buf;
}

} // namespace demo
