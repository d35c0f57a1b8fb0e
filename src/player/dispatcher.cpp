#include "player/dispatcher.h"

#include "core/clock.h"
#include "core/thread_name.h"

namespace sp {

Dispatcher::Dispatcher() : th_([this] { loop(); }) {}

Dispatcher::~Dispatcher() { stop(); }

bool Dispatcher::post(std::function<void()> task) {
  {
    std::lock_guard lk(mu_);
    if (stop_) return false;
    q_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

uint64_t Dispatcher::post_at(double due_s, std::function<void()> task) {
  uint64_t id;
  {
    std::lock_guard lk(mu_);
    if (stop_) return 0;
    id = next_id_++;
    timed_.emplace(std::make_pair(due_s, id), std::move(task));
  }
  cv_.notify_one();
  return id;
}

void Dispatcher::cancel(uint64_t id) {
  std::lock_guard lk(mu_);
  for (auto it = timed_.begin(); it != timed_.end(); ++it)
    if (it->first.second == id) {
      timed_.erase(it);
      return; // the thread may wake at the old deadline once, finds nothing due, and sleeps on
    }
}

void Dispatcher::stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
    timed_.clear();
  }
  cv_.notify_all();
  if (th_.joinable() && std::this_thread::get_id() != th_.get_id()) th_.join();
}

void Dispatcher::loop() {
  set_thread_name("sp-events");
  std::unique_lock lk(mu_);
  for (;;) {
    std::function<void()> task;
    if (!q_.empty()) {
      task = std::move(q_.front());
      q_.pop_front();
    } else if (!timed_.empty() && timed_.begin()->first.first <= now_s()) {
      task = std::move(timed_.begin()->second);
      timed_.erase(timed_.begin());
    } else if (stop_) {
      return;
    } else if (timed_.empty()) {
      cv_.wait(lk); // until a task is posted or stop()
      continue;
    } else {
      double due = timed_.begin()->first.first;
      cv_.wait_until(lk, steady_at(due)); // until the first timed task is due, or a post
      continue;
    }
    lk.unlock();
    try {
      task();
    } catch (...) {
      // A task must not take the thread down; nothing crosses the C API.
    }
    task = nullptr; // destroy what it captured before taking the lock again
    lk.lock();
  }
}

} // namespace sp
