#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "core/crypto.h"
#include "plm/plm.h"
#include "plm/schema.h"
#include "webhooks/event_types.h"
#include "workspace/schema.h"

namespace arenite::webhooks {
namespace {

namespace fs = std::filesystem;
using json::Json;

std::set<std::string> Keys(const Json& obj) {
  std::set<std::string> keys;
  for (const auto& [k, v] : obj.items()) keys.insert(k);
  return keys;
}

// Every "$ref" in `node` must name an entry of `defs`.
void CheckRefs(const Json& node, const Json& defs, const std::string& where) {
  if (node.is_object()) {
    if (auto it = node.find("$ref"); it != node.end()) {
      std::string ref = it->get<std::string>();
      ASSERT_EQ(ref.rfind("#/$defs/", 0), 0u) << where << ": " << ref;
      EXPECT_TRUE(defs.contains(ref.substr(8))) << where << ": " << ref;
    }
    for (const auto& [k, v] : node.items()) CheckRefs(v, defs, where);
  } else if (node.is_array()) {
    for (const auto& v : node) CheckRefs(v, defs, where);
  }
}

TEST(EventTypes, ListsEveryTypeOnceSortedWithAStandaloneSchemaAndAnExample) {
  const auto& types = EventTypes();
  std::vector<std::string> names;
  for (const auto& t : types) names.push_back(t.name);
  std::vector<std::string> expected = {plm::kChangeCreated,       plm::kChangeDeleted,
                                       plm::kChangeStatusChanged, plm::kChangeUpdated,
                                       kExtractCompleted,         plm::kItemCreated,
                                       plm::kItemDeleted,         plm::kItemLifecycleChanged,
                                       plm::kItemUpdated,         plm::kSupplierCreated,
                                       plm::kSupplierDeleted,     plm::kSupplierUpdated,
                                       plm::kSupplierItemCreated, plm::kSupplierItemDeleted,
                                       plm::kSupplierItemUpdated, kWebhookTest};
  EXPECT_EQ(names, expected);
  for (const auto& t : types) {
    EXPECT_GT(t.description.size(), 10u) << t.name;
    EXPECT_EQ(t.schema["$schema"], "https://json-schema.org/draft/2020-12/schema") << t.name;
    ASSERT_TRUE(t.schema["$defs"].is_object()) << t.name;
    CheckRefs(t.schema, t.schema["$defs"], t.name);
    EXPECT_EQ(t.example["type"], t.name);
    EXPECT_TRUE(t.example["data"].is_object()) << t.name;
  }
}

TEST(EventTypes, FindsByName) {
  const EventType* t = FindEventType("item.updated");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name, "item.updated");
  EXPECT_NE(FindEventType("webhook.test"), nullptr);
  EXPECT_NE(FindEventType("change.created"), nullptr);
  EXPECT_EQ(FindEventType("item"), nullptr);
  EXPECT_EQ(FindEventType(""), nullptr);
  EXPECT_EQ(FindEventType("zzz"), nullptr);
}

TEST(EventTypes, ExampleBodiesCarryTheWebhooksOwnIds) {
  Json body = ExampleBody(*FindEventType("item.created"), "WORKSPACE00000000001",
                          "EVENT000000000000001", "HOOK0000000000000001", 1796290875);
  EXPECT_EQ(body["type"], "item.created");
  EXPECT_EQ(body["timestamp"], "2026-12-03T09:41:15Z");
  EXPECT_EQ(body["data"]["workspaceId"], "WORKSPACE00000000001");
  EXPECT_EQ(body["data"]["eventGuid"], "EVENT000000000000001");
  EXPECT_EQ(body["data"]["object"], FindEventType("item.created")->example["data"]["object"]);
  Json test = ExampleBody(*FindEventType("webhook.test"), "WORKSPACE00000000001",
                          "EVENT000000000000001", "HOOK0000000000000001", 1796290875);
  EXPECT_EQ(Keys(test["data"]), Keys(FindEventType("webhook.test")->example["data"]));
  EXPECT_EQ(test["data"]["webhookGuid"], "HOOK0000000000000001");
}

// Events made by the real workspace data component become bodies of exactly the catalogue's
// shape: the same fields in `data` and in the objects as the examples, which were made
// through the API.
class EventBodyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("arenite-evt-" + crypto::HexEncode(crypto::RandomBytes(6)));
    fs::create_directories(dir_);
    store_ = std::move(store::OpenSqlite({.path = (dir_ / "db").string()})).value();
    auto migrations = workspace::Migrations();
    auto more = plm::Migrations();
    migrations.insert(migrations.end(), more.begin(), more.end());
    ASSERT_TRUE(store_->Migrate(migrations).ok());
    plm_ = std::make_unique<plm::Plm>(*store_, clock_);
    clock_.SetMillis(1796290875000);
    ctx_ = {"WORKSPACE00000000001", "USER0000000000000001", "user:USER0000000000000001",
            clock_.Now()};
    ASSERT_TRUE(plm_->EnsureSeeded(ctx_.workspace).ok());
  }
  void TearDown() override {
    plm_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  std::vector<plm::Event> Events() {
    return std::move(plm::ListEvents(*store_, ctx_.workspace, 0, 400)).value();
  }
  void ExpectShapeOfExample(const Json& body) {
    const EventType* t = FindEventType(body["type"].get<std::string>());
    ASSERT_NE(t, nullptr);
    const Json& example = t->example;
    EXPECT_EQ(Keys(body), Keys(example));
    EXPECT_EQ(Keys(body["data"]), Keys(example["data"])) << body["type"];
    EXPECT_EQ(Keys(body["data"]["object"]), Keys(example["data"]["object"])) << body["type"];
  }

  fs::path dir_;
  AdjustableClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<plm::Plm> plm_;
  plm::Ctx ctx_;
};

