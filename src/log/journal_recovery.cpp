// Crash recovery from interaction journals (journal_recovery.h).
#include "log/journal_recovery.h"

#include <map>

#include "core/result.h"
#include "log/journal.h"

namespace sp {

std::string recover_for_tool(const std::string &db_path, BehaviourLog &log, bool read_only) {
  if (read_only) {
    std::vector<AdoptedJournal> waiting; // locked while counted, released after
    std::vector<std::string> problems;
    adopt_journals(db_path, waiting, problems);
    if (waiting.empty()) return {};
    size_t events = 0;
    for (const auto &j : waiting)
      events += j.contents().events.size();
    return std::to_string(waiting.size()) + " crash journal(s) of killed players beside " + db_path +
           " hold " + std::to_string(events) +
           " interaction(s) that may not be in the database yet (read without them); the next open by a "
           "player, or a smartplayer-cli command that writes, recovers them";
  }
  JournalRecovery rec;
  std::string err;
  if (int r = recover_journals(db_path, log, rec, err); r != kOk)
    return "crash recovery failed, the journals stay for the next open: " + err;
  std::string msg;
  if (rec.journals > 0)
    msg = "recovered " + std::to_string(rec.journals) +
          " crash journal(s) of killed players: " + std::to_string(rec.counts.events_added) +
          " interaction(s) written, " +
          std::to_string(rec.counts.sessions_ended + rec.counts.sessions_crashed) + " session(s) ended";
  for (const auto &p : rec.problems)
    msg += (msg.empty() ? "" : "; ") + ("crash recovery: " + p);
  return msg;
}

int recover_journals(const std::string &db_path, BehaviourLog &log, JournalRecovery &out, std::string &err) {
  out = JournalRecovery{};
  std::vector<AdoptedJournal> adopted;
  adopt_journals(db_path, adopted, out.problems);
  if (adopted.empty()) return kOk;

  // Per session, across every adopted journal (a kill during a rotation
  // leaves two journals of one writer that share records).
  std::map<int64_t, RecoveredSession> sessions;
  auto at = [&](int64_t id) -> RecoveredSession & {
    auto &s = sessions[id];
    s.id = id;
    return s;
  };
  for (const auto &j : adopted) {
    const JournalContents &c = j.contents();
    out.ignored_bytes += static_cast<int64_t>(c.ignored_bytes);
    out.rejected_records += static_cast<int64_t>(c.rejected);
    for (const auto &e : c.events)
      at(e.session_id).events.push_back(e.ix);
    for (const auto &e : c.ends) {
      auto &s = at(e.session_id);
      s.end_wall_ms = e.end_wall_ms;
      s.end_reason = e.reason;
    }
    if (c.open_session_id > 0) {
      auto &s = at(c.open_session_id);
      s.open_at_crash = true;
      s.start_wall_ms = c.open_session_start_ms;
    }
  }
  std::vector<RecoveredSession> list;
  list.reserve(sessions.size());
  for (auto &[id, s] : sessions) {
    if (!s.end_reason.empty()) s.open_at_crash = false; // its writer recorded how it ended
    list.push_back(std::move(s));
  }
  if (int r = log.recover_sessions(list, out.counts, err)) {
    err = "recovering " + std::to_string(adopted.size()) + " interaction journal(s) of " + db_path + ": " +
          err + " (they stay for the next open)";
    return r;
  }
  for (auto &j : adopted)
    j.discard();
  out.journals = static_cast<int64_t>(adopted.size());
  return kOk;
}

} // namespace sp
