// The event outbox: every change to workspace data records one event, in the same store
// transaction as the change, numbered by a per-workspace sequence (1, 2, 3, ... without gaps,
// since only the single writer assigns them). Webhooks and extracts read events by sequence.
// Free functions over a caller's transaction; thread-safe as the Store is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.h"
#include "core/result.h"
#include "store/store.h"

namespace arenite::plm {

// Event types (INTERFACE.md section 5) plus arenite's change.deleted and supplier-item events.
inline constexpr char kItemCreated[] = "item.created";
inline constexpr char kItemUpdated[] = "item.updated";
inline constexpr char kItemDeleted[] = "item.deleted";
inline constexpr char kItemLifecycleChanged[] = "item.lifecycle_changed";
inline constexpr char kChangeCreated[] = "change.created";
inline constexpr char kChangeUpdated[] = "change.updated";
inline constexpr char kChangeStatusChanged[] = "change.status_changed";
inline constexpr char kChangeDeleted[] = "change.deleted";  // arenite's own
inline constexpr char kSupplierCreated[] = "supplier.created";
inline constexpr char kSupplierUpdated[] = "supplier.updated";
inline constexpr char kSupplierDeleted[] = "supplier.deleted";
inline constexpr char kSupplierItemCreated[] = "supplieritem.created";
inline constexpr char kSupplierItemUpdated[] = "supplieritem.updated";
inline constexpr char kSupplierItemDeleted[] = "supplieritem.deleted";

struct Event {
  std::string guid;
  std::string workspace_id;
  int64_t sequence = 0;
  std::string type;
  std::string object_type;  // ITEM, CHANGE, SUPPLIER, SUPPLIER_ITEM
  std::string object_guid;
  std::string actor;  // "user:<guid>", "app:<clientId>" or plm::kSystemActor
  json::Json before;  // null when the object did not exist before
  json::Json after;   // null when the object no longer exists
  int64_t created_at = 0;
};

// Records an event in `tx` with the workspace's next sequence number; returns that number.
Result<int64_t> RecordEvent(store::Tx& tx, const std::string& workspace_id, std::string_view type,
                            std::string_view object_type, const std::string& object_guid,
                            const std::string& actor, const json::Json& before,
                            const json::Json& after, int64_t now);

// The same, with the after image already serialized (`after_text`, JSON text), for a caller
// that answers with that text too.
Result<int64_t> RecordEventText(store::Tx& tx, const std::string& workspace_id,
                                std::string_view type, std::string_view object_type,
                                const std::string& object_guid, const std::string& actor,
                                const json::Json& before, const std::string& after_text,
                                int64_t now);

// A block of the workspace's next event sequence numbers, reserved by one statement, for a
// transaction that records many events (a change's release records one per affected item):
// the counter is then moved once instead of once per event. Events recorded after the block in
// the same transaction (by RecordEvent) take the numbers after it; used in one transaction only.
class EventSequences {
 public:
  static Result<EventSequences> Reserve(store::Tx& tx, const std::string& workspace_id, int64_t n);
  // RecordEvent with the block's next number; an error once the block is used up.
  Result<int64_t> Record(store::Tx& tx, const std::string& workspace_id, std::string_view type,
                         std::string_view object_type, const std::string& object_guid,
                         const std::string& actor, const json::Json& before,
                         const json::Json& after, int64_t now);

 private:
  EventSequences(int64_t next, int64_t end) : next_(next), end_(end) {}
  int64_t next_, end_;
};

// How many events this process has recorded (including ones whose transaction then rolled
// back): a cheap "anything new?" for the webhook fan-out, which a commit listener reads.
int64_t EventsRecorded();

// Which kinds of object a reader may see events of (from its token's scopes): items (with BOM
// lines and sourcing), changes (with affected items), suppliers (with supplier items), extract
// runs. `all` also admits object types not listed here.
struct EventScopes {
  bool items = true, changes = true, suppliers = true, extracts = true, all = true;
};

// Events with sequence > after_seq, in order, at most `limit`, of the kinds `scopes` admits.
Result<std::vector<Event>> ListEvents(store::Tx& tx, const std::string& workspace_id,
                                      int64_t after_seq, int64_t limit,
                                      const EventScopes& scopes = {});
Result<std::vector<Event>> ListEvents(store::Store& store, const std::string& workspace_id,
                                      int64_t after_seq, int64_t limit,
                                      const EventScopes& scopes = {});

// The API form: guid, sequence, type, objectType, objectGuid, actor, creationDateTime, before,
// after.
json::Json EventJson(const Event& event);

}  // namespace arenite::plm
