// The concrete sleep policies (docs/model.md, "Decision rule and cost model").
// Each Policy object is used by one thread at a time (plan() may keep state);
// the shared inputs (SeedGenreFit, Forecaster) are immutable and may be shared
// between threads and policy objects.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "policy/policy.h"
#include "policy/sleep_learner.h"
#include "predict/forecast.h"
#include "trace/trace.h"

namespace sp {

// Never sleeps: Plan{-1,-1}.
class AlwaysOnPolicy final : public Policy {
public:
  std::string name() const override { return "always-on"; }
  Plan plan(const PolicyContext &ctx) override;
};

// Awake tau after each interaction, then asleep until an interaction wakes it
// (never wakes proactively).
class FixedTimeoutPolicy final : public Policy {
public:
  explicit FixedTimeoutPolicy(int64_t tau_ms) : tau_ms_(tau_ms < 0 ? 0 : tau_ms) {}
  // tau = w/h seconds: the ski-rental break-even timeout. Under this cost
  // model it is not 2-competitive: a gap that just outlasts tau costs it
  // h tau + w + m = 2w + m where the oracle pays w, so per gap ending in an
  // action its worst case is 2 + m/w times the oracle's (4 at the defaults);
  // and after a session's last action it stays awake tau (w) where the oracle
  // sleeps at once (docs/model.md, "Policies").
  static int64_t default_tau_ms(const CostModel &c);
  std::string name() const override { return "fixed-timeout"; }
  Plan plan(const PolicyContext &ctx) override;
  int64_t tau_ms() const { return tau_ms_; }

private:
  int64_t tau_ms_;
};

// ---- The seed's genre windows ----------------------------------------------
// Per genre: a histogram of viewer-action positions as whole percentages of the
// video length (0..100), a degree-5 polynomial ridge fit (x = pct/100, the
// intercept unpenalised, lambda on the five other coefficients), awake at the
// percentages whose residual (count - fit) is at least the mean residual and
// at the percentage after each of those, plus the first (0) and last (99, 100)
// percent.
struct GenreWindows {
  std::array<double, 101> counts{};
  std::array<double, 101> fit{};
  std::array<double, 6> coef{};    // fit(x) = sum coef[k] x^k, x = pct/100
  double mean_residual = 0;
  std::array<bool, 101> awake{};
  int64_t interactions = 0;
  std::set<int> awake_set() const;
};

class SeedGenreFit {
public:
  static constexpr double kDefaultLambda = 1.0;  // sklearn Ridge's default alpha
  static constexpr const char *kAllGenres = "*";  // pooled fit, used for unseen genres

  // Fit from training sessions (viewer actions of sessions with a known length).
  static SeedGenreFit train(const std::vector<TraceSession> &sessions, double lambda = kDefaultLambda);
  static SeedGenreFit train(const std::vector<const TraceSession *> &sessions, double lambda = kDefaultLambda);
  // Fit one histogram (exposed for tests).
  static GenreWindows fit_histogram(const std::array<double, 101> &counts, double lambda = kDefaultLambda);

