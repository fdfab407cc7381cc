#include "api/routes.h"
#include "api/util.h"

namespace arenite::api {
namespace {

// A checked sign-in: the session and the quota decision, or the error reply to send.
struct SignedIn {
  std::optional<workspace::LoginResult> login;
  workspace::RequestQuota::Decision decision;
  http::Reply refused;
};

// Reads {"email","password","workspaceId"?}, opens a session and counts the request against
// the workspace's quota. Shared by the header session (/v1/login) and the browser cookie
// (/v1/session).
SignedIn SignIn(http::Request& request, const Auth& auth, workspace::Sessions& sessions,
                workspace::RequestQuota& quota) {
  SignedIn out;
  auto body = JsonBody(request);
  if (!body.ok()) {
    out.refused = http::ErrorReply(body.error());
    return out;
  }
  auto email = json::RequiredString(*body, "email", 320);
  auto password = json::RequiredString(*body, "password", 4096);
  auto workspace_id = json::OptionalString(*body, "workspaceId", 64);
  for (const Status& s : {Status(email.ok() ? OkStatus() : email.error()),
                          Status(password.ok() ? OkStatus() : password.error()),
                          Status(workspace_id.ok() ? OkStatus() : workspace_id.error())}) {
    if (!s.ok()) {
      out.refused = http::ErrorReply(s.error());
      return out;
    }
  }
  workspace::LoginRequest login{*email, *password, *workspace_id, request.remote_address};
  auto result = sessions.Login(login);
  if (!result.ok()) {
    out.refused = http::ErrorReply(result.error());
    if (result.error().status == 429) {
      out.refused.headers.Set("Retry-After",
                              std::to_string(std::max<int64_t>(
                                  1, sessions.RetryAfterSeconds(*email, request.remote_address))));
    }
    return out;
  }
  request.workspace_id = result->workspace.guid;
  out.decision = quota.Take(result->workspace.guid);
  if (!out.decision.allowed) {
    // Past the workspace's request limit a login is refused like any other request.
    (void)sessions.Logout(result->token);
    out.refused = auth.RequestLimitReply(out.decision);
    auth.AddQuotaHeaders(out.refused, out.decision);
    return out;
  }
  out.login = std::move(result).value();
  return out;
}

std::string SessionCookie(std::string_view token, bool clear) {
  return std::string(kSessionCookie) + "=" + std::string(token) + "; Path=/; " +
         (clear ? "Max-Age=0; " : "") + "Secure; HttpOnly; SameSite=Lax";
}

}  // namespace

void RegisterSessionRoutes(http::Router& router, const Auth& auth, workspace::Sessions& sessions,
                           workspace::RequestQuota& quota) {
  router.Add("POST", "/v1/login", [&auth, &sessions, &quota](http::Request& request) {
    SignedIn in = SignIn(request, auth, sessions, quota);
    if (!in.login) return in.refused;
    http::Reply reply = http::JsonReply(200, {{"arenaSessionId", in.login->token},
                                              {"workspaceId", in.login->workspace.guid},
                                              {"workspaceName", in.login->workspace.name},
                                              {"workspaceRequestLimit", in.decision.limit},
                                              {"user", UserJson(in.login->user)}});
    auth.AddQuotaHeaders(reply, in.decision);
    return reply;
  });

  router.Add(
      "PUT", "/v1/logout",
      auth.Guard({}, [&sessions](http::Request& request, const Principal& principal) {
        // A bearer token is ended by revocation (RFC 7009), not by logout.
        auto token = request.Header("arena_session_id");
        std::optional<std::string> cookie = request.Cookie(kSessionCookie);
        if (!token && !cookie) {
          return http::ErrorReply(BadRequest("logout ends a session; this request has none"));
        }
        Status ended = sessions.Logout(token ? std::string(*token) : *cookie);
        if (!ended.ok()) return http::ErrorReply(ended.error());
        // Arena's PUT /logout answers 200 with no body ("200 Success", "no JSON response").
        http::Reply reply;
        reply.status = 200;
        reply.content_type.clear();
        if (cookie && !token) reply.headers.Add("Set-Cookie", SessionCookie("", true));
        return reply;
      }));
}

void RegisterBrowserSessionRoutes(http::Router& router, const Auth& auth,
                                  workspace::Sessions& sessions, workspace::RequestQuota& quota,
                                  workspace::Users& users) {
  // Sign-in for the web pages: the session goes into the HttpOnly cookie that the OAuth
  // sign-in also uses, never into the body, so the page's script cannot read it. A JSON body
  // is required, which a cross-site form cannot send without a CORS preflight.
  router.Add("POST", "/v1/session", [&auth, &sessions, &quota](http::Request& request) {
    SignedIn in = SignIn(request, auth, sessions, quota);
    if (!in.login) return in.refused;
    http::Reply reply =
        http::JsonReply(200, {{"workspaceId", in.login->workspace.guid},
                              {"workspaceName", in.login->workspace.name},
                              {"user", UserJson(in.login->user)},
                              {"csrfToken", workspace::Sessions::CsrfToken(in.login->token)}});
    reply.headers.Add("Set-Cookie", SessionCookie(in.login->token, false));
    auth.AddQuotaHeaders(reply, in.decision);
    return reply;
  });

  // Who is calling; for the browser cookie also the CSRF token that writes must echo in
  // X-CSRF-Token (the page cannot compute it: the cookie is HttpOnly).
  router.Add("GET", "/v1/session",
             auth.Guard({}, [&users](http::Request& request, const Principal& principal) {
               return Respond(200, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(auto ws, users.GetWorkspace(principal.workspace_id));
                 ARENITE_ASSIGN_OR_RETURN(auto user,
                                          users.Get(principal.workspace_id, principal.user_id));
                 json::Json out = {{"workspaceId", ws.guid},
                                   {"workspaceName", ws.name},
                                   {"user", UserJson(user)},
                                   {"authentication", "SESSION"},
                                   {"csrfToken", nullptr}};
                 if (principal.kind == workspace::AuthKind::kBearer) {
                   out["authentication"] = "BEARER";
                 } else if (principal.kind == workspace::AuthKind::kCookie) {
                   out["authentication"] = "COOKIE";
                   out["csrfToken"] =
                       workspace::Sessions::CsrfToken(request.Cookie(kSessionCookie).value_or(""));
                 }
                 return out;
               });
             }));
}

}  // namespace arenite::api
