// The Store: transactions over the workspace database, with portable SQL so that a PostgreSQL
// implementation can replace SQLite without touching domain code. Domain code writes SQL with
// `?` placeholders and standard syntax (ON CONFLICT, RETURNING, no SQLite-only functions);
// ids come from NewGuid and times from the Clock, never from the database.
//
// Threads: a Store is shared by all threads. Read() runs on a pooled connection inside one
// snapshot; Write() queues the function for the single writer, which may commit it together
// with other writes that arrived at the same time (each in its own savepoint, so one failing
// function never affects another). Both block the caller until done; never call them from an
// I/O thread.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace arenite::store {

struct Blob {
  std::string bytes;
};
using Value = std::variant<std::nullptr_t, int64_t, double, std::string, Blob>;

// Builds a Value from an optional, as NULL when empty.
template <typename T>
Value Nullable(const std::optional<T>& v) {
  if (!v) return nullptr;
  return Value(*v);
}

// One row of a result, valid only during the callback that receives it.
class Row {
 public:
  virtual ~Row() = default;
  virtual int Columns() const = 0;
  virtual bool IsNull(int col) const = 0;
  virtual int64_t Int(int col) const = 0;
  virtual double Real(int col) const = 0;
  // Text and blob columns; the view dies with the row.
  virtual std::string_view Text(int col) const = 0;

  std::string String(int col) const { return std::string(Text(col)); }
  std::optional<std::string> OptString(int col) const {
    if (IsNull(col)) return std::nullopt;
    return String(col);
  }
  std::optional<int64_t> OptInt(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Int(col);
  }
};

using Params = std::vector<Value>;
// Returns false to stop reading further rows.
using RowFn = std::function<bool(const Row&)>;

class Tx {
 public:
  virtual ~Tx() = default;
  // Runs a statement; returns the number of rows it changed.
  virtual Result<int64_t> Exec(std::string_view sql, const Params& params = {}) = 0;
  virtual Status Query(std::string_view sql, const Params& params, const RowFn& on_row) = 0;

  // The first row's first column as an integer, or nullopt when there is no row.
  Result<std::optional<int64_t>> QueryInt(std::string_view sql, const Params& params = {});
  Result<std::optional<std::string>> QueryString(std::string_view sql, const Params& params = {});
  // Whether the query yields at least one row.
  Result<bool> Exists(std::string_view sql, const Params& params = {});
};

using TxFn = std::function<Status(Tx&)>;

// A numbered schema step. Versions are unique across the whole program; each component owns a
// range (core 1-99, plm 100-199, oauth 200-299, extract 300-399, webhooks 400-499, web 500-599).
struct Migration {
  int version;
  std::string name;
  std::string sql;  // one or more statements
};

class Store {
 public:
  virtual ~Store() = default;
  virtual Status Read(const TxFn& fn) = 0;
  virtual Status Write(const TxFn& fn) = 0;
  // Queues fn for the writer and returns at once; writes commit in the order they were queued.
  // `done`, when given, runs on the writer's thread with fn's outcome once the commit that carries
  // it is durable (or has failed); it must be quick and must not call the store. When the store
  // is already closing, `done` runs at once on the caller's thread with a 503, so it must not
  // take a lock the caller may hold. Neither may reference the caller's stack.
  virtual void Submit(TxFn fn, std::function<void(const Status&)> done = nullptr) = 0;
  // Runs each function at once on a reader connection and thread of its own, all inside ONE
  // snapshot, so that a bulk reader (a DataExtract package) reads several tables in parallel and
  // still sees one state of the database. SQLite opens the read transactions while the write
  // lock is held, so that no commit of any process falls between them (PostgreSQL would export a
  // snapshot). Returns the first failure. This default runs them one after another in one Read.
  virtual Status ReadTogether(const std::vector<TxFn>& fns);
  // Applies, in version order, every migration not yet recorded; each in its own transaction.
  virtual Status Migrate(const std::vector<Migration>& migrations) = 0;
  // A cheap check that the database answers, for /readyz.
  virtual Status Ping() = 0;
  // The highest applied migration.
  virtual Result<int> SchemaVersion() = 0;
  // Called on the writer's thread after every commit; must be quick and must not write.
  virtual void SetCommitListener(std::function<void()> listener) = 0;
  // A number that has grown since any earlier call (from any thread) whenever a connection of
  // any process committed to the store in between, so that an answer rendered from a read that
  // began after this call may be served again for as long as a later call returns the same
  // number. Growing without a commit is allowed (it only costs a cache a miss). Cheap: it reads
  // no table.
  virtual Result<uint64_t> Generation() = 0;
};

struct SqliteOptions {
  std::string path;
  int readers = 8;
  // FULL makes every commit durable against power loss; grouped commits keep that cheap.
  bool synchronous_full = true;
  // Page cache of the writer connection in KiB. A transaction that touches more pages than
  // this spills them to the WAL before it commits, and re-reads what fell out: with SQLite's
  // 2 MiB default, a release of 50 items spent a fifth of the writer's time doing that.
  int64_t writer_cache_kib = 64 * 1024;
  // Page cache of each reader connection in KiB; 0 keeps SQLite's default (2 MiB). A bulk
  // reader such as `arenite extract run` sets more, so that joins stop re-reading pages.
  int64_t reader_cache_kib = 0;
  // Bytes of the database file that readers map into memory (PRAGMA mmap_size); 0 reads
  // through SQLite's page cache only. A bulk reader whose look-ups range over a database larger
  // than its page cache (a DataExtract package) sets it, so that pages come straight from the
  // operating system's cache instead of being copied by a system call each time.
  int64_t reader_mmap_bytes = 0;
};

Result<std::unique_ptr<Store>> OpenSqlite(const SqliteOptions& options);

// Marks the calling thread as one that must never wait for a pooled reader: an I/O thread that
// runs short reads inline. Its reads then use a connection of its own (one per store and
// thread, opened on first use, closed when the thread ends), and a Write from it is logged as
// an error, since it would stall every connection that thread serves.
void MarkLatencySensitiveThread();

// Registry of all components' migrations, filled by each component's Register* call in main.
std::vector<Migration>& AllMigrations();
void AddMigrations(const std::vector<Migration>& migrations);

// The ERRORS of a unique constraint are reported as this error code by every Store, so domain
// code can turn them into 409 without knowing the database.
inline constexpr int kErrUniqueViolation = kErrDuplicate;

}  // namespace arenite::store
