// The crash journal as the control plane keeps it (control/call_journal.h).
#include "control/call_journal.h"

#include "core/result.h"
#include "log/behaviour_log.h"
#include "log/journal.h"
#include "log/journal_recovery.h"

namespace sp {

CallJournal::CallJournal(const std::string &db_path, EventSink sink)
    : db_path_(db_path), sink_(std::move(sink)) {
  if (!db_path_.empty()) Journal::create(db_path_, journal_, unavailable_);
}

CallJournal::~CallJournal() = default;

int64_t CallJournal::append_event(const Interaction &ix, std::string &err) {
  int64_t end = 0;
  if (journal_ && open_session_ > 0 && journal_->append_event(open_session_, ix, &end, err) != kOk) end = 0;
  return end;
}

int64_t CallJournal::append_end(int64_t end_wall_ms, const std::string &reason, std::string &err) {
  int64_t end = 0;
  if (journal_ && open_session_ > 0 &&
      journal_->append_end(open_session_, end_wall_ms, reason, &end, err) != kOk)
    end = 0;
  open_session_ = 0;
  return end;
}

void CallJournal::record_start(int64_t session_id, int64_t start_wall_ms) {
  std::string err;
  if (journal_ && journal_->set_open_session(session_id, start_wall_ms, err) != kOk) report(err, 0);
}

void CallJournal::recover(BehaviourLog *log) {
  if (!unavailable_.empty())
    emit(sink_, EventType::Error, kErrIo, 0, 0, 0,
         "crash journal unavailable, interactions are safe only once committed: " + unavailable_);
  if (!log) return;
  JournalRecovery rec;
  std::string err;
  if (int r = recover_journals(db_path_, *log, rec, err))
    emit(sink_, EventType::Error, r, 0, 0, 0, "crash recovery: " + err);
  for (const auto &p : rec.problems)
    emit(sink_, EventType::Error, kErrIo, 0, 0, 0, "crash recovery: " + p);
}

void CallJournal::report(const std::string &err, int64_t seq) const {
  emit(sink_, EventType::Error, kErrIo, 1, 0, seq,
       "crash journal: " + err +
           " (the interaction is safe once committed to the behaviour log, not before)");
}

} // namespace sp
