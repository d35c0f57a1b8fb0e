// The statistics behind the features (docs/model.md, "Predictor"): genres,
// videos and viewers gathered from training sessions, with their shrinkage,
// and the viewer habit-change test of the stream.
#include "predict/features.h"

#include <algorithm>
#include <cmath>

namespace sp::hz {

// ---- statistics ---------------------------------------------------------------

void GenreStats::finish() {
  pct_cum[0] = 0;
  for (int i = 0; i < 100; ++i)
    pct_cum[static_cast<size_t>(i) + 1] = pct_cum[static_cast<size_t>(i)] + pct_hz[static_cast<size_t>(i)];
}

double GenreStats::integral(int64_t p0, int64_t p1, int64_t dur) const {
  if (p1 <= p0) return 0;
  if (dur <= 0) return rate * static_cast<double>(p1 - p0) / 1000.0;
  auto F = [&](int64_t p) {
    double x = std::clamp(static_cast<double>(p) * 100.0 / static_cast<double>(dur), 0.0, 100.0);
    int b = std::min(99, static_cast<int>(x));
    return pct_cum[static_cast<size_t>(b)] + pct_hz[static_cast<size_t>(b)] * (x - b);
  };
  return (F(p1) - F(p0)) * static_cast<double>(dur) / 100.0 / 1000.0;
}

void VideoStats::finish() {
  cum.assign(hz.size() + 1, 0.0);
  for (size_t i = 0; i < hz.size(); ++i)
    cum[i + 1] = cum[i] + hz[i];
}

double VideoStats::integral(int64_t p0, int64_t p1) const {
  if (p1 <= p0 || hz.empty()) return 0;
  const int64_t n = static_cast<int64_t>(hz.size());
  auto F = [&](int64_t p) {
    p = std::clamp<int64_t>(p, 0, n * kBinMs);
    int64_t b = std::min(n - 1, p / kBinMs);
    return cum[static_cast<size_t>(b)] +
           hz[static_cast<size_t>(b)] * static_cast<double>(p - b * kBinMs) / kBinMs;
  };
  return (F(p1) - F(p0)) * (kBinMs / 1000.0);
}

void ViewerStats::add(const ViewerStats &o) {
  sessions += o.sessions;
  play_actions += o.play_actions;
  play_expected += o.play_expected;
  pause_log_sum += o.pause_log_sum;
  pauses += o.pauses;
  gap_log_sum += o.gap_log_sum;
  gaps += o.gaps;
  actions += o.actions;
  for (int k = 0; k < kKindGroups; ++k)
    kinds[static_cast<size_t>(k)] += o.kinds[static_cast<size_t>(k)];
}

void ViewerStats::scale(double f) {
  sessions *= f;
  play_actions *= f;
  play_expected *= f;
  pause_log_sum *= f;
  pauses *= f;
  gap_log_sum *= f;
  gaps *= f;
  actions *= f;
  for (double &k : kinds)
    k *= f;
}

namespace {
// log Gamma(x) for x > 0. lgamma_r, not std::lgamma: glibc's lgamma writes
// the global signgam, a data race when the control planes of two players in
// one process test their viewers' habits at once.
double log_gamma(double x) {
  int sign = 0;
  return ::lgamma_r(x, &sign);
}

// log P(y actions | exposure e expected under the mean rate) when the
// viewer's multiplier is Gamma(a, b): the negative binomial.
double log_gamma_poisson(double y, double e, double a, double b) {
  return log_gamma(a + y) - log_gamma(a) - log_gamma(y + 1) + a * std::log(b / (b + e)) +
         (y > 0 ? y * std::log(e / (b + e)) : 0.0);
}
// log P(counts | Dirichlet(alpha)) without the multinomial coefficient (the
// same under either hypothesis).
template <size_t N>
double log_dirichlet_multinomial(const std::array<double, N> &n, const std::array<double, N> &alpha) {
  double sa = 0, sn = 0, r = 0;
  for (size_t k = 0; k < N; ++k) {
    sa += alpha[k];
    sn += n[k];
    r += log_gamma(alpha[k] + n[k]) - log_gamma(alpha[k]);
  }
  return r + log_gamma(sa) - log_gamma(sa + sn);
}
} // namespace

double habit_change(const ViewerStats &before, const ViewerStats &next, const GlobalStats &g) {
  if (!(before.sessions > 0) || !(next.sessions > 0)) return 0.0;
  double log_bf = 0; // log P(next | new habits) - log P(next | the old ones)
  // Activity: the multiplier's posterior from `before` against the prior (mean 1).
  if (next.play_expected > 0) {
    const double y = std::max(0.0, next.play_actions), e = next.play_expected;
    log_bf +=
        log_gamma_poisson(y, e, kViewerPrior, kViewerPrior) -
        log_gamma_poisson(y, e, kViewerPrior + before.play_actions, kViewerPrior + before.play_expected);
  }
  // The mix of action kinds (the four groups and the rest).
  if (next.actions > 0) {
    std::array<double, kKindGroups + 1> n{}, fresh{}, old{};
    double rest_n = next.actions, rest_old = before.actions, rest_g = 1.0;
    for (size_t k = 0; k < static_cast<size_t>(kKindGroups); ++k) {
      n[k] = next.kinds[k];
      fresh[k] = kKindPrior * std::max(g.kind_frac[k], 0.01);
      old[k] = fresh[k] + before.kinds[k];
      rest_n -= next.kinds[k];
      rest_old -= before.kinds[k];
      rest_g -= g.kind_frac[k];
    }
    n[kKindGroups] = std::max(0.0, rest_n);
    fresh[kKindGroups] = kKindPrior * std::max(rest_g, 0.01);
    old[kKindGroups] = fresh[kKindGroups] + std::max(0.0, rest_old);
    log_bf += log_dirichlet_multinomial(n, fresh) - log_dirichlet_multinomial(n, old);
  }
  const double odds = kHabitChangePrior / (1 - kHabitChangePrior) * std::exp(std::clamp(log_bf, -50.0, 50.0));
  return odds / (1 + odds);
}

void add_session_stats(ViewerStats &acc, const ViewerStats &next, const GlobalStats &g) {
  const double p = habit_change(acc, next, g);
  if (p > 0) acc.scale(1 - p);
  acc.add(next);
}

ViewerFeatures viewer_features(const ViewerStats &v, const GlobalStats &g) {
  ViewerFeatures f;
  f.unseen = v.sessions > 0 ? 0.0 : 1.0;
  f.log_sessions = std::log1p(v.sessions);
  f.log_mult = std::log((v.play_actions + kViewerPrior) / (v.play_expected + kViewerPrior));
  f.pause_scale = (v.pause_log_sum - v.pauses * g.pause_log_mean) / (v.pauses + kPausePrior);
  f.gap_dev = (v.gap_log_sum - v.gaps * g.gap_log_mean) / (v.gaps + kGapPrior);
  for (int k = 0; k < kKindGroups; ++k)
    f.kind_frac[static_cast<size_t>(k)] =
        (v.kinds[static_cast<size_t>(k)] + kKindPrior * g.kind_frac[static_cast<size_t>(k)]) /
        (v.actions + kKindPrior);
  return f;
}

const GenreStats &Stats::genre(const std::string &g) const {
  auto it = genres.find(g);
  return it != genres.end() ? it->second : global_genre;
}
const VideoStats *Stats::video(const std::string &id) const {
  auto it = videos.find(id);
  return it != videos.end() ? &it->second : nullptr;
}
const std::vector<int64_t> *Stats::transitions_of(const std::string &video) const {
  auto it = transitions.find(video);
  return it != transitions.end() ? &it->second : nullptr;
}
const std::vector<double> *Stats::cut_weights_of(const std::string &video) const {
  auto it = cut_weights.find(video);
  return it != cut_weights.end() ? &it->second : nullptr;
}
ViewerFeatures Stats::viewer(const std::string &id) const {
  auto it = viewer_features.find(id);
  if (it != viewer_features.end()) return it->second;
  return viewer_features_unseen(global);
}
void Stats::derive() {
  viewer_features.clear();
  viewer_features.reserve(viewers.size());
  for (const auto &[id, v] : viewers)
    viewer_features.emplace(id, sp::hz::viewer_features(v, global));
}
ViewerFeatures viewer_features_unseen(const GlobalStats &g) {
  return viewer_features(ViewerStats{}, g);
}

Stats build_stats(const std::vector<const TraceSession *> &sessions, const std::vector<SessionWalk> &walks,
                  std::vector<ViewerStats> *prior_viewer) {
  Stats st;
  const size_t n = sessions.size();
  // Global.
  double actions = 0, exposure = 0, plog = 0, plog2 = 0, pn = 0, glog = 0, gn = 0, all_actions = 0;
  std::array<double, kKindGroups> kinds{};
  std::unordered_map<std::string, std::array<double, 4>>
      gsum; // genre -> actions, exposure, pause log sum, pauses
  std::unordered_map<std::string, std::vector<double>> gpause;
  for (size_t i = 0; i < n; ++i) {
    const SessionWalk &w = walks[i];
    actions += w.play_actions;
    exposure += w.exposure_s;
    for (double x : w.pause_logs) {
      plog += x;
      plog2 += x * x;
      pn += 1;
    }
    for (double x : w.gap_logs) {
      glog += x;
      gn += 1;
    }
    all_actions += w.viewer.actions;
    for (int k = 0; k < kKindGroups; ++k)
      kinds[static_cast<size_t>(k)] += w.viewer.kinds[static_cast<size_t>(k)];
    auto &g = gsum[sessions[i]->genre];
    g[0] += w.play_actions;
    g[1] += w.exposure_s;
    for (double x : w.pause_logs) {
      g[2] += x;
      g[3] += 1;
    }
    auto &gs = st.genres[sessions[i]->genre];
    for (size_t b = 0; b < 100; ++b) {
      gs.pct_hz[b] += w.pct_actions[b]; // temporarily: actions
      st.global_genre.pct_hz[b] += w.pct_actions[b];
    }
  }
  GlobalStats &G = st.global;
  G.rate = exposure > 0 ? actions / exposure : 1.0 / 60.0;
  if (pn > 0) {
    G.pause_log_mean = plog / pn;
    G.pause_log_sd =
        pn > 1 ? std::sqrt(std::max(0.05, plog2 / pn - G.pause_log_mean * G.pause_log_mean)) : 1.2;
  }
  if (gn > 0) G.gap_log_mean = glog / gn;
  for (int k = 0; k < kKindGroups; ++k)
    G.kind_frac[static_cast<size_t>(k)] =
        all_actions > 0 ? kinds[static_cast<size_t>(k)] / all_actions : 0.25;
  // Genre percent heatmaps: actions / exposure, shrunk to the genre's rate.
  std::unordered_map<std::string, std::array<double, 100>> gexp;
  std::array<double, 100> allexp{};
  for (size_t i = 0; i < n; ++i) {
    auto &e = gexp[sessions[i]->genre];
    for (size_t b = 0; b < 100; ++b) {
      e[b] += walks[i].pct_exposure[b];
      allexp[b] += walks[i].pct_exposure[b];
    }
  }
  auto finish_genre = [&](GenreStats &gs, const std::array<double, 100> &ex, double a, double e, double ps,
                          double pc) {
    gs.rate = (a + G.rate * kGenrePrior_s) / (e + kGenrePrior_s);
    for (size_t b = 0; b < 100; ++b)
      gs.pct_hz[b] = (gs.pct_hz[b] + gs.rate * kPctPrior_s) / (ex[b] + kPctPrior_s);
    gs.pause_log_mean = (ps + G.pause_log_mean * kGenrePausePrior) / (pc + kGenrePausePrior);
    gs.pause_log_sd = G.pause_log_sd;
    gs.finish();
  };
  finish_genre(st.global_genre, allexp, actions, exposure, plog, pn);
  for (auto &[name, gs] : st.genres) {
    const auto &g = gsum[name];
    finish_genre(gs, gexp[name], g[0], g[1], g[2], g[3]);
  }
  // Videos.
  for (size_t i = 0; i < n; ++i) {
    const TraceSession &s = *sessions[i];
    VideoStats &v = st.videos[s.video];
    if (v.genre.empty()) v.genre = s.genre;
    v.duration_ms = std::max(v.duration_ms, s.duration_ms);
    const OwnBins &o = walks[i].own;
    for (size_t j = 0; j < o.bin.size(); ++j) {
      size_t b = static_cast<size_t>(o.bin[j]);
      if (b >= v.actions.size()) {
        v.actions.resize(b + 1, 0.0);
        v.exposure.resize(b + 1, 0.0);
      }
      v.actions[b] += o.actions[j];
      v.exposure[b] += o.exposure[j];
    }
  }
  for (auto &[id, v] : st.videos) {
    size_t nb = v.actions.size();
    if (v.duration_ms > 0)
      nb = std::max<size_t>(nb, static_cast<size_t>((v.duration_ms + kBinMs - 1) / kBinMs));
    v.actions.resize(nb, 0.0);
    v.exposure.resize(nb, 0.0);
    v.prior.assign(nb, 0.0);
    v.hz.assign(nb, 0.0);
    const GenreStats &gs = st.genre(v.genre);
    for (size_t b = 0; b < nb; ++b) {
      int64_t a = static_cast<int64_t>(b) * kBinMs;
      int64_t z = std::min<int64_t>(a + kBinMs,
                                    v.duration_ms > 0 ? std::max<int64_t>(v.duration_ms, a + 1) : a + kBinMs);
      double pr = gs.integral(a, z, v.duration_ms) / (static_cast<double>(z - a) / 1000.0);
      v.prior[b] = pr;
      v.hz[b] = (v.actions[b] + pr * kVideoPrior_s) / (v.exposure[b] + kVideoPrior_s);
    }
    v.finish();
  }
  // Viewers: each session's expected playing actions under its video's genre prior.
  std::vector<ViewerStats> contrib(n);
  for (size_t i = 0; i < n; ++i) {
    contrib[i] = walks[i].viewer;
    const VideoStats &v = st.videos[sessions[i]->video];
    const OwnBins &o = walks[i].own;
    double ex = 0;
    for (size_t j = 0; j < o.bin.size(); ++j) {
      size_t b = static_cast<size_t>(o.bin[j]);
      ex += o.exposure[j] * (b < v.prior.size() ? v.prior[b] : G.rate);
    }
    contrib[i].play_expected = ex;
  }
  // Each viewer's sessions in order of their start, old habits forgotten
  // where they changed (add_session_stats): what each session knew of its
  // viewer before it (prior_viewer), and all of it (Stats::viewers).
  if (prior_viewer) prior_viewer->assign(n, ViewerStats{});
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (sessions[a]->viewer != sessions[b]->viewer) return sessions[a]->viewer < sessions[b]->viewer;
    return sessions[a]->start_wall_ms < sessions[b]->start_wall_ms;
  });
  ViewerStats acc;
  for (size_t k = 0; k < n; ++k) {
    const size_t i = order[k];
    if (k == 0 || sessions[order[k - 1]]->viewer != sessions[i]->viewer) acc = ViewerStats{};
    if (prior_viewer) (*prior_viewer)[i] = acc;
    add_session_stats(acc, contrib[i], G);
    if (k + 1 == n || sessions[order[k + 1]]->viewer != sessions[i]->viewer)
      st.viewers[sessions[i]->viewer] = acc;
  }
  std::array<AgeCurve::Counts, kStates> age;
  for (const SessionWalk &w : walks)
    for (const AgeSpan &a : w.age_spans)
      if (a.state >= 0 && a.state < kStates) age[static_cast<size_t>(a.state)].add(a);
  for (int k = 0; k < kStates; ++k)
    st.age[static_cast<size_t>(k)] = AgeCurve::fit(age[static_cast<size_t>(k)]);
  st.derive();
  return st;
}

ViewerStats session_viewer_stats(const Stats &st, const TraceSession &s) {
  const SessionWalk w = walk_session(s);
  ViewerStats v = w.viewer;
  const VideoStats *vs = st.video(s.video);
  const GenreStats &gs = st.genre(vs && !vs->genre.empty() ? vs->genre : s.genre);
  const int64_t dur = vs ? std::max(vs->duration_ms, s.duration_ms) : s.duration_ms;
  double ex = 0;
  for (size_t j = 0; j < w.own.bin.size(); ++j) {
    // As build_stats' video prior: the genre's heatmap over the bin.
    const int64_t a = static_cast<int64_t>(w.own.bin[j]) * kBinMs;
    const int64_t z = std::min<int64_t>(a + kBinMs, dur > 0 ? std::max<int64_t>(dur, a + 1) : a + kBinMs);
    ex += w.own.exposure[j] * gs.integral(a, z, dur) / (static_cast<double>(z - a) / 1000.0);
  }
  v.play_expected = ex;
  return v;
}

} // namespace sp::hz
