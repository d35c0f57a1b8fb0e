// The control thread: gate, behaviour-log writer, policy runner, sleeper.
//
// One mutex (mu_) guards the queue and the observable state; the thread
// sleeps on one condition variable. While asleep it waits either with no
// timeout at all (wake on demand only) or until exactly the scheduled wake:
// nothing else arms a timer, so between scheduled wakes the thread does not
// run (control_wakeups counts every return from a wait, spurious included).
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "control/control_plane.h"
#include "control/live_policy.h"
#include "core/result.h"
#include "core/thread_name.h"
#include "log/behaviour_log.h"

namespace sp {
namespace {

using Clock = std::chrono::steady_clock;

int64_t wall_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

constexpr int kProgressMs = 1000;       // progress tick while awake and playing
constexpr size_t kMaxBatch = 256;       // commit at once when this many are queued
constexpr int kRetryMs = 100;           // first retry delay after a failed write
constexpr int kMaxWindows = 8;          // predicted windows kept for the seek bar

// Runs a policy owned elsewhere (policy_override).
class ForwardingPolicy final : public Policy {
public:
  explicit ForwardingPolicy(Policy *p) : p_(p) {}
  std::string name() const override { return p_->name(); }
  Plan plan(const PolicyContext &ctx) override { return p_->plan(ctx); }

private:
  Policy *p_;
};

struct Item {
  enum Type { Event, Begin, End } type = Event;
  Interaction ix;                        // Event
  bool arrived_asleep = false;           // Event: the call found the plane asleep
  Clock::time_point arrival{};
  SessionInfo info;                      // Begin
  std::promise<std::pair<int, int64_t>> *reply = nullptr;  // Begin
  std::string *reply_err = nullptr;
  std::string reason;                    // End
};

class ControlPlaneImpl final : public ControlPlane {
public:
  ControlPlaneImpl(const ControlOptions &opt, const PlaybackView *probe, EventSink sink,
                   std::unique_ptr<BehaviourLog> log, CostModel cost)
      : opt_(opt), probe_(probe), sink_(std::move(sink)), log_(std::move(log)), cost_(cost) {}

  ~ControlPlaneImpl() override { shutdown(); }

  void shutdown() override {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (th_.joinable()) th_.join();
    if (trainer_.joinable()) trainer_.join();
  }

  int start(std::string &err) {
    if (opt_.policy_override) {
      // Shared with the caller; the LivePolicy keeps it alive.
      auto keep = opt_.policy_override;
      live_.name = keep->name();
      live_.keepalive = keep;
      live_.policy = std::unique_ptr<Policy>(new ForwardingPolicy(keep.get()));
      th_ = std::thread([this] { run(); });
      return kOk;
    }
    std::string perr;
    int r = make_live_policy(opt_.policy, cost_, opt_.timeout_s, log_.get(), live_, perr);
    if (r != kOk) {
      if (opt_.policy != "auto") {
        err = perr;
        return r;
      }
      std::string ferr;
      make_live_policy("fixed-timeout", cost_, opt_.timeout_s, nullptr, live_, ferr);
    }
    th_ = std::thread([this] { run(); });
    return kOk;
  }

  // ------------------------------------------------------------ API side
  int begin_session(const SessionInfo &info, int64_t *session_id, std::string &err) override {
    std::promise<std::pair<int, int64_t>> reply;
    auto fut = reply.get_future();
    std::string rerr;
    {
      std::lock_guard lk(mu_);
      Item it;
      it.type = Item::Begin;
      it.info = info;
      it.reply = &reply;
      it.reply_err = &rerr;
      q_.push_back(std::move(it));
      // The Open event is seq 1.
      next_seq_ = 2;
    }
    cv_.notify_all();
    auto [code, id] = fut.get();
    if (code != kOk) err = rerr;
    if (session_id) *session_id = id;
    return code;
  }

  void end_session(const std::string &reason) override {
    {
      std::lock_guard lk(mu_);
      Item it;
      it.type = Item::End;
      it.reason = reason;
      q_.push_back(std::move(it));
    }
    cv_.notify_all();
  }

