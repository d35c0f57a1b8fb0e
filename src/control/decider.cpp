#include "control/decider.h"

namespace sp {

void Decider::begin_session(int64_t session_id, const SessionInfo &info, int64_t start_wall_ms) {
  session_id_ = session_id;
  cur_ = TraceSession{};
  cur_.session_id = std::to_string(session_id);
  cur_.viewer = info.viewer_id;
  cur_.video = info.video_id;
  cur_.genre = info.genre.empty() ? "unknown" : info.genre;
  cur_.duration_ms = info.duration_ms;
  cur_.start_wall_ms = start_wall_ms;
  Interaction open;
  open.seq = 1;
  open.kind = Kind::Open;
  open.wall_ms = start_wall_ms;
  cur_.events.push_back(open);
}

void Decider::add(const Interaction &ix) {
  cur_.events.push_back(ix);
}

void Decider::end_session(int64_t end_wall_ms, const std::string &reason) {
  cur_.end_wall_ms = end_wall_ms;
  cur_.end_reason = reason;
  if (trainer_ && live_.name == "learned") trainer_->start();
}

bool Decider::adopt_retrained() {
  auto staged = trainer_ ? trainer_->take_staged() : nullptr;
  if (!staged) return false;
  live_ = std::move(*staged);
  return true;
}

void Decider::cancel_trainer() {
  if (trainer_) trainer_->cancel();
}

void Decider::join_trainer() {
  if (trainer_) trainer_->join();
}

Decider::Decision Decider::decide(const PlaybackView *view, int64_t now_wall_ms, bool after_proactive_wake) {
  PolicyContext ctx;
  ctx.session = &cur_;
  ctx.now_wall_ms = now_wall_ms;
  ctx.position_ms = view ? view->position_ms() : 0;
  ctx.paused = view ? view->paused() : true;
  ctx.rate = view ? view->rate() : 1.0;
  ctx.after_proactive_wake = after_proactive_wake;
  Decision d;
  if (!live_.policy) return d; // no policy: awake, no windows
  const Plan plan = live_.policy->plan(ctx);
  d.windows = predict_windows(*live_.policy, ctx, plan, cur_.duration_ms, kMaxWindows);
  d.schedule = schedule_of(plan);
  return d;
}

DecisionRow Decider::decision_row(const char *action, const char *reason, int64_t planned_ms,
                                  int64_t position_ms, int64_t wall_ms) const {
  DecisionRow d;
  d.session_id = session_id_;
  d.wall_ms = wall_ms;
  d.position_ms = position_ms;
  d.action = action;
  d.reason = reason;
  d.policy = live_.name;
  d.planned_ms = planned_ms;
  d.seq = cur_.events.empty() ? 0 : cur_.events.back().seq;
  return d;
}

} // namespace sp
