#include "extract/extracts.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <thread>

#include "core/guid.h"
#include "core/log.h"
#include "extract/package.h"
#include "extract/schedule.h"
#include "extract/views.h"
#include "plm/events.h"

namespace arenite::extract {
namespace {

constexpr char kExtractColumns[] =
    "guid, name, views_json, type, format, max_text_length, neutralize_formulas, creator, "
    "created_at, updated_at, owners_json, schedule_json, next_run_at";
constexpr char kRunColumns[] =
    "guid, extract_guid, status, failure_reason, rows_written, rows_estimate, file_guid, "
    "file_name, size, created_at, completed_at, type, started_by, files_removed_at, run_number";

constexpr size_t kMaxOwners = 20;

json::Json ExtractJson(const store::Row& row) {
  auto views = json::Parse(row.Text(2));
  auto owners = json::Parse(row.Text(10));
  json::Json owner_refs = json::Json::array();
  if (owners.ok() && owners->is_array()) {
    for (const auto& o : *owners) owner_refs.push_back({{"guid", o}});
  }
  json::Json schedule = nullptr;
  if (!row.IsNull(11)) {
    auto stored = json::Parse(row.Text(11));
    if (stored.ok()) schedule = *stored;
    if (!row.IsNull(12)) schedule["nextRunDateTime"] = FormatDateTime(row.Int(12));
  }
  return {{"guid", row.String(0)},
          {"name", row.String(1)},
          {"views", views.ok() ? *views : json::Json::array()},
          {"type", row.String(3)},
          {"format", row.String(4)},
          {"maxTextLength", row.Int(5)},
          {"neutralizeFormulas", row.Int(6) != 0},
          {"creator", row.String(7)},
          {"creationDateTime", FormatDateTime(row.Int(8))},
          {"lastModifiedDateTime", FormatDateTime(row.Int(9))},
          {"owners", owner_refs},
          {"schedule", schedule}};
}

// Adds each owner's email and full name, as the users table holds them now.
Status DescribeOwners(store::Tx& tx, const std::string& workspace, json::Json& extract) {
  for (auto& owner : extract["owners"]) {
    ARENITE_RETURN_IF_ERROR(
        tx.Query("SELECT email, full_name FROM users WHERE workspace_guid = ? AND guid = ?",
                 {workspace, owner["guid"].get<std::string>()}, [&](const store::Row& r) {
                   owner["email"] = r.String(0);
                   owner["fullName"] = r.String(1);
                   return false;
                 }));
  }
  return OkStatus();
}

struct Definition {
  std::string name;
  std::vector<std::string> views;
  std::string type = "FULL";
  std::string format = "RFC4180";
  int64_t max_text_length = 0;
  bool neutralize = false;
  std::vector<std::string> owners;  // user guids
  std::optional<Schedule> schedule;
  bool schedule_given = false;  // the body set or cleared the schedule
};

// Reads `owners`: [{"guid"}] as Arena writes references, or bare guid strings.
Result<std::optional<std::vector<std::string>>> ReadOwners(const json::Json& body) {
  auto it = body.find("owners");
  if (it == body.end() || it->is_null()) return std::optional<std::vector<std::string>>();
  if (!it->is_array()) return BadRequest("owners must be an array of users", kErrInvalidValue);
  if (it->size() > kMaxOwners) {
    return BadRequest("an extract has at most 20 owners", kErrInvalidValue);
  }
  std::vector<std::string> owners;
  for (const auto& o : *it) {
    std::string guid = o.is_string() ? o.get<std::string>() : json::StringOr(o, "guid");
    if (!IsGuid(guid)) {
      return BadRequest("each owner is a user's guid, as {\"guid\":\"...\"}", kErrInvalidGuid);
    }
    for (const auto& seen : owners) {
      if (seen == guid) return BadRequest("an owner is listed twice", kErrInvalidValue);
    }
    owners.push_back(guid);
  }
  return std::optional<std::vector<std::string>>(std::move(owners));
}

// Owners must be users of the workspace.
Status CheckOwners(store::Tx& tx, const std::string& workspace,
                   const std::vector<std::string>& owners) {
  for (const auto& guid : owners) {
    ARENITE_ASSIGN_OR_RETURN(
        bool known,
        tx.Exists("SELECT 1 FROM users WHERE workspace_guid = ? AND guid = ?", {workspace, guid}));
    if (!known) {
      return BadRequest("the owner \"" + guid + "\" is not a user of this workspace",
                        kErrInvalidValue);
    }
  }
  return OkStatus();
}

// Reads a definition from a body, over `base` for a PUT.
Result<Definition> ReadDefinition(const json::Json& body, Definition base, bool create,
                                  int64_t now) {
  ARENITE_RETURN_IF_ERROR(json::RejectUnknownFields(
      body, {"name", "views", "type", "format", "maxTextLength", "neutralizeFormulas", "guid",
             "creator", "creationDateTime", "lastModifiedDateTime", "owners", "schedule"}));
  if (create) {
    ARENITE_ASSIGN_OR_RETURN(base.name, json::RequiredString(body, "name", 200));
  } else {
    ARENITE_ASSIGN_OR_RETURN(auto name, json::OptionalString(body, "name", 200));
    if (name) base.name = *name;
  }
  if (base.name.empty()) return BadRequest("The attribute \"name\" is required.", kErrMissingField);
  ARENITE_ASSIGN_OR_RETURN(auto views, json::OptionalStringArray(body, "views", 20, 64));
  if (views) base.views = *views;
  if (create && !views) return BadRequest("The attribute \"views\" is required.", kErrMissingField);
  if (base.views.empty()) return BadRequest("an extract needs at least one view", kErrInvalidValue);
  for (size_t i = 0; i < base.views.size(); ++i) {
    if (!IsView(base.views[i])) {
      return BadRequest("\"" + base.views[i] +
                            "\" is not a view; views are Items_Summary, "
                            "Items_BOM, Items_Sourcing, Changes_Summary, Changes_Items, "
                            "Suppliers_Summary and Supplier_Items_Summary",
                        kErrInvalidValue);
    }
    for (size_t j = 0; j < i; ++j) {
      if (base.views[j] == base.views[i])
        return BadRequest("a view is listed twice", kErrInvalidValue);
    }
  }
  ARENITE_ASSIGN_OR_RETURN(auto type, json::OptionalString(body, "type", 16));
  if (type) base.type = *type;
  if (base.type != "FULL" && base.type != "FULL_DELTA") {
    return BadRequest("type must be FULL or FULL_DELTA", kErrInvalidValue);
  }
  ARENITE_ASSIGN_OR_RETURN(auto format, json::OptionalString(body, "format", 16));
  if (format) base.format = *format;
  if (base.format != "RFC4180" && base.format != "DATAEXTRACT") {
    return BadRequest("format must be RFC4180 or DATAEXTRACT", kErrInvalidValue);
  }
  ARENITE_ASSIGN_OR_RETURN(auto max_len, json::OptionalInt(body, "maxTextLength", 0, 1 << 20));
  if (max_len) base.max_text_length = *max_len;
  ARENITE_ASSIGN_OR_RETURN(auto neutralize, json::OptionalBool(body, "neutralizeFormulas"));
  if (neutralize) base.neutralize = *neutralize;
  ARENITE_ASSIGN_OR_RETURN(auto owners, ReadOwners(body));
  if (owners) base.owners = std::move(*owners);
  if (auto it = body.find("schedule"); it != body.end()) {
    base.schedule_given = true;
    if (it->is_null()) {
      base.schedule.reset();
    } else {
      ARENITE_ASSIGN_OR_RETURN(Schedule parsed, ParseSchedule(*it, now));
      // The same schedule sent back (as a GET shows it) keeps its anchor and next run.
      const std::optional<Schedule>& old = base.schedule;
      bool same = old && old->frequency == parsed.frequency && old->interval == parsed.interval &&
                  old->hour == parsed.hour && old->minute == parsed.minute &&
                  old->day_of_week == parsed.day_of_week;
      if (same) {
        base.schedule_given = false;
      } else {
        base.schedule = parsed;
      }
    }
  }
  return base;
}

}  // namespace

std::vector<store::Migration> Migrations() {
  return {{300, "extract definitions and runs", R"sql(
CREATE TABLE extracts (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL,
  name TEXT NOT NULL,
  views_json TEXT NOT NULL,
  type TEXT NOT NULL,
  format TEXT NOT NULL,
  max_text_length INTEGER NOT NULL DEFAULT 0,
  neutralize_formulas INTEGER NOT NULL DEFAULT 0,
  creator TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX extracts_ws ON extracts (workspace_guid, created_at);
CREATE TABLE extract_runs (
  guid TEXT PRIMARY KEY,
  workspace_guid TEXT NOT NULL,
  extract_guid TEXT NOT NULL REFERENCES extracts(guid) ON DELETE CASCADE,
  type TEXT NOT NULL,
  status TEXT NOT NULL,
  failure_reason TEXT,
  rows_written INTEGER NOT NULL DEFAULT 0,
  rows_estimate INTEGER,
  file_guid TEXT,
  file_name TEXT,
  file_path TEXT,
  size INTEGER,
  created_at INTEGER NOT NULL,
  completed_at INTEGER
);
CREATE INDEX extract_runs_extract ON extract_runs (extract_guid, created_at);
)sql"},
          {301, "extract delta state", R"sql(
CREATE TABLE extract_row_state (
  extract_guid TEXT NOT NULL REFERENCES extracts(guid) ON DELETE CASCADE,
  view TEXT NOT NULL,
  row_guid TEXT NOT NULL,
  digest BLOB NOT NULL,
  key_text TEXT,
  PRIMARY KEY (extract_guid, view, row_guid)
);
ALTER TABLE extract_runs ADD COLUMN sequence_from INTEGER;
ALTER TABLE extract_runs ADD COLUMN sequence_to INTEGER;
)sql"},
          {302, "extract owners, schedules and package retention", R"sql(
ALTER TABLE extracts ADD COLUMN owners_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE extracts ADD COLUMN schedule_json TEXT;
ALTER TABLE extracts ADD COLUMN next_run_at INTEGER;
CREATE INDEX extracts_due ON extracts (next_run_at);
ALTER TABLE extract_runs ADD COLUMN started_by TEXT NOT NULL DEFAULT 'MANUAL';
ALTER TABLE extract_runs ADD COLUMN files_removed_at INTEGER;
ALTER TABLE extract_runs ADD COLUMN run_number INTEGER NOT NULL DEFAULT 0;
CREATE INDEX extract_runs_status ON extract_runs (status, extract_guid);
)sql"}};
}

Extracts::~Extracts() {
  std::unique_lock lock(mu_);
  stopping_ = true;
  for (auto& [guid, active] : active_) active->cancel = true;
  idle_.wait(lock, [&] { return active_.empty(); });
}

Status Extracts::RecoverInterrupted() {
  std::vector<std::string> runs;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(tx.Query("SELECT guid FROM extract_runs WHERE status = 'InProcess'", {},
                                     [&](const store::Row& r) {
                                       runs.push_back(r.String(0));
                                       return true;
                                     }));
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "UPDATE extract_runs SET status = 'Failed', failure_reason = 'the server stopped during "
        "the run', completed_at = ? WHERE status = 'InProcess'",
        {clock_.Now()}));
    return OkStatus();
  }));
  // Partial files of those runs: temporary parts and unfinished archives carry the run's guid.
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(packages_dir_, ec)) return OkStatus();
  for (const auto& entry : fs::recursive_directory_iterator(packages_dir_, ec)) {
    std::string name = entry.path().filename().string();
    for (const auto& run : runs) {
      if (name.find(run) != std::string::npos) fs::remove(entry.path(), ec);
    }
  }
  if (!runs.empty()) log::Get("extract")->warn("{} interrupted runs marked Failed", runs.size());
  return OkStatus();
}

