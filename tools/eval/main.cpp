// smartplayer-eval: replay traces under the sleep policies and report their
// figures under one cost model (docs/model.md).
//
//   smartplayer-eval --traces FILE --json OUT [--policies a,b,...] [--cost h,w,m]
//                    [--split time|viewer|both] [--plots DIR] [--timeout S]
//                    [--miss-scale X] [--forecaster hazard|empirical] [--truth FILE] [--quiet]
//
// Exit status: 0 ok, 1 input/training/output error, 2 bad usage.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "forecasters.h"
#include "plots.h"
#include "policy/evaluate.h"
#include "policy/factory.h"
#include "policy/policies.h"
#include "policy/replay.h"
#include "sim/bayes.h"
#include "trace/trace.h"

using namespace sp;
using namespace sp_eval;
using nlohmann::json;

namespace {

const char *kUsage =
    "usage: smartplayer-eval --traces FILE --json OUT [options]\n"
    "  --traces FILE          trace file (JSON Lines, docs/traces.md)\n"
    "  --json OUT             write the figures as JSON\n"
    "  --policies LIST        comma-separated (default always-on,fixed-timeout,seed-genre,learned,oracle)\n"
    "  --cost h,w,m           cost per awake second (> 0), per wake, per miss (>= 0; plain decimal\n"
    "                         numbers; default ";

struct Args {
  std::string traces, json_out, plots_dir, split = "both", forecaster = default_forecaster_kind(), truth,
                                           transitions, actions_out;
  std::vector<std::string> policies = policy_names();
  bool policies_given = false;
  bool online = true;
  CostModel cost = CostModel::defaults();
  int64_t timeout_ms = -1;
  double miss_scale = 1.0;
  bool quiet = false;
};

void usage(std::ostream &o) {
  o << kUsage << CostModel::defaults().to_string() << ")\n"
    << "  --split time|viewer|both  evaluation split (default both; the top-level figures are the first "
       "split's that ran).\n"
    << "                          With both, a split that cannot run (no test or training sessions, e.g.\n"
    << "                          the viewer split of one viewer's log) is skipped with the reason\n"
    << "                          (JSON skipped_splits); exit 1 only when no split ran\n"
    << "  --plots DIR             write trade-off, break-even and timeline plots (gnuplot PNG) into DIR\n"
    << "  --timeout S             fixed-timeout tau in seconds (default w/h)\n"
    << "  --miss-scale X          learned policy's miss weight in planning (default 1)\n"
    << "  --forecaster KIND       learned policy's model: " << forecaster_kinds() << " (default "
    << default_forecaster_kind() << ")\n"
    << "  --truth FILE            the simulator's truth file (smartplayer-sim --truth): adds the bayes "
       "policy\n"
    << "  --transitions FILE      the videos' visual transitions (JSON Lines, docs/traces.md) for the hazard "
       "model\n"
    << "  --no-online             learned: the decision rule on the forecast alone (no online learning)\n"
    << "  --actions FILE          write every test action and whether each policy missed it (CSV: split,\n"
    << "                          policy, session, viewer, video, action, kind, wall_ms, pos_ms, missed)\n"
    << "  --quiet                 no progress on stderr\n";
}

// A plain decimal number (no hex, inf or nan), as the cost model's.
bool parse_double(const std::string &s, double &out) {
  double x = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), x, std::chars_format::general);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(x)) return false;
  out = x;
  return true;
}

