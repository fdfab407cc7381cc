// The SQLite store: group commit from many threads, savepoint isolation between the writes of
// one batch, snapshot reads, unique violations as 409, and migrations.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/guid.h"
#include "store/store.h"

namespace arenite::store {
namespace {

template <typename T>
Status StatusOf(const Result<T>& result) {
  if (!result.ok()) return result.error();
  return OkStatus();
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("arenite-store-" + NewGuid());
    std::filesystem::create_directories(dir_);
    Open();
    ASSERT_TRUE(store_->Migrate(kMigrations).ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    store_.reset();
    auto opened = OpenSqlite({.path = (dir_ / "test.db").string(), .synchronous_full = false});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }
  int64_t Count(const std::string& sql) {
    int64_t n = -1;
    EXPECT_TRUE(store_
                    ->Read([&](Tx& tx) -> Status {
                      ARENITE_ASSIGN_OR_RETURN(auto v, tx.QueryInt(sql));
                      n = v.value_or(-1);
                      return OkStatus();
                    })
                    .ok());
    return n;
  }

  const std::vector<Migration> kMigrations = {
      {2, "counters", "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"},
      {1, "things",
       "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB);"},
  };
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, MigrationsApplyOnceInVersionOrder) {
  auto version = store_->SchemaVersion();
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM schema_migrations"), 2);
  // Applying the same list again, even after reopening, changes nothing.
  ASSERT_TRUE(store_->Migrate(kMigrations).ok());
  Open();
  ASSERT_TRUE(store_->Migrate(kMigrations).ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM schema_migrations"), 2);
  // A new migration is applied on top.
  auto more = kMigrations;
  more.push_back({3, "index", "CREATE INDEX things_by_data ON things (data);"});
  ASSERT_TRUE(store_->Migrate(more).ok());
  EXPECT_EQ(store_->SchemaVersion().value(), 3);
}

TEST_F(StoreTest, AFailingMigrationIsNotRecorded) {
  auto bad = kMigrations;
  bad.push_back({3, "broken", "CREATE TABLE things (id INTEGER);"});
  EXPECT_FALSE(store_->Migrate(bad).ok());
  EXPECT_EQ(store_->SchemaVersion().value(), 2);
  EXPECT_TRUE(store_->Ping().ok());
}

TEST_F(StoreTest, ConcurrentWritesFromManyThreadsAllCommit) {
  constexpr int kThreads = 8, kPerThread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Status s = store_->Write([&](Tx& tx) -> Status {
          ARENITE_RETURN_IF_ERROR(tx.Exec("INSERT INTO things (name) VALUES (?)",
                                          {"t" + std::to_string(t) + "-" + std::to_string(i)}));
          return OkStatus();
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM things"), kThreads * kPerThread);
}

TEST_F(StoreTest, AFailingWriteDoesNotAffectOthersInTheSameBatch) {
  // Many writers at once so that they share batches; every third one fails half-way, after
  // its first insert.
  constexpr int kWriters = 60;
  std::vector<std::thread> threads;
  std::vector<int> ok(kWriters, -1);
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      Status s = store_->Write([&](Tx& tx) -> Status {
        ARENITE_RETURN_IF_ERROR(
            tx.Exec("INSERT INTO things (name) VALUES (?)", {"w" + std::to_string(w)}));
        if (w % 3 == 0) return Conflict("refused on purpose");
        ARENITE_RETURN_IF_ERROR(
            tx.Exec("INSERT INTO things (name) VALUES (?)", {"w" + std::to_string(w) + "b"}));
        return OkStatus();
      });
      ok[w] = s.ok() ? 1 : 0;
    });
  }
  for (auto& th : threads) th.join();
  for (int w = 0; w < kWriters; ++w) EXPECT_EQ(ok[w], w % 3 == 0 ? 0 : 1) << w;
  // The failing writes left nothing behind, not even their first insert.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM things"), (kWriters - kWriters / 3) * 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM things WHERE name = 'w0'"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM things WHERE name = 'w1b'"), 1);
}

TEST_F(StoreTest, SubmittedWritesCommitInOrderAndReportTheirOutcome) {
  // Submit returns before the commit; each write's outcome reaches its callback, a failing one
  // leaves nothing, and a Write queued afterwards commits after all of them.
  constexpr int kWrites = 50;
  std::vector<int> outcome(kWrites, -1);
  std::atomic<int> reported{0};
  for (int w = 0; w < kWrites; ++w) {
    store_->Submit(
        [w](Tx& tx) -> Status {
          ARENITE_RETURN_IF_ERROR(
              tx.Exec("INSERT INTO things (name) VALUES (?)", {"s" + std::to_string(w)}));
          if (w % 5 == 0) return Conflict("refused on purpose");
          return OkStatus();
        },
        [&, w](const Status& s) {
          outcome[w] = s.ok() ? 1 : 0;
          ++reported;
        });
  }
  int64_t seen_by_last = -1;
  ASSERT_TRUE(store_
                  ->Write([&](Tx& tx) -> Status {
                    ARENITE_ASSIGN_OR_RETURN(auto n, tx.QueryInt("SELECT COUNT(*) FROM things"));
                    seen_by_last = n.value_or(-1);
                    return OkStatus();
                  })
                  .ok());
  EXPECT_EQ(seen_by_last, kWrites - kWrites / 5);
  EXPECT_EQ(reported.load(), kWrites);
  for (int w = 0; w < kWrites; ++w) EXPECT_EQ(outcome[w], w % 5 == 0 ? 0 : 1) << w;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM things WHERE name = 's5'"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM things WHERE name = 's6'"), 1);
}

