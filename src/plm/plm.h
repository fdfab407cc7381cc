// Workspace data in the manner of Arena PLM: items with revisions, lifecycle phases and
// categories, BOM lines, sourcing, changes with affected items, suppliers and supplier items.
// Every method is one store transaction; every mutation records its event (plm/events.h) in
// that same transaction, so a failed mutation leaves neither data nor event. Methods take and
// return the Arena JSON forms, so that API handlers only parse the request and render the
// result. Thread-safe: a Plm is shared by all handler threads.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "core/result.h"
#include "store/store.h"

namespace arenite::plm {

using json::Json;

// Who acts, where and when.
struct Ctx {
  std::string workspace;
  std::string user;   // user guid, for creator
  std::string actor;  // recorded on events
  int64_t now = 0;
};

// The actor recorded on the events of what the server does by itself: a PERMANENT_ON_DATE
// change becoming effective on its planned date, a TEMPORARY one expiring on its expiration
// date. Users are "user:<guid>", apps "app:<clientId>".
inline constexpr char kSystemActor[] = "system:effectivity";

// A change whose date has come: an APPROVED PERMANENT_ON_DATE change past its
// effectivityPlannedDateTime (due to become EFFECTIVE), or an EFFECTIVE TEMPORARY one past its
// expirationDateTime (due to become EXPIRED).
struct DueChange {
  std::string workspace;
  std::string guid;
  int64_t at = 0;        // the date that came, for paging (DueChanges' `after`)
  bool expires = false;  // due to become EXPIRED rather than EFFECTIVE
};

// Search parameters of a list; absent ones do not filter. Text filters take Arena's `*`.
struct Filters {
  std::optional<std::string> number, name, title, category, phase, status, supplier, supplier_id;
  std::optional<std::string> description, revision_number, owner_name, creator_name, creator;
  std::optional<std::string> supplier_name;  // supplier items: supplier.name
  // Supplier item sourcing: item.status, the revisions' status (0 working, 1 effective, 2
  // superseded).
  std::optional<int64_t> revision_status;
  std::optional<std::string> assembly_type;  // TOP_LEVEL_ASSEMBLY, ASSEMBLY or NOT_AN_ASSEMBLY
  std::optional<std::string> implementation_status;
  std::optional<bool> in_assembly;
  // Arena's modifiedBom, modifiedFiles, modifiedSourcing, modifiedSpecs.
  std::optional<bool> modified_bom, modified_files, modified_sourcing, modified_specs;
  // Arena's criteria (items only), parsed JSON.
  std::optional<Json> criteria;
  std::optional<int64_t> modified_since;
  // effectiveDateTimeFrom/To, expirationDateTimeFrom/To: inclusive bounds.
  std::optional<int64_t> effective_from, effective_to, expiration_from, expiration_to;
  // Searches by additional attribute: {attribute definition guid, Arena search value}.
  std::vector<std::pair<std::string, std::string>> attributes;
  int64_t offset = 0;
  int64_t limit = 20;
};

class Plm {
 public:
  Plm(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  // Seeds the workspace's default lookups once (idempotent; cached after the first call).
  Status EnsureSeeded(const std::string& workspace);
  // The seeding itself, inside a caller's transaction; does nothing when already seeded.
  static Status SeedDefaults(store::Tx& tx, const std::string& workspace, int64_t now);

  // Lookups.
  Result<Json> ListCategories(const std::string& ws);
  Result<Json> GetCategory(const std::string& ws, const std::string& guid);
  // Workspace Settings > Changes > Categories (GET /settings/changes/categories in Arena).
  Result<Json> ListChangeCategories(const std::string& ws);
  Result<Json> GetChangeCategory(const std::string& ws, const std::string& guid);
  Result<Json> ListPhases(const std::string& ws);
  Result<Json> ListNumberFormats(const std::string& ws);
  Result<Json> ListAttributes(const std::string& ws);
  Result<Json> GetAttribute(const std::string& ws, const std::string& guid);
  Result<Json> CreateAttribute(const Ctx& ctx, const Json& body);

  // Items.
  // `text`, when given, receives the item serialized: the same bytes its event records, for an
  // answer that need not serialize it again.
  Result<Json> CreateItem(const Ctx& ctx, const Json& body, std::string* text = nullptr);
  // With `include_empty`, additionalAttributes lists every item attribute of the workspace,
  // those without a value with null (Arena's includeEmptyAdditionalAttributes).
  Result<Json> GetItem(const std::string& ws, const std::string& guid, bool include_empty = false);
  Result<Json> UpdateItem(const Ctx& ctx, const std::string& guid, const Json& body, bool setnull);
  Status DeleteItem(const Ctx& ctx, const std::string& guid);
  Result<Json> ListItems(const std::string& ws, const Filters& f);
  Result<Json> ListRevisions(const std::string& ws, const std::string& guid);

  // BOM of the working revision (GET of an item guid shows the effective revision's BOM when
  // there is one, like GET /items/{guid}; a revision guid shows that revision's).
  Result<Json> GetBom(const std::string& ws, const std::string& guid);
  Result<Json> AddBomLine(const Ctx& ctx, const std::string& guid, const Json& body);
  Result<Json> GetBomLine(const std::string& ws, const std::string& guid, const std::string& line);
  Result<Json> UpdateBomLine(const Ctx& ctx, const std::string& guid, const std::string& line,
                             const Json& body, bool setnull);
  Status DeleteBomLine(const Ctx& ctx, const std::string& guid, const std::string& line);
  Result<Json> WhereUsed(const std::string& ws, const std::string& guid);

  // The sourcing lines of every item revision that names the supplier item `guid` as its
  // manufacturer or vendor item (Arena's GET /supplieritems/{guid}/sourcing).
  Result<Json> ListSupplierItemSourcing(const std::string& ws, const std::string& guid,
                                        const Filters& f);
  // Sourcing (approved manufacturer list) of the working revision.
  Result<Json> ListSourcing(const std::string& ws, const std::string& guid, const Filters& f);
  Result<Json> AddSourcing(const Ctx& ctx, const std::string& guid, const Json& body);
  Result<Json> GetSourcing(const std::string& ws, const std::string& guid, const std::string& src);
  Result<Json> UpdateSourcing(const Ctx& ctx, const std::string& guid, const std::string& src,
                              const Json& body, bool setnull);
  Status DeleteSourcing(const Ctx& ctx, const std::string& guid, const std::string& src);

  // Changes.
  Result<Json> CreateChange(const Ctx& ctx, const Json& body);
  Result<Json> GetChange(const std::string& ws, const std::string& guid);
  Result<Json> UpdateChange(const Ctx& ctx, const std::string& guid, const Json& body,
                            bool setnull);
  Result<Json> ListChanges(const std::string& ws, const Filters& f);
  Result<Json> ListChangeItems(const std::string& ws, const std::string& guid);
  Result<Json> AddChangeItem(const Ctx& ctx, const std::string& guid, const Json& body);
  Result<Json> GetChangeItem(const std::string& ws, const std::string& guid,
                             const std::string& assoc);
  // newRevisionNumber and newLifecyclePhase, while the change is OPEN_AND_UNLOCKED.
  Result<Json> UpdateChangeItem(const Ctx& ctx, const std::string& guid, const std::string& assoc,
                                const Json& body);
  Status DeleteChangeItem(const Ctx& ctx, const std::string& guid, const std::string& assoc);
  // Only OPEN_AND_UNLOCKED, CANCELED or REJECTED changes can be deleted.
  Status DeleteChange(const Ctx& ctx, const std::string& guid);
  Result<Json> ChangeStatus(const Ctx& ctx, const Json& body);
  // Effectivity on date, for plm/effectivity.h: the due changes of every workspace, earliest
  // date first, from after `after` (the last change of the previous page) when given; and the
  // move of one, in one Write that reads it again and makes exactly the move a client's POST
  // /changes/statuschanges to EFFECTIVE or EXPIRED makes, as kSystemActor. MoveIfDue
  // answers false when the change is no longer due (moved, re-dated, deleted).
  Result<std::vector<DueChange>> DueChanges(int64_t limit,
                                            const std::optional<DueChange>& after = std::nullopt);
  Result<bool> MoveIfDue(const DueChange& change);

  // Suppliers and supplier items.
  Result<Json> CreateSupplier(const Ctx& ctx, const Json& body);
  Result<Json> GetSupplier(const std::string& ws, const std::string& guid);
  Result<Json> UpdateSupplier(const Ctx& ctx, const std::string& guid, const Json& body,
                              bool setnull);
  Status DeleteSupplier(const Ctx& ctx, const std::string& guid);
  Result<Json> ListSuppliers(const std::string& ws, const Filters& f);
  Result<Json> CreateSupplierItem(const Ctx& ctx, const Json& body);
  Result<Json> GetSupplierItem(const std::string& ws, const std::string& guid);
  Result<Json> UpdateSupplierItem(const Ctx& ctx, const std::string& guid, const Json& body,
                                  bool setnull);
  Status DeleteSupplierItem(const Ctx& ctx, const std::string& guid);
  Result<Json> ListSupplierItems(const std::string& ws, const Filters& f);

 private:
  store::Store& store_;
  const Clock& clock_;
  std::mutex seeded_mu_;
  std::set<std::string, std::less<>> seeded_;
};

}  // namespace arenite::plm
