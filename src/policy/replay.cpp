#include "policy/replay.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/hash.h"
#include "core/interaction.h"
#include "policy/schedule.h"
#include "trace/playback.h"

namespace sp {

namespace {
constexpr int64_t kInf = Schedule::kNever;

using PlayState = PlaybackState;
} // namespace

void session_span(const TraceSession &s, int64_t &start_ms, int64_t &end_ms) {
  start_ms = session_start_ms(s);
  if (s.end_wall_ms > 0) end_ms = s.end_wall_ms;
  else end_ms = s.events.empty() ? start_ms : s.events.back().wall_ms;
  end_ms = std::max(end_ms, start_ms);
}

void ReplayTotals::add(const SessionReplay &r) {
  ++sessions;
  awake_s += r.awake_s;
  asleep_s += r.asleep_s;
  wakes += r.wakes;
  proactive_wakes += r.proactive_wakes;
  misses += r.misses;
  interactions += r.interactions;
  cost += r.cost;
}
double ReplayTotals::awake_fraction() const {
  double t = awake_s + asleep_s;
  return t > 0 ? awake_s / t : 1.0;
}
double ReplayTotals::misses_per_100() const {
  return interactions > 0 ? 100.0 * static_cast<double>(misses) / static_cast<double>(interactions) : 0.0;
}
double ReplayTotals::wakes_per_hour() const {
  double t = awake_s + asleep_s;
  return t > 0 ? static_cast<double>(wakes) * 3600.0 / t : 0.0;
}

SessionReplay replay_session(const TraceSession &s, Policy &policy, const CostModel &cost, bool keep_timeline) {
  SessionReplay r;
  r.session_id = s.session_id;
  int64_t start = 0, end = 0;
  session_span(s, start, end);

  TraceSession seen = session_opening(s); // what the policy may see: meta + events so far
  seen.events.reserve(s.events.size());

  PlayState st;
  st.duration_ms = s.duration_ms;
  st.base_wall = start;
  size_t i = 0;
  // Events before the span start are taken as state (they happened at the start).
  while (i < s.events.size() && s.events[i].wall_ms <= start && !is_viewer_action(s.events[i].kind)) {
    st.apply(s.events[i], start);
    seen.events.push_back(s.events[i]);
    ++i;
  }

  auto add_interval = [&](int64_t a, int64_t b, bool awake) {
    if (b <= a) return;
    double d = static_cast<double>(b - a) / 1000.0;
    (awake ? r.awake_s : r.asleep_s) += d;
    if (keep_timeline) {
      if (!r.timeline.empty() && r.timeline.back().awake == awake && r.timeline.back().end_ms == a)
        r.timeline.back().end_ms = b;
      else
        r.timeline.push_back({a, b, awake});
    }
  };

  int64_t t = start;          // current time
  bool proactive = false;     // the decision at t follows a proactive wake
  const int64_t max_decisions = 10'000'000;
  while (true) {
    // Decide at t (awake).
    Plan p = policy.plan(context_at(seen, st, t, proactive));
    if (++r.decisions > max_decisions) {  // a policy that keeps time from passing: the rest counts awake
      add_interval(t, end, true);
      break;
    }
    const Schedule sch = schedule_of(p);
    const int64_t sleep_at = add_ms_saturating(t, sch.awake_ms);
    const bool reask_without_wake = sch.then == Schedule::Then::AskAgain;
    const int64_t wake_at = reask_without_wake ? kInf : add_ms_saturating(sleep_at, sch.asleep_ms);
    proactive = false;

    // Awake phase [t, sleep_at].
    bool next_decision = false, finished = false;
    while (!next_decision && !finished) {
      int64_t te = i < s.events.size() ? std::max(s.events[i].wall_ms, t) : kInf;
      if (te > end) te = kInf;
      if (te <= sleep_at && te != kInf) {
        add_interval(t, te, true);
        t = te;
        const Interaction &e = s.events[i++];
        st.apply(e, t);
        seen.events.push_back(e);
        if (is_viewer_action(e.kind)) {
          ++r.interactions;
          if (keep_timeline) { r.action_wall_ms.push_back(t); r.action_missed.push_back(false); }
          next_decision = true;
        }
        continue;
      }
      if (end <= sleep_at) {
        add_interval(t, end, true);
        finished = true;
        break;
      }
      add_interval(t, sleep_at, true);
      t = sleep_at;
      if (reask_without_wake) { proactive = true; next_decision = true; break; }
      // Asleep phase (sleep_at, wake_at).
      while (true) {
        int64_t te2 = i < s.events.size() ? std::max(s.events[i].wall_ms, t) : kInf;
        if (te2 > end) te2 = kInf;
        if (te2 < wake_at && te2 != kInf) {
          const Interaction &e = s.events[i];
          if (is_viewer_action(e.kind)) {
            add_interval(t, te2, false);
            t = te2;
            ++i;
            st.apply(e, t);
            seen.events.push_back(e);
            ++r.interactions;
            ++r.misses;
            ++r.wakes;
            if (keep_timeline) { r.action_wall_ms.push_back(t); r.action_missed.push_back(true); }
            next_decision = true;
            break;
          }
          // Not a viewer action: only state; stay asleep.
          add_interval(t, te2, false);
          t = te2;
          ++i;
          st.apply(e, t);
          seen.events.push_back(e);
          continue;
        }
        // The span ends before the wake (or at it with nothing left to serve).
        if (end < wake_at || (end == wake_at && te2 == kInf)) {
          add_interval(t, end, false);
          finished = true;
          break;
        }
        add_interval(t, wake_at, false);
        t = wake_at;
        ++r.wakes;
        ++r.proactive_wakes;
        proactive = true;
        next_decision = true;
        break;
      }
    }
    if (finished) break;
  }
  // The span is over: a policy that learns from its gaps finishes the last one.
  policy.session_ended(context_at(seen, st, end));
  r.cost = cost.h * r.awake_s + cost.w * static_cast<double>(r.wakes) + cost.m * static_cast<double>(r.misses);
  return r;
}

ReplayTotals replay_all(const std::vector<const TraceSession *> &sessions, const PolicyMaker &make,
                        const CostModel &cost, const SessionObserver &observe) {
  ReplayTotals tot;
  for (const TraceSession *s : sessions) {
    std::unique_ptr<Policy> p = make(*s);
    if (!p) continue;
    const SessionReplay r = replay_session(*s, *p, cost, static_cast<bool>(observe));
    if (observe) observe(*s, r);
    tot.add(r);
  }
  return tot;
}

uint64_t viewer_hash(const std::string &viewer) { return fnv1a64(viewer); }

Split split_by_time(const std::vector<TraceSession> &sessions, double train_fraction) {
  Split sp;
  sp.name = "time";
  if (sessions.empty()) return sp;
  std::vector<int64_t> starts;
  starts.reserve(sessions.size());
  for (const auto &s : sessions) starts.push_back(s.start_wall_ms);
  std::sort(starts.begin(), starts.end());
  double f = std::clamp(train_fraction, 0.0, 1.0);
  size_t k = static_cast<size_t>(std::floor(f * static_cast<double>(starts.size())));
  if (k >= starts.size()) k = starts.size() - 1;
  int64_t cut = starts[k];  // the quantile: train = start < cut
  for (const auto &s : sessions) (s.start_wall_ms < cut ? sp.train : sp.test).push_back(&s);
  return sp;
}

Split split_by_viewer(const std::vector<TraceSession> &sessions, double train_fraction) {
  Split sp;
  sp.name = "viewer";
  uint64_t limit = static_cast<uint64_t>(std::clamp(train_fraction, 0.0, 1.0) * 1000.0);
  for (const auto &s : sessions) (viewer_hash(s.viewer) % 1000 < limit ? sp.train : sp.test).push_back(&s);
  return sp;
}

} // namespace sp
