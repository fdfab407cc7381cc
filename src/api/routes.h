// Registration of the /v1 handlers and the operational endpoints. Handlers are thin: parse,
// call the domain component, render. Each Register* function adds one resource's routes.
#pragma once

#include "api/auth.h"
#include "api/read_cache.h"
#include "core/clock.h"
#include "core/json.h"
#include "http/router.h"
#include "plm/plm.h"
#include "store/store.h"
#include "workspace/quota.h"
#include "workspace/sessions.h"
#include "workspace/users.h"

namespace arenite::api {

// POST /v1/login, PUT /v1/logout.
void RegisterSessionRoutes(http::Router& router, const Auth& auth, workspace::Sessions& sessions,
                           workspace::RequestQuota& quota);
// POST /v1/session (sign-in into the browser cookie) and GET /v1/session (the caller, and the
// CSRF token of a browser session).
void RegisterBrowserSessionRoutes(http::Router& router, const Auth& auth,
                                  workspace::Sessions& sessions, workspace::RequestQuota& quota,
                                  workspace::Users& users);
// /v1/settings/users.
// `on_user_changed` is told the guid of every user whose role, status or password changed.
void RegisterUserRoutes(http::Router& router, const Auth& auth, workspace::Users& users,
                        workspace::Sessions& sessions,
                        std::function<void(const std::string&)> on_user_changed = {});
// /healthz, /readyz, /metrics, /openapi.yaml; with a test clock also POST /_test/clock.
void RegisterSystemRoutes(http::Router& router, store::Store& store, AdjustableClock* test_clock);

// /v1/items (with BOM, sourcing, revisions, where-used), /v1/changes, /v1/suppliers,
// /v1/supplieritems, /v1/events and the item lookups under /v1/settings/items. The answers of
// single-object GETs are kept in `read_cache` (which must outlive the server).
void RegisterPlmRoutes(http::Router& router, const Auth& auth, plm::Plm& plm, store::Store& store,
                       const Clock& clock, ReadCache& read_cache);

json::Json UserJson(const workspace::User& user);

}  // namespace arenite::api

namespace arenite::extract {
class Extracts;
}

namespace arenite::api {

// /v1/extracts and their runs and files.
void RegisterExtractRoutes(http::Router& router, const Auth& auth, extract::Extracts& extracts);

}  // namespace arenite::api
