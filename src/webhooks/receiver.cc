#include "webhooks/receiver.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <filesystem>
#include <fstream>

#include "core/crypto.h"
#include "core/json.h"
#include "core/log.h"
#include "extract/csv_reader.h"
#include "webhooks/signing.h"

namespace arenite::webhooks {
namespace {

http::Reply Refuse(std::string message) {
  log::Get("receive")->warn("delivery refused: {}", message);
  return http::ErrorReply(Unauthorized(std::move(message)));
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

// Reads one entry of an open archive; libzip checks its CRC as it reads.
Result<std::string> ReadEntry(zip_t* archive, const char* name) {
  zip_stat_t st;
  if (zip_stat(archive, name, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
    return BadRequest(std::string("the package has no ") + name);
  }
  if (st.size > (1ull << 32)) return BadRequest("a package file is too large for this receiver");
  zip_file_t* file = zip_fopen(archive, name, 0);
  if (!file) return BadRequest(std::string("cannot open ") + name + " in the package");
  std::string data(st.size, '\0');
  zip_int64_t n = zip_fread(file, data.data(), st.size);
  zip_fclose(file);
  if (n < 0 || static_cast<zip_uint64_t>(n) != st.size) {
    return BadRequest(std::string("cannot read ") + name + " (damaged or CRC mismatch)");
  }
  return data;
}

struct ViewData {
  std::string table;
  extract::CsvRow header;
  std::vector<extract::CsvRow> rows;
};

// Creates the view's table, adding columns a newer package brings.
Status EnsureTable(store::Tx& tx, const ViewData& v) {
  std::string create =
      "CREATE TABLE IF NOT EXISTS " + QuoteIdentifier(v.table) + " (\"Guid\" TEXT PRIMARY KEY";
  for (size_t i = 2; i < v.header.size(); ++i)
    create += ", " + QuoteIdentifier(v.header[i]) + " TEXT";
  create += ")";
  ARENITE_RETURN_IF_ERROR(tx.Exec(create));
  std::set<std::string> existing;
  ARENITE_RETURN_IF_ERROR(
      tx.Query("SELECT name FROM pragma_table_info(?)", {v.table}, [&](const store::Row& r) {
        existing.insert(r.String(0));
        return true;
      }));
  for (size_t i = 2; i < v.header.size(); ++i) {
    if (existing.count(v.header[i])) continue;
    ARENITE_RETURN_IF_ERROR(tx.Exec("ALTER TABLE " + QuoteIdentifier(v.table) + " ADD COLUMN " +
                                    QuoteIdentifier(v.header[i]) + " TEXT"));
  }
  return OkStatus();
}

Status ApplyView(store::Tx& tx, const ViewData& v) {
  ARENITE_RETURN_IF_ERROR(EnsureTable(tx, v));
  std::string columns = "\"Guid\"", placeholders = "?", updates;
  for (size_t i = 2; i < v.header.size(); ++i) {
    std::string q = QuoteIdentifier(v.header[i]);
    columns += ", " + q;
    placeholders += ", ?";
    updates += (updates.empty() ? "" : ", ") + q + " = excluded." + q;
  }
  std::string upsert = "INSERT INTO " + QuoteIdentifier(v.table) + " (" + columns + ") VALUES (" +
                       placeholders + ") ON CONFLICT(\"Guid\") DO " +
                       (updates.empty() ? "NOTHING" : "UPDATE SET " + updates);
  std::string remove = "DELETE FROM " + QuoteIdentifier(v.table) + " WHERE \"Guid\" = ?";
  for (const auto& row : v.rows) {
    if (row.size() != v.header.size())
      return BadRequest("a CSV row has the wrong number of fields");
    if (row[0] == "DELETE") {
      ARENITE_RETURN_IF_ERROR(tx.Exec(remove, {row[1]}));
    } else if (row[0] == "INSERT" || row[0] == "UPDATE") {
      store::Params params;
      for (size_t i = 1; i < row.size(); ++i) params.emplace_back(row[i]);
      ARENITE_RETURN_IF_ERROR(tx.Exec(upsert, params));
    } else {
      return BadRequest("a row's Trans Type is not INSERT, UPDATE or DELETE");
    }
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<Receiver>> Receiver::Open(ReceiverOptions options, const Clock& clock) {
  std::unique_ptr<Receiver> r(new Receiver(std::move(options), clock));
  auto key = SigningKey(r->options_.signing_secret);
  if (!key) return BadRequest("--signing-secret must be whsec_ followed by base64");
  r->key_ = *key;
  std::error_code ec;
  std::filesystem::create_directories(r->options_.out_dir, ec);
  if (ec) return Internal("cannot create " + r->options_.out_dir);
  ARENITE_ASSIGN_OR_RETURN(r->replica_,
                           store::OpenSqlite({.path = r->options_.out_dir + "/replica.db"}));
  ARENITE_RETURN_IF_ERROR(r->replica_->Migrate(
      {{1, "receiver bookkeeping",
        "CREATE TABLE received (webhook_id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
        "received_at INTEGER NOT NULL, sequence_to INTEGER)"}}));
  ARENITE_RETURN_IF_ERROR(r->LoadSeen());
  return r;
}

Receiver::~Receiver() {
  if (events_fd_ >= 0) ::close(events_fd_);
}

// The ids already taken: packages from the replica, events from events.jsonl itself, so that a
// crash between writing a line and recording its id cannot write the event twice. A line cut
// short by a crash is dropped.
Status Receiver::LoadSeen() {
  std::string path = options_.out_dir + "/events.jsonl";
  std::string content;
  {
    std::ifstream in(path, std::ios::binary);
    if (in) content.assign(std::istreambuf_iterator<char>(in), {});
  }
  size_t good = 0, start = 0;
  while (start < content.size()) {
    size_t nl = content.find('\n', start);
    if (nl == std::string::npos) break;
    auto line = json::Parse(std::string_view(content).substr(start, nl - start));
    if (line.ok() && line->is_object() && line->contains("webhookId")) {
      seen_.insert(json::StringOr(*line, "webhookId"));
    }
    start = good = nl + 1;
  }
  events_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (events_fd_ < 0) return Internal("cannot open " + path);
  if (good < content.size() && ::ftruncate(events_fd_, static_cast<off_t>(good)) != 0) {
    return Internal("cannot repair " + path);
  }
  return replica_->Read([&](store::Tx& tx) {
    return tx.Query("SELECT webhook_id FROM received", {}, [&](const store::Row& row) {
      seen_.insert(row.String(0));
      return true;
    });
  });
}

http::Reply Receiver::Handle(http::Request& request) {
  auto id = request.Header("webhook-id");
  auto timestamp = request.Header("webhook-timestamp");
  auto signature = request.Header("webhook-signature");
  if (!id || !timestamp || !signature || id->empty() || id->size() > 256) {
    return Refuse("the Standard Webhooks headers are missing");
  }
  Verdict verdict = Verify(key_, *id, *timestamp, *signature, request.body, clock_.Now(),
                           options_.tolerance_seconds);
  if (verdict == Verdict::kStaleTimestamp) return Refuse("the timestamp is not within 5 minutes");
  if (verdict != Verdict::kValid) return Refuse("the signature does not match");
  if (options_.check_bearer) {
    // A second field would go unchecked (RFC 6750 section 3.1: one method, one token).
    if (request.headers.Count("Authorization") > 1) {
      return Refuse("the bearer token is not valid: more than one Authorization header");
    }
    Status bearer = options_.check_bearer(request.Header("Authorization"));
    if (!bearer.ok()) return Refuse("the bearer token is not valid: " + bearer.error().message);
  }

  std::lock_guard lock(mu_);
  std::string webhook_id(*id);
  if (seen_.count(webhook_id)) {
    return http::JsonReply(200, {{"received", true}, {"duplicate", true}});
  }
  auto type = request.Header("Content-Type");
  bool package = type && type->substr(0, 15) == "application/zip";
  return package ? AcceptPackage(webhook_id, request.body) : AcceptEvent(webhook_id, request);
}

http::Reply Receiver::AcceptEvent(const std::string& id, const http::Request& request) {
  auto body = json::ParseObject(request.body);
  if (!body.ok()) return http::ErrorReply(body.error());
  if (json::StringOr(*body, "type") == "extract.package" && !options_.fetch_package) {
    // The package would be lost if this were taken as a plain event: 503, so that the sender
    // keeps it and tries again, and its delivery log says why.
    log::Get("receive")->warn("package {} is too large to be sent and cannot be fetched", id);
    return http::ErrorReply(MakeError(
        503, kErrUnavailable,
        "this receiver cannot fetch a package too large to be sent: start it with --issuer, "
        "--client-id and --client-secret-file"));
  }
  if (json::StringOr(*body, "type") == "extract.package") {
    // A package too large to send: fetched from its URL and applied like a delivered one. A
    // failure is 503, so that the sender tries again later.
    const json::Json& data = (*body)["data"];
    auto package = options_.fetch_package(json::StringOr(data, "downloadUrl"));
    if (!package.ok()) {
      log::Get("receive")->warn("cannot fetch package {}: {}", id, package.error().message);
      return http::ErrorReply(MakeError(503, kErrUnavailable, package.error().message));
    }
    if (data.contains("size") && data["size"].is_number_integer() &&
        static_cast<int64_t>(package->size()) != data["size"].get<int64_t>()) {
      return http::ErrorReply(
          MakeError(503, kErrUnavailable, "the downloaded package does not have its size"));
    }
    return AcceptPackage(id, *package);
  }
  json::Json line = {{"webhookId", id},
                     {"receivedDateTime", FormatDateTime(clock_.Now())},
                     {"type", json::StringOr(*body, "type")},
                     {"event", *body}};
  std::string text = line.dump(-1, ' ', false, json::Json::error_handler_t::replace) + "\n";
  if (::write(events_fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::fdatasync(events_fd_) != 0) {
    return http::ErrorReply(MakeError(503, kErrUnavailable, "cannot write events.jsonl"));
  }
  seen_.insert(id);
  log::Get("receive")->info("event {} ({}) written", id, json::StringOr(*body, "type"));
  return http::JsonReply(200, {{"received", true}});
}

http::Reply Receiver::AcceptPackage(const std::string& id, std::string_view body) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(body.data(), body.size(), 0, &error);
  zip_t* archive =
      source ? zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error) : nullptr;
  if (!archive) {
    if (source) zip_source_free(source);
    zip_error_fini(&error);
    return http::ErrorReply(BadRequest("the body is not a ZIP package"));
  }
  auto close = [&] { zip_discard(archive); };

  auto manifest_text = ReadEntry(archive, "manifest.json");
  if (!manifest_text.ok()) {
    close();
    return http::ErrorReply(manifest_text.error());
  }
  auto manifest = json::ParseObject(*manifest_text);
  if (!manifest.ok() || !(*manifest)["files"].is_array()) {
    close();
    return http::ErrorReply(BadRequest("the package's manifest.json is not valid"));
  }
  extract::CsvFormat format = json::StringOr(*manifest, "format", "RFC4180") == "DATAEXTRACT"
                                  ? extract::CsvFormat::kDataExtract
                                  : extract::CsvFormat::kRfc4180;
  std::vector<ViewData> views;
  for (const auto& f : (*manifest)["files"]) {
    std::string name = json::StringOr(f, "name"), view = json::StringOr(f, "view");
    auto data = ReadEntry(archive, name.c_str());
    if (!data.ok()) {
      close();
      return http::ErrorReply(data.error());
    }
    if (!crypto::ConstantTimeEquals(crypto::Sha256Hex(*data), json::StringOr(f, "sha256"))) {
      close();
      return http::ErrorReply(BadRequest(name + " does not match its SHA-256 in the manifest"));
    }
    auto rows = extract::ParseCsv(*data, format);
    if (!rows.ok() || rows->empty() || rows->front().size() < 2 ||
        rows->front()[0] != "Trans Type" || rows->front()[1] != "Guid") {
      close();
      return http::ErrorReply(BadRequest(name + " is not a DataExtract CSV"));
    }
    ViewData v{view.empty() ? name : view, std::move(rows->front()), {}};
    v.rows.assign(std::make_move_iterator(rows->begin() + 1), std::make_move_iterator(rows->end()));
    auto declared = f.is_object() ? f.find("rows") : f.end();
    if (!f.is_object() || declared == f.end() || !declared->is_number_integer() ||
        static_cast<int64_t>(v.rows.size()) != declared->get<int64_t>()) {
      close();
      return http::ErrorReply(BadRequest(name + " does not have the rows its manifest says"));
    }
    views.push_back(std::move(v));
  }
  close();

  std::optional<int64_t> sequence_to;
  if (manifest->contains("sequenceTo") && (*manifest)["sequenceTo"].is_number_integer()) {
    sequence_to = (*manifest)["sequenceTo"].get<int64_t>();
  }
  Status applied = replica_->Write([&](store::Tx& tx) -> Status {
    for (const ViewData& v : views) ARENITE_RETURN_IF_ERROR(ApplyView(tx, v));
    return tx.Exec(
                 "INSERT INTO received (webhook_id, kind, received_at, sequence_to) VALUES (?, "
                 "'package', ?, ?)",
                 {id, clock_.Now(), store::Nullable(sequence_to)})
                   .ok()
               ? OkStatus()
               : Internal("cannot record the package");
  });
  if (!applied.ok()) return http::ErrorReply(applied.error());
  seen_.insert(id);
  log::Get("receive")->info("package {} applied ({} files)", id, views.size());
  return http::JsonReply(200, {{"received", true}, {"files", views.size()}});
}

}  // namespace arenite::webhooks
