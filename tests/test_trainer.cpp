// Online retraining on its worker thread (control/trainer.h): a run stores a
// model only when it is at least as good, stages a learned policy on it
// once, says so with an event, keeps the videos' transitions the current
// model was given; a cancelled trainer stores nothing and starts no more. Real SQLite files, simulated viewing history.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <optional>
#include <vector>

#include "control/trainer.h"
#include "core/result.h"
#include "log/behaviour_log.h"
#include "predict/hazard.h"
#include "sim/simulator.h"
#include "support.h"

using namespace sp;
using namespace sp_test;

namespace {

std::string history_db(TempDir &dir, int viewers) {
  std::string path = dir.file("history.db");
  std::unique_ptr<BehaviourLog> log;
  std::string err;
  REQUIRE(BehaviourLog::open(path, LogOptions{}, log, err) == kOk);
  sim::SimOptions o;
  o.viewers = viewers;
  o.sessions_per_viewer = 4;
  o.videos = 20;
  o.seed = 11;
  REQUIRE(log->import_traces(sim::Simulator(o).generate_all(), err) == kOk);
  return path;
}

std::optional<ModelRow> latest(const std::string &path) {
  std::unique_ptr<BehaviourLog> log;
  std::string err;
  REQUIRE(BehaviourLog::open(path, LogOptions{}, log, err) == kOk);
  std::optional<ModelRow> row;
  REQUIRE(log->latest_model(HazardModel::kKind, row, err) == kOk);
  return row;
}

struct Events {
  std::mutex mu;
  std::vector<Event> all;
  EventSink sink() {
    return [this](Event e) {
      std::lock_guard lk(mu);
      all.push_back(std::move(e));
    };
  }
};

} // namespace

TEST_CASE("trainer: a run stores a model, stages a learned policy on it once, and says so") {
  TempDir dir;
  const std::string db = history_db(dir, 40);
  Events ev;
  Trainer t(Trainer::Options{db, 5000, CostModel::defaults(), -1}, ev.sink());
  CHECK_FALSE(t.take_staged());
  REQUIRE(t.start());
  t.join();
  CHECK_FALSE(t.busy());
  auto staged = t.take_staged();
  REQUIRE(staged);
  CHECK(staged->name == "learned");
  CHECK(staged->model_version == "1");
  REQUIRE(staged->policy);
  CHECK_FALSE(t.take_staged()); // once
  REQUIRE(latest(db));
  CHECK(latest(db)->version == 1);
  std::lock_guard lk(ev.mu);
  REQUIRE(ev.all.size() == 1);
  CHECK(ev.all[0].type == EventType::ModelUpdated);
  CHECK(ev.all[0].message == "model 1");
}

TEST_CASE("trainer: too little history stores nothing and stages nothing") {
  TempDir dir;
  const std::string db = history_db(dir, 2); // 8 sessions
  Events ev;
  Trainer t(Trainer::Options{db, 5000, CostModel::defaults(), -1}, ev.sink());
  REQUIRE(t.start());
  t.join();
  CHECK_FALSE(t.take_staged());
  CHECK_FALSE(latest(db));
  CHECK(ev.all.empty());
}

TEST_CASE("trainer: cancelled, it starts no run; a cancelled step stores nothing") {
  TempDir dir;
  const std::string db = history_db(dir, 40);
  Events ev;
  Trainer t(Trainer::Options{db, 5000, CostModel::defaults(), -1}, ev.sink());
  t.cancel();
  CHECK_FALSE(t.start());
  t.join();
  CHECK_FALSE(t.take_staged());

  std::unique_ptr<BehaviourLog> log;
  std::string err;
  REQUIRE(BehaviourLog::open(db, LogOptions{}, log, err) == kOk);
  std::atomic<bool> cancel{true};
  std::string version;
  double loss = -1;
  bool swapped = true;
  REQUIRE(retrain_if_better(*log, CostModel::defaults(), version, loss, swapped, err, &cancel) == kOk);
  CHECK_FALSE(swapped);
  CHECK(err.find("cancelled") != std::string::npos);
  CHECK(version.empty());
  CHECK_FALSE(latest(db));
}

TEST_CASE("trainer: cancel() stops a run under way without storing anything; the next trainer trains") {
  TempDir dir;
  const std::string db = history_db(dir, 300); // about 1200 sessions: a run takes a while
  Events ev;
  {
    Trainer t(Trainer::Options{db, 5000, CostModel::defaults(), -1}, ev.sink());
    REQUIRE(t.start());
    CHECK(t.busy());
    t.cancel();
    t.join(); // returns once the run has stopped at its next check
    CHECK_FALSE(t.busy());
    CHECK(t.runs_cancelled() == 1);
    CHECK_FALSE(t.take_staged());
    CHECK_FALSE(t.start()); // cancelled: starts no more
  }
  CHECK_FALSE(latest(db));
  {
    std::lock_guard lk(ev.mu);
    CHECK(ev.all.empty()); // neither a model nor an error
  }
  // "Resumes next time": a new trainer (the next player on this database)
  // trains on the whole log, as the cancelled run would have.
  Trainer again(Trainer::Options{db, 5000, CostModel::defaults(), -1}, ev.sink());
  REQUIRE(again.start());
  again.join();
  CHECK(again.runs_cancelled() == 0);
  REQUIRE(latest(db));
  CHECK(latest(db)->sessions_seen > 900); // four fifths of the log (the rest is held out)
}

TEST_CASE("trainer: a retrained model keeps the videos' transitions the current one was given") {
  TempDir dir;
  const std::string db = history_db(dir, 40);
  std::unique_ptr<BehaviourLog> log;
  std::string err;
  REQUIRE(BehaviourLog::open(db, LogOptions{}, log, err) == kOk);
  std::vector<TraceSession> sessions;
  REQUIRE(log->read_traces(sessions, err) == kOk);
  std::vector<const TraceSession *> ptrs;
  for (const auto &s : sessions)
    ptrs.push_back(&s);
  // The current model: given the transitions (as smartplayer-train
  // --transitions does), and nearly featureless (a huge ridge penalty), so
  // that the retrained one does better and is stored.
  sim::SimOptions o;
  o.viewers = 40;
  o.sessions_per_viewer = 4;
  o.videos = 20;
  o.seed = 11;
  auto given = std::make_shared<const VideoTransitions>(sim::Simulator(o).detected_transitions());
  REQUIRE(given->size() == 20);
  HazardOptions hopt;
  hopt.transitions = given;
  hopt.l2 = 1e9;
  auto current = HazardModel::train(ptrs, hopt, nullptr, err);
  REQUIRE(current);
  REQUIRE(current->transitions());
  CHECK(*current->transitions() == *given);
  ModelRow row;
  row.kind = HazardModel::kKind;
  row.created_wall_ms = 1;
  row.blob = current->to_json();
  row.metrics = current->metrics_json();
  REQUIRE(log->save_model(row, err) == kOk);

  std::string version;
  double loss = -1;
  bool swapped = false;
  REQUIRE(retrain_if_better(*log, CostModel::defaults(), version, loss, swapped, err) == kOk);
  INFO(err);
  REQUIRE(swapped);
  CHECK(version == "2");
  auto stored = latest(db);
  REQUIRE(stored);
  auto back = HazardModel::from_json(stored->blob, err);
  REQUIRE(back);
  REQUIRE(back->transitions());
  CHECK(*back->transitions() == *given);

  // A model given none has none to pass on.
  HazardOptions plain;
  auto none = HazardModel::train(ptrs, plain, nullptr, err);
  REQUIRE(none);
  CHECK_FALSE(none->transitions());
}