// 0 ok, 2 usage error (message printed), 3 help printed.
int parse_args(int argc, char **argv, Args &a) {
  auto need = [&](int &i, const char *opt, std::string &v) {
    if (i + 1 >= argc) {
      std::cerr << "smartplayer-eval: " << opt << " needs a value\n";
      return false;
    }
    v = argv[++i];
    return true;
  };
  for (int i = 1; i < argc; ++i) {
    std::string o = argv[i], v;
    if (o == "--help" || o == "-h") {
      usage(std::cout);
      return 3;
    }
    if (o == "--quiet") {
      a.quiet = true;
      continue;
    }
    if (o == "--no-online") {
      a.online = false;
      continue;
    }
    if (o != "--traces" && o != "--json" && o != "--plots" && o != "--split" && o != "--policies" &&
        o != "--cost" && o != "--timeout" && o != "--miss-scale" && o != "--forecaster" && o != "--truth" &&
        o != "--transitions" && o != "--actions") {
      std::cerr << "smartplayer-eval: unknown option " << o << "\n";
      usage(std::cerr);
      return 2;
    }
    if (!need(i, o.c_str(), v)) return 2;
    if (o == "--traces")
      a.traces = v;
    else if (o == "--json")
      a.json_out = v;
    else if (o == "--plots")
      a.plots_dir = v;
    else if (o == "--actions")
      a.actions_out = v;
    else if (o == "--truth")
      a.truth = v;
    else if (o == "--transitions")
      a.transitions = v;
    else if (o == "--forecaster") {
      a.forecaster = v;
      if (!is_forecaster_kind(v)) {
        std::cerr << "smartplayer-eval: --forecaster: expected one of " << forecaster_kinds() << ", got \""
                  << v << "\"\n";
        return 2;
      }
    } else if (o == "--split") {
      if (v != "time" && v != "viewer" && v != "both") {
        std::cerr << "smartplayer-eval: --split: expected time, viewer or both, got \"" << v << "\"\n";
        return 2;
      }
      a.split = v;
    } else if (o == "--policies") {
      a.policies.clear();
      a.policies_given = true;
      std::stringstream ss(v);
      std::string n;
      while (std::getline(ss, n, ',')) {
        const auto &all = policy_names();
        if (std::find(all.begin(), all.end(), n) == all.end()) {
          std::cerr << "smartplayer-eval: --policies: unknown policy \"" << n << "\" ("
                    << list_names(policy_names()) << ")\n";
          return 2;
        }
        if (std::find(a.policies.begin(), a.policies.end(), n) == a.policies.end()) a.policies.push_back(n);
      }
      if (a.policies.empty()) {
        std::cerr << "smartplayer-eval: --policies: empty list\n";
        return 2;
      }
    } else if (o == "--cost") {
      if (std::string why; !CostModel::parse(v, a.cost, &why)) {
        std::cerr << "smartplayer-eval: --cost: " << why
                  << "; expected \"h,w,m\": plain decimal numbers, h > 0, w and m >= 0, got \"" << v
                  << "\"\n";
        return 2;
      }
    } else if (o == "--timeout") {
      double s = 0;
      if (!parse_double(v, s) || s < 0) {
        std::cerr << "smartplayer-eval: --timeout: expected seconds >= 0, got \"" << v << "\"\n";
        return 2;
      }
      a.timeout_ms = static_cast<int64_t>(s * 1000.0);
    } else if (o == "--miss-scale") {
      if (!parse_double(v, a.miss_scale) || a.miss_scale < 0) {
        std::cerr << "smartplayer-eval: --miss-scale: expected a number >= 0, got \"" << v << "\"\n";
        return 2;
      }
    }
  }
  if (!a.policies_given) {
    // bayes only with the simulator's truth.
    if (a.truth.empty()) a.policies.erase(std::find(a.policies.begin(), a.policies.end(), "bayes"));
  } else if (a.truth.empty() &&
             std::find(a.policies.begin(), a.policies.end(), "bayes") != a.policies.end()) {
    std::cerr << "smartplayer-eval: --policies bayes needs --truth FILE (smartplayer-sim --truth)\n";
    return 2;
  }
  if (a.traces.empty() || a.json_out.empty()) {
    std::cerr << "smartplayer-eval: --traces and --json are required\n";
    usage(std::cerr);
    return 2;
  }
  return 0;
}

// Share of the train sessions the learned policy's online learner is warmed on
// (with a forecaster trained without them).
constexpr double kWarmFraction = 0.25;

json learner_json(const PolicyFigures &f, const PolicyParams &params) {
  const LearnerSummary &l = f.learner;
  const std::vector<Expert> experts =
      params.learner.experts.empty() ? default_experts() : params.learner.experts;
  json costs = json::object(), weights = json::object();
  for (size_t i = 0; i < experts.size() && i < l.expert_cost.size(); ++i) {
    costs[experts[i].name()] = l.expert_cost[i];
    weights[experts[i].name()] = l.global_weights[i];
  }
  return json{{"warm_sessions", f.warm_sessions},
              {"gaps", l.gaps},
              {"viewers", l.viewers},
              {"played_expected_cost", l.played_cost},
              {"best_expert", l.best_expert < experts.size() ? experts[l.best_expert].name() : ""},
              {"best_expert_cost", l.expert_cost.empty() ? 0.0 : l.expert_cost[l.best_expert]},
              {"global_regret_bound", l.global_regret_bound},
              {"meta_regret_bound", l.meta_regret_bound},
              {"meta_viewer_weight", l.meta_viewer_weight},
              {"expert_cost", costs},
              {"global_weights", weights}};
}

