#include "api/routes.h"
#include "api/util.h"
#include "core/clock.h"

namespace arenite::api {

json::Json UserJson(const workspace::User& user) {
  return {{"guid", user.guid},
          {"email", user.email},
          {"fullName", user.full_name},
          {"role", std::string(workspace::RoleName(user.role))},
          {"active", user.active},
          {"creationDateTime", FormatDateTime(user.created_at)},
          {"lastModifiedDateTime", FormatDateTime(user.updated_at)}};
}

namespace {

Result<workspace::Role> ReadRole(const json::Json& body, bool required) {
  ARENITE_ASSIGN_OR_RETURN(auto name, json::OptionalString(body, "role", 16));
  if (!name) {
    if (required) return BadRequest("The attribute \"role\" is required.", kErrMissingField);
    return workspace::Role::kViewer;
  }
  workspace::Role role;
  if (!workspace::ParseRole(*name, &role)) {
    return BadRequest("The attribute \"role\" must be ADMIN, EDITOR or VIEWER.", kErrInvalidValue);
  }
  return role;
}

Result<json::Json> CreateUser(workspace::Users& users, const http::Request& request,
                              const Principal& principal) {
  ARENITE_ASSIGN_OR_RETURN(json::Json body, JsonBody(request));
  ARENITE_RETURN_IF_ERROR(
      json::RejectUnknownFields(body, {"email", "fullName", "role", "password"}));
  workspace::NewUser user;
  ARENITE_ASSIGN_OR_RETURN(user.email, json::RequiredString(body, "email", 320));
  ARENITE_ASSIGN_OR_RETURN(auto name, json::OptionalString(body, "fullName", 200));
  user.full_name = name.value_or("");
  ARENITE_ASSIGN_OR_RETURN(user.role, ReadRole(body, false));
  ARENITE_ASSIGN_OR_RETURN(user.password, json::RequiredString(body, "password", 1024));
  ARENITE_ASSIGN_OR_RETURN(auto created, users.Create(principal.workspace_id, user));
  return UserJson(created);
}

Result<json::Json> UpdateUser(workspace::Users& users, workspace::Sessions& sessions,
                              const http::Request& request, const Principal& principal) {
  ARENITE_ASSIGN_OR_RETURN(std::string guid, GuidParam(request, "guid"));
  ARENITE_ASSIGN_OR_RETURN(json::Json body, JsonBody(request));
  ARENITE_RETURN_IF_ERROR(
      json::RejectUnknownFields(body, {"fullName", "role", "active", "password", "guid", "email",
                                       "creationDateTime", "lastModifiedDateTime"}));
  workspace::UserChange change;
  ARENITE_ASSIGN_OR_RETURN(change.full_name, json::OptionalString(body, "fullName", 200));
  if (body.contains("role") && !body["role"].is_null()) {
    ARENITE_ASSIGN_OR_RETURN(change.role, ReadRole(body, true));
  }
  ARENITE_ASSIGN_OR_RETURN(change.active, json::OptionalBool(body, "active"));
  ARENITE_ASSIGN_OR_RETURN(change.password, json::OptionalString(body, "password", 1024));
  ARENITE_ASSIGN_OR_RETURN(auto updated, users.Update(principal.workspace_id, guid, change));
  sessions.ForgetUser(guid);
  return UserJson(updated);
}

}  // namespace

void RegisterUserRoutes(http::Router& router, const Auth& auth, workspace::Users& users,
                        workspace::Sessions& sessions,
                        std::function<void(const std::string&)> on_user_changed) {
  Access read{"settings:read", Role::kAdmin};
  Access write{"settings:write", Role::kAdmin};

  router.Add("GET", "/v1/settings/users",
             auth.Guard(read, [&users](http::Request& request, const Principal& principal) {
               auto page = ParsePage(request);
               if (!page.ok()) return http::ErrorReply(page.error());
               auto list = users.List(principal.workspace_id, page->offset, page->limit);
               if (!list.ok()) return http::ErrorReply(list.error());
               json::Json results = json::Json::array();
               for (const auto& u : *list) results.push_back(UserJson(u));
               return ListReply(std::move(results));
             }));
  router.Add("POST", "/v1/settings/users",
             auth.Guard(write, [&users](http::Request& request, const Principal& principal) {
               return Respond(201, [&] { return CreateUser(users, request, principal); });
             }));
  router.Add("GET", "/v1/settings/users/{guid}",
             auth.Guard(read, [&users](http::Request& request, const Principal& principal) {
               return Respond(200, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(std::string guid, GuidParam(request, "guid"));
                 ARENITE_ASSIGN_OR_RETURN(auto user, users.Get(principal.workspace_id, guid));
                 return UserJson(user);
               });
             }));
  router.Add("PUT", "/v1/settings/users/{guid}",
             auth.Guard(write, [&users, &sessions, on_user_changed](http::Request& request,
                                                                    const Principal& principal) {
               http::Reply reply =
                   Respond(200, [&] { return UpdateUser(users, sessions, request, principal); });
               if (reply.status == 200 && on_user_changed) on_user_changed(request.Param("guid"));
               return reply;
             }));
}

}  // namespace arenite::api
