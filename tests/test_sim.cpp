// Trace simulator (src/sim/simulator.h): determinism, validity of every
// session, and the intended viewer structure visible in aggregate.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "sim/simulator.h"
#include "support.h"
#include "trace/trace.h"

using namespace sp_test;
using sp::Kind;
using sp::TraceSession;
using sp::sim::Archetype;
using sp::sim::Simulator;

namespace {

bool same_session(const TraceSession &a, const TraceSession &b) {
  return a.session_id == b.session_id && a.viewer == b.viewer && a.video == b.video && a.genre == b.genre &&
         a.duration_ms == b.duration_ms && a.start_wall_ms == b.start_wall_ms &&
         a.end_wall_ms == b.end_wall_ms && a.end_reason == b.end_reason && a.events == b.events;
}

bool same_traces(const std::vector<TraceSession> &a, const std::vector<TraceSession> &b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!same_session(a[i], b[i])) return false;
  return true;
}

sp::sim::SimOptions opts(int viewers, double sessions, uint64_t seed) {
  sp::sim::SimOptions o;
  o.viewers = viewers;
  o.sessions_per_viewer = sessions;
  o.seed = seed;
  return o;
}

// One population shared by the aggregate tests.
struct Population {
  Simulator sim{opts(600, 5, 20240101)};
  std::vector<TraceSession> sessions = sim.generate_all();
};
const Population &population() {
  static const Population p;
  return p;
}

// Structure points of a video: intro end, scene changes, credits start.
std::vector<int64_t> structure_points(const sp::sim::Video &v) {
  std::vector<int64_t> pts = v.scene_ms;
  if (v.intro_end_ms > 0) pts.push_back(v.intro_end_ms);
  if (v.credits_start_ms < v.duration_ms) pts.push_back(v.credits_start_ms);
  return pts;
}

bool initiating(Kind k) {
  return k == Kind::Pause || k == Kind::Seek || k == Kind::Rate || k == Kind::Volume || k == Kind::Mute ||
         k == Kind::Stop;
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

// Every rule a simulated session must obey; returns "" or the first problem.
std::string session_problem(const TraceSession &s) {
  if (s.events.empty()) return "no events";
  if (s.events.front().kind != Kind::Open || s.events.front().position_ms != 0)
    return "does not start with open at 0";
  if (s.duration_ms <= 0) return "bad duration";
  if (s.start_wall_ms != s.events.front().wall_ms) return "start_wall_ms is not the open's time";
  if (s.end_wall_ms != s.events.back().wall_ms) return "end_wall_ms is not the last event's time";
  for (size_t i = 0; i < s.events.size(); ++i) {
    const auto &e = s.events[i];
    if (e.seq != static_cast<int64_t>(i) + 1) return "seq gap at " + std::to_string(i);
    if (i > 0 && e.wall_ms < s.events[i - 1].wall_ms)
      return "wall time goes back at seq " + std::to_string(e.seq);
    if (e.position_ms < 0 || e.position_ms > s.duration_ms)
      return "position out of range at seq " + std::to_string(e.seq);
    if (i > 0 && e.kind == Kind::Open) return "second open";
    bool last = i + 1 == s.events.size();
    if ((e.kind == Kind::Stop || e.kind == Kind::End) && !last) return "events after stop/end";
    if (e.kind == Kind::Seek) {
      if (!e.from_ms || !e.to_ms) return "seek without from/to";
      if (*e.from_ms != e.position_ms || *e.to_ms < 0 || *e.to_ms > s.duration_ms || *e.to_ms == *e.from_ms)
        return "bad seek at seq " + std::to_string(e.seq);
    } else if (e.from_ms || e.to_ms) {
      return "from/to on a non-seek";
    }
    if (e.kind == Kind::Rate && (!e.value || !e.old_value || *e.value <= 0 || *e.value == *e.old_value))
      return "bad rate";
    if (e.kind == Kind::Volume && (!e.value || *e.value < 0 || *e.value > 100 || !e.old_value))
      return "bad volume";
    if (e.kind == Kind::Mute && (!e.value || (*e.value != 0 && *e.value != 1) || e.old_value))
      return "bad mute";
    if (e.kind == Kind::End && e.position_ms != s.duration_ms) return "end not at the duration";
  }
  Kind lastk = s.events.back().kind;
  if (s.end_reason == "finished" && lastk != Kind::End) return "finished but last event is not end";
  if (s.end_reason == "abandoned" && lastk != Kind::Stop) return "abandoned but last event is not stop";
  if (s.end_reason != "finished" && s.end_reason != "abandoned") return "end_reason '" + s.end_reason + "'";
  return "";
}

} // namespace

TEST_CASE("same seed gives identical traces, another seed different ones") {
  Simulator a(opts(40, 4, 7)), b(opts(40, 4, 7)), c(opts(40, 4, 8));
  auto ta = a.generate_all(), tb = b.generate_all(), tc = c.generate_all();
  REQUIRE(!ta.empty());
  CHECK(same_traces(ta, tb));
  CHECK_FALSE(same_traces(ta, tc));
  // A viewer's sessions depend only on the seed and the viewer index.
  auto v3 = a.viewer_sessions(3);
  size_t n = 0;
  for (const auto &s : ta)
    if (s.viewer == a.viewers()[3].id) {
      REQUIRE(n < v3.size());
      CHECK(same_session(s, v3[n++]));
    }
  CHECK(n == v3.size());
}

