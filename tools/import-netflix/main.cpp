// smartplayer-import-netflix: Netflix ViewingActivity.csv -> trace JSON Lines.
//
//   smartplayer-import-netflix CSV --out TRACES [--genre G] [--gap-minutes N]
//                              [--seek-tolerance S] [--autoplay-window S|off] [--refuse]
//
// Prints a summary on stdout and every skipped row on stderr (CSV:LINE: skipped: why).
// Exit status: 0 when something was imported (malformed rows skipped and
// reported), 1 when nothing could be imported, the file cannot be read, its
// header is unusable, TRACES names the CSV, or --refuse met a malformed row
// (nothing written then), 2 usage.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

#include "trace/netflix_import.h"
#include "trace/trace.h"

namespace {
constexpr const char *kName = "smartplayer-import-netflix";

void usage(std::ostream &o) {
  o << "usage: " << kName
    << " CSV --out TRACES [--genre G] [--gap-minutes N] [--seek-tolerance S] [--autoplay-window S|off] "
       "[--refuse]\n"
       "  CSV                 Netflix ViewingActivity.csv ('-' for stdin)\n"
       "  --out TRACES        trace output (JSON Lines)\n"
       "  --genre G           genre written into every session (default unknown: the file has none)\n"
       "  --gap-minutes N     rows of one profile and title further apart start a new session (default 30)\n"
       "  --seek-tolerance S  a row starting more than S seconds from where the previous one ended is\n"
       "                      reached by a seek (default 10)\n"
       "  --autoplay-window S a session ends with `end` (ran out) instead of `stop` when the next title\n"
       "                      autoplayed on the same device within S seconds (default 60; off: never)\n"
       "  --refuse            stop at the first malformed row (default: skip and report it)\n"
       "Mapping and assumptions: docs/traces.md, \"Netflix viewing history\".\n";
}

// A non-negative finite number, or nothing.
bool parse_number(std::string_view s, double &v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(v) && v >= 0 && v < 1e9;
}
} // namespace

int main(int argc, char **argv) {
  std::string csv_path, out_path;
  sp::NetflixOptions opt;
  sp::OnMalformed mode = sp::OnMalformed::Skip;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto need = [&]() -> const char * {
      if (i + 1 >= argc) {
        std::cerr << kName << ": " << a << " needs a value\n";
        return nullptr;
      }
      return argv[++i];
    };
    auto bad_value = [&](std::string_view v) {
      std::cerr << kName << ": bad value for " << a << ": '" << v << "'\n";
      return 2;
    };
    if (a == "--help" || a == "-h") {
      usage(std::cout);
      return 0;
    } else if (a == "--out") {
      const char *v = need();
      if (!v) return 2;
      out_path = v;
    } else if (a == "--genre") {
      const char *v = need();
      if (!v) return 2;
      opt.genre = v;
    } else if (a == "--refuse") {
      mode = sp::OnMalformed::Refuse;
    } else if (a == "--gap-minutes" || a == "--seek-tolerance" || a == "--autoplay-window") {
      const char *v = need();
      if (!v) return 2;
      double x = 0;
      if (a == "--autoplay-window" && std::string_view(v) == "off") {
        opt.autoplay_window_ms = -1;
      } else if (!parse_number(v, x) || (a == "--gap-minutes" && x <= 0)) {
        return bad_value(v);
      } else if (a == "--gap-minutes") {
        opt.session_gap_ms = static_cast<int64_t>(x * 60000.0);
      } else if (a == "--seek-tolerance") {
        opt.seek_tolerance_ms = static_cast<int64_t>(x * 1000.0);
      } else {
        opt.autoplay_window_ms = static_cast<int64_t>(x * 1000.0);
      }
    } else if (a.size() > 1 && a[0] == '-') {
      std::cerr << kName << ": unknown option '" << a << "'\n";
      usage(std::cerr);
      return 2;
    } else if (csv_path.empty()) {
      csv_path = a;
    } else {
      std::cerr << kName << ": more than one CSV given\n";
      return 2;
    }
  }
  if (csv_path.empty() || out_path.empty()) {
    std::cerr << kName << ": CSV and --out TRACES are required\n";
    usage(std::cerr);
    return 2;
  }

  if (csv_path != "-" && sp::same_file(csv_path, out_path)) {
    std::cerr << kName << ": --out '" << out_path << "' is the CSV; it would be overwritten\n";
    return 1;
  }
  // The output is opened (as a temporary file beside it) before the CSV is
  // read, so that an --out that cannot be written is told first; it replaces
  // TRACES only once written whole, and is removed otherwise.
  sp::FileReplace out;
  if (std::string err; !out.open(out_path, err)) {
    std::cerr << kName << ": " << err << "\n";
    return 1;
  }
  sp::NetflixImportStats st;
  sp::TraceReadResult r = csv_path == "-" ? sp::import_netflix(std::cin, opt, mode, &st)
                                          : sp::import_netflix_file(csv_path, opt, mode, &st);
  const bool header_failed = !r.ok && st.rows == 0;
  for (const auto &e : r.errors) {
    if (e.line == 0)
      std::cerr << kName << ": " << e.message << "\n";
    else
      std::cerr << csv_path << ":" << e.line << ": "
                << (r.ok            ? "skipped: "
                    : header_failed ? ""
                                    : "refused: ")
                << e.message << "\n";
  }
  if (!r.ok) {
    if (!header_failed)
      std::cerr << kName << ": stopped at the first malformed row (--refuse); nothing written\n";
    return 1;
  }

  std::string skipped =
      "malformed " + std::to_string(st.malformed) + ", supplemental " + std::to_string(st.supplemental);
  if (!st.supplemental_by_type.empty()) {
    skipped += " (";
    bool first = true;
    for (const auto &[type, n] : st.supplemental_by_type) {
      skipped += (first ? "" : ", ") + type + " " + std::to_string(n);
      first = false;
    }
    skipped += ")";
  }
  skipped += ", zero duration " + std::to_string(st.zero_duration) + ", within another row " +
             std::to_string(st.rows_within);
  std::printf("rows %zu, imported %zu, sessions %zu, events %zu, seeks %zu; skipped: %s\n", st.rows,
              st.rows_imported, st.sessions, st.events, st.seeks, skipped.c_str());
  std::printf(
      "autoplayed rows %zu, sessions ended by the next title's autoplay %zu, starts clamped to 0 %zu, "
      "overlapping rows moved %zu\n",
      st.autoplayed, st.finished_by_autoplay, st.starts_clamped, st.overlaps);
  if (r.sessions.empty()) {
    std::cerr << kName << ": nothing to import (no programme rows with time watched); nothing written\n";
    return 1;
  }
  sp::write_traces(out.stream(), r.sessions);
  if (std::string err; !out.commit(err)) {
    std::cerr << kName << ": " << err << "\n";
    return 1;
  }
  return 0;
}
