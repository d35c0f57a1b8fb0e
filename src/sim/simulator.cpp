// Trace simulator (see simulator.h and docs/simulator.md for the model).
#include "sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <set>
#include <stdexcept>

#include "sim/model.h"
#include "sim/random.h"

namespace sp::sim {
namespace {

using namespace model;

constexpr uint64_t kStreamCatalogue = 1, kStreamViewer = 2, kStreamSessions = 3, kStreamDrift = 4,
                   kStreamDetect = 5;

int64_t to_ms(double v) {
  return static_cast<int64_t>(std::llround(v));
}

// A simulated session before its events: who watched what, from when.
TraceSession session_head(std::string session_id, const Viewer &viewer, const Video &video,
                          std::string_view genre, int64_t duration_ms, double start_wall) {
  return TraceSession{std::move(session_id), viewer.id, video.id, std::string(genre), duration_ms, to_ms(start_wall),
                      0, "", {}};
}

// Both simulators' events: numbered in order, never before the one before.
void push_event(std::vector<Interaction> &events, Kind k, int64_t position_ms, double wall,
                std::optional<int64_t> from, std::optional<int64_t> to, std::optional<double> old_value,
                std::optional<double> value) {
  Interaction e;
  e.seq = static_cast<int64_t>(events.size()) + 1;
  e.kind = k;
  e.position_ms = position_ms;
  e.wall_ms = to_ms(wall);
  if (!events.empty()) e.wall_ms = std::max(e.wall_ms, events.back().wall_ms);
  e.from_ms = from;
  e.to_ms = to;
  e.old_value = old_value;
  e.value = value;
  events.push_back(e);
}

Video make_video(Rng &rng, size_t index, Genre g, double scale) {
  const GenreSpec &gs = kGenres[static_cast<size_t>(g)];
  Video v;
  char buf[32];
  std::snprintf(buf, sizeof buf, "vid%04zu", index);
  v.id = buf;
  v.genre = g;
  double dur_s = std::clamp(rng.lognormal(gs.dur_median_s * scale, gs.dur_sigma), gs.dur_min_s * scale,
                            gs.dur_max_s * scale);
  dur_s = std::max(dur_s, 1.0);
  v.duration_ms = to_ms(dur_s) * 1000;
  double d = static_cast<double>(v.duration_ms);
  v.intro_end_ms =
      rng.bernoulli(gs.intro_prob) ? to_ms(rng.uniform(gs.intro_min_s, gs.intro_max_s) * kSec) : 0;
  v.credits_start_ms = rng.bernoulli(gs.credits_prob)
                           ? v.duration_ms - to_ms(rng.uniform(gs.credits_min_s, gs.credits_max_s) * kSec)
                           : v.duration_ms;
  // Keep the intro, the content and the credits in order even for short videos.
  if (v.intro_end_ms > d * 0.2) v.intro_end_ms = to_ms(d * 0.2);
  if (v.credits_start_ms < to_ms(d * 0.8)) v.credits_start_ms = to_ms(d * 0.8);
  double pos = static_cast<double>(v.intro_end_ms) + kMinSceneGapMs;
  double last = static_cast<double>(v.credits_start_ms) - kMinSceneGapMs;
  pos += std::max(0.0, rng.exponential(gs.scene_gap_s * kSec * 0.5));
  while (pos < last) {
    v.scene_ms.push_back(to_ms(pos));
    v.scene_salience.push_back(rng.lognormal(0.85, 0.6));
    pos += std::max(kMinSceneGapMs, rng.lognormal(gs.scene_gap_s * kSec, 0.5));
  }
  v.popularity = rng.lognormal(1.0, 1.0);
  return v;
}

Viewer make_viewer(Rng &rng, size_t index, const std::array<bool, kGenreCount> &present) {
  Viewer v;
  char buf[32];
  std::snprintf(buf, sizeof buf, "viewer%05zu", index);
  v.id = buf;
  std::array<double, kArchetypeCount> shares{};
  for (size_t i = 0; i < kArchetypes.size(); ++i)
    shares[i] = kArchetypes[i].share;
  auto ai = rng.categorical(shares.data(), shares.size());
  v.archetype = static_cast<Archetype>(ai);
  const ArchetypeSpec &as = kArchetypes[ai];

  double total = 0;
  for (size_t g = 0; g < kGenreCount; ++g) {
    double w = present[g] ? rng.gamma(0.7) * as.genre_bias[g] + 1e-3 : 0.0;
    v.genre_pref[g] = w;
    total += w;
  }
  for (auto &w : v.genre_pref)
    w /= total;

  constexpr double kActSigma = 0.5;
  v.activity = rng.lognormal(std::exp(-kActSigma * kActSigma / 2), kActSigma); // mean 1
  v.base_rate_per_min = rng.lognormal(as.base_rate, 0.35);
  v.structure_gain = rng.lognormal(as.structure_gain, 0.3);
  for (size_t a = 0; a < kActionCount; ++a)
    v.action_weight[a] = as.action_mult[a] * rng.lognormal(1.0, 0.3);
  v.skip_intro_prob = rng.uniform(as.skip_intro_lo, as.skip_intro_hi);
  v.pause_median_s = rng.uniform(as.pause_med_lo, as.pause_med_hi);
  v.pause_sigma = rng.uniform(as.pause_sig_lo, as.pause_sig_hi);
  v.walk_away_prob = as.walk_away;
  v.rewatch_prob = std::clamp(rng.normal(as.rewatch, 0.05), 0.0, 1.0);
  static constexpr std::array<double, 4> kRates = {1.25, 1.5, 1.75, 2.0};
  v.preferred_rate = kRates[static_cast<size_t>(rng.uniform_int(0, 3))];
  v.rate_change_prob = as.rate_change;
  v.finish_prob = std::clamp(rng.normal(as.finish, 0.05), 0.02, 0.98);
  v.credits_skip_prob = std::clamp(rng.normal(as.credits_skip, 0.05), 0.0, 1.0);
  v.binge_prob = std::clamp(rng.normal(as.binge, 0.05), 0.0, 0.95);
  // Usual hour: evening for most, some at lunch, in the morning or afternoon.
  static constexpr std::array<double, 4> kHourShare = {0.6, 0.15, 0.1, 0.15};
  static constexpr std::array<double, 4> kHourCentre = {20.5, 12.5, 8.0, 15.5};
  v.preferred_hour =
      kHourCentre[rng.categorical(kHourShare.data(), kHourShare.size())] + rng.uniform(-1.0, 1.0);
  v.volume = static_cast<int>(rng.uniform_int(40, 100));
  return v;
}

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
    TraceSession s = session_head(std::move(session_id), viewer_, video_, gs_.name, video_.duration_ms, wall_);
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
    push_event(events_, k, std::clamp<int64_t>(to_ms(pos_), 0, video_.duration_ms), wall_, from, to, old_value,
               value);
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

// ---- renewal modes: i.i.d. gaps between actions -----------------------------

// Memoryless, bursty and heavy-tailed sessions (docs/simulator.md, "Modes").
// The video is one of the catalogue's, but its length is not given (0, like a
// live stream), so positions say nothing; every gap between consecutive
// actions (from the open to the first play too) is an independent draw of
// gap_ms(); the session ends after an exponential time with no final event.
class RenewalSim {
public:
  RenewalSim(Rng &rng, const SimOptions &opt, const Viewer &viewer, const Video &video, double start_wall)
      : rng_(rng), opt_(opt), viewer_(viewer), video_(video), wall_(start_wall) {}

