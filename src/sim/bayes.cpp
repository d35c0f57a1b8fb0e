// The Bayes reference forecaster (see bayes.h and docs/model.md, "Bayes
// reference"). Every distribution here is the simulator's own (sim/model.h).
#include "sim/bayes.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/interaction.h"
#include "sim/model.h"

namespace sp::sim {

using namespace model;

namespace {

constexpr double kSqrt2 = 1.4142135623730951;

double norm_sf(double z) {
  return 0.5 * std::erfc(z / kSqrt2);
}
double norm_cdf(double z) {
  return 0.5 * std::erfc(-z / kSqrt2);
}

double lognormal_sf(double x, double median, double sigma) {
  if (x <= 0) return 1.0;
  return norm_sf(std::log(x / median) / sigma);
}

// P(pause length > x): log-normal or (walk-away) Pareto, clamped to [min, max].
double pause_sf(double x, const Viewer &v) {
  if (x < kPauseMinMs) return 1.0;
  if (x >= kPauseMaxMs) return 0.0;
  const double ln = lognormal_sf(x, v.pause_median_s * kSec, v.pause_sigma);
  const double par = x <= kWalkAwayScaleMs ? 1.0 : std::pow(kWalkAwayScaleMs / x, kWalkAwayShape);
  return (1.0 - v.walk_away_prob) * ln + v.walk_away_prob * par;
}

// P(gap > x) in a renewal mode.
double gap_sf(double x, const SimOptions &o) {
  if (x <= 0) return 1.0;
  const double mean = o.mean_gap_s * kSec;
  switch (o.mode) {
  case Mode::Bursty: {
    const double long_mean = (mean - kBurstShareShort * kBurstShortMeanMs) / (1.0 - kBurstShareShort);
    return kBurstShareShort * std::exp(-x / kBurstShortMeanMs) +
           (1.0 - kBurstShareShort) * std::exp(-x / long_mean);
  }
  case Mode::HeavyTailed: {
    const double xm = mean * (kHeavyShape - 1.0) / kHeavyShape;
    return x <= xm ? 1.0 : std::pow(xm / x, kHeavyShape);
  }
  default:
    return std::exp(-x / mean);
  }
}

// Forecast whose survival from now is S(t) / S(0) (no competing end).
template <typename SF> void fill_from_sf(Forecast &fc, SF sf) {
  const double s0 = sf(0.0);
  fc.cdf.resize(fc.horizon_ms.size());
  if (!(s0 > 0)) {
    std::fill(fc.cdf.begin(), fc.cdf.end(), 1.0);
    return;
  }
  double prev = 0;
  for (size_t k = 0; k < fc.horizon_ms.size(); ++k) {
    double f = std::clamp(1.0 - sf(static_cast<double>(fc.horizon_ms[k])) / s0, 0.0, 1.0);
    prev = std::max(prev, f);
    fc.cdf[k] = prev;
  }
}

// ---- the structured process ------------------------------------------------

bool from_point_process(Kind k) {
  return k == Kind::Pause || k == Kind::Seek || k == Kind::Volume || k == Kind::Mute || k == Kind::Rate ||
         k == Kind::Stop;
}

struct Interval {
  double a = 0, b = 0; // media ms played continuously
  int end_event = -1;  // index of the event at b (-1: the stretch up to now)
};

// A structure bump (scene change or intro end) and the belief that it has not fired yet.
struct Bump {
  double centre = 0, mass = 0, active = 1.0;
  double rate_at(double p) const { // intensity per media ms if active
    const double z = (p - centre) / kSceneSigmaMs;
    return z * z > 50 ? 0.0 : mass / (kSceneSigmaMs * kSqrt2Pi) * std::exp(-0.5 * z * z);
  }
  double mass_between(double a, double b) const {
    return mass * (norm_cdf((b - centre) / kSceneSigmaMs) - norm_cdf((a - centre) / kSceneSigmaMs));
  }
};

// A planned action drawn at the session's start, as a weighted set of
// hypotheses about its position: pending particles (each a uniform piece of
// the prior of width `width` around `at`), and the mass of the consistent
// hypotheses under which it no longer fires (no plan, cancelled by a seek,
// consumed, or crossed without acting).
struct Trigger {
  struct Particle {
    double at, width, w;
    bool acts;
  };
  enum Rule { Cancel, Delay } rule = Cancel;
  Kind kind = Kind::Seek; // what it emits (for matching; Seek = no matching needed)
  bool match = false;     // an observed event of `kind` may be this trigger firing
  std::vector<Particle> pending;
  double gone = 0;