  // The windows for `genre` (the pooled fit when the genre was not seen; null
  // when nothing was trained).
  const GenreWindows *windows(const std::string &genre) const;
  const std::map<std::string, GenreWindows> &genres() const { return genres_; }
  double lambda() const { return lambda_; }
  // Session ids the fit was trained on (to check for leakage).
  const std::set<std::string> &trained_on() const { return trained_on_; }

private:
  std::map<std::string, GenreWindows> genres_;
  std::set<std::string> trained_on_;
  double lambda_ = kDefaultLambda;
};

// Awake while the media position is in an awake percentage (until the end of
// that awake run), asleep elsewhere, waking proactively at the start of the
// next awake percentage (position mapped to wall time with the playback rate)
// and on demand. Paused: awake if the current percentage is awake, else asleep
// until an interaction. Unknown length: always on.
class SeedGenrePolicy final : public Policy {
public:
  explicit SeedGenrePolicy(std::shared_ptr<const SeedGenreFit> fit) : fit_(std::move(fit)) {}
  std::string name() const override { return "seed-genre"; }
  Plan plan(const PolicyContext &ctx) override;

private:
  std::shared_ptr<const SeedGenreFit> fit_;
};

// ---- Learned ----------------------------------------------------------------
// Minimises the expected cost of the next gap under the forecast's distribution
// of the time to the next action, by dynamic programming over a time grid:
// states awake/asleep at each grid time, transitions stay / fall asleep (free) /
// wake (w); an action while awake ends the gap at no further cost, while asleep
// costs w + m (on-demand wake and miss); awake time costs h per second; the
// session's end (when the forecast gives it, Forecast::end_cdf) ends the gap
// at no further cost.
struct LearnedParams {
  // Multiplies m in the planning objective (not in the judged cost): > 1 wakes
  // earlier and sleeps less, < 1 sleeps more. The trade-off sweep varies it.
  double miss_scale = 1.0;
  // Wake this long before the planned grid point (absorbs forecast error).
  int64_t wake_lead_ms = 0;
};

// Without a learner: the decision rule on the forecast alone (plan_for at
// every decision point). With a SleepLearner (policy/sleep_learner.h): at the
// start of each gap between the viewer's actions it draws one expert from the
// learner's distribution for this viewer (deterministically, from a hash of
// the session id and the gap's index) and follows it through the gap; when
// the gap ends (the next action, or the session's end) it replays every
// expert's decisions on that gap (gap_costs) and records their costs with the
// learner. Speculative calls (the live plane previewing its windows) change
// nothing. A policy object may span several sessions (the live plane) or one
// (replay); the learner is what they share.
class LearnedPolicy final : public Policy {
public:
  LearnedPolicy(const Forecaster &f, const CostModel &cost, const LearnedParams &p = {},
                std::shared_ptr<SleepLearner> learner = nullptr)
      : f_(f), cost_(cost), p_(p), learner_(std::move(learner)) {}
  std::string name() const override { return "learned"; }
  Plan plan(const PolicyContext &ctx) override;
  void session_ended(const PolicyContext &ctx) override;
  // The decision rule alone (tests, docs): the plan minimising expected cost
  // for this forecast; `expected_cost` (if not null) receives its value.
  static Plan plan_for(const Forecast &fc, const CostModel &cost, const LearnedParams &p,
                       double *expected_cost = nullptr);
  // The forecast with its hazard times `scale` (cdf 1 - (1 - F)^scale).
  static Forecast rescale(const Forecast &fc, double scale);
  // What one expert plans at a decision point `elapsed_ms` into its gap
  // (`fc`: the forecast there; unused by timeouts).
  static Plan expert_plan(const Expert &e, const Forecast &fc, const CostModel &cost, int64_t elapsed_ms);
  // Each expert's cost on one gap of `seen` (the session's events up to the
  // gap's end: the action that ended it, or all of them when the session
  // ended), starting at start_ms with the first `prefix_len` events seen,
  // ending at end_ms with an action (`by_action`) or the session's end: its
  // decisions replayed under the replay's rules (docs/model.md, "Replay"),
  // asking `f` at every proactive wake.
  static std::vector<double> gap_costs(const std::vector<Expert> &experts, const Forecaster &f,
                                       const CostModel &cost, const TraceSession &seen, size_t prefix_len,
                                       int64_t start_ms, int64_t end_ms, bool by_action);
  // The expert followed in the current gap (index into the learner's experts; -1 none).
  int chosen_expert() const { return chosen_; }

private:
  void finish_gap(const TraceSession &seen, int64_t end_ms, bool by_action);

  const Forecaster &f_;
  CostModel cost_;
  LearnedParams p_;
  std::shared_ptr<SleepLearner> learner_;
  // The current gap.
  std::string session_;
  int64_t gap_index_ = -1; // viewer actions seen when it started
  int64_t gap_start_ms_ = 0;
  size_t gap_prefix_ = 0;
  int chosen_ = -1;
};

// Plans with the learned policy's decision rule (plan_for) on a given
// forecaster, under a name of its own: `bayes` on the simulator's true
// generative process (sim/bayes.h), replay only.
class ForecastPlanPolicy final : public Policy {
public:
  ForecastPlanPolicy(std::string name, const Forecaster &f, const CostModel &cost)
      : name_(std::move(name)), f_(f), cost_(cost) {}
  std::string name() const override { return name_; }
  Plan plan(const PolicyContext &ctx) override {
    return LearnedPolicy::plan_for(f_.forecast(ctx), cost_, {});
  }

private:
  std::string name_;
  const Forecaster &f_;
  CostModel cost_;
};

// ---- Oracle -----------------------------------------------------------------
// Knows the whole session. Per gap g to the next viewer action: stay awake
// (h*g), or sleep at once and wake exactly at the action (w), or sleep and take
// the action as a miss (w + m: the on-demand wake is a wake too) — the cheapest.
// After the last action: sleep (free). Gaps are independent (at an action the
// plane is always awake), so this is the offline optimum: a lower bound for
// every policy under the same replay.
class OraclePolicy final : public Policy {
public:
  OraclePolicy(const TraceSession &full, const CostModel &cost) : full_(full), cost_(cost) {}
  std::string name() const override { return "oracle"; }
  Plan plan(const PolicyContext &ctx) override;
  // The optimum's cost for a session (closed form; equals its replayed cost).
  static double optimal_cost(const TraceSession &s, const CostModel &cost);

private:
  const TraceSession &full_;
  CostModel cost_;
};

} // namespace sp
