// The structured in-session process (docs/simulator.md, "One session").
#include "sim/session_sims.h"

#include <array>

#include "sim/model.h"

namespace sp::sim::detail {
namespace {

using namespace model;

// ---- one session -----------------------------------------------------------

class SessionSim {
public:
  SessionSim(Rng &rng, const Viewer &viewer, const Video &video, double start_wall)
      : rng_(rng), viewer_(viewer), video_(video), gs_(kGenres[static_cast<size_t>(video.genre)]),
        dur_(static_cast<double>(video.duration_ms)), wall_(start_wall), volume_(viewer.volume) {
    base_per_ms_ = viewer.base_rate_per_min * gs_.base_mult / kMin;
    double amp_max = 0;
    for (size_t k = 0; k < video.scene_ms.size(); ++k)
      amp_max = std::max(amp_max, scene_amp(k));
    if (video.intro_end_ms > 0) amp_max = std::max(amp_max, intro_amp());
    lambda_max_ = base_per_ms_ + amp_max * 1.001;
    scene_active_.assign(video.scene_ms.size(), true);
  }

  TraceSession run(std::string session_id) {
    TraceSession s =
        session_head(std::move(session_id), viewer_, video_, gs_.name, video_.duration_ms, wall_);
    plan();
    emit(Kind::Open);
    wall_ += rng_.lognormal(kFirstPlayMedianMs, kFirstPlaySigma);
    emit(Kind::Play);
    s.end_reason = play_loop();
    s.end_wall_ms = events_.back().wall_ms;
    s.events = std::move(events_);
    return s;
  }

private:
  enum class CreditsPlan { Watch, SkipToEnd, StopThere };

  double scene_amp(size_t k) const { return scene_mass(viewer_, video_, k) / (kSceneSigmaMs * kSqrt2Pi); }
  double intro_amp() const { return intro_mass(viewer_) / (kSceneSigmaMs * kSqrt2Pi); }
  static double bump(double amp, double centre, double p) {
    double z = (p - centre) / kSceneSigmaMs;
    return z * z > 50 ? 0.0 : amp * std::exp(-0.5 * z * z);
  }

  // Intensity components at p: base, nearest active scene (index, value), intro.
  struct Components {
    double base = 0, scene = 0, intro = 0;
    size_t scene_index = 0;
  };
  Components components(double p) const {
    Components c;
    c.base = base_per_ms_;
    const auto &sc = video_.scene_ms;
    auto it = std::lower_bound(sc.begin(), sc.end(), to_ms(p - kSceneLagMs));
    for (auto j : {it - (it == sc.begin() ? 0 : 1), it}) {
      if (j == sc.end()) continue;
      auto k = static_cast<size_t>(j - sc.begin());
      if (!scene_active_[k]) continue;
      double b = bump(scene_amp(k), static_cast<double>(sc[k]) + kSceneLagMs, p);
      if (b > c.scene) {
        c.scene = b;
        c.scene_index = k;
      }
    }
    if (video_.intro_end_ms > 0 && intro_active_)
      c.intro = bump(intro_amp(), static_cast<double>(video_.intro_end_ms) + kSceneLagMs, p);
    return c;
  }

  void plan() {
    intro_skip_at_ = -1;
    if (video_.intro_end_ms > 0 &&
        rng_.bernoulli(std::min(1.0, viewer_.skip_intro_prob * gs_.intro_skip_mult))) {
      Window w = intro_skip_window(static_cast<double>(video_.intro_end_ms));
      intro_skip_at_ = rng_.uniform(w.lo, w.hi);
    }
    rate_at_ = -1;
    if (rng_.bernoulli(std::min(1.0, viewer_.rate_change_prob * gs_.rate_mult))) {
      Window w = rate_plan_window(dur_);
      rate_at_ = rng_.uniform(w.lo, w.hi);
    }
    if (rng_.bernoulli(gs_.volume_start_prob)) {
      Window w = volume_plan_window(dur_);
      volume_at_ = rng_.uniform(w.lo, w.hi);
    } else {
      volume_at_ = -1;
    }
    finish_ = rng_.bernoulli(std::min(0.98, viewer_.finish_prob * gs_.finish_mult));
    if (!finish_) {
      if (viewer_.archetype == Archetype::ChannelSurfer && rng_.bernoulli(kSurferQuickLeaveProb))
        abandon_budget_ = rng_.exponential(kSurferWatchMeanMs);
      else
        abandon_budget_ = rng_.uniform(kAbandonLo, kAbandonHi) * static_cast<double>(video_.credits_start_ms);
    }
    credits_ = CreditsPlan::Watch;
    credits_at_ = -1;
    if (static_cast<double>(video_.credits_start_ms) < dur_ - kCreditsMinLengthMs) {
      if (rng_.bernoulli(viewer_.credits_skip_prob))
        credits_ = CreditsPlan::SkipToEnd;
      else if (rng_.bernoulli(kCreditsStopProb))
        credits_ = CreditsPlan::StopThere;
      credits_at_ =
          std::min(dur_ - kCreditsEndMarginMs, static_cast<double>(video_.credits_start_ms) +
                                                   rng_.lognormal(kCreditsLagMedianMs, kCreditsLagSigma));
    }
  }

