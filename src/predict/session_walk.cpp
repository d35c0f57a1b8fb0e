// Walking one session: the cursor that follows its state, and what one
// session adds to the statistics (exposure, actions, pauses, gaps).
#include "predict/features.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace sp::hz {

namespace {
int kind_group(Kind k) {
  switch (k) {
  case Kind::Pause:
    return KPause;
  case Kind::Seek:
  case Kind::Skip:
  case Kind::Step:
    return KSeek;
  case Kind::Rate:
    return KRate;
  case Kind::Volume:
  case Kind::Mute:
    return KVolume;
  default:
    return -1;
  }
}
} // namespace

// ---- cursor -------------------------------------------------------------------

void Cursor::apply(const Interaction &e, int64_t wall) {
  if (!paused) seen_ms = std::max(seen_ms, std::min(position_at(wall), std::max<int64_t>(0, e.position_ms)));
  if (is_viewer_action(e.kind))
    action_pos.push_back(paused ? kNotPlaying : std::max<int64_t>(0, e.position_ms));
  PlaybackState::apply(e, wall);
  if (is_viewer_action(e.kind)) {
    anchor_wall = wall;
    ++n_actions;
    last_kind = static_cast<int>(e.kind);
    ended = false;
  } else if (e.kind == Kind::End) {
    ended = true;
  }
}

int Cursor::state(bool paused_now) const {
  if (n_actions == 0 || ended) return Other;
  return paused_now ? Paused : Playing;
}

// ---- walking a session ----------------------------------------------------------

SessionWalk walk_session(const TraceSession &s) {
  SessionWalk w;
  w.viewer.sessions = 1;
  int64_t start = session_start_ms(s);
  int64_t end = s.end_wall_ms > 0 ? s.end_wall_ms : (s.events.empty() ? start : s.events.back().wall_ms);
  end = std::max(end, start);
  const int64_t dur = s.duration_ms;
  std::map<int, std::pair<double, double>> bins; // bin -> (actions, exposure)
  PlaybackState st; // trace/playback.h: the one walker of play, pause, seek and rate
  st.duration_ms = dur;
  st.base_wall = start;
  const double &rate = st.rate;
  auto add_exposure = [&](int64_t a, int64_t b) {
    if (b <= a || rate <= 0) return;
    double secs = static_cast<double>(b - a) / rate / 1000.0;
    w.exposure_s += secs;
    for (int64_t x = a; x < b;) {
      int64_t bin = x / kBinMs;
      int64_t edge = std::min(b, (bin + 1) * kBinMs);
      bins[static_cast<int>(bin)].second += static_cast<double>(edge - x) / rate / 1000.0;
      x = edge;
    }
    if (dur > 0) {
      for (int64_t x = a; x < b;) {
        int64_t pb = std::min<int64_t>(99, x * 100 / dur);
        int64_t edge = std::min(b, (pb + 1) * dur / 100 + ((pb + 1) * dur % 100 ? 1 : 0));
        if (pb == 99) edge = b;
        if (edge <= x) edge = b;
        w.pct_exposure[static_cast<size_t>(pb)] += static_cast<double>(edge - x) / rate / 1000.0;
        x = edge;
      }
    }
  };
  auto advance = [&](int64_t to) {
    if (!st.paused && to > st.base_wall) add_exposure(st.pos_ms, st.position_at(to));
  };
  int64_t last_action = -1, pause_at = -1;
  // The gaps by state for the age curves: ages since `anchor` (the last
  // action, or the start), in the state `span_state` since `span_from`.
  int64_t anchor = start, span_from = start;
  int span_state = Other;
  auto close_span = [&](int64_t t, bool action) {
    w.age_spans.push_back(AgeSpan{span_state, span_from - anchor, t - anchor, action});
  };
  for (const Interaction &e : s.events) {
    if (e.wall_ms > end) break;
    int64_t t = std::max(e.wall_ms, start);
    advance(t);
    if (is_viewer_action(e.kind)) {
      if (!st.paused) {
        int64_t p = std::max<int64_t>(0, e.position_ms);
        bins[static_cast<int>(p / kBinMs)].first += 1;
        if (dur > 0) w.pct_actions[static_cast<size_t>(std::clamp<int64_t>(p * 100 / dur, 0, 99))] += 1;
        w.play_actions += 1;
      }
      w.viewer.actions += 1;
      int g = kind_group(e.kind);
      if (g >= 0) w.viewer.kinds[static_cast<size_t>(g)] += 1;
      if (last_action >= 0) {
        double lg = std::log(std::max(0.5, static_cast<double>(t - last_action) / 1000.0));
        w.gap_logs.push_back(lg);
      }
      if (pause_at >= 0)
        w.pause_logs.push_back(std::log(std::max(0.5, static_cast<double>(t - pause_at) / 1000.0)));
      pause_at = e.kind == Kind::Pause ? t : -1;
      last_action = t;
    }
    st.apply(e, std::max(st.base_wall, t));
    if (is_viewer_action(e.kind)) {
      close_span(t, true);
      anchor = span_from = t;
      span_state = st.paused ? Paused : Playing;
    } else if (e.kind == Kind::End && span_state != Other) {
      close_span(t, false);
      span_from = t;
      span_state = Other;
    }
  }
  close_span(std::max(end, span_from), false);
  advance(end);
  for (const auto &[b, ae] : bins) {
    w.own.bin.push_back(b);
    w.own.actions.push_back(ae.first);
    w.own.exposure.push_back(ae.second);
  }
  w.viewer.play_actions = w.play_actions;
  for (double x : w.pause_logs)
    w.viewer.pause_log_sum += x;
  w.viewer.pauses = static_cast<double>(w.pause_logs.size());
  for (double x : w.gap_logs)
    w.viewer.gap_log_sum += x;
  w.viewer.gaps = static_cast<double>(w.gap_logs.size());
  return w;
}

} // namespace sp::hz
