// SendBatch: the sends of one round of an I/O thread go out together, in one system call when
// io_uring is there, and each completes with what send(2) would have said.
#include "http/send_batch.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <thread>
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

// Starts one coroutine per message, each sending its message on its own pair, runs them all on
// one io_context, and returns each send's result.
std::vector<ssize_t> SendAllAtOnce(std::vector<Pair>& pairs, const std::vector<std::string>& sent) {
  asio::io_context io(1);
  std::vector<ssize_t> results(pairs.size(), -1);
  for (size_t i = 0; i < pairs.size(); ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          auto executor = co_await asio::this_coro::executor;
          results[i] = co_await SendBatch::ForThisThread().AsyncSend(
              executor, pairs[i].ours, sent[i].data(), sent[i].size(), asio::use_awaitable);
        },
        asio::detached);
  }
  io.run();
  return results;
}

TEST(SendBatch, TheSendsOfOneRoundGoOutTogetherAndArriveWhole) {
  std::vector<Pair> pairs(8);
  std::vector<std::string> sent;
  for (size_t i = 0; i < pairs.size(); ++i) sent.push_back("reply " + std::to_string(i));
  SendBatch& batch = SendBatch::ForThisThread();
  uint64_t calls = batch.calls(), sends = batch.sends();

  std::vector<ssize_t> results = SendAllAtOnce(pairs, sent);

  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ(results[i], static_cast<ssize_t>(sent[i].size())) << i;
    EXPECT_EQ(pairs[i].Drain(), sent[i]) << i;
  }
  EXPECT_EQ(batch.sends() - sends, pairs.size());
  // One io_uring_enter for the round; without io_uring, a send(2) each.
  EXPECT_EQ(batch.calls() - calls, batch.uses_io_uring() ? 1u : pairs.size());
}

TEST(SendBatch, ARoundLargerThanTheRingTakesACallPerRingful) {
  std::vector<Pair> pairs(150);
  std::vector<std::string> sent;
  for (size_t i = 0; i < pairs.size(); ++i) sent.push_back(std::string(100 + i, 'a' + i % 26));
  SendBatch& batch = SendBatch::ForThisThread();
  uint64_t calls = batch.calls();

  std::vector<ssize_t> results = SendAllAtOnce(pairs, sent);

  for (size_t i = 0; i < pairs.size(); ++i) {
    ASSERT_EQ(results[i], static_cast<ssize_t>(sent[i].size())) << i;
    ASSERT_EQ(pairs[i].Drain(), sent[i]) << i;
  }
  EXPECT_EQ(batch.calls() - calls, batch.uses_io_uring() ? 3u : pairs.size());
}

TEST(SendBatch, AFullSocketTakesWhatFitsAndThenSaysEagain) {
  std::vector<Pair> pairs(2);
  const std::string big(8 << 20, 'x');
  std::vector<std::string> sent = {big, "small"};

  std::vector<ssize_t> first = SendAllAtOnce(pairs, sent);
  ASSERT_GT(first[0], 0);
  ASSERT_LT(first[0], static_cast<ssize_t>(big.size()));
  EXPECT_EQ(first[1], 5);
  // Nothing more fits until the peer reads.
  std::vector<std::string> rest = {big.substr(static_cast<size_t>(first[0])), "more"};
  std::vector<ssize_t> second = SendAllAtOnce(pairs, rest);
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

  std::vector<ssize_t> results = SendAllAtOnce(pairs, sent);

  EXPECT_EQ(results[0], -EPIPE);  // and the test process is still here: no SIGPIPE
  EXPECT_EQ(results[1], 4);
  EXPECT_EQ(pairs[1].Drain(), "kept");
}

TEST(SendBatch, WithoutIoUringEachSendIsASendOfItsOwn) {
  setenv("ARENITE_NO_IO_URING", "1", 1);
  bool used_ring = true;
  uint64_t calls = 0;
  std::vector<Pair> pairs(3);
  std::vector<std::string> sent = {"a", "bb", "ccc"};
  std::vector<ssize_t> results;
  // A new thread makes a new batch, which reads the variable.
  std::thread([&] {
    results = SendAllAtOnce(pairs, sent);
    used_ring = SendBatch::ForThisThread().uses_io_uring();
    calls = SendBatch::ForThisThread().calls();
  }).join();
  unsetenv("ARENITE_NO_IO_URING");

  EXPECT_FALSE(used_ring);
  EXPECT_EQ(calls, 3u);
  for (size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ(results[i], static_cast<ssize_t>(sent[i].size()));
    EXPECT_EQ(pairs[i].Drain(), sent[i]);
  }
}

}  // namespace
}  // namespace arenite::http