  void uniform_prior(double p, double lo, double hi, double step) {
    gone = 1.0 - p;
    if (!(p > 0) || !(hi > lo)) {
      gone = 1.0;
      return;
    }
    const int n = std::max(1, static_cast<int>(std::ceil((hi - lo) / step)));
    const double width = (hi - lo) / n;
    for (int i = 0; i < n; ++i)
      pending.push_back({lo + (i + 0.5) * width, width, p / n, true});
  }
  double total() const {
    double t = gone;
    for (const auto &q : pending)
      t += q.w;
    return t;
  }
  void normalise() {
    const double t = total();
    if (!(t > 0)) return;
    gone /= t;
    for (auto &q : pending)
      q.w /= t;
  }
  // An observed event of this trigger's kind at media position b; `background`
  // is the density (per media ms) of such an event from anything else.
  void observe_match(double b, double background) {
    std::vector<Particle> keep;
    double consumed = 0;
    for (const auto &q : pending) {
      if (q.acts && std::abs(q.at - b) <= q.width * 0.5)
        consumed += q.w / q.width;
      else
        keep.push_back({q.at, q.width, q.w * background, q.acts});
    }
    if (consumed <= 0) {
      pending = std::move(keep); // nothing here could have fired: no information
      for (auto &q : pending)
        q.w /= background;
      return;
    }
    pending = std::move(keep);
    gone = gone * background + consumed;
    normalise();
  }
  // Playback crossed [a, b) without this trigger firing there.
  void crossed(double a, double b) {
    std::vector<Particle> keep;
    for (const auto &q : pending) {
      if (q.at >= a && q.at < b) {
        if (!q.acts) gone += q.w; // crossed, did nothing: consistent, done
        // acts: would have fired before the next event: inconsistent, dropped
      } else {
        keep.push_back(q);
      }
    }
    pending = std::move(keep);
    normalise();
  }
  void seek_landed(double landing, double duration) {
    std::vector<Particle> keep;
    for (const auto &q : pending) {
      if (q.at > landing) {
        keep.push_back(q);
      } else if (rule == Cancel) {
        gone += q.w;
      } else {
        // Delayed to just after the landing point: uniform 1..5 s after it.
        const double span = kPlanDelayMaxMs - kPlanDelayMinMs;
        for (int j = 0; j < 4; ++j)
          keep.push_back({std::min(duration, landing + kPlanDelayMinMs + (j + 0.5) * span / 4), span / 4,
                          q.w / 4, q.acts});
      }
    }
    pending = std::move(keep);
  }
  // P(fires at a position in (x0, x]) with x0 the current position.
  void fire_cdf(const std::vector<double> &xs, double duration, std::vector<double> &out) const {
    const double t = total();
    out.assign(xs.size(), 0.0);
    if (!(t > 0)) return;
    std::vector<std::pair<double, double>> pts;
    for (const auto &q : pending)
      if (q.acts && q.at < duration) pts.emplace_back(q.at, q.w / t);
    std::sort(pts.begin(), pts.end());
    size_t j = 0;
    double acc = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      while (j < pts.size() && pts[j].first <= xs[i])
        acc += pts[j++].second;
      out[i] = std::min(1.0, acc);
    }
  }
};

class StructuredForecast {
public:
  StructuredForecast(const Viewer &v, const Video &video)
      : v_(v), video_(video), gs_(genre_spec(video.genre)) {
    dur_ = static_cast<double>(video.duration_ms);
    base_ = v.base_rate_per_min * gs_.base_mult / kMin;
    std::array<double, kActionCount> w{};
    double tot = 0;
    for (size_t a = 0; a < kActionCount; ++a) {
      w[a] = gs_.action[a] * v.action_weight[a];
      if (a == AStop) w[a] *= kBaseStopFactor;
      tot += w[a];
    }
    share_rate_ = tot > 0 ? w[ARate] / tot : 0;
    share_volume_ = tot > 0 ? w[AVolume] / tot : 0;
    if (video.intro_end_ms > 0)
      bumps_.push_back({static_cast<double>(video.intro_end_ms) + kSceneLagMs, intro_mass(v), 1.0});
    intro_bumps_ = bumps_.size();
    for (size_t k = 0; k < video.scene_ms.size(); ++k)
      bumps_.push_back({static_cast<double>(video.scene_ms[k]) + kSceneLagMs, scene_mass(v, video, k), 1.0});
  }

