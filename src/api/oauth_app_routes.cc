#include "api/oauth_routes.h"
#include "api/util.h"
#include "core/clock.h"

namespace arenite::api {
namespace {

json::Json AppJson(const oauth::App& app, const Clock& clock) {
  json::Json scopes = json::Json::array();
  for (const auto& s : oauth::AllScopes()) {
    if (app.scopes.count(s)) scopes.push_back(s);
  }
  json::Json out = {{"guid", app.guid},
                    {"clientId", app.client_id},
                    {"name", app.name},
                    {"description", app.description},
                    {"redirectUris", app.redirect_uris},
                    {"grantTypes", app.grant_types},
                    {"scopes", scopes},
                    {"public", app.is_public},
                    {"machineUser", {{"guid", app.machine_user_id}}},
                    {"creationDateTime", FormatDateTime(app.created_at)},
                    {"lastModifiedDateTime", FormatDateTime(app.updated_at)},
                    {"secretCreatedDateTime", nullptr},
                    {"secretAgeDays", nullptr},
                    {"secretTooOld", app.secret_too_old},
                    {"previousSecretExpiresDateTime", nullptr}};
  if (app.secret_created_at) {
    out["secretCreatedDateTime"] = FormatDateTime(*app.secret_created_at);
    out["secretAgeDays"] = (clock.Now() - *app.secret_created_at) / 86400;
  }
  if (app.previous_secret_expires_at) {
    out["previousSecretExpiresDateTime"] = FormatDateTime(*app.previous_secret_expires_at);
  }
  return out;
}

json::Json AuditJson(const oauth::AuditEntry& e) {
  return {{"guid", e.guid},
          {"creationDateTime", FormatDateTime(e.created_at)},
          {"actor", e.actor},
          {"address", e.address},
          {"action", e.action},
          {"object", {{"type", e.object_type}, {"guid", e.object_guid}, {"name", e.object_name}}}};
}

Result<oauth::AppInput> ReadAppInput(const http::Request& request, bool creating) {
  ARENITE_ASSIGN_OR_RETURN(json::Json body, JsonBody(request));
  std::vector<std::string_view> allowed = {"name",       "description", "redirectUris",
                                           "grantTypes", "scopes",      "public"};
  if (!creating) {
    // A client may send back what it read.
    for (std::string_view f : {"guid", "clientId", "machineUser", "creationDateTime",
                               "lastModifiedDateTime", "secretCreatedDateTime", "secretAgeDays",
                               "secretTooOld", "previousSecretExpiresDateTime"}) {
      allowed.push_back(f);
    }
  }
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(body, allowed));
  oauth::AppInput in;
  ARENITE_ASSIGN_OR_RETURN(in.name, json::OptionalString(body, "name", 200));
  ARENITE_ASSIGN_OR_RETURN(in.description, json::OptionalString(body, "description", 2000));
  ARENITE_ASSIGN_OR_RETURN(in.redirect_uris,
                           json::OptionalStringArray(body, "redirectUris", 20, 2000));
  ARENITE_ASSIGN_OR_RETURN(in.grant_types, json::OptionalStringArray(body, "grantTypes", 3, 40));
  ARENITE_ASSIGN_OR_RETURN(in.scopes, json::OptionalStringArray(body, "scopes", 20, 40));
  ARENITE_ASSIGN_OR_RETURN(in.is_public, json::OptionalBool(body, "public"));
  return in;
}

oauth::AuditContext AuditOf(const http::Request& request, const Principal& principal) {
  return {principal.Actor(), request.remote_address};
}

}  // namespace

