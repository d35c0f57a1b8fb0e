// One library thread that runs queued tasks in order: host event callbacks
// (sp_event_fn) and the player's own follow-ups that may block (ending a
// session at end of file). Posting never blocks on the tasks.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace sp {

class Dispatcher {
public:
  Dispatcher();
  ~Dispatcher(); // runs what is queued, then joins
  Dispatcher(const Dispatcher &) = delete;
  Dispatcher &operator=(const Dispatcher &) = delete;

  void post(std::function<void()> task);
  // Run everything queued and stop the thread (idempotent).
  void stop();
  bool on_dispatcher_thread() const { return std::this_thread::get_id() == th_.get_id(); }

private:
  void loop();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  bool stop_ = false;
  std::thread th_;
};

} // namespace sp
