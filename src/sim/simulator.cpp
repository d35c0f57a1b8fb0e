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
#include "sim/session_sims.h"

namespace sp::sim {
namespace {

using namespace model;
using detail::to_ms;

constexpr uint64_t kStreamCatalogue = 1, kStreamViewer = 2, kStreamSessions = 3, kStreamDrift = 4,
                   kStreamDetect = 5;

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

} // namespace


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
      out.push_back(detail::simulate_renewal_session(rng, opt_, viewer, videos_[vi], t, session_id));
    } else {
      out.push_back(detail::simulate_session(rng, viewer, videos_[vi], t, session_id));
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
