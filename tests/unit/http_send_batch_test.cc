// SendBatch: the sends of one round of an I/O thread go out together, in one system call when
// io_uring is there, and each completes with what send(2) would have said.
#include "http/send_batch.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace arenite::http {
namespace {

namespace asio = boost::asio;

// A connected pair of non-blocking stream sockets, closed at the end.
struct Pair {
  Pair() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0) {
      ours = fds[0];
      theirs = fds[1];
    }
  }
  ~Pair() {
    if (ours >= 0) close(ours);
    if (theirs >= 0) close(theirs);
  }
  std::string Drain() const {
    std::string got;
    char buffer[65536];
    for (;;) {
      ssize_t n = read(theirs, buffer, sizeof buffer);
      if (n <= 0) return got;
      got.append(buffer, static_cast<size_t>(n));
    }
  }
  int ours = -1;
  int theirs = -1;
};

// Starts one coroutine per message on `io`, each sending its message on its own pair, runs them
// all, and returns each send's result.
std::vector<ssize_t> SendAllAtOnce(asio::io_context& io, std::vector<Pair>& pairs,
                                   const std::vector<std::string>& sent) {
  std::vector<ssize_t> results(pairs.size(), -1);
  for (size_t i = 0; i < pairs.size(); ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          auto executor = co_await asio::this_coro::executor;
          results[i] = co_await SendBatch::For(executor).AsyncSend(
              executor, pairs[i].ours, sent[i].data(), sent[i].size(), asio::use_awaitable);
        },
        asio::detached);
  }
  io.restart();
  io.run();
  return results;
}

SendBatch& BatchOf(asio::io_context& io) { return SendBatch::For(io.get_executor()); }

TEST(SendBatch, UsesIoUringWhereTheKernelAllowsIt) {
  asio::io_context io(1);
  if (!BatchOf(io).uses_io_uring()) GTEST_SKIP() << "io_uring is not available here";
  std::vector<Pair> pairs(2);
  std::vector<ssize_t> results = SendAllAtOnce(io, pairs, {"x", "y"});
  EXPECT_EQ(results, (std::vector<ssize_t>{1, 1}));
  EXPECT_EQ(BatchOf(io).calls(), 1u);
}

TEST(SendBatch, TheSendsOfOneRoundGoOutTogetherAndArriveWhole) {
  std::vector<Pair> pairs(8);
  std::vector<std::string> sent;
  for (size_t i = 0; i < pairs.size(); ++i) sent.push_back("reply " + std::to_string(i));
  asio::io_context io(1);
  SendBatch& batch = BatchOf(io);

  std::vector<ssize_t> results = SendAllAtOnce(io, pairs, sent);

  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ(results[i], static_cast<ssize_t>(sent[i].size())) << i;
    EXPECT_EQ(pairs[i].Drain(), sent[i]) << i;
  }
  EXPECT_EQ(batch.sends(), pairs.size());
  // One io_uring_enter for the round; without io_uring, a send(2) each.
  EXPECT_EQ(batch.calls(), batch.uses_io_uring() ? 1u : pairs.size());
}

TEST(SendBatch, ARoundLargerThanTheRingTakesACallPerRingful) {
  std::vector<Pair> pairs(150);
  std::vector<std::string> sent;
  for (size_t i = 0; i < pairs.size(); ++i) sent.push_back(std::string(100 + i, 'a' + i % 26));
  asio::io_context io(1);
  SendBatch& batch = BatchOf(io);

  std::vector<ssize_t> results = SendAllAtOnce(io, pairs, sent);

  for (size_t i = 0; i < pairs.size(); ++i) {
    ASSERT_EQ(results[i], static_cast<ssize_t>(sent[i].size())) << i;
    ASSERT_EQ(pairs[i].Drain(), sent[i]) << i;
  }
  EXPECT_EQ(batch.calls(), batch.uses_io_uring() ? 3u : pairs.size());
}

