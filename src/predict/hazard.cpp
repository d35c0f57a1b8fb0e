// The hazard model: one L2 logistic regression per (player state, horizon
// band) on the features of src/predict/features.h (docs/model.md, "Predictor").
#include "predict/hazard.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/hash.h"
#include "predict/features.h"
#include "predict/hazard_impl.h"
#include "predict/logreg.h"

namespace sp {

using namespace sp::hz;

namespace {

constexpr int kMinRows = 50;      // fewer at-risk rows (or < 5 of either outcome): intercept only
constexpr double kEps = 1e-6;     // probabilities are clipped to [kEps, 1 - kEps] in the log loss

const std::vector<int64_t> &default_horizons() {
  static const std::vector<int64_t> h{1000, 2000, 5000, 10000, 20000, 30000, 45000,
                                      60000, 90000, 120000, 180000, 300000, 600000, 1800000};
  return h;
}

// Elapsed times (s) since the last action at which training decision points
// are taken (0 = at the action itself), jittered by +-25 %.
constexpr std::array<double, 12> kLadder_s{0, 1, 3, 6, 12, 25, 50, 100, 200, 400, 900, 1800};

double unit(uint64_t h) { return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0); }

// A decision point of a session, as seen by the replay.
struct Point : SessionPoint {
  uint32_t session = 0;
  int64_t delta_ms = -1;   // to the next viewer action (-1: none before the end)
  int64_t censor_ms = 0;   // to the end of the session
  uint64_t hash = 0;
};

// Calls cb(Point) for each training decision point of session s.
template <class CB>
void session_points(const TraceSession &s, uint32_t index, CB &&cb) {
  const int64_t start = session_start_ms(s);
  int64_t end = s.end_wall_ms > 0 ? s.end_wall_ms : (s.events.empty() ? start : s.events.back().wall_ms);
  end = std::max(end, start);
  const uint64_t sh = fnv1a64(s.session_id) ^ (static_cast<uint64_t>(index) << 32);
  // Events in the span.
  size_t n = 0;
  while (n < s.events.size() && s.events[n].wall_ms <= end) ++n;
  std::vector<int64_t> next_action(n + 1, -1);
  for (size_t i = n; i-- > 0;)
    next_action[i] = is_viewer_action(s.events[i].kind) ? std::max(s.events[i].wall_ms, start) : next_action[i + 1];
  Cursor c;
  c.duration_ms = s.duration_ms;
  c.start_wall = c.anchor_wall = c.base_wall = start;
  size_t i = 0;
  while (i < n && s.events[i].wall_ms <= start && !is_viewer_action(s.events[i].kind)) c.apply(s.events[i++], start);
  int64_t seg = start;
  uint64_t anchor_no = 0;
  while (true) {
    int64_t seg_end = i < n ? std::max(s.events[i].wall_ms, seg) : end;
    seg_end = std::min(seg_end, end);
    if (seg_end > seg) {
      for (size_t j = 0; j < kLadder_s.size(); ++j) {
        uint64_t h = splitmix64(sh ^ (anchor_no * 64 + j));
        double e0 = kLadder_s[j] * 1000.0 * (j == 0 ? 1.0 : 0.75 + 0.5 * unit(h));
        int64_t t = c.anchor_wall + static_cast<int64_t>(e0);
        if (t < seg) continue;
        if (t >= seg_end) break;
        Point p;
        p.session = index;
        p.state = c.state(c.paused);
        p.n_actions = c.n_actions;
        p.last_kind = c.last_kind;
        p.since_action_ms = t - c.anchor_wall;
        p.since_start_ms = t - start;
        p.pos_ms = c.position_at(t);
        p.seen_ms = c.seen_ms;
        p.rate = c.rate;
        int64_t na = next_action[i];
        p.delta_ms = na >= 0 ? na - t : -1;
        p.censor_ms = end - t;
        p.hash = splitmix64(h ^ 0x5bd1e995ull);
        cb(p);
      }
    }
    if (i >= n || seg_end >= end) break;
    const Interaction &e = s.events[i++];
    int64_t t = std::max(e.wall_ms, seg);
    c.apply(e, t);
    if (is_viewer_action(e.kind)) ++anchor_no;
    seg = t;
  }
}

// The session's viewer actions in order, with their media positions while
// playing (Cursor::action_pos), as session_points replays them.
std::vector<int64_t> action_positions(const TraceSession &s) {
  const int64_t start = session_start_ms(s);
  int64_t end = s.end_wall_ms > 0 ? s.end_wall_ms : (s.events.empty() ? start : s.events.back().wall_ms);
  end = std::max(end, start);
  Cursor c;
  c.duration_ms = s.duration_ms;
  c.start_wall = c.anchor_wall = c.base_wall = start;
  int64_t t = start;
  for (const Interaction &e : s.events) {
    if (e.wall_ms > end) break;
    t = std::max(t, e.wall_ms);
    c.apply(e, t);
  }
  return std::move(c.action_pos);
}

// At risk in band (lo, hi] and the outcome.
inline bool at_risk(const Point &p, int band, int64_t lo) {
  if (p.censor_ms <= lo && band > 0) return false;
  if (band == 0) return p.censor_ms > 0 || p.delta_ms >= 0;
  return p.delta_ms < 0 || p.delta_ms > lo;
}
inline bool outcome(const Point &p, int64_t hi) { return p.delta_ms >= 0 && p.delta_ms <= hi; }

} // namespace

