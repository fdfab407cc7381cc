// The `arenite` subcommands. Each Add*Command registers one subcommand on the CLI11 app; when it
// runs it stores its exit status in `exit_code` (0 success, 1 failure, 2 bad usage).
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "core/json.h"
#include "core/result.h"
#include "store/store.h"

namespace arenite::cli {

void AddInitCommand(CLI::App& app, int& exit_code);
void AddServeCommand(CLI::App& app, int& exit_code);
void AddReceiveCommand(CLI::App& app, int& exit_code);
void AddDemoDataCommand(CLI::App& app, int& exit_code);

// Fills a workspace with `items` demo items and their BOMs, suppliers and changes, created by
// its first administrator; answers the counts of what was made.
Result<json::Json> FillDemoWorkspace(store::Store& store, const std::string& workspace,
                                     int64_t items, uint64_t seed);
void AddKeysCommand(CLI::App& app, int& exit_code);
void AddExtractCommand(CLI::App& app, int& exit_code);

// Opens (creating when asked) DIR/arenite.db and applies every component's migrations.
// `tuning` sets the store's other options (its path is ignored).
Result<std::unique_ptr<store::Store>> OpenDataDir(const std::string& dir, bool create,
                                                  const store::SqliteOptions& tuning = {});

// Every component's schema, in one list; add a component's migrations here.
std::vector<store::Migration> AllMigrations();

// Splits HOST:PORT ([v6]:PORT for IPv6); false unless HOST is an IP address and PORT a number.
bool SplitHostPort(const std::string& listen, std::string* host, uint16_t* port);

// Reads a secret from a file, without its trailing newline.
Result<std::string> ReadSecretFile(const std::string& path);

}  // namespace arenite::cli
