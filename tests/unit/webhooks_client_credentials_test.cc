#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>

#include <deque>
#include <mutex>
#include <thread>

#include "http/server.h"
#include "webhooks/client_credentials.h"

namespace arenite::webhooks {
namespace {

constexpr char kSecret[] = "p@ss:w+rd/\xc3\xa9-9f2c";

struct Answer {
  int status = 200;
  std::string body;
  int delay_ms = 0;
};

struct Received {
  std::string content_type, accept, authorization, body;
};

// A foreign authorization server on loopback: a real HTTP server whose token endpoint answers
// what the test queued (by default a fresh Bearer token valid for an hour) and records every
// request it got.
class ClientCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.SetMillis(1796290875000);
    router_.Add("POST", "/token", [this](http::Request& r) {
      Answer a;
      {
        std::lock_guard lock(mu_);
        received_.push_back({std::string(r.Header("Content-Type").value_or("")),
                             std::string(r.Header("Accept").value_or("")),
                             std::string(r.Header("Authorization").value_or("")), r.body});
        if (!answers_.empty()) {
          a = answers_.front();
          answers_.pop_front();
        } else {
          a.body = R"({"access_token":"tok-)" + std::to_string(received_.size()) +
                   R"(","token_type":"bearer","expires_in":3600})";
        }
      }
      if (a.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(a.delay_ms));
      http::Reply reply = http::TextReply(a.status, "application/json", a.body);
      reply.headers.Set("Cache-Control", "no-store");
      return reply;
    });
    http::ServerOptions options;
    options.port = 0;
    options.tls = false;
    options.io_threads = 1;
    options.worker_threads = 4;
    server_ = std::make_unique<http::Server>(options, router_);
    port_ = server_->Start().value();
    thread_ = std::thread([this] { server_->Run(); });
    sender_ = std::make_unique<Sender>(*AddressPolicy::Create({"127.0.0.0/8"}, true),
                                       SenderOptions{1000, 3000, ""});
    source_ = std::make_unique<TokenSource>(*sender_, clock_);
    creds_ = {"http://127.0.0.1:" + std::to_string(port_) + "/token", "erp-client", kSecret, "",
              ""};
  }

  void TearDown() override {
    server_->Stop();
    thread_.join();
  }

  void Queue(int status, std::string body, int delay_ms = 0) {
    std::lock_guard lock(mu_);
    answers_.push_back({status, std::move(body), delay_ms});
  }
  size_t Requests() {
    std::lock_guard lock(mu_);
    return received_.size();
  }
  std::string Token(const std::string& key = "wh1:1") {
    auto got = source_->Get(key, creds_);
    if (auto* failure = std::get_if<TokenFailure>(&got)) return "FAILED: " + failure->error;
    return std::get<std::string>(got);
  }
  TokenFailure Failure() {
    auto got = source_->Get("wh1:1", creds_);
    EXPECT_TRUE(std::holds_alternative<TokenFailure>(got));
    if (!std::holds_alternative<TokenFailure>(got)) return {};
    TokenFailure f = std::get<TokenFailure>(got);
    EXPECT_EQ(f.error.find(kSecret), std::string::npos) << f.error;
    EXPECT_EQ(f.error.find("p%40ss"), std::string::npos) << f.error;
    return f;
  }
  void AdvanceSeconds(int64_t s) { clock_.Advance(s * 1000); }

  AdjustableClock clock_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::deque<Answer> answers_;
  std::vector<Received> received_;
  std::unique_ptr<Sender> sender_;
  std::unique_ptr<TokenSource> source_;
  ClientCredentials creds_;
};

TEST_F(ClientCredentialsTest, SendsAnRfc6749ClientCredentialsRequestWithBasicAuthentication) {
  creds_.client_id = "my client";
  creds_.scope = "deliveries:write audit";
  creds_.audience = "https://erp.example.com/hooks";
  EXPECT_EQ(Token(), "tok-1");
  ASSERT_EQ(Requests(), 1u);
  const Received& r = received_[0];
  EXPECT_EQ(r.content_type, "application/x-www-form-urlencoded");
  EXPECT_EQ(r.accept, "application/json");
  // base64("my%20client:p%40ss%3Aw%2Brd%2F%C3%A9-9f2c"): each part form-urlencoded first.
  EXPECT_EQ(r.authorization, "Basic bXklMjBjbGllbnQ6cCU0MHNzJTNBdyUyQnJkJTJGJUMzJUE5LTlmMmM=");
  EXPECT_EQ(r.body,
            "grant_type=client_credentials&scope=deliveries%3Awrite%20audit"
            "&audience=https%3A%2F%2Ferp.example.com%2Fhooks");
  EXPECT_EQ(r.body.find(kSecret), std::string::npos);
}

TEST_F(ClientCredentialsTest, LeavesOutScopeAndAudienceWhenUnset) {
  EXPECT_EQ(Token(), "tok-1");
  EXPECT_EQ(received_[0].body, "grant_type=client_credentials");
}

