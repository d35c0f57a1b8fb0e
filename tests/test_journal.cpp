// The interaction journal (log/journal.h) and crash recovery from it
// (log/journal_recovery.h), on real files: the format round-trips every
// kind and optional field, a torn or damaged tail is ignored and nothing
// before it, a live writer's journal is never adopted, a killed writer's is,
// trimming keeps every pending record, and recovery writes what the database
// lacks exactly once and closes the sessions the writer had open.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <sqlite3.h>

#include "log/behaviour_log.h"
#include "log/journal.h"
#include "log/journal_recovery.h"
#include "smartplayer.h"
#include "support.h"

using namespace sp;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Journal files beside db, sorted.
std::vector<std::string> journals_of(const std::string &db) {
  std::vector<std::string> out;
  const std::string prefix = fs::path(journal_prefix(db)).filename().string();
  for (const auto &e : fs::directory_iterator(fs::path(db).parent_path())) {
    std::string n = e.path().filename().string();
    if (n.compare(0, prefix.size(), prefix) == 0) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Every kind, with every combination of optional fields across them.
std::vector<Interaction> sample_events(int64_t first, int n) {
  std::vector<Interaction> v;
  for (int i = 0; i < n; ++i) {
    Interaction e;
    e.seq = first + i;
    e.kind = static_cast<Kind>(i % kKindCount);
    e.position_ms = 1000LL * i - 3;
    e.wall_ms = 1'700'000'000'000 + 17LL * i;
    int mask = i % 16;
    if (mask & 1) e.from_ms = -7 * i;
    if (mask & 2) e.to_ms = INT64_MAX - i;
    if (mask & 4) e.old_value = 0.1 * i;
    if (mask & 8) e.value = -1e300 / (i + 1);
    v.push_back(e);
  }
  return v;
}

std::unique_ptr<Journal> make_journal(const std::string &db) {
  std::unique_ptr<Journal> j;
  std::string err;
  int r = Journal::create(db, j, err);
  INFO(err);
  REQUIRE(r == SP_OK);
  return j;
}

int64_t append_all(Journal &j, int64_t session, const std::vector<Interaction> &evs) {
  int64_t end = 0;
  std::string err;
  for (const auto &e : evs)
    REQUIRE(j.append_event(session, e, &end, err) == SP_OK);
  return end;
}

JournalContents parse_file(const std::string &path) {
  JournalContents c;
  std::string err;
  INFO(path);
  REQUIRE(parse_journal(slurp(path), c, err));
  return c;
}

std::vector<Interaction> events_of(const JournalContents &c, int64_t session) {
  std::vector<Interaction> out;
  for (const auto &e : c.events)
    if (e.session_id == session) out.push_back(e.ix);
  return out;
}

std::unique_ptr<BehaviourLog> open_log(const std::string &path) {
  std::unique_ptr<BehaviourLog> log;
  std::string err;
  int r = BehaviourLog::open(path, LogOptions{}, log, err);
  INFO(err);
  REQUIRE(r == SP_OK);
  return log;
}

int64_t new_session(BehaviourLog &log, int64_t start = 1'700'000'000'000) {
  SessionRow s;
  s.viewer = "alice";
  s.video = "v1";
  s.start_wall_ms = start;
  std::string err;
  REQUIRE(log.begin_session(s, err) == SP_OK);
  return s.id;
}

struct SessionEnd {
  int64_t end_wall_ms = -1;
  std::string reason;
};
SessionEnd session_end(const std::string &db, int64_t id) {
  sqlite3 *h = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt *st = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, "SELECT end_wall_ms, end_reason FROM sessions WHERE id=?1", -1, &st,
                             nullptr) == SQLITE_OK);
  sqlite3_bind_int64(st, 1, id);
  SessionEnd out;
  if (sqlite3_step(st) == SQLITE_ROW) {
    out.end_wall_ms = sqlite3_column_int64(st, 0);
    out.reason = reinterpret_cast<const char *>(sqlite3_column_text(st, 1));
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

} // namespace

TEST_CASE("journal records round-trip every kind and every optional field", "[journal]") {
  auto evs = sample_events(1, 64);
  std::string bytes = journal_header(4242, 7, 1'700'000'000'000);
  for (const auto &e : evs)
    bytes += journal_event_record(7, e);
  bytes += journal_end_record(7, 1'700'000'009'999, "stopped");
  bytes += journal_event_record(8, evs[3]);
  JournalContents c;
  std::string err;
  REQUIRE(parse_journal(bytes, c, err));
  CHECK(c.writer_pid == 4242);
  CHECK(c.open_session_id == 7);
  CHECK(c.open_session_start_ms == 1'700'000'000'000);
  CHECK_FALSE(c.slot_damaged);
  CHECK(events_of(c, 7) == evs);
  CHECK(events_of(c, 8) == std::vector<Interaction>{evs[3]});
  REQUIRE(c.ends.size() == 1);
  CHECK(c.ends[0].session_id == 7);
  CHECK(c.ends[0].end_wall_ms == 1'700'000'009'999);
  CHECK(c.ends[0].reason == "stopped");
  CHECK(c.records == 66);
  CHECK(c.rejected == 0);
  CHECK(c.ignored_bytes == 0);
}

TEST_CASE("a torn last record is ignored at every length, and everything before it is read", "[journal]") {
  auto evs = sample_events(1, 5);
  std::string bytes = journal_header(1, 3, 100);
  for (size_t i = 0; i + 1 < evs.size(); ++i)
    bytes += journal_event_record(3, evs[i]);
  const std::string last = journal_event_record(3, evs.back());
  for (size_t cut = 0; cut < last.size(); ++cut) {
    INFO("cut " << cut);
    JournalContents c;
    std::string err;
    REQUIRE(parse_journal(bytes + last.substr(0, cut), c, err));
    CHECK(events_of(c, 3) == std::vector<Interaction>(evs.begin(), evs.end() - 1));
    CHECK(c.ignored_bytes == cut);
  }
  JournalContents whole;
  std::string err;
  REQUIRE(parse_journal(bytes + last, whole, err));
  CHECK(events_of(whole, 3) == evs);
}

TEST_CASE("a damaged record stops the reader there; bad headers and slots are reported", "[journal]") {
  auto evs = sample_events(1, 4);
  std::string bytes = journal_header(1, 3, 100);
  std::vector<size_t> starts;
  for (const auto &e : evs) {
    starts.push_back(bytes.size());
    bytes += journal_event_record(3, e);
  }
  std::string damaged = bytes;
  damaged[starts[2] + 20] ^= 0x40; // inside the third record's payload
  JournalContents c;
  std::string err;
  REQUIRE(parse_journal(damaged, c, err));
  CHECK(events_of(c, 3) == std::vector<Interaction>(evs.begin(), evs.begin() + 2));
  CHECK(c.ignored_bytes == bytes.size() - starts[2]);

  // A good CRC over a value this build never writes: that record is skipped.
  std::string odd = journal_header(1, 0, 0);
  Interaction bad = evs[0];
  bad.seq = 0;
  odd += journal_event_record(3, bad) + journal_event_record(3, evs[1]);
  REQUIRE(parse_journal(odd, c, err));
  CHECK(c.rejected == 1);
  CHECK(events_of(c, 3) == std::vector<Interaction>{evs[1]});

  // Not a journal, or a version this build does not read.
  CHECK_FALSE(parse_journal("", c, err));
  CHECK_FALSE(parse_journal(std::string(100, 'x'), c, err));
  CHECK(err.find("not an interaction journal") != std::string::npos);
  std::string future = journal_header(1, 0, 0);
  future[8] = 2;
  CHECK_FALSE(parse_journal(future, c, err));
  CHECK(err.find("version 2") != std::string::npos);

  // A damaged slot: no open session is claimed.
  std::string slot = journal_header(1, 9, 100);
  slot[20] ^= 1;
  REQUIRE(parse_journal(slot, c, err));
  CHECK(c.slot_damaged);
  CHECK(c.open_session_id == 0);
}

TEST_CASE("the writer: a locked file beside the database, removed when everything was committed",
          "[journal]") {
  sp_test::TempDir dir;
  std::string db = dir.file("a.db");
  std::string path;
  {
    auto j = make_journal(db);
    path = j->path();
    CHECK(path.rfind(journal_prefix(db) + std::to_string(getpid()) + "-", 0) == 0);
    // Locked: another open file description cannot take the lock.
    int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    CHECK(::flock(fd, LOCK_EX | LOCK_NB) != 0);
    ::close(fd);

    std::string err;
    REQUIRE(j->set_open_session(5, 1234, err) == SP_OK);
    auto evs = sample_events(2, 10);
    int64_t end = append_all(*j, 5, evs);
    CHECK(end == j->size());
    auto c = parse_file(path);
    CHECK(c.open_session_id == 5);
    CHECK(c.open_session_start_ms == 1234);
    CHECK(events_of(c, 5) == evs);
    CHECK(j->pending_bytes() == end - static_cast<int64_t>(kJournalHeaderBytes));
    j->committed(end);
    CHECK(j->pending_bytes() == 0);
  }
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("a writer closed with records not yet committed leaves its journal for the next open",
          "[journal]") {
  sp_test::TempDir dir;
  std::string db = dir.file("a.db");
  auto evs = sample_events(2, 10);
  std::string path;
  {
    auto j = make_journal(db);
    path = j->path();
    int64_t half = append_all(*j, 5, std::vector<Interaction>(evs.begin(), evs.begin() + 5));
    append_all(*j, 5, std::vector<Interaction>(evs.begin() + 5, evs.end()));
    j->committed(half);
    // While it is alive, nobody adopts it.
    std::vector<AdoptedJournal> adopted;
    std::vector<std::string> problems;
    adopt_journals(db, adopted, problems);
    CHECK(adopted.empty());
    CHECK(problems.empty());
  }
  REQUIRE(fs::exists(path));
  std::vector<AdoptedJournal> adopted;
  std::vector<std::string> problems;
  adopt_journals(db, adopted, problems);
  REQUIRE(adopted.size() == 1);
  CHECK(adopted[0].path() == path);
  CHECK(events_of(adopted[0].contents(), 5) == evs); // trimming is lazy: committed records may still be there
  // Adopted = locked by us: nobody else adopts it at the same time.
  std::vector<AdoptedJournal> again;
  adopt_journals(db, again, problems);
  CHECK(again.empty());
  adopted[0].discard();
  CHECK_FALSE(fs::exists(path));
}

TEST_CASE("trimming: committed records are dropped, pending ones always stay on disk", "[journal]") {
  sp_test::TempDir dir;
  std::string db = dir.file("a.db");
  auto j = make_journal(db);
  std::string err;
  REQUIRE(j->set_open_session(9, 777, err) == SP_OK);
  const std::string first_path = j->path();
  // Past the trim size, everything committed: the file is cut back to its header.
  auto evs = sample_events(1, 2000);
  int64_t end = append_all(*j, 9, evs);
  REQUIRE(end - static_cast<int64_t>(kJournalHeaderBytes) >= Journal::kTrimBytes);
  j->committed(end);
  CHECK(j->size() == static_cast<int64_t>(kJournalHeaderBytes));
  CHECK(j->path() == first_path);
  CHECK(fs::file_size(first_path) == kJournalHeaderBytes);
  CHECK(parse_file(first_path).open_session_id == 9);

  // Past it again with a pending tail: the tail moves to a fresh journal.
  auto more = sample_events(2001, 2000);
  int64_t mid = append_all(*j, 9, std::vector<Interaction>(more.begin(), more.begin() + 1990));
  append_all(*j, 9, std::vector<Interaction>(more.begin() + 1990, more.end()));
  j->committed(mid);
  CHECK(j->rotations() == 1);
  CHECK(j->path() != first_path);
  CHECK_FALSE(fs::exists(first_path));
  auto c = parse_file(j->path());
  CHECK(c.open_session_id == 9); // the slot moved with it
  CHECK(c.open_session_start_ms == 777);
  CHECK(events_of(c, 9) == std::vector<Interaction>(more.begin() + 1990, more.end()));
  CHECK(journals_of(db) == std::vector<std::string>{j->path()});
  // Appends go on into the new file.
  Interaction next = sample_events(4001, 1)[0];
  int64_t e2 = append_all(*j, 9, {next});
  CHECK(events_of(parse_file(j->path()), 9).back() == next);
  j->committed(e2);
  const std::string last = j->path();
  j.reset();
  CHECK_FALSE(fs::exists(last));
}

TEST_CASE("a journal is found through a symbolic link or another spelling of the database's path",
          "[journal]") {
  // SQLite follows a link to the database file itself; so must the journal,
  // or a player killed while opened through the link leaves records that an
  // open by the real name never adopts.
  sp_test::TempDir dir;
  const std::string real = dir.file("real.db");
  spit(real, "");
  fs::create_directory(dir.file("sub"));
  const std::string link = dir.file("sub/link.db");
  fs::create_symlink("../real.db", link);
  auto evs = sample_events(1, 4);
  std::string path;
  {
    auto j = make_journal(link);
    path = j->path();
    append_all(*j, 2, evs);
  } // closed with records pending
  CHECK(fs::path(path).parent_path() == fs::canonical(dir.file(".")));
  CHECK(fs::path(path).filename().string().rfind("real.db-spj-", 0) == 0);
  for (const std::string &name : {real, dir.file("sub/../real.db"), link}) {
    INFO(name);
    std::vector<AdoptedJournal> adopted;
    std::vector<std::string> problems;
    adopt_journals(name, adopted, problems);
    REQUIRE(adopted.size() == 1);
    CHECK(events_of(adopted[0].contents(), 2) == evs);
  }
}

TEST_CASE("offsets taken before a rotation still name the same records after it", "[journal]") {
  // The writer commits in batches: when one batch's commit rotates the
  // journal, the rows still queued behind it carry offsets from before the
  // rotation. Committing them must not count the records appended since.
  sp_test::TempDir dir;
  std::string db = dir.file("a.db");
  auto j = make_journal(db);
  std::string err;
  REQUIRE(j->set_open_session(3, 1, err) == SP_OK);
  auto evs = sample_events(1, 9000);
  std::vector<int64_t> ends;
  for (const auto &e : evs) ends.push_back(append_all(*j, 3, {e}));
  // Commit in steps of 1000 records (78 kB), each past the trim size: every
  // commit but the last leaves a tail and rotates; the queued rows behind it
  // (the next steps) all hold offsets from an earlier file.
  size_t done = 0;
  for (size_t step = 1000; done + step < evs.size(); done += step) {
    j->committed(ends[done + step - 1]);
    auto c = parse_file(j->path());
    INFO("committed " << done + step);
    CHECK(events_of(c, 3) == std::vector<Interaction>(evs.begin() + static_cast<long>(done + step), evs.end()));
    CHECK(j->pending_bytes() == ends.back() - ends[done + step - 1]);
  }
  CHECK(j->rotations() == 8);
  // Records appended after the rotations stay pending until committed.
  auto more = sample_events(9001, 3);
  int64_t e_more = append_all(*j, 3, more);
  j->committed(ends.back());
  CHECK(events_of(parse_file(j->path()), 3) == more);
  const std::string path = j->path();
  j.reset(); // closed with records pending: the file stays for adoption
  REQUIRE(fs::exists(path));
  CHECK(events_of(parse_file(path), 3) == more);
  (void)e_more;
}

TEST_CASE("a killed writer's journal is adopted with every record it appended", "[journal]") {
  sp_test::TempDir dir;
  std::string db = dir.file("a.db");
  auto evs = sample_events(2, 300);
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(ready[0]);
    std::unique_ptr<Journal> j;
    std::string err;
    if (Journal::create(db, j, err) != SP_OK) _exit(3);
    if (j->set_open_session(11, 500, err) != SP_OK) _exit(4);
    for (const auto &e : evs)
      if (j->append_event(11, e, nullptr, err) != SP_OK) _exit(5);
    char c = 'y';
    if (write(ready[1], &c, 1) != 1) _exit(6);
    pause(); // killed here, journal open and locked
    _exit(7);
  }
  close(ready[1]);
  char c = 0;
  REQUIRE(read(ready[0], &c, 1) == 1);
  close(ready[0]);
  // Alive: locked, not adopted.
  std::vector<AdoptedJournal> adopted;
  std::vector<std::string> problems;
  adopt_journals(db, adopted, problems);
  CHECK(adopted.empty());
  REQUIRE(kill(pid, SIGKILL) == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  adopt_journals(db, adopted, problems);
  REQUIRE(adopted.size() == 1);
  CHECK(adopted[0].contents().writer_pid == static_cast<uint32_t>(pid));
  CHECK(adopted[0].contents().open_session_id == 11);
  CHECK(events_of(adopted[0].contents(), 11) == evs);
}

TEST_CASE("adopting leaves foreign files alone and removes a journal its writer died creating", "[journal]") {
  sp_test::TempDir dir;
  std::string db = dir.file("a.db");
  spit(journal_prefix(db) + "1-empty", "");
  spit(journal_prefix(db) + "2-foreign", "not a journal at all, just text that is long enough to check");
  spit(dir.file("b.db-spj-3-other-database"), journal_header(3, 0, 0));
  std::vector<AdoptedJournal> adopted;
  std::vector<std::string> problems;
  adopt_journals(db, adopted, problems);
  CHECK(adopted.empty());
  CHECK_FALSE(fs::exists(journal_prefix(db) + "1-empty"));
  CHECK(fs::exists(journal_prefix(db) + "2-foreign"));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("2-foreign") != std::string::npos);
  CHECK(fs::exists(dir.file("b.db-spj-3-other-database")));
}

TEST_CASE("recovery writes what the database lacks once and closes the crashed session", "[journal][log]") {
  sp_test::TempDir dir;
  std::string db = dir.file("r.db");
  auto evs = sample_events(2, 40);
  int64_t sid, other;
  std::string jpath;
  {
    auto log = open_log(db);
    sid = new_session(*log, 1'700'000'000'000);
    other = new_session(*log, 1'700'000'000'001);
    std::string err;
    // The first 25 reached SQLite before the "kill"; the journal has all 40.
    REQUIRE(log->append_events(sid, std::vector<Interaction>(evs.begin(), evs.begin() + 25), err) == SP_OK);
    auto j = make_journal(db);
    jpath = j->path();
    REQUIRE(j->set_open_session(sid, 1'700'000'000'000, err) == SP_OK);
    append_all(*j, sid, evs);
    append_all(*j, 999, sample_events(1, 3)); // a session this database does not have
    // Closed with nothing committed: the file stays, unlocked, as a kill leaves it.
    j.reset();
    REQUIRE(fs::exists(jpath));
  }
  // A second copy, as a kill during a rotation leaves: records are shared.
  spit(journal_prefix(db) + "1-copy", slurp(jpath));

  auto log = open_log(db);
  JournalRecovery rec;
  std::string err;
  REQUIRE(recover_journals(db, *log, rec, err) == SP_OK);
  CHECK(rec.journals == 2);
  CHECK(rec.counts.events_added == 15);
  CHECK(rec.counts.events_present == 25 + 40);
  CHECK(rec.counts.events_orphaned == 6);
  CHECK(rec.counts.sessions_crashed == 1);
  CHECK(rec.problems.empty());
  CHECK(journals_of(db).empty());
  std::vector<Interaction> got;
  REQUIRE(log->read_events(sid, got, err) == SP_OK);
  CHECK(got == evs);
  SessionEnd e = session_end(db, sid);
  CHECK(e.reason == "crashed");
  int64_t last_wall = 0;
  for (const auto &x : evs)
    last_wall = std::max(last_wall, x.wall_ms);
  CHECK(e.end_wall_ms == last_wall);
  CHECK(session_end(db, other).reason.empty()); // someone else's open session: untouched

  // Again: nothing left to do.
  REQUIRE(recover_journals(db, *log, rec, err) == SP_OK);
  CHECK(rec.journals == 0);
}

TEST_CASE("recovery ends a session with the end its writer recorded, and leaves a reused id alone",
          "[journal][log]") {
  sp_test::TempDir dir;
  std::string db = dir.file("r.db");
  auto log = open_log(db);
  int64_t a = new_session(*log, 1000);
  int64_t b = new_session(*log, 2000);
  std::string bytes = journal_header(1, a, 1000);
  auto evs = sample_events(2, 3);
  for (const auto &x : evs)
    bytes += journal_event_record(a, x);
  bytes += journal_end_record(a, 1'800'000'000'000, "stopped");
  spit(journal_prefix(db) + "1-ended", bytes);
  // A slot naming b with another start time: b is not the session that writer had open.
  spit(journal_prefix(db) + "2-stale", journal_header(2, b, 1999));
  JournalRecovery rec;
  std::string err;
  REQUIRE(recover_journals(db, *log, rec, err) == SP_OK);
  CHECK(rec.journals == 2);
  CHECK(rec.counts.sessions_ended == 1);
  CHECK(rec.counts.sessions_crashed == 0);
  SessionEnd ea = session_end(db, a);
  CHECK(ea.reason == "stopped");
  CHECK(ea.end_wall_ms == 1'800'000'000'000);
  CHECK(session_end(db, b).reason.empty());
}

TEST_CASE("a locked database keeps the journals for the next open", "[journal][log]") {
  sp_test::TempDir dir;
  std::string db = dir.file("r.db");
  std::unique_ptr<BehaviourLog> log;
  std::string err;
  LogOptions lo;
  lo.busy_timeout_ms = 50;
  REQUIRE(BehaviourLog::open(db, lo, log, err) == SP_OK);
  int64_t a = new_session(*log, 1000);
  std::string bytes = journal_header(1, a, 1000) + journal_event_record(a, sample_events(2, 1)[0]);
  spit(journal_prefix(db) + "1-x", bytes);
  sqlite3 *other = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  JournalRecovery rec;
  CHECK(recover_journals(db, *log, rec, err) == SP_ERR_DB_LOCKED);
  CHECK(err.find("stay for the next open") != std::string::npos);
  CHECK(fs::exists(journal_prefix(db) + "1-x"));
  REQUIRE(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  REQUIRE(recover_journals(db, *log, rec, err) == SP_OK);
  CHECK(rec.counts.events_added == 1);
  CHECK(rec.counts.sessions_crashed == 1);
  CHECK_FALSE(fs::exists(journal_prefix(db) + "1-x"));
}
