// Registration of the OAuth 2.0 endpoints: the app settings under /v1/settings (admins only),
// and the authorization server itself (metadata, JWKS, token, introspection, revocation, and
// the authorization endpoint with its sign-in and consent pages).
#pragma once

#include <cstdint>

#include "api/auth.h"
#include "http/router.h"
#include "oauth/apps.h"
#include "oauth/keys.h"
#include "oauth/tokens.h"
#include "workspace/sessions.h"

namespace arenite::api {

// /v1/settings/oauthapps, /v1/settings/oauthapps/{guid}/secrets, /v1/settings/oauth and
// /v1/settings/auditlog.
void RegisterOAuthAppRoutes(http::Router& router, const Auth& auth, oauth::Apps& apps);

struct OAuthServerLimits {
  int64_t token_requests_per_client_per_minute = 120;
  int64_t token_requests_per_address_per_minute = 600;
};

// /.well-known/oauth-authorization-server, /.well-known/jwks.json, /oauth/token,
// /oauth/introspect, /oauth/revoke, /oauth/authorize (and its form posts).
void RegisterOAuthServerRoutes(http::Router& router, oauth::TokenService& tokens, oauth::Apps& apps,
                               oauth::SigningKeys& keys, workspace::Sessions& sessions,
                               const Clock& clock, const OAuthServerLimits& limits);

}  // namespace arenite::api
