// /v1/items, /v1/changes, /v1/suppliers, /v1/supplieritems, /v1/events and the item lookups
// under /v1/settings/items: thin handlers over plm::Plm.
#include "api/routes.h"
#include "api/util.h"
#include "core/clock.h"
#include "core/guid.h"
#include "plm/events.h"
#include "plm/plm.h"

namespace arenite::api {
namespace {

using plm::Ctx;
using plm::Filters;

enum class Shape { kObject, kList, kNone };

using PlmFn = std::function<Result<json::Json>(http::Request&, const Ctx&)>;
// A handler that answers with JSON text it serialized itself.
using TextFn = std::function<Result<std::string>(http::Request&, const Ctx&)>;

class PlmRoutes {
 public:
  PlmRoutes(http::Router& router, const Auth& auth, plm::Plm& plm, store::Store& store,
            const Clock& clock, ReadCache& cache)
      : router_(router), auth_(auth), plm_(plm), store_(store), clock_(clock), cache_(cache) {}

  void Add(const char* method, const char* path, Access access, int status, Shape shape, PlmFn fn) {
    Register(method, path, std::move(access), status, shape, std::move(fn), false, {});
  }

  // GET of one object by guid: a short read that runs on the I/O thread (see
  // http::RouteOptions). It skips seeding the workspace's lookups, which writes: an object of a
  // workspace not yet seeded cannot exist, and the answer is the same 404 either way. Its
  // answer is kept in the read cache until the next commit; `fn` must therefore depend only on
  // the workspace, the request path and the query parameters named in `answer_params` (a
  // request with any of those is not cached), never on the caller or the time.
  void AddShortRead(const char* path, Access access, PlmFn fn,
                    std::vector<std::string> answer_params = {}) {
    Register("GET", path, std::move(access), 200, Shape::kObject, std::move(fn), true,
             std::move(answer_params));
  }

  // A write whose answer is JSON text the domain already serialized (for its event), so that it
  // is not serialized a second time. Seeds the workspace's lookups first, as Add does.
  void AddText(const char* method, const char* path, Access access, int status, TextFn fn) {
    plm::Plm* plm = &plm_;
    const Clock* clock = &clock_;
    router_.Add(
        method, path,
        auth_.Guard(std::move(access), [plm, clock, status, fn = std::move(fn)](
                                           http::Request& request, const Principal& principal) {
          Status seeded = plm->EnsureSeeded(principal.workspace_id);
          if (!seeded.ok()) return http::ErrorReply(seeded.error());
          Ctx ctx{principal.workspace_id, principal.user_id, principal.Actor(), clock->Now()};
          auto text = fn(request, ctx);
          if (!text.ok()) return http::ErrorReply(text.error());
          http::Reply reply;
          reply.status = status;
          reply.body = std::move(text).value();
          return reply;
        }));
  }

 private:
  static bool HasAnyQuery(const http::Request& request, const std::vector<std::string>& names) {
    for (const auto& name : names) {
      if (request.Query(name)) return true;
    }
    return false;
  }

