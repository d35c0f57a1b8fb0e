// smartplayer-import-edx: Open edX tracking logs -> trace JSON Lines.
//
//   smartplayer-import-edx LOG... --out TRACES [--genre G] [--refuse]
//                          [--gap-minutes N] [--keep-empty]
//
// Several LOGs (rotated or daily files, plain or gzip-compressed) are read as
// one log: a session may span two files. Prints what it read on stdout and
// every skipped line on stderr. Exit status: 0 ok (malformed lines and a
// truncated compressed file skipped and reported), 1 refused (--refuse and a
// malformed line), a LOG that cannot be opened, TRACES naming a LOG, no
// session found, or an I/O error (nothing is written then), 2 usage.
#include <charconv>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "gz_input.h"
#include "trace/edx_import.h"
#include "trace/trace.h"

namespace {
void usage(std::ostream &o) {
  o << "usage: smartplayer-import-edx LOG... --out TRACES [--genre G] [--refuse] [--gap-minutes N] "
       "[--keep-empty]\n"
       "  LOG...          Open edX tracking logs, one JSON event per line, plain or gzip-compressed\n"
       "                  ('-' for stdin); several are read as one log, in any order\n"
       "  --out TRACES    trace output (JSON Lines)\n"
       "  --genre G       genre written into every session (default unknown)\n"
       "  --refuse        stop at the first malformed line (default: skip and report it)\n"
       "  --gap-minutes N a longer pause between events starts a new session (default 30)\n"
       "  --keep-empty    keep sessions with no viewer action (only load_video)\n";
}
} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> logs;
  std::string out_path;
  sp::EdxOptions opt;
  sp::OnMalformed mode = sp::OnMalformed::Skip;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto need = [&]() -> const char * {
      if (i + 1 >= argc) {
        std::cerr << "smartplayer-import-edx: " << a << " needs a value\n";
        return nullptr;
      }
      return argv[++i];
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
    } else if (a == "--keep-empty") {
      opt.keep_empty_sessions = true;
    } else if (a == "--gap-minutes") {
      const char *v = need();
      if (!v) return 2;
      std::string_view s = v;
      double m = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), m);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !(m > 0)) {
        std::cerr << "smartplayer-import-edx: bad value for --gap-minutes: '" << s << "'\n";
        return 2;
      }
      opt.session_gap_ms = static_cast<int64_t>(m * 60000.0);
    } else if (a.size() > 1 && a[0] == '-' && a != "-") {
      std::cerr << "smartplayer-import-edx: unknown option '" << a << "'\n";
      usage(std::cerr);
      return 2;
    } else {
      logs.emplace_back(a);
    }
  }
  if (logs.empty() || out_path.empty()) {
    std::cerr << "smartplayer-import-edx: LOG and --out TRACES are required\n";
    usage(std::cerr);
    return 2;
  }

  // Every LOG is checked before anything is read (a mistyped name stops the
  // import), then each is opened, read and closed in turn: a research
  // package can hold more daily files than a process may keep open.
  for (const auto &path : logs) {
    std::string err;
    if (!GzInput::readable(path, err)) {
      std::cerr << "smartplayer-import-edx: " << err << "\n";
      return 1;
    }
    if (sp::same_file(path, out_path)) {
      std::cerr << "smartplayer-import-edx: --out '" << out_path << "' is the LOG '" << path
                << "'; it would be overwritten\n";
      return 1;
    }
  }
  // The output is opened (as a temporary file beside it) before the logs are
  // read: an --out that cannot be written (no such folder, no permission, a
  // folder) is told at once, not after reading gigabytes of logs. It
  // replaces TRACES only once written whole; otherwise it is removed.
  sp::FileReplace out;
  if (std::string err; !out.open(out_path, err)) {
    std::cerr << "smartplayer-import-edx: " << err << "\n";
    return 1;
  }
  sp::EdxImporter importer(opt, mode);
  for (size_t i = 0; i < logs.size() && !importer.refused(); ++i) {
    GzInput in;
    std::string err;
    if (!in.open(logs[i], err)) {
      std::cerr << "smartplayer-import-edx: " << err << "\n";
      return 1;
    }
    importer.add(in.stream(), logs[i]);
    if (std::string why = in.error(); !why.empty() && !importer.refused())
      importer.source_failed("stopped reading: " + why + "; the lines before are kept");
  }
  sp::EdxImportStats st;
  sp::TraceReadResult r = importer.finish(&st);
  for (const auto &e : r.errors)
    std::cerr << e.source << ":" << e.line << ": " << (r.ok ? "skipped: " : "refused: ") << e.message << "\n";
  if (!r.ok) {
    std::cerr << "smartplayer-import-edx: stopped at the first malformed line (--refuse); nothing written\n";
    return 1;
  }
  size_t events = 0;
  for (const auto &s : r.sessions)
    events += s.events.size();
  std::printf(
      "%slines %zu, video events %zu, ignored %zu, skipped (malformed) %zu, duplicates %zu, not "
      "logged in %zu, "
      "sessions %zu, events %zu, empty sessions dropped %zu, automatic pauses at the end dropped %zu\n",
      logs.size() > 1 ? ("files " + std::to_string(logs.size()) + ", ").c_str() : "", st.lines,
      st.video_events, st.ignored, st.malformed, st.duplicates, st.anonymous, r.sessions.size(), events,
      st.empty_sessions_dropped, st.automatic_pauses);
  if (r.sessions.empty()) {
    std::cerr << "smartplayer-import-edx: nothing to import ("
              << (st.video_events ? "only load_video events: --keep-empty keeps such sessions"
                                  : "no video event in the logs")
              << "); nothing written\n";
    return 1;
  }
  sp::write_traces(out.stream(), r.sessions);
  if (std::string err; !out.commit(err)) {
    std::cerr << "smartplayer-import-edx: " << err << "\n";
    return 1;
  }
  return 0;
}