json figures_json(const PolicyFigures &f) {
  const ReplayTotals &t = f.totals;
  return json{{"awake_fraction", t.awake_fraction()},
              {"misses_per_100", t.misses_per_100()},
              {"wakes_per_hour", t.wakes_per_hour()},
              {"cost", t.cost},
              {"cost_ratio_to_oracle", f.cost_ratio_to_oracle},
              {"sessions", t.sessions},
              {"interactions", t.interactions},
              {"awake_s", t.awake_s},
              {"asleep_s", t.asleep_s},
              {"wakes", t.wakes},
              {"proactive_wakes", t.proactive_wakes},
              {"misses", t.misses}};
}

void print_table(const std::string &split, const Split &sp, const std::vector<std::string> &names,
                 const std::map<std::string, PolicyFigures> &figs, const CostModel &c) {
  std::printf("split %s: train %zu sessions, test %zu sessions; cost %s\n", split.c_str(), sp.train.size(),
              sp.test.size(), c.to_string().c_str());
  std::printf("  %-14s %8s %11s %9s %14s %8s\n", "policy", "awake%", "misses/100", "wakes/h", "cost",
              "ratio");
  for (const auto &n : names) {
    const PolicyFigures &f = figs.at(n);
    std::printf("  %-14s %8.2f %11.2f %9.2f %14.1f %8.3f\n", n.c_str(), 100.0 * f.totals.awake_fraction(),
                f.totals.misses_per_100(), f.totals.wakes_per_hour(), f.totals.cost, f.cost_ratio_to_oracle);
  }
  std::fflush(stdout);
}

// A CSV field: quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string &v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

// Why split `name` has no training or no test sessions, in words.
std::string split_shortfall(const std::string &name, const Split &sp,
                            const std::vector<TraceSession> &sessions) {
  std::string why = std::string(sp.train.empty() ? "no training" : "no test") + " sessions (" +
                    std::to_string(sessions.size()) + " sessions in all";
  if (name == "viewer") {
    std::set<std::string> viewers;
    for (const auto &s : sessions)
      viewers.insert(s.viewer);
    why += ", " + std::to_string(viewers.size()) + (viewers.size() == 1 ? " viewer" : " viewers") +
           ": the viewer split puts each viewer's sessions on one side by a hash of the name, and " +
           (viewers.size() == 1 ? "it" : "all") + " fell on the " + (sp.test.empty() ? "training" : "test") +
           " side";
  } else {
    why += ": the time split tests on the latest 30 % by start time and trains on the earlier ones, so "
           "it needs sessions that start at different times";
  }
  return why + ")";
}

} // namespace

