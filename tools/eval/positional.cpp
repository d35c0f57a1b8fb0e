#include "positional.h"

#include <algorithm>
#include <cmath>

#include "policy/replay.h"
#include "trace/playback.h"

namespace sp_eval {

using namespace sp;

namespace {
constexpr int kBurstS = 120;
constexpr double kVideoPrior_s = 60.0;   // pseudo-exposure pulling a video bin to its genre
constexpr double kViewerPrior = 5.0;     // pseudo-actions pulling a viewer's multiplier to 1

int pct_bin(int64_t pos, int64_t dur) {
  if (dur <= 0) return 0;
  return static_cast<int>(std::clamp<int64_t>(pos * 100 / dur, 0, 99));
}

// Walk a session's playing stretches: cb(pos_from, pos_to, rate, elapsed_from_s) per
// stretch, act(pos, elapsed_s) per viewer action made while playing.
template <class Stretch, class Act>
void walk(const TraceSession &s, Stretch stretch, Act act) {
  int64_t start = 0, end = 0;
  session_span(s, start, end);
  PlaybackState st; // trace/playback.h: the one walker of play, pause, seek and rate
  st.duration_ms = s.duration_ms;
  st.base_wall = start;
  int64_t last_action = start;
  auto advance = [&](int64_t to_wall) {
    if (!st.paused && to_wall > st.base_wall)
      stretch(st.pos_ms, st.position_at(to_wall), st.rate,
              static_cast<double>(st.base_wall - last_action) / 1000.0);
  };
  for (const Interaction &e : s.events) {
    if (e.wall_ms > end) break;
    advance(e.wall_ms);
    if (is_viewer_action(e.kind) && !st.paused)
      act(e.position_ms, static_cast<double>(e.wall_ms - last_action) / 1000.0);
    st.apply(e, std::max(st.base_wall, e.wall_ms));
    if (is_viewer_action(e.kind) || e.kind == Kind::Open) last_action = e.wall_ms;
  }
  advance(end);
}

void add_exposure(std::vector<double> &v, int64_t from, int64_t to, double rate, int64_t bin_ms) {
  if (to <= from || rate <= 0) return;
  int64_t b = from / bin_ms;
  while (from < to) {
    int64_t edge = std::min(to, (b + 1) * bin_ms);
    if (static_cast<size_t>(b) >= v.size()) v.resize(static_cast<size_t>(b) + 1, 0.0);
    v[static_cast<size_t>(b)] += static_cast<double>(edge - from) / rate / 1000.0;
    from = edge;
    ++b;
  }
}
void add_count(std::vector<double> &v, size_t b) {
  if (b >= v.size()) v.resize(b + 1, 0.0);
  v[b] += 1;
}
double at(const std::vector<double> &v, size_t b) { return b < v.size() ? v[b] : 0.0; }
} // namespace

std::shared_ptr<const PositionalForecaster> PositionalForecaster::train(const std::vector<const TraceSession *> &sessions) {
  auto f = std::make_shared<PositionalForecaster>();
  f->sessions_ = static_cast<int64_t>(sessions.size());
  double total_actions = 0, total_exposure = 0;
  std::vector<double> burst_act(kBurstS, 0.0), burst_exp(kBurstS, 0.0);
  for (const TraceSession *s : sessions) {
    Hist &hv = f->video_[s->video];
    Hist &hg = f->genre_[s->genre];
    hg.actions.resize(100, 0.0);
    hg.exposure_s.resize(100, 0.0);
    walk(
        *s,
        [&](int64_t a, int64_t b, double rate, double el) {
          add_exposure(hv.exposure_s, a, b, rate, kBinMs);
          double secs = static_cast<double>(b - a) / rate / 1000.0;
          total_exposure += secs;
          if (s->duration_ms > 0) {
            // percent bins
            std::vector<double> tmp;
            int64_t pb = s->duration_ms / 100 > 0 ? s->duration_ms / 100 : 1;
            add_exposure(tmp, a, b, rate, pb);
            for (size_t i = 0; i < tmp.size(); ++i) hg.exposure_s[std::min<size_t>(i, 99)] += tmp[i];
          }
          for (int k = static_cast<int>(el); k < kBurstS && k < el + secs; ++k)
            burst_exp[static_cast<size_t>(k)] += std::min<double>(1.0, el + secs - k) - std::max<double>(0.0, el - k);
        },
        [&](int64_t pos, double el) {
          add_count(hv.actions, static_cast<size_t>(std::max<int64_t>(0, pos) / kBinMs));
          hg.actions[static_cast<size_t>(pct_bin(pos, s->duration_ms))] += 1;
          total_actions += 1;
          if (el >= 0 && el < kBurstS) burst_act[static_cast<size_t>(el)] += 1;
        });
  }
  f->global_rate_ = total_exposure > 0 ? total_actions / total_exposure : 0.0;
  // Burst: excess hazard over the positional baseline shortly after an action.
  f->burst_.assign(kBurstS, 0.0);
  for (int k = 0; k < kBurstS; ++k) {
    double hz = burst_exp[static_cast<size_t>(k)] > 10 ? burst_act[static_cast<size_t>(k)] / burst_exp[static_cast<size_t>(k)] : 0.0;
    f->burst_[static_cast<size_t>(k)] = std::max(0.0, hz - f->global_rate_);
  }
  // Viewer multipliers: observed / expected playing actions.
  std::map<std::string, std::pair<double, double>> ve;  // viewer -> (actions, expected)
  for (const TraceSession *s : sessions) {
    auto &p = ve[s->viewer];
    walk(
        *s,
        [&](int64_t a, int64_t b, double rate, double) {
          for (int64_t x = a; x < b; x += kBinMs) {
            int64_t y = std::min(b, (x / kBinMs + 1) * kBinMs);
            p.second += f->hazard(s->video, s->genre, s->duration_ms, x) * static_cast<double>(y - x) / rate / 1000.0;
            x = y - kBinMs;
            if (y >= b) break;
          }
        },
        [&](int64_t, double) { p.first += 1; });
  }
  for (auto &[v, p] : ve) f->viewer_mult_[v] = (p.first + kViewerPrior) / (p.second + kViewerPrior);
  // Viewer pause scale: geometric mean of the viewer's pause lengths over the
  // overall one, shrunk towards 1 with kPausePrior pseudo-pauses.
  constexpr double kPausePrior = 3.0;
  std::map<std::string, std::pair<double, double>> pl;  // viewer -> (sum log s, n)
  double gsum = 0, gn = 0;
  for (const TraceSession *s : sessions) {
    int64_t paused_at = -1;
    for (const Interaction &e : s->events) {
      if (e.kind == Kind::Pause) paused_at = e.wall_ms;
      else if (e.kind == Kind::Play && paused_at >= 0) {
        double d = std::log(std::max(0.5, static_cast<double>(e.wall_ms - paused_at) / 1000.0));
        pl[s->viewer].first += d;
        pl[s->viewer].second += 1;
        gsum += d;
        gn += 1;
        paused_at = -1;
      } else if (is_viewer_action(e.kind)) paused_at = -1;
    }
  }
  double gmean = gn > 0 ? gsum / gn : 0.0;
  for (auto &[v, p] : pl) f->viewer_pause_scale_[v] = std::exp((p.first - p.second * gmean) / (p.second + kPausePrior));
  f->paused_ = EmpiricalForecaster::train(sessions);
  return f;
}

double PositionalForecaster::hazard(const std::string &video, const std::string &genre, int64_t dur, int64_t pos) const {
  double g = global_rate_;
  auto gi = genre_.find(genre);
  if (gi != genre_.end() && dur > 0) {
    size_t b = static_cast<size_t>(pct_bin(pos, dur));
    double e = at(gi->second.exposure_s, b), a = at(gi->second.actions, b);
    g = (a + global_rate_ * 30.0) / (e + 30.0);
  }
  auto vi = video_.find(video);
  if (vi == video_.end()) return g;
  size_t b = static_cast<size_t>(std::max<int64_t>(0, pos) / kBinMs);
  double e = at(vi->second.exposure_s, b), a = at(vi->second.actions, b);
  return (a + g * kVideoPrior_s) / (e + kVideoPrior_s);
}

Forecast PositionalForecaster::forecast(const PolicyContext &ctx) const {
  if (!ctx.session) return paused_->forecast(ctx);
  char st = EmpiricalForecaster::state_of(ctx);
  if (st == 'o' || st == 'e') return paused_->forecast(ctx);
  if (ctx.paused) {
    auto it = viewer_pause_scale_.find(ctx.session->viewer);
    return paused_->forecast_scaled(ctx, it == viewer_pause_scale_.end() ? 1.0 : it->second);
  }
  const TraceSession &s = *ctx.session;
  Forecast f;
  f.horizon_ms = eval_horizons();
  f.cdf.resize(f.horizon_ms.size());
  int64_t last = s.start_wall_ms;
  for (const Interaction &e : s.events)
    if (is_viewer_action(e.kind) || e.kind == Kind::Open) last = e.wall_ms;
  double el0 = static_cast<double>(std::max<int64_t>(0, ctx.now_wall_ms - last)) / 1000.0;
  double mult = 1.0;
  auto vm = viewer_mult_.find(s.viewer);
  if (vm != viewer_mult_.end()) mult = vm->second;
  double rate = ctx.rate > 0 ? ctx.rate : 1.0;
  double cum = 0;
  int64_t t = 0;
  size_t k = 0;
  const int64_t step = 1000;
  while (k < f.horizon_ms.size()) {
    int64_t pos = ctx.position_ms + static_cast<int64_t>(static_cast<double>(t) * rate);
    double hz = 0;
    if (s.duration_ms <= 0 || pos < s.duration_ms) {
      hz = mult * hazard(s.video, s.genre, s.duration_ms, pos);
      double el = el0 + static_cast<double>(t) / 1000.0;
      if (el < kBurstS) hz += burst_[static_cast<size_t>(el)];
    }
    cum += hz * static_cast<double>(step) / 1000.0;
    t += step;
    while (k < f.horizon_ms.size() && f.horizon_ms[k] <= t) {
      f.cdf[k] = 1.0 - std::exp(-cum);
      ++k;
    }
  }
  return f;
}

std::string PositionalForecaster::describe() const {
  return "positional hazard per video 5 s bin x viewer activity + burst, KM while paused (" +
         std::to_string(sessions_) + " sessions, " + std::to_string(video_.size()) + " videos)";
}

} // namespace sp_eval
