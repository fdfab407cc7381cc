#include "plm/demo.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

#include "core/guid.h"
#include "plm/logic.h"
#include "plm/plm.h"

namespace arenite::plm {
namespace {

// splitmix64: small, fast and the same on every platform (std distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int64_t Range(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(int percent) { return Range(1, 100) <= percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Next() % v.size())];
  }
  // A guid drawn from this generator, so that a seed gives the same data every time. The
  // first 8 characters count up, so bulk inserts append to the indexes instead of scattering
  // over them; the 12 random ones keep guids of separate runs apart.
  std::string Guid() {
    static constexpr char kChars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    std::string g(kGuidLength, '0');
    uint64_t n = ++count_;
    for (int i = 7; i >= 0; --i, n /= 36) g[i] = kChars[n % 36];
    for (size_t i = 8; i < g.size(); ++i) g[i] = kChars[Next() % 36];
    return g;
  }

 private:
  uint64_t s_;
  uint64_t count_ = 0;
};

enum Kind { kElec, kMech, kDoc, kPcba, kSub, kTop };

struct Cat {
  std::string guid, path, prefix;
  int64_t digits = 5;
  std::string format;
};

struct DemoItem {
  std::string guid, number, name, category, phase;
  Kind kind = kElec;
  std::string work_rev, eff_rev, sup_rev;
  std::string eff_number, sup_number, eff_change, sup_change;
  int64_t created = 0, released = 0;
  std::string refdes_letter;
  std::vector<std::pair<size_t, int64_t>> children;          // index, quantity
  std::vector<std::pair<std::string, std::string>> sources;  // mfr item, vendor item
};

struct DemoChange {
  std::string guid, number, title, status;
  int64_t created = 0;
  std::vector<size_t> items;
};

const std::vector<std::string> kResistance = {"10",   "22",   "47",  "100", "220", "470",  "1K",
                                              "2.2K", "4.7K", "10K", "22K", "47K", "100K", "1M"};
const std::vector<std::string> kPackages = {"0402", "0603", "0805", "1206"};
const std::vector<std::string> kCapacitance = {"10PF",  "22PF", "100PF", "1NF",  "10NF",
                                               "100NF", "1UF",  "4.7UF", "10UF", "22UF"};
const std::vector<std::string> kIcs = {
    "IC MCU 32BIT 512KB FLASH LQFP64", "IC REG LDO 3.3V 500MA SOT23-5", "IC OPAMP DUAL RRIO SOIC8",
    "IC EEPROM 256KBIT I2C SOIC8",     "IC BUCK CONV 2A ADJ SOT23-6",   "IC CAN TRANSCEIVER SOIC8",
    "IC ETH PHY 10/100 QFN32",         "IC ACCEL 3-AXIS I2C LGA14",     "IC USB-UART BRIDGE QFN24"};
const std::vector<std::string> kConnectors = {
    "CONN HEADER 2X5 2.54MM VERT", "CONN USB-C RCPT SMD",  "CONN RJ45 JACK SHIELDED",
    "CONN TERM BLOCK 3POS 5.08MM", "CONN FFC 24POS 0.5MM", "CONN SMA JACK EDGE MOUNT"};
const std::vector<std::string> kMechNames = {"SCREW PAN HEAD PHILLIPS M3X8 SS",
                                             "SCREW FLAT HEAD M2.5X6 BLK",
                                             "NUT HEX M3 SS",
                                             "WASHER FLAT M3 NYLON",
                                             "STANDOFF M3X10 HEX BRASS",
                                             "ENCLOSURE ABS 120X80X40 GRY",
                                             "BRACKET L 2MM ALUMINIUM",
                                             "CABLE ASSY USB-C TO A 1M",
                                             "LABEL RATING POLYESTER 50X25",
                                             "GASKET EPDM 1.5MM",
                                             "HEATSINK TO-220 25MM",
                                             "PANEL FRONT ANODISED"};
const std::vector<std::string> kProducts = {"EveryRoad", "Model 300", "Model 500", "Atlas",
                                            "Nimbus",    "Vector",    "Orion",     "Helix"};
