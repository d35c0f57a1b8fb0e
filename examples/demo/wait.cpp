#include "wait.h"

#include <chrono>
#include <cstring>

namespace demo {

namespace {
bool driver_can_wait(const char *drv) {
  if (!drv) return false;
  for (const char *d : {"x11", "wayland", "windows", "cocoa"})
    if (std::strcmp(drv, d) == 0) return true;
  return false;
}
} // namespace

EventWaiter::EventWaiter() {
  Uint32 t = SDL_RegisterEvents(1);
  if (t != static_cast<Uint32>(-1)) wake_type_ = t;
  driver_waits_ = driver_can_wait(SDL_GetCurrentVideoDriver());
  if (!driver_waits_) {
    SDL_AddEventWatch(&EventWaiter::on_sdl_event, this);
    watching_ = true;
  }
}

EventWaiter::~EventWaiter() {
  if (watching_) SDL_DelEventWatch(&EventWaiter::on_sdl_event, this);
}

int EventWaiter::on_sdl_event(void *user, SDL_Event *e) {
  // On the thread that adds the event; SDL holds its watcher lock, not its
  // queue lock, and wait() never holds mu_ while it calls into SDL's queue.
  if (e->type == SDL_POLLSENTINEL) return 0;
  auto *self = static_cast<EventWaiter *>(user);
  {
    std::lock_guard lk(self->mu_);
    self->pushed_ = true;
  }
  self->cv_.notify_one();
  return 0;
}

void EventWaiter::wakeup() {
  if (wake_type_ == 0 || wake_posted_.exchange(true)) return;
  SDL_Event e{};
  e.type = wake_type_;
  if (SDL_PushEvent(&e) != 1) wake_posted_.store(false);
}

bool EventWaiter::is_wakeup(const SDL_Event &e) {
  if (wake_type_ == 0 || e.type != wake_type_) return false;
  wake_posted_.store(false);
  return true;
}

bool EventWaiter::wait(SDL_Event &e, uint64_t deadline_ms) {
  for (;;) {
    const uint64_t now = SDL_GetTicks64();
    if (driver_waits_) {
      if (deadline_ms == kNever) {
        if (SDL_WaitEvent(&e) == 1) return true;
        continue;
      }
      if (now >= deadline_ms) return SDL_PollEvent(&e) == 1;
      if (SDL_WaitEventTimeout(&e, static_cast<int>(deadline_ms - now)) == 1) return true;
      continue; // timed out (or woke early): look at the clock again
    }
    {
      std::lock_guard lk(mu_);
      pushed_ = false; // what was pushed before this point is in the queue now
    }
    if (SDL_PollEvent(&e) == 1) return true; // pumps: may push (the watch takes mu_)
    if (now >= deadline_ms) return false;
    std::unique_lock lk(mu_);
    if (pushed_) continue; // pushed since the look: look again
    if (deadline_ms == kNever)
      cv_.wait(lk);
    else
      cv_.wait_for(lk, std::chrono::milliseconds(deadline_ms - now));
  }
}

} // namespace demo
