// The reuse rules of the authorization_code and refresh_token grants against a real SQLite store
// in a temporary directory: a second use of a code or of a rotated refresh token, or the
// revocation of a refresh token, landing at any point of a redemption leaves no token of the
// grant alive, and of concurrent redemptions exactly one wins.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
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
constexpr int kThreads = 8;

class OAuthGrantReuseTest : public ::testing::Test {
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
    user_id_ = made->second.guid;
    keys_ = std::make_unique<SigningKeys>(*store_, clock_);
    ASSERT_TRUE(keys_->EnsureCurrent().ok());
    StartNode();
    AppInput input;
    input.name = "Web client";
    input.redirect_uris = std::vector<std::string>{"https://client.test/callback"};
    input.grant_types = std::vector<std::string>{"authorization_code", "refresh_token"};
    input.scopes = std::vector<std::string>{"items:read", "items:write"};
    auto created = apps_->Create(workspace_id_, input, {"admin", "127.0.0.1"});
    ASSERT_TRUE(created.ok()) << created.error().message;
    app_ = created->app;
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

  std::string Code() {
    auto code =
        tokens_->IssueCode(app_, user_id_, "", crypto::Base64UrlEncode(crypto::Sha256(kVerifier)),
                           ScopeSet{"items:read"});
    EXPECT_TRUE(code.ok()) << code.error().message;
    return code.ok() ? *code : std::string();
  }
  Result<TokenResponse> Redeem(const std::string& code) {
    return tokens_->AuthorizationCodeGrant(app_, code, std::nullopt, std::string(kVerifier),
                                           std::nullopt);
  }
  // Makes `grant()` once, and inside it, right after it consumed what it redeems, makes
  // `grant()` again, which must fail: the first one's result and the second one's error.
  template <typename Grant>
  std::pair<Result<TokenResponse>, std::optional<Error>> RacedByReplay(Grant grant) {
    std::optional<Error> second;
    tokens_->SetAfterConsumeHookForTest([&] {
      if (second) return;
      second = Error{};
      auto again = grant();
      EXPECT_FALSE(again.ok());
      if (!again.ok()) second = again.error();
    });
    auto first = grant();
    tokens_->SetAfterConsumeHookForTest(nullptr);
    return {std::move(first), second};
  }
  Result<TokenResponse> Refresh(const std::string& refresh_token) {
    return tokens_->RefreshTokenGrant(app_, refresh_token, std::nullopt);
  }

  void ExpectLive(const TokenResponse& t) {
    EXPECT_TRUE(tokens_->ValidateBearer(t.access_token).ok());
    EXPECT_EQ(tokens_->Introspect(app_, t.access_token)["active"], true);
    ASSERT_TRUE(t.refresh_token.has_value());
    EXPECT_EQ(tokens_->Introspect(app_, *t.refresh_token)["active"], true);
  }
  // Neither the access token nor the refresh token of the answer works any more.
  void ExpectDead(const TokenResponse& t) {
    auto refused = tokens_->ValidateBearer(t.access_token);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().status, 401);
    EXPECT_EQ(tokens_->Introspect(app_, t.access_token)["active"], false);
    ASSERT_TRUE(t.refresh_token.has_value());
    EXPECT_EQ(tokens_->Introspect(app_, *t.refresh_token)["active"], false);
    auto refreshed = Refresh(*t.refresh_token);
    ASSERT_FALSE(refreshed.ok());
    EXPECT_EQ(refreshed.error().oauth_error, "invalid_grant");
  }

  int64_t Count(const std::string& sql) {
    std::optional<int64_t> n;
    EXPECT_TRUE(store_
                    ->Read([&](store::Tx& tx) -> Status {
                      ARENITE_ASSIGN_OR_RETURN(n, tx.QueryInt(sql));
                      return OkStatus();
                    })
                    .ok());
    return n.value_or(-1);
  }
  int64_t LiveRows() {
    return Count("SELECT COUNT(*) FROM oauth_access_tokens WHERE revoked_at IS NULL") +
           Count(
               "SELECT COUNT(*) FROM oauth_refresh_tokens WHERE revoked_at IS NULL AND "
               "consumed_at IS NULL");
  }

  static constexpr char kVerifier[] = "a-pkce-code-verifier-of-the-unit-test-0123456789abcdef";

  AdjustableClock clock_;
  test::TempStore store_;
  std::unique_ptr<workspace::Users> users_;
  std::unique_ptr<SigningKeys> keys_;
  std::unique_ptr<Apps> apps_;
  std::unique_ptr<TokenService> tokens_;
  std::string workspace_id_;
  std::string user_id_;
  App app_;
};

TEST_F(OAuthGrantReuseTest, ACodeReusedRightAfterItsRedemptionRevokesTheTokensIssuedFromIt) {
  auto fine = Redeem(Code());
  ASSERT_TRUE(fine.ok()) << fine.error().message;
  ExpectLive(*fine);

  std::string code = Code();
  auto [first, second] = RacedByReplay([&] { return Redeem(code); });
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->oauth_error, "invalid_grant");
  ExpectDead(*first);
  ExpectLive(*fine);  // another grant

  StartNode();
  ExpectDead(*first);
}

