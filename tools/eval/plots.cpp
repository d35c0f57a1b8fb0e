#include "plots.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "policy/policies.h"

namespace sp_eval {

using namespace sp;
namespace fs = std::filesystem;

namespace {

// At most `cap` sessions, evenly spread (deterministic), to keep sweeps quick.
std::vector<const TraceSession *> subsample(const std::vector<const TraceSession *> &all, size_t cap) {
  if (all.size() <= cap) return all;
  std::vector<const TraceSession *> out;
  out.reserve(cap);
  for (size_t i = 0; i < cap; ++i) out.push_back(all[i * all.size() / cap]);
  return out;
}

std::string quote(const std::string &p) { return "'" + p + "'"; }

bool write_file(const fs::path &p, const std::string &text, std::string &err) {
  std::ofstream f(p);
  f << text;
  f.close();
  if (!f) {
    err = "cannot write " + p.string();
    return false;
  }
  return true;
}

std::string terminal() {
  static const std::string t =
      std::system("gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1") == 0 ? "pngcairo" : "png";
  return t;
}

bool run_gnuplot(const fs::path &gp, const fs::path &png, std::string &err) {
  std::string cmd = "gnuplot " + quote(gp.string()) + " 2>" + quote(gp.string() + ".log");
  int rc = std::system(cmd.c_str());
  std::error_code ec;
  if (rc != 0 || !fs::exists(png, ec) || fs::file_size(png, ec) == 0) {
    err = "gnuplot failed on " + gp.string() + " (see " + gp.string() + ".log)";
    return false;
  }
  return true;
}

double ratio(double cost, double oracle) { return oracle > 0 ? cost / oracle : (cost > 0 ? NAN : 1.0); }

// What every plot works from: the output folder, the inputs, the sessions
// the sweeps replay, and how to build and replay a policy.
struct Plotter {
  const fs::path dir;
  const PlotInputs &in;
  const std::vector<const TraceSession *> sample;
  const std::string term = terminal();

