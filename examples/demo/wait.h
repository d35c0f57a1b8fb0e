// How the demo's main thread sleeps: until an SDL event arrives (input, the
// window, or a wake-up that another thread asks for) or until a deadline the
// main loop needs, and never in a periodic loop.
//
// SDL 2.26's SDL_WaitEventTimeout blocks in the window system only with the
// video drivers that can be woken (x11, wayland, windows, cocoa); with the
// others (dummy, offscreen, kmsdrm) it loops over SDL_Delay(1), a thousand
// wake-ups a second. There the waiter blocks on a condition variable instead,
// and an SDL event watch turns every event pushed into SDL's queue (by any
// thread) into a notify. The library does the same for its built-in window
// (src/render/sdl_wait.h); the demo has its own window, so its own waiter.
//
// Thread safety: wakeup() from any thread (never blocks); the rest only on
// the thread that runs SDL's event loop (the main thread).
#pragma once
#include <SDL.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace demo {

class EventWaiter {
public:
  static constexpr uint64_t kNever = UINT64_MAX;

  EventWaiter(); // after SDL_Init(SDL_INIT_VIDEO)
  ~EventWaiter();
  EventWaiter(const EventWaiter &) = delete;
  EventWaiter &operator=(const EventWaiter &) = delete;

  // Make wait() return: pushes one wake-up event into SDL's queue (at most
  // one waits there at a time). For the library's callbacks.
  void wakeup();
  // Take the next event off SDL's queue into `e` (true), or return false
  // once SDL_GetTicks64() reaches `deadline_ms` (kNever: no deadline). The
  // waiter's own wake-up event is returned like any other: pass each event
  // to is_wakeup() first.
  bool wait(SDL_Event &e, uint64_t deadline_ms);
  // True if `e` is a wake-up; it counts as taken, so the next wakeup() pushes
  // another. Call it for every event taken off the queue.
  bool is_wakeup(const SDL_Event &e);

private:
  static int on_sdl_event(void *user, SDL_Event *e);

  Uint32 wake_type_ = 0;                 // SDL user event type of a wake-up (0: none registered)
  std::atomic<bool> wake_posted_{false}; // a wake-up event sits in SDL's queue
  bool driver_waits_ = false;            // SDL_WaitEventTimeout really blocks
  bool watching_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  bool pushed_ = false; // guarded by mu_: an event was pushed since wait() last looked
};

} // namespace demo
