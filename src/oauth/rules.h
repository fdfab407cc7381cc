// The pure rules of the authorization server: which scopes exist, what a registrable redirect
// URI is and how a requested one matches (RFC 6749 3.1.2, RFC 8252 7.3), PKCE S256 (RFC 7636),
// and the decoding of client credentials sent with HTTP Basic (RFC 6749 2.3.1). No state; every
// function is thread-safe.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "workspace/principal.h"

namespace arenite::oauth {

using ScopeSet = std::set<std::string, std::less<>>;

// Every scope the server knows, in the order of the metadata document.
const std::vector<std::string>& AllScopes();
bool IsKnownScope(std::string_view scope);
// Parses a space-separated scope parameter; nullopt when a token is unknown or malformed.
std::optional<ScopeSet> ParseScope(std::string_view text);
std::string JoinScopes(const ScopeSet& scopes);
// The scopes of `scopes` that `allowed` also has: what a grant or a token may still do once the
// app's own scopes bound it.
ScopeSet ScopesWithin(const ScopeSet& scopes, const ScopeSet& allowed);
// The role a client-credentials app's machine user gets: ADMIN with a settings:* scope (the
// settings endpoints are for administrators), EDITOR with any other :write scope, else VIEWER.
workspace::Role RoleForScopes(const ScopeSet& scopes);

inline constexpr std::string_view kGrantAuthorizationCode = "authorization_code";
inline constexpr std::string_view kGrantClientCredentials = "client_credentials";
inline constexpr std::string_view kGrantRefreshToken = "refresh_token";
bool IsKnownGrantType(std::string_view grant);

// A redirect URI an app may register: absolute https, or http on a loopback host (127.0.0.1,
// [::1], localhost); no fragment, no userinfo, no wildcard. The error message names the rule.
Status ValidateRedirectUri(std::string_view uri);
bool IsLoopbackRedirectUri(std::string_view uri);
// Whether `requested` matches `registered`: byte for byte, except that for a loopback http
// registration the port may differ (RFC 8252 7.3).
bool RedirectUriMatches(std::string_view registered, std::string_view requested);

// PKCE: a code_challenge is 43 base64url characters (S256 of a verifier); a verifier is 43 to
// 128 unreserved characters.
bool IsValidCodeChallenge(std::string_view challenge);
bool IsValidCodeVerifier(std::string_view verifier);
bool VerifyPkceS256(std::string_view verifier, std::string_view challenge);

// Decodes `Authorization: Basic base64(urlencode(id):urlencode(secret))`.
struct BasicCredentials {
  std::string client_id;
  std::string client_secret;
};
std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header_value);
// application/x-www-form-urlencoded decoding of one value ('+' is a space).
std::optional<std::string> FormDecode(std::string_view text);

// An error_description as RFC 6749 section 5.2 allows it: only %x20-21 / %x23-5B / %x5D-7E. A
// double quote becomes an apostrophe and any other byte outside the set (a backslash, a
// control character, each byte of non-ASCII text) a question mark.
std::string ErrorDescription(std::string_view text);

}  // namespace arenite::oauth
