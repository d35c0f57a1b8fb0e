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
  dir = fs::absolute(dir);
  const auto sample = subsample(in.split.test, 2000);
  const CostModel cost = in.params.cost;
  const bool have = [&] {
    return in.trained.forecaster != nullptr;
  }();
  auto has = [&](const std::string &n) { return std::find(in.policies.begin(), in.policies.end(), n) != in.policies.end(); };
  auto run = [&](const std::string &name, const PolicyParams &pp, const std::vector<const TraceSession *> &ss) {
    PolicyInputs pin;
    pin.seed_fit = in.trained.seed_fit;
    pin.forecaster = in.trained.forecaster.get();
    pin.reference = in.trained.reference.get();
    std::string e;
    PolicyMaker mk = [&](const TraceSession &full) {
      PolicyInputs each = pin;
      each.full_session = &full;
      return make_policy(name, pp, each, e);
    };
    return replay_all(ss, mk, pp.cost);
  };
  meta = nlohmann::json::object();
  meta["sessions_in_sweeps"] = sample.size();
  const std::string term = terminal();

  // (a) trade-off ------------------------------------------------------------
  progress("plot: trade-off sweep (" + std::to_string(sample.size()) + " sessions)");
  double oracle_cost = run("oracle", in.params, sample).cost;
  std::ostringstream fixed, learned, points;
  fixed << "# tau_s awake_fraction misses_per_100 cost_ratio\n";
  nlohmann::json jf = nlohmann::json::array(), jl = nlohmann::json::array();
  for (double tau : {1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0, 600.0}) {
    PolicyParams pp = in.params;
    pp.timeout_ms = static_cast<int64_t>(tau * 1000);
    ReplayTotals t = run("fixed-timeout", pp, sample);
    fixed << tau << " " << t.awake_fraction() << " " << t.misses_per_100() << " " << ratio(t.cost, oracle_cost) << "\n";
    jf.push_back({{"tau_s", tau}, {"awake_fraction", t.awake_fraction()}, {"misses_per_100", t.misses_per_100()},
                  {"cost_ratio_to_oracle", ratio(t.cost, oracle_cost)}});
  }
  learned << "# miss_scale awake_fraction misses_per_100 cost_ratio\n";
  if (have) {
    for (double s : {0.03, 0.1, 0.3, 0.6, 1.0, 2.0, 4.0, 10.0, 30.0}) {
      PolicyParams pp = in.params;
      pp.learned.miss_scale = s;
      ReplayTotals t = run("learned", pp, sample);
      learned << s << " " << t.awake_fraction() << " " << t.misses_per_100() << " " << ratio(t.cost, oracle_cost) << "\n";
      jl.push_back({{"miss_scale", s}, {"awake_fraction", t.awake_fraction()}, {"misses_per_100", t.misses_per_100()},
                    {"cost_ratio_to_oracle", ratio(t.cost, oracle_cost)}});
    }
  }
  points << "# name awake_fraction misses_per_100\n";
  for (const char *n : {"always-on", "seed-genre", "oracle"}) {
    if (std::string(n) == "seed-genre" && !in.trained.seed_fit) continue;
    ReplayTotals t = run(n, in.params, sample);
    points << "\"" << n << "\" " << t.awake_fraction() << " " << t.misses_per_100() << "\n";
  }
  meta["tradeoff"] = {{"fixed_timeout", jf}, {"learned", jl}};
  if (!write_file(dir / "tradeoff_fixed.dat", fixed.str(), err) ||
      !write_file(dir / "tradeoff_learned.dat", learned.str(), err) ||
      !write_file(dir / "tradeoff_points.dat", points.str(), err))
    return false;
  {
    std::ostringstream gp;
    gp << "set terminal " << term << " size 900,650\n"
       << "set output " << quote((dir / "tradeoff.png").string()) << "\n"
       << "set title 'Awake time vs misses (" << cost.to_string() << ")'\n"
       << "set xlabel 'awake fraction'\nset ylabel 'misses per 100 interactions'\n"
       << "set key top right\nset grid\nset xrange [0:1.05]\nset yrange [0:*]\n"
       << "plot " << quote((dir / "tradeoff_fixed.dat").string())
       << " using 2:3 with linespoints lw 2 pt 7 title 'fixed timeout (tau sweep)', \\\n"
       << "     '' using 2:3:(sprintf('%gs',$1)) with labels offset 1.5,0.6 font ',8' notitle";
    if (have)
      gp << ", \\\n     " << quote((dir / "tradeoff_learned.dat").string())
         << " using 2:3 with linespoints lw 2 pt 5 title 'learned (miss-weight sweep)'";
    gp << ", \\\n     " << quote((dir / "tradeoff_points.dat").string())
       << " using 2:3 with points pt 9 ps 2 title 'seed-genre / oracle / always-on', \\\n"
       << "     '' using 2:3:1 with labels offset 0,-1.2 notitle\n";
    if (!write_file(dir / "tradeoff.gp", gp.str(), err) || !run_gnuplot(dir / "tradeoff.gp", dir / "tradeoff.png", err))
      return false;
  }

  // (b) break-even sweep ---------------------------------------------------------
  progress("plot: break-even sweep");
  std::vector<std::string> bnames;
  for (const char *n : {"always-on", "fixed-timeout", "seed-genre", "learned"})
    if (has(n) && (std::string(n) != "learned" || have) && (std::string(n) != "seed-genre" || in.trained.seed_fit))
      bnames.push_back(n);
  std::ostringstream be;
  be << "# w_over_h";
  for (const auto &n : bnames) be << " " << n;
  be << "\n";
  nlohmann::json jb = nlohmann::json::array();
  const double h = cost.h > 0 ? cost.h : 1.0;
  for (double wh : {2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0}) {
    PolicyParams pp = in.params;
    pp.cost = CostModel{h, wh * h, cost.m};
    pp.timeout_ms = -1;  // tau = w/h at each point
    double oc = run("oracle", pp, sample).cost;
    be << wh;
    nlohmann::json row{{"w_over_h", wh}};
    for (const auto &n : bnames) {
      double r = ratio(run(n, pp, sample).cost, oc);
      be << " " << r;
      row[n] = r;
    }
    be << "\n";
    jb.push_back(row);
  }
  meta["breakeven"] = jb;
  if (!write_file(dir / "breakeven.dat", be.str(), err)) return false;
  {
    std::ostringstream gp;
    gp << "set terminal " << term << " size 900,650\n"
       << "set output " << quote((dir / "breakeven.png").string()) << "\n"
       << "set title 'Cost ratio to the oracle vs break-even w/h (h=" << h << ", m=" << cost.m << ")'\n"
       << "set xlabel 'w/h (s)'\nset ylabel 'cost / oracle cost'\nset logscale x\nset grid\nset key top left\n"
       << "set yrange [1:*]\nplot ";
    for (size_t i = 0; i < bnames.size(); ++i)
      gp << (i ? ", \\\n     " : "") << quote((dir / "breakeven.dat").string()) << " using 1:" << i + 2
         << " with linespoints lw 2 title '" << bnames[i] << "'";
    gp << ", 1 with lines dt 2 lc rgb 'black' title 'oracle'\n";
    if (!write_file(dir / "breakeven.gp", gp.str(), err) ||
        !run_gnuplot(dir / "breakeven.gp", dir / "breakeven.png", err))
      return false;
  }

  // (c) timelines ------------------------------------------------------------
  progress("plot: session timelines");
  std::vector<const TraceSession *> chosen;
  for (const TraceSession *s : in.split.test) {
    int64_t a = 0, b = 0;
    session_span(*s, a, b);
    int n = 0;
    for (const auto &e : s->events) n += is_viewer_action(e.kind) ? 1 : 0;
    if (n >= 5 && n <= 30 && b - a >= 5 * 60000 && b - a <= 90 * 60000) chosen.push_back(s);
    if (chosen.size() == 3) break;
  }
  if (chosen.empty() && !in.split.test.empty()) chosen.push_back(in.split.test.front());
  std::vector<std::string> tnames;
  for (const auto &n : policy_names())
    if (has(n) && (n != "learned" || have) && (n != "seed-genre" || in.trained.seed_fit)) tnames.push_back(n);
  std::ostringstream gp;
  gp << "set terminal " << term << " size 1000," << 260 * std::max<size_t>(1, chosen.size()) << "\n"
     << "set output " << quote((dir / "timelines.png").string()) << "\n"
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
      PolicyInputs pin;
      pin.seed_fit = in.trained.seed_fit;
      pin.forecaster = in.trained.forecaster.get();
      pin.reference = in.trained.reference.get();
      pin.full_session = &s;
      std::string e;
      auto p = make_policy(tnames[pi], in.params, pin, e);
      if (!p) continue;
      SessionReplay r = replay_session(s, *p, in.params.cost, true);
      for (const auto &x : r.timeline)
        iv << static_cast<double>(x.start_ms - a) / 60000.0 << " " << pi + 1 << " "
           << static_cast<double>(x.end_ms - x.start_ms) / 60000.0 << " " << (x.awake ? 1 : 0) << "\n";
      for (size_t k = 0; k < r.action_wall_ms.size(); ++k)
        acts << static_cast<double>(r.action_wall_ms[k] - a) / 60000.0 << " " << pi + 1 << " "
             << (r.action_missed[k] ? 1 : 0) << "\n";
    }
    std::string ivf = "timeline_" + std::to_string(ci + 1) + ".dat", acf = "timeline_" + std::to_string(ci + 1) + "_actions.dat";
    if (!write_file(dir / ivf, iv.str(), err) || !write_file(dir / acf, acts.str(), err)) return false;
    jt.push_back({{"session", s.session_id}, {"genre", s.genre}, {"data", ivf}});
    gp << "set title 'session " << s.session_id << " (" << s.genre
       << "): thick awake, thin asleep, | action served, x miss' noenhanced\n"
       << "plot " << quote((dir / ivf).string())
       << " using 1:($4 > 0 ? $2 : 1/0):3:(0) with vectors nohead lw 9 lc rgb '#2a9d3a', \\\n"
       << "     '' using 1:($4 > 0 ? 1/0 : $2):3:(0) with vectors nohead lw 2 lc rgb '#999999', \\\n"
       << "     " << quote((dir / acf).string()) << " using 1:($3 > 0 ? 1/0 : $2) with points pt '|' ps 2 lc rgb 'black', \\\n"
       << "     '' using 1:($3 > 0 ? $2 : 1/0) with points pt 2 ps 2 lw 2 lc rgb 'red'\n";
  }
  gp << "unset multiplot\n";
  meta["timelines"] = jt;
  if (!write_file(dir / "timelines.gp", gp.str(), err) ||
      !run_gnuplot(dir / "timelines.gp", dir / "timelines.png", err))
    return false;
  meta["files"] = {"tradeoff.png", "breakeven.png", "timelines.png"};
  return true;
}

} // namespace sp_eval