Result<json::Json> Extracts::Create(const std::string& workspace, const std::string& actor,
                                    const json::Json& body) {
  int64_t now = clock_.Now();
  Definition defaults;
  // A user defining an extract owns it unless the body names its owners.
  if (actor.rfind("user:", 0) == 0) defaults.owners = {actor.substr(5)};
  ARENITE_ASSIGN_OR_RETURN(Definition d, ReadDefinition(body, defaults, true, now));
  std::string guid = NewGuid();
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(CheckOwners(tx, workspace, d.owners));
    return tx.Exec(
                 "INSERT INTO extracts (guid, workspace_guid, name, views_json, type, format, "
                 "max_text_length, neutralize_formulas, creator, created_at, updated_at, "
                 "owners_json, schedule_json, next_run_at) VALUES "
                 "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 {guid, workspace, d.name, json::Json(d.views).dump(), d.type, d.format,
                  d.max_text_length, int64_t{d.neutralize ? 1 : 0}, actor, now, now,
                  json::Json(d.owners).dump(),
                  d.schedule ? store::Value(ScheduleJson(*d.schedule).dump())
                             : store::Value(nullptr),
                  d.schedule ? store::Value(NextRunAfter(*d.schedule, now - 1))
                             : store::Value(nullptr)})
                   .ok()
               ? OkStatus()
               : Internal("cannot store the extract");
  }));
  return Get(workspace, guid);
}

