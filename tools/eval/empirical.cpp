#include "empirical.h"

#include <algorithm>
#include <cmath>

#include "policy/replay.h"

namespace sp_eval {

using namespace sp;

const std::vector<int64_t> &eval_horizons() {
  static const std::vector<int64_t> h = [] {
    std::vector<int64_t> v;
    for (int64_t t = 1000; t <= 1800000; t += (t < 60000 ? 1000 : t < 300000 ? 5000 : 30000)) v.push_back(t);
    return v;
  }();
  return h;
}

double EmpiricalForecaster::Curve::S(double t) const {
  auto it = std::upper_bound(t_s.begin(), t_s.end(), t);
  if (it == t_s.begin()) return 1.0;
  return survival[static_cast<size_t>(it - t_s.begin() - 1)];
}

EmpiricalForecaster::Curve EmpiricalForecaster::km(std::vector<std::pair<double, bool>> &obs) {
  Curve c;
  c.n = static_cast<int64_t>(obs.size());
  std::sort(obs.begin(), obs.end());
  double at_risk = static_cast<double>(obs.size()), s = 1.0;
  size_t i = 0;
  while (i < obs.size()) {
    double t = obs[i].first;
    double events = 0, leaving = 0;
    while (i < obs.size() && obs[i].first == t) {
      if (obs[i].second) events += 1;
      leaving += 1;
      ++i;
    }
    if (events > 0 && at_risk > 0) {
      s *= 1.0 - events / at_risk;
      c.t_s.push_back(t);
      c.survival.push_back(s);
    }
    at_risk -= leaving;
  }
  return c;
}

std::shared_ptr<const EmpiricalForecaster> EmpiricalForecaster::train(const std::vector<const TraceSession *> &sessions) {
  std::map<std::string, std::vector<std::pair<double, bool>>> obs;
  auto f = std::make_shared<EmpiricalForecaster>();
  for (const TraceSession *s : sessions) {
    int64_t start = 0, end = 0;
    session_span(*s, start, end);
    int64_t prev = start;
    char state = 'o';  // o: opened, no action yet; p: paused; r: playing; e: after the end of the media
    for (const Interaction &e : s->events) {
      if (e.wall_ms > end) break;
      if (e.kind == Kind::Open) continue;
      if (e.kind == Kind::End) {
        state = 'e';
        continue;
      }
      double gap = static_cast<double>(std::max<int64_t>(0, e.wall_ms - prev)) / 1000.0;
      std::string p = std::string("|") + state;
      obs[s->genre + p].push_back({gap, true});
      obs["*" + p].push_back({gap, true});
      prev = std::max(prev, e.wall_ms);
      if (e.kind == Kind::Play) state = 'r';
      else if (e.kind == Kind::Pause || e.kind == Kind::Stop) state = 'p';
      else if (state == 'o') state = 'p';
      ++f->gaps_;
    }
    double tail = static_cast<double>(std::max<int64_t>(0, end - prev)) / 1000.0;
    std::string p = std::string("|") + state;
    obs[s->genre + p].push_back({tail, false});
    obs["*" + p].push_back({tail, false});
  }
  for (auto &[k, o] : obs) f->curves_[k] = km(o);
  return f;
}

char EmpiricalForecaster::state_of(const PolicyContext &ctx) {
  if (!ctx.session) return ctx.paused ? 'p' : 'r';
  bool acted = false, ended = false;
  for (const Interaction &e : ctx.session->events) {
    if (is_viewer_action(e.kind)) {
      acted = true;
      ended = false;
    } else if (e.kind == Kind::End) ended = true;
  }
  if (ended) return 'e';
  if (!acted) return 'o';
  return ctx.paused ? 'p' : 'r';
}

const EmpiricalForecaster::Curve &EmpiricalForecaster::curve(const std::string &genre, char state) const {
  static const Curve empty;
  std::string p = std::string("|") + state;
  auto it = curves_.find(genre + p);
  if (it != curves_.end() && it->second.n >= 50) return it->second;
  it = curves_.find("*" + p);
  return it != curves_.end() ? it->second : empty;
}

Forecast EmpiricalForecaster::forecast(const PolicyContext &ctx) const { return forecast_scaled(ctx, 1.0); }

Forecast EmpiricalForecaster::forecast_scaled(const PolicyContext &ctx, double scale) const {
  if (!(scale > 0)) scale = 1.0;
  Forecast f;
  f.horizon_ms = eval_horizons();
  f.cdf.resize(f.horizon_ms.size());
  int64_t last = ctx.now_wall_ms;
  if (ctx.session) {
    last = ctx.session->start_wall_ms;
    for (const Interaction &e : ctx.session->events)
      if (is_viewer_action(e.kind) || e.kind == Kind::Open) last = e.wall_ms;
  }
  double elapsed = static_cast<double>(std::max<int64_t>(0, ctx.now_wall_ms - last)) / 1000.0 / scale;
  const Curve &c = curve(ctx.session ? ctx.session->genre : "", state_of(ctx));
  double s0 = c.S(elapsed);
  double prev = 0;
  for (size_t k = 0; k < f.horizon_ms.size(); ++k) {
    double v = s0 > 1e-12 ? 1.0 - c.S(elapsed + static_cast<double>(f.horizon_ms[k]) / 1000.0 / scale) / s0 : 1.0;
    prev = std::max(prev, std::clamp(v, 0.0, 1.0));
    f.cdf[k] = prev;
  }
  return f;
}

std::string EmpiricalForecaster::describe() const {
  return "empirical Kaplan-Meier gaps per (genre, state: opened/paused/playing/ended) from " + std::to_string(gaps_) + " gaps";
}

} // namespace sp_eval