  // The inputs of a policy that replays `full`.
  PolicyInputs inputs(const TraceSession *full) const {
    PolicyInputs pin;
    pin.seed_fit = in.trained.seed_fit;
    pin.forecaster = in.trained.forecaster.get();
    pin.reference = in.trained.reference.get();
    pin.full_session = full;
    return pin;
  }
  bool have_forecaster() const { return in.trained.forecaster != nullptr; }
  // Asked for, and with what it needs trained.
  bool usable(const std::string &n) const {
    return std::find(in.policies.begin(), in.policies.end(), n) != in.policies.end() &&
           (n != "learned" || have_forecaster()) && (n != "seed-genre" || in.trained.seed_fit);
  }
  ReplayTotals run(const std::string &name, const PolicyParams &pp) const {
    std::string e;
    PolicyMaker mk = [&](const TraceSession &full) { return make_policy(name, pp, inputs(&full), e); };
    return replay_all(sample, mk, pp.cost);
  }
  bool write_and_plot(const std::string &stem, const std::string &gp, std::string &err) const {
    return write_file(dir / (stem + ".gp"), gp, err) &&
           run_gnuplot(dir / (stem + ".gp"), dir / (stem + ".png"), err);
  }
  std::string path(const std::string &file) const { return quote((dir / file).string()); }
};

// (a) Awake fraction vs misses: fixed timeout sweeping tau, learned sweeping
// its miss weight, the other policies as points.
bool plot_tradeoff(const Plotter &P, nlohmann::json &meta, std::string &err) {
  const PlotInputs &in = P.in;
  const double oracle_cost = P.run("oracle", in.params).cost;
  std::ostringstream fixed, learned, points;
  fixed << "# tau_s awake_fraction misses_per_100 cost_ratio\n";
  nlohmann::json jf = nlohmann::json::array(), jl = nlohmann::json::array();
  for (double tau : {1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0, 600.0}) {
    PolicyParams pp = in.params;
    pp.timeout_ms = static_cast<int64_t>(tau * 1000);
    ReplayTotals t = P.run("fixed-timeout", pp);
    fixed << tau << " " << t.awake_fraction() << " " << t.misses_per_100() << " " << ratio(t.cost, oracle_cost) << "\n";
    jf.push_back({{"tau_s", tau}, {"awake_fraction", t.awake_fraction()}, {"misses_per_100", t.misses_per_100()},
                  {"cost_ratio_to_oracle", ratio(t.cost, oracle_cost)}});
  }
  learned << "# miss_scale awake_fraction misses_per_100 cost_ratio\n";
  if (P.have_forecaster()) {
    for (double s : {0.03, 0.1, 0.3, 0.6, 1.0, 2.0, 4.0, 10.0, 30.0}) {
      PolicyParams pp = in.params;
      pp.learned.miss_scale = s;
      ReplayTotals t = P.run("learned", pp);
      learned << s << " " << t.awake_fraction() << " " << t.misses_per_100() << " " << ratio(t.cost, oracle_cost) << "\n";
      jl.push_back({{"miss_scale", s}, {"awake_fraction", t.awake_fraction()}, {"misses_per_100", t.misses_per_100()},
                    {"cost_ratio_to_oracle", ratio(t.cost, oracle_cost)}});
    }
  }
  points << "# name awake_fraction misses_per_100\n";
  for (const char *n : {"always-on", "seed-genre", "oracle"}) {
    if (std::string(n) == "seed-genre" && !in.trained.seed_fit) continue;
    ReplayTotals t = P.run(n, in.params);
    points << "\"" << n << "\" " << t.awake_fraction() << " " << t.misses_per_100() << "\n";
  }
  meta["tradeoff"] = {{"fixed_timeout", jf}, {"learned", jl}};
  if (!write_file(P.dir / "tradeoff_fixed.dat", fixed.str(), err) ||
      !write_file(P.dir / "tradeoff_learned.dat", learned.str(), err) ||
      !write_file(P.dir / "tradeoff_points.dat", points.str(), err))
    return false;
  std::ostringstream gp;
  gp << "set terminal " << P.term << " size 900,650\n"
     << "set output " << P.path("tradeoff.png") << "\n"
     << "set title 'Awake time vs misses (" << in.params.cost.to_string() << ")'\n"
     << "set xlabel 'awake fraction'\nset ylabel 'misses per 100 interactions'\n"
     << "set key top right\nset grid\nset xrange [0:1.05]\nset yrange [0:*]\n"
     << "plot " << P.path("tradeoff_fixed.dat")
     << " using 2:3 with linespoints lw 2 pt 7 title 'fixed timeout (tau sweep)', \\\n"
     << "     '' using 2:3:(sprintf('%gs',$1)) with labels offset 1.5,0.6 font ',8' notitle";
  if (P.have_forecaster())
    gp << ", \\\n     " << P.path("tradeoff_learned.dat")
       << " using 2:3 with linespoints lw 2 pt 5 title 'learned (miss-weight sweep)'";
  gp << ", \\\n     " << P.path("tradeoff_points.dat")
     << " using 2:3 with points pt 9 ps 2 title 'seed-genre / oracle / always-on', \\\n"
     << "     '' using 2:3:1 with labels offset 0,-1.2 notitle\n";
  return P.write_and_plot("tradeoff", gp.str(), err);
}

// (b) Cost ratio to the oracle per policy as the break-even w/h varies.
bool plot_breakeven(const Plotter &P, nlohmann::json &meta, std::string &err) {
  const CostModel cost = P.in.params.cost;
  std::vector<std::string> bnames;
  for (const char *n : {"always-on", "fixed-timeout", "seed-genre", "learned"})
    if (P.usable(n)) bnames.push_back(n);
  std::ostringstream be;
  be << "# w_over_h";
  for (const auto &n : bnames) be << " " << n;
  be << "\n";
  nlohmann::json jb = nlohmann::json::array();
  const double h = cost.h > 0 ? cost.h : 1.0;
  for (double wh : {2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0}) {
    PolicyParams pp = P.in.params;
    pp.cost = CostModel{h, wh * h, cost.m};
    pp.timeout_ms = -1; // tau = w/h at each point
    double oc = P.run("oracle", pp).cost;
    be << wh;
    nlohmann::json row{{"w_over_h", wh}};
    for (const auto &n : bnames) {
      double r = ratio(P.run(n, pp).cost, oc);
      be << " " << r;
      row[n] = r;
    }
    be << "\n";
    jb.push_back(row);
  }
  meta["breakeven"] = jb;
  if (!write_file(P.dir / "breakeven.dat", be.str(), err)) return false;
  std::ostringstream gp;
  gp << "set terminal " << P.term << " size 900,650\n"
     << "set output " << P.path("breakeven.png") << "\n"
     << "set title 'Cost ratio to the oracle vs break-even w/h (h=" << h << ", m=" << cost.m << ")'\n"
     << "set xlabel 'w/h (s)'\nset ylabel 'cost / oracle cost'\nset logscale x\nset grid\nset key top left\n"
     << "set yrange [1:*]\nplot ";
  for (size_t i = 0; i < bnames.size(); ++i)
    gp << (i ? ", \\\n     " : "") << P.path("breakeven.dat") << " using 1:" << i + 2
       << " with linespoints lw 2 title '" << bnames[i] << "'";
  gp << ", 1 with lines dt 2 lc rgb 'black' title 'oracle'\n";
  return P.write_and_plot("breakeven", gp.str(), err);
}

// Up to three test sessions with 5 to 30 interactions over 5 to 90 minutes
// (else the first test session).
std::vector<const TraceSession *> timeline_sessions(const std::vector<const TraceSession *> &test) {
  std::vector<const TraceSession *> chosen;
  for (const TraceSession *s : test) {
    int64_t a = 0, b = 0;
    session_span(*s, a, b);
    int n = 0;
    for (const auto &e : s->events) n += is_viewer_action(e.kind) ? 1 : 0;
    if (n >= 5 && n <= 30 && b - a >= 5 * 60000 && b - a <= 90 * 60000) chosen.push_back(s);
    if (chosen.size() == 3) break;
  }
  if (chosen.empty() && !test.empty()) chosen.push_back(test.front());
  return chosen;
}

// (c) A few test sessions: interactions, awake/asleep per policy.
bool plot_timelines(const Plotter &P, nlohmann::json &meta, std::string &err) {
  const std::vector<const TraceSession *> chosen = timeline_sessions(P.in.split.test);
  std::vector<std::string> tnames;
  for (const auto &n : policy_names())
    if (P.usable(n)) tnames.push_back(n);
  std::ostringstream gp;
  gp << "set terminal " << P.term << " size 1000," << 260 * std::max<size_t>(1, chosen.size()) << "\n"
     << "set output " << P.path("timelines.png") << "\n"
     << "set multiplot layout " << std::max<size_t>(1, chosen.size()) << ",1\n"
     << "set xlabel 'minutes since the session opened'\nset yrange [0.3:" << tnames.size() + 0.7 << "]\n"
     << "set ytics (";
  for (size_t i = 0; i < tnames.size(); ++i) gp << (i ? ", " : "") << "'" << tnames[i] << "' " << i + 1;
  gp << ")\nset grid x\nunset key\n";
  nlohmann::json jt = nlohmann::json::array();
  for (size_t ci = 0; ci < chosen.size(); ++ci) {
    const TraceSession &s = *chosen[ci];
    int64_t a = 0, b = 0;
    session_span(s, a, b);
    std::ostringstream iv, acts;
    for (size_t pi = 0; pi < tnames.size(); ++pi) {
      std::string e;
      auto p = make_policy(tnames[pi], P.in.params, P.inputs(&s), e);
      if (!p) continue;
      SessionReplay r = replay_session(s, *p, P.in.params.cost, true);
      for (const auto &x : r.timeline)
        iv << static_cast<double>(x.start_ms - a) / 60000.0 << " " << pi + 1 << " "
           << static_cast<double>(x.end_ms - x.start_ms) / 60000.0 << " " << (x.awake ? 1 : 0) << "\n";
      for (size_t k = 0; k < r.action_wall_ms.size(); ++k)
        acts << static_cast<double>(r.action_wall_ms[k] - a) / 60000.0 << " " << pi + 1 << " "
             << (r.action_missed[k] ? 1 : 0) << "\n";
    }
    std::string ivf = "timeline_" + std::to_string(ci + 1) + ".dat", acf = "timeline_" + std::to_string(ci + 1) + "_actions.dat";
    if (!write_file(P.dir / ivf, iv.str(), err) || !write_file(P.dir / acf, acts.str(), err)) return false;
    jt.push_back({{"session", s.session_id}, {"genre", s.genre}, {"data", ivf}});
    gp << "set title 'session " << s.session_id << " (" << s.genre
       << "): thick awake, thin asleep, | action served, x miss' noenhanced\n"
       << "plot " << P.path(ivf)
       << " using 1:($4 > 0 ? $2 : 1/0):3:(0) with vectors nohead lw 9 lc rgb '#2a9d3a', \\\n"
       << "     '' using 1:($4 > 0 ? 1/0 : $2):3:(0) with vectors nohead lw 2 lc rgb '#999999', \\\n"
       << "     " << P.path(acf) << " using 1:($3 > 0 ? 1/0 : $2) with points pt '|' ps 2 lc rgb 'black', \\\n"
       << "     '' using 1:($3 > 0 ? $2 : 1/0) with points pt 2 ps 2 lw 2 lc rgb 'red'\n";
  }
  gp << "unset multiplot\n";
  meta["timelines"] = jt;
  return P.write_and_plot("timelines", gp.str(), err);
}

} // namespace

bool make_plots(const std::string &dir_s, const PlotInputs &in, const Progress &progress, nlohmann::json &meta,
                std::string &err) {
  fs::path dir(dir_s);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    err = "cannot create " + dir_s + ": " + ec.message();
    return false;
  }
  const Plotter P{fs::absolute(dir), in, subsample(in.split.test, 2000)};
  meta = nlohmann::json::object();
  meta["sessions_in_sweeps"] = P.sample.size();
  progress("plot: trade-off sweep (" + std::to_string(P.sample.size()) + " sessions)");
  if (!plot_tradeoff(P, meta, err)) return false;
  progress("plot: break-even sweep");
  if (!plot_breakeven(P, meta, err)) return false;
  progress("plot: session timelines");
  if (!plot_timelines(P, meta, err)) return false;
  meta["files"] = {"tradeoff.png", "breakeven.png", "timelines.png"};
  return true;
}

} // namespace sp_eval
