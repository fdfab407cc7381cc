// Registration of Workspace Settings > Webhooks (/v1/settings/webhooks: subscriptions, secrets,
// test events, the delivery log, redelivery and recovery, package downloads, event types) and
// of the integration inventory (/v1/settings/integrations).
#pragma once

#include "api/auth.h"
#include "http/router.h"
#include "store/store.h"

namespace arenite::oauth {
class Apps;
}
namespace arenite::webhooks {
class Webhooks;
class Dispatcher;
}  // namespace arenite::webhooks

namespace arenite::api {

void RegisterWebhookRoutes(http::Router& router, const Auth& auth, webhooks::Webhooks& hooks,
                           webhooks::Dispatcher& dispatcher, oauth::Apps& apps,
                           store::Store& store);

}  // namespace arenite::api
