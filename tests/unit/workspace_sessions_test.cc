// Users, sessions and passwords against a real SQLite store in a temporary directory, with an
// adjustable clock for the idle expiry.
#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/guid.h"
#include "store/store.h"
#include "temp_store.h"
#include "workspace/passwords.h"
#include "workspace/schema.h"
#include "workspace/sessions.h"
#include "workspace/throttle.h"
#include "workspace/users.h"

namespace arenite::workspace {
namespace {

constexpr int64_t kStart = 1796290875000;  // 2026-12-03T09:41:15Z
constexpr char kPassword[] = "correct horse battery staple";

class WorkspaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.SetMillis(kStart);
    Status opened = store_.Open({Migrations()});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    users_ = std::make_unique<Users>(*store_, clock_);
    sessions_ = std::make_unique<Sessions>(*store_, *users_, clock_, throttle_);
    auto made =
        users_->CreateWorkspace("Acme", {"Admin@Acme.test", "Admin", Role::kAdmin, kPassword});
    ASSERT_TRUE(made.ok()) << made.error().message;
    workspace_ = made->first;
    admin_ = made->second;
  }
  void TearDown() override {
    sessions_.reset();
    users_.reset();
    store_.Close();
  }

  Result<LoginResult> Login(const std::string& email, const std::string& password,
                            std::optional<std::string> workspace = std::nullopt) {
    return sessions_->Login({email, password, std::move(workspace), "127.0.0.1"});
  }
  std::string LoginToken(const std::string& email = "admin@acme.test",
                         const std::string& password = kPassword) {
    auto r = Login(email, password);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? r->token : std::string();
  }
  User MakeUser(const std::string& email, Role role) {
    auto u = users_->Create(workspace_.guid, {email, "", role, kPassword});
    EXPECT_TRUE(u.ok()) << u.error().message;
    return u.ok() ? *u : User{};
  }

  AdjustableClock clock_;
  LoginThrottle throttle_{clock_};
  test::TempStore store_;
  std::unique_ptr<Users> users_;
  std::unique_ptr<Sessions> sessions_;
  Workspace workspace_;
  User admin_;
};

TEST_F(WorkspaceTest, CreateWorkspaceMakesANormalisedAdministrator) {
  EXPECT_TRUE(IsGuid(workspace_.guid));
  EXPECT_TRUE(IsGuid(admin_.guid));
  EXPECT_EQ(admin_.email, "admin@acme.test");
  EXPECT_EQ(admin_.role, Role::kAdmin);
  EXPECT_EQ(admin_.workspace_id, workspace_.guid);
  auto ws = users_->GetWorkspace(workspace_.guid);
  ASSERT_TRUE(ws.ok());
  EXPECT_EQ(ws->name, "Acme");
  EXPECT_EQ(ws->created_at, kStart / 1000);
  EXPECT_FALSE(users_->CreateWorkspace("", {"x@y.test", "", Role::kAdmin, kPassword}).ok());
  EXPECT_FALSE(users_->CreateWorkspace("W", {"x@y.test", "", Role::kAdmin, "short"}).ok());
}

TEST_F(WorkspaceTest, LoginValidateAndLogout) {
  auto login = Login(" ADMIN@acme.test ", kPassword);
  ASSERT_TRUE(login.ok()) << login.error().message;
  EXPECT_EQ(login->workspace.guid, workspace_.guid);
  EXPECT_EQ(login->user.guid, admin_.guid);
  EXPECT_EQ(login->token.size(), 43u);

  auto principal = sessions_->Validate(login->token, AuthKind::kSession);
  ASSERT_TRUE(principal.ok()) << principal.error().message;
  EXPECT_EQ(principal->workspace_id, workspace_.guid);
  EXPECT_EQ(principal->user_id, admin_.guid);
  EXPECT_EQ(principal->role, Role::kAdmin);
  EXPECT_TRUE(principal->HasScope("settings:write"));

  ASSERT_TRUE(sessions_->Logout(login->token).ok());
  auto after = sessions_->Validate(login->token, AuthKind::kSession);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().status, 401);
}

TEST_F(WorkspaceTest, WrongPasswordUnknownEmailAndBadWorkspaceFailAlike) {
  auto wrong = Login("admin@acme.test", "not the password");
  auto unknown = Login("nobody@acme.test", kPassword);
  auto bad_ws = Login("admin@acme.test", kPassword, "not-a-guid");
  auto other_ws = Login("admin@acme.test", kPassword, NewGuid());
  for (const auto* r : {&wrong, &unknown, &bad_ws, &other_ws}) {
    ASSERT_FALSE(r->ok());
    EXPECT_EQ(r->error().status, 400);
    EXPECT_EQ(r->error().code, kErrLoginFailed);
    EXPECT_EQ(r->error().message, wrong.error().message);
  }
}

TEST_F(WorkspaceTest, ValidateRejectsMissingForgedAndHugeTokens) {
  for (std::string token : {std::string(), std::string(43, 'A'), std::string(10000, 'x')}) {
    auto r = sessions_->Validate(token, AuthKind::kSession);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().status, 401);
  }
}

