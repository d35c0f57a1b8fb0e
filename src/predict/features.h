// The hazard model's features (docs/model.md, "Predictor"): statistics of the
// viewers, videos and genres gathered from training sessions, the state of a
// session at a decision point (a Snapshot), and the feature vector for one
// horizon band (t0 + lo, t0 + hi] from that decision point.
//
// Sources: stats.cpp (the statistics, build_stats, habit_change),
// session_walk.cpp (Cursor, walk_session), features.cpp (names, Snapshot
// features). Internal to src/predict/; the layout of the feature vector is
// versioned by HazardModel's JSON "format".
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/interaction.h"
#include "predict/age_curve.h"
#include "trace/playback.h"
#include "trace/trace.h"

namespace sp::hz {

constexpr int64_t kBinMs = 5000;      // video heatmap bin (media time)
constexpr double kVideoPrior_s = 60;  // pseudo exposure pulling a video bin to its genre's hazard there
constexpr double kGenrePrior_s = 600; // pseudo exposure pulling a genre's rate to the global rate
constexpr double kPctPrior_s = 30;    // pseudo exposure pulling a genre percent bin to the genre's rate
constexpr double kViewerPrior = 5;    // pseudo actions pulling a viewer's activity multiplier to 1
constexpr double kPausePrior = 3;     // pseudo pauses pulling a viewer's pause scale to the genre's
constexpr double kGapPrior = 5;       // pseudo gaps pulling a viewer's mean log gap to the global one
constexpr double kKindPrior = 2;      // pseudo actions pulling a viewer's kind mix to the global one
constexpr double kGenrePausePrior = 20;
// Visual transitions (scene changes): viewers react a moment after a cut,
// spread over a few seconds; the kernel of the transition features.
constexpr double kTransitionLagMs = 1500, kTransitionSpreadMs = 3000;

// Player state at a decision point. Other: opened but no viewer action yet, or the media has ended.
enum State : int { Playing = 0, Paused = 1, Other = 2 };
inline constexpr int kStates = 3;
const char *state_name(int s);

// Action kinds grouped for the viewer's mix.
enum KindGroup : int { KPause = 0, KSeek = 1, KRate = 2, KVolume = 3 };
inline constexpr int kKindGroups = 4;

struct GlobalStats {
  double rate = 0;            // viewer actions per playing wall second
  double pause_log_mean = 2;  // mean log(pause seconds)
  double pause_log_sd = 1.2;
  double gap_log_mean = 3;    // mean log(gap seconds) between viewer actions
  std::array<double, kKindGroups> kind_frac{};
};

struct GenreStats {
  double rate = 0;                   // actions per playing wall second (shrunk to global)
  std::array<double, 100> pct_hz{};  // hazard per wall second at each percent of the length (shrunk)
  std::array<double, 101> pct_cum{}; // prefix sums of pct_hz
  double pause_log_mean = 2;         // shrunk to global
  double pause_log_sd = 1.2;
  void finish();                     // fills pct_cum
  // Integral of pct_hz over media [p0, p1] ms of a video of length dur, in "hazard x media seconds".
  double integral(int64_t p0, int64_t p1, int64_t dur) const;
};

struct VideoStats {
  std::string genre;
  int64_t duration_ms = 0;
  std::vector<double> hz;   // per kBinMs bin: hazard per playing wall second (shrunk to the genre)
  std::vector<double> cum;  // prefix sums of hz, size hz.size() + 1
  // Training only (not stored): raw actions / exposure seconds and the genre prior per bin.
  std::vector<double> actions, exposure, prior;
  double base_hz = 0;       // training only: the raw rate away from the cuts, the background under their reactions
  void finish();
  double integral(int64_t p0, int64_t p1) const;  // hazard x media seconds over [p0, p1] ms
};

// One session's own contribution to its video's heatmap (to leave it out of
// its own training features).
struct OwnBins {
  std::vector<int> bin;
  std::vector<double> actions, exposure;
};

struct ViewerStats {
  double sessions = 0, play_actions = 0, play_expected = 0;
  double pause_log_sum = 0, pauses = 0, gap_log_sum = 0, gaps = 0, actions = 0;
  std::array<double, kKindGroups> kinds{};
  void add(const ViewerStats &o);
  void scale(double f);  // every count times f (older sessions weighing less)
};

// What the features use of a viewer (derived from ViewerStats with shrinkage).
struct ViewerFeatures {
  double log_mult = 0, pause_scale = 0, log_sessions = 0, gap_dev = 0, unseen = 1;
  std::array<double, kKindGroups> kind_frac{};
};
ViewerFeatures viewer_features(const ViewerStats &v, const GlobalStats &g);
ViewerFeatures viewer_features_unseen(const GlobalStats &g);

// All statistics a model carries.
struct Stats {
  GlobalStats global;
  GenreStats global_genre;  // pooled over genres (unknown genres)
  std::unordered_map<std::string, GenreStats> genres;
  std::unordered_map<std::string, VideoStats> videos;
  std::unordered_map<std::string, ViewerStats> viewers;
  std::unordered_map<std::string, ViewerFeatures> viewer_features;  // derived
  // Visual transitions per video (media ms, ascending), from the catalogue
  // or a side file at training time (HazardOptions::transitions).
  std::unordered_map<std::string, std::vector<int64_t>> transitions;
  // Per video, parallel to its transitions: the viewers' reactions per fresh
  // crossing of each cut (the heatmap's excess over its median around the
  // cut, per session that played through it), shrunk towards cut_prior, the
  // mean over every cut (derive_cut_weights).
  std::unordered_map<std::string, std::vector<double>> cut_weights;
  double cut_prior = 0;
  double cut_tau2 = 0;  // training only: the spread of the cuts' rates beyond noise (shrinkage)
  // The hazard by time since the last action, per state (age_curve.h): the
  // shape of each band's probability inside the band.
  std::array<AgeCurve, kStates> age;
  const std::vector<int64_t> *transitions_of(const std::string &video) const;
  const std::vector<double> *cut_weights_of(const std::string &video) const;
  const GenreStats &genre(const std::string &g) const;
  const VideoStats *video(const std::string &id) const;
  ViewerFeatures viewer(const std::string &id) const;
  void derive();  // viewer_features from viewers
};

// Per-session summary from a walk over its events.
struct SessionWalk {
  OwnBins own;                             // 5 s bins of its video
  std::array<double, 100> pct_actions{}, pct_exposure{};
  double play_actions = 0, exposure_s = 0;
  ViewerStats viewer;                      // this session's contribution (sessions = 1)
  std::vector<double> pause_logs, gap_logs;
  std::vector<AgeSpan> age_spans;          // its gaps, by state (AgeCurve)
};
SessionWalk walk_session(const TraceSession &s);

// Builds statistics from sessions; `walks` parallel to `sessions`.
// `prior_viewer` (optional) receives, per session, the viewer's statistics
// from that viewer's earlier sessions only (by start time).
Stats build_stats(const std::vector<const TraceSession *> &sessions, const std::vector<SessionWalk> &walks,
                  std::vector<ViewerStats> *prior_viewer);

// Habits change (a new device, another person on the account): the
// probability that `next`, a viewer's newest session, comes from new habits
// rather than those of `before` (the viewer's statistics so far), by Bayes
// factors of its activity (playing actions against those expected: a
// Gamma-Poisson predictive) and its mix of action kinds (Dirichlet-
// multinomial) under the viewer's statistics and under a fresh viewer's
// prior, with a prior probability of a change of kHabitChangePrior a session.
constexpr double kHabitChangePrior = 0.05;
double habit_change(const ViewerStats &before, const ViewerStats &next, const GlobalStats &g);
// Adds `next` to a viewer's statistics `acc`, forgetting the old habits by
// the probability that they changed (habit_change).
void add_session_stats(ViewerStats &acc, const ViewerStats &next, const GlobalStats &g);

// What one finished session adds to its viewer's statistics, as
// build_stats counts it (its playing actions expected under its genre's
// heatmap): learning a viewer on the stream (HazardModel::on_stream).
ViewerStats session_viewer_stats(const Stats &st, const TraceSession &s);

// Where the session stands at a decision point: what its own events decide.
struct SessionPoint {
  int state = Other;
  int64_t since_action_ms = 0;  // since the last viewer action (or the session start)
  int64_t since_start_ms = 0;
  int n_actions = 0;
  int last_kind = -1;           // Kind of the last viewer action, -1 none
  int64_t pos_ms = 0;
  int64_t seen_ms = 0;          // furthest media position played so far in the session
  double rate = 1.0;
};

// The session at a decision point, with the statistics its features read.
struct Snapshot : SessionPoint {
  int64_t duration_ms = 0;
  const GenreStats *genre = nullptr;
  const VideoStats *video = nullptr;  // null: unseen video
  const OwnBins *own = nullptr;       // training: leave these out of the video's heatmap
  const std::vector<int64_t> *transitions = nullptr; // null: not known for this video
  const std::vector<double> *cut_weights = nullptr;  // parallel to transitions; null: cut_prior for each
  double cut_prior = 0, cut_tau2 = 0;
  // The session's viewer actions in order (Cursor::action_pos); the first
  // n_actions of them have happened. A cut with one in its reaction window
  // has drawn its reaction. Null: none known.
  const std::vector<int64_t> *action_pos = nullptr;
  const AgeCurve *age = nullptr;  // the state's curve; null or empty: flat
  ViewerFeatures viewer;
};

// Feature layout.
enum Feature : int {
  F_LAST_PLAY,
  F_LAST_PAUSE,
  F_LAST_SEEK,
  F_LAST_VOLUME,
  F_LAST_RATE,
  F_LAST_OTHER,
  F_LOG_ACTIONS,
  F_LOG_SESSION_S,
  F_LOG_SESSION_RATE,
  F_POS_FRAC,
  F_LOG_REMAINING_S,
  F_LOG_RATE,
  F_RATE_CHANGED,
  F_LOG_LOCAL_DENSITY,
  F_V_LOG_MULT,
  F_V_PAUSE_SCALE,
  F_V_LOG_SESSIONS,
  F_V_FRAC_PAUSE,
  F_V_FRAC_SEEK,
  F_V_FRAC_RATE,
  F_V_FRAC_VOLUME,
  F_V_GAP_DEV,
  F_V_UNSEEN,
  F_VIDEO_UNSEEN,
  F_G_LOG_RATE,
  F_G_PAUSE_LOG,
  F_TRANSITIONS_UNKNOWN,
  // band-specific
  F_LOG_ELAPSED,
  F_LOG_ELAPSED_SQ,
  F_PAUSE_LOGIT,
  F_LOG_VIDEO_WINDOW,
  F_VIDEO_WINDOW_LOGIT,
  F_LOG_GENRE_WINDOW,
  F_PAST_END_FRAC,
  F_WINDOW_SEEN_FRAC,
  F_LOG_TRANSITION_WINDOW,
  F_LOG_CUT_REACTIONS,
  F_AGE_BAND_LOGIT,
  F_BAND_TOTAL_LOGIT,
  kFeatureCount
};
const char *feature_name(int f);

// Fills the band-independent features (out has kFeatureCount entries).
void base_features(const Snapshot &s, double *out);
// Fills the features of band (lo, hi] ms after the decision point.
void band_features(const Snapshot &s, int64_t lo_ms, int64_t hi_ms, double *out);

// Fills Stats::cut_weights and cut_prior from the videos' raw heatmap counts
// (training: before VideoStats' training-only arrays are dropped).
void derive_cut_weights(Stats &st);

// The shape of the hazard inside the band (band_lo, band_hi] ms after the
// decision point: the relative intensity of a viewer action over its part
// (t0, t1]. Playing: the band's heatmap mass less the bumps of its cuts,
// spread over its media as the age curve's density goes, plus each fresh cut
// worth its cut weight where the reaction kernel puts it; otherwise the age
// curve's probability of (t0, t1] (flat without one). Only ratios within one
// band matter: the band's probability is the fit's.
double shape_weight(const Snapshot &s, int64_t band_lo_ms, int64_t band_hi_ms, int64_t t0_ms, int64_t t1_ms);

// Replays a session's player state (the same rules as the trace replay).
struct Cursor : PlaybackState {
  int64_t start_wall = 0, anchor_wall = 0;  // anchor: last viewer action (or start)
  int n_actions = 0, last_kind = -1;
  bool ended = false;
  int64_t seen_ms = 0;  // furthest position reached while playing
  // Per viewer action so far: its media position if it came while playing,
  // kNotPlaying if not (the cuts a viewer has reacted to: Snapshot::action_pos).
  std::vector<int64_t> action_pos;
  static constexpr int64_t kNotPlaying = INT64_MIN;
  void apply(const Interaction &e, int64_t wall);
  int state(bool paused_now) const;
};


} // namespace sp::hz