HazardModel::HazardModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HazardModel::~HazardModel() = default;

const HazardMetrics &HazardModel::metrics() const { return impl_->metrics; }

std::shared_ptr<const VideoTransitions> HazardModel::transitions() const {
  if (impl_->stats.transitions.empty()) return nullptr;
  return std::make_shared<const VideoTransitions>(impl_->stats.transitions.begin(),
                                                  impl_->stats.transitions.end());
}

HazardMetrics HazardModel::Impl::score(const std::vector<const TraceSession *> &sessions, int64_t max_points,
                                       const std::atomic<bool> *cancel) const {
  HazardMetrics m;
  int64_t total = 0;
  for (size_t i = 0; i < sessions.size(); ++i)
    session_points(*sessions[i], static_cast<uint32_t>(i), [&](const Point &) { ++total; });
  const double keep = total > max_points && max_points > 0 ? static_cast<double>(max_points) / static_cast<double>(total) : 1.0;
  double ll = 0, bll = 0, brier = 0, pairs = 0;
  std::array<double, 10> bp{}, bo{};
  std::array<int64_t, 10> bc{};
  std::vector<double> q(nb());
  for (size_t i = 0; i < sessions.size(); ++i) {
    if (cancel && cancel->load(std::memory_order_relaxed)) {
      m.log_loss = std::numeric_limits<double>::quiet_NaN();
      return m;
    }
    const TraceSession &s = *sessions[i];
    const ViewerFeatures vf = stats.viewer(s.viewer);
    const std::vector<int64_t> apos = action_positions(s);
    session_points(s, static_cast<uint32_t>(i), [&](const Point &p) {
      if (keep < 1.0 && unit(p.hash) >= keep) return;
      ++m.examples;
      Snapshot sn = snapshot(p, s, nullptr, vf, &apos);
      hazards(sn, q.data());
      for (size_t k = 0; k < nb(); ++k) {
        if (!at_risk(p, static_cast<int>(k), lo(k))) break;
        double y = outcome(p, horizons[k]) ? 1.0 : 0.0;
        double pk = std::clamp(q[k], kEps, 1 - kEps);
        double b = std::clamp(k < base_rate.size() ? base_rate[k] : 0.5, kEps, 1 - kEps);
        ll -= y * std::log(pk) + (1 - y) * std::log(1 - pk);
        bll -= y * std::log(b) + (1 - y) * std::log(1 - b);
        brier += (q[k] - y) * (q[k] - y);
        pairs += 1;
        size_t bin = static_cast<size_t>(std::clamp(static_cast<int>(q[k] * 10), 0, 9));
        bp[bin] += q[k];
        bo[bin] += y;
        ++bc[bin];
        if (y > 0) break;
      }
    });
  }
  if (pairs > 0) {
    m.log_loss = ll / pairs;
    m.base_log_loss = bll / pairs;
    m.brier = brier / pairs;
  }
  m.calibration.resize(10);
  for (size_t b = 0; b < 10; ++b) {
    m.calibration[b].count = bc[b];
    m.calibration[b].predicted = bc[b] ? bp[b] / static_cast<double>(bc[b]) : (static_cast<double>(b) + 0.5) / 10.0;
    m.calibration[b].observed = bc[b] ? bo[b] / static_cast<double>(bc[b]) : 0.0;
  }
  return m;
}

