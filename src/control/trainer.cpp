#include "control/trainer.h"

#include <algorithm>

#include "core/result.h"
#include "core/thread_name.h"
#include "core/wall_clock.h"
#include "log/behaviour_log.h"
#include "predict/hazard.h"

namespace sp {

namespace {
bool cancelled(const std::atomic<bool> *cancel, std::string &err) {
  if (!cancel || !cancel->load()) return false;
  err = "retraining cancelled";
  return true;
}
} // namespace

int retrain_if_better(BehaviourLog &log, const CostModel &cost, std::string &new_version,
                      double &new_log_loss, bool &swapped, std::string &err,
                      const std::atomic<bool> *cancel) {
  (void)cost; // the model is judged by held-out log loss; the policy applies the cost model
  swapped = false;
  new_version.clear();
  new_log_loss = -1;
  // Every step stops soon once `cancel` is set: the log's reads (an SQLite
  // progress handler), the fit (between Newton steps) and the scoring.
  struct Interrupt {
    BehaviourLog &log;
    Interrupt(BehaviourLog &l, const std::atomic<bool> *c) : log(l) { log.set_interrupt(c); }
    ~Interrupt() { log.set_interrupt(nullptr); }
  } interrupt(log, cancel);
  std::vector<TraceSession> sessions;
  if (int r = log.read_traces(sessions, err)) return cancelled(cancel, err) ? kOk : r;
  if (sessions.size() < 10) {
    err = "too few sessions to retrain (" + std::to_string(sessions.size()) + ")";
    return kOk;
  }
  if (cancelled(cancel, err)) return kOk;
  // Hold out the most recent sessions (by start time): the candidate never
  // sees them, and both the candidate and the current model are judged on them.
  std::vector<const TraceSession *> order;
  order.reserve(sessions.size());
  for (const auto &s : sessions)
    order.push_back(&s);
  std::stable_sort(order.begin(), order.end(), [](const TraceSession *a, const TraceSession *b) {
    return a->start_wall_ms < b->start_wall_ms;
  });
  const size_t held = std::max<size_t>(2, order.size() / 5);
  std::vector<const TraceSession *> train(order.begin(), order.end() - static_cast<std::ptrdiff_t>(held));
  std::vector<const TraceSession *> holdout(order.end() - static_cast<std::ptrdiff_t>(held), order.end());

  std::shared_ptr<const HazardModel> current;
  std::string cur_version;
  std::string lerr;
  if (load_stored_model(log, current, cur_version, lerr) != kOk)
    current.reset(); // unreadable: any model is better
  if (cancelled(cancel, err)) return kOk;

  std::string terr;
  HazardOptions opt;
  opt.refit_on_all = false; // the held-out part above is this step's judge; one fit is enough
  opt.cancel = cancel;
  // The videos' visual transitions came with the current model (smartplayer-train
  // --transitions; the log does not hold them): the candidate keeps them.
  if (current) opt.transitions = current->transitions();
  auto candidate = HazardModel::train(train, opt, nullptr, terr);
  if (cancelled(cancel, err)) return kOk;
  if (!candidate) {
    err = "retraining failed: " + terr;
    return kOk;
  }
  const double cand_loss = candidate->evaluate(holdout, cancel);
  if (cancelled(cancel, err)) return kOk;
  if (current) {
    const double cur_loss = current->evaluate(holdout, cancel);
    if (cancelled(cancel, err)) return kOk;
    if (!(cand_loss <= cur_loss)) {
      err = "candidate held-out log loss " + std::to_string(cand_loss) + " is worse than model v" +
            cur_version + "'s " + std::to_string(cur_loss) + "; kept the current model";
      return kOk;
    }
  }
  if (cancelled(cancel, err)) return kOk;
  ModelRow row;
  row.kind = HazardModel::kKind;
  row.created_wall_ms = wall_now_ms();
  row.blob = candidate->to_json();
  row.metrics = candidate->metrics_json();
  row.sessions_seen = candidate->metrics().sessions_seen;
  row.events_seen = candidate->metrics().events_seen;
  if (int r = log.save_model(row, err)) return cancelled(cancel, err) ? kOk : r;
  new_version = std::to_string(row.version);
  new_log_loss = cand_loss;
  swapped = true;
  return kOk;
}

Trainer::Trainer(Options opt, EventSink sink) : opt_(std::move(opt)), sink_(std::move(sink)) {}

Trainer::~Trainer() {
  join();
}

bool Trainer::start() {
  if (busy_.load() || cancel_.load()) return false;
  join(); // the last run has finished; reap its thread
  busy_.store(true);
  th_ = std::thread([this] { run(); });
  return true;
}

void Trainer::join() {
  if (th_.joinable()) th_.join();
}

std::unique_ptr<LivePolicy> Trainer::take_staged() {
  std::lock_guard lk(mu_);
  return std::move(staged_);
}

void Trainer::run() {
  set_thread_name("sp-train");
  std::unique_ptr<BehaviourLog> log;
  std::string err;
  LogOptions lo;
  lo.busy_timeout_ms = opt_.busy_timeout_ms;
  if (BehaviourLog::open(opt_.db_path, lo, log, err) == kOk) {
    std::string version;
    double loss = -1;
    bool swapped = false;
    int r = retrain_if_better(*log, opt_.cost, version, loss, swapped, err, &cancel_);
    if (!swapped && cancel_.load()) runs_cancelled_.fetch_add(1);
    if (r == kOk && swapped) {
      LivePolicy next;
      std::string perr;
      if (make_live_policy("learned", opt_.cost, opt_.timeout_s, log.get(), next, perr) == kOk) {
        std::lock_guard lk(mu_);
        staged_ = std::make_unique<LivePolicy>(std::move(next));
      }
      emit(sink_, EventType::ModelUpdated, kOk, 0, 0, 0, "model " + version);
    } else if (r != kOk) {
      emit(sink_, EventType::Error, r, 0, 0, 0, "online retraining failed: " + err);
    }
  }
  busy_.store(false);
}

} // namespace sp