TEST_F(WorkspaceTest, ASessionExpiresNinetyMinutesAfterItsLastUse) {
  std::string token = LoginToken();
  clock_.Advance((Sessions::kIdleSeconds - 1) * 1000);
  ASSERT_TRUE(sessions_->Validate(token, AuthKind::kSession).ok());
  // Each use slides the window.
  clock_.Advance((Sessions::kIdleSeconds - 1) * 1000);
  ASSERT_TRUE(sessions_->Validate(token, AuthKind::kSession).ok());
  clock_.Advance(Sessions::kIdleSeconds * 1000);
  auto expired = sessions_->Validate(token, AuthKind::kSession);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().status, 401);
  // Expired stays expired, even if used again at once.
  EXPECT_FALSE(sessions_->Validate(token, AuthKind::kSession).ok());
}

TEST_F(WorkspaceTest, AnUnusedSessionExpiresNinetyMinutesAfterLogin) {
  std::string token = LoginToken();
  clock_.Advance(Sessions::kIdleSeconds * 1000);
  EXPECT_FALSE(sessions_->Validate(token, AuthKind::kSession).ok());
}

TEST_F(WorkspaceTest, TheSlidingWindowSurvivesAFreshCache) {
  // A second Sessions over the same store (another node, or a restart) sees the last use that
  // the first wrote back.
  std::string token = LoginToken();
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(60 * 60 * 1000);
    ASSERT_TRUE(sessions_->Validate(token, AuthKind::kSession).ok()) << "hour " << i;
  }
  // The write-back does not wait for its commit; a write queued after it lands after it.
  ASSERT_TRUE(store_->Write([](store::Tx&) { return OkStatus(); }).ok());
  Sessions other(*store_, *users_, clock_, throttle_);
  clock_.Advance(60 * 60 * 1000);
  EXPECT_TRUE(other.Validate(token, AuthKind::kSession).ok());
}

TEST_F(WorkspaceTest, ARoleChangeEndsTheUsersSessions) {
  User viewer = MakeUser("viewer@acme.test", Role::kViewer);
  std::string token = LoginToken("viewer@acme.test");
  auto before = sessions_->Validate(token, AuthKind::kSession);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->role, Role::kViewer);
  ASSERT_TRUE(users_->Update(workspace_.guid, viewer.guid, {.role = Role::kEditor}).ok());
  sessions_->ForgetUser(viewer.guid);
  EXPECT_FALSE(sessions_->Validate(token, AuthKind::kSession).ok());
  auto again = sessions_->Validate(LoginToken("viewer@acme.test"), AuthKind::kSession);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->role, Role::kEditor);
}

TEST_F(WorkspaceTest, AChangeThatKeepsTheRoleKeepsTheSessions) {
  User viewer = MakeUser("viewer@acme.test", Role::kViewer);
  std::string token = LoginToken("viewer@acme.test");
  ASSERT_TRUE(users_->Update(workspace_.guid, viewer.guid, {.full_name = "Vera"}).ok());
  sessions_->ForgetUser(viewer.guid);
  EXPECT_TRUE(sessions_->Validate(token, AuthKind::kSession).ok());
}

TEST_F(WorkspaceTest, ADeactivatedUserLosesItsSessionsAndCannotSignIn) {
  User editor = MakeUser("editor@acme.test", Role::kEditor);
  std::string token = LoginToken("editor@acme.test");
  ASSERT_TRUE(sessions_->Validate(token, AuthKind::kSession).ok());
  auto off = users_->Update(workspace_.guid, editor.guid, {.active = false});
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->active);
  sessions_->ForgetUser(editor.guid);
  EXPECT_FALSE(sessions_->Validate(token, AuthKind::kSession).ok());
  auto login = Login("editor@acme.test", kPassword);
  ASSERT_FALSE(login.ok());
  EXPECT_EQ(login.error().code, kErrLoginFailed);
}

TEST_F(WorkspaceTest, TheLastActiveAdministratorStays) {
  auto demote = users_->Update(workspace_.guid, admin_.guid, {.role = Role::kViewer});
  ASSERT_FALSE(demote.ok());
  EXPECT_EQ(demote.error().status, 409);
  auto deactivate = users_->Update(workspace_.guid, admin_.guid, {.active = false});
  ASSERT_FALSE(deactivate.ok());
  EXPECT_EQ(deactivate.error().status, 409);
  // An inactive second administrator does not count.
  User second = MakeUser("second@acme.test", Role::kAdmin);
  ASSERT_TRUE(users_->Update(workspace_.guid, second.guid, {.active = false}).ok());
  EXPECT_FALSE(users_->Update(workspace_.guid, admin_.guid, {.role = Role::kEditor}).ok());
  ASSERT_TRUE(users_->Update(workspace_.guid, second.guid, {.active = true}).ok());
  EXPECT_TRUE(users_->Update(workspace_.guid, admin_.guid, {.role = Role::kEditor}).ok());
  EXPECT_FALSE(users_->Update(workspace_.guid, second.guid, {.active = false}).ok());
}