TEST_F(EventBodyTest, CreatedUpdatedAndDeletedObjectsTakeTheCataloguesShape) {
  auto item = plm_->CreateItem(ctx_, {{"name", "Controller board"}});
  ASSERT_TRUE(item.ok()) << item.error().message;
  std::string guid = (*item)["guid"];
  ASSERT_TRUE(plm_->UpdateItem(ctx_, guid, {{"description", "rev 2"}}, false).ok());
  ASSERT_TRUE(plm_->DeleteItem(ctx_, guid).ok());
  auto supplier = plm_->CreateSupplier(ctx_, {{"name", "Murata"}});
  ASSERT_TRUE(supplier.ok()) << supplier.error().message;
  auto change = plm_->CreateChange(ctx_, {{"title", "Release"}});
  ASSERT_TRUE(change.ok()) << change.error().message;

  auto events = Events();
  ASSERT_EQ(events.size(), 5u);
  Json created = EventBody(events[0]);
  EXPECT_EQ(created["type"], "item.created");
  EXPECT_EQ(created["timestamp"], "2026-12-03T09:41:15Z");
  EXPECT_EQ(created["data"]["workspaceId"], ctx_.workspace);
  EXPECT_EQ(created["data"]["eventGuid"], events[0].guid);
  EXPECT_EQ(created["data"]["sequence"], events[0].sequence);
  EXPECT_EQ(created["data"]["objectType"], "ITEM");
  EXPECT_EQ(created["data"]["objectGuid"], guid);
  EXPECT_EQ(created["data"]["actor"], "user:USER0000000000000001");
  EXPECT_EQ(created["data"]["object"], *item);
  EXPECT_FALSE(created["data"].contains("previous"));
  ExpectShapeOfExample(created);

  Json updated = EventBody(events[1]);
  EXPECT_EQ(updated["type"], "item.updated");
  EXPECT_EQ(updated["data"]["object"]["description"], "rev 2");
  EXPECT_TRUE(updated["data"]["previous"]["description"].is_null());
  ExpectShapeOfExample(updated);

  Json deleted = EventBody(events[2]);
  EXPECT_EQ(deleted["type"], "item.deleted");
  EXPECT_EQ(deleted["data"]["object"]["description"], "rev 2");
  EXPECT_FALSE(deleted["data"].contains("previous"));
  ExpectShapeOfExample(deleted);

  ExpectShapeOfExample(EventBody(events[3]));
  ExpectShapeOfExample(EventBody(events[4]));
}