TEST_F(ClientCredentialsTest, CachesUntilThirtySecondsBeforeExpiry) {
  EXPECT_EQ(Token(), "tok-1");
  EXPECT_EQ(Token(), "tok-1");
  AdvanceSeconds(3600 - 31);
  EXPECT_EQ(Token(), "tok-1");
  EXPECT_EQ(Requests(), 1u);
  AdvanceSeconds(2);  // 29 s left
  EXPECT_EQ(Token(), "tok-2");
  EXPECT_EQ(Requests(), 2u);
}

TEST_F(ClientCredentialsTest, AShortLivedTokenIsRenewedWithATenthOfItsLifeLeft) {
  Queue(200, R"({"access_token":"short","token_type":"Bearer","expires_in":100})");
  EXPECT_EQ(Token(), "short");
  AdvanceSeconds(89);
  EXPECT_EQ(Token(), "short");
  AdvanceSeconds(2);
  EXPECT_EQ(Token(), "tok-2");
}

TEST_F(ClientCredentialsTest, DefaultsToFiveMinutesAndCapsAtADay) {
  Queue(200, R"({"access_token":"nolife","token_type":"BEARER"})");
  EXPECT_EQ(Token(), "nolife");
  AdvanceSeconds(269);
  EXPECT_EQ(Token(), "nolife");
  AdvanceSeconds(2);
  Queue(200, R"({"access_token":"forever","token_type":"Bearer","expires_in":999999999})");
  EXPECT_EQ(Token(), "forever");
  AdvanceSeconds(86400 - 31);
  EXPECT_EQ(Token(), "forever");
  AdvanceSeconds(2);
  Queue(200, R"({"access_token":"stringly","token_type":"Bearer","expires_in":"120"})");
  EXPECT_EQ(Token(), "stringly");
  AdvanceSeconds(107);
  EXPECT_EQ(Token(), "stringly");
  AdvanceSeconds(2);
  Queue(200, R"({"access_token":"zero","token_type":"Bearer","expires_in":0})");
  EXPECT_EQ(Token(), "zero");  // used once, never cached
  EXPECT_EQ(Token(), "tok-5");
}

TEST_F(ClientCredentialsTest, DropForcesANewTokenAndKeysAreSeparate) {
  EXPECT_EQ(Token("wh1:1"), "tok-1");
  EXPECT_EQ(Token("wh2:1"), "tok-2");
  EXPECT_EQ(Token("wh1:1"), "tok-1");
  source_->Drop("wh1:1");
  EXPECT_EQ(Token("wh1:1"), "tok-3");
  EXPECT_EQ(Token("wh2:1"), "tok-2");
  // Dropping a token that was already replaced keeps the replacement.
  source_->Drop("wh1:1", "tok-1");
  EXPECT_EQ(Token("wh1:1"), "tok-3");
  source_->Drop("wh1:1", "tok-3");
  EXPECT_EQ(Token("wh1:1"), "tok-4");
  source_->Drop("never-seen");
  EXPECT_EQ(Requests(), 4u);
}

TEST_F(ClientCredentialsTest, OAuthErrorAnswersAreAuthRejected) {
  Queue(401, R"({"error":"invalid_client"})");
  TokenFailure f = Failure();
  EXPECT_EQ(f.error_class, ErrorClass::kAuthRejected);
  EXPECT_EQ(f.error, "token endpoint: invalid_client");
  Queue(400, R"({"error":"invalid_scope","error_description":"scope audit is unknown"})");
  f = Failure();
  EXPECT_EQ(f.error_class, ErrorClass::kAuthRejected);
  EXPECT_EQ(f.error, "token endpoint: invalid_scope (scope audit is unknown)");
  Queue(403, "<html>go away</html>");
  f = Failure();
  EXPECT_EQ(f.error_class, ErrorClass::kAuthRejected);
  EXPECT_EQ(f.error, "token endpoint answered HTTP 403");
  Queue(400, "not json");
  f = Failure();
  EXPECT_EQ(f.error_class, ErrorClass::kHttpStatus);
  Queue(500, R"({"error":"server_error"})");
  f = Failure();
  EXPECT_EQ(f.error_class, ErrorClass::kHttpStatus);
  EXPECT_EQ(f.error, "token endpoint answered HTTP 500");
  // A failure is not cached: the next call asks again.
  EXPECT_EQ(Token(), "tok-6");
}

TEST_F(ClientCredentialsTest, AnEndpointThatEchoesTheSecretNeverGetsItShown) {
  std::string echo = std::string(150, 'x') + " the secret " + kSecret + " is wrong";
  Queue(401, R"({"error":"invalid_client","error_description":")" + echo + R"("})");
  TokenFailure f = Failure();
  EXPECT_EQ(f.error, "token endpoint: invalid_client");
  Queue(401, std::string(R"({"error":"p@ss:w+rd/)") + "\xc3\xa9" + R"(-9f2c"})");
  f = Failure();
  EXPECT_EQ(f.error_class, ErrorClass::kAuthRejected);
  Queue(400, R"({"error":"invalid_request","error_description":"p%40ss%3Aw%2Brd"})");
  f = Failure();
  EXPECT_EQ(f.error.find("p%40ss%3Aw%2Brd"), std::string::npos);
  Queue(200, R"({"access_token":"t","token_type":"p@ss:w+rd/)"
             "\xc3\xa9"
             R"(-9f2c"})");
  f = Failure();
  EXPECT_EQ(f.error_class, ErrorClass::kHttpStatus);
}

