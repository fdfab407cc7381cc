// The token service and the apps' cache against a real SQLite store in a temporary directory,
// with a fixed clock: client-credentials tokens leave no row when issued, their revocation is
// durable, and a cached app never outlives its deletion or a secret past its end.
#include <gtest/gtest.h>

#include "core/clock.h"
#include "oauth/apps.h"
#include "oauth/keys.h"
#include "oauth/schema.h"
#include "oauth/tokens.h"
#include "store/store.h"
#include "temp_store.h"
#include "workspace/schema.h"
#include "workspace/users.h"

namespace arenite::oauth {
namespace {

constexpr int64_t kStart = 1796290875000;  // 2026-12-03T09:41:15Z
constexpr char kIssuer[] = "https://arenite.unit.test";

class OAuthTokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.SetMillis(kStart);
    Status opened = store_.Open({workspace::Migrations(), Migrations()});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    users_ = std::make_unique<workspace::Users>(*store_, clock_);
    auto made = users_->CreateWorkspace(
        "Acme", {"admin@acme.test", "Admin", workspace::Role::kAdmin, "correct horse battery"});
    ASSERT_TRUE(made.ok()) << made.error().message;
    workspace_id_ = made->first.guid;
    keys_ = std::make_unique<SigningKeys>(*store_, clock_);
    ASSERT_TRUE(keys_->EnsureCurrent().ok());
    StartNode();
    AppInput input;
    input.name = "Connector";
    input.grant_types = std::vector<std::string>{"client_credentials"};
    input.scopes = std::vector<std::string>{"items:read", "settings:read"};
    auto created = apps_->Create(workspace_id_, input, {"admin", "127.0.0.1"});
    ASSERT_TRUE(created.ok()) << created.error().message;
    app_ = created->app;
    secret_ = created->client_secret;
  }
  void TearDown() override {
    tokens_.reset();
    apps_.reset();
    keys_.reset();
    users_.reset();
    store_.Close();
  }

  // A fresh Apps and TokenService on the same store, as after a restart.
  void StartNode() {
    tokens_.reset();
    apps_ = std::make_unique<Apps>(*store_, *users_, clock_);
    tokens_ = std::make_unique<TokenService>(*store_, clock_, *apps_, *keys_,
                                             TokenOptions{.issuer = kIssuer});
    apps_->SetListener([this](const App& app, bool live) { tokens_->OnAppChanged(app, live); });
    ASSERT_TRUE(tokens_->Load().ok());
  }

  Result<App> Authenticate(const std::string& secret) {
    ClientCredentials c;
    c.client_id = app_.client_id;
    c.client_secret = secret;
    c.address = "127.0.0.1";
    return tokens_->AuthenticateClient(c);
  }

  std::string Token() {
    auto app = Authenticate(secret_);
    EXPECT_TRUE(app.ok()) << app.error().message;
    if (!app.ok()) return {};
    auto answer = tokens_->ClientCredentialsGrant(*app, std::nullopt, std::nullopt);
    EXPECT_TRUE(answer.ok()) << answer.error().message;
    return answer.ok() ? answer->access_token : std::string();
  }

  int64_t Count(const std::string& table) {
    std::optional<int64_t> n;
    EXPECT_TRUE(store_
                    ->Read([&](store::Tx& tx) -> Status {
                      ARENITE_ASSIGN_OR_RETURN(n, tx.QueryInt("SELECT COUNT(*) FROM " + table));
                      return OkStatus();
                    })
                    .ok());
    return n.value_or(-1);
  }

  AdjustableClock clock_;
  test::TempStore store_;
  std::unique_ptr<workspace::Users> users_;
  std::unique_ptr<SigningKeys> keys_;
  std::unique_ptr<Apps> apps_;
  std::unique_ptr<TokenService> tokens_;
  std::string workspace_id_;
  App app_;
  std::string secret_;
};