Result<json::Json> Extracts::List(const std::string& workspace, int64_t offset, int64_t limit) {
  json::Json out = json::Json::array();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(std::string("SELECT ") + kExtractColumns +
                        " FROM extracts WHERE workspace_guid = ? ORDER BY created_at, guid "
                        "LIMIT ? OFFSET ?",
                    {workspace, limit, offset}, [&](const store::Row& r) {
                      out.push_back(ExtractJson(r));
                      return true;
                    });
  }));
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) -> Status {
    for (auto& e : out) ARENITE_RETURN_IF_ERROR(DescribeOwners(tx, workspace, e));
    return OkStatus();
  }));
  return out;
}

Result<json::Json> Extracts::Get(const std::string& workspace, const std::string& guid) {
  std::optional<json::Json> found;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(std::string("SELECT ") + kExtractColumns +
                        " FROM extracts WHERE workspace_guid = ? AND guid = ?",
                    {workspace, guid}, [&](const store::Row& r) {
                      found = ExtractJson(r);
                      return false;
                    });
  }));
  if (found) {
    ARENITE_RETURN_IF_ERROR(
        store_.Read([&](store::Tx& tx) { return DescribeOwners(tx, workspace, *found); }));
  }
  if (!found) return NotFound("The requested extract with guid \"" + guid + "\" is not found.");
  return *found;
}

