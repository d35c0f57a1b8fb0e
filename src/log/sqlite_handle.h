// RAII wrappers for SQLite handles (private to src/log).
//
// Thread safety: a Db / Stmt belongs to one thread at a time, like the
// BehaviourLog that owns it.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <sqlite3.h>

namespace sp::sqlite {

struct DbCloser {
  void operator()(sqlite3 *db) const noexcept { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt *st) const noexcept { sqlite3_finalize(st); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// A use of a cached prepared statement: binds, steps, and on destruction
// resets it and clears its bindings so the next use starts clean.
class Stmt {
public:
  explicit Stmt(sqlite3_stmt *st) : st_(st) {}
  ~Stmt() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
  Stmt(const Stmt &) = delete;
  Stmt &operator=(const Stmt &) = delete;

  int bind(int i, int64_t v) { return sqlite3_bind_int64(st_, i, v); }
  int bind(int i, double v) { return sqlite3_bind_double(st_, i, v); }
  int bind(int i, std::string_view v) {
    return sqlite3_bind_text64(st_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  int bind(int i, const char *v) { return bind(i, std::string_view(v)); } // not the bool overload
  int bind(int i, int v) { return bind(i, int64_t{v}); }
  int bind(int i, bool v) { return bind(i, int64_t{v ? 1 : 0}); }
  int bind_null(int i) { return sqlite3_bind_null(st_, i); }
  int bind(int i, const std::optional<int64_t> &v) { return v ? bind(i, *v) : bind_null(i); }
  int bind(int i, const std::optional<double> &v) { return v ? bind(i, *v) : bind_null(i); }

  // Binds args to ?1, ?2, ... in order.
  template <class... Args> void bind_all(const Args &...args) {
    int i = 0;
    (bind(++i, args), ...);
  }

  int step() { return sqlite3_step(st_); }

  int64_t i64(int c) const { return sqlite3_column_int64(st_, c); }
  double dbl(int c) const { return sqlite3_column_double(st_, c); }
  bool is_null(int c) const { return sqlite3_column_type(st_, c) == SQLITE_NULL; }
  std::string text(int c) const {
    auto p = sqlite3_column_text(st_, c);
    return p ? std::string(reinterpret_cast<const char *>(p), static_cast<size_t>(sqlite3_column_bytes(st_, c)))
             : std::string();
  }
  std::optional<int64_t> opt_i64(int c) const { return is_null(c) ? std::nullopt : std::optional<int64_t>(i64(c)); }
  std::optional<double> opt_dbl(int c) const { return is_null(c) ? std::nullopt : std::optional<double>(dbl(c)); }

private:
  sqlite3_stmt *st_;
};

} // namespace sp::sqlite
