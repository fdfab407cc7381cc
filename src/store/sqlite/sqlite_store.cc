#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/log.h"
#include "core/text_map.h"
#include "store/store.h"

namespace arenite::store {
namespace {

// One SQLite connection with its prepared statements, used by one thread at a time.
class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    if (db_) sqlite3_close_v2(db_);
  }

  Status Open(const std::string& path, bool writer, bool synchronous_full, int64_t cache_kib = 0,
              int64_t mmap_bytes = 0) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      return Internal("cannot open the database: " + std::string(sqlite3_errmsg(db_)));
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 10000);
    std::string pragmas = "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;";
    if (writer) {
      pragmas += "PRAGMA journal_mode=WAL;";
      pragmas += synchronous_full ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;";
    } else {
      pragmas += "PRAGMA query_only=ON;";
      if (mmap_bytes > 0) pragmas += "PRAGMA mmap_size=" + std::to_string(mmap_bytes) + ";";
    }
    if (cache_kib > 0) pragmas += "PRAGMA cache_size=-" + std::to_string(cache_kib) + ";";
    return ExecScript(pragmas);
  }

  Status ExecScript(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string message = err ? err : "unknown error";
      sqlite3_free(err);
      return Internal("database error: " + message);
    }
    return OkStatus();
  }

  // A prepared statement for `sql`, kept for the connection's life; looking one up costs a
  // hash of the text, not a parse.
  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    auto it = statements_.find(sql);
    if (it != statements_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt, nullptr) != SQLITE_OK) {
      return Internal("database error preparing a statement: " + std::string(sqlite3_errmsg(db_)));
    }
    statements_.emplace(std::string(sql), stmt);
    return stmt;
  }

  // Runs one statement without parameters or rows (BEGIN, COMMIT) through the statement cache,
  // which sqlite3_exec would parse again on every call.
  Status Run(std::string_view sql) {
    ARENITE_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE) return Internal("database error: " + std::string(sqlite3_errmsg(db_)));
    return OkStatus();
  }

  // SQLite's data version of this connection: it differs from the one read before on the same
  // connection whenever another connection of any process has committed in between.
  Result<int64_t> DataVersion() {
    ARENITE_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare("PRAGMA data_version"));
    int rc = sqlite3_step(stmt);
    int64_t version = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
    sqlite3_reset(stmt);
    if (rc != SQLITE_ROW) return Internal("database error: " + std::string(sqlite3_errmsg(db_)));
    return version;
  }

  sqlite3* db() { return db_; }

  // The data version Store::Generation last saw on this connection (-1 before its first look).
  int64_t seen_data_version = -1;

 private:
  sqlite3* db_ = nullptr;
  TextMap<sqlite3_stmt*> statements_;  // by SQL text
};

class SqliteRow : public Row {
 public:
  explicit SqliteRow(sqlite3_stmt* stmt) : stmt_(stmt) {}
  int Columns() const override { return sqlite3_column_count(stmt_); }
  bool IsNull(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Int(int col) const override { return sqlite3_column_int64(stmt_, col); }
  double Real(int col) const override { return sqlite3_column_double(stmt_, col); }
  std::string_view Text(int col) const override {
    const void* data = sqlite3_column_blob(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    if (!data) return {};
    return std::string_view(static_cast<const char*>(data), static_cast<size_t>(n));
  }

 private:
  sqlite3_stmt* stmt_;
};

Error TranslateError(sqlite3* db, int rc) {
  int extended = sqlite3_extended_errcode(db);
  std::string message = sqlite3_errmsg(db);
  if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return Conflict("an object with the same key already exists", kErrUniqueViolation);
  }
  if (extended == SQLITE_CONSTRAINT_FOREIGNKEY) {
    return Conflict("the object is referenced by, or refers to, another object", kErrConflict);
  }
  if (rc == SQLITE_FULL) return MakeError(503, kErrUnavailable, "the disk is full");
  log::Get("store")->error("sqlite error {}: {}", extended, message);
  return Internal("database error");
}

// Resets a statement when it goes out of scope, also when a row callback throws: a statement
// left stepping would keep its connection's read snapshot open after the transaction ends.
class StatementReset {
 public:
  explicit StatementReset(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementReset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementReset(const StatementReset&) = delete;
  StatementReset& operator=(const StatementReset&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

class SqliteTx : public Tx {
 public:
  explicit SqliteTx(Connection& conn) : conn_(conn) {}

  Result<int64_t> Exec(std::string_view sql, const Params& params) override {
    ARENITE_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Bind(sql, params));
    int rc;
    {
      StatementReset reset(stmt);
      while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      }
    }
    if (rc != SQLITE_DONE) return TranslateError(conn_.db(), rc);
    return static_cast<int64_t>(sqlite3_changes64(conn_.db()));
  }

  Status Query(std::string_view sql, const Params& params, const RowFn& on_row) override {
    ARENITE_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Bind(sql, params));
    SqliteRow row(stmt);
    int rc;
    {
      StatementReset reset(stmt);
      while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (!on_row(row)) {
          rc = SQLITE_DONE;
          break;
        }
      }
    }
    if (rc != SQLITE_DONE) return TranslateError(conn_.db(), rc);
    return OkStatus();
  }