TEST_CASE("every simulated session is valid") {
  const auto &p = population();
  REQUIRE(p.sessions.size() == static_cast<size_t>(p.sim.total_sessions()));
  std::set<std::string> ids;
  size_t bad = 0;
  for (const auto &s : p.sessions) {
    std::string problem = session_problem(s);
    if (!problem.empty() && bad++ < 5) FAIL_CHECK(s.session_id << ": " << problem);
    ids.insert(s.session_id);
    const auto *v = p.sim.find_video(s.video);
    REQUIRE(v != nullptr);
    CHECK(s.duration_ms == v->duration_ms);
    CHECK(s.genre == std::string(sp::sim::genre_name(v->genre)));
    CHECK(p.sim.find_viewer(s.viewer) != nullptr);
  }
  CHECK(bad == 0);
  CHECK(ids.size() == p.sessions.size());
  // Both endings occur in quantity.
  auto finished = std::count_if(p.sessions.begin(), p.sessions.end(),
                                [](const TraceSession &s) { return s.end_reason == "finished"; });
  CHECK(finished > static_cast<long>(p.sessions.size() / 5));
  CHECK(finished < static_cast<long>(p.sessions.size() * 4 / 5));
  // Every interaction kind the model uses shows up.
  std::set<Kind> kinds;
  for (const auto &s : p.sessions)
    for (const auto &e : s.events)
      kinds.insert(e.kind);
  for (Kind k : {Kind::Open, Kind::Play, Kind::Pause, Kind::Seek, Kind::Rate, Kind::Volume, Kind::Mute,
                 Kind::Stop, Kind::End})
    CHECK(kinds.count(k) == 1);
}

TEST_CASE("a viewer's sessions are ordered in time across days") {
  const auto &p = population();
  std::map<std::string, std::vector<const TraceSession *>> by_viewer;
  for (const auto &s : p.sessions)
    by_viewer[s.viewer].push_back(&s);
  REQUIRE(by_viewer.size() == p.sim.viewers().size());
  size_t multi_day = 0;
  for (const auto &[viewer, list] : by_viewer) {
    for (size_t i = 0; i < list.size(); ++i) {
      CHECK(list[i]->start_wall_ms >= p.sim.options().start_wall_ms);
      if (i > 0) CHECK(list[i]->start_wall_ms >= list[i - 1]->end_wall_ms);
    }
    if (list.size() >= 3 && list.back()->start_wall_ms - list.front()->start_wall_ms > 2 * 86400000LL)
      ++multi_day;
  }
  CHECK(multi_day > by_viewer.size() / 2);
}

TEST_CASE("session counts: per-viewer mean or an exact total") {
  Simulator mean(opts(500, 5, 3));
  double avg = static_cast<double>(mean.total_sessions()) / 500.0;
  CHECK(avg > 4.5);
  CHECK(avg < 5.5);
  for (int c : mean.session_counts())
    CHECK(c >= 1);

  auto o = opts(50, 5, 3);
  o.total_sessions = 137;
  Simulator exact(o);
  CHECK(exact.total_sessions() == 137);
  CHECK(exact.generate_all().size() == 137);
  for (int c : exact.session_counts())
    CHECK(c >= 1);
  o.total_sessions = 20; // fewer sessions than viewers
  Simulator few(o);
  CHECK(few.total_sessions() == 20);
  CHECK(few.generate_all().size() == 20);
}

TEST_CASE("bad options are refused") {
  CHECK_THROWS_AS(Simulator(opts(0, 5, 1)), std::invalid_argument);
  CHECK_THROWS_AS(Simulator(opts(10, 0.5, 1)), std::invalid_argument);
  auto o = opts(10, 5, 1);
  o.videos = 0; // and none given
  CHECK_THROWS_AS(Simulator(o), std::invalid_argument);
  o.videos = -1;
  CHECK_THROWS_AS(Simulator(o), std::invalid_argument);
  o = opts(10, 5, 1);
  o.start_wall_ms = -1;
  CHECK_THROWS_AS(Simulator(o), std::invalid_argument);
  Simulator ok(opts(2, 1, 1));
  CHECK_THROWS_AS(ok.viewer_sessions(2), std::out_of_range);
}

TEST_CASE("the catalogue has every genre and ordered structure") {
  const auto &p = population();
  std::set<std::string> genres;
  for (const auto &v : p.sim.catalogue()) {
    INFO(v.id);
    genres.insert(std::string(sp::sim::genre_name(v.genre)));
    CHECK(v.duration_ms > 0);
    CHECK(v.intro_end_ms >= 0);
    CHECK(v.intro_end_ms < v.duration_ms);
    CHECK(v.credits_start_ms <= v.duration_ms);
    CHECK(v.scene_ms.size() == v.scene_salience.size());
    int64_t prev = v.intro_end_ms;
    for (auto s : v.scene_ms) {
      CHECK(s - prev >= 30000);
      prev = s;
    }
    CHECK(v.credits_start_ms - prev >= 30000);
  }
  CHECK(genres.size() == static_cast<size_t>(sp::sim::kGenreCount));
  // A one-video catalogue still works.
  auto o = opts(5, 3, 9);
  o.videos = 1;
  Simulator one(o);
  for (const auto &s : one.generate_all()) {
    CHECK(s.video == one.catalogue()[0].id);
    CHECK(session_problem(s).empty());
  }
}

