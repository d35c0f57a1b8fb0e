// The hazard of the next viewer action by its age — the time since the last
// viewer action (since the open, before the first) — for one player state,
// pooled over every training session: actions over exposure per age bin
// (1 s bins to 2 min, 5 s bins to 10 min, one bin beyond), each pulled
// towards the state's overall rate by a few seconds of pseudo exposure.
//
// The logistic bands (hazard.h) give a band's probability; this curve gives
// its shape inside the band (shape_weight in features.h): a gap
// distribution that starts sharply (nobody acts within 10 s of their last
// action, then many do), or a pause length the viewers share, is placed on
// the seconds where it comes instead of evenly over the band.
//
// Internal to src/predict/. Immutable once built; thread safe to read.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace sp::hz {

// One stretch of a gap spent in one state: ages [from_ms, to_ms), ended by an
// action at to_ms (`action`) or not (a state change, the session's end).
struct AgeSpan {
  int state = 0;
  int64_t from_ms = 0, to_ms = 0;
  bool action = false;
};

class AgeCurve {
public:
  static constexpr int kBins = 217;          // 120 of 1 s, 96 of 5 s, one open-ended from 10 min
  static constexpr double kPriorSeconds = 5; // pseudo exposure per bin at the state's overall rate
  static int64_t lower_edge_ms(int bin);
  static int bin_of(int64_t age_ms);

  // Actions and exposure per bin, summed over spans of one state.
  struct Counts {
    std::array<double, kBins> actions{}, exposure{};
    void add(const AgeSpan &s);
  };
  static AgeCurve fit(const Counts &c);
  // From stored hazards (per second, kBins of them, finite and >= 0); false
  // with `err` otherwise.
  static bool from_hazards(std::vector<double> hz, AgeCurve &out, std::string &err);

  bool empty() const { return hz_.empty(); }
  const std::vector<double> &hazards() const { return hz_; }
  // Cumulative hazard from age 0 to `age_ms` (piecewise linear).
  double cumulative(int64_t age_ms) const;
  // P(an action in ages (a + t0, a + t1] | none in (a + lo, a + t0]) relative to
  // the band (a + lo, a + hi]: the curve's probability of (t0, t1] given no
  // action by a + lo. Flat (the step's share of the band) when empty.
  double step_mass(int64_t age_ms, int64_t lo_ms, int64_t t0_ms, int64_t t1_ms) const;

private:
  void build_cumulative();
  std::vector<double> hz_;  // per second, per bin
  std::vector<double> cum_; // cumulative hazard at each bin's lower edge (kBins entries)
};

} // namespace sp::hz
