// The sends that the connections of one io_context ask for while its thread works through one
// round of ready connections, made together once the round is done: with io_uring, one system
// call makes them all (up to 64 a call), so that a client waiting on several of these
// connections is woken once for all of their replies rather than once for each, and the thread
// does not lose its core to that client after every reply (docs/ARCHITECTURE.md, "Replies sent
// together"). Where io_uring cannot be set up (an old kernel, a sandbox that forbids it) each
// is a send(2) of its own, made at the same moment.
//
// Threads: a SendBatch is a service of one io_context (For), which exactly one thread runs;
// it is used on that thread only, and runs every completion there. Destroying the io_context
// drops the sends still queued, with their handlers, as Asio drops its own operations.
#pragma once

#include <sys/types.h>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution_context.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace arenite::http {

class SendBatch : public boost::asio::execution_context::service {
 public:
  using Handler = boost::asio::any_completion_handler<void(ssize_t)>;
  // The most one send takes: io_uring carries a send's length in 32 bits.
  static constexpr size_t kMaxSend = size_t{1} << 30;

  static inline boost::asio::execution_context::id id;

  // The batch of `executor`'s io_context, made on first use.
  static SendBatch& For(const boost::asio::any_io_executor& executor);

  explicit SendBatch(boost::asio::execution_context& context);
  ~SendBatch() override;
  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;

  // Sends up to `size` bytes (at most kMaxSend) of `data` on the non-blocking stream socket
  // `fd` once the thread has run what is queued on `executor`'s io_context now, and completes
  // with the number of bytes sent or -errno (-EAGAIN when the socket's buffer is full). `data`
  // must stay valid until then, and a socket has at most one send queued at a time. Must be
  // called on the thread that runs `executor`'s io_context, which must be this batch's.
  template <typename Token>
  auto AsyncSend(const boost::asio::any_io_executor& executor, int fd, const void* data,
                 size_t size, Token&& token) {
    return boost::asio::async_initiate<Token, void(ssize_t)>(
        [this, executor, fd, data, size](auto handler) {
          Add(executor, fd, data, size, Handler(std::move(handler)));
        },
        token);
  }

  // Whether the sends go through io_uring.
  bool uses_io_uring() const;
  // How many system calls have made how many sends, for tests and benchmarks.
  uint64_t calls() const { return calls_; }
  uint64_t sends() const { return sends_; }

 private:
  struct Ring;
  struct Send {
    int fd;
    const void* data;
    size_t size;
    ssize_t result;
    Handler handler;
  };

  void shutdown() override;
  void Add(const boost::asio::any_io_executor& executor, int fd, const void* data, size_t size,
           Handler handler);
  // Makes the queued sends and completes them.
  void Flush();
  // Makes every send of `batch` through the ring, a system call per Ring::kEntries; should the
  // ring fail, drops it and makes the rest with send(2).
  void SendEach(std::vector<Send>& batch);

  std::unique_ptr<Ring> ring_;  // null: each send is a send(2)
  std::vector<Send> queued_;
  std::vector<Send> flushing_;
  bool flush_posted_ = false;
  uint64_t calls_ = 0;
  uint64_t sends_ = 0;
};

}  // namespace arenite::http
