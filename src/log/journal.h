// The interaction journal: a small append-only file beside the behaviour
// database that makes an accepted control call survive a kill of the
// process before the control thread has committed it to SQLite.
//
// The calling thread appends each interaction (one pwrite(2) into the page
// cache: microseconds, never a wait for SQLite or for another process's
// lock); the control thread commits the same interactions to SQLite in its
// batches and tells the journal how far the file is now in the database
// (committed()), and the journal drops what is committed. A process that is
// killed leaves its journal behind; the next open of the database, by any
// process, adopts it (journal_recovery.h) and writes what it holds that the
// database lacks. What is promised (docs/reliability.md):
//   - process crash / kill -9: every record whose append returned is in the
//     file (the page cache belongs to the kernel, not to the process);
//   - power loss or a kernel crash: records are not fsynced, so those not yet
//     committed to SQLite may be lost; what SQLite committed is durable (WAL,
//     synchronous=FULL). The file itself and its open-session slot are
//     fsynced (at create and at each session start), so the session a power
//     loss interrupted is still ended at the next open.
//
// Files. One journal per writer (per player), named
// "<database file>-spj-<pid>-<16 hex digits>" in the database's folder and
// held with flock(LOCK_EX) for the writer's lifetime: a journal that can be
// locked has no live writer and may be adopted. The lock belongs to the open
// file description, so it is held until the writer closes it or its process
// dies (a child forked without exec inherits it).
//
// Format (little-endian):
//   header, 40 bytes:   "SPJRNL\0\x1a", u32 version (1), u32 writer pid,
//                       slot = { i64 open session id, i64 its start (wall ms),
//                                u32 CRC-32 of those 16 bytes, u32 zero }
//   records, repeated:  u32 payload length, u32 CRC-32 of the payload, payload
//   payload:            u8 type, then
//     1 event:          i64 session, i64 seq, i32 kind, i64 position_ms,
//                       i64 wall_ms, u8 mask (1 from, 2 to, 4 old, 8 value),
//                       i64 from_ms, i64 to_ms, f64 old_value, f64 value
//     2 session end:    i64 session, i64 end wall ms, u16 n, n bytes reason
// The slot is rewritten in place (one 24-byte pwrite inside the first page)
// when a session begins. Appends are serialised and written at the end of the
// previous record, so only the last record can be incomplete; the reader
// stops at the first record that is incomplete or fails its CRC.
//
// Thread safety: append_event() and append_end() from any thread (an
// internal mutex orders them); set_open_session(), committed() and the
// destructor from one owning thread (the control thread). parse_journal()
// is a pure function.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/interaction.h"

namespace sp {

// ---------------------------------------------------------------- reading
struct JournalEvent {
  int64_t session_id = 0;
  Interaction ix;
};
struct JournalEnd {
  int64_t session_id = 0;
  int64_t end_wall_ms = 0;
  std::string reason;
};

struct JournalContents {
  uint32_t writer_pid = 0;
  int64_t open_session_id = 0; // the session the writer had open (0: none, or a damaged slot)
  int64_t open_session_start_ms = 0;
  std::vector<JournalEvent> events; // in file order
  std::vector<JournalEnd> ends;
  size_t records = 0;       // records read (events + ends)
  size_t rejected = 0;      // records with a good CRC but a bad value or an unknown type, skipped
  size_t ignored_bytes = 0; // an incomplete or damaged tail after the last good record
  bool slot_damaged = false;
};

constexpr size_t kJournalHeaderBytes = 40;
constexpr size_t kJournalMaxReason = 255; // longest session-end reason stored

// Reads a journal file's bytes. Never throws; memory is bounded by the
// input's size. Returns false (with a message in err) only when the bytes do
// not begin with a journal header of a version this build reads.
bool parse_journal(std::string_view bytes, JournalContents &out, std::string &err);

// Encoders, as the writer uses them (also for tests and the fuzzer's seeds).
std::string journal_header(uint32_t pid, int64_t open_session_id, int64_t open_session_start_ms);
std::string journal_event_record(int64_t session_id, const Interaction &ix);
std::string journal_end_record(int64_t session_id, int64_t end_wall_ms, std::string_view reason);

// "<database file>-spj-": the name every journal of `db_path` begins with.
std::string journal_prefix(const std::string &db_path);

// ---------------------------------------------------------------- writing
class Journal {
public:
  // Creates and locks a new journal beside `db_path`. Returns kOk, or kErrIo
  // / kErrDbReadonly with a message.
  static int create(const std::string &db_path, std::unique_ptr<Journal> &out, std::string &err);
  // Closes the journal. The file is removed when everything in it was
  // committed; otherwise it stays for the next open of the database to adopt.
  ~Journal();
  Journal(const Journal &) = delete;
  Journal &operator=(const Journal &) = delete;

