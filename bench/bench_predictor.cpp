// bench_predictor (Google Benchmark): the hazard model's training time and
// forecast throughput on simulated traces of about 1M events (12 500 viewers x
// 5 sessions, seed 7: ~62 000 sessions). Set SP_BENCH_VIEWERS to change the
// scale (e.g. 2000 for ~160 000 events). Runs in well under 2 minutes.
//
//   build/bench/bench_predictor [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "policy/policies.h"
#include "policy/replay.h"
#include "predict/hazard.h"
#include "sim/simulator.h"

using namespace sp;

namespace {

struct Data {
  std::vector<TraceSession> sessions;
  std::vector<const TraceSession *> ptrs;
  int64_t events = 0;
};

const Data &data() {
  static const Data d = [] {
    Data x;
    sim::SimOptions o;
    const char *v = std::getenv("SP_BENCH_VIEWERS");
    o.viewers = v ? std::max(10, std::atoi(v)) : 12500;
    o.sessions_per_viewer = 5;
    o.seed = 7;
    x.sessions = sim::Simulator(o).generate_all();
    for (const auto &s : x.sessions) {
      x.ptrs.push_back(&s);
      x.events += static_cast<int64_t>(s.events.size());
    }
    return x;
  }();
  return d;
}

std::shared_ptr<const HazardModel> &model() {
  static std::shared_ptr<const HazardModel> m;
  return m;
}

void BM_Train(benchmark::State &state) {
  const Data &d = data();
  for (auto _ : state) {
    std::string err;
    auto m = HazardModel::train(d.ptrs, HazardOptions{}, nullptr, err);
    if (!m) {
      state.SkipWithError(err.c_str());
      return;
    }
    model() = m;
  }
  state.counters["sessions"] = static_cast<double>(d.sessions.size());
  state.counters["events"] = static_cast<double>(d.events);
  state.counters["events_per_s"] = benchmark::Counter(static_cast<double>(d.events) * static_cast<double>(state.iterations()),
                                                      benchmark::Counter::kIsRate);
  state.counters["log_loss"] = model()->metrics().log_loss;
  state.counters["base_log_loss"] = model()->metrics().base_log_loss;
}
BENCHMARK(BM_Train)->Unit(benchmark::kSecond)->Iterations(1);

// Decision contexts of a replay (the learned policy's own decision points).
class Collect final : public Policy {
public:
  Collect(const Forecaster &f, std::vector<TraceSession> &store, std::vector<PolicyContext> &out)
      : inner_(f, CostModel::defaults()), store_(store), out_(out) {}
  std::string name() const override { return "collect"; }
  Plan plan(const PolicyContext &ctx) override {
    store_.push_back(*ctx.session);
    PolicyContext c = ctx;
    c.session = nullptr;  // fixed up after collection (the store may reallocate)
    out_.push_back(c);
    return inner_.plan(ctx);
  }

private:
  LearnedPolicy inner_;
  std::vector<TraceSession> &store_;
  std::vector<PolicyContext> &out_;
};

void BM_Forecast(benchmark::State &state) {
  if (!model()) {
    std::string err;
    model() = HazardModel::train(data().ptrs, HazardOptions{}, nullptr, err);
  }
  static std::vector<TraceSession> seen;
  static std::vector<PolicyContext> ctxs;
  if (ctxs.empty()) {
    const Data &d = data();
    for (size_t i = 0; i < d.sessions.size() && ctxs.size() < 20000; i += 7) {
      Collect c(*model(), seen, ctxs);
      replay_session(d.sessions[i], c, CostModel::defaults());
    }
    for (size_t i = 0; i < ctxs.size(); ++i) ctxs[i].session = &seen[i];
  }
  size_t i = 0;
  double sink = 0;
  for (auto _ : state) {
    Forecast f = model()->forecast(ctxs[i]);
    sink += f.cdf.back();
    if (++i == ctxs.size()) i = 0;
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["contexts"] = static_cast<double>(ctxs.size());
}
BENCHMARK(BM_Forecast);

void BM_LoadJson(benchmark::State &state) {
  if (!model()) {
    std::string err;
    model() = HazardModel::train(data().ptrs, HazardOptions{}, nullptr, err);
  }
  static const std::string text = model()->to_json();
  for (auto _ : state) {
    std::string err;
    auto m = HazardModel::from_json(text, err);
    benchmark::DoNotOptimize(m);
  }
  state.counters["json_bytes"] = static_cast<double>(text.size());
  state.SetBytesProcessed(static_cast<int64_t>(text.size()) * static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_LoadJson)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