TEST_F(OAuthGrantReuseTest, ARefreshTokenReusedRightAfterItsRotationRevokesTheWholeFamily) {
  auto granted = Redeem(Code());
  ASSERT_TRUE(granted.ok()) << granted.error().message;
  std::string used = *granted->refresh_token;
  auto [rotated, second] = RacedByReplay([&] { return Refresh(used); });
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->oauth_error, "invalid_grant");
  ExpectDead(*rotated);
  ExpectDead(*granted);
  EXPECT_EQ(LiveRows(), 0);
}

TEST_F(OAuthGrantReuseTest, RevokingARefreshTokenRightAfterItsRotationRevokesTheNewTokens) {
  auto granted = Redeem(Code());
  ASSERT_TRUE(granted.ok()) << granted.error().message;
  std::string used = *granted->refresh_token;
  bool revoked = false;
  tokens_->SetAfterConsumeHookForTest([&] {
    if (revoked) return;
    revoked = true;
    EXPECT_TRUE(tokens_->Revoke(app_, used).ok());
  });
  auto rotated = Refresh(used);
  tokens_->SetAfterConsumeHookForTest(nullptr);
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  ASSERT_TRUE(revoked);
  ExpectDead(*rotated);
  ExpectDead(*granted);
}

TEST_F(OAuthGrantReuseTest, OfConcurrentRedemptionsOfOneCodeExactlyOneWinsAndNothingStaysActive) {
  for (int round = 0; round < 5; ++round) {
    std::string code = Code();
    std::latch start(kThreads);
    std::vector<std::optional<Result<TokenResponse>>> answers(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        answers[i] = Redeem(code);
      });
    }
    for (auto& t : threads) t.join();
    int won = 0;
    for (const auto& a : answers) {
      ASSERT_TRUE(a.has_value());
      if (a->ok()) {
        ++won;
        ExpectDead(**a);
      } else {
        EXPECT_EQ(a->error().oauth_error, "invalid_grant");
        EXPECT_EQ(a->error().status, 400);
      }
    }
    EXPECT_EQ(won, 1);
    EXPECT_EQ(LiveRows(), 0);
  }
}

TEST_F(OAuthGrantReuseTest, OfConcurrentRefreshesOfOneTokenExactlyOneWinsAndNothingStaysActive) {
  for (int round = 0; round < 5; ++round) {
    auto granted = Redeem(Code());
    ASSERT_TRUE(granted.ok()) << granted.error().message;
    std::latch start(kThreads);
    std::vector<std::optional<Result<TokenResponse>>> answers(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        answers[i] = Refresh(*granted->refresh_token);
      });
    }
    for (auto& t : threads) t.join();
    int won = 0;
    for (const auto& a : answers) {
      ASSERT_TRUE(a.has_value());
      if (a->ok()) {
        ++won;
        ExpectDead(**a);
      } else {
        EXPECT_EQ(a->error().oauth_error, "invalid_grant");
      }
    }
    EXPECT_EQ(won, 1);
    ExpectDead(*granted);
  }
  EXPECT_EQ(LiveRows(), 0);
}

TEST_F(OAuthGrantReuseTest, ASingleRefreshKeepsTheFamilyAlive) {
  auto granted = Redeem(Code());
  ASSERT_TRUE(granted.ok()) << granted.error().message;
  auto rotated = Refresh(*granted->refresh_token);
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  ExpectLive(*rotated);
  EXPECT_TRUE(tokens_->ValidateBearer(granted->access_token).ok());
  EXPECT_EQ(tokens_->Introspect(app_, *granted->refresh_token)["active"], false);  // consumed
}

TEST_F(OAuthGrantReuseTest, ALateChangeNoticeNeverBringsADeletedAppBack) {
  auto granted = Redeem(Code());
  ASSERT_TRUE(granted.ok()) << granted.error().message;
  App before_deletion = app_;
  ASSERT_TRUE(apps_->Delete(workspace_id_, app_.guid, {"admin", "127.0.0.1"}).ok());
  EXPECT_FALSE(tokens_->ValidateBearer(granted->access_token).ok());
  // The notice of an update that committed before the deletion, delivered after it.
  tokens_->OnAppChanged(before_deletion, true);
  EXPECT_FALSE(tokens_->ValidateBearer(granted->access_token).ok());
  EXPECT_EQ(tokens_->Introspect(app_, granted->access_token)["active"], false);
  auto refreshed = Refresh(*granted->refresh_token);
  ASSERT_FALSE(refreshed.ok());
  EXPECT_EQ(refreshed.error().oauth_error, "invalid_grant");
}

TEST_F(OAuthGrantReuseTest, ACodeOfADeletedAppIsRefused) {
  std::string code = Code();
  ASSERT_TRUE(apps_->Delete(workspace_id_, app_.guid, {"admin", "127.0.0.1"}).ok());
  auto refused = Redeem(code);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().oauth_error, "invalid_grant");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM oauth_access_tokens"), 0);
}

}  // namespace
}  // namespace arenite::oauth
