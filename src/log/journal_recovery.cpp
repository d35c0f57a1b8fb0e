// Crash recovery from interaction journals (journal_recovery.h).
#include "log/journal_recovery.h"

#include <map>

#include "core/result.h"
#include "log/journal.h"

namespace sp {

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