  TraceSession run(std::string session_id) {
    TraceSession s = session_head(std::move(session_id), viewer_, video_, genre_name(video_.genre), 0, wall_);
    const double end = wall_ + rng_.exponential(opt_.mean_session_s * kSec);
    emit(Kind::Open);
    while (events_.size() < kMaxEvents) {
      double next = wall_ + gap_ms(rng_, opt_);
      if (next >= end) break;
      if (playing_) pos_ += next - wall_;
      wall_ = next;
      act();
    }
    s.end_wall_ms = std::max(to_ms(end), events_.back().wall_ms);
    s.end_reason = "abandoned";
    s.events = std::move(events_);
    return s;
  }

private:
  void act() {
    if (!playing_) {
      playing_ = true;
      emit(Kind::Play);
      return;
    }
    static constexpr std::array<double, 3> w = {0.3, 0.4, 0.3}; // pause, seek, volume
    switch (rng_.categorical(w.data(), w.size())) {
    case 0:
      playing_ = false;
      emit(Kind::Pause);
      break;
    case 1: {
      double d = rng_.lognormal(20 * kSec, 0.8);
      double to = std::round(rng_.bernoulli(0.5) || pos_ < d + 1000 ? pos_ + d : pos_ - d);
      emit(Kind::Seek, to_ms(pos_), to_ms(to));
      pos_ = to;
      break;
    }
    default: {
      int nv = std::clamp(volume_ + static_cast<int>(std::lround(rng_.normal(0, 18))), 0, 100);
      if (nv == volume_) nv = volume_ >= 50 ? volume_ - 10 : volume_ + 10;
      emit(Kind::Volume, {}, {}, static_cast<double>(volume_), static_cast<double>(nv));
      volume_ = nv;
    }
    }
  }

