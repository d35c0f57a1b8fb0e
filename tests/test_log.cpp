// The behaviour log on real SQLite files: schema and migrations, batching,
// crash durability, locking, corruption, read-only, traces, models.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <sqlite3.h>

#include "log/behaviour_log.h"
#include "smartplayer.h"
#include "support.h"

using namespace sp;

namespace {

std::unique_ptr<BehaviourLog> open_log(const std::string &path, LogOptions opt = {}) {
  std::unique_ptr<BehaviourLog> log;
  std::string err;
  int r = BehaviourLog::open(path, opt, log, err);
  INFO(err);
  REQUIRE(r == SP_OK);
  REQUIRE(log);
  return log;
}

int open_code(const std::string &path, std::string &err, LogOptions opt = {}) {
  std::unique_ptr<BehaviourLog> log;
  int r = BehaviourLog::open(path, opt, log, err);
  CHECK((r == SP_OK) == (log != nullptr));
  return r;
}

Interaction ev(int64_t seq, Kind k = Kind::Play, int64_t pos = 0) {
  Interaction e;
  e.seq = seq;
  e.kind = k;
  e.position_ms = pos;
  e.wall_ms = 1700000000000 + seq * 1000;
  if (k == Kind::Seek) {
    e.from_ms = pos;
    e.to_ms = pos + 5000;
  } else if (k == Kind::Volume) {
    e.old_value = 80;
    e.value = 40.5;
  }
  return e;
}

std::vector<Interaction> events(int64_t first, int64_t last) {
  std::vector<Interaction> v;
  static const Kind kinds[] = {Kind::Play, Kind::Pause, Kind::Seek, Kind::Volume};
  for (int64_t s = first; s <= last; ++s)
    v.push_back(ev(s, kinds[s % 4], s * 100));
  return v;
}

int64_t new_session(BehaviourLog &log, const std::string &viewer = "alice", const std::string &video = "v1") {
  SessionRow s;
  s.viewer = viewer;
  s.video = video;
  s.start_wall_ms = 1700000000000;
  s.policy = "always-on";
  std::string err;
  REQUIRE(log.begin_session(s, err) == SP_OK);
  REQUIRE(s.id > 0);
  return s.id;
}

std::vector<Interaction> read_back(BehaviourLog &log, int64_t session) {
  std::vector<Interaction> out;
  std::string err;
  int r = log.read_events(session, out, err);
  INFO(err);
  REQUIRE(r == SP_OK);
  return out;
}

std::string slurp(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int64_t raw_int(const std::string &path, const char *sql) {
  sqlite3 *db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt *st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
  int64_t v = -1;
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

void raw_exec(const std::string &path, const std::string &sql) {
  sqlite3 *db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char *msg = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
  INFO((msg ? msg : ""));
  sqlite3_free(msg);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

void write_file(const std::string &path, const std::string &bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << bytes;
}

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto &c : s)
    c = static_cast<char>(rng() & 0xff);
  return s;
}

} // namespace

TEST_CASE("fresh log: schema created, WAL, reopen keeps data", "[log]") {
  sp_test::TempDir dir;
  std::string db = dir.file("log.db");
  std::string err;
  int64_t sid;
  {
    auto log = open_log(db);
    CHECK(log->schema_version() == 2);
    VideoRow v;
    v.id = "v1";
    v.title = "Intro";
    v.genre = "lecture";
    v.path = "/media/intro.mp4";
    v.length_ms = 60000;
    v.width = 640;
    v.height = 360;
    v.has_audio = true;
    v.added_wall_ms = 1234;
    REQUIRE(log->upsert_video(v, err) == SP_OK);
    sid = new_session(*log);
    REQUIRE(log->append_events(sid, events(1, 5), err) == SP_OK);
    REQUIRE(log->end_session(sid, 1700000099000, "stopped", err) == SP_OK);
  }
  CHECK(raw_int(db, "PRAGMA user_version") == 2);
  CHECK(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN "
                    "('videos','viewers','sessions','events','decisions','models')") == 6);
  {
    auto log = open_log(db);
    CHECK(log->schema_version() == 2);
    std::optional<VideoRow> v;
    REQUIRE(log->find_video("v1", v, err) == SP_OK);
    REQUIRE(v);
    CHECK(v->title == "Intro");
    CHECK(v->genre == "lecture");
    CHECK(v->length_ms == 60000);
    CHECK(v->width == 640);
    CHECK(v->has_audio);
    CHECK(v->added_wall_ms == 1234);
    CHECK(read_back(*log, sid) == events(1, 5));
    std::vector<TraceSession> t;
    REQUIRE(log->read_traces(t, err) == SP_OK);
    REQUIRE(t.size() == 1);
    CHECK(t[0].session_id == std::to_string(sid));
    CHECK(t[0].end_reason == "stopped");
    CHECK(t[0].end_wall_ms == 1700000099000);
    CHECK(t[0].genre == "lecture");
    CHECK(t[0].duration_ms == 60000);
  }
  CHECK(raw_int(db, "SELECT count(*) FROM viewers WHERE id='alice'") == 1);
  sqlite3 *raw = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
  sqlite3_stmt *st = nullptr;
  REQUIRE(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char *>(sqlite3_column_text(st, 0))) == "wal");
  sqlite3_finalize(st);
  sqlite3_close(raw);
}

