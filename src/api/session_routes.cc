#include "api/routes.h"
#include "api/util.h"

namespace arenite::api {

void RegisterSessionRoutes(http::Router& router, const Auth& auth, workspace::Sessions& sessions,
                           workspace::RequestQuota& quota) {
  router.Add("POST", "/v1/login", [&auth, &sessions, &quota](http::Request& request) {
    auto body = JsonBody(request);
    if (!body.ok()) return http::ErrorReply(body.error());
    auto email = json::RequiredString(*body, "email", 320);
    auto password = json::RequiredString(*body, "password", 4096);
    auto workspace_id = json::OptionalString(*body, "workspaceId", 64);
    for (const Status& s : {Status(email.ok() ? OkStatus() : email.error()),
                            Status(password.ok() ? OkStatus() : password.error()),
                            Status(workspace_id.ok() ? OkStatus() : workspace_id.error())}) {
      if (!s.ok()) return http::ErrorReply(s.error());
    }
    workspace::LoginRequest login{*email, *password, *workspace_id, request.remote_address};
    auto result = sessions.Login(login);
    if (!result.ok()) {
      http::Reply reply = http::ErrorReply(result.error());
      if (result.error().status == 429) {
        reply.headers.Set("Retry-After", std::to_string(std::max<int64_t>(
                                             1, sessions.RetryAfterSeconds(
                                                    *email, request.remote_address))));
      }
      return reply;
    }
    request.workspace_id = result->workspace.guid;
    auto decision = quota.Take(result->workspace.guid);
    http::Reply reply = http::JsonReply(
        200, {{"arenaSessionId", result->token},
              {"workspaceId", result->workspace.guid},
              {"workspaceName", result->workspace.name},
              {"workspaceRequestLimit", decision.limit},
              {"user", UserJson(result->user)}});
    auth.AddQuotaHeaders(reply, decision);
    return reply;
  });

  router.Add("PUT", "/v1/logout",
             auth.Guard({}, [&sessions](http::Request& request, const Principal& principal) {
               // A bearer token is ended by revocation (RFC 7009), not by logout.
               auto token = request.Header("arena_session_id");
               std::optional<std::string> cookie = request.Cookie(kSessionCookie);
               if (!token && !cookie) {
                 return http::ErrorReply(BadRequest("logout ends a session; this request has none"));
               }
               Status ended = sessions.Logout(token ? std::string(*token) : *cookie);
               if (!ended.ok()) return http::ErrorReply(ended.error());
               http::Reply reply;
               reply.status = 204;
               reply.content_type.clear();
               if (cookie && !token) {
                 reply.headers.Add("Set-Cookie", std::string(kSessionCookie) +
                                                     "=; Path=/; Max-Age=0; Secure; HttpOnly; "
                                                     "SameSite=Lax");
               }
               return reply;
             }));
}

}  // namespace arenite::api
