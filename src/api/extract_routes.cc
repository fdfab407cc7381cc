#include "api/routes.h"
#include "api/util.h"
#include "core/guid.h"
#include "extract/extracts.h"

namespace arenite::api {

void RegisterExtractRoutes(http::Router& router, const Auth& auth, extract::Extracts& extracts) {
  // Administrators define extracts; extracts:read reads and downloads; extracts:write runs.
  Access read{"extracts:read", Role::kViewer};
  Access define{"extracts:write", Role::kAdmin};
  Access run{"extracts:write", Role::kEditor};

  router.Add("POST", "/v1/extracts",
             auth.Guard(define, [&extracts](http::Request& request, const Principal& p) {
               return Respond(201, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(json::Json body, JsonBody(request));
                 return extracts.Create(p.workspace_id, p.Actor(), body);
               });
             }));
  router.Add("GET", "/v1/extracts",
             auth.Guard(read, [&extracts](http::Request& request, const Principal& p) {
               auto page = ParsePage(request);
               if (!page.ok()) return http::ErrorReply(page.error());
               auto list = extracts.List(p.workspace_id, page->offset, page->limit);
               if (!list.ok()) return http::ErrorReply(list.error());
               return ListReply(std::move(*list));
             }));
  router.Add("GET", "/v1/extracts/{guid}",
             auth.Guard(read, [&extracts](http::Request& request, const Principal& p) {
               return Respond(200, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(std::string guid, GuidParam(request, "guid"));
                 return extracts.Get(p.workspace_id, guid);
               });
             }));
  router.Add("PUT", "/v1/extracts/{guid}",
             auth.Guard(define, [&extracts](http::Request& request, const Principal& p) {
               return Respond(200, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(std::string guid, GuidParam(request, "guid"));
                 ARENITE_ASSIGN_OR_RETURN(json::Json body, JsonBody(request));
                 return extracts.Update(p.workspace_id, guid, body);
               });
             }));
  router.Add("DELETE", "/v1/extracts/{guid}",
             auth.Guard(define, [&extracts](http::Request& request, const Principal& p) {
               auto guid = GuidParam(request, "guid");
               if (!guid.ok()) return http::ErrorReply(guid.error());
               Status deleted = extracts.Delete(p.workspace_id, *guid);
               if (!deleted.ok()) return http::ErrorReply(deleted.error());
               http::Reply reply;
               reply.status = 204;
               reply.content_type.clear();
               return reply;
             }));

  router.Add("POST", "/v1/extracts/{guid}/runs",
             auth.Guard(run, [&extracts](http::Request& request, const Principal& p) {
               return Respond(201, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(std::string guid, GuidParam(request, "guid"));
                 return extracts.StartRun(p.workspace_id, guid);
               });
             }));
  router.Add("GET", "/v1/extracts/{guid}/runs",
             auth.Guard(read, [&extracts](http::Request& request, const Principal& p) {
               auto page = ParsePage(request);
               auto guid = GuidParam(request, "guid");
               if (!page.ok()) return http::ErrorReply(page.error());
               if (!guid.ok()) return http::ErrorReply(guid.error());
               std::string status = request.Query("status").value_or("");
               if (!status.empty() && status != "InProcess" && status != "Completed" &&
                   status != "Failed" && status != "Aborted") {
                 return http::ErrorReply(BadRequest(
                     "status must be InProcess, Completed, Failed or Aborted", kErrInvalidValue));
               }
               auto list =
                   extracts.ListRuns(p.workspace_id, *guid, status, page->offset, page->limit);
               if (!list.ok()) return http::ErrorReply(list.error());
               return ListReply(std::move(*list));
             }));
  // A literal segment wins over {run}.
  router.Add("GET", "/v1/extracts/{guid}/runs/latestCompleted",
             auth.Guard(read, [&extracts](http::Request& request, const Principal& p) {
               return Respond(200, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(std::string guid, GuidParam(request, "guid"));
                 return extracts.LatestCompletedRun(p.workspace_id, guid);
               });
             }));
  router.Add("GET", "/v1/extracts/{guid}/runs/{run}",
             auth.Guard(read, [&extracts](http::Request& request, const Principal& p) {
               return Respond(200, [&]() -> Result<json::Json> {
                 ARENITE_ASSIGN_OR_RETURN(std::string guid, GuidParam(request, "guid"));
                 ARENITE_ASSIGN_OR_RETURN(std::string run, GuidParam(request, "run"));
                 return extracts.GetRun(p.workspace_id, guid, run);
               });
             }));
  router.Add("DELETE", "/v1/extracts/{guid}/runs/{run}",
             auth.Guard(run, [&extracts](http::Request& request, const Principal& p) {
               auto guid = GuidParam(request, "guid");
               auto run_guid = GuidParam(request, "run");
               if (!guid.ok()) return http::ErrorReply(guid.error());
               if (!run_guid.ok()) return http::ErrorReply(run_guid.error());
               Status aborted = extracts.AbortRun(p.workspace_id, *guid, *run_guid);
               if (!aborted.ok()) return http::ErrorReply(aborted.error());
               return http::JsonReply(202, {{"guid", *run_guid}, {"status", "Aborting"}});
             }));
  router.Add("GET", "/v1/extracts/{guid}/runs/{run}/files/{file}/content",
             auth.Guard(read, [&extracts](http::Request& request, const Principal& p) {
               auto guid = GuidParam(request, "guid");
               auto run_guid = GuidParam(request, "run");
               auto file = GuidParam(request, "file");
               for (const auto* r : {&guid, &run_guid, &file}) {
                 if (!r->ok()) return http::ErrorReply(r->error());
               }
               auto path = extracts.FilePath(p.workspace_id, *guid, *run_guid, *file);
               if (!path.ok()) return http::ErrorReply(path.error());
               http::Reply reply;
               reply.content_type = "application/zip";
               reply.file_path = path->first;
               reply.headers.Set("Content-Disposition",
                                 "attachment; filename=\"" + path->second + "\"");
               return reply;
             }));
}

}  // namespace arenite::api
