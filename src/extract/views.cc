#include "extract/views.h"

#include <fmt/format.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "plm/logic.h"

namespace arenite::extract {
namespace {

// How a column's SQL value becomes CSV text.
enum class Kind { kText, kNumber, kBool, kTime, kRevisionStatus };

struct ViewDef {
  std::string name;
  std::vector<std::string> columns;  // after Trans Type; the first is "Guid"
  std::vector<Kind> kinds;
  std::string sql;  // one parameter: the workspace guid; columns in order
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
       "SELECT b.guid, pi.guid, pi.number, pr.revision_number, ci.guid, ci.number, "
       "cr.revision_number, b.quantity, b.notes, b.ref_des, b.line_number FROM items pi "
       "JOIN item_revisions pr ON pr.guid = " +
           Shown("pi") +
           " JOIN bom_lines b ON b.parent_rev = pr.guid JOIN items ci ON ci.guid = b.child_item "
           "JOIN item_revisions cr ON cr.guid = " +
           Shown("ci") +
           " WHERE pi.workspace_guid = ? ORDER BY pi.created_at, pi.guid, b.line_number"},
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
      {"Changes_Summary",
       {"Guid", "Change Number", "Title", "Description", "Effectivity Type", "Lifecycle Status",
        "Creation Date", "Effective Date", "Last Modified Date"},
       {K::kText, K::kText, K::kText, K::kText, K::kText, K::kText, K::kTime, K::kTime, K::kTime},
       "SELECT guid, number, title, description, effectivity_type, status, created_at, "
       "effective_at, updated_at FROM changes WHERE workspace_guid = ? ORDER BY guid"},
      {"Changes_Items",
       {"Guid", "Change Guid", "Change Number", "Item Guid", "Item Number", "New Revision",
        "New Lifecycle Phase"},
       {K::kText, K::kText, K::kText, K::kText, K::kText, K::kText, K::kText},
       "SELECT ci.guid, c.guid, c.number, i.guid, i.number, ci.new_revision_number, p.name "
       "FROM change_items ci JOIN changes c ON c.guid = ci.change_guid JOIN items i ON i.guid = "
       "ci.item_guid LEFT JOIN lifecycle_phases p ON p.guid = ci.new_phase_guid "
       "WHERE ci.workspace_guid = ? ORDER BY ci.guid"},
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

// One row of a view rendered as CSV text, as views for EmitRow; reused across the rows of a
// query so that its buffers are allocated once.
struct RenderedRow {
  explicit RenderedRow(const ViewDef& def) : buffers(def.columns.size()), views(buffers.size()) {}
  void Fill(const ViewDef& def, const store::Row& row) {
    for (size_t i = 0; i < views.size(); ++i) {
      views[i] = Render(row, static_cast<int>(i), def.kinds[i], buffers[i]);
    }
  }
  std::vector<std::string> buffers;
  std::vector<std::string_view> views;
};

}  // namespace

const std::vector<std::string>& ViewNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& d : Defs()) out.push_back(d.name);
    return out;
  }();
  return names;
}

bool IsView(std::string_view name) { return FindDef(name) != nullptr; }

ViewSource FullView(const std::string& view, const std::string& workspace_id) {
  const ViewDef* def = FindDef(view);
  return {def->name, def->columns, [def, workspace_id](store::Tx& tx, const EmitRow& emit) {
            RenderedRow r(*def);
            return tx.Query(def->sql, {workspace_id}, [&](const store::Row& row) {
              r.Fill(*def, row);
              return emit("INSERT", r.views);
            });
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
                     const ViewState* previous, ViewState* next) {
  const ViewDef* def = FindDef(view);
  return {def->name, def->columns,
          [def, workspace_id, previous, next](store::Tx& tx, const EmitRow& emit) -> Status {
            RenderedRow r(*def);
            bool go_on = true;
            ARENITE_RETURN_IF_ERROR(tx.Query(def->sql, {workspace_id}, [&](const store::Row& row) {
              r.Fill(*def, row);
              // Each value length-prefixed, so that no two different rows digest the same text.
              std::string joined;
              for (const auto& v : r.views) {
                joined += std::to_string(v.size());
                joined += ':';
                joined += v;
              }
              RowState state{crypto::Sha256(joined).substr(0, 16),
                             r.views.size() > 1 ? std::string(r.views[1]) : ""};
              std::string guid(r.views[0]);
              auto before = previous->find(guid);
              const char* trans = before == previous->end()               ? "INSERT"
                                  : before->second.digest != state.digest ? "UPDATE"
                                                                          : nullptr;
              (*next)[guid] = std::move(state);
              if (trans) go_on = emit(trans, r.views);
              return go_on;
            }));
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
