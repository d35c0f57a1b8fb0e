// Crash recovery at the open of a behaviour database: the interaction
// journals (log/journal.h) that killed writers left beside it are adopted,
// what they hold that the database lacks is written, the sessions they had
// open are ended (with the end their writer recorded, else as "crashed" at
// their last event's time), and the journals are removed. A journal whose
// writer is alive is locked and never touched.
//
// Idempotent: a recovery killed half-way is done again by the next open
// (events are keyed by session and seq; a session is ended only while open).
//
// Thread safety: the BehaviourLog's (one thread at a time); several
// processes may recover the same database at once (each journal is locked
// by the one adopting it).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "log/behaviour_log.h"

namespace sp {

struct JournalRecovery {
  int64_t journals = 0;      // adopted and removed
  RecoveryCounts counts;     // what was written
  int64_t ignored_bytes = 0; // incomplete trailing records (a write cut short by the kill)
  int64_t rejected_records = 0;
  std::vector<std::string> problems; // journals left in place, and why
};

// Returns kOk (possibly with problems listed), or the database's error code
// with a message when writing failed; the journals then stay for the next open.
int recover_journals(const std::string &db_path, BehaviourLog &log, JournalRecovery &out, std::string &err);

// For the programs other than the player that open a behaviour database
// (smartplayer-cli, smartplayer-train). Opened to write, they recover the
// journals as the player does; opened to read, they cannot, and say what
// waits beside the database instead, so that what they read is known to
// lack it. Returns a line for stderr ("" when there is nothing to say).
std::string recover_for_tool(const std::string &db_path, BehaviourLog &log, bool read_only);

} // namespace sp