TEST_F(OAuthTokensTest, ClientCredentialsTokensAreNotStoredAndTheirRevocationIsDurable) {
  std::string doomed = Token();
  std::string kept = Token();
  EXPECT_EQ(Count("oauth_access_tokens"), 0);
  ASSERT_TRUE(tokens_->ValidateBearer(doomed).ok());
  EXPECT_EQ(tokens_->Introspect(app_, doomed)["active"], true);

  ASSERT_TRUE(tokens_->Revoke(app_, doomed).ok());
  EXPECT_EQ(Count("oauth_revocations"), 1);
  auto refused = tokens_->ValidateBearer(doomed);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().status, 401);
  EXPECT_EQ(tokens_->Introspect(app_, doomed)["active"], false);
  EXPECT_TRUE(tokens_->Revoke(app_, doomed).ok());  // twice is fine
  EXPECT_EQ(Count("oauth_revocations"), 1);

  StartNode();
  EXPECT_FALSE(tokens_->ValidateBearer(doomed).ok());
  EXPECT_EQ(tokens_->Introspect(app_, doomed)["active"], false);
  EXPECT_TRUE(tokens_->ValidateBearer(kept).ok());
  EXPECT_EQ(tokens_->Introspect(app_, kept)["active"], true);
}

TEST_F(OAuthTokensTest, ExpiredRevocationsAreRemoved) {
  std::string token = Token();
  ASSERT_TRUE(tokens_->Revoke(app_, token).ok());
  ASSERT_TRUE(tokens_->RemoveExpired().ok());
  EXPECT_EQ(Count("oauth_revocations"), 1);  // its token still lives
  clock_.Advance((3600 + 86400 + 1) * 1000);
  ASSERT_TRUE(tokens_->RemoveExpired().ok());
  EXPECT_EQ(Count("oauth_revocations"), 0);
}

TEST_F(OAuthTokensTest, ACachedAppStopsAuthenticatingWhenDeleted) {
  ASSERT_TRUE(Authenticate(secret_).ok());
  EXPECT_TRUE(apps_->Cached(app_.client_id));
  std::string token = Token();
  ASSERT_TRUE(apps_->Delete(workspace_id_, app_.guid, {"admin", "127.0.0.1"}).ok());
  EXPECT_FALSE(apps_->Cached(app_.client_id));
  auto refused = Authenticate(secret_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().oauth_error, "invalid_client");
  EXPECT_FALSE(tokens_->ValidateBearer(token).ok());
}

TEST_F(OAuthTokensTest, ACachedSecretStopsAtTheEndOfItsGracePeriod) {
  auto rotated = apps_->RotateSecret(workspace_id_, app_.guid, 30, {"admin", "127.0.0.1"});
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  ASSERT_TRUE(Authenticate(secret_).ok());
  ASSERT_TRUE(Authenticate(rotated->client_secret).ok());
  EXPECT_TRUE(apps_->Cached(app_.client_id));
  // Still within the cache's lifetime: the entry stays, but the old secret's digest has ended.
  clock_.Advance(31 * 1000);
  ASSERT_LT(31, Apps::kCacheSeconds);
  EXPECT_TRUE(apps_->Cached(app_.client_id));
  EXPECT_FALSE(Authenticate(secret_).ok());
  EXPECT_TRUE(Authenticate(rotated->client_secret).ok());
  auto app = apps_->FindByClientId(app_.client_id);
  ASSERT_TRUE(app.ok());
  EXPECT_FALSE(app->previous_secret_expires_at.has_value());
}

TEST_F(OAuthTokensTest, ARotationDropsTheCachedSecretAtOnce) {
  ASSERT_TRUE(Authenticate(secret_).ok());
  auto rotated = apps_->RotateSecret(workspace_id_, app_.guid, 0, {"admin", "127.0.0.1"});
  ASSERT_TRUE(rotated.ok());
  EXPECT_FALSE(Authenticate(secret_).ok());
  EXPECT_TRUE(Authenticate(rotated->client_secret).ok());
}

TEST_F(OAuthTokensTest, TheLastTokenTimeIsKeptInMemoryThenWritten) {
  auto none = apps_->LastTokenAt(app_.guid);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  Token();
  auto noted = apps_->LastTokenAt(app_.guid);
  ASSERT_TRUE(noted.ok());
  EXPECT_EQ(noted->value_or(0), kStart / 1000);
  ASSERT_TRUE(apps_->FlushTokenTimes().ok());
  Apps other(*store_, *users_, clock_);  // sees only what was written
  auto written = other.LastTokenAt(app_.guid);
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(written->value_or(0), kStart / 1000);
}

}  // namespace
}  // namespace arenite::oauth