  void emit(Kind k, std::optional<int64_t> from = {}, std::optional<int64_t> to = {},
            std::optional<double> old_value = {}, std::optional<double> value = {}) {
    push_event(events_, k, std::clamp<int64_t>(to_ms(pos_), 0, video_.duration_ms), wall_, from, to,
               old_value, value);
  }

  // Advance playback (playing at rate_) to media position p >= pos_.
  void advance_to(double p) {
    wall_ += (p - pos_) / rate_;
    watched_ += p - pos_;
    pos_ = p;
  }

  void seek_to(double to) {
    to = std::clamp(std::round(to), 0.0, dur_);
    if (to_ms(to) == to_ms(pos_)) return; // nowhere to go (e.g. back at 0)
    emit(Kind::Seek, to_ms(pos_), to_ms(to));
    pos_ = to;
    wall_ += rng_.uniform(kSeekStallMinMs, kSeekStallMaxMs); // buffering after the seek
    // Planned triggers only fire when playback crosses them.
    if (intro_skip_at_ >= 0 && pos_ >= intro_skip_at_) intro_skip_at_ = -1;
    // A planned early rate/volume change still happens, just after the jump.
    if (rate_at_ >= 0 && pos_ >= rate_at_)
      rate_at_ = std::min(dur_, pos_ + rng_.uniform(kPlanDelayMinMs, kPlanDelayMaxMs));
    if (volume_at_ >= 0 && pos_ >= volume_at_)
      volume_at_ = std::min(dur_, pos_ + rng_.uniform(kPlanDelayMinMs, kPlanDelayMaxMs));
    if (credits_at_ >= 0 && pos_ >= credits_at_) credits_at_ = -1;
  }

  double next_process_point(double limit) {
    double p = pos_;
    for (;;) {
      p += rng_.exponential(1.0 / lambda_max_);
      if (p >= limit) return limit + 1;
      Components c = components(p);
      if (rng_.uniform() * lambda_max_ < c.base + c.scene + c.intro) return p;
    }
  }

  void do_pause() {
    emit(Kind::Pause);
    double len = rng_.bernoulli(viewer_.walk_away_prob)
                     ? rng_.pareto(kWalkAwayScaleMs, kWalkAwayShape)
                     : rng_.lognormal(viewer_.pause_median_s * kSec, viewer_.pause_sigma);
    len = std::clamp(len, kPauseMinMs, kPauseMaxMs);
    wall_ += len;
    double stop_p = kStopAfterPause + (len > kLongPauseMs ? kStopAfterLongPause : 0.0);
    if (rng_.bernoulli(stop_p)) {
      stopped_ = true;
      emit(Kind::Stop);
      return;
    }
    emit(Kind::Play);
  }

  void do_volume() {
    int nv = std::clamp(volume_ + static_cast<int>(std::lround(rng_.normal(0, 18))), 0, 100);
    if (nv == volume_) nv = volume_ >= 50 ? volume_ - 10 : volume_ + 10;
    emit(Kind::Volume, {}, {}, static_cast<double>(volume_), static_cast<double>(nv));
    volume_ = nv;
  }

  void do_mute() {
    emit(Kind::Mute, {}, {}, {}, muted_ ? 0.0 : 1.0); // the trace format has only the new state
    muted_ = !muted_;
  }

  void do_rate(double to) {
    if (to == rate_) to = rate_ == 1.0 ? viewer_.preferred_rate : 1.0;
    emit(Kind::Rate, {}, {}, rate_, to);
    rate_ = to;
  }

  void base_action() {
    std::array<double, kActionCount> w{};
    for (size_t a = 0; a < kActionCount; ++a)
      w[a] = gs_.action[a] * viewer_.action_weight[a];
    w[AStop] *= kBaseStopFactor;
    if (muted_) w[AMute] *= 6; // unmuting soon after muting
    switch (static_cast<Action>(rng_.categorical(w.data(), w.size()))) {
    case APause:
      do_pause();
      break;
    case ASeekFwd:
      seek_to(pos_ + rng_.lognormal(30 * kSec, 0.8));
      break;
    case ASeekBack:
      seek_to(pos_ - rng_.lognormal(15 * kSec, 0.7));
      break;
    case AVolume:
      do_volume();
      break;
    case AMute:
      do_mute();
      break;
    case ARate: {
      static constexpr std::array<double, 5> kRates = {0.75, 1.0, 1.25, 1.5, 2.0};
      double to = rate_ != 1.0 && rng_.bernoulli(0.6) ? 1.0
                  : rng_.bernoulli(0.6)               ? viewer_.preferred_rate
                                                      : kRates[static_cast<size_t>(rng_.uniform_int(0, 4))];
      do_rate(to);
      break;
    }
    case AStop:
    case kActionCount:
      stopped_ = true;
      emit(Kind::Stop);
      break;
    }
  }