// The dispatcher sends EventBodyText, built around the images as stored; it must be the very
// bytes of EventBody's dump, for every kind of event and for text that needs escaping.
TEST_F(EventBodyTest, TheTextBuiltAroundTheStoredImagesIsTheDumpOfTheParsedBody) {
  auto item = plm_->CreateItem(ctx_, {{"name", "Steuergerät \"Ω\" \\ 10 µF"},
                                      {"description", "line\nbreak\ttab\u0001"},
                                      {"standardCost", 0.1},
                                      {"targetPrice", 12345678.9012}});
  ASSERT_TRUE(item.ok()) << item.error().message;
  std::string guid = (*item)["guid"];
  ASSERT_TRUE(
      plm_->UpdateItem(ctx_, guid, {{"description", "日本語 / emoji \xF0\x9F\x98\x80"}}, false)
          .ok());
  auto change = plm_->CreateChange(ctx_, {{"title", "Release \"A\""}});
  ASSERT_TRUE(change.ok()) << change.error().message;
  std::string change_guid = (*change)["guid"];
  ASSERT_TRUE(plm_->AddChangeItem(ctx_, change_guid, {{"newItemRevision", {{"guid", guid}}}}).ok());
  for (const char* status : {"SUBMITTED", "APPROVED"}) {
    auto moved =
        plm_->ChangeStatus(ctx_, {{"change", {{"guid", change_guid}}}, {"status", status}});
    ASSERT_TRUE(moved.ok()) << moved.error().message;
  }
  // A released item cannot be deleted; a second one, with a custom attribute, is.
  auto attr = plm_->CreateAttribute(ctx_, {{"name", "Ratings \"max\""}, {"fieldType", "NUMBER"}});
  ASSERT_TRUE(attr.ok()) << attr.error().message;
  auto scrap = plm_->CreateItem(
      ctx_, {{"name", "Scrap"},
             {"additionalAttributes", {{{"guid", (*attr)["guid"]}, {"value", 2.5e-7}}}}});
  ASSERT_TRUE(scrap.ok()) << scrap.error().message;
  ASSERT_TRUE(plm_->DeleteItem(ctx_, (*scrap)["guid"]).ok());

  auto events = Events();
  ASSERT_GE(events.size(), 9u);
  std::vector<std::string> texts;
  ASSERT_TRUE(store_
                  ->Read([&](store::Tx& tx) {
                    return tx.Query(
                        "SELECT guid, type, sequence, object_type, object_guid, actor, "
                        "before_json, after_json, created_at FROM events ORDER BY sequence",
                        {}, [&](const store::Row& r) {
                          StoredEvent e;
                          e.guid = r.Text(0);
                          e.workspace_id = ctx_.workspace;
                          e.type = r.Text(1);
                          e.sequence = r.Int(2);
                          e.object_type = r.Text(3);
                          e.object_guid = r.Text(4);
                          e.actor = r.Text(5);
                          if (!r.IsNull(6)) e.before = r.Text(6);
                          if (!r.IsNull(7)) e.after = r.Text(7);
                          e.created_at = r.Int(8);
                          texts.push_back(EventBodyText(e));
                          return true;
                        });
                  })
                  .ok());
  ASSERT_EQ(texts.size(), events.size());
  std::set<std::string> kinds;
  for (size_t i = 0; i < events.size(); ++i) {
    kinds.insert(events[i].type + (events[i].before.is_null() ? "" : "+before") +
                 (events[i].after.is_null() ? "" : "+after"));
    EXPECT_EQ(texts[i], EventBody(events[i]).dump(-1, ' ', false, Json::error_handler_t::replace))
        << events[i].type;
  }
  // Creations, updates with both images, the release's updates and the deletion were all seen.
  EXPECT_TRUE(kinds.count("item.created+after"));
  EXPECT_TRUE(kinds.count("item.updated+before+after") ||
              kinds.count("item.lifecycle_changed+before+after"));
  EXPECT_TRUE(kinds.count("item.deleted+before"));
  EXPECT_TRUE(kinds.count("change.status_changed+before+after"));
}

}  // namespace
}  // namespace arenite::webhooks