  // Append one record. On success *end_offset is the record's end in the
  // journal's stream: the bytes ever appended, header included, counted
  // across trims and rotations (so an offset taken before a rotation still
  // means the same records after it). Pass it to committed() once the record
  // is in the database. Returns
  // kOk or kErrIo (disk full, I/O error) with a message; a failed append
  // leaves the journal as it was.
  int append_event(int64_t session_id, const Interaction &ix, int64_t *end_offset, std::string &err);
  int append_end(int64_t session_id, int64_t end_wall_ms, std::string_view reason, int64_t *end_offset,
                 std::string &err);
  // Record the session now open (0: none) in the header's slot, and fsync it.
  int set_open_session(int64_t session_id, int64_t start_ms, std::string &err);
  // Every record before end_offset is in the database. When the
  // committed records reach kTrimBytes the journal drops them: it truncates
  // the file when nothing after them is pending, otherwise it moves the
  // pending tail into a fresh journal (written and locked before the old one
  // is removed, so a kill at any moment leaves every pending record on disk).
  void committed(int64_t end_offset);

  static constexpr int64_t kTrimBytes = 64 * 1024;

  std::string path() const;
  int64_t size() const;          // bytes in the file now
  int64_t pending_bytes() const; // bytes after the committed offset
  int64_t rotations() const;     // times the pending tail moved to a fresh file (tests)

private:
  Journal(std::string db_path, std::string path, int fd);
  int append(const std::string &rec, int64_t *end_offset, std::string &err);
  void trim_locked();

  const std::string db_path_;
  mutable std::mutex mu_;
  std::string path_;                          // mu_
  int fd_;                                    // mu_
  // Positions in the stream of records (see append_event); the file holds
  // the stream from base_ + kJournalHeaderBytes on, at file offset
  // position - base_. A trim or a rotation moves base_, never end_ or
  // committed_.
  int64_t end_ = 0;                           // mu_: bytes written (the next record goes here)
  int64_t committed_ = 0;                     // mu_: everything before it is in the database
  int64_t base_ = 0;                          // mu_
  int64_t slot_session_ = 0, slot_start_ = 0; // mu_
  int64_t rotations_ = 0;                     // mu_
  bool trim_failed_ = false;  // mu_: do not retry a failed rotation until the file has grown again
  int64_t trim_retry_at_ = 0; // mu_
};

// ---------------------------------------------------------------- adopting
// A journal whose writer is gone, locked by this process while it is
// written to the database. discard() removes the file (after the database
// holds its records); the destructor only releases it (a failed write
// leaves it for the next open).
class AdoptedJournal {
public:
  AdoptedJournal(std::string path, int fd, JournalContents contents);
  ~AdoptedJournal();
  AdoptedJournal(AdoptedJournal &&o) noexcept;
  AdoptedJournal &operator=(AdoptedJournal &&) = delete;
  AdoptedJournal(const AdoptedJournal &) = delete;

  const std::string &path() const { return path_; }
  const JournalContents &contents() const { return contents_; }
  void discard();

private:
  std::string path_;
  int fd_;
  JournalContents contents_;
};

// Finds the journals beside `db_path` that no live writer holds, locks and
// reads each. Files that cannot be read or are not journals are left in place
// and described in `problems`; an empty file (a writer killed while creating
// it) is removed. Never throws.
void adopt_journals(const std::string &db_path, std::vector<AdoptedJournal> &out,
                    std::vector<std::string> &problems);

} // namespace sp
