#include "oauth/rules.h"

#include <strings.h>

#include <algorithm>

#include "core/crypto.h"
#include "core/percent.h"

namespace arenite::oauth {
namespace {

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

struct SplitUri {
  std::string_view scheme;     // as written
  std::string_view authority;  // between "//" and the path
  std::string_view rest;       // path, query and fragment
};

std::optional<SplitUri> Split(std::string_view uri) {
  size_t colon = uri.find("://");
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  SplitUri s;
  s.scheme = uri.substr(0, colon);
  std::string_view after = uri.substr(colon + 3);
  size_t end = after.find_first_of("/?#");
  s.authority = after.substr(0, end);
  s.rest = end == std::string_view::npos ? std::string_view() : after.substr(end);
  return s;
}

// Host and port of an authority without userinfo; false when malformed.
bool SplitAuthority(std::string_view authority, std::string_view* host, std::string_view* port) {
  if (authority.empty() || authority.find('@') != std::string_view::npos) return false;
  size_t host_end;
  if (authority.front() == '[') {
    host_end = authority.find(']');
    if (host_end == std::string_view::npos) return false;
    ++host_end;
  } else {
    host_end = authority.find(':');
    if (host_end == std::string_view::npos) host_end = authority.size();
  }
  *host = authority.substr(0, host_end);
  std::string_view p = authority.substr(host_end);
  if (!p.empty()) {
    if (p.front() != ':') return false;
    p.remove_prefix(1);
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoi(std::string(p)) > 65535) {
      return false;
    }
  }
  *port = p;
  return !host->empty();
}

bool IsLoopbackHost(std::string_view host) {
  return host == "127.0.0.1" || host == "[::1]" || host == "localhost";
}

}  // namespace

const std::vector<std::string>& AllScopes() {
  static const std::vector<std::string> kScopes = {
      "items:read",     "items:write",     "changes:read",  "changes:write",
      "suppliers:read", "suppliers:write", "extracts:read", "extracts:write",
      "webhooks:read",  "webhooks:write",  "settings:read", "settings:write"};
  return kScopes;
}

bool IsKnownScope(std::string_view scope) {
  for (const auto& s : AllScopes()) {
    if (s == scope) return true;
  }
  return false;
}

std::optional<ScopeSet> ParseScope(std::string_view text) {
  ScopeSet out;
  while (!text.empty()) {
    size_t space = text.find(' ');
    std::string_view token = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    if (token.empty()) continue;
    if (!IsKnownScope(token)) return std::nullopt;
    out.emplace(token);
  }
  return out;
}

ScopeSet ScopesWithin(const ScopeSet& scopes, const ScopeSet& allowed) {
  ScopeSet out;
  for (const auto& s : scopes) {
    if (allowed.count(s)) out.insert(s);
  }
  return out;
}

std::string JoinScopes(const ScopeSet& scopes) {
  // In the canonical order of AllScopes, so the same set always reads the same. A set holds a
  // few scopes: comparing for equality (lengths first) beats a tree lookup of each known one.
  std::string out;
  if (scopes.size() == 1) {
    if (IsKnownScope(*scopes.begin())) out = *scopes.begin();
    return out;
  }
  for (const auto& s : AllScopes()) {
    if (std::find(scopes.begin(), scopes.end(), s) == scopes.end()) continue;
    if (!out.empty()) out.push_back(' ');
    out += s;
  }
  return out;
}

workspace::Role RoleForScopes(const ScopeSet& scopes) {
  // Every settings endpoint (webhooks are Workspace Settings too) is for administrators; the
  // scopes still bound what the app may do.
  for (const char* admin : {"settings:read", "settings:write", "webhooks:read", "webhooks:write"}) {
    if (scopes.count(admin)) return workspace::Role::kAdmin;
  }
  for (const auto& s : scopes) {
    if (s.size() > 6 && s.compare(s.size() - 6, 6, ":write") == 0) return workspace::Role::kEditor;
  }
  return workspace::Role::kViewer;
}

bool IsKnownGrantType(std::string_view grant) {
  return grant == kGrantAuthorizationCode || grant == kGrantClientCredentials ||
         grant == kGrantRefreshToken;
}

