// BehaviourLog's operations on an open SQLite database (sqlite_log.h):
// catalogue, sessions and events, decisions, reading back, import, recovery
// and models, each a cached prepared statement, writes in BEGIN IMMEDIATE
// transactions.
#include "log/sqlite_log.h"

#include <type_traits>
#include <unordered_map>

#include "core/result.h"

namespace sp::sqlite_log {

using sqlite::DbPtr;
using sqlite::Stmt;
using sqlite::StmtPtr;

int map_code(int rc) {
  switch (rc & 0xff) {
  case SQLITE_OK:
  case SQLITE_ROW:
  case SQLITE_DONE:
    return kOk;
  case SQLITE_NOTADB:
  case SQLITE_CORRUPT:
    return kErrDbCorrupt;
  case SQLITE_READONLY:
  case SQLITE_PERM:
    return kErrDbReadonly;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return kErrDbLocked;
  case SQLITE_NOMEM:
    return kErrNoMemory;
  default:
    return kErrDb;
  }
}

const char *code_hint(int code) {
  switch (code) {
  case kErrDbCorrupt:
    return " (the file is corrupt or not a database)";
  case kErrDbReadonly:
    return " (the database cannot be written)";
  case kErrDbLocked:
    return " (still locked by another connection after the busy timeout)";
  default: return "";
  }
}

namespace {

class SqliteLog final : public BehaviourLog {
public:
  SqliteLog(std::string path, std::unique_ptr<SideFiles> sides, DbPtr db, bool read_only, int version)
      : path_(std::move(path)), sides_(std::move(sides)), db_(std::move(db)), read_only_(read_only),
        version_(version) {}

  int schema_version() const override { return version_; }

  void set_interrupt(const std::atomic<bool> *flag) override {
    if (flag)
      sqlite3_progress_handler(
          db_.get(), 1000, [](void *f) { return static_cast<const std::atomic<bool> *>(f)->load() ? 1 : 0; },
          const_cast<std::atomic<bool> *>(flag));
    else
      sqlite3_progress_handler(db_.get(), 0, nullptr, nullptr);
  }

  // ---- catalogue -------------------------------------------------------
  int upsert_video(const VideoRow &v, std::string &err) override {
    if (v.id.empty()) return invalid("upsert_video: empty video id", err);
    return exec(R"(INSERT INTO videos(id,title,genre,path,length_ms,width,height,has_audio,added_wall_ms)
                   VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)
                   ON CONFLICT(id) DO UPDATE SET title=excluded.title, genre=excluded.genre,
                     path=excluded.path, length_ms=excluded.length_ms, width=excluded.width,
                     height=excluded.height, has_audio=excluded.has_audio)",
                "upsert video '" + v.id + "'", err, v.id, v.title, or_unknown(v.genre), v.path, v.length_ms,
                v.width, v.height, v.has_audio, v.added_wall_ms);
  }

  int upsert_videos(const std::vector<VideoRow> &vs, std::string &err) override {
    for (const auto &v : vs)
      if (v.id.empty()) return invalid("upsert_videos: empty video id", err);
    if (vs.empty()) return kOk;
    Txn tx(*this);
    if (int r = tx.begin("add videos", err)) return r;
    for (const auto &v : vs)
      if (int r = upsert_video(v, err)) return r;
    return tx.commit("add videos", err);
  }

  int find_video(const std::string &id, std::optional<VideoRow> &out, std::string &err) override {
    return find_video_where("id", id, out, err);
  }
  int find_video_by_path(const std::string &path, std::optional<VideoRow> &out, std::string &err) override {
    return find_video_where("path", path, out, err);
  }

  int list_videos(std::vector<VideoRow> &out, std::string &err) override {
    out.clear();
    return query(std::string(kVideoSelect) + " ORDER BY id", "list videos", err,
                 [&](const Stmt &st) { out.push_back(video_from(st)); });
  }

