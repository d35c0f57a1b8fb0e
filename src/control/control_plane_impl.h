// Private to the control plane's two files: control_plane.cpp (the callers'
// side: admit, submit, session begin/end requests, observation, assembly) and
// control_thread.cpp (the control thread: the gate's sleep/wake state
// machine). Not for use elsewhere: the interface is control_plane.h.
//
// One mutex (mu_) guards the queue and the observable state; callers change
// them under it and notify the control thread, which sleeps on one condition
// variable. Each member says which side uses it.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "control/call_journal.h"
#include "control/control_plane.h"
#include "control/decider.h"
#include "control/session_writer.h"
#include "control/timetable.h"
#include "core/result.h"
#include "log/behaviour_log.h"

namespace sp {

using Clock = std::chrono::steady_clock;

struct BeginResult {
  int code = kOk;
  int64_t session_id = 0;
  std::string err;
};

// What the callers hand the control thread, in order.
struct Item {
  enum Type { Event, Begin, End } type;
  explicit Item(Type t, const Interaction &i = {}) : type(t), ix(i) {}
  Interaction ix;                             // Event
  bool arrived_asleep = false;                // Event: the call found the plane asleep (or waking)
  Clock::time_point arrival{};                // Event
  SessionInfo info;                           // Begin
  std::promise<BeginResult> *reply = nullptr; // Begin
  std::string reason;                         // End
  int64_t end_wall_ms = 0;                    // End
  int64_t journal_end = 0;                    // Event, End: offset past its journal record (0: none)
};

class ControlPlaneImpl final : public ControlPlane {
public:
  ControlPlaneImpl(const ControlOptions &opt, const PlaybackView *view, EventSink sink,
                   std::unique_ptr<BehaviourLog> log, LivePolicy policy, std::unique_ptr<Trainer> trainer);

  ~ControlPlaneImpl() override { shutdown(); }

  void shutdown() override;

  // ------------------------------------------------------------ callers' side
  int begin_session(const SessionInfo &info, int64_t *session_id, std::string &err) override;
  void end_session(const std::string &reason) override;
  bool admit() override;
  int64_t submit(Kind kind, int64_t position_ms, const Interaction &payload) override;
  void set_control_signal(ControlSignal signal) override { host_.set(std::move(signal)); }

  ControlStatus status() const override;
  ControlStats stats() const override;

  std::vector<PredictedWindow> predicted_windows() const override;
  long thread_id() const override { return static_cast<long>(tid_.load()); }

private:
  // Change the state under mu_, then wake the control thread.
  template <class F> void post(F &&change) {
    {
      std::lock_guard lk(mu_);
      change();
    }
    cv_.notify_all();
  }

  // The end of the session open now (mu_ held), journalled; a failure to
  // journal is left in jerr, to report without the lock.
  Item end_item_locked(const std::string &reason, std::string &jerr);

  // ------------------------------------------------------------ control thread
  void run();

  // Asleep: no timeout at all, or exactly until the proactive wake.
  void wait_asleep(std::unique_lock<std::mutex> &lk);

  template <class F> void unlocked(std::unique_lock<std::mutex> &lk, F &&f) {
    lk.unlock();
    f();
    lk.lock();
  }

  ControlState state() const {
    std::lock_guard lk(mu_);
    return state_;
  }
  bool playing() const { return view_ && !view_->paused(); }
  int64_t position() const { return view_ ? view_->position_ms() : 0; }

  // The policy's name and model, for stats().
  void publish_policy();
  void handle_begin(Item &it);

  // A session end that no caller asked for (a new session replaces it, or
  // the plane shuts down).
  void end_open_session(const std::string &reason);
  void handle_end(const Item &it);
  void handle_event(Item &it);

  // Ask the policy; follow its schedule and keep its windows.
  void decide(bool after_proactive);
  void go_to_sleep(std::unique_lock<std::mutex> &lk);

  // Open the gate: awake again. Runs on the control thread.
  // `call_arrival`: for an on-demand wake, when the waking call arrived (its
  // latency to the gate opening is recorded as the gate opens).
  void wake(WakeReason reason, bool record, std::optional<Clock::time_point> call_arrival = std::nullopt);
  void record_decision(const char *action, const char *reason, int64_t planned);

  ControlOptions opt_;
  const PlaybackView *view_;
  EventSink sink_;
  std::unique_ptr<BehaviourLog> log_; // control thread only
  CallJournal journal_;               // appends: callers (under mu_); the rest: control thread
  SessionWriter writer_;              // control thread only (its counters: any thread)
  Decider decider_;                   // control thread only (and the trainer it owns)
  bool fallback_told_ = false;        // control thread only: the policy's fallback reason was reported
  std::thread th_;
  std::atomic<pid_t> tid_{0};

  mutable std::mutex mu_; // everything below
  std::condition_variable cv_;
  std::deque<Item> q_;
  bool stop_ = false;
  int64_t next_seq_ = 1;
  ControlState state_ = ControlState::Awake;
  bool session_open_ = false;
  Timetable times_;
  std::vector<PredictedWindow> windows_;
  SessionStats stats_;

  HostSignal host_;
};

} // namespace sp
