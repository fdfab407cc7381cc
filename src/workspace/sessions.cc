#include "workspace/sessions.h"

#include <fmt/format.h>

#include "core/crypto.h"
#include "core/guid.h"
#include "workspace/passwords.h"

namespace arenite::workspace {
namespace {

Error LoginFailed() {
  return MakeError(400, kErrLoginFailed, "the email, password or workspace ID is not valid");
}

std::string TokenHash(std::string_view token) { return crypto::Sha256Hex(token); }

}  // namespace

int64_t Sessions::RetryAfterSeconds(const std::string& email, const std::string& address) {
  auto normalized = NormalizeEmail(email);
  return throttle_.RetryAfter(normalized.ok() ? normalized.value() : email, address);
}

Result<LoginResult> Sessions::Login(const LoginRequest& request) {
  auto email = NormalizeEmail(request.email);
  std::string account = email.ok() ? email.value() : request.email.substr(0, 256);
  if (int64_t wait = throttle_.RetryAfter(account, request.remote_address); wait > 0) {
    return MakeError(429, kErrLoginThrottled,
                     fmt::format("too many failed sign-ins; try again in {} seconds", wait));
  }
  if (request.workspace_id && !IsGuid(*request.workspace_id)) {
    throttle_.RecordFailure(account, request.remote_address);
    return LoginFailed();
  }

  std::vector<Users::Account> accounts;
  if (email.ok() && request.password.size() <= 1024) {
    ARENITE_ASSIGN_OR_RETURN(accounts, users_.FindAccounts(email.value()));
  }
  // Verify against every candidate account (one hash each, the dummy when there is none), so the
  // time taken does not tell whether the email exists.
  std::vector<const Users::Account*> matches;
  int verified = 0;
  for (const auto& a : accounts) {
    if (request.workspace_id && a.user.workspace_id != *request.workspace_id) continue;
    ++verified;
    if (VerifyPassword(a.password_hash, request.password) && a.user.active) matches.push_back(&a);
  }
  // No hash checked (no such email, or none in the asked workspace): spend the same time anyway.
  if (verified == 0) VerifyDummyPassword(request.password);
  if (matches.empty()) {
    throttle_.RecordFailure(account, request.remote_address);
    return LoginFailed();
  }
  if (matches.size() > 1) {
    return MakeError(400, kErrLoginFailed,
                     "this account belongs to several workspaces; give workspaceId");
  }
  const Users::Account& chosen = *matches.front();
  throttle_.RecordSuccess(account);

  LoginResult result;
  result.token = crypto::RandomToken();
  result.user = chosen.user;
  ARENITE_ASSIGN_OR_RETURN(result.workspace, users_.GetWorkspace(chosen.user.workspace_id));
  int64_t now = clock_.Now();
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO sessions (token_hash, workspace_guid, user_guid, created_at, last_used_at) "
        "VALUES (?, ?, ?, ?, ?)",
        {TokenHash(result.token), chosen.user.workspace_id, chosen.user.guid, now, now}));
    // Sessions idle past their expiry are removed as new ones open.
    ARENITE_RETURN_IF_ERROR(tx.Exec("DELETE FROM sessions WHERE user_guid = ? AND last_used_at < ?",
                                    {chosen.user.guid, now - kIdleSeconds}));
    return OkStatus();
  }));
  return result;
}

void Sessions::DropEnded() {
  std::lock_guard lock(ended_->mu);
  for (const std::string& digest : ended_->digests) cache_.erase(digest);
  ended_->digests.clear();
}

void Sessions::TouchInBackground(const std::string& hash, int64_t now) {
  auto changed = std::make_shared<int64_t>(0);
  store_.Submit(
      [hash, now, changed](store::Tx& tx) -> Status {
        ARENITE_ASSIGN_OR_RETURN(
            *changed,
            tx.Exec("UPDATE sessions SET last_used_at = ? WHERE token_hash = ?", {now, hash}));
        return OkStatus();
      },
      [hash, changed, ended = ended_](const Status& status) {
        // Ended elsewhere (a role change, another node's logout): forget it here too. A failed
        // write keeps the session; the next touch tries again.
        if (!status.ok() || *changed > 0) return;
        std::lock_guard lock(ended->mu);
        ended->digests.push_back(hash);
      });
}

