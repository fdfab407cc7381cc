#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <thread>

#include "http/server.h"
#include "webhooks/sender.h"

namespace arenite::webhooks {
namespace {

// A real plain-HTTP server on loopback that answers as the test asks.
class SenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("POST", "/ok", [this](http::Request& r) {
      last_body_ = r.body;
      last_signature_ = std::string(r.Header("webhook-id").value_or(""));
      http::Reply reply;
      reply.status = 204;
      reply.content_type.clear();
      return reply;
    });
    router_.Add("POST", "/fail",
                [](http::Request&) { return http::TextReply(500, "text/plain", "broken"); });
    router_.Add("POST", "/auth",
                [](http::Request&) { return http::TextReply(401, "text/plain", "who are you"); });
    router_.Add("POST", "/busy", [](http::Request&) {
      http::Reply reply = http::TextReply(503, "text/plain", "later");
      reply.headers.Set("Retry-After", "7");
      return reply;
    });
    router_.Add("POST", "/slow", [](http::Request&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      return http::TextReply(200, "text/plain", "too late");
    });
    router_.Add("POST", "/big", [](http::Request&) {
      return http::TextReply(200, "text/plain", std::string(200000, 'b'));
    });
    http::ServerOptions options;
    options.port = 0;
    options.tls = false;
    options.io_threads = 1;
    options.worker_threads = 4;
    server_ = std::make_unique<http::Server>(options, router_);
    port_ = server_->Start().value();
    thread_ = std::thread([this] { server_->Run(); });
  }

  void TearDown() override {
    server_->Stop();
    thread_.join();
  }

  Sender Loopback(int total_timeout_ms = 3000) {
    return Sender(*AddressPolicy::Create({"127.0.0.0/8"}, true),
                  SenderOptions{1000, total_timeout_ms, ""});
  }

  std::string Url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::string last_body_, last_signature_;
};

TEST_F(SenderTest, DeliversBodyAndHeadersOnA2xx) {
  auto result = Loopback().Post({Url("/ok"), {{"webhook-id", "msg_1"}}, "{\"a\":1}"});
  EXPECT_TRUE(result.delivered()) << result.error;
  EXPECT_EQ(result.status, 204);
  EXPECT_EQ(result.address, "127.0.0.1");
  EXPECT_EQ(last_body_, "{\"a\":1}");
  EXPECT_EQ(last_signature_, "msg_1");
}

TEST_F(SenderTest, ClassifiesStatusAuthAndRetryAfter) {
  Sender sender = Loopback();
  auto failed = sender.Post({Url("/fail"), {}, "x"});
  EXPECT_EQ(failed.error_class, ErrorClass::kHttpStatus);
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.response_body, "broken");
  auto auth = sender.Post({Url("/auth"), {}, "x"});
  EXPECT_EQ(auth.error_class, ErrorClass::kAuthRejected);
  EXPECT_STREQ(ErrorClassName(auth.error_class), "auth_rejected");
  auto busy = sender.Post({Url("/busy"), {}, "x"});
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.retry_after_seconds, 7);
}

TEST_F(SenderTest, SlowTargetTimesOut) {
  auto result = Loopback(500).Post({Url("/slow"), {}, "x"});
  EXPECT_EQ(result.error_class, ErrorClass::kTimeout);
  EXPECT_FALSE(result.status.has_value());
}

TEST_F(SenderTest, KeepsOnlyTheStartOfALargeAnswer) {
  auto result = Loopback().Post({Url("/big"), {}, "x"});
  EXPECT_EQ(result.status, 200);
  EXPECT_TRUE(result.delivered());
  EXPECT_EQ(result.response_body.size(), kMaxKeptBody);
  EXPECT_TRUE(result.body_truncated);
}

TEST_F(SenderTest, ARequestCanKeepMoreOfTheAnswer) {
  OutboundRequest request{Url("/big"), {}, "x"};
  request.max_body = 64 * 1024;
  auto result = Loopback().Post(request);
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.response_body, std::string(64 * 1024, 'b'));
  EXPECT_TRUE(result.body_truncated);
  request.max_body = 300000;
  result = Loopback().Post(request);
  EXPECT_EQ(result.response_body.size(), 200000u);
  EXPECT_FALSE(result.body_truncated);
  auto small = Loopback().Post({Url("/fail"), {}, "x"});
  EXPECT_EQ(small.response_body, "broken");
  EXPECT_FALSE(small.body_truncated);
}

TEST_F(SenderTest, RefusesLoopbackWithoutTheAllowListAndPlainHttpWithoutTheFlag) {
  Sender strict(*AddressPolicy::Create({}, true), {});
  auto refused = strict.Post({Url("/ok"), {}, "x"});
  EXPECT_EQ(refused.error_class, ErrorClass::kPolicy);
  EXPECT_TRUE(last_body_.empty());
  Sender https_only(*AddressPolicy::Create({"127.0.0.0/8"}, false), {});
  EXPECT_EQ(https_only.Post({Url("/ok"), {}, "x"}).error_class, ErrorClass::kPolicy);
  auto named = strict.Post({"http://localhost:" + std::to_string(port_) + "/ok", {}, "x"});
  EXPECT_EQ(named.error_class, ErrorClass::kPolicy);
}

TEST_F(SenderTest, ClosedPortIsAConnectError) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  uint16_t closed = probe.local_endpoint().port();
  probe.close();
  auto result = Loopback().Post({"http://127.0.0.1:" + std::to_string(closed) + "/", {}, "x"});
  EXPECT_EQ(result.error_class, ErrorClass::kConnect);
}

TEST(RetryAfter, ReadsSecondsAndHttpDates) {
  EXPECT_EQ(ParseRetryAfter("120", 0), 120);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470), 10);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490), 0);
  EXPECT_FALSE(ParseRetryAfter("soon", 0).has_value());
  EXPECT_FALSE(ParseRetryAfter("-5", 0).has_value());
}

}  // namespace
}  // namespace arenite::webhooks
