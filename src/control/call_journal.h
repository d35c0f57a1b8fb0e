// The crash journal as the control plane keeps it (log/journal.h is the
// file): every accepted call is journalled before it returns, for the session
// open at that moment, in the order the plane queues it; a failure to journal
// becomes an Error event; and before the control thread serves anything, what
// killed players left in their journals beside the database is recovered
// into it (log/journal_recovery.h).
//
// Thread safety: append_event(), append_end() and session_started() are
// called with the control plane's lock held (that lock orders them with its
// queue and guards the open session); report() from any thread with no lock
// held; record_start() and recover() on the control thread.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "core/event.h"
#include "core/interaction.h"

namespace sp {

class BehaviourLog;
class Journal;

class CallJournal {
public:
  // Creates this player's journal beside `db_path` ("": no behaviour log, no
  // journal). Without one the log still works, and recover() says why.
  CallJournal(const std::string &db_path, EventSink sink);
  ~CallJournal();
  CallJournal(const CallJournal &) = delete;
  CallJournal &operator=(const CallJournal &) = delete;

  // The journal (nullptr: none), for the session writer to trim what it committed.
  Journal *journal() const { return journal_.get(); }

  // [plane's lock] Journal a call, or the end of the open session (after
  // which no session is open). Return the offset just past the record, or 0
  // when nothing was journalled (no journal, no session open, or a failure,
  // which is in err for report()).
  int64_t append_event(const Interaction &ix, std::string &err);
  int64_t append_end(int64_t end_wall_ms, const std::string &reason, std::string &err);
  // [plane's lock] Callers' interactions belong to `session_id` from now on.
  void session_started(int64_t session_id) { open_session_ = session_id; }

  // [control thread] Record the session just begun in the journal's slot
  // (fsynced), reporting a failure.
  void record_start(int64_t session_id, int64_t start_wall_ms);
  // [control thread, before serving] Say if there is no journal; adopt the
  // journals dead players left beside the database into `log` (nullptr:
  // none), and report what could not be recovered.
  void recover(BehaviourLog *log);

  // [any thread, no lock] An Error event for a failed append (`seq`: the
  // call's sequence number, 0 for a session end).
  void report(const std::string &err, int64_t seq) const;

private:
  std::string db_path_;
  EventSink sink_;
  std::unique_ptr<Journal> journal_;
  std::string unavailable_;  // why there is no journal (reported by recover())
  int64_t open_session_ = 0; // the session callers' interactions belong to (0: none)
};

} // namespace sp