  bool admit() override {
    if (!opt_.strict) return true;
    std::lock_guard lk(mu_);
    if (state_ == ControlState::Asleep) {
      ++st_misses_;  // the seed's experiment: the call is ignored
      return false;
    }
    return true;
  }

  int64_t submit(Kind kind, int64_t position_ms, const Interaction &payload) override {
    Item it;
    it.type = Item::Event;
    it.ix = payload;
    it.ix.kind = kind;
    it.ix.position_ms = position_ms;
    if (it.ix.wall_ms == 0) it.ix.wall_ms = wall_now_ms();
    it.arrival = Clock::now();
    int64_t seq;
    bool wake = false;
    {
      std::lock_guard lk(mu_);
      seq = next_seq_++;
      it.ix.seq = seq;
      ++events_submitted_;
      if (state_ == ControlState::Asleep) {
        state_ = ControlState::Waking;
        it.arrived_asleep = true;
        wake = true;
      } else if (state_ == ControlState::Waking) {
        it.arrived_asleep = true;
      }
      q_.push_back(std::move(it));
    }
    (void)wake;
    cv_.notify_all();  // awake: commit within batch_ms; asleep: wake on demand now
    return seq;
  }

  void set_control_signal(ControlSignal signal) override {
    std::lock_guard lk(cb_mu_);
    signal_ = std::move(signal);
  }

  ControlStatus status() const override {
    std::lock_guard lk(mu_);
    ControlStatus s;
    s.state = state_;
    if (state_ == ControlState::Asleep && has_wake_deadline_)
      s.wakes_in_ms = std::max<int64_t>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(wake_deadline_ - Clock::now()).count());
    return s;
  }

  ControlStats stats() const override {
    ControlStats st;
    std::lock_guard lk(mu_);
    auto now = Clock::now();
    st.awake_s = awake_s_;
    st.asleep_s = asleep_s_;
    if (session_open_) {
      double cur = ms_between(stretch_start_, now) / 1000.0;
      if (state_ == ControlState::Asleep)
        st.asleep_s += cur;
      else st.awake_s += cur;
    }
    st.wakes_proactive = st_wakes_proactive_;
    st.wakes_on_demand = st_wakes_on_demand_;
    st.misses = st_misses_;
    st.wake_latency_p50_ms = percentile(0.50);
    st.wake_latency_p99_ms = percentile(0.99);
    st.control_wakeups = st_wakeups_;
    st.events_submitted = events_submitted_;
    st.events_logged = events_logged_;
    st.events_dropped = events_dropped_;
    st.policy = live_name_;
    st.model_version = model_version_;
    st.model_log_loss = model_log_loss_;
    return st;
  }

  std::vector<PredictedWindow> predicted_windows() const override {
    std::lock_guard lk(mu_);
    return windows_;
  }

