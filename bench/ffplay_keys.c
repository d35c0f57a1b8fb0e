/* A key press for ffplay under SDL's dummy video driver, which has no
 * keyboard: preloaded into ffplay (LD_PRELOAD), it wraps SDL_PumpEvents,
 * which ffplay's event loop calls every 10 ms, and once SP_KEY_AFTER_S
 * seconds have passed since the first call it pushes one SDL_KEYDOWN for the
 * key SP_KEY (default "p": ffplay's pause). bench/run.sh wakeups uses it to
 * measure a paused ffplay; it does nothing else. */
#define _GNU_SOURCE
#include <SDL.h>
#include <dlfcn.h>
#include <stdlib.h>

static void (*real_pump)(void);
static Uint64 first_ms;
static int done;

void SDL_PumpEvents(void) {
  if (!real_pump) real_pump = (void (*)(void))dlsym(RTLD_NEXT, "SDL_PumpEvents");
  real_pump();
  if (done) return;
  const char *after = getenv("SP_KEY_AFTER_S");
  if (!after) return;
  Uint64 now = SDL_GetTicks64();
  if (!first_ms) first_ms = now;
  if ((double)(now - first_ms) < atof(after) * 1000.0) return;
  const char *key = getenv("SP_KEY");
  SDL_Event e;
  SDL_zero(e);
  e.type = SDL_KEYDOWN;
  e.key.state = SDL_PRESSED;
  e.key.keysym.sym = SDL_GetKeyFromName(key && *key ? key : "p");
  e.key.keysym.scancode = SDL_GetScancodeFromKey(e.key.keysym.sym);
  SDL_PushEvent(&e);
  done = 1;
}
