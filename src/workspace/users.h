// Workspaces and their users. A user belongs to one workspace; the same email may have an
// account in several. PERSON users sign in with a password; MACHINE users stand for an OAuth
// app's client-credentials access and never sign in. Thread-safe; every call is one store
// transaction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"
#include "workspace/principal.h"

namespace arenite::workspace {

struct Workspace {
  std::string guid;
  std::string name;
  std::optional<int64_t> request_limit;  // per 24 h; none means the server's default
  int64_t created_at = 0;
};

struct User {
  std::string guid;
  std::string workspace_id;
  std::string email;
  std::string full_name;
  Role role = Role::kViewer;
  std::string kind = "PERSON";
  bool active = true;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct NewUser {
  std::string email;
  std::string full_name;
  Role role = Role::kViewer;
  std::string password;  // PERSON users only
};

struct UserChange {
  std::optional<std::string> full_name;
  std::optional<Role> role;
  std::optional<bool> active;
  std::optional<std::string> password;
};

// Lowercases and trims an email, or fails for text that is not an address.
Result<std::string> NormalizeEmail(std::string_view email);

class Users {
 public:
  Users(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  // Creates a workspace with its first administrator.
  Result<std::pair<Workspace, User>> CreateWorkspace(const std::string& name, const NewUser& admin);
  Result<Workspace> GetWorkspace(const std::string& guid);
  Result<std::vector<Workspace>> ListWorkspaces();

  Result<User> Create(const std::string& workspace_id, const NewUser& user);
  // A machine user for an OAuth app, created in the caller's transaction.
  Result<User> CreateMachineUser(store::Tx& tx, const std::string& workspace_id,
                                 const std::string& name, Role role);
  Result<User> Get(const std::string& workspace_id, const std::string& guid);
  Result<std::vector<User>> List(const std::string& workspace_id, int64_t offset, int64_t limit);
  Result<User> Update(const std::string& workspace_id, const std::string& guid,
                      const UserChange& change);

  // PERSON accounts with this email, active or not, with their password hashes; for sign-in.
  struct Account {
    User user;
    std::string password_hash;
    std::string workspace_name;
  };
  Result<std::vector<Account>> FindAccounts(const std::string& email);

 private:
  store::Store& store_;
  const Clock& clock_;
};

User ReadUser(const store::Row& row);  // columns as in kUserColumns
extern const char kUserColumns[];

}  // namespace arenite::workspace