TEST_F(ClientCredentialsTest, UnusableSuccessAnswersAreRefused) {
  Queue(200, R"({"access_token":"t","token_type":"mac"})");
  TokenFailure f = Failure();
  EXPECT_EQ(f.error_class, ErrorClass::kHttpStatus);
  EXPECT_EQ(f.error, "token endpoint: token_type is mac, not Bearer");
  Queue(200, R"({"access_token":"t"})");
  EXPECT_EQ(Failure().error, "token endpoint: token_type is missing or unreadable, not Bearer");
  Queue(200, R"({"token_type":"Bearer"})");
  EXPECT_EQ(Failure().error, "token endpoint: the answer has no usable access_token");
  Queue(200, R"({"access_token":"a\r\nX-Injected: 1","token_type":"Bearer"})");
  EXPECT_EQ(Failure().error, "token endpoint: the answer has no usable access_token");
  Queue(200, R"({"access_token":42,"token_type":"Bearer"})");
  EXPECT_EQ(Failure().error, "token endpoint: the answer has no usable access_token");
  Queue(200, "[1,2]");
  EXPECT_EQ(Failure().error, "token endpoint: the answer is not a JSON object");
  Queue(200, R"({"access_token":")" + std::string(70000, 'a') + R"(","token_type":"Bearer"})");
  EXPECT_EQ(Failure().error, "token endpoint: the answer is over 64 KiB");
}

TEST_F(ClientCredentialsTest, AnswersUpTo64KiBAreRead) {
  std::string token(60000, 'z');
  Queue(200, R"({"access_token":")" + token + R"(","token_type":"Bearer"})");
  EXPECT_EQ(Token(), "FAILED: token endpoint: the answer has no usable access_token");
  token.resize(16000);
  Queue(200, R"({"padding":")" + std::string(40000, ' ') + R"(","access_token":")" + token +
                 R"(","token_type":"Bearer"})");
  EXPECT_EQ(Token(), token);
}

TEST_F(ClientCredentialsTest, TransportFailuresKeepTheirClass) {
  Queue(200, R"({"access_token":"late","token_type":"Bearer"})", 1200);
  Sender impatient(*AddressPolicy::Create({"127.0.0.0/8"}, true), SenderOptions{500, 400, ""});
  auto late = TokenSource(impatient, clock_).Get("wh1:1", creds_);
  ASSERT_TRUE(std::holds_alternative<TokenFailure>(late));
  EXPECT_EQ(std::get<TokenFailure>(late).error_class, ErrorClass::kTimeout);

  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  uint16_t closed = probe.local_endpoint().port();
  probe.close();
  creds_.token_url = "http://127.0.0.1:" + std::to_string(closed) + "/token";
  TokenFailure f = Failure();
  EXPECT_EQ(f.error_class, ErrorClass::kConnect);
  EXPECT_EQ(f.error.rfind("token endpoint: ", 0), 0u) << f.error;
}

TEST_F(ClientCredentialsTest, TheAddressPolicyGovernsTheTokenUrl) {
  Sender strict(*AddressPolicy::Create({}, false), SenderOptions{1000, 3000, ""});
  TokenSource source(strict, clock_);
  auto got = source.Get("wh1:1", creds_);
  ASSERT_TRUE(std::holds_alternative<TokenFailure>(got));
  EXPECT_EQ(std::get<TokenFailure>(got).error_class, ErrorClass::kPolicy);
  creds_.token_url = "https://169.254.169.254/latest/token";
  got = source.Get("wh1:1", creds_);
  ASSERT_TRUE(std::holds_alternative<TokenFailure>(got));
  EXPECT_EQ(std::get<TokenFailure>(got).error_class, ErrorClass::kPolicy);
  EXPECT_EQ(Requests(), 0u);
}

TEST_F(ClientCredentialsTest, ConcurrentCallersShareOneFetch) {
  Queue(200, R"({"access_token":"shared","token_type":"Bearer","expires_in":600})", 300);
  std::vector<std::string> got(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] { got[i] = Token(); });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, "shared");
  EXPECT_EQ(Requests(), 1u);

  // Callers that waited on a failed fetch share its failure too.
  source_->Drop("wh1:1");
  Queue(401, R"({"error":"invalid_client"})", 300);
  threads.clear();
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] { got[i] = Token(); });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, "FAILED: token endpoint: invalid_client");
  EXPECT_EQ(Requests(), 2u);
}

}  // namespace
}  // namespace arenite::webhooks