  void forecast(const PolicyContext &ctx, Forecast &fc) {
    const TraceSession &s = *ctx.session;
    const auto &ev = s.events;
    fc.cdf.assign(fc.horizon_ms.size(), 0.0);
    if (ev.empty()) return;
    const Interaction &last = ev.back();
    if (last.kind == Kind::Stop || last.kind == Kind::End) return; // the session is over: nothing more
    const double elapsed = static_cast<double>(ctx.now_wall_ms - last.wall_ms);
    bool started = false;
    for (const auto &e : ev)
      started = started || e.kind == Kind::Play;
    if (!started) { // opened, waiting for the first play
      const double e0 = static_cast<double>(ctx.now_wall_ms - ev.front().wall_ms);
      fill_from_sf(fc, [&](double t) { return lognormal_sf(e0 + t, kFirstPlayMedianMs, kFirstPlaySigma); });
      return;
    }
    if (last.kind == Kind::Pause) {
      fill_from_sf(fc, [&](double t) { return pause_sf(elapsed + t, v_); });
      return;
    }
    playing(ctx, elapsed, fc);
  }

private:
  // Intensity of the background and the bumps at p (beliefs applied), optionally without bump `skip`.
  double lambda_at(double p, size_t skip = static_cast<size_t>(-1)) const {
    double l = base_;
    for (size_t k = 0; k < bumps_.size(); ++k)
      if (k != skip && bumps_[k].active > 0) l += bumps_[k].active * bumps_[k].rate_at(p);
    return l;
  }

  void observe_crossing(double a, double b) {
    for (auto &bp : bumps_) {
      if (bp.active <= 0 || bp.centre < a - 8 * kSceneSigmaMs || bp.centre > b + 8 * kSceneSigmaMs) continue;
      const double surv = std::exp(-bp.mass_between(a, b));
      bp.active = bp.active * surv / (bp.active * surv + 1.0 - bp.active);
    }
  }

  void observe_event(double p) {
    std::vector<double> upd(bumps_.size(), -1);
    for (size_t k = 0; k < bumps_.size(); ++k) {
      const double bk = bumps_[k].rate_at(p);
      if (bk <= 0 || bumps_[k].active <= 0) continue;
      const double nu = lambda_at(p, k);
      upd[k] = bumps_[k].active * nu / (nu + bumps_[k].active * bk);
    }
    for (size_t k = 0; k < bumps_.size(); ++k)
      if (upd[k] >= 0) bumps_[k].active = upd[k];
  }

