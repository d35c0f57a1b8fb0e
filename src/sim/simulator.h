// Trace simulator: a synthetic population of viewers watching a synthetic
// catalogue, producing sessions in the trace model (src/trace/trace.h). The
// model is documented in docs/simulator.md. Output is a pure function of
// SimOptions: the same options give identical traces (the random numbers come
// from std::mt19937_64 and our own distributions, see sim/random.h).
//
// Thread safety: a Simulator is immutable after construction; all const
// member functions may be called from several threads at once.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "trace/trace.h"
#include "trace/transitions.h"

namespace sp::sim {

enum class Genre { Lecture, Documentary, Drama, Comedy, Sports, Music, News, Kids };
inline constexpr int kGenreCount = 8;
std::string_view genre_name(Genre g);

enum class Archetype { IntroSkipper, Pauser, Binger, Rewatcher, SpeedChanger, ChannelSurfer, Casual };
inline constexpr int kArchetypeCount = 7;
std::string_view archetype_name(Archetype a);

// One video of the catalogue and its structure (all positions in ms).
struct Video {
  std::string id; // "vid0000", ...
  Genre genre = Genre::Lecture;
  int64_t duration_ms = 0;
  int64_t intro_end_ms = 0;           // 0: no intro
  int64_t credits_start_ms = 0;       // == duration_ms: no credits
  std::vector<int64_t> scene_ms;      // scene changes, ascending, in (intro_end, credits_start)
  std::vector<double> scene_salience; // per scene, mean about 1 (how strongly it draws interactions)
  double popularity = 1.0;            // relative chance of being picked within its genre
};

// One simulated viewer with the traits drawn at creation (persistent).
struct Viewer {
  std::string id; // "viewer00000", ...
  Archetype archetype = Archetype::Casual;
  std::array<double, kGenreCount> genre_pref{}; // sums to 1 over genres present in the catalogue
  double activity = 1.0;                        // relative number of sessions (mean 1)
  double base_rate_per_min = 0.5; // background interaction intensity while playing (before genre factor)
  double structure_gain = 1.0;    // scales the bumps at structure positions
  std::array<double, 7> action_weight{}; // base actions: pause, seek fwd, seek back, volume, mute, rate, stop
  double skip_intro_prob = 0.1;          // seeks past the intro at the start
  double pause_median_s = 10.0;          // log-normal pause length (median, sigma of log)
  double pause_sigma = 1.0;
  double walk_away_prob = 0.02;   // a pause is a Pareto-distributed walk-away instead
  double rewatch_prob = 0.2;      // at a scene change: seek back 10-30 s
  double preferred_rate = 1.0;    // the rate this viewer switches to
  double rate_change_prob = 0.02; // switches rate early in a session (scaled by genre)
  double finish_prob = 0.6;       // plans to watch to the end (scaled by genre)
  double credits_skip_prob = 0.2; // at the credits: seeks to the end (next item)
  double binge_prob = 0.15;       // the next session starts right after this one
  double preferred_hour = 20.0;   // usual local hour of viewing (UTC here)
  int volume = 80;                // initial volume 0..100
};

// What the sessions are made of (docs/simulator.md, "Modes").
enum class Mode {
  Structured,  // the viewer model below: structure, archetypes, plans, pauses
  Memoryless,  // every gap between actions exponential: nothing to learn
  Bursty,      // gaps from a two-exponential mixture (quick follow-ups, then long lulls)
  HeavyTailed, // Pareto gaps (shape 1.2)
  Drifting,    // structured, but every viewer changes habits half-way through their sessions
};
inline constexpr int kModeCount = 5;
std::string_view mode_name(Mode m);
bool parse_mode(std::string_view name, Mode &out);
// Renewal modes: the gaps between a session's actions are independent draws
// from one distribution, whatever the viewer, video or position.
bool is_renewal(Mode m);

struct SimOptions {
  Mode mode = Mode::Structured;
  int viewers = 100;
  // Sessions per viewer on average: each viewer gets 1 + Poisson((M - 1) * activity)
  // sessions (activity: per-viewer, mean 1), so the total is about viewers * M.
  double sessions_per_viewer = 5.0;
  // When >= 0: exactly this many sessions in total, shared by activity
  // (every viewer gets one before anybody gets two). Overrides sessions_per_viewer.
  int64_t total_sessions = -1;
  int videos = 200;
  uint64_t seed = 1;
  int64_t start_wall_ms = 1704067200000; // 2024-01-01T00:00:00Z: day 0 of the simulation
  // Structured and drifting: video lengths (median, min and max of every genre) times this.
  double duration_scale = 1.0;
  // Renewal modes: mean gap between actions, and mean session length (an
  // exponential, so the end is memoryless too).
  double mean_gap_s = 60.0;
  double mean_session_s = 1200.0;
  // Videos given from outside (say a real file's length and the scene changes
  // a detector found in it; read_given_videos reads them), added to the
  // catalogue after the `videos` simulated ones, which may then be 0. Viewers
  // pick them like any other video of their genre (by popularity) and, in the
  // structured and drifting modes, react to their scene changes as to any
  // simulated video's. Their ids must differ from each other and from the
  // simulated "vidNNNN".
  std::vector<Video> given_videos;
  // The first viewers take these ids instead of "viewerNNNNN" (say a real
  // user's name, so that the history has sessions of that viewer). Their
  // traits are drawn as those of the viewer they replace. Unique, non-empty,
  // at most `viewers` of them, otherwise any string. A simulated viewer whose
  // "viewerNNNNN" is one of them is called "viewerNNNNN.1" instead (".2", ...
  // if that is given too).
  std::vector<std::string> viewer_ids;
};

// The generative parameters of a run: what smartplayer-sim --truth writes and
// the Bayes reference (sim/bayes.h) plans with.
struct Truth {
  SimOptions options;
  std::vector<Video> videos;
  std::vector<Viewer> viewers;
  // Drifting mode: from session index drift_at[i] (0-based) on, viewer i
  // behaves as drifted[i] (same id). Empty in other modes; a viewer that never
  // drifts has drift_at = its session count.
  std::vector<int> drift_at;
  std::vector<Viewer> drifted;
  const Video *find_video(std::string_view id) const;
  // The viewer's traits in force for session index `k` (null when unknown).
  const Viewer *find_viewer(std::string_view id, int k = 0) const;
};

class Simulator {
public:
  // Builds the catalogue and the viewers. Throws std::invalid_argument when
  // an option is out of range (viewers < 1, videos < 0 or no video at all,
  // sessions_per_viewer < 1, start_wall_ms < 0, a bad given video or viewer id).
  explicit Simulator(SimOptions opt);