  long thread_id() const override { return static_cast<long>(tid_.load()); }

private:
  // ------------------------------------------------------------ thread side
  void run() {
    set_thread_name("sp-control");
    tid_.store(static_cast<pid_t>(::syscall(SYS_gettid)));
    {
      std::lock_guard lk(mu_);
      live_name_ = live_.name;
      model_version_ = live_.model_version;
      model_log_loss_ = live_.model_log_loss;
    }
    std::unique_lock lk(mu_);
    for (;;) {
      // Take what is queued, in order.
      while (!q_.empty()) {
        Item it = std::move(q_.front());
        q_.pop_front();
        lk.unlock();
        handle(it);
        lk.lock();
      }
      if (stop_) break;

      auto now = Clock::now();
      // Commit the batch when due.
      if (!pending_.empty() && (now >= batch_deadline_ || pending_.size() >= kMaxBatch)) {
        lk.unlock();
        flush(false);
        lk.lock();
        continue;
      }
      if (state_ == ControlState::Awake && session_open_ && has_sleep_at_ && now >= sleep_at_) {
        // Going to sleep: commit first so nothing waits in memory while asleep.
        lk.unlock();
        bool flushed = flush(false);
        lk.lock();
        if (!flushed || !q_.empty()) continue;
        go_to_sleep(lk);
        continue;
      }
      if (state_ == ControlState::Awake && session_open_ && now >= next_progress_ && probe_ &&
          !probe_->paused()) {
        next_progress_ = now + std::chrono::milliseconds(kProgressMs);
        int64_t pos = probe_->position_ms();
        lk.unlock();
        emit(EventType::Progress, kOk, pos, pos, 0, "progress");
        lk.lock();
        continue;
      }

      // Wait.
      if (state_ == ControlState::Asleep) {
        if (has_wake_deadline_) {
          auto dl = wake_deadline_;
          cv_.wait_until(lk, dl);
          ++st_wakeups_;
          if (q_.empty() && !stop_ && Clock::now() >= dl) wake_proactive(lk);
        } else {
          cv_.wait(lk);
          ++st_wakeups_;
        }
        continue;
      }
      Clock::time_point dl = Clock::time_point::max();
      if (!pending_.empty()) dl = std::min(dl, batch_deadline_);
      if (retry_pending_) dl = std::min(dl, retry_at_);
      if (session_open_ && has_sleep_at_) dl = std::min(dl, sleep_at_);
      if (session_open_ && probe_ && !probe_->paused()) dl = std::min(dl, next_progress_);
      if (dl == Clock::time_point::max()) cv_.wait(lk);
      else cv_.wait_until(lk, dl);
      ++st_wakeups_;
    }
    lk.unlock();
    // Shutdown: end the open session and write everything accepted.
    if (session_open_) {
      Item it;
      it.type = Item::End;
      it.reason = "abandoned";
      handle(it);
    }
    flush(true);
  }

  void handle(Item &it) {
    switch (it.type) {
    case Item::Begin: handle_begin(it); break;
    case Item::End: handle_end(it.reason); break;
    case Item::Event: handle_event(it); break;
    }
  }

  ControlState state() const {
    std::lock_guard lk(mu_);
    return state_;
  }

  void handle_begin(Item &it) {
    if (session_open_) handle_end("replaced");
    {
      // A model retrained on line is swapped in at a session boundary.
      std::unique_ptr<LivePolicy> staged;
      {
        std::lock_guard lk(mu_);
        staged.swap(staged_);
      }
      if (staged) {
        live_ = std::move(*staged);
        std::lock_guard lk(mu_);
        live_name_ = live_.name;
        model_version_ = live_.model_version;
        model_log_loss_ = live_.model_log_loss;
      }
    }
    int code = kOk;
    std::string err;
    int64_t sid = 0;
    int64_t wall = wall_now_ms();
    Interaction open;
    open.seq = 1;
    open.kind = Kind::Open;
    open.position_ms = 0;
    open.wall_ms = wall;
    if (log_) {
      code = with_retry([&](std::string &e) {
        VideoRow v;
        v.id = it.info.video_id;
        std::optional<VideoRow> known;
        int r = log_->find_video(v.id, known, e);
        if (r != kOk) return r;
        if (known) {
          v = *known;
          if (v.length_ms <= 0) v.length_ms = it.info.duration_ms;
          if (v.genre.empty() || v.genre == "unknown") v.genre = it.info.genre;
        } else {
          v.title = it.info.title;
          v.genre = it.info.genre;
          v.path = it.info.path;
          v.length_ms = it.info.duration_ms;
          v.added_wall_ms = wall;
        }
        r = log_->upsert_video(v, e);
        if (r != kOk) return r;
        r = log_->upsert_viewer(it.info.viewer_id, wall, e);
        if (r != kOk) return r;
        SessionRow s;
        s.viewer = it.info.viewer_id;
        s.video = it.info.video_id;
        s.start_wall_ms = wall;
        s.policy = live_.name;
        r = log_->begin_session(s, e);
        if (r != kOk) return r;
        sid = s.id;
        return log_->append_events(sid, {open}, e);
      }, err);
    }
    if (code == kOk) {
      session_id_ = sid;
      cur_ = TraceSession{};
      cur_.session_id = std::to_string(sid);
      cur_.viewer = it.info.viewer_id;
      cur_.video = it.info.video_id;
      cur_.genre = it.info.genre.empty() ? "unknown" : it.info.genre;
      cur_.duration_ms = it.info.duration_ms;
      cur_.start_wall_ms = wall;
      cur_.events.push_back(open);
      {
        std::lock_guard lk(mu_);
        session_open_ = true;
        awake_s_ = asleep_s_ = 0;
        st_wakes_proactive_ = st_wakes_on_demand_ = st_misses_ = st_wakeups_ = 0;
        latencies_.clear();
        stretch_start_ = Clock::now();
        next_progress_ = Clock::now();
        if (log_) ++events_logged_;
        ++events_submitted_;
      }
      if (log_) emit(EventType::Logged, kOk, static_cast<int64_t>(Kind::Open), 0, 1, "open");
      if (state() != ControlState::Awake) wake(WakeReason::Proactive, false);
      decide(false);
    }
    *it.reply_err = err;
    it.reply->set_value({code, sid});
  }

