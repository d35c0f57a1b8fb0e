#include "predict/features.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace sp::hz {

namespace {
double clamp_logit(double q) {
  q = std::clamp(q, 1e-6, 1.0 - 1e-6);
  return std::log(q / (1.0 - q));
}
double norm_sf(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

int kind_group(Kind k) {
  switch (k) {
  case Kind::Pause: return KPause;
  case Kind::Seek: case Kind::Skip: case Kind::Step: return KSeek;
  case Kind::Rate: return KRate;
  case Kind::Volume: case Kind::Mute: return KVolume;
  default: return -1;
  }
}
} // namespace

const char *state_name(int s) {
  switch (s) {
  case Playing: return "playing";
  case Paused: return "paused";
  default: return "other";
  }
}

const char *feature_name(int f) {
  static const char *names[kFeatureCount] = {
      "last_play",           "last_pause",        "last_seek",           "last_volume",
      "last_rate",           "last_other",        "log_actions",         "log_session_s",
      "log_session_rate",    "pos_frac",          "log_remaining_s",     "log_rate",
      "rate_changed",        "log_local_density", "viewer_log_mult",     "viewer_pause_scale",
      "viewer_log_sessions", "viewer_frac_pause", "viewer_frac_seek",    "viewer_frac_rate",
      "viewer_frac_volume",  "viewer_gap_dev",    "viewer_unseen",       "video_unseen",
      "genre_log_rate",      "genre_pause_log",   "transitions_unknown", "log_elapsed",
      "log_elapsed_sq",      "pause_logit",       "log_video_window",    "video_window_logit",
      "log_genre_window",    "past_end_frac",     "window_seen_frac",    "log_transition_window",
      "log_cut_reactions",   "age_band_logit",    "band_total_logit"};
  return f >= 0 && f < kFeatureCount ? names[f] : "?";
}

// ---- statistics ---------------------------------------------------------------

void GenreStats::finish() {
  pct_cum[0] = 0;
  for (int i = 0; i < 100; ++i) pct_cum[static_cast<size_t>(i) + 1] = pct_cum[static_cast<size_t>(i)] + pct_hz[static_cast<size_t>(i)];
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
  for (size_t i = 0; i < hz.size(); ++i) cum[i + 1] = cum[i] + hz[i];
}

double VideoStats::integral(int64_t p0, int64_t p1) const {
  if (p1 <= p0 || hz.empty()) return 0;
  const int64_t n = static_cast<int64_t>(hz.size());
  auto F = [&](int64_t p) {
    p = std::clamp<int64_t>(p, 0, n * kBinMs);
    int64_t b = std::min(n - 1, p / kBinMs);
    return cum[static_cast<size_t>(b)] + hz[static_cast<size_t>(b)] * static_cast<double>(p - b * kBinMs) / kBinMs;
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
  for (int k = 0; k < kKindGroups; ++k) kinds[static_cast<size_t>(k)] += o.kinds[static_cast<size_t>(k)];
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
  for (double &k : kinds) k *= f;
}

namespace {
// log P(y actions | exposure e expected under the mean rate) when the
// viewer's multiplier is Gamma(a, b): the negative binomial.
double log_gamma_poisson(double y, double e, double a, double b) {
  return std::lgamma(a + y) - std::lgamma(a) - std::lgamma(y + 1) + a * std::log(b / (b + e)) +
         (y > 0 ? y * std::log(e / (b + e)) : 0.0);
}
// log P(counts | Dirichlet(alpha)) without the multinomial coefficient (the
// same under either hypothesis).
template <size_t N> double log_dirichlet_multinomial(const std::array<double, N> &n, const std::array<double, N> &alpha) {
  double sa = 0, sn = 0, r = 0;
  for (size_t k = 0; k < N; ++k) {
    sa += alpha[k];
    sn += n[k];
    r += std::lgamma(alpha[k] + n[k]) - std::lgamma(alpha[k]);
  }
  return r + std::lgamma(sa) - std::lgamma(sa + sn);
}
} // namespace

double habit_change(const ViewerStats &before, const ViewerStats &next, const GlobalStats &g) {
  if (!(before.sessions > 0) || !(next.sessions > 0)) return 0.0;
  double log_bf = 0;  // log P(next | new habits) - log P(next | the old ones)
  // Activity: the multiplier's posterior from `before` against the prior (mean 1).
  if (next.play_expected > 0) {
    const double y = std::max(0.0, next.play_actions), e = next.play_expected;
    log_bf += log_gamma_poisson(y, e, kViewerPrior, kViewerPrior) -
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
        (v.kinds[static_cast<size_t>(k)] + kKindPrior * g.kind_frac[static_cast<size_t>(k)]) / (v.actions + kKindPrior);
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
  for (const auto &[id, v] : viewers) viewer_features.emplace(id, sp::hz::viewer_features(v, global));
}
ViewerFeatures viewer_features_unseen(const GlobalStats &g) { return viewer_features(ViewerStats{}, g); }

// ---- cursor -------------------------------------------------------------------

void Cursor::apply(const Interaction &e, int64_t wall) {
  if (!paused) seen_ms = std::max(seen_ms, std::min(position_at(wall), std::max<int64_t>(0, e.position_ms)));
  if (is_viewer_action(e.kind)) action_pos.push_back(paused ? kNotPlaying : std::max<int64_t>(0, e.position_ms));
  PlaybackState::apply(e, wall);
  if (is_viewer_action(e.kind)) {
    anchor_wall = wall;
    ++n_actions;
    last_kind = static_cast<int>(e.kind);
    ended = false;
  } else if (e.kind == Kind::End) {
    ended = true;
  }
}

int Cursor::state(bool paused_now) const {
  if (n_actions == 0 || ended) return Other;
  return paused_now ? Paused : Playing;
}

// ---- walking a session ----------------------------------------------------------

SessionWalk walk_session(const TraceSession &s) {
  SessionWalk w;
  w.viewer.sessions = 1;
  int64_t start = session_start_ms(s);
  int64_t end = s.end_wall_ms > 0 ? s.end_wall_ms : (s.events.empty() ? start : s.events.back().wall_ms);
  end = std::max(end, start);
  const int64_t dur = s.duration_ms;
  std::map<int, std::pair<double, double>> bins;  // bin -> (actions, exposure)
  PlaybackState st; // trace/playback.h: the one walker of play, pause, seek and rate
  st.duration_ms = dur;
  st.base_wall = start;
  const double &rate = st.rate;
  auto add_exposure = [&](int64_t a, int64_t b) {
    if (b <= a || rate <= 0) return;
    double secs = static_cast<double>(b - a) / rate / 1000.0;
    w.exposure_s += secs;
    for (int64_t x = a; x < b;) {
      int64_t bin = x / kBinMs;
      int64_t edge = std::min(b, (bin + 1) * kBinMs);
      bins[static_cast<int>(bin)].second += static_cast<double>(edge - x) / rate / 1000.0;
      x = edge;
    }
    if (dur > 0) {
      for (int64_t x = a; x < b;) {
        int64_t pb = std::min<int64_t>(99, x * 100 / dur);
        int64_t edge = std::min(b, (pb + 1) * dur / 100 + ((pb + 1) * dur % 100 ? 1 : 0));
        if (pb == 99) edge = b;
        if (edge <= x) edge = b;
        w.pct_exposure[static_cast<size_t>(pb)] += static_cast<double>(edge - x) / rate / 1000.0;
        x = edge;
      }
    }
  };
  auto advance = [&](int64_t to) {
    if (!st.paused && to > st.base_wall) add_exposure(st.pos_ms, st.position_at(to));
  };
  int64_t last_action = -1, pause_at = -1;
  // The gaps by state for the age curves: ages since `anchor` (the last
  // action, or the start), in the state `span_state` since `span_from`.
  int64_t anchor = start, span_from = start;
  int span_state = Other;
  auto close_span = [&](int64_t t, bool action) {
    w.age_spans.push_back(AgeSpan{span_state, span_from - anchor, t - anchor, action});
  };
  for (const Interaction &e : s.events) {
    if (e.wall_ms > end) break;
    int64_t t = std::max(e.wall_ms, start);
    advance(t);
    if (is_viewer_action(e.kind)) {
      if (!st.paused) {
        int64_t p = std::max<int64_t>(0, e.position_ms);
        bins[static_cast<int>(p / kBinMs)].first += 1;
        if (dur > 0) w.pct_actions[static_cast<size_t>(std::clamp<int64_t>(p * 100 / dur, 0, 99))] += 1;
        w.play_actions += 1;
      }
      w.viewer.actions += 1;
      int g = kind_group(e.kind);
      if (g >= 0) w.viewer.kinds[static_cast<size_t>(g)] += 1;
      if (last_action >= 0) {
        double lg = std::log(std::max(0.5, static_cast<double>(t - last_action) / 1000.0));
        w.gap_logs.push_back(lg);
      }
      if (pause_at >= 0) w.pause_logs.push_back(std::log(std::max(0.5, static_cast<double>(t - pause_at) / 1000.0)));
      pause_at = e.kind == Kind::Pause ? t : -1;
      last_action = t;
    }
    st.apply(e, std::max(st.base_wall, t));
    if (is_viewer_action(e.kind)) {
      close_span(t, true);
      anchor = span_from = t;
      span_state = st.paused ? Paused : Playing;
    } else if (e.kind == Kind::End && span_state != Other) {
      close_span(t, false);
      span_from = t;
      span_state = Other;
    }
  }
  close_span(std::max(end, span_from), false);
  advance(end);
  for (const auto &[b, ae] : bins) {
    w.own.bin.push_back(b);
    w.own.actions.push_back(ae.first);
    w.own.exposure.push_back(ae.second);
  }
  w.viewer.play_actions = w.play_actions;
  for (double x : w.pause_logs) w.viewer.pause_log_sum += x;
  w.viewer.pauses = static_cast<double>(w.pause_logs.size());
  for (double x : w.gap_logs) w.viewer.gap_log_sum += x;
  w.viewer.gaps = static_cast<double>(w.gap_logs.size());
  return w;
}

Stats build_stats(const std::vector<const TraceSession *> &sessions, const std::vector<SessionWalk> &walks,
                  std::vector<ViewerStats> *prior_viewer) {
  Stats st;
  const size_t n = sessions.size();
  // Global.
  double actions = 0, exposure = 0, plog = 0, plog2 = 0, pn = 0, glog = 0, gn = 0, all_actions = 0;
  std::array<double, kKindGroups> kinds{};
  std::unordered_map<std::string, std::array<double, 4>> gsum;  // genre -> actions, exposure, pause log sum, pauses
  std::unordered_map<std::string, std::vector<double>> gpause;
  for (size_t i = 0; i < n; ++i) {
    const SessionWalk &w = walks[i];
    actions += w.play_actions;
    exposure += w.exposure_s;
    for (double x : w.pause_logs) { plog += x; plog2 += x * x; pn += 1; }
    for (double x : w.gap_logs) { glog += x; gn += 1; }
    all_actions += w.viewer.actions;
    for (int k = 0; k < kKindGroups; ++k) kinds[static_cast<size_t>(k)] += w.viewer.kinds[static_cast<size_t>(k)];
    auto &g = gsum[sessions[i]->genre];
    g[0] += w.play_actions;
    g[1] += w.exposure_s;
    for (double x : w.pause_logs) { g[2] += x; g[3] += 1; }
    auto &gs = st.genres[sessions[i]->genre];
    for (size_t b = 0; b < 100; ++b) {
      gs.pct_hz[b] += w.pct_actions[b];       // temporarily: actions
      st.global_genre.pct_hz[b] += w.pct_actions[b];
    }
  }
  GlobalStats &G = st.global;
  G.rate = exposure > 0 ? actions / exposure : 1.0 / 60.0;
  if (pn > 0) {
    G.pause_log_mean = plog / pn;
    G.pause_log_sd = pn > 1 ? std::sqrt(std::max(0.05, plog2 / pn - G.pause_log_mean * G.pause_log_mean)) : 1.2;
  }
  if (gn > 0) G.gap_log_mean = glog / gn;
  for (int k = 0; k < kKindGroups; ++k)
    G.kind_frac[static_cast<size_t>(k)] = all_actions > 0 ? kinds[static_cast<size_t>(k)] / all_actions : 0.25;
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
  auto finish_genre = [&](GenreStats &gs, const std::array<double, 100> &ex, double a, double e, double ps, double pc) {
    gs.rate = (a + G.rate * kGenrePrior_s) / (e + kGenrePrior_s);
    for (size_t b = 0; b < 100; ++b) gs.pct_hz[b] = (gs.pct_hz[b] + gs.rate * kPctPrior_s) / (ex[b] + kPctPrior_s);
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
    if (v.duration_ms > 0) nb = std::max<size_t>(nb, static_cast<size_t>((v.duration_ms + kBinMs - 1) / kBinMs));
    v.actions.resize(nb, 0.0);
    v.exposure.resize(nb, 0.0);
    v.prior.assign(nb, 0.0);
    v.hz.assign(nb, 0.0);
    const GenreStats &gs = st.genre(v.genre);
    for (size_t b = 0; b < nb; ++b) {
      int64_t a = static_cast<int64_t>(b) * kBinMs;
      int64_t z = std::min<int64_t>(a + kBinMs, v.duration_ms > 0 ? std::max<int64_t>(v.duration_ms, a + 1) : a + kBinMs);
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
  for (size_t i = 0; i < n; ++i) order[i] = i;
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
    if (k + 1 == n || sessions[order[k + 1]]->viewer != sessions[i]->viewer) st.viewers[sessions[i]->viewer] = acc;
  }
  std::array<AgeCurve::Counts, kStates> age;
  for (const SessionWalk &w : walks)
    for (const AgeSpan &a : w.age_spans)
      if (a.state >= 0 && a.state < kStates) age[static_cast<size_t>(a.state)].add(a);
  for (int k = 0; k < kStates; ++k) st.age[static_cast<size_t>(k)] = AgeCurve::fit(age[static_cast<size_t>(k)]);
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

// ---- features -------------------------------------------------------------------

namespace {
// The video's hazard integral over media [p0, p1] with the session's own contribution left out.
double video_integral(const Snapshot &s, int64_t p0, int64_t p1) {
  const VideoStats &v = *s.video;
  double x = v.integral(p0, p1);
  if (!s.own || s.own->bin.empty() || v.actions.empty()) return x;
  const OwnBins &o = *s.own;
  int b0 = static_cast<int>(std::max<int64_t>(0, p0) / kBinMs);
  int b1 = static_cast<int>(std::max<int64_t>(0, p1) / kBinMs);
  auto it = std::lower_bound(o.bin.begin(), o.bin.end(), b0);
  for (; it != o.bin.end() && *it <= b1; ++it) {
    size_t j = static_cast<size_t>(it - o.bin.begin());
    size_t b = static_cast<size_t>(*it);
    if (b >= v.hz.size()) break;
    int64_t lo = std::max<int64_t>(p0, static_cast<int64_t>(b) * kBinMs);
    int64_t hi = std::min<int64_t>(p1, static_cast<int64_t>(b + 1) * kBinMs);
    if (hi <= lo) continue;
    double loo = (std::max(0.0, v.actions[b] - o.actions[j]) + v.prior[b] * kVideoPrior_s) /
                 (std::max(0.0, v.exposure[b] - o.exposure[j]) + kVideoPrior_s);
    x += (loo - v.hz[b]) * static_cast<double>(hi - lo) / 1000.0;
  }
  return std::max(0.0, x);
}

double window_integral(const Snapshot &s, int64_t p0, int64_t p1) {
  if (s.video) return video_integral(s, p0, p1);
  return s.genre->integral(p0, p1, s.duration_ms);
}

// A cut's reactions are counted in this media window around it (+-2 sd of the
// reaction kernel), per crossing of the window.
constexpr double kCutWindowLoMs = kTransitionLagMs - 2 * kTransitionSpreadMs;
constexpr double kCutWindowHiMs = kTransitionLagMs + 2 * kTransitionSpreadMs;

// Excess actions over the video's background and crossings (sessions that
// played through) in cut c's window, from the raw heatmap counts, without
// `own` (a training session's own counts) when given.
struct CutCount {
  double excess = 0, crossings = 0;
  double noise = 0;  // Poisson variance of the background's count in the window
  double rate() const { return crossings > 0 ? excess / crossings : 0.0; }
  double rate_var() const { return crossings > 0 ? noise / (crossings * crossings) : HUGE_VAL; }
};
// Empirical Bayes: a cut's reactions per crossing shrunk towards the mean over
// every cut by the share of its spread that is not the background's noise
// (none at all when the cuts draw no reactions beyond chance).
double shrunk_rate(const CutCount &c, double prior, double tau2) {
  if (!(c.crossings > 0)) return prior;
  const double k = tau2 > 0 ? tau2 / (tau2 + c.rate_var()) : 0.0;
  return std::max(0.0, prior + k * (c.rate() - prior));
}
CutCount cut_count(const VideoStats &v, int64_t c, const OwnBins *own) {
  CutCount r;
  if (v.actions.empty()) return r;
  const double a = std::max(0.0, static_cast<double>(c) + kCutWindowLoMs);
  const double b = static_cast<double>(c) + kCutWindowHiMs;
  if (b <= a) return r;
  double acts = 0, expo = 0;
  for (int64_t bin = static_cast<int64_t>(a) / kBinMs; bin <= static_cast<int64_t>(b) / kBinMs; ++bin) {
    if (bin >= static_cast<int64_t>(v.actions.size())) break;
    const double lo = std::max(a, static_cast<double>(bin * kBinMs)), hi = std::min(b, static_cast<double>((bin + 1) * kBinMs));
    if (hi <= lo) continue;
    const double share = (hi - lo) / static_cast<double>(kBinMs);
    double na = v.actions[static_cast<size_t>(bin)], ne = v.exposure[static_cast<size_t>(bin)];
    if (own) {
      auto it = std::lower_bound(own->bin.begin(), own->bin.end(), static_cast<int>(bin));
      if (it != own->bin.end() && *it == bin) {
        const size_t j = static_cast<size_t>(it - own->bin.begin());
        na = std::max(0.0, na - own->actions[j]);
        ne = std::max(0.0, ne - own->exposure[j]);
      }
    }
    acts += share * na;
    expo += share * ne;
  }
  r.crossings = expo / ((b - a) / 1000.0);
  r.excess = acts - v.base_hz * expo;  // signed: noise averages out in the prior and the shrinkage
  r.noise = std::max(v.base_hz * expo, 1e-9);
  return r;
}

// What cut i of the session's video is worth: its stored weight, or while
// training (raw counts and the session's own bins at hand) the weight
// without the session's own reactions.
double cut_weight(const Snapshot &s, size_t i) {
  if (s.own && s.video && !s.video->actions.empty()) {
    return shrunk_rate(cut_count(*s.video, (*s.transitions)[i], s.own), s.cut_prior, s.cut_tau2);
  }
  if (s.cut_weights && i < s.cut_weights->size()) return (*s.cut_weights)[i];
  return s.cut_prior;
}

// Whether the session has acted (while playing) in cut c's reaction window.
bool reacted(const Snapshot &s, int64_t c) {
  if (!s.action_pos) return false;
  const size_t n = std::min(s.action_pos->size(), static_cast<size_t>(std::max(0, s.n_actions)));
  const double lo = static_cast<double>(c) + kCutWindowLoMs, hi = static_cast<double>(c) + kCutWindowHiMs;
  for (size_t i = 0; i < n; ++i) {
    const int64_t p = (*s.action_pos)[i];
    if (p != Cursor::kNotPlaying && static_cast<double>(p) >= lo && static_cast<double>(p) <= hi) return true;
  }
  return false;
}

// The reaction kernel's mass over media [a, b] of every cut this session has
// not reacted to yet (a viewer reacts to a cut once): plain, and each cut
// weighted by what it is worth (cut_weight).
struct CutMass {
  double plain = 0, weighted = 0;
  double reacted = 0;  // weighted, of the cuts already reacted to (their bump in the heatmap is spent)
};
CutMass fresh_cuts(const Snapshot &s, double a, double b, bool weighted) {
  CutMass m;
  if (!s.transitions || s.transitions->empty() || b <= a) return m;
  const auto &tr = *s.transitions;
  auto it = std::lower_bound(tr.begin(), tr.end(), static_cast<int64_t>(a - kTransitionLagMs - 5 * kTransitionSpreadMs));
  for (; it != tr.end(); ++it) {
    const double c = static_cast<double>(*it) + kTransitionLagMs;
    if (c > b + 5 * kTransitionSpreadMs) break;
    const double k = norm_sf((a - c) / kTransitionSpreadMs) - norm_sf((b - c) / kTransitionSpreadMs);
    if (reacted(s, *it)) { // a viewer reacts to a cut once
      if (weighted && k > 0) m.reacted += k * cut_weight(s, static_cast<size_t>(it - tr.begin()));
      continue;
    }
    m.plain += k;
    if (weighted && k > 0) m.weighted += k * cut_weight(s, static_cast<size_t>(it - tr.begin()));
  }
  return m;
}
} // namespace

void base_features(const Snapshot &s, double *f) {
  for (int i = 0; i < kFeatureCount; ++i) f[i] = 0;
  switch (s.last_kind) {
  case -1: break;
  case static_cast<int>(Kind::Play): f[F_LAST_PLAY] = 1; break;
  case static_cast<int>(Kind::Pause): f[F_LAST_PAUSE] = 1; break;
  case static_cast<int>(Kind::Seek): f[F_LAST_SEEK] = 1; break;
  case static_cast<int>(Kind::Volume): case static_cast<int>(Kind::Mute): f[F_LAST_VOLUME] = 1; break;
  case static_cast<int>(Kind::Rate): f[F_LAST_RATE] = 1; break;
  default: f[F_LAST_OTHER] = 1; break;
  }
  const double since_start_s = static_cast<double>(std::max<int64_t>(0, s.since_start_ms)) / 1000.0;
  f[F_LOG_ACTIONS] = std::log1p(s.n_actions);
  f[F_LOG_SESSION_S] = std::log1p(since_start_s);
  f[F_LOG_SESSION_RATE] = std::log((s.n_actions + 1.0) / (since_start_s / 60.0 + 1.0));
  const double rate = s.rate > 0 ? s.rate : 1.0;
  if (s.duration_ms > 0) {
    f[F_POS_FRAC] = std::clamp(static_cast<double>(s.pos_ms) / static_cast<double>(s.duration_ms), 0.0, 1.0);
    f[F_LOG_REMAINING_S] = std::log1p(static_cast<double>(std::max<int64_t>(0, s.duration_ms - s.pos_ms)) / 1000.0 / rate);
  } else {
    f[F_LOG_REMAINING_S] = std::log1p(3600.0);
  }
  f[F_LOG_RATE] = std::log(rate);
  f[F_RATE_CHANGED] = std::abs(rate - 1.0) > 1e-6 ? 1 : 0;
  f[F_LOG_LOCAL_DENSITY] = std::log(window_integral(s, std::max<int64_t>(0, s.pos_ms - 5000), s.pos_ms + 10000) / 15.0 + 1e-4);
  f[F_V_LOG_MULT] = s.viewer.log_mult;
  f[F_V_PAUSE_SCALE] = s.viewer.pause_scale;
  f[F_V_LOG_SESSIONS] = s.viewer.log_sessions;
  f[F_V_FRAC_PAUSE] = s.viewer.kind_frac[KPause];
  f[F_V_FRAC_SEEK] = s.viewer.kind_frac[KSeek];
  f[F_V_FRAC_RATE] = s.viewer.kind_frac[KRate];
  f[F_V_FRAC_VOLUME] = s.viewer.kind_frac[KVolume];
  f[F_V_GAP_DEV] = s.viewer.gap_dev;
  f[F_V_UNSEEN] = s.viewer.unseen;
  f[F_VIDEO_UNSEEN] = s.video ? 0 : 1;
  f[F_G_LOG_RATE] = std::log(s.genre->rate + 1e-6);
  f[F_G_PAUSE_LOG] = s.genre->pause_log_mean;
  f[F_TRANSITIONS_UNKNOWN] = s.transitions ? 0 : 1;
}

void band_features(const Snapshot &s, int64_t lo, int64_t hi, double *f) {
  const double e_lo = static_cast<double>(std::max<int64_t>(0, s.since_action_ms) + lo) / 1000.0;
  const double e_hi = static_cast<double>(std::max<int64_t>(0, s.since_action_ms) + hi) / 1000.0;
  const double le = std::log1p(e_lo);
  f[F_LOG_ELAPSED] = le;
  f[F_LOG_ELAPSED_SQ] = le * le / 10.0;
  {
    // Log-normal pause model: P(resume in (e_lo, e_hi] | not before e_lo).
    double mu = s.genre->pause_log_mean + s.viewer.pause_scale, sd = std::max(0.2, s.genre->pause_log_sd);
    double s_lo = e_lo > 0 ? norm_sf((std::log(e_lo) - mu) / sd) : 1.0;
    double s_hi = norm_sf((std::log(std::max(1e-3, e_hi)) - mu) / sd);
    f[F_PAUSE_LOGIT] = clamp_logit(s_lo > 1e-12 ? (s_lo - s_hi) / s_lo : 0.5);
  }
  double ev = 0, eg = 0, past = 0;
  if (s.state == Playing) {
    const double rate = s.rate > 0 ? s.rate : 1.0;
    int64_t p0 = s.pos_ms + static_cast<int64_t>(static_cast<double>(lo) * rate);
    int64_t p1 = s.pos_ms + static_cast<int64_t>(static_cast<double>(hi) * rate);
    if (s.duration_ms > 0) {
      double t_end = static_cast<double>(std::max<int64_t>(0, s.duration_ms - s.pos_ms)) / rate;  // wall ms to the end
      past = std::clamp((static_cast<double>(hi) - std::max(t_end, static_cast<double>(lo))) /
                            static_cast<double>(std::max<int64_t>(1, hi - lo)),
                        0.0, 1.0);
      p0 = std::min(p0, s.duration_ms);
      p1 = std::min(p1, s.duration_ms);
    }
    ev = window_integral(s, p0, p1) / rate;
    eg = s.genre->integral(p0, p1, s.duration_ms) / rate;
  }
  f[F_LOG_VIDEO_WINDOW] = std::log(ev + 1e-3);
  f[F_VIDEO_WINDOW_LOGIT] = clamp_logit(1.0 - std::exp(-std::exp(s.viewer.log_mult) * ev));
  f[F_LOG_GENRE_WINDOW] = std::log(eg + 1e-3);
  f[F_PAST_END_FRAC] = past;
  double seen = 0;
  if (s.state == Playing) {
    // Share of the band's media window this session has already played through
    // (a bump at a scene change fires once: replayed stretches draw fewer actions).
    const double rate = s.rate > 0 ? s.rate : 1.0;
    double a = static_cast<double>(s.pos_ms) + static_cast<double>(lo) * rate;
    double b = static_cast<double>(s.pos_ms) + static_cast<double>(hi) * rate;
    double top = static_cast<double>(std::max(s.seen_ms, int64_t{0}));
    if (b > a) seen = std::clamp((std::min(b, top) - a) / (b - a), 0.0, 1.0);
  }
  f[F_WINDOW_SEEN_FRAC] = seen;
  // Fresh transitions in the band's media window: the cuts ahead that this
  // session has not played through yet (a viewer reacts to a cut once),
  // each spread by the reaction kernel; in transitions.
  CutMass et;
  if (s.state == Playing) {
    const double rate = s.rate > 0 ? s.rate : 1.0;
    et = fresh_cuts(s, static_cast<double>(s.pos_ms) + static_cast<double>(lo) * rate,
                    static_cast<double>(s.pos_ms) + static_cast<double>(hi) * rate, true);
  }
  f[F_LOG_TRANSITION_WINDOW] = std::log(et.plain + 0.01);
  // The same cuts, each worth the reactions it drew from the other sessions
  // (a salient cut draws nearly every viewer, a spurious one nobody).
  f[F_LOG_CUT_REACTIONS] = std::log(et.weighted + 0.005);
  // The band's expected actions as a sum: the viewer's share of the
  // heatmap's background (less the bumps of the cuts in it) plus each fresh
  // cut's reactions, as a probability (an additive hazard, where the log
  // features above combine multiplicatively).
  if (s.state == Playing) {
    const double background = std::max(0.1 * ev, ev - et.weighted - et.reacted);
    f[F_BAND_TOTAL_LOGIT] = clamp_logit(1.0 - std::exp(-(std::exp(s.viewer.log_mult) * background + et.weighted)));
  } else {
    f[F_BAND_TOTAL_LOGIT] = 0;
  }
  // The age curve's own answer for the band (the hazard by time since the
  // last action, pooled over every session in this state): sharp where the
  // gaps are (nobody acts within 10 s, then many do), which the smooth
  // elapsed-time terms above cannot follow.
  double age_q = 0.5;
  if (s.age && !s.age->empty()) {
    const int64_t a = std::max<int64_t>(0, s.since_action_ms);
    age_q = 1.0 - std::exp(-(s.age->cumulative(a + hi) - s.age->cumulative(a + lo)));
  }
  f[F_AGE_BAND_LOGIT] = clamp_logit(age_q);
}

double shape_weight(const Snapshot &s, int64_t band_lo, int64_t band_hi, int64_t t0, int64_t t1) {
  const double dt_s = static_cast<double>(std::max<int64_t>(0, t1 - t0)) / 1000.0;
  if (dt_s <= 0) return 0;
  const AgeCurve *age = s.age && !s.age->empty() ? s.age : nullptr;
  // Not playing, nothing on the video places an action: the age curve alone
  // (and a trace of the flat hazard, so that no step is ever empty).
  if (s.state != Playing) return age ? age->step_mass(s.since_action_ms, band_lo, t0, t1) + 1e-9 * dt_s : dt_s;
  const double rate = s.rate > 0 ? s.rate : 1.0;
  const double end = s.duration_ms > 0 ? static_cast<double>(s.duration_ms) : HUGE_VAL;
  auto media = [&](int64_t t) { return std::min(end, static_cast<double>(s.pos_ms) + static_cast<double>(t) * rate); };
  // The band's background: its heatmap mass less the bumps of the cuts in it
  // (those fresh are placed below; those reacted to are spent), spread evenly
  // over the band's media (nothing past the media's end).
  const double A = media(band_lo), B = media(band_hi);
  double background = 0;
  if (B > A) {
    const double heat = window_integral(s, static_cast<int64_t>(A), static_cast<int64_t>(B)) / rate;
    const CutMass band = fresh_cuts(s, A, B, true);
    background = std::max(0.1 * heat, heat - band.reacted - band.weighted) * (media(t1) - media(t0)) / (B - A);
    // ... and, over the band, as the age curve has it: the step's density
    // against the band's mean (after an action, a sharp start or a lull).
    if (age) {
      const double band_mass = age->step_mass(s.since_action_ms, band_lo, band_lo, band_hi);
      const double band_s = static_cast<double>(band_hi - band_lo) / 1000.0;
      if (band_mass > 1e-12 && band_s > 0)
        background *= age->step_mass(s.since_action_ms, band_lo, t0, t1) / dt_s / (band_mass / band_s);
    }
  }
  // Each fresh cut where its reaction comes, and a trace of the flat hazard
  // everywhere (so that a band with nothing in it keeps its mass spread evenly).
  return background + fresh_cuts(s, media(t0), media(t1), true).weighted + 1e-4 * dt_s;
}

void derive_cut_weights(Stats &st) {
  st.cut_weights.clear();
  st.cut_prior = 0;
  double excess = 0, crossings = 0;
  std::vector<std::pair<const std::string *, std::vector<CutCount>>> counts;
  for (const auto &[id, tr] : st.transitions) {
    auto vit = st.videos.find(id);
    if (vit == st.videos.end() || vit->second.actions.empty() || tr.empty()) continue;
    VideoStats &v = vit->second;
    // The background: the raw rate over the bins clear of every cut's
    // reaction window (the whole video's when none is).
    {
      std::vector<char> near(v.actions.size(), 0);
      for (int64_t c : tr) {
        const int64_t b0 = std::max<int64_t>(0, static_cast<int64_t>(static_cast<double>(c) + kCutWindowLoMs) / kBinMs);
        const int64_t b1 = static_cast<int64_t>(static_cast<double>(c) + kCutWindowHiMs) / kBinMs;
        for (int64_t b = b0; b <= b1 && b < static_cast<int64_t>(near.size()); ++b) near[static_cast<size_t>(b)] = 1;
      }
      double na = 0, ne = 0, ta = 0, te = 0;
      for (size_t b = 0; b < v.actions.size(); ++b) {
        ta += v.actions[b];
        te += v.exposure[b];
        if (near[b]) continue;
        na += v.actions[b];
        ne += v.exposure[b];
      }
      v.base_hz = ne > 0 ? na / ne : te > 0 ? ta / te : 0.0;
    }
    std::vector<CutCount> cc;
    cc.reserve(tr.size());
    for (int64_t c : tr) {
      cc.push_back(cut_count(v, c, nullptr));
      excess += cc.back().excess;
      crossings += cc.back().crossings;
    }
    counts.emplace_back(&id, std::move(cc));
  }
  st.cut_prior = crossings > 0 ? std::max(0.0, excess / crossings) : 0.0;
  // The spread of the cuts' true rates: their rates' variance (weighted by
  // crossings) less the mean noise variance (method of moments).
  double m2 = 0, noise = 0, wsum = 0;
  for (auto &[id, cc] : counts)
    for (const CutCount &c : cc) {
      if (!(c.crossings >= 1)) continue;
      m2 += c.crossings * (c.rate() - st.cut_prior) * (c.rate() - st.cut_prior);
      noise += c.crossings * c.rate_var();
      wsum += c.crossings;
    }
  st.cut_tau2 = wsum > 0 ? std::max(0.0, (m2 - noise) / wsum) : 0.0;
  for (auto &[id, cc] : counts) {
    std::vector<double> w;
    w.reserve(cc.size());
    for (const CutCount &c : cc) w.push_back(static_cast<float>(shrunk_rate(c, st.cut_prior, st.cut_tau2)));
    st.cut_weights.emplace(*id, std::move(w));
  }
}

} // namespace sp::hz