  int upsert_viewer(const std::string &viewer, int64_t wall_ms, std::string &err) override {
    if (viewer.empty()) return invalid("upsert_viewer: empty viewer id", err);
    return exec(kViewerUpsert, "upsert viewer '" + viewer + "'", err, viewer, wall_ms);
  }

  // ---- sessions and events ----------------------------------------------
  int begin_session(SessionRow &s, std::string &err) override { return begin(s, nullptr, err); }
  int begin_session_with(SessionRow &s, const Interaction &first, std::string &err) override {
    return begin(s, &first, err);
  }

  int begin(SessionRow &s, const Interaction *first, std::string &err) {
    if (s.viewer.empty() || s.video.empty()) return invalid("begin_session: empty viewer or video id", err);
    if (first &&
        (first->seq < 1 || static_cast<int>(first->kind) < 0 || static_cast<int>(first->kind) >= kKindCount))
      return invalid("begin_session: bad first event", err);
    Txn tx(*this);
    if (int r = tx.begin("begin session", err)) return r;
    if (int r = upsert_viewer(s.viewer, s.start_wall_ms, err)) return r;
    if (int r = exec(kSessionInsert, "begin session", err, s.viewer, s.video, s.start_wall_ms, s.end_wall_ms,
                     s.end_reason, s.policy))
      return r;
    int64_t id = sqlite3_last_insert_rowid(db_.get());
    if (first) {
      bool dup = false;
      if (int r = insert_event(id, *first, err, &dup)) return r;
    }
    if (int r = tx.commit("begin session", err)) return r;
    s.id = id;
    return kOk;
  }

  int end_session(int64_t session_id, int64_t end_wall_ms, const std::string &reason, std::string &err) override {
    if (int r = exec("UPDATE sessions SET end_wall_ms=?2, end_reason=?3 WHERE id=?1",
                     "end session " + std::to_string(session_id), err, session_id, end_wall_ms, reason))
      return r;
    if (sqlite3_changes(db_.get()) == 0) {
      err = path_ + ": end session: no session " + std::to_string(session_id);
      return kErrNotFound;
    }
    return kOk;
  }

  int append_events(int64_t session_id, const std::vector<Interaction> &batch, std::string &err,
                    std::vector<int64_t> *duplicate_seqs) override {
    if (duplicate_seqs) duplicate_seqs->clear();
    for (const auto &e : batch) {
      int k = static_cast<int>(e.kind);
      if (e.seq < 1 || k < 0 || k >= kKindCount)
        return invalid("append_events: session " + std::to_string(session_id) + ": bad event (seq " +
                           std::to_string(e.seq) + ", kind " + std::to_string(k) + ")",
                       err);
    }
    if (batch.empty()) return kOk;
    Txn tx(*this);
    if (int r = tx.begin("append events", err)) return r;
    if (int r = session_exists(session_id, "append events", err)) return r;
    std::vector<int64_t> dups;
    for (const auto &e : batch) {
      bool dup = false;
      if (int r = insert_event(session_id, e, err, &dup)) return r;
      if (dup) dups.push_back(e.seq);
    }
    if (int r = tx.commit("append events", err)) return r;
    if (duplicate_seqs) *duplicate_seqs = std::move(dups);
    return kOk;
  }