void RegisterOAuthAppRoutes(http::Router& router, const Auth& auth, oauth::Apps& apps) {
  Access read{"settings:read", Role::kAdmin};
  Access write{"settings:write", Role::kAdmin};

  router.Add("GET", "/v1/settings/oauthapps",
             auth.Guard(read, [&apps](http::Request& request, const Principal& principal) {
               auto page = ParsePage(request);
               if (!page.ok()) return http::ErrorReply(page.error());
               auto list = apps.List(principal.workspace_id, page->offset, page->limit);
               if (!list.ok()) return http::ErrorReply(list.error());
               json::Json results = json::Json::array();
               for (const auto& a : *list) results.push_back(AppJson(a, apps.clock()));
               return ListReply(std::move(results));
             }));
  router.Add("POST", "/v1/settings/oauthapps",
             auth.Guard(write, [&apps](http::Request& request, const Principal& principal) {
               return Respond(201, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(oauth::AppInput in, ReadAppInput(request, true));
                 ARENITE_ASSIGN_OR_RETURN(auto created, apps.Create(principal.workspace_id, in,
                                                                    AuditOf(request, principal)));
                 json::Json out = AppJson(created.app, apps.clock());
                 if (!created.app.is_public) out["clientSecret"] = created.client_secret;
                 return out;
               });
             }));
  router.Add("GET", "/v1/settings/oauthapps/{guid}",
             auth.Guard(read, [&apps](http::Request& request, const Principal& principal) {
               return Respond(200, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(std::string guid, GuidParam(request, "guid"));
                 ARENITE_ASSIGN_OR_RETURN(auto app, apps.Get(principal.workspace_id, guid));
                 return AppJson(app, apps.clock());
               });
             }));
  router.Add("PUT", "/v1/settings/oauthapps/{guid}",
             auth.Guard(write, [&apps](http::Request& request, const Principal& principal) {
               return Respond(200, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(std::string guid, GuidParam(request, "guid"));
                 ARENITE_ASSIGN_OR_RETURN(oauth::AppInput in, ReadAppInput(request, false));
                 ARENITE_ASSIGN_OR_RETURN(auto app, apps.Update(principal.workspace_id, guid, in,
                                                                AuditOf(request, principal)));
                 return AppJson(app, apps.clock());
               });
             }));
  router.Add("DELETE", "/v1/settings/oauthapps/{guid}",
             auth.Guard(write, [&apps](http::Request& request, const Principal& principal) {
               auto guid = GuidParam(request, "guid");
               if (!guid.ok()) return http::ErrorReply(guid.error());
               auto deleted =
                   apps.Delete(principal.workspace_id, *guid, AuditOf(request, principal));
               if (!deleted.ok()) return http::ErrorReply(deleted.error());
               http::Reply reply;
               reply.status = 204;
               reply.content_type.clear();
               return reply;
             }));
  router.Add(
      "POST", "/v1/settings/oauthapps/{guid}/secrets",
      auth.Guard(write, [&apps](http::Request& request, const Principal& principal) {
        return Respond(201, [&]() -> Result<json::Json> {
          ARENITE_ASSIGN_OR_RETURN(std::string guid, GuidParam(request, "guid"));
          std::optional<int64_t> grace;
          if (!request.body.empty()) {
            ARENITE_ASSIGN_OR_RETURN(json::Json body, JsonBody(request));
            ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(body, {"graceSeconds"}));
            ARENITE_ASSIGN_OR_RETURN(
                grace, json::OptionalInt(body, "graceSeconds", 0, oauth::Apps::kMaxGraceSeconds));
          }
          ARENITE_ASSIGN_OR_RETURN(
              auto rotated, apps.RotateSecret(principal.workspace_id, guid,
                                              grace.value_or(oauth::Apps::kDefaultGraceSeconds),
                                              AuditOf(request, principal)));
          json::Json out = AppJson(rotated.app, apps.clock());
          out["clientSecret"] = rotated.client_secret;
          out["previousSecretExpiresDateTime"] =
              rotated.previous_secret_expires_at
                  ? json::Json(FormatDateTime(*rotated.previous_secret_expires_at))
                  : json::Json(nullptr);
          return out;
        });
      }));

  router.Add("GET", "/v1/settings/oauth",
             auth.Guard(read, [&apps](http::Request&, const Principal& principal) {
               return Respond(200, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(auto days, apps.MaxSecretAgeDays(principal.workspace_id));
                 return json::Json{{"maxSecretAgeDays", days ? json::Json(*days) : nullptr}};
               });
             }));
  router.Add(
      "PUT", "/v1/settings/oauth",
      auth.Guard(write, [&apps](http::Request& request, const Principal& principal) {
        return Respond(200, [&]() -> Result<json::Json> {
          ARENITE_ASSIGN_OR_RETURN(json::Json body, JsonBody(request));
          ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(body, {"maxSecretAgeDays"}));
          ARENITE_ASSIGN_OR_RETURN(auto days, json::OptionalInt(body, "maxSecretAgeDays", 1, 3650));
          ARENITE_RETURN_IF_ERROR(
              apps.SetMaxSecretAgeDays(principal.workspace_id, days, AuditOf(request, principal)));
          return json::Json{{"maxSecretAgeDays", days ? json::Json(*days) : nullptr}};
        });
      }));

  router.Add("GET", "/v1/settings/auditlog",
             auth.Guard(read, [&apps](http::Request& request, const Principal& principal) {
               auto page = ParsePage(request);
               if (!page.ok()) return http::ErrorReply(page.error());
               auto list = apps.AuditLog(principal.workspace_id, page->offset, page->limit);
               if (!list.ok()) return http::ErrorReply(list.error());
               json::Json results = json::Json::array();
               for (const auto& e : *list) results.push_back(AuditJson(e));
               return ListReply(std::move(results));
             }));
}

}  // namespace arenite::api
