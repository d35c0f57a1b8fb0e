// Choosing the live policy from what the behaviour log holds, and the online
// retraining step's rule: a new model is stored only if it does at least as
// well as the current one on held-out recent sessions. Real SQLite files,
// simulated viewing history.
#include <catch2/catch.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "control/control_plane.h"
#include "control/live_policy.h"
#include "control/trainer.h"
#include "log/behaviour_log.h"
#include "policy/policies.h"
#include "predict/hazard.h"
#include "sim/simulator.h"
#include "smartplayer.h"
#include "support.h"

using namespace sp;
using namespace sp_test;

namespace {

std::unique_ptr<BehaviourLog> open_log(const std::string &path) {
  std::unique_ptr<BehaviourLog> log;
  std::string err;
  REQUIRE(BehaviourLog::open(path, LogOptions{}, log, err) == SP_OK);
  return log;
}

std::vector<TraceSession> history(int viewers, uint64_t seed) {
  sim::SimOptions o;
  o.viewers = viewers;
  o.sessions_per_viewer = 4;
  o.videos = 40;
  o.seed = seed;
  return sim::Simulator(o).generate_all();
}

} // namespace

TEST_CASE("live policy: auto is fixed-timeout without a model; learned and seed-genre say what they lack") {
  TempDir dir;
  auto log = open_log(dir.file("empty.db"));
  const CostModel cost = CostModel::defaults();
  LivePolicy lp;
  std::string err;
  REQUIRE(make_live_policy("auto", cost, 0, log.get(), lp, err) == SP_OK);
  CHECK(lp.name == "fixed-timeout");
  CHECK(lp.model_version.empty());
  REQUIRE(lp.policy);
  // tau = w/h = 30 s by default: awake 30 s after an action, then asleep until called.
  Plan p = lp.policy->plan(PolicyContext{});
  CHECK(p.awake_ms == 30000);
  CHECK(p.asleep_ms == -1);
  REQUIRE(make_live_policy("fixed-timeout", cost, 5, nullptr, lp, err) == SP_OK);
  CHECK(lp.policy->plan(PolicyContext{}).awake_ms == 5000);

  // A policy whose model or history is missing is not available in this
  // configuration: SP_ERR_UNSUPPORTED, as the header promises for learned.
  CHECK(make_live_policy("learned", cost, 0, log.get(), lp, err) == SP_ERR_UNSUPPORTED);
  CHECK(err.find("smartplayer-train") != std::string::npos);
  CHECK(make_live_policy("learned", cost, 0, nullptr, lp, err) == SP_ERR_UNSUPPORTED);
  CHECK(make_live_policy("seed-genre", cost, 0, log.get(), lp, err) == SP_ERR_UNSUPPORTED);
  CHECK(make_live_policy("seed-genre", cost, 0, nullptr, lp, err) == SP_ERR_UNSUPPORTED);
  CHECK(make_live_policy("oracle", cost, 0, log.get(), lp, err) == SP_ERR_INVALID_ARGUMENT);
  CHECK(err.find("replay") != std::string::npos);
  CHECK(make_live_policy("sometimes", cost, 0, log.get(), lp, err) == SP_ERR_INVALID_ARGUMENT);
}

TEST_CASE("live policy: an unusable stored model is refused with a retrain hint, never half-used") {
  TempDir dir;
  auto log = open_log(dir.file("bad-model.db"));
  ModelRow row;
  row.kind = HazardModel::kKind;
  row.blob = R"({"format":"hazard-logreg/999"})";
  row.metrics = "{}";
  std::string err;
  REQUIRE(log->save_model(row, err) == SP_OK);
  LivePolicy lp;
  CHECK(make_live_policy("learned", CostModel::defaults(), 0, log.get(), lp, err) == SP_ERR_UNSUPPORTED);
  CHECK(err.find("smartplayer-train") != std::string::npos);
  CHECK_FALSE(lp.policy);
}