  void Register(const char* method, const char* path, Access access, int status, Shape shape,
                PlmFn fn, bool short_read, std::vector<std::string> answer_params) {
    plm::Plm* plm = &plm_;
    store::Store* store = &store_;
    const Clock* clock = &clock_;
    ReadCache* cache = short_read && cache_.enabled() ? &cache_ : nullptr;
    router_.Add(
        method, path,
        auth_.Guard(
            std::move(access),
            [plm, store, clock, cache, status, shape, short_read, fn = std::move(fn),
             answer_params = std::move(answer_params)](http::Request& request,
                                                       const Principal& principal) {
              if (!short_read) {
                Status seeded = plm->EnsureSeeded(principal.workspace_id);
                if (!seeded.ok()) return http::ErrorReply(seeded.error());
              }
              // The generation is taken before the read, so that an answer cached under it is
              // at least as new as every commit it stands for (store::Store::Generation).
              std::optional<uint64_t> generation;
              std::string key;
              if (cache && !HasAnyQuery(request, answer_params)) {
                // Keyed by path: a key per query string would let any caller push others'
                // answers out. Parameters that change the answer take the read past the cache.
                auto g = store->Generation();
                if (!g.ok()) ReadCache::Bypassed().Increment();
                if (g.ok()) {
                  generation = *g;
                  key.reserve(principal.workspace_id.size() + 1 + request.path.size());
                  key.append(principal.workspace_id).append(" ").append(request.path);
                  if (auto body = cache->Find(key, *generation)) {
                    http::Reply reply;
                    reply.status = status;
                    reply.body = std::move(*body);
                    return reply;
                  }
                }
              }
              Ctx ctx{principal.workspace_id, principal.user_id, principal.Actor(), clock->Now()};
              auto result = fn(request, ctx);
              if (!result.ok()) return http::ErrorReply(result.error());
              if (shape == Shape::kList) return ListReply(std::move(result).value());
              if (shape == Shape::kNone) {
                http::Reply reply;
                reply.status = 204;
                reply.content_type.clear();
                return reply;
              }
              http::Reply reply = http::JsonReply(status, result.value());
              if (generation) cache->Put(std::move(key), *generation, reply.body);
              return reply;
            }),
        http::RouteOptions{.short_read = short_read});
  }

