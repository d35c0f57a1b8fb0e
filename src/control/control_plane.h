// The control plane: the in-process control "server" thread that every
// control call passes through (the gate). It logs each interaction to the
// behaviour log, runs the policy, sleeps and wakes, and signals the host.
// The player owns one ControlPlane; the player never blocks on it.
//
// Its parts, one job a file: the callers' side of the gate (control_plane.cpp),
// the control thread's sleep/wake state machine (control_thread.cpp; the
// class both share: control_plane_impl.h), the crash journal kept for each
// accepted call (call_journal.h), the session writer (session_writer.h), the decider
// (decider.h: the policy in force and the session as it sees it), the seek
// bar's windows (predicted_windows.h), online retraining (trainer.h), the
// statistics (control_stats.h) and the choice of policy (live_policy.h).
//
// Layering: C API -> player -> {decode, render, control}; control -> policy /
// predictor -> log. The control plane knows the player only through
// PlaybackView, and uses none of the C API's types (the player converts).
//
// Thread safety: every member may be called from any thread unless its
// comment says otherwise.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "control/control_stats.h"
#include "control/playback_view.h"
#include "control/predicted_windows.h"
#include "control/session_info.h"
#include "core/event.h"
#include "core/interaction.h"
#include "policy/policy.h"

namespace sp {

// The control plane's own vocabulary; the player turns each into the C API's
// type (player/c_types.h). Internal layers never see the public structs.
enum class ControlState { Awake = 0, Asleep = 1, Waking = 2 };
enum class WakeReason { None = 0, Proactive = 1, OnDemand = 2 }; // None: going to sleep

// Tells the host's side that the plane went to sleep (awake = false, reason
// None) or woke (awake = true); runs on the control thread, and the gate opens
// when it returns.
using ControlSignal = std::function<void(bool awake, WakeReason reason)>;

// The host's signal, set from any thread and called on the control thread
// (a copy, taken under its lock, is called without it).
class HostSignal {
public:
  void set(ControlSignal signal) {
    std::lock_guard lk(mu_);
    signal_ = std::move(signal);
  }
  void operator()(bool awake, WakeReason reason) const {
    ControlSignal copy;
    {
      std::lock_guard lk(mu_);
      copy = signal_;
    }
    if (copy) copy(awake, reason);
  }

private:
  mutable std::mutex mu_;
  ControlSignal signal_;
};

struct ControlStatus {
  ControlState state = ControlState::Awake;
  int64_t wakes_in_ms = -1; // asleep with a wake scheduled: ms until it, else -1
};

struct ControlOptions {
  std::string db_path;         // "" = no behaviour log
  int busy_timeout_ms = 5000;  // retry a locked db this long before reporting SP_ERR_DB_LOCKED
  int batch_ms = 200;          // max delay before queued events are committed
  std::string policy = "auto"; // see sp_config_set "policy"
  std::string cost;            // "h,w,m" or "" for defaults
  double timeout_s = -1;       // fixed-timeout tau; <0 = w/h
  bool strict = false;         // seed experiment: calls ignored while asleep
  bool online_learning = true;
  // Internal (tests, benchmarks): run this policy instead of building one
  // from `policy`. Never set through the C API.
  std::shared_ptr<Policy> policy_override;
};

class ControlPlane {
public:
  // Opens (creating/migrating) the db and starts the control thread. `sink`
  // receives Logged / ControlSleep / ControlWake / Progress / Error /
  // ModelUpdated events (core/event.h); the player forwards them to the host.
  // Returns kOk or an error code (core/result.h) with a message in err.
  static int create(const ControlOptions &opt, const PlaybackView *view, EventSink sink,
                    std::unique_ptr<ControlPlane> &out, std::string &err);
  virtual ~ControlPlane() = default; // implementations flush every accepted event and join

  // Start a viewing session: registers video and viewer, writes the session
  // row and its Open event (seq 1). Blocks until that row is written (this is
  // called from sp_open, not from a control call).
  virtual int begin_session(const SessionInfo &info, int64_t *session_id, std::string &err) = 0;
  // End the current session with a reason; its end is written after its events.
  virtual void end_session(const std::string &reason) = 0;
  // Flushes every accepted event, then joins the control and training
  // threads (a retraining run under way is waited for). Afterwards the getters still answer (the last
  // figures) and nothing more is served. The destructor calls it. Not concurrent with itself.
  virtual void shutdown() = 0;

  // Gate check before a control call is applied: false only in strict mode
  // while asleep (the seed's experiment: the call is ignored). Never blocks.
  virtual bool admit() = 0;
  // Hand an interaction that was just applied to playback to the control
  // thread. Assigns and returns its sequence number. Never blocks on the log,
  // the predictor or a sleeping control thread (it wakes it on demand).
  virtual int64_t submit(Kind kind, int64_t position_ms, const Interaction &payload) = 0;

  // Host signals and observation ([any thread]).
  virtual void set_control_signal(ControlSignal signal) = 0; // empty: none
  virtual ControlStatus status() const = 0;
  virtual ControlStats stats() const = 0;
  virtual std::vector<PredictedWindow> predicted_windows() const = 0;
  // Internal (tests): the control thread's kernel thread id (0 before it runs),
  // to read its context switches from /proc.
  virtual long thread_id() const = 0;
};

} // namespace sp