Result<json::Json> Extracts::Update(const std::string& workspace, const std::string& guid,
                                    const json::Json& body) {
  ARENITE_ASSIGN_OR_RETURN(json::Json current, Get(workspace, guid));
  Definition base;
  base.name = current["name"];
  base.views = current["views"].get<std::vector<std::string>>();
  base.type = current["type"];
  base.format = current["format"];
  base.max_text_length = current["maxTextLength"];
  base.neutralize = current["neutralizeFormulas"];
  for (const auto& o : current["owners"]) base.owners.push_back(o["guid"].get<std::string>());
  if (!current["schedule"].is_null()) {
    ARENITE_ASSIGN_OR_RETURN(base.schedule, ScheduleFromStored(current["schedule"]));
  }
  int64_t now = clock_.Now();
  ARENITE_ASSIGN_OR_RETURN(Definition d, ReadDefinition(body, base, false, now));
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(CheckOwners(tx, workspace, d.owners));
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "UPDATE extracts SET name = ?, views_json = ?, type = ?, format = ?, "
        "max_text_length = ?, neutralize_formulas = ?, owners_json = ?, updated_at = ? "
        "WHERE workspace_guid = ? AND guid = ?",
        {d.name, json::Json(d.views).dump(), d.type, d.format, d.max_text_length,
         int64_t{d.neutralize ? 1 : 0}, json::Json(d.owners).dump(), now, workspace, guid}));
    if (!d.schedule_given) return OkStatus();
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "UPDATE extracts SET schedule_json = ?, next_run_at = ? WHERE workspace_guid = ? AND "
        "guid = ?",
        {d.schedule ? store::Value(ScheduleJson(*d.schedule).dump()) : store::Value(nullptr),
         d.schedule ? store::Value(NextRunAfter(*d.schedule, now - 1)) : store::Value(nullptr),
         workspace, guid}));
    return OkStatus();
  }));
  return Get(workspace, guid);
}

Status Extracts::Delete(const std::string& workspace, const std::string& guid) {
  ARENITE_RETURN_IF_ERROR(Get(workspace, guid));
  std::vector<std::string> files;
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(
        bool running,
        tx.Exists("SELECT 1 FROM extract_runs WHERE extract_guid = ? AND status = 'InProcess'",
                  {guid}));
    if (running) return Conflict("the extract has a run in process; abort it first");
    ARENITE_RETURN_IF_ERROR(tx.Query(
        "SELECT file_path FROM extract_runs WHERE extract_guid = ? AND file_path IS NOT NULL",
        {guid}, [&](const store::Row& r) {
          files.push_back(r.String(0));
          return true;
        }));
    ARENITE_RETURN_IF_ERROR(tx.Exec("DELETE FROM extract_runs WHERE extract_guid = ?", {guid}));
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("DELETE FROM extracts WHERE workspace_guid = ? AND guid = ?", {workspace, guid}));
    return OkStatus();
  }));
  std::error_code ec;
  for (const auto& f : files) std::filesystem::remove(f, ec);
  return OkStatus();
}

