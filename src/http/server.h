// The HTTP/1.1 server: Beast's parser over Asio sockets, HTTPS through OpenSSL (or plain HTTP
// behind a proxy; http/connection.h moves the bytes), one coroutine per connection, keep-alive, and
// limits a hostile client cannot get around (header and body size, header and idle timeouts, a
// connection cap). Handlers run on a pool of worker threads so a slow store never stalls the event
// loop; routes marked on_io_thread or short_read (or whose on_io_thread_if says so for a request)
// run inline.
//
// Threads: Start, Run and Stop may be called from different threads; Run blocks until the
// server has drained after Stop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "http/router.h"

namespace arenite::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8443;
  bool tls = true;
  std::string cert_file;
  std::string key_file;
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 8 * 1024 * 1024;
  int header_timeout_seconds = 10;  // from a request's first byte to its last header
  int body_timeout_seconds = 60;
  int idle_timeout_seconds = 60;  // a keep-alive connection with no request
  int drain_timeout_seconds = 30;
  int max_connections = 4096;
  int io_threads = 0;       // 0: one per core
  int worker_threads = 64;  // the handler pool
  // Runs first on every I/O thread (Run starts them all; the caller's thread only waits), for
  // set-up that inline handlers need, such as marking the thread for the store.
  std::function<void()> on_io_thread_start;
};

class Server {
 public:
  Server(ServerOptions options, const Router& router);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting; returns the bound port (useful with port 0).
  Result<uint16_t> Start();
  // Serves until Stop() has drained every connection, and until every handler still running
  // on the pool (past a timed-out drain) has returned.
  void Run();
  // Stops accepting, lets in-flight requests finish (up to the drain timeout), then ends Run.
  // Safe to call from a signal-handling thread and more than once.
  void Stop();

  int open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace arenite::http