  const SimOptions &options() const { return opt_; }
  const std::vector<Video> &catalogue() const { return videos_; }
  const std::vector<Viewer> &viewers() const { return viewers_; }
  const std::vector<int> &session_counts() const { return counts_; } // per viewer
  int64_t total_sessions() const;
  // nullptr when unknown.
  const Video *find_video(std::string_view id) const;
  const Viewer *find_viewer(std::string_view id) const;

  // Sessions of viewer i (0-based) in time order. Depends only on the options
  // and i, not on the other viewers. Throws std::out_of_range for a bad i.
  std::vector<TraceSession> viewer_sessions(size_t i) const;
  // Every session, viewer by viewer, handed to `sink` one at a time (memory
  // stays small for big runs). `progress` (may be empty) is called after each
  // viewer with (viewers done, viewers total).
  void generate(const std::function<void(TraceSession &&)> &sink,
                const std::function<void(size_t, size_t)> &progress = {}) const;
  std::vector<TraceSession> generate_all() const;
  // Everything the sessions were drawn from.
  Truth truth() const;
  // What a scene detector would report for each video of the catalogue: the
  // intro's end, the scene changes and the credits' start (each missed with
  // probability 0.1, the rest within +-0.3 s), plus cuts that draw nobody
  // (one a minute on average, anywhere). Deterministic for the seed. A given
  // video (SimOptions::given_videos) is reported as given: its positions are
  // already a detector's.
  VideoTransitions detected_transitions() const;

private:
  SimOptions opt_;
  std::vector<Video> videos_;
  std::vector<Viewer> viewers_;
  std::vector<int> counts_;
  std::vector<int> drift_at_; // drifting mode
  std::vector<Viewer> drifted_;
  std::array<std::vector<size_t>, kGenreCount> by_genre_; // video indices per genre
};

// The catalogue as JSON Lines, one video per line: {"id","genre","duration_ms",
// "intro_end_ms","credits_start_ms","scene_ms":[...],"popularity"}.
void write_catalogue(std::ostream &out, const Simulator &sim);
// The viewers as JSON Lines: {"id","archetype","sessions",traits...}.
void write_viewers(std::ostream &out, const Simulator &sim);

// The generative parameters as JSON Lines (every field, so that a reader
// rebuilds the Video and Viewer values exactly): a header line
// {"truth":"smartplayer-sim-truth/1","options":{...}}, then one
// {"video":{...}} line per video and one {"viewer":{...}} line per viewer
// (drifting mode: with "drift_at" and "drifted":{...}).
void write_truth(std::ostream &out, const Truth &t);
// Reads what write_truth wrote; false with `err` (line number and reason).
bool read_truth(std::istream &in, Truth &out, std::string &err);
bool read_truth_file(const std::string &path, Truth &out, std::string &err);
// Videos for SimOptions::given_videos, JSON Lines, one video a line:
//   {"id":"sample","genre":"documentary","duration_ms":60000,"scene_ms":[9000,31500]}
// with optional "intro_end_ms" (default 0: none), "credits_start_ms" (default
// duration_ms: none), "scene_salience" (one per scene, > 0; default 1 each)
// and "popularity" (> 0, default 1): write_catalogue's lines are accepted.
// Scene changes ascending, inside (intro_end_ms, credits_start_ms). False with
// `err` ("line N: ...") on the first bad line; blank lines are skipped.
bool read_given_videos(std::istream &in, std::vector<Video> &out, std::string &err);
bool read_given_videos_file(const std::string &path, std::vector<Video> &out, std::string &err);
// Session index (0-based) from a simulated session id "<viewer>-sNNN"; -1 if not one.
int session_index(std::string_view session_id);

} // namespace sp::sim
