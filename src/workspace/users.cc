#include "workspace/users.h"

#include "core/guid.h"
#include "workspace/passwords.h"

namespace arenite::workspace {

const char kUserColumns[] =
    "guid, workspace_guid, email, full_name, role, kind, active, created_at, updated_at";

User ReadUser(const store::Row& row) {
  User u;
  u.guid = row.String(0);
  u.workspace_id = row.String(1);
  u.email = row.String(2);
  u.full_name = row.String(3);
  ParseRole(row.Text(4), &u.role);
  u.kind = row.String(5);
  u.active = row.Int(6) != 0;
  u.created_at = row.Int(7);
  u.updated_at = row.Int(8);
  return u;
}

Result<std::string> NormalizeEmail(std::string_view email) {
  while (!email.empty() && (email.front() == ' ' || email.front() == '\t')) email.remove_prefix(1);
  while (!email.empty() && (email.back() == ' ' || email.back() == '\t')) email.remove_suffix(1);
  size_t at = email.find('@');
  if (email.size() > 254 || at == std::string_view::npos || at == 0 || at + 1 >= email.size() ||
      email.find('@', at + 1) != std::string_view::npos) {
    return BadRequest("the value for the attribute \"email\" is not valid", kErrInvalidValue);
  }
  std::string out;
  for (unsigned char c : email) {
    if (c <= ' ' || c == 0x7f) {
      return BadRequest("the value for the attribute \"email\" is not valid", kErrInvalidValue);
    }
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  }
  return out;
}

namespace {

Status ValidateName(std::string_view name, std::string_view field) {
  if (name.empty() || name.size() > 200) {
    return BadRequest("the value for the attribute \"" + std::string(field) +
                          "\" must be 1 to 200 characters",
                      kErrInvalidValue);
  }
  return OkStatus();
}

Result<User> InsertUser(store::Tx& tx, const std::string& workspace_id, const NewUser& in,
                        const std::string& kind, const std::optional<std::string>& hash,
                        int64_t now) {
  User u;
  u.guid = NewGuid();
  u.workspace_id = workspace_id;
  u.email = in.email;
  u.full_name = in.full_name;
  u.role = in.role;
  u.kind = kind;
  u.created_at = u.updated_at = now;
  auto inserted = tx.Exec(
      "INSERT INTO users (guid, workspace_guid, email, full_name, role, kind, password_hash, "
      "active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
      {u.guid, workspace_id, u.email, u.full_name, std::string(RoleName(u.role)), kind,
       store::Nullable(hash), now, now});
  if (!inserted.ok()) {
    if (inserted.error().code == store::kErrUniqueViolation) {
      return Conflict("a user with this email already exists in the workspace", kErrDuplicate);
    }
    return std::move(inserted).error();
  }
  return u;
}

Result<NewUser> Prepare(const NewUser& in, bool needs_password) {
  NewUser out = in;
  ARENITE_ASSIGN_OR_RETURN(out.email, NormalizeEmail(in.email));
  if (out.full_name.empty()) out.full_name = out.email;
  ARENITE_RETURN_IF_ERROR(ValidateName(out.full_name, "fullName"));
  if (needs_password) ARENITE_RETURN_IF_ERROR(CheckPasswordPolicy(in.password));
  return out;
}

// True when the workspace would keep no active administrator without `user_guid`.
Result<bool> IsLastAdmin(store::Tx& tx, const std::string& workspace_id,
                         const std::string& user_guid) {
  ARENITE_ASSIGN_OR_RETURN(
      auto others,
      tx.QueryInt("SELECT COUNT(*) FROM users WHERE workspace_guid = ? AND role = 'ADMIN' AND "
                  "active = 1 AND kind = 'PERSON' AND guid <> ?",
                  {workspace_id, user_guid}));
  return others.value_or(0) == 0;
}

}  // namespace

Result<std::pair<Workspace, User>> Users::CreateWorkspace(const std::string& name,
                                                          const NewUser& admin_in) {
  ARENITE_RETURN_IF_ERROR(ValidateName(name, "workspace"));
  NewUser admin = admin_in;
  admin.role = Role::kAdmin;
  ARENITE_ASSIGN_OR_RETURN(admin, Prepare(admin, true));
  ARENITE_ASSIGN_OR_RETURN(std::string hash, HashPassword(admin.password));
  Workspace ws{NewGuid(), name, std::nullopt, clock_.Now()};
  User user;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("INSERT INTO workspaces (guid, name, created_at) VALUES (?, ?, ?)",
                {ws.guid, ws.name, ws.created_at}));
    ARENITE_ASSIGN_OR_RETURN(user, InsertUser(tx, ws.guid, admin, "PERSON", hash, ws.created_at));
    return OkStatus();
  }));
  return std::make_pair(ws, user);
}

Result<Workspace> Users::GetWorkspace(const std::string& guid) {
  std::optional<Workspace> found;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query("SELECT guid, name, request_limit, created_at FROM workspaces WHERE guid = ?",
                    {guid}, [&](const store::Row& row) {
                      found = Workspace{row.String(0), row.String(1), row.OptInt(2), row.Int(3)};
                      return false;
                    });
  }));
  if (!found) return NotFound("the workspace does not exist");
  return *found;
}

