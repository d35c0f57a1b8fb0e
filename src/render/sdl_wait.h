// Sleeping for the host thread of the built-in SDL window (sp_sdl_wait):
// blocks until sp_sdl_pump has work (the next frame's display time, a
// wake-up from the library or the host, an SDL event in the queue) or the
// host's timeout, with no periodic wake-ups.
//
// SDL 2.26's SDL_WaitEventTimeout only blocks for real when the video driver
// can wait for and be woken from its event source (x11, wayland, windows,
// cocoa); with the others (dummy, offscreen, kmsdrm) it loops over
// SDL_Delay(1), i.e. a thousand wake-ups a second. So:
//  - on a driver that can wait, the host blocks in SDL_WaitEventTimeout
//    (window and input events wake it; a wake-up pushes an SDL user event);
//  - on the others, it blocks on a condition variable; an SDL event watch
//    turns events pushed by other threads into wake-ups (those drivers have
//    no window system to deliver input from; kmsdrm's evdev input is seen at
//    the next frame or wake-up).
//
// Thread safety: wakeup() from any thread (never blocks); wait() and
// drained() only on the thread that created the window (SDL's rule).
#pragma once
#include <SDL.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

namespace sp {

class SdlWaiter {
public:
  SdlWaiter();
  ~SdlWaiter();
  SdlWaiter(const SdlWaiter &) = delete;
  SdlWaiter &operator=(const SdlWaiter &) = delete;

  // There is work for sp_sdl_pump: make wait() return (now or at its next call).
  void wakeup();
  // Block until a wake-up, an SDL event, `due_s` (monotonic seconds, now_s();
  // +inf: none) or `timeout_ms` (-1: none). Returns 1 for work, 0 on timeout.
  int wait(double due_s, int timeout_ms);
  // The pump is about to take every event off SDL's queue: wake-ups until
  // now are served by it.
  void drained();
  // The pump took this waiter's wake-up event off the queue.
  void consumed_wakeup_event() { event_posted_.store(false); }
  // True if `ev` is this waiter's own wake-up event (the pump skips it).
  bool is_wakeup_event(const SDL_Event &ev) const { return wake_event_ != 0 && ev.type == wake_event_; }
  bool driver_can_wait() const { return driver_waits_; }

private:
  static int on_sdl_event(void *user, SDL_Event *ev);

  bool driver_waits_ = false;
  Uint32 wake_event_ = 0;
  std::atomic<bool> event_posted_{false}; // a wake-up event sits in SDL's queue

  std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false; // guarded by mu_
  bool watching_ = false;
};

} // namespace sp