  void handle_end(const std::string &reason) {
    if (!session_open_) return;
    flush(false);
    if (log_) {
      std::string err;
      int64_t id = session_id_;
      int64_t wall = wall_now_ms();
      int r = with_retry([&](std::string &e) { return log_->end_session(id, wall, reason, e); }, err);
      if (r != kOk)
        emit(EventType::Error, r, 0, 0, 0, "ending the session in the behaviour log failed: " + err);
    }
    // No wake here: with no session there is nothing to serve, so a plane
    // that sleeps stays asleep (the host keeps its resources released) until
    // the next session begins, which wakes it.
    {
      std::lock_guard lk(mu_);
      auto now = Clock::now();
      (state_ == ControlState::Awake ? awake_s_ : asleep_s_) += ms_between(stretch_start_, now) / 1000.0;
      stretch_start_ = now;
      session_open_ = false;
      has_sleep_at_ = false;
      has_wake_deadline_ = false;  // no proactive wake without a session
      windows_.clear();
    }
    cur_.end_wall_ms = wall_now_ms();
    cur_.end_reason = reason;
    finished_sessions_++;
    maybe_retrain();
  }

  void handle_event(Item &it) {
    if (!session_open_) return;  // cannot happen: the player only submits with a session
    if (it.arrived_asleep) {
      // On-demand wake: the call was applied to playback already; open the gate now.
      bool miss = is_viewer_action(it.ix.kind);
      {
        std::lock_guard lk(mu_);
        if (miss) ++st_misses_;
      }
      if (state() != ControlState::Awake) wake(WakeReason::OnDemand, true, it.arrival);
    }
    cur_.events.push_back(it.ix);
    {
      std::lock_guard lk(mu_);
      if (pending_.empty()) batch_deadline_ = Clock::now() + std::chrono::milliseconds(opt_.batch_ms);
      pending_.push_back(it.ix);
    }
    if (is_viewer_action(it.ix.kind) || it.ix.kind == Kind::End) decide(false);
  }

