// The control thread: the gate and the sleep/wake state machine. It takes
// what callers submit, in order, hands it to the session writer and the
// decider, follows the decider's schedule on its timetable (sleep, wake, ask
// again) and signals the host (the parts: control_plane.h; the callers' side:
// control_plane.cpp).
//
// While asleep the thread waits either with no timeout at all (wake on demand
// only) or until exactly the scheduled wake: nothing else arms a timer, so
// between scheduled wakes the thread does not run (control_wakeups counts
// every return from a wait, spurious included).
#include <sys/syscall.h>
#include <unistd.h>

#include "control/control_plane_impl.h"
#include "core/thread_name.h"
#include "core/wall_clock.h"

namespace sp {

void ControlPlaneImpl::run() {
  set_thread_name("sp-control");
  tid_.store(static_cast<pid_t>(::syscall(SYS_gettid)));
  journal_.recover(log_.get()); // before serving anything
  std::unique_lock lk(mu_);
  for (;;) {
    while (!q_.empty()) { // take what is queued, in order
      Item it = std::move(q_.front());
      q_.pop_front();
      unlocked(lk, [&] {
        if (it.type == Item::Begin) return handle_begin(it);
        if (it.type == Item::End) return handle_end(it);
        handle_event(it);
      });
    }
    if (stop_) break;

    const auto now = Clock::now();
    const bool awake = state_ == ControlState::Awake && session_open_;
    if (writer_.due(now)) { // commit the batch when due
      unlocked(lk, [&] { writer_.flush(false); });
    } else if (awake && times_.stretch_over(now) && times_.asks_again()) {
      unlocked(lk, [&] { decide(true); }); // a zero-length sleep: no sleep, a new decision point
    } else if (awake && times_.stretch_over(now)) {
      // Going to sleep: commit first so nothing waits in memory while asleep
      // (if that fails, the stretch stays over and this is tried again).
      bool flushed = false;
      unlocked(lk, [&] { flushed = writer_.flush(false); });
      if (flushed && q_.empty()) go_to_sleep(lk);
    } else if (awake && playing() && times_.progress_due(now)) {
      times_.progress_sent(now);
      const int64_t pos = position();
      unlocked(lk, [&] { emit(sink_, EventType::Progress, kOk, pos, pos, 0, "progress"); });
    } else if (state_ == ControlState::Asleep) {
      wait_asleep(lk);
    } else {
      std::optional<Clock::time_point> dl = session_open_ ? times_.awake_deadline(playing()) : std::nullopt;
      if (auto due = writer_.due_at()) dl = dl ? std::min(*dl, *due) : *due;
      if (dl)
        cv_.wait_until(lk, *dl);
      else
        cv_.wait(lk);
      stats_.count_wakeup();
    }
  }
  lk.unlock();
  // Shutdown: end the open session and write everything accepted.
  if (session_open_) end_open_session("abandoned");
  writer_.flush(true);
}

// Asleep: no timeout at all, or exactly until the proactive wake.
void ControlPlaneImpl::wait_asleep(std::unique_lock<std::mutex> &lk) {
  if (auto dl = times_.wake_at()) {
    cv_.wait_until(lk, *dl);
    stats_.count_wakeup();
    if (q_.empty() && !stop_ && Clock::now() >= *dl) {
      unlocked(lk, [&] {
        wake(WakeReason::Proactive, true);
        decide(true);
      });
    }
  } else {
    cv_.wait(lk);
    stats_.count_wakeup();
  }
}

void ControlPlaneImpl::handle_begin(Item &it) {
  if (session_open_) end_open_session("replaced");
  if (decider_.adopt_retrained()) publish_policy(); // a model retrained on line
  if (!fallback_told_) {
    // policy=auto fell back (a stored model this build cannot use): said at
    // the first session's start, when the host's event callback is in place
    // (at creation it cannot be yet), as an error event with the reason.
    fallback_told_ = true;
    if (const LivePolicy &p = decider_.policy(); !p.fallback_reason.empty())
      emit(sink_, EventType::Error, p.fallback_code, 0, 0, 0, p.fallback_reason);
  }
  BeginResult res;
  anchor_wall_clock(); // a session's stamps count on the monotonic clock from here
  const int64_t wall = wall_now_ms();
  res.code = writer_.begin_session(it.info, decider_.policy().name, wall, res.session_id, res.err);
  if (res.code == kOk) {
    decider_.begin_session(res.session_id, it.info, wall);
    journal_.record_start(res.session_id, wall);
    {
      std::lock_guard lk(mu_);
      journal_.session_started(res.session_id);
      session_open_ = true;
      const auto now = Clock::now();
      times_.progress_now(now);
      stats_.begin_session(now);
      stats_.count_submitted(); // the Open event
    }
    if (state() != ControlState::Awake) wake(WakeReason::Proactive, false);
    decide(false);
  }
  it.reply->set_value(std::move(res));
}

// A session end that no caller asked for (a new session replaces it, or
// the plane shuts down).
void ControlPlaneImpl::end_open_session(const std::string &reason) {
  std::string jerr;
  Item it{Item::End};
  {
    std::lock_guard lk(mu_);
    it = end_item_locked(reason, jerr);
  }
  if (!jerr.empty()) journal_.report(jerr, 0);
  handle_end(it);
}

void ControlPlaneImpl::handle_end(const Item &it) {
  if (!session_open_) return;
  const int64_t wall = it.end_wall_ms;
  const std::string &reason = it.reason;
  writer_.end_session(decider_.session_id(), wall, reason, it.journal_end);
  writer_.flush(false); // a failure keeps the end queued behind its events
  // No wake here: with no session there is nothing to serve, so a plane
  // that sleeps stays asleep (the host keeps its resources released) until
  // the next session begins, which wakes it.
  {
    std::lock_guard lk(mu_);
    stats_.end_stretch(Clock::now(), state_ == ControlState::Awake);
    session_open_ = false;
    times_.clear(); // no proactive wake without a session
    windows_.clear();
  }
  decider_.end_session(wall, reason);
}

void ControlPlaneImpl::handle_event(Item &it) {
  if (!session_open_) {
    // The player submits only with a session open (a call and the session's
    // end are ordered by its control lock). Should one come all the same,
    // it is counted and said, never lost without a word.
    writer_.count_dropped();
    emit(sink_, EventType::Error, kErrInternal, 1, it.ix.position_ms, it.ix.seq,
         std::string(kind_name(it.ix.kind)) +
             " arrived with no session open; not written (counted in events_dropped)");
    return;
  }
  if (it.arrived_asleep) {
    // On-demand wake: the call was applied to playback already; open the gate now.
    if (is_viewer_action(it.ix.kind)) {
      std::lock_guard lk(mu_);
      stats_.count_miss();
    }
    if (state() != ControlState::Awake) wake(WakeReason::OnDemand, true, it.arrival);
  }
  decider_.add(it.ix);
  writer_.add_event(decider_.session_id(), it.ix, it.journal_end);
  if (is_viewer_action(it.ix.kind) || it.ix.kind == Kind::End) decide(false);
}

// Ask the policy; follow its schedule and keep its windows.
void ControlPlaneImpl::decide(bool after_proactive) {
  Decider::Decision d = decider_.decide(view_, wall_now_ms(), after_proactive);
  std::lock_guard lk(mu_);
  windows_ = std::move(d.windows);
  times_.follow(d.schedule, Clock::now());
}

void ControlPlaneImpl::go_to_sleep(std::unique_lock<std::mutex> &lk) {
  // Called with lk held and nothing queued.
  const auto now = Clock::now();
  stats_.end_stretch(now, true);
  state_ = ControlState::Asleep;
  const int64_t planned = times_.fall_asleep(now);
  unlocked(lk, [&] {
    record_decision("sleep", "policy", planned);
    // Decisions are part of the log: commit before blocking. (A decision row
    // that a locked db refused stays queued and is written after the next wake.)
    writer_.flush(false);
    host_(false, WakeReason::None);
    emit(sink_, EventType::ControlSleep, kOk, planned, position(), 0, "asleep");
  });
}

// Open the gate: awake again. Runs on the control thread.
// `call_arrival`: for an on-demand wake, when the waking call arrived (its
// latency to the gate opening is recorded as the gate opens).
void ControlPlaneImpl::wake(WakeReason reason, bool record, std::optional<Clock::time_point> call_arrival) {
  {
    std::lock_guard lk(mu_);
    const auto now = Clock::now();
    stats_.end_stretch(now, false);
    times_.woke(now);
    // While the host's callback runs the plane is waking, not asleep: a
    // proactive wake too (a call arriving now is a miss, as for any wake).
    if (state_ == ControlState::Asleep) state_ = ControlState::Waking;
    if (record) stats_.count_wake(reason == WakeReason::Proactive);
  }
  host_(true, reason); // the host re-acquires its resources; gate opens on return
  {
    std::lock_guard lk(mu_);
    state_ = ControlState::Awake;
    if (call_arrival) stats_.add_wake_latency(*call_arrival, Clock::now());
  }
  if (record) record_decision("wake", reason == WakeReason::Proactive ? "proactive" : "on_demand", -1);
  emit(sink_, EventType::ControlWake, kOk, static_cast<int64_t>(reason), position(), 0, "awake");
}

void ControlPlaneImpl::record_decision(const char *action, const char *reason, int64_t planned) {
  if (log_) writer_.add_decision(decider_.decision_row(action, reason, planned, position(), wall_now_ms()));
}

} // namespace sp