TEST(SendBatch, AFullSocketTakesWhatFitsAndThenSaysEagain) {
  std::vector<Pair> pairs(2);
  const std::string big(8 << 20, 'x');
  std::vector<std::string> sent = {big, "small"};

  asio::io_context io(1);
  std::vector<ssize_t> first = SendAllAtOnce(io, pairs, sent);
  ASSERT_GT(first[0], 0);
  ASSERT_LT(first[0], static_cast<ssize_t>(big.size()));
  EXPECT_EQ(first[1], 5);
  // Nothing more fits until the peer reads.
  std::vector<std::string> rest = {big.substr(static_cast<size_t>(first[0])), "more"};
  std::vector<ssize_t> second = SendAllAtOnce(io, pairs, rest);
  EXPECT_EQ(second[0], -EAGAIN);
  EXPECT_EQ(second[1], 4);
  EXPECT_EQ(pairs[0].Drain().size(), static_cast<size_t>(first[0]));
  EXPECT_EQ(pairs[1].Drain(), "smallmore");
}

TEST(SendBatch, ASendToAClosedPeerFailsWithoutASignal) {
  std::vector<Pair> pairs(2);
  close(pairs[0].theirs);
  pairs[0].theirs = -1;
  std::vector<std::string> sent = {"lost", "kept"};

  asio::io_context io(1);
  std::vector<ssize_t> results = SendAllAtOnce(io, pairs, sent);

  EXPECT_EQ(results[0], -EPIPE);  // and the test process is still here: no SIGPIPE
  EXPECT_EQ(results[1], 4);
  EXPECT_EQ(pairs[1].Drain(), "kept");
}

TEST(SendBatch, WithoutIoUringEachSendIsASendOfItsOwn) {
  setenv("ARENITE_NO_IO_URING", "1", 1);
  asio::io_context io(1);
  SendBatch& batch = BatchOf(io);  // reads the variable when it is made
  unsetenv("ARENITE_NO_IO_URING");
  std::vector<Pair> pairs(3);
  std::vector<std::string> sent = {"a", "bb", "ccc"};

  std::vector<ssize_t> results = SendAllAtOnce(io, pairs, sent);

  EXPECT_FALSE(batch.uses_io_uring());
  EXPECT_EQ(batch.calls(), 3u);
  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ(results[i], static_cast<ssize_t>(sent[i].size()));
    EXPECT_EQ(pairs[i].Drain(), sent[i]);
  }
}

TEST(SendBatch, ASendQueuedByACompletionGoesInTheNextRound) {
  asio::io_context io(1);
  std::vector<Pair> pairs(2);
  std::vector<std::string> order;
  for (size_t i = 0; i < pairs.size(); ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          auto executor = co_await asio::this_coro::executor;
          SendBatch& batch = SendBatch::For(executor);
          for (const char* piece : {"first ", "second"}) {
            ssize_t n = co_await batch.AsyncSend(executor, pairs[i].ours, piece, std::strlen(piece),
                                                 asio::use_awaitable);
            order.push_back(std::to_string(i) + ":" + std::to_string(n));
          }
        },
        asio::detached);
  }
  io.run();

  // Both firsts in one round, both seconds in the next.
  EXPECT_EQ(order, (std::vector<std::string>{"0:6", "1:6", "0:6", "1:6"}));
  EXPECT_EQ(BatchOf(io).calls(), BatchOf(io).uses_io_uring() ? 2u : 4u);
  for (auto& pair : pairs) EXPECT_EQ(pair.Drain(), "first second");
}

TEST(SendBatch, AnIoContextDestroyedWithSendsQueuedLeavesOthersWorking) {
  std::vector<Pair> pairs(1);
  bool completed = false;
  {
    asio::io_context io(1);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto executor = co_await asio::this_coro::executor;
          co_await SendBatch::For(executor).AsyncSend(executor, pairs[0].ours, "lost", 4,
                                                      asio::use_awaitable);
          completed = true;
        },
        asio::detached);
    io.run_one();  // the coroutine queues its send; the flush never runs
  }
  EXPECT_FALSE(completed);
  EXPECT_EQ(pairs[0].Drain(), "");

  // The same thread, a new io_context: its sends go out.
  asio::io_context io(1);
  std::vector<ssize_t> results = SendAllAtOnce(io, pairs, {"kept"});
  EXPECT_EQ(results[0], 4);
  EXPECT_EQ(pairs[0].Drain(), "kept");
}

}  // namespace
}  // namespace arenite::http