  // Ask the policy; set the sleep time and the predicted windows.
  void decide(bool after_proactive) {
    PolicyContext ctx;
    ctx.session = &cur_;
    ctx.now_wall_ms = wall_now_ms();
    ctx.position_ms = probe_ ? probe_->position_ms() : 0;
    ctx.paused = probe_ ? probe_->paused() : true;
    ctx.rate = probe_ ? probe_->rate() : 1.0;
    ctx.after_proactive_wake = after_proactive;
    Plan plan = live_.policy ? live_.policy->plan(ctx) : Plan{};
    // Windows for the seek bar: iterate the plan forward assuming no interaction.
    std::vector<PredictedWindow> win;
    {
      PolicyContext c = ctx;
      Plan p = plan;
      int64_t pos = c.position_ms;
      double rate = c.paused ? 0.0 : c.rate;
      for (int i = 0; i < kMaxWindows && live_.policy; ++i) {
        if (p.awake_ms < 0) {
          win.push_back({pos, cur_.duration_ms});
          break;
        }
        int64_t end = pos + static_cast<int64_t>(static_cast<double>(p.awake_ms) * rate);
        win.push_back({pos, std::min(end, cur_.duration_ms)});
        if (p.asleep_ms < 0 || rate <= 0) break;
        pos = end + static_cast<int64_t>(static_cast<double>(p.asleep_ms) * rate);
        if (pos >= cur_.duration_ms) break;
        c.now_wall_ms += p.awake_ms + p.asleep_ms;
        c.position_ms = pos;
        c.after_proactive_wake = true;
        p = live_.policy->plan(c);
      }
    }
    std::lock_guard lk(mu_);
    windows_ = std::move(win);
    if (plan.awake_ms < 0) {
      has_sleep_at_ = false;
    } else {
      has_sleep_at_ = true;
      sleep_at_ = Clock::now() + std::chrono::milliseconds(plan.awake_ms);
      planned_sleep_ms_ = plan.asleep_ms;
    }
  }

  void go_to_sleep(std::unique_lock<std::mutex> &lk) {
    // Called with lk held and nothing pending.
    auto now = Clock::now();
    awake_s_ += ms_between(stretch_start_, now) / 1000.0;
    stretch_start_ = now;
    state_ = ControlState::Asleep;
    has_sleep_at_ = false;
    has_wake_deadline_ = planned_sleep_ms_ >= 0;
    if (has_wake_deadline_) wake_deadline_ = now + std::chrono::milliseconds(planned_sleep_ms_);
    int64_t planned = planned_sleep_ms_;
    lk.unlock();
    record_decision("sleep", "policy", planned);
    // Decisions are part of the log: commit before blocking.
    flush(false);
    call_host(false, WakeReason::None);
    emit(EventType::ControlSleep, kOk, planned, probe_ ? probe_->position_ms() : 0, 0, "asleep");
    lk.lock();
    // (A decision row that a locked db refused stays queued and is written
    // at the next wake; the events themselves were committed above.)
  }

  void wake_proactive(std::unique_lock<std::mutex> &lk) {
    lk.unlock();
    wake(WakeReason::Proactive, true);
    decide(true);
    lk.lock();
  }

  // Open the gate: awake again. Runs on the control thread.
  // `call_arrival`: for an on-demand wake, when the waking call arrived (its
  // latency to the gate opening is recorded as the gate opens).
  void wake(WakeReason reason, bool record, std::optional<Clock::time_point> call_arrival = std::nullopt) {
    {
      std::lock_guard lk(mu_);
      auto now = Clock::now();
      asleep_s_ += ms_between(stretch_start_, now) / 1000.0;
      stretch_start_ = now;
      has_wake_deadline_ = false;
      if (record) {
        if (reason == WakeReason::Proactive)
          ++st_wakes_proactive_;
        else if (reason == WakeReason::OnDemand)
          ++st_wakes_on_demand_;
      }
      next_progress_ = now;
    }
    call_host(true, reason); // the host re-acquires its resources; gate opens on return
    {
      std::lock_guard lk(mu_);
      state_ = ControlState::Awake;
      if (call_arrival) latencies_.push_back(ms_between(*call_arrival, Clock::now()));
    }
    if (record) record_decision("wake", reason == WakeReason::Proactive ? "proactive" : "on_demand", -1);
    emit(EventType::ControlWake, kOk, static_cast<int64_t>(reason), probe_ ? probe_->position_ms() : 0, 0,
         "awake");
  }

  void record_decision(const char *action, const char *reason, int64_t planned) {
    if (!log_) return;
    DecisionRow d;
    d.session_id = session_id_;
    d.wall_ms = wall_now_ms();
    d.position_ms = probe_ ? probe_->position_ms() : 0;
    d.action = action;
    d.reason = reason;
    d.policy = live_.name;
    d.planned_ms = planned;
    d.seq = cur_.events.empty() ? 0 : cur_.events.back().seq;
    std::lock_guard lk(mu_);
    decisions_.push_back(std::move(d));
  }