Result<json::Json> Extracts::RunJson(const store::Row& r) {
  json::Json run = {{"guid", r.String(0)},
                    {"extract", {{"guid", r.String(1)}}},
                    {"type", r.String(11)},
                    {"status", r.String(2)},
                    {"number", r.Int(14)},
                    {"trigger", r.String(12)},
                    {"creationDateTime", FormatDateTime(r.Int(9))}};
  int64_t rows = r.Int(4);
  if (r.String(2) == "InProcess") {
    std::lock_guard lock(mu_);
    if (auto it = active_.find(r.String(0)); it != active_.end()) rows = it->second->rows;
  }
  run["progress"] = {{"rowsWritten", rows},
                     {"rowsEstimate", r.IsNull(5) ? json::Json(nullptr) : json::Json(r.Int(5))}};
  if (!r.IsNull(3)) run["failureReason"] = r.String(3);
  if (!r.IsNull(10)) run["completionDateTime"] = FormatDateTime(r.Int(10));
  if (!r.IsNull(13)) run["filesRemovedDateTime"] = FormatDateTime(r.Int(13));
  if (r.String(2) == "Completed" && !r.IsNull(6) && r.IsNull(13)) {
    run["files"] =
        json::Json::array({{{"guid", r.String(6)}, {"name", r.String(7)}, {"size", r.Int(8)}}});
  } else {
    run["files"] = json::Json::array();
  }
  return run;
}

Result<json::Json> Extracts::StartRun(const std::string& workspace, const std::string& extract_guid,
                                      const std::string& trigger) {
  ARENITE_ASSIGN_OR_RETURN(json::Json extract, Get(workspace, extract_guid));
  {
    std::lock_guard lock(mu_);
    if (active_.size() >= kMaxConcurrentRuns) {
      return MakeError(429, kErrRateLimited, "too many extract runs in process; try again later");
    }
  }
  std::string run_guid = NewGuid();
  int64_t now = clock_.Now();
  ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
    // One run of an extract at a time: a delta is relative to the run before it.
    ARENITE_ASSIGN_OR_RETURN(
        bool running,
        tx.Exists("SELECT 1 FROM extract_runs WHERE extract_guid = ? AND status = 'InProcess'",
                  {extract_guid}));
    if (running) return Conflict("the extract already has a run in process");
    // Runs are numbered 1, 2, ... per extract, in the order they start.
    ARENITE_ASSIGN_OR_RETURN(
        auto number, tx.QueryInt("SELECT MAX(run_number) FROM extract_runs WHERE extract_guid = ?",
                                 {extract_guid}));
    ARENITE_ASSIGN_OR_RETURN(
        auto estimate,
        tx.QueryInt("SELECT rows_written FROM extract_runs WHERE extract_guid = ? AND status = "
                    "'Completed' ORDER BY run_number DESC, completed_at DESC LIMIT 1",
                    {extract_guid}));
    return tx.Exec(
                 "INSERT INTO extract_runs (guid, workspace_guid, extract_guid, type, status, "
                 "rows_estimate, created_at, started_by, run_number) VALUES (?, ?, ?, ?, "
                 "'InProcess', ?, ?, ?, ?)",
                 {run_guid, workspace, extract_guid, extract["type"].get<std::string>(),
                  store::Nullable(estimate), now, trigger, number.value_or(0) + 1})
                   .ok()
               ? OkStatus()
               : Internal("cannot store the run");
  }));
  auto active = std::make_shared<Active>();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return MakeError(503, kErrUnavailable, "the server is stopping");
    active_[run_guid] = active;
    // The thread removes its entry and signals idle_ when it ends; the destructor waits for that.
    std::thread(&Extracts::Execute, this, workspace, extract_guid, run_guid, active).detach();
  }
  return json::Json{{"guid", run_guid}, {"status", "InProcess"}, {"trigger", trigger}};
}

