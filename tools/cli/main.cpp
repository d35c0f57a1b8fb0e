// smartplayer-cli: the behaviour log's catalogue and trace export/import
// (docs/behaviour-log.md, "The CLI").
//
//   smartplayer-cli [--db PATH] add FILE... --genre G [--title T] [--id ID]
//   smartplayer-cli [--db PATH] list [--json]
//   smartplayer-cli [--db PATH] export-traces [--out FILE]
//   smartplayer-cli [--db PATH] import-traces FILE
//
// Exit status: 0 ok, 1 failure (bad file, database error), 2 usage error.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "decode/probe.h"
#include "log/behaviour_log.h"
#include "log/journal_recovery.h"
#include "smartplayer.h"
#include "trace/trace.h"

namespace {

constexpr const char *kProg = "smartplayer-cli";

void usage(std::ostream &o) {
  o << "usage: smartplayer-cli [--db PATH] COMMAND [ARGS]\n"
       "\n"
       "commands:\n"
       "  add FILE... --genre G [--title T] [--id ID]\n"
       "        probe each FILE and add it to the catalogue with genre G. --title and\n"
       "        --id need exactly one FILE (default title: the file name without its\n"
       "        extension; default id: that name plus a short hash of the absolute\n"
       "        path). If any FILE is missing or not a playable video, nothing is written.\n"
       "  list [--json]\n"
       "        list the catalogue (--json: one JSON array).\n"
       "  export-traces [--out FILE]\n"
       "        write every viewing session as JSON Lines (docs/traces.md) to FILE\n"
       "        (default: standard output).\n"
       "  import-traces FILE\n"
       "        import sessions from a JSON Lines trace file; malformed lines are\n"
       "        skipped and their line numbers reported on standard error.\n"
       "\n"
       "options:\n"
       "  --db PATH   behaviour log database (default: $SMARTPLAYER_DB, else ./smartplayer.db)\n"
       "  -h, --help  this help\n"
       "\n"
       "exit status: 0 ok, 1 failure, 2 usage error\n";
}

int usage_error(const std::string &msg) {
  std::cerr
      << kProg << ": " << msg << "\n"
      << "usage: smartplayer-cli [--db PATH] add|list|export-traces|import-traces [ARGS] (see --help)\n";
  return 2;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_url(const std::string &s) {
  return s.find("://") != std::string::npos;
}

std::string default_id(const std::string &stem, const std::string &abs_path) {
  std::ostringstream os;
  os << stem << '-' << std::hex << std::setw(8) << std::setfill('0')
     << (sp::fnv1a64(abs_path) & 0xffffffffULL);
  return os.str();
}

std::string format_ms(int64_t ms) {
  int64_t s = ms / 1000, m = s / 60, h = m / 60;
  std::ostringstream os;
  os << std::setfill('0');
  if (h > 0)
    os << h << ':' << std::setw(2) << m % 60;
  else
    os << m;
  os << ':' << std::setw(2) << s % 60 << '.' << std::setw(3) << ms % 1000;
  return os.str();
}

int open_log(const std::string &db, bool read_only, std::unique_ptr<sp::BehaviourLog> &log) {
  sp::LogOptions opt;
  opt.read_only = read_only;
  std::string err;
  int r = sp::BehaviourLog::open(db, opt, log, err);
  if (r != SP_OK) {
    std::cerr << kProg << ": " << err << "\n";
    return 1;
  }
  // What killed players left beside it: written now (a writing command), or
  // said (a reading one).
  if (std::string note = sp::recover_for_tool(db, *log, read_only); !note.empty())
    std::cerr << kProg << ": " << note << "\n";
  return 0;
}

int cmd_add(const std::string &db, const std::vector<std::string> &args) {
  std::vector<std::string> files;
  std::string genre, title, id;
  bool have_genre = false, have_title = false, have_id = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    auto value = [&](std::string &out, bool &have) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      have = true;
      return true;
    };
    if (a == "--genre") {
      if (!value(genre, have_genre)) return usage_error("add: --genre needs a value");
    } else if (a == "--title") {
      if (!value(title, have_title)) return usage_error("add: --title needs a value");
    } else if (a == "--id") {
      if (!value(id, have_id)) return usage_error("add: --id needs a value");
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("add: unknown option '" + a + "'");
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) return usage_error("add: no FILE given");
  if (!have_genre || genre.empty()) return usage_error("add: --genre G is required");
  if ((have_title || have_id) && files.size() != 1)
    return usage_error("add: --title and --id need exactly one FILE");
  if (have_id && id.empty()) return usage_error("add: --id must not be empty");

  // Probe everything first; write only if every file is good.
  std::vector<sp::VideoRow> rows;
  int failures = 0;
  int64_t now = now_ms();
  for (const auto &f : files) {
    sp::MediaFacts p;
    std::string err;
    int r = sp::probe_media(f, p, err);
    if (r != SP_OK) {
      // probe_media's message usually names the file already.
      std::cerr << kProg << ": add: " << (err.find(f) != std::string::npos ? "" : "'" + f + "': ") << err
                << " (" << sp_strerror(r) << ")\n";
      ++failures;
      continue;
    }
    sp::VideoRow v;
    std::string stem;
    if (is_url(f)) {
      v.path = f;
      stem = std::filesystem::path(f.substr(f.find("://") + 3)).stem().string();
      if (stem.empty()) stem = "url";
    } else {
      std::error_code ec;
      auto abs = std::filesystem::weakly_canonical(std::filesystem::absolute(f), ec);
      if (ec) abs = std::filesystem::absolute(f).lexically_normal();
      v.path = abs.string();
      stem = abs.stem().string();
    }
    v.id = have_id ? id : default_id(stem, v.path);
    v.title = have_title ? title : stem;
    v.genre = genre;
    v.length_ms = p.duration_ms;
    v.width = p.width;
    v.height = p.height;
    v.has_audio = p.has_audio;
    v.added_wall_ms = now;
    rows.push_back(std::move(v));
  }
  if (failures > 0) {
    std::cerr << kProg << ": add: " << failures << " of " << files.size()
              << " file(s) refused; nothing was written to " << db << "\n";
    return 1;
  }
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (rows[i].id == rows[j].id) {
        std::cerr << kProg << ": add: '" << files[i] << "' and '" << files[j] << "' give the same id '"
                  << rows[i].id << "'; nothing was written\n";
        return 1;
      }

  std::unique_ptr<sp::BehaviourLog> log;
  if (int r = open_log(db, false, log)) return r;
  std::string err;
  // Keep the first "added" time of a video already in the catalogue.
  for (auto &v : rows) {
    std::optional<sp::VideoRow> old;
    if (log->find_video(v.id, old, err) == SP_OK && old) v.added_wall_ms = old->added_wall_ms;
  }
  if (log->upsert_videos(rows, err) != SP_OK) {
    std::cerr << kProg << ": add: " << err << "; nothing was written\n";
    return 1;
  }
  for (const auto &v : rows)
    std::cout << "added " << v.id << "  " << format_ms(v.length_ms) << "  " << v.width << "x" << v.height
              << (v.has_audio ? "  audio" : "  no audio") << "  genre=" << v.genre << "  " << v.path << "\n";
  return 0;
}

int cmd_list(const std::string &db, const std::vector<std::string> &args) {
  bool as_json = false;
  for (const auto &a : args) {
    if (a == "--json")
      as_json = true;
    else
      return usage_error("list: unexpected argument '" + a + "'");
  }
  std::unique_ptr<sp::BehaviourLog> log;
  if (int r = open_log(db, true, log)) return r;
  std::vector<sp::VideoRow> vids;
  std::string err;
  if (log->list_videos(vids, err) != SP_OK) {
    std::cerr << kProg << ": list: " << err << "\n";
    return 1;
  }
  if (as_json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto &v : vids)
      arr.push_back({{"id", v.id},
                     {"title", v.title},
                     {"genre", v.genre},
                     {"path", v.path},
                     {"length_ms", v.length_ms},
                     {"width", v.width},
                     {"height", v.height},
                     {"has_audio", v.has_audio},
                     {"added_wall_ms", v.added_wall_ms}});
    std::cout << arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  size_t w_id = 2, w_genre = 5;
  for (const auto &v : vids) {
    w_id = std::max(w_id, v.id.size());
    w_genre = std::max(w_genre, v.genre.size());
  }
  std::cout << std::left << std::setw(static_cast<int>(w_id)) << "ID"
            << "  " << std::setw(static_cast<int>(w_genre)) << "GENRE"
            << "  " << std::setw(12) << "DURATION"
            << "  " << std::setw(9) << "SIZE"
            << "  " << std::setw(5) << "AUDIO"
            << "  TITLE / PATH\n";
  for (const auto &v : vids) {
    std::string size = std::to_string(v.width) + "x" + std::to_string(v.height);
    std::cout << std::setw(static_cast<int>(w_id)) << v.id << "  " << std::setw(static_cast<int>(w_genre))
              << v.genre << "  " << std::setw(12) << format_ms(v.length_ms) << "  " << std::setw(9) << size
              << "  " << std::setw(5) << (v.has_audio ? "yes" : "no") << "  " << v.title
              << (v.path.empty() ? "" : "  (" + v.path + ")") << "\n";
  }
  std::cout << vids.size() << " video(s)\n";
  return 0;
}

int cmd_export(const std::string &db, const std::vector<std::string> &args) {
  std::string out_path;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--out") {
      if (i + 1 >= args.size()) return usage_error("export-traces: --out needs a value");
      out_path = args[++i];
    } else {
      return usage_error("export-traces: unexpected argument '" + args[i] + "'");
    }
  }
  std::string err;
  if (!sp::check_tool_files({{"--db", db, false}, {"--out", out_path, true}}, err)) {
    std::cerr << kProg << ": export-traces: " << err << "\n";
    return 2;
  }
  std::unique_ptr<sp::BehaviourLog> log;
  if (int r = open_log(db, true, log)) return r;
  std::vector<sp::TraceSession> sessions;
  if (log->read_traces(sessions, err) != SP_OK) {
    std::cerr << kProg << ": export-traces: " << err << "\n";
    return 1;
  }
  const bool to_stdout = out_path.empty() || out_path == "-";
  // Written whole or not at all: an interrupted export keeps the old file.
  sp::FileReplace file;
  if (!to_stdout && !file.open(out_path, err)) {
    std::cerr << kProg << ": export-traces: " << err << "\n";
    return 1;
  }
  std::ostream &out = to_stdout ? std::cout : file.stream();
  size_t too_long = 0;
  for (const auto &s : sessions) {
    size_t bytes = sp::write_trace(out, s);
    if (bytes > sp::kMaxTraceLineBytes) {
      ++too_long;
      std::cerr << kProg << ": export-traces: warning: session " << s.session_id << " (" << s.events.size()
                << " events) takes " << bytes << " bytes, over the reader's limit of "
                << sp::kMaxTraceLineBytes << " bytes per line: import-traces will skip it\n";
    }
  }
  out.flush();
  if (!out) {
    std::cerr << kProg << ": export-traces: write to " << (to_stdout ? "standard output" : out_path)
              << " failed\n";
    return 1;
  }
  if (!to_stdout && !file.commit(err)) {
    std::cerr << kProg << ": export-traces: " << err << "\n";
    return 1;
  }
  std::cerr << kProg << ": exported " << sessions.size() << " session(s)"
            << (too_long ? " (" + std::to_string(too_long) + " too long to import again)" : std::string())
            << "\n";
  return 0;
}