 private:
  Result<sqlite3_stmt*> Bind(std::string_view sql, const Params& params) {
    ARENITE_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, conn_.Prepare(sql));
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
      return Internal("statement parameter count mismatch");
    }
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i) + 1;
      const Value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        sqlite3_bind_null(stmt, idx);
      } else if (auto* n = std::get_if<int64_t>(&v)) {
        sqlite3_bind_int64(stmt, idx, *n);
      } else if (auto* d = std::get_if<double>(&v)) {
        sqlite3_bind_double(stmt, idx, *d);
      } else if (auto* s = std::get_if<std::string>(&v)) {
        sqlite3_bind_text64(stmt, idx, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else if (auto* b = std::get_if<Blob>(&v)) {
        sqlite3_bind_blob64(stmt, idx, b->bytes.data(), b->bytes.size(), SQLITE_STATIC);
      }
    }
    return stmt;
  }

  Connection& conn_;
};

// Set on threads that must never wait for a pooled reader (see MarkLatencySensitiveThread).
thread_local bool t_latency_sensitive = false;

// Such a thread's own reader connections, one per store (by the store's serial number, never
// reused, so a connection is never taken for another store's).
struct OwnReader {
  uint64_t store_serial;
  std::unique_ptr<Connection> conn;
};
thread_local std::vector<OwnReader> t_own_readers;

std::atomic<uint64_t> g_store_serial{0};

// Runs fn, turning any exception a library threw inside it into an internal error.
Status RunGuarded(const TxFn& fn, Tx& tx) {
  try {
    return fn(tx);
  } catch (const std::exception& e) {
    log::Get("store")->error("a transaction threw: {}", e.what());
    return Internal();
  }
}