  int append_decisions(const std::vector<DecisionRow> &batch, std::string &err) override {
    if (batch.empty()) return kOk;
    Txn tx(*this);
    if (int r = tx.begin("append decisions", err)) return r;
    for (const auto &d : batch)
      if (int r =
              exec(R"(INSERT INTO decisions(session,wall_ms,position_ms,action,reason,policy,planned_ms,seq)
                          VALUES(?1,?2,?3,?4,?5,?6,?7,?8))",
                   "append decisions", err, d.session_id, d.wall_ms, d.position_ms, d.action, d.reason,
                   d.policy, d.planned_ms, d.seq))
        return r;
    return tx.commit("append decisions", err);
  }

  // ---- reading back ------------------------------------------------------
  int read_events(int64_t session_id, std::vector<Interaction> &out, std::string &err) override {
    out.clear();
    return query(R"(SELECT seq,kind,position_ms,wall_ms,from_ms,to_ms,old_value,value
                    FROM events WHERE session=?1 ORDER BY seq)",
                 "read events", err,
                 [&](const Stmt &st) -> int {
                   Interaction e;
                   e.seq = st.i64(0);
                   int64_t k = st.i64(1);
                   if (k < 0 || k >= kKindCount) {
                     err = path_ + ": session " + std::to_string(session_id) + " event " +
                           std::to_string(e.seq) + ": unknown kind " + std::to_string(k) +
                           " (corrupt or written by a newer version)";
                     return kErrDbCorrupt;
                   }
                   e.kind = static_cast<Kind>(k);
                   e.position_ms = st.i64(2);
                   e.wall_ms = st.i64(3);
                   e.from_ms = st.opt_i64(4);
                   e.to_ms = st.opt_i64(5);
                   e.old_value = st.opt_dbl(6);
                   e.value = st.opt_dbl(7);
                   out.push_back(e);
                   return kOk;
                 },
                 session_id);
  }

  int read_decisions(int64_t session_id, std::vector<DecisionRow> &out, std::string &err) override {
    out.clear();
    return query(R"(SELECT session,wall_ms,position_ms,action,reason,policy,planned_ms,seq
                    FROM decisions WHERE session=?1 ORDER BY id)",
                 "read decisions", err,
                 [&](const Stmt &st) {
                   out.push_back(DecisionRow{st.i64(0), st.i64(1), st.i64(2), st.text(3), st.text(4),
                                             st.text(5), st.i64(6), st.i64(7)});
                 },
                 session_id);
  }

  int read_traces(std::vector<TraceSession> &out, std::string &err, int64_t after_id) override {
    out.clear();
    // One read transaction so sessions and events form one snapshot.
    Txn tx(*this);
    if (int r = tx.begin_read("read traces", err)) return r;
    if (int r = query(R"(SELECT s.id, s.viewer, s.video, v.genre, v.length_ms, s.start_wall_ms,
                                s.end_wall_ms, s.end_reason
                         FROM sessions s LEFT JOIN videos v ON v.id = s.video
                         WHERE s.id > ?1 ORDER BY s.id)",
                      "read traces", err,
                      [&](const Stmt &st) {
                        TraceSession t;
                        t.session_id = std::to_string(st.i64(0));
                        t.viewer = st.text(1);
                        t.video = st.text(2);
                        t.genre = st.is_null(3) ? std::string("unknown") : st.text(3);
                        if (t.genre.empty()) t.genre = "unknown";
                        t.duration_ms = st.is_null(4) ? 0 : st.i64(4);
                        t.start_wall_ms = st.i64(5);
                        t.end_wall_ms = st.i64(6);
                        t.end_reason = st.text(7);
                        out.push_back(std::move(t));
                      },
                      after_id))
      return r;
    for (auto &t : out)
      if (int r = read_events(std::stoll(t.session_id), t.events, err)) return r;
    return tx.commit("read traces", err);
  }

  int import_traces(const std::vector<TraceSession> &sessions, std::string &err) override {
    for (const auto &t : sessions)
      if (t.viewer.empty() || t.video.empty())
        return invalid("import_traces: session '" + t.session_id + "' has an empty viewer or video", err);
    Txn tx(*this);
    if (int r = tx.begin("import traces", err)) return r;
    for (const auto &t : sessions) {
      if (int r = upsert_viewer(t.viewer, t.start_wall_ms, err)) return r;
      if (int r = exec(
              R"(INSERT INTO videos(id,title,genre,path,length_ms,added_wall_ms)
                 VALUES(?1,?1,?2,'',?3,?4)
                 ON CONFLICT(id) DO UPDATE SET
                   genre = CASE WHEN videos.genre IN ('', 'unknown') THEN excluded.genre ELSE videos.genre END,
                   length_ms = CASE WHEN videos.length_ms = 0 THEN excluded.length_ms ELSE videos.length_ms END)",
              "import video '" + t.video + "'", err, t.video, or_unknown(t.genre), t.duration_ms,
              t.start_wall_ms))
        return r;
      if (int r = exec(kSessionInsert, "import session '" + t.session_id + "'", err, t.viewer, t.video,
                       t.start_wall_ms, t.end_wall_ms, t.end_reason, "import"))
        return r;
      int64_t id = sqlite3_last_insert_rowid(db_.get());
      for (const auto &e : t.events) {
        int k = static_cast<int>(e.kind);
        if (e.seq < 1 || k < 0 || k >= kKindCount)
          return invalid("import_traces: session '" + t.session_id + "': bad event seq " + std::to_string(e.seq),
                         err);
        bool dup = false;
        if (int r = insert_event(id, e, err, &dup)) return r;
        if (dup)
          return invalid("import_traces: session '" + t.session_id + "': seq " + std::to_string(e.seq) + " twice",
                         err);
      }
    }
    return tx.commit("import traces", err);
  }

  int recover_sessions(const std::vector<RecoveredSession> &sessions, RecoveryCounts &counts,
                       std::string &err) override {
    counts = RecoveryCounts{};
    if (sessions.empty()) return kOk;
    for (const auto &s : sessions)
      for (const auto &e : s.events) {
        int k = static_cast<int>(e.kind);
        if (e.seq < 1 || k < 0 || k >= kKindCount)
          return invalid(
              "recover: session " + std::to_string(s.id) + ": bad event seq " + std::to_string(e.seq), err);
      }
    RecoveryCounts c;
    Txn tx(*this);
    if (int r = tx.begin("recover sessions", err)) return r;
    for (const auto &s : sessions) {
      std::string missing;
      int r = session_exists(s.id, "recover sessions", missing);
      if (r == kErrNotFound) {
        c.events_orphaned += static_cast<int64_t>(s.events.size());
        continue;
      }
      if (r != kOk) {
        err = missing;
        return r;
      }
      for (const auto &e : s.events) {
        // Recovery writes only what the log lacks: a seq already there is the same event, committed.
        bool present = false;
        if (int rr = insert_event(s.id, e, err, &present)) return rr;
        (present ? c.events_present : c.events_added) += 1;
      }
      if (!s.end_reason.empty()) {
        if (int rr = exec("UPDATE sessions SET end_wall_ms=?2, end_reason=?3 WHERE id=?1 AND end_reason=''",
                          "recover the end of session " + std::to_string(s.id), err, s.id, s.end_wall_ms,
                          s.end_reason))
          return rr;
        c.sessions_ended += sqlite3_changes(db_.get());
      } else if (s.open_at_crash) {
        if (int rr = exec(R"(UPDATE sessions SET end_reason='crashed',
                               end_wall_ms=max(start_wall_ms,
                                               coalesce((SELECT max(wall_ms) FROM events WHERE session=?1), 0))
                             WHERE id=?1 AND end_reason='' AND start_wall_ms=?2)",
                          "close crashed session " + std::to_string(s.id), err, s.id, s.start_wall_ms))
          return rr;
        c.sessions_crashed += sqlite3_changes(db_.get());
      }
    }
    if (int r = tx.commit("recover sessions", err)) return r;
    counts = c;
    return kOk;
  }

  // ---- models ---------------------------------------------------------
  int save_model(ModelRow &m, std::string &err) override {
    if (m.kind.empty()) return invalid("save_model: empty kind", err);
    if (int r = exec(R"(INSERT INTO models(kind,created_wall_ms,blob,metrics,sessions_seen,events_seen)
                        VALUES(?1,?2,?3,?4,?5,?6))",
                     "save model", err, m.kind, m.created_wall_ms, m.blob, m.metrics, m.sessions_seen,
                     m.events_seen))
      return r;
    m.version = sqlite3_last_insert_rowid(db_.get());
    return kOk;
  }

  int latest_model(const std::string &kind, std::optional<ModelRow> &out, std::string &err) override {
    out.reset();
    return query(R"(SELECT version,kind,created_wall_ms,blob,metrics,sessions_seen,events_seen
                    FROM models WHERE kind=?1 ORDER BY version DESC LIMIT 1)",
                 "latest model", err,
                 [&](const Stmt &st) {
                   out = ModelRow{st.i64(0),  st.text(1), st.i64(2), st.text(3),
                                  st.text(4), st.i64(5),  st.i64(6)};
                 },
                 kind);
  }

