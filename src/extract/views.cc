#include "extract/views.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>

#include "core/clock.h"
#include "core/crypto.h"
#include "plm/logic.h"

namespace arenite::extract {
namespace {

// How a column's SQL value becomes CSV text.
enum class Kind { kText, kNumber, kBool, kTime, kRevisionStatus };

// Columns of a view that name an item by guid and show its number or shown revision, filled
// from the package's table of item labels (ViewLookups) instead of a join: the view's SQL gives
// the guid, and NULL in the columns filled.
struct Lookup {
  int key;                 // the column holding the item's guid
  std::vector<int> fills;  // the columns the item's number and revision fill (-1: neither)
};

// An item's label: its number and the number of the revision GET /v1/items/{guid} shows.
constexpr size_t kItemLabelValues = 2;

struct ViewDef {
  std::string name;
  std::vector<std::string> columns;  // after Trans Type; the first is "Guid"
  std::vector<Kind> kinds;
  std::string sql;  // one parameter: the workspace guid; columns in order
  std::optional<Lookup> lookup = std::nullopt;
};

// The item's shown revision: effective if there is one, else working.
constexpr char kShownRevision[] = "COALESCE(%1.effective_rev, %1.working_rev)";

std::string Shown(const std::string& alias) {
  std::string s = kShownRevision;
  for (size_t p; (p = s.find("%1")) != std::string::npos;) s.replace(p, 2, alias);
  return s;
}

const std::vector<ViewDef>& Defs() {
  using K = Kind;
  static const std::vector<ViewDef> defs = {
      {"Items_Summary",
       {"Guid", "Item Number", "Item Name", "Revision", "Revision Status", "Description",
        "Category", "Lifecycle Phase", "Unit of Measure", "Procurement Type", "Production Cost",
        "Creation Date", "Effective Date", "Last Modified Date"},
       {K::kText, K::kText, K::kText, K::kText, K::kRevisionStatus, K::kText, K::kText, K::kText,
        K::kText, K::kText, K::kNumber, K::kTime, K::kTime, K::kTime},
       "SELECT i.guid, i.number, r.name, r.revision_number, r.status, r.description, c.path, "
       "p.name, r.uom, r.procurement_type, r.production_cost, i.created_at, r.effective_at, "
       "i.updated_at FROM items i JOIN item_revisions r ON r.guid = " +
           Shown("i") +
           " LEFT JOIN item_categories c ON c.guid = r.category_guid "
           "LEFT JOIN lifecycle_phases p ON p.guid = r.phase_guid "
           "WHERE i.workspace_guid = ? ORDER BY i.created_at, i.guid"},
      {"Items_BOM",
       {"Guid", "Parent Item Guid", "Parent Item Number", "Parent Item Revision", "Child Item Guid",
        "Child Item Number", "Child Item Revision", "Quantity", "Notes", "Reference Designators",
        "Find Number"},
       {K::kText, K::kText, K::kText, K::kText, K::kText, K::kText, K::kText, K::kNumber, K::kText,
        K::kText, K::kNumber},
       // The child's number and revision come from the item labels: as a join they were two
       // look-ups in items and item_revisions for every line, anywhere in those tables, most of
       // the package's time once the tables outgrow the page cache.
       "SELECT b.guid, pi.guid, pi.number, pr.revision_number, b.child_item, NULL, NULL, "
       "b.quantity, b.notes, b.ref_des, b.line_number FROM items pi "
       "JOIN item_revisions pr ON pr.guid = " +
           Shown("pi") +
           " JOIN bom_lines b ON b.parent_rev = pr.guid"
           " WHERE pi.workspace_guid = ? ORDER BY pi.created_at, pi.guid, b.line_number",
       Lookup{4, {5, 6}}},
      {"Items_Sourcing",
       {"Guid", "Item Guid", "Item Number", "Item Revision", "Manufacturer Item Guid",
        "Manufacturer Item Number", "Vendor Item Guid", "Vendor Item Number", "AML Rank",
        "Approved", "Active Production", "Active Prototype", "Make Item"},
       {K::kText, K::kText, K::kText, K::kText, K::kText, K::kText, K::kText, K::kText, K::kNumber,
        K::kBool, K::kBool, K::kBool, K::kBool},
       "SELECT s.guid, i.guid, i.number, r.revision_number, m.guid, m.number, v.guid, v.number, "
       "s.aml_rank, s.approved, s.active_production, s.active_prototype, s.make_item "
       "FROM items i JOIN item_revisions r ON r.guid = " +
           Shown("i") +
           " JOIN sourcing s ON s.rev_guid = r.guid LEFT JOIN supplier_items m ON m.guid = "
           "s.mfr_item LEFT JOIN supplier_items v ON v.guid = s.vendor_item "
           "WHERE i.workspace_guid = ? ORDER BY i.created_at, i.guid"},
      // Category came after the others, so it is last: readers by position keep working.
      {"Changes_Summary",
       {"Guid", "Change Number", "Title", "Description", "Effectivity Type", "Lifecycle Status",
        "Creation Date", "Effective Date", "Last Modified Date", "Category"},
       {K::kText, K::kText, K::kText, K::kText, K::kText, K::kText, K::kTime, K::kTime, K::kTime,
        K::kText},
       "SELECT ch.guid, ch.number, ch.title, ch.description, ch.effectivity_type, ch.status, "
       "ch.created_at, ch.effective_at, ch.updated_at, cc.path FROM changes ch LEFT JOIN "
       "change_categories cc ON cc.guid = ch.category_guid WHERE ch.workspace_guid = ? ORDER BY "
       "ch.guid"},
      {"Changes_Items",
       {"Guid", "Change Guid", "Change Number", "Item Guid", "Item Number", "New Revision",
        "New Lifecycle Phase"},
       {K::kText, K::kText, K::kText, K::kText, K::kText, K::kText, K::kText},
       // The item's number comes from the item labels, as for Items_BOM.
       "SELECT ci.guid, c.guid, c.number, ci.item_guid, NULL, ci.new_revision_number, p.name "
       "FROM change_items ci JOIN changes c ON c.guid = ci.change_guid "
       "LEFT JOIN lifecycle_phases p ON p.guid = ci.new_phase_guid "
       "WHERE ci.workspace_guid = ? ORDER BY ci.guid",
       Lookup{3, {4, -1}}},
      {"Suppliers_Summary",
       {"Guid", "Supplier Name", "Supplier ID", "Account Number", "Description", "Website",
        "Approval Status", "Creation Date", "Last Modified Date"},
       {K::kText, K::kText, K::kText, K::kText, K::kText, K::kText, K::kText, K::kTime, K::kTime},
       "SELECT guid, name, supplier_id, account_number, description, website, approval_status, "
       "created_at, updated_at FROM suppliers WHERE workspace_guid = ? ORDER BY guid"},
      {"Supplier_Items_Summary",
       {"Guid", "Supplier Guid", "Supplier Name", "Number", "Name", "Description", "Type",
        "Unit of Measure", "Creation Date", "Last Modified Date"},
       {K::kText, K::kText, K::kText, K::kText, K::kText, K::kText, K::kText, K::kText, K::kTime,
        K::kTime},
       "SELECT si.guid, s.guid, s.name, si.number, si.name, si.description, si.type, si.uom, "
       "si.created_at, si.updated_at FROM supplier_items si JOIN suppliers s ON s.guid = "
       "si.supplier_guid WHERE si.workspace_guid = ? ORDER BY si.number"},
  };
  return defs;
}

const ViewDef* FindDef(std::string_view name) {
  for (const auto& d : Defs()) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

// Renders one column into `out` (reusing its buffer) and answers a view of the text: of `out`,
// or, for text columns, of the row's own value, valid until the query steps on.
std::string_view Render(const store::Row& row, int col, Kind kind, std::string& out) {
  if (row.IsNull(col)) return {};
  switch (kind) {
    case Kind::kText:
      return row.Text(col);
    case Kind::kNumber:
      out.clear();
      fmt::format_to(std::back_inserter(out), "{}", row.Real(col));
      return out;
    case Kind::kBool:
      return row.Int(col) != 0 ? "true" : "false";
    case Kind::kTime:
      out = FormatDateTime(row.Int(col));
      return out;
    case Kind::kRevisionStatus:
      return plm::RevisionStatusName(row.Int(col));
  }
  return {};
}

// The item labels of one item, and of every item of a workspace in storage order (guid first).
const std::string& OneItemLabelSql() {
  static const std::string sql =
      "SELECT i.number, r.revision_number FROM items i JOIN item_revisions r ON r.guid = " +
      Shown("i") + " WHERE i.guid = ?";
  return sql;
}
const std::string& ItemLabelsSql() {
  static const std::string sql =
      "SELECT i.guid, i.number, r.revision_number FROM items i JOIN item_revisions r ON r.guid = " +
      Shown("i") + " WHERE i.workspace_guid = ? ORDER BY i.created_at";
  return sql;
}

// One row of a view rendered as CSV text, as views for EmitRow; reused across the rows of a
// query so that its buffers are allocated once. Takes the item labels at once if another view
// of the package has filled them already.
class RenderedRow {
 public:
  RenderedRow(const ViewDef& def, ViewLookups& lookups, const std::string& workspace_id)
      : def_(def),
        lookups_(lookups),
        workspace_id_(workspace_id),
        buffers_(def.columns.size()),
        views_(buffers_.size()),
        labels_(def.lookup ? lookups.Filled() : nullptr),
        next_check_(std::max<int64_t>(1, lookups.first_check())) {}

  // Renders `row`; false when it is to be left out (the item it names does not exist, as an
  // inner join would leave it out) or a look-up failed (then status() says why).
  bool Fill(store::Tx& tx, const store::Row& row) {
    for (size_t i = 0; i < views_.size(); ++i) {
      views_[i] = Render(row, static_cast<int>(i), def_.kinds[i], buffers_[i]);
    }
    if (!def_.lookup) return true;
    const Lookup& l = *def_.lookup;
    std::string_view key = views_[static_cast<size_t>(l.key)];
    std::array<std::string_view, kItemLabelValues> found;
    if (!FromTable(tx, key, found)) {
      bool exists = false;
      status_ = tx.Query(OneItemLabelSql(), {std::string(key)}, [&](const store::Row& r) {
        for (size_t k = 0; k < kItemLabelValues; ++k) {
          if (l.fills[k] < 0) continue;
          auto& buffer = buffers_[static_cast<size_t>(l.fills[k])];
          buffer.assign(r.Text(static_cast<int>(k)));
          found[k] = buffer;
        }
        exists = true;
        return false;
      });
      if (!status_.ok() || !exists) return false;
    }
    for (size_t k = 0; k < kItemLabelValues; ++k) {
      if (l.fills[k] >= 0) views_[static_cast<size_t>(l.fills[k])] = found[k];
    }
    return true;
  }

  const std::vector<std::string_view>& views() const { return views_; }
  const Status& status() const { return status_; }

 private:
  // The labels of `key` from the table, filling it first when the look-ups made it worth it;
  // false when the store is to be asked (then status_ may hold a failure).
  bool FromTable(store::Tx& tx, std::string_view key,
                 std::array<std::string_view, kItemLabelValues>& found) {
    if (!labels_ && ++misses_ >= next_check_) {
      next_check_ *= 2;
      auto filled = lookups_.FillIfWorth(tx, workspace_id_, misses_);
      if (!filled.ok()) {
        status_ = filled.error();
        return false;
      }
      labels_ = *filled;
    }
    return labels_ && labels_->Find(key, found);
  }

  const ViewDef& def_;
  ViewLookups& lookups_;
  const std::string& workspace_id_;
  std::vector<std::string> buffers_;
  std::vector<std::string_view> views_;
  const LabelTable* labels_;
  int64_t misses_ = 0;  // look-ups made while there was no table
  int64_t next_check_;
  Status status_ = OkStatus();
};

}  // namespace

ViewLookups::ViewLookups(size_t budget_bytes, int64_t first_check)
    : budget_(budget_bytes), first_check_(first_check) {}

const LabelTable* ViewLookups::Filled() {
  std::lock_guard lock(mu_);
  return items_ ? &*items_ : nullptr;
}

Result<const LabelTable*> ViewLookups::FillIfWorth(store::Tx& tx, const std::string& workspace_id,
                                                   int64_t lookups) {
  std::lock_guard lock(mu_);
  if (!workspace_.empty() && workspace_id != workspace_) {
    return Internal("item labels of another workspace");
  }
  workspace_ = workspace_id;
  if (items_) return &*items_;
  if (!items_in_workspace_) {
    ARENITE_ASSIGN_OR_RETURN(auto n, tx.QueryInt("SELECT COUNT(*) FROM items WHERE "
                                                 "workspace_guid = ?",
                                                 {workspace_id}));
    items_in_workspace_ = n.value_or(0);
  }
  if (lookups < *items_in_workspace_ / 8) return nullptr;
  LabelTable table(kItemLabelValues, budget_);
  std::array<std::string_view, kItemLabelValues> values;
  ARENITE_RETURN_IF_ERROR(tx.Query(ItemLabelsSql(), {workspace_id}, [&](const store::Row& row) {
    for (size_t k = 0; k < values.size(); ++k) values[k] = row.Text(static_cast<int>(k) + 1);
    return table.Add(row.Text(0), values);
  }));
  items_.emplace(std::move(table));
  return &*items_;
}

const std::vector<std::string>& ViewNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& d : Defs()) out.push_back(d.name);
    return out;
  }();
  return names;
}