TEST_CASE("intro-skippers seek past the intro at the start") {
  const auto &p = population();
  int skip_n = 0, skip_hit = 0, other_n = 0, other_hit = 0;
  for (const auto &s : p.sessions) {
    const auto *v = p.sim.find_video(s.video);
    if (v->intro_end_ms == 0) continue;
    const sp::Interaction *first_seek = nullptr;
    for (const auto &e : s.events)
      if (e.kind == Kind::Seek) {
        first_seek = &e;
        break;
      }
    bool hit = first_seek && first_seek->position_ms < v->intro_end_ms &&
               *first_seek->to_ms >= v->intro_end_ms && *first_seek->to_ms <= v->intro_end_ms + 10000;
    if (p.sim.find_viewer(s.viewer)->archetype == Archetype::IntroSkipper) {
      ++skip_n;
      skip_hit += hit;
    } else {
      ++other_n;
      other_hit += hit;
    }
  }
  REQUIRE(skip_n > 100);
  double skip_frac = static_cast<double>(skip_hit) / skip_n,
         other_frac = static_cast<double>(other_hit) / other_n;
  INFO("intro-skippers " << skip_frac << ", others " << other_frac);
  CHECK(skip_frac > 0.6);
  CHECK(skip_frac > 3 * other_frac);
}

TEST_CASE("interactions concentrate near structure positions") {
  const auto &p = population();
  // Share of viewer actions within 10 s of a structure point versus the share
  // expected if they were spread uniformly over each video.
  double near = 0, expected = 0, n = 0;
  std::map<std::string, double> coverage;
  for (const auto &v : p.sim.catalogue()) {
    std::vector<char> cov(static_cast<size_t>(v.duration_ms / 1000) + 1, 0);
    for (auto pt : structure_points(v))
      for (int64_t s = std::max<int64_t>(0, pt / 1000 - 10);
           s <= std::min<int64_t>(v.duration_ms / 1000, pt / 1000 + 10); ++s)
        cov[static_cast<size_t>(s)] = 1;
    coverage[v.id] =
        static_cast<double>(std::count(cov.begin(), cov.end(), 1)) / static_cast<double>(cov.size());
  }
  // Also a heat map over offset from the nearest scene change: 5-second bins.
  std::map<int64_t, double> heat;
  for (const auto &s : p.sessions) {
    const auto *v = p.sim.find_video(s.video);
    auto pts = structure_points(*v);
    for (const auto &e : s.events) {
      if (!initiating(e.kind)) continue;
      n += 1;
      expected += coverage[v->id];
      bool close = std::any_of(pts.begin(), pts.end(),
                               [&](int64_t pt) { return std::llabs(e.position_ms - pt) <= 10000; });
      near += close;
      int64_t best = INT64_MAX;
      for (auto sc : v->scene_ms)
        if (std::llabs(e.position_ms - sc) < std::llabs(best)) best = e.position_ms - sc;
      if (best != INT64_MAX && std::llabs(best) < 60000)
        heat[static_cast<int64_t>(std::floor(best / 5000.0))] += 1;
    }
  }
  REQUIRE(n > 1000);
  INFO("near structure " << near / n << ", uniform " << expected / n);
  CHECK(near / n > 2.0 * (expected / n));
  // The bin just after the scene change towers over the bins far from it.
  double far = 0;
  int far_bins = 0;
  for (auto &[bin, count] : heat)
    if (bin <= -6 || bin >= 6) {
      far += count;
      ++far_bins;
    }
  REQUIRE(far_bins > 0);
  INFO("peak bin " << heat[0] << ", mean far bin " << far / far_bins);
  CHECK(heat[0] > 3.0 * far / far_bins);
}

TEST_CASE("pauses are heavy-tailed") {
  const auto &p = population();
  std::vector<double> lengths;
  for (const auto &s : p.sessions)
    for (size_t i = 0; i + 1 < s.events.size(); ++i)
      if (s.events[i].kind == Kind::Pause && s.events[i + 1].kind == Kind::Play)
        lengths.push_back(static_cast<double>(s.events[i + 1].wall_ms - s.events[i].wall_ms));
  REQUIRE(lengths.size() > 1000);
  double med = quantile(lengths, 0.5), p99 = quantile(lengths, 0.99);
  INFO("median " << med << " ms, p99 " << p99 << " ms");
  CHECK(med > 3000);
  CHECK(p99 / med > 20);
  // Pausers pause longer than the rest.
  std::vector<double> pauser, rest;
  for (const auto &s : p.sessions) {
    bool is_pauser = p.sim.find_viewer(s.viewer)->archetype == Archetype::Pauser;
    for (size_t i = 0; i + 1 < s.events.size(); ++i)
      if (s.events[i].kind == Kind::Pause && s.events[i + 1].kind == Kind::Play)
        (is_pauser ? pauser : rest)
            .push_back(static_cast<double>(s.events[i + 1].wall_ms - s.events[i].wall_ms));
  }
  REQUIRE(!pauser.empty());
  REQUIRE(!rest.empty());
  CHECK(quantile(pauser, 0.5) > 1.5 * quantile(rest, 0.5));
}

