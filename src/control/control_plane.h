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

#include "core/interaction.h"
#include "policy/policy.h"
#include "smartplayer.h"

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
  // Delivers SP_EVENT_LOGGED / CONTROL_SLEEP / CONTROL_WAKE / PROGRESS / ERROR /
  // MODEL_UPDATED to the player, which forwards them to the host's callback.
  using EventSink = std::function<void(const sp_event &)>;

  // Opens (creating/migrating) the db and starts the control thread.
  // Returns SP_OK or an SP_ERR_* code with a message in err.
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
  virtual void set_control_callback(sp_control_fn fn, void *user) = 0;
  virtual void control_state(int *state, int64_t *wakes_in_ms) const = 0;
  virtual void stats(sp_stats &st) const = 0;
  virtual std::vector<sp_window> predicted_windows() const = 0;
  // Internal (tests): the control thread's kernel thread id (0 before it runs),
  // to read its context switches from /proc.
  virtual long thread_id() const = 0;
};

} // namespace sp
