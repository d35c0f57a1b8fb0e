// The feature vector for one horizon band from a decision point (a Snapshot).
#include "predict/features.h"

#include <algorithm>
#include <cmath>

namespace sp::hz {

namespace {
double clamp_logit(double q) {
  q = std::clamp(q, 1e-6, 1.0 - 1e-6);
  return std::log(q / (1.0 - q));
}
double norm_sf(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }
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