namespace {

// Fits the per-(state, band) regressions on `sessions`. Returns null when
// there is nothing to learn.
std::unique_ptr<HazardModel::Impl> fit_impl(const std::vector<const TraceSession *> &sessions, const HazardOptions &opt,
                                            const std::vector<int64_t> &horizons, const TrainProgress &progress,
                                            double p0, double p1, int64_t &points_used) {
  auto report = [&](const std::string &msg, double f) {
    if (progress) progress(msg, p0 + (p1 - p0) * std::clamp(f, 0.0, 1.0));
  };
  // Cancelled (HazardOptions::cancel): fit_impl returns null, train() says why.
  auto cancelled = [&] { return opt.cancel && opt.cancel->load(std::memory_order_relaxed); };
  auto impl = std::make_unique<HazardModel::Impl>();
  impl->horizons = horizons;
  impl->l2 = opt.l2;
  const size_t nb = horizons.size();
  const size_t n = sessions.size();
  report("statistics of " + std::to_string(n) + " sessions", 0.0);
  std::vector<SessionWalk> walks(n);
  for (size_t i = 0; i < n; ++i) {
    if ((i & 63) == 0 && cancelled()) return nullptr;
    walks[i] = walk_session(*sessions[i]);
  }
  std::vector<ViewerStats> prior;
  if (cancelled()) return nullptr;
  impl->stats = build_stats(sessions, walks, &prior);
  if (opt.transitions)
    for (const auto &[video, pos] : *opt.transitions)
      impl->stats.transitions.emplace(video, pos);
  derive_cut_weights(impl->stats);
  const GlobalStats &G = impl->stats.global;
  std::vector<ViewerFeatures> vf(n);
  std::vector<std::vector<int64_t>> apos(n);
  for (size_t i = 0; i < n; ++i) apos[i] = action_positions(*sessions[i]);
  for (size_t i = 0; i < n; ++i) vf[i] = viewer_features(prior[i], G);

  // Decision points (deterministic subsample to max_examples).
  report("decision points", 0.1);
  if (cancelled()) return nullptr;
  int64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    if ((i & 63) == 0 && cancelled()) return nullptr;
    session_points(*sessions[i], static_cast<uint32_t>(i), [&](const Point &) { ++total; });
  }
  const double keep = opt.max_examples > 0 && total > opt.max_examples
                          ? static_cast<double>(opt.max_examples) / static_cast<double>(total)
                          : 1.0;
  std::vector<Point> pts;
  pts.reserve(static_cast<size_t>(std::min<double>(static_cast<double>(total), static_cast<double>(total) * keep + 16)));
  for (size_t i = 0; i < n; ++i) {
    if ((i & 63) == 0 && cancelled()) return nullptr;
    session_points(*sessions[i], static_cast<uint32_t>(i), [&](const Point &p) {
      if (keep >= 1.0 || unit(p.hash) < keep) pts.push_back(p);
    });
  }
  points_used = static_cast<int64_t>(pts.size());
  if (pts.empty() || cancelled()) return nullptr;