private:
  static constexpr const char *kVideoSelect =
      "SELECT id,title,genre,path,length_ms,width,height,has_audio,added_wall_ms FROM videos";
  static constexpr const char *kViewerUpsert =
      R"(INSERT INTO viewers(id,first_seen_wall_ms) VALUES(?1,?2)
         ON CONFLICT(id) DO UPDATE SET first_seen_wall_ms = min(first_seen_wall_ms, excluded.first_seen_wall_ms))";
  static constexpr const char *kSessionInsert =
      R"(INSERT INTO sessions(viewer,video,start_wall_ms,end_wall_ms,end_reason,policy)
         VALUES(?1,?2,?3,?4,?5,?6))";

  // Write transaction guard: BEGIN IMMEDIATE (takes the write lock up front,
  // so a busy database fails here after the busy timeout, not halfway), and
  // ROLLBACK on destruction unless committed.
  class Txn {
  public:
    explicit Txn(SqliteLog &log) : log_(log) {}
    ~Txn() {
      if (open_) sqlite3_exec(log_.db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    Txn(const Txn &) = delete;
    Txn &operator=(const Txn &) = delete;
    int begin(const std::string &what, std::string &err) { return start("BEGIN IMMEDIATE", what, err); }
    int begin_read(const std::string &what, std::string &err) { return start("BEGIN DEFERRED", what, err); }
    int commit(const std::string &what, std::string &err) {
      int rc = sqlite3_exec(log_.db_.get(), "COMMIT", nullptr, nullptr, nullptr);
      if (rc != SQLITE_OK) return log_.fail(rc, what + " (commit)", err);  // destructor rolls back
      open_ = false;
      return kOk;
    }

  private:
    int start(const char *sql, const std::string &what, std::string &err) {
      int rc = sqlite3_exec(log_.db_.get(), sql, nullptr, nullptr, nullptr);
      if (rc != SQLITE_OK) return log_.fail(rc, what + " (begin)", err);
      open_ = true;
      return kOk;
    }
    SqliteLog &log_;
    bool open_ = false;
  };

  int fail(int rc, const std::string &what, std::string &err) const {
    int code = map_code(rc);
    if (code == kOk) code = kErrDb;
    if (read_only_ && code == kErrDbReadonly) {
      err = path_ + ": " + what + ": the log was opened read-only" + " (" + sqlite3_errmsg(db_.get()) + ")";
      return code;
    }
    err = path_ + ": " + what + ": " + sqlite3_errmsg(db_.get()) + code_hint(code);
    return code;
  }
  int done(int rc, const std::string &what, std::string &err) const {
    if (rc == SQLITE_DONE || rc == SQLITE_ROW || rc == SQLITE_OK) return kOk;
    return fail(rc, what, err);
  }
  int invalid(const std::string &msg, std::string &err) const {
    err = path_ + ": " + msg;
    return kErrInvalidArgument;
  }

  // Prepared statements are cached by SQL text and reused.
  int prepare(const std::string &sql, sqlite3_stmt *&out, std::string &err) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) {
      out = it->second.get();
      return kOk;
    }
    sqlite3_stmt *raw = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size() + 1), SQLITE_PREPARE_PERSISTENT,
                                &raw, nullptr);
    StmtPtr st(raw);
    if (rc != SQLITE_OK) return fail(rc, "prepare", err);
    out = raw;
    stmts_.emplace(sql, std::move(st));
    return kOk;
  }

  // The one way a statement runs: prepared (cached), `args` bound to ?1,
  // ?2, ... in order, stepped to the end with `row` called on each result
  // row (returning void, or a code that stops the walk when not kOk), and a
  // failure reported with `what`. Returns kOk or a code with err set.
  template <class Row, class... Args>
  int query(const std::string &sql, const std::string &what, std::string &err, Row &&row,
            const Args &...args) {
    sqlite3_stmt *raw = nullptr;
    if (int r = prepare(sql, raw, err)) return r;
    Stmt st(raw);
    st.bind_all(args...);
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
      if constexpr (std::is_void_v<std::invoke_result_t<Row &, const Stmt &>>)
        row(st);
      else if (int r = row(st))
        return r;
    }
    return done(rc, what, err);
  }
  // A statement without result rows.
  template <class... Args>
  int exec(const std::string &sql, const std::string &what, std::string &err, const Args &...args) {
    return query(
        sql, what, err, [](const Stmt &) {}, args...);
  }
  static std::string_view or_unknown(const std::string &genre) {
    return genre.empty() ? std::string_view("unknown") : std::string_view(genre);
  }

  int session_exists(int64_t id, const std::string &what, std::string &err) {
    bool found = false;
    if (int r = query(
            "SELECT 1 FROM sessions WHERE id=?1", what, err, [&](const Stmt &) { found = true; }, id))
      return r;
    if (found) return kOk;
    err = path_ + ": " + what + ": no session " + std::to_string(id);
    return kErrNotFound;
  }

  // Inserts one event. One whose (session, seq) is already in the log is not
  // written: *duplicate is set and the row stays as it was (the statement
  // alone is rolled back; the transaction goes on).
  int insert_event(int64_t session_id, const Interaction &e, std::string &err, bool *duplicate) {
    *duplicate = false;
    sqlite3_stmt *raw = nullptr;
    if (int r = prepare(R"(INSERT INTO events(session,seq,kind,position_ms,wall_ms,from_ms,to_ms,old_value,value)
                           VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9))",
                        raw, err))
      return r;
    Stmt st(raw);
    st.bind_all(session_id, e.seq, static_cast<int>(e.kind), e.position_ms, e.wall_ms, e.from_ms, e.to_ms,
                e.old_value, e.value);
    int rc = st.step();
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
      *duplicate = true;
      return kOk;
    }
    return done(rc, "append event " + std::to_string(e.seq) + " of session " + std::to_string(session_id), err);
  }

  static VideoRow video_from(const Stmt &st) {
    VideoRow v;
    v.id = st.text(0);
    v.title = st.text(1);
    v.genre = st.text(2);
    v.path = st.text(3);
    v.length_ms = st.i64(4);
    v.width = static_cast<int>(st.i64(5));
    v.height = static_cast<int>(st.i64(6));
    v.has_audio = st.i64(7) != 0;
    v.added_wall_ms = st.i64(8);
    return v;
  }

  int find_video_where(const char *col, const std::string &key, std::optional<VideoRow> &out, std::string &err) {
    out.reset();
    return query(
        std::string(kVideoSelect) + " WHERE " + col + "=?1 ORDER BY id LIMIT 1",
        std::string("find video by ") + col, err, [&](const Stmt &st) { out = video_from(st); }, key);
  }

  std::string path_;
  // Declared before db_, so it acts after the connection has closed.
  std::unique_ptr<SideFiles> sides_;
  DbPtr db_;
  // Declared after db_, so destroyed (finalized) before the connection closes.
  std::unordered_map<std::string, StmtPtr> stmts_;
  bool read_only_;
  int version_;
};

} // namespace

std::unique_ptr<BehaviourLog> make(std::string path, std::unique_ptr<SideFiles> sides, DbPtr db, bool read_only,
                                   int version) {
  return std::make_unique<SqliteLog>(std::move(path), std::move(sides), std::move(db), read_only, version);
}

} // namespace sp::sqlite_log
