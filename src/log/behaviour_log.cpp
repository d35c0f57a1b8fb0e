// The behaviour log on SQLite (docs/behaviour-log.md).
//
// Durability: WAL journal with synchronous=FULL, so every committed
// transaction has been fsynced to the WAL before the commit returns: a
// process crash (or power loss) after a write returns loses nothing
// (synchronous=NORMAL would survive a process crash but could lose the last
// commits on power loss).
//
// Thread safety: one BehaviourLog object is used by one thread at a time
// (see behaviour_log.h); separate objects/processes may share the file.
#include "log/behaviour_log.h"

#include <unistd.h>

#include <filesystem>
#include <system_error>
#include <unordered_map>

#include "log/sqlite_handle.h"
#include "smartplayer.h"

namespace sp {
namespace {

using sqlite::DbPtr;
using sqlite::Stmt;
using sqlite::StmtPtr;

// Ordered schema migrations: kMigrations[i] takes user_version i to i+1.
// Never edit a released step; append a new one.
constexpr const char *kMigrations[] = {
    // v1: catalogue, viewers, sessions, events.
    R"sql(
CREATE TABLE videos(
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL DEFAULT '',
  genre TEXT NOT NULL DEFAULT 'unknown',
  path TEXT NOT NULL DEFAULT '',
  length_ms INTEGER NOT NULL DEFAULT 0,
  width INTEGER NOT NULL DEFAULT 0,
  height INTEGER NOT NULL DEFAULT 0,
  has_audio INTEGER NOT NULL DEFAULT 0,
  added_wall_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX videos_path ON videos(path);
CREATE TABLE viewers(
  id TEXT PRIMARY KEY,
  first_seen_wall_ms INTEGER NOT NULL DEFAULT 0);
CREATE TABLE sessions(
  id INTEGER PRIMARY KEY,
  viewer TEXT NOT NULL,
  video TEXT NOT NULL,
  start_wall_ms INTEGER NOT NULL,
  end_wall_ms INTEGER NOT NULL DEFAULT 0,
  end_reason TEXT NOT NULL DEFAULT '',
  policy TEXT NOT NULL DEFAULT '');
CREATE TABLE events(
  session INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  position_ms INTEGER NOT NULL,
  wall_ms INTEGER NOT NULL,
  from_ms INTEGER,
  to_ms INTEGER,
  old_value REAL,
  value REAL,
  PRIMARY KEY(session, seq));
)sql",
    // v2: control-plane decisions and predictor models.
    R"sql(
CREATE TABLE decisions(
  id INTEGER PRIMARY KEY,
  session INTEGER NOT NULL,
  wall_ms INTEGER NOT NULL,
  position_ms INTEGER NOT NULL,
  action TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  policy TEXT NOT NULL DEFAULT '',
  planned_ms INTEGER NOT NULL DEFAULT -1,
  seq INTEGER NOT NULL DEFAULT 0);
CREATE INDEX decisions_session ON decisions(session, id);
CREATE TABLE models(
  version INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  created_wall_ms INTEGER NOT NULL,
  blob TEXT NOT NULL,
  metrics TEXT NOT NULL DEFAULT '',
  sessions_seen INTEGER NOT NULL DEFAULT 0,
  events_seen INTEGER NOT NULL DEFAULT 0);
CREATE INDEX models_kind ON models(kind, version);
)sql",
};
constexpr int kSchemaVersion = static_cast<int>(std::size(kMigrations));

int map_code(int rc) {
  switch (rc & 0xff) {
  case SQLITE_OK:
  case SQLITE_ROW:
  case SQLITE_DONE:
    return SP_OK;
  case SQLITE_NOTADB:
  case SQLITE_CORRUPT:
    return SP_ERR_DB_CORRUPT;
  case SQLITE_READONLY:
  case SQLITE_PERM:
    return SP_ERR_DB_READONLY;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return SP_ERR_DB_LOCKED;
  case SQLITE_NOMEM:
    return SP_ERR_NO_MEMORY;
  default:
    return SP_ERR_DB;
  }
}

const char *code_hint(int code) {
  switch (code) {
  case SP_ERR_DB_CORRUPT: return " (the file is corrupt or not a database)";
  case SP_ERR_DB_READONLY: return " (the database cannot be written)";
  case SP_ERR_DB_LOCKED: return " (still locked by another connection after the busy timeout)";
  default: return "";
  }
}

class SqliteLog final : public BehaviourLog {
public:
  SqliteLog(std::string path, DbPtr db, bool read_only, int version)
      : path_(std::move(path)), db_(std::move(db)), read_only_(read_only), version_(version) {}

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
    sqlite3_stmt *raw = nullptr;
    if (int r = prepare(R"(INSERT INTO videos(id,title,genre,path,length_ms,width,height,has_audio,added_wall_ms)
                           VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)
                           ON CONFLICT(id) DO UPDATE SET title=excluded.title, genre=excluded.genre,
                             path=excluded.path, length_ms=excluded.length_ms, width=excluded.width,
                             height=excluded.height, has_audio=excluded.has_audio)",
                        raw, err))
      return r;
    Stmt st(raw);
    st.bind(1, v.id);
    st.bind(2, v.title);
    st.bind(3, v.genre.empty() ? std::string_view("unknown") : std::string_view(v.genre));
    st.bind(4, v.path);
    st.bind(5, v.length_ms);
    st.bind(6, int64_t{v.width});
    st.bind(7, int64_t{v.height});
    st.bind(8, int64_t{v.has_audio ? 1 : 0});
    st.bind(9, v.added_wall_ms);
    return done(st.step(), "upsert video '" + v.id + "'", err);
  }

  int upsert_videos(const std::vector<VideoRow> &vs, std::string &err) override {
    for (const auto &v : vs)
      if (v.id.empty()) return invalid("upsert_videos: empty video id", err);
    if (vs.empty()) return SP_OK;
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
    sqlite3_stmt *raw = nullptr;
    if (int r = prepare(std::string(kVideoSelect) + " ORDER BY id", raw, err)) return r;
    Stmt st(raw);
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) out.push_back(video_from(st));
    return done(rc, "list videos", err);
  }

  int upsert_viewer(const std::string &viewer, int64_t wall_ms, std::string &err) override {
    if (viewer.empty()) return invalid("upsert_viewer: empty viewer id", err);
    sqlite3_stmt *raw = nullptr;
    if (int r = prepare(kViewerUpsert, raw, err)) return r;
    Stmt st(raw);
    st.bind(1, viewer);
    st.bind(2, wall_ms);
    return done(st.step(), "upsert viewer '" + viewer + "'", err);
  }

  // ---- sessions and events ----------------------------------------------
  int begin_session(SessionRow &s, std::string &err) override {
    if (s.viewer.empty() || s.video.empty()) return invalid("begin_session: empty viewer or video id", err);
    Txn tx(*this);
    if (int r = tx.begin("begin session", err)) return r;
    if (int r = upsert_viewer(s.viewer, s.start_wall_ms, err)) return r;
    sqlite3_stmt *raw = nullptr;
    if (int r = prepare(kSessionInsert, raw, err)) return r;
    {
      Stmt st(raw);
      st.bind(1, s.viewer);
      st.bind(2, s.video);
      st.bind(3, s.start_wall_ms);
      st.bind(4, s.end_wall_ms);
      st.bind(5, s.end_reason);
      st.bind(6, s.policy);
      if (int r = done(st.step(), "begin session", err)) return r;
    }
    int64_t id = sqlite3_last_insert_rowid(db_.get());
    if (int r = tx.commit("begin session", err)) return r;
    s.id = id;
    return SP_OK;
  }

  int end_session(int64_t session_id, int64_t end_wall_ms, const std::string &reason, std::string &err) override {
    sqlite3_stmt *raw = nullptr;
    if (int r = prepare("UPDATE sessions SET end_wall_ms=?2, end_reason=?3 WHERE id=?1", raw, err)) return r;
    Stmt st(raw);
    st.bind(1, session_id);
    st.bind(2, end_wall_ms);
    st.bind(3, reason);
    if (int r = done(st.step(), "end session " + std::to_string(session_id), err)) return r;
    if (sqlite3_changes(db_.get()) == 0) {
      err = path_ + ": end session: no session " + std::to_string(session_id);
      return SP_ERR_NOT_FOUND;
    }
    return SP_OK;
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
    if (batch.empty()) return SP_OK;
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
    return SP_OK;
  }

  int append_decisions(const std::vector<DecisionRow> &batch, std::string &err) override {
    if (batch.empty()) return SP_OK;
    Txn tx(*this);
    if (int r = tx.begin("append decisions", err)) return r;
    sqlite3_stmt *raw = nullptr;
    if (int r = prepare(R"(INSERT INTO decisions(session,wall_ms,position_ms,action,reason,policy,planned_ms,seq)
                           VALUES(?1,?2,?3,?4,?5,?6,?7,?8))",
                        raw, err))
      return r;
    for (const auto &d : batch) {
      Stmt st(raw);
      st.bind(1, d.session_id);
      st.bind(2, d.wall_ms);
      st.bind(3, d.position_ms);
      st.bind(4, d.action);
      st.bind(5, d.reason);
      st.bind(6, d.policy);
      st.bind(7, d.planned_ms);
      st.bind(8, d.seq);
      if (int r = done(st.step(), "append decisions", err)) return r;
    }
    return tx.commit("append decisions", err);
  }

  // ---- reading back ------------------------------------------------------
  int read_events(int64_t session_id, std::vector<Interaction> &out, std::string &err) override {
    out.clear();
    sqlite3_stmt *raw = nullptr;
    if (int r = prepare(R"(SELECT seq,kind,position_ms,wall_ms,from_ms,to_ms,old_value,value
                           FROM events WHERE session=?1 ORDER BY seq)",
                        raw, err))
      return r;
    Stmt st(raw);
    st.bind(1, session_id);
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
      Interaction e;
      e.seq = st.i64(0);
      int64_t k = st.i64(1);
      if (k < 0 || k >= kKindCount) {
        err = path_ + ": session " + std::to_string(session_id) + " event " + std::to_string(e.seq) +
              ": unknown kind " + std::to_string(k) + " (corrupt or written by a newer version)";
        return SP_ERR_DB_CORRUPT;
      }
      e.kind = static_cast<Kind>(k);
      e.position_ms = st.i64(2);
      e.wall_ms = st.i64(3);
      e.from_ms = st.opt_i64(4);
      e.to_ms = st.opt_i64(5);
      e.old_value = st.opt_dbl(6);
      e.value = st.opt_dbl(7);
      out.push_back(e);
    }
    return done(rc, "read events", err);
  }

  int read_decisions(int64_t session_id, std::vector<DecisionRow> &out, std::string &err) override {
    out.clear();
    sqlite3_stmt *raw = nullptr;
    if (int r = prepare(R"(SELECT session,wall_ms,position_ms,action,reason,policy,planned_ms,seq
                           FROM decisions WHERE session=?1 ORDER BY id)",
                        raw, err))
      return r;
    Stmt st(raw);
    st.bind(1, session_id);
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
      DecisionRow d;
      d.session_id = st.i64(0);
      d.wall_ms = st.i64(1);
      d.position_ms = st.i64(2);
      d.action = st.text(3);
      d.reason = st.text(4);
      d.policy = st.text(5);
      d.planned_ms = st.i64(6);
      d.seq = st.i64(7);
      out.push_back(std::move(d));
    }
    return done(rc, "read decisions", err);
  }

  int read_traces(std::vector<TraceSession> &out, std::string &err, int64_t after_id) override {
    out.clear();
    // One read transaction so sessions and events form one snapshot.
    Txn tx(*this);
    if (int r = tx.begin_read("read traces", err)) return r;
    sqlite3_stmt *raw = nullptr;
    if (int r = prepare(R"(SELECT s.id, s.viewer, s.video, v.genre, v.length_ms, s.start_wall_ms,
                                  s.end_wall_ms, s.end_reason
                           FROM sessions s LEFT JOIN videos v ON v.id = s.video
                           WHERE s.id > ?1 ORDER BY s.id)",
                        raw, err))
      return r;
    {
      Stmt st(raw);
      st.bind(1, after_id);
      int rc;
      while ((rc = st.step()) == SQLITE_ROW) {
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
      }
      if (int r = done(rc, "read traces", err)) return r;
    }
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
    sqlite3_stmt *vid = nullptr, *ses = nullptr;
    if (int r = prepare(R"(INSERT INTO videos(id,title,genre,path,length_ms,added_wall_ms)
                           VALUES(?1,?1,?2,'',?3,?4)
                           ON CONFLICT(id) DO UPDATE SET
                             genre = CASE WHEN videos.genre IN ('', 'unknown') THEN excluded.genre ELSE videos.genre END,
                             length_ms = CASE WHEN videos.length_ms = 0 THEN excluded.length_ms ELSE videos.length_ms END)",
                        vid, err))
      return r;
    if (int r = prepare(kSessionInsert, ses, err)) return r;
    for (const auto &t : sessions) {
      if (int r = upsert_viewer(t.viewer, t.start_wall_ms, err)) return r;
      {
        Stmt st(vid);
        st.bind(1, t.video);
        st.bind(2, t.genre.empty() ? std::string_view("unknown") : std::string_view(t.genre));
        st.bind(3, t.duration_ms);
        st.bind(4, t.start_wall_ms);
        if (int r = done(st.step(), "import video '" + t.video + "'", err)) return r;
      }
      {
        Stmt st(ses);
        st.bind(1, t.viewer);
        st.bind(2, t.video);
        st.bind(3, t.start_wall_ms);
        st.bind(4, t.end_wall_ms);
        st.bind(5, t.end_reason);
        st.bind(6, std::string_view("import"));
        if (int r = done(st.step(), "import session '" + t.session_id + "'", err)) return r;
      }
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
    if (sessions.empty()) return SP_OK;
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
    sqlite3_stmt *ins = nullptr, *end = nullptr, *crash = nullptr;
    if (int r = prepare(
            R"(INSERT OR IGNORE INTO events(session,seq,kind,position_ms,wall_ms,from_ms,to_ms,old_value,value)
                           VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9))",
            ins, err))
      return r;
    if (int r = prepare("UPDATE sessions SET end_wall_ms=?2, end_reason=?3 WHERE id=?1 AND end_reason=''",
                        end, err))
      return r;
    if (int r = prepare(R"(UPDATE sessions SET end_reason='crashed',
                             end_wall_ms=max(start_wall_ms, coalesce((SELECT max(wall_ms) FROM events WHERE session=?1), 0))
                           WHERE id=?1 AND end_reason='' AND start_wall_ms=?2)",
                        crash, err))
      return r;
    for (const auto &s : sessions) {
      std::string missing;
      int r = session_exists(s.id, "recover sessions", missing);
      if (r == SP_ERR_NOT_FOUND) {
        c.events_orphaned += static_cast<int64_t>(s.events.size());
        continue;
      }
      if (r != SP_OK) {
        err = missing;
        return r;
      }
      for (const auto &e : s.events) {
        Stmt st(ins);
        st.bind(1, s.id);
        st.bind(2, e.seq);
        st.bind(3, int64_t{static_cast<int>(e.kind)});
        st.bind(4, e.position_ms);
        st.bind(5, e.wall_ms);
        st.bind(6, e.from_ms);
        st.bind(7, e.to_ms);
        st.bind(8, e.old_value);
        st.bind(9, e.value);
        if (int rr =
                done(st.step(),
                     "recover event " + std::to_string(e.seq) + " of session " + std::to_string(s.id), err))
          return rr;
        (sqlite3_changes(db_.get()) > 0 ? c.events_added : c.events_present) += 1;
      }
      if (!s.end_reason.empty()) {
        Stmt st(end);
        st.bind(1, s.id);
        st.bind(2, s.end_wall_ms);
        st.bind(3, s.end_reason);
        if (int rr = done(st.step(), "recover the end of session " + std::to_string(s.id), err)) return rr;
        c.sessions_ended += sqlite3_changes(db_.get());
      } else if (s.open_at_crash) {
        Stmt st(crash);
        st.bind(1, s.id);
        st.bind(2, s.start_wall_ms);
        if (int rr = done(st.step(), "close crashed session " + std::to_string(s.id), err)) return rr;
        c.sessions_crashed += sqlite3_changes(db_.get());
      }
    }
    if (int r = tx.commit("recover sessions", err)) return r;
    counts = c;
    return SP_OK;
  }

  // ---- models ---------------------------------------------------------
  int save_model(ModelRow &m, std::string &err) override {
    if (m.kind.empty()) return invalid("save_model: empty kind", err);
    sqlite3_stmt *raw = nullptr;
    if (int r = prepare(R"(INSERT INTO models(kind,created_wall_ms,blob,metrics,sessions_seen,events_seen)
                           VALUES(?1,?2,?3,?4,?5,?6))",
                        raw, err))
      return r;
    Stmt st(raw);
    st.bind(1, m.kind);
    st.bind(2, m.created_wall_ms);
    st.bind(3, m.blob);
    st.bind(4, m.metrics);
    st.bind(5, m.sessions_seen);
    st.bind(6, m.events_seen);
    if (int r = done(st.step(), "save model", err)) return r;
    m.version = sqlite3_last_insert_rowid(db_.get());
    return SP_OK;
  }

  int latest_model(const std::string &kind, std::optional<ModelRow> &out, std::string &err) override {
    out.reset();
    sqlite3_stmt *raw = nullptr;
    if (int r = prepare(R"(SELECT version,kind,created_wall_ms,blob,metrics,sessions_seen,events_seen
                           FROM models WHERE kind=?1 ORDER BY version DESC LIMIT 1)",
                        raw, err))
      return r;
    Stmt st(raw);
    st.bind(1, kind);
    int rc = st.step();
    if (rc == SQLITE_ROW) {
      ModelRow m;
      m.version = st.i64(0);
      m.kind = st.text(1);
      m.created_wall_ms = st.i64(2);
      m.blob = st.text(3);
      m.metrics = st.text(4);
      m.sessions_seen = st.i64(5);
      m.events_seen = st.i64(6);
      out = std::move(m);
      return SP_OK;
    }
    return done(rc, "latest model", err);
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
      return SP_OK;
    }

  private:
    int start(const char *sql, const std::string &what, std::string &err) {
      int rc = sqlite3_exec(log_.db_.get(), sql, nullptr, nullptr, nullptr);
      if (rc != SQLITE_OK) return log_.fail(rc, what + " (begin)", err);
      open_ = true;
      return SP_OK;
    }
    SqliteLog &log_;
    bool open_ = false;
  };

  int fail(int rc, const std::string &what, std::string &err) const {
    int code = map_code(rc);
    if (code == SP_OK) code = SP_ERR_DB;
    if (read_only_ && code == SP_ERR_DB_READONLY) {
      err = path_ + ": " + what + ": the log was opened read-only" + " (" + sqlite3_errmsg(db_.get()) + ")";
      return code;
    }
    err = path_ + ": " + what + ": " + sqlite3_errmsg(db_.get()) + code_hint(code);
    return code;
  }
  int done(int rc, const std::string &what, std::string &err) const {
    if (rc == SQLITE_DONE || rc == SQLITE_ROW || rc == SQLITE_OK) return SP_OK;
    return fail(rc, what, err);
  }
  int invalid(const std::string &msg, std::string &err) const {
    err = path_ + ": " + msg;
    return SP_ERR_INVALID_ARGUMENT;
  }

  // Prepared statements are cached by SQL text and reused.
  int prepare(const std::string &sql, sqlite3_stmt *&out, std::string &err) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) {
      out = it->second.get();
      return SP_OK;
    }
    sqlite3_stmt *raw = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size() + 1), SQLITE_PREPARE_PERSISTENT,
                                &raw, nullptr);
    StmtPtr st(raw);
    if (rc != SQLITE_OK) return fail(rc, "prepare", err);
    out = raw;
    stmts_.emplace(sql, std::move(st));
    return SP_OK;
  }

  int session_exists(int64_t id, const std::string &what, std::string &err) {
    sqlite3_stmt *raw = nullptr;
    if (int r = prepare("SELECT 1 FROM sessions WHERE id=?1", raw, err)) return r;
    Stmt st(raw);
    st.bind(1, id);
    int rc = st.step();
    if (rc == SQLITE_ROW) return SP_OK;
    if (rc == SQLITE_DONE) {
      err = path_ + ": " + what + ": no session " + std::to_string(id);
      return SP_ERR_NOT_FOUND;
    }
    return fail(rc, what, err);
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
    st.bind(1, session_id);
    st.bind(2, e.seq);
    st.bind(3, int64_t{static_cast<int>(e.kind)});
    st.bind(4, e.position_ms);
    st.bind(5, e.wall_ms);
    st.bind(6, e.from_ms);
    st.bind(7, e.to_ms);
    st.bind(8, e.old_value);
    st.bind(9, e.value);
    int rc = st.step();
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
      *duplicate = true;
      return SP_OK;
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
    sqlite3_stmt *raw = nullptr;
    if (int r = prepare(std::string(kVideoSelect) + " WHERE " + col + "=?1 ORDER BY id LIMIT 1", raw, err)) return r;
    Stmt st(raw);
    st.bind(1, key);
    int rc = st.step();
    if (rc == SQLITE_ROW) {
      out = video_from(st);
      return SP_OK;
    }
    return done(rc, std::string("find video by ") + col, err);
  }

  std::string path_;
  DbPtr db_;
  // Declared after db_, so destroyed (finalized) before the connection closes.
  std::unordered_map<std::string, StmtPtr> stmts_;
  bool read_only_;
  int version_;
};

