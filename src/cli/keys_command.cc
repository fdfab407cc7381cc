#include <iostream>

#include "cli/commands.h"
#include "core/clock.h"
#include "core/json.h"
#include "oauth/keys.h"

namespace arenite::cli {

void AddKeysCommand(CLI::App& app, int& exit_code) {
  CLI::App* keys = app.add_subcommand("keys", "Manage the OAuth server's signing keys");
  keys->require_subcommand(1);
  auto data_dir = std::make_shared<std::string>();
  CLI::App* rotate = keys->add_subcommand(
      "rotate",
      "Add a new current ES256 signing key; the previous one stays in the JWKS until every "
      "token it signed has expired");
  rotate->add_option("--data-dir", *data_dir, "The data directory")->required();
  rotate->callback([data_dir, &exit_code] {
    auto store = OpenDataDir(*data_dir, false);
    if (!store.ok()) {
      std::cerr << "arenite keys rotate: " << store.error().message << "\n";
      exit_code = 1;
      return;
    }
    SystemClock clock;
    auto kid = oauth::SigningKeys::Rotate(**store, clock);
    if (!kid.ok()) {
      std::cerr << "arenite keys rotate: " << kid.error().message << "\n";
      exit_code = 1;
      return;
    }
    std::cout << json::Json{{"kid", *kid}}.dump() << std::endl;
    exit_code = 0;
  });
}

}  // namespace arenite::cli
