// http::Connection over real loopback TCP and TLS: what several connections of one thread send
// arrives whole and in order, a peer that never reads runs into the deadline, and one
// connection's TLS failure is its own.
#include "http/connection.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl/error.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http/send_batch.h"
#include "http/tls.h"

namespace arenite::http {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

// The server's TLS context, with a certificate made once for these tests.
SSL_CTX* ServerContext() {
  static SSL_CTX* context = [] {
    auto dir = std::filesystem::temp_directory_path() /
               ("arenite-connection-test-" + std::to_string(getpid()));
    EXPECT_TRUE(EnsureSelfSignedCertificate(dir.string()).ok());
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    EXPECT_EQ(SSL_CTX_use_certificate_chain_file(ctx, (dir / "cert.pem").c_str()), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx, (dir / "key.pem").c_str(), SSL_FILETYPE_PEM), 1);
    std::filesystem::remove_all(dir);
    return ctx;
  }();
  return context;
}

// A loopback TCP connection: the server's side on `io`, the client's a blocking descriptor that
// the test closes.
struct Link {
  tcp::socket server;
  int client;
};

Link Connect(asio::io_context& io, tcp::acceptor& acceptor) {
  tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  tcp::socket server = acceptor.accept();
  return {std::move(server), client.release()};
}

tcp::acceptor Listen(asio::io_context& io) {
  return tcp::acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
}

TEST(Connection, OneConnectionsTlsFailureDoesNotFailAnotherOfTheSameThread) {
  asio::io_context io(1);
  tcp::acceptor acceptor = Listen(io);
  Link good = Connect(io, acceptor), bad = Connect(io, acceptor);

  // The good client's real ClientHello, made by OpenSSL over memory BIOs.
  SSL_CTX* client_context = SSL_CTX_new(TLS_client_method());
  SSL* client = SSL_new(client_context);
  SSL_set_bio(client, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  SSL_set_connect_state(client);
  SSL_do_handshake(client);
  char hello[4096];
  int hello_size = BIO_read(SSL_get_wbio(client), hello, sizeof hello);
  ASSERT_GT(hello_size, 0);
  ASSERT_EQ(write(good.client, hello, hello_size), hello_size);
  // A handshake record whose ClientHello is too short: the server fails it with an alert.
  const unsigned char broken[] = {0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00};
  ASSERT_EQ(write(bad.client, broken, sizeof broken), static_cast<ssize_t>(sizeof broken));

  Connection good_side(std::move(good.server), ServerContext());
  Connection bad_side(std::move(bad.server), ServerContext());
  good_side.ExpiresAfter(std::chrono::seconds(1));
  bad_side.ExpiresAfter(std::chrono::seconds(1));
  error_code good_result, bad_result;
  // The good one first, so that it reads the thread's error queue after the bad one failed.
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { good_result = co_await good_side.Handshake(); },
      asio::detached);
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { bad_result = co_await bad_side.Handshake(); },
      asio::detached);
  io.run();

  // The good handshake waits for the client's next flight, which never comes: its deadline.
  EXPECT_EQ(good_result, asio::error::timed_out) << good_result.message();
  EXPECT_STREQ(bad_result.category().name(), asio::error::get_ssl_category().name())
      << bad_result.message();
  SSL_free(client);
  SSL_CTX_free(client_context);
  close(good.client);
  close(bad.client);
}

