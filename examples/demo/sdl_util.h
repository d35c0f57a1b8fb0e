// RAII owners for every SDL / SDL_ttf handle the demo holds.
#pragma once
#include <memory>

#include <SDL.h>
#include <SDL_ttf.h>

namespace demo {

struct SdlDeleter {
  void operator()(SDL_Window *w) const noexcept { SDL_DestroyWindow(w); }
  void operator()(SDL_Renderer *r) const noexcept { SDL_DestroyRenderer(r); }
  void operator()(SDL_Texture *t) const noexcept { SDL_DestroyTexture(t); }
  void operator()(SDL_Surface *s) const noexcept { SDL_FreeSurface(s); }
  void operator()(SDL_Cursor *c) const noexcept { SDL_FreeCursor(c); }
  void operator()(TTF_Font *f) const noexcept { TTF_CloseFont(f); }
};
using WindowPtr = std::unique_ptr<SDL_Window, SdlDeleter>;
using RendererPtr = std::unique_ptr<SDL_Renderer, SdlDeleter>;
using TexturePtr = std::unique_ptr<SDL_Texture, SdlDeleter>;
using SurfacePtr = std::unique_ptr<SDL_Surface, SdlDeleter>;
using FontPtr = std::unique_ptr<TTF_Font, SdlDeleter>;

// SDL_Init / SDL_Quit for the process; check ok() after construction.
class SdlLibrary {
public:
  explicit SdlLibrary(Uint32 flags) : ok_(SDL_Init(flags) == 0) {}
  ~SdlLibrary() { SDL_Quit(); }
  SdlLibrary(const SdlLibrary &) = delete;
  SdlLibrary &operator=(const SdlLibrary &) = delete;
  bool ok() const { return ok_; }

private:
  bool ok_;
};

// TTF_Init / TTF_Quit.
class TtfLibrary {
public:
  TtfLibrary() : ok_(TTF_Init() == 0) {}
  ~TtfLibrary() {
    if (ok_) TTF_Quit();
  }
  TtfLibrary(const TtfLibrary &) = delete;
  TtfLibrary &operator=(const TtfLibrary &) = delete;
  bool ok() const { return ok_; }

private:
  bool ok_;
};

} // namespace demo
