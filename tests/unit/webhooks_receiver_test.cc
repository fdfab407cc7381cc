#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/crypto.h"
#include "extract/package.h"
#include "webhooks/receiver.h"
#include "webhooks/signing.h"

namespace arenite::webhooks {
namespace {

namespace fs = std::filesystem;

class ReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("arenite-recv-" + crypto::HexEncode(crypto::RandomBytes(6)));
    secret_ = NewSigningSecret();
    clock_.SetMillis(1796290875000);
    Reopen();
  }
  void TearDown() override {
    receiver_.reset();
    fs::remove_all(dir_);
  }
  void Reopen() {
    receiver_.reset();
    auto r = Receiver::Open({(dir_ / "out").string(), secret_, 300, nullptr}, clock_);
    ASSERT_TRUE(r.ok()) << r.error().message;
    receiver_ = std::move(r).value();
  }

  http::Request Delivery(const std::string& id, const std::string& body,
                         const std::string& content_type = "application/json",
                         int64_t timestamp = 1796290875) {
    http::Request r;
    r.method = "POST";
    r.body = body;
    r.headers.Set("Content-Type", content_type);
    r.headers.Set("webhook-id", id);
    r.headers.Set("webhook-timestamp", std::to_string(timestamp));
    r.headers.Set("webhook-signature", Sign(*SigningKey(secret_), id, timestamp, body));
    return r;
  }

  std::vector<std::string> EventLines() {
    std::ifstream in((dir_ / "out" / "events.jsonl").string());
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  fs::path dir_;
  std::string secret_;
  AdjustableClock clock_;
  std::unique_ptr<Receiver> receiver_;
};

TEST_F(ReceiverTest, WritesEachEventOnceEvenAcrossRestarts) {
  auto first = Delivery("msg_1", R"({"type":"item.updated","data":{}})");
  EXPECT_EQ(receiver_->Handle(first).status, 200);
  auto again = Delivery("msg_1", R"({"type":"item.updated","data":{}})");
  EXPECT_EQ(receiver_->Handle(again).status, 200);
  Reopen();
  auto after_restart = Delivery("msg_1", R"({"type":"item.updated","data":{}})");
  EXPECT_EQ(receiver_->Handle(after_restart).status, 200);
  auto second = Delivery("msg_2", R"({"type":"item.created","data":{}})");
  EXPECT_EQ(receiver_->Handle(second).status, 200);
  auto lines = EventLines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("\"webhookId\":\"msg_1\""), std::string::npos);
  EXPECT_NE(lines[1].find("\"type\":\"item.created\""), std::string::npos);
}

// A package too large to be sent comes as an extract.package event to fetch. A receiver that
// cannot fetch it answers 503, so the sender keeps it and tries again, and records nothing: it
// would otherwise be taken for a plain event and the package lost.
TEST_F(ReceiverTest, APackageItCannotFetchIsRefusedWith503AndNotRecorded) {
  std::string event =
      R"({"type":"extract.package","data":{"downloadUrl":"https://a.test/p","size":10}})";
  auto delivery = Delivery("msg_big", event);
  auto refused = receiver_->Handle(delivery);
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.body.find("--client-id"), std::string::npos) << refused.body;
  EXPECT_TRUE(EventLines().empty());
  // The same delivery is not taken for a duplicate on its next try.
  auto retry = Delivery("msg_big", event);
  EXPECT_EQ(receiver_->Handle(retry).status, 503);
}

TEST_F(ReceiverTest, RefusesBadSignaturesStaleTimestampsAndMissingHeaders) {
  auto forged = Delivery("msg_3", R"({"type":"x"})");
  forged.body = R"({"type":"y"})";
  EXPECT_EQ(receiver_->Handle(forged).status, 401);
  auto stale = Delivery("msg_4", R"({"type":"x"})", "application/json", 1796290875 - 301);
  EXPECT_EQ(receiver_->Handle(stale).status, 401);
  http::Request bare;
  bare.body = "{}";
  EXPECT_EQ(receiver_->Handle(bare).status, 401);
  EXPECT_TRUE(EventLines().empty());
}

TEST_F(ReceiverTest, TruncatedLastLineIsDroppedAtStart) {
  auto first = Delivery("msg_5", R"({"type":"a"})");
  ASSERT_EQ(receiver_->Handle(first).status, 200);
  receiver_.reset();
  std::ofstream((dir_ / "out" / "events.jsonl").string(), std::ios::app) << "{\"webhookId\":\"ms";
  Reopen();
  auto next = Delivery("msg_6", R"({"type":"b"})");
  ASSERT_EQ(receiver_->Handle(next).status, 200);
  auto lines = EventLines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[1].find("msg_6"), std::string::npos);
}

TEST_F(ReceiverTest, AppliesPackagesToTheReplicaInsertUpdateDelete) {
  auto source = std::move(store::OpenSqlite({.path = (dir_ / "source.db").string()})).value();
  auto build = [&](const std::string& run, std::vector<std::vector<std::string>> rows) {
    extract::ViewSource view{"Items_Summary",
                             {"Guid", "Number", "Name"},
                             [rows](store::Tx&, const extract::EmitRow& emit) {
                               for (const auto& r : rows) emit(r[0], {r[1], r[2], r[3]});
                               return OkStatus();
                             }};
    extract::PackageOptions options;
    options.directory = (dir_ / "packages").string();
    auto package = extract::BuildPackage(*source, {view}, run, 1796290875, {}, options);
    EXPECT_TRUE(package.ok());
    std::ifstream in(package->path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  std::string full = build("RUN00000000000000001", {{"INSERT", "G1", "PN-1", "Resistor, 10k"},
                                                    {"INSERT", "G2", "PN-2", "Capacitor"}});
  auto first = Delivery("msg_p1", full, "application/zip");
  ASSERT_EQ(receiver_->Handle(first).status, 200) << receiver_->Handle(first).body;
  std::string delta = build("RUN00000000000000002", {{"UPDATE", "G1", "PN-1", "Resistor, 22k"},
                                                     {"DELETE", "G2", "PN-2", ""},
                                                     {"INSERT", "G3", "PN-3", "Diode"}});
  auto second = Delivery("msg_p2", delta, "application/zip");
  ASSERT_EQ(receiver_->Handle(second).status, 200);

  auto replica =
      std::move(store::OpenSqlite({.path = (dir_ / "out" / "replica.db").string()})).value();
  std::vector<std::string> rows;
  ASSERT_TRUE(replica
                  ->Read([&](store::Tx& tx) {
                    return tx.Query(
                        "SELECT \"Guid\", \"Number\", \"Name\" FROM \"Items_Summary\" ORDER BY 1",
                        {}, [&](const store::Row& r) {
                          rows.push_back(r.String(0) + "|" + r.String(1) + "|" + r.String(2));
                          return true;
                        });
                  })
                  .ok());
  EXPECT_EQ(rows, (std::vector<std::string>{"G1|PN-1|Resistor, 22k", "G3|PN-3|Diode"}));

  auto garbage = Delivery("msg_p3", "PK\x03\x04 not really", "application/zip");
  EXPECT_EQ(receiver_->Handle(garbage).status, 400);
}

}  // namespace
}  // namespace arenite::webhooks