TEST_CASE("catalogue: upsert, find by id and path, list", "[log]") {
  sp_test::TempDir dir;
  auto log = open_log(dir.file("log.db"));
  std::string err;
  VideoRow a;
  a.id = "b-video";
  a.path = "/m/b.mp4";
  a.genre = ""; // stored as unknown
  a.added_wall_ms = 5;
  REQUIRE(log->upsert_video(a, err) == SP_OK);
  VideoRow b = a;
  b.id = "a-video";
  b.path = "/m/a.mp4";
  b.genre = "sport";
  REQUIRE(log->upsert_video(b, err) == SP_OK);
  a.title = "renamed";
  a.added_wall_ms = 999; // added time is kept from the first insert
  REQUIRE(log->upsert_video(a, err) == SP_OK);

  std::vector<VideoRow> all;
  REQUIRE(log->list_videos(all, err) == SP_OK);
  REQUIRE(all.size() == 2);
  CHECK(all[0].id == "a-video");
  CHECK(all[1].title == "renamed");
  CHECK(all[1].genre == "unknown");
  CHECK(all[1].added_wall_ms == 5);

  std::optional<VideoRow> f;
  REQUIRE(log->find_video_by_path("/m/a.mp4", f, err) == SP_OK);
  REQUIRE(f);
  CHECK(f->id == "a-video");
  REQUIRE(log->find_video("nope", f, err) == SP_OK);
  CHECK_FALSE(f);

  VideoRow bad;
  CHECK(log->upsert_video(bad, err) == SP_ERR_INVALID_ARGUMENT);
  CHECK(log->upsert_viewer("", 0, err) == SP_ERR_INVALID_ARGUMENT);
}