Status ValidateRedirectUri(std::string_view uri) {
  auto bad = [&](std::string_view why) {
    return BadRequest(
        "The redirect URI \"" + std::string(uri.substr(0, 200)) + "\" " + std::string(why) + ".",
        kErrInvalidValue);
  };
  if (uri.empty() || uri.size() > 2000) return bad("must be 1 to 2000 characters");
  for (unsigned char c : uri) {
    if (c <= ' ' || c >= 0x7f || c == '\\' || c == '"' || c == '<' || c == '>') {
      return bad("holds a character that must be percent-encoded");
    }
  }
  if (uri.find('#') != std::string_view::npos) return bad("must not have a fragment");
  if (uri.find('*') != std::string_view::npos) return bad("must not hold a wildcard");
  auto split = Split(uri);
  if (!split) return bad("must be an absolute URI");
  std::string_view host, port;
  if (split->authority.find('@') != std::string_view::npos) return bad("must not hold userinfo");
  if (!SplitAuthority(split->authority, &host, &port)) return bad("has no valid host");
  for (size_t i = 0; i < split->rest.size(); ++i) {
    if (split->rest[i] == '%' &&
        (i + 2 >= split->rest.size() || HexDigitValue(split->rest[i + 1]) < 0 ||
         HexDigitValue(split->rest[i + 2]) < 0)) {
      return bad("holds a broken percent-escape");
    }
  }
  if (split->scheme == "https") return OkStatus();
  if (split->scheme == "http" && IsLoopbackHost(host)) return OkStatus();
  return bad("must use https, or http on a loopback address (127.0.0.1, [::1], localhost)");
}

bool IsLoopbackRedirectUri(std::string_view uri) {
  auto split = Split(uri);
  std::string_view host, port;
  return split && split->scheme == "http" && SplitAuthority(split->authority, &host, &port) &&
         IsLoopbackHost(host);
}

bool RedirectUriMatches(std::string_view registered, std::string_view requested) {
  if (registered == requested) return true;
  if (!IsLoopbackRedirectUri(registered)) return false;
  auto a = Split(registered);
  auto b = Split(requested);
  if (!a || !b || b->scheme != "http") return false;
  std::string_view host_a, port_a, host_b, port_b;
  if (!SplitAuthority(a->authority, &host_a, &port_a)) return false;
  if (!SplitAuthority(b->authority, &host_b, &port_b)) return false;
  return host_a == host_b && a->rest == b->rest;
}

bool IsValidCodeChallenge(std::string_view challenge) {
  if (challenge.size() != 43) return false;
  for (char c : challenge) {
    if (!IsBase64UrlChar(c)) return false;
  }
  return true;
}

bool IsValidCodeVerifier(std::string_view verifier) {
  if (verifier.size() < 43 || verifier.size() > 128) return false;
  for (char c : verifier) {
    if (!IsUnreserved(c)) return false;
  }
  return true;
}

bool VerifyPkceS256(std::string_view verifier, std::string_view challenge) {
  if (!IsValidCodeVerifier(verifier) || !IsValidCodeChallenge(challenge)) return false;
  return crypto::ConstantTimeEquals(crypto::Base64UrlEncode(crypto::Sha256(verifier)), challenge);
}

std::optional<std::string> FormDecode(std::string_view text) { return PercentDecode(text, true); }

std::string ErrorDescription(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    auto byte = static_cast<unsigned char>(c);
    if (byte == '"') {
      c = '\'';
    } else if (byte < 0x20 || byte > 0x7e || byte == '\\') {
      c = '?';
    }
  }
  return out;
}

std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view value) {
  if (value.size() < 6 || strncasecmp(value.data(), "Basic ", 6) != 0) return std::nullopt;
  value.remove_prefix(6);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.size() > 4096) return std::nullopt;
  auto decoded = crypto::Base64Decode(value);
  if (!decoded) return std::nullopt;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  auto id = FormDecode(std::string_view(*decoded).substr(0, colon));
  auto secret = FormDecode(std::string_view(*decoded).substr(colon + 1));
  if (!id || !secret || id->empty()) return std::nullopt;
  return BasicCredentials{std::move(*id), std::move(*secret)};
}

}  // namespace arenite::oauth
