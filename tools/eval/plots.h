// smartplayer-eval's plots: gnuplot data + scripts, rendered to PNG.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "forecasters.h"
#include "policy/evaluate.h"

namespace sp_eval {

struct PlotInputs {
  const sp::Split &split;
  const sp::TrainedForSplit &trained;
  sp::PolicyParams params;
  std::vector<std::string> policies;
};

// Writes into `dir` (created): tradeoff.png (awake fraction vs misses per 100:
// fixed-timeout sweeping tau, learned sweeping its miss weight, the other
// policies as points), breakeven.png (cost ratio to the oracle per policy as
// w/h varies), timelines.png (a few test sessions: interactions, awake/asleep
// per policy), each with its .dat and .gp. `meta` receives the file names
// and sweep figures. False with `err` on I/O or gnuplot failure.
bool make_plots(const std::string &dir, const PlotInputs &in, const Progress &progress, nlohmann::json &meta,
                std::string &err);

} // namespace sp_eval
