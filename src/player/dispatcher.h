// One library thread (sp-events) that runs queued tasks in order: host event
// callbacks (sp_event_fn) and the player's own follow-ups that may block
// (ending a session at end of file, closing an engine stopped from one of its
// own callbacks, releasing an idle audio device). Tasks can also be timed
// (post_at): the thread then sleeps until the earliest one is due, and
// otherwise until a task is posted: no periodic wake-ups.
//
// Thread safety: every method from any thread; posting never blocks on the
// tasks. Tasks run one at a time on the dispatcher thread.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace sp {

class Dispatcher {
public:
  Dispatcher();
  ~Dispatcher(); // runs what is queued, then joins
  Dispatcher(const Dispatcher &) = delete;
  Dispatcher &operator=(const Dispatcher &) = delete;

  // Queue a task. False once stopped (the task is dropped).
  bool post(std::function<void()> task);
  // Run `task` at `due_s` (now_s() time) unless cancelled first. Returns its
  // id (> 0), or 0 once stopped.
  uint64_t post_at(double due_s, std::function<void()> task);
  // Cancel a timed task that has not started (unknown ids are ignored).
  void cancel(uint64_t id);
  // Run everything queued (timed tasks not yet due are dropped) and stop the
  // thread (idempotent).
  void stop();
  bool on_dispatcher_thread() const { return std::this_thread::get_id() == th_.get_id(); }

private:
  void loop();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  std::map<std::pair<double, uint64_t>, std::function<void()>> timed_; // (due, id) -> task
  uint64_t next_id_ = 1;
  bool stop_ = false;
  std::thread th_;
};

} // namespace sp
