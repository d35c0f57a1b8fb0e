// smartplayer-demo — the SDL2 demo player of libsmartplayer (see docs/demo.md).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "app.h"
#include "options.h"
#include "sdl_util.h"

int main(int argc, char **argv) {
  std::string error;
  bool help = false;
  auto opt = demo::parse_args(argc, argv, error, help);
  if (!opt) {
    if (help) {
      std::fputs(error.c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "smartplayer-demo: %s\n%s", error.c_str(), demo::usage_text().c_str());
    return 2;
  }
  for (const auto &c : opt->script) {
    if (c.cmd == "key" && SDL_GetKeyFromName(c.arg.c_str()) == SDLK_UNKNOWN) {
      std::fprintf(stderr, "smartplayer-demo: --script: unknown key name '%s' (SDL key names: w, space, left, tab...)\n",
                   c.arg.c_str());
      return 2;
    }
  }
  std::string list_error;
  auto playlist = demo::collect_media(opt->inputs, list_error);
  if (!list_error.empty()) std::fprintf(stderr, "smartplayer-demo: %s\n", list_error.c_str());
  if (playlist.empty()) {
    std::fprintf(stderr, "smartplayer-demo: nothing to play\n");
    return 1;
  }

  // --headless: no window on screen. SDL's dummy video driver still gives the
  // demo a software renderer, so drawing and --screenshot work as usual.
  if (opt->headless) setenv("SDL_VIDEODRIVER", "dummy", 1);

  // Destroyed in reverse order: the app (player first), then TTF, then SDL.
  demo::SdlLibrary sdl(SDL_INIT_VIDEO | SDL_INIT_TIMER | SDL_INIT_EVENTS);
  if (!sdl.ok()) {
    std::fprintf(stderr, "smartplayer-demo: SDL_Init: %s\n", SDL_GetError());
    return 1;
  }
  demo::TtfLibrary ttf;
  if (!ttf.ok()) {
    std::fprintf(stderr, "smartplayer-demo: TTF_Init: %s\n", TTF_GetError());
    return 1;
  }
  int rc = 0;
  {
    demo::App app(std::move(*opt), std::move(playlist));
    rc = app.init();
    if (rc == 0) rc = app.run();
  }
  return rc;
}