Result<std::vector<Workspace>> Users::ListWorkspaces() {
  std::vector<Workspace> out;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query("SELECT guid, name, request_limit, created_at FROM workspaces ORDER BY "
                    "created_at, guid",
                    {}, [&](const store::Row& row) {
                      out.push_back({row.String(0), row.String(1), row.OptInt(2), row.Int(3)});
                      return true;
                    });
  }));
  return out;
}

Result<User> Users::Create(const std::string& workspace_id, const NewUser& in) {
  ARENITE_ASSIGN_OR_RETURN(NewUser user, Prepare(in, true));
  ARENITE_ASSIGN_OR_RETURN(std::string hash, HashPassword(user.password));
  User created;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(created,
                             InsertUser(tx, workspace_id, user, "PERSON", hash, clock_.Now()));
    return OkStatus();
  }));
  return created;
}

Result<User> Users::CreateMachineUser(store::Tx& tx, const std::string& workspace_id,
                                      const std::string& name, Role role) {
  NewUser user{"app-" + NewGuid() + "@machine.arenite", name, role, ""};
  return InsertUser(tx, workspace_id, user, "MACHINE", std::nullopt, clock_.Now());
}

Result<User> Users::Get(const std::string& workspace_id, const std::string& guid) {
  std::optional<User> found;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(std::string("SELECT ") + kUserColumns +
                        " FROM users WHERE workspace_guid = ? AND guid = ?",
                    {workspace_id, guid}, [&](const store::Row& row) {
                      found = ReadUser(row);
                      return false;
                    });
  }));
  if (!found) return NotFound("the requested user is not found");
  return *found;
}

Result<std::vector<User>> Users::List(const std::string& workspace_id, int64_t offset,
                                      int64_t limit) {
  std::vector<User> out;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(std::string("SELECT ") + kUserColumns +
                        " FROM users WHERE workspace_guid = ? AND kind = 'PERSON' "
                        "ORDER BY created_at, guid LIMIT ? OFFSET ?",
                    {workspace_id, limit, offset}, [&](const store::Row& row) {
                      out.push_back(ReadUser(row));
                      return true;
                    });
  }));
  return out;
}

Result<User> Users::Update(const std::string& workspace_id, const std::string& guid,
                           const UserChange& change) {
  if (change.full_name) ARENITE_RETURN_IF_ERROR(ValidateName(*change.full_name, "fullName"));
  std::optional<std::string> hash;
  if (change.password) {
    ARENITE_RETURN_IF_ERROR(CheckPasswordPolicy(*change.password));
    ARENITE_ASSIGN_OR_RETURN(hash, HashPassword(*change.password));
  }
  std::optional<User> updated;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    std::optional<User> current;
    ARENITE_RETURN_IF_ERROR(tx.Query(std::string("SELECT ") + kUserColumns +
                                         " FROM users WHERE workspace_guid = ? AND guid = ? AND "
                                         "kind = 'PERSON'",
                                     {workspace_id, guid}, [&](const store::Row& row) {
                                       current = ReadUser(row);
                                       return false;
                                     }));
    if (!current) return NotFound("the requested user is not found");
    User next = *current;
    if (change.full_name) next.full_name = *change.full_name;
    if (change.role) next.role = *change.role;
    if (change.active) next.active = *change.active;
    bool loses_admin = current->role == Role::kAdmin && current->active &&
                       (next.role != Role::kAdmin || !next.active);
    if (loses_admin) {
      ARENITE_ASSIGN_OR_RETURN(bool last, IsLastAdmin(tx, workspace_id, guid));
      if (last) return Conflict("the workspace must keep at least one active administrator");
    }
    next.updated_at = clock_.Now();
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "UPDATE users SET full_name = ?, role = ?, active = ?, updated_at = ?, "
        "password_hash = COALESCE(?, password_hash) WHERE guid = ?",
        {next.full_name, std::string(RoleName(next.role)), int64_t{next.active ? 1 : 0},
         next.updated_at, store::Nullable(hash), guid}));
    // A role change or deactivation ends the user's sessions, so it takes effect at once.
    if (next.role != current->role || !next.active || hash) {
      ARENITE_RETURN_IF_ERROR(tx.Exec("DELETE FROM sessions WHERE user_guid = ?", {guid}));
    }
    updated = next;
    return OkStatus();
  }));
  return *updated;
}

Result<std::vector<Users::Account>> Users::FindAccounts(const std::string& email) {
  std::vector<Account> out;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(
        "SELECT u.guid, u.workspace_guid, u.email, u.full_name, u.role, u.kind, u.active, "
        "u.created_at, u.updated_at, u.password_hash, w.name FROM users u JOIN workspaces w ON "
        "w.guid = u.workspace_guid WHERE u.email = ? AND u.kind = 'PERSON' ORDER BY w.created_at",
        {email}, [&](const store::Row& row) {
          out.push_back({ReadUser(row), row.String(9), row.String(10)});
          return true;
        });
  }));
  return out;
}

}  // namespace arenite::workspace