TEST_CASE("migration from a hand-made v1 database", "[log]") {
  sp_test::TempDir dir;
  std::string db = dir.file("v1.db");
  raw_exec(db, R"(
    CREATE TABLE videos(id TEXT PRIMARY KEY, title TEXT NOT NULL DEFAULT '', genre TEXT NOT NULL DEFAULT 'unknown',
      path TEXT NOT NULL DEFAULT '', length_ms INTEGER NOT NULL DEFAULT 0, width INTEGER NOT NULL DEFAULT 0,
      height INTEGER NOT NULL DEFAULT 0, has_audio INTEGER NOT NULL DEFAULT 0, added_wall_ms INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE viewers(id TEXT PRIMARY KEY, first_seen_wall_ms INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE sessions(id INTEGER PRIMARY KEY, viewer TEXT NOT NULL, video TEXT NOT NULL,
      start_wall_ms INTEGER NOT NULL, end_wall_ms INTEGER NOT NULL DEFAULT 0, end_reason TEXT NOT NULL DEFAULT '',
      policy TEXT NOT NULL DEFAULT '');
    CREATE TABLE events(session INTEGER NOT NULL, seq INTEGER NOT NULL, kind INTEGER NOT NULL,
      position_ms INTEGER NOT NULL, wall_ms INTEGER NOT NULL, from_ms INTEGER, to_ms INTEGER, old_value REAL,
      value REAL, PRIMARY KEY(session, seq));
    INSERT INTO videos(id, genre, length_ms) VALUES('old', 'music', 1000);
    INSERT INTO sessions(id, viewer, video, start_wall_ms) VALUES(7, 'bob', 'old', 10);
    INSERT INTO events VALUES(7, 1, 0, 0, 10, NULL, NULL, NULL, NULL);
    INSERT INTO events VALUES(7, 2, 3, 0, 11, 0, 500, NULL, NULL);
    PRAGMA user_version = 1;
  )");
  {
    // Read-only does not migrate.
    auto ro = open_log(db, LogOptions{5000, true});
    CHECK(ro->schema_version() == 1);
  }
  CHECK(raw_int(db, "PRAGMA user_version") == 1);

  auto log = open_log(db);
  CHECK(log->schema_version() == 2);
  CHECK(raw_int(db, "PRAGMA user_version") == 2);
  std::string err;
  auto got = read_back(*log, 7);
  REQUIRE(got.size() == 2);
  CHECK(got[1].kind == Kind::Seek);
  CHECK(got[1].to_ms == 500);
  // v2 tables work.
  REQUIRE(log->append_decisions({DecisionRow{7, 20, 0, "sleep", "policy", "timeout", 3000, 2}}, err) ==
          SP_OK);
  std::vector<DecisionRow> d;
  REQUIRE(log->read_decisions(7, d, err) == SP_OK);
  REQUIRE(d.size() == 1);
  CHECK(d[0].action == "sleep");
  CHECK(d[0].planned_ms == 3000);
  ModelRow m{0, "hazard-logreg", 1, "{}", "{}", 1, 2};
  REQUIRE(log->save_model(m, err) == SP_OK);
}

TEST_CASE("a session and its first event are written together or not at all", "[log]") {
  sp_test::TempDir dir;
  const std::string db = dir.file("log.db");
  { auto log = open_log(db); }
  SessionRow s;
  s.viewer = "alice";
  s.video = "v1";
  s.start_wall_ms = 1700000000000;
  // Writing the event fails (as a full disk or a damaged page would): no
  // session without events is left behind.
  raw_exec(db, "CREATE TRIGGER no_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'refused'); END;");
  {
    auto log = open_log(db);
    std::string err;
    CHECK(log->begin_session_with(s, ev(1, Kind::Open), err) != SP_OK);
    CHECK(err.find("refused") != std::string::npos);
  }
  CHECK(raw_int(db, "SELECT count(*) FROM sessions") == 0);
  raw_exec(db, "DROP TRIGGER no_events;");
  auto log = open_log(db);
  std::string err;
  REQUIRE(log->begin_session_with(s, ev(1, Kind::Open), err) == SP_OK);
  CHECK(read_back(*log, s.id) == std::vector<Interaction>{ev(1, Kind::Open)});
}

TEST_CASE("events appended in batches read back in order; re-append is a no-op", "[log]") {
  sp_test::TempDir dir;
  auto log = open_log(dir.file("log.db"));
  std::string err;
  int64_t s1 = new_session(*log);
  int64_t s2 = new_session(*log, "bob", "v2");
  CHECK(s2 != s1);
  REQUIRE(log->append_events(s1, events(1, 10), err) == SP_OK);
  REQUIRE(log->append_events(s2, events(1, 3), err) == SP_OK);
  REQUIRE(log->append_events(s1, events(11, 25), err) == SP_OK);
  REQUIRE(log->append_events(s1, {}, err) == SP_OK);
  CHECK(read_back(*log, s1) == events(1, 25));
  CHECK(read_back(*log, s2) == events(1, 3));

  // Re-append (a retry after an error) changes nothing; an overlapping batch adds only the new ones.
  REQUIRE(log->append_events(s1, events(5, 25), err) == SP_OK);
  REQUIRE(log->append_events(s1, events(20, 30), err) == SP_OK);
  CHECK(read_back(*log, s1) == events(1, 30));

  // Unknown session and bad events are refused, and nothing of such a batch is written.
  CHECK(log->append_events(9999, events(1, 2), err) == SP_ERR_NOT_FOUND);
  CHECK(err.find("9999") != std::string::npos);
  auto bad = events(31, 33);
  bad[1].seq = 0;
  CHECK(log->append_events(s1, bad, err) == SP_ERR_INVALID_ARGUMENT);
  bad = events(31, 33);
  bad[2].kind = static_cast<Kind>(77);
  CHECK(log->append_events(s1, bad, err) == SP_ERR_INVALID_ARGUMENT);
  CHECK(read_back(*log, s1).size() == 30);
  CHECK(log->end_session(4242, 1, "stopped", err) == SP_ERR_NOT_FOUND);

  // An event under a seq the session already holds is not written, and the
  // log says which seqs those were, so the control plane never loses one silently.
  std::vector<int64_t> dups;
  auto changed = events(29, 32);
  changed[0].position_ms = 999999;
  REQUIRE(log->append_events(s1, changed, err, &dups) == SP_OK);
  CHECK(dups == std::vector<int64_t>{29, 30});
  CHECK(read_back(*log, s1) == events(1, 32)); // the rows already there are kept as they were
  REQUIRE(log->append_events(s1, events(33, 34), err, &dups) == SP_OK);
  CHECK(dups.empty());
}

TEST_CASE("a crash after a committed append loses nothing", "[log]") {
  sp_test::TempDir dir;
  std::string db = dir.file("crash.db");
  int64_t sid;
  {
    auto log = open_log(db);
    sid = new_session(*log);
  }
  // The child must not inherit an open connection: the parent holds none here.
  for (int how = 0; how < 2; ++how) {
    INFO((how == 0 ? "_exit without closing" : "SIGKILL"));
    int64_t first = how == 0 ? 1 : 101;
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      std::unique_ptr<BehaviourLog> log;
      std::string err;
      if (BehaviourLog::open(db, LogOptions{}, log, err) != SP_OK) _exit(3);
      if (log->append_events(sid, events(first, first + 49), err) != SP_OK) _exit(4);
      if (log->append_events(sid, events(first + 50, first + 99), err) != SP_OK) _exit(5);
      (void)log.release(); // never closed
      if (how == 0) _exit(0);
      raise(SIGKILL);
      _exit(6);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    if (how == 0) {
      REQUIRE(WIFEXITED(status));
      REQUIRE(WEXITSTATUS(status) == 0);
    } else {
      REQUIRE(WIFSIGNALED(status));
      REQUIRE(WTERMSIG(status) == SIGKILL);
    }
    auto log = open_log(db);
    auto got = read_back(*log, sid);
    CHECK(got.size() == static_cast<size_t>(first + 99));
    CHECK(got.back() == ev(first + 99, events(first + 99, first + 99)[0].kind, (first + 99) * 100));
  }
  auto log = open_log(db);
  auto all = events(1, 100);
  auto more = events(101, 200);
  all.insert(all.end(), more.begin(), more.end());
  CHECK(read_back(*log, sid) == all);
}

TEST_CASE("a write blocked by another connection's lock returns SP_ERR_DB_LOCKED and succeeds later",
          "[log]") {
  sp_test::TempDir dir;
  std::string db = dir.file("locked.db");
  LogOptions opt;
  opt.busy_timeout_ms = 100;
  auto log = open_log(db, opt);
  std::string err;
  int64_t sid = new_session(*log);

  sqlite3 *other = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "INSERT INTO viewers(id) VALUES('holder')", nullptr, nullptr, nullptr) ==
          SQLITE_OK);

  auto batch = events(1, 20);
  CHECK(log->append_events(sid, batch, err) == SP_ERR_DB_LOCKED);
  CHECK(err.find("locked.db") != std::string::npos);
  CHECK(err.find("locked") != std::string::npos);
  CHECK(log->upsert_viewer("carol", 1, err) == SP_ERR_DB_LOCKED);
  CHECK(read_back(*log, sid).empty());

  REQUIRE(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);

  REQUIRE(log->append_events(sid, batch, err) == SP_OK);
  CHECK(read_back(*log, sid) == batch);
}