TEST_CASE("archetypes behave differently") {
  const auto &p = population();
  struct Acc {
    double n = 0, hits = 0;
    double frac() const { return n > 0 ? hits / n : 0; }
  };
  Acc speed_lecture, other_lecture, binger_finish, surfer_finish, binger_credits, rewatch_back, other_back;
  for (const auto &s : p.sessions) {
    const auto *v = p.sim.find_video(s.video);
    Archetype a = p.sim.find_viewer(s.viewer)->archetype;
    if (s.genre == "lecture") {
      bool early_fast = std::any_of(s.events.begin(), s.events.end(), [](const sp::Interaction &e) {
        return e.kind == Kind::Rate && e.position_ms <= 90000 && e.value && *e.value > 1.0;
      });
      Acc &acc = a == Archetype::SpeedChanger ? speed_lecture : other_lecture;
      acc.n += 1;
      acc.hits += early_fast;
    }
    if (a == Archetype::Binger) {
      binger_finish.n += 1;
      binger_finish.hits += s.end_reason == "finished";
      if (v->credits_start_ms < v->duration_ms && s.end_reason == "finished") {
        binger_credits.n += 1;
        binger_credits.hits += std::any_of(s.events.begin(), s.events.end(), [&](const sp::Interaction &e) {
          return e.kind == Kind::Seek && e.position_ms >= v->credits_start_ms && *e.to_ms == v->duration_ms;
        });
      }
    }
    if (a == Archetype::ChannelSurfer) {
      surfer_finish.n += 1;
      surfer_finish.hits += s.end_reason == "finished";
    }
    // Back-seeks of 10-30 s near a scene change.
    bool back = false;
    for (const auto &e : s.events)
      if (e.kind == Kind::Seek && *e.from_ms - *e.to_ms >= 10000 && *e.from_ms - *e.to_ms <= 30000)
        for (auto sc : v->scene_ms)
          if (e.position_ms >= sc && e.position_ms <= sc + 12000) back = true;
    Acc &acc = a == Archetype::Rewatcher ? rewatch_back : other_back;
    acc.n += 1;
    acc.hits += back;
  }
  INFO("speed-changers " << speed_lecture.frac() << " vs " << other_lecture.frac());
  CHECK(speed_lecture.frac() > 0.6);
  CHECK(other_lecture.frac() < 0.25);
  INFO("bingers finish " << binger_finish.frac() << ", surfers " << surfer_finish.frac());
  CHECK(binger_finish.frac() > 0.6);
  CHECK(surfer_finish.frac() < 0.3);
  INFO("bingers skip credits " << binger_credits.frac());
  CHECK(binger_credits.frac() > 0.5);
  INFO("rewatchers " << rewatch_back.frac() << " vs " << other_back.frac());
  CHECK(rewatch_back.frac() > 2 * other_back.frac());
}

TEST_CASE("catalogue and viewer side files are JSON Lines, one per item") {
  Simulator sim(opts(12, 2, 5));
  std::ostringstream cat, vw;
  sp::sim::write_catalogue(cat, sim);
  sp::sim::write_viewers(vw, sim);
  auto lines = [](const std::string &s) { return std::count(s.begin(), s.end(), '\n'); };
  CHECK(lines(cat.str()) == static_cast<long>(sim.catalogue().size()));
  CHECK(lines(vw.str()) == 12);
  CHECK(cat.str().find("\"scene_ms\":[") != std::string::npos);
  CHECK(vw.str().find("\"archetype\":\"") != std::string::npos);
}

TEST_CASE("simulated traces survive a write/read round trip") {
  Simulator sim(opts(20, 3, 11));
  auto t = sim.generate_all();
  std::stringstream ss;
  sp::write_traces(ss, t);
  auto r = sp::read_traces(ss, sp::OnMalformed::Refuse);
  REQUIRE(r.ok);
  CHECK(r.errors.empty());
  CHECK(same_traces(t, r.sessions));
}