  // Density (per media ms) of an observed rate / volume event at p from the
  // background and the bumps (not from a planned trigger).
  double background_density(Kind k, double p) const {
    double d = 0;
    if (k == Kind::Rate) {
      d = base_ * share_rate_;
      for (size_t j = 0; j < intro_bumps_; ++j)
        d += bumps_[j].active * bumps_[j].rate_at(p) * 0.1;
    } else {
      d = base_ * share_volume_;
      for (size_t j = 0; j < bumps_.size(); ++j)
        d += bumps_[j].active * bumps_[j].rate_at(p) *
             (j < intro_bumps_ ? 0.3 : (1.0 - v_.rewatch_prob) * 0.11);
    }
    return std::max(d, 1e-12);
  }

  void playing(const PolicyContext &ctx, double elapsed, Forecast &fc) {
    const auto &ev = ctx.session->events;
    // Walk the session: played stretches, seeks, watched media.
    std::vector<Interval> iv;
    std::vector<std::pair<int, double>> landings; // (event index, landing)
    double post = 0, watched = 0;
    bool play = false;
    for (size_t i = 0; i < ev.size(); ++i) {
      const Interaction &e = ev[i];
      const double p = static_cast<double>(e.position_ms);
      if (i > 0 && play && p >= post) iv.push_back({post, p, static_cast<int>(i)});
      switch (e.kind) {
      case Kind::Play:
        play = true;
        break;
      case Kind::Pause:
      case Kind::Stop:
      case Kind::End:
      case Kind::Open:
        play = false;
        break;
      default:
        break;
      }
      post = p;
      if (e.kind == Kind::Seek && e.to_ms) {
        post = static_cast<double>(*e.to_ms);
        landings.emplace_back(static_cast<int>(i), post);
      }
    }
    const double rate = ctx.rate > 0 ? ctx.rate : 1.0;
    // The sim stalls 50-400 ms after a seek before playing on; the replay's
    // position does not know that.
    double stall = 0;
    if (ev.back().kind == Kind::Seek)
      stall = std::max(0.0, 0.5 * (kSeekStallMinMs + kSeekStallMaxMs) - elapsed);
    double x0 = std::clamp(static_cast<double>(ctx.position_ms), post, dur_);
    if (ev.back().kind == Kind::Seek) x0 = std::max(post, x0 - rate * std::min(elapsed, 225.0));
    iv.push_back({post, x0, -1});
    for (const auto &i : iv)
      watched += i.b - i.a;

    // Triggers' priors.
    std::vector<Trigger> trig;
    // A planned action with probability p, uniform over w (intro skip: a seek
    // that needs no matching; rate and volume: delayed by a matching event).
    auto planned = [&](double p, Window w, Trigger::Rule rule, Kind kind, bool match) {
      Trigger t;
      t.rule = rule;
      t.kind = kind;
      t.match = match;
      t.uniform_prior(p, w.lo, w.hi, 100);
      trig.push_back(std::move(t));
    };
    if (video_.intro_end_ms > 0)
      planned(std::min(1.0, v_.skip_intro_prob * gs_.intro_skip_mult),
              intro_skip_window(static_cast<double>(video_.intro_end_ms)), Trigger::Cancel, Kind::Seek, false);
    planned(std::min(1.0, v_.rate_change_prob * gs_.rate_mult), rate_plan_window(dur_), Trigger::Delay, Kind::Rate,
            true);
    planned(gs_.volume_start_prob, volume_plan_window(dur_), Trigger::Delay, Kind::Volume, true);
    if (static_cast<double>(video_.credits_start_ms) < dur_ - kCreditsMinLengthMs) {
      Trigger t;
      const double q = v_.credits_skip_prob + (1.0 - v_.credits_skip_prob) * kCreditsStopProb;
      constexpr int n = 60;
      double prev_at = -1;
      for (int i = 0; i < n; ++i) {
        // Probability midpoints of the log-normal lag.
        const double u = (i + 0.5) / n;
        const double lag = kCreditsLagMedianMs * std::exp(kCreditsLagSigma * inv_norm(u));
        const double at =
            std::min(dur_ - kCreditsEndMarginMs, static_cast<double>(video_.credits_start_ms) + lag);
        const double width = prev_at < 0 ? 100.0 : std::max(1.0, at - prev_at);
        prev_at = at;
        t.pending.push_back({at, width, q / n, true});
        t.pending.push_back({at, width, (1.0 - q) / n, false});
      }
      trig.push_back(std::move(t));
    }

    // Replay the evidence in order: each played stretch, then the event that ended it.
    size_t li = 0;
    for (const auto &i : iv) {
      observe_crossing(i.a, i.b);
      for (auto &t : trig) {
        if (i.end_event >= 0 && t.match && ev[static_cast<size_t>(i.end_event)].kind == t.kind)
          t.observe_match(i.b, background_density(t.kind, i.b));
        t.crossed(i.a, i.b);
      }
      if (i.end_event >= 0) {
        const Interaction &e = ev[static_cast<size_t>(i.end_event)];
        if (from_point_process(e.kind)) observe_event(i.b);
      }
      // Seeks at the end of this stretch (and any seek while not playing) move or cancel plans.
      while (li < landings.size() && (i.end_event < 0 || landings[li].first <= i.end_event)) {
        for (auto &t : trig)
          t.seek_landed(landings[li].second, dur_);
        ++li;
      }
    }

    // Abandonment: the posterior that the viewer plans to finish, and the budget's survival.
    const double phi = std::min(0.98, v_.finish_prob * gs_.finish_mult);
    const double u0 = kAbandonLo * static_cast<double>(video_.credits_start_ms);
    const double u1 = kAbandonHi * static_cast<double>(video_.credits_start_ms);
    const bool surfer = v_.archetype == Archetype::ChannelSurfer;
    auto budget_sf = [&](double w) {
      double su = w <= u0 ? 1.0 : w >= u1 ? 0.0 : (u1 - w) / (u1 - u0);
      if (!surfer) return su;
      return kSurferQuickLeaveProb * std::exp(-w / kSurferWatchMeanMs) + (1.0 - kSurferQuickLeaveProb) * su;
    };
    const double sb0 = budget_sf(watched);
    const double finish_post = phi / (phi + (1.0 - phi) * sb0);

    // Positions reached at each horizon, and every factor of the survival.
    const size_t H = fc.horizon_ms.size();
    std::vector<double> xs(H);
    for (size_t k = 0; k < H; ++k)
      xs[k] = std::min(dur_, x0 + rate * std::max(0.0, static_cast<double>(fc.horizon_ms[k]) - stall));
    std::vector<double> logs(H, 0.0);
    for (size_t k = 0; k < H; ++k) {
      const double dx = xs[k] - x0;
      logs[k] -= base_ * dx;
      const double sb = sb0 > 0 ? budget_sf(watched + dx) / sb0 : 1.0;
      logs[k] += std::log(std::max(1e-300, finish_post + (1.0 - finish_post) * sb));
    }
    for (const auto &bp : bumps_) {
      if (bp.active <= 1e-9 || bp.centre < x0 - 8 * kSceneSigmaMs) continue;
      for (size_t k = 0; k < H; ++k) {
        if (xs[k] < bp.centre - 8 * kSceneSigmaMs) continue;
        const double m = bp.mass_between(x0, xs[k]);
        logs[k] += std::log(std::max(1e-300, 1.0 - bp.active + bp.active * std::exp(-m)));
      }
    }
    std::vector<double> fire;
    for (const auto &t : trig) {
      t.fire_cdf(xs, dur_, fire);
      for (size_t k = 0; k < H; ++k)
        logs[k] += std::log(std::max(1e-300, 1.0 - fire[k]));
    }
    double prev = 0;
    for (size_t k = 0; k < H; ++k) {
      prev = std::max(prev, std::clamp(1.0 - std::exp(logs[k]), 0.0, 1.0));
      fc.cdf[k] = prev;
    }
  }