// Error for the connection-level steps of open().
int open_fail(sqlite3 *db, int rc, const std::string &path, const std::string &what, std::string &err) {
  int code = map_code(rc);
  if (code == SP_OK) code = SP_ERR_DB;
  err = "behaviour log " + path + ": " + what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)) +
        code_hint(code);
  return code;
}

int exec(sqlite3 *db, const char *sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }

int query_int(sqlite3 *db, const char *sql, int64_t &out) {
  sqlite3_stmt *raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  StmtPtr st(raw);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(raw);
  if (rc == SQLITE_ROW) {
    out = sqlite3_column_int64(raw, 0);
    return SQLITE_OK;
  }
  if (rc == SQLITE_DONE) {
    out = 0;
    return SQLITE_OK;
  }
  return rc;
}

bool dir_writable(const std::string &path) {
  std::error_code ec;
  auto dir = std::filesystem::absolute(path, ec).parent_path();
  return ::access(dir.c_str(), W_OK) == 0;
}

} // namespace

int BehaviourLog::open(const std::string &path, const LogOptions &opt, std::unique_ptr<BehaviourLog> &out,
                       std::string &err) {
  out.reset();
  if (path.empty()) {
    err = "behaviour log: empty database path";
    return SP_ERR_INVALID_ARGUMENT;
  }
  std::error_code ec;
  bool exists = std::filesystem::exists(path, ec);
  if (opt.read_only && !exists) {
    err = "behaviour log " + path + ": no such file (opened read-only, so it is not created)";
    return SP_ERR_NOT_FOUND;
  }
  if (exists && std::filesystem::is_directory(path, ec)) {
    err = "behaviour log " + path + ": is a directory, not a database file";
    return SP_ERR_DB;
  }
  if (!exists) {
    auto parent = std::filesystem::absolute(path, ec).parent_path();
    if (!std::filesystem::is_directory(parent, ec)) {
      err = "behaviour log " + path + ": folder " + parent.string() + " does not exist";
      return SP_ERR_NOT_FOUND;
    }
  }

  int flags = opt.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;  // one thread at a time per object (see header)
  sqlite3 *raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    if ((rc & 0xff) == SQLITE_CANTOPEN && !opt.read_only && !exists && !dir_writable(path)) {
      err = "behaviour log " + path + ": cannot create the database: its folder is not writable (" +
            (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)) + ")";
      return SP_ERR_DB_READONLY;
    }
    return open_fail(raw, rc, path, "cannot open", err);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, opt.busy_timeout_ms > 0 ? opt.busy_timeout_ms : 0);

  // Read before anything writes: a file that is not a database (or is
  // malformed) fails here with SQLITE_NOTADB / SQLITE_CORRUPT and is left
  // untouched.
  int64_t n_objects = 0, user_version = 0;
  rc = query_int(raw, "SELECT count(*) FROM sqlite_master", n_objects);
  if (rc == SQLITE_OK) rc = query_int(raw, "PRAGMA user_version", user_version);
  if (rc != SQLITE_OK) return open_fail(raw, rc, path, "cannot read the database", err);

  if (user_version > kSchemaVersion) {
    err = "behaviour log " + path + ": schema version " + std::to_string(user_version) +
          " is newer than this libsmartplayer supports (" + std::to_string(kSchemaVersion) +
          "); refusing to open it (use a newer libsmartplayer)";
    return SP_ERR_DB;
  }
  if (user_version == 0 && n_objects > 0) {
    err = "behaviour log " + path + ": is an SQLite database but not a behaviour log (it has " +
          std::to_string(n_objects) + " schema objects and user_version 0); refusing to modify it";
    return SP_ERR_DB;
  }

  if (!opt.read_only) {
    if (sqlite3_db_readonly(raw, "main") == 1) {
      err = "behaviour log " + path + ": the file is not writable (permissions or read-only file system)";
      return SP_ERR_DB_READONLY;
    }
    // WAL + synchronous=FULL: committed transactions survive a process crash
    // and power loss.
    sqlite3_stmt *jm = nullptr;
    rc = sqlite3_prepare_v2(raw, "PRAGMA journal_mode=WAL", -1, &jm, nullptr);
    StmtPtr jms(jm);
    if (rc == SQLITE_OK) rc = sqlite3_step(jm);
    if (rc != SQLITE_ROW) return open_fail(raw, rc, path, "cannot switch to WAL journal mode", err);
    std::string mode = reinterpret_cast<const char *>(sqlite3_column_text(jm, 0));
    jms.reset();
    if (mode != "wal") {
      err = "behaviour log " + path + ": cannot switch to WAL journal mode (got '" + mode + "')";
      return SP_ERR_DB;
    }
    rc = exec(raw, "PRAGMA synchronous=FULL");
    if (rc != SQLITE_OK) return open_fail(raw, rc, path, "cannot set synchronous=FULL", err);

    if (user_version < kSchemaVersion) {
      rc = exec(raw, "BEGIN IMMEDIATE");
      if (rc != SQLITE_OK) return open_fail(raw, rc, path, "cannot start the schema migration", err);
      // Re-read inside the write lock: another process may have migrated meanwhile.
      rc = query_int(raw, "PRAGMA user_version", user_version);
      for (int64_t v = user_version; rc == SQLITE_OK && v < kSchemaVersion; ++v) {
        rc = exec(raw, kMigrations[v]);
        if (rc != SQLITE_OK) {
          int code = open_fail(raw, rc, path, "schema migration to version " + std::to_string(v + 1) + " failed",
                               err);
          exec(raw, "ROLLBACK");
          return code;
        }
      }
      if (rc == SQLITE_OK) {
        std::string set = "PRAGMA user_version=" + std::to_string(kSchemaVersion);
        rc = exec(raw, set.c_str());
      }
      if (rc == SQLITE_OK) rc = exec(raw, "COMMIT");
      if (rc != SQLITE_OK) {
        int code = open_fail(raw, rc, path, "schema migration failed", err);
        exec(raw, "ROLLBACK");
        return code;
      }
      user_version = kSchemaVersion;
    }
  }

  out = std::make_unique<SqliteLog>(path, std::move(db), opt.read_only, static_cast<int>(user_version));
  return SP_OK;
}

} // namespace sp