  // At-risk rows per (state, band) and the marginal rates.
  std::vector<int64_t> count(kStates * nb, 0);
  std::vector<double> pos_band(nb, 0), risk_band(nb, 0);
  for (const Point &p : pts)
    for (size_t k = 0; k < nb; ++k) {
      int64_t lo = k == 0 ? 0 : horizons[k - 1];
      if (!at_risk(p, static_cast<int>(k), lo)) break;
      ++count[static_cast<size_t>(p.state) * nb + k];
      risk_band[k] += 1;
      if (outcome(p, horizons[k])) {
        pos_band[k] += 1;
        break;
      }
    }
  impl->base_rate.resize(nb);
  for (size_t k = 0; k < nb; ++k) impl->base_rate[k] = (pos_band[k] + 0.5) / (risk_band[k] + 1.0);

  impl->bands.assign(kStates * nb, BandModel{});
  const int64_t cap = std::max<int64_t>(1000, opt.max_rows_per_band);
  LogRegOptions lo_opt;
  lo_opt.l2 = opt.l2;
  lo_opt.max_iterations = opt.max_iterations;
  lo_opt.cancel = opt.cancel;
  std::array<double, kFeatureCount> f;
  for (int st = 0; st < kStates; ++st) {
    // Row buffers for this state's bands (float to keep memory small).
    std::vector<std::vector<float>> X(nb);
    std::vector<std::vector<float>> Y(nb);
    std::vector<double> keep_band(nb);
    for (size_t k = 0; k < nb; ++k) {
      int64_t c = count[static_cast<size_t>(st) * nb + k];
      keep_band[k] = c > cap ? static_cast<double>(cap) / static_cast<double>(c) : 1.0;
      size_t expect = static_cast<size_t>(std::min<int64_t>(c, cap + cap / 10 + 16));
      X[k].reserve(expect * kFeatureCount);
      Y[k].reserve(expect);
    }
    size_t seen = 0;
    for (const Point &p : pts) {
      if ((++seen & 4095) == 0 && cancelled()) return nullptr;
      if (p.state != st) continue;
      const TraceSession &s = *sessions[p.session];
      Snapshot sn = impl->snapshot(p, s, &walks[p.session].own, vf[p.session], &apos[p.session]);
      bool have_base = false;
      for (size_t k = 0; k < nb; ++k) {
        int64_t lo = k == 0 ? 0 : horizons[k - 1];
        if (!at_risk(p, static_cast<int>(k), lo)) break;
        bool y = outcome(p, horizons[k]);
        if (keep_band[k] >= 1.0 || unit(splitmix64(p.hash + k)) < keep_band[k]) {
          if (!have_base) {
            base_features(sn, f.data());
            have_base = true;
          }
          band_features(sn, lo, horizons[k], f.data());
          for (int j = 0; j < kFeatureCount; ++j) X[k].push_back(static_cast<float>(f[static_cast<size_t>(j)]));
          Y[k].push_back(y ? 1.0f : 0.0f);
        }
        if (y) break;
      }
    }
    for (size_t k = 0; k < nb; ++k) {
      if (cancelled()) return nullptr;
      BandModel &bm = impl->bands[static_cast<size_t>(st) * nb + k];
      const Eigen::Index rows = static_cast<Eigen::Index>(Y[k].size());
      double pos = 0;
      for (float y : Y[k]) pos += y;
      bm.rows = rows;
      bm.positives = pos;
      bm.coef.assign(kFeatureCount, 0.0);
      bm.mean.assign(kFeatureCount, 0.0);
      bm.scale.assign(kFeatureCount, 1.0);
      report(std::string("fitting ") + state_name(st) + " band " + std::to_string(k + 1) + "/" + std::to_string(nb) +
                 " (" + std::to_string(rows) + " rows)",
             0.2 + 0.8 * (static_cast<double>(st) * static_cast<double>(nb) + static_cast<double>(k)) /
                       static_cast<double>(kStates * nb));
      if (rows < kMinRows || pos < 5 || static_cast<double>(rows) - pos < 5) {
        // Too little to fit features: the smoothed rate (the band's marginal rate as prior).
        double r = (pos + 2.0 * impl->base_rate[k]) / (static_cast<double>(rows) + 2.0);
        r = std::clamp(r, 1e-6, 1 - 1e-6);
        bm.intercept = std::log(r / (1 - r));
        continue;
      }
      Eigen::MatrixXd M(rows, kFeatureCount);
      Eigen::VectorXd yv(rows);
      for (Eigen::Index r = 0; r < rows; ++r) {
        for (int j = 0; j < kFeatureCount; ++j) M(r, j) = X[k][static_cast<size_t>(r) * kFeatureCount + static_cast<size_t>(j)];
        yv[r] = Y[k][static_cast<size_t>(r)];
      }
      std::vector<float>().swap(X[k]);
      if (cancelled()) return nullptr;
      Standardizer sd = Standardizer::fit(M);
      sd.apply(M);
      LogRegResult res = fit_logistic(M, yv, Eigen::VectorXd(), lo_opt);
      if (res.cancelled) return nullptr;
      double b = 0;
      Eigen::VectorXd c;
      sd.unscale(res.intercept, res.coef, b, c);
      bm.intercept = b;
      for (int j = 0; j < kFeatureCount; ++j) {
        bm.coef[static_cast<size_t>(j)] = c[j];
        bm.mean[static_cast<size_t>(j)] = sd.mean[j];
        bm.scale[static_cast<size_t>(j)] = sd.scale[j];
      }
      bm.iterations = res.iterations;
      bm.converged = res.converged;
    }
  }
  return impl;
}

} // namespace

