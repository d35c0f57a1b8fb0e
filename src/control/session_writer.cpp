#include "control/session_writer.h"

#include <algorithm>
#include <thread>

#include "core/result.h"
#include "log/journal.h"

namespace sp {

SessionWriter::SessionWriter(BehaviourLog *log, const Options &opt, EventSink sink, Journal *journal)
    : log_(log), opt_(opt), sink_(std::move(sink)), journal_(journal) {}

// Retries f while the db is locked, for busy_timeout_ms.
template <class F> int SessionWriter::with_retry(F &&f, std::string &err) {
  auto deadline = Clock::now() + std::chrono::milliseconds(std::max(opt_.busy_timeout_ms, 0));
  for (;;) {
    int r = f(err);
    if (r != kErrDbLocked || Clock::now() >= deadline) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(kRetryMs));
  }
}

int SessionWriter::begin_session(const SessionInfo &info, const std::string &policy, int64_t wall_ms,
                                 int64_t &session_id, std::string &err) {
  session_id = 0;
  if (!log_) return kOk;
  Interaction open;
  open.seq = 1;
  open.kind = Kind::Open;
  open.position_ms = 0;
  open.wall_ms = wall_ms;
  int64_t sid = 0;
  int code = with_retry(
      [&](std::string &e) {
        // The catalogue keeps what it knows (a title or genre set by the
        // CLI); what it lacks comes from this session.
        VideoRow v;
        v.id = info.video_id;
        std::optional<VideoRow> known;
        int r = log_->find_video(v.id, known, e);
        if (r != kOk) return r;
        if (known) {
          v = *known;
          if (v.length_ms <= 0) v.length_ms = info.duration_ms;
          if (v.width <= 0 || v.height <= 0) {
            v.width = info.width;
            v.height = info.height;
          }
          v.has_audio = v.has_audio || info.has_audio;
          if (v.genre.empty() || v.genre == "unknown") v.genre = info.genre;
        } else {
          v.title = info.title;
          v.genre = info.genre;
          v.path = info.path;
          v.length_ms = info.duration_ms;
          v.width = info.width;
          v.height = info.height;
          v.has_audio = info.has_audio;
          v.added_wall_ms = wall_ms;
        }
        r = log_->upsert_video(v, e);
        if (r != kOk) return r;
        r = log_->upsert_viewer(info.viewer_id, wall_ms, e);
        if (r != kOk) return r;
        SessionRow s;
        s.viewer = info.viewer_id;
        s.video = info.video_id;
        s.start_wall_ms = wall_ms;
        s.policy = policy;
        // The session and its open event together: a failure (a full disk,
        // a damaged page) leaves no session without events.
        r = log_->begin_session_with(s, open, e);
        if (r != kOk) return r;
        sid = s.id;
        return static_cast<int>(kOk);
      },
      err);
  if (code != kOk) return code;
  session_id = sid;
  logged_.fetch_add(1, std::memory_order_relaxed);
  emit(sink_, EventType::Logged, kOk, static_cast<int64_t>(Kind::Open), 0, 1, "open");
  return kOk;
}

void SessionWriter::add_event(int64_t session_id, const Interaction &ix, int64_t journal_end) {
  if (queued_events_ == 0) batch_deadline_ = Clock::now() + std::chrono::milliseconds(opt_.batch_ms);
  Row r;
  r.type = Row::Type::Event;
  r.session_id = session_id;
  r.ix = ix;
  r.journal_end = journal_end;
  q_.push_back(std::move(r));
  ++queued_events_;
}

void SessionWriter::add_decision(const DecisionRow &d) {
  Row r;
  r.type = Row::Type::Decision;
  r.session_id = d.session_id;
  r.decision = d;
  q_.push_back(std::move(r));
}

void SessionWriter::end_session(int64_t session_id, int64_t end_wall_ms, const std::string &reason,
                                int64_t journal_end) {
  Row r;
  r.type = Row::Type::End;
  r.session_id = session_id;
  r.end_wall_ms = end_wall_ms;
  r.reason = reason;
  r.journal_end = journal_end;
  q_.push_back(std::move(r));
}

std::optional<SessionWriter::Clock::time_point> SessionWriter::due_at() const {
  if (q_.empty()) return std::nullopt;
  if (retrying_) return retry_at_;
  if (queued_events_ > 0) return batch_deadline_;
  return std::nullopt;
}

bool SessionWriter::due(Clock::time_point now) const {
  // A failed write waits out its retry delay whatever has queued behind it:
  // each attempt re-sends the whole backlog.
  if (retrying_) return now >= retry_at_;
  if (queued_events_ >= kMaxBatch) return true;
  auto at = due_at();
  return at && now >= *at;
}

