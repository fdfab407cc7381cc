// arenite: a self-hosted workspace data service in the manner of Arena PLM. This file only
// dispatches to the subcommands in cli/.
#include <CLI/CLI.hpp>

#include <csignal>

#include "cli/commands.h"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"arenite: workspace data, OAuth 2.0, DataExtract and webhooks in one binary"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  int exit_code = 0;
  arenite::cli::AddInitCommand(app, exit_code);
  arenite::cli::AddServeCommand(app, exit_code);
  arenite::cli::AddReceiveCommand(app, exit_code);
  arenite::cli::AddDemoDataCommand(app, exit_code);
  arenite::cli::AddKeysCommand(app, exit_code);
  arenite::cli::AddExtractCommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int status = app.exit(e);
    // --help is not an error; every other parse failure is bad usage.
    return status == 0 ? 0 : 2;
  }
  return exit_code;
}