TEST_CASE("live policy: auto with an unusable stored model falls back to fixed-timeout and says why") {
  TempDir dir;
  const std::string db = dir.file("bad-model.db");
  {
    auto log = open_log(db);
    ModelRow row;
    row.kind = HazardModel::kKind;
    row.blob = R"({"format":"smartplayer-hazard-logreg/3"})"; // a format this build no longer reads
    row.metrics = "{}";
    std::string err;
    REQUIRE(log->save_model(row, err) == SP_OK);
    LivePolicy lp;
    REQUIRE(make_starting_policy("auto", nullptr, CostModel::defaults(), 0, log.get(), lp, err) == SP_OK);
    CHECK(err.empty());
    CHECK(lp.name == "fixed-timeout");
    CHECK(lp.fallback_code == SP_ERR_UNSUPPORTED);
    CHECK(lp.fallback_reason.find("stored model v1 cannot be used") != std::string::npos);
    CHECK(lp.fallback_reason.find("smartplayer-train") != std::string::npos);
    CHECK(lp.fallback_reason.find("falling back to fixed-timeout") != std::string::npos);
    // Nothing to fall back from: no reason.
    TempDir other;
    auto empty = open_log(other.file("empty.db"));
    REQUIRE(make_starting_policy("auto", nullptr, CostModel::defaults(), 0, empty.get(), lp, err) == SP_OK);
    CHECK(lp.name == "fixed-timeout");
    CHECK(lp.fallback_reason.empty());
  }
  // A control plane on that log tells its host, as an error event at the
  // first session's start (the host's event callback is set by then).
  std::mutex mu;
  std::vector<Event> events;
  ControlOptions o;
  o.db_path = db;
  o.online_learning = false;
  std::unique_ptr<ControlPlane> plane;
  std::string err;
  REQUIRE(ControlPlane::create(
              o, nullptr,
              [&](Event e) {
                std::lock_guard lk(mu);
                events.push_back(std::move(e));
              },
              plane, err) == SP_OK);
  CHECK(plane->stats().policy == "fixed-timeout");
  SessionInfo info;
  info.video_id = "vid";
  info.viewer_id = "ann";
  info.duration_ms = 60000;
  int64_t sid = 0;
  REQUIRE(plane->begin_session(info, &sid, err) == SP_OK);
  plane->end_session("finished");
  plane->shutdown();
  std::lock_guard lk(mu);
  int told = 0;
  for (const Event &e : events)
    if (e.type == EventType::Error) {
      CHECK(e.code == SP_ERR_UNSUPPORTED);
      CHECK(e.message.find("policy auto: stored model v1 cannot be used") != std::string::npos);
      ++told;
    }
  CHECK(told == 1);
}

TEST_CASE("online retraining stores a model only when it is at least as good on recent sessions") {
  TempDir dir;
  auto log = open_log(dir.file("history.db"));
  std::vector<TraceSession> sessions = history(120, 5);
  std::string err;
  REQUIRE(log->import_traces(sessions, err) == SP_OK);
  const CostModel cost = CostModel::defaults();

  // No model yet: the first one is stored, and the live policy becomes learned.
  std::string version;
  double loss = -1;
  bool swapped = false;
  REQUIRE(retrain_if_better(*log, cost, version, loss, swapped, err) == SP_OK);
  REQUIRE(swapped);
  CHECK(version == "1");
  CHECK(loss > 0);
  LivePolicy lp;
  REQUIRE(make_live_policy("auto", cost, 0, log.get(), lp, err) == SP_OK);
  CHECK(lp.name == "learned");
  CHECK(lp.model_version == "1");

  // A current model that has seen every session, the held-out ones included,
  // beats a candidate that has not: retraining keeps it and says why.
  std::vector<const TraceSession *> all;
  for (const auto &s : sessions) all.push_back(&s);
  std::string terr;
  auto insider = HazardModel::train(all, HazardOptions{}, nullptr, terr);
  REQUIRE(insider);
  ModelRow row;
  row.kind = HazardModel::kKind;
  row.blob = insider->to_json();
  row.metrics = insider->metrics_json();
  REQUIRE(log->save_model(row, err) == SP_OK);
  REQUIRE(row.version == 2);
  swapped = true;
  err.clear();
  REQUIRE(retrain_if_better(*log, cost, version, loss, swapped, err) == SP_OK);
  CHECK_FALSE(swapped);
  CHECK(err.find("kept the current model") != std::string::npos);
  std::optional<ModelRow> latest;
  REQUIRE(log->latest_model(HazardModel::kKind, latest, err) == SP_OK);
  REQUIRE(latest);
  CHECK(latest->version == 2);
}
