// The control plane's writer to the behaviour log: begins viewing sessions
// (the catalogue's video and viewer rows, the session row and its Open
// event), queues interactions, decisions and session ends, commits them in
// batches, and retries a locked database.
//
// Every queued row carries the session it belongs to, so a batch retried
// across a session change (sp_stop -> sp_open while another connection holds
// the lock) is written under its own session, and a session's end is written
// after its events. Nothing is dropped silently: an event whose seq its
// session already holds in the log (a genuine duplicate), and what still
// cannot be written at shutdown, are counted in events_dropped() and
// reported with an Error event saying why.
//
// With a crash journal (log/journal.h) the caller has appended each event
// and session end to it before queueing the row, and passes the journal
// offset just past that record; once rows are committed the writer tells the
// journal how far it is in the database (rows are written in journal order).
// What cannot be written at shutdown but is in the journal is not dropped:
// it stays in the journal and the next open of the database writes it.
//
// Thread safety: used by the control thread only, except the two counters,
// which any thread may read.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "control/session_info.h"
#include "core/event.h"
#include "core/interaction.h"
#include "log/behaviour_log.h"

namespace sp {

class Journal;

class SessionWriter {
public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMaxBatch = 256; // commit at once when this many events are queued
  static constexpr int kRetryMs = 100;     // delay before retrying a failed write

  struct Options {
    int busy_timeout_ms = 5000; // how long a locked db is retried when something must wait for it
    int batch_ms = 200;         // max delay between queueing an event and committing it
  };

  // `log` may be null (no behaviour log: rows are accepted and forgotten,
  // nothing counts as logged). `sink` receives Logged and Error events.
  // `journal` (may be null) is told what is committed; it must outlive the writer.
  SessionWriter(BehaviourLog *log, const Options &opt, EventSink sink, Journal *journal = nullptr);
  SessionWriter(const SessionWriter &) = delete;
  SessionWriter &operator=(const SessionWriter &) = delete;

  // Registers the video (keeping what the catalogue knows) and the viewer,
  // writes the session row (with the policy in force) and its Open event
  // (seq 1, at wall_ms), retrying a locked db for busy_timeout_ms. Blocks
  // until written. Sets session_id (0 without a log). Returns kOk or a code
  // with a message in err.
  int begin_session(const SessionInfo &info, const std::string &policy, int64_t wall_ms, int64_t &session_id,
                    std::string &err);

  // Queue rows; each is written under the session it names. `journal_end`:
  // the journal offset just past the row's journal record (0: not journaled).
  void add_event(int64_t session_id, const Interaction &ix, int64_t journal_end = 0);
  void add_decision(const DecisionRow &d);
  // The session's end, written after everything queued before it.
  void end_session(int64_t session_id, int64_t end_wall_ms, const std::string &reason,
                   int64_t journal_end = 0);

  bool empty() const { return q_.empty(); }
  // When the queue must be written: batch_ms after the oldest queued event,
  // or the retry time after a failure; nullopt when nothing needs a
  // deadline (nothing queued, or only decisions, which go with the next write).
  std::optional<Clock::time_point> due_at() const;
  bool due(Clock::time_point now) const;

  // Write everything queued, in order. With `final`, keep retrying a locked
  // db for busy_timeout_ms (at least 1 s); what still cannot be written is
  // reported and forgotten here: counted as dropped unless it is in the
  // journal (deferred to the next open). Otherwise a failure keeps the queue
  // (in front of anything newer), reports it and schedules a retry.
  // Returns true when nothing is left queued.
  bool flush(bool final);

  int64_t events_logged() const { return logged_.load(std::memory_order_relaxed); }
  int64_t events_dropped() const { return dropped_.load(std::memory_order_relaxed); }
  // An event that has no session to go to (the caller reports it).
  void count_dropped() { dropped_.fetch_add(1, std::memory_order_relaxed); }
  // Events left in the journal at shutdown for the next open to write.
  int64_t events_deferred() const { return deferred_.load(std::memory_order_relaxed); }

private:
  struct Row {
    enum class Type { Event, Decision, End } type = Type::Event;
    int64_t session_id = 0;
    Interaction ix;          // Event
    DecisionRow decision;    // Decision
    int64_t end_wall_ms = 0; // End
    std::string reason;      // End
    int64_t journal_end = 0; // Event, End: the journal offset past its record (0: none)
  };

  // Writes the queue front to back, one session's rows at a time (its events
  // in one transaction, its decisions in one, then its end), removing what
  // was written. Returns kOk when everything was written.
  int write_queued(std::string &err);
  int write_session_rows(int64_t session_id, size_t n, std::string &err);
  template <class F> int with_retry(F &&f, std::string &err);

  BehaviourLog *log_;
  Options opt_;
  EventSink sink_;
  Journal *journal_;
  std::deque<Row> q_;
  size_t queued_events_ = 0;
  Clock::time_point batch_deadline_{};
  bool retrying_ = false;
  Clock::time_point retry_at_{};
  std::atomic<int64_t> logged_{0}, dropped_{0}, deferred_{0};
};

} // namespace sp