Result<Principal> Sessions::Validate(std::string_view token, AuthKind kind) {
  if (token.empty() || token.size() > 128) {
    return Unauthorized("the session is missing or not valid");
  }
  std::string hash = TokenHash(token);
  int64_t now = clock_.Now();
  {
    std::lock_guard lock(mu_);
    DropEnded();
    auto it = cache_.find(hash);
    if (it != cache_.end()) {
      if (now - it->second.last_used >= kIdleSeconds) {
        cache_.erase(it);
      } else {
        it->second.last_used = now;
        if (now - it->second.last_written >= kTouchEverySeconds) {
          it->second.last_written = now;
          TouchInBackground(hash, now);
        }
        Principal principal = it->second.principal;
        principal.kind = kind;
        return principal;
      }
    }
  }

  // A ForgetUser while the store is read below means the row may predate a role change or a
  // deactivation: answer from it, but do not cache it.
  uint64_t generation;
  {
    std::lock_guard lock(mu_);
    generation = generation_;
  }
  std::optional<Cached> found;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(
        "SELECT s.workspace_guid, s.user_guid, s.last_used_at, u.role, u.active FROM sessions s "
        "JOIN users u ON u.guid = s.user_guid WHERE s.token_hash = ?",
        {hash}, [&](const store::Row& row) {
          Cached c;
          c.principal.workspace_id = row.String(0);
          c.principal.user_id = row.String(1);
          c.last_used = row.Int(2);
          ParseRole(row.Text(3), &c.principal.role);
          if (row.Int(4) == 0) return false;
          c.principal.token_id = hash;
          found = std::move(c);
          return false;
        });
  }));
  if (!found || now - found->last_used >= kIdleSeconds) {
    if (found) {
      // Only if still idle when the delete runs: a last-use write-back queued before it (writes
      // commit in order) keeps a session that this read saw a stale time of.
      int64_t idle_before = now - kIdleSeconds;
      store_.Submit([hash, idle_before](store::Tx& tx) -> Status {
        ARENITE_RETURN_IF_ERROR(
            tx.Exec("DELETE FROM sessions WHERE token_hash = ? AND last_used_at <= ?",
                    {hash, idle_before}));
        return OkStatus();
      });
    }
    return Unauthorized("the session is missing, expired or not valid", kErrUnauthenticated);
  }
  found->last_written = found->last_used;
  found->last_used = now;
  Principal principal = found->principal;
  principal.kind = kind;
  {
    std::lock_guard lock(mu_);
    if (cache_.size() > 100000) cache_.clear();
    if (generation == generation_) cache_[hash] = *found;
  }
  return principal;
}

Status Sessions::Logout(std::string_view token) {
  std::string hash = TokenHash(token);
  auto forget = [&] {
    std::lock_guard lock(mu_);
    cache_.erase(hash);
    ++generation_;  // a validation that read the row before the delete must not cache it
  };
  forget();
  Status deleted = store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(tx.Exec("DELETE FROM sessions WHERE token_hash = ?", {hash}));
    return OkStatus();
  });
  forget();
  return deleted;
}

void Sessions::ForgetUser(const std::string& user_id) {
  std::lock_guard lock(mu_);
  ++generation_;
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = it->second.principal.user_id == user_id ? cache_.erase(it) : std::next(it);
  }
}

std::string Sessions::CsrfToken(std::string_view session_token) {
  return crypto::Base64UrlEncode(
      crypto::Sha256(std::string("arenite-csrf:") + std::string(session_token)));
}

}  // namespace arenite::workspace
