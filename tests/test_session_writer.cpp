// The control plane's session writer (control/session_writer.h) on real
// SQLite files: the session row and catalogue at begin, batching, a locked
// database retried with every row under its own session (issue 10, defect 1),
// genuine duplicates counted and reported, and what a shutdown cannot write
// counted as dropped.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "control/session_writer.h"
#include "core/result.h"
#include "log/journal.h"
#include "log/journal_recovery.h"
#include "support.h"

using namespace sp;
using namespace sp_test;

namespace {

std::unique_ptr<BehaviourLog> open_log(const std::string &path, int busy_ms = 5000) {
  std::unique_ptr<BehaviourLog> log;
  std::string err;
  LogOptions lo;
  lo.busy_timeout_ms = busy_ms;
  REQUIRE(BehaviourLog::open(path, lo, log, err) == kOk);
  return log;
}

SessionInfo info(const std::string &video, const std::string &viewer = "ann") {
  SessionInfo i;
  i.video_id = video;
  i.title = "Title of " + video;
  i.genre = "drama";
  i.path = "/media/" + video + ".mp4";
  i.viewer_id = viewer;
  i.duration_ms = 60000;
  return i;
}

Interaction ix(int64_t seq, Kind k, int64_t pos = 0) {
  Interaction e;
  e.seq = seq;
  e.kind = k;
  e.position_ms = pos;
  e.wall_ms = 1'700'000'000'000 + seq;
  return e;
}

struct Events {
  std::vector<Event> all;
  EventSink sink() {
    return [this](Event e) { all.push_back(std::move(e)); };
  }
  std::vector<Event> of(EventType t) const {
    std::vector<Event> out;
    for (const auto &e : all)
      if (e.type == t) out.push_back(e);
    return out;
  }
};

std::vector<int64_t> seqs(BehaviourLog &log, int64_t session) {
  std::vector<Interaction> ev;
  std::string err;
  REQUIRE(log.read_events(session, ev, err) == kOk);
  std::vector<int64_t> out;
  for (const auto &e : ev)
    out.push_back(e.seq);
  return out;
}

// A second connection that holds the write lock while it lives.
class Lock {
public:
  explicit Lock(const std::string &path) {
    REQUIRE(sqlite3_open(path.c_str(), &db_) == SQLITE_OK);
    sqlite3_busy_timeout(db_, 10000);
    REQUIRE(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  ~Lock() { release(); }
  void release() {
    if (!db_) return;
    sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
    db_ = nullptr;
  }

private:
  sqlite3 *db_ = nullptr;
};

SessionWriter::Options opts(int busy_ms = 200, int batch_ms = 50) {
  SessionWriter::Options o;
  o.busy_timeout_ms = busy_ms;
  o.batch_ms = batch_ms;
  return o;
}

} // namespace

TEST_CASE("begin writes the catalogue, the viewer, the session and its Open event") {
  TempDir dir;
  auto log = open_log(dir.file("w.db"));
  Events ev;
  SessionWriter w(log.get(), opts(), ev.sink());
  std::string err;
  int64_t sid = 0;
  REQUIRE(w.begin_session(info("v1"), "fixed-timeout", 1'700'000'000'000, sid, err) == kOk);
  CHECK(sid > 0);
  CHECK(w.events_logged() == 1);
  CHECK(seqs(*log, sid) == std::vector<int64_t>{1});
  std::optional<VideoRow> v;
  REQUIRE(log->find_video("v1", v, err) == kOk);
  REQUIRE(v);
  CHECK(v->title == "Title of v1");
  CHECK(v->length_ms == 60000);
  std::vector<TraceSession> t;
  REQUIRE(log->read_traces(t, err) == kOk);
  REQUIRE(t.size() == 1);
  CHECK(t[0].viewer == "ann");
  REQUIRE(ev.of(EventType::Logged).size() == 1);
  CHECK(ev.of(EventType::Logged)[0].seq == 1);

  // What the catalogue already knows (a title set by the CLI) is kept.
  VideoRow known;
  known.id = "v2";
  known.title = "Catalogue title";
  known.genre = "unknown";
  REQUIRE(log->upsert_video(known, err) == kOk);
  REQUIRE(w.begin_session(info("v2"), "fixed-timeout", 1'700'000'001'000, sid, err) == kOk);
  REQUIRE(log->find_video("v2", v, err) == kOk);
  CHECK(v->title == "Catalogue title");
  CHECK(v->genre == "drama");   // unknown before: the session's genre fills it
  CHECK(v->length_ms == 60000); // likewise the length
}

TEST_CASE("events wait for their batch deadline and are committed in one go, in order") {
  TempDir dir;
  auto log = open_log(dir.file("w.db"));
  Events ev;
  SessionWriter w(log.get(), opts(200, 50), ev.sink());
  std::string err;
  int64_t sid = 0;
  REQUIRE(w.begin_session(info("v1"), "p", 1, sid, err) == kOk);
  CHECK_FALSE(w.due_at());
  const auto before = SessionWriter::Clock::now();
  w.add_event(sid, ix(2, Kind::Play));
  w.add_event(sid, ix(3, Kind::Pause, 1200));
  REQUIRE(w.due_at());
  CHECK(*w.due_at() >= before + std::chrono::milliseconds(50));
  CHECK_FALSE(w.due(before));
  CHECK(w.due(*w.due_at()));
  CHECK(seqs(*log, sid) == std::vector<int64_t>{1}); // nothing written before the flush
  REQUIRE(w.flush(false));
  CHECK(w.empty());
  CHECK(seqs(*log, sid) == std::vector<int64_t>{1, 2, 3});
  CHECK(w.events_logged() == 3);
  auto logged = ev.of(EventType::Logged);
  REQUIRE(logged.size() == 3);
  CHECK(logged[2].seq == 3);
  CHECK(logged[2].value == static_cast<int64_t>(Kind::Pause));
  CHECK(logged[2].message == "pause");

  // A decision alone sets no deadline: it goes with the next write.
  DecisionRow d;
  d.session_id = sid;
  d.action = "sleep";
  d.reason = "policy";
  w.add_decision(d);
  CHECK_FALSE(w.due_at());
  // A full batch is due at once.
  for (int64_t s = 4; s < 4 + static_cast<int64_t>(SessionWriter::kMaxBatch); ++s)
    w.add_event(sid, ix(s, Kind::Seek));
  CHECK(w.due(before));
  REQUIRE(w.flush(false));
  std::vector<DecisionRow> rows;
  REQUIRE(log->read_decisions(sid, rows, err) == kOk);
  CHECK(rows.size() == 1);
  CHECK(seqs(*log, sid).size() == 3 + SessionWriter::kMaxBatch);
}

TEST_CASE("a lock held across a session change: every row is written under its own session") {
  TempDir dir;
  const std::string db = dir.file("w.db");
  auto log = open_log(db, 100);
  Events ev;
  SessionWriter w(log.get(), opts(100, 10), ev.sink());
  std::string err;
  int64_t a = 0, b = 0;
  REQUIRE(w.begin_session(info("va"), "p", 1000, a, err) == kOk);
  Lock lock(db);
  // Session A's calls, its end, all refused by the lock and kept.
  for (int64_t s = 2; s <= 5; ++s)
    w.add_event(a, ix(s, Kind::Seek, s * 100));
  DecisionRow d;
  d.session_id = a;
  d.action = "wake";
  w.add_decision(d);
  w.end_session(a, 5000, "stopped");
  CHECK_FALSE(w.flush(false));
  CHECK_FALSE(w.empty());
  auto errors = ev.of(EventType::Error);
  REQUIRE(!errors.empty());
  CHECK(errors.back().code == kErrDbLocked);
  CHECK(errors.back().message.find("will retry") != std::string::npos);
  REQUIRE(w.due_at()); // the retry is scheduled
  // The lock goes; session B begins before A's rows are retried, and has
  // its own seq 2..5, the very numbers A's queued events carry.
  lock.release();
  REQUIRE(w.begin_session(info("vb"), "p", 6000, b, err) == kOk);
  CHECK(b != a);
  for (int64_t s = 2; s <= 5; ++s)
    w.add_event(b, ix(s, Kind::Pause, s * 10));
  REQUIRE(w.flush(false));
  CHECK(w.empty());
  CHECK(seqs(*log, a) == std::vector<int64_t>{1, 2, 3, 4, 5});
  CHECK(seqs(*log, b) == std::vector<int64_t>{1, 2, 3, 4, 5});
  std::vector<Interaction> in_a, in_b;
  REQUIRE(log->read_events(a, in_a, err) == kOk);
  REQUIRE(log->read_events(b, in_b, err) == kOk);
  CHECK(in_a[3].kind == Kind::Seek);
  CHECK(in_a[3].position_ms == 400);
  CHECK(in_b[3].kind == Kind::Pause);
  CHECK(in_b[3].position_ms == 40);
  std::vector<DecisionRow> rows;
  REQUIRE(log->read_decisions(a, rows, err) == kOk);
  CHECK(rows.size() == 1);
  std::vector<TraceSession> t;
  REQUIRE(log->read_traces(t, err) == kOk);
  REQUIRE(t.size() == 2);
  CHECK(t[0].end_reason == "stopped"); // A's end, written after its events
  CHECK(t[0].end_wall_ms == 5000);
  CHECK(w.events_logged() == 10);
  CHECK(w.events_dropped() == 0);
}

TEST_CASE("a seq the session already holds is not written, and is counted and reported") {
  TempDir dir;
  auto log = open_log(dir.file("w.db"));
  Events ev;
  SessionWriter w(log.get(), opts(), ev.sink());
  std::string err;
  int64_t sid = 0;
  REQUIRE(w.begin_session(info("v1"), "p", 1, sid, err) == kOk);
  // Another writer put seq 3 into this session first.
  REQUIRE(log->append_events(sid, {ix(3, Kind::Mute, 777)}, err) == kOk);
  w.add_event(sid, ix(2, Kind::Play));
  w.add_event(sid, ix(3, Kind::Pause));
  w.add_event(sid, ix(4, Kind::Play));
  REQUIRE(w.flush(false));
  CHECK(w.events_logged() == 3);  // open, 2, 4
  CHECK(w.events_dropped() == 1); // the second 3
  auto errors = ev.of(EventType::Error);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].value == 1);
  CHECK(errors[0].message.find("seq 3") != std::string::npos);
  CHECK(errors[0].message.find("events_dropped") != std::string::npos);
  std::vector<int64_t> logged;
  for (const auto &e : ev.of(EventType::Logged))
    logged.push_back(e.seq);
  CHECK(logged == std::vector<int64_t>{1, 2, 4});
  std::vector<Interaction> got;
  REQUIRE(log->read_events(sid, got, err) == kOk);
  REQUIRE(got.size() == 4);
  CHECK(got[2].kind == Kind::Mute); // the row that was there first stays
}

