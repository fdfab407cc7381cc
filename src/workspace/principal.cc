#include "workspace/principal.h"

namespace arenite::workspace {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "ADMIN";
    case Role::kEditor:
      return "EDITOR";
    case Role::kViewer:
      return "VIEWER";
  }
  return "VIEWER";
}

bool ParseRole(std::string_view name, Role* role) {
  if (name == "ADMIN") {
    *role = Role::kAdmin;
  } else if (name == "EDITOR") {
    *role = Role::kEditor;
  } else if (name == "VIEWER") {
    *role = Role::kViewer;
  } else {
    return false;
  }
  return true;
}

std::string Principal::Actor() const {
  if (kind == AuthKind::kBearer && !client_id.empty()) return "app:" + client_id;
  return "user:" + user_id;
}

}  // namespace arenite::workspace