void Extracts::Execute(std::string workspace, std::string extract_guid, std::string run_guid,
                       std::shared_ptr<Active> active) {
  auto logger = log::Get("extract");
  auto extract = Get(workspace, extract_guid);
  Result<Package> package = extract.ok() ? Result<Package>(Internal()) : extract.error();
  // A delta compares against the state the previous completed package of this extract left.
  bool delta = extract.ok() && (*extract)["type"] == "FULL_DELTA";
  std::map<std::string, ViewState> previous, next;
  int64_t sequence_from = 0, sequence_to = 0;
  if (extract.ok() && delta) {
    Status loaded = store_.Read([&](store::Tx& tx) -> Status {
      ARENITE_ASSIGN_OR_RETURN(
          auto last, tx.QueryInt("SELECT MAX(sequence_to) FROM extract_runs WHERE extract_guid = ? "
                                 "AND status = 'Completed'",
                                 {extract_guid}));
      sequence_from = last.value_or(0);
      return tx.Query(
          "SELECT view, row_guid, digest, key_text FROM extract_row_state WHERE extract_guid = ?",
          {extract_guid}, [&](const store::Row& r) {
            previous[r.String(0)][r.String(1)] = RowState{r.String(2), r.String(3)};
            return true;
          });
    });
    if (!loaded.ok()) extract = loaded.error();
  }
  if (extract.ok()) {
    std::vector<ViewSource> views;
    auto lookups = std::make_shared<ViewLookups>();
    for (const auto& v : (*extract)["views"]) {
      std::string name = v.get<std::string>();
      views.push_back(delta ? DeltaView(name, workspace, &previous[name], &next[name], lookups)
                            : FullView(name, workspace, lookups));
    }
    PackageOptions options;
    options.directory = packages_dir_ + "/" + workspace;
    options.csv.format =
        (*extract)["format"] == "DATAEXTRACT" ? CsvFormat::kDataExtract : CsvFormat::kRfc4180;
    options.csv.max_text_length = static_cast<size_t>((*extract)["maxTextLength"].get<int64_t>());
    options.csv.neutralize_formulas = (*extract)["neutralizeFormulas"].get<bool>();
    // Two reading threads where there are cores for them: with at most two runs at once, that
    // holds four of the store's eight readers.
    options.read_threads = std::thread::hardware_concurrency() >= 2 ? 2 : 1;
    options.cancel = &active->cancel;
    options.on_progress = [&active](int64_t rows) { active->rows = rows; };
    // The event sequence the snapshot holds: a consumer checks that each package starts where
    // the one before it ended, so that no change fell between two packages.
    options.on_snapshot = [&](store::Tx& tx, json::Json& manifest) -> Status {
      ARENITE_ASSIGN_OR_RETURN(
          auto max,
          tx.QueryInt("SELECT MAX(sequence) FROM events WHERE workspace_guid = ?", {workspace}));
      sequence_to = max.value_or(0);
      manifest["sequenceFrom"] = delta ? sequence_from : 0;
      manifest["sequenceTo"] = sequence_to;
      return OkStatus();
    };
    json::Json manifest = {{"workspaceId", workspace},
                           {"extract", {{"guid", extract_guid}, {"name", (*extract)["name"]}}},
                           {"run", {{"guid", run_guid}}},
                           {"type", (*extract)["type"]}};
    package = BuildPackage(store_, views, run_guid, clock_.Now(), manifest, options);
  }

  std::string status = "Completed";
  std::optional<std::string> reason;
  int64_t rows = 0;
  if (package.ok()) {
    for (const auto& f : package->files) rows += f.rows;
  } else if (active->cancel) {
    status = "Aborted";
  } else {
    status = "Failed";
    reason = package.error().message;
    logger->warn("extract run {} failed: {}", run_guid, package.error().message);
  }
  std::string file_guid = NewGuid();
  int64_t now = clock_.Now();
  Status stored = store_.Write([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(tx.Exec(
        "UPDATE extract_runs SET status = ?, failure_reason = ?, rows_written = ?, file_guid = ?, "
        "file_name = ?, file_path = ?, size = ?, completed_at = ? WHERE guid = ?",
        {status, store::Nullable(reason), rows,
         package.ok() ? store::Value(file_guid) : store::Value(nullptr),
         package.ok() ? store::Value(package->file_name) : store::Value(nullptr),
         package.ok() ? store::Value(package->path) : store::Value(nullptr),
         package.ok() ? store::Value(static_cast<int64_t>(package->size)) : store::Value(nullptr),
         now, run_guid}));
    if (!package.ok()) return OkStatus();
    ARENITE_RETURN_IF_ERROR(
        tx.Exec("UPDATE extract_runs SET sequence_from = ?, sequence_to = ? WHERE guid = ?",
                {delta ? sequence_from : int64_t{0}, sequence_to, run_guid}));
    if (delta) {
      // The state the next delta compares against: this package's rows, view by view. A view
      // this run did not hold keeps the state of the last package that did, so that a view
      // taken out of the extract and put back goes on from what its consumer last got.
      for (const auto& [view, rows_of_view] : next) {
        ARENITE_RETURN_IF_ERROR(
            tx.Exec("DELETE FROM extract_row_state WHERE extract_guid = ? AND view = ?",
                    {extract_guid, view}));
        for (const auto& [guid, state] : rows_of_view) {
          ARENITE_RETURN_IF_ERROR(tx.Exec(
              "INSERT INTO extract_row_state (extract_guid, view, row_guid, digest, key_text) "
              "VALUES (?, ?, ?, ?, ?)",
              {extract_guid, view, guid, store::Blob{state.digest}, state.key}));
        }
      }
    }
    // The outbox event of a completed run, in the same transaction as its completion.
    json::Json after = {
        {"extract", {{"guid", extract_guid}, {"name", (*extract)["name"]}}},
        {"run", {{"guid", run_guid}, {"status", status}}},
        {"files",
         json::Json::array(
             {{{"guid", file_guid}, {"name", package->file_name}, {"size", package->size}}})}};
    return plm::RecordEvent(tx, workspace, "extract.completed", "EXTRACT_RUN", run_guid,
                            (*extract)["creator"].get<std::string>(), nullptr, after, now)
                   .ok()
               ? OkStatus()
               : Internal("cannot record the extract.completed event");
  });
  if (!stored.ok()) logger->error("cannot record the end of extract run {}", run_guid);
  if (package.ok()) {
    logger->info("extract run {} completed: {} rows, {} bytes", run_guid, rows, package->size);
    if (auto removed = ApplyRetention(); !removed.ok()) {
      logger->warn("package retention failed: {}", removed.error().message);
    }
  }
  std::lock_guard lock(mu_);
  active_.erase(run_guid);
  idle_.notify_all();
}

