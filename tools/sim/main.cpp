// smartplayer-sim: write simulated viewing traces as JSON Lines (docs/simulator.md).
//
//   smartplayer-sim --viewers N --sessions M --seed S --out FILE
//                   [--videos V] [--start-wall-ms T] [--total-sessions T]
//                   [--catalogue FILE] [--viewers-out FILE] [--truth FILE] [--transitions FILE] [--quiet]
//                   [--mode structured|memoryless|bursty|heavy-tailed|drifting]
//                   [--duration-scale X] [--mean-gap-s S] [--mean-session-s S]
//                   [--add-videos FILE] [--viewer-ids ID,ID,...] [--viewer-id ID]...
//
// --sessions is the mean number of sessions per viewer (total about N*M);
// --total-sessions gives an exact total instead. Exit status: 0 ok, 2 usage, 1 I/O error.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

#include "core/utf8.h"
#include "sim/simulator.h"
#include "trace/trace.h"

namespace {

void usage(std::ostream &o) {
  o << "usage: smartplayer-sim --viewers N --sessions M --seed S --out FILE\n"
       "                       [--videos V] [--start-wall-ms T] [--total-sessions T]\n"
       "                       [--catalogue FILE] [--viewers-out FILE] [--truth FILE] [--transitions FILE] "
       "[--quiet]\n"
       "                       [--mode MODE] [--duration-scale X] [--mean-gap-s S] [--mean-session-s S]\n"
       "                       [--add-videos FILE] [--viewer-ids ID,ID,...] [--viewer-id ID]...\n"
       "  --viewers N         number of simulated viewers (>= 1, default 100)\n"
       "  --sessions M        mean sessions per viewer (>= 1, default 5; total about N*M)\n"
       "  --total-sessions T  exactly T sessions in total instead (shared by viewer activity)\n"
       "  --seed S            random seed (default 1); same options + seed = same file\n"
       "  --videos V          simulated catalogue size (default 200; may be 0 with --add-videos)\n"
       "  --start-wall-ms T   day 0 of the simulation, ms since the epoch (default 2024-01-01)\n"
       "  --out FILE          trace output (JSON Lines, '-' for stdout)\n"
       "  --catalogue FILE    also write the video catalogue with its structure (JSON Lines)\n"
       "  --viewers-out FILE  also write the viewers and their traits (JSON Lines)\n"
       "  --truth FILE        also write every generative parameter (for smartplayer-eval --truth: the bayes "
       "policy)\n"
       "  --transitions FILE  also write each video's visual transitions as a scene detector would find "
       "them\n"
       "  --mode MODE         structured (default), memoryless, bursty, heavy-tailed or drifting\n"
       "  --duration-scale X  structured/drifting: video lengths times X (default 1)\n"
       "  --mean-gap-s S      memoryless/bursty/heavy-tailed: mean gap between actions (default 60)\n"
       "  --mean-session-s S  memoryless/bursty/heavy-tailed: mean session length (default 1200)\n"
       "  --add-videos FILE   add these videos to the catalogue (JSON Lines: id, genre, duration_ms, "
       "scene_ms,\n"
       "                      ...; docs/simulator.md): viewers pick them as any video of their genre and\n"
       "                      react to their scene changes (say a real file's, found by a scene detector)\n"
       "  --viewer-ids LIST   comma-separated ids for the first viewers instead of viewerNNNNN\n"
       "  --viewer-id ID      one such id, taken as it is (commas and all); repeatable, in order with\n"
       "                      --viewer-ids. A simulated viewer whose viewerNNNNN is given is viewerNNNNN.1.\n"
       "                      An id that is not UTF-8 or holds control characters keeps those bytes\n"
       "                      (and its '%') as %XX, as the library and the demo do (\"jos\\xe9\" -> jos%E9)\n"
       "  --quiet             no progress on stderr\n";
}

// A viewer id as the traces (JSON: UTF-8 only) and the library keep it.
std::string clean_id(std::string_view s) {
  return sp::valid_utf8(s) && !sp::has_control_char(s) ? std::string(s) : sp::percent_escape(s);
}

template <typename T> bool parse_num(std::string_view s, T &out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

} // namespace

int main(int argc, char **argv) {
  sp::sim::SimOptions opt;
  std::string out_path, catalogue_path, viewers_path, truth_path, transitions_path, add_videos_path;
  bool quiet = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string_view &v) {
      if (i + 1 >= argc) {
        std::cerr << "smartplayer-sim: " << a << " needs a value\n";
        return false;
      }
      v = argv[++i];
      return true;
    };
    std::string_view v;
    bool ok = true;
    if (a == "--help" || a == "-h") {
      usage(std::cout);
      return 0;
    } else if (a == "--quiet") {
      quiet = true;
    } else if (a == "--viewers") {
      ok = value(v) && parse_num(v, opt.viewers) && opt.viewers >= 1;
    } else if (a == "--sessions") {
      ok = value(v) && parse_num(v, opt.sessions_per_viewer) && opt.sessions_per_viewer >= 1.0;
    } else if (a == "--total-sessions") {
      ok = value(v) && parse_num(v, opt.total_sessions) && opt.total_sessions >= 0;
    } else if (a == "--seed") {
      ok = value(v) && parse_num(v, opt.seed);
    } else if (a == "--videos") {
      ok = value(v) && parse_num(v, opt.videos) && opt.videos >= 0;
    } else if (a == "--add-videos") {
      std::string err;
      if (!value(v)) return 2;
      add_videos_path = v;
      if (!sp::sim::read_given_videos_file(std::string(v), opt.given_videos, err)) {
        std::cerr << "smartplayer-sim: --add-videos: " << err << "\n";
        return 2;
      }
    } else if (a == "--viewer-ids") {
      ok = value(v) && !v.empty();
      for (size_t from = 0; ok && from <= v.size();) {
        size_t comma = std::min(v.find(',', from), v.size());
        opt.viewer_ids.push_back(clean_id(v.substr(from, comma - from)));
        from = comma + 1;
      }
    } else if (a == "--viewer-id") {
      ok = value(v) && !v.empty();
      if (ok) opt.viewer_ids.push_back(clean_id(v));
    } else if (a == "--start-wall-ms") {
      // Within the trace format's range (trace.h, up to 2096), with ten
      // years to spare for the sessions after day 0: what is written can be
      // read back.
      ok = value(v) && parse_num(v, opt.start_wall_ms) && opt.start_wall_ms >= 0 &&
           opt.start_wall_ms <= sp::kMaxTraceWallMs - int64_t{10} * 365 * 86'400'000;
    } else if (a == "--out") {
      ok = value(v);
      out_path = v;
    } else if (a == "--catalogue") {
      ok = value(v);
      catalogue_path = v;
    } else if (a == "--viewers-out") {
      ok = value(v);
      viewers_path = v;
    } else if (a == "--transitions") {
      ok = value(v);
      transitions_path = v;
    } else if (a == "--truth") {
      ok = value(v);
      truth_path = v;
    } else if (a == "--mode") {
      ok = value(v) && sp::sim::parse_mode(v, opt.mode);
    } else if (a == "--duration-scale") {
      ok =
          value(v) && parse_num(v, opt.duration_scale) && opt.duration_scale > 0 && opt.duration_scale <= 100;
    } else if (a == "--mean-gap-s") {
      ok = value(v) && parse_num(v, opt.mean_gap_s) && opt.mean_gap_s >= 2 && opt.mean_gap_s <= 86400;
    } else if (a == "--mean-session-s") {
      ok = value(v) && parse_num(v, opt.mean_session_s) && opt.mean_session_s >= 1 &&
           opt.mean_session_s <= 86400;
    } else {
      std::cerr << "smartplayer-sim: unknown option '" << a << "'\n";
      usage(std::cerr);
      return 2;
    }
    if (!ok) {
      std::cerr << "smartplayer-sim: bad value for " << a << (v.empty() ? "" : ": '" + std::string(v) + "'")
                << "\n";
      return 2;
    }
  }
  if (out_path.empty()) {
    std::cerr << "smartplayer-sim: --out FILE is required\n";
    usage(std::cerr);
    return 2;
  }
  if (std::string err; !sp::check_tool_files({{"--add-videos", add_videos_path, false},
                                              {"--out", out_path, true},
                                              {"--catalogue", catalogue_path, true},
                                              {"--viewers-out", viewers_path, true},
                                              {"--truth", truth_path, true},
                                              {"--transitions", transitions_path, true}},
                                             err)) {
    std::cerr << "smartplayer-sim: " << err << "\n";
    return 2;
  }

  try {
    sp::sim::Simulator sim(opt);
    // Every file is written whole or not at all: an interrupted run keeps
    // what the files held before.
    sp::FileReplace file;
    std::ostream *out = &std::cout;
    if (out_path != "-") {
      std::string err;
      if (!file.open(out_path, err)) {
        std::cerr << "smartplayer-sim: " << err << "\n";
        return 1;
      }
      out = &file.stream();
    }
    const int64_t total = sim.total_sessions();
    const bool show = !quiet && total >= 2000;
    int64_t sessions = 0, events = 0, finished = 0;
    size_t last_pct = 0;
    sim.generate(
        [&](sp::TraceSession &&s) {
          ++sessions;
          events += static_cast<int64_t>(s.events.size());
          finished += s.end_reason == "finished";
          sp::write_trace(*out, s);
        },
        [&](size_t done, size_t all) {
          size_t pct = done * 100 / all;
          if (show && pct / 10 != last_pct / 10) {
            std::fprintf(stderr, "smartplayer-sim: %3zu%% (%zu/%zu viewers, %lld sessions)\n", pct, done, all,
                         static_cast<long long>(sessions));
            last_pct = pct;
          }
        });
    out->flush();
    if (!*out) {
      std::cerr << "smartplayer-sim: write to '" << out_path << "' failed\n";
      return 1;
    }
    if (out_path != "-") {
      std::string err;
      if (!file.commit(err)) {
        std::cerr << "smartplayer-sim: " << err << "\n";
        return 1;
      }
    }
    auto side_file = [&](const std::string &path, void (*fn)(std::ostream &, const sp::sim::Simulator &)) {
      if (path.empty()) return true;
      sp::FileReplace f;
      std::string err;
      if (f.open(path, err)) {
        fn(f.stream(), sim);
        if (f.commit(err)) return true;
      }
      std::cerr << "smartplayer-sim: " << err << "\n";
      return false;
    };
    if (!side_file(catalogue_path, sp::sim::write_catalogue) ||
        !side_file(viewers_path, sp::sim::write_viewers) ||
        !side_file(truth_path, [](std::ostream &o,
                                  const sp::sim::Simulator &s) { sp::sim::write_truth(o, s.truth()); }) ||
        !side_file(transitions_path, [](std::ostream &o, const sp::sim::Simulator &s) {
          sp::write_transitions(o, s.detected_transitions());
        }))
      return 1;
    if (!quiet)
      std::fprintf(stderr,
                   "smartplayer-sim: %lld sessions (%lld finished), %lld events, %d viewers, %d videos, seed "
                   "%llu, %s\n",
                   static_cast<long long>(sessions), static_cast<long long>(finished),
                   static_cast<long long>(events), opt.viewers, static_cast<int>(sim.catalogue().size()),
                   static_cast<unsigned long long>(opt.seed),
                   std::string(sp::sim::mode_name(opt.mode)).c_str());
  } catch (const std::exception &e) {
    std::cerr << "smartplayer-sim: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
