#include "render/sdl_wait.h"

#include <cmath>
#include <cstring>

#include "core/clock.h"

namespace sp {
namespace {

// Video drivers whose SDL_WaitEventTimeout blocks in the window system (SDL
// 2.26: they implement WaitEventTimeout and SendWakeupEvent).
bool video_driver_waits(const char *drv) {
  if (!drv) return false;
  for (const char *d : {"x11", "wayland", "windows", "cocoa"})
    if (std::strcmp(drv, d) == 0) return true;
  return false;
}

} // namespace

SdlWaiter::SdlWaiter() {
  driver_waits_ = video_driver_waits(SDL_GetCurrentVideoDriver());
  if (driver_waits_) {
    Uint32 t = SDL_RegisterEvents(1);
    if (t == static_cast<Uint32>(-1))
      driver_waits_ = false;
    else
      wake_event_ = t;
  }
  if (!driver_waits_) {
    SDL_AddEventWatch(&SdlWaiter::on_sdl_event, this);
    watching_ = true;
  }
}

SdlWaiter::~SdlWaiter() {
  if (watching_) SDL_DelEventWatch(&SdlWaiter::on_sdl_event, this);
}

int SdlWaiter::on_sdl_event(void *user, SDL_Event *ev) {
  // Called on the thread that adds the event (any thread); SDL holds its
  // watcher lock, never its queue lock, so taking mu_ here cannot deadlock
  // with wait(), which holds mu_ while it looks at the queue.
  if (ev->type != SDL_POLLSENTINEL) static_cast<SdlWaiter *>(user)->wakeup();
  return 0;
}

void SdlWaiter::wakeup() {
  if (driver_waits_) {
    // One wake-up event in SDL's queue at a time; pushing it wakes a thread
    // blocked in SDL_WaitEventTimeout.
    if (!event_posted_.exchange(true)) {
      SDL_Event ev{};
      ev.type = wake_event_;
      if (SDL_PushEvent(&ev) != 1) event_posted_.store(false);
    }
    return;
  }
  {
    std::lock_guard lk(mu_);
    pending_ = true;
  }
  cv_.notify_one();
}

void SdlWaiter::drained() {
  std::lock_guard lk(mu_);
  pending_ = false;
}

int SdlWaiter::wait(double due_s, int timeout_ms) {
  const double start = now_s();
  const double until = timeout_ms < 0 ? INFINITY : start + timeout_ms / 1000.0;
  const double deadline = std::min(due_s, until);
  if (driver_waits_) {
    if (SDL_HasEvents(SDL_FIRSTEVENT, SDL_LASTEVENT)) return 1;
    for (;;) {
      double now = now_s();
      if (now >= deadline) return now >= due_s ? 1 : 0;
      int ms = std::isinf(deadline) ? -1 : static_cast<int>(std::ceil((deadline - now) * 1000.0));
      // NULL: report an event without taking it off the queue (the pump does).
      if (SDL_WaitEventTimeout(nullptr, ms) == 1) return 1;
    }
  }
  std::unique_lock lk(mu_);
  for (;;) {
    if (pending_ || SDL_HasEvents(SDL_FIRSTEVENT, SDL_LASTEVENT)) return 1;
    double now = now_s();
    if (now >= deadline) return now >= due_s ? 1 : 0;
    if (std::isinf(deadline)) {
      cv_.wait(lk);
    } else {
      cv_.wait_until(lk, steady_at(deadline));
    }
  }
}

} // namespace sp