Result<json::Json> Extracts::ListRuns(const std::string& workspace, const std::string& extract_guid,
                                      const std::string& status, int64_t offset, int64_t limit) {
  ARENITE_RETURN_IF_ERROR(Get(workspace, extract_guid));
  json::Json out = json::Json::array();
  Status s = store_.Read([&](store::Tx& tx) {
    return tx.Query(
        std::string("SELECT ") + kRunColumns +
            " FROM extract_runs WHERE workspace_guid = ? AND extract_guid = ? AND "
            "(? = '' OR status = ?) ORDER BY run_number DESC, created_at DESC, guid LIMIT ? "
            "OFFSET ?",
        {workspace, extract_guid, status, status, limit, offset}, [&](const store::Row& r) {
          auto run = RunJson(r);
          if (run.ok()) out.push_back(*run);
          return true;
        });
  });
  if (!s.ok()) return s.error();
  return out;
}

Result<json::Json> Extracts::GetRun(const std::string& workspace, const std::string& extract_guid,
                                    const std::string& run_guid) {
  std::optional<json::Json> found;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(std::string("SELECT ") + kRunColumns +
                        " FROM extract_runs WHERE workspace_guid = ? AND extract_guid = ? AND "
                        "guid = ?",
                    {workspace, extract_guid, run_guid}, [&](const store::Row& r) {
                      auto run = RunJson(r);
                      if (run.ok()) found = *run;
                      return false;
                    });
  }));
  if (!found) return NotFound("The requested run with guid \"" + run_guid + "\" is not found.");
  return *found;
}

Result<json::Json> Extracts::LatestCompletedRun(const std::string& workspace,
                                                const std::string& extract_guid) {
  ARENITE_RETURN_IF_ERROR(Get(workspace, extract_guid));
  std::optional<json::Json> found;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(std::string("SELECT ") + kRunColumns +
                        " FROM extract_runs WHERE workspace_guid = ? AND extract_guid = ? AND "
                        "status = 'Completed' ORDER BY completed_at DESC, run_number DESC LIMIT 1",
                    {workspace, extract_guid}, [&](const store::Row& r) {
                      auto run = RunJson(r);
                      if (run.ok()) found = *run;
                      return false;
                    });
  }));
  if (!found) return NotFound("The extract has no completed run yet.");
  return *found;
}

Status Extracts::AbortRun(const std::string& workspace, const std::string& extract_guid,
                          const std::string& run_guid) {
  ARENITE_ASSIGN_OR_RETURN(json::Json run, GetRun(workspace, extract_guid, run_guid));
  if (run["status"] != "InProcess") return Conflict("the run has already ended", kErrConflict);
  std::lock_guard lock(mu_);
  auto it = active_.find(run_guid);
  if (it == active_.end()) return Conflict("the run has already ended", kErrConflict);
  it->second->cancel = true;
  return OkStatus();
}

