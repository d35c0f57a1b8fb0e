// The behaviour log's SQLite connection (private to src/log): BehaviourLog's
// operations on an open, migrated database (sqlite_log.cpp). Opening it, with
// the schema and its checks, is BehaviourLog::open (behaviour_log.cpp).
//
// Thread safety: as BehaviourLog; one object is used by one thread at a time.
#pragma once
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "log/behaviour_log.h"
#include "log/sqlite_handle.h"

namespace sp::sqlite_log {

// A SQLite result code as the library's (core/result.h): kOk for SQLITE_OK,
// SQLITE_ROW and SQLITE_DONE.
int map_code(int rc);
// What a library code means for the database, appended to messages ("" for most).
const char *code_hint(int code);

// The -wal and -shm files a connection makes. SQLite creates them with the
// database file's mode, so reading a database whose file is 0444 (a
// read-only connection; a read-write open of such a file is refused before
// SQLite sees it) leaves them 0444, and they keep the database unwritable
// after its file is made writable again. Once the connection has closed,
// each one it made that this process owns gets its owner's write bit back:
// a permission only ever widened, for its owner, so nobody using them is
// affected.
class SideFiles {
public:
  explicit SideFiles(std::string path) : path_(std::move(path)) {
    for (int i = 0; i < 2; ++i)
      existed_[i] = ::access((path_ + kSuffix[i]).c_str(), F_OK) == 0;
  }
  ~SideFiles() {
    for (int i = 0; i < 2; ++i) {
      if (existed_[i]) continue;
      const std::string p = path_ + kSuffix[i];
      struct stat st {};
      if (::stat(p.c_str(), &st) == 0 && st.st_uid == ::geteuid() && !(st.st_mode & S_IWUSR))
        ::chmod(p.c_str(), (st.st_mode & 07777) | S_IWUSR);
    }
  }
  SideFiles(const SideFiles &) = delete;
  SideFiles &operator=(const SideFiles &) = delete;

private:
  static constexpr const char *kSuffix[2] = {"-wal", "-shm"};
  std::string path_;
  bool existed_[2] = {true, true};
};

// The open connection `db` (user_version `version`) as a BehaviourLog; it
// keeps `sides` until after the connection has closed.
std::unique_ptr<BehaviourLog> make(std::string path, std::unique_ptr<SideFiles> sides, sqlite::DbPtr db,
                                   bool read_only, int version);

} // namespace sp::sqlite_log
