// Authentication and authorisation for every /v1 endpoint: a Bearer access token, the
// `arena_session_id` header, or the browser session cookie (with its CSRF token on writes);
// then the workspace's request quota, the endpoint's scope and the minimum role. Handlers
// wrapped by Guard receive the Principal and never see another workspace. Thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "http/router.h"
#include "workspace/principal.h"
#include "workspace/quota.h"
#include "workspace/sessions.h"

namespace arenite::api {

using workspace::Principal;
using workspace::Role;

struct Access {
  std::string scope;              // e.g. "items:read"; required of bearer tokens
  Role min_role = Role::kViewer;  // required of the acting user
  std::string also_scope = {};    // a second scope required of bearer tokens, or none
};

using ApiHandler = std::function<http::Reply(http::Request&, const Principal&)>;
// Validates a bearer access token; set by the OAuth component.
using BearerValidator = std::function<Result<Principal>(std::string_view token)>;

inline constexpr char kSessionCookie[] = "arenite_session";
inline constexpr char kCsrfHeader[] = "X-CSRF-Token";

class Auth {
 public:
  Auth(workspace::Sessions& sessions, workspace::RequestQuota& quota, const Clock& clock)
      : sessions_(sessions), quota_(quota), clock_(clock) {}

  void SetBearerValidator(BearerValidator validator) { bearer_ = std::move(validator); }

  // Wraps an API handler with authentication, quota, scope and role checks.
  http::Handler Guard(Access access, ApiHandler handler) const;

  // Who sent the request; an Error (401, or 403 for a bad CSRF token) when nobody valid did.
  Result<Principal> Authenticate(const http::Request& request) const;

  // Adds the X-Arena-Requests-Remaining and X-Arena-Next-Request-Limit-Reset headers.
  void AddQuotaHeaders(http::Reply& reply, const workspace::RequestQuota::Decision& d) const;

  // The 429 answer (code 4084, with Retry-After) for a workspace past its request limit.
  http::Reply RequestLimitReply(const workspace::RequestQuota::Decision& d) const;

  workspace::RequestQuota& quota() const { return quota_; }

 private:
  workspace::Sessions& sessions_;
  workspace::RequestQuota& quota_;
  const Clock& clock_;
  BearerValidator bearer_;
};

}  // namespace arenite::api