class SqliteStore : public Store {
 public:
  ~SqliteStore() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (writer_thread_.joinable()) writer_thread_.join();
    {
      std::lock_guard lock(checkpoint_mu_);
      checkpoint_stop_ = true;
    }
    checkpoint_cv_.notify_all();
    if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
  }

  Status Open(const SqliteOptions& options) {
    options_ = options;
    ARENITE_RETURN_IF_ERROR(
        writer_.Open(options.path, true, options.synchronous_full, options.writer_cache_kib));
    for (int i = 0; i < std::max(1, options.readers); ++i) {
      auto conn = std::make_unique<Connection>();
      ARENITE_RETURN_IF_ERROR(conn->Open(options.path, false, options.synchronous_full,
                                         options.reader_cache_kib, options.reader_mmap_bytes));
      idle_readers_.push_back(conn.get());
      readers_.push_back(std::move(conn));
    }
    // Checkpoints run on a thread and connection of their own, so that a commit does not wait
    // for the WAL to be copied into the database and synced (SQLite would otherwise do it
    // inside the commit that crosses the threshold). The writer signals how far behind they
    // are, and copies what is left itself only past a cap (see OnWalCommit).
    ARENITE_RETURN_IF_ERROR(checkpointer_.Open(options.path, true, options.synchronous_full));
    // Once the WAL starts over, its file is cut back to 64 MiB rather than keeping its peak.
    ARENITE_RETURN_IF_ERROR(
        writer_.ExecScript("PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit=67108864;"));
    sqlite3_wal_hook(writer_.db(), &SqliteStore::OnWalCommit, this);
    checkpoint_thread_ = std::thread([this] { CheckpointLoop(); });
    writer_thread_ = std::thread([this] { WriterLoop(); });
    return OkStatus();
  }

  Status Read(const TxFn& fn) override {
    if (t_latency_sensitive) {
      ARENITE_ASSIGN_OR_RETURN(Connection * own, OwnReaderOfThisThread());
      return ReadOn(*own, fn);
    }
    Connection* conn = AcquireReader();
    Status status = ReadOn(*conn, fn);
    ReleaseReader(conn);
    return status;
  }

  Status ReadTogether(const std::vector<TxFn>& fns) override {
    if (fns.size() <= 1 || fns.size() > readers_.size()) return Store::ReadTogether(fns);
    std::vector<Connection*> conns = AcquireReaders(fns.size());
    // Each read transaction starts (BEGIN, then a read of the schema) inside a write, which
    // holds the database's write lock: no commit can land between the first and the last.
    size_t begun = 0;
    Status pinned = Write([&](Tx&) -> Status {
      for (Connection* conn : conns) {
        ARENITE_RETURN_IF_ERROR(conn->ExecScript("BEGIN"));
        ++begun;
        ARENITE_RETURN_IF_ERROR(conn->ExecScript("SELECT COUNT(*) FROM sqlite_schema"));
      }
      return OkStatus();
    });
    std::vector<Status> results(fns.size(), OkStatus());
    if (pinned.ok()) {
      std::vector<std::thread> threads;
      for (size_t i = 1; i < fns.size(); ++i) {
        threads.emplace_back([&, i] {
          SqliteTx tx(*conns[i]);
          results[i] = RunGuarded(fns[i], tx);
        });
      }
      SqliteTx tx(*conns[0]);
      results[0] = RunGuarded(fns[0], tx);
      for (auto& t : threads) t.join();
    }
    for (size_t i = 0; i < begun; ++i) {
      if (!conns[i]->ExecScript("COMMIT").ok()) (void)conns[i]->ExecScript("ROLLBACK");
    }
    for (Connection* conn : conns) ReleaseReader(conn);
    if (!pinned.ok()) return pinned;
    for (auto& r : results) ARENITE_RETURN_IF_ERROR(r);
    return OkStatus();
  }

  Status Write(const TxFn& fn) override {
    if (t_latency_sensitive) {
      log::Get("store")->error("a write waits for its commit on an I/O thread");
    }
    std::promise<Status> promise;
    std::future<Status> done = promise.get_future();
    Job job{&fn, [&promise](const Status& s) { promise.set_value(s); }, nullptr};
    if (!Enqueue(&job)) return ShuttingDown();
    return done.get();
  }

  void Submit(TxFn fn, std::function<void(const Status&)> done) override {
    if (!fn) {
      if (done) done(Internal("an empty write was submitted"));
      return;
    }
    auto* job = new Job{nullptr, std::move(done), std::move(fn), true};
    job->fn = &job->owned_fn;
    if (!Enqueue(job)) Finish(job, ShuttingDown());
  }

  Status Migrate(const std::vector<Migration>& migrations) override {
    std::vector<Migration> sorted = migrations;
    std::sort(sorted.begin(), sorted.end(),
              [](const Migration& a, const Migration& b) { return a.version < b.version; });
    return Write([&](Tx& tx) -> Status {
      ARENITE_RETURN_IF_ERROR(
          tx.Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                  "name TEXT NOT NULL, applied_at INTEGER NOT NULL)"));
      for (const Migration& m : sorted) {
        ARENITE_ASSIGN_OR_RETURN(
            bool applied,
            tx.Exists("SELECT 1 FROM schema_migrations WHERE version = ?", {int64_t{m.version}}));
        if (applied) continue;
        // The writer connection runs the whole script; this write's savepoint covers it.
        Status s = writer_.ExecScript(m.sql);
        if (!s.ok()) {
          log::Get("store")->error("migration {} ({}) failed", m.version, m.name);
          return s;
        }
        ARENITE_RETURN_IF_ERROR(
            tx.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, "
                    "CAST(strftime('%s','now') AS INTEGER))",
                    {int64_t{m.version}, m.name}));
        log::Get("store")->info("applied migration {} ({})", m.version, m.name);
      }
      return OkStatus();
    });
  }

  Status Ping() override {
    return Read(
        [](Tx& tx) -> Status { return tx.QueryInt("SELECT 1").ok() ? OkStatus() : Internal(); });
  }

  void SetCommitListener(std::function<void()> listener) override {
    std::lock_guard lock(listener_mu_);
    commit_listener_ = std::move(listener);
  }

  Result<uint64_t> Generation() override {
    if (t_latency_sensitive) {
      ARENITE_ASSIGN_OR_RETURN(Connection * own, OwnReaderOfThisThread());
      return GenerationOn(*own);
    }
    Connection* conn = AcquireReader();
    auto generation = GenerationOn(*conn);
    ReleaseReader(conn);
    return generation;
  }

  Result<int> SchemaVersion() override {
    int version = 0;
    ARENITE_RETURN_IF_ERROR(Read([&](Tx& tx) -> Status {
      ARENITE_ASSIGN_OR_RETURN(auto v, tx.QueryInt("SELECT MAX(version) FROM schema_migrations"));
      version = static_cast<int>(v.value_or(0));
      return OkStatus();
    }));
    return version;
  }

 private:
  // A queued write. Write's jobs live on the caller's stack, which waits for them; Submit's
  // are owned by the queue (owned_fn set) and deleted once finished.
  struct Job {
    const TxFn* fn;
    std::function<void(const Status&)> done;
    TxFn owned_fn;
    bool owned = false;  // allocated by Submit, deleted by Finish
  };

  static Error ShuttingDown() {
    return MakeError(503, kErrUnavailable, "the store is shutting down");
  }

  bool Enqueue(Job* job) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return false;
      queue_.push_back(job);
    }
    cv_.notify_one();
    return true;
  }

  // Reports a job's outcome; the job may be gone when this returns. A callback that throws
  // is logged, never allowed to end the writer's thread with the rest of its batch unanswered.
  static void Finish(Job* job, const Status& status) {
    bool owned = job->owned;
    try {
      if (job->done) job->done(status);
    } catch (const std::exception& e) {
      log::Get("store")->error("a write's completion threw: {}", e.what());
    }
    if (owned) delete job;
  }

  Status ReadOn(Connection& conn, const TxFn& fn) {
    Status status = conn.Run("BEGIN");
    if (status.ok()) {
      SqliteTx tx(conn);
      status = RunGuarded(fn, tx);
      Status end = conn.Run("COMMIT");
      if (!end.ok()) (void)conn.ExecScript("ROLLBACK");
    }
    return status;
  }

  // Every reader connection sees each commit of another connection (readers never commit) as a
  // change of its data version, the first time it looks after that commit; that look moves the
  // generation on. So a generation read before a commit is always below one read after it,
  // whichever connections the two looks went through.
  Result<uint64_t> GenerationOn(Connection& conn) {
    // Inside a transaction the data version would be that of the transaction's snapshot (and
    // no statement is left stepping outside one: StatementReset).
    if (!sqlite3_get_autocommit(conn.db())) {
      return Internal("the store's generation was asked for inside a read");
    }
    ARENITE_ASSIGN_OR_RETURN(int64_t version, conn.DataVersion());
    if (version != conn.seen_data_version) {
      conn.seen_data_version = version;
      generation_.fetch_add(1);
    }
    return generation_.load();
  }

  Result<Connection*> OwnReaderOfThisThread() {
    for (OwnReader& own : t_own_readers) {
      if (own.store_serial == serial_) return own.conn.get();
    }
    auto conn = std::make_unique<Connection>();
    ARENITE_RETURN_IF_ERROR(conn->Open(options_.path, false, options_.synchronous_full,
                                       options_.reader_cache_kib, options_.reader_mmap_bytes));
    t_own_readers.push_back({serial_, std::move(conn)});
    return t_own_readers.back().conn.get();
  }

  // Takes every write queued at the moment and commits them as one transaction, each inside its
  // own savepoint: a durable commit costs one fsync however many writes it carries.
  void WriterLoop() {
    static constexpr size_t kMaxBatch = 512;
    for (;;) {
      std::vector<Job*> batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty() && stopping_) return;
        while (!queue_.empty() && batch.size() < kMaxBatch) {
          batch.push_back(queue_.front());
          queue_.pop_front();
        }
      }
      RunBatch(batch);
    }
  }

  void RunBatch(const std::vector<Job*>& batch) {
    std::vector<Status> results;
    results.reserve(batch.size());
    Status begun = writer_.Run("BEGIN IMMEDIATE");
    if (!begun.ok()) {
      for (Job* job : batch) Finish(job, begun);
      return;
    }
    SqliteTx tx(writer_);
    for (Job* job : batch) {
      Status sp = writer_.Run("SAVEPOINT w");
      if (!sp.ok()) {
        results.push_back(sp);
        continue;
      }
      Status s = RunGuarded(*job->fn, tx);
      if (!s.ok()) (void)writer_.Run("ROLLBACK TO w");
      // Some errors (a full disk, I/O errors, out of memory) make SQLite roll back the whole
      // transaction. Then nothing of this batch is kept: fail every write in it, rather than let
      // later ones run outside the transaction and be told they failed although they were kept.
      if (sqlite3_get_autocommit(writer_.db())) {
        Error lost = s.ok() ? MakeError(503, kErrUnavailable,
                                        "the database rolled the write back; try again")
                            : s.error();
        if (lost.status < 500) {
          lost = MakeError(503, kErrUnavailable, "the database rolled the write back; try again");
        }
        for (Job* j : batch) Finish(j, lost);
        return;
      }
      (void)writer_.Run("RELEASE w");
      results.push_back(std::move(s));
    }
    Status committed = writer_.Run("COMMIT");
    if (!committed.ok()) {
      (void)writer_.ExecScript("ROLLBACK");
      for (Job* job : batch) Finish(job, committed);
      return;
    }
    for (size_t i = 0; i < batch.size(); ++i) Finish(batch[i], results[i]);
    std::function<void()> listener;
    {
      std::lock_guard lock(listener_mu_);
      listener = commit_listener_;
    }
    if (listener) listener();
  }

  // Called by SQLite on the writer's thread after each commit with the WAL's size in pages.
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int pages) {
    auto* store = static_cast<SqliteStore*>(self);
    if (pages >= kWalCapPages) {
      // The background checkpoints have not caught up: under a steady stream of writes the next
      // transaction begins before they finish, and the WAL only starts over when a transaction
      // begins with all of it copied back. Copy the rest here, between two commits, as SQLite's
      // own automatic checkpoint would (little is left by now); the next transaction then
      // starts the WAL over. Only one checkpoint runs at a time (a second one gets SQLITE_BUSY
      // and copies nothing), so this one waits for a background checkpoint in progress.
      std::lock_guard running(store->checkpoint_run_mu_);
      (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      return SQLITE_OK;
    }
    int copied = store->wal_copied_.load(std::memory_order_relaxed);
    int behind = pages >= copied ? pages - copied : pages;  // smaller: the WAL started over
    if (behind >= kCheckpointPages) {
      {
        std::lock_guard lock(store->checkpoint_mu_);
        store->checkpoint_wanted_ = true;
      }
      store->checkpoint_cv_.notify_one();
    }
    return SQLITE_OK;
  }

  // PASSIVE checkpoints never block the writer or the readers.
  void CheckpointLoop() {
    for (;;) {
      {
        std::unique_lock lock(checkpoint_mu_);
        checkpoint_cv_.wait(lock, [&] { return checkpoint_stop_ || checkpoint_wanted_; });
        if (checkpoint_stop_) break;
        checkpoint_wanted_ = false;
      }
      int log_pages = 0, copied = 0;
      int rc;
      {
        std::lock_guard running(checkpoint_run_mu_);
        rc = sqlite3_wal_checkpoint_v2(checkpointer_.db(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                       &log_pages, &copied);
      }
      if (rc == SQLITE_OK) {
        wal_copied_.store(copied, std::memory_order_relaxed);
      } else if (rc != SQLITE_BUSY) {
        log::Get("store")->warn("checkpoint failed: {}", sqlite3_errmsg(checkpointer_.db()));
      }
    }
    // A last one on the way out keeps the WAL short for the next start.
    (void)sqlite3_wal_checkpoint_v2(checkpointer_.db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                    nullptr);
  }

  Connection* AcquireReader() {
    std::unique_lock lock(readers_mu_);
    readers_cv_.wait(lock, [&] { return !idle_readers_.empty(); });
    Connection* conn = idle_readers_.back();
    idle_readers_.pop_back();
    return conn;
  }

  // Takes `n` readers at once (never some now and more later, so two callers cannot each hold
  // part of what they need).
  std::vector<Connection*> AcquireReaders(size_t n) {
    std::unique_lock lock(readers_mu_);
    readers_cv_.wait(lock, [&] { return idle_readers_.size() >= n; });
    std::vector<Connection*> taken(idle_readers_.end() - static_cast<std::ptrdiff_t>(n),
                                   idle_readers_.end());
    idle_readers_.resize(idle_readers_.size() - n);
    return taken;
  }

  void ReleaseReader(Connection* conn) {
    {
      std::lock_guard lock(readers_mu_);
      idle_readers_.push_back(conn);
    }
    readers_cv_.notify_all();  // a waiter may need several
  }

  SqliteOptions options_;
  const uint64_t serial_ = ++g_store_serial;
  Connection writer_;
  std::mutex listener_mu_;
  std::function<void()> commit_listener_;  // guarded by listener_mu_
  std::thread writer_thread_;

  // The checkpointer is woken when this many pages of the WAL are not yet copied back (SQLite's
  // own threshold for its automatic checkpoint); past the cap the writer copies the rest.
  static constexpr int kCheckpointPages = 1000;
  static constexpr int kWalCapPages = 10 * kCheckpointPages;
  std::atomic<int> wal_copied_{0};  // pages the last background checkpoint had copied
  std::mutex checkpoint_run_mu_;    // held around every checkpoint
  Connection checkpointer_;
  std::thread checkpoint_thread_;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_wanted_ = false;  // guarded by checkpoint_mu_
  bool checkpoint_stop_ = false;    // guarded by checkpoint_mu_
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job*> queue_;
  bool stopping_ = false;

  std::atomic<uint64_t> generation_{0};  // see Generation

  std::vector<std::unique_ptr<Connection>> readers_;
  std::vector<Connection*> idle_readers_;
  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
};

}  // namespace

void MarkLatencySensitiveThread() { t_latency_sensitive = true; }

Result<std::unique_ptr<Store>> OpenSqlite(const SqliteOptions& options) {
  // SQLite's memory statistics take one process-wide mutex on every allocation, which every
  // reader and the writer then contend for; nothing here reads those statistics. This must
  // precede SQLite's initialization (the first open); later it is refused, harmlessly.
  static const bool configured = [] {
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
  auto store = std::make_unique<SqliteStore>();
  ARENITE_RETURN_IF_ERROR(store->Open(options));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace arenite::store
