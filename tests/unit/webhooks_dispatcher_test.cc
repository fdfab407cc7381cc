// The delivery engine against a real SQLite store and a test clock: when the scheduler looks
// again at an EXTRACT webhook, and how long the events of a webhook that arenite disabled for
// failing are still recorded. Every target is a loopback address that the Sender's policy
// refuses, so each attempt fails at once with error class `policy` and nothing leaves the host.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "cli/commands.h"
#include "core/clock.h"
#include "core/guid.h"
#include "plm/events.h"
#include "plm/plm.h"
#include "store/store.h"
#include "temp_store.h"
#include "webhooks/address_policy.h"
#include "webhooks/dispatcher.h"
#include "webhooks/secret_box.h"
#include "webhooks/sender.h"
#include "webhooks/webhooks.h"
#include "workspace/users.h"

namespace arenite::webhooks {
namespace {

constexpr int64_t kStart = 1796290875000;  // 2026-12-03T09:41:15Z
constexpr int64_t kDay = 86400;
constexpr int64_t kDisableAfter = 5 * kDay;
constexpr int64_t kRetention = 30 * kDay;

// What the delivery log holds of one delivery.
struct Logged {
  std::string status;
  int64_t attempts = 0;
  std::optional<std::string> error_class, error;
};

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.SetMillis(kStart);
    Status opened = store_.Open({cli::AllMigrations()});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    users_ = std::make_unique<workspace::Users>(*store_, clock_);
    auto made = users_->CreateWorkspace(
        "Acme", {"Admin@Acme.test", "Ada Admin", workspace::Role::kAdmin, "a long password 1"});
    ASSERT_TRUE(made.ok()) << made.error().message;
    ctx_ = plm::Ctx{made->first.guid, made->second.guid, "user:" + made->second.guid, clock_.Now()};
    plm_ = std::make_unique<plm::Plm>(*store_, clock_);
    ASSERT_TRUE(plm_->EnsureSeeded(ctx_.workspace).ok());

    // Webhooks take loopback targets; the Sender refuses them at every attempt.
    auto lenient = AddressPolicy::Create({"127.0.0.0/8"}, false);
    auto strict = AddressPolicy::Create({}, false);
    ASSERT_TRUE(lenient.ok() && strict.ok());
    lenient_ = std::make_unique<AddressPolicy>(*lenient);
    sender_ = std::make_unique<Sender>(*strict, SenderOptions{});
    hooks_ = std::make_unique<Webhooks>(
        *store_, clock_, box_, *lenient_,
        WebhookOptions{.disable_after_seconds = kDisableAfter,
                       .retention_seconds = kRetention,
                       .packages_dir = "/nonexistent/arenite-unit-packages",
                       .public_url = "https://arenite.unit.test"});
    dispatcher_ = std::make_unique<Dispatcher>(
        *store_, clock_, *hooks_, *sender_,
        [](const std::string&, const std::string&, const std::string&,
           int64_t) -> Result<std::string> { return Unauthorized("no tokens in this test"); },
        DispatcherOptions{.sender_threads = 2});
    hooks_->SetListener([this] { dispatcher_->Wake(); });
    store_->SetCommitListener([this] { dispatcher_->OnCommit(); });
  }
  void TearDown() override {
    if (dispatcher_) {
      dispatcher_->Stop();
      store_->SetCommitListener(nullptr);
    }
    dispatcher_.reset();
    hooks_.reset();
    plm_.reset();
    users_.reset();
    store_.Close();
  }

