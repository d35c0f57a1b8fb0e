// The control plane's callers' side (control_plane.h): the gate check, the
// hand-off of each call to the control thread (sequence number, crash
// journal, on-demand wake), session begin/end requests, observation, and the
// assembly of the parts. The control thread is control_thread.cpp; the class
// both share is control_plane_impl.h.
#include "control/control_plane_impl.h"
#include "control/live_policy.h"
#include "control/trainer.h"
#include "core/wall_clock.h"

namespace sp {

ControlPlaneImpl::ControlPlaneImpl(const ControlOptions &opt, const PlaybackView *view, EventSink sink,
                                   std::unique_ptr<BehaviourLog> log, LivePolicy policy,
                                   std::unique_ptr<Trainer> trainer)
    : opt_(opt), view_(view), sink_(std::move(sink)), log_(std::move(log)),
      journal_(log_ ? opt.db_path : std::string(), sink_),
      writer_(log_.get(), SessionWriter::Options{opt.busy_timeout_ms, opt.batch_ms}, sink_,
              journal_.journal()),
      decider_(std::move(policy), std::move(trainer)) {
  publish_policy();
  th_ = std::thread([this] { run(); });
}

void ControlPlaneImpl::shutdown() {
  // A retraining run under way stops soon, and the session end below
  // starts none (sp_player_destroy never waits for a fit).
  decider_.cancel_trainer();
  post([&] { stop_ = true; });
  if (th_.joinable()) th_.join();
  decider_.join_trainer();
}

int ControlPlaneImpl::begin_session(const SessionInfo &info, int64_t *session_id, std::string &err) {
  std::promise<BeginResult> reply;
  Item it{Item::Begin};
  it.info = info;
  it.reply = &reply;
  post([&] {
    q_.push_back(std::move(it));
    next_seq_ = 2; // the Open event is seq 1
  });
  BeginResult res = reply.get_future().get();
  if (res.code != kOk) err = res.err;
  if (session_id) *session_id = res.session_id;
  return res.code;
}

void ControlPlaneImpl::end_session(const std::string &reason) {
  std::string jerr;
  post([&] { q_.push_back(end_item_locked(reason, jerr)); });
  if (!jerr.empty()) journal_.report(jerr, 0);
}

bool ControlPlaneImpl::admit() {
  if (!opt_.strict) return true;
  std::lock_guard lk(mu_);
  if (state_ != ControlState::Asleep) return true;
  stats_.count_miss(); // the seed's experiment: the call is ignored
  return false;
}

int64_t ControlPlaneImpl::submit(Kind kind, int64_t position_ms, const Interaction &payload) {
  Item it{Item::Event, payload};
  it.ix.kind = kind;
  it.ix.position_ms = position_ms;
  if (it.ix.wall_ms == 0) it.ix.wall_ms = wall_now_ms();
  it.arrival = Clock::now();
  int64_t seq = 0;
  std::string jerr;
  // Awake: committed within batch_ms; asleep: the notify wakes the thread on demand now.
  post([&] {
    seq = it.ix.seq = next_seq_++;
    stats_.count_submitted();
    if (state_ == ControlState::Asleep) state_ = ControlState::Waking;
    it.arrived_asleep = state_ == ControlState::Waking;
    // Crash-safe before the call returns: one write(2) into the page cache,
    // in queue order (so the journal's order is the writer's).
    it.journal_end = journal_.append_event(it.ix, jerr);
    q_.push_back(std::move(it));
  });
  if (!jerr.empty()) journal_.report(jerr, seq);
  return seq;
}

ControlStatus ControlPlaneImpl::status() const {
  std::lock_guard lk(mu_);
  return ControlStatus{state_, state_ == ControlState::Asleep ? times_.wakes_in_ms(Clock::now()) : -1};
}

ControlStats ControlPlaneImpl::stats() const {
  ControlStats st;
  std::lock_guard lk(mu_);
  stats_.fill(st, Clock::now(), session_open_, state_ == ControlState::Asleep);
  st.events_logged = writer_.events_logged();
  st.events_dropped = writer_.events_dropped();
  return st;
}

std::vector<PredictedWindow> ControlPlaneImpl::predicted_windows() const {
  std::lock_guard lk(mu_);
  return windows_;
}

// The end of the session open now (mu_ held), journalled; a failure to
// journal is left in jerr, to report without the lock.
Item ControlPlaneImpl::end_item_locked(const std::string &reason, std::string &jerr) {
  Item it{Item::End};
  it.reason = reason;
  it.end_wall_ms = wall_now_ms();
  it.journal_end = journal_.append_end(it.end_wall_ms, it.reason, jerr);
  return it;
}

// The policy's name and model, for stats().
void ControlPlaneImpl::publish_policy() {
  const LivePolicy &p = decider_.policy();
  std::lock_guard lk(mu_);
  stats_.set_policy(p.name, p.model_version, p.model_log_loss);
}

int ControlPlane::create(const ControlOptions &opt, const PlaybackView *view, EventSink sink,
                         std::unique_ptr<ControlPlane> &out, std::string &err) {
  CostModel cost = CostModel::defaults();
  if (std::string why; !opt.cost.empty() && !CostModel::parse(opt.cost, cost, &why)) {
    err = "cost: " + why + "; expected \"h,w,m\" (h > 0, w, m >= 0), got \"" + opt.cost + "\"";
    return kErrInvalidArgument;
  }
  std::unique_ptr<BehaviourLog> log;
  if (!opt.db_path.empty())
    if (int r = BehaviourLog::open(opt.db_path, LogOptions{opt.busy_timeout_ms}, log, err)) return r;
  LivePolicy policy;
  if (int r =
          make_starting_policy(opt.policy, opt.policy_override, cost, opt.timeout_s, log.get(), policy, err))
    return r;
  std::unique_ptr<Trainer> trainer; // online retraining opens the database by path
  if (opt.online_learning && log && !opt.db_path.empty())
    trainer = std::make_unique<Trainer>(
        Trainer::Options{opt.db_path, opt.busy_timeout_ms, cost, opt.timeout_s}, sink);
  out = std::make_unique<ControlPlaneImpl>(opt, view, std::move(sink), std::move(log), std::move(policy),
                                           std::move(trainer));
  return kOk;
}

} // namespace sp