TEST_CASE("at shutdown a lock is retried, then what is left is counted as dropped and reported") {
  TempDir dir;
  const std::string db = dir.file("w.db");
  auto log = open_log(db, 100);
  Events ev;
  SessionWriter w(log.get(), opts(100, 10), ev.sink());
  std::string err;
  int64_t sid = 0;
  REQUIRE(w.begin_session(info("v1"), "p", 1, sid, err) == kOk);
  Lock lock(db);
  w.add_event(sid, ix(2, Kind::Play));
  w.add_event(sid, ix(3, Kind::Pause));
  w.end_session(sid, 99, "abandoned");
  CHECK_FALSE(w.flush(true)); // retried for at least a second, then given up
  CHECK(w.empty());
  CHECK(w.events_dropped() == 2);
  auto errors = ev.of(EventType::Error);
  REQUIRE(!errors.empty());
  CHECK(errors.back().value == 2);
  CHECK(errors.back().message.find(
            "2 events (and 1 decisions or session ends) could not be written at shutdown") !=
        std::string::npos);
  lock.release();
  CHECK(seqs(*log, sid) == std::vector<int64_t>{1});
}

TEST_CASE("with a crash journal: committed rows are dropped from it, in journal order") {
  TempDir dir;
  const std::string db = dir.file("w.db");
  auto log = open_log(db);
  std::unique_ptr<Journal> journal;
  std::string err;
  REQUIRE(Journal::create(db, journal, err) == kOk);
  Events ev;
  SessionWriter w(log.get(), opts(), ev.sink(), journal.get());
  int64_t sid = 0;
  REQUIRE(w.begin_session(info("v1"), "p", 1, sid, err) == kOk);
  int64_t end = 0;
  for (int64_t s = 2; s <= 6; ++s) {
    const Interaction e = ix(s, Kind::Volume);
    REQUIRE(journal->append_event(sid, e, &end, err) == kOk);
    w.add_event(sid, e, end);
  }
  REQUIRE(journal->append_end(sid, 77, "stopped", &end, err) == kOk);
  w.end_session(sid, 77, "stopped", end);
  CHECK(journal->pending_bytes() > 0);
  REQUIRE(w.flush(false));
  CHECK(journal->pending_bytes() == 0);
  CHECK(seqs(*log, sid) == std::vector<int64_t>{1, 2, 3, 4, 5, 6});
  const std::string path = journal->path();
  journal.reset(); // everything committed: nothing is left for anyone to adopt
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE(
    "at shutdown, what a lock keeps out of the log stays in the journal for the next open, not dropped") {
  TempDir dir;
  const std::string db = dir.file("w.db");
  auto log = open_log(db, 100);
  std::unique_ptr<Journal> journal;
  std::string err;
  REQUIRE(Journal::create(db, journal, err) == kOk);
  Events ev;
  SessionWriter w(log.get(), opts(100, 10), ev.sink(), journal.get());
  int64_t sid = 0;
  REQUIRE(w.begin_session(info("v1"), "p", 1, sid, err) == kOk);
  REQUIRE(journal->set_open_session(sid, 1, err) == kOk);
  Lock lock(db);
  int64_t end = 0;
  for (int64_t s = 2; s <= 4; ++s) {
    const Interaction e = ix(s, Kind::Seek, s * 1000);
    REQUIRE(journal->append_event(sid, e, &end, err) == kOk);
    w.add_event(sid, e, end);
  }
  w.add_event(sid, ix(5, Kind::Play)); // its journal append failed: not in the journal
  REQUIRE(journal->append_end(sid, 1'700'000'000'099, "stopped", &end, err) == kOk);
  w.end_session(sid, 1'700'000'000'099, "stopped", end);
  CHECK_FALSE(w.flush(true));
  CHECK(w.events_dropped() == 1);
  CHECK(w.events_deferred() == 3);
  auto errors = ev.of(EventType::Error);
  REQUIRE(!errors.empty());
  CHECK(errors.back().message.find("3 of the events stay in the crash journal") != std::string::npos);
  CHECK(errors.back().message.find("1 events are lost") != std::string::npos);
  journal.reset(); // the player closes: the journal stays
  lock.release();

  // The next open of the database.
  JournalRecovery rec;
  REQUIRE(recover_journals(db, *log, rec, err) == kOk);
  CHECK(rec.journals == 1);
  CHECK(rec.counts.events_added == 3);
  CHECK(rec.counts.sessions_ended == 1);
  CHECK(seqs(*log, sid) == std::vector<int64_t>{1, 2, 3, 4});
  std::vector<TraceSession> t;
  REQUIRE(log->read_traces(t, err) == kOk);
  REQUIRE(t.size() == 1);
  CHECK(t[0].end_reason == "stopped");
  CHECK(t[0].end_wall_ms == 1'700'000'000'099);
}

TEST_CASE("without a behaviour log rows are accepted and nothing counts as logged") {
  Events ev;
  SessionWriter w(nullptr, opts(), ev.sink());
  std::string err;
  int64_t sid = 42;
  REQUIRE(w.begin_session(info("v1"), "p", 1, sid, err) == kOk);
  CHECK(sid == 0);
  w.add_event(sid, ix(2, Kind::Play));
  CHECK(w.flush(false));
  CHECK(w.empty());
  CHECK(w.events_logged() == 0);
  CHECK(w.events_dropped() == 0);
  CHECK(ev.all.empty());
}