  void call_host(bool awake, WakeReason reason) {
    ControlSignal signal;
    {
      std::lock_guard lk(cb_mu_);
      signal = signal_;
    }
    if (signal) signal(awake, reason);
  }

  // Write queued events and decisions. With `final`, keep retrying a locked
  // database for busy_timeout; what still cannot be written is counted as
  // dropped and reported (never silently). Returns true when nothing is left.
  bool flush(bool final) {
    std::vector<Interaction> batch;
    std::vector<DecisionRow> decisions;
    {
      std::lock_guard lk(mu_);
      batch.swap(pending_);
      decisions.swap(decisions_);
    }
    if (batch.empty() && decisions.empty()) return true;
    if (!log_) {
      std::lock_guard lk(mu_);
      retry_pending_ = false;
      return true;
    }
    std::string err;
    int r = kOk;
    auto deadline = Clock::now() + std::chrono::milliseconds(final ? std::max(opt_.busy_timeout_ms, 1000) : 0);
    for (;;) {
      r = kOk;
      if (!batch.empty()) r = log_->append_events(session_id_, batch, err);
      if (r == kOk && !decisions.empty()) r = log_->append_decisions(decisions, err);
      if (r == kOk || !final || Clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(kRetryMs));
    }
    if (r == kOk) {
      {
        std::lock_guard lk(mu_);
        events_logged_ += static_cast<int64_t>(batch.size());
        retry_pending_ = false;
      }
      for (const auto &ix : batch)
        emit(EventType::Logged, kOk, static_cast<int64_t>(ix.kind), ix.position_ms, ix.seq,
             std::string(kind_name(ix.kind)));
      return true;
    }
    if (final) {
      {
        std::lock_guard lk(mu_);
        events_dropped_ += static_cast<int64_t>(batch.size());
      }
      emit(EventType::Error, r, static_cast<int64_t>(batch.size()), 0, 0,
           "behaviour log: " + std::to_string(batch.size()) +
               " events could not be written at shutdown: " + err);
      return false;
    }
    // Keep the batch (in front of anything newer) and retry later.
    emit(EventType::Error, r, static_cast<int64_t>(batch.size()), 0, 0,
         "behaviour log write failed, will retry: " + err);
    std::lock_guard lk(mu_);
    batch.insert(batch.end(), pending_.begin(), pending_.end());
    pending_.swap(batch);
    decisions.insert(decisions.end(), decisions_.begin(), decisions_.end());
    decisions_.swap(decisions);
    retry_pending_ = true;
    retry_at_ = Clock::now() + std::chrono::milliseconds(kRetryMs);
    batch_deadline_ = retry_at_;
    return false;
  }

  template <class F> int with_retry(F &&f, std::string &err) {
    auto deadline = Clock::now() + std::chrono::milliseconds(std::max(opt_.busy_timeout_ms, 0));
    for (;;) {
      int r = f(err);
      if (r != kErrDbLocked || Clock::now() >= deadline) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(kRetryMs));
    }
  }

  void maybe_retrain() {
    if (!opt_.online_learning || !log_ || opt_.db_path.empty()) return;
    if (live_.name != "learned") return;
    if (trainer_busy_.load()) return;
    if (trainer_.joinable()) trainer_.join();
    trainer_busy_.store(true);
    // A worker with its own connection: never on the render or audio path,
    // and not on this thread (which must be free to serve the gate).
    trainer_ = std::thread([this] {
      set_thread_name("sp-train");
      std::unique_ptr<BehaviourLog> log;
      std::string err;
      LogOptions lo;
      lo.busy_timeout_ms = opt_.busy_timeout_ms;
      if (BehaviourLog::open(opt_.db_path, lo, log, err) == kOk) {
        std::string version;
        double loss = -1;
        bool swapped = false;
        int r = retrain_if_better(*log, cost_, version, loss, swapped, err);
        if (r == kOk && swapped) {
          LivePolicy next;
          std::string perr;
          if (make_live_policy("learned", cost_, opt_.timeout_s, log.get(), next, perr) == kOk) {
            std::lock_guard lk(mu_);
            staged_ = std::make_unique<LivePolicy>(std::move(next));
          }
          emit(EventType::ModelUpdated, kOk, 0, 0, 0, "model " + version);
        } else if (r != kOk) {
          emit(EventType::Error, r, 0, 0, 0, "online retraining failed: " + err);
        }
      }
      trainer_busy_.store(false);
      cv_.notify_all();
    });
  }