  http::Router& router_;
  const Auth& auth_;
  plm::Plm& plm_;
  store::Store& store_;
  const Clock& clock_;
  ReadCache& cache_;
};

bool SetNull(const http::Request& request) {
  auto v = request.Query("setnull");
  return v && *v == "true";
}

// In ParseFilters' `allowed`: the list searches by additional attribute guid.
constexpr std::string_view kByAttribute = "[additional attribute guid]";

std::string Upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return s;
}

// Reads offset/limit and the search parameters named in `allowed` ("number", "name", ...; a
// ".guid" suffix is dropped before the name is looked up).
Result<Filters> ParseFilters(const http::Request& request,
                             std::initializer_list<std::string_view> allowed) {
  ARENITE_ASSIGN_OR_RETURN(Page page, ParsePage(request));
  Filters f;
  f.offset = page.offset;
  f.limit = page.limit;
  auto permitted = [&](std::string_view name) {
    for (auto a : allowed) {
      if (a == name) return true;
    }
    return false;
  };
  for (const auto& [name, value] : request.query) {
    if (name == "offset" || name == "limit" || name == "responseview" ||
        name == "includeEmptyAdditionalAttributes" || name == "includeAdditionalAttributes") {
      continue;
    }
    std::string key = name;
    if (key.size() > 5 && key.ends_with(".guid")) key = key.substr(0, key.size() - 5);
    if (key == "lifecycleStatus.type") key = "lifecycleStatus";
    if (value.size() > (key == "criteria" ? 8000u : 500u)) {
      return BadRequest("The search value is too long.", kErrInvalidValue);
    }
    if (IsGuid(name) && permitted(kByAttribute)) {
      f.attributes.emplace_back(name, value);
      continue;
    }
    if (!permitted(key)) {
      return BadRequest("The attribute \"" + name.substr(0, 60) + "\" is not searchable.",
                        kErrNotSearchable);
    }
    auto guid = [&]() -> Result<std::string> {
      if (!IsGuid(value)) {
        return BadRequest("The guid \"" + value.substr(0, 40) + "\" is not valid.",
                          kErrInvalidGuid);
      }
      return value;
    };
    if (key == "number") {
      f.number = value;
    } else if (key == "name") {
      f.name = value;
    } else if (key == "title") {
      f.title = value;
    } else if (key == "supplierId") {
      f.supplier_id = value;
    } else if (key == "lifecycleStatus") {
      f.status = Upper(value);  // Arena's own example searches lifecycleStatus.type=effective
    } else if (key == "category") {
      ARENITE_ASSIGN_OR_RETURN(f.category, guid());
    } else if (key == "lifecyclePhase") {
      ARENITE_ASSIGN_OR_RETURN(f.phase, guid());
    } else if (key == "supplier") {
      ARENITE_ASSIGN_OR_RETURN(f.supplier, guid());
    } else if (key == "supplier.name") {
      f.supplier_name = value;
    } else if (key == "item.status") {
      if (value != "0" && value != "1" && value != "2") {
        return BadRequest("The value for the attribute \"item.status\" must be 0, 1 or 2.",
                          kErrInvalidValue);
      }
      f.revision_status = value[0] - '0';
    } else if (key == "description") {
      f.description = value;
    } else if (key == "revisionNumber") {
      f.revision_number = value;
    } else if (key == "owner.fullName") {
      f.owner_name = value;
    } else if (key == "creator.fullName") {
      f.creator_name = value;
    } else if (key == "creator") {
      ARENITE_ASSIGN_OR_RETURN(f.creator, guid());
    } else if (key == "assemblyType") {
      std::string type = Upper(value);
      if (type != "TOP_LEVEL_ASSEMBLY" && type != "ASSEMBLY" && type != "NOT_AN_ASSEMBLY") {
        return BadRequest(
            "The value for the attribute \"assemblyType\" is not valid; use TOP_LEVEL_ASSEMBLY, "
            "ASSEMBLY or NOT_AN_ASSEMBLY.",
            kErrInvalidValue);
      }
      f.assembly_type = type;
    } else if (key == "inAssembly" || key == "modifiedBom" || key == "modifiedFiles" ||
               key == "modifiedSourcing" || key == "modifiedSpecs") {
      if (value != "true" && value != "false") {
        return BadRequest("The value for the attribute \"" + key + "\" must be true or false.",
                          kErrInvalidValue);
      }
      std::optional<bool>* target = key == "inAssembly"         ? &f.in_assembly
                                    : key == "modifiedBom"      ? &f.modified_bom
                                    : key == "modifiedFiles"    ? &f.modified_files
                                    : key == "modifiedSourcing" ? &f.modified_sourcing
                                                                : &f.modified_specs;
      *target = value == "true";
    } else if (key == "criteria") {
      json::Json parsed = json::Json::parse(value, nullptr, false);
      if (parsed.is_discarded()) {
        return BadRequest("The criteria parameter is not valid: it is not JSON.", kErrInvalidValue);
      }
      f.criteria = std::move(parsed);
    } else if (key == "implementationStatus") {
      f.implementation_status = Upper(value);  // the change list says which values there are
    } else {
      // The rest are instants.
      std::optional<int64_t>* target = key == "modifiedSince"            ? &f.modified_since
                                       : key == "effectiveDateTimeFrom"  ? &f.effective_from
                                       : key == "effectiveDateTimeTo"    ? &f.effective_to
                                       : key == "expirationDateTimeFrom" ? &f.expiration_from
                                       : key == "expirationDateTimeTo"   ? &f.expiration_to
                                                                         : nullptr;
      if (!target) continue;
      auto t = ParseDateTime(value);
      if (!t) {
        return BadRequest(
            "The value for the attribute \"" + key + "\" is not valid; use 2026-12-03T09:41:15Z.",
            kErrInvalidValue);
      }
      *target = *t;
    }
  }
  return f;
}

}  // namespace

