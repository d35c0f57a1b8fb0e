// The control plane's crash journal (control/call_journal.h), on real files:
// calls are journalled only for a session that is open, an end closes it, the
// session's start is in the slot, failures become Error events naming the
// call, and what a dead player left is recovered into the database.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "control/call_journal.h"
#include "core/result.h"
#include "log/behaviour_log.h"
#include "log/journal.h"
#include "log/journal_recovery.h"
#include "support.h"

using namespace sp;
namespace fs = std::filesystem;

namespace {

JournalContents read_journal(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  JournalContents c;
  std::string err;
  REQUIRE(parse_journal(bytes, c, err));
  return c;
}

Interaction call(int64_t seq, Kind kind, int64_t pos) {
  Interaction ix;
  ix.seq = seq;
  ix.kind = kind;
  ix.position_ms = pos;
  ix.wall_ms = 1'700'000'000'000 + seq;
  return ix;
}

std::unique_ptr<BehaviourLog> open_log(const std::string &db) {
  std::unique_ptr<BehaviourLog> log;
  std::string err;
  REQUIRE(BehaviourLog::open(db, LogOptions{}, log, err) == kOk);
  return log;
}

struct Events {
  std::vector<Event> got;
  EventSink sink() {
    return [this](Event e) { got.push_back(std::move(e)); };
  }
};

} // namespace

TEST_CASE("call journal: a session's calls and its end, nothing outside a session") {
  sp_test::TempDir dir;
  const std::string db = dir.file("log.db");
  auto log = open_log(db);
  Events ev;
  CallJournal j(db, ev.sink());
  REQUIRE(j.journal() != nullptr);
  std::string err;
  CHECK(j.append_event(call(2, Kind::Pause, 1'000), err) == 0); // no session yet
  CHECK(err.empty());

  j.record_start(41, 1'700'000'000'000);
  j.session_started(41);
  const int64_t a = j.append_event(call(2, Kind::Pause, 1'000), err);
  const int64_t b = j.append_event(call(3, Kind::Play, 1'000), err);
  CHECK(a > 0);
  CHECK(b > a);
  const int64_t e = j.append_end(1'700'000'000'500, "stopped", err);
  CHECK(e > b);
  CHECK(err.empty());
  CHECK(j.append_event(call(4, Kind::Play, 1'000), err) == 0); // the session is over
  CHECK(j.append_end(1'700'000'000'600, "again", err) == 0);

  const JournalContents c = read_journal(j.journal()->path());
  CHECK(c.open_session_id == 41);
  CHECK(c.open_session_start_ms == 1'700'000'000'000);
  REQUIRE(c.events.size() == 2);
  CHECK(c.events[0].session_id == 41);
  CHECK(c.events[0].ix == call(2, Kind::Pause, 1'000));
  CHECK(c.events[1].ix == call(3, Kind::Play, 1'000));
  REQUIRE(c.ends.size() == 1);
  CHECK(c.ends[0].reason == "stopped");
  CHECK(ev.got.empty()); // nothing failed
}

TEST_CASE("call journal: no database, no journal; a journal that cannot be made is reported") {
  Events ev;
  {
    CallJournal none("", ev.sink());
    CHECK(none.journal() == nullptr);
    none.session_started(1);
    std::string err;
    CHECK(none.append_event(call(2, Kind::Pause, 0), err) == 0);
    none.recover(nullptr);
    CHECK(ev.got.empty()); // no log: nothing to say
  }
  CallJournal missing("/nonexistent-sp-dir/log.db", ev.sink());
  CHECK(missing.journal() == nullptr);
  missing.recover(nullptr);
  REQUIRE(ev.got.size() == 1);
  CHECK(ev.got[0].type == EventType::Error);
  CHECK(ev.got[0].code == kErrIo);
  CHECK(ev.got[0].message.find("crash journal unavailable") != std::string::npos);
}

TEST_CASE("call journal: a failure is reported against the call") {
  Events ev;
  CallJournal j("", ev.sink());
  j.report("disk full", 7);
  REQUIRE(ev.got.size() == 1);
  CHECK(ev.got[0].type == EventType::Error);
  CHECK(ev.got[0].code == kErrIo);
  CHECK(ev.got[0].seq == 7);
  CHECK(ev.got[0].value == 1); // one interaction affected
  CHECK(ev.got[0].message.find("crash journal: disk full") == 0);
}

TEST_CASE("call journal: what a dead player journalled is recovered into the database") {
  sp_test::TempDir dir;
  const std::string db = dir.file("log.db");
  auto log = open_log(db);
  SessionRow s{.viewer = "ann", .video = "v1", .start_wall_ms = 1'700'000'000'000, .end_reason = {}, .policy = {}};
  std::string err;
  REQUIRE(log->begin_session(s, err) == kOk);
  {
    Events ev;
    CallJournal dead(db, ev.sink());
    dead.record_start(s.id, s.start_wall_ms);
    dead.session_started(s.id);
    CHECK(dead.append_event(call(2, Kind::Pause, 5'000), err) > 0);
    CHECK(dead.append_event(call(3, Kind::Play, 5'000), err) > 0);
  } // closed with nothing committed: the file stays, as a kill leaves it

  Events ev;
  CallJournal next(db, ev.sink());
  next.recover(log.get());
  CHECK(ev.got.empty());
  std::vector<Interaction> got;
  REQUIRE(log->read_events(s.id, got, err) == kOk);
  REQUIRE(got.size() == 2);
  CHECK(got[0] == call(2, Kind::Pause, 5'000));
  CHECK(got[1] == call(3, Kind::Play, 5'000));
}

TEST_CASE("tools: a writing open recovers what a dead player journalled, a reading one says it waits") {
  sp_test::TempDir dir;
  const std::string db = dir.file("log.db");
  auto log = open_log(db);
  SessionRow s{.viewer = "ann", .video = "v1", .start_wall_ms = 1'700'000'000'000, .end_reason = {}, .policy = {}};
  std::string err;
  REQUIRE(log->begin_session(s, err) == kOk);
  {
    Events ev;
    CallJournal dead(db, ev.sink());
    dead.record_start(s.id, s.start_wall_ms);
    dead.session_started(s.id);
    CHECK(dead.append_event(call(2, Kind::Pause, 5'000), err) > 0);
    CHECK(dead.append_event(call(3, Kind::Play, 5'000), err) > 0);
  } // left behind, as a kill leaves it
  std::vector<Interaction> got;

  // smartplayer-cli list / export-traces, smartplayer-train: read only.
  std::string note = recover_for_tool(db, *log, true);
  INFO(note);
  CHECK(note.find("1 crash journal(s)") != std::string::npos);
  CHECK(note.find("hold 2 interaction(s)") != std::string::npos);
  REQUIRE(log->read_events(s.id, got, err) == kOk);
  CHECK(got.empty()); // nothing written
  CHECK(recover_for_tool(db, *log, true) == note); // and the journal is still there

  // smartplayer-cli add / import-traces, smartplayer-train --save-to-db: write.
  note = recover_for_tool(db, *log, false);
  CHECK(note.find("recovered 1 crash journal(s)") != std::string::npos);
  CHECK(note.find("2 interaction(s) written, 1 session(s) ended") != std::string::npos);
  REQUIRE(log->read_events(s.id, got, err) == kOk);
  CHECK(got.size() == 2);
  CHECK(recover_for_tool(db, *log, true).empty()); // nothing left waiting
  CHECK(recover_for_tool(db, *log, false).empty());
}