Result<std::pair<std::string, std::string>> Extracts::FilePath(const std::string& workspace,
                                                               const std::string& extract_guid,
                                                               const std::string& run_guid,
                                                               const std::string& file_guid) {
  std::optional<std::pair<std::string, std::string>> found;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(
        "SELECT file_path, file_name FROM extract_runs WHERE workspace_guid = ? AND extract_guid "
        "= ? AND guid = ? AND file_guid = ? AND status = 'Completed'",
        {workspace, extract_guid, run_guid, file_guid}, [&](const store::Row& r) {
          found = std::make_pair(r.IsNull(0) ? std::string() : r.String(0), r.String(1));
          return false;
        });
  }));
  if (!found || found->first.empty()) {
    return NotFound("The requested file with guid \"" + file_guid +
                    "\" is not found (packages of old runs are removed by the retention).");
  }
  return *found;
}

Result<int> Extracts::RunDueSchedules() {
  struct Due {
    std::string workspace, guid, schedule;
    int64_t next;
  };
  std::vector<Due> due;
  int64_t now = clock_.Now();
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    return tx.Query(
        "SELECT workspace_guid, guid, schedule_json, next_run_at FROM extracts WHERE "
        "next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at",
        {now}, [&](const store::Row& r) {
          due.push_back({r.String(0), r.String(1), r.String(2), r.Int(3)});
          return true;
        });
  }));
  auto logger = log::Get("extract");
  int started = 0;
  for (const Due& d : due) {
    auto stored = json::Parse(d.schedule);
    Result<Schedule> schedule = stored.ok() ? ScheduleFromStored(*stored) : stored.error();
    if (!schedule.ok()) {
      logger->error("extract {} has an unreadable schedule: {}", d.guid, schedule.error().message);
      continue;
    }
    auto run = StartRun(d.workspace, d.guid, "SCHEDULE");
    if (!run.ok()) {
      // A run in process, or too many: the extract stays due and starts at a later look.
      if (run.error().status == 409 || run.error().status == 429) continue;
      logger->warn("scheduled run of extract {} did not start: {}", d.guid, run.error().message);
    } else {
      ++started;
    }
    // Instants missed while the server was down are not made up: the next one after now.
    int64_t next = NextRunAfter(*schedule, now);
    ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
      ARENITE_RETURN_IF_ERROR(
          tx.Exec("UPDATE extracts SET next_run_at = ? WHERE guid = ? AND next_run_at = ?",
                  {next, d.guid, d.next}));
      return OkStatus();
    }));
  }
  return started;
}

void Extracts::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return active_.empty(); });
}

void Extracts::SetRetention(Retention retention) {
  keep_runs_ = retention.keep_runs;
  keep_days_ = retention.keep_days;
}

Result<int> Extracts::ApplyRetention() {
  int64_t keep_runs = keep_runs_, keep_days = keep_days_;
  if (keep_runs <= 0 && keep_days <= 0) return 0;
  int64_t now = clock_.Now();
  int64_t oldest = keep_days > 0 ? now - keep_days * 86400 : INT64_MIN;
  struct Old {
    std::string run, path;
  };
  std::vector<Old> old;
  ARENITE_RETURN_IF_ERROR(store_.Read([&](store::Tx& tx) {
    std::string extract;
    int64_t rank = 0;
    return tx.Query(
        "SELECT extract_guid, guid, file_path, completed_at FROM extract_runs WHERE status = "
        "'Completed' AND file_path IS NOT NULL ORDER BY extract_guid, run_number DESC, "
        "completed_at DESC, guid",
        {}, [&](const store::Row& r) {
          if (r.String(0) != extract) {
            extract = r.String(0);
            rank = 0;
          }
          // The newest package of an extract always stays.
          bool too_many = keep_runs > 0 && rank >= keep_runs;
          bool too_old = r.Int(3) < oldest;
          if (rank > 0 && (too_many || too_old)) old.push_back({r.String(1), r.String(2)});
          ++rank;
          return true;
        });
  }));
  int removed = 0;
  for (const Old& o : old) {
    // Marked first, then removed: a download that already opened the file still completes.
    bool marked = false;
    ARENITE_RETURN_IF_ERROR(store_.Write([&](store::Tx& tx) -> Status {
      ARENITE_ASSIGN_OR_RETURN(
          int64_t changed,
          tx.Exec("UPDATE extract_runs SET file_path = NULL, files_removed_at = ? WHERE guid = ? "
                  "AND file_path = ?",
                  {now, o.run, o.path}));
      marked = changed > 0;
      return OkStatus();
    }));
    if (!marked) continue;
    std::error_code ec;
    std::filesystem::remove(o.path, ec);
    if (ec) log::Get("extract")->warn("cannot remove the old package {}: {}", o.path, ec.message());
    ++removed;
  }
  if (removed > 0) log::Get("extract")->info("retention removed {} old packages", removed);
  return removed;
}

}  // namespace arenite::extract
