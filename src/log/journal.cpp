// The interaction journal (journal.h): encoding, the writer, and adopting
// the journals of writers that are gone.
#include "log/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <system_error>

extern "C" {
#include <libavutil/crc.h>
}

#include "core/result.h"

namespace sp {
namespace {

constexpr char kMagic[8] = {'S', 'P', 'J', 'R', 'N', 'L', '\0', '\x1a'};
constexpr uint32_t kVersion = 1;
constexpr size_t kSlotOffset = 16;
constexpr uint8_t kTypeEvent = 1, kTypeEnd = 2;
constexpr size_t kEventPayload = 1 + 8 + 8 + 4 + 8 + 8 + 1 + 8 + 8 + 8 + 8; // 70
constexpr size_t kMaxPayload = 1024;
constexpr uint64_t kMaxAdoptBytes = 256ull << 20; // a larger file is left in place and reported

uint32_t crc32(std::string_view b) {
  static const AVCRC *table = av_crc_get_table(AV_CRC_32_IEEE_LE);
  return av_crc(table, 0xFFFFFFFFu, reinterpret_cast<const uint8_t *>(b.data()), b.size()) ^ 0xFFFFFFFFu;
}

// ------------------------------------------------------------ little-endian
void put_u8(std::string &s, uint8_t v) {
  s.push_back(static_cast<char>(v));
}
void put_u16(std::string &s, uint16_t v) {
  for (int i = 0; i < 2; ++i)
    s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u32(std::string &s, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string &s, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_i64(std::string &s, int64_t v) {
  put_u64(s, static_cast<uint64_t>(v));
}
void put_f64(std::string &s, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  put_u64(s, bits);
}

// A bounded cursor over bytes; every read checks the length first.
class Reader {
public:
  explicit Reader(std::string_view b) : b_(b) {}
  size_t left() const { return b_.size() - pos_; }
  bool u8(uint8_t &v) { return get(v, 1); }
  bool u16(uint16_t &v) { return get(v, 2); }
  bool u32(uint32_t &v) { return get(v, 4); }
  bool u64(uint64_t &v) { return get(v, 8); }
  bool i32(int32_t &v) {
    uint32_t u;
    if (!u32(u)) return false;
    v = static_cast<int32_t>(u);
    return true;
  }
  bool i64(int64_t &v) {
    uint64_t u;
    if (!u64(u)) return false;
    v = static_cast<int64_t>(u);
    return true;
  }
  bool f64(double &v) {
    uint64_t u;
    if (!u64(u)) return false;
    std::memcpy(&v, &u, sizeof v);
    return true;
  }
  bool bytes(size_t n, std::string_view &out) {
    if (left() < n) return false;
    out = b_.substr(pos_, n);
    pos_ += n;
    return true;
  }

private:
  template <class T> bool get(T &v, size_t n) {
    if (left() < n) return false;
    uint64_t acc = 0;
    for (size_t i = 0; i < n; ++i)
      acc |= static_cast<uint64_t>(static_cast<uint8_t>(b_[pos_ + i])) << (8 * i);
    v = static_cast<T>(acc);
    pos_ += n;
    return true;
  }
  std::string_view b_;
  size_t pos_ = 0;
};

std::string slot_bytes(int64_t session_id, int64_t start_ms) {
  std::string s;
  put_i64(s, session_id);
  put_i64(s, start_ms);
  put_u32(s, crc32(s));
  put_u32(s, 0);
  return s;
}

std::string frame(const std::string &payload) {
  std::string rec;
  rec.reserve(8 + payload.size());
  put_u32(rec, static_cast<uint32_t>(payload.size()));
  put_u32(rec, crc32(payload));
  rec += payload;
  return rec;
}

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// One payload with a good CRC: an event or a session end, checked value by
// value (a record this build did not write is rejected, not trusted).
bool parse_payload(std::string_view p, JournalContents &out) {
  Reader r(p);
  uint8_t type = 0;
  if (!r.u8(type)) return false;
  if (type == kTypeEvent) {
    if (p.size() != kEventPayload) return false;
    JournalEvent e;
    int32_t kind = 0;
    uint8_t mask = 0;
    int64_t from = 0, to = 0;
    double old_v = 0, val = 0;
    r.i64(e.session_id);
    r.i64(e.ix.seq);
    r.i32(kind);
    r.i64(e.ix.position_ms);
    r.i64(e.ix.wall_ms);
    r.u8(mask);
    r.i64(from);
    r.i64(to);
    r.f64(old_v);
    r.f64(val);
    if (e.session_id <= 0 || e.ix.seq < 1 || kind < 0 || kind >= kKindCount || mask > 15) return false;
    if (((mask & 4) && !std::isfinite(old_v)) || ((mask & 8) && !std::isfinite(val))) return false;
    e.ix.kind = static_cast<Kind>(kind);
    if (mask & 1) e.ix.from_ms = from;
    if (mask & 2) e.ix.to_ms = to;
    if (mask & 4) e.ix.old_value = old_v;
    if (mask & 8) e.ix.value = val;
    out.events.push_back(std::move(e));
    return true;
  }
  if (type == kTypeEnd) {
    JournalEnd e;
    uint16_t n = 0;
    std::string_view reason;
    if (!r.i64(e.session_id) || !r.i64(e.end_wall_ms) || !r.u16(n) || n > kJournalMaxReason ||
        !r.bytes(n, reason) || r.left() != 0)
      return false;
    if (e.session_id <= 0 || reason.empty() || !printable_ascii(reason)) return false;
    e.reason = std::string(reason);
    out.ends.push_back(std::move(e));
    return true;
  }
  return false; // unknown type (a newer writer): skipped
}

std::string errno_text(int e) {
  return std::system_category().message(e);
}

// pwrite all of `b` at `off` (a regular file: short writes only on errors).
bool write_all(int fd, std::string_view b, int64_t off, int &e) {
  size_t done = 0;
  while (done < b.size()) {
    ssize_t n =
        ::pwrite(fd, b.data() + done, b.size() - done, static_cast<off_t>(off + static_cast<int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      e = errno;
      return false;
    }
    if (n == 0) {
      e = EIO;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

bool read_all(int fd, std::string &out, uint64_t size) {
  out.resize(size);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, out.data() + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return done == size;
}

// The path still names the file open on fd (nobody unlinked or replaced it).
bool still_linked(int fd, const std::string &path) {
  struct stat a {
  }, b{};
  if (::fstat(fd, &a) != 0 || a.st_nlink == 0) return false;
  if (::stat(path.c_str(), &b) != 0) return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

std::string random_hex16() {
  static thread_local std::mt19937_64 rng{std::random_device{}() ^ (static_cast<uint64_t>(::getpid()) << 32)};
  static const char *digits = "0123456789abcdef";
  uint64_t v = rng();
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4)
    s[static_cast<size_t>(i)] = digits[v & 15];
  return s;
}

// Creates, locks and names a new journal file holding just a header.
int create_file(const std::string &db_path, int64_t slot_session, int64_t slot_start, std::string &path,
                int &fd, std::string &err) {
  const std::string prefix = journal_prefix(db_path) + std::to_string(::getpid()) + "-";
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string p = prefix + random_hex16();
    int f = ::open(p.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (f < 0) {
      if (errno == EEXIST) continue;
      int e = errno;
      err = "interaction journal " + p + ": cannot create it: " + errno_text(e);
      return (e == EACCES || e == EROFS || e == EPERM) ? kErrDbReadonly : kErrIo;
    }
    // Between open and flock another process may adopt (and remove) the
    // empty file; then start again under a new name.
    if (::flock(f, LOCK_EX | LOCK_NB) != 0 || !still_linked(f, p)) {
      ::close(f);
      continue;
    }
    std::string header = journal_header(static_cast<uint32_t>(::getpid()), slot_session, slot_start);
    int e = 0;
    if (!write_all(f, header, 0, e)) {
      ::unlink(p.c_str());
      ::close(f);
      err = "interaction journal " + p + ": cannot write its header: " + errno_text(e);
      return kErrIo;
    }
    path = std::move(p);
    fd = f;
    return kOk;
  }
  err = "interaction journal beside " + db_path + ": could not create a journal file under a unique name";
  return kErrIo;
}

} // namespace

// ====================================================================== encoding

std::string journal_header(uint32_t pid, int64_t open_session_id, int64_t open_session_start_ms) {
  std::string h(kMagic, sizeof kMagic);
  put_u32(h, kVersion);
  put_u32(h, pid);
  h += slot_bytes(open_session_id, open_session_start_ms);
  return h;
}

std::string journal_event_record(int64_t session_id, const Interaction &ix) {
  std::string p;
  p.reserve(kEventPayload);
  put_u8(p, kTypeEvent);
  put_i64(p, session_id);
  put_i64(p, ix.seq);
  put_u32(p, static_cast<uint32_t>(static_cast<int32_t>(ix.kind)));
  put_i64(p, ix.position_ms);
  put_i64(p, ix.wall_ms);
  uint8_t mask = (ix.from_ms ? 1 : 0) | (ix.to_ms ? 2 : 0) | (ix.old_value ? 4 : 0) | (ix.value ? 8 : 0);
  put_u8(p, mask);
  put_i64(p, ix.from_ms.value_or(0));
  put_i64(p, ix.to_ms.value_or(0));
  put_f64(p, ix.old_value.value_or(0.0));
  put_f64(p, ix.value.value_or(0.0));
  return frame(p);
}

std::string journal_end_record(int64_t session_id, int64_t end_wall_ms, std::string_view reason) {
  if (reason.size() > kJournalMaxReason) reason = reason.substr(0, kJournalMaxReason);
  std::string p;
  put_u8(p, kTypeEnd);
  put_i64(p, session_id);
  put_i64(p, end_wall_ms);
  put_u16(p, static_cast<uint16_t>(reason.size()));
  p += reason;
  return frame(p);
}

std::string journal_prefix(const std::string &db_path) {
  // Named for the database file itself, as SQLite names its -wal: through a
  // symbolic link, a relative path or another spelling of the folder, every
  // opener finds the same journals.
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path real = fs::weakly_canonical(fs::absolute(db_path, ec), ec);
  if (ec || real.empty()) return db_path + "-spj-";
  return real.string() + "-spj-";
}

bool parse_journal(std::string_view bytes, JournalContents &out, std::string &err) {
  out = JournalContents{};
  if (bytes.size() < kJournalHeaderBytes ||
      bytes.substr(0, sizeof kMagic) != std::string_view(kMagic, sizeof kMagic)) {
    err = "not an interaction journal (no journal header)";
    return false;
  }
  Reader h(bytes.substr(sizeof kMagic, kJournalHeaderBytes - sizeof kMagic));
  uint32_t version = 0, slot_crc = 0;
  int64_t sid = 0, start = 0;
  h.u32(version);
  h.u32(out.writer_pid);
  h.i64(sid);
  h.i64(start);
  h.u32(slot_crc);
  if (version != kVersion) {
    err = "interaction journal version " + std::to_string(version) + " is not one this build reads (" +
          std::to_string(kVersion) + ")";
    return false;
  }
  if (slot_crc == crc32(bytes.substr(kSlotOffset, 16)) && sid >= 0) {
    out.open_session_id = sid;
    out.open_session_start_ms = start;
  } else {
    out.slot_damaged = true;
  }

  Reader r(bytes.substr(kJournalHeaderBytes));
  for (;;) {
    size_t at = r.left();
    if (at == 0) break;
    uint32_t len = 0, crc = 0;
    std::string_view payload;
    if (!r.u32(len) || !r.u32(crc) || len == 0 || len > kMaxPayload || !r.bytes(len, payload) ||
        crc32(payload) != crc) {
      out.ignored_bytes = at; // an incomplete or damaged record: it and everything after
      break;
    }
    if (parse_payload(payload, out))
      ++out.records;
    else
      ++out.rejected;
  }
  return true;
}

// ====================================================================== writer

Journal::Journal(std::string db_path, std::string path, int fd)
    : db_path_(std::move(db_path)), path_(std::move(path)), fd_(fd), end_(kJournalHeaderBytes),
      committed_(kJournalHeaderBytes) {}

int Journal::create(const std::string &db_path, std::unique_ptr<Journal> &out, std::string &err) {
  std::string path;
  int fd = -1;
  if (int r = create_file(db_path, 0, 0, path, fd, err)) return r;
  // The file and its name on disk (a power loss must not lose the journal
  // the session slot will be written to; its records are not synced).
  ::fsync(fd);
  std::string folder = std::filesystem::path(path).parent_path().string();
  int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  out.reset(new Journal(db_path, std::move(path), fd));
  return kOk;
}

Journal::~Journal() {
  std::lock_guard lk(mu_);
  // Everything written is in the database: nothing for anyone to adopt.
  // (Unlink while still holding the lock, so no one adopts it meanwhile.)
  if (committed_ >= end_) ::unlink(path_.c_str());
  ::close(fd_);
}

std::string Journal::path() const {
  std::lock_guard lk(mu_);
  return path_;
}
int64_t Journal::size() const {
  std::lock_guard lk(mu_);
  return end_ - base_;
}
int64_t Journal::pending_bytes() const {
  std::lock_guard lk(mu_);
  return end_ - committed_;
}
int64_t Journal::rotations() const {
  std::lock_guard lk(mu_);
  return rotations_;
}

int Journal::append_event(int64_t session_id, const Interaction &ix, int64_t *end_offset, std::string &err) {
  return append(journal_event_record(session_id, ix), end_offset, err);
}

int Journal::append_end(int64_t session_id, int64_t end_wall_ms, std::string_view reason, int64_t *end_offset,
                        std::string &err) {
  return append(journal_end_record(session_id, end_wall_ms, reason), end_offset, err);
}

int Journal::append(const std::string &rec, int64_t *end_offset, std::string &err) {
  std::lock_guard lk(mu_);
  int e = 0;
  if (!write_all(fd_, rec, end_ - base_, e)) {
    // Whatever part was written lies past end_: the next record overwrites it.
    err = "interaction journal " + path_ + ": append failed: " + errno_text(e);
    return kErrIo;
  }
  end_ += static_cast<int64_t>(rec.size());
  if (end_offset) *end_offset = end_;
  return kOk;
}

int Journal::set_open_session(int64_t session_id, int64_t start_ms, std::string &err) {
  int fd = -1;
  {
    std::lock_guard lk(mu_);
    int e = 0;
    if (!write_all(fd_, slot_bytes(session_id, start_ms), kSlotOffset, e)) {
      err = "interaction journal " + path_ + ": cannot record the open session: " + errno_text(e);
      return kErrIo;
    }
    slot_session_ = session_id;
    slot_start_ = start_ms;
    fd = fd_; // only this (the owning) thread replaces it
  }
  // On disk, so that even after a power loss the next open ends the session.
  // Not under mu_: appends do not wait for the disk.
  ::fdatasync(fd);
  return kOk;
}

void Journal::committed(int64_t end_offset) {
  std::unique_lock lk(mu_);
  committed_ = std::min(std::max(committed_, end_offset), end_);
  if (committed_ - base_ - static_cast<int64_t>(kJournalHeaderBytes) < kTrimBytes) return;
  if (trim_failed_ && end_ < trim_retry_at_) return;
  if (committed_ == end_) {
    // Nothing pending: cut the file back to its header (one syscall).
    if (::ftruncate(fd_, static_cast<off_t>(kJournalHeaderBytes)) == 0) {
      base_ = end_ - static_cast<int64_t>(kJournalHeaderBytes); // the next record goes just after the header
      trim_failed_ = false;
    } else {
      trim_failed_ = true;
      trim_retry_at_ = end_ + kTrimBytes;
    }
    return;
  }
  // A tail is pending: move it to a fresh journal. The file is created and
  // locked without holding mu_ (appends go on meanwhile); only the copy of the
  // tail and the switch happen under it.
  int64_t slot_session = slot_session_, slot_start = slot_start_;
  lk.unlock();
  std::string new_path, ignored;
  int new_fd = -1;
  int r = create_file(db_path_, slot_session, slot_start, new_path, new_fd, ignored);
  lk.lock();
  if (r != kOk) {
    trim_failed_ = true;
    trim_retry_at_ = end_ + kTrimBytes;
    return;
  }
  std::string tail;
  int e = 0;
  bool ok = slot_session == slot_session_ && slot_start == slot_start_;
  if (ok) {
    tail.resize(static_cast<size_t>(end_ - committed_));
    ssize_t n = ::pread(fd_, tail.data(), tail.size(), static_cast<off_t>(committed_ - base_));
    ok = n == static_cast<ssize_t>(tail.size()) && write_all(new_fd, tail, kJournalHeaderBytes, e);
  }
  if (!ok) {
    ::unlink(new_path.c_str());
    ::close(new_fd);
    trim_failed_ = true;
    trim_retry_at_ = end_ + kTrimBytes;
    return;
  }
  // The new file holds every pending record; a kill before the unlink leaves
  // both, and adopting both writes each record once (seqs are unique).
  ::unlink(path_.c_str());
  int old_fd = fd_;
  fd_ = new_fd;
  path_ = std::move(new_path);
  // The tail now starts just after the new file's header; end_ and
  // committed_ are positions in the stream, unchanged.
  base_ = committed_ - static_cast<int64_t>(kJournalHeaderBytes);
  trim_failed_ = false;
  ++rotations_;
  lk.unlock();
  ::close(old_fd);
}

// ====================================================================== adopting

AdoptedJournal::AdoptedJournal(std::string path, int fd, JournalContents contents)
    : path_(std::move(path)), fd_(fd), contents_(std::move(contents)) {}

AdoptedJournal::AdoptedJournal(AdoptedJournal &&o) noexcept
    : path_(std::move(o.path_)), fd_(o.fd_), contents_(std::move(o.contents_)) {
  o.fd_ = -1;
}

AdoptedJournal::~AdoptedJournal() {
  if (fd_ >= 0) ::close(fd_);
}

void AdoptedJournal::discard() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str()); // still locked: nobody else adopts it meanwhile
  ::close(fd_);
  fd_ = -1;
}

void adopt_journals(const std::string &db_path, std::vector<AdoptedJournal> &out,
                    std::vector<std::string> &problems) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path db(journal_prefix(db_path)); // the real file's path + "-spj-"
  const std::string prefix = db.filename().string();
  std::vector<std::string> names;
  for (fs::directory_iterator it(db.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  for (const auto &name : names) {
    std::string path = (db.parent_path() / name).string();
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue; // gone meanwhile (adopted or closed by its writer)
    // A live writer holds its lock; so does another process adopting it now.
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || !still_linked(fd, path)) {
      ::close(fd);
      continue;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      continue;
    }
    if (st.st_size == 0) { // its writer died creating it
      ::unlink(path.c_str());
      ::close(fd);
      continue;
    }
    if (static_cast<uint64_t>(st.st_size) > kMaxAdoptBytes) {
      problems.push_back(path + ": " + std::to_string(st.st_size) + " bytes, more than the " +
                         std::to_string(kMaxAdoptBytes >> 20) + " MiB read at an open; left in place");
      ::close(fd);
      continue;
    }
    std::string bytes, err;
    if (!read_all(fd, bytes, static_cast<uint64_t>(st.st_size))) {
      problems.push_back(path + ": cannot be read; left in place");
      ::close(fd);
      continue;
    }
    JournalContents c;
    if (!parse_journal(bytes, c, err)) {
      problems.push_back(path + ": " + err + "; left in place");
      ::close(fd);
      continue;
    }
    out.emplace_back(path, fd, std::move(c));
  }
}

} // namespace sp
