// smartplayer-train: fit the hazard model (src/predict/hazard.h) from the
// behaviour log's sessions or a trace file, print its metrics (held-out, or
// in-sample when there are too few sessions to hold any out) as JSON on
// stdout, and optionally store it in the log (docs/model.md).
//
//   smartplayer-train --db PATH [--save-to-db] [--out model.json] [--traces FILE]
//                     [--transitions FILE] [--l2 X] [--summary] [--quiet]
//
// Exit status: 0 ok, 1 input / training / output error, 2 bad usage.
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "control/live_policy.h"
#include "core/result.h"
#include "log/behaviour_log.h"
#include "log/journal_recovery.h"
#include "predict/hazard.h"
#include "trace/trace.h"
#include "trace/transitions.h"

using namespace sp;
using nlohmann::json;

namespace {

void usage(std::ostream &o) {
  o << "usage: smartplayer-train (--db PATH | --traces FILE) [options]\n"
       "  --db PATH        behaviour log (SQLite) to read sessions from (and to store the model in)\n"
       "  --traces FILE    read sessions from a trace file (JSON Lines) instead of the log\n"
       "  --save-to-db     store the trained model in the log given by --db (a new model version)\n"
       "  --out FILE       also write the model JSON to FILE\n"
       "  --transitions FILE  the videos' visual transitions (JSON Lines, docs/traces.md), kept in the\n"
       "                   model for its transition features (the live plane reads them from the model).\n"
       "                   Without it, a --db whose latest model holds transitions passes them on\n"
       "                   to the new model (the summary says \"carried over from model vN\")\n"
       "  --l2 X           ridge penalty on standardised coefficients (default 300)\n"
       "  --summary        print one line (sessions, events, log loss vs the base rate) instead of JSON\n"
       "  --quiet          no progress on stderr\n"
       "Prints the model's metrics as JSON on stdout (one line with --summary): scored on the latest\n"
       "10 % of the sessions, held out of the fit (\"scored_on\": \"held-out\"); with fewer than 10\n"
       "sessions none can be held out and they are in-sample (\"scored_on\": \"in-sample\",\n"
       "\"holdout_sessions\": 0), which says little about sessions the model has not seen.\n";
}

int fail(const std::string &msg) {
  std::cerr << "smartplayer-train: " << msg << "\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  std::string db, traces, out, transitions;
  std::string transitions_from; // "model vN" when carried over from the log's latest model
  bool save = false, quiet = false, summary = false;
  HazardOptions opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string &v) {
      if (i + 1 >= argc) {
        std::cerr << "smartplayer-train: " << a << " needs a value\n";
        return false;
      }
      v = argv[++i];
      return true;
    };
    if (a == "--help" || a == "-h") {
      usage(std::cout);
      return 0;
    } else if (a == "--db") {
      if (!value(db)) return 2;
    } else if (a == "--traces") {
      if (!value(traces)) return 2;
    } else if (a == "--out") {
      if (!value(out)) return 2;
    } else if (a == "--transitions") {
      if (!value(transitions)) return 2;
    } else if (a == "--summary") {
      summary = true;
    } else if (a == "--l2") {
      std::string v;
      if (!value(v)) return 2;
      double x = 0;
      auto r =
          std::from_chars(v.data(), v.data() + v.size(), x, std::chars_format::general); // decimal, no hex
      if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size() || !std::isfinite(x) || x < 0) {
        std::cerr << "smartplayer-train: --l2: expected a number >= 0, got \"" << v << "\"\n";
        return 2;
      }
      opt.l2 = x;
    } else if (a == "--save-to-db") {
      save = true;
    } else if (a == "--quiet") {
      quiet = true;
    } else {
      std::cerr << "smartplayer-train: unknown option \"" << a << "\"\n";
      usage(std::cerr);
      return 2;
    }
  }
  if (db.empty() && traces.empty()) {
    std::cerr << "smartplayer-train: give --db PATH or --traces FILE\n";
    usage(std::cerr);
    return 2;
  }
  if (save && db.empty()) {
    std::cerr << "smartplayer-train: --save-to-db needs --db PATH\n";
    return 2;
  }
  if (std::string err; !check_tool_files({{"--db", db, false},
                                          {"--traces", traces, false},
                                          {"--transitions", transitions, false},
                                          {"--out", out, true}},
                                         err)) {
    std::cerr << "smartplayer-train: " << err << "\n";
    return 2;
  }
  // The model file is written whole or not at all, and a folder that does
  // not exist is found before the training, not after it.
  FileReplace out_file;
  if (std::string err; !out.empty() && !out_file.open(out, err)) return fail(err);

  if (!transitions.empty()) {
    auto t = std::make_shared<VideoTransitions>();
    std::string err;
    if (!read_transitions_file(transitions, *t, err)) return fail("--transitions: " + err);
    opt.transitions = std::move(t);
  }

  std::vector<TraceSession> sessions;
  std::unique_ptr<BehaviourLog> log;
  if (!db.empty()) {
    if (!std::filesystem::exists(db)) return fail("no behaviour log at " + db);
    LogOptions lo;
    lo.read_only = !save;
    std::string err;
    if (int r = BehaviourLog::open(db, lo, log, err))
      return fail("cannot open " + db + ": " + err + " (" + std::to_string(r) + ")");
    if (std::string note = recover_for_tool(db, *log, lo.read_only); !note.empty())
      std::cerr << "smartplayer-train: " << note << "\n";
    // The log does not hold the videos' transitions; the model stored in it
    // does. Without --transitions the new model keeps the latest one's (as
    // online retraining does, control/trainer.cpp), rather than losing them.
    if (transitions.empty()) {
      std::shared_ptr<const HazardModel> latest;
      std::string version, lerr;
      if (load_stored_model(*log, latest, version, lerr) != kOk)
        std::cerr << "smartplayer-train: " << lerr
                  << "; its transitions are not carried over (give --transitions FILE to keep them)\n";
      else if (latest && latest->transitions()) {
        opt.transitions = latest->transitions();
        transitions_from = "model v" + version;
      }
    }
  }
  if (!traces.empty()) {
    TraceReadResult rr = read_trace_file(traces, OnMalformed::Skip);
    report_trace_errors(std::cerr, "smartplayer-train", traces, rr);
    if (!rr.ok) return 1;
    sessions = std::move(rr.sessions);
  } else {
    std::string err;
    if (int r = log->read_traces(sessions, err))
      return fail("cannot read sessions from " + db + ": " + err + " (" + std::to_string(r) + ")");
  }
  if (sessions.empty()) return fail("no sessions to train on in " + (traces.empty() ? db : traces));
  if (!quiet) std::cerr << "smartplayer-train: " << sessions.size() << " sessions\n";

  std::vector<const TraceSession *> ptrs;
  ptrs.reserve(sessions.size());
  for (const auto &s : sessions)
    ptrs.push_back(&s);
  int last = -1;
  TrainProgress progress;
  if (!quiet)
    progress = [&last](const std::string &msg, double f) {
      int pct = static_cast<int>(f * 100.0);
      if (pct / 5 == last / 5 && f < 1.0) return;
      last = pct;
      std::fprintf(stderr, "smartplayer-train: %3d%% %s\n", pct, msg.c_str());
    };
  std::string err;
  auto model = HazardModel::train(ptrs, opt, progress, err);
  if (!model) return fail("training failed: " + err);

  if (!out.empty()) {
    out_file.stream() << model->to_json();
    if (std::string werr; !out_file.commit(werr)) return fail(werr);
  }
  json result = json::parse(model->metrics_json());
  result["kind"] = HazardModel::kKind;
  result["model"] = model->describe();
  result["source"] = traces.empty() ? db : traces;
  if (save) {
    ModelRow row;
    row.kind = HazardModel::kKind;
    row.created_wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    row.blob = model->to_json();
    row.metrics = model->metrics_json();
    row.sessions_seen = model->metrics().sessions_seen;
    row.events_seen = model->metrics().events_seen;
    if (int r = log->save_model(row, err))
      return fail("cannot store the model in " + db + ": " + err + " (" + std::to_string(r) + ")");
    result["saved_version"] = row.version;
    if (!quiet)
      std::cerr << "smartplayer-train: stored model version " << row.version << " in " << db << "\n";
  }
  if (!out.empty()) result["out"] = out;
  if (opt.transitions)
    result["transitions"] = {{"videos", opt.transitions->size()},
                             {"from", transitions_from.empty() ? transitions : transitions_from}};
  if (summary) {
    const HazardMetrics &m = model->metrics();
    std::printf("%s%s on %lld sessions, %lld events", HazardModel::kKind,
                save ? (" model v" + std::to_string(result["saved_version"].get<int64_t>())).c_str()
                     : " model",
                static_cast<long long>(m.sessions_seen), static_cast<long long>(m.events_seen));
    if (opt.transitions)
      std::printf(", transitions of %zu videos%s", opt.transitions->size(),
                  transitions_from.empty() ? "" : (" (carried over from " + transitions_from + ")").c_str());
    if (!(m.log_loss >= 0 && m.base_log_loss > 0))
      std::printf(": no log loss (no decision point to score)\n");
    else if (!m.in_sample())
      std::printf(": held-out log loss %.3f vs %.3f for the base rate (%.0f %% lower)\n", m.log_loss,
                  m.base_log_loss, 100.0 * (1.0 - m.log_loss / m.base_log_loss));
    else
      std::printf(
          ": in-sample log loss %.3f vs %.3f for the base rate (%.0f %% lower; too few sessions to hold "
          "any out, %d needed, so no estimate for sessions it has not seen)\n",
          m.log_loss, m.base_log_loss, 100.0 * (1.0 - m.log_loss / m.base_log_loss),
          HazardModel::kMinHoldoutSessions);
    return 0;
  }
  std::cout << result.dump(2) << "\n";
  return 0;
}