TEST_CASE("smartplayer-sim writes the same file for the same seed") {
  namespace fs = std::filesystem;
  const std::string tool = binary_dir() + "/tools/smartplayer-sim";
  REQUIRE(fs::exists(tool));
  TempDir d;
  auto sim_cmd = [&](const std::string &seed, const std::string &out) {
    return tool + " --viewers 30 --sessions 3 --seed " + seed + " --out " + out + " --quiet";
  };
  CHECK(run(sim_cmd("5", d.file("a.jsonl")) + " --catalogue " + d.file("cat.jsonl")) == 0);
  CHECK(run(sim_cmd("5", d.file("b.jsonl"))) == 0);
  CHECK(run(sim_cmd("6", d.file("c.jsonl"))) == 0);
  auto slurp = [](const std::string &p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  std::string a = slurp(d.file("a.jsonl"));
  CHECK(!a.empty());
  CHECK(a == slurp(d.file("b.jsonl")));
  CHECK(a != slurp(d.file("c.jsonl")));
  auto r = sp::read_trace_file(d.file("a.jsonl"), sp::OnMalformed::Refuse);
  REQUIRE(r.ok);
  Simulator same(opts(30, 3, 5));
  CHECK(same_traces(r.sessions, same.generate_all()));
  std::string cat = slurp(d.file("cat.jsonl"));
  CHECK(std::count(cat.begin(), cat.end(), '\n') == 200);
  // --total-sessions gives an exact count.
  CHECK(run(tool + " --viewers 10 --total-sessions 33 --seed 2 --quiet --out " + d.file("t.jsonl")) == 0);
  CHECK(sp::read_trace_file(d.file("t.jsonl")).sessions.size() == 33);
  // Usage errors exit 2, I/O errors 1.
  CHECK(run(tool + " --viewers 0 --out " + d.file("x") + " 2>/dev/null") == 2);
  CHECK(run(tool + " --viewers 3 --sessions 0.5 --out " + d.file("x") + " 2>/dev/null") == 2);
  CHECK(run(tool + " --viewers 3 2>/dev/null") == 2);
  CHECK(run(tool + " --bogus --out " + d.file("x") + " 2>/dev/null") == 2);
  CHECK(run(tool + " --viewers 3 --out /nonexistent-dir/x.jsonl 2>/dev/null") == 1);
  // Modes and the truth file.
  CHECK(run(tool + " --viewers 5 --mode memoryless --mean-gap-s 30 --quiet --out " + d.file("m.jsonl") +
            " --truth " + d.file("truth.jsonl")) == 0);
  sp::sim::Truth truth;
  std::string err;
  REQUIRE(sp::sim::read_truth_file(d.file("truth.jsonl"), truth, err));
  CHECK(truth.options.mode == sp::sim::Mode::Memoryless);
  CHECK(truth.options.mean_gap_s == 30);
  CHECK(truth.viewers.size() == 5);
  CHECK(run(tool + " --viewers 3 --mode dreamy --out " + d.file("x") + " 2>/dev/null") == 2);
  CHECK(run(tool + " --viewers 3 --duration-scale 0 --out " + d.file("x") + " 2>/dev/null") == 2);
  CHECK(run(tool + " --viewers 3 --mean-gap-s 1 --out " + d.file("x") + " 2>/dev/null") == 2);
  // --add-videos, --videos 0 and --viewer-ids: the same traces as the options in code.
  {
    std::ofstream f(d.file("given.jsonl"));
    f << "{\"id\":\"clip\",\"genre\":\"music\",\"duration_ms\":90000,\"scene_ms\":[30000,60000]}\n";
  }
  CHECK(run(tool + " --viewers 8 --sessions 2 --seed 3 --videos 0 --add-videos " + d.file("given.jsonl") +
            " --viewer-ids ann,bo --quiet --out " + d.file("g.jsonl") + " --transitions " + d.file("gt.jsonl")) ==
        0);
  auto g = sp::read_trace_file(d.file("g.jsonl"), sp::OnMalformed::Refuse);
  REQUIRE(g.ok);
  auto go = opts(8, 2, 3);
  go.videos = 0;
  std::ifstream gf(d.file("given.jsonl"));
  REQUIRE(sp::sim::read_given_videos(gf, go.given_videos, err));
  go.viewer_ids = {"ann", "bo"};
  CHECK(same_traces(g.sessions, Simulator(go).generate_all()));
  CHECK(slurp(d.file("gt.jsonl")) == "{\"transitions_ms\":[30000,60000],\"video\":\"clip\"}\n");
  CHECK(run(tool + " --viewers 3 --add-videos " + d.file("nope.jsonl") + " --out " + d.file("x") +
            " 2>/dev/null") == 2);
  CHECK(run(tool + " --viewers 3 --videos 0 --out " + d.file("x") + " 2>/dev/null") == 2);
  CHECK(run(tool + " --viewers 3 --viewer-ids a,,b --out " + d.file("x") + " 2>/dev/null") == 2);
  // --viewer-id takes a name as it is: commas, quotes, spaces, non-ASCII, and
  // a name that a simulated viewer has (that one is renamed).
  const std::string odd = "O,Brien \"Zo\xc3\xab\" x";
  CHECK(run(tool + " --viewers 20 --sessions 2 --seed 3 --viewer-id '" + odd +
            "' --viewer-id viewer00012 --quiet --out " + d.file("ids.jsonl")) == 0);
  auto ids = sp::read_trace_file(d.file("ids.jsonl"), sp::OnMalformed::Refuse);
  REQUIRE(ids.ok);
  std::set<std::string> seen;
  for (const auto &s : ids.sessions)
    seen.insert(s.viewer);
  CHECK(seen.size() == 20);
  CHECK(seen.count(odd) == 1);
  CHECK(seen.count("viewer00012") == 1);
  CHECK(seen.count("viewer00012.1") == 1);
  auto io = opts(20, 2, 3);
  io.viewer_ids = {odd, "viewer00012"};
  CHECK(same_traces(ids.sessions, Simulator(io).generate_all()));
  CHECK(run(tool + " --viewers 3 --viewer-id '' --out " + d.file("x") + " 2>/dev/null") == 2);
  CHECK(run(tool + " --viewers 3 --viewer-id a --viewer-ids b,a --out " + d.file("x") + " 2>/dev/null") == 2);
}

namespace {

sp::sim::SimOptions mode_opts(sp::sim::Mode m, int viewers, uint64_t seed) {
  auto o = opts(viewers, 5, seed);
  o.mode = m;
  return o;
}

// Gaps (s) between consecutive viewer actions, and from the open to the first.
std::vector<double> action_gaps(const std::vector<TraceSession> &sessions) {
  std::vector<double> g;
  for (const auto &s : sessions)
    for (size_t i = 1; i < s.events.size(); ++i)
      g.push_back((s.events[i].wall_ms - s.events[i - 1].wall_ms) / 1000.0);
  return g;
}

double mean_of(const std::vector<double> &v) {
  double t = 0;
  for (double x : v)
    t += x;
  return t / static_cast<double>(v.size());
}

} // namespace

TEST_CASE("renewal modes: valid sessions of unknown length, gaps from the mode's distribution") {
  using sp::sim::Mode;
  for (Mode m : {Mode::Memoryless, Mode::Bursty, Mode::HeavyTailed}) {
    INFO(sp::sim::mode_name(m));
    Simulator sim(mode_opts(m, 150, 9));
    auto t = sim.generate_all();
    REQUIRE(t.size() == static_cast<size_t>(sim.total_sessions()));
    for (const auto &s : t) {
      REQUIRE(!s.events.empty());
      CHECK(s.events.front().kind == Kind::Open);
      CHECK(s.duration_ms == 0);
      CHECK(s.end_reason == "abandoned");
      CHECK(s.end_wall_ms >= s.events.back().wall_ms);
      for (size_t i = 1; i < s.events.size(); ++i) {
        CHECK(s.events[i].wall_ms >= s.events[i - 1].wall_ms);
        CHECK(sp::is_viewer_action(s.events[i].kind));
      }
      if (s.events.size() > 1) CHECK(s.events[1].kind == Kind::Play);
    }
    // Round trip through the trace format (duration 0 = unknown length).
    std::stringstream ss;
    sp::write_traces(ss, t);
    CHECK(sp::read_traces(ss, sp::OnMalformed::Refuse).ok);
    auto g = action_gaps(t);
    REQUIRE(g.size() > 2000);
    double mean = mean_of(g);
    INFO("mean gap " << mean << " s, median " << quantile(g, 0.5));
    // Gaps are censored by the session end (mean 20 min), which shortens the
    // observed mean (much for the Pareto tail); the shapes differ clearly.
    CHECK(mean > (m == Mode::HeavyTailed ? 25 : 40));
    CHECK(mean < 65);
    if (m == Mode::Memoryless) {
      // Exponential: median = mean ln 2, the 90th percentile = mean ln 10.
      CHECK(quantile(g, 0.5) / mean == Approx(std::log(2.0)).epsilon(0.12));
      CHECK(quantile(g, 0.9) / mean == Approx(std::log(10.0)).epsilon(0.12));
    } else if (m == Mode::Bursty) {
      // 60 % quick follow-ups (mean 3 s): the median is a few seconds.
      CHECK(quantile(g, 0.5) < 8);
    } else {
      // Pareto 1.2 with mean 60 s: scale 10 s, nothing shorter; a long tail.
      CHECK(quantile(g, 0.0) >= 9.9);
      CHECK(quantile(g, 0.99) > 8 * mean);
    }
  }
}

TEST_CASE("drifting mode: viewers change habits half-way through their sessions") {
  using sp::sim::Mode;
  Simulator sim(mode_opts(Mode::Drifting, 200, 4));
  auto truth = sim.truth();
  REQUIRE(truth.drift_at.size() == 200);
  REQUIRE(truth.drifted.size() == 200);
  size_t changed = 0;
  for (size_t i = 0; i < 200; ++i) {
    CHECK(truth.drift_at[i] >= 1);
    CHECK(truth.drifted[i].id == truth.viewers[i].id);
    changed += truth.drifted[i].archetype != truth.viewers[i].archetype;
    CHECK(truth.find_viewer(truth.viewers[i].id, 0) == &truth.viewers[i]);
    CHECK(truth.find_viewer(truth.viewers[i].id, truth.drift_at[i]) == &truth.drifted[i]);
  }
  CHECK(changed > 100); // most draw another archetype
  // The structured sessions stay valid; the first half is the same as without drift.
  Simulator plain(mode_opts(Mode::Structured, 200, 4));
  auto a = sim.viewer_sessions(7), b = plain.viewer_sessions(7);
  REQUIRE(a.size() == b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    CHECK(session_problem(a[k]).empty());
    if (static_cast<int>(k) < truth.drift_at[7]) CHECK(same_session(a[k], b[k]));
  }
}

TEST_CASE("duration scale makes sessions shorter or longer") {
  auto o = opts(60, 3, 5);
  o.duration_scale = 0.1;
  Simulator short_sim(o);
  o.duration_scale = 3;
  Simulator long_sim(o);
  Simulator plain(opts(60, 3, 5));
  auto median_len = [](const Simulator &s) {
    std::vector<double> d;
    for (const auto &v : s.catalogue())
      d.push_back(static_cast<double>(v.duration_ms));
    return quantile(d, 0.5);
  };
  CHECK(median_len(short_sim) < 0.2 * median_len(plain));
  CHECK(median_len(long_sim) > 2 * median_len(plain));
  for (const auto &s : short_sim.generate_all())
    CHECK(session_problem(s).empty());
  o.duration_scale = 0;
  CHECK_THROWS_AS(Simulator(o), std::invalid_argument);
}

TEST_CASE("the truth file round-trips every generative parameter") {
  using sp::sim::Mode;
  for (Mode m : {Mode::Structured, Mode::Drifting, Mode::Bursty}) {
    auto o = mode_opts(m, 25, 12);
    o.duration_scale = 0.7;
    o.mean_gap_s = 45;
    Simulator sim(o);
    std::stringstream ss;
    sp::sim::write_truth(ss, sim.truth());
    sp::sim::Truth back;
    std::string err;
    REQUIRE(sp::sim::read_truth(ss, back, err));
    CHECK(err.empty());
    CHECK(back.options.mode == m);
    CHECK(back.options.seed == 12);
    CHECK(back.options.duration_scale == 0.7);
    CHECK(back.options.mean_gap_s == 45);
    REQUIRE(back.videos.size() == sim.catalogue().size());
    for (size_t i = 0; i < back.videos.size(); ++i) {
      const auto &a = back.videos[i], &b = sim.catalogue()[i];
      CHECK(a.id == b.id);
      CHECK(a.genre == b.genre);
      CHECK(a.duration_ms == b.duration_ms);
      CHECK(a.scene_ms == b.scene_ms);
      CHECK(a.scene_salience == b.scene_salience); // exact: JSON doubles round-trip
    }
    REQUIRE(back.viewers.size() == 25);
    for (size_t i = 0; i < 25; ++i) {
      const auto &a = back.viewers[i], &b = sim.viewers()[i];
      CHECK(a.id == b.id);
      CHECK(a.archetype == b.archetype);
      CHECK(a.action_weight == b.action_weight);
      CHECK(a.genre_pref == b.genre_pref);
      CHECK(a.base_rate_per_min == b.base_rate_per_min);
      CHECK(a.pause_median_s == b.pause_median_s);
      CHECK(a.finish_prob == b.finish_prob);
      CHECK(a.volume == b.volume);
    }
    CHECK(back.drift_at.size() == (m == Mode::Drifting ? 25u : 0u));
  }
  sp::sim::Truth t;
  std::string err;
  std::stringstream bad("{\"truth\":\"something-else\"}\n");
  CHECK_FALSE(sp::sim::read_truth(bad, t, err));
  CHECK(err.find("not a smartplayer-sim truth file") != std::string::npos);
  std::stringstream broken("{\"truth\":\"smartplayer-sim-truth/1\",\"options\":{\"mode\":\"structured\"}}\n");
  CHECK_FALSE(sp::sim::read_truth(broken, t, err));
  CHECK(err.find("line 1") != std::string::npos);
  CHECK(sp::sim::session_index("viewer00012-s007") == 6);
  CHECK(sp::sim::session_index("edx-000001") == -1);
}

TEST_CASE("given videos join the catalogue; their viewers act after their scene changes") {
  std::istringstream in(
      "{\"id\":\"sample\",\"genre\":\"lecture\",\"duration_ms\":60000,\"scene_ms\":[4000,50000,54000]}\n"
      "\n"
      "{\"id\":\"talk\",\"genre\":\"news\",\"duration_ms\":120000,\"scene_ms\":[60000],\"popularity\":2,"
      "\"scene_salience\":[1.5],\"intro_end_ms\":5000,\"credits_start_ms\":110000}\n");
  std::vector<sp::sim::Video> given;
  std::string err;
  REQUIRE(sp::sim::read_given_videos(in, given, err));
  REQUIRE(given.size() == 2);
  CHECK(given[0].scene_salience == std::vector<double>{1, 1, 1});
  CHECK(given[0].intro_end_ms == 0);
  CHECK(given[0].credits_start_ms == 60000);
  CHECK(given[0].popularity == 1);
  CHECK(given[1].genre == sp::sim::Genre::News);
  CHECK(given[1].popularity == 2);

  // Only the given videos (no simulated ones); the first viewer named. The
  // share of actions (after the open and the first play) in the 6 s after
  // one of the cuts, against the same video without scene changes.
  auto share_after_cuts = [&](const sp::sim::Video &video, const std::vector<int64_t> &cuts, bool &alice) {
    auto o = opts(150, 3, 7);
    o.videos = 0;
    o.given_videos = {video};
    o.viewer_ids = {"alice"};
    Simulator sim(o);
    REQUIRE(sim.catalogue().size() == 1);
    CHECK(sim.viewers()[0].id == "alice");
    CHECK(sim.viewers()[1].id == "viewer00001");
    double near = 0, n = 0;
    alice = false;
    for (const auto &s : sim.generate_all()) {
      CHECK(s.video == "sample");
      CHECK(s.genre == "lecture");
      CHECK(s.duration_ms == 60000);
      alice = alice || (s.viewer == "alice" && s.session_id.rfind("alice-s", 0) == 0);
      for (size_t i = 2; i < s.events.size(); ++i) {
        if (!initiating(s.events[i].kind)) continue;
        n += 1;
        const int64_t p = s.events[i].position_ms;
        near += std::any_of(cuts.begin(), cuts.end(), [&](int64_t c) { return p >= c && p < c + 6000; });
      }
    }
    REQUIRE(n > 200);
    return near / n;
  };
  bool alice = false;
  const double with_cuts = share_after_cuts(given[0], given[0].scene_ms, alice);
  CHECK(alice);
  sp::sim::Video plain_video = given[0];
  plain_video.scene_ms.clear();
  plain_video.scene_salience.clear();
  const double without = share_after_cuts(plain_video, given[0].scene_ms, alice);
  INFO("share of actions in the 6 s after a cut: " << with_cuts << ", the video without its cuts " << without);
  CHECK(with_cuts > without + 0.1);
  auto o = opts(150, 3, 7);
  o.videos = 0;
  o.given_videos = {given[0]};
  o.viewer_ids = {"alice"};
  Simulator sim(o);
  // A detector found the given positions: they are reported as given.
  CHECK(sim.detected_transitions().at("sample") == given[0].scene_ms);
  // The truth file carries the given video like any other.
  std::stringstream t;
  sp::sim::write_truth(t, sim.truth());
  sp::sim::Truth back;
  REQUIRE(sp::sim::read_truth(t, back, err));
  REQUIRE(back.find_video("sample"));
  CHECK(back.find_video("sample")->scene_ms == given[0].scene_ms);
  CHECK(back.find_viewer("alice"));

  // Mixed with simulated videos: the simulated catalogue is unchanged.
  auto m = opts(20, 2, 7);
  m.videos = 30;
  m.given_videos = given;
  Simulator mixed(m);
  Simulator plain(opts(20, 2, 7));
  REQUIRE(mixed.catalogue().size() == 32);
  REQUIRE(plain.catalogue().size() == 200);
  m.videos = 200;
  Simulator mixed200(m);
  for (size_t i = 0; i < 200; ++i)
    CHECK(mixed200.catalogue()[i].scene_ms == plain.catalogue()[i].scene_ms);
  CHECK(mixed200.catalogue()[201].id == "talk");
}

TEST_CASE("bad given videos and viewer ids are refused") {
  auto refused = [](const std::string &line, const std::string &why) {
    std::istringstream in(line + "\n");
    std::vector<sp::sim::Video> v;
    std::string err;
    bool ok = sp::sim::read_given_videos(in, v, err);
    INFO(line << " -> " << err);
    CHECK_FALSE(ok);
    CHECK(err.find("line 1: ") == 0);
    CHECK(err.find(why) != std::string::npos);
  };
  refused("{\"genre\":\"lecture\",\"duration_ms\":1000}", "id");
  refused("{\"id\":\"\",\"genre\":\"lecture\",\"duration_ms\":1000}", "empty id");
  refused("{\"id\":\"a\",\"genre\":\"opera\",\"duration_ms\":1000}", "unknown genre \"opera\"");
  refused("{\"id\":\"a\",\"genre\":\"lecture\",\"duration_ms\":0}", "duration_ms");
  refused("{\"id\":\"a\",\"genre\":\"lecture\",\"duration_ms\":1000,\"scene_ms\":[500,400]}", "not ascending");
  refused("{\"id\":\"a\",\"genre\":\"lecture\",\"duration_ms\":1000,\"scene_ms\":[1000]}", "not inside");
  refused("{\"id\":\"a\",\"genre\":\"lecture\",\"duration_ms\":1000,\"scene_ms\":[5],\"scene_salience\":[]}",
          "differ in length");
  refused("{\"id\":\"a\",\"genre\":\"lecture\",\"duration_ms\":1000,\"popularity\":0}", "popularity");
  refused("not json", "not valid JSON (at byte 2)");
  std::istringstream twice("{\"id\":\"a\",\"genre\":\"lecture\",\"duration_ms\":1000}\n"
                           "{\"id\":\"a\",\"genre\":\"news\",\"duration_ms\":1000}\n");
  std::vector<sp::sim::Video> v;
  std::string err;
  CHECK_FALSE(sp::sim::read_given_videos(twice, v, err));
  CHECK(err.find("line 2: video \"a\" listed twice") == 0);

  sp::sim::Video a;
  a.id = "vid0003"; // taken by a simulated video
  a.duration_ms = 1000;
  a.credits_start_ms = 1000;
  auto o = opts(5, 1, 1);
  o.videos = 10;
  o.given_videos = {a};
  CHECK_THROWS_AS(Simulator(o), std::invalid_argument);
  o.given_videos[0].id = "mine";
  CHECK_NOTHROW(Simulator(o));
  for (const auto &ids : std::vector<std::vector<std::string>>{
           {""}, {"bob", "bob"}, {"a", "b", "c", "d", "e", "f"}}) {
    auto w = opts(5, 1, 1);
    w.viewer_ids = ids;
    CHECK_THROWS_AS(Simulator(w), std::invalid_argument);
  }
}

TEST_CASE("given viewer ids may be any string; the simulated viewers keep out of their way") {
  // A simulated viewer's own name given to another: the simulated one is
  // renamed, to a name nobody was given.
  auto w = opts(5, 2, 1);
  w.viewer_ids = {"viewer00003", "viewer00003.1"};
  Simulator named(w);
  REQUIRE(named.viewers().size() == 5);
  CHECK(named.viewers()[0].id == "viewer00003");
  CHECK(named.viewers()[1].id == "viewer00003.1");
  CHECK(named.viewers()[2].id == "viewer00002");
  CHECK(named.viewers()[3].id == "viewer00003.2");
  CHECK(named.viewers()[4].id == "viewer00004");
  // Given ids that no simulated viewer has are kept as they are, the rest unchanged.
  w.viewer_ids = {"viewer00000", "viewer99999"};
  Simulator same(w);
  const std::vector<std::string> want{"viewer00000", "viewer99999", "viewer00002", "viewer00003", "viewer00004"};
  for (size_t i = 0; i < 5; ++i)
    CHECK(same.viewers()[i].id == want[i]);
  // A long id with commas, quotes and spaces: every session id holds it whole
  // ("<viewer>-s001", ...), so they stay unique.
  const std::string long_id = std::string(80, 'x') + ", \"y\" 'z'";
  w.viewer_ids = {long_id};
  auto sessions = Simulator(w).generate_all();
  std::set<std::string> session_ids;
  size_t mine = 0;
  for (const auto &s : sessions) {
    session_ids.insert(s.session_id);
    CHECK(s.session_id.rfind(s.viewer + "-s", 0) == 0);
    mine += s.viewer == long_id;
  }
  CHECK(mine >= 1);
  CHECK(session_ids.size() == sessions.size());
}
