#include "text.h"


namespace demo {

TextCache::Entry *TextCache::get(const std::string &text, SDL_Color c, bool small) {
  if (text.empty()) return nullptr;
  std::string key;
  key.reserve(text.size() + 6);
  key.push_back(small ? 's' : 'n');
  key.push_back(static_cast<char>(c.r));
  key.push_back(static_cast<char>(c.g));
  key.push_back(static_cast<char>(c.b));
  key.push_back(static_cast<char>(c.a));
  key += text;
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    SurfacePtr s(TTF_RenderUTF8_Blended(small ? small_ : normal_, text.c_str(), c));
    if (!s) return nullptr;
    Entry e;
    e.tex.reset(SDL_CreateTextureFromSurface(r_, s.get()));
    if (!e.tex) return nullptr;
    e.w = s->w;
    e.h = s->h;
    it = cache_.emplace(std::move(key), std::move(e)).first;
  }
  it->second.last_used = frame_;
  return &it->second;
}

SDL_Point TextCache::draw(const std::string &text, int x, int y, SDL_Color c, bool small, int align) {
  Entry *e = get(text, c, small);
  if (!e) return {0, 0};
  int dx = align == 1 ? x - e->w / 2 : align == 2 ? x - e->w : x;
  SDL_Rect dst{dx, y, e->w, e->h};
  SDL_RenderCopy(r_, e->tex.get(), nullptr, &dst);
  return {e->w, e->h};
}

SDL_Point TextCache::measure(const std::string &text, bool small) {
  int w = 0, h = 0;
  if (!text.empty()) TTF_SizeUTF8(small ? small_ : normal_, text.c_str(), &w, &h);
  return {w, h};
}

void TextCache::end_frame() {
  ++frame_;
  // Texts that change every frame (times, counters) would pile up: drop
  // whatever has not been drawn for ~2 s worth of frames.
  if (cache_.size() < 64) return;
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (frame_ - it->second.last_used > 120)
      it = cache_.erase(it);
    else
      ++it;
  }
}

} // namespace demo