  void scene_action(size_t k) {
    scene_active_[k] = false; // a bump fires at most once per session
    if (rng_.bernoulli(viewer_.rewatch_prob)) {
      seek_to(pos_ - rng_.uniform(10 * kSec, 30 * kSec));
      return;
    }
    static constexpr std::array<double, 5> w = {0.45, 0.27, 0.15, 0.11, 0.02}; // pause, back, fwd, vol, stop
    switch (rng_.categorical(w.data(), w.size())) {
    case 0:
      do_pause();
      break;
    case 1:
      seek_to(pos_ - rng_.lognormal(8 * kSec, 0.5));
      break;
    case 2:
      seek_to(pos_ + rng_.lognormal(40 * kSec, 0.6));
      break;
    case 3:
      do_volume();
      break;
    default:
      stopped_ = true;
      emit(Kind::Stop);
    }
  }

  void intro_action() {
    intro_active_ = false;
    static constexpr std::array<double, 5> w = {0.3, 0.25, 0.2, 0.15, 0.1}; // vol, pause, back, fwd, rate
    switch (rng_.categorical(w.data(), w.size())) {
    case 0:
      do_volume();
      break;
    case 1:
      do_pause();
      break;
    case 2:
      seek_to(pos_ - rng_.uniform(3 * kSec, 10 * kSec));
      break;
    case 3:
      seek_to(pos_ + rng_.lognormal(20 * kSec, 0.5));
      break;
    default:
      do_rate(viewer_.preferred_rate);
      break;
    }
  }

  std::string play_loop() {
    while (true) {
      if (events_.size() >= kMaxEvents) {
        emit(Kind::Stop);
        return "abandoned";
      }
      // The nearest of: the end, the planned triggers, abandonment, the point process.
      enum { TEnd, TIntro, TRate, TVolume, TCredits, TAbandon, TProcess } what = TEnd;
      double at = dur_;
      auto consider = [&](double p, decltype(what) w) {
        if (p >= pos_ && p < at) {
          at = p;
          what = w;
        }
      };
      consider(intro_skip_at_, TIntro);
      consider(rate_at_, TRate);
      consider(volume_at_, TVolume);
      consider(credits_at_, TCredits);
      if (!finish_) consider(pos_ + std::max(0.0, abandon_budget_ - watched_), TAbandon);
      consider(next_process_point(at), TProcess);
      advance_to(at);
      switch (what) {
      case TEnd:
        pos_ = dur_;
        emit(Kind::End);
        return "finished";
      case TIntro:
        intro_skip_at_ = -1;
        seek_to(static_cast<double>(video_.intro_end_ms) + std::abs(rng_.normal(0, kIntroLandingSdMs)));
        break;
      case TRate:
        rate_at_ = -1;
        do_rate(viewer_.preferred_rate);
        break;
      case TVolume:
        volume_at_ = -1;
        do_volume();
        break;
      case TCredits:
        credits_at_ = -1;
        if (credits_ == CreditsPlan::SkipToEnd) {
          seek_to(dur_);
        } else if (credits_ == CreditsPlan::StopThere) {
          emit(Kind::Stop);
          return "abandoned";
        }
        break;
      case TAbandon:
        emit(Kind::Stop);
        return "abandoned";
      case TProcess: {
        Components c = components(pos_);
        double r = rng_.uniform() * (c.base + c.scene + c.intro);
        if (r < c.scene)
          scene_action(c.scene_index);
        else if (r < c.scene + c.intro)
          intro_action();
        else
          base_action();
        break;
      }
      }
      if (stopped_) return "abandoned";
      if (pos_ >= dur_) { // a seek reached the end
        wall_ += rng_.uniform(100, 500);
        pos_ = dur_;
        emit(Kind::End);
        return "finished";
      }
    }
  }

  Rng &rng_;
  const Viewer &viewer_;
  const Video &video_;
  const GenreSpec &gs_;
  double dur_;
  double wall_;
  double pos_ = 0, rate_ = 1.0, watched_ = 0;
  int volume_;
  bool muted_ = false, stopped_ = false;
  double base_per_ms_ = 0, lambda_max_ = 0;
  std::vector<bool> scene_active_;
  bool intro_active_ = true;
  double intro_skip_at_ = -1, rate_at_ = -1, volume_at_ = -1, credits_at_ = -1;
  bool finish_ = true;
  double abandon_budget_ = 0;
  CreditsPlan credits_ = CreditsPlan::Watch;
  std::vector<Interaction> events_;
};

} // namespace

TraceSession simulate_session(Rng &rng, const Viewer &viewer, const Video &video, double start_wall,
                              std::string session_id) {
  SessionSim sim(rng, viewer, video, start_wall);
  return sim.run(std::move(session_id));
}

} // namespace sp::sim::detail
