// Online retraining: after a session ends, a worker thread (sp-train) with
// its own behaviour-log connection retrains the predictor from every session
// in the log (with the videos' visual transitions the current model keeps),
// stores the new model only if it does at least as well as the current one
// on the most recent (held-out) sessions, and stages a learned
// policy built on it. The control plane swaps a staged policy in at the next
// session boundary. Never on the render or audio path, and never on the
// control thread, which must stay free to serve the gate.
//
// Cancelling: cancel() makes a run under way stop soon without storing
// anything (a read of the log is interrupted, a fit stops between Newton
// steps, band fits and every few thousand decision points, the scoring
// between sessions), and keeps the trainer from starting again. The control
// plane cancels its trainer as it shuts down, so sp_player_destroy never
// waits for a fit (issue 10, defect 6). Nothing is lost by it: every run
// trains on the whole log, so the next one (the next session end of any
// player on this database) learns what this one would have.
//
// Thread safety: start(), join() and cancel() from one owning thread (the
// control thread; cancel() from any); take_staged() and busy() from any.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "control/live_policy.h"
#include "core/event.h"
#include "policy/policy.h"

namespace sp {

class BehaviourLog;

// One retraining step on `log` (see above). Returns kOk with `swapped` set
// when a new model was stored (its version and held-out log loss in
// new_version / new_log_loss); otherwise `err` says why not (too few
// sessions, the current model is better, cancelled). `cancel` may be null.
int retrain_if_better(BehaviourLog &log, const CostModel &cost, std::string &new_version,
                      double &new_log_loss, bool &swapped, std::string &err,
                      const std::atomic<bool> *cancel = nullptr);

class Trainer {
public:
  struct Options {
    std::string db_path;
    int busy_timeout_ms = 5000;
    CostModel cost = CostModel::defaults();
    double timeout_s = -1; // for the staged policy (see make_live_policy)
  };

  // `sink` receives ModelUpdated (a model was stored) and Error (a run failed).
  Trainer(Options opt, EventSink sink);
  ~Trainer(); // join()
  Trainer(const Trainer &) = delete;
  Trainer &operator=(const Trainer &) = delete;

  // Starts a run unless one is under way or the trainer was cancelled
  // (then returns false).
  bool start();
  bool busy() const { return busy_.load(); }
  // The learned policy on the model the last run stored, once; null if none.
  std::unique_ptr<LivePolicy> take_staged();
  // Stop a run under way soon (see above); start no more.
  void cancel() { cancel_.store(true); }
  // Runs that ended because of cancel() (0 or 1).
  int64_t runs_cancelled() const { return runs_cancelled_.load(); }
  // Wait for a run under way to finish.
  void join();

private:
  void run();

  Options opt_;
  EventSink sink_;
  std::atomic<bool> busy_{false}, cancel_{false};
  std::atomic<int64_t> runs_cancelled_{0};
  std::thread th_;
  std::mutex mu_;
  std::unique_ptr<LivePolicy> staged_; // mu_
};

} // namespace sp
