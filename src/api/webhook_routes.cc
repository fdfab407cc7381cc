#include <filesystem>

#include "api/routes.h"
#include "api/util.h"
#include "api/webhook_routes.h"
#include "core/clock.h"
#include "oauth/apps.h"
#include "webhooks/dispatcher.h"
#include "webhooks/event_types.h"
#include "webhooks/webhooks.h"

namespace arenite::api {
namespace {

webhooks::AuditContext AuditOf(const http::Request& request, const Principal& principal) {
  return {principal.Actor(), request.remote_address};
}

http::Reply NoContent() {
  http::Reply reply;
  reply.status = 204;
  reply.content_type.clear();
  return reply;
}

// The parameters a handler needs that every webhook route shares.
Result<std::string> WebhookGuid(const http::Request& request) { return GuidParam(request, "guid"); }

}  // namespace

void RegisterWebhookRoutes(http::Router& router, const Auth& auth, webhooks::Webhooks& hooks,
                           webhooks::Dispatcher& dispatcher, oauth::Apps& apps,
                           store::Store& store) {
  Access read{"webhooks:read", Role::kAdmin};
  Access write{"webhooks:write", Role::kAdmin};

  router.Add("GET", "/v1/settings/webhooks",
             auth.Guard(read, [&hooks](http::Request& request, const Principal& p) {
               auto page = ParsePage(request);
               if (!page.ok()) return http::ErrorReply(page.error());
               auto list = hooks.List(p.workspace_id, page->offset, page->limit);
               if (!list.ok()) return http::ErrorReply(list.error());
               json::Json results = json::Json::array();
               for (const auto& w : *list) results.push_back(hooks.WebhookJson(w));
               return ListReply(std::move(results));
             }));
  router.Add("POST", "/v1/settings/webhooks",
             auth.Guard(write, [&hooks](http::Request& request, const Principal& p) {
               return Respond(201, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(json::Json body, JsonBody(request));
                 ARENITE_ASSIGN_OR_RETURN(auto created,
                                          hooks.Create(p.workspace_id, body, AuditOf(request, p)));
                 json::Json out = hooks.WebhookJson(created.webhook);
                 out["signingSecret"] = created.signing_secret;
                 return out;
               });
             }));
  // Before /{guid}, which it would otherwise match (literal segments win anyway).
  router.Add("GET", "/v1/settings/webhooks/eventtypes",
             auth.Guard(read, [](http::Request&, const Principal&) {
               json::Json results = json::Json::array();
               for (const auto& t : webhooks::EventTypes()) {
                 results.push_back({{"name", t.name},
                                    {"description", t.description},
                                    {"schema", t.schema},
                                    {"example", t.example}});
               }
               return ListReply(std::move(results));
             }));
  router.Add("GET", "/v1/settings/webhooks/{guid}",
             auth.Guard(read, [&hooks](http::Request& request, const Principal& p) {
               return Respond(200, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(std::string guid, WebhookGuid(request));
                 ARENITE_ASSIGN_OR_RETURN(auto w, hooks.Get(p.workspace_id, guid));
                 return hooks.WebhookJson(w);
               });
             }));
  router.Add("PUT", "/v1/settings/webhooks/{guid}",
             auth.Guard(write, [&hooks](http::Request& request, const Principal& p) {
               return Respond(200, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(std::string guid, WebhookGuid(request));
                 ARENITE_ASSIGN_OR_RETURN(json::Json body, JsonBody(request));
                 ARENITE_ASSIGN_OR_RETURN(
                     auto w, hooks.Update(p.workspace_id, guid, body, AuditOf(request, p)));
                 return hooks.WebhookJson(w);
               });
             }));
  router.Add("DELETE", "/v1/settings/webhooks/{guid}",
             auth.Guard(write, [&hooks](http::Request& request, const Principal& p) {
               auto guid = WebhookGuid(request);
               if (!guid.ok()) return http::ErrorReply(guid.error());
               Status s = hooks.Delete(p.workspace_id, *guid, AuditOf(request, p));
               if (!s.ok()) return http::ErrorReply(s.error());
               return NoContent();
             }));
  router.Add("POST", "/v1/settings/webhooks/{guid}/secrets",
             auth.Guard(write, [&hooks](http::Request& request, const Principal& p) {
               return Respond(200, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(std::string guid, WebhookGuid(request));
                 std::optional<int64_t> grace;
                 if (!request.body.empty()) {
                   ARENITE_ASSIGN_OR_RETURN(json::Json body, JsonBody(request));
                   ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(body, {"gracePeriodSeconds"}));
                   ARENITE_ASSIGN_OR_RETURN(
                       grace, json::OptionalInt(body, "gracePeriodSeconds", 0,
                                                webhooks::Webhooks::kMaxGraceSeconds));
                 }
                 ARENITE_ASSIGN_OR_RETURN(
                     auto rotated, hooks.RotateSigningSecret(
                                       p.workspace_id, guid,
                                       grace.value_or(webhooks::Webhooks::kDefaultGraceSeconds),
                                       AuditOf(request, p)));
                 json::Json out = hooks.WebhookJson(rotated.webhook);
                 out["signingSecret"] = rotated.signing_secret;
                 return out;
               });
             }));
  router.Add(
      "POST", "/v1/settings/webhooks/{guid}/test",
      auth.Guard(write, [&dispatcher](http::Request& request, const Principal& p) {
        return Respond(200, [&]() -> Result<json::Json> {
          ARENITE_ASSIGN_OR_RETURN(std::string guid, WebhookGuid(request));
          std::string type;
          if (!request.body.empty()) {
            ARENITE_ASSIGN_OR_RETURN(json::Json body, JsonBody(request));
            ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(body, {"eventType"}));
            ARENITE_ASSIGN_OR_RETURN(auto t, json::OptionalString(body, "eventType", 64));
            type = t.value_or("");
          }
          ARENITE_ASSIGN_OR_RETURN(auto o, dispatcher.SendTest(p.workspace_id, guid, type));
          return json::Json{
              {"delivered", o.delivered},
              {"responseStatus", o.status ? json::Json(*o.status) : json::Json(nullptr)},
              {"durationMs", o.duration_ms},
              {"error", o.error ? json::Json(*o.error) : json::Json(nullptr)},
              {"errorClass", o.error_class ? json::Json(*o.error_class) : json::Json(nullptr)},
              {"deliveryGuid", o.delivery_guid}};
        });
      }));
  router.Add("GET", "/v1/settings/webhooks/{guid}/deliveries",
             auth.Guard(read, [&hooks](http::Request& request, const Principal& p) {
               auto guid = WebhookGuid(request);
               if (!guid.ok()) return http::ErrorReply(guid.error());
               auto page = ParsePage(request);
               if (!page.ok()) return http::ErrorReply(page.error());
               auto list = hooks.ListDeliveries(
                   p.workspace_id, *guid, request.Query("status").value_or(""),
                   request.Query("eventType").value_or(""), page->offset, page->limit);
               if (!list.ok()) return http::ErrorReply(list.error());
               return ListReply(std::move(*list));
             }));
  router.Add("GET", "/v1/settings/webhooks/{guid}/deliveries/{delivery}",
             auth.Guard(read, [&hooks](http::Request& request, const Principal& p) {
               return Respond(200, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(std::string guid, WebhookGuid(request));
                 ARENITE_ASSIGN_OR_RETURN(std::string d, GuidParam(request, "delivery"));
                 return hooks.GetDelivery(p.workspace_id, guid, d);
               });
             }));
  router.Add("POST", "/v1/settings/webhooks/{guid}/deliveries/{delivery}/redeliver",
             auth.Guard(write, [&hooks](http::Request& request, const Principal& p) {
               return Respond(202, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(std::string guid, WebhookGuid(request));
                 ARENITE_ASSIGN_OR_RETURN(std::string d, GuidParam(request, "delivery"));
                 return hooks.Redeliver(p.workspace_id, guid, d);
               });
             }));
  router.Add("POST", "/v1/settings/webhooks/{guid}/recover",
             auth.Guard(write, [&hooks](http::Request& request, const Principal& p) {
               return Respond(200, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(std::string guid, WebhookGuid(request));
                 ARENITE_ASSIGN_OR_RETURN(json::Json body, JsonBody(request));
                 ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(body, {"since"}));
                 ARENITE_ASSIGN_OR_RETURN(std::string since,
                                          json::RequiredString(body, "since", 64));
                 auto t = ParseDateTime(since);
                 if (!t) {
                   return BadRequest("since: must be an ISO-8601 date and time", kErrInvalidValue);
                 }
                 ARENITE_ASSIGN_OR_RETURN(int64_t n, hooks.Recover(p.workspace_id, guid, *t));
                 return json::Json{{"requeued", n}};
               });
             }));
  // A package too large to deliver, fetched by the linked app with its own token.
  router.Add("GET", "/v1/settings/webhooks/{guid}/packages/{delivery}/content",
             auth.Guard(Access{"extracts:read", Role::kViewer},
                        [&hooks, &apps](http::Request& request, const Principal& p) {
                          auto guid = WebhookGuid(request);
                          auto d = GuidParam(request, "delivery");
                          if (!guid.ok()) return http::ErrorReply(guid.error());
                          if (!d.ok()) return http::ErrorReply(d.error());
                          auto w = hooks.Get(p.workspace_id, *guid);
                          if (!w.ok()) return http::ErrorReply(w.error());
                          bool allowed = p.role == Role::kAdmin;
                          if (!allowed && !p.client_id.empty() && !w->oauth_app_guid.empty()) {
                            auto app = apps.Get(p.workspace_id, w->oauth_app_guid);
                            allowed = app.ok() && app->client_id == p.client_id;
                          }
                          if (!allowed) {
                            return http::ErrorReply(
                                Forbidden("only administrators and the webhook's application may "
                                          "download its packages"));
                          }
                          auto path = hooks.PackagePath(p.workspace_id, *guid, *d);
                          if (!path.ok()) return http::ErrorReply(path.error());
                          http::Reply reply;
                          reply.content_type = "application/zip";
                          reply.file_path = *path;
                          reply.headers.Set("Content-Disposition",
                                            "attachment; filename=\"" +
                                                std::filesystem::path(*path).filename().string() +
                                                "\"");
                          return reply;
                        }));

  // Workspace Settings > Integrations: each app with what it is used for.
  router.Add(
      "GET", "/v1/settings/integrations",
      auth.Guard(Access{"settings:read", Role::kAdmin}, [&hooks, &apps](http::Request&,
                                                                        const Principal& p) {
        return Respond(200, [&]() -> Result<json::Json> {
          ARENITE_ASSIGN_OR_RETURN(auto app_list, apps.List(p.workspace_id, 0, 1000));
          ARENITE_ASSIGN_OR_RETURN(auto hook_list, hooks.ListAll(p.workspace_id));
          json::Json results = json::Json::array();
          const Clock& clock = apps.clock();
          for (const auto& app : app_list) {
            ARENITE_ASSIGN_OR_RETURN(std::optional<int64_t> last_token, apps.LastTokenAt(app.guid));
            json::Json used = json::Json::array();
            for (const auto& w : hook_list) {
              if (w.oauth_app_guid != app.guid) continue;
              json::Json wj = hooks.WebhookJson(w);
              used.push_back({{"guid", w.guid},
                              {"name", w.name},
                              {"targetUrl", w.target_url},
                              {"enabled", w.enabled},
                              {"health", wj["health"]},
                              {"lastDeliveryDateTime", wj["lastDeliveryDateTime"]},
                              {"lastSuccessDateTime", wj["lastSuccessDateTime"]}});
            }
            std::vector<std::string> scopes(app.scopes.begin(), app.scopes.end());
            results.push_back(
                {{"guid", app.guid},
                 {"name", app.name},
                 {"clientId", app.client_id},
                 {"description", app.description},
                 {"scopes", scopes},
                 {"grantTypes", app.grant_types},
                 {"secretAgeDays", app.secret_created_at
                                       ? json::Json((clock.Now() - *app.secret_created_at) / 86400)
                                       : json::Json(nullptr)},
                 {"secretTooOld", app.secret_too_old},
                 {"lastTokenDateTime",
                  last_token ? json::Json(FormatDateTime(*last_token)) : json::Json(nullptr)},
                 {"webhooks", std::move(used)}});
          }
          return json::Json{{"count", results.size()}, {"results", results}};
        });
      }));
}

}  // namespace arenite::api
