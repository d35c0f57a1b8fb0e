// Text drawing with SDL2_ttf: rendered strings are cached as textures.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>

#include "sdl_util.h"

namespace demo {

class TextCache {
public:
  TextCache(SDL_Renderer *r, TTF_Font *normal, TTF_Font *small) : r_(r), normal_(normal), small_(small) {}
  // Draw `text` with its top-left corner at (x, y); returns its size.
  // align: 0 left, 1 centred on x, 2 right-aligned at x.
  SDL_Point draw(const std::string &text, int x, int y, SDL_Color c, bool small = false, int align = 0);
  SDL_Point measure(const std::string &text, bool small = false);
  // Call once per drawn frame: drops textures not used for a while.
  void end_frame();
  size_t size() const { return cache_.size(); }

private:
  struct Entry {
    TexturePtr tex;
    int w = 0, h = 0;
    uint64_t last_used = 0;
  };
  Entry *get(const std::string &text, SDL_Color c, bool small);
  SDL_Renderer *r_;
  TTF_Font *normal_, *small_;
  std::unordered_map<std::string, Entry> cache_;
  uint64_t frame_ = 0;
};

} // namespace demo