  std::string CreateWebhook(const json::Json& body) {
    auto created = hooks_->Create(ctx_.workspace, body, {"user:test", "127.0.0.1"});
    EXPECT_TRUE(created.ok()) << created.error().message;
    return created.ok() ? created->webhook.guid : "";
  }
  // Records an item.created event now; answers the event.
  plm::Event CreateItem(const std::string& name) {
    ctx_.now = clock_.Now();
    auto item = plm_->CreateItem(ctx_, {{"name", name}});
    EXPECT_TRUE(item.ok()) << item.error().message;
    auto events = plm::ListEvents(*store_, ctx_.workspace, 0, 100000);
    EXPECT_TRUE(events.ok() && !events->empty());
    return events.ok() && !events->empty() ? events->back() : plm::Event{};
  }
  // Inserts a delivery of `webhook` as the engine leaves one after `attempts` failed attempts,
  // due again at `next_attempt_at`.
  std::string InsertDelivery(const std::string& webhook, const std::string& event_type,
                             int64_t attempts, int64_t next_attempt_at) {
    std::string guid = NewOrderedGuid();
    bool package = event_type == kPackageEventType;
    Status written = store_->Write([&](store::Tx& tx) -> Status {
      ARENITE_RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO webhook_deliveries (guid, workspace_guid, webhook_guid, event_type, "
          "sequence_from, sequence_to, body, package_path, content_type, status, attempts, "
          "schedule_step, next_attempt_at, created_at, created_ms) VALUES (?, ?, ?, ?, ?, ?, "
          "?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {guid, ctx_.workspace, webhook, event_type,
           package ? store::Value(int64_t{0}) : store::Value(nullptr),
           package ? store::Value(int64_t{1}) : store::Value(nullptr),
           package ? store::Value(nullptr)
                   : store::Value(store::Blob{R"({"type":")" + event_type + R"("})"}),
           package ? store::Value(std::string("/nonexistent/package.zip")) : store::Value(nullptr),
           package ? "application/zip" : "application/json", attempts > 0 ? kRetrying : kPending,
           attempts, attempts, next_attempt_at, clock_.Now(), clock_.NowMillis()}));
      return OkStatus();
    });
    EXPECT_TRUE(written.ok()) << written.error().message;
    return guid;
  }
  std::optional<Logged> Delivery(std::string_view where, const store::Params& params) {
    std::optional<Logged> found;
    Status read = store_->Read([&](store::Tx& tx) -> Status {
      return tx.Query(
          "SELECT status, attempts, last_error_class, last_error FROM webhook_deliveries WHERE " +
              std::string(where),
          params, [&](const store::Row& r) {
            found = Logged{r.String(0), r.Int(1), r.OptString(2), r.OptString(3)};
            return false;
          });
    });
    EXPECT_TRUE(read.ok()) << read.error().message;
    return found;
  }
  std::optional<int64_t> QueryInt(std::string_view sql, const store::Params& params) {
    std::optional<int64_t> value;
    Status read = store_->Read([&](store::Tx& tx) -> Status {
      ARENITE_ASSIGN_OR_RETURN(value, tx.QueryInt(sql, params));
      return OkStatus();
    });
    EXPECT_TRUE(read.ok()) << read.error().message;
    return value;
  }
  // Waits (in real time: the engine's threads run on their own) until `done` holds.
  static bool Eventually(const std::function<bool()>& done) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
  }
  int64_t AttemptsOf(const std::string& delivery) {
    auto d = Delivery("guid = ?", {delivery});
    return d ? d->attempts : -1;
  }
  // Waits until the fan-out has moved the workspace's cursor past `sequence`.
  bool FannedOut(int64_t sequence) {
    return Eventually([&] {
      return QueryInt("SELECT sequence FROM webhook_cursors WHERE workspace_guid = ?",
                      {ctx_.workspace})
                 .value_or(0) >= sequence;
    });
  }

  AdjustableClock clock_;
  test::TempStore store_;
  SecretBox box_ = SecretBox::FromKey(std::string(SecretBox::kKeyBytes, 'k'));
  std::unique_ptr<workspace::Users> users_;
  std::unique_ptr<plm::Plm> plm_;
  plm::Ctx ctx_;
  std::unique_ptr<AddressPolicy> lenient_;
  std::unique_ptr<Sender> sender_;
  std::unique_ptr<Webhooks> hooks_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, ExtractWebhookIsLookedAtAgainAtItsSoonestRetry) {
  // An EXTRACT webhook whose package is due again in 5 minutes and whose redelivered test
  // event is due again in 5 seconds.
  std::string hook = CreateWebhook({{"name", "Extract"},
                                    {"targetUrl", "https://127.0.0.1:9/extract"},
                                    {"payload", "EXTRACT"},
                                    {"extract", {{"views", {"Items_Summary"}}}},
                                    {"eventTypes", {"item.created"}}});
  int64_t now = clock_.Now();
  std::string package = InsertDelivery(hook, kPackageEventType, 2, now + 300);
  std::string test_event = InsertDelivery(hook, "webhook.test", 1, now + 5);
  // Another webhook's delivery due now: once its attempt is recorded, the first scheduling
  // pass, which read both webhooks together, has decided when to look at the EXTRACT one again.
  std::string probe_hook = CreateWebhook({{"name", "Probe"},
                                          {"targetUrl", "https://127.0.0.1:9/probe"},
                                          {"eventTypes", {"item.created"}}});
  std::string probe = InsertDelivery(probe_hook, "item.created", 0, now);
  dispatcher_->Start();
  ASSERT_TRUE(Eventually([&] { return AttemptsOf(probe) == 1; }));
  EXPECT_EQ(AttemptsOf(test_event), 1);

  // Past the test event's retry, long before the package's: the test event goes now.
  clock_.Advance(6000);
  ASSERT_TRUE(Eventually([&] { return AttemptsOf(test_event) == 2; }))
      << "the test event due at +5 s was not attempted at +6 s";
  auto sent = Delivery("guid = ?", {test_event});
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->error_class.value_or(""), "policy");
  auto held = Delivery("guid = ?", {package});
  ASSERT_TRUE(held);
  EXPECT_EQ(held->status, kRetrying);
  EXPECT_EQ(held->attempts, 2) << "the package is not due for another 294 s";
}

