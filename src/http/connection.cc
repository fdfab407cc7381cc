#include "http/connection.h"

#include "http/send_batch.h"

#include <openssl/err.h>

#include <sys/socket.h>

#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <climits>
#include <cstring>

namespace arenite::http {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

// The BIO between OpenSSL and a Connection. OpenSSL reads records out of the connection's
// input buffer, which Asio's reads fill, and writes them to the output buffer, which Drive sends
// through the thread's SendBatch after every OpenSSL call. Asio's read
// tries one recv at once and, when the next request is not there yet, waits for epoll to report
// it and reads again: two recvs, one of them failed (Boost 1.81 keeps reading speculatively
// after a short read). Waiting on the descriptor first would cost an epoll_ctl every time
// instead of the failed recv, and reading through OpenSSL's socket BIO a failed recv and an
// epoll_ctl.
struct Connection::Bio {
  static BIO_METHOD* Method() {
    static BIO_METHOD* method = [] {
      BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "arenite");
      if (!m) return m;
      BIO_meth_set_read_ex(m, Read);
      BIO_meth_set_write_ex(m, Write);
      BIO_meth_set_ctrl(m, Control);
      BIO_meth_set_create(m, [](BIO* bio) {
        BIO_set_init(bio, 1);
        return 1;
      });
      return m;
    }();
    return method;
  }

  static int Read(BIO* bio, char* out, size_t size, size_t* read) {
    auto* connection = static_cast<Connection*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    size_t held = connection->in_end_ - connection->in_begin_;
    if (held == 0) {
      BIO_set_retry_read(bio);
      *read = 0;
      return 0;
    }
    size_t n = std::min(size, held);
    std::memcpy(out, connection->in_.get() + connection->in_begin_, n);
    connection->in_begin_ += n;
    *read = n;
    return 1;
  }

  static int Write(BIO* bio, const char* data, size_t size, size_t* written) {
    auto* connection = static_cast<Connection*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    connection->out_.append(data, size);
    *written = size;
    return 1;
  }

  static long Control(BIO*, int command, long, void*) {
    return command == BIO_CTRL_FLUSH ? 1 : 0;  // Drive sends what was written after each call
  }
};

struct Connection::Watch {
  Watch(const asio::any_io_executor& executor, tcp::socket* socket)
      : timer(executor), socket(socket) {}

  // Sets the timer for `at`. A wait it replaces ends with operation_aborted and, its generation
  // being stale, does nothing.
  static void Arm(const std::shared_ptr<Watch>& self, Clock::time_point at) {
    self->armed_for = at;
    uint64_t generation = ++self->generation;
    self->timer.expires_at(at);
    self->timer.async_wait([weak = std::weak_ptr<Watch>(self), generation](error_code) {
      auto watch = weak.lock();
      if (!watch || generation != watch->generation) return;
      watch->armed_for = Clock::time_point::max();
      if (watch->deadline == Clock::time_point::max()) return;
      if (Clock::now() < watch->deadline) {
        Arm(watch, watch->deadline);  // the deadline moved later since the timer was set
        return;
      }
      watch->expired = true;
      error_code ignored;
      watch->socket->cancel(ignored);
    });
  }

  asio::steady_timer timer;
  tcp::socket* socket;
  Clock::time_point deadline = Clock::time_point::max();
  Clock::time_point armed_for = Clock::time_point::max();  // max: no wait pending
  uint64_t generation = 0;
  bool expired = false;
};

Connection::Connection(tcp::socket socket, SSL_CTX* tls)
    : socket_(std::move(socket)),
      tls_(tls),
      watch_(std::make_shared<Watch>(socket_.get_executor(), &socket_)) {
  error_code ignored;
  // Reads and writes return would_block instead of blocking, for Asio's calls and OpenSSL's.
  socket_.non_blocking(true, ignored);
  socket_.native_non_blocking(true, ignored);
  if (!tls_) return;
  BIO_METHOD* method = Bio::Method();
  BIO* bio = method ? BIO_new(method) : nullptr;
  ssl_ = bio ? SSL_new(tls_) : nullptr;
  if (!ssl_) {
    BIO_free(bio);
    return;
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);  // the SSL owns the BIO from here
  in_ = std::make_unique_for_overwrite<char[]>(kInputSize);
  SSL_set_accept_state(ssl_);
}

Connection::~Connection() {
  if (ssl_) SSL_free(ssl_);
}

void Connection::ExpiresAfter(std::chrono::seconds timeout) {
  Watch& watch = *watch_;
  watch.deadline = Clock::now() + timeout;
  watch.expired = false;
  if (watch.armed_for > watch.deadline) Watch::Arm(watch_, watch.deadline);
}

void Connection::ExpiresNever() {
  watch_->deadline = Clock::time_point::max();
  watch_->expired = false;
}

void Connection::Cancel() {
  cancelled_ = true;
  error_code ignored;
  socket_.cancel(ignored);
}

asio::awaitable<error_code> Connection::WaitWritable() {
  if (watch_->expired) co_return asio::error::timed_out;
  auto [ec] = co_await socket_.async_wait(asio::socket_base::wait_write,
                                          asio::as_tuple(asio::use_awaitable));
  if (watch_->expired) co_return asio::error::timed_out;
  co_return ec;
}

asio::awaitable<std::pair<error_code, size_t>> Connection::Receive(asio::mutable_buffer into) {
  if (watch_->expired) co_return std::pair{error_code(asio::error::timed_out), size_t{0}};
  if (cancelled_) co_return std::pair{error_code(asio::error::operation_aborted), size_t{0}};
  auto [ec, n] = co_await socket_.async_read_some(into, asio::as_tuple(asio::use_awaitable));
  if (watch_->expired) co_return std::pair{error_code(asio::error::timed_out), size_t{0}};
  co_return std::pair{ec, n};
}