std::shared_ptr<const HazardModel> HazardModel::train(const std::vector<const TraceSession *> &sessions_in,
                                                      const HazardOptions &opt, const TrainProgress &progress,
                                                      std::string &err) {
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<const TraceSession *> sessions;
  sessions.reserve(sessions_in.size());
  int64_t events = 0, actions = 0;
  for (const TraceSession *s : sessions_in) {
    if (!s) continue;
    sessions.push_back(s);
    events += static_cast<int64_t>(s->events.size());
    for (const Interaction &e : s->events) actions += is_viewer_action(e.kind) ? 1 : 0;
  }
  if (sessions.empty()) {
    err = "no sessions to train on";
    return nullptr;
  }
  if (actions == 0) {
    err = "no viewer actions in " + std::to_string(sessions.size()) + " sessions: nothing to learn";
    return nullptr;
  }
  std::vector<int64_t> horizons = opt.horizons_ms.empty() ? default_horizons() : opt.horizons_ms;
  for (size_t k = 0; k < horizons.size(); ++k)
    if (horizons[k] <= 0 || (k > 0 && horizons[k] <= horizons[k - 1])) {
      err = "horizons must be positive and increasing";
      return nullptr;
    }
  if (horizons.empty()) {
    err = "no horizons";
    return nullptr;
  }
  if (!(opt.l2 >= 0) || !std::isfinite(opt.l2)) {
    err = "l2 must be a finite number >= 0";
    return nullptr;
  }
  // Hold out the latest sessions (by start time) for the metrics.
  std::vector<const TraceSession *> order = sessions;
  std::stable_sort(order.begin(), order.end(),
                   [](const TraceSession *a, const TraceSession *b) { return a->start_wall_ms < b->start_wall_ms; });
  size_t held = 0;
  double hf = std::clamp(opt.holdout_fraction, 0.0, 0.9);
  if (order.size() >= static_cast<size_t>(kMinHoldoutSessions) && hf > 0)
    held = std::max<size_t>(1, static_cast<size_t>(std::floor(hf * static_cast<double>(order.size()))));
  std::vector<const TraceSession *> fit_part(order.begin(), order.end() - static_cast<std::ptrdiff_t>(held));
  std::vector<const TraceSession *> holdout(order.end() - static_cast<std::ptrdiff_t>(held), order.end());

  int64_t pts = 0;
  const bool refit = held > 0 && opt.refit_on_all;
  auto first = fit_impl(fit_part, opt, horizons, progress, 0.0, refit ? 0.45 : 0.9, pts);
  if (opt.cancel && opt.cancel->load()) {
    err = "cancelled";
    return nullptr;
  }
  if (!first) {
    err = "no decision points in the training sessions";
    return nullptr;
  }
  HazardMetrics m;
  if (held > 0) {
    if (progress) progress("scoring " + std::to_string(held) + " held-out sessions", refit ? 0.45 : 0.9);
    m = first->score(holdout, opt.max_examples, opt.cancel);
  } else {
    m = first->score(fit_part, opt.max_examples, opt.cancel);  // in-sample: too few sessions to hold any out
  }
  std::unique_ptr<Impl> impl = std::move(first);
  if (refit) {
    int64_t pts2 = 0;
    auto all = fit_impl(sessions, opt, horizons, progress, 0.5, 0.95, pts2);
    if (all && !(opt.cancel && opt.cancel->load())) {
      impl = std::move(all);
      pts = pts2;
    }
  }
  if (opt.cancel && opt.cancel->load()) {
    err = "cancelled";
    return nullptr;
  }
  m.sessions_seen = static_cast<int64_t>(sessions.size());
  m.events_seen = events;
  m.examples = pts;
  m.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.holdout_sessions = static_cast<int64_t>(held);
  impl->metrics = m;
  // Training-only arrays are not needed any more.
  for (auto &[id, v] : impl->stats.videos) {
    // Served (and stored) in float precision: a stored model forecasts exactly like this one.
    for (double &x : v.hz) x = static_cast<double>(static_cast<float>(x));
    v.finish();
    std::vector<double>().swap(v.actions);
    std::vector<double>().swap(v.exposure);
    std::vector<double>().swap(v.prior);
  }
  if (progress) progress("done", 1.0);
  return std::make_shared<const HazardModel>(std::move(impl));
}

