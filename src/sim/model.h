// The simulator's generative model: the genre and archetype tables and the
// constants of the in-session process (docs/simulator.md). Shared by the
// simulator (simulator.cpp, session_sim.cpp, renewal_sim.cpp), which samples
// from it, and the Bayes reference (bayes.cpp), which computes its exact
// forecasts from it, so the two cannot drift apart. Internal to src/sim/.
//
// Thread safety: constants only.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "sim/random.h"
#include "sim/simulator.h"

namespace sp::sim::model {

constexpr double kSec = 1000.0;
constexpr double kMin = 60.0 * kSec;
constexpr double kHour = 60.0 * kMin;
constexpr double kDay = 24.0 * kHour;

// Base actions (index into Viewer::action_weight / GenreSpec::action).
enum Action { APause = 0, ASeekFwd, ASeekBack, AVolume, AMute, ARate, AStop, kActionCount };

struct GenreSpec {
  const char *name;
  double share; // share of the catalogue
  double dur_median_s, dur_sigma, dur_min_s, dur_max_s;
  double intro_prob, intro_min_s, intro_max_s;
  double scene_gap_s; // median gap between scene changes
  double credits_prob, credits_min_s, credits_max_s;
  double base_mult;                        // background intensity factor
  std::array<double, kActionCount> action; // base action weights
  double rate_mult;                        // scales rate_change_prob
  double finish_mult;                      // scales finish_prob
  double intro_skip_mult;                  // scales skip_intro_prob
  double volume_start_prob;                // volume adjust in the first seconds
};

// clang-format off
constexpr std::array<GenreSpec, kGenreCount> kGenres = {{
  //  name        share  med    sig   min   max    intro  imin imax  gap   cred  cmin cmax  base  pause fwd  back vol  mute rate stop   rate  fin   skip  vol0
  {"lecture",     0.20,  900,  0.50,  300, 3600,   0.60,  5,  20,   150,  0.30,  5,  15,  1.40, {3.0, 1.0, 2.0, 0.3, 0.2, 1.0, 0.5}, 1.00, 0.85, 0.8, 0.05},
  {"documentary", 0.10, 2400,  0.40,  900, 5400,   0.90, 30,  90,   240,  0.95, 40, 120,  0.80, {2.0, 1.0, 1.0, 0.5, 0.3, 0.3, 0.5}, 0.50, 0.90, 1.0, 0.08},
  {"drama",       0.15, 2700,  0.35, 1200, 8400,   0.90, 40, 100,   200,  1.00, 60, 180,  0.60, {2.0, 0.8, 1.0, 0.6, 0.3, 0.05, 0.4}, 0.05, 1.10, 1.0, 0.10},
  {"comedy",      0.12, 1380,  0.20,  900, 2400,   0.85, 20,  45,   120,  0.90, 30,  60,  0.60, {1.5, 0.8, 1.2, 0.5, 0.3, 0.05, 0.4}, 0.05, 1.10, 1.0, 0.08},
  {"sports",      0.10, 2400,  0.80,  300, 7200,   0.40,  5,  20,   300,  0.30, 10,  30,  0.90, {1.0, 2.5, 1.5, 0.8, 0.5, 0.1, 0.6}, 0.10, 0.80, 0.6, 0.15},
  {"music",       0.12,  230,  0.25,  120,  480,   0.80,  8,  25,    50,  0.10,  3,   8,  0.50, {0.5, 1.0, 1.2, 2.0, 0.5, 0.02, 0.8}, 0.02, 1.20, 0.5, 0.30},
  {"news",        0.09,  900,  0.50,  300, 2700,   0.90, 10,  20,   100,  0.60, 10,  20,  0.90, {1.0, 2.0, 0.6, 0.6, 0.4, 0.3, 1.0}, 0.40, 0.80, 0.8, 0.10},
  {"kids",        0.12, 1000,  0.40,  420, 1800,   0.95, 20,  60,   110,  0.90, 20,  40,  1.00, {1.5, 0.8, 1.5, 1.0, 0.5, 0.02, 0.4}, 0.02, 1.10, 1.0, 0.12},
}};

struct ArchetypeSpec {
  const char *name;
  double share;
  double base_rate;        // per media minute (median)
  double structure_gain;
  std::array<double, kActionCount> action_mult;
  double skip_intro_lo, skip_intro_hi;
  double pause_med_lo, pause_med_hi, pause_sig_lo, pause_sig_hi, walk_away;
  double rewatch;
  double rate_change;
  double finish;
  double credits_skip;
  double binge;
  std::array<double, kGenreCount> genre_bias;
};

constexpr std::array<ArchetypeSpec, kArchetypeCount> kArchetypes = {{
  // name             share base  gain  pause fwd back vol mute rate stop   skip intro  pause med  sigma     walk  rew   rate  fin   cred  binge  lec doc dra com spo mus new kid
  {"intro-skipper",   0.18, 0.45, 1.0, {1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0}, 0.85, 0.95,  5, 20, 0.9, 1.3, 0.02, 0.20, 0.03, 0.65, 0.40, 0.25, {1, 1, 2, 1.5, 1, 1, 1, 1.5}},
  {"pauser",          0.18, 1.00, 1.0, {4.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, 0.05, 0.15, 20, 60, 1.2, 1.6, 0.05, 0.20, 0.03, 0.60, 0.15, 0.15, {2, 1.5, 1, 1, 1, 1, 1, 1}},
  {"binger",          0.15, 0.20, 0.5, {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5}, 0.20, 0.40,  5, 20, 0.9, 1.3, 0.02, 0.10, 0.03, 0.92, 0.85, 0.65, {0.5, 1, 3, 2, 1, 1, 0.5, 2}},
  {"rewatcher",       0.15, 0.45, 2.0, {1.0, 1.0, 3.0, 1.0, 1.0, 1.0, 1.0}, 0.05, 0.15,  5, 20, 0.9, 1.3, 0.02, 0.80, 0.03, 0.65, 0.15, 0.15, {1, 1, 1, 1.5, 2, 2, 1, 1}},
  {"speed-changer",   0.10, 0.45, 1.0, {1.0, 1.0, 1.0, 1.0, 1.0, 3.0, 1.0}, 0.05, 0.15,  5, 20, 0.9, 1.3, 0.02, 0.20, 0.90, 0.60, 0.15, 0.15, {4, 2, 1, 1, 1, 0.5, 1.5, 0.5}},
  {"channel-surfer",  0.12, 0.70, 1.0, {1.0, 3.0, 1.0, 1.0, 1.0, 1.0, 3.0}, 0.10, 0.30,  5, 15, 0.9, 1.3, 0.02, 0.15, 0.03, 0.15, 0.30, 0.45, {1, 1, 1, 1, 2, 2, 2, 1}},
  {"casual",          0.12, 0.40, 1.0, {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, 0.05, 0.15,  5, 20, 0.9, 1.3, 0.02, 0.20, 0.03, 0.50, 0.20, 0.15, {1, 1, 1, 1, 1, 1, 1, 1}},
}};
// clang-format on

// Bumps of the interaction intensity at structure positions.
constexpr double kSceneMass = 0.8;     // expected events per scene change (gain 1, salience 1)
constexpr double kSceneSigmaMs = 3000; // spread of the reaction around a scene change
constexpr double kSceneLagMs = 1500;   // the peak lies just after the change
constexpr double kIntroMass = 0.3;
constexpr double kMinSceneGapMs = 30000; // >= 10 sigma: bumps never overlap much
constexpr size_t kMaxEvents = 600;       // safety cap per session
constexpr double kBaseStopFactor = 0.15; // most abandonment comes from the planned budget

// Pauses: log-normal (the viewer's median and sigma) or, with the viewer's
// walk-away probability, Pareto; clamped; after a long pause stopping is likelier.
constexpr double kWalkAwayScaleMs = 10 * kMin;
constexpr double kWalkAwayShape = 1.1;
constexpr double kPauseMinMs = 300;
constexpr double kPauseMaxMs = 24 * kHour;
constexpr double kStopAfterPause = 0.02, kStopAfterLongPause = 0.3, kLongPauseMs = 30 * kMin;
// The first play after open: log-normal median 1.2 s.
constexpr double kFirstPlayMedianMs = 1200, kFirstPlaySigma = 0.6;
// Buffering after a seek (wall time without media progress): uniform.
constexpr double kSeekStallMinMs = 50, kSeekStallMaxMs = 400;
// Channel-surfers who do not plan to finish mostly leave after an exponential watch time.
constexpr double kSurferQuickLeaveProb = 0.8, kSurferWatchMeanMs = 90 * kSec;
// At the credits, a viewer not skipping them stops there with this probability.
constexpr double kCreditsStopProb = 0.2;
constexpr double kCreditsLagMedianMs = 2500, kCreditsLagSigma = 0.6;

// Planned actions drawn at a session's start (positions in media ms).
struct Window {
  double lo, hi; // uniform position
};
// Intro skip: at a uniform position early in the intro, seek to its end (+|N(0, 1.5 s)|).
inline Window intro_skip_window(double intro_end_ms) {
  double hi = std::min(6000.0, intro_end_ms * 0.5);
  return {std::min(500.0, hi * 0.5), hi};
}
constexpr double kIntroLandingSdMs = 1500;
// Early rate change (to the preferred rate) and volume adjustment.
inline Window rate_plan_window(double duration_ms) {
  return {3000.0, std::max(3001.0, std::min(60000.0, duration_ms * 0.25))};
}
inline Window volume_plan_window(double duration_ms) {
  return {500.0, std::min(8000.0, duration_ms * 0.5)};
}
// A seek past a planned rate/volume change delays it to just after the landing point.
constexpr double kPlanDelayMinMs = 1000, kPlanDelayMaxMs = 5000;
// Abandonment budget (watched media ms) of a viewer who does not plan to finish:
// uniform over this share of the content (before the credits).
constexpr double kAbandonLo = 0.03, kAbandonHi = 0.97;
// Credits plan exists when the credits are longer than this before the end;
// it fires at most this close to the end.
constexpr double kCreditsMinLengthMs = 1000, kCreditsEndMarginMs = 500;
// A structure bump's intensity (per media ms) at position p: a Gaussian of
// mass `mass` (expected events) centred kSceneLagMs after the change.
constexpr double kSqrt2Pi = 2.5066282746310002;
inline double scene_mass(const Viewer &v, const Video &video, size_t k) {
  return kSceneMass * v.structure_gain * video.scene_salience[k];
}
inline double intro_mass(const Viewer &v) {
  return kIntroMass * v.structure_gain;
}

// Renewal modes (gap distributions; the means are SimOptions::mean_gap_s).
// Bursty: an exponential mixture, this share with this short mean, the rest
// long (so that the overall mean is mean_gap_s). Heavy-tailed: Pareto with
// this shape (scale chosen for the mean).
constexpr double kBurstShareShort = 0.6, kBurstShortMeanMs = 3000;
constexpr double kHeavyShape = 1.2;
// The scene detector's view of a video (Simulator::detected_transitions):
// each structure point missed with this probability, the rest moved by up to
// this much, plus spurious cuts (that draw nobody) once per this many ms.
constexpr double kDetectMiss = 0.1, kDetectJitterMs = 300, kDetectSpuriousEveryMs = 60000;
// One gap of a renewal mode (ms).
double gap_ms(Rng &rng, const SimOptions &opt);

inline const GenreSpec &genre_spec(Genre g) {
  return kGenres[static_cast<size_t>(g)];
}
inline const ArchetypeSpec &archetype_spec(Archetype a) {
  return kArchetypes[static_cast<size_t>(a)];
}

} // namespace sp::sim::model