int cmd_import(const std::string &db, const std::vector<std::string> &args) {
  if (args.size() != 1 || (args[0].size() > 1 && args[0][0] == '-'))
    return usage_error("import-traces: needs exactly one FILE");
  const std::string &file = args[0];
  auto res = sp::read_trace_file(file, sp::OnMalformed::Skip);
  sp::report_trace_errors(std::cerr, std::string(kProg) + ": import-traces", file, res);
  if (!res.ok) return 1;
  if (res.sessions.empty()) {
    // As the importers: a file with no session is not a successful import.
    std::cerr << kProg << ": import-traces: " << file << " holds no session; nothing was imported\n";
    return 1;
  }
  std::unique_ptr<sp::BehaviourLog> log;
  if (int r = open_log(db, false, log)) return r;
  std::string err;
  if (log->import_traces(res.sessions, err) != SP_OK) {
    std::cerr << kProg << ": import-traces: " << err << "; nothing was imported\n";
    return 1;
  }
  std::cerr << kProg << ": imported " << res.sessions.size() << " session(s) from " << file << "\n";
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    std::string db;
    if (const char *env = std::getenv("SMARTPLAYER_DB"); env && *env)
      db = env;
    else
      db = "smartplayer.db";

    std::string command;
    std::vector<std::string> rest;
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "-h" || a == "--help") {
        usage(std::cout);
        return 0;
      }
      if (a == "--db") {
        if (i + 1 >= argc) return usage_error("--db needs a value");
        db = argv[++i];
        if (db.empty()) return usage_error("--db must not be empty");
      } else if (command.empty()) {
        if (!a.empty() && a[0] == '-') return usage_error("unknown option '" + a + "'");
        command = a;
      } else {
        rest.push_back(a);
      }
    }
    if (command.empty()) return usage_error("no command given");
    if (command == "add") return cmd_add(db, rest);
    if (command == "list") return cmd_list(db, rest);
    if (command == "export-traces") return cmd_export(db, rest);
    if (command == "import-traces") return cmd_import(db, rest);
    return usage_error("unknown command '" + command + "'");
  } catch (const std::exception &e) {
    std::cerr << kProg << ": internal error: " << e.what() << "\n";
    return 1;
  }
}