// Three TLS connections of one thread write 2 MiB each to clients that read slowly, and every
// byte arrives. `with_ring` false takes the send(2) path.
void WriteToSlowReaders(bool with_ring) {
  if (!with_ring) setenv("ARENITE_NO_IO_URING", "1", 1);
  asio::io_context io(1);
  SendBatch& batch = SendBatch::For(io.get_executor());  // reads the variable when it is made
  unsetenv("ARENITE_NO_IO_URING");
  if (with_ring && !batch.uses_io_uring()) GTEST_SKIP() << "io_uring is not available here";
  tcp::acceptor acceptor = Listen(io);
  constexpr int kConnections = 3;
  std::string payload(2 << 20, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>((i * 131 + i / 7));
  std::vector<std::unique_ptr<Connection>> connections;
  std::vector<std::thread> clients;
  std::vector<int> intact(kConnections, 0);
  for (int k = 0; k < kConnections; ++k) {
    Link link = Connect(io, acceptor);
    // Small buffers on both sides, so that most sends find the socket full.
    link.server.set_option(asio::socket_base::send_buffer_size(16 * 1024));
    int small = 16 * 1024;
    setsockopt(link.client, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    connections.push_back(std::make_unique<Connection>(std::move(link.server), ServerContext()));
    // A client that reads slowly, so that the server's sends find the socket full.
    clients.emplace_back([fd = link.client, k, &intact, &payload] {
      SSL_CTX* context = SSL_CTX_new(TLS_client_method());
      SSL* ssl = SSL_new(context);
      SSL_set_fd(ssl, fd);
      std::string got;
      if (SSL_connect(ssl) == 1) {
        char buffer[3000];
        for (int reads = 1; got.size() < payload.size(); ++reads) {
          int n = SSL_read(ssl, buffer, sizeof buffer);
          if (n <= 0) break;
          got.append(buffer, static_cast<size_t>(n));
          if (reads % 64 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      }
      intact[k] = got == payload;
      SSL_free(ssl);
      SSL_CTX_free(context);
      close(fd);
    });
  }
  int written = 0;
  for (auto& connection : connections) {
    // The coroutine owns its connection, whose deadline timer goes with it.
    asio::co_spawn(
        io,
        [&, owned = std::shared_ptr<Connection>(std::move(connection))]() -> asio::awaitable<void> {
          Connection* c = owned.get();
          c->ExpiresAfter(std::chrono::seconds(30));
          if (co_await c->Handshake()) co_return;
          std::string_view rest(payload);
          while (!rest.empty()) {  // in pieces, as the server writes a file
            std::string_view piece = rest.substr(0, 64 * 1024);
            if (co_await c->Write(piece)) co_return;
            rest.remove_prefix(piece.size());
          }
          co_await c->Shutdown(false);
          ++written;
        },
        asio::detached);
  }
  io.run();
  for (auto& client : clients) client.join();

  EXPECT_EQ(written, kConnections);
  // Far more sends than writes: most took part of what they were given.
  EXPECT_GT(batch.sends(), 3u * 2 * 32);
  EXPECT_EQ(batch.uses_io_uring(), with_ring);
  for (int k = 0; k < kConnections; ++k) EXPECT_TRUE(intact[k]) << k;
}

TEST(Connection, WhatSeveralConnectionsWriteArrivesWholeThroughFullSocketBuffers) {
  WriteToSlowReaders(true);
}

TEST(Connection, WhatSeveralConnectionsWriteArrivesWholeWithoutIoUringToo) {
  WriteToSlowReaders(false);
}

TEST(Connection, AWriteToAPeerThatNeverReadsEndsAtTheDeadline) {
  asio::io_context io(1);
  tcp::acceptor acceptor = Listen(io);
  Link link = Connect(io, acceptor);
  Connection connection(std::move(link.server), ServerContext());
  std::thread client([fd = link.client] {
    SSL_CTX* context = SSL_CTX_new(TLS_client_method());
    SSL* ssl = SSL_new(context);
    SSL_set_fd(ssl, fd);
    SSL_connect(ssl);
    std::this_thread::sleep_for(std::chrono::seconds(2));  // and never reads
    SSL_free(ssl);
    SSL_CTX_free(context);
  });
  const std::string big(32 << 20, 'x');
  error_code result;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        connection.ExpiresAfter(std::chrono::seconds(5));
        if ((result = co_await connection.Handshake())) co_return;
        connection.ExpiresAfter(std::chrono::seconds(1));
        std::string_view rest(big);
        while (!rest.empty() && !result) {
          std::string_view piece = rest.substr(0, 64 * 1024);
          result = co_await connection.Write(piece);
          rest.remove_prefix(piece.size());
        }
      },
      asio::detached);
  io.run();
  client.join();
  close(link.client);

  // Without the deadline the write would have ended only when the client went away, with a
  // reset or EPIPE.
  EXPECT_EQ(result, asio::error::timed_out) << result.message();
}

}  // namespace
}  // namespace arenite::http
