// The control thread's decision-maker: the policy in force and the session so
// far as the policy sees it. At a decision point it builds the policy's
// context from that session and the player's state, asks the policy, and
// returns its plan as a Schedule (policy/schedule.h) together with the seek
// bar's predicted windows. With online learning it owns the trainer
// (trainer.h): a session's end starts a retraining run (learned policy only),
// and the policy it stages is adopted as the next session begins. It also
// writes the decision rows' common fields.
//
// Thread safety: the control thread only, except cancel_trainer() (any thread).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "control/live_policy.h"
#include "control/playback_view.h"
#include "control/predicted_windows.h"
#include "control/session_info.h"
#include "control/trainer.h"
#include "log/behaviour_log.h"
#include "policy/schedule.h"
#include "trace/trace.h"

namespace sp {

class Decider {
public:
  static constexpr int kMaxWindows = 8; // predicted windows kept for the seek bar

  struct Decision {
    Schedule schedule;
    std::vector<PredictedWindow> windows;
  };

  // `trainer` may be null (no online learning).
  Decider(LivePolicy policy, std::unique_ptr<Trainer> trainer)
      : live_(std::move(policy)), trainer_(std::move(trainer)) {}

  const LivePolicy &policy() const { return live_; }
  // Before a session begins: adopt the policy a retraining run staged, if
  // any (true when the policy in force changed).
  bool adopt_retrained();
  // Shutdown: make a retraining run under way stop soon and start no more
  // ([any thread]: only sets the trainer's flag), then wait for it.
  void cancel_trainer();
  void join_trainer();

  // A session begins (its Open event, seq 1, at start_wall_ms), gets an
  // interaction, ends (which may start a retraining run).
  void begin_session(int64_t session_id, const SessionInfo &info, int64_t start_wall_ms);
  void add(const Interaction &ix);
  void end_session(int64_t end_wall_ms, const std::string &reason);
  int64_t session_id() const { return session_id_; }
  const TraceSession &session() const { return cur_; }

  // Ask the policy at this decision point (`view` may be null: paused at 0).
  Decision decide(const PlaybackView *view, int64_t now_wall_ms, bool after_proactive_wake);

  // A decision row under the policy in force, at the latest interaction's seq.
  DecisionRow decision_row(const char *action, const char *reason, int64_t planned_ms, int64_t position_ms,
                           int64_t wall_ms) const;

private:
  LivePolicy live_;
  std::unique_ptr<Trainer> trainer_;
  TraceSession cur_;
  int64_t session_id_ = 0;
};

} // namespace sp