Forecast HazardModel::forecast(const PolicyContext &ctx) const { return forecast(ctx, nullptr); }

ViewerStats HazardModel::viewer_stats_of(const TraceSession &s) const { return session_viewer_stats(impl_->stats, s); }
ViewerStats HazardModel::trained_viewer_stats(const std::string &viewer) const {
  auto it = impl_->stats.viewers.find(viewer);
  return it != impl_->stats.viewers.end() ? it->second : ViewerStats{};
}
double HazardModel::habit_change(const ViewerStats &before, const ViewerStats &next) const {
  return hz::habit_change(before, next, impl_->stats.global);
}

Forecast HazardModel::forecast(const PolicyContext &ctx, const ViewerStats *extra, double train_weight) const {
  const Impl &I = *impl_;
  Forecast fc;
  fc.horizon_ms = I.horizons;
  fc.cdf.assign(I.nb(), 0.0);
  Snapshot sn;
  static const TraceSession kEmpty;
  const TraceSession &s = ctx.session ? *ctx.session : kEmpty;
  Cursor c;
  c.duration_ms = s.duration_ms;
  const int64_t start = ctx.session ? session_start_ms(s) : ctx.now_wall_ms;
  c.start_wall = c.anchor_wall = c.base_wall = start;
  for (const Interaction &e : s.events) c.apply(e, std::max(e.wall_ms, start));
  sn.state = c.state(ctx.paused);
  if (!ctx.session) sn.state = ctx.paused ? Paused : Playing;
  sn.since_action_ms = std::max<int64_t>(0, ctx.now_wall_ms - c.anchor_wall);
  sn.since_start_ms = std::max<int64_t>(0, ctx.now_wall_ms - start);
  sn.n_actions = c.n_actions;
  sn.last_kind = c.last_kind;
  sn.pos_ms = ctx.position_ms;
  sn.seen_ms = c.seen_ms;
  sn.rate = ctx.rate > 0 && std::isfinite(ctx.rate) ? ctx.rate : 1.0;
  I.attach(sn, s);
  if (extra && extra->sessions > 0) {
    auto it = I.stats.viewers.find(s.viewer);
    ViewerStats v = it != I.stats.viewers.end() ? it->second : ViewerStats{};
    v.scale(train_weight);
    v.add(*extra);
    sn.viewer = viewer_features(v, I.stats.global);
  } else {
    sn.viewer = I.stats.viewer(s.viewer);
  }
  sn.action_pos = &c.action_pos;
  std::array<double, 64> qbuf;
  std::vector<double> qvec;
  double *q = qbuf.data();
  if (I.nb() > qbuf.size()) {
    qvec.resize(I.nb());
    q = qvec.data();
  }
  I.hazards(sn, q);
  if (sn.state != Playing && (!sn.age || sn.age->empty())) {  // no shape to place an action by: the bands alone
    double surv = 1.0;
    for (size_t k = 0; k < I.nb(); ++k) {
      double qk = std::isfinite(q[k]) ? std::clamp(q[k], 0.0, 1.0) : 0.0;
      surv *= 1.0 - qk;
      fc.cdf[k] = std::clamp(1.0 - surv, k ? fc.cdf[k - 1] : 0.0, 1.0);
    }
    return fc;
  }
  // Within a band the fit gives only the band's probability. Its shape in
  // time follows the age curve and, while playing, the video (shape_weight):
  // the band's probability is spread over 1 s steps (5 s beyond 2 min; the
  // bands beyond 10 min stay whole) in proportion to it, so the cdf at every
  // band's end is the fit's, an action expected just after a fresh scene
  // change, or where the gaps between actions are, is placed there, and
  // where nothing stands out the cdf is linear between the band's ends,
  // exactly as Forecast::cdf_at interpolates the bands alone.
  fc.horizon_ms.clear();
  fc.cdf.clear();
  fc.horizon_ms.reserve(I.nb() + 256);
  fc.cdf.reserve(I.nb() + 256);
  std::vector<int64_t> pts;
  std::vector<double> wts;
  double surv = 1.0;
  for (size_t k = 0; k < I.nb(); ++k) {
    const double qk = std::isfinite(q[k]) ? std::clamp(q[k], 0.0, 1.0 - 1e-12) : 0.0;
    const int64_t lo = I.lo(k), hi = I.horizons[k];
    pts.clear();
    wts.clear();
    for (int64_t t = lo; t < hi;) {
      const int64_t step = t < 120000 ? 1000 : 5000;
      const int64_t nxt = t >= 600000 ? hi : std::min(hi, (t / step + 1) * step);
      pts.push_back(nxt);
      wts.push_back(shape_weight(sn, lo, hi, t, nxt));
      t = nxt;
    }
    double total = 0;
    for (double x : wts) total += x;
    const bool shaped = total > 0 && std::isfinite(total);  // else evenly
    double cum = 0;
    for (size_t j = 0; j < pts.size(); ++j) {
      cum += shaped ? wts[j] : 1.0;
      const double frac = j + 1 == pts.size() ? 1.0 : cum / (shaped ? total : static_cast<double>(pts.size()));
      const double c = 1.0 - surv * (1.0 - qk * frac);
      fc.horizon_ms.push_back(pts[j]);
      fc.cdf.push_back(std::clamp(c, fc.cdf.empty() ? 0.0 : fc.cdf.back(), 1.0));
    }
    surv *= 1.0 - qk;
  }
  return fc;
}

std::string HazardModel::describe() const {
  char buf[200];
  const HazardMetrics &m = impl_->metrics;
  std::snprintf(buf, sizeof buf, "%s (%d features x %zu bands x %d states, %s log loss %.4f vs base %.4f%s)",
                kKind, static_cast<int>(kFeatureCount), impl_->nb(), kStates,
                m.in_sample() ? "in-sample" : "held-out", m.log_loss, m.base_log_loss,
                m.in_sample() ? ", nothing held out" : "");
  return buf;
}

double HazardModel::evaluate(const std::vector<const TraceSession *> &sessions,
                             const std::atomic<bool> *cancel) const {
  std::vector<const TraceSession *> ss;
  for (const TraceSession *s : sessions)
    if (s) ss.push_back(s);
  return impl_->score(ss, 0, cancel).log_loss;
}

} // namespace sp
