// libFuzzer target: reading interaction journals (log/journal.h) from
// arbitrary bytes, and recovering them into a real behaviour database
// (log/journal_recovery.h), as the next open of a database does with the
// journals a killed process left.
// Invariants checked: parsing never throws or crashes and accounts for every
// byte (records read + an ignored tail); every event read re-encodes to a
// record that reads back equal; recovery of the same bytes from a file beside
// a database returns kOk for a journal (and removes it) and leaves a
// non-journal in place, and every event it read is counted once (added,
// already present, or orphaned).
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "log/behaviour_log.h"
#include "log/journal.h"
#include "log/journal_recovery.h"

namespace {

namespace fs = std::filesystem;

struct Db {
  std::string dir, path;
  std::unique_ptr<sp::BehaviourLog> log;
  Db() {
    dir = (fs::temp_directory_path() / ("fuzz_journal_" + std::to_string(getpid()))).string();
    fs::remove_all(dir);
    fs::create_directories(dir);
    path = dir + "/fuzz.db";
    std::string err;
    if (sp::BehaviourLog::open(path, sp::LogOptions{}, log, err) != 0) std::abort();
    // Sessions 1..4 exist (ids the seeds use); others are orphans.
    for (int i = 0; i < 4; ++i) {
      sp::SessionRow s;
      s.viewer = "v";
      s.video = "x";
      s.start_wall_ms = 1000 * (i + 1);
      if (log->begin_session(s, err) != 0) std::abort();
    }
  }
  ~Db() { fs::remove_all(dir); }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static Db db;
  const std::string_view bytes(reinterpret_cast<const char *>(data), size);
  sp::JournalContents c;
  std::string err;
  const bool ok = sp::parse_journal(bytes, c, err);
  if (!ok) {
    if (err.empty()) std::abort();
  } else {
    if (c.ignored_bytes > size - sp::kJournalHeaderBytes) std::abort();
    if (c.records != c.events.size() + c.ends.size()) std::abort();
    for (const auto &e : c.events) {
      std::string again = sp::journal_header(0, 0, 0) + sp::journal_event_record(e.session_id, e.ix);
      sp::JournalContents back;
      if (!sp::parse_journal(again, back, err) || back.events.size() != 1 || !(back.events[0].ix == e.ix) ||
          back.events[0].session_id != e.session_id)
        std::abort();
    }
    for (const auto &e : c.ends) {
      std::string again =
          sp::journal_header(0, 0, 0) + sp::journal_end_record(e.session_id, e.end_wall_ms, e.reason);
      sp::JournalContents back;
      if (!sp::parse_journal(again, back, err) || back.ends.size() != 1 || back.ends[0].reason != e.reason ||
          back.ends[0].end_wall_ms != e.end_wall_ms)
        std::abort();
    }
  }

  // The same bytes as a journal a killed writer left beside the database.
  const std::string file = sp::journal_prefix(db.path) + "1-fuzz";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
  }
  sp::JournalRecovery rec;
  int r = sp::recover_journals(db.path, *db.log, rec, err);
  if (r != 0) std::abort(); // nobody else holds the database
  const bool exists = fs::exists(file);
  if (size == 0) {
    if (exists) std::abort(); // an empty journal is removed
  } else if (ok) {
    if (exists || rec.journals != 1) std::abort();
    const auto &n = rec.counts;
    if (n.events_added + n.events_present + n.events_orphaned != static_cast<int64_t>(c.events.size()))
      std::abort();
  } else {
    if (!exists || rec.problems.size() != 1) std::abort();
    fs::remove(file);
  }
  return 0;
}
