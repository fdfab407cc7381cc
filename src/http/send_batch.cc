#include "http/send_batch.h"

#include <liburing.h>
#include <sys/socket.h>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace arenite::http {

namespace asio = boost::asio;

// One thread's io_uring instance. Sends are submitted with MSG_DONTWAIT, so the kernel makes
// each one during the submitting call (a full socket buffer completes it with -EAGAIN instead of
// arming a poll), and every submitted send has its completion when the call returns.
struct SendBatch::Ring {
  static constexpr unsigned kEntries = 64;

  static std::unique_ptr<Ring> Make() {
    // ARENITE_NO_IO_URING=1 takes the send(2) path, as on a machine without io_uring.
    if (const char* off = std::getenv("ARENITE_NO_IO_URING"); off && std::strcmp(off, "1") == 0) {
      return nullptr;
    }
    auto ring = std::make_unique<Ring>();
    // The flags that suit a ring one thread uses alone, where the kernel has them.
    unsigned flags =
        IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER;
    if (io_uring_queue_init(kEntries, &ring->ring, flags) < 0 &&
        io_uring_queue_init(kEntries, &ring->ring, 0) < 0) {
      return nullptr;
    }
    ring->ready = true;
    return ring;
  }

  ~Ring() {
    if (ready) io_uring_queue_exit(&ring);
  }

  io_uring ring{};
  bool ready = false;
};

SendBatch::SendBatch() : ring_(Ring::Make()) {}
SendBatch::~SendBatch() = default;

SendBatch& SendBatch::ForThisThread() {
  thread_local SendBatch batch;
  return batch;
}

bool SendBatch::uses_io_uring() const { return ring_ != nullptr; }

void SendBatch::Add(const asio::any_io_executor& executor, int fd, const void* data, size_t size,
                    Handler handler) {
  queued_.push_back(Send{fd, data, size, 0, std::move(handler)});
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
      ssize_t n = ::send(send.fd, send.data, send.size, MSG_NOSIGNAL | MSG_DONTWAIT);
      send.result = n >= 0 ? n : -errno;
      ++calls_;
    }
  }
  sends_ += flushing_.size();
  // A completion may queue the next send of its connection: that goes into the next round.
  for (Send& send : flushing_) {
    auto executor = asio::get_associated_executor(send.handler);
    asio::dispatch(executor, [handler = std::move(send.handler), result = send.result]() mutable {
      std::move(handler)(result);
    });
  }
  flushing_.clear();
}

void SendBatch::SendEach(std::vector<Send>& batch) {
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
    io_uring_submit_and_wait(&ring_->ring, static_cast<unsigned>(prepared));
    ++calls_;
    // The kernel takes submissions in order; what it left in the queue was not sent.
    size_t submitted = prepared - io_uring_sq_ready(&ring_->ring);
    size_t answered = 0;
    while (answered < submitted) {
      io_uring_cqe* cqe = nullptr;
      __kernel_timespec limit{.tv_sec = 1, .tv_nsec = 0};
      int waited = io_uring_wait_cqe_timeout(&ring_->ring, &cqe, &limit);
      if (waited == -EINTR) continue;
      if (waited < 0) break;
      uint64_t index = io_uring_cqe_get_data64(cqe);
      if (index < batch.size() && batch[index].result == -EINPROGRESS) {
        batch[index].result = cqe->res;
        ++answered;
      }
      io_uring_cqe_seen(&ring_->ring, cqe);
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
      ssize_t n = ::send(send.fd, send.data, send.size, MSG_NOSIGNAL | MSG_DONTWAIT);
      send.result = n >= 0 ? n : -errno;
      ++calls_;
    }
    return;
  }
}

}  // namespace arenite::http
