// The control plane: the in-process control "server" thread that every
// control call passes through (the gate). It logs each interaction to the
// behaviour log, runs the policy, sleeps and wakes, and signals the host.
// The player owns one ControlPlane; the player never blocks on it.
//
// Layering: C API -> player -> {decode, render, control}; control -> policy /
// predictor -> log. The control plane knows the player only through
// PlaybackView.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/interaction.h"
#include "policy/policy.h"

namespace sp {

// Read-only view of playback (position, pause, rate) the control thread uses to map media positions
// to deadlines. Implemented by the player; must be callable from any thread.
class PlaybackView {
public:
  virtual ~PlaybackView() = default;
  virtual int64_t position_ms() const = 0;
  virtual bool paused() const = 0;
  virtual double rate() const = 0;
};

// The control plane's own vocabulary; the player turns each into the C API's
// type (player/c_types.h). Internal layers never see the public structs.
enum class ControlState { Awake = 0, Asleep = 1, Waking = 2 };
enum class WakeReason { None = 0, Proactive = 1, OnDemand = 2 }; // None: going to sleep

// Tells the host's side that the plane went to sleep (awake = false, reason
// None) or woke (awake = true); runs on the control thread, and the gate opens
// when it returns.
using ControlSignal = std::function<void(bool awake, WakeReason reason)>;

struct ControlStatus {
  ControlState state = ControlState::Awake;
  int64_t wakes_in_ms = -1; // asleep with a wake scheduled: ms until it, else -1
};

// Statistics of the current (or last) session (see sp_stats for each meaning).
struct ControlStats {
  double awake_s = 0, asleep_s = 0;
  int64_t wakes_proactive = 0, wakes_on_demand = 0, misses = 0;
  double wake_latency_p50_ms = 0, wake_latency_p99_ms = 0;
  int64_t control_wakeups = 0;
  int64_t events_submitted = 0, events_logged = 0, events_dropped = 0;
  std::string policy, model_version;
  double model_log_loss = -1;
};

// A predicted awake window, in media positions (for a seek bar).
struct PredictedWindow {
  int64_t start_ms = 0, end_ms = 0;
  bool operator==(const PredictedWindow &) const = default;
};

struct ControlOptions {
  std::string db_path;          // "" = no behaviour log
  int busy_timeout_ms = 5000;   // retry a locked db this long before reporting SP_ERR_DB_LOCKED
  int batch_ms = 200;           // max delay before queued events are committed
  std::string policy = "auto";  // see sp_config_set "policy"
  std::string cost;             // "h,w,m" or "" for defaults
  double timeout_s = -1;        // fixed-timeout tau; <0 = w/h
  bool strict = false;          // seed experiment: calls ignored while asleep
  bool online_learning = true;
  // Internal (tests, benchmarks): run this policy instead of building one
  // from `policy`. Never set through the C API.
  std::shared_ptr<Policy> policy_override;
};

struct SessionInfo {
  std::string video_id, title, genre, path, viewer_id;
  int64_t duration_ms = 0;
};

class ControlPlane {
public:
  // Receives Logged / ControlSleep / ControlWake / Progress / Error /
  // ModelUpdated events (core/event.h); the player forwards them to the host.

  // Opens (creating/migrating) the db and starts the control thread.
  // Returns kOk or an error code (core/result.h) with a message in err.
  static int create(const ControlOptions &opt, const PlaybackView *probe, EventSink sink,
                    std::unique_ptr<ControlPlane> &out, std::string &err);
  virtual ~ControlPlane() = default;  // implementations flush every accepted event and join

  // Start a viewing session: registers video and viewer, writes the session
  // row and its Open event (seq 1). Blocks until that row is written (this is
  // called from sp_open, not from a control call).
  virtual int begin_session(const SessionInfo &info, int64_t *session_id, std::string &err) = 0;
  // End the current session with a reason; its events are flushed first.
  virtual void end_session(const std::string &reason) = 0;
  // Flushes every accepted event, then joins the control and training
  // threads. Afterwards the getters still answer (the last figures) and
  // nothing more is served. The destructor calls it. Not concurrent with itself.
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