  void emit(Kind k, std::optional<int64_t> from = {}, std::optional<int64_t> to = {},
            std::optional<double> old_value = {}, std::optional<double> value = {}) {
    push_event(events_, k, std::max<int64_t>(0, to_ms(pos_)), wall_, from, to, old_value, value);
  }

  Rng &rng_;
  const SimOptions &opt_;
  const Viewer &viewer_;
  const Video &video_;
  double wall_;
  double pos_ = 0;
  bool playing_ = false;
  int volume_ = 80;
  std::vector<Interaction> events_;
};

} // namespace

double model::gap_ms(Rng &rng, const SimOptions &opt) {
  const double mean = opt.mean_gap_s * kSec;
  switch (opt.mode) {
  case Mode::Bursty: {
    const double long_mean = (mean - kBurstShareShort * kBurstShortMeanMs) / (1.0 - kBurstShareShort);
    return rng.exponential(rng.bernoulli(kBurstShareShort) ? kBurstShortMeanMs : long_mean);
  }
  case Mode::HeavyTailed:
    return rng.pareto(mean * (kHeavyShape - 1.0) / kHeavyShape, kHeavyShape);
  default:
    return rng.exponential(mean);
  }
}

std::string_view mode_name(Mode m) {
  switch (m) {
  case Mode::Structured:
    return "structured";
  case Mode::Memoryless:
    return "memoryless";
  case Mode::Bursty:
    return "bursty";
  case Mode::HeavyTailed:
    return "heavy-tailed";
  case Mode::Drifting:
    return "drifting";
  }
  return "unknown";
}

bool parse_mode(std::string_view name, Mode &out) {
  for (int i = 0; i < kModeCount; ++i)
    if (mode_name(static_cast<Mode>(i)) == name) {
      out = static_cast<Mode>(i);
      return true;
    }
  return false;
}

bool is_renewal(Mode m) {
  return m == Mode::Memoryless || m == Mode::Bursty || m == Mode::HeavyTailed;
}

std::string_view genre_name(Genre g) {
  auto i = static_cast<size_t>(g);
  return i < kGenres.size() ? std::string_view(kGenres[i].name) : std::string_view("unknown");
}

std::string_view archetype_name(Archetype a) {
  auto i = static_cast<size_t>(a);
  return i < kArchetypes.size() ? std::string_view(kArchetypes[i].name) : std::string_view("unknown");
}

Simulator::Simulator(SimOptions opt) : opt_(opt) {
  if (opt_.viewers < 1) throw std::invalid_argument("viewers must be at least 1");
  if (opt_.videos < 0) throw std::invalid_argument("videos must not be negative");
  if (opt_.videos == 0 && opt_.given_videos.empty())
    throw std::invalid_argument("no videos: simulate at least 1 or give some");
  if (opt_.total_sessions < 0 && !(opt_.sessions_per_viewer >= 1.0))
    throw std::invalid_argument("sessions per viewer must be at least 1");
  if (opt_.start_wall_ms < 0) throw std::invalid_argument("start wall time must not be negative");
  if (!(opt_.duration_scale > 0 && opt_.duration_scale <= 100))
    throw std::invalid_argument("duration scale must be in (0, 100]");
  if (!(opt_.mean_gap_s >= 2 && opt_.mean_gap_s <= 86400))
    throw std::invalid_argument("mean gap must be in [2, 86400] s");
  if (!(opt_.mean_session_s >= 1 && opt_.mean_session_s <= 86400))
    throw std::invalid_argument("mean session length must be in [1, 86400] s");

  Rng crng(derive_seed(opt_.seed, kStreamCatalogue, 0));
  std::array<double, kGenreCount> shares{};
  for (size_t g = 0; g < kGenreCount; ++g)
    shares[g] = kGenres[g].share;
  std::array<bool, kGenreCount> present{};
  for (size_t i = 0; i < static_cast<size_t>(opt_.videos); ++i) {
    // The first videos cover every genre once, the rest follow the shares.
    auto g = i < kGenreCount ? i : crng.categorical(shares.data(), shares.size());
    videos_.push_back(make_video(crng, i, static_cast<Genre>(g), opt_.duration_scale));
    by_genre_[g].push_back(i);
    present[g] = true;
  }
  for (const Video &given : opt_.given_videos) {
    // Checked here too: SimOptions may be filled by hand, not by read_given_videos.
    if (given.id.empty() || find_video(given.id))
      throw std::invalid_argument("given video id \"" + given.id + "\" is empty or taken");
    if (given.duration_ms <= 0 || given.scene_ms.size() != given.scene_salience.size() ||
        !std::is_sorted(given.scene_ms.begin(), given.scene_ms.end()) || !(given.popularity > 0) ||
        given.intro_end_ms < 0 || given.credits_start_ms <= given.intro_end_ms ||
        given.credits_start_ms > given.duration_ms)
      throw std::invalid_argument("given video \"" + given.id + "\" is inconsistent (see read_given_videos)");
    const auto g = static_cast<size_t>(given.genre);
    by_genre_[g].push_back(videos_.size());
    present[g] = true;
    videos_.push_back(given);
  }

  for (size_t i = 0; i < static_cast<size_t>(opt_.viewers); ++i) {
    Rng vrng(derive_seed(opt_.seed, kStreamViewer, i));
    viewers_.push_back(make_viewer(vrng, i, present));
  }

  if (opt_.viewer_ids.size() > viewers_.size())
    throw std::invalid_argument("more viewer ids than viewers");
  const std::set<std::string, std::less<>> given_ids(opt_.viewer_ids.begin(), opt_.viewer_ids.end());
  for (size_t i = 0; i < opt_.viewer_ids.size(); ++i) {
    const std::string &id = opt_.viewer_ids[i];
    if (id.empty() || std::find(opt_.viewer_ids.begin(), opt_.viewer_ids.begin() + i, id) !=
                          opt_.viewer_ids.begin() + i)
      throw std::invalid_argument("viewer id \"" + id + "\" is empty or repeated");
    viewers_[i].id = id;
  }
  // A given id may be what a simulated viewer would be called (a user named
  // "viewer00012"): that viewer is called "viewer00012.1" instead (".2", ...
  // if that is given too), which no simulated viewer is called.
  for (size_t i = opt_.viewer_ids.size(); i < viewers_.size(); ++i) {
    if (!given_ids.count(viewers_[i].id)) continue;
    std::string base = viewers_[i].id + ".";
    for (size_t k = 1;; ++k) {
      std::string id = base;
      id += std::to_string(k);
      if (!given_ids.count(id)) {
        viewers_[i].id = std::move(id);
        break;
      }
    }
  }

  counts_.assign(viewers_.size(), 0);
  if (opt_.total_sessions >= 0) {
    // Exactly total_sessions: one each while they last, the rest by activity
    // (largest remainder, ties to the lower index).
    int64_t left = opt_.total_sessions;
    for (size_t i = 0; i < counts_.size() && left > 0; ++i, --left)
      counts_[i] = 1;
    if (left > 0) {
      double act = 0;
      for (const auto &v : viewers_)
        act += v.activity;
      std::vector<std::pair<double, size_t>> rem;
      int64_t given = 0;
      for (size_t i = 0; i < viewers_.size(); ++i) {
        double share = static_cast<double>(left) * viewers_[i].activity / act;
        auto whole = static_cast<int64_t>(std::floor(share));
        counts_[i] += static_cast<int>(whole);
        given += whole;
        rem.emplace_back(-(share - static_cast<double>(whole)), i);
      }
      std::sort(rem.begin(), rem.end());
      for (size_t j = 0; given < left; ++j, ++given)
        counts_[rem[j % rem.size()].second] += 1;
    }
  } else {
    for (size_t i = 0; i < viewers_.size(); ++i) {
      Rng srng(derive_seed(opt_.seed, kStreamSessions, i));
      counts_[i] = 1 + srng.poisson((opt_.sessions_per_viewer - 1.0) * viewers_[i].activity);
    }
  }

  if (opt_.mode == Mode::Drifting) {
    // Half-way through their sessions, viewers take up other habits: new traits
    // (and usually another archetype) from a stream of their own.
    for (size_t i = 0; i < viewers_.size(); ++i) {
      Rng drng(derive_seed(opt_.seed, kStreamDrift, i));
      Viewer v = make_viewer(drng, i, present);
      v.activity = viewers_[i].activity;
      v.id = viewers_[i].id;
      drifted_.push_back(std::move(v));
      drift_at_.push_back(counts_[i] >= 2 ? counts_[i] / 2 : counts_[i]);
    }
  }
}

int64_t Simulator::total_sessions() const {
  int64_t n = 0;
  for (int c : counts_)
    n += c;
  return n;
}

const Video *Simulator::find_video(std::string_view id) const {
  for (const auto &v : videos_)
    if (v.id == id) return &v;
  return nullptr;
}

const Viewer *Simulator::find_viewer(std::string_view id) const {
  for (const auto &v : viewers_)
    if (v.id == id) return &v;
  return nullptr;
}

std::vector<TraceSession> Simulator::viewer_sessions(size_t i) const {
  if (i >= viewers_.size()) throw std::out_of_range("viewer index out of range");
  const Viewer &first = viewers_[i];
  // Skip the count draw so the session stream is the same in both count modes.
  Rng rng(derive_seed(opt_.seed, kStreamSessions, i) ^ 0xA5A5A5A5A5A5A5A5ULL);
  std::vector<TraceSession> out;
  int n = counts_[i];
  out.reserve(static_cast<size_t>(n));
  auto start = static_cast<double>(opt_.start_wall_ms);
  double day = std::floor(rng.uniform(0.0, 3.0));
  double prev_end = -1;
  size_t prev_video = 0;
  for (int k = 0; k < n; ++k) {
    const Viewer &viewer = (!drift_at_.empty() && k >= drift_at_[i]) ? drifted_[i] : first;
    const std::array<double, kGenreCount> &pref = viewer.genre_pref;
    size_t vi;
    double t;
    if (k > 0 && rng.bernoulli(viewer.binge_prob)) {
      // Binge: the next video of the same genre, right after the last session.
      const auto &list = by_genre_[static_cast<size_t>(videos_[prev_video].genre)];
      auto it = std::find(list.begin(), list.end(), prev_video);
      auto pos = static_cast<size_t>(it - list.begin());
      vi = list[(pos + 1) % list.size()];
      t = prev_end + rng.lognormal(8 * kSec, 0.5);
    } else {
      auto g = rng.categorical(pref.data(), pref.size());
      const auto &list = by_genre_[g];
      std::vector<double> pop;
      pop.reserve(list.size());
      for (auto j : list)
        pop.push_back(videos_[j].popularity);
      vi = list[rng.categorical(pop)];
      if (k > 0) day += std::max(0.0, std::floor(rng.exponential(1.5))) + (rng.bernoulli(0.7) ? 1 : 0);
      t = start + day * kDay + (viewer.preferred_hour + rng.normal(0, 1.0)) * kHour;
      if (t < prev_end + kMin) {
        // Same evening: shortly after the last session; keep the day in step.
        t = prev_end + rng.lognormal(5 * kMin, 1.0);
        day = std::max(day, std::floor((t - start) / kDay));
      }
    }
    t = std::max(t, start);
    // "<viewer>-s001": the viewer's id whole, however long (a given one may be).
    char num[16];
    std::snprintf(num, sizeof num, "-s%03d", k + 1);
    std::string session_id = viewer.id;
    session_id += num;
    if (is_renewal(opt_.mode)) {
      RenewalSim sim(rng, opt_, viewer, videos_[vi], t);
      out.push_back(sim.run(session_id));
    } else {
      SessionSim sim(rng, viewer, videos_[vi], t);
      out.push_back(sim.run(session_id));
    }
    prev_end = static_cast<double>(out.back().end_wall_ms);
    prev_video = vi;
  }
  return out;
}

void Simulator::generate(const std::function<void(TraceSession &&)> &sink,
                         const std::function<void(size_t, size_t)> &progress) const {
  for (size_t i = 0; i < viewers_.size(); ++i) {
    for (auto &s : viewer_sessions(i))
      sink(std::move(s));
    if (progress) progress(i + 1, viewers_.size());
  }
}

VideoTransitions Simulator::detected_transitions() const {
  VideoTransitions out;
  for (size_t i = 0; i < videos_.size(); ++i) {
    const Video &v = videos_[i];
    std::vector<int64_t> pts;
    if (i >= static_cast<size_t>(opt_.videos)) {
      // A given video: its positions are already a detector's.
      // Reserved up front and copied element by element: GCC 12 at -O3 sees
      // a range insert after a push_back as a possibly out-of-bounds memmove
      // (-Warray-bounds, a false positive).
      pts.reserve(v.scene_ms.size() + 2);
      if (v.intro_end_ms > 0) pts.push_back(v.intro_end_ms);
      std::copy(v.scene_ms.begin(), v.scene_ms.end(), std::back_inserter(pts));
      if (v.credits_start_ms < v.duration_ms) pts.push_back(v.credits_start_ms);
      out.emplace(v.id, std::move(pts));
      continue;
    }
    Rng rng(derive_seed(opt_.seed, kStreamDetect, i));
    auto detect = [&](int64_t p) {
      if (rng.bernoulli(kDetectMiss)) return;
      pts.push_back(
          std::clamp<int64_t>(p + to_ms(rng.uniform(-kDetectJitterMs, kDetectJitterMs)), 0, v.duration_ms));
    };
    if (v.intro_end_ms > 0) detect(v.intro_end_ms);
    for (int64_t p : v.scene_ms)
      detect(p);
    if (v.credits_start_ms < v.duration_ms) detect(v.credits_start_ms);
    const int spurious = rng.poisson(static_cast<double>(v.duration_ms) / kDetectSpuriousEveryMs);
    for (int k = 0; k < spurious; ++k)
      pts.push_back(to_ms(rng.uniform(0.0, static_cast<double>(v.duration_ms))));
    std::sort(pts.begin(), pts.end());
    pts.erase(std::unique(pts.begin(), pts.end()), pts.end());
    out.emplace(v.id, std::move(pts));
  }
  return out;
}

Truth Simulator::truth() const {
  return Truth{opt_, videos_, viewers_, drift_at_, drifted_};
}

std::vector<TraceSession> Simulator::generate_all() const {
  std::vector<TraceSession> out;
  out.reserve(static_cast<size_t>(total_sessions()));
  generate([&](TraceSession &&s) { out.push_back(std::move(s)); });
  return out;
}

} // namespace sp::sim