TEST_F(DispatcherTest, WebhookDisabledForFailingRecordsEventsForTheRetentionPeriodAfterIt) {
  std::string hook = CreateWebhook({{"name", "Failing"},
                                    {"targetUrl", "https://127.0.0.1:9/failing"},
                                    {"eventTypes", {"item.created"}}});
  dispatcher_->Start();
  // A first failure starts the failing streak; its retry, more than five days on, disables it.
  plm::Event first = CreateItem("First");
  ASSERT_TRUE(Eventually([&] {
    auto d = Delivery("event_guid = ?", {first.guid});
    return d && d->attempts == 1;
  }));
  clock_.Advance((kDisableAfter + 10) * 1000);
  ASSERT_TRUE(Eventually([&] {
    auto w = hooks_->Get(ctx_.workspace, hook);
    return w.ok() && !w->enabled && w->disabled_reason == "FAILING";
  }));
  int64_t disabled_at = clock_.Now();

  // A day before the retention period after the disabling ends: recorded, never sent. (The
  // failing streak began more than the retention period ago by then.)
  clock_.SetMillis((disabled_at + kRetention - kDay) * 1000);
  plm::Event within = CreateItem("Within");
  ASSERT_TRUE(FannedOut(within.sequence));
  auto held = Delivery("event_guid = ?", {within.guid});
  ASSERT_TRUE(held) << "an event " << (kRetention - kDay) / kDay
                    << " days after the disabling got no delivery";
  EXPECT_EQ(held->status, kFailed);
  EXPECT_EQ(held->attempts, 0);
  EXPECT_EQ(held->error_class.value_or(""), "policy");
  EXPECT_NE(held->error.value_or("").find("disabled (FAILING)"), std::string::npos);

  // A day after it ends: no longer recorded.
  clock_.SetMillis((disabled_at + kRetention + kDay) * 1000);
  plm::Event after = CreateItem("After");
  ASSERT_TRUE(FannedOut(after.sequence));
  EXPECT_FALSE(Delivery("event_guid = ?", {after.guid}))
      << "an event " << (kRetention + kDay) / kDay << " days after the disabling was recorded";
  EXPECT_EQ(QueryInt("SELECT COUNT(*) FROM webhook_attempts a JOIN webhook_deliveries d ON "
                     "d.guid = a.delivery_guid WHERE d.webhook_guid = ?",
                     {hook}),
            2)
      << "only the two attempts before the disabling were made";
}

}  // namespace
}  // namespace arenite::webhooks
