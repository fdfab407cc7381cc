// Who is making a request: a signed-in user (session or browser cookie) or an OAuth client
// holding a bearer token, always inside exactly one workspace. Built by the API's
// authentication step and passed by const reference to handlers.
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace arenite::workspace {

enum class Role { kViewer = 0, kEditor = 1, kAdmin = 2 };

std::string_view RoleName(Role role);
// "ADMIN", "EDITOR" or "VIEWER"; false for anything else.
bool ParseRole(std::string_view name, Role* role);

enum class AuthKind { kSession, kCookie, kBearer };

struct Principal {
  AuthKind kind = AuthKind::kSession;
  std::string workspace_id;
  std::string user_id;  // the user, or for client credentials the app's machine user
  Role role = Role::kViewer;
  // Bearer tokens only: the OAuth client and the scopes granted. Sessions hold every scope.
  std::string client_id;
  std::set<std::string, std::less<>> scopes;
  std::string token_id;  // jti of a bearer token, hash of a session token

  bool HasScope(std::string_view scope) const {
    return kind != AuthKind::kBearer || scopes.count(scope) > 0;
  }
  // The actor recorded on events and audit entries: "user:<guid>" or "app:<clientId>".
  std::string Actor() const;
};

}  // namespace arenite::workspace
