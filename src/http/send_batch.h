// The sends that an I/O thread's connections ask for while the thread works through one round
// of ready connections, made together once the round is done: with io_uring, one system call
// makes them all, so that a client waiting on several of these connections is woken once for
// all of their replies rather than once for each, and the thread does not lose its core to that
// client after every reply (docs/ARCHITECTURE.md, "Replies sent together"). Where io_uring
// cannot be set up (an old kernel, a sandbox that forbids it) each is a send(2) of its own, made
// at the same moment.
//
// Threads: one SendBatch per I/O thread (ForThisThread), used only on that thread, whose
// io_context runs every completion.
#pragma once

#include <sys/types.h>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace arenite::http {

class SendBatch {
 public:
  using Handler = boost::asio::any_completion_handler<void(ssize_t)>;

  // The calling thread's batch, made on first use.
  static SendBatch& ForThisThread();

  // Sends up to `size` bytes of `data` on the non-blocking stream socket `fd` once the thread
  // has run what is queued on `executor`'s io_context now, and completes with the number of
  // bytes sent or -errno (-EAGAIN when the socket's buffer is full). `data` must stay valid
  // until then. `executor` must be the calling thread's own io_context's.
  template <typename Token>
  auto AsyncSend(const boost::asio::any_io_executor& executor, int fd, const void* data,
                 size_t size, Token&& token) {
    return boost::asio::async_initiate<Token, void(ssize_t)>(
        [this, executor, fd, data, size](auto handler) {
          Add(executor, fd, data, size, Handler(std::move(handler)));
        },
        token);
  }

  // Whether this thread's sends go through io_uring.
  bool uses_io_uring() const;
  // How many system calls have sent how many replies on this thread, for tests and benchmarks.
  uint64_t calls() const { return calls_; }
  uint64_t sends() const { return sends_; }

  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;
  ~SendBatch();

 private:
  struct Ring;
  struct Send {
    int fd;
    const void* data;
    size_t size;
    ssize_t result;
    Handler handler;
  };

  SendBatch();
  void Add(const boost::asio::any_io_executor& executor, int fd, const void* data, size_t size,
           Handler handler);
  // Makes the queued sends and completes them.
  void Flush();
  // Makes every send of `batch` through the ring, a system call per kEntries; should the ring
  // fail, drops it and makes the rest with send(2).
  void SendEach(std::vector<Send>& batch);

  std::unique_ptr<Ring> ring_;  // null: each send is a send(2)
  std::vector<Send> queued_;
  std::vector<Send> flushing_;
  bool flush_posted_ = false;
  uint64_t calls_ = 0;
  uint64_t sends_ = 0;
};

}  // namespace arenite::http