TEST_F(WorkspaceTest, ADuplicateEmailIsAConflict) {
  MakeUser("dup@acme.test", Role::kViewer);
  auto again = users_->Create(workspace_.guid, {"DUP@acme.test", "", Role::kEditor, kPassword});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().status, 409);
  EXPECT_EQ(again.error().code, kErrDuplicate);
}

TEST_F(WorkspaceTest, BadNewUsersAreRefused) {
  for (const NewUser& bad : {NewUser{"no-at-sign", "", Role::kViewer, kPassword},
                             NewUser{"a@", "", Role::kViewer, kPassword},
                             NewUser{"a b@x.test", "", Role::kViewer, kPassword},
                             NewUser{"a@x.test", std::string(201, 'n'), Role::kViewer, kPassword},
                             NewUser{"a@x.test", "", Role::kViewer, "1234567"}}) {
    auto r = users_->Create(workspace_.guid, bad);
    ASSERT_FALSE(r.ok()) << bad.email;
    EXPECT_EQ(r.error().status, 400);
  }
}

TEST_F(WorkspaceTest, UsersOfAnotherWorkspaceAreInvisible) {
  auto other = users_->CreateWorkspace("Other", {"boss@other.test", "", Role::kAdmin, kPassword});
  ASSERT_TRUE(other.ok());
  auto got = users_->Get(workspace_.guid, other->second.guid);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().status, 404);
  auto changed = users_->Update(workspace_.guid, other->second.guid, {.full_name = "x"});
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.error().status, 404);
  auto list = users_->List(workspace_.guid, 0, 100);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].guid, admin_.guid);
}

TEST_F(WorkspaceTest, AnEmailInSeveralWorkspacesNeedsTheWorkspaceId) {
  auto other = users_->CreateWorkspace("Other", {"admin@acme.test", "", Role::kAdmin, kPassword});
  ASSERT_TRUE(other.ok());
  auto ambiguous = Login("admin@acme.test", kPassword);
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.error().code, kErrLoginFailed);
  EXPECT_NE(ambiguous.error().message.find("workspaceId"), std::string::npos);
  auto chosen = Login("admin@acme.test", kPassword, other->first.guid);
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->workspace.guid, other->first.guid);
  EXPECT_EQ(chosen->workspace.name, "Other");
  auto first = Login("admin@acme.test", kPassword, workspace_.guid);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->user.guid, admin_.guid);
}

TEST_F(WorkspaceTest, RepeatedFailuresLockTheAccountEvenForTheRightPassword) {
  for (int i = 0; i < LoginThrottle::kAccountLockAfter; ++i) {
    clock_.Advance(70 * 1000);  // past every slow-down, inside the window
    auto r = Login("admin@acme.test", "wrong password");
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.error().code, kErrLoginFailed) << "attempt " << i;
  }
  auto locked = Login("admin@acme.test", kPassword);
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.error().status, 429);
  EXPECT_EQ(locked.error().code, kErrLoginThrottled);
  EXPECT_EQ(sessions_->RetryAfterSeconds("ADMIN@acme.test", "127.0.0.1"),
            LoginThrottle::kWindowSeconds);
  clock_.Advance(LoginThrottle::kWindowSeconds * 1000);
  EXPECT_TRUE(Login("admin@acme.test", kPassword).ok());
}

TEST(Passwords, Argon2idHashesVerify) {
  auto hash = HashPassword("a long enough password");
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u) << *hash;
  EXPECT_TRUE(VerifyPassword(*hash, "a long enough password"));
  EXPECT_FALSE(VerifyPassword(*hash, "a long enough passwore"));
  EXPECT_FALSE(VerifyPassword(*hash, ""));
  EXPECT_FALSE(VerifyPassword("", "a long enough password"));
  EXPECT_FALSE(VerifyPassword("$argon2id$garbage", "a long enough password"));
  EXPECT_FALSE(VerifyPassword(std::string(1000, '$'), "a long enough password"));
  // Salted: the same password hashes differently each time.
  EXPECT_NE(*hash, *HashPassword("a long enough password"));
}

TEST(Passwords, PolicyRequires8To1024Bytes) {
  EXPECT_FALSE(CheckPasswordPolicy("").ok());
  EXPECT_FALSE(CheckPasswordPolicy("1234567").ok());
  EXPECT_EQ(CheckPasswordPolicy("1234567").error().code, kErrInvalidValue);
  EXPECT_TRUE(CheckPasswordPolicy("12345678").ok());
  EXPECT_TRUE(CheckPasswordPolicy(std::string(1024, 'p')).ok());
  EXPECT_FALSE(CheckPasswordPolicy(std::string(1025, 'p')).ok());
}

TEST(Emails, AreTrimmedLowercasedAndChecked) {
  EXPECT_EQ(NormalizeEmail("  Ann@Example.TEST\t").value(), "ann@example.test");
  for (const char* bad : {"", "@x.test", "ann@", "ann", "a@b@c", "a b@x.test", "a\x01@x.test"}) {
    EXPECT_FALSE(NormalizeEmail(bad).ok()) << bad;
  }
  EXPECT_FALSE(NormalizeEmail(std::string(250, 'a') + "@x.test").ok());
}

}  // namespace
}  // namespace arenite::workspace