void RegisterPlmRoutes(http::Router& router, const Auth& auth, plm::Plm& plm, store::Store& store,
                       const Clock& clock, ReadCache& read_cache) {
  PlmRoutes r(router, auth, plm, store, clock, read_cache);
  Access items_read{"items:read", Role::kViewer}, items_write{"items:write", Role::kEditor};
  Access changes_read{"changes:read", Role::kViewer}, changes_write{"changes:write", Role::kEditor};
  Access suppliers_read{"suppliers:read", Role::kViewer},
      suppliers_write{"suppliers:write", Role::kEditor};
  Access settings_write{"settings:write", Role::kAdmin};
  using R = http::Request;
  using Res = Result<json::Json>;
  auto body = [](R& req) { return JsonBody(req); };

  // Lookups.
  r.Add("GET", "/v1/settings/items/categories", items_read, 200, Shape::kList,
        [&plm](R&, const Ctx& c) { return plm.ListCategories(c.workspace); });
  r.Add("GET", "/v1/settings/items/categories/{guid}", items_read, 200, Shape::kObject,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          return plm.GetCategory(c.workspace, guid);
        });
  r.Add("GET", "/v1/settings/items/lifecyclephases", items_read, 200, Shape::kList,
        [&plm](R&, const Ctx& c) { return plm.ListPhases(c.workspace); });
  r.Add("GET", "/v1/settings/items/numberformats", items_read, 200, Shape::kList,
        [&plm](R&, const Ctx& c) { return plm.ListNumberFormats(c.workspace); });
  r.Add("GET", "/v1/settings/items/attributes", items_read, 200, Shape::kList,
        [&plm](R&, const Ctx& c) { return plm.ListAttributes(c.workspace); });
  r.Add("GET", "/v1/settings/items/attributes/{guid}", items_read, 200, Shape::kObject,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          return plm.GetAttribute(c.workspace, guid);
        });
  r.Add("GET", "/v1/settings/changes/categories", changes_read, 200, Shape::kList,
        [&plm](R&, const Ctx& c) { return plm.ListChangeCategories(c.workspace); });
  r.Add("GET", "/v1/settings/changes/categories/{guid}", changes_read, 200, Shape::kObject,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          return plm.GetChangeCategory(c.workspace, guid);
        });
  r.Add("POST", "/v1/settings/items/attributes", settings_write, 201, Shape::kObject,
        [&plm, body](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto b, body(req));
          return plm.CreateAttribute(c, b);
        });

  // Items.
  r.Add("GET", "/v1/items", items_read, 200, Shape::kList, [&plm](R& req, const Ctx& c) -> Res {
    ARENITE_ASSIGN_OR_RETURN(Filters f, ParseFilters(req, {"number",
                                                           "name",
                                                           "description",
                                                           "revisionNumber",
                                                           "category",
                                                           "lifecyclePhase",
                                                           "owner.fullName",
                                                           "creator.fullName",
                                                           "creator",
                                                           "assemblyType",
                                                           "inAssembly",
                                                           "modifiedBom",
                                                           "modifiedFiles",
                                                           "modifiedSourcing",
                                                           "modifiedSpecs",
                                                           "criteria",
                                                           "effectiveDateTimeFrom",
                                                           "effectiveDateTimeTo",
                                                           "modifiedSince",
                                                           kByAttribute}));
    return plm.ListItems(c.workspace, f);
  });
  r.AddText("POST", "/v1/items", items_write, 201,
            [&plm, body](R& req, const Ctx& c) -> Result<std::string> {
              ARENITE_ASSIGN_OR_RETURN(auto b, body(req));
              std::string text;
              ARENITE_RETURN_IF_ERROR(plm.CreateItem(c, b, &text));
              return text;
            });
  r.AddShortRead("/v1/items/{guid}", items_read,
                 [&plm](R& req, const Ctx& c) -> Res {
                   ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
                   auto empty = req.Query("includeEmptyAdditionalAttributes");
                   if (empty && *empty != "true" && *empty != "false") {
                     return BadRequest(
                         "The value for the attribute \"includeEmptyAdditionalAttributes\" must be "
                         "true or false.",
                         kErrInvalidValue);
                   }
                   return plm.GetItem(c.workspace, guid, empty && *empty == "true");
                 },
                 {"includeEmptyAdditionalAttributes"});
  r.Add("PUT", "/v1/items/{guid}", items_write, 200, Shape::kObject,
        [&plm, body](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_ASSIGN_OR_RETURN(auto b, body(req));
          return plm.UpdateItem(c, guid, b, SetNull(req));
        });
  r.Add("DELETE", "/v1/items/{guid}", items_write, 204, Shape::kNone,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_RETURN_IF_ERROR(plm.DeleteItem(c, guid));
          return json::Json();
        });
  r.Add("GET", "/v1/items/{guid}/revisions", items_read, 200, Shape::kList,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          return plm.ListRevisions(c.workspace, guid);
        });

  // BOM.
  r.Add("GET", "/v1/items/{guid}/bom", items_read, 200, Shape::kList,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          return plm.GetBom(c.workspace, guid);
        });
  r.Add("POST", "/v1/items/{guid}/bom", items_write, 201, Shape::kObject,
        [&plm, body](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_ASSIGN_OR_RETURN(auto b, body(req));
          return plm.AddBomLine(c, guid, b);
        });
  r.AddShortRead("/v1/items/{guid}/bom/{line}", items_read, [&plm](R& req, const Ctx& c) -> Res {
    ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
    ARENITE_ASSIGN_OR_RETURN(auto line, GuidParam(req, "line"));
    return plm.GetBomLine(c.workspace, guid, line);
  });
  r.Add("PUT", "/v1/items/{guid}/bom/{line}", items_write, 200, Shape::kObject,
        [&plm, body](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_ASSIGN_OR_RETURN(auto line, GuidParam(req, "line"));
          ARENITE_ASSIGN_OR_RETURN(auto b, body(req));
          return plm.UpdateBomLine(c, guid, line, b, SetNull(req));
        });
  r.Add("DELETE", "/v1/items/{guid}/bom/{line}", items_write, 204, Shape::kNone,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_ASSIGN_OR_RETURN(auto line, GuidParam(req, "line"));
          ARENITE_RETURN_IF_ERROR(plm.DeleteBomLine(c, guid, line));
          return json::Json();
        });
  r.Add("GET", "/v1/items/{guid}/whereused", items_read, 200, Shape::kList,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          return plm.WhereUsed(c.workspace, guid);
        });

  // Sourcing.
  r.Add("GET", "/v1/items/{guid}/sourcing", items_read, 200, Shape::kList,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_ASSIGN_OR_RETURN(Filters f, ParseFilters(req, {}));
          return plm.ListSourcing(c.workspace, guid, f);
        });
  r.Add("POST", "/v1/items/{guid}/sourcing", items_write, 201, Shape::kObject,
        [&plm, body](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_ASSIGN_OR_RETURN(auto b, body(req));
          return plm.AddSourcing(c, guid, b);
        });
  r.AddShortRead("/v1/items/{guid}/sourcing/{src}", items_read,
                 [&plm](R& req, const Ctx& c) -> Res {
                   ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
                   ARENITE_ASSIGN_OR_RETURN(auto src, GuidParam(req, "src"));
                   return plm.GetSourcing(c.workspace, guid, src);
                 });
  r.Add("PUT", "/v1/items/{guid}/sourcing/{src}", items_write, 200, Shape::kObject,
        [&plm, body](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_ASSIGN_OR_RETURN(auto src, GuidParam(req, "src"));
          ARENITE_ASSIGN_OR_RETURN(auto b, body(req));
          return plm.UpdateSourcing(c, guid, src, b, SetNull(req));
        });
  r.Add("DELETE", "/v1/items/{guid}/sourcing/{src}", items_write, 204, Shape::kNone,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_ASSIGN_OR_RETURN(auto src, GuidParam(req, "src"));
          ARENITE_RETURN_IF_ERROR(plm.DeleteSourcing(c, guid, src));
          return json::Json();
        });

  // Changes.
  r.Add("GET", "/v1/changes", changes_read, 200, Shape::kList, [&plm](R& req, const Ctx& c) -> Res {
    ARENITE_ASSIGN_OR_RETURN(
        Filters f, ParseFilters(req, {"number", "title", "category", "lifecycleStatus",
                                      "implementationStatus", "creator", "effectiveDateTimeFrom",
                                      "effectiveDateTimeTo", "expirationDateTimeFrom",
                                      "expirationDateTimeTo", "modifiedSince", kByAttribute}));
    return plm.ListChanges(c.workspace, f);
  });
  r.Add("POST", "/v1/changes", changes_write, 201, Shape::kObject,
        [&plm, body](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto b, body(req));
          return plm.CreateChange(c, b);
        });
  r.Add("POST", "/v1/changes/statuschanges", changes_write, 201, Shape::kObject,
        [&plm, body](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto b, body(req));
          return plm.ChangeStatus(c, b);
        });
  r.AddShortRead("/v1/changes/{guid}", changes_read, [&plm](R& req, const Ctx& c) -> Res {
    ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
    return plm.GetChange(c.workspace, guid);
  });
  r.Add("PUT", "/v1/changes/{guid}", changes_write, 200, Shape::kObject,
        [&plm, body](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_ASSIGN_OR_RETURN(auto b, body(req));
          return plm.UpdateChange(c, guid, b, SetNull(req));
        });
  r.Add("DELETE", "/v1/changes/{guid}", changes_write, 204, Shape::kNone,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_RETURN_IF_ERROR(plm.DeleteChange(c, guid));
          return json::Json();
        });
  r.AddShortRead("/v1/changes/{guid}/items/{assoc}", changes_read,
                 [&plm](R& req, const Ctx& c) -> Res {
                   ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
                   ARENITE_ASSIGN_OR_RETURN(auto assoc, GuidParam(req, "assoc"));
                   return plm.GetChangeItem(c.workspace, guid, assoc);
                 });
  r.Add("PUT", "/v1/changes/{guid}/items/{assoc}", changes_write, 200, Shape::kObject,
        [&plm, body](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_ASSIGN_OR_RETURN(auto assoc, GuidParam(req, "assoc"));
          ARENITE_ASSIGN_OR_RETURN(auto b, body(req));
          return plm.UpdateChangeItem(c, guid, assoc, b);
        });
  r.Add("DELETE", "/v1/changes/{guid}/items/{assoc}", changes_write, 204, Shape::kNone,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_ASSIGN_OR_RETURN(auto assoc, GuidParam(req, "assoc"));
          ARENITE_RETURN_IF_ERROR(plm.DeleteChangeItem(c, guid, assoc));
          return json::Json();
        });
  r.Add("GET", "/v1/changes/{guid}/items", changes_read, 200, Shape::kList,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          return plm.ListChangeItems(c.workspace, guid);
        });
  r.Add("POST", "/v1/changes/{guid}/items", changes_write, 201, Shape::kObject,
        [&plm, body](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_ASSIGN_OR_RETURN(auto b, body(req));
          return plm.AddChangeItem(c, guid, b);
        });

  // Suppliers and supplier items.
  r.Add("GET", "/v1/suppliers", suppliers_read, 200, Shape::kList,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(
              Filters f, ParseFilters(req, {"name", "supplierId", "modifiedSince", kByAttribute}));
          return plm.ListSuppliers(c.workspace, f);
        });
  r.Add("POST", "/v1/suppliers", suppliers_write, 201, Shape::kObject,
        [&plm, body](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto b, body(req));
          return plm.CreateSupplier(c, b);
        });
  r.AddShortRead("/v1/suppliers/{guid}", suppliers_read, [&plm](R& req, const Ctx& c) -> Res {
    ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
    return plm.GetSupplier(c.workspace, guid);
  });
  r.Add("PUT", "/v1/suppliers/{guid}", suppliers_write, 200, Shape::kObject,
        [&plm, body](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_ASSIGN_OR_RETURN(auto b, body(req));
          return plm.UpdateSupplier(c, guid, b, SetNull(req));
        });
  r.Add("DELETE", "/v1/suppliers/{guid}", suppliers_write, 204, Shape::kNone,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_RETURN_IF_ERROR(plm.DeleteSupplier(c, guid));
          return json::Json();
        });
  r.Add("GET", "/v1/supplieritems", suppliers_read, 200, Shape::kList,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(Filters f,
                                   ParseFilters(req, {"number", "name", "supplier", "supplier.name",
                                                      "modifiedSince", kByAttribute}));
          return plm.ListSupplierItems(c.workspace, f);
        });
  // Item sourcing seen from the supplier item: the items' data, so items:read as well.
  Access suppliers_and_items_read{"suppliers:read", Role::kViewer, "items:read"};
  r.Add("GET", "/v1/supplieritems/{guid}/sourcing", suppliers_and_items_read, 200, Shape::kList,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_ASSIGN_OR_RETURN(Filters f, ParseFilters(req, {"item.status"}));
          return plm.ListSupplierItemSourcing(c.workspace, guid, f);
        });
  r.Add("POST", "/v1/supplieritems", suppliers_write, 201, Shape::kObject,
        [&plm, body](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto b, body(req));
          return plm.CreateSupplierItem(c, b);
        });
  r.AddShortRead("/v1/supplieritems/{guid}", suppliers_read, [&plm](R& req, const Ctx& c) -> Res {
    ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
    return plm.GetSupplierItem(c.workspace, guid);
  });
  r.Add("PUT", "/v1/supplieritems/{guid}", suppliers_write, 200, Shape::kObject,
        [&plm, body](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_ASSIGN_OR_RETURN(auto b, body(req));
          return plm.UpdateSupplierItem(c, guid, b, SetNull(req));
        });
  r.Add("DELETE", "/v1/supplieritems/{guid}", suppliers_write, 204, Shape::kNone,
        [&plm](R& req, const Ctx& c) -> Res {
          ARENITE_ASSIGN_OR_RETURN(auto guid, GuidParam(req, "guid"));
          ARENITE_RETURN_IF_ERROR(plm.DeleteSupplierItem(c, guid));
          return json::Json();
        });

  // Events.
  // Events carry whole objects, so a token sees only the kinds its scopes let it read.
  router.Add(
      "GET", "/v1/events",
      auth.Guard({"", Role::kViewer}, [&store](http::Request& req, const Principal& p) {
        return Respond(200, [&]() -> Res {
          plm::EventScopes scopes;
          scopes.items = p.HasScope("items:read");
          scopes.changes = p.HasScope("changes:read");
          scopes.suppliers = p.HasScope("suppliers:read");
          scopes.extracts = p.HasScope("extracts:read");
          scopes.all = scopes.items && scopes.changes && scopes.suppliers && scopes.extracts;
          if (!scopes.items && !scopes.changes && !scopes.suppliers && !scopes.extracts) {
            return MakeError(403, kErrInsufficientScope,
                             "reading events needs items:read, changes:read, suppliers:read or "
                             "extracts:read");
          }
          int64_t after = 0, limit = 100;
          for (const auto& [name, value] : req.query) {
            int64_t* target = name == "after" ? &after : name == "limit" ? &limit : nullptr;
            if (!target) {
              return BadRequest("The attribute \"" + name.substr(0, 60) + "\" is not searchable.",
                                kErrNotSearchable);
            }
            char* end = nullptr;
            long long v =
                value.empty() || value.size() > 18 ? -1 : std::strtoll(value.c_str(), &end, 10);
            if (value.empty() || value.size() > 18 || *end != '\0' || v < 0) {
              return BadRequest("after must be a sequence number >= 0 and limit 1-400.",
                                kErrInvalidPagination);
            }
            *target = v;
          }
          if (limit < 1 || limit > kMaxPageSize) {
            return BadRequest("Limit must be 1-400, offset must equal or bigger than 0.",
                              kErrInvalidPagination);
          }
          ARENITE_ASSIGN_OR_RETURN(auto events,
                                   plm::ListEvents(store, p.workspace_id, after, limit, scopes));
          json::Json out = json::Json::array();
          for (const auto& e : events) out.push_back(plm::EventJson(e));
          return json::Json{{"count", out.size()}, {"results", std::move(out)}};
        });
      }));
}

}  // namespace arenite::api
