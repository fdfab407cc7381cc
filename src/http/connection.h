// One accepted connection's byte stream, for the server's connection coroutine: the socket, with
// OpenSSL over it when TLS is on, and one deadline.
//
// asio::ssl::stream runs OpenSSL over a pair of memory BIOs and moves every record through a
// stack of composed operations; Beast's tcp_stream re-arms a timer for every read and write.
// Here OpenSSL reads records from a buffer that one Asio read fills and writes them to a buffer
// that goes out, after each OpenSSL call, with the sends of the thread's other connections
// (SendBatch), and the coroutine waits only when OpenSSL says it must (docs/ARCHITECTURE.md has
// the figures). Beast still parses and serializes every message; this class moves bytes.
//
// The deadline is one steady_timer per connection, re-armed only when a deadline moves earlier
// than the time it is set for: moving it later (as every keep-alive request does) costs no timer
// operation, and the timer, on firing early, sets itself again for the deadline it finds.
//
// Threads: a Connection and everything it owns are used on its io_context's one thread only.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace arenite::http {

class Connection {
 public:
  using Clock = std::chrono::steady_clock;

  // `tls` null: plain HTTP. The TLS state takes its own reference on the context.
  Connection(boost::asio::ip::tcp::socket socket, SSL_CTX* tls);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // False when the TLS state cannot be created (out of memory).
  bool ok() const { return !tls_ || ssl_ != nullptr; }

  // The server side of the TLS handshake; nothing for plain HTTP.
  boost::asio::awaitable<boost::system::error_code> Handshake();
  // At least one byte into `into`, or an error: asio::error::eof when the peer closed,
  // asio::error::timed_out past the deadline, operation_aborted after Cancel.
  boost::asio::awaitable<std::pair<boost::system::error_code, size_t>> ReadSome(
      boost::asio::mutable_buffer into);
  // All of `bytes`, or an error as ReadSome's.
  boost::asio::awaitable<boost::system::error_code> Write(std::string_view bytes);
  // Sends TLS close_notify (without waiting for the peer's) and stops sending; with `drain`
  // (the peer may still be sending what no request took), then reads and drops what it sends
  // until it closes or the deadline passes.
  boost::asio::awaitable<void> Shutdown(bool drain);

  // The deadline for every operation from now on; ExpiresNever lifts it.
  void ExpiresAfter(std::chrono::seconds timeout);
  void ExpiresNever();
  // Ends the wait going on now, if any, with operation_aborted, and every later wait for the
  // peer's bytes (a reply still goes out): for a server that stops.
  void Cancel();

  boost::asio::ip::tcp::socket& socket() { return socket_; }

 private:
  struct Watch;
  struct Bio;
  // The most one read takes from the socket: a TLS record of 16 KiB with its header and tag.
  static constexpr size_t kInputSize = 17 * 1024;
  // The most one SSL_write encrypts before its records are sent.
  static constexpr size_t kOutputPiece = 64 * 1024;
  // The most output buffer a connection keeps between replies.
  static constexpr size_t kKeepOutput = 32 * 1024;
  // Calls `step` (an OpenSSL call returning its result) until it returns more than zero,
  // sending what it wrote after each call and waiting for the socket whenever OpenSSL wants to
  // read.
  template <typename Step>
  boost::asio::awaitable<std::pair<boost::system::error_code, int>> Drive(Step step);
  // Sends all of `bytes` through the thread's SendBatch, waiting whenever the socket's buffer
  // is full.
  boost::asio::awaitable<boost::system::error_code> SendAll(std::string_view bytes);
  // Waits until the socket is writable, or the deadline passes.
  boost::asio::awaitable<boost::system::error_code> WaitWritable();
  // One read from the socket, unless the deadline passes first.
  boost::asio::awaitable<std::pair<boost::system::error_code, size_t>> Receive(
      boost::asio::mutable_buffer into);
  // Refills the TLS input buffer, which the BIO has emptied.
  boost::asio::awaitable<boost::system::error_code> Fill();

  boost::asio::ip::tcp::socket socket_;
  SSL_CTX* tls_;
  SSL* ssl_ = nullptr;
  std::unique_ptr<char[]> in_;  // TLS records read and not yet taken by OpenSSL
  std::string out_;             // TLS records OpenSSL wrote, sent after each OpenSSL call
  size_t in_begin_ = 0;
  size_t in_end_ = 0;
  bool broken_ = false;     // a fatal TLS error: no close_notify may follow
  bool cancelled_ = false;  // Cancel was called: no read starts any more
  std::shared_ptr<Watch> watch_;
};

}  // namespace arenite::http