int main(int argc, char **argv) {
  Args a;
  int pr = parse_args(argc, argv, a);
  if (pr == 3) return 0;
  if (pr != 0) return 2;
  auto progress = [&](const std::string &msg) {
    if (!a.quiet) std::cerr << "[eval] " << msg << std::endl;
  };

  if (std::string err; !check_tool_files({{"--traces", a.traces, false},
                                          {"--truth", a.truth, false},
                                          {"--transitions", a.transitions, false},
                                          {"--json", a.json_out, true},
                                          {"--actions", a.actions_out, true}},
                                         err)) {
    std::cerr << "smartplayer-eval: " << err << "\n";
    return 2;
  }
  // The outputs are written whole or not at all (an interrupted run keeps
  // what they held), and a folder that does not exist is found now, not
  // after the replay.
  FileReplace json_file, actions_file;
  if (std::string err; !json_file.open(a.json_out, err) ||
                       (!a.actions_out.empty() && !actions_file.open(a.actions_out, err))) {
    std::cerr << "smartplayer-eval: " << err << "\n";
    return 1;
  }

  progress("reading " + a.traces);
  TraceReadResult rr = read_trace_file(a.traces, OnMalformed::Skip);
  report_trace_errors(std::cerr, "smartplayer-eval", a.traces, rr);
  if (!rr.ok) return 1;
  if (rr.sessions.empty()) {
    std::cerr << "smartplayer-eval: " << a.traces << ": no sessions to evaluate\n";
    return 1;
  }
  const std::vector<TraceSession> &sessions = rr.sessions;
  progress(std::to_string(sessions.size()) + " sessions");

  std::shared_ptr<const Forecaster> reference;
  if (!a.truth.empty()) {
    auto truth = std::make_shared<sim::Truth>();
    std::string terr;
    if (!sim::read_truth_file(a.truth, *truth, terr)) {
      std::cerr << "smartplayer-eval: --truth: " << terr << "\n";
      return 1;
    }
    for (const auto &s : sessions)
      if (!truth->find_viewer(s.viewer) || !truth->find_video(s.video)) {
        std::cerr << "smartplayer-eval: --truth " << a.truth << " does not describe session " << s.session_id
                  << " (viewer " << s.viewer << ", video " << s.video << "): not the same simulation\n";
        return 1;
      }
    reference = std::make_shared<sim::BayesForecaster>(truth);
    progress("reference: " + reference->describe());
  }

  std::vector<std::string> split_names;
  if (a.split == "time" || a.split == "both") split_names.push_back("time");
  if (a.split == "viewer" || a.split == "both") split_names.push_back("viewer");

  const bool need_seed = std::find(a.policies.begin(), a.policies.end(), "seed-genre") != a.policies.end();
  const bool need_learned = std::find(a.policies.begin(), a.policies.end(), "learned") != a.policies.end();
  std::shared_ptr<VideoTransitions> transitions;
  if (!a.transitions.empty()) {
    transitions = std::make_shared<VideoTransitions>();
    std::string terr;
    if (!read_transitions_file(a.transitions, *transitions, terr)) {
      std::cerr << "smartplayer-eval: --transitions: " << terr << "\n";
      return 1;
    }
    progress("transitions of " + std::to_string(transitions->size()) + " videos");
  }
  ForecasterTrainer trainer =
      need_learned ? make_forecaster_trainer(a.forecaster, progress, transitions) : ForecasterTrainer{};

  PolicyParams params;
  params.cost = a.cost;
  params.timeout_ms = a.timeout_ms;
  params.learned.miss_scale = a.miss_scale;
  params.learn_online = a.online;

  json out;
  out["cost_model"] = {{"h", a.cost.h}, {"w", a.cost.w}, {"m", a.cost.m}};
  out["split"] = a.split;
  out["traces"] = a.traces;
  out["sessions"] = sessions.size();
  out["fixed_timeout_s"] =
      static_cast<double>(a.timeout_ms >= 0 ? a.timeout_ms : FixedTimeoutPolicy::default_tau_ms(a.cost)) /
      1000.0;
  out["learned_miss_scale"] = a.miss_scale;
  out["learned_online"] = a.online;
  out["seed_genre_lambda"] = SeedGenreFit::kDefaultLambda;
  std::ostream *actions = a.actions_out.empty() ? nullptr : &actions_file.stream();
  if (actions) *actions << "split,policy,session,viewer,video,action,kind,wall_ms,pos_ms,missed\n";
  json splits = json::object(), sizes = json::object(), models = json::object(), best_fixed = json::object(),
       windows = json::object(), learners = json::object(), skipped = json::object();

  for (const std::string &sn : split_names) {
    Split sp = sn == "time" ? split_by_time(sessions) : split_by_viewer(sessions);
    if (sp.train.empty() || sp.test.empty()) {
      const std::string why = split_shortfall(sn, sp, sessions);
      if (split_names.size() == 1) {
        std::cerr << "smartplayer-eval: split " << sn << ": " << why << "\n";
        return 1;
      }
      // --split both: the other split's figures stand on their own.
      std::printf("split %s: skipped (%s)\n", sn.c_str(), why.c_str());
      std::fflush(stdout);
      skipped[sn] = why;
      continue;
    }
    progress("split " + sn + ": training on " + std::to_string(sp.train.size()) + " sessions");
    TrainedForSplit trained;
    std::string err;
    if (!train_for_split(sp, need_seed, SeedGenreFit::kDefaultLambda, trainer, trained, err,
                         need_learned && a.online ? kWarmFraction : 0.0)) {
      std::cerr << "smartplayer-eval: split " << sn << ": training failed: " << err << "\n";
      return 1;
    }
    trained.reference = reference;
    if (trained.forecaster) models[sn] = trained.forecaster->describe();
    if (trained.seed_fit) {
      json w = json::object();
      for (const auto &[genre, g] : trained.seed_fit->genres())
        w[genre] = g.awake_set();
      windows[sn] = w;
    }
    progress("split " + sn + ": replaying " + std::to_string(sp.test.size()) + " test sessions under " +
             std::to_string(a.policies.size()) + " policies");
    std::map<std::string, PolicyFigures> figs;
    // --actions: one row per test action per named policy (caught or missed).
    PolicySessionObserver observe;
    if (actions) {
      observe = [&](const std::string &policy, const TraceSession &full, const SessionReplay &r) {
        if (std::find(a.policies.begin(), a.policies.end(), policy) == a.policies.end()) return;
        size_t k = 0;
        for (const Interaction &e : full.events) {
          if (!is_viewer_action(e.kind)) continue; // the replay counts them in order
          if (k >= r.action_wall_ms.size()) break;
          *actions << sn << ',' << policy << ',' << csv_field(full.session_id) << ','
                   << csv_field(full.viewer) << ',' << csv_field(full.video) << ',' << k << ','
                   << kind_name(e.kind) << ',' << r.action_wall_ms[k] << ',' << e.position_ms << ','
                   << (r.action_missed[k] ? 1 : 0) << '\n';
          ++k;
        }
      };
    }
    if (!evaluate_sessions(sp.test, a.policies, params, trained, figs, err, observe)) {
      std::cerr << "smartplayer-eval: split " << sn << ": " << err << "\n";
      return 1;
    }
    print_table(sn, sp, a.policies, figs, a.cost);
    {
      // The best fixed timeout in hindsight on this test set (a stronger baseline than tau = w/h).
      json sweep = json::array();
      double best_ratio = -1, best_tau = 0;
      double oc = figs.count("oracle") ? figs["oracle"].totals.cost : 0.0;
      if (oc <= 0) {
        oc = replay_all(
                 sp.test,
                 [&](const TraceSession &full) {
                   PolicyInputs each;
                   each.full_session = &full;
                   std::string e;
                   return make_policy("oracle", params, each, e);
                 },
                 a.cost)
                 .cost;
      }
      for (double tau :
           {1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0, 600.0, 1200.0}) {
        ReplayTotals t = replay_all(
            sp.test,
            [&](const TraceSession &) -> std::unique_ptr<Policy> {
              return std::make_unique<FixedTimeoutPolicy>(static_cast<int64_t>(tau * 1000));
            },
            a.cost);
        double r = oc > 0 ? t.cost / oc : 1.0;
        sweep.push_back({{"tau_s", tau}, {"cost_ratio_to_oracle", r}});
        if (best_ratio < 0 || r < best_ratio) {
          best_ratio = r;
          best_tau = tau;
        }
      }
      best_fixed[sn] = {{"tau_s", best_tau}, {"cost_ratio_to_oracle", best_ratio}, {"sweep", sweep}};
      std::printf("  best fixed timeout in hindsight: tau %g s, ratio %.3f\n", best_tau, best_ratio);
      std::fflush(stdout);
    }
    json pj = json::object();
    for (const auto &n : a.policies)
      pj[n] = figures_json(figs.at(n));
    splits[sn] = pj;
    sizes[sn] = {{"train", sp.train.size()}, {"test", sp.test.size()}};
    if (!out.contains("policies")) out["policies"] = pj;
    if (figs.count("learned") && figs["learned"].has_learner)
      learners[sn] = learner_json(figs["learned"], params);

    if (!a.plots_dir.empty() && !out.contains("plots")) { // the first split that ran
      progress("plots for split " + sn + " into " + a.plots_dir);
      PlotInputs pin{sp, trained, params, a.policies};
      json pjson;
      if (!make_plots(a.plots_dir, pin, progress, pjson, err)) {
        std::cerr << "smartplayer-eval: plots: " << err << "\n";
        return 1;
      }
      out["plots"] = pjson;
    }
  }
  if (splits.empty()) {
    std::cerr << "smartplayer-eval: no split could run (" << sessions.size()
              << " sessions in all; need more sessions or viewers)\n";
    return 1;
  }
  out["splits"] = splits;
  out["skipped_splits"] = skipped;
  out["split_sizes"] = sizes;
  out["forecaster"] = models;
  out["best_fixed_timeout"] = best_fixed;
  out["seed_genre_awake_percents"] = windows;
  out["learner"] = learners;

  if (actions) {
    if (std::string err; !actions_file.commit(err)) {
      std::cerr << "smartplayer-eval: " << err << "\n";
      return 1;
    }
    progress("wrote " + a.actions_out);
  }
  json_file.stream() << out.dump(2) << "\n";
  if (std::string err; !json_file.commit(err)) {
    std::cerr << "smartplayer-eval: " << err << "\n";
    return 1;
  }
  progress("wrote " + a.json_out);
  return 0;
}
