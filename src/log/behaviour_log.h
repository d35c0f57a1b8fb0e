// The behaviour log: one SQLite database (WAL) holding the library catalogue
// (videos), viewers, viewing sessions, their events, the control plane's
// decisions and the predictor's models. Schema versioned with
// PRAGMA user_version and migrated forward on open (docs/behaviour-log.md).
//
// Thread safety: a BehaviourLog object is used by one thread at a time (the
// control thread, or a tool's main thread). Several processes/objects may
// open the same file; SQLite's locking + busy timeout arbitrate, and a write
// that still cannot get the lock returns SP_ERR_DB_LOCKED (the caller keeps
// its batch and retries; nothing is dropped).
//
// Every function returns kOk or an error code (core/result.h) and
// fills `err` with a clear message on failure (never throws).
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/interaction.h"
#include "trace/trace.h"

namespace sp {

struct LogOptions {
  int busy_timeout_ms = 5000;  // sqlite3_busy_timeout
  bool read_only = false;      // open without creating or migrating (tools: list/export)
};

struct VideoRow {
  std::string id;          // stable id (catalogue: derived from the path unless given)
  std::string title;
  std::string genre;       // "unknown" when not known
  std::string path;        // file path or URL
  int64_t length_ms = 0;
  int width = 0, height = 0;
  bool has_audio = false;
  int64_t added_wall_ms = 0;
};

struct SessionRow {
  int64_t id = 0;          // assigned by the log
  std::string viewer;
  std::string video;       // VideoRow::id
  int64_t start_wall_ms = 0;
  int64_t end_wall_ms = 0; // 0 while open
  std::string end_reason;  // "" while open
  std::string policy;      // policy in force when the session started
};

// One control-plane decision (for audit and replay).
struct DecisionRow {
  int64_t session_id = 0;
  int64_t wall_ms = 0;
  int64_t position_ms = 0;
  std::string action;      // "sleep" | "wake"
  std::string reason;      // "policy" | "proactive" | "on_demand" | "session_end" ...
  std::string policy;
  int64_t planned_ms = -1; // sleep: planned asleep ms (-1 = until an interaction)
  int64_t seq = 0;         // last event seq at the decision
};

// A stored predictor model (the predictor owns the blob's meaning).
struct ModelRow {
  int64_t version = 0;       // assigned by the log, increasing
  std::string kind;          // e.g. "hazard-logreg"
  int64_t created_wall_ms = 0;
  std::string blob;          // JSON text: coefficients, scaling, horizons
  std::string metrics;       // JSON text: log loss, calibration, ...
  int64_t sessions_seen = 0, events_seen = 0;
};

// What an adopted interaction journal (log/journal.h) holds about one
// session, to be written by recover_sessions().
struct RecoveredSession {
  int64_t id = 0;
  std::vector<Interaction> events;
  // The session's end as its writer recorded it (reason "" = not recorded).
  int64_t end_wall_ms = 0;
  std::string end_reason;
  // The writer had the session open when it died (and recorded no end): if
  // the log still shows it open and started at start_wall_ms, it is ended
  // as "crashed" at its last event's time.
  bool open_at_crash = false;
  int64_t start_wall_ms = 0;
};
struct RecoveryCounts {
  int64_t events_added = 0;     // were missing from the log, now written
  int64_t events_present = 0;   // the log held them already
  int64_t events_orphaned = 0;  // their session is not in this log: not written
  int64_t sessions_ended = 0;   // ended with the reason their writer recorded
  int64_t sessions_crashed = 0; // ended as "crashed"
};

class BehaviourLog {
public:
  // Opens or creates the file; creates/migrates the schema (not when
  // read_only). Errors: SP_ERR_DB_CORRUPT (not a database / malformed),
  // SP_ERR_DB_READONLY (cannot write where writing is needed),
  // SP_ERR_DB_LOCKED (still locked after busy_timeout_ms), SP_ERR_DB (other),
  // SP_ERR_NOT_FOUND (read_only and the file does not exist).
  static int open(const std::string &path, const LogOptions &opt, std::unique_ptr<BehaviourLog> &out,
                  std::string &err);
  virtual ~BehaviourLog() = default;

