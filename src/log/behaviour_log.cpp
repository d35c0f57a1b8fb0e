// The behaviour log on SQLite (docs/behaviour-log.md): opening it, with the
// schema, its migrations and the checks that leave a foreign or newer file
// untouched. The open connection's operations are in sqlite_log.cpp.
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

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "core/result.h"
#include "log/sqlite_handle.h"
#include "log/sqlite_log.h"

namespace sp {
namespace {

using sqlite::DbPtr;
using sqlite::StmtPtr;
using sqlite_log::code_hint;
using sqlite_log::map_code;

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
// The tables each migration creates (kTables[i]: by step i to version i+1):
// a database that claims a version must hold them.
constexpr const char *kTables[][5] = {
    {"videos", "viewers", "sessions", "events", nullptr},
    {"decisions", "models", nullptr},
};
static_assert(std::size(kTables) == std::size(kMigrations), "one table list per migration");

// Error for the connection-level steps of open().
int open_fail(sqlite3 *db, int rc, const std::string &path, const std::string &what, std::string &err) {
  int code = map_code(rc);
  if (code == kOk) code = kErrDb;
  err = "behaviour log " + path + ": " + what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)) +
        code_hint(code);
  return code;
}

int exec(sqlite3 *db, const char *sql) {
  return sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
}

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

// Whether this process may write `p` (its effective ids; false on a
// read-only file system too).
bool writable(const std::string &p) {
  return ::faccessat(AT_FDCWD, p.c_str(), W_OK, AT_EACCESS) == 0;
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
    return kErrInvalidArgument;
  }
  // Debian's SQLite reads "file:" names as URIs and ":memory:" as a database
  // in memory; the log is a file that must outlive the process, found by its
  // path (its journals and side files sit beside it).
  if (path == ":memory:" || path.rfind("file:", 0) == 0) {
    err = "behaviour log " + path +
          ": in-memory databases and SQLite URI names are not supported; give the database file's path (./" +
          path + " for a file of that name)";
    return kErrInvalidArgument;
  }
  std::error_code ec;
  bool exists = std::filesystem::exists(path, ec);
  if (opt.read_only && !exists) {
    err = "behaviour log " + path + ": no such file (opened read-only, so it is not created)";
    return kErrNotFound;
  }
  if (exists && std::filesystem::is_directory(path, ec)) {
    err = "behaviour log " + path + ": is a directory, not a database file";
    return kErrDb;
  }
  if (!exists) {
    auto parent = std::filesystem::absolute(path, ec).parent_path();
    if (!std::filesystem::is_directory(parent, ec)) {
      err = "behaviour log " + path + ": folder " + parent.string() + " does not exist";
      return kErrNotFound;
    }
  }
  if (!opt.read_only && exists) {
    // Refuse an unwritable database before SQLite opens it: opened anyway,
    // SQLite falls back to reading, and reading a WAL database creates its
    // -wal and -shm files with the database file's mode (0444), which then
    // keep it unwritable after the database itself is made writable again.
    if (!writable(path)) {
      err = "behaviour log " + path + ": the file is not writable (permissions or read-only file system)";
      return kErrDbReadonly;
    }
    for (const char *suffix : {"-wal", "-shm"}) {
      const std::string side = path + suffix;
      if (std::filesystem::exists(side, ec) && !writable(side)) {
        err = "behaviour log " + path + ": " + side +
              " is not writable: make it writable, or remove it while no program has the database open";
        return kErrDbReadonly;
      }
    }
  }

  int flags = opt.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;                               // one thread at a time per object (see header)
  auto sides = std::make_unique<sqlite_log::SideFiles>(path); // declared first: acts after db closes
  sqlite3 *raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    if ((rc & 0xff) == SQLITE_CANTOPEN && !opt.read_only && !exists && !dir_writable(path)) {
      err = "behaviour log " + path + ": cannot create the database: its folder is not writable (" +
            (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)) + ")";
      return kErrDbReadonly;
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
  if (rc != SQLITE_OK) {
    const int code = open_fail(raw, rc, path, "cannot read the database", err);
    // Reading a database in WAL mode writes its -shm file beside it: in a
    // folder this process cannot write, reading fails with "attempt to write
    // a readonly database", which names neither the folder nor the cause.
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::absolute(path, ec).parent_path();
    if (ec || dir.empty()) dir = ".";
    if (code == kErrDbReadonly && ::access(dir.c_str(), W_OK) != 0)
      err += " (the folder " + dir.string() +
             " is not writable: SQLite creates the database's -wal and -shm files there)";
    return code;
  }

  if (user_version > kSchemaVersion) {
    err = "behaviour log " + path + ": schema version " + std::to_string(user_version) +
          " is newer than this libsmartplayer supports (" + std::to_string(kSchemaVersion) +
          "); refusing to open it (use a newer libsmartplayer)";
    return kErrDb;
  }
  if (opt.read_only && user_version == 0 && n_objects == 0) {
    // An empty file (or an empty SQLite database): a writer would make it a
    // behaviour log; a reader finds nothing in it, not "no such table".
    err = "behaviour log " + path + ": is empty (no behaviour log has been written to it yet)";
    return kErrNotFound;
  }
  if (user_version > 0) {
    // Its version says the schema is there (nothing will migrate it), but a
    // file whose tables are missing (an empty SQLite database with only its
    // user_version set, say) would fail later with "no such table".
    for (int64_t v = 0; v < user_version; ++v)
      for (const char *const *t = kTables[v]; *t; ++t) {
        int64_t n = 0;
        const std::string q =
            std::string("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '") + *t + "'";
        rc = query_int(raw, q.c_str(), n);
        if (rc != SQLITE_OK) return open_fail(raw, rc, path, "cannot read the database", err);
        if (n == 0) {
          err =
              "behaviour log " + path + ": is " +
              (n_objects == 0 ? std::string("an empty SQLite database")
                              : "an SQLite database with " + std::to_string(n_objects) + " schema objects") +
              " but not a behaviour log (user_version " + std::to_string(user_version) + " and no '" + *t +
              "' table); refusing to " + (opt.read_only ? "read" : "modify") + " it";
          return kErrDb;
        }
      }
  }
  if (user_version == 0 && n_objects > 0) {
    err = "behaviour log " + path + ": is an SQLite database but not a behaviour log (it has " +
          std::to_string(n_objects) + " schema objects and user_version 0); refusing to modify it";
    return kErrDb;
  }

  if (!opt.read_only) {
    if (sqlite3_db_readonly(raw, "main") == 1) {
      err = "behaviour log " + path + ": the file is not writable (permissions or read-only file system)";
      return kErrDbReadonly;
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
      return kErrDb;
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
          int code = open_fail(raw, rc, path,
                               "schema migration to version " + std::to_string(v + 1) + " failed", err);
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

  out =
      sqlite_log::make(path, std::move(sides), std::move(db), opt.read_only, static_cast<int>(user_version));
  return kOk;
}

} // namespace sp