TEST_F(StoreTest, WritesSubmittedBeforeTheStoreClosesAreCommitted) {
  for (int w = 0; w < 20; ++w) {
    store_->Submit([w](Tx& tx) -> Status {
      ARENITE_RETURN_IF_ERROR(
          tx.Exec("INSERT INTO things (name) VALUES (?)", {"c" + std::to_string(w)}));
      return OkStatus();
    });
  }
  Open();  // closes the store, which drains its queue first
  EXPECT_EQ(Count("SELECT COUNT(*) FROM things WHERE name LIKE 'c%'"), 20);
}

TEST_F(StoreTest, TheWalStaysBoundedUnderASteadyStreamOfWrites) {
  // Writers that never pause leave the background checkpoints no moment to let the WAL start
  // over; the cap must. About 160 MiB of rows go through; the WAL file may not keep them.
  constexpr int kWriters = 8, kRowsEach = 5000;
  std::atomic<bool> done{false};
  std::atomic<uintmax_t> largest{0};
  std::thread watcher([&] {
    while (!done) {
      std::error_code ec;
      uintmax_t size = std::filesystem::file_size(dir_ / "test.db-wal", ec);
      if (!ec && size > largest) largest = size;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::vector<std::thread> writers;
  std::string blob(4000, 'x');
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kRowsEach; ++i) {
        Status s = store_->Write([&](Tx& tx) -> Status {
          ARENITE_RETURN_IF_ERROR(
              tx.Exec("INSERT INTO things (name, data) VALUES (?, ?)",
                      {std::to_string(w) + "-" + std::to_string(i), Blob{blob}}));
          return OkStatus();
        });
        ASSERT_TRUE(s.ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  watcher.join();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM things"), kWriters * kRowsEach);
  // The cap is 10,000 pages of 4 KiB; a batch may carry it somewhat past.
  EXPECT_LT(largest.load(), uintmax_t{80} << 20);
}

TEST_F(StoreTest, ALatencySensitiveThreadReadsWhileEveryPooledReaderIsTaken) {
  auto opened =
      OpenSqlite({.path = (dir_ / "test.db").string(), .readers = 1, .synchronous_full = false});
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Store> store = std::move(opened).value();
  // The only pooled reader is held until the marked thread has read.
  std::promise<void> held, marked_done;
  std::thread holder([&] {
    (void)store->Read([&](Tx&) -> Status {
      held.set_value();
      marked_done.get_future().wait_for(std::chrono::seconds(10));
      return OkStatus();
    });
  });
  held.get_future().wait();
  std::promise<int64_t> seen;
  std::thread marked([&] {
    MarkLatencySensitiveThread();
    int64_t n = -1;
    Status s = store->Read([&](Tx& tx) -> Status {
      ARENITE_ASSIGN_OR_RETURN(auto v, tx.QueryInt("SELECT COUNT(*) FROM things"));
      n = v.value_or(-1);
      return OkStatus();
    });
    seen.set_value(s.ok() ? n : -2);
  });
  auto result = seen.get_future();
  bool answered = result.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
  marked_done.set_value();
  holder.join();
  marked.join();
  ASSERT_TRUE(answered) << "the marked thread waited for the pooled reader";
  EXPECT_EQ(result.get(), 0);
}

// The read cache's guarantee: a generation read before a commit is below every one read after
// it, on any thread and whichever connection commits (this store's writer or another process's,
// here a second store on the same file); without commits it stays put.
TEST_F(StoreTest, TheGenerationMovesOnEveryCommitOfAnyConnectionAndOnlyThen) {
  auto insert = [](Store& store, const std::string& name) {
    return store.Write([&](Tx& tx) -> Status {
      ARENITE_ASSIGN_OR_RETURN(auto n, tx.Exec("INSERT INTO things (name) VALUES (?)", {name}));
      return n == 1 ? OkStatus() : Internal();
    });
  };
  auto generation = [&](Store& store) {
    auto g = store.Generation();
    EXPECT_TRUE(g.ok());
    return g.ok() ? *g : 0;
  };
  // One pooled reader, so that quiet reads go through the connection that saw the last change.
  auto opened =
      OpenSqlite({.path = (dir_ / "test.db").string(), .readers = 1, .synchronous_full = false});
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Store> store = std::move(opened).value();
  uint64_t g0 = generation(*store);
  EXPECT_EQ(generation(*store), g0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM things"), 0);  // a read through another store
  EXPECT_EQ(generation(*store), g0);

  ASSERT_TRUE(insert(*store, "own").ok());
  uint64_t g1 = generation(*store);
  EXPECT_GT(g1, g0);
  EXPECT_EQ(generation(*store), g1);

  ASSERT_TRUE(insert(*store_, "other").ok());  // another connection, as another process would
  uint64_t g2 = generation(*store);
  EXPECT_GT(g2, g1);

  // A thread with a reader of its own looks, another connection commits, and the same thread
  // (the same connection, which has read in between) looks again.
  std::promise<uint64_t> before, after;
  std::promise<void> committed;
  std::thread marked([&] {
    MarkLatencySensitiveThread();
    uint64_t g = generation(*store);
    EXPECT_EQ(generation(*store), g);
    (void)store->Read(
        [](Tx& tx) -> Status { return StatusOf(tx.QueryInt("SELECT COUNT(*) FROM things")); });
    EXPECT_EQ(generation(*store), g);
    before.set_value(g);
    committed.get_future().wait();
    after.set_value(generation(*store));
  });
  uint64_t seen_before = before.get_future().get();
  ASSERT_TRUE(insert(*store_, "third").ok());
  committed.set_value();
  uint64_t seen_after = after.get_future().get();
  marked.join();
  EXPECT_GE(seen_before, g2);
  EXPECT_GT(seen_after, seen_before);
  // A look from the pool sees the generation the marked thread moved on, and it stays put.
  EXPECT_GE(generation(*store), seen_after);
}

// A row callback that throws leaves no statement stepping, so its connection's snapshot ends
// with the read and the next read (and Generation) see later commits.
TEST_F(StoreTest, AThrowingRowCallbackDoesNotPinTheSnapshot) {
  auto opened =
      OpenSqlite({.path = (dir_ / "test.db").string(), .readers = 1, .synchronous_full = false});
  ASSERT_TRUE(opened.ok());
  std::unique_ptr<Store> store = std::move(opened).value();
  ASSERT_TRUE(store_
                  ->Write([](Tx& tx) -> Status {
                    ARENITE_RETURN_IF_ERROR(tx.Exec("INSERT INTO things (name) VALUES ('a')"));
                    return StatusOf(tx.Exec("INSERT INTO things (name) VALUES ('b')"));
                  })
                  .ok());
  Status thrown = store->Read([](Tx& tx) -> Status {
    return tx.Query("SELECT name FROM things", {},
                    [](const Row&) -> bool { throw std::runtime_error("a callback failed"); });
  });
  EXPECT_FALSE(thrown.ok());
  auto g = store->Generation();
  ASSERT_TRUE(g.ok()) << g.error().message;
  ASSERT_TRUE(store_
                  ->Write([](Tx& tx) -> Status {
                    return StatusOf(tx.Exec("INSERT INTO things (name) VALUES ('c')"));
                  })
                  .ok());
  auto later = store->Generation();
  ASSERT_TRUE(later.ok());
  EXPECT_GT(*later, *g);
  int64_t n = -1;
  ASSERT_TRUE(store
                  ->Read([&](Tx& tx) -> Status {
                    ARENITE_ASSIGN_OR_RETURN(auto v, tx.QueryInt("SELECT COUNT(*) FROM things"));
                    n = v.value_or(-1);
                    return OkStatus();
                  })
                  .ok());
  EXPECT_EQ(n, 3);
}

TEST_F(StoreTest, AnExceptionInsideAWriteIsAnInternalErrorAndRollsBack) {
  Status s = store_->Write([&](Tx& tx) -> Status {
    (void)tx.Exec("INSERT INTO things (name) VALUES ('thrown')");
    throw std::runtime_error("boom");
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().status, 500);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM things"), 0);
  EXPECT_TRUE(store_
                  ->Write([](Tx& tx) -> Status {
                    ARENITE_RETURN_IF_ERROR(tx.Exec("INSERT INTO things (name) VALUES ('x')"));
                    return OkStatus();
                  })
                  .ok());
}

TEST_F(StoreTest, AUniqueViolationIsA409Duplicate) {
  auto insert = [&](const std::string& name) {
    return store_->Write([&](Tx& tx) -> Status {
      ARENITE_RETURN_IF_ERROR(tx.Exec("INSERT INTO things (name) VALUES (?)", {name}));
      return OkStatus();
    });
  };
  ASSERT_TRUE(insert("same").ok());
  Status again = insert("same");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().status, 409);
  EXPECT_EQ(again.error().code, kErrDuplicate);
  EXPECT_EQ(again.error().code, kErrUniqueViolation);
}

TEST_F(StoreTest, AReadSeesOneSnapshotWhileWritesCommit) {
  ASSERT_TRUE(store_
                  ->Write([](Tx& tx) -> Status {
                    ARENITE_RETURN_IF_ERROR(
                        tx.Exec("INSERT INTO counters (name, value) VALUES ('a', 0), ('b', 0)"));
                    return OkStatus();
                  })
                  .ok());
  // A writer moves one unit from a to b, many times; a consistent reader always sees a+b == 0.
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 200 && !stop; ++i) {
      (void)store_->Write([](Tx& tx) -> Status {
        ARENITE_RETURN_IF_ERROR(tx.Exec("UPDATE counters SET value = value - 1 WHERE name = 'a'"));
        ARENITE_RETURN_IF_ERROR(tx.Exec("UPDATE counters SET value = value + 1 WHERE name = 'b'"));
        return OkStatus();
      });
    }
  });
  int inconsistent = 0;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(store_
                    ->Read([&](Tx& tx) -> Status {
                      ARENITE_ASSIGN_OR_RETURN(
                          auto a, tx.QueryInt("SELECT value FROM counters WHERE name = 'a'"));
                      std::this_thread::yield();
                      ARENITE_ASSIGN_OR_RETURN(
                          auto b, tx.QueryInt("SELECT value FROM counters WHERE name = 'b'"));
                      if (a.value_or(0) + b.value_or(0) != 0) ++inconsistent;
                      return OkStatus();
                    })
                    .ok());
  }
  stop = true;
  writer.join();
  EXPECT_EQ(inconsistent, 0);
  EXPECT_EQ(Count("SELECT SUM(value) FROM counters"), 0);
}

// ReadTogether's functions run on threads of their own, but all in one snapshot: one reads a
// while the other reads b, as a writer keeps moving units from a to b in another process' way
// (its own connection, committing all the time).
TEST_F(StoreTest, ReadTogetherRunsItsFunctionsAtOnceInOneSnapshot) {
  ASSERT_TRUE(
      store_
          ->Write([](Tx& tx) -> Status {
            return tx.Exec("INSERT INTO counters (name, value) VALUES ('a', 0), ('b', 0)").ok()
                       ? OkStatus()
                       : Internal();
          })
          .ok());
  auto other = OpenSqlite({.path = (dir_ / "test.db").string(), .synchronous_full = false});
  ASSERT_TRUE(other.ok());
  std::atomic<bool> stop{false};
  std::atomic<int> moves{0};
  std::thread writer([&] {
    while (!stop) {
      Status s = (*other)->Write([](Tx& tx) -> Status {
        ARENITE_RETURN_IF_ERROR(tx.Exec("UPDATE counters SET value = value - 1 WHERE name = 'a'"));
        ARENITE_RETURN_IF_ERROR(tx.Exec("UPDATE counters SET value = value + 1 WHERE name = 'b'"));
        return OkStatus();
      });
      if (s.ok()) ++moves;
    }
  });
  int inconsistent = 0, overlapping = 0;
  for (int i = 0; i < 100; ++i) {
    std::atomic<int> inside{0};
    std::atomic<bool> met{false};
    int64_t a = 0, b = 0;
    auto reader = [&](const char* name, int64_t* out) {
      return [&, name, out](Tx& tx) -> Status {
        // Both functions are inside their transactions at the same moment.
        if (++inside == 2) met = true;
        for (int spin = 0; spin < 100000 && !met; ++spin) std::this_thread::yield();
        ARENITE_ASSIGN_OR_RETURN(
            auto v,
            tx.QueryInt(std::string("SELECT value FROM counters WHERE name = '") + name + "'"));
        *out = v.value_or(0);
        return OkStatus();
      };
    };
    ASSERT_TRUE(store_->ReadTogether({reader("a", &a), reader("b", &b)}).ok());
    overlapping += met ? 1 : 0;
    if (a + b != 0) ++inconsistent;
  }
  stop = true;
  writer.join();
  EXPECT_EQ(inconsistent, 0);
  EXPECT_EQ(overlapping, 100);
  EXPECT_GT(moves.load(), 0);
}

TEST_F(StoreTest, ReadsCannotWrite) {
  Status s = store_->Read([](Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(tx.Exec("INSERT INTO things (name) VALUES ('r')"));
    return OkStatus();
  });
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM things"), 0);
}

TEST_F(StoreTest, ValuesRoundTripIncludingNullsBlobsAndNulBytes) {
  std::string bytes("a\0b\xff", 4);
  ASSERT_TRUE(store_
                  ->Write([&](Tx& tx) -> Status {
                    ARENITE_RETURN_IF_ERROR(tx.Exec("INSERT INTO things (name, data) VALUES (?, ?)",
                                                    {std::string("n"), Blob{bytes}}));
                    ARENITE_RETURN_IF_ERROR(tx.Exec("INSERT INTO things (name, data) VALUES (?, ?)",
                                                    {std::string("m"), nullptr}));
                    return OkStatus();
                  })
                  .ok());
  std::optional<std::string> n, m;
  ASSERT_TRUE(store_
                  ->Read([&](Tx& tx) -> Status {
                    ARENITE_ASSIGN_OR_RETURN(n, tx.QueryString("SELECT data FROM things WHERE "
                                                               "name = 'n'"));
                    ARENITE_ASSIGN_OR_RETURN(m, tx.QueryString("SELECT data FROM things WHERE "
                                                               "name = 'm'"));
                    return OkStatus();
                  })
                  .ok());
  EXPECT_EQ(n, bytes);
  EXPECT_FALSE(m.has_value());
}

TEST_F(StoreTest, AWrongParameterCountIsAnErrorNotACrash) {
  Status s = store_->Read([](Tx& tx) -> Status {
    return tx.Query("SELECT * FROM things WHERE name = ?", {}, [](const Row&) { return true; });
  });
  EXPECT_FALSE(s.ok());
  Status bad_sql = store_->Read([](Tx& tx) -> Status {
    return tx.Query("SELEKT nonsense", {}, [](const Row&) { return true; });
  });
  EXPECT_FALSE(bad_sql.ok());
}

}  // namespace
}  // namespace arenite::store
