#include <iostream>

#include "cli/commands.h"
#include "core/clock.h"
#include "core/json.h"
#include "workspace/users.h"

namespace arenite::cli {

void AddInitCommand(CLI::App& app, int& exit_code) {
  struct Options {
    std::string data_dir, workspace, email, password_file;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("init", "Create a data directory, or add a workspace to one");
  cmd->add_option("--data-dir", opts->data_dir, "The data directory")->required();
  cmd->add_option("--workspace", opts->workspace, "The new workspace's name")->required();
  cmd->add_option("--admin-email", opts->email, "Its first administrator's email")->required();
  cmd->add_option("--admin-password-file", opts->password_file,
                  "A file holding the administrator's password")
      ->required();
  cmd->callback([opts, &exit_code] {
    auto password = ReadSecretFile(opts->password_file);
    if (!password.ok()) {
      std::cerr << "arenite init: " << password.error().message << "\n";
      exit_code = 1;
      return;
    }
    auto store = OpenDataDir(opts->data_dir, true);
    if (!store.ok()) {
      std::cerr << "arenite init: " << store.error().message << "\n";
      exit_code = 1;
      return;
    }
    SystemClock clock;
    workspace::Users users(**store, clock);
    workspace::NewUser admin{opts->email, "", workspace::Role::kAdmin, *password};
    auto created = users.CreateWorkspace(opts->workspace, admin);
    if (!created.ok()) {
      std::cerr << "arenite init: " << created.error().message << "\n";
      exit_code = 1;
      return;
    }
    std::cout << json::Json{{"workspaceId", created->first.guid},
                            {"userId", created->second.guid}}
                     .dump()
              << std::endl;
    exit_code = 0;
  });
}

}  // namespace arenite::cli