int SessionWriter::write_session_rows(int64_t session_id, size_t n, std::string &err) {
  // The first n rows of the queue belong to session_id.
  std::vector<Interaction> events;
  std::vector<DecisionRow> decisions;
  std::optional<std::pair<int64_t, std::string>> end; // wall ms, reason
  int64_t events_journal_end = 0, end_journal_end = 0;
  for (size_t i = 0; i < n; ++i) {
    const Row &r = q_[i];
    if (r.type == Row::Type::Event) {
      events.push_back(r.ix);
      events_journal_end = std::max(events_journal_end, r.journal_end);
    } else if (r.type == Row::Type::Decision) {
      decisions.push_back(r.decision);
    } else {
      end.emplace(r.end_wall_ms, r.reason);
      end_journal_end = std::max(end_journal_end, r.journal_end);
    }
  }
  // Rows reach this point in journal order: once these are in the database,
  // so is every journal record before them.
  auto committed = [&](int64_t journal_end) {
    if (journal_ && journal_end > 0) journal_->committed(journal_end);
  };
  auto drop_written = [&](Row::Type type) {
    size_t kept = 0;
    for (size_t i = 0; i < n; ++i)
      if (q_[i].type != type) q_[kept++] = std::move(q_[i]);
    q_.erase(q_.begin() + static_cast<std::ptrdiff_t>(kept), q_.begin() + static_cast<std::ptrdiff_t>(n));
    n = kept;
  };

  if (!events.empty()) {
    std::vector<int64_t> dups;
    if (int r = log_->append_events(session_id, events, err, &dups)) return r;
    drop_written(Row::Type::Event);
    queued_events_ -= events.size();
    committed(events_journal_end);
    const auto n_dups = static_cast<int64_t>(dups.size());
    logged_.fetch_add(static_cast<int64_t>(events.size()) - n_dups, std::memory_order_relaxed);
    for (const auto &ix : events)
      if (std::find(dups.begin(), dups.end(), ix.seq) == dups.end())
        emit(sink_, EventType::Logged, kOk, static_cast<int64_t>(ix.kind), ix.position_ms, ix.seq,
             std::string(kind_name(ix.kind)));
    if (n_dups > 0) {
      dropped_.fetch_add(n_dups, std::memory_order_relaxed);
      std::string seqs;
      for (int64_t s : dups)
        seqs += (seqs.empty() ? "" : ", ") + std::to_string(s);
      emit(sink_, EventType::Error, kErrDb, n_dups, 0, 0,
           "behaviour log: session " + std::to_string(session_id) + " already holds seq " + seqs +
               "; these events were not written (counted in events_dropped)");
    }
  }
  if (!decisions.empty()) {
    if (int r = log_->append_decisions(decisions, err)) return r;
    drop_written(Row::Type::Decision);
  }
  if (end) {
    if (int r = log_->end_session(session_id, end->first, end->second, err)) {
      err = "ending the session: " + err;
      return r;
    }
    drop_written(Row::Type::End);
    committed(end_journal_end);
  }
  return kOk;
}

int SessionWriter::write_queued(std::string &err) {
  while (!q_.empty()) {
    const int64_t sid = q_.front().session_id;
    size_t n = 0;
    while (n < q_.size() && q_[n].session_id == sid)
      ++n;
    if (int r = write_session_rows(sid, n, err)) return r;
  }
  return kOk;
}

bool SessionWriter::flush(bool final) {
  if (q_.empty()) {
    retrying_ = false;
    return true;
  }
  if (!log_) {
    q_.clear();
    queued_events_ = 0;
    retrying_ = false;
    return true;
  }
  std::string err;
  int r = kOk;
  auto deadline = Clock::now() + std::chrono::milliseconds(final ? std::max(opt_.busy_timeout_ms, 1000) : 0);
  for (;;) {
    r = write_queued(err);
    if (r == kOk || !final || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(kRetryMs));
  }
  if (r == kOk) {
    retrying_ = false;
    return true;
  }
  const auto events = static_cast<int64_t>(queued_events_);
  if (final) {
    // What the journal holds is written by the next open; the rest is lost.
    int64_t in_journal = 0;
    for (const Row &row : q_)
      if (row.type == Row::Type::Event && row.journal_end > 0) ++in_journal;
    const int64_t lost = events - in_journal;
    dropped_.fetch_add(lost, std::memory_order_relaxed);
    deferred_.fetch_add(in_journal, std::memory_order_relaxed);
    const size_t others = q_.size() - queued_events_;
    q_.clear();
    queued_events_ = 0;
    retrying_ = false;
    std::string msg =
        "behaviour log: " + std::to_string(events) + " events" +
        (others ? " (and " + std::to_string(others) + " decisions or session ends)" : std::string()) +
        " could not be written at shutdown: " + err;
    if (in_journal > 0)
      msg += "; " + std::to_string(in_journal) + " of the events stay in the crash journal " +
             journal_->path() + " and are written at the next open of the database";
    if (lost > 0) msg += "; " + std::to_string(lost) + " events are lost (counted in events_dropped)";
    emit(sink_, EventType::Error, r, events, 0, 0, msg);
    return false;
  }
  // Keep the queue (in front of anything newer) and retry later.
  emit(sink_, EventType::Error, r, events, 0, 0, "behaviour log write failed, will retry: " + err);
  retrying_ = true;
  retry_at_ = Clock::now() + std::chrono::milliseconds(kRetryMs);
  return false;
}

} // namespace sp
