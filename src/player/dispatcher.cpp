#include "player/dispatcher.h"

#include "core/thread_name.h"

namespace sp {

Dispatcher::Dispatcher() : th_([this] { loop(); }) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::post(std::function<void()> task) {
  {
    std::lock_guard lk(mu_);
    if (stop_) return;
    q_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void Dispatcher::stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (th_.joinable() && std::this_thread::get_id() != th_.get_id()) th_.join();
}

void Dispatcher::loop() {
  set_thread_name("sp-events");
  std::unique_lock lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return stop_ || !q_.empty(); });
    if (q_.empty()) {
      if (stop_) return;
      continue;
    }
    auto task = std::move(q_.front());
    q_.pop_front();
    lk.unlock();
    try {
      task();
    } catch (...) {
      // A task must not take the thread down; nothing crosses the C API.
    }
    lk.lock();
  }
}

} // namespace sp