TEST_CASE("a corrupt file or one that is not a database is refused at open and left untouched", "[log]") {
  sp_test::TempDir dir;
  struct Case {
    const char *name;
    std::string bytes;
  };
  std::string header("SQLite format 3\0", 16);
  std::vector<Case> cases = {
      {"random bytes", random_bytes(8192, 1)},
      {"text file", "this is not a database\n"},
      {"sqlite header then garbage", header + random_bytes(8192 - 16, 2)},
  };
  // A real log whose first page past the file header is overwritten.
  {
    std::string real = dir.file("real.db");
    {
      auto log = open_log(real);
      std::string err;
      int64_t sid = new_session(*log);
      REQUIRE(log->append_events(sid, events(1, 50), err) == SP_OK);
    }
    raw_exec(real, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;");
    std::string bytes = slurp(real);
    REQUIRE(bytes.size() > 4096);
    auto junk = random_bytes(4096 - 100, 3);
    bytes.replace(100, junk.size(), junk);
    cases.push_back({"real log with a garbage first page", bytes});
  }
  for (const auto &c : cases) {
    INFO(c.name);
    std::string path = dir.file("bad.db");
    std::filesystem::remove(path);
    write_file(path, c.bytes);
    for (bool ro : {false, true}) {
      std::string err;
      CHECK(open_code(path, err, LogOptions{5000, ro}) == SP_ERR_DB_CORRUPT);
      INFO(err);
      CHECK(err.find("bad.db") != std::string::npos);
      CHECK(slurp(path) == c.bytes);
      CHECK_FALSE(std::filesystem::exists(path + "-wal"));
    }
  }
}

TEST_CASE("in-memory and URI names are refused with a clear message; ./file: is a file", "[log]") {
  sp_test::TempDir dir;
  for (const std::string &name : {std::string(":memory:"), "file:" + dir.file("u.db"),
                                 "file:" + dir.file("u.db") + "?mode=ro"}) {
    INFO(name);
    std::string err;
    CHECK(open_code(name, err) == SP_ERR_INVALID_ARGUMENT);
    CHECK(err.find("URI names are not supported") != std::string::npos);
  }
  CHECK_FALSE(std::filesystem::exists(dir.file("u.db")));
  // A file whose name begins with "file:" is opened by a path that does not.
  const std::string cwd = std::filesystem::current_path().string();
  std::filesystem::current_path(dir.file("."));
  std::string err;
  const int r = open_code("./file:odd.db", err);
  std::filesystem::current_path(cwd);
  CHECK(r == SP_OK);
  CHECK(std::filesystem::exists(dir.file("file:odd.db")));
}

TEST_CASE("an empty file read-only is 'empty', not an SQL error; opened to write it becomes a log", "[log]") {
  sp_test::TempDir dir;
  const std::string path = dir.file("empty.db");
  write_file(path, "");
  std::string err;
  CHECK(open_code(path, err, LogOptions{5000, true}) == SP_ERR_NOT_FOUND);
  CHECK(err.find("is empty") != std::string::npos);
  CHECK(std::filesystem::file_size(path) == 0);
  CHECK(open_code(path, err) == SP_OK);
}

TEST_CASE("an SQLite database that is not a behaviour log is refused, not modified", "[log]") {
  sp_test::TempDir dir;
  std::string path = dir.file("other.db");
  raw_exec(path, "CREATE TABLE notes(x TEXT); INSERT INTO notes VALUES('keep');");
  std::string before = slurp(path);
  std::string err;
  CHECK(open_code(path, err) == SP_ERR_DB);
  CHECK(err.find("not a behaviour log") != std::string::npos);
  CHECK(slurp(path) == before);
}

TEST_CASE("a database whose version claims a schema it lacks is 'not a behaviour log', not 'no such table'",
          "[log]") {
  sp_test::TempDir dir;
  // An SQLite database with only user_version set (no tables), and one of
  // version 2 whose models table is missing: the tools' reading commands
  // said "prepare: no such table: sessions" (or "models") at their first query.
  const std::string bare = dir.file("bare.db"), partial = dir.file("partial.db");
  raw_exec(bare, "PRAGMA user_version = 2;");
  { auto log = open_log(partial); }
  raw_exec(partial, "DROP TABLE models;");
  for (const std::string &path : {bare, partial}) {
    const std::string before = slurp(path);
    for (bool ro : {true, false}) {
      INFO(path << (ro ? " read-only" : " read-write"));
      std::string err;
      CHECK(open_code(path, err, LogOptions{5000, ro}) == SP_ERR_DB);
      CHECK(err.find("not a behaviour log") != std::string::npos);
      CHECK(err.find(path == bare ? "no 'videos' table" : "no 'models' table") != std::string::npos);
      CHECK(err.find("no such table") == std::string::npos);
    }
    CHECK(slurp(path) == before);
  }
  // A 0-byte file stays "is empty" for a reader (above), a log for a writer.
  const std::string zero = dir.file("zero.db");
  write_file(zero, "");
  std::string err;
  CHECK(open_code(zero, err, LogOptions{5000, true}) == SP_ERR_NOT_FOUND);
  CHECK(err.find("is empty") != std::string::npos);
}

TEST_CASE("read-only: reads work, writes give SP_ERR_DB_READONLY; an unwritable file is refused at open with "
          "nothing left behind",
          "[log]") {
  sp_test::TempDir dir;
  std::string db = dir.file("ro.db");
  int64_t sid;
  {
    auto log = open_log(db);
    sid = new_session(*log);
    std::string err;
    REQUIRE(log->append_events(sid, events(1, 4), err) == SP_OK);
  }
  std::string before_events = std::to_string(raw_int(db, "SELECT count(*) FROM events"));
  LogOptions ro;
  ro.read_only = true;
  auto log = open_log(db, ro);
  CHECK(read_back(*log, sid) == events(1, 4));
  std::string err;
  CHECK(log->append_events(sid, events(5, 6), err) == SP_ERR_DB_READONLY);
  CHECK(err.find("ro.db") != std::string::npos);
  CHECK(err.find("read-only") != std::string::npos);
  VideoRow v;
  v.id = "x";
  CHECK(log->upsert_video(v, err) == SP_ERR_DB_READONLY);
  SessionRow s;
  s.viewer = "a";
  s.video = "b";
  CHECK(log->begin_session(s, err) == SP_ERR_DB_READONLY);
  ModelRow m{0, "k", 0, "{}", "", 0, 0};
  CHECK(log->save_model(m, err) == SP_ERR_DB_READONLY);
  CHECK(std::to_string(raw_int(db, "SELECT count(*) FROM events")) == before_events);

  // read_only never creates a file.
  CHECK(open_code(dir.file("missing.db"), err, ro) == SP_ERR_NOT_FOUND);
  CHECK_FALSE(std::filesystem::exists(dir.file("missing.db")));
  // A missing folder.
  CHECK(open_code(dir.file("no/such/dir/x.db"), err) == SP_ERR_NOT_FOUND);
  CHECK(err.find("no/such/dir") != std::string::npos);

  // File permissions, as a user they apply to: root writes through file
  // modes, so as root (CI) this part runs in a child that drops to nobody.
  sp_test::SharedTempDir shared;
  const std::string rw = shared.file("ro.db"), sub = shared.file("sub");
  std::string child = sp_test::run_unprivileged([&]() -> std::string {
    std::unique_ptr<BehaviourLog> l;
    std::string e;
    if (BehaviourLog::open(rw, LogOptions{}, l, e) != SP_OK) return "create: " + e;
    SessionRow s;
    s.viewer = "alice";
    s.video = "v1";
    if (l->begin_session(s, e) != SP_OK || l->append_events(s.id, events(1, 3), e) != SP_OK)
      return "write: " + e;
    l.reset();
    if (chmod(rw.c_str(), 0444) != 0) return "chmod 0444 failed";
    // Refused at open, with nothing left behind.
    int code = BehaviourLog::open(rw, LogOptions{}, l, e);
    if (code != SP_ERR_DB_READONLY) return "0444: got " + std::to_string(code) + " (" + e + ")";
    if (e.find("ro.db") == std::string::npos || e.find("not writable") == std::string::npos)
      return "0444: message: " + e;
    for (const char *side : {"-wal", "-shm"})
      if (std::filesystem::exists(rw + side)) return std::string("the refused open left ") + side;
    // Reading still works read-only.
    LogOptions ro_opt;
    ro_opt.read_only = true;
    std::vector<Interaction> back;
    if (BehaviourLog::open(rw, ro_opt, l, e) != SP_OK || l->read_events(1, back, e) != SP_OK ||
        back.size() != 3)
      return "read-only open of the 0444 file: " + e;
    l.reset();
    // Made writable again, it is writable: nothing stale is in the way.
    if (chmod(rw.c_str(), 0644) != 0) return "chmod 0644 failed";
    if (BehaviourLog::open(rw, LogOptions{}, l, e) != SP_OK) return "0644 again: " + e;
    if (l->append_events(1, events(4, 5), e) != SP_OK) return "0644 again, append: " + e;
    l.reset();
    // A folder that cannot be written: a new database cannot be created.
    if (mkdir(sub.c_str(), 0555) != 0) return "mkdir failed";
    code = BehaviourLog::open(sub + "/new.db", LogOptions{}, l, e);
    if (code != SP_ERR_DB_READONLY) return "folder 0555: got " + std::to_string(code) + " (" + e + ")";
    if (std::filesystem::exists(sub + "/new.db")) return "folder 0555: a file was created";
    // A writable database in a folder that cannot be written (its -shm
    // cannot be made): refused, and the message names the folder.
    const std::string sub2 = sub + "-2";
    if (mkdir(sub2.c_str(), 0755) != 0) return "mkdir 2 failed";
    if (BehaviourLog::open(sub2 + "/old.db", LogOptions{}, l, e) != SP_OK) return "old.db: " + e;
    l.reset();
    if (chmod(sub2.c_str(), 0555) != 0) return "chmod 0555 failed";
    code = BehaviourLog::open(sub2 + "/old.db", LogOptions{}, l, e);
    if (code != SP_ERR_DB_READONLY)
      return "old.db in folder 0555: got " + std::to_string(code) + " (" + e + ")";
    if (e.find("the folder") == std::string::npos || e.find("is not writable") == std::string::npos)
      return "old.db in folder 0555: the message does not name the folder: " + e;
    return "";
  });
  CHECK(child == "");
  CHECK(raw_int(rw, "SELECT count(*) FROM events") == 5);
  // A -wal or -shm that cannot be written (left by an older version or
  // another tool) is named, not reported as the database.
  child = sp_test::run_unprivileged([&]() -> std::string {
    std::unique_ptr<BehaviourLog> l;
    std::string e;
    const std::string shm = rw + "-shm";
    { std::ofstream(shm) << ""; }
    if (chmod(shm.c_str(), 0444) != 0) return "chmod -shm failed";
    int code = BehaviourLog::open(rw, LogOptions{}, l, e);
    if (code != SP_ERR_DB_READONLY) return "-shm 0444: got " + std::to_string(code) + " (" + e + ")";
    if (e.find("ro.db-shm is not writable") == std::string::npos) return "-shm 0444: message: " + e;
    std::filesystem::remove(shm);
    if (BehaviourLog::open(rw, LogOptions{}, l, e) != SP_OK) return "-shm removed: " + e;
    return "";
  });
  CHECK(child == "");
}

TEST_CASE("a database with a newer schema is refused", "[log]") {
  sp_test::TempDir dir;
  std::string db = dir.file("future.db");
  { open_log(db); }
  raw_exec(db, "PRAGMA user_version = 99;");
  std::string before = slurp(db);
  for (bool ro : {false, true}) {
    std::string err;
    CHECK(open_code(db, err, LogOptions{5000, ro}) == SP_ERR_DB);
    CHECK(err.find("newer") != std::string::npos);
    CHECK(err.find("99") != std::string::npos);
  }
  CHECK(raw_int(db, "PRAGMA user_version") == 99);
}

TEST_CASE("import_traces then read_traces round trip", "[log]") {
  sp_test::TempDir dir;
  auto log = open_log(dir.file("t.db"));
  std::string err;
  std::vector<TraceSession> in(3);
  for (size_t i = 0; i < in.size(); ++i) {
    auto &t = in[i];
    t.session_id = "sim-" + std::to_string(i);
    t.viewer = i == 2 ? "u2" : "u1";
    t.video = i == 0 ? "vidA" : "vidB";
    t.genre = i == 0 ? "news" : "drama";
    t.duration_ms = i == 0 ? 120000 : 300000;
    t.start_wall_ms = 1700000000000 + static_cast<int64_t>(i) * 100000;
    t.end_wall_ms = t.start_wall_ms + 50000;
    t.end_reason = i == 1 ? "finished" : "abandoned";
    t.events = events(1, 5 + static_cast<int64_t>(i));
  }
  REQUIRE(log->import_traces(in, err) == SP_OK);
  std::vector<TraceSession> out;
  REQUIRE(log->read_traces(out, err) == SP_OK);
  REQUIRE(out.size() == in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    CHECK(out[i].viewer == in[i].viewer);
    CHECK(out[i].video == in[i].video);
    CHECK(out[i].genre == in[i].genre);
    CHECK(out[i].duration_ms == in[i].duration_ms);
    CHECK(out[i].start_wall_ms == in[i].start_wall_ms);
    CHECK(out[i].end_wall_ms == in[i].end_wall_ms);
    CHECK(out[i].end_reason == in[i].end_reason);
    CHECK(out[i].events == in[i].events);
  }
  // after_id: only later sessions.
  std::vector<TraceSession> later;
  REQUIRE(log->read_traces(later, err, std::stoll(out[0].session_id)) == SP_OK);
  CHECK(later.size() == 2);
  // Videos and viewers were created.
  std::vector<VideoRow> vids;
  REQUIRE(log->list_videos(vids, err) == SP_OK);
  CHECK(vids.size() == 2);
  // A session whose video is not in the catalogue reads with genre "unknown".
  int64_t sid = new_session(*log, "u3", "not-catalogued");
  REQUIRE(log->read_traces(later, err, sid - 1) == SP_OK);
  REQUIRE(later.size() == 1);
  CHECK(later[0].genre == "unknown");
  CHECK(later[0].duration_ms == 0);
  // A bad trace imports nothing.
  auto bad = in;
  bad[2].viewer = "";
  CHECK(log->import_traces(bad, err) == SP_ERR_INVALID_ARGUMENT);
  REQUIRE(log->read_traces(out, err) == SP_OK);
  CHECK(out.size() == 4);
}

TEST_CASE("models: save assigns increasing versions, latest by kind", "[log]") {
  sp_test::TempDir dir;
  std::string db = dir.file("m.db");
  std::string err;
  {
    auto log = open_log(db);
    std::optional<ModelRow> none;
    REQUIRE(log->latest_model("hazard-logreg", none, err) == SP_OK);
    CHECK_FALSE(none);
    ModelRow a{0, "hazard-logreg", 100, R"({"w":[1,2]})", R"({"log_loss":0.5})", 10, 200};
    ModelRow b{0, "other", 101, "{}", "", 1, 1};
    ModelRow c{0, "hazard-logreg", 102, R"({"w":[3,4]})", R"({"log_loss":0.4})", 20, 400};
    REQUIRE(log->save_model(a, err) == SP_OK);
    REQUIRE(log->save_model(b, err) == SP_OK);
    REQUIRE(log->save_model(c, err) == SP_OK);
    CHECK(a.version < b.version);
    CHECK(b.version < c.version);
    ModelRow bad;
    CHECK(log->save_model(bad, err) == SP_ERR_INVALID_ARGUMENT);
  }
  auto log = open_log(db, LogOptions{5000, true});
  std::optional<ModelRow> m;
  REQUIRE(log->latest_model("hazard-logreg", m, err) == SP_OK);
  REQUIRE(m);
  CHECK(m->blob == R"({"w":[3,4]})");
  CHECK(m->metrics == R"({"log_loss":0.4})");
  CHECK(m->sessions_seen == 20);
  CHECK(m->events_seen == 400);
  CHECK(m->created_wall_ms == 102);
  REQUIRE(log->latest_model("other", m, err) == SP_OK);
  REQUIRE(m);
  CHECK(m->kind == "other");
}

TEST_CASE("upsert_videos writes all or nothing", "[log]") {
  sp_test::TempDir dir;
  std::string db = dir.file("vids.db");
  LogOptions opt;
  opt.busy_timeout_ms = 100;
  auto log = open_log(db, opt);
  std::string err;
  std::vector<VideoRow> rows(3);
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string id = "v";
    id += std::to_string(i);
    rows[i] = VideoRow{.id = std::move(id), .title = {}, .genre = "g", .path = {}};
  }
  auto bad = rows;
  bad[2].id = "";
  CHECK(log->upsert_videos(bad, err) == SP_ERR_INVALID_ARGUMENT);
  std::vector<VideoRow> all;
  REQUIRE(log->list_videos(all, err) == SP_OK);
  CHECK(all.empty());

  // Locked by another writer: the whole batch fails, then goes through.
  sqlite3 *other = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  CHECK(log->upsert_videos(rows, err) == SP_ERR_DB_LOCKED);
  REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  REQUIRE(log->list_videos(all, err) == SP_OK);
  CHECK(all.empty());
  REQUIRE(log->upsert_videos(rows, err) == SP_OK);
  REQUIRE(log->list_videos(all, err) == SP_OK);
  CHECK(all.size() == 3);
}

TEST_CASE("a long read stops when its interrupt flag is set, and works again once it is clear", "[log]") {
  sp_test::TempDir dir;
  std::string db = dir.file("interrupt.db");
  auto log = open_log(db);
  std::string err;
  for (int i = 0; i < 20; ++i) {
    int64_t sid = new_session(*log);
    REQUIRE(log->append_events(sid, events(1, 50), err) == SP_OK);
  }
  std::atomic<bool> stop{true};
  log->set_interrupt(&stop);
  std::vector<TraceSession> out;
  CHECK(log->read_traces(out, err) == SP_ERR_DB);
  CHECK(err.find("interrupted") != std::string::npos);
  stop = false;
  REQUIRE(log->read_traces(out, err) == SP_OK);
  CHECK(out.size() == 20);
  log->set_interrupt(nullptr);
  stop = true;
  REQUIRE(log->read_traces(out, err) == SP_OK);
}
