// Cancelling the predictor's training (issue 10, defect 6: a player being
// destroyed must not wait for online retraining): a fit stops at its next
// check once the flag is set, returns nothing half-made, and a later run
// without the flag trains normally.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "predict/hazard.h"
#include "predict/logreg.h"
#include "sim/simulator.h"

using namespace sp;

namespace {

const std::vector<TraceSession> &sessions() {
  static const std::vector<TraceSession> s = [] {
    sim::SimOptions o;
    o.viewers = 120;
    o.sessions_per_viewer = 4;
    o.videos = 30;
    o.seed = 11;
    return sim::Simulator(o).generate_all();
  }();
  return s;
}

std::vector<const TraceSession *> pointers() {
  std::vector<const TraceSession *> p;
  for (const auto &s : sessions())
    p.push_back(&s);
  return p;
}

} // namespace

TEST_CASE("fit_logistic stops before its next Newton step when cancelled") {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> nd(0, 1);
  const int n = 2000, p = 4;
  Eigen::MatrixXd X(n, p);
  Eigen::VectorXd y(n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < p; ++j)
      X(i, j) = nd(rng);
    y[i] = X(i, 0) + 0.5 * nd(rng) > 0 ? 1 : 0;
  }
  std::atomic<bool> cancel{true};
  LogRegOptions opt;
  opt.cancel = &cancel;
  LogRegResult r = fit_logistic(X, y, Eigen::VectorXd(), opt);
  CHECK(r.cancelled);
  CHECK_FALSE(r.converged);
  CHECK(r.iterations == 0);
  cancel = false;
  LogRegResult full = fit_logistic(X, y, Eigen::VectorXd(), opt);
  CHECK_FALSE(full.cancelled);
  CHECK(full.converged);
  CHECK(full.iterations > 0);
}

TEST_CASE("training cancelled part-way stops at the next check and returns no model") {
  const auto all = pointers();
  std::atomic<bool> cancel{false};
  HazardOptions opt;
  opt.refit_on_all = false;
  opt.cancel = &cancel;
  // Cancel as the third band fit is announced: nothing after it may run.
  std::vector<std::string> steps;
  int fits_announced = 0;
  auto progress = [&](const std::string &msg, double) {
    steps.push_back(msg);
    if (msg.rfind("fitting", 0) == 0 && ++fits_announced == 3) cancel = true;
  };
  std::string err;
  auto m = HazardModel::train(all, opt, progress, err);
  CHECK(m == nullptr);
  CHECK(err == "cancelled");
  CHECK(fits_announced == 3); // no band after the one under way when it was cancelled
  for (const auto &s : steps)
    CHECK(s != "done");

  // Already cancelled: stops before the first step.
  steps.clear();
  fits_announced = 0;
  err.clear();
  CHECK(HazardModel::train(all, opt, progress, err) == nullptr);
  CHECK(err == "cancelled");
  CHECK(fits_announced == 0);

  // The same sessions train normally once the flag is clear (resuming is a
  // fresh run: nothing half-made was kept).
  cancel = false;
  opt.cancel = nullptr;
  err.clear();
  auto ok = HazardModel::train(all, opt, nullptr, err);
  INFO(err);
  REQUIRE(ok != nullptr);
  CHECK(std::isfinite(ok->metrics().log_loss));

  // evaluate() is cancellable too: NaN, not a partial figure.
  std::atomic<bool> stop{true};
  CHECK(std::isnan(ok->evaluate(all, &stop)));
  CHECK(std::isfinite(ok->evaluate(all)));
}
