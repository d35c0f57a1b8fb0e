// The control thread: the gate and the sleep/wake state machine. It takes
// what callers submit, in order, hands it to the session writer and the
// decider, follows the decider's schedule on its timetable (sleep, wake, ask
// again) and signals the host (the parts: control_plane.h).
//
// One mutex (mu_) guards the queue and the observable state; the thread
// sleeps on one condition variable. While asleep it waits either with no
// timeout at all (wake on demand only) or until exactly the scheduled wake:
// nothing else arms a timer, so between scheduled wakes the thread does not
// run (control_wakeups counts every return from a wait, spurious included).
#include "control/control_plane.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "control/call_journal.h"
#include "control/decider.h"
#include "control/live_policy.h"
#include "control/session_writer.h"
#include "control/timetable.h"
#include "control/trainer.h"
#include "core/result.h"
#include "core/thread_name.h"
#include "core/wall_clock.h"
#include "log/behaviour_log.h"

namespace sp {
namespace {

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
                   std::unique_ptr<BehaviourLog> log, LivePolicy policy, std::unique_ptr<Trainer> trainer)
      : opt_(opt), view_(view), sink_(std::move(sink)), log_(std::move(log)),
        journal_(log_ ? opt.db_path : std::string(), sink_),
        writer_(log_.get(), SessionWriter::Options{opt.busy_timeout_ms, opt.batch_ms}, sink_, journal_.journal()),
        decider_(std::move(policy), std::move(trainer)) {
    publish_policy();
    th_ = std::thread([this] { run(); });
  }

  ~ControlPlaneImpl() override { shutdown(); }

  void shutdown() override {
    // A retraining run under way stops soon, and the session end below
    // starts none (sp_player_destroy never waits for a fit).
    decider_.cancel_trainer();
    post([&] { stop_ = true; });
    if (th_.joinable()) th_.join();
    decider_.join_trainer();
  }

  // ------------------------------------------------------------ callers' side
  int begin_session(const SessionInfo &info, int64_t *session_id, std::string &err) override {
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

  void end_session(const std::string &reason) override {
    Item it{Item::End};
    it.reason = reason;
    it.end_wall_ms = wall_now_ms();
    std::string jerr;
    post([&] {
      it.journal_end = journal_.append_end(it.end_wall_ms, it.reason, jerr);
      q_.push_back(std::move(it));
    });
    if (!jerr.empty()) journal_.report(jerr, 0);
  }

  bool admit() override {
    if (!opt_.strict) return true;
    std::lock_guard lk(mu_);
    if (state_ != ControlState::Asleep) return true;
    stats_.count_miss(); // the seed's experiment: the call is ignored
    return false;
  }

  int64_t submit(Kind kind, int64_t position_ms, const Interaction &payload) override {
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

  void set_control_signal(ControlSignal signal) override { host_.set(std::move(signal)); }

  ControlStatus status() const override {
    std::lock_guard lk(mu_);
    return ControlStatus{state_, state_ == ControlState::Asleep ? times_.wakes_in_ms(Clock::now()) : -1};
  }

  ControlStats stats() const override {
    ControlStats st;
    std::lock_guard lk(mu_);
    stats_.fill(st, Clock::now(), session_open_, state_ == ControlState::Asleep);
    st.events_logged = writer_.events_logged();
    st.events_dropped = writer_.events_dropped();
    return st;
  }

  std::vector<PredictedWindow> predicted_windows() const override {
    std::lock_guard lk(mu_);
    return windows_;
  }

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

  // ------------------------------------------------------------ control thread
  void run() {
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
  void wait_asleep(std::unique_lock<std::mutex> &lk) {
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
  void publish_policy() {
    const LivePolicy &p = decider_.policy();
    std::lock_guard lk(mu_);
    stats_.set_policy(p.name, p.model_version, p.model_log_loss);
  }

  void handle_begin(Item &it) {
    if (session_open_) end_open_session("replaced");
    if (decider_.adopt_retrained()) publish_policy(); // a model retrained on line
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
  void end_open_session(const std::string &reason) {
    Item it{Item::End};
    it.reason = reason;
    it.end_wall_ms = wall_now_ms();
    std::string jerr;
    {
      std::lock_guard lk(mu_);
      it.journal_end = journal_.append_end(it.end_wall_ms, it.reason, jerr);
    }
    if (!jerr.empty()) journal_.report(jerr, 0);
    handle_end(it);
  }

  void handle_end(const Item &it) {
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

  void handle_event(Item &it) {
    if (!session_open_) return; // cannot happen: the player only submits with a session
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
  void decide(bool after_proactive) {
    Decider::Decision d = decider_.decide(view_, wall_now_ms(), after_proactive);
    std::lock_guard lk(mu_);
    windows_ = std::move(d.windows);
    times_.follow(d.schedule, Clock::now());
  }

  void go_to_sleep(std::unique_lock<std::mutex> &lk) {
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
  void wake(WakeReason reason, bool record, std::optional<Clock::time_point> call_arrival = std::nullopt) {
    {
      std::lock_guard lk(mu_);
      const auto now = Clock::now();
      stats_.end_stretch(now, false);
      times_.woke(now);
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

  void record_decision(const char *action, const char *reason, int64_t planned) {
    if (log_) writer_.add_decision(decider_.decision_row(action, reason, planned, position(), wall_now_ms()));
  }

  ControlOptions opt_;
  const PlaybackView *view_;
  EventSink sink_;
  std::unique_ptr<BehaviourLog> log_; // control thread only
  CallJournal journal_;               // appends: callers (under mu_); the rest: control thread
  SessionWriter writer_;              // control thread only (its counters: any thread)
  Decider decider_;                   // control thread only (and the trainer it owns)
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

} // namespace

int ControlPlane::create(const ControlOptions &opt, const PlaybackView *view, EventSink sink,
                         std::unique_ptr<ControlPlane> &out, std::string &err) {
  CostModel cost = CostModel::defaults();
  if (!opt.cost.empty() && !CostModel::parse(opt.cost, cost)) {
    err = "cost: expected \"h,w,m\" with three non-negative numbers, got \"" + opt.cost + "\"";
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