asio::awaitable<error_code> Connection::Fill() {
  in_begin_ = in_end_ = 0;  // the BIO asks for more only once it has taken everything
  auto [ec, n] = co_await Receive(asio::buffer(in_.get(), kInputSize));
  if (!ec) in_end_ = n;
  co_return ec;
}

template <typename Step>
asio::awaitable<std::pair<error_code, int>> Connection::Drive(Step step) {
  for (;;) {
    // SSL_get_error needs an empty error queue before the call; clearing one that is already
    // empty costs more than looking.
    if (ERR_peek_error() != 0) ERR_clear_error();
    errno = 0;  // the BIO makes no system call: a SYSCALL result must not read a stale errno
    int result = step();
    // Everything the call left in the thread's state is read before the sends below wait: the
    // thread runs its other connections meanwhile, and their OpenSSL calls would see this
    // connection's error queue, and it theirs.
    int error = result > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, result);
    int saved_errno = errno;
    unsigned long code = 0;
    if (ERR_peek_error() != 0) {
      code = ERR_get_error();  // the first error, which says why
      ERR_clear_error();
    }
    if (!out_.empty()) {
      error_code ec = co_await SendAll(out_);
      out_.clear();
      // A large reply's buffer is not kept for the rest of a keep-alive connection.
      if (out_.capacity() > kKeepOutput) std::string().swap(out_);
      if (ec) {
        // A record may be left half sent: no close_notify can follow it.
        broken_ = true;
        co_return std::pair{ec, 0};
      }
    }
    switch (error) {
      case SSL_ERROR_NONE:
        co_return std::pair{error_code{}, result};
      case SSL_ERROR_WANT_READ:
        if (error_code ec = co_await Fill()) co_return std::pair{ec, 0};
        continue;
      case SSL_ERROR_WANT_WRITE:  // not from this BIO, which takes every write
        broken_ = true;
        co_return std::pair{error_code(asio::error::fault), 0};
      case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
        co_return std::pair{error_code(asio::error::eof), 0};
      case SSL_ERROR_SYSCALL:
        broken_ = true;
        co_return std::pair{saved_errno == 0
                                ? error_code(asio::error::eof)
                                : error_code(saved_errno, asio::error::get_system_category()),
                            0};
      default:
        broken_ = true;
        // A peer that hangs up without close_notify has ended the stream like any other EOF.
        if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
          co_return std::pair{error_code(asio::error::eof), 0};
        }
        // The WANT_* results of callbacks this server does not install queue no error: still
        // an error here, never a success that would have the caller loop.
        if (code == 0) co_return std::pair{error_code(asio::error::fault), 0};
        co_return std::pair{error_code(static_cast<int>(code), asio::error::get_ssl_category()), 0};
    }
  }
}

asio::awaitable<error_code> Connection::Handshake() {
  if (!ssl_) co_return error_code{};
  auto [ec, n] = co_await Drive([this] { return SSL_do_handshake(ssl_); });
  co_return ec;
}

asio::awaitable<std::pair<error_code, size_t>> Connection::ReadSome(asio::mutable_buffer into) {
  int size = static_cast<int>(std::min<size_t>(into.size(), INT_MAX));
  if (ssl_) {
    auto [ec, n] = co_await Drive([&] { return SSL_read(ssl_, into.data(), size); });
    co_return std::pair{ec, static_cast<size_t>(n)};
  }
  co_return co_await Receive(asio::buffer(into.data(), static_cast<size_t>(size)));
}

asio::awaitable<error_code> Connection::Write(std::string_view bytes) {
  if (!ssl_) co_return co_await SendAll(bytes);
  while (!bytes.empty()) {
    // Encrypted a piece at a time, so that the records waiting to be sent stay small.
    int size = static_cast<int>(std::min(bytes.size(), kOutputPiece));
    auto [ec, n] = co_await Drive([&] { return SSL_write(ssl_, bytes.data(), size); });
    if (ec) co_return ec;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  co_return error_code{};
}

asio::awaitable<error_code> Connection::SendAll(std::string_view bytes) {
  SendBatch& batch = SendBatch::For(socket_.get_executor());
  while (!bytes.empty()) {
    if (watch_->expired) co_return asio::error::timed_out;
    ssize_t n = co_await batch.AsyncSend(socket_.get_executor(), socket_.native_handle(),
                                         bytes.data(), bytes.size(), asio::use_awaitable);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
    } else if (n == 0 || n == -EAGAIN || n == -EWOULDBLOCK || n == -EINTR) {
      if (error_code ec = co_await WaitWritable()) co_return ec;
    } else {
      co_return error_code(static_cast<int>(-n), asio::error::get_system_category());
    }
  }
  co_return error_code{};
}

asio::awaitable<void> Connection::Shutdown(bool drain) {
  // After a fatal TLS error OpenSSL must not be asked to shut down (SSL_shutdown(3)).
  if (ssl_ && !broken_) {
    co_await Drive([this] {
      int result = SSL_shutdown(ssl_);
      return result < 0 ? result : 1;  // 0: close_notify sent, the peer's not awaited
    });
  }
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  if (!drain) co_return;
  // Closing with unread bytes in the receive queue makes the kernel send a reset, which can
  // destroy the last reply before the peer reads it (a 431 for headers still arriving, say).
  // So what the peer still sends is read and dropped until it closes or the deadline passes.
  char scratch[4096];
  for (;;) {
    auto [ec, n] = co_await Receive(asio::buffer(scratch));
    if (ec) break;
  }
}

}  // namespace arenite::http
