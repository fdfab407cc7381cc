#include "plm/events.h"

#include <atomic>

#include "core/clock.h"
#include "core/guid.h"

namespace arenite::plm {

namespace {
std::atomic<int64_t> g_recorded{0};
}  // namespace

int64_t EventsRecorded() { return g_recorded.load(std::memory_order_acquire); }

namespace {

// An image's column: its JSON dump, or NULL for none.
store::Value ImageValue(const json::Json& image) {
  return image.is_null() ? store::Value(nullptr) : store::Value(image.dump());
}

Result<int64_t> Reserve(store::Tx& tx, const std::string& workspace_id, int64_t n) {
  ARENITE_ASSIGN_OR_RETURN(
      auto first,
      tx.QueryInt(
          "INSERT INTO plm_counters (workspace_guid, name, next) VALUES (?, 'event', ? + 1) "
          "ON CONFLICT (workspace_guid, name) DO UPDATE SET next = plm_counters.next + ? "
          "RETURNING next - ?",
          {workspace_id, n, n, n}));
  if (!first) return Internal("event sequence not assigned");
  return *first;
}

Result<int64_t> InsertEvent(store::Tx& tx, std::optional<int64_t> sequence,
                            const std::string& workspace_id, std::string_view type,
                            std::string_view object_type, const std::string& object_guid,
                            const std::string& actor, const json::Json& before, store::Value after,
                            int64_t now) {
  // Counted before the commit, so a commit listener that looks afterwards sees it.
  g_recorded.fetch_add(1, std::memory_order_release);
  if (!sequence) {
    ARENITE_ASSIGN_OR_RETURN(sequence, Reserve(tx, workspace_id, 1));
  }
  ARENITE_RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO events (guid, workspace_guid, sequence, type, object_type, object_guid, actor, "
      "before_json, after_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {NewOrderedGuid(), workspace_id, *sequence, std::string(type), std::string(object_type),
       object_guid, actor, ImageValue(before), std::move(after), now}));
  return *sequence;
}

}  // namespace

Result<int64_t> RecordEvent(store::Tx& tx, const std::string& workspace_id, std::string_view type,
                            std::string_view object_type, const std::string& object_guid,
                            const std::string& actor, const json::Json& before,
                            const json::Json& after, int64_t now) {
  return InsertEvent(tx, std::nullopt, workspace_id, type, object_type, object_guid, actor, before,
                     ImageValue(after), now);
}

Result<int64_t> RecordEventText(store::Tx& tx, const std::string& workspace_id,
                                std::string_view type, std::string_view object_type,
                                const std::string& object_guid, const std::string& actor,
                                const json::Json& before, const std::string& after_text,
                                int64_t now) {
  return InsertEvent(tx, std::nullopt, workspace_id, type, object_type, object_guid, actor, before,
                     store::Value(after_text), now);
}

Result<EventSequences> EventSequences::Reserve(store::Tx& tx, const std::string& workspace_id,
                                               int64_t n) {
  if (n <= 0) return EventSequences(0, 0);
  ARENITE_ASSIGN_OR_RETURN(int64_t first, plm::Reserve(tx, workspace_id, n));
  return EventSequences(first, first + n);
}

Result<int64_t> EventSequences::Record(store::Tx& tx, const std::string& workspace_id,
                                       std::string_view type, std::string_view object_type,
                                       const std::string& object_guid, const std::string& actor,
                                       const json::Json& before, const json::Json& after,
                                       int64_t now) {
  if (next_ >= end_) return Internal("more events recorded than sequence numbers reserved");
  return InsertEvent(tx, next_++, workspace_id, type, object_type, object_guid, actor, before,
                     ImageValue(after), now);
}

Result<std::vector<Event>> ListEvents(store::Tx& tx, const std::string& workspace_id,
                                      int64_t after_seq, int64_t limit, const EventScopes& scopes) {
  std::vector<Event> out;
  auto flag = [](bool b) { return int64_t{b ? 1 : 0}; };
  ARENITE_RETURN_IF_ERROR(tx.Query(
      "SELECT guid, sequence, type, object_type, object_guid, actor, before_json, after_json, "
      "created_at FROM events WHERE workspace_guid = ? AND sequence > ? AND (? = 1 OR "
      "(? = 1 AND object_type IN ('ITEM', 'BOM_LINE', 'SOURCING')) OR "
      "(? = 1 AND object_type IN ('CHANGE', 'CHANGE_ITEM')) OR "
      "(? = 1 AND object_type IN ('SUPPLIER', 'SUPPLIER_ITEM')) OR "
      "(? = 1 AND object_type = 'EXTRACT_RUN')) ORDER BY sequence LIMIT ?",
      {workspace_id, after_seq, flag(scopes.all), flag(scopes.items), flag(scopes.changes),
       flag(scopes.suppliers), flag(scopes.extracts), limit},
      [&](const store::Row& row) {
        Event e;
        e.guid = row.String(0);
        e.workspace_id = workspace_id;
        e.sequence = row.Int(1);
        e.type = row.String(2);
        e.object_type = row.String(3);
        e.object_guid = row.String(4);
        e.actor = row.String(5);
        if (!row.IsNull(6)) e.before = json::Json::parse(row.Text(6), nullptr, false);
        if (!row.IsNull(7)) e.after = json::Json::parse(row.Text(7), nullptr, false);
        e.created_at = row.Int(8);
        out.push_back(std::move(e));
        return true;
      }));
  return out;
}

Result<std::vector<Event>> ListEvents(store::Store& store, const std::string& workspace_id,
                                      int64_t after_seq, int64_t limit, const EventScopes& scopes) {
  std::vector<Event> out;
  ARENITE_RETURN_IF_ERROR(store.Read([&](store::Tx& tx) -> Status {
    ARENITE_ASSIGN_OR_RETURN(out, ListEvents(tx, workspace_id, after_seq, limit, scopes));
    return OkStatus();
  }));
  return out;
}

json::Json EventJson(const Event& e) {
  return {{"guid", e.guid},
          {"sequence", e.sequence},
          {"type", e.type},
          {"objectType", e.object_type},
          {"objectGuid", e.object_guid},
          {"actor", e.actor},
          {"creationDateTime", FormatDateTime(e.created_at)},
          {"before", e.before},
          {"after", e.after}};
}

}  // namespace arenite::plm