  // Inverse of the standard normal cdf (Acklam's rational approximation, |error| < 1.2e-9).
  static double inv_norm(double p) {
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                               1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                               6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    const double lo = 0.02425, hi = 1 - lo;
    if (p < lo) {
      const double q = std::sqrt(-2 * std::log(p));
      return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
             ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > hi) {
      const double q = std::sqrt(-2 * std::log(1 - p));
      return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
             ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    const double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }

  const Viewer &v_;
  const Video &video_;
  const GenreSpec &gs_;
  double dur_ = 0, base_ = 0, share_rate_ = 0, share_volume_ = 0;
  std::vector<Bump> bumps_;
  size_t intro_bumps_ = 0;
};

} // namespace

BayesForecaster::BayesForecaster(std::shared_ptr<const Truth> truth) : truth_(std::move(truth)) {
  // 0.25 s steps to 20 s, 0.5 s to 2 min, 2 s to 10 min, 10 s to 1 h, 1 min to 6 h, 10 min to 25 h.
  struct Step {
    int64_t until, step;
  };
  for (Step s : {Step{20000, 250}, Step{120000, 500}, Step{600000, 2000}, Step{3600000, 10000},
                 Step{6 * 3600000LL, 60000}, Step{25 * 3600000LL, 600000}}) {
    int64_t t = horizons_.empty() ? 0 : horizons_.back();
    for (t += s.step; t <= s.until; t += s.step)
      horizons_.push_back(t);
  }
}

std::string BayesForecaster::describe() const {
  return "bayes (the simulator's generative process with the true parameters; mode " +
         std::string(mode_name(truth_->options.mode)) + ", " + std::to_string(truth_->viewers.size()) +
         " viewers, " + std::to_string(truth_->videos.size()) + " videos)";
}

Forecast BayesForecaster::forecast(const PolicyContext &ctx) const {
  Forecast fc;
  fc.horizon_ms = horizons_;
  fc.cdf.assign(horizons_.size(), 0.0);
  if (!ctx.session || ctx.session->events.empty()) return fc;
  const TraceSession &s = *ctx.session;
  const Viewer *v = truth_->find_viewer(s.viewer, std::max(0, session_index(s.session_id)));
  const Video *video = truth_->find_video(s.video);
  if (!v || !video) return fc; // not from this simulation (smartplayer-eval checks up front)
  const SimOptions &o = truth_->options;
  if (is_renewal(o.mode)) {
    // Every gap is an independent draw; the session ends after an
    // independent exponential time (a competing risk).
    const double e0 = static_cast<double>(ctx.now_wall_ms - s.events.back().wall_ms);
    const double s0 = gap_sf(e0, o);
    if (!(s0 > 0)) return fc;
    const double end_rate = 1.0 / (o.mean_session_s * kSec);
    fc.end_cdf.assign(horizons_.size(), 0.0);
    double acc = 0, acc_end = 0, prev_t = 0, prev_s = 1.0;
    for (size_t k = 0; k < horizons_.size(); ++k) {
      const double t = static_cast<double>(horizons_[k]);
      const double sk = gap_sf(e0 + t, o) / s0;
      const double mid = 0.5 * (prev_t + t), alive = std::exp(-end_rate * mid);
      acc += (prev_s - sk) * alive;
      // The end, with no action before: its density times the gap's survival (midpoint rule).
      acc_end += (t - prev_t) * end_rate * alive * 0.5 * (prev_s + sk);
      fc.cdf[k] = std::clamp(acc, 0.0, 1.0);
      fc.end_cdf[k] = std::clamp(acc_end, 0.0, 1.0 - fc.cdf[k]);
      prev_t = t;
      prev_s = sk;
    }
    return fc;
  }
  StructuredForecast sf(*v, *video);
  sf.forecast(ctx, fc);
  return fc;
}

} // namespace sp::sim