bool IsView(std::string_view name) { return FindDef(name) != nullptr; }

ViewSource FullView(const std::string& view, const std::string& workspace_id,
                    std::shared_ptr<ViewLookups> lookups) {
  const ViewDef* def = FindDef(view);
  if (!lookups) lookups = std::make_shared<ViewLookups>();
  return {def->name, def->columns,
          [def, workspace_id, lookups](store::Tx& tx, const EmitRow& emit) -> Status {
            RenderedRow r(*def, *lookups, workspace_id);
            ARENITE_RETURN_IF_ERROR(tx.Query(def->sql, {workspace_id}, [&](const store::Row& row) {
              if (!r.Fill(tx, row)) return r.status().ok();
              return emit("INSERT", r.views());
            }));
            return r.status();
          }};
}

Result<int64_t> CountRows(store::Tx& tx, const std::string& view, const std::string& workspace_id) {
  const ViewDef* def = FindDef(view);
  if (!def) return BadRequest("\"" + view + "\" is not a view", kErrInvalidValue);
  ARENITE_ASSIGN_OR_RETURN(
      auto n, tx.QueryInt("SELECT COUNT(*) FROM (" + def->sql + ") counted", {workspace_id}));
  return n.value_or(0);
}

ViewSource DeltaView(const std::string& view, const std::string& workspace_id,
                     const ViewState* previous, ViewState* next,
                     std::shared_ptr<ViewLookups> lookups) {
  const ViewDef* def = FindDef(view);
  if (!lookups) lookups = std::make_shared<ViewLookups>();
  return {
      def->name, def->columns,
      [def, workspace_id, previous, next, lookups](store::Tx& tx, const EmitRow& emit) -> Status {
        RenderedRow r(*def, *lookups, workspace_id);
        bool go_on = true;
        ARENITE_RETURN_IF_ERROR(tx.Query(def->sql, {workspace_id}, [&](const store::Row& row) {
          if (!r.Fill(tx, row)) return r.status().ok();
          const auto& views = r.views();
          // Each value length-prefixed, so that no two different rows digest the same text.
          std::string joined;
          for (const auto& v : views) {
            joined += std::to_string(v.size());
            joined += ':';
            joined += v;
          }
          RowState state{crypto::Sha256(joined).substr(0, 16),
                         views.size() > 1 ? std::string(views[1]) : ""};
          std::string guid(views[0]);
          auto before = previous->find(guid);
          const char* trans = before == previous->end()               ? "INSERT"
                              : before->second.digest != state.digest ? "UPDATE"
                                                                      : nullptr;
          (*next)[guid] = std::move(state);
          if (trans) go_on = emit(trans, views);
          return go_on;
        }));
        ARENITE_RETURN_IF_ERROR(r.status());
        if (!go_on) return OkStatus();
        // Rows of the previous package that are gone.
        std::vector<std::string_view> gone(def->columns.size());
        for (const auto& [guid, state] : *previous) {
          if (next->count(guid)) continue;
          gone[0] = guid;
          if (gone.size() > 1) gone[1] = state.key;
          if (!emit("DELETE", gone)) break;
        }
        return OkStatus();
      }};
}

}  // namespace arenite::extract