  void emit(EventType type, int code, int64_t value, int64_t pos, int64_t seq, std::string msg) {
    if (sink_) sink_(Event{type, code, value, pos, seq, std::move(msg)});
  }

  double percentile(double q) const {
    if (latencies_.empty()) return 0;
    std::vector<double> v = latencies_;
    std::sort(v.begin(), v.end());
    size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))) ;
    i = std::clamp<size_t>(i, 1, v.size()) - 1;
    return v[i];
  }

  ControlOptions opt_;
  const PlaybackView *probe_;
  EventSink sink_;
  std::unique_ptr<BehaviourLog> log_;  // control thread only (after start)
  CostModel cost_;
  LivePolicy live_;
  std::thread th_;
  std::thread trainer_;
  std::atomic<bool> trainer_busy_{false};
  std::unique_ptr<LivePolicy> staged_;  // a retrained policy waiting to be swapped in (mu_)
  std::atomic<pid_t> tid_{0};

  // Control-thread-only session state.
  TraceSession cur_;
  int64_t session_id_ = 0;
  int64_t finished_sessions_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> q_;
  bool stop_ = false;
  int64_t next_seq_ = 1;
  ControlState state_ = ControlState::Awake;
  bool session_open_ = false;
  bool has_sleep_at_ = false;
  Clock::time_point sleep_at_{};
  int64_t planned_sleep_ms_ = -1;
  bool has_wake_deadline_ = false;
  Clock::time_point wake_deadline_{};
  Clock::time_point next_progress_{};
  std::vector<Interaction> pending_;
  std::vector<DecisionRow> decisions_;
  Clock::time_point batch_deadline_{};
  bool retry_pending_ = false;
  Clock::time_point retry_at_{};
  std::vector<PredictedWindow> windows_;
  std::string live_name_, model_version_;
  double model_log_loss_ = -1;

  // Statistics (mu_).
  Clock::time_point stretch_start_ = Clock::now();
  double awake_s_ = 0, asleep_s_ = 0;
  int64_t st_wakes_proactive_ = 0, st_wakes_on_demand_ = 0, st_misses_ = 0, st_wakeups_ = 0;
  std::vector<double> latencies_;
  int64_t events_submitted_ = 0, events_logged_ = 0, events_dropped_ = 0;

  mutable std::mutex cb_mu_;
  ControlSignal signal_;
};

} // namespace

int ControlPlane::create(const ControlOptions &opt, const PlaybackView *probe, EventSink sink,
                         std::unique_ptr<ControlPlane> &out, std::string &err) {
  CostModel cost = CostModel::defaults();
  if (!opt.cost.empty() && !CostModel::parse(opt.cost, cost)) {
    err = "cost: expected \"h,w,m\" with three non-negative numbers, got \"" + opt.cost + "\"";
    return kErrInvalidArgument;
  }
  std::unique_ptr<BehaviourLog> log;
  if (!opt.db_path.empty()) {
    LogOptions lo;
    lo.busy_timeout_ms = opt.busy_timeout_ms;
    int r = BehaviourLog::open(opt.db_path, lo, log, err);
    if (r != kOk) return r;
  }
  auto impl = std::make_unique<ControlPlaneImpl>(opt, probe, std::move(sink), std::move(log), cost);
  int r = impl->start(err);
  if (r != kOk) return r;
  out = std::move(impl);
  return kOk;
}

} // namespace sp
