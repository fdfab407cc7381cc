#include "http/send_batch.h"

#include <liburing.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace arenite::http {

namespace asio = boost::asio;

namespace {

ssize_t SendNow(int fd, const void* data, size_t size) {
  ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
  return n >= 0 ? n : -errno;
}

}  // namespace

// One io_context's io_uring instance. Sends are submitted with MSG_DONTWAIT, so the kernel makes
// each one during the submitting call (a full socket buffer completes it with -EAGAIN instead of
// arming a poll) and posts its completion before the call returns.
struct SendBatch::Ring {
  static constexpr unsigned kEntries = 64;

  // Null where the kernel cannot do what the batch needs: IORING_OP_SEND (5.6) and waits with a
  // timeout that submit nothing (IORING_FEAT_EXT_ARG, 5.11).
  static std::unique_ptr<Ring> Make() {
    // ARENITE_NO_IO_URING=1 takes the send(2) path, as on a machine without io_uring.
    if (const char* off = std::getenv("ARENITE_NO_IO_URING"); off && std::strcmp(off, "1") == 0) {
      return nullptr;
    }
    auto ring = std::make_unique<Ring>();
    // The flags that suit a ring one thread uses alone (5.18 to 6.0), where the kernel has them.
    unsigned flags =
        IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER;
    if (io_uring_queue_init(kEntries, &ring->ring, flags) < 0 &&
        io_uring_queue_init(kEntries, &ring->ring, 0) < 0) {
      return nullptr;
    }
    ring->ready = true;
    io_uring_probe* probe = io_uring_get_probe_ring(&ring->ring);
    bool can_send = probe && io_uring_opcode_supported(probe, IORING_OP_SEND);
    if (probe) io_uring_free_probe(probe);
    if (!can_send || (ring->ring.features & IORING_FEAT_EXT_ARG) == 0) return nullptr;
    return ring;
  }

  ~Ring() {
    if (ready) io_uring_queue_exit(&ring);
  }

  io_uring ring{};
  bool ready = false;
};

SendBatch& SendBatch::For(const asio::any_io_executor& executor) {
  return asio::use_service<SendBatch>(asio::query(executor, asio::execution::context));
}

SendBatch::SendBatch(asio::execution_context& context)
    : asio::execution_context::service(context), ring_(Ring::Make()) {}

SendBatch::~SendBatch() = default;

void SendBatch::shutdown() {
  queued_.clear();
  flushing_.clear();
  flush_posted_ = false;
}

bool SendBatch::uses_io_uring() const { return ring_ != nullptr; }

void SendBatch::Add(const asio::any_io_executor& executor, int fd, const void* data, size_t size,
                    Handler handler) {
  queued_.push_back(Send{fd, data, std::min(size, kMaxSend), 0, std::move(handler)});
  if (flush_posted_) return;
  flush_posted_ = true;
  // Behind everything the thread has queued now: the other connections of this round.
  asio::post(executor, [this] { Flush(); });
}

void SendBatch::Flush() {
  flush_posted_ = false;
  flushing_.swap(queued_);
  if (ring_ && flushing_.size() > 1) {
    SendEach(flushing_);
  } else {
    for (Send& send : flushing_) {
      send.result = SendNow(send.fd, send.data, send.size);
      ++calls_;
    }
  }
  sends_ += flushing_.size();
  // Each completion runs here, on the thread whose io_context every waiting coroutine belongs
  // to (AsyncSend's contract), as Asio runs a socket operation's. One may queue the next send
  // of its connection: that goes into the next round.
  for (Send& send : flushing_) std::move(send.handler)(send.result);
  flushing_.clear();
}

void SendBatch::SendEach(std::vector<Send>& batch) {
  using Clock = std::chrono::steady_clock;
  size_t next = 0;
  while (next < batch.size()) {
    size_t first = next;
    io_uring_sqe* sqe = nullptr;
    while (next < batch.size() && (sqe = io_uring_get_sqe(&ring_->ring)) != nullptr) {
      Send& send = batch[next];
      io_uring_prep_send(sqe, send.fd, send.data, send.size, MSG_NOSIGNAL | MSG_DONTWAIT);
      io_uring_sqe_set_data64(sqe, next);
      send.result = -EINPROGRESS;
      ++next;
    }
    size_t prepared = next - first;
    io_uring_submit(&ring_->ring);
    ++calls_;

    // The kernel takes submissions in order; what it left in the queue was not sent. What it
    // took has its completion by now; a short wait covers a kernel that posts it a little later,
    // and the thread is never held longer than that.
    size_t submitted = prepared - io_uring_sq_ready(&ring_->ring);
    size_t answered = 0;
    auto take = [&](io_uring_cqe* cqe) {
      uint64_t index = io_uring_cqe_get_data64(cqe);
      if (index < batch.size() && batch[index].result == -EINPROGRESS) {
        batch[index].result = cqe->res;
        ++answered;
      }
      io_uring_cqe_seen(&ring_->ring, cqe);
    };
    io_uring_cqe* cqe = nullptr;
    while (answered < submitted && io_uring_peek_cqe(&ring_->ring, &cqe) == 0) take(cqe);
    auto give_up = Clock::now() + std::chrono::milliseconds(100);
    while (answered < submitted && Clock::now() < give_up) {
      __kernel_timespec limit{.tv_sec = 0, .tv_nsec = 10'000'000};
      int waited = io_uring_wait_cqe_timeout(&ring_->ring, &cqe, &limit);
      if (waited == 0) {
        take(cqe);
      } else if (waited != -EINTR && waited != -ETIME) {
        break;
      }
    }
    if (submitted == prepared && answered == submitted) continue;

    // The ring failed. It is never entered again, so what it holds is never sent; a send it
    // took and did not answer may have gone out in part, so its connection gets an error rather
    // than a second copy, and the sends it did not take go by send(2).
    ring_.reset();
    for (size_t i = first; i < batch.size(); ++i) {
      Send& send = batch[i];
      if (i < first + submitted) {
        if (send.result == -EINPROGRESS) send.result = -EIO;
        continue;
      }
      send.result = SendNow(send.fd, send.data, send.size);
      ++calls_;
    }
    return;
  }
}

}  // namespace arenite::http
