#include "api/routes.h"
#include "api/util.h"
#include "core/embedded.h"
#include "core/metrics.h"

namespace arenite::api {

void RegisterSystemRoutes(http::Router& router, store::Store& store, AdjustableClock* test_clock) {
  router.Add("GET", "/healthz",
             [](http::Request&) {
               // A liveness probe answers the same bytes every time; load balancers ask often.
               return http::TextReply(200, "application/json", R"({"status":"ok"})");
             },
             {.on_io_thread = true});
  router.Add("GET", "/readyz", [&store](http::Request&) {
    Status ping = store.Ping();
    if (!ping.ok()) {
      return http::ErrorReply(MakeError(503, kErrUnavailable, "the store does not answer"));
    }
    return http::JsonReply(200, {{"status", "ready"}});
  });
  router.Add("GET", "/metrics", [](http::Request&) {
    return http::TextReply(200, "text/plain; version=0.0.4", metrics::Render());
  });
  router.Add("GET", "/openapi.yaml",
             [](http::Request&) {
               const embedded::File* doc = embedded::Find("docs/openapi.yaml");
               if (!doc) return http::ErrorReply(NotFound("the API document is not built in"));
               http::Reply reply = http::TextReply(200, "application/yaml", std::string(doc->data));
               reply.headers.Set("Cache-Control", "public, max-age=300");
               return reply;
             },
             {.on_io_thread = true});

  if (!test_clock) return;
  // Only with `serve --unsafe-test-clock`: lets integration tests move time forward.
  router.Add("POST", "/_test/clock", [test_clock](http::Request& request) {
    return Respond(200, [&]() -> Result<json::Json> {
      ARENITE_ASSIGN_OR_RETURN(json::Json body, JsonBody(request));
      ARENITE_ASSIGN_OR_RETURN(auto seconds,
                               json::OptionalInt(body, "advanceSeconds", 0, 10LL * 365 * 86400));
      test_clock->Advance(seconds.value_or(0) * 1000);
      return json::Json{{"nowDateTime", FormatDateTime(test_clock->Now())}};
    });
  });
}

}  // namespace arenite::api
