#include <sys/stat.h>

#include <boost/asio/ip/address.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "extract/extracts.h"
#include "oauth/schema.h"
#include "plm/schema.h"
#include "webhooks/webhooks.h"
#include "workspace/schema.h"

namespace arenite::cli {

std::vector<store::Migration> AllMigrations() {
  std::vector<store::Migration> all;
  auto add = [&all](const std::vector<store::Migration>& more) {
    all.insert(all.end(), more.begin(), more.end());
  };
  add(workspace::Migrations());
  add(plm::Migrations());
  add(oauth::Migrations());
  add(extract::Migrations());
  add(webhooks::Migrations());
  return all;
}

Result<std::unique_ptr<store::Store>> OpenDataDir(const std::string& dir, bool create,
                                                  const store::SqliteOptions& tuning) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string db = dir + "/arenite.db";
  if (!fs::exists(db, ec)) {
    if (!create) {
      return BadRequest("no arenite data in " + dir + "; run `arenite init` first");
    }
    fs::create_directories(dir, ec);
    if (ec) return Internal("cannot create the data directory " + dir + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
  }
  store::SqliteOptions options = tuning;
  options.path = db;
  ARENITE_ASSIGN_OR_RETURN(auto store, store::OpenSqlite(options));
  ARENITE_RETURN_IF_ERROR(store->Migrate(AllMigrations()));
  return store;
}

Result<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return BadRequest("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string secret = buffer.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  return secret;
}

bool SplitHostPort(const std::string& listen, std::string* host, uint16_t* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 >= listen.size()) return false;
  std::string h = listen.substr(0, colon), p = listen.substr(colon + 1);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  int n = std::stoi(p);
  if (n > 65535) return false;
  boost::system::error_code ec;
  boost::asio::ip::make_address(h, ec);
  if (ec) return false;
  *host = h;
  *port = static_cast<uint16_t>(n);
  return true;
}

}  // namespace arenite::cli
