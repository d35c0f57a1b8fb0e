// Learning on the stream (HazardModel::on_stream, docs/model.md): the hazard
// model's forecasts with each viewer's statistics grown by that viewer's
// sessions that have finished by the decision's time.
#include <algorithm>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "predict/features.h"
#include "predict/hazard.h"
#include "trace/playback.h"

namespace sp {

namespace {

// A viewer's habits drift: each session weighs 1 / 0.8 as much as the one
// before it (training's sessions together as the oldest). On the benchmark's
// drifting traces (habits change half-way) 0.7-0.85 gained about 0.5 % at
// w/h = 2 over no discount; on stationary ones it changed nothing.
constexpr double kSessionDiscount = 0.8;

class StreamingHazard final : public StreamForecaster {
public:
  explicit StreamingHazard(const HazardModel &m) : model_(m) {}

  Forecast forecast(const PolicyContext &ctx) const override {
    if (!ctx.session) return model_.forecast(ctx, nullptr);
    hz::ViewerStats extra;
    double train_weight = 1.0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = viewers_.find(ctx.session->viewer);
      if (it != viewers_.end()) {
        // The sessions that ended by now, added up (the list is by end time),
        // the older ones discounted, and forgotten where habits changed.
        hz::ViewerStats all = model_.trained_viewer_stats(ctx.session->viewer);
        for (const Finished &f : it->second) {
          if (f.end_ms > ctx.now_wall_ms) break;
          const double keep = kSessionDiscount * (1 - model_.habit_change(all, f.stats));
          all.scale(keep);
          all.add(f.stats);
          extra.scale(keep);
          extra.add(f.stats);
          train_weight *= keep;
        }
      }
    }
    return model_.forecast(ctx, &extra, train_weight);
  }

  std::string describe() const override { return model_.describe() + ", learning viewers on the stream"; }

  void add_session(const TraceSession &s) override {
    int64_t end = s.end_wall_ms;
    for (const Interaction &e : s.events)
      end = std::max(end, e.wall_ms);
    end = std::max(end, session_start_ms(s));
    Finished f{end, model_.viewer_stats_of(s)};
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Finished> &v = viewers_[s.viewer];
    v.insert(
        std::upper_bound(v.begin(), v.end(), end, [](int64_t t, const Finished &x) { return t < x.end_ms; }),
        std::move(f));
  }

private:
  struct Finished {
    int64_t end_ms;
    hz::ViewerStats stats;
  };
  const HazardModel &model_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::vector<Finished>> viewers_;
};

} // namespace

std::unique_ptr<StreamForecaster> HazardModel::on_stream() const {
  return std::make_unique<StreamingHazard>(*this);
}

} // namespace sp