  virtual int schema_version() const = 0;

  // While *flag is true, every statement on this connection stops (SQLite
  // checks it every few thousand steps) and the call returns SP_ERR_DB with
  // "interrupted" in err. For a long read that must end soon (the trainer of
  // a player being destroyed). Null: never. Set it before use, from the
  // thread that uses the log; the flag itself may be set from any thread.
  virtual void set_interrupt(const std::atomic<bool> *flag) = 0;

  // Catalogue.
  virtual int upsert_video(const VideoRow &v, std::string &err) = 0;
  // Several videos in one transaction: all are written or none (the CLI's
  // `add`). The default loops over upsert_video (not atomic); the SQLite log
  // overrides it.
  virtual int upsert_videos(const std::vector<VideoRow> &vs, std::string &err) {
    for (const auto &v : vs)
      if (int r = upsert_video(v, err)) return r;
    return 0;
  }
  virtual int find_video(const std::string &id, std::optional<VideoRow> &out, std::string &err) = 0;
  virtual int find_video_by_path(const std::string &path, std::optional<VideoRow> &out, std::string &err) = 0;
  virtual int list_videos(std::vector<VideoRow> &out, std::string &err) = 0;
  virtual int upsert_viewer(const std::string &viewer, int64_t wall_ms, std::string &err) = 0;

  // Sessions and events. append_events writes the batch in one transaction
  // (all or nothing). (session, seq) is unique: an event whose seq the
  // session already holds is not written (the row in the log stays as it
  // was; re-appending a written batch changes nothing) and its seq is listed
  // in *duplicate_seqs, so a caller that knows its seqs are new (the control
  // plane) counts and reports it instead of losing it silently.
  virtual int begin_session(SessionRow &s, std::string &err) = 0;  // sets s.id
  // The session and its first event (the open) in one transaction: a failure
  // leaves no session without events behind. The default is not atomic; the
  // SQLite log overrides it.
  virtual int begin_session_with(SessionRow &s, const Interaction &first, std::string &err) {
    if (int r = begin_session(s, err)) return r;
    return append_events(s.id, {first}, err, nullptr);
  }
  virtual int end_session(int64_t session_id, int64_t end_wall_ms, const std::string &reason,
                          std::string &err) = 0;
  virtual int append_events(int64_t session_id, const std::vector<Interaction> &batch, std::string &err,
                            std::vector<int64_t> *duplicate_seqs = nullptr) = 0;
  virtual int append_decisions(const std::vector<DecisionRow> &batch, std::string &err) = 0;

  // Reading back.
  virtual int read_events(int64_t session_id, std::vector<Interaction> &out, std::string &err) = 0;
  virtual int read_decisions(int64_t session_id, std::vector<DecisionRow> &out, std::string &err) = 0;
  // Every session (optionally only those with id > after_id) as traces,
  // joined with the video's genre and length. session_id = decimal id.
  virtual int read_traces(std::vector<TraceSession> &out, std::string &err, int64_t after_id = 0) = 0;
  // Import trace sessions (e.g. simulated seed history): creates viewers,
  // videos (id/genre/length from the trace, path "") and sessions.
  virtual int import_traces(const std::vector<TraceSession> &sessions, std::string &err) = 0;

  // Crash recovery (log/journal_recovery.h): in one transaction, writes the
  // events the log lacks (an event already there is left as it is), and ends
  // each session that is still open: with its recorded end, else as
  // "crashed" (end time = its last event's wall time). Idempotent.
  virtual int recover_sessions(const std::vector<RecoveredSession> &sessions, RecoveryCounts &counts,
                               std::string &err) = 0;

  // Models.
  virtual int save_model(ModelRow &m, std::string &err) = 0;  // sets m.version
  virtual int latest_model(const std::string &kind, std::optional<ModelRow> &out, std::string &err) = 0;
};

} // namespace sp