const std::vector<std::string> kModules = {"POWER MODULE", "MAIN CONTROLLER", "DISPLAY",
                                           "SENSOR HEAD",  "COMMS BOARD",     "BATTERY PACK",
                                           "FRONT PANEL",  "CHASSIS"};
const std::vector<std::string> kManufacturers = {"Yageo",
                                                 "Murata",
                                                 "Vishay",
                                                 "TDK",
                                                 "Texas Instruments",
                                                 "STMicroelectronics",
                                                 "NXP Semiconductors",
                                                 "Molex",
                                                 "TE Connectivity",
                                                 "Wurth Elektronik",
                                                 "Bourns",
                                                 "Kemet"};
const std::vector<std::string> kDistributors = {"Digi-Key", "Mouser Electronics", "Arrow", "Avnet",
                                                "Farnell",  "RS Components"};

std::string Pad(int64_t v, int width) { return FormatNumber("", width, v); }

}  // namespace

Result<json::Json> GenerateDemoData(store::Store& store, const DemoOptions& o) {
  Rng rng(o.seed);
  int64_t now = o.now;
  const int64_t kTwoYears = 2 * 365 * 86400;
  ARENITE_RETURN_IF_ERROR(
      store.Write([&](store::Tx& tx) { return Plm::SeedDefaults(tx, o.workspace, now); }));

  // Lookups.
  std::map<std::string, Cat> cats;
  std::map<std::string, std::string> phases;
  std::map<std::string, int64_t> counters;
  std::string change_format;
  ARENITE_RETURN_IF_ERROR(store.Read([&](store::Tx& tx) -> Status {
    ARENITE_RETURN_IF_ERROR(
        tx.Query("SELECT c.guid, c.path, f.prefix, f.digits, f.guid FROM item_categories c JOIN "
                 "number_formats f ON f.guid = c.number_format_guid WHERE c.workspace_guid = ? AND "
                 "c.structural = 0",
                 {o.workspace}, [&](const store::Row& row) {
                   cats[row.String(1)] =
                       Cat{row.String(0), row.String(1), row.String(2), row.Int(3), row.String(4)};
                   return true;
                 }));
    ARENITE_RETURN_IF_ERROR(
        tx.Query("SELECT name, guid FROM lifecycle_phases WHERE workspace_guid = ?", {o.workspace},
                 [&](const store::Row& row) {
                   phases[row.String(0)] = row.String(1);
                   return true;
                 }));
    ARENITE_RETURN_IF_ERROR(tx.Query("SELECT name, next FROM plm_counters WHERE workspace_guid = ?",
                                     {o.workspace}, [&](const store::Row& row) {
                                       counters[row.String(0)] = row.Int(1);
                                       return true;
                                     }));
    ARENITE_ASSIGN_OR_RETURN(
        auto cf, tx.QueryString("SELECT guid FROM number_formats WHERE workspace_guid = ? AND "
                                "object_type = 'CHANGE' AND is_default = 1",
                                {o.workspace}));
    change_format = cf.value_or("");
    return OkStatus();
  }));
  auto cat = [&](const char* path) -> const Cat& { return cats[path]; };
  auto next_number = [&](const Cat& c) {
    int64_t& n = counters["nf:" + c.format];
    if (n < 1) n = 1;
    return FormatNumber(c.prefix, static_cast<int>(c.digits), n++);
  };
  const std::vector<const char*> kElecCats = {"Parts\\Electrical\\Resistor",
                                              "Parts\\Electrical\\Capacitor",
                                              "Parts\\Electrical\\Inductor",
                                              "Parts\\Electrical\\Diode",
                                              "Parts\\Electrical\\Integrated Circuit",
                                              "Parts\\Electrical\\Connector",
                                              "Parts\\Electrical\\Crystal"};
  const std::vector<const char*> kMechCats = {
      "Parts\\Mechanical\\Fastener", "Parts\\Mechanical\\Enclosure", "Parts\\Mechanical\\Bracket",
      "Parts\\Mechanical\\Cable", "Parts\\Mechanical\\Label"};
  const std::vector<const char*> kDocCats = {"Documents\\Specification", "Documents\\Drawing",
                                             "Documents\\Procedure"};

  // Changes: EFFECTIVE and COMPLETED ones released the items; EXPIRED ones are deviations, which
  // released nothing; the rest are in flight.
  int64_t change_count = std::clamp<int64_t>(o.items / 40, 8, 50000);
  std::vector<DemoChange> changes(static_cast<size_t>(change_count));
  // EXPIRED ones are deviations (TEMPORARY) past their expiration date, which released nothing.
  const std::array<const char*, 9> kStatuses = {kEffective,  kCompleted, kOpenUnlocked,
                                                kOpenLocked, kSubmitted, kApproved,
                                                kRejected,   kCanceled,  kExpired};
  std::vector<size_t> released_changes, open_changes;
  int64_t& change_counter = counters["nf:" + change_format];
  if (change_counter < 1) change_counter = 1;
  for (size_t i = 0; i < changes.size(); ++i) {
    auto& c = changes[i];
    c.guid = rng.Guid();
    c.number = FormatNumber("ECO-", 6, change_counter++);
    // Half the changes released items; the rest spread over the other statuses.
    c.status = i % 2 == 0 ? kStatuses[i % 4 == 0 ? 0 : 1] : kStatuses[2 + (i / 2) % 7];
    c.created = now - rng.Range(3600, kTwoYears);
    const std::string& product = rng.Pick(kProducts);
    c.title = std::string(i % 3 == 0   ? "Release "
                          : i % 3 == 1 ? "Replace EOL parts in "
                                       : "Cost reduction for ") +
              product + " " + rng.Pick(kModules);
    (c.status == kEffective || c.status == kCompleted ? released_changes : open_changes)
        .push_back(i);
  }

  // Items.
  std::vector<DemoItem> items(static_cast<size_t>(o.items));
  std::vector<size_t> pool[6];
  // Creation times ascend with the items' order, which is also the order they are stored in:
  // a workspace that grew over time has its rows in the order they were created, so a walk in
  // creation order (the DataExtract views) reads the tables front to back, as it would there.
  std::vector<int64_t> created(items.size());
  for (auto& t : created) t = now - rng.Range(86400, kTwoYears);
  std::sort(created.begin(), created.end());
  for (size_t i = 0; i < items.size(); ++i) {
    auto& it = items[i];
    int64_t roll = rng.Range(1, 100);
    it.kind = roll <= 45   ? kElec
              : roll <= 70 ? kMech
              : roll <= 78 ? kDoc
              : roll <= 88 ? kPcba
              : roll <= 97 ? kSub
                           : kTop;
    pool[it.kind].push_back(i);
    it.guid = rng.Guid();
    it.work_rev = rng.Guid();
    it.created = created[i];
    const char* path = nullptr;
    switch (it.kind) {
      case kElec: {
        path = kElecCats[static_cast<size_t>(rng.Range(0, 6))];
        std::string p = path;
        if (p.ends_with("Resistor")) {
          it.name = "RES " + rng.Pick(kResistance) + " OHM " + (rng.Chance(70) ? "1%" : "5%") +
                    " 1/10W " + rng.Pick(kPackages);
          it.refdes_letter = "R";
        } else if (p.ends_with("Capacitor")) {
          it.name = "CAP CER " + rng.Pick(kCapacitance) + " " +
                    std::to_string(rng.Pick(std::vector<int>{10, 16, 25, 50})) + "V X7R " +
                    rng.Pick(kPackages);
          it.refdes_letter = "C";
        } else if (p.ends_with("Inductor")) {
          it.name = "IND " + std::to_string(rng.Range(1, 47)) + "UH " +
                    std::to_string(rng.Range(1, 5)) + "A SHIELDED 1210";
          it.refdes_letter = "L";
        } else if (p.ends_with("Diode")) {
          it.name = rng.Chance(50) ? "DIODE SCHOTTKY 40V 1A SOD123" : "LED GREEN 0603 20MA";
          it.refdes_letter = "D";
        } else if (p.ends_with("Circuit")) {
          it.name = rng.Pick(kIcs);
          it.refdes_letter = "U";
        } else if (p.ends_with("Connector")) {
          it.name = rng.Pick(kConnectors);
          it.refdes_letter = "J";
        } else {
          it.name = "XTAL " + std::to_string(rng.Pick(std::vector<int>{8, 12, 16, 25, 32})) +
                    "MHZ 18PF SMD";
          it.refdes_letter = "Y";
        }
        break;
      }
      case kMech:
        path = kMechCats[static_cast<size_t>(rng.Range(0, 4))];
        it.name = rng.Pick(kMechNames);
        break;
      case kDoc:
        path = kDocCats[static_cast<size_t>(rng.Range(0, 2))];
        it.name = std::string(rng.Chance(50) ? "SPEC, " : "DWG, ") + rng.Pick(kProducts) + " " +
                  rng.Pick(kModules);
        break;
      case kPcba:
        path = "Assemblies\\PCBA";
        it.name = "PCBA, " + rng.Pick(kProducts) + " " + rng.Pick(kModules);
        break;
      case kSub:
        path = "Assemblies\\Sub-Assembly";
        it.name = "SUB-ASSY, " + rng.Pick(kProducts) + " " + rng.Pick(kModules);
        break;
      case kTop:
        path = "Assemblies\\Top-Level Assembly";
        it.name = "TOP ASSY, " + rng.Pick(kProducts) + " " +
                  rng.Pick(std::vector<std::string>{"Standard", "Pro", "Industrial", "Lite"});
        break;
    }
    const Cat& c = cat(path);
    it.category = c.guid;
    it.number = next_number(c);
    if (it.kind == kMech || it.kind == kDoc) it.number += "-" + Pad(rng.Range(1, 3), 2);
    // Lifecycle: most parts are in production.
    int64_t life = rng.Range(1, 100);
    const char* phase = life <= 15   ? "Unreleased"
                        : life <= 35 ? "In Design"
                        : life <= 45 ? "Prototype"
                        : life <= 92 ? "In Production"
                        : life <= 97 ? "Deprecated"
                                     : "Obsolete";
    it.phase = phases[phase];
    if (life > 15 && !released_changes.empty()) {
      it.eff_rev = rng.Guid();
      it.released = it.created + rng.Range(3600, std::max<int64_t>(3601, now - it.created - 60));
      if (it.released >= now) it.released = now - 60;
      bool history = rng.Chance(25);
      it.eff_number = history ? std::string(1, static_cast<char>('B' + rng.Range(0, 2))) : "A";
      it.eff_change = changes[rng.Pick(released_changes)].guid;
      if (history) {
        it.sup_rev = rng.Guid();
        it.sup_number = std::string(1, static_cast<char>(it.eff_number[0] - 1));
        it.sup_change = changes[rng.Pick(released_changes)].guid;
      }
    }
  }
  // BOMs: tops hold sub-assemblies (shared between tops), which hold PCBAs and mechanical
  // parts; PCBAs hold electrical parts. Levels only point down, so there is no cycle.
  auto add_children = [&](DemoItem& parent, Kind kind, int64_t lo, int64_t hi, int64_t max_qty) {
    if (pool[kind].empty()) return;
    int64_t n = rng.Range(lo, hi);
    for (int64_t k = 0; k < n; ++k) {
      size_t child = rng.Pick(pool[kind]);
      bool dup = false;
      for (auto& [idx, q] : parent.children) dup = dup || idx == child;
      if (!dup) parent.children.push_back({child, rng.Range(1, max_qty)});
    }
  };
  for (auto& it : items) {
    if (it.kind == kPcba) {
      add_children(it, kElec, 8, 25, 8);
    } else if (it.kind == kSub) {
      add_children(it, kPcba, 0, 2, 1);
      add_children(it, kMech, 2, 8, 6);
      add_children(it, kDoc, 0, 1, 1);
    } else if (it.kind == kTop) {
      add_children(it, kSub, 2, 6, 2);
      add_children(it, kMech, 1, 5, 4);
      add_children(it, kDoc, 1, 1, 1);
    }
  }
  // Open changes and expired deviations take items' working revisions, one change per item.
  if (!open_changes.empty() && !items.empty()) {
    for (size_t c : open_changes) {
      int64_t n = rng.Range(1, 4);
      for (int64_t k = 0; k < n; ++k) changes[c].items.push_back(rng.Next() % items.size());
    }
    std::vector<bool> taken(items.size(), false);
    for (size_t c : open_changes) {
      auto& v = changes[c].items;
      std::vector<size_t> kept;
      for (size_t i : v) {
        if (!taken[i]) kept.push_back(i);
        taken[i] = true;
      }
      v = kept;
    }
  }

  // Suppliers and supplier items.
  int64_t supplier_count = std::clamp<int64_t>(o.items / 100, 8, 5000);
  struct Supplier {
    std::string guid, name;
    bool distributor;
  };
  std::vector<Supplier> suppliers;
  for (int64_t i = 0; i < supplier_count; ++i) {
    bool dist = i % 3 == 2;
    const auto& names = dist ? kDistributors : kManufacturers;
    std::string name = names[static_cast<size_t>(i / 3) % names.size()];
    if (i >= 3 * static_cast<int64_t>(names.size())) name += " " + std::to_string(i / 3 + 1);
    suppliers.push_back({rng.Guid(), name, dist});
  }
  std::vector<size_t> mfrs, dists;
  for (size_t i = 0; i < suppliers.size(); ++i) {
    (suppliers[i].distributor ? dists : mfrs).push_back(i);
  }
  struct SupplierItem {
    std::string guid, supplier, number, name;
  };
  std::vector<SupplierItem> supplier_items;
  for (auto& it : items) {
    if (it.kind != kElec && !(it.kind == kMech && rng.Chance(40))) continue;
    if (!rng.Chance(80)) continue;
    int64_t n = rng.Range(1, 2);
    for (int64_t k = 0; k < n; ++k) {
      SupplierItem m{rng.Guid(), suppliers[rng.Pick(mfrs)].guid, "", it.name};
      m.number = std::string(1, static_cast<char>('A' + rng.Range(0, 25))) +
                 std::string(1, static_cast<char>('A' + rng.Range(0, 25))) +
                 Pad(rng.Range(0, 9999), 4) + "-" + Pad(rng.Range(0, 999), 3) +
                 (rng.Chance(50) ? "LF" : "TR");
      std::string vendor;
      if (rng.Chance(60)) {
        SupplierItem v{rng.Guid(), suppliers[rng.Pick(dists)].guid, m.number + "-ND", it.name};
        vendor = v.guid;
        supplier_items.push_back(std::move(v));
      }
      it.sources.push_back({m.guid, vendor});
      supplier_items.push_back(std::move(m));
    }
  }

  // Writing, in large transactions.
  int64_t bom_lines = 0, sourcing_rows = 0;
  ARENITE_RETURN_IF_ERROR(store.Write([&](store::Tx& tx) -> Status {
    for (const auto& s : suppliers) {
      ARENITE_RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO suppliers (guid, workspace_guid, name, supplier_id, account_number, "
          "description, website, approval_status, addresses_json, phones_json, creator_guid, "
          "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {s.guid, o.workspace, s.name, nullptr, nullptr,
           std::string(s.distributor ? "Distributor" : "Manufacturer"), nullptr,
           std::string(rng.Chance(85) ? "approved" : "unrated"), nullptr, nullptr, o.creator,
           now - kTwoYears, now - kTwoYears}));
    }
    for (const auto& si : supplier_items) {
      ARENITE_RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO supplier_items (guid, workspace_guid, supplier_guid, number, name, "
          "description, type, uom, off_the_shelf, creator_guid, created_at, updated_at) VALUES "
          "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {si.guid, o.workspace, si.supplier, si.number, si.name, nullptr, std::string("PART"),
           std::string("each"), int64_t{1}, o.creator, now - kTwoYears, now - kTwoYears}));
    }
    for (const auto& c : changes) {
      bool released = c.status == kEffective || c.status == kCompleted;
      store::Value submitted = nullptr, effective = nullptr;
      if (c.status != kOpenUnlocked && c.status != kOpenLocked) submitted = c.created + 3600;
      if (released) effective = c.created + 7200;
      // An expired deviation was in effect for a week, or until a minute ago when that week has
      // not passed yet; its last move was the expiry.
      bool expired = c.status == kExpired;
      int64_t moved_at = c.created + 7200, expiration = 0;
      if (expired) {
        int64_t from = std::min(c.created + 7200, now - 120);
        expiration = std::min(from + 7 * 86400, now - 60);
        submitted = std::min(c.created + 3600, from - 60);
        effective = from;
        moved_at = expiration;
      }
      std::string effectivity = c.status == kApproved ? "PERMANENT_ON_DATE"
                                : expired             ? "TEMPORARY"
                                                      : "PERMANENT_ON_APPROVAL";
      ARENITE_RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO changes (guid, workspace_guid, number, title, description, "
          "effectivity_type, status, implementation_status, approval_deadline, "
          "effectivity_planned, expiration, creator_guid, created_at, updated_at, lifecycle_at, "
          "submitted_at, effective_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {c.guid, o.workspace, c.number, c.title, nullptr, effectivity, c.status,
           std::string(c.status == kCompleted ? "DONE" : "NOT_STARTED"), nullptr,
           c.status == kApproved ? store::Value(now + 30 * 86400) : store::Value(nullptr),
           expired ? store::Value(expiration) : store::Value(nullptr), o.creator, c.created,
           moved_at, moved_at, submitted, effective}));
    }
    return OkStatus();
  }));

  const size_t kChunk = 20000;
  for (size_t start = 0; start < items.size(); start += kChunk) {
    size_t end = std::min(items.size(), start + kChunk);
    ARENITE_RETURN_IF_ERROR(store.Write([&](store::Tx& tx) -> Status {
      auto revision = [&](const DemoItem& it, const std::string& rev, int64_t status,
                          const std::string& number, const std::string& change, int64_t at,
                          int64_t superseded) {
        store::Value num = number.empty() ? store::Value(nullptr) : store::Value(number);
        store::Value ch = change.empty() ? store::Value(nullptr) : store::Value(change);
        store::Value eff = status == 0 ? store::Value(nullptr) : store::Value(at);
        store::Value sup = superseded ? store::Value(superseded) : store::Value(nullptr);
        bool bought = it.kind == kElec || it.kind == kMech;
        return tx.Exec(
            "INSERT INTO item_revisions (guid, item_guid, workspace_guid, status, "
            "revision_number, name, description, category_guid, phase_guid, uom, "
            "procurement_type, owner_name, production_cost, prototype_cost, standard_cost, "
            "target_cost, target_price, attributes_json, created_at, updated_at, effective_at, "
            "superseded_at, change_guid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ?, ?, ?, ?)",
            {rev,
             it.guid,
             o.workspace,
             status,
             num,
             it.name,
             nullptr,
             it.category,
             it.phase,
             std::string("each"),
             std::string(bought ? "OTS" : "MTS"),
             nullptr,
             nullptr,
             nullptr,
             bought ? store::Value(static_cast<double>(rng.Range(1, 50000)) / 1000)
                    : store::Value(nullptr),
             nullptr,
             nullptr,
             nullptr,
             it.created,
             at,
             eff,
             sup,
             ch});
      };
      for (size_t i = start; i < end; ++i) {
        const DemoItem& it = items[i];
        int64_t updated = it.released ? it.released : it.created;
        ARENITE_RETURN_IF_ERROR(
            tx.Exec("INSERT INTO items (guid, workspace_guid, number, working_rev, effective_rev, "
                    "creator_guid, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    {it.guid, o.workspace, it.number, it.work_rev,
                     it.eff_rev.empty() ? store::Value(nullptr) : store::Value(it.eff_rev),
                     o.creator, it.created, updated}));
        ARENITE_RETURN_IF_ERROR(revision(it, it.work_rev, 0, "", "", updated, 0));
        std::vector<std::string> bom_revs = {it.work_rev};
        if (!it.eff_rev.empty()) {
          ARENITE_RETURN_IF_ERROR(
              revision(it, it.eff_rev, 1, it.eff_number, it.eff_change, it.released, 0));
          bom_revs.push_back(it.eff_rev);
        }
        if (!it.sup_rev.empty()) {
          int64_t at = it.created + (it.released - it.created) / 2;
          ARENITE_RETURN_IF_ERROR(
              revision(it, it.sup_rev, 2, it.sup_number, it.sup_change, at, it.released));
        }
        for (const auto& rev : bom_revs) {
          int64_t line = 0;
          for (const auto& [child, qty] : it.children) {
            const DemoItem& c = items[child];
            std::string refdes;
            if (!c.refdes_letter.empty()) {
              refdes = c.refdes_letter + std::to_string(line * 10 + 1);
              if (qty > 1) refdes += "-" + c.refdes_letter + std::to_string(line * 10 + qty);
            }
            ARENITE_RETURN_IF_ERROR(tx.Exec(
                "INSERT INTO bom_lines (guid, workspace_guid, parent_rev, parent_item, "
                "child_item, line_number, quantity, ref_des, notes, created_at) VALUES (?, ?, ?, "
                "?, ?, ?, ?, ?, ?, ?)",
                {rng.Guid(), o.workspace, rev, it.guid, c.guid, ++line, static_cast<double>(qty),
                 refdes.empty() ? store::Value(nullptr) : store::Value(refdes), nullptr,
                 it.created}));
            ++bom_lines;
          }
          int64_t rank = 0;
          for (const auto& [mfr, vendor] : it.sources) {
            ++rank;
            ARENITE_RETURN_IF_ERROR(tx.Exec(
                "INSERT INTO sourcing (guid, workspace_guid, rev_guid, item_guid, mfr_item, "
                "vendor_item, aml_rank, aml_split, approved, active_production, "
                "active_prototype, make_item, conversion_factor, notes, created_at) VALUES (?, "
                "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {rng.Guid(), o.workspace, rev, it.guid, mfr,
                 vendor.empty() ? store::Value(nullptr) : store::Value(vendor), rank, nullptr,
                 int64_t{1}, int64_t{rank == 1}, int64_t{rank == 1}, int64_t{0},
                 vendor.empty() ? store::Value(nullptr) : store::Value(1.0), nullptr, it.created}));
            ++sourcing_rows;
          }
        }
      }
      return OkStatus();
    }));
  }

  // Affected items of changes, and the counters that number later items and changes.
  ARENITE_RETURN_IF_ERROR(store.Write([&](store::Tx& tx) -> Status {
    for (const auto& it : items) {
      if (it.eff_rev.empty()) continue;
      for (const auto& [change, rev, prev, number] :
           {std::tuple{it.eff_change, it.eff_rev, it.sup_rev, it.eff_number},
            std::tuple{it.sup_change, it.sup_rev, std::string(), it.sup_number}}) {
        if (change.empty() || rev.empty()) continue;
        ARENITE_RETURN_IF_ERROR(tx.Exec(
            "INSERT INTO change_items (guid, workspace_guid, change_guid, item_guid, "
            "affected_rev, new_rev, new_revision_number, new_phase_guid, created_at) VALUES (?, "
            "?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (change_guid, item_guid) DO NOTHING",
            {rng.Guid(), o.workspace, change, it.guid,
             prev.empty() ? store::Value(nullptr) : store::Value(prev), rev, number, it.phase,
             it.created}));
      }
    }
    std::string production = phases["In Production"];
    for (const auto& c : changes) {
      for (size_t i : c.items) {
        const DemoItem& it = items[i];
        std::optional<std::string> current;
        if (!it.eff_number.empty()) current = it.eff_number;
        ARENITE_RETURN_IF_ERROR(tx.Exec(
            "INSERT INTO change_items (guid, workspace_guid, change_guid, item_guid, "
            "affected_rev, new_rev, new_revision_number, new_phase_guid, created_at) VALUES (?, "
            "?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (change_guid, item_guid) DO NOTHING",
            {rng.Guid(), o.workspace, c.guid, it.guid,
             it.eff_rev.empty() ? store::Value(nullptr) : store::Value(it.eff_rev), it.work_rev,
             NextRevision(current).value_or("A"), production, c.created}));
      }
    }
    for (const auto& [name, next] : counters) {
      if (name.rfind("nf:", 0) != 0) continue;
      ARENITE_RETURN_IF_ERROR(tx.Exec(
          "INSERT INTO plm_counters (workspace_guid, name, next) VALUES (?, ?, ?) ON CONFLICT "
          "(workspace_guid, name) DO UPDATE SET next = excluded.next",
          {o.workspace, name, next}));
    }
    return OkStatus();
  }));
  return json::Json{{"items", items.size()},         {"bomLines", bom_lines},
                    {"suppliers", suppliers.size()}, {"supplierItems", supplier_items.size()},
                    {"sourcing", sourcing_rows},     {"changes", changes.size()}};
}

}  // namespace arenite::plm
