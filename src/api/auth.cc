#include "api/auth.h"

#include <fmt/format.h>
#include <strings.h>

#include "core/crypto.h"

namespace arenite::api {
namespace {

// Whether an Authorization header value uses the Bearer scheme (the name in any case).
bool IsBearerScheme(std::string_view value) {
  return value.size() >= 7 && strncasecmp(value.data(), "Bearer ", 7) == 0;
}

// The first scope of `access` the principal lacks, or "".
std::string_view MissingScope(const Principal& principal, const Access& access) {
  for (const std::string* scope : {&access.scope, &access.also_scope}) {
    if (!scope->empty() && !principal.HasScope(*scope)) return *scope;
  }
  return {};
}

bool IsSafeMethod(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

http::Reply BearerError(const Error& error, std::string_view rfc_error, std::string_view scope) {
  http::Reply reply = http::ErrorReply(error);
  std::string challenge = "Bearer realm=\"arenite\"";
  if (!rfc_error.empty()) challenge += fmt::format(", error=\"{}\"", rfc_error);
  if (!scope.empty()) challenge += fmt::format(", scope=\"{}\"", scope);
  reply.headers.Set("WWW-Authenticate", challenge);
  return reply;
}

}  // namespace

Result<Principal> Auth::Authenticate(const http::Request& request) const {
  if (auto authorization = request.Header("Authorization")) {
    std::string_view value = *authorization;
    if (!IsBearerScheme(value)) {
      return Unauthorized("only Bearer authorization is accepted", kErrInvalidToken);
    }
    std::string_view token = value.substr(7);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    if (!bearer_) return Unauthorized("the access token is not valid", kErrInvalidToken);
    return bearer_(token);
  }
  if (auto session = request.Header("arena_session_id")) {
    return sessions_.Validate(*session, workspace::AuthKind::kSession);
  }
  if (auto cookie = request.Cookie(kSessionCookie)) {
    ARENITE_ASSIGN_OR_RETURN(Principal p,
                             sessions_.Validate(*cookie, workspace::AuthKind::kCookie));
    if (!IsSafeMethod(request.method)) {
      auto sent = request.Header(kCsrfHeader);
      if (!sent || !crypto::ConstantTimeEquals(*sent, workspace::Sessions::CsrfToken(*cookie))) {
        return MakeError(403, kErrCsrf, "the CSRF token is missing or wrong");
      }
    }
    return p;
  }
  return Unauthorized(
      "there is no access token or session associated with this request, or it is not valid");
}

void Auth::AddQuotaHeaders(http::Reply& reply, const workspace::RequestQuota::Decision& d) const {
  reply.headers.Set("X-Arena-Requests-Remaining", std::to_string(d.remaining));
  reply.headers.Set("X-Arena-Next-Request-Limit-Reset", FormatDateTime(d.reset_at));
}

http::Reply Auth::RequestLimitReply(const workspace::RequestQuota::Decision& d) const {
  http::Reply reply = http::ErrorReply(
      MakeError(429, kErrRequestLimit,
                fmt::format("You have exceeded your maximum of \"{}\" requests during the last 24 "
                            "hours. Additional requests can be made at \"{}\".",
                            d.limit, FormatDateTime(d.reset_at))));
  reply.headers.Set("Retry-After", std::to_string(std::max<int64_t>(1, d.reset_at - clock_.Now())));
  return reply;
}

http::Handler Auth::Guard(Access access, ApiHandler handler) const {
  return [this, access = std::move(access), handler = std::move(handler)](http::Request& request) {
    // RFC 6750 allows tokens in the query string, but they end up in logs and histories. The
    // refusal is its invalid_request (section 3.1), with the challenge section 3 requires.
    if (request.Query("access_token")) {
      return BearerError(
          BadRequest("access tokens are not accepted in the query string", kErrTokenInQuery),
          "invalid_request", "");
    }
    // One request, one set of credentials: a second Authorization field would otherwise be
    // ignored, whatever it holds (RFC 6750 section 3.1, RFC 9110 section 11.6.2).
    if (request.headers.Count("Authorization") > 1) {
      return BearerError(BadRequest("send at most one Authorization header", kErrBadRequest),
                         "invalid_request", "");
    }
    auto principal = Authenticate(request);
    if (!principal.ok()) {
      const Error& e = principal.error();
      // A Bearer token that does not do is invalid_token; a request with no credentials, or
      // with another scheme, gets the challenge without an error code (RFC 6750 section 3.1).
      auto authorization = request.Header("Authorization");
      bool bearer = authorization && IsBearerScheme(*authorization);
      if (e.status == 401) return BearerError(e, bearer ? "invalid_token" : "", "");
      return http::ErrorReply(e);
    }
    request.workspace_id = principal->workspace_id;

    auto decision = quota_.Take(principal->workspace_id);
    http::Reply reply;
    if (!decision.allowed) {
      reply = RequestLimitReply(decision);
    } else if (std::string_view missing = MissingScope(*principal, access); !missing.empty()) {
      std::string wanted = access.scope;
      if (!access.also_scope.empty()) wanted += " " + access.also_scope;
      reply = BearerError(MakeError(403, kErrInsufficientScope,
                                    fmt::format("the token lacks the scope '{}'", missing)),
                          "insufficient_scope", wanted);
    } else if (principal->role < access.min_role) {
      reply = http::ErrorReply(
          Forbidden("You do not have privileges to perform the requested operation."));
    } else {
      reply = handler(request, *principal);
    }
    AddQuotaHeaders(reply, decision);
    return reply;
  };
}

}  // namespace arenite::api
